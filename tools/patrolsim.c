/* patrolsim: plays patrol operatives, radio bridges and partner contacts
 * against a running patrolgw over MQTT and, with SMS operatives, through the
 * simulated GSM modem (libgammu's dummy driver folder) (man/patrolsim.1).
 *
 * What is said on the radio is drawn from a seeded generator, so one seed
 * always gives the same transmissions in the same order: reports from the
 * field brief, typos, wrong priorities, unknown places, duplicates, UPDs,
 * ON/OFF shifts. Each transmission is heard by one or more bridges (each
 * publishes it with its own msg_id); a bridge that "misses" the reply resends
 * the same msg_id. Partner contacts acknowledge alerts they receive (ACK Rn),
 * decided per report from the seed. Replies and alerts are printed as they
 * come, then a summary. Single-threaded: libmosquitto is driven by our loop.
 *
 * SMS operatives text the same kind of things: each SMS is a file in the
 * dummy driver's SIM inbox (DIR/sms/1/<N>, Gammu's SMS backup format), some
 * as two-part concatenated SMS. The dummy driver keeps nothing it sends, so
 * the replies (and the duty-phone alerts, which the duty phones the config
 * names acknowledge by SMS) are read from the gateway's own record of what it
 * handed to the modem: the sms_out rows of its store, opened read-only.
 *
 * The gateway's alert lifecycle (docs/alerts.md) sends more than answers and
 * first alerts, and patrolsim tells them apart: the reporter's notice of a
 * partner's first ACK ("R1042 ACK by police 14:07": on the radio a reply with
 * no msg_id and kind "notice", by SMS a reply row that answers no message) is
 * not the answer to anything said; resends, escalations, reminders, fallbacks
 * and updates of an alert are not new alerts; a duty-phone SMS that an ACK
 * made unnecessary (dropped, "acknowledged") is neither failed nor over the
 * reply limit. Each is counted on its own. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "phone.h"
#include "prc_limits.h"
#include "query.h"
#include "store.h"
#include "store_people.h"
#include "store_query.h"

#define SIM_MAX_OPERATIVES 200
#define SIM_MAX_BRIDGES 16
#define SIM_MAX_PARTNERS GW_MAX_PARTNERS
#define SIM_TEXT_MAX 200
#define SIM_TOPIC_MAX GW_TOPIC_MAX
#define SIM_FIELDS 8
#define SIM_MAX_SMS_OPERATIVES 100
#define SIM_MAX_DUTY 16
/* The dummy driver reads SMS files named 1..9999. */
#define SIM_MODEM_FILES 9999
/* How often the store is read for the SMS the gateway sent. */
#define SIM_SMS_POLL_MS 100

/* ------------------------------------------------------------ random */

/* splitmix64: small, seedable, the same everywhere. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
    return n <= 1 ? 0 : (int)(rng_next(s) % (uint64_t)n);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------ what is said */

typedef struct sim_code {
    const char *code;
    int priority;              /* the code table's default */
    const char *details[3];
} sim_code;

/* From the field brief (docs: BRIEF), with the Herne Bay code table's defaults. */
static const sim_code codes[] = {
    { "RTC", 1, { "car v cyclist amb called, first aid given", "two cars, no injuries, road blocked",
                  "van hit bollard, driver shaken" } },
    { "ASB", 3, { "6 youths throwing bottles at bus shelter", "group shouting at shoppers",
                  "youths on bikes riding at pedestrians" } },
    { "MH", 2, { "male on sea wall in distress, talking to him", "female crying, says she wants to end it",
                 "man shouting at traffic, confused" } },
    { "MISPER", 1, { "elderly lady confused, looking for her husband, with us at pier",
                     "boy aged 8 lost his mum", "man with dementia missing from care home" } },
    { "THEFT", 3, { "male red jacket left Boots with razors, towards bus station",
                    "bike taken from rack outside library", "shoplifter detained by staff" } },
    { "ENG", 4, { "spoke to 3 shopkeepers re begging", "reassurance visit to the market",
                  "talked to residents about parking" } },
    { "DRG", 3, { "suspected dealing by the shelter", "needles found in the park",
                  "strong smell of cannabis from car" } },
    { "SUS", 3, { "male trying car door handles", "two males watching the cash machine",
                  "van circling the estate slowly" } },
    { "DMG", 4, { "bus shelter glass smashed", "graffiti on the war memorial",
                  "bench broken on the prom" } },
    { "ENV", 4, { "fly tipping behind the shops", "broken glass on the beach steps",
                  "overflowing bins by the pier" } },
    { "MED", 1, { "male collapsed, CPR in progress", "woman fallen, head injury",
                  "child having a seizure" } },
    { "VIO", 1, { "fight outside the pub, 4 males", "assault in progress by the taxi rank",
                  "man hit with a bottle" } },
    { "INFO", 4, { "CCTV camera down at the pier", "street lights out on Central Parade",
                   "market stall left unattended" } },
};
#define NCODES (sizeof codes / sizeof codes[0])

static const char *const places[] = {
    "HB01", "HB02", "HB03", "HB04", "HB05", "HB06", "HB07", "HB08", "HB09", "HB10", "HB11",
    "HB12", "PIER", "CLOCKTOWER", "HIGHST", "RECULVER", "CT6 5AB", "CT6 8",
};
#define NPLACES (sizeof places / sizeof places[0])

static const char *const typos[] = { "ABS", "THFT", "RTCC", "MISPR", "ASBB", "DRUGZ", "FIGTH" };
static const char *const bad_priorities[] = { "P5", "P0", "P9", "P7" };
static const char *const unknown_places[] = { "XX9", "HB99", "ZZ1 1ZZ", "NOWHERE" };
static const char *const on_places[] = { "HB", "HB01", "HB02", "HB03", "PIER", "" };

/* ------------------------------------------------------------ state */

typedef struct operative {
    char unit[GW_UNIT_MAX + 1];       /* radio; "" for an SMS operative */
    char callsign[GW_CALLSIGN_MAX + 1];
    int phone;                        /* SMS operatives: index in sim.phones; -1 radio */
    int on_shift;
    char last_report[SIM_TEXT_MAX];   /* for duplicates */
    long last_ref;                    /* for UPD, from the replies */
} operative;

typedef struct partner_contact {
    char partner[GW_NAME_MAX + 1];
    char unit[GW_UNIT_MAX + 1];
    char callsign[GW_CALLSIGN_MAX + 1];
} partner_contact;

/* A simulated phone: an SMS operative's or a duty phone the config alerts. */
typedef struct sim_phone {
    char e164[GW_PHONE_MAX + 1];
    char typed[GW_PHONE_MAX + 8];     /* as the network gives it: national or international */
    char name[GW_CALLSIGN_MAX + 1];   /* what the output calls it */
    char partner[GW_NAME_MAX + 1];    /* duty phones: their partner; "" operatives */
    int udh_ref;                      /* the last concatenation reference used */
    int64_t last_id;                  /* the last sms_out row handled for this number */
    long blocked_scan;                /* a row still pending for it in that scan */
} sim_phone;

/* One publish of a transmission by one bridge (msg_id "<bridge>-<index>"),
 * or one SMS texted (bridge -1, from phone). */
typedef struct publish {
    int bridge;
    int phone;                /* SMS: index in sim.phones; -1 radio */
    int op;                   /* SMS: the operative, -1 for an ACK */
    char unit[GW_UNIT_MAX + 1];
    char text[SIM_TEXT_MAX];
    int64_t sent_at;          /* monotonic ms of the last send */
    int sends;
    int miss_first;           /* the bridge pretends the first reply never came */
    int answered;
    int is_ack;
} publish;

typedef struct pending_ack {
    int64_t due;              /* monotonic ms */
    int contact;
    long ref;
} pending_ack;

typedef struct summary {
    long transmissions, published, resends, answered, ok, dup, err, other;
    long err_by[SIM_FIELDS];
    long reports, alerts_seen, alert_repeats, acks_sent, acks_ok, missing;
    long resends_seen;        /* resend, escalation, reminder, fallback: MQTT and SMS */
    long updates_seen;        /* UPD/CLR forwarded to partners: MQTT and SMS */
    long digests_seen;        /* MQTT digests (their alerts count in alerts_seen) */
    long notices;             /* "R1042 ACK by police 14:07" to our reporters: radio and SMS */
    long notices_due;         /* first OK ACKs of a partner for our reports: one notice each */
    long sms_sent, sms_parts, sms_replies, sms_dropped, sms_failed, sms_alerts;
    long sms_notices;         /* the notices sent by SMS (also in notices) */
    long sms_resends, sms_updates; /* duty-phone SMS of those kinds (also in *_seen) */
    long sms_cancelled;       /* duty-phone SMS dropped because the partner had acknowledged */
} summary;

