/* The io layer: turns what the user named (a file, "-" for stdin, a
 * directory, a compressed file, an archive) into named byte streams, read in
 * fixed-size blocks and never extracted to disk. Detection is by content
 * (magic bytes); the file name is only a hint. */
#ifndef TE_IO_H
#define TE_IO_H

#include "tediag/tediag.h"

typedef struct te_io_sink {
    /* A stream starts. name is its provenance: "file", "archive!member",
     * "dir/sub/file", "<stdin>". Returning non-TE_OK skips the stream. */
    te_status (*begin)(void *ctx, const char *name);
    te_status (*data)(void *ctx, const void *bytes, size_t len);
    /* The stream ended (also after an error in its middle: what was read
     * before the damage is still analysed). */
    te_status (*end)(void *ctx);
    /* A diagnostic naming the file (and member): the run goes on. */
    void (*warn)(void *ctx, const char *message);
    /* Live input: called when no byte arrived for tick_interval_us. */
    void (*tick)(void *ctx);
    void *ctx;
    te_summary *summary; /* logarchive_files, members_skipped, input_errors, inputs_failed */
} te_io_sink;

typedef struct te_io_options {
    int64_t tick_interval_us;     /* 0: no ticks (batch) */
    bool follow_symlinks_in_dirs; /* never leaves the given tree even when true */
} te_io_options;

/* Reads one path ("-" = stdin). Returns TE_OK when something could be read,
 * TE_ERR_IO when the path could not be read at all (err names it). Damage
 * inside a stream (truncated gzip/zstd, corrupt member) is a warning, the
 * stream ends there and the run goes on. Also: TE_ERR_UNSUPPORTED for a named
 * file compressed with a method this libarchive lacks, TE_ERR_NOMEM, and the
 * status of a failing data()/end() (reading stops, err names the stream).
 * Files found in a directory walk and archive members that are not text are
 * skipped (one warning per directory/archive gives their number); a file
 * named by the user is always read. tracev3 files are counted in
 * summary->logarchive_files and warned about once per directory/archive. */
te_status te_io_read_path(const char *path, const te_io_options *options, const te_io_sink *sink,
                          te_error *err);

/* te_io_read_path on a second thread: reading and decompressing overlap with
 * what the sink does on the calling thread; the sink sees the same calls in
 * the same order (batch input only: no ticks). The io layer's counts are
 * added to sink->summary when reading has ended. */
te_status te_io_read_path_ahead(const char *path, const te_io_options *options,
                                const te_io_sink *sink, te_error *err);

/* Asks every te_io_read_path in progress to stop reading: it calls end() for
 * the stream it was in and returns TE_OK. Async-signal-safe (it only sets a
 * volatile sig_atomic_t), meant for a SIGINT handler. The request stays in
 * force (later calls return at once) until te_io_clear_stop(). */
void te_io_request_stop(void);
void te_io_clear_stop(void);

/* What the content of a stream's first bytes is (for --explain-format):
 * "gzip", "zstd", "tar", "zip", "bzip2", "xz", "tracev3" or "plain". */
const char *te_io_sniff_container(const unsigned char *head, size_t len);

#endif
