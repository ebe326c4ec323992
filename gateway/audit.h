/* audit.h: the audit trail: who changed what (people, purges, acknowledgements),
 * one row per change, each row chained to the one before by a SHA-256 hash so
 * that a row changed or removed behind patrolgw's back is detected.
 *
 * The hash of row n is SHA-256 over its canonical encoding (lower-case hex,
 * 64 characters); the encoding is each field below as <decimal byte
 * length> ':' <bytes> ',' (a netstring), in this order:
 *     "patrolgw-audit-1", prev_hash, id, at, actor, action, object, detail
 * id and at in decimal, object and detail "" when absent. prev_hash is the
 * previous row's hash, or 64 zeros for the first row (docs/patrolctl.md).
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_admin.h"

#define AUDIT_HASH_HEX 64
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* Bytes of actor, action and object (longer ones are refused); detail gets more. */
#define AUDIT_FIELD_MAX 128
#define AUDIT_DETAIL_MAX 1024

/* The hash of r chained to prev_hash into out (AUDIT_HASH_HEX + 1 bytes). 0 or -1. */
int audit_hash(const store_audit_row *r, const char *prev_hash, char *out, size_t outsz);

/* Appends a row at `at` (Unix ms); object and detail may be NULL. Must run
 * inside the caller's write transaction (store_begin), so that the row
 * commits with the change it records and the chain cannot fork. Returns the
 * row id or -1. */
int64_t audit_append(store *s, int64_t at, const char *actor, const char *action,
                     const char *object, const char *detail);

/* What audit_verify found. */
typedef struct audit_check {
    long rows;            /* rows checked */
    int64_t bad_id;       /* first row that does not verify, 0 none */
    char reason[160];     /* why, for bad_id */
} audit_check;

/* Recomputes the chain: 0 intact, 1 broken (out->bad_id, out->reason), -1 store error. */
int audit_verify(store *s, audit_check *out);

#endif
