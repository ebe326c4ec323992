/* ctl_users.c: patrolctl users: the duty dashboard's accounts (users.h).
 * Passwords are read from the terminal (without echo, twice) or, when stdin
 * is not a terminal, from its first line; never from the command line,
 * where other users could see them in the process list. */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "store_users.h"
#include "users.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: patrolctl users add NAME --role viewer|duty|coordinator [--partner P]\n"
               "       patrolctl users passwd NAME\n"
               "       patrolctl users disable NAME | enable NAME\n"
               "       patrolctl users list [--json]\n"
               "  (add, passwd, disable and enable take --actor WHO; the password is read\n"
               "   from the terminal, or from the first line of stdin)\n");
}

/* One line of stdin without its newline into out. 0, or -1 (EOF, too long). */
static int read_line(char *out, size_t outsz)
{
    if (!fgets(out, (int)outsz, stdin))
        return -1;
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[--n] = '\0';
    else if (!feof(stdin))
        return -1; /* longer than the buffer */
    if (n && out[n - 1] == '\r')
        out[--n] = '\0';
    return 0;
}

static int prompt(const char *what, char *out, size_t outsz)
{
    struct termios old, quiet;
    if (tcgetattr(STDIN_FILENO, &old) != 0)
        return -1;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fprintf(stderr, "%s: ", what);
    fflush(stderr);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
        return -1;
    int rc = read_line(out, outsz);
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
    return rc;
}

/* Reads a new password and hashes it into hash. 0 or -1 (after saying why). */
static int new_password(char *hash, size_t hashsz)
{
    char pw[GW_PASSWORD_MAX + 2], again[GW_PASSWORD_MAX + 2];
    int rc = -1;
    if (isatty(STDIN_FILENO)) {
        if (prompt("New password", pw, sizeof pw) || prompt("Again", again, sizeof again)) {
            fprintf(stderr, "patrolctl: no password read\n");
            goto done;
        }
        if (strcmp(pw, again) != 0) {
            fprintf(stderr, "patrolctl: the passwords differ\n");
            goto done;
        }
    } else if (read_line(pw, sizeof pw)) {
        fprintf(stderr, "patrolctl: no password on stdin (or longer than %d bytes)\n",
                GW_PASSWORD_MAX);
        goto done;
    }
    if (strlen(pw) < USERS_PASSWORD_MIN || strlen(pw) > GW_PASSWORD_MAX) {
        fprintf(stderr, "patrolctl: a password has %d to %d characters\n", USERS_PASSWORD_MIN,
                GW_PASSWORD_MAX);
        goto done;
    }
    if (users_hash_password(pw, hash, hashsz)) {
        fprintf(stderr, "patrolctl: cannot hash the password (out of memory?)\n");
        goto done;
    }
    rc = 0;
done:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(again, sizeof again);
    return rc;
}

/* Runs change() and its audit row in one transaction. Returns change()'s
 * 1/0, or -1 after a store error. */
typedef struct change_args {
    const char *name;
    const users_user *u;     /* add */
    const char *hash;        /* passwd */
    int active;              /* enable/disable */
} change_args;

static int run_change(store *s, int (*change)(store *s, const change_args *a, int64_t at),
                      const change_args *a, const char *actor, const char *action,
                      const char *detail)
{
    int64_t at = clock_now_ms();
    if (store_begin(s))
        return -1;
    int rc = change(s, a, at);
    if (rc > 0 && audit_append(s, at, actor, action, a->name, detail) < 0)
        rc = -1;
    if (rc > 0 && store_commit(s))
        rc = -1;
    if (rc <= 0)
        store_rollback(s);
    return rc;
}

static int do_add(store *s, const change_args *a, int64_t at)
{
    return store_user_add(s, a->u, at);
}

static int do_passwd(store *s, const change_args *a, int64_t at)
{
    return store_user_set_password(s, a->name, a->hash, at);
}

