/* mail.c: e-mail deliveries (see mail.h). */
#include "mail.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Body lines are wrapped here (RFC 5322 asks for 78 at most). */
#define WRAP_COLS 76
/* Column where a field's value starts ("Reference:  R1042"). */
#define LABEL_COLS 12
/* A location longer than this is cut in the subject (zones are short). */
#define SUBJECT_PLACE_MAX 24
/* Bytes of UTF-8 per RFC 2047 encoded word (base64: 60 characters, so the
 * word stays under the 75 the RFC allows). */
#define EWORD_BYTES 45

/* ------------------------------------------------------------------ buffer */

/* A growing text, capped at GW_DELIVERY_BODY_MAX; `bad` once anything failed. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom, toolong;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom || b->toolong)
        return;
    if (b->len + n + 1 > GW_DELIVERY_BODY_MAX) {
        b->toolong = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_fmt(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    /* Callers format short things; longer values go through sb_add. */
    sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ------------------------------------------------------------------ payload */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* A non-empty string field, else NULL. */
static const char *jtext(const cJSON *o, const char *key)
{
    const char *s = jstr(o, key);
    return s && s[0] ? s : NULL;
}

static int jnum(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return 0;
    *out = v->valuedouble;
    return 1;
}

/* A callsign is shown; anything that looks like a phone number never is
 * (the payload should never carry one: this is the last line of defence). */
static int looks_like_phone(const char *s)
{
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!(*p == '+' || *p == ' ' || *p == '-' || *p == '(' || *p == ')'))
            return 0;
    }
    return digits >= 6;
}

/* ------------------------------------------------------------------ addresses */

static int atext(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           strchr("!#$%&'*+-/=?^_`{|}~.", ch) != NULL;
}

/* A plain ASCII addr-spec (local@domain): what MAIL FROM and RCPT TO take
 * without quoting, and nothing that could end a command or a header. */
static int valid_addr(const char *a)
{
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (n == 0 || n > GW_EMAIL_MAX || !at || at == a || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != '@' && !atext(a[i]))
            return 0;
    return 1;
}

/* [smtp] from is "addr" or "Display Name <addr>": the address for MAIL FROM. */
static int from_addr(const char *from, char *out, size_t outsz)
{
    const char *lt = strrchr(from, '<');
    if (!lt) {
        snprintf(out, outsz, "%s", from);
    } else {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] || (size_t)(gt - lt - 1) >= outsz)
            return -1;
        memcpy(out, lt + 1, (size_t)(gt - lt - 1));
        out[gt - lt - 1] = '\0';
    }
    return valid_addr(out) ? 0 : -1;
}

/* ------------------------------------------------------------------ headers */

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* An unstructured header value: cleaned (no CR/LF), RFC 2047 encoded words
 * when it is not ASCII. */
static void header_text(sbuf *b, const char *name, const char *value)
{
    char clean[512];
    size_t n = curlw_clean(clean, sizeof clean, value);
    sb_str(b, name);
    sb_str(b, ": ");
    if (is_ascii(clean)) {
        sb_add(b, clean, n);
        sb_str(b, "\r\n");
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t k = n - i < EWORD_BYTES ? n - i : EWORD_BYTES;
        /* Whole UTF-8 characters in each word. */
        while (i + k < n && k > 0 && ((unsigned char)clean[i + k] & 0xC0) == 0x80)
            k--;
        unsigned char enc[4 * EWORD_BYTES / 3 + 4];
        int e = EVP_EncodeBlock(enc, (const unsigned char *)clean + i, (int)k);
        if (e < 0) {
            b->oom = 1;
            return;
        }
        if (i > 0)
            sb_str(b, "\r\n "); /* folded: the space between words is not shown */
        sb_str(b, "=?UTF-8?B?");
        sb_add(b, (const char *)enc, (size_t)e);
        sb_str(b, "?=");
        i += k;
    }
    sb_str(b, "\r\n");
}

static void header_date(sbuf *b, int64_t ms)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        b->oom = 1;
        return;
    }
    /* Not strftime: the names must be English whatever the locale. */
    sb_fmt(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* <alert_id@patrolgw>: the same every attempt, so a receiver (or its mail
 * client) recognises a retry. Only dot-atom characters, never CR/LF. */
static void header_message_id(sbuf *b, const char *alert_id)
{
    char id[128];
    size_t n = 0;
    for (; alert_id[n] && n + 1 < sizeof id; n++) {
        char ch = alert_id[n];
        id[n] = atext(ch) && ch != '.' ? ch : '_';
    }
    id[n] = '\0';
    sb_fmt(b, "Message-ID: <%s@patrolgw>\r\n", n ? id : "none");
}

/* ------------------------------------------------------------------ subject */

/* The update's fields: the lifecycle puts them at the top level
 * ("update": "update"|"cleared", "text", "by", "at"); an "update" object
 * with "event" instead is read too. */
static const cJSON *update_obj(const cJSON *pl)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(pl, "update");
    return cJSON_IsObject(u) ? u : pl;
}

