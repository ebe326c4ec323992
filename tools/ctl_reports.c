/* ctl_reports.c: patrolctl reports, show and export: what was reported, where
 * and when, read from the store (gateway/query.h). Also the helpers the
 * read-side commands share (ctl_query.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "ctl_query.h"

/* ------------------------------------------------------------ shared */

int ctl_qenv_open(const ctl_opts *o, ctl_qenv *e, int open_store)
{
    char err[PRC_ERR_MAX * 2];

    memset(e, 0, sizeof *e);
    e->cfg = calloc(1, sizeof *e->cfg);
    if (!e->cfg) {
        fprintf(stderr, "patrolctl: out of memory\n");
        return -1;
    }
    config_defaults(e->cfg);
    /* --db alone: no config (the system's time zone, built-in codes, no gazetteer). */
    if ((o->config || !o->db) && ctl_load_config(o, e->cfg))
        goto fail;
    if (e->cfg->timezone[0] && setenv("TZ", e->cfg->timezone, 1) != 0) {
        fprintf(stderr, "patrolctl: cannot set the time zone: %s\n", strerror(errno));
        goto fail;
    }
    tzset();
    if (tables_load(e->cfg, &e->tables, err, sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto fail;
    }
    if (open_store) {
        e->st = store_open(o->db ? o->db : e->cfg->store_path, STORE_RO, 1, err, sizeof err);
        if (!e->st) {
            fprintf(stderr, "patrolctl: %s\n", err);
            goto fail;
        }
    }
    return 0;
fail:
    ctl_qenv_close(e);
    return -1;
}

void ctl_qenv_close(ctl_qenv *e)
{
    store_close(e->st);
    tables_free(&e->tables);
    free(e->cfg);
    memset(e, 0, sizeof *e);
}

int ctl_filter_opt(ctl_filter_args *a, int argc, char **argv, int *i)
{
    static const char *const names[] = { "--since",  "--until",  "--zone",    "--code",
                                         "--priority", "--status", "--reporter" };
    const char **slots[] = { &a->since,    &a->until,  &a->zone,    &a->code,
                             &a->priority, &a->status, &a->reporter };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (strcmp(argv[*i], names[k]) != 0)
            continue;
        if (*i + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", names[k]);
            return -1;
        }
        *slots[k] = argv[++*i];
        return 1;
    }
    return 0;
}

/* Copies v upper-cased into dst; -1 if it does not fit or is empty. */
static int upper_copy(char *dst, size_t dstsz, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= dstsz)
        return -1;
    for (size_t i = 0; i <= n; i++)
        dst[i] = (char)((v[i] >= 'a' && v[i] <= 'z') ? v[i] - 32 : v[i]);
    return 0;
}

int ctl_filter_resolve(const ctl_filter_args *a, const ctl_qenv *e, ctl_filter *out)
{
    memset(out, 0, sizeof *out);
    query_filter *f = &out->f;
    if (a->since && query_parse_time(a->since, 0, &f->since)) {
        fprintf(stderr, "patrolctl: --since %s: use YYYY-MM-DD or RFC 3339\n", a->since);
        return -1;
    }
    /* --until 2026-10-31 includes that day. */
    if (a->until && query_parse_time(a->until, 1, &f->until)) {
        fprintf(stderr, "patrolctl: --until %s: use YYYY-MM-DD or RFC 3339\n", a->until);
        return -1;
    }
    if (f->since && f->until && f->until <= f->since) {
        fprintf(stderr, "patrolctl: --until is not after --since\n");
        return -1;
    }
    if (a->zone) {
        if (upper_copy(out->zone, sizeof out->zone, a->zone)) {
            fprintf(stderr, "patrolctl: --zone %s: not a zone (at most %d characters)\n",
                    a->zone, PRC_ZONE_MAX);
            return -1;
        }
        f->zone = out->zone;
    }
    if (a->code) {
        const prc_code *c = prc_codes_find(e->tables.codes, a->code, strlen(a->code));
        if (c)
            snprintf(out->code, sizeof out->code, "%s", c->code);
        else if (upper_copy(out->code, sizeof out->code, a->code)) {
            fprintf(stderr, "patrolctl: --code %s: not a code\n", a->code);
            return -1;
        }
        f->code = out->code;
    }
    if (a->priority) {
        const char *p = a->priority;
        if (p[0] == 'P' || p[0] == 'p')
            p++;
        if (p[0] < '1' || p[0] > '4' || p[1] != '\0') {
            fprintf(stderr, "patrolctl: --priority %s is not P1..P4\n", a->priority);
            return -1;
        }
        f->priority = p[0] - '0';
    }
    if (a->status) {
        if (strcmp(a->status, "open") != 0 && strcmp(a->status, "cleared") != 0) {
            fprintf(stderr, "patrolctl: --status %s is not open or cleared\n", a->status);
            return -1;
        }
        f->status = a->status;
    }
    f->reporter = a->reporter;
    return 0;
}

