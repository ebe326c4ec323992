/* config.h: the patrolgw INI file (docs/config.md documents every key). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "prc_limits.h"

/* Duty phones of one partner ([partner.NAME] sms); the deny list ([sms] deny). */
#define GW_PARTNER_SMS 8
#define GW_SMS_DENY_MAX 64
/* E-mail recipients of one partner ([partner.NAME] email, escalate_to). */
#define GW_PARTNER_EMAIL 8
#define GW_EMAIL_MAX 254
#define GW_URL_MAX 512
#define GW_SECRET_MAX 256
/* [partner.NAME] hours: time windows. */
#define GW_PARTNER_WINDOWS 8

/* Delivery channels, as bits (cfg_partner.fallback) and outbox channel names. */
enum cfg_channel { CH_MQTT = 1, CH_EMAIL = 2, CH_WEBHOOK = 4, CH_SMS = 8 };
/* "mqtt", "email", "webhook", "sms"; NULL for anything else. */
const char *config_channel_name(enum cfg_channel ch);
/* The bit of a channel name, 0 if unknown. */
int config_channel_bit(const char *name);

/* One window of [partner.NAME] hours: days (bit 0 = Monday ... bit 6 = Sunday),
 * from and to in minutes after local midnight; to <= from runs past midnight. */
typedef struct cfg_window {
    unsigned days;
    int from_min, to_min;
} cfg_window;

/* [network.NAME] */
typedef struct cfg_network {
    char name[GW_NAME_MAX + 1];
    int require_registration; /* 1: only registered units may report */
} cfg_network;

/* [partner.NAME]: who gets which alerts. */
typedef struct cfg_partner {
    char name[GW_NAME_MAX + 1];
    int min_priority;                                  /* alerts for P1..P<min_priority> */
    char codes[GW_PARTNER_CODES][PRC_CODE_MAX + 1];    /* canonical codes; none = all */
    int ncodes;
    char zones[GW_PARTNER_ZONES][PRC_ZONE_MAX + 1];    /* zone codes; none = all */
    int nzones;
    int mqtt;                                          /* 1: alerts on <prefix>/alerts/<name> */
    char sms[GW_PARTNER_SMS][GW_PHONE_MAX + 1];        /* duty phones (E.164) alerted by SMS */
    int nsms;
    /* E-mail ([smtp] must be set) and webhook deliveries. */
    char email[GW_PARTNER_EMAIL][GW_EMAIL_MAX + 1];    /* recipients */
    int nemail;
    char webhook_url[GW_URL_MAX];                      /* http(s)://...; "" = none */
    char webhook_secret[GW_SECRET_MAX];                /* HMAC key, from webhook_secret_file */
    char mqtt_ack_secret[GW_SECRET_MAX];               /* from mqtt_ack_secret_file; "" = none */
    int webhook_timeout_ms;
    int webhook_verify_tls;                            /* 1 (default): verify the certificate */
    char webhook_ca_file[GW_PATH_MAX];                 /* "" = the system's CAs */
    /* The alert lifecycle (docs/alerts.md). */
    unsigned fallback;           /* channel bits used only once another channel dead-letters */
    int dead_after_s;            /* a delivery still failing after this is dead-lettered */
    cfg_window hours[GW_PARTNER_WINDOWS];              /* none = always in hours */
    int nhours;
    int rate_limit;              /* alerts a minute before P3-P4 go to a digest; 0 = none */
    int digest_every_s;          /* digest period when over the rate limit */
    int digest_from;             /* priorities >= this are digested (default 3) */
    int sms_alert_limit;         /* duty-phone alert SMS a window, then one digest; 0 = none */
    int sms_alert_window_s;      /* ...that window (and the digest's period) */
    int chase_to;                /* P1..P<chase_to> are chased until acknowledged; 0 = none */
    int resend_after_s;          /* T1: not acknowledged: re-sent (0 = never) */
    int escalate_after_s;        /* T2: not acknowledged: to the escalation contacts (0 = never) */
    int remind_after_s;          /* T3: acknowledged, not cleared: reminded (0 = never) */
    char escalate_email[GW_PARTNER_EMAIL][GW_EMAIL_MAX + 1];
    int nescalate_email;
    char escalate_sms[GW_PARTNER_SMS][GW_PHONE_MAX + 1];
    int nescalate_sms;
} cfg_partner;

/* [smtp]: the mail server alerts are sent through (libcurl). */
typedef struct cfg_smtp {
    char url[GW_URL_MAX];        /* smtp://host:port (STARTTLS per tls) or smtps://host:port */
    char from[GW_EMAIL_MAX + 1];
    char username[GW_NAME_MAX * 4];
    char password[GW_SECRET_MAX];/* from password_file */
    int tls;                     /* 0 none, 1 STARTTLS if offered, 2 STARTTLS required */
    int verify_tls;              /* 1 (default) */
    char ca_file[GW_PATH_MAX];
    int timeout_ms;
} cfg_smtp;

/* [alerts]: settings of the alert lifecycle that are not per partner. */
typedef struct cfg_alerts {
    char ack_url[GW_URL_MAX];    /* base of signed ACK links, e.g. https://host/ack; "" = none */
    char ack_secret[GW_SECRET_MAX]; /* from ack_secret_file */
    int ack_link_valid_s;
    int notify_reporter;         /* 1: the reporter is told of the first ACK of each partner */
    int retry_ms, retry_max_ms;  /* email/webhook backoff: first, cap (with jitter) */
    int parallel;                /* email/webhook transfers at once */
} cfg_alerts;

