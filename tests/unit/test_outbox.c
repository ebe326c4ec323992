/* test_outbox.c: the outbox (outbox.c) with a real curl worker and a real
 * SQLite store: what a turn whose commit fails keeps for the next one. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "alert_add.h"
#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "mqtt.h"
#include "outbox.h"
#include "store.h"
#include "store_alerts.h"

typedef struct fixture {
    char dir[64];
    gw_config *cfg;
    store *st;
} fixture;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fputs(text, fp);
    return fclose(fp);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256], p[256], secret[128], conf[512];
    if (!f || !(f->cfg = calloc(1, sizeof *f->cfg)))
        goto fail;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_outbox.XXXXXX");
    if (!mkdtemp(f->dir))
        goto fail;
    snprintf(secret, sizeof secret, "%s/hook.secret", f->dir);
    if (write_file(secret, "s3cret-for-the-test\n"))
        goto fail;
    /* Port 1 on loopback: refused at once, a result to retry. */
    snprintf(conf, sizeof conf,
             "[partner.council]\nmin_priority = P4\nmqtt = no\n"
             "webhook = http://127.0.0.1:1/hook\nwebhook_secret_file = %s\n", secret);
    snprintf(p, sizeof p, "%s/gw.conf", f->dir);
    if (write_file(p, conf) || config_load(p, f->cfg, err, sizeof err)) {
        fprintf(stderr, "config: %s\n", err);
        goto fail;
    }
    snprintf(p, sizeof p, "%s/s.db", f->dir);
    f->st = store_open(p, STORE_RW, 0, err, sizeof err);
    if (!f->st)
        goto fail;
    *state = f;
    return 0;
fail:
    if (f)
        free(f->cfg);
    free(f);
    return -1;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->st);
    free(f->cfg);
    if (nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static int count_row(void *arg, const store_alert *a)
{
    (void)a;
    (*(int *)arg)++;
    return 0;
}

/* 1 if the row is due again within a minute: its failed attempt was recorded
 * (a retry after [alerts] retry), not waiting out the worker's grace time. */
static int due_soon(store *st)
{
    int n = 0;
    /* next_attempt_at < now + 60 s */
    assert_true(store_alerts_pending_due(st, NULL, clock_now_ms() + 60000 - 1, 10, count_row,
                                         &n) >= 0);
    return n;
}

/* A webhook attempt's result comes back; the turn that records it fails to
 * commit. The result must be recorded at the next turn, not lost (the row
 * would wait its grace time, 15 min, then be made again). */
static void test_curl_result_survives_a_failed_commit(void **state)
{
    fixture *f = *state;
    gw_tables t = { NULL, NULL };
    ingest_ctx ctx = { .cfg = f->cfg, .tables = &t, .st = f->st };
    char err[256];
    int64_t now = clock_now_ms();
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(test_alert_add(f->st, "R1001-council", 1001, "council", "webhook", now,
                                    "{\"ref\": \"R1001\"}"), 0);
    assert_true(store_alert_row(f->st, "R1001-council", "webhook") > 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox *o = outbox_new(f->cfg, 30000, err, sizeof err);
    assert_non_null(o);

    /* The first turn hands the row to the worker. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 0), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, NULL, "patrol");
    assert_int_equal(due_soon(f->st), 0); /* handed: due again after the grace time */

    /* Turns until one records the result; that one does not commit. */
    int failed = 0;
    for (int i = 0; i < 500 && !failed; i++) {
        sleep_ms(10);
        if (!outbox_has_acks(o))
            continue;
        assert_int_equal(store_begin(f->st), 0);
        assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 0), 0);
        store_rollback(f->st);
        outbox_forget(o);
        failed = 1;
    }
    assert_true(failed);
    /* The next turn commits: the result is recorded (a failed attempt). */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 0), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, NULL, "patrol");
    int soon = due_soon(f->st);
    outbox_free(o);
    assert_int_equal(soon, 1);
}

/* A port that takes connections and never answers: a partner that hangs. */
static int hanging_port(int *fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(*fd, 16), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

static int due_now(store *st, const char *partner)
{
    int n = 0;
    assert_true(store_alerts_pending_due(st, partner, clock_now_ms(), 10, count_row, &n) >= 0);
    return n;
}

/* Each webhook has its share of the worker's slots. A reload that moves the
 * partners in the config must not move what one holds onto another: the
 * slot a hanging partner holds stays its own. */
static void test_slots_follow_the_partner_across_a_reload(void **state)
{
    fixture *f = *state;
    gw_tables t = { NULL, NULL };
    ingest_ctx ctx = { .cfg = f->cfg, .tables = &t, .st = f->st };
    char err[256];
    int fd;
    int port = hanging_port(&fd);
    /* Two webhooks, two slots: one each. */
    f->cfg->alerts.parallel = 2;
    f->cfg->npartners = 2;
    f->cfg->partners[1] = f->cfg->partners[0];
    snprintf(f->cfg->partners[0].name, sizeof f->cfg->partners[0].name, "hangs");
    snprintf(f->cfg->partners[0].webhook_url, sizeof f->cfg->partners[0].webhook_url,
             "http://127.0.0.1:%d/hook", port);
    snprintf(f->cfg->partners[1].name, sizeof f->cfg->partners[1].name, "works");
    outbox *o = outbox_new(f->cfg, 30000, err, sizeof err);
    assert_non_null(o);
    int64_t now = clock_now_ms();
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(test_alert_add(f->st, "R1001-hangs", 1001, "hangs", "webhook", now, "{}"), 0);
    assert_int_equal(store_commit(f->st), 0);
    /* "hangs" gets its slot and holds it. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 0), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, NULL, "patrol");
    assert_int_equal(due_now(f->st, "hangs"), 0);
    /* A reload puts "works" first (gateway.c copies the new config into the same object). */
    cfg_partner tmp = f->cfg->partners[0];
    f->cfg->partners[0] = f->cfg->partners[1];
    f->cfg->partners[1] = tmp;
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(test_alert_add(f->st, "R1002-works", 1002, "works", "webhook", clock_now_ms(),
                                    "{}"), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 0), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, NULL, "patrol");
    int works_waits = due_now(f->st, "works");
    outbox_free(o);
    close(fd);
    assert_int_equal(works_waits, 0); /* handed in its own slot */
}

