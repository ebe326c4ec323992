/* outbox.h: the outbox, core side. Rows of the alerts table (written in the
 * same transaction as the report, by lifecycle.c) are picked when due and
 * handed to their channel's deliverer only after the commit that made them
 * durable:
 *   - mqtt (alerts, <prefix>/alerts/<partner>) and radio (the reporter's ACK
 *     notice, <prefix>/out/<network>/<unit>): published here at QoS 1, marked
 *     sent on the broker's PUBACK; in flight tracked in memory only (a row is
 *     resent after a restart anyway);
 *   - email (mail.c) and webhook (webhook.c): run by the curl worker thread
 *     (curlw.c); each attempt is counted when it starts, its result comes
 *     back through outbox_fd() and is recorded by lifecycle.c (sent, retry
 *     with backoff, dead-letter and fallback);
 *   - sms: the SMS channel's own queue (sms.c).
 * The same alert_id goes with every attempt. */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>
#include "ingest.h"
#include "mqtt.h"
#include "store.h"

typedef struct outbox outbox; /* opaque */

/* Caller owns; NULL with err. retry_ms: wait for a PUBACK before resending.
 * cfg is read at each turn (a reload applies) and must outlive the outbox. */
outbox *outbox_new(const gw_config *cfg, int64_t retry_ms, char *err, size_t errsz);
void outbox_free(outbox *o); /* accepts NULL; stops the curl worker */

/* In the caller's open transaction: records the PUBACKs and the e-mail and
 * webhook results not yet committed (those seen since the last commit), and
 * picks due rows (MQTT ones if can_publish). 0 or -1 (store error). */
int outbox_prepare(outbox *o, const ingest_ctx *ctx, int64_t now, int can_publish);
/* After the commit: the PUBACKs and results recorded are done with; the
 * rows picked are published or handed to the curl worker. */
void outbox_publish(outbox *o, mqtt_conn *m, const char *prefix);
/* After a rollback: forgets what it picked; the PUBACKs and results are
 * kept for the next outbox_prepare. */
void outbox_forget(outbox *o);

/* The fd the loop polls: readable when e-mail or webhook results wait. */
int outbox_fd(const outbox *o);
/* The broker acknowledged publish mid. */
void outbox_on_puback(outbox *o, int mid);
/* 1 if there are PUBACKs or results to record. */
int outbox_has_acks(const outbox *o);
/* Drops in-flight records older than the retry time (their rows become due again). */
void outbox_expire(outbox *o, int64_t now_mono);
/* Alerts published and not yet acknowledged by the broker. */
int outbox_inflight(const outbox *o);
/* E-mail and webhook attempts under way (queued or running in the worker). */
int outbox_curl_busy(const outbox *o);

#endif
