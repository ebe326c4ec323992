/* test_lifecycle.c: the alert lifecycle (gateway/lifecycle.c) against a real
 * store and a config file read by config_load: resends, escalation,
 * reminders, digests by hours and by rate, results (retry, dead-letter,
 * fallback), ACK rules, updates. Time is passed in (the tick's `now`), never
 * slept: the clock is injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "ingest.h"
#include "lifecycle.h"
#include "store.h"
#include "store_alerts.h"
#include "store_people.h"
#include "store_reports.h"
#include "tables.h"
#include "tmpstore.h"

#define MIN (60LL * 1000)
#ifndef SOURCE_DIR
#define SOURCE_DIR "."
#endif

static const char CONF[] =
    "[network.shopwatch]\n"
    "require_registration = no\n"
    "[smtp]\n"
    "url = smtp://127.0.0.1:2525\n"
    "from = patrolgw@example.org\n"
    "[sms]\n"
    "device = modem\n"
    "[partner.police]\n"
    "min_priority = P2\n"
    "resend_after = 5m\n"
    "escalate_after = 15m\n"
    "remind_after = 30m\n"
    "escalate_to = inspector@police.example 07700900555\n"
    "[partner.bcrp]\n"
    "min_priority = P4\n"
    "codes = ASB THEFT SUS VIO\n"
    "hours = Mon-Fri 09:00-17:00\n"
    "rate_limit = 2\n"
    "digest_every = 15m\n"
    "email = shops@bcrp.example\n"
    "chase = none\n"
    "[partner.council]\n"
    "min_priority = P4\n"
    "codes = DMG ENV\n"
    "mqtt = no\n"
    "webhook = https://council.example/hook\n"
    "webhook_secret_file = secret\n"
    "sms = 07700900777\n"
    "fallback = sms\n"
    "dead_after = 10m\n"
    "[partner.cctv]\n"
    "min_priority = P1\n"
    "codes = FIRE\n"
    "mqtt = no\n"
    "sms = 07700900888\n"
    "sms_alert_limit = 3\n";

typedef struct fixture {
    tmpstore t;
    char conf[160], secret[160];
    gw_config cfg;
    gw_tables tables;
    ingest_ctx ctx;
    int64_t pol1;
} fixture;

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
    return (int64_t)timegm(&tm) * 1000;
}

static int setup(void **state)
{
    char err[512];
    fixture *f = calloc(1, sizeof *f);
    if (!f || tmpstore_open(&f->t, "test_lifecycle"))
        return -1;
    setenv("TZ", "UTC", 1);
    tzset();
    snprintf(f->conf, sizeof f->conf, "%s/patrolgw.conf", f->t.dir);
    snprintf(f->secret, sizeof f->secret, "%s/secret", f->t.dir);
    FILE *c = fopen(f->conf, "w");
    FILE *s = fopen(f->secret, "w");
    /* The Herne Bay gazetteer of the source tree (PATROL_SOURCE, set by ctest). */
    const char *src = getenv("PATROL_SOURCE");
    if (!c || !s || fputs(CONF, c) < 0 || fputs("s3cret\n", s) < 0 ||
        fprintf(c, "[protocol]\ngazetteer = %s/docs/examples/hernebay/gazetteer.csv\n",
                src && src[0] ? src : SOURCE_DIR) < 0)
        return -1;
    fclose(c);
    fclose(s);
    if (config_load(f->conf, &f->cfg, err, sizeof err) || tables_load(&f->cfg, &f->tables, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    store_person p = { .active = 1 };
    snprintf(p.callsign, sizeof p.callsign, "POL1");
    snprintf(p.name, sizeof p.name, "PC One");
    snprintf(p.role, sizeof p.role, "partner");
    snprintf(p.partner, sizeof p.partner, "police");
    snprintf(p.phone, sizeof p.phone, "+447700900001");
    f->pol1 = store_person_add(f->t.st, &p, NULL, 0, err, sizeof err);
    if (f->pol1 <= 0)
        return -1;
    f->ctx = (ingest_ctx){ &f->cfg, &f->tables, f->t.st, NULL };
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tables_free(&f->tables);
    (void)unlink(f->conf);
    (void)unlink(f->secret);
    tmpstore_close(&f->t);
    free(f);
    return 0;
}

/* A radio report through ingest, in its own transaction; its ref. */
static int64_t report(fixture *f, const char *unit, const char *text, int64_t at)
{
    char sender[64];
    ingest_out o;
    snprintf(sender, sizeof sender, "shopwatch/%s", unit);
    ingest_in in = { .channel = "radio", .network = "shopwatch", .unit = unit, .sender = sender,
                     .payload = text, .payload_len = strlen(text), .text = text,
                     .text_len = strlen(text), .received_at = at };
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(ingest_message(&f->ctx, &in, &o), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_string_equal(o.outcome, "accepted");
    return o.ref;
}

static void tick(fixture *f, int64_t now, int64_t down_ms)
{
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(lc_tick(&f->ctx, now, down_ms), 0);
    assert_int_equal(store_commit(f->t.st), 0);
}

static long q_int(fixture *f, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3 *db;
    sqlite3_stmt *st;
    long v = -999;
    assert_int_equal(sqlite3_open_v2(f->t.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_escalation_ladder(void **state)
{
    fixture *f = *state;
    int64_t t0 = utc(2026, 11, 18, 11, 0); /* a Wednesday */
    int64_t ref = report(f, "u1", "RTC P1 HB03 car v cyclist", t0);
    /* police (P1-P2) on mqtt: one alert, chased from T0 */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND partner = 'police'",
                           (long long)ref), 1);
    assert_int_equal(q_int(f, "SELECT next_at FROM chases WHERE ref = %lld AND partner = 'police'",
                           (long long)ref), t0 + 5 * MIN);
    tick(f, t0 + 4 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'resend'"), 0);
    /* T1: resent, with a new id (a partner's de-duplication must not hide it) */
    tick(f, t0 + 5 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'resend' AND alert_id ="
                              " 'R%lld-police-r1' AND channel = 'mqtt'", (long long)ref), 1);
    tick(f, t0 + 6 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'resend'"), 1);
    tick(f, t0 + 10 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'resend'"), 2);
    /* T2: to the escalation contacts: e-mail and SMS, marked as escalation */
    tick(f, t0 + 15 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'escalation' AND"
                              " escalation = 1 AND channel IN ('email', 'sms')"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900555'"), 1);
    assert_int_equal(q_int(f, "SELECT escalated_at FROM chases WHERE ref = %lld", (long long)ref),
                     t0 + 15 * MIN);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = %lld AND kind IN"
                              " ('resent', 'escalated')", (long long)ref), 3);
    /* ACK: chase stops; undelivered rows and the pending SMS are cancelled */
    enum ingest_ack_status st;
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(ingest_ack(&f->ctx, ref, "police", "POL1", "dashboard", t0 + 16 * MIN, &st), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(st, INGEST_ACK_FIRST);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'police' AND state ="
                              " 'pending' AND kind <> 'notice'"), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE state = 'dropped' AND"
                              " last_error = 'acknowledged'"), 1);
    /* the reporter is told once, on its radio unit */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'notice' AND channel ="
                              " 'radio' AND target = 'shopwatch/u1'"), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM audit WHERE action = 'ack' AND actor = 'POL1'"), 1);
    tick(f, t0 + 25 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'resend'"), 2);
    /* T3 after the ACK: reminded, to the partner that acknowledged */
    tick(f, t0 + 46 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'reminder' AND partner ="
                              " 'police'"), 1);
    /* a second ACK: recorded, not re-announced */
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(ingest_ack(&f->ctx, ref, "police", "POL1", "sms", t0 + 47 * MIN, &st), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(st, INGEST_ACK_AGAIN);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'notice'"), 1);
    /* CLR: forwarded as an update; no more reminders */
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(lc_update(&f->ctx, ref, 1, "u1", "all clear", 9, t0 + 50 * MIN), 0);
    assert_int_equal(store_report_clear(f->t.st, ref, t0 + 50 * MIN), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'update' AND partner ="
                              " 'police' AND payload LIKE '%%\"update\":\"cleared\"%%'"), 1);
    tick(f, t0 + 200 * MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'reminder'"), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM chases WHERE next_at IS NOT NULL"), 0);
}