static const char *update_event(const cJSON *pl)
{
    const char *ev = jstr(pl, "update");
    if (!ev)
        ev = jstr(update_obj(pl), "event");
    return ev && strcmp(ev, "cleared") == 0 ? "cleared" : "update";
}

static int count_alerts(const cJSON *pl)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(pl, "alerts");
    return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
}

/* "[P1] RTC HB03 R1042": the zone if there is one, else the location cut short. */
static void subject_line(const cJSON *a, char *out, size_t outsz)
{
    double prio = 0;
    char place[SUBJECT_PLACE_MAX + 1];
    const char *zone = jtext(a, "zone");
    const char *where = zone ? zone : jtext(a, "location");
    size_t n = curlw_clean(place, sizeof place, where ? where : "?");
    while (n > 1 && place[n - 1] == ' ') /* cut at a space */
        place[--n] = '\0';
    if (!jnum(a, "priority", &prio) || prio < 1 || prio > 9)
        prio = 0;
    const char *code = jtext(a, "code");
    const char *ref = jtext(a, "ref");
    snprintf(out, outsz, "[P%d] %s %s %s", (int)prio, code ? code : "?", place, ref ? ref : "R?");
}

static void subject(const dlv_item *it, const cJSON *pl, char *out, size_t outsz)
{
    const char *kind = it->kind ? it->kind : "alert";
    if (strcmp(kind, "digest") == 0) {
        int n = count_alerts(pl);
        snprintf(out, outsz, "[digest] %s: %d alert%s", it->partner->name, n, n == 1 ? "" : "s");
        return;
    }
    char base[128];
    subject_line(pl, base, sizeof base);
    const char *suffix = "";
    if (strcmp(kind, "resend") == 0)
        suffix = " (resent, not acknowledged)";
    else if (strcmp(kind, "escalation") == 0)
        suffix = " ESCALATED: not acknowledged";
    else if (strcmp(kind, "reminder") == 0)
        suffix = " REMINDER: acknowledged, not cleared";
    else if (strcmp(kind, "update") == 0)
        suffix = strcmp(update_event(pl), "cleared") == 0 ? " CLEARED" : " UPDATE";
    snprintf(out, outsz, "%s%s", base, suffix);
}

/* ------------------------------------------------------------------ body */

/* Removes the spaces at the end of what was written (before a line break). */
static void sb_rtrim(sbuf *b)
{
    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->p[--b->len] = '\0';
}

/* "Label:      value", the value wrapped at spaces to WRAP_COLS, continuation
 * lines indented; CR/LF in the value are line breaks. Skipped when empty. */
static void field(sbuf *b, const char *label, const char *value)
{
    if (!value || !value[0])
        return;
    char head[LABEL_COLS + 2];
    snprintf(head, sizeof head, "%-*s", LABEL_COLS, label);
    sb_str(b, head);
    size_t col = LABEL_COLS;
    const char *p = value;
    while (*p) {
        if (*p == '\r' || *p == '\n') {
            p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
            sb_rtrim(b);
            sb_fmt(b, "\n%*s", LABEL_COLS, "");
            col = LABEL_COLS;
            continue;
        }
        size_t w = 0, chars = 0; /* bytes and characters of the next word */
        while (p[w] && p[w] != ' ' && p[w] != '\r' && p[w] != '\n')
            chars += ((unsigned char)p[w++] & 0xC0) != 0x80;
        if (w == 0) { /* a space */
            if (col > LABEL_COLS) {
                sb_add(b, " ", 1);
                col++;
            }
            p++;
            continue;
        }
        if (col > LABEL_COLS && col + chars > WRAP_COLS) {
            sb_rtrim(b);
            sb_fmt(b, "\n%*s", LABEL_COLS, "");
            col = LABEL_COLS;
        }
        /* Control bytes other than line breaks are shown as spaces. */
        for (size_t i = 0; i < w; i++) {
            unsigned char ch = (unsigned char)p[i];
            char c = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
            sb_add(b, &c, 1);
        }
        col += chars;
        p += w;
    }
    sb_rtrim(b);
    sb_str(b, "\n");
}

