/* test_prc_codes.c: the default code table, the loader and suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prc_codes.h"
#include "prc_limits.h"

typedef struct want_code {
    const char *code;
    const char *aliases; /* '|'-joined, "" for none */
    int priority;
    int alert;
} want_code;

/* The contract's default table, in order. */
static const want_code default_want[] = {
    {"RTC", "RTA|CRASH", 1, 1},  {"MED", "FA|AMB", 1, 1},    {"BLEED", "BLD", 1, 1},
    {"VIO", "FIGHT|ASLT", 1, 1}, {"WPN", "KNIFE", 1, 1},     {"FIRE", "", 1, 1},
    {"MISPER", "MISS", 1, 1},    {"MH", "WELF", 2, 1},       {"HATE", "", 2, 1},
    {"DOOR", "ROGUE", 2, 1},     {"ASB", "", 3, 1},          {"DRG", "DRUGS", 3, 1},
    {"THEFT", "SHOP", 3, 1},     {"SUS", "", 3, 1},          {"DMG", "CRIM", 4, 1},
    {"ENV", "FLY", 4, 1},        {"INFO", "INT", 4, 1},      {"ENG", "", 4, 0},
};
#define NDEFAULT (sizeof default_want / sizeof default_want[0])

static void join_aliases(const prc_code *c, char *out, size_t outsz)
{
    size_t n = 0;

    out[0] = '\0';
    for (int a = 0; a < c->naliases; a++) {
        int k = snprintf(out + n, outsz - n, "%s%s", a > 0 ? "|" : "", c->aliases[a]);
        assert_true(k > 0 && (size_t)k < outsz - n);
        n += (size_t)k;
    }
}

static void check_table(const prc_codes *c)
{
    assert_non_null(c);
    assert_int_equal(prc_codes_count(c), NDEFAULT);
    for (size_t i = 0; i < NDEFAULT; i++) {
        const prc_code *p = prc_codes_at(c, i);
        char al[256];

        assert_non_null(p);
        assert_string_equal(p->code, default_want[i].code);
        join_aliases(p, al, sizeof al);
        assert_string_equal(al, default_want[i].aliases);
        assert_int_equal(p->priority, default_want[i].priority);
        assert_int_equal(p->alert, default_want[i].alert);
        assert_true(strlen(p->name) > 0);
    }
    assert_null(prc_codes_at(c, NDEFAULT));
}

static void test_default_table(void **state)
{
    prc_codes *c = prc_codes_default();

    (void)state;
    check_table(c);
    prc_codes_free(c);
    prc_codes_free(NULL);
}

static void test_find_case_insensitive(void **state)
{
    static const struct {
        const char *tok;
        const char *code; /* NULL: not found */
    } cases[] = {
        {"ASB", "ASB"},   {"asb", "ASB"},     {"AsB", "ASB"},     {"rta", "RTC"},
        {"Crash", "RTC"}, {"fa", "MED"},      {"KNIFE", "WPN"},   {"shop", "THEFT"},
        {"eng", "ENG"},   {"int", "INFO"},    {"AS", NULL},       {"ASBX", NULL},
        {"", NULL},       {"P1", NULL},       {"HB12", NULL},     {"MEDIC", NULL},
    };
    prc_codes *c = prc_codes_default();

    (void)state;
    assert_non_null(c);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const prc_code *p = prc_codes_find(c, cases[i].tok, strlen(cases[i].tok));
        if (cases[i].code == NULL) {
            if (p != NULL) {
                fail_msg("'%s' should not be found (got %s)", cases[i].tok, p->code);
            }
        } else if (p == NULL || strcmp(p->code, cases[i].code) != 0) {
            fail_msg("'%s' should find %s", cases[i].tok, cases[i].code);
        }
    }
    /* only len bytes count */
    assert_non_null(prc_codes_find(c, "ASBxyz", 3));
    prc_codes_free(c);
}

