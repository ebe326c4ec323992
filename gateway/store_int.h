/* store_int.h: private to the store's own files (store.c, store_*.c): the
 * SQLite connection behind a store, the cache of prepared statements and the
 * small helpers every domain file uses. Nothing outside the store includes
 * it: channels and tools include store.h and the domain headers. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "dupwin.h"
#include "log.h"
#include "store.h"

/* The statements kept prepared for the life of the store (the ingest path and
 * the outbox): one slot each; each domain file holds the SQL of its own. */
enum stmt_id {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_MSG_ADD, ST_DUP_MSGID, ST_DUP_ROW, ST_DUP_RANGE, ST_DUP_RECENT, ST_DUP_LAST, ST_LAST_REPLY,
    ST_PERSON_UNIT, ST_PERSON_PHONE, ST_PERSON_CALLSIGN, ST_PERSON_ADD, ST_UNIT_ADD,
    ST_PERSON_ACTIVE, ST_PEOPLE,
    ST_REPORT_ADD, ST_REPORT_GET, ST_REPORT_CLEAR, ST_EVENT_ADD,
    ST_ALERT_ADD, ST_ALERTS_DUE, ST_ALERTS_DUE_PARTNER, ST_ALERTS_DUE_NOW, ST_ALERT_ATTEMPT,
    ST_ALERT_SENT, ST_ALERTS_PENDING,
    ST_SHIFT_CLOSE, ST_SHIFT_OPEN, ST_SHIFT_FIND,
    ST_STATUS_SET, ST_CHASE_ADD,
    ST_COUNT
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    enum store_mode mode;
    dupwin *dw;   /* same-text duplicates: built at the first lookup, NULL before */
};

/* The cached statement id, prepared from sql at its first use (sql is the
 * domain file's text for id; the same id always comes with the same text). */
sqlite3_stmt *store_stmt(store *s, enum stmt_id id, const char *sql);
/* The cached statement id of the including file, whose
 * `static const char *const stmt_sql[ST_COUNT]` holds the SQL of its ids. */
#define stmt(s, id) store_stmt((s), (id), stmt_sql[(id)])

/* Brings the schema to STORE_SCHEMA_VERSION (store_schema.c); 0 or -1 with err. */
int store_schema_migrate(store *s, char *err, size_t errsz);

static inline void db_error(store *s, const char *what)
{
    log_error("store", "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Runs a statement that returns no rows; resets it. */
static inline int step_done(store *s, sqlite3_stmt *st, const char *what)
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

static inline void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static inline int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static inline int bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    if (v <= 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_int64(st, i, v);
}

static inline void col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, dstsz, "%s", v ? (const char *)v : "");
}

static inline int exec(store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("store", "%s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Statements run once in a while (SMS, administration) are prepared per call
 * instead of being kept in the shared cache. */
static inline sqlite3_stmt *once_prep(store *s, const char *sql)
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
static inline int once_run(store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, what);
        return -1;
    }
    return sqlite3_changes(s->db);
}

/* Steps st (prepared per call and bound) for one integer column and
 * finalizes it: 1 and *v if there was a row, 0 if none, -1 (logged as what). */
static inline int once_int64(store *s, sqlite3_stmt *st, int64_t *v, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, what);
        return -1;
    }
    return rc == SQLITE_ROW;
}

static inline const char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *)v : "";
}

#endif
