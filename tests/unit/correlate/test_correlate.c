/* Unit tests of the correlator: linking matches of one launch into one
 * context (keys, time, position), closing contexts (window, finish, live
 * quiet time, state cap) and deciding incidents (causes over symptoms,
 * supersedes, minimum severity, facts, evidence). Rules are built by hand
 * as the compiled structures of rule.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "correlate/correlate.h"
#include "rules/ruleset_impl.h" /* te_rule_impl: te_match_facts reads it from any rule */

#define MS 1000LL
#define SEC 1000000LL
#define T0 (1704926163LL * SEC) /* 2024-01-10 22:36:03 UTC */

/* ---- hand-built rules ------------------------------------------------------ */

typedef struct test_rule {
    te_rule_impl impl; /* zeroed: no facts: section, no fact regexes */
    te_pattern patterns[4];
    size_t supersedes[4];
} test_rule;

static void rule_init(test_rule *t, size_t index, const char *id, te_severity severity)
{
    memset(t, 0, sizeof *t);
    t->impl.rule.info.id = id;
    t->impl.rule.info.title = id;
    t->impl.rule.info.severity = severity;
    t->impl.rule.index = index;
    t->impl.rule.window_us = 5 * SEC;
    t->impl.rule.diagnosis = "diagnosis of {path|no path}";
    t->impl.rule.patterns = t->patterns;
    t->impl.rule.supersedes = t->supersedes;
}

static const te_pattern *rule_pattern(test_rule *t, const char *name, te_role role)
{
    size_t i = t->impl.rule.n_patterns++;
    te_pattern *p = &t->patterns[i];
    p->rule = &t->impl.rule;
    p->name = name;
    p->index = (unsigned)i;
    p->role = role;
    if (role == TE_ROLE_CAUSE) t->impl.rule.cause_mask |= 1ull << i;
    if (role == TE_ROLE_SYMPTOM) t->impl.rule.symptom_mask |= 1ull << i;
    return p;
}

static void rule_supersede(test_rule *t, const test_rule *other)
{
    t->supersedes[t->impl.rule.n_supersedes++] = other->impl.rule.index;
}

/* ---- events and matches ------------------------------------------------------ */

typedef struct test_event {
    te_event event;
    te_match match;
} test_event;

/* time_us < 0: the event has no time. */
static test_event *make_event(test_event *t, const char *source, uint64_t line, int64_t time_us,
                              const char *process, const char *message)
{
    memset(t, 0, sizeof *t);
    te_event *e = &t->event;
    e->source = te_str_cstr(source);
    e->line = e->line_end = line;
    e->has_time = time_us >= 0;
    e->has_date = time_us >= 0;
    e->time_us = time_us >= 0 ? time_us : 0;
    e->utc_offset_min = -480;
    e->process = te_str_cstr(process);
    e->pid = -1;
    e->thread = -1;
    e->message = te_str_cstr(message);
    t->match.event = e;
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
    te_event *e = &t->event;
    e->extra[e->n_extra].key = te_str_cstr(key);
    e->extra[e->n_extra].value = te_str_cstr(value);
    e->n_extra++;
}

/* Adds one match of pattern p for the event. */
static void feed(te_correlator *c, test_event *t, const te_pattern *p)
{
    t->match.pattern = p;
    te_correlator_add(c, &t->match);
}

/* ---- collecting incidents (they are only valid during the callback) ------ */

#define MAX_SEEN 600
typedef struct seen_incident {
    char rule_id[64];
    char process[64];
    int64_t pid;
    char path[256];
    char bundle_id[128];
    char diagnosis[512];
    char fix0[256];
    char also[128];      /* ids joined by "," */
    char facts[1024];    /* "name=v1|v2;" in order, '*' after a list fact's name */
    char evidence[2048]; /* "pattern@source;" in order */
    size_t n_evidence;
    size_t evidence_dropped;
    bool has_time;
    int64_t first_seen_us, last_seen_us;
    char first_source[128];
} seen_incident;

typedef struct seen {
    size_t n;
    seen_incident inc[MAX_SEEN];
} seen;

static seen g_seen;

static void append(char *dst, size_t cap, const char *s)
{
    size_t len = strlen(dst);
    snprintf(dst + len, cap - len, "%s", s ? s : "(null)");
}

