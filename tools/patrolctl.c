/* patrolctl: patrolgw administration: people, offline parsing, config checks.
 * Reads and writes the store directly; safe while patrolgw runs (SQLite WAL).
 * Each command group lives in tools/ctl_<group>.c; this file dispatches. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "gateway.h"
#include "log.h"

/* The command table: add a line per command group. */
static const struct {
    const char *name;
    int (*fn)(const ctl_opts *o, int argc, char **argv);
} commands[] = {
    { "people", ctl_people },
    { "parse", ctl_parse },
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: patrolctl [--config FILE | --db FILE] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  people add --callsign C --name NAME --role operative|partner [--partner P]\n"
            "             [--phone NUMBER] [--unit NETWORK/UNIT]...\n"
            "                         register a person (phone numbers are stored as E.164)\n"
            "  people list [--json]   list registered people\n"
            "  people disable C       stop C from reporting or acknowledging\n"
            "  people enable C        allow C again\n"
            "  parse [--codes F] [--gazetteer F] [--radius KM] [TEXT...]\n"
            "                         parse each TEXT (or each line of stdin) offline; one JSON\n"
            "                         object per message (see docs/patrolctl.md)\n"
            "  check-config [FILE]    validate a config with its code table and gazetteer\n"
            "\n"
            "Options:\n"
            "  --config FILE   patrolgw config (default " CTL_DEFAULT_CONFIG "); gives the store path,\n"
            "                  code table and gazetteer\n"
            "  --db FILE       use this store directly\n"
            "  COMMAND --help  help for one command\n"
            "\n"
            "Exit status: 0 success, 1 failure (a message on stderr), 2 usage error.\n"
            "patrolctl parse exits 0 even when messages do not parse: see \"ok\" in its output.\n");
}

int main(int argc, char **argv)
{
    ctl_opts o = { NULL, NULL };
    int i = 1;

    log_set_level(LOG_WARN);
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            o.config = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            o.db = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else
            break;
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i++];
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(cmd, commands[k].name))
            return commands[k].fn(&o, argc - i, argv + i);
    if (!strcmp(cmd, "check-config")) {
        const char *path = i < argc ? argv[i] : (o.config ? o.config : CTL_DEFAULT_CONFIG);
        return gateway_check_config(path);
    }
    fprintf(stderr, "patrolctl: unknown command %s\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
