/* http.c: the dashboard's web server (http.h): listening, routing,
 * sessions, CSRF, login throttling, security headers, and the queue of
 * changes handed to the core thread. Pages are rendered by dash.c, /metrics
 * by metrics.c; both read through the pool of read-only store connections. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acklink.h"
#include "audit.h"
#include "clock.h"
#include "dash.h"
#include "html.h"
#include "log.h"
#include "threads.h"
#include "metrics.h"
#include "store_dash.h"
#include "store_users.h"
#include "tables.h"
#include "users.h"

/* Read-only store connections shared by the request threads. */
#define POOL_SIZE 4
/* How long a request waits for the core to take its change (a core stuck
 * on a slow disk): then 503 and the change is withdrawn. */
#define SUBMIT_WAIT_MS 15000
/* /healthz: the core commits at least every 5 s (status rows). */
#define HEALTH_COMMIT_MAX_MS 30000
/* A live page gets a comment this often, so proxies keep the stream open. */
#define SSE_KEEPALIVE_MS 15000
/* ... and rechecks the store at least this often without a commit. */
#define SSE_RECHECK_MS 5000
/* The alerts page lists open reports this far back (dash.c); a duty user's
 * stream watches the events of that partner's reports of this window. */
#define LIVE_WINDOW_MS (8LL * 24 * 3600 * 1000)
/* Per address: this many times the per-name failures. */
#define THROTTLE_ADDR_FACTOR 4
/* Logins refused by the throttle: the first of a lockout is audited, then one
 * row for every this many (a flood must not grow the audit trail row by row). */
#define THROTTLE_AUDIT_EVERY 100
/* Certificate and key files (bytes). */
#define TLS_FILE_MAX ((size_t)64 * 1024)
#define ADDR_MAX 64

enum act_kind { ACT_LOGIN, ACT_LOGIN_FAILED, ACT_LOGOUT, ACT_ACK };
enum act_state { ACT_QUEUED, ACT_TAKEN, ACT_DONE };

/* One change for the core; lives on the requesting thread's stack until
 * it is DONE or withdrawn while still QUEUED. */
typedef struct http_action {
    enum act_kind kind;
    enum act_state state;
    char user[AUDIT_FIELD_MAX + 1];   /* who (login, logout, ACK) or the name tried (failed) */
    char partner[GW_NAME_MAX + 1];
    char detail[128];
    const char *via;                  /* ACK: "dashboard" or "link" */
    int64_t ref;
    int result;                       /* ACK: enum ingest_ack_status */
    struct http_action *next;
} http_action;

typedef struct http_session {
    int used;
    char token[HTTP_TOKEN_HEX + 1];
    char csrf[HTTP_TOKEN_HEX + 1];
    char user[GW_USER_NAME_MAX + 1];
    int64_t created_at, expires_at;   /* Unix ms (clock.h) */
} http_session;

typedef struct throttle {
    char key[GW_USER_NAME_MAX + ADDR_MAX + 4]; /* "u:<name>" or "a:<address>"; "" free */
    int failures;
    int pending;                      /* password checks under way: never evicted */
    int refusal_audited;              /* this lockout's first refusal is in the audit trail */
    long unaudited;                   /* refusals since the last audit row for this key */
    int64_t first_at, locked_until;
} throttle;

/* A connection, from its start to its close (slowloris defence). */
enum conn_state { CONN_WAITING, CONN_BUSY, CONN_CUT };
typedef struct conn_slot {
    int used;
    int fd;
    int metrics;                      /* on the metrics listener */
    enum conn_state state;            /* WAITING: for (the rest of) a request */
    int64_t since_mono;               /* opened, or its last request answered */
} conn_slot;

typedef struct listener {
    struct http_server *h;
    int metrics;                      /* 1: the /metrics-only listener */
} listener;

struct http_server {
    cfg_http cfg;                     /* copy: [http] changes need a restart */
    char store_path[GW_PATH_MAX];
    gw_tables tables;                 /* owned: the gazetteer for hotspots */
    int secure;                       /* cookies get Secure */
    char cookie_name[32], login_cookie[32];
    struct MHD_Daemon *d, *dm;
    listener lmain, lmetrics;
    char *tls_cert, *tls_key;         /* owned PEM text */
    size_t tls_key_len;

    pthread_mutex_t mu;               /* everything below */
    char ack_secret[GW_SECRET_MAX];   /* the running config's [alerts] ack secret; "" none */
    pthread_cond_t cv;                /* actions done, commits, pool, stopping */
    store *pool[POOL_SIZE];
    int pool_busy[POOL_SIZE];
    http_session sessions[GW_HTTP_SESSIONS_MAX];
    throttle thr[GW_HTTP_THROTTLE_MAX];
    http_action *qhead, *qtail;
    int nqueued;
    http_action *taken[GW_HTTP_QUEUE_MAX];
    int ntaken;
    uint64_t commit_gen;
    int64_t last_commit_mono;         /* 0: none yet */
    int stopping;
    long logins, login_failures;
    int64_t started_at;

    int hashing;                      /* logins waiting for or in a password check */
    long full_refusals;               /* logins refused: every throttle slot locked */
    conn_slot conns[2 * GW_HTTP_CONNECTIONS_MAX]; /* both listeners' connections */
    pthread_t reaper;                 /* cuts connections past request_timeout */
    int reaper_started;
    pthread_mutex_t hash_mu;          /* one password check at a time (64 MiB each) */
    char dummy_hash[USERS_HASH_MAX];  /* checked for unknown names: same time either way */
    int wake[2];
};

/* ------------------------------------------------------------------ pure helpers */

int http_token_new(char *out, size_t outsz)
{
    unsigned char raw[HTTP_TOKEN_HEX / 2];
    if (outsz < HTTP_TOKEN_HEX + 1 || sodium_init() < 0)
        return -1;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, outsz, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

static int is_token(const char *s)
{
    for (int i = 0; i < HTTP_TOKEN_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[HTTP_TOKEN_HEX] == '\0';
}

int http_token_equal(const char *a, const char *b)
{
    if (!a || !b || !is_token(a) || !is_token(b))
        return 0;
    return sodium_memcmp(a, b, HTTP_TOKEN_HEX) == 0;
}

/* RFC 6265 cookie-name (token) and cookie-value characters. */
static int cookie_chars(const char *s, int name)
{
    if (!*s && name)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == ',' || ch == ';' || ch == '\\')
            return 0;
        if (name && strchr("()<>@:/[]?={}", ch))
            return 0;
    }
    return 1;
}