static void alert_fields(sbuf *b, const cJSON *a)
{
    double prio = 0, lat = 0, lon = 0;
    char tmp[160];
    field(b, "Reference:", jtext(a, "ref"));
    const char *code = jtext(a, "code"), *name = jtext(a, "code_name");
    if (code) {
        snprintf(tmp, sizeof tmp, "%s%s%s", code, name ? " - " : "", name ? name : "");
        field(b, "Incident:", tmp);
    }
    if (jnum(a, "priority", &prio)) {
        snprintf(tmp, sizeof tmp, "P%d", (int)prio);
        field(b, "Priority:", tmp);
    }
    field(b, "Location:", jtext(a, "location"));
    field(b, "Zone:", jtext(a, "zone"));
    if (jnum(a, "lat", &lat) && jnum(a, "lon", &lon)) {
        snprintf(tmp, sizeof tmp, "%.5f, %.5f", lat, lon);
        field(b, "Position:", tmp);
    }
    field(b, "Details:", jtext(a, "details"));
    const char *rep = jtext(a, "reporter");
    if (rep)
        field(b, "Reporter:", looks_like_phone(rep) ? "(withheld)" : rep);
    field(b, "Received:", jtext(a, "received_at"));
    field(b, "Channel:", jtext(a, "channel"));
    field(b, "Alert id:", jtext(a, "alert_id"));
}

static void how_to_ack(sbuf *b, const cJSON *a, const char *partner)
{
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(a, "ack");
    if (!cJSON_IsObject(ack))
        return;
    const char *sms = jtext(ack, "sms"), *topic = jtext(ack, "topic"), *url = jtext(ack, "url");
    const char *ref = jtext(a, "ref");
    if (!sms && !topic && !url)
        return;
    sb_fmt(b, "\nTo acknowledge (the first acknowledgement stops the chasing for %s):\n", partner);
    if (sms) {
        sb_str(b, "  - by SMS: text \"");
        sb_str(b, sms);
        sb_str(b, "\" to the gateway from a registered partner phone\n");
    }
    if (topic) {
        sb_fmt(b, "  - by MQTT: publish {\"ref\": \"%s\", \"by\": \"<your callsign>\"}\n    on ",
               ref ? ref : "R?");
        sb_str(b, topic);
        sb_str(b, "\n");
    }
    if (url) {
        sb_str(b, "  - on the web: ");
        sb_str(b, url);
        sb_str(b, "\n");
    }
    sb_str(b, "Replying to this e-mail does not acknowledge the alert.\n");
}

static void body_alert(sbuf *b, const dlv_item *it, const cJSON *pl)
{
    const char *kind = it->kind ? it->kind : "alert";
    const char *pname = it->partner->name;
    if (strcmp(kind, "resend") == 0)
        sb_fmt(b, "RESENT: this alert to %s has not been acknowledged yet.\n", pname);
    else if (strcmp(kind, "escalation") == 0)
        sb_fmt(b, "ESCALATED: this alert to %s was not acknowledged in time.\n"
                  "You receive it as an escalation contact of %s.\n", pname, pname);
    else if (strcmp(kind, "reminder") == 0)
        sb_fmt(b, "REMINDER: %s acknowledged this alert, but the report is not cleared.\n",
               pname);
    else if (strcmp(kind, "update") == 0)
        sb_str(b, strcmp(update_event(pl), "cleared") == 0
                      ? "CLEARED: the report of this alert is closed.\n"
                      : "UPDATE to an alert already sent (same reference).\n");
    else
        sb_fmt(b, "Priority alert for %s from the patrol gateway.\n", pname);
    sb_str(b, "\n");
    if (strcmp(kind, "update") == 0) {
        const cJSON *u = update_obj(pl);
        field(b, "Update:", jtext(u, "text"));
        const char *by = jtext(u, "by");
        if (by)
            field(b, "By:", looks_like_phone(by) ? "(withheld)" : by);
        field(b, "At:", jtext(u, "at"));
        sb_str(b, "\n");
    }
    /* Resends, escalations, reminders and fallbacks say why they were sent. */
    if (jtext(pl, "note")) {
        field(b, "Note:", jtext(pl, "note"));
        sb_str(b, "\n");
    }
    alert_fields(b, pl);
    if (strcmp(kind, "update") != 0)
        how_to_ack(b, pl, pname);
}

