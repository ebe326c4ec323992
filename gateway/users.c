/* users.c: dashboard accounts (users.h): roles, names and password hashes.
 * The account rows are kept by the store (store_users.c). */
#include "users.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>


_Static_assert(crypto_pwhash_STRBYTES <= USERS_HASH_MAX, "USERS_HASH_MAX holds a hash");

static const char *const role_names[] = { "viewer", "duty", "coordinator" };

const char *users_role_name(enum users_role r)
{
    return (int)r >= 0 && (int)r < 3 ? role_names[r] : "viewer";
}

int users_role_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, role_names[i]))
            return i;
    return -1;
}

int users_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > GW_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int users_hash_password(const char *password, char *out, size_t outsz)
{
    size_t n = strlen(password);
    if (outsz < crypto_pwhash_STRBYTES || n < USERS_PASSWORD_MIN || n > GW_PASSWORD_MAX)
        return -1;
    if (sodium_init() < 0)
        return -1;
    /* Interactive limits (2 passes over 64 MiB): libsodium's choice for an
     * online login on a small machine; the hash string records them, so
     * raising them later still verifies the old hashes. */
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return -1;
    return 0;
}

int users_check_password(const char *hash, const char *password)
{
    size_t n = strlen(password);
    if (n > GW_PASSWORD_MAX || sodium_init() < 0)
        return 0;
    if (!memchr(hash, '\0', USERS_HASH_MAX))
        return 0;
    return crypto_pwhash_str_verify(hash, password, n) == 0;
}
