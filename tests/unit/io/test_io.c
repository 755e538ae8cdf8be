/* Tests of the io layer: every input is built at test time in a temporary
 * directory (plain, CRLF, empty and missing files, directory trees with
 * symlinks, gzip/zstd files whole and truncated, a sysdiagnose-shaped
 * tar.gz, a zip, hostile member names, decompression bombs, zstd on stdin,
 * live ticks and stop requests on a pipe). A recording sink collects what
 * the io layer delivers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "engine/limits.h"
#include "io/io.h"

/* ---- recording sink --------------------------------------------------------- */

#define REC_MAX_STREAMS 64
#define REC_MAX_WARNINGS 64

typedef struct rec_stream {
    char *name;
    unsigned char *data; /* the first store_max bytes */
    size_t len;
    size_t cap;
    uint64_t total;
    size_t data_calls;
    char *first_chunk; /* the first data() call, NUL-terminated */
    bool ended;
} rec_stream;

typedef struct rec {
    rec_stream streams[REC_MAX_STREAMS];
    size_t n_streams;
    char *warnings[REC_MAX_WARNINGS];
    size_t n_warnings;
    int ticks;
    char events[512]; /* 'B'egin 'D'ata 'E'nd 'T'ick */
    size_t n_events;
    bool in_stream;
    size_t store_max;
    te_status begin_status;
    te_status data_status;
    bool stop_on_tick;
    te_summary summary;
    te_io_sink sink;
} rec;

static void rec_event(rec *r, char c)
{
    if (r->n_events + 1 < sizeof r->events) r->events[r->n_events++] = c;
}

static te_status rec_begin(void *ctx, const char *name)
{
    rec *r = ctx;
    assert_false(r->in_stream);
    assert_true(r->n_streams < REC_MAX_STREAMS);
    rec_event(r, 'B');
    if (r->begin_status != TE_OK) return r->begin_status;
    rec_stream *s = &r->streams[r->n_streams++];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    r->in_stream = true;
    return TE_OK;
}

static te_status rec_data(void *ctx, const void *bytes, size_t len)
{
    rec *r = ctx;
    assert_true(r->in_stream);
    assert_true(len > 0);
    rec_event(r, 'D');
    rec_stream *s = &r->streams[r->n_streams - 1];
    if (s->data_calls++ == 0) {
        s->first_chunk = malloc(len + 1);
        memcpy(s->first_chunk, bytes, len);
        s->first_chunk[len] = '\0';
    }
    s->total += len;
    size_t keep = s->len < r->store_max ? r->store_max - s->len : 0;
    if (keep > len) keep = len;
    if (keep > 0) {
        if (s->len + keep > s->cap) {
            s->cap = (s->len + keep) * 2;
            s->data = realloc(s->data, s->cap);
        }
        memcpy(s->data + s->len, bytes, keep);
        s->len += keep;
    }
    return r->data_status;
}

static te_status rec_end(void *ctx)
{
    rec *r = ctx;
    assert_true(r->in_stream);
    rec_event(r, 'E');
    r->streams[r->n_streams - 1].ended = true;
    r->in_stream = false;
    return TE_OK;
}

static void rec_warn(void *ctx, const char *message)
{
    rec *r = ctx;
    if (r->n_warnings < REC_MAX_WARNINGS) r->warnings[r->n_warnings++] = strdup(message);
}

static void rec_tick(void *ctx)
{
    rec *r = ctx;
    r->ticks++;
    rec_event(r, 'T');
    if (r->stop_on_tick) te_io_request_stop();
}

static rec *rec_new(void)
{
    rec *r = calloc(1, sizeof *r);
    r->store_max = 64u << 20;
    r->sink.begin = rec_begin;
    r->sink.data = rec_data;
    r->sink.end = rec_end;
    r->sink.warn = rec_warn;
    r->sink.tick = rec_tick;
    r->sink.ctx = r;
    r->sink.summary = &r->summary;
    return r;
}

static void rec_free(rec *r)
{
    for (size_t i = 0; i < r->n_streams; i++) {
        free(r->streams[i].name);
        free(r->streams[i].data);
        free(r->streams[i].first_chunk);
    }
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r);
}

static const rec_stream *rec_find(const rec *r, const char *name)
{
    for (size_t i = 0; i < r->n_streams; i++)
        if (strcmp(r->streams[i].name, name) == 0) return &r->streams[i];
    return NULL;
}

/* A warning containing all the given fragments (NULL-terminated). */
static bool rec_warned(const rec *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        if (strstr(r->warnings[i], a) && (!b || strstr(r->warnings[i], b))) return true;
    return false;
}

static void rec_dump(const rec *r)
{
    for (size_t i = 0; i < r->n_streams; i++)
        fprintf(stderr, "  stream %s (%llu bytes)\n", r->streams[i].name,
                (unsigned long long)r->streams[i].total);
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(stderr, "  warning %s\n", r->warnings[i]);
}

/* Set for the second run of every test: the same expectations must hold when
 * reading goes through te_io_read_path_ahead (a reading thread and a ring of
 * buffers; the sink is still called on this thread, in the same order). */
static bool read_ahead;

static te_status read_path(rec *r, const char *path, const te_io_options *options, te_error *err)
{
    bool ahead = read_ahead && (!options || options->tick_interval_us == 0);
    te_status status = ahead ? te_io_read_path_ahead(path, options, &r->sink, err)
                             : te_io_read_path(path, options, &r->sink, err);
    assert_false(r->in_stream); /* every begin had its end */
    return status;
}

/* ---- building inputs ------------------------------------------------------------ */

static char tmp_root[256];

static void path_in(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", tmp_root, rel);
}

