/* store.c: the SQLite backend of store.h (WAL, one writer, prepared statements). */
#include "store.h"
#include "store_sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dupwin.h"
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
    /* 2 -> 3 */
    /* SMS parts as read from the modem, journaled before they are deleted
     * from it; a part read again is the same row. */
    "CREATE TABLE sms_parts ("
    "  id INTEGER PRIMARY KEY, sender TEXT NOT NULL,"
    "  ref INTEGER NOT NULL, part INTEGER NOT NULL, total INTEGER NOT NULL,"
    "  smsc_time INTEGER NOT NULL, folder INTEGER NOT NULL, location INTEGER NOT NULL,"
    "  coding TEXT NOT NULL, text TEXT NOT NULL, received_at INTEGER NOT NULL,"
    "  message_id INTEGER, state TEXT NOT NULL DEFAULT 'waiting'"
    "    CHECK (state IN ('waiting','done')),"
    "  UNIQUE (sender, ref, part, total, smsc_time, text));"
    "CREATE INDEX sms_parts_waiting ON sms_parts(sender, ref, total) WHERE state = 'waiting';"
    "CREATE INDEX sms_parts_message ON sms_parts(message_id);"
    /* The persistent SMS send queue: replies and duty-phone alerts. */
    "CREATE TABLE sms_out ("
    "  id INTEGER PRIMARY KEY, to_number TEXT NOT NULL, text TEXT NOT NULL,"
    "  coding TEXT NOT NULL CHECK (coding IN ('gsm7','ucs2')),"
    "  kind TEXT NOT NULL CHECK (kind IN ('reply','alert')),"
    "  ref INTEGER, alert_row INTEGER, message_id INTEGER,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending','sent','failed','dropped')),"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, sent_at INTEGER, last_error TEXT,"
    "  msg_ref INTEGER, delivery TEXT, delivered_at INTEGER);"
    "CREATE INDEX sms_out_due ON sms_out(next_attempt_at, id) WHERE state = 'pending';"
    "CREATE INDEX sms_out_to ON sms_out(to_number, created_at);"
    "CREATE INDEX sms_out_sent ON sms_out(sent_at) WHERE sent_at IS NOT NULL;",
    /* 3 -> 4 */
    /* The alert lifecycle (docs/alerts.md): outbox rows get a kind (an alert,
     * its resends, escalation, reminders, updates, digests, fallbacks, the
     * reporter's ACK notice), more states (held for a digest, cancelled by an
     * ACK, dead-lettered = failed) and a target (radio unit of a notice).
     * SQLite cannot change a CHECK: the table is rebuilt, ids kept. */
    "CREATE TABLE alerts_v4 ("
    "  id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL,"
    "  ref INTEGER NOT NULL, partner TEXT NOT NULL, channel TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert','resend','escalation',"
    "    'reminder','update','digest','fallback','notice')),"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','held','sent','acked',"
    "    'failed','cancelled','digested')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
    "  sent_at INTEGER, acked_at INTEGER, acked_by TEXT, last_error TEXT,"
    "  payload TEXT NOT NULL,"
    "  priority INTEGER, target TEXT, escalation INTEGER NOT NULL DEFAULT 0,"
    "  parent INTEGER, dead_at INTEGER, code INTEGER,"
    "  UNIQUE (alert_id, channel));"
    "INSERT INTO alerts_v4 (id, alert_id, ref, partner, channel, state, attempts, created_at,"
    "  next_attempt_at, sent_at, acked_at, acked_by, last_error, payload, priority)"
    " SELECT a.id, a.alert_id, a.ref, a.partner, a.channel, a.state, a.attempts, a.created_at,"
    "  a.next_attempt_at, a.sent_at, a.acked_at, a.acked_by, a.last_error, a.payload,"
    "  (SELECT priority FROM reports r WHERE r.ref = a.ref) FROM alerts a;"
    "DROP TABLE alerts;"
    "ALTER TABLE alerts_v4 RENAME TO alerts;"
    "CREATE INDEX alerts_due ON alerts(channel, next_attempt_at) WHERE state = 'pending';"
    "CREATE INDEX alerts_ref ON alerts(ref);"
    "CREATE INDEX alerts_held ON alerts(partner, channel) WHERE state = 'held';"
    /* One row per (report, partner alerted): acknowledgement and chasing. */
    "CREATE TABLE chases ("
    "  ref INTEGER NOT NULL, partner TEXT NOT NULL, priority INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, acked_at INTEGER, acked_by TEXT, acked_via TEXT,"
    "  resends INTEGER NOT NULL DEFAULT 0, escalated_at INTEGER,"
    "  reminders INTEGER NOT NULL DEFAULT 0, next_at INTEGER,"
    "  PRIMARY KEY (ref, partner)) WITHOUT ROWID;"
    "CREATE INDEX chases_next ON chases(next_at) WHERE next_at IS NOT NULL;"
    "CREATE INDEX chases_partner ON chases(partner, created_at);"
    "INSERT INTO chases (ref, partner, priority, created_at, acked_at, acked_by)"
    " SELECT a.ref, a.partner, ifnull(a.priority, 4), min(a.created_at), max(a.acked_at),"
    "  max(a.acked_by) FROM alerts a GROUP BY a.ref, a.partner;",
    /* 4 -> 5 */
    /* The same-text duplicate rule is answered by a memory index of the
     * journal (dupwin.h): the index on a hash of the text, one random insert
     * per message, goes; text_hash is no longer written (the column stays:
     * dropping it would rewrite the whole journal). */
    "DROP INDEX IF EXISTS messages_text;",
    /* 5 -> 6 */
    /* Dashboard accounts (gateway/users.c): argon2id hashes (libsodium's
     * crypto_pwhash_str); changed_at ends the sessions opened before it.
     * Sessions themselves live in memory only (gateway/http.c). */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('viewer','duty','coordinator')),"
    "  partner TEXT, pwhash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL, last_login_at INTEGER);",
    /* 6 -> 7 */
    /* The e-mail and webhook deliveries are picked per destination (outbox.c:
     * each partner's webhook gets its share of the curl worker), so the due
     * rows of one partner are found without walking another's backlog. */
    "CREATE INDEX IF NOT EXISTS alerts_due_partner ON alerts(channel, partner, next_attempt_at)"
    " WHERE state = 'pending';",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

enum stmt_id {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_MSG_ADD, ST_DUP_MSGID, ST_DUP_ROW, ST_DUP_RANGE, ST_DUP_RECENT, ST_DUP_LAST, ST_LAST_REPLY,
    ST_PERSON_UNIT, ST_PERSON_PHONE, ST_PERSON_CALLSIGN, ST_PERSON_ADD, ST_UNIT_ADD,
    ST_PERSON_ACTIVE, ST_PEOPLE,
    ST_REPORT_ADD, ST_REPORT_GET, ST_REPORT_CLEAR, ST_EVENT_ADD,
    ST_ALERT_ADD, ST_ALERTS_DUE, ST_ALERTS_DUE_PARTNER, ST_ALERTS_DUE_NOW, ST_ALERT_ATTEMPT, ST_ALERT_SENT, ST_ALERTS_PENDING,
    ST_SHIFT_CLOSE, ST_SHIFT_OPEN, ST_SHIFT_FIND,
    ST_STATUS_SET, ST_CHASE_ADD,
    ST_COUNT
};

