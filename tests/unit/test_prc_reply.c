/* test_prc_reply.c: PRC/1 replies (prc_reply.c), field and kind names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prc_codes.h"
#include "prc_gazetteer.h"
#include "prc_gsm7.h"
#include "prc_limits.h"
#include "prc_parse.h"
#include "prc_reply.h"
#include "prc_utf8.h"

/* Septets of a reply; fails the test if it is not GSM-7. */
static long septets(const char *s)
{
    long n = prc_gsm7_len(s, strlen(s));

    assert_true(n >= 0);
    return n;
}

/* Common checks on any reply: length returned, NUL, valid UTF-8, one SMS. */
static void check_reply(const char *out, size_t n, long max)
{
    assert_int_equal(n, strlen(out));
    assert_true(n < PRC_REPLY_BUF);
    assert_true(prc_utf8_valid(out, n) || n == 0);
    assert_true(septets(out) <= max);
}

/* Writes count copies of unit into buf (bufsz bytes, NUL-terminated, bounded). */
static void repeat(char *buf, size_t bufsz, const char *unit, int count)
{
    size_t u = strlen(unit);
    size_t n = 0;

    for (int i = 0; i < count && n + u < bufsz; i++) {
        memcpy(buf + n, unit, u);
        n += u;
    }
    buf[n] = '\0';
}

static void test_report(void **state)
{
    prc_codes *codes = prc_codes_default();
    prc_msg m;
    char out[PRC_REPLY_BUF];
    size_t n;
    static const struct {
        unsigned long long ref;
        const char *code;
        int prio;
        const char *loc;
        const char *want;
    } cases[] = {
        {1042, "ASB", 3, "HB12", "OK R1042 ASB P3 HB12"},
        {1, "VIO", 1, "PIER", "OK R1 VIO P1 PIER"},
        {999999999999ULL, "DMG", 4, "CT6 5AB", "OK R999999999999 DMG P4 CT6 5AB"},
        {77, "MED", 2, "-51.3731,-1.1281", "OK R77 MED P2 -51.3731,-1.1281"},
        {5, "ENG", 4, "", "OK R5 ENG P4"},
    };
    /* Where a landmark or postcode went: the zone, then what was typed. */
    static const struct {
        prc_loc_kind lk;
        const char *loc;
        const char *zone;
        const char *unread;
        const char *want;
    } where[] = {
        {PRC_LOC_ALIAS, "HERNE", "HB11", "", "OK R1011 ASB P3 HB11 (HERNE)"},
        {PRC_LOC_ALIAS, "HERNE BAY PIER", "HB02", "", "OK R1011 ASB P3 HB02 (HERNE BAY PIER)"},
        {PRC_LOC_POSTCODE, "CT6 5AB", "HB03", "", "OK R1011 ASB P3 HB03 (CT6 5AB)"},
        {PRC_LOC_POSTCODE, "EC1A 1BB", "", "", "OK R1011 ASB P3 EC1A 1BB"},
        {PRC_LOC_DISTRICT, "CT6", "HB01", "", "OK R1011 ASB P3 HB01 (CT6)"},
        {PRC_LOC_ZONE, "HB12", "HB12", "", "OK R1011 ASB P3 HB12"},
        {PRC_LOC_LATLON, "51.3731,1.1281", "HB01", "", "OK R1011 ASB P3 51.3731,1.1281"},
        {PRC_LOC_ZONE, "HB12", "HB12", "PX", "OK R1011 ASB P3 HB12 (PX unclear, default P3 used)"},
    };

    (void)state;
    assert_non_null(codes);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&m, 0, sizeof m);
        m.code = prc_codes_find(codes, cases[i].code, strlen(cases[i].code));
        assert_non_null(m.code);
        m.priority = cases[i].prio;
        snprintf(m.location, sizeof m.location, "%s", cases[i].loc);
        n = prc_reply_report(out, cases[i].ref, &m);
        assert_string_equal(out, cases[i].want);
        check_reply(out, n, PRC_REPLY_BODY_MAX);
    }
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        memset(&m, 0, sizeof m);
        m.code = prc_codes_find(codes, "ASB", 3);
        m.priority = 3;
        m.loc_kind = where[i].lk;
        snprintf(m.location, sizeof m.location, "%s", where[i].loc);
        snprintf(m.zone, sizeof m.zone, "%s", where[i].zone);
        snprintf(m.priority_unread, sizeof m.priority_unread, "%s", where[i].unread);
        n = prc_reply_report(out, 1011, &m);
        assert_string_equal(out, where[i].want);
        check_reply(out, n, PRC_REPLY_BODY_MAX);
    }
    /* The longest of everything still fits, with room for " DUP". */
    {
        prc_code big;

        memset(&big, 0, sizeof big);
        memset(big.code, 'C', PRC_CODE_MAX);
        memset(&m, 0, sizeof m);
        m.code = &big;
        m.priority = 1;
        m.loc_kind = PRC_LOC_ALIAS;
        memset(m.location, 'L', PRC_LOCATION_MAX);
        memset(m.zone, 'Z', PRC_ZONE_MAX);
        repeat(m.priority_unread, sizeof m.priority_unread, "\xE2\x82\xAC", PRC_ECHO_MAX);
        n = prc_reply_report(out, 999999999999ULL, &m);
        check_reply(out, n, PRC_REPLY_BODY_MAX);
        assert_non_null(strstr(out, "ZZZZZZZZZZZZZZZ (LLLL"));
    }
    prc_codes_free(codes);
}

