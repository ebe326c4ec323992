/* http.h: the web server of the duty dashboard, /metrics and /healthz
 * (libmicrohttpd, its own threads; docs/dashboard.md).
 *
 * The server never writes to the store: pages read through their own
 * read-only connections, and whatever changes state (a login record, an
 * ACK, a logout, a failed login: all audited) is queued for the core thread,
 * which applies it in its turn's transaction (http_prepare) and answers the
 * waiting request after the commit (http_after_commit), the same hand-over as
 * the SMS modem thread. Sessions, CSRF tokens and login throttling live in
 * memory only: a restart logs everybody out.
 *
 * Also the pure helpers the server is built from (tokens, cookies, forms),
 * for the unit tests. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ingest.h"

typedef struct http_server http_server; /* opaque */

/* Starts listening on [http] listen:port (and metrics_listen:metrics_port).
 * Opens its own read-only connections to cfg->store_path, which the core
 * must have opened (and migrated) first, and its own copy of the gazetteer.
 * NULL with err. Caller owns. */
http_server *http_new(const gw_config *cfg, char *err, size_t errsz);
/* Stops the server (waiting requests get 503) and frees it; accepts NULL. */
void http_free(http_server *h);
/* After a reload (SIGHUP), on the core thread: takes what the dashboard
 * follows from the running config (the [alerts] ack secret, so that links
 * are checked with the secret the alerts are now signed with). [http] itself
 * still needs a restart. */
void http_reload(http_server *h, const gw_config *cfg);

/* The fd the core polls: readable when changes are queued. */
int http_fd(const http_server *h);
/* Clears the fd; 1 if changes are queued (the turn must open a transaction). */
int http_due(http_server *h);
/* In the turn's open transaction: applies the queued changes. 0, or -1 on a
 * store error (the caller rolls back and calls http_forget). */
int http_prepare(http_server *h, const ingest_ctx *ctx, int64_t now);
/* After the commit: answers the requests whose changes were applied, and
 * wakes the live pages (something may have changed). */
void http_after_commit(http_server *h);
/* After a rollback: the changes taken this turn go back to the queue. */
void http_forget(http_server *h);

/* ---- pure helpers (tests/unit/test_http.c) */

/* Session and CSRF tokens: 32 random bytes as 64 lower-case hex digits. */
#define HTTP_TOKEN_HEX 64
/* out: HTTP_TOKEN_HEX + 1 bytes. 0, or -1 if libsodium cannot start. */
int http_token_new(char *out, size_t outsz);
/* 1 if a and b are both well-formed tokens and equal (constant time), else 0. */
int http_token_equal(const char *a, const char *b);

/* A Set-Cookie value: name=value; Path=/; Max-Age=max_age; HttpOnly;
 * SameSite=Strict (and Secure when secure). max_age 0 deletes the cookie.
 * 0, or -1 if it does not fit or name/value hold characters a cookie may not. */
int http_cookie(char *out, size_t outsz, const char *name, const char *value, int max_age,
                int secure);

/* The value of key in an application/x-www-form-urlencoded body, decoded
 * (+ is a space, %XX a byte) into out. 1 found, 0 absent, -1 malformed, too
 * long for out, or holding a NUL or control byte. */
int http_form_value(const char *body, size_t len, const char *key, char *out, size_t outsz);

/* 1 if addr (numeric) is a loopback address (127.0.0.0/8, ::1). */
int http_is_loopback(const char *addr);

#endif