static void on_incident(const te_incident *inc, void *user)
{
    seen *s = user;
    assert_true(s->n < MAX_SEEN);
    seen_incident *o = &s->inc[s->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->rule_id, sizeof o->rule_id, "%s", inc->rule_id);
    snprintf(o->process, sizeof o->process, "%s", inc->process ? inc->process : "(null)");
    o->pid = inc->pid;
    snprintf(o->path, sizeof o->path, "%s", inc->path ? inc->path : "(null)");
    snprintf(o->bundle_id, sizeof o->bundle_id, "%s", inc->bundle_id ? inc->bundle_id : "(null)");
    snprintf(o->diagnosis, sizeof o->diagnosis, "%s", inc->diagnosis ? inc->diagnosis : "(null)");
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
    for (size_t i = 0; i < inc->n_evidence; i++) {
        append(o->evidence, sizeof o->evidence, inc->evidence[i].pattern);
        append(o->evidence, sizeof o->evidence, "@");
        append(o->evidence, sizeof o->evidence, inc->evidence[i].source);
        append(o->evidence, sizeof o->evidence, ";");
    }
    o->n_evidence = inc->n_evidence;
    o->evidence_dropped = inc->evidence_dropped;
    o->has_time = inc->has_time;
    o->first_seen_us = inc->first_seen_us;
    o->last_seen_us = inc->last_seen_us;
    snprintf(o->first_source, sizeof o->first_source, "%s",
             inc->first_source ? inc->first_source : "(null)");
}

/* ---- fixture: the rules most tests use -------------------------------------- */

