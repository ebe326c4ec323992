/* main.c: patrolgw command line. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: patrolgw --config FILE [--log-level LEVEL]\n"
            "       patrolgw --check-config FILE\n"
            "       patrolgw --help | --version\n"
            "\n"
            "The patrolgw gateway: receives PRC/1 patrol reports from radio bridges over MQTT,\n"
            "validates and stores them in SQLite, replies to the sender, and alerts partners.\n"
            "Runs in the foreground and logs to stderr.\n"
            "\n"
            "  --config FILE        run with this INI file (see docs/config.md)\n"
            "  --check-config FILE  load FILE with its code table and gazetteer; exit 0 if valid\n"
            "  --log-level LEVEL    error, warn, info or debug (overrides [gateway] log_level)\n"
            "\n"
            "Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the config, code table and\n"
            "gazetteer (an invalid one is refused and the running one kept).\n"
            "Exit status: 0 stopped cleanly or config valid, 1 error, 2 usage.\n");
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int level = -1;

    /* The store and its WAL hold personal data: never group-writable or
     * world-readable, with or without the systemd unit's UMask=0027 (a
     * stricter umask is kept). */
    umask(umask(027) | 027);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("patrolgw %s\n", PATROL_VERSION);
            return 0;
        }
        if (!strcmp(a, "--check-config") && i + 1 < argc)
            return gateway_check_config(argv[i + 1]);
        if ((!strcmp(a, "--config") || !strcmp(a, "-c")) && i + 1 < argc) {
            config = argv[++i];
            continue;
        }
        if (!strcmp(a, "--log-level") && i + 1 < argc) {
            level = log_level_parse(argv[++i]);
            if (level < 0) {
                fprintf(stderr, "patrolgw: bad log level %s\n", argv[i]);
                return 2;
            }
            continue;
        }
        fprintf(stderr, "patrolgw: unknown argument %s\n", a);
        usage(stderr);
        return 2;
    }
    if (!config) {
        usage(stderr);
        return 2;
    }
    return gateway_run(config, level);
}
