/* lifecycle.h: the alert lifecycle (docs/alerts.md), in the core's open
 * transaction. An accepted report alerts each partner whose rule matches: one
 * outbox row per channel (or held for a digest), and one chase per partner.
 * Results of delivery attempts are recorded here (sent, retry with backoff
 * and jitter, dead-letter and fallback). Acknowledgements stop a partner's
 * chase and tell the reporter once; the periodic tick resends, escalates,
 * reminds and sends digests, all on the injectable clock (clock.h). UPD and
 * CLR are forwarded to the partners alerted. Every step is on the report's
 * timeline (report_events, and the outbox rows themselves). */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "deliver.h"
#include "ingest.h"
#include "store.h"

/* At most this many resends and reminders per (report, partner). */
#define LC_RESEND_MAX 24
#define LC_REMIND_MAX 24

/* An accepted report (strings valid during the call). */
typedef struct lc_report {
    int64_t ref;
    const char *code, *code_name;
    int priority;
    const char *location, *zone;       /* zone "" none */
    int has_coords;
    double lat, lon;
    const char *details;
    size_t details_len;
    const char *reporter;              /* callsign or network/unit: never a phone number */
    const char *channel;               /* radio | sms */
    int64_t received_at;
} lc_report;

/* Alerts partner p of report r: rows per channel, the chase, the timeline.
 * Returns the rows queued (>= 0) or -1. */
int lc_alert(const ingest_ctx *ctx, const lc_report *r, const cfg_partner *p);

/* An acknowledgement (ingest_ack does this). */
int lc_ack(const ingest_ctx *ctx, int64_t ref, const char *partner, const char *by,
           const char *via, int64_t at, enum ingest_ack_status *status);

/* UPD (cleared 0) or CLR (cleared 1) of ref: forwarded to each partner
 * alerted, as an update with the same ref; CLR ends the chasing. */
int lc_update(const ingest_ctx *ctx, int64_t ref, int cleared, const char *by, const char *text,
              size_t len, int64_t at);

/* Records a delivery attempt's result. */
int lc_result(const ingest_ctx *ctx, const dlv_result *r, int64_t now);

/* Dead-letters (and falls back from) up to `limit` (at most 64) duty-phone
 * alert rows still pending whose SMS were all given up ([sms] give_up_after),
 * with `why` as their last error. Returns how many (the limit: more may wait)
 * or -1. */
int lc_sms_given_up(const ingest_ctx *ctx, const char *why, int limit, int64_t now);

/* Resends, escalations, reminders and digests due at now. mqtt rows that
 * have waited their partner's dead_after while the broker was away all that
 * time (mqtt_down_ms: how long it has been away, 0 connected) are
 * dead-lettered and fall back. 0 or -1. */
int lc_tick(const ingest_ctx *ctx, int64_t now, int64_t mqtt_down_ms);

/* Next attempt after `attempts` failed ones: retry_ms doubling up to
 * retry_max_ms, minus up to a quarter of jitter (r: 0..1). Pure. */
int64_t lc_backoff_ms(int attempts, int retry_ms, int retry_max_ms, double r);

#endif
