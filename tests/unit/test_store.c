/* test_store.c: the SQLite store (gateway/store*.c), each test on a fresh store in a temp dir. */
#include <dirent.h>
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
#include "store.h"
#include "store_alerts.h"
#include "store_journal.h"
#include "store_people.h"
#include "store_reports.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    store *st;
} fixture;

static void remove_store_files(const fixture *f)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char p[192];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
        (void)unlink(p);
    }
}

static int setup(void **state)
{
    char err[256];
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/patrolgw.db", f->dir);
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
    if (!f->st) {
        fprintf(stderr, "store_open: %s\n", err);
        (void)rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->st);
    remove_store_files(f);
    (void)rmdir(f->dir);
    free(f);
    return 0;
}

/* A second connection, to look at (and tamper with) what the store wrote. */
static sqlite3 *db_open(const fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", msg ? msg : "?");
        sqlite3_free(msg);
        fail_msg("%s: %s", sql, copy);
    }
}

/* The first column of the first row of sql, as an integer (-999 for NULL, -1000 for no row). */
static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1000;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -999 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row of sql as text into out ("<null>" / "<none>"). */
static void db_text(sqlite3 *db, const char *sql, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, outsz, "%s", t ? (const char *)t : "<null>");
    } else {
        snprintf(out, outsz, "<none>");
    }
    sqlite3_finalize(st);
}

static int64_t add_report(store *s, const char *code, const char *reporter, int64_t at)
{
    store_report r = {
        .code = code,
        .priority = 3,
        .location = "HB12",
        .zone = "HB12",
        .details = "youths",
        .details_len = 6,
        .reporter = reporter,
        .channel = "radio",
        .received_at = at,
    };
    return store_report_add(s, &r);
}

