/* prc_gazetteer.c: zones, landmark aliases and postcode districts of one area. */
#include "prc_gazetteer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prc_csv.h"
#include "prc_geo.h"
#include "prc_postcode.h"
#include "prc_utf8.h"

struct prc_gazetteer {
    size_t n;
    size_t cap;
    prc_zone *zones; /* owned; cap entries */
    size_t max_words; /* most words in one alias (1 if none has a space) */
};

static const char *const header_cols[] = {"zone", "name", "lat", "lon", "aliases", "districts"};
#define GAZ_NCOLS 6

/* ASCII upper case: toupper() would depend on the locale. */
static char up(char c)
{
    if (c >= 'a' && c <= 'z') {
        return (char)(c - 'a' + 'A');
    }
    return c;
}

/* Case-insensitive: tok[0..len) equals the NUL-terminated word. */
static int eq_word(const char *tok, size_t len, const char *word)
{
    for (size_t i = 0; i < len; i++) {
        if (word[i] == '\0' || up(tok[i]) != up(word[i])) {
            return 0;
        }
    }
    return word[len] == '\0';
}

static void upper_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < dstsz && i < n; i++) {
        dst[i] = up(src[i]);
    }
    dst[i] = '\0';
}

static int is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_alnum(char c)
{
    return is_letter(c) || (c >= '0' && c <= '9');
}

/* 1..max bytes of [A-Za-z0-9]; must_letter: the first is a letter. */
static int is_word(const char *s, size_t n, size_t max, int must_letter)
{
    if (n == 0 || n > max || (must_letter && !is_letter(s[0]))) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* 1 if s[0..n) is P (any case) followed by one or more digits; spaces are
 * skipped, so that an alias "P 1" (which a sender's "P 1" would reach as a
 * priority) is refused too. */
static int looks_like_priority(const char *s, size_t n)
{
    size_t digits = 0;

    if (n < 2 || up(s[0]) != 'P') {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] == ' ') {
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        digits++;
    }
    return digits > 0;
}

/* A landmark alias: words of [A-Za-z0-9] separated by runs of spaces
 * ("HERNE BAY PIER"); normalised into out (upper case, one space between
 * words, at most PRC_ALIAS_MAX bytes). Returns its words, 0 if invalid. */
static size_t alias_words(const char *s, size_t n, char out[PRC_ALIAS_MAX + 1])
{
    size_t o = 0;
    size_t words = 0;
    size_t i = 0;

    while (i < n) {
        size_t start = i;

        while (i < n && is_alnum(s[i])) {
            i++;
        }
        if (i == start) {
            return 0; /* not a letter or digit where a word must start */
        }
        if (words > 0) {
            if (o + 1 > PRC_ALIAS_MAX) {
                return 0;
            }
            out[o++] = ' ';
        }
        if (o + (i - start) > PRC_ALIAS_MAX) {
            return 0;
        }
        for (size_t k = start; k < i; k++) {
            out[o++] = up(s[k]);
        }
        words++;
        while (i < n && s[i] == ' ') {
            i++;
        }
    }
    out[o] = '\0';
    return words;
}

/* Trims ASCII spaces around s[0..*len); returns the new start. */
static const char *trim(const char *s, size_t *len)
{
    while (*len > 0 && s[0] == ' ') {
        s++;
        (*len)--;
    }
    while (*len > 0 && s[*len - 1] == ' ') {
        (*len)--;
    }
    return s;
}

/* Checks word (a zone code or alias, described by what) against the code
 * table and the command words. 0 if fine, else -1 with the reason in why. */
static int clash_codes(const char *word, const char *what, const prc_codes *codes,
                       char *why, size_t whysz)
{
    size_t n = strlen(word);
    const prc_code *c;

    if (prc_is_command_word(word, n)) {
        (void)snprintf(why, whysz, "%s is a command word", what);
        return -1;
    }
    if (looks_like_priority(word, n)) {
        (void)snprintf(why, whysz, "%s looks like a priority", what);
        return -1;
    }
    c = codes != NULL ? prc_codes_find(codes, word, n) : NULL;
    if (c != NULL) {
        if (eq_word(word, n, c->code)) {
            (void)snprintf(why, whysz, "%s equals incident code %s", what, c->code);
        } else {
            (void)snprintf(why, whysz, "%s equals an alias of incident code %s", what, c->code);
        }
        return -1;
    }
    return 0;
}

