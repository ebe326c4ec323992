/* prc_gazetteer.h: zones, landmark aliases and postcode districts of one area. */
#ifndef PRC_GAZETTEER_H
#define PRC_GAZETTEER_H

#include <stddef.h>
#include "prc_codes.h"
#include "prc_limits.h"

typedef struct prc_zone {
    char zone[PRC_ZONE_MAX + 1];  /* zone code, upper case, e.g. "HB12" */
    char name[PRC_NAME_MAX + 1];  /* e.g. "Pier and seafront" */
    double lat, lon;              /* centroid */
    char aliases[PRC_MAX_ZONE_ALIASES][PRC_ALIAS_MAX + 1];      /* upper case */
    int naliases;
    char districts[PRC_MAX_ZONE_DISTRICTS][PRC_DISTRICT_MAX + 1]; /* "CT6" or "CT6 5" */
    int ndistricts;
} prc_zone;

typedef struct prc_gazetteer prc_gazetteer; /* opaque */

/* An empty gazetteer (no zones): only postcodes and coordinates resolve.
 * Caller owns. NULL on ENOMEM. */
prc_gazetteer *prc_gazetteer_empty(void);

/* Parses CSV with header `zone,name,lat,lon,aliases,districts` (aliases and
 * districts separated by '|'). Zone codes and aliases must be unique across
 * the file and never equal a code, alias (of codes) or command word; a
 * district or sector may appear in only one zone. On error NULL and
 * "<fname>:<line>: <reason>" in err. Caller owns. */
prc_gazetteer *prc_gazetteer_load(const char *csv, size_t len, const char *fname,
                                  const prc_codes *codes, char *err, size_t errsz);

/* Re-checks an already loaded gazetteer against a (new) code table: 0 if no
 * zone or alias collides with a code, alias or command, else -1 with err. */
int prc_gazetteer_check(const prc_gazetteer *g, const prc_codes *codes,
                        char *err, size_t errsz);

void prc_gazetteer_free(prc_gazetteer *g); /* accepts NULL */

size_t prc_gazetteer_count(const prc_gazetteer *g);
const prc_zone *prc_gazetteer_at(const prc_gazetteer *g, size_t i);

/* Case-insensitive: a zone code, or a landmark alias (then *alias_hit = 1).
 * A multi-word alias is matched by its words separated by one space
 * ("HERNE BAY PIER"). */
const prc_zone *prc_gazetteer_find(const prc_gazetteer *g, const char *tok,
                                   size_t len, int *alias_hit);

/* The zone of a normalised full postcode ("CT6 5AB": sector "CT6 5" first,
 * then district "CT6") or of a district alone ("CT6"); NULL if unmapped. */
const prc_zone *prc_gazetteer_postcode(const prc_gazetteer *g, const char *pc);

/* The zone whose centroid is nearest to (lat, lon), if within radius_km. */
const prc_zone *prc_gazetteer_nearest(const prc_gazetteer *g, double lat,
                                      double lon, double radius_km);

/* 1 if tok (case-insensitive) is a prefix shared by at least one zone code,
 * e.g. "HB" for HB01..HB12: an area for ON. */
int prc_gazetteer_is_area(const prc_gazetteer *g, const char *tok, size_t len);

/* Most words in one landmark alias (1 when no alias has a space): how many
 * tokens a parser must try to join to find the longest alias. */
size_t prc_gazetteer_alias_words(const prc_gazetteer *g);

/* Up to max zone codes and landmark aliases nearest to tok (optimal string
 * alignment distance, case-insensitive, at most 2 edits and fewer than the
 * longer length): only those at the smallest distance found, in table order.
 * out[i] points into g. Returns how many were written. */
size_t prc_gazetteer_suggest(const prc_gazetteer *g, const char *tok, size_t len,
                             const char **out, size_t max);

#endif
