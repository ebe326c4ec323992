/* prc_reply.h: reply formatting. Every reply fits one SMS: at most
 * PRC_REPLY_MAX GSM-7 septets; originals keep room for " DUP". Echoed text is
 * cut to PRC_ECHO_MAX characters and non-GSM characters become '?'.
 * out must hold PRC_REPLY_BUF bytes; each returns the bytes written. */
#ifndef PRC_REPLY_H
#define PRC_REPLY_H

#include <stddef.h>
#include "prc_parse.h"

/* "OK R1042 ASB P3 HB12"; a landmark or postcode that resolved to a zone
 * shows the zone then what was typed, "OK R1042 ASB P3 HB02 (PIER)"; a
 * priority that could not be read ends it with
 * " (PX unclear, default P1 used)". */
size_t prc_reply_report(char *out, unsigned long long ref, const prc_msg *m);

/* "OK UPD R1042", "OK CLR R1042", "OK ACK R1042" (verb is the keyword). */
size_t prc_reply_ref(char *out, const char *verb, unsigned long long ref);

/* "OK ON HB12 14:05", or "OK ON 14:05" without a zone. */
size_t prc_reply_on(char *out, const char *zone, int hh, int mm);

/* "OK OFF 4h05" for a shift of that many minutes. */
size_t prc_reply_off(char *out, long minutes);

/* "ERR <FIELD>: <message>"; the message is printf-formatted, sanitised to GSM-7
 * and cut to fit (with room for " DUP"). */
size_t prc_reply_err(char *out, prc_field f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* orig + " DUP" (orig cut if it somehow would not fit). */
size_t prc_reply_dup(char *out, const char *orig);

/* The HELP reply: format, commands (HELP ZONES among them) and codes in one
 * SMS (codes cut with "..." if many). */
size_t prc_reply_help(char *out, const prc_codes *codes);

/* HELP <code>: "RTC: road traffic collision. Default P1, alerts partners.
 * e.g. RTC HB12 details Also: RTA CRASH" (aliases as fit). */
size_t prc_reply_help_code(char *out, const prc_code *c);

/* HELP ZONES [page]: "Zones 1/2: HB04 Hampton; HB06 Beltinge; ... More: HELP
 * ZONES 2": zone codes and names, shortest entries first, as many as fit one
 * SMS per page (a name is cut if it alone would not fit). */
size_t prc_reply_help_zones(char *out, const prc_gazetteer *g, int page);

/* The reply to a parsed HELP message: HELP ZONES, HELP <code> or plain HELP. */
size_t prc_reply_help_msg(char *out, const prc_codes *codes, const prc_gazetteer *g,
                          const prc_msg *m);

/* Appends " " + more if the result still fits (with room for " DUP");
 * returns the new length (unchanged if it would not fit). */
size_t prc_reply_append(char *out, const char *more);

/* Copies text to out as an echo: at most max_chars characters, GSM-7 only. */
size_t prc_reply_echo(char *out, size_t outsz, const char *text, size_t len,
                      size_t max_chars);

#endif
