/* config.c: reads the INI file with libinih into a gw_config. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "phone.h"

typedef struct load_ctx {
    gw_config *cfg;
    char *err;
    size_t errsz;
    int failed;
} load_ctx;

static void http_defaults(cfg_http *h);

void config_defaults(gw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = LOG_INFO;
    snprintf(cfg->store_path, sizeof cfg->store_path, "patrolgw.db");
    cfg->store_sync_full = 1;
    snprintf(cfg->mqtt_host, sizeof cfg->mqtt_host, "127.0.0.1");
    cfg->mqtt_port = 1883;
    snprintf(cfg->mqtt_prefix, sizeof cfg->mqtt_prefix, "patrol");
    snprintf(cfg->mqtt_client_id, sizeof cfg->mqtt_client_id, "patrolgw");
    cfg->mqtt_keepalive = 30;
    cfg->radius_km = 1.0;
    snprintf(cfg->sms.connection, sizeof cfg->sms.connection, "at");
    snprintf(cfg->sms.country_code, sizeof cfg->sms.country_code, "44");
    cfg->sms.poll_ms = 2000;
    cfg->sms.send_per_minute = 10;
    cfg->sms.retry_ms = 30000;
    cfg->sms.retry_max_ms = 600000;
    cfg->sms.give_up_after_s = 6 * 3600;
    cfg->sms.reply_limit = 5;
    cfg->sms.reply_window_s = 600;
    cfg->sms.multipart_timeout_s = 300;
    cfg->sms.delivery_reports = 1;
    cfg->patrol_weekly_hours = 50.0;
    cfg->retention_details_days = 365;
    cfg->retention_phone_days = 90;
    cfg->smtp.tls = 1;
    cfg->smtp.verify_tls = 1;
    cfg->smtp.timeout_ms = 20000;
    cfg->alerts.ack_link_valid_s = 24 * 3600;
    cfg->alerts.notify_reporter = 1;
    cfg->alerts.retry_ms = 5000;
    cfg->alerts.retry_max_ms = 300000;
    cfg->alerts.parallel = 8;
    http_defaults(&cfg->http);
}

const char *config_channel_name(enum cfg_channel ch)
{
    switch (ch) {
    case CH_MQTT: return "mqtt";
    case CH_EMAIL: return "email";
    case CH_WEBHOOK: return "webhook";
    case CH_SMS: return "sms";
    }
    return NULL;
}

int config_channel_bit(const char *name)
{
    static const enum cfg_channel all[] = { CH_MQTT, CH_EMAIL, CH_WEBHOOK, CH_SMS };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(name, config_channel_name(all[i])))
            return (int)all[i];
    return 0;
}

static int fail(load_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(load_ctx *c, const char *fmt, ...)
{
    if (!c->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errsz, fmt, ap);
        va_end(ap);
    }
    c->failed = 1;
    return 0;
}

static int set_str(load_ctx *c, char *dst, size_t dstsz, const char *key, const char *v)
{
    size_t n = strlen(v);
    if (n >= dstsz)
        return fail(c, "%s: value too long (%s)", key, "see docs/config.md");
    memcpy(dst, v, n + 1);
    return 1;
}

/* A path relative to the config file's folder. */
static int set_path(load_ctx *c, char *dst, size_t dstsz, const char *key, const char *v)
{
    if (v[0] == '\0' || v[0] == '/' || c->cfg->dir[0] == '\0')
        return set_str(c, dst, dstsz, key, v);
    int n = snprintf(dst, dstsz, "%s/%s", c->cfg->dir, v);
    if (n < 0 || (size_t)n >= dstsz)
        return fail(c, "%s: path too long (%s)", key, v);
    return 1;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_int(const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

static int parse_priority(const char *v, int *out)
{
    if (v[0] == 'P' || v[0] == 'p')
        v++;
    return parse_int(v, 1, 4, out);
}

/* A duration: "90" or "90s", "15m", "2h", "1d"; seconds in lo..hi. */
static int parse_duration(const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || n < 0)
        return -1;
    long mul = 1;
    if (*end == 'm')
        mul = 60;
    else if (*end == 'h')
        mul = 3600;
    else if (*end == 'd')
        mul = 86400;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end != '\0' && end[1] != '\0')
        return -1;
    if (n > hi / mul || n * mul < lo || n * mul > hi)
        return -1;
    *out = (int)(n * mul);
    return 0;
}

