/* test_sms.c: the SMS channel's core side (sms.c) around a real modem thread
 * on libgammu's dummy driver (a folder) and a real SQLite store: what a turn
 * whose commit fails keeps for the next one. */
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

#include <cmocka.h>
#include <sqlite3.h>

#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "sms.h"
#include "store.h"
#include "store_sms.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    char modem[128];
    gw_config *cfg;
    store *st;
} fixture;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256], p[256], conf[512];
    if (!f || !(f->cfg = calloc(1, sizeof *f->cfg)))
        goto fail;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_sms.XXXXXX");
    if (!mkdtemp(f->dir))
        goto fail;
    snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
    snprintf(f->modem, sizeof f->modem, "%s/modem", f->dir);
    if (mkdir(f->modem, 0700) != 0)
        goto fail;
    snprintf(p, sizeof p, "%s/sms", f->modem);
    if (mkdir(p, 0700) != 0)
        goto fail;
    for (int i = 1; i <= 5; i++) {
        snprintf(p, sizeof p, "%s/sms/%d", f->modem, i);
        if (mkdir(p, 0700) != 0)
            goto fail;
    }
    snprintf(p, sizeof p, "%s/gw.conf", f->dir);
    snprintf(conf, sizeof conf,
             "[sms]\nmodel = dummy\nconnection = none\ndevice = %s\npoll_ms = 50\n"
             "retry_ms = 100\nretry_max_ms = 1000\nsend_per_minute = 600\n", f->modem);
    FILE *fp = fopen(p, "w");
    if (!fp)
        goto fail;
    fputs(conf, fp);
    fclose(fp);
    if (config_load(p, f->cfg, err, sizeof err))
        goto fail;
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
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

static long sent_rows(store *st)
{
    return store_sms_out_sent_since(st, 0);
}

/* One turn as gateway.c runs it; commit 0 plays a failed commit (rollback). */
static void turn(sms_channel *c, const ingest_ctx *ctx, int commit)
{
    assert_int_equal(store_begin(ctx->st), 0);
    int rc = sms_prepare(c, ctx, clock_now_ms());
    if (rc == 0 && commit && store_commit(ctx->st) == 0) {
        sms_after_commit(c);
        return;
    }
    store_rollback(ctx->st);
    sms_forget(c);
}

/* The modem sent an SMS and said so; the turn that records it fails to
 * commit. The result must be recorded again at the next turn, not lost: the
 * SMS is sent once, not picked and sent again. */
static void test_send_result_survives_a_failed_commit(void **state)
{
    fixture *f = *state;
    gw_tables t = { NULL, NULL };
    ingest_ctx ctx = { .cfg = f->cfg, .tables = &t, .st = f->st };
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "+447700900123");
    o.text = "OK R1001 ASB P3 HB03";
    snprintf(o.coding, sizeof o.coding, "gsm7");
    snprintf(o.kind, sizeof o.kind, "reply");
    o.created_at = clock_now_ms();
    assert_int_equal(store_begin(f->st), 0);
    int64_t id = store_sms_out_add(f->st, &o);
    assert_true(id > 0);
    assert_int_equal(store_commit(f->st), 0);

    char err[256];
    sms_channel *c = sms_new(f->cfg, err, sizeof err);
    assert_non_null(c);
    /* Turns until one records the send; that one does not commit. */
    int failed = 0;
    for (int i = 0; i < 500 && !failed; i++) {
        assert_int_equal(store_begin(f->st), 0);
        assert_int_equal(sms_prepare(c, &ctx, clock_now_ms()), 0);
        if (sent_rows(f->st) == 1) {
            store_rollback(f->st);
            sms_forget(c);
            failed = 1;
            break;
        }
        assert_int_equal(store_commit(f->st), 0);
        sms_after_commit(c);
        sleep_ms(10);
    }
    assert_true(failed);
    assert_int_equal(sent_rows(f->st), 0); /* rolled back */
    /* The next turns commit; long enough for a second send to come back. */
    for (int i = 0; i < 60; i++) {
        turn(c, &ctx, 1);
        sleep_ms(20);
    }
    sms_stats ss;
    sms_get_stats(c, &ss);
    sms_free(c);
    assert_int_equal(sent_rows(f->st), 1);
    assert_int_equal(ss.sent, 1); /* one result from the modem: sent once */
    assert_int_equal(ss.send_failures, 0);
}

/* One number of the store, read on a connection of its own. */
static long q_long(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long v = -1;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t queue_one(store *st, const char *to, const char *kind, const char *text)
{
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "%s", to);
    o.text = text;
    snprintf(o.coding, sizeof o.coding, "gsm7");
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    o.created_at = clock_now_ms();
    return store_sms_out_add(st, &o);
}

/* A storm of duty-phone alerts is queued, then an operative's reply: the
 * reply goes to the modem ahead of them, behind at most the two alerts
 * already handed over (the modem sends in order). */
static void test_reply_goes_ahead_of_queued_alerts(void **state)
{
    fixture *f = *state;
    gw_tables t = { NULL, NULL };
    ingest_ctx ctx = { .cfg = f->cfg, .tables = &t, .st = f->st };
    assert_int_equal(store_begin(f->st), 0);
    for (int i = 0; i < 30; i++)
        assert_true(queue_one(f->st, "+447700900999", "alert", "P1 RTC HB03 R1001. Reply ACK 1001") > 0);
    assert_true(queue_one(f->st, "+447700900123", "reply", "OK R1031 ASB P3 HB03") > 0);
    assert_int_equal(store_commit(f->st), 0);

    char err[256];
    sms_channel *c = sms_new(f->cfg, err, sizeof err);
    assert_non_null(c);
    long alerts_before = -1;
    for (int i = 0; i < 300 && alerts_before < 0; i++) {
        turn(c, &ctx, 1);
        if (q_long(f, "SELECT count(*) FROM sms_out WHERE kind = 'reply' AND state = 'sent'") == 1)
            alerts_before = q_long(f, "SELECT count(*) FROM sms_out WHERE kind = 'alert'"
                                      " AND state = 'sent'");
        sleep_ms(10);
    }
    sms_free(c);
    assert_true(alerts_before >= 0);  /* the reply was sent */
    assert_true(alerts_before <= 2);  /* with 28 alerts or more still waiting */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_send_result_survives_a_failed_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_goes_ahead_of_queued_alerts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
