/* prc_token.c: PRC/1 tokens over valid UTF-8 text. Pure: no I/O, no allocation. */
#include "prc_token.h"

#include <string.h>

#include "prc_utf8.h"

int prc_token_is_sep(int cp)
{
    return cp == '/' || cp == ';' || prc_utf8_is_space((int32_t)cp);
}

/* Decodes the code point at *pos; a malformed byte reads as -1 and still
 * advances by one so that every loop here makes progress. */
static int32_t next_cp(const char *text, size_t len, size_t *pos)
{
    size_t p = *pos;
    int32_t cp = prc_utf8_next(text, len, &p);

    if (p <= *pos) {
        p = *pos + 1;
    }
    if (p > len) {
        p = len;
    }
    *pos = p;
    return cp;
}

size_t prc_token_skip_seps(const char *text, size_t len, size_t pos)
{
    while (pos < len) {
        size_t p = pos;
        int32_t cp = next_cp(text, len, &p);

        if (cp < 0 || !prc_token_is_sep(cp)) {
            break;
        }
        pos = p;
    }
    return pos < len ? pos : len;
}

int prc_token_next(const char *text, size_t len, size_t *pos, prc_token *tok)
{
    size_t start = prc_token_skip_seps(text, len, *pos);
    size_t end = start;

    if (start >= len) {
        *pos = len;
        return 0;
    }
    while (end < len) {
        size_t p = end;
        int32_t cp = next_cp(text, len, &p);

        if (cp >= 0 && prc_token_is_sep(cp)) {
            break;
        }
        end = p;
    }
    tok->off = start;
    tok->len = end - start;
    *pos = end;
    return 1;
}

size_t prc_token_rtrim(const char *text, size_t len)
{
    size_t end = 0;
    size_t pos = 0;

    /* Forward scan: UTF-8 cannot be decoded backwards safely in one step. */
    while (pos < len) {
        int32_t cp = next_cp(text, len, &pos);

        if (cp < 0 || !prc_utf8_is_space(cp)) {
            end = pos;
        }
    }
    return end;
}

int prc_token_eq(const char *text, const prc_token *tok, const char *word)
{
    size_t n = strlen(word);

    if (tok->len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)text[tok->off + i];
        unsigned char b = (unsigned char)word[i];

        if (a >= 'a' && a <= 'z') {
            a = (unsigned char)(a - 'a' + 'A');
        }
        if (b >= 'a' && b <= 'z') {
            b = (unsigned char)(b - 'a' + 'A');
        }
        if (a != b) {
            return 0;
        }
    }
    return 1;
}
