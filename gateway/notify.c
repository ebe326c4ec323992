/* notify.c: sd_notify(3) messages to systemd (see notify.h). */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"

/* Longest STATUS= text; systemd shows one line anyway. */
#define NOTIFY_STATUS_MAX 256

static int enabled;              /* NOTIFY_SOCKET was set at notify_init() */
static int64_t watchdog_ms;      /* 0: no watchdog */
static int64_t last_ping = -1;   /* monotonic ms of the last WATCHDOG=1 */
static char last_status[NOTIFY_STATUS_MAX];
static int warned;               /* a failed send was logged */

/* Sends one message; a failure is logged once (systemd may be restarting)
 * and otherwise ignored: patrolgw's work does not depend on it. */
static void send_state(const char *state)
{
    if (!enabled)
        return;
    int rc = sd_notify(0, state);
    if (rc < 0 && !warned) {
        warned = 1;
        log_warn("notify", "cannot notify systemd: %s", strerror(-rc));
    }
}

int64_t notify_init(void)
{
    uint64_t usec = 0;
    const char *sock = getenv("NOTIFY_SOCKET");

    enabled = sock != NULL && sock[0] != '\0';
    watchdog_ms = 0;
    last_ping = -1;
    last_status[0] = '\0';
    warned = 0;
    if (!enabled)
        return 0;
    /* > 0: WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours). */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 1000)
        watchdog_ms = (int64_t)(usec / 1000);
    log_debug("notify", "systemd notification socket set; watchdog %lld ms",
              (long long)watchdog_ms);
    return watchdog_ms;
}

void notify_ready(void)
{
    send_state("READY=1");
}

void notify_status(const char *fmt, ...)
{
    char text[NOTIFY_STATUS_MAX];
    char msg[NOTIFY_STATUS_MAX + 8];
    va_list ap;

    if (!enabled)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* One line: systemd ends STATUS= at a newline. */
    text[strcspn(text, "\n")] = '\0';
    if (strcmp(text, last_status) == 0)
        return;
    memcpy(last_status, text, sizeof last_status);
    snprintf(msg, sizeof msg, "STATUS=%s", text);
    send_state(msg);
}

void notify_watchdog(int64_t mono_ms)
{
    if (!enabled || watchdog_ms <= 0)
        return;
    /* systemd asks for a ping every half interval; a quarter leaves room for
     * a slow turn (a loop turn is at most about a second when idle). */
    if (last_ping >= 0 && mono_ms - last_ping < watchdog_ms / 4)
        return;
    last_ping = mono_ms;
    send_state("WATCHDOG=1");
}

void notify_reloading(void)
{
    struct timespec ts;
    char msg[64];

    if (!enabled)
        return;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        send_state("RELOADING=1");
        return;
    }
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
    send_state(msg);
}

void notify_stopping(void)
{
    send_state("STOPPING=1");
}
