/* test_prc_utf8.c: UTF-8 validation, decoding, counting, white space, encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prc_utf8.h"

typedef struct valid_case {
    const char *bytes;
    size_t len;
    int valid;
    const char *what;
} valid_case;

#define VC(s, v, w) {s, sizeof(s) - 1, v, w}

static const valid_case valid_cases[] = {
    VC("", 1, "empty"),
    VC("ASB P2 HB12", 1, "ASCII"),
    VC("\xC2\xA3", 1, "pound U+00A3"),
    VC("\xE2\x82\xAC", 1, "euro U+20AC"),
    VC("\xF0\x9F\x98\x80", 1, "emoji U+1F600"),
    VC("\xF4\x8F\xBF\xBF", 1, "U+10FFFF, the last scalar"),
    VC("\xED\x9F\xBF", 1, "U+D7FF, just below the surrogates"),
    VC("\xEE\x80\x80", 1, "U+E000, just above the surrogates"),
    VC("\xC2\x80", 1, "U+0080, smallest 2-byte"),
    VC("\xE0\xA0\x80", 1, "U+0800, smallest 3-byte"),
    VC("\xF0\x90\x80\x80", 1, "U+10000, smallest 4-byte"),
    VC("\x7F", 1, "DEL is valid UTF-8"),
    VC("\xC0\x80", 0, "overlong NUL C0 80"),
    VC("\xC1\xBF", 0, "overlong C1 BF"),
    VC("\xE0\x80\x80", 0, "overlong E0 80 80"),
    VC("\xE0\x9F\xBF", 0, "overlong E0 9F BF"),
    VC("\xF0\x80\x80\x80", 0, "overlong F0 80 80 80"),
    VC("\xF0\x8F\xBF\xBF", 0, "overlong F0 8F BF BF"),
    VC("\xED\xA0\x80", 0, "surrogate U+D800"),
    VC("\xED\xBF\xBF", 0, "surrogate U+DFFF"),
    VC("\xF4\x90\x80\x80", 0, "U+110000 beyond Unicode"),
    VC("\xF5\x80\x80\x80", 0, "F5 lead byte"),
    VC("\xFF", 0, "FF byte"),
    VC("\x80", 0, "lone continuation"),
    VC("A\xBF", 0, "continuation after ASCII"),
    VC("\xC2", 0, "truncated 2-byte"),
    VC("\xE2\x82", 0, "truncated 3-byte"),
    VC("\xF0\x9F\x98", 0, "truncated 4-byte"),
    VC("\xE2\x82" "A", 0, "3-byte cut by ASCII"),
    VC("\xC2\xC2\xA3", 0, "lead byte where continuation expected"),
    VC("A\0B", 0, "NUL byte inside"),
    VC("\0", 0, "NUL byte alone"),
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        const valid_case *c = &valid_cases[i];
        int got = prc_utf8_valid(c->bytes, c->len);

        if (got != c->valid) {
            fail_msg("case %zu (%s): got %d, want %d", i, c->what, got, c->valid);
        }
    }
}

static void test_valid_length_bounds(void **state)
{
    (void)state;
    /* only len bytes are looked at: a truncated tail outside len does not matter */
    assert_int_equal(prc_utf8_valid("AB\xE2", 2), 1);
    assert_int_equal(prc_utf8_valid("\xE2\x82\xAC", 2), 0);
    assert_int_equal(prc_utf8_valid(NULL, 0), 1);
}

typedef struct next_case {
    const char *bytes;
    size_t len;
    int32_t cps[6];
    size_t n;
} next_case;

static const next_case next_cases[] = {
    {"A\xC2\xA3\xE2\x82\xAC\xF0\x9F\x98\x80", 10, {'A', 0xA3, 0x20AC, 0x1F600}, 4},
    /* a malformed byte yields -1 and decoding goes on at the next byte */
    {"A\x80" "B", 3, {'A', -1, 'B'}, 3},
    {"\xE0\x80\x80", 3, {-1, -1, -1}, 3},
    {"\xED\xA0\x80Z", 4, {-1, -1, -1, 'Z'}, 4},
    {"\xC2", 1, {-1}, 1},
};

