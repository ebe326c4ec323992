/* prc_geo.c: decimal coordinates. */
#include "prc_geo.h"

#include <math.h>
#include <stdint.h>

/* Fraction digits beyond this are checked but ignored (1e-12 degree is
 * under a micrometre), so that mantissa and scale stay exact doubles. */
#define GEO_FRAC_DIGITS_MAX 12
/* Integer part above this cannot be a coordinate; stop accumulating. */
#define GEO_INT_MAX 1000

/* Parses one number: optional sign, digits, optional '.' and digits, at
 * least one digit. Locale-independent (no strtod). 1 and *out, or 0. */
static int parse_number(const char *s, size_t len, double *out)
{
    size_t i = 0;
    int neg = 0;
    int ndigits = 0;
    uint64_t ipart = 0;
    uint64_t frac = 0;
    int fdigits = 0;
    double scale = 1.0;

    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i++;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (ipart <= GEO_INT_MAX) {
            ipart = ipart * 10 + (uint64_t)(s[i] - '0');
        }
        ndigits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (fdigits < GEO_FRAC_DIGITS_MAX) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                scale *= 10.0;
                fdigits++;
            }
            ndigits++;
        }
    }
    if (i != len || ndigits == 0) {
        return 0;
    }
    if (ipart > GEO_INT_MAX) {
        *out = neg ? -(double)GEO_INT_MAX * 2 : (double)GEO_INT_MAX * 2;
        return 1;
    }
    /* ipart * 10^k + frac < 2^53 and 10^k <= 1e12: one correctly rounded division */
    *out = (double)(ipart * (uint64_t)scale + frac) / scale;
    if (neg) {
        *out = -*out;
    }
    return 1;
}

int prc_geo_parse(const char *s, size_t len, double *lat, double *lon)
{
    size_t comma = len;
    double la;
    double lo;

    if (s == NULL) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ',') {
            if (comma != len) {
                return 0; /* a second comma */
            }
            comma = i;
        }
    }
    if (comma == len) {
        return 0;
    }
    if (!parse_number(s, comma, &la) || !parse_number(s + comma + 1, len - comma - 1, &lo)) {
        return 0;
    }
    if (la < -90.0 || la > 90.0 || lo < -180.0 || lo > 180.0) {
        return 0;
    }
    if (lat != NULL) {
        *lat = la;
    }
    if (lon != NULL) {
        *lon = lo;
    }
    return 1;
}

double prc_geo_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088;
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad;
    double dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

    /* rounding can push a a hair above 1 for antipodes */
    if (a > 1.0) {
        a = 1.0;
    }
    return 2.0 * r * asin(sqrt(a));
}
