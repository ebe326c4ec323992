/* prc_csv.c: a small RFC 4180 reader for the code table and gazetteer files. */
#include "prc_csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prc_csv_init(prc_csv *r, const char *text, size_t len)
{
    r->text = text;
    r->len = text == NULL ? 0 : len;
    r->pos = 0;
    r->line = 1;
    /* a UTF-8 byte order mark, as some spreadsheets write */
    if (r->len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        r->pos = 3;
    }
}

static void set_why(char *err, size_t errsz, const char *why)
{
    if (err != NULL && errsz > 0) {
        (void)snprintf(err, errsz, "%s", why);
    }
}

/* 1 if the line starting at pos holds only ASCII spaces and tabs. */
static int blank_line(const prc_csv *r, size_t pos)
{
    for (; pos < r->len && r->text[pos] != '\n'; pos++) {
        char c = r->text[pos];
        if (c != ' ' && c != '\t' && !(c == '\r' && (pos + 1 == r->len ||
                                                      r->text[pos + 1] == '\n'))) {
            return 0;
        }
    }
    return 1;
}

/* Moves pos past the end of the current physical line. */
static void skip_line(prc_csv *r)
{
    while (r->pos < r->len && r->text[r->pos] != '\n') {
        r->pos++;
    }
    if (r->pos < r->len) {
        r->pos++;
        r->line++;
    }
}

/* 1 if a line ends at pos: LF, CRLF, a CR as the very last byte, or the end. */
static int at_eol(const prc_csv *r, size_t pos)
{
    if (pos >= r->len || r->text[pos] == '\n') {
        return 1;
    }
    return r->text[pos] == '\r' && (pos + 1 == r->len || r->text[pos + 1] == '\n');
}

/* Consumes the line end at r->pos (if any). */
static void eat_eol(prc_csv *r)
{
    if (r->pos < r->len && r->text[r->pos] == '\r') {
        r->pos++;
    }
    if (r->pos < r->len && r->text[r->pos] == '\n') {
        r->pos++;
        r->line++;
    }
}

int prc_csv_next(prc_csv *r, prc_csv_row *row, char *err, size_t errsz)
{
    size_t b = 0;         /* bytes used in row->buf */
    size_t line_start;    /* offset where the current physical line starts */

    row->nfields = 0;
    row->buf[0] = '\0';
    row->line = r->line;
    if (err != NULL && errsz > 0) {
        err[0] = '\0';
    }
    while (r->pos < r->len && blank_line(r, r->pos)) {
        skip_line(r);
    }
    if (r->pos >= r->len) {
        row->line = r->line;
        return 0;
    }
    row->line = r->line;
    line_start = r->pos;

    for (;;) {
        size_t start;
        size_t end;

        if (row->nfields == PRC_CSV_FIELDS_MAX) {
            set_why(err, errsz, "too many fields");
            skip_line(r);
            return -1;
        }
        row->field[row->nfields++] = row->buf + b;
        /* unquoted fields lose surrounding spaces, so skip them before a quote too */
        while (r->pos < r->len && r->text[r->pos] == ' ') {
            r->pos++;
        }
        if (r->pos < r->len && r->text[r->pos] == '"') {
            r->pos++;
            for (;;) {
                char c;

                if (r->pos >= r->len) {
                    set_why(err, errsz, "unterminated quoted field");
                    return -1;
                }
                c = r->text[r->pos];
                if (c == '"') {
                    if (r->pos + 1 < r->len && r->text[r->pos + 1] == '"') {
                        r->pos++; /* "" is one quote */
                    } else {
                        r->pos++;
                        break;
                    }
                }
                if (r->pos - line_start >= PRC_CSV_LINE_MAX) {
                    row->line = r->line;
                    set_why(err, errsz, "line too long");
                    skip_line(r);
                    return -1;
                }
                if (c == '\n') {
                    /* a quoted line break starts a new physical line */
                    r->line++;
                    line_start = r->pos + 1;
                }
                if (b + 1 >= sizeof row->buf) {
                    set_why(err, errsz, "record too long");
                    skip_line(r);
                    return -1;
                }
                row->buf[b++] = c;
                r->pos++;
            }
            while (r->pos < r->len && r->text[r->pos] == ' ') {
                r->pos++;
            }
            if (!at_eol(r, r->pos) && r->text[r->pos] != ',') {
                row->line = r->line;
                set_why(err, errsz, "unexpected text after a closing quote");
                skip_line(r);
                return -1;
            }
        } else {
            start = r->pos;
            while (!at_eol(r, r->pos) && r->text[r->pos] != ',') {
                r->pos++;
            }
            end = r->pos;
            if (end - line_start > PRC_CSV_LINE_MAX) {
                row->line = r->line;
                set_why(err, errsz, "line too long");
                skip_line(r);
                return -1;
            }
            while (end > start && r->text[end - 1] == ' ') {
                end--;
            }
            if (b + (end - start) + 1 > sizeof row->buf) {
                set_why(err, errsz, "record too long");
                skip_line(r);
                return -1;
            }
            memcpy(row->buf + b, r->text + start, end - start);
            b += end - start;
        }
        if (r->pos - line_start > PRC_CSV_LINE_MAX) {
            row->line = r->line;
            set_why(err, errsz, "line too long");
            skip_line(r);
            return -1;
        }
        row->buf[b++] = '\0';
        if (at_eol(r, r->pos)) {
            eat_eol(r);
            return 1;
        }
        r->pos++; /* the comma */
    }
}

