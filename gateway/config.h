/* config.h: the patrolgw INI file (docs/config.md documents every key). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include "prc_limits.h"

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
} cfg_partner;

typedef struct gw_config {
    char path[GW_PATH_MAX];          /* the file read */
    char dir[GW_PATH_MAX];           /* its folder: base of relative paths */
    int log_level;                   /* enum log_level */
    char timezone[64];               /* for HH:MM in replies; "" = the system's */
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
    cfg_network networks[GW_MAX_NETWORKS];
    int nnetworks;
    cfg_partner partners[GW_MAX_PARTNERS];
    int npartners;
} gw_config;

/* Fills cfg (caller-allocated) from the file at path, defaults first.
 * 0 on success; -1 with a reason naming file and line in err. */
int config_load(const char *path, gw_config *cfg, char *err, size_t errsz);

/* Sets every default (what a missing key means). */
void config_defaults(gw_config *cfg);

/* 1 if units of this network must be registered (networks the config does not name do). */
int config_requires_registration(const gw_config *cfg, const char *network);

/* Reads the first line of a secret file into out (trailing newline removed). 0 or -1. */
int config_read_secret(const char *path, char *out, size_t outsz);

#endif