static void test_command_words(void **state)
{
    static const char *const yes[] = {"UPD", "upd", "CLR", "Ack", "ON", "on", "OFF", "HELP",
                                      "help", "?"};
    static const char *const no[] = {"UP", "UPDATE", "ONE", "O", "HELPS", "??", "", "ASB"};

    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_true(prc_is_command_word(yes[i], strlen(yes[i])));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_false(prc_is_command_word(no[i], strlen(no[i])));
    }
}

/* The default table as a file, as in docs/examples/hernebay/codes.csv. */
static const char good_csv[] =
    "\xEF\xBB\xBF" "Code,Aliases,Name,Priority,Alert\r\n"
    "RTC,RTA|CRASH,road traffic collision,P1,yes\r\n"
    "MED,FA|AMB,\"medical emergency, first aid\",P1,yes\r\n"
    "BLEED,BLD,catastrophic bleed,1,yes\r\n"
    "vio,fight|aslt,\"violence, assault, fight in progress\",p1,Y\r\n"
    "WPN,KNIFE,weapon seen,P1,true\r\n"
    "FIRE,,fire,P1,1\r\n"
    "\r\n"
    "MISPER,MISS,missing or vulnerable person,P1,yes\r\n"
    "MH,WELF,\"mental health crisis, welfare concern\",P2,yes\r\n"
    "HATE,,hate incident,P2,yes\r\n"
    "DOOR,ROGUE,\"doorstep crime, rogue trader\",P2,yes\r\n"
    "ASB,,anti-social behaviour,P3,yes\r\n"
    "DRG,DRUGS,\"drug activity, substance misuse\",P3,yes\r\n"
    "THEFT,SHOP,\"theft, shoplifting (business crime)\",P3,yes\r\n"
    "SUS,,\"suspicious person, vehicle or activity\",P3,yes\r\n"
    "DMG,CRIM,\"criminal damage, graffiti\",P4,yes\r\n"
    "ENV,FLY,\"fly-tipping, hazard, street fault\",P4,yes\r\n"
    "INFO,INT,intelligence or information for partners,P4,yes\r\n"
    "ENG,,engagement with the public,4,no\r\n";

static void test_load_good(void **state)
{
    char err[PRC_ERR_MAX] = "untouched";
    prc_codes *c = prc_codes_load(good_csv, sizeof good_csv - 1, "codes.csv", err,
                                  sizeof err);

    (void)state;
    if (c == NULL) {
        fail_msg("load failed: %s", err);
    }
    check_table(c);
    assert_string_equal(prc_codes_at(c, 1)->name, "medical emergency, first aid");
    assert_string_equal(prc_codes_find(c, "Fight", 5)->code, "VIO");
    prc_codes_free(c);
}

static void test_load_example_file(void **state)
{
    const char *src = getenv("PATROL_SOURCE");
    char path[1024];
    char err[PRC_ERR_MAX];
    char *buf;
    size_t n;
    FILE *f;
    prc_codes *c;
    prc_codes *def;

    (void)state;
    if (src == NULL) {
        skip();
    }
    assert_true((size_t)snprintf(path, sizeof path, "%s/docs/examples/hernebay/codes.csv", src) <
                sizeof path);
    f = fopen(path, "rb");
    assert_non_null(f);
    buf = malloc((size_t)PRC_TABLE_FILE_MAX);
    assert_non_null(buf);
    n = fread(buf, 1, (size_t)PRC_TABLE_FILE_MAX, f);
    assert_int_equal(fclose(f), 0);
    c = prc_codes_load(buf, n, "codes.csv", err, sizeof err);
    free(buf);
    if (c == NULL) {
        fail_msg("%s", err);
    }
    check_table(c);
    /* the file and the built-in table say the same */
    def = prc_codes_default();
    assert_non_null(def);
    for (size_t i = 0; i < NDEFAULT; i++) {
        assert_string_equal(prc_codes_at(c, i)->name, prc_codes_at(def, i)->name);
    }
    prc_codes_free(def);
    prc_codes_free(c);
}