typedef struct fixture {
    test_rule unsat;   /* 0: cause taskgated-helper; symptom amfid; context kernel */
    test_rule generic; /* 1: symptom-only: the amfid line and the crash report */
    test_rule adhoc;   /* 2: cause amfid -423; supersedes generic */
    const te_pattern *unsat_cause, *unsat_amfid, *unsat_kernel;
    const te_pattern *generic_amfid, *generic_crash;
    const te_pattern *adhoc_cause;
    te_options options;
    te_summary summary;
    te_correlator *c;
    test_event ev[8];
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    memset(&g_seen, 0, sizeof g_seen);
    rule_init(&f.unsat, 0, "ent-unsatisfied", TE_SEVERITY_ERROR);
    f.unsat.impl.rule.diagnosis =
        "{bundle_id|The app} claims {entitlements|restricted entitlements}.";
    static const char *const unsat_fix[] = {
        "codesign -d --entitlements - \"{app|/path/to/App.app}\""};
    f.unsat.impl.rule.info.fix = unsat_fix;
    f.unsat.impl.rule.info.n_fix = 1;
    f.unsat_cause = rule_pattern(&f.unsat, "unsatisfied", TE_ROLE_CAUSE);
    f.unsat_amfid = rule_pattern(&f.unsat, "amfid_413", TE_ROLE_SYMPTOM);
    f.unsat_kernel = rule_pattern(&f.unsat, "kernel_bailing", TE_ROLE_CONTEXT);
    rule_init(&f.generic, 1, "cs-crash-on-launch", TE_SEVERITY_WARNING);
    f.generic_amfid = rule_pattern(&f.generic, "amfid_any", TE_ROLE_SYMPTOM);
    f.generic_crash = rule_pattern(&f.generic, "crash", TE_ROLE_SYMPTOM);
    rule_init(&f.adhoc, 2, "adhoc-or-unknown-chain", TE_SEVERITY_ERROR);
    f.adhoc_cause = rule_pattern(&f.adhoc, "amfid_423", TE_ROLE_CAUSE);
    rule_supersede(&f.adhoc, &f.generic);
    f.options.min_severity = TE_SEVERITY_INFO;
    f.c = te_correlator_new(NULL, &f.options, on_incident, &g_seen, &f.summary);
    assert_non_null(f.c);
    te_correlator_begin_source(f.c, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    te_correlator_free(f->c);
    return 0;
}

/* Recreates the correlator with f->options. */
static void reopen(fixture *f)
{
    te_correlator_free(f->c);
    f->c = te_correlator_new(NULL, &f->options, on_incident, &g_seen, &f->summary);
    assert_non_null(f->c);
    te_correlator_begin_source(f->c, 0);
}

#define APP_A "/Applications/A.app"
#define EXE_A APP_A "/Contents/MacOS/A"
#define APP_B "/Applications/B.app"
#define EXE_B APP_B "/Contents/MacOS/B"

static void feed_taskgated(fixture *f, test_event *t, uint64_t line, int64_t time_us,
                           const char *bundle_id)
{
    make_event(t, "system.log", line, time_us, "taskgated-helper",
               "Unsatisfied entitlements: com.apple.foo");
    t->event.pid = 612; /* taskgated-helper's own pid: not a link key */
    add_capture(t, "bundle_id", bundle_id);
    add_capture(t, "entitlements", "com.apple.foo");
    feed(f->c, t, f->unsat_cause);
}

static void feed_amfid(fixture *f, test_event *t, uint64_t line, int64_t time_us, const char *path,
                       const te_pattern *p)
{
    make_event(t, "system.log", line, time_us, "amfid", path);
    t->event.pid = 301;
    add_capture(t, "path", path);
    feed(f->c, t, p);
}

static void feed_kernel(fixture *f, test_event *t, uint64_t line, int64_t time_us)
{
    make_event(t, "system.log", line, time_us, "kernel",
               "AMFI: bailing out because of restricted entitlements");
    feed(f->c, t, f->unsat_kernel);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_one_launch_one_incident(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 10, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 11, T0 + 300, EXE_A, f->unsat_amfid);
    feed_kernel(f, &f->ev[2], 12, T0 + 500);
    assert_int_equal(g_seen.n, 0);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    seen_incident *i = &g_seen.inc[0];
    assert_string_equal(i->rule_id, "ent-unsatisfied");
    assert_int_equal(i->n_evidence, 3);
    assert_string_equal(i->evidence, "ent-unsatisfied/unsatisfied@system.log:10;"
                                     "ent-unsatisfied/amfid_413@system.log:11;"
                                     "ent-unsatisfied/kernel_bailing@system.log:12;");
    assert_string_equal(i->bundle_id, "com.example.A");
    assert_string_equal(i->path, EXE_A);
    assert_string_equal(i->process, "A");
    assert_int_equal(i->pid, -1); /* taskgated-helper's pid is its own */
    assert_non_null(strstr(i->facts, "app=" APP_A ";"));
    assert_non_null(strstr(i->facts, "entitlements=com.apple.foo;"));
    assert_string_equal(i->diagnosis, "com.example.A claims com.apple.foo.");
    assert_string_equal(i->fix0, "codesign -d --entitlements - \"" APP_A "\"");
    assert_true(i->has_time);
    assert_int_equal(i->first_seen_us, T0);
    assert_int_equal(i->last_seen_us, T0 + 500);
    assert_string_equal(i->first_source, "system.log:10");
    assert_int_equal(f->summary.incidents, 1);
}

static void test_two_apps_same_time(void **state)
{
    fixture *f = *state;
    /* Two launches interleaved within the same millisecond: the apps conflict. */
    feed_amfid(f, &f->ev[0], 1, T0, EXE_A, f->unsat_amfid);
    feed_amfid(f, &f->ev[1], 2, T0 + 50, EXE_B, f->unsat_amfid);
    make_event(&f->ev[2], "system.log", 3, T0 + 100, "kernel",
               "ASP: Security policy would not allow process: 100, " EXE_A);
    add_capture(&f->ev[2], "pid", "100");
    add_capture(&f->ev[2], "path", EXE_A);
    feed(f->c, &f->ev[2], f->unsat_amfid);
    make_event(&f->ev[3], "system.log", 4, T0 + 150, "kernel",
               "ASP: Security policy would not allow process: 200, " EXE_B);
    add_capture(&f->ev[3], "pid", "200");
    add_capture(&f->ev[3], "path", EXE_B);
    feed(f->c, &f->ev[3], f->unsat_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 2);
    assert_string_equal(g_seen.inc[0].path, EXE_A);
    assert_int_equal(g_seen.inc[0].pid, 100);
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
    assert_string_equal(g_seen.inc[1].path, EXE_B);
    assert_int_equal(g_seen.inc[1].pid, 200);
    assert_int_equal(g_seen.inc[1].n_evidence, 2);
}

static void test_crash_report_links_later(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 10, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 11, T0 + 300, EXE_A, f->unsat_amfid);
    /* The crash report is another source, captured 3 s later. */
    te_correlator_begin_source(f->c, 1);
    make_event(&f->ev[2], "A-2024-01-10.ips", 5, T0 + 3 * SEC, "A",
               "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))");
    f->ev[2].event.type = te_str_cstr("crash");
    f->ev[2].event.pid = 4242;
    add_extra(&f->ev[2], "pid", "4242");
    add_extra(&f->ev[2], "path", EXE_A);
    add_extra(&f->ev[2], "bundle_id", "com.example.A");
    add_extra(&f->ev[2], "report", "ips");
    feed(f->c, &f->ev[2], f->generic_crash);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1); /* the cause explains the crash: no generic incident */
    seen_incident *i = &g_seen.inc[0];
    assert_string_equal(i->rule_id, "ent-unsatisfied");
    assert_int_equal(i->n_evidence, 3);
    assert_string_equal(i->evidence, "ent-unsatisfied/unsatisfied@system.log:10;"
                                     "ent-unsatisfied/amfid_413@system.log:11;"
                                     "cs-crash-on-launch/crash@A-2024-01-10.ips:5;");
    assert_int_equal(i->pid, 4242);
    assert_int_equal(i->last_seen_us, T0 + 3 * SEC);
    assert_null(strstr(i->facts, "report="));
}

