/* route.c: partner routing rules. */
#include "route.h"

#include <string.h>

int route_match(const cfg_partner *p, const prc_code *code, int priority, const char *zone)
{
    if (!code->alert || priority > p->min_priority)
        return 0;
    if (p->ncodes > 0) {
        int hit = 0;
        for (int i = 0; i < p->ncodes && !hit; i++)
            hit = strcmp(p->codes[i], code->code) == 0;
        if (!hit)
            return 0;
    }
    if (p->nzones > 0) {
        int hit = 0;
        for (int i = 0; i < p->nzones && zone && !hit; i++)
            hit = strcmp(p->zones[i], zone) == 0;
        if (!hit)
            return 0;
    }
    return 1;
}
