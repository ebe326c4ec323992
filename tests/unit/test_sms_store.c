/* test_sms_store.c: the SMS channel's config keys (config.c [sms], [partner.*] sms)
 * and its store functions (store_sms.c: sms_parts, sms_out) on a real SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert_add.h"
#include "config.h"
#include "store.h"
#include "store_alerts.h"
#include "store_sms.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_sms_store.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
    if (!f->st)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal", ".conf" };
    char p[192];
    store_close(f->st);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
        (void)unlink(p);
    }
    (void)rmdir(f->dir);
    free(f);
    return 0;
}

static int load(fixture *f, const char *text, gw_config *cfg, char *err, size_t errsz)
{
    char p[192];
    snprintf(p, sizeof p, "%s.conf", f->path);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return config_load(p, cfg, err, errsz);
}

static void test_config_sms(void **state)
{
    fixture *f = *state;
    gw_config *cfg = calloc(1, sizeof *cfg);
    char err[512];
    assert_non_null(cfg);
    /* No [sms]: no channel. */
    assert_int_equal(load(f, "[gateway]\nlog_level = info\n", cfg, err, sizeof err), 0);
    assert_int_equal(cfg->sms.enabled, 0);
    /* Every key; national numbers after the fact with country_code. */
    assert_int_equal(load(f, "[partner.police]\nsms = 07700900999, +353861234567\n"
                             "[sms]\ndevice = modem\nconnection = none\nmodel = dummy\n"
                             "country_code = 44\npoll_ms = 50\nsend_per_minute = 3\n"
                             "retry_ms = 100\nretry_max_ms = 1000\ngive_up_after = 60\n"
                             "reply_limit = 2\nreply_window = 30\nmultipart_timeout = 5\n"
                             "delivery_reports = no\ndeny = 07700900777 +447700900778\n",
                         cfg, err, sizeof err), 0);
    assert_int_equal(cfg->sms.enabled, 1);
    assert_non_null(strstr(cfg->sms.device, "/modem"));
    assert_string_equal(cfg->sms.model, "dummy");
    assert_int_equal(cfg->sms.poll_ms, 50);
    assert_int_equal(cfg->sms.send_per_minute, 3);
    assert_int_equal(cfg->sms.give_up_after_s, 60);
    assert_int_equal(cfg->sms.reply_limit, 2);
    assert_int_equal(cfg->sms.multipart_timeout_s, 5);
    assert_int_equal(cfg->sms.delivery_reports, 0);
    assert_int_equal(cfg->partners[0].nsms, 2);
    assert_string_equal(cfg->partners[0].sms[0], "+447700900999");
    assert_string_equal(cfg->partners[0].sms[1], "+353861234567");
    assert_int_equal(cfg->sms.ndeny, 2);
    assert_int_equal(config_sms_denied(cfg, "+447700900777"), 1);
    assert_int_equal(config_sms_denied(cfg, "+447700900123"), 0);
    /* Errors name the key. */
    static const struct { const char *text, *want; } bad[] = {
        { "[sms]\nconnection = at\n", "needs device or gammurc" },
        { "[sms]\ndevice = /dev/x\npoll_ms = 5\n", "poll_ms" },
        { "[sms]\ndevice = /dev/x\ncountry_code = 044\n", "country_code" },
        { "[sms]\ndevice = /dev/x\nfoo = 1\n", "unknown key foo" },
        { "[sms]\ndevice = /dev/x\ndeny = 123\n", "deny: not a phone number" },
        { "[partner.p]\nsms = 07700 900999\n", "[partner.p] sms: not a phone number" },
        { "[sms]\ndevice = /dev/x\ndelivery_reports = maybe\n", "delivery_reports" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (load(f, bad[i].text, cfg, err, sizeof err) != -1 || !strstr(err, bad[i].want))
            fail_msg("case %zu: want an error with '%s', got '%s'", i, bad[i].want, err);
    }
    free(cfg);
}

typedef struct seen {
    int n;
    int parts[8];
    char texts[8][32];
    int64_t ids[8];
    char states[8][16];
} seen;

