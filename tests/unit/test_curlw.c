/* test_curlw.c: the curl worker (gateway/curlw.c) with the real deliverers
 * against real loopback sockets: a closed port (refused), a listener that
 * never answers (timeout), results through curlw_fd, the bounded queue, and
 * stopping with transfers running and queued. No server needs to answer:
 * the answers of real SMTP and HTTP servers are the integration tests'
 * (tests/integration/inboxes.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "curlw.h"
#include "mail.h"
#include "webhook.h"

/* Not a timing assertion: how long to wait before calling a test hung. */
#define HUNG_MS 60000

static const char *const PAYLOAD =
    "{\"alert_id\":\"R1-police\",\"ref\":\"R1\",\"code\":\"RTC\",\"priority\":1,"
    "\"location\":\"HB03\",\"zone\":\"HB03\",\"details\":\"car v cyclist\",\"reporter\":\"BRAVO1\"}";

/* A loopback socket on a port of its own: listening (connections complete and
 * then nothing is ever said) or not (connections are refused). The port stays
 * ours, so nothing else can answer on it. */
static int loopback(int listening, int *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    if (listening)
        assert_int_equal(listen(fd, 64), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void partner_for(cfg_partner *p, int port, int timeout_ms)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "police");
    snprintf(p->webhook_url, sizeof p->webhook_url, "http://127.0.0.1:%d/hook", port);
    snprintf(p->webhook_secret, sizeof p->webhook_secret, "whsec_test");
    p->webhook_timeout_ms = timeout_ms;
    p->webhook_verify_tls = 1;
    snprintf(p->email[0], sizeof p->email[0], "duty@police.example");
    p->nemail = 1;
}

static void smtp_for(cfg_smtp *s, int port, int timeout_ms)
{
    memset(s, 0, sizeof *s);
    snprintf(s->url, sizeof s->url, "smtp://127.0.0.1:%d", port);
    snprintf(s->from, sizeof s->from, "alerts@patrolgw.example");
    s->tls = 1;
    s->verify_tls = 1;
    s->timeout_ms = timeout_ms;
}

static dlv_item item(const cfg_partner *p, int64_t row)
{
    dlv_item it = {
        .row = row,
        .alert_id = "R1-police",
        .kind = "alert",
        .partner = p,
        .payload = PAYLOAD,
        .payload_len = strlen(PAYLOAD),
        .now = 1795430400000LL,
    };
    return it;
}

/* Waits on curlw_fd, as the core does, until n results were taken. */
static void wait_results(curlw *w, dlv_result *out, int n)
{
    int got = 0;
    while (got < n) {
        struct pollfd pf = { .fd = curlw_fd(w), .events = POLLIN };
        int rc = poll(&pf, 1, HUNG_MS);
        if (rc <= 0)
            fail_msg("no result through curlw_fd (%d of %d)", got, n);
        got += curlw_take(w, out + got, n - got);
    }
    dlv_result extra;
    assert_int_equal(curlw_take(w, &extra, 1), 0);
}

static const dlv_result *find(const dlv_result *r, int n, int64_t row)
{
    for (int i = 0; i < n; i++)
        if (r[i].row == row)
            return &r[i];
    fail_msg("no result for row %lld", (long long)row);
    return NULL;
}

