/* phone.c: E.164 normalisation. */
#include "phone.h"

#include <stdio.h>
#include <string.h>

int phone_normalise(const char *in, const char *country_code, char *out, size_t outsz)
{
    char digits[32];
    size_t n = 0;
    int plus = 0;

    for (const char *p = in; *p; p++) {
        /* "+44 (0) 7700 900123": the national trunk 0 written after the country code. */
        if (strncmp(p, "(0)", 3) == 0 && (plus || n > 0)) {
            p += 2;
            continue;
        }
        if (*p == '+' && n == 0 && !plus)
            plus = 1;
        else if (*p >= '0' && *p <= '9') {
            if (n + 1 >= sizeof digits)
                return -1;
            digits[n++] = *p;
        } else if (!strchr(" -.()\t", *p))
            return -1;
    }
    digits[n] = '\0';
    const char *d = digits;
    char buf[40];
    if (!plus) {
        if (n > 2 && d[0] == '0' && d[1] == '0') {
            d += 2;
        } else if (n > 1 && d[0] == '0') {
            snprintf(buf, sizeof buf, "%s%s", country_code, d + 1);
            d = buf;
        } else {
            return -1;
        }
    }
    size_t len = strlen(d);
    if (len < 8 || len > 15 || d[0] == '0')
        return -1;
    int w = snprintf(out, outsz, "+%s", d);
    return (w < 0 || (size_t)w >= outsz) ? -1 : 0;
}
