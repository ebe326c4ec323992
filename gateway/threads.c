/* threads.c: starting threads that take no signals (see threads.h). */
#include "threads.h"

int threads_block(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    return pthread_sigmask(SIG_BLOCK, &all, old);
}

void threads_restore(const sigset_t *old)
{
    (void)pthread_sigmask(SIG_SETMASK, old, NULL);
}

int threads_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t old;
    int rc = threads_block(&old);
    if (rc != 0)
        return rc;
    rc = pthread_create(t, NULL, fn, arg);
    threads_restore(&old);
    return rc;
}