static void write_file(const char *rel, const void *data, size_t len)
{
    char path[512];
    path_in(path, sizeof path, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *rel)
{
    char path[512];
    path_in(path, sizeof path, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

/* Numbered text lines, n bytes. */
static unsigned char *make_lines(size_t n)
{
    unsigned char *p = malloc(n);
    size_t at = 0;
    unsigned line = 0;
    while (at < n) {
        char tmp[96];
        int k = snprintf(tmp, sizeof tmp, "2026-01-01 10:00:00.%06u kernel: line %u of the log\n",
                         line % 1000000, line);
        line++;
        for (int i = 0; i < k && at < n; i++)
            p[at++] = (unsigned char)tmp[i];
    }
    return p;
}

static void *zstd_pack(const void *data, size_t len, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(len);
    void *out = malloc(cap);
    size_t n = ZSTD_compress(out, cap, data, len, 3);
    assert_false(ZSTD_isError(n));
    *out_len = n;
    return out;
}

/* gzip of one buffer (libarchive raw format + gzip filter), in memory. */
static void *gzip_pack(const void *data, size_t len, size_t *out_len)
{
    size_t cap = len + len / 100 + (1u << 16);
    void *out = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open_memory(a, out, cap, out_len), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len) assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

typedef struct test_entry {
    const char *name;
    int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, or 1 for a hard link */
    const void *data;
    size_t len;
    const char *link;
} test_entry;

#define TEST_HARDLINK 1

static void write_archive(const char *rel, bool zip, bool gzip, const test_entry *e, size_t n)
{
    char path[512];
    path_in(path, sizeof path, rel);
    struct archive *a = archive_write_new();
    if (gzip) archive_write_add_filter_gzip(a);
    if (zip)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *entry = archive_entry_new();
        archive_entry_set_pathname(entry, e[i].name);
        archive_entry_set_mtime(entry, 1767261600, 0);
        if (e[i].type == TEST_HARDLINK) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, 0644);
            archive_entry_set_hardlink(entry, e[i].link);
            archive_entry_set_size(entry, 0);
        } else {
            archive_entry_set_filetype(entry, (unsigned)e[i].type);
            archive_entry_set_perm(entry, e[i].type == AE_IFDIR ? 0755 : 0644);
            if (e[i].type == AE_IFLNK) archive_entry_set_symlink(entry, e[i].link);
            if (e[i].type == AE_IFCHR) archive_entry_set_rdev(entry, 0x0101);
            archive_entry_set_size(entry, e[i].type == AE_IFREG ? (la_int64_t)e[i].len : 0);
        }
        assert_true(archive_write_header(a, entry) >= ARCHIVE_WARN);
        if (e[i].type == AE_IFREG && e[i].len)
            assert_int_equal(archive_write_data(a, e[i].data, e[i].len), (la_ssize_t)e[i].len);
        archive_entry_free(entry);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static unsigned char *read_whole(const char *rel, size_t *len)
{
    char path[512];
    path_in(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/te_io_test_XXXXXX");
    if (!mkdtemp(tmp_root)) return -1;
    te_io_clear_stop();
    return 0;
}

static int teardown_tmp(void **state)
{
    (void)state;
    te_io_clear_stop();
    return nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- sniffing ------------------------------------------------------------------ */

static void test_sniff(void **state)
{
    (void)state;
    unsigned char tar[512] = {0};
    memcpy(tar, "file.txt", 8);
    memcpy(tar + 257, "ustar", 6);
    assert_string_equal(te_io_sniff_container((const unsigned char *)"\x1f\x8b\x08", 3), "gzip");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"\x28\xb5\x2f\xfd", 4),
                        "zstd");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"BZh91AY", 7), "bzip2");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"\xfd"
                                                                     "7zXZ\0\0",
                                              7),
                        "xz");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"PK\3\4rest", 8), "zip");
    assert_string_equal(te_io_sniff_container(tar, sizeof tar), "tar");
    assert_string_equal(te_io_sniff_container(tar, 261), "plain"); /* magic not yet seen */
    assert_string_equal(
        te_io_sniff_container((const unsigned char *)"\x00\x10\x00\x00\x11\x00\x00\x00\xd0", 9),
        "tracev3");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"hello\n", 6), "plain");
    assert_string_equal(te_io_sniff_container((const unsigned char *)"\x1f", 1), "plain");
    assert_string_equal(te_io_sniff_container(NULL, 0), "plain");
}

/* ---- plain files ------------------------------------------------------------------ */

static void test_plain_crlf_empty(void **state)
{
    (void)state;
    const char *text = "first line\nsecond line\n";
    const char *crlf = "one\r\ntwo\r\nthree";
    write_file("plain.log", text, strlen(text));
    write_file("crlf.log", crlf, strlen(crlf));
    write_file("empty.log", "", 0);
    const char *names[] = {"plain.log", "crlf.log", "empty.log"};
    const char *contents[] = {text, crlf, ""};
    for (int i = 0; i < 3; i++) {
        char path[512];
        path_in(path, sizeof path, names[i]);
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
        assert_int_equal(r->n_streams, 1);
        assert_string_equal(r->streams[0].name, path);
        assert_true(r->streams[0].ended);
        assert_int_equal(r->streams[0].len, strlen(contents[i]));
        if (r->streams[0].len)
            assert_memory_equal(r->streams[0].data, contents[i], r->streams[0].len);
        assert_int_equal(r->n_warnings, 0);
        rec_free(r);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[512], expect[700];
    path_in(path, sizeof path, "does-not-exist.log");
    snprintf(expect, sizeof expect, "cannot open '%s': No such file or directory", path);
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_ERR_IO);
    assert_string_equal(err.message, expect);
    assert_int_equal(r->summary.inputs_failed, 1);
    assert_int_equal(r->n_streams, 0);
    rec_free(r);
}

static void test_usage(void **state)
{
    (void)state;
    te_io_sink empty = {0};
    te_error err = {0};
    assert_int_equal(te_io_read_path("x", NULL, &empty, &err), TE_ERR_USAGE);
    assert_int_equal(te_io_read_path(NULL, NULL, NULL, &err), TE_ERR_USAGE);
}

