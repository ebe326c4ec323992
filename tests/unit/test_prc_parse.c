/* test_prc_parse.c: the PRC/1 parser (prc_parse.c) against the default code
 * table and the sample gazetteer docs/examples/hernebay/gazetteer.csv. */
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

#define EMOJI "\xF0\x9F\x98\x80"
#define EURO "\xE2\x82\xAC"
#define E_ACUTE "\xC3\xA9"

static prc_codes *codes;
static prc_gazetteer *gaz;
static prc_parse_ctx ctx;

/* Reads the sample gazetteer from the source tree (ctest sets PATROL_SOURCE). */
static int setup(void **state)
{
    const char *src = getenv("PATROL_SOURCE");
    char path[1024];
    char err[PRC_ERR_MAX];
    char *buf = NULL;
    size_t n;
    FILE *f;

    (void)state;
    codes = prc_codes_default();
    if (codes == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/docs/examples/hernebay/gazetteer.csv",
             src != NULL ? src : ".");
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    buf = malloc((size_t)PRC_TABLE_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, (size_t)PRC_TABLE_FILE_MAX, f);
    if (ferror(f)) {
        n = 0;
    }
    fclose(f);
    gaz = prc_gazetteer_load(buf, n, path, codes, err, sizeof err);
    free(buf);
    if (gaz == NULL) {
        fprintf(stderr, "gazetteer: %s\n", err);
        return -1;
    }
    ctx.codes = codes;
    ctx.gaz = gaz;
    ctx.radius_km = 1.0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    prc_gazetteer_free(gaz);
    prc_codes_free(codes);
    return 0;
}

/* Expected zone: a literal, "@ALIAS" for the zone of that landmark, or NULL
 * for "not checked". */
static const char *want_zone(const char *spec)
{
    if (spec != NULL && spec[0] == '@') {
        const prc_zone *z = prc_gazetteer_find(gaz, spec + 1, strlen(spec + 1), NULL);

        assert_non_null(z);
        return z->zone;
    }
    return spec;
}

static prc_field parse(const char *text, prc_msg *m)
{
    return prc_parse(&ctx, text, strlen(text), m);
}

static void assert_details(const char *name, const char *text, const prc_msg *m,
                           const char *want)
{
    size_t len = strlen(text);

    assert_true(m->details_off <= len);
    assert_true(m->details_len <= len - m->details_off);
    if (m->details_len != strlen(want) || memcmp(text + m->details_off, want, m->details_len) != 0) {
        fail_msg("%s: details '%.*s', want '%s'", name, (int)m->details_len,
                 text + m->details_off, want);
    }
}

/* ---- reports that parse ---- */

typedef struct ok_case {
    const char *text;
    const char *code;     /* canonical */
    int prio;
    int given;
    prc_loc_kind lk;
    const char *location;
    const char *zone;     /* see want_zone() */
    const char *details;
} ok_case;

