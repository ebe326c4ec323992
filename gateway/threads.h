/* threads.h: starting threads that take no signals. Signals are the core's
 * (its handlers set flags and wake its poll, docs/internals/CODE_STYLE.md);
 * a signal delivered to a library or worker thread would interrupt its
 * system calls and run the handler there. A thread inherits the mask of the
 * thread that creates it: every thread the gateway or a library starts is
 * made with every signal blocked. */
#ifndef THREADS_H
#define THREADS_H

#include <pthread.h>
#include <signal.h>

/* Blocks every signal in the calling thread; *old gets the mask to restore.
 * 0, or an error number. */
int threads_block(sigset_t *old);
/* Puts back the mask threads_block saved. */
void threads_restore(const sigset_t *old);
/* pthread_create(t, NULL, fn, arg), the new thread with every signal blocked
 * (the caller's mask is unchanged). 0, or an error number. */
int threads_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
