/* prc_parse.c: the PRC/1 message parser (docs/protocol.md is the reference).
 * Pure: no I/O, no allocation; the result points into the caller's tables
 * and text, and every error carries its full one-SMS reply. */
#include "prc_parse.h"

#include <string.h>

#include "prc_geo.h"
#include "prc_postcode.h"
#include "prc_reply.h"
#include "prc_token.h"
#include "prc_utf8.h"

/* Example used in FORMAT and missing-LOCATION replies (the contract's own). */
#define PRC_EXAMPLE "e.g. ASB HB12 youths"

/* Result of trying to read a location. */
enum loc_result {
    LOC_NO = 0,  /* not a location */
    LOC_YES = 1, /* out->location etc. filled, *end past what was used */
    LOC_ERR = -1 /* out->error and reply set */
};

/* Where a location is being read: a report accepts lat,lon and unmapped
 * postcodes; ON wants a place that names a zone, or an area prefix. */
enum loc_mode {
    LOC_MODE_REPORT,
    LOC_MODE_ON
};

static const struct {
    const char *word;
    prc_kind kind;
} commands[] = {
    {"UPD", PRC_KIND_UPD}, {"CLR", PRC_KIND_CLR}, {"ACK", PRC_KIND_ACK},
    {"ON", PRC_KIND_ON},   {"OFF", PRC_KIND_OFF}, {"HELP", PRC_KIND_HELP},
    {"?", PRC_KIND_HELP},
};

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_p(unsigned char c)
{
    return c == 'P' || c == 'p';
}

