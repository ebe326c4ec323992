/* query.h: the read side of the store, what its answers look like: reports
 * by filter, the timeline of one report, the partnership figures (incidents
 * by zone, code and week, acknowledgement times, patrol hours against the
 * commitment, rejected messages) and the SMS send queue; with the arithmetic
 * on them (periods, command-line times, medians, masked numbers). The
 * questions are asked through store_query.h. Used by patrolctl (reports,
 * show, export, stats, report) and the dashboard. Nothing here writes to the
 * store.
 *
 * Times are Unix milliseconds. Weeks (ISO 8601, "2026-W41") and months
 * ("2026-10") are those of the local time zone of the process: patrolctl sets
 * TZ from [gateway] timezone before it calls these functions.
 * Functions return 0 (or a count >= 0) on success and -1 on a store error,
 * with the reason in err where they take one.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"

/* "2026-W41", "2026-10", "2026-10-05" and a NUL fit. */
#define QUERY_PERIOD_MAX 16

enum query_period { QUERY_WEEK = 0, QUERY_MONTH = 1, QUERY_DAY = 2 };

/* Which reports: every field is optional (0 or NULL: any). */
typedef struct query_filter {
    int64_t since;        /* received_at >= since (ms); 0: no lower bound */
    int64_t until;        /* received_at < until (ms); 0: no upper bound */
    const char *zone;     /* zone code; "-" for reports without a zone */
    const char *code;     /* canonical code (upper case) */
    int priority;         /* 1..4 */
    const char *status;   /* "open" or "cleared" */
    const char *reporter; /* callsign or "network/unit" */
} query_filter;

/* One report row. Strings point into the store's result and are valid only
 * during the callback that receives them; never NULL ("" for none). */
typedef struct query_report {
    int64_t ref;
    const char *code;
    int priority;
    const char *location;
    const char *zone;
    int has_coords;
    double lat, lon;
    const char *details;
    const char *reporter;
    const char *channel;
    int64_t received_at;
    const char *status;
    int64_t cleared_at;   /* 0: not cleared */
} query_report;

/* Callbacks return 0 to go on, non-zero to stop (the call then returns -1). */
typedef int (*query_report_fn)(void *arg, const query_report *r);

/* A report_events row (received, alerted, ack, update, cleared, ...). */
typedef struct query_event {
    int64_t at;
    const char *kind;
    const char *partner;  /* "" for none */
    const char *by;
    const char *detail;
} query_event;

/* An alerts row: one alert of a report to one partner on one channel. */
typedef struct query_alert {
    const char *alert_id;
    const char *partner;
    const char *channel;
    const char *kind;     /* alert, resend, escalation, reminder, update, digest, fallback, notice */
    const char *state;    /* pending, held, sent, acked, failed, cancelled, digested */
    int64_t dead_at;      /* 0: not dead-lettered */
    int attempts;
    int64_t created_at;
    int64_t sent_at;      /* 0: not yet */
    int64_t acked_at;     /* 0: not yet */
    const char *acked_by;
    const char *last_error;
} query_alert;

/* A journaled message that made or concerns a report (the report itself, its
 * duplicates, UPD, CLR, ACK and the refused ones naming it). */
typedef struct query_message {
    int64_t id;
    int64_t received_at;
    const char *channel;
    const char *sender;
    const char *bridge;
    const char *msg_id;
    const char *outcome;
    const char *reason;
    const char *text;     /* "" when the payload was not text */
    const char *reply;    /* "" when none was sent */
    int64_t dup_of;       /* 0: not a duplicate */
} query_message;

/* ------------------------------------------------------------ figures */

typedef struct query_incidents_row {
    char period[QUERY_PERIOD_MAX];   /* week or month */
    char zone[PRC_ZONE_MAX + 1];     /* "-" for none */
    char code[PRC_CODE_MAX + 1];
    long n;
} query_incidents_row;

typedef struct query_channel_row {
    char channel[16];
    long n;
} query_channel_row;

/* Time from a report to the first ACK of each partner's contacts. */
typedef struct query_ack_row {
    char partner[GW_NAME_MAX + 1];
    long alerted;         /* reports alerted to this partner */
    long acked;           /* reports this partner acknowledged */
    double median_s;      /* of the acknowledged ones, seconds; 0 when none */
    double p90_s;         /* nearest rank: the ceil(0.9 n)-th smallest */
} query_ack_row;

/* Patrol hours of one zone in one week. */
typedef struct query_hours_row {
    char week[QUERY_PERIOD_MAX];
    char zone[PRC_ZONE_MAX + 1];     /* "-" for shifts started without a zone */
    double hours;
    long shifts;
} query_hours_row;

