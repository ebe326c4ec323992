/* tmpstore.h: a store in a fresh temporary folder, for unit tests, removed
 * with its WAL files afterwards. Include in one test program only once. */
#ifndef TMPSTORE_H
#define TMPSTORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

typedef struct tmpstore {
    char dir[64];    /* the folder made by mkdtemp */
    char path[128];  /* dir/patrolgw.db */
    store *st;       /* open read-write; owned */
} tmpstore;

/* Makes /tmp/<name>.XXXXXX and opens a store in it. 0, or -1 (cleaned up). */
static int tmpstore_open(tmpstore *t, const char *name)
{
    char err[256];
    snprintf(t->dir, sizeof t->dir, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->path, sizeof t->path, "%s/patrolgw.db", t->dir);
    t->st = store_open(t->path, STORE_RW, 0, err, sizeof err);
    if (!t->st) {
        fprintf(stderr, "store_open: %s\n", err);
        (void)rmdir(t->dir);
        return -1;
    }
    return 0;
}

/* Closes the store and removes it, its WAL files and the folder. */
static void tmpstore_close(tmpstore *t)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char p[192];
    store_close(t->st);
    t->st = NULL;
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", t->path, sfx[i]);
        (void)unlink(p);
    }
    (void)rmdir(t->dir);
}

#endif
