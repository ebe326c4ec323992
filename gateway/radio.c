/* radio.c: radio-bridge messages over MQTT: decode, validate, reply. */
#include "radio.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prc_utf8.h"

/* A topic level usable as a network or unit name: printable ASCII, no MQTT wildcards. */
static int copy_level(const char *s, size_t n, char *out, size_t outsz)
{
    if (n == 0 || n >= outsz)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == '+' || s[i] == '#' ||
            s[i] == '/')
            return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static void reject(radio_msg *m, const char *reason, const char *reply)
{
    m->reject_reason = reason;
    m->reject_reply = reply;
    free(m->text);
    m->text = NULL;
    m->text_len = 0;
}

static int json_string(const cJSON *o, const char *key, char *out, size_t outsz, int *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *present = v != NULL && !cJSON_IsNull(v);
    if (!*present)
        return 0;
    if (cJSON_IsString(v) && v->valuestring) {
        size_t n = strlen(v->valuestring);
        if (n >= outsz)
            return -1;
        memcpy(out, v->valuestring, n + 1);
        return 0;
    }
    /* Integers only while a double holds them exactly: two ids must never
     * merge. 2^53 itself is out: 2^53 + 1 is read as 2^53. The range is
     * checked first: the cast of a larger double is undefined. */
    if (cJSON_IsNumber(v) && v->valuedouble > -9007199254740992.0 &&
        v->valuedouble < 9007199254740992.0 &&
        v->valuedouble == (double)(long long)v->valuedouble) {
        int w = snprintf(out, outsz, "%lld", (long long)v->valuedouble);
        return (w < 0 || (size_t)w >= outsz) ? -1 : 0;
    }
    return -1;
}

