/* The gate and the matcher: for one event, find the rule patterns that can
 * apply (process/sender dispatch, then a multi-literal prefilter over the
 * message), run their PCRE2 code and report each match with its captures. */
#ifndef TE_MATCH_H
#define TE_MATCH_H

#include "tediag/tediag.h"
#include "rules/rule.h"

typedef struct te_capture {
    const char *name; /* capture group name (owned by the rule set) */
    te_str value;     /* view into the event (valid during the callback) */
} te_capture;

typedef struct te_match {
    const te_pattern *pattern; /* pattern->rule is the rule */
    const te_event *event;
    size_t n_captures;
    te_capture captures[TE_MAX_CAPTURES];
} te_match;

typedef void (*te_match_fn)(void *ctx, const te_match *match);

/* One fact produced from a match after the rule's facts: section (split,
 * derive with from/match, map) is applied. */
typedef void (*te_fact_fn)(void *ctx, const char *name, te_str value);
void te_match_facts(const te_match *match, te_fact_fn fn, void *ctx);

/* Per-analyzer matcher state (PCRE2 match data, scratch). */
typedef struct te_matcher te_matcher;

te_matcher *te_matcher_new(const te_ruleset *rules, te_error *err);
void te_matcher_free(te_matcher *m);
/* Calls fn for every pattern that matches the event. Counts matches and
 * regex_limit_hits in summary. Returns the number of matches. */
size_t te_matcher_run(te_matcher *m, const te_event *event, te_match_fn fn, void *ctx,
                      te_summary *summary);
/* How many times the rule with this index hit a PCRE2 match/depth limit in
 * this matcher (for the summary: which rule is slow on this input). */
uint64_t te_matcher_limit_hits(const te_matcher *m, size_t rule_index);

#endif
