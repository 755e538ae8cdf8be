/* Conditions (parse, evaluate, te_rule_fires) and templates (render, check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/ruleset_impl.h"

/* ---- conditions ------------------------------------------------------------- */

enum { AMFI_A, AMFI_B, AMFI_C, CRASH, JIT_FRAME, V8_FRAME, N_PATTERNS };
static const te_pattern patterns[N_PATTERNS] = {
    {.name = "amfi_a"}, {.name = "amfi_b"},    {.name = "amfi_c"},
    {.name = "crash"},  {.name = "jit_frame"}, {.name = "v8-frame"},
};
#define BIT(x) (1ull << (x))

static te_arena arena;

static const te_condition *parse_ok(const char *text)
{
    char msg[256];
    size_t offset = 0;
    const te_condition *c =
        te_condition_parse(text, patterns, N_PATTERNS, &arena, msg, sizeof msg, &offset);
    if (!c) fprintf(stderr, "'%s': %s at %zu\n", text, msg, offset);
    assert_non_null(c);
    return c;
}

static void parse_fails(const char *text, const char *message, size_t want_offset)
{
    char msg[256];
    size_t offset = 999;
    const te_condition *c =
        te_condition_parse(text, patterns, N_PATTERNS, &arena, msg, sizeof msg, &offset);
    assert_null(c);
    if (!strstr(msg, message) || offset != want_offset)
        fprintf(stderr, "'%s': got '%s' at %zu\n", text, msg, offset);
    assert_non_null(strstr(msg, message));
    assert_int_equal(offset, want_offset);
}

static void test_condition_eval(void **state)
{
    (void)state;
    const te_condition *c = parse_ok("crash and (jit_frame or v8-frame)");
    assert_true(te_condition_eval(c, BIT(CRASH) | BIT(JIT_FRAME)));
    assert_true(te_condition_eval(c, BIT(CRASH) | BIT(V8_FRAME)));
    assert_false(te_condition_eval(c, BIT(CRASH)));
    assert_false(te_condition_eval(c, BIT(JIT_FRAME)));

    c = parse_ok("amfi_*");
    assert_true(te_condition_eval(c, BIT(AMFI_B)));
    assert_false(te_condition_eval(c, BIT(CRASH)));

    c = parse_ok("2 of amfi_*");
    assert_false(te_condition_eval(c, BIT(AMFI_A)));
    assert_true(te_condition_eval(c, BIT(AMFI_A) | BIT(AMFI_C)));

    c = parse_ok("all of amfi_*");
    assert_false(te_condition_eval(c, BIT(AMFI_A) | BIT(AMFI_C)));
    assert_true(te_condition_eval(c, BIT(AMFI_A) | BIT(AMFI_B) | BIT(AMFI_C)));

    c = parse_ok("1 of amfi_? and not crash");
    assert_true(te_condition_eval(c, BIT(AMFI_C)));
    assert_false(te_condition_eval(c, BIT(AMFI_C) | BIT(CRASH)));

    c = parse_ok("any of them");
    assert_true(te_condition_eval(c, BIT(V8_FRAME)));
    assert_false(te_condition_eval(c, 0));
    c = parse_ok("all of them");
    assert_false(te_condition_eval(c, BIT(N_PATTERNS - 1) - 1));
    assert_true(te_condition_eval(c, BIT(N_PATTERNS) - 1));

    /* and binds tighter than or; not tighter than and */
    c = parse_ok("amfi_a or amfi_b and crash");
    assert_true(te_condition_eval(c, BIT(AMFI_A)));
    assert_false(te_condition_eval(c, BIT(AMFI_B)));
    assert_true(te_condition_eval(c, BIT(AMFI_B) | BIT(CRASH)));
    c = parse_ok("not amfi_a and crash");
    assert_true(te_condition_eval(c, BIT(CRASH)));
    assert_false(te_condition_eval(c, BIT(CRASH) | BIT(AMFI_A)));
    c = parse_ok("not not crash");
    assert_true(te_condition_eval(c, BIT(CRASH)));
    c = parse_ok("  ( ( crash ) )  ");
    assert_true(te_condition_eval(c, BIT(CRASH)));
}

static void test_condition_errors(void **state)
{
    (void)state;
    parse_fails("crash and", "ends where a pattern name was expected", 9);
    parse_fails("crash or unknown", "unknown pattern name 'unknown'", 9);
    parse_fails("(crash", "'(' without matching ')'", 0);
    parse_fails("crash crash", "unexpected 'crash'", 6);
    parse_fails("crash)", "unexpected ')'", 5);
    parse_fails("1 of amfi_x*", "unknown pattern name 'amfi_x*'", 5);
    parse_fails("4 of amfi_*", "'4 of' names only 3 patterns", 0);
    parse_fails("0 of amfi_*", "'0 of' is always true", 0);
    parse_fails("all amfi_*", "expected 'of' after 'all'", 4);
    parse_fails("crash && jit_frame", "unexpected character '&'", 6);
    parse_fails("", "ends where a pattern name was expected", 0);
    parse_fails("of crash", "unexpected 'of'", 0);
    char deep[200] = {0};
    for (int i = 0; i < 40; i++)
        deep[i] = '(';
    strcat(deep, "crash");
    parse_fails(deep, "nested too deeply", 33);
}