/* The columns of an outbox row, as alert_row() reads them. */
#define ALERT_COLS "id, alert_id, partner, channel, attempts, payload, kind, ifnull(target, ''),"\
    " escalation, created_at, ref, ifnull(priority, 0), state"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_MSG_ADD] =
        "INSERT INTO messages (channel, network, unit, sender, bridge, msg_id, bridge_ts, payload,"
        " text, received_at, outcome, reason, reply, ref, person_id, dup_of)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_DUP_MSGID] =
        "SELECT id, ref, reply FROM messages WHERE msg_id = ? AND received_at >= ?"
        " AND channel = ? AND sender = ? AND outcome IN ('accepted','error') ORDER BY id LIMIT 1",
    /* Same text: a candidate row of the memory index, read back and compared. */
    [ST_DUP_ROW] =
        "SELECT id, ref, reply FROM messages WHERE id = ? AND channel = ? AND sender = ?"
        " AND text = ? AND received_at >= ? AND outcome IN ('accepted','error')",
    /* ...and the part of the window the index let go of (messages_received). */
    [ST_DUP_RANGE] =
        "SELECT id, ref, reply FROM messages WHERE received_at >= ? AND received_at <= ?"
        " AND channel = ? AND sender = ? AND text = ? AND outcome IN ('accepted','error')"
        " ORDER BY id LIMIT 1",
    /* What the memory index is built from. */
    [ST_DUP_RECENT] =
        "SELECT id, received_at, channel, sender, text FROM messages WHERE received_at >= ?"
        " AND outcome IN ('accepted','error') AND text IS NOT NULL AND sender IS NOT NULL"
        " ORDER BY id",
    /* A command's repeat: the sender's latest row since ?1 (by id, newest
     * first: it stops at that sender's last row) has the same text, and is
     * the original or a duplicate of one since ?1. */
    [ST_DUP_LAST] =
        "SELECT o.id, o.ref, o.reply FROM (SELECT id, text, outcome, dup_of FROM messages"
        " WHERE id >= ?1 AND channel = ?2 AND sender = ?3 ORDER BY id DESC LIMIT 1) l"
        " JOIN messages o ON o.id = CASE WHEN l.outcome = 'duplicate' THEN l.dup_of ELSE l.id END"
        " WHERE l.text = ?4 AND o.id >= ?1 AND o.outcome IN ('accepted','error')",
    /* The reply to the sender's latest row received since ?1: the window's
     * first row is one seek in messages_received (min(id) would walk the
     * whole journal by rowid), then rows are walked newest first down to
     * that sender's. */
    [ST_LAST_REPLY] =
        "SELECT ifnull(reply, '') FROM messages WHERE id >= (SELECT id FROM messages"
        " WHERE received_at >= ?1 ORDER BY received_at LIMIT 1) AND channel = ?2 AND sender = ?3"
        " ORDER BY id DESC LIMIT 1",
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
    [ST_REPORT_GET] =
        "SELECT ref, reporter, status, code, priority, location, ifnull(zone, ''), details,"
        " lat IS NOT NULL AND lon IS NOT NULL, ifnull(lat, 0), ifnull(lon, 0), channel, received_at"
        " FROM reports WHERE ref = ?",
    [ST_REPORT_CLEAR] =
        "UPDATE reports SET status = 'cleared', cleared_at = ? WHERE ref = ? AND status <> 'cleared'",
    [ST_EVENT_ADD] =
        "INSERT INTO report_events (ref, at, kind, partner, by, detail) VALUES (?,?,?,?,?,?)",
    [ST_ALERT_ADD] =
        "INSERT OR IGNORE INTO alerts (alert_id, ref, partner, channel, created_at, next_attempt_at,"
        " payload, kind, state, priority, target, escalation, parent)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_ALERTS_DUE] =
        "SELECT " ALERT_COLS " FROM alerts"
        " WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
    [ST_ALERTS_DUE_PARTNER] =
        "SELECT " ALERT_COLS " FROM alerts"
        " WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ? AND partner = ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
    [ST_ALERTS_DUE_NOW] =
        "UPDATE alerts SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?",
    [ST_ALERT_ATTEMPT] =
        "UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
    [ST_ALERT_SENT] =
        "UPDATE alerts SET state = 'sent', sent_at = ?, attempts = attempts + 1"
        " WHERE id = ? AND state = 'pending'",
    [ST_ALERTS_PENDING] = "SELECT count(*) FROM alerts WHERE state = 'pending'",
    [ST_STATUS_SET] =
        "INSERT INTO gateway_status (key, value, updated_at) VALUES (?,?,?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    /* One per partner alerted: on the ingest path. */
    [ST_CHASE_ADD] =
        "INSERT OR IGNORE INTO chases (ref, partner, priority, created_at, next_at)"
        " VALUES (?,?,?,?,?)",
    [ST_SHIFT_CLOSE] = "UPDATE shifts SET off_at = ? WHERE reporter = ? AND off_at IS NULL",
    [ST_SHIFT_OPEN] = "INSERT INTO shifts (reporter, person_id, zone, on_at) VALUES (?,?,?,?)",
    [ST_SHIFT_FIND] =
        "SELECT id, on_at FROM shifts WHERE reporter = ? AND off_at IS NULL ORDER BY id DESC LIMIT 1",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    enum store_mode mode;
    dupwin *dw;   /* same-text duplicates: built at the first lookup, NULL before */
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

/* Before an existing store is migrated, a copy of it as it is, taken with the
 * SQLite online backup API, next to it: <store>.schema<v>-<UTC time>.bak. A
 * migration that goes wrong, or going back to the older patrolgw, starts from
 * it (docs/operations.md). No copy, no migration. */
static int backup_before_migrate(store *s, int v, char *err, size_t errsz)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    char dst_path[GW_PATH_MAX + 64];
    char stamp[32];
    sqlite3 *dst = NULL;
    struct tm tm;
    time_t now = (time_t)(clock_now_ms() / 1000);

    if (!path || !path[0])
        return 0; /* in memory or temporary: nothing to keep */
    if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0) {
        snprintf(err, errsz, "cannot back up the store before migrating: no time");
        return -1;
    }
    int n = snprintf(dst_path, sizeof dst_path, "%s.schema%d-%s.bak", path, v, stamp);
    if (n < 0 || (size_t)n >= sizeof dst_path) {
        snprintf(err, errsz, "cannot back up the store before migrating: path too long");
        return -1;
    }
    if (sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto fail;
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b)
        goto fail;
    int rc = sqlite3_backup_step(b, -1);
    if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
        goto fail;
    if (sqlite3_close(dst) != SQLITE_OK)
        goto fail;
    log_info("store", "schema %d store backed up to %s before migrating to schema %d", v,
             dst_path, (int)NMIGRATIONS);
    return 0;
fail:
    snprintf(err, errsz, "cannot back up the store to %s before migrating: %s", dst_path,
             dst ? sqlite3_errmsg(dst) : "out of memory");
    (void)sqlite3_close(dst);
    (void)unlink(dst_path); /* a partial copy is no backup */
    return -1;
}

