/* ctl_stats.c: patrolctl stats (the partnership's figures as tables, CSV or
 * JSON) and patrolctl report (one month as a self-contained HTML page with
 * inline SVG charts). The figures come from query_stats_run (gateway/query.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctl_query.h"

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

/* ------------------------------------------------------------ stats */

enum stats_fmt { SF_TABLE, SF_CSV, SF_JSON };

static const char *const TABLES[] = { "incidents", "priority", "channel", "acks",
                                      "hours",     "weeks",    "messages" };
enum { T_INCIDENTS, T_PRIORITY, T_CHANNEL, T_ACKS, T_HOURS, T_WEEKS, T_MESSAGES, T_COUNT };

/* "3m05s", "1h02m", "41s" */
static void duration_text(double s, char *out, size_t outsz)
{
    long v = (long)round(s);
    if (v < 60)
        snprintf(out, outsz, "%lds", v);
    else if (v < 3600)
        snprintf(out, outsz, "%ldm%02lds", v / 60, v % 60);
    else
        snprintf(out, outsz, "%ldh%02ldm", v / 3600, (v % 3600) / 60);
}

static double percent(double part, double whole)
{
    return whole > 0.0 ? round_to(100.0 * part / whole, 0.1) : 0.0;
}

static void csv_table(FILE *f, const query_stats *st, int t)
{
    switch (t) {
    case T_INCIDENTS:
        fputs("period,zone,code,count\n", f);
        for (size_t i = 0; i < st->nincidents; i++) {
            const query_incidents_row *r = &st->incidents[i];
            fprintf(f, "%s,", r->period);
            ctl_csv_field(f, r->zone);
            fputc(',', f);
            ctl_csv_field(f, r->code);
            fprintf(f, ",%ld\n", r->n);
        }
        break;
    case T_PRIORITY:
        fputs("priority,count\n", f);
        for (int p = 1; p <= 4; p++)
            fprintf(f, "P%d,%ld\n", p, st->by_priority[p]);
        break;
    case T_CHANNEL:
        fputs("channel,count\n", f);
        for (size_t i = 0; i < st->nchannels; i++) {
            ctl_csv_field(f, st->channels[i].channel);
            fprintf(f, ",%ld\n", st->channels[i].n);
        }
        break;
    case T_ACKS:
        fputs("partner,alerted,acked,median_s,p90_s\n", f);
        for (size_t i = 0; i < st->nacks; i++) {
            const query_ack_row *r = &st->acks[i];
            ctl_csv_field(f, r->partner);
            fprintf(f, ",%ld,%ld,%.1f,%.1f\n", r->alerted, r->acked, r->median_s, r->p90_s);
        }
        break;
    case T_HOURS:
        fputs("week,zone,shifts,hours\n", f);
        for (size_t i = 0; i < st->nhours; i++) {
            const query_hours_row *r = &st->hours[i];
            fprintf(f, "%s,", r->week);
            ctl_csv_field(f, r->zone);
            fprintf(f, ",%ld,%.2f\n", r->shifts, r->hours);
        }
        break;
    case T_WEEKS:
        fputs("week,days,hours,commitment,percent\n", f);
        for (size_t i = 0; i < st->nweeks; i++) {
            const query_week_row *r = &st->weeks[i];
            fprintf(f, "%s,%d,%.2f,%.2f,%.1f\n", r->week, r->days, r->hours, r->commitment,
                    percent(r->hours, r->commitment));
        }
        break;
    default:
        fputs("outcome,reason,answered,count\n", f);
        for (size_t i = 0; i < st->nreasons; i++) {
            const query_reason_row *r = &st->reasons[i];
            ctl_csv_field(f, r->outcome);
            fputc(',', f);
            ctl_csv_field(f, r->reason);
            fprintf(f, ",%s,%ld\n", r->answered ? "yes" : "no", r->n);
        }
        break;
    }
}