static unsigned char up(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Copies at most dstsz-1 bytes, upper-casing ASCII; NUL-terminates. */
static void copy_upper(char *dst, size_t dstsz, const char *s, size_t len)
{
    size_t n = len < dstsz - 1 ? len : dstsz - 1;

    for (size_t i = 0; i < n; i++) {
        dst[i] = (char)up((unsigned char)s[i]);
    }
    dst[n] = '\0';
}

static void copy_str(char *dst, size_t dstsz, const char *s)
{
    size_t n = strlen(s);

    if (n > dstsz - 1) {
        n = dstsz - 1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* 1 if the token is P1..P4 (any case); sets *prio. */
static int token_priority(const char *text, const prc_token *t, int *prio)
{
    const unsigned char *s = (const unsigned char *)text + t->off;

    if (t->len == 2 && is_p(s[0]) && s[1] >= '1' && s[1] <= '4') {
        *prio = s[1] - '0';
        return 1;
    }
    return 0;
}

/* After the code: 'P' + one or more digits (P0 P5 P12 P01), or 'P' + exactly
 * one other character (PX). */
static int prio_like_after_code(const char *text, const prc_token *t)
{
    const unsigned char *s = (const unsigned char *)text + t->off;
    size_t i;
    size_t p = 1;

    if (t->len < 2 || !is_p(s[0])) {
        return 0;
    }
    i = 1;
    while (i < t->len && is_digit(s[i])) {
        i++;
    }
    if (i == t->len) {
        return 1;
    }
    /* One more character, whatever it is (it may be several bytes). */
    (void)prc_utf8_next(text + t->off, t->len, &p);
    return p == t->len;
}

/* After the location: 'P' + digits only, or exactly "PX", so that details
 * such as "PC on scene" are never mistaken for a priority. */
static int prio_like_after_loc(const char *text, const prc_token *t)
{
    const unsigned char *s = (const unsigned char *)text + t->off;
    size_t i;

    if (t->len < 2 || !is_p(s[0])) {
        return 0;
    }
    if (t->len == 2 && up(s[1]) == 'X') {
        return 1;
    }
    i = 1;
    while (i < t->len && is_digit(s[i])) {
        i++;
    }
    return i == t->len;
}

/* Fills the zone fields of out from z (centroid as coordinates). */
static void set_zone(prc_msg *out, const prc_zone *z, int with_coords)
{
    copy_str(out->zone, sizeof out->zone, z->zone);
    if (with_coords) {
        out->has_coords = 1;
        out->lat = z->lat;
        out->lon = z->lon;
    }
}

/* The zone's own spelling of the alias the sender typed (else the token upper-cased). */
static void alias_text(char *dst, size_t dstsz, const prc_zone *z, const char *text,
                       const prc_token *t)
{
    for (int i = 0; i < z->naliases && i < PRC_MAX_ZONE_ALIASES; i++) {
        if (prc_token_eq(text, t, z->aliases[i])) {
            copy_str(dst, dstsz, z->aliases[i]);
            return;
        }
    }
    copy_upper(dst, dstsz, text + t->off, t->len);
}

/* Example zone for error replies: the gazetteer's first zone, if any. */
static const char *example_zone(const prc_parse_ctx *ctx)
{
    const prc_zone *z = NULL;

    if (ctx->gaz != NULL && prc_gazetteer_count(ctx->gaz) > 0) {
        z = prc_gazetteer_at(ctx->gaz, 0);
    }
    return (z != NULL && z->zone[0] != '\0') ? z->zone : NULL;
}

/* Copies the lat,lon token without a leading '+' on either number. */
static int latlon_text(char *dst, size_t dstsz, const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+' && (i == 0 || s[i - 1] == ',')) {
            continue;
        }
        if (n + 1 >= dstsz) {
            return 0;
        }
        dst[n++] = s[i];
    }
    dst[n] = '\0';
    return 1;
}

/* Tries to read a location at token t (next is the token after it, or NULL).
 * See docs/protocol.md "Location" for the order. */
static enum loc_result read_location(const prc_parse_ctx *ctx, const char *text,
                                     const prc_token *t, const prc_token *next,
                                     enum loc_mode mode, prc_msg *out, size_t *end)
{
    const char *s = text + t->off;
    const prc_zone *z;
    char pc[9];
    char dist[5];
    int alias_hit = 0;
    double lat = 0.0;
    double lon = 0.0;

    /* 1. zone code or landmark alias */
    z = prc_gazetteer_find(ctx->gaz, s, t->len, &alias_hit);
    if (z != NULL) {
        if (alias_hit) {
            out->loc_kind = PRC_LOC_ALIAS;
            alias_text(out->location, sizeof out->location, z, text, t);
        } else {
            out->loc_kind = PRC_LOC_ZONE;
            copy_str(out->location, sizeof out->location, z->zone);
        }
        set_zone(out, z, 1);
        *end = t->off + t->len;
        return LOC_YES;
    }

    /* 2. full postcode: the token alone, or joined with the next by one space */
    if (t->len <= 8 && prc_postcode_full(s, t->len, pc)) {
        *end = t->off + t->len;
    } else if (next != NULL && t->len + 1 + next->len <= 8) {
        char joined[9];

        memcpy(joined, s, t->len);
        joined[t->len] = ' ';
        memcpy(joined + t->len + 1, text + next->off, next->len);
        if (!prc_postcode_full(joined, t->len + 1 + next->len, pc)) {
            pc[0] = '\0';
        }
        *end = next->off + next->len;
    } else {
        pc[0] = '\0';
    }
    if (pc[0] != '\0') {
        z = prc_gazetteer_postcode(ctx->gaz, pc);
        if (z != NULL || mode == LOC_MODE_REPORT) {
            out->loc_kind = PRC_LOC_POSTCODE;
            copy_str(out->location, sizeof out->location, pc);
            if (z != NULL) {
                set_zone(out, z, 1);
            }
            return LOC_YES;
        }
    }

    /* 3. a postcode district the gazetteer maps */
    if (t->len <= 4 && prc_postcode_district(s, t->len, dist)) {
        z = prc_gazetteer_postcode(ctx->gaz, dist);
        if (z != NULL) {
            out->loc_kind = PRC_LOC_DISTRICT;
            copy_str(out->location, sizeof out->location, dist);
            set_zone(out, z, 1);
            *end = t->off + t->len;
            return LOC_YES;
        }
    }

    if (mode == LOC_MODE_ON) {
        /* ON only: an area prefix shared by zone codes, e.g. "HB" */
        if (t->len <= PRC_ZONE_MAX && prc_gazetteer_is_area(ctx->gaz, s, t->len)) {
            out->loc_kind = PRC_LOC_AREA;
            copy_upper(out->location, sizeof out->location, s, t->len);
            copy_upper(out->zone, sizeof out->zone, s, t->len);
            *end = t->off + t->len;
            return LOC_YES;
        }
        return LOC_NO;
    }

    /* 4. decimal lat,lon */
    if (prc_geo_parse(s, t->len, &lat, &lon)) {
        if (!latlon_text(out->location, sizeof out->location, s, t->len)) {
            out->location[0] = '\0';
            out->error = PRC_FIELD_LOCATION;
            (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                                "lat,lon too long, max %d chars. Use e.g. 51.3731,1.1281",
                                PRC_LOCATION_MAX);
            return LOC_ERR;
        }
        out->loc_kind = PRC_LOC_LATLON;
        out->has_coords = 1;
        out->lat = lat;
        out->lon = lon;
        z = prc_gazetteer_nearest(ctx->gaz, lat, lon, ctx->radius_km);
        if (z != NULL) {
            set_zone(out, z, 0);
        }
        *end = t->off + t->len;
        return LOC_YES;
    }
    return LOC_NO;
}

/* The token as it may be echoed in a reply: cut, GSM-7 only. */
static void echo_token(char *echo, size_t echosz, const char *text, const prc_token *t)
{
    (void)prc_reply_echo(echo, echosz, text + t->off, t->len, PRC_ECHO_MAX);
}

static prc_field fail_location_unknown(const prc_parse_ctx *ctx, const char *text,
                                       const prc_token *t, enum loc_mode mode, prc_msg *out)
{
    char echo[PRC_REPLY_BUF];
    const char *ez = example_zone(ctx);

    echo_token(echo, sizeof echo, text, t);
    out->error = PRC_FIELD_LOCATION;
    out->loc_kind = PRC_LOC_NONE;
    out->location[0] = '\0';
    out->zone[0] = '\0';
    out->has_coords = 0;
    if (mode == LOC_MODE_ON) {
        (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                            "%s unknown. Send ON with a zone (%s), area, place or postcode, or ON alone",
                            echo, ez != NULL ? ez : "HB12");
    } else if (ez != NULL) {
        (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                            "%s unknown. Use a zone (%s), place, postcode (CT6 5AB) or lat,lon (51.37,1.13)",
                            echo, ez);
    } else {
        (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                            "%s unknown. Use a postcode (CT6 5AB) or lat,lon (51.37,1.13)", echo);
    }
    return out->error;
}

static prc_field fail_priority(const char *text, const prc_token *t, int twice, prc_msg *out)
{
    char echo[PRC_REPLY_BUF];

    echo_token(echo, sizeof echo, text, t);
    out->error = PRC_FIELD_PRIORITY;
    if (twice) {
        (void)prc_reply_err(out->reply, PRC_FIELD_PRIORITY,
                            "%s given twice. Give one priority, P1 to P4", echo);
    } else {
        (void)prc_reply_err(out->reply, PRC_FIELD_PRIORITY,
                            "%s not valid. Use P1 (life at risk) to P4 (info)", echo);
    }
    return out->error;
}

/* The details span: from the first non-separator at pos to the trimmed end. */
static void set_details(prc_msg *out, const char *text, size_t end, size_t pos)
{
    size_t off = prc_token_skip_seps(text, end, pos);

    out->details_off = off;
    out->details_len = end - off;
}

static prc_field parse_report(const prc_parse_ctx *ctx, const char *text, size_t end,
                              const prc_token *first, prc_msg *out)
{
    prc_token t;
    prc_token nt;
    size_t pos = first->off + first->len;
    size_t loc_end = 0;
    int prio = 0;
    int have_next;
    enum loc_result r;

    out->kind = PRC_KIND_REPORT;
    out->code = prc_codes_find(ctx->codes, text + first->off, first->len);
    if (out->code == NULL) {
        const prc_code *sug[3];
        char echo[PRC_REPLY_BUF];
        size_t n = prc_codes_suggest(ctx->codes, text + first->off, first->len, sug, 3);

        echo_token(echo, sizeof echo, text, first);
        out->error = PRC_FIELD_CODE;
        if (n == 0) {
            (void)prc_reply_err(out->reply, PRC_FIELD_CODE, "%s unknown. Send HELP for codes", echo);
        } else if (n == 1) {
            (void)prc_reply_err(out->reply, PRC_FIELD_CODE,
                                "%s unknown. Did you mean %s? Send HELP for codes", echo, sug[0]->code);
        } else if (n == 2) {
            (void)prc_reply_err(out->reply, PRC_FIELD_CODE,
                                "%s unknown. Did you mean %s or %s? Send HELP for codes", echo,
                                sug[0]->code, sug[1]->code);
        } else {
            (void)prc_reply_err(out->reply, PRC_FIELD_CODE,
                                "%s unknown. Did you mean %s, %s or %s? Send HELP for codes", echo,
                                sug[0]->code, sug[1]->code, sug[2]->code);
        }
        return out->error;
    }
    out->priority = out->code->priority;

    if (!prc_token_next(text, end, &pos, &t)) {
        goto missing;
    }
    /* Priority right after the code: P1..P4 always is one. */
    if (token_priority(text, &t, &prio)) {
        out->priority = prio;
        out->priority_given = 1;
        if (!prc_token_next(text, end, &pos, &t)) {
            goto missing;
        }
    }

    {
        size_t npos = pos;

        have_next = prc_token_next(text, end, &npos, &nt);
    }
    r = read_location(ctx, text, &t, have_next ? &nt : NULL, LOC_MODE_REPORT, out, &loc_end);
    if (r == LOC_ERR) {
        return out->error;
    }
    if (r == LOC_NO) {
        /* A P-token that is no place: a bad or second priority, said as such. */
        if (token_priority(text, &t, &prio)) {
            return fail_priority(text, &t, out->priority_given, out);
        }
        if (prio_like_after_code(text, &t)) {
            return fail_priority(text, &t, 0, out);
        }
        return fail_location_unknown(ctx, text, &t, LOC_MODE_REPORT, out);
    }
    pos = loc_end;

    /* Priority right after the location. */
    {
        size_t npos = pos;

        if (prc_token_next(text, end, &npos, &t)) {
            if (token_priority(text, &t, &prio)) {
                if (out->priority_given) {
                    return fail_priority(text, &t, 1, out);
                }
                out->priority = prio;
                out->priority_given = 1;
                pos = npos;
            } else if (prio_like_after_loc(text, &t)) {
                return fail_priority(text, &t, 0, out);
            }
        }
    }
    set_details(out, text, end, pos);
    return PRC_FIELD_NONE;

missing:
    out->error = PRC_FIELD_LOCATION;
    (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                        "missing. Send CODE PLACE details, " PRC_EXAMPLE
                        ". PLACE: zone, place, postcode or lat,lon");
    return out->error;
}

static prc_field parse_ref_command(const char *text, size_t end, const prc_token *first,
                                   prc_msg *out)
{
    static const char *const verbs[] = {"UPD", "CLR", "ACK"};
    static const char *const tails[] = {" details", "", ""};
    int v = out->kind == PRC_KIND_UPD ? 0 : (out->kind == PRC_KIND_CLR ? 1 : 2);
    size_t pos = first->off + first->len;
    prc_token t;

    if (!prc_token_next(text, end, &pos, &t)) {
        out->error = PRC_FIELD_REF;
        (void)prc_reply_err(out->reply, PRC_FIELD_REF, "missing. Send %s R1042%s", verbs[v],
                            tails[v]);
        return out->error;
    }
    if (!prc_parse_ref(text + t.off, t.len, &out->ref)) {
        char echo[PRC_REPLY_BUF];

        echo_token(echo, sizeof echo, text, &t);
        out->error = PRC_FIELD_REF;
        (void)prc_reply_err(out->reply, PRC_FIELD_REF,
                            "%s not a reference. Use R1042 or 1042, e.g. %s R1042%s", echo,
                            verbs[v], tails[v]);
        return out->error;
    }
    set_details(out, text, end, pos);
    return PRC_FIELD_NONE;
}

static prc_field parse_on(const prc_parse_ctx *ctx, const char *text, size_t end,
                          const prc_token *first, prc_msg *out)
{
    size_t pos = first->off + first->len;
    size_t loc_end = 0;
    prc_token t;
    prc_token nt;
    int have_next;
    enum loc_result r;

    if (!prc_token_next(text, end, &pos, &t)) {
        set_details(out, text, end, pos);
        return PRC_FIELD_NONE;
    }
    {
        size_t npos = pos;

        have_next = prc_token_next(text, end, &npos, &nt);
    }
    r = read_location(ctx, text, &t, have_next ? &nt : NULL, LOC_MODE_ON, out, &loc_end);
    if (r == LOC_ERR) {
        return out->error;
    }
    if (r == LOC_NO) {
        return fail_location_unknown(ctx, text, &t, LOC_MODE_ON, out);
    }
    set_details(out, text, end, loc_end);
    return PRC_FIELD_NONE;
}

prc_field prc_parse(const prc_parse_ctx *ctx, const char *text, size_t len, prc_msg *out)
{
    size_t end;
    size_t pos = 0;
    size_t chars;
    prc_token first;

    memset(out, 0, sizeof *out);
    out->error = PRC_FIELD_NONE;
    out->kind = PRC_KIND_REPORT;
    out->loc_kind = PRC_LOC_NONE;

    /* Byte cap first: nothing longer is even looked at. */
    if (len > (size_t)PRC_MSG_MAX_BYTES) {
        out->error = PRC_FIELD_LENGTH;
        (void)prc_reply_err(out->reply, PRC_FIELD_LENGTH,
                            "over %d chars (%zu bytes). Shorten the details", PRC_MSG_MAX_CHARS,
                            len);
        return out->error;
    }
    if (text == NULL && len > 0) {
        len = 0;
    }
    if (len > 0 && !prc_utf8_valid(text, len)) {
        out->error = PRC_FIELD_FORMAT;
        (void)prc_reply_err(out->reply, PRC_FIELD_FORMAT,
                            "not valid text (UTF-8). Send CODE PLACE details, " PRC_EXAMPLE);
        return out->error;
    }
    end = len > 0 ? prc_token_rtrim(text, len) : 0;
    if (end == 0 || !prc_token_next(text, end, &pos, &first)) {
        out->error = PRC_FIELD_FORMAT;
        (void)prc_reply_err(out->reply, PRC_FIELD_FORMAT,
                            "empty message. Send CODE PLACE details, " PRC_EXAMPLE);
        return out->error;
    }
    chars = prc_utf8_count(text, len);
    if (chars > PRC_MSG_MAX_CHARS) {
        out->error = PRC_FIELD_LENGTH;
        (void)prc_reply_err(out->reply, PRC_FIELD_LENGTH, "%zu chars, max %d. Shorten the details",
                            chars, PRC_MSG_MAX_CHARS);
        return out->error;
    }
    if (ctx == NULL || ctx->codes == NULL || ctx->gaz == NULL) {
        /* A caller bug, not the sender's: still answer in one SMS. */
        out->error = PRC_FIELD_FORMAT;
        (void)prc_reply_err(out->reply, PRC_FIELD_FORMAT, "gateway not configured. Try again later");
        return out->error;
    }

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!prc_token_eq(text, &first, commands[i].word)) {
            continue;
        }
        out->kind = commands[i].kind;
        switch (out->kind) {
        case PRC_KIND_UPD:
        case PRC_KIND_CLR:
        case PRC_KIND_ACK:
            return parse_ref_command(text, end, &first, out);
        case PRC_KIND_ON:
            return parse_on(ctx, text, end, &first, out);
        default:
            /* OFF, HELP, ?: the rest is ignored but kept as details. */
            set_details(out, text, end, first.off + first.len);
            return PRC_FIELD_NONE;
        }
    }
    return parse_report(ctx, text, end, &first, out);
}

