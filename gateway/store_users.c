/* store_users.c: the dashboard accounts' rows (store_users.h; SQLite backend). */
#include "store_users.h"
#include "store_int.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define USER_COLS "id, name, role, partner, pwhash, active, created_at, changed_at, last_login_at"

static void read_user(sqlite3_stmt *st, users_user *u)
{
    char role[16];
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, u->name, sizeof u->name);
    col_copy(st, 2, role, sizeof role);
    int r = users_role_parse(role);
    u->role = r < 0 ? USERS_VIEWER : (enum users_role)r;
    col_copy(st, 3, u->partner, sizeof u->partner);
    col_copy(st, 4, u->pwhash, sizeof u->pwhash);
    u->active = sqlite3_column_int(st, 5);
    u->created_at = sqlite3_column_int64(st, 6);
    u->changed_at = sqlite3_column_int64(st, 7);
    u->last_login_at = sqlite3_column_int64(st, 8);
}

int store_user_get(store *s, const char *name, users_user *out)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " USER_COLS " FROM users WHERE name = ?");
    if (!st)
        return -1;
    int rc = -1;
    if (sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        goto done;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        read_user(st, out);
        rc = 1;
    } else if (step == SQLITE_DONE) {
        rc = 0;
    } else {
        log_error("store", "users: %s", sqlite3_errmsg(s->db));
    }
done:
    sqlite3_finalize(st);
    return rc;
}

/* Runs an UPDATE/INSERT: 1 if a row changed, 0 if none, -1. */
static int change(store *s, sqlite3_stmt *st)
{
    int step = sqlite3_step(st);
    int rc = -1;
    if (step == SQLITE_DONE)
        rc = sqlite3_changes(s->db) > 0 ? 1 : 0;
    else if (step == SQLITE_CONSTRAINT)
        rc = 0;
    else
        log_error("store", "users: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

int store_user_add(store *s, const users_user *u, int64_t at)
{
    sqlite3_stmt *st = once_prep(s, "INSERT INTO users (name, role, partner, pwhash, active, "
                               "created_at, changed_at) VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?) "
                               "ON CONFLICT (name) DO NOTHING");
    if (!st)
        return -1;
    if (sqlite3_bind_text(st, 1, u->name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, users_role_name(u->role), -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, u->partner, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, u->pwhash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_int(st, 5, u->active ? 1 : 0) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, at) != SQLITE_OK || sqlite3_bind_int64(st, 7, at) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    return change(s, st);
}

/* UPDATE users SET <set> WHERE name = ?1 with ?2 text (or NULL) and ?3 int64. */
static int update(store *s, const char *sql, const char *name, const char *text, int64_t v)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    if (sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        (text && sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
        sqlite3_bind_int64(st, 3, v) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    return change(s, st);
}

int store_user_set_password(store *s, const char *name, const char *pwhash, int64_t at)
{
    return update(s, "UPDATE users SET pwhash = ?2, changed_at = ?3 WHERE name = ?1", name,
                  pwhash, at);
}

int store_user_set_active(store *s, const char *name, int active, int64_t at)
{
    return update(s, active ? "UPDATE users SET active = 1, changed_at = ?3 WHERE name = ?1"
                            : "UPDATE users SET active = 0, changed_at = ?3 WHERE name = ?1",
                  name, NULL, at);
}

int store_user_login_record(store *s, const char *name, int64_t at)
{
    return update(s, "UPDATE users SET last_login_at = ?3 WHERE name = ?1", name, NULL, at);
}

long store_users_each(store *s, void (*fn)(void *arg, const users_user *u), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT " USER_COLS " FROM users ORDER BY name");
    if (!st)
        return -1;
    long n = 0;
    int step;
    users_user u;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        read_user(st, &u);
        fn(arg, &u);
        n++;
    }
    if (step != SQLITE_DONE) {
        log_error("store", "users: %s", sqlite3_errmsg(s->db));
        n = -1;
    }
    sodium_memzero(&u, sizeof u);
    sqlite3_finalize(st);
    return n;
}
