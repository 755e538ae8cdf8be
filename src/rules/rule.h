/* The compiled, immutable form of rules, as the matcher and the correlator
 * see it. Built by the loader (yaml_load.c → compile.c); never modified after
 * te_ruleset_load returns, so one rule set can serve many analyzers. */
#ifndef TE_RULE_H
#define TE_RULE_H

#include <stdint.h>

#include "tediag/tediag.h"
#include "engine/limits.h"
#include "util/text.h"

typedef enum te_role {
    TE_ROLE_CAUSE = 0, /* names the root cause: its rule becomes the incident */
    TE_ROLE_SYMPTOM,   /* generic effect: an incident only if no cause explains it */
    TE_ROLE_CONTEXT    /* evidence only: never makes its rule fire alone */
} te_role;

typedef struct te_rule te_rule;
typedef struct te_pattern_impl te_pattern_impl; /* regex, predicates, literals */

typedef struct te_pattern {
    const te_rule *rule;
    const char *name;
    unsigned index; /* bit of this pattern in a rule's matched mask */
    te_role role;
    te_pattern_impl *impl; /* private to src/rules and src/engine/match.c */
} te_pattern;

typedef struct te_fact_spec te_fact_spec; /* private to src/rules */
typedef struct te_condition te_condition; /* private to src/rules */

struct te_rule {
    te_rule_info info;        /* public view: id, title, severity, summary, fix, refs */
    size_t index;             /* position in the rule set */
    int64_t window_us;        /* link window */
    const size_t *supersedes; /* indexes of rules this one absorbs */
    size_t n_supersedes;
    const char *diagnosis; /* template */
    const te_pattern *patterns;
    size_t n_patterns;
    uint64_t cause_mask;       /* patterns with role cause */
    uint64_t symptom_mask;     /* patterns with role symptom */
    const te_fact_spec *facts; /* facts: section */
    size_t n_facts;
    const te_condition *condition; /* NULL: fires when any cause or symptom matched */
};

/* Internal accessors (src/rules/ruleset.c). */
size_t te_ruleset_size(const te_ruleset *rules);
const te_rule *te_ruleset_rule_at(const te_ruleset *rules, size_t index);

/* True when the rule's condition holds for the set of its patterns that
 * matched (bit i = patterns[i]). Default condition: any cause or symptom. */
bool te_rule_fires(const te_rule *rule, uint64_t matched_mask);

/* True when `name` is declared as a list fact (split, or list: true). */
bool te_rule_fact_is_list(const te_rule *rule, const char *name);

/* Template rendering. `{name}` is replaced by the fact's value, `{name|fallback}`
 * by fallback when the fact is missing, `{{` and `}}` are literal braces; a
 * missing fact without fallback renders as `<name>`. lookup appends the value
 * to out and returns false when missing; `site` tells it what surrounds the
 * placeholder, so a list can be written as prose ("a, b") or, inside a shell
 * argument ("{path}"), as separate arguments. */
typedef struct te_template_site {
    char before; /* the template byte before the placeholder, or 0 */
    char after;  /* the template byte after it, or 0 */
} te_template_site;
typedef bool (*te_fact_lookup_fn)(void *ctx, const char *name, size_t name_len,
                                  te_template_site site, te_buf *out);
bool te_template_render(const char *tmpl, te_fact_lookup_fn lookup, void *ctx, te_buf *out);

#endif
