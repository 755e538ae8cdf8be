/* Gate + matcher tests on hand-built events: process dispatch, predicates,
 * prefilters, captures, case-insensitive literals, the regex limit on a
 * catastrophic pattern, and te_match_facts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/match.h"
#include "rules/ruleset_impl.h"

#define MAX_SEEN 16

typedef struct seen_match {
    char id[64];
    char pattern[64];
    size_t n_captures;
    char names[TE_MAX_CAPTURES][32];
    char values[TE_MAX_CAPTURES][256];
} seen_match;

typedef struct seen {
    seen_match items[MAX_SEEN];
    size_t n;
} seen;

static te_ruleset *rules;
static te_matcher *matcher;
static te_summary summary;
static seen got;

static void on_match(void *ctx, const te_match *match)
{
    seen *s = ctx;
    if (s->n >= MAX_SEEN) return;
    seen_match *m = &s->items[s->n++];
    snprintf(m->id, sizeof m->id, "%s", match->pattern->rule->info.id);
    snprintf(m->pattern, sizeof m->pattern, "%s", match->pattern->name);
    m->n_captures = match->n_captures;
    for (size_t i = 0; i < match->n_captures; i++) {
        snprintf(m->names[i], sizeof m->names[i], "%s", match->captures[i].name);
        te_copy_cstr(m->values[i], sizeof m->values[i], match->captures[i].value);
    }
}

static int setup(void **state)
{
    (void)state;
    const char *paths[] = {FIXTURES "/matcher"};
    te_error err;
    rules = te_ruleset_load(paths, 1, &err);
    if (!rules) fprintf(stderr, "%s\n", err.message);
    matcher = rules ? te_matcher_new(rules, &err) : NULL;
    return matcher ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    te_matcher_free(matcher);
    te_ruleset_free(rules);
    return 0;
}

typedef struct event_fields {
    const char *process, *sender, *subsystem, *category, *type;
} event_fields;

/* Runs one event; returns the number of matches (details in `got`). */
static size_t run(event_fields f, const char *message)
{
    te_event e;
    memset(&e, 0, sizeof e);
    e.pid = -1;
    e.thread = -1;
    e.process = te_str_cstr(f.process ? f.process : "");
    e.sender = te_str_cstr(f.sender ? f.sender : "");
    e.subsystem = te_str_cstr(f.subsystem ? f.subsystem : "");
    e.category = te_str_cstr(f.category ? f.category : "");
    e.type = te_str_cstr(f.type ? f.type : "");
    e.message = te_str_cstr(message);
    memset(&got, 0, sizeof got);
    size_t n = te_matcher_run(matcher, &e, on_match, &got, &summary);
    assert_int_equal(n, got.n);
    return n;
}

static const char *capture(const seen_match *m, const char *name)
{
    for (size_t i = 0; i < m->n_captures; i++)
        if (strcmp(m->names[i], name) == 0) return m->values[i];
    return NULL;
}

static const char *AMFID_LINE =
    "/Applications/X.app/Contents/MacOS/X not valid: Error Domain=AppleMobileFileIntegrityError "
    "Code=-413 \"No matching profile found\"";

static void test_process_dispatch(void **state)
{
    (void)state;
    assert_int_equal(run((event_fields){.process = "amfid"}, AMFID_LINE), 1);
    assert_string_equal(got.items[0].id, "m1-proc");
    assert_string_equal(got.items[0].pattern, "amfid_413");
    assert_string_equal(capture(&got.items[0], "path"), "/Applications/X.app/Contents/MacOS/X");
    /* another process: not a candidate */
    assert_int_equal(run((event_fields){.process = "kernel"}, AMFID_LINE), 0);
    /* no process (pasted text): every pattern is a candidate */
    assert_int_equal(run((event_fields){0}, AMFID_LINE), 1);
}

