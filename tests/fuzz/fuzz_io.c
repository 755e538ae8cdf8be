/* libFuzzer target: the io layer (compression and archive detection and
 * decoding) on a temporary file holding the input, read directly and through
 * the read-ahead thread; both must deliver the same bytes and counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"

static te_status sink_begin(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return TE_OK;
}
static te_status sink_data(void *ctx, const void *bytes, size_t len)
{
    (void)bytes;
    *(size_t *)ctx += len;
    return TE_OK;
}
static te_status sink_end(void *ctx)
{
    (void)ctx;
    return TE_OK;
}
static void sink_warn(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tediag-fuzz-io-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    size_t total = 0, total_ahead = 0;
    te_summary summary = {0}, summary_ahead = {0};
    te_io_sink sink = {sink_begin, sink_data, sink_end, sink_warn, NULL, &total, &summary};
    te_io_sink ahead = {sink_begin, sink_data,    sink_end,      sink_warn,
                        NULL,       &total_ahead, &summary_ahead};
    te_io_options options = {0, false};
    te_error err;
    te_status st = te_io_read_path(path, &options, &sink, &err);
    te_status st_ahead = te_io_read_path_ahead(path, &options, &ahead, &err);
    unlink(path);
    if (st != st_ahead || total != total_ahead ||
        memcmp(&summary, &summary_ahead, sizeof summary) != 0)
        abort(); /* read-ahead must not change what is read */
    return 0;
}
