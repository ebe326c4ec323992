/* store_admin.c: audit rows, retention purges, backups, health, tail and queue
 * depths (SQLite backend). Rare calls: statements are prepared per call. */
#include "store_admin.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

int store_audit_last(store *s, int64_t *id, char *hash, size_t hashsz)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        col_copy(st, 1, hash, hashsz);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "last audit row");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int store_audit_insert(store *s, const store_audit_row *r)
{
    sqlite3_stmt *st = once_prep(s, "INSERT INTO audit (id, at, actor, action, object, detail,"
                                   " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->at);
    bind_text(st, 3, r->actor);
    bind_text(st, 4, r->action);
    bind_text(st, 5, r->object);
    bind_text(st, 6, r->detail);
    bind_text(st, 7, r->prev_hash);
    bind_text(st, 8, r->hash);
    return once_run(s, st, "add audit row") < 0 ? -1 : 0;
}


int store_audit_each(store *s, int (*fn)(void *arg, const store_audit_row *r), void *arg)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id, at, actor, action, object, detail, prev_hash, hash"
                                   " FROM audit ORDER BY id");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_audit_row r = {
            .id = sqlite3_column_int64(st, 0),
            .at = sqlite3_column_int64(st, 1),
            .actor = col_str(st, 2),
            .action = col_str(st, 3),
            .object = col_str(st, 4),
            .detail = col_str(st, 5),
            .prev_hash = col_str(st, 6),
            .hash = col_str(st, 7),
        };
        if (fn(arg, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "audit rows");
        return -1;
    }
    return 0;
}

static int table_exists(store *s, const char *name)
{
    sqlite3_stmt *st = once_prep(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    if (!st)
        return -1;
    bind_text(st, 1, name);
    int64_t one;
    return once_int64(s, st, &one, "schema");
}

/* One purge step: the rows `where` selects in `table` (before ?1) are counted,
 * or changed by `set`. */
/* limit > 0: at most limit rows (a batch of store_purge_batch). */
static int purge_step(store *s, const char *table, const char *set, const char *where,
                      int64_t before, int dry_run, long limit, long *count)
{
    char sql[640];
    if (dry_run)
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    else if (limit > 0)
        snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE rowid IN (SELECT rowid FROM %s WHERE %s"
                 " LIMIT ?2)", table, set, table, where);
    else
        snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE %s", table, set, where);
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, before);
    if (!dry_run && limit > 0)
        sqlite3_bind_int64(st, 2, limit);
    if (dry_run) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *count += (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            db_error(s, "purge count");
            return -1;
        }
        return 0;
    }
    int n = once_run(s, st, "purge");
    if (n < 0)
        return -1;
    *count += n;
    return 0;
}

static int purge_all(store *s, int64_t details_before, int64_t phones_before, int dry_run,
                     long limit, store_purge_counts *out)
{
    memset(out, 0, sizeof *out);
    int sms = table_exists(s, "sms_out");
    if (sms < 0)
        return -1;
    /* Only rows not yet erased are touched, so that the counts say what this
     * purge did (a second purge erases nothing). */
    if (details_before > 0) {
        if (purge_step(s, "reports", "details = ''", "received_at < ?1 AND details <> ''",
                       details_before, dry_run, limit, &out->report_details) ||
            purge_step(s, "messages", "text = NULL, text_hash = NULL, payload = zeroblob(0)",
                       "received_at < ?1 AND (text IS NOT NULL OR length(payload) > 0)",
                       details_before, dry_run, limit, &out->message_texts) ||
            purge_step(s, "report_events", "detail = NULL",
                       "at < ?1 AND detail IS NOT NULL AND kind IN ('update','cleared')",
                       details_before, dry_run, limit, &out->event_details) ||
            purge_step(s, "alerts", "payload = '{}'",
                       "created_at < ?1 AND state <> 'pending' AND payload <> '{}'",
                       details_before, dry_run, limit, &out->alert_payloads))
            return -1;
        if (sms && (purge_step(s, "sms_parts", "text = ''",
                               "received_at < ?1 AND text <> '' AND state = 'done'",
                               details_before, dry_run, limit, &out->sms_texts) ||
                    purge_step(s, "sms_out", "text = ''",
                               "created_at < ?1 AND text <> '' AND state <> 'pending'",
                               details_before, dry_run, limit, &out->sms_texts)))
            return -1;
    }
    if (phones_before > 0) {
        if (purge_step(s, "messages", "sender = NULL",
                       "received_at < ?1 AND sender LIKE '+%'", phones_before, dry_run,
                       limit, &out->message_phones) ||
            purge_step(s, "reports", "reporter = 'erased'",
                       "received_at < ?1 AND reporter LIKE '+%'", phones_before, dry_run,
                       limit, &out->report_phones))
            return -1;
        if (sms && (purge_step(s, "sms_parts", "sender = 'erased'",
                               "received_at < ?1 AND sender LIKE '+%' AND state = 'done'",
                               phones_before, dry_run, limit, &out->sms_phones) ||
                    purge_step(s, "sms_out", "to_number = 'erased'",
                               "created_at < ?1 AND to_number LIKE '+%' AND state <> 'pending'",
                               phones_before, dry_run, limit, &out->sms_phones)))
            return -1;
    }
    return 0;
}

