/* store.c: the SQLite backend of store.h (WAL, one writer, prepared statements). */
#include "store.h"
#include "store_sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* Schema migrations: migrations[i] takes user_version i to i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  callsign TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('operative','partner')),"
    "  partner TEXT,"
    "  phone TEXT UNIQUE,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE radio_units ("
    "  network TEXT NOT NULL, unit TEXT NOT NULL,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  PRIMARY KEY (network, unit));"
    "CREATE TABLE reports ("
    "  ref INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  code TEXT NOT NULL, priority INTEGER NOT NULL,"
    "  location TEXT NOT NULL, zone TEXT, lat REAL, lon REAL,"
    "  details TEXT NOT NULL,"
    "  reporter TEXT NOT NULL, person_id INTEGER,"
    "  channel TEXT NOT NULL, received_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open', cleared_at INTEGER);"
    /* Reference numbers start at R1001 and are never reused (AUTOINCREMENT). */
    "INSERT INTO sqlite_sequence (name, seq) VALUES ('reports', 1000);"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL, network TEXT, unit TEXT, sender TEXT, bridge TEXT,"
    "  msg_id TEXT, bridge_ts TEXT, payload BLOB NOT NULL, text TEXT, text_hash INTEGER,"
    "  received_at INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL CHECK (outcome IN ('accepted','duplicate','error','rejected')),"
    "  reason TEXT, reply TEXT, ref INTEGER, person_id INTEGER, dup_of INTEGER);"
    "CREATE INDEX messages_msg_id ON messages(msg_id) WHERE msg_id IS NOT NULL;"
    "CREATE INDEX messages_text ON messages(text_hash) WHERE text_hash IS NOT NULL;"
    "CREATE INDEX messages_received ON messages(received_at);"
    "CREATE TABLE report_events ("
    "  id INTEGER PRIMARY KEY, ref INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, partner TEXT, by TEXT, detail TEXT);"
    "CREATE INDEX report_events_ref ON report_events(ref);"
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL,"
    "  ref INTEGER NOT NULL, partner TEXT NOT NULL, channel TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending','sent','acked','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
    "  sent_at INTEGER, acked_at INTEGER, acked_by TEXT, last_error TEXT,"
    "  payload TEXT NOT NULL,"
    "  UNIQUE (alert_id, channel));"
    "CREATE INDEX alerts_due ON alerts(channel, next_attempt_at) WHERE state = 'pending';"
    "CREATE INDEX alerts_ref ON alerts(ref);"
    "CREATE TABLE shifts ("
    "  id INTEGER PRIMARY KEY, reporter TEXT NOT NULL, person_id INTEGER,"
    "  zone TEXT, on_at INTEGER NOT NULL, off_at INTEGER);"
    "CREATE INDEX shifts_open ON shifts(reporter) WHERE off_at IS NULL;",
    /* 1 -> 2 */
    /* Audit trail: who changed what; each row carries the hash of the row
     * before it (written by store_audit_add, checked by patrolctl audit --verify). */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, object TEXT, detail TEXT,"
    "  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    /* What the running gateway last said about itself (patrolctl status). */
    "CREATE TABLE gateway_status ("
    "  key TEXT PRIMARY KEY, value TEXT, updated_at INTEGER NOT NULL);"
    /* A removed person keeps their reports, pseudonymised. */
    "ALTER TABLE people ADD COLUMN removed_at INTEGER;"
    "CREATE INDEX reports_received ON reports(received_at);"
    "CREATE INDEX shifts_on ON shifts(on_at);",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

