/* test_prc_token.c: PRC/1 separators and tokens (prc_token.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "prc_token.h"

#define MAX_TOKS 8

/* One input and the tokens it must split into (NULL-terminated list). */
typedef struct split_case {
    const char *name;
    const char *text;
    const char *toks[MAX_TOKS];
} split_case;

static const split_case split_cases[] = {
    {"spaces", "ASB P2 HB12 youths", {"ASB", "P2", "HB12", "youths", NULL}},
    {"slashes", "ASB/P2/HB12/youths", {"ASB", "P2", "HB12", "youths", NULL}},
    {"semicolons", "ASB;P2;HB12", {"ASB", "P2", "HB12", NULL}},
    {"tabs", "ASB\tP2\t\tHB12", {"ASB", "P2", "HB12", NULL}},
    {"several in a row", "ASB //;; \t P2", {"ASB", "P2", NULL}},
    {"leading and trailing", "  \t ASB HB12 \r\n", {"ASB", "HB12", NULL}},
    {"leading separators", "/;/ASB", {"ASB", NULL}},
    {"NBSP", "ASB\xC2\xA0HB12", {"ASB", "HB12", NULL}},
    {"em space U+2003", "ASB\xE2\x80\x83HB12", {"ASB", "HB12", NULL}},
    {"ideographic space U+3000", "ASB\xE3\x80\x80HB12", {"ASB", "HB12", NULL}},
    {"narrow NBSP U+202F", "ASB\xE2\x80\xAFHB12", {"ASB", "HB12", NULL}},
    {"line separator U+2028", "ASB\xE2\x80\xA8HB12", {"ASB", "HB12", NULL}},
    {"newlines", "ASB\nHB12\r\nyouths", {"ASB", "HB12", "youths", NULL}},
    {"emoji inside a token", "a\xF0\x9F\x98\x80" "b c", {"a\xF0\x9F\x98\x80" "b", "c", NULL}},
    {"accented", "caf\xC3\xA9 ok", {"caf\xC3\xA9", "ok", NULL}},
    {"comma is not a separator", "51.37,1.13 x", {"51.37,1.13", "x", NULL}},
    {"question mark", "?", {"?", NULL}},
    {"empty", "", {NULL}},
    {"only white space", " \t\xC2\xA0\xE3\x80\x80 ", {NULL}},
    {"only separators", "/;/ ;", {NULL}},
};

static void test_split_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
        const split_case *c = &split_cases[i];
        size_t len = strlen(c->text);
        size_t pos = 0;
        size_t n = 0;
        prc_token t;

        while (prc_token_next(c->text, len, &pos, &t)) {
            char got[64];

            assert_true(n < MAX_TOKS);
            if (c->toks[n] == NULL) {
                fail_msg("%s: extra token at %zu", c->name, t.off);
                return;
            }
            assert_true(t.off + t.len <= len);
            assert_true(t.len < sizeof got);
            memcpy(got, c->text + t.off, t.len);
            got[t.len] = '\0';
            if (strcmp(got, c->toks[n]) != 0) {
                fail_msg("%s: token %zu is '%s', want '%s'", c->name, n, got, c->toks[n]);
            }
            assert_int_equal(pos, t.off + t.len);
            n++;
        }
        if (c->toks[n] != NULL) {
            fail_msg("%s: missing token '%s'", c->name, c->toks[n]);
        }
        assert_int_equal(pos, len);
    }
}

typedef struct sep_case {
    int cp;
    int sep;
} sep_case;

static const sep_case sep_cases[] = {
    {' ', 1},     {'\t', 1},    {'\n', 1},    {'\r', 1},    {'/', 1},     {';', 1},
    {0xA0, 1},    {0x1680, 1},  {0x2000, 1},  {0x2003, 1},  {0x200A, 1},  {0x202F, 1},
    {0x205F, 1},  {0x3000, 1},  {0x2028, 1},  {0x2029, 1},  {'A', 0},     {'p', 0},
    {',', 0},     {'.', 0},     {'-', 0},     {'+', 0},     {'?', 0},     {'\\', 0},
    {':', 0},     {0xE9, 0},    {0x1F600, 0}, {'0', 0},
};

