/* echo.c: the zero-work echo client of the ingest benchmark.
 *
 * Subscribes to <prefix>/in/+/+ at QoS 1 and republishes each payload
 * unchanged at QoS 1 to <prefix>/out/<net>/<unit>: what any MQTT-fed gateway
 * must at least do, so its rate is the ceiling for patrolgw on this machine.
 * One connection, one thread polling it, TCP_NODELAY, a send maximum of 1000:
 * like the gateway's radio client (gateway/mqtt.c). Unlike the gateway it
 * takes a clean session, so that it leaves no queue in the broker behind it.
 *
 *   mqtt_echo [--host H] [--port P] [--prefix P] [--client-id ID]
 *
 * Logs "... subscribed to <topic>" on stderr when ready (the same readiness
 * line as patrolgw), and the count of echoed messages when stopped by
 * SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <mosquitto.h>

#define ECHO_NAME_MAX 64
#define ECHO_TOPIC_MAX 256

typedef struct echo {
    char prefix[ECHO_NAME_MAX];
    char sub_topic[ECHO_TOPIC_MAX];
    unsigned long echoed;
    unsigned long skipped; /* topics not of the form <prefix>/in/<net>/<unit> */
    unsigned long failed;  /* publishes refused */
    int fatal;
} echo;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void log_line(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const char *level, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char when[32] = "?";
    char msg[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        msg[0] = '\0';
    }
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL) {
        size_t len = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        if (len > 0) {
            (void)snprintf(when + len, sizeof when - len, ".%03ldZ", ts.tv_nsec / 1000000L);
        }
    }
    /* One write per line, so lines never interleave with libmosquitto's. */
    fprintf(stderr, "%s %s echo: %s\n", when, level, msg);
}

/* "<prefix>/in/<net>/<unit>" -> "<prefix>/out/<net>/<unit>" in out; 0 or -1. */
static int reply_topic(const char *prefix, const char *topic, char *out, size_t outsz)
{
    size_t plen = strlen(prefix);
    const char *rest, *slash;
    int n;

    if (strncmp(topic, prefix, plen) != 0 || strncmp(topic + plen, "/in/", 4) != 0) {
        return -1;
    }
    rest = topic + plen + 4;
    slash = strchr(rest, '/');
    if (slash == NULL || slash == rest || slash[1] == '\0' || strchr(slash + 1, '/') != NULL) {
        return -1;
    }
    n = snprintf(out, outsz, "%s/out/%s", prefix, rest);
    return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    echo *e = obj;
    char topic[ECHO_TOPIC_MAX];
    int rc;

    if (reply_topic(e->prefix, msg->topic, topic, sizeof topic) != 0) {
        e->skipped++;
        return;
    }
    /* Queued here; the loop writes it right after this callback returns. */
    rc = mosquitto_publish(mosq, NULL, topic, msg->payloadlen, msg->payload, 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        e->failed++;
        return;
    }
    e->echoed++;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    echo *e = obj;
    int src;

    if (rc != 0) {
        log_line("error", "connect refused: %s", mosquitto_connack_string(rc));
        e->fatal = 1;
        return;
    }
    /* Subscribing on every connect renews it after a reconnect (clean session). */
    src = mosquitto_subscribe(mosq, NULL, e->sub_topic, 1);
    if (src != MOSQ_ERR_SUCCESS) {
        log_line("error", "subscribe: %s", mosquitto_strerror(src));
        e->fatal = 1;
    }
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos)
{
    echo *e = obj;

    (void)mosq;
    (void)mid;
    if (qos_count < 1 || granted_qos[0] != 1) {
        log_line("error", "subscription to %s not granted at QoS 1", e->sub_topic);
        e->fatal = 1;
        return;
    }
    log_line("info", "subscribed to %s", e->sub_topic);
}

static int copy_opt(char *dst, size_t dstsz, const char *src)
{
    size_t len = strlen(src);

    if (len == 0 || len >= dstsz) {
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535) {
        return -1;
    }
    *port = (int)v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mqtt_echo [--host H] [--port P] [--prefix P] [--client-id ID]\n");
}

/* Reads every packet already in the socket buffer: libmosquitto's loop_read
 * takes one at a time (patrolgw's radio client reads the same way). */
static int read_all(struct mosquitto *mosq)
{
    int guard, rc, avail;

    for (guard = 0; guard < 100000; guard++) {
        rc = mosquitto_loop_read(mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            return rc;
        }
        avail = 0;
        if (mosquitto_socket(mosq) < 0 || ioctl(mosquitto_socket(mosq), FIONREAD, &avail) != 0
            || avail <= 0) {
            break;
        }
    }
    return MOSQ_ERR_SUCCESS;
}

