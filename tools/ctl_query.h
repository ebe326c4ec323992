/* ctl_query.h: what the read-side commands of patrolctl share (reports, show,
 * export in ctl_reports.c; stats, report in ctl_stats.c): the config (time
 * zone, tables, commitment), the read-only store, the report filters and the
 * output helpers. Defined in ctl_reports.c. */
#ifndef CTL_QUERY_H
#define CTL_QUERY_H

#include <stdio.h>

#include "ctl.h"
#include "query.h"
#include "store_query.h"
#include "tables.h"

/* The config, its tables and the store, opened read-only. */
typedef struct ctl_qenv {
    gw_config *cfg;       /* owned; defaults when only --db was given */
    gw_tables tables;     /* owned: the code table and gazetteer */
    store *st;            /* owned, read-only */
} ctl_qenv;

/* Loads the config (--config, or the default unless --db alone was given),
 * applies its time zone (TZ), loads its tables. With open_store, opens the
 * store read-only. 0, or -1 after printing why (e is then closed). */
int ctl_qenv_open(const ctl_opts *o, ctl_qenv *e, int open_store);
void ctl_qenv_close(ctl_qenv *e); /* accepts a zeroed or closed env */

/* The filter options as typed. */
typedef struct ctl_filter_args {
    const char *since, *until, *zone, *code, *priority, *status, *reporter;
} ctl_filter_args;

/* 1 if argv[*i] is a filter option (its value consumed: *i advanced), 0 if it
 * is not, -1 when its value is missing (printed). */
int ctl_filter_opt(ctl_filter_args *a, int argc, char **argv, int *i);

/* A resolved filter; f's strings point into this struct or into the args. */
typedef struct ctl_filter {
    query_filter f;
    char zone[PRC_ZONE_MAX + 1];
    char code[PRC_CODE_MAX + 1];
} ctl_filter;

/* Checks and resolves the typed filters (times in the config's time zone, code
 * aliases to their code, upper case). 0, or -1 after printing why. */
int ctl_filter_resolve(const ctl_filter_args *a, const ctl_qenv *e, ctl_filter *out);

/* Text helpers. */
void ctl_local_time(int64_t ms, char *out, size_t outsz);   /* "2026-10-05 09:01:02" */
void ctl_csv_field(FILE *f, const char *s); /* quoted when needed; formulas defused */
void ctl_html_text(FILE *f, const char *s);                 /* &, <, >, " escaped */
/* The name of a code or a zone from the tables; "" when unknown. */
const char *ctl_code_name(const ctl_qenv *e, const char *code);
const char *ctl_zone_name(const ctl_qenv *e, const char *zone);

#endif