static const char *const fields[SIM_FIELDS] = { "CODE", "PRIORITY", "LOCATION", "REF",
                                                "FORMAT", "LENGTH", "AUTH", "other" };

typedef struct sim {
    /* options */
    char host[GW_HOST_MAX + 1];
    int port;
    char prefix[GW_PREFIX_MAX + 1];
    char network[GW_NETWORK_MAX + 1];
    int noperatives, nbridges;
    int nsms;                 /* SMS operatives, after the radio ones in ops[] */
    char modem[GW_PATH_MAX];  /* the dummy driver's folder; "" no SMS */
    char store_path[GW_PATH_MAX];
    char partners[SIM_MAX_PARTNERS][GW_NAME_MAX + 1];
    int npartners;
    uint64_t seed;
    double rate;
    double duration_s;
    long count;
    double resend_s, grace_s, ack_prob;
    int quiet, json;
    /* run */
    struct mosquitto *mosq;
    int connected, subscribed, nsubs;
    uint64_t rng;
    operative ops[SIM_MAX_OPERATIVES + SIM_MAX_SMS_OPERATIVES];
    sim_phone phones[SIM_MAX_SMS_OPERATIVES + SIM_MAX_DUTY];
    int nphones, nduty;       /* duty phones are the last nduty of phones[] */
    store *st;                /* read-only: the SMS the gateway sent */
    int64_t sms_cursor;       /* every sms_out row up to it is settled */
    long sms_scan;
    int64_t next_sms_poll;
    int modem_n;              /* the last file number written */    partner_contact pcs[SIM_MAX_PARTNERS];
    publish *pubs;
    long npubs, cappubs;
    pending_ack *acks;
    int nacks, capacks;
    char (*alert_ids)[96];
    long nalert_ids, capalert_ids;
    long *refs;               /* reports the gateway made for us (OK Rn, DUP or not) */
    long nrefs, caprefs;
    summary sum;
} sim;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* ------------------------------------------------------------ MQTT */

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    sim *s = arg;
    char topic[SIM_TOPIC_MAX];
    if (rc != 0) {
        fprintf(stderr, "patrolsim: broker refused the connection: %s\n",
                mosquitto_connack_string(rc));
        return;
    }
    s->connected = 1;
    s->nsubs = 0;
    s->subscribed = 0;
    snprintf(topic, sizeof topic, "%s/out/%s/+", s->prefix, s->network);
    if (mosquitto_subscribe(m, NULL, topic, 1) == MOSQ_ERR_SUCCESS)
        s->nsubs++;
    for (int i = 0; i < s->npartners; i++) {
        snprintf(topic, sizeof topic, "%s/alerts/%s", s->prefix, s->partners[i]);
        if (mosquitto_subscribe(m, NULL, topic, 1) == MOSQ_ERR_SUCCESS)
            s->nsubs++;
    }
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    sim *s = arg;
    s->connected = 0;
    if (rc != 0 && !stop_flag)
        fprintf(stderr, "patrolsim: connection lost, reconnecting\n");
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
    (void)m;
    (void)mid;
    (void)n;
    (void)granted;
    sim *s = arg;
    s->subscribed++;
}

static int msg_publish(sim *s, long idx)
{
    publish *p = &s->pubs[idx];
    char topic[SIM_TOPIC_MAX], msg_id[48], ts[40], bridge[24];
    snprintf(topic, sizeof topic, "%s/in/%s/%s", s->prefix, s->network, p->unit);
    snprintf(bridge, sizeof bridge, "simbridge%d", p->bridge + 1);
    snprintf(msg_id, sizeof msg_id, "%s-%ld", bridge, idx);
    clock_rfc3339(clock_now_ms(), ts, sizeof ts);
    cJSON *o = cJSON_CreateObject();
    char *payload = NULL;
    if (o && cJSON_AddStringToObject(o, "unit", p->unit) &&
        cJSON_AddStringToObject(o, "text", p->text) && cJSON_AddStringToObject(o, "msg_id", msg_id) &&
        cJSON_AddStringToObject(o, "bridge", bridge) && cJSON_AddStringToObject(o, "ts", ts))
        payload = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!payload)
        return -1;
    int rc = mosquitto_publish(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, false);
    free(payload);
    if (rc != MOSQ_ERR_SUCCESS)
        return -1;
    p->sent_at = clock_mono_ms();
    p->sends++;
    s->sum.published++;
    if (p->sends > 1)
        s->sum.resends++;
    if (!s->quiet)
        printf("> %s %s [%s]%s %s\n", bridge, p->unit, msg_id, p->sends > 1 ? " resend" : "",
               p->text);
    return 0;
}

/* Adds one publish; its index, or -1. */
static long add_publish(sim *s, int bridge, const char *unit, const char *text, int miss_first,
                        int is_ack)
{
    if (s->npubs == s->cappubs) {
        long cap = s->cappubs ? s->cappubs * 2 : 256;
        publish *np = realloc(s->pubs, (size_t)cap * sizeof *np);
        if (!np)
            return -1;
        s->pubs = np;
        s->cappubs = cap;
    }
    publish *p = &s->pubs[s->npubs];
    memset(p, 0, sizeof *p);
    p->bridge = bridge;
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    snprintf(p->text, sizeof p->text, "%s", text);
    p->miss_first = miss_first;
    p->is_ack = is_ack;
    p->phone = -1;
    p->op = -1;
    return s->npubs++;
}

static void note_ref(sim *s, const char *reply)
{
    long ref;
    if (sscanf(reply, "OK R%ld", &ref) != 1)
        return;
    for (long i = 0; i < s->nrefs; i++)
        if (s->refs[i] == ref)
            return;
    if (s->nrefs == s->caprefs) {
        long cap = s->caprefs ? s->caprefs * 2 : 64;
        long *nr = realloc(s->refs, (size_t)cap * sizeof *nr);
        if (!nr)
            return;
        s->refs = nr;
        s->caprefs = cap;
    }
    s->refs[s->nrefs++] = ref;
}

static int alert_seen(sim *s, const char *alert_id);

static int our_ref(const sim *s, long ref)
{
    for (long i = 0; i < s->nrefs; i++)
        if (s->refs[i] == ref)
            return 1;
    return 0;
}

/* An alert reaches patrolsim (on MQTT, or as a duty-phone SMS row) before the
 * reply to the report that caused it (read back from the gateway's store)
 * often enough; its lines wait for that reply, at most SIM_HOLD_MS, so that
 * the output reads in order: the text, its reply, then its alerts. */
#define SIM_HOLD_MAX 64
#define SIM_HOLD_MS 3000
typedef struct held_line {
    long ref;
    int64_t at;
    char text[SIM_TEXT_MAX + 160];
} held_line;
static held_line held[SIM_HOLD_MAX];
static int nheld;

__attribute__((format(printf, 3, 4)))
static void print_for_ref(const sim *s, long ref, const char *fmt, ...)
{
    char line[sizeof held[0].text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ref <= 0 || (our_ref(s, ref) && nheld == 0) || nheld == SIM_HOLD_MAX) {
        fputs(line, stdout);
        return;
    }
    held[nheld++] = (held_line){ ref, clock_mono_ms(), "" };
    snprintf(held[nheld - 1].text, sizeof held[0].text, "%s", line);
}

/* Prints the held lines whose reply came, or that waited long enough (all
 * with all), in the order they came. */
static void flush_held(const sim *s, int all)
{
    int64_t now = clock_mono_ms();
    int kept = 0;
    for (int i = 0; i < nheld; i++) {
        if (all || our_ref(s, held[i].ref) || now - held[i].at >= SIM_HOLD_MS)
            fputs(held[i].text, stdout);
        else
            held[kept++] = held[i];
    }
    nheld = kept;
}

/* Whether a line about ref is still waiting for its reply. */
static int ref_held(long ref)
{
    for (int i = 0; i < nheld; i++)
        if (held[i].ref == ref)
            return 1;
    return 0;
}