static int migrate(store *s, char *err, size_t errsz)
{
    int v;
    if (user_version(s, &v)) {
        snprintf(err, errsz, "cannot read schema version: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    if (v > (int)NMIGRATIONS) {
        /* Written by a newer patrolgw: migrating back is not possible. */
        snprintf(err, errsz,
                 "%s: store schema version %d is newer than this patrolgw %s knows (%d): "
                 "run the newer patrolgw, or restore the backup taken before it migrated "
                 "the store (see docs/operations.md)",
                 sqlite3_db_filename(s->db, "main"), v, PATROL_VERSION, (int)NMIGRATIONS);
        return -1;
    }
    if (v > 0 && v < (int)NMIGRATIONS && s->mode == STORE_RW) {
        log_info("store", "store schema version %d is older than %d: migrating", v,
                 (int)NMIGRATIONS);
        if (backup_before_migrate(s, v, err, errsz))
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
    dupwin_free(s->dw);
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

int store_begin_read(store *s) { return exec(s, "BEGIN DEFERRED"); }

void store_busy_timeout(store *s, int ms) { sqlite3_busy_timeout(s->db, ms); }

int store_commit(store *s)
{
    if (run_simple(s, ST_COMMIT, "commit"))
        return -1; /* the caller rolls back */
    if (s->dw)
        dupwin_commit(s->dw);
    return 0;
}

void store_rollback(store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK, "rollback");
    if (s->dw)
        dupwin_rollback(s->dw);
}

/* A journal row the same-text rule may answer with. */
static int dup_candidate(const char *outcome, const char *sender, const char *text)
{
    return text && sender && outcome &&
           (strcmp(outcome, "accepted") == 0 || strcmp(outcome, "error") == 0);
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
    if (m->text)
        sqlite3_bind_text(st, 9, m->text, (int)m->text_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, m->received_at);
    bind_text(st, 11, m->outcome);
    bind_text(st, 12, m->reason);
    bind_text(st, 13, m->reply);
    bind_id(st, 14, m->ref);
    bind_id(st, 15, m->person_id);
    bind_id(st, 16, m->dup_of);
    if (step_done(s, st, "journal message"))
        return -1;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (s->dw && dup_candidate(m->outcome, m->sender, m->text)) {
        dupwin_add(s->dw, dupwin_key(m->channel, m->sender, m->text, m->text_len), id,
                   m->received_at);
        if (sqlite3_get_autocommit(s->db))
            dupwin_commit(s->dw); /* no transaction open: the row is in for good */
    }
    return id;
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

int store_dup_by_msg_id(store *s, const char *channel, const char *sender, const char *msg_id,
                        int64_t since, store_dup *out)
{
    if (!channel || !sender)
        return 0; /* NULL never equals anything in SQL either */
    sqlite3_stmt *st = stmt(s, ST_DUP_MSGID);
    if (!st)
        return -1;
    bind_text(st, 1, msg_id);
    sqlite3_bind_int64(st, 2, since);
    bind_text(st, 3, channel);
    bind_text(st, 4, sender);
    return read_dup(s, st, out);
}

/* Builds the memory index from the journal's rows received since `since`. */
static int dupwin_build(store *s, int64_t since)
{
    sqlite3_stmt *st = stmt(s, ST_DUP_RECENT);
    if (!st)
        return -1;
    s->dw = dupwin_new(DUPWIN_MAX_ENTRIES, since - 1);
    if (!s->dw) {
        log_error("store", "out of memory for the duplicate index");
        return -1;
    }
    sqlite3_bind_int64(st, 1, since);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 4);
        int len = sqlite3_column_bytes(st, 4);
        dupwin_add(s->dw,
                   dupwin_key((const char *)sqlite3_column_text(st, 2),
                              (const char *)sqlite3_column_text(st, 3), text, (size_t)len),
                   sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    }
    finish(st);
    /* Rows of a transaction still open are in as well; if it rolls back,
     * their candidates find no row when read back. */
    dupwin_commit(s->dw);
    if (rc != SQLITE_DONE) {
        db_error(s, "build the duplicate index");
        dupwin_free(s->dw);
        s->dw = NULL;
        return -1;
    }
    return 0;
}

/* Binds the key and runs a same-text statement; keeps the lowest id found in *best. */
static int dup_text_step(store *s, sqlite3_stmt *st, int at, const char *channel,
                         const char *sender, const char *text, size_t len, store_dup *best,
                         int *found)
{
    store_dup d;
    bind_text(st, at, channel);
    bind_text(st, at + 1, sender);
    sqlite3_bind_text(st, at + 2, text, (int)len, SQLITE_STATIC);
    int rc = read_dup(s, st, &d);
    if (rc == 1 && (!*found || d.id < best->id)) {
        *best = d;
        *found = 1;
    }
    return rc < 0 ? -1 : 0;
}

int store_dup_by_text(store *s, const char *channel, const char *sender, const char *text,
                      size_t len, int64_t since, store_dup *out)
{
    int64_t ids[DUPWIN_FIND_MAX];
    int found = 0;
    if (!channel || !sender || !text)
        return 0; /* NULL never equals anything in SQL either */
    if (!s->dw)
        (void)dupwin_build(s, since); /* without it, the journal answers alone */
    int64_t upto = INT64_MAX; /* the journal answers for [since, upto] */
    if (s->dw) {
        dupwin_expire(s->dw, since);
        upto = dupwin_floor(s->dw);
        int n = dupwin_find(s->dw, dupwin_key(channel, sender, text, len), since, ids,
                            DUPWIN_FIND_MAX);
        if (n > DUPWIN_FIND_MAX)
            upto = INT64_MAX;
        for (int i = 0; i < n && i < DUPWIN_FIND_MAX; i++) {
            sqlite3_stmt *st = stmt(s, ST_DUP_ROW);
            if (!st)
                return -1;
            sqlite3_bind_int64(st, 1, ids[i]);
            sqlite3_bind_int64(st, 5, since);
            if (dup_text_step(s, st, 2, channel, sender, text, len, out, &found))
                return -1;
        }
    }
    if (since <= upto) {
        sqlite3_stmt *st = stmt(s, ST_DUP_RANGE);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, upto);
        if (dup_text_step(s, st, 3, channel, sender, text, len, out, &found))
            return -1;
    }
    return found;
}

int store_dup_last(store *s, const char *channel, const char *sender, int64_t from,
                   const char *text, size_t len, store_dup *out)
{
    if (!channel || !sender || !text)
        return 0;
    sqlite3_stmt *st = stmt(s, ST_DUP_LAST);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, from);
    bind_text(st, 2, channel);
    bind_text(st, 3, sender);
    sqlite3_bind_text(st, 4, text, (int)len, SQLITE_STATIC);
    return read_dup(s, st, out);
}

int store_last_reply(store *s, const char *channel, const char *sender, int64_t since,
                     char *out, size_t outsz)
{
    if (!channel || !sender)
        return 0;
    sqlite3_stmt *st = stmt(s, ST_LAST_REPLY);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    bind_text(st, 2, channel);
    bind_text(st, 3, sender);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        col_copy(st, 0, out, outsz);
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "last reply");
        return -1;
    }
    return rc == SQLITE_ROW;
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

    /* A savepoint: all or nothing, inside the caller's transaction (the
     * audit row goes in the same one) or on its own. */
    if (exec(s, "SAVEPOINT person_add")) {
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
    if (exec(s, "RELEASE person_add")) {
        snprintf(err, errsz, "commit failed: %s", sqlite3_errmsg(s->db));
        goto fail;
    }
    return id;
fail:
    (void)sqlite3_exec(s->db, "ROLLBACK TO person_add; RELEASE person_add", NULL, NULL, NULL);
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
        col_copy(st, 3, out->code, sizeof out->code);
        out->priority = sqlite3_column_int(st, 4);
        col_copy(st, 5, out->location, sizeof out->location);
        col_copy(st, 6, out->zone, sizeof out->zone);
        col_copy(st, 7, out->details, sizeof out->details);
        out->has_coords = sqlite3_column_int(st, 8);
        out->lat = sqlite3_column_double(st, 9);
        out->lon = sqlite3_column_double(st, 10);
        col_copy(st, 11, out->channel, sizeof out->channel);
        out->received_at = sqlite3_column_int64(st, 12);
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

int64_t store_alert_add(store *s, const store_alert_new *a)
{
    sqlite3_stmt *st = stmt(s, ST_ALERT_ADD);
    if (!st)
        return -1;
    bind_text(st, 1, a->alert_id);
    sqlite3_bind_int64(st, 2, a->ref);
    bind_text(st, 3, a->partner);
    bind_text(st, 4, a->channel);
    sqlite3_bind_int64(st, 5, a->created_at);
    sqlite3_bind_int64(st, 6, a->due_at > 0 ? a->due_at : a->created_at);
    bind_text(st, 7, a->payload);
    bind_text(st, 8, a->kind ? a->kind : "alert");
    bind_text(st, 9, a->held ? "held" : "pending");
    if (a->priority > 0)
        sqlite3_bind_int(st, 10, a->priority);
    bind_text(st, 11, a->target);
    sqlite3_bind_int(st, 12, a->escalation);
    bind_id(st, 13, a->parent);
    if (step_done(s, st, "add alert"))
        return -1;
    /* 0: that (alert_id, channel) was there already. */
    return sqlite3_changes(s->db) ? sqlite3_last_insert_rowid(s->db) : 0;
}

static void alert_row(sqlite3_stmt *st, store_alert *a)
{
    a->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, a->alert_id, sizeof a->alert_id);
    col_copy(st, 2, a->partner, sizeof a->partner);
    col_copy(st, 3, a->channel, sizeof a->channel);
    a->attempts = sqlite3_column_int(st, 4);
    const unsigned char *p = sqlite3_column_text(st, 5);
    a->payload = p ? (const char *)p : "";
    col_copy(st, 6, a->kind, sizeof a->kind);
    col_copy(st, 7, a->target, sizeof a->target);
    a->escalation = sqlite3_column_int(st, 8);
    a->created_at = sqlite3_column_int64(st, 9);
    a->ref = sqlite3_column_int64(st, 10);
    a->priority = sqlite3_column_int(st, 11);
    col_copy(st, 12, a->state, sizeof a->state);
}

