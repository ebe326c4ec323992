/* prc_utf8.c: UTF-8 validation and decoding, Unicode white space. */
#include "prc_utf8.h"

/* Decodes one sequence at s[pos]; returns its length (1..4) and sets *cp,
 * or 0 if it is malformed (overlong, surrogate, > U+10FFFF, truncated). */
static size_t decode(const unsigned char *s, size_t len, size_t pos, int32_t *cp)
{
    unsigned char b0 = s[pos];
    size_t need;
    int32_t v;
    int32_t min;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        v = b0 & 0x1F;
        min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        v = b0 & 0x0F;
        min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        v = b0 & 0x07;
        min = 0x10000;
    } else {
        /* continuation byte first, C0/C1 (always overlong) or F5..FF */
        return 0;
    }
    if (len - pos - 1 < need) {
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        unsigned char b = s[pos + i];
        if ((b & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (int32_t)(b & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return 0;
    }
    *cp = v;
    return need + 1;
}

int prc_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t pos = 0;

    if (s == NULL) {
        return len == 0;
    }
    while (pos < len) {
        int32_t cp;
        size_t n;

        /* fast path for ASCII; NUL is refused because texts end up in C strings */
        if (u[pos] < 0x80) {
            if (u[pos] == 0) {
                return 0;
            }
            pos++;
            continue;
        }
        n = decode(u, len, pos, &cp);
        if (n == 0) {
            return 0;
        }
        pos += n;
    }
    return 1;
}

int32_t prc_utf8_next(const char *s, size_t len, size_t *pos)
{
    int32_t cp;
    size_t n;

    if (s == NULL || *pos >= len) {
        return -1;
    }
    n = decode((const unsigned char *)s, len, *pos, &cp);
    if (n == 0) {
        /* resynchronise on the next byte */
        (*pos)++;
        return -1;
    }
    *pos += n;
    return cp;
}

size_t prc_utf8_count(const char *s, size_t len)
{
    size_t pos = 0;
    size_t n = 0;

    if (s == NULL) {
        return 0;
    }
    while (pos < len) {
        /* a malformed byte counts as one character, so the count is bounded by len */
        (void)prc_utf8_next(s, len, &pos);
        n++;
    }
    return n;
}

int prc_utf8_is_space(int32_t cp)
{
    if (cp >= 0x09 && cp <= 0x0D) {
        return 1;
    }
    if (cp >= 0x2000 && cp <= 0x200A) {
        return 1;
    }
    switch (cp) {
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return 0;
    }
}

size_t prc_utf8_encode(int32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;

    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
