/* prc_limits.h: every hard cap of patrolgw in one place.
 *
 * Each input is checked against its cap at the edge where it enters
 * (docs/internals/LIMITS.md explains each). Gateway-only caps live here too,
 * with a GW_ prefix, so that one file lists them all.
 */
#ifndef PRC_LIMITS_H
#define PRC_LIMITS_H

/* PRC/1 message: at most this many Unicode characters (code points). */
#define PRC_MSG_MAX_CHARS 480
/* ...which is at most this many bytes of UTF-8. */
#define PRC_MSG_MAX_BYTES (PRC_MSG_MAX_CHARS * 4)
/* A reply is one SMS: at most 160 GSM-7 septets. */
#define PRC_REPLY_MAX 160
/* Room kept in every original reply so that " DUP" can be appended. */
#define PRC_REPLY_DUP_SUFFIX " DUP"
#define PRC_REPLY_BODY_MAX (PRC_REPLY_MAX - 4)
/* Bytes for a reply buffer: a GSM-7 character is at most 3 bytes of UTF-8. */
#define PRC_REPLY_BUF (PRC_REPLY_MAX * 3 + 1)
/* Longest token echoed back in an error reply (characters). */
#define PRC_ECHO_MAX 16
/* Incident code or alias, zone code or landmark alias (bytes, upper-cased ASCII). */
#define PRC_CODE_MAX 15
#define PRC_ZONE_MAX 15
#define PRC_ALIAS_MAX 31
/* Code name, zone name (bytes). */
#define PRC_NAME_MAX 63
/* Normalised location text, e.g. "CT6 5AB" or "-51.37310,-1.12810" (bytes). */
#define PRC_LOCATION_MAX 40
/* Code table: codes, and aliases per code. */
#define PRC_MAX_CODES 256
#define PRC_MAX_CODE_ALIASES 8
/* Gazetteer: zones, and aliases and districts per zone. */
#define PRC_MAX_ZONES 4096
#define PRC_MAX_ZONE_ALIASES 16
#define PRC_MAX_ZONE_DISTRICTS 16
/* Postcode district or sector text, e.g. "CT6 5" (bytes). */
#define PRC_DISTRICT_MAX 8
/* A code table or gazetteer file, and one line of it (bytes). */
#define PRC_TABLE_FILE_MAX ((size_t)1024 * 1024)
#define PRC_CSV_LINE_MAX 4096
#define PRC_CSV_FIELDS_MAX 16
/* A load error message (bytes, with the NUL). */
#define PRC_ERR_MAX 256
/* Reference numbers R<n>: at most this many digits. */
#define PRC_REF_DIGITS_MAX 12

/* Gateway caps. */
/* A radio-bridge MQTT payload (bytes); larger ones are kept and rejected. */
#define GW_RADIO_PAYLOAD_MAX 4096
/* Network and unit names taken from topics or JSON (bytes). */
#define GW_NETWORK_MAX 32
#define GW_UNIT_MAX 32
/* A bridge's msg_id and ts fields (bytes). */
#define GW_MSG_ID_MAX 64
#define GW_TS_MAX 40
/* Messages committed in one transaction (group commit). */
#define GW_BATCH_MAX 512
/* Alerts in flight (published, waiting for PUBACK) at once. */
#define GW_ALERTS_INFLIGHT_MAX 256
/* Config file (bytes), partners, networks. */
#define GW_CONFIG_FILE_MAX (256L * 1024)
#define GW_MAX_PARTNERS 64
#define GW_MAX_NETWORKS 64
#define GW_NAME_MAX 32
/* Codes and zones in one partner's routing rule. */
#define GW_PARTNER_CODES 32
#define GW_PARTNER_ZONES 64
/* Host names, topic prefixes, client ids (bytes). */
#define GW_HOST_MAX 255
#define GW_PREFIX_MAX 64
#define GW_TOPIC_MAX 256
#define GW_PATH_MAX 1024
/* Person fields (bytes). */
#define GW_CALLSIGN_MAX 32
#define GW_PERSON_NAME_MAX 64
#define GW_PHONE_MAX 16
/* E-mail and webhook deliveries (gateway/curlw.c, mail.c, webhook.c, acklink.c). */
/* Transfers the curl worker holds at once: queued, running, and finished but
 * not yet taken by the core. */
#define GW_DELIVERY_QUEUE_MAX 256
/* Bytes of one delivery: a webhook's JSON body, or a whole e-mail message. */
#define GW_DELIVERY_BODY_MAX ((size_t)1024 * 1024)
/* Bytes of a signed acknowledgement-link token, with the NUL. */
#define GW_ACK_TOKEN_MAX 128

/* The duty dashboard (gateway/http.c, docs/dashboard.md). */
/* Dashboard user names (bytes) and passwords (bytes, UTF-8). */
#define GW_USER_NAME_MAX 32
#define GW_PASSWORD_MAX 128
/* Sessions held in memory at once; logins beyond it end the oldest. */
#define GW_HTTP_SESSIONS_MAX 256
/* Sessions of one user; a login beyond it ends that user's oldest. */
#define GW_HTTP_SESSIONS_PER_USER 8
/* Login failures remembered (per user name and per client address). */
#define GW_HTTP_THROTTLE_MAX 512
/* Logins waiting for a password check (one argon2id at a time); more get 503. */
#define GW_HTTP_HASH_QUEUE_MAX 4
/* A POST body (bytes): forms are a handful of short fields. */
#define GW_HTTP_BODY_MAX 8192
/* Changes (login, ACK, ...) waiting for the core at once. */
#define GW_HTTP_QUEUE_MAX 64
/* A rendered page (bytes) and the rows one page lists. */
#define GW_HTTP_PAGE_MAX (2L * 1024 * 1024)
#define GW_HTTP_ROWS_MAX 200
/* Simultaneous HTTP connections (each is a thread) and per client address. */
#define GW_HTTP_CONNECTIONS_MAX 64
#define GW_HTTP_PER_IP_MAX 16
/* Connections kept free for new clients: beyond GW_HTTP_CONNECTIONS_MAX minus
 * this, a new connection cuts the oldest one still waiting for its request. */
#define GW_HTTP_CONNECTIONS_SPARE 16

#endif
