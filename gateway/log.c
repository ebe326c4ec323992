/* log.c: levelled logging to stderr, one line per call. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level current = LOG_INFO;
/* -1 unknown, 0 plain stderr, 1 stderr is the systemd journal (JOURNAL_STREAM). */
static int journal = -1;
/* sd-daemon(3) priority prefixes, by level. */
static const char *const prefixes[] = { "<3>", "<4>", "<6>", "<7>" };
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { current = level; }

enum log_level log_get_level(void) { return current; }

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static void vlog(enum log_level level, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vlog(enum log_level level, const char *module, const char *fmt, va_list ap)
{
    char line[1024];
    char stamp[48] = "";
    struct timespec ts;
    struct tm tm;

    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL) {
        char day[24];
        if (strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
            snprintf(stamp, sizeof stamp, "%s.%03dZ", day, (int)(ts.tv_nsec / 1000000L) % 1000);
    }
    if (journal < 0)
        journal = getenv("JOURNAL_STREAM") != NULL;
    /* The journal stamps each line itself and reads the priority prefix. */
    int n = journal ? snprintf(line, sizeof line, "%s%s %s: ", prefixes[level], names[level], module)
                    : snprintf(line, sizeof line, "%s %s %s: ", stamp, names[level], module);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    (void)vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = strnlen(line, sizeof line - 1);
    line[len] = '\n';
    /* One write per line so that lines from a worker thread do not interleave. */
    (void)fwrite(line, 1, len + 1, stderr);
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    if (level > current)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_ERROR, module, fmt, ap);
    va_end(ap);
    abort();
}