/* One week against the commitment. */
typedef struct query_week_row {
    char week[QUERY_PERIOD_MAX];
    int days;             /* days of the week inside the range (7 when unbounded) */
    double hours;
    double commitment;    /* weekly_hours * days / 7 */
} query_week_row;

/* Messages that were refused (outcome error or rejected) or not answered. */
typedef struct query_reason_row {
    char outcome[16];
    char reason[64];
    int answered;
    long n;
} query_reason_row;

/* All figures of one range. Arrays are owned (query_stats_free). */
typedef struct query_stats {
    long reports;                    /* reports matching the filter */
    long by_priority[5];             /* [1]..[4] */
    query_incidents_row *incidents;  /* sorted by period, zone, code */
    size_t nincidents;
    query_channel_row *channels;     /* sorted by channel */
    size_t nchannels;
    query_ack_row *acks;             /* sorted by partner */
    size_t nacks;
    query_hours_row *hours;          /* sorted by week, zone */
    size_t nhours;
    query_week_row *weeks;           /* sorted by week */
    size_t nweeks;
    query_reason_row *reasons;       /* most frequent first */
    size_t nreasons;
    double weekly_hours;
} query_stats;
void query_stats_free(query_stats *st); /* accepts NULL */


/* ------------------------------------------------------------ SMS send queue */

/* States of sms_out rows, as a mask (docs/sms.md). */
enum {
    QUERY_SMS_PENDING = 1, /* waiting to be sent, or retrying */
    QUERY_SMS_SENT = 2,    /* handed to the modem and confirmed */
    QUERY_SMS_FAILED = 4,  /* given up after [sms] give_up_after */
    QUERY_SMS_DROPPED = 8, /* over the reply limit: never sent */
};

/* Which SMS: every field is optional (0 or NULL: any). */
typedef struct query_sms_filter {
    int states;           /* QUERY_SMS_* mask; 0: every state */
    int64_t since;        /* created_at >= since (ms) */
    int64_t until;        /* created_at < until (ms) */
    int64_t after_id;     /* id > after_id: for readers that follow the queue */
    const char *to;       /* one E.164 number */
    long limit;           /* at most this many rows; 0: all */
} query_sms_filter;

/* One sms_out row. Strings point into the store's result and are valid only
 * during the callback; never NULL ("" for none). The number and the text are
 * personal data: callers mask or withhold them unless asked. */
typedef struct query_sms {
    int64_t id;
    const char *to;
    const char *text;
    const char *coding;   /* gsm7 | ucs2 */
    const char *kind;     /* reply | alert */
    const char *alert_kind; /* the alert row's kind (alert, resend, escalation, reminder,
                             * update, digest, fallback); "" for replies */
    const char *state;    /* pending | sent | failed | dropped */
    const char *partner;  /* the alert's partner; "" for replies */
    int64_t ref;          /* the report it is about; 0 none */
    int64_t message_id;   /* the journal row it answers; 0 none */
    int attempts;
    int64_t created_at;
    int64_t next_attempt_at;
    int64_t sent_at;      /* 0: not sent */
    const char *last_error;
    const char *delivery; /* delivered | failed | pending | "" (no report) */
} query_sms;

/* The number masked for display: the first 6 characters (the '+', country
 * code and the start of the operator prefix) and the last 2 kept, each
 * character between them a '*' ("+447700900123" -> "+44770*****23"); numbers
 * of 8 characters or fewer keep only the last 2. out gets at most outsz - 1
 * bytes. */
void query_mask_number(const char *number, char *out, size_t outsz);

/* ------------------------------------------------------------ time */

/* The local week ("2026-W41", ISO 8601), month ("2026-10") or day
 * ("2026-10-05") of ms. 0, or -1 (out then ""). */
int query_period_key(int64_t ms, enum query_period p, char *out, size_t outsz);

/* Parses a command-line time: "YYYY-MM-DD" (local midnight; with end_of_day,
 * the midnight after that day) or RFC 3339 ("2026-10-05T09:00:00Z",
 * "...+01:00", fractions allowed). 0 and *ms, or -1. */
int query_parse_time(const char *s, int end_of_day, int64_t *ms);

/* Parses "YYYY-MM" into the local [start, end) of that month. 0 or -1. */
int query_parse_month(const char *s, int64_t *start, int64_t *end);

/* Median and nearest-rank 90th percentile of n sorted values (n > 0). */
double query_median(const double *v, size_t n);
double query_p90(const double *v, size_t n);

#endif
