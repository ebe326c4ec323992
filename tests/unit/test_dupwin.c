/* test_dupwin.c: the memory index of recent journal rows (gateway/dupwin.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dupwin.h"

#define K(s) dupwin_key("radio", "hb/radio7", (s), strlen(s))

static void test_key(void **state)
{
    (void)state;
    uint64_t k = dupwin_key("radio", "hb/radio7", "ASB HB12", 8);
    assert_true(k == K("ASB HB12"));
    /* every part of the key counts, and where one part ends */
    assert_true(k != dupwin_key("sms", "hb/radio7", "ASB HB12", 8));
    assert_true(k != dupwin_key("radio", "hb/radio8", "ASB HB12", 8));
    assert_true(k != dupwin_key("radio", "hb/radio7", "ASB HB12 ", 9));
    assert_true(k != dupwin_key("radio", "hb/radio7", "asb HB12", 8));
    assert_true(dupwin_key("radio", "ab", "c", 1) != dupwin_key("radio", "a", "bc", 2));
    /* only len bytes of the text */
    assert_true(k == dupwin_key("radio", "hb/radio7", "ASB HB12 youths", 8));
}

static void test_find_window(void **state)
{
    (void)state;
    int64_t ids[DUPWIN_FIND_MAX];
    dupwin *w = dupwin_new(64, 0);
    assert_non_null(w);
    dupwin_add(w, K("a"), 1, 1000);
    dupwin_add(w, K("b"), 2, 2000);
    dupwin_commit(w);
    assert_int_equal(dupwin_find(w, K("a"), 1000, ids, DUPWIN_FIND_MAX), 1);
    assert_int_equal(ids[0], 1);
    assert_int_equal(dupwin_find(w, K("a"), 1001, ids, DUPWIN_FIND_MAX), 0); /* too old */
    assert_int_equal(dupwin_find(w, K("c"), 0, ids, DUPWIN_FIND_MAX), 0);
    /* two rows of one key: both are candidates (the store keeps the first) */
    dupwin_add(w, K("a"), 3, 3000);
    assert_int_equal(dupwin_find(w, K("a"), 0, ids, DUPWIN_FIND_MAX), 2);
    assert_true((ids[0] == 3 && ids[1] == 1) || (ids[0] == 1 && ids[1] == 3));
    /* more candidates than asked for: the count says so */
    assert_int_equal(dupwin_find(w, K("a"), 0, ids, 1), 2);
    dupwin_free(w);
}

static void test_expire_floor(void **state)
{
    (void)state;
    int64_t ids[DUPWIN_FIND_MAX];
    dupwin *w = dupwin_new(64, -5);
    assert_int_equal(dupwin_floor(w), -5);
    for (int i = 1; i <= 10; i++)
        dupwin_add(w, K(i % 2 ? "odd" : "even"), i, i * 100);
    dupwin_commit(w);
    dupwin_expire(w, 450); /* 100..400 go */
    assert_int_equal(dupwin_count(w), 6);
    assert_int_equal(dupwin_floor(w), 400);
    assert_int_equal(dupwin_find(w, K("odd"), 0, ids, DUPWIN_FIND_MAX), 3); /* 5, 7, 9 */
    /* a clock that went back: an old entry behind a newer one stays, unseen */
    dupwin_add(w, K("new"), 11, 5000);
    dupwin_add(w, K("late"), 12, 50);
    dupwin_commit(w);
    dupwin_expire(w, 1001);
    assert_int_equal(dupwin_count(w), 2);
    assert_int_equal(dupwin_floor(w), 1000);
    assert_int_equal(dupwin_find(w, K("late"), 1001, ids, DUPWIN_FIND_MAX), 0);
    assert_int_equal(dupwin_find(w, K("late"), 0, ids, DUPWIN_FIND_MAX), 1);
    assert_int_equal(ids[0], 12);
    /* the floor never goes down */
    dupwin_expire(w, 6000);
    assert_int_equal(dupwin_count(w), 0);
    assert_int_equal(dupwin_floor(w), 5000);
    dupwin_expire(w, 10);
    assert_int_equal(dupwin_floor(w), 5000);
    dupwin_free(w);
}