static void test_predicates(void **state)
{
    (void)state;
    const char *line = "com.example.A: Unsatisfied entitlements: com.apple.foo, com.apple.bar";
    event_fields full = {"taskgated-helper", "libfoo.dylib", "com.apple.foo", "entitlements",
                         "Error"};
    assert_int_equal(run(full, line), 1);
    assert_string_equal(got.items[0].pattern, "unsatisfied");
    assert_string_equal(capture(&got.items[0], "bundle_id"), "com.example.A");
    assert_string_equal(capture(&got.items[0], "entitlements"), "com.apple.foo, com.apple.bar");

    event_fields other = full;
    other.process = "taskgated"; /* second name of the list */
    assert_int_equal(run(other, line), 1);
    other = full;
    other.sender = "other.dylib";
    assert_int_equal(run(other, line), 0);
    other = full;
    other.subsystem = "com.apple.bar";
    assert_int_equal(run(other, line), 0);
    other = full;
    other.category = "x";
    assert_int_equal(run(other, line), 0);
    other = full;
    other.type = "Default";
    assert_int_equal(run(other, line), 0);
    /* fields the event does not have never reject */
    assert_int_equal(run((event_fields){.process = "taskgated-helper"}, line), 1);
}

static void test_any_process_and_unset_groups(void **state)
{
    (void)state;
    const char *line = "Exception Type:        EXC_CRASH (Code Signature Invalid)";
    assert_int_equal(run((event_fields){.process = "MyApp", .type = "crash"}, line), 1);
    assert_string_equal(got.items[0].id, "m2-any");
    assert_int_equal(got.items[0].n_captures, 1); /* `sig` did not participate */
    assert_string_equal(got.items[0].names[0], "reason");
    assert_string_equal(got.items[0].values[0], "Code Signature Invalid");
    assert_int_equal(run((event_fields){.process = "MyApp", .type = "Error"}, line), 0);
    assert_int_equal(run((event_fields){0}, line), 1);
    assert_int_equal(
        run((event_fields){0}, "Exception Type:  EXC_CRASH (SIGKILL (Code Signature Invalid))"), 1);
    assert_string_equal(got.items[0].names[0], "sig");
}

static void test_prefilter(void **state)
{
    (void)state;
    /* the regex alone would match: the prefilter rejects first */
    assert_int_equal(run((event_fields){0}, "x12y"), 0);
    assert_int_equal(run((event_fields){0}, "HAYSTACK x12y"), 1);
    assert_int_equal(run((event_fields){0}, "x12y NEEDLE"), 1);
    assert_int_equal(run((event_fields){0}, "NEEDLE only"), 0);
    /* a weak explicit prefilter: the gate uses the derived literal, the
     * prefilter still has to be present */
    assert_int_equal(run((event_fields){0}, "strong literal here 5"), 0);
    assert_int_equal(run((event_fields){0}, "strong literal here 5 (extra)"), 0);
    assert_int_equal(run((event_fields){0}, "EXTRA: strong literal here 5"), 1);
    assert_string_equal(got.items[0].pattern, "weak");
}

static void test_icase(void **state)
{
    (void)state;
    assert_int_equal(run((event_fields){.process = "syspolicyd"}, "GATEKEEPER REJECTED /tmp/a"), 1);
    assert_string_equal(got.items[0].id, "m5-icase");
    assert_string_equal(capture(&got.items[0], "path"), "/tmp/a");
    assert_int_equal(run((event_fields){0}, "gatekeeper rejected"), 0);
}

static void test_counts_and_order(void **state)
{
    (void)state;
    te_summary before = summary;
    /* one message for two rules: matches arrive in rule order */
    const char *line = "NEEDLE x1y Gatekeeper rejected /tmp/b";
    assert_int_equal(run((event_fields){0}, line), 2);
    assert_string_equal(got.items[0].id, "m3-prefilter");
    assert_string_equal(got.items[1].id, "m5-icase");
    assert_int_equal(summary.matches, before.matches + 2);
    /* empty and huge messages are fine */
    assert_int_equal(run((event_fields){0}, ""), 0);
}