prc_gazetteer *prc_gazetteer_empty(void)
{
    return calloc(1, sizeof(prc_gazetteer));
}

void prc_gazetteer_free(prc_gazetteer *g)
{
    if (g == NULL) {
        return;
    }
    free(g->zones);
    free(g);
}

size_t prc_gazetteer_count(const prc_gazetteer *g)
{
    return g == NULL ? 0 : g->n;
}

const prc_zone *prc_gazetteer_at(const prc_gazetteer *g, size_t i)
{
    if (g == NULL || i >= g->n) {
        return NULL;
    }
    return &g->zones[i];
}

/* The zone (of the first nz zones, and z itself) that uses word as a zone
 * code or alias; *as_alias says which. NULL if none. */
static const prc_zone *zone_use(const prc_gazetteer *g, size_t nz, const prc_zone *z,
                                const char *word, int *as_alias)
{
    size_t n = strlen(word);

    for (size_t i = 0; i <= nz; i++) {
        const prc_zone *p = i < nz ? &g->zones[i] : z;

        if (p == NULL) {
            break;
        }
        if (p->zone[0] != '\0' && eq_word(word, n, p->zone)) {
            *as_alias = 0;
            return p;
        }
        for (int a = 0; a < p->naliases; a++) {
            if (eq_word(word, n, p->aliases[a])) {
                *as_alias = 1;
                return p;
            }
        }
    }
    return NULL;
}

/* The zone (of the first nz, and z) listing district d (exact, upper case). */
static const prc_zone *district_use(const prc_gazetteer *g, size_t nz, const prc_zone *z,
                                    const char *d)
{
    for (size_t i = 0; i <= nz; i++) {
        const prc_zone *p = i < nz ? &g->zones[i] : z;

        for (int k = 0; k < p->ndistricts; k++) {
            if (strcmp(p->districts[k], d) == 0) {
                return p;
            }
        }
    }
    return NULL;
}

/* Normalises a district ("ct6") or sector ("ct6 5") into out; 1 if valid. */
static int parse_district(const char *s, size_t n, char out[PRC_DISTRICT_MAX + 1])
{
    char dist[5];

    if (n >= 3 && s[n - 2] == ' ' && s[n - 1] >= '0' && s[n - 1] <= '9') {
        if (!prc_postcode_district(s, n - 2, dist)) {
            return 0;
        }
        (void)snprintf(out, PRC_DISTRICT_MAX + 1, "%s %c", dist, s[n - 1]);
        return 1;
    }
    if (!prc_postcode_district(s, n, dist)) {
        return 0;
    }
    (void)snprintf(out, PRC_DISTRICT_MAX + 1, "%s", dist);
    return 1;
}

/* Parses a degree value with the prc_geo rules; lat selects the range. */
static int parse_degrees(const char *s, int lat, double *out)
{
    char pair[64];
    double la;
    double lo;
    int n;

    /* pair it with 0 so prc_geo_parse applies the same syntax and bounds */
    n = lat ? snprintf(pair, sizeof pair, "%s,0", s) : snprintf(pair, sizeof pair, "0,%s", s);
    if (n < 0 || (size_t)n >= sizeof pair) {
        return 0;
    }
    if (!prc_geo_parse(pair, (size_t)n, &la, &lo)) {
        return 0;
    }
    *out = lat ? la : lo;
    return 1;
}

/* Splits a '|' list; calls add(piece) for each. 0, or -1 if add failed or
 * a piece is empty (then *empty = 1). */
typedef int (*piece_fn)(void *ctx, const char *s, size_t n);

static int split_list(const char *list, piece_fn add, void *ctx, int *empty)
{
    const char *p = list;

    *empty = 0;
    if (p[0] == '\0') {
        return 0;
    }
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        const char *w = trim(p, &n);

        if (n == 0) {
            *empty = 1;
            return -1;
        }
        if (add(ctx, w, n) != 0) {
            return -1;
        }
        if (bar == NULL) {
            return 0;
        }
        p = bar + 1;
    }
}

