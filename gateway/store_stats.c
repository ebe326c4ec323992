/* store_stats.c: the partnership figures (query_stats_run, store_query.h):
 * incidents by period, zone and code, acknowledgement times, patrol hours
 * against the commitment, refused messages (SQLite backend). */
#include "store_query.h"
#include "store_int.h"
#include "store_read.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* The week enumeration of a range stops after this many days (ten years):
 * beyond it, only the weeks that have shifts are listed. */
#define QUERY_DAYS_MAX 3660

/* ------------------------------------------------------------ figures */

/* Makes room for one more element in *arr (n used, *cap allocated). 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t elsz)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elsz);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static int stats_incidents(sqlite3 *db, const where *w, enum query_period period,
                           query_stats *out)
{
    size_t cap = 0;
    sqlite3_stmt *st = rd_prepare(db,
                               "SELECT patrol_period(r.received_at, ?1), ifnull(r.zone, '-'),"
                               " r.code, count(*) FROM reports r WHERE 1 = 1", w,
                               " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", 2);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, (int)period);
    int rc, failed = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->incidents, &cap, out->nincidents, sizeof *out->incidents)) {
            failed = 1;
            break;
        }
        query_incidents_row *r = &out->incidents[out->nincidents++];
        col_copy(st, 0, r->period, sizeof r->period);
        col_copy(st, 1, r->zone, sizeof r->zone);
        col_copy(st, 2, r->code, sizeof r->code);
        r->n = (long)sqlite3_column_int64(st, 3);
    }
    return rd_loop_end(db, st, rc, failed, 0, "incidents") < 0 ? -1 : 0;
}

static int stats_priority_channel(sqlite3 *db, const where *w, query_stats *out)
{
    sqlite3_stmt *st = rd_prepare(db,
                               "SELECT r.priority, count(*) FROM reports r WHERE 1 = 1", w,
                               " GROUP BY 1 ORDER BY 1", 1);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int p = sqlite3_column_int(st, 0);
        long n = (long)sqlite3_column_int64(st, 1);
        if (p >= 1 && p <= 4)
            out->by_priority[p] += n;
        out->reports += n;
    }
    if (rd_loop_end(db, st, rc, 0, 0, "priority") < 0)
        return -1;

    size_t cap = 0;
    st = rd_prepare(db,
                 "SELECT r.channel, count(*) FROM reports r WHERE 1 = 1", w,
                 " GROUP BY 1 ORDER BY 1", 1);
    if (!st)
        return -1;
    int failed = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->channels, &cap, out->nchannels, sizeof *out->channels)) {
            failed = 1;
            break;
        }
        query_channel_row *r = &out->channels[out->nchannels++];
        col_copy(st, 0, r->channel, sizeof r->channel);
        r->n = (long)sqlite3_column_int64(st, 1);
    }
    return rd_loop_end(db, st, rc, failed, 0, "channels") < 0 ? -1 : 0;
}

static query_ack_row *ack_row(query_stats *out, size_t *cap, const char *partner)
{
    for (size_t i = 0; i < out->nacks; i++)
        if (strcmp(out->acks[i].partner, partner) == 0)
            return &out->acks[i];
    if (grow((void **)&out->acks, cap, out->nacks, sizeof *out->acks))
        return NULL;
    query_ack_row *r = &out->acks[out->nacks++];
    memset(r, 0, sizeof *r);
    snprintf(r->partner, sizeof r->partner, "%s", partner);
    return r;
}

static int cmp_ack(const void *a, const void *b)
{
    return strcmp(((const query_ack_row *)a)->partner, ((const query_ack_row *)b)->partner);
}

/* Sets the acknowledgement figures of partner from its sorted delays (ms). */
static int ack_finish(query_stats *out, size_t *cap, const char *partner, const double *d,
                      size_t n)
{
    if (n == 0)
        return 0;
    query_ack_row *r = ack_row(out, cap, partner);
    if (!r)
        return -1;
    r->acked = (long)n;
    r->median_s = query_median(d, n) / 1000.0;
    r->p90_s = query_p90(d, n) / 1000.0;
    return 0;
}

