/* sms.c: the SMS channel, core side (see sms.h). */
#include "sms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lifecycle.h"
#include "log.h"
#include "phone.h"
#include "sms_join.h"
#include "sms_modem.h"
#include "sms_text.h"
#include "store_reports.h"
#include "store_sms.h"

/* Duty-phone alerts handed to the modem and not yet answered, at most: a
 * reply is handed over behind no more than these. */
#define SMS_ALERTS_INFLIGHT_MAX 2
/* Events taken from the modem thread in one turn. */
#define SMS_TAKE_MAX 64
/* How often the store is scanned for timed-out parts, due sends and old ones. */
#define SCAN_EVERY_MS 250
/* Rows of one message's parts read back (repeats of a part included). */
#define COLLECT_MAX (SMS_JOIN_PARTS_MAX * 2)
/* Commands queued in one turn for after the commit. */
#define AFTER_MAX (SMS_TAKE_MAX * 2 + SMS_INFLIGHT_MAX + COLLECT_MAX)
/* Room a part (or a timed-out message) needs before it is taken on in a
 * turn: the deletion of the part just read (every part is deleted from the
 * modem once it is journaled), and the turn's sends. The number of parts and
 * messages that come due together is the sender's to choose: what does not
 * fit waits for the next turn. */
#define ONE_MESSAGE_ROOM (1 + SMS_INFLIGHT_MAX)

typedef struct exp_list {
    char sender[SMS_TAKE_MAX][SMS_SENDER_MAX + 1];
    int ref[SMS_TAKE_MAX], total[SMS_TAKE_MAX];
    int n;
} exp_list;

typedef struct inflight {
    int64_t id;
    int attempts;                  /* before this one */
    int alert;                     /* 1: a duty-phone alert, 0: a reply */
} inflight;

typedef struct collect {
    sms_join_part parts[COLLECT_MAX];
    char text[COLLECT_MAX][SMS_TEXT_BUF];
    int folder[COLLECT_MAX], location[COLLECT_MAX];
    int64_t first_at, first_smsc;
    int lowest;
    int binary;
    int n;
} collect;

struct sms_channel {
    const gw_config *cfg;          /* not owned */
    sms_modem *modem;              /* owned */
    sms_event ev[SMS_TAKE_MAX];
    int nev;
    sms_cmd after[AFTER_MAX];      /* for after the commit */
    int nafter;
    int after_max;                 /* this turn: AFTER_MAX or less (the modem's room) */
    int turn_loc[SMS_TAKE_MAX][2]; /* parts read this turn: folder, location */
    int nturn;
    inflight fly[SMS_INFLIGHT_MAX];
    int nfly;
    /* Send results recorded in the turn's transaction, kept until a commit
     * holds them: after a store error they are recorded again (the modem
     * does not say twice, and an SMS it sent must not be sent again). */
    sms_event held[SMS_TAKE_MAX];
    int nheld;
    int64_t next_scan;             /* mono ms */
    sms_event health;
    int health_known, health_dirty;
    int rate_logged;               /* SMS waiting when the rate limit was last logged */
    int given_up_left;             /* duty-phone alerts given up may wait for a dead letter */
    collect col;
    exp_list exp;
    char joined[SMS_JOIN_PARTS_MAX * SMS_TEXT_BUF];
    sms_stats stats;
};

sms_channel *sms_new(const gw_config *cfg, char *err, size_t errsz)
{
    sms_channel *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    c->modem = sms_modem_start(&cfg->sms, err, errsz);
    if (!c->modem) {
        free(c);
        return NULL;
    }
    return c;
}

void sms_free(sms_channel *c)
{
    if (!c)
        return;
    sms_modem_stop(c->modem);
    free(c);
}

int sms_fd(const sms_channel *c)
{
    return sms_modem_fd(c->modem);
}

int sms_due(sms_channel *c, int64_t now_mono)
{
    return now_mono >= c->next_scan || sms_modem_pending(c->modem);
}

void sms_get_stats(const sms_channel *c, sms_stats *out)
{
    *out = c->stats;
}

/* Commands this turn may still queue. */
static int after_room(const sms_channel *c)
{
    return c->after_max - c->nafter;
}

/* 0, or -1 when the turn's queue is full. The callers take on work only with
 * room for it (ONE_MESSAGE_ROOM), so this does not happen; if it did, a send
 * is picked again at a later turn and a part stays on the modem until it is
 * read again (at the next start), found committed and deleted. */