/* An ACK of ours was accepted: the first one of its partner for a report of
 * ours makes the gateway tell the reporter (docs/alerts.md), so one notice is
 * due. Later ACKs of that partner are answered OK ACK too, but not announced.
 * Which reports are ours is known only when their replies came (an SMS reply
 * may come after the ACK), so the pairs are kept and counted at the end. */
static void ack_accepted(sim *s, const publish *p, const char *reply)
{
    long ref;
    const char *partner = "";
    char key[96];
    if (sscanf(reply, "OK ACK R%ld", &ref) != 1)
        return;
    if (p->phone >= 0)
        partner = s->phones[p->phone].partner;
    for (int i = 0; i < s->npartners && p->phone < 0; i++)
        if (!strcmp(s->pcs[i].unit, p->unit))
            partner = s->pcs[i].partner;
    snprintf(key, sizeof key, "ack %ld %s", ref, partner);
    if (partner[0])
        (void)alert_seen(s, key);
}

/* The notices due: partners' first ACKs (ack_accepted) of reports of ours. */
static long notices_due(const sim *s)
{
    long n = 0, ref;
    for (long i = 0; i < s->nalert_ids; i++)
        if (sscanf(s->alert_ids[i], "ack %ld", &ref) == 1 && our_ref(s, ref))
            n++;
    return n;
}

static void count_reply(sim *s, publish *p, const char *reply)
{
    s->sum.answered++;
    size_t n = strlen(reply);
    if (n >= 4 && !strcmp(reply + n - 4, " DUP")) {
        s->sum.dup++;
        return;
    }
    if (!strncmp(reply, "OK ", 3)) {
        s->sum.ok++;
        long ref;
        if (p->is_ack && !strncmp(reply, "OK ACK ", 7)) {
            s->sum.acks_ok++;
            ack_accepted(s, p, reply);
        } else if (sscanf(reply, "OK R%ld", &ref) == 1) {
            if (p->op >= 0)
                s->ops[p->op].last_ref = ref;
            for (int i = 0; i < s->noperatives && p->phone < 0; i++)
                if (!strcmp(s->ops[i].unit, p->unit))
                    s->ops[i].last_ref = ref;
        }
        return;
    }
    if (!strncmp(reply, "ERR ", 4)) {
        s->sum.err++;
        int k = SIM_FIELDS - 1;
        for (int i = 0; i < SIM_FIELDS - 1; i++) {
            size_t fl = strlen(fields[i]);
            if (!strncmp(reply + 4, fields[i], fl) && reply[4 + fl] == ':')
                k = i;
        }
        s->sum.err_by[k]++;
        return;
    }
    s->sum.other++;
}

/* Whether text is the reporter's notice of an ACK: "R1042 ACK by police 14:07". */
static int is_notice(const char *text)
{
    long ref;
    char partner[64];
    int hh, mm, end = -1;
    return sscanf(text, "R%ld ACK by %63s %2d:%2d%n", &ref, partner, &hh, &mm, &end) == 4 &&
           end > 0 && text[end] == '\0' && ref > 0;
}

static void on_notice(sim *s, const char *who, const char *text, int by_sms)
{
    s->sum.notices++;
    if (by_sms)
        s->sum.sms_notices++;
    if (!s->quiet)
        printf("* %s%s %s\n", by_sms ? "sms " : "", who, text);
}

/* A message on <prefix>/out/<network>/<unit>: the reply to one of our
 * publishes, or the reporter's notice of an ACK (no msg_id: it answers nothing
 * that was said). */
static void on_reply(sim *s, const char *unit, const struct mosquitto_message *msg)
{
    cJSON *o = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "msg_id");
    const cJSON *reply = cJSON_GetObjectItemCaseSensitive(o, "reply");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "notice") && cJSON_IsString(reply)) {
        if (!strncmp(unit, "simop", 5)) /* our operatives' only */
            on_notice(s, unit, reply->valuestring, 0);
        goto done;
    }
    if (!o && msg->payloadlen > 0 && msg->payloadlen < SIM_TEXT_MAX) {
        /* A bridge that spoke plain text gets its notice in plain text. */
        char text[SIM_TEXT_MAX];
        memcpy(text, msg->payload, (size_t)msg->payloadlen);
        text[msg->payloadlen] = '\0';
        if (!strncmp(unit, "simop", 5) && is_notice(text))
            on_notice(s, unit, text, 0);
        goto done;
    }
    if (!cJSON_IsString(id) || !cJSON_IsString(reply))
        goto done;
    const char *dash = strrchr(id->valuestring, '-');
    char *end;
    long idx = dash ? strtol(dash + 1, &end, 10) : -1;
    if (!dash || *end || idx < 0 || idx >= s->npubs ||
        strncmp(id->valuestring, "simbridge", 9) != 0)
        goto done; /* not ours */
    publish *p = &s->pubs[idx];
    note_ref(s, reply->valuestring);
    if (!s->quiet)
        printf("< %s [%s] %s%s\n", p->unit, id->valuestring, reply->valuestring,
               p->miss_first ? " (missed by the bridge)" : "");
    flush_held(s, 0);
    /* Every reply the gateway sent is counted (one per message it journaled),
     * also the one a bridge then misses. */
    count_reply(s, p, reply->valuestring);
    if (p->miss_first) {
        /* The bridge did not hear it: it resends after the timeout. */
        p->miss_first = 0;
        goto done;
    }
    p->answered = 1;
done:
    cJSON_Delete(o);
}

static int alert_seen(sim *s, const char *alert_id)
{
    for (long i = 0; i < s->nalert_ids; i++)
        if (!strcmp(s->alert_ids[i], alert_id))
            return 1;
    if (s->nalert_ids == s->capalert_ids) {
        long cap = s->capalert_ids ? s->capalert_ids * 2 : 64;
        char(*na)[96] = realloc(s->alert_ids, (size_t)cap * sizeof *na);
        if (!na)
            return 1;
        s->alert_ids = na;
        s->capalert_ids = cap;
    }
    snprintf(s->alert_ids[s->nalert_ids++], sizeof s->alert_ids[0], "%s", alert_id);
    return 0;
}

/* Whether and when a contact acknowledges report r: from the seed and the
 * report, not from arrival order, so a rerun decides the same. Contacts
 * from SIM_MAX_PARTNERS on are duty phones. */
static void schedule_ack(sim *s, int contact, long r)
{
    uint64_t h = s->seed ^ ((uint64_t)r * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)contact << 48);
    if (rng_unit(&h) >= s->ack_prob)
        return;
    if (s->nacks == s->capacks) {
        int cap = s->capacks ? s->capacks * 2 : 32;
        pending_ack *na = realloc(s->acks, (size_t)cap * sizeof *na);
        if (!na)
            return;
        s->acks = na;
        s->capacks = cap;
    }
    s->acks[s->nacks++] = (pending_ack){ clock_mono_ms() + 200 + rng_below(&h, 1300), contact, r };
}

/* A resend, escalation, reminder or fallback repeats an alert (docs/alerts.md). */
static int is_repeat_kind(const char *kind)
{
    return !strcmp(kind, "resend") || !strcmp(kind, "escalation") || !strcmp(kind, "reminder") ||
           !strcmp(kind, "fallback");
}

/* One alert object from <prefix>/alerts/<partner>, or one inside a digest. */
static void on_alert_object(sim *s, const char *partner, const cJSON *o)
{
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(o, "alert_id");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(o, "ref");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
    const cJSON *pri = cJSON_GetObjectItemCaseSensitive(o, "priority");
    const cJSON *jk = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const char *kind = cJSON_IsString(jk) ? jk->valuestring : "alert";
    long r = 0;
    if (!cJSON_IsString(aid) || !cJSON_IsString(ref) || sscanf(ref->valuestring, "R%ld", &r) != 1)
        return;
    int update = !strcmp(kind, "update"), repeat = is_repeat_kind(kind);
    if (!update && !repeat && strcmp(kind, "alert") != 0)
        return; /* a kind this patrolsim does not know */
    /* The same delivery again (QoS 1 redelivery, a restart): not new. */
    if (alert_seen(s, aid->valuestring)) {
        s->sum.alert_repeats++;
        return;
    }
    if (update || repeat) {
        /* Not a new alert: the contact decided about this report already. */
        if (update)
            s->sum.updates_seen++;
        else
            s->sum.resends_seen++;
        if (!s->quiet) {
            const cJSON *what = cJSON_GetObjectItemCaseSensitive(o, "update");
            print_for_ref(s, r, "! %s %s %s%s%s\n", kind, partner, ref->valuestring,
                   update && cJSON_IsString(what) ? " " : "",
                   update && cJSON_IsString(what) ? what->valuestring : "");
        }
        return;
    }
    s->sum.alerts_seen++;
    if (!s->quiet)
        print_for_ref(s, r, "! alert %s %s %s P%d\n", partner, ref->valuestring,
               cJSON_IsString(code) ? code->valuestring : "?",
               cJSON_IsNumber(pri) ? pri->valueint : 0);
    int contact = -1;
    for (int i = 0; i < s->npartners; i++)
        if (!strcmp(s->pcs[i].partner, partner))
            contact = i;
    if (contact >= 0)
        schedule_ack(s, contact, r);
}

