/* fuzz_ingest.c: stateful libFuzzer target for what one inbound message does
 * (gateway/ingest.c, radio.c), against a real store: an input is a sequence
 * of messages from radio units (registered network or open, JSON or text),
 * phones (an operative, a partner contact, an unknown number) and MQTT ACKs,
 * each in its own transaction, with the clock moving between them, so that
 * duplicates, commands, ACKs, CLR/UPD and shifts meet each other.
 * Record: [kind][sender][seconds later][length][payload bytes...].
 * Aborts on a broken invariant: ingest never fails on its input (only on a
 * store error), every outcome is one of the four, every reply fits one SMS in
 * GSM-7, an unknown phone number is never answered, and the store commits.
 * The store is made anew every few thousand runs so that it stays small.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_ingest corpus/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "prc_gsm7.h"
#include "prc_utf8.h"
#include "radio.h"
#include "store.h"
#include "store_people.h"
#include "tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RUNS_PER_STORE 4000

static gw_config *cfg;
static gw_tables tables;
static store *st;
static char dir[64], path[128];
static long runs;
static int64_t now = 1795000000000LL;

static const char *const units[] = { "hbbcrp/radio7", "hbbcrp/evil", "shop/till1", "shop/till2",
                                     "hbbcrp/police1" };
static const char *const phones[] = { "+447700900111", "+447700900001", "+447700900999",
                                      "+447700900002" };
static const char *const partners[] = { "police", "bcrp", "nosuch" };

static void person(const char *callsign, const char *role, const char *partner, const char *phone,
                   const char *unit)
{
    store_person p;
    char err[256];
    const char *u[1] = { unit };
    memset(&p, 0, sizeof p);
    snprintf(p.callsign, sizeof p.callsign, "%s", callsign);
    snprintf(p.name, sizeof p.name, "Name of %s", callsign);
    snprintf(p.role, sizeof p.role, "%s", role);
    snprintf(p.partner, sizeof p.partner, "%s", partner);
    snprintf(p.phone, sizeof p.phone, "%s", phone);
    p.active = 1;
    if (store_person_add(st, &p, u, unit ? 1 : 0, err, sizeof err) <= 0) {
        fprintf(stderr, "fuzz_ingest: person %s: %s\n", callsign, err);
        abort();
    }
}

static void store_remove(void)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char p[192];
    store_close(st);
    st = NULL;
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        (void)unlink(p);
    }
}

static void store_fresh(void)
{
    char err[256];
    if (st)
        store_remove();
    st = store_open(path, STORE_RW, 0, err, sizeof err);
    if (!st) {
        fprintf(stderr, "fuzz_ingest: store_open: %s\n", err);
        abort();
    }
    person("BRAVO1", "operative", "", phones[0], units[0]);
    person("POL1", "partner", "police", phones[1], units[4]);
    person("BCRP1", "partner", "bcrp", phones[3], NULL);
}

static void cleanup(void)
{
    store_remove();
    (void)rmdir(dir);
    tables_free(&tables);
    free(cfg);
}

static void partner(const char *name, int min_priority, int mqtt)
{
    cfg_partner *p = &cfg->partners[cfg->npartners++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->min_priority = min_priority;
    p->mqtt = mqtt;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    const char *src = getenv("PATROL_SOURCE");
    setenv("TZ", "UTC", 1);
    tzset();
    log_set_level(LOG_ERROR);
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        abort();
    config_defaults(cfg);
    snprintf(cfg->gazetteer_path, sizeof cfg->gazetteer_path,
             "%s/docs/examples/hernebay/gazetteer.csv", src && src[0] ? src : ".");
    snprintf(cfg->networks[0].name, sizeof cfg->networks[0].name, "hbbcrp");
    cfg->networks[0].require_registration = 1;
    snprintf(cfg->networks[1].name, sizeof cfg->networks[1].name, "shop");
    cfg->nnetworks = 2;
    partner("police", 2, 1);
    partner("bcrp", 4, 1);
    if (tables_load(cfg, &tables, err, sizeof err)) {
        fprintf(stderr, "fuzz_ingest: tables_load: %s (set PATROL_SOURCE)\n", err);
        abort();
    }
    /* /dev/shm when there is one: a commit per message costs less in memory. */
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz_ingest.XXXXXX", tmp);
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/patrolgw.db", dir);
    store_fresh();
    atexit(cleanup);
    return 0;
}

static void check(const char *channel, const ingest_out *o)
{
    if (!o->outcome || (strcmp(o->outcome, "accepted") && strcmp(o->outcome, "duplicate") &&
                        strcmp(o->outcome, "error") && strcmp(o->outcome, "rejected")))
        abort();
    if (!memchr(o->reply, '\0', sizeof o->reply))
        abort();
    size_t len = strlen(o->reply);
    if (strcmp(channel, "ack") != 0 && len) {
        long sept = prc_gsm7_len(o->reply, len);
        if (sept < 0 || sept > PRC_REPLY_MAX)
            abort();
    }
}

static void one(int kind, int who, const uint8_t *p, size_t len)
{
    ingest_ctx ctx = { .cfg = cfg, .tables = &tables, .st = st };
    ingest_out o;
    memset(&o, 0, sizeof o);
    if (store_begin(st) != 0)
        abort();
    int rc = 0;
    const char *channel = "radio";
    if (kind == 0 || kind == 1) {
        char topic[128];
        radio_msg m;
        memset(&m, 0, sizeof m);
        snprintf(topic, sizeof topic, "patrol/in/%s", units[who % 5]);
        if (radio_decode("patrol", topic, p, len, now, cfg, &m) != 0)
            abort(); /* a well-formed topic always decodes */
        ingest_in in;
        radio_to_ingest(&m, &in);
        rc = ingest_message(&ctx, &in, &o);
        radio_msg_clear(&m);
    } else if (kind == 2) {
        channel = "sms";
        char text[512];
        size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, p, n);
        text[n] = '\0';
        n = strlen(text);
        ingest_in in = { .channel = "sms", .sender = phones[who % 4], .payload = text,
                         .payload_len = n, .received_at = now };
        /* The SMS channel hands over decoded UTF-8, or a rejection without
         * a reply (gateway/sms.c: binary SMS, denied senders). */
        if (prc_utf8_valid(text, n)) {
            in.text = text;
            in.text_len = n;
        } else {
            in.reject_reason = "binary SMS";
        }
        rc = ingest_message(&ctx, &in, &o);
        if (rc == 0 && who % 4 == 2 && o.reply[0])
            abort(); /* an unknown number is never answered */
    } else {
        channel = "ack";
        rc = ingest_ack_json(&ctx, partners[who % 3], p, len, now, &o);
    }
    if (rc != 0) {
        store_rollback(st);
        abort(); /* no store error is expected on a private store */
    }
    if (store_commit(st) != 0)
        abort();
    check(channel, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++runs % RUNS_PER_STORE == 0)
        store_fresh();
    size_t at = 0;
    for (int n = 0; n < 16 && at + 4 <= size; n++) {
        int kind = data[at] % 4, who = data[at + 1];
        now += (int64_t)data[at + 2] * 1000;
        size_t len = data[at + 3];
        at += 4;
        if (len > size - at)
            len = size - at;
        one(kind, who, data + at, len);
        at += len;
    }
    now += 3600 * 1000; /* the next input meets this one's windows only by its own timing */
    return 0;
}
