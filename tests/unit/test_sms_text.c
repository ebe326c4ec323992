/* test_sms_text.c: UCS-2 <-> UTF-8, the alphabet and one-SMS texts (gateway/sms_text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "prc_gsm7.h"
#include "sms_text.h"

static void test_from_ucs2(void **state)
{
    (void)state;
    /* "Aé😢" = 0041 00E9 D83D DE22 */
    const unsigned char be[] = { 0x00, 0x41, 0x00, 0xE9, 0xD8, 0x3D, 0xDE, 0x22 };
    char out[32];
    size_t n = sms_text_from_ucs2(be, 4, out, sizeof out);
    assert_string_equal(out, "A\xC3\xA9\xF0\x9F\x98\xA2");
    assert_int_equal(n, 7);
    /* A lone high surrogate at the end, a lone low one, a NUL: U+FFFD each. */
    const unsigned char bad[] = { 0xDE, 0x22, 0x00, 0x00, 0xD8, 0x3D };
    sms_text_from_ucs2(bad, 3, out, sizeof out);
    assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    /* Too small: stops before a character that does not fit. */
    n = sms_text_from_ucs2(be, 4, out, 4);
    assert_string_equal(out, "A\xC3\xA9");
    assert_int_equal(n, 3);
}

static void test_to_ucs2_round_trip(void **state)
{
    (void)state;
    const char *s = "MH HB12 \xD0\xBC\xD1\x83\xD0\xB6 \xF0\x9F\x98\xA2 ok";
    unsigned char be[2 * 80 + 2];
    long u = sms_text_to_ucs2(s, strlen(s), be, 70);
    assert_int_equal(u, sms_text_ucs2_units(s, strlen(s)));
    assert_int_equal(u, 17); /* the emoji takes two units */
    char back[128];
    sms_text_from_ucs2(be, (size_t)u, back, sizeof back);
    assert_string_equal(back, s);
    assert_int_equal(sms_text_to_ucs2(s, strlen(s), be, 16), -1);
    assert_int_equal(sms_text_to_ucs2("\xFF", 1, be, 70), -1);
}

static void test_coding(void **state)
{
    (void)state;
    assert_int_equal(sms_text_coding("OK R1042 ASB P2 HB12", 20), SMS_GSM7);
    assert_int_equal(sms_text_coding("caf\xC3\xA9 {x} \xE2\x82\xAC", 13), SMS_GSM7); /* é { } € */
    assert_int_equal(sms_text_coding("\xF0\x9F\x98\xA2", 4), SMS_UCS2);
    assert_int_equal(sms_text_coding("\xC3\xA2", 2), SMS_UCS2); /* â is not GSM-7 */
}

static void test_fit(void **state)
{
    (void)state;
    char s[400];
    enum sms_coding c;
    memset(s, 'a', 200);
    assert_int_equal(sms_text_fit(s, 200, &c), 160);
    assert_int_equal(c, SMS_GSM7);
    /* Extension characters count double: 100 '{' are 200 septets, 80 fit. */
    memset(s, '{', 100);
    assert_int_equal(sms_text_fit(s, 100, &c), 80);
    /* UCS-2: 70 units; an emoji is two and is never cut in half. */
    size_t n = 0;
    for (int i = 0; i < 69; i++)
        s[n++] = 'x';
    memcpy(s + n, "\xF0\x9F\x98\xA2", 4);
    n += 4;
    assert_int_equal(sms_text_fit(s, n, &c), 69);
    assert_int_equal(c, SMS_UCS2);
}

static void test_alert_example(void **state)
{
    (void)state;
    char out[SMS_TEXT_BUF];
    enum sms_coding c;
    const char *d = "car v cyclist amb called";
    sms_text_alert(out, sizeof out, 1, "RTC", "HB03", 1042, d, strlen(d), &c);
    assert_string_equal(out, "P1 RTC HB03 R1042 car v cyclist amb called. Reply ACK 1042");
    assert_int_equal(c, SMS_GSM7);
    sms_text_alert(out, sizeof out, 2, "MH", "CT6 5AB", 7, "", 0, &c);
    assert_string_equal(out, "P2 MH CT6 5AB R7. Reply ACK 7");
}

