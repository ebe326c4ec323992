/* prc_postcode.c: UK postcode format checks (Royal Mail rules) and normalisation. */
#include "prc_postcode.h"

#include <string.h>

/* ASCII upper case: toupper() would depend on the locale. */
static char up(char c)
{
    if (c >= 'a' && c <= 'z') {
        return (char)(c - 'a' + 'A');
    }
    return c;
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A letter (any case) that is not one of the refused letters. */
static int letter_not_in(char c, const char *refused)
{
    return is_alpha(c) && strchr(refused, up(c)) == NULL;
}

/* A letter (any case) that is one of the allowed letters. */
static int letter_in(char c, const char *allowed)
{
    return is_alpha(c) && strchr(allowed, up(c)) != NULL;
}

/* Royal Mail position rules for the outward code. */
#define PC_FIRST_REFUSED "QVX"
#define PC_SECOND_REFUSED "IJZ"
#define PC_THIRD_A9A "ABCDEFGHJKPSTUW"
#define PC_FOURTH_AA9A "ABEHMNPRVWXY"
#define PC_INWARD_REFUSED "CIKMOV"

/* 1 if s[0..n) is an outward code: A9, A99, AA9, AA99, A9A or AA9A. */
static int outward_ok(const char *s, size_t n)
{
    if (n < 2 || n > 4 || !letter_not_in(s[0], PC_FIRST_REFUSED)) {
        return 0;
    }
    switch (n) {
    case 2: /* A9 */
        return is_digit(s[1]);
    case 3:
        if (is_digit(s[1])) {
            /* A99 or A9A */
            return is_digit(s[2]) || letter_in(s[2], PC_THIRD_A9A);
        }
        /* AA9 */
        return letter_not_in(s[1], PC_SECOND_REFUSED) && is_digit(s[2]);
    default: /* 4: AA99 or AA9A */
        if (!letter_not_in(s[1], PC_SECOND_REFUSED) || !is_digit(s[2])) {
            return 0;
        }
        return is_digit(s[3]) || letter_in(s[3], PC_FOURTH_AA9A);
    }
}

/* 1 if s[0..3) is an inward code 9AA. */
static int inward_ok(const char *s)
{
    return is_digit(s[0]) && letter_not_in(s[1], PC_INWARD_REFUSED) &&
           letter_not_in(s[2], PC_INWARD_REFUSED);
}

int prc_postcode_full(const char *s, size_t len, char out[9])
{
    size_t outlen;
    const char *in;
    size_t i;

    if (s == NULL || len < 5 || len > 8) {
        return 0;
    }
    in = s + len - 3;
    outlen = len - 3;
    /* either exactly one space between outward and inward, or none at all */
    if (s[outlen - 1] == ' ') {
        outlen--;
    }
    for (i = 0; i < outlen; i++) {
        if (s[i] == ' ') {
            return 0;
        }
    }
    if (outlen < 2 || outlen > 4) {
        return 0;
    }
    if (outlen == 3 && up(s[0]) == 'G' && up(s[1]) == 'I' && up(s[2]) == 'R' &&
        in[0] == '0' && up(in[1]) == 'A' && up(in[2]) == 'A') {
        /* GIR 0AA (Girobank), the one postcode outside the rules */
        memcpy(out, "GIR 0AA", 8);
        return 1;
    }
    if (!outward_ok(s, outlen) || !inward_ok(in)) {
        return 0;
    }
    for (i = 0; i < outlen; i++) {
        out[i] = up(s[i]);
    }
    out[i++] = ' ';
    out[i++] = in[0];
    out[i++] = up(in[1]);
    out[i++] = up(in[2]);
    out[i] = '\0';
    return 1;
}

int prc_postcode_district(const char *s, size_t len, char out[5])
{
    size_t i;

    if (s == NULL || !outward_ok(s, len)) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        out[i] = up(s[i]);
    }
    out[i] = '\0';
    return 1;
}

void prc_postcode_split(const char *full, char sector[7], char dist[5])
{
    const char *sp;
    size_t n;

    sector[0] = '\0';
    dist[0] = '\0';
    if (full == NULL) {
        return;
    }
    sp = strchr(full, ' ');
    if (sp == NULL) {
        return;
    }
    n = (size_t)(sp - full);
    if (n < 2 || n > 4 || !is_digit(sp[1])) {
        return;
    }
    memcpy(dist, full, n);
    dist[n] = '\0';
    memcpy(sector, full, n + 2);
    sector[n + 2] = '\0';
}