static void test_ack_rules(void **state)
{
    fixture *f = *state;
    int64_t t0 = utc(2026, 11, 18, 12, 0);
    int64_t ref = report(f, "u2", "DMG P3 HB12 bus shelter smashed", t0); /* council only */
    enum ingest_ack_status st;
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(ingest_ack(&f->ctx, ref, "police", "POL1", "mqtt", t0 + MIN, &st), 0);
    assert_int_equal(st, INGEST_ACK_NOT_ALERTED);
    assert_int_equal(ingest_ack(&f->ctx, 999999, "police", "POL1", "mqtt", t0 + MIN, &st), 0);
    assert_int_equal(st, INGEST_ACK_NO_REPORT);
    assert_int_equal(store_commit(f->t.st), 0);
    /* the refused one is in the audit trail, nothing changed */
    assert_int_equal(q_int(f, "SELECT count(*) FROM audit WHERE detail LIKE '%%rejected%%'"), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM chases WHERE acked_at IS NOT NULL AND ref = %lld",
                           (long long)ref), 0);
}

static void test_digest_outside_hours(void **state)
{
    fixture *f = *state;
    int64_t sat = utc(2026, 11, 21, 12, 0);
    int64_t mon9 = utc(2026, 11, 23, 9, 0);
    int64_t r1 = report(f, "u3", "ASB P3 HB12 youths on the roof", sat);
    int64_t r2 = report(f, "u3", "VIO P1 HB12 fight", sat + MIN);
    /* bcrp is closed: the P3 is held for Monday 09:00, the P1 goes now */
    assert_int_equal(q_int(f, "SELECT next_attempt_at FROM alerts WHERE ref = %lld AND partner ="
                              " 'bcrp' AND state = 'held'", (long long)r1), mon9);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND partner = 'bcrp'"
                              " AND state = 'pending'", (long long)r2), 2); /* mqtt, email */
    tick(f, mon9 - MIN, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'digest'"), 0);
    tick(f, mon9, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'digest' AND partner ="
                              " 'bcrp' AND state = 'pending'"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE state = 'digested' AND parent IN"
                              " (SELECT id FROM alerts WHERE kind = 'digest')"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'digest' AND payload LIKE"
                              " '%%\"count\":1%%'"), 2);
}