/* ---- A real broker: the PUBACK half. */

/* A free loopback port (bound, read, closed: the broker takes it next). */
static int free_port(void)
{
    int fd;
    int port = hanging_port(&fd);
    close(fd);
    return port;
}

/* mosquitto ($PATROL_MOSQUITTO, else /usr/sbin/mosquitto) on 127.0.0.1:port,
 * listening when this returns; its pid. */
static pid_t start_broker(const char *dir, int port)
{
    char conf[128], text[256];
    const char *bin = getenv("PATROL_MOSQUITTO");
    if (!bin || !bin[0])
        bin = "/usr/sbin/mosquitto";
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(text, sizeof text, "listener %d 127.0.0.1\nallow_anonymous true\n"
             "persistence false\n%s", port, geteuid() == 0 ? "user root\n" : "");
    assert_int_equal(write_file(conf, text), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        null = freopen("/dev/null", "w", stderr);
        (void)null;
        execl(bin, "mosquitto", "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((uint16_t)port);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return pid;
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0); /* still running */
        sleep_ms(10);
    }
    fail_msg("mosquitto (%s) does not listen on %d", bin, port);
    return -1;
}

static void stop_broker(pid_t pid)
{
    kill(pid, SIGTERM);
    (void)waitpid(pid, NULL, 0);
}

static void on_message(void *arg, const char *topic, const void *payload, int len)
{
    (void)arg;
    (void)topic;
    (void)payload;
    (void)len;
}

/* The outbox the PUBACKs go to: made after the broker connection (which must
 * come before the curl worker's thread, mqtt.h). */
typedef struct puback_to {
    outbox *o;
} puback_to;

static void on_published(void *arg, int mid)
{
    puback_to *to = arg;
    if (to->o)
        outbox_on_puback(to->o, mid);
}

/* One round of the core's loop for the broker connection. */
static void mqtt_round(mqtt_conn *m)
{
    struct pollfd p = { mqtt_fd(m), mqtt_events(m), 0 };
    int n = p.fd >= 0 ? poll(&p, 1, 10) : 0;
    if (p.fd < 0)
        sleep_ms(10);
    mqtt_service(m, n > 0 ? p.revents : 0, 16);
    (void)mqtt_tick(m, clock_mono_ms());
}

/* Rows of R1001-police still pending (not delivered), due within the hour. */
static int pending_rows(store *st)
{
    int n = 0;
    assert_true(store_alerts_pending_due(st, "police", clock_now_ms() + 3600000, 10, count_row,
                                         &n) >= 0);
    return n;
}

/* The broker acknowledged an alert; the turn that records it fails to commit.
 * The PUBACK must be recorded at the next turn: the alert is sent, not
 * published again (it was, before: the PUBACK was forgotten with the rollback
 * and the row, no longer in flight, was due again at once). */
static void test_puback_survives_a_failed_commit(void **state)
{
    fixture *f = *state;
    gw_tables t = { NULL, NULL };
    ingest_ctx ctx = { .cfg = f->cfg, .tables = &t, .st = f->st };
    char err[256];
    int port = free_port();
    pid_t broker = start_broker(f->dir, port);
    snprintf(f->cfg->mqtt_host, sizeof f->cfg->mqtt_host, "127.0.0.1");
    f->cfg->mqtt_port = port;
    const char *subs[1] = { "patrol/test/#" };
    puback_to to = { NULL };
    mqtt_handlers h = { on_message, on_published, NULL, NULL, &to };
    mqtt_conn *m = mqtt_new(f->cfg, subs, 1, &h, err, sizeof err);
    assert_non_null(m);
    outbox *o = outbox_new(f->cfg, 30000, err, sizeof err);
    assert_non_null(o);
    to.o = o;
    for (int i = 0; i < 500 && !mqtt_ready(m); i++)
        mqtt_round(m);
    assert_true(mqtt_ready(m));

    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(test_alert_add(f->st, "R1001-police", 1001, "police", "mqtt", clock_now_ms(),
                                    "{\"ref\": \"R1001\"}"), 0);
    assert_int_equal(store_commit(f->st), 0);
    /* Published after the commit that picked it. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 1), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, m, "patrol");
    assert_int_equal(outbox_inflight(o), 1);
    /* The broker's PUBACK. */
    for (int i = 0; i < 500 && outbox_inflight(o) > 0; i++)
        mqtt_round(m);
    assert_int_equal(outbox_inflight(o), 0);
    assert_true(outbox_has_acks(o));
    /* The turn that records it is rolled back. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 1), 0);
    store_rollback(f->st);
    outbox_forget(o);
    /* The next turn commits: the PUBACK is recorded, nothing is published again. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(outbox_prepare(o, &ctx, clock_now_ms(), 1), 0);
    assert_int_equal(store_commit(f->st), 0);
    outbox_publish(o, m, "patrol");
    int flying = outbox_inflight(o);
    int pending = pending_rows(f->st);
    outbox_free(o);
    mqtt_free(m);
    stop_broker(broker);
    assert_int_equal(pending, 0);  /* sent */
    assert_int_equal(flying, 0);   /* not published twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_curl_result_survives_a_failed_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slots_follow_the_partner_across_a_reload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_puback_survives_a_failed_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
