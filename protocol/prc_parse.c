/* prc_parse.c: the PRC/1 message parser (docs/protocol.md is the reference).
 * Pure: no I/O, no allocation; the result points into the caller's tables
 * and text, and every error carries its full one-SMS reply. */
#include "prc_parse.h"

#include <string.h>

#include "prc_geo.h"
#include "prc_gsm7.h"
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

/* Punctuation a hurried thumb leaves after a word: "Fire." "HB04," "P1!" */
static int is_tail_punct(unsigned char c)
{
    return c == '.' || c == ',' || c == ':' || c == '!' || c == '?';
}

/* The token without trailing punctuation; at least one byte is kept. */
static prc_token strip_punct(const char *text, const prc_token *t)
{
    prc_token s = *t;

    while (s.len > 1 && is_tail_punct((unsigned char)text[s.off + s.len - 1])) {
        s.len--;
    }
    return s;
}

/* The next token after t (within end); 0 if none. */
static int token_after(const char *text, size_t end, const prc_token *t, prc_token *n)
{
    size_t pos = t->off + t->len;

    return prc_token_next(text, end, &pos, n);
}

static int all_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = up((unsigned char)s[i]);

        if (c < 'A' || c > 'Z') {
            return 0;
        }
    }
    return n > 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i])) {
            return 0;
        }
    }
    return n > 0;
}

/* "HB 12": a letters-only token and a digits-only one that together make a
 * zone code. Fills joined (upper case) and *n; 1 if the pair has that shape. */
static int split_zone_pair(const char *text, size_t end, const prc_token *s, prc_token *n,
                           char joined[PRC_ZONE_MAX + 1])
{
    prc_token raw;
    prc_token d;

    if (!all_letters(text + s->off, s->len) || !token_after(text, end, s, &raw)) {
        return 0;
    }
    d = strip_punct(text, &raw);
    if (!all_digits(text + d.off, d.len) || s->len + d.len > PRC_ZONE_MAX) {
        return 0;
    }
    copy_upper(joined, PRC_ZONE_MAX + 1, text + s->off, s->len);
    memcpy(joined + s->len, text + d.off, d.len);
    joined[s->len + d.len] = '\0';
    *n = raw;
    return 1;
}

/* The longest multi-word landmark alias starting at t ("HERNE BAY PIER"
 * before "HERNE"): tokens joined by one space, trailing punctuation off each.
 * Returns its zone and sets *last to its last token; NULL if none. */
static const prc_zone *find_words(const prc_parse_ctx *ctx, const char *text, size_t end,
                                  const prc_token *t, char name[PRC_ALIAS_MAX + 1],
                                  prc_token *last)
{
    size_t maxw = prc_gazetteer_alias_words(ctx->gaz);
    size_t lens[PRC_ALIAS_MAX / 2 + 1];
    prc_token toks[PRC_ALIAS_MAX / 2 + 1];
    char buf[PRC_ALIAS_MAX + 1];
    size_t n = 0;
    size_t used = 0;
    prc_token cur = *t;

    if (maxw < 2) {
        return NULL;
    }
    if (maxw > PRC_ALIAS_MAX / 2 + 1) {
        maxw = PRC_ALIAS_MAX / 2 + 1;
    }
    /* Gather up to maxw words that fit in an alias. */
    for (;;) {
        prc_token w = strip_punct(text, &cur);
        size_t need = used + (n > 0 ? 1 : 0) + w.len;

        if (need > PRC_ALIAS_MAX) {
            break;
        }
        if (n > 0) {
            buf[used++] = ' ';
        }
        memcpy(buf + used, text + w.off, w.len);
        used += w.len;
        toks[n] = cur;
        lens[n] = used;
        n++;
        if (n == maxw || !token_after(text, end, &cur, &cur)) {
            break;
        }
    }
    /* Longest first; one word is the caller's plain lookup. */
    for (size_t k = n; k >= 2; k--) {
        int alias_hit = 0;
        const prc_zone *z = prc_gazetteer_find(ctx->gaz, buf, lens[k - 1], &alias_hit);

        if (z != NULL && alias_hit) {
            copy_upper(name, PRC_ALIAS_MAX + 1, buf, lens[k - 1]);
            *last = toks[k - 1];
            return z;
        }
    }
    return NULL;
}

