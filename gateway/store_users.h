/* store_users.h: the dashboard accounts as the store keeps them (the users
 * table; users.h says what an account is). Reads work on any store
 * connection; changes run inside the caller's store_begin()/store_commit(). */
#ifndef STORE_USERS_H
#define STORE_USERS_H

#include <stdint.h>

#include "store.h"
#include "users.h"

/* 1 and *out if the user exists (active or not); 0 if not; -1. */
int store_user_get(store *s, const char *name, users_user *out);
/* Adds u (id, changed_at, last_login_at ignored). 1 added, 0 the name is taken, -1. */
int store_user_add(store *s, const users_user *u, int64_t at);
/* New hash, and changed_at = at (ending open sessions). 1, 0 no such user, -1. */
int store_user_set_password(store *s, const char *name, const char *pwhash, int64_t at);
/* Enables or disables; changed_at = at. 1, 0 no such user, -1. */
int store_user_set_active(store *s, const char *name, int active, int64_t at);
/* Records a successful login. 1, 0 no such user, -1. */
int store_user_login_record(store *s, const char *name, int64_t at);
/* Calls fn for each user by name. Returns the count or -1. */
long store_users_each(store *s, void (*fn)(void *arg, const users_user *u), void *arg);

#endif