static void test_begin_refused_and_data_failure(void **state)
{
    (void)state;
    write_file("refused.log", "abc\n", 4);
    char path[512];
    path_in(path, sizeof path, "refused.log");
    rec *r = rec_new();
    r->begin_status = TE_ERR_UNSUPPORTED; /* skip the stream */
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 0);
    assert_string_equal(r->events, "B"); /* no data, no end */
    rec_free(r);

    r = rec_new();
    r->data_status = TE_ERR_NOMEM;
    assert_int_equal(read_path(r, path, NULL, &err), TE_ERR_NOMEM);
    assert_non_null(strstr(err.message, path));
    assert_true(r->streams[0].ended); /* end() still called */
    rec_free(r);
}

/* ---- directories ---------------------------------------------------------------- */

static void test_directory_walk(void **state)
{
    (void)state;
    unsigned char binary[64] = {0x62, 0x70, 0x6c, 0x69, 0x73, 0x74, 0x30, 0x30, 0, 1, 2, 3};
    make_dir("outside");
    write_file("outside/secret.log", "outside the tree\n", 17);
    make_dir("tree");
    make_dir("tree/sub");
    write_file("tree/b.log", "bbb\n", 4);
    write_file("tree/a.log", "aaa\n", 4);
    write_file("tree/sub/c.log", "ccc\n", 4);
    write_file("tree/sub/data.bin", binary, sizeof binary);
    char target[512], link[512];
    path_in(target, sizeof target, "outside/secret.log");
    path_in(link, sizeof link, "tree/link-out");
    assert_int_equal(symlink(target, link), 0);
    path_in(link, sizeof link, "tree/sub/loop");
    assert_int_equal(symlink("..", link), 0);
    path_in(link, sizeof link, "tree/sub/self");
    assert_int_equal(symlink(".", link), 0);
    path_in(link, sizeof link, "tree/link-in");
    assert_int_equal(symlink("sub/c.log", link), 0);

    char root[512], with_slash[520], expect[600];
    path_in(root, sizeof root, "tree");
    snprintf(with_slash, sizeof with_slash, "%s/", root);

    /* default: symbolic links are not followed, only noted and counted */
    for (int pass = 0; pass < 2; pass++) {
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, pass ? with_slash : root, NULL, &err), TE_OK);
        if (r->n_streams != 3) rec_dump(r);
        assert_int_equal(r->n_streams, 3);
        const char *order[] = {"a.log", "b.log", "sub/c.log"};
        for (int i = 0; i < 3; i++) {
            snprintf(expect, sizeof expect, "%s/%s", root, order[i]);
            assert_string_equal(r->streams[i].name, expect);
        }
        assert_int_equal(r->summary.members_skipped, 4); /* four symbolic links */
        snprintf(expect, sizeof expect, "%s/link-out", root);
        assert_true(rec_warned(r, expect, "symbolic link"));
        assert_true(rec_warned(r, "1 binary file not read", NULL));
        rec_free(r);
    }

    /* following: inside links are read, the outside link and loops are not */
    te_io_options follow = {.follow_symlinks_in_dirs = true};
    rec *r = rec_new();
    te_error err = {0};
    double t0 = now_s();
    assert_int_equal(read_path(r, root, &follow, &err), TE_OK);
    assert_true(now_s() - t0 < 10.0);
    snprintf(expect, sizeof expect, "%s/link-in", root);
    const rec_stream *in = rec_find(r, expect);
    assert_non_null(in);
    assert_memory_equal(in->data, "ccc\n", 4);
    snprintf(expect, sizeof expect, "%s/link-out", root);
    assert_null(rec_find(r, expect));
    assert_true(rec_warned(r, expect, "out of the directory"));
    assert_true(rec_warned(r, "loop", NULL));
    for (size_t i = 0; i < r->n_streams; i++)
        assert_null(strstr(r->streams[i].name, "secret"));
    assert_int_equal(r->summary.members_skipped, 3); /* link-out, loop, self */
    rec_free(r);
}

static void test_directory_logarchive(void **state)
{
    (void)state;
    unsigned char tracev3[256] = {0x00, 0x10, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0xd0};
    unsigned char uuidtext[64] = {0x99, 0x88, 0x77, 0x66, 2, 0, 0, 0, 1, 0, 0, 0};
    make_dir("diag");
    make_dir("diag/system_logs.logarchive");
    make_dir("diag/system_logs.logarchive/Persist");
    make_dir("diag/system_logs.logarchive/AB");
    write_file("diag/system_logs.logarchive/Persist/0000000000000001.tracev3", tracev3,
               sizeof tracev3);
    write_file("diag/system_logs.logarchive/Persist/0000000000000002.tracev3", tracev3,
               sizeof tracev3);
    write_file("diag/system_logs.logarchive/AB/414C1EC0233A05AF22029CC5E160EA", uuidtext,
               sizeof uuidtext);
    write_file("diag/ps.txt", "PID COMMAND\n1 launchd\n", 22);
    char root[512];
    path_in(root, sizeof root, "diag");
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, root, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 1);
    assert_int_equal(r->summary.logarchive_files, 2);
    assert_true(rec_warned(r, "2 logarchive (tracev3) files not decoded", root));
    size_t tracev3_warnings = 0;
    for (size_t i = 0; i < r->n_warnings; i++)
        if (strstr(r->warnings[i], "not decoded")) tracev3_warnings++;
    assert_int_equal(tracev3_warnings, 1); /* once per directory */
    rec_free(r);

    /* a tracev3 file named directly */
    char one[600];
    snprintf(one, sizeof one, "%s/system_logs.logarchive/Persist/0000000000000001.tracev3", root);
    r = rec_new();
    assert_int_equal(read_path(r, one, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 0);
    assert_int_equal(r->summary.logarchive_files, 1);
    assert_true(rec_warned(r, one, "not decoded"));
    rec_free(r);
}

/* ---- compressed files ----------------------------------------------------------- */

