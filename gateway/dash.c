/* dash.c: the dashboard's pages (dash.h). Mobile first: one column, big
 * tap targets, high contrast; no external assets (CSS and JS are served by
 * http.c from the strings at the end of this file). */
#include "dash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query.h"
#include "store_admin.h"
#include "store_dash.h"
#include "store_query.h"
#include "store_reports.h"

/* Live alerts: reports of the last day, and unacknowledged ones of open
 * reports of the last week. */
#define LIVE_SINCE_MS (24LL * 3600 * 1000)
#define LIVE_OPEN_SINCE_MS (7LL * 24 * 3600 * 1000)
#define DAY_MS (24LL * 3600 * 1000)

const char *dash_scope(const users_user *u)
{
    if (u->role == USERS_COORDINATOR || !u->partner[0])
        return NULL;
    return u->partner;
}

int dash_may_ack(const users_user *u, const char *partner)
{
    if (u->role == USERS_COORDINATOR)
        return 1;
    return u->role == USERS_DUTY && !strcmp(u->partner, partner);
}

/* ------------------------------------------------------------------ formatting */

/* "09:14" today, "Mon 3 Nov 09:14" otherwise (local time). */
static void fmt_when(int64_t ms, int64_t now, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000), tn = (time_t)(now / 1000);
    struct tm tm, tmn;
    if (!ms || !localtime_r(&t, &tm) || !localtime_r(&tn, &tmn)) {
        snprintf(out, outsz, "-");
        return;
    }
    int today = tm.tm_year == tmn.tm_year && tm.tm_yday == tmn.tm_yday;
    if ((today ? strftime(out, outsz, "%H:%M", &tm) : strftime(out, outsz, "%a %e %b %H:%M", &tm)) == 0)
        snprintf(out, outsz, "-");
}

