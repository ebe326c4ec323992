/* html.c: text buffer and HTML escaping (html.h). */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_init(html_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void html_free(html_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int html_failed(const html_buf *b)
{
    return b->failed;
}

char *html_take(html_buf *b, size_t *len)
{
    if (b->failed || (!b->p && (html_add(b, "", 0), b->failed)))
        return NULL;
    char *p = b->p;
    *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* Room for n more bytes and a NUL. 0 or -1 (then failed). */
static int reserve(html_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (n > b->max || b->len > b->max - n) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void html_add(html_buf *b, const char *s, size_t n)
{
    if (reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void html_puts(html_buf *b, const char *s)
{
    html_add(b, s, strlen(s));
}

void html_printf(html_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        html_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    int m = vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n) {
        b->failed = 1;
        return;
    }
    b->len += (size_t)n;
}

void html_esc_n(html_buf *b, const char *s, size_t n)
{
    if (!s)
        return;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            html_add(b, s + run, i - run);
            html_puts(b, rep);
            run = i + 1;
        }
    }
    html_add(b, s + run, n - run);
}

void html_esc(html_buf *b, const char *s)
{
    if (s)
        html_esc_n(b, s, strlen(s));
}
