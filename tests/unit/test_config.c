/* test_config.c: the INI config (gateway/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    gw_config *cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_config.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/patrolgw.conf", f->dir);
    f->cfg = calloc(1, sizeof *f->cfg);
    if (!f->cfg)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[192];
    static const char *const names[] = { "patrolgw.conf", "secret", "secret2", "secret3" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
        (void)unlink(p);
    }
    (void)rmdir(f->dir);
    free(f->cfg);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Writes text as the config and loads it; returns config_load's result. */
static int load(fixture *f, const char *text, char *err, size_t errsz)
{
    write_file(f->path, text);
    err[0] = '\0';
    return config_load(f->path, f->cfg, err, errsz);
}

static void load_ok(fixture *f, const char *text)
{
    char err[512];
    int rc = load(f, text, err, sizeof err);
    if (rc != 0)
        fail_msg("config_load failed: %s", err);
}

/* Loads text, expects a failure whose message is "<path>:<line>: ..." (line 0:
 * a check of the whole file, "<path>: ...") and contains want. */
static void load_bad(fixture *f, const char *text, int line, const char *want)
{
    char err[512], prefix[192];
    assert_int_equal(load(f, text, err, sizeof err), -1);
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", f->path, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", f->path);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want))
        fail_msg("want \"%s...%s\", got \"%s\"", prefix, want, err);
}

static void check_defaults(const fixture *f, const gw_config *c)
{
    assert_int_equal(c->log_level, LOG_INFO);
    assert_string_equal(c->timezone, "");
    assert_int_equal(c->unit_rate_limit, 0);
    assert_int_equal(c->network_rate_limit, 0);
    assert_string_equal(c->store_path, "patrolgw.db");
    assert_int_equal(c->store_sync_full, 1);
    assert_string_equal(c->mqtt_host, "127.0.0.1");
    assert_int_equal(c->mqtt_port, 1883);
    assert_string_equal(c->mqtt_prefix, "patrol");
    assert_string_equal(c->mqtt_client_id, "patrolgw");
    assert_string_equal(c->mqtt_username, "");
    assert_string_equal(c->mqtt_password_file, "");
    assert_int_equal(c->mqtt_keepalive, 30);
    assert_string_equal(c->codes_path, "");
    assert_string_equal(c->gazetteer_path, "");
    assert_true(c->radius_km == 1.0);
    assert_int_equal(c->nnetworks, 0);
    assert_int_equal(c->npartners, 0);
    (void)f;
}

static void test_defaults(void **state)
{
    fixture *f = *state;
    gw_config d;
    config_defaults(&d);
    check_defaults(f, &d);
}

static void test_empty_file(void **state)
{
    fixture *f = *state;
    load_ok(f, "");
    /* a missing key takes its default; path and dir record the file read */
    check_defaults(f, f->cfg);
    assert_string_equal(f->cfg->path, f->path);
    assert_string_equal(f->cfg->dir, f->dir);
}

static void test_comments_and_empty_sections(void **state)
{
    fixture *f = *state;
    load_ok(f, "; a comment\n# another\n\n[gateway]\n[store]\n[mqtt]\n[protocol]\n"
               "[network.quiet]\n[partner.silent]\n[nosuch]\n");
    check_defaults(f, f->cfg);
    /* a section with no keys is ignored entirely (libinih only calls back for keys) */
    assert_int_equal(f->cfg->nnetworks, 0);
    assert_int_equal(f->cfg->npartners, 0);
}