static void text_table(FILE *f, const query_stats *st, int t, enum query_period period)
{
    char a[32], b[32];
    switch (t) {
    case T_INCIDENTS:
        fprintf(f, "Incidents by zone, code and %s\n", period == QUERY_MONTH ? "month" : "week");
        fprintf(f, "  %-9s %-8s %-8s %6s\n", period == QUERY_MONTH ? "MONTH" : "WEEK", "ZONE",
                "CODE", "COUNT");
        for (size_t i = 0; i < st->nincidents; i++) {
            const query_incidents_row *r = &st->incidents[i];
            fprintf(f, "  %-9s %-8s %-8s %6ld\n", r->period, r->zone, r->code, r->n);
        }
        break;
    case T_PRIORITY:
        fprintf(f, "By priority\n");
        for (int p = 1; p <= 4; p++)
            fprintf(f, "  P%d %6ld\n", p, st->by_priority[p]);
        break;
    case T_CHANNEL:
        fprintf(f, "By channel\n");
        for (size_t i = 0; i < st->nchannels; i++)
            fprintf(f, "  %-8s %6ld\n", st->channels[i].channel, st->channels[i].n);
        break;
    case T_ACKS:
        fprintf(f, "Time from report to first ACK\n  %-16s %8s %6s %9s %9s\n", "PARTNER",
                "ALERTED", "ACKED", "MEDIAN", "P90");
        for (size_t i = 0; i < st->nacks; i++) {
            const query_ack_row *r = &st->acks[i];
            snprintf(a, sizeof a, "-");
            snprintf(b, sizeof b, "-");
            if (r->acked) {
                duration_text(r->median_s, a, sizeof a);
                duration_text(r->p90_s, b, sizeof b);
            }
            fprintf(f, "  %-16s %8ld %6ld %9s %9s\n", r->partner, r->alerted, r->acked, a, b);
        }
        break;
    case T_HOURS:
        fprintf(f, "Patrol hours by zone and week\n  %-9s %-8s %6s %8s\n", "WEEK", "ZONE", "SHIFTS",
                "HOURS");
        for (size_t i = 0; i < st->nhours; i++) {
            const query_hours_row *r = &st->hours[i];
            fprintf(f, "  %-9s %-8s %6ld %8.2f\n", r->week, r->zone, r->shifts, r->hours);
        }
        break;
    case T_WEEKS:
        fprintf(f, "Patrol hours against the commitment (%.4g hours a week)\n", st->weekly_hours);
        fprintf(f, "  %-9s %4s %8s %10s %9s\n", "WEEK", "DAYS", "HOURS", "COMMITTED", "DELIVERED");
        for (size_t i = 0; i < st->nweeks; i++) {
            const query_week_row *r = &st->weeks[i];
            fprintf(f, "  %-9s %4d %8.2f %10.2f %8.1f%%\n", r->week, r->days, r->hours,
                    r->commitment, percent(r->hours, r->commitment));
        }
        break;
    default:
        fprintf(f, "Refused or unanswered messages\n  %-9s %-28s %-8s %6s\n", "OUTCOME", "REASON",
                "ANSWERED", "COUNT");
        for (size_t i = 0; i < st->nreasons; i++) {
            const query_reason_row *r = &st->reasons[i];
            fprintf(f, "  %-9s %-28s %-8s %6ld\n", r->outcome, r->reason[0] ? r->reason : "-",
                    r->answered ? "yes" : "no", r->n);
        }
        break;
    }
}

