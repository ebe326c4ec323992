/* test_prc_geo.c: lat,lon parsing and great-circle distance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prc_geo.h"

typedef struct geo_case {
    const char *in;
    int ok;
    double lat, lon;
} geo_case;

static const geo_case geo_cases[] = {
    {"51.3731,1.1281", 1, 51.3731, 1.1281},
    {"51.37310,-1.12810", 1, 51.3731, -1.1281},
    {"-51.3731,+1.1281", 1, -51.3731, 1.1281},
    {"51,1", 1, 51.0, 1.0},
    {"51.,1.", 1, 51.0, 1.0},
    {".5,-.25", 1, 0.5, -0.25},
    {"+0,-0", 1, 0.0, 0.0},
    {"90,180", 1, 90.0, 180.0},         /* bounds are inclusive */
    {"-90,-180", 1, -90.0, -180.0},
    {"90.000,180.0000", 1, 90.0, 180.0},
    {"0051.5,001", 1, 51.5, 1.0},       /* leading zeros */
    {"51.12345678901234567,1.5", 1, 51.123456789012, 1.5}, /* extra digits ignored */
    {"51.3,", 0, 0, 0},
    {",1.1", 0, 0, 0},
    {",", 0, 0, 0},
    {"", 0, 0, 0},
    {"51.3", 0, 0, 0},
    {"91,0", 0, 0, 0},
    {"-91,0", 0, 0, 0},
    {"90.0001,0", 0, 0, 0},
    {"0,181", 0, 0, 0},
    {"0,-180.5", 0, 0, 0},
    {"1000000000000,0", 0, 0, 0},
    {"NaN,1", 0, 0, 0},
    {"inf,1", 0, 0, 0},
    {"1e2,3", 0, 0, 0},
    {"1E1,3", 0, 0, 0},
    {"0x10,3", 0, 0, 0},
    {"51.3,1.1,2", 0, 0, 0},
    {"51.3, 1.1", 0, 0, 0},
    {" 51.3,1.1", 0, 0, 0},
    {"51.3,1.1 ", 0, 0, 0},
    {"51.3;1.1", 0, 0, 0},
    {".,1", 0, 0, 0},
    {"+,1", 0, 0, 0},
    {"--1,1", 0, 0, 0},
    {"+-1,1", 0, 0, 0},
    {"1..2,1", 0, 0, 0},
    {"1.2.3,1", 0, 0, 0},
    {"51.3,1.1x", 0, 0, 0},
    {"51\xC2\xB0,1", 0, 0, 0},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof geo_cases / sizeof geo_cases[0]; i++) {
        const geo_case *c = &geo_cases[i];
        double lat = -999.0;
        double lon = -999.0;
        int ok = prc_geo_parse(c->in, strlen(c->in), &lat, &lon);

        if (ok != c->ok) {
            fail_msg("'%s': got %d want %d", c->in, ok, c->ok);
        }
        if (ok) {
            assert_float_equal(lat, c->lat, 1e-9);
            assert_float_equal(lon, c->lon, 1e-9);
        }
    }
}

static void test_parse_exact_and_len(void **state)
{
    double lat;
    double lon;

    (void)state;
    /* correctly rounded: the same double as the C literal */
    assert_true(prc_geo_parse("51.3731,1.1281", 14, &lat, &lon));
    assert_true(lat == 51.3731);
    assert_true(lon == 1.1281);
    /* only len bytes count */
    assert_true(prc_geo_parse("51.3731,1.1281,junk", 14, &lat, &lon));
    assert_false(prc_geo_parse("51.3731,1.1281,junk", 15, &lat, &lon));
    assert_false(prc_geo_parse(NULL, 0, &lat, &lon));
}

static void test_km_known(void **state)
{
    static const struct {
        double lat1, lon1, lat2, lon2;
        double km, tol;
    } cases[] = {
        /* London (Charing Cross) to Paris (Notre-Dame): about 343.5 km */
        {51.5074, -0.1278, 48.8566, 2.3522, 343.5, 1.0},
        /* one degree of latitude: 2 pi R / 360 = 111.195 km */
        {0.0, 0.0, 1.0, 0.0, 111.195, 0.01},
        /* one degree of longitude on the equator */
        {0.0, 10.0, 0.0, 11.0, 111.195, 0.01},
        /* same point */
        {51.3731, 1.1281, 51.3731, 1.1281, 0.0, 1e-9},
        /* antipodes: half the circumference, pi R */
        {0.0, 0.0, 0.0, 180.0, 20015.1, 0.1},
        {90.0, 0.0, -90.0, 0.0, 20015.1, 0.1},
        /* Herne Bay pier to Reculver towers: about 5.7 km */
        {51.3745, 1.1183, 51.3795, 1.1996, 5.66, 0.1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double km = prc_geo_km(cases[i].lat1, cases[i].lon1, cases[i].lat2, cases[i].lon2);
        double back = prc_geo_km(cases[i].lat2, cases[i].lon2, cases[i].lat1, cases[i].lon1);

        if (km < cases[i].km - cases[i].tol || km > cases[i].km + cases[i].tol) {
            fail_msg("case %zu: %.4f km, want %.4f +- %.4f", i, km, cases[i].km, cases[i].tol);
        }
        assert_float_equal(km, back, 1e-9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_exact_and_len),
        cmocka_unit_test(test_km_known),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
