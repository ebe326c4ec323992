/* store_admin.h: administration (patrolctl audit, purge, backup, partners, tail,
 * status): the audit trail as stored, retention, backups and health figures.
 * Part of the store (store.h). Functions that change something run inside the
 * caller's store_begin()/store_commit() unless they say otherwise. */
#ifndef STORE_ADMIN_H
#define STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

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

/* Queue depths for patrolctl status; -1 in a field the store does not have. */
typedef struct store_queues {
    long alerts_pending, alerts_retrying, alerts_failed;
    long reports_open;
    long sms_out_pending, sms_parts_waiting;
} store_queues;
int store_queue_depths(store *s, store_queues *out);

#endif
