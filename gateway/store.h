/* store.h: the durable store (SQLite in WAL mode, one writer: the core).
 *
 * Everything patrolgw keeps goes through the store, so that another backend
 * can come later without touching the channels. This header is the store
 * itself: opening it (where the backend is chosen) and transactions. What is
 * kept is asked through one header per domain (docs/internals/STORE.md):
 * store_journal.h, store_people.h, store_reports.h, store_alerts.h,
 * store_sms.h, store_admin.h, store_users.h, store_query.h, store_dash.h.
 * Times are Unix milliseconds. Functions return 0 on success and -1 on a
 * store error (logged) unless they say otherwise.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include "prc_limits.h"

#define STORE_SCHEMA_VERSION 8

typedef struct store store; /* opaque */

enum store_mode { STORE_RW = 0, STORE_RO = 1 };

/* Opens (creating and migrating when read-write) the store at path.
 * sync_full: fsync every commit. NULL with err on failure. Caller owns. */
store *store_open(const char *path, enum store_mode mode, int sync_full, char *err, size_t errsz);
void store_close(store *s); /* accepts NULL */

int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);
/* A read transaction (deferred: no write lock, never waits for a writer in
 * WAL): the reads until store_rollback() see one snapshot. 0 or -1. */
int store_begin_read(store *s);
/* How long a statement waits for another connection's lock before failing
 * with "database is locked" (store_open sets 5000 ms). */
void store_busy_timeout(store *s, int ms);

#endif