static int after(sms_channel *c, const sms_cmd *cmd)
{
    if (c->nafter >= c->after_max) {
        log_error("sms", "no room for a modem command in this turn: it is left for later");
        return -1;
    }
    c->after[c->nafter++] = *cmd;
    return 0;
}

static void after_delete(sms_channel *c, int folder, int location)
{
    sms_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = SMS_CMD_DELETE;
    cmd.folder = folder;
    cmd.location = location;
    (void)after(c, &cmd);
}

/* ------------------------------------------------------------------ inbound */

static void collect_one(void *arg, const store_sms_part *p)
{
    collect *col = arg;
    if (col->n == COLLECT_MAX)
        return;
    int i = col->n++;
    snprintf(col->text[i], sizeof col->text[i], "%.*s", (int)p->text_len, p->text);
    col->parts[i].part = p->part;
    col->parts[i].text = col->text[i];
    col->parts[i].len = strlen(col->text[i]);
    col->folder[i] = p->folder;
    col->location[i] = p->location;
    if (i == 0 || p->received_at < col->first_at)
        col->first_at = p->received_at;
    if (i == 0 || p->part < col->lowest) {
        col->lowest = p->part;
        col->first_smsc = p->smsc_time;
    }
    col->binary |= strcmp(p->coding, "8bit") == 0;
}

static int load_parts(sms_channel *c, store *st, const char *sender, int ref, int total,
                      int64_t message_id)
{
    memset(&c->col, 0, sizeof c->col);
    return store_sms_parts_each(st, sender, ref, total, message_id, collect_one, &c->col);
}

/* A reply to a message: queued, or dropped when the number had its share. */
static int queue_reply(sms_channel *c, store *st, const char *to, const ingest_out *out,
                       int64_t now)
{
    const cfg_sms *cs = &c->cfg->sms;
    enum sms_coding coding;
    char text[SMS_TEXT_BUF];
    size_t n = sms_text_fit(out->reply, strlen(out->reply), &coding);
    snprintf(text, sizeof text, "%.*s", (int)n, out->reply);
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "%s", to);
    o.text = text;
    snprintf(o.coding, sizeof o.coding, "%s", coding == SMS_UCS2 ? "ucs2" : "gsm7");
    snprintf(o.kind, sizeof o.kind, "reply");
    o.ref = out->ref;
    o.message_id = out->message_id;
    o.created_at = now;
    long sent = store_sms_out_replies_to(st, to, now - (int64_t)cs->reply_window_s * 1000);
    if (sent < 0)
        return -1;
    if (sent >= cs->reply_limit) {
        /* A phone or an auto-reply answering every reply must not start a loop. */
        o.state = "dropped";
        o.last_error = "reply limit";
        c->stats.replies_limited++;
        log_info("sms", "reply limit reached for a number (%ld in %d s): reply not sent",
                 sent, cs->reply_window_s);
    } else {
        c->stats.replies++;
    }
    return store_sms_out_add(st, &o) < 0 ? -1 : 0;
}

/* Makes the parts of (sender, ref, total) into one message and ingests it.
 * reread_of > 0: the parts were already made into that message (read again
 * after a crash before their deletion): the same message goes through ingest
 * again with the same msg_id, so the duplicate rule answers it. */
static int make_message(sms_channel *c, const ingest_ctx *ctx, const char *sender, int ref,
                        int total, int64_t reread_of, int64_t now)
{
    int n = load_parts(c, ctx->st, sender, ref, total, reread_of);
    if (n < 0)
        return -1;
    if (n == 0)
        return 0;
    int missing;
    size_t len = sms_join_text(c->col.parts, c->col.n, total, c->joined, sizeof c->joined,
                               &missing);
    if (missing > 0 && !reread_of)
        log_info("sms", "message of %d parts taken with %d missing after the timeout", total,
                 missing);
    /* The same SMS read again has the same id (the duplicate rule answers
     * it); two texts sent in the same second by one phone do not. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)c->joined[i]) * 16777619u;
    char msg_id[GW_MSG_ID_MAX + 1];
    snprintf(msg_id, sizeof msg_id, "sms:%.24s:%d:%d:%lld:%08x", sender, ref, total,
             (long long)c->col.first_smsc, (unsigned)h);
    int is_number = sender[0] == '+';
    int denied = is_number && config_sms_denied(c->cfg, sender);
    ingest_in in = {
        .channel = "sms",
        .sender = sender,
        .msg_id = msg_id,
        .payload = c->joined,
        .payload_len = len,
        .text = c->joined,
        .text_len = len,
        .received_at = now,
    };
    /* Never answered (the journal keeps them, rejected, with the reason). */
    if (!is_number)
        in.reject_reason = "short code or alphanumeric sender";
    else if (denied)
        in.reject_reason = "denied sender";
    else if (c->col.binary)
        in.reject_reason = "binary SMS";
    if (in.reject_reason)
        in.text = NULL;
    ingest_out out;
    if (ingest_message(ctx, &in, &out))
        return -1;
    c->stats.messages++;
    if (!reread_of && store_sms_parts_done(ctx->st, sender, ref, total, out.message_id))
        return -1;
    if (out.reply[0] && is_number && !denied && queue_reply(c, ctx->st, sender, &out, now))
        return -1;
    /* Nothing to delete here: each part left the modem when it was journaled
     * (on_part). Their old locations may hold other SMS by now. */
    return 0;
}