/* State for one row's alias and district lists. */
typedef struct row_ctx {
    const prc_gazetteer *g;
    prc_zone *z;
    const prc_codes *codes;
    size_t words; /* most words in one alias of the row */
    char why[PRC_ERR_MAX];
} row_ctx;

static int add_alias(void *vctx, const char *s, size_t n)
{
    row_ctx *x = vctx;
    prc_zone *z = x->z;
    char word[PRC_ALIAS_MAX + 1];
    char what[PRC_ALIAS_MAX + PRC_ZONE_MAX + 16];
    const prc_zone *other;
    int as_alias = 0;
    size_t words = alias_words(s, n, word);

    if (words == 0) {
        (void)snprintf(x->why, sizeof x->why,
                       "alias '%.*s' of %s invalid: 1..%d letters, digits or spaces "
                       "between words",
                       (int)(n > 32 ? 32 : n), s, z->zone, PRC_ALIAS_MAX);
        return -1;
    }
    if (z->naliases == PRC_MAX_ZONE_ALIASES) {
        (void)snprintf(x->why, sizeof x->why, "zone %s has more than %d aliases", z->zone,
                       PRC_MAX_ZONE_ALIASES);
        return -1;
    }
    (void)snprintf(what, sizeof what, "alias %s of %s", word, z->zone);
    if (clash_codes(word, what, x->codes, x->why, sizeof x->why) != 0) {
        return -1;
    }
    other = zone_use(x->g, x->g->n, z, word, &as_alias);
    if (other != NULL) {
        (void)snprintf(x->why, sizeof x->why, "%s already used %s %s", what,
                       as_alias ? "as an alias of zone" : "as zone", other->zone);
        return -1;
    }
    memcpy(z->aliases[z->naliases++], word, sizeof word);
    if (words > x->words) {
        x->words = words;
    }
    return 0;
}

static int add_district(void *vctx, const char *s, size_t n)
{
    row_ctx *x = vctx;
    prc_zone *z = x->z;
    char d[PRC_DISTRICT_MAX + 1];
    const prc_zone *other;

    if (n > PRC_DISTRICT_MAX || !parse_district(s, n, d)) {
        (void)snprintf(x->why, sizeof x->why,
                       "district '%.*s' of %s invalid (a postcode district such as CT6, "
                       "or a sector such as CT6 5)",
                       (int)(n > 16 ? 16 : n), s, z->zone);
        return -1;
    }
    if (z->ndistricts == PRC_MAX_ZONE_DISTRICTS) {
        (void)snprintf(x->why, sizeof x->why, "zone %s has more than %d districts", z->zone,
                       PRC_MAX_ZONE_DISTRICTS);
        return -1;
    }
    other = district_use(x->g, x->g->n, z, d);
    if (other != NULL) {
        (void)snprintf(x->why, sizeof x->why, "district %s of %s already listed by zone %s",
                       d, z->zone, other->zone);
        return -1;
    }
    memcpy(z->districts[z->ndistricts++], d, sizeof d);
    return 0;
}

