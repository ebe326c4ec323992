/* test_query.c: the read side (gateway/query.c): time parsing, local ISO weeks,
 * percentiles, and every query against a real store in a temp dir filled
 * through the store's own write functions. Times are Europe/London. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert_add.h"
#include "query.h"
#include "store_alerts.h"
#include "store_int.h"
#include "store_journal.h"
#include "store_query.h"
#include "store_reports.h"
#include "store_sms.h"
#include "tmpstore.h"

/* ------------------------------------------------------------ pure functions */

static int64_t t_(const char *s)
{
    int64_t ms = 0;
    if (query_parse_time(s, 0, &ms) != 0)
        fail_msg("cannot parse %s", s);
    return ms;
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t ms = 0;
    /* A date is local midnight: 2026-10-05 00:00 BST is 2026-10-04T23:00Z. */
    assert_int_equal(query_parse_time("2026-10-05", 0, &ms), 0);
    assert_int_equal(ms, 1791154800000LL);
    /* --until includes the day: the next local midnight. */
    assert_int_equal(query_parse_time("2026-10-04", 1, &ms), 0);
    assert_int_equal(ms, 1791154800000LL);
    /* After the clocks go back (25 October), midnight is UTC midnight. */
    assert_int_equal(query_parse_time("2026-11-01", 0, &ms), 0);
    assert_int_equal(ms, 1793491200000LL);
    assert_int_equal(query_parse_time("2026-10-04T23:00:00Z", 0, &ms), 0);
    assert_int_equal(ms, 1791154800000LL);
    assert_int_equal(query_parse_time("2026-10-05T00:00:00.250+01:00", 0, &ms), 0);
    assert_int_equal(ms, 1791154800250LL);
    assert_int_equal(query_parse_time("2026-10-04t18:30:00.5-04:30", 0, &ms), 0);
    assert_int_equal(ms, 1791154800500LL);

    static const char *const bad[] = {
        "", "yesterday", "2026-13-01", "2026-02-29", "2026-10-5", "2026-10-05T25:00:00Z",
        "2026-10-05T09:00:00", "2026-10-05T09:00Z", "2026-10-05T09:00:00.Z",
        "2026-10-05T09:00:00+1:00", "2026-10-05T09:00:00Zjunk", "1969-12-31",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (query_parse_time(bad[i], 0, &ms) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(query_parse_time("2028-02-29", 0, &ms), 0); /* a leap day */
}

static void test_parse_month(void **state)
{
    (void)state;
    int64_t a = 0, b = 0;
    assert_int_equal(query_parse_month("2026-10", &a, &b), 0);
    assert_int_equal(a, 1790809200000LL); /* 2026-10-01 00:00 BST */
    assert_int_equal(b, 1793491200000LL); /* 2026-11-01 00:00 GMT */
    assert_int_equal(query_parse_month("2026-12", &a, &b), 0);
    assert_int_equal(b - a, 31LL * 86400000);
    static const char *const bad[] = { "2026-13", "2026-00", "2026-1", "2026/10", "2026-10-01" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (query_parse_month(bad[i], &a, &b) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_period_key(void **state)
{
    (void)state;
    static const struct {
        const char *at;
        enum query_period p;
        const char *key;
    } cases[] = {
        /* Sunday 23:30 BST is still week 40; Monday 00:30 BST is week 41 (UTC: Sunday). */
        { "2026-10-04T22:30:00Z", QUERY_WEEK, "2026-W40" },
        { "2026-10-04T23:30:00Z", QUERY_WEEK, "2026-W41" },
        { "2026-10-04T23:30:00Z", QUERY_DAY, "2026-10-05" },
        { "2026-10-31T23:30:00Z", QUERY_MONTH, "2026-10" },
        { "2026-09-30T23:30:00Z", QUERY_MONTH, "2026-10" },
        /* ISO years: 1 January 2027 is a Friday of 2026's week 53. */
        { "2027-01-01T12:00:00Z", QUERY_WEEK, "2026-W53" },
        { "2027-01-04T12:00:00Z", QUERY_WEEK, "2027-W01" },
        { "2025-12-29T12:00:00Z", QUERY_WEEK, "2026-W01" },
    };
    char key[QUERY_PERIOD_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(query_period_key(t_(cases[i].at), cases[i].p, key, sizeof key), 0);
        assert_string_equal(key, cases[i].key);
    }
    char small[4];
    assert_int_equal(query_period_key(t_("2026-10-05T12:00:00Z"), QUERY_WEEK, small, sizeof small),
                     -1);
    assert_string_equal(small, "");
}

static void test_percentiles(void **state)
{
    (void)state;
    static const double one[] = { 7 }, two[] = { 1, 2 },
                        ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
                        eleven[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
    assert_true(query_median(one, 1) == 7 && query_p90(one, 1) == 7);
    assert_true(query_median(two, 2) == 1.5 && query_p90(two, 2) == 2);
    assert_true(query_median(ten, 10) == 5.5 && query_p90(ten, 10) == 9);
    assert_true(query_median(eleven, 11) == 6 && query_p90(eleven, 11) == 10);
    assert_true(query_median(NULL, 0) == 0 && query_p90(NULL, 0) == 0);
}

/* ------------------------------------------------------------ a filled store */

typedef struct fixture {
    tmpstore t;
    int64_t ref[5];
} fixture;

static int64_t add_report(store *s, const char *code, int prio, const char *zone,
                          const char *reporter, const char *channel, const char *at)
{
    store_report r = {
        .code = code,
        .priority = prio,
        .location = zone ? zone : "CT6 9ZZ",
        .zone = zone,
        .has_coords = zone != NULL,
        .lat = 51.37,
        .lon = 1.12,
        .details = "details",
        .details_len = 7,
        .reporter = reporter,
        .channel = channel,
        .received_at = t_(at),
    };
    int64_t ref = store_report_add(s, &r);
    if (ref <= 0 || store_event_add(s, ref, r.received_at, "received", NULL, reporter, NULL, 0))
        fail_msg("cannot add a report");
    return ref;
}

static void add_alert(store *s, int64_t ref, const char *partner, int64_t at)
{
    char id[64];
    snprintf(id, sizeof id, "R%lld-%s", (long long)ref, partner);
    if (test_alert_add(s, id, ref, partner, "mqtt", at, "{}") ||
        store_chase_add(s, ref, partner, 1, at, 0) ||
        store_event_add(s, ref, at, "alerted", partner, NULL, "mqtt", 4))
        fail_msg("cannot add an alert");
}

static void add_ack(store *s, int64_t ref, const char *partner, int64_t at)
{
    if (store_chase_ack(s, ref, partner, "DUTY1", "sms", at, 0) < 0 ||
        store_event_add(s, ref, at, "ack", partner, "DUTY1", NULL, 0))
        fail_msg("cannot add an ack");
}

static int64_t add_msg(store *s, const char *outcome, const char *reason, const char *reply,
                       int64_t ref, const char *at, int64_t dup_of)
{
    store_message m = {
        .channel = "radio",
        .network = "shopwatch",
        .unit = "u1",
        .sender = "shopwatch/u1",
        .payload = "x",
        .payload_len = 1,
        .text = "x",
        .text_len = 1,
        .received_at = t_(at),
        .outcome = outcome,
        .reason = reason,
        .reply = reply,
        .ref = ref,
        .dup_of = dup_of,
    };
    if (reason && !strcmp(reason, "bad topic")) {
        /* As radio.c journals it: the reply it would have sent, but no topic to send it on. */
        m.network = "?";
        m.unit = "?";
        m.sender = "?/?";
    }
    int64_t id = store_message_add(s, &m);
    if (id <= 0)
        fail_msg("cannot add a message");
    return id;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (tmpstore_open(&f->t, "test_query")) {
        free(f);
        return -1;
    }
    store *s = f->t.st;
    f->ref[0] = add_report(s, "ASB", 3, "HB01", "ALPHA", "radio", "2026-10-05T09:00:00+01:00");
    f->ref[1] = add_report(s, "THEFT", 3, "HB01", "BRAVO", "radio", "2026-10-05T10:00:00+01:00");
    f->ref[2] = add_report(s, "RTC", 1, "HB03", "ALPHA", "radio", "2026-10-12T09:00:00+01:00");
    f->ref[3] = add_report(s, "ENG", 4, NULL, "BRAVO", "sms", "2026-10-12T11:00:00+01:00");
    f->ref[4] = add_report(s, "ASB", 2, "HB01", "ALPHA", "radio", "2026-11-02T09:00:00Z");
    int64_t r0 = t_("2026-10-05T09:00:00+01:00"), r2 = t_("2026-10-12T09:00:00+01:00");
    if (store_report_clear(s, f->ref[2], r2 + 3600000))
        return -1;
    /* police: R1 acked after 60 s, R2 never, R3 after 120 s (and again later);
     * council: R3 after 600 s; R5 (November) acked after 5 s: outside the range. */
    add_alert(s, f->ref[0], "police", r0);
    add_alert(s, f->ref[1], "police", r0 + 3600000);
    add_alert(s, f->ref[2], "police", r2);
    add_alert(s, f->ref[2], "council", r2);
    add_alert(s, f->ref[4], "police", t_("2026-11-02T09:00:00Z"));
    add_ack(s, f->ref[0], "police", r0 + 60000);
    add_ack(s, f->ref[2], "police", r2 + 120000);
    add_ack(s, f->ref[2], "police", r2 + 300000);
    add_ack(s, f->ref[2], "council", r2 + 600000);
    add_ack(s, f->ref[4], "police", t_("2026-11-02T09:00:05Z"));
    /* Shifts: 4 h in HB01 (W41), 2.5 h without a zone (W42), one still open in HB03 (W44). */
    int64_t on = 0;
    if (store_shift_on(s, "ALPHA", 0, "HB01", t_("2026-10-05T08:00:00+01:00")) ||
        store_shift_off(s, "ALPHA", t_("2026-10-05T12:00:00+01:00"), &on) != 1 ||
        store_shift_on(s, "BRAVO", 0, NULL, t_("2026-10-12T08:00:00+01:00")) ||
        store_shift_off(s, "BRAVO", t_("2026-10-12T10:30:00+01:00"), &on) != 1 ||
        store_shift_on(s, "CHARLIE", 0, "HB03", t_("2026-10-26T09:00:00Z")))
        return -1;
    /* Messages: the reports' own, a duplicate, refused ones, one not answered. */
    int64_t first = add_msg(s, "accepted", NULL, "OK R1001", f->ref[0],
                            "2026-10-05T09:00:00+01:00", 0);
    add_msg(s, "duplicate", "duplicate", "OK R1001 DUP", f->ref[0], "2026-10-05T09:00:02+01:00",
            first);
    add_msg(s, "error", "CODE", "ERR CODE: ABS unknown", 0, "2026-10-06T09:00:00+01:00", 0);
    add_msg(s, "rejected", "unregistered sender", "ERR AUTH", 0, "2026-10-06T09:01:00+01:00", 0);
    add_msg(s, "rejected", "unregistered sender", "ERR AUTH", 0, "2026-10-07T09:01:00+01:00", 0);
    add_msg(s, "rejected", "bad topic", "ERR FORMAT: network and unit names", 0,
            "2026-10-08T09:01:00+01:00", 0);
    add_msg(s, "error", "LOCATION", "ERR LOCATION", 0, "2026-11-03T09:01:00Z", 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpstore_close(&f->t);
    free(f);
    return 0;
}

typedef struct refs {
    int64_t v[16];
    int n;
} refs;

static int collect(void *arg, const query_report *r)
{
    refs *c = arg;
    if (c->n < 16)
        c->v[c->n++] = r->ref;
    return 0;
}

static int stop_at_first(void *arg, const query_report *r)
{
    (void)arg;
    (void)r;
    return 1;
}

static void test_reports_filters(void **state)
{
    fixture *f = *state;
    const int64_t *R = f->ref;
    int64_t oct = t_("2026-10-01"), nov = t_("2026-11-01");
    static const char *const hb01 = "HB01";
    struct {
        query_filter flt;
        int n;
        int idx[5];
    } cases[] = {
        { { 0 }, 5, { 0, 1, 2, 3, 4 } },
        { { .since = oct, .until = nov }, 4, { 0, 1, 2, 3 } },
        { { .zone = hb01 }, 3, { 0, 1, 4 } },
        { { .zone = "-" }, 1, { 3 } },
        { { .code = "ASB" }, 2, { 0, 4 } },
        { { .priority = 1 }, 1, { 2 } },
        { { .status = "cleared" }, 1, { 2 } },
        { { .status = "open" }, 4, { 0, 1, 3, 4 } },
        { { .reporter = "BRAVO" }, 2, { 1, 3 } },
        { { .since = oct, .until = nov, .zone = hb01, .code = "ASB" }, 1, { 0 } },
        { { .since = t_("2026-10-05T10:00:00+01:00") }, 4, { 1, 2, 3, 4 } },
        { { .until = t_("2026-10-05T10:00:00+01:00") }, 1, { 0 } },
        { { .code = "NOPE" }, 0, { 0 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        refs got = { { 0 }, 0 };
        long n = query_reports(f->t.st, &cases[i].flt, collect, &got);
        if (n != cases[i].n || got.n != cases[i].n)
            fail_msg("case %zu: %ld reports, expected %d", i, n, cases[i].n);
        for (int k = 0; k < cases[i].n; k++)
            assert_int_equal(got.v[k], R[cases[i].idx[k]]); /* oldest first */
    }
    assert_int_equal(query_reports(f->t.st, NULL, NULL, NULL), 5);
    assert_int_equal(query_reports(f->t.st, NULL, stop_at_first, NULL), -1);
}

typedef struct seen {
    query_report r;
    char code[16], zone[16], status[16];
    int events, alerts, acked, messages, dups;
} seen;

static int keep_report(void *arg, const query_report *r)
{
    seen *s = arg;
    s->r = *r;
    snprintf(s->code, sizeof s->code, "%s", r->code);
    snprintf(s->zone, sizeof s->zone, "%s", r->zone);
    snprintf(s->status, sizeof s->status, "%s", r->status);
    return 0;
}

static int count_event(void *arg, const query_event *e)
{
    seen *s = arg;
    s->events++;
    assert_non_null(e->kind);
    return 0;
}

static int count_alert(void *arg, const query_alert *a)
{
    seen *s = arg;
    s->alerts++;
    if (a->acked_at) { /* acked when delivered, cancelled when not yet */
        s->acked++;
        assert_string_equal(a->acked_by, "DUTY1");
        assert_true(a->acked_at > a->created_at);
    }
    return 0;
}

static int count_message(void *arg, const query_message *m)
{
    seen *s = arg;
    s->messages++;
    if (m->dup_of == 0 && !strcmp(m->outcome, "duplicate"))
        fail_msg("dup_of lost");
    if (!strcmp(m->outcome, "duplicate"))
        s->dups++;
    return 0;
}

static void test_timeline(void **state)
{
    fixture *f = *state;
    seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(query_report_get(f->t.st, f->ref[2], keep_report, &s), 1);
    assert_string_equal(s.code, "RTC");
    assert_string_equal(s.zone, "HB03");
    assert_string_equal(s.status, "cleared");
    assert_true(s.r.cleared_at == t_("2026-10-12T10:00:00+01:00"));
    assert_true(s.r.has_coords);
    /* received, alerted x2, ack x3 */
    assert_int_equal(query_events(f->t.st, f->ref[2], count_event, &s), 6);
    assert_int_equal(query_alerts(f->t.st, f->ref[2], count_alert, &s), 2);
    assert_int_equal(s.acked, 2);
    assert_int_equal(query_report_get(f->t.st, 999999, keep_report, &s), 0);
    assert_int_equal(query_report_get(f->t.st, f->ref[3], keep_report, &s), 1);
    assert_string_equal(s.zone, "");
    assert_false(s.r.has_coords);
    memset(&s, 0, sizeof s);
    assert_int_equal(query_messages(f->t.st, f->ref[0], count_message, &s), 2);
    assert_int_equal(s.dups, 1);
}

static int near(double a, double b)
{
    return a > b - 1e-9 && a < b + 1e-9;
}

static void test_stats_month(void **state)
{
    fixture *f = *state;
    query_stats st;
    char err[256];
    query_filter flt = { .since = t_("2026-10-01"), .until = t_("2026-11-01") };
    int64_t now = t_("2026-10-26T12:00:00Z");

    assert_int_equal(query_stats_run(f->t.st, &flt, QUERY_WEEK, 50.0, now, &st, err, sizeof err), 0);
    assert_int_equal(st.reports, 4);
    assert_int_equal(st.by_priority[1], 1);
    assert_int_equal(st.by_priority[2], 0);
    assert_int_equal(st.by_priority[3], 2);
    assert_int_equal(st.by_priority[4], 1);
    assert_int_equal(st.nchannels, 2);
    assert_string_equal(st.channels[0].channel, "radio");
    assert_int_equal(st.channels[0].n, 3);
    assert_string_equal(st.channels[1].channel, "sms");

    static const struct {
        const char *period, *zone, *code;
        long n;
    } inc[] = {
        { "2026-W41", "HB01", "ASB", 1 },
        { "2026-W41", "HB01", "THEFT", 1 },
        { "2026-W42", "-", "ENG", 1 },
        { "2026-W42", "HB03", "RTC", 1 },
    };
    assert_int_equal(st.nincidents, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(st.incidents[i].period, inc[i].period);
        assert_string_equal(st.incidents[i].zone, inc[i].zone);
        assert_string_equal(st.incidents[i].code, inc[i].code);
        assert_int_equal(st.incidents[i].n, inc[i].n);
    }

    /* ACKs: council 600 s; police 60 s and 120 s (the later ACK of R3 and
     * November's R5 do not count). */
    assert_int_equal(st.nacks, 2);
    assert_string_equal(st.acks[0].partner, "council");
    assert_int_equal(st.acks[0].alerted, 1);
    assert_int_equal(st.acks[0].acked, 1);
    assert_true(st.acks[0].median_s == 600.0 && st.acks[0].p90_s == 600.0);
    assert_string_equal(st.acks[1].partner, "police");
    assert_int_equal(st.acks[1].alerted, 3);
    assert_int_equal(st.acks[1].acked, 2);
    assert_true(st.acks[1].median_s == 90.0 && st.acks[1].p90_s == 120.0);

    /* Hours by zone and week, the open shift counted up to now (3 h). */
    static const struct {
        const char *week, *zone;
        double hours;
    } hrs[] = { { "2026-W41", "HB01", 4.0 },
                { "2026-W42", "-", 2.5 },
                { "2026-W44", "HB03", 3.0 } };
    assert_int_equal(st.nhours, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(st.hours[i].week, hrs[i].week);
        assert_string_equal(st.hours[i].zone, hrs[i].zone);
        assert_true(near(st.hours[i].hours, hrs[i].hours));
        assert_int_equal(st.hours[i].shifts, 1);
    }
    /* Every week of October, those cut by the month held to a share. */
    static const struct {
        const char *week;
        int days;
        double hours;
    } wk[] = { { "2026-W40", 4, 0 }, { "2026-W41", 7, 4 }, { "2026-W42", 7, 2.5 },
               { "2026-W43", 7, 0 }, { "2026-W44", 6, 3 } };
    assert_int_equal(st.nweeks, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(st.weeks[i].week, wk[i].week);
        assert_int_equal(st.weeks[i].days, wk[i].days);
        assert_true(near(st.weeks[i].hours, wk[i].hours));
        double c = 50.0 * wk[i].days / 7.0;
        assert_true(near(st.weeks[i].commitment, c));
    }

    /* Refused or unanswered, most frequent first; duplicates and November's left out. */
    assert_int_equal(st.nreasons, 3);
    assert_string_equal(st.reasons[0].reason, "unregistered sender");
    assert_int_equal(st.reasons[0].n, 2);
    assert_true(st.reasons[0].answered);
    assert_string_equal(st.reasons[1].reason, "CODE");
    assert_string_equal(st.reasons[1].outcome, "error");
    assert_string_equal(st.reasons[2].reason, "bad topic");
    assert_false(st.reasons[2].answered);
    query_stats_free(&st);
    query_stats_free(&st); /* twice: emptied */
    query_stats_free(NULL);
}

static void test_stats_unbounded(void **state)
{
    fixture *f = *state;
    query_stats st;
    char err[256];
    int64_t now = t_("2026-10-26T10:00:00Z");

    /* No range: every report, only the weeks with shifts, each held to a full week. */
    assert_int_equal(query_stats_run(f->t.st, NULL, QUERY_MONTH, 40.0, now, &st, err, sizeof err), 0);
    assert_int_equal(st.reports, 5);
    assert_int_equal(st.nincidents, 5);
    assert_string_equal(st.incidents[0].period, "2026-10");
    assert_string_equal(st.incidents[4].period, "2026-11");
    assert_int_equal(st.nweeks, 3);
    assert_string_equal(st.weeks[2].week, "2026-W44");
    assert_true(near(st.weeks[2].hours, 1.0));
    assert_true(st.weeks[2].commitment == 40.0);
    assert_int_equal(st.acks[1].acked, 3); /* police now also has November's 5 s */
    assert_true(st.acks[1].median_s == 60.0 && st.acks[1].p90_s == 120.0);
    query_stats_free(&st);

    /* Zone and reporter narrow the shifts too; an open shift "started" after
     * now counts as nothing, never negative. */
    query_filter flt = { .zone = "HB03" };
    assert_int_equal(query_stats_run(f->t.st, &flt, QUERY_WEEK, 50.0, t_("2026-10-26T08:00:00Z"),
                                     &st, err, sizeof err),
                     0);
    assert_int_equal(st.reports, 1);
    assert_int_equal(st.nhours, 1);
    assert_true(st.hours[0].hours == 0.0);
    query_stats_free(&st);
}

/* Queries must not register patrol_period() again each time: that expires
 * every statement prepared on the connection (the store's cached ones), which
 * SQLite then prepares again. */
static void test_queries_do_not_expire_prepared_statements(void **state)
{
    fixture *f = *state;
    query_stats st;
    char err[256];
    sqlite3_stmt *ps = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->t.st->db, "SELECT count(*) FROM reports", -1,
                                        &ps, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(query_stats_run(f->t.st, NULL, QUERY_WEEK, 40.0, t_("2026-10-26T10:00:00Z"),
                                         &st, err, sizeof err),
                         0);
        query_stats_free(&st);
        assert_int_equal(query_reports(f->t.st, NULL, NULL, NULL), 5);
        assert_int_equal(sqlite3_step(ps), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(ps, 0), 5);
        assert_int_equal(sqlite3_reset(ps), SQLITE_OK);
    }
    assert_int_equal(sqlite3_stmt_status(ps, SQLITE_STMTSTATUS_REPREPARE, 0), 0);
    sqlite3_finalize(ps);
}

/* ------------------------------------------------------------ SMS send queue */

static void test_mask_number(void **state)
{
    (void)state;
    char out[32];
    query_mask_number("+447700900123", out, sizeof out);
    assert_string_equal(out, "+44770*****23");
    query_mask_number("+4915112345678", out, sizeof out);
    assert_string_equal(out, "+49151******78");
    query_mask_number("80080", out, sizeof out); /* short: only the last 2 */
    assert_string_equal(out, "***80");
    query_mask_number("12", out, sizeof out);
    assert_string_equal(out, "**");
    query_mask_number("", out, sizeof out);
    assert_string_equal(out, "");
    char small[6];
    query_mask_number("+447700900123", small, sizeof small); /* bounded */
    assert_string_equal(small, "+4477");
}

typedef struct sms_rows {
    int64_t id[8];
    char state[8][12];
    char partner[8][16];
    int n;
} sms_rows;

static int collect_sms(void *arg, const query_sms *m)
{
    sms_rows *r = arg;
    if (r->n == 8)
        return 1;
    r->id[r->n] = m->id;
    snprintf(r->state[r->n], sizeof r->state[0], "%s", m->state);
    snprintf(r->partner[r->n], sizeof r->partner[0], "%s", m->partner);
    r->n++;
    return 0;
}

static int64_t add_sms(store *s, const char *to, const char *state, int64_t created)
{
    store_sms_out o;
    memset(&o, 0, sizeof o);
    snprintf(o.to, sizeof o.to, "%s", to);
    o.text = "OK R1 ASB P3 HB01";
    snprintf(o.coding, sizeof o.coding, "gsm7");
    snprintf(o.kind, sizeof o.kind, "reply");
    o.ref = 1;
    o.state = state;
    o.last_error = state && !strcmp(state, "dropped") ? "reply limit" : NULL;
    o.created_at = created;
    int64_t id = store_sms_out_add(s, &o);
    assert_true(id > 0);
    return id;
}

static void test_sms_queue(void **state)
{
    fixture *f = *state;
    store *s = f->t.st;
    int64_t a = add_sms(s, "+447700900123", NULL, 1000);      /* pending */
    int64_t b = add_sms(s, "+447700900123", "dropped", 2000);
    int64_t c = add_sms(s, "+447700900456", NULL, 3000);
    /* c is sent, a is given up (failed) after its time. */
    assert_int_equal(store_sms_out_result(s, c, 1, 7, NULL, 3500, 0), 0);
    assert_true(store_sms_out_give_up(s, 1500, 4000) >= 1);

    sms_rows r;
    memset(&r, 0, sizeof r);
    assert_int_equal(query_sms_each(s, NULL, collect_sms, &r), 3);
    assert_int_equal(r.id[0], a);
    assert_string_equal(r.state[0], "failed");
    assert_string_equal(r.state[1], "dropped");
    assert_string_equal(r.state[2], "sent");
    assert_string_equal(r.partner[0], "");

    query_sms_filter qf;
    memset(&qf, 0, sizeof qf);
    qf.states = QUERY_SMS_FAILED | QUERY_SMS_DROPPED;
    memset(&r, 0, sizeof r);
    assert_int_equal(query_sms_each(s, &qf, collect_sms, &r), 2);
    assert_int_equal(r.id[0], a);
    assert_int_equal(r.id[1], b);
    qf.states = QUERY_SMS_SENT;
    assert_int_equal(query_sms_each(s, &qf, NULL, NULL), 1);
    qf.states = QUERY_SMS_PENDING;
    assert_int_equal(query_sms_each(s, &qf, NULL, NULL), 0);
    /* Time, id, number and limit. */
    memset(&qf, 0, sizeof qf);
    qf.since = 2000;
    assert_int_equal(query_sms_each(s, &qf, NULL, NULL), 2);
    qf.until = 3000;
    assert_int_equal(query_sms_each(s, &qf, NULL, NULL), 1);
    memset(&qf, 0, sizeof qf);
    qf.after_id = a;
    memset(&r, 0, sizeof r);
    assert_int_equal(query_sms_each(s, &qf, collect_sms, &r), 2);
    assert_int_equal(r.id[0], b);
    qf.after_id = 0;
    qf.to = "+447700900456";
    memset(&r, 0, sizeof r);
    assert_int_equal(query_sms_each(s, &qf, collect_sms, &r), 1);
    assert_int_equal(r.id[0], c);
    qf.to = NULL;
    qf.limit = 2;
    assert_int_equal(query_sms_each(s, &qf, NULL, NULL), 2);
    /* A callback that stops: -1. */
    memset(&r, 0, sizeof r);
    r.n = 8;
    assert_int_equal(query_sms_each(s, NULL, collect_sms, &r), -1);
}

int main(void)
{
    /* Weeks and dates are local: pin the zone the expectations are written in. */
    if (setenv("TZ", "Europe/London", 1) != 0)
        return 1;
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_month),
        cmocka_unit_test(test_period_key),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test_setup_teardown(test_reports_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_month, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_unbounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries_do_not_expire_prepared_statements, setup,
                                        teardown),
        cmocka_unit_test(test_mask_number),
        cmocka_unit_test_setup_teardown(test_sms_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
