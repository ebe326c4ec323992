/* mqtt.c: libmosquitto without its thread: we poll its socket, it parses. */
#include "mqtt.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define MQTT_SUBS_MAX 4
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

enum mqtt_state { ST_DOWN, ST_CONNECTING, ST_READY };

struct mqtt_conn {
    struct mosquitto *mosq;
    const gw_config *cfg;
    mqtt_handlers h;
    char subs[MQTT_SUBS_MAX][GW_TOPIC_MAX];
    int nsubs;
    int suback_wait;           /* SUBACKs still expected */
    enum mqtt_state state;
    int64_t next_try;          /* monotonic ms of the next connection attempt */
    int backoff_ms;
    int started;               /* 1 after the first connect call */
    int msgs_read;             /* messages delivered in this service call */
    int lost_logged;
    int closing;               /* 1 once we disconnect on purpose */
    int corked;                /* the socket TCP_CORK was set on, -1 none */
    int cork_failed;           /* logged once */
};

static void set_lost(mqtt_conn *c, const char *why)
{
    if (c->state != ST_DOWN && !c->closing) {
        log_warn("mqtt", "connection to %s:%d lost (%s); reconnecting", c->cfg->mqtt_host,
                 c->cfg->mqtt_port, why);
        if (c->h.on_lost)
            c->h.on_lost(c->h.arg);
    }
    c->state = ST_DOWN;
    c->next_try = clock_mono_ms() + c->backoff_ms;
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    mqtt_conn *c = obj;
    if (rc != 0) {
        log_warn("mqtt", "broker refused the connection: %s", mosquitto_connack_string(rc));
        set_lost(c, "refused");
        return;
    }
    log_info("mqtt", "connected to %s:%d", c->cfg->mqtt_host, c->cfg->mqtt_port);
    c->suback_wait = 0;
    for (int i = 0; i < c->nsubs; i++) {
        int src = mosquitto_subscribe(mosq, NULL, c->subs[i], 1);
        if (src != MOSQ_ERR_SUCCESS)
            log_error("mqtt", "subscribe %s: %s", c->subs[i], mosquitto_strerror(src));
        else
            c->suback_wait++;
    }
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted)
{
    (void)mosq;
    (void)mid;
    mqtt_conn *c = obj;
    for (int i = 0; i < qos_count; i++)
        if (granted[i] > 2)
            log_error("mqtt", "the broker refused a subscription");
    if (c->suback_wait > 0 && --c->suback_wait == 0) {
        c->state = ST_READY;
        c->backoff_ms = BACKOFF_MIN_MS;
        c->lost_logged = 0;
        for (int i = 0; i < c->nsubs; i++)
            log_info("mqtt", "subscribed to %s", c->subs[i]);
        if (c->h.on_ready)
            c->h.on_ready(c->h.arg);
    }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)mosq;
    mqtt_conn *c = obj;
    set_lost(c, rc == 0 ? "disconnected" : mosquitto_strerror(rc));
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m)
{
    (void)mosq;
    mqtt_conn *c = obj;
    c->msgs_read++;
    c->h.on_message(c->h.arg, m->topic, m->payload, m->payloadlen);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    (void)mosq;
    mqtt_conn *c = obj;
    if (c->h.on_published)
        c->h.on_published(c->h.arg, mid);
}

/* libmosquitto opens a socket pair to wake its own network thread out of
 * select() and writes a byte into it for every packet it queues: two system
 * calls a message here, where no such thread runs (we poll the socket), the
 * pair is never read and every write fails once it is full. The library does
 * without the pair when it cannot open it ("outgoing publish commands may be
 * delayed", in threaded mode only), so the handle is made under an open-file
 * limit that leaves no descriptor free, then the limit is put back. Called
 * before any other thread starts: nothing else opens a file meanwhile. */
static struct mosquitto *new_without_wakeup_pair(const char *id, void *obj)
{
    struct rlimit old, none;
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free descriptor */
    if (probe < 0 || getrlimit(RLIMIT_NOFILE, &old) != 0) {
        if (probe >= 0)
            close(probe);
        return mosquitto_new(id, false, obj);
    }
    close(probe);
    none = old;
    none.rlim_cur = (rlim_t)probe;
    if (setrlimit(RLIMIT_NOFILE, &none) != 0)
        return mosquitto_new(id, false, obj);
    struct mosquitto *m = mosquitto_new(id, false, obj);
    int saved = errno;
    if (setrlimit(RLIMIT_NOFILE, &old) != 0)
        log_warn("mqtt", "cannot restore the open-file limit: %s", strerror(errno));
    errno = saved;
    return m;
}

