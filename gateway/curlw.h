/* curlw.h: the curl worker. E-mail (mail.c) and webhook (webhook.c) deliveries
 * are libcurl transfers; a slow or dead partner server must never block the
 * core thread, so one thread of ours runs them all in a libcurl multi handle,
 * at most `parallel` at once. The core hands it requests (never blocks: the
 * queue is bounded and curlw_room() says how much it takes now) and polls
 * curlw_fd(), readable when finished transfers wait as dlv_results.
 *
 * A request is built on the core thread by a deliverer: curlw_req_new() gives
 * an easy handle with the options every transfer shares (no signals, no
 * redirects, the response body discarded); the deliverer sets its own options
 * with CURLW_SET and hands the request over with curlw_submit(). libcurl copies
 * every string option, and the request owns its headers, recipients and body,
 * so nothing points into the caller's memory once submitted.
 *
 * The worker never touches the store and never logs personal data. */
#ifndef CURLW_H
#define CURLW_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver.h"

typedef struct curlw curlw;         /* opaque: the worker */
typedef struct curlw_req curlw_req; /* opaque: one transfer, owned by whoever holds it */

/* Turns how a transfer ended into an outcome and a reason (no personal data).
 * Called on the worker thread, so it must be pure. curlcode is a CURLcode;
 * code the last HTTP status or SMTP reply code (0 none); os_errno the socket
 * error of a failed connection (0 none). */
typedef enum dlv_outcome (*curlw_classify_fn)(int curlcode, long code, int os_errno, char *err,
                                              size_t errsz);

/* Starts the worker (and libcurl, once per process: curl_global_init is not
 * thread-safe in every libcurl, so the first curlw_new must not race another
 * thread's first libcurl call; patrolgw calls it from the core thread only).
 * parallel: transfers at once, 1..64 ([alerts] parallel). NULL with err. Caller owns. */
curlw *curlw_new(int parallel, char *err, size_t errsz);
/* Stops the thread (transfers in progress are abandoned, their rows get no
 * result: the outbox tries them again) and frees everything queued. Accepts NULL. */
void curlw_free(curlw *w);

/* Readable (POLLIN) when results wait; curlw_take() clears it. */
int curlw_fd(const curlw *w);
/* Requests the worker accepts now: GW_DELIVERY_QUEUE_MAX minus those queued,
 * running, and finished but not taken. */
int curlw_room(const curlw *w);
/* Takes up to max finished results (never blocks); returns how many. */
int curlw_take(curlw *w, dlv_result *out, int max);

/* A new request for outbox row `row`, with the shared options set (a 60 s
 * timeout until the deliverer sets its own). classify decides the outcome.
 * NULL on out of memory. */
curlw_req *curlw_req_new(int64_t row, curlw_classify_fn classify);
/* Frees a request not submitted. Accepts NULL. */
void curlw_req_free(curlw_req *r);
/* The request's easy handle, for CURLW_SET. Valid until submitted or freed. */
CURL *curlw_req_easy(curlw_req *r);
/* Adds an HTTP header line ("Name: value"; copied). 0 or -1. */
int curlw_req_header(curlw_req *r, const char *line);
/* Adds an SMTP recipient (RCPT TO; copied). 0 or -1. */
int curlw_req_rcpt(curlw_req *r, const char *addr);
/* The body, taken over whatever the result (malloc'd; freed with the request): sent as the POST
 * body (upload 0) or read as the upload, e.g. an e-mail message (upload 1). 0 or -1. */
int curlw_req_body(curlw_req *r, char *body, size_t len, int upload);

/* Hands r to the worker, which owns it from then on, whatever the result.
 * 0: a result will come through curlw_take(); -1: no room (curlw_room() was 0)
 * or the worker is stopping: r is freed, nothing happens. */
int curlw_submit(curlw *w, curlw_req *r);
/* Queues a result that needs no transfer (a request refused before it could
 * start, e.g. a partner with no valid address), so the core learns it the
 * same way. 0, or -1 if there is no room. */
int curlw_fail(curlw *w, int64_t row, enum dlv_outcome outcome, const char *error);

/* Copies in as one header value: CR, LF and every other control byte become
 * spaces (no header injection), cut to fit outsz. Returns the length. */
size_t curlw_clean(char *out, size_t outsz, const char *in);

/* curl_easy_setopt, checked: on failure jumps to the caller's `fail` label.
 * Every option patrolgw sets is in libcurl 7.85, so a failure means out of
 * memory or a value libcurl refuses (an unknown protocol in a URL). */
#define CURLW_SET(easy, opt, val)                                                               \
    do {                                                                                        \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK)                                 \
            goto fail;                                                                          \
    } while (0)

#endif