static void test_catastrophic_regex(void **state)
{
    (void)state;
    size_t len = 100 * 1024;
    char *line = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        line[i] = (i % 7 == 6) ? ' ' : 'a';
    line[60000] = '!'; /* within the TE_MAX_MATCH_SUBJECT bytes the regex sees */
    line[len] = '\0';
    uint64_t hits = summary.regex_limit_hits;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run((event_fields){0}, line), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(seconds < 2.0);
    assert_int_equal(summary.regex_limit_hits, hits + 1);
    const te_rule_info *info = te_ruleset_find(rules, "m4-catastrophic");
    size_t index = 0;
    while (te_ruleset_rule(rules, index) != info)
        index++;
    assert_int_equal(te_matcher_limit_hits(matcher, index), 1);
    free(line);
}

/* ---- te_match_facts ------------------------------------------------------------ */

typedef struct fact_list {
    char items[32][300];
    size_t n;
} fact_list;

static void on_fact(void *ctx, const char *name, te_str value)
{
    fact_list *list = ctx;
    if (list->n >= 32) return;
    snprintf(list->items[list->n++], sizeof list->items[0], "%s=%.*s", name, (int)value.len,
             value.ptr);
}

static bool has(const fact_list *list, const char *item)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i], item) == 0) return true;
    return false;
}

typedef struct fact_run {
    fact_list *list;
    size_t matches;
} fact_run;

static void apply_facts(void *ctx, const te_match *match)
{
    fact_run *r = ctx;
    r->matches++;
    te_match_facts(match, on_fact, r->list);
}

/* Matches a message (it must match exactly one pattern, of m6-facts) and
 * collects what te_match_facts makes of it. */
static void facts_of(const char *message, fact_list *out)
{
    memset(out, 0, sizeof *out);
    te_event e;
    memset(&e, 0, sizeof e);
    e.pid = -1;
    e.message = te_str_cstr(message);
    fact_run r = {out, 0};
    te_matcher_run(matcher, &e, apply_facts, &r, NULL);
    assert_int_equal(r.matches, 1);
}

static void test_facts(void **state)
{
    (void)state;
    fact_list f;
    facts_of("FACTS: ents=com.apple.foo, , com.apple.bar ,<private>; "
             "path=/Applications/X.app/Contents/MacOS/X; code=-67062; team=<private>;",
             &f);
    assert_true(has(&f, "entitlements=com.apple.foo"));
    assert_true(has(&f, "entitlements=com.apple.bar"));
    assert_true(has(&f, "path=/Applications/X.app/Contents/MacOS/X"));
    assert_true(has(&f, "code=-67062"));
    assert_true(has(&f, "binary=X"));
    assert_true(has(&f, "error_name=errSecCSUnsigned"));
    assert_true(has(&f, "ent_prefix=foo"));
    assert_true(has(&f, "ent_prefix=bar"));
    /* dropped: <private> items and values, the unset group */
    for (size_t i = 0; f.n != 8 && i < f.n; i++)
        fprintf(stderr, "fact %s\n", f.items[i]);
    assert_int_equal(f.n, 8);

    facts_of("FACTS: ents=; path=(null); code=-413; team= ABCDE12345 ; opt=yes", &f);
    assert_true(has(&f, "code=-413"));
    assert_true(has(&f, "error_name=errSecCSReqFailed"));
    assert_true(has(&f, "team_id=ABCDE12345")); /* trimmed */
    assert_true(has(&f, "optional=yes"));
    assert_int_equal(f.n, 4); /* no path, no binary (derived from nothing), no entitlements */

    facts_of("FACTS: ents=x; path=/bin/ls; code=5; team=T;", &f);
    assert_true(has(&f, "binary=ls"));
    assert_false(has(&f, "error_name=errSecCSUnsigned")); /* not in the map */
    assert_int_equal(f.n, 5);
    const te_rule *rule = te_ruleset_rule_at(rules, 5);
    assert_string_equal(rule->info.id, "m6-facts");
    assert_true(te_rule_fact_is_list(rule, "team_id"));
    assert_true(te_rule_fact_is_list(rule, "entitlements"));
    assert_false(te_rule_fact_is_list(rule, "binary"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_dispatch),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_any_process_and_unset_groups),
        cmocka_unit_test(test_prefilter),
        cmocka_unit_test(test_icase),
        cmocka_unit_test(test_counts_and_order),
        cmocka_unit_test(test_catastrophic_regex),
        cmocka_unit_test(test_facts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
