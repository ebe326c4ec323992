/* patrolctl: patrolgw administration: people, offline parsing, config checks.
 * Reads and writes the store directly; safe while patrolgw runs (SQLite WAL). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gateway.h"
#include "log.h"
#include "phone.h"
#include "prc_parse.h"
#include "store.h"
#include "tables.h"

#define DEFAULT_CONFIG "/etc/patrolgw/patrolgw.conf"
#define MAX_UNITS 16

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct opts {
    const char *config;
    const char *db;
} opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: patrolctl [--config FILE | --db FILE] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  people add --callsign C --name NAME --role operative|partner [--partner P]\n"
            "             [--phone NUMBER] [--unit NETWORK/UNIT]...\n"
            "                         register a person (phone numbers are stored as E.164)\n"
            "  people list [--json]   list registered people\n"
            "  people disable C       stop C from reporting or acknowledging\n"
            "  people enable C        allow C again\n"
            "  parse [--codes F] [--gazetteer F] [--radius KM] [TEXT...]\n"
            "                         parse each TEXT (or each line of stdin) offline; one JSON\n"
            "                         object per message (see docs/patrolctl.md)\n"
            "  check-config [FILE]    validate a config with its code table and gazetteer\n"
            "\n"
            "Options:\n"
            "  --config FILE   patrolgw config (default " DEFAULT_CONFIG "); gives the store path,\n"
            "                  code table and gazetteer\n"
            "  --db FILE       use this store directly\n"
            "  COMMAND --help  help for one command\n"
            "\n"
            "Exit status: 0 success, 1 failure (a message on stderr), 2 usage error.\n"
            "patrolctl parse exits 0 even when messages do not parse: see \"ok\" in its output.\n");
}

static store *open_store(const opts *o, enum store_mode mode)
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
        if (config_load(o->config ? o->config : DEFAULT_CONFIG, cfg, err, sizeof err)) {
            fprintf(stderr, "patrolctl: %s\n", err);
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

static int valid_callsign(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > GW_CALLSIGN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static int people_add(const opts *o, int argc, char **argv)
{
    store_person p;
    const char *units[MAX_UNITS];
    int nunits = 0;
    char err[PRC_ERR_MAX];

    memset(&p, 0, sizeof p);
    p.active = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            printf("usage: patrolctl people add --callsign C --name NAME --role operative|partner\n"
                   "                            [--partner P] [--phone NUMBER] [--unit NET/UNIT]...\n");
            return EXIT_OK;
        }
        if (!v) {
            fprintf(stderr, "patrolctl: %s needs a value\n", a);
            return EXIT_USAGE;
        }
        i++;
        if ((!strcmp(a, "--callsign") && strlen(v) > GW_CALLSIGN_MAX) ||
            (!strcmp(a, "--name") && strlen(v) > GW_PERSON_NAME_MAX) ||
            (!strcmp(a, "--partner") && strlen(v) > GW_NAME_MAX)) {
            fprintf(stderr, "patrolctl: %s is too long (see docs/internals/LIMITS.md)\n", a);
            return EXIT_USAGE;
        }
        if (!strcmp(a, "--callsign"))
            snprintf(p.callsign, sizeof p.callsign, "%s", v);
        else if (!strcmp(a, "--name"))
            snprintf(p.name, sizeof p.name, "%s", v);
        else if (!strcmp(a, "--role"))
            snprintf(p.role, sizeof p.role, "%s", v);
        else if (!strcmp(a, "--partner"))
            snprintf(p.partner, sizeof p.partner, "%s", v);
        else if (!strcmp(a, "--phone")) {
            if (phone_normalise(v, "44", p.phone, sizeof p.phone)) {
                fprintf(stderr, "patrolctl: not a phone number (use +44... or 07...)\n");
                return EXIT_FAIL;
            }
        } else if (!strcmp(a, "--unit")) {
            if (nunits >= MAX_UNITS) {
                fprintf(stderr, "patrolctl: at most %d units\n", MAX_UNITS);
                return EXIT_USAGE;
            }
            units[nunits++] = v;
        } else {
            fprintf(stderr, "patrolctl: unknown option %s\n", a);
            return EXIT_USAGE;
        }
    }
    if (!valid_callsign(p.callsign) || !p.name[0]) {
        fprintf(stderr, "patrolctl: --callsign (letters, digits, - or _) and --name are required\n");
        return EXIT_USAGE;
    }
    if (strcmp(p.role, "operative") != 0 && strcmp(p.role, "partner") != 0) {
        fprintf(stderr, "patrolctl: --role must be operative or partner\n");
        return EXIT_USAGE;
    }
    if (!strcmp(p.role, "partner") && !p.partner[0]) {
        fprintf(stderr, "patrolctl: a partner contact needs --partner NAME\n");
        return EXIT_USAGE;
    }
    store *s = open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    int64_t id = store_person_add(s, &p, units, nunits, err, sizeof err);
    store_close(s);
    if (id < 0) {
        fprintf(stderr, "patrolctl: %s\n", err);
        return EXIT_FAIL;
    }
    printf("added %s (%s)\n", p.callsign, p.role);
    return EXIT_OK;
}

static void print_person(void *arg, const store_person *p, const char *units)
{
    cJSON *arr = arg;
    if (arr) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddStringToObject(o, "callsign", p->callsign);
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddStringToObject(o, "role", p->role);
        cJSON_AddStringToObject(o, "partner", p->partner);
        cJSON_AddStringToObject(o, "phone", p->phone);
        cJSON_AddStringToObject(o, "units", units);
        cJSON_AddBoolToObject(o, "active", p->active);
        cJSON_AddItemToArray(arr, o);
        return;
    }
    printf("%-12s %-24s %-9s %-10s %-16s %-8s %s\n", p->callsign, p->name, p->role,
           p->partner[0] ? p->partner : "-", p->phone[0] ? p->phone : "-",
           p->active ? "active" : "disabled", units[0] ? units : "-");
}

static int people_list(const opts *o, int argc, char **argv)
{
    int json = argc > 0 && !strcmp(argv[0], "--json");
    store *s = open_store(o, STORE_RO);
    if (!s)
        return EXIT_FAIL;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%-12s %-24s %-9s %-10s %-16s %-8s %s\n", "CALLSIGN", "NAME", "ROLE", "PARTNER",
               "PHONE", "STATE", "UNITS");
    int rc = store_people_each(s, print_person, arr);
    store_close(s);
    if (json) {
        char *txt = arr ? cJSON_PrintUnformatted(arr) : NULL;
        if (txt)
            printf("%s\n", txt);
        free(txt);
        cJSON_Delete(arr);
    }
    return rc ? EXIT_FAIL : EXIT_OK;
}

static int people_active(const opts *o, int argc, char **argv, int active)
{
    if (argc != 1) {
        fprintf(stderr, "usage: patrolctl people %s CALLSIGN\n", active ? "enable" : "disable");
        return EXIT_USAGE;
    }
    store *s = open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    int rc = store_person_set_active(s, argv[0], active);
    store_close(s);
    if (rc == 0) {
        fprintf(stderr, "patrolctl: no person %s\n", argv[0]);
        return EXIT_FAIL;
    }
    if (rc < 0)
        return EXIT_FAIL;
    printf("%s %s\n", active ? "enabled" : "disabled", argv[0]);
    return EXIT_OK;
}

static int cmd_people(const opts *o, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help")) {
        printf("usage: patrolctl people add|list|disable|enable ... (patrolctl --help)\n");
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[0], "add"))
        return people_add(o, argc - 1, argv + 1);
    if (!strcmp(argv[0], "list"))
        return people_list(o, argc - 1, argv + 1);
    if (!strcmp(argv[0], "disable"))
        return people_active(o, argc - 1, argv + 1, 0);
    if (!strcmp(argv[0], "enable"))
        return people_active(o, argc - 1, argv + 1, 1);
    fprintf(stderr, "patrolctl: unknown people command %s\n", argv[0]);
    return EXIT_USAGE;
}

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

static int cmd_parse(const opts *o, int argc, char **argv)
{
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
            printf("usage: patrolctl [--config FILE] parse [--codes F] [--gazetteer F] [--radius KM] "
                   "[TEXT...]\n");
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

int main(int argc, char **argv)
{
    opts o = { NULL, NULL };
    int i = 1;

    log_set_level(LOG_WARN);
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            o.config = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            o.db = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else
            break;
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i++];
    if (!strcmp(cmd, "people"))
        return cmd_people(&o, argc - i, argv + i);
    if (!strcmp(cmd, "parse"))
        return cmd_parse(&o, argc - i, argv + i);
    if (!strcmp(cmd, "check-config")) {
        const char *path = i < argc ? argv[i] : (o.config ? o.config : DEFAULT_CONFIG);
        return gateway_check_config(path);
    }
    fprintf(stderr, "patrolctl: unknown command %s\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