static void test_gzip_and_zstd_files(void **state)
{
    (void)state;
    size_t n = 300000, gz_len, zst_len;
    unsigned char *text = make_lines(n);
    void *gz = gzip_pack(text, n, &gz_len);
    void *zst = zstd_pack(text, n, &zst_len);
    write_file("app.log.gz", gz, gz_len);
    write_file("app.log.zst", zst, zst_len);
    write_file("misnamed.txt", zst, zst_len); /* content decides, not the name */
    void *empty_gz = gzip_pack("", 0, &gz_len);
    write_file("empty.gz", empty_gz, gz_len);

    const char *names[] = {"app.log.gz", "app.log.zst", "misnamed.txt"};
    for (int i = 0; i < 3; i++) {
        char path[512];
        path_in(path, sizeof path, names[i]);
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
        assert_int_equal(r->n_streams, 1);
        assert_string_equal(r->streams[0].name, path);
        assert_int_equal(r->streams[0].len, n);
        assert_memory_equal(r->streams[0].data, text, n);
        assert_int_equal(r->n_warnings, 0);
        assert_int_equal(r->summary.input_errors, 0);
        rec_free(r);
    }
    char path[512];
    path_in(path, sizeof path, "empty.gz");
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 1);
    assert_int_equal(r->streams[0].total, 0);
    assert_true(r->streams[0].ended);
    rec_free(r);
    free(text);
    free(gz);
    free(zst);
    free(empty_gz);
}

static void test_truncated_streams(void **state)
{
    (void)state;
    size_t n = 2u << 20, gz_len, zst_len;
    unsigned char *text = make_lines(n);
    void *gz = gzip_pack(text, n, &gz_len);
    void *zst = zstd_pack(text, n, &zst_len);
    write_file("cut.log.gz", gz, gz_len / 2);
    write_file("cut.log.zst", zst, zst_len / 2);
    const char *names[] = {"cut.log.gz", "cut.log.zst"};
    for (int i = 0; i < 2; i++) {
        char path[512];
        path_in(path, sizeof path, names[i]);
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
        if (r->n_warnings != 1) rec_dump(r);
        assert_int_equal(r->n_streams, 1);
        assert_true(r->streams[0].ended);
        /* the bytes before the damage are delivered, unchanged */
        assert_true(r->streams[0].len > n / 8);
        assert_true(r->streams[0].len < n);
        assert_memory_equal(r->streams[0].data, text, r->streams[0].len);
        assert_int_equal(r->n_warnings, 1);
        assert_true(rec_warned(r, path, "truncated"));
        assert_int_equal(r->summary.input_errors, 1);
        rec_free(r);
    }
    free(text);
    free(gz);
    free(zst);
}

/* ---- archives --------------------------------------------------------------------- */

#define SD_TOP "sysdiagnose_2026.01.01_10-00-00-0800_Mac_x"

static void test_sysdiagnose_archive(void **state)
{
    (void)state;
    const char *ips =
        "{\"app_name\":\"App\",\"bug_type\":\"309\"}\n{\n  \"exception\" : "
        "{\"type\":\"EXC_CRASH\",\"signal\":\"SIGKILL (Code Signature Invalid)\"}\n}\n";
    const char *log = "2026-01-01 10:00:00.000000-0800  0x1  Default  0x0  1  0  kernel: AMFI: "
                      "denied\n";
    unsigned char tracev3[300] = {0x00, 0x10, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0xd0};
    unsigned char plist[40] = "bplist00\0\1\2\3";
    size_t zlog_len = 100000, zst_len, gz_len;
    unsigned char *zlog = make_lines(zlog_len);
    void *zst = zstd_pack(zlog, zlog_len, &zst_len);
    void *gz = gzip_pack(log, strlen(log), &gz_len);
    test_entry inner[] = {{"inner.log", AE_IFREG, "x\n", 2, NULL}};
    write_archive("inner.tar", false, false, inner, 1);
    size_t inner_len, inner_tgz_len;
    unsigned char *inner_tar = read_whole("inner.tar", &inner_len);
    void *inner_tgz = gzip_pack(inner_tar, inner_len, &inner_tgz_len);

    test_entry e[] = {
        {SD_TOP "/", AE_IFDIR, NULL, 0, NULL},
        {SD_TOP "/crashes_and_spins/App.ips", AE_IFREG, ips, strlen(ips), NULL},
        {SD_TOP "/logs/x.log", AE_IFREG, log, strlen(log), NULL},
        {SD_TOP "/logs/y.log.zst", AE_IFREG, zst, zst_len, NULL},
        {SD_TOP "/logs/z.log.gz", AE_IFREG, gz, gz_len, NULL},
        {SD_TOP "/logs/prefs.plist", AE_IFREG, plist, sizeof plist, NULL},
        {SD_TOP "/logs/nested.tar", AE_IFREG, inner_tar, inner_len, NULL},
        {SD_TOP "/logs/nested.tar.gz", AE_IFREG, inner_tgz, inner_tgz_len, NULL},
        {SD_TOP "/system_logs.logarchive/Persist/0000000000000001.tracev3", AE_IFREG, tracev3,
         sizeof tracev3, NULL},
        {SD_TOP "/ps.txt", AE_IFREG, "PID COMMAND\n", 12, NULL},
    };
    write_archive(SD_TOP ".tar.gz", false, true, e, sizeof e / sizeof e[0]);
    char path[512], expect[1024];
    path_in(path, sizeof path, SD_TOP ".tar.gz");
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    const char *members[] = {"crashes_and_spins/App.ips", "logs/x.log", "logs/y.log.zst",
                             "logs/z.log.gz", "ps.txt"};
    if (r->n_streams != 5) rec_dump(r);
    assert_int_equal(r->n_streams, 5);
    for (int i = 0; i < 5; i++) {
        snprintf(expect, sizeof expect, "%s!" SD_TOP "/%s", path, members[i]);
        assert_string_equal(r->streams[i].name, expect);
        assert_true(r->streams[i].ended);
    }
    assert_memory_equal(r->streams[0].data, ips, strlen(ips));
    assert_int_equal(r->streams[2].len, zlog_len); /* zstd member decompressed */
    assert_memory_equal(r->streams[2].data, zlog, zlog_len);
    assert_int_equal(r->streams[3].len, strlen(log)); /* gzip member decompressed */
    assert_memory_equal(r->streams[3].data, log, strlen(log));
    assert_int_equal(r->summary.logarchive_files, 1);
    assert_true(rec_warned(r, path, "1 logarchive (tracev3) file not decoded"));
    assert_true(rec_warned(r, "nested.tar:", "archive inside an archive"));
    assert_true(rec_warned(r, "nested.tar.gz:", "archive inside an archive"));
    assert_true(rec_warned(r, path, "1 binary file not read"));
    assert_int_equal(r->summary.members_skipped, 2); /* the nested tar and tar.gz */
    assert_int_equal(r->summary.input_errors, 0);
    rec_free(r);

    /* the same archive truncated in the middle of a big member */
    size_t big_len = 3u << 20, arch_len;
    unsigned char *big = make_lines(big_len);
    test_entry e2[] = {{SD_TOP "/logs/small.log", AE_IFREG, log, strlen(log), NULL},
                       {SD_TOP "/logs/big.log", AE_IFREG, big, big_len, NULL}};
    write_archive("cut.tar.gz", false, true, e2, 2);
    unsigned char *arch = read_whole("cut.tar.gz", &arch_len);
    write_file("cut.tar.gz", arch, arch_len / 2);
    path_in(path, sizeof path, "cut.tar.gz");
    r = rec_new();
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 2);
    snprintf(expect, sizeof expect, "%s!" SD_TOP "/logs/big.log", path);
    assert_string_equal(r->streams[1].name, expect);
    assert_true(r->streams[1].len > 0 && r->streams[1].len < big_len);
    assert_memory_equal(r->streams[1].data, big, r->streams[1].len);
    assert_true(rec_warned(r, expect, "truncated"));
    assert_int_equal(r->summary.input_errors, 1);
    rec_free(r);

    free(big);
    free(arch);
    free(zlog);
    free(zst);
    free(gz);
    free(inner_tar);
    free(inner_tgz);
}

