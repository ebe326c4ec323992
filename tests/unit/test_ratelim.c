/* test_ratelim.c: per-minute counts per key (gateway/ratelim.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ratelim.h"

#define T0 1795000000000LL /* a minute boundary plus 40 s */
#define MIN (60LL * 1000)

static void test_counts_per_key_and_minute(void **state)
{
    (void)state;
    ratelim *r = ratelim_new();
    assert_non_null(r);
    long minute_start = (long)(T0 / MIN * MIN - T0); /* ms from T0 back to its minute */
    assert_int_equal(ratelim_hit(r, 'u', "shop/a", T0), 1);
    assert_int_equal(ratelim_hit(r, 'u', "shop/a", T0 + 1000), 2);
    assert_int_equal(ratelim_hit(r, 'u', "shop/b", T0), 1);
    /* the same name as a network is another key */
    assert_int_equal(ratelim_hit(r, 'n', "shop/a", T0), 1);
    /* a new minute starts again at 1 */
    assert_int_equal(ratelim_hit(r, 'u', "shop/a", T0 + minute_start + MIN), 1);
    assert_int_equal(ratelim_hit(r, 'u', "shop/a", T0 + minute_start + 2 * MIN - 1), 2);
    ratelim_refused_add(r, 'u');
    ratelim_refused_add(r, 'u');
    ratelim_refused_add(r, 'n');
    assert_int_equal(ratelim_refused(r, 'u'), 2);
    assert_int_equal(ratelim_refused(r, 'n'), 1);
    ratelim_free(r);
    ratelim_free(NULL);
}

/* A full table: keys beyond it are not counted (0), and last minute's keys
 * make room again. */
static void test_full_table(void **state)
{
    (void)state;
    ratelim *r = ratelim_new();
    assert_non_null(r);
    char key[32];
    long uncounted = 0;
    for (int i = 0; i < RATELIM_SLOTS * 2; i++) {
        snprintf(key, sizeof key, "net/u%d", i);
        long n = ratelim_hit(r, 'u', key, T0);
        assert_true(n == 0 || n == 1);
        uncounted += n == 0;
    }
    assert_true(uncounted >= RATELIM_SLOTS);
    /* the next minute: every key finds room again */
    for (int i = 0; i < RATELIM_SLOTS / 2; i++) {
        snprintf(key, sizeof key, "other/u%d", i);
        assert_int_equal(ratelim_hit(r, 'u', key, T0 + MIN), 1);
    }
    /* a key longer than any sender is cut, and still counted */
    char longkey[200];
    for (size_t i = 0; i < sizeof longkey - 1; i++)
        longkey[i] = 'x';
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(ratelim_hit(r, 'u', longkey, T0 + 2 * MIN), 1);
    assert_int_equal(ratelim_hit(r, 'u', longkey, T0 + 2 * MIN), 2);
    ratelim_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_per_key_and_minute),
        cmocka_unit_test(test_full_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