static int do_active(store *s, const change_args *a, int64_t at)
{
    return store_user_set_active(s, a->name, a->active, at);
}

/* Common arguments: NAME, --actor, and for add --role and --partner. */
typedef struct user_opts {
    const char *name, *actor, *role, *partner;
} user_opts;

static int parse_opts(int argc, char **argv, int with_role, user_opts *uo)
{
    memset(uo, 0, sizeof *uo);
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!argv[i])
            return -1;
        if (!strcmp(argv[i], "--actor") && v)
            uo->actor = argv[++i];
        else if (with_role && !strcmp(argv[i], "--role") && v)
            uo->role = argv[++i];
        else if (with_role && !strcmp(argv[i], "--partner") && v)
            uo->partner = argv[++i];
        else if (argv[i][0] != '-' && !uo->name)
            uo->name = argv[i];
        else
            return -1;
    }
    if (!uo->name)
        return -1;
    if (!users_valid_name(uo->name)) {
        fprintf(stderr, "patrolctl: a user name has 1 to %d of a-z 0-9 . _ -\n", GW_USER_NAME_MAX);
        return -1;
    }
    return 0;
}

/* 1 if the config (when there is one to read) names partner; prints why not. */
static int partner_known(const ctl_opts *o, const char *partner)
{
    if (o->db)
        return 1; /* --db without a config: nothing to check against */
    gw_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || ctl_load_config(o, cfg)) {
        free(cfg);
        return 0;
    }
    int found = config_partner(cfg, partner) != NULL;
    free(cfg);
    if (!found)
        fprintf(stderr, "patrolctl: no [partner.%s] in the config\n", partner);
    return found;
}

