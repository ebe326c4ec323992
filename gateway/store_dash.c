/* store_dash.c: the dashboard's and /metrics' read queries (store_dash.h;
 * SQLite backend). */
#include "store_dash.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Binds text or NULL (for "any"). */
static int bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (!v || !v[0])
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Steps st through fn_row (which returns non-zero to stop); finalizes. */
static long run(store *s, sqlite3_stmt *st, int (*fn_row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    long n = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (fn_row(st, ctx)) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE) {
        log_error("store", "dashboard query: %s", sqlite3_errmsg(s->db));
        n = -1;
    }
    sqlite3_finalize(st);
    return n;
}

/* ------------------------------------------------------------ alerts */

typedef struct alerts_ctx {
    int (*fn)(void *arg, const dashq_alert *a);
    void *arg;
} alerts_ctx;

static int alerts_row(sqlite3_stmt *st, void *p)
{
    alerts_ctx *c = p;
    dashq_alert a;
    a.ref = sqlite3_column_int64(st, 0);
    a.code = col_str(st, 1);
    a.priority = sqlite3_column_int(st, 2);
    a.location = col_str(st, 3);
    a.zone = col_str(st, 4);
    a.details = col_str(st, 5);
    a.received_at = sqlite3_column_int64(st, 6);
    a.report_status = col_str(st, 7);
    a.partner = col_str(st, 8);
    a.state = col_str(st, 9);
    a.created_at = sqlite3_column_int64(st, 10);
    a.sent_at = sqlite3_column_int64(st, 11);
    a.acked_at = sqlite3_column_int64(st, 12);
    a.acked_by = col_str(st, 13);
    return c->fn(c->arg, &a);
}

long dashq_alerts(store *s, const char *partner, int64_t since, int64_t open_since, int limit,
                  int (*fn)(void *arg, const dashq_alert *a), void *arg)
{
    /* One chase per (report, partner alerted) holds the acknowledgement; the
     * outbox rows of the first alert (and its fallbacks) its delivery.
     * Driven by reports.received_at (indexed), then chases by primary key. */
    sqlite3_stmt *st = once_prep(
        s, "SELECT r.ref, r.code, r.priority, r.location, coalesce(r.zone, ''), r.details,"
           " r.received_at, r.status, c.partner,"
           " CASE WHEN c.acked_at IS NOT NULL THEN 'acked'"
           "  WHEN max(a.state IN ('sent','acked','digested')) THEN 'sent'"
           "  WHEN max(a.state IN ('pending','held')) THEN 'pending' ELSE 'failed' END AS st,"
           " c.created_at, coalesce(min(a.sent_at), 0), coalesce(c.acked_at, 0),"
           " coalesce(c.acked_by, '')"
           " FROM reports r JOIN chases c ON c.ref = r.ref"
           " LEFT JOIN alerts a ON a.ref = c.ref AND a.partner = c.partner"
           "  AND a.kind IN ('alert','fallback')"
           " WHERE r.received_at >= ?2 AND (?1 IS NULL OR c.partner = ?1)"
           " AND (r.received_at >= ?3 OR (c.acked_at IS NULL AND r.status = 'open'))"
           " GROUP BY r.ref, c.partner"
           " ORDER BY (r.priority = 1 AND c.acked_at IS NULL) DESC, r.received_at DESC, r.ref DESC,"
           " c.partner LIMIT ?4");
    if (!st)
        return -1;
    if (bind_opt(st, 1, partner) != SQLITE_OK || sqlite3_bind_int64(st, 2, open_since) ||
        sqlite3_bind_int64(st, 3, since) || sqlite3_bind_int(st, 4, limit)) {
        sqlite3_finalize(st);
        return -1;
    }
    alerts_ctx c = { fn, arg };
    return run(s, st, alerts_row, &c);
}

int dashq_alerted_to(store *s, int64_t ref, const char *partner)
{
    sqlite3_stmt *st = once_prep(s, "SELECT EXISTS (SELECT 1 FROM chases WHERE ref = ? AND partner = ?)");
    if (!st)
        return -1;
    int rc = -1;
    if (sqlite3_bind_int64(st, 1, ref) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, partner, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rc = sqlite3_column_int(st, 0) ? 1 : 0;
    else
        log_error("store", "dashboard query: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

typedef struct chases_ctx {
    int (*fn)(void *arg, const char *partner, int64_t acked_at, const char *by, const char *via);
    void *arg;
} chases_ctx;

static int chases_row(sqlite3_stmt *st, void *p)
{
    chases_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), sqlite3_column_int64(st, 1), col_str(st, 2), col_str(st, 3));
}

long dashq_chases(store *s, int64_t ref,
                  int (*fn)(void *arg, const char *partner, int64_t acked_at, const char *by,
                            const char *via),
                  void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT partner, coalesce(acked_at, 0), coalesce(acked_by, ''),"
                               " coalesce(acked_via, '') FROM chases WHERE ref = ? ORDER BY partner");
    if (!st)
        return -1;
    if (sqlite3_bind_int64(st, 1, ref)) {
        sqlite3_finalize(st);
        return -1;
    }
    chases_ctx c = { fn, arg };
    return run(s, st, chases_row, &c);
}

