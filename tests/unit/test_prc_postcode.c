/* test_prc_postcode.c: UK postcode formats (Royal Mail rules) and normalisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prc_postcode.h"

typedef struct full_case {
    const char *in;
    const char *norm; /* NULL: invalid */
} full_case;

static const full_case full_cases[] = {
    /* the contract's examples */
    {"EC1A 1BB", "EC1A 1BB"},
    {"W1A 0AX", "W1A 0AX"},
    {"M1 1AE", "M1 1AE"},
    {"B33 8TH", "B33 8TH"},
    {"CR2 6XH", "CR2 6XH"},
    {"DN55 1PT", "DN55 1PT"},
    {"CT6 5AB", "CT6 5AB"},
    {"ct65ab", "CT6 5AB"},
    {"GIR 0AA", "GIR 0AA"},
    {"gir0aa", "GIR 0AA"},
    /* each outward form, with and without the space, any case */
    {"M11AE", "M1 1AE"},          /* A9 */
    {"b338th", "B33 8TH"},        /* A99 */
    {"Ct6 5ab", "CT6 5AB"},       /* AA9 */
    {"dn551pt", "DN55 1PT"},      /* AA99 */
    {"w1a0ax", "W1A 0AX"},        /* A9A */
    {"ec1a1bb", "EC1A 1BB"},      /* AA9A */
    {"SW1A 2AA", "SW1A 2AA"},
    {"E1W 1AA", "E1W 1AA"},       /* A9A: W allowed third */
    {"N1P 1AA", "N1P 1AA"},       /* A9A: P allowed third */
    {"SE1P 5AB", "SE1P 5AB"},     /* AA9A: P allowed fourth */
    {"NW1W 9AA", "NW1W 9AA"},     /* AA9A: W allowed fourth */
    {"CT6 5ZZ", "CT6 5ZZ"},
    /* invalid: letter rules */
    {"QA1 1AA", NULL},            /* Q never first */
    {"VA1 1AA", NULL},            /* V never first */
    {"X1 1AA", NULL},             /* X never first */
    {"AI1 1AA", NULL},            /* I never second */
    {"AJ1 1AA", NULL},            /* J never second */
    {"AZ1 1AA", NULL},            /* Z never second */
    {"W1I 1AA", NULL},            /* I not allowed third (A9A) */
    {"W1L 1AA", NULL},            /* L not allowed third (A9A) */
    {"EC1C 1BB", NULL},           /* C not allowed fourth (AA9A) */
    {"EC1D 1BB", NULL},           /* D not allowed fourth (AA9A) */
    {"CT6 5CB", NULL},            /* C in inward */
    {"CT6 5AI", NULL},            /* I in inward */
    {"CT6 5KA", NULL},            /* K in inward */
    {"CT6 5MA", NULL},            /* M in inward */
    {"CT6 5AO", NULL},            /* O in inward */
    {"CT6 5VA", NULL},            /* V in inward */
    /* invalid: shape */
    {"CT6  5AB", NULL},           /* two spaces */
    {" CT6 5AB", NULL},           /* leading space */
    {"CT6 5AB ", NULL},           /* trailing space */
    {"CT 65AB", NULL},            /* space in the wrong place */
    {"C T65AB", NULL},
    {"CT6-5AB", NULL},
    {"CT65A", NULL},
    {"CT6 5AB1", NULL},
    {"CT6 55B", NULL},            /* inward is digit letter letter */
    {"CT6 A5B", NULL},
    {"CT 5AB", NULL},             /* outward AA: no digit */
    {"123 5AB", NULL},
    {"ABC1 5AB", NULL},           /* AAA9 is no form */
    {"A123 5AB", NULL},           /* A999 is no form */
    {"EC1AB 1BB", NULL},          /* outward too long */
    {"1AB", NULL},
    {"", NULL},
    {"GIR 0AB", NULL},            /* only GIR 0AA is special */
    {"GIR0A", NULL},
    {"CT6\t5AB", NULL},
};

static void test_full_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof full_cases / sizeof full_cases[0]; i++) {
        const full_case *c = &full_cases[i];
        char out[9] = "";
        int ok = prc_postcode_full(c->in, strlen(c->in), out);

        if (c->norm == NULL && ok) {
            fail_msg("'%s' should be invalid (got '%s')", c->in, out);
        }
        if (c->norm != NULL && (!ok || strcmp(out, c->norm) != 0)) {
            fail_msg("'%s' should be '%s' (ok %d, got '%s')", c->in, c->norm, ok, out);
        }
    }
}

static void test_full_uses_len(void **state)
{
    char out[9];

    (void)state;
    /* only len bytes count: the tail is not part of the postcode */
    assert_true(prc_postcode_full("CT6 5ABXYZ", 7, out));
    assert_string_equal(out, "CT6 5AB");
    assert_false(prc_postcode_full("CT6 5ABXYZ", 8, out));
}

typedef struct district_case {
    const char *in;
    const char *norm; /* NULL: invalid */
} district_case;

static const district_case district_cases[] = {
    {"CT6", "CT6"},   {"ct6", "CT6"},   {"M1", "M1"},     {"B33", "B33"},
    {"DN55", "DN55"}, {"W1A", "W1A"},   {"ec1a", "EC1A"}, {"SW1A", "SW1A"},
    {"GIR", NULL},    {"QA1", NULL},    {"AI1", NULL},    {"W1I", NULL},
    {"EC1C", NULL},   {"CT", NULL},     {"C", NULL},      {"", NULL},
    {"CT6 ", NULL},   {"CT6 5", NULL},  {"CT65A", NULL},  {"6CT", NULL},
};

static void test_district_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof district_cases / sizeof district_cases[0]; i++) {
        const district_case *c = &district_cases[i];
        char out[5] = "";
        int ok = prc_postcode_district(c->in, strlen(c->in), out);

        if (c->norm == NULL && ok) {
            fail_msg("'%s' should not be a district (got '%s')", c->in, out);
        }
        if (c->norm != NULL && (!ok || strcmp(out, c->norm) != 0)) {
            fail_msg("'%s' should be district '%s' (ok %d, got '%s')", c->in, c->norm, ok, out);
        }
    }
}

static void test_split(void **state)
{
    static const struct {
        const char *full;
        const char *sector;
        const char *dist;
    } cases[] = {
        {"CT6 5AB", "CT6 5", "CT6"},
        {"EC1A 1BB", "EC1A 1", "EC1A"},
        {"M1 1AE", "M1 1", "M1"},
        {"DN55 1PT", "DN55 1", "DN55"},
        {"GIR 0AA", "GIR 0", "GIR"},
        {"CT65AB", "", ""}, /* not normalised: nothing */
        {"", "", ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sector[7] = "XXXXXX";
        char dist[5] = "XXXX";

        prc_postcode_split(cases[i].full, sector, dist);
        assert_string_equal(sector, cases[i].sector);
        assert_string_equal(dist, cases[i].dist);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_table),
        cmocka_unit_test(test_full_uses_len),
        cmocka_unit_test(test_district_table),
        cmocka_unit_test(test_split),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