void ctl_local_time(int64_t ms, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, outsz, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, outsz, "?");
}

/* A text cell that starts with = + - @ tab or CR is a formula to a spreadsheet
 * (CSV injection): it gets a single quote in front and is quoted (OWASP's rule), so
 * it shows as text. Numeric columns are not written through here and keep their
 * minus signs; nor is a lone "-" (the stats' "no zone"), which no spreadsheet runs. */
void ctl_csv_field(FILE *f, const char *s)
{
    int formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL && strcmp(s, "-") != 0;
    if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void ctl_html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

const char *ctl_code_name(const ctl_qenv *e, const char *code)
{
    const prc_code *c =
        e->tables.codes ? prc_codes_find(e->tables.codes, code, strlen(code)) : NULL;
    return c && strcmp(c->code, code) == 0 ? c->name : "";
}

static const prc_zone *find_zone(const ctl_qenv *e, const char *zone)
{
    int alias = 0;
    if (!e->tables.gaz || !zone[0])
        return NULL;
    const prc_zone *z = prc_gazetteer_find(e->tables.gaz, zone, strlen(zone), &alias);
    return z && !alias ? z : NULL;
}

const char *ctl_zone_name(const ctl_qenv *e, const char *zone)
{
    const prc_zone *z = find_zone(e, zone);
    return z ? z->name : "";
}

/* ------------------------------------------------------------ report rows */

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_GEOJSON };

typedef struct out_ctx {
    const ctl_qenv *e;
    FILE *f;
    enum fmt fmt;
    long written;
    long left_out;  /* GeoJSON: reports with no position */
} out_ctx;

static const char CSV_HEADER[] = "ref,received_at,code,priority,location,zone,lat,lon,details,"
                                 "reporter,channel,status,cleared_at\n";

static void ref_text(int64_t ref, char *out, size_t outsz)
{
    snprintf(out, outsz, "R%lld", (long long)ref);
}

/* The report as a JSON object; NULL on ENOMEM. Caller owns. */
static cJSON *report_json(const ctl_qenv *e, const query_report *r)
{
    char ref[24], when[40], cleared[40];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    ref_text(r->ref, ref, sizeof ref);
    clock_rfc3339(r->received_at, when, sizeof when);
    int ok = cJSON_AddStringToObject(o, "ref", ref) &&
             cJSON_AddStringToObject(o, "received_at", when) &&
             cJSON_AddStringToObject(o, "code", r->code) &&
             cJSON_AddStringToObject(o, "code_name", ctl_code_name(e, r->code)) &&
             cJSON_AddNumberToObject(o, "priority", r->priority) &&
             cJSON_AddStringToObject(o, "location", r->location) &&
             (r->zone[0] ? cJSON_AddStringToObject(o, "zone", r->zone) != NULL
                         : cJSON_AddNullToObject(o, "zone") != NULL) &&
             (r->has_coords ? cJSON_AddNumberToObject(o, "lat", r->lat) != NULL &&
                                  cJSON_AddNumberToObject(o, "lon", r->lon) != NULL
                            : cJSON_AddNullToObject(o, "lat") != NULL &&
                                  cJSON_AddNullToObject(o, "lon") != NULL) &&
             cJSON_AddStringToObject(o, "details", r->details) &&
             cJSON_AddStringToObject(o, "reporter", r->reporter) &&
             cJSON_AddStringToObject(o, "channel", r->channel) &&
             cJSON_AddStringToObject(o, "status", r->status);
    if (ok && r->cleared_at) {
        clock_rfc3339(r->cleared_at, cleared, sizeof cleared);
        ok = cJSON_AddStringToObject(o, "cleared_at", cleared) != NULL;
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "cleared_at") != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Prints o unformatted after a separator when not the first; 0 or -1. */
static int emit_json(out_ctx *c, cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s) {
        fprintf(stderr, "patrolctl: out of memory\n");
        return -1;
    }
    fprintf(c->f, "%s%s", c->written ? ",\n" : "", s);
    free(s);
    c->written++;
    return 0;
}