static cJSON *json_stats(const query_stats *st, const query_filter *f, enum query_period period,
                         const char *tz)
{
    char when[40];
    cJSON *o = cJSON_CreateObject(), *x, *arr;
    if (!o)
        return NULL;
    int ok = 1;
    x = cJSON_AddObjectToObject(o, "range");
    ok = ok && x;
    if (ok) {
        if (f->since) {
            clock_rfc3339(f->since, when, sizeof when);
            ok = cJSON_AddStringToObject(x, "since", when) != NULL;
        } else
            ok = cJSON_AddNullToObject(x, "since") != NULL;
        if (f->until) {
            clock_rfc3339(f->until, when, sizeof when);
            ok = ok && cJSON_AddStringToObject(x, "until", when) != NULL;
        } else
            ok = ok && cJSON_AddNullToObject(x, "until") != NULL;
        ok = ok && cJSON_AddStringToObject(x, "timezone", tz) != NULL;
    }
    ok = ok && cJSON_AddStringToObject(o, "period", period == QUERY_MONTH ? "month" : "week") &&
         cJSON_AddNumberToObject(o, "reports", (double)st->reports);

    arr = ok ? cJSON_AddArrayToObject(o, "incidents") : NULL;
    ok = ok && arr;
    for (size_t i = 0; ok && i < st->nincidents; i++) {
        const query_incidents_row *r = &st->incidents[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e) && cJSON_AddStringToObject(e, "period", r->period) &&
             cJSON_AddStringToObject(e, "zone", r->zone) &&
             cJSON_AddStringToObject(e, "code", r->code) &&
             cJSON_AddNumberToObject(e, "count", (double)r->n);
    }
    x = ok ? cJSON_AddObjectToObject(o, "by_priority") : NULL;
    ok = ok && x;
    for (int p = 1; ok && p <= 4; p++) {
        char key[4];
        snprintf(key, sizeof key, "P%d", p);
        ok = cJSON_AddNumberToObject(x, key, (double)st->by_priority[p]) != NULL;
    }
    x = ok ? cJSON_AddObjectToObject(o, "by_channel") : NULL;
    ok = ok && x;
    for (size_t i = 0; ok && i < st->nchannels; i++)
        ok = cJSON_AddNumberToObject(x, st->channels[i].channel, (double)st->channels[i].n) != NULL;
    arr = ok ? cJSON_AddArrayToObject(o, "acks") : NULL;
    ok = ok && arr;
    for (size_t i = 0; ok && i < st->nacks; i++) {
        const query_ack_row *r = &st->acks[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e) &&
             cJSON_AddStringToObject(e, "partner", r->partner) &&
             cJSON_AddNumberToObject(e, "alerted", (double)r->alerted) &&
             cJSON_AddNumberToObject(e, "acked", (double)r->acked);
        if (ok && r->acked)
            ok = cJSON_AddNumberToObject(e, "median_s", round_to(r->median_s, 0.1)) &&
                 cJSON_AddNumberToObject(e, "p90_s", round_to(r->p90_s, 0.1));
        else if (ok)
            ok = cJSON_AddNullToObject(e, "median_s") && cJSON_AddNullToObject(e, "p90_s");
    }
    x = ok ? cJSON_AddObjectToObject(o, "patrol_hours") : NULL;
    ok = ok && x && cJSON_AddNumberToObject(x, "weekly_hours", st->weekly_hours);
    arr = ok ? cJSON_AddArrayToObject(x, "by_zone") : NULL;
    ok = ok && arr;
    for (size_t i = 0; ok && i < st->nhours; i++) {
        const query_hours_row *r = &st->hours[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e) && cJSON_AddStringToObject(e, "week", r->week) &&
             cJSON_AddStringToObject(e, "zone", r->zone) &&
             cJSON_AddNumberToObject(e, "shifts", (double)r->shifts) &&
             cJSON_AddNumberToObject(e, "hours", round_to(r->hours, 0.01));
    }
    arr = ok ? cJSON_AddArrayToObject(x, "weeks") : NULL;
    ok = ok && arr;
    for (size_t i = 0; ok && i < st->nweeks; i++) {
        const query_week_row *r = &st->weeks[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e) && cJSON_AddStringToObject(e, "week", r->week) &&
             cJSON_AddNumberToObject(e, "days", r->days) &&
             cJSON_AddNumberToObject(e, "hours", round_to(r->hours, 0.01)) &&
             cJSON_AddNumberToObject(e, "commitment", round_to(r->commitment, 0.01)) &&
             cJSON_AddNumberToObject(e, "percent", percent(r->hours, r->commitment));
    }
    arr = ok ? cJSON_AddArrayToObject(o, "messages") : NULL;
    ok = ok && arr;
    for (size_t i = 0; ok && i < st->nreasons; i++) {
        const query_reason_row *r = &st->reasons[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e) &&
             cJSON_AddStringToObject(e, "outcome", r->outcome) &&
             cJSON_AddStringToObject(e, "reason", r->reason) &&
             cJSON_AddBoolToObject(e, "answered", r->answered) &&
             cJSON_AddNumberToObject(e, "count", (double)r->n);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int table_index(const char *name)
{
    for (int t = 0; t < T_COUNT; t++)
        if (!strcmp(name, TABLES[t]))
            return t;
    return -1;
}

int ctl_stats(const ctl_opts *o, int argc, char **argv)
{
    ctl_filter_args fa;
    enum stats_fmt fmt = SF_TABLE;
    enum query_period period = QUERY_WEEK;
    int only = -1;

    memset(&fa, 0, sizeof fa);
    for (int i = 0; i < argc; i++) {
        int r = ctl_filter_opt(&fa, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--csv"))
            fmt = SF_CSV;
        else if (!strcmp(argv[i], "--json"))
            fmt = SF_JSON;
        else if (!strcmp(argv[i], "--month"))
            period = QUERY_MONTH;
        else if (!strcmp(argv[i], "--week"))
            period = QUERY_WEEK;
        else if (!strcmp(argv[i], "--table") && i + 1 < argc) {
            only = table_index(argv[++i]);
            if (only < 0) {
                fprintf(stderr, "patrolctl: --table %s: one of incidents, priority, channel, "
                                "acks, hours, weeks, messages\n",
                        argv[i]);
                return EXIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl stats [FILTERS] [--month] [--table NAME] [--csv | --json]\n"
                   "The partnership's figures: incidents by zone x code x week (--month: by\n"
                   "month), by priority, by channel; time from report to first ACK per partner\n"
                   "(median, p90); patrol hours per zone per week against [patrol] weekly_hours;\n"
                   "refused or unanswered messages by reason. --table NAME: only one of\n"
                   "incidents, priority, channel, acks, hours, weeks, messages. --csv prints each\n"
                   "table with its header (after a '# NAME' line when there are several).\n"
                   "  --since T, --until T   the range (all figures)\n"
                   "  --zone Z, --reporter R reports and shifts\n"
                   "  --code C, --priority P, --status S   reports only\n");
            return EXIT_OK;
        } else {
            fprintf(stderr, "patrolctl: unknown stats option %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    ctl_qenv e;
    ctl_filter flt;
    query_stats st;
    char err[PRC_ERR_MAX];
    int rc = EXIT_USAGE;

    memset(&st, 0, sizeof st);
    if (ctl_qenv_open(o, &e, 1))
        return EXIT_FAIL;
    if (ctl_filter_resolve(&fa, &e, &flt))
        goto done;
    rc = EXIT_FAIL;
    if (query_stats_run(e.st, &flt.f, period, e.cfg->patrol_weekly_hours, clock_now_ms(), &st,
                        err, sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto done;
    }
    if (fmt == SF_JSON) {
        const char *tz = getenv("TZ");
        cJSON *j = json_stats(&st, &flt.f, period, tz ? tz : "");
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!s) {
            fprintf(stderr, "patrolctl: out of memory\n");
            goto done;
        }
        printf("%s\n", s);
        free(s);
    } else {
        if (fmt == SF_TABLE && only < 0)
            printf("%ld report%s\n\n", st.reports, st.reports == 1 ? "" : "s");
        for (int t = 0; t < T_COUNT; t++) {
            if (only >= 0 && t != only)
                continue;
            if (fmt == SF_CSV) {
                if (only < 0)
                    printf("%s# %s\n", t ? "\n" : "", TABLES[t]);
                csv_table(stdout, &st, t);
            } else {
                text_table(stdout, &st, t, period);
                if (only < 0 && t + 1 < T_COUNT)
                    printf("\n");
            }
        }
    }
    rc = EXIT_OK;
done:
    query_stats_free(&st);
    ctl_qenv_close(&e);
    return rc;
}

/* ------------------------------------------------------------ report (HTML) */

/* A key and a count: zones, codes, weeks of the charts. */
typedef struct tally {
    char key[QUERY_PERIOD_MAX + PRC_ZONE_MAX];
    long n;
} tally;

typedef struct tallies {
    tally *v;
    size_t n, cap;
} tallies;

/* Adds n to key (appended when new). -1 on ENOMEM. */
static int tally_add(tallies *t, const char *key, long n)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].key, key)) {
            t->v[i].n += n;
            return 0;
        }
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        tally *p = realloc(t->v, ncap * sizeof *p);
        if (!p)
            return -1;
        t->v = p;
        t->cap = ncap;
    }
    snprintf(t->v[t->n].key, sizeof t->v[t->n].key, "%s", key);
    t->v[t->n].n = n;
    t->n++;
    return 0;
}

static long tally_get(const tallies *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].key, key))
            return t->v[i].n;
    return 0;
}