static void test_open_schema(void **state)
{
    fixture *f = *state;
    sqlite3 *db = db_open(f);
    char mode[32];
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    db_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    static const char *const tables[] = { "people", "radio_units", "reports", "messages",
                                          "report_events", "alerts", "shifts", "audit",
                                          "gateway_status", "sms_parts", "sms_out" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
                 tables[i]);
        assert_int_equal(db_int(db, sql), 1);
    }
    sqlite3_close(db);
}

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    char err[256];
    assert_int_equal(add_report(f->st, "ASB", "BRAVO1", 1000), 1001);
    store_close(f->st);
    f->st = store_open(f->path, STORE_RW, 1, err, sizeof err);
    assert_non_null(f->st);
    store_report_info info;
    assert_int_equal(store_report_get(f->st, 1001, &info), 1);
    assert_string_equal(info.reporter, "BRAVO1");
    assert_string_equal(info.status, "open");
    /* the sequence survives too */
    assert_int_equal(add_report(f->st, "ASB", "BRAVO1", 2000), 1002);
    sqlite3 *db = db_open(f);
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    sqlite3_close(db);
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    store_close(f->st);
    f->st = NULL;
    sqlite3 *db = db_open(f);
    db_exec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    assert_null(store_open(f->path, STORE_RW, 0, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, "99"));
    err[0] = '\0';
    assert_null(store_open(f->path, STORE_RO, 0, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    /* and left as it was */
    db = db_open(f);
    assert_int_equal(db_int(db, "PRAGMA user_version"), 99);
    sqlite3_close(db);
}

static void test_read_only(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    store_person p;
    memset(&p, 0, sizeof p);
    snprintf(p.callsign, sizeof p.callsign, "BRAVO1");
    snprintf(p.name, sizeof p.name, "Sam Taylor");
    snprintf(p.role, sizeof p.role, "operative");
    p.active = 1;
    assert_true(store_person_add(f->st, &p, NULL, 0, err, sizeof err) > 0);
    assert_int_equal(add_report(f->st, "ASB", "BRAVO1", 1000), 1001);

    /* a reader while the writer is open (patrolctl next to patrolgw) */
    store *ro = store_open(f->path, STORE_RO, 0, err, sizeof err);
    if (!ro)
        fail_msg("read-only open: %s", err);
    store_person q;
    assert_int_equal(store_person_by_callsign(ro, "BRAVO1", &q), 1);
    assert_string_equal(q.name, "Sam Taylor");
    store_report_info info;
    assert_int_equal(store_report_get(ro, 1001, &info), 1);
    assert_int_equal(store_alerts_pending(ro), 0);
    /* it cannot write */
    assert_int_equal(add_report(ro, "ASB", "X", 1), -1);
    store_close(ro);

    /* read-only never creates a store */
    char missing[192];
    snprintf(missing, sizeof missing, "%s/none.db", f->dir);
    assert_null(store_open(missing, STORE_RO, 0, err, sizeof err));
    assert_int_equal(access(missing, F_OK), -1);
}

static void test_old_schema_read_only(void **state)
{
    fixture *f = *state;
    char err[256] = "", p[192];
    /* an empty SQLite file has schema 0: read-only cannot migrate it */
    snprintf(p, sizeof p, "%s/empty.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    db_exec(db, "CREATE TABLE t (x)");
    sqlite3_close(db);
    assert_null(store_open(p, STORE_RO, 0, err, sizeof err));
    assert_non_null(strstr(err, "schema version 0"));
    (void)unlink(p);
}

static void test_refs(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    assert_int_equal(add_report(s, "ASB", "BRAVO1", 1000), 1001);
    assert_int_equal(add_report(s, "RTC", "BRAVO1", 1001), 1002);
    /* delete the newest by hand: its number is not given again */
    sqlite3 *db = db_open(f);
    db_exec(db, "DELETE FROM reports WHERE ref = 1002");
    sqlite3_close(db);
    assert_int_equal(add_report(s, "MH", "BRAVO1", 1002), 1003);
    /* and inside a rolled-back transaction: not reused either way, never lower */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(add_report(s, "MH", "BRAVO1", 1003), 1004);
    store_rollback(s);
    assert_true(add_report(s, "MH", "BRAVO1", 1004) >= 1004);

    store_report_info info;
    assert_int_equal(store_report_get(s, 1002, &info), 0);
    assert_int_equal(store_report_get(s, 1003, &info), 1);
    assert_int_equal(info.ref, 1003);
    assert_string_equal(info.status, "open");
    assert_int_equal(store_report_clear(s, 1003, 5000), 0);
    assert_int_equal(store_report_get(s, 1003, &info), 1);
    assert_string_equal(info.status, "cleared");
    db = db_open(f);
    assert_int_equal(db_int(db, "SELECT cleared_at FROM reports WHERE ref = 1003"), 5000);
    /* clearing twice keeps the first time */
    sqlite3_close(db);
    assert_int_equal(store_report_clear(s, 1003, 6000), 0);
    db = db_open(f);
    assert_int_equal(db_int(db, "SELECT cleared_at FROM reports WHERE ref = 1003"), 5000);
    sqlite3_close(db);
}

static void test_report_row(void **state)
{
    fixture *f = *state;
    store_report r = {
        .code = "THEFT",
        .priority = 2,
        .location = "51.3731,1.1281",
        .zone = "",
        .has_coords = 1,
        .lat = 51.3731,
        .lon = 1.1281,
        .details = "red jacket, razors XXX",
        .details_len = 18, /* only the first 18 bytes */
        .reporter = "hbbcrp/radio7",
        .person_id = 0,
        .channel = "radio",
        .received_at = 123456,
    };
    char t[128];
    assert_int_equal(store_report_add(f->st, &r), 1001);
    sqlite3 *db = db_open(f);
    db_text(db, "SELECT code || '|' || priority || '|' || location || '|' || ifnull(zone,'NULL') ||"
                " '|' || details || '|' || reporter || '|' || ifnull(person_id,'NULL') || '|' ||"
                " channel || '|' || received_at || '|' || status FROM reports",
            t, sizeof t);
    assert_string_equal(t, "THEFT|2|51.3731,1.1281|NULL|red jacket, razors|hbbcrp/radio7|NULL|"
                           "radio|123456|open");
    db_text(db, "SELECT printf('%.4f,%.4f', lat, lon) FROM reports", t, sizeof t);
    assert_string_equal(t, "51.3731,1.1281");
    sqlite3_close(db);

    /* events */
    assert_int_equal(store_event_add(f->st, 1001, 200, "update", "police", "POL1", "on way", 6), 0);
    assert_int_equal(store_event_add(f->st, 1001, 100, "received", NULL, "BRAVO1", NULL, 0), 0);
    db = db_open(f);
    db_text(db, "SELECT group_concat(kind || ':' || ifnull(partner,'-') || ':' || ifnull(by,'-') ||"
                " ':' || ifnull(detail,'-'), ' ') FROM (SELECT * FROM report_events ORDER BY at)",
            t, sizeof t);
    assert_string_equal(t, "received:-:BRAVO1:- update:police:POL1:on way");
    sqlite3_close(db);
}

static void test_message_row(void **state)
{
    fixture *f = *state;
    char t[256];
    static const char payload[] = "{\"text\":\"ASB HB12\"}\0tail";
    store_message m = {
        .channel = "radio",
        .network = "hbbcrp",
        .unit = "radio7",
        .sender = "hbbcrp/radio7",
        .bridge = "hb-north",
        .msg_id = "b1-42",
        .bridge_ts = "2026-11-23T09:00:00Z",
        .payload = payload,
        .payload_len = sizeof payload - 1,
        .text = "ASB HB12 and more",
        .text_len = 8,
        .received_at = 1795000000123LL,
        .outcome = "accepted",
        .reason = NULL,
        .reply = "OK R1001 ASB P3 HB12",
        .ref = 1001,
        .person_id = 7,
        .dup_of = 0,
    };
    int64_t id = store_message_add(f->st, &m);
    assert_true(id > 0);
    sqlite3 *db = db_open(f);
    db_text(db, "SELECT channel || '|' || network || '|' || unit || '|' || sender || '|' || bridge ||"
                " '|' || msg_id || '|' || bridge_ts || '|' || text || '|' || received_at || '|' ||"
                " outcome || '|' || ifnull(reason,'NULL') || '|' || reply || '|' || ref || '|' ||"
                " person_id || '|' || ifnull(dup_of,'NULL') FROM messages",
            t, sizeof t);
    assert_string_equal(t, "radio|hbbcrp|radio7|hbbcrp/radio7|hb-north|b1-42|2026-11-23T09:00:00Z|"
                           "ASB HB12|1795000000123|accepted|NULL|OK R1001 ASB P3 HB12|1001|7|NULL");
    /* the payload is kept byte for byte, NUL included */
    assert_int_equal(db_int(db, "SELECT length(payload) FROM messages"), (int64_t)sizeof payload - 1);
    assert_int_equal(db_int(db, "SELECT typeof(payload) = 'blob' FROM messages"), 1);
    /* text_hash is no longer written (schema 5: the memory index answers) */
    assert_int_equal(db_int(db, "SELECT text_hash IS NULL FROM messages"), 1);
    sqlite3_close(db);

    /* a rejected message: no text, no reply, NULL strings, dup_of */
    store_message r = {
        .channel = "radio",
        .payload = "\xff",
        .payload_len = 1,
        .received_at = 5,
        .outcome = "rejected",
        .reason = "bad UTF-8",
        .dup_of = id,
    };
    int64_t id2 = store_message_add(f->st, &r);
    assert_true(id2 > id);
    db = db_open(f);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT ifnull(network,'N') || ifnull(sender,'N') || ifnull(msg_id,'N') ||"
             " ifnull(text,'N') || ifnull(text_hash,'N') || ifnull(reply,'N') || ifnull(ref,'N') ||"
             " ifnull(person_id,'N') || '|' || reason || '|' || dup_of FROM messages WHERE id = %lld",
             (long long)id2);
    db_text(db, sql, t, sizeof t);
    snprintf(sql, sizeof sql, "NNNNNNNN|bad UTF-8|%lld", (long long)id);
    assert_string_equal(t, sql);
    sqlite3_close(db);

    /* an unknown outcome is a store error */
    store_message bad = { .channel = "radio", .received_at = 1, .outcome = "maybe" };
    assert_int_equal(store_message_add(f->st, &bad), -1);
}

static int64_t journal(store *s, const char *channel, const char *sender, const char *msg_id,
                       const char *text, int64_t at, const char *outcome, int64_t ref,
                       const char *reply)
{
    store_message m = {
        .channel = channel,
        .sender = sender,
        .msg_id = msg_id,
        .payload = text ? text : "",
        .payload_len = text ? strlen(text) : 0,
        .text = text,
        .text_len = text ? strlen(text) : 0,
        .received_at = at,
        .outcome = outcome,
        .reply = reply,
        .ref = ref,
    };
    int64_t id = store_message_add(s, &m);
    assert_true(id > 0);
    return id;
}

#define R7 "radio", "hbbcrp/radio7"
#define AB "radio", "a/b"

static void test_dup_msg_id(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    store_dup d;
    int64_t id = journal(s, "radio", "hbbcrp/radio7", "m1", "ASB HB12", 10000, "accepted", 1001,
                         "OK R1001 ASB P3 HB12");
    memset(&d, 0, sizeof d);
    assert_int_equal(store_dup_by_msg_id(s, R7, "m1", 10000, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.ref, 1001);
    assert_string_equal(d.reply, "OK R1001 ASB P3 HB12");
    assert_int_equal(store_dup_by_msg_id(s, R7, "m1", 0, &d), 1);
    /* outside the window */
    assert_int_equal(store_dup_by_msg_id(s, R7, "m1", 10001, &d), 0);
    assert_int_equal(store_dup_by_msg_id(s, R7, "m2", 0, &d), 0);
    assert_int_equal(store_dup_by_msg_id(s, R7, "M1", 0, &d), 0);

    /* only accepted and erroneous originals count */
    journal(s, "radio", "a/b", "m3", "x", 100, "duplicate", 1001, "OK R1001 DUP");
    journal(s, "radio", "a/b", "m4", "x", 100, "rejected", 0, "ERR AUTH: unit not registered");
    assert_int_equal(store_dup_by_msg_id(s, AB, "m3", 0, &d), 0);
    assert_int_equal(store_dup_by_msg_id(s, AB, "m4", 0, &d), 0);
    int64_t e = journal(s, "radio", "a/b", "m5", "ABS", 100, "error", 0, "ERR CODE: ABS unknown");
    assert_int_equal(store_dup_by_msg_id(s, AB, "m5", 0, &d), 1);
    assert_int_equal(d.id, e);
    assert_int_equal(d.ref, 0);
    assert_string_equal(d.reply, "ERR CODE: ABS unknown");
    /* another sender's id is never a duplicate of it (hardening 13) */
    journal(s, "radio", "a/c", "m1", "ASB HB12", 20000, "accepted", 1002, "OK R1002");
    assert_int_equal(store_dup_by_msg_id(s, "radio", "a/c", "m1", 0, &d), 1);
    assert_int_equal(d.ref, 1002);
    assert_int_equal(store_dup_by_msg_id(s, "radio", "a/d", "m1", 0, &d), 0);
    assert_int_equal(store_dup_by_msg_id(s, "sms", "hbbcrp/radio7", "m1", 0, &d), 0);
    /* the first of several from one sender is the original */
    journal(s, "radio", "hbbcrp/radio7", "m1", "ASB HB12", 20000, "accepted", 1003, "OK R1003");
    assert_int_equal(store_dup_by_msg_id(s, R7, "m1", 0, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(store_dup_by_msg_id(s, R7, "m1", 15000, &d), 1);
    assert_int_equal(d.ref, 1003);
}

#undef R7
#undef AB

static void test_dup_text(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    store_dup d;
    const char *t = "ASB HB12 youths";
    int64_t id = journal(s, "radio", "hbbcrp/radio7", NULL, t, 50000, "accepted", 1001, "OK R1001");
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio7", t, strlen(t), 50000, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.ref, 1001);
    assert_string_equal(d.reply, "OK R1001");
    /* a text that is not NUL-terminated at len */
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio7", "ASB HB12 youths!!", strlen(t),
                                       0, &d),
                     1);
    /* outside the window */
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio7", t, strlen(t), 50001, &d), 0);
    /* another sender, another channel, another text */
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio8", t, strlen(t), 0, &d), 0);
    assert_int_equal(store_dup_by_text(s, "sms", "hbbcrp/radio7", t, strlen(t), 0, &d), 0);
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio7", t, strlen(t) - 1, 0, &d), 0);
    assert_int_equal(store_dup_by_text(s, "radio", "hbbcrp/radio7", "ASB HB12 YOUTHS", strlen(t), 0,
                                       &d),
                     0);
    /* only accepted and erroneous originals count */
    journal(s, "sms", "+447700900123", NULL, "RTC HB03", 1, "rejected", 0, "ERR AUTH");
    assert_int_equal(store_dup_by_text(s, "sms", "+447700900123", "RTC HB03", 8, 0, &d), 0);
    journal(s, "sms", "+447700900123", NULL, "ABS HB03", 1, "error", 0, "ERR CODE");
    assert_int_equal(store_dup_by_text(s, "sms", "+447700900123", "ABS HB03", 8, 0, &d), 1);
}

static store_person person(const char *callsign, const char *role, const char *partner,
                           const char *phone)
{
    store_person p;
    memset(&p, 0, sizeof p);
    snprintf(p.callsign, sizeof p.callsign, "%s", callsign);
    snprintf(p.name, sizeof p.name, "Name of %s", callsign);
    snprintf(p.role, sizeof p.role, "%s", role);
    snprintf(p.partner, sizeof p.partner, "%s", partner);
    snprintf(p.phone, sizeof p.phone, "%s", phone);
    p.active = 1;
    return p;
}

static void count_people(void *arg, const store_person *p, const char *units)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s[%s];", p->callsign, units);
}

/* The same-text rule is answered from a memory index of the journal: the
 * answers must stay the journal's across a restart, a rollback, and the part
 * of the window the index has let go of. */
/* store_dup_last: the sender's latest row decides (hardening 3). */
static void test_dup_last(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    store_dup d;
    const char *r7 = "hbbcrp/radio7";
    int64_t on1 = journal(s, "radio", r7, NULL, "ON HB", 1000, "accepted", 0, "OK ON HB 11:06");
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 1);
    assert_int_equal(d.id, on1);
    assert_string_equal(d.reply, "OK ON HB 11:06");
    /* a duplicate of it last: still that original */
    store_message m = { .channel = "radio", .sender = r7, .payload = "ON HB", .payload_len = 5,
                        .text = "ON HB", .text_len = 5, .received_at = 2000,
                        .outcome = "duplicate", .dup_of = on1 };
    assert_true(store_message_add(s, &m) > 0);
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 1);
    assert_int_equal(d.id, on1);
    /* another sender's row does not count; another text of this sender does */
    journal(s, "radio", "hbbcrp/radio8", NULL, "OFF", 3000, "accepted", 0, "OK OFF 0h01");
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 1);
    assert_int_equal(store_dup_last(s, "sms", r7, on1, 0, "ON HB", 5, &d), 0);
    journal(s, "radio", r7, NULL, "OFF", 4000, "accepted", 0, "OK OFF 0h01");
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 0);
    /* the second ON is the original for its own repeats */
    int64_t on2 = journal(s, "radio", r7, NULL, "ON HB", 5000, "accepted", 0, "OK ON HB 11:11");
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 1);
    assert_int_equal(d.id, on2);
    /* ...but not before `from` */
    assert_int_equal(store_dup_last(s, "radio", r7, on2 + 1, 0, "ON HB", 5, &d), 0);
    /* a rejected row last is not an original */
    journal(s, "radio", r7, NULL, "ON HB", 6000, "rejected", 0, "ERR AUTH: unit not active");
    assert_int_equal(store_dup_last(s, "radio", r7, on1, 0, "ON HB", 5, &d), 0);
}

