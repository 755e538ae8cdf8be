/* Archives and gzip/bzip2/xz streams through libarchive: read only, every
 * member read as a stream into a fixed buffer, nothing is ever extracted or
 * opened by a member's name (names are provenance only: "archive!member").
 * libarchive pulls its input from an io_src, so a .tar.zst, stdin or an
 * archive member work like a file. Decompression (gzip, bzip2, xz through
 * libarchive's "raw" format) and archive reading (tar, zip) are separate
 * layers: what comes out of a decompressor is classified by its own first
 * bytes, so a .tar.gz becomes an archive and a .log.gz one stream. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "io/io_internal.h"

typedef struct io_archive {
    io_run *run;
    struct archive *a;
    io_src src;
    unsigned char *cb_buf;
    int seek_fd;       /* >= 0: a regular file libarchive may seek in */
    bool check_ratio;  /* the data read out is decompressed (zip member, gzip stream) */
    uint64_t in_bytes; /* bytes given to libarchive */
    uint64_t data_out; /* bytes read out */
    uint64_t base_in, base_out;
    bool data_fatal; /* libarchive cannot go on after a data error */
} io_archive;

bool io_archive_supports(io_kind kind)
{
    switch (kind) {
    case IO_KIND_GZIP:
        return archive_zlib_version() != NULL;
    case IO_KIND_BZIP2:
        return archive_bzlib_version() != NULL;
    case IO_KIND_XZ:
        return archive_liblzma_version() != NULL;
    case IO_KIND_TAR:
    case IO_KIND_ZIP:
        return true;
    default:
        return false;
    }
}

static la_ssize_t cb_read(struct archive *a, void *client, const void **buff)
{
    io_archive *x = client;
    ssize_t n = x->src.read(x->src.self, x->cb_buf, TE_IO_BUFFER_BYTES);
    if (n < 0) {
        archive_set_error(a, EIO, "%s", x->run->fail_detail);
        return ARCHIVE_FATAL;
    }
    x->in_bytes += (uint64_t)n;
    *buff = x->cb_buf;
    return n;
}

static la_int64_t cb_seek(struct archive *a, void *client, la_int64_t offset, int whence)
{
    io_archive *x = client;
    off_t r = lseek(x->seek_fd, (off_t)offset, whence);
    if (r < 0) {
        archive_set_error(a, errno, "seek failed: %s", strerror(errno));
        return ARCHIVE_FATAL;
    }
    return r;
}

static la_int64_t cb_skip(struct archive *a, void *client, la_int64_t request)
{
    (void)a;
    io_archive *x = client;
    struct stat st;
    off_t here = lseek(x->seek_fd, 0, SEEK_CUR);
    if (request <= 0 || here < 0 || fstat(x->seek_fd, &st) != 0) return 0; /* libarchive reads */
    if (request > st.st_size - here) request = st.st_size - here;
    if (request <= 0 || lseek(x->seek_fd, here + (off_t)request, SEEK_SET) < 0) return 0;
    return request;
}

static ssize_t member_read(void *self, unsigned char *buf, size_t cap)
{
    io_archive *x = self;
    io_run *run = x->run;
    if (io_stop_requested()) {
        io_set_fail(run, IO_FAIL_STOP, "stopped");
        x->data_fatal = true;
        return -1;
    }
    la_ssize_t n = archive_read_data(x->a, buf, cap);
    if (n < 0) {
        if (run->fail != IO_FAIL_NONE) {
            x->data_fatal = true; /* our input failed under libarchive */
        } else {
            if (n <= ARCHIVE_FATAL) x->data_fatal = true;
            const char *why = archive_error_string(x->a);
            io_set_fail(run, IO_FAIL_DAMAGE, "damaged data (%s)", why ? why : "unknown error");
        }
        return -1;
    }
    x->data_out += (uint64_t)n;
    if (x->check_ratio && io_ratio_exceeded(x->in_bytes - x->base_in, x->data_out - x->base_out)) {
        /* a zip member: the next member starts afresh; a compressed stream
         * cannot be read further without decompressing the bomb */
        x->base_in = x->in_bytes;
        x->base_out = x->data_out;
        io_set_fail(run, IO_FAIL_RATIO,
                    "expands absurdly (more than %u times its compressed size: a decompression "
                    "bomb?); reading of it stopped",
                    TE_MAX_COMPRESSION_RATIO);
        return -1;
    }
    return n;
}

