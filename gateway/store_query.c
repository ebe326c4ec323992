/* store_query.c: the read side's questions (store_query.h) about reports,
 * their timelines and the SMS send queue (SQLite backend), and the WHERE
 * builder they share with store_stats.c and store_dash.c (store_read.h). */
#include "store_query.h"
#include "store_int.h"
#include "store_read.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

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

sqlite3 *rd_db(store *s)
{
    sqlite3 *db = s->db;
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

void rd_where_int(where *w, const char *frag, int64_t v)
{
    int n = snprintf(w->sql + w->len, sizeof w->sql - w->len, " AND %s", frag);
    if (n < 0 || (size_t)n >= sizeof w->sql - w->len || w->nbind >= WHERE_BINDS_MAX)
        log_fatal("query", "where clause too long");
    w->len += (size_t)n;
    w->b[w->nbind].is_text = 0;
    w->b[w->nbind].i = v;
    w->nbind++;
}

void rd_where_text(where *w, const char *frag, const char *v)
{
    rd_where_int(w, frag, 0);
    w->b[w->nbind - 1].is_text = 1;
    w->b[w->nbind - 1].s = v;
}

/* Conditions on the reports table aliased r. */
void rd_where_reports(where *w, const query_filter *f)
{
    memset(w, 0, sizeof *w);
    if (!f)
        return;
    if (f->since)
        rd_where_int(w, "r.received_at >= ?", f->since);
    if (f->until)
        rd_where_int(w, "r.received_at < ?", f->until);
    if (f->zone)
        rd_where_text(w, "ifnull(r.zone, '-') = ?", f->zone);
    if (f->code)
        rd_where_text(w, "r.code = ?", f->code);
    if (f->priority)
        rd_where_int(w, "r.priority = ?", f->priority);
    if (f->status)
        rd_where_text(w, "r.status = ?", f->status);
    if (f->reporter)
        rd_where_text(w, "r.reporter = ?", f->reporter);
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
sqlite3_stmt *rd_prepare(sqlite3 *db, const char *head, const where *w, const char *tail,
                             int first)
{
    char sql[2048];
    sqlite3_stmt *st = NULL;
    int n = snprintf(sql, sizeof sql, "%s%s%s", head, w->sql, tail);
    if (n < 0 || (size_t)n >= sizeof sql)
        log_fatal("query", "statement too long");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("query", "rd_prepare: %s", sqlite3_errmsg(db));
        return NULL;
    }
    if (where_bind(st, w, first)) {
        log_error("query", "bind: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Ends a row loop: rc is the last sqlite3_step result. */
long rd_loop_end(sqlite3 *db, sqlite3_stmt *st, int rc, int stopped, long count,
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
    r->code = col_str(st, 1);
    r->priority = sqlite3_column_int(st, 2);
    r->location = col_str(st, 3);
    r->zone = col_str(st, 4);
    r->has_coords = sqlite3_column_type(st, 5) != SQLITE_NULL &&
                    sqlite3_column_type(st, 6) != SQLITE_NULL;
    r->lat = r->has_coords ? sqlite3_column_double(st, 5) : 0.0;
    r->lon = r->has_coords ? sqlite3_column_double(st, 6) : 0.0;
    r->details = col_str(st, 7);
    r->reporter = col_str(st, 8);
    r->channel = col_str(st, 9);
    r->received_at = sqlite3_column_int64(st, 10);
    r->status = col_str(st, 11);
    r->cleared_at = sqlite3_column_int64(st, 12);
}

long query_reports(store *s, const query_filter *f, query_report_fn fn, void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    rd_where_reports(&w, f);
    sqlite3_stmt *st = rd_prepare(db,
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
    return rd_loop_end(db, st, rc, stopped, count, "reports");
}

int query_report_get(store *s, int64_t ref, query_report_fn fn, void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    memset(&w, 0, sizeof w);
    rd_where_int(&w, "r.ref = ?", ref);
    sqlite3_stmt *st =
        rd_prepare(db, "SELECT " REPORT_COLS " FROM reports r WHERE 1 = 1", &w, "", 1);
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
    long n = rd_loop_end(db, st, rc, stopped, found, "report");
    return n < 0 ? -1 : (int)n;
}

long query_events(store *s, int64_t ref, int (*fn)(void *arg, const query_event *e), void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    memset(&w, 0, sizeof w);
    rd_where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = rd_prepare(db,
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
            .kind = col_str(st, 1),
            .partner = col_str(st, 2),
            .by = col_str(st, 3),
            .detail = col_str(st, 4),
        };
        count++;
        if (fn && fn(arg, &e) != 0) {
            stopped = 1;
            break;
        }
    }
    return rd_loop_end(db, st, rc, stopped, count, "events");
}

long query_alerts(store *s, int64_t ref, int (*fn)(void *arg, const query_alert *a), void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    memset(&w, 0, sizeof w);
    rd_where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = rd_prepare(db,
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
            .alert_id = col_str(st, 0),
            .partner = col_str(st, 1),
            .channel = col_str(st, 2),
            .state = col_str(st, 3),
            .attempts = sqlite3_column_int(st, 4),
            .created_at = sqlite3_column_int64(st, 5),
            .sent_at = sqlite3_column_int64(st, 6),
            .acked_at = sqlite3_column_int64(st, 7),
            .acked_by = col_str(st, 8),
            .last_error = col_str(st, 9),
            .kind = col_str(st, 10),
            .dead_at = sqlite3_column_int64(st, 11),
        };
        count++;
        if (fn && fn(arg, &a) != 0) {
            stopped = 1;
            break;
        }
    }
    return rd_loop_end(db, st, rc, stopped, count, "alerts");
}

long query_messages(store *s, int64_t ref, int (*fn)(void *arg, const query_message *m),
                    void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    memset(&w, 0, sizeof w);
    rd_where_int(&w, "ref = ?", ref);
    sqlite3_stmt *st = rd_prepare(db,
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
            .channel = col_str(st, 2),
            .sender = col_str(st, 3),
            .bridge = col_str(st, 4),
            .msg_id = col_str(st, 5),
            .outcome = col_str(st, 6),
            .reason = col_str(st, 7),
            .text = col_str(st, 8),
            .reply = col_str(st, 9),
            .dup_of = sqlite3_column_int64(st, 10),
        };
        count++;
        if (fn && fn(arg, &m) != 0) {
            stopped = 1;
            break;
        }
    }
    return rd_loop_end(db, st, rc, stopped, count, "messages");
}

/* ------------------------------------------------------------ SMS send queue */

long query_sms_each(store *s, const query_sms_filter *f, int (*fn)(void *arg, const query_sms *m),
                    void *arg)
{
    sqlite3 *db = rd_db(s);
    where w;
    memset(&w, 0, sizeof w);
    if (f && f->states)
        rd_where_int(&w,
                  "(? & CASE o.state WHEN 'pending' THEN 1 WHEN 'sent' THEN 2"
                  " WHEN 'failed' THEN 4 WHEN 'dropped' THEN 8 ELSE 0 END) <> 0",
                  f->states);
    if (f && f->since)
        rd_where_int(&w, "o.created_at >= ?", f->since);
    if (f && f->until)
        rd_where_int(&w, "o.created_at < ?", f->until);
    if (f && f->after_id)
        rd_where_int(&w, "o.id > ?", f->after_id);
    if (f && f->to)
        rd_where_text(&w, "o.to_number = ?", f->to);
    sqlite3_stmt *st = rd_prepare(
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
            .to = col_str(st, 1),
            .text = col_str(st, 2),
            .coding = col_str(st, 3),
            .kind = col_str(st, 4),
            .state = col_str(st, 5),
            .partner = col_str(st, 6),
            .ref = sqlite3_column_int64(st, 7),
            .message_id = sqlite3_column_int64(st, 8),
            .attempts = sqlite3_column_int(st, 9),
            .created_at = sqlite3_column_int64(st, 10),
            .next_attempt_at = sqlite3_column_int64(st, 11),
            .sent_at = sqlite3_column_int64(st, 12),
            .last_error = col_str(st, 13),
            .delivery = col_str(st, 14),
            .alert_kind = col_str(st, 15),
        };
        count++;
        if (fn && fn(arg, &m) != 0) {
            stopped = 1;
            break;
        }
    }
    return rd_loop_end(db, st, rc, stopped, count, "sms_out");
}
