/* prc_codes.h: the incident code table (built-in default, or loaded from CSV text). */
#ifndef PRC_CODES_H
#define PRC_CODES_H

#include <stddef.h>
#include "prc_limits.h"

typedef struct prc_code {
    char code[PRC_CODE_MAX + 1];                         /* canonical, upper case */
    char aliases[PRC_MAX_CODE_ALIASES][PRC_CODE_MAX + 1]; /* upper case */
    int naliases;
    char name[PRC_NAME_MAX + 1];                         /* e.g. "anti-social behaviour" */
    int priority;                                        /* default priority, 1..4 */
    int alert;                                           /* 0: never alerts (ENG) */
} prc_code;

typedef struct prc_codes prc_codes; /* opaque */

/* The built-in table (DEVELOPERS' contract). Caller owns; prc_codes_free(). NULL on ENOMEM. */
prc_codes *prc_codes_default(void);

/* Parses a code table: CSV with header `code,aliases,name,priority,alert`,
 * aliases separated by '|', priority `1`..`4` or `P1`..`P4`, alert yes/no.
 * Rejects duplicates and collisions among codes and aliases, and any equal to a
 * command keyword (UPD CLR ACK ON OFF HELP). On error returns NULL and writes
 * "<fname>:<line>: <reason>" into err. Caller owns the result. */
prc_codes *prc_codes_load(const char *csv, size_t len, const char *fname,
                          char *err, size_t errsz);

void prc_codes_free(prc_codes *c); /* accepts NULL */

size_t prc_codes_count(const prc_codes *c);
const prc_code *prc_codes_at(const prc_codes *c, size_t i);

/* Case-insensitive lookup of a code or alias; NULL if none. */
const prc_code *prc_codes_find(const prc_codes *c, const char *tok, size_t len);

/* Up to max canonical codes nearest to tok (optimal string alignment
 * distance over codes and aliases, distance <= 2): only those at the smallest
 * distance found, in table order, no code twice. Returns how many were written. */
size_t prc_codes_suggest(const prc_codes *c, const char *tok, size_t len,
                         const prc_code **out, size_t max);

/* 1 if tok (case-insensitive) is a PRC/1 command keyword. */
int prc_is_command_word(const char *tok, size_t len);

#endif