static void test_dup_text_window(void **state)
{
    fixture *f = *state;
    char err[256];
    store_dup d;
    const char *t = "ASB HB12 youths";
    int64_t id = journal(f->st, "radio", "hb/radio7", NULL, t, 50000, "accepted", 1001, "OK R1001");
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 40000, &d), 1);
    assert_int_equal(d.id, id);
    /* a restart: the index is built again from the journal */
    store_close(f->st);
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
    assert_non_null(f->st);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 45000, &d), 1);
    assert_int_equal(d.id, id);
    assert_string_equal(d.reply, "OK R1001");
    /* a row rolled back is no original, and the rowid it had is reused */
    assert_int_equal(store_begin(f->st), 0);
    int64_t gone = journal(f->st, "radio", "hb/radio7", NULL, "THEFT PIER", 51000, "accepted", 1002,
                           "OK R1002");
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", "THEFT PIER", 10, 45000, &d), 1);
    assert_int_equal(d.id, gone);
    store_rollback(f->st);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", "THEFT PIER", 10, 45000, &d), 0);
    assert_int_equal(journal(f->st, "radio", "hb/radio7", NULL, "DMG HB04", 52000, "error", 0, "ERR"),
                     gone);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", "THEFT PIER", 10, 45000, &d), 0);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", "DMG HB04", 8, 45000, &d), 1);
    assert_int_equal(d.id, gone);
    /* a row committed in a transaction stays */
    assert_int_equal(store_begin(f->st), 0);
    int64_t kept = journal(f->st, "sms", "+447700900123", NULL, "MH CT6", 53000, "accepted", 1003,
                           "OK R1003");
    assert_int_equal(store_commit(f->st), 0);
    assert_int_equal(store_dup_by_text(f->st, "sms", "+447700900123", "MH CT6", 6, 45000, &d), 1);
    assert_int_equal(d.id, kept);
    /* a later window lets the first row go from memory... */
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 50001, &d), 0);
    /* ...and a window that reaches back to it (a clock that went back) still
     * finds it, in the journal */
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 0, &d), 1);
    assert_int_equal(d.id, id);
    /* the first of two originals is the one */
    int64_t again = journal(f->st, "radio", "hb/radio7", NULL, t, 70000, "accepted", 1004, "OK R1004");
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 0, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio7", t, strlen(t), 60000, &d), 1);
    assert_int_equal(d.id, again);
    /* duplicates and rejections never answer */
    journal(f->st, "radio", "hb/radio9", NULL, "SUS HB02", 80000, "duplicate", 1001, "OK DUP");
    journal(f->st, "radio", "hb/radio9", NULL, "VIO HB02", 80000, "rejected", 0, "ERR AUTH");
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio9", "SUS HB02", 8, 0, &d), 0);
    assert_int_equal(store_dup_by_text(f->st, "radio", "hb/radio9", "VIO HB02", 8, 0, &d), 0);
    assert_int_equal(store_dup_by_text(f->st, "radio", NULL, t, strlen(t), 0, &d), 0);
}

