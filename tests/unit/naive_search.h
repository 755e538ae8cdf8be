/* The test oracle of the literal scanner and of the required literals: a
 * byte-by-byte substring search, ASCII case folded when icase. */
#ifndef TE_TEST_NAIVE_SEARCH_H
#define TE_TEST_NAIVE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/text.h"

static inline unsigned char naive_fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool naive_contains(const char *text, size_t len, te_str needle, bool icase)
{
    if (needle.len == 0) return true;
    for (size_t i = 0; i + needle.len <= len; i++) {
        size_t k = 0;
        for (; k < needle.len; k++) {
            unsigned char a = (unsigned char)text[i + k], b = (unsigned char)needle.ptr[k];
            if (icase ? naive_fold(a) != naive_fold(b) : a != b) break;
        }
        if (k == needle.len) return true;
    }
    return false;
}

#endif