static void test_zip_and_plain_tar(void **state)
{
    (void)state;
    unsigned char binary[2000];
    memset(binary, 0, sizeof binary);
    test_entry e[] = {{"one.log", AE_IFREG, "first\n", 6, NULL},
                      {"dir/", AE_IFDIR, NULL, 0, NULL},
                      {"dir/blob.bin", AE_IFREG, binary, sizeof binary, NULL},
                      {"dir/two.crash", AE_IFREG, "Process: App\n", 13, NULL}};
    write_archive("bundle.zip", true, false, e, 4);
    write_archive("bundle.tar", false, false, e, 4);
    const char *names[] = {"bundle.zip", "bundle.tar"};
    for (int i = 0; i < 2; i++) {
        char path[512], expect[600];
        path_in(path, sizeof path, names[i]);
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
        if (r->n_streams != 2) rec_dump(r);
        assert_int_equal(r->n_streams, 2);
        snprintf(expect, sizeof expect, "%s!one.log", path);
        assert_string_equal(r->streams[0].name, expect);
        assert_memory_equal(r->streams[0].data, "first\n", 6);
        snprintf(expect, sizeof expect, "%s!dir/two.crash", path);
        assert_string_equal(r->streams[1].name, expect);
        assert_memory_equal(r->streams[1].data, "Process: App\n", 13);
        assert_int_equal(r->summary.input_errors, 0);
        rec_free(r);
    }
}

static void test_hostile_member_names(void **state)
{
    (void)state;
    char abs_dir[128], abs_member[192];
    snprintf(abs_dir, sizeof abs_dir, "/tmp/te_io_abs_%ld", (long)getpid());
    snprintf(abs_member, sizeof abs_member, "%s/evil", abs_dir);
    test_entry e[] = {
        {"../evil", AE_IFREG, "up\n", 3, NULL},     {abs_member, AE_IFREG, "abs\n", 4, NULL},
        {"link", AE_IFLNK, NULL, 0, "/etc/passwd"}, {"hard", TEST_HARDLINK, NULL, 0, "../evil"},
        {"dev", AE_IFCHR, NULL, 0, NULL},           {"ok.log", AE_IFREG, "fine\n", 5, NULL}};
    write_archive("hostile.tar.gz", false, true, e, sizeof e / sizeof e[0]);
    make_dir("work");

    char path[512], work[512], cwd[1024], expect[1024];
    path_in(path, sizeof path, "hostile.tar.gz");
    path_in(work, sizeof work, "work");
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(work), 0);
    size_t before = 0, after = 0;
    DIR *d = opendir(tmp_root);
    while (readdir(d))
        before++;
    closedir(d);

    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_int_equal(chdir(cwd), 0);

    assert_int_equal(r->n_streams, 3);
    snprintf(expect, sizeof expect, "%s!../evil", path);
    assert_string_equal(r->streams[0].name, expect);
    snprintf(expect, sizeof expect, "%s!%s", path, abs_member);
    assert_string_equal(r->streams[1].name, expect);
    assert_memory_equal(r->streams[1].data, "abs\n", 4);
    assert_int_equal(r->summary.members_skipped, 3); /* symlink, hard link, device */
    assert_true(rec_warned(r, "!link", "symbolic link"));
    assert_true(rec_warned(r, "!hard", "hard link"));
    assert_true(rec_warned(r, "!dev", "special file"));
    /* nothing was written anywhere */
    struct stat st;
    char evil[600];
    path_in(evil, sizeof evil, "evil");
    assert_int_not_equal(stat(evil, &st), 0);
    assert_int_not_equal(stat(abs_dir, &st), 0);
    d = opendir(tmp_root);
    while (readdir(d))
        after++;
    closedir(d);
    assert_int_equal(before, after);
    d = opendir(work);
    size_t in_work = 0;
    while (readdir(d))
        in_work++;
    closedir(d);
    assert_int_equal(in_work, 2); /* "." and ".." */
    rec_free(r);
}

