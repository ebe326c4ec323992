/* lifecycle.c: alerts, results, acknowledgements, chasing, digests, updates. */
#include "lifecycle.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acklink.h"
#include "audit.h"
#include "clock.h"
#include "log.h"
#include "prc_reply.h"
#include "sms_text.h"
#include "store_alerts.h"
#include "store_journal.h"
#include "store_reports.h"
#include "store_sms.h"

/* Rows handled per tick step: the rest wait for the next tick. */
#define LC_TICK_LIMIT 64

int64_t lc_backoff_ms(int attempts, int retry_ms, int retry_max_ms, double r)
{
    int64_t d = retry_ms;
    for (int i = 1; i < attempts && d < retry_max_ms; i++)
        d *= 2;
    if (d > retry_max_ms)
        d = retry_max_ms;
    if (r < 0)
        r = 0;
    if (r > 1)
        r = 1;
    return d - (int64_t)((double)d * 0.25 * r);
}

/* The report as the lifecycle sees it, from the store. */
static void report_from_info(const store_report_info *i, lc_report *r)
{
    memset(r, 0, sizeof *r);
    r->ref = i->ref;
    r->code = i->code;
    r->code_name = "";
    r->priority = i->priority;
    r->location = i->location;
    r->zone = i->zone;
    r->has_coords = i->has_coords;
    r->lat = i->lat;
    r->lon = i->lon;
    r->details = i->details;
    r->details_len = strlen(i->details);
    r->reporter = i->reporter;
    r->channel = i->channel;
    r->received_at = i->received_at;
}

static int add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v) != NULL;
}

/* The JSON partners receive for an alert and its resends, escalation and
 * reminders (docs/alerts.md); kind and note say which. Caller frees. */