static void test_rule_fires(void **state)
{
    (void)state;
    /* amfi_a cause, crash symptom, jit_frame context */
    te_rule rule = {0};
    rule.patterns = patterns;
    rule.n_patterns = N_PATTERNS;
    rule.cause_mask = BIT(AMFI_A);
    rule.symptom_mask = BIT(CRASH);
    assert_true(te_rule_fires(&rule, BIT(AMFI_A)));
    assert_true(te_rule_fires(&rule, BIT(CRASH) | BIT(JIT_FRAME)));
    assert_false(te_rule_fires(&rule, BIT(JIT_FRAME)));
    assert_false(te_rule_fires(&rule, 0));

    rule.condition = parse_ok("crash and jit_frame");
    assert_true(te_rule_fires(&rule, BIT(CRASH) | BIT(JIT_FRAME)));
    assert_false(te_rule_fires(&rule, BIT(CRASH)));
    /* a context pattern never fires its rule alone, whatever the condition */
    rule.condition = parse_ok("jit_frame or crash");
    assert_false(te_rule_fires(&rule, BIT(JIT_FRAME)));
    assert_true(te_rule_fires(&rule, BIT(CRASH)));
    rule.condition = parse_ok("not amfi_b");
    assert_false(te_rule_fires(&rule, 0));
}

/* ---- templates ---------------------------------------------------------------- */

static bool lookup(void *ctx, const char *name, size_t len, te_template_site site, te_buf *out)
{
    (void)ctx;
    if (len == 4 && memcmp(name, "site", 4) == 0) { /* shows what surrounds it */
        char text[] = {'[', site.before ? site.before : '0', site.after ? site.after : '0', ']'};
        return te_buf_append(out, text, sizeof text);
    }
    if (len == 9 && memcmp(name, "bundle_id", 9) == 0)
        return te_buf_append(out, "com.example.A", 13);
    if (len == 12 && memcmp(name, "entitlements", 12) == 0)
        return te_buf_append(out, "com.apple.foo, com.apple.bar", 28);
    if (len == 5 && memcmp(name, "empty", 5) == 0) {
        te_buf_append(out, "partial", 7); /* a lookup that writes and then says missing */
        return false;
    }
    return false;
}

static char *render(const char *tmpl, size_t max, bool *ok)
{
    te_buf out;
    te_buf_init(&out, max);
    *ok = te_template_render(tmpl, lookup, NULL, &out);
    te_buf_terminate(&out);
    char *text = strdup(out.data ? out.data : "");
    te_buf_free(&out);
    return text;
}

static void expect_render(const char *tmpl, const char *want)
{
    bool ok;
    char *got = render(tmpl, 0, &ok);
    if (strcmp(got, want) != 0) fprintf(stderr, "'%s' → '%s'\n", tmpl, got);
    assert_true(ok);
    assert_string_equal(got, want);
    free(got);
}

static void test_template_render(void **state)
{
    (void)state;
    expect_render("{bundle_id} claims {entitlements}.",
                  "com.example.A claims com.apple.foo, com.apple.bar.");
    expect_render("{app|/path/to/App.app}/Contents", "/path/to/App.app/Contents");
    expect_render("{bundle_id|The app} runs", "com.example.A runs");
    expect_render("{missing} and {empty}", "<missing> and <empty>");
    expect_render("{empty|} gone", " gone");
    expect_render("{{literal}} and }} {{", "{literal} and } {");
    expect_render("{{bundle_id}}", "{bundle_id}");
    expect_render("{ not a name } x}", "{ not a name } x}");
    expect_render("", "");
    /* the lookup learns the bytes around the placeholder (0 at either end) */
    expect_render("{site}", "[00]");
    expect_render("x \"{site}\" y", "x \"[\"\"]\" y");
    expect_render("\"{site}/Contents\"", "\"[\"/]/Contents\"");
    expect_render("no placeholders", "no placeholders");
    bool ok;
    char *got = render("{bundle_id} is longer than ten bytes", 10, &ok);
    assert_false(ok);
    free(got);
}

typedef struct names {
    char items[8][32];
    size_t n;
} names;

static void on_name(void *ctx, const char *name, size_t len, size_t offset)
{
    names *n = ctx;
    (void)offset;
    snprintf(n->items[n->n++], 32, "%.*s", (int)len, name);
}

static void test_template_check(void **state)
{
    (void)state;
    names n = {0};
    size_t offset = 0;
    assert_null(te_template_check("{a} {b_2|x y} {{c}} }}", on_name, &n, &offset));
    assert_int_equal(n.n, 2);
    assert_string_equal(n.items[0], "a");
    assert_string_equal(n.items[1], "b_2");

    const char *problem = te_template_check("ok {a", NULL, NULL, &offset);
    assert_non_null(problem);
    assert_int_equal(offset, 3);
    problem = te_template_check("x} y", NULL, NULL, &offset);
    assert_non_null(strstr(problem, "'}' without '{'"));
    assert_int_equal(offset, 1);
    problem = te_template_check("{} y", NULL, NULL, &offset);
    assert_non_null(problem);
    assert_int_equal(offset, 0);
    problem = te_template_check("${HOME}/x {a|b", NULL, NULL, &offset);
    assert_non_null(strstr(problem, "unclosed"));
    assert_int_equal(offset, 10);
}

static int teardown(void **state)
{
    (void)state;
    te_arena_free(&arena);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_condition_eval), cmocka_unit_test(test_condition_errors),
        cmocka_unit_test(test_rule_fires),     cmocka_unit_test(test_template_render),
        cmocka_unit_test(test_template_check),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