static bool open_archive(io_archive *x, const io_item *item)
{
    io_run *run = x->run;
    archive_read_set_read_callback(x->a, cb_read);
    archive_read_set_callback_data(x->a, x);
    if (x->seek_fd >= 0) {
        archive_read_set_seek_callback(x->a, cb_seek);
        archive_read_set_skip_callback(x->a, cb_skip);
    }
    if (archive_read_open1(x->a) >= ARCHIVE_WARN) return true;
    if (run->fail == IO_FAIL_NONE) {
        const char *why = archive_error_string(x->a);
        io_set_fail(run, IO_FAIL_DAMAGE, "cannot be read (%s)", why ? why : "unknown error");
    }
    io_report_failure(run, item->name);
    return false;
}

static bool new_archive(io_archive *x, const io_item *item)
{
    x->a = archive_read_new();
    if (x->a) return true;
    x->run->fatal =
        te_error_set(x->run->err, TE_ERR_NOMEM, "reading '%s': out of memory", item->name);
    return false;
}

void io_decompress_read(io_run *run, const io_item *item, io_peek *peek)
{
    /* a whole file and a member of an archive read from that file can be
     * decompressing at the same time: one input buffer each */
    io_archive x = {.run = run,
                    .src = io_peek_src(peek),
                    .cb_buf = item->open_archives ? run->outer_in_buf : run->member_in_buf,
                    .seek_fd = -1,
                    .check_ratio = true};
    if (!new_archive(&x, item)) return;
    /* only decompressors built into libarchive: never an external program */
    if (io_archive_supports(IO_KIND_GZIP)) archive_read_support_filter_gzip(x.a);
    if (io_archive_supports(IO_KIND_BZIP2)) archive_read_support_filter_bzip2(x.a);
    if (io_archive_supports(IO_KIND_XZ)) archive_read_support_filter_xz(x.a);
    /* raw: the decompressed bytes as one entry, classified by us (a tar
     * inside becomes an archive); empty: a compressed empty file */
    archive_read_support_format_raw(x.a);
    archive_read_support_format_empty(x.a);
    if (!open_archive(&x, item)) goto done;

    struct archive_entry *entry = NULL;
    int r = archive_read_next_header(x.a, &entry);
    io_src content = {member_read, &x};
    if (r == ARCHIVE_EOF) {
        content.read = NULL; /* empty */
    } else if (r < ARCHIVE_WARN) {
        if (run->fail == IO_FAIL_NONE) {
            const char *why = archive_error_string(x.a);
            io_set_fail(run, IO_FAIL_DAMAGE, "damaged compressed data (%s)",
                        why ? why : "unknown error");
        }
        io_report_failure(run, item->name);
        goto done;
    }
    io_item next = *item;
    next.decompress = false; /* one compression layer */
    next.limit_bytes = true;
    next.seek_fd = -1;
    io_peek inner;
    io_peek_init(&inner, content);
    io_peek_fill(run, &inner);
    io_dispatch(run, &next, &inner);
done:
    archive_read_free(x.a);
}