static int alerts_due(store *s, const char *channel, const char *partner, int64_t now, int limit,
                      int64_t retry_ms, int (*fn)(void *arg, const store_alert *a), void *arg)
{
    enum { DUE_MAX = 512 };
    int64_t ids[DUE_MAX];
    int nids = 0;
    sqlite3_stmt *st = stmt(s, partner ? ST_ALERTS_DUE_PARTNER : ST_ALERTS_DUE);
    if (!st)
        return -1;
    if (limit > DUE_MAX)
        limit = DUE_MAX;
    bind_text(st, 1, channel);
    sqlite3_bind_int64(st, 2, now);
    if (partner) {
        bind_text(st, 3, partner);
        sqlite3_bind_int(st, 4, limit);
    } else {
        sqlite3_bind_int(st, 3, limit);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_alert a;
        alert_row(st, &a);
        if (fn(arg, &a) == 0 && nids < DUE_MAX)
            ids[nids++] = a.id;
    }
    finish(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "due alerts");
        return -1;
    }
    for (int i = 0; retry_ms > 0 && i < nids; i++)
        if (store_alert_attempt(s, ids[i], now + retry_ms))
            return -1;
    return nids;
}

int store_alerts_due(store *s, const char *channel, int64_t now, int limit, int64_t retry_ms,
                     int (*fn)(void *arg, const store_alert *a), void *arg)
{
    return alerts_due(s, channel, NULL, now, limit, retry_ms, fn, arg);
}

int store_alerts_due_partner(store *s, const char *channel, const char *partner, int64_t now,
                             int limit, int64_t retry_ms,
                             int (*fn)(void *arg, const store_alert *a), void *arg)
{
    return alerts_due(s, channel, partner, now, limit, retry_ms, fn, arg);
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

/* Statements run once in a while (SMS, administration) are prepared per call
 * instead of being kept in the shared cache. */
static sqlite3_stmt *once_prep(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(s, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Steps a statement without rows and finalizes it; rows changed or -1. */
static int once_run(store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, what);
        return -1;
    }
    return sqlite3_changes(s->db);
}

/* ---- SMS channel (a few statements a second at most). */

int64_t store_sms_part_add(store *s, const store_sms_part *p, int64_t *existing_id,
                           int64_t *message_id)
{
    sqlite3_stmt *st = once_prep(s,
        "INSERT OR IGNORE INTO sms_parts (sender, ref, part, total, smsc_time, folder, location,"
        " coding, text, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    bind_text(st, 1, p->sender);
    sqlite3_bind_int(st, 2, p->ref);
    sqlite3_bind_int(st, 3, p->part);
    sqlite3_bind_int(st, 4, p->total);
    sqlite3_bind_int64(st, 5, p->smsc_time);
    sqlite3_bind_int(st, 6, p->folder);
    sqlite3_bind_int(st, 7, p->location);
    bind_text(st, 8, p->coding);
    sqlite3_bind_text(st, 9, p->text, (int)p->text_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, p->received_at);
    if ((once_run(s, st, "add sms part") < 0))
        return -1;
    if (sqlite3_changes(s->db) > 0)
        return sqlite3_last_insert_rowid(s->db);
    st = once_prep(s, "SELECT id, ifnull(message_id, 0) FROM sms_parts WHERE sender = ? AND ref = ?"
                     " AND part = ? AND total = ? AND smsc_time = ? AND text = ?");
    if (!st)
        return -1;
    bind_text(st, 1, p->sender);
    sqlite3_bind_int(st, 2, p->ref);
    sqlite3_bind_int(st, 3, p->part);
    sqlite3_bind_int(st, 4, p->total);
    sqlite3_bind_int64(st, 5, p->smsc_time);
    sqlite3_bind_text(st, 6, p->text, (int)p->text_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *existing_id = sqlite3_column_int64(st, 0);
        *message_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        db_error(s, "find sms part");
        return -1;
    }
    st = once_prep(s, "UPDATE sms_parts SET folder = ?, location = ? WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, p->folder);
    sqlite3_bind_int(st, 2, p->location);
    sqlite3_bind_int64(st, 3, *existing_id);
    return (once_run(s, st, "move sms part") < 0) ? -1 : 0;
}

int store_sms_parts_each(store *s, const char *sender, int ref, int total, int64_t message_id,
                         void (*fn)(void *arg, const store_sms_part *p), void *arg)
{
    static const char cols[] =
        "SELECT id, sender, ref, part, total, smsc_time, folder, location, coding, text,"
        " received_at FROM sms_parts";
    char sql[512];
    sqlite3_stmt *st;
    if (message_id > 0) {
        snprintf(sql, sizeof sql, "%s WHERE message_id = ? ORDER BY part, id", cols);
        st = once_prep(s, sql);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, message_id);
    } else {
        snprintf(sql, sizeof sql, "%s WHERE state = 'waiting' AND sender = ? AND ref = ?"
                 " AND total = ? ORDER BY part, id", cols);
        st = once_prep(s, sql);
        if (!st)
            return -1;
        bind_text(st, 1, sender);
        sqlite3_bind_int(st, 2, ref);
        sqlite3_bind_int(st, 3, total);
    }
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *snd = sqlite3_column_text(st, 1);
        const unsigned char *cod = sqlite3_column_text(st, 8);
        const unsigned char *txt = sqlite3_column_text(st, 9);
        store_sms_part p = {
            .id = sqlite3_column_int64(st, 0),
            .sender = snd ? (const char *)snd : "",
            .ref = sqlite3_column_int(st, 2),
            .part = sqlite3_column_int(st, 3),
            .total = sqlite3_column_int(st, 4),
            .smsc_time = sqlite3_column_int64(st, 5),
            .folder = sqlite3_column_int(st, 6),
            .location = sqlite3_column_int(st, 7),
            .coding = cod ? (const char *)cod : "",
            .text = txt ? (const char *)txt : "",
            .text_len = (size_t)sqlite3_column_bytes(st, 9),
            .received_at = sqlite3_column_int64(st, 10),
        };
        fn(arg, &p);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "sms parts");
        return -1;
    }
    return n;
}

int store_sms_parts_done(store *s, const char *sender, int ref, int total, int64_t message_id)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE sms_parts SET state = 'done', message_id = ?"
                                   " WHERE state = 'waiting' AND sender = ? AND ref = ? AND total = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, message_id);
    bind_text(st, 2, sender);
    sqlite3_bind_int(st, 3, ref);
    sqlite3_bind_int(st, 4, total);
    return (once_run(s, st, "sms parts done") < 0) ? -1 : 0;
}

int store_sms_parts_expired(store *s, int64_t before, int limit,
                            void (*fn)(void *arg, const char *sender, int ref, int total),
                            void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT sender, ref, total FROM sms_parts WHERE state = 'waiting'"
                                   " GROUP BY sender, ref, total HAVING min(received_at) <= ?"
                                   " ORDER BY min(received_at) LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *snd = sqlite3_column_text(st, 0);
        fn(arg, snd ? (const char *)snd : "", sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "expired sms parts");
        return -1;
    }
    return n;
}