static void body_digest(sbuf *b, const dlv_item *it, const cJSON *pl)
{
    int n = count_alerts(pl);
    sb_fmt(b, "%d alert%s for %s, gathered into one message (outside its hours or over its\n"
              "rate limit). Each one is listed in full below.\n",
           n, n == 1 ? "" : "s", it->partner->name);
    const cJSON *a;
    int i = 0;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(pl, "alerts"))
    {
        char line[160];
        subject_line(a, line, sizeof line);
        sb_fmt(b, "\n%d. %s\n\n", ++i, line);
        alert_fields(b, a);
        how_to_ack(b, a, it->partner->name);
    }
}

/* Quoted-printable (RFC 2045): 7-bit lines of at most 76 characters whatever
 * the text, so no server or relay needs 8BITMIME or rewraps it. In: "\n"
 * line ends; out: CRLF. */
static void qp_encode(sbuf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            sb_str(out, "\r\n");
            col = 0;
            continue;
        }
        char tok[3];
        size_t k = 1;
        int at_eol = i + 1 == n || s[i + 1] == '\n';
        if ((ch >= 33 && ch <= 126 && ch != '=') || ((ch == ' ' || ch == '\t') && !at_eol)) {
            tok[0] = (char)ch;
        } else {
            tok[0] = '=';
            tok[1] = hex[ch >> 4];
            tok[2] = hex[ch & 15];
            k = 3;
        }
        /* A soft break ("=" at the end) keeps every line within 76. */
        if (col + k > 75 && !(at_eol && col + k <= 76)) {
            sb_str(out, "=\r\n");
            col = 0;
        }
        sb_add(out, tok, k);
        col += k;
    }
}

/* ------------------------------------------------------------------ message */

int mail_message(const cfg_smtp *smtp, const dlv_item *it, char **out, size_t *len, char *err,
                 size_t errsz)
{
    sbuf hdr = { 0 }, text = { 0 };
    cJSON *pl = NULL;
    int rc = -1;
    char from[GW_EMAIL_MAX + 1], subj[256];
    const cfg_partner *p = it->partner;
    const char(*to)[GW_EMAIL_MAX + 1] = it->escalation ? p->escalate_email : p->email;
    int nto = it->escalation ? p->nescalate_email : p->nemail;

    *out = NULL;
    *len = 0;
    if (nto == 0) {
        snprintf(err, errsz, "partner %s has no %se-mail address", p->name,
                 it->escalation ? "escalation " : "");
        goto done;
    }
    for (int i = 0; i < nto; i++)
        if (!valid_addr(to[i])) {
            snprintf(err, errsz, "partner %s: %se-mail address %d is not a plain address",
                     p->name, it->escalation ? "escalation " : "", i + 1);
            goto done;
        }
    if (from_addr(smtp->from, from, sizeof from)) {
        snprintf(err, errsz, "[smtp] from is not an address");
        goto done;
    }
    if (it->payload_len > GW_DELIVERY_BODY_MAX) {
        snprintf(err, errsz, "payload over %zu bytes", (size_t)GW_DELIVERY_BODY_MAX);
        goto done;
    }
    pl = cJSON_ParseWithLength(it->payload, it->payload_len);
    if (!cJSON_IsObject(pl)) {
        snprintf(err, errsz, "payload is not a JSON object");
        goto done;
    }

    if (it->kind && strcmp(it->kind, "digest") == 0)
        body_digest(&text, it, pl);
    else
        body_alert(&text, it, pl);
    sb_fmt(&text, "\n-- \npatrolgw: the patrol gateway's alert to %s. Do not reply.\n", p->name);

    subject(it, pl, subj, sizeof subj);
    header_text(&hdr, "From", smtp->from);
    sb_str(&hdr, "To: ");
    for (int i = 0; i < nto; i++) {
        sb_str(&hdr, i ? ",\r\n " : "");
        sb_str(&hdr, to[i]);
    }
    sb_str(&hdr, "\r\n");
    header_text(&hdr, "Subject", subj);
    header_date(&hdr, it->now);
    header_message_id(&hdr, it->alert_id ? it->alert_id : "");
    sb_str(&hdr, "MIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n"
                 /* RFC 3834; and Exchange's own: no out-of-office replies to alerts. */
                 "Auto-Submitted: auto-generated\r\n"
                 "X-Auto-Response-Suppress: All\r\n");
    header_text(&hdr, "X-Patrol-Kind", it->kind ? it->kind : "alert");
    if (jtext(pl, "ref"))
        header_text(&hdr, "X-Patrol-Ref", jtext(pl, "ref"));
    sb_str(&hdr, "\r\n");
    if (text.p)
        qp_encode(&hdr, text.p, text.len);
    if (hdr.oom || text.oom) {
        snprintf(err, errsz, "out of memory");
        rc = -2;
        goto done;
    }
    if (hdr.toolong || text.toolong) {
        snprintf(err, errsz, "message over %zu bytes", (size_t)GW_DELIVERY_BODY_MAX);
        goto done;
    }
    *out = hdr.p;
    *len = hdr.len;
    hdr.p = NULL;
    rc = 0;
done:
    cJSON_Delete(pl);
    free(hdr.p);
    free(text.p);
    return rc;
}

