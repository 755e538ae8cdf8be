/* libFuzzer target: the rule loader and compiler (YAML, regexes, templates,
 * conditions) on a temporary rule file holding the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tediag/tediag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tediag-fuzz-rule-XXXXXX.yml";
    int fd = mkstemps(path, 4);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    const char *paths[] = {path};
    te_error err;
    te_ruleset *rules = te_ruleset_load(paths, 1, &err);
    te_ruleset_free(rules);
    unlink(path);
    return 0;
}
