/* prc_gsm7.h: the GSM 03.38 default alphabet, for replies that must fit one SMS. */
#ifndef PRC_GSM7_H
#define PRC_GSM7_H

#include <stddef.h>
#include <stdint.h>

/* Septets cp takes in GSM-7: 1 (basic table), 2 (extension table: ^ { } \ [ ~ ] | euro),
 * 0 if it is not representable. */
int prc_gsm7_septets(int32_t cp);

/* Septets of UTF-8 s[0..len), or -1 if any character is not GSM-7 (or s is not UTF-8). */
long prc_gsm7_len(const char *s, size_t len);

/* Copies UTF-8 s[0..len) into dst (NUL-terminated, at most dstsz bytes with the NUL),
 * replacing each character that is not GSM-7 by '?' and control characters by a
 * space, and stopping before max_septets would be exceeded or dst is full.
 * Returns the septets written. */
size_t prc_gsm7_sanitize(char *dst, size_t dstsz, const char *s, size_t len,
                         size_t max_septets);

#endif
