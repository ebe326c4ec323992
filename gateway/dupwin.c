/* dupwin.c: the memory index of recent journal rows (dupwin.h).
 *
 * A ring of entries in the order they were added (the oldest at head), and
 * hash buckets that chain entries by slot number, the newest first. The ring
 * starts small and doubles up to its maximum, so that a quiet gateway keeps
 * little memory. */
#include "dupwin.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define START_ENTRIES 1024u

typedef struct entry {
    uint64_t key;
    int64_t id;
    int64_t at;
    uint32_t next;      /* next (older) slot in the same bucket, NIL at the end */
} entry;

typedef struct bloom {
    uint64_t *bits;     /* DUPWIN_BLOOM_BITS, NULL until first used */
    size_t n;           /* keys added; 0: not in use */
    int64_t max_at;     /* the newest receive time among them */
} bloom;

#define BLOOM_PROBES 8

struct dupwin {
    bloom gen[DUPWIN_BLOOM_GENS];
    size_t cur;         /* the filter being filled */
    int64_t hard_floor; /* let go of without a filter at or before this time */
    entry *e;           /* cap slots */
    uint32_t *bucket;   /* cap heads */
    size_t cap, max;    /* powers of two */
    size_t head;        /* slot of the oldest entry */
    size_t count;
    size_t pending;     /* the newest `pending` entries are not committed */
    int64_t floor;
};

static size_t pow2_at_least(size_t n)
{
    size_t p = 2;
    while (p < n && p < DUPWIN_MAX_ENTRIES)
        p <<= 1;
    return p;
}

static size_t slot_of(const dupwin *w, size_t i) /* i-th oldest */
{
    return (w->head + i) & (w->cap - 1);
}

static uint32_t *bucket_of(const dupwin *w, uint64_t key)
{
    /* The low bits of FNV-1a are well mixed after the final multiply. */
    return &w->bucket[key & (w->cap - 1)];
}

static void link_slot(dupwin *w, size_t s)
{
    uint32_t *b = bucket_of(w, w->e[s].key);
    w->e[s].next = *b;
    *b = (uint32_t)s;
}

