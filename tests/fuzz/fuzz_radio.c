/* fuzz_radio.c: libFuzzer target for what a radio bridge sends over MQTT
 * (gateway/radio.c): the topic <prefix>/in/<network>/<unit> and its payload,
 * plain PRC/1 text or a JSON envelope, then the reply built for it.
 * Input: the topic's tail up to the first '\n' (network/unit, any bytes),
 * the payload after it. Aborts on a broken invariant: a decoded message has
 * valid UTF-8 text within its length, bounded fields, and its reply topic and
 * payload are NUL-terminated within their sizes.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_radio corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ingest.h"
#include "prc_utf8.h"
#include "radio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two networks: "hbbcrp" requires registration (a JSON unit is refused),
 * "shop" is open (a bridge may name the unit); any other requires it too. */
static const gw_config *config(void)
{
    static gw_config *cfg;
    if (!cfg) {
        cfg = calloc(1, sizeof *cfg);
        if (!cfg)
            abort();
        config_defaults(cfg);
        snprintf(cfg->networks[0].name, sizeof cfg->networks[0].name, "hbbcrp");
        cfg->networks[0].require_registration = 1;
        snprintf(cfg->networks[1].name, sizeof cfg->networks[1].name, "shop");
        cfg->nnetworks = 2;
    }
    return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
    size_t tail = nl ? (size_t)(nl - data) : 0;
    const uint8_t *payload = nl ? nl + 1 : data;
    size_t plen = size - (size_t)(payload - data);

    char topic[300];
    memcpy(topic, "patrol/in/", 10);
    memcpy(topic + 10, data, tail);
    topic[10 + tail] = '\0'; /* a NUL inside the tail just shortens the topic */

    radio_msg m;
    memset(&m, 0, sizeof m);
    if (radio_decode("patrol", topic, payload, plen, 1795000000000LL, config(), &m) != 0) {
        radio_msg_clear(&m);
        return 0;
    }
    if (strlen(m.network) > GW_NETWORK_MAX || strlen(m.unit) > GW_UNIT_MAX ||
        strlen(m.msg_id) > GW_MSG_ID_MAX || strlen(m.bridge) > GW_NAME_MAX ||
        strlen(m.ts) > GW_TS_MAX || m.payload_len > RADIO_KEEP_MAX)
        abort();
    if (m.text && (!prc_utf8_valid(m.text, m.text_len) || strlen(m.text) != m.text_len))
        abort();
    if (!m.text && !m.reject_reason)
        abort(); /* a message without text says why */

    ingest_in in;
    radio_to_ingest(&m, &in);
    if (in.payload_len != m.payload_len || strcmp(in.sender, m.sender) != 0)
        abort();

    /* The reply for each outcome: a reference, an error text, a long reply. */
    static const char *const outcomes[] = { "accepted", "duplicate", "error", "rejected" };
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        ingest_out o;
        memset(&o, 0, sizeof o);
        o.outcome = outcomes[i];
        o.ref = i == 0 ? 1042 : 0;
        memset(o.reply, 'R', sizeof o.reply - 1);
        o.reply[sizeof o.reply - 1] = '\0';
        if (i == 1)
            strcpy(o.reply, "OK R1042 ASB P2 HB12 DUP \"quoted\" \\ back");
        char rtopic[256];
        char *out = NULL;
        size_t olen = 0;
        if (radio_reply("patrol", &m, &o, rtopic, sizeof rtopic, &out, &olen) == 0) {
            if (!memchr(rtopic, '\0', sizeof rtopic) || !out || memchr(out, '\0', olen))
                abort();
            free(out);
        }
    }
    radio_msg_clear(&m);
    return 0;
}
