/* test_ingest.c: what one inbound message does (gateway/ingest.c), against a
 * real store in a temp dir, the built-in codes and the Herne Bay gazetteer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "prc_gsm7.h"
#include "store.h"
#include "store_people.h"
#include "tables.h"

#define T0 1795000000000LL /* 2026-11-18T11:06:40Z */
#define MIN (60LL * 1000)

typedef struct fixture {
    char dir[64];
    char path[128];
    gw_config *cfg;
    gw_tables tables;
    store *st;
    ingest_ctx ctx;
    int64_t bravo1, pol1;
} fixture;

/* The source tree: PATROL_SOURCE (ctest sets it), else from this file's path. */
static void source_dir(char *out, size_t outsz)
{
    const char *env = getenv("PATROL_SOURCE");
    if (env && env[0]) {
        snprintf(out, outsz, "%s", env);
        return;
    }
    snprintf(out, outsz, "%s", __FILE__);
    char *cut = strstr(out, "/tests/unit/");
    if (cut)
        *cut = '\0';
    else
        snprintf(out, outsz, ".");
}

static cfg_partner *add_partner(gw_config *c, const char *name, int min_priority, const char *codes,
                                const char *zones, int mqtt)
{
    cfg_partner *p = &c->partners[c->npartners++];
    char buf[256];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->min_priority = min_priority;
    p->mqtt = mqtt;
    snprintf(buf, sizeof buf, "%s", codes);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        snprintf(p->codes[p->ncodes++], sizeof p->codes[0], "%s", t);
    snprintf(buf, sizeof buf, "%s", zones);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        snprintf(p->zones[p->nzones++], sizeof p->zones[0], "%s", t);
    return p;
}

static int64_t add_person(store *s, const char *callsign, const char *role, const char *partner,
                          const char *phone, const char *unit)
{
    store_person p;
    char err[256];
    const char *units[1] = { unit };
    memset(&p, 0, sizeof p);
    snprintf(p.callsign, sizeof p.callsign, "%s", callsign);
    snprintf(p.name, sizeof p.name, "Name of %s", callsign);
    snprintf(p.role, sizeof p.role, "%s", role);
    snprintf(p.partner, sizeof p.partner, "%s", partner);
    snprintf(p.phone, sizeof p.phone, "%s", phone);
    p.active = 1;
    int64_t id = store_person_add(s, &p, units, unit ? 1 : 0, err, sizeof err);
    if (id <= 0)
        fprintf(stderr, "add %s: %s\n", callsign, err);
    return id;
}

static int setup(void **state)
{
    char err[512], src[512];
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    setenv("TZ", "UTC", 1);
    tzset();
    snprintf(f->dir, sizeof f->dir, "/tmp/test_ingest.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/patrolgw.db", f->dir);
    f->cfg = calloc(1, sizeof *f->cfg);
    if (!f->cfg)
        return -1;
    gw_config *c = f->cfg;
    config_defaults(c);
    source_dir(src, sizeof src);
    snprintf(c->gazetteer_path, sizeof c->gazetteer_path, "%s/docs/examples/hernebay/gazetteer.csv",
             src);
    snprintf(c->networks[0].name, sizeof c->networks[0].name, "shop");
    c->networks[0].require_registration = 0;
    c->nnetworks = 1;
    add_partner(c, "police", 2, "", "", 1);
    add_partner(c, "bcrp", 4, "THEFT SHOP SUS VIO", "HB01 HB02", 1); /* SHOP: THEFT's alias */
    add_partner(c, "cctv", 4, "", "", 0);                             /* no MQTT: never queued */
    if (tables_load(c, &f->tables, err, sizeof err)) {
        fprintf(stderr, "tables_load: %s\n", err);
        return -1;
    }
    f->st = store_open(f->path, STORE_RW, 0, err, sizeof err);
    if (!f->st) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    f->bravo1 = add_person(f->st, "BRAVO1", "operative", "", "+447700900111", "hbbcrp/radio7");
    if (f->bravo1 <= 0 ||
        add_person(f->st, "BRAVO2", "operative", "", "+447700900222", "hbbcrp/radio8") <= 0 ||
        add_person(f->st, "OLD1", "operative", "", "", "hbbcrp/radio6") <= 0 ||
        store_person_set_active(f->st, "OLD1", 0) != 1)
        return -1;
    f->pol1 = add_person(f->st, "POL1", "partner", "police", "+447700900001", "hbbcrp/police1");
    if (f->pol1 <= 0 || add_person(f->st, "BCRP1", "partner", "bcrp", "+447700900002", NULL) <= 0)
        return -1;
    f->ctx.cfg = c;
    f->ctx.tables = &f->tables;
    f->ctx.st = f->st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char p[192];
    store_close(f->st);
    tables_free(&f->tables);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
        (void)unlink(p);
    }
    (void)rmdir(f->dir);
    free(f->cfg);
    free(f);
    return 0;
}

/* Checks what every outcome must satisfy: one SMS, GSM-7, a known outcome. */
static void check_out(const ingest_out *o)
{
    assert_non_null(o->outcome);
    assert_true(!strcmp(o->outcome, "accepted") || !strcmp(o->outcome, "duplicate") ||
                !strcmp(o->outcome, "error") || !strcmp(o->outcome, "rejected"));
    if (o->reply[0] == '\0') {
        /* Only an SMS from an unknown number goes unanswered (issue 3). */
        assert_string_equal(o->outcome, "rejected");
        return;
    }
    long sept = prc_gsm7_len(o->reply, strlen(o->reply));
    if (sept < 0 || sept > PRC_REPLY_MAX)
        fail_msg("reply does not fit one SMS (%ld septets): %s", sept, o->reply);
}

/* Runs one message through ingest in its own transaction. */
static void run(fixture *f, const ingest_in *in, ingest_out *out)
{
    assert_int_equal(store_begin(f->st), 0);
    int rc = ingest_message(&f->ctx, in, out);
    if (rc) {
        store_rollback(f->st);
        fail_msg("ingest_message failed");
    }
    assert_int_equal(store_commit(f->st), 0);
    check_out(out);
}

