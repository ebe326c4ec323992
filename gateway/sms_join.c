/* sms_join.c: concatenation headers and joining parts. */
#include "sms_join.h"

#include <string.h>

int sms_join_udh(const unsigned char *udh, size_t len, int *ref, int *part, int *total)
{
    if (len == 0)
        return 0;
    size_t hl = udh[0];
    if (hl + 1 > len)
        return -1;
    int found = 0;
    /* Information elements: id, length, data; walk them all, the last
     * concatenation element wins (as in phones). */
    for (size_t i = 1; i < hl + 1;) {
        if (i + 2 > hl + 1)
            return -1;
        unsigned id = udh[i], il = udh[i + 1];
        const unsigned char *d = udh + i + 2;
        if (i + 2 + il > hl + 1)
            return -1;
        if (id == 0x00 && il == 3) {
            *ref = d[0];
            *total = d[1];
            *part = d[2];
            found = 1;
        } else if (id == 0x08 && il == 4) {
            *ref = (d[0] << 8) | d[1];
            *total = d[2];
            *part = d[3];
            found = 1;
        }
        i += 2 + il;
    }
    if (!found)
        return 0;
    if (*total < 1 || *part < 1 || *part > *total)
        return -1;
    if (*total == 1 || *total > SMS_JOIN_PARTS_MAX)
        return 0;
    return 1;
}

/* Bit i set when part i (1..SMS_JOIN_PARTS_MAX) is present. */
static unsigned present_mask(const sms_join_part *parts, int n, int total)
{
    unsigned m = 0;
    for (int i = 0; i < n; i++)
        if (parts[i].part >= 1 && parts[i].part <= total && parts[i].part <= SMS_JOIN_PARTS_MAX)
            m |= 1u << parts[i].part;
    return m;
}

enum sms_join_state sms_join_state(const sms_join_part *parts, int n, int total,
                                   int64_t first_at, int64_t now, int64_t timeout_ms)
{
    if (total < 1 || total > SMS_JOIN_PARTS_MAX)
        return SMS_JOIN_COMPLETE;
    unsigned want = ((1u << (total + 1)) - 1u) & ~1u;
    if ((present_mask(parts, n, total) & want) == want)
        return SMS_JOIN_COMPLETE;
    return now - first_at >= timeout_ms ? SMS_JOIN_EXPIRED : SMS_JOIN_WAITING;
}

/* Length of the longest prefix of s[0..len) that is at most max bytes and
 * does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

size_t sms_join_text(const sms_join_part *parts, int n, int total, char *out, size_t outsz,
                     int *missing)
{
    size_t w = 0;
    *missing = 0;
    if (outsz == 0)
        return 0;
    out[0] = '\0';
    if (total < 1)
        total = 1;
    if (total > SMS_JOIN_PARTS_MAX)
        total = SMS_JOIN_PARTS_MAX;
    for (int p = 1; p <= total; p++) {
        const sms_join_part *hit = NULL;
        for (int i = 0; i < n && !hit; i++)
            if (parts[i].part == p)
                hit = &parts[i];
        const char *t = hit ? hit->text : " ";
        size_t tl = hit ? hit->len : 1;
        if (!hit)
            (*missing)++;
        size_t room = outsz - 1 - w;
        size_t c = utf8_cut(t, tl, room);
        memcpy(out + w, t, c);
        w += c;
        if (c < tl) {
            for (int q = p + 1; q <= total; q++) {
                int seen = 0;
                for (int i = 0; i < n; i++)
                    seen |= parts[i].part == q;
                *missing += !seen;
            }
            break;
        }
    }
    out[w] = '\0';
    return w;
}
