/* mail.h: e-mail deliveries. One RFC 5322 message per delivery of an outbox
 * row (alert, resend, escalation, reminder, update, digest) to the partner's
 * `email` addresses (its `escalate_to` addresses for an escalation), sent
 * through the [smtp] server by the curl worker. The message is plain UTF-8
 * text with every alert field and how to acknowledge; its Message-ID comes
 * from the alert_id, so a retry is recognisable as the same message.
 * docs/alerts.md ("E-mail") shows the format. */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>

#include "config.h"
#include "curlw.h"
#include "deliver.h"

/* Builds the message of one delivery: headers (From, To, Subject, Date,
 * Message-ID, MIME) and a quoted-printable text/plain body, CRLF line ends.
 * *out (malloc'd, NUL-terminated, caller owns) and *len on success (0).
 * -1: it cannot be sent, ever (no address, a bad address, a payload that is
 * not an alert): err says why, without personal data. -2: out of memory. */
int mail_message(const cfg_smtp *smtp, const dlv_item *it, char **out, size_t *len, char *err,
                 size_t errsz);

/* Starts one delivery. 0: a result for it->row will come through
 * curlw_take() (DLV_PERMANENT at once if mail_message refused it). -1:
 * nothing started (no room in the worker, or out of memory): try again later. */
int mail_start(curlw *w, const cfg_smtp *smtp, const dlv_item *it);

/* The outcome of an SMTP transfer (curlw_classify_fn): an SMTP 5xx reply is
 * permanent, a 4xx reply, a timeout or a failed connection is worth a retry. */
enum dlv_outcome mail_classify(int curlcode, long code, int os_errno, char *err, size_t errsz);

#endif
