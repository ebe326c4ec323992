/* test_prc_gazetteer.c: the gazetteer loader and its lookups, on the Herne Bay sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prc_codes.h"
#include "prc_gazetteer.h"
#include "prc_limits.h"

typedef struct fixture {
    prc_codes *codes;
    prc_gazetteer *gaz; /* docs/examples/hernebay/gazetteer.csv */
} fixture;

/* Reads the sample file (the test reads it, the library never touches files). */
static char *read_sample(const char *rel, size_t *len)
{
    const char *src = getenv("PATROL_SOURCE");
    char path[1024];
    char *buf;
    FILE *f;
    int n;

    if (src == NULL) {
        return NULL;
    }
    n = snprintf(path, sizeof path, "%s/%s", src, rel);
    if (n < 0 || (size_t)n >= sizeof path) {
        return NULL;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    buf = malloc((size_t)PRC_TABLE_FILE_MAX);
    if (buf == NULL) {
        (void)fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, (size_t)PRC_TABLE_FILE_MAX, f);
    if (ferror(f) || fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char err[PRC_ERR_MAX] = "";
    size_t len = 0;
    char *text;

    if (fx == NULL) {
        return -1;
    }
    fx->codes = prc_codes_default();
    text = read_sample("docs/examples/hernebay/gazetteer.csv", &len);
    if (fx->codes == NULL || text == NULL) {
        print_error("cannot read the sample (PATROL_SOURCE=%s)\n",
                    getenv("PATROL_SOURCE") ? getenv("PATROL_SOURCE") : "unset");
        free(text);
        prc_codes_free(fx->codes);
        free(fx);
        return -1;
    }
    fx->gaz = prc_gazetteer_load(text, len, "gazetteer.csv", fx->codes, err, sizeof err);
    free(text);
    if (fx->gaz == NULL) {
        print_error("sample does not load: %s\n", err);
        prc_codes_free(fx->codes);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;

    prc_gazetteer_free(fx->gaz);
    prc_codes_free(fx->codes);
    free(fx);
    return 0;
}

static void test_sample_zones(void **state)
{
    fixture *fx = *state;
    const prc_zone *z;

    assert_int_equal(prc_gazetteer_count(fx->gaz), 12);
    for (size_t i = 0; i < 12; i++) {
        char want[8];

        z = prc_gazetteer_at(fx->gaz, i);
        assert_non_null(z);
        (void)snprintf(want, sizeof want, "HB%02zu", i + 1);
        assert_string_equal(z->zone, want);
        assert_true(strlen(z->name) > 0);
        /* every centroid is in or near Herne Bay */
        assert_true(z->lat > 51.33 && z->lat < 51.39);
        assert_true(z->lon > 1.07 && z->lon < 1.21);
    }
    assert_null(prc_gazetteer_at(fx->gaz, 12));
    z = prc_gazetteer_at(fx->gaz, 0);
    assert_float_equal(z->lat, 51.3716, 1e-9);
    assert_float_equal(z->lon, 1.1283, 1e-9);
    assert_int_equal(z->ndistricts, 1);
    assert_string_equal(z->districts[0], "CT6");
    /* the sample passes the re-check against the default codes */
    assert_int_equal(prc_gazetteer_check(fx->gaz, fx->codes, NULL, 0), 0);
}

static void test_find(void **state)
{
    static const struct {
        const char *tok;
        const char *zone; /* NULL: none */
        int alias;
    } cases[] = {
        {"HB12", "HB12", 0},   {"hb12", "HB12", 0},   {"Hb01", "HB01", 0},
        {"PIER", "HB02", 1},   {"pier", "HB02", 1},   {"Clock", "HB03", 1},
        {"STATION", "HB01", 1}, {"bandstand", "HB02", 1}, {"MEMPARK", "HB01", 1},
        {"KingsHall", "HB03", 1}, {"REC", "HB12", 1}, {"herne", "HB11", 1},
        {"HB13", NULL, 0},     {"HB1", NULL, 0},      {"HB", NULL, 0},
        {"PIERS", NULL, 0},    {"", NULL, 0},         {"ASB", NULL, 0},
        {"CT6", NULL, 0},
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int alias_hit = -1;
        const prc_zone *z = prc_gazetteer_find(fx->gaz, cases[i].tok, strlen(cases[i].tok),
                                               &alias_hit);
        if (cases[i].zone == NULL) {
            if (z != NULL) {
                fail_msg("'%s' found %s", cases[i].tok, z->zone);
            }
            assert_int_equal(alias_hit, 0);
            continue;
        }
        if (z == NULL || strcmp(z->zone, cases[i].zone) != 0 || alias_hit != cases[i].alias) {
            fail_msg("'%s': got %s alias %d, want %s alias %d", cases[i].tok,
                     z ? z->zone : "(none)", alias_hit, cases[i].zone, cases[i].alias);
        }
    }
    /* alias_hit may be NULL; only len bytes count */
    assert_non_null(prc_gazetteer_find(fx->gaz, "PIERXX", 4, NULL));
}

static void test_postcode(void **state)
{
    static const struct {
        const char *pc;
        const char *zone; /* NULL: unmapped */
    } cases[] = {
        {"CT6 5AB", "HB03"}, /* sector CT6 5 beats district CT6 */
        {"ct6 5ab", "HB03"},
        {"CT6 8JX", "HB05"},
        {"CT6 7LT", "HB11"},
        {"CT6 6BA", "HB06"},
        {"CT6 1AA", "HB01"}, /* no sector CT6 1: the district */
        {"CT6 9ZZ", "HB01"},
        {"CT6", "HB01"},     /* a district alone */
        {"ct6", "HB01"},
        {"CT6 5", "HB03"},   /* a sector alone */
        {"CT5 1AA", NULL},   /* Whitstable: not in this gazetteer */
        {"CT5", NULL},
        {"CT61", NULL},
        {"", NULL},
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const prc_zone *z = prc_gazetteer_postcode(fx->gaz, cases[i].pc);

        if (cases[i].zone == NULL ? z != NULL
                                  : (z == NULL || strcmp(z->zone, cases[i].zone) != 0)) {
            fail_msg("'%s': got %s, want %s", cases[i].pc, z ? z->zone : "(none)",
                     cases[i].zone ? cases[i].zone : "(none)");
        }
    }
}

static void test_nearest(void **state)
{
    static const struct {
        double lat, lon, radius;
        const char *zone; /* NULL: none within radius */
    } cases[] = {
        {51.3731, 1.1281, 1.0, "HB01"},  /* the contract's example */
        {51.3745, 1.1215, 1.0, "HB02"},  /* pier entrance */
        {51.3739, 1.1318, 1.0, "HB03"},  /* clock tower */
        {51.3795, 1.1996, 1.0, "HB12"},  /* Reculver towers, 0.9 km from the centroid */
        {51.2798, 1.0789, 1.0, NULL},    /* Canterbury */
        {51.2798, 1.0789, 20.0, "HB11"}, /* ...unless the radius is large */
        {51.3600, 1.2300, 1.0, NULL},    /* fields east of Beltinge */
        {51.3600, 1.2300, 3.5, "HB12"},
        {51.3600, 1.2300, 3.4, NULL},    /* HB12 is 3.42 km away */
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const prc_zone *z =
            prc_gazetteer_nearest(fx->gaz, cases[i].lat, cases[i].lon, cases[i].radius);

        if (cases[i].zone == NULL ? z != NULL
                                  : (z == NULL || strcmp(z->zone, cases[i].zone) != 0)) {
            fail_msg("case %zu: got %s, want %s", i, z ? z->zone : "(none)",
                     cases[i].zone ? cases[i].zone : "(none)");
        }
    }
    /* each centroid is its own nearest zone, even at radius 0 */
    for (size_t i = 0; i < prc_gazetteer_count(fx->gaz); i++) {
        const prc_zone *z = prc_gazetteer_at(fx->gaz, i);
        assert_ptr_equal(prc_gazetteer_nearest(fx->gaz, z->lat, z->lon, 0.0), z);
    }
}

static void test_is_area(void **state)
{
    static const struct {
        const char *tok;
        int yes;
    } cases[] = {
        {"HB", 1}, {"hb", 1}, {"H", 1}, {"HB0", 1}, {"HB1", 1}, {"HB12", 1},
        {"hb05", 1}, {"HX", 0}, {"B", 0}, {"HB13", 0}, {"HB123", 0}, {"", 0},
        {"PIER", 0},
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (prc_gazetteer_is_area(fx->gaz, cases[i].tok, strlen(cases[i].tok)) !=
            cases[i].yes) {
            fail_msg("is_area '%s' should be %d", cases[i].tok, cases[i].yes);
        }
    }
}

static void test_empty(void **state)
{
    prc_gazetteer *g = prc_gazetteer_empty();
    int hit = -1;

    (void)state;
    assert_non_null(g);
    assert_int_equal(prc_gazetteer_count(g), 0);
    assert_null(prc_gazetteer_at(g, 0));
    assert_null(prc_gazetteer_find(g, "HB01", 4, &hit));
    assert_int_equal(hit, 0);
    assert_null(prc_gazetteer_postcode(g, "CT6 5AB"));
    assert_null(prc_gazetteer_nearest(g, 51.37, 1.13, 1000.0));
    assert_int_equal(prc_gazetteer_is_area(g, "HB", 2), 0);
    assert_int_equal(prc_gazetteer_check(g, NULL, NULL, 0), 0);
    prc_gazetteer_free(g);
    prc_gazetteer_free(NULL);
}

#define HDR "zone,name,lat,lon,aliases,districts\n"
#define Z1 "HB01,Town,51.37,1.12,PIER|CLOCK,CT6\n"

typedef struct bad_case {
    const char *csv;
    const char *err;
} bad_case;

static const bad_case bad_cases[] = {
    /* collisions with the code table */
    {HDR "ASB,Anti,51.37,1.12,,\n", "gaz.csv:2: zone ASB equals incident code ASB"},
    {HDR "asb,Anti,51.37,1.12,,\n", "gaz.csv:2: zone ASB equals incident code ASB"},
    {HDR Z1 "HB02,Fight club,51.37,1.12,Fight,\n",
     "gaz.csv:3: alias FIGHT of HB02 equals an alias of incident code VIO"},
    {HDR "CRASH,x,51.37,1.12,,\n", "gaz.csv:2: zone CRASH equals an alias of incident code RTC"},
    /* command words and priorities */
    {HDR "HB01,Town,51.37,1.12,ON,\n", "gaz.csv:2: alias ON of HB01 is a command word"},
    {HDR "Help,Town,51.37,1.12,,\n", "gaz.csv:2: zone HELP is a command word"},
    {HDR "P1,Town,51.37,1.12,,\n", "gaz.csv:2: zone P1 looks like a priority"},
    {HDR "HB01,Town,51.37,1.12,p22,\n", "gaz.csv:2: alias P22 of HB01 looks like a priority"},
    /* uniqueness across the file */
    {HDR Z1 "HB02,Sea,51.37,1.12,SEA|pier,\n",
     "gaz.csv:3: alias PIER of HB02 already used as an alias of zone HB01"},
    {HDR Z1 "hb01,Again,51.37,1.12,,\n", "gaz.csv:3: zone HB01 already used as zone HB01"},
    {HDR Z1 "HB02,Sea,51.37,1.12,HB01,\n", "gaz.csv:3: alias HB01 of HB02 already used as zone HB01"},
    {HDR Z1 "CLOCK,Clock,51.37,1.12,,\n", "gaz.csv:3: zone CLOCK already used as an alias of zone HB01"},
    {HDR "HB01,Town,51.37,1.12,HB01,\n", "gaz.csv:2: alias HB01 of HB01 already used as zone HB01"},
    {HDR "HB01,Town,51.37,1.12,A|a,\n", "gaz.csv:2: alias A of HB01 already used as an alias of zone HB01"},
    /* districts */
    {HDR Z1 "\nHB02,Sea,51.37,1.12,,ct6\n", "gaz.csv:4: district CT6 of HB02 already listed by zone HB01"},
    {HDR "HB01,Town,51.37,1.12,,CT6 5|CT6|ct6 5\n",
     "gaz.csv:2: district CT6 5 of HB01 already listed by zone HB01"},
    {HDR "HB01,Town,51.37,1.12,,CT\n",
     "gaz.csv:2: district 'CT' of HB01 invalid (a postcode district such as CT6, or a sector "
     "such as CT6 5)"},
    {HDR "HB01,Town,51.37,1.12,,CT6 55\n",
     "gaz.csv:2: district 'CT6 55' of HB01 invalid (a postcode district such as CT6, or a "
     "sector such as CT6 5)"},
    {HDR "HB01,Town,51.37,1.12,,CT6 5AB\n",
     "gaz.csv:2: district 'CT6 5AB' of HB01 invalid (a postcode district such as CT6, or a "
     "sector such as CT6 5)"},
    {HDR "HB01,Town,51.37,1.12,,QA1\n",
     "gaz.csv:2: district 'QA1' of HB01 invalid (a postcode district such as CT6, or a sector "
     "such as CT6 5)"},
    {HDR "HB01,Town,51.37,1.12,,CT6||CT5\n", "gaz.csv:2: empty district of HB01 (stray '|')"},
    /* coordinates */
    {HDR "HB01,Town,91,1.12,,\n", "gaz.csv:2: lat '91' of HB01 invalid (decimal degrees, -90 to 90)"},
    {HDR "HB01,Town,51.3x,1.12,,\n",
     "gaz.csv:2: lat '51.3x' of HB01 invalid (decimal degrees, -90 to 90)"},
    {HDR "HB01,Town,,1.12,,\n", "gaz.csv:2: lat '' of HB01 invalid (decimal degrees, -90 to 90)"},
    {HDR "HB01,Town,5e1,1.12,,\n", "gaz.csv:2: lat '5e1' of HB01 invalid (decimal degrees, -90 to 90)"},
    {HDR "HB01,Town,51.37,181,,\n",
     "gaz.csv:2: lon '181' of HB01 invalid (decimal degrees, -180 to 180)"},
    {HDR "HB01,Town,51.37,\"1,2\",,\n",
     "gaz.csv:2: lon '1,2' of HB01 invalid (decimal degrees, -180 to 180)"},
    /* words */
    {HDR "1HB,Town,51.37,1.12,,\n",
     "gaz.csv:2: zone '1HB' invalid: 1..15 letters or digits, starting with a letter"},
    {HDR "HB-01,Town,51.37,1.12,,\n",
     "gaz.csv:2: zone 'HB-01' invalid: 1..15 letters or digits, starting with a letter"},
    {HDR "HB01,Town,51.37,1.12,CLOCK-TOWER,\n",
     "gaz.csv:2: alias 'CLOCK-TOWER' of HB01 invalid: 1..31 letters, digits or spaces between words"},
    {HDR "HB01,Town,51.37,1.12,ABCDEFGHIJ KLMNOPQRST UVWXYZABCDE,\n",
     "gaz.csv:2: alias 'ABCDEFGHIJ KLMNOPQRST UVWXYZABCD' of HB01 invalid: 1..31 letters, digits "
     "or spaces between words"},
    /* a multi-word alias a sender's "P 1" would reach is refused */
    {HDR "HB01,Town,51.37,1.12,P 1,\n", "gaz.csv:2: alias P 1 of HB01 looks like a priority"},
    {HDR Z1 "HB02,Sea,51.37,1.12,clock  tower|Clock Tower,\n",
     "gaz.csv:3: alias CLOCK TOWER of HB02 already used as an alias of zone HB02"},
    {HDR "HB01,Town,51.37,1.12,PIER|,\n", "gaz.csv:2: empty alias of HB01 (stray '|')"},
    {HDR "HB01,,51.37,1.12,,\n", "gaz.csv:2: name of HB01 must be 1..63 bytes"},
    {HDR "HB01,A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|Q,51.37,1.12,A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|Q|R,\n",
     "gaz.csv:2: zone HB01 has more than 16 aliases"},
    /* shape */
    {HDR "HB01,Town,51.37,1.12,\n",
     "gaz.csv:2: expected 6 columns (zone,name,lat,lon,aliases,districts), got 5"},
    {"zone,name,lat,lon,aliases\nHB01,Town,51.37,1.12,\n",
     "gaz.csv:1: bad header (expected zone,name,lat,lon,aliases,districts)"},
    {"zone,name,lon,lat,aliases,districts\n",
     "gaz.csv:1: bad header (expected zone,name,lat,lon,aliases,districts)"},
    {"", "gaz.csv:1: empty file (expected header zone,name,lat,lon,aliases,districts)"},
    {HDR, "gaz.csv:1: no zones after the header"},
    {HDR "HB01,\"Town,51.37,1.12,,\n", "gaz.csv:2: unterminated quoted field"},
};

static void test_load_rejections(void **state)
{
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char err[PRC_ERR_MAX] = "";
        prc_gazetteer *g = prc_gazetteer_load(bad_cases[i].csv, strlen(bad_cases[i].csv),
                                              "gaz.csv", fx->codes, err, sizeof err);
        if (g != NULL) {
            prc_gazetteer_free(g);
            fail_msg("case %zu loaded, want '%s'", i, bad_cases[i].err);
        }
        if (strcmp(err, bad_cases[i].err) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, err, bad_cases[i].err);
        }
    }
}

static void test_load_normalises(void **state)
{
    static const char csv[] =
        "\xEF\xBB\xBFZone,Name,Lat,Lon,Aliases,Districts\r\n"
        "hb01,\"Town, centre\",+51.37,-1.5,pier | clock,ct6 | ct6 5\r\n"
        "x2,Caf\xC3\xA9,-0.5,.5,,\r\n";
    fixture *fx = *state;
    char err[PRC_ERR_MAX] = "";
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "g.csv", fx->codes, err,
                                          sizeof err);
    const prc_zone *z;

    if (g == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(prc_gazetteer_count(g), 2);
    z = prc_gazetteer_at(g, 0);
    assert_string_equal(z->zone, "HB01");
    assert_string_equal(z->name, "Town, centre");
    assert_float_equal(z->lat, 51.37, 1e-12);
    assert_float_equal(z->lon, -1.5, 1e-12);
    assert_int_equal(z->naliases, 2);
    assert_string_equal(z->aliases[0], "PIER");
    assert_string_equal(z->aliases[1], "CLOCK");
    assert_int_equal(z->ndistricts, 2);
    assert_string_equal(z->districts[0], "CT6");
    assert_string_equal(z->districts[1], "CT6 5");
    z = prc_gazetteer_at(g, 1);
    assert_string_equal(z->zone, "X2");
    assert_int_equal(z->naliases, 0);
    assert_int_equal(z->ndistricts, 0);
    prc_gazetteer_free(g);
}

/* Multi-word aliases: words kept upper case with one space; found by that
 * spelling, any case; the most words of one alias is reported. */
static void test_multiword_alias(void **state)
{
    static const char csv[] = HDR
        "HB02,Pier,51.3738,1.1205,PIER|herne   bay pier|HB PIER,\n"
        "HB11,Herne village,51.3480,1.1330,HERNE,\n";
    fixture *fx = *state;
    char err[PRC_ERR_MAX] = "";
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "g.csv", fx->codes, err,
                                          sizeof err);
    const prc_zone *z;
    int hit = 0;

    if (g == NULL) {
        fail_msg("%s", err);
    }
    z = prc_gazetteer_at(g, 0);
    assert_string_equal(z->aliases[1], "HERNE BAY PIER");
    assert_string_equal(z->aliases[2], "HB PIER");
    assert_int_equal(prc_gazetteer_alias_words(g), 3);
    z = prc_gazetteer_find(g, "Herne Bay Pier", 14, &hit);
    assert_non_null(z);
    assert_int_equal(hit, 1);
    assert_string_equal(z->zone, "HB02");
    assert_null(prc_gazetteer_find(g, "HERNE  BAY PIER", 15, &hit));
    z = prc_gazetteer_find(g, "herne", 5, &hit);
    assert_non_null(z);
    assert_string_equal(z->zone, "HB11");
    prc_gazetteer_free(g);
    assert_int_equal(prc_gazetteer_alias_words(fx->gaz), 1);
    assert_int_equal(prc_gazetteer_alias_words(NULL), 1);
}