typedef struct bad_case {
    const char *csv;
    const char *err; /* the whole expected message */
} bad_case;

#define HDR "code,aliases,name,priority,alert\n"

static const bad_case bad_cases[] = {
    /* alias collides with a code */
    {HDR "FA,,first aid,1,yes\nMED,FA|AMB,medical,1,yes\n",
     "codes.csv:3: alias FA of MED already used by code FA"},
    /* code collides with an earlier alias */
    {HDR "MED,FA|AMB,medical,1,yes\nFA,,first aid,1,yes\n",
     "codes.csv:3: code FA already used as an alias of code MED"},
    /* alias collides with another code's alias */
    {HDR "MED,FA,medical,1,yes\n\nBLEED,BLD|fa,bleed,1,yes\n",
     "codes.csv:4: alias FA of BLEED already used as an alias of code MED"},
    /* alias repeats its own code, or twice in a row */
    {HDR "MED,med,medical,1,yes\n",
     "codes.csv:2: alias MED of MED repeats a code or alias of the same row"},
    {HDR "MED,FA|Fa,medical,1,yes\n",
     "codes.csv:2: alias FA of MED repeats a code or alias of the same row"},
    /* duplicate code */
    {HDR "ASB,,asb,3,yes\nasb,,asb again,3,yes\n",
     "codes.csv:3: code ASB already used by code ASB"},
    /* command words */
    {HDR "MED,ON,medical,1,yes\n", "codes.csv:2: alias ON of MED is a command word"},
    {HDR "help,,help me,1,yes\n", "codes.csv:2: code HELP is a command word"},
    {HDR "MED,Ack,medical,1,yes\n", "codes.csv:2: alias ACK of MED is a command word"},
    {HDR "MED,FA|?,medical,1,yes\n",
     "codes.csv:2: alias '?' of MED invalid: 1..15 letters or digits, starting with a letter"},
    /* looks like a priority or a reference */
    {HDR "P1,,p one,1,yes\n", "codes.csv:2: code P1 looks like a priority"},
    {HDR "MED,p12,medical,1,yes\n", "codes.csv:2: alias P12 of MED looks like a priority"},
    {HDR "R1042,,ref,1,yes\n", "codes.csv:2: code R1042 looks like a report reference"},
    {HDR "1042,,ref,1,yes\n",
     "codes.csv:2: code '1042' invalid: 1..15 letters or digits, starting with a letter"},
    /* bad words */
    {HDR "ABCDEFGHIJKLMNOP,,long,1,yes\n",
     "codes.csv:2: code 'ABCDEFGHIJKLMNOP' invalid: 1..15 letters or digits, starting with a "
     "letter"},
    {HDR ",,empty,1,yes\n",
     "codes.csv:2: code '' invalid: 1..15 letters or digits, starting with a letter"},
    {HDR "MED,FA||AMB,medical,1,yes\n", "codes.csv:2: empty alias of MED (stray '|')"},
    {HDR "MED,FA|,medical,1,yes\n", "codes.csv:2: empty alias of MED (stray '|')"},
    {HDR "MED,A|B|C|D|E|F|G|H|I,medical,1,yes\n", "codes.csv:2: code MED has more than 8 aliases"},
    /* bad priority */
    {HDR "ASB,,asb,5,yes\n", "codes.csv:2: priority '5' of ASB invalid (1..4 or P1..P4)"},
    {HDR "ASB,,asb,P0,yes\n", "codes.csv:2: priority 'P0' of ASB invalid (1..4 or P1..P4)"},
    {HDR "ASB,,asb,,yes\n", "codes.csv:2: priority '' of ASB invalid (1..4 or P1..P4)"},
    {HDR "ASB,,asb,P,yes\n", "codes.csv:2: priority 'P' of ASB invalid (1..4 or P1..P4)"},
    {HDR "ASB,,asb,P12,yes\n", "codes.csv:2: priority 'P12' of ASB invalid (1..4 or P1..P4)"},
    /* bad alert */
    {HDR "ASB,,asb,3,maybe\n", "codes.csv:2: alert 'maybe' of ASB invalid (yes or no)"},
    {HDR "ASB,,asb,3,\n", "codes.csv:2: alert '' of ASB invalid (yes or no)"},
    /* bad name */
    {HDR "ASB,,,3,yes\n", "codes.csv:2: name of ASB must be 1..63 bytes"},
    {HDR "ASB,,bad \xC3,3,yes\n", "codes.csv:2: name of ASB is not valid UTF-8"},
    /* missing or extra column */
    {HDR "ASB,,asb,3\n",
     "codes.csv:2: expected 5 columns (code,aliases,name,priority,alert), got 4"},
    {HDR "ASB,,asb,3,yes,x\n",
     "codes.csv:2: expected 5 columns (code,aliases,name,priority,alert), got 6"},
    /* bad header */
    {"code,alias,name,priority,alert\nASB,,asb,3,yes\n",
     "codes.csv:1: bad header (expected code,aliases,name,priority,alert)"},
    {"code,aliases,name,alert,priority\nASB,,asb,yes,3\n",
     "codes.csv:1: bad header (expected code,aliases,name,priority,alert)"},
    {"ASB,,asb,3,yes\n", "codes.csv:1: bad header (expected code,aliases,name,priority,alert)"},
    {"\n\ncode,aliases,name\n", "codes.csv:3: bad header (expected code,aliases,name,priority,alert)"},
    /* empty file, header only */
    {"", "codes.csv:1: empty file (expected header code,aliases,name,priority,alert)"},
    {"\n \r\n", "codes.csv:1: empty file (expected header code,aliases,name,priority,alert)"},
    {HDR, "codes.csv:1: no codes after the header"},
    /* CSV errors keep their line */
    {HDR "ASB,,asb,3,yes\nMED,,\"medical,1,yes\n", "codes.csv:3: unterminated quoted field"},
};

