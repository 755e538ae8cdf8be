/* Rule loader tests: a valid rule and its compiled form, directories, and
 * every kind of error with its exact file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules/ruleset_impl.h"

static te_ruleset *load_one(const char *path, te_error *err)
{
    const char *paths[] = {path};
    return te_ruleset_load(paths, 1, err);
}

static te_ruleset *load_fixture(const char *rel, te_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, rel);
    return load_one(path, err);
}

/* Loading must fail with a message containing "<fixture path>:<expected>". */
static void expect_error(const char *rel, const char *expected)
{
    te_error err;
    te_ruleset *rules = load_fixture(rel, &err);
    char want[1024];
    snprintf(want, sizeof want, "%s/%s:%s", FIXTURES, rel, expected);
    if (rules || !strstr(err.message, want)) {
        fprintf(stderr, "fixture %s\n  wanted: %s\n  got:    %s\n", rel, want,
                rules ? "(loaded)" : err.message);
    }
    assert_null(rules);
    assert_int_equal(err.status, TE_ERR_RULE);
    assert_non_null(strstr(err.message, want));
    te_ruleset_free(rules);
}

static const te_pattern *pattern_named(const te_rule *rule, const char *name)
{
    for (size_t i = 0; i < rule->n_patterns; i++)
        if (strcmp(rule->patterns[i].name, name) == 0) return &rule->patterns[i];
    return NULL;
}

static void test_valid_rule(void **state)
{
    (void)state;
    te_error err;
    te_ruleset *rules = load_fixture("valid.yml", &err);
    if (!rules) fprintf(stderr, "%s\n", err.message);
    assert_non_null(rules);
    assert_int_equal(te_ruleset_count(rules), 1);
    assert_true(te_ruleset_compile_us(rules) >= 0);

    const te_rule_info *info = te_ruleset_rule(rules, 0);
    assert_string_equal(info->id, "ent-unsatisfied");
    assert_string_equal(info->title,
                        "The provisioning profile does not authorise the app's entitlements");
    assert_int_equal(info->severity, TE_SEVERITY_ERROR);
    assert_false(info->unverified);
    assert_non_null(strstr(info->summary, "restricted entitlements"));
    assert_int_equal(info->n_confirm, 1);
    assert_int_equal(info->n_fix, 2);
    assert_non_null(strstr(info->fix[1], "codesign -d --entitlements"));
    assert_int_equal(info->n_references, 1);
    assert_string_equal(info->references[0].title,
                        "TN3125: Inside Code Signing: Provisioning Profiles");
    assert_non_null(strstr(info->file, "valid.yml"));
    assert_ptr_equal(te_ruleset_find(rules, "ent-unsatisfied"), info);
    assert_null(te_ruleset_find(rules, "nope"));
    assert_null(te_ruleset_rule(rules, 1));

    const te_rule *rule = te_ruleset_rule_at(rules, 0);
    assert_int_equal(rule->window_us, 250000);
    assert_int_equal(rule->n_patterns, 3);
    assert_int_equal(rule->cause_mask, 1);
    assert_int_equal(rule->symptom_mask, 2);
    assert_non_null(rule->condition);
    assert_int_equal(rule->n_supersedes, 0);
    assert_non_null(strstr(rule->diagnosis, "{bundle_id|The app} claims"));
    assert_true(te_rule_fact_is_list(rule, "entitlements"));
    assert_false(te_rule_fact_is_list(rule, "bundle_id"));

    const te_pattern *unsatisfied = pattern_named(rule, "unsatisfied");
    assert_non_null(unsatisfied);
    assert_int_equal(unsatisfied->role, TE_ROLE_CAUSE);
    assert_ptr_equal(unsatisfied->rule, rule);
    const te_pattern_impl *impl = unsatisfied->impl;
    assert_int_equal(impl->n_literals, 1);
    assert_true(te_str_eq_cstr(impl->literals[0], ": Unsatisfied entitlements: "));
    assert_false(impl->literals_explicit);
    assert_int_equal(impl->predicates[TE_PRED_PROCESS].n, 1);
    assert_true(te_str_eq_cstr(impl->predicates[TE_PRED_PROCESS].values[0], "taskgated-helper"));
    assert_int_equal(impl->n_names, 2);
    assert_string_equal(impl->names[0].name, "bundle_id");
    assert_string_equal(impl->names[1].name, "entitlements");

    /* the derived literal is longer than the explicit prefilter: the gate
     * takes it, the prefilter is still checked before the regex */
    const te_pattern *amfid = pattern_named(rule, "amfid_413");
    assert_false(amfid->impl->literals_explicit);
    assert_int_equal(amfid->impl->n_literals, 1);
    assert_true(te_str_eq_cstr(amfid->impl->literals[0], " not valid: "));
    assert_int_equal(amfid->impl->n_prefilter, 1);
    assert_true(te_str_eq_cstr(amfid->impl->prefilter[0], "Code=-413"));
    const te_pattern *kernel = pattern_named(rule, "kernel_bailing");
    assert_int_equal(kernel->role, TE_ROLE_CONTEXT);
    assert_true(te_str_eq_cstr(kernel->impl->literals[0],
                               "AMFI: bailing out because of restricted entitlements"));

    const te_rule_impl *ri = (const te_rule_impl *)rule;
    assert_int_equal(ri->n_examples, 3);
    assert_true(ri->examples[0].match);
    assert_int_equal(ri->examples[0].line, 41);
    assert_int_equal(ri->examples[1].line, 42);
    assert_int_equal(ri->examples[1].n_facts, 2);
    assert_string_equal(ri->examples[1].facts[1].name, "entitlements");
    assert_string_equal(ri->examples[1].facts[1].values[0], "com.apple.foo");
    assert_false(ri->examples[2].match);
    assert_int_equal(ri->examples[2].number, 1);
    /* one-line examples get their line end */
    assert_int_equal(ri->examples[0].input[ri->examples[0].input_len - 1], '\n');
    te_ruleset_free(rules);
}

