/* dupwin.h: a memory index of recent journal rows, for the "same sender, same
 * text within 10 minutes" duplicate rule (store_dup_by_text).
 *
 * It holds a 64-bit key (a hash of channel, sender and text) and the row's id
 * and receive time, in the order the rows were added. It only proposes
 * candidate rows: the store reads each candidate back and compares the real
 * channel, sender and text, so a hash collision never makes a duplicate.
 * Whatever the index lets go of (expired, or evicted when full) was received
 * at or before dupwin_floor(): a lookup whose window starts at or before the
 * floor may have to ask the journal itself about [since, floor]. With this,
 * the answer is the journal's, whatever the clock or the load did.
 *
 * So that a sustained load beyond the index (more than 430 messages a second
 * for 10 minutes) does not send every lookup to the journal, the keys of the
 * entries evicted while still young are kept in Bloom filters, one per run of
 * DUPWIN_BLOOM_KEYS evictions, up to DUPWIN_BLOOM_GENS of them (allocated at
 * the first eviction; 4 MiB at most): dupwin_journal_needed() says whether
 * the journal must be asked, "surely not" for all but about 0.06 % of the
 * keys per filter. What goes without a filter (expired entries, a filter
 * retired for room, a filter that could not be allocated) raises a second,
 * hard floor below which the journal is always asked.
 *
 * Rows added inside a transaction are pending until dupwin_commit();
 * dupwin_rollback() forgets them. Pure memory, no I/O. */
#ifndef DUPWIN_H
#define DUPWIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct dupwin dupwin;

/* Most entries held: 262,144 (8 MiB of entries, 1 MiB of buckets), i.e. more
 * than 430 messages a second for 10 minutes; beyond it the oldest go. */
#define DUPWIN_MAX_ENTRIES (1u << 18)
/* The Bloom filters of evicted keys: bits each (256 KiB), keys each (16 bits
 * a key, 8 probes: about 0.06 % false "maybe"), filters at most. */
#define DUPWIN_BLOOM_BITS (1u << 21)
#define DUPWIN_BLOOM_KEYS (1u << 17)
#define DUPWIN_BLOOM_GENS 16
/* Candidates dupwin_find returns at most (more: ask the journal). */
#define DUPWIN_FIND_MAX 8

/* max_entries: a power of two >= 2 (others are rounded up), at most
 * DUPWIN_MAX_ENTRIES. The floor starts at floor. NULL when out of memory. */
dupwin *dupwin_new(size_t max_entries, int64_t floor);
void dupwin_free(dupwin *w); /* accepts NULL */

/* The key of (channel, sender, text[0..len)). */
uint64_t dupwin_key(const char *channel, const char *sender, const char *text, size_t len);

/* Adds a row (pending). Never fails: when the index is full (or cannot grow)
 * the oldest entry goes and the floor rises to its time. */
void dupwin_add(dupwin *w, uint64_t key, int64_t id, int64_t at);
/* The pending rows are in the journal for good / were rolled back. */
void dupwin_commit(dupwin *w);
void dupwin_rollback(dupwin *w);

/* Lets go of the oldest entries received before since (the floor rises). */
void dupwin_expire(dupwin *w, int64_t since);

/* Ids of the entries with this key received at or after since, at most max
 * into ids; returns how many there are (may be more than max). */
int dupwin_find(const dupwin *w, uint64_t key, int64_t since, int64_t *ids, int max);

/* Every entry let go of was received at or before this time. */
int64_t dupwin_floor(const dupwin *w);
/* 1 if an entry let go of with this key may have been received at or after
 * since (the journal must then be asked about [since, dupwin_floor()]), 0 if
 * surely none was. */
int dupwin_journal_needed(const dupwin *w, uint64_t key, int64_t since);
/* Entries held, and of them pending; filters of evicted keys in use. */
size_t dupwin_count(const dupwin *w);
size_t dupwin_pending(const dupwin *w);
size_t dupwin_bloom_gens(const dupwin *w);

#endif
