/* route.h: which partners an accepted report alerts (the [partner.*] rules). */
#ifndef ROUTE_H
#define ROUTE_H

#include "config.h"
#include "prc_codes.h"

/* 1 if the report (canonical code, priority 1..4, zone or "") matches p's rule. */
int route_match(const cfg_partner *p, const prc_code *code, int priority, const char *zone);

#endif