static void radio_in(ingest_in *in, char *sender, size_t sendersz, const char *net, const char *unit,
                     const char *text, const char *msg_id, int64_t at)
{
    memset(in, 0, sizeof *in);
    snprintf(sender, sendersz, "%s/%s", net, unit);
    in->channel = "radio";
    in->network = net;
    in->unit = unit;
    in->sender = sender;
    in->bridge = "hb-north";
    in->msg_id = msg_id;
    in->payload = text;
    in->payload_len = text ? strlen(text) : 0;
    in->text = text;
    in->text_len = text ? strlen(text) : 0;
    in->received_at = at;
}

static void radio(fixture *f, const char *net, const char *unit, const char *text,
                  const char *msg_id, int64_t at, ingest_out *out)
{
    ingest_in in;
    char sender[80];
    radio_in(&in, sender, sizeof sender, net, unit, text, msg_id, at);
    run(f, &in, out);
}

static void sms(fixture *f, const char *phone, const char *text, int64_t at, ingest_out *out)
{
    ingest_in in;
    memset(&in, 0, sizeof in);
    in.channel = "sms";
    in.sender = phone;
    in.payload = text;
    in.payload_len = strlen(text);
    in.text = text;
    in.text_len = strlen(text);
    in.received_at = at;
    run(f, &in, out);
}

static sqlite3 *db_open(const fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The first column of the first row of a printf-formatted query (-999 NULL, -1000 no row). */
static int64_t q_int(const fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q_int(const fixture *f, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3 *db = db_open(f);
    sqlite3_stmt *st = NULL;
    int64_t v = -1000;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        fail_msg("%s", sql);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -999 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* ...as text into out ("<null>", "<none>"); returns out. */
static char *q_text(const fixture *f, char *out, size_t outsz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static char *q_text(const fixture *f, char *out, size_t outsz, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3 *db = db_open(f);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        fail_msg("%s", sql);
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, outsz, "%s", t ? (const char *)t : "<null>");
    } else {
        snprintf(out, outsz, "<none>");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

/* The alert partners of report ref, sorted and joined: "bcrp,police". */
static char *alert_partners(const fixture *f, int64_t ref, char *out, size_t outsz)
{
    return q_text(f, out, outsz,
                  "SELECT ifnull(group_concat(partner, ','), '') FROM"
                  " (SELECT partner FROM alerts WHERE ref = %lld ORDER BY partner)",
                  (long long)ref);
}

static void test_report_accepted(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[2048];

    radio(f, "hbbcrp", "radio7", "RTC P1 HB03 car v cyclist, amb called", "b1-1", T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(o.ref, 1001);
    assert_prefix(o.reply, "OK R1001 RTC P1 HB03");
    assert_int_equal(o.alerts, 1);

    /* the report row */
    q_text(f, t, sizeof t,
           "SELECT code || '|' || priority || '|' || location || '|' || zone || '|' || details ||"
           " '|' || reporter || '|' || person_id || '|' || channel || '|' || received_at || '|' ||"
           " status FROM reports WHERE ref = 1001");
    char want[1024];
    snprintf(want, sizeof want, "RTC|1|HB03|HB03|car v cyclist, amb called|BRAVO1|%lld|radio|%lld|open",
             (long long)f->bravo1, (long long)T0);
    assert_string_equal(t, want);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = 1001 AND kind ="
                              " 'received' AND by = 'BRAVO1'"),
                     1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = 1001 AND kind ="
                              " 'alerted' AND partner = 'police'"),
                     1);

    /* the journal row */
    q_text(f, t, sizeof t,
           "SELECT channel || '|' || network || '|' || unit || '|' || sender || '|' || bridge || '|'"
           " || msg_id || '|' || text || '|' || outcome || '|' || ifnull(reason, 'NULL') || '|' ||"
           " reply || '|' || ref || '|' || person_id || '|' || ifnull(dup_of, 'NULL') FROM messages");
    snprintf(want, sizeof want,
             "radio|hbbcrp|radio7|hbbcrp/radio7|hb-north|b1-1|RTC P1 HB03 car v cyclist, amb called|"
             "accepted|NULL|%s|1001|%lld|NULL",
             o.reply, (long long)f->bravo1);
    assert_string_equal(t, want);

    /* the alert row and its payload */
    alert_partners(f, 1001, t, sizeof t);
    assert_string_equal(t, "police");
    q_text(f, t, sizeof t,
           "SELECT alert_id || '|' || channel || '|' || state || '|' || attempts || '|' || created_at"
           " || '|' || next_attempt_at FROM alerts");
    snprintf(want, sizeof want, "R1001-police|mqtt|pending|0|%lld|%lld", (long long)T0, (long long)T0);
    assert_string_equal(t, want);
    q_text(f, t, sizeof t, "SELECT payload FROM alerts WHERE ref = 1001");
    cJSON *j = cJSON_Parse(t);
    assert_non_null(j);
    char when[40];
    clock_rfc3339(T0, when, sizeof when);
    static const char *const keys[] = { "alert_id", "ref",      "code",    "code_name",
                                        "location", "zone",     "details", "reporter",
                                        "channel",  "received_at" };
    const char *vals[] = { "R1001-police", "R1001", "RTC", "road traffic collision", "HB03", "HB03",
                           "car v cyclist, amb called", "BRAVO1", "radio", when };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, vals[i]) != 0)
            fail_msg("alert %s: want \"%s\"", keys[i], vals[i]);
    }
    assert_string_equal(when, "2026-11-18T11:06:40.000Z");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "priority");
    assert_true(cJSON_IsNumber(v));
    assert_int_equal(v->valueint, 1);
    v = cJSON_GetObjectItemCaseSensitive(j, "lat");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble > 51.37 && v->valuedouble < 51.38);
    v = cJSON_GetObjectItemCaseSensitive(j, "lon");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble > 1.13 && v->valuedouble < 1.14);
    cJSON_Delete(j);

    /* the next report gets the next number */
    radio(f, "hbbcrp", "radio8", "ASB HB12 6 youths", NULL, T0 + 1000, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(o.ref, 1002);
    assert_prefix(o.reply, "OK R1002 ASB P3 HB12");
    assert_int_equal(o.alerts, 0); /* P3: not police; ASB: not bcrp */
}

