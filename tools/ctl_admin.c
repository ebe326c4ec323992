/* ctl_admin.c: patrolctl partners, tail, purge, audit, backup, status: running
 * the scheme (docs/patrolctl.md). Everything goes through store.h. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "retention.h"
#include "store_admin.h"
#include "store_reports.h"

/* ------------------------------------------------------------ shared */

const char *ctl_actor(const char *given, char *buf, size_t bufsz)
{
    if (given) {
        size_t n = strlen(given);
        int ok = n > 0 && n <= AUDIT_FIELD_MAX && n < bufsz;
        for (size_t i = 0; ok && i < n; i++)
            ok = given[i] > ' ' && given[i] < 0x7f;
        if (!ok) {
            fprintf(stderr, "patrolctl: --actor must be 1 to %d printable ASCII characters, "
                            "no spaces\n", AUDIT_FIELD_MAX);
            return NULL;
        }
        snprintf(buf, bufsz, "%s", given);
        return buf;
    }
    /* getpwuid_r: no static buffer; a uid without a passwd entry is its number. */
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name[0])
        snprintf(buf, bufsz, "%s", res->pw_name);
    else
        snprintf(buf, bufsz, "uid%ld", (long)getuid());
    return buf;
}

/* Prints a cJSON value on one line and frees it. 0 or -1. */
static int print_json(cJSON *v)
{
    char *txt = v ? cJSON_PrintUnformatted(v) : NULL;
    cJSON_Delete(v);
    if (!txt) {
        fprintf(stderr, "patrolctl: out of memory\n");
        return -1;
    }
    printf("%s\n", txt);
    free(txt);
    return 0;
}

static void time_text(int64_t ms, char *out, size_t outsz)
{
    if (ms <= 0)
        snprintf(out, outsz, "-");
    else
        clock_rfc3339(ms, out, outsz);
}

/* Loads the config into cfg: --config or the default, or defaults only when
 * --db alone was given. 0, or -1 after printing why. */
static int load_cfg(const ctl_opts *o, gw_config *cfg)
{
    config_defaults(cfg);
    if (o->config || !o->db)
        return ctl_load_config(o, cfg);
    return 0;
}

/* Simple options: flags (--json, --dry-run ...) and options with a value. */
typedef struct opt {
    const char *name;
    int takes_value;
    const char **value;   /* for options with a value */
    int *flag;            /* for flags */
} opt;

/* Parses argv against opts; positional arguments go to pos[0..maxpos).
 * Returns 0, 1 for --help (usage printed to stdout), or EXIT_USAGE after
 * printing the usage to stderr. */
static int parse_opts(int argc, char **argv, const opt *opts, int nopts, const char **pos,
                      int maxpos, int *npos, const char *usage)
{
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (*npos >= maxpos)
                goto bad;
            pos[(*npos)++] = a;
            continue;
        }
        int k = 0;
        for (; k < nopts; k++)
            if (!strcmp(a, opts[k].name))
                break;
        if (k == nopts) {
            fprintf(stderr, "patrolctl: unknown option %s\n", a);
            goto bad;
        }
        if (opts[k].takes_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "patrolctl: %s needs a value\n", a);
                goto bad;
            }
            *opts[k].value = argv[++i];
        } else {
            *opts[k].flag = 1;
        }
    }
    return 0;
bad:
    fputs(usage, stderr);
    return EXIT_USAGE;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* ------------------------------------------------------------ partners */

typedef struct health_sum {
    char partner[GW_NAME_MAX + 1];
    int configured;
    long pending, retrying, dead, sent, acked;
    int64_t last_success, oldest_pending;
} health_sum;

typedef struct health_ctx {
    health_sum *rows;
    int n, cap;
} health_ctx;

static health_sum *health_slot(health_ctx *c, const char *partner)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->rows[i].partner, partner))
            return &c->rows[i];
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        health_sum *r = realloc(c->rows, (size_t)cap * sizeof *r);
        if (!r)
            return NULL;
        c->rows = r;
        c->cap = cap;
    }
    health_sum *h = &c->rows[c->n++];
    memset(h, 0, sizeof *h);
    snprintf(h->partner, sizeof h->partner, "%s", partner);
    return h;
}