/* lat,lon typed with spaces: "51.3731, 1.1281", "51.3731 ,1.1281",
 * "51.3731 , 1.1281" or "51.37 1.13". Both numbers need a decimal point,
 * and without a comma the point must fall within the radius of a zone, so
 * that numbers starting the details are never taken for a place. Fills
 * norm ("51.3731,1.1281"), lat, lon, *last; 1 on success. */
static int latlon_pair(const prc_parse_ctx *ctx, const char *text, size_t end,
                       const prc_token *t, char *norm, size_t normsz, double *lat,
                       double *lon, prc_token *last)
{
    prc_token n;
    size_t alen = t->len;
    const char *b;
    size_t blen;
    int comma = 0;
    char pair[2 * PRC_LOCATION_MAX + 2];

    if (alen > 0 && text[t->off + alen - 1] == ',') {
        alen--;
        comma = 1;
    }
    if (alen == 0 || !token_after(text, end, t, &n)) {
        return 0;
    }
    if (!comma && n.len == 1 && text[n.off] == ',') {
        comma = 1;
        if (!token_after(text, end, &n, &n)) {
            return 0;
        }
    }
    {
        prc_token sn = strip_punct(text, &n);

        b = text + sn.off;
        blen = sn.len;
    }
    if (!comma && b[0] == ',') {
        comma = 1;
        b++;
        blen--;
    }
    if (blen == 0 || alen + 1 + blen >= sizeof pair) {
        return 0;
    }
    for (size_t i = 0; i < alen; i++) {
        unsigned char c = (unsigned char)text[t->off + i];

        if (!is_digit(c) && c != '.' && c != '-' && c != '+') {
            return 0;
        }
    }
    /* "2, 3 males" is no place: spaced numbers need their decimals */
    if (memchr(text + t->off, '.', alen) == NULL || memchr(b, '.', blen) == NULL) {
        return 0;
    }
    memcpy(pair, text + t->off, alen);
    pair[alen] = ',';
    memcpy(pair + alen + 1, b, blen);
    if (!prc_geo_parse(pair, alen + 1 + blen, lat, lon)) {
        return 0;
    }
    if (!comma && prc_gazetteer_nearest(ctx->gaz, *lat, *lon, ctx->radius_km) == NULL) {
        return 0;
    }
    if (!latlon_text(norm, normsz, pair, alen + 1 + blen)) {
        return 0;
    }
    *last = n;
    return 1;
}

/* Tries to read a location at token t. See docs/protocol.md "Location" for
 * the order. */
