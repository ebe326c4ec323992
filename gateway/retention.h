/* retention.h: the retention policy ([retention] in the config) applied by
 * patrolctl purge: personal data older than the policy allows is erased,
 * the rows (and so every count and figure) are kept. docs/config.md. */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdint.h>

#include "config.h"
#include "store_admin.h"

#define RETENTION_DAY_MS (24LL * 3600 * 1000)
/* A purge erases at most this many rows per table in one transaction, and
 * pauses this long between transactions (the core takes its turns). */
#define RETENTION_BATCH 500
#define RETENTION_PAUSE_MS 20

typedef struct retention_result {
    int64_t details_before;     /* cut-off for details and texts, 0 = policy off */
    int64_t phones_before;      /* cut-off for phone numbers, 0 = policy off */
    store_purge_counts counts;  /* what was (or would be) erased */
    long total;                 /* sum of counts */
    int64_t audit_id;           /* the audit row of this purge, 0 for a dry run */
} retention_result;

/* Applies the policy of cfg as of now (Unix ms) in short transactions of
 * RETENTION_BATCH rows per table, with an audit row "purge started" (the
 * policy) in the first that erases something and "purge" (by actor, what was
 * erased) in the last. dry_run: counts only, in a read transaction; nothing
 * changes and nothing is audited. 0, or -1 (batches committed before stay:
 * out->total says how many items; a purge again finishes). */
int retention_purge(store *s, const gw_config *cfg, int64_t now, const char *actor, int dry_run,
                    retention_result *out);

#endif
