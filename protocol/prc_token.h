/* prc_token.h: PRC/1 tokens. Separators are one or more white-space characters
 * (any Unicode space), '/' or ';'. */
#ifndef PRC_TOKEN_H
#define PRC_TOKEN_H

#include <stddef.h>

typedef struct prc_token {
    size_t off; /* byte offset of the token in the text */
    size_t len; /* bytes */
} prc_token;

/* 1 if the code point is a PRC/1 separator. */
int prc_token_is_sep(int cp);

/* Finds the next token at or after *pos in valid UTF-8 text[0..len): skips
 * separators, fills tok, moves *pos past the token. 0 when none is left. */
int prc_token_next(const char *text, size_t len, size_t *pos, prc_token *tok);

/* Byte offset of the first non-separator at or after pos (len if none). */
size_t prc_token_skip_seps(const char *text, size_t len, size_t pos);

/* Length of text[0..len) without trailing white space (Unicode spaces too). */
size_t prc_token_rtrim(const char *text, size_t len);

/* Case-insensitive ASCII compare of a token with a NUL-terminated word. */
int prc_token_eq(const char *text, const prc_token *tok, const char *word);

#endif
