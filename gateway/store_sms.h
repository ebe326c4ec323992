/* store_sms.h: the SMS channel (sms.c): parts as read from the modem, and the
 * send queue. Part of the store (store.h). */
#ifndef STORE_SMS_H
#define STORE_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

/* One SMS part as read. A part read again (same sender, reference, part,
 * total, SMSC time and text) is the same row. Strings may not be NULL. */
typedef struct store_sms_part {
    int64_t id;
    const char *sender;        /* as the modem gave it (E.164 when it could be normalised) */
    int ref, part, total;      /* concatenation; 0, 1, 1 for a single SMS */
    int64_t smsc_time;         /* Unix ms, 0 unknown */
    int folder, location;      /* where it is on the modem */
    const char *coding;        /* "gsm7", "ucs2", "8bit" */
    const char *text;          /* UTF-8 */
    size_t text_len;
    int64_t received_at;
} store_sms_part;
/* Adds a part: returns its new id (> 0); 0 if it was already there (then
 * *existing_id, *message_id (0 while its message is incomplete) are set and its
 * modem location is updated); -1. */
int64_t store_sms_part_add(store *s, const store_sms_part *p, int64_t *existing_id,
                           int64_t *message_id);
/* Parts of the waiting message (sender, ref, total), or (message_id > 0) of
 * the message already made: fn gets each (text valid during the call), in
 * part order. Returns the count or -1. */
int store_sms_parts_each(store *s, const char *sender, int ref, int total, int64_t message_id,
                         void (*fn)(void *arg, const store_sms_part *p), void *arg);
/* Marks the waiting parts of (sender, ref, total) as made into message_id. 0 or -1. */
int store_sms_parts_done(store *s, const char *sender, int ref, int total, int64_t message_id);
/* Waiting messages whose first part arrived at or before `before` (at most
 * limit): fn gets each key. Returns the count or -1. */
int store_sms_parts_expired(store *s, int64_t before, int limit,
                            void (*fn)(void *arg, const char *sender, int ref, int total),
                            void *arg);

/* The persistent SMS send queue. */
typedef struct store_sms_out {
    int64_t id;
    char to[GW_PHONE_MAX + 1];
    const char *text;          /* UTF-8, one SMS; valid until the next store call */
    char coding[8];            /* "gsm7" or "ucs2" */
    char kind[8];              /* "reply" or "alert" */
    int64_t ref;               /* report concerned, 0 none */
    int64_t alert_row;         /* alerts.id of an alert, 0 none */
    int64_t message_id;        /* the message replied to, 0 none */
    const char *state;         /* "pending" ... or "dropped" (not sent: reply limit) */
    const char *last_error;    /* why, for dropped; NULL */
    int attempts;
    int64_t created_at;
} store_sms_out;
/* Queues an SMS; returns its id or -1. */
int64_t store_sms_out_add(store *s, const store_sms_out *o);
/* Replies queued (not dropped) to a number since `since`: the per-number limit. */
long store_sms_out_replies_to(store *s, const char *to, int64_t since);
/* Alert SMS (any state) queued to a number since `since`: a partner's cap on
 * duty-phone alerts ([partner.NAME] sms_alert_limit). */
long store_sms_out_alerts_to(store *s, const char *to, int64_t since);
/* SMS handed to the modem and sent since `since`: the per-modem rate. */
long store_sms_out_sent_since(store *s, int64_t since);
/* Pending SMS due at now (at most limit), ids in skip[0..nskip) left out: fn
 * gets each. Replies come before alerts, each in queue order, so that an
 * operative's reply never waits behind a storm of duty-phone alerts. kind
 * "reply" or "alert": that kind only; NULL: both. Returns the count or -1. */
int store_sms_out_due(store *s, int64_t now, const char *kind, int limit, const int64_t *skip,
                      int nskip, void (*fn)(void *arg, const store_sms_out *o), void *arg);
/* The modem's answer: sent (ok, with the network's message reference) or a
 * failed attempt (next attempt at next_at). A sent alert marks its alert row
 * sent. 0 or -1. */
int store_sms_out_result(store *s, int64_t id, int ok, int msg_ref, const char *error,
                         int64_t now, int64_t next_at);
/* Pending SMS created at or before `before` become failed; returns how many,
 * or -1. Their alert rows are left to lc_sms_given_up (dead-letter, fallback). */
int store_sms_out_give_up(store *s, int64_t before, int64_t now);
/* A delivery report for the latest SMS sent to `to` with msg_ref: status
 * "delivered", "failed" or "pending". Returns rows updated (0 or 1) or -1. */
int store_sms_out_delivery(store *s, const char *to, int msg_ref, const char *status, int64_t at);

#endif