/* Prints s cut to max characters ("..." when cut), padded with spaces to
 * width characters. Control characters (a newline in the details) would break
 * a table row: they print as spaces. */
static void table_text(FILE *f, const char *s, size_t max, size_t width)
{
    size_t chars = 0, i = 0;
    for (; s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) == 0x80) { /* inside a UTF-8 sequence */
            fputc(ch, f);
            continue;
        }
        if (chars == max) {
            fputs("...", f);
            chars += 3;
            break;
        }
        fputc(ch < 0x20 ? ' ' : ch, f);
        chars++;
    }
    for (; chars < width; chars++)
        fputc(' ', f);
}

static int emit_geojson(out_ctx *c, const query_report *r)
{
    double lat = r->lat, lon = r->lon;
    const char *source = "report";
    if (!r->has_coords) {
        const prc_zone *z = find_zone(c->e, r->zone);
        if (!z) {
            c->left_out++;
            return 0;
        }
        lat = z->lat;
        lon = z->lon;
        source = "zone centroid";
    }
    if (!(lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0)) {
        c->left_out++;
        return 0;
    }
    char ref[24];
    ref_text(r->ref, ref, sizeof ref);
    cJSON *feat = cJSON_CreateObject();
    cJSON *geom = cJSON_CreateObject();
    cJSON *coords = cJSON_CreateArray();
    cJSON *props = report_json(c->e, r);
    cJSON *x = cJSON_CreateNumber(lon), *y = cJSON_CreateNumber(lat);
    int ok = feat && geom && coords && props && x && y;
    if (ok) {
        cJSON_AddItemToArray(coords, x); /* RFC 7946: longitude first */
        cJSON_AddItemToArray(coords, y);
        x = y = NULL;
        ok = cJSON_AddStringToObject(geom, "type", "Point") &&
             cJSON_AddItemToObject(geom, "coordinates", coords);
        coords = NULL;
        ok = ok && cJSON_AddStringToObject(props, "position", source) &&
             cJSON_AddStringToObject(feat, "type", "Feature") &&
             cJSON_AddStringToObject(feat, "id", ref) &&
             cJSON_AddItemToObject(feat, "geometry", geom);
        geom = NULL;
        ok = ok && cJSON_AddItemToObject(feat, "properties", props);
        props = NULL;
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    cJSON_Delete(coords);
    cJSON_Delete(geom);
    cJSON_Delete(props);
    if (!ok) {
        cJSON_Delete(feat);
        fprintf(stderr, "patrolctl: out of memory\n");
        return -1;
    }
    return emit_json(c, feat);
}

static int emit_report(void *arg, const query_report *r)
{
    out_ctx *c = arg;
    char ref[24], when[40];
    FILE *f = c->f;

    switch (c->fmt) {
    case FMT_JSON:
        return emit_json(c, report_json(c->e, r));
    case FMT_GEOJSON:
        return emit_geojson(c, r);
    case FMT_CSV: {
        char num[32];
        ref_text(r->ref, ref, sizeof ref);
        clock_rfc3339(r->received_at, when, sizeof when);
        fprintf(f, "%s,%s,", ref, when);
        ctl_csv_field(f, r->code);
        fprintf(f, ",%d,", r->priority);
        ctl_csv_field(f, r->location);
        fputc(',', f);
        ctl_csv_field(f, r->zone);
        if (r->has_coords)
            fprintf(f, ",%.10g,%.10g,", r->lat, r->lon);
        else
            fputs(",,,", f);
        ctl_csv_field(f, r->details);
        fputc(',', f);
        ctl_csv_field(f, r->reporter);
        fputc(',', f);
        ctl_csv_field(f, r->channel);
        fputc(',', f);
        ctl_csv_field(f, r->status);
        fputc(',', f);
        if (r->cleared_at) {
            clock_rfc3339(r->cleared_at, num, sizeof num);
            fputs(num, f);
        }
        fputc('\n', f);
        break;
    }
    case FMT_TABLE:
        ref_text(r->ref, ref, sizeof ref);
        ctl_local_time(r->received_at, when, sizeof when);
        fprintf(f, "%-8s %-19s %-7s P%d %-6s %-8s %-14s ", ref, when, r->code, r->priority,
                r->zone[0] ? r->zone : "-", r->status, r->reporter);
        table_text(f, r->location, 12, 16);
        table_text(f, r->details, 60, 0);
        fputc('\n', f);
        break;
    }
    c->written++;
    return 0;
}

/* Runs the filtered report query in format fmt to f. 0 or -1. */
static int write_reports(const ctl_qenv *e, const ctl_filter *flt, enum fmt fmt, FILE *f,
                         long *left_out)
{
    out_ctx c = { e, f, fmt, 0, 0 };
    switch (fmt) {
    case FMT_CSV: fputs(CSV_HEADER, f); break;
    case FMT_JSON: fputs("[", f); break;
    case FMT_GEOJSON: fputs("{\"type\":\"FeatureCollection\",\"features\":[", f); break;
    case FMT_TABLE:
        fprintf(f, "%-8s %-19s %-7s %-2s %-6s %-8s %-14s %-14s %s\n", "REF", "RECEIVED", "CODE",
                "P", "ZONE", "STATUS", "REPORTER", "LOCATION", "DETAILS");
        break;
    }
    long n = query_reports(e->st, &flt->f, emit_report, &c);
    if (n < 0) {
        fprintf(stderr, "patrolctl: cannot read the reports (see the log line above)\n");
        return -1;
    }
    switch (fmt) {
    case FMT_JSON: fputs("]\n", f); break;
    case FMT_GEOJSON: fputs("]}\n", f); break;
    case FMT_TABLE: fprintf(f, "%ld report%s\n", n, n == 1 ? "" : "s"); break;
    case FMT_CSV: break;
    }
    if (left_out)
        *left_out = c.left_out;
    return 0;
}

static const char FILTER_HELP[] =
    "  --since T      received at or after T: YYYY-MM-DD (local midnight) or RFC 3339\n"
    "  --until T      received before T; YYYY-MM-DD includes that day\n"
    "  --zone Z       zone code, or - for reports without a zone\n"
    "  --code C       incident code (an alias is read as its code)\n"
    "  --priority P   P1..P4\n"
    "  --status S     open or cleared\n"
    "  --reporter R   callsign or network/unit\n";

int ctl_reports(const ctl_opts *o, int argc, char **argv)
{
    ctl_filter_args fa;
    enum fmt fmt = FMT_TABLE;
    memset(&fa, 0, sizeof fa);
    for (int i = 0; i < argc; i++) {
        int r = ctl_filter_opt(&fa, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--csv"))
            fmt = FMT_CSV;
        else if (!strcmp(argv[i], "--json"))
            fmt = FMT_JSON;
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl reports [FILTERS] [--csv | --json]\n"
                   "Lists reports, oldest first: a table, CSV with a header, or a JSON array.\n"
                   "%s",
                   FILTER_HELP);
            return EXIT_OK;
        } else {
            fprintf(stderr, "patrolctl: unknown reports option %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    ctl_qenv e;
    ctl_filter flt;
    if (ctl_qenv_open(o, &e, 1))
        return EXIT_FAIL;
    int rc = EXIT_USAGE;
    if (ctl_filter_resolve(&fa, &e, &flt) == 0)
        rc = write_reports(&e, &flt, fmt, stdout, NULL) ? EXIT_FAIL : EXIT_OK;
    ctl_qenv_close(&e);
    return rc;
}

int ctl_export(const ctl_opts *o, int argc, char **argv)
{
    ctl_filter_args fa;
    const char *format = NULL, *out = NULL;
    memset(&fa, 0, sizeof fa);
    for (int i = 0; i < argc; i++) {
        int r = ctl_filter_opt(&fa, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl export --format csv|json|geojson [FILTERS] [--out FILE]\n"
                   "Writes the reports to FILE (default: standard output). GeoJSON (RFC 7946):\n"
                   "one Point per report at its coordinates or its zone's centroid; reports\n"
                   "with neither are left out and counted on stderr.\n"
                   "%s",
                   FILTER_HELP);
            return EXIT_OK;
        }
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "--out")) && i + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", argv[i]);
            return EXIT_USAGE;
        }
        if (!strcmp(argv[i], "--format"))
            format = argv[++i];
        else if (!strcmp(argv[i], "--out"))
            out = argv[++i];
        else {
            fprintf(stderr, "patrolctl: unknown export option %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    enum fmt fmt;
    if (format && !strcmp(format, "csv"))
        fmt = FMT_CSV;
    else if (format && !strcmp(format, "json"))
        fmt = FMT_JSON;
    else if (format && !strcmp(format, "geojson"))
        fmt = FMT_GEOJSON;
    else {
        fprintf(stderr, "patrolctl: export needs --format csv, json or geojson\n");
        return EXIT_USAGE;
    }
    ctl_qenv e;
    ctl_filter flt;
    FILE *f = NULL;
    long left_out = 0;
    int rc = EXIT_USAGE;
    if (ctl_qenv_open(o, &e, 1))
        return EXIT_FAIL;
    if (ctl_filter_resolve(&fa, &e, &flt))
        goto done;
    rc = EXIT_FAIL;
    f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "patrolctl: %s: %s\n", out, strerror(errno));
        goto done;
    }
    if (write_reports(&e, &flt, fmt, f, &left_out))
        goto done;
    if (fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "patrolctl: write error: %s\n", strerror(errno));
        goto done;
    }
    if (left_out)
        fprintf(stderr, "patrolctl: %ld report%s left out: no coordinates and no zone in the "
                        "gazetteer\n",
                left_out, left_out == 1 ? "" : "s");
    rc = EXIT_OK;
