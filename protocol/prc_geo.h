/* prc_geo.h: decimal coordinates. */
#ifndef PRC_GEO_H
#define PRC_GEO_H

#include <stddef.h>

/* Parses "lat,lon" (decimal degrees, optional sign, no spaces, no exponent):
 * lat in [-90,90], lon in [-180,180]. Returns 1 and sets *lat, *lon, or 0. */
int prc_geo_parse(const char *s, size_t len, double *lat, double *lon);

/* Great-circle distance in km (haversine, mean Earth radius 6371.0088 km). */
double prc_geo_km(double lat1, double lon1, double lat2, double lon2);

#endif