static void test_digest_over_rate(void **state)
{
    fixture *f = *state;
    int64_t t = utc(2026, 11, 18, 10, 1); /* a Wednesday, in hours */
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s HB12 number %d", i % 2 ? "SUS P3" : "THEFT P4", i);
        report(f, "u4", text, t + i * 1000);
    }
    /* two a minute go at once; the rest wait for the 10:15 digest */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'bcrp' AND kind ="
                              " 'alert' AND channel = 'mqtt' AND state = 'pending'"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'bcrp' AND state ="
                              " 'held' AND next_attempt_at = %lld", (long long)utc(2026, 11, 18, 10, 15)), 4);
    tick(f, utc(2026, 11, 18, 10, 15), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'digest' AND payload LIKE"
                              " '%%\"count\":2%%'"), 2);
}

/* A storm of P1s to a partner with a duty phone: sms_alert_limit SMS a
 * window, the others held (still alerted on the other channels, chased and
 * acknowledgeable) and sent as one digest SMS at the end of the window, which
 * counts towards the next window's cap. */
static void test_duty_phone_cap_folds_a_storm_into_a_digest(void **state)
{
    fixture *f = *state;
    int64_t t = utc(2026, 11, 18, 10, 1) + 5000;
    int64_t w1 = utc(2026, 11, 18, 10, 2), w2 = utc(2026, 11, 18, 10, 3);
    int64_t ref[8];
    for (int i = 0; i < 8; i++) {
        char text[64];
        snprintf(text, sizeof text, "FIRE P1 HB%02d bin fire %d", 1 + i, i);
        ref[i] = report(f, "u7", text, t + i * 1000);
    }
    /* three SMS go; five wait for the 10:02 digest */
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900888'"), 3);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'cctv' AND channel ="
                              " 'sms' AND state = 'held' AND next_attempt_at = %lld", (long long)w1), 5);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE partner = 'cctv' AND kind ="
                              " 'held' AND detail = 'sms'"), 5);
    /* every one is still chased and can be acknowledged */
    assert_int_equal(q_int(f, "SELECT count(*) FROM chases WHERE partner = 'cctv' AND next_at IS"
                              " NOT NULL"), 8);
    enum ingest_ack_status st;
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(ingest_ack(&f->ctx, ref[5], "cctv", "CCTV1", "dashboard", t + 20000, &st), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(st, INGEST_ACK_FIRST);
    assert_int_equal(q_int(f, "SELECT state = 'cancelled' FROM alerts WHERE ref = %lld AND"
                              " partner = 'cctv'", (long long)ref[5]), 1);
    tick(f, w1 - 1000, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'digest' AND partner = 'cctv'"), 0);
    tick(f, w1, 0);
    /* one digest SMS for the four still waiting, each listed */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE state = 'digested' AND parent ="
                              " (SELECT id FROM alerts WHERE kind = 'digest' AND partner = 'cctv')"), 4);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900888'"), 4);
    char like[256];
    snprintf(like, sizeof like, "DIGEST cctv 4 alerts: R%lld P1 FIRE HB04; R%lld P1 FIRE HB05;"
             " R%lld P1 FIRE HB07; R%lld P1 FIRE HB08", (long long)ref[3], (long long)ref[4],
             (long long)ref[6], (long long)ref[7]);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900888' AND"
                              " kind = 'alert' AND text = '%s' AND alert_row = (SELECT id FROM alerts"
                              " WHERE kind = 'digest' AND partner = 'cctv')", like), 1);
    /* the digest counts: three SMS already in this window, the next one waits */
    report(f, "u7", "FIRE P1 HB11 bin fire again", w1 + 1000);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'cctv' AND channel ="
                              " 'sms' AND state = 'held' AND next_attempt_at = %lld", (long long)w2), 1);
    /* a quiet window later, an alert goes at once again */
    report(f, "u7", "FIRE P1 HB12 bin fire later", w2 + 2 * MIN);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900888'"), 5);
}