done:
    if (f && f != stdout && fclose(f) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "patrolctl: %s: %s\n", out, strerror(errno));
        rc = EXIT_FAIL;
    }
    ctl_qenv_close(&e);
    return rc;
}

/* ------------------------------------------------------------ show */

typedef struct show_ctx {
    const ctl_qenv *e;
    int json;
    int reveal;      /* SMS senders' numbers in full (audited), else masked */
    cJSON *arr;      /* JSON: the section being filled */
    cJSON *report;   /* JSON: the report object */
} show_ctx;

static int add_time(cJSON *o, const char *key, int64_t ms)
{
    char when[40];
    if (!ms)
        return cJSON_AddNullToObject(o, key) != NULL;
    clock_rfc3339(ms, when, sizeof when);
    return cJSON_AddStringToObject(o, key, when) != NULL;
}

static int show_report(void *arg, const query_report *r)
{
    show_ctx *c = arg;
    char ref[24], when[32];
    if (c->json) {
        c->report = report_json(c->e, r);
        return c->report ? 0 : -1;
    }
    ref_text(r->ref, ref, sizeof ref);
    const char *cname = ctl_code_name(c->e, r->code), *zname = ctl_zone_name(c->e, r->zone);
    printf("%s  %s P%d", ref, r->code, r->priority);
    if (cname[0])
        printf(" (%s)", cname);
    printf("  %s\n", r->status);
    ctl_local_time(r->received_at, when, sizeof when);
    printf("  received   %s via %s from %s\n", when, r->channel, r->reporter);
    printf("  location   %s", r->location);
    if (r->zone[0] && strcmp(r->zone, r->location) != 0)
        printf(", zone %s", r->zone);
    if (zname[0])
        printf(" (%s)", zname);
    if (r->has_coords)
        printf("  %.6f,%.6f", r->lat, r->lon);
    printf("\n  details    ");
    table_text(stdout, r->details, 480, 0);
    printf("\n");
    if (r->cleared_at) {
        ctl_local_time(r->cleared_at, when, sizeof when);
        printf("  cleared    %s\n", when);
    }
    return 0;
}

