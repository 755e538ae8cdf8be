/* The io layer's entry point: opens what the user named (file, "-", a
 * directory), classifies each stream by its first bytes and sends it to the
 * right reader (plain bytes, zstd, libarchive, directory walk). Also the
 * pieces every io file uses: warnings and counts, the stop flag, the file
 * descriptor source (poll + ticks for live input) and the head replay. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "io/io_internal.h"

static volatile sig_atomic_t io_stop_flag;

void te_io_request_stop(void)
{
    io_stop_flag = 1;
}

void te_io_clear_stop(void)
{
    io_stop_flag = 0;
}

bool io_stop_requested(void)
{
    return io_stop_flag != 0;
}

bool io_run_done(const io_run *run)
{
    return run->stopped || run->fatal != TE_OK;
}

/* ---- classification ------------------------------------------------------ */

io_kind io_sniff(const unsigned char *h, size_t n)
{
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) return IO_KIND_GZIP;
    if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd) return IO_KIND_ZSTD;
    /* zstd skippable frame (magic 0x184D2A50..5F), valid at a stream start */
    if (n >= 4 && (h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18)
        return IO_KIND_ZSTD;
    if (n >= 4 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' && h[3] <= '9')
        return IO_KIND_BZIP2;
    if (n >= 6 && memcmp(h,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0)
        return IO_KIND_XZ;
    if (n >= 4 && h[0] == 'P' && h[1] == 'K' &&
        ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6)))
        return IO_KIND_ZIP;
    /* POSIX "ustar\0" and GNU "ustar  \0" */
    if (n >= IO_TAR_MAGIC_END && memcmp(h + 257, "ustar", 5) == 0) return IO_KIND_TAR;
    /* tracev3 header chunk: tag 0x1000, subtag 0x11 (formats.md 5.2) */
    if (n >= 8 && memcmp(h, "\x00\x10\x00\x00\x11\x00\x00\x00", 8) == 0) return IO_KIND_TRACEV3;
    return IO_KIND_PLAIN;
}

static const char *kind_name(io_kind kind);

const char *te_io_sniff_container(const unsigned char *head, size_t len)
{
    return head ? kind_name(io_sniff(head, len)) : "plain";
}

/* Text: no NUL byte and few control characters. UTF-8 and Latin-1 bytes
 * count as text; UTF-16 (NUL bytes) does not. */
bool io_looks_text(const unsigned char *p, size_t n)
{
    size_t odd = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == 0) return false;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' &&
             c != 0x1b) ||
            c == 0x7f)
            odd++;
    }
    return odd * 32 <= n;
}

static bool name_is_tracev3(const char *name)
{
    size_t n = strlen(name);
    return n >= 8 && strcmp(name + n - 8, ".tracev3") == 0;
}

/* ---- warnings, notes and failures ---------------------------------------- */

static void io_vwarn(io_run *run, const char *fmt, va_list ap)
{
    vsnprintf(run->message, sizeof run->message, fmt, ap);
    if (run->sink->warn) run->sink->warn(run->sink->ctx, run->message);
}

void io_warn(io_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    io_vwarn(run, fmt, ap);
    va_end(ap);
}

void io_note(io_run *run, io_scope *scope, const char *fmt, ...)
{
    if (scope && scope->notes_shown >= IO_MAX_NOTES_PER_SCOPE) {
        scope->notes_hidden++;
        return;
    }
    if (scope) scope->notes_shown++;
    va_list ap;
    va_start(ap, fmt);
    io_vwarn(run, fmt, ap);
    va_end(ap);
}

void io_scope_finish(io_run *run, io_scope *scope)
{
    if (scope->tracev3_files > 0)
        io_warn(run,
                "%s: %llu logarchive (tracev3) file%s not decoded: the unified log's binary "
                "format is not read; on a Mac, export it as text with `log show --archive "
                "<name>.logarchive > log.txt` and read that",
                scope->name, (unsigned long long)scope->tracev3_files,
                scope->tracev3_files == 1 ? "" : "s");
    if (scope->binary_files > 0)
        io_warn(run, "%s: %llu binary file%s not read (not text)", scope->name,
                (unsigned long long)scope->binary_files, scope->binary_files == 1 ? "" : "s");
    if (scope->notes_hidden > 0)
        io_warn(run, "%s: %llu more note%s not shown (skipped entries are counted in the summary)",
                scope->name, (unsigned long long)scope->notes_hidden,
                scope->notes_hidden == 1 ? "" : "s");
    scope->tracev3_files = scope->binary_files = scope->notes_hidden = 0;
}

