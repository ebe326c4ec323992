/* ctl_people.c: patrolctl people: who may report or acknowledge. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "phone.h"

#define MAX_UNITS 16

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

static int people_add(const ctl_opts *o, int argc, char **argv)
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
    store *s = ctl_open_store(o, STORE_RW);
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

static int people_list(const ctl_opts *o, int argc, char **argv)
{
    int json = argc > 0 && !strcmp(argv[0], "--json");
    store *s = ctl_open_store(o, STORE_RO);
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

static int people_active(const ctl_opts *o, int argc, char **argv, int active)
{
    if (argc != 1) {
        fprintf(stderr, "usage: patrolctl people %s CALLSIGN\n", active ? "enable" : "disable");
        return EXIT_USAGE;
    }
    store *s = ctl_open_store(o, STORE_RW);
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

int ctl_people(const ctl_opts *o, int argc, char **argv)
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

