/* mqtt.h: the gateway's one broker connection (libmosquitto), driven by the
 * core's poll loop: no library thread. Reconnects with backoff. */
#ifndef MQTT_H
#define MQTT_H

#include <stdint.h>
#include "config.h"

typedef struct mqtt_conn mqtt_conn; /* opaque */

typedef struct mqtt_handlers {
    /* A message arrived (payload valid only during the call). */
    void (*on_message)(void *arg, const char *topic, const void *payload, int len);
    /* The broker acknowledged our QoS-1 publish mid. */
    void (*on_published)(void *arg, int mid);
    /* Connected and subscribed (after every reconnect). */
    void (*on_ready)(void *arg);
    /* Connection lost. */
    void (*on_lost)(void *arg);
    void *arg;
} mqtt_handlers;

/* Creates the client (persistent session, TCP_NODELAY) that subscribes to the
 * given topic filters at QoS 1 on every connect. NULL with err. Caller owns.
 * Call it before the process starts other threads: it briefly lowers the
 * open-file limit (mqtt.c says why). */
mqtt_conn *mqtt_new(const gw_config *cfg, const char *const *subs, int nsubs,
                    const mqtt_handlers *h, char *err, size_t errsz);
void mqtt_free(mqtt_conn *c); /* accepts NULL; disconnects cleanly */

/* The socket to poll (-1 while not connected) and the events wanted. */
int mqtt_fd(const mqtt_conn *c);
short mqtt_events(const mqtt_conn *c);

/* Handles poll results: reads at most max_msgs messages, writes what is queued. */
void mqtt_service(mqtt_conn *c, short revents, int max_msgs);

/* Keepalive and reconnection; returns ms until it wants to run again. */
int mqtt_tick(mqtt_conn *c, int64_t now_mono);

int mqtt_ready(const mqtt_conn *c);

/* Publishes; 0 and *mid on success, -1 if not sent (not connected or error). */
int mqtt_publish(mqtt_conn *c, const char *topic, const void *payload, int len, int qos, int *mid);

/* Flushes queued output (used at shutdown), for at most timeout_ms. */
void mqtt_flush(mqtt_conn *c, int timeout_ms);
/* on = 1: hold what is written to the broker (TCP_CORK) until mqtt_cork(c, 0),
 * so that the PUBACKs, replies and alerts of one turn leave in a few full
 * segments instead of one segment (and one wake-up of the broker) each. The
 * kernel sends held data after 200 ms anyway. Only an optimisation: a socket
 * that refuses it is logged once and used as it is. */
void mqtt_cork(mqtt_conn *c, int on);

#endif
