/* store_reports.h: reports, their timelines (events), patrol shifts and the
 * gateway's own status rows. Part of the store (store.h). */
#ifndef STORE_REPORTS_H
#define STORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

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

/* Patrol shifts. ON closes any open shift of the reporter first. */
int store_shift_on(store *s, const char *reporter, int64_t person_id, const char *zone, int64_t at);
/* 1 and *on_at if an open shift was closed; 0 if none was open; -1. */
int store_shift_off(store *s, const char *reporter, int64_t at, int64_t *on_at);

/* The running gateway's own status, one row per key (patrolctl status). */
int store_status_set(store *s, const char *key, const char *value, int64_t at);

/* gateway_status rows (strings valid during the call). */
int store_status_each(store *s, void (*fn)(void *arg, const char *key, const char *value,
                                           int64_t updated_at), void *arg);

#endif