static char *alert_payload(const ingest_ctx *ctx, const lc_report *r, const cfg_partner *p,
                           const char *alert_id, const char *kind, const char *note)
{
    char refs[24], when[40], sms[32], topic[GW_TOPIC_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON *ack = cJSON_CreateObject();
    char *details = strndup(r->details, r->details_len);
    char *out = NULL;
    snprintf(refs, sizeof refs, "R%lld", (long long)r->ref);
    snprintf(sms, sizeof sms, "ACK %lld", (long long)r->ref);
    snprintf(topic, sizeof topic, "%s/ack/%s", ctx->cfg->mqtt_prefix, p->name);
    clock_rfc3339(r->received_at, when, sizeof when);
    if (!o || !ack || !details)
        goto done;
    int ok = add_str(o, "alert_id", alert_id) && add_str(o, "kind", kind) &&
             add_str(o, "ref", refs) && add_str(o, "partner", p->name) &&
             add_str(o, "code", r->code) && add_str(o, "code_name", r->code_name) &&
             cJSON_AddNumberToObject(o, "priority", r->priority) &&
             add_str(o, "location", r->location) &&
             (r->zone[0] ? add_str(o, "zone", r->zone) : cJSON_AddNullToObject(o, "zone") != NULL) &&
             (r->has_coords ? cJSON_AddNumberToObject(o, "lat", r->lat) != NULL &&
                                  cJSON_AddNumberToObject(o, "lon", r->lon) != NULL
                            : cJSON_AddNullToObject(o, "lat") != NULL &&
                                  cJSON_AddNullToObject(o, "lon") != NULL) &&
             add_str(o, "details", details) && add_str(o, "reporter", r->reporter) &&
             add_str(o, "channel", r->channel) && add_str(o, "received_at", when) &&
             (!note || add_str(o, "note", note)) && add_str(ack, "sms", sms) &&
             add_str(ack, "topic", topic);
    if (!ok)
        goto done;
    /* A signed link to acknowledge without a phone (the dashboard's /ack page). */
    const cfg_alerts *ca = &ctx->cfg->alerts;
    if (ca->ack_url[0] && ca->ack_secret[0]) {
        char token[GW_ACK_TOKEN_MAX], url[GW_URL_MAX + GW_ACK_TOKEN_MAX + 4];
        int64_t expires = clock_now_ms() + (int64_t)ca->ack_link_valid_s * 1000;
        if (acklink_make(ca->ack_secret, r->ref, p->name, expires, token, sizeof token) == 0) {
            snprintf(url, sizeof url, "%s%st=%s", ca->ack_url, strchr(ca->ack_url, '?') ? "&" : "?",
                     token);
            if (!add_str(ack, "url", url))
                goto done;
        }
    }
    cJSON_AddItemToObject(o, "ack", ack);
    ack = NULL;
    out = cJSON_PrintUnformatted(o);
done:
    cJSON_Delete(ack);
    cJSON_Delete(o);
    free(details);
    return out;
}

/* What one delivery is: kind, id, JSON, SMS text, who. */
typedef struct lc_send {
    const lc_report *r;
    const cfg_partner *p;
    const char *kind;          /* alert resend escalation reminder update fallback */
    const char *alert_id;
    const char *payload;       /* JSON */
    const char *sms_text;      /* one SMS */
    enum sms_coding coding;
    unsigned channels;         /* CH_* to use */
    int escalation;            /* to escalate_to */
    int held;
    int64_t due_at;
    int64_t parent;
    int64_t at;
    unsigned held_ch;          /* out: CH_* held although q is not (the duty-phone cap) */
} lc_send;

static int queue_sms(const ingest_ctx *ctx, const lc_send *q, int64_t row)
{
    const cfg_partner *p = q->p;
    int n = q->escalation ? p->nescalate_sms : p->nsms;
    for (int k = 0; k < n; k++) {
        store_sms_out o;
        memset(&o, 0, sizeof o);
        snprintf(o.to, sizeof o.to, "%s", q->escalation ? p->escalate_sms[k] : p->sms[k]);
        o.text = q->sms_text;
        snprintf(o.coding, sizeof o.coding, "%s", q->coding == SMS_UCS2 ? "ucs2" : "gsm7");
        snprintf(o.kind, sizeof o.kind, "alert");
        o.ref = q->r ? q->r->ref : 0;
        o.alert_row = row;
        o.created_at = q->at;
        if (store_sms_out_add(ctx->st, &o) < 0)
            return -1;
    }
    return 0;
}

/* The channels a partner gets its alerts on (fallback ones excluded). */
static unsigned primary_channels(const gw_config *cfg, const cfg_partner *p)
{
    unsigned ch = 0;
    if (p->mqtt)
        ch |= CH_MQTT;
    if (p->nemail)
        ch |= CH_EMAIL;
    if (p->webhook_url[0])
        ch |= CH_WEBHOOK;
    if (p->nsms && cfg->sms.enabled)
        ch |= CH_SMS;
    return ch & ~p->fallback;
}

/* 1 if q's SMS to the partner's duty phones would go over its cap
 * (sms_alert_limit a window, counted on its first duty phone, digests
 * included): then it is held for the digest at the end of the window
 * (*due_at), like every other held alert (listed, counted, acknowledgeable).
 * Escalations go to other phones, once per alert: never held. 0, 1 or -1. */
static int sms_over_cap(const ingest_ctx *ctx, const lc_send *q, int64_t *due_at)
{
    const cfg_partner *p = q->p;
    if (q->escalation || p->sms_alert_limit <= 0 || p->nsms == 0)
        return 0;
    int64_t window = (int64_t)p->sms_alert_window_s * 1000;
    long n = store_sms_out_alerts_to(ctx->st, p->sms[0], q->at - window + 1);
    if (n < 0)
        return -1;
    if (n < p->sms_alert_limit)
        return 0;
    *due_at = (q->at / window + 1) * window;
    return 1;
}

/* One row per channel of q; returns rows added or -1. */
static int queue(const ingest_ctx *ctx, lc_send *q)
{
    static const enum cfg_channel order[] = { CH_MQTT, CH_WEBHOOK, CH_EMAIL, CH_SMS };
    int added = 0;
    q->held_ch = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(q->channels & order[i]))
            continue;
        int held = q->held;
        int64_t due_at = q->held ? q->due_at : q->at;
        if (order[i] == CH_SMS && !held) {
            held = sms_over_cap(ctx, q, &due_at);
            if (held < 0)
                return -1;
            if (held)
                q->held_ch |= CH_SMS;
        }
        const char *name = config_channel_name(order[i]);
        store_alert_new a = {
            .alert_id = q->alert_id,
            .ref = q->r ? q->r->ref : 0,
            .partner = q->p->name,
            .channel = name,
            .kind = q->kind,
            .priority = q->r ? q->r->priority : 0,
            .escalation = q->escalation,
            .held = held,
            .parent = q->parent,
            .created_at = q->at,
            .due_at = due_at,
            .payload = order[i] == CH_SMS ? q->sms_text : q->payload,
        };
        int64_t row = store_alert_add(ctx->st, &a);
        if (row < 0)
            return -1;
        if (row == 0)
            continue; /* made before (e.g. a fallback already taken) */
        if (order[i] == CH_SMS && !held && queue_sms(ctx, q, row))
            return -1;
        added++;
    }
    return added;
}

/* q's SMS text in buf: the report's header, then tag and text (the report's
 * details, or an update's text). */
