/* test_retention.c: patrolctl purge's policy (gateway/retention.c) and the
 * pseudonymisation of removed people (store_person_remove), on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "alert_add.h"
#include "audit.h"
#include "config.h"
#include "retention.h"
#include "store.h"
#include "store_alerts.h"
#include "store_int.h"
#include "store_journal.h"
#include "store_people.h"
#include "store_reports.h"
#include "tmpstore.h"

#define NOW 1790000000000LL
#define DAY RETENTION_DAY_MS

typedef struct fixture {
    tmpstore t;
    gw_config cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (tmpstore_open(&f->t, "test_retention")) {
        free(f);
        return -1;
    }
    config_defaults(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpstore_close(&f->t);
    free(f);
    return 0;
}

/* One report with its message and an UPD event, received `age_days` ago, by
 * `sender` (a phone number for SMS, network/unit for radio). */
static int64_t add_traffic(fixture *f, int age_days, const char *channel, const char *sender,
                           const char *reporter)
{
    int64_t at = NOW - age_days * DAY;
    static const char text[] = "ASB HB12 youths throwing bottles";
    store_report r = { .code = "ASB", .priority = 3, .location = "HB12", .zone = "HB12",
                       .details = "youths throwing bottles", .details_len = 23,
                       .reporter = reporter, .channel = channel, .received_at = at };
    assert_int_equal(store_begin(f->t.st), 0);
    int64_t ref = store_report_add(f->t.st, &r);
    assert_true(ref > 0);
    store_message m = { .channel = channel, .sender = sender, .payload = text,
                        .payload_len = sizeof text - 1, .text = text, .text_len = sizeof text - 1,
                        .received_at = at, .outcome = "accepted", .reply = "OK", .ref = ref };
    assert_true(store_message_add(f->t.st, &m) > 0);
    assert_int_equal(store_event_add(f->t.st, ref, at, "update", NULL, reporter, "now calm", 8), 0);
    assert_int_equal(store_event_add(f->t.st, ref, at, "received", NULL, reporter, NULL, 0), 0);
    char aid[32];
    snprintf(aid, sizeof aid, "R%lld-police", (long long)ref);
    assert_int_equal(test_alert_add(f->t.st, aid, ref, "police", "mqtt", at, "{\"details\":\"x\"}"), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    return ref;
}

static long count(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    assert_int_equal(sqlite3_open_v2(f->t.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void add_all(fixture *f)
{
    /* 400 and 40 days: details and phones go; 10 days: only the phone; 2 days:
     * nothing; radio: never a phone. */
    static const int ages[] = { 400, 40, 10, 2 };
    for (int i = 0; i < 4; i++) {
        add_traffic(f, ages[i], "sms", "+447700900001", "+447700900001");
        add_traffic(f, ages[i], "radio", "shopwatch/r7", "BRAVO1");
    }
}

static void test_purge_erases_what_the_policy_says(void **state)
{
    fixture *f = *state;
    retention_result r;
    add_all(f);
    f->cfg.retention_details_days = 30;
    f->cfg.retention_phone_days = 7;
    long reports = count(f, "SELECT count(*) FROM reports");
    long messages = count(f, "SELECT count(*) FROM messages");

    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 1, &r), 0);
    assert_int_equal(r.details_before, NOW - 30 * DAY);
    assert_int_equal(r.phones_before, NOW - 7 * DAY);
    assert_int_equal(r.counts.report_details, 4);   /* 400 and 40 days, sms and radio */
    assert_int_equal(r.counts.message_texts, 4);
    assert_int_equal(r.counts.event_details, 4);    /* the UPDs, not the received events */
    assert_int_equal(r.counts.message_phones, 3);   /* sms at 400, 40, 10 days */
    assert_int_equal(r.counts.report_phones, 3);
    assert_int_equal(r.counts.alert_payloads, 0);   /* still pending: never erased */
    assert_int_equal(r.total, 18);
    assert_int_equal(r.audit_id, 0);
    /* A dry run changes nothing and writes no audit row. */
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE details = ''"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 0);

    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 0, &r), 0);
    assert_int_equal(r.total, 18);
    assert_true(r.audit_id > 0);
    /* Counts kept. */
    assert_int_equal(count(f, "SELECT count(*) FROM reports"), reports);
    assert_int_equal(count(f, "SELECT count(*) FROM messages"), messages);
    /* Erased: exactly the old ones. */
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE details = ''"), 4);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM reports WHERE details = '' AND received_at >= %lld",
             (long long)(NOW - 30 * DAY));
    assert_int_equal(count(f, sql), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE text IS NULL"
                              " AND length(payload) = 0"), 4);
    assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE sender IS NULL"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE sender = '+447700900001'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM messages WHERE sender = 'shopwatch/r7'"), 4);
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE reporter = 'erased'"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE reporter = 'BRAVO1'"), 4);
    assert_int_equal(count(f, "SELECT count(*) FROM report_events WHERE kind = 'update'"
                              " AND detail IS NULL"), 4);
    assert_int_equal(count(f, "SELECT count(*) FROM report_events WHERE kind = 'received'"), 8);
    /* Audited, and the chain verifies. */
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'purge' AND actor = 'dpo'"
                              " AND detail LIKE '%report_details=4%message_phones=3%'"), 1);
    audit_check chk;
    assert_int_equal(audit_verify(f->t.st, &chk), 0);
    /* Nothing is left for a second purge (still audited): "purge started"
     * and "purge" for the first, "purge" alone for the second. */
    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 0, &r), 0);
    assert_int_equal(r.total, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'purge started'"), 1);
}

