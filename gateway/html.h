/* html.h: a bounded, growable text buffer for the dashboard's pages and the
 * /metrics text, and HTML escaping. A buffer that would pass its cap (or
 * runs out of memory) stops growing and remembers it: callers check
 * html_failed() once at the end instead of after every append. */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

typedef struct html_buf {
    char *p;        /* owned; NUL-terminated while not failed */
    size_t len, cap;
    size_t max;     /* cap on len */
    int failed;     /* 1: an append did not fit (or out of memory) */
} html_buf;

void html_init(html_buf *b, size_t max);
void html_free(html_buf *b);          /* accepts a zeroed buffer */
/* Hands over the text (caller frees); the buffer is empty afterwards. NULL if failed. */
char *html_take(html_buf *b, size_t *len);
int html_failed(const html_buf *b);

void html_add(html_buf *b, const char *s, size_t n);
void html_puts(html_buf *b, const char *s);
void html_printf(html_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (n bytes; s NULL appends nothing) with & < > " ' escaped, so
 * that it is safe in element text and in quoted attribute values. */
void html_esc_n(html_buf *b, const char *s, size_t n);
void html_esc(html_buf *b, const char *s);

#endif
