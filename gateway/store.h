/* store.h: the durable store (SQLite in WAL mode, one writer: the core).
 *
 * Everything patrolgw keeps goes through this interface, so that another
 * backend can come later without touching the channels. Times are Unix
 * milliseconds. Functions return 0 on success and -1 on a store error
 * (logged) unless they say otherwise.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include "prc_limits.h"

#define STORE_SCHEMA_VERSION 7

typedef struct store store; /* opaque */

enum store_mode { STORE_RW = 0, STORE_RO = 1 };

/* Opens (creating and migrating when read-write) the store at path.
 * sync_full: fsync every commit. NULL with err on failure. Caller owns. */
store *store_open(const char *path, enum store_mode mode, int sync_full, char *err, size_t errsz);
void store_close(store *s); /* accepts NULL */

int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);
/* A read transaction (deferred: no write lock, never waits for a writer in
 * WAL): the reads until store_rollback() see one snapshot. 0 or -1. */
int store_begin_read(store *s);
/* How long a statement waits for another connection's lock before failing
 * with "database is locked" (store_open sets 5000 ms). */
void store_busy_timeout(store *s, int ms);

/* One inbound message as journaled. Strings may be NULL. */
typedef struct store_message {
    const char *channel;      /* "radio" or "sms" */
    const char *network;      /* radio network */
    const char *unit;         /* radio unit */
    const char *sender;       /* "network/unit" or E.164 phone */
    const char *bridge;       /* radio bridge that relayed it */
    const char *msg_id;       /* bridge message id */
    const char *bridge_ts;    /* bridge timestamp as sent */
    const void *payload;      /* raw bytes */
    size_t payload_len;
    const char *text;         /* the PRC/1 text, valid UTF-8, or NULL */
    size_t text_len;
    int64_t received_at;
    const char *outcome;      /* accepted | duplicate | error | rejected */
    const char *reason;       /* why, for the non-accepted ones */
    const char *reply;        /* the reply sent, or NULL for none */
    int64_t ref;              /* report it made or concerns, 0 none */
    int64_t person_id;        /* 0 unknown */
    int64_t dup_of;           /* message id it duplicates, 0 none */
} store_message;

/* Journals m; returns its id (> 0) or -1. */
int64_t store_message_add(store *s, const store_message *m);

/* An earlier accepted or erroneous message a new one duplicates. */
typedef struct store_dup {
    int64_t id;
    int64_t ref;
    char reply[PRC_REPLY_BUF];
} store_dup;

/* 1 and *out if a message with this msg_id arrived from the same channel and
 * sender since `since`; 0 if none; -1. A msg_id is only unique per sender: one
 * sender's id never makes another's message a duplicate. */
int store_dup_by_msg_id(store *s, const char *channel, const char *sender, const char *msg_id,
                        int64_t since, store_dup *out);
/* The same for the same channel, sender and text (the first such row). Answered
 * from a memory index of the journal (dupwin.h) built at the first call, each
 * candidate read back and compared: it assumes this store is the only one
 * journaling messages, as the gateway is. */
int store_dup_by_text(store *s, const char *channel, const char *sender, const char *text,
                      size_t len, int64_t since, store_dup *out);
/* For a command (docs/protocol.md, Duplicates): 1 and *out if the latest
 * message of this channel and sender with an id >= from has this text and is
 * an accepted or erroneous original with an id >= from, or a duplicate of
 * one; *out is that original. 0 if anything else of that sender came last;
 * -1. It reads the journal backwards from its end down to that sender's
 * latest row (from bounds it: pass the first same-text row found). */
int store_dup_last(store *s, const char *channel, const char *sender, int64_t from,
                   const char *text, size_t len, store_dup *out);
/* 1 and the reply ("" for none, cut to outsz) of the latest message of this
 * channel and sender received since `since`; 0 if none; -1. */
int store_last_reply(store *s, const char *channel, const char *sender, int64_t since,
                     char *out, size_t outsz);

typedef struct store_person {
    int64_t id;
    char callsign[GW_CALLSIGN_MAX + 1];
    char name[GW_PERSON_NAME_MAX + 1];
    char role[16];                 /* "operative" or "partner" */
    char partner[GW_NAME_MAX + 1]; /* for partner contacts */
    char phone[GW_PHONE_MAX + 1];  /* E.164 or "" */
    int active;
} store_person;

/* 1 and *out if an active... (any) person has this radio unit / phone / callsign; 0 none; -1. */
int store_person_by_unit(store *s, const char *network, const char *unit, store_person *out);
int store_person_by_phone(store *s, const char *phone, store_person *out);
int store_person_by_callsign(store *s, const char *callsign, store_person *out);
/* Adds a person with radio units ("network/unit"). -1 with err (e.g. callsign taken). */
int64_t store_person_add(store *s, const store_person *p, const char *const *units, int nunits,
                         char *err, size_t errsz);
