/* mqtt_bench.c: the load generator of the ingest benchmark (bench/README.md).
 *
 * Builds a deterministic mix of N PRC/1 radio messages (JSON payloads with a
 * msg_id each), publishes them at QoS 1 through one broker and times the reply
 * to each, matched by msg_id. Two clients (connections): one publishes, one
 * subscribes; one thread polls both. Two load shapes: a closed loop with W
 * messages in flight (resending, like a bridge, what got no reply in time),
 * and paced sends at a fixed rate scheduled by absolute time (latency counted
 * from the schedule).
 *
 *   mqtt_bench --mode relay|target --load closed|paced [options]
 *   mqtt_bench --dump-texts [--n N]     the message texts, one a line
 *   mqtt_bench --list-networks          the networks the mix uses
 *   mqtt_bench --forget-session ID      drops client ID's persistent session
 *
 * Prints one line per measurement:
 *   <label> <load> n=N rate=R/s p50=Xms p99=Yms lost=L resent=S ...
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/select.h>

#include <mosquitto.h>

/* Bench-local caps (the gateway's own caps live in protocol/prc_limits.h). */
#define BENCH_TEXT_MAX 1536    /* one generated text (bytes) */
#define BENCH_PAYLOAD_MAX 2048 /* one JSON payload (bytes) */
#define BENCH_TOPIC_MAX 256
#define BENCH_NAME_MAX 64      /* prefix, tag, label, client id */
#define BENCH_N_MAX 10000000u

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* ---------------------------------------------------------------- the mix */

typedef struct mix_code {
    const char *tok[3];      /* canonical code first, then aliases */
    int ntok;
    int weight;              /* share of the valid reports, per cent of all */
    const char *details[5];
    int ndetails;
} mix_code;

/* Weights sum to 90: the other 10 per cent are errors (see gen_text). */
static const mix_code mix_codes[] = {
    {{"ASB"}, 1, 20, {"6 youths throwing bottles", "group drinking by the shelter",
                      "kids on bikes riding at pedestrians", "youths climbing on bus shelter",
                      "loud music and shouting outside flats"}, 5},
    {{"THEFT", "SHOP"}, 2, 10, {"male red jacket", "shoplifter left towards station",
                                "bike stolen from rack", "took \302\24320 of razors ran off",
                                "wallet taken from cafe table"}, 5},
    {{"ENG"}, 1, 15, {"spoke to shopkeepers", "chat with residents about parking",
                      "handed out leaflets at market", "checked on elderly resident",
                      "talked to skaters about the new ramp"}, 5},
    {{"SUS"}, 1, 7, {"white van circling slowly", "man trying car door handles",
                     "two males looking into gardens"}, 3},
    {{"MH", "WELF"}, 2, 5, {"male on sea wall", "woman crying on bench asked for help",
                            "man in distress by the railings"}, 3},
    {{"RTC", "CRASH", "RTA"}, 3, 3, {"car v cyclist amb called", "two car shunt no injuries",
                                     "moped down rider walking"}, 3},
    {{"MED", "FA", "AMB"}, 3, 3, {"elderly male fallen amb called",
                                  "female collapsed conscious breathing"}, 2},
    {{"VIO", "FIGHT"}, 2, 4, {"fight outside pub 4 males", "assault in progress by taxi rank"}, 2},
    {{"DMG", "CRIM"}, 2, 5, {"graffiti on shutters", "smashed window at bus stop"}, 2},
    {{"ENV", "FLY"}, 2, 5, {"fly tipping mattresses in alley", "broken streetlight",
                            "needles in flower bed"}, 3},
    {{"DRG", "DRUGS"}, 2, 5, {"suspected dealing from car", "cannabis smell group of 4"}, 2},
    {{"INFO", "INT"}, 2, 3, {"new group hanging around after 10pm",
                             "shop owner reports threats"}, 2},
    {{"MISPER"}, 1, 1, {"elderly female with dementia missing 1hr"}, 1},
    {{"WPN", "KNIFE"}, 2, 1, {"male seen with knife in waistband"}, 1},
    {{"DOOR", "ROGUE"}, 2, 1, {"rogue trader at elderly resident"}, 1},
    {{"HATE"}, 1, 1, {"racist abuse shouted at shopkeeper"}, 1},
    {{"FIRE"}, 1, 1, {"bin fire behind the arcade"}, 1},
};
#define MIX_NCODES (sizeof mix_codes / sizeof mix_codes[0])

/* docs/examples/hernebay/gazetteer.csv: zones, landmark aliases, district CT6. */
static const char *const mix_zones[] = {"HB01", "HB02", "HB03", "HB04", "HB05", "HB06",
                                        "HB07", "HB08", "HB09", "HB10", "HB11", "HB12"};
static const char *const mix_aliases[] = {"PIER", "CLOCK", "STATION", "BANDSTAND",
                                          "MEMPARK", "KINGSHALL"};
static const char *const mix_typos[] = {"ABS", "THEFY", "RCT", "SUSS", "ENGG",
                                        "DMGE", "FIGTH", "MDE", "ANTISOC", "XYZ"};
static const char *const mix_bad_locs[] = {"HB99", "HB13", "PEIR", "TOWNCENTRE",
                                           "CT99", "ZZ1"};
static const char *const mix_bad_prio[] = {"P5", "P0", "P9", "PX", "P12"};
/* Inward-code letters (no C I K M O V). */
static const char mix_inward[] = "ABDEFGHJLNPQRSTUWXYZ";

typedef struct mix_net {
    const char *name;
    const char *unit_prefix;
    int weight;
} mix_net;