/* Archives and compressed files found in a directory walk are opened;
 * FIFOs in the tree are skipped without blocking. */
static void test_directory_with_archives(void **state)
{
    (void)state;
    size_t gz_len;
    void *gz = gzip_pack("zipped line\n", 12, &gz_len);
    make_dir("mixed");
    write_file("mixed/app.log.gz", gz, gz_len);
    test_entry e[] = {{"inside.log", AE_IFREG, "inside\n", 7, NULL}};
    write_archive("mixed/bundle.tar.gz", false, true, e, 1);
    char fifo[512], root[512], expect[700];
    path_in(fifo, sizeof fifo, "mixed/pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    path_in(root, sizeof root, "mixed");
    rec *r = rec_new();
    te_error err = {0};
    double t0 = now_s();
    assert_int_equal(read_path(r, root, NULL, &err), TE_OK);
    assert_true(now_s() - t0 < 5.0);
    assert_int_equal(r->n_streams, 2);
    snprintf(expect, sizeof expect, "%s/app.log.gz", root);
    assert_string_equal(r->streams[0].name, expect);
    assert_memory_equal(r->streams[0].data, "zipped line\n", 12);
    snprintf(expect, sizeof expect, "%s/bundle.tar.gz!inside.log", root);
    assert_string_equal(r->streams[1].name, expect);
    assert_true(rec_warned(r, "pipe", "special file"));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);
    free(gz);
}

/* TE_MAX_DIR_DEPTH: deeper directories are noted and skipped. */
static void test_directory_depth(void **state)
{
    (void)state;
    char rel[512] = "deep";
    make_dir(rel);
    write_file("deep/top.log", "top\n", 4);
    for (unsigned i = 1; i <= TE_MAX_DIR_DEPTH + 2; i++) {
        size_t n = strlen(rel);
        snprintf(rel + n, sizeof rel - n, "/d");
        make_dir(rel);
        if (i == TE_MAX_DIR_DEPTH) {
            char file[560];
            snprintf(file, sizeof file, "%s/at-limit.log", rel);
            write_file(file, "ok\n", 3);
        }
    }
    char root[512];
    path_in(root, sizeof root, "deep");
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, root, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 2); /* top.log and the file at the limit */
    assert_non_null(strstr(r->streams[0].name, "at-limit.log"));
    assert_true(rec_warned(r, "nested too deep", NULL));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);
}

/* bzip2 and xz through libarchive, when this build has them. */
static void test_bzip2_xz(void **state)
{
    (void)state;
    const char *log = "compressed with bzip2 or xz\n";
    for (int k = 0; k < 2; k++) {
        char path[512];
        path_in(path, sizeof path, k ? "x.log.xz" : "x.log.bz2");
        struct archive *a = archive_write_new();
        int rc = k ? archive_write_add_filter_xz(a) : archive_write_add_filter_bzip2(a);
        if (rc != ARCHIVE_OK) { /* not in this libarchive build */
            archive_write_free(a);
            continue;
        }
        archive_write_set_format_raw(a);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, "data");
        archive_entry_set_filetype(e, AE_IFREG);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        archive_write_data(a, log, strlen(log));
        archive_entry_free(e);
        archive_write_close(a);
        archive_write_free(a);
        rec *r = rec_new();
        te_error err = {0};
        assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
        assert_int_equal(r->n_streams, 1);
        assert_string_equal(r->streams[0].name, path);
        assert_int_equal(r->streams[0].len, strlen(log));
        assert_memory_equal(r->streams[0].data, log, strlen(log));
        rec_free(r);
    }
}

/* TE_MAX_ARCHIVE_MEMBERS: the rest of the archive is skipped, with a warning. */
static void test_member_limit(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "many.tar.gz");
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_ustar(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *entry = archive_entry_new();
    for (unsigned i = 0; i < TE_MAX_ARCHIVE_MEMBERS + 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "d%u/", i);
        archive_entry_clear(entry);
        archive_entry_set_pathname(entry, name);
        archive_entry_set_filetype(entry, AE_IFDIR);
        archive_entry_set_perm(entry, 0755);
        assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
    }
    archive_entry_clear(entry);
    archive_entry_set_pathname(entry, "last.log");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, 5);
    assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, "last\n", 5), 5);
    archive_entry_free(entry);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);

    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_int_equal(r->n_streams, 0);
    assert_true(rec_warned(r, path, "more than 100000 members"));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);
}

/* Damaged archives and compressed files (bytes flipped, cut anywhere): never
 * a crash, every begin has its end, the run goes on. */
static void test_damaged_inputs(void **state)
{
    (void)state;
    size_t text_len = 200000, zst_len;
    unsigned char *text = make_lines(text_len);
    void *zst = zstd_pack(text, text_len, &zst_len);
    test_entry e[] = {{"top/", AE_IFDIR, NULL, 0, NULL},
                      {"top/a.log", AE_IFREG, text, 5000, NULL},
                      {"top/b.log.zst", AE_IFREG, zst, zst_len, NULL},
                      {"top/c.log", AE_IFREG, text, text_len, NULL}};
    write_archive("good.tar.gz", false, true, e, 4);
    write_archive("good.zip", true, false, e, 4);
    write_archive("good.tar", false, false, e, 4);
    const char *sources[] = {"good.tar.gz", "good.zip", "good.tar"};
    unsigned seed = 12345;
    char path[512];
    path_in(path, sizeof path, "damaged");
    for (int s = 0; s < 3; s++) {
        size_t len;
        unsigned char *orig = read_whole(sources[s], &len);
        unsigned char *copy = malloc(len);
        for (int round = 0; round < 60; round++) {
            memcpy(copy, orig, len);
            size_t use = len;
            if (round % 3 == 0) {
                seed = seed * 1103515245u + 12345u;
                use = (seed >> 8) % len; /* cut */
            } else {
                for (int k = 0; k < 1 + round % 5; k++) { /* flip bytes */
                    seed = seed * 1103515245u + 12345u;
                    size_t at = (seed >> 8) % len;
                    seed = seed * 1103515245u + 12345u;
                    copy[at] ^= (unsigned char)(1 + (seed >> 16) % 255);
                }
            }
            write_file("damaged", copy, use);
            rec *r = rec_new();
            r->store_max = 0;
            te_error err = {0};
            assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
            rec_free(r);
        }
        free(copy);
        free(orig);
    }
    free(text);
    free(zst);
}