static void decode_json(radio_msg *m, const gw_config *cfg)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(m->payload, m->payload_len, &end, 0);
    int present;
    char unit[GW_UNIT_MAX + 1], named[GW_UNIT_MAX + 1];

    /* Anything but white space after the object is not a valid envelope. */
    while (o && end && (size_t)(end - m->payload) < m->payload_len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (!o || !cJSON_IsObject(o) || (end && (size_t)(end - m->payload) < m->payload_len)) {
        reject(m, "bad JSON", "payload is not a JSON object. Send PRC/1 text or {\"text\":...}");
        goto done;
    }
    if (json_string(o, "msg_id", m->msg_id, sizeof m->msg_id, &present)) {
        reject(m, "bad msg_id", "msg_id must be a string of at most 64 chars");
        goto done;
    }
    if (json_string(o, "bridge", m->bridge, sizeof m->bridge, &present) ||
        json_string(o, "ts", m->ts, sizeof m->ts, &present)) {
        reject(m, "bad bridge or ts", "bridge and ts must be short strings");
        goto done;
    }
    if (json_string(o, "unit", unit, sizeof unit, &present) ||
        (present && copy_level(unit, strlen(unit), named, sizeof named))) {
        reject(m, "bad unit", "unit must be a short name without spaces");
        goto done;
    }
    if (present && strcmp(named, m->unit) != 0) {
        if (!cfg || config_requires_registration(cfg, m->network)) {
            reject(m, "unit differs from topic",
                   "unit is not this topic's unit. Publish on in/<network>/<your unit>");
            m->reject_auth = 1;
            goto done;
        }
        memcpy(m->unit, named, sizeof named);
        m->unit_claimed = 1;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
    if (!cJSON_IsString(t) || !t->valuestring) {
        /* Our own reply ({"msg_id", "ref", "reply"}) republished into "in" by
         * a bridge: journaled, never answered, or the two would loop for ever. */
        if (!cJSON_HasObjectItem(o, "text") && cJSON_HasObjectItem(o, "reply")) {
            reject(m, "reply echoed", NULL);
            goto done;
        }
        reject(m, "no text", "JSON needs a \"text\" string with the PRC/1 message");
        goto done;
    }
    size_t n = strlen(t->valuestring);
    m->text = malloc(n + 1);
    if (!m->text) {
        reject(m, "out of memory", "gateway busy, send again");
        goto done;
    }
    memcpy(m->text, t->valuestring, n + 1);
    m->text_len = n;
done:
    cJSON_Delete(o);
}

int radio_decode(const char *prefix, const char *topic, const void *payload, size_t len,
                 int64_t now, const gw_config *cfg, radio_msg *out)
{
    memset(out, 0, sizeof *out);
    size_t pl = strlen(prefix);
    if (strncmp(topic, prefix, pl) != 0 || strncmp(topic + pl, "/in/", 4) != 0)
        return -1;
    const char *net = topic + pl + 4;
    const char *slash = strchr(net, '/');
    if (!slash || strchr(slash + 1, '/'))
        return -1;
    out->received_at = now;
    size_t keep = len > RADIO_KEEP_MAX ? RADIO_KEEP_MAX : len;
    out->payload = malloc(keep + 1);
    if (!out->payload)
        return -1;
    if (keep)
        memcpy(out->payload, payload, keep);
    out->payload[keep] = '\0';
    out->payload_len = keep;
    if (copy_level(net, (size_t)(slash - net), out->network, sizeof out->network) ||
        copy_level(slash + 1, strlen(slash + 1), out->unit, sizeof out->unit)) {
        snprintf(out->network, sizeof out->network, "?");
        snprintf(out->unit, sizeof out->unit, "?");
        reject(out, "bad topic", "network and unit names must be short, without spaces");
        goto sender;
    }
    memcpy(out->topic_unit, out->unit, sizeof out->unit);
    if (len > GW_RADIO_PAYLOAD_MAX) {
        reject(out, "payload over 4096 bytes", "message too large (max 4096 bytes)");
        goto sender;
    }
    if (!prc_utf8_valid(out->payload, out->payload_len)) {
        reject(out, "bad UTF-8", "not valid text (UTF-8). Send PRC/1 text");
        goto sender;
    }
    size_t i = 0;
    while (i < keep && (out->payload[i] == ' ' || out->payload[i] == '\t' ||
                        out->payload[i] == '\r' || out->payload[i] == '\n'))
        i++;
    /* PRC/1 text never starts with '{' or '[': such a payload is JSON. */
    if (i < keep && (out->payload[i] == '{' || out->payload[i] == '[')) {
        out->is_json = 1;
        decode_json(out, cfg);
    } else {
        out->text = malloc(keep + 1);
        if (!out->text) {
            reject(out, "out of memory", "gateway busy, send again");
            goto sender;
        }
        memcpy(out->text, out->payload, keep + 1);
        out->text_len = keep;
    }
sender:
    if (!out->topic_unit[0])
        memcpy(out->topic_unit, out->unit, sizeof out->unit);
    snprintf(out->sender, sizeof out->sender, "%s/%s", out->network, out->unit);
    return 0;
}

void radio_msg_clear(radio_msg *m)
{
    free(m->payload);
    free(m->text);
    m->payload = NULL;
    m->text = NULL;
}

void radio_to_ingest(const radio_msg *m, ingest_in *in)
{
    memset(in, 0, sizeof *in);
    in->channel = "radio";
    in->network = m->network;
    in->unit = m->unit;
    in->topic_unit = m->topic_unit;
    in->unit_claimed = m->unit_claimed;
    in->sender = m->sender;
    in->bridge = m->bridge[0] ? m->bridge : NULL;
    in->msg_id = m->msg_id[0] ? m->msg_id : NULL;
    in->bridge_ts = m->ts[0] ? m->ts : NULL;
    in->payload = m->payload;
    in->payload_len = m->payload_len;
    in->text = m->text;
    in->text_len = m->text_len;
    in->reject_reason = m->reject_reason;
    in->reject_reply = m->reject_reply;
    in->reject_auth = m->reject_auth;
    in->received_at = m->received_at;
}

int radio_reply(const char *prefix, const radio_msg *m, const ingest_out *o, char *topic,
                size_t topicsz, char **payload, size_t *len)
{
    if (!o->reply[0] || strcmp(m->network, "?") == 0)
        return -1;
    int n = snprintf(topic, topicsz, "%s/out/%s/%s", prefix, m->network, m->unit);
    if (n < 0 || (size_t)n >= topicsz)
        return -1;
    if (!m->is_json) {
        *payload = strdup(o->reply);
        *len = *payload ? strlen(*payload) : 0;
        return *payload ? 0 : -1;
    }
    cJSON *r = cJSON_CreateObject();
    char ref[24];
    snprintf(ref, sizeof ref, "R%lld", (long long)o->ref);
    if (!r ||
        !(m->msg_id[0] ? cJSON_AddStringToObject(r, "msg_id", m->msg_id)
                       : cJSON_AddNullToObject(r, "msg_id")) ||
        !(o->ref > 0 ? cJSON_AddStringToObject(r, "ref", ref) : cJSON_AddNullToObject(r, "ref")) ||
        !cJSON_AddStringToObject(r, "reply", o->reply)) {
        cJSON_Delete(r);
        return -1;
    }
    *payload = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    *len = *payload ? strlen(*payload) : 0;
    return *payload ? 0 : -1;
}