/* Schema 4 -> 5: the index on the text hash goes. */
static void test_migrate_drops_text_index(void **state)
{
    fixture *f = *state;
    char err[256], bak[256];
    store_close(f->st);
    f->st = NULL;
    sqlite3 *db = db_open(f);
    db_exec(db, "CREATE INDEX messages_text ON messages(text_hash) WHERE text_hash IS NOT NULL");
    db_exec(db, "DROP TABLE users"); /* schema 6 */
    db_exec(db, "PRAGMA user_version = 4");
    sqlite3_close(db);
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
    assert_non_null(f->st);
    db = db_open(f);
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_text'"), 0);
    sqlite3_close(db);
    /* the backup taken before migrating */
    DIR *dir = opendir(f->dir);
    struct dirent *de;
    int nbak = 0;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        if (strstr(de->d_name, ".schema4-") && snprintf(bak, sizeof bak, "%s/%s", f->dir, de->d_name) > 0) {
            nbak++;
            (void)unlink(bak);
        }
    }
    closedir(dir);
    assert_int_equal(nbak, 1);
}

static void test_people(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    char err[256];
    store_person out;
    const char *const units[] = { "hbbcrp/radio7", "pubwatch/r2" };

    store_person b1 = person("BRAVO1", "operative", "", "+447700900123");
    int64_t id = store_person_add(s, &b1, units, 2, err, sizeof err);
    if (id <= 0)
        fail_msg("add: %s", err);
    store_person pol = person("POL1", "partner", "police", "");
    int64_t pid = store_person_add(s, &pol, NULL, 0, err, sizeof err);
    assert_true(pid > id);

    memset(&out, 0, sizeof out);
    assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio7", &out), 1);
    assert_int_equal(out.id, id);
    assert_string_equal(out.callsign, "BRAVO1");
    assert_string_equal(out.name, "Name of BRAVO1");
    assert_string_equal(out.role, "operative");
    assert_string_equal(out.partner, "");
    assert_string_equal(out.phone, "+447700900123");
    assert_int_equal(out.active, 1);
    assert_int_equal(store_person_by_unit(s, "pubwatch", "r2", &out), 1);
    assert_int_equal(out.id, id);
    assert_int_equal(store_person_by_unit(s, "hbbcrp", "r2", &out), 0);
    assert_int_equal(store_person_by_unit(s, "pubwatch", "radio7", &out), 0);
    assert_int_equal(store_person_by_phone(s, "+447700900123", &out), 1);
    assert_string_equal(out.callsign, "BRAVO1");
    assert_int_equal(store_person_by_phone(s, "+447700900124", &out), 0);
    assert_int_equal(store_person_by_phone(s, "", &out), 0); /* "" is stored as no phone */
    assert_int_equal(store_person_by_callsign(s, "POL1", &out), 1);
    assert_int_equal(out.id, pid);
    assert_string_equal(out.role, "partner");
    assert_string_equal(out.partner, "police");
    assert_string_equal(out.phone, "");
    assert_int_equal(store_person_by_callsign(s, "pol1", &out), 0);

    /* a taken callsign: refused, named in err */
    store_person again = person("BRAVO1", "operative", "", "");
    const char *const u3[] = { "hbbcrp/radio9" };
    err[0] = '\0';
    assert_int_equal(store_person_add(s, &again, u3, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "BRAVO1"));
    assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio9", &out), 0);
    /* a taken phone */
    store_person ph = person("BRAVO9", "operative", "", "+447700900123");
    assert_int_equal(store_person_add(s, &ph, NULL, 0, err, sizeof err), -1);
    assert_int_equal(store_person_by_callsign(s, "BRAVO9", &out), 0);
    /* a bad role */
    store_person role = person("BRAVO8", "boss", "", "");
    assert_int_equal(store_person_add(s, &role, NULL, 0, err, sizeof err), -1);
    assert_int_equal(store_person_by_callsign(s, "BRAVO8", &out), 0);

    /* bad units: refused, and nothing half-added */
    static const char *const bad_units[] = {
        "radio7", "/radio7", "hbbcrp/", "hbbcrp/radio/7",
        "abcdefghijabcdefghijabcdefghijabc/u", /* network of 33 */
        "n/abcdefghijabcdefghijabcdefghijabc", /* unit of 33 */
    };
    for (size_t i = 0; i < sizeof bad_units / sizeof bad_units[0]; i++) {
        store_person c = person("CHARLIE1", "operative", "", "+447700900555");
        const char *const u[] = { "hbbcrp/radio20", bad_units[i] };
        err[0] = '\0';
        if (store_person_add(s, &c, u, 2, err, sizeof err) != -1)
            fail_msg("unit %s was taken", bad_units[i]);
        assert_non_null(strstr(err, "bad radio unit"));
        assert_int_equal(store_person_by_callsign(s, "CHARLIE1", &out), 0);
        assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio20", &out), 0);
        assert_int_equal(store_person_by_phone(s, "+447700900555", &out), 0);
    }
    /* a unit someone else has: refused, nothing added */
    {
        store_person c = person("CHARLIE1", "operative", "", "");
        const char *const u[] = { "hbbcrp/radio20", "hbbcrp/radio7" };
        assert_int_equal(store_person_add(s, &c, u, 2, err, sizeof err), -1);
        assert_non_null(strstr(err, "hbbcrp/radio7"));
        assert_int_equal(store_person_by_callsign(s, "CHARLIE1", &out), 0);
        assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio20", &out), 0);
        assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio7", &out), 1);
        assert_string_equal(out.callsign, "BRAVO1");
    }
    /* the longest network and unit names fit */
    {
        store_person c = person("CHARLIE2", "operative", "", "");
        const char *const u[] = { "abcdefghijabcdefghijabcdefghijab/abcdefghijabcdefghijabcdefghijab" };
        assert_true(store_person_add(s, &c, u, 1, err, sizeof err) > 0);
        assert_int_equal(store_person_by_unit(s, "abcdefghijabcdefghijabcdefghijab",
                                              "abcdefghijabcdefghijabcdefghijab", &out),
                         1);
    }

    /* set_active */
    assert_int_equal(store_person_set_active(s, "BRAVO1", 0), 1);
    assert_int_equal(store_person_by_unit(s, "hbbcrp", "radio7", &out), 1);
    assert_int_equal(out.active, 0);
    assert_int_equal(store_person_set_active(s, "BRAVO1", 1), 1);
    assert_int_equal(store_person_by_callsign(s, "BRAVO1", &out), 1);
    assert_int_equal(out.active, 1);
    assert_int_equal(store_person_set_active(s, "NOBODY", 0), 0);

    /* listing, by callsign, units joined by spaces */
    char list[512] = "";
    assert_int_equal(store_people_each(s, count_people, list), 0);
    assert_non_null(strstr(list, "BRAVO1["));
    assert_true(strstr(list, "BRAVO1[hbbcrp/radio7 pubwatch/r2];") ||
                strstr(list, "BRAVO1[pubwatch/r2 hbbcrp/radio7];"));
    assert_non_null(strstr(list, "POL1[];"));
    assert_true(strstr(list, "BRAVO1") < strstr(list, "CHARLIE2"));
    assert_true(strstr(list, "CHARLIE2") < strstr(list, "POL1"));
    assert_null(strstr(list, "CHARLIE1"));
}

