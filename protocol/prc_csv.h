/* prc_csv.h: a small RFC 4180 reader for the code table and gazetteer files.
 * Works on text the caller has read; never touches files. */
#ifndef PRC_CSV_H
#define PRC_CSV_H

#include <stddef.h>
#include "prc_limits.h"

/* One record: fields point into buf (NUL-terminated, unquoted). */
typedef struct prc_csv_row {
    char buf[PRC_CSV_LINE_MAX + 1];     /* unquoted field bytes */
    const char *field[PRC_CSV_FIELDS_MAX]; /* field[i] points into buf */
    int nfields;                        /* fields in this record */
    unsigned line;                      /* 1-based line where the record starts */
} prc_csv_row;

/* Reader state over text[0..len). A UTF-8 BOM at the start is skipped. */
typedef struct prc_csv {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line;
} prc_csv;

void prc_csv_init(prc_csv *r, const char *text, size_t len);

/* Reads the next non-empty record into row. Returns 1 on a record, 0 at the end,
 * -1 on an error (line too long, too many fields, unterminated quote); then
 * err (errsz bytes) says why and row->line says where. */
int prc_csv_next(prc_csv *r, prc_csv_row *row, char *err, size_t errsz);

/* Writes "<fname>:<line>: <reason>" into err (if err and errsz). */
void prc_csv_error(char *err, size_t errsz, const char *fname, unsigned line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Called for each record after the header; returns 0, or -1 after writing
 * its own error with prc_csv_error(). */
typedef int (*prc_csv_row_fn)(void *ctx, const prc_csv_row *row, const char *fname,
                              char *err, size_t errsz);

/* Reads a whole table file (at most PRC_TABLE_FILE_MAX bytes): a header of
 * exactly the ncols names in cols (case-insensitive, in order), then 1..max
 * records, each handed to fn.
 * what names the records in errors ("codes", "zones"). 0, or -1 with err. */
int prc_csv_table(const char *text, size_t len, const char *fname,
                  const char *const *cols, int ncols, const char *what, size_t max,
                  prc_csv_row_fn fn, void *ctx, char *err, size_t errsz);

#endif