static void test_directory(void **state)
{
    (void)state;
    te_error err;
    te_ruleset *rules = load_fixture("set", &err);
    if (!rules) fprintf(stderr, "%s\n", err.message);
    assert_non_null(rules);
    /* README.md and notes.txt are ignored; files come sorted by name */
    assert_int_equal(te_ruleset_count(rules), 2);
    assert_string_equal(te_ruleset_rule(rules, 0)->id, "a-first");
    assert_string_equal(te_ruleset_rule(rules, 1)->id, "b-second");
    const te_rule *first = te_ruleset_rule_at(rules, 0);
    const te_rule *second = te_ruleset_rule_at(rules, 1);
    assert_int_equal(first->n_supersedes, 1);
    assert_int_equal(first->supersedes[0], 1);
    assert_int_equal(first->window_us, TE_DEFAULT_WINDOW_US);
    assert_true(second->info.unverified);
    assert_int_equal(second->info.severity, TE_SEVERITY_INFO);
    assert_int_equal(second->info.n_references, 0);
    assert_int_equal(second->patterns[0].impl->predicates[TE_PRED_PROCESS].n, 2);
    assert_int_equal(rules->n_patterns, 2);
    const te_dispatch_entry *kernel = te_dispatch_find(rules, te_str_cstr("kernel"));
    assert_non_null(kernel);
    assert_int_equal(kernel->n_ids, 1);
    assert_int_equal(kernel->ids[0], 1);
    assert_null(te_dispatch_find(rules, te_str_cstr("amfid")));
    te_ruleset_free(rules);
}

static void test_several_paths(void **state)
{
    (void)state;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/valid.yml", FIXTURES);
    snprintf(b, sizeof b, "%s/set", FIXTURES);
    const char *paths[] = {a, b};
    te_error err;
    te_ruleset *rules = te_ruleset_load(paths, 2, &err);
    assert_non_null(rules);
    assert_int_equal(te_ruleset_count(rules), 3);
    assert_int_equal(te_ruleset_rule_at(rules, 2)->index, 2);
    te_ruleset_free(rules);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("errors/unknown-key.yml",
                 "8:5: unknown key 'procss' in pattern 'one' (expected one of: role, process, "
                 "sender, subsystem, category, type, message, prefilter)");
}