int http_cookie(char *out, size_t outsz, const char *name, const char *value, int max_age,
                int secure)
{
    if (!cookie_chars(name, 1) || !cookie_chars(value, 0) || max_age < 0)
        return -1;
    int n = snprintf(out, outsz, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", name,
                     value, max_age, secure ? "; Secure" : "");
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out. 0 or -1. */
static int form_decode(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            ch = hi * 16 + lo;
            i += 2;
        }
        if (ch < 0x20 || ch == 0x7f)
            return -1;
        if (o + 1 >= outsz)
            return -1;
        out[o++] = (char)ch;
    }
    if (outsz == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

int http_form_value(const char *body, size_t len, const char *key, char *out, size_t outsz)
{
    size_t klen = strlen(key);
    size_t i = 0;
    while (i <= len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
        if (nlen == klen && memcmp(body + i, key, klen) == 0) {
            if (!eq)
                return form_decode("", 0, out, outsz) ? -1 : 1;
            const char *v = eq + 1;
            return form_decode(v, (size_t)(body + end - v), out, outsz) ? -1 : 1;
        }
        i = end + 1;
    }
    return 0;
}

int http_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

/* ------------------------------------------------------------------ locking helpers */

static void lock(http_server *h)
{
    if (pthread_mutex_lock(&h->mu) != 0)
        log_fatal("http", "mutex lock failed");
}

static void unlock(http_server *h)
{
    if (pthread_mutex_unlock(&h->mu) != 0)
        log_fatal("http", "mutex unlock failed");
}

/* Waits on cv until the monotonic deadline (ms). */
static void wait_until_ms(http_server *h, int64_t deadline_mono)
{
    struct timespec ts;
    int64_t ms = deadline_mono;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    int rc = pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    if (rc != 0 && rc != ETIMEDOUT)
        log_fatal("http", "condition wait failed");
}

static store *pool_get(http_server *h)
{
    lock(h);
    for (;;) {
        if (h->stopping) {
            unlock(h);
            return NULL;
        }
        for (int i = 0; i < POOL_SIZE; i++)
            if (!h->pool_busy[i]) {
                h->pool_busy[i] = 1;
                unlock(h);
                return h->pool[i];
            }
        wait_until_ms(h, clock_mono_ms() + 1000);
    }
}

static void pool_put(http_server *h, store *s)
{
    lock(h);
    for (int i = 0; i < POOL_SIZE; i++)
        if (h->pool[i] == s)
            h->pool_busy[i] = 0;
    pthread_cond_broadcast(&h->cv);
    unlock(h);
}

/* ------------------------------------------------------------------ the core's side */

int http_fd(const http_server *h)
{
    return h->wake[0];
}

int http_due(http_server *h)
{
    char buf[64];
    while (read(h->wake[0], buf, sizeof buf) > 0)
        ;
    lock(h);
    int due = h->nqueued > 0;
    unlock(h);
    return due;
}

static int apply(const ingest_ctx *ctx, http_action *a, int64_t now)
{
    switch (a->kind) {
    case ACT_LOGIN:
        if (store_user_login_record(ctx->st, a->user, now) < 0 ||
            audit_append(ctx->st, now, a->user, "login", "dashboard", a->detail) < 0)
            return -1;
        return 0;
    case ACT_LOGIN_FAILED:
        return audit_append(ctx->st, now, "dashboard", "login failed", a->user, a->detail) < 0 ? -1 : 0;
    case ACT_LOGOUT:
        return audit_append(ctx->st, now, a->user, "logout", "dashboard", a->detail) < 0 ? -1 : 0;
    case ACT_ACK: {
        enum ingest_ack_status st;
        if (ingest_ack(ctx, a->ref, a->partner, a->user, a->via, now, &st))
            return -1;
        a->result = (int)st;
        return 0;
    }
    }
    return -1;
}

int http_prepare(http_server *h, const ingest_ctx *ctx, int64_t now)
{
    lock(h);
    while (h->qhead) {
        http_action *a = h->qhead;
        h->qhead = a->next;
        a->next = NULL;
        a->state = ACT_TAKEN;
        h->taken[h->ntaken++] = a;
        h->nqueued--;
    }
    h->qtail = NULL;
    unlock(h);
    /* The requests wait for these (TAKEN is never withdrawn): no lock needed. */
    for (int i = 0; i < h->ntaken; i++)
        if (apply(ctx, h->taken[i], now))
            return -1;
    return 0;
}

void http_after_commit(http_server *h)
{
    lock(h);
    for (int i = 0; i < h->ntaken; i++)
        h->taken[i]->state = ACT_DONE;
    h->ntaken = 0;
    h->commit_gen++;
    h->last_commit_mono = clock_mono_ms();
    pthread_cond_broadcast(&h->cv);
    unlock(h);
}

void http_forget(http_server *h)
{
    lock(h);
    for (int i = h->ntaken - 1; i >= 0; i--) {
        http_action *a = h->taken[i];
        a->state = ACT_QUEUED;
        a->next = h->qhead;
        h->qhead = a;
        if (!h->qtail)
            h->qtail = a;
        h->nqueued++;
    }
    h->ntaken = 0;
    pthread_cond_broadcast(&h->cv);
    unlock(h);
}

/* Queues a and waits until the core committed it. 0, or -1 (stopping, queue
 * full, or the core did not take it in time: nothing was applied). */
static int submit(http_server *h, http_action *a)
{
    lock(h);
    if (h->stopping || h->nqueued + h->ntaken >= GW_HTTP_QUEUE_MAX) {
        unlock(h);
        return -1;
    }
    a->state = ACT_QUEUED;
    a->next = NULL;
    if (h->qtail)
        h->qtail->next = a;
    else
        h->qhead = a;
    h->qtail = a;
    h->nqueued++;
    if (write(h->wake[1], "h", 1) < 0 && errno != EAGAIN) {
        char ebuf[LOG_STRERROR_MAX]; /* a libmicrohttpd thread */
        log_warn("http", "cannot wake the core: %s", log_strerror(errno, ebuf, sizeof ebuf));
    }
    int64_t deadline = clock_mono_ms() + SUBMIT_WAIT_MS;
    while (a->state != ACT_DONE) {
        if (a->state == ACT_QUEUED && (h->stopping || clock_mono_ms() >= deadline)) {
            /* Withdraw it: the core has not taken it. */
            http_action **pp = &h->qhead;
            http_action *prev = NULL;
            while (*pp && *pp != a) {
                prev = *pp;
                pp = &(*pp)->next;
            }
            if (*pp) {
                *pp = a->next;
                if (h->qtail == a)
                    h->qtail = prev;
                h->nqueued--;
            }
            unlock(h);
            return -1;
        }
        wait_until_ms(h, a->state == ACT_QUEUED ? deadline : clock_mono_ms() + 1000);
    }
    unlock(h);
    return 0;
}

/* ------------------------------------------------------------------ sessions */

/* Copies the live session of token into out. 1 found, 0 not. */
static int session_find(http_server *h, const char *token, int64_t now, http_session *out)
{
    int found = 0;
    if (!token || !is_token(token))
        return 0;
    lock(h);
    for (int i = 0; i < GW_HTTP_SESSIONS_MAX; i++) {
        http_session *s = &h->sessions[i];
        if (!s->used)
            continue;
        if (s->expires_at <= now) {
            sodium_memzero(s, sizeof *s);
            continue;
        }
        if (sodium_memcmp(s->token, token, HTTP_TOKEN_HEX) == 0) {
            *out = *s;
            found = 1;
        }
    }
    unlock(h);
    return found;
}

static void session_end(http_server *h, const char *token)
{
    lock(h);
    for (int i = 0; i < GW_HTTP_SESSIONS_MAX; i++)
        if (h->sessions[i].used && http_token_equal(h->sessions[i].token, token))
            sodium_memzero(&h->sessions[i], sizeof h->sessions[i]);
    unlock(h);
}

static int session_new(http_server *h, const char *user, int64_t now, http_session *out)
{
    http_session s;
    memset(&s, 0, sizeof s);
    if (http_token_new(s.token, sizeof s.token) || http_token_new(s.csrf, sizeof s.csrf))
        return -1;
    s.used = 1;
    snprintf(s.user, sizeof s.user, "%s", user);
    s.created_at = now;
    s.expires_at = now + (int64_t)h->cfg.session_lifetime_s * 1000;
    lock(h);
    /* A user's own oldest session makes way at GW_HTTP_SESSIONS_PER_USER, so one
     * account logging in again and again cannot push out everyone else's. */
    int slot = -1, mine = 0, my_oldest = -1, oldest = 0;
    for (int i = 0; i < GW_HTTP_SESSIONS_MAX; i++) {
        const http_session *o = &h->sessions[i];
        if (!o->used || o->expires_at <= now) {
            if (slot < 0)
                slot = i;
            continue;
        }
        if (!strcmp(o->user, user)) {
            mine++;
            if (my_oldest < 0 || o->created_at < h->sessions[my_oldest].created_at)
                my_oldest = i;
        }
        if (o->created_at < h->sessions[oldest].created_at || !h->sessions[oldest].used)
            oldest = i;
    }
    if (mine >= GW_HTTP_SESSIONS_PER_USER)
        slot = my_oldest;
    else if (slot < 0)
        slot = oldest; /* full of other users: the oldest login makes way */
    sodium_memzero(&h->sessions[slot], sizeof h->sessions[slot]);
    h->sessions[slot] = s;
    unlock(h);
    *out = s;
    sodium_memzero(&s, sizeof s);
    return 0;
}

static long sessions_open(http_server *h, int64_t now)
{
    long n = 0;
    lock(h);
    for (int i = 0; i < GW_HTTP_SESSIONS_MAX; i++)
        n += h->sessions[i].used && h->sessions[i].expires_at > now;
    unlock(h);
    return n;
}

/* ------------------------------------------------------------------ throttling */

/* Under h->mu: key's entry, or with create a new one in place of a free slot or
 * of the oldest entry that is not locked out (nor being checked, nor keep).
 * Locked entries are never evicted before their time: that would let failures
 * from many addresses unlock a name. NULL when every slot is locked: the caller
 * refuses the login (memory stays bounded; nothing is forgotten early). */
static throttle *thr_find(http_server *h, const char *key, int create, int64_t now,
                          const throttle *keep)
{
    throttle *oldest = NULL;
    for (int i = 0; i < GW_HTTP_THROTTLE_MAX; i++) {
        throttle *t = &h->thr[i];
        if (t->key[0] && !strcmp(t->key, key))
            return t;
        if (t->pending || t == keep || t->locked_until > now)
            continue; /* a check under way comes back to it; a lockout stays */
        if (!oldest || !t->key[0] || (oldest->key[0] && t->first_at < oldest->first_at))
            oldest = t;
    }
    if (!create || !oldest)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->first_at = now;
    return oldest;
}

/* Under h->mu: a new window once the last one (and its lockout) is over. */
static void thr_window(http_server *h, throttle *t, int64_t now)
{
    if (t->locked_until <= now && now - t->first_at > (int64_t)h->cfg.login_lockout_s * 1000) {
        t->failures = 0;
        t->first_at = now;
        t->locked_until = 0;
        t->refusal_audited = 0;
    }
}

/* Under h->mu: seconds until t may try again, 0 now. Checks under way count
 * as failures until they end, so a burst of guesses cannot pass the limit
 * while the first ones are being hashed. */
static int64_t thr_wait(const throttle *t, int max, int64_t now)
{
    if (t->locked_until > now)
        return (t->locked_until - now + 999) / 1000;
    return t->failures + t->pending >= max ? 1 : 0;
}

/* Under h->mu: a password check of t ended (ok or not). A success clears a
 * name's failures, not an address's (one's own login must not reset the count
 * of names guessed from there). */
static void thr_end(http_server *h, throttle *t, int ok, int max, int64_t now)
{
    t->pending--;
    if (ok) {
        if (t->key[0] == 'u')
            t->failures = 0;
        return;
    }
    if (++t->failures >= max)
        t->locked_until = now + (int64_t)h->cfg.login_lockout_s * 1000;
}

/* ------------------------------------------------------------------ responses */

static void security_headers(http_server *h, struct MHD_Response *r)
{
    /* No inline script or style anywhere: the pages load /static/dash.js and .css. */
    (void)MHD_add_response_header(r, "Content-Security-Policy",
                                  "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    (void)MHD_add_response_header(r, "X-Frame-Options", "DENY");
    (void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    (void)MHD_add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (h->secure)
        (void)MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

typedef struct reply {
    unsigned status;
    const char *ctype;
    const char *cookie[2];   /* Set-Cookie values, NULL for none */
    const char *location;    /* redirect target */
    const char *cache;       /* Cache-Control; NULL: no-store */
} reply;

/* mem: PERSISTENT for static text only (libmicrohttpd sends the body after
 * the handler has returned), MUST_FREE for a malloc'ed body, MUST_COPY for
 * anything else (a caller's stack buffer). */
static enum MHD_Result send_text(http_server *h, struct MHD_Connection *c, const reply *rp,
                                 const char *body, size_t len, enum MHD_ResponseMemoryMode mem)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mem);
    if (!r) {
        if (mem == MHD_RESPMEM_MUST_FREE)
            free((void *)body);
        return MHD_NO;
    }
    security_headers(h, r);
    (void)MHD_add_response_header(r, "Content-Type", rp->ctype ? rp->ctype : "text/html; charset=utf-8");
    (void)MHD_add_response_header(r, "Cache-Control", rp->cache ? rp->cache : "no-store");
    for (int i = 0; i < 2; i++)
        if (rp->cookie[i])
            (void)MHD_add_response_header(r, "Set-Cookie", rp->cookie[i]);
    if (rp->location)
        (void)MHD_add_response_header(r, "Location", rp->location);
    enum MHD_Result ret = MHD_queue_response(c, rp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_buf(http_server *h, struct MHD_Connection *c, const reply *rp,
                                html_buf *b)
{
    size_t len = 0;
    char *body = html_take(b, &len);
    html_free(b);
    if (!body) {
        static const char oops[] = "internal error: page too large\n";
        reply e = { 500, "text/plain; charset=utf-8", { NULL, NULL }, NULL, NULL };
        return send_text(h, c, &e, oops, sizeof oops - 1, MHD_RESPMEM_PERSISTENT);
    }
    return send_text(h, c, rp, body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_plain(http_server *h, struct MHD_Connection *c, unsigned status,
                                  const char *text)
{
    reply rp = { status, "text/plain; charset=utf-8", { NULL, NULL }, NULL, NULL };
    return send_text(h, c, &rp, text, strlen(text), MHD_RESPMEM_MUST_COPY); /* /healthz: a stack buffer */
}

static enum MHD_Result redirect(http_server *h, struct MHD_Connection *c, const char *to,
                                const char *cookie)
{
    reply rp = { MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", { cookie, NULL }, to, NULL };
    return send_text(h, c, &rp, "", 0, MHD_RESPMEM_PERSISTENT);
}

/* A page with the dashboard's frame around a short message. */
static enum MHD_Result send_message(http_server *h, struct MHD_Connection *c, unsigned status,
                                    const dash_ctx *x, const char *title, const char *text)
{
    html_buf b;
    html_init(&b, GW_HTTP_PAGE_MAX);
    dash_message(&b, x, title, text);
    reply rp = { status, NULL, { NULL, NULL }, NULL, NULL };
    return send_buf(h, c, &rp, &b);
}

/* ------------------------------------------------------------------ requests */

typedef struct req {
    char body[GW_HTTP_BODY_MAX + 1];
    size_t len;
    int too_big;
} req;

/* Who is asking: a live session of an active user whose password has not
 * changed since the login. */
typedef struct who {
    http_session s;
    users_user u;
} who;

static void client_addr(struct MHD_Connection *c, char *out, size_t outsz)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, outsz, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        (void)inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)outsz);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        (void)inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)outsz);
    }
}

/* 1 with *w filled, 0 not logged in, -1 store error. */
static int whoami(http_server *h, struct MHD_Connection *c, store *st, int64_t now, who *w)
{
    const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, h->cookie_name);
    if (!session_find(h, tok, now, &w->s))
        return 0;
    int rc = store_user_get(st, w->s.user, &w->u);
    if (rc < 0)
        return -1;
    if (rc == 0 || !w->u.active || w->u.changed_at > w->s.created_at) {
        session_end(h, w->s.token);
        return 0;
    }
    return 1;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v ? v : "";
}