/* Suggestions for an unknown place: zone codes and aliases at the smallest
 * edit distance found (at most 2), table order, capped at max. */
static void test_suggest(void **state)
{
    fixture *fx = *state;
    const char *out[8];
    size_t n;

    /* a missing leading zero: HB01 and HB10..HB12, one edit each */
    n = prc_gazetteer_suggest(fx->gaz, "hb1", 3, out, 8);
    assert_int_equal(n, 4);
    assert_string_equal(out[0], "HB01");
    assert_string_equal(out[1], "HB10");
    assert_string_equal(out[2], "HB11");
    assert_string_equal(out[3], "HB12");
    n = prc_gazetteer_suggest(fx->gaz, "hb1", 3, out, 2);
    assert_int_equal(n, 2);
    /* landmarks: a transposition */
    n = prc_gazetteer_suggest(fx->gaz, "PEIR", 4, out, 8);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "PIER");
    n = prc_gazetteer_suggest(fx->gaz, "CLOKTOWER", 9, out, 8);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "CLOCKTOWER");
    /* long names, the edit at the end (the distance stops early otherwise) */
    n = prc_gazetteer_suggest(fx->gaz, "broomfiedl", 10, out, 8);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "BROOMFIELD");
    n = prc_gazetteer_suggest(fx->gaz, "RECULVRRD", 9, out, 8);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "RECULVERRD");
    n = prc_gazetteer_suggest(fx->gaz, "BISHOPSTNOEX", 12, out, 8);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "BISHOPSTONE");
    assert_int_equal(prc_gazetteer_suggest(fx->gaz, "BXSHOPSTNOEX", 12, out, 8), 0);
    /* nothing near, too long, empty */
    assert_int_equal(prc_gazetteer_suggest(fx->gaz, "ZZZZZZZZ", 8, out, 8), 0);
    assert_int_equal(prc_gazetteer_suggest(fx->gaz, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG", 33,
                                           out, 8), 0);
    assert_int_equal(prc_gazetteer_suggest(fx->gaz, "X", 0, out, 8), 0);
    assert_int_equal(prc_gazetteer_suggest(NULL, "HB1", 3, out, 8), 0);
    /* one letter does not match every short name */
    assert_int_equal(prc_gazetteer_suggest(fx->gaz, "Q", 1, out, 8), 0);
}

