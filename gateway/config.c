/* config.c: reads the INI file with libinih into a gw_config. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "phone.h"

typedef struct load_ctx {
    gw_config *cfg;
    char *err;
    size_t errsz;
    int failed;
} load_ctx;

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

enum list_kind { LIST_CODES, LIST_PHONES };

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
                                       : fail(c, "%s: too many entries (%s)", key, v);
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

static cfg_partner *partner_slot(load_ctx *c, const char *name)
{
    gw_config *cfg = c->cfg;
    for (int i = 0; i < cfg->npartners; i++)
        if (strcmp(cfg->partners[i].name, name) == 0)
            return &cfg->partners[i];
    if (cfg->npartners >= GW_MAX_PARTNERS || !valid_name(name))
        return NULL;
    cfg_partner *p = &cfg->partners[cfg->npartners++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->min_priority = 4;
    p->mqtt = 1;
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