static void sms_for(lc_send *q, char *buf, size_t bufsz, const char *tag, const char *text,
                    size_t text_len)
{
    const lc_report *r = q->r;
    char details[PRC_MSG_MAX_BYTES + 64];
    int n = snprintf(details, sizeof details, "%s%.*s", tag ? tag : "", (int)text_len, text);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof details ? sizeof details - 1 : (size_t)n;
    sms_text_alert(buf, bufsz, r->priority, r->code, r->zone[0] ? r->zone : r->location,
                   (long long)r->ref, details, len, &q->coding);
    q->sms_text = buf;
}

/* Alert, resend, escalation, reminder or fallback of r to p. */
static int send_kind(const ingest_ctx *ctx, lc_send *q, const char *note, const char *sms_tag)
{
    char sms[SMS_TEXT_BUF];
    char *payload = alert_payload(ctx, q->r, q->p, q->alert_id, q->kind, note);
    if (!payload) {
        log_error("alerts", "out of memory building an alert");
        return -1;
    }
    q->payload = payload;
    if (q->channels & CH_SMS) /* the SMS text only for a duty phone */
        sms_for(q, sms, sizeof sms, sms_tag, q->r->details, q->r->details_len);
    int n = queue(ctx, q);
    free(payload);
    q->payload = NULL;
    q->sms_text = NULL; /* it pointed into this frame */
    return n;
}

static int event(const ingest_ctx *ctx, int64_t ref, int64_t at, const char *kind,
                 const char *partner, const char *by, const char *detail)
{
    return store_event_add(ctx->st, ref, at, kind, partner, by, detail, detail ? strlen(detail) : 0);
}

/* When a chase next needs a look (0: never). */
static int64_t chase_next(const cfg_partner *p, const store_chase *c)
{
    int64_t next = 0;
    if (c->acked_at == 0) {
        if (p->resend_after_s > 0 && c->resends < LC_RESEND_MAX)
            next = c->created_at + (int64_t)(c->resends + 1) * p->resend_after_s * 1000;
        if (p->escalate_after_s > 0 && c->escalated_at == 0) {
            int64_t t2 = c->created_at + (int64_t)p->escalate_after_s * 1000;
            if (next == 0 || t2 < next)
                next = t2;
        }
    } else if (p->remind_after_s > 0 && c->priority <= p->chase_to && c->reminders < LC_REMIND_MAX) {
        next = c->acked_at + (int64_t)(c->reminders + 1) * p->remind_after_s * 1000;
    }
    return next;
}

int lc_alert(const ingest_ctx *ctx, const lc_report *r, const cfg_partner *p)
{
    char alert_id[64];
    int64_t at = r->received_at;
    lc_send q = { .r = r, .p = p, .kind = "alert", .alert_id = alert_id, .at = at };
    snprintf(alert_id, sizeof alert_id, "R%lld-%s", (long long)r->ref, p->name);
    q.channels = primary_channels(ctx->cfg, p);
    if (r->priority >= p->digest_from && r->priority > 1) {
        if (!config_in_hours(p, at)) {
            q.held = 1;
            q.due_at = config_hours_start(p, at);
        } else if (p->rate_limit > 0) {
            long n = store_partner_alerts_since(ctx->st, p->name, at - 60000);
            if (n < 0)
                return -1;
            if (n >= p->rate_limit) {
                int64_t every = (int64_t)p->digest_every_s * 1000;
                q.held = 1;
                q.due_at = (at / every + 1) * every;
            }
        }
    }
    store_chase c = { .ref = r->ref, .priority = r->priority, .created_at = at };
    int64_t next = r->priority <= p->chase_to && !q.held ? chase_next(p, &c) : 0;
    if (store_chase_add(ctx->st, r->ref, p->name, r->priority, at, next))
        return -1;
    int n = send_kind(ctx, &q, NULL, NULL);
    if (n < 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned bit = 1u << i;
        if (q.channels & bit)
            if (event(ctx, r->ref, at, q.held || (q.held_ch & bit) ? "held" : "alerted", p->name, NULL,
                      config_channel_name((enum cfg_channel)bit)))
                return -1;
    }
    return n;
}

/* ---- Acknowledgements */

