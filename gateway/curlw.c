/* curlw.c: the curl worker (see curlw.h). */
#include "curlw.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "threads.h"

/* How long the worker sleeps in curl_multi_poll when nothing happens; a
 * submit or a stop wakes it at once (curl_multi_wakeup). */
#define POLL_IDLE_MS 1000
/* The timeout of a request whose deliverer sets none. */
#define DEFAULT_TIMEOUT_MS 60000L

struct curlw_req {
    CURL *easy;                   /* owned */
    struct curl_slist *headers;   /* owned */
    struct curl_slist *rcpt;      /* owned */
    char *body;                   /* owned */
    size_t body_len, body_off;
    int upload;
    int64_t row;
    curlw_classify_fn classify;
    int64_t submitted;            /* mono ms */
    curlw_req *next;              /* in the queue or the running list */
};

struct curlw {
    pthread_t thread;
    int started;
    CURLM *multi;                 /* owned; the worker's, but for curl_multi_wakeup */
    int parallel;
    int pipe_rd, pipe_wr;         /* wakes the core */
    pthread_mutex_t mu;           /* guards what follows */
    int stop;
    curlw_req *queued, *queued_tail;
    int nqueued;
    curlw_req *running;           /* in the multi handle: the worker's alone; nrunning under mu */
    int nrunning;
    dlv_result *done;             /* ring of GW_DELIVERY_QUEUE_MAX, owned */
    int done_head, done_len;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* libcurl's global state is made once for the process and never cleaned up
 * (curl_global_cleanup is not thread-safe either, and the process ends soon after). */
static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------ requests */

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

static size_t read_body(char *buf, size_t size, size_t nitems, void *arg)
{
    curlw_req *r = arg;
    size_t room = size * nitems;
    size_t left = r->body_len - r->body_off;
    size_t n = left < room ? left : room;
    memcpy(buf, r->body + r->body_off, n);
    r->body_off += n;
    return n;
}

/* libcurl rewinds an upload to send it again on a new connection when a
 * reused one turned out to be closed. */
static int seek_body(void *arg, curl_off_t offset, int origin)
{
    curlw_req *r = arg;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > r->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    r->body_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

curlw_req *curlw_req_new(int64_t row, curlw_classify_fn classify)
{
    curlw_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->row = row;
    r->classify = classify;
    r->easy = curl_easy_init();
    if (!r->easy)
        goto fail;
    /* Signals are process-wide: a library thread must not raise them. */
    CURLW_SET(r->easy, CURLOPT_NOSIGNAL, 1L);
    CURLW_SET(r->easy, CURLOPT_PRIVATE, (void *)r);
    /* Without a write function libcurl prints the response on stdout. */
    CURLW_SET(r->easy, CURLOPT_WRITEFUNCTION, discard);
    CURLW_SET(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
    CURLW_SET(r->easy, CURLOPT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
    return r;
fail:
    curlw_req_free(r);
    return NULL;
}

void curlw_req_free(curlw_req *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->rcpt);
    free(r->body);
    free(r);
}

CURL *curlw_req_easy(curlw_req *r)
{
    return r->easy;
}

int curlw_req_header(curlw_req *r, const char *line)
{
    struct curl_slist *l = curl_slist_append(r->headers, line);
    if (!l)
        return -1;
    r->headers = l;
    return curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers) == CURLE_OK ? 0 : -1;
}

int curlw_req_rcpt(curlw_req *r, const char *addr)
{
    struct curl_slist *l = curl_slist_append(r->rcpt, addr);
    if (!l)
        return -1;
    r->rcpt = l;
    return curl_easy_setopt(r->easy, CURLOPT_MAIL_RCPT, r->rcpt) == CURLE_OK ? 0 : -1;
}

int curlw_req_body(curlw_req *r, char *body, size_t len, int upload)
{
    free(r->body);
    r->body = body;
    r->body_len = len;
    r->body_off = 0;
    r->upload = upload;
    if (upload) {
        CURLW_SET(r->easy, CURLOPT_UPLOAD, 1L);
        CURLW_SET(r->easy, CURLOPT_READFUNCTION, read_body);
        CURLW_SET(r->easy, CURLOPT_READDATA, (void *)r);
        CURLW_SET(r->easy, CURLOPT_SEEKFUNCTION, seek_body);
        CURLW_SET(r->easy, CURLOPT_SEEKDATA, (void *)r);
        CURLW_SET(r->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    } else {
        CURLW_SET(r->easy, CURLOPT_POST, 1L);
        /* Not copied by libcurl: the request owns the body until it is freed. */
        CURLW_SET(r->easy, CURLOPT_POSTFIELDS, r->body);
        CURLW_SET(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    return 0;
fail:
    return -1;
}

size_t curlw_clean(char *out, size_t outsz, const char *in)
{
    size_t n = 0;
    if (outsz == 0)
        return 0;
    for (; in && in[n] && n + 1 < outsz; n++) {
        unsigned char ch = (unsigned char)in[n];
        out[n] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    /* Cut: not inside a UTF-8 character. */
    while (in && in[n] && n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
        n--;
    out[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------ results */

static void wake_core(curlw *w)
{
    /* A full pipe already wakes the core: the byte is not needed. */
    (void)!write(w->pipe_wr, "r", 1);
}

/* Under mu. The ring has room: every result comes from a request that
 * curlw_room() counted. Were it full, the result is dropped, not the
 * process: the row's attempt is made again after its grace time. */
static void push_result(curlw *w, const dlv_result *res)
{
    if (w->done_len >= GW_DELIVERY_QUEUE_MAX) {
        log_error("curlw", "result queue full: the result of row %lld is dropped; "
                  "the attempt is made again later", (long long)res->row);
        return;
    }
    w->done[(w->done_head + w->done_len) % GW_DELIVERY_QUEUE_MAX] = *res;
    w->done_len++;
}

static int room_locked(const curlw *w)
{
    return GW_DELIVERY_QUEUE_MAX - w->nqueued - w->nrunning - w->done_len;
}

int curlw_room(const curlw *w)
{
    curlw *mw = (curlw *)w; /* the lock, not the state, changes */
    pthread_mutex_lock(&mw->mu);
    int room = mw->stop ? 0 : room_locked(mw);
    pthread_mutex_unlock(&mw->mu);
    return room;
}

int curlw_fd(const curlw *w)
{
    return w->pipe_rd;
}

int curlw_take(curlw *w, dlv_result *out, int max)
{
    char buf[64];
    while (read(w->pipe_rd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&w->mu);
    int n = 0;
    while (n < max && w->done_len > 0) {
        out[n++] = w->done[w->done_head];
        w->done_head = (w->done_head + 1) % GW_DELIVERY_QUEUE_MAX;
        w->done_len--;
    }
    int more = w->done_len > 0;
    pthread_mutex_unlock(&w->mu);
    if (more) /* the core comes back for the rest at its next turn */
        wake_core(w);
    return n;
}

int curlw_fail(curlw *w, int64_t row, enum dlv_outcome outcome, const char *error)
{
    dlv_result res;
    memset(&res, 0, sizeof res);
    res.row = row;
    res.outcome = outcome;
    snprintf(res.error, sizeof res.error, "%s", error ? error : "");
    pthread_mutex_lock(&w->mu);
    if (w->stop || room_locked(w) <= 0) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    push_result(w, &res);
    pthread_mutex_unlock(&w->mu);
    wake_core(w);
    return 0;
}

int curlw_submit(curlw *w, curlw_req *r)
{
    r->submitted = clock_mono_ms();
    r->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->stop || room_locked(w) <= 0) {
        pthread_mutex_unlock(&w->mu);
        curlw_req_free(r);
        return -1;
    }
    if (w->queued_tail)
        w->queued_tail->next = r;
    else
        w->queued = r;
    w->queued_tail = r;
    w->nqueued++;
    pthread_mutex_unlock(&w->mu);
    /* Thread-safe by contract; it breaks the worker's curl_multi_poll. */
    if (curl_multi_wakeup(w->multi) != CURLM_OK)
        log_warn("curlw", "cannot wake the curl worker; the transfer waits for its next turn");
    return 0;
}

/* ------------------------------------------------------------------ worker */

static void unlink_running(curlw *w, curlw_req *r)
{
    for (curlw_req **p = &w->running; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            return;
        }
}

/* Worker side: a transfer ended (or could not start): its result goes to the core. */
static void finish(curlw *w, curlw_req *r, CURLcode rc, int in_multi)
{
    long code = 0, os_errno = 0;
    dlv_result res;
    memset(&res, 0, sizeof res);
    if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        code = 0;
    if (curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK)
        os_errno = 0;
    res.row = r->row;
    res.code = code;
    res.outcome = r->classify((int)rc, code, (int)os_errno, res.error, sizeof res.error);
    res.took_ms = clock_mono_ms() - r->submitted;
    log_debug("curlw", "row %lld: outcome %d, code %ld, %lld ms%s%s", (long long)r->row,
              (int)res.outcome, code, (long long)res.took_ms, res.error[0] ? ": " : "", res.error);
    if (in_multi && curl_multi_remove_handle(w->multi, r->easy) != CURLM_OK)
        log_fatal("curlw", "cannot remove a finished transfer");
    unlink_running(w, r);
    pthread_mutex_lock(&w->mu);
    w->nrunning--;
    push_result(w, &res);
    pthread_mutex_unlock(&w->mu);
    curlw_req_free(r);
    wake_core(w);
}

/* Worker side: moves queued requests to the multi handle, up to `parallel`. 1 when stopping. */
static int start_queued(curlw *w)
{
    curlw_req *batch = NULL, **tail = &batch;
    pthread_mutex_lock(&w->mu);
    if (w->stop) {
        pthread_mutex_unlock(&w->mu);
        return 1;
    }
    while (w->queued && w->nrunning < w->parallel) {
        curlw_req *r = w->queued;
        w->queued = r->next;
        if (!w->queued)
            w->queued_tail = NULL;
        w->nqueued--;
        w->nrunning++;
        r->next = NULL;
        *tail = r;
        tail = &r->next;
    }
    pthread_mutex_unlock(&w->mu);
    /* The running list is the worker's alone (and curlw_free's after the join). */
    while (batch) {
        curlw_req *r = batch;
        batch = r->next;
        r->next = w->running;
        w->running = r;
        if (curl_multi_add_handle(w->multi, r->easy) != CURLM_OK)
            finish(w, r, CURLE_OUT_OF_MEMORY, 0);
    }
    return 0;
}

static void *run(void *arg)
{
    curlw *w = arg;
    for (;;) {
        if (start_queued(w))
            break;
        int still = 0;
        CURLMcode mc = curl_multi_perform(w->multi, &still);
        if (mc != CURLM_OK)
            log_fatal("curlw", "curl_multi_perform: %s", curl_multi_strerror(mc));
        CURLMsg *msg;
        int left = 0;
        while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            char *priv = NULL;
            CURLcode rc = msg->data.result;
            if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) == CURLE_OK && priv)
                finish(w, (curlw_req *)(void *)priv, rc, 1);
            else
                log_fatal("curlw", "a transfer without its request");
        }
        mc = curl_multi_poll(w->multi, NULL, 0, POLL_IDLE_MS, NULL);
        if (mc != CURLM_OK)
            log_fatal("curlw", "curl_multi_poll: %s", curl_multi_strerror(mc));
    }
    return NULL;
}

/* ------------------------------------------------------------------ life */

curlw *curlw_new(int parallel, char *err, size_t errsz)
{
    int fds[2] = { -1, -1 };
    char eb[LOG_STRERROR_MAX];
    if (parallel < 1 || parallel > 64) {
        snprintf(err, errsz, "parallel transfers: %d is not 1..64", parallel);
        return NULL;
    }
    if (pthread_once(&global_once, global_init) != 0 || global_rc != CURLE_OK) {
        snprintf(err, errsz, "cannot initialise libcurl");
        return NULL;
    }
    curlw *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    w->parallel = parallel;
    w->pipe_rd = w->pipe_wr = -1;
    w->done = calloc(GW_DELIVERY_QUEUE_MAX, sizeof *w->done);
    w->multi = curl_multi_init();
    if (!w->done || !w->multi) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    if (pipe(fds) != 0) {
        snprintf(err, errsz, "pipe: %s", log_strerror(errno, eb, sizeof eb));
        goto fail;
    }
    w->pipe_rd = fds[0];
    w->pipe_wr = fds[1];
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            snprintf(err, errsz, "pipe: %s", log_strerror(errno, eb, sizeof eb));
            goto fail;
        }
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        snprintf(err, errsz, "cannot create a lock");
        goto fail;
    }
    if (threads_start(&w->thread, run, w) != 0) {
        snprintf(err, errsz, "cannot start the curl worker thread");
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    w->started = 1;
    return w;
fail:
    if (w->pipe_rd >= 0)
        close(w->pipe_rd);
    if (w->pipe_wr >= 0)
        close(w->pipe_wr);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    free(w->done);
    free(w);
    return NULL;
}

void curlw_free(curlw *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_mutex_unlock(&w->mu);
        if (curl_multi_wakeup(w->multi) != CURLM_OK)
            log_warn("curlw", "cannot wake the curl worker; it stops within %d ms", POLL_IDLE_MS);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
    }
    /* The thread is gone: what it held is ours to free. */
    for (curlw_req *r = w->running, *next; r; r = next) {
        next = r->next;
        (void)curl_multi_remove_handle(w->multi, r->easy);
        curlw_req_free(r);
    }
    for (curlw_req *r = w->queued, *next; r; r = next) {
        next = r->next;
        curlw_req_free(r);
    }
    curl_multi_cleanup(w->multi);
    close(w->pipe_rd);
    close(w->pipe_wr);
    free(w->done);
    free(w);
}