static void test_load_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char err[PRC_ERR_MAX] = "";
        prc_codes *c = prc_codes_load(bad_cases[i].csv, strlen(bad_cases[i].csv), "codes.csv",
                                      err, sizeof err);
        if (c != NULL) {
            prc_codes_free(c);
            fail_msg("case %zu loaded, want error '%s'", i, bad_cases[i].err);
        }
        if (strcmp(err, bad_cases[i].err) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, err, bad_cases[i].err);
        }
    }
}

static void test_load_too_many_codes(void **state)
{
    size_t cap = 64 + (PRC_MAX_CODES + 1) * 32;
    char *csv = malloc(cap);
    size_t n = 0;
    char err[PRC_ERR_MAX];
    prc_codes *c;

    (void)state;
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n, HDR);
    for (int i = 0; i < PRC_MAX_CODES; i++) {
        n += (size_t)snprintf(csv + n, cap - n, "C%d,,code %d,3,yes\n", i, i);
    }
    /* exactly the cap loads */
    c = prc_codes_load(csv, n, "many.csv", err, sizeof err);
    if (c == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(prc_codes_count(c), PRC_MAX_CODES);
    prc_codes_free(c);
    /* one more does not */
    n += (size_t)snprintf(csv + n, cap - n, "EXTRA,,extra,3,yes\n");
    assert_true(n < cap);
    c = prc_codes_load(csv, n, "many.csv", err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "many.csv:258: too many codes (max 256)");
    free(csv);
}