static int on_part(sms_channel *c, const ingest_ctx *ctx, const sms_event *ev, int64_t now)
{
    char sender[SMS_SENDER_MAX + 1];
    char e164[GW_PHONE_MAX + 1];
    /* Numbers to E.164; a short code or a name stays as it came. */
    if (phone_normalise(ev->sender, c->cfg->sms.country_code, e164, sizeof e164) == 0)
        snprintf(sender, sizeof sender, "%s", e164);
    else
        snprintf(sender, sizeof sender, "%s", ev->sender[0] ? ev->sender : "?");
    store_sms_part p = {
        .sender = sender,
        .ref = ev->total > 1 ? ev->ref : 0,
        .part = ev->total > 1 ? ev->part : 1,
        .total = ev->total > 1 ? ev->total : 1,
        .smsc_time = ev->smsc_time,
        .folder = ev->folder,
        .location = ev->location,
        .coding = ev->coding,
        .text = ev->text,
        .text_len = ev->text_len,
        .received_at = now,
    };
    int64_t existing = 0, message_id = 0;
    int64_t id = store_sms_part_add(ctx->st, &p, &existing, &message_id);
    if (id < 0)
        return -1;
    c->stats.parts++;
    /* Journaled: the part leaves the modem after the commit, complete or not.
     * A SIM holds a few dozen SMS; parts kept there until their message is
     * complete, or a part delivered twice (the same row, a second location),
     * would fill it and the network could deliver nothing more. */
    after_delete(c, ev->folder, ev->location);
    if (id == 0) {
        if (message_id == 0)
            return 0; /* a part still waiting for the others, read again */
        /* Read again after its message was committed (a crash before the
         * deletion): the first part brings the message back to the duplicate
         * rule; the others are just deleted. */
        if (load_parts(c, ctx->st, NULL, 0, 0, message_id) < 0)
            return -1;
        if (p.part == c->col.lowest && make_message(c, ctx, sender, p.ref, p.total, message_id, now))
            return -1;
        return 0;
    }
    if (p.total == 1)
        return make_message(c, ctx, sender, 0, 1, 0, now);
    if (load_parts(c, ctx->st, sender, p.ref, p.total, 0) < 0)
        return -1;
    if (sms_join_state(c->col.parts, c->col.n, p.total, c->col.first_at, now,
                       (int64_t)c->cfg->sms.multipart_timeout_s * 1000) == SMS_JOIN_WAITING)
        return 0;
    return make_message(c, ctx, sender, p.ref, p.total, 0, now);
}

static void on_report(sms_channel *c, store *st, const sms_event *ev, int64_t now, int *rc)
{
    char to[GW_PHONE_MAX + 1];
    static const char *const status[] = { "failed", "delivered", "pending" };
    if (phone_normalise(ev->sender, c->cfg->sms.country_code, to, sizeof to) == 0 &&
        store_sms_out_delivery(st, to, ev->msg_ref, status[ev->delivery], now) < 0)
        *rc = -1;
    after_delete(c, ev->folder, ev->location);
}

/* ------------------------------------------------------------------ outbound */

static int64_t backoff_ms(const cfg_sms *cs, int attempts)
{
    int64_t b = cs->retry_ms;
    for (int i = 1; i < attempts && b < cs->retry_max_ms; i++)
        b *= 2;
    return b > cs->retry_max_ms ? cs->retry_max_ms : b;
}

