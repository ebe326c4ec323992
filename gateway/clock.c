/* clock.c: time sources. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t offset_ms(void)
{
    static int loaded;
    static int64_t offset;
    if (!loaded) {
        const char *v = getenv("PATROL_CLOCK_OFFSET_MS");
        offset = v ? strtoll(v, NULL, 10) : 0;
        loaded = 1;
    }
    return offset;
}

int64_t clock_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms();
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_rfc3339(int64_t ms, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char day[24];
    if (!gmtime_r(&t, &tm) || strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, outsz, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, outsz, "%s.%03dZ", day, (int)(ms % 1000));
}

void clock_local_hhmm(int64_t ms, int *hh, int *mm)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm)) {
        *hh = 0;
        *mm = 0;
        return;
    }
    *hh = tm.tm_hour;
    *mm = tm.tm_min;
}