static void test_pending(void **state)
{
    (void)state;
    int64_t ids[DUPWIN_FIND_MAX];
    dupwin *w = dupwin_new(64, 0);
    dupwin_add(w, K("kept"), 1, 100);
    dupwin_commit(w);
    dupwin_add(w, K("gone"), 2, 200);
    dupwin_add(w, K("kept"), 3, 300);
    assert_int_equal(dupwin_pending(w), 2);
    /* pending rows answer inside their transaction */
    assert_int_equal(dupwin_find(w, K("gone"), 0, ids, DUPWIN_FIND_MAX), 1);
    /* and are never expired while pending */
    dupwin_expire(w, 1000);
    assert_int_equal(dupwin_count(w), 2);
    assert_int_equal(dupwin_floor(w), 100);
    dupwin_rollback(w);
    assert_int_equal(dupwin_count(w), 0);
    assert_int_equal(dupwin_pending(w), 0);
    assert_int_equal(dupwin_find(w, K("gone"), 0, ids, DUPWIN_FIND_MAX), 0);
    assert_int_equal(dupwin_find(w, K("kept"), 0, ids, DUPWIN_FIND_MAX), 0);
    /* after a rollback the index goes on as before */
    dupwin_add(w, K("gone"), 2, 200);
    dupwin_commit(w);
    dupwin_rollback(w);
    assert_int_equal(dupwin_find(w, K("gone"), 0, ids, DUPWIN_FIND_MAX), 1);
    assert_int_equal(ids[0], 2);
    dupwin_free(w);
}

/* Past START_ENTRIES the ring doubles; at its maximum the oldest go and the
 * floor says up to when. */
static void test_grow_and_evict(void **state)
{
    (void)state;
    int64_t ids[DUPWIN_FIND_MAX];
    char t[32];
    enum { MAX = 4096, N = 5000 };
    dupwin *w = dupwin_new(MAX, -1);
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "msg %d", i);
        dupwin_add(w, K(t), i + 1, 1000 + i);
        if (i % 100 == 99)
            dupwin_commit(w);
    }
    dupwin_commit(w);
    assert_int_equal(dupwin_count(w), MAX);
    assert_int_equal(dupwin_floor(w), 1000 + (N - MAX) - 1);
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "msg %d", i);
        int n = dupwin_find(w, K(t), 0, ids, DUPWIN_FIND_MAX);
        if (i < N - MAX) {
            assert_int_equal(n, 0);
        } else {
            assert_int_equal(n, 1);
            assert_int_equal(ids[0], i + 1);
        }
    }
    /* a rollback across the ring's wrap */
    dupwin_add(w, K("p1"), N + 1, 9000);
    dupwin_add(w, K("p2"), N + 2, 9001);
    dupwin_rollback(w);
    assert_int_equal(dupwin_count(w), MAX - 2); /* two evicted to make room, two rolled back */
    assert_int_equal(dupwin_floor(w), 1000 + (N - MAX) + 1);
    assert_int_equal(dupwin_find(w, K("p1"), 0, ids, DUPWIN_FIND_MAX), 0);
    snprintf(t, sizeof t, "msg %d", N - 1);
    assert_int_equal(dupwin_find(w, K(t), 0, ids, DUPWIN_FIND_MAX), 1);
    dupwin_free(w);
}

/* Every key colliding in one bucket: chains stay correct through expiry. */
static void test_one_bucket(void **state)
{
    (void)state;
    int64_t ids[DUPWIN_FIND_MAX];
    dupwin *w = dupwin_new(2, 0); /* two buckets */
    uint64_t k0 = 0x10, k1 = 0x30; /* both even: bucket 0 */
    dupwin_add(w, k0, 1, 10);
    dupwin_add(w, k1, 2, 20);
    dupwin_add(w, k0, 3, 30); /* full: 1 goes */
    dupwin_commit(w);
    assert_int_equal(dupwin_count(w), 2);
    assert_int_equal(dupwin_floor(w), 10);
    assert_int_equal(dupwin_find(w, k0, 0, ids, DUPWIN_FIND_MAX), 1);
    assert_int_equal(ids[0], 3);
    assert_int_equal(dupwin_find(w, k1, 0, ids, DUPWIN_FIND_MAX), 1);
    dupwin_expire(w, 25);
    assert_int_equal(dupwin_find(w, k1, 0, ids, DUPWIN_FIND_MAX), 0);
    assert_int_equal(dupwin_find(w, k0, 0, ids, DUPWIN_FIND_MAX), 1);
    dupwin_free(w);
}

