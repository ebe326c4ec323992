/* prc_utf8.h: UTF-8 validation and decoding, Unicode white space. */
#ifndef PRC_UTF8_H
#define PRC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF,
 * no NUL byte), else 0. */
int prc_utf8_valid(const char *s, size_t len);

/* Decodes the code point at s[*pos] (s valid UTF-8) and advances *pos.
 * Returns the code point, or -1 at the end or on a malformed sequence
 * (then *pos advances by one byte). */
int32_t prc_utf8_next(const char *s, size_t len, size_t *pos);

/* Number of code points in valid UTF-8 s[0..len). */
size_t prc_utf8_count(const char *s, size_t len);

/* 1 if cp is white space: ASCII space, tab, CR, LF, VT, FF, and every
 * Unicode space (Zs category, U+0085, U+2028, U+2029). */
int prc_utf8_is_space(int32_t cp);

/* Writes the UTF-8 form of cp into out (at least 4 bytes); returns bytes
 * written, 0 if cp is not a scalar value. */
size_t prc_utf8_encode(int32_t cp, char *out);

#endif
