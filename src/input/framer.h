/* The framer cuts a byte stream into lines: zero-copy for lines that lie
 * inside one fed chunk, one bounded copy for a line split across chunks.
 * Strips "\n" and a "\r" before it; a last line without newline is released
 * by te_framer_finish. Lines over TE_MAX_LINE_BYTES are dropped whole and
 * reported through on_cut (counted in summary->lines_cut). */
#ifndef TE_FRAMER_H
#define TE_FRAMER_H

#include "tediag/tediag.h"
#include "util/text.h"

typedef void (*te_line_fn)(void *ctx, te_str line, uint64_t lineno);
typedef void (*te_cut_fn)(void *ctx, uint64_t lineno, uint64_t bytes);

typedef struct te_framer {
    te_buf partial;     /* a line begun in an earlier chunk */
    uint64_t lineno;    /* lines released so far */
    uint64_t cut_bytes; /* > 0 while skipping the rest of an overlong line */
    bool cutting;
    te_line_fn on_line;
    te_cut_fn on_cut;
    void *ctx;
    te_summary *summary; /* counts lines, lines_cut, bytes */
} te_framer;

void te_framer_init(te_framer *f, te_line_fn on_line, te_cut_fn on_cut, void *ctx,
                    te_summary *summary);
void te_framer_feed(te_framer *f, const char *bytes, size_t len);
void te_framer_finish(te_framer *f);
/* Forget state between sources (keeps the allocation). */
void te_framer_reset(te_framer *f);
void te_framer_free(te_framer *f);

#endif