static void fmt_age(int64_t ms, char *out, size_t outsz)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(out, outsz, "%lld s", (long long)s);
    else if (s < 3600)
        snprintf(out, outsz, "%lld min", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, outsz, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(out, outsz, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static void esc_when(html_buf *b, int64_t ms, int64_t now)
{
    char w[48];
    fmt_when(ms, now, w, sizeof w);
    html_esc(b, w);
}

static const char *zone_name(const dash_ctx *x, const char *zone)
{
    if (!x->gaz || !zone[0])
        return "";
    for (size_t i = 0; i < prc_gazetteer_count(x->gaz); i++) {
        const prc_zone *z = prc_gazetteer_at(x->gaz, i);
        if (!strcmp(z->zone, zone))
            return z->name;
    }
    return "";
}

/* ------------------------------------------------------------------ frame */

static void head(html_buf *b, const dash_ctx *x, const char *title, const char *tab)
{
    static const struct {
        const char *path, *label;
    } tabs[] = {
        { "/alerts", "Alerts" }, { "/search", "Search" }, { "/patrols", "Patrols" },
        { "/hotspots", "Hotspots" }, { "/health", "Health" },
    };
    html_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>");
    html_esc(b, title);
    html_puts(b, " - patrolgw</title><link rel=\"stylesheet\" href=\"/static/dash.css\">"
                 "<script src=\"/static/dash.js\" defer></script></head><body>");
    if (x && x->u) {
        html_puts(b, "<header><nav>");
        for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
            html_printf(b, "<a href=\"%s\"%s>%s</a>", tabs[i].path,
                        tab && !strcmp(tab, tabs[i].path) ? " class=\"on\" aria-current=\"page\"" : "",
                        tabs[i].label);
        }
        html_puts(b, "</nav><div class=\"me\"><span>");
        html_esc(b, x->u->name);
        html_puts(b, " &middot; ");
        html_esc(b, users_role_name(x->u->role));
        if (x->u->partner[0]) {
            html_puts(b, " &middot; ");
            html_esc(b, x->u->partner);
        }
        html_puts(b, "</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
                     "name=\"csrf\" value=\"");
        html_esc(b, x->csrf);
        html_puts(b, "\"><button class=\"small\" id=\"logout\">Log out</button></form></div></header>");
    }
    html_puts(b, "<main><h1>");
    html_esc(b, title);
    html_puts(b, "</h1>");
}

static void foot(html_buf *b)
{
    html_puts(b, "</main></body></html>\n");
}

void dash_message(html_buf *b, const dash_ctx *x, const char *title, const char *text)
{
    head(b, x, title, NULL);
    html_puts(b, "<p class=\"notice\">");
    html_esc(b, text);
    html_puts(b, "</p><p><a class=\"button\" href=\"/alerts\">Back to alerts</a></p>");
    foot(b);
}

void dash_ack_link(html_buf *b, const char *token, int64_t ref, const char *partner)
{
    char title[64];
    snprintf(title, sizeof title, "Acknowledge R%lld", (long long)ref);
    head(b, NULL, title, NULL);
    html_printf(b, "<p class=\"notice\">Acknowledge report R%lld for <b>", (long long)ref);
    html_esc(b, partner);
    html_puts(b, "</b>? The reporter will be told that ");
    html_esc(b, partner);
    html_puts(b, " has it.</p><form method=\"post\" action=\"/ack/link\"><input type=\"hidden\" "
                 "name=\"t\" value=\"");
    html_esc(b, token);
    html_printf(b, "\"><button class=\"ack\" id=\"acklink\">ACK R%lld</button></form>", (long long)ref);
    foot(b);
}

void dash_login(html_buf *b, const char *login_csrf, const char *message)
{
    head(b, NULL, "Duty dashboard", NULL);
    if (message) {
        html_puts(b, "<p class=\"notice bad\" role=\"alert\">");
        html_esc(b, message);
        html_puts(b, "</p>");
    }
    html_puts(b, "<form method=\"post\" action=\"/login\" class=\"login\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_esc(b, login_csrf);
    html_puts(b, "\"><label for=\"user\">User name</label>"
                 "<input id=\"user\" name=\"user\" autocomplete=\"username\" autocapitalize=\"none\" "
                 "spellcheck=\"false\" required maxlength=\"32\">"
                 "<label for=\"password\">Password</label>"
                 "<input id=\"password\" name=\"password\" type=\"password\" "
                 "autocomplete=\"current-password\" required maxlength=\"128\">"
                 "<button id=\"login\">Log in</button></form>");
    foot(b);
}

/* ------------------------------------------------------------------ alerts */

static void ack_form(html_buf *b, const dash_ctx *x, int64_t ref, const char *partner,
                     const char *back)
{
    html_puts(b, "<form method=\"post\" action=\"/ack\" class=\"ackf\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_esc(b, x->csrf);
    html_printf(b, "\"><input type=\"hidden\" name=\"ref\" value=\"%lld\">"
                   "<input type=\"hidden\" name=\"partner\" value=\"", (long long)ref);
    html_esc(b, partner);
    html_printf(b, "\"><input type=\"hidden\" name=\"back\" value=\"%s\">"
                   "<button class=\"ack\" data-ref=\"%lld\">ACK R%lld", back, (long long)ref,
                (long long)ref);
    if (x->u->role == USERS_COORDINATOR) {
        html_puts(b, " for ");
        html_esc(b, partner);
    }
    html_puts(b, "</button></form>");
}

typedef struct live_ctx {
    html_buf *b;
    const dash_ctx *x;
    int n, p1_open;
} live_ctx;

static int live_row(void *arg, const dashq_alert *a)
{
    live_ctx *l = arg;
    html_buf *b = l->b;
    const dash_ctx *x = l->x;
    int acked = !strcmp(a->state, "acked");
    int p1_open = a->priority == 1 && !acked;
    char age[32];

    l->n++;
    l->p1_open += p1_open;
    html_printf(b, "<li class=\"alert p%d%s\" id=\"a%lld-", a->priority,
                acked ? " done" : (p1_open ? " urgent" : ""), (long long)a->ref);
    html_esc(b, a->partner);
    html_printf(b, "\" data-ref=\"%lld\"><div class=\"line1\"><span class=\"prio\">P%d</span> "
                   "<span class=\"code\">", (long long)a->ref, a->priority);
    html_esc(b, a->code);
    html_printf(b, "</span> <a class=\"ref\" href=\"/report?ref=%lld\">R%lld</a> "
                   "<span class=\"state s-", (long long)a->ref, (long long)a->ref);
    html_esc(b, a->state);
    html_puts(b, "\">");
    html_esc(b, a->state);
    html_puts(b, "</span></div><div class=\"where\">");
    if (a->zone[0]) {
        html_puts(b, "<b>");
        html_esc(b, a->zone);
        html_puts(b, "</b> ");
    }
    /* "HB03 HB03" says nothing: the zone's name says where that is. */
    html_esc(b, strcmp(a->location, a->zone) != 0 || !zone_name(x, a->zone)[0] ? a->location
                                                                          : zone_name(x, a->zone));
    html_puts(b, "</div><div class=\"details\">");
    html_esc(b, a->details);
    fmt_age(x->now - a->received_at, age, sizeof age);
    html_printf(b, "</div><div class=\"meta\"><span class=\"age\" data-at=\"%lld\">%s ago</span> "
                   "&middot; ", (long long)a->received_at, age);
    esc_when(b, a->received_at, x->now);
    html_puts(b, " &middot; to ");
    html_esc(b, a->partner);
    if (!strcmp(a->report_status, "cleared"))
        html_puts(b, " &middot; cleared");
    html_puts(b, "</div>");
    if (acked) {
        html_puts(b, "<div class=\"acked\">ACK by ");
        html_esc(b, a->acked_by[0] ? a->acked_by : "?");
        html_puts(b, " at ");
        esc_when(b, a->acked_at, x->now);
        html_puts(b, "</div>");
    } else if (dash_may_ack(x->u, a->partner)) {
        ack_form(b, x, a->ref, a->partner, "alerts");
    }
    html_puts(b, "</li>");
    return 0;
}

int dash_alerts_list(html_buf *b, const dash_ctx *x)
{
    live_ctx l = { b, x, 0, 0 };
    html_buf items;
    html_init(&items, b->max);
    l.b = &items;
    long n = dashq_alerts(x->st, dash_scope(x->u), x->now - LIVE_SINCE_MS,
                          x->now - LIVE_OPEN_SINCE_MS, GW_HTTP_ROWS_MAX, live_row, &l);
    if (n < 0) {
        html_free(&items);
        return -1;
    }
    html_printf(b, "<ul class=\"alerts\" id=\"alerts\" data-p1=\"%d\" data-n=\"%d\">", l.p1_open, l.n);
    if (items.p)
        html_add(b, items.p, items.len);
    if (html_failed(&items))
        b->failed = 1;
    html_free(&items);
    if (l.n == 0)
        html_puts(b, "<li class=\"empty\">No alerts in the last 24 hours.</li>");
    html_puts(b, "</ul>");
    return 0;
}

int dash_alerts(html_buf *b, const dash_ctx *x, const char *done, int64_t ref)
{
    const char *scope = dash_scope(x->u);
    head(b, x, scope ? "Alerts" : "Alerts (all partners)", "/alerts");
    if (ref > 0 && (!strcmp(done, "acked") || !strcmp(done, "again"))) {
        html_printf(b, "<p class=\"notice good\" role=\"status\">%s R%lld.</p>",
                    !strcmp(done, "acked") ? "Acknowledged" : "Already acknowledged:", (long long)ref);
    }
    html_puts(b, "<div class=\"bar\"><span id=\"conn\" class=\"conn\">connecting&hellip;</span>"
                 "<button type=\"button\" class=\"small\" id=\"sound\" aria-pressed=\"false\">"
                 "P1 sound: off</button></div><div id=\"live\" data-src=\"/alerts/list\">");
    if (dash_alerts_list(b, x))
        return -1;
    html_puts(b, "</div>");
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ report */

typedef struct report_ctx {
    html_buf *b;
    const dash_ctx *x;
    int found;
    char status[16];
} report_ctx;

static void dl_item(html_buf *b, const char *k, const char *v)
{
    html_puts(b, "<dt>");
    html_esc(b, k);
    html_puts(b, "</dt><dd>");
    html_esc(b, v && v[0] ? v : "-");
    html_puts(b, "</dd>");
}

static int report_row(void *arg, const query_report *r)
{
    report_ctx *c = arg;
    html_buf *b = c->b;
    char v[64];
    c->found = 1;
    snprintf(c->status, sizeof c->status, "%s", r->status);
    html_printf(b, "<p class=\"big p%d\"><span class=\"prio\">P%d</span> ", r->priority, r->priority);
    html_esc(b, r->code);
    html_puts(b, "</p><dl>");
    dl_item(b, "Location", r->location);
    if (r->zone[0]) {
        html_puts(b, "<dt>Zone</dt><dd>");
        html_esc(b, r->zone);
        const char *zn = zone_name(c->x, r->zone);
        if (zn[0]) {
            html_puts(b, " (");
            html_esc(b, zn);
            html_puts(b, ")");
        }
        html_puts(b, "</dd>");
    }
    if (r->has_coords) {
        snprintf(v, sizeof v, "%.5f, %.5f", r->lat, r->lon);
        dl_item(b, "Coordinates", v);
    }
    dl_item(b, "Details", r->details);
    dl_item(b, "Reporter", r->reporter);
    dl_item(b, "Channel", r->channel);
    html_puts(b, "<dt>Received</dt><dd>");
    esc_when(b, r->received_at, c->x->now);
    html_puts(b, "</dd>");
    dl_item(b, "Status", r->status);
    html_puts(b, "</dl>");
    return 0;
}

static int event_row(void *arg, const query_event *e)
{
    report_ctx *c = arg;
    html_buf *b = c->b;
    const char *scope = dash_scope(c->x->u);
    if (scope && e->partner[0] && strcmp(scope, e->partner) != 0)
        return 0; /* another partner's alert, delivery or ACK */
    html_printf(b, "<li class=\"ev ev-");
    html_esc(b, e->kind);
    html_puts(b, "\"><span class=\"t\">");
    esc_when(b, e->at, c->x->now);
    html_puts(b, "</span> <b>");
    html_esc(b, e->kind);
    html_puts(b, "</b>");
    if (e->partner[0]) {
        html_puts(b, " &middot; ");
        html_esc(b, e->partner);
    }
    if (e->by && e->by[0]) {
        html_puts(b, " &middot; by ");
        html_esc(b, e->by);
    }
    if (e->detail && e->detail[0]) {
        html_puts(b, " &middot; ");
        html_esc(b, e->detail);
    }
    html_puts(b, "</li>");
    return 0;
}

typedef struct chase_ctx {
    html_buf *b;
    const dash_ctx *x;
    int64_t ref;
} chase_ctx;

/* A partner alerted: acknowledged (who, when, how), or an ACK button. */
static int chase_row(void *arg, const char *partner, int64_t acked_at, const char *by,
                     const char *via)
{
    chase_ctx *c = arg;
    html_buf *b = c->b;
    const char *scope = dash_scope(c->x->u);
    if (scope && strcmp(scope, partner) != 0)
        return 0;
    html_puts(b, "<li class=\"partner\"><b>");
    html_esc(b, partner);
    html_puts(b, "</b> ");
    if (acked_at) {
        html_puts(b, "<span class=\"acked\">ACK by ");
        html_esc(b, by);
        html_puts(b, " at ");
        esc_when(b, acked_at, c->x->now);
        html_puts(b, " (");
        html_esc(b, via);
        html_puts(b, ")</span>");
    } else {
        html_puts(b, "<span class=\"state\">not acknowledged</span>");
        if (dash_may_ack(c->x->u, partner))
            ack_form(b, c->x, c->ref, partner, "report");
    }
    html_puts(b, "</li>");
    return 0;
}

static int alert_row(void *arg, const query_alert *a)
{
    report_ctx *rc = arg;
    html_buf *b = rc->b;
    const dash_ctx *x = rc->x;
    const char *scope = dash_scope(x->u);
    if (scope && strcmp(scope, a->partner) != 0)
        return 0;
    html_puts(b, "<tr><td>");
    html_esc(b, a->partner);
    html_puts(b, "</td><td>");
    html_esc(b, a->kind);
    html_puts(b, "</td><td>");
    html_esc(b, a->channel);
    html_puts(b, "</td><td class=\"s-");
    html_esc(b, a->state);
    html_puts(b, "\">");
    html_esc(b, a->state);
    html_printf(b, "</td><td>%d</td><td>", a->attempts);
    esc_when(b, a->sent_at, x->now);
    html_puts(b, "</td></tr>");
    return 0;
}

int dash_report(html_buf *b, const dash_ctx *x, int64_t ref, const char *done)
{
    const char *scope = dash_scope(x->u);
    if (ref <= 0)
        return 404;
    if (scope) {
        int vis = dashq_alerted_to(x->st, ref, scope);
        if (vis < 0)
            return -1;
        if (!vis)
            return 404; /* not theirs: as if it did not exist */
    }
    char title[32];
    snprintf(title, sizeof title, "Report R%lld", (long long)ref);
    html_buf body;
    html_init(&body, b->max);
    report_ctx rc = { &body, x, 0, "" };
    int rcode = query_report_get(x->st, ref, report_row, &rc);
    if (rcode <= 0) {
        html_free(&body);
        return rcode < 0 ? -1 : 404;
    }
    html_puts(&body, "<h2>Partners</h2><ul class=\"partners\">");
    chase_ctx cc = { &body, x, ref };
    if (dashq_chases(x->st, ref, chase_row, &cc) < 0) {
        html_free(&body);
        return -1;
    }
    html_puts(&body, "</ul><h2>Deliveries</h2><div class=\"scroll\"><table><thead><tr>"
                     "<th>Partner</th><th>Kind</th><th>Channel</th><th>State</th><th>Tries</th>"
                     "<th>Sent</th></tr></thead><tbody>");
    if (query_alerts(x->st, ref, alert_row, &rc) < 0) {
        html_free(&body);
        return -1;
    }
    html_puts(&body, "</tbody></table></div>");
    html_puts(&body, "<h2>Timeline</h2><ol class=\"timeline\">");
    if (query_events(x->st, ref, event_row, &rc) < 0) {
        html_free(&body);
        return -1;
    }
    html_puts(&body, "</ol>");

    head(b, x, title, NULL);
    if (!strcmp(done, "acked") || !strcmp(done, "again"))
        html_printf(b, "<p class=\"notice good\" role=\"status\">%s</p>",
                    !strcmp(done, "acked") ? "Acknowledged." : "It was already acknowledged.");
    if (body.p)
        html_add(b, body.p, body.len);
    if (html_failed(&body))
        b->failed = 1;
    html_free(&body);
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ search */

typedef struct opt_ctx {
    html_buf *b;
    const char *selected;
} opt_ctx;

static int code_option(void *arg, const char *code)
{
    opt_ctx *o = arg;
    html_puts(o->b, "<option");
    if (!strcmp(code, o->selected))
        html_puts(o->b, " selected");
    html_puts(o->b, ">");
    html_esc(o->b, code);
    html_puts(o->b, "</option>");
    return 0;
}

static int code_select(html_buf *b, const dash_ctx *x, const char *selected)
{
    opt_ctx o = { b, selected };
    html_puts(b, "<label for=\"code\">Code</label><select id=\"code\" name=\"code\">"
                 "<option value=\"\">any</option>");
    if (dashq_codes(x->st, code_option, &o) < 0)
        return -1;
    html_puts(b, "</select>");
    return 0;
}

static void zone_select(html_buf *b, const dash_ctx *x, const char *selected)
{
    html_puts(b, "<label for=\"zone\">Zone</label><select id=\"zone\" name=\"zone\">"
                 "<option value=\"\">any</option>");
    for (size_t i = 0; x->gaz && i < prc_gazetteer_count(x->gaz); i++) {
        const prc_zone *z = prc_gazetteer_at(x->gaz, i);
        html_puts(b, "<option value=\"");
        html_esc(b, z->zone);
        html_puts(b, "\"");
        if (!strcmp(z->zone, selected))
            html_puts(b, " selected");
        html_puts(b, ">");
        html_esc(b, z->zone);
        html_puts(b, " ");
        html_esc(b, z->name);
        html_puts(b, "</option>");
    }
    html_printf(b, "<option value=\"-\"%s>no zone</option></select>",
                !strcmp(selected, "-") ? " selected" : "");
}

typedef struct found_ctx {
    html_buf *b;
    const dash_ctx *x;
    int n;
} found_ctx;

static int found_row(void *arg, const query_report *r)
{
    found_ctx *f = arg;
    html_buf *b = f->b;
    f->n++;
    html_printf(b, "<li class=\"alert p%d\"><div class=\"line1\"><span class=\"prio\">P%d</span> "
                   "<span class=\"code\">", r->priority, r->priority);
    html_esc(b, r->code);
    html_printf(b, "</span> <a class=\"ref\" href=\"/report?ref=%lld\">R%lld</a> <span class=\"state\">",
                (long long)r->ref, (long long)r->ref);
    html_esc(b, r->status);
    html_puts(b, "</span></div><div class=\"where\">");
    if (r->zone[0]) {
        html_puts(b, "<b>");
        html_esc(b, r->zone);
        html_puts(b, "</b> ");
    }
    html_esc(b, r->location);
    html_puts(b, "</div><div class=\"details\">");
    html_esc(b, r->details);
    html_puts(b, "</div><div class=\"meta\">");
    esc_when(b, r->received_at, f->x->now);
    html_puts(b, "</div></li>");
    return 0;
}

/* "YYYY-MM-DD" or ""; 0 and *ms (0 for ""), or -1. */
static int form_date(const char *s, int end_of_day, int64_t *ms)
{
    *ms = 0;
    if (!s[0])
        return 0;
    if (strlen(s) != 10)
        return -1;
    return query_parse_time(s, end_of_day, ms);
}

int dash_search(html_buf *b, const dash_ctx *x, const dash_query *q)
{
    dashq_search s;
    memset(&s, 0, sizeof s);
    int bad = 0;
    bad |= form_date(q->since, 0, &s.since);
    bad |= form_date(q->until, 1, &s.until);
    if (q->priority[0]) {
        if (strlen(q->priority) == 1 && q->priority[0] >= '1' && q->priority[0] <= '4')
            s.priority = q->priority[0] - '0';
        else
            bad = -1;
    }
    if (strlen(q->zone) > PRC_ZONE_MAX || strlen(q->code) > PRC_CODE_MAX)
        bad = -1;
    s.zone = q->zone;
    s.code = q->code;
    s.partner = dash_scope(x->u);
    s.limit = GW_HTTP_ROWS_MAX;

    head(b, x, "Search reports", "/search");
    html_puts(b, "<form method=\"get\" action=\"/search\" class=\"filters\">"
                 "<label for=\"since\">From</label><input type=\"date\" id=\"since\" name=\"since\" value=\"");
    html_esc(b, q->since);
    html_puts(b, "\"><label for=\"until\">To</label><input type=\"date\" id=\"until\" name=\"until\" value=\"");
    html_esc(b, q->until);
    html_puts(b, "\">");
    zone_select(b, x, q->zone);
    if (code_select(b, x, q->code))
        return -1;
    html_puts(b, "<label for=\"priority\">Priority</label><select id=\"priority\" name=\"priority\">"
                 "<option value=\"\">any</option>");
    for (int p = 1; p <= 4; p++)
        html_printf(b, "<option value=\"%d\"%s>P%d</option>", p, s.priority == p ? " selected" : "", p);
    html_puts(b, "</select><button>Search</button></form>");
    if (bad) {
        html_puts(b, "<p class=\"notice bad\">Dates are YYYY-MM-DD; priority is 1 to 4.</p>");
        foot(b);
        return 0;
    }
    found_ctx f = { NULL, x, 0 };
    html_buf items;
    html_init(&items, b->max);
    f.b = &items;
    if (dashq_reports(x->st, &s, found_row, &f) < 0) {
        html_free(&items);
        return -1;
    }
    html_printf(b, "<p>%d report%s%s, newest first.</p><ul class=\"alerts\">", f.n, f.n == 1 ? "" : "s",
                f.n == GW_HTTP_ROWS_MAX ? " (the first ones only: narrow the search)" : "");
    if (items.p)
        html_add(b, items.p, items.len);
    if (html_failed(&items))
        b->failed = 1;
    html_free(&items);
    html_puts(b, "</ul>");
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ patrols */

typedef struct shift_ctx {
    html_buf *b;
    const dash_ctx *x;
    int n;
} shift_ctx;

static int shift_row(void *arg, const char *reporter, const char *name, const char *zone,
                     int64_t on_at)
{
    shift_ctx *s = arg;
    html_buf *b = s->b;
    char age[32];
    s->n++;
    html_puts(b, "<tr><td><b>");
    html_esc(b, reporter);
    html_puts(b, "</b>");
    if (name[0]) {
        html_puts(b, "<br>");
        html_esc(b, name);
    }
    html_puts(b, "</td><td>");
    html_esc(b, zone[0] ? zone : "-");
    const char *zn = zone_name(s->x, zone);
    if (zn[0]) {
        html_puts(b, "<br>");
        html_esc(b, zn);
    }
    html_puts(b, "</td><td>");
    esc_when(b, on_at, s->x->now);
    fmt_age(s->x->now - on_at, age, sizeof age);
    html_puts(b, "<br>");
    html_esc(b, age);
    html_puts(b, "</td></tr>");
    return 0;
}

int dash_patrols(html_buf *b, const dash_ctx *x)
{
    head(b, x, "On patrol now", "/patrols");
    html_puts(b, "<div class=\"scroll\"><table><thead><tr><th>Who</th><th>Zone</th><th>Since</th>"
                 "</tr></thead><tbody>");
    shift_ctx s = { b, x, 0 };
    if (dashq_shifts(x->st, shift_row, &s) < 0)
        return -1;
    html_puts(b, "</tbody></table></div>");
    if (!s.n)
        html_puts(b, "<p>Nobody is on shift (operatives send ON to start and OFF to end).</p>");
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ hotspots */

typedef struct zone_count {
    char zone[PRC_ZONE_MAX + 1];
    long n;
} zone_count;

typedef struct counts {
    zone_count z[GW_HTTP_ROWS_MAX * 4];
    int n;
    long unzoned, total, max;
} counts;

static int count_row(void *arg, const char *zone, long n)
{
    counts *c = arg;
    c->total += n;
    if (!strcmp(zone, "-")) {
        c->unzoned += n;
        return 0;
    }
    if (c->n < (int)(sizeof c->z / sizeof c->z[0])) {
        snprintf(c->z[c->n].zone, sizeof c->z[c->n].zone, "%s", zone);
        c->z[c->n].n = n;
        c->n++;
    }
    if (n > c->max)
        c->max = n;
    return 0;
}

static long count_of(const counts *c, const char *zone)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->z[i].zone, zone))
            return c->z[i].n;
    return 0;
}

/* The zones' centroids on a plane (equirectangular around the middle
 * latitude: fine for a town), scaled into a 360-wide view. */
static void hotspot_svg(html_buf *b, const dash_ctx *x, const counts *c)
{
    size_t nz = prc_gazetteer_count(x->gaz);
    double minlat = 90, maxlat = -90, minlon = 180, maxlon = -180;
    for (size_t i = 0; i < nz; i++) {
        const prc_zone *z = prc_gazetteer_at(x->gaz, i);
        minlat = fmin(minlat, z->lat);
        maxlat = fmax(maxlat, z->lat);
        minlon = fmin(minlon, z->lon);
        maxlon = fmax(maxlon, z->lon);
    }
    double k = cos((minlat + maxlat) / 2 * M_PI / 180);
    double w = (maxlon - minlon) * k, hgt = maxlat - minlat;
    if (w < 1e-6)
        w = 1e-6;
    if (hgt < 1e-6)
        hgt = 1e-6;
    const double W = 300, M = 30;
    double scale = W / w;
    if (hgt * scale > 400)
        scale = 400 / hgt;
    double vw = w * scale + 2 * M, vh = hgt * scale + 2 * M;
    html_printf(b, "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                   "aria-label=\"Incidents per zone\">", vw, vh);
    for (size_t i = 0; i < nz; i++) {
        const prc_zone *z = prc_gazetteer_at(x->gaz, i);
        long n = count_of(c, z->zone);
        int tier = n == 0 || c->max == 0 ? 0 : (int)ceil(4.0 * (double)n / (double)c->max);
        if (tier > 4)
            tier = 4;
        double cx = M + (z->lon - minlon) * k * scale, cy = M + (maxlat - z->lat) * scale;
        double r = 9 + (c->max ? 18 * sqrt((double)n / (double)c->max) : 0);
        html_printf(b, "<g class=\"z%d\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"><title>", tier, cx,
                    cy, r);
        html_esc(b, z->zone);
        html_puts(b, " ");
        html_esc(b, z->name);
        html_printf(b, ": %ld</title></circle><text x=\"%.1f\" y=\"%.1f\">", n, cx, cy + 4);
        html_esc(b, z->zone);
        html_puts(b, "</text>");
        if (n)
            html_printf(b, "<text class=\"n\" x=\"%.1f\" y=\"%.1f\">%ld</text>", cx, cy + r + 12, n);
        html_puts(b, "</g>");
    }
    html_puts(b, "</svg>");
}

int dash_hotspots(html_buf *b, const dash_ctx *x, const char *days_s, const char *code)
{
    static const int choices[] = { 1, 7, 30, 90, 365 };
    int days = 7;
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
        if (atoi(days_s) == choices[i])
            days = choices[i];
    if (strlen(code) > PRC_CODE_MAX)
        code = "";
    counts *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (dashq_zone_counts(x->st, x->now - days * DAY_MS, 0, code[0] ? code : NULL, count_row, c) < 0) {
        free(c);
        return -1;
    }
    head(b, x, "Hotspots", "/hotspots");
    html_puts(b, "<form method=\"get\" action=\"/hotspots\" class=\"filters\">"
                 "<label for=\"days\">Period</label><select id=\"days\" name=\"days\">");
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
        html_printf(b, "<option value=\"%d\"%s>last %d day%s</option>", choices[i],
                    choices[i] == days ? " selected" : "", choices[i], choices[i] == 1 ? "" : "s");
    html_puts(b, "</select>");
    if (code_select(b, x, code)) {
        free(c);
        return -1;
    }
    html_puts(b, "<button>Show</button></form>");
    html_printf(b, "<p>%ld report%s in the last %d day%s", c->total, c->total == 1 ? "" : "s", days,
                days == 1 ? "" : "s");
    if (code[0]) {
        html_puts(b, " (code ");
        html_esc(b, code);
        html_puts(b, ")");
    }
    html_printf(b, "; %ld without a zone.</p>", c->unzoned);
    if (!x->gaz || prc_gazetteer_count(x->gaz) == 0) {
        html_puts(b, "<p class=\"notice\">No gazetteer is configured: there are no zones to draw.</p>");
    } else {
        hotspot_svg(b, x, c);
        html_puts(b, "<p class=\"legend\"><span class=\"z0\">none</span> <span class=\"z1\">few</span> "
                     "<span class=\"z2\">some</span> <span class=\"z3\">many</span> "
                     "<span class=\"z4\">most</span></p>");
        html_puts(b, "<div class=\"scroll\"><table><thead><tr><th>Zone</th><th>Name</th>"
                     "<th>Reports</th></tr></thead><tbody>");
        for (size_t i = 0; i < prc_gazetteer_count(x->gaz); i++) {
            const prc_zone *z = prc_gazetteer_at(x->gaz, i);
            long n = count_of(c, z->zone);
            if (!n)
                continue;
            html_puts(b, "<tr><td>");
            html_esc(b, z->zone);
            html_puts(b, "</td><td>");
            html_esc(b, z->name);
            html_printf(b, "</td><td>%ld</td></tr>", n);
        }
        html_puts(b, "</tbody></table></div>");
    }
    free(c);
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ health */

typedef struct status_ctx {
    html_buf *b;
    const dash_ctx *x;
} status_ctx;

static void status_row(void *arg, const char *key, const char *value, int64_t updated_at)
{
    status_ctx *s = arg;
    html_buf *b = s->b;
    char age[32];
    int bad = value && (!strcmp(value, "down") || !strcmp(value, "missing") || !strcmp(value, "stopped"));
    html_printf(b, "<tr%s><td>", bad ? " class=\"bad\"" : "");
    html_esc(b, key);
    html_puts(b, "</td><td>");
    html_esc(b, value ? value : "-");
    fmt_age(s->x->now - updated_at, age, sizeof age);
    html_puts(b, "</td><td>");
    html_esc(b, age);
    html_puts(b, "</td></tr>");
}

static void health_row(void *arg, const store_alert_health *hl)
{
    status_ctx *s = arg;
    html_buf *b = s->b;
    html_printf(b, "<tr%s><td>", hl->dead ? " class=\"bad\"" : "");
    html_esc(b, hl->partner);
    html_puts(b, "</td><td>");
    html_esc(b, hl->channel);
    html_printf(b, "</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td><td>", hl->pending,
                hl->retrying, hl->dead, hl->acked);
    esc_when(b, hl->last_success, s->x->now);
    html_puts(b, "</td></tr>");
}

int dash_health(html_buf *b, const dash_ctx *x, const dash_live *live)
{
    store_queues q;
    if (store_queue_depths(x->st, &q))
        return -1;
    head(b, x, "Health", "/health");
    int stale = live->commit_age_ms < 0 || live->commit_age_ms > 30000;
    html_printf(b, "<p class=\"notice %s\">", stale ? "bad" : "good");
    if (live->commit_age_ms < 0)
        html_puts(b, "The core has not committed yet.");
    else
        html_printf(b, "The core last committed %lld ms ago.", (long long)live->commit_age_ms);
    html_printf(b, " %ld dashboard session%s.</p>", live->sessions, live->sessions == 1 ? "" : "s");
    html_puts(b, "<h2>Queues</h2><div class=\"scroll\"><table><tbody>");
    html_printf(b, "<tr><td>Alerts pending</td><td>%ld</td></tr>", q.alerts_pending);
    html_printf(b, "<tr><td>Alerts retrying</td><td>%ld</td></tr>", q.alerts_retrying);
    html_printf(b, "<tr%s><td>Dead letters (given up)</td><td>%ld</td></tr>",
                q.alerts_failed ? " class=\"bad\"" : "", q.alerts_failed);
    html_printf(b, "<tr><td>Reports open</td><td>%ld</td></tr>", q.reports_open);
    if (q.sms_out_pending >= 0)
        html_printf(b, "<tr><td>SMS to send</td><td>%ld</td></tr>", q.sms_out_pending);
    if (q.sms_parts_waiting >= 0)
        html_printf(b, "<tr><td>SMS parts waiting</td><td>%ld</td></tr>", q.sms_parts_waiting);
    html_puts(b, "</tbody></table></div><h2>Gateway, broker and modem</h2><div class=\"scroll\"><table>"
                 "<thead><tr><th>What</th><th>Value</th><th>Updated</th></tr></thead><tbody>");
    status_ctx s = { b, x };
    if (store_status_each(x->st, status_row, &s))
        return -1;
    html_puts(b, "</tbody></table></div><h2>Alert delivery</h2><div class=\"scroll\"><table><thead>"
                 "<tr><th>Partner</th><th>Channel</th><th>Pending</th><th>Retrying</th><th>Dead</th>"
                 "<th>ACKed</th><th>Last sent</th></tr></thead><tbody>");
    if (store_alert_health_each(x->st, health_row, &s))
        return -1;
    html_puts(b, "</tbody></table></div>");
    foot(b);
    return 0;
}

/* ------------------------------------------------------------------ assets */

const char dash_css[] =
    ":root{--fg:#000;--bg:#fff;--mut:#333;--line:#000;--p1:#b00000;--p2:#8a3b00;--ok:#005a1e;"
    "--link:#0033a0;--tap:48px}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#fff;--bg:#000;--mut:#ddd;--line:#fff;"
    "--p1:#ff5c5c;--p2:#ffb347;--ok:#5cff8d;--link:#9cc3ff}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:18px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}\n"
    "a{color:var(--link)}\n"
    "header{border-bottom:3px solid var(--line);padding:4px}\n"
    "nav{display:flex;flex-wrap:wrap;gap:4px}\n"
    "nav a{flex:1 1 auto;min-height:var(--tap);display:flex;align-items:center;justify-content:center;"
    "padding:0 10px;text-decoration:none;font-weight:700;border:2px solid var(--line);color:var(--fg)}\n"
    "nav a.on{background:var(--fg);color:var(--bg)}\n"
    ".me{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:4px 2px;"
    "color:var(--mut);font-size:16px}\n"
    "main{padding:8px;max-width:900px;margin:0 auto}\n"
    "h1{font-size:24px;margin:8px 0}h2{font-size:20px;margin:16px 0 8px}\n"
    "button,.button,input,select{font:inherit;min-height:var(--tap)}\n"
    "button,.button{display:inline-flex;align-items:center;justify-content:center;padding:0 16px;"
    "border:3px solid var(--line);background:var(--fg);color:var(--bg);font-weight:700;"
    "text-decoration:none;cursor:pointer}\n"
    "button.small{min-height:40px;padding:0 10px;font-size:16px;background:var(--bg);color:var(--fg)}\n"
    "button.ack{width:100%;margin-top:8px;min-height:56px;font-size:20px;background:var(--p1);"
    "border-color:var(--p1);color:#fff}\n"
    "form.login,form.filters{display:flex;flex-direction:column;gap:6px;max-width:420px}\n"
    "input,select{border:2px solid var(--line);padding:4px 8px;background:var(--bg);color:var(--fg)}\n"
    ".bar{display:flex;justify-content:space-between;align-items:center;gap:8px;margin-bottom:8px}\n"
    ".conn{font-size:16px;color:var(--mut)}.conn.up{color:var(--ok)}\n"
    "ul.alerts{list-style:none;margin:0;padding:0}\n"
    "li.alert{border:3px solid var(--line);margin:0 0 10px;padding:10px}\n"
    "li.alert.urgent{border-color:var(--p1);border-width:5px}\n"
    "li.alert.done{opacity:.85;border-style:dashed}\n"
    ".line1{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline;font-size:20px}\n"
    ".prio{font-weight:800;padding:0 6px;border:2px solid var(--line)}\n"
    ".p1 .prio{background:var(--p1);color:#fff;border-color:var(--p1)}\n"
    ".p2 .prio{background:var(--p2);color:#fff;border-color:var(--p2)}\n"
    ".code{font-weight:800}.ref{font-weight:700}\n"
    ".state{margin-left:auto;font-size:16px;font-weight:700;text-transform:uppercase}\n"
    ".s-acked{color:var(--ok)}.s-failed{color:var(--p1)}\n"
    ".where{margin-top:4px}.details{margin-top:4px;overflow-wrap:anywhere}\n"
    ".meta{color:var(--mut);font-size:16px;margin-top:4px}\n"
    ".acked{margin-top:6px;font-weight:700;color:var(--ok)}\n"
    ".notice{border:3px solid var(--line);padding:8px;font-weight:700}\n"
    ".notice.good{border-color:var(--ok)}.notice.bad{border-color:var(--p1)}\n"
    ".empty{padding:16px;border:2px dashed var(--line)}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:16px}\n"
    "th,td{border:1px solid var(--line);padding:6px;text-align:left;vertical-align:top}\n"
    "tr.bad td{color:var(--p1);font-weight:700}\n"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dt{font-weight:700}"
    "dd{margin:0;overflow-wrap:anywhere}\n"
    ".big{font-size:24px;font-weight:800}\n"
    "ul.partners{list-style:none;padding:0}ul.partners li{border:2px solid var(--line);"
    "padding:8px;margin:0 0 8px}\n"
    "ol.timeline{padding-left:20px}ol.timeline li{margin:4px 0}.t{font-variant-numeric:tabular-nums}\n"
    "svg.map{width:100%;max-width:600px;border:2px solid var(--line);background:var(--bg)}\n"
    "svg.map text{font:bold 11px system-ui,sans-serif;text-anchor:middle;fill:var(--fg)}\n"
    "svg.map circle{stroke:var(--fg);stroke-width:1.5}\n"
    ".z0 circle{fill:var(--bg)}.z1 circle{fill:#ffd37a}.z2 circle{fill:#ff9a3c}"
    ".z3 circle{fill:#e0431f}.z4 circle{fill:#9e0000}\n"
    ".z3 text:not(.n),.z4 text:not(.n){fill:#fff}\n"
    ".legend span{display:inline-block;padding:2px 8px;border:1px solid var(--line);margin:2px}\n"
    ".legend .z1{background:#ffd37a;color:#000}.legend .z2{background:#ff9a3c;color:#000}"
    ".legend .z3{background:#e0431f;color:#fff}.legend .z4{background:#9e0000;color:#fff}\n";

/* The live page: an EventSource on /events; on each "change" the list is
 * fetched again from /alerts/list (rendered and escaped by the server) and
 * swapped in. A new unacknowledged P1 beeps and vibrates when the user
 * turned the sound on (browsers allow audio only after a tap). */
const char dash_js[] =
    "'use strict';\n"
    "(function(){\n"
    "var live=document.getElementById('live');\n"
    "function ages(){var now=Date.now();document.querySelectorAll('.age[data-at]').forEach(function(e){\n"
    " var s=Math.max(0,Math.floor((now-Number(e.dataset.at))/1000));\n"
    " e.textContent=(s<60?s+' s':s<3600?Math.floor(s/60)+' min':s<86400?Math.floor(s/3600)+' h '+"
    "Math.floor(s%3600/60)+' min':Math.floor(s/86400)+' d')+' ago';});}\n"
    "setInterval(ages,15000);\n"
    "if(!live)return;\n"
    "var conn=document.getElementById('conn'),snd=document.getElementById('sound'),actx=null;\n"
    "var soundOn=localStorage.getItem('patrol-sound')==='on';\n"
    "function showSound(){snd.textContent='P1 sound: '+(soundOn?'on':'off');"
    "snd.setAttribute('aria-pressed',soundOn?'true':'false');}\n"
    "showSound();\n"
    "snd.addEventListener('click',function(){soundOn=!soundOn;localStorage.setItem('patrol-sound',"
    "soundOn?'on':'off');showSound();if(soundOn)beep();});\n"
    "function beep(){try{if(!actx)actx=new (window.AudioContext||window.webkitAudioContext)();\n"
    " [0,0.35].forEach(function(t){var o=actx.createOscillator(),g=actx.createGain();o.frequency.value=880;\n"
    " o.connect(g);g.connect(actx.destination);g.gain.value=0.3;o.start(actx.currentTime+t);"
    "o.stop(actx.currentTime+t+0.2);});}catch(e){}\n"
    " if(navigator.vibrate)navigator.vibrate([300,150,300]);}\n"
    "function p1(){var u=document.getElementById('alerts');return u?Number(u.dataset.p1):0;}\n"
    "var busy=false,again=false;\n"
    "function refresh(){if(busy){again=true;return;}busy=true;var before=p1();\n"
    " fetch(live.dataset.src,{credentials:'same-origin',cache:'no-store'}).then(function(r){\n"
    "  if(r.status===401){location.reload();return null;}return r.ok?r.text():null;}).then(function(t){\n"
    "  if(t!==null&&t!==undefined){live.innerHTML=t;ages();if(soundOn&&p1()>before)beep();}})\n"
    " .catch(function(){}).then(function(){busy=false;if(again){again=false;refresh();}});}\n"
    "var es=new EventSource('/events');\n"
    "es.addEventListener('open',function(){conn.textContent='live';conn.className='conn up';refresh();});\n"
    "es.addEventListener('error',function(){conn.textContent='reconnecting\\u2026';conn.className='conn';});\n"
    "es.addEventListener('change',refresh);\n"
    "es.addEventListener('logout',function(){es.close();location.reload();});\n"
    "})();\n";
