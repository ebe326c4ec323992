/* ctl.h: what the patrolctl commands share: options, exit codes, opening the
 * config and the store. One tools/ctl_<command>.c per command group. */
#ifndef CTL_H
#define CTL_H

#include "config.h"
#include "store.h"

#define CTL_DEFAULT_CONFIG "/etc/patrolgw/patrolgw.conf"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct ctl_opts {
    const char *config;   /* --config, NULL for the default */
    const char *db;       /* --db: the store, bypassing the config */
} ctl_opts;

/* Loads the config (--config or the default) into cfg; prints the error. 0 or -1. */
int ctl_load_config(const ctl_opts *o, gw_config *cfg);

/* Opens the store named by --db or by the config. NULL after printing why. */
store *ctl_open_store(const ctl_opts *o, enum store_mode mode);

/* Command groups: argv[0] is the first argument after the command name. */
int ctl_people(const ctl_opts *o, int argc, char **argv);
int ctl_parse(const ctl_opts *o, int argc, char **argv);

#endif