static void on_part(void *arg, const store_sms_part *p)
{
    seen *s = arg;
    s->parts[s->n] = p->part;
    snprintf(s->texts[s->n], sizeof s->texts[s->n], "%s", p->text);
    s->n++;
}

static store_sms_part part(const char *sender, int ref, int n, int total, int64_t smsc,
                           const char *text, int loc)
{
    store_sms_part p = { 0, sender, ref, n, total, smsc, 1, loc, "gsm7", text, strlen(text), 1000 };
    return p;
}

static void test_parts(void **state)
{
    fixture *f = *state;
    int64_t ex = -1, mid = -1;
    store_sms_part p2 = part("+447700900123", 7, 2, 2, 5000, "world", 10002);
    store_sms_part p1 = part("+447700900123", 7, 1, 2, 4000, "hello ", 10001);
    assert_int_equal(store_begin(f->st), 0);
    int64_t id2 = store_sms_part_add(f->st, &p2, &ex, &mid);
    assert_true(id2 > 0);
    /* The same part read again: the same row, still waiting; its location follows. */
    p2.location = 10005;
    assert_int_equal(store_sms_part_add(f->st, &p2, &ex, &mid), 0);
    assert_int_equal(ex, id2);
    assert_int_equal(mid, 0);
    /* Another text in the same second is another part. */
    store_sms_part other = part("+447700900123", 7, 2, 2, 5000, "other", 10003);
    assert_true(store_sms_part_add(f->st, &other, &ex, &mid) > 0);
    assert_true(store_sms_part_add(f->st, &p1, &ex, &mid) > 0);
    seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_parts_each(f->st, "+447700900123", 7, 2, 0, on_part, &s), 3);
    assert_int_equal(s.parts[0], 1);
    assert_string_equal(s.texts[0], "hello ");
    /* Expired: the group whose first part arrived at or before `before`. */
    int n = store_sms_parts_expired(f->st, 999, 10, NULL, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(store_sms_parts_done(f->st, "+447700900123", 7, 2, 42), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_parts_each(f->st, "+447700900123", 7, 2, 0, on_part, &s), 0);
    assert_int_equal(store_sms_parts_each(f->st, NULL, 0, 0, 42, on_part, &s), 3);
    assert_int_equal(store_sms_part_add(f->st, &p1, &ex, &mid), 0);
    assert_int_equal(mid, 42);
    assert_int_equal(store_commit(f->st), 0);
}

static void on_out(void *arg, const store_sms_out *o)
{
    seen *s = arg;
    s->ids[s->n] = o->id;
    snprintf(s->texts[s->n], sizeof s->texts[s->n], "%s", o->text);
    s->n++;
}

static int64_t out(store *st, const char *to, const char *kind, const char *state, int64_t at)
{
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "%s", to);
    o.text = "OK R1001 ASB P3 HB03";
    snprintf(o.coding, sizeof o.coding, "gsm7");
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    o.state = state;
    o.created_at = at;
    return store_sms_out_add(st, &o);
}

static void test_send_queue(void **state)
{
    fixture *f = *state;
    const char *a = "+447700900123", *b = "+447700900124";
    assert_int_equal(store_begin(f->st), 0);
    int64_t r1 = out(f->st, a, "reply", NULL, 1000);
    int64_t r2 = out(f->st, a, "reply", NULL, 2000);
    assert_true(out(f->st, a, "reply", "dropped", 3000) > 0);
    int64_t r3 = out(f->st, b, "alert", NULL, 4000);
    /* The per-number reply count: dropped ones and alerts do not count. */
    assert_int_equal(store_sms_out_replies_to(f->st, a, 0), 2);
    assert_int_equal(store_sms_out_replies_to(f->st, a, 1500), 1);
    assert_int_equal(store_sms_out_replies_to(f->st, b, 0), 0);
    /* Due in queue order, in-flight ones skipped, at most limit. */
    seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, NULL, 8, &r1, 1, on_out, &s), 2);
    assert_int_equal(s.ids[0], r2);
    assert_int_equal(s.ids[1], r3);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, NULL, 1, NULL, 0, on_out, &s), 1);
    assert_int_equal(s.ids[0], r1);
    /* A failed attempt moves it later; a success counts in the modem's rate. */
    assert_int_equal(store_sms_out_result(f->st, r1, 0, 0, "modem not connected", 5000, 9000), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, NULL, 8, NULL, 0, on_out, &s), 2);
    assert_int_equal(store_sms_out_result(f->st, r2, 1, 77, NULL, 6000, 0), 0);
    assert_int_equal(store_sms_out_sent_since(f->st, 5000), 1);
    assert_int_equal(store_sms_out_sent_since(f->st, 6001), 0);
    /* Delivery report by number and reference. */
    assert_int_equal(store_sms_out_delivery(f->st, a, 77, "delivered", 7000), 1);
    assert_int_equal(store_sms_out_delivery(f->st, a, 78, "delivered", 7000), 0);
    /* Give up: what was created at or before `before` and is still pending. */
    assert_int_equal(store_sms_out_give_up(f->st, 1000, 8000), 1);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 100000, NULL, 8, NULL, 0, on_out, &s), 1);
    assert_int_equal(s.ids[0], r3);
    assert_int_equal(store_commit(f->st), 0);
}