/* A reference number: "1042" or "R1042". 0 if not one. */
static int64_t parse_ref(const char *s)
{
    if (*s == 'R' || *s == 'r')
        s++;
    if (!*s || strlen(s) > 15)
        return 0;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static enum MHD_Result page_login(http_server *h, struct MHD_Connection *c, unsigned status,
                                  const char *message)
{
    char tok[HTTP_TOKEN_HEX + 1], cookie[160];
    /* Keep the token the browser has: another tab, or a favicon request sent
     * to the login page, must not invalidate the form already shown. */
    const char *have = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, h->login_cookie);
    if (have && http_token_equal(have, have))
        snprintf(tok, sizeof tok, "%s", have);
    else if (http_token_new(tok, sizeof tok))
        return send_plain(h, c, 500, "internal error\n");
    if (http_cookie(cookie, sizeof cookie, h->login_cookie, tok, 3600, h->secure))
        return send_plain(h, c, 500, "internal error\n");
    html_buf b;
    html_init(&b, GW_HTTP_PAGE_MAX);
    dash_login(&b, tok, message);
    reply rp = { status, NULL, { cookie, NULL }, NULL, NULL };
    return send_buf(h, c, &rp, &b);
}

/* " (N refused attempts not listed)" when the throttle held back rows of t. */
static void unlisted(char *out, size_t outsz, throttle *t)
{
    out[0] = '\0';
    if (t && t->unaudited > 0) {
        snprintf(out, outsz, " (%ld refused attempts not listed)", t->unaudited);
        t->unaudited = 0;
    }
}

