/* `tediag rules list|check|test [PATH...]` and `tediag explain ID`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* PATHs given after the action replace the default rule set. */
static te_ruleset *load_for_rules_command(const cli_options *opt)
{
    if (opt->n_inputs == 0) return cli_load_rules(opt);
    te_error err = {TE_OK, ""};
    te_ruleset *rules = te_ruleset_load(opt->inputs, opt->n_inputs, &err);
    if (!rules) fprintf(stderr, "%s\n", err.message);
    return rules;
}

static int rules_list(const te_ruleset *rules)
{
    size_t n = te_ruleset_count(rules);
    for (size_t i = 0; i < n; i++) {
        const te_rule_info *r = te_ruleset_rule(rules, i);
        printf("%-30s %-8s %s%s\n", r->id, te_severity_name(r->severity), r->title,
               r->unverified ? " (unverified)" : "");
    }
    return TE_EXIT_CLEAN;
}

typedef struct literal_set {
    char **items;
    size_t n, cap;
} literal_set;

/* Collects distinct literals (a few hundred at most: a linear check is fine). */
static void add_literal(const char *lit, size_t len, bool caseless, void *user)
{
    (void)caseless;
    literal_set *set = user;
    for (size_t i = 0; i < set->n; i++)
        if (strlen(set->items[i]) == len && !memcmp(set->items[i], lit, len)) return;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        char **items = realloc(set->items, cap * sizeof *items);
        if (!items) return;
        set->items = items;
        set->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return;
    memcpy(copy, lit, len);
    copy[len] = '\0';
    set->items[set->n++] = copy;
}

/* One prefilter literal per line: what a grep of the known messages would search. */
static int rules_literals(const te_ruleset *rules)
{
    literal_set set = {NULL, 0, 0};
    te_ruleset_literals(rules, add_literal, &set);
    for (size_t i = 0; i < set.n; i++) {
        if (!strchr(set.items[i], '\n')) puts(set.items[i]);
        free(set.items[i]);
    }
    free(set.items);
    return TE_EXIT_CLEAN;
}

int cli_cmd_rules(const char *action, const cli_options *opt)
{
    if (strcmp(action, "list") && strcmp(action, "check") && strcmp(action, "test") &&
        strcmp(action, "literals")) {
        cli_error("unknown rules action '%s' (expected list, check, test or literals)", action);
        return TE_EXIT_ERROR;
    }
    te_ruleset *rules = load_for_rules_command(opt);
    if (!rules) {
        cli_error("rule check failed");
        return TE_EXIT_ERROR;
    }
    int status = TE_EXIT_CLEAN;
    if (!strcmp(action, "list")) {
        status = rules_list(rules);
    } else if (!strcmp(action, "literals")) {
        status = rules_literals(rules);
    } else if (!strcmp(action, "check")) {
        printf("%zu rules OK (compiled in %.1f ms)\n", te_ruleset_count(rules),
               te_ruleset_compile_us(rules) / 1000.0);
    } else {
        size_t passed = 0, failed = 0;
        te_status st = te_ruleset_run_examples(rules, NULL, opt->verbose, stdout, &passed, &failed);
        printf("%zu passed, %zu failed\n", passed, failed);
        if (st != TE_OK || failed) status = TE_EXIT_ERROR;
    }
    te_ruleset_free(rules);
    return status;
}

/* A template as the user reads it: placeholders {name|fallback} are kept
 * (the closing note says what they are), escaped braces {{ }} shown single. */
static void print_template(const char *text)
{
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) p++;
    }
    putchar('\n');
}

static void print_list(const char *heading, const char *const *items, size_t n, bool numbered)
{
    if (n == 0) return;
    printf("\n%s\n", heading);
    for (size_t i = 0; i < n; i++) {
        if (numbered)
            printf("  %zu. ", i + 1);
        else
            printf("  - ");
        print_template(items[i]);
    }
}

int cli_cmd_explain(const char *id, const cli_options *opt)
{
    te_ruleset *rules = cli_load_rules(opt);
    if (!rules) return TE_EXIT_ERROR;
    const te_rule_info *r = te_ruleset_find(rules, id);
    if (!r) {
        cli_error("no rule '%s' (see tediag rules list)", id);
        te_ruleset_free(rules);
        return TE_EXIT_ERROR;
    }
    printf("%s: %s\n", r->id, r->title);
    printf("severity: %s%s\n", te_severity_name(r->severity),
           r->unverified ? "  (some signatures unverified: written in their most likely form)"
                         : "");
    printf("\n%s\n", r->summary);
    print_list("How to confirm:", r->confirm, r->n_confirm, false);
    print_list("Fix:", r->fix, r->n_fix, true);
    if (r->n_references) {
        printf("\nReferences:\n");
        for (size_t i = 0; i < r->n_references; i++)
            printf("  - %s\n    %s\n", r->references[i].title, r->references[i].url);
    }
    printf("\n(Placeholders like {app|...} are filled with the facts of your logs when tediag\n"
           "reports an incident.)\n");
    te_ruleset_free(rules);
    return TE_EXIT_CLEAN;
}