/* "R1042 ACK by police 14:07" to the reporter, on the channel it reported by. */
static int notify_reporter(const ingest_ctx *ctx, int64_t ref, const char *partner, int64_t at)
{
    store_origin o;
    char text[PRC_REPLY_BUF], alert_id[64];
    int hh, mm;
    int rc = store_report_origin(ctx->st, ref, &o);
    if (rc <= 0)
        return rc;
    clock_local_hhmm(at, &hh, &mm);
    snprintf(text, sizeof text, "R%lld ACK by %s %02d:%02d", (long long)ref, partner, hh, mm);
    if (!strcmp(o.channel, "sms")) {
        if (!ctx->cfg->sms.enabled || config_sms_denied(ctx->cfg, o.sender))
            return 0;
        store_sms_out m;
        memset(&m, 0, sizeof m);
        if (strlen(o.sender) >= sizeof m.to)
            return 0;
        memcpy(m.to, o.sender, strlen(o.sender) + 1);
        m.text = text;
        enum sms_coding coding;
        size_t fit = sms_text_fit(text, strlen(text), &coding);
        text[fit] = '\0';
        snprintf(m.coding, sizeof m.coding, "%s", coding == SMS_UCS2 ? "ucs2" : "gsm7");
        snprintf(m.kind, sizeof m.kind, "reply");
        m.ref = ref;
        m.created_at = at;
        return store_sms_out_add(ctx->st, &m) < 0 ? -1 : 0;
    }
    if (strcmp(o.channel, "radio") != 0 || !o.network[0] || !o.unit[0] || !o.sender[0])
        return 0;
    /* The sender ("network/unit"), where its replies went: the journal's unit
     * is the topic's, a bridge's own when it relayed for a unit it named. */
    char target[sizeof o.sender];
    char *payload = NULL;
    snprintf(target, sizeof target, "%s", o.sender);
    snprintf(alert_id, sizeof alert_id, "R%lld-%s-ack", (long long)ref, partner);
    if (o.json) {
        char refs[24];
        snprintf(refs, sizeof refs, "R%lld", (long long)ref);
        cJSON *j = cJSON_CreateObject();
        if (j && cJSON_AddNullToObject(j, "msg_id") && add_str(j, "ref", refs) &&
            add_str(j, "reply", text) && add_str(j, "kind", "notice"))
            payload = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
    } else {
        payload = strdup(text);
    }
    if (!payload)
        return -1;
    store_alert_new a = { .alert_id = alert_id, .ref = ref, .partner = partner, .channel = "radio",
                          .kind = "notice", .target = target, .created_at = at, .payload = payload };
    int64_t row = store_alert_add(ctx->st, &a);
    free(payload);
    return row < 0 ? -1 : 0;
}

int lc_ack(const ingest_ctx *ctx, int64_t ref, const char *partner, const char *by,
           const char *via, int64_t at, enum ingest_ack_status *status)
{
    store_chase c;
    store_report_info info;
    int rc = store_report_get(ctx->st, ref, &info);
    if (rc <= 0) {
        *status = INGEST_ACK_NO_REPORT;
        return rc;
    }
    rc = store_chase_get(ctx->st, ref, partner, &c);
    if (rc < 0)
        return -1;
    char obj[24], detail[GW_NAME_MAX + 64];
    snprintf(obj, sizeof obj, "R%lld", (long long)ref);
    if (rc == 0) {
        *status = INGEST_ACK_NOT_ALERTED;
        snprintf(detail, sizeof detail, "partner=%s via=%s rejected: not alerted", partner, via);
        return audit_append(ctx->st, at, by, "ack", obj, detail) < 0 ? -1 : 0;
    }
    const cfg_partner *p = config_partner(ctx->cfg, partner);
    store_chase after = c;
    after.acked_at = at;
    int64_t next = p && strcmp(info.status, "cleared") != 0 ? chase_next(p, &after) : 0;
    int first = store_chase_ack(ctx->st, ref, partner, by, via, at, next);
    if (first < 0)
        return -1;
    *status = first ? INGEST_ACK_FIRST : INGEST_ACK_AGAIN;
    if (store_event_add(ctx->st, ref, at, "ack", partner, by, via, strlen(via)))
        return -1;
    snprintf(detail, sizeof detail, "partner=%s via=%s%s", partner, via, first ? "" : " again");
    if (audit_append(ctx->st, at, by, "ack", obj, detail) < 0)
        return -1;
    if (first && ctx->cfg->alerts.notify_reporter && notify_reporter(ctx, ref, partner, at))
        return -1;
    return 0;
}

int ingest_ack(const ingest_ctx *ctx, int64_t ref, const char *partner, const char *by,
               const char *via, int64_t at, enum ingest_ack_status *status)
{
    return lc_ack(ctx, ref, partner, by, via, at, status);
}

/* ---- Updates */

typedef struct upd_ctx {
    store_chase list[GW_MAX_PARTNERS];
    int n;
} upd_ctx;

static void upd_collect(void *arg, const store_chase *c)
{
    upd_ctx *u = arg;
    if (u->n < GW_MAX_PARTNERS)
        u->list[u->n++] = *c;
}

