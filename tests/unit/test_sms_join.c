/* test_sms_join.c: concatenation headers and joining parts (gateway/sms_join.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sms_join.h"

typedef struct udh_case {
    const char *name;
    unsigned char udh[16];
    size_t len;
    int rc, ref, part, total;
} udh_case;

static const udh_case udh_cases[] = {
    { "8-bit ref", { 0x05, 0x00, 0x03, 0xA7, 0x03, 0x02 }, 6, 1, 0xA7, 2, 3 },
    { "16-bit ref", { 0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01 }, 7, 1, 0x1234, 1, 2 },
    { "after another IE", { 0x09, 0x0A, 0x02, 0x01, 0x02, 0x00, 0x03, 0x07, 0x02, 0x02 }, 10,
      1, 7, 2, 2 },
    { "no concat IE", { 0x04, 0x0A, 0x02, 0x01, 0x02 }, 5, 0, 0, 0, 0 },
    { "empty", { 0 }, 0, 0, 0, 0, 0 },
    { "total 1", { 0x05, 0x00, 0x03, 0x01, 0x01, 0x01 }, 6, 0, 0, 0, 0 },
    { "total over the cap", { 0x05, 0x00, 0x03, 0x01, 0x11, 0x01 }, 6, 0, 0, 0, 0 },
    { "part 0", { 0x05, 0x00, 0x03, 0x01, 0x03, 0x00 }, 6, -1, 0, 0, 0 },
    { "part over total", { 0x05, 0x00, 0x03, 0x01, 0x03, 0x04 }, 6, -1, 0, 0, 0 },
    { "length byte past the end", { 0x08, 0x00, 0x03, 0x01, 0x03, 0x01 }, 6, -1, 0, 0, 0 },
    { "IE past the header", { 0x04, 0x00, 0x03, 0x01, 0x03 }, 5, -1, 0, 0, 0 },
    { "IE header cut", { 0x01, 0x00 }, 2, -1, 0, 0, 0 },
};

static void test_udh_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof udh_cases / sizeof udh_cases[0]; i++) {
        const udh_case *c = &udh_cases[i];
        int ref = 0, part = 0, total = 0;
        int rc = sms_join_udh(c->udh, c->len, &ref, &part, &total);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d", c->name, rc, c->rc);
        if (rc == 1 && (ref != c->ref || part != c->part || total != c->total))
            fail_msg("%s: %d %d/%d, want %d %d/%d", c->name, ref, part, total, c->ref, c->part,
                     c->total);
    }
}

static sms_join_part P(int part, const char *text)
{
    sms_join_part p = { part, text, strlen(text) };
    return p;
}

static void test_join_in_order_whatever_the_arrival(void **state)
{
    (void)state;
    sms_join_part parts[] = { P(3, "shelter"), P(1, "ASB HB03 youths "), P(2, "at the bus "),
                              P(2, "at the bus ") };
    char out[256];
    int missing = -1;
    size_t n = sms_join_text(parts, 4, 3, out, sizeof out, &missing);
    assert_string_equal(out, "ASB HB03 youths at the bus shelter");
    assert_int_equal(n, strlen(out));
    assert_int_equal(missing, 0);
}

static void test_missing_part_is_one_space(void **state)
{
    (void)state;
    sms_join_part parts[] = { P(1, "RTC HB03 car"), P(3, "amb called") };
    char out[256];
    int missing;
    sms_join_text(parts, 2, 3, out, sizeof out, &missing);
    assert_string_equal(out, "RTC HB03 car amb called");
    assert_int_equal(missing, 1);
    sms_join_text(parts, 1, 3, out, sizeof out, &missing);
    assert_string_equal(out, "RTC HB03 car  ");
    assert_int_equal(missing, 2);
}

static void test_join_cut_at_a_character_boundary(void **state)
{
    (void)state;
    /* "é" is 2 bytes: a 6-byte buffer holds "abcé" minus the last byte, so "abc". */
    sms_join_part parts[] = { P(1, "abc"), P(2, "\xC3\xA9xyz") };
    char out[5];
    int missing;
    size_t n = sms_join_text(parts, 2, 2, out, sizeof out, &missing);
    assert_int_equal(n, 3);
    assert_string_equal(out, "abc");
    char out2[6];
    n = sms_join_text(parts, 2, 2, out2, sizeof out2, &missing);
    assert_string_equal(out2, "abc\xC3\xA9");
    assert_int_equal(missing, 0);
}

static void test_state(void **state)
{
    (void)state;
    sms_join_part two[] = { P(1, "a"), P(2, "b") };
    sms_join_part one[] = { P(2, "b") };
    assert_int_equal(sms_join_state(two, 2, 2, 0, 5, 10), SMS_JOIN_COMPLETE);
    assert_int_equal(sms_join_state(one, 1, 2, 0, 9, 10), SMS_JOIN_WAITING);
    assert_int_equal(sms_join_state(one, 1, 2, 0, 10, 10), SMS_JOIN_EXPIRED);
    assert_int_equal(sms_join_state(two, 2, 3, 100, 150, 10), SMS_JOIN_EXPIRED);
    /* Parts numbered outside 1..total do not complete a message. */
    sms_join_part odd[] = { P(1, "a"), P(5, "b") };
    assert_int_equal(sms_join_state(odd, 2, 2, 0, 1, 10), SMS_JOIN_WAITING);
    sms_join_part max[SMS_JOIN_PARTS_MAX];
    for (int i = 0; i < SMS_JOIN_PARTS_MAX; i++)
        max[i] = P(i + 1, "x");
    assert_int_equal(sms_join_state(max, SMS_JOIN_PARTS_MAX, SMS_JOIN_PARTS_MAX, 0, 0, 10),
                     SMS_JOIN_COMPLETE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udh_table),
        cmocka_unit_test(test_join_in_order_whatever_the_arrival),
        cmocka_unit_test(test_missing_part_is_one_space),
        cmocka_unit_test(test_join_cut_at_a_character_boundary),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