int64_t store_sms_out_add(store *s, const store_sms_out *o)
{
    sqlite3_stmt *st = once_prep(s,
        "INSERT INTO sms_out (to_number, text, coding, kind, ref, alert_row, message_id, state,"
        " last_error, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    bind_text(st, 1, o->to);
    bind_text(st, 2, o->text);
    bind_text(st, 3, o->coding);
    bind_text(st, 4, o->kind);
    bind_id(st, 5, o->ref);
    bind_id(st, 6, o->alert_row);
    bind_id(st, 7, o->message_id);
    bind_text(st, 8, o->state ? o->state : "pending");
    bind_text(st, 9, o->last_error);
    sqlite3_bind_int64(st, 10, o->created_at);
    sqlite3_bind_int64(st, 11, o->created_at);
    if ((once_run(s, st, "queue sms") < 0))
        return -1;
    return sqlite3_last_insert_rowid(s->db);
}

static long sms_count(store *s, sqlite3_stmt *st, const char *what)
{
    long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    else
        db_error(s, what);
    sqlite3_finalize(st);
    return n;
}

long store_sms_out_replies_to(store *s, const char *to, int64_t since)
{
    sqlite3_stmt *st = once_prep(s, "SELECT count(*) FROM sms_out WHERE to_number = ?"
                                   " AND kind = 'reply' AND state <> 'dropped' AND created_at >= ?");
    if (!st)
        return -1;
    bind_text(st, 1, to);
    sqlite3_bind_int64(st, 2, since);
    return sms_count(s, st, "count replies");
}

long store_sms_out_sent_since(store *s, int64_t since)
{
    sqlite3_stmt *st = once_prep(s, "SELECT count(*) FROM sms_out WHERE sent_at >= ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    return sms_count(s, st, "count sent");
}

int store_sms_out_due(store *s, int64_t now, int limit, const int64_t *skip, int nskip,
                      void (*fn)(void *arg, const store_sms_out *o), void *arg)
{
    sqlite3_stmt *st = once_prep(s,
        "SELECT id, to_number, text, coding, kind, ifnull(ref, 0), ifnull(alert_row, 0),"
        " ifnull(message_id, 0), attempts, created_at FROM sms_out"
        " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit + nskip);
    int rc, n = 0;
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_sms_out o;
        memset(&o, 0, sizeof o);
        o.id = sqlite3_column_int64(st, 0);
        int skipped = 0;
        for (int i = 0; i < nskip; i++)
            skipped |= skip[i] == o.id;
        if (skipped)
            continue;
        col_copy(st, 1, o.to, sizeof o.to);
        const unsigned char *t = sqlite3_column_text(st, 2);
        o.text = t ? (const char *)t : "";
        col_copy(st, 3, o.coding, sizeof o.coding);
        col_copy(st, 4, o.kind, sizeof o.kind);
        o.ref = sqlite3_column_int64(st, 5);
        o.alert_row = sqlite3_column_int64(st, 6);
        o.message_id = sqlite3_column_int64(st, 7);
        o.attempts = sqlite3_column_int(st, 8);
        o.created_at = sqlite3_column_int64(st, 9);
        o.state = "pending";
        fn(arg, &o);
        n++;
    }
    if (n >= limit)
        rc = SQLITE_DONE;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "due sms");
        return -1;
    }
    return n;
}

int store_sms_out_result(store *s, int64_t id, int ok, int msg_ref, const char *error,
                         int64_t now, int64_t next_at)
{
    sqlite3_stmt *st;
    if (ok) {
        st = once_prep(s, "UPDATE sms_out SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
                         " msg_ref = ?, last_error = NULL WHERE id = ? AND state = 'pending'");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int(st, 2, msg_ref);
        sqlite3_bind_int64(st, 3, id);
        if ((once_run(s, st, "sms sent") < 0))
            return -1;
        st = once_prep(s, "UPDATE alerts SET state = 'sent', sent_at = ?, attempts = attempts + 1"
                         " WHERE id = (SELECT alert_row FROM sms_out WHERE id = ?)"
                         " AND state = 'pending'");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, id);
        return (once_run(s, st, "sms alert sent") < 0) ? -1 : 0;
    }
    st = once_prep(s, "UPDATE sms_out SET attempts = attempts + 1, last_error = ?,"
                     " next_attempt_at = ? WHERE id = ? AND state = 'pending'");
    if (!st)
        return -1;
    bind_text(st, 1, error);
    sqlite3_bind_int64(st, 2, next_at);
    sqlite3_bind_int64(st, 3, id);
    return (once_run(s, st, "sms attempt") < 0) ? -1 : 0;
}

int store_sms_out_give_up(store *s, int64_t before, int64_t now)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE sms_out SET state = 'failed',"
                                   " last_error = ifnull(last_error || '; ', '') || 'given up'"
                                   " WHERE state = 'pending' AND created_at <= ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, before);
    if ((once_run(s, st, "give up sms") < 0))
        return -1;
    /* Their alert rows are dead-lettered by the caller (lc_sms_given_up):
     * dead_at, the timeline event and the partner's fallback. */
    (void)now;
    return sqlite3_changes(s->db);
}

int store_sms_out_delivery(store *s, const char *to, int msg_ref, const char *status, int64_t at)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE sms_out SET delivery = ?, delivered_at = ? WHERE id ="
                                   " (SELECT id FROM sms_out WHERE to_number = ? AND msg_ref = ?"
                                   " AND state = 'sent' ORDER BY id DESC LIMIT 1)");
    if (!st)
        return -1;
    bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, to);
    sqlite3_bind_int(st, 4, msg_ref);
    if ((once_run(s, st, "sms delivery") < 0))
        return -1;
    return sqlite3_changes(s->db);
}

int64_t store_alert_row(store *s, const char *alert_id, const char *channel)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id FROM alerts WHERE alert_id = ? AND channel = ?");
    if (!st)
        return -1;
    bind_text(st, 1, alert_id);
    bind_text(st, 2, channel);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "alert row");
        return -1;
    }
    return id;
}

/* ---- Administration (patrolctl). Rare calls: statements are prepared per
 * call (once_prep), not kept in the shared cache. */

/* Runs sql with up to three parameters: text ?1, text ?2, int64 ?3. */
static int adm_exec2(store *s, const char *sql, const char *t1, const char *t2, int64_t i3,
                     const char *what)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int n = sqlite3_bind_parameter_count(st);
    if (n >= 1)
        bind_text(st, 1, t1);
    if (n >= 2)
        bind_text(st, 2, t2);
    if (n >= 3)
        sqlite3_bind_int64(st, 3, i3);
    return once_run(s, st, what);
}

static int add_units(store *s, int64_t id, const char *const *units, int nunits, char *err,
                     size_t errsz)
{
    for (int i = 0; i < nunits; i++) {
        char net[GW_NETWORK_MAX + 1];
        const char *slash = strchr(units[i], '/');
        size_t nl = slash ? (size_t)(slash - units[i]) : 0;
        if (!slash || nl == 0 || nl > GW_NETWORK_MAX || slash[1] == '\0' ||
            strlen(slash + 1) > GW_UNIT_MAX || strchr(slash + 1, '/')) {
            snprintf(err, errsz, "bad radio unit %s: use network/unit", units[i]);
            return -1;
        }
        memcpy(net, units[i], nl);
        net[nl] = '\0';
        sqlite3_stmt *st = once_prep(s, "INSERT INTO radio_units (network, unit, person_id)"
                                       " VALUES (?,?,?)");
        if (!st)
            return -1;
        bind_text(st, 1, net);
        bind_text(st, 2, slash + 1);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(err, errsz, "cannot add unit %s: %s", units[i], sqlite3_errmsg(s->db));
            sqlite3_finalize(st);
            return -1;
        }
        sqlite3_finalize(st);
    }
    return 0;
}

/* The id of the unremoved person with callsign: > 0, 0 none, -1. */
static int64_t person_id_of(store *s, const char *callsign)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id FROM people WHERE callsign = ? AND removed_at IS NULL");
    if (!st)
        return -1;
    bind_text(st, 1, callsign);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "find person");
        return -1;
    }
    return id;
}