enum stmt_id {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_MSG_ADD, ST_DUP_MSGID, ST_DUP_TEXT,
    ST_PERSON_UNIT, ST_PERSON_PHONE, ST_PERSON_CALLSIGN, ST_PERSON_ADD, ST_UNIT_ADD,
    ST_PERSON_ACTIVE, ST_PEOPLE,
    ST_REPORT_ADD, ST_REPORT_GET, ST_REPORT_CLEAR, ST_EVENT_ADD,
    ST_ALERT_ADD, ST_ALERTS_DUE, ST_ALERTS_DUE_NOW, ST_ALERT_ATTEMPT, ST_ALERT_SENT, ST_ALERT_ACK, ST_ALERTS_PENDING,
    ST_SHIFT_CLOSE, ST_SHIFT_OPEN, ST_SHIFT_FIND,
    ST_STATUS_SET,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_MSG_ADD] =
        "INSERT INTO messages (channel, network, unit, sender, bridge, msg_id, bridge_ts, payload,"
        " text, text_hash, received_at, outcome, reason, reply, ref, person_id, dup_of)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_DUP_MSGID] =
        "SELECT id, ref, reply FROM messages WHERE msg_id = ? AND received_at >= ?"
        " AND outcome IN ('accepted','error') ORDER BY id LIMIT 1",
    [ST_DUP_TEXT] =
        "SELECT id, ref, reply FROM messages WHERE text_hash = ? AND channel = ? AND sender = ?"
        " AND text = ? AND received_at >= ? AND outcome IN ('accepted','error') ORDER BY id LIMIT 1",
    [ST_PERSON_UNIT] =
        "SELECT p.id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM radio_units u JOIN people p ON p.id = u.person_id WHERE u.network = ? AND u.unit = ?",
    [ST_PERSON_PHONE] =
        "SELECT id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM people WHERE phone = ?",
    [ST_PERSON_CALLSIGN] =
        "SELECT id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM people WHERE callsign = ?",
    [ST_PERSON_ADD] =
        "INSERT INTO people (callsign, name, role, partner, phone, active, created_at)"
        " VALUES (?,?,?,?,?,?,?)",
    [ST_UNIT_ADD] = "INSERT INTO radio_units (network, unit, person_id) VALUES (?,?,?)",
    [ST_PERSON_ACTIVE] = "UPDATE people SET active = ? WHERE callsign = ?",
    [ST_PEOPLE] =
        "SELECT p.id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active,"
        " ifnull((SELECT group_concat(network || '/' || unit, ' ') FROM radio_units u"
        "  WHERE u.person_id = p.id), '') FROM people p ORDER BY callsign",
    [ST_REPORT_ADD] =
        "INSERT INTO reports (code, priority, location, zone, lat, lon, details, reporter,"
        " person_id, channel, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [ST_REPORT_GET] = "SELECT ref, reporter, status FROM reports WHERE ref = ?",
    [ST_REPORT_CLEAR] =
        "UPDATE reports SET status = 'cleared', cleared_at = ? WHERE ref = ? AND status <> 'cleared'",
    [ST_EVENT_ADD] =
        "INSERT INTO report_events (ref, at, kind, partner, by, detail) VALUES (?,?,?,?,?,?)",
    [ST_ALERT_ADD] =
        "INSERT OR IGNORE INTO alerts (alert_id, ref, partner, channel, created_at, next_attempt_at,"
        " payload) VALUES (?,?,?,?,?,?,?)",
    [ST_ALERTS_DUE] =
        "SELECT id, alert_id, partner, channel, attempts, payload FROM alerts"
        " WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
    [ST_ALERTS_DUE_NOW] =
        "UPDATE alerts SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?",
    [ST_ALERT_ATTEMPT] =
        "UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
    [ST_ALERT_SENT] =
        "UPDATE alerts SET state = 'sent', sent_at = ?, attempts = attempts + 1"
        " WHERE id = ? AND state = 'pending'",
    [ST_ALERT_ACK] =
        "UPDATE alerts SET state = 'acked', acked_at = ?, acked_by = ?"
        " WHERE ref = ? AND partner = ? AND acked_at IS NULL",
    [ST_ALERTS_PENDING] = "SELECT count(*) FROM alerts WHERE state = 'pending'",
    [ST_STATUS_SET] =
        "INSERT INTO gateway_status (key, value, updated_at) VALUES (?,?,?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    [ST_SHIFT_CLOSE] = "UPDATE shifts SET off_at = ? WHERE reporter = ? AND off_at IS NULL",
    [ST_SHIFT_OPEN] = "INSERT INTO shifts (reporter, person_id, zone, on_at) VALUES (?,?,?,?)",
    [ST_SHIFT_FIND] =
        "SELECT id, on_at FROM shifts WHERE reporter = ? AND off_at IS NULL ORDER BY id DESC LIMIT 1",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    enum store_mode mode;
};

