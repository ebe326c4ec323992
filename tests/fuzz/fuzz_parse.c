/* fuzz_parse.c: libFuzzer target for prc_parse and the replies built from it.
 *
 * Parses each input with the default code table and the sample gazetteer
 * (docs/examples/hernebay/gazetteer.csv, loaded once; PATROL_SOURCE overrides
 * the source directory taken from __FILE__) and aborts on a broken invariant:
 * every reply fits one SMS, the details span lies within the text, a report
 * has priority 1..4. Build and run: tests/fuzz/run.sh [seconds]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prc_codes.h"
#include "prc_gazetteer.h"
#include "prc_gsm7.h"
#include "prc_limits.h"
#include "prc_parse.h"
#include "prc_reply.h"
#include "prc_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GAZ_REL "docs/examples/hernebay/gazetteer.csv"

static prc_codes *g_codes;
static prc_gazetteer *g_gaz;

/* Reads path into a malloc'd buffer (caller frees); NULL on error. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    buf = malloc(PRC_TABLE_FILE_MAX + 1);
    if (buf == NULL) {
        goto fail;
    }
    n = fread(buf, 1, PRC_TABLE_FILE_MAX + 1, f);
    if (ferror(f) || n > (size_t)PRC_TABLE_FILE_MAX) {
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* The gazetteer path: $PATROL_SOURCE, else the tree this file was built from. */
static int gaz_path(char *out, size_t outsz)
{
    const char *src = getenv("PATROL_SOURCE");
    const char *file = __FILE__;
    const char *cut = strstr(file, "tests/fuzz/fuzz_parse.c");
    int n;

    if (src != NULL && src[0] != '\0') {
        n = snprintf(out, outsz, "%s/%s", src, GAZ_REL);
    } else if (cut != NULL) {
        n = snprintf(out, outsz, "%.*s%s", (int)(cut - file), file, GAZ_REL);
    } else {
        n = snprintf(out, outsz, "%s", GAZ_REL);
    }
    return n > 0 && (size_t)n < outsz;
}

static void setup_once(void)
{
    char path[4096];
    char err[PRC_ERR_MAX];
    char *csv;
    size_t len = 0;

    if (g_codes != NULL) {
        return;
    }
    g_codes = prc_codes_default();
    if (g_codes == NULL || !gaz_path(path, sizeof path)) {
        abort();
    }
    csv = read_file(path, &len);
    if (csv == NULL) {
        fprintf(stderr, "fuzz_parse: cannot read %s (set PATROL_SOURCE)\n", path);
        abort();
    }
    g_gaz = prc_gazetteer_load(csv, len, path, g_codes, err, sizeof err);
    free(csv);
    if (g_gaz == NULL) {
        fprintf(stderr, "fuzz_parse: %s\n", err);
        abort();
    }
}

/* A reply must be NUL-terminated in its buffer, GSM-7 and within max septets. */
static void check_reply(const char *r, size_t n, long max)
{
    long sept;

    if (memchr(r, '\0', PRC_REPLY_BUF) == NULL || strlen(r) != n) {
        abort();
    }
    sept = prc_gsm7_len(r, n);
    if (sept < 0 || sept > max) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    prc_parse_ctx ctx;
    prc_msg m;
    char out[PRC_REPLY_BUF];
    char dup[PRC_REPLY_BUF];
    static char det[PRC_MSG_MAX_BYTES + 1];
    size_t n;

    setup_once();
    ctx.codes = g_codes;
    ctx.gaz = g_gaz;
    ctx.radius_km = 1.0;

    if (prc_parse(&ctx, text, size, &m) != m.error) {
        abort();
    }
    if (m.error != PRC_FIELD_NONE) {
        n = strnlen(m.reply, PRC_REPLY_BUF);
        check_reply(m.reply, n, PRC_REPLY_BODY_MAX);
        if (strncmp(m.reply, "ERR ", 4) != 0) {
            abort();
        }
        n = prc_reply_dup(dup, m.reply);
        check_reply(dup, n, PRC_REPLY_MAX);
        return 0;
    }

    if (m.details_off > size || m.details_len > size - m.details_off) {
        abort();
    }
    if (m.details_len > 0 && !prc_utf8_valid(text + m.details_off, m.details_len)) {
        abort();
    }
    if (memchr(m.location, '\0', sizeof m.location) == NULL ||
        memchr(m.zone, '\0', sizeof m.zone) == NULL) {
        abort();
    }
    switch (m.kind) {
    case PRC_KIND_REPORT:
        if (m.code == NULL || m.priority < 1 || m.priority > 4 || m.loc_kind == PRC_LOC_NONE ||
            m.location[0] == '\0') {
            abort();
        }
        n = prc_reply_report(out, 999999999999ULL, &m);
        break;
    case PRC_KIND_UPD:
    case PRC_KIND_CLR:
    case PRC_KIND_ACK:
        if (m.ref == 0) {
            abort();
        }
        n = prc_reply_ref(out, "UPD", m.ref);
        break;
    case PRC_KIND_ON:
        n = prc_reply_on(out, m.zone, 23, 59);
        break;
    case PRC_KIND_OFF:
        n = prc_reply_off(out, 100000);
        break;
    case PRC_KIND_HELP:
    default:
        n = prc_reply_help_msg(out, g_codes, g_gaz, &m);
        break;
    }
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    /* The details are not NUL-terminated: copy them (they fit, size was checked). */
    memcpy(det, text + m.details_off, m.details_len);
    det[m.details_len] = '\0';
    n = prc_reply_append(out, det);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_dup(dup, out);
    check_reply(dup, n, PRC_REPLY_MAX);
    return 0;
}