typedef struct due_log {
    int n;
    int64_t ids[16];
    char alert_ids[16][64];
    int attempts[16];
    char payloads[16][64];
    const char *skip; /* alert_id to skip (fn returns -1) */
} due_log;

static int on_due(void *arg, const store_alert *a)
{
    due_log *l = arg;
    if (l->n < 16) {
        l->ids[l->n] = a->id;
        snprintf(l->alert_ids[l->n], sizeof l->alert_ids[0], "%s", a->alert_id);
        l->attempts[l->n] = a->attempts;
        snprintf(l->payloads[l->n], sizeof l->payloads[0], "%s", a->payload);
        l->n++;
    }
    return l->skip && strcmp(a->alert_id, l->skip) == 0 ? -1 : 0;
}

static int due(store *s, int64_t now, int limit, int64_t retry, due_log *l, const char *skip)
{
    memset(l, 0, sizeof *l);
    l->skip = skip;
    return store_alerts_due(s, "mqtt", now, limit, retry, on_due, l);
}

static void test_alerts(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    due_log l;

    assert_int_equal(store_alerts_pending(s), 0);
    assert_int_equal(test_alert_add(s, "R1001-police", 1001, "police", "mqtt", 300, "{\"a\":1}"), 0);
    assert_int_equal(test_alert_add(s, "R1002-police", 1002, "police", "mqtt", 100, "{\"a\":2}"), 0);
    assert_int_equal(test_alert_add(s, "R1002-bcrp", 1002, "bcrp", "mqtt", 200, "{\"a\":3}"), 0);
    assert_int_equal(test_alert_add(s, "R1002-police", 1002, "police", "email", 100, "{}"), 0);
    /* the same alert on the same channel again: ignored */
    assert_int_equal(test_alert_add(s, "R1002-police", 1002, "police", "mqtt", 999, "{\"a\":9}"), 0);
    assert_int_equal(store_alerts_pending(s), 4);

    /* nothing due before its time */
    assert_int_equal(due(s, 99, 10, 1000, &l, NULL), 0);
    assert_int_equal(l.n, 0);
    /* limit and order: oldest first */
    assert_int_equal(due(s, 250, 1, 1000, &l, NULL), 1);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.alert_ids[0], "R1002-police");
    assert_string_equal(l.payloads[0], "{\"a\":2}");
    assert_int_equal(l.attempts[0], 0);
    int64_t first = l.ids[0];
    /* the attempted one is not due again until retry_ms later */
    assert_int_equal(due(s, 250, 10, 1000, &l, NULL), 1);
    assert_string_equal(l.alert_ids[0], "R1002-bcrp");
    assert_int_equal(due(s, 1249, 10, 1000, &l, NULL), 1);
    assert_string_equal(l.alert_ids[0], "R1001-police");
    assert_int_equal(due(s, 1249, 10, 1000, &l, NULL), 0);
    assert_int_equal(due(s, 1250, 10, 1000, &l, NULL), 2);
    assert_string_equal(l.alert_ids[0], "R1002-police");
    assert_int_equal(l.attempts[0], 1);
    assert_string_equal(l.alert_ids[1], "R1002-bcrp");

    /* fn returning -1 skips it: not marked attempted, due again at once */
    assert_int_equal(due(s, 5000, 10, 1000, &l, "R1002-bcrp"), 2);
    assert_int_equal(l.n, 3);
    assert_int_equal(due(s, 5000, 10, 1000, &l, NULL), 1);
    assert_string_equal(l.alert_ids[0], "R1002-bcrp");
    assert_int_equal(l.attempts[0], 2);

    /* sent: never due again, no longer pending */
    assert_int_equal(store_alert_sent(s, first, 260), 0);
    assert_int_equal(store_alerts_pending(s), 3);
    assert_int_equal(due(s, 100000, 10, 1000, &l, NULL), 2);
    for (int i = 0; i < l.n; i++)
        assert_true(l.ids[i] != first);
    sqlite3 *db = db_open(f);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT sent_at FROM alerts WHERE id = %lld", (long long)first);
    assert_int_equal(db_int(db, sql), 260);
    sqlite3_close(db);

    /* ack: the first of a partner for a report, once; its delivered rows
     * become acked, its undelivered ones cancelled */
    assert_int_equal(store_chase_add(s, 1002, "police", 1, 100, 5000), 0);
    assert_int_equal(store_chase_add(s, 1002, "bcrp", 1, 200, 0), 0);
    assert_int_equal(store_chase_ack(s, 1002, "police", "POL1", "sms", 7000, 0), 1);
    assert_int_equal(store_chase_ack(s, 1002, "police", "POL2", "mqtt", 8000, 0), 0);
    assert_int_equal(store_chase_ack(s, 1001, "bcrp", "X", "sms", 8000, 0), 0);
    assert_int_equal(store_chase_ack(s, 9999, "police", "X", "sms", 8000, 0), 0);
    assert_int_equal(store_alerts_pending(s), 2); /* R1001-police, R1002-bcrp */
    db = db_open(f);
    assert_int_equal(db_int(db, "SELECT count(*) FROM alerts WHERE state = 'acked' AND acked_by = "
                                "'POL1' AND acked_at = 7000 AND ref = 1002 AND partner = 'police'"),
                     1);
    assert_int_equal(db_int(db, "SELECT count(*) FROM alerts WHERE state = 'cancelled' AND "
                                "channel = 'email' AND acked_by = 'POL1'"), 1);
    assert_int_equal(db_int(db, "SELECT ifnull(next_at, -1) FROM chases WHERE ref = 1002 AND "
                                "partner = 'police' AND acked_by = 'POL1' AND acked_via = 'sms'"), -1);
    sqlite3_close(db);
    store_chase c;
    assert_int_equal(store_chase_get(s, 1002, "police", &c), 1);
    assert_int_equal(c.acked_at, 7000);
    assert_string_equal(c.acked_by, "POL1");
    assert_int_equal(store_chase_get(s, 1001, "police", &c), 0);
    /* an acked alert is not due */
    assert_int_equal(store_alerts_due(s, "email", 100000, 10, 1000, on_due, &l), 0);
    assert_int_equal(store_chase_ack(s, 1002, "bcrp", "BC1", "mqtt", 9000, 0), 1);
    assert_int_equal(store_alerts_pending(s), 1);
    assert_int_equal(due(s, 200000, 10, 1000, &l, NULL), 1);
    assert_string_equal(l.alert_ids[0], "R1001-police");
}

