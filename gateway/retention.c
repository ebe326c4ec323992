/* retention.c: patrolctl purge (retention.h). */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"
#include "store_admin.h"

static long total_of(const store_purge_counts *c)
{
    return c->report_details + c->message_texts + c->event_details + c->alert_payloads +
           c->sms_texts + c->message_phones + c->report_phones + c->sms_phones;
}

static void add_counts(store_purge_counts *to, const store_purge_counts *c)
{
    to->report_details += c->report_details;
    to->message_texts += c->message_texts;
    to->event_details += c->event_details;
    to->alert_payloads += c->alert_payloads;
    to->sms_texts += c->sms_texts;
    to->message_phones += c->message_phones;
    to->report_phones += c->report_phones;
    to->sms_phones += c->sms_phones;
}

static void pause_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int retention_purge(store *s, const gw_config *cfg, int64_t now, const char *actor, int dry_run,
                    retention_result *out)
{
    char detail[AUDIT_DETAIL_MAX];
    memset(out, 0, sizeof *out);
    if (cfg->retention_details_days > 0)
        out->details_before = now - cfg->retention_details_days * RETENTION_DAY_MS;
    if (cfg->retention_phone_days > 0)
        out->phones_before = now - cfg->retention_phone_days * RETENTION_DAY_MS;
    if (dry_run) {
        /* Counts in one read snapshot (no commit slips in between the counts)
         * with no write lock: the core and other writers go on. */
        if (store_begin_read(s))
            return -1;
        int rc = store_purge(s, out->details_before, out->phones_before, 1, &out->counts);
        store_rollback(s);
        out->total = total_of(&out->counts);
        return rc;
    }
    /* In batches of short transactions, with a pause between them, so that
     * the core (which waits for the write lock only briefly) commits its turns
     * and the watchdog is fed during a long purge. The first batch that erases
     * something is audited ("purge started", with the policy), the last one
     * (which finds nothing left) carries the "purge" row with the totals. */
    int started = 0;
    for (;;) {
        store_purge_counts part;
        if (store_begin(s))
            goto fail_out;
        if (store_purge_batch(s, out->details_before, out->phones_before, RETENTION_BATCH, &part))
            goto fail;
        long n = total_of(&part);
        if (n > 0 && !started) {
            snprintf(detail, sizeof detail, "details_days=%d phone_days=%d",
                     cfg->retention_details_days, cfg->retention_phone_days);
            if (audit_append(s, now, actor, "purge started", "store", detail) < 0)
                goto fail;
            started = 1;
        }
        if (n == 0) {
            const store_purge_counts *c = &out->counts;
            snprintf(detail, sizeof detail,
                     "details_days=%d phone_days=%d report_details=%ld message_texts=%ld "
                     "event_details=%ld alert_payloads=%ld sms_texts=%ld message_phones=%ld "
                     "report_phones=%ld sms_phones=%ld",
                     cfg->retention_details_days, cfg->retention_phone_days, c->report_details,
                     c->message_texts, c->event_details, c->alert_payloads, c->sms_texts,
                     c->message_phones, c->report_phones, c->sms_phones);
            out->audit_id = audit_append(s, now, actor, "purge", "store", detail);
            if (out->audit_id < 0 || store_commit(s))
                goto fail;
            break;
        }
        if (store_commit(s))
            goto fail;
        add_counts(&out->counts, &part);
        out->total = total_of(&out->counts);
        pause_ms(RETENTION_PAUSE_MS);
    }
    out->total = total_of(&out->counts);
    log_info("retention", "purge by %s: %ld items erased", actor, out->total);
    return 0;
fail:
    store_rollback(s);
fail_out:
    if (out->total > 0)
        log_error("retention", "purge by %s stopped after %ld items erased (committed); "
                  "run it again to finish", actor, out->total);
    return -1;
}
