/* store.c: the store (store.h): the one place the backend is chosen and
 * opened (SQLite in WAL mode, one writer), transactions, and the cache of
 * prepared statements the domain files (store_*.c) share. */
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "dupwin.h"
#include "log.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

sqlite3_stmt *store_stmt(store *s, enum stmt_id id, const char *sql)
{
    sqlite3_stmt *st = s->st[id];
    if (!st) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK) {
            db_error(s, "prepare");
            return NULL;
        }
        s->st[id] = st;
    }
    return st;
}

store *store_open(const char *path, enum store_mode mode, int sync_full, char *err, size_t errsz)
{
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->mode = mode;
    /* The backend is chosen here and nowhere else (docs/internals/STORE.md):
     * SQLite, the only one built; every store_*.c answers on this connection. */
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
    if (store_schema_migrate(s, err, errsz))
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