static void test_missing_key(void **state)
{
    (void)state;
    expect_error("errors/missing-key.yml", "1:1: missing required key 'title' in rule");
}

static void test_bad_regex(void **state)
{
    (void)state;
    expect_error("errors/bad-regex.yml",
                 "9:14: pattern 'one': bad regex: missing closing parenthesis at offset 26");
}

static void test_bad_window(void **state)
{
    (void)state;
    expect_error("errors/bad-window.yml",
                 "5:11: bad window '5 s' (expected a positive number with ms, s or m");
}

static void test_alias_refused(void **state)
{
    (void)state;
    expect_error("errors/alias.yml", "10:12: aliases are not allowed in rule files (anchor '&d')");
    expect_error("errors/alias-only.yml", "12:5: aliases are not allowed in rule files");
}

static void test_alias_bomb_refused(void **state)
{
    (void)state;
    clock_t start = clock();
    expect_error("errors/alias-bomb.yml", "1:7: aliases are not allowed in rule files");
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
}

static void test_depth_bomb(void **state)
{
    (void)state;
    /* the root mapping is level 1: the 32nd '[' would be level 33 */
    expect_error("errors/depth-bomb.yml", "21:38: nesting deeper than 32 levels");
}

static void test_unknown_supersedes(void **state)
{
    (void)state;
    expect_error("errors/supersedes-unknown.yml",
                 "4:14: supersedes names unknown rule id 'minimal-other'");
    expect_error("errors/supersedes-unknown.yml", "4:29: supersedes names unknown rule id 'nope'");
}

static void test_template_unknown_fact(void **state)
{
    (void)state;
    expect_error("errors/template-unknown.yml",
                 "10:12: diagnosis names fact 'bundel_id', which no pattern captures and no "
                 "facts: entry defines");
    expect_error("errors/template-syntax.yml", "12:5: fix entry 1: a fact name is letters");
}

static void test_condition_errors(void **state)
{
    (void)state;
    expect_error("errors/condition-unknown.yml", "10:20: condition: unknown pattern name 'amfi_*'");
    expect_error("errors/condition-syntax.yml",
                 "10:27: condition: ends where a pattern name was expected");
}

static void test_no_literal(void **state)
{
    (void)state;
    expect_error("errors/no-literal.yml",
                 "9:14: pattern 'one': no literal of at least 3 bytes can be derived from the "
                 "regex; add a 'prefilter:'");
}

static void test_examples_required(void **state)
{
    (void)state;
    expect_error("errors/no-nomatch.yml", "17:3: examples need at least one 'nomatch' example");
}

static void test_bad_enum_and_type(void **state)
{
    (void)state;
    expect_error("errors/bad-enum.yml",
                 "3:11: bad severity 'fatal' (expected one of: error, warning, info)");
    expect_error("errors/bad-enum.yml",
                 "7:11: bad role 'reason' in pattern 'one' (expected one of: cause, symptom, "
                 "context)");
    expect_error("errors/wrong-type.yml", "2:8: 'title' in rule must be a string");
    expect_error("errors/duplicate-key.yml", "5:1: duplicate key 'title' (first at line 2)");
    expect_error("errors/not-a-mapping.yml", "1:1: a rule file must be a mapping of keys");
    expect_error("errors/empty.yml", "1:1: empty rule file");
    expect_error("errors/two-docs.yml", "21:1: a rule file holds one YAML document");
}

static void test_all_errors_of_a_file(void **state)
{
    (void)state;
    expect_error("errors/many-errors.yml", "10:5: unknown key 'procss'");
    expect_error("errors/many-errors.yml", "5:11: bad window '2h'");
    expect_error("errors/many-errors.yml", "12:12: diagnosis names fact 'nothing'");
}