int prc_parse_ref(const char *s, size_t len, unsigned long long *ref)
{
    size_t i = 0;
    size_t digits;
    unsigned long long v = 0;

    if (s == NULL) {
        return 0;
    }
    if (len > 0 && (s[0] == 'R' || s[0] == 'r')) {
        i = 1;
    }
    digits = len - i;
    if (digits == 0 || digits > PRC_REF_DIGITS_MAX) {
        return 0;
    }
    for (; i < len; i++) {
        if (!is_digit((unsigned char)s[i])) {
            return 0;
        }
        /* 12 digits cannot overflow 64 bits. */
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    if (v == 0) {
        return 0;
    }
    *ref = v;
    return 1;
}

const char *prc_field_name(prc_field f)
{
    switch (f) {
    case PRC_FIELD_CODE:
        return "CODE";
    case PRC_FIELD_PRIORITY:
        return "PRIORITY";
    case PRC_FIELD_LOCATION:
        return "LOCATION";
    case PRC_FIELD_REF:
        return "REF";
    case PRC_FIELD_FORMAT:
        return "FORMAT";
    case PRC_FIELD_LENGTH:
        return "LENGTH";
    case PRC_FIELD_AUTH:
        return "AUTH";
    case PRC_FIELD_NONE:
    default:
        return "";
    }
}

const char *prc_kind_name(prc_kind k)
{
    switch (k) {
    case PRC_KIND_REPORT:
        return "report";
    case PRC_KIND_UPD:
        return "upd";
    case PRC_KIND_CLR:
        return "clr";
    case PRC_KIND_ACK:
        return "ack";
    case PRC_KIND_ON:
        return "on";
    case PRC_KIND_OFF:
        return "off";
    case PRC_KIND_HELP:
        return "help";
    default:
        return "";
    }
}
