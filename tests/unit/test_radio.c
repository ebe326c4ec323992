/* test_radio.c: the radio-bridge channel (gateway/radio.c): topics, payloads, replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "ingest.h"
#include "radio.h"

#define NOW 1795000000000LL

/* Networks: "shop" does not require registration; any other does. */
static gw_config *cfg;

static int decode(const char *prefix, const char *topic, const char *payload, radio_msg *m)
{
    return radio_decode(prefix, topic, payload, strlen(payload), NOW, cfg, m);
}

/* A message that decoded to PRC/1 text: no rejection, text as wanted. */
static void assert_text(const radio_msg *m, const char *want)
{
    if (m->reject_reason)
        fail_msg("rejected: %s", m->reject_reason);
    assert_non_null(m->text);
    assert_int_equal(m->text_len, strlen(want));
    assert_memory_equal(m->text, want, m->text_len);
    assert_int_equal(m->text[m->text_len], '\0');
}

/* A rejected message: reason and reply set, no text. */
static void assert_rejected(const radio_msg *m, const char *reason)
{
    assert_non_null(m->reject_reason);
    assert_string_equal(m->reject_reason, reason);
    assert_non_null(m->reject_reply);
    assert_true(m->reject_reply[0] != '\0');
    assert_null(m->text);
    assert_int_equal(m->text_len, 0);
}

static void test_topics(void **state)
{
    radio_msg m;
    (void)state;

    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "ASB HB12", &m), 0);
    assert_string_equal(m.network, "hbbcrp");
    assert_string_equal(m.unit, "radio7");
    assert_string_equal(m.sender, "hbbcrp/radio7");
    assert_int_equal(m.received_at, NOW);
    assert_int_equal(m.is_json, 0);
    assert_string_equal(m.msg_id, "");
    assert_text(&m, "ASB HB12");
    radio_msg_clear(&m);

    /* a multi-level prefix */
    assert_int_equal(decode("kent/hb", "kent/hb/in/shop/till-1", "ASB HB12", &m), 0);
    assert_string_equal(m.network, "shop");
    assert_string_equal(m.unit, "till-1");
    radio_msg_clear(&m);

    /* not an inbound radio topic: -1, nothing kept */
    static const char *const bad[] = {
        "patrol/in/hbbcrp",           /* no unit level */
        "patrol/in/hbbcrp/radio7/x",  /* one level too many */
        "patrol/in/hbbcrp/radio7/",
        "patrol/out/hbbcrp/radio7",   /* our own replies */
        "patrol/alerts/police",
        "patrolx/in/hbbcrp/radio7",   /* the prefix is a whole level */
        "patro/in/hbbcrp/radio7",
        "other/in/hbbcrp/radio7",
        "xpatrol/in/hbbcrp/radio7",
        "patrol",
        "patrol/in",
        "patrol/in/",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&m, 0x5a, sizeof m);
        if (decode("patrol", bad[i], "ASB HB12", &m) != -1)
            fail_msg("topic \"%s\" was taken", bad[i]);
        assert_null(m.payload);
        assert_null(m.text);
        radio_msg_clear(&m);
    }
}

/* Levels that are not usable names: kept (journaled) but rejected, and never answered. */
static void test_bad_levels(void **state)
{
    static const char *const topics[] = {
        "patrol/in//radio7",
        "patrol/in/hbbcrp/",
        "patrol/in/hb bcrp/radio7",
        "patrol/in/hbbcrp/radio\x7f",
        "patrol/in/hbbcrp/r\xc3\xa9",
        "patrol/in/abcdefghijabcdefghijabcdefghijabc/radio7", /* 33 bytes */
    };
    (void)state;
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        radio_msg m;
        ingest_out o;
        char topic[256];
        char *payload = NULL;
        size_t len = 0;
        assert_int_equal(decode("patrol", topics[i], "ASB HB12", &m), 0);
        assert_rejected(&m, "bad topic");
        assert_string_equal(m.sender, "?/?");
        assert_non_null(m.payload);
        assert_int_equal(m.payload_len, 8);
        memset(&o, 0, sizeof o);
        snprintf(o.reply, sizeof o.reply, "ERR FORMAT: x");
        assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), -1);
        assert_null(payload);
        radio_msg_clear(&m);
    }
    /* 32 bytes is the cap, and fits */
    radio_msg m;
    assert_int_equal(decode("patrol", "patrol/in/abcdefghijabcdefghijabcdefghijab/radio7", "x", &m),
                     0);
    assert_null(m.reject_reason);
    assert_string_equal(m.network, "abcdefghijabcdefghijabcdefghijab");
    radio_msg_clear(&m);
}

