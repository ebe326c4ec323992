/* fuzz_sms_join.c: libFuzzer target for the code of ours that reads what a
 * modem hands over: the concatenation header (sms_join_udh), the UCS-2 text
 * (sms_text_from_ucs2), joining parts (sms_join_text) and fitting texts into
 * one SMS (sms_text_fit, sms_text_alert). Aborts on a broken invariant: joined
 * and decoded text is valid UTF-8 within its buffer, a header's numbers are in
 * range, an alert fits one SMS.
 * Build: cmake -DPATROL_FUZZ=ON (clang); run: ./fuzz_sms_join corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz targets link the protocol library only: the two pure gateway
 * modules are compiled in. */
#include "../../gateway/sms_join.c"
#include "../../gateway/sms_text.c"
#include "prc_gsm7.h"
#include "prc_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int ref = -1, part = -1, total = -1;
    int rc = sms_join_udh(data, size, &ref, &part, &total);
    if (rc == 1 && (part < 1 || part > total || total < 2 || total > SMS_JOIN_PARTS_MAX ||
                    ref < 0 || ref > 0xFFFF))
        abort();

    /* The input as up to four parts of UCS-2 text, split at 0xFF 0xFF. */
    static char texts[4][SMS_TEXT_BUF];
    sms_join_part parts[4];
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && n < 4; i++) {
        if (i == size || (i + 1 < size && data[i] == 0xFF && data[i + 1] == 0xFF)) {
            size_t units = (i - start) / 2;
            if (units > 200)
                units = 200;
            size_t len = sms_text_from_ucs2(data + start, units, texts[n], sizeof texts[n]);
            if (len >= sizeof texts[n] || !prc_utf8_valid(texts[n], len))
                abort();
            parts[n].part = n + 1 + (int)(start % 3);
            parts[n].text = texts[n];
            parts[n].len = len;
            n++;
            start = i + 2;
            i++;
        }
    }
    char joined[4 * SMS_TEXT_BUF];
    int missing;
    size_t jl = sms_join_text(parts, n, 4, joined, sizeof joined, &missing);
    if (jl >= sizeof joined || strlen(joined) != jl || (jl && !prc_utf8_valid(joined, jl)) ||
        missing < 0 || missing > 4)
        abort();

    enum sms_coding c;
    size_t fit = sms_text_fit(joined, jl, &c);
    if (fit > jl || (c == SMS_GSM7 && prc_gsm7_len(joined, fit) > SMS_GSM7_MAX) ||
        (c == SMS_UCS2 && sms_text_ucs2_units(joined, fit) > SMS_UCS2_MAX))
        abort();

    char alert[SMS_TEXT_BUF];
    size_t al = sms_text_alert(alert, sizeof alert, 1, "RTC", "HB03", 1042, joined, jl, &c);
    if (al >= sizeof alert || !prc_utf8_valid(alert, al))
        abort();
    if (c == SMS_GSM7 ? prc_gsm7_len(alert, al) > SMS_GSM7_MAX
                      : sms_text_ucs2_units(alert, al) > SMS_UCS2_MAX)
        abort();
    return 0;
}
