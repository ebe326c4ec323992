/* ctl_parse.c: patrolctl parse: PRC/1 messages checked offline, as JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "prc_parse.h"
#include "tables.h"

/* One message -> one JSON line. */
static void parse_one(const prc_parse_ctx *ctx, const char *text, size_t len)
{
    prc_msg m;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    if (prc_parse(ctx, text, len, &m) != PRC_FIELD_NONE) {
        cJSON_AddFalseToObject(o, "ok");
        cJSON_AddStringToObject(o, "field", prc_field_name(m.error));
        cJSON_AddStringToObject(o, "reply", m.reply);
    } else {
        char ref[24];
        cJSON_AddTrueToObject(o, "ok");
        cJSON_AddStringToObject(o, "kind", prc_kind_name(m.kind));
        if (m.kind == PRC_KIND_REPORT) {
            cJSON_AddStringToObject(o, "code", m.code->code);
            cJSON_AddStringToObject(o, "code_name", m.code->name);
            cJSON_AddNumberToObject(o, "priority", m.priority);
            cJSON_AddBoolToObject(o, "priority_given", m.priority_given);
        }
        if (m.kind == PRC_KIND_UPD || m.kind == PRC_KIND_CLR || m.kind == PRC_KIND_ACK) {
            snprintf(ref, sizeof ref, "R%llu", m.ref);
            cJSON_AddStringToObject(o, "ref", ref);
        }
        if (m.kind == PRC_KIND_REPORT || m.kind == PRC_KIND_ON) {
            if (m.location[0])
                cJSON_AddStringToObject(o, "location", m.location);
            if (m.zone[0])
                cJSON_AddStringToObject(o, "zone", m.zone);
            else
                cJSON_AddNullToObject(o, "zone");
        }
        if (m.kind == PRC_KIND_REPORT) {
            if (m.has_coords) {
                cJSON_AddNumberToObject(o, "lat", m.lat);
                cJSON_AddNumberToObject(o, "lon", m.lon);
            } else {
                cJSON_AddNullToObject(o, "lat");
                cJSON_AddNullToObject(o, "lon");
            }
        }
        if (m.kind == PRC_KIND_REPORT || m.kind == PRC_KIND_UPD || m.kind == PRC_KIND_CLR) {
            char *d = strndup(text + m.details_off, m.details_len);
            if (d)
                cJSON_AddStringToObject(o, "details", d);
            free(d);
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
}

static void parse_usage(void)
{
    printf("usage: patrolctl [--config FILE] parse [--codes F] [--gazetteer F] [--radius KM] "
           "[TEXT...]\n"
           "Parses each TEXT (or each line of stdin) offline with the config's code table and\n"
           "gazetteer (or the files given; else the built-in code table and no gazetteer);\n"
           "one JSON object per message.\n");
}

int ctl_parse(const ctl_opts *o, int argc, char **argv)
{
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        parse_usage(); /* before the config is read: it may not exist */
        return EXIT_OK;
    }
    gw_config *cfg = calloc(1, sizeof *cfg);
    gw_tables t = { NULL, NULL };
    char err[PRC_ERR_MAX * 2];
    int rc = EXIT_FAIL;
    int first = 0;

    if (!cfg)
        return EXIT_FAIL;
    config_defaults(cfg);
    if (o->config && config_load(o->config, cfg, err, sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto done;
    }
    for (; first < argc; first++) {
        const char *a = argv[first];
        if (!strcmp(a, "--help")) {
            parse_usage();
            rc = EXIT_OK;
            goto done;
        }
        if (!strcmp(a, "--")) {
            first++;
            break;
        }
        if (strncmp(a, "--", 2) != 0)
            break;
        if (first + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", a);
            rc = EXIT_USAGE;
            goto done;
        }
        const char *v = argv[++first];
        if (!strcmp(a, "--codes"))
            snprintf(cfg->codes_path, sizeof cfg->codes_path, "%s", v);
        else if (!strcmp(a, "--gazetteer"))
            snprintf(cfg->gazetteer_path, sizeof cfg->gazetteer_path, "%s", v);
        else if (!strcmp(a, "--radius"))
            cfg->radius_km = atof(v);
        else {
            fprintf(stderr, "patrolctl: unknown option %s\n", a);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (tables_load(cfg, &t, err, sizeof err)) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto done;
    }
    /* Say which tables answered when they are not a deployment's: without a
     * gazetteer a zone such as HB12 is "unknown". */
    if (!cfg->codes_path[0] || !cfg->gazetteer_path[0])
        fprintf(stderr, "patrolctl parse: %s code table, %s (give --config FILE for a deployment's "
                        "tables)\n",
                cfg->codes_path[0] ? "the given" : "the built-in",
                cfg->gazetteer_path[0] ? "the given gazetteer"
                                       : "no gazetteer: zones and place names are unknown, only "
                                         "postcodes and lat,lon are places");
    prc_parse_ctx ctx = { t.codes, t.gaz, cfg->radius_km };
    if (first < argc) {
        for (int i = first; i < argc; i++)
            parse_one(&ctx, argv[i], strlen(argv[i]));
    } else {
        char line[PRC_MSG_MAX_BYTES + 2];
        while (fgets(line, sizeof line, stdin)) {
            size_t n = strlen(line);
            if (n > 0 && line[n - 1] != '\n' && !feof(stdin)) {
                /* Longer than any valid message: report it as such and skip the rest. */
                int ch;
                while ((ch = getchar()) != EOF && ch != '\n')
                    ;
            }
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            parse_one(&ctx, line, n);
        }
    }
    rc = EXIT_OK;
done:
    tables_free(&t);
    free(cfg);
    return rc;
}