/* ------------------------------------------------------------ search */

typedef struct reports_ctx {
    query_report_fn fn;
    void *arg;
} reports_ctx;

static int reports_row(sqlite3_stmt *st, void *p)
{
    reports_ctx *c = p;
    query_report r;
    r.ref = sqlite3_column_int64(st, 0);
    r.code = col_str(st, 1);
    r.priority = sqlite3_column_int(st, 2);
    r.location = col_str(st, 3);
    r.zone = col_str(st, 4);
    r.has_coords = sqlite3_column_type(st, 5) != SQLITE_NULL;
    r.lat = sqlite3_column_double(st, 5);
    r.lon = sqlite3_column_double(st, 6);
    r.details = col_str(st, 7);
    r.reporter = col_str(st, 8);
    r.channel = col_str(st, 9);
    r.received_at = sqlite3_column_int64(st, 10);
    r.status = col_str(st, 11);
    r.cleared_at = sqlite3_column_int64(st, 12);
    return c->fn(c->arg, &r);
}

long dashq_reports(store *s, const dashq_search *q, query_report_fn fn, void *arg)
{
    sqlite3_stmt *st = once_prep(
        s, "SELECT ref, code, priority, location, coalesce(zone, ''), lat, lon, details, reporter,"
           " channel, received_at, status, coalesce(cleared_at, 0) FROM reports r"
           " WHERE (?1 = 0 OR received_at >= ?1) AND (?2 = 0 OR received_at < ?2)"
           " AND (?3 IS NULL OR coalesce(zone, '-') = ?3) AND (?4 IS NULL OR code = ?4)"
           " AND (?5 = 0 OR priority = ?5)"
           " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM chases c WHERE c.ref = r.ref AND c.partner = ?6))"
           " ORDER BY received_at DESC, ref DESC LIMIT ?7");
    if (!st)
        return -1;
    if (sqlite3_bind_int64(st, 1, q->since) || sqlite3_bind_int64(st, 2, q->until) ||
        bind_opt(st, 3, q->zone) || bind_opt(st, 4, q->code) ||
        sqlite3_bind_int(st, 5, q->priority) || bind_opt(st, 6, q->partner) ||
        sqlite3_bind_int(st, 7, q->limit)) {
        sqlite3_finalize(st);
        return -1;
    }
    reports_ctx c = { fn, arg };
    return run(s, st, reports_row, &c);
}

/* ------------------------------------------------------------ shifts, zones, codes */

typedef struct shifts_ctx {
    int (*fn)(void *arg, const char *reporter, const char *name, const char *zone, int64_t on_at);
    void *arg;
} shifts_ctx;

static int shifts_row(sqlite3_stmt *st, void *p)
{
    shifts_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), col_str(st, 1), col_str(st, 2), sqlite3_column_int64(st, 3));
}

long dashq_shifts(store *s, int (*fn)(void *arg, const char *reporter, const char *name,
                                      const char *zone, int64_t on_at), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT s.reporter, coalesce(p.name, ''), coalesce(s.zone, ''), s.on_at"
                               " FROM shifts s LEFT JOIN people p ON p.id = s.person_id"
                               " WHERE s.off_at IS NULL ORDER BY s.on_at, s.id");
    if (!st)
        return -1;
    shifts_ctx c = { fn, arg };
    return run(s, st, shifts_row, &c);
}

typedef struct zones_ctx {
    int (*fn)(void *arg, const char *zone, long n);
    void *arg;
} zones_ctx;

static int zones_row(sqlite3_stmt *st, void *p)
{
    zones_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), (long)sqlite3_column_int64(st, 1));
}

long dashq_zone_counts(store *s, int64_t since, int64_t until, const char *code,
                       int (*fn)(void *arg, const char *zone, long n), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT coalesce(nullif(zone, ''), '-'), count(*) FROM reports"
                               " WHERE received_at >= ?1 AND (?2 = 0 OR received_at < ?2)"
                               " AND (?3 IS NULL OR code = ?3) GROUP BY 1 ORDER BY 1");
    if (!st)
        return -1;
    if (sqlite3_bind_int64(st, 1, since) || sqlite3_bind_int64(st, 2, until) ||
        bind_opt(st, 3, code)) {
        sqlite3_finalize(st);
        return -1;
    }
    zones_ctx c = { fn, arg };
    return run(s, st, zones_row, &c);
}

typedef struct codes_ctx {
    int (*fn)(void *arg, const char *code);
    void *arg;
} codes_ctx;

static int codes_row(sqlite3_stmt *st, void *p)
{
    codes_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0));
}

long dashq_codes(store *s, int (*fn)(void *arg, const char *code), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT DISTINCT code FROM reports ORDER BY code LIMIT 200");
    if (!st)
        return -1;
    codes_ctx c = { fn, arg };
    return run(s, st, codes_row, &c);
}

