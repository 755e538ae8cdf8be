/* libFuzzer target: the whole pipeline from bytes to incidents, with format
 * detection, matching, correlation and the JSON writer. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_run(data, size, NULL);
}