static void on_alert(sim *s, const char *partner, const struct mosquitto_message *msg)
{
    cJSON *o = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "digest")) {
        /* Held alerts, sent together: each is a first alert. */
        const cJSON *aid = cJSON_GetObjectItemCaseSensitive(o, "alert_id");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "alerts");
        if (!cJSON_IsString(aid) || alert_seen(s, aid->valuestring))
            goto done;
        s->sum.digests_seen++;
        if (!s->quiet)
            printf("! digest %s %d alerts\n", partner, cJSON_GetArraySize(list));
        /* A plain loop: cppcheck does not know cJSON_ArrayForEach. */
        for (const cJSON *a = cJSON_IsArray(list) ? list->child : NULL; a; a = a->next)
            on_alert_object(s, partner, a);
        goto done;
    }
    if (o)
        on_alert_object(s, partner, o);
done:
    cJSON_Delete(o);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    (void)m;
    sim *s = arg;
    char out_prefix[SIM_TOPIC_MAX], alert_prefix[SIM_TOPIC_MAX];
    snprintf(out_prefix, sizeof out_prefix, "%s/out/%s/", s->prefix, s->network);
    snprintf(alert_prefix, sizeof alert_prefix, "%s/alerts/", s->prefix);
    if (!strncmp(msg->topic, out_prefix, strlen(out_prefix)))
        on_reply(s, msg->topic + strlen(out_prefix), msg);
    else if (!strncmp(msg->topic, alert_prefix, strlen(alert_prefix)))
        on_alert(s, msg->topic + strlen(alert_prefix), msg);
}

/* ------------------------------------------------------------ transmissions */

