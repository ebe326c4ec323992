/* prc_codes.c: the incident code table (built-in default, or loaded from CSV text). */
#include "prc_codes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prc_csv.h"
#include "prc_utf8.h"

struct prc_codes {
    size_t n;
    prc_code codes[PRC_MAX_CODES];
};

/* The built-in table, as in the PRC/1 contract. */
typedef struct default_code {
    const char *code;
    const char *aliases[3];
    const char *name;
    int priority;
    int alert;
} default_code;

static const default_code default_codes[] = {
    {"RTC", {"RTA", "CRASH", NULL}, "road traffic collision", 1, 1},
    {"MED", {"FA", "AMB", NULL}, "medical emergency, first aid", 1, 1},
    {"BLEED", {"BLD", NULL, NULL}, "catastrophic bleed", 1, 1},
    {"VIO", {"FIGHT", "ASLT", NULL}, "violence, assault, fight in progress", 1, 1},
    {"WPN", {"KNIFE", NULL, NULL}, "weapon seen", 1, 1},
    {"FIRE", {NULL, NULL, NULL}, "fire", 1, 1},
    {"MISPER", {"MISS", NULL, NULL}, "missing or vulnerable person (e.g. dementia)", 1, 1},
    {"MH", {"WELF", NULL, NULL}, "mental health crisis, welfare concern", 2, 1},
    {"HATE", {NULL, NULL, NULL}, "hate incident", 2, 1},
    {"DOOR", {"ROGUE", NULL, NULL}, "doorstep crime, rogue trader", 2, 1},
    {"ASB", {NULL, NULL, NULL}, "anti-social behaviour", 3, 1},
    {"DRG", {"DRUGS", NULL, NULL}, "drug activity, substance misuse", 3, 1},
    {"THEFT", {"SHOP", NULL, NULL}, "theft, shoplifting (business crime)", 3, 1},
    {"SUS", {NULL, NULL, NULL}, "suspicious person, vehicle or activity", 3, 1},
    {"DMG", {"CRIM", NULL, NULL}, "criminal damage, graffiti", 4, 1},
    {"ENV", {"FLY", NULL, NULL}, "fly-tipping, hazard, street fault", 4, 1},
    {"INFO", {"INT", NULL, NULL}, "intelligence or information for partners", 4, 1},
    {"ENG", {NULL, NULL, NULL}, "engagement with the public (a log, never an alert)", 4, 0},
};

static const char *const command_words[] = {"UPD", "CLR", "ACK", "ON", "OFF", "HELP", "?"};

static const char *const header_cols[] = {"code", "aliases", "name", "priority", "alert"};
#define CODES_NCOLS 5

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
    size_t i;

    for (i = 0; i < len; i++) {
        if (word[i] == '\0' || up(tok[i]) != up(word[i])) {
            return 0;
        }
    }
    return word[len] == '\0';
}

int prc_is_command_word(const char *tok, size_t len)
{
    if (tok == NULL) {
        return 0;
    }
    for (size_t i = 0; i < sizeof command_words / sizeof command_words[0]; i++) {
        if (eq_word(tok, len, command_words[i])) {
            return 1;
        }
    }
    return 0;
}

prc_codes *prc_codes_default(void)
{
    prc_codes *c = calloc(1, sizeof *c);

    if (c == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof default_codes / sizeof default_codes[0]; i++) {
        const default_code *d = &default_codes[i];
        prc_code *p = &c->codes[i];

        snprintf(p->code, sizeof p->code, "%s", d->code);
        for (size_t a = 0; a < 3 && d->aliases[a] != NULL; a++) {
            snprintf(p->aliases[a], sizeof p->aliases[a], "%s", d->aliases[a]);
            p->naliases++;
        }
        snprintf(p->name, sizeof p->name, "%s", d->name);
        p->priority = d->priority;
        p->alert = d->alert;
    }
    c->n = sizeof default_codes / sizeof default_codes[0];
    return c;
}

void prc_codes_free(prc_codes *c)
{
    free(c);
}

size_t prc_codes_count(const prc_codes *c)
{
    return c == NULL ? 0 : c->n;
}

const prc_code *prc_codes_at(const prc_codes *c, size_t i)
{
    if (c == NULL || i >= c->n) {
        return NULL;
    }
    return &c->codes[i];
}

const prc_code *prc_codes_find(const prc_codes *c, const char *tok, size_t len)
{
    if (c == NULL || tok == NULL || len == 0 || len > PRC_CODE_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < c->n; i++) {
        const prc_code *p = &c->codes[i];

        if (eq_word(tok, len, p->code)) {
            return p;
        }
        for (int a = 0; a < p->naliases; a++) {
            if (eq_word(tok, len, p->aliases[a])) {
                return p;
            }
        }
    }
    return NULL;
}

/* Optimal string alignment distance, case-insensitive; a, b at most
 * PRC_CODE_MAX + 2 bytes (callers check). */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[PRC_CODE_MAX + 3][PRC_CODE_MAX + 3];

    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = up(a[i - 1]) == up(b[j - 1]) ? 0 : 1;
            size_t best = d[i - 1][j] + 1;

            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && up(a[i - 1]) == up(b[j - 2]) &&
                up(a[i - 2]) == up(b[j - 1]) && d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Distance of tok to cand if it counts as a suggestion, else SIZE_MAX-ish (3). */