/* POST /login. The throttle is checked, and the attempt reserved, before the
 * password is hashed; the store connection is held only to read the user, never
 * across the hash (one at a time, and a flood must not starve the other pages);
 * at most GW_HTTP_HASH_QUEUE_MAX logins wait for the hash, others get 503. */
static enum MHD_Result do_login(http_server *h, struct MHD_Connection *c, const req *rq)
{
    char name[GW_USER_NAME_MAX + 1], pw[GW_PASSWORD_MAX + 1], csrf[HTTP_TOKEN_HEX + 1];
    char addr[ADDR_MAX], key_name[sizeof ((throttle *)0)->key], key_addr[sizeof key_name];
    char more[64];
    int64_t now = clock_now_ms();
    const char *cookie_tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, h->login_cookie);
    int max_name = h->cfg.login_max_failures;
    int max_addr = h->cfg.login_max_failures * THROTTLE_ADDR_FACTOR;

    if (http_form_value(rq->body, rq->len, "csrf", csrf, sizeof csrf) != 1 ||
        !http_token_equal(csrf, cookie_tok))
        return page_login(h, c, 403, "The login form had expired. Please try again.");
    int rn = http_form_value(rq->body, rq->len, "user", name, sizeof name);
    int rp = http_form_value(rq->body, rq->len, "password", pw, sizeof pw);
    client_addr(c, addr, sizeof addr);
    snprintf(key_addr, sizeof key_addr, "a:%s", addr);
    int valid = rn == 1 && rp == 1 && users_valid_name(name);
    snprintf(key_name, sizeof key_name, "u:%s", valid ? name : "(invalid)");

    http_action a;
    memset(&a, 0, sizeof a);
    snprintf(a.user, sizeof a.user, "%s", valid ? name : "(invalid)");
    lock(h);
    throttle *tn = thr_find(h, key_name, 1, now, NULL);
    throttle *ta = tn ? thr_find(h, key_addr, 1, now, tn) : NULL;
    int64_t left = 60; /* every slot locked: no room to count this attempt, refused */
    throttle *by = NULL;
    if (tn && ta) {
        by = tn;
        thr_window(h, tn, now);
        thr_window(h, ta, now);
        left = thr_wait(tn, max_name, now);
        int64_t left_addr = thr_wait(ta, max_addr, now);
        if (left_addr > left) {
            left = left_addr;
            by = ta;
        }
    }
    int write_row = 0, busy = 0;
    more[0] = '\0';
    if (left > 0) {
        h->login_failures++;
        if (by && by->locked_until > now && !by->refusal_audited) {
            by->refusal_audited = 1;
            write_row = 1;
            unlisted(more, sizeof more, by);
        } else if (by && ++by->unaudited >= THROTTLE_AUDIT_EVERY) {
            write_row = 1;
            by->unaudited--; /* this one is listed */
            unlisted(more, sizeof more, by);
        } else if (!by && h->full_refusals++ % THROTTLE_AUDIT_EVERY == 0) {
            write_row = 1; /* the first, then one in THROTTLE_AUDIT_EVERY */
            snprintf(more, sizeof more, " (table full; %ld refused)",
                     h->full_refusals);
        }
    } else if (h->hashing >= GW_HTTP_HASH_QUEUE_MAX) {
        busy = 1;
    } else {
        tn->pending++;
        ta->pending++;
        h->hashing++;
    }
    unlock(h);
    if (busy) {
        sodium_memzero(pw, sizeof pw);
        log_debug("http", "login refused: password checks busy, from %s", addr);
        return send_plain(h, c, 503, "busy: try again\n");
    }
    if (left > 0) {
        /* Locked out: the password is not even checked. */
        sodium_memzero(pw, sizeof pw);
        if (write_row) {
            a.kind = ACT_LOGIN_FAILED;
            snprintf(a.detail, sizeof a.detail, "from=%s throttled%s", addr, more);
            if (submit(h, &a))
                return send_plain(h, c, 503, "busy: try again\n");
        }
        char msg[128];
        snprintf(msg, sizeof msg, "Too many failed attempts. Try again in %lld minute%s.",
                 (long long)((left + 59) / 60), (left + 59) / 60 == 1 ? "" : "s");
        log_info("http", "login refused: throttled");
        log_debug("http", "login refused: throttled, from %s", addr);
        return page_login(h, c, MHD_HTTP_TOO_MANY_REQUESTS, msg);
    }

    users_user u;
    int found = 0;
    if (valid) {
        store *st = pool_get(h);
        found = st ? store_user_get(st, name, &u) : -1;
        pool_put(h, st);
    }
    int ok = 0;
    if (found >= 0) {
        if (pthread_mutex_lock(&h->hash_mu) != 0)
            log_fatal("http", "mutex lock failed");
        if (found == 1) {
            ok = users_check_password(u.pwhash, rp == 1 ? pw : "");
        } else {
            /* Unknown name: spend the same time, so timing does not tell. */
            if (!h->dummy_hash[0] &&
                users_hash_password("not-a-password-of-anyone", h->dummy_hash, sizeof h->dummy_hash))
                h->dummy_hash[0] = '\0';
            if (h->dummy_hash[0])
                (void)users_check_password(h->dummy_hash, rp == 1 ? pw : "");
        }
        if (pthread_mutex_unlock(&h->hash_mu) != 0)
            log_fatal("http", "mutex unlock failed");
    }
    sodium_memzero(pw, sizeof pw);
    ok = ok && found == 1 && u.active;

    lock(h);
    h->hashing--;
    if (found < 0) {
        tn->pending--;
        ta->pending--;
    } else {
        thr_end(h, tn, ok, max_name, now);
        thr_end(h, ta, ok, max_addr, now);
        unlisted(more, sizeof more, tn);
        if (!ok)
            h->login_failures++;
    }
    unlock(h);
    if (found < 0)
        return send_plain(h, c, 500, "store error\n");

    if (!ok) {
        a.kind = ACT_LOGIN_FAILED;
        snprintf(a.detail, sizeof a.detail, "from=%s%s%s", addr,
                 found == 1 && !u.active ? " disabled" : "", more);
        if (submit(h, &a))
            return send_plain(h, c, 503, "busy: try again\n");
        log_info("http", "login failed");
        log_debug("http", "login failed from %s", addr);
        return page_login(h, c, 401, "Wrong user name or password.");
    }
    a.kind = ACT_LOGIN;
    snprintf(a.detail, sizeof a.detail, "from=%s role=%s%s", addr, users_role_name(u.role), more);
    if (submit(h, &a))
        return send_plain(h, c, 503, "busy: try again\n");
    http_session s;
    char cookie[256], clear[160];
    if (session_new(h, name, now, &s) ||
        http_cookie(cookie, sizeof cookie, h->cookie_name, s.token, h->cfg.session_lifetime_s,
                    h->secure) ||
        http_cookie(clear, sizeof clear, h->login_cookie, "x", 0, h->secure))
        return send_plain(h, c, 500, "internal error\n");
    sodium_memzero(&s, sizeof s);
    lock(h);
    h->logins++;
    unlock(h);
    log_info("http", "login: %s (%s)", name, users_role_name(u.role));
    log_debug("http", "login: %s from %s", name, addr);
    reply rpl = { MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", { cookie, clear }, "/alerts", NULL };
    return send_text(h, c, &rpl, "", 0, MHD_RESPMEM_PERSISTENT);
}

