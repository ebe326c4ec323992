/* store_reports.c: reports, events, shifts and status rows (SQLite backend). */
#include "store_reports.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>

#include "log.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_REPORT_ADD] = (
        "INSERT INTO reports (code, priority, location, zone, lat, lon, details, reporter,"
        " person_id, channel, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_REPORT_GET] = (
        "SELECT ref, reporter, status, code, priority, location, ifnull(zone, ''), details,"
        " lat IS NOT NULL AND lon IS NOT NULL, ifnull(lat, 0), ifnull(lon, 0), channel, received_at"
        " FROM reports WHERE ref = ?"),
    [ST_REPORT_CLEAR] =
        "UPDATE reports SET status = 'cleared', cleared_at = ? WHERE ref = ? AND status <> 'cleared'",
    [ST_EVENT_ADD] =
        "INSERT INTO report_events (ref, at, kind, partner, by, detail) VALUES (?,?,?,?,?,?)",
    [ST_SHIFT_CLOSE] = "UPDATE shifts SET off_at = ? WHERE reporter = ? AND off_at IS NULL",
    [ST_SHIFT_OPEN] = "INSERT INTO shifts (reporter, person_id, zone, on_at) VALUES (?,?,?,?)",
    [ST_SHIFT_FIND] =
        "SELECT id, on_at FROM shifts WHERE reporter = ? AND off_at IS NULL ORDER BY id DESC LIMIT 1",
    [ST_STATUS_SET] = (
        "INSERT INTO gateway_status (key, value, updated_at) VALUES (?,?,?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"),
};

int64_t store_report_add(store *s, const store_report *r)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_ADD);
    if (!st)
        return -1;
    bind_text(st, 1, r->code);
    sqlite3_bind_int(st, 2, r->priority);
    bind_text(st, 3, r->location);
    bind_text(st, 4, r->zone && r->zone[0] ? r->zone : NULL);
    if (r->has_coords) {
        sqlite3_bind_double(st, 5, r->lat);
        sqlite3_bind_double(st, 6, r->lon);
    }
    sqlite3_bind_text(st, 7, r->details ? r->details : "", (int)r->details_len, SQLITE_STATIC);
    bind_text(st, 8, r->reporter);
    bind_id(st, 9, r->person_id);
    bind_text(st, 10, r->channel);
    sqlite3_bind_int64(st, 11, r->received_at);
    if (step_done(s, st, "add report"))
        return -1;
    return sqlite3_last_insert_rowid(s->db);
}

int store_report_get(store *s, int64_t ref, store_report_info *out)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->ref = sqlite3_column_int64(st, 0);
        col_copy(st, 1, out->reporter, sizeof out->reporter);
        col_copy(st, 2, out->status, sizeof out->status);
        col_copy(st, 3, out->code, sizeof out->code);
        out->priority = sqlite3_column_int(st, 4);
        col_copy(st, 5, out->location, sizeof out->location);
        col_copy(st, 6, out->zone, sizeof out->zone);
        col_copy(st, 7, out->details, sizeof out->details);
        out->has_coords = sqlite3_column_int(st, 8);
        out->lat = sqlite3_column_double(st, 9);
        out->lon = sqlite3_column_double(st, 10);
        col_copy(st, 11, out->channel, sizeof out->channel);
        out->received_at = sqlite3_column_int64(st, 12);
    }
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "get report");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int store_report_clear(store *s, int64_t ref, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_REPORT_CLEAR);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, ref);
    return step_done(s, st, "clear report");
}

int store_event_add(store *s, int64_t ref, int64_t at, const char *kind, const char *partner,
                    const char *by, const char *detail, size_t detail_len)
{
    sqlite3_stmt *st = stmt(s, ST_EVENT_ADD);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ref);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, kind);
    bind_text(st, 4, partner);
    bind_text(st, 5, by);
    if (detail)
        sqlite3_bind_text(st, 6, detail, (int)detail_len, SQLITE_STATIC);
    return step_done(s, st, "add event");
}

/* Closes the open shifts of reporter at `at`. */
static int close_shift(store *s, const char *reporter, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_SHIFT_CLOSE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    bind_text(st, 2, reporter);
    return step_done(s, st, "close shift");
}

int store_shift_on(store *s, const char *reporter, int64_t person_id, const char *zone, int64_t at)
{
    if (close_shift(s, reporter, at))
        return -1;
    sqlite3_stmt *st = stmt(s, ST_SHIFT_OPEN);
    if (!st)
        return -1;
    bind_text(st, 1, reporter);
    bind_id(st, 2, person_id);
    bind_text(st, 3, zone && zone[0] ? zone : NULL);
    sqlite3_bind_int64(st, 4, at);
    return step_done(s, st, "open shift");
}

int store_shift_off(store *s, const char *reporter, int64_t at, int64_t *on_at)
{
    sqlite3_stmt *st = stmt(s, ST_SHIFT_FIND);
    if (!st)
        return -1;
    bind_text(st, 1, reporter);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *on_at = sqlite3_column_int64(st, 1);
    finish(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        db_error(s, "find shift");
        return -1;
    }
    return close_shift(s, reporter, at) ? -1 : 1;
}

int store_status_set(store *s, const char *key, const char *value, int64_t at)
{
    sqlite3_stmt *st = stmt(s, ST_STATUS_SET);
    if (!st)
        return -1;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    sqlite3_bind_int64(st, 3, at);
    return step_done(s, st, "status");
}


int store_status_each(store *s, void (*fn)(void *arg, const char *key, const char *value,
                                           int64_t updated_at), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT key, ifnull(value, ''), updated_at FROM gateway_status"
                                   " ORDER BY key");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(arg, col_str(st, 0), col_str(st, 1), sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "status");
        return -1;
    }
    return 0;
}
