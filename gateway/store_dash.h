/* store_dash.h: the read side of the dashboard and /metrics: live alerts per
 * partner, report search, open shifts, incidents per zone, the change
 * signature the live page waits on, and the figures /metrics exports.
 * Nothing here writes. Strings passed to callbacks are valid only during the
 * call and never NULL ("" for none). Functions return a count (>= 0) or 0,
 * and -1 on a store error; a callback returning non-zero stops the loop. */
#ifndef STORE_DASH_H
#define STORE_DASH_H

#include <stdint.h>

#include "query.h"
#include "store.h"

/* One report as alerted to one partner (its channels folded into one state). */
typedef struct dashq_alert {
    int64_t ref;
    const char *code;
    int priority;
    const char *location, *zone, *details;
    int64_t received_at;
    const char *report_status;   /* open, cleared */
    const char *partner;
    const char *state;           /* acked (the chase), else sent, pending or failed: the
                                    furthest of its alert's channels */
    int64_t created_at, sent_at, acked_at; /* 0: not yet */
    const char *acked_by;
} dashq_alert;

/* Alerts of partner (NULL: every partner) for reports received since
 * `since`, and older ones not acknowledged while their report is open (back
 * to `open_since`); unacknowledged P1 first, then newest first; at most limit. */
long dashq_alerts(store *s, const char *partner, int64_t since, int64_t open_since, int limit,
                  int (*fn)(void *arg, const dashq_alert *a), void *arg);

/* 1 if report ref was alerted to partner, 0 if not, -1. */
int dashq_alerted_to(store *s, int64_t ref, const char *partner);

/* The partners report ref was alerted to, with their acknowledgement
 * (acked_at 0: not yet; by and via "" then). */
long dashq_chases(store *s, int64_t ref,
                  int (*fn)(void *arg, const char *partner, int64_t acked_at, const char *by,
                            const char *via),
                  void *arg);

/* Report search: newest first, at most limit. partner (NULL: any) keeps the
 * reports alerted to that partner. The other fields as in query_filter. */
typedef struct dashq_search {
    int64_t since, until;
    const char *zone, *code;
    int priority;
    const char *partner;
    int limit;
} dashq_search;
long dashq_reports(store *s, const dashq_search *q, query_report_fn fn, void *arg);

/* Open shifts, longest first: reporter, their name ("" if not registered), zone, since. */
long dashq_shifts(store *s, int (*fn)(void *arg, const char *reporter, const char *name,
                                      const char *zone, int64_t on_at), void *arg);

/* Reports received in [since, until) (until 0: no bound) per zone ("-" for
 * none), of code (NULL: all codes). */
long dashq_zone_counts(store *s, int64_t since, int64_t until, const char *code,
                       int (*fn)(void *arg, const char *zone, long n), void *arg);

/* Distinct report codes seen, for the search and hotspot forms. */
long dashq_codes(store *s, int (*fn)(void *arg, const char *code), void *arg);

/* What the live page shows changes when one of these does: the newest
 * timeline event, the newest alert, the alerts still pending. partner NULL:
 * of everything; else of that partner only (its alerts, and the events of
 * reports alerted to it since `since` that are its own or report-wide). */
typedef struct dashq_sig {
    int64_t last_event, last_alert, pending;
} dashq_sig;
int dashq_signature(store *s, const char *partner, int64_t since, dashq_sig *out);

/* ---- /metrics */
/* Journaled messages by channel and outcome. */
long dashq_message_counts(store *s, int (*fn)(void *arg, const char *channel,
                                              const char *outcome, long n), void *arg);
/* Reports by code and priority. */
long dashq_report_counts(store *s, int (*fn)(void *arg, const char *code, int priority, long n),
                         void *arg);
/* Alert rows (kinds alert and fallback) by partner, channel and state. */
long dashq_alert_counts(store *s, int (*fn)(void *arg, const char *partner, const char *channel,
                                            const char *state, long n), void *arg);
/* Every delivered alert (kinds alert and fallback): its partner, channel and
 * sent_at - created_at (ms). */
long dashq_alert_latencies(store *s, int (*fn)(void *arg, const char *partner,
                                               const char *channel, int64_t ms), void *arg);
/* Bytes of the database file (pages in use and free). */
int dashq_store_bytes(store *s, int64_t *bytes);

#endif
