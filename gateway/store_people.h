/* store_people.h: operatives and partner contacts, their radio units and phones.
 * Part of the store (store.h). Functions that change something run inside the
 * caller's store_begin()/store_commit() unless they say otherwise. */
#ifndef STORE_PEOPLE_H
#define STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

typedef struct store_person {
    int64_t id;
    char callsign[GW_CALLSIGN_MAX + 1];
    char name[GW_PERSON_NAME_MAX + 1];
    char role[16];                 /* "operative" or "partner" */
    char partner[GW_NAME_MAX + 1]; /* for partner contacts */
    char phone[GW_PHONE_MAX + 1];  /* E.164 or "" */
    int active;
} store_person;

/* 1 and *out if an active... (any) person has this radio unit / phone / callsign; 0 none; -1. */
int store_person_by_unit(store *s, const char *network, const char *unit, store_person *out);
int store_person_by_phone(store *s, const char *phone, store_person *out);
int store_person_by_callsign(store *s, const char *callsign, store_person *out);
/* Adds a person with radio units ("network/unit"). -1 with err (e.g. callsign taken). */
int64_t store_person_add(store *s, const store_person *p, const char *const *units, int nunits,
                         char *err, size_t errsz);
/* 1 if disabled, 0 if no such callsign, -1. */
int store_person_set_active(store *s, const char *callsign, int active);
/* Calls fn for each person with their units joined by spaces. */
int store_people_each(store *s, void (*fn)(void *arg, const store_person *p, const char *units),
                      void *arg);

/* Changes name, role, partner and phone of the person with `callsign` to
 * those in p (p->callsign is ignored); units (nunits >= 0) replace the
 * person's radio units, nunits < 0 keeps them. 1 if changed, 0 if there is no
 * such (unremoved) person, -1 with err. */
int store_person_update(store *s, const char *callsign, const store_person *p,
                        const char *const *units, int nunits, char *err, size_t errsz);
/* Removes a person but keeps what they reported, pseudonymised: callsign and
 * name become "removed-<id>" (written to pseudonym), phone and radio units are
 * erased, the person is disabled and removed_at set; their reports, shifts,
 * events, acknowledgements and journaled messages name the pseudonym instead.
 * 1 done, 0 no such (unremoved) person, -1. */
int store_person_remove(store *s, const char *callsign, int64_t at, char *pseudonym,
                        size_t pseudonymsz);

#endif
