/* fuzz_config.c: libFuzzer target for the INI configuration
 * (gateway/config.c over libinih), read at start, by --check-config and on
 * SIGHUP: a broken file must be refused with a "file:line: reason" message,
 * never crash nor leave a half-filled config marked good. The input is written
 * to a private temporary file and loaded. Aborts on a broken invariant: a
 * refusal has a message; a loaded config has its counts within its arrays.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_config corpus/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static gw_config *cfg;

static void cleanup(void)
{
    if (path[0])
        (void)unlink(path);
    free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_config.%ld.conf", (long)getpid());
        cfg = malloc(sizeof *cfg);
        if (!cfg)
            abort();
        atexit(cleanup);
    }
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    char err[512] = "";
    memset(cfg, 0xA5, sizeof *cfg); /* what config_load does not set shows up under ASan/UBSan */
    int rc = config_load(path, cfg, err, sizeof err);
    if (rc != 0 && !err[0])
        abort();
    if (rc == 0) {
        if (cfg->npartners < 0 || cfg->npartners > GW_MAX_PARTNERS || cfg->nnetworks < 0 ||
            cfg->nnetworks > GW_MAX_NETWORKS)
            abort();
        for (int i = 0; i < cfg->npartners; i++)
            if (!memchr(cfg->partners[i].name, '\0', sizeof cfg->partners[i].name))
                abort();
    }
    return 0;
}