static void test_alert_shortens_details_never_splits(void **state)
{
    (void)state;
    char out[SMS_TEXT_BUF], d[600];
    enum sms_coding c;
    memset(d, 'x', 500);
    sms_text_alert(out, sizeof out, 1, "RTC", "HB03", 123456789012LL, d, 500, &c);
    assert_int_equal(c, SMS_GSM7);
    assert_int_equal(prc_gsm7_len(out, strlen(out)), 160);
    assert_non_null(strstr(out, "xx... Reply ACK 123456789012"));
    /* Non-GSM details: UCS-2, 70 units, still the whole head and tail. */
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        memcpy(d + n, "\xD0\xB6", 2); /* ж */
        n += 2;
    }
    sms_text_alert(out, sizeof out, 1, "MED", "HB01", 1042, d, n, &c);
    assert_int_equal(c, SMS_UCS2);
    assert_true(sms_text_ucs2_units(out, strlen(out)) <= 70);
    assert_int_equal(strncmp(out, "P1 MED HB01 R1042 \xD0\xB6", 20), 0);
    assert_non_null(strstr(out, ".. Reply ACK 1042"));
    /* Control characters become spaces; trailing ones go. */
    sms_text_alert(out, sizeof out, 3, "ASB", "HB12", 5, "a\nb\t ", 5, &c);
    assert_string_equal(out, "P3 ASB HB12 R5 a b. Reply ACK 5");
}

/* A digest of many alerts is one SMS: whole entries, then how many more. */
static void test_digest_fits_one_sms(void **state)
{
    (void)state;
    char out[SMS_TEXT_BUF], want[SMS_TEXT_BUF];
    enum sms_coding c;
    sms_digest_item it[20];
    for (int i = 0; i < 20; i++)
        it[i] = (sms_digest_item){ 1042 + i, i % 2 ? 2 : 1, i % 2 ? "ASB" : "RTC", "HB12" };
    size_t n = sms_text_digest(out, sizeof out, "police", 20, it, 20, &c);
    assert_int_equal(c, SMS_GSM7);
    assert_int_equal(n, strlen(out));
    assert_true(n <= SMS_GSM7_MAX);
    /* 25 + 5 x 17 + 4 x 2 + 25 = 143; a sixth entry would make 162 */
    assert_string_equal(out, "DIGEST police 20 alerts: R1042 P1 RTC HB12; R1043 P2 ASB HB12;"
                             " R1044 P1 RTC HB12; R1045 P2 ASB HB12; R1046 P1 RTC HB12;"
                             " +15 more, see dashboard");
    /* the count is of every alert, listed or not (only the first items known) */
    n = sms_text_digest(out, sizeof out, "police", 95, it, 2, &c);
    assert_string_equal(out, "DIGEST police 95 alerts: R1042 P1 RTC HB12; R1043 P2 ASB HB12;"
                             " +93 more, see dashboard");
    /* all of them fit: no tail */
    n = sms_text_digest(out, sizeof out, "cctv", 1, it, 1, &c);
    assert_string_equal(out, "DIGEST cctv 1 alert: R1042 P1 RTC HB12");
    /* none known: the count alone */
    n = sms_text_digest(out, sizeof out, "cctv", 3, it, 0, &c);
    assert_string_equal(out, "DIGEST cctv 3 alerts, see dashboard");
    /* a location that needs UCS-2: 70 units, still whole entries */
    sms_digest_item u[4];
    for (int i = 0; i < 4; i++)
        u[i] = (sms_digest_item){ 2001 + i, 1, "MH", "Caf\xc3\xa9 \xc5\x81\xc3\xb3" "d\xc5\xba" };
    n = sms_text_digest(out, sizeof out, "police", 4, u, 4, &c);
    assert_int_equal(c, SMS_UCS2);
    assert_true(sms_text_ucs2_units(out, n) <= SMS_UCS2_MAX);
    snprintf(want, sizeof want, "DIGEST police 4 alerts: R2001 P1 MH %s; +3 more, see dashboard",
             u[0].where);
    assert_string_equal(out, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_ucs2),
        cmocka_unit_test(test_to_ucs2_round_trip),
        cmocka_unit_test(test_coding),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_alert_example),
        cmocka_unit_test(test_alert_shortens_details_never_splits),
        cmocka_unit_test(test_digest_fits_one_sms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