/* ---- decompression bombs -------------------------------------------------------- */

#define BOMB_PIECE (64u << 20)
#define BOMB_PIECES 16 /* 16 x 64 MiB = 1 GiB of zeros */

/* 1 GiB of zeros as a multi-member gzip: 64 MiB of zeros streamed through
 * the compressor once, the member repeated (a valid gzip file). */
static void write_gzip_bomb(const char *rel, const void *prefix, size_t prefix_len,
                            const void *suffix, size_t suffix_len)
{
    unsigned char *zeros = calloc(1, BOMB_PIECE);
    size_t piece_len, len;
    void *piece = gzip_pack(zeros, BOMB_PIECE, &piece_len);
    char path[512];
    path_in(path, sizeof path, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (prefix_len) {
        void *p = gzip_pack(prefix, prefix_len, &len);
        fwrite(p, 1, len, f);
        free(p);
    }
    for (int i = 0; i < BOMB_PIECES; i++)
        assert_int_equal(fwrite(piece, 1, piece_len, f), piece_len);
    if (suffix_len) {
        void *p = gzip_pack(suffix, suffix_len, &len);
        fwrite(p, 1, len, f);
        free(p);
    }
    fclose(f);
    free(piece);
    free(zeros);
}

static void tar_header(unsigned char h[512], const char *name, uint64_t size)
{
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

static void test_gzip_bomb(void **state)
{
    (void)state;
    write_gzip_bomb("zeros.gz", NULL, 0, NULL, 0);
    char path[512];
    path_in(path, sizeof path, "zeros.gz");
    rec *r = rec_new();
    r->store_max = 0;
    te_error err = {0};
    double t0 = now_s();
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    double took = now_s() - t0;
    if (r->n_streams != 1) rec_dump(r);
    assert_int_equal(r->n_streams, 1);
    fprintf(stderr, "  gzip bomb stopped after %.2f s, %llu bytes\n", took,
            (unsigned long long)r->streams[0].total);
    assert_true(took < 20.0);
    assert_int_equal(r->n_streams, 1);
    assert_true(r->streams[0].ended);
    assert_true(r->streams[0].total < (1ull << 30));
    assert_true(rec_warned(r, path, "expands absurdly"));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);

    /* a tar.gz whose first member is the bomb (binary: skipped, so the
     * guard must act while libarchive skips it) and a log after it */
    unsigned char head[512], tail[512 + 512 + 1024];
    tar_header(head, "zeros.bin", (uint64_t)BOMB_PIECE * BOMB_PIECES);
    memset(tail, 0, sizeof tail);
    tar_header(tail, "after.log", 6);
    memcpy(tail + 512, "after\n", 6);
    write_gzip_bomb("zeros.tar.gz", head, sizeof head, tail, sizeof tail);
    path_in(path, sizeof path, "zeros.tar.gz");
    r = rec_new();
    t0 = now_s();
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    took = now_s() - t0;
    fprintf(stderr, "  tar.gz bomb stopped after %.2f s\n", took);
    if (!rec_warned(r, path, "expands absurdly")) rec_dump(r);
    assert_true(took < 20.0);
    assert_int_equal(r->n_streams, 0);
    assert_true(rec_warned(r, path, "expands absurdly"));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);
}

static void test_zstd_bomb(void **state)
{
    (void)state;
    unsigned char *zeros = calloc(1, BOMB_PIECE);
    size_t len;
    void *piece = zstd_pack(zeros, BOMB_PIECE, &len);
    char path[512];
    path_in(path, sizeof path, "zeros.zst");
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < BOMB_PIECES; i++)
        fwrite(piece, 1, len, f);
    fclose(f);
    rec *r = rec_new();
    r->store_max = 0;
    te_error err = {0};
    double t0 = now_s();
    assert_int_equal(read_path(r, path, NULL, &err), TE_OK);
    assert_true(now_s() - t0 < 10.0);
    assert_int_equal(r->n_streams, 1);
    assert_true(r->streams[0].total < (64ull << 20));
    assert_true(rec_warned(r, path, "expands absurdly"));
    assert_int_equal(r->summary.members_skipped, 1);
    rec_free(r);
    free(piece);
    free(zeros);
}

/* ---- stdin and live input ---------------------------------------------------------- */

/* Runs te_io_read_path("-") with the read end of a pipe as stdin; the child
 * process runs writer(fd) on the write end. */
typedef void (*pipe_writer)(int fd, const void *arg);

static te_status read_stdin_pipe(rec *r, pipe_writer writer, const void *arg,
                                 const te_io_options *options, te_error *err, pid_t *child_out)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        writer(p[1], arg);
        close(p[1]);
        _exit(0);
    }
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(p[0], STDIN_FILENO) >= 0);
    close(p[0]);
    te_status status = read_path(r, "-", options, err);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    if (child_out) {
        *child_out = pid;
    } else {
        int ws;
        waitpid(pid, &ws, 0);
    }
    return status;
}

typedef struct blob {
    const void *data;
    size_t len;
} blob;

static void write_blob_slowly(int fd, const void *arg)
{
    const blob *b = arg;
    const unsigned char *p = b->data;
    size_t at = 0;
    while (at < b->len) {
        size_t n = b->len - at < 4096 ? b->len - at : 4096;
        ssize_t w = write(fd, p + at, n);
        if (w <= 0) break;
        at += (size_t)w;
    }
}