int lc_update(const ingest_ctx *ctx, int64_t ref, int cleared, const char *by, const char *text,
              size_t len, int64_t at)
{
    upd_ctx *u = calloc(1, sizeof *u);
    store_report_info *info = malloc(sizeof *info);
    int rc = -1;
    if (!u || !info)
        goto done;
    if (store_report_get(ctx->st, ref, info) <= 0 || store_chases_of(ctx->st, ref, upd_collect, u) < 0)
        goto done;
    if (cleared && store_chases_stop(ctx->st, ref))
        goto done;
    lc_report r;
    report_from_info(info, &r);
    for (int i = 0; i < u->n; i++) {
        const cfg_partner *p = config_partner(ctx->cfg, u->list[i].partner);
        if (!p)
            continue;
        char alert_id[64], refs[24], when[40], sms[SMS_TEXT_BUF];
        char *t = strndup(text ? text : "", text ? len : 0);
        cJSON *o = cJSON_CreateObject();
        char *payload = NULL;
        snprintf(alert_id, sizeof alert_id, "R%lld-%s-u%lld", (long long)ref, p->name,
                 (long long)at);
        snprintf(refs, sizeof refs, "R%lld", (long long)ref);
        clock_rfc3339(at, when, sizeof when);
        if (t && o && add_str(o, "alert_id", alert_id) && add_str(o, "kind", "update") &&
            add_str(o, "update", cleared ? "cleared" : "update") && add_str(o, "ref", refs) &&
            add_str(o, "partner", p->name) && add_str(o, "code", r.code) &&
            cJSON_AddNumberToObject(o, "priority", r.priority) &&
            add_str(o, "location", r.location) &&
            (r.zone[0] ? add_str(o, "zone", r.zone) : cJSON_AddNullToObject(o, "zone") != NULL) &&
            add_str(o, "text", t) && add_str(o, "by", by) && add_str(o, "at", when))
            payload = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        lc_send q = { .r = &r, .p = p, .kind = "update", .alert_id = alert_id, .payload = payload,
                      .channels = primary_channels(ctx->cfg, p), .at = at };
        sms_for(&q, sms, sizeof sms, cleared ? "CLEARED: " : "UPDATE: ", t ? t : "",
                t ? strlen(t) : 0);
        int n = payload ? queue(ctx, &q) : -1;
        free(payload);
        free(t);
        if (n < 0)
            goto done;
    }
    rc = 0;
done:
    free(u);
    free(info);
    return rc;
}

/* ---- Results: sent, retry, dead-letter and fallback */

typedef struct row_copy {
    int found;
    store_alert a;
    char payload[8192];
} row_copy;

static int copy_row(void *arg, const store_alert *a)
{
    row_copy *c = arg;
    c->found = 1;
    c->a = *a;
    snprintf(c->payload, sizeof c->payload, "%s", a->payload);
    c->a.payload = c->payload;
    return 1;
}

/* A delivery of row a is given up: dead-lettered; its partner's fallback
 * channels take over (once per alert). */
static int dead_letter(const ingest_ctx *ctx, const store_alert *a, const char *why, long code,
                       int64_t now)
{
    int n = store_alert_result(ctx->st, a->id, "failed", now, 0, why, code);
    if (n <= 0)
        return n;
    char detail[200];
    snprintf(detail, sizeof detail, "%s %s: %s", a->channel, a->kind, why);
    if (a->ref > 0 && event(ctx, a->ref, now, "failed", a->partner, NULL, detail))
        return -1;
    log_warn("alerts", "delivery %s to %s over %s dead-lettered: %s", a->alert_id, a->partner,
             a->channel, why);
    const cfg_partner *p = config_partner(ctx->cfg, a->partner);
    unsigned fb = p ? p->fallback & ~(unsigned)config_channel_bit(a->channel) : 0;
    if (!fb || a->ref <= 0 || !strcmp(a->kind, "fallback") || !strcmp(a->kind, "notice") ||
        !strcmp(a->kind, "digest"))
        return 0;
    store_chase c;
    int rc = store_chase_get(ctx->st, a->ref, a->partner, &c);
    if (rc <= 0 || c.acked_at)
        return rc < 0 ? -1 : 0; /* acknowledged meanwhile: no fallback */
    store_report_info *info = malloc(sizeof *info);
    if (!info || store_report_get(ctx->st, a->ref, info) <= 0) {
        free(info);
        return info ? 0 : -1;
    }
    lc_report r;
    report_from_info(info, &r);
    char alert_id[64];
    snprintf(alert_id, sizeof alert_id, "R%lld-%s", (long long)a->ref, a->partner);
    lc_send q = { .r = &r, .p = p, .kind = "fallback", .alert_id = alert_id, .channels = fb,
                  .parent = a->id, .at = now };
    n = send_kind(ctx, &q, "fallback: another channel failed", NULL);
    free(info);
    if (n < 0)
        return -1;
    if (n > 0) {
        snprintf(detail, sizeof detail, "after %s failed", a->channel);
        if (event(ctx, a->ref, now, "fallback", a->partner, NULL, detail))
            return -1;
    }
    return 0;
}

