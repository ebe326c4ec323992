/* acklink.h: signed acknowledgement links. An alert may carry a link that a
 * partner opens to acknowledge it without a phone or an MQTT client; the
 * token in it names the report and the partner, expires, and is signed with
 * the [alerts] ack secret so that nobody can make one for another report or
 * partner. Format (docs/alerts.md, "Acknowledgement links"):
 *
 *     R<ref>.<partner>.<expiry, Unix seconds>.<base64url HMAC-SHA256>
 *
 * e.g. R1042.police.1795430400.<43 characters>: URL-safe as it stands. The
 * HMAC (key: the secret) is over everything before the last dot. */
#ifndef ACKLINK_H
#define ACKLINK_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"

/* Makes the token for report `ref`, partner (a config partner name) and an
 * expiry (Unix ms; cut to whole seconds). 0, or -1 (empty secret, a bad ref
 * or partner name, out too small: GW_ACK_TOKEN_MAX is always enough). */
int acklink_make(const char *secret, int64_t ref, const char *partner, int64_t expires_ms,
                 char *out, size_t outsz);

/* Checks a token at now_ms. 0: valid, *ref and partner filled. -1: malformed
 * or a bad signature (nothing filled). -2: well signed but expired (*ref and
 * partner filled, so the page can say which alert the old link was for).
 * The signature is compared in constant time. */
int acklink_check(const char *secret, const char *token, int64_t now_ms, int64_t *ref,
                  char *partner, size_t partnersz);

#endif