/* Parses one data row into z (not yet counted in g). 0, or -1 with err. */
static int load_row(const prc_gazetteer *g, prc_zone *z, const prc_csv_row *row,
                    const prc_codes *codes, const char *fname, char *err, size_t errsz,
                    size_t *words)
{
    row_ctx x;
    size_t n;
    const char *f;
    char what[PRC_ZONE_MAX + 8];
    const prc_zone *other;
    int as_alias = 0;
    int empty = 0;

    memset(z, 0, sizeof *z);
    if (row->nfields != GAZ_NCOLS) {
        prc_csv_error(err, errsz, fname, row->line,
                "expected %d columns (zone,name,lat,lon,aliases,districts), got %d",
                GAZ_NCOLS, row->nfields);
        return -1;
    }

    f = row->field[0];
    n = strlen(f);
    if (!is_word(f, n, PRC_ZONE_MAX, 1)) {
        prc_csv_error(err, errsz, fname, row->line,
                "zone '%.20s' invalid: 1..%d letters or digits, starting with a letter", f,
                PRC_ZONE_MAX);
        return -1;
    }
    upper_copy(z->zone, sizeof z->zone, f, n);
    (void)snprintf(what, sizeof what, "zone %s", z->zone);
    if (clash_codes(z->zone, what, codes, x.why, sizeof x.why) != 0) {
        prc_csv_error(err, errsz, fname, row->line, "%s", x.why);
        return -1;
    }
    other = zone_use(g, g->n, NULL, z->zone, &as_alias);
    if (other != NULL) {
        prc_csv_error(err, errsz, fname, row->line, "zone %s already used %s %s", z->zone,
                as_alias ? "as an alias of zone" : "as zone", other->zone);
        return -1;
    }

    f = row->field[1];
    n = strlen(f);
    if (n == 0 || n > PRC_NAME_MAX) {
        prc_csv_error(err, errsz, fname, row->line, "name of %s must be 1..%d bytes", z->zone,
                PRC_NAME_MAX);
        return -1;
    }
    if (!prc_utf8_valid(f, n)) {
        prc_csv_error(err, errsz, fname, row->line, "name of %s is not valid UTF-8", z->zone);
        return -1;
    }
    memcpy(z->name, f, n + 1);

    if (!parse_degrees(row->field[2], 1, &z->lat)) {
        prc_csv_error(err, errsz, fname, row->line,
                "lat '%.20s' of %s invalid (decimal degrees, -90 to 90)", row->field[2],
                z->zone);
        return -1;
    }
    if (!parse_degrees(row->field[3], 0, &z->lon)) {
        prc_csv_error(err, errsz, fname, row->line,
                "lon '%.20s' of %s invalid (decimal degrees, -180 to 180)", row->field[3],
                z->zone);
        return -1;
    }

    x.g = g;
    x.z = z;
    x.codes = codes;
    x.words = 1;
    x.why[0] = '\0';
    if (split_list(row->field[4], add_alias, &x, &empty) != 0) {
        if (empty) {
            prc_csv_error(err, errsz, fname, row->line, "empty alias of %s (stray '|')", z->zone);
        } else {
            prc_csv_error(err, errsz, fname, row->line, "%s", x.why);
        }
        return -1;
    }
    if (split_list(row->field[5], add_district, &x, &empty) != 0) {
        if (empty) {
            prc_csv_error(err, errsz, fname, row->line, "empty district of %s (stray '|')", z->zone);
        } else {
            prc_csv_error(err, errsz, fname, row->line, "%s", x.why);
        }
        return -1;
    }
    *words = x.words;
    return 0;
}

/* Room for one more zone; 0, or -1 on ENOMEM. */
static int grow(prc_gazetteer *g)
{
    size_t cap;
    prc_zone *z;

    if (g->n < g->cap) {
        return 0;
    }
    cap = g->cap == 0 ? 16 : g->cap * 2;
    if (cap > PRC_MAX_ZONES) {
        cap = PRC_MAX_ZONES;
    }
    z = realloc(g->zones, cap * sizeof *z);
    if (z == NULL) {
        return -1;
    }
    g->zones = z;
    g->cap = cap;
    return 0;
}

typedef struct load_ctx {
    prc_gazetteer *g;
    const prc_codes *codes;
} load_ctx;

static int load_row_fn(void *vctx, const prc_csv_row *row, const char *fname, char *err,
                       size_t errsz)
{
    load_ctx *ctx = vctx;
    prc_gazetteer *g = ctx->g;
    size_t words = 1;

    if (grow(g) != 0) {
        prc_csv_error(err, errsz, fname, row->line, "out of memory");
        return -1;
    }
    if (load_row(g, &g->zones[g->n], row, ctx->codes, fname, err, errsz, &words) != 0) {
        return -1;
    }
    if (words > g->max_words) {
        g->max_words = words;
    }
    g->n++;
    return 0;
}