static void health_add(void *arg, const store_alert_health *a)
{
    health_sum *h = health_slot(arg, a->partner);
    if (!h)
        return;
    h->pending += a->pending;
    h->retrying += a->retrying;
    h->dead += a->dead;
    h->sent += a->sent;
    h->acked += a->acked;
    if (a->last_success > h->last_success)
        h->last_success = a->last_success;
    if (a->oldest_pending && (!h->oldest_pending || a->oldest_pending < h->oldest_pending))
        h->oldest_pending = a->oldest_pending;
}

/* "P1-P2, codes ENV DMG, zones all, mqtt, 1 duty phone" */
static void routing_text(const cfg_partner *p, char *out, size_t outsz)
{
    size_t n = 0;
#define PUT(...)                                                                  \
    do {                                                                          \
        int k_ = snprintf(out + n, outsz - n, __VA_ARGS__);                       \
        if (k_ > 0)                                                               \
            n = (size_t)k_ < outsz - n ? n + (size_t)k_ : outsz - 1;              \
    } while (0)
    out[0] = '\0';
    PUT("P1-P%d, codes", p->min_priority);
    if (!p->ncodes)
        PUT(" all");
    for (int i = 0; i < p->ncodes; i++)
        PUT(" %s", p->codes[i]);
    PUT(", zones");
    if (!p->nzones)
        PUT(" all");
    for (int i = 0; i < p->nzones; i++)
        PUT(" %s", p->zones[i]);
    PUT(", %s", p->mqtt ? "mqtt" : "no mqtt");
    if (p->nsms)
        PUT(", sms to %d duty phone%s", p->nsms, p->nsms == 1 ? "" : "s");
#undef PUT
}

static const char partners_usage[] =
    "usage: patrolctl partners [--json]\n"
    "  The configured partners, their routing, and alert delivery from the store:\n"
    "  pending (not yet delivered), retrying (pending after a failed attempt),\n"
    "  dead (given up: state failed), sent, acked, last success.\n";

int ctl_partners(const ctl_opts *o, int argc, char **argv)
{
    int json = 0, npos;
    const opt opts[] = { { "--json", 0, NULL, &json } };
    int rc = parse_opts(argc, argv, opts, 1, NULL, 0, &npos, partners_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    gw_config *cfg = calloc(1, sizeof *cfg);
    health_ctx hc = { NULL, 0, 0 };
    store *s = NULL;
    cJSON *arr = NULL;
    rc = EXIT_FAIL;
    if (!cfg || load_cfg(o, cfg))
        goto done;
    for (int i = 0; i < cfg->npartners; i++) {
        health_sum *h = health_slot(&hc, cfg->partners[i].name);
        if (!h)
            goto done;
        h->configured = 1;
    }
    s = ctl_open_store(o, STORE_RO);
    if (!s || store_alert_health_each(s, health_add, &hc))
        goto done;
    if (json && !(arr = cJSON_CreateArray()))
        goto done;
    if (!json)
        printf("%-12s %7s %8s %5s %6s %6s %-24s %s\n", "PARTNER", "PENDING", "RETRYING", "DEAD",
               "SENT", "ACKED", "LAST_SUCCESS", "ROUTING");
    for (int i = 0; i < hc.n; i++) {
        const health_sum *h = &hc.rows[i];
        char routing[512] = "(not in the config)", last[40], oldest[40];
        const cfg_partner *p = config_partner(cfg, h->partner);
        if (p)
            routing_text(p, routing, sizeof routing);
        time_text(h->last_success, last, sizeof last);
        time_text(h->oldest_pending, oldest, sizeof oldest);
        if (!json) {
            printf("%-12s %7ld %8ld %5ld %6ld %6ld %-24s %s\n", h->partner, h->pending,
                   h->retrying, h->dead, h->sent, h->acked, last, routing);
            continue;
        }
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(arr, e) ||
            !cJSON_AddStringToObject(e, "partner", h->partner) ||
            !cJSON_AddBoolToObject(e, "configured", h->configured) ||
            !cJSON_AddStringToObject(e, "routing", h->configured ? routing : "") ||
            !cJSON_AddNumberToObject(e, "pending", (double)h->pending) ||
            !cJSON_AddNumberToObject(e, "retrying", (double)h->retrying) ||
            !cJSON_AddNumberToObject(e, "dead", (double)h->dead) ||
            !cJSON_AddNumberToObject(e, "sent", (double)h->sent) ||
            !cJSON_AddNumberToObject(e, "acked", (double)h->acked) ||
            !(h->last_success ? cJSON_AddStringToObject(e, "last_success", last)
                              : cJSON_AddNullToObject(e, "last_success")) ||
            !(h->oldest_pending ? cJSON_AddStringToObject(e, "oldest_pending", oldest)
                                : cJSON_AddNullToObject(e, "oldest_pending")))
            goto done;
    }
    if (json) {
        cJSON *a = arr;
        arr = NULL;
        if (print_json(a))
            goto done;
    }
    rc = EXIT_OK;
done:
    cJSON_Delete(arr);
    store_close(s);
    free(hc.rows);
    free(cfg);
    return rc;
}

