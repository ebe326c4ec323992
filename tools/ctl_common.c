/* ctl_common.c: config and store access for patrolctl commands. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

int ctl_load_config(const ctl_opts *o, gw_config *cfg)
{
    char err[PRC_ERR_MAX * 2];
    if (config_load(o->config ? o->config : CTL_DEFAULT_CONFIG, cfg, err, sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        return -1;
    }
    return 0;
}

store *ctl_open_store(const ctl_opts *o, enum store_mode mode)
{
    char err[PRC_ERR_MAX * 2];
    char path[GW_PATH_MAX];

    if (o->db) {
        snprintf(path, sizeof path, "%s", o->db);
    } else {
        gw_config *cfg = calloc(1, sizeof *cfg);
        if (!cfg) {
            fprintf(stderr, "patrolctl: out of memory\n");
            return NULL;
        }
        if (ctl_load_config(o, cfg)) {
            free(cfg);
            return NULL;
        }
        snprintf(path, sizeof path, "%s", cfg->store_path);
        free(cfg);
    }
    store *s = store_open(path, mode, 1, err, sizeof err);
    if (!s)
        fprintf(stderr, "patrolctl: %s\n", err);
    return s;
}
