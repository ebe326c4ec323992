/* tsan_log.c: gateway/log.c under ThreadSanitizer (issue 16, defect 10).
 * The log level is set by the core on reload and read by every thread that
 * logs (the modem thread, the curl worker, libmicrohttpd's threads); the
 * journal flag is worked out by whichever thread logs first; log_strerror()
 * is the strerror of the worker threads. Here one thread changes the level
 * while others log and ask for error messages at the same time: a plain
 * (non-atomic) level or journal flag is a data race that ThreadSanitizer
 * reports (the program then exits 66), and a message read from a buffer
 * shared by the threads comes back wrong (exit 1).
 * Built only without ASan (tests/CMakeLists.txt); no cmocka: one check. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ROUNDS 20000

static void *set_levels(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        log_set_level(i % 2 ? LOG_WARN : LOG_ERROR);
    return NULL;
}

/* Logs below the level (nothing written, the level is read each time), and
 * checks that its own error messages are its own. */
typedef struct worker_arg {
    int errnum;
    char want[LOG_STRERROR_MAX];  /* its message, asked for before the threads start */
} worker_arg;

static void *log_lines(void *arg)
{
    const worker_arg *w = arg;
    int errnum = w->errnum;
    const char *want = w->want;
    char buf[LOG_STRERROR_MAX];
    long wrong = 0;
    for (int i = 0; i < ROUNDS; i++) {
        log_debug("tsan", "line %d of a worker thread", i);
        log_info("tsan", "line %d of a worker thread", i);
        (void)log_get_level();
        if (strcmp(log_strerror(errnum, buf, sizeof buf), want) != 0)
            wrong++;
    }
    return (void *)wrong;
}

int main(void)
{
    /* Numbers no C library knows: their message is made for the call, with
     * the number in it (a fixed table entry would hide a shared buffer). */
    static worker_arg args[3] = { { .errnum = 12345 }, { .errnum = 23456 }, { .errnum = 34567 } };
    pthread_t setter, worker[3];
    long wrong = 0;
    for (int i = 0; i < 3; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", args[i].errnum);
        if (!strstr(log_strerror(args[i].errnum, args[i].want, sizeof args[i].want), num))
            return 2;
    }
    if (pthread_create(&setter, NULL, set_levels, NULL) != 0)
        return 2;
    for (int i = 0; i < 3; i++)
        if (pthread_create(&worker[i], NULL, log_lines, &args[i]) != 0)
            return 2;
    (void)pthread_join(setter, NULL);
    for (int i = 0; i < 3; i++) {
        void *w = NULL;
        (void)pthread_join(worker[i], &w);
        wrong += (long)w;
    }
    if (wrong) {
        fprintf(stderr, "tsan_log: %ld error messages were another thread's\n", wrong);
        return 1;
    }
    printf("tsan_log: no race, %d rounds on 4 threads\n", ROUNDS);
    return 0;
}