/* 1 if disabled, 0 if no such callsign, -1. */
int store_person_set_active(store *s, const char *callsign, int active);
/* Calls fn for each person with their units joined by spaces. */
int store_people_each(store *s, void (*fn)(void *arg, const store_person *p, const char *units),
                      void *arg);

typedef struct store_report {
    const char *code;
    int priority;
    const char *location;
    const char *zone;          /* NULL or "" for none */
    int has_coords;
    double lat, lon;
    const char *details;
    size_t details_len;
    const char *reporter;      /* callsign or "network/unit" */
    int64_t person_id;
    const char *channel;
    int64_t received_at;
} store_report;

/* Inserts a report; returns its reference number (> 0, never reused) or -1. */
int64_t store_report_add(store *s, const store_report *r);

typedef struct store_report_info {
    int64_t ref;
    char reporter[GW_CALLSIGN_MAX + GW_NETWORK_MAX + 2];
    char status[16];           /* "open" or "cleared" */
    char code[PRC_CODE_MAX + 1];
    int priority;
    char location[PRC_LOCATION_MAX + 1];
    char zone[PRC_ZONE_MAX + 1];       /* "" none */
    char details[PRC_MSG_MAX_BYTES + 1];
    int has_coords;
    double lat, lon;
    char channel[16];
    int64_t received_at;
} store_report_info;
/* 1 and *out if report ref exists; 0 if not; -1. */
int store_report_get(store *s, int64_t ref, store_report_info *out);
/* Marks it cleared. */
int store_report_clear(store *s, int64_t ref, int64_t at);

/* Adds an event to a report's timeline (kind: received, alerted, delivered,
 * update, cleared, ack, ...). partner and detail may be NULL. */
int store_event_add(store *s, int64_t ref, int64_t at, const char *kind, const char *partner,
                    const char *by, const char *detail, size_t detail_len);

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
/* Rows matching an SQL condition on alerts with up to three parameters
 * (?1 integer, ?2 and ?3 text), in id order, at most limit; fn returns
 * non-zero to stop. Count or -1. For lifecycle.c's few fixed conditions. */
int store_alerts_each(store *s, const char *where, int64_t a1, const char *a2, const char *a3,
                      int limit, int (*fn)(void *arg, const store_alert *a), void *arg);
/* Held rows of (partner, channel) due at now become digested into row parent. */
int store_alerts_digested(store *s, const char *partner, const char *channel, int64_t now,
                          int64_t parent);
/* Where report ref came from: its first accepted message. */
typedef struct store_origin {
    char channel[16];                  /* "radio" or "sms" */
    char network[GW_NETWORK_MAX + 1], unit[GW_UNIT_MAX + 1];
    char sender[GW_NETWORK_MAX + GW_UNIT_MAX + 2];   /* E.164 for sms */
    int json;                          /* 1: the bridge sent JSON */
} store_origin;
/* 1 and *out, 0 if unknown, -1. */
int store_report_origin(store *s, int64_t ref, store_origin *out);

/* Patrol shifts. ON closes any open shift of the reporter first. */
int store_shift_on(store *s, const char *reporter, int64_t person_id, const char *zone, int64_t at);
/* 1 and *on_at if an open shift was closed; 0 if none was open; -1. */
int store_shift_off(store *s, const char *reporter, int64_t at, int64_t *on_at);

/* The running gateway's own status, one row per key (patrolctl status). */
int store_status_set(store *s, const char *key, const char *value, int64_t at);


/* ---- SMS channel (sms.c): parts as read from the modem, and the send queue. */

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
/* SMS handed to the modem and sent since `since`: the per-modem rate. */
long store_sms_out_sent_since(store *s, int64_t since);
/* Pending SMS due at now, in queue order (at most limit), ids in skip[0..nskip)
 * left out: fn gets each. Returns the count or -1. */
int store_sms_out_due(store *s, int64_t now, int limit, const int64_t *skip, int nskip,
                      void (*fn)(void *arg, const store_sms_out *o), void *arg);
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
/* alerts.id of (alert_id, channel), 0 if none, -1. */
int64_t store_alert_row(store *s, const char *alert_id, const char *channel);

/* ---- Administration (patrolctl people edit/remove, audit, purge, backup,
 * partners, tail, status). Functions that change something run inside the
 * caller's store_begin()/store_commit() unless they say otherwise. */

/* Changes name, role, partner and phone of the person with `callsign` to
 * those in p (p->callsign is ignored); units (nunits >= 0) replace the
 * person's radio units, nunits < 0 keeps them. 1 if changed, 0 if there is no
 * such (unremoved) person, -1 with err. */
int store_person_update(store *s, const char *callsign, const store_person *p,
                        const char *const *units, int nunits, char *err, size_t errsz);
