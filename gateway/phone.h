/* phone.h: phone numbers to E.164 ("07700 900123" -> "+447700900123"). */
#ifndef PHONE_H
#define PHONE_H

#include <stddef.h>

/* Normalises a national (leading 0, with country_code) or international
 * (+CC or 00CC) number, ignoring spaces, dashes, dots and brackets. Writes
 * "+<digits>" (8 to 15 digits) into out. 0, or -1 if it is not a phone number. */
int phone_normalise(const char *in, const char *country_code, char *out, size_t outsz);

#endif
