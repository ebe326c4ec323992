/* notify.h: telling systemd how patrolgw is doing (Type=notify, sd_notify(3)).
 *
 * READY=1 once the store is open and the loop starts, STATUS= lines for
 * `systemctl status`, WATCHDOG=1 only from loop turns that made progress,
 * RELOADING=1 around a SIGHUP reload and STOPPING=1 on SIGTERM.
 *
 * Every function is a no-op when NOTIFY_SOCKET is unset (patrolgw run by
 * hand or by a test), and when notify_init() was not called. The core loop is
 * the only caller: the state here is not locked. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled(3)). Returns the
 * watchdog interval in ms, or 0 when systemd expects no WATCHDOG=1. */
int64_t notify_init(void);

/* READY=1 (also after a reload). */
void notify_ready(void);

/* STATUS=<text>: one line for `systemctl status`, cut at 255 bytes; sent only
 * when it differs from the last one sent. No phone numbers or message text. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* WATCHDOG=1, at most every quarter of the interval. Call it only from a
 * loop turn that ran to its end with the store answering: systemd restarts
 * patrolgw when the pings stop for the interval (WatchdogSec=). */
void notify_watchdog(int64_t mono_ms);

/* RELOADING=1 with MONOTONIC_USEC; notify_ready() ends the reload. */
void notify_reloading(void);

/* STOPPING=1: the loop is stopping on SIGTERM/SIGINT. */
void notify_stopping(void);

#endif