/* Removes a person but keeps what they reported, pseudonymised: callsign and
 * name become "removed-<id>" (written to pseudonym), phone and radio units are
 * erased, the person is disabled and removed_at set; their reports, shifts,
 * events, acknowledgements and journaled messages name the pseudonym instead.
 * 1 done, 0 no such (unremoved) person, -1. */
int store_person_remove(store *s, const char *callsign, int64_t at, char *pseudonym,
                        size_t pseudonymsz);

/* Audit rows as stored (audit.h computes and checks the hashes). */
typedef struct store_audit_row {
    int64_t id;
    int64_t at;
    const char *actor, *action, *object, *detail; /* object, detail may be "" */
    const char *prev_hash, *hash;                  /* lower-case hex */
} store_audit_row;
/* The newest row's id and hash: 1, 0 when the trail is empty, -1. */
int store_audit_last(store *s, int64_t *id, char *hash, size_t hashsz);
/* Inserts r with its id (r->id). */
int store_audit_insert(store *s, const store_audit_row *r);
/* Calls fn for each row in id order (strings valid during the call); fn
 * returns non-zero to stop. Returns 0 or -1. */
int store_audit_each(store *s, int (*fn)(void *arg, const store_audit_row *r), void *arg);

/* Retention (retention.h). What a purge erases, or would erase. */
typedef struct store_purge_counts {
    long report_details;   /* reports whose details were erased */
    long message_texts;    /* journaled messages whose text and payload were erased */
    long event_details;    /* report events (UPD/CLR texts) */
    long alert_payloads;   /* delivered or failed alerts (their JSON repeats the details) */
    long sms_texts;        /* SMS parts read and SMS sent */
    long message_phones;   /* journaled messages whose sender phone number was erased */
    long report_phones;    /* reports whose reporter was a phone number */
    long sms_phones;       /* SMS parts and queued SMS whose number was erased */
} store_purge_counts;
/* Counts (dry_run) or erases the details of what was received before
 * details_before and the phone numbers of what was received before
 * phones_before (0: that part of the policy is off). Counts are kept: rows
 * stay, only their personal data goes. */
int store_purge(store *s, int64_t details_before, int64_t phones_before, int dry_run,
                store_purge_counts *out);
/* Erases as store_purge() does, but at most batch rows per table and part of
 * the policy, so that one transaction stays short; out counts this batch.
 * Call it (each time in a transaction of its own) until it erases nothing. */
int store_purge_batch(store *s, int64_t details_before, int64_t phones_before, long batch,
                      store_purge_counts *out);

/* A consistent copy of the whole store at path (SQLite online backup API),
 * written to path.tmp and renamed. Safe while patrolgw writes. 0 or -1 with
 * err (also when the store stays busy for 30 s). */
int store_backup(store *s, const char *path, char *err, size_t errsz);

/* Alert delivery per (partner, channel). */
typedef struct store_alert_health {
    const char *partner, *channel;
    long pending;          /* not yet delivered */
    long retrying;         /* pending with at least one attempt */
    long dead;             /* given up: state failed (dead-lettered) */
    long sent;             /* delivered, not acknowledged */
    long acked;
    int64_t last_success;  /* latest sent_at, 0 never */
    int64_t oldest_pending;/* created_at of the oldest pending, 0 none */
} store_alert_health;
int store_alert_health_each(store *s, void (*fn)(void *arg, const store_alert_health *h),
                            void *arg);

/* New rows since the given ids (tail): reports after ref, alerts after id,
 * acknowledgement events after id; at most limit of each. Strings valid during
 * the call. Each returns the number seen or -1. */
typedef struct store_tail_item {
    const char *kind;      /* "report", "alert" or "ack" */
    int64_t id;            /* report ref, alerts.id or report_events.id */
    int64_t ref;
    int64_t at;
    const char *code;      /* report */
    int priority;          /* report */
    const char *location, *zone, *reporter, *channel, *status; /* report; zone may be "" */
    const char *partner, *state, *by;                           /* alert / ack */
} store_tail_item;
int store_tail(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event, int limit,
               void (*fn)(void *arg, const store_tail_item *it), void *arg);
/* The newest ref, alerts.id and report_events.id (0 for none). */
int store_tail_start(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event);

/* gateway_status rows (strings valid during the call). */
int store_status_each(store *s, void (*fn)(void *arg, const char *key, const char *value,
                                           int64_t updated_at), void *arg);
/* Queue depths for patrolctl status; -1 in a field the store does not have. */
typedef struct store_queues {
    long alerts_pending, alerts_retrying, alerts_failed;
    long reports_open;
    long sms_out_pending, sms_parts_waiting;
} store_queues;
int store_queue_depths(store *s, store_queues *out);

#endif
