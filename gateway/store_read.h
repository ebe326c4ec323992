/* store_read.h: private to the store's read side (store_query.c,
 * store_stats.c, store_dash.c): the connection with patrol_period()
 * registered, and WHERE clauses built from constant fragments. */
#ifndef STORE_READ_H
#define STORE_READ_H

#include <sqlite3.h>
#include <stdint.h>

#include "query.h"
#include "store.h"

/* A WHERE clause built from constant fragments, with its bound values. */
enum { WHERE_SQL_MAX = 512, WHERE_BINDS_MAX = 8 };
typedef struct where {
    char sql[WHERE_SQL_MAX];
    size_t len;
    int nbind;
    struct {
        int is_text;
        int64_t i;
        const char *s;
    } b[WHERE_BINDS_MAX];
} where;

/* The store's connection, with patrol_period(ms, kind) registered. */
sqlite3 *rd_db(store *s);
/* Adds " AND frag" with an integer or a text value for its one "?". */
void rd_where_int(where *w, const char *frag, int64_t v);
void rd_where_text(where *w, const char *frag, const char *v);
/* w := the conditions of f on the reports table aliased r. */
void rd_where_reports(where *w, const query_filter *f);
/* Prepares head, w's clause and tail, and binds w's values from index first on;
 * NULL after logging. */
sqlite3_stmt *rd_prepare(sqlite3 *db, const char *head, const where *w, const char *tail,
                         int first);
/* Ends a row loop: finalizes st; -1 if stopped or rc (the last step) is not
 * SQLITE_DONE, else count. */
long rd_loop_end(sqlite3 *db, sqlite3_stmt *st, int rc, int stopped, long count,
                 const char *what);

#endif