static void test_ref_on_off(void **state)
{
    char out[PRC_REPLY_BUF];
    size_t n;
    static const struct {
        long minutes;
        const char *want;
    } off[] = {
        {245, "OK OFF 4h05"}, {0, "OK OFF 0h00"},   {59, "OK OFF 0h59"},
        {60, "OK OFF 1h00"},  {600, "OK OFF 10h00"}, {1439, "OK OFF 23h59"},
        {-5, "OK OFF 0h00"},  {3001, "OK OFF 50h01"},
    };

    (void)state;
    n = prc_reply_ref(out, "UPD", 1042);
    assert_string_equal(out, "OK UPD R1042");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_ref(out, "CLR", 7);
    assert_string_equal(out, "OK CLR R7");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_ref(out, "ACK", 999999999999ULL);
    assert_string_equal(out, "OK ACK R999999999999");
    check_reply(out, n, PRC_REPLY_BODY_MAX);

    n = prc_reply_on(out, "HB12", 14, 5);
    assert_string_equal(out, "OK ON HB12 14:05");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_on(out, "HB", 0, 0);
    assert_string_equal(out, "OK ON HB 00:00");
    assert_int_equal(n, 14);
    n = prc_reply_on(out, NULL, 9, 7);
    assert_string_equal(out, "OK ON 09:07");
    assert_int_equal(n, 11);
    n = prc_reply_on(out, "", 23, 59);
    assert_string_equal(out, "OK ON 23:59");
    check_reply(out, n, PRC_REPLY_BODY_MAX);

    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        n = prc_reply_off(out, off[i].minutes);
        assert_string_equal(out, off[i].want);
        check_reply(out, n, PRC_REPLY_BODY_MAX);
    }
}

