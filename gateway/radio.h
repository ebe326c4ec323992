/* radio.h: the radio-bridge channel over MQTT: topics <prefix>/in/<network>/<unit>
 * in, <prefix>/out/<network>/<unit> out; plain PRC/1 text or a JSON envelope. */
#ifndef RADIO_H
#define RADIO_H

#include <stddef.h>
#include <stdint.h>
#include "ingest.h"
#include "prc_limits.h"

/* One radio message as received. Owns its buffers: radio_msg_clear(). */
typedef struct radio_msg {
    char network[GW_NETWORK_MAX + 1];
    char unit[GW_UNIT_MAX + 1];                   /* the sender's unit: see radio_decode */
    char topic_unit[GW_UNIT_MAX + 1];             /* the topic's unit, as published */
    int unit_claimed;                             /* unit is a JSON "unit", not the topic's */
    char sender[GW_NETWORK_MAX + GW_UNIT_MAX + 2]; /* "network/unit" */
    char msg_id[GW_MSG_ID_MAX + 1];               /* "" if none */
    char bridge[GW_NAME_MAX + 1];
    char ts[GW_TS_MAX + 1];
    int is_json;                                  /* reply in JSON */
    char *payload;                                /* owned copy (cut at RADIO_KEEP_MAX) */
    size_t payload_len;
    char *text;                                   /* owned PRC/1 text, NULL if rejected */
    size_t text_len;
    const char *reject_reason;                    /* static strings, NULL if fine */
    const char *reject_reply;
    int reject_auth;                              /* the rejection is ERR AUTH, not FORMAT */
    int64_t received_at;
} radio_msg;

/* Payload bytes journaled for an oversized message (the rest is cut; the reason says so). */
#define RADIO_KEEP_MAX ((size_t)64 * 1024)

/* Decodes a message from topic <prefix>/in/<network>/<unit>. Returns 0 (the
 * message may still be rejected: see reject_reason), or -1 if the topic is not
 * an inbound radio topic (then nothing is kept).
 * The sender is the topic's unit. A JSON "unit" other than it is taken (a
 * bridge relaying for several units, unit_claimed) only on a network of cfg
 * that does not require registration, and never as a registered person
 * (ingest); on any other network (or with cfg NULL) the message is rejected
 * (ERR AUTH): a bridge on .../in/net/evil cannot speak as a registered unit. */
int radio_decode(const char *prefix, const char *topic, const void *payload, size_t len,
                 int64_t now, const gw_config *cfg, radio_msg *out);
void radio_msg_clear(radio_msg *m); /* frees the buffers, accepts a zeroed one */

/* Fills an ingest_in that points into m. */
void radio_to_ingest(const radio_msg *m, ingest_in *in);

/* The reply topic and payload for m's outcome. *payload is owned by the caller
 * (free()); 0, or -1 on ENOMEM / no reply. */
int radio_reply(const char *prefix, const radio_msg *m, const ingest_out *o, char *topic,
                size_t topicsz, char **payload, size_t *len);

#endif