static void test_zstd_stdin(void **state)
{
    (void)state;
    size_t n = 500000, zst_len;
    unsigned char *text = make_lines(n);
    void *zst = zstd_pack(text, n, &zst_len);
    blob b = {zst, zst_len};
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_stdin_pipe(r, write_blob_slowly, &b, NULL, &err, NULL), TE_OK);
    assert_int_equal(r->n_streams, 1);
    assert_string_equal(r->streams[0].name, "<stdin>");
    assert_int_equal(r->streams[0].len, n);
    assert_memory_equal(r->streams[0].data, text, n);
    assert_int_equal(r->n_warnings, 0);
    rec_free(r);

    /* a tar.gz on stdin (no seeking possible) */
    test_entry e[] = {{"a.log", AE_IFREG, "alpha\n", 6, NULL}};
    write_archive("stdin.tar.gz", false, true, e, 1);
    size_t len;
    unsigned char *arch = read_whole("stdin.tar.gz", &len);
    blob b2 = {arch, len};
    r = rec_new();
    assert_int_equal(read_stdin_pipe(r, write_blob_slowly, &b2, NULL, &err, NULL), TE_OK);
    assert_int_equal(r->n_streams, 1);
    assert_string_equal(r->streams[0].name, "<stdin>!a.log");
    rec_free(r);

    /* a zip redirected from a file (stdin is seekable) */
    test_entry z[] = {{"z.log", AE_IFREG, "zulu\n", 5, NULL}};
    write_archive("stdin.zip", true, false, z, 1);
    char zpath[512];
    path_in(zpath, sizeof zpath, "stdin.zip");
    int fd = open(zpath, O_RDONLY);
    int saved = dup(STDIN_FILENO);
    assert_true(fd >= 0 && saved >= 0);
    assert_true(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    r = rec_new();
    assert_int_equal(read_path(r, "-", NULL, &err), TE_OK);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    assert_int_equal(r->n_streams, 1);
    assert_string_equal(r->streams[0].name, "<stdin>!z.log");
    assert_memory_equal(r->streams[0].data, "zulu\n", 5);
    rec_free(r);
    free(arch);
    free(text);
    free(zst);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void write_two_lines_slowly(int fd, const void *arg)
{
    (void)arg;
    sleep_ms(150);
    if (write(fd, "line1\n", 6) != 6) return;
    sleep_ms(400);
    if (write(fd, "line2\n", 6) != 6) return;
    sleep_ms(200);
}

static void test_live_ticks(void **state)
{
    (void)state;
    te_io_options live = {.tick_interval_us = 50000};
    rec *r = rec_new();
    te_error err = {0};
    assert_int_equal(read_stdin_pipe(r, write_two_lines_slowly, NULL, &live, &err, NULL), TE_OK);
    assert_int_equal(r->n_streams, 1);
    assert_int_equal(r->streams[0].len, 12);
    assert_memory_equal(r->streams[0].data, "line1\nline2\n", 12);
    /* line1 was passed on at once, not held until the buffer filled */
    assert_string_equal(r->streams[0].first_chunk, "line1\n");
    assert_true(r->ticks >= 5);
    /* ticks while waiting between the lines */
    const char *d = strchr(r->events, 'D');
    assert_non_null(d);
    assert_non_null(strstr(d, "DT"));
    assert_non_null(strstr(strstr(d, "DT"), "TD"));
    rec_free(r);
}

static void hold_pipe_open(int fd, const void *arg)
{
    (void)fd;
    (void)arg;
    sleep_ms(10000); /* killed by the test long before */
}

static void on_alarm(int sig)
{
    (void)sig;
    te_io_request_stop();
}

static void test_stop_requests(void **state)
{
    (void)state;
    /* from a signal handler while blocked in a quiet pipe (no ticks) */
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigemptyset(&sa.sa_mask);
        assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
        struct itimerval it = {{0, 0}, {0, 200000}};
        assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
        rec *r = rec_new();
        te_error err = {0};
        pid_t child;
        double t0 = now_s();
        assert_int_equal(read_stdin_pipe(r, hold_pipe_open, NULL, NULL, &err, &child), TE_OK);
        assert_true(now_s() - t0 < 5.0);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        sigaction(SIGALRM, &old, NULL);
        assert_int_equal(r->n_streams, 1);
        assert_true(r->streams[0].ended);
        assert_int_equal(r->summary.input_errors, 0);
        /* the request stays until cleared */
        char path[512];
        write_file("after-stop.log", "x\n", 2);
        path_in(path, sizeof path, "after-stop.log");
        rec *r2 = rec_new();
        assert_int_equal(read_path(r2, path, NULL, &err), TE_OK);
        assert_int_equal(r2->n_streams, 0);
        rec_free(r2);
        te_io_clear_stop();
        rec_free(r);
    }

    /* from the tick callback of live input */
    te_io_options live = {.tick_interval_us = 20000};
    rec *r = rec_new();
    r->stop_on_tick = true;
    te_error err = {0};
    pid_t child;
    assert_int_equal(read_stdin_pipe(r, hold_pipe_open, NULL, &live, &err, &child), TE_OK);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(r->ticks, 1);
    assert_int_equal(r->n_streams, 1);
    assert_true(r->streams[0].ended);
    te_io_clear_stop();
    rec_free(r);
}

static int use_read_ahead(void **state)
{
    (void)state;
    read_ahead = true;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test_setup_teardown(test_plain_crlf_empty, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_missing_file, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_usage),
        cmocka_unit_test_setup_teardown(test_begin_refused_and_data_failure, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_directory_walk, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_directory_logarchive, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_gzip_and_zstd_files, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_truncated_streams, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_sysdiagnose_archive, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_zip_and_plain_tar, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_hostile_member_names, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_directory_with_archives, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_directory_depth, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_bzip2_xz, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_member_limit, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_damaged_inputs, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_gzip_bomb, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_zstd_bomb, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_zstd_stdin, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_live_ticks, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_stop_requests, setup_tmp, teardown_tmp),
    };
    int failed = cmocka_run_group_tests_name("io", tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("io with read-ahead", tests, use_read_ahead, NULL);
}
