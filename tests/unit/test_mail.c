/* test_mail.c: the e-mail message of a delivery (gateway/mail.c): subject per
 * kind, headers, Message-ID from the alert_id, no header injection, no phone
 * number, quoted-printable body with every field, and SMTP outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail.h"

/* Mon, 23 Nov 2026 10:40:00 UTC */
#define NOW_MS 1795430400000LL

static const char *const ALERT =
    "{\"alert_id\":\"R1042-police\",\"ref\":\"R1042\",\"code\":\"RTC\","
    "\"code_name\":\"road traffic collision\",\"priority\":1,\"location\":\"HB03\","
    "\"zone\":\"HB03\",\"lat\":51.3731,\"lon\":1.1281,"
    "\"details\":\"car v cyclist amb called, first aid given\",\"reporter\":\"BRAVO1\","
    "\"channel\":\"sms\",\"received_at\":\"2026-11-23T10:39:58.120Z\","
    "\"ack\":{\"sms\":\"ACK 1042\",\"topic\":\"patrol/ack/police\","
    "\"url\":\"https://gw.example/ack/R1042.police.1795516800.sig\"}}";

static cfg_smtp smtp;
static cfg_partner partner;

static int setup(void **state)
{
    (void)state;
    memset(&smtp, 0, sizeof smtp);
    snprintf(smtp.url, sizeof smtp.url, "smtp://127.0.0.1:2525");
    snprintf(smtp.from, sizeof smtp.from, "Herne Bay patrol <alerts@patrolgw.example>");
    smtp.tls = 1;
    smtp.verify_tls = 1;
    smtp.timeout_ms = 20000;
    memset(&partner, 0, sizeof partner);
    snprintf(partner.name, sizeof partner.name, "police");
    snprintf(partner.email[0], sizeof partner.email[0], "duty@police.example");
    snprintf(partner.email[1], sizeof partner.email[1], "control@police.example");
    partner.nemail = 2;
    snprintf(partner.escalate_email[0], sizeof partner.escalate_email[0], "inspector@police.example");
    partner.nescalate_email = 1;
    return 0;
}

static dlv_item item(const char *kind, const char *payload)
{
    dlv_item it = {
        .row = 1,
        .alert_id = "R1042-police",
        .kind = kind,
        .partner = &partner,
        .payload = payload,
        .payload_len = strlen(payload),
        .now = NOW_MS,
    };
    return it;
}

/* The message of it, which must build. Caller frees. */
static char *build(const dlv_item *it)
{
    char *msg = NULL, err[160] = "";
    size_t len = 0;
    int rc = mail_message(&smtp, it, &msg, &len, err, sizeof err);
    if (rc != 0)
        fail_msg("mail_message: %d %s", rc, err);
    assert_non_null(msg);
    assert_int_equal(strlen(msg), len);
    return msg;
}

