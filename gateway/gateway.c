/* gateway.c: the core loop. Signal handlers only set flags; each turn of the
 * loop is a short list of steps:
 *   poll -> read a batch of radio messages -> one transaction (journal every
 *   message with its effect, record PUBACKs, pick due alerts) -> commit ->
 *   publish replies and alerts -> keepalive/reconnect -> reload if asked.
 * Replies and alerts leave only after the commit that made them durable. */
/* ppoll(): sub-millisecond waits for group commit. */
#define _GNU_SOURCE
#include "gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>

#include "clock.h"
#include "config.h"
#include "http.h" /* dashboard */
#include "ingest.h"
#include "lifecycle.h"
#include "log.h"
#include "mqtt.h"
#include "notify.h"
#include "outbox.h"
#include "radio.h"
#include "ratelim.h"
#include "sms.h"
#include "store.h"
#include "store_alerts.h"
#include "store_reports.h"
#include "tables.h"

/* Wait this long for a broker PUBACK before publishing an alert again. */
#define ALERT_RETRY_MS 30000
#define STATS_EVERY_MS 60000
/* How often the status rows for patrolctl status are refreshed. */
#define STATUS_EVERY_MS 5000
/* systemd watchdog: a turn counts as progress when the store committed a
 * transaction this recently (an idle turn with the broker down commits the
 * status rows every STATUS_EVERY_MS; with the broker up every turn commits). */
#define PROGRESS_MS (2 * (int64_t)STATUS_EVERY_MS)
/* Group commit under load: how long to wait for more messages, and the batch
 * size of the previous turn that counts as load. */
#define GATHER_NS 300000L
#define GATHER_MIN_BATCH 2
/* Replies committed while the broker was away, sent when it is back. Beyond
 * this the oldest are dropped: bridges resend unanswered messages anyway. */
#define REPLY_BACKLOG_MAX 4096

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;
static int wake_pipe[2] = { -1, -1 };

typedef struct stats {
    long messages, accepted, duplicates, errors, rejected, alerts;
} stats;

/* An acknowledgement read from <prefix>/ack/<partner>, waiting for the turn. */
#define ACKS_MAX 64
typedef struct ack_msg {
    char partner[GW_NAME_MAX + 1];
    char *payload;               /* owned */
    size_t len;
    int64_t received_at;
} ack_msg;

/* How often the lifecycle tick (resends, escalations, reminders, digests) runs. */
#define TICK_EVERY_MS 1000
/* How long a turn waits for a write lock held by another connection
 * (patrolctl): longer than one of its short transactions or purge batches,
 * far shorter than a turn may stall. Past it the turn fails and answers
 * nothing, so bridges resend (as for any store error). */
#define CORE_BUSY_MS 250

typedef struct reply_item {
    char topic[GW_TOPIC_MAX];
    char *payload;               /* owned */
    size_t len;
} reply_item;

typedef struct gw {
    gw_config *cfg;              /* owned */
    gw_tables tables;            /* owned */
    store *st;                   /* owned */
    mqtt_conn *mqtt;             /* owned */
    outbox *ob;                  /* owned */
    ratelim *rl;                 /* owned: counts for the rate limits */
    sms_channel *sms;            /* owned; NULL without [sms] */
    http_server *http;           /* dashboard: owned; NULL without [http] */
    radio_msg batch[GW_BATCH_MAX];
    int nbatch;
    ack_msg acks[ACKS_MAX];
    int nacks;
    int64_t next_tick;           /* monotonic ms of the next lifecycle tick */
    int64_t mqtt_down_since;     /* monotonic ms the broker went away; 0 connected */
    stats total;
    reply_item backlog[REPLY_BACKLOG_MAX]; /* ring of unsent replies */
    int backlog_head, backlog_len;
    long backlog_dropped;
    int64_t started_at;          /* Unix ms */
    int64_t next_status;         /* monotonic ms of the next status write */
    int64_t store_ok_at;         /* monotonic ms of the last commit; 0: the last one failed */
    long store_errors;           /* turns rolled back on a store error since start */
    int64_t store_error_at;      /* Unix ms of the last one, 0 none */
    int last_batch;              /* messages in the previous turn's batch */
} gw;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
    if (wake_pipe[1] >= 0)
        (void)!write(wake_pipe[1], "x", 1);
    errno = saved;
}