static int csrf_ok(const who *w, const req *rq)
{
    char csrf[HTTP_TOKEN_HEX + 1];
    return http_form_value(rq->body, rq->len, "csrf", csrf, sizeof csrf) == 1 &&
           http_token_equal(csrf, w->s.csrf);
}

static enum MHD_Result do_logout(http_server *h, struct MHD_Connection *c, const who *w)
{
    http_action a;
    char addr[ADDR_MAX], cookie[160];
    memset(&a, 0, sizeof a);
    a.kind = ACT_LOGOUT;
    snprintf(a.user, sizeof a.user, "%s", w->u.name);
    client_addr(c, addr, sizeof addr);
    snprintf(a.detail, sizeof a.detail, "from=%s", addr);
    if (submit(h, &a))
        return send_plain(h, c, 503, "busy: try again\n");
    session_end(h, w->s.token);
    if (http_cookie(cookie, sizeof cookie, h->cookie_name, "x", 0, h->secure))
        return send_plain(h, c, 500, "internal error\n");
    return redirect(h, c, "/login", cookie);
}

static enum MHD_Result do_ack(http_server *h, struct MHD_Connection *c, const req *rq,
                              const who *w, const dash_ctx *x)
{
    char refs[24], partner[GW_NAME_MAX + 1], back[16], to[96];
    if (w->u.role == USERS_VIEWER)
        return send_message(h, c, 403, x, "Not allowed", "Viewers cannot acknowledge alerts.");
    if (http_form_value(rq->body, rq->len, "ref", refs, sizeof refs) != 1 ||
        http_form_value(rq->body, rq->len, "partner", partner, sizeof partner) != 1 ||
        !parse_ref(refs) || !partner[0])
        return send_message(h, c, 400, x, "Bad request", "The acknowledgement form was incomplete.");
    if (w->u.role == USERS_DUTY && strcmp(partner, w->u.partner) != 0)
        return send_message(h, c, 403, x, "Not allowed",
                            "You can acknowledge alerts for your own partner only.");
    if (http_form_value(rq->body, rq->len, "back", back, sizeof back) != 1)
        back[0] = '\0';
    http_action a;
    memset(&a, 0, sizeof a);
    a.kind = ACT_ACK;
    a.via = "dashboard";
    a.ref = parse_ref(refs);
    snprintf(a.user, sizeof a.user, "%s", w->u.name);
    snprintf(a.partner, sizeof a.partner, "%s", partner);
    if (submit(h, &a))
        return send_message(h, c, 503, x, "Try again", "The gateway is busy; the ACK was not recorded.");
    const char *done;
    switch ((enum ingest_ack_status)a.result) {
    case INGEST_ACK_FIRST: done = "acked"; break;
    case INGEST_ACK_AGAIN: done = "again"; break;
    case INGEST_ACK_NO_REPORT:
        return send_message(h, c, 404, x, "No such report", "There is no report with that reference.");
    case INGEST_ACK_NOT_ALERTED:
        return send_message(h, c, 409, x, "Not alerted", "That report was not alerted to this partner.");
    default: done = "acked"; break;
    }
    log_info("http", "ACK R%lld for %s by %s", (long long)a.ref, partner, w->u.name);
    if (!strcmp(back, "report"))
        snprintf(to, sizeof to, "/report?ref=%lld&done=%s", (long long)a.ref, done);
    else
        snprintf(to, sizeof to, "/alerts?done=%s&ref=%lld", done, (long long)a.ref);
    return redirect(h, c, to, NULL);
}

/* A signed acknowledgement link (acklink.h; [alerts] ack_url?t=TOKEN). The
 * GET only shows what the link is for and a button: mail scanners and link
 * previews open links, and must not acknowledge anything. The POST (the
 * button) acknowledges; the token is the credential, so no session or CSRF
 * token is needed. */
static enum MHD_Result do_ack_link(http_server *h, struct MHD_Connection *c, const char *token,
                                   int post)
{
    int64_t ref = 0;
    char partner[GW_NAME_MAX + 1], text[256], secret[GW_SECRET_MAX];
    dash_ctx x = { NULL, NULL, clock_now_ms(), NULL, "" };
    /* The secret the core signs with now: a reload may have changed it. */
    lock(h);
    memcpy(secret, h->ack_secret, sizeof secret);
    unlock(h);
    if (!secret[0])
        return send_message(h, c, 404, &x, "Not found", "Acknowledgement links are not set up.");
    int rc = -1;
    if (token[0] && strlen(token) < GW_ACK_TOKEN_MAX)
        rc = acklink_check(secret, token, x.now, &ref, partner, sizeof partner);
    sodium_memzero(secret, sizeof secret);
    if (rc == -2) {
        snprintf(text, sizeof text, "This link for R%lld (%s) has expired. Acknowledge it in the "
                 "dashboard, or reply ACK R%lld.", (long long)ref, partner, (long long)ref);
        return send_message(h, c, 410, &x, "Link expired", text);
    }
    if (rc != 0)
        return send_message(h, c, 400, &x, "Link not valid", "This acknowledgement link is not valid.");
    if (!post) {
        html_buf b;
        html_init(&b, GW_HTTP_PAGE_MAX);
        dash_ack_link(&b, token, ref, partner);
        reply rp = { 200, NULL, { NULL, NULL }, NULL, NULL };
        return send_buf(h, c, &rp, &b);
    }
    http_action a;
    memset(&a, 0, sizeof a);
    a.kind = ACT_ACK;
    a.ref = ref;
    a.via = "link";
    snprintf(a.user, sizeof a.user, "%s", partner); /* who: the partner the link was sent to */
    snprintf(a.partner, sizeof a.partner, "%s", partner);
    if (submit(h, &a))
        return send_message(h, c, 503, &x, "Try again", "The gateway is busy; the ACK was not recorded.");
    log_info("http", "ACK R%lld for %s by signed link", (long long)ref, partner);
    switch ((enum ingest_ack_status)a.result) {
    case INGEST_ACK_FIRST:
        snprintf(text, sizeof text, "Acknowledged R%lld for %s. The reporter has been told.",
                 (long long)ref, partner);
        return send_message(h, c, 200, &x, "Acknowledged", text);
    case INGEST_ACK_AGAIN:
        snprintf(text, sizeof text, "R%lld was already acknowledged for %s.", (long long)ref, partner);
        return send_message(h, c, 200, &x, "Already acknowledged", text);
    case INGEST_ACK_NO_REPORT:
        return send_message(h, c, 404, &x, "No such report", "There is no report with that reference.");
    default:
        return send_message(h, c, 409, &x, "Not alerted", "That report was not alerted to this partner.");
    }
}

/* ------------------------------------------------------------------ live updates (SSE) */

typedef struct sse {
    http_server *h;
    char token[HTTP_TOKEN_HEX + 1];
    uint64_t gen;
    dashq_sig sig;
    int have_sig;
    char scope[GW_NAME_MAX + 1];     /* a duty user's partner: only its changes; "" all */
    int64_t last_write, last_check; /* mono ms */
    int ending;
} sse;