void io_set_fail(io_run *run, io_fail_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->fail_detail, sizeof run->fail_detail, fmt, ap);
    va_end(ap);
    run->fail = kind;
}

void io_report_failure(io_run *run, const char *name)
{
    switch (run->fail) {
    case IO_FAIL_NONE:
        return;
    case IO_FAIL_STOP:
        run->stopped = true;
        break;
    case IO_FAIL_READ:
        io_warn(run, "%s: read error: %s; the stream ends there", name, run->fail_detail);
        run->summary->input_errors++;
        break;
    case IO_FAIL_DAMAGE:
        io_warn(run, "%s: %s; the stream ends there (what came before is read)", name,
                run->fail_detail);
        run->summary->input_errors++;
        break;
    case IO_FAIL_RATIO:
        io_warn(run, "%s: %s", name, run->fail_detail);
        run->summary->members_skipped++;
        break;
    }
    run->fail = IO_FAIL_NONE;
}

bool io_ratio_exceeded(uint64_t in_bytes, uint64_t out_bytes)
{
    if (out_bytes <= IO_RATIO_GRACE_BYTES) return false;
    return out_bytes / TE_MAX_COMPRESSION_RATIO > in_bytes;
}

/* ---- file descriptor source ---------------------------------------------- */

typedef struct io_fd_src {
    io_run *run;
    int fd;
    bool poll_first;  /* pipes and terminals: poll() first, so ticks and EINTR work */
    bool poll_broken; /* poll() refused the fd (devices on older macOS) */
    int timeout_ms;   /* poll timeout: the tick interval, or -1 */
} io_fd_src;

static ssize_t fd_read(void *self, unsigned char *buf, size_t cap)
{
    io_fd_src *fs = self;
    io_run *run = fs->run;
    for (;;) {
        if (io_stop_requested()) {
            io_set_fail(run, IO_FAIL_STOP, "stopped");
            return -1;
        }
        if (fs->poll_first && !fs->poll_broken) {
            struct pollfd p = {.fd = fs->fd, .events = POLLIN};
            int r = poll(&p, 1, fs->timeout_ms);
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                io_set_fail(run, IO_FAIL_READ, "%s", strerror(errno));
                return -1;
            }
            if (r == 0) {
                if (run->sink->tick) run->sink->tick(run->sink->ctx);
                continue;
            }
            if (p.revents & POLLNVAL) fs->poll_broken = true; /* plain reads, no ticks */
        }
        ssize_t n = read(fs->fd, buf, cap);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* a non-blocking descriptor (inherited): wait for data */
            if (fs->poll_broken) {
                struct timespec pause = {0, 10 * 1000 * 1000};
                nanosleep(&pause, NULL);
            }
            fs->poll_first = true;
            continue;
        }
        io_set_fail(run, IO_FAIL_READ, "%s", strerror(errno));
        return -1;
    }
}

/* ---- head replay ---------------------------------------------------------- */

static ssize_t peek_read(void *self, unsigned char *buf, size_t cap)
{
    io_peek *p = self;
    if (p->replay_pos < p->head_len) {
        size_t n = p->head_len - p->replay_pos;
        if (n > cap) n = cap;
        memcpy(buf, p->head + p->replay_pos, n);
        p->replay_pos += n;
        return (ssize_t)n;
    }
    if (p->failed) return -1; /* the failure is still pending in the run */
    if (p->ended || !p->inner.read) return 0;
    return p->inner.read(p->inner.self, buf, cap);
}

void io_peek_init(io_peek *peek, io_src inner)
{
    peek->inner = inner;
    peek->head_len = 0;
    peek->replay_pos = 0;
    peek->ended = inner.read == NULL;
    peek->failed = false;
}

io_src io_peek_src(io_peek *peek)
{
    io_src src = {peek_read, peek};
    return src;
}

/* Live input: stop waiting for a full head as soon as the bytes decide. A
 * text line (newline, no NUL) cannot be a tar header in practice. */
static bool head_decides(const unsigned char *h, size_t n)
{
    if (n >= IO_TAR_MAGIC_END) return true;
    if (io_sniff(h, n) != IO_KIND_PLAIN) return true;
    if (memchr(h, 0, n)) return false;
    return memchr(h, '\n', n) != NULL;
}

