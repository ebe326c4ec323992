/* users.h: dashboard accounts (the users table): who may log in to the duty
 * dashboard, with which role, and their password hash (argon2id through
 * libsodium's crypto_pwhash_str). The rows are kept by the store
 * (store_users.h). */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>
#include <stdint.h>

#include "prc_limits.h"

/* crypto_pwhash_STRBYTES (checked in users.c). */
#define USERS_HASH_MAX 128

enum users_role { USERS_VIEWER = 0, USERS_DUTY = 1, USERS_COORDINATOR = 2 };

typedef struct users_user {
    int64_t id;
    char name[GW_USER_NAME_MAX + 1];
    enum users_role role;
    char partner[GW_NAME_MAX + 1];  /* duty: the partner they answer for; "" none */
    char pwhash[USERS_HASH_MAX];
    int active;
    int64_t created_at, changed_at, last_login_at; /* Unix ms; last_login_at 0: never */
} users_user;

/* "viewer", "duty", "coordinator"; and back (-1 if none of them). */
const char *users_role_name(enum users_role r);
int users_role_parse(const char *s);

/* 1 if s is a user name: 1..GW_USER_NAME_MAX of a-z 0-9 . _ - (lower case). */
int users_valid_name(const char *s);

/* Hashes a password (argon2id, libsodium's interactive limits) into out
 * (USERS_HASH_MAX bytes). 0, or -1 (out of memory, or a password longer
 * than GW_PASSWORD_MAX or shorter than USERS_PASSWORD_MIN). */
#define USERS_PASSWORD_MIN 10
int users_hash_password(const char *password, char *out, size_t outsz);
/* 1 if password matches hash, 0 if not (or the hash is malformed). Slow on purpose. */
int users_check_password(const char *hash, const char *password);

#endif