/* What the live page of x shows: a duty user's partner's changes only (the
 * reports of the last LIVE_WINDOW_MS, as the alerts page). */
static int sse_signature(store *st, const sse *x, dashq_sig *out)
{
    return dashq_signature(st, x->scope[0] ? x->scope : NULL, clock_now_ms() - LIVE_WINDOW_MS, out);
}

static int sig_differs(const dashq_sig *a, const dashq_sig *b)
{
    return a->last_event != b->last_event || a->last_alert != b->last_alert || a->pending != b->pending;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse *x = cls;
    http_server *h = x->h;
    (void)pos;
    if (x->ending)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (max < 128)
        return 0;
    if (!x->have_sig) {
        store *st = pool_get(h);
        if (!st)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int rc = sse_signature(st, x, &x->sig);
        pool_put(h, st);
        if (rc)
            return MHD_CONTENT_READER_END_OF_STREAM;
        x->have_sig = 1;
        x->last_write = x->last_check = clock_mono_ms();
        return snprintf(buf, max, "retry: 3000\n: live\n\n");
    }
    for (;;) {
        lock(h);
        int64_t now = clock_mono_ms();
        int64_t wake = x->last_check + SSE_RECHECK_MS;
        if (x->last_write + SSE_KEEPALIVE_MS < wake)
            wake = x->last_write + SSE_KEEPALIVE_MS;
        while (!h->stopping && h->commit_gen == x->gen && now < wake) {
            wait_until_ms(h, wake);
            now = clock_mono_ms();
        }
        int stopping = h->stopping;
        x->gen = h->commit_gen;
        unlock(h);
        if (stopping)
            return MHD_CONTENT_READER_END_OF_STREAM;
        http_session s;
        if (!session_find(h, x->token, clock_now_ms(), &s)) {
            x->ending = 1; /* the page reloads and lands on the login form */
            return snprintf(buf, max, "event: logout\ndata: session ended\n\n");
        }
        sodium_memzero(&s, sizeof s);
        now = clock_mono_ms();
        x->last_check = now;
        store *st = pool_get(h);
        if (!st)
            return MHD_CONTENT_READER_END_OF_STREAM;
        dashq_sig sig;
        int rc = sse_signature(st, x, &sig);
        pool_put(h, st);
        if (rc == 0 && sig_differs(&sig, &x->sig)) {
            x->sig = sig;
            x->last_write = now;
            return snprintf(buf, max, "event: change\ndata: %lld.%lld.%lld\n\n",
                            (long long)sig.last_event, (long long)sig.last_alert,
                            (long long)sig.pending);
        }
        if (now - x->last_write >= SSE_KEEPALIVE_MS) {
            x->last_write = now;
            return snprintf(buf, max, ": keepalive\n\n");
        }
    }
}

static void sse_free(void *cls)
{
    sse *x = cls;
    sodium_memzero(x->token, sizeof x->token);
    free(x);
}

static enum MHD_Result do_events(http_server *h, struct MHD_Connection *c, const who *w)
{
    sse *x = calloc(1, sizeof *x);
    if (!x)
        return send_plain(h, c, 500, "out of memory\n");
    x->h = h;
    memcpy(x->token, w->s.token, sizeof x->token);
    const char *scope = dash_scope(&w->u);
    snprintf(x->scope, sizeof x->scope, "%s", scope ? scope : "");
    lock(h);
    x->gen = h->commit_gen;
    unlock(h);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, sse_read, x,
                                                               sse_free);
    if (!r) {
        sse_free(x);
        return MHD_NO;
    }
    security_headers(h, r);
    (void)MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    (void)MHD_add_response_header(r, "Cache-Control", "no-store");
    (void)MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------------ /metrics, /healthz */

static int64_t commit_age(http_server *h)
{
    lock(h);
    int64_t last = h->last_commit_mono;
    unlock(h);
    return last ? clock_mono_ms() - last : -1;
}

static enum MHD_Result do_metrics(http_server *h, struct MHD_Connection *c, store *st)
{
    int64_t now = clock_now_ms();
    metrics_live live;
    live.now = now;
    live.started_at = h->started_at;
    live.last_commit_age_ms = commit_age(h);
    live.sessions = sessions_open(h, now);
    lock(h);
    live.logins = h->logins;
    live.login_failures = h->login_failures;
    unlock(h);
    live.store_path = h->store_path;
    html_buf b;
    html_init(&b, GW_HTTP_PAGE_MAX);
    if (metrics_render(st, &live, &b)) {
        html_free(&b);
        return send_plain(h, c, 500, "store error\n");
    }
    reply rp = { 200, "text/plain; version=0.0.4; charset=utf-8", { NULL, NULL }, NULL, NULL };
    return send_buf(h, c, &rp, &b);
}

static enum MHD_Result do_healthz(http_server *h, struct MHD_Connection *c, store *st)
{
    int64_t age = commit_age(h);
    dashq_sig sig;
    char body[160];
    if (dashq_signature(st, NULL, 0, &sig)) {
        snprintf(body, sizeof body, "fail: the store cannot be read\n");
        return send_plain(h, c, 503, body);
    }
    if (age < 0 || age > HEALTH_COMMIT_MAX_MS) {
        snprintf(body, sizeof body, "fail: the core has not committed for %lld s\n",
                 (long long)(age < 0 ? -1 : age / 1000));
        return send_plain(h, c, 503, body);
    }
    snprintf(body, sizeof body, "ok: last commit %lld ms ago\n", (long long)age);
    return send_plain(h, c, 200, body);
}

/* ------------------------------------------------------------------ slow clients */

/* A request must arrive whole (headers and body) within [http] request_timeout
 * of the connection's start or of its previous answer; libmicrohttpd's own
 * timeout is an idle one, which a client trickling a header line now and then
 * never reaches, and it has no header timeout. So each connection is tracked
 * from libmicrohttpd's start to close notifications, and one that is still
 * waiting for its request past the timeout is shut down (its thread then sees
 * the end of the stream and closes it). The close notification comes before
 * libmicrohttpd closes the socket and takes h->mu, so a descriptor shut down
 * under h->mu is never one reused by another connection. */

