/* sms_modem.h: the GSM modem worker. libgammu blocks (serial I/O, AT
 * timeouts), so one thread of ours alone calls it: it connects (and
 * reconnects with backoff when the driver errors or the device vanishes),
 * reads every SMS in every inbox folder (SIM and phone memory), hands each
 * part to the core once, deletes a part only when the core says it is
 * committed, sends what the core hands it, and reports the modem's health.
 * It never touches the store. The core and the thread talk through two
 * bounded queues; the core's poll() waits on sms_modem_fd(). */
#ifndef SMS_MODEM_H
#define SMS_MODEM_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sms_text.h"

/* Bytes of a sender as the modem gives it (a number or an alphanumeric name). */
#define SMS_SENDER_MAX 32
/* Queue sizes: events to the core, commands to the modem. Parts the core has
 * not taken yet stay on the modem (the thread waits for room). */
#define SMS_EVENTS_MAX 256
#define SMS_CMDS_MAX 1024
/* SMS parts the thread remembers having handed over (one per modem location). */
#define SMS_HANDED_MAX 1024

enum sms_event_kind { SMS_EV_PART = 1, SMS_EV_RESULT, SMS_EV_REPORT, SMS_EV_HEALTH };

typedef struct sms_event {
    enum sms_event_kind kind;
    /* SMS_EV_PART: one SMS read; SMS_EV_REPORT: a delivery report. */
    char sender[SMS_SENDER_MAX + 1];
    int folder, location;
    int ref, part, total;         /* 0, 1, 1: not concatenated */
    int64_t smsc_time;            /* Unix ms, 0 unknown */
    char coding[8];               /* gsm7 | ucs2 | 8bit */
    char text[SMS_TEXT_BUF];      /* UTF-8 ("" for 8bit) */
    size_t text_len;
    int msg_ref;                  /* REPORT: the reference of the SMS it is about */
    int delivery;                 /* REPORT: 1 delivered, 0 failed, 2 still trying */
    /* SMS_EV_RESULT: what became of a send. */
    int64_t id;
    int ok;
    char error[96];
    /* SMS_EV_HEALTH */
    int connected, signal_percent, sim_ok;
    char network[24];             /* home | roaming | searching | denied | none | unknown */
    int64_t last_poll_ok;         /* Unix ms of the last successful read, 0 never */
} sms_event;

enum sms_cmd_kind { SMS_CMD_SEND = 1, SMS_CMD_DELETE, SMS_CMD_FORGET };

typedef struct sms_cmd {
    enum sms_cmd_kind kind;
    int folder, location;         /* DELETE / FORGET */
    int64_t id;                   /* SEND: the sms_out row */
    char to[GW_PHONE_MAX + 1];
    char text[SMS_TEXT_BUF];
    enum sms_coding coding;
} sms_cmd;

typedef struct sms_modem sms_modem; /* opaque */

/* Starts the thread for cfg->sms (copied). NULL with err on failure. Caller owns. */
sms_modem *sms_modem_start(const cfg_sms *cfg, char *err, size_t errsz);
/* Stops the thread (finishing the libgammu call in progress) and frees. Accepts NULL. */
void sms_modem_stop(sms_modem *m);
/* Readable when events wait. */
int sms_modem_fd(const sms_modem *m);
/* Takes up to max events (core side, never blocks); returns how many. */
int sms_modem_take(sms_modem *m, sms_event *out, int max);
/* Queues a command (core side, never blocks): 0, or -1 if the queue is full. */
int sms_modem_push(sms_modem *m, const sms_cmd *c);
/* Empties the wake-up pipe (core side); 1 if events wait for the core. */
int sms_modem_pending(sms_modem *m);
/* Commands the queue has room for. */
int sms_modem_room(sms_modem *m);

#endif
