/* metrics.h: /metrics in the Prometheus text exposition format (0.0.4):
 * messages by channel and outcome, reports by code and priority, alerts by
 * partner, channel and state, the alert delivery latency histogram
 * (sent_at - created_at), queue depths and dead letters, broker and modem
 * state, store size, and what only the running process knows (uptime, the
 * core's last commit, dashboard sessions and login failures).
 * Counters come from the store, so they survive restarts and never go back. */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

#include "html.h"
#include "store.h"

/* Upper bounds (seconds) of the latency histogram's buckets (then +Inf). */
#define METRICS_BUCKETS 11
extern const double metrics_bucket_le[METRICS_BUCKETS];

typedef struct metrics_hist {
    long bucket[METRICS_BUCKETS];  /* observations <= metrics_bucket_le[i] (not cumulative) */
    long count;
    double sum;
} metrics_hist;

void metrics_hist_observe(metrics_hist *h, double seconds);
/* name_bucket{labels,le="..."} (cumulative), name_sum, name_count. labels:
 * "" or already formatted pairs (metrics_label) without braces. */
void metrics_hist_write(html_buf *b, const char *name, const char *labels, const metrics_hist *h);
/* Appends name="value" with \ " and newline escaped; a comma first unless first. */
void metrics_label(html_buf *b, const char *name, const char *value, int first);
/* # HELP and # TYPE lines. */
void metrics_family(html_buf *b, const char *name, const char *type, const char *help);

/* What the store cannot say. */
typedef struct metrics_live {
    int64_t now;                 /* Unix ms */
    int64_t started_at;          /* Unix ms */
    int64_t last_commit_age_ms;  /* -1: none yet */
    long sessions;
    long login_failures;         /* since start */
    long logins;                 /* since start */
    const char *store_path;      /* for the WAL file's size */
} metrics_live;

/* The whole page into out. 0, or -1 on a store error or a full buffer. */
int metrics_render(store *s, const metrics_live *live, html_buf *out);

#endif
