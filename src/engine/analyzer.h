/* Internal hooks of the analyzer (src/engine/analyzer.c) for the examples
 * runner, tests and fuzzers. The public API is in include/tediag/tediag.h. */
#ifndef TE_ANALYZER_H
#define TE_ANALYZER_H

#include "tediag/tediag.h"
#include "engine/match.h"

/* Observe every match before it reaches the correlator (on_incident may be
 * NULL in te_analyzer_new when only matches are wanted). */
typedef void (*te_match_hook_fn)(void *ctx, const te_match *match);
void te_analyzer_set_match_hook(te_analyzer *a, te_match_hook_fn fn, void *ctx);

/* Feeds a whole in-memory text as one source named `name` (begin, feed, end). */
te_status te_analyzer_feed_text(te_analyzer *a, const char *name, const char *text, size_t len,
                                te_error *err);

#endif