static const mix_net mix_nets[] = {
    {"shopwatch", "sw", 35},
    {"pubwatch", "pw", 25},
    {"streetpastors", "sp", 20},
    {"nightwatch", "nw", 20},
};
#define MIX_NNETS (sizeof mix_nets / sizeof mix_nets[0])
#define MIX_UNITS_PER_NET 24u

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

/* A bounded string builder: never writes past cap, remembers truncation. */
typedef struct sbuf {
    char *p;
    size_t cap;
    size_t len;
    int trunc;
} sbuf;

static void sb_init(sbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->trunc = 0;
    if (cap > 0) {
        p[0] = '\0';
    }
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->trunc || b->len >= b->cap) {
        b->trunc = 1;
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->trunc = 1;
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

static const char *pick_code_tok(uint64_t *rng, const mix_code *c)
{
    /* Mostly the canonical code, sometimes an alias. */
    if (c->ntok > 1 && rng_below(rng, 100) < 20) {
        return c->tok[1 + rng_below(rng, (unsigned)c->ntok - 1)];
    }
    return c->tok[0];
}

static void gen_location(uint64_t *rng, sbuf *b)
{
    unsigned r = rng_below(rng, 100);

    if (r < 50) {
        sb_printf(b, "%s", mix_zones[rng_below(rng, 12)]);
    } else if (r < 70) {
        sb_printf(b, "%s", mix_aliases[rng_below(rng, 6)]);
    } else if (r < 82) {
        unsigned sector = 5 + rng_below(rng, 4);
        char l1 = mix_inward[rng_below(rng, sizeof mix_inward - 1)];
        char l2 = mix_inward[rng_below(rng, sizeof mix_inward - 1)];
        if (rng_below(rng, 5) == 0) {
            /* Typed without the space, in lower case: ct65ab. */
            sb_printf(b, "ct6%u%c%c", sector, l1 + ('a' - 'A'), l2 + ('a' - 'A'));
        } else {
            sb_printf(b, "CT6 %u%c%c", sector, l1, l2);
        }
    } else if (r < 90) {
        sb_printf(b, "CT6");
    } else {
        /* Herne Bay spans about 51.355..51.385 N, 1.08..1.20 E. */
        unsigned la = rng_below(rng, 300);
        unsigned lo = rng_below(rng, 1200);
        sb_printf(b, "51.%04u,1.%04u", 3550 + la, 800 + lo);
    }
}

/* One message text for sequence number seq; every text is distinct because
 * seq ends it. Sets *net and *unit (indexes into mix_nets and units). */
static size_t gen_text(uint64_t *rng, size_t seq, char *out, size_t outsz,
                       unsigned *net, unsigned *unit)
{
    sbuf b;
    unsigned r, total = 0, i;
    const mix_code *c = &mix_codes[0];
    const char *sep = rng_below(rng, 100) < 5 ? "/" : " ";
    int lower = rng_below(rng, 100) < 8;

    r = rng_below(rng, 100);
    for (i = 0; i < MIX_NNETS; i++) {
        total += (unsigned)mix_nets[i].weight;
        if (r < total) {
            break;
        }
    }
    *net = i < MIX_NNETS ? i : 0;
    *unit = rng_below(rng, MIX_UNITS_PER_NET);

    sb_init(&b, out, outsz);
    r = rng_below(rng, 1000);
    if (r < 900) {
        /* A valid report: CODE [Pn] LOCATION [Pn] details. */
        unsigned pr, w = 0, pick = rng_below(rng, 90);
        for (i = 0; i < MIX_NCODES; i++) {
            w += (unsigned)mix_codes[i].weight;
            if (pick < w) {
                c = &mix_codes[i];
                break;
            }
        }
        pr = rng_below(rng, 100);
        sb_printf(&b, "%s", pick_code_tok(rng, c));
        if (pr < 15) {
            sb_printf(&b, "%sP%u", sep, 1 + rng_below(rng, 4));
        }
        sb_printf(&b, "%s", sep);
        gen_location(rng, &b);
        if (pr >= 15 && pr < 25) {
            sb_printf(&b, "%sP%u", sep, 1 + rng_below(rng, 4));
        }
        sb_printf(&b, " %s", c->details[rng_below(rng, (unsigned)c->ndetails)]);
    } else {
        c = &mix_codes[rng_below(rng, MIX_NCODES)];
        if (r < 940) {
            /* Unknown (typo'd) code: ERR CODE. */
            sb_printf(&b, "%s ", mix_typos[rng_below(rng, 10)]);
            gen_location(rng, &b);
            sb_printf(&b, " %s", c->details[0]);
        } else if (r < 970) {
            /* No such place: ERR LOCATION. */
            sb_printf(&b, "%s %s %s", c->tok[0], mix_bad_locs[rng_below(rng, 6)],
                      c->details[0]);
        } else if (r < 990) {
            /* P5, P0...: ERR PRIORITY. */
            sb_printf(&b, "%s %s ", c->tok[0], mix_bad_prio[rng_below(rng, 5)]);
            gen_location(rng, &b);
            sb_printf(&b, " %s", c->details[0]);
        } else if (r < 995) {
            /* Location left out: ERR LOCATION. */
            sb_printf(&b, "%s", c->tok[0]);
        } else {
            /* Over 480 characters: ERR LENGTH. */
            sb_printf(&b, "%s ", c->tok[0]);
            gen_location(rng, &b);
            for (i = 0; i < 11; i++) {
                sb_printf(&b, " %s and then they came back again", c->details[0]);
            }
        }
    }
    sb_printf(&b, " #%zu", seq);
    if (lower) {
        for (i = 0; i < b.len; i++) {
            if (out[i] >= 'A' && out[i] <= 'Z') {
                out[i] = (char)(out[i] + ('a' - 'A'));
            }
        }
    }
    return b.trunc ? 0 : b.len;
}

/* JSON string body: escapes what JSON requires (our texts have no controls). */
static void sb_json_str(sbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            sb_printf(b, "\\%c", *s);
        } else {
            sb_printf(b, "%c", *s);
        }
    }
}