/* Records a held send result; its in-flight entry goes after the commit. */
static int on_result(sms_channel *c, store *st, const sms_event *ev, int64_t now)
{
    int attempts = 0;
    for (int i = 0; i < c->nfly; i++)
        if (c->fly[i].id == ev->id) {
            attempts = c->fly[i].attempts;
            break;
        }
    if (!ev->ok) {
        int64_t wait = backoff_ms(&c->cfg->sms, attempts + 1);
        log_warn("sms", "send of sms %lld failed (attempt %d): %s; next try in %lld ms",
                 (long long)ev->id, attempts + 1, ev->error, (long long)wait);
        return store_sms_out_result(st, ev->id, 0, 0, ev->error, now, now + wait);
    }
    return store_sms_out_result(st, ev->id, 1, ev->msg_ref, NULL, now, 0);
}

typedef struct pick_ctx {
    sms_channel *c;
} pick_ctx;

static void pick_one(void *arg, const store_sms_out *o)
{
    sms_channel *c = ((pick_ctx *)arg)->c;
    sms_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = SMS_CMD_SEND;
    cmd.id = o->id;
    snprintf(cmd.to, sizeof cmd.to, "%s", o->to);
    snprintf(cmd.text, sizeof cmd.text, "%s", o->text);
    cmd.coding = strcmp(o->coding, "ucs2") == 0 ? SMS_UCS2 : SMS_GSM7;
    if (after(c, &cmd))
        return;
    c->fly[c->nfly].id = o->id;
    c->fly[c->nfly].attempts = o->attempts;
    c->fly[c->nfly].alert = strcmp(o->kind, "reply") != 0;
    c->nfly++;
}

static void count_one(void *arg, const store_sms_out *o)
{
    (void)arg;
    (void)o;
}

/* Sends per minute kept for replies: alerts may use the rest of
 * send_per_minute, so an operative's reply goes out within seconds even while
 * a storm of duty-phone alerts holds the modem at its rate. */
static long reply_reserve(int per_minute)
{
    if (per_minute >= 5)
        return per_minute / 5;
    return per_minute >= 2 ? 1 : 0;
}

static int clamp_pick(long budget, int room)
{
    if (budget <= 0 || room <= 0)
        return 0;
    return budget < room ? (int)budget : room;
}

static int skip_list(const sms_channel *c, int64_t *skip)
{
    for (int i = 0; i < c->nfly; i++)
        skip[i] = c->fly[i].id;
    return c->nfly;
}

/* Picks what goes to the modem this turn: replies first (the whole budget),
 * then alerts (the budget less the replies' reserve, at most
 * SMS_ALERTS_INFLIGHT_MAX handed over at a time: the modem thread sends in
 * order, so a reply handed over waits behind that many alerts at most). */
static int pick_sends(sms_channel *c, store *st, int64_t now)
{
    if (!c->health.connected || c->nfly >= SMS_INFLIGHT_MAX)
        return 0;
    long sent = store_sms_out_sent_since(st, now - 60000);
    if (sent < 0)
        return -1;
    int per_minute = c->cfg->sms.send_per_minute;
    long budget = (long)per_minute - sent - c->nfly;
    int room = SMS_INFLIGHT_MAX - c->nfly;
    if (room > after_room(c))
        room = after_room(c);
    int64_t skip[SMS_INFLIGHT_MAX];
    pick_ctx pc = { c };
    int nskip = skip_list(c, skip);
    int n = 0;
    int limit = clamp_pick(budget, room);
    if (limit > 0) {
        n = store_sms_out_due(st, now, "reply", limit, skip, nskip, pick_one, &pc);
        if (n < 0)
            return -1;
    }
    int alerts_flying = 0;
    for (int i = 0; i < c->nfly; i++)
        alerts_flying += c->fly[i].alert;
    long alert_budget = budget - n - reply_reserve(per_minute);
    int alert_room = room - n;
    if (alert_room > SMS_ALERTS_INFLIGHT_MAX - alerts_flying)
        alert_room = SMS_ALERTS_INFLIGHT_MAX - alerts_flying;
    limit = clamp_pick(alert_budget, alert_room);
    if (limit > 0 && store_sms_out_due(st, now, "alert", limit, skip, nskip, pick_one, &pc) < 0)
        return -1;
    if (alert_budget > 0) {
        c->rate_logged = 0;
        return 0;
    }
    /* At the rate limit: logged once per change of what waits, not at every scan. */
    nskip = skip_list(c, skip);
    int waiting = store_sms_out_due(st, now, NULL, 1000, skip, nskip, count_one, NULL);
    if (waiting < 0)
        return -1;
    if (waiting > 0 && waiting != c->rate_logged) {
        c->rate_logged = waiting;
        log_info("sms", "send rate limit reached (%d a minute): %d SMS wait", per_minute,
                 waiting);
    }
    return 0;
}