/* ------------------------------------------------------------------ sending */

enum dlv_outcome mail_classify(int curlcode, long code, int os_errno, char *err, size_t errsz)
{
    char ebuf[LOG_STRERROR_MAX]; /* called on the curl worker thread */
    CURLcode rc = (CURLcode)curlcode;
    err[0] = '\0';
    if (rc == CURLE_OK)
        return DLV_OK;
    /* libcurl's text for a refusal ("Failed sending data to the peer") says
     * less than the reply code does. */
    if (code >= 500 && code <= 599) {
        snprintf(err, errsz, "smtp %ld: refused by the server", code);
        return DLV_PERMANENT;
    }
    if (code >= 400 && code <= 499) {
        snprintf(err, errsz, "smtp %ld: refused for now by the server", code);
        return DLV_RETRY;
    }
    if (os_errno)
        snprintf(err, errsz, "smtp: %s: %s", curl_easy_strerror(rc),
                 log_strerror(os_errno, ebuf, sizeof ebuf));
    else
        snprintf(err, errsz, "smtp: %s", curl_easy_strerror(rc));
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
        return DLV_PERMANENT; /* the [smtp] url can never work */
    default:
        return DLV_RETRY;
    }
}

int mail_start(curlw *w, const cfg_smtp *smtp, const dlv_item *it)
{
    char err[160], mailfrom[GW_EMAIL_MAX + 3];
    char *msg = NULL;
    size_t len = 0;
    curlw_req *r = NULL;

    if (curlw_room(w) <= 0)
        return -1;
    int rc = mail_message(smtp, it, &msg, &len, err, sizeof err);
    if (rc == -2)
        return -1;
    if (rc == -1) {
        log_warn("mail", "row %lld not sent: %s", (long long)it->row, err);
        return curlw_fail(w, it->row, DLV_PERMANENT, err);
    }
    r = curlw_req_new(it->row, mail_classify);
    if (!r)
        goto fail;
    CURL *e = curlw_req_easy(r);
    char from[GW_EMAIL_MAX + 1];
    if (from_addr(smtp->from, from, sizeof from))
        goto fail; /* mail_message checked it */
    snprintf(mailfrom, sizeof mailfrom, "<%s>", from);
    CURLW_SET(e, CURLOPT_URL, smtp->url);
    CURLW_SET(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* smtps:// is TLS from the first byte whatever this says. */
    CURLW_SET(e, CURLOPT_USE_SSL,
              (long)(smtp->tls == 2 ? CURLUSESSL_ALL : smtp->tls == 1 ? CURLUSESSL_TRY
                                                                       : CURLUSESSL_NONE));
    CURLW_SET(e, CURLOPT_SSL_VERIFYPEER, smtp->verify_tls ? 1L : 0L);
    CURLW_SET(e, CURLOPT_SSL_VERIFYHOST, smtp->verify_tls ? 2L : 0L);
    if (smtp->ca_file[0])
        CURLW_SET(e, CURLOPT_CAINFO, smtp->ca_file);
    if (smtp->username[0]) {
        CURLW_SET(e, CURLOPT_USERNAME, smtp->username);
        CURLW_SET(e, CURLOPT_PASSWORD, smtp->password);
    }
    CURLW_SET(e, CURLOPT_TIMEOUT_MS, (long)smtp->timeout_ms);
    CURLW_SET(e, CURLOPT_MAIL_FROM, mailfrom);
    const cfg_partner *p = it->partner;
    int nto = it->escalation ? p->nescalate_email : p->nemail;
    for (int i = 0; i < nto; i++)
        if (curlw_req_rcpt(r, it->escalation ? p->escalate_email[i] : p->email[i]))
            goto fail;
    /* The request owns the message from here, whatever the result. */
    char *body = msg;
    msg = NULL;
    if (curlw_req_body(r, body, len, 1))
        goto fail;
    log_debug("mail", "row %lld: %zu bytes to %d address%s", (long long)it->row, len, nto,
              nto == 1 ? "" : "es");
    return curlw_submit(w, r);
fail:
    free(msg);
    curlw_req_free(r);
    return -1;
}
