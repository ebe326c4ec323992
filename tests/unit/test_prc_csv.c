/* test_prc_csv.c: the RFC 4180 reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prc_csv.h"
#include "prc_limits.h"

/* Expected records: fields joined with '|' (fields in these cases have no '|'),
 * each record prefixed by its line, e.g. "1:a|b". */
typedef struct csv_case {
    const char *text;
    size_t len; /* 0: strlen */
    const char *want[6];
    int nwant;
} csv_case;

static const csv_case ok_cases[] = {
    {"a,b,c\n", 0, {"1:a|b|c"}, 1},
    {"a,b,c", 0, {"1:a|b|c"}, 1},                           /* no final line end */
    {"a,b\r\nc,d\r\n", 0, {"1:a|b", "2:c|d"}, 2},           /* CRLF */
    {"a,b\nc,d\r\ne,f", 0, {"1:a|b", "2:c|d", "3:e|f"}, 3}, /* mixed */
    {"\xEF\xBB\xBFh1,h2\n1,2\n", 0, {"1:h1|h2", "2:1|2"}, 2}, /* BOM skipped */
    {"\n\na\n\r\n  \n\t\nb\n\n", 0, {"3:a", "7:b"}, 2},     /* blank lines skipped */
    {"  a  ,  b c  ,c\n", 0, {"1:a|b c|c"}, 1},             /* unquoted trimmed */
    {"\"  a  \",b\n", 0, {"1:  a  |b"}, 1},                 /* quoted kept */
    {"\"a,b\",c\n", 0, {"1:a,b|c"}, 1},                     /* comma in quotes */
    {"\"say \"\"hi\"\"\",x\n", 0, {"1:say \"hi\"|x"}, 1},   /* escaped quotes */
    {"\"\"\"\",\"\"\n", 0, {"1:\"|"}, 1},                   /* just a quote; empty */
    {"a,\"two\nlines\",c\nd\n", 0, {"1:a|two\nlines|c", "3:d"}, 2}, /* quoted LF */
    {"a,,c,\n", 0, {"1:a||c|"}, 1},                         /* empty fields */
    {",\n", 0, {"1:|"}, 1},
    {"  \"q\"  ,x\n", 0, {"1:q|x"}, 1},                     /* spaces around quotes */
    {"a\"b,c\n", 0, {"1:a\"b|c"}, 1},                       /* lone quote inside: literal */
    {"caf\xC3\xA9,\xE2\x82\xAC\n", 0, {"1:caf\xC3\xA9|\xE2\x82\xAC"}, 1},
    {"", 0, {NULL}, 0},
    {"\xEF\xBB\xBF", 0, {NULL}, 0},
    {"\n\r\n\n", 0, {NULL}, 0},
};

static void join_row(const prc_csv_row *row, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%u:", row->line);

    assert_true(n > 0 && (size_t)n < outsz);
    for (int i = 0; i < row->nfields; i++) {
        int k = snprintf(out + n, outsz - (size_t)n, "%s%s", i ? "|" : "", row->field[i]);
        assert_true(k >= 0 && (size_t)k < outsz - (size_t)n);
        n += k;
    }
}

static void test_ok_table(void **state)
{
    static prc_csv_row row;

    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const csv_case *c = &ok_cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        char err[64];
        prc_csv r;
        int k = 0;
        int rc;

        prc_csv_init(&r, c->text, len);
        while ((rc = prc_csv_next(&r, &row, err, sizeof err)) == 1) {
            char got[256];

            join_row(&row, got, sizeof got);
            if (k >= c->nwant || strcmp(got, c->want[k]) != 0) {
                fail_msg("case %zu record %d: got '%s', want '%s'", i, k, got,
                         k < c->nwant ? c->want[k] : "(none)");
            }
            k++;
        }
        if (rc != 0) {
            fail_msg("case %zu: error '%s' at line %u", i, err, row.line);
        }
        assert_int_equal(k, c->nwant);
        /* at the end it stays at the end */
        assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 0);
    }
}

typedef struct err_case {
    const char *text;
    int records_before; /* good records before the error */
    unsigned line;
    const char *err;
} err_case;

static const err_case err_cases[] = {
    {"a,b\n\"unterminated,c\n", 1, 2, "unterminated quoted field"},
    {"h\n\n\nx,\"open\nmore\nlines\n", 1, 4, "unterminated quoted field"},
    {"\"a\"b,c\n", 0, 1, "unexpected text after a closing quote"},
    {"ok\n\"a\" x\n", 1, 2, "unexpected text after a closing quote"},
    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n", 0, 1, "too many fields"},
};