prc_gazetteer *prc_gazetteer_load(const char *csv, size_t len, const char *fname,
                                  const prc_codes *codes, char *err, size_t errsz)
{
    prc_gazetteer *g = NULL;

    if (fname == NULL) {
        fname = "gazetteer";
    }
    g = calloc(1, sizeof *g);
    if (g == NULL) {
        prc_csv_error(err, errsz, fname, 1, "out of memory");
        return NULL;
    }
    load_ctx ctx = { g, codes };
    if (prc_csv_table(csv, len, fname, header_cols, GAZ_NCOLS, "zones", PRC_MAX_ZONES,
                      load_row_fn, &ctx, err, errsz) != 0) {
        goto fail;
    }
    return g;

fail:
    prc_gazetteer_free(g);
    return NULL;
}

int prc_gazetteer_check(const prc_gazetteer *g, const prc_codes *codes, char *err,
                        size_t errsz)
{
    char what[PRC_ALIAS_MAX + PRC_ZONE_MAX + 16];
    char why[PRC_ERR_MAX];

    if (g == NULL) {
        return 0;
    }
    for (size_t i = 0; i < g->n; i++) {
        const prc_zone *z = &g->zones[i];

        (void)snprintf(what, sizeof what, "zone %s", z->zone);
        if (clash_codes(z->zone, what, codes, why, sizeof why) != 0) {
            goto fail;
        }
        for (int a = 0; a < z->naliases; a++) {
            (void)snprintf(what, sizeof what, "alias %s of %s", z->aliases[a], z->zone);
            if (clash_codes(z->aliases[a], what, codes, why, sizeof why) != 0) {
                goto fail;
            }
        }
    }
    return 0;

fail:
    if (err != NULL && errsz > 0) {
        (void)snprintf(err, errsz, "%s", why);
    }
    return -1;
}

const prc_zone *prc_gazetteer_find(const prc_gazetteer *g, const char *tok, size_t len,
                                   int *alias_hit)
{
    if (alias_hit != NULL) {
        *alias_hit = 0;
    }
    if (g == NULL || tok == NULL || len == 0 || len > PRC_ALIAS_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < g->n; i++) {
        if (eq_word(tok, len, g->zones[i].zone)) {
            return &g->zones[i];
        }
    }
    for (size_t i = 0; i < g->n; i++) {
        const prc_zone *z = &g->zones[i];

        for (int a = 0; a < z->naliases; a++) {
            if (eq_word(tok, len, z->aliases[a])) {
                if (alias_hit != NULL) {
                    *alias_hit = 1;
                }
                return z;
            }
        }
    }
    return NULL;
}

/* The zone listing district or sector d (case-insensitive); NULL if none. */
static const prc_zone *by_district(const prc_gazetteer *g, const char *d)
{
    size_t n = strlen(d);

    for (size_t i = 0; i < g->n; i++) {
        const prc_zone *z = &g->zones[i];

        for (int k = 0; k < z->ndistricts; k++) {
            if (eq_word(d, n, z->districts[k])) {
                return z;
            }
        }
    }
    return NULL;
}

const prc_zone *prc_gazetteer_postcode(const prc_gazetteer *g, const char *pc)
{
    char sector[7];
    char dist[5];
    const prc_zone *z;

    if (g == NULL || pc == NULL || pc[0] == '\0') {
        return NULL;
    }
    if (strchr(pc, ' ') == NULL) {
        /* a district alone */
        return strlen(pc) <= 4 ? by_district(g, pc) : NULL;
    }
    prc_postcode_split(pc, sector, dist);
    if (sector[0] == '\0') {
        return NULL;
    }
    /* the most specific wins: sector, then district */
    z = by_district(g, sector);
    if (z == NULL) {
        z = by_district(g, dist);
    }
    return z;
}

const prc_zone *prc_gazetteer_nearest(const prc_gazetteer *g, double lat, double lon,
                                      double radius_km)
{
    const prc_zone *best = NULL;
    double best_km = 0.0;

    if (g == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < g->n; i++) {
        double km = prc_geo_km(lat, lon, g->zones[i].lat, g->zones[i].lon);

        if (best == NULL || km < best_km) {
            best = &g->zones[i];
            best_km = km;
        }
    }
    if (best == NULL || best_km > radius_km) {
        return NULL;
    }
    return best;
}

