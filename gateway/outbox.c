/* outbox.c: the outbox's MQTT deliverer: partner alerts (QoS 1,
 * <prefix>/alerts/<partner>) and the reporters' ACK notices (channel radio,
 * <prefix>/out/<network>/<unit>). */
#include "outbox.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "curlw.h"
#include "lifecycle.h"
#include "log.h"
#include "mail.h"
#include "prc_limits.h"
#include "store_alerts.h"
#include "webhook.h"

/* An e-mail or webhook attempt with no result by then (a lost worker) is
 * made again: longer than the longest timeout ([smtp] timeout <= 600 s). */
#define CURL_GRACE_MS (15LL * 60 * 1000)
/* Results recorded per turn, and rows picked per turn for the worker. */
#define CURL_TURN_MAX 64
/* The worker's slots are shared by destination: each partner's webhook (by
 * the partner's name: a reload may move partners in the config while their
 * transfers run) and the SMTP server (every e-mail, escalations
 * included). A destination has at most its share of [alerts] parallel handed
 * to the worker at once, so one that hangs until its timeout holds only its
 * share and the others go on (bench/README.md, "Partner alerts"). */
#define DEST_SMTP GW_MAX_PARTNERS
#define DEST_COUNT (GW_MAX_PARTNERS + 1)
#define DEST_NONE (-1) /* a row of a partner with no webhook any more: not counted */
/* How often rows of partners that lost their webhook (a reload) are looked for. */
#define ORPHAN_SWEEP_MS 1000

/* An e-mail or webhook row picked for the worker. */
typedef struct curl_pick {
    int64_t row;
    char alert_id[64];
    char kind[16];
    char partner[GW_NAME_MAX + 1];
    int email;          /* 1 e-mail, 0 webhook */
    int dest;           /* DEST_SMTP, a partner index, or DEST_NONE */
    int escalation;
    char *payload;      /* owned */
} curl_pick;

/* A row handed to the worker whose result has not come back yet. */
typedef struct handed {
    int64_t row;
    int email;                          /* 1: the SMTP server's */
    char partner[GW_NAME_MAX + 1];      /* else this partner's webhook */
} handed;

typedef struct inflight {
    int mid;            /* libmosquitto message id; 0 = free slot */
    int64_t id;         /* alerts.id */
    int64_t at;         /* monotonic ms published */
} inflight;

typedef struct picked {
    int64_t id;
    char partner[GW_NAME_MAX + 1];
    char target[GW_NETWORK_MAX + GW_UNIT_MAX + 2]; /* radio notice: network/unit; "" alert */
    char *payload;      /* owned */
} picked;

struct outbox {
    const gw_config *cfg;
    curlw *cw;
    curl_pick cpick[CURL_TURN_MAX];
    int ncpick;
    int room;           /* what the worker takes this turn */
    int pick_dest;      /* the destination of the rows being picked */
    handed hand[GW_DELIVERY_QUEUE_MAX];
    int nhand;
    int busy[DEST_COUNT]; /* rows handed, per destination (index in the config of this turn) */
    int64_t next_sweep;
    int64_t retry_ms;
    inflight fly[GW_ALERTS_INFLIGHT_MAX];
    int nfly;
    int64_t acked[GW_ALERTS_INFLIGHT_MAX]; /* alerts.id PUBACKed, not yet committed */
    int nacked;
    int nacked_rec;     /* the first of them, recorded in this turn's transaction */
    /* Worker results recorded in this turn's transaction. Like the PUBACKs
     * they are kept until a commit holds them: after a store error they are
     * recorded again (a delivered webhook is not sent again). */
    dlv_result res[CURL_TURN_MAX];
    int nres;
    picked pick[GW_ALERTS_INFLIGHT_MAX];
    int npick;
};

outbox *outbox_new(const gw_config *cfg, int64_t retry_ms, char *err, size_t errsz)
{
    outbox *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    o->cfg = cfg;
    o->retry_ms = retry_ms;
    o->cw = curlw_new(cfg->alerts.parallel, err, errsz);
    if (!o->cw) {
        free(o);
        return NULL;
    }
    return o;
}

void outbox_forget(outbox *o)
{
    for (int i = 0; i < o->npick; i++)
        free(o->pick[i].payload);
    o->npick = 0;
    for (int i = 0; i < o->ncpick; i++)
        free(o->cpick[i].payload);
    o->ncpick = 0;
}

void outbox_free(outbox *o)
{
    if (!o)
        return;
    outbox_forget(o);
    curlw_free(o->cw);
    free(o);
}

int outbox_fd(const outbox *o) { return curlw_fd(o->cw); }

int outbox_curl_busy(const outbox *o)
{
    return GW_DELIVERY_QUEUE_MAX - curlw_room(o->cw);
}

