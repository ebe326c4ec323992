/* ctl_sms.c: patrolctl sms: the SMS send queue (sms_out) for the people who
 * run the modem: what failed or was dropped, and what is still waiting, with
 * the state, attempts, last error, kind and report reference of each SMS.
 * Numbers are masked unless --reveal is given; a reveal is recorded in the
 * audit trail before anything is shown (docs/patrolctl.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "ctl_query.h"

static const char sms_usage[] =
    "usage: patrolctl sms [--failed | --pending | --all] [--since T] [--until T]\n"
    "                     [--limit N] [--json] [--reveal [--actor WHO]]\n"
    "\n"
    "The SMS send queue (replies and duty-phone alerts), oldest first. By default\n"
    "every SMS not sent: failed (given up), dropped (over the reply limit) and\n"
    "pending (waiting or retrying).\n"
    "  --failed      only failed and dropped: those that will never be sent\n"
    "  --pending     only pending ones\n"
    "  --all         every SMS, sent ones too\n"
    "  --since T, --until T\n"
    "                queued at or after T, before T (YYYY-MM-DD or RFC 3339)\n"
    "  --limit N     at most N rows\n"
    "  --json        one JSON array\n"
    "  --reveal      show the full numbers and the texts (personal data): recorded\n"
    "                in the audit trail (action \"sms reveal\") before they are shown\n"
    "  --actor WHO   who the reveal is recorded as (default: the Unix user)\n"
    "Numbers are otherwise masked: +447700900123 is shown as +44770*****23.\n";

typedef struct sms_args {
    int failed, pending, all, json, reveal;
    const char *since, *until, *limit, *actor;
} sms_args;

typedef struct sms_print {
    int json, reveal;
    cJSON *arr;           /* --json */
    int header_done;
    int failed;           /* out of memory while building JSON */
} sms_print;

static int parse_args(int argc, char **argv, sms_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        int *flag = !strcmp(s, "--failed")    ? &a->failed
                    : !strcmp(s, "--pending") ? &a->pending
                    : !strcmp(s, "--all")     ? &a->all
                    : !strcmp(s, "--json")    ? &a->json
                    : !strcmp(s, "--reveal")  ? &a->reveal
                                              : NULL;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(sms_usage, stdout);
            return 1;
        }
        if (flag) {
            *flag = 1;
            continue;
        }
        const char **val = !strcmp(s, "--since")   ? &a->since
                           : !strcmp(s, "--until") ? &a->until
                           : !strcmp(s, "--limit") ? &a->limit
                           : !strcmp(s, "--actor") ? &a->actor
                                                   : NULL;
        if (!val) {
            fprintf(stderr, "patrolctl: unknown option %s\n", s);
            goto bad;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "patrolctl: %s needs a value\n", s);
            goto bad;
        }
        *val = argv[++i];
    }
    if (a->failed + a->pending + a->all > 1) {
        fprintf(stderr, "patrolctl: --failed, --pending and --all exclude each other\n");
        goto bad;
    }
    if (a->actor && !a->reveal) {
        fprintf(stderr, "patrolctl: --actor goes with --reveal\n");
        goto bad;
    }
    return 0;
bad:
    fputs(sms_usage, stderr);
    return EXIT_USAGE;
}

/* The number as shown: masked unless revealed. */
static void shown_number(const sms_print *p, const char *to, char *out, size_t outsz)
{
    if (p->reveal)
        snprintf(out, outsz, "%s", to);
    else
        query_mask_number(to, out, outsz);
}

static int add_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[40];
    if (ms <= 0)
        return cJSON_AddNullToObject(o, key) != NULL;
    clock_rfc3339(ms, buf, sizeof buf);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static int add_text_or_null(cJSON *o, const char *key, const char *v)
{
    return (v[0] ? cJSON_AddStringToObject(o, key, v) : cJSON_AddNullToObject(o, key)) != NULL;
}

static int print_json_row(sms_print *p, const query_sms *m, const char *to)
{
    char ref[24];
    cJSON *o = cJSON_CreateObject();
    snprintf(ref, sizeof ref, "R%lld", (long long)m->ref);
    int ok = o && cJSON_AddNumberToObject(o, "id", (double)m->id) &&
             add_time(o, "created_at", m->created_at) &&
             cJSON_AddStringToObject(o, "kind", m->kind) &&
             add_text_or_null(o, "alert_kind", m->alert_kind) &&
             add_text_or_null(o, "partner", m->partner) &&
             (m->ref ? cJSON_AddStringToObject(o, "ref", ref) != NULL
                     : cJSON_AddNullToObject(o, "ref") != NULL) &&
             (m->message_id ? cJSON_AddNumberToObject(o, "message_id", (double)m->message_id)
                            : cJSON_AddNullToObject(o, "message_id")) &&
             cJSON_AddStringToObject(o, "to", to) &&
             cJSON_AddBoolToObject(o, "to_masked", !p->reveal) &&
             cJSON_AddStringToObject(o, "state", m->state) &&
             cJSON_AddNumberToObject(o, "attempts", m->attempts) &&
             add_time(o, "next_attempt_at",
                      strcmp(m->state, "pending") == 0 ? m->next_attempt_at : 0) &&
             add_time(o, "sent_at", m->sent_at) &&
             add_text_or_null(o, "last_error", m->last_error) &&
             add_text_or_null(o, "delivery", m->delivery) &&
             cJSON_AddStringToObject(o, "coding", m->coding) &&
             (!p->reveal || cJSON_AddStringToObject(o, "text", m->text));
    if (!ok || !cJSON_AddItemToArray(p->arr, o)) {
        cJSON_Delete(o);
        return -1;
    }
    return 0;
}

