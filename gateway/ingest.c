/* ingest.c: one inbound message -> outcome, effect, reply, journal row. */
#include "ingest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lifecycle.h"
#include "log.h"
#include "prc_parse.h"
#include "prc_reply.h"
#include "route.h"
#include "store_alerts.h"
#include "store_journal.h"
#include "store_people.h"
#include "store_reports.h"

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
    lc_report lr = {
        .ref = ref,
        .code = m->code->code,
        .code_name = m->code->name,
        .priority = m->priority,
        .location = m->location,
        .zone = m->zone,
        .has_coords = m->has_coords,
        .lat = m->lat,
        .lon = m->lon,
        .details = j->in->text + m->details_off,
        .details_len = m->details_len,
        .reporter = j->reporter,
        .channel = j->in->channel,
        .received_at = j->in->received_at,
    };
    for (int i = 0; i < ctx->cfg->npartners; i++) {
        const cfg_partner *p = &ctx->cfg->partners[i];
        if (!route_match(p, m->code, m->priority, m->zone))
            continue;
        int rows = lc_alert(ctx, &lr, p);
        if (rows < 0)
            return -1;
        j->out->alerts += rows;
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
        enum ingest_ack_status st;
        if (ingest_ack(ctx, ref, j->person.partner, j->person.callsign, j->in->channel, at, &st))
            return -1;
        if (st == INGEST_ACK_NOT_ALERTED) {
            j->out->outcome = "rejected";
            j->reason = "not alerted";
            prc_reply_err(j->out->reply, PRC_FIELD_AUTH, "R%lld was not alerted to %s",
                          (long long)ref, j->person.partner);
            return 0;
        }
    } else {
        /* The reporter, or a contact of a partner the report was alerted to:
         * a CLR stops every partner's chase, so no other partner may. */
        int reporter = strcmp(info.reporter, j->reporter) == 0;
        if (!reporter && is_partner(j)) {
            store_chase c;
            int alerted = store_chase_get(ctx->st, ref, j->person.partner, &c);
            if (alerted < 0)
                return -1;
            if (!alerted) {
                j->out->outcome = "error";
                j->reason = "AUTH";
                prc_reply_err(j->out->reply, PRC_FIELD_AUTH, "R%lld was not alerted to %s",
                              (long long)ref, j->person.partner);
                return 0;
            }
        } else if (!reporter) {
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
        /* Forwarded to the partners alerted for it, as an update of the same ref. */
        if (lc_update(ctx, ref, m->kind == PRC_KIND_CLR, j->reporter, j->in->text + m->details_off,
                      m->details_len, at))
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
        .unit = in->topic_unit ? in->topic_unit : in->unit, /* the topic it came on */
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

/* 1 if the message duplicates an earlier one (out filled), 0 if not, -1.
 * A command (UPD, CLR, ACK, ON, OFF, HELP) typed again is a new action unless
 * it is the sender's last message: "ON HB", "OFF", "ON HB" starts two shifts,
 * while a bridge resending one transmission is answered DUP (hardening 3). */
static int find_dup(job *j, int is_command)
{
    const ingest_in *in = j->in;
    store_dup d;
    int rc = 0;
    if (in->msg_id && in->msg_id[0])
        rc = store_dup_by_msg_id(j->ctx->st, in->channel, in->sender, in->msg_id,
                                 in->received_at - INGEST_DUP_MSG_ID_MS, &d);
    if (rc == 0 && in->text) {
        rc = store_dup_by_text(j->ctx->st, in->channel, in->sender, in->text, in->text_len,
                               in->received_at - INGEST_DUP_TEXT_MS, &d);
        if (rc == 1 && is_command)
            rc = store_dup_last(j->ctx->st, in->channel, in->sender, d.id,
                                in->received_at - INGEST_DUP_TEXT_MS, in->text, in->text_len, &d);
    }
    if (rc <= 0)
        return rc;
    j->dup_of = d.id;
    j->out->ref = d.ref;
    j->out->outcome = "duplicate";
    j->reason = "duplicate";
    prc_reply_dup(j->out->reply, d.reply);
    return 1;
}

/* 1 if a radio message is the reply just sent to its unit (a bridge that
 * republishes its "out" topic into "in"), 0 if not, -1. Only called for a
 * message that does not parse: no reply is PRC/1. */
static int is_echo(const job *j)
{
    const ingest_in *in = j->in;
    char last[PRC_REPLY_BUF];
    if (!in->network || !in->text)
        return 0;
    int rc = store_last_reply(j->ctx->st, in->channel, in->sender,
                              in->received_at - INGEST_ECHO_MS, last, sizeof last);
    if (rc <= 0)
        return rc;
    return last[0] && strlen(last) == in->text_len && memcmp(last, in->text, in->text_len) == 0;
}

/* 1 if the sender or its radio network is over its rate limit this minute
 * (the message is then journaled only), 0 if not. Every message counts,
 * refused or not: a flood stays refused until its minute is over. */
static int over_rate(job *j)
{
    const ingest_ctx *ctx = j->ctx;
    const ingest_in *in = j->in;
    if (!ctx->rl || !in->sender)
        return 0;
    long unit = ratelim_hit(ctx->rl, 'u', in->sender, in->received_at);
    long net = in->network ? ratelim_hit(ctx->rl, 'n', in->network, in->received_at) : 0;
    char kind = 0;
    long limit = 0;
    if (ctx->cfg->unit_rate_limit > 0 && unit > ctx->cfg->unit_rate_limit) {
        kind = 'u';
        limit = ctx->cfg->unit_rate_limit;
        j->reason = "rate limit (unit)";
    } else if (ctx->cfg->network_rate_limit > 0 && net > ctx->cfg->network_rate_limit) {
        kind = 'n';
        limit = ctx->cfg->network_rate_limit;
        j->reason = "rate limit (network)";
    }
    if (!kind)
        return 0;
    ratelim_refused_add(ctx->rl, kind);
    /* Once per minute and key: the first message over the limit. No phone
     * numbers in the log: an SMS sender is "a number". */
    if ((kind == 'u' ? unit : net) == limit + 1)
        log_warn("ingest", "rate limit: %s %s sent over %ld messages this minute; the rest are "
                 "journaled, not acted on",
                 kind == 'n' ? "network" : in->network ? "radio unit of" : "a number",
                 in->network ? in->network : "by SMS", limit);
    j->out->outcome = "rejected";
    return 1;
}

static int process(job *j)
{
    const ingest_ctx *ctx = j->ctx;
    const ingest_in *in = j->in;
    prc_msg m;

    /* First: a flood costs a journal row and nothing else (no reply, no
     * report, no alert, no SMS to a duty phone). */
    if (over_rate(j))
        return 0;
    if (in->reject_reason) {
        j->out->outcome = "rejected";
        j->reason = in->reject_reason;
        if (in->reject_reply)
            prc_reply_err(j->out->reply, in->reject_auth ? PRC_FIELD_AUTH : PRC_FIELD_FORMAT, "%s",
                          in->reject_reply);
        return 0;
    }
    /* Parsed first (pure, no effect): an echo is known by not parsing, and a
     * command is a duplicate by its own rule. */
    prc_parse_ctx pctx = { ctx->tables->codes, ctx->tables->gaz, ctx->cfg->radius_km };
    prc_field perr = prc_parse(&pctx, in->text, in->text_len, &m);
    if (perr != PRC_FIELD_NONE) {
        /* Before the sender check: an unregistered unit's ERR AUTH echoed back
         * must not loop either. Journaled, never answered. */
        int echo = is_echo(j);
        if (echo < 0)
            return -1;
        if (echo) {
            j->out->outcome = "rejected";
            j->reason = "reply echoed";
            log_info("ingest", "a reply came back from a radio unit: not answered (reply loop)");
            return 0;
        }
    }
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
    /* After the sender check: a duplicate's reply is the original's, which
     * only its sender may see. */
    int rc = find_dup(j, perr == PRC_FIELD_NONE && m.kind != PRC_KIND_REPORT);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (perr != PRC_FIELD_NONE) {
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
        prc_reply_help_msg(j->out->reply, ctx->tables->codes, ctx->tables->gaz, &m);
        return 0;
    }
    log_fatal("ingest", "unknown message kind %d", (int)m.kind);
}

/* One info line per message: its channel, journal row, outcome, reference and
 * alerts, never the sender or the text (log.h). At most INGEST_LOG_PER_S lines a
 * second; the next line counts those left out. */
#define INGEST_LOG_PER_S 10
static void log_outcome(const ingest_in *in, const ingest_out *out, const char *reason)
{
    static int64_t window_start;
    static int in_window;
    static long left_out;
    int64_t now = clock_mono_ms();
    if (now - window_start >= 1000) {
        window_start = now;
        in_window = 0;
    }
    if (++in_window > INGEST_LOG_PER_S) {
        left_out++;
        return;
    }
    char ref[24] = "", more[48] = "";
    if (out->ref > 0)
        snprintf(ref, sizeof ref, " R%lld", (long long)out->ref);
    if (left_out > 0)
        snprintf(more, sizeof more, " (+%ld earlier not logged)", left_out);
    left_out = 0;
    int why = reason && strcmp(out->outcome, "accepted") != 0 &&
              strcmp(out->outcome, "duplicate") != 0;
    /* Bounded here (per second, with a count): not the log's per-site limit. */
    log_msg_bounded(LOG_INFO, "ingest", "%s message %lld: %s%s%s%s%s, %d alert(s)%s",
                    in->channel, (long long)out->message_id, out->outcome, ref,
                    why ? " (" : "", why ? reason : "", why ? ")" : "", out->alerts, more);
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
    /* A unit a bridge only names (open networks) is never a registered person. */
    if (in->network && in->unit && !in->unit_claimed)
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
    log_outcome(in, out, j.reason);
    return 0;
}

/* "R1042", "1042" or 1042 -> 1042; 0 if none. */
static int64_t json_ref(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return v->valuedouble >= 1 && v->valuedouble < 1e12 ? (int64_t)v->valuedouble : 0;
    if (!cJSON_IsString(v))
        return 0;
    const char *s = v->valuestring;
    if (*s == 'R' || *s == 'r')
        s++;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > PRC_REF_DIGITS_MAX)
        return 0;
    return strtoll(s, NULL, 10);
}

/* 1 if the strings are equal, in a time that does not tell how much of a
 * guess was right. */
static int secret_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = na != nb;
    for (size_t i = 0; i < na; i++)
        d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
    return d == 0 && nb > 0;
}