/* ------------------------------------------------------------ tail */

static volatile sig_atomic_t tail_stop;

static void on_stop(int sig)
{
    (void)sig;
    tail_stop = 1;
}

typedef struct tail_ctx {
    int json;
    long count;    /* stop after this many, 0 = never */
    long printed;
    int failed;
} tail_ctx;

static void tail_print(void *arg, const store_tail_item *it)
{
    tail_ctx *c = arg;
    char at[40];
    if (c->count && c->printed >= c->count)
        return;
    c->printed++;
    clock_rfc3339(it->at, at, sizeof at);
    if (!c->json) {
        int show_zone = it->zone[0] && strcmp(it->zone, it->location) != 0;
        if (!strcmp(it->kind, "report"))
            printf("%s report R%lld %s P%d %s%s%s by %s (%s)\n", at, (long long)it->ref, it->code,
                   it->priority, it->location, show_zone ? " zone " : "",
                   show_zone ? it->zone : "", it->reporter, it->channel);
        else if (!strcmp(it->kind, "alert"))
            printf("%s alert  R%lld -> %s (%s) %s\n", at, (long long)it->ref, it->partner,
                   it->channel, it->state);
        else
            printf("%s ack    R%lld by %s (%s)\n", at, (long long)it->ref, it->by, it->partner);
        fflush(stdout);
        return;
    }
    char ref[24];
    snprintf(ref, sizeof ref, "R%lld", (long long)it->ref);
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "kind", it->kind) &&
             cJSON_AddStringToObject(o, "ref", ref) && cJSON_AddStringToObject(o, "at", at);
    if (ok && !strcmp(it->kind, "report"))
        ok = cJSON_AddStringToObject(o, "code", it->code) &&
             cJSON_AddNumberToObject(o, "priority", it->priority) &&
             cJSON_AddStringToObject(o, "location", it->location) &&
             (it->zone[0] ? cJSON_AddStringToObject(o, "zone", it->zone) != NULL
                          : cJSON_AddNullToObject(o, "zone") != NULL) &&
             cJSON_AddStringToObject(o, "reporter", it->reporter) &&
             cJSON_AddStringToObject(o, "channel", it->channel) &&
             cJSON_AddStringToObject(o, "status", it->status);
    else if (ok && !strcmp(it->kind, "alert"))
        ok = cJSON_AddNumberToObject(o, "alert", (double)it->id) &&
             cJSON_AddStringToObject(o, "partner", it->partner) &&
             cJSON_AddStringToObject(o, "channel", it->channel) &&
             cJSON_AddStringToObject(o, "state", it->state);
    else if (ok)
        ok = cJSON_AddStringToObject(o, "partner", it->partner) &&
             cJSON_AddStringToObject(o, "by", it->by);
    if (!ok) {
        cJSON_Delete(o);
        c->failed = 1;
        return;
    }
    if (print_json(o))
        c->failed = 1;
    fflush(stdout);
}