static int pick_curl(void *arg, const store_alert *a)
{
    outbox *o = arg;
    if (o->ncpick >= o->room || o->ncpick >= CURL_TURN_MAX)
        return -1;
    curl_pick *c = &o->cpick[o->ncpick];
    c->payload = strdup(a->payload);
    if (!c->payload)
        return -1;
    c->row = a->id;
    snprintf(c->alert_id, sizeof c->alert_id, "%s", a->alert_id);
    snprintf(c->kind, sizeof c->kind, "%s", a->kind);
    snprintf(c->partner, sizeof c->partner, "%s", a->partner);
    c->email = strcmp(a->channel, "email") == 0;
    c->dest = o->pick_dest;
    c->escalation = a->escalation;
    o->ncpick++;
    return 0;
}

/* The sweep for rows of partners without a webhook (removed by a reload):
 * only those are taken; start_curl fails them for good. */
static int pick_orphan(void *arg, const store_alert *a)
{
    outbox *o = arg;
    const cfg_partner *p = config_partner(o->cfg, a->partner);
    if (p && p->webhook_url[0])
        return -1;
    return pick_curl(arg, a);
}

static void hand_done(outbox *o, int64_t row)
{
    for (int i = 0; i < o->nhand; i++) {
        if (o->hand[i].row == row) {
            o->hand[i] = o->hand[--o->nhand];
            return;
        }
    }
}

/* busy[] for the config of this turn, from the rows handed (by name). */
static void count_busy(outbox *o)
{
    memset(o->busy, 0, sizeof o->busy);
    for (int i = 0; i < o->nhand; i++) {
        const handed *h = &o->hand[i];
        if (h->email) {
            o->busy[DEST_SMTP]++;
            continue;
        }
        for (int k = 0; k < o->cfg->npartners && k < GW_MAX_PARTNERS; k++)
            if (strcmp(o->cfg->partners[k].name, h->partner) == 0) {
                o->busy[k]++;
                break;
            }
    }
}

/* What destination dest may be handed now: its share less what it has. */
static int dest_room(const outbox *o, int dest, int share)
{
    int n = share - o->busy[dest];
    int left = o->room - o->ncpick;
    return n < left ? n : left;
}

/* E-mail and webhook: results of earlier attempts, then new attempts (each
 * counted now, due again after CURL_GRACE_MS if no result ever comes), per
 * destination up to its share of the worker. */
static int prepare_curl(outbox *o, const ingest_ctx *ctx, int64_t now)
{
    int n = curlw_take(o->cw, o->res + o->nres, CURL_TURN_MAX - o->nres);
    for (int i = o->nres; i < o->nres + n; i++)
        hand_done(o, o->res[i].row); /* the worker's slot is free */
    o->nres += n;
    for (int i = 0; i < o->nres; i++)
        if (lc_result(ctx, &o->res[i], now))
            return -1;
    o->room = curlw_room(o->cw);
    if (o->room <= 0)
        return 0;
    count_busy(o);
    const gw_config *cfg = o->cfg;
    int ndest = cfg->smtp.url[0] ? 1 : 0;
    for (int i = 0; i < cfg->npartners; i++)
        ndest += cfg->partners[i].webhook_url[0] != '\0';
    int share = ndest > 0 ? cfg->alerts.parallel / ndest : 1;
    if (share < 1)
        share = 1;
    for (int i = 0; i < cfg->npartners && i < GW_MAX_PARTNERS; i++) {
        const cfg_partner *p = &cfg->partners[i];
        int lim = dest_room(o, i, share);
        if (!p->webhook_url[0] || lim <= 0)
            continue;
        o->pick_dest = i;
        if (store_alerts_due_partner(ctx->st, "webhook", p->name, now, lim, CURL_GRACE_MS,
                                     pick_curl, o) < 0)
            return -1;
    }
    int lim = dest_room(o, DEST_SMTP, share);
    o->pick_dest = DEST_SMTP;
    if (lim > 0 && store_alerts_due(ctx->st, "email", now, lim, CURL_GRACE_MS, pick_curl, o) < 0)
        return -1;
    if (now >= o->next_sweep && o->ncpick < o->room) {
        o->next_sweep = now + ORPHAN_SWEEP_MS;
        o->pick_dest = DEST_NONE;
        if (store_alerts_due(ctx->st, "webhook", now, o->room - o->ncpick, CURL_GRACE_MS,
                             pick_orphan, o) < 0)
            return -1;
    }
    return 0;
}

