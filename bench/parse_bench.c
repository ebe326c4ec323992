/* parse_bench.c: the PRC/1 parser alone, one thread, for the ingest benchmark.
 *
 * Parses the benchmark's message mix (`mqtt_bench --dump-texts`, one text a
 * line) over and over for about --seconds seconds with the built-in code
 * table (or --codes) and a gazetteer, and prints messages per second:
 *
 *   parse_bench [--codes F] [--gazetteer F] [--radius-km R] [--seconds S] TEXTS
 *
 *   parse one-core n=100000 rate=1234567/s passes=25 ok=90000 err=10000 ...
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prc_codes.h"
#include "prc_gazetteer.h"
#include "prc_limits.h"
#include "prc_parse.h"

/* The texts file: 100000 texts are about 7 MB. */
#define PB_TEXTS_FILE_MAX ((size_t)512 * 1024 * 1024)

typedef struct text_ref {
    size_t off;
    size_t len;
} text_ref;

/* Reads the whole of path (at most max bytes) into a NUL-terminated buffer
 * the caller owns (free()). NULL with a message on stderr. */
static char *read_all(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *nb;
    size_t cap = 0, n = 0, got;

    if (f == NULL) {
        fprintf(stderr, "parse_bench: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > max + 1) {
                ncap = max + 1;
            }
            if (ncap <= n + 1) {
                fprintf(stderr, "parse_bench: %s: larger than %zu bytes\n", path, max);
                goto fail;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                fprintf(stderr, "parse_bench: out of memory\n");
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "parse_bench: %s: read error\n", path);
                goto fail;
            }
            break;
        }
    }
    if (fclose(f) != 0) {
        f = NULL;
        fprintf(stderr, "parse_bench: %s: %s\n", path, strerror(errno));
        goto fail;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    if (f != NULL) {
        (void)fclose(f);
    }
    free(buf);
    return NULL;
}

/* Splits buf into lines (LF, an optional CR before it); empty lines skipped.
 * Returns an array the caller owns (free()), *count set; NULL on ENOMEM. */
static text_ref *split_lines(const char *buf, size_t len, size_t *count)
{
    size_t i, start = 0, n = 0, cap = 0;
    text_ref *v = NULL, *nv;

    for (i = 0; i <= len; i++) {
        size_t end;
        if (i < len && buf[i] != '\n') {
            continue;
        }
        end = i;
        if (end > start && buf[end - 1] == '\r') {
            end--;
        }
        if (end > start) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                nv = realloc(v, cap * sizeof *v);
                if (nv == NULL) {
                    free(v);
                    return NULL;
                }
                v = nv;
            }
            v[n].off = start;
            v[n].len = end - start;
            n++;
        }
        start = i + 1;
    }
    *count = n;
    return v;
}

static double now_s(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        abort(); /* cannot happen with CLOCK_MONOTONIC */
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: parse_bench [--codes F] [--gazetteer F] [--radius-km R] [--seconds S]"
               " TEXTS\n"
               "TEXTS: one PRC/1 message a line, e.g. from `mqtt_bench --dump-texts`.\n");
}

static int parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"codes", required_argument, NULL, 'c'},
        {"gazetteer", required_argument, NULL, 'g'},
        {"radius-km", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *codes_path = NULL, *gaz_path = NULL;
    double seconds = 2.0, radius_km = 1.0, t0, elapsed;
    char err[PRC_ERR_MAX];
    char *texts = NULL, *table = NULL;
    size_t texts_len, table_len, n = 0, i, passes = 0;
    size_t by_field[PRC_FIELD_AUTH + 1] = {0};
    text_ref *lines = NULL;
    prc_codes *codes = NULL;
    prc_gazetteer *gaz = NULL;
    prc_parse_ctx ctx;
    prc_msg m;
    uint64_t sink = 0;
    int c, status = 1;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            codes_path = optarg;
            break;
        case 'g':
            gaz_path = optarg;
            break;
        case 'r':
            if (parse_double(optarg, 0.0, 20000.0, &radius_km) != 0) {
                goto bad;
            }
            break;
        case 's':
            if (parse_double(optarg, 0.01, 3600.0, &seconds) != 0) {
                goto bad;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind + 1 != argc) {
        goto bad;
    }

    if (codes_path != NULL) {
        table = read_all(codes_path, (size_t)PRC_TABLE_FILE_MAX, &table_len);
        if (table == NULL) {
            goto fail;
        }
        codes = prc_codes_load(table, table_len, codes_path, err, sizeof err);
        free(table);
        table = NULL;
        if (codes == NULL) {
            fprintf(stderr, "parse_bench: %s\n", err);
            goto fail;
        }
    } else {
        codes = prc_codes_default();
        if (codes == NULL) {
            fprintf(stderr, "parse_bench: out of memory\n");
            goto fail;
        }
    }
    if (gaz_path != NULL) {
        table = read_all(gaz_path, (size_t)PRC_TABLE_FILE_MAX, &table_len);
        if (table == NULL) {
            goto fail;
        }
        gaz = prc_gazetteer_load(table, table_len, gaz_path, codes, err, sizeof err);
        free(table);
        table = NULL;
        if (gaz == NULL) {
            fprintf(stderr, "parse_bench: %s\n", err);
            goto fail;
        }
    } else {
        gaz = prc_gazetteer_empty();
        if (gaz == NULL) {
            fprintf(stderr, "parse_bench: out of memory\n");
            goto fail;
        }
    }

    texts = read_all(argv[optind], PB_TEXTS_FILE_MAX, &texts_len);
    if (texts == NULL) {
        goto fail;
    }
    lines = split_lines(texts, texts_len, &n);
    if (n == 0) {
        fprintf(stderr, "parse_bench: %s: no texts\n", argv[optind]);
        goto fail;
    }
    if (lines == NULL) {
        fprintf(stderr, "parse_bench: out of memory\n");
        goto fail;
    }

    ctx.codes = codes;
    ctx.gaz = gaz;
    ctx.radius_km = radius_km;

    /* One untimed pass: warms the caches and counts the outcomes. */
    for (i = 0; i < n; i++) {
        prc_field f = prc_parse(&ctx, texts + lines[i].off, lines[i].len, &m);
        if ((size_t)f < sizeof by_field / sizeof by_field[0]) {
            by_field[f]++;
        }
    }

    t0 = now_s();
    do {
        for (i = 0; i < n; i++) {
            /* Fold each result into sink so no parse can be optimised away. */
            sink += (uint64_t)prc_parse(&ctx, texts + lines[i].off, lines[i].len, &m);
            sink += m.details_len;
        }
        passes++;
        elapsed = now_s() - t0;
    } while (elapsed < seconds);

    printf("parse one-core n=%zu rate=%.0f/s passes=%zu ok=%zu err=%zu code=%zu priority=%zu "
           "location=%zu length=%zu format=%zu other=%zu sink=%llu\n",
           n, (double)(passes * n) / elapsed, passes, by_field[PRC_FIELD_NONE],
           n - by_field[PRC_FIELD_NONE], by_field[PRC_FIELD_CODE], by_field[PRC_FIELD_PRIORITY],
           by_field[PRC_FIELD_LOCATION], by_field[PRC_FIELD_LENGTH], by_field[PRC_FIELD_FORMAT],
           by_field[PRC_FIELD_REF] + by_field[PRC_FIELD_AUTH], (unsigned long long)sink);
    status = fflush(stdout) == 0 ? 0 : 1;
fail:
    free(lines);
    free(texts);
    free(table);
    prc_gazetteer_free(gaz);
    prc_codes_free(codes);
    return status;
bad:
    usage(stderr);
    return 2;
}
