/* libFuzzer target: the crash-text reader (forced), through matching and correlation. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_run(data, size, "crash-text");
}
