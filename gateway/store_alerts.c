/* store_alerts.c: the outbox and the alert lifecycle's chases (SQLite backend). */
#include "store_alerts.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The columns of an outbox row, as alert_row() reads them. */
#define ALERT_COLS "id, alert_id, partner, channel, attempts, payload, kind, ifnull(target, ''),"\
    " escalation, created_at, ref, ifnull(priority, 0), state"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_ALERT_ADD] = (
        "INSERT OR IGNORE INTO alerts (alert_id, ref, partner, channel, created_at, next_attempt_at,"
        " payload, kind, state, priority, target, escalation, parent)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_ALERTS_DUE] = (
        "SELECT " ALERT_COLS " FROM alerts"
        " WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?"),
    [ST_ALERTS_DUE_PARTNER] = (
        "SELECT " ALERT_COLS " FROM alerts"
        " WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ? AND partner = ?"
        " ORDER BY next_attempt_at, id LIMIT ?"),
    [ST_ALERTS_DUE_NOW] =
        "UPDATE alerts SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?",
    [ST_ALERT_ATTEMPT] =
        "UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
    [ST_ALERT_SENT] = (
        "UPDATE alerts SET state = 'sent', sent_at = ?, attempts = attempts + 1"
        " WHERE id = ? AND state = 'pending'"),
    [ST_ALERTS_PENDING] = "SELECT count(*) FROM alerts WHERE state = 'pending'",
    /* One per partner alerted: on the ingest path. */
    [ST_CHASE_ADD] = (
        "INSERT OR IGNORE INTO chases (ref, partner, priority, created_at, next_at)"
        " VALUES (?,?,?,?,?)"),
};

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

int64_t store_alert_row(store *s, const char *alert_id, const char *channel)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id FROM alerts WHERE alert_id = ? AND channel = ?");
    if (!st)
        return -1;
    bind_text(st, 1, alert_id);
    bind_text(st, 2, channel);
    int64_t id = 0;
    return once_int64(s, st, &id, "alert row") < 0 ? -1 : id;
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

/* Rows of a statement prepared per call whose ?1 is a time, the next ntext
 * parameters the texts t1, t2, and the last the limit. */
static int alerts_select(store *s, const char *sql, int64_t at, int ntext, const char *t1,
                         const char *t2, int limit, int (*fn)(void *arg, const store_alert *a),
                         void *arg, const char *what)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int i = 1;
    sqlite3_bind_int64(st, i++, at);
    if (ntext >= 1)
        bind_text(st, i++, t1);
    if (ntext >= 2)
        bind_text(st, i++, t2);
    sqlite3_bind_int(st, i, limit);
    return alerts_run(s, st, fn, arg, what);
}

int store_alerts_held_due(store *s, int64_t now, const char *partner, const char *channel,
                          int limit, int (*fn)(void *arg, const store_alert *a), void *arg)
{
    if (partner)
        return alerts_select(s, "SELECT " ALERT_COLS " FROM alerts WHERE state = 'held'"
                                " AND next_attempt_at <= ? AND partner = ? AND channel = ?"
                                " ORDER BY id LIMIT ?",
                             now, 2, partner, channel, limit, fn, arg, "held alerts");
    return alerts_select(s, "SELECT " ALERT_COLS " FROM alerts WHERE state = 'held'"
                            " AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                         now, 0, NULL, NULL, limit, fn, arg, "held alerts");
}

int store_alerts_pending_before(store *s, const char *channel, int64_t before, int limit,
                                int (*fn)(void *arg, const store_alert *a), void *arg)
{
    return alerts_select(s, "SELECT " ALERT_COLS " FROM alerts WHERE state = 'pending'"
                            " AND created_at <= ?1 AND channel = ?2 ORDER BY id LIMIT ?3",
                         before, 1, channel, NULL, limit, fn, arg, "pending alerts");
}

int store_alerts_pending_due(store *s, const char *partner, int64_t at, int limit,
                             int (*fn)(void *arg, const store_alert *a), void *arg)
{
    if (partner)
        return alerts_select(s, "SELECT " ALERT_COLS " FROM alerts WHERE state = 'pending'"
                                " AND next_attempt_at <= ? AND partner = ? ORDER BY id LIMIT ?",
                             at, 1, partner, NULL, limit, fn, arg, "pending alerts");
    return alerts_select(s, "SELECT " ALERT_COLS " FROM alerts WHERE state = 'pending'"
                            " AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                         at, 0, NULL, NULL, limit, fn, arg, "pending alerts");
}

int store_alerts_sms_given_up(store *s, int limit, int (*fn)(void *arg, const store_alert *a),
                              void *arg)
{
    sqlite3_stmt *st = once_prep(s,
        "SELECT " ALERT_COLS " FROM alerts WHERE channel = 'sms' AND state = 'pending'"
        " AND id IN (SELECT alert_row FROM sms_out WHERE state = 'failed' AND alert_row IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM sms_out o WHERE o.alert_row = alerts.id"
        " AND o.state IN ('pending', 'sent')) ORDER BY id LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, limit);
    return alerts_run(s, st, fn, arg, "given-up sms alerts");
}

int store_alerts_digested(store *s, const char *partner, const char *channel, int64_t now,
                          int64_t last_id, int64_t parent)
{
    sqlite3_stmt *st = once_prep(s, "UPDATE alerts SET state = 'digested', parent = ?"
                                    " WHERE state = 'held' AND partner = ? AND channel = ?"
                                    " AND next_attempt_at <= ? AND id <= ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, parent);
    bind_text(st, 2, partner);
    bind_text(st, 3, channel);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, last_id);
    return once_run(s, st, "digested");
}
