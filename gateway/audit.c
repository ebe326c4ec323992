/* audit.c: the hash-chained audit trail (audit.h). */
#include "audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_admin.h"

/* Feeds one netstring field (<len>:<bytes>,) to the digest. */
static int feed(EVP_MD_CTX *md, const char *v)
{
    char len[24];
    size_t n = strlen(v);
    int k = snprintf(len, sizeof len, "%zu:", n);
    return EVP_DigestUpdate(md, len, (size_t)k) == 1 && EVP_DigestUpdate(md, v, n) == 1 &&
                   EVP_DigestUpdate(md, ",", 1) == 1
               ? 0
               : -1;
}

int audit_hash(const store_audit_row *r, const char *prev_hash, char *out, size_t outsz)
{
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char id[24], at[24];
    int rc = -1;

    if (outsz < AUDIT_HASH_HEX + 1)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return -1;
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    snprintf(at, sizeof at, "%lld", (long long)r->at);
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || feed(md, "patrolgw-audit-1") ||
        feed(md, prev_hash) || feed(md, id) || feed(md, at) || feed(md, r->actor) ||
        feed(md, r->action) || feed(md, r->object ? r->object : "") ||
        feed(md, r->detail ? r->detail : "") || EVP_DigestFinal_ex(md, dig, &dlen) != 1 ||
        dlen * 2 != AUDIT_HASH_HEX)
        goto done;
    for (unsigned int i = 0; i < dlen; i++)
        snprintf(out + (size_t)i * 2, 3, "%02x", dig[i]);
    rc = 0;
done:
    EVP_MD_CTX_free(md);
    return rc;
}

int64_t audit_append(store *s, int64_t at, const char *actor, const char *action,
                     const char *object, const char *detail)
{
    char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
    int64_t last = 0;

    if (!actor || !actor[0] || strlen(actor) > AUDIT_FIELD_MAX || !action || !action[0] ||
        strlen(action) > AUDIT_FIELD_MAX || (object && strlen(object) > AUDIT_FIELD_MAX) ||
        (detail && strlen(detail) > AUDIT_DETAIL_MAX)) {
        log_error("audit", "audit row refused: empty or too long field");
        return -1;
    }
    int found = store_audit_last(s, &last, prev, sizeof prev);
    if (found < 0)
        return -1;
    if (!found)
        snprintf(prev, sizeof prev, "%s", AUDIT_GENESIS);
    store_audit_row r = {
        .id = last + 1,
        .at = at,
        .actor = actor,
        .action = action,
        .object = object ? object : "",
        .detail = detail ? detail : "",
        .prev_hash = prev,
        .hash = hash,
    };
    if (audit_hash(&r, prev, hash, sizeof hash)) {
        log_error("audit", "cannot compute the audit hash");
        return -1;
    }
    if (store_audit_insert(s, &r))
        return -1;
    return r.id;
}

typedef struct verify_ctx {
    audit_check *out;
    int64_t prev_id;
    char prev_hash[AUDIT_HASH_HEX + 1];
    int failed;
} verify_ctx;

static int verify_row(void *arg, const store_audit_row *r)
{
    verify_ctx *v = arg;
    char want[AUDIT_HASH_HEX + 1];

    v->out->rows++;
    if (r->id != v->prev_id + 1) {
        snprintf(v->out->reason, sizeof v->out->reason,
                 "rows %lld..%lld are missing (removed)", (long long)v->prev_id + 1,
                 (long long)r->id - 1);
        goto bad;
    }
    if (strcmp(r->prev_hash, v->prev_hash) != 0) {
        snprintf(v->out->reason, sizeof v->out->reason,
                 "prev_hash does not match row %lld (a row before it was changed or removed)",
                 (long long)v->prev_id);
        goto bad;
    }
    if (audit_hash(r, r->prev_hash, want, sizeof want)) {
        snprintf(v->out->reason, sizeof v->out->reason, "cannot compute the hash");
        goto bad;
    }
    if (strcmp(want, r->hash) != 0) {
        snprintf(v->out->reason, sizeof v->out->reason,
                 "hash does not match its fields (the row was changed)");
        goto bad;
    }
    v->prev_id = r->id;
    snprintf(v->prev_hash, sizeof v->prev_hash, "%s", r->hash);
    return 0;
bad:
    v->out->bad_id = r->id;
    v->failed = 1;
    return 1;
}

int audit_verify(store *s, audit_check *out)
{
    verify_ctx v;
    memset(out, 0, sizeof *out);
    memset(&v, 0, sizeof v);
    v.out = out;
    snprintf(v.prev_hash, sizeof v.prev_hash, "%s", AUDIT_GENESIS);
    if (store_audit_each(s, verify_row, &v))
        return -1;
    return v.failed;
}