/* The messages of one run: payloads back to back in one arena. */
typedef struct msg_set {
    char *arena;        /* owned */
    size_t arena_len;
    size_t arena_cap;
    size_t *off;        /* owned, n: payload offsets */
    size_t *len;        /* owned, n: payload lengths */
    unsigned char *net; /* owned, n */
    unsigned char *unit;/* owned, n */
    size_t n;
} msg_set;

static void msg_set_free(msg_set *m)
{
    if (m == NULL) {
        return;
    }
    free(m->arena);
    free(m->off);
    free(m->len);
    free(m->net);
    free(m->unit);
    memset(m, 0, sizeof *m);
}

static int arena_append(msg_set *m, const char *p, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 1u << 20;
        char *np;
        while (cap < m->arena_len + len) {
            cap *= 2;
        }
        np = realloc(m->arena, cap);
        if (np == NULL) {
            return -1;
        }
        m->arena = np;
        m->arena_cap = cap;
    }
    memcpy(m->arena + m->arena_len, p, len);
    m->arena_len += len;
    return 0;
}

/* Fills m with n JSON payloads; msg_id is "<tag>-<i>". 0 or -1. */
static int msg_set_build(msg_set *m, size_t n, uint64_t seed, const char *tag)
{
    uint64_t rng = seed;
    char text[BENCH_TEXT_MAX];
    char payload[BENCH_PAYLOAD_MAX];
    size_t i;

    memset(m, 0, sizeof *m);
    m->off = calloc(n, sizeof *m->off);
    m->len = calloc(n, sizeof *m->len);
    m->net = calloc(n, 1);
    m->unit = calloc(n, 1);
    if (m->off == NULL || m->len == NULL || m->net == NULL || m->unit == NULL) {
        goto fail;
    }
    for (i = 0; i < n; i++) {
        unsigned net, unit;
        time_t ts = (time_t)(1795424400 + i / 20); /* 2026-11-23T09:00:00Z on */
        struct tm tm;
        sbuf b;

        if (gen_text(&rng, i, text, sizeof text, &net, &unit) == 0) {
            goto fail;
        }
        if (gmtime_r(&ts, &tm) == NULL) {
            goto fail;
        }
        sb_init(&b, payload, sizeof payload);
        sb_printf(&b, "{\"unit\":\"%s%02u\",\"text\":\"", mix_nets[net].unit_prefix, unit);
        sb_json_str(&b, text);
        sb_printf(&b, "\",\"msg_id\":\"%s-%zu\",\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\","
                  "\"bridge\":\"bench\"}", tag, i, tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (b.trunc) {
            goto fail;
        }
        m->off[i] = m->arena_len;
        m->len[i] = b.len;
        m->net[i] = (unsigned char)net;
        m->unit[i] = (unsigned char)unit;
        if (arena_append(m, payload, b.len) != 0) {
            goto fail;
        }
    }
    m->n = n;
    return 0;
fail:
    msg_set_free(m);
    return -1;
}

static int dump_texts(size_t n, uint64_t seed)
{
    uint64_t rng = seed;
    char text[BENCH_TEXT_MAX];
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned net, unit;
        size_t len = gen_text(&rng, i, text, sizeof text, &net, &unit);
        if (len == 0 || printf("%s\n", text) < 0) {
            return -1;
        }
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- the run */

enum { MODE_RELAY, MODE_TARGET };
enum { LOAD_CLOSED, LOAD_PACED };

typedef struct bench_opts {
    char host[BENCH_NAME_MAX];
    int port;
    char prefix[BENCH_NAME_MAX];
    char label[BENCH_NAME_MAX];
    char tag[BENCH_NAME_MAX];
    int mode;
    int load;
    size_t n;
    size_t window;
    double rate;
    uint64_t seed;
    uint64_t resend_ns;
    uint64_t drain_ns;
    const char *lat_path;  /* NULL, or where to write each message's latency */
} bench_opts;

/* One thread runs everything: both clients are polled in one loop (as
 * patrolgw does), so no lock, no wake-up and no thread hop adds to the
 * figures, and the bench takes as little CPU from what it measures as it can. */
typedef struct bench {
    const bench_opts *o;
    const msg_set *msgs;
    uint64_t *t_ref;      /* owned, n: latency origin (first send or schedule), ns */
    uint64_t *t_last;     /* owned, n: last (re)send, for the resend timer */
    uint64_t *lat;        /* owned, n: first reply - t_ref, ns */
    unsigned char *got;   /* owned, n: 1 once replied */
    size_t sent;          /* distinct messages sent: 0..sent-1 */
    size_t replied;       /* distinct messages replied */
    size_t low;           /* every message below low is replied */
    size_t resent;
    size_t late;          /* replies after the first for the same msg_id */
    size_t stray;         /* replies that match no message of this run */
    size_t bad;           /* relay/echo replies whose payload differs */
    size_t ok, err, dup;  /* gateway replies by kind (first reply only) */
    size_t pub_errors;    /* publishes refused while reconnecting */
    size_t disconnects;
    uint64_t t_start;
    uint64_t t_last_reply;
    uint64_t t_progress;  /* last time a new reply came in (or the last send) */
    uint64_t max_lag;     /* paced: the latest a send left after its schedule */
    int pub_ready;
    int sub_ready;
    int failed;           /* fatal: a connect or subscribe was refused */
    char sub_topic[BENCH_TOPIC_MAX];
} bench;

static uint64_t now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        abort(); /* cannot happen with CLOCK_MONOTONIC */
    }
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Finds "key": "value" in JSON text p[0..len) (flat objects only). Returns 1
 * and the raw value (escapes kept) in *val and *vlen; 0 if absent or not a string. */
static int json_find_str(const char *p, size_t len, const char *key,
                         const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    size_t i, j;

    for (i = 0; i + klen + 2 <= len; i++) {
        if (p[i] != '"' || memcmp(p + i + 1, key, klen) != 0 || p[i + 1 + klen] != '"') {
            continue;
        }
        j = i + klen + 2;
        while (j < len && (p[j] == ' ' || p[j] == '\t')) {
            j++;
        }
        if (j >= len || p[j] != ':') {
            continue; /* a value that happens to equal the key */
        }
        j++;
        while (j < len && (p[j] == ' ' || p[j] == '\t')) {
            j++;
        }
        if (j >= len || p[j] != '"') {
            return 0; /* null or a number */
        }
        j++;
        *val = p + j;
        while (j < len && p[j] != '"') {
            j += (p[j] == '\\') ? 2 : 1;
        }
        if (j >= len) {
            return 0; /* unterminated */
        }
        *vlen = (size_t)(p + j - *val);
        return 1;
    }
    return 0;
}

/* "<tag>-<i>" -> i; -1 if the id is not one of this run's. */
static long long parse_msg_id(const bench *b, const char *v, size_t vlen)
{
    size_t tlen = strlen(b->o->tag);
    unsigned long long idx = 0;
    size_t i;

    if (vlen <= tlen + 1 || memcmp(v, b->o->tag, tlen) != 0 || v[tlen] != '-') {
        return -1;
    }
    for (i = tlen + 1; i < vlen; i++) {
        if (v[i] < '0' || v[i] > '9' || idx > BENCH_N_MAX) {
            return -1;
        }
        idx = idx * 10 + (unsigned long long)(v[i] - '0');
    }
    return idx < b->msgs->n ? (long long)idx : -1;
}

static void on_sub_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    bench *b = obj;
    uint64_t t = now_ns();
    const char *p = msg->payload, *id, *reply;
    size_t plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    size_t idlen, rlen, i;
    long long idx = -1;

    (void)mosq;
    if (p != NULL && json_find_str(p, plen, "msg_id", &id, &idlen)) {
        idx = parse_msg_id(b, id, idlen);
    }
    if (idx < 0 || (size_t)idx >= b->sent) {
        b->stray++;
        return;
    }
    i = (size_t)idx;
    if (b->got[i]) {
        b->late++;
        return;
    }
    b->got[i] = 1;
    b->lat[i] = t - b->t_ref[i];
    b->replied++;
    b->t_last_reply = t;
    b->t_progress = t;
    while (b->low < b->sent && b->got[b->low]) {
        b->low++;
    }
    if (json_find_str(p, plen, "reply", &reply, &rlen)) {
        if (rlen >= 2 && memcmp(reply, "OK", 2) == 0) {
            b->ok++;
        } else if (rlen >= 3 && memcmp(reply, "ERR", 3) == 0) {
            b->err++;
        }
        if (rlen >= 4 && memcmp(reply + rlen - 4, " DUP", 4) == 0) {
            b->dup++;
        }
    } else if (plen != b->msgs->len[i]
               || memcmp(p, b->msgs->arena + b->msgs->off[i], plen) != 0) {
        /* relay and echo hand back the payload unchanged */
        b->bad++;
    }
}

