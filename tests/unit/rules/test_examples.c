/* The examples runner: passing rules, and each kind of failure report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tediag/tediag.h"

/* Runs the examples of one fixture; returns the output (malloc'd). */
static char *run(const char *rel, const char *only, bool verbose, size_t *passed, size_t *failed,
                 te_status *status)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, rel);
    const char *paths[] = {path};
    te_error err;
    te_ruleset *rules = te_ruleset_load(paths, 1, &err);
    if (!rules) fprintf(stderr, "%s\n", err.message);
    assert_non_null(rules);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *status = te_ruleset_run_examples(rules, only, verbose, out, passed, failed);
    fclose(out);
    te_ruleset_free(rules);
    return text;
}

static void test_passing_rules(void **state)
{
    (void)state;
    size_t passed = 0, failed = 0;
    te_status status;
    char *out = run("valid.yml", NULL, true, &passed, &failed, &status);
    if (failed) fprintf(stderr, "%s", out);
    assert_int_equal(status, TE_OK);
    assert_int_equal(failed, 0);
    assert_int_equal(passed, 3);
    assert_string_equal(out, "ok ent-unsatisfied (3 examples)\n");
    free(out);

    out = run("set", "b-second", true, &passed, &failed, &status);
    if (failed) fprintf(stderr, "%s", out);
    assert_int_equal(failed, 0);
    assert_int_equal(passed, 2);
    assert_string_equal(out, "ok b-second (2 examples)\n");
    free(out);

    out = run("set", "nope", false, &passed, &failed, &status);
    assert_int_equal(status, TE_ERR_USAGE);
    assert_string_equal(out, "no rule with id 'nope'\n");
    free(out);
}

static void test_failures(void **state)
{
    (void)state;
    size_t passed = 0, failed = 0;
    te_status status;
    char *out = run("examples/fail.yml", NULL, false, &passed, &failed, &status);
    char file[512];
    snprintf(file, sizeof file, "%s/examples/fail.yml", FIXTURES);
    assert_int_equal(status, TE_OK);
    if (failed != 4) fprintf(stderr, "%s", out);
    assert_int_equal(passed, 1);
    assert_int_equal(failed, 4);
    char want[2048];
    /* a context pattern alone does not fire */
    snprintf(want, sizeof want,
             "%s:19: rule failing: match example 2 did not fire (patterns matched: noise; facts: "
             "none)\n",
             file);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want,
             "%s:20: rule failing: match example 3: expected fact pid=44 not extracted "
             "(patterns matched: denied; facts: pid=43, path=/tmp/y)\n",
             file);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want,
             "%s:23: rule failing: nomatch example 1 fired (patterns matched: denied; facts: "
             "pid=7, path=/bin/z)\n",
             file);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want,
             "%s:24: rule failing: nomatch example 2: unknown input format 'no-such-format'\n",
             file);
    assert_non_null(strstr(out, want));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passing_rules),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
