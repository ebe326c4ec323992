/* tables.h: the code table and gazetteer files named by the config. */
#ifndef TABLES_H
#define TABLES_H

#include <stddef.h>
#include "config.h"
#include "prc_codes.h"
#include "prc_gazetteer.h"

typedef struct gw_tables {
    prc_codes *codes;      /* owned */
    prc_gazetteer *gaz;    /* owned */
} gw_tables;

/* Loads the tables the config names (built-in codes and an empty gazetteer
 * when none) and checks the partners' codes and zones against them,
 * rewriting partner codes to canonical ones. 0, or -1 with err. */
int tables_load(gw_config *cfg, gw_tables *out, char *err, size_t errsz);
void tables_free(gw_tables *t); /* accepts NULL members */

/* Reads a whole file of at most max bytes into a NUL-terminated buffer the
 * caller frees. NULL with err on failure. */
char *tables_read_file(const char *path, size_t max, size_t *len, char *err, size_t errsz);

#endif