static int stats_acks(sqlite3 *db, const where *w, query_stats *out)
{
    size_t cap = 0;
    double *delays = NULL;
    size_t ndelays = 0, dcap = 0;
    char partner[GW_NAME_MAX + 1] = "";
    int failed = 0;

    sqlite3_stmt *st = rd_prepare(db,
                               "SELECT a.partner, count(DISTINCT a.ref) FROM alerts a"
                               " JOIN reports r ON r.ref = a.ref WHERE 1 = 1", w,
                               " GROUP BY 1 ORDER BY 1", 1);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_ack_row *r = ack_row(out, &cap, col_str(st, 0));
        if (!r) {
            failed = 1;
            break;
        }
        r->alerted = (long)sqlite3_column_int64(st, 1);
    }
    if (rd_loop_end(db, st, rc, failed, 0, "alerted") < 0)
        return -1;

    /* The first ACK of each partner for each report. */
    st = rd_prepare(db,
                 "SELECT e.partner, min(e.at) - r.received_at AS d FROM report_events e"
                 " JOIN reports r ON r.ref = e.ref"
                 " WHERE e.kind = 'ack' AND e.partner IS NOT NULL AND e.partner <> ''", w,
                 " GROUP BY e.ref, e.partner ORDER BY e.partner, d", 1);
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *p = col_str(st, 0);
        if (strcmp(p, partner) != 0) {
            if (ack_finish(out, &cap, partner, delays, ndelays)) {
                failed = 1;
                break;
            }
            ndelays = 0;
            snprintf(partner, sizeof partner, "%s", p);
        }
        if (grow((void **)&delays, &dcap, ndelays, sizeof *delays)) {
            failed = 1;
            break;
        }
        delays[ndelays++] = (double)sqlite3_column_int64(st, 1);
    }
    if (!failed && rc == SQLITE_DONE && ack_finish(out, &cap, partner, delays, ndelays))
        failed = 1;
    free(delays);
    if (rd_loop_end(db, st, rc, failed, 0, "acks") < 0)
        return -1;
    if (out->nacks > 1)
        qsort(out->acks, out->nacks, sizeof *out->acks, cmp_ack);
    return 0;
}

static query_week_row *week_row(query_stats *out, size_t *cap, const char *week)
{
    for (size_t i = out->nweeks; i > 0; i--)
        if (strcmp(out->weeks[i - 1].week, week) == 0)
            return &out->weeks[i - 1];
    if (grow((void **)&out->weeks, cap, out->nweeks, sizeof *out->weeks))
        return NULL;
    query_week_row *r = &out->weeks[out->nweeks++];
    memset(r, 0, sizeof *r);
    snprintf(r->week, sizeof r->week, "%s", week);
    return r;
}

static int cmp_week(const void *a, const void *b)
{
    return strcmp(((const query_week_row *)a)->week, ((const query_week_row *)b)->week);
}

/* The weeks of [since, until): a day belongs to the range when its local noon does. */
static int enumerate_weeks(int64_t since, int64_t until, query_stats *out, size_t *cap)
{
    time_t t = (time_t)(since / 1000);
    struct tm day0;
    if (!localtime_r(&t, &day0))
        return -1;
    for (int i = 0; i < QUERY_DAYS_MAX; i++) {
        struct tm d = day0;
        d.tm_mday += i;
        d.tm_hour = 12;
        d.tm_min = 0;
        d.tm_sec = 0;
        d.tm_isdst = -1;
        time_t noon = mktime(&d);
        if (noon == (time_t)-1)
            return -1;
        int64_t ms = (int64_t)noon * 1000;
        if (ms >= until)
            break;
        if (ms < since)
            continue;
        char key[QUERY_PERIOD_MAX];
        if (query_period_key(ms, QUERY_WEEK, key, sizeof key))
            return -1;
        query_week_row *r = week_row(out, cap, key);
        if (!r)
            return -1;
        r->days++;
    }
    return 0;
}

