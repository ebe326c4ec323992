/* dash.h: the duty dashboard's pages, rendered on the server into an
 * html_buf: login, live alerts (and the fragment the live page reloads),
 * report timeline, search, patrol status, hotspots (an SVG sketch from the
 * gazetteer's centroids), health; and the page's CSS and JS. Everything
 * taken from the store or the request is HTML-escaped. Pages only read (the
 * ACK and logout buttons post to http.c). */
#ifndef DASH_H
#define DASH_H

#include <stdint.h>

#include "html.h"
#include "prc_gazetteer.h"
#include "store.h"
#include "users.h"

typedef struct dash_ctx {
    store *st;                    /* a read-only connection */
    const prc_gazetteer *gaz;
    int64_t now;                  /* Unix ms */
    const users_user *u;          /* NULL: nobody is logged in */
    const char *csrf;             /* the session's CSRF token for the forms */
} dash_ctx;

/* Search form fields as given (strings, "" when absent). */
typedef struct dash_query {
    const char *since, *until;    /* YYYY-MM-DD */
    const char *zone, *code, *priority;
} dash_query;

/* What the health page shows beside the store's status rows. */
typedef struct dash_live {
    int64_t commit_age_ms;        /* -1: none yet */
    long sessions;
    int64_t started_at;
} dash_live;

/* The partner whose alerts u sees: theirs for duty users (and viewers given
 * a partner), NULL (all) for coordinators and other viewers. */
const char *dash_scope(const users_user *u);
/* 1 if u may acknowledge for partner. */
int dash_may_ack(const users_user *u, const char *partner);

/* Page functions return 0, a 4xx status for a page that must not be shown
 * (404 no such report, 403 not yours), or -1 on a store error. */
void dash_login(html_buf *b, const char *login_csrf, const char *message);
void dash_message(html_buf *b, const dash_ctx *x, const char *title, const char *text);
/* A signed acknowledgement link's page: what it is for, and the button. */
void dash_ack_link(html_buf *b, const char *token, int64_t ref, const char *partner);
/* done: "acked" / "again" after an ACK of ref (a notice), else "". */
int dash_alerts(html_buf *b, const dash_ctx *x, const char *done, int64_t ref);
int dash_alerts_list(html_buf *b, const dash_ctx *x);
int dash_report(html_buf *b, const dash_ctx *x, int64_t ref, const char *done);
int dash_search(html_buf *b, const dash_ctx *x, const dash_query *q);
int dash_patrols(html_buf *b, const dash_ctx *x);
/* days: "1", "7", "30", "90" (default 7); code: "" for all. */
int dash_hotspots(html_buf *b, const dash_ctx *x, const char *days, const char *code);
int dash_health(html_buf *b, const dash_ctx *x, const dash_live *live);

extern const char dash_css[];
extern const char dash_js[];

#endif