static void test_err_table(void **state)
{
    static prc_csv_row row;

    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *c = &err_cases[i];
        char err[64];
        prc_csv r;
        int k = 0;
        int rc;

        prc_csv_init(&r, c->text, strlen(c->text));
        while ((rc = prc_csv_next(&r, &row, err, sizeof err)) == 1) {
            k++;
        }
        if (rc != -1 || k != c->records_before || row.line != c->line ||
            strcmp(err, c->err) != 0) {
            fail_msg("case %zu: rc %d after %d records, line %u '%s'; want line %u '%s'", i, rc,
                     k, row.line, err, c->line, c->err);
        }
    }
}

static void test_fields_cap(void **state)
{
    static prc_csv_row row;
    char err[64];
    prc_csv r;
    const char *sixteen = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n";

    (void)state;
    prc_csv_init(&r, sixteen, strlen(sixteen));
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
    assert_int_equal(row.nfields, PRC_CSV_FIELDS_MAX);
    assert_string_equal(row.field[15], "16");
}

/* Builds "x,<n bytes of filler>\nnext\n"; the first line is n + 2 bytes. */
static char *long_line(size_t n, int quoted, size_t *len)
{
    char *t = malloc(n + 32);
    size_t k = 0;

    assert_non_null(t);
    t[k++] = 'x';
    t[k++] = ',';
    if (quoted) {
        t[k++] = '"';
        memset(t + k, 'q', n - 2);
        k += n - 2;
        t[k++] = '"';
    } else {
        memset(t + k, 'u', n);
        k += n;
    }
    memcpy(t + k, "\nnext\n", 6);
    k += 6;
    *len = k;
    return t;
}

static void test_line_length(void **state)
{
    static prc_csv_row row;
    char err[64];
    prc_csv r;
    size_t len;
    char *t;

    (void)state;
    for (int quoted = 0; quoted <= 1; quoted++) {
        /* exactly PRC_CSV_LINE_MAX bytes: fine */
        t = long_line(PRC_CSV_LINE_MAX - 2, quoted, &len);
        prc_csv_init(&r, t, len);
        assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
        assert_int_equal(row.nfields, 2);
        assert_int_equal(strlen(row.field[1]), PRC_CSV_LINE_MAX - 2 - (quoted ? 2 : 0));
        assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
        assert_string_equal(row.field[0], "next");
        free(t);

        /* one byte more: an error at line 1, and the reader goes on after it */
        t = long_line(PRC_CSV_LINE_MAX - 1, quoted, &len);
        prc_csv_init(&r, t, len);
        assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), -1);
        assert_string_equal(err, "line too long");
        assert_int_equal(row.line, 1);
        assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
        assert_string_equal(row.field[0], "next");
        assert_int_equal(row.line, 2);
        free(t);
    }
}

static void test_long_line_later(void **state)
{
    static prc_csv_row row;
    size_t n = PRC_CSV_LINE_MAX + 100;
    char *t = malloc(n + 16);
    char err[64];
    prc_csv r;

    (void)state;
    assert_non_null(t);
    memcpy(t, "a\nb\n", 4);
    memset(t + 4, 'z', n);
    prc_csv_init(&r, t, n + 4);
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 1);
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), -1);
    assert_int_equal(row.line, 3);
    assert_string_equal(err, "line too long");
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), 0);
    free(t);
}

static void test_record_too_long(void **state)
{
    static prc_csv_row row;
    /* a quoted field over many short lines: no line is too long, the record is */
    size_t lines = PRC_CSV_LINE_MAX / 8 + 2;
    size_t cap = lines * 8 + 16;
    char *t = malloc(cap);
    size_t k = 0;
    char err[64];
    prc_csv r;

    (void)state;
    assert_non_null(t);
    t[k++] = '"';
    for (size_t i = 0; i < lines; i++) {
        memcpy(t + k, "abcdefg\n", 8);
        k += 8;
    }
    t[k++] = '"';
    t[k++] = '\n';
    assert_true(k <= cap);
    prc_csv_init(&r, t, k);
    assert_int_equal(prc_csv_next(&r, &row, err, sizeof err), -1);
    assert_string_equal(err, "record too long");
    free(t);
}

static void test_err_buffer_optional(void **state)
{
    static prc_csv_row row;
    prc_csv r;

    (void)state;
    prc_csv_init(&r, "\"x", 2);
    assert_int_equal(prc_csv_next(&r, &row, NULL, 0), -1);
    prc_csv_init(&r, NULL, 0);
    assert_int_equal(prc_csv_next(&r, &row, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_table),
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_fields_cap),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_long_line_later),
        cmocka_unit_test(test_record_too_long),
        cmocka_unit_test(test_err_buffer_optional),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