static void test_text_payload(void **state)
{
    radio_msg m;
    (void)state;
    const char *t = "THEFT CT1 2AB male red jacket \xe2\x82\xac" "5 razors";
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", t, &m), 0);
    assert_text(&m, t);
    assert_int_equal(m.payload_len, strlen(t));
    assert_memory_equal(m.payload, t, m.payload_len);
    radio_msg_clear(&m);

    /* an empty payload is empty text (the parser answers ERR FORMAT) */
    assert_int_equal(radio_decode("patrol", "patrol/in/hbbcrp/radio7", "", 0, NOW, cfg, &m), 0);
    assert_text(&m, "");
    radio_msg_clear(&m);

    /* JSON that is not an object, or an object with junk after it, is rejected */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "[\"ASB HB12\"]", &m), 0);
    assert_int_equal(m.is_json, 1);
    assert_rejected(&m, "bad JSON");
    radio_msg_clear(&m);
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"ASB HB12\"} junk", &m), 0);
    assert_rejected(&m, "bad JSON");
    radio_msg_clear(&m);
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"ASB HB12\"} \n", &m), 0);
    assert_text(&m, "ASB HB12");
    radio_msg_clear(&m);
    /* a numeric msg_id a double cannot hold exactly is refused */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7",
                            "{\"text\":\"HELP\",\"msg_id\":12345678901234567890}", &m), 0);
    assert_rejected(&m, "bad msg_id");
    radio_msg_clear(&m);

    /* bad UTF-8 */
    static const char *const bad[] = { "ASB HB12 \xff", "\xc3(", "ASB \xed\xa0\x80 HB12",
                                       "{\"text\":\"\xc0\xaf\"}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", bad[i], &m), 0);
        assert_rejected(&m, "bad UTF-8");
        assert_int_equal(m.payload_len, strlen(bad[i]));
        radio_msg_clear(&m);
    }
    /* a NUL byte in the text */
    assert_int_equal(radio_decode("patrol", "patrol/in/hbbcrp/radio7", "ASB\0HB12", 8, NOW, cfg, &m), 0);
    assert_rejected(&m, "bad UTF-8");
    radio_msg_clear(&m);
}

static void test_sizes(void **state)
{
    radio_msg m;
    char *big = malloc(RADIO_KEEP_MAX + 100);
    (void)state;
    assert_non_null(big);
    memset(big, 'a', RADIO_KEEP_MAX + 100);

    /* at the cap: taken */
    assert_int_equal(radio_decode("patrol", "patrol/in/n/u", big, GW_RADIO_PAYLOAD_MAX, NOW, cfg, &m), 0);
    assert_null(m.reject_reason);
    assert_int_equal(m.text_len, GW_RADIO_PAYLOAD_MAX);
    radio_msg_clear(&m);
    /* one byte over: kept, rejected */
    assert_int_equal(
        radio_decode("patrol", "patrol/in/n/u", big, GW_RADIO_PAYLOAD_MAX + 1, NOW, cfg, &m), 0);
    assert_rejected(&m, "payload over 4096 bytes");
    assert_int_equal(m.payload_len, GW_RADIO_PAYLOAD_MAX + 1);
    radio_msg_clear(&m);
    /* far over: kept up to RADIO_KEEP_MAX */
    assert_int_equal(radio_decode("patrol", "patrol/in/n/u", big, RADIO_KEEP_MAX + 100, NOW, cfg, &m), 0);
    assert_rejected(&m, "payload over 4096 bytes");
    assert_int_equal(m.payload_len, RADIO_KEEP_MAX);
    radio_msg_clear(&m);
    /* a JSON envelope over the cap is rejected too */
    memcpy(big, "{\"text\":\"", 9);
    memcpy(big + 5000 - 2, "\"}", 2);
    assert_int_equal(radio_decode("patrol", "patrol/in/n/u", big, 5000, NOW, cfg, &m), 0);
    assert_rejected(&m, "payload over 4096 bytes");
    radio_msg_clear(&m);
    free(big);
}

