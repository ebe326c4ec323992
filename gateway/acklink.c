/* acklink.c: signed acknowledgement links (see acklink.h). */
#include "acklink.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

/* base64url of a 32-byte HMAC, without padding. */
#define SIG_CHARS 43
/* Digits of the expiry in seconds (enough for any year a token could name). */
#define EXPIRY_DIGITS_MAX 12

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* out: SIG_CHARS + 1 bytes. 0 or -1. */
static int sign(const char *secret, const char *msg, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, len, mac,
              &maclen) ||
        maclen != 32)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < maclen; i += 3) {
        unsigned v = (unsigned)mac[i] << 16;
        if (i + 1 < maclen)
            v |= (unsigned)mac[i + 1] << 8;
        if (i + 2 < maclen)
            v |= mac[i + 2];
        size_t chars = i + 2 < maclen ? 4 : i + 1 < maclen ? 3 : 2;
        for (size_t k = 0; k < chars; k++)
            out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
    return o == SIG_CHARS ? 0 : -1;
}

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* [s, s+n) is a decimal number with no leading zero, at most max digits, > 0. */
static int number(const char *s, size_t n, size_t max, int64_t *out)
{
    if (n == 0 || n > max || s[0] == '0')
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int acklink_make(const char *secret, int64_t ref, const char *partner, int64_t expires_ms,
                 char *out, size_t outsz)
{
    char msg[GW_ACK_TOKEN_MAX], sig[SIG_CHARS + 1];
    size_t plen = partner ? strlen(partner) : 0;
    if (outsz > 0)
        out[0] = '\0';
    if (!secret || !secret[0] || ref <= 0 || plen == 0 || plen > GW_NAME_MAX || expires_ms < 1000)
        return -1;
    for (size_t i = 0; i < plen; i++)
        if (!name_char(partner[i]))
            return -1;
    int n = snprintf(msg, sizeof msg, "R%lld.%s.%lld", (long long)ref, partner,
                     (long long)(expires_ms / 1000));
    if (n < 0 || (size_t)n >= sizeof msg || sign(secret, msg, (size_t)n, sig))
        return -1;
    int m = snprintf(out, outsz, "%s.%s", msg, sig);
    if (m < 0 || (size_t)m >= outsz) {
        if (outsz > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int acklink_check(const char *secret, const char *token, int64_t now_ms, int64_t *ref,
                  char *partner, size_t partnersz)
{
    char want[SIG_CHARS + 1];
    int64_t r = 0, exp = 0;
    if (!secret || !secret[0] || !token)
        return -1;
    size_t len = strnlen(token, GW_ACK_TOKEN_MAX);
    if (len == GW_ACK_TOKEN_MAX || token[0] != 'R')
        return -1;
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    const char *d3 = d2 ? strchr(d2 + 1, '.') : NULL;
    if (!d3 || strchr(d3 + 1, '.'))
        return -1;
    size_t plen = (size_t)(d2 - d1 - 1);
    if (!number(token + 1, (size_t)(d1 - token - 1), PRC_REF_DIGITS_MAX, &r) || plen == 0 ||
        plen > GW_NAME_MAX || !number(d2 + 1, (size_t)(d3 - d2 - 1), EXPIRY_DIGITS_MAX, &exp) ||
        strlen(d3 + 1) != SIG_CHARS)
        return -1;
    for (size_t i = 0; i < plen; i++)
        if (!name_char(d1[1 + i]))
            return -1;
    if (sign(secret, token, (size_t)(d3 - token), want))
        return -1;
    /* Constant time: how much of a forged signature matched must not show. */
    if (CRYPTO_memcmp(want, d3 + 1, SIG_CHARS) != 0)
        return -1;
    if (partnersz <= plen)
        return -1;
    *ref = r;
    memcpy(partner, d1 + 1, plen);
    partner[plen] = '\0';
    return now_ms / 1000 < exp ? 0 : -2;
}
