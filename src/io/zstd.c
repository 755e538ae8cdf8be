/* zstd decompression as a stacked byte source (ZSTD_decompressStream, so it
 * works on pipes and live stdin as well as files and archive members). The
 * decompressed stream is classified again: a .tar.zst becomes an archive. */
#include <string.h>
#include <zstd.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "io/io_internal.h"

typedef struct io_zstd_src {
    io_run *run;
    ZSTD_DCtx *dctx;
    io_src lower;
    unsigned char *in_buf;
    size_t in_len;
    size_t in_pos;
    uint64_t consumed; /* compressed bytes taken by the decoder */
    uint64_t produced;
    bool lower_ended;
    bool frame_done;    /* the last frame is complete (a clean end is possible) */
    bool flush_pending; /* the last call filled the output: more may be waiting */
} io_zstd_src;

static ssize_t zstd_src_read(void *self, unsigned char *buf, size_t cap)
{
    io_zstd_src *z = self;
    for (;;) {
        if (z->in_pos == z->in_len && !z->flush_pending) {
            if (z->lower_ended) {
                if (z->frame_done) return 0;
                io_set_fail(z->run, IO_FAIL_DAMAGE,
                            "truncated zstd data (the input ends inside a frame)");
                return -1;
            }
            ssize_t n = z->lower.read(z->lower.self, z->in_buf, TE_IO_BUFFER_BYTES);
            if (n < 0) return -1; /* the lower source set the failure */
            if (n == 0) {
                z->lower_ended = true;
                continue;
            }
            z->in_len = (size_t)n;
            z->in_pos = 0;
        }
        ZSTD_inBuffer in = {z->in_buf, z->in_len, z->in_pos};
        ZSTD_outBuffer out = {buf, cap, 0};
        size_t r = ZSTD_decompressStream(z->dctx, &out, &in);
        z->consumed += in.pos - z->in_pos;
        z->in_pos = in.pos;
        if (ZSTD_isError(r)) {
            io_set_fail(z->run, IO_FAIL_DAMAGE, "damaged zstd data (%s)", ZSTD_getErrorName(r));
            return -1;
        }
        z->frame_done = r == 0;
        z->flush_pending = out.pos == out.size;
        z->produced += out.pos;
        if (io_ratio_exceeded(z->consumed, z->produced)) {
            io_set_fail(z->run, IO_FAIL_RATIO,
                        "expands absurdly (more than %u times its compressed size: a "
                        "decompression bomb?); reading stopped",
                        TE_MAX_COMPRESSION_RATIO);
            return -1;
        }
        if (out.pos > 0) return (ssize_t)out.pos;
    }
}

void io_zstd_read(io_run *run, const io_item *item, io_peek *peek)
{
    /* a whole file and a member of an archive read from that file can be
     * decoding at the same time: one context and input buffer each */
    bool whole = item->open_archives;
    void **slot = whole ? &run->zstd_outer : &run->zstd_member;
    if (!*slot) {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        if (!dctx) {
            run->fatal =
                te_error_set(run->err, TE_ERR_NOMEM, "reading '%s': out of memory", item->name);
            return;
        }
        ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, TE_MAX_ZSTD_WINDOW_LOG);
        *slot = dctx;
    } else {
        ZSTD_DCtx_reset(*slot, ZSTD_reset_session_only);
    }
    io_zstd_src z = {.run = run,
                     .dctx = *slot,
                     .lower = io_peek_src(peek),
                     .in_buf = whole ? run->outer_in_buf : run->member_in_buf,
                     .frame_done = true};
    io_src src = {zstd_src_read, &z};
    io_peek inner;
    io_peek_init(&inner, src);
    io_peek_fill(run, &inner);

    io_item next = *item;
    next.decompress = false; /* one compression layer */
    next.limit_bytes = true;
    next.seek_fd = -1;
    io_dispatch(run, &next, &inner);
}

void io_zstd_free(io_run *run)
{
    ZSTD_freeDCtx(run->zstd_outer);
    ZSTD_freeDCtx(run->zstd_member);
    run->zstd_outer = run->zstd_member = NULL;
}
