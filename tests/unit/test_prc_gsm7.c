/* test_prc_gsm7.c: GSM 03.38 septet counts and reply sanitising. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prc_gsm7.h"
#include "prc_utf8.h"

/* Every character of the basic table (one septet), as UTF-8. */
static const char basic_table[] =
    "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87\n\xC3\x98\xC3\xB8\r"
    "\xC3\x85\xC3\xA5"
    "\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98\xCE\x9E"
    "\xC3\x86\xC3\xA6\xC3\x9F\xC3\x89"
    " !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?"
    "\xC2\xA1" "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7"
    "\xC2\xBF" "abcdefghijklmnopqrstuvwxyz\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0";

static void test_basic_table_one_septet_each(void **state)
{
    size_t pos = 0;
    size_t len = sizeof basic_table - 1;
    size_t n = 0;

    (void)state;
    while (pos < len) {
        int32_t cp = prc_utf8_next(basic_table, len, &pos);
        if (prc_gsm7_septets(cp) != 1) {
            fail_msg("U+%04lX should be 1 septet", (unsigned long)cp);
        }
        n++;
    }
    /* the basic table has 128 positions; ESC (0x1B) has no character of its own */
    assert_int_equal(n, 127);
    assert_int_equal(prc_gsm7_len(basic_table, len), 127);
}

static void test_septets_table(void **state)
{
    static const struct {
        int32_t cp;
        int septets;
    } cases[] = {
        {'A', 1}, {'z', 1}, {'0', 1}, {' ', 1}, {'@', 1}, {'$', 1}, {'_', 1},
        {'\n', 1}, {'\r', 1}, {0xA3, 1}, {0x394, 1}, {0xDF, 1},
        {'^', 2}, {'{', 2}, {'}', 2}, {'\\', 2}, {'[', 2}, {'~', 2}, {']', 2},
        {'|', 2}, {0x20AC, 2},
        {'`', 0}, {'\t', 0}, {0x00, 0}, {0x7F, 0}, {0x0C, 0},
        {0xE7, 0},   /* ç: only capital Ç is in the table */
        {0xE1, 0},   /* á */
        {0x3B1, 0},  /* Greek small alpha */
        {0xA0, 0},   /* no-break space */
        {0x1F600, 0}, /* emoji */
        {-1, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = prc_gsm7_septets(cases[i].cp);
        if (got != cases[i].septets) {
            fail_msg("cp %ld: got %d want %d", (long)cases[i].cp, got, cases[i].septets);
        }
    }
}

static void test_len_table(void **state)
{
    static const struct {
        const char *s;
        long septets;
    } cases[] = {
        {"", 0},
        {"OK R1042 ASB P3 HB12", 20},
        {"\xC2\xA3" "5", 2},
        {"\xE2\x82\xAC" "5", 3},
        {"a^b", 4},
        {"{}[]", 8},
        {"caf\xC3\xA9", 4},
        {"hi \xF0\x9F\x98\x80", -1},
        {"tab\there", -1},
        {"`cmd`", -1},
        {"bad \xC3", -1},
        {"\xC0\x80", -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long got = prc_gsm7_len(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].septets) {
            fail_msg("case %zu '%s': got %ld want %ld", i, cases[i].s, got, cases[i].septets);
        }
    }
}

typedef struct san_case {
    const char *in;
    size_t max_septets;
    size_t dstsz;
    const char *out;
    size_t septets;
} san_case;

static const san_case san_cases[] = {
    {"OK R1 ASB", 160, 64, "OK R1 ASB", 9},
    {"emoji \xF0\x9F\x98\x80!", 160, 64, "emoji ?!", 8},
    {"line1\r\nline2\tx", 160, 64, "line1  line2 x", 14},
    {"nb\xC2\xA0sp", 160, 64, "nb sp", 5},
    {"bell\x07", 160, 64, "bell ", 5},
    {"tick`", 160, 64, "tick?", 5},
    {"\xC2\xA3\xE2\x82\xAC", 160, 64, "\xC2\xA3\xE2\x82\xAC", 3},
    /* malformed bytes become '?' */
    {"a\xFF" "b", 160, 64, "a?b", 3},
    /* cut at the septet budget */
    {"ABCDEF", 4, 64, "ABCD", 4},
    /* a 2-septet character that does not fit whole is dropped, not split */
    {"ABC^", 4, 64, "ABC", 3},
    {"ABC\xE2\x82\xAC", 4, 64, "ABC", 3},
    {"AB^C", 4, 64, "AB^", 4},
    /* cut at the buffer size, never in the middle of a UTF-8 sequence */
    {"AB\xC2\xA3", 160, 4, "AB", 2},
    {"AB\xC2\xA3", 160, 5, "AB\xC2\xA3", 3},
    {"ABCDEF", 160, 1, "", 0},
    {"", 160, 8, "", 0},
};

static void test_sanitize_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof san_cases / sizeof san_cases[0]; i++) {
        const san_case *c = &san_cases[i];
        char dst[64];
        size_t got;

        memset(dst, 'X', sizeof dst);
        got = prc_gsm7_sanitize(dst, c->dstsz, c->in, strlen(c->in), c->max_septets);
        if (got != c->septets || strcmp(dst, c->out) != 0) {
            fail_msg("case %zu: got '%s' (%zu), want '%s' (%zu)", i, dst, got, c->out,
                     c->septets);
        }
        /* the output is always GSM-7 and within its budget */
        assert_int_equal(prc_gsm7_len(dst, strlen(dst)), (long)got);
        assert_true(strlen(dst) < c->dstsz);
    }
}

static void test_sanitize_160(void **state)
{
    char in[400];
    char dst[3 * 160 + 1];
    size_t n;

    (void)state;
    /* 159 letters then a euro: the euro needs 2 septets and must not fit */
    memset(in, 'a', 159);
    memcpy(in + 159, "\xE2\x82\xAC" "zz", 5);
    n = prc_gsm7_sanitize(dst, sizeof dst, in, 164, 160);
    assert_int_equal(n, 159);
    assert_int_equal(strlen(dst), 159);
    /* with 158 letters it fits exactly */
    n = prc_gsm7_sanitize(dst, sizeof dst, in + 1, 163, 160);
    assert_int_equal(n, 160);
    assert_int_equal(strlen(dst), 158 + 3);
    /* dstsz 0 writes nothing */
    assert_int_equal(prc_gsm7_sanitize(dst, 0, in, 10, 160), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_table_one_septet_each),
        cmocka_unit_test(test_septets_table),
        cmocka_unit_test(test_len_table),
        cmocka_unit_test(test_sanitize_table),
        cmocka_unit_test(test_sanitize_160),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