/* ------------------------------------------------------------------ health */

static void on_health(sms_channel *c, const sms_event *ev)
{
    const sms_event *h = &c->health;
    if (!c->health_known || h->connected != ev->connected || h->sim_ok != ev->sim_ok ||
        strcmp(h->network, ev->network) != 0 ||
        (h->signal_percent / 10) != (ev->signal_percent / 10)) {
        if (ev->connected)
            log_info("sms", "modem: connected, signal %d%%, network %s, SIM %s",
                     ev->signal_percent, ev->network, ev->sim_ok ? "present" : "missing");
        else if (c->health_known)
            log_info("sms", "modem: not connected");
    }
    c->health = *ev;
    c->health_known = 1;
    c->health_dirty = 1;
}

int sms_write_status(sms_channel *c, store *st, int64_t now)
{
    char v[64];
    int rc = 0;
    const sms_event *h = &c->health;
    rc |= store_status_set(st, "sms_modem", h->connected ? "connected" : "down", now);
    snprintf(v, sizeof v, "%d", h->signal_percent);
    rc |= store_status_set(st, "sms_signal_percent", h->connected ? v : NULL, now);
    rc |= store_status_set(st, "sms_network", h->connected ? h->network : "none", now);
    rc |= store_status_set(st, "sms_sim", h->connected ? (h->sim_ok ? "present" : "missing")
                                                      : "unknown", now);
    snprintf(v, sizeof v, "%lld", (long long)h->last_poll_ok);
    rc |= store_status_set(st, "sms_last_poll_at", h->last_poll_ok ? v : NULL, now);
    snprintf(v, sizeof v, "%lld", h->last_poll_ok ? (long long)((now - h->last_poll_ok) / 1000) : -1LL);
    rc |= store_status_set(st, "sms_since_last_poll_s", v, now);
    snprintf(v, sizeof v, "%d", c->nfly);
    rc |= store_status_set(st, "sms_inflight", v, now);
    snprintf(v, sizeof v, "%ld", c->stats.given_up);
    rc |= store_status_set(st, "sms_given_up_since_start", v, now);
    c->health_dirty = 0;
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------ the turn */

static void expired_one(void *arg, const char *sender, int ref, int total)
{
    /* Collected first, made after the query (one statement at a time). */
    exp_list *l = arg;
    if (l->n == SMS_TAKE_MAX)
        return;
    snprintf(l->sender[l->n], sizeof l->sender[l->n], "%s", sender);
    l->ref[l->n] = ref;
    l->total[l->n] = total;
    l->n++;
}

int sms_prepare(sms_channel *c, const ingest_ctx *ctx, int64_t now)
{
    store *st = ctx->st;
    int rc = 0;
    /* What the modem's command queue can take after the commit. */
    int modem_room = sms_modem_room(c->modem);
    c->after_max = modem_room < AFTER_MAX ? modem_room : AFTER_MAX;
    c->nturn = 0;
    /* Results of a turn whose commit failed, first. */
    for (int i = 0; i < c->nheld && rc == 0; i++)
        rc = on_result(c, st, &c->held[i], now);
    /* One event at a time, while there is room for what it may queue; the
     * others wait in the modem thread's queue (which wakes us again). */
    c->nev = 0;
    while (rc == 0 && c->nev < SMS_TAKE_MAX && c->nheld < SMS_TAKE_MAX &&
           after_room(c) >= ONE_MESSAGE_ROOM &&
           sms_modem_take(c->modem, &c->ev[c->nev], 1) == 1) {
        const sms_event *ev = &c->ev[c->nev++];
        switch (ev->kind) {
        case SMS_EV_PART:
        case SMS_EV_REPORT:
            c->turn_loc[c->nturn][0] = ev->folder;
            c->turn_loc[c->nturn][1] = ev->location;
            c->nturn++;
            if (ev->kind == SMS_EV_PART)
                rc = on_part(c, ctx, ev, now);
            else
                on_report(c, st, ev, now, &rc);
            break;
        case SMS_EV_RESULT:
            c->held[c->nheld++] = *ev;
            rc = on_result(c, st, ev, now);
            break;
        case SMS_EV_HEALTH:
            on_health(c, ev);
            break;
        }
    }
    if (rc)
        return -1;
    int64_t mono = clock_mono_ms();
    if (c->nev == 0 && mono < c->next_scan)
        return 0;
    c->next_scan = mono + SCAN_EVERY_MS;
    exp_list *exp = &c->exp;
    exp->n = 0;
    if (store_sms_parts_expired(st, now - (int64_t)c->cfg->sms.multipart_timeout_s * 1000,
                                SMS_TAKE_MAX, expired_one, exp) < 0)
        return -1;
    for (int i = 0; i < exp->n; i++) {
        if (after_room(c) < ONE_MESSAGE_ROOM) {
            c->next_scan = 0; /* the others at the next turn */
            break;
        }
        if (make_message(c, ctx, exp->sender[i], exp->ref[i], exp->total[i], 0, now))
            return -1;
    }
    int n = store_sms_out_give_up(st, now - (int64_t)c->cfg->sms.give_up_after_s * 1000, now);
    if (n < 0)
        return -1;
    if (n > 0) {
        c->stats.given_up += n;
        log_error("sms", "gave up on %d SMS not sent within %d s (marked failed)", n,
                  c->cfg->sms.give_up_after_s);
    }
    if (n > 0 || c->given_up_left) {
        /* Their duty-phone alerts are dead-lettered like any delivery
         * (dead_at, timeline, fallback), a bounded number a turn. */
        char why[64];
        snprintf(why, sizeof why, "sms given up after %d s", c->cfg->sms.give_up_after_s);
        int k = lc_sms_given_up(ctx, why, SMS_TAKE_MAX, now);
        if (k < 0)
            return -1;
        c->given_up_left = k == SMS_TAKE_MAX;
        if (c->given_up_left)
            c->next_scan = 0; /* the others at the next turn */
    }
    if (pick_sends(c, st, now))
        return -1;
    if (c->health_dirty && sms_write_status(c, st, now))
        return -1;
    return 0;
}

void sms_after_commit(sms_channel *c)
{
    /* The results are in the store: their sends are no longer in flight. */
    for (int i = 0; i < c->nheld; i++) {
        const sms_event *ev = &c->held[i];
        if (ev->ok)
            c->stats.sent++;
        else
            c->stats.send_failures++;
        for (int k = 0; k < c->nfly; k++)
            if (c->fly[k].id == ev->id) {
                c->fly[k] = c->fly[--c->nfly];
                break;
            }
    }
    c->nheld = 0;
    for (int i = 0; i < c->nafter; i++) {
        const sms_cmd *cmd = &c->after[i];
        if (cmd->kind == SMS_CMD_SEND)
            log_debug("sms", "handing sms %lld to the modem: to %s, %s: %s", (long long)cmd->id,
                      cmd->to, cmd->coding == SMS_UCS2 ? "ucs2" : "gsm7", cmd->text);
        if (sms_modem_push(c->modem, cmd) == 0)
            continue;
        /* Cannot happen with the queue sizes we have; if it did, the send is
         * picked again, the part read again and found committed. */
        log_warn("sms", "modem queue full");
        if (cmd->kind == SMS_CMD_SEND)
            for (int k = 0; k < c->nfly; k++)
                if (c->fly[k].id == cmd->id) {
                    c->fly[k] = c->fly[--c->nfly];
                    break;
                }
    }
    c->nafter = 0;
    c->nturn = 0;
}

void sms_forget(sms_channel *c)
{
    for (int i = 0; i < c->nafter; i++) {
        const sms_cmd *cmd = &c->after[i];
        if (cmd->kind != SMS_CMD_SEND)
            continue;
        for (int k = 0; k < c->nfly; k++)
            if (c->fly[k].id == cmd->id) {
                c->fly[k] = c->fly[--c->nfly];
                break;
            }
    }
    c->nafter = 0;
    /* The parts of this turn are not in the store: the modem hands them over again. */
    for (int i = 0; i < c->nturn; i++) {
        sms_cmd cmd;
        memset(&cmd, 0, sizeof cmd);
        cmd.kind = SMS_CMD_FORGET;
        cmd.folder = c->turn_loc[i][0];
        cmd.location = c->turn_loc[i][1];
        (void)sms_modem_push(c->modem, &cmd);
    }
    c->nturn = 0;
}
