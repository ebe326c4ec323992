/* log.c: levelled logging to stderr, one line per call. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rate limit: one call site (its format string) writes at most LOG_BURST lines
 * in LOG_WINDOW_MS; the rest are counted and said in one line when the window
 * is over, so a flood of bad messages or logins cannot fill the journal.
 * Debug lines (asked for) and fatal ones are never held back. */
#define LOG_BURST 10
#define LOG_WINDOW_MS 60000
#define LOG_SITES 64

typedef struct log_site {
    const char *fmt;                  /* NULL: free */
    const char *module;
    enum log_level level;
    int64_t window_start;             /* monotonic ms */
    long lines, held;
} log_site;

static pthread_mutex_t sites_mu = PTHREAD_MUTEX_INITIALIZER;
static log_site sites[LOG_SITES];

/* Read by every thread (modem, curl, dashboard), set by the core on reload:
 * atomic. Relaxed order: a thread may log one line at the old level. */
static atomic_int current = LOG_INFO;
/* -1 unknown, 0 plain stderr, 1 stderr is the systemd journal (JOURNAL_STREAM).
 * Worked out by the first line logged, whichever thread logs it. */
static atomic_int journal = -1;
/* sd-daemon(3) priority prefixes, by level. */
static const char *const prefixes[] = { "<3>", "<4>", "<6>", "<7>" };
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
    atomic_store_explicit(&current, (int)level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load_explicit(&current, memory_order_relaxed);
}

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
    int in_journal = atomic_load_explicit(&journal, memory_order_relaxed);
    if (in_journal < 0) {
        /* getenv() is safe here: the environment is no longer changed once
         * threads run (TZ is set before they start). */
        in_journal = getenv("JOURNAL_STREAM") != NULL;
        atomic_store_explicit(&journal, in_journal, memory_order_relaxed);
    }
    /* The journal stamps each line itself and reads the priority prefix. */
    int n = in_journal ? snprintf(line, sizeof line, "%s%s %s: ", prefixes[level], names[level], module)
                    : snprintf(line, sizeof line, "%s %s %s: ", stamp, names[level], module);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    (void)vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = strnlen(line, sizeof line - 1);
    line[len] = '\n';
    /* One write per line so that lines from a worker thread do not interleave. */
    (void)fwrite(line, 1, len + 1, stderr);
}

static void say(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(enum log_level level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under sites_mu: writes what site s held back in its window, and starts a new one. */
static void site_roll(log_site *s, int64_t now)
{
    if (s->held > 0)
        say(s->level, s->module, "%ld more lines like \"%s\" in the last %d s were not written",
            s->held, s->fmt, LOG_WINDOW_MS / 1000);
    s->window_start = now;
    s->lines = s->held = 0;
}

/* 1 if this line of fmt may be written now. */
static int site_allows(enum log_level level, const char *module, const char *fmt)
{
    int64_t now = mono_ms();
    int ok = 1;
    size_t h = ((uintptr_t)fmt >> 3) % LOG_SITES;
    if (pthread_mutex_lock(&sites_mu) != 0)
        return 1;
    /* Other sites whose window is over say what they held back. */
    for (int i = 0; i < LOG_SITES; i++)
        if (sites[i].fmt && sites[i].held > 0 && now - sites[i].window_start >= LOG_WINDOW_MS)
            site_roll(&sites[i], now);
    log_site *s = NULL;
    for (int i = 0; i < LOG_SITES && !s; i++) {
        log_site *t = &sites[(h + (size_t)i) % LOG_SITES];
        if (!t->fmt || t->fmt == fmt)
            s = t;
    }
    if (s) { /* a full table (more than LOG_SITES busy sites) is not limited */
        if (!s->fmt) {
            s->fmt = fmt;
            s->module = module;
            s->level = level;
            s->window_start = now;
        } else if (now - s->window_start >= LOG_WINDOW_MS) {
            site_roll(s, now);
        }
        if (++s->lines > LOG_BURST) {
            s->held++;
            ok = 0;
        }
    }
    (void)pthread_mutex_unlock(&sites_mu);
    return ok;
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    if ((int)level > atomic_load_explicit(&current, memory_order_relaxed))
        return;
    if (level != LOG_DEBUG && !site_allows(level, module, fmt))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

void log_msg_bounded(enum log_level level, const char *module, const char *fmt, ...)
{
    if ((int)level > atomic_load_explicit(&current, memory_order_relaxed))
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

/* The build has _POSIX_C_SOURCE=200809L and no _GNU_SOURCE in this file:
 * glibc's XSI strerror_r, which fills buf and returns an int. */
_Static_assert(_Generic(strerror_r(0, (char[1]){ 0 }, 1), int: 1, default: 0),
               "log.c needs the XSI strerror_r (no _GNU_SOURCE)");

const char *log_strerror(int errnum, char *buf, size_t len)
{
    if (len == 0)
        return "";
    if (strerror_r(errnum, buf, len) != 0)
        snprintf(buf, len, "error %d", errnum);
    return buf;
}