/* Under h->mu. */
static void conn_cut(http_server *h, conn_slot *k, const char *why)
{
    (void)h;
    char eb[LOG_STRERROR_MAX];
    /* On libmicrohttpd's and the reaper's threads: log_strerror, not the C library's. */
    if (shutdown(k->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        log_debug("http", "cannot shut a slow connection down: %s",
                  log_strerror(errno, eb, sizeof eb));
    k->state = CONN_CUT;
    log_debug("http", "closed a connection %s", why);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    listener *l = cls;
    http_server *h = l->h;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED) {
        conn_slot *k = *socket_context;
        if (k) {
            lock(h);
            memset(k, 0, sizeof *k);
            unlock(h);
        }
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    int64_t now = clock_mono_ms();
    int n = 0;
    conn_slot *free_slot = NULL, *oldest = NULL;
    lock(h);
    for (int i = 0; i < 2 * GW_HTTP_CONNECTIONS_MAX; i++) {
        conn_slot *k = &h->conns[i];
        if (!k->used) {
            if (!free_slot)
                free_slot = k;
            continue;
        }
        if (k->metrics != l->metrics)
            continue;
        n++;
        if (k->state == CONN_WAITING && (!oldest || k->since_mono < oldest->since_mono))
            oldest = k;
    }
    /* Keep room for new clients: the slowest waiting one makes way. */
    if (n >= GW_HTTP_CONNECTIONS_MAX - GW_HTTP_CONNECTIONS_SPARE && oldest)
        conn_cut(h, oldest, "waiting longest for its request: the server is nearly full");
    if (free_slot) {
        free_slot->used = 1;
        free_slot->fd = ci->connect_fd;
        free_slot->metrics = l->metrics;
        free_slot->state = CONN_WAITING;
        free_slot->since_mono = now;
        *socket_context = free_slot;
    }
    unlock(h);
}

/* The request of c is whole (busy) or answered (back to waiting). */
static void conn_mark(http_server *h, struct MHD_Connection *c, enum conn_state st)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_slot *k = ci ? ci->socket_context : NULL;
    if (!k)
        return;
    lock(h);
    if (k->used && k->state != CONN_CUT) {
        k->state = st;
        k->since_mono = clock_mono_ms();
    }
    unlock(h);
}

static void *reaper_main(void *arg)
{
    http_server *h = arg;
    int64_t limit = (int64_t)h->cfg.request_timeout_s * 1000;
    lock(h);
    while (!h->stopping) {
        int64_t now = clock_mono_ms();
        for (int i = 0; i < 2 * GW_HTTP_CONNECTIONS_MAX; i++) {
            conn_slot *k = &h->conns[i];
            if (k->used && k->state == CONN_WAITING && now - k->since_mono >= limit)
                conn_cut(h, k, "past request_timeout");
        }
        wait_until_ms(h, now + 250);
    }
    unlock(h);
    return NULL;
}

/* ------------------------------------------------------------------ routing */

static enum MHD_Result route(http_server *h, listener *l, struct MHD_Connection *c, const char *url,
                             int post, const req *rq)
{
    int is_get = !post;
    int metrics_here = l->metrics || h->cfg.metrics_port == 0;
    int metrics_url = !strcmp(url, "/metrics") || !strcmp(url, "/healthz");
    if (l->metrics != metrics_url && (l->metrics || !metrics_here))
        return send_plain(h, c, 404, "not found\n"); /* each listener serves its own */
    if (is_get && !strcmp(url, "/static/dash.css")) {
        reply rp = { 200, "text/css; charset=utf-8", { NULL, NULL }, NULL, "max-age=3600" };
        return send_text(h, c, &rp, dash_css, strlen(dash_css), MHD_RESPMEM_PERSISTENT);
    }
    if (is_get && !strcmp(url, "/static/dash.js")) {
        reply rp = { 200, "text/javascript; charset=utf-8", { NULL, NULL }, NULL, "max-age=3600" };
        return send_text(h, c, &rp, dash_js, strlen(dash_js), MHD_RESPMEM_PERSISTENT);
    }
    if (is_get && !strcmp(url, "/login"))
        return page_login(h, c, 200, NULL);
    if (is_get && !strcmp(url, "/favicon.ico"))
        return send_plain(h, c, 404, "not found\n");
    if (!strcmp(url, "/ack/link") || (is_get && !strcmp(url, "/ack"))) {
        char t[GW_ACK_TOKEN_MAX + 1];
        if (post && http_form_value(rq->body, rq->len, "t", t, sizeof t) != 1)
            t[0] = '\0';
        if (!post)
            snprintf(t, sizeof t, "%s", arg(c, "t"));
        return do_ack_link(h, c, t, post);
    }

    if (post && !strcmp(url, "/login"))
        return do_login(h, c, rq); /* takes a store connection only to read the user */

    store *st = pool_get(h);
    if (!st)
        return send_plain(h, c, 503, "stopping\n");
    enum MHD_Result ret;
    int64_t now = clock_now_ms();
    who w;
    memset(&w, 0, sizeof w);
    dash_ctx x = { st, h->tables.gaz, now, NULL, "" };

    if (metrics_here && is_get && !strcmp(url, "/metrics")) {
        ret = do_metrics(h, c, st);
        goto done;
    }
    if (metrics_here && is_get && !strcmp(url, "/healthz")) {
        ret = do_healthz(h, c, st);
        goto done;
    }
    int in = whoami(h, c, st, now, &w);
    if (in < 0) {
        ret = send_plain(h, c, 500, "store error\n");
        goto done;
    }
    if (!in) {
        if (is_get && (!strcmp(url, "/events") || !strcmp(url, "/alerts/list")))
            ret = send_plain(h, c, 401, "not logged in\n");
        else
            ret = redirect(h, c, "/login", NULL);
        goto done;
    }
    x.u = &w.u;
    x.csrf = w.s.csrf;
    if (post) {
        if (!csrf_ok(&w, rq)) {
            ret = send_message(h, c, 403, &x, "Form expired",
                               "This form is no longer valid (CSRF check). Go back, reload and try again.");
        } else if (!strcmp(url, "/logout")) {
            ret = do_logout(h, c, &w);
        } else if (!strcmp(url, "/ack")) {
            ret = do_ack(h, c, rq, &w, &x);
        } else {
            ret = send_message(h, c, 404, &x, "Not found", "There is no such page.");
        }
        goto done;
    }
    html_buf b;
    html_init(&b, GW_HTTP_PAGE_MAX);
    int rc = 0;
    if (!strcmp(url, "/") ) {
        html_free(&b);
        ret = redirect(h, c, "/alerts", NULL);
        goto done;
    } else if (!strcmp(url, "/events")) {
        html_free(&b);
        ret = do_events(h, c, &w);
        goto done;
    } else if (!strcmp(url, "/alerts")) {
        rc = dash_alerts(&b, &x, arg(c, "done"), parse_ref(arg(c, "ref")));
    } else if (!strcmp(url, "/alerts/list")) {
        rc = dash_alerts_list(&b, &x);
    } else if (!strcmp(url, "/report")) {
        rc = dash_report(&b, &x, parse_ref(arg(c, "ref")), arg(c, "done"));
    } else if (!strcmp(url, "/search")) {
        dash_query q = { arg(c, "since"), arg(c, "until"), arg(c, "zone"), arg(c, "code"),
                         arg(c, "priority") };
        rc = dash_search(&b, &x, &q);
    } else if (!strcmp(url, "/patrols")) {
        rc = dash_patrols(&b, &x);
    } else if (!strcmp(url, "/hotspots")) {
        rc = dash_hotspots(&b, &x, arg(c, "days"), arg(c, "code"));
    } else if (!strcmp(url, "/health")) {
        dash_live live = { commit_age(h), sessions_open(h, now), h->started_at };
        rc = dash_health(&b, &x, &live);
    } else {
        rc = 404;
    }
    if (rc < 0) {
        html_free(&b);
        ret = send_plain(h, c, 500, "store error\n");
    } else if (rc >= 400) {
        html_free(&b);
        ret = send_message(h, c, (unsigned)rc, &x, rc == 404 ? "Not found" : "Not allowed",
                           rc == 404 ? "There is no such page or report." : "You cannot see this.");
    } else {
        reply rp = { 200, NULL, { NULL, NULL }, NULL, NULL };
        ret = send_buf(h, c, &rp, &b);
    }
done:
    sodium_memzero(&w, sizeof w);
    pool_put(h, st);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    listener *l = cls;
    http_server *h = l->h;
    (void)version;
    int post = !strcmp(method, "POST");
    if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        if (!*con_cls) {
            *con_cls = c; /* marks the first call; nothing to free */
            return MHD_YES;
        }
        return send_plain(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if (!post) {
        if (!*con_cls) {
            *con_cls = c;
            return MHD_YES;
        }
        static const req no_body; /* a GET has none */
        conn_mark(h, c, CONN_BUSY);
        return route(h, l, c, url, 0, &no_body);
    }
    req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->len + *upload_size > GW_HTTP_BODY_MAX)
            rq->too_big = 1;
        else {
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    conn_mark(h, c, CONN_BUSY);
    if (rq->too_big)
        return send_plain(h, c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n");
    return route(h, l, c, url, 1, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    listener *l = cls;
    (void)toe;
    conn_mark(l->h, c, CONN_WAITING); /* a kept-alive connection waits for its next request */
    if (*con_cls && *con_cls != (void *)c) {
        req *rq = *con_cls;
        sodium_memzero(rq, sizeof *rq); /* the body held a password */
        free(rq);
    }
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warn("http", "libmicrohttpd: %s", line);
}

/* ------------------------------------------------------------------ start, stop */

static struct MHD_Daemon *start(http_server *h, listener *l, const char *addr, int port,
                                char *err, size_t errsz)
{
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    memset(&in4, 0, sizeof in4);
    memset(&in6, 0, sizeof in6);
    if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1) {
        in4.sin_family = AF_INET;
        in4.sin_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&in4;
    } else if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&in6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errsz, "[http] %s is not a numeric address", addr);
        return NULL;
    }
    int tls = h->tls_cert && !l->metrics;
    if (tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        /* First, so that every message of the daemon goes through it. */
        { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(uintptr_t)on_mhd_log, NULL },
        { MHD_OPTION_SOCK_ADDR, 0, sa },
        { MHD_OPTION_CONNECTION_LIMIT, GW_HTTP_CONNECTIONS_MAX, NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, GW_HTTP_PER_IP_MAX, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)(uintptr_t)on_completed, l },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)(uintptr_t)on_connection, l },
        { tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls ? h->tls_cert : NULL },
        { tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, tls ? h->tls_key : NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    /* libmicrohttpd's threads inherit this mask: no signal for them. */
    sigset_t old;
    struct MHD_Daemon *d = NULL;
    if (threads_block(&old) == 0) {
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_ARRAY, opts,
                             MHD_OPTION_END);
        threads_restore(&old);
    }
    if (!d)
        snprintf(err, errsz, "[http] cannot listen on %s port %d%s", addr, port,
                 tls ? " with TLS (check tls_cert and tls_key)" : " (address in use?)");
    return d;
}

