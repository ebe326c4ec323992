/* outbox.h: delivers queued partner alerts (store table alerts) over MQTT,
 * at least once, with the same alert_id on every attempt. Rows are written in
 * the same transaction as the report; they are published only after that
 * commit and marked sent on the broker's PUBACK. */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>
#include "mqtt.h"
#include "store.h"

typedef struct outbox outbox; /* opaque */

/* Caller owns; NULL on ENOMEM. retry_ms: wait for a PUBACK before resending. */
outbox *outbox_new(int64_t retry_ms);
void outbox_free(outbox *o); /* accepts NULL */

/* In the caller's open transaction: records the PUBACKs seen since the last
 * call and picks due alerts (if can_publish). 0 or -1 (store error). */
int outbox_prepare(outbox *o, store *s, int64_t now, int can_publish);
/* After the commit (or rollback: then it forgets what it picked). */
void outbox_publish(outbox *o, mqtt_conn *m, const char *prefix);
void outbox_forget(outbox *o);

/* The broker acknowledged publish mid. */
void outbox_on_puback(outbox *o, int mid);
/* 1 if there are PUBACKs to record. */
int outbox_has_acks(const outbox *o);
/* Drops in-flight records older than the retry time (their rows become due again). */
void outbox_expire(outbox *o, int64_t now_mono);
/* Alerts published and not yet acknowledged by the broker. */
int outbox_inflight(const outbox *o);

#endif