static int show_event(void *arg, const query_event *ev)
{
    show_ctx *c = arg;
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !add_time(o, "at", ev->at) || !cJSON_AddStringToObject(o, "kind", ev->kind) ||
            !cJSON_AddStringToObject(o, "partner", ev->partner) ||
            !cJSON_AddStringToObject(o, "by", ev->by) ||
            !cJSON_AddStringToObject(o, "detail", ev->detail)) {
            cJSON_Delete(o);
            return -1;
        }
        cJSON_AddItemToArray(c->arr, o);
        return 0;
    }
    char when[32];
    ctl_local_time(ev->at, when, sizeof when);
    printf("  %s  %-9s", when, ev->kind);
    if (ev->partner[0])
        printf(" partner %s", ev->partner);
    if (ev->by[0])
        printf(" by %s", ev->by);
    if (ev->detail[0]) {
        printf(": ");
        table_text(stdout, ev->detail, 480, 0);
    }
    printf("\n");
    return 0;
}

static int show_alert(void *arg, const query_alert *a)
{
    show_ctx *c = arg;
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "alert_id", a->alert_id) ||
            !cJSON_AddStringToObject(o, "partner", a->partner) ||
            !cJSON_AddStringToObject(o, "channel", a->channel) ||
            !cJSON_AddStringToObject(o, "kind", a->kind) ||
            !cJSON_AddStringToObject(o, "state", a->state) ||
            !cJSON_AddNumberToObject(o, "attempts", a->attempts) ||
            !add_time(o, "created_at", a->created_at) || !add_time(o, "sent_at", a->sent_at) ||
            !add_time(o, "acked_at", a->acked_at) || !add_time(o, "dead_at", a->dead_at) ||
            !cJSON_AddStringToObject(o, "acked_by", a->acked_by) ||
            !cJSON_AddStringToObject(o, "last_error", a->last_error)) {
            cJSON_Delete(o);
            return -1;
        }
        cJSON_AddItemToArray(c->arr, o);
        return 0;
    }
    char created[32], sent[32] = "-", acked[32] = "-";
    ctl_local_time(a->created_at, created, sizeof created);
    if (a->sent_at)
        ctl_local_time(a->sent_at, sent, sizeof sent);
    if (a->acked_at)
        ctl_local_time(a->acked_at, acked, sizeof acked);
    printf("  %-12s %-7s %-10s %-9s %8d  %-19s  %-19s  %-19s  %s\n", a->partner, a->channel,
           a->kind, a->state, a->attempts, created, sent, acked, a->acked_by[0] ? a->acked_by : "-");
    if (a->last_error[0])
        printf("  %-12s last error: %s\n", "", a->last_error);
    return 0;
}