static int setup_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (pipe(wake_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) || sigaction(SIGHUP, &sa, NULL))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void commit_turn(gw *g);

/* 1 if topic is <prefix>/ack/<partner> (partner copied out). */
static int ack_topic(const char *prefix, const char *topic, char *partner, size_t partnersz)
{
    size_t n = strlen(prefix);
    if (strncmp(topic, prefix, n) != 0 || strncmp(topic + n, "/ack/", 5) != 0)
        return 0;
    const char *p = topic + n + 5;
    if (!*p || strchr(p, '/') || strlen(p) >= partnersz)
        return 0;
    memcpy(partner, p, strlen(p) + 1);
    return 1;
}

static void on_message(void *arg, const char *topic, const void *payload, int len)
{
    gw *g = arg;
    char partner[GW_NAME_MAX + 1];
    if (ack_topic(g->cfg->mqtt_prefix, topic, partner, sizeof partner)) {
        if (g->nacks >= ACKS_MAX)
            commit_turn(g);
        ack_msg *a = &g->acks[g->nacks];
        size_t n = len > 0 ? (size_t)len : 0;
        if (n > GW_RADIO_PAYLOAD_MAX)
            n = GW_RADIO_PAYLOAD_MAX + 1; /* enough to be refused as too long */
        a->payload = malloc(n + 1);
        if (!a->payload) {
            log_error("gateway", "out of memory: an ACK message is dropped; the sender may resend");
            return;
        }
        memcpy(a->payload, payload, n);
        a->payload[n] = '\0';
        a->len = n;
        memcpy(a->partner, partner, sizeof partner);
        a->received_at = clock_now_ms();
        g->nacks++;
        return;
    }
    /* libmosquitto may hand over more packets in one read than we asked for:
     * a full batch is committed (and answered) right here. */
    if (g->nbatch >= GW_BATCH_MAX)
        commit_turn(g);
    radio_msg *m = &g->batch[g->nbatch];
    if (radio_decode(g->cfg->mqtt_prefix, topic, payload, len > 0 ? (size_t)len : 0,
                     clock_now_ms(), g->cfg, m) != 0) {
        radio_msg_clear(m);
        log_warn("radio", "ignored a message on an unexpected topic");
        return;
    }
    g->nbatch++;
}

static void on_published(void *arg, int mid)
{
    gw *g = arg;
    outbox_on_puback(g->ob, mid);
}

/* Keeps a reply that could not be published (takes ownership of payload). */
static void backlog_push(gw *g, const char *topic, char *payload, size_t len)
{
    if (g->backlog_len == REPLY_BACKLOG_MAX) {
        reply_item *old = &g->backlog[g->backlog_head];
        free(old->payload);
        g->backlog_head = (g->backlog_head + 1) % REPLY_BACKLOG_MAX;
        g->backlog_len--;
        g->backlog_dropped++;
    }
    reply_item *it = &g->backlog[(g->backlog_head + g->backlog_len) % REPLY_BACKLOG_MAX];
    snprintf(it->topic, sizeof it->topic, "%s", topic);
    it->payload = payload;
    it->len = len;
    g->backlog_len++;
}

static void backlog_flush(gw *g)
{
    int sent = 0;
    while (g->backlog_len > 0 && mqtt_ready(g->mqtt)) {
        reply_item *it = &g->backlog[g->backlog_head];
        int mid;
        if (mqtt_publish(g->mqtt, it->topic, it->payload, (int)it->len, 1, &mid) != 0)
            break;
        free(it->payload);
        it->payload = NULL;
        g->backlog_head = (g->backlog_head + 1) % REPLY_BACKLOG_MAX;
        g->backlog_len--;
        sent++;
    }
    if (sent)
        log_info("radio", "sent %d replies held while the broker was away", sent);
}

static void backlog_free(gw *g)
{
    for (int i = 0; i < g->backlog_len; i++)
        free(g->backlog[(g->backlog_head + i) % REPLY_BACKLOG_MAX].payload);
    g->backlog_len = 0;
}

static void on_ready(void *arg)
{
    gw *g = arg;
    g->next_status = 0; /* tell patrolctl status about the connection now */
    backlog_flush(g);
}

