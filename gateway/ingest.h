/* ingest.h: what one inbound message does, whatever channel it came by:
 * duplicate check, sender check, parse, its effect (report, alerts, command),
 * its reply, and its journal row: all in the caller's open transaction. */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "prc_limits.h"
#include "ratelim.h"
#include "store.h"
#include "tables.h"

typedef struct ingest_ctx {
    const gw_config *cfg;
    const gw_tables *tables;
    store *st;
    ratelim *rl;                /* the rate limits' counts; NULL: no rate limits */
} ingest_ctx;

typedef struct ingest_in {
    const char *channel;        /* "radio" or "sms" */
    const char *network;        /* radio: network; NULL otherwise */
    const char *unit;           /* radio: the sender's unit */
    const char *topic_unit;     /* radio: the topic's unit (journaled); NULL: unit */
    int unit_claimed;           /* radio: unit is a bridge's JSON "unit": never a person */
    const char *sender;         /* "network/unit" or E.164 */
    const char *bridge;         /* may be NULL */
    const char *msg_id;         /* may be NULL */
    const char *bridge_ts;      /* may be NULL */
    const void *payload;        /* raw bytes as received */
    size_t payload_len;
    const char *text;           /* PRC/1 text (valid UTF-8), NULL if the channel rejected it */
    size_t text_len;
    const char *reject_reason;  /* channel-level rejection (journal), e.g. "bad JSON" */
    const char *reject_reply;   /* ...and what the ERR FORMAT reply says; NULL: no reply */
    int reject_auth;            /* ...ERR AUTH instead of ERR FORMAT */
    int64_t received_at;        /* Unix ms */
} ingest_in;

typedef struct ingest_out {
    int64_t ref;                /* report made or concerned, 0 none */
    const char *outcome;        /* accepted | duplicate | error | rejected */
    int alerts;                 /* alerts queued */
    char reply[PRC_REPLY_BUF];  /* "" for no reply */
    int64_t message_id;         /* its journal row */
} ingest_out;

/* 0 on success (whatever the outcome); -1 on a store error: the caller rolls back. */
int ingest_message(const ingest_ctx *ctx, const ingest_in *in, ingest_out *out);

/* What an acknowledgement did. */
enum ingest_ack_status {
    INGEST_ACK_FIRST,        /* the partner's first: chase stopped, reporter told */
    INGEST_ACK_AGAIN,        /* acknowledged before: recorded, not re-announced */
    INGEST_ACK_NO_REPORT,    /* no such report */
    INGEST_ACK_NOT_ALERTED   /* the report was not alerted to this partner: rejected */
};

/* An acknowledgement of report ref by partner, from any channel: via is
 * "sms", "radio", "mqtt", "dashboard" or "link"; by is the callsign or user.
 * In the caller's open transaction: records it (outbox rows, the report's
 * timeline, the audit trail), stops that partner's escalation and resends, and
 * queues the reporter's notice "R1042 ACK by police 14:07" on its channel.
 * 0 (see *status) or -1 on a store error. */
int ingest_ack(const ingest_ctx *ctx, int64_t ref, const char *partner, const char *by,
               const char *via, int64_t at, enum ingest_ack_status *status);

/* An acknowledgement published on <prefix>/ack/<partner> as JSON
 * {"ref": "R1042", "by": "CALLSIGN"}: by must be an active contact of that
 * partner. Journaled (channel "ack") with its outcome; out->reply is the
 * answer for <prefix>/ack/<partner>/result. 0 or -1 on a store error. */
int ingest_ack_json(const ingest_ctx *ctx, const char *partner, const void *payload, size_t len,
                    int64_t at, ingest_out *out);

/* Duplicate windows (ms). */
#define INGEST_DUP_MSG_ID_MS (24LL * 3600 * 1000)
#define INGEST_DUP_TEXT_MS (10LL * 60 * 1000)
/* A radio message equal to the reply sent to its unit within this time is an
 * echo (a bridge republishing "out" into "in"): journaled, not answered. */
#define INGEST_ECHO_MS (10LL * 60 * 1000)

#endif