static const ok_case ok_cases[] = {
    /* separators */
    {"ASB P2 HB12 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB/P2/HB12/youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB;P2;HB12;youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB\tP2\tHB12\tyouths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB //; P2 ;;/ HB12 \t youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB\xC2\xA0P2\xC2\xA0HB12\xC2\xA0youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB\xE2\x80\x83P2\xE2\x80\x83HB12 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB\xE3\x80\x80HB12\xE3\x80\x80youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"  \t ASB HB12 youths \t\r\n ", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"\xE3\x80\x80" "ASB HB12 youths\xC2\xA0\xE2\x80\x83", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB\nHB12\nyouths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    /* case */
    {"asb p2 hb12 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"Asb P4 Hb01", "ASB", 4, 1, PRC_LOC_ZONE, "HB01", "HB01", ""},
    /* aliases and default priorities */
    {"FIGHT HB12 two males", "VIO", 1, 0, PRC_LOC_ZONE, "HB12", "HB12", "two males"},
    {"fight hb12", "VIO", 1, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"knife HB03", "WPN", 1, 0, PRC_LOC_ZONE, "HB03", "HB03", ""},
    {"WELF HB12", "MH", 2, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"SHOP HB12", "THEFT", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"fly HB12 mattress", "ENV", 4, 0, PRC_LOC_ZONE, "HB12", "HB12", "mattress"},
    {"ENG HB12", "ENG", 4, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    /* priority after the location */
    {"ASB HB12 P2 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB HB12 p1", "ASB", 1, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"VIO HB12 P4", "VIO", 4, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    /* details that merely start with P after the location */
    {"ASB HB12 PC on scene", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "PC on scene"},
    {"ASB HB12 Pm later", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "Pm later"},
    {"ASB HB12 P", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "P"},
    {"ASB HB12 P2 P3", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "P3"},
    {"ASB HB12 P2 PX", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "PX"},
    /* a landmark starting with P right after the code is a place */
    {"ASB PIER youths", "ASB", 3, 0, PRC_LOC_ALIAS, "PIER", "@PIER", "youths"},
    {"fight/pier/p1/two males", "VIO", 1, 1, PRC_LOC_ALIAS, "PIER", "@PIER", "two males"},
    {"ASB P2 pier", "ASB", 2, 1, PRC_LOC_ALIAS, "PIER", "@PIER", ""},
    /* postcodes */
    {"DMG CT6 5AB graffiti", "DMG", 4, 0, PRC_LOC_POSTCODE, "CT6 5AB", NULL, "graffiti"},
    {"DMG ct65ab graffiti", "DMG", 4, 0, PRC_LOC_POSTCODE, "CT6 5AB", NULL, "graffiti"},
    {"DMG ct6/5ab", "DMG", 4, 0, PRC_LOC_POSTCODE, "CT6 5AB", NULL, ""},
    {"DMG EC1A 1BB x", "DMG", 4, 0, PRC_LOC_POSTCODE, "EC1A 1BB", "", "x"},
    {"DMG ec1a1bb", "DMG", 4, 0, PRC_LOC_POSTCODE, "EC1A 1BB", "", ""},
    {"DMG W1A 0AX", "DMG", 4, 0, PRC_LOC_POSTCODE, "W1A 0AX", "", ""},
    {"DMG GIR 0AA", "DMG", 4, 0, PRC_LOC_POSTCODE, "GIR 0AA", "", ""},
    {"DMG gir0aa P1", "DMG", 1, 1, PRC_LOC_POSTCODE, "GIR 0AA", "", ""},
    {"DMG P2 SW1A 2AA", "DMG", 2, 1, PRC_LOC_POSTCODE, "SW1A 2AA", "", ""},
    /* coordinates (the point 0,0 is far from any zone) */
    {"SUS 0,0 boat", "SUS", 3, 0, PRC_LOC_LATLON, "0,0", "", "boat"},
    {"SUS +0.5,+12.25", "SUS", 3, 0, PRC_LOC_LATLON, "0.5,12.25", "", ""},
    {"SUS -33.8688,151.2093", "SUS", 3, 0, PRC_LOC_LATLON, "-33.8688,151.2093", "", ""},
    {"SUS 90,180", "SUS", 3, 0, PRC_LOC_LATLON, "90,180", "", ""},
    {"SUS -90,-180", "SUS", 3, 0, PRC_LOC_LATLON, "-90,-180", "", ""},
    {"SUS 90.0000,-180.0000 P2", "SUS", 2, 1, PRC_LOC_LATLON, "90.0000,-180.0000", "", ""},
    /* forgiving: a priority before the code */
    {"P1 RTC HB03 car v cyclist", "RTC", 1, 1, PRC_LOC_ZONE, "HB03", "HB03", "car v cyclist"},
    {"p2 asb hb12 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"P 1 RTC HB03 car", "RTC", 1, 1, PRC_LOC_ZONE, "HB03", "HB03", "car"},
    {"P! VIO HB01", "VIO", 1, 1, PRC_LOC_ZONE, "HB01", "HB01", ""},
    {"P1, RTC HB03", "RTC", 1, 1, PRC_LOC_ZONE, "HB03", "HB03", ""},
    /* forgiving: P! (the shifted 1), P 1 in two, trailing punctuation */
    {"VIO P! HB01 two males fighting", "VIO", 1, 1, PRC_LOC_ZONE, "HB01", "HB01", "two males fighting"},
    {"ASB P! HB12", "ASB", 1, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ASB p 1 HB12 youths", "ASB", 1, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB P 2 HB12", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ASB P2. HB12", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ASB HB12 P 2 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB HB12 P2, youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB HB12 P!", "ASB", 1, 1, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"Fire. HB04", "FIRE", 1, 0, PRC_LOC_ZONE, "HB04", "HB04", ""},
    {"FIRE! HB04. smoke", "FIRE", 1, 0, PRC_LOC_ZONE, "HB04", "HB04", "smoke"},
    {"asb hb12, youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"ASB PIER. youths", "ASB", 3, 0, PRC_LOC_ALIAS, "PIER", "@PIER", "youths"},
    {"DMG CT6 5AB. graffiti", "DMG", 4, 0, PRC_LOC_POSTCODE, "CT6 5AB", NULL, "graffiti"},
    /* forgiving: a zone code typed in two */
    {"ASB HB 12 youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    {"asb hb 12", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ASB HB 12. P2 youths", "ASB", 2, 1, PRC_LOC_ZONE, "HB12", "HB12", "youths"},
    /* forgiving: lat,lon with spaces */
    {"SUS 51.3731, 1.1281 male", "SUS", 3, 0, PRC_LOC_LATLON, "51.3731,1.1281", "HB01", "male"},
    {"SUS 51.3731 , 1.1281", "SUS", 3, 0, PRC_LOC_LATLON, "51.3731,1.1281", "HB01", ""},
    {"SUS 51.3731 ,1.1281", "SUS", 3, 0, PRC_LOC_LATLON, "51.3731,1.1281", "HB01", ""},
    {"SUS 51.37, 1.12", "SUS", 3, 0, PRC_LOC_LATLON, "51.37,1.12", NULL, ""},
    {"SUS 0.5, 12.25 boat", "SUS", 3, 0, PRC_LOC_LATLON, "0.5,12.25", "", "boat"},
    {"misper 51.37 1.13 elderly lady", "MISPER", 1, 0, PRC_LOC_LATLON, "51.37,1.13", "HB01", "elderly lady"},
    {"SUS 51.3731,1.1281.", "SUS", 3, 0, PRC_LOC_LATLON, "51.3731,1.1281", "HB01", ""},
    /* numbers and P-words in the details are never eaten */
    {"ASB HB12 2 youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "2 youths"},
    {"ASB HB01 12 youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB01", "HB01", "12 youths"},
    {"ASB PIER 2 males", "ASB", 3, 0, PRC_LOC_ALIAS, "PIER", "@PIER", "2 males"},
    {"ASB HB12 P 12 youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "P 12 youths"},
    {"ASB HB12 P youths", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "P youths"},
    {"SUS HB12 51.37 1.13", "SUS", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "51.37 1.13"},
    {"ASB HB12 youths P1", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths P1"},
    {"ASB HB12 youths, P 1.", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths, P 1."},
    /* details kept exactly */
    {"ASB HB12 youths  on   bikes", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths  on   bikes"},
    {"ASB HB12 youths " EMOJI " x/y;z", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths " EMOJI " x/y;z"},
    {"ASB/HB12/youths/on/bikes", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths/on/bikes"},
    {"ASB HB12 //; youths///", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "youths///"},
    {"ASB HB12  \t lots \t ", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "lots"},
    {"ASB HB12 /// ", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ASB HB12 caf" E_ACUTE "\nline two", "ASB", 3, 0, PRC_LOC_ZONE, "HB12", "HB12", "caf" E_ACUTE "\nline two"},
};

static void test_ok_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const ok_case *c = &ok_cases[i];
        const char *zone = want_zone(c->zone);
        prc_msg m;

        if (parse(c->text, &m) != PRC_FIELD_NONE) {
            fail_msg("'%s': %s", c->text, m.reply);
        }
        assert_int_equal(m.error, PRC_FIELD_NONE);
        assert_int_equal(m.kind, PRC_KIND_REPORT);
        assert_non_null(m.code);
        if (strcmp(m.code->code, c->code) != 0 || m.priority != c->prio ||
            m.priority_given != c->given || m.loc_kind != c->lk ||
            strcmp(m.location, c->location) != 0 || (zone != NULL && strcmp(m.zone, zone) != 0)) {
            fail_msg("'%s': got %s P%d given=%d lk=%d loc='%s' zone='%s'", c->text, m.code->code,
                     m.priority, m.priority_given, (int)m.loc_kind, m.location, m.zone);
        }
        assert_details(c->text, c->text, &m, c->details);
    }
}

/* ---- errors ---- */

typedef struct err_case {
    const char *text;
    prc_field field;
    const char *want; /* the whole reply, or its start when prefix is 1 */
    int prefix;
} err_case;

static const err_case err_cases[] = {
    /* empty and not text */
    {"", PRC_FIELD_FORMAT, "ERR FORMAT: empty message. Send CODE PLACE details, e.g. ASB HB12 youths", 0},
    {"   ", PRC_FIELD_FORMAT, "ERR FORMAT: empty message.", 1},
    {"\t\r\n", PRC_FIELD_FORMAT, "ERR FORMAT: empty message.", 1},
    {"/;/ ;", PRC_FIELD_FORMAT, "ERR FORMAT: empty message.", 1},
    {"\xC2\xA0\xE3\x80\x80", PRC_FIELD_FORMAT, "ERR FORMAT: empty message.", 1},
    {"ASB HB12 \xFF", PRC_FIELD_FORMAT, "ERR FORMAT: not valid text (UTF-8). Send CODE PLACE details, e.g. ASB HB12 youths", 0},
    {"ASB HB12 \xC0\xAF", PRC_FIELD_FORMAT, "ERR FORMAT: not valid text (UTF-8).", 1},
    {"ASB HB12 \xED\xA0\x80", PRC_FIELD_FORMAT, "ERR FORMAT: not valid text (UTF-8).", 1},
    {"ASB HB12 \xE2\x82", PRC_FIELD_FORMAT, "ERR FORMAT: not valid text (UTF-8).", 1},
    /* codes */
    {"ABS HB12", PRC_FIELD_CODE, "ERR CODE: ABS unknown. Did you mean ASB", 1},
    {"abs hb12", PRC_FIELD_CODE, "ERR CODE: abs unknown. Did you mean ASB", 1},
    {"XYZZY HB12", PRC_FIELD_CODE, "ERR CODE: XYZZY unknown. Send HELP for codes", 0},
    {"HB12 ASB", PRC_FIELD_CODE, "ERR CODE: HB12 unknown.", 1},
    {"P1 XYZZY HB12", PRC_FIELD_CODE, "ERR CODE: XYZZY unknown.", 1},
    {"P5 XYZZY HB12", PRC_FIELD_CODE, "ERR CODE: P5 unknown.", 1},
    {"P1", PRC_FIELD_CODE, "ERR CODE: P1 unknown.", 1},
    {"P1 HB12 ASB", PRC_FIELD_CODE, "ERR CODE: HB12 unknown.", 1},
    {EMOJI EMOJI " HB12", PRC_FIELD_CODE, "ERR CODE: ?? unknown. Send HELP for codes", 0},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZ HB12", PRC_FIELD_CODE, "ERR CODE: ABCDEFGHIJKLMNOP unknown. Send HELP for codes", 0},
    /* priorities after the code */
    {"ASB P0 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P0 not valid. Use P1 (life at risk) to P4 (info)", 0},
    {"ASB P5 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P5 not valid. Use P1 (life at risk) to P4 (info)", 0},
    {"ASB p12 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: p12 not valid.", 1},
    {"ASB P01 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P01 not valid.", 1},
    {"ASB PX HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: PX not valid.", 1},
    {"ASB P? HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P? not valid.", 1},
    {"ASB P" E_ACUTE " HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P" E_ACUTE " not valid.", 1},
    /* priorities after the location */
    {"ASB HB12 P0", PRC_FIELD_PRIORITY, "ERR PRIORITY: P0 not valid.", 1},
    {"ASB HB12 P5 youths", PRC_FIELD_PRIORITY, "ERR PRIORITY: P5 not valid.", 1},
    {"ASB HB12 P12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P12 not valid.", 1},
    {"ASB HB12 px youths", PRC_FIELD_PRIORITY, "ERR PRIORITY: px not valid.", 1},
    {"ASB PIER P9", PRC_FIELD_PRIORITY, "ERR PRIORITY: P9 not valid.", 1},
    /* twice */
    {"ASB P2 HB12 P3", PRC_FIELD_PRIORITY, "ERR PRIORITY: P3 given twice. Give one priority, P1 to P4", 0},
    {"ASB P2 P3 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P3 given twice.", 1},
    {"ASB P2 P2 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P2 given twice.", 1},
    /* locations */
    {"ASB", PRC_FIELD_LOCATION, "ERR LOCATION: missing. Send CODE PLACE details, e.g. ASB HB12 youths", 1},
    {"ASB P2", PRC_FIELD_LOCATION, "ERR LOCATION: missing.", 1},
    {"ASB ///", PRC_FIELD_LOCATION, "ERR LOCATION: missing.", 1},
    {"ASB XY99 youths", PRC_FIELD_LOCATION, "ERR LOCATION: XY99 unknown. Use a zone (", 1},
    {"ASB HB99", PRC_FIELD_LOCATION, "ERR LOCATION: HB99 unknown.", 1},
    {"ASB PC on scene", PRC_FIELD_PRIORITY, "ERR PRIORITY: PC not valid.", 1},
    {"ASB PCSO on scene", PRC_FIELD_LOCATION, "ERR LOCATION: PCSO unknown.", 1},
    {"DMG QQ1 1AA", PRC_FIELD_LOCATION, "ERR LOCATION: QQ1 unknown.", 1},
    {"DMG EC1A 1CB", PRC_FIELD_LOCATION, "ERR LOCATION: EC1A unknown.", 1},
    {"DMG EC1A", PRC_FIELD_LOCATION, "ERR LOCATION: EC1A unknown.", 1},
    {"DMG SW1A", PRC_FIELD_LOCATION, "ERR LOCATION: SW1A unknown.", 1},
    {"SUS 90.0001,0", PRC_FIELD_LOCATION, "ERR LOCATION: 90.0001,0 unknown.", 1},
    {"SUS -90.0001,0", PRC_FIELD_LOCATION, "ERR LOCATION: -90.0001,0 unknown.", 1},
    {"SUS 0,180.0001", PRC_FIELD_LOCATION, "ERR LOCATION: 0,180.0001 unknown.", 1},
    {"SUS 0,-180.0001", PRC_FIELD_LOCATION, "ERR LOCATION: 0,-180.0001 unknown.", 1},
    {"SUS 51.37,, 1.12", PRC_FIELD_LOCATION, "ERR LOCATION: 51.37,, unknown.", 1},
    {"SUS 1e1,1", PRC_FIELD_LOCATION, "ERR LOCATION: 1e1,1 unknown.", 1},
    {"SUS 51.37310000000000000000000000000000000,1.1", PRC_FIELD_LOCATION,
     "ERR LOCATION: lat,lon too long, max 40 chars. Use e.g. 51.3731,1.1281", 0},
    /* forgiving, but not a guess */
    {"ASB P 5 HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P 5 not valid.", 1},
    {"ASB HB12 P 0 youths", PRC_FIELD_PRIORITY, "ERR PRIORITY: P 0 not valid.", 1},
    {"P5 ASB HB12", PRC_FIELD_PRIORITY, "ERR PRIORITY: P5 not valid.", 1},
    {"P1 RTC P2 HB03", PRC_FIELD_PRIORITY, "ERR PRIORITY: P2 given twice.", 1},
    {"VIO PX HB01 P9", PRC_FIELD_PRIORITY, "ERR PRIORITY: P9 given twice.", 1},
    {"VIO PX P2 HB01", PRC_FIELD_PRIORITY, "ERR PRIORITY: P2 given twice.", 1},
    {"VIO P2 HB01 PX", PRC_FIELD_PRIORITY, "ERR PRIORITY: PX given twice.", 1},
    {"ASB 3 4 youths", PRC_FIELD_LOCATION, "ERR LOCATION: 3 unknown.", 1},
    {"SUS 1.5 2.5 boat", PRC_FIELD_LOCATION, "ERR LOCATION: 1.5 unknown.", 1},
    {"VIO 2, 3 males", PRC_FIELD_LOCATION, "ERR LOCATION: 2, unknown.", 1},
    {"VIO 2 , 3 males", PRC_FIELD_LOCATION, "ERR LOCATION: 2 unknown.", 1},
    {"VIO 51.37, 3 males", PRC_FIELD_LOCATION, "ERR LOCATION: 51.37, unknown.", 1},
    {"ASB hb1", PRC_FIELD_LOCATION,
     "ERR LOCATION: hb1 unknown. Did you mean HB01, HB10, HB11 or HB12? Or a postcode or lat,lon", 0},
    {"ASB HB 1 youths", PRC_FIELD_LOCATION,
     "ERR LOCATION: HB 1 unknown. Did you mean HB01, HB10, HB11 or HB12?", 1},
    {"ASB PEIR youths", PRC_FIELD_LOCATION,
     "ERR LOCATION: PEIR unknown. Did you mean PIER? Or a postcode or lat,lon", 0},
    {"ASB HB99.", PRC_FIELD_LOCATION, "ERR LOCATION: HB99. unknown. Did you mean HB09?", 1},
    {"ON hb13", PRC_FIELD_LOCATION,
     "ERR LOCATION: hb13 unknown. Did you mean HB03, HB10, HB11 or HB12? Or send ON alone", 0},
    /* commands: references */
    {"UPD", PRC_FIELD_REF, "ERR REF: missing. Send UPD R1042 details", 0},
    {"CLR", PRC_FIELD_REF, "ERR REF: missing. Send CLR R1042", 0},
    {"ack ", PRC_FIELD_REF, "ERR REF: missing. Send ACK R1042", 0},
    {"UPD R10X2 hi", PRC_FIELD_REF, "ERR REF: R10X2 not a reference. Use R1042 or 1042, e.g. UPD R1042 details", 0},
    {"UPD R", PRC_FIELD_REF, "ERR REF: R not a reference.", 1},
    {"CLR R0", PRC_FIELD_REF, "ERR REF: R0 not a reference. Use R1042 or 1042, e.g. CLR R1042", 0},
    {"ACK R12a", PRC_FIELD_REF, "ERR REF: R12a not a reference. Use R1042 or 1042, e.g. ACK R1042", 0},
    {"UPD 1234567890123", PRC_FIELD_REF, "ERR REF: 1234567890123 not a reference.", 1},
    {"UPD HB12 x", PRC_FIELD_REF, "ERR REF: HB12 not a reference.", 1},
    /* commands: ON */
    {"ON XX9", PRC_FIELD_LOCATION, "ERR LOCATION: XX9 unknown. Send ON with a zone (", 1},
    {"ON 51.37,1.13", PRC_FIELD_LOCATION, "ERR LOCATION: 51.37,1.13 unknown.", 1},
    {"ON EC1A 1BB", PRC_FIELD_LOCATION, "ERR LOCATION: EC1A unknown.", 1},
};

static void test_err_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *c = &err_cases[i];
        prc_msg m;
        prc_field f = parse(c->text, &m);
        int ok = c->prefix ? strncmp(m.reply, c->want, strlen(c->want)) == 0
                           : strcmp(m.reply, c->want) == 0;

        if (f != c->field || m.error != c->field || !ok) {
            fail_msg("'%s': got %s '%s', want %s '%s'", c->text, prc_field_name(f), m.reply,
                     prc_field_name(c->field), c->want);
        }
        assert_true(prc_gsm7_len(m.reply, strlen(m.reply)) <= PRC_REPLY_BODY_MAX);
    }
}

static void test_code_suggestions(void **state)
{
    prc_msg m;
    const prc_code *sug[3];
    size_t n = prc_codes_suggest(codes, "ABS", 3, sug, 3);
    char want[PRC_REPLY_BUF];

    (void)state;
    /* The reply lists exactly what the code table suggests, in its order. */
    assert_true(n >= 1);
    assert_string_equal(sug[0]->code, "ASB");
    if (n == 1) {
        snprintf(want, sizeof want, "ERR CODE: ABS unknown. Did you mean ASB? Send HELP for codes");
    } else if (n == 2) {
        snprintf(want, sizeof want, "ERR CODE: ABS unknown. Did you mean ASB or %s? Send HELP for codes",
                 sug[1]->code);
    } else {
        snprintf(want, sizeof want,
                 "ERR CODE: ABS unknown. Did you mean ASB, %s or %s? Send HELP for codes",
                 sug[1]->code, sug[2]->code);
    }
    assert_int_equal(parse("ABS HB12", &m), PRC_FIELD_CODE);
    assert_string_equal(m.reply, want);

    /* One suggestion only. */
    assert_int_equal(prc_codes_suggest(codes, "FIREE", 5, sug, 3), 1);
    assert_int_equal(parse("FIREE HB12", &m), PRC_FIELD_CODE);
    assert_string_equal(m.reply, "ERR CODE: FIREE unknown. Did you mean FIRE? Send HELP for codes");

    /* A long unknown code with emoji is echoed cut and sanitised. */
    assert_int_equal(parse(EMOJI "ABSABSABSABSABSABSABSABS HB12", &m), PRC_FIELD_CODE);
    assert_non_null(strstr(m.reply, "?ABSABSABSABSABS unknown"));
}

/* ---- length ---- */

static void fill(char *buf, const char *head, const char *unit, size_t chars_total)
{
    size_t n = strlen(head);
    size_t chars = prc_utf8_count(head, n);

    memcpy(buf, head, n + 1);
    while (chars < chars_total) {
        size_t u = strlen(unit);

        memcpy(buf + n, unit, u + 1);
        n += u;
        chars++;
    }
}

static void test_length(void **state)
{
    static char buf[PRC_MSG_MAX_BYTES * 2 + 16];
    prc_msg m;

    (void)state;
    fill(buf, "ASB HB12 ", "x", PRC_MSG_MAX_CHARS);
    assert_int_equal(parse(buf, &m), PRC_FIELD_NONE);
    assert_int_equal(m.details_len, PRC_MSG_MAX_CHARS - 9);

    fill(buf, "ASB HB12 ", "x", PRC_MSG_MAX_CHARS + 1);
    assert_int_equal(parse(buf, &m), PRC_FIELD_LENGTH);
    assert_string_equal(m.reply, "ERR LENGTH: 481 chars, max 480. Shorten the details");

    /* Characters, not bytes: 480 two-byte characters are fine. */
    fill(buf, "ASB HB12 ", E_ACUTE, PRC_MSG_MAX_CHARS);
    assert_int_equal(strlen(buf), 9 + 2 * (PRC_MSG_MAX_CHARS - 9));
    assert_int_equal(parse(buf, &m), PRC_FIELD_NONE);
    fill(buf, "ASB HB12 ", E_ACUTE, PRC_MSG_MAX_CHARS + 1);
    assert_int_equal(parse(buf, &m), PRC_FIELD_LENGTH);
    assert_string_equal(m.reply, "ERR LENGTH: 481 chars, max 480. Shorten the details");

    /* 480 four-byte characters: exactly PRC_MSG_MAX_BYTES bytes, still fine. */
    fill(buf, "ASB HB12 ", EMOJI, PRC_MSG_MAX_CHARS);
    assert_int_equal(parse(buf, &m), PRC_FIELD_NONE);
    fill(buf, "", EMOJI, PRC_MSG_MAX_CHARS);
    assert_int_equal(strlen(buf), PRC_MSG_MAX_BYTES);
    assert_int_equal(parse(buf, &m), PRC_FIELD_CODE);

    /* 481 characters under the byte cap: counted; over the byte cap: refused
     * before the text is even checked (0xFF is not UTF-8, yet LENGTH wins). */
    fill(buf, "ASB HB12 ", EMOJI, PRC_MSG_MAX_CHARS + 1);
    assert_int_equal(parse(buf, &m), PRC_FIELD_LENGTH);
    assert_string_equal(m.reply, "ERR LENGTH: 481 chars, max 480. Shorten the details");
    memset(buf, 0xFF, PRC_MSG_MAX_BYTES + 1);
    assert_int_equal(prc_parse(&ctx, buf, PRC_MSG_MAX_BYTES + 1, &m), PRC_FIELD_LENGTH);
    assert_string_equal(m.reply, "ERR LENGTH: over 480 chars (1921 bytes). Shorten the details");

    /* Trailing white space still counts toward the length. */
    fill(buf, "ASB HB12 x", " ", PRC_MSG_MAX_CHARS + 1);
    assert_int_equal(parse(buf, &m), PRC_FIELD_LENGTH);
    /* ...but an empty message is FORMAT whatever its length. */
    fill(buf, "", " ", PRC_MSG_MAX_CHARS + 1);
    assert_int_equal(parse(buf, &m), PRC_FIELD_FORMAT);
}

static void test_nul_and_unterminated(void **state)
{
    const char text[] = "ASB HB12 a\0b";
    prc_msg m;

    (void)state;
    /* A NUL byte inside the message is not text. */
    assert_int_equal(prc_parse(&ctx, text, sizeof text - 1, &m), PRC_FIELD_FORMAT);
    /* Only len bytes are read: "ASB HB12 youthsXXXX" cut at 15. */
    assert_int_equal(prc_parse(&ctx, "ASB HB12 youthsXXXX", 15, &m), PRC_FIELD_NONE);
    assert_int_equal(m.details_len, 6);
    assert_int_equal(prc_parse(&ctx, NULL, 0, &m), PRC_FIELD_FORMAT);
}

/* ---- gazetteer-driven locations ---- */

static void test_zone_coords(void **state)
{
    const prc_zone *z = prc_gazetteer_find(gaz, "HB12", 4, NULL);
    const prc_zone *pz = prc_gazetteer_find(gaz, "PIER", 4, NULL);
    prc_msg m;

    (void)state;
    assert_non_null(z);
    assert_non_null(pz);
    assert_int_equal(parse("ASB HB12", &m), PRC_FIELD_NONE);
    assert_int_equal(m.has_coords, 1);
    assert_true(m.lat == z->lat && m.lon == z->lon);
    assert_int_equal(parse("ASB PIER", &m), PRC_FIELD_NONE);
    assert_int_equal(m.has_coords, 1);
    assert_true(m.lat == pz->lat && m.lon == pz->lon);
    /* An unmapped postcode has neither zone nor coordinates. */
    assert_int_equal(parse("DMG EC1A 1BB", &m), PRC_FIELD_NONE);
    assert_int_equal(m.has_coords, 0);
    assert_string_equal(m.zone, "");
    /* Every zone of the sample resolves to itself, HB01..HB12 among them. */
    for (size_t i = 0; i < prc_gazetteer_count(gaz); i++) {
        const prc_zone *zi = prc_gazetteer_at(gaz, i);
        char text[64];

        snprintf(text, sizeof text, "INFO %s", zi->zone);
        assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
        assert_string_equal(m.zone, zi->zone);
        assert_int_equal(m.loc_kind, PRC_LOC_ZONE);
    }
    for (int i = 1; i <= 12; i++) {
        char text[32];

        snprintf(text, sizeof text, "INFO hb%02d", i);
        assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    }
}

/* The first district (no space) listed in the gazetteer, and its zone. */
static const prc_zone *mapped_district(char *out, size_t outsz)
{
    for (size_t i = 0; i < prc_gazetteer_count(gaz); i++) {
        const prc_zone *z = prc_gazetteer_at(gaz, i);

        for (int d = 0; d < z->ndistricts; d++) {
            if (strchr(z->districts[d], ' ') == NULL) {
                snprintf(out, outsz, "%s", z->districts[d]);
                return z;
            }
        }
    }
    return NULL;
}

static void test_districts(void **state)
{
    char dist[PRC_DISTRICT_MAX + 1];
    char text[64];
    char pc[16];
    const prc_zone *z = mapped_district(dist, sizeof dist);
    const prc_zone *pz;
    prc_msg m;

    (void)state;
    assert_non_null(z);
    /* A mapped district alone is a place. */
    snprintf(text, sizeof text, "DMG %s bus shelter", dist);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_int_equal(m.loc_kind, PRC_LOC_DISTRICT);
    assert_string_equal(m.location, dist);
    assert_string_equal(m.zone, z->zone);
    assert_int_equal(m.has_coords, 1);
    assert_details(text, text, &m, "bus shelter");

    /* A full postcode in it takes the zone of its sector or district. */
    snprintf(pc, sizeof pc, "%s 9ZZ", dist);
    pz = prc_gazetteer_postcode(gaz, pc);
    assert_non_null(pz);
    snprintf(text, sizeof text, "DMG %s", pc);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_int_equal(m.loc_kind, PRC_LOC_POSTCODE);
    assert_string_equal(m.location, pc);
    assert_string_equal(m.zone, pz->zone);
    assert_int_equal(m.has_coords, 1);

    /* An invalid full postcode in a mapped district reads as the district. */
    snprintf(text, sizeof text, "DMG %s 5CA", dist);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_int_equal(m.loc_kind, PRC_LOC_DISTRICT);
    assert_string_equal(m.zone, z->zone);
    assert_details(text, text, &m, "5CA");

    /* Unmapped districts are not places. */
    assert_null(prc_gazetteer_postcode(gaz, "EC1A"));
    assert_int_equal(parse("DMG EC1A graffiti", &m), PRC_FIELD_LOCATION);
    /* ON takes mapped districts and postcodes too. */
    snprintf(text, sizeof text, "ON %s", dist);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_int_equal(m.kind, PRC_KIND_ON);
    assert_string_equal(m.zone, z->zone);
    snprintf(text, sizeof text, "ON %s", pc);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_string_equal(m.zone, pz->zone);
}

static void test_latlon_radius(void **state)
{
    const prc_zone *z = prc_gazetteer_find(gaz, "HB12", 4, NULL);
    const prc_zone *near;
    char text[96];
    prc_msg m;

    (void)state;
    assert_non_null(z);
    /* On a centroid: that zone, typed coordinates. */
    snprintf(text, sizeof text, "SUS %.6f,%.6f van", z->lat, z->lon);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_int_equal(m.loc_kind, PRC_LOC_LATLON);
    assert_string_equal(m.zone, "HB12");
    assert_int_equal(m.has_coords, 1);
    assert_true(m.lat > z->lat - 1e-6 && m.lat < z->lat + 1e-6);
    assert_true(m.lon > z->lon - 1e-6 && m.lon < z->lon + 1e-6);
    assert_details(text, text, &m, "van");

    /* About 0.4 km away: the nearest zone within 1 km. */
    snprintf(text, sizeof text, "SUS %.5f,%.5f", z->lat + 0.0036, z->lon);
    near = prc_gazetteer_nearest(gaz, z->lat + 0.0036, z->lon, 1.0);
    assert_non_null(near);
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_string_equal(m.zone, near->zone);
    /* The typed coordinates are kept, not the zone's centroid. */
    assert_int_equal(m.has_coords, 1);
    assert_true(m.lat > z->lat + 0.0035 && m.lat < z->lat + 0.0037);

    /* The radius comes from the context. */
    snprintf(text, sizeof text, "SUS %.6f,%.6f", z->lat, z->lon + 0.3);
    assert_null(prc_gazetteer_nearest(gaz, z->lat, z->lon + 0.3, 1.0));
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_string_equal(m.zone, "");
    ctx.radius_km = 50.0;
    assert_int_equal(parse(text, &m), PRC_FIELD_NONE);
    assert_string_not_equal(m.zone, "");
    ctx.radius_km = 1.0;
}

/* ---- commands ---- */

typedef struct cmd_case {
    const char *text;
    prc_kind kind;
    unsigned long long ref;
    prc_loc_kind lk;
    const char *location;
    const char *zone;
    const char *details;
} cmd_case;

static const cmd_case cmd_cases[] = {
    {"UPD R1042 now dispersed", PRC_KIND_UPD, 1042, PRC_LOC_NONE, "", "", "now dispersed"},
    {"upd r1042", PRC_KIND_UPD, 1042, PRC_LOC_NONE, "", "", ""},
    {"Upd 1042 a  b", PRC_KIND_UPD, 1042, PRC_LOC_NONE, "", "", "a  b"},
    {"UPD/R01042/x", PRC_KIND_UPD, 1042, PRC_LOC_NONE, "", "", "x"},
    {"UPD 999999999999", PRC_KIND_UPD, 999999999999ULL, PRC_LOC_NONE, "", "", ""},
    {"CLR R7", PRC_KIND_CLR, 7, PRC_LOC_NONE, "", "", ""},
    {"clr r7 all quiet", PRC_KIND_CLR, 7, PRC_LOC_NONE, "", "", "all quiet"},
    {"ACK 1042", PRC_KIND_ACK, 1042, PRC_LOC_NONE, "", "", ""},
    {"ack R1042 on my way", PRC_KIND_ACK, 1042, PRC_LOC_NONE, "", "", "on my way"},
    {"ON", PRC_KIND_ON, 0, PRC_LOC_NONE, "", "", ""},
    {"on  ", PRC_KIND_ON, 0, PRC_LOC_NONE, "", "", ""},
    {"ON HB12", PRC_KIND_ON, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"on hb12 with Sam", PRC_KIND_ON, 0, PRC_LOC_ZONE, "HB12", "HB12", "with Sam"},
    {"ON PIER", PRC_KIND_ON, 0, PRC_LOC_ALIAS, "PIER", "@PIER", ""},
    {"ON HB", PRC_KIND_ON, 0, PRC_LOC_AREA, "HB", "HB", ""},
    {"on hb", PRC_KIND_ON, 0, PRC_LOC_AREA, "HB", "HB", ""},
    {"OFF", PRC_KIND_OFF, 0, PRC_LOC_NONE, "", "", ""},
    {"off see you", PRC_KIND_OFF, 0, PRC_LOC_NONE, "", "", "see you"},
    {"HELP", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", ""},
    {"help me", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", "me"},
    {"?", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", ""},
    {" ? codes", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", "codes"},
    {"HELP ZONES 2", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", "ZONES 2"},
    /* forgiving ON */
    {"ON HB 12", PRC_KIND_ON, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"on hb12.", PRC_KIND_ON, 0, PRC_LOC_ZONE, "HB12", "HB12", ""},
    {"ON pier, with Sam", PRC_KIND_ON, 0, PRC_LOC_ALIAS, "PIER", "@PIER", "with Sam"},
    {"Off.", PRC_KIND_OFF, 0, PRC_LOC_NONE, "", "", ""},
    {"Help!", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", ""},
    {"??", PRC_KIND_HELP, 0, PRC_LOC_NONE, "", "", ""},
    {"UPD. R1042 gone", PRC_KIND_UPD, 1042, PRC_LOC_NONE, "", "", "gone"},
};

/* HELP: ZONES [page], a code or alias, else the plain list of codes. */
static void test_help_topics(void **state)
{
    static const struct {
        const char *text;
        prc_help_topic help;
        int page;
        const char *code;
    } cases[] = {
        {"HELP", PRC_HELP_CODES, 1, NULL},
        {"? ", PRC_HELP_CODES, 1, NULL},
        {"help me", PRC_HELP_CODES, 1, NULL},
        {"HELP ZONES", PRC_HELP_ZONES, 1, NULL},
        {"help zone", PRC_HELP_ZONES, 1, NULL},
        {"HELP ZONES 2", PRC_HELP_ZONES, 2, NULL},
        {"? zones 12.", PRC_HELP_ZONES, 12, NULL},
        {"HELP ZONES 0", PRC_HELP_ZONES, 1, NULL},
        {"HELP ZONES 9999", PRC_HELP_ZONES, 1, NULL},
        {"HELP ZONES two", PRC_HELP_ZONES, 1, NULL},
        {"HELP RTC", PRC_HELP_CODE, 1, "RTC"},
        {"help fight", PRC_HELP_CODE, 1, "VIO"},
        {"HELP Fire.", PRC_HELP_CODE, 1, "FIRE"},
        {"HELP FIREE", PRC_HELP_CODES, 1, NULL},
        {"Help. zones, 3", PRC_HELP_ZONES, 3, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        prc_msg m;

        assert_int_equal(parse(cases[i].text, &m), PRC_FIELD_NONE);
        assert_int_equal(m.kind, PRC_KIND_HELP);
        if (m.help != cases[i].help || m.help_page != cases[i].page ||
            (cases[i].code == NULL) != (m.help_code == NULL) ||
            (cases[i].code != NULL && strcmp(m.help_code->code, cases[i].code) != 0)) {
            fail_msg("'%s': help=%d page=%d code=%s", cases[i].text, (int)m.help,
                     m.help_page, m.help_code != NULL ? m.help_code->code : "-");
        }
    }
}

/* An unreadable priority: a code whose default is P1 keeps P1 and the reply
 * says so; any other code is refused (see err_cases). */
static void test_unread_priority(void **state)
{
    static const struct {
        const char *text;
        const char *code;
        const char *unread;
        const char *reply;
    } cases[] = {
        {"VIO PX HB01 two males", "VIO", "PX", "OK R7 VIO P1 HB01 (PX unclear, default P1 used)"},
        {"RTC P5 HB03", "RTC", "P5", "OK R7 RTC P1 HB03 (P5 unclear, default P1 used)"},
        {"RTC HB03 P9 car", "RTC", "P9", "OK R7 RTC P1 HB03 (P9 unclear, default P1 used)"},
        {"P0 MED HB03", "MED", "P0", "OK R7 MED P1 HB03 (P0 unclear, default P1 used)"},
        {"RTC P 7 HB03", "RTC", "P 7", "OK R7 RTC P1 HB03 (P 7 unclear, default P1 used)"},
        {"FIGHT P? PIER", "VIO", "P?", "OK R7 VIO P1 HB02 (PIER) (P? unclear, default P1 used)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        prc_msg m;
        char out[PRC_REPLY_BUF];

        if (parse(cases[i].text, &m) != PRC_FIELD_NONE) {
            fail_msg("'%s': %s", cases[i].text, m.reply);
        }
        assert_string_equal(m.code->code, cases[i].code);
        assert_int_equal(m.priority, 1);
        assert_int_equal(m.priority_given, 0);
        assert_string_equal(m.priority_unread, cases[i].unread);
        (void)prc_reply_report(out, 7, &m);
        assert_string_equal(out, cases[i].reply);
    }
    /* a readable priority leaves no note */
    {
        prc_msg m;

        assert_int_equal(parse("VIO P! HB01", &m), PRC_FIELD_NONE);
        assert_string_equal(m.priority_unread, "");
    }
}

/* A gazetteer with multi-word landmarks and a landmark called P. */
static void test_multiword_and_p_landmark(void **state)
{
    static const char csv[] =
        "zone,name,lat,lon,aliases,districts\n"
        "HB02,Pier and west seafront,51.3738,1.1205,PIER|HERNE BAY PIER|HERNE BAY,\n"
        "HB11,Herne village,51.3480,1.1330,HERNE|HERNE MILL,\n"
        "HB05,The P,51.3700,1.1300,P,\n";
    static const ok_case cases[] = {
        {"asb Herne Bay pier youths", "ASB", 3, 0, PRC_LOC_ALIAS, "HERNE BAY PIER", "HB02", "youths"},
        {"asb herne/bay/pier. youths", "ASB", 3, 0, PRC_LOC_ALIAS, "HERNE BAY PIER", "HB02", "youths"},
        {"asb Herne Bay youths", "ASB", 3, 0, PRC_LOC_ALIAS, "HERNE BAY", "HB02", "youths"},
        {"asb Herne youths", "ASB", 3, 0, PRC_LOC_ALIAS, "HERNE", "HB11", "youths"},
        {"asb Herne Mill", "ASB", 3, 0, PRC_LOC_ALIAS, "HERNE MILL", "HB11", ""},
        {"ASB HERNE BAY P2 youths", "ASB", 2, 1, PRC_LOC_ALIAS, "HERNE BAY", "HB02", "youths"},
        /* "P" is a place here: "P 1" and "P!" after the code are that place */
        {"ASB P 1 youths", "ASB", 3, 0, PRC_LOC_ALIAS, "P", "HB05", "1 youths"},
        {"ASB P! youths", "ASB", 3, 0, PRC_LOC_ALIAS, "P", "HB05", "youths"},
        {"ASB P1 P 2", "ASB", 1, 1, PRC_LOC_ALIAS, "P", "HB05", "2"},
        {"P 1 ASB P youths", "ASB", 1, 1, PRC_LOC_ALIAS, "P", "HB05", "youths"},
        {"ASB P P2", "ASB", 2, 1, PRC_LOC_ALIAS, "P", "HB05", ""},
    };
    char err[PRC_ERR_MAX];
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "t.csv", codes, err, sizeof err);
    prc_parse_ctx c2;

    (void)state;
    if (g == NULL) {
        fail_msg("%s", err);
    }
    c2 = ctx;
    c2.gaz = g;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ok_case *c = &cases[i];
        prc_msg m;

        if (prc_parse(&c2, c->text, strlen(c->text), &m) != PRC_FIELD_NONE) {
            prc_gazetteer_free(g);
            fail_msg("'%s': %s", c->text, m.reply);
        }
        if (strcmp(m.code->code, c->code) != 0 || m.priority != c->prio ||
            m.priority_given != c->given || m.loc_kind != c->lk ||
            strcmp(m.location, c->location) != 0 || strcmp(m.zone, c->zone) != 0) {
            prc_gazetteer_free(g);
            fail_msg("'%s': got %s P%d given=%d lk=%d loc='%s' zone='%s'", c->text, m.code->code,
                     m.priority, m.priority_given, (int)m.loc_kind, m.location, m.zone);
        }
        assert_details(c->text, c->text, &m, c->details);
    }
    {
        prc_msg m;
        char out[PRC_REPLY_BUF];

        assert_int_equal(prc_parse(&c2, "asb Herne Bay pier youths", 25, &m), PRC_FIELD_NONE);
        (void)prc_reply_report(out, 1011, &m);
        assert_string_equal(out, "OK R1011 ASB P3 HB02 (HERNE BAY PIER)");
        assert_int_equal(prc_parse(&c2, "asb Herne youths", 16, &m), PRC_FIELD_NONE);
        (void)prc_reply_report(out, 1011, &m);
        assert_string_equal(out, "OK R1011 ASB P3 HB11 (HERNE)");
    }
    prc_gazetteer_free(g);
}

static void test_cmd_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cmd_cases / sizeof cmd_cases[0]; i++) {
        const cmd_case *c = &cmd_cases[i];
        const char *zone = want_zone(c->zone);
        prc_msg m;

        if (parse(c->text, &m) != PRC_FIELD_NONE) {
            fail_msg("'%s': %s", c->text, m.reply);
        }
        if (m.kind != c->kind || m.ref != c->ref || m.loc_kind != c->lk ||
            strcmp(m.location, c->location) != 0 || strcmp(m.zone, zone) != 0) {
            fail_msg("'%s': got %s ref=%llu lk=%d loc='%s' zone='%s'", c->text,
                     prc_kind_name(m.kind), m.ref, (int)m.loc_kind, m.location, m.zone);
        }
        assert_details(c->text, c->text, &m, c->details);
    }
}

static void test_parse_ref_table(void **state)
{
    static const struct {
        const char *s;
        int ok;
        unsigned long long ref;
    } cases[] = {
        {"R1042", 1, 1042},  {"r1042", 1, 1042},   {"1042", 1, 1042},
        {"R01042", 1, 1042}, {"R1", 1, 1},         {"999999999999", 1, 999999999999ULL},
        {"R999999999999", 1, 999999999999ULL},      {"R", 0, 0},
        {"", 0, 0},          {"R0", 0, 0},         {"0", 0, 0},
        {"000", 0, 0},       {"R12a", 0, 0},       {"R10X2", 0, 0},
        {"RR1", 0, 0},       {"1234567890123", 0, 0}, {"R1234567890123", 0, 0},
        {"-1", 0, 0},        {"+1", 0, 0},         {" 1", 0, 0},
        {"1 ", 0, 0},        {"X1042", 0, 0},      {"R1.5", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned long long ref = 77;
        int ok = prc_parse_ref(cases[i].s, strlen(cases[i].s), &ref);

        if (ok != cases[i].ok || (ok && ref != cases[i].ref)) {
            fail_msg("parse_ref('%s') = %d %llu", cases[i].s, ok, ref);
        }
    }
}

/* ---- every reply fits one SMS ---- */

static const char *const adversarial[] = {
    EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI
        EMOJI EMOJI EMOJI EMOJI EMOJI " HB12",
    EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
        EURO EURO " HB12",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ HB12",
    "ASB " EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
        EURO EURO EURO EURO,
    "ASB P" EURO " HB12",
    "ASB HB12 P" EURO,
    "ASB P2 " EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI
        EMOJI EMOJI EMOJI EMOJI EMOJI,
    "UPD R" EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
        EURO EURO EURO,
    "CLR {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
    "ON ||||||||||||||||||||||||||||||||||||||||||||||||",
    "ON " EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI
        EMOJI EMOJI EMOJI EMOJI,
    "SUS 51.373100000000000000000000000000000000000000000000000000,1.1",
    "SUS +51.3731000000000000000000000000000000,+1.1281",
    "ASB HB12 " EMOJI EMOJI EMOJI EMOJI " details are fine",
    "ASB P5555555555555555555555555555555555555555555555555555555555555 HB12",
    "\x01\x02\x03\x04\x05 HB12",
    "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~ HB12",
    "UPD",
    "HELP",
    "ASB HB12 youths",
    "DMG CT6 5AB",
    "FIGHT PIER P1",
    "ON HB",
    "OFF",
    "RTC P" EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
        EURO " PIER",
    "VIO P" EURO " CT6 5AB",
    "P" EURO " VIO HB 12",
    "ASB HB " EURO,
    "ASB " EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
        EURO "1",
    "HELP ZONES",
    "HELP ZONES 99",
    "HELP RTC",
    "SUS 51.3731, 1.1281",
};

/* Longest zone codes and aliases, near one another: every reply (OK with
 * the zone and the alias, suggestions for an unknown place) fits one SMS. */
static void test_hostile_gazetteer(void **state)
{
    static const char csv[] =
        "zone,name,lat,lon,aliases,districts\n"
        "ZZZZZZZZZZZZZZA,A,51.37,1.13,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB|AAAAAAAAAA AAAAAAAAAA AAAAAAAAC,CT6\n"
        "ZZZZZZZZZZZZZZB,B,51.37,1.13,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE,\n"
        "ZZZZZZZZZZZZZZC,C,51.37,1.13,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAF|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAG,\n";
    static const char *const texts[] = {
        "RTC P55555555555555555555 aaaaaaaaaa aaaaaaaaaa aaaaaaaac x",
        "RTC AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAX",
        "ON AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAX",
        "RTC ZZZZZZZZZZZZZZX",
        "DMG CT6 5AB",
        "HELP ZONES",
    };
    char err[PRC_ERR_MAX];
    prc_gazetteer *g = prc_gazetteer_load(csv, sizeof csv - 1, "h.csv", codes, err, sizeof err);
    prc_parse_ctx c2;

    (void)state;
    if (g == NULL) {
        fail_msg("%s", err);
    }
    c2 = ctx;
    c2.gaz = g;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        prc_msg m;
        char out[PRC_REPLY_BUF];
        long sept;

        if (prc_parse(&c2, texts[i], strlen(texts[i]), &m) != PRC_FIELD_NONE) {
            snprintf(out, sizeof out, "%s", m.reply);
        } else if (m.kind == PRC_KIND_REPORT) {
            (void)prc_reply_report(out, 999999999999ULL, &m);
        } else {
            (void)prc_reply_help_msg(out, codes, g, &m);
        }
        sept = prc_gsm7_len(out, strlen(out));
        if (sept < 0 || sept > PRC_REPLY_BODY_MAX) {
            prc_gazetteer_free(g);
            fail_msg("'%s': %ld septets: '%s'", texts[i], sept, out);
        }
        if (i == 0 && strstr(out, "ZZZZZZZZZZZZZZA (AAAAAAAAAA AAAAAAAAAA AAAAAAAAC) (") == NULL) {
            prc_gazetteer_free(g);
            fail_msg("'%s': '%s'", texts[i], out);
        }
        if ((i == 1 || i == 2) && strstr(out, "Did you mean AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB") == NULL) {
            prc_gazetteer_free(g);
            fail_msg("'%s': '%s'", texts[i], out);
        }
    }
    prc_gazetteer_free(g);
}

static void test_replies_fit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof adversarial / sizeof adversarial[0]; i++) {
        const char *text = adversarial[i];
        char out[PRC_REPLY_BUF];
        char dup[PRC_REPLY_BUF];
        prc_msg m;
        long sept;

        if (parse(text, &m) != PRC_FIELD_NONE) {
            snprintf(out, sizeof out, "%s", m.reply);
        } else if (m.kind == PRC_KIND_REPORT) {
            (void)prc_reply_report(out, 999999999999ULL, &m);
        } else if (m.kind == PRC_KIND_ON) {
            (void)prc_reply_on(out, m.zone, 23, 59);
        } else if (m.kind == PRC_KIND_HELP) {
            (void)prc_reply_help_msg(out, codes, gaz, &m);
        } else if (m.kind == PRC_KIND_OFF) {
            (void)prc_reply_off(out, 99999);
        } else {
            (void)prc_reply_ref(out, "UPD", m.ref);
        }
        sept = prc_gsm7_len(out, strlen(out));
        if (sept < 0 || sept > PRC_REPLY_BODY_MAX) {
            fail_msg("case %zu: %ld septets: '%s'", i, sept, out);
        }
        (void)prc_reply_dup(dup, out);
        sept = prc_gsm7_len(dup, strlen(dup));
        assert_true(sept >= 0 && sept <= PRC_REPLY_MAX);
    }
}

static void test_empty_gazetteer(void **state)
{
    prc_gazetteer *empty = prc_gazetteer_empty();
    prc_parse_ctx c2 = {codes, empty, 1.0};
    prc_msg m;

    (void)state;
    assert_non_null(empty);
    assert_int_equal(prc_parse(&c2, "ASB XY99", 8, &m), PRC_FIELD_LOCATION);
    assert_string_equal(m.reply,
                        "ERR LOCATION: XY99 unknown. Use a postcode (CT6 5AB) or lat,lon (51.37,1.13)");
    assert_int_equal(prc_parse(&c2, "ASB CT6 5AB", 11, &m), PRC_FIELD_NONE);
    assert_int_equal(m.loc_kind, PRC_LOC_POSTCODE);
    assert_string_equal(m.zone, "");
    assert_int_equal(prc_parse(&c2, "ASB 51.1,1.1", 12, &m), PRC_FIELD_NONE);
    assert_string_equal(m.zone, "");
    assert_int_equal(prc_parse(&c2, "ON HB", 5, &m), PRC_FIELD_LOCATION);
    assert_int_equal(prc_parse(&c2, "ON", 2, &m), PRC_FIELD_NONE);
    prc_gazetteer_free(empty);
}

static void test_example_zone_in_reply(void **state)
{
    const prc_zone *first = prc_gazetteer_at(gaz, 0);
    char want[PRC_REPLY_BUF];
    prc_msg m;

    (void)state;
    assert_non_null(first);
    snprintf(want, sizeof want,
             "ERR LOCATION: XY99 unknown. Use a zone (%s), place, postcode (CT6 5AB) or lat,lon (51.37,1.13)",
             first->zone);
    assert_int_equal(parse("ASB XY99 youths", &m), PRC_FIELD_LOCATION);
    assert_string_equal(m.reply, want);
    snprintf(want, sizeof want,
             "ERR LOCATION: XX9 unknown. Send ON with a zone (%s), area, place or postcode, or ON alone",
             first->zone);
    assert_int_equal(parse("ON XX9", &m), PRC_FIELD_LOCATION);
    assert_string_equal(m.reply, want);
    assert_int_equal(parse("ASB", &m), PRC_FIELD_LOCATION);
    assert_string_equal(m.reply, "ERR LOCATION: missing. Send CODE PLACE details, e.g. ASB HB12 "
                                 "youths. PLACE: zone, place, postcode or lat,lon");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_table),
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_code_suggestions),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_nul_and_unterminated),
        cmocka_unit_test(test_zone_coords),
        cmocka_unit_test(test_districts),
        cmocka_unit_test(test_latlon_radius),
        cmocka_unit_test(test_cmd_table),
        cmocka_unit_test(test_help_topics),
        cmocka_unit_test(test_unread_priority),
        cmocka_unit_test(test_multiword_and_p_landmark),
        cmocka_unit_test(test_hostile_gazetteer),
        cmocka_unit_test(test_parse_ref_table),
        cmocka_unit_test(test_replies_fit),
        cmocka_unit_test(test_empty_gazetteer),
        cmocka_unit_test(test_example_zone_in_reply),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