static void count(stats *s, const char *outcome, int alerts)
{
    s->messages++;
    s->alerts += alerts;
    if (!strcmp(outcome, "accepted"))
        s->accepted++;
    else if (!strcmp(outcome, "duplicate"))
        s->duplicates++;
    else if (!strcmp(outcome, "error"))
        s->errors++;
    else
        s->rejected++;
}

/* Status rows for patrolctl status, inside the turn's transaction. */
static int write_status(gw *g, int64_t now)
{
    char v[GW_HOST_MAX + 16];
    int rc = 0;
    snprintf(v, sizeof v, "%ld", (long)getpid());
    rc |= store_status_set(g->st, "pid", v, now);
    rc |= store_status_set(g->st, "state", "running", now);
    rc |= store_status_set(g->st, "version", PATROL_VERSION, now);
    snprintf(v, sizeof v, "%lld", (long long)g->started_at);
    rc |= store_status_set(g->st, "started_at", v, now);
    snprintf(v, sizeof v, "%s:%d", g->cfg->mqtt_host, g->cfg->mqtt_port);
    rc |= store_status_set(g->st, "broker", v, now);
    rc |= store_status_set(g->st, "broker_state", mqtt_ready(g->mqtt) ? "connected" : "down", now);
    snprintf(v, sizeof v, "%d", outbox_inflight(g->ob));
    rc |= store_status_set(g->st, "alerts_inflight", v, now);
    snprintf(v, sizeof v, "%d", g->backlog_len);
    rc |= store_status_set(g->st, "replies_held", v, now);
    snprintf(v, sizeof v, "%ld", g->total.messages);
    rc |= store_status_set(g->st, "messages_since_start", v, now);
    /* Messages journaled but not acted on: a sender or network over its
     * rate limit ([gateway] unit_rate_limit, network_rate_limit). */
    snprintf(v, sizeof v, "%ld", ratelim_refused(g->rl, 'u'));
    rc |= store_status_set(g->st, "rate_limited_units", v, now);
    snprintf(v, sizeof v, "%ld", ratelim_refused(g->rl, 'n'));
    rc |= store_status_set(g->st, "rate_limited_networks", v, now);
    /* Store errors (disk full, I/O, a lock held too long) cannot be written
     * while they last: the next good turn says they happened (the log says what). */
    snprintf(v, sizeof v, "%ld", g->store_errors);
    rc |= store_status_set(g->st, "store_errors_since_start", v, now);
    if (g->store_error_at > 0) {
        clock_rfc3339(g->store_error_at, v, sizeof v);
        rc |= store_status_set(g->st, "last_store_error_at", v, now);
    }
    if (g->sms)
        rc |= sms_write_status(g->sms, g->st, now);
    return rc ? -1 : 0;
}

static void acks_clear(gw *g)
{
    for (int i = 0; i < g->nacks; i++)
        free(g->acks[i].payload);
    g->nacks = 0;
}