/* Most first, then by key. */
static int cmp_tally(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static const char *const PALETTE[] = { "#1b6ca8", "#e07a1f", "#2e9e5b", "#c23b3b", "#7b52ab",
                                       "#8c6d31", "#d45f9f", "#5f6b73", "#a6a11a", "#17a2b8",
                                       "#3d3d99", "#99523d" };
#define NPALETTE (sizeof PALETTE / sizeof PALETTE[0])

/* A round axis maximum at or above v (at least 1). */
static double axis_max(double v)
{
    double m = 1.0;
    while (m < v) {
        if (m * 2 >= v)
            return m * 2;
        if (m * 5 >= v)
            return m * 5;
        m *= 10;
    }
    return m;
}

enum { SVG_W = 720, SVG_H = 300, M_LEFT = 50, M_RIGHT = 20, M_TOP = 20, M_BOTTOM = 40 };

static void svg_axis(FILE *f, double ymax, const char *unit)
{
    double plot_h = SVG_H - M_TOP - M_BOTTOM;
    for (int k = 0; k <= 4; k++) {
        double v = ymax * k / 4.0, y = M_TOP + plot_h - plot_h * k / 4.0;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                "<text x=\"%d\" y=\"%.1f\" class=\"ylabel\">%.4g</text>\n",
                M_LEFT, y, SVG_W - M_RIGHT, y, M_LEFT - 6, y + 4, v);
    }
    fprintf(f, "<text x=\"12\" y=\"%d\" class=\"unit\">", M_TOP - 6);
    ctl_html_text(f, unit);
    fprintf(f, "</text>\n");
}

