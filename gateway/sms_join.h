/* sms_join.h: concatenated SMS (pure: no I/O, no allocation).
 * Reads the concatenation header of a part (UDH information element 0x00,
 * 8-bit reference, or 0x08, 16-bit reference) and joins the parts of one
 * message, keyed by sender + reference + total, in part order. The parts
 * themselves are journaled in the store as they are read (sms.c), so a part
 * still missing survives a restart; this module decides when a message is
 * complete or has waited long enough, and what its text is. */
#ifndef SMS_JOIN_H
#define SMS_JOIN_H

#include <stddef.h>
#include <stdint.h>

/* A concatenated message has at most this many parts (the UDH allows 255;
 * 480 characters of PRC/1 take at most 8 UCS-2 parts). Parts of a larger
 * total are taken as single messages. */
#define SMS_JOIN_PARTS_MAX 16

/* From a UDH (udh[0] is its length byte, as on the air): 1 with *ref, *part
 * (1..total) and *total (2..SMS_JOIN_PARTS_MAX) for a part of a concatenated
 * message; 0 for none (no UDH, no concatenation element, a 1-part "message"
 * or a total over the cap); -1 if the header is malformed (then the SMS is
 * taken as a single message too). */
int sms_join_udh(const unsigned char *udh, size_t len, int *ref, int *part, int *total);

typedef struct sms_join_part {
    int part;             /* 1..total */
    const char *text;     /* UTF-8, points into the caller's rows */
    size_t len;
} sms_join_part;

enum sms_join_state { SMS_JOIN_WAITING = 0, SMS_JOIN_COMPLETE, SMS_JOIN_EXPIRED };

/* Complete when every part 1..total is among parts[0..n); expired when not
 * complete and the first part arrived at least timeout_ms before now. */
enum sms_join_state sms_join_state(const sms_join_part *parts, int n, int total,
                                   int64_t first_at, int64_t now, int64_t timeout_ms);

/* Joins parts[0..n) (any order, repeats ignored) in part order into out
 * (NUL-terminated, cut at a character boundary when full). A missing part
 * becomes one space, so that the words either side stay apart. *missing gets
 * the number of parts 1..total not present. Returns the bytes written. */
size_t sms_join_text(const sms_join_part *parts, int n, int total, char *out, size_t outsz,
                     int *missing);

#endif