static void test_window_closes_before_finish(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 10, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 11, T0 + 300, EXE_A, f->unsat_amfid);
    feed_taskgated(f, &f->ev[2], 500, T0 + 4 * SEC, "com.example.B");
    assert_int_equal(g_seen.n, 0); /* within the window: still open */
    feed_taskgated(f, &f->ev[3], 900, T0 + 11 * SEC, "com.example.C");
    assert_int_equal(g_seen.n, 2); /* A's and B's windows have passed */
    assert_string_equal(g_seen.inc[0].bundle_id, "com.example.A");
    assert_string_equal(g_seen.inc[1].bundle_id, "com.example.B");
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 3);
    assert_string_equal(g_seen.inc[2].bundle_id, "com.example.C");
}

static void test_new_source_does_not_close(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 10, T0 + 60 * SEC, "com.example.A");
    /* An older file comes next: its times are earlier, nothing closes. */
    te_correlator_begin_source(f->c, 1);
    feed_amfid(f, &f->ev[1], 3, T0, EXE_B, f->unsat_amfid);
    assert_int_equal(g_seen.n, 0);
    /* Time advances past A's window within this source: A closes. */
    feed_amfid(f, &f->ev[2], 4, T0 + 70 * SEC, EXE_B, f->unsat_amfid);
    assert_int_equal(g_seen.n, 2);
    assert_string_equal(g_seen.inc[0].bundle_id, "com.example.A");
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 3);
}

static void test_untimed_links_by_position(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 10, -1, "com.example.A");
    feed_amfid(f, &f->ev[1], 12, -1, EXE_A, f->unsat_amfid);
    feed_kernel(f, &f->ev[2], 13, -1);
    /* Far away in the same paste: another launch. */
    feed_taskgated(f, &f->ev[3], 10 + TE_UNTIMED_WINDOW_LINES + 100, -1, "com.example.B");
    assert_int_equal(g_seen.n, 1); /* the first one closed as the position moved on */
    assert_int_equal(g_seen.inc[0].n_evidence, 3);
    assert_false(g_seen.inc[0].has_time);
    /* Another source: untimed matches do not link across sources by position. */
    te_correlator_begin_source(f->c, 1);
    feed_amfid(f, &f->ev[4], 1, -1, EXE_B, f->unsat_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 3);
    assert_string_equal(g_seen.inc[1].bundle_id, "com.example.B");
    assert_string_equal(g_seen.inc[1].path, "(null)");
    assert_string_equal(g_seen.inc[2].path, EXE_B);
}

static void test_untimed_and_timed_of_one_source_link_by_position(void **state)
{
    fixture *f = *state;
    /* A pasted note without time, then a crash report with its Date/Time. */
    make_event(&f->ev[0], "ticket.txt", 2, -1, "", "it dies with Code Signature Invalid");
    feed(f->c, &f->ev[0], f->generic_amfid);
    make_event(&f->ev[1], "ticket.txt", 9, T0, "A", "Exception Type: EXC_CRASH");
    f->ev[1].event.type = te_str_cstr("crash");
    add_extra(&f->ev[1], "path", EXE_A);
    feed(f->c, &f->ev[1], f->generic_crash);
    /* Another crash report further down, in the same paste, minutes later:
     * the time decides, although it is close to the note in lines. */
    make_event(&f->ev[2], "ticket.txt", 60, T0 + 300 * SEC, "B", "Exception Type: EXC_CRASH");
    f->ev[2].event.type = te_str_cstr("crash");
    feed(f->c, &f->ev[2], f->generic_crash);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 2);
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
    assert_string_equal(g_seen.inc[0].path, EXE_A);
    assert_int_equal(g_seen.inc[1].n_evidence, 1);
    assert_string_equal(g_seen.inc[1].process, "B");
}