int ingest_ack_json(const ingest_ctx *ctx, const char *partner, const void *payload, size_t len,
                    int64_t at, ingest_out *out)
{
    char sender[GW_NAME_MAX + 8];
    snprintf(sender, sizeof sender, "ack/%s", partner);
    ingest_in in = { .channel = "ack", .sender = sender, .payload = payload, .payload_len = len,
                     .received_at = at };
    job j;
    memset(&j, 0, sizeof j);
    memset(out, 0, sizeof *out);
    j.ctx = ctx;
    j.in = &in;
    j.out = out;
    snprintf(j.reporter, sizeof j.reporter, "%s", sender);

    cJSON *o = len <= GW_RADIO_PAYLOAD_MAX ? cJSON_ParseWithLength(payload, len) : NULL;
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "by");
    int64_t ref = json_ref(cJSON_GetObjectItemCaseSensitive(o, "ref"));
    int rc = 0;
    char *kept = NULL;
    /* The secret is checked, then never journaled: the journal keeps the ACK
     * without it (an unreadable payload is kept as it came). */
    cJSON *secret = cJSON_DetachItemFromObjectCaseSensitive(o, "secret");
    if (secret) {
        kept = cJSON_PrintUnformatted(o);
        if (!kept) {
            cJSON_Delete(secret);
            cJSON_Delete(o);
            return -1;
        }
        in.payload = kept;
        in.payload_len = strlen(kept);
    }
    const cfg_partner *cp = config_partner(ctx->cfg, partner);
    out->outcome = "rejected";
    if (!o || ref <= 0 || !cJSON_IsString(by) || !by->valuestring[0] ||
        strlen(by->valuestring) > GW_CALLSIGN_MAX) {
        j.reason = "bad ACK JSON";
        prc_reply_err(out->reply, PRC_FIELD_FORMAT, "send {\"ref\": \"R1042\", \"by\": \"CALLSIGN\"}");
        goto journal;
    }
    /* A callsign is no secret: a partner with mqtt_ack_secret_file must
     * prove it is the partner (docs/alerts.md). */
    const char *given = cJSON_GetStringValue(secret); /* NULL: none, or not a string */
    if (cp && cp->mqtt_ack_secret[0] && !(given && secret_equal(given, cp->mqtt_ack_secret))) {
        j.reason = "bad or missing secret";
        prc_reply_err(out->reply, PRC_FIELD_AUTH, "wrong or missing secret for %s", partner);
        log_info("ingest", "an MQTT ACK for %s had a wrong or no secret: rejected", partner);
        goto journal;
    }
    rc = store_person_by_callsign(ctx->st, by->valuestring, &j.person);
    if (rc < 0)
        goto done;
    j.has_person = rc == 1;
    rc = 0;
    if (!is_partner(&j) || strcmp(j.person.partner, partner) != 0) {
        j.reason = "not a contact of this partner";
        prc_reply_err(out->reply, PRC_FIELD_AUTH, "%s is not an active %s contact",
                      by->valuestring, partner);
        goto journal;
    }
    snprintf(j.reporter, sizeof j.reporter, "%s", j.person.callsign);
    out->ref = ref;
    enum ingest_ack_status st;
    if (ingest_ack(ctx, ref, partner, j.person.callsign, "mqtt", at, &st)) {
        rc = -1;
        goto done;
    }
    if (st == INGEST_ACK_NO_REPORT) {
        out->outcome = "error";
        j.reason = "REF";
        prc_reply_err(out->reply, PRC_FIELD_REF, "R%lld not found. Check the number", (long long)ref);
    } else if (st == INGEST_ACK_NOT_ALERTED) {
        j.reason = "not alerted";
        prc_reply_err(out->reply, PRC_FIELD_AUTH, "R%lld was not alerted to %s", (long long)ref,
                      partner);
    } else {
        out->outcome = "accepted";
        prc_reply_ref(out->reply, "ACK", (unsigned long long)ref);
    }
journal:
    if (journal(&j))
        rc = -1;
done:
    cJSON_Delete(secret);
    cJSON_free(kept);
    cJSON_Delete(o);
    return rc;
}