static void test_json(void **state)
{
    radio_msg m;
    ingest_in in;
    (void)state;

    assert_int_equal(decode("patrol", "patrol/in/shop/bridge",
                            "  {\"text\":\"ASB HB12 youths\",\"unit\":\"radio9\",\"msg_id\":\"b1-42\","
                            "\"bridge\":\"hb-north\",\"ts\":\"2026-11-23T09:00:00Z\",\"extra\":1}",
                            &m),
                     0);
    assert_int_equal(m.is_json, 1);
    assert_text(&m, "ASB HB12 youths");
    assert_string_equal(m.network, "shop");
    assert_string_equal(m.unit, "radio9");
    assert_string_equal(m.sender, "shop/radio9");
    assert_string_equal(m.topic_unit, "bridge");
    assert_int_equal(m.unit_claimed, 1);
    assert_string_equal(m.msg_id, "b1-42");
    assert_string_equal(m.bridge, "hb-north");
    assert_string_equal(m.ts, "2026-11-23T09:00:00Z");

    radio_to_ingest(&m, &in);
    assert_string_equal(in.channel, "radio");
    assert_string_equal(in.network, "shop");
    assert_string_equal(in.unit, "radio9");
    assert_string_equal(in.sender, "shop/radio9");
    assert_string_equal(in.topic_unit, "bridge");
    assert_int_equal(in.unit_claimed, 1);
    assert_string_equal(in.msg_id, "b1-42");
    assert_string_equal(in.bridge, "hb-north");
    assert_string_equal(in.bridge_ts, "2026-11-23T09:00:00Z");
    assert_ptr_equal(in.text, m.text);
    assert_int_equal(in.text_len, m.text_len);
    assert_ptr_equal(in.payload, m.payload);
    assert_int_equal(in.payload_len, m.payload_len);
    assert_null(in.reject_reason);
    assert_int_equal(in.received_at, NOW);
    radio_msg_clear(&m);

    /* only text: the topic's unit; absent fields are NULL in the ingest_in */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"HELP\"}", &m), 0);
    assert_text(&m, "HELP");
    assert_string_equal(m.unit, "radio7");
    assert_string_equal(m.msg_id, "");
    radio_to_ingest(&m, &in);
    assert_null(in.msg_id);
    assert_null(in.bridge);
    assert_null(in.bridge_ts);
    radio_msg_clear(&m);

    /* null fields are absent */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7",
                            "{\"text\":\"HELP\",\"msg_id\":null,\"unit\":null,\"bridge\":null}", &m),
                     0);
    assert_text(&m, "HELP");
    assert_string_equal(m.unit, "radio7");
    assert_string_equal(m.msg_id, "");
    radio_msg_clear(&m);

    /* a numeric msg_id becomes its decimal text */
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"HELP\",\"msg_id\":42}", &m), 0);
    assert_string_equal(m.msg_id, "42");
    radio_msg_clear(&m);
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"HELP\",\"msg_id\":123456789012}", &m),
        0);
    assert_string_equal(m.msg_id, "123456789012");
    radio_msg_clear(&m);
    /* hardening 21: above 2^53 a double rounds (2^53 + 1 reads as 2^53), so
     * two ids would merge: refused from 2^53 on; 2^53 - 1 is the largest */
    static const char *const too_big[] = { "9007199254740993", "9007199254740992",
                                           "-9007199254740993", "1e300" };
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        char js[128];
        snprintf(js, sizeof js, "{\"text\":\"HELP\",\"msg_id\":%s}", too_big[i]);
        assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", js, &m), 0);
        if (!m.reject_reason)
            fail_msg("msg_id %s taken as \"%s\"", too_big[i], m.msg_id);
        assert_rejected(&m, "bad msg_id");
        radio_msg_clear(&m);
    }
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7",
                            "{\"text\":\"HELP\",\"msg_id\":9007199254740991}", &m),
                     0);
    assert_string_equal(m.msg_id, "9007199254740991");
    radio_msg_clear(&m);
    /* a fraction is not an id */
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"HELP\",\"msg_id\":4.5}", &m), 0);
    assert_rejected(&m, "bad msg_id");
    radio_msg_clear(&m);

    /* a msg_id of exactly 64 chars is fine, 65 is not */
    char buf[256];
    snprintf(buf, sizeof buf, "{\"text\":\"HELP\",\"msg_id\":\"%064d\"}", 7);
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", buf, &m), 0);
    assert_null(m.reject_reason);
    assert_int_equal(strlen(m.msg_id), 64);
    radio_msg_clear(&m);
    snprintf(buf, sizeof buf, "{\"text\":\"HELP\",\"msg_id\":\"%065d\"}", 7);
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", buf, &m), 0);
    assert_rejected(&m, "bad msg_id");
    assert_int_equal(m.is_json, 1);
    radio_msg_clear(&m);
}

