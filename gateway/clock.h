/* clock.h: wall-clock and monotonic time in milliseconds, in one place so
 * that tests can shift the wall clock (PATROL_CLOCK_OFFSET_MS). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Unix time in ms (plus the test offset, if any). */
int64_t clock_now_ms(void);
/* Monotonic ms, for timeouts and backoff. */
int64_t clock_mono_ms(void);
/* RFC 3339 UTC with milliseconds, "2026-11-23T09:00:00.123Z"; out >= 32 bytes. */
void clock_rfc3339(int64_t ms, char *out, size_t outsz);
/* Local HH:MM of a Unix ms time. */
void clock_local_hhmm(int64_t ms, int *hh, int *mm);

#endif