static const char tail_usage[] =
    "usage: patrolctl tail [--json] [--count N]\n"
    "  Prints new reports, alerts and acknowledgements as patrolgw commits them\n"
    "  (the store is read every 500 ms), until Ctrl-C or after N items.\n";

int ctl_tail(const ctl_opts *o, int argc, char **argv)
{
    int json = 0, npos;
    const char *count_s = NULL;
    const opt opts[] = { { "--json", 0, NULL, &json }, { "--count", 1, &count_s, NULL } };
    int rc = parse_opts(argc, argv, opts, 2, NULL, 0, &npos, tail_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    tail_ctx c = { json, 0, 0, 0 };
    if (count_s && parse_long(count_s, 1, 1000000000L, &c.count)) {
        fprintf(stderr, "patrolctl: --count must be a number from 1\n");
        return EXIT_USAGE;
    }
    store *s = ctl_open_store(o, STORE_RO);
    if (!s)
        return EXIT_FAIL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    int64_t last_ref, last_alert, last_event;
    rc = EXIT_FAIL;
    if (store_tail_start(s, &last_ref, &last_alert, &last_event))
        goto done;
    /* On stderr, so that stdout stays the items only: scripts (and the tests)
     * know from it that everything committed from now on is shown. */
    fprintf(stderr, "patrolctl: tail: watching for reports after R%lld (Ctrl-C stops)\n",
            (long long)last_ref);
    while (!tail_stop && !c.failed && (!c.count || c.printed < c.count)) {
        int n = store_tail(s, &last_ref, &last_alert, &last_event, 256, tail_print, &c);
        if (n < 0)
            goto done;
        if (n > 0)
            continue; /* more may be waiting */
        struct timespec ts = { 0, 500 * 1000000L };
        (void)nanosleep(&ts, NULL); /* a signal cuts it short */
    }
    rc = c.failed ? EXIT_FAIL : EXIT_OK;
done:
    store_close(s);
    return rc;
}

/* ------------------------------------------------------------ purge */

static const char purge_usage[] =
    "usage: patrolctl purge [--dry-run] [--json] [--actor WHO]\n"
    "  Applies the retention policy of the config ([retention] details_days,\n"
    "  phone_days): erases details, message texts and phone numbers older than\n"
    "  the policy allows; rows and counts stay. Recorded in the audit trail.\n"
    "  --dry-run prints what would be erased and changes nothing.\n";

int ctl_purge(const ctl_opts *o, int argc, char **argv)
{
    int json = 0, dry = 0, npos;
    const char *actor_opt = NULL;
    const opt opts[] = { { "--json", 0, NULL, &json }, { "--dry-run", 0, NULL, &dry },
                         { "--actor", 1, &actor_opt, NULL } };
    int rc = parse_opts(argc, argv, opts, 3, NULL, 0, &npos, purge_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = ctl_actor(actor_opt, actor_buf, sizeof actor_buf);
    if (!actor)
        return EXIT_USAGE;
    gw_config *cfg = calloc(1, sizeof *cfg);
    store *s = NULL;
    retention_result r;
    rc = EXIT_FAIL;
    if (!cfg || load_cfg(o, cfg))
        goto done;
    s = ctl_open_store(o, STORE_RW);
    if (!s)
        goto done;
    if (retention_purge(s, cfg, clock_now_ms(), actor, dry, &r)) {
        fprintf(stderr, "patrolctl: purge failed: nothing was erased\n");
        goto done;
    }
    const store_purge_counts *c = &r.counts;
    const struct {
        const char *name;
        long n;
    } rows[] = {
        { "report_details", c->report_details }, { "message_texts", c->message_texts },
        { "event_details", c->event_details },   { "alert_payloads", c->alert_payloads },
        { "sms_texts", c->sms_texts },           { "message_phones", c->message_phones },
        { "report_phones", c->report_phones },   { "sms_phones", c->sms_phones },
    };
    char dcut[40], pcut[40];
    time_text(r.details_before, dcut, sizeof dcut);
    time_text(r.phones_before, pcut, sizeof pcut);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        int ok = j && cJSON_AddBoolToObject(j, "dry_run", dry) &&
                 cJSON_AddNumberToObject(j, "details_days", cfg->retention_details_days) &&
                 cJSON_AddNumberToObject(j, "phone_days", cfg->retention_phone_days) &&
                 (r.details_before ? cJSON_AddStringToObject(j, "details_before", dcut) != NULL
                                   : cJSON_AddNullToObject(j, "details_before") != NULL) &&
                 (r.phones_before ? cJSON_AddStringToObject(j, "phones_before", pcut) != NULL
                                  : cJSON_AddNullToObject(j, "phones_before") != NULL);
        for (size_t i = 0; ok && i < sizeof rows / sizeof rows[0]; i++)
            ok = cJSON_AddNumberToObject(j, rows[i].name, (double)rows[i].n) != NULL;
        ok = ok && cJSON_AddNumberToObject(j, "total", (double)r.total) &&
             (r.audit_id ? cJSON_AddNumberToObject(j, "audit_id", (double)r.audit_id) != NULL
                         : cJSON_AddNullToObject(j, "audit_id") != NULL);
        if (!ok) {
            cJSON_Delete(j);
            goto done;
        }
        if (print_json(j))
            goto done;
    } else {
        printf("%s: details older than %d days (before %s), phone numbers older than %d days "
               "(before %s)\n",
               dry ? "would erase" : "erased", cfg->retention_details_days, dcut,
               cfg->retention_phone_days, pcut);
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            printf("  %-16s %ld\n", rows[i].name, rows[i].n);
        printf("  %-16s %ld\n", "total", r.total);
        if (!dry)
            printf("audit row %lld\n", (long long)r.audit_id);
    }
    rc = EXIT_OK;
done:
    store_close(s);
    free(cfg);
    return rc;
}

/* ------------------------------------------------------------ audit */

typedef struct audit_list_ctx {
    cJSON *arr;
    int failed;
} audit_list_ctx;

static int audit_print(void *arg, const store_audit_row *r)
{
    audit_list_ctx *c = arg;
    char at[40];
    clock_rfc3339(r->at, at, sizeof at);
    if (!c->arr) {
        printf("%-6lld %-24s %-12s %-15s %-14s %s\n", (long long)r->id, at, r->actor, r->action,
               r->object[0] ? r->object : "-", r->detail);
        return 0;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(c->arr, o) ||
        !cJSON_AddNumberToObject(o, "id", (double)r->id) || !cJSON_AddStringToObject(o, "at", at) ||
        !cJSON_AddStringToObject(o, "actor", r->actor) ||
        !cJSON_AddStringToObject(o, "action", r->action) ||
        !cJSON_AddStringToObject(o, "object", r->object) ||
        !cJSON_AddStringToObject(o, "detail", r->detail) ||
        !cJSON_AddStringToObject(o, "hash", r->hash)) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static const char audit_usage[] =
    "usage: patrolctl audit [--json] | audit --verify [--json]\n"
    "  Lists the audit trail: who added, changed, disabled, enabled or removed\n"
    "  people, who purged, who acknowledged which report.\n"
    "  --verify recomputes the hash chain; exit 1 and the first row changed or\n"
    "  removed if it is broken.\n";

int ctl_audit(const ctl_opts *o, int argc, char **argv)
{
    int json = 0, verify = 0, npos;
    const opt opts[] = { { "--json", 0, NULL, &json }, { "--verify", 0, NULL, &verify } };
    int rc = parse_opts(argc, argv, opts, 2, NULL, 0, &npos, audit_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    store *s = ctl_open_store(o, STORE_RO);
    if (!s)
        return EXIT_FAIL;
    rc = EXIT_FAIL;
    if (verify) {
        audit_check chk;
        int v = audit_verify(s, &chk);
        if (v < 0)
            goto done;
        char head[AUDIT_HASH_HEX + 1] = "";
        int64_t last = 0;
        if (store_audit_last(s, &last, head, sizeof head) < 0)
            goto done;
        if (json) {
            cJSON *j = cJSON_CreateObject();
            int ok = j && cJSON_AddBoolToObject(j, "ok", v == 0) &&
                     cJSON_AddNumberToObject(j, "rows", (double)chk.rows) &&
                     (v ? cJSON_AddNumberToObject(j, "bad_id", (double)chk.bad_id) != NULL &&
                              cJSON_AddStringToObject(j, "reason", chk.reason) != NULL
                        : cJSON_AddStringToObject(j, "head", head[0] ? head : AUDIT_GENESIS) !=
                              NULL);
            if (!ok) {
                cJSON_Delete(j);
                goto done;
            }
            if (print_json(j))
                goto done;
        } else if (v) {
            printf("audit trail BROKEN at row %lld: %s\n", (long long)chk.bad_id, chk.reason);
        } else {
            printf("audit trail intact: %ld rows, head %s\n", chk.rows,
                   head[0] ? head : AUDIT_GENESIS);
        }
        rc = v ? EXIT_FAIL : EXIT_OK;
        goto done;
    }
    audit_list_ctx c = { json ? cJSON_CreateArray() : NULL, 0 };
    if (json && !c.arr)
        goto done;
    if (!json)
        printf("%-6s %-24s %-12s %-15s %-14s %s\n", "ID", "AT", "ACTOR", "ACTION", "OBJECT",
               "DETAIL");
    if (store_audit_each(s, audit_print, &c) || c.failed) {
        cJSON_Delete(c.arr);
        goto done;
    }
    if (json && print_json(c.arr))
        goto done;
    rc = EXIT_OK;
done:
    store_close(s);
    return rc;
}

/* ------------------------------------------------------------ backup */

static const char backup_usage[] =
    "usage: patrolctl backup [--force] FILE\n"
    "  A consistent copy of the store in FILE (SQLite online backup API), safe\n"
    "  while patrolgw runs. An existing FILE is refused unless --force.\n";

int ctl_backup(const ctl_opts *o, int argc, char **argv)
{
    int force = 0, npos;
    const char *pos[1];
    const opt opts[] = { { "--force", 0, NULL, &force } };
    int rc = parse_opts(argc, argv, opts, 1, pos, 1, &npos, backup_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    if (npos != 1) {
        fputs(backup_usage, stderr);
        return EXIT_USAGE;
    }
    struct stat sb;
    if (!force && stat(pos[0], &sb) == 0) {
        fprintf(stderr, "patrolctl: %s exists (use --force to replace it)\n", pos[0]);
        return EXIT_FAIL;
    }
    store *s = ctl_open_store(o, STORE_RO);
    if (!s)
        return EXIT_FAIL;
    char err[PRC_ERR_MAX * 2];
    rc = store_backup(s, pos[0], err, sizeof err);
    store_close(s);
    if (rc) {
        fprintf(stderr, "patrolctl: %s\n", err);
        return EXIT_FAIL;
    }
    if (stat(pos[0], &sb) == 0)
        printf("backup written to %s (%lld bytes)\n", pos[0], (long long)sb.st_size);
    return EXIT_OK;
}

/* ------------------------------------------------------------ status */

/* The keys the gateway writes (gateway.c write_status); others are shown as they are. */
static const char *const status_keys[] = {
    "state", "pid", "version", "started_at", "broker", "broker_state",
    "alerts_inflight", "replies_held", "messages_since_start",
};
#define NSTATUS_KEYS (sizeof status_keys / sizeof status_keys[0])
#define STATUS_VALUE_MAX 256
#define STATUS_EXTRA_MAX 32

typedef struct status_ctx {
    char value[NSTATUS_KEYS][STATUS_VALUE_MAX];
    int64_t at[NSTATUS_KEYS];
    int present[NSTATUS_KEYS];
    char extra_key[STATUS_EXTRA_MAX][64];
    char extra_value[STATUS_EXTRA_MAX][STATUS_VALUE_MAX];
    int nextra;
    int64_t newest;
} status_ctx;

static void status_row(void *arg, const char *key, const char *value, int64_t at)
{
    status_ctx *c = arg;
    if (at > c->newest)
        c->newest = at;
    for (size_t i = 0; i < NSTATUS_KEYS; i++)
        if (!strcmp(key, status_keys[i])) {
            snprintf(c->value[i], sizeof c->value[i], "%s", value);
            c->at[i] = at;
            c->present[i] = 1;
            return;
        }
    if (c->nextra < STATUS_EXTRA_MAX) {
        snprintf(c->extra_key[c->nextra], sizeof c->extra_key[0], "%s", key);
        snprintf(c->extra_value[c->nextra], sizeof c->extra_value[0], "%s", value);
        c->nextra++;
    }
}

static const char *status_get(const status_ctx *c, const char *key)
{
    for (size_t i = 0; i < NSTATUS_KEYS; i++)
        if (!strcmp(key, status_keys[i]))
            return c->present[i] ? c->value[i] : NULL;
    return NULL;
}

static const char status_usage[] =
    "usage: patrolctl status [--json] [--max-age SECONDS]\n"
    "  Is patrolgw running: its status rows in the store (written every 5 s),\n"
    "  whether its process is alive, the heartbeat's age, the broker connection,\n"
    "  and the queues. Exit 0 when running with a heartbeat at most SECONDS old\n"
    "  (default 15), 1 otherwise.\n";

int ctl_status(const ctl_opts *o, int argc, char **argv)
{
    int json = 0, npos;
    const char *max_age_s = NULL;
    const opt opts[] = { { "--json", 0, NULL, &json }, { "--max-age", 1, &max_age_s, NULL } };
    int rc = parse_opts(argc, argv, opts, 2, NULL, 0, &npos, status_usage);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    long max_age = 15;
    if (max_age_s && parse_long(max_age_s, 1, 86400, &max_age)) {
        fprintf(stderr, "patrolctl: --max-age must be 1..86400 seconds\n");
        return EXIT_USAGE;
    }
    status_ctx *c = calloc(1, sizeof *c);
    store_queues q;
    store *s = NULL;
    rc = EXIT_FAIL;
    if (!c) {
        fprintf(stderr, "patrolctl: out of memory\n");
        goto done;
    }
    s = ctl_open_store(o, STORE_RO);
    if (!s || store_status_each(s, status_row, c) || store_queue_depths(s, &q))
        goto done;

    const char *state = status_get(c, "state");
    const char *pid_s = status_get(c, "pid");
    long pid = 0;
    int alive = 0;
    if (pid_s && parse_long(pid_s, 1, 0x7fffffffL, &pid) == 0)
        alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
    int64_t now = clock_now_ms();
    double age = c->newest ? (double)(now - c->newest) / 1000.0 : -1.0;
    const char *why = NULL;
    if (!state)
        why = "patrolgw has never run on this store";
    else if (strcmp(state, "running") != 0)
        why = "patrolgw stopped";
    else if (!alive)
        why = "patrolgw's process is gone (it did not stop cleanly)";
    else if (age > (double)max_age)
        why = "patrolgw's heartbeat is stale (hung, or the store is not written)";
    int running = why == NULL;

    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON *st = cJSON_CreateObject();
        cJSON *qj = cJSON_CreateObject();
        int ok = j && st && qj && cJSON_AddBoolToObject(j, "running", running) &&
                 (why ? cJSON_AddStringToObject(j, "reason", why) != NULL
                      : cJSON_AddNullToObject(j, "reason") != NULL) &&
                 cJSON_AddBoolToObject(j, "pid_alive", alive) &&
                 (age >= 0 ? cJSON_AddNumberToObject(j, "heartbeat_age_s", age) != NULL
                           : cJSON_AddNullToObject(j, "heartbeat_age_s") != NULL);
        for (size_t i = 0; ok && i < NSTATUS_KEYS; i++)
            if (c->present[i])
                ok = cJSON_AddStringToObject(st, status_keys[i], c->value[i]) != NULL;
        for (int i = 0; ok && i < c->nextra; i++)
            ok = cJSON_AddStringToObject(st, c->extra_key[i], c->extra_value[i]) != NULL;
        ok = ok && cJSON_AddNumberToObject(qj, "alerts_pending", (double)q.alerts_pending) &&
             cJSON_AddNumberToObject(qj, "alerts_retrying", (double)q.alerts_retrying) &&
             cJSON_AddNumberToObject(qj, "alerts_failed", (double)q.alerts_failed) &&
             cJSON_AddNumberToObject(qj, "reports_open", (double)q.reports_open) &&
             (q.sms_out_pending >= 0
                  ? cJSON_AddNumberToObject(qj, "sms_out_pending", (double)q.sms_out_pending) != NULL
                  : cJSON_AddNullToObject(qj, "sms_out_pending") != NULL) &&
             (q.sms_parts_waiting >= 0
                  ? cJSON_AddNumberToObject(qj, "sms_parts_waiting", (double)q.sms_parts_waiting) != NULL
                  : cJSON_AddNullToObject(qj, "sms_parts_waiting") != NULL);
        if (ok) {
            cJSON_AddItemToObject(j, "status", st);
            st = NULL;
            cJSON_AddItemToObject(j, "queues", qj);
            qj = NULL;
        }
        cJSON_Delete(st);
        cJSON_Delete(qj);
        if (!ok) {
            cJSON_Delete(j);
            goto done;
        }
        if (print_json(j))
            goto done;
    } else {
        const char *v;
        if (running)
            printf("patrolgw: running (pid %ld, version %s, heartbeat %.1f s ago)\n", pid,
                   (v = status_get(c, "version")) ? v : "?", age);
        else
            printf("patrolgw: NOT running: %s\n", why);
        if (state && !running)
            printf("  last status: state %s, pid %s%s, heartbeat %.0f s ago\n", state,
                   pid_s ? pid_s : "?", alive ? " (alive)" : " (not alive)", age);
        long long started;
        char when[40];
        if ((v = status_get(c, "started_at")) && sscanf(v, "%lld", &started) == 1) {
            clock_rfc3339((int64_t)started, when, sizeof when);
            printf("  started:   %s\n", when);
        }
        const char *broker = status_get(c, "broker"), *bstate = status_get(c, "broker_state");
        if (broker)
            printf("  broker:    %s %s\n", broker, bstate ? bstate : "?");
        const char *inflight = status_get(c, "alerts_inflight");
        const char *held = status_get(c, "replies_held");
        const char *since = status_get(c, "messages_since_start");
        printf("  in flight: %s alerts; %s replies held; %s messages since start\n",
               inflight ? inflight : "?", held ? held : "?", since ? since : "?");
        for (int i = 0; i < c->nextra; i++)
            printf("  %-10s %s\n", c->extra_key[i], c->extra_value[i]);
        printf("  queues:    alerts pending %ld (retrying %ld), alerts failed %ld, "
               "reports open %ld", q.alerts_pending, q.alerts_retrying, q.alerts_failed,
               q.reports_open);
        if (q.sms_out_pending >= 0)
            printf(", sms to send %ld, sms parts waiting %ld", q.sms_out_pending,
                   q.sms_parts_waiting);
        printf("\n");
    }
    rc = running ? EXIT_OK : EXIT_FAIL;
done:
    store_close(s);
    free(c);
    return rc;
}