static void test_json_rejected(void **state)
{
    static const struct {
        const char *payload;
        const char *reason;
    } cases[] = {
        { "{", "bad JSON" },
        { "{\"text\":\"ASB HB12\"", "bad JSON" },
        { "{text:\"ASB HB12\"}", "bad JSON" },
        { "{\"text\":\"ASB HB12\",}", "bad JSON" },
        { "{}", "no text" },
        { "{\"msg\":\"ASB HB12\"}", "no text" },
        { "{\"text\":null}", "no text" },
        { "{\"text\":42}", "no text" },
        { "{\"text\":[\"ASB HB12\"]}", "no text" },
        { "{\"text\":{\"a\":1}}", "no text" },
        { "{\"text\":\"HELP\",\"msg_id\":true}", "bad msg_id" },
        { "{\"text\":\"HELP\",\"msg_id\":[1]}", "bad msg_id" },
        { "{\"text\":\"HELP\",\"msg_id\":{}}", "bad msg_id" },
        { "{\"text\":\"HELP\",\"bridge\":{}}", "bad bridge or ts" },
        { "{\"text\":\"HELP\",\"bridge\":\"abcdefghijabcdefghijabcdefghijabc\"}", "bad bridge or ts" },
        { "{\"text\":\"HELP\",\"ts\":false}", "bad bridge or ts" },
        { "{\"text\":\"HELP\",\"ts\":\"0123456789012345678901234567890123456789X\"}",
          "bad bridge or ts" },
        { "{\"text\":\"HELP\",\"unit\":\"radio 9\"}", "bad unit" },
        { "{\"text\":\"HELP\",\"unit\":\"\"}", "bad unit" },
        { "{\"text\":\"HELP\",\"unit\":\"a/b+\"}", "bad unit" },
        { "{\"text\":\"HELP\",\"unit\":\"#\"}", "bad unit" },
        { "{\"text\":\"HELP\",\"unit\":[]}", "bad unit" },
        { "{\"text\":\"HELP\",\"unit\":\"abcdefghijabcdefghijabcdefghijabc\"}", "bad unit" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        radio_msg m;
        assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", cases[i].payload, &m), 0);
        if (!m.reject_reason || strcmp(m.reject_reason, cases[i].reason) != 0)
            fail_msg("%s: want reason \"%s\", got \"%s\"", cases[i].payload, cases[i].reason,
                     m.reject_reason ? m.reject_reason : "(none)");
        assert_rejected(&m, cases[i].reason);
        assert_int_equal(m.is_json, 1);
        /* the payload is kept for the journal, the sender is known */
        assert_int_equal(m.payload_len, strlen(cases[i].payload));
        assert_memory_equal(m.payload, cases[i].payload, m.payload_len);
        assert_string_equal(m.network, "hbbcrp");
        radio_msg_clear(&m);
    }
}

/* Hardening 14: on a network that requires registration the topic's unit is
 * the sender; a JSON "unit" that differs is refused, answered on the topic's
 * own reply topic. */
static void test_json_unit_registered_network(void **state)
{
    radio_msg m;
    ingest_in in;
    ingest_out o;
    char topic[GW_TOPIC_MAX];
    char *payload = NULL;
    size_t len = 0;
    (void)state;

    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/evil",
                            "{\"text\":\"ACK R1001\",\"unit\":\"police1\",\"msg_id\":\"e1\"}", &m),
                     0);
    assert_rejected(&m, "unit differs from topic");
    assert_int_equal(m.reject_auth, 1);
    assert_string_equal(m.unit, "evil");
    assert_string_equal(m.sender, "hbbcrp/evil");
    assert_int_equal(m.unit_claimed, 0);
    radio_to_ingest(&m, &in);
    assert_string_equal(in.unit, "evil");
    assert_int_equal(in.reject_auth, 1);
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "ERR AUTH: %s", m.reject_reply);
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    assert_string_equal(topic, "patrol/out/hbbcrp/evil");
    free(payload);
    radio_msg_clear(&m);

    /* without a config, every network requires registration */
    const char *named = "{\"text\":\"HELP\",\"unit\":\"x\"}";
    assert_int_equal(radio_decode("patrol", "patrol/in/shop/evil", named, strlen(named), NOW, NULL, &m),
                     0);
    assert_rejected(&m, "unit differs from topic");
    radio_msg_clear(&m);
    /* the topic's own unit named in the JSON is fine */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7",
                            "{\"text\":\"HELP\",\"unit\":\"radio7\"}", &m),
                     0);
    assert_text(&m, "HELP");
    assert_int_equal(m.unit_claimed, 0);
    radio_msg_clear(&m);
}