static void test_err(void **state)
{
    char out[PRC_REPLY_BUF];
    char big[2000];
    size_t n;

    (void)state;
    n = prc_reply_err(out, PRC_FIELD_CODE, "%s unknown. Did you mean %s? Send HELP for codes",
                      "ABS", "ASB");
    assert_string_equal(out, "ERR CODE: ABS unknown. Did you mean ASB? Send HELP for codes");
    check_reply(out, n, PRC_REPLY_BODY_MAX);

    n = prc_reply_err(out, PRC_FIELD_LENGTH, "%d chars, max %d. Shorten the details", 481, 480);
    assert_string_equal(out, "ERR LENGTH: 481 chars, max 480. Shorten the details");
    assert_int_equal(n, strlen(out));

    /* Long ASCII: cut at exactly the body cap. */
    memset(big, 'x', 1500);
    big[1500] = '\0';
    n = prc_reply_err(out, PRC_FIELD_FORMAT, "%s", big);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_int_equal(septets(out), PRC_REPLY_BODY_MAX);
    assert_memory_equal(out, "ERR FORMAT: xxx", 15);

    /* Extension characters (2 septets, 3 bytes): cut on a character boundary. */
    repeat(big, sizeof big, "\xE2\x82\xAC", 200);
    n = prc_reply_err(out, PRC_FIELD_REF, "%s", big);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_true(septets(out) >= PRC_REPLY_BODY_MAX - 1);

    /* Non-GSM text becomes '?', control characters spaces. */
    n = prc_reply_err(out, PRC_FIELD_LOCATION, "%s unknown", "\xF0\x9F\x98\x80X\nY\xC3\xA9");
    assert_string_equal(out, "ERR LOCATION: ?X Y\xC3\xA9 unknown");
    check_reply(out, n, PRC_REPLY_BODY_MAX);

    n = prc_reply_err(out, PRC_FIELD_AUTH, "unknown sender");
    assert_string_equal(out, "ERR AUTH: unknown sender");
    assert_int_equal(n, 24);
    n = prc_reply_err(out, PRC_FIELD_PRIORITY, "P5 not valid");
    assert_string_equal(out, "ERR PRIORITY: P5 not valid");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
}

static void test_dup(void **state)
{
    char out[PRC_REPLY_BUF];
    char orig[PRC_REPLY_BUF * 2];
    size_t n;

    (void)state;
    n = prc_reply_dup(out, "OK R1042 ASB P3 HB12");
    assert_string_equal(out, "OK R1042 ASB P3 HB12 DUP");
    check_reply(out, n, PRC_REPLY_MAX);

    /* An original at the body cap gets exactly 160. */
    memset(orig, 'a', PRC_REPLY_BODY_MAX);
    orig[PRC_REPLY_BODY_MAX] = '\0';
    n = prc_reply_dup(out, orig);
    check_reply(out, n, PRC_REPLY_MAX);
    assert_int_equal(septets(out), PRC_REPLY_MAX);
    assert_string_equal(out + n - 4, " DUP");

    /* A too-long original is cut so that the result still fits. */
    memset(orig, 'b', 300);
    orig[300] = '\0';
    n = prc_reply_dup(out, orig);
    check_reply(out, n, PRC_REPLY_MAX);
    assert_string_equal(out + n - 4, " DUP");

    repeat(orig, sizeof orig, "\xE2\x82\xAC", 100);
    n = prc_reply_dup(out, orig);
    check_reply(out, n, PRC_REPLY_MAX);
    assert_string_equal(out + n - 4, " DUP");
}

static void test_help_default(void **state)
{
    prc_codes *codes = prc_codes_default();
    char out[PRC_REPLY_BUF];
    size_t n;

    (void)state;
    assert_non_null(codes);
    n = prc_reply_help(out, codes);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_non_null(strstr(out, "CODE (P1-4) PLACE"));
    assert_non_null(strstr(out, "UPD/CLR/ACK Rn"));
    assert_non_null(strstr(out, "ON zone"));
    assert_non_null(strstr(out, "HELP ZONES"));
    assert_null(strstr(out, "..."));
    /* Every default code is listed, each as a whole word. */
    for (size_t i = 0; i < prc_codes_count(codes); i++) {
        char word[32];

        snprintf(word, sizeof word, " %s", prc_codes_at(codes, i)->code);
        assert_non_null(strstr(out, word));
    }
    assert_string_equal(out + n - 4, " ENG");
    prc_codes_free(codes);
}