/* Replies before alerts, whatever came first; a kind picks only that kind. */
static void test_replies_before_alerts(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_begin(f->st), 0);
    int64_t a1 = out(f->st, "+447700900999", "alert", NULL, 1000);
    int64_t a2 = out(f->st, "+447700900999", "alert", NULL, 1001);
    int64_t r1 = out(f->st, "+447700900123", "reply", NULL, 1002);
    int64_t r2 = out(f->st, "+447700900124", "reply", NULL, 1003);
    seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, NULL, 3, NULL, 0, on_out, &s), 3);
    assert_int_equal(s.ids[0], r1);
    assert_int_equal(s.ids[1], r2);
    assert_int_equal(s.ids[2], a1);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, "alert", 8, &a1, 1, on_out, &s), 1);
    assert_int_equal(s.ids[0], a2);
    memset(&s, 0, sizeof s);
    assert_int_equal(store_sms_out_due(f->st, 5000, "reply", 8, NULL, 0, on_out, &s), 2);
    assert_int_equal(s.ids[0], r1);
    assert_int_equal(store_commit(f->st), 0);
}

static void test_alert_row(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(test_alert_add(f->st, "R1001-police", 1001, "police", "sms", 1000, "P1 ..."),
                     0);
    int64_t row = store_alert_row(f->st, "R1001-police", "sms");
    assert_true(row > 0);
    assert_int_equal(store_alert_row(f->st, "R1001-police", "mqtt"), 0);
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "+447700900999");
    o.text = "P1 ...";
    snprintf(o.coding, sizeof o.coding, "gsm7");
    snprintf(o.kind, sizeof o.kind, "alert");
    o.alert_row = row;
    o.created_at = 1000;
    int64_t id = store_sms_out_add(f->st, &o);
    assert_true(id > 0);
    /* Sent: the alert row is sent too. */
    assert_int_equal(store_sms_out_result(f->st, id, 1, 5, NULL, 2000, 0), 0);
    assert_int_equal(store_alerts_pending(f->st), 0);
    assert_int_equal(store_commit(f->st), 0);
}

/* On a store error the SMS store functions return -1, as every store
 * function does (they returned 1). A read-only store refuses the writes. */
static void test_errors_are_minus_one(void **state)
{
    fixture *f = *state;
    char err[256];
    assert_int_equal(store_begin(f->st), 0);
    int64_t id = out(f->st, "+447700900123", "reply", NULL, 1000);
    assert_true(id > 0);
    assert_int_equal(store_commit(f->st), 0);
    store *ro = store_open(f->path, STORE_RO, 0, err, sizeof err);
    assert_non_null(ro);
    assert_int_equal(store_sms_out_result(ro, id, 1, 5, NULL, 2000, 0), -1);
    assert_int_equal(store_sms_out_result(ro, id, 0, 0, "no network", 2000, 3000), -1);
    assert_int_equal(store_sms_parts_done(ro, "+447700900123", 7, 2, 1), -1);
    store_close(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_sms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replies_before_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_are_minus_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