int lc_result(const ingest_ctx *ctx, const dlv_result *res, int64_t now)
{
    row_copy *c = calloc(1, sizeof *c);
    int rc = -1;
    if (!c)
        return -1;
    if (store_alert_get(ctx->st, res->row, copy_row, c) < 0)
        goto done;
    rc = 0;
    if (!c->found || strcmp(c->a.state, "pending") != 0)
        goto done; /* acknowledged or dead-lettered meanwhile */
    if (res->outcome == DLV_OK) {
        rc = store_alert_result(ctx->st, res->row, "sent", now, 0, NULL, res->code) < 0 ? -1 : 0;
        goto done;
    }
    const cfg_partner *p = config_partner(ctx->cfg, c->a.partner);
    int64_t dead_after = (int64_t)(p ? p->dead_after_s : 900) * 1000;
    if (res->outcome == DLV_PERMANENT || now - c->a.created_at >= dead_after) {
        rc = dead_letter(ctx, &c->a, res->error[0] ? res->error : "failed", res->code, now) < 0 ? -1 : 0;
        goto done;
    }
    int64_t wait = lc_backoff_ms(c->a.attempts, ctx->cfg->alerts.retry_ms,
                                 ctx->cfg->alerts.retry_max_ms, (double)rand() / RAND_MAX);
    rc = store_alert_result(ctx->st, res->row, "pending", now, now + wait, res->error, res->code) < 0
             ? -1 : 0;
done:
    free(c);
    return rc;
}

/* ---- The tick: chases, digests, stale MQTT rows */

typedef struct due_list {
    store_chase c[LC_TICK_LIMIT];
    int n;
} due_list;

static void due_collect(void *arg, const store_chase *c)
{
    due_list *d = arg;
    if (d->n < LC_TICK_LIMIT)
        d->c[d->n++] = *c;
}

static int chase_step(const ingest_ctx *ctx, store_chase *c, int64_t now)
{
    const cfg_partner *p = config_partner(ctx->cfg, c->partner);
    store_report_info *info = malloc(sizeof *info);
    int rc = -1;
    if (!info)
        return -1;
    int found = store_report_get(ctx->st, c->ref, info);
    if (found < 0)
        goto done;
    if (!p || !found || !strcmp(info->status, "cleared")) {
        c->next_at = 0;
        rc = store_chase_set(ctx->st, c);
        goto done;
    }
    lc_report r;
    report_from_info(info, &r);
    char alert_id[64], note[96], detail[64];
    lc_send q = { .r = &r, .p = p, .alert_id = alert_id, .at = now };
    q.channels = primary_channels(ctx->cfg, p);
    const char *ev = NULL;
    if (c->acked_at == 0) {
        int64_t elapsed = now - c->created_at;
        if (p->escalate_after_s > 0 && c->escalated_at == 0 &&
            elapsed >= (int64_t)p->escalate_after_s * 1000) {
            snprintf(alert_id, sizeof alert_id, "R%lld-%s-e", (long long)c->ref, p->name);
            q.kind = "escalation";
            if (p->nescalate_email || p->nescalate_sms) {
                q.escalation = 1;
                q.channels = (p->nescalate_email ? CH_EMAIL : 0u) |
                             (p->nescalate_sms && ctx->cfg->sms.enabled ? CH_SMS : 0u);
            }
            snprintf(note, sizeof note, "ESCALATED: not acknowledged after %d min",
                     p->escalate_after_s / 60);
            if (send_kind(ctx, &q, note, "ESCALATED not acked: ") < 0)
                goto done;
            c->escalated_at = now;
            ev = "escalated";
            snprintf(detail, sizeof detail, "%s", q.escalation ? "to escalation contacts" : "resent");
        } else if (p->resend_after_s > 0 && c->resends < LC_RESEND_MAX &&
                   elapsed >= (int64_t)(c->resends + 1) * p->resend_after_s * 1000) {
            c->resends++;
            snprintf(alert_id, sizeof alert_id, "R%lld-%s-r%d", (long long)c->ref, p->name, c->resends);
            q.kind = "resend";
            snprintf(note, sizeof note, "resent %d: not acknowledged", c->resends);
            if (send_kind(ctx, &q, note, "RESENT not acked: ") < 0)
                goto done;
            ev = "resent";
            snprintf(detail, sizeof detail, "#%d", c->resends);
        }
    } else if (p->remind_after_s > 0 && c->reminders < LC_REMIND_MAX &&
               now >= c->acked_at + (int64_t)(c->reminders + 1) * p->remind_after_s * 1000) {
        c->reminders++;
        snprintf(alert_id, sizeof alert_id, "R%lld-%s-m%d", (long long)c->ref, p->name, c->reminders);
        q.kind = "reminder";
        snprintf(note, sizeof note, "REMINDER: acknowledged by %s, not cleared", c->acked_by);
        if (send_kind(ctx, &q, note, "REMINDER acked, not cleared: ") < 0)
            goto done;
        ev = "reminded";
        snprintf(detail, sizeof detail, "#%d", c->reminders);
    }
    if (ev && event(ctx, c->ref, now, ev, p->name, NULL, detail))
        goto done;
    c->next_at = chase_next(p, c);
    if (c->next_at != 0 && c->next_at <= now)
        c->next_at = now + 1000; /* more than one step overdue: one a second */
    rc = store_chase_set(ctx->st, c);
done:
    free(info);
    return rc;
}

