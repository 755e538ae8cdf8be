/* Correlator tests over real rules: small YAML fixtures (the .yml files of fixtures/)
 * loaded with te_ruleset_load, so conditions, supersedes by id, the facts:
 * section (split, list) and template rendering are the real ones. Matches
 * are built as the matcher would deliver them (pattern, event, captures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/correlate.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must name tests/unit/correlate/fixtures"
#endif

#define SEC 1000000LL
#define T0 (1704926163LL * SEC)

typedef struct seen_incident {
    char rule_id[64];
    char process[64];
    char diagnosis[512];
    char fix0[512];
    char also[128];
    char facts[1024]; /* "name=v1|v2;" in order, '*' after a list fact's name */
    size_t n_evidence;
} seen_incident;

typedef struct seen {
    size_t n;
    seen_incident inc[16];
} seen;

static void append(char *dst, size_t cap, const char *s)
{
    size_t len = strlen(dst);
    snprintf(dst + len, cap - len, "%s", s);
}

static void on_incident(const te_incident *inc, void *user)
{
    seen *s = user;
    assert_true(s->n < 16);
    seen_incident *o = &s->inc[s->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->rule_id, sizeof o->rule_id, "%s", inc->rule_id);
    snprintf(o->process, sizeof o->process, "%s", inc->process ? inc->process : "(null)");
    snprintf(o->diagnosis, sizeof o->diagnosis, "%s", inc->diagnosis);
    if (inc->n_fix) snprintf(o->fix0, sizeof o->fix0, "%s", inc->fix[0]);
    for (size_t i = 0; i < inc->n_also; i++) {
        if (i) append(o->also, sizeof o->also, ",");
        append(o->also, sizeof o->also, inc->also[i]);
    }
    for (size_t i = 0; i < inc->n_facts; i++) {
        append(o->facts, sizeof o->facts, inc->facts[i].name);
        if (inc->facts[i].is_list) append(o->facts, sizeof o->facts, "*");
        append(o->facts, sizeof o->facts, "=");
        for (size_t v = 0; v < inc->facts[i].n_values; v++) {
            if (v) append(o->facts, sizeof o->facts, "|");
            append(o->facts, sizeof o->facts, inc->facts[i].values[v]);
        }
        append(o->facts, sizeof o->facts, ";");
    }
    o->n_evidence = inc->n_evidence;
}

