/* test_http.c: the dashboard's pure parts: tokens, cookies, form parsing
 * (gateway/http.c), HTML escaping and the bounded buffer (gateway/html.c),
 * Prometheus formatting (gateway/metrics.c), user names, roles and password
 * hashes and the users table (gateway/users.c), and the [http] config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "html.h"
#include "http.h"
#include "metrics.h"
#include "store_users.h"
#include "tmpstore.h"
#include "users.h"

/* ------------------------------------------------------------------ tokens */

static void test_tokens_are_random_hex_and_compare_strictly(void **state)
{
    char a[HTTP_TOKEN_HEX + 1], b[HTTP_TOKEN_HEX + 1], c[HTTP_TOKEN_HEX + 1];
    (void)state;
    assert_int_equal(http_token_new(a, sizeof a), 0);
    assert_int_equal(http_token_new(b, sizeof b), 0);
    assert_int_equal(strlen(a), HTTP_TOKEN_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), HTTP_TOKEN_HEX);
    assert_string_not_equal(a, b);
    assert_int_equal(http_token_new(c, HTTP_TOKEN_HEX), -1); /* no room for the NUL */
    memcpy(c, a, sizeof c);
    assert_int_equal(http_token_equal(a, c), 1);
    c[10] = c[10] == 'a' ? 'b' : 'a';
    assert_int_equal(http_token_equal(a, c), 0);
    assert_int_equal(http_token_equal(a, NULL), 0);
    assert_int_equal(http_token_equal(NULL, NULL), 0);
    assert_int_equal(http_token_equal("", ""), 0);
    char upper[HTTP_TOKEN_HEX + 1];
    memset(upper, 'A', HTTP_TOKEN_HEX);
    upper[HTTP_TOKEN_HEX] = '\0';
    assert_int_equal(http_token_equal(upper, upper), 0); /* lower-case hex only */
    char longer[HTTP_TOKEN_HEX + 2];
    snprintf(longer, sizeof longer, "%s0", a);
    assert_int_equal(http_token_equal(a, longer), 0);
    assert_int_equal(http_token_equal(longer, longer), 0);
}

/* ------------------------------------------------------------------ cookies */