static void start_curl(outbox *o)
{
    for (int i = 0; i < o->ncpick; i++) {
        curl_pick *c = &o->cpick[i];
        const cfg_partner *p = config_partner(o->cfg, c->partner);
        if (!p) {
            /* The partner left the config (reload): nowhere to deliver. */
            (void)curlw_fail(o->cw, c->row, DLV_PERMANENT, "partner no longer configured");
            continue;
        }
        dlv_item it = { .row = c->row, .alert_id = c->alert_id, .kind = c->kind, .partner = p,
                        .escalation = c->escalation, .payload = c->payload,
                        .payload_len = strlen(c->payload), .now = clock_now_ms() };
        int rc = c->email ? mail_start(o->cw, &o->cfg->smtp, &it) : webhook_start(o->cw, &it);
        if (rc == 0 && c->dest != DEST_NONE && o->nhand < GW_DELIVERY_QUEUE_MAX) {
            /* A result comes back for it (a transfer, or a refusal queued as one). */
            handed *h = &o->hand[o->nhand++];
            h->row = c->row;
            h->email = c->dest == DEST_SMTP;
            snprintf(h->partner, sizeof h->partner, "%s", c->partner);
        }
        if (rc != 0)
            log_warn("outbox", "the curl worker took no %s attempt now; it is made again later",
                     c->email ? "e-mail" : "webhook");
    }
}

static int is_flying(const outbox *o, int64_t id)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++)
        if (o->fly[i].mid && o->fly[i].id == id)
            return 1;
    return 0;
}

static int pick_one(void *arg, const store_alert *a)
{
    outbox *o = arg;
    if (o->npick >= GW_ALERTS_INFLIGHT_MAX - o->nfly || is_flying(o, a->id))
        return -1;
    picked *p = &o->pick[o->npick];
    p->payload = strdup(a->payload);
    if (!p->payload)
        return -1;
    p->id = a->id;
    snprintf(p->partner, sizeof p->partner, "%s", a->partner);
    snprintf(p->target, sizeof p->target, "%s", strcmp(a->channel, "radio") == 0 ? a->target : "");
    o->npick++;
    return 0;
}

int outbox_prepare(outbox *o, const ingest_ctx *ctx, int64_t now, int can_publish)
{
    store *s = ctx->st;
    o->nacked_rec = 0;
    for (int i = 0; i < o->nacked; i++)
        if (store_alert_sent(s, o->acked[i], now))
            return -1;
    o->nacked_rec = o->nacked;
    outbox_forget(o);
    if (prepare_curl(o, ctx, now))
        return -1;
    int room = GW_ALERTS_INFLIGHT_MAX - o->nfly;
    if (!can_publish || room <= 0)
        return 0;
    /* Rows in flight stay due (nothing is written per attempt): ask for enough
     * rows to skip them and still fill the room. */
    if (store_alerts_due(s, "mqtt", now, room + o->nfly, 0, pick_one, o) < 0)
        return -1;
    room = GW_ALERTS_INFLIGHT_MAX - o->nfly - o->npick;
    if (room <= 0)
        return 0;
    return store_alerts_due(s, "radio", now, room + o->nfly, 0, pick_one, o) < 0 ? -1 : 0;
}

void outbox_publish(outbox *o, mqtt_conn *m, const char *prefix)
{
    int64_t now = clock_mono_ms();
    /* Committed: the PUBACKs and results recorded are in the store. */
    memmove(o->acked, o->acked + o->nacked_rec, (size_t)(o->nacked - o->nacked_rec) * sizeof o->acked[0]);
    o->nacked -= o->nacked_rec;
    o->nacked_rec = 0;
    o->nres = 0;
    start_curl(o);
    for (int i = 0; i < o->npick; i++) {
        picked *p = &o->pick[i];
        char topic[GW_TOPIC_MAX];
        int mid = 0;
        if (p->target[0])
            snprintf(topic, sizeof topic, "%s/out/%s", prefix, p->target);
        else
            snprintf(topic, sizeof topic, "%s/alerts/%s", prefix, p->partner);
        /* Not published now: the row stays due and is picked again. */
        if (mqtt_publish(m, topic, p->payload, (int)strlen(p->payload), 1, &mid) != 0)
            continue;
        for (int k = 0; k < GW_ALERTS_INFLIGHT_MAX; k++) {
            if (o->fly[k].mid == 0) {
                o->fly[k] = (inflight){ mid, p->id, now };
                o->nfly++;
                break;
            }
        }
    }
    outbox_forget(o);
}

void outbox_on_puback(outbox *o, int mid)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++) {
        if (o->fly[i].mid == mid) {
            if (o->nacked < GW_ALERTS_INFLIGHT_MAX)
                o->acked[o->nacked++] = o->fly[i].id;
            o->fly[i].mid = 0;
            o->nfly--;
            return;
        }
    }
}

int outbox_has_acks(const outbox *o)
{
    struct pollfd p = { curlw_fd(o->cw), POLLIN, 0 };
    return o->nacked > 0 || o->nres > 0 || (p.fd >= 0 && poll(&p, 1, 0) > 0);
}

int outbox_inflight(const outbox *o) { return o->nfly; }

void outbox_expire(outbox *o, int64_t now_mono)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++) {
        if (o->fly[i].mid && now_mono - o->fly[i].at > o->retry_ms) {
            log_warn("outbox", "no PUBACK for an alert after %lld ms; it will be resent",
                     (long long)o->retry_ms);
            o->fly[i].mid = 0;
            o->nfly--;
        }
    }
}