static int show_message(void *arg, const query_message *m)
{
    show_ctx *c = arg;
    /* An SMS sender is a phone number: personal data, masked as patrolctl sms
     * masks it unless --reveal (recorded in the audit trail first). */
    int mask = !c->reveal && !strcmp(m->channel, "sms");
    char sender[GW_PHONE_MAX + 1];
    if (mask)
        query_mask_number(m->sender, sender, sizeof sender);
    else
        snprintf(sender, sizeof sender, "%s", m->sender);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddNumberToObject(o, "id", (double)m->id) ||
            !add_time(o, "received_at", m->received_at) ||
            !cJSON_AddStringToObject(o, "channel", m->channel) ||
            !cJSON_AddStringToObject(o, "sender", !strcmp(m->channel, "sms") ? sender : m->sender) ||
            !cJSON_AddBoolToObject(o, "sender_masked", mask) ||
            !cJSON_AddStringToObject(o, "bridge", m->bridge) ||
            !cJSON_AddStringToObject(o, "msg_id", m->msg_id) ||
            !cJSON_AddStringToObject(o, "outcome", m->outcome) ||
            !cJSON_AddStringToObject(o, "reason", m->reason) ||
            !cJSON_AddStringToObject(o, "text", m->text) ||
            !cJSON_AddStringToObject(o, "reply", m->reply) ||
            !(m->dup_of ? cJSON_AddNumberToObject(o, "dup_of", (double)m->dup_of) != NULL
                        : cJSON_AddNullToObject(o, "dup_of") != NULL)) {
            cJSON_Delete(o);
            return -1;
        }
        cJSON_AddItemToArray(c->arr, o);
        return 0;
    }
    char when[32];
    ctl_local_time(m->received_at, when, sizeof when);
    printf("  #%-7lld %s  %-9s %-10s %s", (long long)m->id, when, m->outcome,
           m->reason[0] ? m->reason : "-", !strcmp(m->channel, "sms") ? sender : m->sender);
    if (m->bridge[0])
        printf(" via %s", m->bridge);
    printf("\n            \"");
    table_text(stdout, m->text, 480, 0);
    printf("\"");
    if (m->reply[0]) {
        printf(" -> ");
        table_text(stdout, m->reply, 480, 0);
    }
    printf("\n");
    return 0;
}

/* "R1042", "r1042" or "1042". 0 and *ref, or -1. */
static int parse_ref(const char *s, int64_t *ref)
{
    if (s[0] == 'R' || s[0] == 'r')
        s++;
    size_t n = strlen(s);
    if (n == 0 || n > PRC_REF_DIGITS_MAX)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *ref = v;
    return v > 0 ? 0 : -1;
}

