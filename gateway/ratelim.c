/* ratelim.c: per-minute message counts per sender and per network. */
#include "ratelim.h"

#include <stdlib.h>
#include <string.h>

#include "prc_limits.h"

/* A key is "u:" or "n:" then a sender ("network/unit" or E.164) or a network. */
#define RL_KEY_MAX (GW_NETWORK_MAX + GW_UNIT_MAX + 4)

typedef struct rl_slot {
    int64_t minute;   /* the window counted; 0: empty */
    long count;
    char key[RL_KEY_MAX + 1];
} rl_slot;

struct ratelim {
    rl_slot *slots;   /* RATELIM_SLOTS */
    long refused_unit, refused_network;
};

ratelim *ratelim_new(void)
{
    ratelim *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->slots = calloc(RATELIM_SLOTS, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    return r;
}

void ratelim_free(ratelim *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r);
}

/* FNV-1a: spreads the keys over the table (a collision only costs a probe). */
static uint64_t hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

long ratelim_hit(ratelim *r, char kind, const char *key, int64_t at)
{
    char k[RL_KEY_MAX + 1];
    size_t n = strlen(key);
    if (n + 2 > RL_KEY_MAX)
        n = RL_KEY_MAX - 2; /* longer than any sender: cut, still one key */
    k[0] = kind;
    k[1] = ':';
    memcpy(k + 2, key, n);
    k[n + 2] = '\0';
    /* Minute numbers start at 1 so that 0 marks an empty slot. */
    int64_t minute = (at < 0 ? 0 : at / 60000) + 1;
    size_t at_slot = (size_t)(hash(k) & (RATELIM_SLOTS - 1));
    rl_slot *free_slot = NULL;
    for (int i = 0; i < RATELIM_PROBE; i++) {
        rl_slot *s = &r->slots[(at_slot + (size_t)i) & (RATELIM_SLOTS - 1)];
        if (s->minute != 0 && strcmp(s->key, k) == 0) {
            if (s->minute != minute) {
                s->minute = minute;
                s->count = 0;
            }
            return ++s->count;
        }
        /* A slot not counted this minute is free: its count is over anyway. */
        if (!free_slot && s->minute != minute)
            free_slot = s;
    }
    if (!free_slot)
        return 0;
    free_slot->minute = minute;
    free_slot->count = 1;
    memcpy(free_slot->key, k, n + 3);
    return 1;
}

void ratelim_refused_add(ratelim *r, char kind)
{
    if (kind == 'n')
        r->refused_network++;
    else
        r->refused_unit++;
}

long ratelim_refused(const ratelim *r, char kind)
{
    return kind == 'n' ? r->refused_network : r->refused_unit;
}