static void test_help_many_codes(void **state)
{
    char csv[8192];
    char err[PRC_ERR_MAX];
    char out[PRC_REPLY_BUF];
    size_t len;
    size_t n;
    prc_codes *codes;

    (void)state;
    len = (size_t)snprintf(csv, sizeof csv, "code,aliases,name,priority,alert\n");
    for (int i = 0; i < 40; i++) {
        len += (size_t)snprintf(csv + len, sizeof csv - len, "LONGCODEX%c%c,,test %d,3,yes\n",
                                'A' + i / 26, 'A' + i % 26, i);
    }
    codes = prc_codes_load(csv, len, "many.csv", err, sizeof err);
    if (codes == NULL) {
        fail_msg("load: %s", err);
    }
    n = prc_reply_help(out, codes);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_string_equal(out + n - 4, " ...");
    assert_non_null(strstr(out, " LONGCODEXAA"));
    assert_null(strstr(out, "LONGCODEXBN")); /* the 40th cannot fit */
    prc_codes_free(codes);

    /* No table: still a useful, bounded reply. */
    n = prc_reply_help(out, NULL);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_non_null(strstr(out, "CODE (P1-4) PLACE"));
}

/* HELP <code>: name, default priority, alerting, an example, the aliases. */
static void test_help_code(void **state)
{
    prc_codes *codes = prc_codes_default();
    char out[PRC_REPLY_BUF];
    prc_code big;
    size_t n;

    (void)state;
    assert_non_null(codes);
    n = prc_reply_help_code(out, prc_codes_find(codes, "RTC", 3));
    assert_string_equal(out, "RTC: road traffic collision. Default P1, alerts partners. "
                             "e.g. RTC HB12 details Also: RTA CRASH");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_help_code(out, prc_codes_find(codes, "ENG", 3));
    assert_non_null(strstr(out, "ENG: engagement"));
    assert_non_null(strstr(out, "Default P4, never alerts."));
    assert_null(strstr(out, "Also:"));
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    /* hostile: the longest name and aliases are cut to fit */
    memset(&big, 0, sizeof big);
    memset(big.code, 'C', PRC_CODE_MAX);
    repeat(big.name, sizeof big.name, "\xE2\x82\xAC", 21);
    big.naliases = PRC_MAX_CODE_ALIASES;
    for (int a = 0; a < PRC_MAX_CODE_ALIASES; a++) {
        memset(big.aliases[a], 'A' + a, PRC_CODE_MAX);
    }
    big.priority = 2;
    n = prc_reply_help_code(out, &big);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_help_code(out, NULL);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    prc_codes_free(codes);
}

/* Loads a gazetteer of nz zones "Z<i>" with names of the given unit repeated. */
static prc_gazetteer *many_zones(int nz, const char *unit, int reps)
{
    static char csv[1024 * 1024];
    char name[PRC_NAME_MAX + 1];
    char err[PRC_ERR_MAX];
    size_t len = (size_t)snprintf(csv, sizeof csv, "zone,name,lat,lon,aliases,districts\n");
    prc_gazetteer *g;

    for (int i = 0; i < nz; i++) {
        repeat(name, sizeof name, unit, reps + i % 3);
        len += (size_t)snprintf(csv + len, sizeof csv - len, "ZONE%011d,%s,51.3,1.1,,\n", i, name);
    }
    g = prc_gazetteer_load(csv, len, "many.csv", NULL, err, sizeof err);
    if (g == NULL) {
        fail_msg("load: %s", err);
    }
    return g;
}

/* Walks every page of HELP ZONES: each fits one SMS, each zone shows on
 * exactly one page, entries do not get longer within a page. Returns pages. */
