/* log.h: levelled logging to stderr. Nothing above debug may carry a phone
 * number or message text (docs/internals/CODE_STYLE.md). */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; -1 if none of them. */
int log_level_parse(const char *s);

/* "2026-11-23T09:00:00.123Z info radio: connected" on stderr. */
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same without the per-call-site limit (at most 10 lines a minute, the
 * rest counted): for a call site that bounds its own lines, e.g. ingest's one
 * line per message (at most 10 a second). */
void log_msg_bounded(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

/* strerror() for any thread (strerror may use a buffer shared by all):
 * the message for errnum in buf (len bytes, cut if need be); returns buf. */
const char *log_strerror(int errnum, char *buf, size_t len);
/* A buffer size that holds every message of the C library. */
#define LOG_STRERROR_MAX 128

/* A broken invariant: logs and aborts. */
_Noreturn void log_fatal(const char *module, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
