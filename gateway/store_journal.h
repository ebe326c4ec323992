/* store_journal.h: the journal of inbound messages (every message, once), the duplicate
 * rules that read it, and where a report came from. Part of the store (store.h). */
#ifndef STORE_JOURNAL_H
#define STORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"
#include "store.h"

/* One inbound message as journaled. Strings may be NULL. */
typedef struct store_message {
    const char *channel;      /* "radio" or "sms" */
    const char *network;      /* radio network */
    const char *unit;         /* radio unit */
    const char *sender;       /* "network/unit" or E.164 phone */
    const char *bridge;       /* radio bridge that relayed it */
    const char *msg_id;       /* bridge message id */
    const char *bridge_ts;    /* bridge timestamp as sent */
    const void *payload;      /* raw bytes */
    size_t payload_len;
    const char *text;         /* the PRC/1 text, valid UTF-8, or NULL */
    size_t text_len;
    int64_t received_at;
    const char *outcome;      /* accepted | duplicate | error | rejected */
    const char *reason;       /* why, for the non-accepted ones */
    const char *reply;        /* the reply sent, or NULL for none */
    int64_t ref;              /* report it made or concerns, 0 none */
    int64_t person_id;        /* 0 unknown */
    int64_t dup_of;           /* message id it duplicates, 0 none */
} store_message;

/* Journals m; returns its id (> 0) or -1. */
int64_t store_message_add(store *s, const store_message *m);

/* An earlier accepted or erroneous message a new one duplicates. */
typedef struct store_dup {
    int64_t id;
    int64_t ref;
    char reply[PRC_REPLY_BUF];
} store_dup;

/* 1 and *out if a message with this msg_id arrived from the same channel and
 * sender since `since`; 0 if none; -1. A msg_id is only unique per sender: one
 * sender's id never makes another's message a duplicate. */
int store_dup_by_msg_id(store *s, const char *channel, const char *sender, const char *msg_id,
                        int64_t since, store_dup *out);
/* The same for the same channel, sender and text (the first such row). Answered
 * from a memory index of the journal (dupwin.h) built at the first call, each
 * candidate read back and compared: it assumes this store is the only one
 * journaling messages, as the gateway is. */
int store_dup_by_text(store *s, const char *channel, const char *sender, const char *text,
                      size_t len, int64_t since, store_dup *out);
/* For a command (docs/protocol.md, Duplicates): 1 and *out if the latest
 * message of this channel and sender with an id >= from has this text and is
 * an accepted or erroneous original with an id >= from, or a duplicate of
 * one; *out is that original. 0 if anything else of that sender came last;
 * -1. It reads that sender's rows received since `since` (the window of the
 * first same-text row found, whose id is from). */
int store_dup_last(store *s, const char *channel, const char *sender, int64_t from, int64_t since,
                   const char *text, size_t len, store_dup *out);
/* 1 and the reply ("" for none, cut to outsz) of the latest message of this
 * channel and sender received since `since`; 0 if none; -1. */
int store_last_reply(store *s, const char *channel, const char *sender, int64_t since,
                     char *out, size_t outsz);

/* Where report ref came from: its first accepted message. */
typedef struct store_origin {
    char channel[16];                  /* "radio" or "sms" */
    char network[GW_NETWORK_MAX + 1], unit[GW_UNIT_MAX + 1];
    char sender[GW_NETWORK_MAX + GW_UNIT_MAX + 2];   /* E.164 for sms */
    int json;                          /* 1: the bridge sent JSON */
} store_origin;
/* 1 and *out, 0 if unknown, -1. */
int store_report_origin(store *s, int64_t ref, store_origin *out);

#endif