static void db_error(store *s, const char *what)
{
    log_error("store", "%s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->st[id];
    if (!st) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK) {
            db_error(s, "prepare");
            return NULL;
        }
        s->st[id] = st;
    }
    return st;
}

/* Runs a statement that returns no rows; resets it. */
static int step_done(store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        db_error(s, what);
        return -1;
    }
    return 0;
}

static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static int bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    if (v <= 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_int64(st, i, v);
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, dstsz, "%s", v ? (const char *)v : "");
}

static int exec(store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("store", "%s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int user_version(store *s, int *v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return *v < 0 ? -1 : 0;
}

static int migrate(store *s, char *err, size_t errsz)
{
    int v;
    if (user_version(s, &v)) {
        snprintf(err, errsz, "cannot read schema version: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    if (v > (int)NMIGRATIONS) {
        snprintf(err, errsz, "store schema version %d is newer than this patrolgw knows (%d)",
                 v, (int)NMIGRATIONS);
        return -1;
    }
    for (; v < (int)NMIGRATIONS; v++) {
        char sql[64];
        if (s->mode == STORE_RO) {
            snprintf(err, errsz, "store schema version %d is old: start patrolgw once to migrate", v);
            return -1;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[v]) || exec(s, sql) ||
            exec(s, "COMMIT")) {
            snprintf(err, errsz, "migration to schema %d failed: %s", v + 1, sqlite3_errmsg(s->db));
            (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        log_info("store", "store migrated to schema version %d", v + 1);
    }
    return 0;
}

store *store_open(const char *path, enum store_mode mode, int sync_full, char *err, size_t errsz)
{
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->mode = mode;
    int flags = mode == STORE_RO ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto fail;
    }
    /* Readers (patrolctl) wait for the writer's short transactions. */
    sqlite3_busy_timeout(s->db, 5000);
    if (mode == STORE_RW) {
        if (exec(s, "PRAGMA journal_mode = WAL") ||
            exec(s, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") ||
            exec(s, "PRAGMA foreign_keys = ON") ||
            /* 8 MiB of page cache: the indexes of a busy day stay in memory. */
            exec(s, "PRAGMA cache_size = -8192")) {
            snprintf(err, errsz, "%s: cannot set up: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    if (migrate(s, err, errsz))
        goto fail;
    return s;
fail:
    store_close(s);
    return NULL;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        log_error("store", "close: %s", sqlite3_errmsg(s->db));
    free(s);
}

static int run_simple(store *s, enum stmt_id id, const char *what)
{
    sqlite3_stmt *st = stmt(s, id);
    if (!st)
        return -1;
    return step_done(s, st, what);
}

int store_begin(store *s) { return run_simple(s, ST_BEGIN, "begin"); }
int store_commit(store *s) { return run_simple(s, ST_COMMIT, "commit"); }

void store_rollback(store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK, "rollback");
}

/* FNV-1a: a cheap index key for duplicate text lookups (the text itself is compared too). */
static int64_t text_hash(const char *t, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)t[i];
        h *= 1099511628211ULL;
    }
    return (int64_t)(h >> 1);
}

int64_t store_message_add(store *s, const store_message *m)
{
    sqlite3_stmt *st = stmt(s, ST_MSG_ADD);
    if (!st)
        return -1;
    bind_text(st, 1, m->channel);
    bind_text(st, 2, m->network);
    bind_text(st, 3, m->unit);
    bind_text(st, 4, m->sender);
    bind_text(st, 5, m->bridge);
    bind_text(st, 6, m->msg_id);
    bind_text(st, 7, m->bridge_ts);
    sqlite3_bind_blob(st, 8, m->payload ? m->payload : "", (int)m->payload_len, SQLITE_STATIC);
    if (m->text) {
        sqlite3_bind_text(st, 9, m->text, (int)m->text_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, text_hash(m->text, m->text_len));
    }
    sqlite3_bind_int64(st, 11, m->received_at);
    bind_text(st, 12, m->outcome);
    bind_text(st, 13, m->reason);
    bind_text(st, 14, m->reply);
    bind_id(st, 15, m->ref);
    bind_id(st, 16, m->person_id);
    bind_id(st, 17, m->dup_of);
    if (step_done(s, st, "journal message"))
        return -1;
    return sqlite3_last_insert_rowid(s->db);
}

static int read_dup(store *s, sqlite3_stmt *st, store_dup *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->ref = sqlite3_column_int64(st, 1);
        col_copy(st, 2, out->reply, sizeof out->reply);
        finish(st);
        return 1;
    }
    finish(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "duplicate lookup");
        return -1;
    }
    return 0;
}

int store_dup_by_msg_id(store *s, const char *msg_id, int64_t since, store_dup *out)
{
    sqlite3_stmt *st = stmt(s, ST_DUP_MSGID);
    if (!st)
        return -1;
    bind_text(st, 1, msg_id);
    sqlite3_bind_int64(st, 2, since);
    return read_dup(s, st, out);
}

int store_dup_by_text(store *s, const char *channel, const char *sender, const char *text,
                      size_t len, int64_t since, store_dup *out)
{
    sqlite3_stmt *st = stmt(s, ST_DUP_TEXT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, text_hash(text, len));
    bind_text(st, 2, channel);
    bind_text(st, 3, sender);
    sqlite3_bind_text(st, 4, text, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, since);
    return read_dup(s, st, out);
}

static void read_person(sqlite3_stmt *st, store_person *p)
{
    p->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, p->callsign, sizeof p->callsign);
    col_copy(st, 2, p->name, sizeof p->name);
    col_copy(st, 3, p->role, sizeof p->role);
    col_copy(st, 4, p->partner, sizeof p->partner);
    col_copy(st, 5, p->phone, sizeof p->phone);
    p->active = sqlite3_column_int(st, 6);
}