/* Digests: held rows of one (partner, channel) whose time has come. */
/* Alerts a digest SMS can list (about 12 fit one SMS). */
#define DIGEST_SMS_ITEMS 24

typedef struct digest_acc {
    cJSON *alerts;
    sms_digest_item item[DIGEST_SMS_ITEMS];
    char code[DIGEST_SMS_ITEMS][PRC_CODE_MAX + 1];
    char where[DIGEST_SMS_ITEMS][PRC_LOCATION_MAX + 1];
    int nitem;
    int n;
    int64_t last_id;
    char partner[GW_NAME_MAX + 1];
    char channel[16];
    int64_t first_id;
    int64_t first_at, last_at;
} digest_acc;

static int digest_add(void *arg, const store_alert *a)
{
    digest_acc *d = arg;
    if (d->n == 0) {
        snprintf(d->partner, sizeof d->partner, "%s", a->partner);
        snprintf(d->channel, sizeof d->channel, "%s", a->channel);
        d->first_id = a->id;
        d->first_at = a->created_at;
    } else if (strcmp(d->partner, a->partner) != 0 || strcmp(d->channel, a->channel) != 0) {
        return 0; /* another group: the next tick takes it */
    }
    d->last_at = a->created_at;
    d->last_id = a->id;
    d->n++;
    if (!strcmp(a->channel, "sms")) {
        /* "R1001 P3 ASB HB12" ... from the SMS text "P3 ASB HB12 R1001 ..." */
        int k = d->nitem, pr = 0;
        if (k < DIGEST_SMS_ITEMS &&
            sscanf(a->payload, "P%d %15s %40s", &pr, d->code[k], d->where[k]) == 3) {
            d->item[k] = (sms_digest_item){ (long long)a->ref, pr, d->code[k], d->where[k] };
            d->nitem++;
        }
    } else {
        cJSON *j = cJSON_Parse(a->payload);
        if (j)
            cJSON_AddItemToArray(d->alerts, j);
    }
    return 0;
}

typedef struct held_group {
    char partner[GW_NAME_MAX + 1];
    char channel[16];
} held_group;

typedef struct held_groups {
    held_group g[LC_TICK_LIMIT];
    int n;
} held_groups;

static int held_collect(void *arg, const store_alert *a)
{
    held_groups *h = arg;
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->g[i].partner, a->partner) && !strcmp(h->g[i].channel, a->channel))
            return 0;
    if (h->n >= LC_TICK_LIMIT)
        return 1;
    snprintf(h->g[h->n].partner, sizeof h->g[0].partner, "%s", a->partner);
    snprintf(h->g[h->n].channel, sizeof h->g[0].channel, "%s", a->channel);
    h->n++;
    return 0;
}

static int digest_one(const ingest_ctx *ctx, const held_group *g, int64_t now)
{
    const cfg_partner *p = config_partner(ctx->cfg, g->partner);
    digest_acc *d = calloc(1, sizeof *d);
    int rc = -1;
    if (!d || !(d->alerts = cJSON_CreateArray()))
        goto done;
    if (store_alerts_held_due(ctx->st, now, g->partner, g->channel, 500, digest_add, d) < 0)
        goto done;
    if (d->n == 0 || !p) {
        rc = 0;
        goto done;
    }
    char alert_id[64], from[40], to[40];
    snprintf(alert_id, sizeof alert_id, "D-%s-%lld", p->name, (long long)d->first_id);
    clock_rfc3339(d->first_at, from, sizeof from);
    clock_rfc3339(d->last_at, to, sizeof to);
    char *payload = NULL;
    char sms[SMS_TEXT_BUF];
    if (!strcmp(g->channel, "sms")) {
        enum sms_coding coding;
        (void)sms_text_digest(sms, sizeof sms, p->name, d->n, d->item, d->nitem, &coding);
        payload = strdup(sms);
        log_info("alerts", "digest of %d duty-phone alerts for %s", d->n, p->name);
    } else {
        cJSON *o = cJSON_CreateObject();
        if (o && add_str(o, "alert_id", alert_id) && add_str(o, "kind", "digest") &&
            add_str(o, "partner", p->name) && cJSON_AddNumberToObject(o, "count", d->n) &&
            add_str(o, "from", from) && add_str(o, "to", to)) {
            cJSON_AddItemToObject(o, "alerts", d->alerts);
            d->alerts = NULL;
            payload = cJSON_PrintUnformatted(o);
        }
        cJSON_Delete(o);
    }
    if (!payload)
        goto done;
    store_alert_new a = { .alert_id = alert_id, .ref = 0, .partner = p->name, .channel = g->channel,
                          .kind = "digest", .created_at = now, .payload = payload };
    int64_t row = store_alert_add(ctx->st, &a);
    if (row > 0 && !strcmp(g->channel, "sms")) {
        lc_send q = { .p = p, .sms_text = payload, .at = now };
        q.coding = sms_text_coding(payload, strlen(payload));
        if (queue_sms(ctx, &q, row))
            row = -1;
    }
    free(payload);
    if (row < 0 ||
        store_alerts_digested(ctx->st, g->partner, g->channel, now, d->last_id, row) < 0)
        goto done;
    rc = 0;
done:
    if (d)
        cJSON_Delete(d->alerts);
    free(d);
    return rc;
}