int dashq_signature(store *s, const char *partner, int64_t since, dashq_sig *out)
{
    /* max(id) is a rowid lookup; the pending count walks the partial index alerts_due.
     * For one partner: the events of its recent chases (chases_partner), its newest
     * alert from the top of the rowid order, its pending alerts in alerts_due. */
    sqlite3_stmt *st =
        partner ? once_prep(s, "SELECT (SELECT coalesce(max(e.id), 0) FROM chases c"
                          "         JOIN report_events e ON e.ref = c.ref"
                          "         WHERE c.partner = ?1 AND c.created_at >= ?2"
                          "           AND ifnull(e.partner, '') IN ('', ?1)),"
                          " coalesce((SELECT id FROM alerts WHERE partner = ?1"
                          "           ORDER BY id DESC LIMIT 1), 0),"
                          " (SELECT count(*) FROM alerts WHERE state = 'pending' AND partner = ?1)")
                : once_prep(s, "SELECT (SELECT coalesce(max(id), 0) FROM report_events),"
                          " (SELECT coalesce(max(id), 0) FROM alerts),"
                          " (SELECT count(*) FROM alerts WHERE state = 'pending')");
    if (!st)
        return -1;
    if (partner && (sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC) != SQLITE_OK ||
                    sqlite3_bind_int64(st, 2, since) != SQLITE_OK)) {
        sqlite3_finalize(st);
        return -1;
    }
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->last_event = sqlite3_column_int64(st, 0);
        out->last_alert = sqlite3_column_int64(st, 1);
        out->pending = sqlite3_column_int64(st, 2);
        rc = 0;
    } else {
        log_error("store", "dashboard query: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* ------------------------------------------------------------ /metrics */

typedef struct pair_ctx {
    int (*fn)(void *arg, const char *a, const char *b, long n);
    void *arg;
} pair_ctx;

static int pair_row(sqlite3_stmt *st, void *p)
{
    pair_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), col_str(st, 1), (long)sqlite3_column_int64(st, 2));
}

long dashq_message_counts(store *s, int (*fn)(void *arg, const char *channel,
                                              const char *outcome, long n), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT channel, outcome, count(*) FROM messages GROUP BY 1, 2 ORDER BY 1, 2");
    if (!st)
        return -1;
    pair_ctx c = { fn, arg };
    return run(s, st, pair_row, &c);
}

typedef struct code_prio_ctx {
    int (*fn)(void *arg, const char *code, int priority, long n);
    void *arg;
} code_prio_ctx;

static int code_prio_row(sqlite3_stmt *st, void *p)
{
    code_prio_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), sqlite3_column_int(st, 1), (long)sqlite3_column_int64(st, 2));
}

long dashq_report_counts(store *s, int (*fn)(void *arg, const char *code, int priority, long n),
                         void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT code, priority, count(*) FROM reports GROUP BY 1, 2 ORDER BY 1, 2");
    if (!st)
        return -1;
    code_prio_ctx c = { fn, arg };
    return run(s, st, code_prio_row, &c);
}

typedef struct triple_ctx {
    int (*fn)(void *arg, const char *partner, const char *channel, const char *state, long n);
    void *arg;
} triple_ctx;

static int triple_row(sqlite3_stmt *st, void *p)
{
    triple_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), col_str(st, 1), col_str(st, 2), (long)sqlite3_column_int64(st, 3));
}

long dashq_alert_counts(store *s, int (*fn)(void *arg, const char *partner, const char *channel,
                                            const char *state, long n), void *arg)
{
    /* The alerts themselves (and their fallbacks), not resends, notices or digests. */
    sqlite3_stmt *st = once_prep(s, "SELECT partner, channel, state, count(*) FROM alerts"
                               " WHERE kind IN ('alert','fallback') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    if (!st)
        return -1;
    triple_ctx c = { fn, arg };
    return run(s, st, triple_row, &c);
}

typedef struct lat_ctx {
    int (*fn)(void *arg, const char *partner, const char *channel, int64_t ms);
    void *arg;
} lat_ctx;

static int lat_row(sqlite3_stmt *st, void *p)
{
    lat_ctx *c = p;
    return c->fn(c->arg, col_str(st, 0), col_str(st, 1), sqlite3_column_int64(st, 2));
}

long dashq_alert_latencies(store *s, int (*fn)(void *arg, const char *partner,
                                               const char *channel, int64_t ms), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT partner, channel, sent_at - created_at FROM alerts"
                               " WHERE sent_at IS NOT NULL AND kind IN ('alert','fallback')");
    if (!st)
        return -1;
    lat_ctx c = { fn, arg };
    return run(s, st, lat_row, &c);
}

int dashq_store_bytes(store *s, int64_t *bytes)
{
    sqlite3_stmt *st = once_prep(s, "SELECT p.page_count * s.page_size FROM pragma_page_count() p,"
                               " pragma_page_size() s");
    if (!st)
        return -1;
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *bytes = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}
