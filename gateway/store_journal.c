/* store_journal.c: the journal of inbound messages and the duplicate rules (SQLite backend). */
#include "store_journal.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "dupwin.h"
#include "log.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_MSG_ADD] = (
        "INSERT INTO messages (channel, network, unit, sender, bridge, msg_id, bridge_ts, payload,"
        " text, received_at, outcome, reason, reply, ref, person_id, dup_of)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_DUP_MSGID] = (
        "SELECT id, ref, reply FROM messages WHERE msg_id = ? AND received_at >= ?"
        " AND channel = ? AND sender = ? AND outcome IN ('accepted','error') ORDER BY id LIMIT 1"),
    /* Same text: a candidate row of the memory index, read back and compared. */
    [ST_DUP_ROW] = (
        "SELECT id, ref, reply FROM messages WHERE id = ? AND channel = ? AND sender = ?"
        " AND text = ? AND received_at >= ? AND outcome IN ('accepted','error')"),
    /* ...and the part of the window the index let go of (messages_sender). */
    [ST_DUP_RANGE] = (
        "SELECT id, ref, reply FROM messages WHERE received_at >= ? AND received_at <= ?"
        " AND channel = ? AND sender = ? AND text = ? AND outcome IN ('accepted','error')"
        " ORDER BY id LIMIT 1"),
    /* What the memory index is built from. */
    [ST_DUP_RECENT] = (
        "SELECT id, received_at, channel, sender, text FROM messages WHERE received_at >= ?"
        " AND outcome IN ('accepted','error') AND text IS NOT NULL AND sender IS NOT NULL"
        " ORDER BY id"),
    /* A command's repeat: the sender's latest row since id ?1 (its rows
     * received since ?5, in messages_sender) has the same text, and is the
     * original or a duplicate of one since ?1. */
    [ST_DUP_LAST] = (
        "SELECT o.id, o.ref, o.reply FROM (SELECT id, text, outcome, dup_of FROM messages"
        " WHERE channel = ?2 AND sender = ?3 AND received_at >= ?5 AND id >= ?1"
        " ORDER BY id DESC LIMIT 1) l"
        " JOIN messages o ON o.id = CASE WHEN l.outcome = 'duplicate' THEN l.dup_of ELSE l.id END"
        " WHERE l.text = ?4 AND o.id >= ?1 AND o.outcome IN ('accepted','error')"),
    /* The reply to the sender's latest row received since ?1: one seek to
     * the end of the sender's run in messages_sender. */
    [ST_LAST_REPLY] = (
        "SELECT ifnull(reply, '') FROM messages WHERE channel = ?2 AND sender = ?3"
        " AND received_at >= ?1 ORDER BY received_at DESC, id DESC LIMIT 1"),
};

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
    int journal = 1;
    if (s->dw) {
        uint64_t key = dupwin_key(channel, sender, text, len);
        dupwin_expire(s->dw, since);
        upto = dupwin_floor(s->dw);
        /* The part of the window the index let go of: the journal is asked
         * only when a filter of evicted keys says this key may be in it. */
        journal = dupwin_journal_needed(s->dw, key, since);
        int n = dupwin_find(s->dw, key, since, ids, DUPWIN_FIND_MAX);
        if (n > DUPWIN_FIND_MAX) {
            upto = INT64_MAX;
            journal = 1;
        }
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
    if (journal && since <= upto) {
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

int store_dup_last(store *s, const char *channel, const char *sender, int64_t from, int64_t since,
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
    sqlite3_bind_int64(st, 5, since);
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
