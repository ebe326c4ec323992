/* fuzz_web.c: libFuzzer target for what a browser or a stranger sends the
 * dashboard and the ACK links (gateway/http.c, acklink.c, users.c, phone.c):
 * form bodies, signed acknowledgement tokens (/ack?t=...), session tokens,
 * account names, and phone numbers typed into forms. The first byte picks the
 * decoder. Aborts on a broken invariant: decoded values are NUL-terminated
 * within their buffers and hold no control byte; a forged token never passes;
 * a normalised number is "+" and 8 to 15 digits.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_web corpus/ */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acklink.h"
#include "http.h"
#include "phone.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"

static void form(const char *body, size_t len)
{
    static const char *const keys[] = { "name", "password", "csrf", "ref", "t", "q", "" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char out[64];
        int rc = http_form_value(body, len, keys[i], out, sizeof out);
        if (rc < -1 || rc > 1)
            abort();
        if (rc == 1) {
            size_t l = strnlen(out, sizeof out);
            if (l == sizeof out)
                abort();
            for (size_t k = 0; k < l; k++)
                if ((unsigned char)out[k] < 0x20 || out[k] == 0x7f)
                    abort();
        }
    }
}

/* A string copy of the input (NUL-terminated, cut at 1 KiB). */
static char *cstr(const uint8_t *data, size_t size)
{
    if (size > 1024)
        size = 1024;
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static void token(const char *s)
{
    int64_t ref = 0;
    char partner[GW_NAME_MAX + 1];
    int rc = acklink_check(SECRET, s, 1795000000000LL, &ref, partner, sizeof partner);
    if (rc == 0 || rc == -2) {
        /* A well-signed token names a report and a partner. */
        if (ref <= 0 || !memchr(partner, '\0', sizeof partner))
            abort();
    }
    if (rc < -2 || rc > 0)
        abort();
    (void)http_token_equal(s, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

static void phone(const char *s)
{
    char out[24];
    if (phone_normalise(s, "44", out, sizeof out) == 0) {
        size_t l = strlen(out);
        if (out[0] != '+' || l < 9 || l > 16)
            abort();
        for (size_t i = 1; i < l; i++)
            if (!isdigit((unsigned char)out[i]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 4;
    data++;
    size--;
    if (which == 0) {
        form((const char *)data, size);
        return 0;
    }
    char *s = cstr(data, size);
    if (which == 1) {
        token(s);
    } else if (which == 2) {
        phone(s);
    } else {
        (void)users_valid_name(s);
        (void)users_role_parse(s);
        char cookie[256];
        (void)http_cookie(cookie, sizeof cookie, "patrol_session", s, 3600, 1);
        (void)http_is_loopback(s);
    }
    free(s);
    return 0;
}
