/* Shared set-up of the libFuzzer targets: one rule set loaded once, and an
 * analyzer run over the fuzzer's bytes with a chosen reader. The targets are
 * also built without libFuzzer (-DTE_FUZZ_REPLAY, with replay.c) to replay
 * tests/fuzz/regressions/ in the normal test suite: use nothing of libFuzzer. */
#ifndef TE_FUZZ_COMMON_H
#define TE_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tediag/report.h"
#include "tediag/tediag.h"
#include "te_config.h"

static te_ruleset *fuzz_rules(void)
{
    static te_ruleset *rules;
    if (!rules) {
        const char *path = TE_SOURCE_RULES_DIR;
        te_error err;
        rules = te_ruleset_load(&path, 1, &err);
        if (!rules) abort(); /* the shipped rules must load */
    }
    return rules;
}

static void fuzz_on_incident(const te_incident *inc, void *user)
{
    (void)user;
    /* Exercise the JSON writer on whatever the input produced. */
    char *json = te_incident_to_json(inc, true);
    free(json);
}

/* Feeds data (in two pieces, to cross a buffer boundary) with the reader
 * `format` (NULL: detection). */
static int fuzz_run(const uint8_t *data, size_t size, const char *format)
{
    te_options options;
    te_options_init(&options);
    options.input_format = format;
    te_error err;
    te_analyzer *a = te_analyzer_new(fuzz_rules(), &options, fuzz_on_incident, NULL, &err);
    if (!a) abort();
    size_t half = size / 2;
    te_analyzer_begin_source(a, "fuzz", &err);
    te_analyzer_feed(a, data, half, &err);
    te_analyzer_feed(a, data + half, size - half, &err);
    te_analyzer_end_source(a, &err);
    te_analyzer_finish(a, &err);
    te_analyzer_free(a);
    return 0;
}

#endif