static size_t suggest_distance(const char *tok, size_t len, const char *cand)
{
    size_t lc = strlen(cand);
    size_t longest = len > lc ? len : lc;
    size_t dist = osa_distance(tok, len, cand, lc);

    /* distance < longer length, so one letter does not match every short code */
    if (dist > 2 || dist >= longest) {
        return 3;
    }
    return dist;
}

size_t prc_codes_suggest(const prc_codes *c, const char *tok, size_t len,
                         const prc_code **out, size_t max)
{
    size_t best[PRC_MAX_CODES];
    size_t nout = 0;

    if (c == NULL || tok == NULL || out == NULL || max == 0 || len == 0 ||
        len > PRC_CODE_MAX + 2) {
        return 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        const prc_code *p = &c->codes[i];

        best[i] = suggest_distance(tok, len, p->code);
        for (int a = 0; a < p->naliases; a++) {
            size_t d = suggest_distance(tok, len, p->aliases[a]);
            if (d < best[i]) {
                best[i] = d;
            }
        }
    }
    /* Only the nearest distance found: "ABS" suggests ASB, not also codes two
     * edits away, so the reply points at the likely intent. Ties in table order. */
    for (size_t dist = 0; dist <= 2 && nout == 0; dist++) {
        for (size_t i = 0; i < c->n && nout < max; i++) {
            if (best[i] == dist) {
                out[nout++] = &c->codes[i];
            }
        }
    }
    return nout;
}

/* Loader. */

