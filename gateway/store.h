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

#define STORE_SCHEMA_VERSION 2

typedef struct store store; /* opaque */

enum store_mode { STORE_RW = 0, STORE_RO = 1 };

/* Opens (creating and migrating when read-write) the store at path.
 * sync_full: fsync every commit. NULL with err on failure. Caller owns. */
store *store_open(const char *path, enum store_mode mode, int sync_full, char *err, size_t errsz);
void store_close(store *s); /* accepts NULL */

int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);

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

/* 1 and *out if a message with this msg_id arrived since `since`; 0 if none; -1. */
int store_dup_by_msg_id(store *s, const char *msg_id, int64_t since, store_dup *out);
/* The same for the same channel, sender and text. */
int store_dup_by_text(store *s, const char *channel, const char *sender, const char *text,
                      size_t len, int64_t since, store_dup *out);

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
} store_report_info;
/* 1 and *out if report ref exists; 0 if not; -1. */
int store_report_get(store *s, int64_t ref, store_report_info *out);
/* Marks it cleared. */
int store_report_clear(store *s, int64_t ref, int64_t at);

/* Adds an event to a report's timeline (kind: received, alerted, delivered,
 * update, cleared, ack, ...). partner and detail may be NULL. */
int store_event_add(store *s, int64_t ref, int64_t at, const char *kind, const char *partner,
                    const char *by, const char *detail, size_t detail_len);

/* Outbox: one row per (alert, partner, channel). */
int store_alert_add(store *s, const char *alert_id, int64_t ref, const char *partner,
                    const char *channel, int64_t created_at, const char *payload);

typedef struct store_alert {
    int64_t id;
    char alert_id[64];
    char partner[GW_NAME_MAX + 1];
    char channel[16];
    int attempts;
    const char *payload;       /* valid until the next store call */
} store_alert;
/* Pending alerts of channel due at now (at most limit), in order: for each, fn is called;
 * fn returns 0 to mark it attempted (next attempt at now + retry_ms), -1 to skip it.
 * retry_ms 0: nothing is marked; the caller keeps track of what it has in flight
 * (a pending row is resent after a restart anyway). */
int store_alerts_due(store *s, const char *channel, int64_t now, int limit, int64_t retry_ms,
                     int (*fn)(void *arg, const store_alert *a), void *arg);
/* Marks a pending alert sent and counts the attempt that succeeded. */
int store_alert_sent(store *s, int64_t id, int64_t at);
/* Records an acknowledgement of ref by partner; returns alerts acknowledged (>= 0) or -1. */
int store_alert_ack(store *s, int64_t ref, const char *partner, const char *by, int64_t at);
/* At start-up: attempts made by an earlier process have no connection left
 * to complete them, so every pending alert becomes due now. */
int store_alerts_due_now(store *s, int64_t now);
/* Pending alerts (any channel). */
long store_alerts_pending(store *s);

/* Patrol shifts. ON closes any open shift of the reporter first. */
int store_shift_on(store *s, const char *reporter, int64_t person_id, const char *zone, int64_t at);
/* 1 and *on_at if an open shift was closed; 0 if none was open; -1. */
int store_shift_off(store *s, const char *reporter, int64_t at, int64_t *on_at);

/* The running gateway's own status, one row per key (patrolctl status). */
int store_status_set(store *s, const char *key, const char *value, int64_t at);

#endif
