/* test_audit.c: the hash-chained audit trail (gateway/audit.c) on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "audit.h"
#include "store.h"
#include "store_admin.h"
#include "tmpstore.h"

typedef struct fixture {
    tmpstore t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (tmpstore_open(&f->t, "test_audit")) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpstore_close(&f->t);
    free(f);
    return 0;
}

/* Five rows, each in its own transaction. */
static void add_rows(fixture *f)
{
    static const char *const actions[] = { "people add", "people edit", "ack", "purge",
                                           "people remove" };
    for (int i = 0; i < 5; i++) {
        char obj[16];
        snprintf(obj, sizeof obj, "OBJ%d", i + 1);
        assert_int_equal(store_begin(f->t.st), 0);
        assert_int_equal(audit_append(f->t.st, 1790000000000LL + i, "alice", actions[i], obj,
                                      i == 2 ? NULL : "detail"),
                         i + 1);
        assert_int_equal(store_commit(f->t.st), 0);
    }
}

/* SQL behind the gateway's back, on a second connection. */
static void tamper(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->t.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The documented canonical encoding, pinned: computed independently with
 * Python's hashlib over the netstrings of docs/patrolctl.md. */
static void test_hash_known_vector(void **state)
{
    (void)state;
    store_audit_row r = { .id = 1, .at = 1790000000000LL, .actor = "alice",
                          .action = "people add", .object = "BRAVO1",
                          .detail = "role=operative units=1" };
    char h[AUDIT_HASH_HEX + 1];
    assert_int_equal(audit_hash(&r, AUDIT_GENESIS, h, sizeof h), 0);
    assert_string_equal(h, "516a8a5132cce8c9f0af843eef9fd15627f1b3e169bd4fab26a85c1370738fe8");
    /* Every field counts: a different detail, a different hash. */
    r.detail = "role=operative units=2";
    char h2[AUDIT_HASH_HEX + 1];
    assert_int_equal(audit_hash(&r, AUDIT_GENESIS, h2, sizeof h2), 0);
    assert_string_not_equal(h, h2);
    /* Field boundaries are part of it: "ab"+"c" is not "a"+"bc". */
    store_audit_row a = { .id = 1, .at = 1, .actor = "ab", .action = "c", .object = "",
                          .detail = "" };
    store_audit_row b = { .id = 1, .at = 1, .actor = "a", .action = "bc", .object = "",
                          .detail = "" };
    assert_int_equal(audit_hash(&a, AUDIT_GENESIS, h, sizeof h), 0);
    assert_int_equal(audit_hash(&b, AUDIT_GENESIS, h2, sizeof h2), 0);
    assert_string_not_equal(h, h2);
    assert_int_equal(audit_hash(&a, AUDIT_GENESIS, h, AUDIT_HASH_HEX), -1);
}

typedef struct rows {
    store_audit_row r[8];
    char prev[8][AUDIT_HASH_HEX + 1], hash[8][AUDIT_HASH_HEX + 1], detail[8][32];
    int n;
} rows;

static int collect(void *arg, const store_audit_row *r)
{
    rows *c = arg;
    if (c->n >= 8)
        return 1;
    c->r[c->n] = *r;
    snprintf(c->prev[c->n], sizeof c->prev[0], "%s", r->prev_hash);
    snprintf(c->hash[c->n], sizeof c->hash[0], "%s", r->hash);
    snprintf(c->detail[c->n], sizeof c->detail[0], "%s", r->detail);
    c->n++;
    return 0;
}

static void test_chain(void **state)
{
    fixture *f = *state;
    audit_check chk;
    assert_int_equal(audit_verify(f->t.st, &chk), 0); /* empty is intact */
    assert_int_equal(chk.rows, 0);
    add_rows(f);
    rows *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(store_audit_each(f->t.st, collect, c), 0);
    assert_int_equal(c->n, 5);
    assert_string_equal(c->prev[0], AUDIT_GENESIS);
    for (int i = 1; i < 5; i++)
        assert_string_equal(c->prev[i], c->hash[i - 1]);
    assert_string_equal(c->detail[2], ""); /* NULL detail is stored as "" */
    int64_t last;
    char head[AUDIT_HASH_HEX + 1];
    assert_int_equal(store_audit_last(f->t.st, &last, head, sizeof head), 1);
    assert_int_equal(last, 5);
    assert_string_equal(head, c->hash[4]);
    free(c);
    assert_int_equal(audit_verify(f->t.st, &chk), 0);
    assert_int_equal(chk.rows, 5);
    assert_int_equal(chk.bad_id, 0);
}

static void test_verify_detects_a_changed_row(void **state)
{
    fixture *f = *state;
    audit_check chk;
    add_rows(f);
    tamper(f, "UPDATE audit SET actor = 'mallory' WHERE id = 3");
    assert_int_equal(audit_verify(f->t.st, &chk), 1);
    assert_int_equal(chk.bad_id, 3);
    assert_non_null(strstr(chk.reason, "changed"));
    tamper(f, "UPDATE audit SET actor = 'alice' WHERE id = 3");
    assert_int_equal(audit_verify(f->t.st, &chk), 0);
    /* A change with its own hash recomputed is caught by the next row. */
    tamper(f, "UPDATE audit SET at = at + 1 WHERE id = 2");
    store_audit_row r = { .id = 2, .at = 1790000000002LL, .actor = "alice",
                          .action = "people edit", .object = "OBJ2", .detail = "detail" };
    rows *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(store_audit_each(f->t.st, collect, c), 0);
    char h[AUDIT_HASH_HEX + 1], sql[256];
    assert_int_equal(audit_hash(&r, c->prev[1], h, sizeof h), 0);
    free(c);
    snprintf(sql, sizeof sql, "UPDATE audit SET hash = '%s' WHERE id = 2", h);
    tamper(f, sql);
    assert_int_equal(audit_verify(f->t.st, &chk), 1);
    assert_int_equal(chk.bad_id, 3);
    assert_non_null(strstr(chk.reason, "prev_hash"));
}

static void test_verify_detects_a_removed_row(void **state)
{
    fixture *f = *state;
    audit_check chk;
    add_rows(f);
    tamper(f, "DELETE FROM audit WHERE id = 1");
    assert_int_equal(audit_verify(f->t.st, &chk), 1);
    assert_int_equal(chk.bad_id, 2);
    assert_non_null(strstr(chk.reason, "missing"));
    assert_int_equal(chk.rows, 1);
}

static void test_verify_detects_a_removed_and_renumbered_row(void **state)
{
    fixture *f = *state;
    audit_check chk;
    add_rows(f);
    tamper(f, "DELETE FROM audit WHERE id = 3; UPDATE audit SET id = id - 1 WHERE id > 3");
    assert_int_equal(audit_verify(f->t.st, &chk), 1);
    assert_int_equal(chk.bad_id, 3);
}

static void test_append_refuses_bad_fields(void **state)
{
    fixture *f = *state;
    char big[AUDIT_DETAIL_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(audit_append(f->t.st, 1, "", "ack", NULL, NULL), -1);
    assert_int_equal(audit_append(f->t.st, 1, "bob", "", NULL, NULL), -1);
    assert_int_equal(audit_append(f->t.st, 1, "bob", "ack", NULL, big), -1);
    big[AUDIT_FIELD_MAX + 1] = '\0';
    assert_int_equal(audit_append(f->t.st, 1, big, "ack", NULL, NULL), -1);
    assert_int_equal(audit_append(f->t.st, 1, "bob", "ack", big, NULL), -1);
    big[AUDIT_FIELD_MAX] = '\0';
    assert_int_equal(audit_append(f->t.st, 1, big, "ack", big, NULL), 1);
    assert_int_equal(store_commit(f->t.st), 0);
    /* A rolled-back change leaves no row. */
    assert_int_equal(store_begin(f->t.st), 0);
    assert_int_equal(audit_append(f->t.st, 2, "bob", "ack", "R1", NULL), 2);
    store_rollback(f->t.st);
    audit_check chk;
    assert_int_equal(audit_verify(f->t.st, &chk), 0);
    assert_int_equal(chk.rows, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known_vector),
        T(test_chain),
        T(test_verify_detects_a_changed_row),
        T(test_verify_detects_a_removed_row),
        T(test_verify_detects_a_removed_and_renumbered_row),
        T(test_append_refuses_bad_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