static void test_results_and_fallback(void **state)
{
    fixture *f = *state;
    int64_t t0 = utc(2026, 11, 18, 13, 0);
    int64_t r1 = report(f, "u5", "DMG P3 HB12 bus shelter", t0);
    int64_t r2 = report(f, "u5", "ENV P4 HB12 fly tipping", t0 + 1000);
    long row1 = q_int(f, "SELECT id FROM alerts WHERE ref = %lld AND channel = 'webhook'", (long long)r1);
    long row2 = q_int(f, "SELECT id FROM alerts WHERE ref = %lld AND channel = 'webhook'", (long long)r2);
    assert_true(row1 > 0 && row2 > 0);
    /* council's duty phone is fallback only: no SMS yet */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'council' AND channel = 'sms'"), 0);
    dlv_result res = { .row = row1, .outcome = DLV_RETRY, .code = 500 };
    snprintf(res.error, sizeof res.error, "HTTP 500");
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_alert_attempt(f->t.st, row1, t0 + 10 * MIN), 0);
    assert_int_equal(lc_result(&f->ctx, &res, t0 + 2000), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    long next = q_int(f, "SELECT next_attempt_at FROM alerts WHERE id = %ld AND state = 'pending'"
                         " AND attempts = 1 AND last_error = 'HTTP 500' AND code = 500", row1);
    /* first retry after [retry_ms * 3/4, retry_ms] (jitter) */
    assert_true(next >= t0 + 2000 + 3750 && next <= t0 + 2000 + 5000);
    /* still failing after dead_after: dead-lettered, falls back to the duty phone */
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(lc_result(&f->ctx, &res, t0 + 10 * MIN), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE id = %ld AND state = 'failed' AND"
                              " dead_at = %lld", row1, (long long)(t0 + 10 * MIN)), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND channel = 'sms' AND"
                              " kind = 'fallback' AND parent = %ld", (long long)r1, row1), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM sms_out WHERE to_number = '+447700900777' AND"
                              " ref = %lld", (long long)r1), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = %lld AND kind IN"
                              " ('failed', 'fallback')", (long long)r1), 2);
    /* a 4xx: dead at once */
    res.row = row2;
    res.outcome = DLV_PERMANENT;
    res.code = 400;
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(lc_result(&f->ctx, &res, t0 + 3000), 0);
    /* a result for a row no longer pending changes nothing */
    res.outcome = DLV_OK;
    assert_int_equal(lc_result(&f->ctx, &res, t0 + 4000), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE id = %ld AND state = 'failed'", row2), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND kind = 'fallback'",
                           (long long)r2), 1);
}