static int show_section(show_ctx *c, cJSON *root, const char *name, int64_t ref, int which)
{
    if (c->json) {
        c->arr = cJSON_AddArrayToObject(root, name);
        if (!c->arr)
            return -1;
    }
    long n;
    switch (which) {
    case 0:
        if (!c->json)
            printf("\nTimeline\n");
        n = query_events(c->e->st, ref, show_event, c);
        break;
    case 1:
        if (!c->json)
            printf("\nAlerts\n  %-12s %-7s %-10s %-9s %8s  %-19s  %-19s  %-19s  %s\n",
                   "PARTNER", "CHANNEL", "KIND", "STATE", "ATTEMPTS", "CREATED", "SENT", "ACKED",
                   "BY");
        n = query_alerts(c->e->st, ref, show_alert, c);
        break;
    default:
        if (!c->json)
            printf("\nMessages\n");
        n = query_messages(c->e->st, ref, show_message, c);
        break;
    }
    if (n == 0 && !c->json)
        printf("  (none)\n");
    return n < 0 ? -1 : 0;
}

/* Records a reveal of report ref's SMS senders; nothing is shown if it cannot
 * be. 0 or -1. */
static int show_audit_reveal(const ctl_opts *o, const char *actor, int64_t ref)
{
    char obj[24];
    snprintf(obj, sizeof obj, "R%lld", (long long)ref);
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return -1;
    int rc = -1;
    if (store_begin(s))
        goto done;
    if (audit_append(s, clock_now_ms(), actor, "show reveal", obj, "SMS senders' numbers shown") <
            0 ||
        store_commit(s)) {
        store_rollback(s);
        goto done;
    }
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "patrolctl: cannot record the reveal in the audit trail: nothing shown\n");
    store_close(s);
    return rc;
}

int ctl_show(const ctl_opts *o, int argc, char **argv)
{
    const char *refarg = NULL, *actor_arg = NULL;
    int json = 0, reveal = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl show Rn [--json] [--reveal [--actor WHO]]\n"
                   "The timeline of one report: its fields, its events (received, alerted,\n"
                   "acknowledged, updated, cleared), its alerts with their state, attempts\n"
                   "and acknowledgements, and every message that made or named it.\n"
                   "SMS senders' numbers are masked (+447700900123 as +44770*****23) unless\n"
                   "--reveal, which is recorded in the audit trail (action \"show reveal\",\n"
                   "actor --actor or the Unix user) before anything is shown.\n");
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--reveal"))
            reveal = 1;
        else if (!strcmp(argv[i], "--actor") && i + 1 < argc)
            actor_arg = argv[++i];
        else if (!refarg && argv[i][0] != '-')
            refarg = argv[i];
        else {
            fprintf(stderr, "patrolctl: unknown show option %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    int64_t ref;
    if (!refarg || parse_ref(refarg, &ref)) {
        fprintf(stderr, "usage: patrolctl show Rn [--json] [--reveal [--actor WHO]] "
                        "(a reference such as R1042)\n");
        return EXIT_USAGE;
    }
    if (actor_arg && !reveal) {
        fprintf(stderr, "patrolctl: --actor goes with --reveal\n");
        return EXIT_USAGE;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = NULL;
    if (reveal && !(actor = ctl_actor(actor_arg, actor_buf, sizeof actor_buf)))
        return EXIT_USAGE;
    /* Recorded before anything is read or shown, as patrolctl sms --reveal. */
    if (reveal && show_audit_reveal(o, actor, ref))
        return EXIT_FAIL;
    ctl_qenv e;
    if (ctl_qenv_open(o, &e, 1))
        return EXIT_FAIL;
    show_ctx c = { &e, json, reveal, NULL, NULL };
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    int rc = EXIT_FAIL, found;
    if (json && !root)
        goto done;
    found = query_report_get(e.st, ref, show_report, &c);
    if (found < 0)
        goto done;
    if (found == 0) {
        fprintf(stderr, "patrolctl: no report R%lld\n", (long long)ref);
        goto done;
    }
    if (json) {
        cJSON_AddItemToObject(root, "report", c.report);
        c.report = NULL;
    }
    if (show_section(&c, root, "events", ref, 0) || show_section(&c, root, "alerts", ref, 1) ||
        show_section(&c, root, "messages", ref, 2))
        goto done;
    if (json) {
        char *s = cJSON_PrintUnformatted(root);
        if (!s)
            goto done;
        printf("%s\n", s);
        free(s);
    }
    rc = EXIT_OK;
done:
    cJSON_Delete(c.report);
    cJSON_Delete(root);
    ctl_qenv_close(&e);
    return rc;
}