static int parse_hhmm(const char *v, int *min)
{
    int h, m;
    char tail;
    if (sscanf(v, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
        (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

static int parse_day(const char *v, size_t n)
{
    static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    if (n != 3)
        return -1;
    for (int i = 0; i < 7; i++)
        if (!strncasecmp(v, days[i], 3))
            return i;
    return -1;
}

/* One window: "[Mon|Mon-Fri ]HH:MM-HH:MM". */
static int parse_window(char *w, cfg_window *out)
{
    while (*w == ' ' || *w == '\t')
        w++;
    out->days = 0x7f;
    char *sp = strpbrk(w, " \t");
    if (sp) {
        *sp = '\0';
        char *dash = strchr(w, '-');
        int a = parse_day(w, dash ? (size_t)(dash - w) : strlen(w));
        int b = dash ? parse_day(dash + 1, strlen(dash + 1)) : a;
        if (a < 0 || b < 0)
            return -1;
        out->days = 0;
        for (int d = a;; d = (d + 1) % 7) {
            out->days |= 1u << d;
            if (d == b)
                break;
        }
        w = sp + 1;
        while (*w == ' ' || *w == '\t')
            w++;
    }
    char *dash = strchr(w, '-');
    if (!dash)
        return -1;
    *dash = '\0';
    if (parse_hhmm(w, &out->from_min) || parse_hhmm(dash + 1, &out->to_min))
        return -1;
    return out->from_min == out->to_min ? -1 : 0;
}

enum list_kind { LIST_CODES, LIST_PHONES, LIST_WORDS };

/* Splits a space- (or comma-) separated list into fixed slots. Codes and zones
 * are upper-cased; phone numbers are kept as written: they are normalised once
 * the whole file (and so [sms] country_code) is read. */
static int split_list(load_ctx *c, const char *key, const char *v, char *slots, size_t slotsz,
                      int max, int *count, enum list_kind kind)
{
    char buf[2048];
    if (set_str(c, buf, sizeof buf, key, v) == 0)
        return 0;
    *count = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok;
         tok = strtok_r(NULL, " \t,", &save)) {
        if (*count >= max)
            return kind == LIST_PHONES ? fail(c, "%s: too many numbers (max %d)", key, max)
                                       : fail(c, "%s: too many entries (max %d)", key, max);
        size_t n = strlen(tok);
        if (n >= slotsz)
            return kind == LIST_PHONES ? fail(c, "%s: not a phone number (%s)", key, tok)
                                       : fail(c, "%s: entry too long (%s)", key, tok);
        char *slot = slots + (size_t)*count * slotsz;
        for (size_t i = 0; i <= n; i++)
            slot[i] = (char)(kind == LIST_CODES && tok[i] >= 'a' && tok[i] <= 'z' ? tok[i] - 32
                                                                                 : tok[i]);
        (*count)++;
    }
    return 1;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > GW_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

static cfg_network *network_slot(load_ctx *c, const char *name)
{
    gw_config *cfg = c->cfg;
    for (int i = 0; i < cfg->nnetworks; i++)
        if (strcmp(cfg->networks[i].name, name) == 0)
            return &cfg->networks[i];
    if (cfg->nnetworks >= GW_MAX_NETWORKS || !valid_name(name))
        return NULL;
    cfg_network *n = &cfg->networks[cfg->nnetworks++];
    snprintf(n->name, sizeof n->name, "%s", name);
    n->require_registration = 1;
    return n;
}

int config_partner_index(const gw_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->npartners; i++)
        if (strcmp(cfg->partners[i].name, name) == 0)
            return i;
    return -1;
}

const cfg_partner *config_partner(const gw_config *cfg, const char *name)
{
    int i = config_partner_index(cfg, name);
    return i < 0 ? NULL : &cfg->partners[i];
}

static cfg_partner *partner_slot(load_ctx *c, const char *name)
{
    gw_config *cfg = c->cfg;
    int known = config_partner_index(cfg, name);
    if (known >= 0)
        return &cfg->partners[known];
    if (cfg->npartners >= GW_MAX_PARTNERS || !valid_name(name))
        return NULL;
    cfg_partner *p = &cfg->partners[cfg->npartners++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->min_priority = 4;
    p->mqtt = 1;
    p->webhook_timeout_ms = 10000;
    p->webhook_verify_tls = 1;
    p->dead_after_s = 900;
    p->digest_every_s = 900;
    p->digest_from = 3;
    p->sms_alert_limit = 5;
    p->sms_alert_window_s = 60;
    p->chase_to = 1;
    p->resend_after_s = 300;
    p->escalate_after_s = 900;
    p->remind_after_s = 3600;
    return p;
}


static int sms_int(load_ctx *c, const char *key, const char *v, long lo, long hi, int *out)
{
    if (parse_int(v, lo, hi, out))
        return fail(c, "[sms] %s: %s is not %ld..%ld", key, v, lo, hi);
    return 1;
}

static int sms_key(load_ctx *c, const char *key, const char *v)
{
    cfg_sms *s = &c->cfg->sms;
    s->enabled = 1;
    if (!strcmp(key, "device")) {
        /* A device path is absolute (/dev/ttyUSB0); a relative one is the
         * dummy driver's folder, next to the config file. */
        return set_path(c, s->device, sizeof s->device, "[sms] device", v);
    }
    if (!strcmp(key, "connection"))
        return set_str(c, s->connection, sizeof s->connection, "[sms] connection", v);
    if (!strcmp(key, "model"))
        return set_str(c, s->model, sizeof s->model, "[sms] model", v);
    if (!strcmp(key, "gammurc"))
        return set_path(c, s->gammurc, sizeof s->gammurc, "[sms] gammurc", v);
    if (!strcmp(key, "gammurc_section"))
        return sms_int(c, key, v, 0, 99, &s->gammurc_section);
    if (!strcmp(key, "pin_file"))
        return set_path(c, s->pin_file, sizeof s->pin_file, "[sms] pin_file", v);
    if (!strcmp(key, "country_code")) {
        size_t n = strlen(v);
        if (n < 1 || n > 3 || strspn(v, "0123456789") != n || v[0] == '0')
            return fail(c, "[sms] country_code: %s is not %s", v, "1 to 3 digits, e.g. 44");
        return set_str(c, s->country_code, sizeof s->country_code, "[sms] country_code", v);
    }
    if (!strcmp(key, "poll_ms"))
        return sms_int(c, key, v, 10, 600000, &s->poll_ms);
    if (!strcmp(key, "send_per_minute"))
        return sms_int(c, key, v, 1, 6000, &s->send_per_minute);
    if (!strcmp(key, "retry_ms"))
        return sms_int(c, key, v, 100, 3600000, &s->retry_ms);
    if (!strcmp(key, "retry_max_ms"))
        return sms_int(c, key, v, 100, 86400000, &s->retry_max_ms);
    if (!strcmp(key, "give_up_after"))
        return sms_int(c, key, v, 1, 7L * 86400, &s->give_up_after_s);
    if (!strcmp(key, "reply_limit"))
        return sms_int(c, key, v, 0, 10000, &s->reply_limit);
    if (!strcmp(key, "reply_window"))
        return sms_int(c, key, v, 1, 7L * 86400, &s->reply_window_s);
    if (!strcmp(key, "multipart_timeout"))
        return sms_int(c, key, v, 1, 7L * 86400, &s->multipart_timeout_s);
    if (!strcmp(key, "delivery_reports")) {
        if (parse_bool(v, &s->delivery_reports))
            return fail(c, "[sms] delivery_reports: %s is not %s", v, "yes|no");
        return 1;
    }
    if (!strcmp(key, "deny"))
        return split_list(c, "[sms] deny", v, &s->deny[0][0], sizeof s->deny[0],
                          GW_SMS_DENY_MAX, &s->ndeny, LIST_PHONES);
    return fail(c, "unknown key %s in [%s]", key, "sms");
}

static int secret_file(load_ctx *c, char *dst, size_t dstsz, const char *key, const char *v)
{
    char path[GW_PATH_MAX] = "";
    if (set_path(c, path, sizeof path, key, v) == 0)
        return 0;
    if (path[0] == '\0') {
        dst[0] = '\0';
        return 1;
    }
    if (config_read_secret(path, dst, dstsz) || dst[0] == '\0')
        return fail(c, "%s: cannot read a secret from %s", key, path);
    return 1;
}

static int dur_key(load_ctx *c, const char *key, const char *v, long lo, long hi, int *out)
{
    if (parse_duration(v, lo, hi, out))
        return fail(c, "%s: %s is not a duration of %ld..%ld s (e.g. 90s, 15m, 2h)", key, v, lo, hi);
    return 1;
}

/* [partner.NAME] delivery and lifecycle keys (docs/config.md, docs/alerts.md). */
static int partner_key(load_ctx *c, cfg_partner *p, const char *key, const char *v)
{
    if (!strcmp(key, "email"))
        return split_list(c, "email", v, &p->email[0][0], sizeof p->email[0], GW_PARTNER_EMAIL,
                          &p->nemail, LIST_WORDS);
    if (!strcmp(key, "webhook")) {
        if (v[0] && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
            return fail(c, "webhook: %s is not %s", v, "an http:// or https:// URL");
        return set_str(c, p->webhook_url, sizeof p->webhook_url, "webhook", v);
    }
    if (!strcmp(key, "webhook_secret_file"))
        return secret_file(c, p->webhook_secret, sizeof p->webhook_secret, "webhook_secret_file", v);
    if (!strcmp(key, "mqtt_ack_secret_file"))
        return secret_file(c, p->mqtt_ack_secret, sizeof p->mqtt_ack_secret, "mqtt_ack_secret_file",
                           v);
    if (!strcmp(key, "webhook_timeout"))
        return dur_key(c, key, v, 1, 300, &p->webhook_timeout_ms) &&
               (p->webhook_timeout_ms *= 1000, 1);
    if (!strcmp(key, "webhook_verify_tls")) {
        if (parse_bool(v, &p->webhook_verify_tls))
            return fail(c, "webhook_verify_tls: %s is not %s", v, "yes|no");
        return 1;
    }
    if (!strcmp(key, "webhook_ca_file"))
        return set_path(c, p->webhook_ca_file, sizeof p->webhook_ca_file, "webhook_ca_file", v);
    if (!strcmp(key, "fallback")) {
        char names[4][16];
        int n = 0;
        if (!split_list(c, "fallback", v, &names[0][0], sizeof names[0], 4, &n, LIST_WORDS))
            return 0;
        p->fallback = 0;
        for (int i = 0; i < n; i++) {
            int bit = config_channel_bit(names[i]);
            if (!bit || bit == CH_MQTT)
                return fail(c, "fallback: %s is not %s", names[i], "email, webhook or sms");
            p->fallback |= (unsigned)bit;
        }
        return 1;
    }
    if (!strcmp(key, "dead_after"))
        return dur_key(c, key, v, 1, 7L * 86400, &p->dead_after_s);
    if (!strcmp(key, "hours")) {
        char buf[256];
        if (set_str(c, buf, sizeof buf, "hours", v) == 0)
            return 0;
        p->nhours = 0;
        for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            if (p->nhours >= GW_PARTNER_WINDOWS)
                return fail(c, "hours: more than %d windows", GW_PARTNER_WINDOWS);
            if (parse_window(w, &p->hours[p->nhours]))
                return fail(c, "hours: %s is not %s", w, "[Mon-Fri ]HH:MM-HH:MM");
            p->nhours++;
        }
        return 1;
    }
    if (!strcmp(key, "rate_limit")) {
        if (parse_int(v, 0, 100000, &p->rate_limit))
            return fail(c, "rate_limit: %s is not %s", v, "0..100000 alerts a minute");
        return 1;
    }
    if (!strcmp(key, "sms_alert_limit")) {
        if (parse_int(v, 0, 10000, &p->sms_alert_limit))
            return fail(c, "sms_alert_limit: %s is not %s", v, "0..10000 SMS a window");
        return 1;
    }
    if (!strcmp(key, "sms_alert_window"))
        return dur_key(c, key, v, 10, 86400, &p->sms_alert_window_s);
    if (!strcmp(key, "digest_every"))
        return dur_key(c, key, v, 10, 86400, &p->digest_every_s);
    if (!strcmp(key, "digest_from")) {
        if (parse_priority(v, &p->digest_from) || p->digest_from < 2)
            return fail(c, "digest_from: %s is not %s", v, "P2..P4");
        return 1;
    }
    if (!strcmp(key, "chase")) {
        if (!strcasecmp(v, "none")) {
            p->chase_to = 0;
            return 1;
        }
        if (parse_priority(v, &p->chase_to))
            return fail(c, "chase: %s is not %s", v, "none or P1..P4");
        return 1;
    }
    if (!strcmp(key, "resend_after"))
        return dur_key(c, key, v, 0, 7L * 86400, &p->resend_after_s);
    if (!strcmp(key, "escalate_after"))
        return dur_key(c, key, v, 0, 7L * 86400, &p->escalate_after_s);
    if (!strcmp(key, "remind_after"))
        return dur_key(c, key, v, 0, 7L * 86400, &p->remind_after_s);
    if (!strcmp(key, "escalate_to")) {
        /* E-mail addresses and phone numbers, told apart by the '@'. */
        char all[GW_PARTNER_EMAIL + GW_PARTNER_SMS][GW_EMAIL_MAX + 1];
        int n = 0;
        if (!split_list(c, "escalate_to", v, &all[0][0], sizeof all[0],
                        GW_PARTNER_EMAIL + GW_PARTNER_SMS, &n, LIST_WORDS))
            return 0;
        p->nescalate_email = p->nescalate_sms = 0;
        for (int i = 0; i < n; i++) {
            if (strchr(all[i], '@')) {
                if (p->nescalate_email >= GW_PARTNER_EMAIL)
                    return fail(c, "escalate_to: more than %d addresses", GW_PARTNER_EMAIL);
                memcpy(p->escalate_email[p->nescalate_email++], all[i], sizeof all[i]);
            } else {
                if (p->nescalate_sms >= GW_PARTNER_SMS || strlen(all[i]) > GW_PHONE_MAX)
                    return fail(c, "escalate_to: %s is not %s", all[i], "an address or a phone number");
                snprintf(p->escalate_sms[p->nescalate_sms++], sizeof p->escalate_sms[0], "%s", all[i]);
            }
        }
        return 1;
    }
    return fail(c, "unknown key %s in [partner.%s]", key, p->name);
}

static int smtp_key(load_ctx *c, const char *key, const char *v)
{
    cfg_smtp *m = &c->cfg->smtp;
    if (!strcmp(key, "url")) {
        if (v[0] && strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
            return fail(c, "[smtp] url: %s is not %s", v, "smtp://host:port or smtps://host:port");
        return set_str(c, m->url, sizeof m->url, "[smtp] url", v);
    }
    if (!strcmp(key, "from"))
        return set_str(c, m->from, sizeof m->from, "[smtp] from", v);
    if (!strcmp(key, "username"))
        return set_str(c, m->username, sizeof m->username, "[smtp] username", v);
    if (!strcmp(key, "password_file"))
        return secret_file(c, m->password, sizeof m->password, "[smtp] password_file", v);
    if (!strcmp(key, "tls")) {
        if (!strcasecmp(v, "none"))
            m->tls = 0;
        else if (!strcasecmp(v, "starttls"))
            m->tls = 1;
        else if (!strcasecmp(v, "require"))
            m->tls = 2;
        else
            return fail(c, "[smtp] tls: %s is not %s", v, "none|starttls|require");
        return 1;
    }
    if (!strcmp(key, "verify_tls")) {
        if (parse_bool(v, &m->verify_tls))
            return fail(c, "[smtp] verify_tls: %s is not %s", v, "yes|no");
        return 1;
    }
    if (!strcmp(key, "ca_file"))
        return set_path(c, m->ca_file, sizeof m->ca_file, "[smtp] ca_file", v);
    if (!strcmp(key, "timeout"))
        return dur_key(c, "[smtp] timeout", v, 1, 600, &m->timeout_ms) && (m->timeout_ms *= 1000, 1);
    return fail(c, "unknown key %s in [%s]", key, "smtp");
}

static int alerts_key(load_ctx *c, const char *key, const char *v)
{
    cfg_alerts *a = &c->cfg->alerts;
    if (!strcmp(key, "ack_url")) {
        if (v[0] && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
            return fail(c, "[alerts] ack_url: %s is not %s", v, "an http:// or https:// URL");
        return set_str(c, a->ack_url, sizeof a->ack_url, "[alerts] ack_url", v);
    }
    if (!strcmp(key, "ack_secret_file"))
        return secret_file(c, a->ack_secret, sizeof a->ack_secret, "[alerts] ack_secret_file", v);
    if (!strcmp(key, "ack_link_valid"))
        return dur_key(c, "[alerts] ack_link_valid", v, 60, 30L * 86400, &a->ack_link_valid_s);
    if (!strcmp(key, "notify_reporter")) {
        if (parse_bool(v, &a->notify_reporter))
            return fail(c, "[alerts] notify_reporter: %s is not %s", v, "yes|no");
        return 1;
    }
    if (!strcmp(key, "retry")) {
        if (dur_key(c, "[alerts] retry", v, 1, 3600, &a->retry_ms) == 0)
            return 0;
        a->retry_ms *= 1000;
        return 1;
    }
    if (!strcmp(key, "retry_max")) {
        if (dur_key(c, "[alerts] retry_max", v, 1, 86400, &a->retry_max_ms) == 0)
            return 0;
        a->retry_max_ms *= 1000;
        return 1;
    }
    if (!strcmp(key, "parallel")) {
        if (parse_int(v, 1, 64, &a->parallel))
            return fail(c, "[alerts] parallel: %s is not %s", v, "1..64");
        return 1;
    }
    return fail(c, "unknown key %s in [%s]", key, "alerts");
}

/* ---- [http] (the dashboard; docs/dashboard.md) */

static void http_defaults(cfg_http *h)
{
    snprintf(h->listen, sizeof h->listen, "127.0.0.1");
    h->port = 8080;
    snprintf(h->metrics_listen, sizeof h->metrics_listen, "127.0.0.1");
    h->session_lifetime_s = 12 * 3600;
    h->login_max_failures = 5;
    h->login_lockout_s = 15 * 60;
    h->request_timeout_s = 10;
}

/* A numeric IPv4 or IPv6 address (no host names: no resolver at start). */
static int http_address(load_ctx *c, char *dst, size_t dstsz, const char *key, const char *v)
{
    unsigned char a[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1)
        return fail(c, "[http] %s: %s is not %s", key, v, "a numeric IPv4 or IPv6 address");
    return set_str(c, dst, dstsz, key, v);
}

static int http_key(load_ctx *c, const char *key, const char *v)
{
    cfg_http *h = &c->cfg->http;
    h->enabled = 1;
    if (!strcmp(key, "listen"))
        return http_address(c, h->listen, sizeof h->listen, "listen", v);
    if (!strcmp(key, "port")) {
        if (parse_int(v, 1, 65535, &h->port))
            return fail(c, "[http] port: %s is not %s", v, "1..65535");
        return 1;
    }
    if (!strcmp(key, "tls_cert"))
        return set_path(c, h->tls_cert, sizeof h->tls_cert, "[http] tls_cert", v);
    if (!strcmp(key, "tls_key"))
        return set_path(c, h->tls_key, sizeof h->tls_key, "[http] tls_key", v);
    if (!strcmp(key, "behind_https_proxy")) {
        if (parse_bool(v, &h->behind_https_proxy))
            return fail(c, "[http] behind_https_proxy: %s is not %s", v, "yes|no");
        return 1;
    }
    if (!strcmp(key, "metrics_listen"))
        return http_address(c, h->metrics_listen, sizeof h->metrics_listen, "metrics_listen", v);
    if (!strcmp(key, "metrics_port")) {
        if (parse_int(v, 0, 65535, &h->metrics_port))
            return fail(c, "[http] metrics_port: %s is not %s", v, "0..65535");
        return 1;
    }
    if (!strcmp(key, "session_lifetime"))
        return dur_key(c, "[http] session_lifetime", v, 1, 30L * 86400, &h->session_lifetime_s);
    if (!strcmp(key, "login_max_failures")) {
        if (parse_int(v, 1, 1000, &h->login_max_failures))
            return fail(c, "[http] login_max_failures: %s is not %s", v, "1..1000");
        return 1;
    }
    if (!strcmp(key, "login_lockout"))
        return dur_key(c, "[http] login_lockout", v, 1, 86400, &h->login_lockout_s);
    if (!strcmp(key, "request_timeout"))
        return dur_key(c, "[http] request_timeout", v, 1, 300, &h->request_timeout_s);
    return fail(c, "unknown key %s in [%s]", key, "http");
}

/* After the whole file: TLS needs both files. */
static int http_check(const gw_config *cfg, const char *path, char *err, size_t errsz)
{
    const cfg_http *h = &cfg->http;
    if (!h->tls_cert[0] != !h->tls_key[0]) {
        snprintf(err, errsz, "%s: [http] tls_cert and tls_key go together", path);
        return -1;
    }
    if (h->metrics_port && h->metrics_port == h->port && !strcmp(h->metrics_listen, h->listen)) {
        snprintf(err, errsz, "%s: [http] metrics_port is the dashboard's port", path);
        return -1;
    }
    return 0;
}

/* After the whole file: every number to E.164 with [sms] country_code. */
static int normalise_phones(gw_config *cfg, char *err, size_t errsz)
{
    char e164[GW_PHONE_MAX + 1];
    for (int i = 0; i < cfg->npartners; i++) {
        cfg_partner *p = &cfg->partners[i];
        for (int k = 0; k < p->nsms; k++) {
            if (phone_normalise(p->sms[k], cfg->sms.country_code, e164, sizeof e164)) {
                snprintf(err, errsz, "[partner.%s] sms: not a phone number", p->name);
                return -1;
            }
            memcpy(p->sms[k], e164, sizeof e164);
        }
        for (int k = 0; k < p->nescalate_sms; k++) {
            if (phone_normalise(p->escalate_sms[k], cfg->sms.country_code, e164, sizeof e164)) {
                snprintf(err, errsz, "[partner.%s] escalate_to: not a phone number", p->name);
                return -1;
            }
            memcpy(p->escalate_sms[k], e164, sizeof e164);
        }
    }
    for (int k = 0; k < cfg->sms.ndeny; k++) {
        if (phone_normalise(cfg->sms.deny[k], cfg->sms.country_code, e164, sizeof e164)) {
            snprintf(err, errsz, "[sms] deny: not a phone number");
            return -1;
        }
        memcpy(cfg->sms.deny[k], e164, sizeof e164);
    }
    return 0;
}

int config_sms_denied(const gw_config *cfg, const char *e164)
{
    for (int k = 0; k < cfg->sms.ndeny; k++)
        if (strcmp(cfg->sms.deny[k], e164) == 0)
            return 1;
    return 0;
}

static int partner_key(load_ctx *c, cfg_partner *p, const char *key, const char *v);
static int smtp_key(load_ctx *c, const char *key, const char *v);
static int alerts_key(load_ctx *c, const char *key, const char *v);
static int check_partners(const gw_config *cfg, const char *path, char *err, size_t errsz);
static int http_key(load_ctx *c, const char *key, const char *v);

static int handler(void *user, const char *section, const char *key, const char *v)
{
    load_ctx *c = user;
    gw_config *cfg = c->cfg;

    if (c->failed)
        return 0;
    if (!strcmp(section, "gateway")) {
        if (!strcmp(key, "log_level")) {
            int lv = log_level_parse(v);
            if (lv < 0)
                return fail(c, "[gateway] log_level: %s is not %s", v, "error|warn|info|debug");
            cfg->log_level = lv;
            return 1;
        }
        if (!strcmp(key, "timezone"))
            return set_str(c, cfg->timezone, sizeof cfg->timezone, "[gateway] timezone", v);
        if (!strcmp(key, "unit_rate_limit") || !strcmp(key, "network_rate_limit")) {
            int *dst = key[0] == 'u' ? &cfg->unit_rate_limit : &cfg->network_rate_limit;
            if (parse_int(v, 0, 1000000, dst))
                return fail(c, "[gateway] %s: %s is not 0..1000000", key, v);
            return 1;
        }
    } else if (!strcmp(section, "store")) {
        if (!strcmp(key, "path"))
            return set_path(c, cfg->store_path, sizeof cfg->store_path, "[store] path", v);
        if (!strcmp(key, "synchronous")) {
            if (!strcasecmp(v, "full"))
                cfg->store_sync_full = 1;
            else if (!strcasecmp(v, "normal"))
                cfg->store_sync_full = 0;
            else
                return fail(c, "[store] synchronous: %s is not %s", v, "full|normal");
            return 1;
        }
    } else if (!strcmp(section, "mqtt")) {
        if (!strcmp(key, "host"))
            return set_str(c, cfg->mqtt_host, sizeof cfg->mqtt_host, "[mqtt] host", v);
        if (!strcmp(key, "port")) {
            if (parse_int(v, 1, 65535, &cfg->mqtt_port))
                return fail(c, "[mqtt] port: %s is not %s", v, "1..65535");
            return 1;
        }
        if (!strcmp(key, "prefix")) {
            if (v[0] == '\0' || strpbrk(v, "+#") || v[strlen(v) - 1] == '/')
                return fail(c, "[mqtt] prefix: %s is not %s", v, "a topic prefix without + # or a final /");
            return set_str(c, cfg->mqtt_prefix, sizeof cfg->mqtt_prefix, "[mqtt] prefix", v);
        }
        if (!strcmp(key, "client_id"))
            return set_str(c, cfg->mqtt_client_id, sizeof cfg->mqtt_client_id, "[mqtt] client_id", v);
        if (!strcmp(key, "username"))
            return set_str(c, cfg->mqtt_username, sizeof cfg->mqtt_username, "[mqtt] username", v);
        if (!strcmp(key, "password_file"))
            return set_path(c, cfg->mqtt_password_file, sizeof cfg->mqtt_password_file,
                            "[mqtt] password_file", v);
        if (!strcmp(key, "keepalive")) {
            if (parse_int(v, 5, 3600, &cfg->mqtt_keepalive))
                return fail(c, "[mqtt] keepalive: %s is not %s", v, "5..3600 seconds");
            return 1;
        }
    } else if (!strcmp(section, "protocol")) {
        if (!strcmp(key, "codes"))
            return set_path(c, cfg->codes_path, sizeof cfg->codes_path, "[protocol] codes", v);
        if (!strcmp(key, "gazetteer"))
            return set_path(c, cfg->gazetteer_path, sizeof cfg->gazetteer_path,
                            "[protocol] gazetteer", v);
        if (!strcmp(key, "radius_km")) {
            char *end;
            double r = strtod(v, &end);
            if (end == v || *end != '\0' || !(r >= 0.0 && r <= 100.0))
                return fail(c, "[protocol] radius_km: %s is not %s", v, "a number from 0 to 100");
            cfg->radius_km = r;
            return 1;
        }
    } else if (!strcmp(section, "patrol")) {
        if (!strcmp(key, "weekly_hours")) {
            char *end;
            double h = strtod(v, &end);
            if (end == v || *end != '\0' || !(h >= 0.0 && h <= 10000.0))
                return fail(c, "[patrol] weekly_hours: %s is not %s", v, "a number from 0 to 10000");
            cfg->patrol_weekly_hours = h;
            return 1;
        }
    } else if (!strcmp(section, "retention")) {
        /* patrolctl purge: days kept; 0 keeps for ever (docs/config.md). */
        int *days = !strcmp(key, "details_days") ? &cfg->retention_details_days
                    : !strcmp(key, "phone_days") ? &cfg->retention_phone_days
                                                 : NULL;
        if (days) {
            if (parse_int(v, 0, 36500, days))
                return fail(c, "[retention] %s: %s is not 0..36500 days", key, v);
            return 1;
        }
    } else if (!strcmp(section, "sms")) {
        return sms_key(c, key, v);
    } else if (!strncmp(section, "network.", 8)) {
        cfg_network *n = network_slot(c, section + 8);
        if (!n)
            return fail(c, "[%s]: bad network name or too many networks%s", section, "");
        if (!strcmp(key, "require_registration")) {
            if (parse_bool(v, &n->require_registration))
                return fail(c, "require_registration: %s is not %s", v, "yes|no");
            return 1;
        }
    } else if (!strncmp(section, "partner.", 8)) {
        cfg_partner *p = partner_slot(c, section + 8);
        if (!p)
            return fail(c, "[%s]: bad partner name or too many partners%s", section, "");
        if (!strcmp(key, "min_priority")) {
            if (parse_priority(v, &p->min_priority))
                return fail(c, "min_priority: %s is not %s", v, "P1..P4");
            return 1;
        }
        if (!strcmp(key, "codes"))
            return split_list(c, "codes", v, &p->codes[0][0], sizeof p->codes[0], GW_PARTNER_CODES,
                              &p->ncodes, LIST_CODES);
        if (!strcmp(key, "zones"))
            return split_list(c, "zones", v, &p->zones[0][0], sizeof p->zones[0], GW_PARTNER_ZONES,
                              &p->nzones, LIST_CODES);
        if (!strcmp(key, "sms"))
            return split_list(c, "sms", v, &p->sms[0][0], sizeof p->sms[0], GW_PARTNER_SMS,
                              &p->nsms, LIST_PHONES);
        if (!strcmp(key, "mqtt")) {
            if (parse_bool(v, &p->mqtt))
                return fail(c, "mqtt: %s is not %s", v, "yes|no");
            return 1;
        }
        return partner_key(c, p, key, v);
    } else if (!strcmp(section, "smtp")) {
        return smtp_key(c, key, v);
    } else if (!strcmp(section, "alerts")) {
        return alerts_key(c, key, v);
    } else if (!strcmp(section, "http")) {
        return http_key(c, key, v);
    } else {
        return fail(c, "unknown section [%s]%s", section, "");
    }
    return fail(c, "unknown key %s in [%s]", key, section);
}

int config_load(const char *path, gw_config *cfg, char *err, size_t errsz)
{
    load_ctx c = { cfg, err, errsz, 0 };
    char local[GW_PATH_MAX];

    config_defaults(cfg);
    if (snprintf(cfg->path, sizeof cfg->path, "%s", path) >= (int)sizeof cfg->path) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    snprintf(local, sizeof local, "%s", path);
    char *slash = strrchr(local, '/');
    if (slash) {
        *slash = '\0';
        snprintf(cfg->dir, sizeof cfg->dir, "%s", local[0] ? local : "/");
    } else {
        snprintf(cfg->dir, sizeof cfg->dir, ".");
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) > GW_CONFIG_FILE_MAX || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errsz, "%s: larger than %ld bytes", path, GW_CONFIG_FILE_MAX);
        fclose(f);
        return -1;
    }
    char inner[PRC_ERR_MAX] = "";
    c.err = inner;
    c.errsz = sizeof inner;
    int rc = ini_parse_file(f, handler, &c);
    fclose(f);
    if (rc != 0) {
        if (c.failed)
            snprintf(err, errsz, "%s:%d: %s", path, rc, inner);
        else
            snprintf(err, errsz, "%s:%d: syntax error", path, rc);
        return -1;
    }
    if (cfg->store_path[0] == '\0') {
        snprintf(err, errsz, "%s: [store] path is empty", path);
        return -1;
    }
    char perr[PRC_ERR_MAX];
    if (normalise_phones(cfg, perr, sizeof perr)) {
        snprintf(err, errsz, "%s: %s", path, perr);
        return -1;
    }
    if (cfg->sms.enabled && cfg->sms.device[0] == '\0' && cfg->sms.gammurc[0] == '\0') {
        snprintf(err, errsz, "%s: [sms] needs device or gammurc", path);
        return -1;
    }
    if (http_check(cfg, path, err, errsz))
        return -1;
    return check_partners(cfg, path, err, errsz);
}

/* What each partner's channels need from the rest of the file. */
static int check_partners(const gw_config *cfg, const char *path, char *err, size_t errsz)
{
    if (cfg->alerts.ack_url[0] && !cfg->alerts.ack_secret[0]) {
        snprintf(err, errsz, "%s: [alerts] ack_url needs ack_secret_file", path);
        return -1;
    }
    for (int i = 0; i < cfg->npartners; i++) {
        const cfg_partner *p = &cfg->partners[i];
        const char *why = NULL;
        if ((p->nemail || p->nescalate_email) && !cfg->smtp.url[0])
            why = "e-mail needs an [smtp] url";
        else if ((p->nemail || p->nescalate_email) && !cfg->smtp.from[0])
            why = "e-mail needs an [smtp] from address";
        else if ((p->nsms || p->nescalate_sms) && !cfg->sms.enabled)
            why = "SMS needs an [sms] section";
        else if (p->webhook_url[0] && !p->webhook_secret[0])
            why = "webhook needs webhook_secret_file";
        else if ((p->fallback & CH_EMAIL) && !p->nemail)
            why = "fallback email needs email";
        else if ((p->fallback & CH_WEBHOOK) && !p->webhook_url[0])
            why = "fallback webhook needs webhook";
        else if ((p->fallback & CH_SMS) && !p->nsms)
            why = "fallback sms needs sms";
        if (why) {
            snprintf(err, errsz, "%s: [partner.%s] %s", path, p->name, why);
            return -1;
        }
    }
    return 0;
}

int config_requires_registration(const gw_config *cfg, const char *network)
{
    for (int i = 0; i < cfg->nnetworks; i++)
        if (strcmp(cfg->networks[i].name, network) == 0)
            return cfg->networks[i].require_registration;
    return 1;
}

int config_read_secret(const char *path, char *out, size_t outsz)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = fgets(out, (int)outsz, f);
    fclose(f);
    if (!line)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* Local day of week (0 = Monday) and minute of the day of `at`. */
static void local_dow_min(int64_t at, int *dow, int *min)
{
    time_t t = (time_t)(at / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    *dow = (tm.tm_wday + 6) % 7;
    *min = tm.tm_hour * 60 + tm.tm_min;
}

int config_in_hours(const cfg_partner *p, int64_t at)
{
    if (p->nhours == 0)
        return 1;
    int dow, min;
    local_dow_min(at, &dow, &min);
    for (int i = 0; i < p->nhours; i++) {
        const cfg_window *w = &p->hours[i];
        if (w->from_min < w->to_min) {
            if ((w->days & (1u << dow)) && min >= w->from_min && min < w->to_min)
                return 1;
        } else {
            /* Past midnight: the part after midnight belongs to the day before. */
            int yesterday = (dow + 6) % 7;
            if (((w->days & (1u << dow)) && min >= w->from_min) ||
                ((w->days & (1u << yesterday)) && min < w->to_min))
                return 1;
        }
    }
    return 0;
}

int64_t config_hours_start(const cfg_partner *p, int64_t at)
{
    if (config_in_hours(p, at))
        return at;
    /* Minute steps up to a week ahead: windows start on a minute. */
    int64_t t = at - at % 60000 + 60000;
    for (int i = 0; i < 8 * 24 * 60; i++, t += 60000)
        if (config_in_hours(p, t))
            return t;
    return at;
}