static void test_check_against_new_codes(void **state)
{
    static const char csv[] = HDR "ASB,Anti,51.37,1.12,,\nHB02,Sea,51.37,1.12,KNIFE,\n";
    static const char codes_csv[] = "code,aliases,name,priority,alert\nWPN,KNIFE,weapon,1,yes\n";
    fixture *fx = *state;
    char err[PRC_ERR_MAX] = "";
    /* without a code table only command words and priorities are checked */
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "g.csv", NULL, err, sizeof err);
    prc_codes *c;

    if (g == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(prc_gazetteer_check(g, fx->codes, err, sizeof err), -1);
    assert_string_equal(err, "zone ASB equals incident code ASB");
    /* a code table without ASB: then the alias KNIFE collides */
    c = prc_codes_load(codes_csv, strlen(codes_csv),
                       "c.csv", err, sizeof err);
    if (c == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(prc_gazetteer_check(g, c, err, sizeof err), -1);
    assert_string_equal(err, "alias KNIFE of HB02 equals an alias of incident code WPN");
    prc_codes_free(c);
    prc_gazetteer_free(g);
}

static void test_load_too_many_zones(void **state)
{
    size_t cap = 64 + (PRC_MAX_ZONES + 1) * 40;
    char *csv = malloc(cap);
    size_t n = 0;
    char err[PRC_ERR_MAX];
    prc_gazetteer *g;

    (void)state;
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n, HDR);
    for (int i = 0; i < PRC_MAX_ZONES; i++) {
        n += (size_t)snprintf(csv + n, cap - n, "Z%d,zone %d,51.%d,1.1,,\n", i, i, i);
    }
    g = prc_gazetteer_load(csv, n, "big.csv", NULL, err, sizeof err);
    if (g == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(prc_gazetteer_count(g), PRC_MAX_ZONES);
    assert_string_equal(prc_gazetteer_at(g, PRC_MAX_ZONES - 1)->zone, "Z4095");
    prc_gazetteer_free(g);
    n += (size_t)snprintf(csv + n, cap - n, "EXTRA,extra,51,1,,\n");
    assert_true(n < cap);
    g = prc_gazetteer_load(csv, n, "big.csv", NULL, err, sizeof err);
    assert_null(g);
    assert_string_equal(err, "big.csv:4098: too many zones (max 4096)");
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_zones),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_postcode),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_is_area),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_load_rejections),
        cmocka_unit_test(test_load_normalises),
        cmocka_unit_test(test_multiword_alias),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_check_against_new_codes),
        cmocka_unit_test(test_load_too_many_zones),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