/* One poll loop, like patrolgw's: read what is there, then write the echoes
 * the callbacks queued. Runs until a signal; reconnects if the broker goes away. */
static int run(struct mosquitto *mosq, echo *e)
{
    const struct timespec pause = {0, 200 * 1000000L};
    struct pollfd p;
    int rc;

    while (!g_stop && !e->fatal) {
        p.fd = mosquitto_socket(mosq);
        p.events = (short)(POLLIN | (mosquitto_want_write(mosq) ? POLLOUT : 0));
        p.revents = 0;
        rc = MOSQ_ERR_NO_CONN;
        if (p.fd >= 0) {
            if (poll(&p, 1, 1000) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                log_line("error", "poll: %s", strerror(errno));
                return -1;
            }
            rc = MOSQ_ERR_SUCCESS;
            if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
                rc = read_all(mosq);
            }
            if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(mosq)) {
                rc = mosquitto_loop_write(mosq, 1);
            }
            if (rc == MOSQ_ERR_SUCCESS) {
                rc = mosquitto_loop_misc(mosq);
            }
        }
        if (rc == MOSQ_ERR_SUCCESS || g_stop) {
            continue;
        }
        if (rc == MOSQ_ERR_NOMEM || rc == MOSQ_ERR_INVAL) {
            log_line("error", "loop: %s", mosquitto_strerror(rc));
            return -1;
        }
        log_line("warn", "connection lost (%s): reconnecting", mosquitto_strerror(rc));
        (void)nanosleep(&pause, NULL);
        rc = mosquitto_reconnect(mosq);
        if (rc != MOSQ_ERR_SUCCESS) {
            log_line("warn", "reconnect: %s", mosquitto_strerror(rc));
        }
    }
    return e->fatal ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"prefix", required_argument, NULL, 'x'},
        {"client-id", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[ECHO_NAME_MAX] = "127.0.0.1";
    char client_id[ECHO_NAME_MAX] = "patrolgw-echo";
    int port = 1883, c, rc, n, status = 1;
    struct mosquitto *mosq = NULL;
    struct sigaction sa;
    echo e;

    memset(&e, 0, sizeof e);
    (void)copy_opt(e.prefix, sizeof e.prefix, "patrol");
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            if (copy_opt(host, sizeof host, optarg) != 0) {
                goto bad;
            }
            break;
        case 'p':
            if (parse_port(optarg, &port) != 0) {
                goto bad;
            }
            break;
        case 'x':
            if (copy_opt(e.prefix, sizeof e.prefix, optarg) != 0) {
                goto bad;
            }
            break;
        case 'i':
            if (copy_opt(client_id, sizeof client_id, optarg) != 0) {
                goto bad;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind != argc) {
        goto bad;
    }
    n = snprintf(e.sub_topic, sizeof e.sub_topic, "%s/in/+/+", e.prefix);
    if (n < 0 || (size_t)n >= sizeof e.sub_topic) {
        goto bad;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0
        || sigaction(SIGINT, &sa, NULL) != 0) {
        perror("mqtt_echo: sigaction");
        return 1;
    }
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_echo: mosquitto_lib_init failed\n");
        return 1;
    }
    mosq = mosquitto_new(client_id, true, &e);
    if (mosq == NULL) {
        log_line("error", "mosquitto_new failed");
        goto fail;
    }
    /* Nagle would dominate loopback latency at low rates. */
    rc = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_line("error", "TCP_NODELAY: %s", mosquitto_strerror(rc));
        goto fail;
    }
    /* Replies in flight: the same as patrolgw (gateway/mqtt.c). */
    rc = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, 1000);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_line("error", "send maximum: %s", mosquitto_strerror(rc));
        goto fail;
    }
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    mosquitto_message_callback_set(mosq, on_message);
    rc = mosquitto_connect(mosq, host, port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_line("error", "connect to %s:%d: %s", host, port, mosquitto_strerror(rc));
        goto fail;
    }
    if (run(mosq, &e) == 0) {
        status = 0;
    }
    (void)mosquitto_disconnect(mosq);
    log_line("info", "stopped: echoed %lu, skipped %lu, failed %lu", e.echoed, e.skipped,
             e.failed);
fail:
    mosquitto_destroy(mosq); /* accepts NULL */
    (void)mosquitto_lib_cleanup();
    return status;
bad:
    usage(stderr);
    return 2;
}