static int check_zone_pages(const prc_gazetteer *g)
{
    char out[PRC_REPLY_BUF];
    size_t nz = prc_gazetteer_count(g);
    int seen[64];
    int pages = 0;
    size_t n;

    assert_true(nz <= 64);
    memset(seen, 0, sizeof seen);
    for (int p = 1; p < 1000; p++) {
        char head[32];

        n = prc_reply_help_zones(out, g, p);
        check_reply(out, n, PRC_REPLY_BODY_MAX);
        if (strncmp(out, "Zones: no page", 14) == 0) {
            break;
        }
        pages = p;
        snprintf(head, sizeof head, "Zones %d/", p);
        assert_int_equal(strncmp(out, head, strlen(head)), 0);
        for (size_t i = 0; i < nz; i++) {
            char word[PRC_ZONE_MAX + 3];

            snprintf(word, sizeof word, " %s ", prc_gazetteer_at(g, i)->zone);
            if (strstr(out, word) != NULL) {
                seen[i]++;
            }
        }
    }
    for (size_t i = 0; i < nz; i++) {
        if (seen[i] != 1) {
            fail_msg("zone %s on %d pages", prc_gazetteer_at(g, i)->zone, seen[i]);
        }
    }
    /* The last page has no "More:", the others point at the next. */
    n = prc_reply_help_zones(out, g, pages);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_null(strstr(out, "More:"));
    if (pages > 1) {
        char more[32];

        n = prc_reply_help_zones(out, g, 1);
        snprintf(more, sizeof more, " More: HELP ZONES 2");
        assert_string_equal(out + n - strlen(more), more);
    }
    return pages;
}

static void test_help_zones(void **state)
{
    static const char csv[] = "zone,name,lat,lon,aliases,districts\n"
                              "HB01,Town centre (High Street and Mortimer Street),51.37,1.12,,\n"
                              "HB04,Hampton,51.37,1.10,,\n"
                              "HB06,Beltinge,51.37,1.15,,\n";
    char err[PRC_ERR_MAX];
    char out[PRC_REPLY_BUF];
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "g.csv", NULL, err, sizeof err);
    prc_gazetteer *e = prc_gazetteer_empty();
    size_t n;

    (void)state;
    assert_non_null(g);
    assert_non_null(e);
    n = prc_reply_help_zones(out, g, 1);
    /* shortest first, ties in table order */
    assert_string_equal(out, "Zones 1/1: HB04 Hampton; HB06 Beltinge; "
                             "HB01 Town centre (High Street and Mortimer Street)");
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_help_zones(out, g, 2);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_string_equal(out, "Zones: no page 2. Send HELP ZONES 1 to 1");
    n = prc_reply_help_zones(out, g, 0);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    n = prc_reply_help_zones(out, e, 1);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_string_equal(out, "No zones set up. Use a postcode (CT6 5AB) or lat,lon (51.37,1.13)");
    n = prc_reply_help_zones(out, NULL, 1);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    assert_int_equal(check_zone_pages(g), 1);
    prc_gazetteer_free(g);
    prc_gazetteer_free(e);

    /* hostile: 15-character codes, 63-byte names of 2-septet characters */
    g = many_zones(40, "\xE2\x82\xAC", 19);
    assert_true(check_zone_pages(g) > 5);
    prc_gazetteer_free(g);
    g = many_zones(40, "Long name ", 5);
    assert_true(check_zone_pages(g) > 5);
    prc_gazetteer_free(g);
}

static void test_append(void **state)
{
    char out[PRC_REPLY_BUF];
    char more[200];
    size_t n;

    (void)state;
    n = prc_reply_report(out, 1042, &(prc_msg){.priority = 3, .location = "HB12"});
    assert_string_equal(out, "OK R1042 ? P3 HB12");
    assert_int_equal(n, 18);
    snprintf(out, sizeof out, "OK R1042 ASB P3 HB12");
    n = prc_reply_append(out, "Partners alerted");
    assert_string_equal(out, "OK R1042 ASB P3 HB12 Partners alerted");
    check_reply(out, n, PRC_REPLY_BODY_MAX);

    /* Exactly to the cap: accepted; one more: unchanged. */
    memset(out, 'a', 140);
    out[140] = '\0';
    memset(more, 'b', 15);
    more[15] = '\0';
    n = prc_reply_append(out, more);
    assert_int_equal(n, 156);
    check_reply(out, n, PRC_REPLY_BODY_MAX);
    memset(out, 'a', 141);
    out[141] = '\0';
    n = prc_reply_append(out, more);
    assert_int_equal(n, 141);
    assert_int_equal(strlen(out), 141);

    snprintf(out, sizeof out, "OK");
    n = prc_reply_append(out, "");
    assert_int_equal(n, 2);
    n = prc_reply_append(out, "\xF0\x9F\x98\x80");
    assert_string_equal(out, "OK ?");
    assert_int_equal(n, 4);
}