static void test_alert_payload_no_zone(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[2048];
    /* a lat,lon far from any zone: no zone, typed coordinates */
    radio(f, "hbbcrp", "radio7", "VIO 51.0,0.5 fight", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(o.alerts, 1); /* police; bcrp's zone rule needs a zone */
    alert_partners(f, o.ref, t, sizeof t);
    assert_string_equal(t, "police");
    q_text(f, t, sizeof t, "SELECT payload FROM alerts WHERE ref = %lld", (long long)o.ref);
    cJSON *j = cJSON_Parse(t);
    assert_non_null(j);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "zone")));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "lat");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == 51.0);
    assert_int_equal(q_int(f, "SELECT zone FROM reports WHERE ref = %lld", (long long)o.ref), -999);
    cJSON_Delete(j);
}

static void test_routing(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[256];
    static const struct {
        const char *text;
        const char *partners;
    } cases[] = {
        { "ENG P1 HB01 spoke to 3 shopkeepers re begging", "" }, /* ENG never alerts */
        { "ENG HB07 spoke to shopkeepers", "" },
        { "THEFT HB01 male red jacket", "bcrp" },          /* P3: bcrp only */
        { "SHOP HB02 razors", "bcrp" },                     /* an alias */
        { "THEFT HB05 razors", "" },                        /* outside bcrp's zones */
        { "THEFT P2 HB05 razors", "police" },
        { "VIO HB02 fight outside pub", "bcrp,police" },    /* P1 */
        { "VIO P3 HB09 scuffle", "" },
        { "MH HB03 male on sea wall", "police" },           /* P2 */
        { "ASB P2 HB01 bottles", "police" },
        { "ASB HB01 bottles", "" },
        { "SUS PIER male trying car doors", "bcrp" },       /* a landmark in HB02 */
        { "DMG HB01 graffiti", "" },
        { "FIRE P1 HB11 bin fire", "police" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        radio(f, "hbbcrp", "radio7", cases[i].text, NULL, T0 + (int64_t)i * 1000, &o);
        if (strcmp(o.outcome, "accepted") != 0)
            fail_msg("%s: %s %s", cases[i].text, o.outcome, o.reply);
        alert_partners(f, o.ref, t, sizeof t);
        if (strcmp(t, cases[i].partners) != 0)
            fail_msg("%s: want alerts for [%s], got [%s]", cases[i].text, cases[i].partners, t);
        int n = cases[i].partners[0] ? 1 : 0;
        for (const char *c = cases[i].partners; *c; c++)
            n += *c == ',';
        assert_int_equal(o.alerts, n);
    }
    /* cctv (mqtt = no) never gets a row */
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE partner = 'cctv'"), 0);
}

static void test_dup_msg_id(void **state)
{
    fixture *f = *state;
    ingest_out o1, o2;
    radio(f, "hbbcrp", "radio7", "MISPER HB01 elderly lady confused", "b1-77", T0, &o1);
    assert_string_equal(o1.outcome, "accepted");
    assert_int_equal(o1.alerts, 1);
    /* another bridge heard the same transmission: same msg_id */
    radio(f, "hbbcrp", "radio7", "MISPER HB01 elderly lady confused", "b1-77", T0 + 3 * MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    assert_int_equal(o2.ref, o1.ref);
    assert_int_equal(o2.alerts, 0);
    char want[PRC_REPLY_BUF + 8];
    snprintf(want, sizeof want, "%s DUP", o1.reply);
    assert_string_equal(o2.reply, want);
    /* even with garbled text and 23 hours later */
    radio(f, "hbbcrp", "radio7", "MISPER HB01 elderly lady", "b1-77", T0 + 23 * 60 * MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    assert_string_equal(o2.reply, want);
    assert_int_equal(q_int(f, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts"), 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE outcome = 'duplicate' AND ref = %lld"
                              " AND reason = 'duplicate' AND dup_of = (SELECT min(id) FROM messages)",
                           (long long)o1.ref),
                     2);
    /* after 24 hours the msg_id is new again */
    radio(f, "hbbcrp", "radio7", "MISPER HB01 elderly lady confused", "b1-77",
          T0 + INGEST_DUP_MSG_ID_MS + 1, &o2);
    assert_string_equal(o2.outcome, "accepted");
    assert_true(o2.ref > o1.ref);
}

/* Hardening 13: a msg_id is a duplicate only from the same sender, and the
 * registration check comes first: nobody can suppress or read another unit's
 * report by sending its msg_id. */
static void test_dup_msg_id_per_sender(void **state)
{
    fixture *f = *state;
    ingest_out o1, o2;
    /* an open-network unit sends radio7's next msg_id first */
    radio(f, "shop", "evil", "ASB HB12 junk", "hbbcrp-radio7-0042", T0, &o1);
    assert_string_equal(o1.outcome, "accepted");
    /* radio7's real P1 with that id is a report, with its alert */
    radio(f, "hbbcrp", "radio7", "MISPER P1 HB02 elderly man", "hbbcrp-radio7-0042", T0 + MIN, &o2);
    assert_string_equal(o2.outcome, "accepted");
    assert_true(o2.ref > o1.ref);
    assert_true(o2.alerts > 0);
    /* an unregistered unit sending that id learns nothing */
    ingest_out o3;
    radio(f, "hbbcrp", "radio99", "junk", "hbbcrp-radio7-0042", T0 + 2 * MIN, &o3);
    assert_string_equal(o3.outcome, "rejected");
    assert_prefix(o3.reply, "ERR AUTH");
    assert_null(strstr(o3.reply, "MISPER"));
    assert_int_equal(o3.ref, 0);
    /* nor does another registered unit: its message is its own */
    radio(f, "hbbcrp", "radio8", "ASB HB12 youths", "hbbcrp-radio7-0042", T0 + 3 * MIN, &o3);
    assert_string_equal(o3.outcome, "accepted");
    assert_true(o3.ref > o2.ref);
    /* the same id on another network is another sender */
    radio(f, "shop", "radio7", "ASB HB12 other", "hbbcrp-radio7-0042", T0 + 4 * MIN, &o3);
    assert_string_equal(o3.outcome, "accepted");
    /* radio7's own resend is still a duplicate */
    radio(f, "hbbcrp", "radio7", "MISPER P1 HB02 elderly", "hbbcrp-radio7-0042", T0 + 5 * MIN, &o3);
    assert_string_equal(o3.outcome, "duplicate");
    assert_int_equal(o3.ref, o2.ref);
}

static void test_dup_text(void **state)
{
    fixture *f = *state;
    ingest_out o1, o2;
    char want[PRC_REPLY_BUF + 8];
    const char *text = "ASB HB12 6 youths throwing bottles at bus shelter";
    radio(f, "hbbcrp", "radio7", text, NULL, T0, &o1);
    assert_string_equal(o1.outcome, "accepted");
    snprintf(want, sizeof want, "%s DUP", o1.reply);
    /* same sender, same text, within 10 minutes: a resend */
    radio(f, "hbbcrp", "radio7", text, NULL, T0 + 9 * MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    assert_int_equal(o2.ref, o1.ref);
    assert_string_equal(o2.reply, want);
    radio(f, "hbbcrp", "radio7", text, NULL, T0 + INGEST_DUP_TEXT_MS, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    /* a different sender with the same text is a second report */
    radio(f, "hbbcrp", "radio8", text, NULL, T0 + MIN, &o2);
    assert_string_equal(o2.outcome, "accepted");
    assert_true(o2.ref > o1.ref);
    /* a different msg_id does not make the same text new */
    radio(f, "hbbcrp", "radio7", text, "fresh-id", T0 + 2 * MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    assert_int_equal(o2.ref, o1.ref);
    /* after the window: the same words are a new report */
    radio(f, "hbbcrp", "radio7", text, NULL, T0 + INGEST_DUP_TEXT_MS + 1, &o2);
    assert_string_equal(o2.outcome, "accepted");
    assert_true(o2.ref > o1.ref);
    assert_int_equal(q_int(f, "SELECT count(*) FROM reports"), 3);

    /* a wrong message typed twice gets the same ERR again, marked DUP */
    radio(f, "hbbcrp", "radio7", "ABS HB12", NULL, T0, &o1);
    assert_string_equal(o1.outcome, "error");
    radio(f, "hbbcrp", "radio7", "ABS HB12", NULL, T0 + MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    snprintf(want, sizeof want, "%s DUP", o1.reply);
    assert_string_equal(o2.reply, want);
    assert_int_equal(o2.ref, 0);
    /* SMS: same phone and text */
    sms(f, "+447700900111", "DMG HB04 graffiti on shelter", T0, &o1);
    assert_string_equal(o1.outcome, "accepted");
    sms(f, "+447700900111", "DMG HB04 graffiti on shelter", T0 + MIN, &o2);
    assert_string_equal(o2.outcome, "duplicate");
    assert_int_equal(o2.ref, o1.ref);
}

/* Hardening 3: a command repeats an earlier one only if nothing else of that
 * sender came in between; otherwise it is acted on (never "OK ... DUP" for an
 * action not taken). */
static void test_dup_command(void **state)
{
    fixture *f = *state;
    ingest_out o;
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0, &o);
    assert_string_equal(o.reply, "OK ON HB 11:06");
    /* a second bridge resends the same transmission: a duplicate */
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0 + 1000, &o);
    assert_string_equal(o.outcome, "duplicate");
    assert_string_equal(o.reply, "OK ON HB 11:06 DUP");
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0 + 2000, &o);
    assert_string_equal(o.outcome, "duplicate");
    radio(f, "hbbcrp", "radio7", "OFF", NULL, T0 + 3 * MIN, &o);
    assert_string_equal(o.reply, "OK OFF 0h03");
    /* ON again after the OFF: a new shift, not a duplicate */
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0 + 5 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK ON HB 11:11");
    assert_int_equal(q_int(f, "SELECT count(*) FROM shifts WHERE reporter = 'BRAVO1'"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM shifts WHERE off_at IS NULL"), 1);
    /* ...and its resend is a duplicate of the second ON, with its time */
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0 + 5 * MIN + 1000, &o);
    assert_string_equal(o.outcome, "duplicate");
    assert_string_equal(o.reply, "OK ON HB 11:11 DUP");
    /* another sender in between does not count: it is not this unit */
    radio(f, "hbbcrp", "radio8", "ASB HB12 youths", NULL, T0 + 5 * MIN + 1500, &o);
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0 + 5 * MIN + 2000, &o);
    assert_string_equal(o.outcome, "duplicate");
    /* an UPD typed again after a report of the same unit is a second update */
    radio(f, "hbbcrp", "radio7", "ASB HB12 bikes", NULL, T0 + 6 * MIN, &o);
    int64_t ref = o.ref;
    char text[64];
    snprintf(text, sizeof text, "UPD R%lld", (long long)ref);
    radio(f, "hbbcrp", "radio7", text, NULL, T0 + 7 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    radio(f, "hbbcrp", "radio7", "ASB HB11 other", NULL, T0 + 8 * MIN, &o);
    radio(f, "hbbcrp", "radio7", text, NULL, T0 + 9 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE kind = 'update' AND ref = %lld",
                           (long long)ref),
                     2);
    /* a report typed twice with something in between is still a duplicate */
    radio(f, "hbbcrp", "radio7", "ASB HB12 bikes", NULL, T0 + 9 * MIN + 1000, &o);
    assert_string_equal(o.outcome, "duplicate");
    assert_int_equal(o.ref, ref);
}

static void test_registration(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[1024];
    /* hbbcrp is not named in the config: registration required */
    radio(f, "hbbcrp", "radio99", "RTC P1 HB03 car v cyclist", "u-1", T0, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_prefix(o.reply, "ERR AUTH");
    assert_int_equal(o.ref, 0);
    assert_int_equal(o.alerts, 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM reports"), 0);
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts"), 0);
    q_text(f, t, sizeof t,
           "SELECT outcome || '|' || reason || '|' || reply || '|' || sender || '|' ||"
           " ifnull(person_id, 'NULL') || '|' || text FROM messages");
    char want[1024];
    snprintf(want, sizeof want, "rejected|unregistered sender|%s|hbbcrp/radio99|NULL|"
             "RTC P1 HB03 car v cyclist", o.reply);
    assert_string_equal(t, want);
    /* a rejected message is not an original: sending it again is rejected again */
    radio(f, "hbbcrp", "radio99", "RTC P1 HB03 car v cyclist", "u-1", T0 + 1000, &o);
    assert_string_equal(o.outcome, "rejected");

    /* a disabled person */
    radio(f, "hbbcrp", "radio6", "ASB HB12 youths", NULL, T0, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_prefix(o.reply, "ERR AUTH");
    assert_non_null(strstr(o.reply, "active"));
    q_text(f, t, sizeof t, "SELECT reason FROM messages ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "disabled sender");

    /* an unknown phone: kept, rejected, and no reply at all (an SMS costs
     * money and a reply would tell the sender the number is live) */
    sms(f, "+447700900999", "ASB HB12 youths", T0, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_string_equal(o.reply, "");
    assert_true(o.message_id > 0);
    q_text(f, t, sizeof t, "SELECT reason || '|' || ifnull(reply, 'NULL') FROM messages"
                           " ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "unregistered sender|NULL");

    /* the shop network does not require registration */
    radio(f, "shop", "till1", "THEFT HB01 male red jacket razors", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(o.alerts, 1);
    q_text(f, t, sizeof t, "SELECT reporter || '|' || ifnull(person_id, 'NULL') FROM reports");
    assert_string_equal(t, "shop/till1|NULL");
    /* ...and that reporter can update its own report */
    int64_t ref = o.ref;
    char text[64];
    snprintf(text, sizeof text, "UPD R%lld left towards station", (long long)ref);
    radio(f, "shop", "till1", text, NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    snprintf(text, sizeof text, "UPD R%lld wrong till", (long long)ref);
    radio(f, "shop", "till2", text, NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
}

static void test_channel_reject(void **state)
{
    fixture *f = *state;
    ingest_out o;
    ingest_in in;
    char sender[80], t[256];
    radio_in(&in, sender, sizeof sender, "hbbcrp", "radio7", NULL, "b1-9", T0);
    in.payload = "{\"text\":";
    in.payload_len = 8;
    in.reject_reason = "bad JSON";
    in.reject_reply = "payload is not a JSON object";
    run(f, &in, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_string_equal(o.reply, "ERR FORMAT: payload is not a JSON object");
    assert_int_equal(o.ref, 0);
    q_text(f, t, sizeof t,
           "SELECT outcome || '|' || reason || '|' || reply || '|' || ifnull(text, 'NULL') || '|' ||"
           " CAST(payload AS TEXT) || '|' || msg_id FROM messages");
    assert_string_equal(t, "rejected|bad JSON|ERR FORMAT: payload is not a JSON object|NULL|"
                           "{\"text\":|b1-9");
    /* a rejected message's msg_id is not an original either */
    radio(f, "hbbcrp", "radio7", "ASB HB12", "b1-9", T0 + 1000, &o);
    assert_string_equal(o.outcome, "accepted");
}

static void test_parse_errors(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[256];
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        { "ABS HB12 youths", "CODE" },
        { "ASB P5 HB12", "PRIORITY" },
        { "ASB XY99 youths", "LOCATION" },
        { "ASB", "LOCATION" },
        { "UPD", "REF" },
        { "   ", "FORMAT" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        radio(f, "hbbcrp", "radio7", cases[i].text, NULL, T0 + (int64_t)i, &o);
        assert_string_equal(o.outcome, "error");
        char want[64];
        snprintf(want, sizeof want, "ERR %s", cases[i].reason);
        assert_prefix(o.reply, want);
        q_text(f, t, sizeof t, "SELECT outcome || '|' || reason FROM messages ORDER BY id DESC LIMIT 1");
        snprintf(want, sizeof want, "error|%s", cases[i].reason);
        assert_string_equal(t, want);
    }
    assert_int_equal(q_int(f, "SELECT count(*) FROM reports"), 0);
    /* over 480 characters */
    char big[600];
    memset(big, 'x', sizeof big);
    memcpy(big, "ASB HB12 ", 9);
    big[500] = '\0';
    radio(f, "hbbcrp", "radio7", big, NULL, T0, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR LENGTH");
}

static void test_upd_clr(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[256];
    radio(f, "hbbcrp", "radio7", "ASB HB12 youths", NULL, T0, &o);
    assert_int_equal(o.ref, 1001);

    radio(f, "hbbcrp", "radio7", "UPD R1001 now 10 youths", NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK UPD R1001");
    assert_int_equal(o.ref, 1001);
    q_text(f, t, sizeof t, "SELECT by || '|' || detail FROM report_events WHERE kind = 'update'");
    assert_string_equal(t, "BRAVO1|now 10 youths");

    /* another operative */
    radio(f, "hbbcrp", "radio8", "UPD R1001 not mine", NULL, T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE kind = 'update'"), 1);
    q_text(f, t, sizeof t, "SELECT reason FROM messages ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "AUTH");
    radio(f, "hbbcrp", "radio8", "CLR R1001", NULL, T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    q_text(f, t, sizeof t, "SELECT status FROM reports WHERE ref = 1001");
    assert_string_equal(t, "open");
    /* the same operative by SMS is the same reporter */
    sms(f, "+447700900111", "UPD 1001 dispersing", T0 + 3 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");

    /* unknown reference */
    radio(f, "hbbcrp", "radio7", "UPD R999999 details", NULL, T0 + 3 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR REF");
    assert_non_null(strstr(o.reply, "R999999"));
    assert_int_equal(o.ref, 0);
    q_text(f, t, sizeof t, "SELECT reason FROM messages ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "REF");

    /* clear by the reporter */
    radio(f, "hbbcrp", "radio7", "CLR R1001", NULL, T0 + 4 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK CLR R1001");
    q_text(f, t, sizeof t, "SELECT status || '|' || cleared_at FROM reports WHERE ref = 1001");
    char want[64];
    snprintf(want, sizeof want, "cleared|%lld", (long long)(T0 + 4 * MIN));
    assert_string_equal(t, want);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE kind = 'cleared' AND by ="
                              " 'BRAVO1'"),
                     1);

    /* a contact of a partner the report was alerted to may update it */
    radio(f, "hbbcrp", "radio8", "VIO HB11 fight", NULL, T0, &o);
    assert_int_equal(o.ref, 1002);
    alert_partners(f, 1002, t, sizeof t);
    assert_string_equal(t, "police");
    sms(f, "+447700900001", "UPD R1002 unit attending", T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK UPD R1002");
    q_text(f, t, sizeof t, "SELECT partner || '|' || by FROM report_events WHERE ref = 1002 AND"
                           " kind = 'update'");
    assert_string_equal(t, "police|POL1");

    /* hardening 15: a contact of a partner it was not alerted to may not
     * (bcrp covers HB01 HB02 only), nor clear it and stop every chase */
    sms(f, "+447700900002", "CLR R1002 nothing here", T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_string_equal(o.reply, "ERR AUTH: R1002 was not alerted to bcrp");
    sms(f, "+447700900002", "UPD R1002 hello", T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    q_text(f, t, sizeof t, "SELECT status FROM reports WHERE ref = 1002");
    assert_string_equal(t, "open");
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = 1002 AND by = 'BCRP1'"),
                     0);
    /* a report alerted to nobody: only its reporter */
    radio(f, "hbbcrp", "radio8", "ENG HB11 spoke to shopkeepers", NULL, T0 + 3 * MIN, &o);
    int64_t eng = o.ref;
    char text[64];
    snprintf(text, sizeof text, "CLR R%lld", (long long)eng);
    sms(f, "+447700900001", text, T0 + 4 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    radio(f, "hbbcrp", "radio8", text, NULL, T0 + 5 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
}

static void test_ack(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[256];
    radio(f, "hbbcrp", "radio7", "VIO HB01 fight outside pub", NULL, T0, &o);
    assert_int_equal(o.ref, 1001);
    alert_partners(f, 1001, t, sizeof t);
    assert_string_equal(t, "bcrp,police");
    /* an operative cannot ACK */
    radio(f, "hbbcrp", "radio8", "ACK R1001", NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE acked_at IS NOT NULL"), 0);
    radio(f, "hbbcrp", "radio7", "ACK R1001", NULL, T0 + MIN, &o); /* not even the reporter */
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR AUTH");
    /* the police contact, by radio */
    radio(f, "hbbcrp", "police1", "ACK R1001 on our way", NULL, T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK ACK R1001");
    assert_int_equal(o.ref, 1001);
    /* not delivered yet: no longer needed */
    q_text(f, t, sizeof t, "SELECT state || '|' || acked_by || '|' || acked_at FROM alerts WHERE"
                           " partner = 'police' AND kind = 'alert'");
    char want[64];
    snprintf(want, sizeof want, "cancelled|POL1|%lld", (long long)(T0 + 2 * MIN));
    assert_string_equal(t, want);
    q_text(f, t, sizeof t, "SELECT state || '|' || ifnull(acked_by, 'NULL') FROM alerts WHERE"
                           " partner = 'bcrp'");
    assert_string_equal(t, "pending|NULL");
    /* the reporter is told, on its radio unit: "R1001 ACK by police 11:08" (TZ=UTC) */
    q_text(f, t, sizeof t, "SELECT channel || '|' || kind || '|' || target || '|' || payload FROM"
                           " alerts WHERE partner = 'police' AND kind = 'notice'");
    assert_string_equal(t, "radio|notice|hbbcrp/radio7|R1001 ACK by police 11:08");
    assert_int_equal(q_int(f, "SELECT acked_via FROM chases WHERE ref = 1001 AND partner = 'police'"
                              " AND acked_by = 'POL1' AND acked_via = 'radio'") != -999, 1);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = 1001 AND kind = 'ack'"
                              " AND partner = 'police' AND by = 'POL1'"),
                     1);
    /* the bcrp contact, by SMS */
    sms(f, "+447700900002", "ack 1001", T0 + 3 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE state = 'cancelled'"), 2);
    /* again: recorded, not re-announced */
    sms(f, "+447700900002", "ack 1001 again", T0 + 3 * MIN + 1000, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(q_int(f, "SELECT count(*) FROM alerts WHERE kind = 'notice'"), 2);
    assert_int_equal(q_int(f, "SELECT count(*) FROM report_events WHERE ref = 1001 AND kind = 'ack'"),
                     3);
    /* unknown reference */
    sms(f, "+447700900002", "ACK R4242", T0 + 4 * MIN, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR REF");
}

/* Hardening 4: a JSON bridge gets the reporter's ACK notice as JSON. */
static void test_ack_notice_json(void **state)
{
    fixture *f = *state;
    ingest_out o;
    ingest_in in;
    char sender[80], t[256];
    const char *payload = " {\"msg_id\": \"b7-1\", \"text\": \"VIO HB01 fight outside pub\"}";
    radio_in(&in, sender, sizeof sender, "hbbcrp", "radio7", "VIO HB01 fight outside pub", "b7-1", T0);
    in.payload = payload;
    in.payload_len = strlen(payload);
    run(f, &in, &o);
    assert_string_equal(o.outcome, "accepted");
    int64_t ref = o.ref;
    char text[32];
    snprintf(text, sizeof text, "ACK R%lld", (long long)ref);
    radio(f, "hbbcrp", "police1", text, NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    q_text(f, t, sizeof t, "SELECT payload FROM alerts WHERE kind = 'notice'");
    cJSON *j = cJSON_Parse(t);
    if (!j)
        fail_msg("notice is not JSON: %s", t);
    const cJSON *reply = cJSON_GetObjectItemCaseSensitive(j, "reply");
    assert_true(cJSON_IsString(reply));
    assert_string_equal(reply->valuestring, "R1001 ACK by police 11:07");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "ref")->valuestring, "R1001");
    cJSON_Delete(j);
    /* a plain-text bridge still gets text */
    radio(f, "hbbcrp", "radio8", "VIO HB01 second fight", NULL, T0 + 2 * MIN, &o);
    snprintf(text, sizeof text, "ACK R%lld", (long long)o.ref);
    radio(f, "hbbcrp", "police1", text, NULL, T0 + 3 * MIN, &o);
    q_text(f, t, sizeof t, "SELECT payload FROM alerts WHERE kind = 'notice' AND ref = %lld",
           (long long)o.ref);
    assert_string_equal(t, "R1002 ACK by police 11:09");
}

/* Hardening 17: a bridge that republishes its replies into "in" must not loop:
 * a message equal to the reply just sent to that unit is journaled, not answered. */
static void test_reply_echo(void **state)
{
    fixture *f = *state;
    ingest_out o, e;
    char t[256];
    radio(f, "shop", "till4", "ASB HB12 youths", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    radio(f, "shop", "till4", o.reply, NULL, T0 + 100, &e);
    assert_string_equal(e.outcome, "rejected");
    assert_string_equal(e.reply, "");
    q_text(f, t, sizeof t, "SELECT reason || '|' || ifnull(reply, 'NULL') FROM messages"
                           " ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "reply echoed|NULL");
    /* an unregistered unit's ERR AUTH echoed back does not loop either */
    radio(f, "hbbcrp", "radio99", "ASB HB12 youths", NULL, T0, &o);
    assert_prefix(o.reply, "ERR AUTH");
    radio(f, "hbbcrp", "radio99", o.reply, NULL, T0 + 100, &e);
    assert_string_equal(e.outcome, "rejected");
    assert_string_equal(e.reply, "");
    /* nor does HELP */
    radio(f, "hbbcrp", "radio7", "HELP", NULL, T0, &o);
    radio(f, "hbbcrp", "radio7", o.reply, NULL, T0 + 100, &e);
    assert_string_equal(e.reply, "");
    /* a typo is still answered, and so is the echo of another unit's reply */
    radio(f, "hbbcrp", "radio7", "ABS HB12", NULL, T0 + 200, &o);
    assert_string_equal(o.outcome, "error");
    assert_prefix(o.reply, "ERR CODE");
    radio(f, "hbbcrp", "radio8", o.reply, NULL, T0 + 300, &e);
    assert_string_equal(e.outcome, "error");
    assert_prefix(e.reply, "ERR CODE");
}

/* Hardening 18 (first part): over its rate limit a sender's or network's
 * messages are journaled, not acted on (no report, no alert, no reply). */
static void test_rate_limit(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char text[64], t[128];
    f->cfg->unit_rate_limit = 3;
    f->cfg->network_rate_limit = 5;
    f->ctx.rl = ratelim_new();
    assert_non_null(f->ctx.rl);
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "RTC P1 HB03 flood %d", i);
        radio(f, "shop", "anon", text, NULL, T0 + i, &o);
        assert_string_equal(o.outcome, "accepted");
    }
    radio(f, "shop", "anon", "RTC P1 HB03 flood 3", NULL, T0 + 3, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_string_equal(o.reply, "");
    assert_int_equal(o.ref, 0);
    assert_int_equal(o.alerts, 0);
    q_text(f, t, sizeof t, "SELECT outcome || '|' || reason || '|' || text FROM messages"
                           " ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "rejected|rate limit (unit)|RTC P1 HB03 flood 3");
    assert_int_equal(q_int(f, "SELECT count(*) FROM reports"), 3);
    /* another unit of the network: the network's 5th message (refused ones
     * count) is fine, its 6th is over the network's limit */
    radio(f, "shop", "anon2", "ASB HB12 a", NULL, T0 + 4, &o);
    assert_string_equal(o.outcome, "accepted");
    radio(f, "shop", "anon2", "ASB HB12 b", NULL, T0 + 5, &o);
    assert_string_equal(o.outcome, "rejected");
    q_text(f, t, sizeof t, "SELECT reason FROM messages ORDER BY id DESC LIMIT 1");
    assert_string_equal(t, "rate limit (network)");
    /* SMS and other networks are not held up */
    radio(f, "hbbcrp", "radio7", "ASB HB12 c", NULL, T0 + 6, &o);
    assert_string_equal(o.outcome, "accepted");
    sms(f, "+447700900111", "ASB HB12 d", T0 + 7, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(ratelim_refused(f->ctx.rl, 'u'), 1);
    assert_int_equal(ratelim_refused(f->ctx.rl, 'n'), 1);
    /* the next minute counts again */
    radio(f, "shop", "anon", "RTC P1 HB03 flood 4", NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    ratelim_free(f->ctx.rl);
    f->ctx.rl = NULL;
}

/* Runs one MQTT ACK ({"ref", "by"[, "secret"]} on <prefix>/ack/<partner>). */
static void ack_json(fixture *f, const char *partner, const char *json, int64_t at, ingest_out *out)
{
    assert_int_equal(store_begin(f->st), 0);
    if (ingest_ack_json(&f->ctx, partner, json, strlen(json), at, out)) {
        store_rollback(f->st);
        fail_msg("ingest_ack_json failed");
    }
    assert_int_equal(store_commit(f->st), 0);
}

/* Hardening 16: a partner with mqtt_ack_secret_file needs its secret in an
 * MQTT ACK (a callsign is no secret); the journal keeps the ACK without it. */
static void test_ack_json_secret(void **state)
{
    fixture *f = *state;
    ingest_out o;
    char t[256];
    snprintf(f->cfg->partners[0].mqtt_ack_secret, sizeof f->cfg->partners[0].mqtt_ack_secret,
             "%s", "pol-s3cret");
    radio(f, "hbbcrp", "radio7", "VIO HB01 fight outside pub", NULL, T0, &o);
    assert_int_equal(o.ref, 1001);
    ack_json(f, "police", "{\"ref\": \"R1001\", \"by\": \"POL1\"}", T0 + MIN, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_prefix(o.reply, "ERR AUTH");
    ack_json(f, "police", "{\"ref\": \"R1001\", \"by\": \"POL1\", \"secret\": \"pol-s3creT\"}",
             T0 + MIN, &o);
    assert_string_equal(o.outcome, "rejected");
    assert_int_equal(q_int(f, "SELECT count(*) FROM chases WHERE acked_at IS NOT NULL"), 0);
    ack_json(f, "police", "{\"ref\": \"R1001\", \"by\": \"POL1\", \"secret\": \"pol-s3cret\"}",
             T0 + 2 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK ACK R1001");
    assert_int_equal(q_int(f, "SELECT count(*) FROM chases WHERE partner = 'police' AND"
                              " acked_by = 'POL1'"),
                     1);
    /* the secret is never journaled, right or wrong */
    assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE channel = 'ack' AND"
                              " (instr(CAST(payload AS TEXT), 's3cre') > 0 OR"
                              " instr(ifnull(text, ''), 's3cre') > 0)"),
                     0);
    q_text(f, t, sizeof t, "SELECT reason FROM messages WHERE channel = 'ack' ORDER BY id LIMIT 1");
    assert_string_equal(t, "bad or missing secret");
    /* a partner without a secret: the callsign alone, as before */
    ack_json(f, "bcrp", "{\"ref\": \"R1001\", \"by\": \"BCRP1\"}", T0 + 3 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
}

static void test_shifts(void **state)
{
    fixture *f = *state;
    ingest_out o;
    radio(f, "hbbcrp", "radio7", "ON HB", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK ON HB 11:06"); /* TZ=UTC */
    radio(f, "hbbcrp", "radio7", "OFF", NULL, T0 + 65 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_string_equal(o.reply, "OK OFF 1h05");
    /* the same OFF again within 10 minutes is a resend */
    radio(f, "hbbcrp", "radio7", "OFF", NULL, T0 + 70 * MIN, &o);
    assert_string_equal(o.outcome, "duplicate");
    assert_string_equal(o.reply, "OK OFF 1h05 DUP");
    /* OFF without ON */
    radio(f, "hbbcrp", "radio7", "OFF", NULL, T0 + 80 * MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_prefix(o.reply, "OK OFF 0h00");
    assert_non_null(strstr(o.reply, "no ON"));
    /* ON without a place, ON at a landmark */
    radio(f, "hbbcrp", "radio8", "ON", NULL, T0 + 4 * MIN, &o);
    assert_string_equal(o.reply, "OK ON 11:10");
    radio(f, "hbbcrp", "radio7", "ON PIER", NULL, T0 + 90 * MIN, &o);
    assert_string_equal(o.reply, "OK ON HB02 12:36");
    assert_int_equal(q_int(f, "SELECT count(*) FROM shifts"), 3);
    assert_int_equal(q_int(f, "SELECT count(*) FROM shifts WHERE reporter = 'BRAVO1' AND person_id"
                              " = %lld",
                           (long long)f->bravo1),
                     2);
}

static void test_help(void **state)
{
    fixture *f = *state;
    ingest_out o;
    radio(f, "hbbcrp", "radio7", "HELP", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_int_equal(o.ref, 0);
    assert_non_null(strstr(o.reply, "RTC"));
    assert_non_null(strstr(o.reply, "ENG"));
    radio(f, "shop", "till9", "?", NULL, T0, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_non_null(strstr(o.reply, "RTC"));
    assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE outcome = 'accepted'"), 2);
    /* HELP ZONES pages through the deployment's gazetteer; HELP <code> explains one. */
    radio(f, "shop", "till9", "HELP ZONES", NULL, T0 + MIN, &o);
    assert_string_equal(o.outcome, "accepted");
    assert_true(strncmp(o.reply, "Zones 1/", 8) == 0);
    assert_non_null(strstr(o.reply, "HB"));
    radio(f, "shop", "till9", "HELP RTC", NULL, T0 + 2 * MIN, &o);
    assert_true(strncmp(o.reply, "RTC: ", 5) == 0);
}

/* Long echoes, long details: every reply still fits one SMS (checked in run()). */
static void test_replies_fit(void **state)
{
    fixture *f = *state;
    ingest_out o;
    static const char *const texts[] = {
        "ABSOLUTELYNOTACODEATALLXXXXXXXXXXXXXXXXXXXXXXXXXX HB12",
        "ASB HB12XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "ASB P9999999999999999999999999 HB12",
        "UPD R99999999999999999999999999",
        "UPD R999999999999 x",
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac \xf0\x9f\x98\x80\xf0\x9f\x98\x80 HB12",
        "VIO 51.3742,1.1325 fight \xf0\x9f\x98\x80",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        radio(f, "hbbcrp", "radio7", texts[i], NULL, T0 + (int64_t)i, &o);
        /* and their duplicates */
        radio(f, "hbbcrp", "radio7", texts[i], NULL, T0 + (int64_t)i + 1, &o);
        assert_string_equal(o.outcome, "duplicate");
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        T(test_report_accepted), T(test_alert_payload_no_zone), T(test_routing),
        T(test_dup_msg_id),      T(test_dup_msg_id_per_sender), T(test_dup_text),
        T(test_dup_command),     T(test_registration),
        T(test_channel_reject),  T(test_parse_errors),          T(test_upd_clr),
        T(test_ack),             T(test_ack_notice_json),       T(test_shifts),
        T(test_help),            T(test_replies_fit),           T(test_reply_echo),
        T(test_rate_limit),      T(test_ack_json_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