void io_peek_fill(io_run *run, io_peek *p)
{
    while (p->head_len < IO_HEAD_BYTES && !p->ended && !p->failed) {
        ssize_t n =
            p->inner.read(p->inner.self, p->head + p->head_len, IO_HEAD_BYTES - p->head_len);
        if (n < 0) {
            p->failed = true;
            if (run->fail == IO_FAIL_NONE) io_set_fail(run, IO_FAIL_READ, "unknown error");
        } else if (n == 0) {
            p->ended = true;
        } else {
            p->head_len += (size_t)n;
        }
        if (run->live && head_decides(p->head, p->head_len)) break;
    }
}

/* ---- delivery -------------------------------------------------------------- */

void io_deliver(io_run *run, const io_item *item, io_peek *peek)
{
    const te_io_sink *sink = run->sink;
    te_status status = sink->begin(sink->ctx, item->name);
    if (status != TE_OK) {
        /* the consumer does not want this stream; damage found while
         * classifying it is still reported */
        if (peek->failed) io_report_failure(run, item->name);
        return;
    }
    io_src src = io_peek_src(peek);
    uint64_t total = 0;
    for (;;) {
        /* the leaf sources (fd_read, member_read) check the stop flag */
        ssize_t n = src.read(src.self, run->out_buf, TE_IO_BUFFER_BYTES);
        if (n == 0) break;
        if (n < 0) {
            io_report_failure(run, item->name);
            break;
        }
        if (item->limit_bytes && total + (uint64_t)n > TE_MAX_MEMBER_BYTES) {
            io_warn(run, "%s: larger than %llu bytes; the rest is not read", item->name,
                    (unsigned long long)TE_MAX_MEMBER_BYTES);
            run->summary->members_skipped++;
            break;
        }
        total += (uint64_t)n;
        status = sink->data(sink->ctx, run->out_buf, (size_t)n);
        if (status != TE_OK) {
            run->fatal = te_error_set(run->err, status, "reading '%s': the consumer failed (%s)",
                                      item->name, te_status_name(status));
            break;
        }
    }
    status = sink->end(sink->ctx);
    if (status != TE_OK && run->fatal == TE_OK)
        run->fatal = te_error_set(run->err, status, "ending '%s': the consumer failed (%s)",
                                  item->name, te_status_name(status));
}

/* A stream that is classified but not delivered: its damage is reported. */
static void settle(io_run *run, const io_item *item, io_peek *peek)
{
    if (peek->failed) io_report_failure(run, item->name);
}

static const char *kind_name(io_kind kind)
{
    switch (kind) {
    case IO_KIND_GZIP:
        return "gzip";
    case IO_KIND_ZSTD:
        return "zstd";
    case IO_KIND_BZIP2:
        return "bzip2";
    case IO_KIND_XZ:
        return "xz";
    case IO_KIND_TAR:
        return "tar";
    case IO_KIND_ZIP:
        return "zip";
    case IO_KIND_TRACEV3:
        return "tracev3";
    case IO_KIND_PLAIN:
        break;
    }
    return "plain";
}

void io_dispatch(io_run *run, const io_item *item, io_peek *peek)
{
    io_kind kind = io_sniff(peek->head, peek->head_len);
    bool text = io_looks_text(peek->head, peek->head_len);

    if (kind == IO_KIND_TRACEV3 ||
        (kind == IO_KIND_PLAIN && !text && name_is_tracev3(item->name))) {
        item->scope->tracev3_files++;
        run->summary->logarchive_files++;
        settle(run, item, peek);
        return;
    }
    switch (kind) {
    case IO_KIND_TAR:
    case IO_KIND_ZIP:
        if (item->open_archives) {
            io_archive_read(run, item, peek);
            return;
        }
        io_note(run, item->scope, "%s: %s archive inside an archive, not read", item->name,
                kind_name(kind));
        run->summary->members_skipped++;
        settle(run, item, peek);
        return;
    case IO_KIND_GZIP:
    case IO_KIND_BZIP2:
    case IO_KIND_XZ:
    case IO_KIND_ZSTD:
        if (!item->decompress) {
            io_note(run, item->scope, "%s: %s data inside compressed data, not read", item->name,
                    kind_name(kind));
            run->summary->members_skipped++;
        } else if (kind == IO_KIND_ZSTD) {
            io_zstd_read(run, item, peek);
            return;
        } else if (!io_archive_supports(kind)) {
            if (item->named) {
                run->summary->inputs_failed++;
                run->fatal = te_error_set(run->err, TE_ERR_UNSUPPORTED,
                                          "cannot read '%s': %s compression is not supported "
                                          "by this libarchive build",
                                          item->name, kind_name(kind));
            } else {
                io_note(run, item->scope, "%s: %s compression not supported, not read", item->name,
                        kind_name(kind));
                run->summary->members_skipped++;
            }
        } else {
            io_decompress_read(run, item, peek);
            return;
        }
        settle(run, item, peek);
        return;
    case IO_KIND_PLAIN:
    case IO_KIND_TRACEV3:
        break;
    }
    if (item->skip_binary && !text) {
        item->scope->binary_files++;
        run->summary->binary_files_skipped++;
        settle(run, item, peek);
        return;
    }
    io_deliver(run, item, peek);
}

