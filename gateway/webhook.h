/* webhook.h: webhook deliveries. One HTTP(S) POST of the alert JSON per
 * delivery of an outbox row to the partner's `webhook` URL, signed with the
 * partner's secret so the receiver knows it came from this gateway and was
 * not replayed, with the alert_id as Idempotency-Key so a retry is
 * recognisable. Sent by the curl worker. docs/alerts.md ("Webhooks") says
 * how a receiver verifies a request. */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>

#include "curlw.h"
#include "deliver.h"

/* Hex characters of a signature (HMAC-SHA256). */
#define WEBHOOK_SIG_HEX 64

/* out = lower-case hex of HMAC-SHA256(key = secret, ts + "." + body): what
 * X-Patrol-Signature carries after "sha256=". 0, or -1 (empty secret, libcrypto). */
int webhook_sign(const char *secret, const char *ts, const void *body, size_t len,
                 char out[WEBHOOK_SIG_HEX + 1]);

/* Starts one delivery. 0: a result for it->row will come through
 * curlw_take() (DLV_PERMANENT at once when the partner has no webhook or
 * secret, or the payload is too large). -1: nothing started (no room in the
 * worker, or out of memory): try again later. */
int webhook_start(curlw *w, const dlv_item *it);

/* The outcome of a webhook transfer (curlw_classify_fn): 2xx delivered;
 * 408, 429, 5xx, timeouts and failed connections retried; any other status
 * (3xx included: redirects are not followed) permanent. */
enum dlv_outcome webhook_classify(int curlcode, long code, int os_errno, char *err, size_t errsz);

#endif
