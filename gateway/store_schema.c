/* store_schema.c: the schema and its migrations (SQLite backend), with the copy taken
 * before an existing store is migrated. */
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    /* 7 -> 8 */
    /* One sender's rows of a window, one seek: the part of the same-text
     * window the memory index let go of (store_dup_by_text, under a load
     * beyond it) and the echo check's latest reply (store_last_reply). The
     * bench/soak.sh at 2,000 reports/s read a million rows per message by
     * received_at alone without it. */
    "CREATE INDEX IF NOT EXISTS messages_sender ON messages(channel, sender, received_at);"
    /* ...and the msg_id rule keeps its own index, one seek, ahead of it. */
    "DROP INDEX IF EXISTS messages_msg_id;"
    "CREATE INDEX messages_msg_id ON messages(msg_id, channel, sender, received_at)"
    " WHERE msg_id IS NOT NULL;",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

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

int store_schema_migrate(store *s, char *err, size_t errsz)
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