/* Draws the next transmission: which operative says what. */
static int next_text(sim *s, int *op_out, char *text, size_t textsz)
{
    uint64_t *r = &s->rng;
    int op = rng_below(r, s->noperatives + s->nsms);
    operative *o = &s->ops[op];
    *op_out = op;
    if (!o->on_shift) {
        const char *pl = on_places[rng_below(r, (int)(sizeof on_places / sizeof on_places[0]))];
        snprintf(text, textsz, pl[0] ? "ON %s" : "ON", pl);
        o->on_shift = 1;
        return 0;
    }
    /* Every draw is made whatever is said, so that what comes later does not
     * depend on what the gateway answered (UPD needs a reference from a reply). */
    int roll = rng_below(r, 100);
    const sim_code *c = &codes[rng_below(r, (int)NCODES)];
    const char *place = places[rng_below(r, (int)NPLACES)];
    const char *det = c->details[rng_below(r, 3)];
    const char *typo = typos[rng_below(r, (int)(sizeof typos / sizeof typos[0]))];
    const char *badp =
        bad_priorities[rng_below(r, (int)(sizeof bad_priorities / sizeof bad_priorities[0]))];
    const char *nowhere =
        unknown_places[rng_below(r, (int)(sizeof unknown_places / sizeof unknown_places[0]))];
    int style = rng_below(r, 4);
    int pri_kind = rng_below(r, 6);
    int pri_typed = 1 + rng_below(r, 4);
    if (roll < 8 && o->last_report[0]) {
        snprintf(text, textsz, "%s", o->last_report); /* said twice */
        return 0;
    }
    if (roll < 14) {
        snprintf(text, textsz, "%s %s %s", typo, place, det);
        return 0;
    }
    if (roll < 19) {
        snprintf(text, textsz, "%s %s %s %s", c->code, badp, place, det);
        return 0;
    }
    if (roll < 25) {
        snprintf(text, textsz, "%s %s %s", c->code, nowhere, det);
        return 0;
    }
    if (roll < 29 && o->last_ref > 0) {
        snprintf(text, textsz, "UPD R%ld %s", o->last_ref, "now dealt with, all calm");
        return 0;
    }
    if (roll < 32) {
        snprintf(text, textsz, "OFF");
        o->on_shift = 0;
        return 0;
    }
    /* A report: the code's priority, or another one typed (sometimes not the
     * default), in one of the ways people type. */
    char pri[4] = "";
    if (pri_kind < 2)
        snprintf(pri, sizeof pri, "P%d", pri_typed);
    else if (pri_kind < 4)
        snprintf(pri, sizeof pri, "P%d", c->priority);
    if (style == 0 && pri[0])
        snprintf(text, textsz, "%s/%s/%s/%s", c->code, pri, place, det);
    else if (style == 1)
        snprintf(text, textsz, "%s %s %s%s%s", c->code, place, pri, pri[0] ? " " : "", det);
    else
        snprintf(text, textsz, "%s %s%s%s %s", c->code, pri, pri[0] ? " " : "", place, det);
    if (style == 3)
        for (char *q = text; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
    snprintf(o->last_report, sizeof o->last_report, "%s", text);
    return 0;
}

/* Says one text: heard by one bridge, or by several. */
static int transmit(sim *s, const char *unit, const char *text, int ack_bridge)
{
    /* ACKs come when alerts do: they take no draws (ack_bridge >= 0 is
     * their bridge), so that the operatives' stream stays the same. */
    int is_ack = ack_bridge >= 0;
    uint64_t *r = &s->rng;
    int nb = 1, first = ack_bridge, miss = 0;
    if (!is_ack) {
        int several = rng_below(r, 10) < 3;
        int extra = rng_below(r, s->nbridges > 1 ? s->nbridges - 1 : 1);
        first = rng_below(r, s->nbridges);
        miss = rng_below(r, 20) == 0;
        if (several && s->nbridges > 1)
            nb = 2 + extra;
    }
    s->sum.transmissions++;
    for (int k = 0; k < nb; k++) {
        long idx = add_publish(s, (first + k) % s->nbridges, unit, text, k == 0 && miss, is_ack);
        if (idx < 0 || msg_publish(s, idx))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ SMS */

/* Writes one SMS into the dummy driver's SIM inbox the way a network delivers
 * it: under a temporary name, then renamed to the next free number, so that
 * the driver never reads half a file. total > 1: part seq of a concatenated
 * SMS with reference ref. The texts patrolsim says are ASCII. */
static int modem_write(sim *s, const char *number, const char *text, size_t len, int ref,
                       int total, int seq)
{
    char path[GW_PATH_MAX + 32], tmp[GW_PATH_MAX + 32], when[24];
    int found = 0;
    for (int tries = 0; tries < SIM_MODEM_FILES && !found; tries++) {
        s->modem_n = s->modem_n % SIM_MODEM_FILES + 1;
        snprintf(path, sizeof path, "%s/sms/1/%d", s->modem, s->modem_n);
        found = access(path, F_OK) != 0 && errno == ENOENT;
    }
    if (!found) {
        fprintf(stderr, "patrolsim: the modem's inbox is full (%d SMS)\n", SIM_MODEM_FILES);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s/sms/1/.patrolsim-%ld", s->modem, (long)getpid());
    time_t t = (time_t)(clock_now_ms() / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm) == 0)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "patrolsim: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "[SMSBackup000]\nPDU = Deliver\nState = UnRead\nNumber = \"%s\"\n"
               "DateTime = %s\nCoding = Default\nFolder = 1\n", number, when);
    if (total > 1)
        fprintf(f, "UDH = 050003%02X%02X%02X\n", (unsigned)ref & 0xffu, (unsigned)total,
                (unsigned)seq);
    /* UTF-16 big-endian in hex, 50 characters (200 digits) a line, as Gammu writes it. */
    size_t i = 0, line = 0;
    do {
        fprintf(f, "Text%02zu = ", line++);
        for (size_t k = 0; k < 50 && i < len; k++, i++) {
            unsigned char c = (unsigned char)text[i];
            fprintf(f, "00%02X", c < 0x80 ? (unsigned)c : (unsigned)'?');
        }
        fputc('\n', f);
    } while (i < len);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "patrolsim: cannot write %s: %s\n", path, strerror(errno));
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

/* Texts one message from phone ph (op: the operative, -1 for a duty phone's
 * ACK): one SMS, or two parts of a concatenated one. */
static int sms_transmit(sim *s, int ph, int op, const char *text, int is_ack)
{
    sim_phone *p = &s->phones[ph];
    size_t len = strlen(text);
    int total = 1;
    if (!is_ack) {
        /* Some phones split a text in two: a draw made only for SMS
         * operatives, so that radio-only runs say what they always said. */
        int split = rng_below(&s->rng, 8) == 0;
        if (split && len >= 20)
            total = 2;
    }
    long idx = add_publish(s, -1, "", text, 0, is_ack);
    if (idx < 0)
        return -1;
    publish *pb = &s->pubs[idx];
    pb->phone = ph;
    pb->op = op;
    int ref = 0;
    if (total > 1) {
        p->udh_ref = p->udh_ref % 255 + 1;
        ref = p->udh_ref;
    }
    size_t half = len / 2;
    for (int k = 0; k < total; k++) {
        const char *part = k == 0 ? text : text + half;
        size_t plen = total == 1 ? len : k == 0 ? half : len - half;
        if (modem_write(s, p->typed, part, plen, ref, total, k + 1))
            return -1;
        s->sum.sms_parts++;
    }
    s->sum.transmissions++;
    s->sum.published++;
    s->sum.sms_sent++;
    pb->sent_at = clock_mono_ms();
    pb->sends = 1;
    if (!s->quiet)
        printf("> sms %s (%s)%s %s\n", p->name, p->typed, total > 1 ? " [2 parts]" : "", text);
    return 0;
}

static int phone_of(const sim *s, const char *e164)
{
    for (int i = 0; i < s->nphones; i++)
        if (!strcmp(s->phones[i].e164, e164))
            return i;
    return -1;
}

/* The oldest SMS from phone ph still waiting for its answer, or NULL. */
static publish *sms_waiting(sim *s, int ph)
{
    for (long i = 0; i < s->npubs; i++)
        if (s->pubs[i].phone == ph && !s->pubs[i].answered)
            return &s->pubs[i];
    return NULL;
}

/* A duty-phone SMS of an alert row: a first alert (the phone may answer ACK),
 * a resend/escalation/reminder/fallback or an update of one (not new), or a
 * digest; or one that an acknowledgement made unnecessary. */
static void on_sms_alert(sim *s, int ph, const query_sms *m)
{
    const sim_phone *p = &s->phones[ph];
    const char *kind = m->alert_kind[0] ? m->alert_kind : "alert";
    if (!strcmp(m->state, "dropped") && !strcmp(m->last_error, "acknowledged")) {
        /* The partner acknowledged before the modem took it: normal. */
        s->sum.sms_cancelled++;
        if (!s->quiet)
            printf("! sms %s %s to %s (not sent: R%lld acknowledged first)\n", kind, m->partner,
                   p->name, (long long)m->ref);
        return;
    }
    if (strcmp(m->state, "sent") != 0) {
        s->sum.sms_failed++;
        if (!s->quiet)
            printf("! sms %s %s to %s (not sent: %s%s%s)\n", kind, m->partner, p->name, m->state,
                   m->last_error[0] ? ": " : "", m->last_error);
        return;
    }
    if (!strcmp(kind, "update")) {
        s->sum.updates_seen++;
        s->sum.sms_updates++;
    } else if (is_repeat_kind(kind)) {
        s->sum.resends_seen++;
        s->sum.sms_resends++;
    } else if (!strcmp(kind, "alert")) {
        s->sum.alerts_seen++;
        s->sum.sms_alerts++;
    } else {
        /* A digest: its alerts are named in the text only; not acknowledged here. */
        s->sum.digests_seen++;
    }
    if (!s->quiet)
        print_for_ref(s, (long)m->ref, "! sms %s %s to %s: %s\n", kind, m->partner, p->name,
                      m->text);
    if (strcmp(kind, "alert") != 0 || !p->partner[0] || m->ref <= 0)
        return;
    schedule_ack(s, SIM_MAX_PARTNERS + (ph - (s->nphones - s->nduty)), (long)m->ref);
}

typedef struct sms_scan {
    sim *s;
    int settled;          /* every row so far in this scan is settled */
} sms_scan;

/* One sms_out row after the cursor. Rows to one number are taken in queue
 * order: a row still pending holds back the later ones to that number. */
static int on_sms_row(void *arg, const query_sms *m)
{
    sms_scan *sc = arg;
    sim *s = sc->s;
    int ph = phone_of(s, m->to);
    if (ph < 0 || m->id <= s->phones[ph].last_id) {
        if (sc->settled) /* not ours, or handled */
            s->sms_cursor = m->id;
        return 0;
    }
    sim_phone *p = &s->phones[ph];
    if (strcmp(m->state, "pending") == 0 || p->blocked_scan == s->sms_scan) {
        p->blocked_scan = s->sms_scan;
        sc->settled = 0;
        return 0;
    }
    p->last_id = m->id;
    if (sc->settled)
        s->sms_cursor = m->id;
    if (!strcmp(m->kind, "alert")) {
        on_sms_alert(s, ph, m);
        return 0;
    }
    if (m->message_id == 0) {
        /* A reply row that answers no message: the reporter's notice of an
         * ACK. It must not be taken for the answer to a text still waiting. */
        if (!strcmp(m->state, "sent"))
            on_notice(s, p->name, m->text, 1);
        else if (!s->quiet)
            printf("* sms %s (notice not sent: %s)\n", p->name,
                   m->last_error[0] ? m->last_error : m->state);
        if (strcmp(m->state, "sent") != 0)
            s->sum.sms_failed++;
        return 0;
    }
    publish *pb = sms_waiting(s, ph);
    if (!pb)
        return 0; /* an answer to something patrolsim did not text */
    pb->answered = 1;
    if (!strcmp(m->state, "sent")) {
        s->sum.sms_replies++;
        note_ref(s, m->text);
        if (!s->quiet)
            printf("< sms %s %s\n", p->name, m->text);
        flush_held(s, 0);
        count_reply(s, pb, m->text);
    } else if (!strcmp(m->state, "dropped")) {
        s->sum.sms_dropped++;
        if (!s->quiet)
            printf("< sms %s (no reply: %s)\n", p->name, m->last_error[0] ? m->last_error : "dropped");
    } else {
        s->sum.sms_failed++;
        if (!s->quiet)
            printf("< sms %s (reply not sent: %s)\n", p->name, m->last_error);
    }
    return 0;
}

/* Reads what the gateway sent since the last look. 0 or -1. */
static int sms_poll(sim *s, int64_t now)
{
    if (!s->st || now < s->next_sms_poll)
        return 0;
    s->next_sms_poll = now + SIM_SMS_POLL_MS;
    s->sms_scan++;
    sms_scan sc = { s, 1 };
    query_sms_filter f;
    memset(&f, 0, sizeof f);
    f.after_id = s->sms_cursor;
    f.limit = 1000;
    if (query_sms_each(s->st, &f, on_sms_row, &sc) < 0) {
        fprintf(stderr, "patrolsim: cannot read the gateway's SMS queue\n");
        return -1;
    }
    return 0;
}

static int last_row(void *arg, const query_sms *m)
{
    *(int64_t *)arg = m->id;
    return 0;
}

/* Opens the store read-only; what the gateway sent before this run is not ours. */
static int sms_open(sim *s)
{
    char err[PRC_ERR_MAX * 2];
    s->st = store_open(s->store_path, STORE_RO, 1, err, sizeof err);
    if (!s->st) {
        fprintf(stderr, "patrolsim: %s\n", err);
        return -1;
    }
    if (query_sms_each(s->st, NULL, last_row, &s->sms_cursor) < 0) {
        fprintf(stderr, "patrolsim: cannot read the gateway's SMS queue (is its [sms] on?)\n");
        return -1;
    }
    for (int i = 0; i < s->nphones; i++)
        s->phones[i].last_id = s->sms_cursor;
    return 0;
}

/* Resends what has waited for a reply longer than resend_s. */
static int resend_due(sim *s, int64_t now)
{
    int64_t wait = (int64_t)(s->resend_s * 1000);
    for (long i = 0; i < s->npubs; i++) {
        publish *p = &s->pubs[i];
        /* Phones do not resend; people text again, which is drawn. */
        if (p->phone < 0 && !p->answered && now - p->sent_at >= wait && p->sends < 5 &&
            msg_publish(s, i))
            return -1;
    }
    return 0;
}

static int acks_due(sim *s, int64_t now)
{
    for (int i = 0; i < s->nacks;) {
        pending_ack a = s->acks[i];
        /* The contact answers an alert after it was shown. */
        if (a.due > now || ref_held(a.ref)) {
            i++;
            continue;
        }
        s->acks[i] = s->acks[--s->nacks];
        char text[32];
        s->sum.acks_sent++;
        if (a.contact >= SIM_MAX_PARTNERS) {
            /* A duty phone answers the way the SMS alert asks: "ACK 1042". */
            snprintf(text, sizeof text, "ACK %ld", a.ref);
            int ph = s->nphones - s->nduty + (a.contact - SIM_MAX_PARTNERS);
            if (sms_transmit(s, ph, -1, text, 1))
                return -1;
            continue;
        }
        snprintf(text, sizeof text, "ACK R%ld", a.ref);
        if (transmit(s, s->pcs[a.contact].unit, text, a.contact % s->nbridges))
            return -1;
    }
    return 0;
}

static long unanswered(const sim *s)
{
    long n = 0;
    for (long i = 0; i < s->npubs; i++)
        n += !s->pubs[i].answered;
    return n;
}

/* ------------------------------------------------------------ register */

static int register_people(sim *s, const gw_config *cfg)
{
    char err[PRC_ERR_MAX * 2];
    store *st = store_open(cfg->store_path, STORE_RW, cfg->store_sync_full, err, sizeof err);
    if (!st) {
        fprintf(stderr, "patrolsim: %s\n", err);
        return -1;
    }
    int added = 0, rc = -1;
    for (int i = 0; i < s->noperatives + s->npartners; i++) {
        store_person p, old;
        char unit[GW_NETWORK_MAX + GW_UNIT_MAX + 2];
        const char *units[1] = { unit };
        memset(&p, 0, sizeof p);
        p.active = 1;
        if (i < s->noperatives) {
            snprintf(p.callsign, sizeof p.callsign, "%s", s->ops[i].callsign);
            snprintf(p.name, sizeof p.name, "Simulated operative %d", i + 1);
            snprintf(p.role, sizeof p.role, "operative");
            snprintf(unit, sizeof unit, "%s/%s", s->network, s->ops[i].unit);
        } else {
            const partner_contact *pc = &s->pcs[i - s->noperatives];
            snprintf(p.callsign, sizeof p.callsign, "%s", pc->callsign);
            snprintf(p.name, sizeof p.name, "Simulated %s contact", pc->partner);
            snprintf(p.role, sizeof p.role, "partner");
            snprintf(p.partner, sizeof p.partner, "%s", pc->partner);
            snprintf(unit, sizeof unit, "%s/%s", s->network, pc->unit);
        }
        int found = store_person_by_callsign(st, p.callsign, &old);
        if (found < 0)
            goto done;
        if (found)
            continue;
        if (store_person_add(st, &p, units, 1, err, sizeof err) < 0) {
            fprintf(stderr, "patrolsim: %s\n", err);
            goto done;
        }
        if (store_begin(st))
            goto done;
        if (audit_append(st, clock_now_ms(), "patrolsim", "people add", p.callsign,
                         i < s->noperatives ? "role=operative units=1" : "role=partner units=1") <
                0 ||
            store_commit(st)) {
            store_rollback(st);
            goto done;
        }
        added++;
    }
    int sms_people = 0;
    for (int i = 0; i < s->nsms + s->nduty; i++) {
        /* SMS operatives, then the duty phones the config alerts. */
        int is_op = i < s->nsms;
        const sim_phone *ph = is_op ? &s->phones[s->ops[s->noperatives + i].phone]
                                    : &s->phones[s->nphones - s->nduty + (i - s->nsms)];
        store_person p, old;
        memset(&p, 0, sizeof p);
        p.active = 1;
        snprintf(p.phone, sizeof p.phone, "%s", ph->e164);
        int found = store_person_by_phone(st, p.phone, &old);
        if (found < 0)
            goto done;
        sms_people++;
        if (found)
            continue; /* a duty phone somebody already carries */
        if (is_op) {
            snprintf(p.callsign, sizeof p.callsign, "%s", s->ops[s->noperatives + i].callsign);
            snprintf(p.name, sizeof p.name, "Simulated SMS operative %d", i + 1);
            snprintf(p.role, sizeof p.role, "operative");
        } else {
            snprintf(p.callsign, sizeof p.callsign, "SIMDUTY%d", i - s->nsms + 1);
            snprintf(p.name, sizeof p.name, "Simulated %s duty phone", ph->partner);
            snprintf(p.role, sizeof p.role, "partner");
            snprintf(p.partner, sizeof p.partner, "%s", ph->partner);
        }
        if (store_person_add(st, &p, NULL, 0, err, sizeof err) < 0) {
            fprintf(stderr, "patrolsim: %s\n", err);
            goto done;
        }
        if (store_begin(st))
            goto done;
        if (audit_append(st, clock_now_ms(), "patrolsim", "people add", p.callsign,
                         is_op ? "role=operative phone" : "role=partner phone") < 0 ||
            store_commit(st)) {
            store_rollback(st);
            goto done;
        }
        added++;
    }
    fprintf(stderr, "patrolsim: registered %d people (%d already were)\n", added,
            s->noperatives + s->npartners + sms_people - added);
    rc = 0;
done:
    store_close(st);
    return rc;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: patrolsim [--config FILE] [--register] [--host H] [--port N] [--prefix P]\n"
            "                 [--network NET] [--operatives N] [--bridges M] [--partner NAME]...\n"
            "                 [--sms-operatives K] [--modem DIR]\n"
            "                 [--seed S] [--rate PER_S] [--duration S | --count N]\n"
            "                 [--resend S] [--grace S] [--ack-prob F] [--quiet] [--json]\n"
            "\n"
            "Plays N operatives (default 4) and M radio bridges (default 2) against a running\n"
            "patrolgw, and one contact per partner who acknowledges the alerts received.\n"
            "With --sms-operatives, K more operatives text through the simulated modem.\n"
            "  --config FILE    take host, port, prefix, network and partners from a patrolgw config\n"
            "  --register       add the simulated people to the config's store first\n"
            "  --seed S         the same seed says the same things in the same order (default 1)\n"
            "  --rate PER_S     transmissions a second (default 5)\n"
            "  --duration S     for S seconds (default 10), or --count N transmissions\n"
            "  --resend S       a bridge resends what got no reply after S seconds (default 3)\n"
            "  --grace S        wait at most S seconds at the end for replies (default 5)\n"
            "  --ack-prob F     share of alerts acknowledged, 0..1 (default 0.9)\n"
            "  --sms-operatives K\n"
            "                   K operatives (default 0) who text the gateway through libgammu's\n"
            "                   dummy modem folder; the duty phones of the config's partners\n"
            "                   acknowledge SMS alerts by SMS. Replies and SMS alerts are read\n"
            "                   from the gateway's store (sms_out): needs --config. --operatives\n"
            "                   may then be 0\n"
            "  --modem DIR      the dummy modem's folder (default: the config's [sms] device\n"
            "                   when its model is dummy)\n"
            "  --quiet          only the summary; --json: the summary as one JSON object\n"
            "Exit status: 0 done (see the summary), 1 failure, 2 usage error.\n");
}

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

static void print_summary(const sim *s)
{
    const summary *u = &s->sum;
    if (s->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON *e = cJSON_CreateObject();
        if (!o || !e) {
            cJSON_Delete(o);
            cJSON_Delete(e);
            return;
        }
        cJSON_AddNumberToObject(o, "seed", (double)s->seed);
        cJSON_AddNumberToObject(o, "transmissions", (double)u->transmissions);
        cJSON_AddNumberToObject(o, "sent", (double)u->published);
        cJSON_AddNumberToObject(o, "resends", (double)u->resends);
        cJSON_AddNumberToObject(o, "answered", (double)u->answered);
        cJSON_AddNumberToObject(o, "ok", (double)u->ok);
        cJSON_AddNumberToObject(o, "dup", (double)u->dup);
        cJSON_AddNumberToObject(o, "err", (double)u->err);
        for (int i = 0; i < SIM_FIELDS; i++)
            cJSON_AddNumberToObject(e, fields[i], (double)u->err_by[i]);
        cJSON_AddItemToObject(o, "err_by_field", e);
        cJSON_AddNumberToObject(o, "reports", (double)u->reports);
        cJSON_AddNumberToObject(o, "alerts_seen", (double)u->alerts_seen);
        cJSON_AddNumberToObject(o, "alert_repeats", (double)u->alert_repeats);
        cJSON_AddNumberToObject(o, "resends_seen", (double)u->resends_seen);
        cJSON_AddNumberToObject(o, "updates_seen", (double)u->updates_seen);
        cJSON_AddNumberToObject(o, "digests_seen", (double)u->digests_seen);
        cJSON_AddNumberToObject(o, "notices", (double)u->notices);
        cJSON_AddNumberToObject(o, "notices_due", (double)u->notices_due);
        cJSON_AddNumberToObject(o, "acks_sent", (double)u->acks_sent);
        cJSON_AddNumberToObject(o, "acks_ok", (double)u->acks_ok);
        cJSON_AddNumberToObject(o, "missing_replies", (double)u->missing);
        cJSON_AddNumberToObject(o, "sms_sent", (double)u->sms_sent);
        cJSON_AddNumberToObject(o, "sms_parts", (double)u->sms_parts);
        cJSON_AddNumberToObject(o, "sms_replies", (double)u->sms_replies);
        cJSON_AddNumberToObject(o, "sms_dropped", (double)u->sms_dropped);
        cJSON_AddNumberToObject(o, "sms_failed", (double)u->sms_failed);
        cJSON_AddNumberToObject(o, "sms_alerts", (double)u->sms_alerts);
        cJSON_AddNumberToObject(o, "sms_notices", (double)u->sms_notices);
        cJSON_AddNumberToObject(o, "sms_resends", (double)u->sms_resends);
        cJSON_AddNumberToObject(o, "sms_updates", (double)u->sms_updates);
        cJSON_AddNumberToObject(o, "sms_cancelled", (double)u->sms_cancelled);
        char *txt = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (txt)
            printf("%s\n", txt);
        free(txt);
        return;
    }
    printf("summary (seed %llu): %ld transmissions, %ld sent (%ld resends), %ld answered: "
           "%ld OK, %ld DUP, %ld ERR; %ld reports; %ld alerts seen (and %ld resent, %ld updates), "
           "%ld ACKs sent (%ld OK), %ld ACK notices to reporters; %ld missing replies\n",
           (unsigned long long)s->seed, u->transmissions, u->published, u->resends, u->answered,
           u->ok, u->dup, u->err, u->reports, u->alerts_seen, u->resends_seen, u->updates_seen,
           u->acks_sent, u->acks_ok, u->notices, u->missing);
    if (s->st)
        printf("SMS: %ld texted (%ld parts), %ld replies, %ld ACK notices, %ld replies dropped "
               "(reply limit), %ld not sent (failed); %ld duty-phone alerts (and %ld resent, "
               "%ld updates), %ld not needed (acknowledged before sending)\n",
               u->sms_sent, u->sms_parts, u->sms_replies, u->sms_notices, u->sms_dropped,
               u->sms_failed, u->sms_alerts, u->sms_resends, u->sms_updates, u->sms_cancelled);
    printf("ERR by field:");
    for (int i = 0; i < SIM_FIELDS; i++)
        if (u->err_by[i])
            printf(" %s %ld", fields[i], u->err_by[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    sim *s = calloc(1, sizeof *s);
    gw_config *cfg = calloc(1, sizeof *cfg);
    const char *config_path = NULL;
    int do_register = 0, rc = 1;
    const char *host = NULL, *prefix = NULL, *network = NULL;
    double v;

    if (!s || !cfg) {
        fprintf(stderr, "patrolsim: out of memory\n");
        goto done;
    }
    log_set_level(LOG_WARN);
    s->port = -1;
    s->noperatives = 4;
    s->nbridges = 2;
    s->seed = 1;
    s->rate = 5;
    s->duration_s = 10;
    s->resend_s = 3;
    s->grace_s = 5;
    s->ack_prob = 0.9;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            rc = 0;
            goto done;
        }
        if (!strcmp(a, "--register")) {
            do_register = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            s->quiet = 1;
            continue;
        }
        if (!strcmp(a, "--json")) {
            s->json = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "patrolsim: %s needs a value (or is unknown)\n", a);
            goto usage_error;
        }
        const char *val = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--config"))
            config_path = val;
        else if (!strcmp(a, "--host"))
            host = val;
        else if (!strcmp(a, "--prefix"))
            prefix = val;
        else if (!strcmp(a, "--network"))
            network = val;
        else if (!strcmp(a, "--port"))
            bad = parse_num(val, 1, 65535, &v) || (s->port = (int)v) < 0;
        else if (!strcmp(a, "--operatives"))
            bad = parse_num(val, 0, SIM_MAX_OPERATIVES, &v) || ((s->noperatives = (int)v), 0);
        else if (!strcmp(a, "--sms-operatives"))
            bad = parse_num(val, 0, SIM_MAX_SMS_OPERATIVES, &v) || ((s->nsms = (int)v), 0);
        else if (!strcmp(a, "--modem"))
            bad = !val[0] || strlen(val) >= sizeof s->modem ||
                  snprintf(s->modem, sizeof s->modem, "%s", val) < 0;
        else if (!strcmp(a, "--bridges"))
            bad = parse_num(val, 1, SIM_MAX_BRIDGES, &v) || !(s->nbridges = (int)v);
        else if (!strcmp(a, "--seed"))
            bad = parse_num(val, 0, 1e15, &v) || ((s->seed = (uint64_t)v), 0);
        else if (!strcmp(a, "--rate"))
            bad = parse_num(val, 0.01, 10000, &s->rate);
        else if (!strcmp(a, "--duration"))
            bad = parse_num(val, 0.1, 86400, &s->duration_s);
        else if (!strcmp(a, "--count"))
            bad = parse_num(val, 1, 1e7, &v) || !(s->count = (long)v);
        else if (!strcmp(a, "--resend"))
            bad = parse_num(val, 0.1, 3600, &s->resend_s);
        else if (!strcmp(a, "--grace"))
            bad = parse_num(val, 0, 3600, &s->grace_s);
        else if (!strcmp(a, "--ack-prob"))
            bad = parse_num(val, 0, 1, &s->ack_prob);
        else if (!strcmp(a, "--partner")) {
            if (s->npartners >= SIM_MAX_PARTNERS || !val[0] || strlen(val) > GW_NAME_MAX)
                bad = 1;
            else
                snprintf(s->partners[s->npartners++], sizeof s->partners[0], "%s", val);
        } else {
            fprintf(stderr, "patrolsim: unknown option %s\n", a);
            goto usage_error;
        }
        if (bad) {
            fprintf(stderr, "patrolsim: bad value for %s: %s\n", a, val);
            goto usage_error;
        }
    }
    if (do_register && !config_path) {
        fprintf(stderr, "patrolsim: --register needs --config\n");
        goto usage_error;
    }
    if (s->noperatives + s->nsms == 0) {
        fprintf(stderr, "patrolsim: no operatives (--operatives 0 needs --sms-operatives)\n");
        goto usage_error;
    }
    if ((s->nsms || s->modem[0]) && !config_path) {
        fprintf(stderr, "patrolsim: SMS needs --config (the replies are in the gateway's store)\n");
        goto usage_error;
    }
    /* Defaults, then the config, then the options. */
    config_defaults(cfg);
    if (config_path) {
        char err[PRC_ERR_MAX * 2];
        if (config_load(config_path, cfg, err, sizeof err)) {
            fprintf(stderr, "patrolsim: %s\n", err);
            goto done;
        }
    }
    snprintf(s->host, sizeof s->host, "%s", host ? host : cfg->mqtt_host);
    if (s->port < 0)
        s->port = cfg->mqtt_port;
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix ? prefix : cfg->mqtt_prefix);
    snprintf(s->network, sizeof s->network, "%s",
             network ? network : cfg->nnetworks ? cfg->networks[0].name : "shopwatch");
    if (!s->npartners)
        for (int i = 0; i < cfg->npartners; i++)
            if (cfg->partners[i].mqtt)
                snprintf(s->partners[s->npartners++], sizeof s->partners[0], "%s",
                         cfg->partners[i].name);
    if (!s->npartners && !config_path)
        snprintf(s->partners[s->npartners++], sizeof s->partners[0], "police");
    for (int i = 0; i < s->noperatives; i++) {
        snprintf(s->ops[i].unit, sizeof s->ops[i].unit, "simop%d", i + 1);
        snprintf(s->ops[i].callsign, sizeof s->ops[i].callsign, "SIMOP%d", i + 1);
        s->ops[i].phone = -1;
    }
    if ((s->nsms || s->modem[0]) && !s->modem[0]) {
        if (!cfg->sms.enabled || strcmp(cfg->sms.model, "dummy") != 0 || !cfg->sms.device[0]) {
            fprintf(stderr, "patrolsim: SMS needs the dummy modem's folder: --modem DIR, or a "
                            "config whose [sms] has model = dummy and a device\n");
            goto usage_error;
        }
        snprintf(s->modem, sizeof s->modem, "%s", cfg->sms.device);
    }
    if (s->modem[0]) {
        char inbox[GW_PATH_MAX + 16];
        snprintf(inbox, sizeof inbox, "%s/sms/1", s->modem);
        if (access(inbox, W_OK) != 0) {
            fprintf(stderr, "patrolsim: %s is not a dummy modem's folder (no writable sms/1): "
                            "is patrolgw running with it?\n", s->modem);
            goto done;
        }
        snprintf(s->store_path, sizeof s->store_path, "%s", cfg->store_path);
        /* Networks give numbers in national and international form; the
         * gateway makes them one person. */
        int national = strcmp(cfg->sms.country_code, "44") == 0;
        for (int i = 0; i < s->nsms; i++) {
            operative *o = &s->ops[s->noperatives + i];
            sim_phone *ph = &s->phones[s->nphones];
            snprintf(o->callsign, sizeof o->callsign, "SIMSMS%d", i + 1);
            o->phone = s->nphones++;
            unsigned line = (201u + (unsigned)i) % 1000u; /* i < SIM_MAX_SMS_OPERATIVES */
            snprintf(ph->e164, sizeof ph->e164, "+447700900%03u", line);
            snprintf(ph->typed, sizeof ph->typed,
                     national && i % 2 == 0 ? "07700 900%03u" : "+447700900%03u", line);
            snprintf(ph->name, sizeof ph->name, "simsms%d", i + 1);
        }
        for (int i = 0; i < cfg->npartners; i++)
            for (int k = 0; k < cfg->partners[i].nsms && s->nduty < SIM_MAX_DUTY; k++) {
                sim_phone *ph = &s->phones[s->nphones++];
                s->nduty++;
                snprintf(ph->e164, sizeof ph->e164, "%s", cfg->partners[i].sms[k]);
                snprintf(ph->typed, sizeof ph->typed, "%s", cfg->partners[i].sms[k]);
                snprintf(ph->name, sizeof ph->name, "duty%d", s->nduty);
                snprintf(ph->partner, sizeof ph->partner, "%s", cfg->partners[i].name);
            }
    }
    for (int i = 0; i < s->npartners; i++) {
        partner_contact *pc = &s->pcs[i];
        snprintf(pc->partner, sizeof pc->partner, "%s", s->partners[i]);
        snprintf(pc->unit, sizeof pc->unit, "simpc%d", i + 1);
        snprintf(pc->callsign, sizeof pc->callsign, "SIMPC%d", i + 1);
    }
    s->rng = s->seed;
    if (do_register && register_people(s, cfg))
        goto done;
    if (s->modem[0] && sms_open(s))
        goto done;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);

    mosquitto_lib_init();
    char client_id[64];
    snprintf(client_id, sizeof client_id, "patrolsim-%ld", (long)getpid());
    s->mosq = mosquitto_new(client_id, true, s);
    if (!s->mosq) {
        fprintf(stderr, "patrolsim: cannot create an MQTT client\n");
        goto done;
    }
    mosquitto_connect_callback_set(s->mosq, on_connect);
    mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
    mosquitto_subscribe_callback_set(s->mosq, on_subscribe);
    mosquitto_message_callback_set(s->mosq, on_message);
    (void)mosquitto_int_option(s->mosq, MOSQ_OPT_SEND_MAXIMUM, 1000);
    if (mosquitto_connect(s->mosq, s->host, s->port, 30) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "patrolsim: cannot connect to %s:%d\n", s->host, s->port);
        goto done;
    }
    /* Subscribed first, so that no reply or alert is missed. */
    int64_t t0 = clock_mono_ms();
    while (!stop_flag && !(s->connected && s->subscribed >= s->nsubs && s->nsubs > 0)) {
        if (mosquitto_loop(s->mosq, 100, 1) != MOSQ_ERR_SUCCESS || clock_mono_ms() - t0 > 10000) {
            fprintf(stderr, "patrolsim: no connection to %s:%d\n", s->host, s->port);
            goto done;
        }
    }

    int64_t start = clock_mono_ms();
    int64_t end = start + (int64_t)(s->duration_s * 1000);
    double interval = 1000.0 / s->rate;
    long said = 0;
    int ending = 0;
    int64_t grace_end = 0;
    for (;;) {
        int64_t now = clock_mono_ms();
        if (!ending && (stop_flag || (s->count ? said >= s->count : now >= end))) {
            /* Shifts end at the end of the run. */
            for (int i = 0; i < s->noperatives + s->nsms && !stop_flag; i++)
                if (s->ops[i].on_shift) {
                    s->ops[i].on_shift = 0;
                    if (s->ops[i].phone >= 0 ? sms_transmit(s, s->ops[i].phone, i, "OFF", 0)
                                             : transmit(s, s->ops[i].unit, "OFF", -1))
                        goto done;
                }
            ending = 1;
            grace_end = now + (int64_t)(s->grace_s * 1000);
        }
        if (!ending && now >= start + (int64_t)(said * interval)) {
            char text[SIM_TEXT_MAX];
            int op;
            if (next_text(s, &op, text, sizeof text))
                goto done;
            if (s->ops[op].phone >= 0 ? sms_transmit(s, s->ops[op].phone, op, text, 0)
                                      : transmit(s, s->ops[op].unit, text, -1))
                goto done;
            said++;
        }
        flush_held(s, 0);
        if (acks_due(s, now) || resend_due(s, now) || sms_poll(s, now))
            goto done;
        /* The end: every text answered, every ACK said, and every notice of a
         * first ACK (which follows its answer) arrived; or the grace is over. */
        if (ending && ((!unanswered(s) && !s->nacks && s->sum.notices >= notices_due(s)) ||
                       now >= grace_end || stop_flag))
            break;
        int rcl = mosquitto_loop(s->mosq, 20, 1);
        if (rcl != MOSQ_ERR_SUCCESS) {
            struct timespec ts = { 0, 200 * 1000000L };
            (void)nanosleep(&ts, NULL);
            (void)mosquitto_reconnect(s->mosq);
        }
    }
    flush_held(s, 1);
    s->sum.missing = unanswered(s);
    s->sum.reports = s->nrefs;
    s->sum.notices_due = notices_due(s);
    for (long i = 0; i < s->npubs && !s->quiet; i++) {
        if (s->pubs[i].answered)
            continue;
        if (s->pubs[i].phone >= 0)
            printf("? sms %s: no reply\n", s->phones[s->pubs[i].phone].name);
        else
            printf("? simbridge%d-%ld %s: no reply\n", s->pubs[i].bridge + 1, i,
                   s->pubs[i].unit);
    }
    print_summary(s);
    (void)mosquitto_disconnect(s->mosq);
    (void)mosquitto_loop(s->mosq, 100, 1);
    rc = 0;
    goto done;
usage_error:
    usage(stderr);
    rc = 2;
done:
    if (s) {
        mosquitto_destroy(s->mosq);
        store_close(s->st);
        free(s->pubs);
        free(s->acks);
        free(s->alert_ids);
        free(s->refs);
    }
    mosquitto_lib_cleanup();
    free(s);
    free(cfg);
    return rc;
}
