/* store_query.h: the read side's questions to the store (store_query.c,
 * store_stats.c); the rows and figures they answer with are in query.h.
 * Nothing here writes to the store. Functions return 0 (or a count >= 0) on
 * success and -1 on a store error, with the reason in err where they take one. */
#ifndef STORE_QUERY_H
#define STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "store.h"

/* Calls fn for each report matching f (NULL: all), oldest first.
 * Returns the number of reports, or -1. */
long query_reports(store *s, const query_filter *f, query_report_fn fn, void *arg);

/* Calls fn for report ref: 1 if it exists, 0 if not, -1. */
int query_report_get(store *s, int64_t ref, query_report_fn fn, void *arg);

/* The timeline of report ref, oldest first. Each returns the row count or -1. */
long query_events(store *s, int64_t ref, int (*fn)(void *arg, const query_event *e), void *arg);
long query_alerts(store *s, int64_t ref, int (*fn)(void *arg, const query_alert *a), void *arg);
long query_messages(store *s, int64_t ref, int (*fn)(void *arg, const query_message *m),
                    void *arg);

/* Computes every figure:
 * - incidents, by_priority, channels, acks: the reports matching f (every field);
 *   incidents counted per `period`;
 * - hours, weeks: shifts started in [f->since, f->until) (and in f->zone and by
 *   f->reporter when given); a shift's time goes to its zone and to the ISO week
 *   it started in; a shift still open counts up to `now`. With f->since set,
 *   every week of the range is listed (also those without a shift), and a week
 *   cut by the range is held to a share of the commitment (days / 7);
 * - reasons: messages received in [f->since, f->until).
 * 0, or -1 with err (out is then empty). Caller frees out with query_stats_free. */
int query_stats_run(store *s, const query_filter *f, enum query_period period,
                    double weekly_hours, int64_t now, query_stats *out, char *err, size_t errsz);

/* Calls fn for each sms_out row matching f (NULL: all), in queue order (id).
 * Returns the number of rows, or -1. */
long query_sms_each(store *s, const query_sms_filter *f, int (*fn)(void *arg, const query_sms *m),
                    void *arg);

#endif
