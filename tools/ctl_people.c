/* ctl_people.c: patrolctl people: who may report or acknowledge. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "phone.h"
#include "store_people.h"

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

/* Callsigns of removed people: "removed-<id>" (store_person_remove). */
#define REMOVED_PREFIX "removed-"

static int people_add(const ctl_opts *o, int argc, char **argv)
{
    store_person p;
    const char *units[MAX_UNITS];
    int nunits = 0;
    char err[PRC_ERR_MAX];
    const char *actor_opt = NULL;

    memset(&p, 0, sizeof p);
    p.active = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            printf("usage: patrolctl people add --callsign C --name NAME --role operative|partner\n"
                   "                            [--partner P] [--phone NUMBER] [--unit NET/UNIT]...\n"
                   "                            [--actor WHO]\n");
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
        } else if (!strcmp(a, "--actor")) {
            actor_opt = v;
        } else {
            fprintf(stderr, "patrolctl: unknown option %s\n", a);
            return EXIT_USAGE;
        }
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(actor_opt, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    if (!valid_callsign(p.callsign) || !p.name[0]) {
        fprintf(stderr, "patrolctl: --callsign (letters, digits, - or _) and --name are required\n");
        return EXIT_USAGE;
    }
    if (!strncmp(p.callsign, REMOVED_PREFIX, strlen(REMOVED_PREFIX))) {
        fprintf(stderr, "patrolctl: callsigns starting with %s are kept for removed people\n",
                REMOVED_PREFIX);
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
    /* The person and the audit row in one transaction: both or neither. */
    char detail[64];
    snprintf(detail, sizeof detail, "role=%s units=%d%s", p.role, nunits, p.phone[0] ? " phone" : "");
    snprintf(err, sizeof err, "store busy");
    int64_t id = store_begin(s) ? -1 : store_person_add(s, &p, units, nunits, err, sizeof err);
    if (id >= 0 && audit_append(s, clock_now_ms(), actor, "people add", p.callsign, detail) < 0) {
        snprintf(err, sizeof err, "cannot write the audit row; %s not added", p.callsign);
        id = -1;
    }
    if (id >= 0 && store_commit(s)) {
        snprintf(err, sizeof err, "commit failed; %s not added", p.callsign);
        id = -1;
    }
    if (id < 0) {
        store_rollback(s);
        store_close(s);
        fprintf(stderr, "patrolctl: %s\n", err);
        return EXIT_FAIL;
    }
    store_close(s);
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
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: patrolctl people list [--json]\n"
               "Lists registered people: callsign, name, role, partner, phone, state, units.\n");
        return EXIT_OK;
    }
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
    const char *callsign = NULL, *actor_opt = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl people %s CALLSIGN [--actor WHO]\n",
                   active ? "enable" : "disable");
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--actor") && i + 1 < argc)
            actor_opt = argv[++i];
        else if (argv[i][0] != '-' && !callsign)
            callsign = argv[i];
        else
            callsign = NULL, i = argc; /* usage below */
    }
    if (!callsign) {
        fprintf(stderr, "usage: patrolctl people %s CALLSIGN [--actor WHO]\n",
                active ? "enable" : "disable");
        return EXIT_USAGE;
    }
    if (!strncmp(callsign, REMOVED_PREFIX, strlen(REMOVED_PREFIX))) {
        fprintf(stderr, "patrolctl: %s was removed\n", callsign);
        return EXIT_FAIL;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(actor_opt, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    int rc = -1;
    if (store_begin(s) == 0) {
        rc = store_person_set_active(s, callsign, active);
        if (rc > 0 && audit_append(s, clock_now_ms(), actor,
                                   active ? "people enable" : "people disable", callsign,
                                   NULL) < 0)
            rc = -1;
        if (rc > 0 && store_commit(s))
            rc = -1;
        if (rc <= 0)
            store_rollback(s);
    }
    store_close(s);
    if (rc == 0) {
        fprintf(stderr, "patrolctl: no person %s\n", callsign);
        return EXIT_FAIL;
    }
    if (rc < 0) {
        fprintf(stderr, "patrolctl: store error\n");
        return EXIT_FAIL;
    }
    printf("%s %s\n", active ? "enabled" : "disabled", callsign);
    return EXIT_OK;
}

static void edit_usage(FILE *f)
{
    fprintf(f, "usage: patrolctl people edit CALLSIGN [--name NAME] [--role operative|partner]\n"
               "                            [--partner P] [--phone NUMBER|none]\n"
               "                            [--unit NET/UNIT]... [--no-units] [--actor WHO]\n"
               "  --unit replaces all radio units of the person; --no-units removes them.\n");
}

static int people_edit(const ctl_opts *o, int argc, char **argv)
{
    const char *units[MAX_UNITS];
    int nunits = -1;
    const char *callsign = NULL, *actor_opt = NULL;
    const char *name = NULL, *role = NULL, *partner = NULL, *phone = NULL;
    char err[PRC_ERR_MAX];

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) {
            edit_usage(stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "--no-units")) {
            nunits = 0;
            continue;
        }
        if (a[0] != '-') {
            if (callsign) {
                edit_usage(stderr);
                return EXIT_USAGE;
            }
            callsign = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", a);
            return EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--name"))
            name = v;
        else if (!strcmp(a, "--role"))
            role = v;
        else if (!strcmp(a, "--partner"))
            partner = v;
        else if (!strcmp(a, "--phone"))
            phone = v;
        else if (!strcmp(a, "--actor"))
            actor_opt = v;
        else if (!strcmp(a, "--unit")) {
            if (nunits < 0)
                nunits = 0;
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
    if (!callsign) {
        edit_usage(stderr);
        return EXIT_USAGE;
    }
    if ((name && (!name[0] || strlen(name) > GW_PERSON_NAME_MAX)) ||
        (partner && strlen(partner) > GW_NAME_MAX)) {
        fprintf(stderr, "patrolctl: --name or --partner is empty or too long "
                        "(see docs/internals/LIMITS.md)\n");
        return EXIT_USAGE;
    }
    if (role && strcmp(role, "operative") != 0 && strcmp(role, "partner") != 0) {
        fprintf(stderr, "patrolctl: --role must be operative or partner\n");
        return EXIT_USAGE;
    }
    if (!strncmp(callsign, REMOVED_PREFIX, strlen(REMOVED_PREFIX))) {
        fprintf(stderr, "patrolctl: %s was removed\n", callsign);
        return EXIT_FAIL;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(actor_opt, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;

    store_person p;
    char changed[96] = "";
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    int rc = store_begin(s) ? -1 : store_person_by_callsign(s, callsign, &p);
    if (rc <= 0)
        goto done;
    /* What changed goes in the audit row by field name only: no values
     * (names and numbers are personal data). */
#define CHANGED(f) snprintf(changed + strlen(changed), sizeof changed - strlen(changed), "%s%s", \
                            changed[0] ? "," : "", f)
    if (name && strcmp(name, p.name) != 0) {
        snprintf(p.name, sizeof p.name, "%s", name);
        CHANGED("name");
    }
    if (role && strcmp(role, p.role) != 0) {
        snprintf(p.role, sizeof p.role, "%s", role);
        CHANGED("role");
        if (!strcmp(role, "operative") && !partner)
            partner = "";
    }
    if (partner && strcmp(partner, p.partner) != 0) {
        snprintf(p.partner, sizeof p.partner, "%s", partner);
        CHANGED("partner");
    }
    if (phone) {
        char e164[GW_PHONE_MAX + 1] = "";
        if (strcmp(phone, "none") != 0 && phone[0] &&
            phone_normalise(phone, "44", e164, sizeof e164)) {
            fprintf(stderr, "patrolctl: not a phone number (use +44... or 07..., or none)\n");
            rc = -2;
            goto done;
        }
        if (strcmp(e164, p.phone) != 0) {
            snprintf(p.phone, sizeof p.phone, "%s", e164);
            CHANGED("phone");
        }
    }
    if (nunits >= 0)
        CHANGED("units");
#undef CHANGED
    if (!strcmp(p.role, "partner") && !p.partner[0]) {
        fprintf(stderr, "patrolctl: a partner contact needs --partner NAME\n");
        rc = -2;
        goto done;
    }
    if (!changed[0]) {
        rc = 2; /* nothing to do */
        goto done;
    }
    rc = store_person_update(s, callsign, &p, units, nunits, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "patrolctl: %s\n", err);
        rc = -2;
        goto done;
    }
    if (rc > 0 && (audit_append(s, clock_now_ms(), actor, "people edit", callsign, changed) < 0 ||
                   store_commit(s)))
        rc = -1;
done:
    store_rollback(s);
    store_close(s);
    if (rc == 0) {
        fprintf(stderr, "patrolctl: no person %s\n", callsign);
        return EXIT_FAIL;
    }
    if (rc == -1)
        fprintf(stderr, "patrolctl: store error\n");
    if (rc < 0)
        return EXIT_FAIL;
    if (rc == 2)
        printf("%s unchanged\n", callsign);
    else
        printf("changed %s: %s\n", callsign, changed);
    return EXIT_OK;
}

static int people_remove(const ctl_opts *o, int argc, char **argv)
{
    const char *callsign = NULL, *actor_opt = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: patrolctl people remove CALLSIGN [--actor WHO]\n"
                   "  Erases the person (name, phone, radio units); their reports stay,\n"
                   "  under a pseudonym such as removed-17.\n");
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--actor") && i + 1 < argc)
            actor_opt = argv[++i];
        else if (argv[i][0] != '-' && !callsign)
            callsign = argv[i];
        else
            callsign = NULL, i = argc;
    }
    if (!callsign) {
        fprintf(stderr, "usage: patrolctl people remove CALLSIGN [--actor WHO]\n");
        return EXIT_USAGE;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(actor_opt, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    char ps[40] = "";
    int64_t now = clock_now_ms();
    int rc = -1;
    if (!strncmp(callsign, REMOVED_PREFIX, strlen(REMOVED_PREFIX))) {
        rc = 0;
    } else if (store_begin(s) == 0) {
        rc = store_person_remove(s, callsign, now, ps, sizeof ps);
        /* The audit row names the pseudonym: the callsign is what is erased. */
        if (rc > 0 && (audit_append(s, now, actor, "people remove", ps, "pseudonymised") < 0 ||
                       store_commit(s)))
            rc = -1;
        store_rollback(s);
    }
    store_close(s);
    if (rc == 0) {
        fprintf(stderr, "patrolctl: no person %s\n", callsign);
        return EXIT_FAIL;
    }
    if (rc < 0) {
        fprintf(stderr, "patrolctl: store error\n");
        return EXIT_FAIL;
    }
    printf("removed %s: now %s\n", callsign, ps);
    return EXIT_OK;
}

int ctl_people(const ctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help")) {
        fprintf(argc < 1 ? stderr : stdout,
                "usage: patrolctl people add|edit|list|disable|enable|remove ...\n"
                "       patrolctl people SUBCOMMAND --help\n");
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[0], "edit"))
        return people_edit(o, argc - 1, argv + 1);
    if (!strcmp(argv[0], "remove"))
        return people_remove(o, argc - 1, argv + 1);
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

