/* libFuzzer target: the io layer (compression and archive detection and
 * decoding) on a temporary file holding the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
    size_t total = 0;
    te_summary summary = {0};
    te_io_sink sink = {sink_begin, sink_data, sink_end, sink_warn, NULL, &total, &summary};
    te_io_options options = {0, false};
    te_error err;
    te_io_read_path(path, &options, &sink, &err);
    unlink(path);
    return 0;
}