static int person_query(store *s, sqlite3_stmt *st, store_person *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_person(st, out);
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "person lookup");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int store_person_by_unit(store *s, const char *network, const char *unit, store_person *out)
{
    sqlite3_stmt *st = stmt(s, ST_PERSON_UNIT);
    if (!st)
        return -1;
    bind_text(st, 1, network);
    bind_text(st, 2, unit);
    return person_query(s, st, out);
}

int store_person_by_phone(store *s, const char *phone, store_person *out)
{
    sqlite3_stmt *st = stmt(s, ST_PERSON_PHONE);
    if (!st)
        return -1;
    bind_text(st, 1, phone);
    return person_query(s, st, out);
}

int store_person_by_callsign(store *s, const char *callsign, store_person *out)
{
    sqlite3_stmt *st = stmt(s, ST_PERSON_CALLSIGN);
    if (!st)
        return -1;
    bind_text(st, 1, callsign);
    return person_query(s, st, out);
}

int64_t store_person_add(store *s, const store_person *p, const char *const *units, int nunits,
                         char *err, size_t errsz)
{
    sqlite3_stmt *st;
    int64_t id = -1;

    if (store_begin(s)) {
        snprintf(err, errsz, "store busy: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    st = stmt(s, ST_PERSON_ADD);
    if (!st)
        goto fail;
    bind_text(st, 1, p->callsign);
    bind_text(st, 2, p->name);
    bind_text(st, 3, p->role);
    bind_text(st, 4, p->partner[0] ? p->partner : NULL);
    bind_text(st, 5, p->phone[0] ? p->phone : NULL);
    sqlite3_bind_int(st, 6, p->active);
    sqlite3_bind_int64(st, 7, clock_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errsz, "cannot add %s: %s", p->callsign, sqlite3_errmsg(s->db));
        finish(st);
        goto fail;
    }
    finish(st);
    id = sqlite3_last_insert_rowid(s->db);
    for (int i = 0; i < nunits; i++) {
        char net[GW_NETWORK_MAX + 1];
        const char *slash = strchr(units[i], '/');
        size_t nl = slash ? (size_t)(slash - units[i]) : 0;
        if (!slash || nl == 0 || nl > GW_NETWORK_MAX || slash[1] == '\0' ||
            strlen(slash + 1) > GW_UNIT_MAX || strchr(slash + 1, '/')) {
            snprintf(err, errsz, "bad radio unit %s: use network/unit", units[i]);
            goto fail;
        }
        memcpy(net, units[i], nl);
        net[nl] = '\0';
        st = stmt(s, ST_UNIT_ADD);
        if (!st)
            goto fail;
        bind_text(st, 1, net);
        bind_text(st, 2, slash + 1);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(err, errsz, "cannot add unit %s: %s", units[i], sqlite3_errmsg(s->db));
            finish(st);
            goto fail;
        }
        finish(st);
    }
    if (store_commit(s)) {
        snprintf(err, errsz, "commit failed: %s", sqlite3_errmsg(s->db));
        goto fail;
    }
    return id;
fail:
    store_rollback(s);
    return -1;
}

