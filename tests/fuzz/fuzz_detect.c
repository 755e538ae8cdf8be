/* libFuzzer target: format detection over the first lines of the input. */
#include <stdint.h>
#include <string.h>

#include "engine/limits.h"
#include "input/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    te_str lines[TE_DETECT_LINES];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < TE_DETECT_LINES; i++) {
        if (i == size || data[i] == '\n') {
            size_t end = i;
            if (end > start && data[end - 1] == '\r') end--;
            lines[n++] = te_str_make((const char *)data + start, end - start);
            start = i + 1;
        }
    }
    char why[256];
    const te_reader_ops *r = te_detect_format(lines, n, why, sizeof why);
    return r ? 0 : 0;
}
