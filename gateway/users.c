/* users.c: dashboard accounts (users.h), SQL over the store's connection. */
#include "users.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

_Static_assert(crypto_pwhash_STRBYTES <= USERS_HASH_MAX, "USERS_HASH_MAX holds a hash");

static const char *const role_names[] = { "viewer", "duty", "coordinator" };

const char *users_role_name(enum users_role r)
{
    return (int)r >= 0 && (int)r < 3 ? role_names[r] : "viewer";
}

int users_role_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, role_names[i]))
            return i;
    return -1;
}

int users_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > GW_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int users_hash_password(const char *password, char *out, size_t outsz)
{
    size_t n = strlen(password);
    if (outsz < crypto_pwhash_STRBYTES || n < USERS_PASSWORD_MIN || n > GW_PASSWORD_MAX)
        return -1;
    if (sodium_init() < 0)
        return -1;
    /* Interactive limits (2 passes over 64 MiB): libsodium's choice for an
     * online login on a small machine; the hash string records them, so
     * raising them later still verifies the old hashes. */
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return -1;
    return 0;
}

int users_check_password(const char *hash, const char *password)
{
    size_t n = strlen(password);
    if (n > GW_PASSWORD_MAX || sodium_init() < 0)
        return 0;
    if (!memchr(hash, '\0', USERS_HASH_MAX))
        return 0;
    return crypto_pwhash_str_verify(hash, password, n) == 0;
}

static sqlite3_stmt *prep(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("store", "users: %s", sqlite3_errmsg(store_sqlite(s)));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(out, outsz, "%s", v ? (const char *)v : "");
}

#define USER_COLS "id, name, role, partner, pwhash, active, created_at, changed_at, last_login_at"

static void read_user(sqlite3_stmt *st, users_user *u)
{
    char role[16];
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, u->name, sizeof u->name);
    copy_col(st, 2, role, sizeof role);
    int r = users_role_parse(role);
    u->role = r < 0 ? USERS_VIEWER : (enum users_role)r;
    copy_col(st, 3, u->partner, sizeof u->partner);
    copy_col(st, 4, u->pwhash, sizeof u->pwhash);
    u->active = sqlite3_column_int(st, 5);
    u->created_at = sqlite3_column_int64(st, 6);
    u->changed_at = sqlite3_column_int64(st, 7);
    u->last_login_at = sqlite3_column_int64(st, 8);
}

int users_get(store *s, const char *name, users_user *out)
{
    sqlite3_stmt *st = prep(s, "SELECT " USER_COLS " FROM users WHERE name = ?");
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
        log_error("store", "users: %s", sqlite3_errmsg(store_sqlite(s)));
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
        rc = sqlite3_changes(store_sqlite(s)) > 0 ? 1 : 0;
    else if (step == SQLITE_CONSTRAINT)
        rc = 0;
    else
        log_error("store", "users: %s", sqlite3_errmsg(store_sqlite(s)));
    sqlite3_finalize(st);
    return rc;
}

int users_add(store *s, const users_user *u, int64_t at)
{
    sqlite3_stmt *st = prep(s, "INSERT INTO users (name, role, partner, pwhash, active, "
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
    sqlite3_stmt *st = prep(s, sql);
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

int users_set_password(store *s, const char *name, const char *pwhash, int64_t at)
{
    return update(s, "UPDATE users SET pwhash = ?2, changed_at = ?3 WHERE name = ?1", name,
                  pwhash, at);
}

int users_set_active(store *s, const char *name, int active, int64_t at)
{
    return update(s, active ? "UPDATE users SET active = 1, changed_at = ?3 WHERE name = ?1"
                            : "UPDATE users SET active = 0, changed_at = ?3 WHERE name = ?1",
                  name, NULL, at);
}

int users_login_record(store *s, const char *name, int64_t at)
{
    return update(s, "UPDATE users SET last_login_at = ?3 WHERE name = ?1", name, NULL, at);
}

long users_each(store *s, void (*fn)(void *arg, const users_user *u), void *arg)
{
    sqlite3_stmt *st = prep(s, "SELECT " USER_COLS " FROM users ORDER BY name");
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
        log_error("store", "users: %s", sqlite3_errmsg(store_sqlite(s)));
        n = -1;
    }
    sodium_memzero(&u, sizeof u);
    sqlite3_finalize(st);
    return n;
}
