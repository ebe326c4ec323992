/* ratelim.h: how many messages one sender (a radio unit or phone number) and
 * one radio network sent in the current minute, for the rate limits
 * ([gateway] unit_rate_limit and network_rate_limit, docs/config.md).
 *
 * Fixed one-minute windows, counted in a fixed table in memory: the counts
 * start again at 0 when the gateway restarts. A key that finds no room (the
 * table is full of keys active this minute) is not counted and never
 * limited: the network's own count still is. Pure memory, no I/O. */
#ifndef RATELIM_H
#define RATELIM_H

#include <stdint.h>

typedef struct ratelim ratelim;

/* Slots in the table (a sender or network each), and how far a key looks. */
#define RATELIM_SLOTS 4096
#define RATELIM_PROBE 16

/* NULL when out of memory. */
ratelim *ratelim_new(void);
void ratelim_free(ratelim *r); /* accepts NULL */

/* Counts one message of key (kind 'u' a sender, 'n' a network) at `at`
 * (Unix ms); returns the key's count in at's minute, this one included, or
 * 0 if it was not counted (no room). */
long ratelim_hit(ratelim *r, char kind, const char *key, int64_t at);

/* Messages refused by the limits since the start, for the status. */
void ratelim_refused_add(ratelim *r, char kind);
long ratelim_refused(const ratelim *r, char kind);

#endif