static enum loc_result read_location(const prc_parse_ctx *ctx, const char *text, size_t end,
                                     const prc_token *t, enum loc_mode mode, prc_msg *out,
                                     size_t *loc_end)
{
    prc_token st = strip_punct(text, t);
    const char *s = text + st.off;
    const prc_zone *z;
    prc_token nt;
    prc_token last;
    int have_next;
    char pc[9];
    char dist[5];
    char name[PRC_ALIAS_MAX + 1];
    int alias_hit = 0;
    double lat = 0.0;
    double lon = 0.0;

    /* 1. the longest multi-word landmark alias, then a zone code or alias */
    z = find_words(ctx, text, end, t, name, &last);
    if (z != NULL) {
        out->loc_kind = PRC_LOC_ALIAS;
        copy_str(out->location, sizeof out->location, name);
        set_zone(out, z, 1);
        *loc_end = last.off + last.len;
        return LOC_YES;
    }
    z = prc_gazetteer_find(ctx->gaz, s, st.len, &alias_hit);
    if (z != NULL) {
        if (alias_hit) {
            out->loc_kind = PRC_LOC_ALIAS;
            alias_text(out->location, sizeof out->location, z, text, &st);
        } else {
            out->loc_kind = PRC_LOC_ZONE;
            copy_str(out->location, sizeof out->location, z->zone);
        }
        set_zone(out, z, 1);
        *loc_end = t->off + t->len;
        return LOC_YES;
    }
    /* 1b. a zone code typed in two: "HB 12" */
    if (split_zone_pair(text, end, &st, &last, name)) {
        z = prc_gazetteer_find(ctx->gaz, name, strlen(name), &alias_hit);
        if (z != NULL && !alias_hit) {
            out->loc_kind = PRC_LOC_ZONE;
            copy_str(out->location, sizeof out->location, z->zone);
            set_zone(out, z, 1);
            *loc_end = last.off + last.len;
            return LOC_YES;
        }
    }

    have_next = token_after(text, end, t, &nt);
    if (have_next) {
        nt = strip_punct(text, &nt);
    }
    /* 2. full postcode: the token alone, or joined with the next by one space */
    if (st.len <= 8 && prc_postcode_full(s, st.len, pc)) {
        *loc_end = t->off + t->len;
    } else if (have_next && st.len + 1 + nt.len <= 8) {
        char joined[9];

        memcpy(joined, s, st.len);
        joined[st.len] = ' ';
        memcpy(joined + st.len + 1, text + nt.off, nt.len);
        if (!prc_postcode_full(joined, st.len + 1 + nt.len, pc)) {
            pc[0] = '\0';
        }
        /* past the next token, with its punctuation */
        {
            prc_token raw;

            (void)token_after(text, end, t, &raw);
            *loc_end = raw.off + raw.len;
        }
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
    if (st.len <= 4 && prc_postcode_district(s, st.len, dist)) {
        z = prc_gazetteer_postcode(ctx->gaz, dist);
        if (z != NULL) {
            out->loc_kind = PRC_LOC_DISTRICT;
            copy_str(out->location, sizeof out->location, dist);
            set_zone(out, z, 1);
            *loc_end = t->off + t->len;
            return LOC_YES;
        }
    }

    if (mode == LOC_MODE_ON) {
        /* ON only: an area prefix shared by zone codes, e.g. "HB" */
        if (st.len <= PRC_ZONE_MAX && prc_gazetteer_is_area(ctx->gaz, s, st.len)) {
            out->loc_kind = PRC_LOC_AREA;
            copy_upper(out->location, sizeof out->location, s, st.len);
            copy_upper(out->zone, sizeof out->zone, s, st.len);
            *loc_end = t->off + t->len;
            return LOC_YES;
        }
        return LOC_NO;
    }

    /* 4. decimal lat,lon: one token, or two with spaces */
    if (prc_geo_parse(s, st.len, &lat, &lon)) {
        if (!latlon_text(out->location, sizeof out->location, s, st.len)) {
            out->location[0] = '\0';
            out->error = PRC_FIELD_LOCATION;
            (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION,
                                "lat,lon too long, max %d chars. Use e.g. 51.3731,1.1281",
                                PRC_LOCATION_MAX);
            return LOC_ERR;
        }
        *loc_end = t->off + t->len;
    } else if (latlon_pair(ctx, text, end, t, out->location, sizeof out->location, &lat, &lon,
                           &last)) {
        *loc_end = last.off + last.len;
    } else {
        return LOC_NO;
    }
    out->loc_kind = PRC_LOC_LATLON;
    out->has_coords = 1;
    out->lat = lat;
    out->lon = lon;
    z = prc_gazetteer_nearest(ctx->gaz, lat, lon, ctx->radius_km);
    if (z != NULL) {
        set_zone(out, z, 0);
    }
    return LOC_YES;
}

/* The token as it may be echoed in a reply: cut, GSM-7 only. */
static void echo_token(char *echo, size_t echosz, const char *text, const prc_token *t)
{
    (void)prc_reply_echo(echo, echosz, text + t->off, t->len, PRC_ECHO_MAX);
}

/* Up to this many zone codes and landmarks are suggested for an unknown place. */
#define LOC_SUGGEST_MAX 4

static prc_field fail_location_unknown(const prc_parse_ctx *ctx, const char *text, size_t end,
                                       const prc_token *t, enum loc_mode mode, prc_msg *out)
{
    char echo[PRC_REPLY_BUF];
    char list[PRC_REPLY_BUF];
    const char *sug[LOC_SUGGEST_MAX];
    const char *ez = example_zone(ctx);
    prc_token st = strip_punct(text, t);
    prc_token pair_end;
    char key[PRC_ALIAS_MAX + 1];
    const char *k = text + st.off;
    size_t klen = st.len;
    size_t nsug;
    long budget;
    size_t used = 0;
    prc_token shown = *t;

    /* "HB 1": suggest for what the two make, and echo both */
    if (split_zone_pair(text, end, &st, &pair_end, key)) {
        k = key;
        klen = strlen(key);
        shown.len = pair_end.off + pair_end.len - t->off;
    }
    echo_token(echo, sizeof echo, text, &shown);
    out->error = PRC_FIELD_LOCATION;
    out->loc_kind = PRC_LOC_NONE;
    out->location[0] = '\0';
    out->zone[0] = '\0';
    out->has_coords = 0;

    /* Suggestions (zone codes and landmark names, ASCII) while they fit the
     * SMS: "ERR LOCATION: " + echo + " unknown. Did you mean " + list + "?" */
    nsug = prc_gazetteer_suggest(ctx->gaz, k, klen, sug, LOC_SUGGEST_MAX);
    budget = (long)PRC_REPLY_BODY_MAX - (long)strlen("ERR LOCATION: ") -
             prc_gsm7_len(echo, strlen(echo)) - (long)strlen(" unknown. Did you mean ?");
    list[0] = '\0';
    for (size_t i = 0; i < nsug; i++) {
        size_t nl = strlen(sug[i]);
        const char *sep = i == 0 ? "" : (i + 1 == nsug ? " or " : ", ");
        size_t sl = strlen(sep);

        if ((long)(used + sl + nl) > budget) {
            break;
        }
        memcpy(list + used, sep, sl);
        memcpy(list + used + sl, sug[i], nl);
        used += sl + nl;
        list[used] = '\0';
    }
    if (used > 0) {
        (void)prc_reply_err(out->reply, PRC_FIELD_LOCATION, "%s unknown. Did you mean %s?", echo,
                            list);
        /* The usual hint, if it still fits. */
        (void)prc_reply_append(out->reply, mode == LOC_MODE_ON ? "Or send ON alone"
                                                               : "Or a postcode or lat,lon");
    } else if (mode == LOC_MODE_ON) {
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

/* Where a priority is being read (docs/protocol.md "Priority"). */
enum prio_slot {
    SLOT_LEAD, /* before the code */
    SLOT_CODE, /* right after the code */
    SLOT_LOC   /* right after the place */
};

enum prio_read {
    PRIO_NONE = 0, /* not a priority: a place or the details */
    PRIO_OK,       /* *prio set */
    PRIO_BAD       /* looks like a priority but is none of P1..P4 */
};

/* Reads a priority at t: "P2", "p2", "P2." (trailing punctuation), "P!" (the
 * shifted 1: P1), or "P 2" split in two tokens (not where "P" is a place).
 * *span covers what was read (both tokens of "P 2"). */
static enum prio_read read_priority(const prc_parse_ctx *ctx, const char *text, size_t end,
                                    const prc_token *t, enum prio_slot slot, int *prio,
                                    prc_token *span)
{
    prc_token st = strip_punct(text, t);
    const unsigned char *s = (const unsigned char *)text + st.off;
    prc_token n;
    int alias_hit = 0;
    /* Right after the code a lone "P" may be a landmark; then "P!" and
     * "P 2" are that place (and details), never a priority. */
    int p_is_place = slot == SLOT_CODE && st.len == 1 &&
                     prc_gazetteer_find(ctx->gaz, "P", 1, &alias_hit) != NULL;

    *span = *t;
    if (!is_p(s[0])) {
        return PRIO_NONE;
    }
    if (st.len == 2 && s[1] >= '1' && s[1] <= '4') {
        *prio = s[1] - '0';
        return PRIO_OK;
    }
    if (st.len == 1 && t->len > 1 && text[t->off + 1] == '!' && !p_is_place) {
        *prio = 1;
        return PRIO_OK;
    }
    if (st.len == 1 && t->len == 1 && !p_is_place && token_after(text, end, t, &n)) {
        prc_token d = strip_punct(text, &n);

        /* "P 2": one digit alone after a lone P */
        if (d.len == 1 && is_digit((unsigned char)text[d.off])) {
            span->len = n.off + n.len - t->off;
            if (text[d.off] >= '1' && text[d.off] <= '4') {
                *prio = text[d.off] - '0';
                return PRIO_OK;
            }
            return PRIO_BAD;
        }
        return PRIO_NONE;
    }
    if (slot == SLOT_LOC) {
        return (prio_like_after_loc(text, t) || prio_like_after_loc(text, &st)) ? PRIO_BAD
                                                                                : PRIO_NONE;
    }
    return (prio_like_after_code(text, t) || (st.len >= 2 && prio_like_after_code(text, &st)))
               ? PRIO_BAD
               : PRIO_NONE;
}

/* A priority that could not be read: a code whose default is P1 keeps it
 * (a life at risk is never refused for a typo) and the reply says so; any
 * other code gets ERR PRIORITY. Returns 0 to go on, else the error. */
static prc_field unread_priority(const char *text, const prc_token *span, prc_msg *out)
{
    if (out->priority_given || out->priority_unread[0] != '\0') {
        return fail_priority(text, span, 1, out);
    }
    if (out->code->priority != 1) {
        return fail_priority(text, span, 0, out);
    }
    echo_token(out->priority_unread, sizeof out->priority_unread, text, span);
    out->priority = 1;
    return PRC_FIELD_NONE;
}

/* A priority read in any slot: OK sets it (twice is an error), BAD goes to
 * unread_priority(). Returns the error, PRC_FIELD_NONE to go on. */
static prc_field take_priority(const char *text, enum prio_read r, int prio,
                               const prc_token *span, prc_msg *out)
{
    if (r == PRIO_BAD) {
        return unread_priority(text, span, out);
    }
    if (out->priority_given || out->priority_unread[0] != '\0') {
        return fail_priority(text, span, 1, out);
    }
    out->priority = prio;
    out->priority_given = 1;
    return PRC_FIELD_NONE;
}

static prc_field fail_code(const prc_parse_ctx *ctx, const char *text, const prc_token *tok,
                           prc_msg *out)
{
    const prc_code *sug[3];
    char echo[PRC_REPLY_BUF];
    size_t n = prc_codes_suggest(ctx->codes, text + tok->off, tok->len, sug, 3);

    echo_token(echo, sizeof echo, text, tok);
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

/* The code at tok, trailing punctuation allowed ("Fire."). */
static const prc_code *find_code(const prc_parse_ctx *ctx, const char *text, const prc_token *tok)
{
    const prc_code *c = prc_codes_find(ctx->codes, text + tok->off, tok->len);

    if (c == NULL) {
        prc_token st = strip_punct(text, tok);

        if (st.len < tok->len) {
            c = prc_codes_find(ctx->codes, text + st.off, st.len);
        }
    }
    return c;
}

static prc_field parse_report(const prc_parse_ctx *ctx, const char *text, size_t end,
                              const prc_token *first, prc_msg *out)
{
    prc_token t;
    prc_token code_tok = *first;
    prc_token span;
    size_t pos;
    size_t loc_end = 0;
    int prio = 0;
    enum prio_read pr;
    enum loc_result r;
    prc_field f;

    out->kind = PRC_KIND_REPORT;
    out->code = find_code(ctx, text, first);
    if (out->code == NULL) {
        /* A priority before the code: "P1 RTC HB03". */
        pr = read_priority(ctx, text, end, first, SLOT_LEAD, &prio, &span);
        if (pr == PRIO_NONE || !token_after(text, end, &span, &code_tok)) {
            return fail_code(ctx, text, first, out);
        }
        out->code = find_code(ctx, text, &code_tok);
        if (out->code == NULL) {
            return fail_code(ctx, text, pr == PRIO_OK ? &code_tok : first, out);
        }
        out->priority = out->code->priority;
        f = take_priority(text, pr, prio, &span, out);
        if (f != PRC_FIELD_NONE) {
            return f;
        }
    } else {
        out->priority = out->code->priority;
    }
    pos = code_tok.off + code_tok.len;

    if (!prc_token_next(text, end, &pos, &t)) {
        goto missing;
    }
    /* Priorities right after the code: P1..P4 always is one; a bad one only
     * when the token is no place. Each turn reads one token or stops, and a
     * second priority is an error, so this runs at most three times. */
    for (;;) {
        pr = read_priority(ctx, text, end, &t, SLOT_CODE, &prio, &span);
        if (pr != PRIO_OK) {
            r = read_location(ctx, text, end, &t, LOC_MODE_REPORT, out, &loc_end);
            if (r == LOC_ERR) {
                return out->error;
            }
            if (r == LOC_YES) {
                break;
            }
            if (pr == PRIO_NONE) {
                return fail_location_unknown(ctx, text, end, &t, LOC_MODE_REPORT, out);
            }
        }
        f = take_priority(text, pr, prio, &span, out);
        if (f != PRC_FIELD_NONE) {
            return f;
        }
        pos = span.off + span.len;
        if (!prc_token_next(text, end, &pos, &t)) {
            goto missing;
        }
    }
    pos = loc_end;

    /* Priority right after the location. */
    {
        size_t npos = pos;

        if (prc_token_next(text, end, &npos, &t)) {
            pr = read_priority(ctx, text, end, &t, SLOT_LOC, &prio, &span);
            if (pr != PRIO_NONE) {
                f = take_priority(text, pr, prio, &span, out);
                if (f != PRC_FIELD_NONE) {
                    return f;
                }
                pos = span.off + span.len;
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
    enum loc_result r;

    if (!prc_token_next(text, end, &pos, &t)) {
        set_details(out, text, end, pos);
        return PRC_FIELD_NONE;
    }
    r = read_location(ctx, text, end, &t, LOC_MODE_ON, out, &loc_end);
    if (r == LOC_ERR) {
        return out->error;
    }
    if (r == LOC_NO) {
        return fail_location_unknown(ctx, text, end, &t, LOC_MODE_ON, out);
    }
    set_details(out, text, end, loc_end);
    return PRC_FIELD_NONE;
}

/* HELP ZONES [n], HELP <code or alias>; anything else is the plain HELP. */
static void parse_help(const prc_parse_ctx *ctx, const char *text, size_t end,
                       const prc_token *first, prc_msg *out)
{
    prc_token t;
    prc_token n;
    prc_token st;

    out->help = PRC_HELP_CODES;
    out->help_page = 1;
    if (!token_after(text, end, first, &t)) {
        return;
    }
    st = strip_punct(text, &t);
    if (prc_token_eq(text, &st, "ZONES") || prc_token_eq(text, &st, "ZONE")) {
        out->help = PRC_HELP_ZONES;
        if (token_after(text, end, &t, &n)) {
            prc_token d = strip_punct(text, &n);
            int page = 0;

            /* a page number of at most 3 digits; anything else is page 1 */
            if (d.len <= 3 && all_digits(text + d.off, d.len)) {
                for (size_t i = 0; i < d.len; i++) {
                    page = page * 10 + (text[d.off + i] - '0');
                }
                out->help_page = page > 0 ? page : 1;
            }
        }
        return;
    }
    out->help_code = find_code(ctx, text, &t);
    if (out->help_code != NULL) {
        out->help = PRC_HELP_CODE;
    }
}

prc_field prc_parse(const prc_parse_ctx *ctx, const char *text, size_t len, prc_msg *out)
{
    size_t end;
    size_t pos = 0;
    size_t chars;
    prc_token first;
    prc_token cmd;

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

    /* "OFF." and "Help!" are commands too */
    cmd = strip_punct(text, &first);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!prc_token_eq(text, &cmd, commands[i].word)) {
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
        case PRC_KIND_HELP:
            parse_help(ctx, text, end, &first, out);
            set_details(out, text, end, first.off + first.len);
            return PRC_FIELD_NONE;
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
