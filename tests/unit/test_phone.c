/* test_phone.c: E.164 normalisation (gateway/phone.c), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "phone.h"

typedef struct phone_case {
    const char *in;
    const char *want; /* NULL: must be refused */
} phone_case;

static const phone_case cases[] = {
    /* national, with the separators people type */
    { "07700 900123", "+447700900123" },
    { "07700900123", "+447700900123" },
    { "07700-900-123", "+447700900123" },
    { "07700.900.123", "+447700900123" },
    { " 07700\t900123 ", "+447700900123" },
    { "(01227) 123456", "+441227123456" },
    { "01227 123456", "+441227123456" },
    /* international */
    { "+44 7700 900123", "+447700900123" },
    { "+44 (0) 7700 900123", "+447700900123" }, /* trunk 0 written after the country code */
    { "0044 (0)7700 900123", "+447700900123" },
    { "+447700900123", "+447700900123" },
    { "0044 7700 900123", "+447700900123" },
    { "00447700900123", "+447700900123" },
    { "+33 6 12 34 56 78", "+33612345678" },
    { "0033612345678", "+33612345678" },
    /* the E.164 bounds: 8 to 15 digits */
    { "+12345678", "+12345678" },
    { "+123456789012345", "+123456789012345" },
    /* refused */
    { "", NULL },
    { "+", NULL },
    { "0", NULL },
    { "00", NULL },
    { "12345", NULL },             /* neither national nor international */
    { "7700900123", NULL },        /* no leading 0 or + */
    { "07700 9001ab", NULL },      /* letters */
    { "O7700 900123", NULL },      /* letter O for zero */
    { "call 07700900123", NULL },
    { "0123", NULL },              /* too short: +44123 */
    { "+1234567", NULL },          /* 7 digits */
    { "+1234567890123456", NULL }, /* 16 digits */
    { "07700 900123 4567", NULL }, /* +44 and 14 more: 16 digits */
    { "0000000000000000000000000000000000000001", NULL }, /* more digits than the buffer */
    { "++447700900123", NULL },
    { "+44+7700900123", NULL },
    { "07700+900123", NULL },
    { "+07700900123", NULL },      /* a country code cannot start with 0 */
    { "000447700900123", NULL },   /* 00 then 0... */
    { "07700/900123", NULL },
    { "07700_900123", NULL },
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        memset(out, 'x', sizeof out);
        int rc = phone_normalise(cases[i].in, "44", out, sizeof out);
        if (cases[i].want) {
            if (rc != 0 || strcmp(out, cases[i].want) != 0)
                fail_msg("\"%s\": want %s, got rc %d \"%.*s\"", cases[i].in, cases[i].want, rc,
                         (int)sizeof out - 1, rc == 0 ? out : "");
        } else if (rc != -1) {
            fail_msg("\"%s\": want -1, got rc %d \"%s\"", cases[i].in, rc, out);
        }
    }
}

static void test_country_code(void **state)
{
    char out[32];
    (void)state;
    assert_int_equal(phone_normalise("06 12 34 56 78", "33", out, sizeof out), 0);
    assert_string_equal(out, "+33612345678");
    /* an international number ignores the national country code */
    assert_int_equal(phone_normalise("+44 7700 900123", "33", out, sizeof out), 0);
    assert_string_equal(out, "+447700900123");
}

static void test_small_output(void **state)
{
    char out[14]; /* "+447700900123" needs 14 with the NUL */
    (void)state;
    assert_int_equal(phone_normalise("07700 900123", "44", out, sizeof out), 0);
    assert_string_equal(out, "+447700900123");
    assert_int_equal(phone_normalise("07700 900123", "44", out, 13), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_country_code),
        cmocka_unit_test(test_small_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