static void test_timed_matches_do_not_link_by_position(void **state)
{
    fixture *f = *state;
    /* Two lines next to each other but a minute apart: two launches. */
    make_event(&f->ev[0], "system.log", 1, T0, "kernel", "ASP deny");
    feed(f->c, &f->ev[0], f->generic_amfid);
    make_event(&f->ev[1], "system.log", 2, T0 + 60 * SEC, "kernel", "ASP deny");
    feed(f->c, &f->ev[1], f->generic_amfid);
    assert_int_equal(g_seen.n, 1); /* the first one's window has passed */
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 2);
    /* A busy log: thousands of lines within one millisecond still link. */
    memset(&g_seen, 0, sizeof g_seen);
    make_event(&f->ev[2], "system.log", 10, T0, "taskgated-helper", "x");
    add_capture(&f->ev[2], "bundle_id", "com.example.A");
    feed(f->c, &f->ev[2], f->unsat_cause);
    make_event(&f->ev[3], "system.log", 10 + 5 * TE_UNTIMED_WINDOW_LINES, T0 + 800, "kernel", "y");
    feed(f->c, &f->ev[3], f->unsat_kernel);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
}

static void test_untimed_links_by_key_across_sources(void **state)
{
    fixture *f = *state;
    /* A pasted fragment (no time) and a crash report (dated) of the same app. */
    feed_amfid(f, &f->ev[0], 3, -1, EXE_A, f->unsat_amfid);
    te_correlator_begin_source(f->c, 1);
    make_event(&f->ev[1], "A.crash", 7, T0, "A",
               "Exception Type: EXC_CRASH (Code Signature Invalid)");
    f->ev[1].event.type = te_str_cstr("crash");
    add_extra(&f->ev[1], "path", EXE_A);
    feed(f->c, &f->ev[1], f->generic_crash);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 2); /* two symptom rules, no cause: both generic incidents */
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
    assert_string_equal(g_seen.inc[0].rule_id, "ent-unsatisfied"); /* error before warning */
    assert_string_equal(g_seen.inc[1].rule_id, "cs-crash-on-launch");
}

static void test_supersedes(void **state)
{
    fixture *f = *state;
    feed_amfid(f, &f->ev[0], 1, T0, EXE_A, f->adhoc_cause);
    f->ev[0].match.pattern = f->generic_amfid; /* the same event, a second pattern */
    te_correlator_add(f->c, &f->ev[0].match);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].rule_id, "adhoc-or-unknown-chain");
    assert_string_equal(g_seen.inc[0].also, "cs-crash-on-launch");
    /* One event matched twice: one evidence line, named by the first pattern. */
    assert_int_equal(g_seen.inc[0].n_evidence, 1);
    assert_string_equal(g_seen.inc[0].evidence, "adhoc-or-unknown-chain/amfid_423@system.log:1;");
}

static void test_supersedes_between_causes(void **state)
{
    fixture *f = *state;
    /* adhoc supersedes unsat here; both have a cause in the context. */
    rule_supersede(&f->adhoc, &f->unsat);
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 2, T0 + 10, EXE_A, f->adhoc_cause);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].rule_id, "adhoc-or-unknown-chain");
    assert_string_equal(g_seen.inc[0].also, "ent-unsatisfied");
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
}

static void test_symptom_only_generic(void **state)
{
    fixture *f = *state;
    feed_amfid(f, &f->ev[0], 1, T0, EXE_A, f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].rule_id, "cs-crash-on-launch");
    assert_string_equal(g_seen.inc[0].diagnosis, "diagnosis of " EXE_A);
}

static void test_cause_silences_symptom_rule(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 2, T0 + 10, EXE_A, f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].rule_id, "ent-unsatisfied");
    assert_string_equal(g_seen.inc[0].also, ""); /* not superseded, just outranked */
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
}

static void test_context_only_gives_nothing(void **state)
{
    fixture *f = *state;
    feed_kernel(f, &f->ev[0], 1, T0);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 0);
    assert_int_equal(f->summary.incidents, 0);
}

static void test_min_severity(void **state)
{
    fixture *f = *state;
    f->options.min_severity = TE_SEVERITY_ERROR;
    reopen(f);
    feed_amfid(f, &f->ev[0], 1, T0, EXE_A, f->generic_amfid); /* warning */
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 0);
    assert_int_equal(f->summary.incidents, 0);
    assert_int_equal(f->summary.incidents_suppressed, 1);
}

