/* Internals shared by the files of the io layer: the per-call state (one set
 * of buffers for the whole call), byte sources that can be stacked (file
 * descriptor, head replay, zstd, archive member), and the classification of
 * a stream by its first bytes. Nothing here is visible outside src/io/. */
#ifndef TE_IO_INTERNAL_H
#define TE_IO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "io/io.h"

/* Bytes looked at before a stream is classified (magic numbers, the tar
 * magic at offset 257, the text-or-binary test). */
#define IO_HEAD_BYTES 4096u
/* The tar magic "ustar" ends here: fewer head bytes cannot rule tar out. */
#define IO_TAR_MAGIC_END 262u
/* The expansion-ratio guard starts after this many decompressed bytes. */
#define IO_RATIO_GRACE_BYTES (1u << 20)
/* Skip notes (symlinks, special files, nested archives) shown per archive or
 * directory; the rest are counted and summarised in one line. */
#define IO_MAX_NOTES_PER_SCOPE 20u
/* Provenance names ("dir/sub/file", "archive!member"); longer names are cut. */
#define IO_NAME_BYTES 8192u

typedef enum io_kind {
    IO_KIND_PLAIN = 0,
    IO_KIND_GZIP,
    IO_KIND_ZSTD,
    IO_KIND_BZIP2,
    IO_KIND_XZ,
    IO_KIND_TAR,
    IO_KIND_ZIP,
    IO_KIND_TRACEV3
} io_kind;

/* Why the last read of a source failed. Sources set it, the stream that
 * was being read reports it (io_report_failure) and clears it. */
typedef enum io_fail_kind {
    IO_FAIL_NONE = 0,
    IO_FAIL_READ,   /* read() failed */
    IO_FAIL_DAMAGE, /* corrupt or truncated compressed data or archive */
    IO_FAIL_RATIO,  /* decompression expands absurdly */
    IO_FAIL_STOP    /* te_io_request_stop() was called */
} io_fail_kind;

/* A source of bytes: > 0 bytes read, 0 at the end, -1 on failure (the
 * run's fail/fail_detail say why). */
typedef struct io_src {
    ssize_t (*read)(void *self, unsigned char *buf, size_t cap);
    void *self;
} io_src;

/* Per-archive or per-directory counts, reported once when it ends. */
typedef struct io_scope {
    const char *name;
    uint64_t tracev3_files; /* not decoded */
    uint64_t binary_files;  /* not text: not read */
    uint64_t notes_shown;
    uint64_t notes_hidden;
} io_scope;

/* State of one te_io_read_path call. */
typedef struct io_run {
    const te_io_options *options;
    const te_io_sink *sink;
    te_summary *summary;
    te_error *err;
    te_summary dummy_summary; /* when the sink has none */
    /* One allocation, four buffers of TE_IO_BUFFER_BYTES with fixed roles so
     * that the layers of a stream never share one. */
    unsigned char *buffers;
    unsigned char *out_buf;       /* bytes handed to sink->data */
    unsigned char *outer_in_buf;  /* decompressor input, whole file */
    unsigned char *outer_cb_buf;  /* archive reader input (tar, zip) */
    unsigned char *member_in_buf; /* decompressor input, archive member */
    void *zstd_outer;             /* ZSTD_DCtx, created on first use */
    void *zstd_member;
    bool live;       /* the input is a pipe or terminal read with ticks */
    bool stopped;    /* te_io_request_stop: stop everything, return TE_OK */
    te_status fatal; /* the sink failed: stop everything, return this */
    io_fail_kind fail;
    char fail_detail[512];
    char message[IO_NAME_BYTES + 1024];
    char member_name[IO_NAME_BYTES];
    char walk_path[IO_NAME_BYTES];
} io_run;

/* How a classified stream is treated. */
typedef struct io_item {
    const char *name;
    io_scope *scope;
    int seek_fd;        /* >= 0: the content is this regular file (libarchive may seek) */
    bool named;         /* named by the user (not found in a walk or archive) */
    bool open_archives; /* tar/zip content is read as an archive */
    bool decompress;    /* gzip/zstd/... content is decompressed (one layer) */
    bool skip_binary;   /* content that is not text is skipped */
    bool limit_bytes;   /* TE_MAX_MEMBER_BYTES applies */
} io_item;

/* The first bytes of a source, read to classify it and then replayed. */
typedef struct io_peek {
    io_src inner;
    unsigned char head[IO_HEAD_BYTES];
    size_t head_len;
    size_t replay_pos;
    bool ended;  /* the inner source ended while the head was read */
    bool failed; /* the inner source failed while the head was read */
} io_peek;

/* io.c */
io_kind io_sniff(const unsigned char *head, size_t len);
bool io_looks_text(const unsigned char *head, size_t len);
bool io_stop_requested(void);
bool io_run_done(const io_run *run);
void io_warn(io_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A skip note, capped per scope; the total is reported by io_scope_finish. */
void io_note(io_run *run, io_scope *scope, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void io_scope_finish(io_run *run, io_scope *scope);
void io_set_fail(io_run *run, io_fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports the pending failure of the stream `name` (warning and counts). */
void io_report_failure(io_run *run, const char *name);
bool io_ratio_exceeded(uint64_t in_bytes, uint64_t out_bytes);
void io_peek_init(io_peek *peek, io_src inner);
void io_peek_fill(io_run *run, io_peek *peek);
io_src io_peek_src(io_peek *peek);
/* Classifies the stream in peek and reads it accordingly. */
void io_dispatch(io_run *run, const io_item *item, io_peek *peek);
/* Sends the stream to the sink: begin, the bytes, end. */
void io_deliver(io_run *run, const io_item *item, io_peek *peek);
/* Reads an opened file (regular, pipe, terminal) as a stream. */
void io_read_fd(io_run *run, const io_item *item, int fd, bool regular);

/* archive.c: reads the tar or zip archive in peek (members become streams
 * "archive!member"), or decompresses the gzip/bzip2/xz stream in peek and
 * classifies what comes out. */
void io_archive_read(io_run *run, const io_item *item, io_peek *peek);
void io_decompress_read(io_run *run, const io_item *item, io_peek *peek);
/* Whether this build of libarchive decompresses gzip, bzip2, xz itself
 * (never through an external program). */
bool io_archive_supports(io_kind kind);

/* zstd.c: reads the zstd stream in peek. */
void io_zstd_read(io_run *run, const io_item *item, io_peek *peek);
void io_zstd_free(io_run *run);

/* walk.c: walks the directory fd (owned, closed) named root_name. */
void io_walk(io_run *run, int fd, const char *root_name);

#endif