/* Member names are provenance only: control characters become '?'. */
static void member_name(io_run *run, const char *archive_name, const char *path)
{
    int n = snprintf(run->member_name, sizeof run->member_name, "%s!%s", archive_name, path);
    if (n < 0) run->member_name[0] = '\0';
    if (n >= (int)sizeof run->member_name)
        memcpy(run->member_name + sizeof run->member_name - 4, "...", 4);
    for (char *p = run->member_name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
}

static void read_member(io_archive *x, const io_item *archive_item, struct archive_entry *entry,
                        io_scope *scope)
{
    io_run *run = x->run;
    const char *path = archive_entry_pathname(entry);
    if (!path) path = archive_entry_pathname_utf8(entry);
    member_name(run, archive_item->name, path ? path : "(unnamed)");
    const char *name = run->member_name;

    mode_t type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry)) {
        io_note(run, scope, "%s: hard link member, not read", name);
        run->summary->members_skipped++;
        return;
    }
    if (type == AE_IFDIR) return;
    if (type == AE_IFLNK) {
        io_note(run, scope, "%s: symbolic link member, not followed", name);
        run->summary->members_skipped++;
        return;
    }
    if (type != AE_IFREG && type != 0) {
        io_note(run, scope, "%s: special file member (device, FIFO or socket), not read", name);
        run->summary->members_skipped++;
        return;
    }
    if (archive_entry_is_data_encrypted(entry)) {
        io_note(run, scope, "%s: encrypted member, not read", name);
        run->summary->members_skipped++;
        return;
    }
    io_item item = {.name = name,
                    .scope = scope,
                    .seek_fd = -1,
                    .named = false,
                    .open_archives = false,
                    .decompress = true,
                    .skip_binary = true,
                    .limit_bytes = true};
    io_peek peek;
    io_src src = {member_read, x};
    io_peek_init(&peek, src);
    io_peek_fill(run, &peek);
    io_dispatch(run, &item, &peek);
}

void io_archive_read(io_run *run, const io_item *item, io_peek *peek)
{
    io_archive x = {
        .run = run, .src = io_peek_src(peek), .cb_buf = run->outer_cb_buf, .seek_fd = -1};
    io_scope scope = {.name = item->name};
    uint64_t members = 0;
    int retries = 0;

    /* a regular file read from its start: rewind it and let libarchive seek
     * (zip central directory, skipping tar members) */
    if (item->seek_fd >= 0 && peek->replay_pos == 0 && !peek->failed &&
        lseek(item->seek_fd, 0, SEEK_SET) == 0) {
        peek->replay_pos = peek->head_len;
        peek->ended = false;
        x.seek_fd = item->seek_fd;
    }
    if (!new_archive(&x, item)) return;
    /* no decompression filter here: a .tar.gz was decompressed below us */
    archive_read_support_format_tar(x.a);
    archive_read_support_format_zip(x.a);
    if (!open_archive(&x, item)) goto done;

    while (!io_run_done(run) && !x.data_fatal) {
        struct archive_entry *entry = NULL;
        int r = archive_read_next_header(x.a, &entry);
        if (r == ARCHIVE_EOF) {
            if (members == 0) io_warn(run, "%s: archive without members", item->name);
            break;
        }
        if (r == ARCHIVE_RETRY && ++retries < 3) continue;
        if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
            if (run->fail == IO_FAIL_NONE) {
                const char *why = archive_error_string(x.a);
                io_set_fail(run, IO_FAIL_DAMAGE, "damaged archive (%s)",
                            why ? why : "unknown error");
            }
            io_report_failure(run, item->name);
            break;
        }
        retries = 0;
        /* zip members are compressed one by one */
        x.check_ratio = (archive_format(x.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
        if (r == ARCHIVE_WARN) {
            /* a name that cannot be converted to the locale's charset is
             * still usable as provenance: not worth a note */
            const char *why = archive_error_string(x.a);
            if (!why || !strstr(why, "can't be converted"))
                io_note(run, &scope, "%s: %s", item->name, why ? why : "warning");
        }
        if (++members > TE_MAX_ARCHIVE_MEMBERS) {
            io_warn(run, "%s: more than %u members; the rest is not read", item->name,
                    TE_MAX_ARCHIVE_MEMBERS);
            run->summary->members_skipped++;
            break;
        }
        read_member(&x, item, entry, &scope);
    }
    io_scope_finish(run, &scope);
done:
    archive_read_free(x.a);
}