static void test_every_key(void **state)
{
    fixture *f = *state;
    gw_config *c = f->cfg;
    char want[1200];
    load_ok(f,
            "[gateway]\n"
            "log_level = debug\n"
            "timezone = Europe/London\n"
            "unit_rate_limit = 30\n"
            "network_rate_limit = 300\n"
            "[store]\n"
            "path = /var/lib/patrolgw/p.db\n"
            "synchronous = normal\n"
            "[mqtt]\n"
            "host = broker.example.org\n"
            "port = 8883\n"
            "prefix = kent/hernebay\n"
            "client_id = gw-1\n"
            "username = patrolgw\n"
            "password_file = /etc/patrolgw/mqtt.pass\n"
            "keepalive = 60\n"
            "[protocol]\n"
            "codes = /etc/patrolgw/codes.csv\n"
            "gazetteer = /etc/patrolgw/gazetteer.csv\n"
            "radius_km = 2.5\n"
            "[network.hbbcrp]\n"
            "require_registration = no\n"
            "[network.pubwatch]\n"
            "require_registration = yes\n"
            "[partner.police]\n"
            "min_priority = P2\n"
            "[partner.bcrp]\n"
            "min_priority = 3\n"
            "codes = THEFT SUS VIO\n"
            "zones = HB01 HB02\n"
            "mqtt = no\n");
    assert_int_equal(c->log_level, LOG_DEBUG);
    assert_string_equal(c->timezone, "Europe/London");
    assert_int_equal(c->unit_rate_limit, 30);
    assert_int_equal(c->network_rate_limit, 300);
    assert_string_equal(c->store_path, "/var/lib/patrolgw/p.db");
    assert_int_equal(c->store_sync_full, 0);
    assert_string_equal(c->mqtt_host, "broker.example.org");
    assert_int_equal(c->mqtt_port, 8883);
    assert_string_equal(c->mqtt_prefix, "kent/hernebay");
    assert_string_equal(c->mqtt_client_id, "gw-1");
    assert_string_equal(c->mqtt_username, "patrolgw");
    assert_string_equal(c->mqtt_password_file, "/etc/patrolgw/mqtt.pass");
    assert_int_equal(c->mqtt_keepalive, 60);
    assert_string_equal(c->codes_path, "/etc/patrolgw/codes.csv");
    assert_string_equal(c->gazetteer_path, "/etc/patrolgw/gazetteer.csv");
    assert_true(c->radius_km == 2.5);
    assert_int_equal(c->nnetworks, 2);
    assert_string_equal(c->networks[0].name, "hbbcrp");
    assert_int_equal(c->networks[0].require_registration, 0);
    assert_string_equal(c->networks[1].name, "pubwatch");
    assert_int_equal(c->networks[1].require_registration, 1);
    assert_int_equal(c->npartners, 2);
    assert_string_equal(c->partners[0].name, "police");
    assert_int_equal(c->partners[0].min_priority, 2);
    assert_int_equal(c->partners[0].ncodes, 0);
    assert_int_equal(c->partners[0].nzones, 0);
    assert_int_equal(c->partners[0].mqtt, 1);
    assert_string_equal(c->partners[1].name, "bcrp");
    assert_int_equal(c->partners[1].min_priority, 3);
    assert_int_equal(c->partners[1].ncodes, 3);
    assert_string_equal(c->partners[1].codes[0], "THEFT");
    assert_string_equal(c->partners[1].codes[1], "SUS");
    assert_string_equal(c->partners[1].codes[2], "VIO");
    assert_int_equal(c->partners[1].nzones, 2);
    assert_string_equal(c->partners[1].zones[0], "HB01");
    assert_string_equal(c->partners[1].zones[1], "HB02");
    assert_int_equal(c->partners[1].mqtt, 0);
    snprintf(want, sizeof want, "%s", f->path);
    assert_string_equal(c->path, want);

    /* each log level and sync mode */
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++) {
        char text[128];
        snprintf(text, sizeof text, "[gateway]\nlog_level = %s\n[store]\nsynchronous = FULL\n",
                 levels[i]);
        load_ok(f, text);
        assert_int_equal(c->log_level, i);
        assert_int_equal(c->store_sync_full, 1);
    }
}