/* The rows of one partner: the webhook deliveries are picked per destination
 * (outbox.c), whatever the other partners have due before them. */
static void test_alerts_due_partner(void **state)
{
    fixture *f = *state;
    due_log l;
    for (int i = 0; i < 6; i++) {
        char id[32];
        snprintf(id, sizeof id, "R%d-fire", 1001 + i);
        assert_int_equal(test_alert_add(f->st, id, 1001 + i, "fire", "webhook", 100 + i, "{}"), 0);
    }
    assert_int_equal(test_alert_add(f->st, "R1007-cctv", 1007, "cctv", "webhook", 200, "{}"), 0);
    assert_int_equal(test_alert_add(f->st, "R1008-cctv", 1008, "cctv", "email", 150, "{}"), 0);
    memset(&l, 0, sizeof l);
    /* two rows of all: fire's older ones */
    assert_int_equal(store_alerts_due(f->st, "webhook", 1000, 2, 0, on_due, &l), 2);
    assert_string_equal(l.alert_ids[0], "R1001-fire");
    memset(&l, 0, sizeof l);
    assert_int_equal(store_alerts_due_partner(f->st, "webhook", "cctv", 1000, 2, 5000, on_due, &l), 1);
    assert_string_equal(l.alert_ids[0], "R1007-cctv");
    memset(&l, 0, sizeof l);
    assert_int_equal(store_alerts_due_partner(f->st, "webhook", "fire", 1000, 4, 5000, on_due, &l), 4);
    assert_string_equal(l.alert_ids[3], "R1004-fire");
    /* marked attempted: not due again before now + retry */
    memset(&l, 0, sizeof l);
    assert_int_equal(store_alerts_due_partner(f->st, "webhook", "cctv", 1000, 2, 5000, on_due, &l), 0);
    assert_int_equal(store_alerts_due_partner(f->st, "webhook", "fire", 1000, 9, 5000, on_due, &l), 2);
    sqlite3 *db = db_open(f);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'alerts_due_partner'"), 1);
    sqlite3_close(db);
}