static int on_commit(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

/* A long purge commits in short batches (the core waits for the write lock
 * only briefly, and must take its turns in between). */
static void test_a_long_purge_commits_in_batches(void **state)
{
    fixture *f = *state;
    retention_result r;
    int n = RETENTION_BATCH * 2 + 100, commits = 0;
    for (int i = 0; i < n; i++)
        add_traffic(f, 400, "radio", "shopwatch/r7", "BRAVO1");
    f->cfg.retention_details_days = 30;
    f->cfg.retention_phone_days = 0;
    (void)sqlite3_commit_hook(f->t.st->db, on_commit, &commits);
    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 0, &r), 0);
    (void)sqlite3_commit_hook(f->t.st->db, NULL, NULL);
    assert_int_equal(r.counts.report_details, n);
    assert_int_equal(r.counts.message_texts, n);
    assert_true(commits >= 3);
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE details <> ''"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'purge'"
                              " AND detail LIKE '%report_details=1100 %'"), 1);
    audit_check chk;
    assert_int_equal(audit_verify(f->t.st, &chk), 0);
}

static void test_delivered_alert_payloads_are_erased(void **state)
{
    fixture *f = *state;
    retention_result r;
    add_traffic(f, 100, "radio", "shopwatch/r7", "BRAVO1");
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_alert_sent(f->t.st, 1, NOW - 100 * DAY), 0);
    assert_int_equal(store_commit(f->t.st), 0);
    f->cfg.retention_details_days = 30;
    f->cfg.retention_phone_days = 0;
    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 0, &r), 0);
    assert_int_equal(r.counts.alert_payloads, 1);
    assert_int_equal(r.phones_before, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM alerts WHERE payload = '{}'"), 1);
}

static void test_zero_days_keeps_everything(void **state)
{
    fixture *f = *state;
    retention_result r;
    add_all(f);
    f->cfg.retention_details_days = 0;
    f->cfg.retention_phone_days = 0;
    assert_int_equal(retention_purge(f->t.st, &f->cfg, NOW, "dpo", 0, &r), 0);
    assert_int_equal(r.total, 0);
    assert_int_equal(r.details_before, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE details = ''"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'purge'"), 1);
}

static void test_defaults(void **state)
{
    (void)state;
    gw_config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.retention_details_days, 365);
    assert_int_equal(cfg.retention_phone_days, 90);
}

static void test_person_update_and_remove(void **state)
{
    fixture *f = *state;
    char err[256], ps[40];
    store_person p = { 0 };
    snprintf(p.callsign, sizeof p.callsign, "BRAVO1");
    snprintf(p.name, sizeof p.name, "Sam Taylor");
    snprintf(p.role, sizeof p.role, "operative");
    snprintf(p.phone, sizeof p.phone, "+447700900001");
    p.active = 1;
    const char *units[] = { "shopwatch/r7" };
    int64_t id = store_person_add(f->t.st, &p, units, 1, err, sizeof err);
    assert_true(id > 0);
    add_traffic(f, 1, "radio", "shopwatch/r7", "BRAVO1");

    snprintf(p.name, sizeof p.name, "Sam Reed");
    const char *units2[] = { "shopwatch/r8", "pubwatch/p1" };
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_person_update(f->t.st, "BRAVO1", &p, units2, 2, err, sizeof err), 1);
    assert_int_equal(store_person_update(f->t.st, "NOSUCH", &p, NULL, -1, err, sizeof err), 0);
    const char *bad[] = { "nounit" };
    assert_int_equal(store_person_update(f->t.st, "BRAVO1", &p, bad, 1, err, sizeof err), -1);
    store_rollback(f->t.st);
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_person_update(f->t.st, "BRAVO1", &p, units2, 2, err, sizeof err), 1);
    assert_int_equal(store_commit(f->t.st), 0);
    store_person q;
    assert_int_equal(store_person_by_unit(f->t.st, "pubwatch", "p1", &q), 1);
    assert_string_equal(q.name, "Sam Reed");
    assert_int_equal(store_person_by_unit(f->t.st, "shopwatch", "r7", &q), 0);

    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_person_remove(f->t.st, "BRAVO1", NOW, ps, sizeof ps), 1);
    assert_int_equal(store_commit(f->t.st), 0);
    char want[40];
    snprintf(want, sizeof want, "removed-%lld", (long long)id);
    assert_string_equal(ps, want);
    assert_int_equal(store_person_by_callsign(f->t.st, "BRAVO1", &q), 0);
    assert_int_equal(store_person_by_callsign(f->t.st, want, &q), 1);
    assert_string_equal(q.name, want);
    assert_string_equal(q.phone, "");
    assert_int_equal(q.active, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM radio_units"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE reporter LIKE 'removed-%'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM report_events WHERE by = 'BRAVO1'"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM people WHERE removed_at IS NOT NULL"), 1);
    /* Removed once: not again, not editable. */
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(store_person_remove(f->t.st, want, NOW, ps, sizeof ps), 0);
    assert_int_equal(store_person_update(f->t.st, want, &p, NULL, -1, err, sizeof err), 0);
    store_rollback(f->t.st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_purge_erases_what_the_policy_says),
        T(test_delivered_alert_payloads_are_erased),
        T(test_a_long_purge_commits_in_batches),
        T(test_zero_days_keeps_everything),
        cmocka_unit_test(test_defaults),
        T(test_person_update_and_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