/* {"ref": "R1042", "result": "OK ACK R1042"}; caller frees; NULL on ENOMEM. */
static char *ack_result(const ingest_out *o, const ack_msg *a)
{
    (void)a;
    char ref[24];
    char *s = NULL;
    cJSON *r = cJSON_CreateObject();
    snprintf(ref, sizeof ref, "R%lld", (long long)o->ref);
    if (r && (o->ref > 0 ? cJSON_AddStringToObject(r, "ref", ref) : cJSON_AddNullToObject(r, "ref")) &&
        cJSON_AddStringToObject(r, "outcome", o->outcome) &&
        cJSON_AddStringToObject(r, "result", o->reply))
        s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

/* One transaction for the whole batch, then replies and alerts. */
static void commit_turn(gw *g)
{
    static ingest_out outs[GW_BATCH_MAX];
    int can_publish = mqtt_ready(g->mqtt);
    int64_t now = clock_now_ms();

    static ingest_out ack_outs[ACKS_MAX];
    int status_due = clock_mono_ms() >= g->next_status;
    int tick_due = clock_mono_ms() >= g->next_tick;
    /* Asked at every turn, not behind a short-circuit: each empties its
     * module's wake-up pipe, and a byte left there makes poll() return at
     * once at every turn for ever (a busy loop after one dashboard request). */
    int sms_wants = g->sms && sms_due(g->sms, clock_mono_ms());
    int http_wants = g->http && http_due(g->http); /* dashboard */
    if (g->nbatch == 0 && g->nacks == 0 && !outbox_has_acks(g->ob) && !can_publish &&
        !status_due && !tick_due && !sms_wants && !http_wants)
        return;
    if (store_begin(g->st))
        goto fail;
    ingest_ctx ctx = { g->cfg, &g->tables, g->st, g->rl };
    for (int i = 0; i < g->nbatch; i++) {
        ingest_in in;
        radio_to_ingest(&g->batch[i], &in);
        if (ingest_message(&ctx, &in, &outs[i]))
            goto fail;
    }
    for (int i = 0; i < g->nacks; i++)
        if (ingest_ack_json(&ctx, g->acks[i].partner, g->acks[i].payload, g->acks[i].len,
                            g->acks[i].received_at, &ack_outs[i]))
            goto fail;
    if (tick_due) {
        int64_t mono = clock_mono_ms();
        if (can_publish)
            g->mqtt_down_since = 0;
        else if (g->mqtt_down_since == 0)
            g->mqtt_down_since = mono;
        if (lc_tick(&ctx, now, can_publish ? 0 : mono - g->mqtt_down_since + 1))
            goto fail;
        g->next_tick = clock_mono_ms() + TICK_EVERY_MS;
    }
    if (g->sms && sms_prepare(g->sms, &ctx, now))
        goto fail;
    if (g->http && http_prepare(g->http, &ctx, now)) /* dashboard */
        goto fail;
    if (outbox_prepare(g->ob, &ctx, now, can_publish))
        goto fail;
    if (status_due) {
        if (write_status(g, now))
            goto fail;
        g->next_status = clock_mono_ms() + STATUS_EVERY_MS;
    }
    if (store_commit(g->st))
        goto fail;
    g->store_ok_at = clock_mono_ms();
    if (g->sms)
        sms_after_commit(g->sms); /* sends and deletions only after the commit */
    if (g->http)
        http_after_commit(g->http); /* dashboard: answers the requests applied */
    for (int i = 0; i < g->nbatch; i++) {
        char topic[GW_TOPIC_MAX];
        char *payload = NULL;
        size_t len = 0;
        count(&g->total, outs[i].outcome, outs[i].alerts);
        if (radio_reply(g->cfg->mqtt_prefix, &g->batch[i], &outs[i], topic, sizeof topic,
                        &payload, &len) == 0) {
            int mid;
            if (g->backlog_len > 0 || mqtt_publish(g->mqtt, topic, payload, (int)len, 1, &mid) != 0)
                backlog_push(g, topic, payload, len); /* keeps the order of replies */
            else
                free(payload);
        }
        radio_msg_clear(&g->batch[i]);
    }
    g->nbatch = 0;
    for (int i = 0; i < g->nacks; i++) {
        ack_msg *a = &g->acks[i];
        char topic[GW_TOPIC_MAX];
        char *payload = ack_result(&ack_outs[i], a);
        snprintf(topic, sizeof topic, "%s/ack/%s/result", g->cfg->mqtt_prefix, a->partner);
        int mid;
        if (payload && (g->backlog_len > 0 ||
                        mqtt_publish(g->mqtt, topic, payload, (int)strlen(payload), 1, &mid) != 0))
            backlog_push(g, topic, payload, strlen(payload));
        else
            free(payload);
        free(a->payload);
        a->payload = NULL;
    }
    g->nacks = 0;
    outbox_publish(g->ob, g->mqtt, g->cfg->mqtt_prefix);
    return;
fail:
    /* The store failed (disk full, I/O error): nothing of this batch is
     * answered, so bridges resend it; we try again with what comes next. */
    store_rollback(g->st);
    outbox_forget(g->ob);
    if (g->sms)
        sms_forget(g->sms);
    if (g->http)
        http_forget(g->http); /* dashboard */
    log_error("gateway", "store error: %d messages not committed; bridges will resend", g->nbatch);
    g->store_ok_at = 0;
    g->store_errors++;
    g->store_error_at = clock_now_ms();
    g->next_status = 0; /* say so at the first turn that commits again */
    notify_status("store error: %d messages not committed; retrying", g->nbatch);
    for (int i = 0; i < g->nbatch; i++)
        radio_msg_clear(&g->batch[i]);
    g->nbatch = 0;
    acks_clear(g);
}

/* Only at start, before the SMS, dashboard and curl threads (reload says why). */
static void apply_timezone(const gw_config *cfg)
{
    if (cfg->timezone[0]) {
        setenv("TZ", cfg->timezone, 1);
        tzset();
    }
}

static void reload(gw *g)
{
    char err[PRC_ERR_MAX * 2];
    gw_config *cfg = calloc(1, sizeof *cfg);
    gw_tables t = { NULL, NULL };

    log_info("gateway", "SIGHUP: reloading %s", g->cfg->path);
    if (!cfg) {
        log_error("gateway", "reload refused: out of memory");
        return;
    }
    if (config_load(g->cfg->path, cfg, err, sizeof err) || tables_load(cfg, &t, err, sizeof err)) {
        log_error("gateway", "reload refused, keeping the running config: %s", err);
        free(cfg);
        return;
    }
    if (strcmp(cfg->store_path, g->cfg->store_path) != 0 ||
        strcmp(cfg->mqtt_host, g->cfg->mqtt_host) != 0 || cfg->mqtt_port != g->cfg->mqtt_port ||
        strcmp(cfg->mqtt_prefix, g->cfg->mqtt_prefix) != 0 ||
        strcmp(cfg->mqtt_client_id, g->cfg->mqtt_client_id) != 0) {
        log_warn("gateway", "[store] and [mqtt] changes take effect at the next restart");
        /* The connection and store keep using the running values. */
        memcpy(cfg->store_path, g->cfg->store_path, sizeof cfg->store_path);
        memcpy(cfg->mqtt_host, g->cfg->mqtt_host, sizeof cfg->mqtt_host);
        cfg->mqtt_port = g->cfg->mqtt_port;
        memcpy(cfg->mqtt_prefix, g->cfg->mqtt_prefix, sizeof cfg->mqtt_prefix);
        memcpy(cfg->mqtt_client_id, g->cfg->mqtt_client_id, sizeof cfg->mqtt_client_id);
    }
    /* TZ is set once, before any thread starts: setenv() while the dashboard's
     * threads call localtime_r() and mktime() (which read TZ) is a data race. */
    if (strcmp(cfg->timezone, g->cfg->timezone) != 0) {
        log_warn("gateway", "[gateway] timezone changes take effect at the next restart");
        memcpy(cfg->timezone, g->cfg->timezone, sizeof cfg->timezone);
    }
    /* The batch is empty here (reload runs between turns), so nothing points into the old tables. */
    tables_free(&g->tables);
    g->tables = t;
    /* mqtt_conn keeps a pointer to the config: copy into the same object. */
    memcpy(g->cfg, cfg, sizeof *cfg);
    free(cfg);
    log_set_level((enum log_level)g->cfg->log_level);
    http_reload(g->http, g->cfg); /* dashboard: checks ACK links with the secret alerts use */
    log_info("gateway", "reloaded: %d partners, %d networks, %zu codes, %zu zones",
             g->cfg->npartners, g->cfg->nnetworks, prc_codes_count(g->tables.codes),
             prc_gazetteer_count(g->tables.gaz));
}

static void drain_wake_pipe(void)
{
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof buf) > 0)
        ;
}