http_server *http_new(const gw_config *cfg, char *err, size_t errsz)
{
    http_server *h = calloc(1, sizeof *h);
    gw_config *tcfg = NULL;
    if (!h) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    h->wake[0] = h->wake[1] = -1;
    h->cfg = cfg->http;
    h->started_at = clock_now_ms();
    snprintf(h->store_path, sizeof h->store_path, "%s", cfg->store_path);
    memcpy(h->ack_secret, cfg->alerts.ack_secret, sizeof h->ack_secret);
    h->lmain.h = h->lmetrics.h = h;
    h->lmetrics.metrics = 1;
    h->secure = cfg->http.tls_cert[0] || cfg->http.behind_https_proxy;
    /* __Host- cookies must be Secure, for the whole host, from this origin only. */
    snprintf(h->cookie_name, sizeof h->cookie_name, "%s", h->secure ? "__Host-patrol" : "patrol");
    snprintf(h->login_cookie, sizeof h->login_cookie, "%s",
             h->secure ? "__Host-patrol-login" : "patrol-login");
    pthread_condattr_t ca;
    if (sodium_init() < 0 || pthread_mutex_init(&h->mu, NULL) ||
        pthread_mutex_init(&h->hash_mu, NULL) || pthread_condattr_init(&ca)) {
        snprintf(err, errsz, "cannot initialise libsodium or the locks");
        free(h);
        return NULL;
    }
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&h->cv, &ca)) {
        snprintf(err, errsz, "cannot initialise the locks");
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&h->mu);
        pthread_mutex_destroy(&h->hash_mu);
        free(h);
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    if (pipe(h->wake) != 0 || fcntl(h->wake[0], F_SETFL, O_NONBLOCK) ||
        fcntl(h->wake[1], F_SETFL, O_NONBLOCK) || fcntl(h->wake[0], F_SETFD, FD_CLOEXEC) ||
        fcntl(h->wake[1], F_SETFD, FD_CLOEXEC)) {
        char eb[LOG_STRERROR_MAX];
        snprintf(err, errsz, "cannot create the wake pipe: %s", log_strerror(errno, eb, sizeof eb));
        goto fail;
    }
    for (int i = 0; i < POOL_SIZE; i++) {
        h->pool[i] = store_open(cfg->store_path, STORE_RO, 0, err, errsz);
        if (!h->pool[i])
            goto fail;
    }
    /* Our own tables: the core's are replaced on SIGHUP while pages read these. */
    tcfg = malloc(sizeof *tcfg);
    if (!tcfg) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    memcpy(tcfg, cfg, sizeof *tcfg);
    if (tables_load(tcfg, &h->tables, err, errsz))
        goto fail;
    free(tcfg);
    tcfg = NULL;
    if (cfg->http.tls_cert[0]) {
        size_t n;
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errsz, "[http] tls_cert: this libmicrohttpd has no TLS");
            goto fail;
        }
        h->tls_cert = tables_read_file(cfg->http.tls_cert, TLS_FILE_MAX, &n, err, errsz);
        if (!h->tls_cert)
            goto fail;
        h->tls_key = tables_read_file(cfg->http.tls_key, TLS_FILE_MAX, &h->tls_key_len, err, errsz);
        if (!h->tls_key)
            goto fail;
    }
    if (threads_start(&h->reaper, reaper_main, h) != 0) {
        snprintf(err, errsz, "cannot start the slow-client reaper thread");
        goto fail;
    }
    h->reaper_started = 1;
    h->d = start(h, &h->lmain, cfg->http.listen, cfg->http.port, err, errsz);
    if (!h->d)
        goto fail;
    if (cfg->http.metrics_port) {
        h->dm = start(h, &h->lmetrics, cfg->http.metrics_listen, cfg->http.metrics_port, err, errsz);
        if (!h->dm)
            goto fail;
    }
    if (!h->secure && !http_is_loopback(cfg->http.listen))
        log_warn("http", "the dashboard speaks plain HTTP on %s: passwords and session cookies "
                 "cross the network in clear; set tls_cert/tls_key or put it behind an HTTPS proxy",
                 cfg->http.listen);
    log_info("http", "dashboard on %s://%s:%d/%s", cfg->http.tls_cert[0] ? "https" : "http",
             cfg->http.listen, cfg->http.port,
             cfg->http.metrics_port ? "; /metrics and /healthz on their own port" : "");
    return h;
fail:
    free(tcfg);
    http_free(h);
    return NULL;
}

void http_free(http_server *h)
{
    if (!h)
        return;
    lock(h);
    h->stopping = 1;
    pthread_cond_broadcast(&h->cv);
    unlock(h);
    if (h->reaper_started)
        pthread_join(h->reaper, NULL);
    /* Joins the connection threads: live pages see `stopping` and end. */
    if (h->d)
        MHD_stop_daemon(h->d);
    if (h->dm)
        MHD_stop_daemon(h->dm);
    for (int i = 0; i < POOL_SIZE; i++)
        store_close(h->pool[i]);
    tables_free(&h->tables);
    free(h->tls_cert);
    if (h->tls_key) {
        sodium_memzero(h->tls_key, h->tls_key_len);
        free(h->tls_key);
    }
    for (int i = 0; i < 2; i++)
        if (h->wake[i] >= 0)
            close(h->wake[i]);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->hash_mu);
    sodium_memzero(h->sessions, sizeof h->sessions);
    sodium_memzero(h->ack_secret, sizeof h->ack_secret);
    free(h);
}

void http_reload(http_server *h, const gw_config *cfg)
{
    if (!h)
        return;
    lock(h);
    if (strcmp(h->ack_secret, cfg->alerts.ack_secret) != 0)
        log_info("http", "reload: ACK links are now checked with the new [alerts] ack secret%s",
                 h->ack_secret[0] ? "; links signed with the old one are refused" : "");
    memcpy(h->ack_secret, cfg->alerts.ack_secret, sizeof h->ack_secret);
    unlock(h);
}