int prc_gazetteer_is_area(const prc_gazetteer *g, const char *tok, size_t len)
{
    if (g == NULL || tok == NULL || len == 0 || len > PRC_ZONE_MAX) {
        return 0;
    }
    for (size_t i = 0; i < g->n; i++) {
        const char *z = g->zones[i].zone;
        size_t k;

        for (k = 0; k < len && z[k] != '\0' && up(tok[k]) == z[k]; k++) {
        }
        if (k == len) {
            return 1;
        }
    }
    return 0;
}

size_t prc_gazetteer_alias_words(const prc_gazetteer *g)
{
    return (g == NULL || g->max_words < 1) ? 1 : g->max_words;
}

/* Optimal string alignment distance of a[0..la) and b[0..lb), both upper
 * case and at most PRC_ALIAS_MAX bytes (callers check); any distance
 * above cap is returned as cap + 1, as soon as two rows in a row exceed it
 * (a row can lower the next only through a transposition from the one
 * before), so that an unknown place against a large gazetteer stays cheap. */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb, size_t cap)
{
    size_t d[PRC_ALIAS_MAX + 1][PRC_ALIAS_MAX + 1];
    size_t prev_min = 0;

    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t row_min = d[i][0];

        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;

            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
            if (best < row_min) {
                row_min = best;
            }
        }
        if (row_min > cap && prev_min > cap) {
            return cap + 1;
        }
        prev_min = row_min;
    }
    return d[la][lb] > cap ? cap + 1 : d[la][lb];
}

/* Distance of tok (upper case) to cand (stored upper case) if it counts as a
 * suggestion (at most 2 edits, and fewer than the longer length), else 3. */
static size_t near(const char *tok, size_t len, const char *cand)
{
    size_t lc = strlen(cand);
    size_t longest = len > lc ? len : lc;
    size_t dist;

    /* more than 2 apart in length is more than 2 edits: skip the table */
    if (lc > len + 2 || len > lc + 2 || lc > PRC_ALIAS_MAX) {
        return 3;
    }
    dist = osa_distance(tok, len, cand, lc, 2);
    if (dist > 2 || dist >= longest) {
        return 3;
    }
    return dist;
}

/* Distances remembered between the two passes of prc_gazetteer_suggest()
 * (names beyond these are measured again). */
#define SUGGEST_CACHE 512

size_t prc_gazetteer_suggest(const prc_gazetteer *g, const char *tok, size_t len,
                             const char **out, size_t max)
{
    unsigned char cache[SUGGEST_CACHE];
    char key[PRC_ALIAS_MAX + 1];
    size_t best = 3;
    size_t nout = 0;
    size_t k = 0;

    if (g == NULL || tok == NULL || out == NULL || max == 0 || len == 0 ||
        len > PRC_ALIAS_MAX) {
        return 0;
    }
    upper_copy(key, sizeof key, tok, len);
    /* Two passes, no allocation: the smallest distance found, then the names
     * at that distance in table order (a zone's code before its aliases). */
    for (size_t i = 0; i < g->n; i++) {
        const prc_zone *z = &g->zones[i];

        for (int a = -1; a < z->naliases; a++) {
            size_t d = near(key, len, a < 0 ? z->zone : z->aliases[a]);

            if (k < SUGGEST_CACHE) {
                cache[k] = (unsigned char)d;
            }
            k++;
            if (d < best) {
                best = d;
            }
        }
    }
    if (best > 2) {
        return 0;
    }
    k = 0;
    for (size_t i = 0; i < g->n && nout < max; i++) {
        const prc_zone *z = &g->zones[i];

        for (int a = -1; a < z->naliases && nout < max; a++) {
            const char *name = a < 0 ? z->zone : z->aliases[a];
            size_t d = k < SUGGEST_CACHE ? cache[k] : near(key, len, name);

            k++;
            if (d == best) {
                out[nout++] = name;
            }
        }
    }
    return nout;
}