/* Keys evicted for room are kept in filters: the journal is asked about the
 * let-go part of a window only for a key that may be there (the soak at
 * 2,000 reports/s read it for every message before). */
static void test_bloom_evicted(void **state)
{
    (void)state;
    char t[32];
    enum { MAX = 1024, N = 50000, PROBES = 20000 };
    dupwin *w = dupwin_new(MAX, -1);
    assert_int_equal(dupwin_bloom_gens(w), 0);
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "msg %d", i);
        dupwin_add(w, K(t), i + 1, 1000 + i);
        dupwin_commit(w);
    }
    assert_int_equal(dupwin_floor(w), 1000 + (N - MAX) - 1);
    assert_int_equal(dupwin_bloom_gens(w), 1);
    /* every evicted key: the journal is asked (no false "surely not") */
    for (int i = 0; i < N - MAX; i++) {
        snprintf(t, sizeof t, "msg %d", i);
        assert_int_equal(dupwin_journal_needed(w, K(t), 0), 1);
    }
    /* keys never added: "surely not", but for a few false positives */
    int maybe = 0;
    for (int i = 0; i < PROBES; i++) {
        snprintf(t, sizeof t, "other %d", i);
        maybe += dupwin_journal_needed(w, K(t), 0);
    }
    assert_true(maybe < PROBES / 1000); /* about 0.06 % expected at most */
    /* a window starting above the floor never needs the journal */
    snprintf(t, sizeof t, "msg %d", 0);
    assert_int_equal(dupwin_journal_needed(w, K(t), dupwin_floor(w) + 1), 0);
    /* expiry past the filter's newest key retires it: what it held is now
     * below the hard floor, so an older window still asks the journal */
    dupwin_expire(w, 1000 + (N - MAX));
    assert_int_equal(dupwin_bloom_gens(w), 0);
    snprintf(t, sizeof t, "other %d", 1);
    assert_int_equal(dupwin_journal_needed(w, K(t), 1000), 1);
    assert_int_equal(dupwin_journal_needed(w, K(t), 1000 + (N - MAX)), 0);
    dupwin_free(w);
}

/* More evictions than the filters hold: the oldest filter goes, and the
 * hard floor rises to its newest key, so the answer stays the journal's. */
static void test_bloom_rotation(void **state)
{
    (void)state;
    enum { MAX = 2 };
    const int64_t per = DUPWIN_BLOOM_KEYS;
    const int64_t n = per * (DUPWIN_BLOOM_GENS + 1) + MAX;
    dupwin *w = dupwin_new(MAX, -1);
    for (int64_t i = 0; i < n; i++) {
        dupwin_add(w, (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1, i + 1, i);
        dupwin_commit(w);
    }
    assert_int_equal(dupwin_bloom_gens(w), DUPWIN_BLOOM_GENS);
    /* the first filter (times 0 .. per-1) was retired for the seventeenth */
    uint64_t first = 1, never = 0x1234567ULL;
    assert_int_equal(dupwin_journal_needed(w, first, 0), 1);
    assert_int_equal(dupwin_journal_needed(w, never, per - 1), 1);
    /* above the hard floor, the filters answer */
    assert_int_equal(dupwin_journal_needed(w, (uint64_t)per * 0x9e3779b97f4a7c15ULL + 1, per), 1);
    int maybe = 0;
    for (uint64_t k = 0; k < 1000; k++)
        maybe += dupwin_journal_needed(w, (k << 40) | 0xabcdefULL, per);
    assert_true(maybe < 50);
    dupwin_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),          cmocka_unit_test(test_find_window),
        cmocka_unit_test(test_expire_floor), cmocka_unit_test(test_pending),
        cmocka_unit_test(test_grow_and_evict), cmocka_unit_test(test_one_bucket),
        cmocka_unit_test(test_bloom_evicted), cmocka_unit_test(test_bloom_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