/* Incidents per week, one stacked bar per week, one colour per code. */
static int chart_incidents(FILE *f, const query_stats *st, const tallies *codes)
{
    int rc = -1;
    double plot_w = SVG_W - M_LEFT - M_RIGHT, plot_h = SVG_H - M_TOP - M_BOTTOM;
    size_t nw = st->nweeks ? st->nweeks : 1;
    tallies totals = { NULL, 0, 0 };
    long top = 0;

    for (size_t i = 0; i < st->nincidents; i++)
        if (tally_add(&totals, st->incidents[i].period, st->incidents[i].n))
            goto done;
    for (size_t i = 0; i < totals.n; i++)
        if (totals.v[i].n > top)
            top = totals.v[i].n;
    double ymax = axis_max((double)top);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-incidents\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
               "<title>Incidents per week by type</title>\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    svg_axis(f, ymax, "reports");
    for (size_t w = 0; w < st->nweeks; w++) {
        const char *week = st->weeks[w].week;
        double slot = plot_w / (double)nw, bw = slot * 0.6;
        double x = M_LEFT + slot * (double)w + (slot - bw) / 2, base = M_TOP + plot_h;
        for (size_t c = 0; c < codes->n; c++) {
            long n = 0;
            for (size_t i = 0; i < st->nincidents; i++)
                if (!strcmp(st->incidents[i].period, week) &&
                    !strcmp(st->incidents[i].code, codes->v[c].key))
                    n += st->incidents[i].n;
            if (n == 0)
                continue;
            double h = plot_h * (double)n / ymax;
            base -= h;
            fprintf(f,
                    "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\" data-week=\"%s\" data-code=\"",
                    x, base, bw, h, PALETTE[c % NPALETTE], week);
            ctl_html_text(f, codes->v[c].key);
            fprintf(f, "\" data-value=\"%ld\"><title>%s ", n, week);
            ctl_html_text(f, codes->v[c].key);
            fprintf(f, ": %ld</title></rect>\n", n);
        }
        long total = tally_get(&totals, week);
        fprintf(f,
                "<text class=\"total\" x=\"%.1f\" y=\"%.1f\" data-week=\"%s\">%ld</text>\n"
                "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\">%s</text>\n",
                x + bw / 2, base - 4, week, total, x + bw / 2, SVG_H - M_BOTTOM + 16, week);
    }
    fprintf(f, "</svg>\n<p class=\"legend\">");
    for (size_t c = 0; c < codes->n; c++) {
        fprintf(f, "<span><i style=\"background:%s\"></i>", PALETTE[c % NPALETTE]);
        ctl_html_text(f, codes->v[c].key);
        fprintf(f, " %ld</span> ", codes->v[c].n);
    }
    fprintf(f, "</p>\n");
    rc = 0;
done:
    free(totals.v);
    return rc;
}

/* Patrol hours per week, with the commitment as a dashed mark on each bar. */
static void chart_hours(FILE *f, const query_stats *st)
{
    double plot_w = SVG_W - M_LEFT - M_RIGHT, plot_h = SVG_H - M_TOP - M_BOTTOM;
    size_t nw = st->nweeks ? st->nweeks : 1;
    double top = 0.0;
    for (size_t i = 0; i < st->nweeks; i++) {
        if (st->weeks[i].hours > top)
            top = st->weeks[i].hours;
        if (st->weeks[i].commitment > top)
            top = st->weeks[i].commitment;
    }
    double ymax = axis_max(top);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-hours\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
               "<title>Patrol hours against the commitment</title>\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    svg_axis(f, ymax, "hours");
    for (size_t w = 0; w < st->nweeks; w++) {
        const query_week_row *r = &st->weeks[w];
        double slot = plot_w / (double)nw, bw = slot * 0.6;
        double x = M_LEFT + slot * (double)w + (slot - bw) / 2, base = M_TOP + plot_h;
        double h = plot_h * r->hours / ymax, cy = base - plot_h * r->commitment / ymax;
        fprintf(f,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"%s\" data-week=\"%s\" data-hours=\"%.2f\" data-commitment=\"%.2f\">"
                "<title>%s: %.2f h of %.2f h</title></rect>\n"
                "<line class=\"commitment\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                "<text class=\"total\" x=\"%.1f\" y=\"%.1f\" data-week=\"%s\">"
                "%.1f / %.1f h</text>\n"
                "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\">%s</text>\n",
                x, base - h, bw, h, r->hours >= r->commitment ? PALETTE[2] : PALETTE[1], r->week,
                r->hours, r->commitment, r->week, r->hours, r->commitment, x - 4, cy, x + bw + 4,
                cy, x + bw / 2, (cy < base - h ? cy : base - h) - 4, r->week, r->hours,
                r->commitment, x + bw / 2, SVG_H - M_BOTTOM + 16, r->week);
    }
    fprintf(f, "</svg>\n<p class=\"legend\"><span><i style=\"background:%s\"></i>delivered"
               "</span> <span><i style=\"background:%s\"></i>below the commitment</span> "
               "<span><i class=\"dash\"></i>commitment</span></p>\n",
            PALETTE[2], PALETTE[1]);
}

