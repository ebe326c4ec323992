/* test_webhook.c: webhook signatures (gateway/webhook.c) against vectors
 * computed with `openssl dgst -sha256 -hmac`, and the HTTP outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webhook.h"

static void test_sign_vectors(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIG_HEX + 1];
    /* printf '%s' '1795430400.{"ref":"R1042"}' | openssl dgst -sha256 -hmac whsec_test */
    const char *body = "{\"ref\":\"R1042\"}";
    assert_int_equal(webhook_sign("whsec_test", "1795430400", body, strlen(body), sig), 0);
    assert_string_equal(sig, "eee557afb051be4372533e40ad2af2f63c281436d4c020863f63d99912fc3096");
    /* an empty body: the timestamp and the dot are still signed */
    assert_int_equal(webhook_sign("whsec_test", "1795430400", "", 0, sig), 0);
    assert_string_equal(sig, "a9d64eb6fff59e9d3d6e4c720067d72d07a3f7e474726c3e7f17e06508ba2248");
    /* the body is bytes, not a C string: a NUL inside counts */
    char a[WEBHOOK_SIG_HEX + 1], b[WEBHOOK_SIG_HEX + 1];
    assert_int_equal(webhook_sign("k", "1", "x\0y", 3, a), 0);
    assert_int_equal(webhook_sign("k", "1", "x\0z", 3, b), 0);
    assert_string_not_equal(a, b);
    /* the timestamp is signed */
    assert_int_equal(webhook_sign("whsec_test", "1795430401", body, strlen(body), sig), 0);
    assert_string_not_equal(sig, "eee557afb051be4372533e40ad2af2f63c281436d4c020863f63d99912fc3096");
}

static void test_sign_needs_a_secret(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIG_HEX + 1] = "x";
    assert_int_equal(webhook_sign("", "1795430400", "{}", 2, sig), -1);
    assert_string_equal(sig, "");
    assert_int_equal(webhook_sign(NULL, "1795430400", "{}", 2, sig), -1);
}

typedef struct outcome_case {
    CURLcode rc;
    long code;
    int os_errno;
    enum dlv_outcome want;
    const char *error;
} outcome_case;

static void test_classify(void **state)
{
    (void)state;
    const outcome_case cases[] = {
        { CURLE_OK, 200, 0, DLV_OK, "" },
        { CURLE_OK, 201, 0, DLV_OK, "" },
        { CURLE_OK, 204, 0, DLV_OK, "" },
        { CURLE_OK, 299, 0, DLV_OK, "" },
        { CURLE_OK, 408, 0, DLV_RETRY, "webhook: HTTP 408" },
        { CURLE_OK, 429, 0, DLV_RETRY, "webhook: HTTP 429" },
        { CURLE_OK, 500, 0, DLV_RETRY, "webhook: HTTP 500" },
        { CURLE_OK, 502, 0, DLV_RETRY, "webhook: HTTP 502" },
        { CURLE_OK, 503, 0, DLV_RETRY, "webhook: HTTP 503" },
        { CURLE_OK, 599, 0, DLV_RETRY, "webhook: HTTP 599" },
        { CURLE_OK, 400, 0, DLV_PERMANENT, "webhook: HTTP 400" },
        { CURLE_OK, 401, 0, DLV_PERMANENT, "webhook: HTTP 401" },
        { CURLE_OK, 403, 0, DLV_PERMANENT, "webhook: HTTP 403" },
        { CURLE_OK, 404, 0, DLV_PERMANENT, "webhook: HTTP 404" },
        { CURLE_OK, 409, 0, DLV_PERMANENT, "webhook: HTTP 409" },
        { CURLE_OK, 422, 0, DLV_PERMANENT, "webhook: HTTP 422" },
        { CURLE_OK, 301, 0, DLV_PERMANENT, "webhook: HTTP 301: redirects are not followed" },
        { CURLE_OK, 302, 0, DLV_PERMANENT, "webhook: HTTP 302: redirects are not followed" },
        { CURLE_OK, 307, 0, DLV_PERMANENT, "webhook: HTTP 307: redirects are not followed" },
        { CURLE_OK, 100, 0, DLV_PERMANENT, "webhook: HTTP 100" },
        { CURLE_OPERATION_TIMEDOUT, 0, 0, DLV_RETRY, "webhook: Timeout was reached" },
        { CURLE_COULDNT_CONNECT, 0, 111, DLV_RETRY,
          "webhook: Couldn't connect to server: Connection refused" },
        { CURLE_COULDNT_RESOLVE_HOST, 0, 0, DLV_RETRY, "webhook: Couldn't resolve host name" },
        { CURLE_GOT_NOTHING, 0, 0, DLV_RETRY, NULL },
        { CURLE_RECV_ERROR, 0, 104, DLV_RETRY, NULL },
        { CURLE_PEER_FAILED_VERIFICATION, 0, 0, DLV_RETRY, NULL },
        { CURLE_SSL_CONNECT_ERROR, 0, 0, DLV_RETRY, NULL },
        { CURLE_URL_MALFORMAT, 0, 0, DLV_PERMANENT, NULL },
        { CURLE_UNSUPPORTED_PROTOCOL, 0, 0, DLV_PERMANENT, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[160];
        enum dlv_outcome o = webhook_classify((int)cases[i].rc, cases[i].code, cases[i].os_errno,
                                              err, sizeof err);
        if (o != cases[i].want)
            fail_msg("case %zu (%d, %ld): outcome %d, want %d", i, (int)cases[i].rc,
                     cases[i].code, (int)o, (int)cases[i].want);
        if (cases[i].error)
            assert_string_equal(err, cases[i].error);
        else
            assert_true(err[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_vectors),
        cmocka_unit_test(test_sign_needs_a_secret),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
