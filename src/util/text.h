/* Small string and buffer helpers shared by every stage: te_str views,
 * bounded growable buffers, safe copies. */
#ifndef TE_TEXT_H
#define TE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tediag/tediag.h"

static inline te_str te_str_make(const char *ptr, size_t len)
{
    te_str s = {ptr, len};
    return s;
}
static inline te_str te_str_cstr(const char *s)
{
    return te_str_make(s, s ? strlen(s) : 0);
}
static inline bool te_str_eq_cstr(te_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}
static inline bool te_str_eq(te_str a, te_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
/* Trims ASCII spaces, tabs, CR and LF at both ends (or only at the end). */
te_str te_str_trim(te_str s);
te_str te_str_trim_right(te_str s);
bool te_str_starts_with(te_str s, const char *prefix);
/* Position of needle in s, or -1. */
long te_str_find(te_str s, const char *needle, size_t needle_len);
/* Offset of the last byte c in s, or -1. */
long te_str_find_last(te_str s, char c);
/* Parses a decimal integer (optional sign); false if not all digits. */
bool te_str_to_i64(te_str s, int64_t *out);
/* malloc'd NUL-terminated copy; NULL on allocation failure. */
char *te_str_dup(te_str s);

/* A growable byte buffer with a hard cap. Appending past the cap fails and
 * sets `overflow` (the caller counts and skips). */
typedef struct te_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap (0 = unlimited) */
    bool overflow;
} te_buf;

void te_buf_init(te_buf *b, size_t max);
bool te_buf_append(te_buf *b, const void *data, size_t len);
bool te_buf_putc(te_buf *b, char c);
/* Keeps the allocation, forgets the content and the overflow flag. */
void te_buf_reset(te_buf *b);
void te_buf_free(te_buf *b);
/* NUL-terminates (not counted in len); false on overflow. */
bool te_buf_terminate(te_buf *b);

/* Copies at most cap-1 bytes and NUL-terminates; returns dst. */
char *te_copy_cstr(char *dst, size_t cap, te_str s);

#endif
