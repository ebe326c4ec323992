/* fuzz_tables.c: libFuzzer target for the deployment's CSV tables, read at
 * start and on SIGHUP from files an administrator edits (protocol/prc_codes.c,
 * prc_gazetteer.c over prc_csv.c): a malformed table must be refused with a
 * message, never crash. The first byte picks the table; a loaded table is then
 * queried with tokens cut from the input. Aborts on a broken invariant: a
 * refusal has a message, lookups return entries of the table.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_tables corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prc_codes.h"
#include "prc_gazetteer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void query_codes(const prc_codes *c, const char *s, size_t len)
{
    size_t n = prc_codes_count(c);
    for (size_t i = 0; i < n; i++)
        if (!prc_codes_at(c, i))
            abort();
    for (size_t at = 0; at < len; at += 7) {
        size_t l = len - at < 9 ? len - at : 9;
        const prc_code *hit = prc_codes_find(c, s + at, l);
        (void)hit;
        const prc_code *sugg[4];
        size_t k = prc_codes_suggest(c, s + at, l, sugg, 4);
        if (k > 4)
            abort();
    }
}

static void query_zones(const prc_gazetteer *g, const char *s, size_t len)
{
    size_t n = prc_gazetteer_count(g);
    for (size_t i = 0; i < n; i++)
        if (!prc_gazetteer_at(g, i))
            abort();
    for (size_t at = 0; at < len; at += 5) {
        size_t l = len - at < 12 ? len - at : 12;
        int alias = 0;
        (void)prc_gazetteer_find(g, s + at, l, &alias);
        (void)prc_gazetteer_is_area(g, s + at, l);
    }
    (void)prc_gazetteer_postcode(g, "CT6 5AB");
    (void)prc_gazetteer_nearest(g, 51.37, 1.12, 5.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] & 1;
    const char *csv = (const char *)data + 1;
    size_t len = size - 1;
    char err[256] = "";

    prc_codes *def = prc_codes_default();
    if (!def)
        abort();
    if (which == 0) {
        prc_codes *c = prc_codes_load(csv, len, "codes.csv", err, sizeof err);
        if (!c && !err[0])
            abort();
        if (c) {
            query_codes(c, csv, len < 256 ? len : 256);
            prc_codes_free(c);
        }
    } else {
        prc_gazetteer *g = prc_gazetteer_load(csv, len, "gazetteer.csv", def, err, sizeof err);
        if (!g && !err[0])
            abort();
        if (g) {
            char cerr[256] = "";
            if (prc_gazetteer_check(g, def, cerr, sizeof cerr) != 0 && !cerr[0])
                abort();
            query_zones(g, csv, len < 256 ? len : 256);
            prc_gazetteer_free(g);
        }
    }
    prc_codes_free(def);
    return 0;
}