static void test_broker_away(void **state)
{
    fixture *f = *state;
    int64_t t0 = utc(2026, 11, 18, 14, 0);
    int64_t ref = report(f, "u6", "RTC P2 HB03 minor shunt", t0);
    /* away for less than dead_after (15 min default): nothing happens */
    tick(f, t0 + 20 * MIN, 5 * MIN);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND state = 'failed'",
                           (long long)ref), 0);
    tick(f, t0 + 20 * MIN, 16 * MIN);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE ref = %lld AND partner = 'police'"
                              " AND kind = 'alert' AND state = 'failed'", (long long)ref), 1);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(lc_backoff_ms(1, 5000, 300000, 0), 5000);
    assert_int_equal(lc_backoff_ms(2, 5000, 300000, 0), 10000);
    assert_int_equal(lc_backoff_ms(4, 5000, 300000, 0), 40000);
    assert_int_equal(lc_backoff_ms(30, 5000, 300000, 0), 300000);
    assert_int_equal(lc_backoff_ms(1, 5000, 300000, 1), 3750);
    assert_int_equal(lc_backoff_ms(0, 5000, 300000, 0.5), 4375);
}

static void test_hours_windows(void **state)
{
    fixture *f = *state;
    const cfg_partner *b = config_partner(&f->cfg, "bcrp");
    assert_non_null(b);
    assert_true(config_in_hours(b, utc(2026, 11, 18, 9, 0)));
    assert_false(config_in_hours(b, utc(2026, 11, 18, 17, 0)));
    assert_false(config_in_hours(b, utc(2026, 11, 22, 12, 0))); /* Sunday */
    assert_int_equal(config_hours_start(b, utc(2026, 11, 20, 18, 0)), utc(2026, 11, 23, 9, 0));
    cfg_partner night = *b;
    night.nhours = 1;
    night.hours[0] = (cfg_window){ 1u << 4, 22 * 60, 6 * 60 }; /* Fri 22:00 - Sat 06:00 */
    assert_true(config_in_hours(&night, utc(2026, 11, 20, 23, 0)));
    assert_true(config_in_hours(&night, utc(2026, 11, 21, 5, 59)));
    assert_false(config_in_hours(&night, utc(2026, 11, 21, 6, 0)));
    assert_false(config_in_hours(&night, utc(2026, 11, 19, 23, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escalation_ladder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_outside_hours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_over_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duty_phone_cap_folds_a_storm_into_a_digest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_results_and_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_away, setup, teardown),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test_setup_teardown(test_hours_windows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
