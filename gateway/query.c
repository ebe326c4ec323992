/* query.c: the read side of the store (query.h): SQL over the store's
 * connection, grouped by local weeks through the SQL function patrol_period(). */
#include "query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_sqlite.h"

/* The week enumeration of a range stops after this many days (ten years):
 * beyond it, only the weeks that have shifts are listed. */
#define QUERY_DAYS_MAX 3660

/* ------------------------------------------------------------ time */

int query_period_key(int64_t ms, enum query_period p, char *out, size_t outsz)
{
    /* Floor division, so that times before 1970 land in the right second. */
    int64_t sec = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    time_t t = (time_t)sec;
    struct tm tm;

    if (outsz == 0)
        return -1;
    out[0] = '\0';
    if ((int)p < 0 || (int)p > QUERY_DAY || !localtime_r(&t, &tm))
        return -1;
    size_t n = p == QUERY_WEEK    ? strftime(out, outsz, "%G-W%V", &tm)
               : p == QUERY_MONTH ? strftime(out, outsz, "%Y-%m", &tm)
                                  : strftime(out, outsz, "%Y-%m-%d", &tm);
    if (n == 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Local midnight of y-m-d plus add_days days, in ms. 0 or -1. */
static int local_midnight(int y, int m, int d, int add_days, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + add_days;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000;
    return 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
    if (!all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
        !all_digits(s + 8, 2))
        return -1;
    *y = num(s, 4);
    *m = num(s + 5, 2);
    *d = num(s + 8, 2);
    if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int query_parse_time(const char *s, int end_of_day, int64_t *ms)
{
    int y, mo, d;
    size_t n = strlen(s);

    if (n < 10 || parse_date(s, &y, &mo, &d))
        return -1;
    if (n == 10)
        return local_midnight(y, mo, d, end_of_day ? 1 : 0, ms);
    /* RFC 3339: date T hh:mm:ss [.frac] (Z | +hh:mm | -hh:mm) */
    const char *p = s + 10;
    if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 10 || !all_digits(p + 1, 2) ||
        p[3] != ':' || !all_digits(p + 4, 2) || p[6] != ':' || !all_digits(p + 7, 2))
        return -1;
    int hh = num(p + 1, 2), mi = num(p + 4, 2), ss = num(p + 7, 2);
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    p += 9;
    int frac_ms = 0;
    if (*p == '.') {
        size_t k = 1;
        while (p[k] >= '0' && p[k] <= '9') {
            if (k <= 3)
                frac_ms = frac_ms * 10 + (p[k] - '0');
            k++;
        }
        if (k == 1)
            return -1;
        for (size_t pad = k; pad <= 3; pad++)
            frac_ms *= 10;
        p += k;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!all_digits(p + 1, 2) || p[3] != ':' || !all_digits(p + 4, 2))
            return -1;
        int oh = num(p + 1, 2), om = num(p + 4, 2);
        if (oh > 23 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t sec = days_from_civil(y, mo, d) * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 +
                  ss - (int64_t)offset_min * 60;
    *ms = sec * 1000 + frac_ms;
    return 0;
}

int query_parse_month(const char *s, int64_t *start, int64_t *end)
{
    if (strlen(s) != 7 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2))
        return -1;
    int y = num(s, 4), m = num(s + 5, 2);
    if (y < 1970 || m < 1 || m > 12)
        return -1;
    if (local_midnight(y, m, 1, 0, start))
        return -1;
    return local_midnight(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, 0, end);
}

double query_median(const double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double query_p90(const double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)ceil(0.9 * (double)n); /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

/* ------------------------------------------------------------ SQL helpers */

/* patrol_period(ms, kind): the local week (0), month (1) or day (2) of ms. */
static void sql_period(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char key[QUERY_PERIOD_MAX];
    if (argc != 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    int64_t ms = sqlite3_value_int64(argv[0]);
    int kind = sqlite3_value_int(argv[1]);
    if (kind < 0 || kind > QUERY_DAY ||
        query_period_key(ms, (enum query_period)kind, key, sizeof key)) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

static sqlite3 *db_of(store *s)
{
    sqlite3 *db = store_sqlite(s);
    /* Registered once per connection, when a query first finds it missing:
     * registering a function expires every statement prepared on the
     * connection (the store's cached ones too), which SQLite would then
     * prepare again. Preparing this probe expires nothing. */
    sqlite3_stmt *probe = NULL;
    if (sqlite3_prepare_v2(db, "SELECT patrol_period(0, 0)", -1, &probe, NULL) == SQLITE_OK) {
        sqlite3_finalize(probe);
        return db;
    }
    if (sqlite3_create_function_v2(db, "patrol_period", 2, SQLITE_UTF8, NULL, sql_period, NULL,
                                   NULL, NULL) != SQLITE_OK)
        log_error("query", "cannot register patrol_period: %s", sqlite3_errmsg(db));
    return db;
}

/* A WHERE clause built from constant fragments, with its bound values. */
enum { WHERE_SQL_MAX = 512, WHERE_BINDS_MAX = 8 };
typedef struct where {
    char sql[WHERE_SQL_MAX];
    size_t len;
    int nbind;
    struct {
        int is_text;
        int64_t i;
        const char *s;
    } b[WHERE_BINDS_MAX];
} where;

static void where_int(where *w, const char *frag, int64_t v)
{
    int n = snprintf(w->sql + w->len, sizeof w->sql - w->len, " AND %s", frag);
    if (n < 0 || (size_t)n >= sizeof w->sql - w->len || w->nbind >= WHERE_BINDS_MAX)
        log_fatal("query", "where clause too long");
    w->len += (size_t)n;
    w->b[w->nbind].is_text = 0;
    w->b[w->nbind].i = v;
    w->nbind++;
}

static void where_text(where *w, const char *frag, const char *v)
{
    where_int(w, frag, 0);
    w->b[w->nbind - 1].is_text = 1;
    w->b[w->nbind - 1].s = v;
}

/* Conditions on the reports table aliased r. */
static void where_reports(where *w, const query_filter *f)
{
    memset(w, 0, sizeof *w);
    if (!f)
        return;
    if (f->since)
        where_int(w, "r.received_at >= ?", f->since);
    if (f->until)
        where_int(w, "r.received_at < ?", f->until);
    if (f->zone)
        where_text(w, "ifnull(r.zone, '-') = ?", f->zone);
    if (f->code)
        where_text(w, "r.code = ?", f->code);
    if (f->priority)
        where_int(w, "r.priority = ?", f->priority);
    if (f->status)
        where_text(w, "r.status = ?", f->status);
    if (f->reporter)
        where_text(w, "r.reporter = ?", f->reporter);
}

/* Binds w's values from parameter index first on. */
static int where_bind(sqlite3_stmt *st, const where *w, int first)
{
    for (int i = 0; i < w->nbind; i++) {
        int rc = w->b[i].is_text
                     ? sqlite3_bind_text(st, first + i, w->b[i].s, -1, SQLITE_STATIC)
                     : sqlite3_bind_int64(st, first + i, w->b[i].i);
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* Prepares head, w's clause and tail, and binds w's values from index first on;
 * NULL after logging. */
static sqlite3_stmt *prepare(sqlite3 *db, const char *head, const where *w, const char *tail,
                             int first)
{
    char sql[2048];
    sqlite3_stmt *st = NULL;
    int n = snprintf(sql, sizeof sql, "%s%s%s", head, w->sql, tail);
    if (n < 0 || (size_t)n >= sizeof sql)
        log_fatal("query", "statement too long");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("query", "prepare: %s", sqlite3_errmsg(db));
        return NULL;
    }
    if (where_bind(st, w, first)) {
        log_error("query", "bind: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *)v : "";
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
    snprintf(dst, dstsz, "%s", col_text(st, i));
}

/* Ends a row loop: rc is the last sqlite3_step result. */
static long loop_end(sqlite3 *db, sqlite3_stmt *st, int rc, int stopped, long count,
                     const char *what)
{
    sqlite3_finalize(st);
    if (stopped)
        return -1;
    if (rc != SQLITE_DONE) {
        log_error("query", "%s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    return count;
}

/* ------------------------------------------------------------ reports */

#define REPORT_COLS                                                                      \
    "r.ref, r.code, r.priority, r.location, ifnull(r.zone, ''), r.lat, r.lon, r.details," \
    " r.reporter, r.channel, r.received_at, r.status, ifnull(r.cleared_at, 0)"

static void read_report(sqlite3_stmt *st, query_report *r)
{
    r->ref = sqlite3_column_int64(st, 0);
    r->code = col_text(st, 1);
    r->priority = sqlite3_column_int(st, 2);
    r->location = col_text(st, 3);
    r->zone = col_text(st, 4);
    r->has_coords = sqlite3_column_type(st, 5) != SQLITE_NULL &&
                    sqlite3_column_type(st, 6) != SQLITE_NULL;
    r->lat = r->has_coords ? sqlite3_column_double(st, 5) : 0.0;
    r->lon = r->has_coords ? sqlite3_column_double(st, 6) : 0.0;
    r->details = col_text(st, 7);
    r->reporter = col_text(st, 8);
    r->channel = col_text(st, 9);
    r->received_at = sqlite3_column_int64(st, 10);
    r->status = col_text(st, 11);
    r->cleared_at = sqlite3_column_int64(st, 12);
}

long query_reports(store *s, const query_filter *f, query_report_fn fn, void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    where_reports(&w, f);
    sqlite3_stmt *st = prepare(db,
                               "SELECT " REPORT_COLS " FROM reports r WHERE 1 = 1", &w,
                               " ORDER BY r.received_at, r.ref", 1);
    if (!st)
        return -1;
    long count = 0;
    int rc, stopped = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_report r;
        read_report(st, &r);
        count++;
        if (fn && fn(arg, &r) != 0) {
            stopped = 1;
            break;
        }
    }
    return loop_end(db, st, rc, stopped, count, "reports");
}

int query_report_get(store *s, int64_t ref, query_report_fn fn, void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    memset(&w, 0, sizeof w);
    where_int(&w, "r.ref = ?", ref);
    sqlite3_stmt *st =
        prepare(db, "SELECT " REPORT_COLS " FROM reports r WHERE 1 = 1", &w, "", 1);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    int stopped = 0;
    if (found) {
        query_report r;
        read_report(st, &r);
        stopped = fn && fn(arg, &r) != 0;
        rc = SQLITE_DONE;
    }
    long n = loop_end(db, st, rc, stopped, found, "report");
    return n < 0 ? -1 : (int)n;
}

long query_events(store *s, int64_t ref, int (*fn)(void *arg, const query_event *e), void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    memset(&w, 0, sizeof w);
    where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = prepare(db,
                               "SELECT at, kind, ifnull(partner, ''), ifnull(by, ''),"
                               " ifnull(detail, '') FROM report_events WHERE 1 = 1", &w,
                               " ORDER BY at, id", 1);
    if (!st)
        return -1;
    long count = 0;
    int rc, stopped = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_event e = {
            .at = sqlite3_column_int64(st, 0),
            .kind = col_text(st, 1),
            .partner = col_text(st, 2),
            .by = col_text(st, 3),
            .detail = col_text(st, 4),
        };
        count++;
        if (fn && fn(arg, &e) != 0) {
            stopped = 1;
            break;
        }
    }
    return loop_end(db, st, rc, stopped, count, "events");
}

long query_alerts(store *s, int64_t ref, int (*fn)(void *arg, const query_alert *a), void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    memset(&w, 0, sizeof w);
    where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = prepare(db,
                               "SELECT alert_id, partner, channel, state, attempts, created_at,"
                               " ifnull(sent_at, 0), ifnull(acked_at, 0), ifnull(acked_by, ''),"
                               " ifnull(last_error, ''), kind, ifnull(dead_at, 0)"
                               " FROM alerts WHERE 1 = 1", &w,
                               " ORDER BY created_at, id", 1);
    if (!st)
        return -1;
    long count = 0;
    int rc, stopped = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_alert a = {
            .alert_id = col_text(st, 0),
            .partner = col_text(st, 1),
            .channel = col_text(st, 2),
            .state = col_text(st, 3),
            .attempts = sqlite3_column_int(st, 4),
            .created_at = sqlite3_column_int64(st, 5),
            .sent_at = sqlite3_column_int64(st, 6),
            .acked_at = sqlite3_column_int64(st, 7),
            .acked_by = col_text(st, 8),
            .last_error = col_text(st, 9),
            .kind = col_text(st, 10),
            .dead_at = sqlite3_column_int64(st, 11),
        };
        count++;
        if (fn && fn(arg, &a) != 0) {
            stopped = 1;
            break;
        }
    }
    return loop_end(db, st, rc, stopped, count, "alerts");
}

long query_messages(store *s, int64_t ref, int (*fn)(void *arg, const query_message *m),
                    void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    memset(&w, 0, sizeof w);
    where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = prepare(db,
                               "SELECT id, received_at, channel, ifnull(sender, ''),"
                               " ifnull(bridge, ''), ifnull(msg_id, ''), outcome,"
                               " ifnull(reason, ''), ifnull(text, ''), ifnull(reply, ''),"
                               " ifnull(dup_of, 0) FROM messages WHERE 1 = 1", &w,
                               " ORDER BY received_at, id", 1);
    if (!st)
        return -1;
    long count = 0;
    int rc, stopped = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_message m = {
            .id = sqlite3_column_int64(st, 0),
            .received_at = sqlite3_column_int64(st, 1),
            .channel = col_text(st, 2),
            .sender = col_text(st, 3),
            .bridge = col_text(st, 4),
            .msg_id = col_text(st, 5),
            .outcome = col_text(st, 6),
            .reason = col_text(st, 7),
            .text = col_text(st, 8),
            .reply = col_text(st, 9),
            .dup_of = sqlite3_column_int64(st, 10),
        };
        count++;
        if (fn && fn(arg, &m) != 0) {
            stopped = 1;
            break;
        }
    }
    return loop_end(db, st, rc, stopped, count, "messages");
}

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

void query_stats_free(query_stats *st)
{
    if (!st)
        return;
    free(st->incidents);
    free(st->channels);
    free(st->acks);
    free(st->hours);
    free(st->weeks);
    free(st->reasons);
    memset(st, 0, sizeof *st);
}

static int stats_incidents(sqlite3 *db, const where *w, enum query_period period,
                           query_stats *out)
{
    size_t cap = 0;
    sqlite3_stmt *st = prepare(db,
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
    return loop_end(db, st, rc, failed, 0, "incidents") < 0 ? -1 : 0;
}

static int stats_priority_channel(sqlite3 *db, const where *w, query_stats *out)
{
    sqlite3_stmt *st = prepare(db,
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
    if (loop_end(db, st, rc, 0, 0, "priority") < 0)
        return -1;

    size_t cap = 0;
    st = prepare(db,
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
    return loop_end(db, st, rc, failed, 0, "channels") < 0 ? -1 : 0;
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

    sqlite3_stmt *st = prepare(db,
                               "SELECT a.partner, count(DISTINCT a.ref) FROM alerts a"
                               " JOIN reports r ON r.ref = a.ref WHERE 1 = 1", w,
                               " GROUP BY 1 ORDER BY 1", 1);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_ack_row *r = ack_row(out, &cap, col_text(st, 0));
        if (!r) {
            failed = 1;
            break;
        }
        r->alerted = (long)sqlite3_column_int64(st, 1);
    }
    if (loop_end(db, st, rc, failed, 0, "alerted") < 0)
        return -1;

    /* The first ACK of each partner for each report. */
    st = prepare(db,
                 "SELECT e.partner, min(e.at) - r.received_at AS d FROM report_events e"
                 " JOIN reports r ON r.ref = e.ref"
                 " WHERE e.kind = 'ack' AND e.partner IS NOT NULL AND e.partner <> ''", w,
                 " GROUP BY e.ref, e.partner ORDER BY e.partner, d", 1);
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *p = col_text(st, 0);
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
    if (loop_end(db, st, rc, failed, 0, "acks") < 0)
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
        where_int(&w, "s.on_at >= ?", f->since);
    if (f && f->until)
        where_int(&w, "s.on_at < ?", f->until);
    if (f && f->zone)
        where_text(&w, "ifnull(s.zone, '-') = ?", f->zone);
    if (f && f->reporter)
        where_text(&w, "s.reporter = ?", f->reporter);
    sqlite3_stmt *st = prepare(db,
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
    if (loop_end(db, st, rc, failed, 0, "hours") < 0)
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
        where_int(&w, "received_at >= ?", f->since);
    if (f && f->until)
        where_int(&w, "received_at < ?", f->until);
    sqlite3_stmt *st = prepare(db,
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
    return loop_end(db, st, rc, failed, 0, "reasons") < 0 ? -1 : 0;
}

int query_stats_run(store *s, const query_filter *f, enum query_period period,
                    double weekly_hours, int64_t now, query_stats *out, char *err, size_t errsz)
{
    sqlite3 *db = db_of(s);
    where w;

    memset(out, 0, sizeof *out);
    out->weekly_hours = weekly_hours;
    where_reports(&w, f);
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

/* ------------------------------------------------------------ SMS send queue */

long query_sms_each(store *s, const query_sms_filter *f, int (*fn)(void *arg, const query_sms *m),
                    void *arg)
{
    sqlite3 *db = db_of(s);
    where w;
    memset(&w, 0, sizeof w);
    if (f && f->states)
        where_int(&w,
                  "(? & CASE o.state WHEN 'pending' THEN 1 WHEN 'sent' THEN 2"
                  " WHEN 'failed' THEN 4 WHEN 'dropped' THEN 8 ELSE 0 END) <> 0",
                  f->states);
    if (f && f->since)
        where_int(&w, "o.created_at >= ?", f->since);
    if (f && f->until)
        where_int(&w, "o.created_at < ?", f->until);
    if (f && f->after_id)
        where_int(&w, "o.id > ?", f->after_id);
    if (f && f->to)
        where_text(&w, "o.to_number = ?", f->to);
    sqlite3_stmt *st = prepare(
        db,
        "SELECT o.id, o.to_number, o.text, o.coding, o.kind, o.state, ifnull(a.partner, ''),"
        " ifnull(o.ref, 0), ifnull(o.message_id, 0), o.attempts, o.created_at,"
        " o.next_attempt_at, ifnull(o.sent_at, 0), ifnull(o.last_error, ''),"
        " ifnull(o.delivery, ''), ifnull(a.kind, '')"
        " FROM sms_out o LEFT JOIN alerts a ON a.id = o.alert_row WHERE 1 = 1",
        &w, " ORDER BY o.id LIMIT ?", 1);
    if (!st)
        return -1;
    /* LIMIT -1 is no limit in SQLite. */
    if (sqlite3_bind_int64(st, w.nbind + 1, f && f->limit > 0 ? (int64_t)f->limit : -1) !=
        SQLITE_OK) {
        log_error("query", "bind: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    long count = 0;
    int rc, stopped = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        query_sms m = {
            .id = sqlite3_column_int64(st, 0),
            .to = col_text(st, 1),
            .text = col_text(st, 2),
            .coding = col_text(st, 3),
            .kind = col_text(st, 4),
            .state = col_text(st, 5),
            .partner = col_text(st, 6),
            .ref = sqlite3_column_int64(st, 7),
            .message_id = sqlite3_column_int64(st, 8),
            .attempts = sqlite3_column_int(st, 9),
            .created_at = sqlite3_column_int64(st, 10),
            .next_attempt_at = sqlite3_column_int64(st, 11),
            .sent_at = sqlite3_column_int64(st, 12),
            .last_error = col_text(st, 13),
            .delivery = col_text(st, 14),
            .alert_kind = col_text(st, 15),
        };
        count++;
        if (fn && fn(arg, &m) != 0) {
            stopped = 1;
            break;
        }
    }
    return loop_end(db, st, rc, stopped, count, "sms_out");
}

void query_mask_number(const char *number, char *out, size_t outsz)
{
    if (outsz == 0)
        return;
    size_t n = strlen(number);
    size_t keep_head = n > 8 ? 6 : 0;
    size_t keep_tail = n > 2 ? 2 : 0;
    size_t i = 0;
    for (; i < n && i + 1 < outsz; i++)
        out[i] = i < keep_head || i >= n - keep_tail ? number[i] : '*';
    out[i] = '\0';
}
