/* prc_reply.c: PRC/1 replies. Every reply is GSM-7, NUL-terminated, within
 * PRC_REPLY_BUF bytes and at most PRC_REPLY_MAX septets; originals stop at
 * PRC_REPLY_BODY_MAX so that " DUP" always fits. No allocation. */
#include "prc_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "prc_gsm7.h"
#include "prc_utf8.h"

/* Scratch size for formatted text before it is cut: far more than
 * PRC_REPLY_MAX characters of 4-byte UTF-8, so the cut is ours, not snprintf's. */
#define REPLY_SCRATCH 1024

/* Sanitises s into out (PRC_REPLY_BUF bytes) up to max_septets; returns bytes. */
static size_t put_gsm(char *out, const char *s, size_t max_septets)
{
    (void)prc_gsm7_sanitize(out, PRC_REPLY_BUF, s, strlen(s), max_septets);
    return strlen(out);
}

/* snprintf result clamped to what is actually in the buffer. */
static size_t clamp_len(int n, size_t cap)
{
    if (n < 0) {
        return 0;
    }
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t prc_reply_report(char *out, unsigned long long ref, const prc_msg *m)
{
    char tmp[REPLY_SCRATCH];
    const char *code = (m != NULL && m->code != NULL) ? m->code->code : "?";
    int prio = m != NULL ? m->priority : 0;
    const char *loc = m != NULL ? m->location : "";
    size_t n;

    n = clamp_len(snprintf(tmp, sizeof tmp, "OK R%llu %s P%d", ref, code, prio), sizeof tmp);
    /* A landmark or postcode names where the report went, so that a
     * misroute ("Herne Bay pier" read as HERNE, a village) shows: the zone,
     * then what was read. A zone code or lat,lon is shown as it is. */
    if (m != NULL && m->zone[0] != '\0' &&
        (m->loc_kind == PRC_LOC_ALIAS || m->loc_kind == PRC_LOC_POSTCODE ||
         m->loc_kind == PRC_LOC_DISTRICT)) {
        n += clamp_len(snprintf(tmp + n, sizeof tmp - n, " %s (%s)", m->zone, loc), sizeof tmp - n);
    } else if (loc[0] != '\0') {
        n += clamp_len(snprintf(tmp + n, sizeof tmp - n, " %s", loc), sizeof tmp - n);
    }
    if (m != NULL && m->priority_unread[0] != '\0') {
        (void)snprintf(tmp + n, sizeof tmp - n, " (%s unclear, default P%d used)",
                       m->priority_unread, prio);
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_ref(char *out, const char *verb, unsigned long long ref)
{
    char tmp[REPLY_SCRATCH];

    if (snprintf(tmp, sizeof tmp, "OK %s R%llu", verb != NULL ? verb : "", ref) < 0) {
        tmp[0] = '\0';
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_on(char *out, const char *zone, int hh, int mm)
{
    char tmp[REPLY_SCRATCH];
    int n;

    if (zone != NULL && zone[0] != '\0') {
        n = snprintf(tmp, sizeof tmp, "OK ON %s %02d:%02d", zone, hh, mm);
    } else {
        n = snprintf(tmp, sizeof tmp, "OK ON %02d:%02d", hh, mm);
    }
    if (n < 0) {
        tmp[0] = '\0';
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_off(char *out, long minutes)
{
    char tmp[REPLY_SCRATCH];

    /* A clock step back can make a shift negative: report it as zero. */
    if (minutes < 0) {
        minutes = 0;
    }
    if (snprintf(tmp, sizeof tmp, "OK OFF %ldh%02ld", minutes / 60, minutes % 60) < 0) {
        tmp[0] = '\0';
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_err(char *out, prc_field f, const char *fmt, ...)
{
    char tmp[REPLY_SCRATCH];
    const char *name = prc_field_name(f);
    size_t n;
    va_list ap;

    if (name[0] != '\0') {
        n = clamp_len(snprintf(tmp, sizeof tmp, "ERR %s: ", name), sizeof tmp);
    } else {
        n = clamp_len(snprintf(tmp, sizeof tmp, "ERR: "), sizeof tmp);
    }
    va_start(ap, fmt);
    /* fmt is the caller's literal, checked by the format attribute. */
    if (vsnprintf(tmp + n, sizeof tmp - n, fmt, ap) < 0) {
        tmp[n] = '\0';
    }
    va_end(ap);
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_dup(char *out, const char *orig)
{
    size_t suffix = sizeof PRC_REPLY_DUP_SUFFIX - 1;
    size_t n;

    /* Keep room for the suffix both in septets and in bytes. */
    (void)prc_gsm7_sanitize(out, PRC_REPLY_BUF - suffix, orig != NULL ? orig : "",
                            orig != NULL ? strlen(orig) : 0, PRC_REPLY_MAX - suffix);
    n = strlen(out);
    memcpy(out + n, PRC_REPLY_DUP_SUFFIX, suffix + 1);
    return n + suffix;
}

size_t prc_reply_help(char *out, const prc_codes *codes)
{
    /* HELP ZONES named here, or no operative would find it; the default
     * table's 18 codes still fit (154 septets). */
    static const char head[] = "CODE (P1-4) PLACE text. UPD/CLR/ACK Rn, ON zone, OFF, HELP ZONES. Codes:";
    static const char more[] = " ...";
    char tmp[REPLY_SCRATCH];
    size_t used = sizeof head - 1; /* head is ASCII: one septet per byte */
    size_t pos = used;
    size_t n = codes != NULL ? prc_codes_count(codes) : 0;

    memcpy(tmp, head, sizeof head);
    for (size_t i = 0; i < n; i++) {
        const prc_code *c = prc_codes_at(codes, i);
        char one[PRC_REPLY_BUF];
        size_t sept;
        size_t bytes;
        size_t reserve = (i + 1 < n) ? sizeof more - 1 : 0;

        if (c == NULL) {
            continue;
        }
        sept = prc_gsm7_sanitize(one, sizeof one, c->code, strlen(c->code), PRC_REPLY_BODY_MAX);
        bytes = strlen(one);
        if (used + 1 + sept + reserve > PRC_REPLY_BODY_MAX || pos + 1 + bytes + sizeof more > sizeof tmp) {
            memcpy(tmp + pos, more, sizeof more);
            break;
        }
        tmp[pos++] = ' ';
        memcpy(tmp + pos, one, bytes + 1);
        pos += bytes;
        used += 1 + sept;
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_append(char *out, const char *more)
{
    char add[PRC_REPLY_BUF];
    size_t cur = strlen(out);
    long have = prc_gsm7_len(out, cur);
    size_t add_sept;
    size_t add_len;

    if (more == NULL || more[0] == '\0') {
        return cur;
    }
    if (have < 0) {
        /* Not ours (not GSM-7): leave it alone rather than grow it. */
        return cur;
    }
    add_sept = prc_gsm7_sanitize(add, sizeof add, more, strlen(more), PRC_REPLY_BODY_MAX);
    add_len = strlen(add);
    if ((size_t)have + 1 + add_sept > PRC_REPLY_BODY_MAX || cur + 1 + add_len + 1 > PRC_REPLY_BUF) {
        return cur;
    }
    out[cur] = ' ';
    memcpy(out + cur + 1, add, add_len + 1);
    return cur + 1 + add_len;
}

size_t prc_reply_echo(char *out, size_t outsz, const char *text, size_t len,
                      size_t max_chars)
{
    size_t pos = 0;
    size_t chars = 0;

    if (out == NULL || outsz == 0) {
        return 0;
    }
    if (text == NULL) {
        out[0] = '\0';
        return 0;
    }
    /* Byte length of the first max_chars characters; a bad byte counts as one. */
    while (pos < len && chars < max_chars) {
        size_t p = pos;

        (void)prc_utf8_next(text, len, &p);
        pos = p > pos ? p : pos + 1;
        chars++;
    }
    if (pos > len) {
        pos = len;
    }
    /* Extension characters take two septets: allow them all within max_chars. */
    (void)prc_gsm7_sanitize(out, outsz, text, pos, 2 * max_chars);
    return strlen(out);
}

size_t prc_reply_help_code(char *out, const prc_code *c)
{
    char tmp[REPLY_SCRATCH];
    char name[PRC_REPLY_BUF];
    char also[PRC_REPLY_BUF];
    size_t n;

    if (c == NULL) {
        return put_gsm(out, "Send HELP for codes", PRC_REPLY_BODY_MAX);
    }
    (void)prc_gsm7_sanitize(name, sizeof name, c->name, strlen(c->name), PRC_NAME_MAX);
    (void)snprintf(tmp, sizeof tmp, "%s: %s. Default P%d, %s. e.g. %s HB12 details", c->code,
                   name, c->priority, c->alert ? "alerts partners" : "never alerts", c->code);
    n = put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
    /* As many aliases as fit, in table order. */
    for (int k = c->naliases < PRC_MAX_CODE_ALIASES ? c->naliases : PRC_MAX_CODE_ALIASES; k > 0;
         k--) {
        size_t used = clamp_len(snprintf(also, sizeof also, "Also:"), sizeof also);

        for (int a = 0; a < k; a++) {
            used += clamp_len(snprintf(also + used, sizeof also - used, " %s", c->aliases[a]),
                              sizeof also - used);
        }
        if (prc_reply_append(out, also) != n) {
            return strlen(out);
        }
    }
    return n;
}

/* Septets kept for one "ZONE name" entry of HELP ZONES (a hostile name is cut). */
#define ZONES_ENTRY_MAX 100
/* Widest header "Zones 999/999:" and footer " More: HELP ZONES 999". */
#define ZONES_HEAD_MAX 14
#define ZONES_FOOT_MAX 21

/* "HB04 Hampton" (GSM-7, cut) into dst; returns its septets. */
static size_t zone_entry(char *dst, size_t dstsz, const prc_zone *z)
{
    char tmp[PRC_ZONE_MAX + 1 + PRC_NAME_MAX + 2];

    (void)snprintf(tmp, sizeof tmp, "%s %s", z->zone, z->name);
    return prc_gsm7_sanitize(dst, dstsz, tmp, strlen(tmp), ZONES_ENTRY_MAX);
}

size_t prc_reply_help_zones(char *out, const prc_gazetteer *g, int page)
{
    unsigned char lens[PRC_MAX_ZONES]; /* septets of each entry (4 KiB of stack) */
    char tmp[REPLY_SCRATCH];
    char one[PRC_REPLY_BUF];
    size_t nz = prc_gazetteer_count(g);
    size_t budget = PRC_REPLY_BODY_MAX - ZONES_HEAD_MAX - ZONES_FOOT_MAX;
    size_t fill = 0;
    size_t pos;
    int pages = 1;

    if (nz == 0) {
        return put_gsm(out, "No zones set up. Use a postcode (CT6 5AB) or lat,lon (51.37,1.13)",
                       PRC_REPLY_BODY_MAX);
    }
    if (nz > PRC_MAX_ZONES) {
        nz = PRC_MAX_ZONES;
    }
    for (size_t i = 0; i < nz; i++) {
        lens[i] = (unsigned char)zone_entry(one, sizeof one, prc_gazetteer_at(g, i));
    }
    /* Shortest entries first (ties in table order), as many as fit a page:
     * the first SMS names the most zones. Pages are counted first, so that
     * each page can say how many there are. */
    for (size_t len = 0; len <= ZONES_ENTRY_MAX; len++) {
        for (size_t i = 0; i < nz; i++) {
            if (lens[i] != len) {
                continue;
            }
            if (fill > 0 && fill + 2 + len > budget) {
                pages++;
                fill = 0;
            }
            fill += (fill > 0 ? 2 : 0) + len;
        }
    }
    if (page < 1 || page > pages) {
        (void)snprintf(tmp, sizeof tmp, "Zones: no page %d. Send HELP ZONES 1 to %d", page, pages);
        return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
    }
    pos = clamp_len(snprintf(tmp, sizeof tmp, "Zones %d/%d:", page, pages), sizeof tmp);
    fill = 0;
    pages = 1;
    for (size_t len = 0; len <= ZONES_ENTRY_MAX; len++) {
        for (size_t i = 0; i < nz; i++) {
            size_t bytes;

            if (lens[i] != len) {
                continue;
            }
            if (fill > 0 && fill + 2 + len > budget) {
                pages++;
                fill = 0;
            }
            fill += (fill > 0 ? 2 : 0) + len;
            if (pages != page) {
                continue;
            }
            (void)zone_entry(one, sizeof one, prc_gazetteer_at(g, i));
            bytes = strlen(one);
            if (pos + 2 + bytes + 1 > sizeof tmp) {
                continue; /* cannot happen: a page is at most 156 septets */
            }
            tmp[pos++] = fill == len ? ' ' : ';';
            if (fill != len) {
                tmp[pos++] = ' ';
            }
            memcpy(tmp + pos, one, bytes + 1);
            pos += bytes;
        }
    }
    if (page < pages) {
        (void)snprintf(tmp + pos, sizeof tmp - pos, " More: HELP ZONES %d", page + 1);
    }
    return put_gsm(out, tmp, PRC_REPLY_BODY_MAX);
}

size_t prc_reply_help_msg(char *out, const prc_codes *codes, const prc_gazetteer *g,
                          const prc_msg *m)
{
    if (m != NULL && m->help == PRC_HELP_ZONES) {
        return prc_reply_help_zones(out, g, m->help_page);
    }
    if (m != NULL && m->help == PRC_HELP_CODE && m->help_code != NULL) {
        return prc_reply_help_code(out, m->help_code);
    }
    return prc_reply_help(out, codes);
}