static void test_refused_is_retry(void **state)
{
    (void)state;
    char err[128];
    int port;
    int fd = loopback(0, &port);
    cfg_partner p;
    cfg_smtp s;
    partner_for(&p, port, 10000);
    smtp_for(&s, port, 10000);
    curlw *w = curlw_new(4, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(curlw_room(w), GW_DELIVERY_QUEUE_MAX);
    dlv_item a = item(&p, 11), b = item(&p, 12);
    assert_int_equal(webhook_start(w, &a), 0);
    assert_int_equal(mail_start(w, &s, &b), 0);
    dlv_result r[2];
    wait_results(w, r, 2);
    const dlv_result *hook = find(r, 2, 11), *mail = find(r, 2, 12);
    assert_int_equal(hook->outcome, DLV_RETRY);
    assert_int_equal(mail->outcome, DLV_RETRY);
    assert_int_equal(hook->code, 0);
    assert_string_equal(hook->error, "webhook: Couldn't connect to server: Connection refused");
    assert_string_equal(mail->error, "smtp: Couldn't connect to server: Connection refused");
    assert_true(hook->took_ms >= 0 && mail->took_ms >= 0);
    assert_int_equal(curlw_room(w), GW_DELIVERY_QUEUE_MAX);
    curlw_free(w);
    close(fd);
}

static void test_silence_is_a_timeout(void **state)
{
    (void)state;
    char err[128];
    int port;
    int fd = loopback(1, &port);
    cfg_partner p;
    cfg_smtp s;
    partner_for(&p, port, 200);
    smtp_for(&s, port, 200);
    curlw *w = curlw_new(2, err, sizeof err);
    assert_non_null(w);
    dlv_item a = item(&p, 21), b = item(&p, 22);
    assert_int_equal(webhook_start(w, &a), 0);
    assert_int_equal(mail_start(w, &s, &b), 0);
    dlv_result r[2];
    wait_results(w, r, 2);
    assert_int_equal(find(r, 2, 21)->outcome, DLV_RETRY);
    assert_int_equal(find(r, 2, 22)->outcome, DLV_RETRY);
    assert_string_equal(find(r, 2, 21)->error, "webhook: Timeout was reached");
    assert_string_equal(find(r, 2, 22)->error, "smtp: Timeout was reached");
    curlw_free(w);
    close(fd);
}

/* One transfer at a time: the queue drains in order. */
static void test_parallel_one_drains_in_order(void **state)
{
    (void)state;
    char err[128];
    int port;
    int fd = loopback(1, &port);
    cfg_partner p;
    partner_for(&p, port, 100);
    curlw *w = curlw_new(1, err, sizeof err);
    assert_non_null(w);
    for (int64_t row = 1; row <= 3; row++) {
        dlv_item it = item(&p, row);
        assert_int_equal(webhook_start(w, &it), 0);
    }
    assert_true(curlw_room(w) <= GW_DELIVERY_QUEUE_MAX - 3);
    dlv_result r[3];
    wait_results(w, r, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(r[i].row == i + 1);
        assert_int_equal(r[i].outcome, DLV_RETRY);
    }
    curlw_free(w);
    close(fd);
}

/* A delivery that cannot ever work is answered the same way, at once. */
static void test_refused_before_start(void **state)
{
    (void)state;
    char err[128];
    cfg_partner p;
    cfg_smtp s;
    partner_for(&p, 9, 1000);
    smtp_for(&s, 9, 1000);
    p.webhook_secret[0] = '\0';
    p.nemail = 0;
    curlw *w = curlw_new(1, err, sizeof err);
    assert_non_null(w);
    dlv_item a = item(&p, 31), b = item(&p, 32);
    assert_int_equal(webhook_start(w, &a), 0);
    assert_int_equal(mail_start(w, &s, &b), 0);
    dlv_result r[2];
    wait_results(w, r, 2);
    assert_int_equal(find(r, 2, 31)->outcome, DLV_PERMANENT);
    assert_string_equal(find(r, 2, 31)->error, "partner has no webhook secret");
    assert_int_equal(find(r, 2, 32)->outcome, DLV_PERMANENT);
    assert_string_equal(find(r, 2, 32)->error, "partner police has no e-mail address");
    curlw_free(w);
}

/* The queue is bounded; stopping frees what is running and what waits. */
static void test_bounded_and_stop(void **state)
{
    (void)state;
    char err[128];
    int port;
    int fd = loopback(1, &port);
    cfg_partner p;
    partner_for(&p, port, 120000);
    curlw *w = curlw_new(1, err, sizeof err);
    assert_non_null(w);
    for (int i = 0; i < GW_DELIVERY_QUEUE_MAX; i++) {
        dlv_item it = item(&p, i + 1);
        assert_int_equal(curlw_room(w), GW_DELIVERY_QUEUE_MAX - i);
        assert_int_equal(webhook_start(w, &it), 0);
    }
    assert_int_equal(curlw_room(w), 0);
    dlv_item more = item(&p, 1000);
    assert_int_equal(webhook_start(w, &more), -1);
    assert_int_equal(curlw_fail(w, 1000, DLV_PERMANENT, "x"), -1);
    curlw_free(w); /* one transfer hangs on the silent listener, 255 wait */
    close(fd);
}

static void test_new_refuses(void **state)
{
    (void)state;
    char err[128];
    assert_null(curlw_new(0, err, sizeof err));
    assert_string_equal(err, "parallel transfers: 0 is not 1..64");
    assert_null(curlw_new(65, err, sizeof err));
    curlw_free(NULL);
    curlw_req_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_is_retry),
        cmocka_unit_test(test_silence_is_a_timeout),
        cmocka_unit_test(test_parallel_one_drains_in_order),
        cmocka_unit_test(test_refused_before_start),
        cmocka_unit_test(test_bounded_and_stop),
        cmocka_unit_test(test_new_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
