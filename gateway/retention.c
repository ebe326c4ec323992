/* retention.c: patrolctl purge (retention.h). */
#include "retention.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "log.h"

static long total_of(const store_purge_counts *c)
{
    return c->report_details + c->message_texts + c->event_details + c->alert_payloads +
           c->sms_texts + c->message_phones + c->report_phones + c->sms_phones;
}

int retention_purge(store *s, const gw_config *cfg, int64_t now, const char *actor, int dry_run,
                    retention_result *out)
{
    memset(out, 0, sizeof *out);
    if (cfg->retention_details_days > 0)
        out->details_before = now - cfg->retention_details_days * RETENTION_DAY_MS;
    if (cfg->retention_phone_days > 0)
        out->phones_before = now - cfg->retention_phone_days * RETENTION_DAY_MS;
    /* A dry run counts in one read snapshot (no commit slips in between the
     * counts) and takes no write lock: the core and other writers go on. */
    if (dry_run ? store_begin_read(s) : store_begin(s))
        return -1;
    if (store_purge(s, out->details_before, out->phones_before, dry_run, &out->counts))
        goto fail;
    out->total = total_of(&out->counts);
    if (!dry_run) {
        char detail[AUDIT_DETAIL_MAX];
        const store_purge_counts *c = &out->counts;
        snprintf(detail, sizeof detail,
                 "details_days=%d phone_days=%d report_details=%ld message_texts=%ld "
                 "event_details=%ld alert_payloads=%ld sms_texts=%ld message_phones=%ld "
                 "report_phones=%ld sms_phones=%ld",
                 cfg->retention_details_days, cfg->retention_phone_days, c->report_details,
                 c->message_texts, c->event_details, c->alert_payloads, c->sms_texts,
                 c->message_phones, c->report_phones, c->sms_phones);
        out->audit_id = audit_append(s, now, actor, "purge", "store", detail);
        if (out->audit_id < 0)
            goto fail;
    }
    if (dry_run) {
        store_rollback(s);
        return 0;
    }
    if (store_commit(s))
        goto fail;
    log_info("retention", "purge by %s: %ld items erased", actor, out->total);
    return 0;
fail:
    store_rollback(s);
    return -1;
}