static int users_add_cmd(const ctl_opts *o, int argc, char **argv)
{
    user_opts uo;
    users_user u;
    if (parse_opts(argc, argv, 1, &uo) || !uo.role) {
        usage(stderr);
        return EXIT_USAGE;
    }
    memset(&u, 0, sizeof u);
    int role = users_role_parse(uo.role);
    if (role < 0) {
        fprintf(stderr, "patrolctl: --role must be viewer, duty or coordinator\n");
        return EXIT_USAGE;
    }
    u.role = (enum users_role)role;
    if (u.role == USERS_DUTY && !uo.partner) {
        fprintf(stderr, "patrolctl: a duty user answers for one partner: --partner NAME\n");
        return EXIT_USAGE;
    }
    if (u.role == USERS_COORDINATOR && uo.partner) {
        fprintf(stderr, "patrolctl: a coordinator sees every partner (no --partner)\n");
        return EXIT_USAGE;
    }
    if (uo.partner) {
        if (strlen(uo.partner) > GW_NAME_MAX || !partner_known(o, uo.partner))
            return EXIT_FAIL;
        snprintf(u.partner, sizeof u.partner, "%s", uo.partner);
    }
    snprintf(u.name, sizeof u.name, "%s", uo.name);
    u.active = 1;
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(uo.actor, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    if (new_password(u.pwhash, sizeof u.pwhash))
        return EXIT_FAIL;
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    char detail[64];
    snprintf(detail, sizeof detail, "role=%s%s%s", users_role_name(u.role), u.partner[0] ? " partner=" : "",
             u.partner);
    change_args a = { u.name, &u, NULL, 1 };
    int rc = run_change(s, do_add, &a, actor, "users add", detail);
    store_close(s);
    sodium_memzero(&u, sizeof u);
    if (rc == 0) {
        fprintf(stderr, "patrolctl: user %s exists\n", uo.name);
        return EXIT_FAIL;
    }
    if (rc < 0) {
        fprintf(stderr, "patrolctl: store error\n");
        return EXIT_FAIL;
    }
    printf("added %s (%s)\n", uo.name, users_role_name((enum users_role)role));
    return EXIT_OK;
}

static int users_passwd_cmd(const ctl_opts *o, int argc, char **argv)
{
    user_opts uo;
    char hash[USERS_HASH_MAX];
    if (parse_opts(argc, argv, 0, &uo)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(uo.actor, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    if (new_password(hash, sizeof hash))
        return EXIT_FAIL;
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    change_args a = { uo.name, NULL, hash, 1 };
    int rc = run_change(s, do_passwd, &a, actor, "users passwd", NULL);
    store_close(s);
    sodium_memzero(hash, sizeof hash);
    if (rc <= 0) {
        fprintf(stderr, rc == 0 ? "patrolctl: no user %s\n" : "patrolctl: store error (%s)\n", uo.name);
        return EXIT_FAIL;
    }
    printf("password of %s changed; their sessions are ended\n", uo.name);
    return EXIT_OK;
}

static int users_active_cmd(const ctl_opts *o, int argc, char **argv, int active)
{
    user_opts uo;
    if (parse_opts(argc, argv, 0, &uo)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(uo.actor, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return EXIT_FAIL;
    change_args a = { uo.name, NULL, NULL, active };
    int rc = run_change(s, do_active, &a, actor, active ? "users enable" : "users disable", NULL);
    store_close(s);
    if (rc <= 0) {
        fprintf(stderr, rc == 0 ? "patrolctl: no user %s\n" : "patrolctl: store error (%s)\n", uo.name);
        return EXIT_FAIL;
    }
    printf("%s %s\n", active ? "enabled" : "disabled", uo.name);
    return EXIT_OK;
}

static void print_user(void *arg, const users_user *u)
{
    cJSON *arr = arg;
    char when[40];
    if (u->last_login_at)
        clock_rfc3339(u->last_login_at, when, sizeof when);
    else
        snprintf(when, sizeof when, "-");
    if (arr) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddStringToObject(o, "name", u->name);
        cJSON_AddStringToObject(o, "role", users_role_name(u->role));
        cJSON_AddStringToObject(o, "partner", u->partner);
        cJSON_AddBoolToObject(o, "active", u->active);
        cJSON_AddStringToObject(o, "last_login", u->last_login_at ? when : "");
        cJSON_AddItemToArray(arr, o);
        return;
    }
    printf("%-20s %-12s %-12s %-9s %s\n", u->name, users_role_name(u->role),
           u->partner[0] ? u->partner : "-", u->active ? "active" : "disabled", when);
}

static int users_list_cmd(const ctl_opts *o, int argc, char **argv)
{
    int json = argc > 0 && !strcmp(argv[0], "--json");
    if (argc > (json ? 1 : 0)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    store *s = ctl_open_store(o, STORE_RO);
    if (!s)
        return EXIT_FAIL;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%-20s %-12s %-12s %-9s %s\n", "NAME", "ROLE", "PARTNER", "STATE", "LAST LOGIN");
    long n = store_users_each(s, print_user, arr);
    store_close(s);
    if (json) {
        char *txt = arr ? cJSON_PrintUnformatted(arr) : NULL;
        if (txt)
            printf("%s\n", txt);
        free(txt);
        cJSON_Delete(arr);
    }
    return n < 0 ? EXIT_FAIL : EXIT_OK;
}

int ctl_users(const ctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help")) {
        usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[0];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout); /* one usage covers every users command */
            return EXIT_OK;
        }
    if (!strcmp(sub, "add"))
        return users_add_cmd(o, argc - 1, argv + 1);
    if (!strcmp(sub, "passwd"))
        return users_passwd_cmd(o, argc - 1, argv + 1);
    if (!strcmp(sub, "disable"))
        return users_active_cmd(o, argc - 1, argv + 1, 0);
    if (!strcmp(sub, "enable"))
        return users_active_cmd(o, argc - 1, argv + 1, 1);
    if (!strcmp(sub, "list"))
        return users_list_cmd(o, argc - 1, argv + 1);
    fprintf(stderr, "patrolctl: unknown users command %s\n", sub);
    usage(stderr);
    return EXIT_USAGE;
}