static void test_echo(void **state)
{
    char out[PRC_REPLY_BUF];
    char small[5];
    size_t n;
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cases[] = {
        {"ABS", PRC_ECHO_MAX, "ABS"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", PRC_ECHO_MAX, "ABCDEFGHIJKLMNOP"},
        {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", PRC_ECHO_MAX, "??"},
        {"caf\xC3\xA9", PRC_ECHO_MAX, "caf\xC3\xA9"},
        {"a\nb\tc", PRC_ECHO_MAX, "a b c"},
        {"\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", 2, "\xE2\x82\xAC\xE2\x82\xAC"},
        {"\xE4\xBD\xA0\xE5\xA5\xBD", PRC_ECHO_MAX, "??"},
        {"abc", 0, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n = prc_reply_echo(out, sizeof out, cases[i].in, strlen(cases[i].in), cases[i].max);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(n, strlen(out));
    }
    /* 20 emoji: 16 characters, each '?'. */
    {
        char in[100];

        repeat(in, sizeof in, "\xF0\x9F\x98\x80", 20);
        n = prc_reply_echo(out, sizeof out, in, strlen(in), PRC_ECHO_MAX);
        assert_int_equal(n, PRC_ECHO_MAX);
    }
    /* A small buffer bounds the copy and keeps the NUL. */
    n = prc_reply_echo(small, sizeof small, "ABCDEFGH", 8, PRC_ECHO_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(small, "ABCD");
    /* Only len bytes are read. */
    n = prc_reply_echo(out, sizeof out, "ABCDEF", 3, PRC_ECHO_MAX);
    assert_string_equal(out, "ABC");
    assert_int_equal(n, 3);
    assert_int_equal(prc_reply_echo(small, 0, "A", 1, 4), 0);
}

static void test_names(void **state)
{
    static const struct {
        prc_field f;
        const char *name;
    } fields[] = {
        {PRC_FIELD_NONE, ""},          {PRC_FIELD_CODE, "CODE"},
        {PRC_FIELD_PRIORITY, "PRIORITY"}, {PRC_FIELD_LOCATION, "LOCATION"},
        {PRC_FIELD_REF, "REF"},        {PRC_FIELD_FORMAT, "FORMAT"},
        {PRC_FIELD_LENGTH, "LENGTH"},  {PRC_FIELD_AUTH, "AUTH"},
    };
    static const struct {
        prc_kind k;
        const char *name;
    } kinds[] = {
        {PRC_KIND_REPORT, "report"}, {PRC_KIND_UPD, "upd"}, {PRC_KIND_CLR, "clr"},
        {PRC_KIND_ACK, "ack"},       {PRC_KIND_ON, "on"},   {PRC_KIND_OFF, "off"},
        {PRC_KIND_HELP, "help"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        assert_string_equal(prc_field_name(fields[i].f), fields[i].name);
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        assert_string_equal(prc_kind_name(kinds[i].k), kinds[i].name);
    }
    assert_string_equal(prc_field_name((prc_field)99), "");
    assert_string_equal(prc_kind_name((prc_kind)99), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),     cmocka_unit_test(test_ref_on_off),
        cmocka_unit_test(test_err),        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_help_default), cmocka_unit_test(test_help_many_codes),
        cmocka_unit_test(test_append),     cmocka_unit_test(test_echo),
        cmocka_unit_test(test_names),      cmocka_unit_test(test_help_code),
        cmocka_unit_test(test_help_zones),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