/* A code or alias: 1..PRC_CODE_MAX of [A-Za-z0-9], starting with a letter. */
static int is_code_word(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > PRC_CODE_MAX) {
        return 0;
    }
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/* 1 if s is the letter L (any case) followed by one or more digits. */
static int letter_digits(const char *s, char letter)
{
    if (up(s[0]) != letter || s[1] == '\0') {
        return 0;
    }
    for (size_t i = 1; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static void upper_copy(char *dst, size_t dstsz, const char *src)
{
    size_t i;

    for (i = 0; i + 1 < dstsz && src[i] != '\0'; i++) {
        dst[i] = up(src[i]);
    }
    dst[i] = '\0';
}

/* Where a word is already used: code or alias of an earlier code, or of
 * the row being built (its code and the aliases accepted so far). */
typedef struct word_use {
    const prc_code *owner; /* NULL if unused */
    int as_alias;          /* 1 if it is one of owner's aliases */
} word_use;

static word_use find_use(const prc_codes *c, const prc_code *row, const char *word)
{
    word_use u = {NULL, 0};
    size_t n = strlen(word);

    for (size_t i = 0; i <= c->n; i++) {
        /* i == c->n is the row being built, which lives in codes[c->n] */
        const prc_code *p = i < c->n ? &c->codes[i] : row;

        if (p->code[0] != '\0' && eq_word(word, n, p->code)) {
            u.owner = p;
            return u;
        }
        for (int a = 0; a < p->naliases; a++) {
            if (eq_word(word, n, p->aliases[a])) {
                u.owner = p;
                u.as_alias = 1;
                return u;
            }
        }
    }
    return u;
}

/* Checks one code or alias (of_code: the row's code for an alias, NULL for
 * the code itself); 0 if fine, else -1 with err. */
static int check_word(const prc_codes *c, const prc_code *row, const char *word,
                      const char *of_code, const char *fname, unsigned line,
                      char *err, size_t errsz)
{
    char what[64];
    char upw[PRC_CODE_MAX + 1];
    word_use u;

    if (!is_code_word(word)) {
        prc_csv_error(err, errsz, fname, line,
                "%s '%.20s'%s%s invalid: 1..%d letters or digits, starting with a letter",
                of_code ? "alias" : "code", word, of_code ? " of " : "",
                of_code ? of_code : "", PRC_CODE_MAX);
        return -1;
    }
    /* errors show the word as it will be stored: upper case */
    upper_copy(upw, sizeof upw, word);
    (void)snprintf(what, sizeof what, "%s %s%s%s", of_code ? "alias" : "code", upw,
                   of_code ? " of " : "", of_code ? of_code : "");
    if (letter_digits(word, 'P')) {
        prc_csv_error(err, errsz, fname, line, "%s looks like a priority", what);
        return -1;
    }
    if (letter_digits(word, 'R')) {
        prc_csv_error(err, errsz, fname, line, "%s looks like a report reference", what);
        return -1;
    }
    if (prc_is_command_word(word, strlen(word))) {
        prc_csv_error(err, errsz, fname, line, "%s is a command word", what);
        return -1;
    }
    u = find_use(c, row, word);
    if (u.owner == row) {
        prc_csv_error(err, errsz, fname, line, "%s repeats a code or alias of the same row", what);
        return -1;
    }
    if (u.owner != NULL && u.as_alias) {
        prc_csv_error(err, errsz, fname, line, "%s already used as an alias of code %s",
                what, u.owner->code);
        return -1;
    }
    if (u.owner != NULL) {
        prc_csv_error(err, errsz, fname, line, "%s already used by code %s", what,
                u.owner->code);
        return -1;
    }
    return 0;
}

/* Trims ASCII spaces around s[0..*len) in place; returns the new start. */
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

static int parse_priority(const char *s)
{
    if ((s[0] == 'P' || s[0] == 'p') && s[1] != '\0') {
        s++;
    }
    if (s[0] >= '1' && s[0] <= '4' && s[1] == '\0') {
        return s[0] - '0';
    }
    return 0;
}

/* 1 yes, 0 no, -1 neither. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = {"yes", "y", "true", "1"};
    static const char *const no[] = {"no", "n", "false", "0"};
    size_t n = strlen(s);

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (eq_word(s, n, yes[i])) {
            return 1;
        }
        if (eq_word(s, n, no[i])) {
            return 0;
        }
    }
    return -1;
}

/* Parses one data row into c->codes[c->n]; 0 or -1 with err. */
static int load_row(prc_codes *c, const prc_csv_row *row, const char *fname,
                    char *err, size_t errsz)
{
    prc_code *p = &c->codes[c->n];
    const char *al;
    size_t namelen;

    memset(p, 0, sizeof *p);
    if (row->nfields != CODES_NCOLS) {
        prc_csv_error(err, errsz, fname, row->line,
                "expected %d columns (code,aliases,name,priority,alert), got %d",
                CODES_NCOLS, row->nfields);
        return -1;
    }
    al = row->field[1];
    namelen = strlen(row->field[2]);
    if (check_word(c, p, row->field[0], NULL, fname, row->line, err, errsz) != 0) {
        return -1;
    }
    upper_copy(p->code, sizeof p->code, row->field[0]);

    /* aliases: '|'-separated, empty field means none */
    while (al[0] != '\0') {
        const char *bar = strchr(al, '|');
        size_t n = bar != NULL ? (size_t)(bar - al) : strlen(al);
        const char *w = trim(al, &n);
        char word[PRC_CODE_MAX + 2];

        if (n == 0) {
            prc_csv_error(err, errsz, fname, row->line, "empty alias of %s (stray '|')", p->code);
            return -1;
        }
        if (p->naliases == PRC_MAX_CODE_ALIASES) {
            prc_csv_error(err, errsz, fname, row->line, "code %s has more than %d aliases",
                    p->code, PRC_MAX_CODE_ALIASES);
            return -1;
        }
        /* an overlong alias is cut to one byte past the cap, so check_word refuses it */
        if (n > PRC_CODE_MAX + 1) {
            n = PRC_CODE_MAX + 1;
        }
        memcpy(word, w, n);
        word[n] = '\0';
        if (check_word(c, p, word, p->code, fname, row->line, err, errsz) != 0) {
            return -1;
        }
        upper_copy(p->aliases[p->naliases], sizeof p->aliases[0], word);
        p->naliases++;
        if (bar == NULL) {
            break;
        }
        al = bar + 1;
        if (al[0] == '\0') {
            prc_csv_error(err, errsz, fname, row->line, "empty alias of %s (stray '|')", p->code);
            return -1;
        }
    }

    if (namelen == 0 || namelen > PRC_NAME_MAX) {
        prc_csv_error(err, errsz, fname, row->line, "name of %s must be 1..%d bytes", p->code,
                PRC_NAME_MAX);
        return -1;
    }
    if (!prc_utf8_valid(row->field[2], namelen)) {
        prc_csv_error(err, errsz, fname, row->line, "name of %s is not valid UTF-8", p->code);
        return -1;
    }
    memcpy(p->name, row->field[2], namelen + 1);

    p->priority = parse_priority(row->field[3]);
    if (p->priority == 0) {
        prc_csv_error(err, errsz, fname, row->line, "priority '%.20s' of %s invalid (1..4 or P1..P4)",
                row->field[3], p->code);
        return -1;
    }
    p->alert = parse_bool(row->field[4]);
    if (p->alert < 0) {
        prc_csv_error(err, errsz, fname, row->line, "alert '%.20s' of %s invalid (yes or no)",
                row->field[4], p->code);
        return -1;
    }
    return 0;
}

static int load_row_fn(void *ctx, const prc_csv_row *row, const char *fname, char *err,
                       size_t errsz)
{
    prc_codes *c = ctx;
    if (load_row(c, row, fname, err, errsz) != 0) {
        return -1;
    }
    c->n++;
    return 0;
}

prc_codes *prc_codes_load(const char *csv, size_t len, const char *fname,
                          char *err, size_t errsz)
{
    prc_codes *c = NULL;

    if (fname == NULL) {
        fname = "codes";
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        prc_csv_error(err, errsz, fname, 1, "out of memory");
        return NULL;
    }
    if (prc_csv_table(csv, len, fname, header_cols, CODES_NCOLS, "codes", PRC_MAX_CODES,
                      load_row_fn, c, err, errsz) != 0) {
        goto fail;
    }
    return c;

fail:
    free(c);
    return NULL;
}