/* Median and p90 time to the first ACK, per partner, in minutes. */
static void chart_acks(FILE *f, const query_stats *st)
{
    enum { ROW = 44, LABEL_W = 130 };
    size_t n = 0;
    double top = 0.0;
    for (size_t i = 0; i < st->nacks; i++)
        if (st->acks[i].acked) {
            n++;
            if (st->acks[i].p90_s / 60.0 > top)
                top = st->acks[i].p90_s / 60.0;
        }
    if (n == 0) {
        fprintf(f, "<p>No alert was acknowledged in this month.</p>\n");
        return;
    }
    double xmax = axis_max(top), plot_w = SVG_W - LABEL_W - M_RIGHT - 60;
    int h = (int)n * ROW + M_TOP + 10;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-acks\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
               "<title>Time from report to first acknowledgement</title>\n",
            SVG_W, h, SVG_W, h);
    size_t row = 0;
    for (size_t i = 0; i < st->nacks; i++) {
        const query_ack_row *r = &st->acks[i];
        if (!r->acked)
            continue;
        double y = M_TOP + (double)row * ROW;
        double wm = plot_w * r->median_s / 60.0 / xmax, wp = plot_w * r->p90_s / 60.0 / xmax;
        fprintf(f, "<text class=\"rowlabel\" x=\"%d\" y=\"%.1f\">", LABEL_W - 8, y + 16);
        ctl_html_text(f, r->partner);
        fprintf(f, "</text>\n<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"14\" "
                   "fill=\"%s\" data-partner=\"",
                LABEL_W, y, wm, PALETTE[0]);
        ctl_html_text(f, r->partner);
        char med[32], p90[32];
        duration_text(r->median_s, med, sizeof med);
        duration_text(r->p90_s, p90, sizeof p90);
        fprintf(f, "\" data-median-s=\"%.1f\"><title>median %s</title></rect>\n"
                   "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">median %s</text>\n",
                r->median_s, med, LABEL_W + wm + 4, y + 11, med);
        fprintf(f, "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"14\" "
                   "fill=\"%s\" data-partner=\"",
                LABEL_W, y + 17, wp, PALETTE[1]);
        ctl_html_text(f, r->partner);
        fprintf(f, "\" data-p90-s=\"%.1f\"><title>p90 %s</title></rect>\n"
                   "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">p90 %s (%ld of %ld "
                   "acknowledged)</text>\n",
                r->p90_s, p90, LABEL_W + wp + 4, y + 28, p90, r->acked, r->alerted);
        row++;
    }
    fprintf(f, "</svg>\n");
}

static const char REPORT_CSS[] =
    "body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:760px;margin:2em auto;"
    "padding:0 1em;line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.2em;border-bottom:1px solid #ccc;"
    "padding-bottom:.2em;margin-top:1.6em}\n"
    ".meta{color:#666;margin-top:.2em}\n"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;"
    "border-bottom:1px solid #e4e4e4}td.n,th.n{text-align:right}\n"
    "svg{max-width:100%;height:auto}svg text{font-size:11px;fill:#333}\n"
    ".grid{stroke:#e4e4e4}.ylabel{text-anchor:end}.xlabel,.total{text-anchor:middle}\n"
    ".rowlabel{text-anchor:end}.commitment{stroke:#222;stroke-width:2;stroke-dasharray:4 3}\n"
    ".unit{fill:#666}.legend span{margin-right:1em;white-space:nowrap}\n"
    ".legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
    "vertical-align:-.1em}\n"
    ".legend i.dash{border-top:2px dashed #222;height:0;width:1.2em}\n"
    ".summary td{border:none;padding:.1em .5em}\n"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "section{break-inside:avoid;page-break-inside:avoid}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n"
    "@page{size:A4;margin:15mm}\n";

