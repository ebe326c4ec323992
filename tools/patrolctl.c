/* patrolctl: patrolgw administration: people, offline parsing, config checks.
 * Reads and writes the store directly; safe while patrolgw runs (SQLite WAL).
 * Each command group lives in tools/ctl_<group>.c; this file dispatches. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    { "reports", ctl_reports },
    { "show", ctl_show },
    { "export", ctl_export },
    { "stats", ctl_stats },
    { "report", ctl_report },
    { "partners", ctl_partners },
    { "tail", ctl_tail },
    { "purge", ctl_purge },
    { "audit", ctl_audit },
    { "backup", ctl_backup },
    { "status", ctl_status },
    { "users", ctl_users },
    { "sms", ctl_sms },
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
            "  people edit C [--name N] [--role R] [--partner P] [--phone NUMBER|none]\n"
            "             [--unit NETWORK/UNIT]... [--no-units]\n"
            "                         change a person (--unit replaces their units)\n"
            "  people remove C        erase a person; their reports stay, pseudonymised\n"
            "                         (people add/edit/disable/enable/remove take --actor WHO)\n"
            "  parse [--codes F] [--gazetteer F] [--radius KM] [TEXT...]\n"
            "                         parse each TEXT (or each line of stdin) offline; one JSON\n"
            "                         object per message (see docs/patrolctl.md)\n"
            "  check-config [FILE]    validate a config with its code table and gazetteer\n"
            "  reports [FILTERS] [--csv | --json]\n"
            "                         list reports; FILTERS: --since T --until T --zone Z\n"
            "                         --code C --priority P --status open|cleared --reporter R\n"
            "                         (T: YYYY-MM-DD or RFC 3339)\n"
            "  show Rn [--json]       the timeline of one report: events, alerts, messages\n"
            "  export --format csv|json|geojson [FILTERS] [--out FILE]\n"
            "                         reports for spreadsheets, scripts and maps (RFC 7946)\n"
            "  stats [FILTERS] [--month] [--table NAME] [--csv | --json]\n"
            "                         incidents by zone x code x week (or month), by priority\n"
            "                         and channel; time to first ACK per partner; patrol hours\n"
            "                         against the commitment; refused messages by reason\n"
            "  report --month YYYY-MM [--out FILE.html]\n"
            "                         the month's HTML report for the partnership\n"
            "  partners [--json]      partners, their routing, and alert delivery health\n"
            "  tail [--json] [--count N]\n"
            "                         new reports, alerts and ACKs as they are committed\n"
            "  purge [--dry-run] [--json] [--actor WHO]\n"
            "                         apply the [retention] policy (audited)\n"
            "  audit [--json] [--verify]\n"
            "                         who changed what; --verify checks the hash chain\n"
            "  backup [--force] FILE  a consistent copy of the store, safe while patrolgw runs\n"
            "  status [--json] [--max-age S]\n"
            "                         is patrolgw running (exit 0) or not (exit 1); queues\n"
            "  users add NAME --role viewer|duty|coordinator [--partner P]\n"
            "  users passwd NAME | disable NAME | enable NAME | list [--json]\n"
            "                         duty dashboard accounts; passwords from the terminal\n"
            "                         or stdin (docs/dashboard.md)\n"
            "  sms [--failed | --pending | --all] [--since T] [--until T] [--limit N] [--json]\n"
            "      [--reveal [--actor WHO]]\n"
            "                         SMS not sent (failed, dropped, pending): state, attempts,\n"
            "                         last error; numbers masked unless --reveal (audited)\n"
            "\n"
            "Options:\n"
            "  --config FILE   patrolgw config (default " CTL_DEFAULT_CONFIG "); gives the store path,\n"
            "                  code table and gazetteer\n"
            "  --db FILE       use this store directly\n"
            "  COMMAND --help  help for one command\n"
            "\n"
            "Exit status: 0 success, 1 failure (a message on stderr), 2 usage error.\n"
            "patrolctl parse exits 0 even when messages do not parse: see \"ok\" in its output.\n"
            "patrolctl status exits 1 when patrolgw is not running; audit --verify exits 1 when\n"
            "the audit trail was changed.\n");
}

int main(int argc, char **argv)
{
    ctl_opts o = { NULL, NULL };
    int i = 1;

    log_set_level(LOG_WARN);
    /* Stores, backups, exports and reports hold personal data: 0640 at most
     * (0600 under a stricter umask), whoever runs patrolctl. */
    umask(umask(027) | 027);
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
        if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
            printf("usage: patrolctl [--config FILE] check-config [FILE]\n"
                   "Validates a patrolgw config with its code table and gazetteer (FILE, else\n"
                   "--config, else " CTL_DEFAULT_CONFIG "). Exit 0 if valid, 1 if not.\n");
            return EXIT_OK;
        }
        const char *path = i < argc ? argv[i] : (o.config ? o.config : CTL_DEFAULT_CONFIG);
        return gateway_check_config(path);
    }
    fprintf(stderr, "patrolctl: unknown command %s\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