static void test_cookie_attributes(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(http_cookie(out, sizeof out, "patrol", "abc", 3600, 0), 0);
    assert_string_equal(out, "patrol=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict");
    assert_int_equal(http_cookie(out, sizeof out, "__Host-patrol", "abc", 0, 1), 0);
    assert_string_equal(out, "__Host-patrol=abc; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
}

static void test_cookie_refuses_what_could_inject_attributes(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(http_cookie(out, sizeof out, "patrol", "a; Domain=evil", 60, 0), -1);
    assert_int_equal(http_cookie(out, sizeof out, "patrol", "a\r\nX: y", 60, 0), -1);
    assert_int_equal(http_cookie(out, sizeof out, "pa trol", "a", 60, 0), -1);
    assert_int_equal(http_cookie(out, sizeof out, "pa=trol", "a", 60, 0), -1);
    assert_int_equal(http_cookie(out, sizeof out, "", "a", 60, 0), -1);
    assert_int_equal(http_cookie(out, sizeof out, "patrol", "a", -1, 0), -1);
    assert_int_equal(http_cookie(out, 20, "patrol", "abcdef", 60, 0), -1); /* does not fit */
}

/* ------------------------------------------------------------------ forms */

static void test_form_values_are_decoded(void **state)
{
    static const char body[] = "csrf=ab12&user=pat&password=p%40ss+w%C3%B6rd%21&empty=&flag";
    char out[64];
    (void)state;
    size_t n = strlen(body);
    assert_int_equal(http_form_value(body, n, "csrf", out, sizeof out), 1);
    assert_string_equal(out, "ab12");
    assert_int_equal(http_form_value(body, n, "password", out, sizeof out), 1);
    assert_string_equal(out, "p@ss w\xc3\xb6rd!");
    assert_int_equal(http_form_value(body, n, "empty", out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_int_equal(http_form_value(body, n, "flag", out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_int_equal(http_form_value(body, n, "us", out, sizeof out), 0);   /* no prefix match */
    assert_int_equal(http_form_value(body, n, "pat", out, sizeof out), 0);  /* values are not keys */
    assert_int_equal(http_form_value("", 0, "csrf", out, sizeof out), 0);
    /* The first of a repeated key. */
    assert_int_equal(http_form_value("a=1&a=2", 7, "a", out, sizeof out), 1);
    assert_string_equal(out, "1");
    /* Only the given length is read. */
    assert_int_equal(http_form_value("a=1&b=2", 3, "b", out, sizeof out), 0);
}

static void test_form_values_refuse_malformed_or_long_ones(void **state)
{
    char out[8];
    (void)state;
    assert_int_equal(http_form_value("a=%zz", 5, "a", out, sizeof out), -1);
    assert_int_equal(http_form_value("a=%4", 4, "a", out, sizeof out), -1);
    assert_int_equal(http_form_value("a=%", 3, "a", out, sizeof out), -1);
    assert_int_equal(http_form_value("a=x%00y", 7, "a", out, sizeof out), -1);  /* NUL */
    assert_int_equal(http_form_value("a=x%0Ay", 7, "a", out, sizeof out), -1);  /* newline */
    assert_int_equal(http_form_value("a=1234567", 9, "a", out, sizeof out), 1); /* 7 + NUL fits */
    assert_int_equal(http_form_value("a=12345678", 10, "a", out, sizeof out), -1);
}

static void test_loopback_addresses(void **state)
{
    (void)state;
    assert_int_equal(http_is_loopback("127.0.0.1"), 1);
    assert_int_equal(http_is_loopback("127.1.2.3"), 1);
    assert_int_equal(http_is_loopback("::1"), 1);
    assert_int_equal(http_is_loopback("0.0.0.0"), 0);
    assert_int_equal(http_is_loopback("192.168.1.10"), 0);
    assert_int_equal(http_is_loopback("::"), 0);
    assert_int_equal(http_is_loopback("localhost"), 0);
}

/* ------------------------------------------------------------------ html */

static void test_html_escapes_everything_that_matters(void **state)
{
    html_buf b;
    (void)state;
    html_init(&b, 1024);
    html_esc(&b, "<script>alert('x')</script> & \"q\"");
    html_esc(&b, NULL);
    html_esc_n(&b, "a<b", 2);
    assert_false(html_failed(&b));
    assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;a&lt;");
    html_free(&b);
}

static void test_html_buffer_stops_at_its_cap(void **state)
{
    html_buf b;
    size_t len;
    (void)state;
    html_init(&b, 10);
    html_puts(&b, "0123456789");
    assert_false(html_failed(&b));
    html_puts(&b, "x");
    assert_true(html_failed(&b));
    assert_null(html_take(&b, &len));
    html_free(&b);

    html_init(&b, 4096);
    char big[600];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    html_printf(&b, "%s-%d", big, 42); /* longer than printf's small buffer */
    char *p = html_take(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, sizeof big - 1 + 3);
    assert_string_equal(p + sizeof big - 1, "-42");
    free(p);
    html_free(&b);

    html_init(&b, 16);
    p = html_take(&b, &len); /* an empty page is a page */
    assert_non_null(p);
    assert_int_equal(len, 0);
    assert_string_equal(p, "");
    free(p);
    html_free(&b);
}

/* ------------------------------------------------------------------ metrics */

static void test_metrics_labels_are_escaped(void **state)
{
    html_buf b;
    (void)state;
    html_init(&b, 1024);
    metrics_label(&b, "partner", "po\"li\\ce\nx", 1);
    metrics_label(&b, "channel", "mqtt", 0);
    assert_string_equal(b.p, "partner=\"po\\\"li\\\\ce\\nx\",channel=\"mqtt\"");
    html_free(&b);
}

static void test_metrics_histogram_is_cumulative(void **state)
{
    metrics_hist h;
    html_buf b;
    (void)state;
    memset(&h, 0, sizeof h);
    metrics_hist_observe(&h, 0.05);   /* <= 0.1 */
    metrics_hist_observe(&h, 0.1);    /* <= 0.1: bounds are inclusive */
    metrics_hist_observe(&h, 0.7);    /* <= 1 */
    metrics_hist_observe(&h, 5000);   /* only +Inf */
    html_init(&b, 8192);
    metrics_hist_write(&b, "lat", "partner=\"p\"", &h);
    assert_false(html_failed(&b));
    assert_non_null(strstr(b.p, "lat_bucket{partner=\"p\",le=\"0.1\"} 2\n"));
    assert_non_null(strstr(b.p, "lat_bucket{partner=\"p\",le=\"0.5\"} 2\n"));
    assert_non_null(strstr(b.p, "lat_bucket{partner=\"p\",le=\"1\"} 3\n"));
    assert_non_null(strstr(b.p, "lat_bucket{partner=\"p\",le=\"1800\"} 3\n"));
    assert_non_null(strstr(b.p, "lat_bucket{partner=\"p\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(b.p, "lat_sum{partner=\"p\"} 5000.850\n"));
    assert_non_null(strstr(b.p, "lat_count{partner=\"p\"} 4\n"));
    html_free(&b);

    html_init(&b, 8192);
    metrics_hist_write(&b, "lat", "", &h); /* no labels: no empty braces */
    assert_non_null(strstr(b.p, "lat_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(b.p, "lat_count 4\n"));
    html_free(&b);
}

/* ------------------------------------------------------------------ users */

static void test_user_names_and_roles(void **state)
{
    (void)state;
    assert_int_equal(users_valid_name("pat"), 1);
    assert_int_equal(users_valid_name("duty.police-1_a"), 1);
    assert_int_equal(users_valid_name("Pat"), 0);
    assert_int_equal(users_valid_name(""), 0);
    assert_int_equal(users_valid_name("a b"), 0);
    assert_int_equal(users_valid_name("a;b"), 0);
    assert_int_equal(users_valid_name("0123456789abcdef0123456789abcdef"), 1);
    assert_int_equal(users_valid_name("0123456789abcdef0123456789abcdef0"), 0);
    assert_int_equal(users_role_parse("duty"), USERS_DUTY);
    assert_int_equal(users_role_parse("coordinator"), USERS_COORDINATOR);
    assert_int_equal(users_role_parse("viewer"), USERS_VIEWER);
    assert_int_equal(users_role_parse("admin"), -1);
    assert_string_equal(users_role_name(USERS_DUTY), "duty");
}

static void test_users_table_and_password_hashes(void **state)
{
    tmpstore ts;
    users_user u, got;
    (void)state;
    assert_int_equal(tmpstore_open(&ts, "test_http"), 0);
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "pat");
    u.role = USERS_DUTY;
    snprintf(u.partner, sizeof u.partner, "police");
    u.active = 1;
    assert_int_equal(users_hash_password("short", u.pwhash, sizeof u.pwhash), -1);
    assert_int_equal(users_hash_password("correct horse battery", u.pwhash, sizeof u.pwhash), 0);
    assert_int_equal(strncmp(u.pwhash, "$argon2id$", 10), 0);

    assert_int_equal(store_begin(ts.st), 0);
    assert_int_equal(store_user_add(ts.st, &u, 1000), 1);
    assert_int_equal(store_user_add(ts.st, &u, 1001), 0); /* the name is taken */
    assert_int_equal(store_commit(ts.st), 0);
    assert_int_equal(store_user_get(ts.st, "pat", &got), 1);
    assert_int_equal(store_user_get(ts.st, "nobody", &got), 0);
    assert_int_equal(got.role, USERS_DUTY);
    assert_string_equal(got.partner, "police");
    assert_int_equal(got.changed_at, 1000);
    assert_int_equal(got.last_login_at, 0);
    assert_int_equal(users_check_password(got.pwhash, "correct horse battery"), 1);
    assert_int_equal(users_check_password(got.pwhash, "correct horse batterY"), 0);
    assert_int_equal(users_check_password(got.pwhash, ""), 0);
    assert_int_equal(users_check_password("not a hash", "correct horse battery"), 0);

    assert_int_equal(store_begin(ts.st), 0);
    assert_int_equal(store_user_set_active(ts.st, "pat", 0, 2000), 1);
    assert_int_equal(store_user_login_record(ts.st, "pat", 2500), 1);
    assert_int_equal(store_user_set_password(ts.st, "nobody", got.pwhash, 3000), 0);
    assert_int_equal(store_commit(ts.st), 0);
    assert_int_equal(store_user_get(ts.st, "pat", &got), 1);
    assert_int_equal(got.active, 0);
    assert_int_equal(got.changed_at, 2000);
    assert_int_equal(got.last_login_at, 2500);
    tmpstore_close(&ts);
}

/* ------------------------------------------------------------------ config */

static int load(const char *text, gw_config *cfg, char *err, size_t errsz)
{
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/test_http.XXXXXX");
    if (!mkdtemp(dir))
        return -2;
    snprintf(path, sizeof path, "%s/patrolgw.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -2;
    fputs(text, f);
    fclose(f);
    int rc = config_load(path, cfg, err, errsz);
    (void)unlink(path);
    (void)rmdir(dir);
    return rc;
}

static void test_http_config(void **state)
{
    gw_config *cfg = calloc(1, sizeof *cfg);
    char err[512];
    (void)state;
    assert_non_null(cfg);
    assert_int_equal(load("[store]\npath = x.db\n", cfg, err, sizeof err), 0);
    assert_int_equal(cfg->http.enabled, 0);
    assert_string_equal(cfg->http.listen, "127.0.0.1");
    assert_int_equal(cfg->http.port, 8080);
    assert_int_equal(cfg->http.session_lifetime_s, 12 * 3600);
    assert_int_equal(cfg->http.request_timeout_s, 10);

    assert_int_equal(load("[http]\nport = 9000\nlisten = ::1\nsession_lifetime = 30m\n"
                          "login_max_failures = 3\nlogin_lockout = 1h\nmetrics_port = 9100\n"
                          "behind_https_proxy = yes\nrequest_timeout = 3s\n", cfg, err, sizeof err), 0);
    assert_int_equal(cfg->http.enabled, 1);
    assert_int_equal(cfg->http.port, 9000);
    assert_string_equal(cfg->http.listen, "::1");
    assert_int_equal(cfg->http.session_lifetime_s, 1800);
    assert_int_equal(cfg->http.login_max_failures, 3);
    assert_int_equal(cfg->http.login_lockout_s, 3600);
    assert_int_equal(cfg->http.metrics_port, 9100);
    assert_int_equal(cfg->http.behind_https_proxy, 1);
    assert_int_equal(cfg->http.request_timeout_s, 3);
    assert_int_equal(load("[http]\nrequest_timeout = 10m\n", cfg, err, sizeof err), -1);

    assert_int_equal(load("[http]\nlisten = example.org\n", cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "numeric"));
    assert_int_equal(load("[http]\nport = 0\n", cfg, err, sizeof err), -1);
    assert_int_equal(load("[http]\ntls_cert = c.pem\n", cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "go together"));
    assert_int_equal(load("[http]\nport = 9000\nmetrics_port = 9000\n", cfg, err, sizeof err), -1);
    assert_int_equal(load("[http]\nsessions = 5\n", cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown key sessions in [http]"));
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_are_random_hex_and_compare_strictly),
        cmocka_unit_test(test_cookie_attributes),
        cmocka_unit_test(test_cookie_refuses_what_could_inject_attributes),
        cmocka_unit_test(test_form_values_are_decoded),
        cmocka_unit_test(test_form_values_refuse_malformed_or_long_ones),
        cmocka_unit_test(test_loopback_addresses),
        cmocka_unit_test(test_html_escapes_everything_that_matters),
        cmocka_unit_test(test_html_buffer_stops_at_its_cap),
        cmocka_unit_test(test_metrics_labels_are_escaped),
        cmocka_unit_test(test_metrics_histogram_is_cumulative),
        cmocka_unit_test(test_user_names_and_roles),
        cmocka_unit_test(test_users_table_and_password_hashes),
        cmocka_unit_test(test_http_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