void prc_csv_error(char *err, size_t errsz, const char *fname, unsigned line,
                   const char *fmt, ...)
{
    char reason[PRC_ERR_MAX];
    va_list ap;

    if (err == NULL || errsz == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    (void)snprintf(err, errsz, "%s:%u: %s", fname, line, reason);
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'a' && *a <= 'z') ? (char)(*a - 32) : *a;
        char y = (*b >= 'a' && *b <= 'z') ? (char)(*b - 32) : *b;
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

/* "code,aliases,name" from the column names, for error messages. */
static void join_cols(char *out, size_t outsz, const char *const *cols, int ncols)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < ncols && used < outsz; i++) {
        int n = snprintf(out + used, outsz - used, "%s%s", i ? "," : "", cols[i]);
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
}

int prc_csv_table(const char *text, size_t len, const char *fname,
                  const char *const *cols, int ncols, const char *what, size_t max,
                  prc_csv_row_fn fn, void *ctx, char *err, size_t errsz)
{
    prc_csv r;
    char why[PRC_ERR_MAX];
    char header[PRC_ERR_MAX / 2];
    size_t nrows = 0;
    unsigned header_line;
    int rc;
    int ok = 1;
    /* A record is large (PRC_CSV_LINE_MAX): not on the caller's stack. */
    prc_csv_row *row = malloc(sizeof *row);

    join_cols(header, sizeof header, cols, ncols);
    if (err != NULL && errsz > 0) {
        err[0] = '\0';
    }
    if (text == NULL && len > 0) {
        prc_csv_error(err, errsz, fname, 1, "no text");
        free(row);
        return -1;
    }
    if (len > PRC_TABLE_FILE_MAX) {
        prc_csv_error(err, errsz, fname, 1, "file too large (max %zu bytes)", PRC_TABLE_FILE_MAX);
        free(row);
        return -1;
    }
    if (row == NULL) {
        prc_csv_error(err, errsz, fname, 1, "out of memory");
        return -1;
    }
    prc_csv_init(&r, text, len);
    rc = prc_csv_next(&r, row, why, sizeof why);
    if (rc < 0) {
        prc_csv_error(err, errsz, fname, row->line, "%s", why);
        goto fail;
    }
    if (rc == 0) {
        prc_csv_error(err, errsz, fname, 1, "empty file (expected header %s)", header);
        goto fail;
    }
    ok = row->nfields == ncols;
    for (int i = 0; ok && i < ncols; i++) {
        ok = ascii_ieq(row->field[i], cols[i]);
    }
    if (!ok) {
        prc_csv_error(err, errsz, fname, row->line, "bad header (expected %s)", header);
        goto fail;
    }
    header_line = row->line;
    for (;;) {
        rc = prc_csv_next(&r, row, why, sizeof why);
        if (rc < 0) {
            prc_csv_error(err, errsz, fname, row->line, "%s", why);
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        if (nrows == max) {
            prc_csv_error(err, errsz, fname, row->line, "too many %s (max %zu)", what, max);
            goto fail;
        }
        if (fn(ctx, row, fname, err, errsz) != 0) {
            goto fail;
        }
        nrows++;
    }
    if (nrows == 0) {
        prc_csv_error(err, errsz, fname, header_line, "no %s after the header", what);
        goto fail;
    }
    free(row);
    return 0;

fail:
    free(row);
    return -1;
}