static void test_errors_across_files(void **state)
{
    (void)state;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/errors/missing-key.yml", FIXTURES);
    snprintf(b, sizeof b, "%s/errors/bad-regex.yml", FIXTURES);
    const char *paths[] = {a, b};
    te_error err;
    assert_null(te_ruleset_load(paths, 2, &err));
    assert_non_null(strstr(err.message, "missing-key.yml:1:1:"));
    assert_non_null(strstr(err.message, "bad-regex.yml:9:14:"));
    assert_non_null(strchr(err.message, '\n'));
}

static void test_duplicate_ids(void **state)
{
    (void)state;
    te_error err;
    assert_null(load_fixture("dup", &err));
    char want[1024];
    snprintf(want, sizeof want,
             "%s/dup/two.yml:1:5: duplicate rule id 'a-first' (first defined in %s/dup/one.yml:1)",
             FIXTURES, FIXTURES);
    if (!strstr(err.message, want)) fprintf(stderr, "got: %s\n", err.message);
    assert_non_null(strstr(err.message, want));
}

static void test_missing_path(void **state)
{
    (void)state;
    te_error err;
    assert_null(load_one("/nonexistent/rules", &err));
    assert_int_equal(err.status, TE_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/rules: cannot read"));
    assert_null(te_ruleset_load(NULL, 0, &err));
    assert_int_equal(err.status, TE_ERR_USAGE);
}

/* Writes text to a temporary rule file; returns its path (static buffer). */
static const char *temp_rule(const char *text, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/te-rule-XXXXXX.yml");
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_too_many_patterns(void **state)
{
    (void)state;
    char *text = malloc(64 * 1024);
    size_t n = (size_t)sprintf(text, "id: many\ntitle: t\nseverity: info\nsummary: s\npatterns:\n");
    for (int i = 0; i < 65; i++)
        n += (size_t)sprintf(text + n, "  p%d: { role: cause, message: 'literal %d' }\n", i, i);
    n += (size_t)sprintf(text + n, "diagnosis: d\nfix: [f]\nreferences: []\nexamples: { match: "
                                   "[a], nomatch: [b] }\n");
    const char *path = temp_rule(text, n);
    te_error err;
    assert_null(load_one(path, &err));
    assert_non_null(strstr(err.message, ":6:3: 65 patterns, at most 64 per rule"));
    unlink(path);
    free(text);
}

static void test_file_too_large(void **state)
{
    (void)state;
    size_t len = TE_MAX_RULE_FILE_BYTES + 10;
    char *text = malloc(len);
    memset(text, '#', len);
    text[len - 1] = '\n';
    const char *path = temp_rule(text, len);
    te_error err;
    assert_null(load_one(path, &err));
    assert_non_null(strstr(err.message, ":1:1: rule file is larger than 1048576 bytes"));
    unlink(path);
    free(text);
}

static void test_error_list_is_bounded(void **state)
{
    (void)state;
    /* 100 unknown keys: the message stays within its buffer and says how many were left out */
    char *text = malloc(64 * 1024);
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(text + n, "unknown_key_%d: x\n", i);
    const char *path = temp_rule(text, n);
    te_error err;
    assert_null(load_one(path, &err));
    assert_true(strlen(err.message) < sizeof err.message);
    assert_non_null(strstr(err.message, "more problems"));
    unlink(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_rule),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_several_paths),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_bad_window),
        cmocka_unit_test(test_alias_refused),
        cmocka_unit_test(test_alias_bomb_refused),
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_unknown_supersedes),
        cmocka_unit_test(test_template_unknown_fact),
        cmocka_unit_test(test_condition_errors),
        cmocka_unit_test(test_no_literal),
        cmocka_unit_test(test_examples_required),
        cmocka_unit_test(test_bad_enum_and_type),
        cmocka_unit_test(test_all_errors_of_a_file),
        cmocka_unit_test(test_errors_across_files),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_too_many_patterns),
        cmocka_unit_test(test_file_too_large),
        cmocka_unit_test(test_error_list_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