/* Writes the whole page; 0, or -1 on ENOMEM (the page is then incomplete). */
static int html_report(FILE *f, const ctl_qenv *e, const query_stats *st, const char *month,
                       int64_t start, int64_t end)
{
    int rc = -1;
    char title[64], from[32], to[32], now[32];
    time_t t = (time_t)(start / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(title, sizeof title, "%B %Y", &tm) == 0)
        snprintf(title, sizeof title, "%s", month);
    ctl_local_time(start, from, sizeof from);
    ctl_local_time(end, to, sizeof to);
    ctl_local_time(clock_now_ms(), now, sizeof now);
    const char *tz = getenv("TZ");

    tallies codes = { NULL, 0, 0 }, zones = { NULL, 0, 0 };
    for (size_t i = 0; i < st->nincidents; i++)
        if (tally_add(&codes, st->incidents[i].code, st->incidents[i].n) ||
            tally_add(&zones, st->incidents[i].zone, st->incidents[i].n))
            goto done;
    if (codes.n > 1)
        qsort(codes.v, codes.n, sizeof *codes.v, cmp_tally);
    if (zones.n > 1)
        qsort(zones.v, zones.n, sizeof *zones.v, cmp_tally);
    double hours = 0.0, commitment = 0.0;
    for (size_t i = 0; i < st->nweeks; i++) {
        hours += st->weeks[i].hours;
        commitment += st->weeks[i].commitment;
    }
    long alerted = 0, acked = 0, refused = 0;
    for (size_t i = 0; i < st->nacks; i++) {
        alerted += st->acks[i].alerted;
        acked += st->acks[i].acked;
    }
    for (size_t i = 0; i < st->nreasons; i++)
        refused += st->reasons[i].n;

    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>Patrol report %s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
            month, REPORT_CSS);
    fprintf(f, "<header>\n<h1>Patrol report: %s</h1>\n<p class=\"meta\">From %s to %s (%s). "
               "Produced by patrolgw %s on %s.</p>\n</header>\n",
            title, from, to, tz && tz[0] ? tz : "local time", PATROL_VERSION, now);

    fprintf(f, "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"summary\">\n"
               "<tr><td>Reports</td><td class=\"n\" id=\"total-reports\">%ld</td>"
               "<td>P1 %ld, P2 %ld, P3 %ld, P4 %ld</td></tr>\n",
            st->reports, st->by_priority[1], st->by_priority[2], st->by_priority[3],
            st->by_priority[4]);
    fprintf(f, "<tr><td>Patrol hours</td><td class=\"n\" id=\"total-hours\">%.1f</td>"
               "<td>of %.1f commissioned (%.1f%%; %.4g hours a week)</td></tr>\n",
            hours, commitment, percent(hours, commitment), st->weekly_hours);
    fprintf(f, "<tr><td>Alerts acknowledged</td><td class=\"n\">%ld</td>"
               "<td>of %ld reports alerted to partners</td></tr>\n"
               "<tr><td>Messages refused or unanswered</td><td class=\"n\">%ld</td><td></td></tr>\n"
               "</table>\n</section>\n",
            acked, alerted, refused);

    fprintf(f, "<section id=\"incidents\">\n<h2>Incidents per week by type</h2>\n");
    if (chart_incidents(f, st, &codes))
        goto done;
    fprintf(f, "</section>\n");

    fprintf(f, "<section id=\"hotspots\">\n<h2>Hotspots by zone</h2>\n<table>\n<thead><tr>"
               "<th>Zone</th><th>Name</th><th class=\"n\">Reports</th><th>Main types</th></tr>"
               "</thead>\n<tbody>\n");
    for (size_t z = 0; z < zones.n; z++) {
        tallies zc = { NULL, 0, 0 };
        for (size_t i = 0; i < st->nincidents; i++)
            if (!strcmp(st->incidents[i].zone, zones.v[z].key) &&
                tally_add(&zc, st->incidents[i].code, st->incidents[i].n)) {
                free(zc.v);
                goto done;
            }
        if (zc.n > 1)
            qsort(zc.v, zc.n, sizeof *zc.v, cmp_tally);
        fprintf(f, "<tr data-zone=\"");
        ctl_html_text(f, zones.v[z].key);
        fprintf(f, "\"><td>");
        ctl_html_text(f, zones.v[z].key);
        fprintf(f, "</td><td>");
        ctl_html_text(f, strcmp(zones.v[z].key, "-") ? ctl_zone_name(e, zones.v[z].key)
                                                     : "no zone");
        fprintf(f, "</td><td class=\"n\">%ld</td><td>", zones.v[z].n);
        for (size_t c = 0; c < zc.n && c < 3; c++) {
            fprintf(f, "%s", c ? ", " : "");
            ctl_html_text(f, zc.v[c].key);
            fprintf(f, " %ld", zc.v[c].n);
        }
        fprintf(f, "</td></tr>\n");
        free(zc.v);
    }
    if (zones.n == 0)
        fprintf(f, "<tr><td colspan=\"4\">No reports in this month.</td></tr>\n");
    fprintf(f, "</tbody>\n</table>\n</section>\n");

    fprintf(f, "<section id=\"hours\">\n<h2>Patrol hours against the commitment</h2>\n");
    chart_hours(f, st);
    fprintf(f, "<p>A shift counts in the week it started. Weeks that begin or end outside the "
               "month are held to the share of the commitment that falls in the month.</p>\n"
               "</section>\n");

    fprintf(f, "<section id=\"acks\">\n<h2>Acknowledgement times</h2>\n");
    chart_acks(f, st);
    fprintf(f, "<table>\n<thead><tr><th>Partner</th><th class=\"n\">Alerted</th>"
               "<th class=\"n\">Acknowledged</th><th class=\"n\">Median</th>"
               "<th class=\"n\">90th percentile</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < st->nacks; i++) {
        const query_ack_row *r = &st->acks[i];
        char a[32] = "-", b[32] = "-";
        if (r->acked) {
            duration_text(r->median_s, a, sizeof a);
            duration_text(r->p90_s, b, sizeof b);
        }
        fprintf(f, "<tr><td>");
        ctl_html_text(f, r->partner);
        fprintf(f, "</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td></tr>\n",
                r->alerted, r->acked, a, b);
    }
    fprintf(f, "</tbody>\n</table>\n</section>\n");

    fprintf(f, "<section id=\"messages\">\n<h2>Messages refused or not answered</h2>\n<table>\n"
               "<thead><tr><th>Outcome</th><th>Reason</th><th>Answered</th>"
               "<th class=\"n\">Messages</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < st->nreasons; i++) {
        const query_reason_row *r = &st->reasons[i];
        fprintf(f, "<tr><td>");
        ctl_html_text(f, r->outcome);
        fprintf(f, "</td><td>");
        ctl_html_text(f, r->reason[0] ? r->reason : "-");
        fprintf(f, "</td><td>%s</td><td class=\"n\">%ld</td></tr>\n", r->answered ? "yes" : "no",
                r->n);
    }
    fprintf(f, "</tbody>\n</table>\n</section>\n</body>\n</html>\n");
    rc = 0;
