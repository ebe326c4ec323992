/* sms_text.h: SMS text on the wire and one-SMS texts (pure: no I/O).
 * Decodes what the modem hands over (UCS-2 big-endian, as libgammu keeps every
 * SMS text) to UTF-8, chooses the alphabet of an outgoing SMS (GSM-7 when the
 * text allows it, else UCS-2) and makes texts fit one SMS by shortening, never
 * by splitting. */
#ifndef SMS_TEXT_H
#define SMS_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* One SMS: 160 GSM-7 septets or 70 UCS-2 code units. */
#define SMS_GSM7_MAX 160
#define SMS_UCS2_MAX 70
/* Bytes of UTF-8 that one SMS can decode to, with the NUL: 160 x 3 (GSM-7)
 * covers 70 UCS-2 units (at most 4 bytes per 2 units, 3 per unit). */
#define SMS_TEXT_BUF (SMS_GSM7_MAX * 3 + 1)

enum sms_coding { SMS_GSM7 = 0, SMS_UCS2 = 1 };

/* Decodes units UCS-2/UTF-16 big-endian code units at be (2 bytes each) into
 * UTF-8 out (NUL-terminated). Surrogate pairs become one character; a lone
 * surrogate or a NUL becomes U+FFFD. Stops at the first character that would
 * not fit. Returns the bytes written. */
size_t sms_text_from_ucs2(const unsigned char *be, size_t units, char *out, size_t outsz);

/* Encodes UTF-8 s[0..len) as UCS-2/UTF-16 big-endian into out (2 bytes a unit,
 * then a 2-byte NUL): at most max_units units. Returns the units written, or
 * -1 if s is not valid UTF-8 or does not fit. */
long sms_text_to_ucs2(const char *s, size_t len, unsigned char *out, size_t max_units);

/* UCS-2 code units of UTF-8 s (code points above U+FFFF count 2); -1 if not UTF-8. */
long sms_text_ucs2_units(const char *s, size_t len);

/* The alphabet s needs: SMS_GSM7 if every character is in GSM 03.38 (with the
 * extension table), else SMS_UCS2. */
enum sms_coding sms_text_coding(const char *s, size_t len);

/* How many bytes of s fit one SMS in its alphabet (*coding set), cut at a
 * character boundary. */
size_t sms_text_fit(const char *s, size_t len, enum sms_coding *coding);

/* A duty-phone alert, one SMS: "P1 RTC HB03 R1042 car v cyclist amb called.
 * Reply ACK 1042". The details are shortened (and end in "..") when the whole
 * does not fit; control characters become spaces. where: the zone, else the
 * location. Returns the bytes written to out (NUL-terminated) and sets *coding. */
size_t sms_text_alert(char *out, size_t outsz, int priority, const char *code, const char *where,
                      long long ref, const char *details, size_t details_len,
                      enum sms_coding *coding);

/* One alert of a digest SMS (strings valid during the call). */
typedef struct sms_digest_item {
    long long ref;
    int priority;
    const char *code;
    const char *where;         /* the zone, else the location */
} sms_digest_item;

/* A digest of `count` alerts to a duty phone, one SMS: "DIGEST police 12
 * alerts: R1042 P1 ASB HB12; R1043 P2 RTC HB03; +10 more, see dashboard".
 * As many of items[0..n) as fit whole, in order; the count of the others
 * ends it (none fit: "DIGEST police 12 alerts, see dashboard"). Returns the
 * bytes written to out (NUL-terminated; outsz at least SMS_TEXT_BUF) and
 * sets *coding. */
size_t sms_text_digest(char *out, size_t outsz, const char *partner, int count,
                       const sms_digest_item *items, int n, enum sms_coding *coding);

#endif
