/* te_str views and bounded buffers (see text.h). */
#include <stdlib.h>

#include "te_config.h"
#include "util/text.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

te_str te_str_trim(te_str s)
{
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

te_str te_str_trim_right(te_str s)
{
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

bool te_str_starts_with(te_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

long te_str_find_last(te_str s, char c)
{
#if TE_HAVE_MEMRCHR
    const char *hit = s.len ? memrchr(s.ptr, c, s.len) : NULL;
    return hit ? (long)(hit - s.ptr) : -1;
#else
    for (size_t i = s.len; i > 0; i--)
        if (s.ptr[i - 1] == c) return (long)(i - 1);
    return -1;
#endif
}

long te_str_find(te_str s, const char *needle, size_t needle_len)
{
    if (needle_len == 0) return 0;
    if (s.len < needle_len) return -1;
    const char *hit = memmem(s.ptr, s.len, needle, needle_len);
    return hit ? (long)(hit - s.ptr) : -1;
}

bool te_str_to_i64(te_str s, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (s.len == 0) return false;
    if (s.ptr[0] == '-' || s.ptr[0] == '+') {
        negative = s.ptr[0] == '-';
        i = 1;
    }
    if (i == s.len || s.len - i > 19) return false;
    /* accumulate as unsigned; the limit is INT64_MAX, or its magnitude + 1
     * for a negative number */
    uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
        unsigned d = (unsigned)(s.ptr[i] - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = negative && v ? -(int64_t)(v - 1) - 1 : (int64_t)v;
    return true;
}

char *te_str_dup(te_str s)
{
    char *p = malloc(s.len + 1);
    if (!p) return NULL;
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

void te_buf_init(te_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflow = false;
}

static bool buf_reserve(te_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) return false;
    size_t need = b->len + extra + 1; /* room for a terminator */
    if (b->max && need > b->max + 1) return false;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (b->max && cap > b->max + 1) cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p) return false;
    b->data = p;
    b->cap = cap;
    return true;
}

bool te_buf_append(te_buf *b, const void *data, size_t len)
{
    if (b->overflow) return false;
    if (len == 0) return true;
    if (!buf_reserve(b, len)) {
        b->overflow = true;
        return false;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return true;
}

bool te_buf_putc(te_buf *b, char c)
{
    return te_buf_append(b, &c, 1);
}

void te_buf_reset(te_buf *b)
{
    b->len = 0;
    b->overflow = false;
}

void te_buf_free(te_buf *b)
{
    free(b->data);
    te_buf_init(b, b->max);
}

bool te_buf_terminate(te_buf *b)
{
    if (b->overflow) return false;
    if (!buf_reserve(b, 0)) return false;
    b->data[b->len] = '\0';
    return true;
}

char *te_copy_cstr(char *dst, size_t cap, te_str s)
{
    if (cap == 0) return dst;
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n) memcpy(dst, s.ptr, n);
    dst[n] = '\0';
    return dst;
}