static int run_loop(gw *g)
{
    int64_t next_stats = clock_mono_ms() + STATS_EVERY_MS;
    int64_t next_notify = 0;

    while (!stop_flag) {
        int64_t mono = clock_mono_ms();
        int timeout = mqtt_tick(g->mqtt, mono);
        /* fds[2]: the SMS modem thread's news (-1 without [sms]: poll skips it);
         * fds[3]: e-mail and webhook results from the curl worker;
         * fds[4]: the dashboard's queued changes (-1 without [http]). */
        struct pollfd fds[5] = { { wake_pipe[0], POLLIN, 0 }, { -1, 0, 0 },
                                 { g->sms ? sms_fd(g->sms) : -1, POLLIN, 0 },
                                 { outbox_fd(g->ob), POLLIN, 0 },
                                 { g->http ? http_fd(g->http) : -1, POLLIN, 0 } };
        int nfds = 1;
        int fd = mqtt_fd(g->mqtt);
        if (fd >= 0) {
            fds[1].fd = fd;
            fds[1].events = mqtt_events(g->mqtt);
            nfds = 2;
        }
        if (timeout > 1000 || timeout < 0)
            timeout = 1000;
        int n = poll(fds, 5, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("gateway", "poll: %s", strerror(errno));
            return 1;
        }
        if (n > 0 && (fds[0].revents & POLLIN))
            drain_wake_pipe();
        /* A turn that reads messages holds its writes (PUBACKs, then the
         * replies and alerts after the commit) until its end. */
        int cork = n > 0 && nfds == 2 && (fds[1].revents & POLLIN);
        if (cork)
            mqtt_cork(g->mqtt, 1);
        if (n > 0 && nfds == 2 && fds[1].revents)
            mqtt_service(g->mqtt, fds[1].revents, GW_BATCH_MAX - g->nbatch);
        /* Under load (the last batch was not a lone message), wait a moment for
         * more before committing: one fsync then covers more messages. A lone
         * message at a quiet time is committed at once. */
        if (g->nbatch > 0 && g->last_batch >= GATHER_MIN_BATCH && g->nbatch < GW_BATCH_MAX &&
            nfds == 2) {
            struct timespec gather = { 0, GATHER_NS };
            struct pollfd more = { fds[1].fd, POLLIN, 0 };
            if (ppoll(&more, 1, &gather, NULL) > 0 && (more.revents & POLLIN))
                mqtt_service(g->mqtt, more.revents, GW_BATCH_MAX - g->nbatch);
        }
        g->last_batch = g->nbatch;
        outbox_expire(g->ob, clock_mono_ms());
        if (g->backlog_len > 0)
            backlog_flush(g);
        commit_turn(g);
        if (cork)
            mqtt_cork(g->mqtt, 0);
        mono = clock_mono_ms();
        /* The turn ran to its end: feed the watchdog only if the store answers. */
        if (g->store_ok_at > 0 && mono - g->store_ok_at <= PROGRESS_MS)
            notify_watchdog(mono);
        if (mono >= next_notify) {
            next_notify = mono + STATUS_EVERY_MS;
            if (g->store_ok_at > 0)
                notify_status("broker %s; %ld messages since start (%ld accepted); "
                              "%d alerts in flight; %d replies held",
                              mqtt_ready(g->mqtt) ? "connected" : "down", g->total.messages,
                              g->total.accepted, outbox_inflight(g->ob), g->backlog_len);
        }
        if (reload_flag) {
            reload_flag = 0;
            notify_reloading();
            reload(g);
            notify_ready();
        }
        if (clock_mono_ms() >= next_stats) {
            next_stats = clock_mono_ms() + STATS_EVERY_MS;
            log_info("gateway",
                     "messages %ld: accepted %ld, duplicates %ld, errors %ld, rejected %ld; alerts %ld; "
                     "alerts in flight %d",
                     g->total.messages, g->total.accepted, g->total.duplicates, g->total.errors,
                     g->total.rejected, g->total.alerts, outbox_inflight(g->ob));
            if (g->sms) {
                sms_stats ss;
                sms_get_stats(g->sms, &ss);
                log_info("sms", "parts %ld, messages %ld; replies %ld (%ld over the limit); "
                         "sent %ld, failed attempts %ld, given up %ld", ss.parts, ss.messages,
                         ss.replies, ss.replies_limited, ss.sent, ss.send_failures, ss.given_up);
            }
        }
    }
    notify_stopping();
    /* Finish the batch in hand (already read: it is committed and answered). */
    commit_turn(g);
    return 0;
}