/* Hardening 17: our own JSON reply republished into "in" (a "reply", no
 * "text") is rejected without a reply, so it cannot loop. */
static void test_json_reply_echo(void **state)
{
    radio_msg m;
    ingest_out o;
    char topic[GW_TOPIC_MAX];
    char *payload = NULL;
    size_t len = 0;
    (void)state;
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7",
                            "{\"msg_id\":\"b1\",\"ref\":null,\"reply\":\"ERR FORMAT: JSON needs a\"}",
                            &m),
                     0);
    assert_string_equal(m.reject_reason, "reply echoed");
    assert_null(m.reject_reply);
    assert_null(m.text);
    memset(&o, 0, sizeof o);
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), -1);
    radio_msg_clear(&m);
}

/* A "/" in the JSON unit would reach the reply topic: it must not be taken. */
static void test_json_unit_slash(void **state)
{
    radio_msg m;
    (void)state;
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"HELP\",\"unit\":\"x/y\"}", &m), 0);
    /* copied out before the buffers are freed, so that a failure does not leak */
    const char *reason = m.reject_reason;
    int has_text = m.text != NULL;
    char unit[sizeof m.unit];
    snprintf(unit, sizeof unit, "%s", m.unit);
    radio_msg_clear(&m);
    if (!reason || strcmp(reason, "bad unit") != 0 || has_text)
        fail_msg("JSON unit \"x/y\" taken: unit \"%s\", reply topic patrol/out/hbbcrp/%s", unit, unit);
}

static void test_reply_text(void **state)
{
    radio_msg m;
    ingest_out o;
    char topic[GW_TOPIC_MAX];
    char *payload = NULL;
    size_t len = 0;
    (void)state;

    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "ASB HB12 youths", &m), 0);
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "OK R1001 ASB P3 HB12");
    o.ref = 1001;
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    assert_string_equal(topic, "patrol/out/hbbcrp/radio7");
    assert_int_equal(len, strlen("OK R1001 ASB P3 HB12"));
    assert_memory_equal(payload, "OK R1001 ASB P3 HB12", len);
    free(payload);
    payload = NULL;

    /* no reply: nothing to publish */
    o.reply[0] = '\0';
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), -1);
    assert_null(payload);

    /* a topic buffer too small */
    snprintf(o.reply, sizeof o.reply, "OK");
    assert_int_equal(radio_reply("patrol", &m, &o, topic, 10, &payload, &len), -1);
    assert_null(payload);
    radio_msg_clear(&m);
}