static void test_eviction_at_cap(void **state)
{
    fixture *f = *state;
    static test_event evs[TE_MAX_OPEN_CONTEXTS + 1];
    static char pids[TE_MAX_OPEN_CONTEXTS + 1][16];
    for (size_t i = 0; i <= TE_MAX_OPEN_CONTEXTS; i++) {
        snprintf(pids[i], sizeof pids[i], "%zu", 1000 + i);
        make_event(&evs[i], "system.log", i + 1, T0 + (int64_t)i, "kernel", "ASP deny");
        add_capture(&evs[i], "pid", pids[i]);
        feed(f->c, &evs[i], f->generic_amfid);
    }
    assert_int_equal(f->summary.contexts_evicted, 1);
    assert_int_equal(g_seen.n, 1);
    assert_int_equal(g_seen.inc[0].pid, 1000); /* the least recently active */
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, TE_MAX_OPEN_CONTEXTS + 1);
    assert_int_equal(f->summary.incidents, TE_MAX_OPEN_CONTEXTS + 1);
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_live_tick_closes_quiet_context(void **state)
{
    fixture *f = *state;
    f->options.live = true;
    f->options.quiet_us = 2 * SEC;
    reopen(f);
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    int64_t now = monotonic_us();
    te_correlator_tick(f->c, now);
    assert_int_equal(g_seen.n, 0);
    te_correlator_tick(f->c, now + 3 * SEC);
    assert_int_equal(g_seen.n, 1);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
}

static void test_tick_ignored_when_not_live(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    te_correlator_tick(f->c, monotonic_us() + 60 * SEC);
    assert_int_equal(g_seen.n, 0);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
}

static void test_merge_two_contexts(void **state)
{
    fixture *f = *state;
    /* Context 1 knows the bundle id and pid, context 2 a path and another pid
     * (conflict); a crash line carrying bundle id and path joins both. */
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    make_event(&f->ev[1], "system.log", 2, T0 + 10, "kernel", "proc 77: load code signature error");
    add_capture(&f->ev[1], "pid", "77");
    feed(f->c, &f->ev[1], f->unsat_amfid);
    make_event(&f->ev[2], "system.log", 3, T0 + 20, "kernel", "ASP: 78, " EXE_A);
    add_capture(&f->ev[2], "pid", "78");
    add_capture(&f->ev[2], "path", EXE_A);
    feed(f->c, &f->ev[2], f->unsat_amfid);
    te_correlator_begin_source(f->c, 1);
    make_event(&f->ev[3], "A.crash", 1, T0 + 2 * SEC, "A", "Exception Type: EXC_CRASH");
    f->ev[3].event.type = te_str_cstr("crash");
    add_extra(&f->ev[3], "bundle_id", "com.example.A");
    add_extra(&f->ev[3], "path", EXE_A);
    feed(f->c, &f->ev[3], f->generic_crash);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_int_equal(g_seen.inc[0].n_evidence, 4);
    assert_non_null(strstr(g_seen.inc[0].facts, "pid*=77|78;"));
    assert_string_equal(g_seen.inc[0].process, "A"); /* the crash report's process */
}

static void test_private_values_ignored(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 1, T0, "<private>");
    feed_taskgated(f, &f->ev[1], 2, T0 + 10, "(null)");
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].bundle_id, "(null)");
    assert_null(strstr(g_seen.inc[0].facts, "bundle_id"));
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
}

static void test_placeholders_and_non_paths_are_not_keys(void **state)
{
    fixture *f = *state;
    /* Two pasted fragments in two sources: values that identify nothing
     * must not link them. */
    make_event(&f->ev[0], "a.txt", 1, -1, "", "# title: x");
    add_capture(&f->ev[0], "path", "# title");
    add_capture(&f->ev[0], "bundle_id", "<app-bundle-id>");
    feed(f->c, &f->ev[0], f->generic_amfid);
    te_correlator_begin_source(f->c, 1);
    make_event(&f->ev[1], "b.txt", 1, -1, "", "# title: y");
    add_capture(&f->ev[1], "path", "# title");
    add_capture(&f->ev[1], "bundle_id", "<app-bundle-id>");
    feed(f->c, &f->ev[1], f->generic_amfid);
    /* A bundle name is a path key: the same app links the third source. */
    te_correlator_begin_source(f->c, 2);
    make_event(&f->ev[2], "c.txt", 1, -1, "spctl", "X.app: rejected");
    add_capture(&f->ev[2], "path", "X.app");
    feed(f->c, &f->ev[2], f->generic_amfid);
    te_correlator_begin_source(f->c, 3);
    make_event(&f->ev[3], "d.txt", 1, -1, "spctl", "X.app: rejected");
    add_capture(&f->ev[3], "path", "X.app");
    feed(f->c, &f->ev[3], f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 3);
    assert_string_equal(g_seen.inc[0].path, "# title"); /* the only value */
    assert_non_null(strstr(g_seen.inc[0].facts, "path=# title;"));
    assert_int_equal(g_seen.inc[0].n_evidence, 1);
    assert_int_equal(g_seen.inc[1].n_evidence, 1);
    assert_int_equal(g_seen.inc[2].n_evidence, 2);
    assert_string_equal(g_seen.inc[2].path, "X.app");
}

