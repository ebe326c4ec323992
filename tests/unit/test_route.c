/* test_route.c: partner routing rules (gateway/route.c), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "prc_codes.h"
#include "route.h"

/* A partner rule: codes and zones as space-separated canonical lists ("" = all). */
static cfg_partner partner(int min_priority, const char *codes, const char *zones)
{
    cfg_partner p;
    char buf[256];

    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "p");
    p.min_priority = min_priority;
    p.mqtt = 1;
    snprintf(buf, sizeof buf, "%s", codes);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        snprintf(p.codes[p.ncodes++], sizeof p.codes[0], "%s", t);
    snprintf(buf, sizeof buf, "%s", zones);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        snprintf(p.zones[p.nzones++], sizeof p.zones[0], "%s", t);
    return p;
}

typedef struct route_case {
    int min_priority;
    const char *codes;
    const char *zones;
    const char *code;   /* report code (built-in table) */
    int priority;
    const char *zone;   /* NULL or "" for none */
    int want;
} route_case;

static const route_case cases[] = {
    /* priority: alerts for P1..P<min_priority> */
    { 2, "", "", "RTC", 1, "HB03", 1 },
    { 2, "", "", "MH", 2, "HB03", 1 },
    { 2, "", "", "ASB", 3, "HB03", 0 },
    { 2, "", "", "ASB", 2, "HB03", 1 },   /* the typed priority counts, not the code's default */
    { 2, "", "", "RTC", 3, "HB03", 0 },
    { 1, "", "", "RTC", 1, "", 1 },
    { 1, "", "", "MH", 2, "", 0 },
    { 4, "", "", "DMG", 4, NULL, 1 },
    /* ENG never alerts, whatever the rule */
    { 4, "", "", "ENG", 4, "HB01", 0 },
    { 4, "", "", "ENG", 1, "HB01", 0 },
    { 4, "ENG", "", "ENG", 1, "HB01", 0 },
    /* codes */
    { 4, "THEFT SUS VIO", "", "THEFT", 3, "HB01", 1 },
    { 4, "THEFT SUS VIO", "", "VIO", 1, "HB09", 1 },
    { 4, "THEFT SUS VIO", "", "ASB", 3, "HB01", 0 },
    { 4, "THEFT SUS VIO", "", "RTC", 1, "HB01", 0 },
    { 2, "THEFT", "", "THEFT", 3, "HB01", 0 }, /* code matches, priority does not */
    /* zones */
    { 4, "", "HB01 HB02", "ASB", 3, "HB01", 1 },
    { 4, "", "HB01 HB02", "ASB", 3, "HB02", 1 },
    { 4, "", "HB01 HB02", "ASB", 3, "HB03", 0 },
    { 4, "", "HB01 HB02", "ASB", 3, "", 0 },     /* no zone: a zone rule does not match */
    { 4, "", "HB01 HB02", "ASB", 3, NULL, 0 },
    { 4, "", "HB01", "ASB", 3, "HB011", 0 },     /* whole zone codes only */
    { 4, "", "HB011", "ASB", 3, "HB01", 0 },
    /* codes and zones together */
    { 4, "THEFT SUS", "HB01 HB02", "SUS", 3, "HB02", 1 },
    { 4, "THEFT SUS", "HB01 HB02", "SUS", 3, "HB05", 0 },
    { 4, "THEFT SUS", "HB01 HB02", "ASB", 3, "HB02", 0 },
};

static void test_table(void **state)
{
    prc_codes *codes = prc_codes_default();
    (void)state;
    assert_non_null(codes);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const route_case *c = &cases[i];
        cfg_partner p = partner(c->min_priority, c->codes, c->zones);
        const prc_code *code = prc_codes_find(codes, c->code, strlen(c->code));
        assert_non_null(code);
        int got = route_match(&p, code, c->priority, c->zone);
        if (got != c->want)
            fail_msg("case %zu: P<=%d codes [%s] zones [%s], report %s P%d %s: want %d, got %d", i,
                     c->min_priority, c->codes, c->zones, c->code, c->priority,
                     c->zone ? c->zone : "(null)", c->want, got);
    }
    prc_codes_free(codes);
}

/* The alert flag comes from the code table, not the code's name. */
static void test_alert_flag(void **state)
{
    prc_code c;
    cfg_partner p = partner(4, "", "");
    (void)state;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "LOG");
    c.priority = 4;
    c.alert = 0;
    assert_int_equal(route_match(&p, &c, 1, "HB01"), 0);
    c.alert = 1;
    assert_int_equal(route_match(&p, &c, 1, "HB01"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_alert_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