static void test_load_small_err_buffer(void **state)
{
    char err[8];
    prc_codes *c = prc_codes_load("", 0, "codes.csv", err, sizeof err);

    (void)state;
    assert_null(c);
    assert_string_equal(err, "codes.c"); /* truncated, NUL-terminated */
    assert_null(prc_codes_load("", 0, NULL, NULL, 0));
}

typedef struct suggest_case {
    const char *tok;
    const char *want; /* space-separated canonical codes, nearest first */
} suggest_case;

/* Up to 3 suggestions, as an ERR CODE reply shows them (docs/protocol.md). */
static const suggest_case suggest_cases[] = {
    {"ABS", "ASB"},           /* transposition: 1; MED (via AMB) and SUS at 2 are not shown */
    {"THFT", "THEFT"},
    {"FIRR", "FIRE"},
    {"FIREE", "FIRE"},
    {"RTX", "RTC"},           /* RTC and its alias RTA: listed once */
    {"asv", "ASB"},           /* case-insensitive */
    {"ASLX", "VIO"},          /* through its alias ASLT */
    {"FLR", "ENV"},           /* alias FLY at 1; FIRE at 2 is not shown */
    {"ENF", "ENV ENG"},       /* a tie at 1: both, in table order */
    {"SU", "SUS"},
    {"MEDD", "MED"},
    {"FIHGT", "VIO"},         /* alias FIGHT, mapped to its code */
    {"FIGHTT", "VIO"},
    {"KNFIE", "WPN"},
    {"XYZQW", ""},
    {"XYZZY", ""},
    {"Q", ""},                /* one letter does not match every short code */
    {"ABCDEFGHIJKLMNOPQ", ""}, /* longer than PRC_CODE_MAX + 2 */
    {"", ""},
};

static void test_suggest(void **state)
{
    prc_codes *c = prc_codes_default();
    const prc_code *out[3];

    (void)state;
    assert_non_null(c);
    for (size_t i = 0; i < sizeof suggest_cases / sizeof suggest_cases[0]; i++) {
        const suggest_case *s = &suggest_cases[i];
        char got[128] = "";
        size_t n = prc_codes_suggest(c, s->tok, strlen(s->tok), out, 3);
        size_t used = 0;

        assert_true(n <= 3);
        for (size_t k = 0; k < n; k++) {
            used += (size_t)snprintf(got + used, sizeof got - used, "%s%s", k ? " " : "",
                                     out[k]->code);
        }
        if (strcmp(got, s->want) != 0) {
            fail_msg("suggest '%s': got '%s', want '%s'", s->tok, got, s->want);
        }
    }
    /* max 0 writes nothing */
    assert_int_equal(prc_codes_suggest(c, "ABS", 3, out, 0), 0);
    prc_codes_free(c);
}

static void test_suggest_order(void **state)
{
    prc_codes *c = prc_codes_default();
    const prc_code *out[3];
    size_t n;

    (void)state;
    assert_non_null(c);
    /* ABS: ASB at 1; AMB (alias of MED) at 2 is not shown */
    n = prc_codes_suggest(c, "ABS", 3, out, 3);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "ASB");
    /* MX: MH at 1 only (MED, DMG at 2 are not shown) */
    n = prc_codes_suggest(c, "MX", 2, out, 3);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "MH");
    /* Ties at the nearest distance come in table order: ENF -> ENV, ENG. */
    n = prc_codes_suggest(c, "ENF", 3, out, 3);
    assert_int_equal(n, 2);
    assert_string_equal(out[0]->code, "ENV");
    assert_string_equal(out[1]->code, "ENG");
    /* max is respected */
    n = prc_codes_suggest(c, "DRX", 3, out, 1);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "DRG");
    prc_codes_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_table),
        cmocka_unit_test(test_find_case_insensitive),
        cmocka_unit_test(test_command_words),
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_load_example_file),
        cmocka_unit_test(test_load_rejections),
        cmocka_unit_test(test_load_too_many_codes),
        cmocka_unit_test(test_load_small_err_buffer),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_suggest_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