/* Parses a JSON reply and checks its three fields (NULL: JSON null). */
static void check_json_reply(const char *payload, size_t len, const char *msg_id, const char *ref,
                             const char *reply)
{
    cJSON *o = cJSON_ParseWithLength(payload, len);
    assert_non_null(o);
    assert_true(cJSON_IsObject(o));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "msg_id");
    assert_non_null(v);
    if (msg_id) {
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, msg_id);
    } else {
        assert_true(cJSON_IsNull(v));
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "ref");
    assert_non_null(v);
    if (ref) {
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, ref);
    } else {
        assert_true(cJSON_IsNull(v));
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "reply");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, reply);
    assert_int_equal(cJSON_GetArraySize(o), 3);
    cJSON_Delete(o);
}

static void test_reply_json(void **state)
{
    radio_msg m;
    ingest_out o;
    char topic[GW_TOPIC_MAX];
    char *payload = NULL;
    size_t len = 0;
    (void)state;

    assert_int_equal(decode("patrol", "patrol/in/shop/bridge",
                            "{\"text\":\"ASB HB12\",\"unit\":\"radio9\",\"msg_id\":\"b1-42\"}", &m),
                     0);
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "OK R1001 ASB P3 HB12");
    o.ref = 1001;
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    /* the reply goes to the unit that spoke */
    assert_string_equal(topic, "patrol/out/shop/radio9");
    assert_int_equal(len, strlen(payload));
    check_json_reply(payload, len, "b1-42", "R1001", "OK R1001 ASB P3 HB12");
    free(payload);
    radio_msg_clear(&m);

    /* no msg_id, no ref: nulls */
    assert_int_equal(decode("patrol", "patrol/in/hbbcrp/radio7", "{\"text\":\"ABS HB12\"}", &m), 0);
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "ERR CODE: ABS unknown. Did you mean ASB? \"quoted\"");
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    assert_string_equal(topic, "patrol/out/hbbcrp/radio7");
    check_json_reply(payload, len, NULL, NULL, "ERR CODE: ABS unknown. Did you mean ASB? \"quoted\"");
    free(payload);
    radio_msg_clear(&m);

    /* a rejected JSON message is answered in JSON, msg_id echoed if it was read */
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"msg_id\":\"m-9\",\"text\":7}", &m), 0);
    assert_rejected(&m, "no text");
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "ERR FORMAT: %s", m.reject_reply);
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    check_json_reply(payload, len, "m-9", NULL, o.reply);
    free(payload);
    radio_msg_clear(&m);

    /* a numeric msg_id is echoed as its text */
    assert_int_equal(
        decode("patrol", "patrol/in/hbbcrp/radio7", "{\"msg_id\":17,\"text\":\"HELP\"}", &m), 0);
    memset(&o, 0, sizeof o);
    snprintf(o.reply, sizeof o.reply, "OK");
    o.ref = 123456789012LL;
    assert_int_equal(radio_reply("patrol", &m, &o, topic, sizeof topic, &payload, &len), 0);
    check_json_reply(payload, len, "17", "R123456789012", "OK");
    free(payload);
    radio_msg_clear(&m);
}

static void test_clear(void **state)
{
    radio_msg m;
    (void)state;
    memset(&m, 0, sizeof m);
    radio_msg_clear(&m); /* a zeroed one */
    assert_int_equal(decode("patrol", "patrol/in/a/b", "x", &m), 0);
    radio_msg_clear(&m);
    assert_null(m.payload);
    assert_null(m.text);
    radio_msg_clear(&m); /* twice */
}

int main(void)
{
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return 1;
    config_defaults(cfg);
    snprintf(cfg->networks[0].name, sizeof cfg->networks[0].name, "shop");
    cfg->networks[0].require_registration = 0;
    cfg->nnetworks = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_bad_levels),
        cmocka_unit_test(test_text_payload),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_rejected),
        cmocka_unit_test(test_json_unit_registered_network),
        cmocka_unit_test(test_json_unit_slash),
        cmocka_unit_test(test_json_reply_echo),
        cmocka_unit_test(test_reply_text),
        cmocka_unit_test(test_reply_json),
        cmocka_unit_test(test_clear),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(cfg);
    return rc;
}
