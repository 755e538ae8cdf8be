/* The framer: cuts fed byte chunks into lines (see framer.h). Lines inside
 * one chunk are passed as views into it; only a line that spans chunks is
 * copied, into a buffer capped at TE_MAX_LINE_BYTES. */
#include <string.h>

#include "engine/limits.h"
#include "input/framer.h"

void te_framer_init(te_framer *f, te_line_fn on_line, te_cut_fn on_cut, void *ctx,
                    te_summary *summary)
{
    memset(f, 0, sizeof *f);
    /* +1: a line of exactly the limit may still carry its "\r". */
    te_buf_init(&f->partial, (size_t)TE_MAX_LINE_BYTES + 1);
    f->on_line = on_line;
    f->on_cut = on_cut;
    f->ctx = ctx;
    f->summary = summary;
}

static void report_cut(te_framer *f, uint64_t bytes)
{
    f->lineno++;
    if (f->summary) {
        f->summary->lines++;
        f->summary->lines_cut++;
    }
    if (f->on_cut) f->on_cut(f->ctx, f->lineno, bytes);
}

static void release(te_framer *f, const char *ptr, size_t len)
{
    if (len > 0 && ptr[len - 1] == '\r') len--;
    if (len > TE_MAX_LINE_BYTES) {
        report_cut(f, len);
        return;
    }
    f->lineno++;
    if (f->summary) f->summary->lines++;
    if (f->on_line) f->on_line(f->ctx, te_str_make(len ? ptr : "", len), f->lineno);
}

/* Holds the start of a line until its end arrives in a later chunk. */
static void hold(te_framer *f, const char *ptr, size_t len)
{
    if (f->cutting) {
        f->cut_bytes += len;
        return;
    }
    if (f->partial.len + len > f->partial.max || !te_buf_append(&f->partial, ptr, len)) {
        f->cutting = true;
        f->cut_bytes = f->partial.len + len;
        te_buf_reset(&f->partial);
    }
}

void te_framer_feed(te_framer *f, const char *bytes, size_t len)
{
    if (f->summary) f->summary->bytes += len;
    const char *p = bytes, *end = bytes + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            hold(f, p, (size_t)(end - p));
            break;
        }
        size_t n = (size_t)(nl - p);
        if (f->cutting || f->partial.len > 0) {
            hold(f, p, n);
            if (f->cutting) {
                report_cut(f, f->cut_bytes);
                f->cutting = false;
                f->cut_bytes = 0;
            } else {
                release(f, f->partial.data, f->partial.len);
                te_buf_reset(&f->partial);
            }
        } else {
            release(f, p, n);
        }
        p = nl + 1;
    }
}

void te_framer_finish(te_framer *f)
{
    if (f->cutting) {
        report_cut(f, f->cut_bytes);
    } else if (f->partial.len > 0) {
        release(f, f->partial.data, f->partial.len);
    }
    f->cutting = false;
    f->cut_bytes = 0;
    te_buf_reset(&f->partial);
}

void te_framer_reset(te_framer *f)
{
    te_buf_reset(&f->partial);
    f->lineno = 0;
    f->cut_bytes = 0;
    f->cutting = false;
}

void te_framer_free(te_framer *f)
{
    te_buf_free(&f->partial);
    f->cutting = false;
    f->cut_bytes = 0;
}