static void on_sub_connect(struct mosquitto *mosq, void *obj, int rc)
{
    bench *b = obj;
    int src;

    if (rc != 0) {
        fprintf(stderr, "mqtt_bench: subscriber connect refused: %s\n",
                mosquitto_connack_string(rc));
        b->failed = 1;
        return;
    }
    /* Subscribing here also renews the subscription after a reconnect. */
    src = mosquitto_subscribe(mosq, NULL, b->sub_topic, 1);
    if (src != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: subscribe: %s\n", mosquitto_strerror(src));
        b->failed = 1;
    }
}

static void on_sub_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                             const int *granted_qos)
{
    bench *b = obj;

    (void)mosq;
    (void)mid;
    if (qos_count < 1 || granted_qos[0] != 1) {
        fprintf(stderr, "mqtt_bench: subscription to %s not granted at QoS 1\n", b->sub_topic);
        b->failed = 1;
        return;
    }
    b->sub_ready = 1;
}

static void on_pub_connect(struct mosquitto *mosq, void *obj, int rc)
{
    bench *b = obj;

    (void)mosq;
    if (rc != 0) {
        fprintf(stderr, "mqtt_bench: publisher connect refused: %s\n",
                mosquitto_connack_string(rc));
        b->failed = 1;
        return;
    }
    b->pub_ready = 1;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    bench *b = obj;

    (void)mosq;
    if (rc != 0) {
        b->disconnects++; /* the loop reconnects; counted, it explains losses */
    }
}