static void test_subject_prefers_identifying_values(void **state)
{
    fixture *f = *state;
    make_event(&f->ev[0], "t.txt", 1, -1, "", "# title: x");
    add_capture(&f->ev[0], "path", "# title");
    feed(f->c, &f->ev[0], f->generic_amfid);
    make_event(&f->ev[1], "t.txt", 3, -1, "amfid", EXE_A " not valid");
    add_capture(&f->ev[1], "path", EXE_A);
    feed(f->c, &f->ev[1], f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_string_equal(g_seen.inc[0].path, EXE_A);
    assert_string_equal(g_seen.inc[0].process, "A");
}

static void test_link_window_option(void **state)
{
    fixture *f = *state;
    f->options.link_window_us = 100 * MS;
    reopen(f);
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    feed_kernel(f, &f->ev[1], 2, T0 + 400 * MS); /* keyless, too far for 100 ms */
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_int_equal(g_seen.inc[0].n_evidence, 1);
}

static void test_evidence_cap(void **state)
{
    fixture *f = *state;
    static test_event evs[300];
    for (size_t i = 0; i < 300; i++) {
        make_event(&evs[i], "system.log", i + 1, T0 + (int64_t)i, "amfid", "not valid");
        add_capture(&evs[i], "path", EXE_A);
        if (i == 299) add_capture(&evs[i], "code", "late");
        feed(f->c, &evs[i], f->generic_amfid);
    }
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    assert_non_null(strstr(g_seen.inc[0].facts, "code=late;")); /* facts still merged */
    assert_int_equal(g_seen.inc[0].n_evidence, TE_MAX_EVIDENCE_PER_INCIDENT);
    assert_int_equal(g_seen.inc[0].evidence_dropped, 300 - TE_MAX_EVIDENCE_PER_INCIDENT);
    assert_int_equal(f->summary.evidence_dropped, 300 - TE_MAX_EVIDENCE_PER_INCIDENT);
}

static void test_list_facts_and_app_from_bundle_path(void **state)
{
    fixture *f = *state;
    feed_amfid(f, &f->ev[0], 1, T0, APP_A, f->generic_amfid); /* a path ending in .app */
    make_event(&f->ev[1], "system.log", 2, T0 + 1, "amfid", "helper");
    add_capture(&f->ev[1], "path", APP_A "/Contents/Helpers/H");
    add_capture(&f->ev[1], "code", "-413");
    feed(f->c, &f->ev[1], f->generic_amfid);
    make_event(&f->ev[2], "system.log", 3, T0 + 2, "amfid", "again");
    add_capture(&f->ev[2], "code", "-413");
    feed(f->c, &f->ev[2], f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
    seen_incident *i = &g_seen.inc[0];
    assert_string_equal(i->path, APP_A);
    assert_non_null(strstr(i->facts, "path*=" APP_A "|" APP_A "/Contents/Helpers/H;"));
    assert_non_null(strstr(i->facts, "app=" APP_A ";"));
    assert_non_null(strstr(i->facts, "code=-413;"));
}

static void test_supersedes_cycle_keeps_one(void **state)
{
    fixture *f = *state;
    rule_supersede(&f->adhoc, &f->unsat);
    rule_supersede(&f->unsat, &f->adhoc);
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    feed_amfid(f, &f->ev[1], 2, T0 + 10, EXE_A, f->adhoc_cause);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 1);
}

static void test_time_of_day_is_local_to_a_source(void **state)
{
    fixture *f = *state;
    /* Console copies: times of day only. Close ones link within the source. */
    make_event(&f->ev[2], "console.txt", 1, 10 * 3600 * SEC, "kernel", "ASP deny");
    f->ev[2].event.has_date = false;
    feed(f->c, &f->ev[2], f->generic_amfid);
    make_event(&f->ev[3], "console.txt", 2, 10 * 3600 * SEC + 20, "kernel", "more");
    f->ev[3].event.has_date = false;
    feed(f->c, &f->ev[3], f->generic_amfid);
    /* Another source at the same time of day does not link without a key. */
    te_correlator_begin_source(f->c, 1);
    make_event(&f->ev[4], "console2.txt", 1, 10 * 3600 * SEC + 30, "kernel", "other");
    f->ev[4].event.has_date = false;
    feed(f->c, &f->ev[4], f->generic_amfid);
    te_correlator_finish(f->c);
    assert_int_equal(g_seen.n, 2);
    assert_int_equal(g_seen.inc[0].n_evidence, 2);
    assert_int_equal(g_seen.inc[1].n_evidence, 1);
}

/* Counts incidents and checks each one's invariants. */
static void count_incident(const te_incident *inc, void *user)
{
    size_t *n = user;
    (*n)++;
    assert_non_null(inc->rule_id);
    assert_true(inc->n_evidence >= 1 && inc->n_evidence <= TE_MAX_EVIDENCE_PER_INCIDENT);
    assert_true(inc->n_facts <= TE_MAX_FACTS_PER_CONTEXT);
    for (size_t i = 0; i < inc->n_facts; i++)
        assert_true(inc->facts[i].n_values >= 1 && inc->facts[i].n_values <= TE_MAX_FACT_VALUES);
    for (size_t i = 0; i < inc->n_evidence; i++)
        assert_true(strlen(inc->evidence[i].message) <= TE_MAX_EVIDENCE_MESSAGE);
    assert_non_null(inc->diagnosis);
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

static void test_random_matches_hold_invariants(void **state)
{
    fixture *f = *state;
    static const int64_t odd_times[] = {INT64_MIN, INT64_MAX, -1, 0, 86400LL * SEC};
    static char values[64][32];
    static char long_message[3 * TE_MAX_EVIDENCE_MESSAGE];
    const te_pattern *patterns[] = {f->unsat_cause,   f->unsat_amfid,   f->unsat_kernel,
                                    f->generic_amfid, f->generic_crash, f->adhoc_cause};
    static const char *const key_names[] = {"pid", "path", "bundle_id", "team_id", "app", "other"};
    size_t n_seen = 0;
    te_correlator_free(f->c);
    f->c = te_correlator_new(NULL, &f->options, count_incident, &n_seen, &f->summary);
    assert_non_null(f->c);
    memset(long_message, 'x', sizeof long_message - 1);
    long_message[TE_MAX_EVIDENCE_MESSAGE - 1] = (char)0xc3; /* a UTF-8 pair across the cut */
    long_message[TE_MAX_EVIDENCE_MESSAGE] = (char)0xa9;
    for (size_t i = 0; i < 64; i++)
        snprintf(values[i], sizeof values[i], i % 3 ? "%zu" : "/Applications/%zu.app/x", i + 1);
    uint64_t rnd = 42;
    int64_t now = T0;
    static test_event t;
    for (size_t i = 0; i < 20000; i++) {
        if (next_random(&rnd) % 500 == 0) te_correlator_begin_source(f->c, (uint32_t)(i / 500));
        now += (int64_t)(next_random(&rnd) % (2 * SEC));
        int64_t time_us = now;
        uint64_t r = next_random(&rnd) % 20;
        if (r == 0) time_us = -1;
        if (r == 1) time_us = odd_times[next_random(&rnd) % 5];
        make_event(&t, "stress.log", i + 1, time_us >= 0 ? time_us : 0, "p",
                   r == 2 ? long_message : "m");
        t.event.has_time = time_us != -1;
        t.event.time_us = time_us;
        for (uint64_t k = next_random(&rnd) % 4; k > 0; k--)
            add_capture(&t, key_names[next_random(&rnd) % 6], values[next_random(&rnd) % 64]);
        if (next_random(&rnd) % 4 == 0)
            add_extra(&t, key_names[next_random(&rnd) % 6], values[next_random(&rnd) % 64]);
        feed(f->c, &t, patterns[next_random(&rnd) % 6]);
    }
    te_correlator_finish(f->c);
    assert_true(n_seen > 0);
    assert_int_equal(n_seen, f->summary.incidents);
}

static void test_free_with_open_contexts(void **state)
{
    fixture *f = *state;
    feed_taskgated(f, &f->ev[0], 1, T0, "com.example.A");
    te_correlator_free(f->c); /* no finish: nothing reported, nothing leaked */
    f->c = NULL;
    assert_int_equal(g_seen.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_launch_one_incident, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_apps_same_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_report_links_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_closes_before_finish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_source_does_not_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untimed_links_by_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untimed_and_timed_of_one_source_link_by_position,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_timed_matches_do_not_link_by_position, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_untimed_links_by_key_across_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supersedes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supersedes_between_causes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symptom_only_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cause_silences_symptom_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_only_gives_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_severity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_at_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_tick_closes_quiet_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_ignored_when_not_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_two_contexts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_values_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placeholders_and_non_paths_are_not_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_subject_prefers_identifying_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_window_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evidence_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_facts_and_app_from_bundle_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supersedes_cycle_keeps_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_of_day_is_local_to_a_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_matches_hold_invariants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_open_contexts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
