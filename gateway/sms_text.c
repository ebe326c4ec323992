/* sms_text.c: UCS-2 <-> UTF-8, the alphabet of an SMS, one-SMS texts. */
#include "sms_text.h"

#include <stdio.h>
#include <string.h>

#include "prc_gsm7.h"
#include "prc_utf8.h"

size_t sms_text_from_ucs2(const unsigned char *be, size_t units, char *out, size_t outsz)
{
    size_t w = 0;
    if (outsz == 0)
        return 0;
    for (size_t i = 0; i < units; i++) {
        int32_t cp = (int32_t)((be[2 * i] << 8) | be[2 * i + 1]);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units) {
            int32_t lo = (int32_t)((be[2 * i + 2] << 8) | be[2 * i + 3]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        char buf[4];
        size_t n = prc_utf8_encode(cp, buf);
        if (w + n + 1 > outsz)
            break;
        memcpy(out + w, buf, n);
        w += n;
    }
    out[w] = '\0';
    return w;
}

long sms_text_to_ucs2(const char *s, size_t len, unsigned char *out, size_t max_units)
{
    size_t pos = 0, u = 0;
    if (!prc_utf8_valid(s, len))
        return -1;
    while (pos < len) {
        int32_t cp = prc_utf8_next(s, len, &pos);
        if (cp < 0)
            return -1;
        if (cp >= 0x10000) {
            if (u + 2 > max_units)
                return -1;
            int32_t v = cp - 0x10000;
            int32_t hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            out[2 * u] = (unsigned char)(hi >> 8);
            out[2 * u + 1] = (unsigned char)(hi & 0xFF);
            out[2 * u + 2] = (unsigned char)(lo >> 8);
            out[2 * u + 3] = (unsigned char)(lo & 0xFF);
            u += 2;
        } else {
            if (u + 1 > max_units)
                return -1;
            out[2 * u] = (unsigned char)(cp >> 8);
            out[2 * u + 1] = (unsigned char)(cp & 0xFF);
            u++;
        }
    }
    out[2 * u] = 0;
    out[2 * u + 1] = 0;
    return (long)u;
}

long sms_text_ucs2_units(const char *s, size_t len)
{
    size_t pos = 0;
    long u = 0;
    if (!prc_utf8_valid(s, len))
        return -1;
    while (pos < len) {
        int32_t cp = prc_utf8_next(s, len, &pos);
        if (cp < 0)
            return -1;
        u += cp >= 0x10000 ? 2 : 1;
    }
    return u;
}

enum sms_coding sms_text_coding(const char *s, size_t len)
{
    return prc_gsm7_len(s, len) >= 0 ? SMS_GSM7 : SMS_UCS2;
}

/* Bytes of s (valid UTF-8) that fit max units of the alphabet. */
static size_t fit_units(const char *s, size_t len, enum sms_coding c, size_t max)
{
    size_t pos = 0, used = 0, ok = 0;
    while (pos < len) {
        size_t at = pos;
        int32_t cp = prc_utf8_next(s, len, &pos);
        if (cp < 0)
            return at;
        size_t n = c == SMS_GSM7 ? (size_t)prc_gsm7_septets(cp) : (cp >= 0x10000 ? 2u : 1u);
        if (n == 0 || used + n > max)
            return at;
        used += n;
        ok = pos;
    }
    return ok;
}

size_t sms_text_fit(const char *s, size_t len, enum sms_coding *coding)
{
    *coding = sms_text_coding(s, len);
    if (!prc_utf8_valid(s, len))
        return 0;
    return fit_units(s, len, *coding, *coding == SMS_GSM7 ? SMS_GSM7_MAX : SMS_UCS2_MAX);
}

/* Units of valid UTF-8 s in alphabet c. */
static size_t units_of(const char *s, size_t len, enum sms_coding c)
{
    size_t pos = 0, u = 0;
    while (pos < len) {
        int32_t cp = prc_utf8_next(s, len, &pos);
        if (cp < 0)
            break;
        u += c == SMS_GSM7 ? (size_t)prc_gsm7_septets(cp) : (cp >= 0x10000 ? 2u : 1u);
    }
    return u;
}

size_t sms_text_alert(char *out, size_t outsz, int priority, const char *code, const char *where,
                      long long ref, const char *details, size_t details_len,
                      enum sms_coding *coding)
{
    char head[96], tail[48], det[SMS_TEXT_BUF];
    size_t dl = 0;

    snprintf(head, sizeof head, "P%d %.15s %.40s R%lld", priority, code, where, ref);
    snprintf(tail, sizeof tail, ". Reply ACK %lld", ref);
    /* The details as one line of valid UTF-8, at most one SMS worth. */
    for (size_t pos = 0; pos < details_len && dl + 5 < sizeof det;) {
        int32_t cp = prc_utf8_next(details, details_len, &pos);
        if (cp < 0)
            continue;
        if (cp < 0x20 || cp == 0x7F)
            cp = ' ';
        dl += prc_utf8_encode(cp, det + dl);
    }
    while (dl > 0 && det[dl - 1] == ' ')
        dl--;
    det[dl] = '\0';

    *coding = (sms_text_coding(head, strlen(head)) == SMS_GSM7 &&
               sms_text_coding(det, dl) == SMS_GSM7) ? SMS_GSM7 : SMS_UCS2;
    size_t max = *coding == SMS_GSM7 ? SMS_GSM7_MAX : SMS_UCS2_MAX;
    size_t fixed = units_of(head, strlen(head), *coding) + units_of(tail, strlen(tail), *coding);
    size_t room = fixed + 1 < max ? max - fixed - 1 : 0; /* 1: the space before the details */
    size_t keep = dl;
    const char *cut = "";
    if (units_of(det, dl, *coding) > room) {
        keep = room > 2 ? fit_units(det, dl, *coding, room - 2) : 0;
        cut = "..";
    }
    int n;
    if (keep > 0 || cut[0])
        n = snprintf(out, outsz, "%s %.*s%s%s", head, (int)keep, det, cut, tail);
    else
        n = snprintf(out, outsz, "%s%s", head, tail);
    if (n < 0)
        return 0;
    return (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* The digest with `list` (may be "") and `rest` alerts not listed. */
static int digest_compose(char *out, size_t outsz, const char *partner, int count,
                          const char *list, int rest)
{
    const char *s = count == 1 ? "" : "s";
    if (!list[0])
        return snprintf(out, outsz, "DIGEST %.32s %d alert%s, see dashboard", partner, count, s);
    if (rest <= 0)
        return snprintf(out, outsz, "DIGEST %.32s %d alert%s: %s", partner, count, s, list);
    return snprintf(out, outsz, "DIGEST %.32s %d alert%s: %s; +%d more, see dashboard", partner,
                    count, s, list, rest);
}

/* 1 if s is one SMS as it stands. */
static int one_sms(const char *s, int n)
{
    enum sms_coding c;
    return n > 0 && (size_t)n < SMS_TEXT_BUF && sms_text_fit(s, (size_t)n, &c) == (size_t)n;
}

size_t sms_text_digest(char *out, size_t outsz, const char *partner, int count,
                       const sms_digest_item *items, int n, enum sms_coding *coding)
{
    char list[SMS_TEXT_BUF], cand[SMS_TEXT_BUF], text[SMS_TEXT_BUF];
    size_t ll = 0;
    list[0] = '\0';
    (void)digest_compose(text, sizeof text, partner, count, "", count);
    for (int i = 0; i < n && i < count; i++) {
        const sms_digest_item *it = &items[i];
        int k = snprintf(cand, sizeof cand, "%.*s%sR%lld P%d %.15s %.40s", (int)ll, list,
                         ll ? "; " : "", it->ref, it->priority, it->code, it->where);
        if (k < 0 || (size_t)k >= sizeof cand)
            break;
        char whole[SMS_TEXT_BUF];
        int wl = digest_compose(whole, sizeof whole, partner, count, cand, count - (i + 1));
        if (!one_sms(whole, wl))
            break;
        memcpy(list, cand, (size_t)k + 1);
        ll = (size_t)k;
        memcpy(text, whole, (size_t)wl + 1);
    }
    /* Only the bare digest can be too long (a partner name that is not GSM-7). */
    size_t fit = sms_text_fit(text, strlen(text), coding);
    int w = snprintf(out, outsz, "%.*s", (int)fit, text);
    return w < 0 ? 0 : (size_t)w < outsz ? (size_t)w : outsz - 1;
}