int store_person_set_active(store *s, const char *callsign, int active)
{
    sqlite3_stmt *st = stmt(s, ST_PERSON_ACTIVE);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, active);
    bind_text(st, 2, callsign);
    if (step_done(s, st, "set active"))
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_people_each(store *s, void (*fn)(void *arg, const store_person *p, const char *units),
                      void *arg)
{
    sqlite3_stmt *st = stmt(s, ST_PEOPLE);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_person p;
        read_person(st, &p);
        const unsigned char *units = sqlite3_column_text(st, 7);
        fn(arg, &p, units ? (const char *)units : "");
    }
    finish(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "list people");
        return -1;
    }
    return 0;
}

int64_t store_report_add(store *s, const store_report *r)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_ADD);
    if (!st)
        return -1;
    bind_text(st, 1, r->code);
    sqlite3_bind_int(st, 2, r->priority);
    bind_text(st, 3, r->location);
    bind_text(st, 4, r->zone && r->zone[0] ? r->zone : NULL);
    if (r->has_coords) {
        sqlite3_bind_double(st, 5, r->lat);
        sqlite3_bind_double(st, 6, r->lon);
    }
    sqlite3_bind_text(st, 7, r->details ? r->details : "", (int)r->details_len, SQLITE_STATIC);
    bind_text(st, 8, r->reporter);
    bind_id(st, 9, r->person_id);
    bind_text(st, 10, r->channel);
    sqlite3_bind_int64(st, 11, r->received_at);
    if (step_done(s, st, "add report"))
        return -1;
    return sqlite3_last_insert_rowid(s->db);
}

int store_report_get(store *s, int64_t ref, store_report_info *out)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->ref = sqlite3_column_int64(st, 0);
        col_copy(st, 1, out->reporter, sizeof out->reporter);
        col_copy(st, 2, out->status, sizeof out->status);
    }
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "get report");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int store_report_clear(store *s, int64_t ref, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_CLEAR);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, ref);
    return step_done(s, st, "clear report");
}

int store_event_add(store *s, int64_t ref, int64_t at, const char *kind, const char *partner,
                    const char *by, const char *detail, size_t detail_len)
{
    sqlite3_stmt *st = stmt(s, ST_EVENT_ADD);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, kind);
    bind_text(st, 4, partner);
    bind_text(st, 5, by);
    if (detail)
        sqlite3_bind_text(st, 6, detail, (int)detail_len, SQLITE_STATIC);
    return step_done(s, st, "add event");
}

int store_alert_add(store *s, const char *alert_id, int64_t ref, const char *partner,
                    const char *channel, int64_t created_at, const char *payload)
{
    sqlite3_stmt *st = stmt(s, ST_ALERT_ADD);
    if (!st)
        return -1;
    bind_text(st, 1, alert_id);
    sqlite3_bind_int64(st, 2, ref);
    bind_text(st, 3, partner);
    bind_text(st, 4, channel);
    sqlite3_bind_int64(st, 5, created_at);
    sqlite3_bind_int64(st, 6, created_at);
    bind_text(st, 7, payload);
    return step_done(s, st, "add alert");
}