int store_person_update(store *s, const char *callsign, const store_person *p,
                        const char *const *units, int nunits, char *err, size_t errsz)
{
    int64_t id = person_id_of(s, callsign);
    if (id <= 0) {
        snprintf(err, errsz, id == 0 ? "no person %s" : "store error", callsign);
        return id == 0 ? 0 : -1;
    }
    sqlite3_stmt *st = once_prep(s, "UPDATE people SET name = ?, role = ?, partner = ?, phone = ?"
                                   " WHERE id = ?");
    if (!st)
        return -1;
    bind_text(st, 1, p->name);
    bind_text(st, 2, p->role);
    bind_text(st, 3, p->partner[0] ? p->partner : NULL);
    bind_text(st, 4, p->phone[0] ? p->phone : NULL);
    sqlite3_bind_int64(st, 5, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errsz, "cannot change %s: %s", callsign, sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    if (nunits >= 0) {
        st = once_prep(s, "DELETE FROM radio_units WHERE person_id = ?");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        if (once_run(s, st, "drop units") < 0 || add_units(s, id, units, nunits, err, errsz))
            return -1;
    }
    return 1;
}

int store_person_remove(store *s, const char *callsign, int64_t at, char *pseudonym,
                        size_t pseudonymsz)
{
    int64_t id = person_id_of(s, callsign);
    if (id <= 0)
        return id == 0 ? 0 : -1;
    char ps[40];
    snprintf(ps, sizeof ps, "removed-%lld", (long long)id);
    /* Everything that names the person by callsign or number names the
     * pseudonym instead; ?1 pseudonym, ?2 callsign, ?3 id. */
    static const char *const sql[] = {
        "UPDATE reports SET reporter = ?1 WHERE person_id = ?3 OR reporter = ?2",
        "UPDATE shifts SET reporter = ?1 WHERE person_id = ?3 OR reporter = ?2",
        "UPDATE report_events SET by = ?1 WHERE by = ?2",
        "UPDATE alerts SET acked_by = ?1 WHERE acked_by = ?2",
        "UPDATE messages SET sender = ?1 WHERE person_id = ?3 AND channel <> 'radio'",
        "DELETE FROM radio_units WHERE person_id = ?3",
        "UPDATE people SET callsign = ?1, name = ?1, phone = NULL, active = 0 WHERE id = ?3",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
        if (adm_exec2(s, sql[i], ps, callsign, id, "remove person") < 0)
            return -1;
    sqlite3_stmt *st = once_prep(s, "UPDATE people SET removed_at = ? WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, id);
    if (once_run(s, st, "remove person") < 0)
        return -1;
    snprintf(pseudonym, pseudonymsz, "%s", ps);
    return 1;
}

int store_audit_last(store *s, int64_t *id, char *hash, size_t hashsz)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        col_copy(st, 1, hash, hashsz);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "last audit row");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int store_audit_insert(store *s, const store_audit_row *r)
{
    sqlite3_stmt *st = once_prep(s, "INSERT INTO audit (id, at, actor, action, object, detail,"
                                   " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->at);
    bind_text(st, 3, r->actor);
    bind_text(st, 4, r->action);
    bind_text(st, 5, r->object);
    bind_text(st, 6, r->detail);
    bind_text(st, 7, r->prev_hash);
    bind_text(st, 8, r->hash);
    return once_run(s, st, "add audit row") < 0 ? -1 : 0;
}

static const char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *)v : "";
}

int store_audit_each(store *s, int (*fn)(void *arg, const store_audit_row *r), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id, at, actor, action, object, detail, prev_hash, hash"
                                   " FROM audit ORDER BY id");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_audit_row r = {
            .id = sqlite3_column_int64(st, 0),
            .at = sqlite3_column_int64(st, 1),
            .actor = col_str(st, 2),
            .action = col_str(st, 3),
            .object = col_str(st, 4),
            .detail = col_str(st, 5),
            .prev_hash = col_str(st, 6),
            .hash = col_str(st, 7),
        };
        if (fn(arg, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "audit rows");
        return -1;
    }
    return 0;
}

static int table_exists(store *s, const char *name)
{
    sqlite3_stmt *st = once_prep(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    if (!st)
        return -1;
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "schema");
        return -1;
    }
    return rc == SQLITE_ROW;
}

/* One purge step: the rows `where` selects in `table` (before ?1) are counted,
 * or changed by `set`. */
/* limit > 0: at most limit rows (a batch of store_purge_batch). */
static int purge_step(store *s, const char *table, const char *set, const char *where,
                      int64_t before, int dry_run, long limit, long *count)
{
    char sql[640];
    if (dry_run)
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    else if (limit > 0)
        snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE rowid IN (SELECT rowid FROM %s WHERE %s"
                 " LIMIT ?2)", table, set, table, where);
    else
        snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE %s", table, set, where);
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, before);
    if (!dry_run && limit > 0)
        sqlite3_bind_int64(st, 2, limit);
    if (dry_run) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *count += (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            db_error(s, "purge count");
            return -1;
        }
        return 0;
    }
    int n = once_run(s, st, "purge");
    if (n < 0)
        return -1;
    *count += n;
    return 0;
}

static int purge_all(store *s, int64_t details_before, int64_t phones_before, int dry_run,
                     long limit, store_purge_counts *out)
{
    memset(out, 0, sizeof *out);
    int sms = table_exists(s, "sms_out");
    if (sms < 0)
        return -1;
    /* Only rows not yet erased are touched, so that the counts say what this
     * purge did (a second purge erases nothing). */
    if (details_before > 0) {
        if (purge_step(s, "reports", "details = ''", "received_at < ?1 AND details <> ''",
                       details_before, dry_run, limit, &out->report_details) ||
            purge_step(s, "messages", "text = NULL, text_hash = NULL, payload = zeroblob(0)",
                       "received_at < ?1 AND (text IS NOT NULL OR length(payload) > 0)",
                       details_before, dry_run, limit, &out->message_texts) ||
            purge_step(s, "report_events", "detail = NULL",
                       "at < ?1 AND detail IS NOT NULL AND kind IN ('update','cleared')",
                       details_before, dry_run, limit, &out->event_details) ||
            purge_step(s, "alerts", "payload = '{}'",
                       "created_at < ?1 AND state <> 'pending' AND payload <> '{}'",
                       details_before, dry_run, limit, &out->alert_payloads))
            return -1;
        if (sms && (purge_step(s, "sms_parts", "text = ''",
                               "received_at < ?1 AND text <> '' AND state = 'done'",
                               details_before, dry_run, limit, &out->sms_texts) ||
                    purge_step(s, "sms_out", "text = ''",
                               "created_at < ?1 AND text <> '' AND state <> 'pending'",
                               details_before, dry_run, limit, &out->sms_texts)))
            return -1;
    }
    if (phones_before > 0) {
        if (purge_step(s, "messages", "sender = NULL",
                       "received_at < ?1 AND sender LIKE '+%'", phones_before, dry_run,
                       limit, &out->message_phones) ||
            purge_step(s, "reports", "reporter = 'erased'",
                       "received_at < ?1 AND reporter LIKE '+%'", phones_before, dry_run,
                       limit, &out->report_phones))
            return -1;
        if (sms && (purge_step(s, "sms_parts", "sender = 'erased'",
                               "received_at < ?1 AND sender LIKE '+%' AND state = 'done'",
                               phones_before, dry_run, limit, &out->sms_phones) ||
                    purge_step(s, "sms_out", "to_number = 'erased'",
                               "created_at < ?1 AND to_number LIKE '+%' AND state <> 'pending'",
                               phones_before, dry_run, limit, &out->sms_phones)))
            return -1;
    }
    return 0;
}

int store_purge(store *s, int64_t details_before, int64_t phones_before, int dry_run,
                store_purge_counts *out)
{
    return purge_all(s, details_before, phones_before, dry_run, 0, out);
}

int store_purge_batch(store *s, int64_t details_before, int64_t phones_before, long batch,
                      store_purge_counts *out)
{
    return purge_all(s, details_before, phones_before, 0, batch > 0 ? batch : 1, out);
}

/* How long store_backup waits for a busy store before it gives up. */
#define BACKUP_BUSY_MS 30000