int gateway_run(const char *config_path, int log_level)
{
    char err[PRC_ERR_MAX * 2];
    int rc = 1;
    gw *g = calloc(1, sizeof *g);
    char subs[2][GW_TOPIC_MAX];
    const char *subp[2] = { subs[0], subs[1] };

    if (!g || !(g->cfg = calloc(1, sizeof *g->cfg))) {
        fprintf(stderr, "patrolgw: out of memory\n");
        free(g);
        return 1;
    }
    if (config_load(config_path, g->cfg, err, sizeof err)) {
        log_error("gateway", "%s", err);
        goto done;
    }
    log_set_level((enum log_level)(log_level >= 0 ? log_level : g->cfg->log_level));
    apply_timezone(g->cfg);
    (void)notify_init();
    if (tables_load(g->cfg, &g->tables, err, sizeof err)) {
        log_error("gateway", "%s", err);
        goto done;
    }
    if (setup_signals()) {
        log_error("gateway", "cannot set up signals: %s", strerror(errno));
        goto done;
    }
    g->st = store_open(g->cfg->store_path, STORE_RW, g->cfg->store_sync_full, err, sizeof err);
    if (!g->st) {
        log_error("store", "%s", err);
        goto done;
    }
    store_busy_timeout(g->st, CORE_BUSY_MS); /* after the migrations, which may wait longer */
    if (store_alerts_due_now(g->st, clock_now_ms())) {
        log_error("store", "cannot reschedule pending alerts");
        goto done;
    }
    snprintf(subs[0], sizeof subs[0], "%s/in/+/+", g->cfg->mqtt_prefix);
    /* Partners acknowledge on <prefix>/ack/<partner> (docs/alerts.md). */
    snprintf(subs[1], sizeof subs[1], "%s/ack/+", g->cfg->mqtt_prefix);
    mqtt_handlers h = { on_message, on_published, on_ready, NULL, g };
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
        log_error("mqtt", "cannot initialise libmosquitto");
        goto done;
    }
    /* Before the SMS, dashboard and curl threads start (mqtt_new says why). */
    g->mqtt = mqtt_new(g->cfg, subp, 2, &h, err, sizeof err);
    if (!g->mqtt) {
        log_error("mqtt", "%s", err);
        goto done;
    }
    if (g->cfg->sms.enabled) {
        g->sms = sms_new(g->cfg, err, sizeof err);
        if (!g->sms) {
            log_error("sms", "%s", err);
            goto done;
        }
    }
    if (g->cfg->http.enabled) { /* dashboard: after the store exists (it reads it) */
        g->http = http_new(g->cfg, err, sizeof err);
        if (!g->http) {
            log_error("http", "%s", err);
            goto done;
        }
    }
    g->ob = outbox_new(g->cfg, ALERT_RETRY_MS, err, sizeof err);
    if (!g->ob) {
        log_error("outbox", "%s", err);
        goto done;
    }
    g->rl = ratelim_new();
    if (!g->rl) {
        log_error("gateway", "out of memory for the rate limits");
        goto done;
    }
    g->started_at = clock_now_ms();
    long pending = store_alerts_pending(g->st);
    log_info("gateway", "patrolgw %s started: store %s, %zu codes, %zu zones, %d partners, "
             "%ld alerts pending", PATROL_VERSION, g->cfg->store_path,
             prc_codes_count(g->tables.codes), prc_gazetteer_count(g->tables.gaz),
             g->cfg->npartners, pending);
    g->store_ok_at = clock_mono_ms();
    notify_ready();
    notify_status("started: broker %s:%d, %ld alerts pending", g->cfg->mqtt_host,
                  g->cfg->mqtt_port, pending);
    rc = run_loop(g);
    log_info("gateway", "stopping: flushing replies and closing the store");
    if (store_status_set(g->st, "state", "stopped", clock_now_ms()))
        log_warn("store", "cannot record the stop in the status table");
