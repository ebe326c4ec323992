/* prc_postcode.h: UK postcode format checks (Royal Mail rules) and normalisation. */
#ifndef PRC_POSTCODE_H
#define PRC_POSTCODE_H

#include <stddef.h>

/* If s[0..len) (with or without the one space, any case) is a full UK postcode
 * of a valid format, incl. the special forms (GIR 0AA, EC1A 1BB, W1A 0AX),
 * writes it upper case with one space into out (at least 9 bytes) and
 * returns 1; else 0. */
int prc_postcode_full(const char *s, size_t len, char out[9]);

/* 1 if s[0..len) is a valid outward code (postcode district, e.g. "CT6",
 * "EC1A"); writes it upper case into out (at least 5 bytes). */
int prc_postcode_district(const char *s, size_t len, char out[5]);

/* For a normalised full postcode, writes its sector ("CT6 5") into out
 * (at least 7 bytes) and its district ("CT6") into dist (at least 5 bytes). */
void prc_postcode_split(const char *full, char sector[7], char dist[5]);

#endif