typedef struct fixture {
    te_ruleset *rules;
    te_summary summary;
    te_options options;
    te_correlator *c;
    seen seen;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    const char *paths[] = {FIXTURES_DIR};
    te_error err = {0};
    f.rules = te_ruleset_load(paths, 1, &err);
    if (!f.rules) fail_msg("loading the fixtures: %s", err.message);
    f.c = te_correlator_new(f.rules, &f.options, on_incident, &f.seen, &f.summary);
    assert_non_null(f.c);
    te_correlator_begin_source(f.c, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    te_correlator_free(f->c);
    te_ruleset_free(f->rules);
    return 0;
}

static const te_pattern *pattern(const fixture *f, const char *rule_id, const char *name)
{
    for (size_t i = 0; i < te_ruleset_size(f->rules); i++) {
        const te_rule *r = te_ruleset_rule_at(f->rules, i);
        if (strcmp(r->info.id, rule_id) != 0) continue;
        for (size_t p = 0; p < r->n_patterns; p++)
            if (strcmp(r->patterns[p].name, name) == 0) return &r->patterns[p];
    }
    fail_msg("no pattern %s/%s", rule_id, name);
    return NULL;
}

typedef struct test_event {
    te_event event;
    te_match match;
} test_event;

static test_event *make_event(test_event *t, const char *source, uint64_t line, int64_t time_us,
                              const char *process, const char *message)
{
    memset(t, 0, sizeof *t);
    t->event.source = te_str_cstr(source);
    t->event.line = t->event.line_end = line;
    t->event.has_time = t->event.has_date = true;
    t->event.time_us = time_us;
    t->event.process = te_str_cstr(process);
    t->event.pid = -1;
    t->event.thread = -1;
    t->event.message = te_str_cstr(message);
    t->match.event = &t->event;
    return t;
}

static void add_capture(test_event *t, const char *name, const char *value)
{
    te_match *m = &t->match;
    m->captures[m->n_captures].name = name;
    m->captures[m->n_captures].value = te_str_cstr(value);
    m->n_captures++;
}

static void add_extra(test_event *t, const char *key, const char *value)
{
    t->event.extra[t->event.n_extra].key = te_str_cstr(key);
    t->event.extra[t->event.n_extra].value = te_str_cstr(value);
    t->event.n_extra++;
}

static void crash_event(test_event *t, uint64_t line, const char *message)
{
    make_event(t, "A.ips", line, T0 + 2 * SEC, "A", message);
    t->event.type = te_str_cstr("crash");
    t->event.pid = 4242;
    add_extra(t, "pid", "4242");
    add_extra(t, "path", "/Applications/A.app/Contents/MacOS/A");
    add_extra(t, "bundle_id", "com.example.A");
}

static void feed(fixture *f, test_event *t, const te_pattern *p)
{
    t->match.pattern = p;
    te_correlator_add(f->c, &t->match);
}

static void test_cause_with_split_facts_absorbs_crash(void **state)
{
    fixture *f = *state;
    test_event t;
    make_event(&t, "system.log", 10, T0, "taskgated-helper",
               "com.example.A: Unsatisfied entitlements: com.apple.foo, com.apple.bar");
    add_capture(&t, "bundle_id", "com.example.A");
    add_capture(&t, "entitlements", "com.apple.foo, com.apple.bar");
    feed(f, &t, pattern(f, "ent-unsatisfied", "unsatisfied"));
    make_event(&t, "system.log", 11, T0 + 200, "amfid",
               "/Applications/A.app/Contents/MacOS/A not valid: Code=-413");
    add_capture(&t, "path", "/Applications/A.app/Contents/MacOS/A");
    feed(f, &t, pattern(f, "ent-unsatisfied", "amfid_413"));
    make_event(&t, "system.log", 12, T0 + 400, "kernel",
               "AMFI: bailing out because of restricted entitlements");
    feed(f, &t, pattern(f, "ent-unsatisfied", "kernel_bailing"));
    te_correlator_begin_source(f->c, 1);
    crash_event(&t, 9, "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))");
    feed(f, &t, pattern(f, "cs-crash-on-launch", "crash"));
    te_correlator_finish(f->c);

    assert_int_equal(f->seen.n, 1);
    seen_incident *i = &f->seen.inc[0];
    assert_string_equal(i->rule_id, "ent-unsatisfied");
    assert_string_equal(i->also, "cs-crash-on-launch");
    assert_int_equal(i->n_evidence, 4);
    assert_non_null(strstr(i->facts, "entitlements*=com.apple.foo|com.apple.bar;"));
    assert_string_equal(i->diagnosis, "com.example.A claims com.apple.foo, com.apple.bar.");
    assert_string_equal(i->fix0, "codesign -d --entitlements - --xml \"/Applications/A.app\"");
}

static void test_symptom_only_generic(void **state)
{
    fixture *f = *state;
    test_event t;
    crash_event(&t, 9, "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))");
    feed(f, &t, pattern(f, "cs-crash-on-launch", "crash"));
    te_correlator_finish(f->c);
    assert_int_equal(f->seen.n, 1);
    assert_string_equal(f->seen.inc[0].rule_id, "cs-crash-on-launch");
    assert_string_equal(f->seen.inc[0].process, "A");
    assert_string_equal(f->seen.inc[0].diagnosis, "A was killed because of its code signature.");
}

static void test_condition_needs_both_patterns(void **state)
{
    fixture *f = *state;
    test_event t;
    /* The crash line alone: the rule's condition (crash and jit_frame) fails. */
    crash_event(&t, 9, "Exception Type:        EXC_BAD_ACCESS (SIGKILL (Code Signature Invalid))");
    feed(f, &t, pattern(f, "hardened-runtime-jit", "crash"));
    te_correlator_finish(f->c);
    assert_int_equal(f->seen.n, 0);

    crash_event(&t, 9, "Exception Type:        EXC_BAD_ACCESS (SIGKILL (Code Signature Invalid))");
    feed(f, &t, pattern(f, "hardened-runtime-jit", "crash"));
    crash_event(&t, 30, "0   Electron Framework   v8::internal::Heap::Setup + 12");
    add_capture(&t, "frame", "v8::internal::Heap");
    feed(f, &t, pattern(f, "hardened-runtime-jit", "jit_frame"));
    te_correlator_finish(f->c);
    assert_int_equal(f->seen.n, 1);
    seen_incident *i = &f->seen.inc[0];
    assert_string_equal(i->rule_id, "hardened-runtime-jit");
    assert_non_null(strstr(i->facts, "frame*=v8::internal::Heap;")); /* declared list */
    assert_string_equal(
        i->diagnosis,
        "A writes code at run time (v8::internal::Heap) without the JIT entitlement.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cause_with_split_facts_absorbs_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symptom_only_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_condition_needs_both_patterns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