done:
    if (g->mqtt) {
        mqtt_flush(g->mqtt, 1000);
        mqtt_free(g->mqtt);
        mosquitto_lib_cleanup();
    }
    for (int i = 0; i < g->nbatch; i++)
        radio_msg_clear(&g->batch[i]);
    acks_clear(g);
    backlog_free(g);
    http_free(g->http); /* dashboard: stops its threads first */
    sms_free(g->sms);
    outbox_free(g->ob);
    ratelim_free(g->rl);
    store_close(g->st);
    tables_free(&g->tables);
    free(g->cfg);
    free(g);
    if (rc == 0)
        log_info("gateway", "stopped");
    return rc;
}

int gateway_check_config(const char *config_path)
{
    char err[PRC_ERR_MAX * 2];
    gw_config *cfg = calloc(1, sizeof *cfg);
    gw_tables t = { NULL, NULL };
    int rc = 1;

    if (!cfg) {
        fprintf(stderr, "patrolgw: out of memory\n");
        return 1;
    }
    if (config_load(config_path, cfg, err, sizeof err) || tables_load(cfg, &t, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    printf("%s: OK: %zu codes, %zu zones, %d networks, %d partners; store %s; broker %s:%d\n",
           config_path, prc_codes_count(t.codes), prc_gazetteer_count(t.gaz), cfg->nnetworks,
           cfg->npartners, cfg->store_path, cfg->mqtt_host, cfg->mqtt_port);
    rc = 0;
done:
    tables_free(&t);
    free(cfg);
    return rc;
}
