/* store_sms.c: the SMS channel's parts and send queue (SQLite backend). */
#include "store_sms.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* ---- SMS channel (a few statements a second at most). */

/* Binds what makes a part the same part (but its text) to ?1..?5. */
static void bind_part_key(sqlite3_stmt *st, const store_sms_part *p)
{
    bind_text(st, 1, p->sender);
    sqlite3_bind_int(st, 2, p->ref);
    sqlite3_bind_int(st, 3, p->part);
    sqlite3_bind_int(st, 4, p->total);
    sqlite3_bind_int64(st, 5, p->smsc_time);
}

int64_t store_sms_part_add(store *s, const store_sms_part *p, int64_t *existing_id,
                           int64_t *message_id)
{
    sqlite3_stmt *st = once_prep(s,
        "INSERT OR IGNORE INTO sms_parts (sender, ref, part, total, smsc_time, folder, location,"
        " coding, text, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    bind_part_key(st, p);
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
    bind_part_key(st, p);
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

/* count(*) of sql with ?1 a number and ?2 a time. */
static long count_to(store *s, const char *sql, const char *to, int64_t since, const char *what)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    bind_text(st, 1, to);
    sqlite3_bind_int64(st, 2, since);
    return sms_count(s, st, what);
}

long store_sms_out_replies_to(store *s, const char *to, int64_t since)
{
    return count_to(s, "SELECT count(*) FROM sms_out WHERE to_number = ?1 AND kind = 'reply'"
                       " AND state <> 'dropped' AND created_at >= ?2", to, since, "count replies");
}

long store_sms_out_alerts_to(store *s, const char *to, int64_t since)
{
    return count_to(s, "SELECT count(*) FROM sms_out WHERE to_number = ?1 AND kind = 'alert'"
                       " AND created_at >= ?2", to, since, "count alert sms");
}

long store_sms_out_sent_since(store *s, int64_t since)
{
    sqlite3_stmt *st = once_prep(s, "SELECT count(*) FROM sms_out WHERE sent_at >= ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    return sms_count(s, st, "count sent");
}

int store_sms_out_due(store *s, int64_t now, const char *kind, int limit, const int64_t *skip,
                      int nskip, void (*fn)(void *arg, const store_sms_out *o), void *arg)
{
    /* Replies first: the queue holds what waits for the modem's rate, and a
     * storm of alerts must not hold an operative's OK/ERR for minutes. */
    sqlite3_stmt *st = once_prep(s,
        "SELECT id, to_number, text, coding, kind, ifnull(ref, 0), ifnull(alert_row, 0),"
        " ifnull(message_id, 0), attempts, created_at FROM sms_out"
        " WHERE state = 'pending' AND next_attempt_at <= ?1 AND (?2 IS NULL OR kind = ?2)"
        " ORDER BY kind <> 'reply', id LIMIT ?3");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    bind_text(st, 2, kind);
    sqlite3_bind_int(st, 3, limit + nskip);
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
