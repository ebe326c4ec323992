/* prc_gsm7.c: the GSM 03.38 default alphabet, for replies that must fit one SMS. */
#include "prc_gsm7.h"

#include <string.h>

#include "prc_utf8.h"

/* Non-ASCII code points of the GSM 03.38 basic table (one septet each). */
static const int32_t gsm7_basic_nonascii[] = {
    0x00A1, /* ¡ */ 0x00A3, /* £ */ 0x00A4, /* ¤ */ 0x00A5, /* ¥ */
    0x00A7, /* § */ 0x00BF, /* ¿ */ 0x00C4, /* Ä */ 0x00C5, /* Å */
    0x00C6, /* Æ */ 0x00C7, /* Ç */ 0x00C9, /* É */ 0x00D1, /* Ñ */
    0x00D6, /* Ö */ 0x00D8, /* Ø */ 0x00DC, /* Ü */ 0x00DF, /* ß */
    0x00E0, /* à */ 0x00E4, /* ä */ 0x00E5, /* å */ 0x00E6, /* æ */
    0x00E8, /* è */ 0x00E9, /* é */ 0x00EC, /* ì */ 0x00F1, /* ñ */
    0x00F2, /* ò */ 0x00F6, /* ö */ 0x00F8, /* ø */ 0x00F9, /* ù */
    0x00FC, /* ü */ 0x0393, /* Γ */ 0x0394, /* Δ */ 0x0398, /* Θ */
    0x039B, /* Λ */ 0x039E, /* Ξ */ 0x03A0, /* Π */ 0x03A3, /* Σ */
    0x03A6, /* Φ */ 0x03A8, /* Ψ */ 0x03A9, /* Ω */
};

int prc_gsm7_septets(int32_t cp)
{
    if (cp == '\n' || cp == '\r') {
        return 1;
    }
    if (cp >= 0x20 && cp <= 0x7E) {
        switch (cp) {
        case '^':
        case '{':
        case '}':
        case '\\':
        case '[':
        case '~':
        case ']':
        case '|':
            return 2; /* extension table: escape + code */
        case '`':
            return 0; /* 0x60 in GSM is ¿, there is no backtick */
        default:
            return 1;
        }
    }
    if (cp == 0x20AC) {
        return 2; /* euro sign, extension table */
    }
    for (size_t i = 0; i < sizeof gsm7_basic_nonascii / sizeof gsm7_basic_nonascii[0]; i++) {
        if (gsm7_basic_nonascii[i] == cp) {
            return 1;
        }
    }
    return 0;
}

long prc_gsm7_len(const char *s, size_t len)
{
    size_t pos = 0;
    long n = 0;

    if (s == NULL) {
        return len == 0 ? 0 : -1;
    }
    while (pos < len) {
        int32_t cp = prc_utf8_next(s, len, &pos);
        int k;

        if (cp < 0) {
            return -1;
        }
        k = prc_gsm7_septets(cp);
        if (k == 0) {
            return -1;
        }
        n += k;
    }
    return n;
}

/* Control characters: C0, DEL and C1. */
static int is_control(int32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

size_t prc_gsm7_sanitize(char *dst, size_t dstsz, const char *s, size_t len,
                         size_t max_septets)
{
    size_t pos = 0;
    size_t out = 0;
    size_t septets = 0;

    if (dst == NULL || dstsz == 0) {
        return 0;
    }
    dst[0] = '\0';
    if (s == NULL) {
        return 0;
    }
    while (pos < len) {
        int32_t cp = prc_utf8_next(s, len, &pos);
        char enc[4];
        size_t nb;
        int k;

        /* replies are one line: controls (CR, LF, tab too) and Unicode spaces become ' ' */
        if (cp >= 0 && (is_control(cp) || prc_utf8_is_space(cp))) {
            cp = ' ';
        }
        k = cp < 0 ? 0 : prc_gsm7_septets(cp);
        if (k == 0) {
            cp = '?';
            k = 1;
        }
        nb = prc_utf8_encode(cp, enc);
        if (nb == 0) {
            break;
        }
        /* never split a character: stop when it does not fit whole */
        if (septets + (size_t)k > max_septets || out + nb + 1 > dstsz) {
            break;
        }
        memcpy(dst + out, enc, nb);
        out += nb;
        septets += (size_t)k;
    }
    dst[out] = '\0';
    return septets;
}