int store_purge(store *s, int64_t details_before, int64_t phones_before, int dry_run,
                store_purge_counts *out)
{
    return purge_all(s, details_before, phones_before, dry_run, 0, out);
}

int store_purge_batch(store *s, int64_t details_before, int64_t phones_before, long batch,
                      store_purge_counts *out)
{
    return purge_all(s, details_before, phones_before, 0, batch > 0 ? batch : 1, out);
}

/* How long store_backup waits for a busy store before it gives up. */
#define BACKUP_BUSY_MS 30000

int store_backup(store *s, const char *path, char *err, size_t errsz)
{
    char tmp[GW_PATH_MAX + 8];
    sqlite3 *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    (void)unlink(tmp);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        goto fail;
    b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b)
        goto fail;
    /* One step for the whole store: one read transaction, so the copy is
     * the store as of one commit; the writer is not blocked (WAL). A store
     * (or copy) that stays busy is given up after BACKUP_BUSY_MS, not waited
     * for for ever. */
    int64_t deadline = clock_mono_ms() + BACKUP_BUSY_MS;
    do {
        rc = sqlite3_backup_step(b, -1);
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && clock_mono_ms() >= deadline)
            break;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int step_rc = rc;
    rc = sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE;
    b = NULL;
    if (rc && (step_rc == SQLITE_BUSY || step_rc == SQLITE_LOCKED)) {
        snprintf(err, errsz, "backup to %s failed: the store stayed busy for %d s", path,
                 BACKUP_BUSY_MS / 1000);
        (void)sqlite3_close(dst);
        (void)unlink(tmp);
        return -1;
    }
    if (rc)
        goto fail;
    /* A standalone file: no -wal next to it. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_close(dst) != SQLITE_OK)
        goto fail;
    dst = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(err, errsz, "cannot rename %s to %s", tmp, path);
        (void)unlink(tmp);
        return -1;
    }
    return 0;
fail:
    snprintf(err, errsz, "backup to %s failed: %s", path,
             dst ? sqlite3_errmsg(dst) : "cannot open");
    if (b)
        (void)sqlite3_backup_finish(b);
    (void)sqlite3_close(dst);
    (void)unlink(tmp);
    return -1;
}

int store_alert_health_each(store *s, void (*fn)(void *arg, const store_alert_health *h),
                            void *arg)
{
    sqlite3_stmt *st = once_prep(s,
        "SELECT partner, channel,"
        " sum(state = 'pending'), sum(state = 'pending' AND attempts > 0), sum(state = 'failed'),"
        " sum(state = 'sent'), sum(state = 'acked'), ifnull(max(sent_at), 0),"
        " ifnull(min(CASE WHEN state = 'pending' THEN created_at END), 0)"
        " FROM alerts WHERE kind <> 'notice' GROUP BY partner, channel ORDER BY partner, channel");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_alert_health h = {
            .partner = col_str(st, 0),
            .channel = col_str(st, 1),
            .pending = (long)sqlite3_column_int64(st, 2),
            .retrying = (long)sqlite3_column_int64(st, 3),
            .dead = (long)sqlite3_column_int64(st, 4),
            .sent = (long)sqlite3_column_int64(st, 5),
            .acked = (long)sqlite3_column_int64(st, 6),
            .last_success = sqlite3_column_int64(st, 7),
            .oldest_pending = sqlite3_column_int64(st, 8),
        };
        fn(arg, &h);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "alert health");
        return -1;
    }
    return 0;
}

static int64_t adm_scalar(store *s, const char *sql)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        db_error(s, "count");
    return v;
}

int store_tail_start(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event)
{
    *last_ref = adm_scalar(s, "SELECT ifnull(max(ref), 0) FROM reports");
    *last_alert = adm_scalar(s, "SELECT ifnull(max(id), 0) FROM alerts");
    *last_event = adm_scalar(s, "SELECT ifnull(max(id), 0) FROM report_events");
    return *last_ref < 0 || *last_alert < 0 || *last_event < 0 ? -1 : 0;
}

int store_tail(store *s, int64_t *last_ref, int64_t *last_alert, int64_t *last_event, int limit,
               void (*fn)(void *arg, const store_tail_item *it), void *arg)
{
    static const char *const sql[3] = {
        "SELECT ref, ref, received_at, code, priority, location, ifnull(zone, ''), reporter,"
        " channel, status FROM reports WHERE ref > ? ORDER BY ref LIMIT ?",
        "SELECT id, ref, created_at, partner, state, channel FROM alerts WHERE id > ?"
        " AND kind = 'alert' ORDER BY id LIMIT ?",
        "SELECT id, ref, at, ifnull(partner, ''), ifnull(by, '') FROM report_events"
        " WHERE id > ? AND kind = 'ack' ORDER BY id LIMIT ?",
    };
    int64_t *last[3] = { last_ref, last_alert, last_event };
    int total = 0;
    /* Reports first, then their alerts, then acknowledgements: the order
     * they were committed in within one poll. */
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *st = once_prep(s, sql[k]);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, *last[k]);
        sqlite3_bind_int(st, 2, limit);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            store_tail_item it;
            memset(&it, 0, sizeof it);
            it.id = sqlite3_column_int64(st, 0);
            it.ref = sqlite3_column_int64(st, 1);
            it.at = sqlite3_column_int64(st, 2);
            it.location = it.zone = it.reporter = it.channel = it.status = "";
            it.partner = it.state = it.by = it.code = "";
            if (k == 0) {
                it.kind = "report";
                it.code = col_str(st, 3);
                it.priority = sqlite3_column_int(st, 4);
                it.location = col_str(st, 5);
                it.zone = col_str(st, 6);
                it.reporter = col_str(st, 7);
                it.channel = col_str(st, 8);
                it.status = col_str(st, 9);
            } else if (k == 1) {
                it.kind = "alert";
                it.partner = col_str(st, 3);
                it.state = col_str(st, 4);
                it.channel = col_str(st, 5);
            } else {
                it.kind = "ack";
                it.partner = col_str(st, 3);
                it.by = col_str(st, 4);
            }
            fn(arg, &it);
            *last[k] = it.id;
            total++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            db_error(s, "tail");
            return -1;
        }
    }
    return total;
}


int store_queue_depths(store *s, store_queues *out)
{
    out->alerts_pending = (long)adm_scalar(s, "SELECT count(*) FROM alerts WHERE state = 'pending'");
    out->alerts_retrying = (long)adm_scalar(
        s, "SELECT count(*) FROM alerts WHERE state = 'pending' AND attempts > 0");
    out->alerts_failed = (long)adm_scalar(s, "SELECT count(*) FROM alerts WHERE state = 'failed'");
    out->reports_open = (long)adm_scalar(s, "SELECT count(*) FROM reports WHERE status = 'open'");
    out->sms_out_pending = out->sms_parts_waiting = -1;
    int sms = table_exists(s, "sms_out");
    if (sms < 0)
        return -1;
    if (sms) {
        out->sms_out_pending =
            (long)adm_scalar(s, "SELECT count(*) FROM sms_out WHERE state = 'pending'");
        out->sms_parts_waiting =
            (long)adm_scalar(s, "SELECT count(*) FROM sms_parts WHERE state = 'waiting'");
    }
    return out->alerts_pending < 0 || out->alerts_failed < 0 || out->reports_open < 0 ? -1 : 0;
}
