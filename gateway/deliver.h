/* deliver.h: what the outbox hands a deliverer and what comes back.
 *
 * One module per channel delivers (outbox.c: MQTT; mail.c: e-mail; webhook.c:
 * webhooks; sms.c: duty phones). An attempt starts only after the commit that
 * made its outbox row durable, never blocks the core thread, and its result is
 * recorded by the core in a later transaction (lifecycle.c). An attempt
 * interrupted by a crash is made again after restart with the same alert_id,
 * so a partner can recognise a repeat (Message-ID, Idempotency-Key).
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum dlv_outcome {
    DLV_OK = 0,        /* delivered (accepted by the server) */
    DLV_RETRY = 1,     /* failed, may work later: 5xx, 4xx SMTP, timeout, refused */
    DLV_PERMANENT = 2  /* will not work: webhook 4xx (not 408/429), SMTP 5xx: dead-letter now */
};

/* One delivery attempt of one outbox row (alerts table). Pointers are valid
 * only during the call that receives it: a deliverer copies what it keeps. */
typedef struct dlv_item {
    int64_t row;               /* alerts.id: comes back in the result */
    const char *alert_id;      /* this delivery's id: Idempotency-Key, Message-ID */
    const char *kind;          /* alert | resend | escalation | reminder | update | digest */
    const cfg_partner *partner;
    int escalation;            /* 1: to the partner's escalate_to contacts, not its inbox */
    const char *payload;       /* the JSON partners receive (docs/alerts.md) */
    size_t payload_len;
    int64_t now;               /* Unix ms */
} dlv_item;

typedef struct dlv_result {
    int64_t row;
    enum dlv_outcome outcome;
    long code;                 /* HTTP status or last SMTP reply code; 0 none */
    char error[160];           /* why, for RETRY and PERMANENT; never personal data */
    int64_t took_ms;           /* start of the attempt to its end */
} dlv_result;

#endif