/* The value of header `name` (unfolded: CRLF + space removed), or "" if absent. */
static void header(const char *msg, const char *name, char *out, size_t outsz)
{
    const char *end = strstr(msg, "\r\n\r\n");
    size_t nlen = strlen(name);
    out[0] = '\0';
    assert_non_null(end);
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
        if (strncmp(p, name, nlen) != 0 || p[nlen] != ':')
            continue;
        const char *v = p + nlen + 1;
        while (*v == ' ')
            v++;
        size_t o = 0;
        while (v < end + 2 && o + 1 < outsz) {
            if (v[0] == '\r' && v[1] == '\n' && v[2] == ' ') {
                v += 3;
                continue;
            }
            if (v[0] == '\r' && v[1] == '\n')
                break;
            out[o++] = *v++;
        }
        out[o] = '\0';
        return;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The body decoded (quoted-printable, CRLF to LF). Caller frees. */
static char *body_text(const char *msg)
{
    const char *b = strstr(msg, "\r\n\r\n");
    assert_non_null(b);
    b += 4;
    char *out = malloc(strlen(b) + 1);
    assert_non_null(out);
    size_t o = 0;
    for (const char *p = b; *p;) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 3;
        } else if (p[0] == '=' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else if (p[0] == '\r' && p[1] == '\n') {
            out[o++] = '\n';
            p += 2;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

/* Every line of the message: at most 78 characters, ASCII, CRLF-ended. */
static void assert_lines_ok(const char *msg)
{
    size_t col = 0;
    for (const char *p = msg; *p; p++) {
        assert_true((unsigned char)*p < 0x80);
        if (*p == '\n') {
            assert_true(p > msg && p[-1] == '\r');
            col = 0;
        } else if (*p != '\r') {
            col++;
            assert_in_range(col, 0, 78);
        } else {
            assert_int_equal(p[1], '\n');
        }
    }
}

/* ------------------------------------------------------------------ subject */

typedef struct subject_case {
    const char *kind;
    const char *payload;
    const char *want;
} subject_case;

static const char *const UPDATE =
    "{\"ref\":\"R1042\",\"code\":\"RTC\",\"priority\":1,\"location\":\"HB03\",\"zone\":\"HB03\","
    "\"update\":{\"event\":\"update\",\"text\":\"second ambulance on scene\",\"by\":\"BRAVO1\"}}";
static const char *const CLEARED =
    "{\"ref\":\"R1042\",\"code\":\"RTC\",\"priority\":1,\"location\":\"HB03\",\"zone\":\"HB03\","
    "\"update\":{\"event\":\"cleared\",\"text\":\"road reopened\"}}";
/* What the lifecycle sends (docs/alerts.md): the update's fields at the top level. */
static const char *const UPDATE_FLAT =
    "{\"alert_id\":\"R1042-police-u1\",\"kind\":\"update\",\"update\":\"update\",\"ref\":\"R1042\","
    "\"partner\":\"police\",\"code\":\"RTC\",\"priority\":1,\"location\":\"HB03\",\"zone\":\"HB03\","
    "\"text\":\"second ambulance on scene\",\"by\":\"BRAVO1\",\"at\":\"2026-11-23T10:50:00.000Z\"}";
static const char *const CLEARED_FLAT =
    "{\"kind\":\"update\",\"update\":\"cleared\",\"ref\":\"R1042\",\"code\":\"RTC\","
    "\"priority\":1,\"location\":\"HB03\",\"zone\":null,\"text\":\"road reopened\"}";
static const char *const NO_ZONE =
    "{\"ref\":\"R77\",\"code\":\"MH\",\"priority\":2,\"location\":\"51.373100,1.128100 near the "
    "clock tower\",\"zone\":null}";
static const char *const DIGEST =
    "{\"partner\":\"police\",\"alerts\":["
    "{\"ref\":\"R5\",\"code\":\"ASB\",\"priority\":3,\"location\":\"HB12\",\"zone\":\"HB12\","
    "\"details\":\"youths throwing bottles\",\"reporter\":\"BRAVO1\"},"
    "{\"ref\":\"R6\",\"code\":\"THEFT\",\"priority\":3,\"location\":\"CT1 2AB\",\"zone\":null,"
    "\"details\":\"male red jacket left Boots with razors\",\"reporter\":\"ALPHA2\"},"
    "{\"ref\":\"R7\",\"code\":\"DMG\",\"priority\":4,\"location\":\"HB01\",\"zone\":\"HB01\","
    "\"details\":\"bus shelter glass broken\",\"reporter\":\"BRAVO1\"}]}";

static void test_subject_per_kind(void **state)
{
    (void)state;
    const subject_case cases[] = {
        { "alert", ALERT, "[P1] RTC HB03 R1042" },
        { "resend", ALERT, "[P1] RTC HB03 R1042 (resent, not acknowledged)" },
        { "escalation", ALERT, "[P1] RTC HB03 R1042 ESCALATED: not acknowledged" },
        { "reminder", ALERT, "[P1] RTC HB03 R1042 REMINDER: acknowledged, not cleared" },
        { "update", UPDATE, "[P1] RTC HB03 R1042 UPDATE" },
        { "update", CLEARED, "[P1] RTC HB03 R1042 CLEARED" },
        { "update", UPDATE_FLAT, "[P1] RTC HB03 R1042 UPDATE" },
        { "update", CLEARED_FLAT, "[P1] RTC HB03 R1042 CLEARED" },
        /* no zone: the location, cut short */
        { "alert", NO_ZONE, "[P2] MH 51.373100,1.128100 near R77" },
        { "digest", DIGEST, "[digest] police: 3 alerts" },
        { "digest", "{\"alerts\":[{\"ref\":\"R5\"}]}", "[digest] police: 1 alert" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dlv_item it = item(cases[i].kind, cases[i].payload);
        if (strcmp(cases[i].kind, "escalation") == 0)
            it.escalation = 1;
        char *msg = build(&it);
        char got[256];
        header(msg, "Subject", got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu (%s): subject '%s', want '%s'", i, cases[i].kind, got,
                     cases[i].want);
        char kind[32];
        header(msg, "X-Patrol-Kind", kind, sizeof kind);
        assert_string_equal(kind, cases[i].kind);
        assert_lines_ok(msg);
        free(msg);
    }
}

static void test_subject_utf8_is_encoded(void **state)
{
    (void)state;
    dlv_item it = item("alert", "{\"ref\":\"R1\",\"code\":\"RTC\",\"priority\":1,"
                                "\"location\":\"Caf\\u00e9\",\"zone\":null}");
    char *msg = build(&it);
    char got[256];
    header(msg, "Subject", got, sizeof got);
    /* RFC 2047: base64 of "[P1] RTC Café R1" */
    assert_string_equal(got, "=?UTF-8?B?W1AxXSBSVEMgQ2Fmw6kgUjE=?=");
    assert_lines_ok(msg);
    free(msg);
}

/* ------------------------------------------------------------------ headers */

static void test_headers(void **state)
{
    (void)state;
    dlv_item it = item("alert", ALERT);
    char *msg = build(&it);
    char v[512];
    header(msg, "From", v, sizeof v);
    assert_string_equal(v, "Herne Bay patrol <alerts@patrolgw.example>");
    header(msg, "To", v, sizeof v);
    assert_string_equal(v, "duty@police.example,control@police.example");
    header(msg, "Date", v, sizeof v);
    assert_string_equal(v, "Mon, 23 Nov 2026 10:40:00 +0000");
    header(msg, "Message-ID", v, sizeof v);
    assert_string_equal(v, "<R1042-police@patrolgw>");
    header(msg, "Content-Type", v, sizeof v);
    assert_string_equal(v, "text/plain; charset=utf-8");
    header(msg, "Content-Transfer-Encoding", v, sizeof v);
    assert_string_equal(v, "quoted-printable");
    header(msg, "MIME-Version", v, sizeof v);
    assert_string_equal(v, "1.0");
    header(msg, "Auto-Submitted", v, sizeof v);
    assert_string_equal(v, "auto-generated");
    header(msg, "X-Patrol-Ref", v, sizeof v);
    assert_string_equal(v, "R1042");
    assert_lines_ok(msg);
    free(msg);
}

/* A retry an hour later is the same message to the receiver: same Message-ID. */
static void test_message_id_stable(void **state)
{
    (void)state;
    dlv_item a = item("alert", ALERT), b = item("alert", ALERT);
    b.now = NOW_MS + 3600 * 1000;
    b.row = 99;
    char *ma = build(&a), *mb = build(&b);
    char ida[128], idb[128], da[64], db[64];
    header(ma, "Message-ID", ida, sizeof ida);
    header(mb, "Message-ID", idb, sizeof idb);
    header(ma, "Date", da, sizeof da);
    header(mb, "Date", db, sizeof db);
    assert_string_equal(ida, idb);
    assert_string_not_equal(da, db);
    /* another delivery (another alert_id) has another id */
    b.alert_id = "R1042-police-resend-1";
    free(mb);
    mb = build(&b);
    header(mb, "Message-ID", idb, sizeof idb);
    assert_string_equal(idb, "<R1042-police-resend-1@patrolgw>");
    free(ma);
    free(mb);
}

static void test_escalation_goes_to_escalation_contacts(void **state)
{
    (void)state;
    dlv_item it = item("escalation", ALERT);
    it.escalation = 1;
    char *msg = build(&it);
    char v[512];
    header(msg, "To", v, sizeof v);
    assert_string_equal(v, "inspector@police.example");
    char *text = body_text(msg);
    assert_non_null(strstr(text, "ESCALATED"));
    assert_non_null(strstr(text, "escalation contact of police"));
    free(text);
    free(msg);
}

/* Nothing from the payload, the alert_id or the config starts a header line. */
static void test_header_injection_stripped(void **state)
{
    (void)state;
    const char *evil = "{\"ref\":\"R1\\r\\nBcc: a@evil.example\",\"code\":\"RTC\\nBcc: b@evil.example\","
                       "\"priority\":1,\"location\":\"x\",\"zone\":\"HB\\r\\n\\r\\nbody\","
                       "\"details\":\"line one\\r\\nBcc: c@evil.example\"}";
    dlv_item it = item("alert\r\nBcc: d@evil.example", evil);
    it.alert_id = "R1\r\nBcc: e@evil.example";
    snprintf(smtp.from, sizeof smtp.from, "Patrol\r\nBcc: f@evil.example <alerts@patrolgw.example>");
    char *msg = build(&it);
    const char *end = strstr(msg, "\r\n\r\n");
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
        if (strncasecmp(p, "Bcc", 3) == 0 || strncmp(p, "body", 4) == 0)
            fail_msg("injected header line: %.40s", p);
    char v[256];
    header(msg, "Subject", v, sizeof v);
    assert_null(strchr(v, '\r'));
    assert_null(strchr(v, '\n'));
    header(msg, "Message-ID", v, sizeof v);
    assert_string_equal(v, "<R1__Bcc__e_evil_example@patrolgw>");
    /* In the body, a line break in the details is a line break, nothing more. */
    char *text = body_text(msg);
    assert_non_null(strstr(text, "Details:    line one\n            Bcc: c@evil.example\n"));
    free(text);
    free(msg);
}

/* ------------------------------------------------------------------ body */

static void test_body_has_every_field(void **state)
{
    (void)state;
    dlv_item it = item("alert", ALERT);
    char *msg = build(&it);
    char *text = body_text(msg);
    const char *want[] = {
        "Reference:  R1042\n",
        "Incident:   RTC - road traffic collision\n",
        "Priority:   P1\n",
        "Location:   HB03\n",
        "Zone:       HB03\n",
        "Position:   51.37310, 1.12810\n",
        "Details:    car v cyclist amb called, first aid given\n",
        "Reporter:   BRAVO1\n",
        "Received:   2026-11-23T10:39:58.120Z\n",
        "Alert id:   R1042-police\n",
        "text \"ACK 1042\"",
        "patrol/ack/police",
        "https://gw.example/ack/R1042.police.1795516800.sig",
        "does not acknowledge",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("body lacks '%s':\n%s", want[i], text);
    free(text);
    free(msg);
}

static void test_update_body(void **state)
{
    (void)state;
    dlv_item it = item("update", UPDATE);
    char *msg = build(&it);
    char *text = body_text(msg);
    assert_non_null(strstr(text, "UPDATE to an alert already sent"));
    assert_non_null(strstr(text, "Update:     second ambulance on scene\n"));
    assert_non_null(strstr(text, "By:         BRAVO1\n"));
    free(text);
    free(msg);
}

static void test_update_body_flat(void **state)
{
    (void)state;
    dlv_item it = item("update", UPDATE_FLAT);
    char *msg = build(&it);
    char *text = body_text(msg);
    assert_non_null(strstr(text, "Update:     second ambulance on scene\n"));
    assert_non_null(strstr(text, "By:         BRAVO1\n"));
    assert_non_null(strstr(text, "At:         2026-11-23T10:50:00.000Z\n"));
    free(text);
    free(msg);
    it = item("update", CLEARED_FLAT);
    msg = build(&it);
    text = body_text(msg);
    assert_non_null(strstr(text, "CLEARED: the report of this alert is closed.\n"));
    assert_non_null(strstr(text, "Update:     road reopened\n"));
    free(text);
    free(msg);
}

static void test_note_is_shown(void **state)
{
    (void)state;
    dlv_item it = item("fallback", "{\"ref\":\"R1042\",\"code\":\"RTC\",\"priority\":1,"
                                   "\"zone\":\"HB03\",\"note\":\"webhook dead-lettered\"}");
    char *msg = build(&it);
    char *text = body_text(msg);
    assert_non_null(strstr(text, "Note:       webhook dead-lettered\n"));
    free(text);
    free(msg);
}

static void test_digest_lists_every_alert(void **state)
{
    (void)state;
    dlv_item it = item("digest", DIGEST);
    char *msg = build(&it);
    char *text = body_text(msg);
    assert_non_null(strstr(text, "1. [P3] ASB HB12 R5\n"));
    assert_non_null(strstr(text, "2. [P3] THEFT CT1 2AB R6\n"));
    assert_non_null(strstr(text, "3. [P4] DMG HB01 R7\n"));
    assert_non_null(strstr(text, "Details:    male red jacket left Boots with razors\n"));
    assert_non_null(strstr(text, "Reporter:   ALPHA2\n"));
    free(text);
    free(msg);
}

/* The payload never has a phone number; if a reporter ever looked like one,
 * the message still would not carry it. */
static void test_no_phone_number(void **state)
{
    (void)state;
    const char *pl = "{\"ref\":\"R9\",\"code\":\"MH\",\"priority\":2,\"location\":\"HB03\","
                     "\"zone\":\"HB03\",\"details\":\"talking to him\","
                     "\"reporter\":\"+447700900123\"}";
    dlv_item it = item("alert", pl);
    char *msg = build(&it);
    char *text = body_text(msg);
    assert_null(strstr(msg, "7700900123"));
    assert_null(strstr(text, "7700900123"));
    assert_non_null(strstr(text, "Reporter:   (withheld)\n"));
    free(text);
    free(msg);
}

/* Long words, UTF-8 and trailing spaces: 7-bit lines of at most 76 characters
 * that decode back to the text. */
static void test_quoted_printable(void **state)
{
    (void)state;
    char pl[2048], word[301];
    memset(word, 'x', 300);
    word[300] = '\0';
    snprintf(pl, sizeof pl,
             "{\"ref\":\"R3\",\"code\":\"SUS\",\"priority\":3,\"location\":\"HB03\",\"zone\":\"HB03\","
             "\"details\":\"caf\\u00e9 = na\\u00efve %s end \"}", word);
    dlv_item it = item("alert", pl);
    char *msg = build(&it);
    assert_lines_ok(msg);
    char *text = body_text(msg);
    char want[512];
    snprintf(want, sizeof want, "caf\xc3\xa9 = na\xc3\xafve\n            %s\n            end\n",
             word);
    if (!strstr(text, want))
        fail_msg("decoded body:\n%s", text);
    /* A space at the end of a line is encoded, or a relay could drop it. */
    assert_non_null(strstr(msg, "\r\n--=20\r\n"));
    assert_non_null(strstr(text, "\n-- \npatrolgw"));
    free(text);
    free(msg);
}

/* ------------------------------------------------------------------ refused */

static void test_refused_messages(void **state)
{
    (void)state;
    char *msg = NULL, err[160];
    size_t len = 0;
    dlv_item it = item("alert", ALERT);

    snprintf(partner.email[1], sizeof partner.email[1], "two@example.org>\r\nRCPT TO:<x@y>");
    assert_int_equal(mail_message(&smtp, &it, &msg, &len, err, sizeof err), -1);
    assert_null(msg);
    assert_string_equal(err, "partner police: e-mail address 2 is not a plain address");
    setup(NULL);

    partner.nemail = 0;
    assert_int_equal(mail_message(&smtp, &it, &msg, &len, err, sizeof err), -1);
    assert_string_equal(err, "partner police has no e-mail address");
    setup(NULL);

    it.escalation = 1;
    partner.nescalate_email = 0;
    assert_int_equal(mail_message(&smtp, &it, &msg, &len, err, sizeof err), -1);
    assert_string_equal(err, "partner police has no escalation e-mail address");
    setup(NULL);

    snprintf(smtp.from, sizeof smtp.from, "patrolgw");
    it = item("alert", ALERT);
    assert_int_equal(mail_message(&smtp, &it, &msg, &len, err, sizeof err), -1);
    assert_string_equal(err, "[smtp] from is not an address");
    setup(NULL);

    it = item("alert", "[1,2]");
    assert_int_equal(mail_message(&smtp, &it, &msg, &len, err, sizeof err), -1);
    assert_string_equal(err, "payload is not a JSON object");
    assert_null(msg);
}

/* ------------------------------------------------------------------ outcomes */

typedef struct outcome_case {
    CURLcode rc;
    long code;
    int os_errno;
    enum dlv_outcome want;
    const char *error;
} outcome_case;

static void test_classify(void **state)
{
    (void)state;
    const outcome_case cases[] = {
        { CURLE_OK, 250, 0, DLV_OK, "" },
        { CURLE_SEND_ERROR, 550, 0, DLV_PERMANENT, "smtp 550: refused by the server" },
        { CURLE_WEIRD_SERVER_REPLY, 554, 0, DLV_PERMANENT, "smtp 554: refused by the server" },
        { CURLE_LOGIN_DENIED, 535, 0, DLV_PERMANENT, "smtp 535: refused by the server" },
        { CURLE_SEND_ERROR, 451, 0, DLV_RETRY, "smtp 451: refused for now by the server" },
        { CURLE_WEIRD_SERVER_REPLY, 421, 0, DLV_RETRY, "smtp 421: refused for now by the server" },
        { CURLE_COULDNT_CONNECT, 0, 111, DLV_RETRY,
          "smtp: Couldn't connect to server: Connection refused" },
        { CURLE_OPERATION_TIMEDOUT, 0, 0, DLV_RETRY, "smtp: Timeout was reached" },
        { CURLE_COULDNT_RESOLVE_HOST, 0, 0, DLV_RETRY, "smtp: Couldn't resolve host name" },
        { CURLE_PEER_FAILED_VERIFICATION, 0, 0, DLV_RETRY, NULL },
        { CURLE_USE_SSL_FAILED, 0, 0, DLV_RETRY, NULL },
        { CURLE_URL_MALFORMAT, 0, 0, DLV_PERMANENT, NULL },
        { CURLE_UNSUPPORTED_PROTOCOL, 0, 0, DLV_PERMANENT, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[160];
        enum dlv_outcome o = mail_classify((int)cases[i].rc, cases[i].code, cases[i].os_errno,
                                           err, sizeof err);
        if (o != cases[i].want)
            fail_msg("case %zu: outcome %d, want %d (%s)", i, (int)o, (int)cases[i].want, err);
        if (cases[i].error)
            assert_string_equal(err, cases[i].error);
        else
            assert_true(err[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_subject_per_kind, setup),
        cmocka_unit_test_setup(test_subject_utf8_is_encoded, setup),
        cmocka_unit_test_setup(test_headers, setup),
        cmocka_unit_test_setup(test_message_id_stable, setup),
        cmocka_unit_test_setup(test_escalation_goes_to_escalation_contacts, setup),
        cmocka_unit_test_setup(test_header_injection_stripped, setup),
        cmocka_unit_test_setup(test_body_has_every_field, setup),
        cmocka_unit_test_setup(test_update_body, setup),
        cmocka_unit_test_setup(test_update_body_flat, setup),
        cmocka_unit_test_setup(test_note_is_shown, setup),
        cmocka_unit_test_setup(test_digest_lists_every_alert, setup),
        cmocka_unit_test_setup(test_no_phone_number, setup),
        cmocka_unit_test_setup(test_quoted_printable, setup),
        cmocka_unit_test_setup(test_refused_messages, setup),
        cmocka_unit_test_setup(test_classify, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