int store_backup(store *s, const char *path, char *err, size_t errsz)
{
    char tmp[GW_PATH_MAX + 8];
    sqlite3 *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    (void)unlink(tmp);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        goto fail;
    b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b)
        goto fail;
    /* One step for the whole store: one read transaction, so the copy is
     * the store as of one commit; the writer is not blocked (WAL). A store
     * (or copy) that stays busy is given up after BACKUP_BUSY_MS, not waited
     * for for ever. */
    int64_t deadline = clock_mono_ms() + BACKUP_BUSY_MS;
    do {
        rc = sqlite3_backup_step(b, -1);
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && clock_mono_ms() >= deadline)
            break;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int step_rc = rc;
    rc = sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE;
    b = NULL;
    if (rc && (step_rc == SQLITE_BUSY || step_rc == SQLITE_LOCKED)) {
        snprintf(err, errsz, "backup to %s failed: the store stayed busy for %d s", path,
                 BACKUP_BUSY_MS / 1000);
        (void)sqlite3_close(dst);
        (void)unlink(tmp);
        return -1;
    }
    if (rc)
        goto fail;
    /* A standalone file: no -wal next to it. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_close(dst) != SQLITE_OK)
        goto fail;
    dst = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(err, errsz, "cannot rename %s to %s", tmp, path);
        (void)unlink(tmp);
        return -1;
    }
    return 0;
fail:
    snprintf(err, errsz, "backup to %s failed: %s", path,
             dst ? sqlite3_errmsg(dst) : "cannot open");
    if (b)
        (void)sqlite3_backup_finish(b);
    (void)sqlite3_close(dst);
    (void)unlink(tmp);
    return -1;
}

int store_alert_health_each(store *s, void (*fn)(void *arg, const store_alert_health *h),
                            void *arg)
{
    sqlite3_stmt *st = once_prep(s,
        "SELECT partner, channel,"
        " sum(state = 'pending'), sum(state = 'pending' AND attempts > 0), sum(state = 'failed'),"
        " sum(state = 'sent'), sum(state = 'acked'), ifnull(max(sent_at), 0),"
        " ifnull(min(CASE WHEN state = 'pending' THEN created_at END), 0)"
        " FROM alerts WHERE kind <> 'notice' GROUP BY partner, channel ORDER BY partner, channel");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_alert_health h = {
            .partner = col_str(st, 0),
            .channel = col_str(st, 1),
            .pending = (long)sqlite3_column_int64(st, 2),
            .retrying = (long)sqlite3_column_int64(st, 3),
            .dead = (long)sqlite3_column_int64(st, 4),
            .sent = (long)sqlite3_column_int64(st, 5),
            .acked = (long)sqlite3_column_int64(st, 6),
            .last_success = sqlite3_column_int64(st, 7),
            .oldest_pending = sqlite3_column_int64(st, 8),
        };
        fn(arg, &h);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "alert health");
        return -1;
    }
    return 0;
}

static int64_t adm_scalar(store *s, const char *sql)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        db_error(s, "count");
    return v;
}

int store_tail_start(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event)
{
    *last_ref = adm_scalar(s, "SELECT ifnull(max(ref), 0) FROM reports");
    *last_alert = adm_scalar(s, "SELECT ifnull(max(id), 0) FROM alerts");
    *last_event = adm_scalar(s, "SELECT ifnull(max(id), 0) FROM report_events");
    return *last_ref < 0 || *last_alert < 0 || *last_event < 0 ? -1 : 0;
}

int store_tail(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event, int limit,
               void (*fn)(void *arg, const store_tail_item *it), void *arg)
{
    static const char *const sql[3] = {
        "SELECT ref, ref, received_at, code, priority, location, ifnull(zone, ''), reporter,"
        " channel, status FROM reports WHERE ref > ? ORDER BY ref LIMIT ?",
        "SELECT id, ref, created_at, partner, state, channel FROM alerts WHERE id > ?"
        " AND kind = 'alert' ORDER BY id LIMIT ?",
        "SELECT id, ref, at, ifnull(partner, ''), ifnull(by, '') FROM report_events"
        " WHERE id > ? AND kind = 'ack' ORDER BY id LIMIT ?",
    };
    int64_t *last[3] = { last_ref, last_alert, last_event };
    int total = 0;
    /* Reports first, then their alerts, then acknowledgements: the order
     * they were committed in within one poll. */
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *st = once_prep(s, sql[k]);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, *last[k]);
        sqlite3_bind_int(st, 2, limit);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            store_tail_item it;
            memset(&it, 0, sizeof it);
            it.id = sqlite3_column_int64(st, 0);
            it.ref = sqlite3_column_int64(st, 1);
            it.at = sqlite3_column_int64(st, 2);
            it.location = it.zone = it.reporter = it.channel = it.status = "";
            it.partner = it.state = it.by = it.code = "";
            if (k == 0) {
                it.kind = "report";
                it.code = col_str(st, 3);
                it.priority = sqlite3_column_int(st, 4);
                it.location = col_str(st, 5);
                it.zone = col_str(st, 6);
                it.reporter = col_str(st, 7);
                it.channel = col_str(st, 8);
                it.status = col_str(st, 9);
            } else if (k == 1) {
                it.kind = "alert";
                it.partner = col_str(st, 3);
                it.state = col_str(st, 4);
                it.channel = col_str(st, 5);
            } else {
                it.kind = "ack";
                it.partner = col_str(st, 3);
                it.by = col_str(st, 4);
            }
            fn(arg, &it);
            *last[k] = it.id;
            total++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            db_error(s, "tail");
            return -1;
        }
    }
    return total;
}

int store_status_each(store *s, void (*fn)(void *arg, const char *key, const char *value,
                                           int64_t updated_at), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT key, ifnull(value, ''), updated_at FROM gateway_status"
                                   " ORDER BY key");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(arg, col_str(st, 0), col_str(st, 1), sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "status");
        return -1;
    }
    return 0;
}

int store_queue_depths(store *s, store_queues *out)
{
    out->alerts_pending = (long)adm_scalar(s, "SELECT count(*) FROM alerts WHERE state = 'pending'");
    out->alerts_retrying = (long)adm_scalar(
        s, "SELECT count(*) FROM alerts WHERE state = 'pending' AND attempts > 0");
    out->alerts_failed = (long)adm_scalar(s, "SELECT count(*) FROM alerts WHERE state = 'failed'");
    out->reports_open = (long)adm_scalar(s, "SELECT count(*) FROM reports WHERE status = 'open'");
    out->sms_out_pending = out->sms_parts_waiting = -1;
    int sms = table_exists(s, "sms_out");
    if (sms < 0)
        return -1;
    if (sms) {
        out->sms_out_pending =
            (long)adm_scalar(s, "SELECT count(*) FROM sms_out WHERE state = 'pending'");
        out->sms_parts_waiting =
            (long)adm_scalar(s, "SELECT count(*) FROM sms_parts WHERE state = 'waiting'");
    }
    return out->alerts_pending < 0 || out->alerts_failed < 0 || out->reports_open < 0 ? -1 : 0;
}


/* ---- The alert lifecycle (lifecycle.c): chases, results, digests, notices.
 * A few statements per alert at most: per-call statements, but for the chase
 * every alert adds (kept prepared: it is on the ingest path). */

int store_chase_add(store *s, int64_t ref, const char *partner, int priority, int64_t at,
                    int64_t next_at)
{
    sqlite3_stmt *st = stmt(s, ST_CHASE_ADD);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    bind_text(st, 2, partner);
    sqlite3_bind_int(st, 3, priority);
    sqlite3_bind_int64(st, 4, at);
    bind_id(st, 5, next_at);
    return step_done(s, st, "add chase");
}

static void chase_row(sqlite3_stmt *st, store_chase *c)
{
    c->ref = sqlite3_column_int64(st, 0);
    col_copy(st, 1, c->partner, sizeof c->partner);
    c->priority = sqlite3_column_int(st, 2);
    c->created_at = sqlite3_column_int64(st, 3);
    c->acked_at = sqlite3_column_int64(st, 4);
    col_copy(st, 5, c->acked_by, sizeof c->acked_by);
    c->resends = sqlite3_column_int(st, 6);
    c->escalated_at = sqlite3_column_int64(st, 7);
    c->reminders = sqlite3_column_int(st, 8);
    c->next_at = sqlite3_column_int64(st, 9);
}

#define CHASE_COLS "ref, partner, priority, created_at, ifnull(acked_at, 0), ifnull(acked_by, ''),"\
    " resends, ifnull(escalated_at, 0), reminders, ifnull(next_at, 0)"

