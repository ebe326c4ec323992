/* test_acklink.c: signed acknowledgement-link tokens (gateway/acklink.c):
 * the format against a vector computed with openssl, round trip, every kind
 * of tampering, expiry, malformed tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acklink.h"

#define SECRET "acksecret"
#define EXPIRES_MS 1795516800000LL
/* printf 'R1042.police.1795516800' | openssl dgst -sha256 -hmac acksecret -binary | basenc --base64url */
#define VECTOR "R1042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40"

static void test_vector(void **state)
{
    (void)state;
    char tok[GW_ACK_TOKEN_MAX];
    assert_int_equal(acklink_make(SECRET, 1042, "police", EXPIRES_MS, tok, sizeof tok), 0);
    assert_string_equal(tok, VECTOR);
    /* the milliseconds are cut, not rounded */
    assert_int_equal(acklink_make(SECRET, 1042, "police", EXPIRES_MS + 999, tok, sizeof tok), 0);
    assert_string_equal(tok, VECTOR);
}

static void test_round_trip(void **state)
{
    (void)state;
    const struct { int64_t ref; const char *partner; } cases[] = {
        { 1, "p" }, { 1042, "police" }, { 999999999999LL, "fire_and-rescue" },
        { 7, "abcdefghijklmnopqrstuvwxyz012345" }, /* 32: GW_NAME_MAX */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tok[GW_ACK_TOKEN_MAX], partner[GW_NAME_MAX + 1];
        int64_t ref = 0;
        assert_int_equal(acklink_make(SECRET, cases[i].ref, cases[i].partner, EXPIRES_MS, tok,
                                      sizeof tok), 0);
        /* URL-safe as it stands */
        assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_."), strlen(tok));
        assert_int_equal(acklink_check(SECRET, tok, EXPIRES_MS - 1000, &ref, partner,
                                       sizeof partner), 0);
        assert_true(ref == cases[i].ref);
        assert_string_equal(partner, cases[i].partner);
    }
}

static void test_expiry(void **state)
{
    (void)state;
    char partner[GW_NAME_MAX + 1];
    int64_t ref = 0;
    assert_int_equal(acklink_check(SECRET, VECTOR, EXPIRES_MS - 1, &ref, partner, sizeof partner), 0);
    ref = 0;
    partner[0] = '\0';
    /* expired: still says which alert the link was for */
    assert_int_equal(acklink_check(SECRET, VECTOR, EXPIRES_MS, &ref, partner, sizeof partner), -2);
    assert_true(ref == 1042);
    assert_string_equal(partner, "police");
    assert_int_equal(acklink_check(SECRET, VECTOR, EXPIRES_MS + 86400000LL, &ref, partner,
                                   sizeof partner), -2);
}

/* Any one character changed, anywhere: refused (a bad signature, not expired). */
static void test_tamper_every_position(void **state)
{
    (void)state;
    const char *alphabet = "R0189.aAzZ_-";
    char tok[GW_ACK_TOKEN_MAX], partner[GW_NAME_MAX + 1];
    size_t n = strlen(VECTOR);
    int tried = 0;
    for (size_t i = 0; i < n; i++)
        for (const char *a = alphabet; *a; a++) {
            if (VECTOR[i] == *a)
                continue;
            snprintf(tok, sizeof tok, "%s", VECTOR);
            tok[i] = *a;
            int64_t ref = -5;
            int rc = acklink_check(SECRET, tok, EXPIRES_MS - 1000, &ref, partner, sizeof partner);
            if (rc != -1)
                fail_msg("tampered token accepted (%d): %s", rc, tok);
            assert_true(ref == -5); /* nothing filled */
            tried++;
        }
    assert_true(tried > 700);
    /* another partner or report, same signature */
    int64_t ref;
    assert_int_equal(acklink_check(SECRET, "R1042.council.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
                                   EXPIRES_MS - 1000, &ref, partner, sizeof partner), -1);
    assert_int_equal(acklink_check(SECRET, "R1043.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
                                   EXPIRES_MS - 1000, &ref, partner, sizeof partner), -1);
    /* a later expiry with the old signature */
    assert_int_equal(acklink_check(SECRET, "R1042.police.1895516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
                                   EXPIRES_MS - 1000, &ref, partner, sizeof partner), -1);
    /* another secret */
    assert_int_equal(acklink_check("acksecret2", VECTOR, EXPIRES_MS - 1000, &ref, partner,
                                   sizeof partner), -1);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "R1042",
        "R1042.police.1795516800",
        "R1042.police.1795516800.",
        "1042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R01042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R1042..1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R1042.pol ice.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R1042.police.x.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R1042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX4",
        "R1042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40=",
        "R1042.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40.x",
        "R1042.police.extra.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
        "R1234567890123.police.1795516800.781PEoqMpFDHbxzxnRIvPXYBQH1I5x02JpFnO_aZX40",
    };
    char partner[GW_NAME_MAX + 1];
    int64_t ref;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (acklink_check(SECRET, bad[i], 0, &ref, partner, sizeof partner) != -1)
            fail_msg("accepted: '%s'", bad[i]);
    assert_int_equal(acklink_check(SECRET, NULL, 0, &ref, partner, sizeof partner), -1);
    assert_int_equal(acklink_check("", VECTOR, 0, &ref, partner, sizeof partner), -1);
    /* too long for the cap: refused before any work */
    char longtok[GW_ACK_TOKEN_MAX + 10];
    memset(longtok, 'A', sizeof longtok - 1);
    longtok[0] = 'R';
    longtok[sizeof longtok - 1] = '\0';
    assert_int_equal(acklink_check(SECRET, longtok, 0, &ref, partner, sizeof partner), -1);
    /* a partner buffer too small for the name: refused, not cut */
    char small[4];
    assert_int_equal(acklink_check(SECRET, VECTOR, 0, &ref, small, sizeof small), -1);
}

static void test_make_refuses(void **state)
{
    (void)state;
    char tok[GW_ACK_TOKEN_MAX];
    assert_int_equal(acklink_make("", 1042, "police", EXPIRES_MS, tok, sizeof tok), -1);
    assert_int_equal(acklink_make(NULL, 1042, "police", EXPIRES_MS, tok, sizeof tok), -1);
    assert_int_equal(acklink_make(SECRET, 0, "police", EXPIRES_MS, tok, sizeof tok), -1);
    assert_int_equal(acklink_make(SECRET, 1042, "", EXPIRES_MS, tok, sizeof tok), -1);
    assert_int_equal(acklink_make(SECRET, 1042, "pol.ice", EXPIRES_MS, tok, sizeof tok), -1);
    assert_int_equal(acklink_make(SECRET, 1042, "abcdefghijklmnopqrstuvwxyz0123456", EXPIRES_MS,
                                  tok, sizeof tok), -1); /* 33 */
    assert_int_equal(acklink_make(SECRET, 1042, "police", 0, tok, sizeof tok), -1);
    char small[40];
    assert_int_equal(acklink_make(SECRET, 1042, "police", EXPIRES_MS, small, sizeof small), -1);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_tamper_every_position),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_make_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