static void test_alerts_limit(void **state)
{
    fixture *f = *state;
    due_log l;
    for (int i = 0; i < 12; i++) {
        char id[32];
        snprintf(id, sizeof id, "R%d-p", 1001 + i);
        assert_int_equal(test_alert_add(f->st, id, 1001 + i, "p", "mqtt", 1000 - i, "{}"), 0);
    }
    assert_int_equal(due(f->st, 1000, 5, 10, &l, NULL), 5);
    assert_int_equal(l.n, 5);
    /* created_at decreases with i: the last added is the oldest */
    assert_string_equal(l.alert_ids[0], "R1012-p");
    assert_string_equal(l.alert_ids[4], "R1008-p");
    assert_int_equal(due(f->st, 1000, 0, 10, &l, NULL), 0);
    assert_int_equal(due(f->st, 1000, 100, 10, &l, NULL), 7);
}

static void test_shifts(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    int64_t on_at = -1;

    /* off without on */
    assert_int_equal(store_shift_off(s, "BRAVO1", 1000, &on_at), 0);
    assert_int_equal(on_at, -1);
    /* on, off */
    assert_int_equal(store_shift_on(s, "BRAVO1", 7, "HB12", 1000), 0);
    assert_int_equal(store_shift_off(s, "BRAVO1", 5000, &on_at), 1);
    assert_int_equal(on_at, 1000);
    assert_int_equal(store_shift_off(s, "BRAVO1", 6000, &on_at), 0);
    /* on twice: the first is closed when the second starts */
    assert_int_equal(store_shift_on(s, "BRAVO1", 7, "HB", 10000), 0);
    assert_int_equal(store_shift_on(s, "BRAVO1", 7, "", 20000), 0);
    /* another reporter's shift is separate */
    assert_int_equal(store_shift_on(s, "BRAVO2", 0, NULL, 15000), 0);
    on_at = -1;
    assert_int_equal(store_shift_off(s, "BRAVO1", 30000, &on_at), 1);
    assert_int_equal(on_at, 20000);
    assert_int_equal(store_shift_off(s, "BRAVO2", 31000, &on_at), 1);
    assert_int_equal(on_at, 15000);
    sqlite3 *db = db_open(f);
    assert_int_equal(db_int(db, "SELECT count(*) FROM shifts"), 4);
    assert_int_equal(db_int(db, "SELECT count(*) FROM shifts WHERE off_at IS NULL"), 0);
    assert_int_equal(db_int(db, "SELECT off_at FROM shifts WHERE on_at = 10000"), 20000);
    assert_int_equal(db_int(db, "SELECT off_at FROM shifts WHERE on_at = 1000"), 5000);
    assert_int_equal(db_int(db, "SELECT person_id FROM shifts WHERE on_at = 1000"), 7);
    assert_int_equal(db_int(db, "SELECT person_id FROM shifts WHERE on_at = 15000"), -999);
    char t[32];
    db_text(db, "SELECT zone FROM shifts WHERE on_at = 10000", t, sizeof t);
    assert_string_equal(t, "HB");
    db_text(db, "SELECT zone FROM shifts WHERE on_at = 20000", t, sizeof t);
    assert_string_equal(t, "<null>");
    sqlite3_close(db);
}

