/* store_sqlite.h: the SQLite handle behind a store, for the read side
 * (gateway/query.c, gateway/dashq.c) and the dashboard accounts
 * (gateway/users.c, whose table no other module touches) only. Private to
 * the gateway: the channels and the core go through store.h, so that another
 * backend can come later. */
#ifndef STORE_SQLITE_H
#define STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* The store's connection; valid until store_close(s). Readers must not
 * change the schema or write through it. */
sqlite3 *store_sqlite(store *s);

#endif