static void test_is_sep_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sep_cases / sizeof sep_cases[0]; i++) {
        if (prc_token_is_sep(sep_cases[i].cp) != sep_cases[i].sep) {
            fail_msg("U+%04X: want sep=%d", (unsigned)sep_cases[i].cp, sep_cases[i].sep);
        }
    }
}

typedef struct pos_case {
    const char *text;
    size_t from;
    size_t want;
} pos_case;

static const pos_case skip_cases[] = {
    {"abc", 0, 0},
    {"  /;x", 0, 4},
    {"   ", 0, 3},
    {"", 0, 0},
    {"ab  cd", 2, 4},
    {"ab\xC2\xA0\xE3\x80\x80" "cd", 2, 7},
    {"ab  ", 4, 4},
};

static void test_skip_seps_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof skip_cases / sizeof skip_cases[0]; i++) {
        const pos_case *c = &skip_cases[i];

        if (prc_token_skip_seps(c->text, strlen(c->text), c->from) != c->want) {
            fail_msg("skip_seps('%s', %zu) want %zu", c->text, c->from, c->want);
        }
    }
}

static const pos_case rtrim_cases[] = {
    {"abc", 0, 3},
    {"abc  ", 0, 3},
    {"abc\t\r\n", 0, 3},
    {"abc\xC2\xA0", 0, 3},
    {"a\xE3\x80\x80\t\n", 0, 1},
    {"a b ", 0, 3},
    {"abc/", 0, 4},   /* '/' and ';' are separators, not white space */
    {"abc; ", 0, 4},
    {"  ", 0, 0},
    {"", 0, 0},
    {"caf\xC3\xA9 ", 0, 5},
    {"\xF0\x9F\x98\x80\xE2\x80\x83", 0, 4},
};

static void test_rtrim_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rtrim_cases / sizeof rtrim_cases[0]; i++) {
        const pos_case *c = &rtrim_cases[i];

        if (prc_token_rtrim(c->text, strlen(c->text)) != c->want) {
            fail_msg("rtrim case %zu want %zu", i, c->want);
        }
    }
}

typedef struct eq_case {
    const char *text;
    const char *word;
    int eq;
} eq_case;

static const eq_case eq_cases[] = {
    {"ASB", "ASB", 1},    {"asb", "ASB", 1},   {"AsB", "asb", 1},  {"ASBX", "ASB", 0},
    {"AS", "ASB", 0},     {"?", "?", 1},       {"help", "HELP", 1}, {"", "", 1},
    {"\xC3\xA9", "\xC3\x89", 0}, /* non-ASCII is compared as bytes */
    {"ON", "OFF", 0},
};

static void test_eq_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof eq_cases / sizeof eq_cases[0]; i++) {
        const eq_case *c = &eq_cases[i];
        prc_token t = {0, strlen(c->text)};

        if (prc_token_eq(c->text, &t, c->word) != c->eq) {
            fail_msg("eq('%s', '%s') want %d", c->text, c->word, c->eq);
        }
    }
    {
        /* A token in the middle of a text: only its span counts. */
        const char *text = "xx upd yy";
        prc_token t = {3, 3};

        assert_true(prc_token_eq(text, &t, "UPD"));
        t.len = 4;
        assert_false(prc_token_eq(text, &t, "UPD"));
    }
}

static void test_next_from_middle(void **state)
{
    const char *text = "ASB HB12  two  words";
    size_t pos = 8;
    prc_token t;

    (void)state;
    assert_true(prc_token_next(text, strlen(text), &pos, &t));
    assert_int_equal(t.off, 10);
    assert_int_equal(t.len, 3);
    /* A length shorter than the text bounds the token. */
    pos = 0;
    assert_true(prc_token_next(text, 2, &pos, &t));
    assert_int_equal(t.len, 2);
    assert_false(prc_token_next(text, 2, &pos, &t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),     cmocka_unit_test(test_is_sep_table),
        cmocka_unit_test(test_skip_seps_table), cmocka_unit_test(test_rtrim_table),
        cmocka_unit_test(test_eq_table),        cmocka_unit_test(test_next_from_middle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