static int print_row(void *arg, const query_sms *m)
{
    sms_print *p = arg;
    char to[GW_PHONE_MAX + 1], created[32], next[32], ref[24], kind[GW_NAME_MAX + 8];
    shown_number(p, m->to, to, sizeof to);
    if (p->json) {
        if (print_json_row(p, m, to)) {
            p->failed = 1;
            return 1;
        }
        return 0;
    }
    if (!p->header_done) {
        printf("%-6s %-19s %-14s %-7s %-16s %-8s %-8s %-19s %s\n", "ID", "CREATED", "KIND",
               "REF", "TO", "STATE", "ATTEMPTS", "NEXT TRY", "LAST ERROR");
        p->header_done = 1;
    }
    ctl_local_time(m->created_at, created, sizeof created);
    if (strcmp(m->state, "pending") == 0)
        ctl_local_time(m->next_attempt_at, next, sizeof next);
    else
        snprintf(next, sizeof next, "-");
    if (m->ref)
        snprintf(ref, sizeof ref, "R%lld", (long long)m->ref);
    else
        snprintf(ref, sizeof ref, "-");
    if (m->partner[0])
        snprintf(kind, sizeof kind, "%s/%s", m->kind, m->partner);
    else
        snprintf(kind, sizeof kind, "%s", m->kind);
    printf("%-6lld %-19s %-14s %-7s %-16s %-8s %-8d %-19s %s\n", (long long)m->id, created, kind,
           ref, to, m->state, m->attempts, next, m->last_error[0] ? m->last_error : "-");
    if (p->reveal)
        printf("       text: %s\n", m->text);
    return 0;
}

/* Records the reveal in the audit trail; nothing is shown if it cannot be. 0 or -1. */
static int audit_reveal(const ctl_opts *o, const char *actor, const sms_args *a)
{
    char detail[AUDIT_DETAIL_MAX];
    snprintf(detail, sizeof detail, "numbers and texts shown: %s%s%s%s%s",
             a->failed ? "--failed" : a->pending ? "--pending" : a->all ? "--all" : "not sent",
             a->since ? " --since " : "", a->since ? a->since : "", a->until ? " --until " : "",
             a->until ? a->until : "");
    store *s = ctl_open_store(o, STORE_RW);
    if (!s)
        return -1;
    int rc = -1;
    if (store_begin(s))
        goto done;
    if (audit_append(s, clock_now_ms(), actor, "sms reveal", "sms_out", detail) < 0 ||
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

int ctl_sms(const ctl_opts *o, int argc, char **argv)
{
    sms_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? EXIT_OK : rc;
    query_sms_filter f;
    memset(&f, 0, sizeof f);
    f.states = a.all       ? 0
               : a.failed  ? QUERY_SMS_FAILED | QUERY_SMS_DROPPED
               : a.pending ? QUERY_SMS_PENDING
                           : QUERY_SMS_PENDING | QUERY_SMS_FAILED | QUERY_SMS_DROPPED;
    if (a.limit) {
        char *end;
        long n = strtol(a.limit, &end, 10);
        if (end == a.limit || *end || n < 1 || n > 1000000) {
            fprintf(stderr, "patrolctl: --limit must be 1..1000000\n");
            return EXIT_USAGE;
        }
        f.limit = n;
    }
    char actor_buf[AUDIT_FIELD_MAX + 1];
    const char *actor = NULL;
    if (a.reveal && !(actor = ctl_actor(a.actor, actor_buf, sizeof actor_buf)))
        return EXIT_USAGE;
    ctl_qenv e;
    /* The config first: --since and --until are in its time zone. */
    if (ctl_qenv_open(o, &e, 0))
        return EXIT_FAIL;
    rc = EXIT_USAGE;
    if (a.since && query_parse_time(a.since, 0, &f.since)) {
        fprintf(stderr, "patrolctl: --since: not a date or time: %s\n", a.since);
        goto done;
    }
    if (a.until && query_parse_time(a.until, 1, &f.until)) {
        fprintf(stderr, "patrolctl: --until: not a date or time: %s\n", a.until);
        goto done;
    }
    rc = EXIT_FAIL;
    if (a.reveal && audit_reveal(o, actor, &a))
        goto done;
    char err[PRC_ERR_MAX * 2];
    e.st = store_open(o->db ? o->db : e.cfg->store_path, STORE_RO, 1, err, sizeof err);
    if (!e.st) {
        fprintf(stderr, "patrolctl: %s\n", err);
        goto done;
    }
    sms_print p = { a.json, a.reveal, NULL, 0, 0 };
    if (a.json && !(p.arr = cJSON_CreateArray())) {
        fprintf(stderr, "patrolctl: out of memory\n");
        goto done;
    }
    long n = query_sms_each(e.st, &f, print_row, &p);
    if (n < 0 || p.failed) {
        fprintf(stderr, "patrolctl: %s\n",
                p.failed ? "out of memory" : "cannot read the SMS queue (see the log above)");
        cJSON_Delete(p.arr);
        goto done;
    }
    if (a.json) {
        char *txt = cJSON_PrintUnformatted(p.arr);
        cJSON_Delete(p.arr);
        if (!txt) {
            fprintf(stderr, "patrolctl: out of memory\n");
            goto done;
        }
        printf("%s\n", txt);
        free(txt);
    } else if (n == 0) {
        printf("no SMS %s\n", a.all       ? "in the queue"
                              : a.failed  ? "failed or dropped"
                              : a.pending ? "pending"
                                          : "waiting, failed or dropped");
    }
    rc = EXIT_OK;
done:
    ctl_qenv_close(&e);
    return rc;
}
