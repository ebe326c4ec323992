/* sms.h: the SMS channel, core side. Runs in the core thread and owns the
 * SMS part of each turn's transaction: journals every part the modem thread
 * read (sms_parts), makes complete messages (or those whose missing parts
 * timed out) into ingest_in with channel "sms", applies the sender policy
 * (short codes and alphanumeric senders, the deny list, the reply limit per
 * number), queues replies in the persistent send queue (sms_out), records
 * send results and delivery reports, and gives up on sends that are too old.
 * After the commit it hands the modem the sends it picked and the deletion
 * of the parts now committed. No [sms] section: no sms_channel at all. */
#ifndef SMS_H
#define SMS_H

#include <stdint.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

/* SMS handed to the modem and not yet answered, at most. */
#define SMS_INFLIGHT_MAX 8

typedef struct sms_channel sms_channel; /* opaque */

/* Starts the modem thread for cfg->sms. cfg must outlive the channel (it is
 * read at each turn, so a reload applies). NULL with err. Caller owns. */
sms_channel *sms_new(const gw_config *cfg, char *err, size_t errsz);
void sms_free(sms_channel *c); /* accepts NULL; stops the thread */

/* The fd the loop polls (readable when the modem thread has news). */
int sms_fd(const sms_channel *c);
/* 1 if the channel has something to do this turn (news, or a periodic scan due). */
int sms_due(sms_channel *c, int64_t now_mono);

/* In the turn's open transaction. Returns 0, or -1 on a store error. */
int sms_prepare(sms_channel *c, const ingest_ctx *ctx, int64_t now);
/* After the commit: sends and deletions go to the modem. */
void sms_after_commit(sms_channel *c);
/* After a rollback: nothing picked goes out; parts read this turn are read again. */
void sms_forget(sms_channel *c);

/* The sms_* rows of gateway_status (patrolctl status), in the open transaction. */
int sms_write_status(sms_channel *c, store *st, int64_t now);

/* Counts since start, for the periodic log line. */
typedef struct sms_stats {
    long parts, messages, replies, replies_limited, sent, send_failures, given_up;
} sms_stats;
void sms_get_stats(const sms_channel *c, sms_stats *out);

#endif
