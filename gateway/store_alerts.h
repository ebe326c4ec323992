/* store_alerts.h: the outbox (one row per delivery and channel) and the alert
 * lifecycle's chases (lifecycle.h). Part of the store (store.h). */
#ifndef STORE_ALERTS_H
#define STORE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

/* Outbox: one row per (delivery, channel); a delivery is an alert to a
 * partner, or its resend, escalation, reminder, update, digest, fallback, or
 * the reporter's ACK notice (docs/alerts.md). */
typedef struct store_alert_new {
    const char *alert_id;      /* unique per channel: "R1042-police", "R1042-police-r1" ... */
    int64_t ref;               /* 0 for a digest */
    const char *partner;
    const char *channel;       /* mqtt | email | webhook | sms | radio (a notice) */
    const char *kind;          /* NULL = "alert" */
    int priority;              /* 0 unknown */
    const char *target;        /* radio notice: "network/unit"; NULL otherwise */
    int escalation;            /* 1: to the partner's escalate_to contacts */
    int held;                  /* 1: held for a digest (due_at: when the digest goes) */
    int64_t parent;            /* the row this falls back from or was digested into; 0 none */
    int64_t created_at;
    int64_t due_at;            /* first attempt; 0 = created_at */
    const char *payload;
} store_alert_new;
/* Adds a row: its id; 0 if (alert_id, channel) exists already; -1. */
int64_t store_alert_add(store *s, const store_alert_new *a);

typedef struct store_alert {
    int64_t id;
    char alert_id[64];
    char partner[GW_NAME_MAX + 1];
    char channel[16];
    char kind[16];
    char target[GW_NETWORK_MAX + GW_UNIT_MAX + 2];
    int escalation;
    int attempts;
    int64_t created_at;
    int64_t ref;               /* 0 for a digest */
    int priority;              /* 0 unknown */
    char state[16];            /* pending, held, sent ... */
    const char *payload;       /* valid until the next store call */
} store_alert;
/* Pending alerts of channel due at now (at most limit), in order: for each, fn is called;
 * fn returns 0 to mark it attempted (next attempt at now + retry_ms), -1 to skip it.
 * retry_ms 0: nothing is marked; the caller keeps track of what it has in flight
 * (a pending row is resent after a restart anyway). */
int store_alerts_due(store *s, const char *channel, int64_t now, int limit, int64_t retry_ms,
                     int (*fn)(void *arg, const store_alert *a), void *arg);
/* The same, for the rows of one partner only (an index finds them without
 * walking the other partners' rows). */
int store_alerts_due_partner(store *s, const char *channel, const char *partner, int64_t now,
                             int limit, int64_t retry_ms,
                             int (*fn)(void *arg, const store_alert *a), void *arg);
/* Marks a pending alert sent and counts the attempt that succeeded. */
int store_alert_sent(store *s, int64_t id, int64_t at);
/* At start-up: attempts made by an earlier process have no connection left
 * to complete them, so every pending alert becomes due now. */
int store_alerts_due_now(store *s, int64_t now);
/* Pending alerts (any channel). */
long store_alerts_pending(store *s);

/* ---- The alert lifecycle (lifecycle.h): one chase per (report, partner alerted). */
typedef struct store_chase {
    int64_t ref;
    char partner[GW_NAME_MAX + 1];
    int priority;
    int64_t created_at;
    int64_t acked_at;          /* 0 not acknowledged */
    char acked_by[GW_CALLSIGN_MAX * 2 + 1];
    int resends;               /* resends made */
    int64_t escalated_at;      /* 0 not escalated */
    int reminders;             /* reminders made */
    int64_t next_at;           /* next check; 0 none */
} store_chase;
/* Adds the chase of (ref, partner) unless it exists. next_at 0: none. */
int store_chase_add(store *s, int64_t ref, const char *partner, int priority, int64_t at,
                    int64_t next_at);
/* 1 and *out, 0 if none, -1. */
int store_chase_get(store *s, int64_t ref, const char *partner, store_chase *out);
/* Chases due at now (next_at <= now), at most limit; count or -1. */
int store_chases_due(store *s, int64_t now, int limit, void (*fn)(void *arg, const store_chase *c),
                     void *arg);
/* The chases of report ref (the partners alerted for it); count or -1. */
int store_chases_of(store *s, int64_t ref, void (*fn)(void *arg, const store_chase *c), void *arg);
/* Writes resends, escalated_at, reminders and next_at of c. */
int store_chase_set(store *s, const store_chase *c);
/* No more chasing for ref (cleared). */
int store_chases_stop(store *s, int64_t ref);
/* The first acknowledgement of (ref, partner): records who and how, sets
 * next_at (a reminder, 0 none), cancels that partner's undelivered alert rows
 * and pending duty-phone SMS, marks delivered ones acked. 1 if this was the
 * first, 0 if acknowledged before, -1. */
int store_chase_ack(store *s, int64_t ref, const char *partner, const char *by, const char *via,
                    int64_t at, int64_t next_at);
/* Chases started for partner since `since` (its alert rate); -1 on error. */
long store_partner_alerts_since(store *s, const char *partner, int64_t since);
/* An attempt starts: attempts + 1, next attempt at next_at if no result comes. */
int store_alert_attempt(store *s, int64_t id, int64_t next_at);
/* The result of an attempt on a pending row: state "sent", "pending" (retry
 * at next_at) or "failed" (dead-lettered). Rows changed (0: not pending any
 * more, e.g. acknowledged meanwhile) or -1. */
int store_alert_result(store *s, int64_t id, const char *state, int64_t at, int64_t next_at,
                       const char *error, long code);
/* Row id (fn called once if it exists; strings valid during the call). Count or -1. */
int store_alert_get(store *s, int64_t id, int (*fn)(void *arg, const store_alert *a), void *arg);
/* Held rows due at now (next_attempt_at <= now), in id order, at most limit:
 * those of (partner, channel), or of every partner and channel when partner is
 * NULL. fn returns non-zero to stop (strings valid during the call). Count or -1. */
int store_alerts_held_due(store *s, int64_t now, const char *partner, const char *channel,
                          int limit, int (*fn)(void *arg, const store_alert *a), void *arg);
/* Pending rows of channel created at or before `before`, in id order, at most
 * limit; fn as above. Count or -1. */
int store_alerts_pending_before(store *s, const char *channel, int64_t before, int limit,
                                int (*fn)(void *arg, const store_alert *a), void *arg);
/* Pending rows (any channel) due at `at` (next_attempt_at <= at) of partner,
 * or of every partner when partner is NULL; in id order, at most limit; fn as
 * above. Count or -1. */
int store_alerts_pending_due(store *s, const char *partner, int64_t at, int limit,
                             int (*fn)(void *arg, const store_alert *a), void *arg);
/* Pending duty-phone (sms) rows none of whose SMS is pending or sent any more:
 * every one was given up. In id order, at most limit; fn as above. Count or -1. */
int store_alerts_sms_given_up(store *s, int limit, int (*fn)(void *arg, const store_alert *a),
                              void *arg);
/* Held rows of (partner, channel) due at now, up to id last_id (those the
 * digest lists and counts), become digested into row parent. */
int store_alerts_digested(store *s, const char *partner, const char *channel, int64_t now,
                          int64_t last_id,
                          int64_t parent);
/* alerts.id of (alert_id, channel), 0 if none, -1. */
int64_t store_alert_row(store *s, const char *alert_id, const char *channel);

#endif
