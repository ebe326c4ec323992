/* tables.c: reads the code table and gazetteer files and hands their text to protocol/. */
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tables_read_file(const char *path, size_t max, size_t *len, char *err, size_t errsz)
{
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(max + 1);
    if (!buf) {
        snprintf(err, errsz, "%s: out of memory", path);
        goto fail;
    }
    size_t n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        snprintf(err, errsz, "%s: read error", path);
        goto fail;
    }
    if (n > max) {
        snprintf(err, errsz, "%s: larger than %zu bytes", path, max);
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

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int tables_load(gw_config *cfg, gw_tables *out, char *err, size_t errsz)
{
    char *text = NULL;
    size_t len = 0;

    out->codes = NULL;
    out->gaz = NULL;
    if (cfg->codes_path[0]) {
        text = tables_read_file(cfg->codes_path, PRC_TABLE_FILE_MAX, &len, err, errsz);
        if (!text)
            goto fail;
        out->codes = prc_codes_load(text, len, base_name(cfg->codes_path), err, errsz);
        free(text);
        text = NULL;
    } else {
        out->codes = prc_codes_default();
        if (!out->codes)
            snprintf(err, errsz, "out of memory");
    }
    if (!out->codes)
        goto fail;
    if (cfg->gazetteer_path[0]) {
        text = tables_read_file(cfg->gazetteer_path, PRC_TABLE_FILE_MAX, &len, err, errsz);
        if (!text)
            goto fail;
        out->gaz = prc_gazetteer_load(text, len, base_name(cfg->gazetteer_path), out->codes, err,
                                      errsz);
        free(text);
        text = NULL;
    } else {
        out->gaz = prc_gazetteer_empty();
        if (!out->gaz)
            snprintf(err, errsz, "out of memory");
    }
    if (!out->gaz)
        goto fail;
    for (int i = 0; i < cfg->npartners; i++) {
        cfg_partner *p = &cfg->partners[i];
        for (int j = 0; j < p->ncodes; j++) {
            const prc_code *c = prc_codes_find(out->codes, p->codes[j], strlen(p->codes[j]));
            if (!c) {
                snprintf(err, errsz, "%s: [partner.%s] codes: %s is not in the code table",
                         cfg->path, p->name, p->codes[j]);
                goto fail;
            }
            snprintf(p->codes[j], sizeof p->codes[j], "%s", c->code);
        }
        for (int j = 0; j < p->nzones; j++) {
            int alias = 0;
            const prc_zone *z = prc_gazetteer_find(out->gaz, p->zones[j], strlen(p->zones[j]), &alias);
            if (!z || alias) {
                snprintf(err, errsz, "%s: [partner.%s] zones: %s is not a zone of the gazetteer",
                         cfg->path, p->name, p->zones[j]);
                goto fail;
            }
        }
    }
    return 0;
fail:
    free(text);
    tables_free(out);
    return -1;
}

void tables_free(gw_tables *t)
{
    prc_codes_free(t->codes);
    prc_gazetteer_free(t->gaz);
    t->codes = NULL;
    t->gaz = NULL;
}