static int alloc_arrays(dupwin *w, size_t cap)
{
    entry *e = malloc(cap * sizeof *e);
    uint32_t *b = malloc(cap * sizeof *b);
    if (!e || !b) {
        free(e);
        free(b);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        b[i] = NIL;
    w->e = e;
    w->bucket = b;
    w->cap = cap;
    return 0;
}

dupwin *dupwin_new(size_t max_entries, int64_t floor)
{
    dupwin *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->max = pow2_at_least(max_entries);
    if (alloc_arrays(w, w->max < START_ENTRIES ? w->max : START_ENTRIES)) {
        free(w);
        return NULL;
    }
    w->floor = floor;
    w->hard_floor = floor;
    return w;
}

void dupwin_free(dupwin *w)
{
    if (!w)
        return;
    for (size_t g = 0; g < DUPWIN_BLOOM_GENS; g++)
        free(w->gen[g].bits);
    free(w->e);
    free(w->bucket);
    free(w);
}

uint64_t dupwin_key(const char *channel, const char *sender, const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[2] = { channel ? channel : "", sender ? sender : "" };
    for (int p = 0; p < 2; p++) {
        for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) {
            h ^= *c;
            h *= 1099511628211ULL;
        }
        h ^= 0xffu; /* a separator no UTF-8 string contains */
        h *= 1099511628211ULL;
    }
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* Unlinks slot s from its bucket. */
static void unlink_slot(dupwin *w, size_t s)
{
    uint32_t *p = bucket_of(w, w->e[s].key);
    while (*p != NIL && *p != (uint32_t)s)
        p = &w->e[*p].next;
    if (*p == (uint32_t)s)
        *p = w->e[s].next;
}

/* The i-th probe of key: double hashing on the two halves of the key. */
static size_t bloom_bit(uint64_t key, unsigned i)
{
    uint64_t h2 = ((key >> 32) | (key << 32)) * 0x9e3779b97f4a7c15ULL;
    return (size_t)((key + i * (h2 | 1u)) & (DUPWIN_BLOOM_BITS - 1));
}

static int bloom_has(const bloom *b, uint64_t key)
{
    for (unsigned i = 0; i < BLOOM_PROBES; i++) {
        size_t bit = bloom_bit(key, i);
        if (!(b->bits[bit / 64] & (1ULL << (bit % 64))))
            return 0;
    }
    return 1;
}

static void raise_hard_floor(dupwin *w, int64_t at)
{
    if (at > w->hard_floor)
        w->hard_floor = at;
}

/* A filter goes (for room, or because every key in it is too old): what it
 * held is now below the hard floor. Its memory stays for the next run. */
static void bloom_retire(dupwin *w, bloom *b)
{
    raise_hard_floor(w, b->max_at);
    memset(b->bits, 0, DUPWIN_BLOOM_BITS / 8);
    b->n = 0;
}

/* Keeps the key of an entry evicted while young in the current filter. */
static void bloom_keep(dupwin *w, uint64_t key, int64_t at)
{
    bloom *b = &w->gen[w->cur];
    if (b->n >= DUPWIN_BLOOM_KEYS) {
        w->cur = (w->cur + 1) % DUPWIN_BLOOM_GENS;
        b = &w->gen[w->cur];
        if (b->n > 0)
            bloom_retire(w, b);
    }
    if (!b->bits) {
        b->bits = calloc(DUPWIN_BLOOM_BITS / 64, sizeof *b->bits);
        if (!b->bits) {
            raise_hard_floor(w, at); /* memory is short: the journal answers */
            return;
        }
    }
    for (unsigned i = 0; i < BLOOM_PROBES; i++) {
        size_t bit = bloom_bit(key, i);
        b->bits[bit / 64] |= 1ULL << (bit % 64);
    }
    if (b->n == 0 || at > b->max_at)
        b->max_at = at;
    b->n++;
}

/* Lets go of the oldest entry; the floor rises to its time. An entry evicted
 * for room (keep) goes into a filter; one expired raises the hard floor. */
static void drop_oldest(dupwin *w, int keep)
{
    size_t s = w->head;
    if (w->e[s].at > w->floor)
        w->floor = w->e[s].at;
    if (keep)
        bloom_keep(w, w->e[s].key, w->e[s].at);
    else
        raise_hard_floor(w, w->e[s].at);
    unlink_slot(w, s);
    w->head = (w->head + 1) & (w->cap - 1);
    w->count--;
    if (w->pending > w->count)
        w->pending = w->count;
}

/* Doubles the ring: 0, or -1 if it is at its maximum or memory is short. */
static int grow(dupwin *w)
{
    if (w->cap >= w->max)
        return -1;
    dupwin old = *w;
    if (alloc_arrays(w, old.cap * 2))
        return -1; /* w is as it was */
    /* Oldest first, so that each chain ends up newest first again. */
    w->head = 0;
    for (size_t i = 0; i < old.count; i++) {
        w->e[i] = old.e[slot_of(&old, i)];
        link_slot(w, i);
    }
    free(old.e);
    free(old.bucket);
    return 0;
}

void dupwin_add(dupwin *w, uint64_t key, int64_t id, int64_t at)
{
    if (w->count == w->cap && grow(w) != 0)
        drop_oldest(w, 1);
    size_t s = slot_of(w, w->count);
    w->e[s] = (entry){ key, id, at, NIL };
    link_slot(w, s);
    w->count++;
    w->pending++;
}

void dupwin_commit(dupwin *w)
{
    w->pending = 0;
}

void dupwin_rollback(dupwin *w)
{
    /* The newest entry heads its bucket's chain: unlinking is O(1). */
    while (w->pending > 0) {
        size_t s = slot_of(w, w->count - 1);
        *bucket_of(w, w->e[s].key) = w->e[s].next;
        w->count--;
        w->pending--;
    }
}

void dupwin_expire(dupwin *w, int64_t since)
{
    /* Entries are in the order added; with a clock that went back, one
     * older than since may stay behind a newer one: dupwin_find skips it. */
    while (w->count > w->pending && w->e[w->head].at < since)
        drop_oldest(w, 0);
    for (size_t g = 0; g < DUPWIN_BLOOM_GENS; g++)
        if (w->gen[g].n > 0 && w->gen[g].max_at < since)
            bloom_retire(w, &w->gen[g]);
}

int dupwin_find(const dupwin *w, uint64_t key, int64_t since, int64_t *ids, int max)
{
    int n = 0;
    for (uint32_t s = *bucket_of(w, key); s != NIL; s = w->e[s].next) {
        if (w->e[s].key != key || w->e[s].at < since)
            continue;
        if (n < max)
            ids[n] = w->e[s].id;
        n++;
    }
    return n;
}

int dupwin_journal_needed(const dupwin *w, uint64_t key, int64_t since)
{
    if (since > w->floor)
        return 0;
    if (since <= w->hard_floor)
        return 1;
    for (size_t g = 0; g < DUPWIN_BLOOM_GENS; g++) {
        const bloom *b = &w->gen[g];
        if (b->n > 0 && b->max_at >= since && bloom_has(b, key))
            return 1;
    }
    return 0;
}

size_t dupwin_bloom_gens(const dupwin *w)
{
    size_t n = 0;
    for (size_t g = 0; g < DUPWIN_BLOOM_GENS; g++)
        n += w->gen[g].n > 0;
    return n;
}

int64_t dupwin_floor(const dupwin *w) { return w->floor; }
size_t dupwin_count(const dupwin *w) { return w->count; }
size_t dupwin_pending(const dupwin *w) { return w->pending; }