done:
    free(codes.v);
    free(zones.v);
    return rc;
}

int ctl_report(const ctl_opts *o, int argc, char **argv)
{
    const char *month = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl report --month YYYY-MM [--out FILE.html]\n"
                   "A self-contained HTML report of one month for the partnership (no external\n"
                   "assets; inline SVG charts; prints on A4): incidents per week by type,\n"
                   "hotspots by zone, patrol hours against the commitment, acknowledgement\n"
                   "times, refused messages. Written to FILE or standard output.\n");
            return EXIT_OK;
        }
        if ((!strcmp(argv[i], "--month") || !strcmp(argv[i], "--out")) && i + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", argv[i]);
            return EXIT_USAGE;
        }
        if (!strcmp(argv[i], "--month"))
            month = argv[++i];
        else if (!strcmp(argv[i], "--out"))
            out = argv[++i];
        else {
            fprintf(stderr, "patrolctl: unknown report option %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (!month) {
        fprintf(stderr, "usage: patrolctl report --month YYYY-MM [--out FILE.html]\n");
        return EXIT_USAGE;
    }
    ctl_qenv e;
    query_stats st;
    query_filter f;
    char err[PRC_ERR_MAX];
    FILE *fp = NULL;
    int rc = EXIT_USAGE;

    memset(&st, 0, sizeof st);
    memset(&f, 0, sizeof f);
    if (ctl_qenv_open(o, &e, 1))
        return EXIT_FAIL;
    /* After ctl_qenv_open: the month is local to the config's time zone. */
    if (query_parse_month(month, &f.since, &f.until)) {
        fprintf(stderr, "patrolctl: --month %s: use YYYY-MM\n", month);
        goto done;
    }
    rc = EXIT_FAIL;
    if (query_stats_run(e.st, &f, QUERY_WEEK, e.cfg->patrol_weekly_hours, clock_now_ms(), &st, err,
                        sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto done;
    }
    fp = out ? fopen(out, "w") : stdout;
    if (!fp) {
        fprintf(stderr, "patrolctl: %s: %s\n", out, strerror(errno));
        goto done;
    }
    if (html_report(fp, &e, &st, month, f.since, f.until)) {
        fprintf(stderr, "patrolctl: out of memory\n");
        goto done;
    }
    if (fflush(fp) != 0 || ferror(fp)) {
        fprintf(stderr, "patrolctl: write error: %s\n", strerror(errno));
        goto done;
    }
    rc = EXIT_OK;
done:
    if (fp && fp != stdout && fclose(fp) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "patrolctl: %s: %s\n", out, strerror(errno));
        rc = EXIT_FAIL;
    }
    query_stats_free(&st);
    ctl_qenv_close(&e);
    return rc;
}