static void test_relative_paths(void **state)
{
    fixture *f = *state;
    gw_config *c = f->cfg;
    char want[600];
    load_ok(f,
            "[store]\npath = data/patrolgw.db\n"
            "[mqtt]\npassword_file = mqtt.pass\n"
            "[protocol]\ncodes = codes.csv\ngazetteer = ../shared/gazetteer.csv\n");
    snprintf(want, sizeof want, "%s/data/patrolgw.db", f->dir);
    assert_string_equal(c->store_path, want);
    snprintf(want, sizeof want, "%s/mqtt.pass", f->dir);
    assert_string_equal(c->mqtt_password_file, want);
    snprintf(want, sizeof want, "%s/codes.csv", f->dir);
    assert_string_equal(c->codes_path, want);
    snprintf(want, sizeof want, "%s/../shared/gazetteer.csv", f->dir);
    assert_string_equal(c->gazetteer_path, want);

    /* a config named without a folder: paths stay relative to the current one */
    char cwd[512];
    char err[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    int rc = config_load("patrolgw.conf", c, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_string_equal(c->dir, ".");
    assert_string_equal(c->store_path, "./data/patrolgw.db");
    assert_string_equal(c->codes_path, "./codes.csv");

    /* an empty gazetteer path stays empty (no gazetteer), not the folder */
    load_ok(f, "[protocol]\ngazetteer =\ncodes = \n");
    assert_string_equal(c->gazetteer_path, "");
    assert_string_equal(c->codes_path, "");
}

static void test_bad_values(void **state)
{
    fixture *f = *state;
    load_bad(f, "[mqtt]\nhost = h\nport = 0\n", 3, "[mqtt] port: 0 is not 1..65535");
    load_bad(f, "[mqtt]\nport = 65536\n", 2, "port");
    load_bad(f, "[mqtt]\nport = 18x3\n", 2, "port");
    load_bad(f, "[mqtt]\nport =\n", 2, "port");
    load_bad(f, "[mqtt]\nkeepalive = 4\n", 2, "keepalive");
    load_bad(f, "[mqtt]\nkeepalive = 3601\n", 2, "keepalive");
    load_bad(f, "[mqtt]\nprefix = a/+/b\n", 2, "prefix");
    load_bad(f, "[mqtt]\nprefix = a/#\n", 2, "prefix");
    load_bad(f, "[mqtt]\nprefix = patrol/\n", 2, "prefix");
    load_bad(f, "[mqtt]\nprefix =\n", 2, "prefix");
    load_bad(f, "[gateway]\nlog_level = verbose\n", 2, "log_level: verbose");
    load_bad(f, "[store]\nsynchronous = off\n", 2, "synchronous");
    load_bad(f, "[protocol]\nradius_km = -1\n", 2, "radius_km");
    load_bad(f, "[protocol]\nradius_km = 101\n", 2, "radius_km");
    load_bad(f, "[protocol]\nradius_km = 1km\n", 2, "radius_km");
    load_bad(f, "[protocol]\nradius_km = nan\n", 2, "radius_km");
    load_bad(f, "\n[partner.police]\nmin_priority = P5\n", 3, "min_priority: P5 is not P1..P4");
    load_bad(f, "[partner.police]\nmin_priority = P0\n", 2, "min_priority");
    load_bad(f, "[partner.police]\nmin_priority = PP2\n", 2, "min_priority");
    load_bad(f, "[partner.police]\nmqtt = perhaps\n", 2, "mqtt: perhaps is not yes|no");
    load_bad(f, "[network.shop]\nrequire_registration = 2\n", 2,
             "require_registration: 2 is not yes|no");
    /* unknown keys and sections name themselves */
    load_bad(f, "[mqtt]\nhost = h\nhots = h\n", 3, "unknown key hots in [mqtt]");
    load_bad(f, "[gateway]\npath = x\n", 2, "unknown key path in [gateway]");
    load_bad(f, "[partner.police]\nmin_priorty = P2\n", 2, "unknown key min_priorty");
    load_bad(f, "[network.shop]\nregistration = no\n", 2, "unknown key registration");
    load_bad(f, "[gateway]\nlog_level = info\n[mtqq]\nhost = h\n", 4, "unknown section [mtqq]");
    /* names of networks and partners */
    load_bad(f, "[partner.bad name]\nmqtt = yes\n", 2, "bad partner name");
    load_bad(f, "[gateway]\nunit_rate_limit = -1\n", 2, "unit_rate_limit: -1 is not 0..1000000");
    load_bad(f, "[partner.police]\nmqtt_ack_secret_file = /nonexistent/ack.secret\n", 2,
             "mqtt_ack_secret_file: cannot read a secret from /nonexistent/ack.secret");
    load_bad(f, "[gateway]\nnetwork_rate_limit = lots\n", 2, "network_rate_limit: lots is not");
    load_bad(f, "[network.a/b]\nrequire_registration = no\n", 2, "bad network name");
    load_bad(f, "[partner.]\nmqtt = yes\n", 2, "bad partner name");
    load_bad(f,
             "[partner.abcdefghijabcdefghijabcdefghijabc]\nmqtt = yes\n", 2, /* 33 chars */
             "bad partner name");
    /* lists */
    load_bad(f,
             "[partner.p]\nzones = Z1234567890123456\n", 2, /* 17 chars > PRC_ZONE_MAX */
             "entry too long");
    /* a line that is not key = value */
    load_bad(f, "[mqtt]\nhost h\n", 2, "syntax error");
    /* the first error is the one reported */
    load_bad(f, "[mqtt]\nport = x\nkeepalive = 1\n", 2, "port");
    /* an empty store path */
    {
        char err[512];
        assert_int_equal(load(f, "[store]\npath =\n", err, sizeof err), -1);
        assert_non_null(strstr(err, "[store] path is empty"));
    }
}

static void test_too_many_list_entries(void **state)
{
    fixture *f = *state;
    char text[1024];
    int n = snprintf(text, sizeof text, "[partner.p]\ncodes =");
    for (int i = 0; i <= GW_PARTNER_CODES; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " C%d", i);
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    load_bad(f, text, 2, "too many entries");

    /* exactly the cap is fine */
    n = snprintf(text, sizeof text, "[partner.p]\ncodes =");
    for (int i = 0; i < GW_PARTNER_CODES; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " C%d", i);
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    load_ok(f, text);
    assert_int_equal(f->cfg->partners[0].ncodes, GW_PARTNER_CODES);
}

/* libinih reads at most 200 bytes a line: a longer line is refused, never silently cut. */
static void test_long_line(void **state)
{
    fixture *f = *state;
    char text[512], err[512];
    int n = snprintf(text, sizeof text, "[store]\npath = /");
    for (int i = 0; i < 100; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "a/");
    snprintf(text + n, sizeof text - (size_t)n, "x.db\n");
    assert_int_equal(load(f, text, err, sizeof err), -1);
    assert_non_null(strstr(err, f->path));
}

static void test_too_many_partners(void **state)
{
    fixture *f = *state;
    static char text[GW_MAX_PARTNERS * 40 + 64];
    int n = 0;
    for (int i = 0; i <= GW_MAX_PARTNERS; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "[partner.p%d]\nmqtt = yes\n", i);
    load_bad(f, text, 2 * GW_MAX_PARTNERS + 2, "too many partners");
}

static void test_registration(void **state)
{
    fixture *f = *state;
    load_ok(f, "[network.shop]\nrequire_registration = no\n"
               "[network.hbbcrp]\nrequire_registration = yes\n");
    assert_int_equal(config_requires_registration(f->cfg, "shop"), 0);
    assert_int_equal(config_requires_registration(f->cfg, "hbbcrp"), 1);
    /* a network the config does not name requires registration */
    assert_int_equal(config_requires_registration(f->cfg, "pubwatch"), 1);
    assert_int_equal(config_requires_registration(f->cfg, "SHOP"), 1);
    assert_int_equal(config_requires_registration(f->cfg, ""), 1);

    /* the bool spellings */
    static const struct {
        const char *v;
        int want;
    } bools[] = { { "yes", 1 }, { "YES", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 },
                  { "no", 0 },  { "No", 0 },  { "false", 0 }, { "off", 0 }, { "0", 0 } };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[network.n]\nrequire_registration = %s\n", bools[i].v);
        load_ok(f, text);
        assert_int_equal(f->cfg->networks[0].require_registration, bools[i].want);
        assert_int_equal(config_requires_registration(f->cfg, "n"), bools[i].want);
    }
}

static void test_partner_defaults(void **state)
{
    fixture *f = *state;
    gw_config *c = f->cfg;
    load_ok(f, "[partner.council]\nzones = hb01\n[partner.police]\nmin_priority = p1\n"
               "[partner.council]\ncodes = theft, sus\tvio\n");
    assert_int_equal(c->npartners, 2);
    /* a repeated section adds to the same partner */
    assert_string_equal(c->partners[0].name, "council");
    assert_int_equal(c->partners[0].min_priority, 4);
    assert_int_equal(c->partners[0].mqtt, 1);
    /* lists are upper-cased and split on spaces, tabs and commas */
    assert_int_equal(c->partners[0].nzones, 1);
    assert_string_equal(c->partners[0].zones[0], "HB01");
    assert_int_equal(c->partners[0].ncodes, 3);
    assert_string_equal(c->partners[0].codes[0], "THEFT");
    assert_string_equal(c->partners[0].codes[1], "SUS");
    assert_string_equal(c->partners[0].codes[2], "VIO");
    assert_string_equal(c->partners[1].name, "police");
    assert_int_equal(c->partners[1].min_priority, 1);
    assert_int_equal(c->partners[1].mqtt, 1);
    assert_int_equal(c->partners[1].ncodes, 0);

    /* mqtt = off alone keeps the other defaults */
    load_ok(f, "[partner.p]\nmqtt = off\n");
    assert_int_equal(c->partners[0].min_priority, 4);
    assert_int_equal(c->partners[0].mqtt, 0);
    /* a list set twice keeps the last one */
    load_ok(f, "[partner.p]\ncodes = ASB DRG\ncodes = THEFT\n");
    assert_int_equal(c->partners[0].ncodes, 1);
    assert_string_equal(c->partners[0].codes[0], "THEFT");
}

static void test_lifecycle_keys(void **state)
{
    fixture *f = *state;
    load_ok(f, "[partner.bcrp]\nhours = Mon-Fri 08:30-18:00, Sat 10:00-16:00, Fri 22:00-02:00\n"
               "rate_limit = 10\ndigest_every = 90s\ndigest_from = P2\nchase = P2\n"
               "resend_after = 120\nescalate_after = 1h\nremind_after = 0\ndead_after = 2d\n");
    const cfg_partner *p = &f->cfg->partners[0];
    assert_int_equal(p->nhours, 3);
    assert_int_equal(p->hours[0].days, 0x1f);
    assert_int_equal(p->hours[0].from_min, 8 * 60 + 30);
    assert_int_equal(p->hours[0].to_min, 18 * 60);
    assert_int_equal(p->hours[1].days, 1u << 5);
    assert_int_equal(p->hours[2].to_min, 120);
    assert_int_equal(p->rate_limit, 10);
    assert_int_equal(p->digest_every_s, 90);
    assert_int_equal(p->digest_from, 2);
    assert_int_equal(p->chase_to, 2);
    assert_int_equal(p->resend_after_s, 120);
    assert_int_equal(p->escalate_after_s, 3600);
    assert_int_equal(p->remind_after_s, 0);
    assert_int_equal(p->dead_after_s, 2 * 86400);
    load_bad(f, "[partner.p]\nhours = Mon-Fry 08:00-09:00\n", 2, "hours: Mon-Fry");
    load_bad(f, "[partner.p]\nhours = 25:00-26:00\n", 2, "hours");
    load_bad(f, "[partner.p]\nhours = 08:00-08:00\n", 2, "hours");
    load_bad(f, "[partner.p]\nresend_after = 5x\n", 2, "resend_after: 5x is not a duration");
    load_bad(f, "[partner.p]\ndead_after = 0\n", 2, "dead_after");
    load_bad(f, "[partner.p]\nchase = P7\n", 2, "chase: P7");
    load_bad(f, "[partner.p]\nfallback = pigeon\n", 2, "fallback: pigeon");
    load_bad(f, "[partner.p]\nfallback = sms\n", 0, "fallback sms needs sms");
    load_bad(f, "[partner.p]\nemail = a@b.example\n", 0, "e-mail needs an [smtp] url");
    load_bad(f, "[alerts]\nack_url = https://x.example/ack\n", 0, "ack_url needs ack_secret_file");
    load_bad(f, "[alerts]\nack_url = ftp://x\n", 2, "ack_url");
    load_bad(f, "[alerts]\nparallel = 0\n", 2, "parallel");
}

static void test_missing_file(void **state)
{
    fixture *f = *state;
    char err[512], p[192];
    snprintf(p, sizeof p, "%s/none.conf", f->dir);
    assert_int_equal(config_load(p, f->cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "No such file"));
}

static void test_read_secret(void **state)
{
    fixture *f = *state;
    char p[192], out[64];

    snprintf(p, sizeof p, "%s/secret", f->dir);
    write_file(p, "s3cret pass\nsecond line\n");
    assert_int_equal(config_read_secret(p, out, sizeof out), 0);
    assert_string_equal(out, "s3cret pass");

    snprintf(p, sizeof p, "%s/secret2", f->dir);
    write_file(p, "crlf\r\n");
    assert_int_equal(config_read_secret(p, out, sizeof out), 0);
    assert_string_equal(out, "crlf");
    write_file(p, "no-newline");
    assert_int_equal(config_read_secret(p, out, sizeof out), 0);
    assert_string_equal(out, "no-newline");
    /* cut to the buffer, NUL-terminated */
    write_file(p, "0123456789abcdef\n");
    assert_int_equal(config_read_secret(p, out, 8), 0);
    assert_string_equal(out, "0123456");

    snprintf(p, sizeof p, "%s/secret3", f->dir);
    write_file(p, "");
    assert_int_equal(config_read_secret(p, out, sizeof out), -1);
    snprintf(p, sizeof p, "%s/missing", f->dir);
    assert_int_equal(config_read_secret(p, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_and_empty_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_list_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_partners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_secret, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
