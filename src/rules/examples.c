/* `tediag rules test`: runs every rule's examples through a real analyzer
 * (format detection, reader, gate, matcher) and checks that each `match`
 * example makes its rule fire with the expected facts and that no `nomatch`
 * example does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyzer.h"
#include "rules/ruleset_impl.h"

#define MAX_COLLECTED_FACTS 256u
#define LISTING_BYTES 600u

typedef struct collected_fact {
    char *name;
    char *value;
} collected_fact;

typedef struct collector {
    const te_rule *rule;
    uint64_t mask;
    collected_fact facts[MAX_COLLECTED_FACTS];
    size_t n_facts;
} collector;

static bool has_fact(const collector *c, const char *name, const char *value, size_t value_len)
{
    for (size_t i = 0; i < c->n_facts; i++)
        if (strcmp(c->facts[i].name, name) == 0 && strlen(c->facts[i].value) == value_len &&
            memcmp(c->facts[i].value, value, value_len) == 0)
            return true;
    return false;
}

static void add_fact(collector *c, const char *name, const char *value, size_t value_len)
{
    if (c->n_facts >= MAX_COLLECTED_FACTS || has_fact(c, name, value, value_len)) return;
    char *n = strdup(name), *v = te_str_dup(te_str_make(value, value_len));
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    c->facts[c->n_facts].name = n;
    c->facts[c->n_facts].value = v;
    c->n_facts++;
}

static void on_fact(void *ctx, const char *name, te_str value)
{
    add_fact(ctx, name, value.ptr, value.len);
}

static const char *const link_keys[] = {"pid", "path", "app", "bundle_id", "team_id", NULL};

/* The facts an incident would carry, as the correlator collects them: the
 * rule's facts (te_match_facts) and the link keys among the event's extras
 * (a crash report's pid, path, bundle id). */
static void on_match(void *ctx, const te_match *match)
{
    collector *c = ctx;
    if (match->pattern->rule != c->rule) return;
    c->mask |= 1ull << match->pattern->index;
    te_match_facts(match, on_fact, c);
    const te_event *event = match->event;
    for (size_t i = 0; i < event->n_extra && i < TE_EVENT_MAX_EXTRA; i++)
        for (size_t k = 0; link_keys[k]; k++)
            if (te_str_eq_cstr(event->extra[i].key, link_keys[k]) && event->extra[i].value.len)
                add_fact(c, link_keys[k], event->extra[i].value.ptr, event->extra[i].value.len);
}

/* The `app` link key, derived like the correlator does: the path up to its
 * first ".app/", or the path itself when it ends in ".app". */
static void derive_app_facts(collector *c)
{
    size_t n = c->n_facts;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(c->facts[i].name, "path") != 0) continue;
        const char *path = c->facts[i].value, *at = strstr(path, ".app/");
        size_t len = strlen(path);
        if (at)
            add_fact(c, "app", path, (size_t)(at - path) + 4);
        else if (len > 4 && strcmp(path + len - 4, ".app") == 0)
            add_fact(c, "app", path, len);
    }
}

static void free_collector(collector *c)
{
    for (size_t i = 0; i < c->n_facts; i++) {
        free(c->facts[i].name);
        free(c->facts[i].value);
    }
    c->n_facts = 0;
}

/* "patterns matched: a, b; facts: k=v, ..." for failure messages. */
static void describe(const collector *c, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "patterns matched: ");
    bool any = false;
    for (size_t i = 0; i < c->rule->n_patterns && used < cap; i++) {
        if (!(c->mask & (1ull << i))) continue;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", any ? ", " : "",
                                 c->rule->patterns[i].name);
        any = true;
    }
    if (!any && used < cap) used += (size_t)snprintf(out + used, cap - used, "none");
    if (used < cap) used += (size_t)snprintf(out + used, cap - used, "; facts: ");
    for (size_t i = 0; i < c->n_facts && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s=%s", i ? ", " : "", c->facts[i].name,
                                 c->facts[i].value);
    if (c->n_facts == 0 && used < cap) snprintf(out + used, cap - used, "none");
}