int store_alerts_due(store *s, const char *channel, int64_t now, int limit, int64_t retry_ms,
                     int (*fn)(void *arg, const store_alert *a), void *arg)
{
    enum { DUE_MAX = 512 };
    int64_t ids[DUE_MAX];
    int nids = 0;
    sqlite3_stmt *st = stmt(s, ST_ALERTS_DUE);
    if (!st)
        return -1;
    if (limit > DUE_MAX)
        limit = DUE_MAX;
    bind_text(st, 1, channel);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_alert a;
        a.id = sqlite3_column_int64(st, 0);
        col_copy(st, 1, a.alert_id, sizeof a.alert_id);
        col_copy(st, 2, a.partner, sizeof a.partner);
        col_copy(st, 3, a.channel, sizeof a.channel);
        a.attempts = sqlite3_column_int(st, 4);
        const unsigned char *p = sqlite3_column_text(st, 5);
        a.payload = p ? (const char *)p : "";
        if (fn(arg, &a) == 0 && nids < DUE_MAX)
            ids[nids++] = a.id;
    }
    finish(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "due alerts");
        return -1;
    }
    for (int i = 0; retry_ms > 0 && i < nids; i++) {
        st = stmt(s, ST_ALERT_ATTEMPT);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, now + retry_ms);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (step_done(s, st, "alert attempt"))
            return -1;
    }
    return nids;
}

int store_alert_sent(store *s, int64_t id, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_ALERT_SENT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, id);
    return step_done(s, st, "alert sent");
}

int store_alert_ack(store *s, int64_t ref, const char *partner, const char *by, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_ALERT_ACK);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    bind_text(st, 2, by);
    sqlite3_bind_int64(st, 3, ref);
    bind_text(st, 4, partner);
    if (step_done(s, st, "ack alert"))
        return -1;
    return sqlite3_changes(s->db);
}

int store_alerts_due_now(store *s, int64_t now)
{
    sqlite3_stmt *st = stmt(s, ST_ALERTS_DUE_NOW);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, now);
    return step_done(s, st, "alerts due now");
}

long store_alerts_pending(store *s)
{
    sqlite3_stmt *st = stmt(s, ST_ALERTS_PENDING);
    if (!st)
        return -1;
    long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    finish(st);
    return n;
}

int store_shift_on(store *s, const char *reporter, int64_t person_id, const char *zone, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_SHIFT_CLOSE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    bind_text(st, 2, reporter);
    if (step_done(s, st, "close shift"))
        return -1;
    st = stmt(s, ST_SHIFT_OPEN);
    if (!st)
        return -1;
    bind_text(st, 1, reporter);
    bind_id(st, 2, person_id);
    bind_text(st, 3, zone && zone[0] ? zone : NULL);
    sqlite3_bind_int64(st, 4, at);
    return step_done(s, st, "open shift");
}

int store_shift_off(store *s, const char *reporter, int64_t at, int64_t *on_at)
{
    sqlite3_stmt *st = stmt(s, ST_SHIFT_FIND);
    if (!st)
        return -1;
    bind_text(st, 1, reporter);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *on_at = sqlite3_column_int64(st, 1);
    finish(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        db_error(s, "find shift");
        return -1;
    }
    st = stmt(s, ST_SHIFT_CLOSE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    bind_text(st, 2, reporter);
    if (step_done(s, st, "close shift"))
        return -1;
    return 1;
}

int store_status_set(store *s, const char *key, const char *value, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_STATUS_SET);
    if (!st)
        return -1;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    sqlite3_bind_int64(st, 3, at);
    return step_done(s, st, "status");
}

/* The read side (query.c) runs its own SQL on the same connection. */
sqlite3 *store_sqlite(store *s)
{
    return s->db;
}
