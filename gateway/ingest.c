/* ingest.c: one inbound message -> outcome, effect, reply, journal row. */
#include "ingest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "prc_parse.h"
#include "prc_reply.h"
#include "route.h"
#include "sms_text.h"

typedef struct job {
    const ingest_ctx *ctx;
    const ingest_in *in;
    ingest_out *out;
    store_person person;       /* valid when has_person */
    int has_person;
    char reporter[GW_CALLSIGN_MAX + GW_NETWORK_MAX + GW_UNIT_MAX + 2];
    const char *reason;
    int64_t dup_of;
} job;

/* Builds the alert JSON partners receive; caller frees. */
static char *alert_json(const job *j, const prc_msg *m, int64_t ref, const char *alert_id)
{
    char refs[24], when[40];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    snprintf(refs, sizeof refs, "R%lld", (long long)ref);
    clock_rfc3339(j->in->received_at, when, sizeof when);
    char *details = strndup(j->in->text + m->details_off, m->details_len);
    int ok = details != NULL && cJSON_AddStringToObject(o, "alert_id", alert_id) &&
             cJSON_AddStringToObject(o, "ref", refs) &&
             cJSON_AddStringToObject(o, "code", m->code->code) &&
             cJSON_AddStringToObject(o, "code_name", m->code->name) &&
             cJSON_AddNumberToObject(o, "priority", m->priority) &&
             cJSON_AddStringToObject(o, "location", m->location) &&
             (m->zone[0] ? cJSON_AddStringToObject(o, "zone", m->zone) != NULL
                         : cJSON_AddNullToObject(o, "zone") != NULL) &&
             (m->has_coords ? cJSON_AddNumberToObject(o, "lat", m->lat) != NULL &&
                                  cJSON_AddNumberToObject(o, "lon", m->lon) != NULL
                            : cJSON_AddNullToObject(o, "lat") != NULL &&
                                  cJSON_AddNullToObject(o, "lon") != NULL) &&
             cJSON_AddStringToObject(o, "details", details) &&
             cJSON_AddStringToObject(o, "reporter", j->reporter) &&
             cJSON_AddStringToObject(o, "channel", j->in->channel) &&
             cJSON_AddStringToObject(o, "received_at", when);
    free(details);
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* Duty phones: one alert row (channel sms) and one SMS per number, each one
 * SMS long: "P1 RTC HB03 R1042 car v cyclist amb called. Reply ACK 1042". */
static int sms_alert(job *j, const prc_msg *m, int64_t ref, const cfg_partner *p)
{
    const ingest_ctx *ctx = j->ctx;
    char alert_id[64], text[SMS_TEXT_BUF];
    enum sms_coding coding;
    snprintf(alert_id, sizeof alert_id, "R%lld-%s", (long long)ref, p->name);
    sms_text_alert(text, sizeof text, m->priority, m->code->code,
                   m->zone[0] ? m->zone : m->location, (long long)ref,
                   j->in->text + m->details_off, m->details_len, &coding);
    if (store_alert_add(ctx->st, alert_id, ref, p->name, "sms", j->in->received_at, text))
        return -1;
    int64_t row = store_alert_row(ctx->st, alert_id, "sms");
    if (row <= 0)
        return -1;
    for (int k = 0; k < p->nsms; k++) {
        store_sms_out o;
        memset(&o, 0, sizeof o);
        snprintf(o.to, sizeof o.to, "%s", p->sms[k]);
        o.text = text;
        snprintf(o.coding, sizeof o.coding, "%s", coding == SMS_UCS2 ? "ucs2" : "gsm7");
        snprintf(o.kind, sizeof o.kind, "alert");
        o.ref = ref;
        o.alert_row = row;
        o.created_at = j->in->received_at;
        if (store_sms_out_add(ctx->st, &o) < 0)
            return -1;
    }
    if (store_event_add(ctx->st, ref, j->in->received_at, "alerted", p->name, NULL, "sms", 3))
        return -1;
    j->out->alerts++;
    return 0;
}

static int do_report(job *j, const prc_msg *m)
{
    const ingest_ctx *ctx = j->ctx;
    store_report r = {
        .code = m->code->code,
        .priority = m->priority,
        .location = m->location,
        .zone = m->zone,
        .has_coords = m->has_coords,
        .lat = m->lat,
        .lon = m->lon,
        .details = j->in->text + m->details_off,
        .details_len = m->details_len,
        .reporter = j->reporter,
        .person_id = j->has_person ? j->person.id : 0,
        .channel = j->in->channel,
        .received_at = j->in->received_at,
    };
    int64_t ref = store_report_add(ctx->st, &r);
    if (ref < 0)
        return -1;
    if (store_event_add(ctx->st, ref, j->in->received_at, "received", NULL, j->reporter, NULL, 0))
        return -1;
    for (int i = 0; i < ctx->cfg->npartners; i++) {
        const cfg_partner *p = &ctx->cfg->partners[i];
        if (p->nsms > 0 && ctx->cfg->sms.enabled && route_match(p, m->code, m->priority, m->zone)) {
            if (sms_alert(j, m, ref, p))
                return -1;
        }
        if (!p->mqtt || !route_match(p, m->code, m->priority, m->zone))
            continue;
        char alert_id[64];
        snprintf(alert_id, sizeof alert_id, "R%lld-%s", (long long)ref, p->name);
        char *payload = alert_json(j, m, ref, alert_id);
        if (!payload) {
            log_error("ingest", "out of memory building an alert");
            return -1;
        }
        int rc = store_alert_add(ctx->st, alert_id, ref, p->name, "mqtt", j->in->received_at,
                                 payload);
        free(payload);
        if (rc || store_event_add(ctx->st, ref, j->in->received_at, "alerted", p->name, NULL,
                                  "mqtt", 4))
            return -1;
        j->out->alerts++;
    }
    j->out->ref = ref;
    j->out->outcome = "accepted";
    prc_reply_report(j->out->reply, (unsigned long long)ref, m);
    return 0;
}

static int is_partner(const job *j)
{
    return j->has_person && j->person.active && strcmp(j->person.role, "partner") == 0;
}

/* UPD, CLR, ACK: the reference must exist and the sender may act on it. */
static int do_ref_command(job *j, const prc_msg *m)
{
    const ingest_ctx *ctx = j->ctx;
    store_report_info info;
    int64_t ref = (int64_t)m->ref;
    int64_t at = j->in->received_at;
    const char *verb = m->kind == PRC_KIND_UPD ? "UPD" : m->kind == PRC_KIND_CLR ? "CLR" : "ACK";

    int found = store_report_get(ctx->st, ref, &info);
    if (found < 0)
        return -1;
    if (!found) {
        j->out->outcome = "error";
        j->reason = "REF";
        prc_reply_err(j->out->reply, PRC_FIELD_REF, "R%lld not found. Check the number",
                      (long long)ref);
        return 0;
    }
    j->out->ref = ref;
    if (m->kind == PRC_KIND_ACK) {
        if (!is_partner(j)) {
            j->out->outcome = "error";
            j->reason = "AUTH";
            prc_reply_err(j->out->reply, PRC_FIELD_AUTH, "ACK is for partner contacts only");
            return 0;
        }
        int acked = store_alert_ack(ctx->st, ref, j->person.partner, j->person.callsign, at);
        if (acked < 0 ||
            store_event_add(ctx->st, ref, at, "ack", j->person.partner, j->person.callsign, NULL, 0))
            return -1;
        /* The audit trail shows who acknowledged what, in the same transaction. */
        char obj[24], detail[GW_NAME_MAX + 40];
        snprintf(obj, sizeof obj, "R%lld", (long long)ref);
        snprintf(detail, sizeof detail, "partner=%s alerts=%d", j->person.partner, acked);
        if (audit_append(ctx->st, at, j->person.callsign, "ack", obj, detail) < 0)
            return -1;
    } else {
        if (!is_partner(j) && strcmp(info.reporter, j->reporter) != 0) {
            j->out->outcome = "error";
            j->reason = "AUTH";
            prc_reply_err(j->out->reply, PRC_FIELD_AUTH,
                          "only the reporter or a partner can %s R%lld", verb, (long long)ref);
            return 0;
        }
        if (m->kind == PRC_KIND_CLR && store_report_clear(ctx->st, ref, at))
            return -1;
        if (store_event_add(ctx->st, ref, at, m->kind == PRC_KIND_CLR ? "cleared" : "update",
                            j->has_person && is_partner(j) ? j->person.partner : NULL, j->reporter,
                            j->in->text + m->details_off, m->details_len))
            return -1;
    }
    j->out->outcome = "accepted";
    prc_reply_ref(j->out->reply, verb, (unsigned long long)ref);
    return 0;
}

static int do_shift(job *j, const prc_msg *m)
{
    const ingest_ctx *ctx = j->ctx;
    int64_t at = j->in->received_at;
    j->out->outcome = "accepted";
    if (m->kind == PRC_KIND_ON) {
        int hh, mm;
        if (store_shift_on(ctx->st, j->reporter, j->has_person ? j->person.id : 0, m->zone, at))
            return -1;
        clock_local_hhmm(at, &hh, &mm);
        prc_reply_on(j->out->reply, m->zone[0] ? m->zone : NULL, hh, mm);
        return 0;
    }
    int64_t on_at = 0;
    int was_on = store_shift_off(ctx->st, j->reporter, at, &on_at);
    if (was_on < 0)
        return -1;
    prc_reply_off(j->out->reply, was_on ? (long)((at - on_at) / 60000) : 0);
    if (!was_on)
        prc_reply_append(j->out->reply, "(no ON seen)");
    return 0;
}

static int journal(const job *j)
{
    const ingest_in *in = j->in;
    store_message m = {
        .channel = in->channel,
        .network = in->network,
        .unit = in->unit,
        .sender = in->sender,
        .bridge = in->bridge,
        .msg_id = in->msg_id,
        .bridge_ts = in->bridge_ts,
        .payload = in->payload,
        .payload_len = in->payload_len,
        .text = in->text,
        .text_len = in->text_len,
        .received_at = in->received_at,
        .outcome = j->out->outcome,
        .reason = j->reason,
        .reply = j->out->reply[0] ? j->out->reply : NULL,
        .ref = j->out->ref,
        .person_id = j->has_person ? j->person.id : 0,
        .dup_of = j->dup_of,
    };
    int64_t id = store_message_add(j->ctx->st, &m);
    j->out->message_id = id;
    return id < 0 ? -1 : 0;
}

/* 1 if the message duplicates an earlier one (out filled), 0 if not, -1. */
static int find_dup(job *j)
{
    const ingest_in *in = j->in;
    store_dup d;
    int rc = 0;
    if (in->msg_id && in->msg_id[0])
        rc = store_dup_by_msg_id(j->ctx->st, in->msg_id, in->received_at - INGEST_DUP_MSG_ID_MS, &d);
    if (rc == 0 && in->text)
        rc = store_dup_by_text(j->ctx->st, in->channel, in->sender, in->text, in->text_len,
                               in->received_at - INGEST_DUP_TEXT_MS, &d);
    if (rc <= 0)
        return rc;
    j->dup_of = d.id;
    j->out->ref = d.ref;
    j->out->outcome = "duplicate";
    j->reason = "duplicate";
    prc_reply_dup(j->out->reply, d.reply);
    return 1;
}

static int process(job *j)
{
    const ingest_ctx *ctx = j->ctx;
    const ingest_in *in = j->in;
    prc_msg m;

    if (in->reject_reason) {
        j->out->outcome = "rejected";
        j->reason = in->reject_reason;
        if (in->reject_reply)
            prc_reply_err(j->out->reply, PRC_FIELD_FORMAT, "%s", in->reject_reply);
        return 0;
    }
    int rc = find_dup(j);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    int required = in->network ? config_requires_registration(ctx->cfg, in->network) : 1;
    if ((required && !j->has_person) || (j->has_person && !j->person.active)) {
        j->out->outcome = "rejected";
        j->reason = j->has_person ? "disabled sender" : "unregistered sender";
        /* An SMS from an unknown number gets no reply at all: it costs money
         * and would tell the sender that the number is live. */
        if (in->network || j->has_person)
            prc_reply_err(j->out->reply, PRC_FIELD_AUTH, "%s not %s. Ask your coordinator",
                          in->network ? "unit" : "number", j->has_person ? "active" : "registered");
        return 0;
    }
    prc_parse_ctx pctx = { ctx->tables->codes, ctx->tables->gaz, ctx->cfg->radius_km };
    if (prc_parse(&pctx, in->text, in->text_len, &m) != PRC_FIELD_NONE) {
        j->out->outcome = "error";
        j->reason = prc_field_name(m.error);
        memcpy(j->out->reply, m.reply, sizeof m.reply);
        return 0;
    }
    switch (m.kind) {
    case PRC_KIND_REPORT:
        return do_report(j, &m);
    case PRC_KIND_UPD:
    case PRC_KIND_CLR:
    case PRC_KIND_ACK:
        return do_ref_command(j, &m);
    case PRC_KIND_ON:
    case PRC_KIND_OFF:
        return do_shift(j, &m);
    case PRC_KIND_HELP:
        j->out->outcome = "accepted";
        prc_reply_help(j->out->reply, ctx->tables->codes);
        return 0;
    }
    log_fatal("ingest", "unknown message kind %d", (int)m.kind);
}

int ingest_message(const ingest_ctx *ctx, const ingest_in *in, ingest_out *out)
{
    job j;
    memset(&j, 0, sizeof j);
    memset(out, 0, sizeof *out);
    j.ctx = ctx;
    j.in = in;
    j.out = out;

    int rc = 0;
    if (in->network && in->unit)
        rc = store_person_by_unit(ctx->st, in->network, in->unit, &j.person);
    else if (in->sender)
        rc = store_person_by_phone(ctx->st, in->sender, &j.person);
    if (rc < 0)
        return -1;
    j.has_person = rc == 1;
    snprintf(j.reporter, sizeof j.reporter, "%s",
             j.has_person ? j.person.callsign : (in->sender ? in->sender : "?"));
    if (process(&j))
        return -1;
    if (journal(&j))
        return -1;
    log_debug("ingest", "%s %s: %s -> %s", in->channel, in->sender ? in->sender : "?",
              out->outcome, out->reply);
    return 0;
}
