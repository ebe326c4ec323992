/* retention.h: the retention policy ([retention] in the config) applied by
 * patrolctl purge: personal data older than the policy allows is erased,
 * the rows (and so every count and figure) are kept. docs/config.md. */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdint.h>

#include "config.h"
#include "store_admin.h"

#define RETENTION_DAY_MS (24LL * 3600 * 1000)

typedef struct retention_result {
    int64_t details_before;     /* cut-off for details and texts, 0 = policy off */
    int64_t phones_before;      /* cut-off for phone numbers, 0 = policy off */
    store_purge_counts counts;  /* what was (or would be) erased */
    long total;                 /* sum of counts */
    int64_t audit_id;           /* the audit row of this purge, 0 for a dry run */
} retention_result;

/* Applies the policy of cfg as of now (Unix ms) in one transaction, with an
 * audit row ("purge", by actor) saying what was erased. dry_run: counts only,
 * nothing changes and nothing is audited. 0 or -1. */
int retention_purge(store *s, const gw_config *cfg, int64_t now, const char *actor, int dry_run,
                    retention_result *out);

#endif