/* [sms]: the GSM modem (docs/sms.md). Absent section: no SMS channel at all. */
typedef struct cfg_sms {
    int enabled;                      /* 1 when the file has an [sms] section */
    char device[GW_PATH_MAX];         /* /dev/ttyUSB0, or the dummy driver's folder */
    char connection[64];              /* libgammu connection, e.g. at, at115200, none */
    char model[50];                   /* libgammu model, "" = auto, "dummy" for tests */
    char gammurc[GW_PATH_MAX];        /* a gammurc file instead of the three above */
    int gammurc_section;              /* its [gammuN] section, 0 = [gammu] */
    char pin_file[GW_PATH_MAX];       /* the SIM PIN, first line; "" = none */
    char country_code[8];             /* for national numbers, "44" */
    int poll_ms;                      /* how often the modem's memory is read */
    int send_per_minute;              /* SMS sent at most, per modem */
    int retry_ms, retry_max_ms;       /* backoff after a failed send: first, cap */
    int give_up_after_s;              /* a send not done by then is failed */
    int reply_limit, reply_window_s;  /* replies to one number per window */
    int multipart_timeout_s;          /* wait this long for missing parts */
    int delivery_reports;             /* 1: ask the network for delivery reports */
    char deny[GW_SMS_DENY_MAX][GW_PHONE_MAX + 1]; /* numbers kept but never answered */
    int ndeny;
} cfg_sms;

/* [http]: the duty dashboard, /metrics and /healthz (docs/dashboard.md).
 * Absent section: no web server at all. */
typedef struct cfg_http {
    int enabled;                      /* 1 when the file has an [http] section */
    char listen[GW_HOST_MAX + 1];     /* numeric IPv4/IPv6 address; default 127.0.0.1 */
    int port;                         /* default 8080 */
    char tls_cert[GW_PATH_MAX];       /* PEM files: HTTPS (GnuTLS); "" = plain HTTP */
    char tls_key[GW_PATH_MAX];
    int behind_https_proxy;           /* 1: cookies are Secure although we speak HTTP */
    char metrics_listen[GW_HOST_MAX + 1]; /* /metrics and /healthz on their own address */
    int metrics_port;                 /* 0 (default): on the main listener */
    int session_lifetime_s;           /* a login lasts this long (default 12h) */
    int login_max_failures;           /* failures before a name or address is locked out */
    int login_lockout_s;              /* ...for this long (also the counting window) */
    int request_timeout_s;            /* a request must arrive whole within this (default 10 s) */
} cfg_http;

typedef struct gw_config {
    char path[GW_PATH_MAX];          /* the file read */
    char dir[GW_PATH_MAX];           /* its folder: base of relative paths */
    int log_level;                   /* enum log_level */
    char timezone[64];               /* for HH:MM in replies; "" = the system's */
    int unit_rate_limit;             /* messages a minute from one sender; 0 = no limit */
    int network_rate_limit;          /* ...from one radio network; 0 = no limit */
    char store_path[GW_PATH_MAX];
    int store_sync_full;             /* 1: synchronous=FULL (fsync on every commit) */
    char mqtt_host[GW_HOST_MAX + 1];
    int mqtt_port;
    char mqtt_prefix[GW_PREFIX_MAX + 1];
    char mqtt_client_id[GW_NAME_MAX * 2 + 1];
    char mqtt_username[GW_NAME_MAX * 2 + 1];
    char mqtt_password_file[GW_PATH_MAX];
    int mqtt_keepalive;              /* seconds */
    char codes_path[GW_PATH_MAX];    /* "" = built-in table */
    char gazetteer_path[GW_PATH_MAX];/* "" = no gazetteer */
    double radius_km;
    double patrol_weekly_hours;      /* [patrol] weekly_hours: commissioned hours a week */
    int retention_details_days;      /* [retention] details_days: 0 = keep */
    int retention_phone_days;        /* [retention] phone_days: 0 = keep */
    cfg_network networks[GW_MAX_NETWORKS];
    int nnetworks;
    cfg_partner partners[GW_MAX_PARTNERS];
    int npartners;
    cfg_sms sms;
    cfg_smtp smtp;
    cfg_alerts alerts;
    cfg_http http;
} gw_config;

/* Fills cfg (caller-allocated) from the file at path, defaults first.
 * 0 on success; -1 with a reason naming file and line in err. */
int config_load(const char *path, gw_config *cfg, char *err, size_t errsz);

/* Sets every default (what a missing key means). */
void config_defaults(gw_config *cfg);

/* The index of the partner named in cfg->partners, -1 if none. */
int config_partner_index(const gw_config *cfg, const char *name);
/* The partner named, or NULL. */
const cfg_partner *config_partner(const gw_config *cfg, const char *name);

/* 1 if units of this network must be registered (networks the config does not name do). */
int config_requires_registration(const gw_config *cfg, const char *network);

/* Reads the first line of a secret file into out (trailing newline removed). 0 or -1. */
int config_read_secret(const char *path, char *out, size_t outsz);

/* 1 if local time `at` (Unix ms) is inside p's hours (always when it has none). */
int config_in_hours(const cfg_partner *p, int64_t at);
/* The next Unix ms after `at` when p's hours begin (at itself if in hours). */
int64_t config_hours_start(const cfg_partner *p, int64_t at);

/* 1 if the E.164 number is on the [sms] deny list. */
int config_sms_denied(const gw_config *cfg, const char *e164);

#endif
