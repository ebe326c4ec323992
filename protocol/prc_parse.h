/* prc_parse.h: PRC/1 message parser. Pure: no I/O, no allocation; the
 * result points into the caller's tables and text. */
#ifndef PRC_PARSE_H
#define PRC_PARSE_H

#include <stddef.h>
#include "prc_codes.h"
#include "prc_gazetteer.h"
#include "prc_limits.h"

/* The field an ERR reply names. */
typedef enum prc_field {
    PRC_FIELD_NONE = 0, /* no error */
    PRC_FIELD_CODE,
    PRC_FIELD_PRIORITY,
    PRC_FIELD_LOCATION,
    PRC_FIELD_REF,
    PRC_FIELD_FORMAT,
    PRC_FIELD_LENGTH,
    PRC_FIELD_AUTH
} prc_field;

typedef enum prc_kind {
    PRC_KIND_REPORT = 0,
    PRC_KIND_UPD,
    PRC_KIND_CLR,
    PRC_KIND_ACK,
    PRC_KIND_ON,
    PRC_KIND_OFF,
    PRC_KIND_HELP
} prc_kind;

/* How the location was given. */
typedef enum prc_loc_kind {
    PRC_LOC_NONE = 0,
    PRC_LOC_ZONE,     /* a zone code */
    PRC_LOC_ALIAS,    /* a landmark alias */
    PRC_LOC_POSTCODE, /* a full postcode */
    PRC_LOC_DISTRICT, /* a postcode district the gazetteer maps */
    PRC_LOC_LATLON,   /* decimal lat,lon */
    PRC_LOC_AREA      /* ON only: a prefix shared by zone codes, e.g. "HB" */
} prc_loc_kind;

/* What HELP asks for: HELP (codes), HELP ZONES [page], HELP <code>. */
typedef enum prc_help_topic {
    PRC_HELP_CODES = 0,
    PRC_HELP_ZONES,
    PRC_HELP_CODE
} prc_help_topic;

typedef struct prc_parse_ctx {
    const prc_codes *codes;    /* required */
    const prc_gazetteer *gaz;  /* required (may be empty) */
    double radius_km;          /* lat,lon -> nearest zone within this */
} prc_parse_ctx;

typedef struct prc_msg {
    prc_field error;                  /* PRC_FIELD_NONE when parsed */
    char reply[PRC_REPLY_BUF];        /* on error: the whole "ERR FIELD: ..." reply */
    prc_kind kind;
    const prc_code *code;             /* report: points into ctx->codes */
    int priority;                     /* report: 1..4 */
    int priority_given;               /* report: 1 if typed, 0 if the default */
    /* report: a priority that could not be read, echoed (GSM-7, cut), when
     * the code's default P1 was used instead; "" if none */
    char priority_unread[PRC_ECHO_MAX * 4 + 1];
    prc_loc_kind loc_kind;            /* report, ON */
    char location[PRC_LOCATION_MAX + 1]; /* normalised: "HB12", "PIER", "CT6 5AB", "51.3731,1.1281" */
    char zone[PRC_ZONE_MAX + 1];      /* zone code, "" if none (area code for ON HB) */
    int has_coords;                   /* 1 if lat/lon set: typed, else the zone's centroid */
    double lat, lon;
    size_t details_off;               /* details: text[details_off, +details_len) as typed */
    size_t details_len;
    unsigned long long ref;           /* UPD, CLR, ACK */
    prc_help_topic help;              /* HELP: what was asked */
    int help_page;                    /* HELP ZONES: page, 1 first */
    const prc_code *help_code;        /* HELP <code>: points into ctx->codes */
} prc_msg;

/* Parses text[0..len) (need not be NUL-terminated). Returns out->error;
 * on error out->reply holds the full reply, which fits one SMS. */
prc_field prc_parse(const prc_parse_ctx *ctx, const char *text, size_t len,
                    prc_msg *out);

/* Parses a reference "R1042", "r1042" or "1042"; 1 and *ref on success. */
int prc_parse_ref(const char *s, size_t len, unsigned long long *ref);

const char *prc_field_name(prc_field f); /* "CODE", ...; "" for NONE */
const char *prc_kind_name(prc_kind k);   /* "report", "upd", "clr", "ack", "on", "off", "help" */

#endif