int store_chase_get(store *s, int64_t ref, const char *partner, store_chase *out)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " CHASE_COLS " FROM chases WHERE ref = ? AND partner = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    bind_text(st, 2, partner);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        chase_row(st, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "chase");
        return -1;
    }
    return rc == SQLITE_ROW;
}

/* Calls fn for each row a statement returns, as a chase. */
static int chases_run(store *s, sqlite3_stmt *st, void (*fn)(void *arg, const store_chase *c),
                      void *arg, const char *what)
{
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_chase c;
        chase_row(st, &c);
        fn(arg, &c);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, what);
        return -1;
    }
    return n;
}

int store_chases_due(store *s, int64_t now, int limit, void (*fn)(void *arg, const store_chase *c),
                     void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " CHASE_COLS " FROM chases WHERE next_at IS NOT NULL"
                                    " AND next_at <= ? ORDER BY next_at LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return chases_run(s, st, fn, arg, "due chases");
}

int store_chases_of(store *s, int64_t ref, void (*fn)(void *arg, const store_chase *c), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " CHASE_COLS " FROM chases WHERE ref = ? ORDER BY partner");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    return chases_run(s, st, fn, arg, "chases of a report");
}

int store_chase_set(store *s, const store_chase *c)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE chases SET resends = ?, escalated_at = ?,"
                                    " reminders = ?, next_at = ? WHERE ref = ? AND partner = ?");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, c->resends);
    bind_id(st, 2, c->escalated_at);
    sqlite3_bind_int(st, 3, c->reminders);
    bind_id(st, 4, c->next_at);
    sqlite3_bind_int64(st, 5, c->ref);
    bind_text(st, 6, c->partner);
    return once_run(s, st, "update chase") < 0 ? -1 : 0;
}

int store_chases_stop(store *s, int64_t ref)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE chases SET next_at = NULL WHERE ref = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    return once_run(s, st, "stop chases") < 0 ? -1 : 0;
}

int store_chase_ack(store *s, int64_t ref, const char *partner, const char *by, const char *via,
                    int64_t at, int64_t next_at)
{
    static const char *const sql[] = {
        "UPDATE chases SET acked_at = ?1, acked_by = ?2, acked_via = ?3, next_at = ?6"
        " WHERE ref = ?4 AND partner = ?5 AND acked_at IS NULL",
        /* Duty-phone SMS not yet handed to the modem are no longer needed. */
        "UPDATE sms_out SET state = 'dropped', last_error = 'acknowledged'"
        " WHERE state = 'pending' AND alert_row IN (SELECT id FROM alerts WHERE ref = ?4"
        " AND partner = ?5 AND kind IN ('alert','resend','escalation','fallback')"
        " AND state IN ('pending','held'))",
        "UPDATE alerts SET acked_at = ?1, acked_by = ?2,"
        " state = CASE WHEN state IN ('pending','held') THEN 'cancelled'"
        "  WHEN state = 'sent' THEN 'acked' ELSE state END"
        " WHERE ref = ?4 AND partner = ?5 AND acked_at IS NULL"
        " AND kind IN ('alert','resend','escalation','fallback')",
    };
    int first = 0;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st = once_prep(s, sql[i]);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, at);
        bind_text(st, 2, by);
        bind_text(st, 3, via);
        sqlite3_bind_int64(st, 4, ref);
        bind_text(st, 5, partner);
        bind_id(st, 6, next_at);
        int n = once_run(s, st, "ack");
        if (n < 0)
            return -1;
        if (i == 0) {
            first = n;
            if (!first)
                return 0; /* acknowledged before: nothing else changes */
        }
    }
    return first;
}

long store_partner_alerts_since(store *s, const char *partner, int64_t since)
{
    sqlite3_stmt *st = once_prep(s, "SELECT count(*) FROM chases WHERE partner = ? AND created_at >= ?");
    if (!st)
        return -1;
    bind_text(st, 1, partner);
    sqlite3_bind_int64(st, 2, since);
    long n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (n < 0)
        db_error(s, "partner alerts");
    return n;
}

int store_alert_attempt(store *s, int64_t id, int64_t next_at)
{
    sqlite3_stmt *st = stmt(s, ST_ALERT_ATTEMPT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, next_at);
    sqlite3_bind_int64(st, 2, id);
    return step_done(s, st, "alert attempt");
}

int store_alert_result(store *s, int64_t id, const char *state, int64_t at, int64_t next_at,
                       const char *error, long code)
{
    /* attempts was counted when the attempt started (store_alert_attempt). */
    sqlite3_stmt *st = once_prep(s,
        "UPDATE alerts SET state = ?1,"
        " sent_at = CASE WHEN ?1 = 'sent' THEN ?2 ELSE sent_at END,"
        " dead_at = CASE WHEN ?1 = 'failed' THEN ?2 ELSE dead_at END,"
        " next_attempt_at = CASE WHEN ?1 = 'pending' THEN ?3 ELSE next_attempt_at END,"
        " last_error = ifnull(?4, last_error), code = ?5"
        " WHERE id = ?6 AND state = 'pending'");
    if (!st)
        return -1;
    bind_text(st, 1, state);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int64(st, 3, next_at);
    bind_text(st, 4, error);
    if (code)
        sqlite3_bind_int64(st, 5, code);
    sqlite3_bind_int64(st, 6, id);
    return once_run(s, st, "alert result");
}

static int alerts_run(store *s, sqlite3_stmt *st, int (*fn)(void *arg, const store_alert *a),
                      void *arg, const char *what)
{
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_alert a;
        alert_row(st, &a);
        n++;
        if (fn(arg, &a))
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_error(s, what);
        return -1;
    }
    return n;
}

int store_alert_get(store *s, int64_t id, int (*fn)(void *arg, const store_alert *a), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " ALERT_COLS " FROM alerts WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return alerts_run(s, st, fn, arg, "alert");
}

int store_alerts_each(store *s, const char *where, int64_t a1, const char *a2, const char *a3,
                      int limit, int (*fn)(void *arg, const store_alert *a), void *arg)
{
    char sql[512];
    int n = snprintf(sql, sizeof sql, "SELECT " ALERT_COLS " FROM alerts WHERE %s ORDER BY id LIMIT %d",
                     where, limit);
    if (n < 0 || (size_t)n >= sizeof sql)
        return -1;
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int np = sqlite3_bind_parameter_count(st);
    if (np >= 1)
        sqlite3_bind_int64(st, 1, a1);
    if (np >= 2)
        bind_text(st, 2, a2);
    if (np >= 3)
        bind_text(st, 3, a3);
    return alerts_run(s, st, fn, arg, "alerts");
}

int store_alerts_digested(store *s, const char *partner, const char *channel, int64_t now,
                          int64_t parent)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE alerts SET state = 'digested', parent = ?"
                                    " WHERE state = 'held' AND partner = ? AND channel = ?"
                                    " AND next_attempt_at <= ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, parent);
    bind_text(st, 2, partner);
    bind_text(st, 3, channel);
    sqlite3_bind_int64(st, 4, now);
    return once_run(s, st, "digested");
}

int store_report_origin(store *s, int64_t ref, store_origin *out)
{
    sqlite3_stmt *st = once_prep(s,
        "SELECT m.channel, ifnull(m.network, ''), ifnull(m.unit, ''), ifnull(m.sender, ''),"
        /* payload is a BLOB: as such it never equals the TEXT '{'. A JSON
         * envelope may start with white space (radio.c). */
        " substr(ltrim(CAST(m.payload AS TEXT), ' ' || char(9, 10, 13)), 1, 1) = '{'"
        " FROM reports r JOIN messages m ON m.ref = r.ref"
        " WHERE r.ref = ? AND m.outcome = 'accepted' ORDER BY m.id LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        col_copy(st, 0, out->channel, sizeof out->channel);
        col_copy(st, 1, out->network, sizeof out->network);
        col_copy(st, 2, out->unit, sizeof out->unit);
        col_copy(st, 3, out->sender, sizeof out->sender);
        out->json = sqlite3_column_int(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "report origin");
        return -1;
    }
    return rc == SQLITE_ROW;
}
