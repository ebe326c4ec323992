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
/* Read side (tools/ctl_reports.c, tools/ctl_stats.c; docs/patrolctl.md). */
int ctl_reports(const ctl_opts *o, int argc, char **argv);
int ctl_show(const ctl_opts *o, int argc, char **argv);
int ctl_export(const ctl_opts *o, int argc, char **argv);
int ctl_stats(const ctl_opts *o, int argc, char **argv);
int ctl_report(const ctl_opts *o, int argc, char **argv);
/* Administration (tools/ctl_admin.c; docs/patrolctl.md). */
int ctl_partners(const ctl_opts *o, int argc, char **argv);
int ctl_tail(const ctl_opts *o, int argc, char **argv);
int ctl_purge(const ctl_opts *o, int argc, char **argv);
int ctl_audit(const ctl_opts *o, int argc, char **argv);
int ctl_backup(const ctl_opts *o, int argc, char **argv);
int ctl_status(const ctl_opts *o, int argc, char **argv);
/* Dashboard accounts (tools/ctl_users.c; docs/dashboard.md). */
int ctl_users(const ctl_opts *o, int argc, char **argv);
/* The SMS send queue: failed, dropped, pending (tools/ctl_sms.c; docs/patrolctl.md). */
int ctl_sms(const ctl_opts *o, int argc, char **argv);
/* Who a change is recorded as in the audit trail: `given` (--actor) if not
 * NULL, else the Unix user running patrolctl. Returns buf, or NULL after
 * printing why (e.g. a bad --actor). */
const char *ctl_actor(const char *given, char *buf, size_t bufsz);

#endif