static int publish_one(bench *b, struct mosquitto *pub, size_t i)
{
    const bench_opts *o = b->o;
    const msg_set *m = b->msgs;
    char topic[BENCH_TOPIC_MAX];
    int n, rc;

    n = snprintf(topic, sizeof topic, "%s/%s/%s/%s%02u", o->prefix,
                 o->mode == MODE_RELAY ? "relay" : "in", mix_nets[m->net[i]].name,
                 mix_nets[m->net[i]].unit_prefix, (unsigned)m->unit[i]);
    if (n < 0 || (size_t)n >= sizeof topic) {
        return -1;
    }
    /* Not in a callback and not threaded: libmosquitto writes it out now. */
    rc = mosquitto_publish(pub, NULL, topic, (int)m->len[i], m->arena + m->off[i], 1, false);
    if (rc == MOSQ_ERR_SUCCESS) {
        return 0;
    }
    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) {
        /* the connection is gone: the loop reconnects; the closed loop resends
         * this message, paced counts it lost */
        b->pub_errors++;
        return 0;
    }
    fprintf(stderr, "mqtt_bench: publish: %s\n", mosquitto_strerror(rc));
    return -1;
}

/* Sends message i for the first time; t_ref is its latency origin. */
static int send_new(bench *b, struct mosquitto *pub, uint64_t t_ref)
{
    size_t i = b->sent;

    b->t_ref[i] = t_ref;
    b->t_last[i] = now_ns();
    b->sent++;
    return publish_one(b, pub, i);
}