typedef struct stale_list {
    int64_t id[LC_TICK_LIMIT];
    int n;
    const gw_config *cfg;
    int64_t now;
    int64_t down_ms;
} stale_list;

static int stale_collect(void *arg, const store_alert *a)
{
    stale_list *s = arg;
    const cfg_partner *p = config_partner(s->cfg, a->partner);
    int64_t waited = s->now - a->created_at < s->down_ms ? s->now - a->created_at : s->down_ms;
    if (p && waited >= (int64_t)p->dead_after_s * 1000 && s->n < LC_TICK_LIMIT)
        s->id[s->n++] = a->id;
    return s->n >= LC_TICK_LIMIT;
}

typedef struct id_list {
    int64_t id[LC_TICK_LIMIT];
    int n, max;
} id_list;

static int id_collect(void *arg, const store_alert *a)
{
    id_list *l = arg;
    if (l->n < l->max)
        l->id[l->n++] = a->id;
    return l->n >= l->max;
}

int lc_sms_given_up(const ingest_ctx *ctx, const char *why, int limit, int64_t now)
{
    id_list *l = calloc(1, sizeof *l);
    row_copy *c = calloc(1, sizeof *c);
    int rc = -1;
    if (!l || !c)
        goto done;
    l->max = limit < 1 ? 1 : limit > LC_TICK_LIMIT ? LC_TICK_LIMIT : limit;
    /* Collected first, dead-lettered after the query (one statement at a time). */
    if (store_alerts_sms_given_up(ctx->st, l->max, id_collect, l) < 0)
        goto done;
    for (int i = 0; i < l->n; i++) {
        memset(c, 0, sizeof *c);
        if (store_alert_get(ctx->st, l->id[i], copy_row, c) < 0 ||
            (c->found && dead_letter(ctx, &c->a, why, 0, now) < 0))
            goto done;
    }
    rc = l->n;
done:
    free(c);
    free(l);
    return rc;
}

int lc_tick(const ingest_ctx *ctx, int64_t now, int64_t mqtt_down_ms)
{
    due_list *d = calloc(1, sizeof *d);
    int rc = -1;
    if (!d)
        return -1;
    if (store_chases_due(ctx->st, now, LC_TICK_LIMIT, due_collect, d) < 0)
        goto done;
    for (int i = 0; i < d->n; i++)
        if (chase_step(ctx, &d->c[i], now))
            goto done;
    held_groups h = { .n = 0 };
    if (store_alerts_held_due(ctx->st, now, NULL, NULL, 500, held_collect, &h) < 0)
        goto done;
    for (int i = 0; i < h.n; i++)
        if (digest_one(ctx, &h.g[i], now))
            goto done;
    if (mqtt_down_ms > 0) {
        /* Broker away: nothing is in flight, rows past dead_after fall back. */
        stale_list s = { .n = 0, .cfg = ctx->cfg, .now = now, .down_ms = mqtt_down_ms };
        if (store_alerts_pending_before(ctx->st, "mqtt", now - 1000, 500, stale_collect, &s) < 0)
            goto done;
        for (int i = 0; i < s.n; i++) {
            row_copy *c = calloc(1, sizeof *c);
            if (!c || store_alert_get(ctx->st, s.id[i], copy_row, c) < 0 ||
                (c->found && dead_letter(ctx, &c->a, "broker unreachable", 0, now) < 0)) {
                free(c);
                goto done;
            }
            free(c);
        }
    }
    rc = 0;
done:
    free(d);
    return rc;
}