/* ---- opened files ---------------------------------------------------------- */

void io_read_fd(io_run *run, const io_item *item_in, int fd, bool regular)
{
    io_item item = *item_in;
    io_fd_src fs = {.run = run, .fd = fd, .poll_first = !regular, .timeout_ms = -1};
    int64_t tick_us = run->options->tick_interval_us;
    if (!regular && tick_us > 0) {
        int64_t ms = (tick_us + 999) / 1000;
        fs.timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
        run->live = true;
    }
    /* libarchive may seek in a regular file read from its start */
    item.seek_fd = regular && lseek(fd, 0, SEEK_CUR) == 0 ? fd : -1;

    io_peek peek;
    io_src src = {fd_read, &fs};
    io_peek_init(&peek, src);
    io_peek_fill(run, &peek);
    if (peek.failed && peek.head_len == 0 && run->fail == IO_FAIL_READ) {
        /* nothing could be read at all */
        run->summary->inputs_failed++;
        if (item.named)
            run->fatal = te_error_set(run->err, TE_ERR_IO, "cannot read '%s': %s", item.name,
                                      run->fail_detail);
        else
            io_warn(run, "cannot read '%s': %s", item.name, run->fail_detail);
        run->fail = IO_FAIL_NONE;
    } else {
        io_dispatch(run, &item, &peek);
    }
    run->live = false;
}

/* ---- entry point ------------------------------------------------------------ */

te_status te_io_read_path(const char *path, const te_io_options *options, const te_io_sink *sink,
                          te_error *err)
{
    static const te_io_options defaults;
    te_status status = TE_OK;
    io_run *run = NULL;
    int fd = -1;
    struct stat st;

    if (!path || !sink || !sink->begin || !sink->data || !sink->end)
        return te_error_set(err, TE_ERR_USAGE, "te_io_read_path: a path and a sink are required");
    if (io_stop_requested()) return TE_OK;

    run = calloc(1, sizeof *run);
    if (run) run->buffers = malloc(4 * (size_t)TE_IO_BUFFER_BYTES);
    if (!run || !run->buffers) {
        status = te_error_set(err, TE_ERR_NOMEM, "reading '%s': out of memory", path);
        goto done;
    }
    run->out_buf = run->buffers;
    run->outer_in_buf = run->buffers + TE_IO_BUFFER_BYTES;
    run->outer_cb_buf = run->buffers + 2 * (size_t)TE_IO_BUFFER_BYTES;
    run->member_in_buf = run->buffers + 3 * (size_t)TE_IO_BUFFER_BYTES;
    run->options = options ? options : &defaults;
    run->sink = sink;
    run->summary = sink->summary ? sink->summary : &run->dummy_summary;
    run->err = err;
    run->fatal = TE_OK;

    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    io_scope scope = {.name = name};
    io_item item = {.name = name,
                    .scope = &scope,
                    .seek_fd = -1,
                    .named = true,
                    .open_archives = true,
                    .decompress = true};

    if (is_stdin) {
        if (fstat(STDIN_FILENO, &st) != 0) {
            run->summary->inputs_failed++;
            status = te_error_set(err, TE_ERR_IO, "cannot read '%s': %s", name, strerror(errno));
            goto done;
        }
        io_read_fd(run, &item, STDIN_FILENO, S_ISREG(st.st_mode));
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) != 0) {
            run->summary->inputs_failed++;
            status = te_error_set(err, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
            goto done;
        }
        if (S_ISDIR(st.st_mode)) {
            io_walk(run, fd, path); /* owns fd */
            fd = -1;
        } else {
            io_read_fd(run, &item, fd, S_ISREG(st.st_mode));
        }
    }
    io_scope_finish(run, &scope);
    if (run->fatal != TE_OK) status = run->fatal;

done:
    if (fd >= 0) close(fd);
    if (run) {
        io_zstd_free(run);
        free(run->buffers);
        free(run);
    }
    return status;
}