static void test_next_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof next_cases / sizeof next_cases[0]; i++) {
        const next_case *c = &next_cases[i];
        size_t pos = 0;

        for (size_t k = 0; k < c->n; k++) {
            int32_t cp = prc_utf8_next(c->bytes, c->len, &pos);
            if (cp != c->cps[k]) {
                fail_msg("case %zu cp %zu: got %ld want %ld", i, k, (long)cp, (long)c->cps[k]);
            }
        }
        assert_int_equal(pos, c->len);
        /* at the end: -1 and pos stays */
        assert_int_equal(prc_utf8_next(c->bytes, c->len, &pos), -1);
        assert_int_equal(pos, c->len);
    }
}

static void test_count(void **state)
{
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"", 0},
        {"ASB", 3},
        {"\xC2\xA3" "5", 2},
        {"\xE2\x82\xAC\xE2\x82\xAC", 2},
        {"caf\xC3\xA9 \xF0\x9F\x98\x80", 6},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(prc_utf8_count(cases[i].s, strlen(cases[i].s)), cases[i].n);
    }
}

static void test_every_space(void **state)
{
    static const int32_t spaces[] = {
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
        0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    };
    static const int32_t not_spaces[] = {
        0x00, 0x08, 0x0E, 0x1F, 0x21, 'A', 0x7F, 0x84, 0x86, 0x9F, 0xA1,
        0x167F, 0x1681, 0x180E, /* Mongolian vowel separator: no longer Zs */
        0x1FFF, 0x200B, /* zero width space: Cf, not a space */
        0x2027, 0x202A, 0x202E, 0x2030, 0x205E, 0x2060, 0x2FFF, 0x3001,
        0xFEFF, -1, 0x110000,
    };

    (void)state;
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++) {
        if (!prc_utf8_is_space(spaces[i])) {
            fail_msg("U+%04lX should be a space", (unsigned long)spaces[i]);
        }
    }
    for (size_t i = 0; i < sizeof not_spaces / sizeof not_spaces[0]; i++) {
        if (prc_utf8_is_space(not_spaces[i])) {
            fail_msg("%ld should not be a space", (long)not_spaces[i]);
        }
    }
}

static void test_encode_roundtrip(void **state)
{
    static const struct {
        int32_t cp;
        size_t n;
        const char *bytes;
    } cases[] = {
        {'A', 1, "A"},
        {0x7F, 1, "\x7F"},
        {0x80, 2, "\xC2\x80"},
        {0xA3, 2, "\xC2\xA3"},
        {0x7FF, 2, "\xDF\xBF"},
        {0x800, 3, "\xE0\xA0\x80"},
        {0x20AC, 3, "\xE2\x82\xAC"},
        {0xFFFF, 3, "\xEF\xBF\xBF"},
        {0x10000, 4, "\xF0\x90\x80\x80"},
        {0x10FFFF, 4, "\xF4\x8F\xBF\xBF"},
        {0xD800, 0, ""},
        {0xDFFF, 0, ""},
        {0x110000, 0, ""},
        {-1, 0, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4];
        size_t n = prc_utf8_encode(cases[i].cp, out);
        size_t pos = 0;

        assert_int_equal(n, cases[i].n);
        if (n == 0) {
            continue;
        }
        assert_memory_equal(out, cases[i].bytes, n);
        assert_int_equal(prc_utf8_next(out, n, &pos), cases[i].cp);
        assert_int_equal(pos, n);
        /* NUL is never produced by these cases, so encoded text is valid */
        assert_int_equal(prc_utf8_valid(out, n), 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_valid_length_bounds),
        cmocka_unit_test(test_next_table),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_every_space),
        cmocka_unit_test(test_encode_roundtrip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