mqtt_conn *mqtt_new(const gw_config *cfg, const char *const *subs, int nsubs,
                    const mqtt_handlers *h, char *err, size_t errsz)
{
    mqtt_conn *c = calloc(1, sizeof *c);
    if (!c || nsubs > MQTT_SUBS_MAX) {
        snprintf(err, errsz, "out of memory");
        free(c);
        return NULL;
    }
    c->cfg = cfg;
    c->h = *h;
    c->nsubs = nsubs;
    for (int i = 0; i < nsubs; i++)
        snprintf(c->subs[i], sizeof c->subs[i], "%s", subs[i]);
    c->backoff_ms = BACKOFF_MIN_MS;
    c->corked = -1;
    /* A persistent session: the broker keeps QoS-1 messages for us while we are away. */
    c->mosq = new_without_wakeup_pair(cfg->mqtt_client_id, c);
    if (!c->mosq) {
        snprintf(err, errsz, "mosquitto_new: %s", strerror(errno));
        goto fail;
    }
    mosquitto_connect_callback_set(c->mosq, on_connect);
    mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
    mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
    mosquitto_message_callback_set(c->mosq, on_message);
    mosquitto_publish_callback_set(c->mosq, on_publish);
    if (mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1) != MOSQ_ERR_SUCCESS ||
        mosquitto_int_option(c->mosq, MOSQ_OPT_SEND_MAXIMUM, 1000) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errsz, "cannot set MQTT options");
        goto fail;
    }
    if (cfg->mqtt_username[0]) {
        char pw[256] = "";
        if (cfg->mqtt_password_file[0] &&
            config_read_secret(cfg->mqtt_password_file, pw, sizeof pw) != 0) {
            snprintf(err, errsz, "%s: cannot read the MQTT password", cfg->mqtt_password_file);
            goto fail;
        }
        int rc = mosquitto_username_pw_set(c->mosq, cfg->mqtt_username, pw[0] ? pw : NULL);
        memset(pw, 0, sizeof pw);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errsz, "MQTT credentials: %s", mosquitto_strerror(rc));
            goto fail;
        }
    }
    return c;
fail:
    mqtt_free(c);
    return NULL;
}

void mqtt_free(mqtt_conn *c)
{
    if (!c)
        return;
    if (c->mosq) {
        if (c->state != ST_DOWN) {
            c->closing = 1;
            (void)mosquitto_disconnect(c->mosq);
            mqtt_flush(c, 200);
        }
        mosquitto_destroy(c->mosq);
    }
    free(c);
}

int mqtt_fd(const mqtt_conn *c)
{
    return c->state == ST_DOWN ? -1 : mosquitto_socket(c->mosq);
}

short mqtt_events(const mqtt_conn *c)
{
    return (short)(POLLIN | (mosquitto_want_write(c->mosq) ? POLLOUT : 0));
}

static void handle_rc(mqtt_conn *c, int rc)
{
    if (rc == MOSQ_ERR_SUCCESS)
        return;
    set_lost(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

void mqtt_service(mqtt_conn *c, short revents, int max_msgs)
{
    if (c->state == ST_DOWN)
        return;
    if (revents & (POLLIN | POLLERR | POLLHUP)) {
        /* Read every packet already in the socket buffer (up to max_msgs
         * messages): that is what makes a batch for one group commit. The
         * library reports "nothing more to read" only through errno, as its
         * own loop does. */
        c->msgs_read = 0;
        for (int guard = 0; guard < 100000 && c->state != ST_DOWN && c->msgs_read < max_msgs;
             guard++) {
            errno = 0;
            int rc = mosquitto_loop_read(c->mosq, 1);
            if (rc != MOSQ_ERR_SUCCESS) {
                handle_rc(c, rc);
                break;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
        }
    }
    if (c->state != ST_DOWN && (revents & POLLOUT))
        handle_rc(c, mosquitto_loop_write(c->mosq, 1));
}

int mqtt_tick(mqtt_conn *c, int64_t now)
{
    if (c->state == ST_DOWN) {
        if (now < c->next_try)
            return (int)(c->next_try - now);
        int rc;
        if (!c->started) {
            rc = mosquitto_connect_async(c->mosq, c->cfg->mqtt_host, c->cfg->mqtt_port,
                                         c->cfg->mqtt_keepalive);
            c->started = 1;
        } else {
            rc = mosquitto_reconnect_async(c->mosq);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            if (!c->lost_logged)
                log_warn("mqtt", "cannot connect to %s:%d: %s; retrying", c->cfg->mqtt_host,
                         c->cfg->mqtt_port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            c->lost_logged = 1;
            c->next_try = now + c->backoff_ms;
            c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
            return c->backoff_ms;
        }
        c->state = ST_CONNECTING;
        return 100;
    }
    handle_rc(c, mosquitto_loop_misc(c->mosq));
    return 1000;
}

int mqtt_ready(const mqtt_conn *c) { return c->state == ST_READY; }

int mqtt_publish(mqtt_conn *c, const char *topic, const void *payload, int len, int qos, int *mid)
{
    if (c->state != ST_READY)
        return -1;
    int rc = mosquitto_publish(c->mosq, mid, topic, len, payload, qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_warn("mqtt", "publish failed: %s", mosquitto_strerror(rc));
        handle_rc(c, rc);
        return -1;
    }
    return 0;
}

void mqtt_flush(mqtt_conn *c, int timeout_ms)
{
    int64_t end = clock_mono_ms() + timeout_ms;
    while (mosquitto_want_write(c->mosq) && clock_mono_ms() < end) {
        struct pollfd p = { mosquitto_socket(c->mosq), POLLOUT, 0 };
        if (p.fd < 0 || poll(&p, 1, 50) < 0)
            break;
        if (p.revents & POLLOUT && mosquitto_loop_write(c->mosq, 1) != MOSQ_ERR_SUCCESS)
            break;
    }
}

void mqtt_cork(mqtt_conn *c, int on)
{
    int fd = c->state == ST_DOWN ? -1 : mosquitto_socket(c->mosq);
    if (on) {
        if (fd < 0 || c->corked == fd || c->cork_failed)
            return;
    } else {
        /* Uncork only the socket we corked, if it is still the connection's. */
        int was = c->corked;
        c->corked = -1;
        if (was < 0 || was != fd)
            return;
    }
    int v = on ? 1 : 0;
    if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v) != 0) {
        log_warn("mqtt", "TCP_CORK: %s; writing without it", strerror(errno));
        c->cork_failed = 1;
        return;
    }
    if (on)
        c->corked = fd;
}