/* Closed loop: resends, like a bridge, what got no reply within resend_ns. */
static int resend_due(bench *b, struct mosquitto *pub, uint64_t now)
{
    size_t i;

    for (i = b->low; i < b->sent; i++) {
        /* t_last may be later than now: sends go out after now was read */
        if (!b->got[i] && now > b->t_last[i] && now - b->t_last[i] >= b->o->resend_ns) {
            b->t_last[i] = now;
            b->resent++;
            if (publish_one(b, pub, i) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Reads what the socket holds now: loop_read takes one packet at a time. */
static int client_read(struct mosquitto *m)
{
    int i, rc, avail;

    for (i = 0; i < 4096; i++) {
        rc = mosquitto_loop_read(m, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            return rc;
        }
        avail = 0;
        if (mosquitto_socket(m) < 0 || ioctl(mosquitto_socket(m), FIONREAD, &avail) != 0
            || avail <= 0) {
            break;
        }
    }
    return MOSQ_ERR_SUCCESS;
}

/* After a lost connection: reconnect (on_connect resubscribes). */
static void client_recover(struct mosquitto *m, int rc, const char *role)
{
    const struct timespec pause = {0, 100 * 1000000L};

    fprintf(stderr, "mqtt_bench: %s connection: %s; reconnecting\n", role, mosquitto_strerror(rc));
    (void)nanosleep(&pause, NULL);
    rc = mosquitto_reconnect(m);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: %s reconnect: %s\n", role, mosquitto_strerror(rc));
    }
}

/* Waits up to timeout_ns for either socket, then lets libmosquitto read,
 * write and keep alive. 0, or -1 on a fatal error. */
static int poll_clients(struct mosquitto *pub, struct mosquitto *sub, uint64_t timeout_ns)
{
    struct mosquitto *cl[2] = {pub, sub};
    static const char *const role[2] = {"publisher", "subscriber"};
    fd_set rd, wr;
    struct timespec ts;
    int fd[2], maxfd = -1, k, rc;

    FD_ZERO(&rd);
    FD_ZERO(&wr);
    for (k = 0; k < 2; k++) {
        fd[k] = mosquitto_socket(cl[k]);
        if (fd[k] < 0) {
            client_recover(cl[k], MOSQ_ERR_NO_CONN, role[k]);
            continue;
        }
        if (fd[k] >= FD_SETSIZE) {
            return -1;
        }
        FD_SET(fd[k], &rd);
        if (mosquitto_want_write(cl[k])) {
            FD_SET(fd[k], &wr);
        }
        if (fd[k] > maxfd) {
            maxfd = fd[k];
        }
    }
    ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
    ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
    /* pselect: a timeout in ns, so paced sends leave on time. */
    rc = pselect(maxfd + 1, &rd, &wr, NULL, &ts, NULL);
    if (rc < 0) {
        if (errno == EINTR) {
            return 0;
        }
        perror("mqtt_bench: pselect");
        return -1;
    }
    for (k = 0; k < 2; k++) {
        if (fd[k] < 0) {
            continue;
        }
        rc = MOSQ_ERR_SUCCESS;
        if (FD_ISSET(fd[k], &rd)) {
            rc = client_read(cl[k]);
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(cl[k]) >= 0 && mosquitto_want_write(cl[k])) {
            rc = mosquitto_loop_write(cl[k], 1);
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            rc = mosquitto_loop_misc(cl[k]);
        }
        if (rc == MOSQ_ERR_NOMEM || rc == MOSQ_ERR_INVAL) {
            fprintf(stderr, "mqtt_bench: %s: %s\n", role[k], mosquitto_strerror(rc));
            return -1;
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            client_recover(cl[k], rc, role[k]);
        }
    }
    return 0;
}

/* The measurement: closed loop (window in flight) or paced (by the clock). */
static int run_load(bench *b, struct mosquitto *pub, struct mosquitto *sub)
{
    const size_t n = b->msgs->n;
    const int closed = b->o->load == LOAD_CLOSED;
    const double period = (double)NS_PER_S / b->o->rate;
    /* The resend scan runs every tick: a few times per resend timeout. */
    const uint64_t tick = b->o->resend_ns / 4 < 20 * NS_PER_MS
                              ? (b->o->resend_ns / 4 > NS_PER_MS ? b->o->resend_ns / 4 : NS_PER_MS)
                              : 20 * NS_PER_MS;
    uint64_t now, wait, next_scan, t0;

    t0 = now_ns() + (closed ? 0 : 20 * NS_PER_MS);
    b->t_start = t0;
    b->t_progress = t0;
    next_scan = t0 + tick;
    for (;;) {
        now = now_ns();
        if (closed) {
            while (b->sent < n && b->sent - b->replied < b->o->window) {
                if (send_new(b, pub, now_ns()) != 0) {
                    return -1;
                }
            }
            if (now >= next_scan) {
                if (resend_due(b, pub, now) != 0) {
                    return -1;
                }
                next_scan = now + tick;
            }
        } else {
            while (b->sent < n) {
                uint64_t sched = t0 + (uint64_t)((double)b->sent * period);
                if (sched > now) {
                    break;
                }
                if (now - sched > b->max_lag) {
                    b->max_lag = now - sched;
                }
                /* from the schedule: a late send counts against the target */
                if (send_new(b, pub, sched) != 0) {
                    return -1;
                }
                now = now_ns();
                if (b->sent == n && b->t_progress < now) {
                    b->t_progress = now; /* the drain timer starts at the last send */
                }
            }
        }
        if (b->replied == n) {
            return 0;
        }
        if ((closed || b->sent == n) && now - b->t_progress > b->o->drain_ns) {
            if (b->sent < n) {
                fprintf(stderr, "mqtt_bench: no reply for %.1f s: giving up after %zu sent\n",
                        (double)b->o->drain_ns / NS_PER_S, b->sent);
            }
            return 0;
        }
        wait = tick;
        if (closed) {
            wait = next_scan > now ? next_scan - now : 0;
        } else if (b->sent < n) {
            uint64_t sched = t0 + (uint64_t)((double)b->sent * period);
            wait = sched > now ? sched - now : 0;
        }
        if (poll_clients(pub, sub, wait) != 0) {
            return -1;
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), in ms. */
static double pct_ms(const uint64_t *v, size_t n, double p)
{
    size_t rank;

    if (n == 0) {
        return 0.0;
    }
    rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return (double)v[rank - 1] / (double)NS_PER_MS;
}

static int report(const bench *b)
{
    const size_t n = b->msgs->n;
    uint64_t *v = malloc((b->replied > 0 ? b->replied : 1) * sizeof *v);
    size_t i, k = 0;
    double secs, rate;

    if (v == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (b->got[i]) {
            v[k++] = b->lat[i];
        }
    }
    qsort(v, k, sizeof *v, cmp_u64);
    /* The rate counts from the first send to the last first reply. */
    secs = b->t_last_reply > b->t_start ? (double)(b->t_last_reply - b->t_start) / NS_PER_S : 0.0;
    rate = secs > 0.0 ? (double)k / secs : 0.0;
    printf("%s %s n=%zu rate=%.0f/s p50=%.2fms p99=%.2fms lost=%zu resent=%zu "
           "p999=%.2fms max=%.2fms", b->o->label, b->o->load == LOAD_CLOSED ? "closed" : "paced",
           n, rate, pct_ms(v, k, 50.0), pct_ms(v, k, 99.0), n - k, b->resent,
           pct_ms(v, k, 99.9), k > 0 ? (double)v[k - 1] / NS_PER_MS : 0.0);
    if (b->o->load == LOAD_CLOSED) {
        printf(" window=%zu", b->o->window);
    } else {
        printf(" target=%.0f/s max_send_lag=%.2fms", b->o->rate, (double)b->max_lag / NS_PER_MS);
    }
    if (b->ok + b->err > 0) {
        printf(" ok=%zu err=%zu dup=%zu", b->ok, b->err, b->dup);
    }
    printf(" late=%zu stray=%zu", b->late, b->stray);
    if (b->bad > 0) {
        printf(" bad=%zu", b->bad);
    }
    if (b->pub_errors > 0 || b->disconnects > 0) {
        printf(" pub_errors=%zu disconnects=%zu", b->pub_errors, b->disconnects);
    }
    printf("\n");
    free(v);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* One line per message: index, send time from the start and latency (ms);
 * for finding out when the slow replies happen (e.g. every checkpoint). */
static int write_latencies(const bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    size_t i;
    int bad;

    if (f == NULL) {
        fprintf(stderr, "mqtt_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < b->sent; i++) {
        double at = b->t_ref[i] >= b->t_start
                        ? (double)(b->t_ref[i] - b->t_start) / NS_PER_MS : 0.0;
        int n = b->got[i] ? fprintf(f, "%zu %.3f %.3f\n", i, at, (double)b->lat[i] / NS_PER_MS)
                          : fprintf(f, "%zu %.3f -\n", i, at);
        if (n < 0) {
            break;
        }
    }
    bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "mqtt_bench: %s: write error\n", path);
        return -1;
    }
    return 0;
}

static struct mosquitto *client_new(const char *role, bench *b)
{
    char id[BENCH_NAME_MAX];
    struct mosquitto *m;
    int n;

    n = snprintf(id, sizeof id, "bench-%s-%ld", role, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof id) {
        return NULL;
    }
    m = mosquitto_new(id, true, b);
    if (m == NULL) {
        return NULL;
    }
    /* Nagle would dominate loopback latency at low rates. */
    if (mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1) != MOSQ_ERR_SUCCESS
        /* The window, not libmosquitto's default 20, bounds what is in flight. */
        || mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, 65535) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m);
        return NULL;
    }
    return m;
}

static int run_bench(const bench_opts *o)
{
    bench b;
    msg_set msgs;
    struct mosquitto *pub = NULL, *sub = NULL;
    uint64_t deadline;
    int rc = -1, n;

    memset(&b, 0, sizeof b);
    b.o = o;
    if (msg_set_build(&msgs, o->n, o->seed, o->tag) != 0) {
        fprintf(stderr, "mqtt_bench: cannot build %zu messages\n", o->n);
        return -1;
    }
    b.msgs = &msgs;
    b.t_ref = calloc(o->n, sizeof *b.t_ref);
    b.t_last = calloc(o->n, sizeof *b.t_last);
    b.lat = calloc(o->n, sizeof *b.lat);
    b.got = calloc(o->n, 1);
    if (b.t_ref == NULL || b.t_last == NULL || b.lat == NULL || b.got == NULL) {
        fprintf(stderr, "mqtt_bench: out of memory\n");
        goto fail;
    }
    n = snprintf(b.sub_topic, sizeof b.sub_topic, "%s/%s/#", o->prefix,
                 o->mode == MODE_RELAY ? "relay" : "out");
    if (n < 0 || (size_t)n >= sizeof b.sub_topic) {
        goto fail;
    }

    sub = client_new("sub", &b);
    pub = client_new("pub", &b);
    if (sub == NULL || pub == NULL) {
        fprintf(stderr, "mqtt_bench: cannot create the clients\n");
        goto fail;
    }
    mosquitto_connect_callback_set(sub, on_sub_connect);
    mosquitto_subscribe_callback_set(sub, on_sub_subscribe);
    mosquitto_message_callback_set(sub, on_sub_message);
    mosquitto_disconnect_callback_set(sub, on_disconnect);
    mosquitto_connect_callback_set(pub, on_pub_connect);
    mosquitto_disconnect_callback_set(pub, on_disconnect);
    if (mosquitto_connect(sub, o->host, o->port, 60) != MOSQ_ERR_SUCCESS
        || mosquitto_connect(pub, o->host, o->port, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: cannot connect to %s:%d\n", o->host, o->port);
        goto fail;
    }

    /* Both connected and the subscription granted before the first send. */
    deadline = now_ns() + 10 * NS_PER_S;
    while (!(b.pub_ready && b.sub_ready) && !b.failed && now_ns() < deadline) {
        if (poll_clients(pub, sub, 100 * NS_PER_MS) != 0) {
            goto fail;
        }
    }
    if (!(b.pub_ready && b.sub_ready)) {
        fprintf(stderr, "mqtt_bench: not connected and subscribed after 10 s\n");
        goto fail;
    }
    b.disconnects = 0;

    if (run_load(&b, pub, sub) != 0) {
        goto fail;
    }
    rc = report(&b);
    if (rc == 0 && o->lat_path != NULL) {
        rc = write_latencies(&b, o->lat_path);
    }
fail:
    if (pub != NULL) {
        (void)mosquitto_disconnect(pub);
        mosquitto_destroy(pub);
    }
    if (sub != NULL) {
        (void)mosquitto_disconnect(sub);
        mosquitto_destroy(sub);
    }
    free(b.t_ref);
    free(b.t_last);
    free(b.lat);
    free(b.got);
    msg_set_free(&msgs);
    return rc;
}

static void on_forget_connect(struct mosquitto *mosq, void *obj, int rc)
{
    int *state = obj;

    (void)mosq;
    *state = rc == 0 ? 1 : -1;
}

/* Connects as client id with a clean session, which makes the broker drop that
 * id's persistent session, and leaves. Between runs, so that a stopped
 * gateway's session does not queue the next runs' messages. 0 or -1. */
static int forget_session(const bench_opts *o, const char *id)
{
    struct mosquitto *m;
    uint64_t deadline = now_ns() + 10 * NS_PER_S;
    int state = 0, rc = -1, lrc;

    m = mosquitto_new(id, true, &state);
    if (m == NULL) {
        fprintf(stderr, "mqtt_bench: mosquitto_new failed\n");
        return -1;
    }
    mosquitto_connect_callback_set(m, on_forget_connect);
    if (mosquitto_connect(m, o->host, o->port, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: cannot connect to %s:%d\n", o->host, o->port);
        goto fail;
    }
    while (state == 0 && now_ns() < deadline) {
        lrc = mosquitto_loop(m, 100, 1);
        if (lrc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "mqtt_bench: %s\n", mosquitto_strerror(lrc));
            goto fail;
        }
    }
    if (state != 1) {
        fprintf(stderr, "mqtt_bench: no CONNACK for %s\n", id);
        goto fail;
    }
    rc = mosquitto_disconnect(m) == MOSQ_ERR_SUCCESS ? 0 : -1;
fail:
    mosquitto_destroy(m);
    return rc;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqtt_bench --mode relay|target --load closed|paced [options]\n"
            "       mqtt_bench --dump-texts [--n N] [--seed S]\n"
            "       mqtt_bench --list-networks\n"
            "       mqtt_bench --forget-session ID [--host H] [--port P]\n"
            "  --host H         broker host (127.0.0.1)\n"
            "  --port P         broker port (1883)\n"
            "  --prefix P       topic prefix (patrol)\n"
            "  --label L        first word of the output line (the mode)\n"
            "  --tag T          msg_id prefix, unique per run (bench)\n"
            "  --n N            messages (100000)\n"
            "  --window W       closed loop: messages in flight (64)\n"
            "  --rate R         paced: messages per second (1000)\n"
            "  --seed S         PRNG seed of the mix (1)\n"
            "  --resend-ms T    closed loop: resend after T ms without a reply (1000)\n"
            "  --drain-ms T     give up after T ms without a new reply (10000)\n"
            "  --latencies F    write \"i sent_ms latency_ms\" per message to F (- lost)\n"
            "relay publishes to <prefix>/relay/<net>/<unit> and subscribes to <prefix>/relay/#;\n"
            "target publishes to <prefix>/in/<net>/<unit> and subscribes to <prefix>/out/#.\n");
}

static int parse_size(const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int copy_opt(char *dst, size_t dstsz, const char *src)
{
    size_t len = strlen(src);

    if (len == 0 || len >= dstsz) {
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"prefix", required_argument, NULL, 'x'},
        {"label", required_argument, NULL, 'l'},
        {"tag", required_argument, NULL, 't'},
        {"mode", required_argument, NULL, 'm'},
        {"load", required_argument, NULL, 'L'},
        {"n", required_argument, NULL, 'n'},
        {"window", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},
        {"resend-ms", required_argument, NULL, 'R'},
        {"drain-ms", required_argument, NULL, 'D'},
        {"latencies", required_argument, NULL, 'o'},
        {"dump-texts", no_argument, NULL, 'T'},
        {"list-networks", no_argument, NULL, 'N'},
        {"forget-session", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bench_opts o;
    int c, dump = 0, list = 0, have_mode = 0, have_load = 0, rc;
    const char *forget = NULL;
    size_t v;

    memset(&o, 0, sizeof o);
    (void)copy_opt(o.host, sizeof o.host, "127.0.0.1");
    (void)copy_opt(o.prefix, sizeof o.prefix, "patrol");
    (void)copy_opt(o.tag, sizeof o.tag, "bench");
    o.port = 1883;
    o.n = 100000;
    o.window = 64;
    o.rate = 1000.0;
    o.seed = 1;
    o.resend_ns = 1000 * NS_PER_MS;
    o.drain_ns = 10000 * NS_PER_MS;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            if (copy_opt(o.host, sizeof o.host, optarg) != 0) {
                goto bad;
            }
            break;
        case 'p':
            if (parse_size(optarg, 1, 65535, &v) != 0) {
                goto bad;
            }
            o.port = (int)v;
            break;
        case 'x':
            if (copy_opt(o.prefix, sizeof o.prefix, optarg) != 0) {
                goto bad;
            }
            break;
        case 'l':
            if (copy_opt(o.label, sizeof o.label, optarg) != 0) {
                goto bad;
            }
            break;
        case 't':
            if (copy_opt(o.tag, sizeof o.tag, optarg) != 0 || strchr(o.tag, '"') != NULL) {
                goto bad;
            }
            break;
        case 'm':
            have_mode = 1;
            if (strcmp(optarg, "relay") == 0) {
                o.mode = MODE_RELAY;
            } else if (strcmp(optarg, "target") == 0) {
                o.mode = MODE_TARGET;
            } else {
                goto bad;
            }
            break;
        case 'L':
            have_load = 1;
            if (strcmp(optarg, "closed") == 0) {
                o.load = LOAD_CLOSED;
            } else if (strcmp(optarg, "paced") == 0) {
                o.load = LOAD_PACED;
            } else {
                goto bad;
            }
            break;
        case 'n':
            if (parse_size(optarg, 1, BENCH_N_MAX, &o.n) != 0) {
                goto bad;
            }
            break;
        case 'w':
            if (parse_size(optarg, 1, 65535, &o.window) != 0) {
                goto bad;
            }
            break;
        case 'r':
            if (parse_size(optarg, 1, 1000000, &v) != 0) {
                goto bad;
            }
            o.rate = (double)v;
            break;
        case 's':
            if (parse_size(optarg, 0, SIZE_MAX, &v) != 0) {
                goto bad;
            }
            o.seed = (uint64_t)v;
            break;
        case 'R':
            if (parse_size(optarg, 1, 600000, &v) != 0) {
                goto bad;
            }
            o.resend_ns = (uint64_t)v * NS_PER_MS;
            break;
        case 'D':
            if (parse_size(optarg, 1, 3600000, &v) != 0) {
                goto bad;
            }
            o.drain_ns = (uint64_t)v * NS_PER_MS;
            break;
        case 'o':
            o.lat_path = optarg;
            break;
        case 'T':
            dump = 1;
            break;
        case 'N':
            list = 1;
            break;
        case 'F':
            forget = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind != argc) {
        goto bad;
    }
    if (list) {
        size_t i;
        for (i = 0; i < MIX_NNETS; i++) {
            if (printf("%s\n", mix_nets[i].name) < 0) {
                return 1;
            }
        }
        return 0;
    }
    if (dump) {
        return dump_texts(o.n, o.seed) == 0 ? 0 : 1;
    }
    if (forget != NULL) {
        if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "mqtt_bench: mosquitto_lib_init failed\n");
            return 1;
        }
        rc = forget_session(&o, forget);
        (void)mosquitto_lib_cleanup();
        return rc == 0 ? 0 : 1;
    }
    if (!have_mode || !have_load) {
        goto bad;
    }
    if (o.label[0] == '\0') {
        (void)copy_opt(o.label, sizeof o.label, o.mode == MODE_RELAY ? "relay" : "target");
    }
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: mosquitto_lib_init failed\n");
        return 1;
    }
    rc = run_bench(&o);
    (void)mosquitto_lib_cleanup();
    return rc == 0 ? 0 : 1;
bad:
    usage(stderr);
    return 2;
}