/* Runs one example; prints and returns false on failure. */
static bool run_example(const te_ruleset *rules, const te_rule *rule, const te_example *ex,
                        FILE *out)
{
    const char *kind = ex->match ? "match" : "nomatch";
    const char *file = rule->info.file;
    collector *c = calloc(1, sizeof *c);
    te_analyzer *a = NULL;
    te_error err = {0};
    bool ok = false;
    char listing[LISTING_BYTES];
    if (!c) {
        fprintf(out, "%s:%u: rule %s: %s example %zu: out of memory\n", file, ex->line,
                rule->info.id, kind, ex->number);
        goto done;
    }
    c->rule = rule;

    te_options options;
    te_options_init(&options);
    options.input_format = ex->format;
    a = te_analyzer_new(rules, &options, NULL, NULL, &err);
    if (!a) {
        fprintf(out, "%s:%u: rule %s: %s example %zu: %s\n", file, ex->line, rule->info.id, kind,
                ex->number, err.message);
        goto done;
    }
    te_analyzer_set_match_hook(a, on_match, c);
    char source[1024];
    snprintf(source, sizeof source, "%s:%u", file, ex->line);
    if (te_analyzer_feed_text(a, source, ex->input, ex->input_len, &err) != TE_OK ||
        te_analyzer_finish(a, &err) != TE_OK) {
        fprintf(out, "%s:%u: rule %s: %s example %zu: %s\n", file, ex->line, rule->info.id, kind,
                ex->number, err.message);
        goto done;
    }
    derive_app_facts(c);
    describe(c, listing, sizeof listing);
    bool fired = te_rule_fires(rule, c->mask);
    if (!ex->match) {
        if (fired)
            fprintf(out, "%s:%u: rule %s: nomatch example %zu fired (%s)\n", file, ex->line,
                    rule->info.id, ex->number, listing);
        ok = !fired;
        goto done;
    }
    if (!fired) {
        fprintf(out, "%s:%u: rule %s: match example %zu did not fire (%s)\n", file, ex->line,
                rule->info.id, ex->number, listing);
        goto done;
    }
    ok = true;
    for (size_t f = 0; f < ex->n_facts; f++) {
        const te_example_fact *fact = &ex->facts[f];
        for (size_t v = 0; v < fact->n_values; v++) {
            if (has_fact(c, fact->name, fact->values[v], strlen(fact->values[v]))) continue;
            fprintf(
                out, "%s:%u: rule %s: match example %zu: expected fact %s=%s not extracted (%s)\n",
                file, ex->line, rule->info.id, ex->number, fact->name, fact->values[v], listing);
            ok = false;
        }
    }
done:
    te_analyzer_free(a);
    if (c) free_collector(c);
    free(c);
    return ok;
}

TE_API te_status te_ruleset_run_examples(const te_ruleset *rules, const char *only_id, bool verbose,
                                         FILE *out, size_t *passed, size_t *failed)
{
    size_t n_passed = 0, n_failed = 0;
    te_status status = TE_OK;
    if (!out) out = stdout;
    if (!rules) {
        status = TE_ERR_USAGE;
        goto done;
    }
    if (only_id && !te_ruleset_find(rules, only_id)) {
        fprintf(out, "no rule with id '%s'\n", only_id);
        status = TE_ERR_USAGE;
        goto done;
    }
    for (size_t r = 0; r < rules->n_rules; r++) {
        const te_rule_impl *impl = rules->rules[r];
        const te_rule *rule = &impl->rule;
        if (only_id && strcmp(rule->info.id, only_id) != 0) continue;
        size_t rule_failures = 0;
        for (size_t e = 0; e < impl->n_examples; e++) {
            if (run_example(rules, rule, &impl->examples[e], out))
                n_passed++;
            else {
                n_failed++;
                rule_failures++;
            }
        }
        if (verbose && rule_failures == 0)
            fprintf(out, "ok %s (%zu examples)\n", rule->info.id, impl->n_examples);
        else if (verbose)
            fprintf(out, "FAILED %s (%zu of %zu examples)\n", rule->info.id, rule_failures,
                    impl->n_examples);
    }
done:
    if (passed) *passed = n_passed;
    if (failed) *failed = n_failed;
    return status;
}