static int stats_hours(sqlite3 *db, const query_filter *f, double weekly_hours, int64_t now,
                       query_stats *out)
{
    where w;
    size_t cap = 0, wcap = 0;
    int failed = 0;

    memset(&w, 0, sizeof w);
    if (f && f->since)
        rd_where_int(&w, "s.on_at >= ?", f->since);
    if (f && f->until)
        rd_where_int(&w, "s.on_at < ?", f->until);
    if (f && f->zone)
        rd_where_text(&w, "ifnull(s.zone, '-') = ?", f->zone);
    if (f && f->reporter)
        rd_where_text(&w, "s.reporter = ?", f->reporter);
    sqlite3_stmt *st = rd_prepare(db,
                               "SELECT patrol_period(s.on_at, 0), ifnull(s.zone, '-'),"
                               " sum(max(0, ifnull(s.off_at, ?1) - s.on_at)), count(*)"
                               " FROM shifts s WHERE 1 = 1", &w,
                               " GROUP BY 1, 2 ORDER BY 1, 2", 2);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->hours, &cap, out->nhours, sizeof *out->hours)) {
            failed = 1;
            break;
        }
        query_hours_row *r = &out->hours[out->nhours++];
        col_copy(st, 0, r->week, sizeof r->week);
        col_copy(st, 1, r->zone, sizeof r->zone);
        r->hours = (double)sqlite3_column_int64(st, 2) / 3600000.0;
        r->shifts = (long)sqlite3_column_int64(st, 3);
    }
    if (rd_loop_end(db, st, rc, failed, 0, "hours") < 0)
        return -1;

    if (f && f->since && enumerate_weeks(f->since, f->until ? f->until : now, out, &wcap))
        return -1;
    for (size_t i = 0; i < out->nhours; i++) {
        query_week_row *r = week_row(out, &wcap, out->hours[i].week);
        if (!r)
            return -1;
        if (r->days == 0)
            r->days = 7; /* a week outside the enumerated range: held to all of it */
        r->hours += out->hours[i].hours;
    }
    for (size_t i = 0; i < out->nweeks; i++)
        out->weeks[i].commitment = weekly_hours * out->weeks[i].days / 7.0;
    if (out->nweeks > 1)
        qsort(out->weeks, out->nweeks, sizeof *out->weeks, cmp_week);
    return 0;
}

/* A journaled reply was sent unless there was none, or the radio topic was
 * unusable (network "?": no topic to answer on; see radio.c). */
#define ANSWERED "(reply IS NOT NULL AND ifnull(network, '') <> '?')"

static int stats_reasons(sqlite3 *db, const query_filter *f, query_stats *out)
{
    where w;
    size_t cap = 0;
    int failed = 0;

    memset(&w, 0, sizeof w);
    if (f && f->since)
        rd_where_int(&w, "received_at >= ?", f->since);
    if (f && f->until)
        rd_where_int(&w, "received_at < ?", f->until);
    sqlite3_stmt *st = rd_prepare(db,
                               "SELECT outcome, ifnull(reason, ''), " ANSWERED ", count(*)"
                               " FROM messages WHERE (outcome IN ('error', 'rejected')"
                               " OR NOT " ANSWERED ")", &w,
                               " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3", 1);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->reasons, &cap, out->nreasons, sizeof *out->reasons)) {
            failed = 1;
            break;
        }
        query_reason_row *r = &out->reasons[out->nreasons++];
        col_copy(st, 0, r->outcome, sizeof r->outcome);
        col_copy(st, 1, r->reason, sizeof r->reason);
        r->answered = sqlite3_column_int(st, 2);
        r->n = (long)sqlite3_column_int64(st, 3);
    }
    return rd_loop_end(db, st, rc, failed, 0, "reasons") < 0 ? -1 : 0;
}

int query_stats_run(store *s, const query_filter *f, enum query_period period,
                    double weekly_hours, int64_t now, query_stats *out, char *err, size_t errsz)
{
    sqlite3 *db = rd_db(s);
    where w;

    memset(out, 0, sizeof *out);
    out->weekly_hours = weekly_hours;
    rd_where_reports(&w, f);
    /* One read transaction: every figure sees the same snapshot of the store,
     * however much the gateway commits meanwhile. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (stats_incidents(db, &w, period, out) || stats_priority_channel(db, &w, out) ||
        stats_acks(db, &w, out) || stats_hours(db, f, weekly_hours, now, out) ||
        stats_reasons(db, f, out))
        goto fail;
    (void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return 0;
fail:
    snprintf(err, errsz, "cannot read the figures: %s", sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    query_stats_free(out);
    return -1;
}