static void test_transactions(void **state)
{
    fixture *f = *state;
    store *s = f->st;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(test_alert_add(s, "R1-p", 1, "p", "mqtt", 1, "{}"), 0);
    store_rollback(s);
    assert_int_equal(store_alerts_pending(s), 0);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(test_alert_add(s, "R1-p", 1, "p", "mqtt", 1, "{}"), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_alerts_pending(s), 1);
    /* rollback outside a transaction is harmless */
    store_rollback(s);
    assert_int_equal(store_alerts_pending(s), 1);
    /* close accepts NULL */
    store_close(NULL);
}

static void test_status(void **state)
{
    fixture *f = *state;
    char v[64];
    assert_int_equal(store_status_set(f->st, "state", "running", 10), 0);
    assert_int_equal(store_status_set(f->st, "state", "stopped", 20), 0);
    sqlite3 *db = db_open(f);
    db_text(db, "SELECT value || '@' || updated_at FROM gateway_status WHERE key = 'state'", v,
            sizeof v);
    assert_string_equal(v, "stopped@20");
    assert_int_equal(db_int(db, "SELECT count(*) FROM gateway_status"), 1);
    sqlite3_close(db);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_schema),   T(test_reopen_keeps_data), T(test_newer_schema_refused),
        T(test_read_only),     T(test_old_schema_read_only), T(test_refs),
        T(test_report_row),    T(test_message_row),       T(test_dup_msg_id),
        T(test_dup_text),      T(test_dup_last),      T(test_dup_text_window),   T(test_migrate_drops_text_index),
        T(test_people),            T(test_alerts),
        T(test_alerts_limit), T(test_alerts_due_partner),  T(test_shifts),            T(test_transactions),
        T(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
