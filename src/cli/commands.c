/* The main command: read the inputs, diagnose, report incidents, summary
 * and exit status. Also rule-set loading and the suppression file. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "te_config.h"

/* ---- rule set ------------------------------------------------------------ */

static bool dir_has_rules(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        found = n > 4 && !strcmp(e->d_name + n - 4, ".yml");
    }
    closedir(d);
    return found;
}

const char *cli_default_rules_dir(void)
{
    const char *env = getenv("TEDIAG_RULES");
    if (env && *env) return env;
    if (dir_has_rules(TE_INSTALLED_RULES_DIR)) return TE_INSTALLED_RULES_DIR;
    return TE_SOURCE_RULES_DIR;
}

te_ruleset *cli_load_rules(const cli_options *opt)
{
    const char *paths[CLI_MAX_RULE_PATHS + 1];
    size_t n = 0;
    if (!opt->no_default_rules) paths[n++] = cli_default_rules_dir();
    for (size_t i = 0; i < opt->n_rule_paths; i++)
        paths[n++] = opt->rule_paths[i];
    te_error err = {TE_OK, ""};
    te_ruleset *rules = te_ruleset_load(paths, n, &err);
    if (!rules) {
        fprintf(stderr, "%s\n", err.message);
        cli_error("rules not loaded (%s); nothing analysed", te_status_name(err.status));
    }
    return rules;
}

/* ---- suppressions ---------------------------------------------------------- */

#define MAX_SUPPRESSIONS 256
#define MAX_CONDITIONS 8

typedef struct suppression {
    char *rule_id;
    size_t n_conditions;
    char *fact[MAX_CONDITIONS];
    char *glob[MAX_CONDITIONS];
} suppression;

typedef struct suppression_list {
    suppression items[MAX_SUPPRESSIONS];
    size_t n;
} suppression_list;

static void suppressions_free(suppression_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].rule_id);
        for (size_t j = 0; j < list->items[i].n_conditions; j++) {
            free(list->items[i].fact[j]);
            free(list->items[i].glob[j]);
        }
    }
    list->n = 0;
}

/* Reads "rule-id [fact=glob ...]" lines; '#' starts a comment. */
static bool suppressions_load(const char *path, const te_ruleset *rules, suppression_list *list)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("cannot open suppression file '%s': %s", path, strerror(errno));
        return false;
    }
    char line[2048];
    unsigned lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *save = NULL;
        char *word = strtok_r(line, " \t\r\n", &save);
        if (!word) continue;
        if (list->n == MAX_SUPPRESSIONS) {
            cli_error("%s:%u: more than %d suppressions", path, lineno, MAX_SUPPRESSIONS);
            ok = false;
            break;
        }
        if (!te_ruleset_find(rules, word)) {
            cli_error("%s:%u: unknown rule id '%s' (see tediag rules list)", path, lineno, word);
            ok = false;
            break;
        }
        suppression *s = &list->items[list->n++];
        memset(s, 0, sizeof *s);
        s->rule_id = strdup(word);
        while ((word = strtok_r(NULL, " \t\r\n", &save))) {
            char *eq = strchr(word, '=');
            if (!eq || eq == word || s->n_conditions == MAX_CONDITIONS) {
                cli_error("%s:%u: expected fact=glob, got '%s'", path, lineno, word);
                ok = false;
                break;
            }
            *eq = '\0';
            s->fact[s->n_conditions] = strdup(word);
            s->glob[s->n_conditions] = strdup(eq + 1);
            s->n_conditions++;
        }
    }
    fclose(f);
    return ok;
}

static const char *subject_value(const te_incident *inc, const char *name, char *buf, size_t cap)
{
    if (!strcmp(name, "process")) return inc->process;
    if (!strcmp(name, "path")) return inc->path;
    if (!strcmp(name, "bundle_id")) return inc->bundle_id;
    if (!strcmp(name, "team_id")) return inc->team_id;
    if (!strcmp(name, "pid") && inc->pid >= 0) {
        snprintf(buf, cap, "%lld", (long long)inc->pid);
        return buf;
    }
    return NULL;
}

static bool condition_holds(const te_incident *inc, const char *fact, const char *glob)
{
    char buf[32];
    const char *v = subject_value(inc, fact, buf, sizeof buf);
    if (v && fnmatch(glob, v, 0) == 0) return true;
    for (size_t i = 0; i < inc->n_facts; i++) {
        if (strcmp(inc->facts[i].name, fact)) continue;
        for (size_t j = 0; j < inc->facts[i].n_values; j++)
            if (fnmatch(glob, inc->facts[i].values[j], 0) == 0) return true;
    }
    return false;
}

static bool is_suppressed(const suppression_list *list, const te_incident *inc)
{
    for (size_t i = 0; i < list->n; i++) {
        const suppression *s = &list->items[i];
        if (strcmp(s->rule_id, inc->rule_id)) continue;
        bool all = true;
        for (size_t j = 0; j < s->n_conditions && all; j++)
            all = condition_holds(inc, s->fact[j], s->glob[j]);
        if (all) return true;
    }
    return false;
}

/* ---- the run --------------------------------------------------------------- */

typedef struct run_state {
    te_reporter *reporter;
    suppression_list suppressions;
    te_analyzer *analyzer;
    te_summary *summary; /* where suppressions are counted */
    size_t reported;
} run_state;

static void on_incident(const te_incident *inc, void *user)
{
    run_state *run = user;
    if (run->suppressions.n && is_suppressed(&run->suppressions, inc)) {
        te_summary *s = run->summary;
        s->incidents_suppressed++;
        if (s->incidents) s->incidents--;
        return;
    }
    run->reported++;
    te_reporter_incident(run->reporter, inc);
}

static void on_warning(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "tediag: %s\n", message);
}

static void on_signal(int sig)
{
    (void)sig;
    te_request_stop();
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static bool stdin_is_live(void)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) != 0) return false;
    return S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode);
}

int cli_cmd_analyze(const cli_options *opt)
{
    int status = TE_EXIT_ERROR;
    run_state run;
    memset(&run, 0, sizeof run);
    te_ruleset *rules = cli_load_rules(opt);
    if (!rules) return TE_EXIT_ERROR;
    if (opt->suppress_file && !suppressions_load(opt->suppress_file, rules, &run.suppressions))
        goto done;

    static const char *stdin_only[] = {"-"};
    const char *const *inputs = opt->n_inputs ? opt->inputs : stdin_only;
    size_t n_inputs = opt->n_inputs ? opt->n_inputs : 1;
    bool reads_stdin = false;
    for (size_t i = 0; i < n_inputs; i++)
        reads_stdin |= !strcmp(inputs[i], "-");

    te_options options;
    te_options_init(&options);
    options.input_format = opt->input_format;
    options.min_severity = opt->min_severity;
    options.on_warning = on_warning;
    options.live = opt->live || (!opt->no_live && reads_stdin && stdin_is_live());
    if (opt->flush_after_s > 0) options.quiet_us = (int64_t)(opt->flush_after_s * 1e6);
    /* threads to spare (-j 2 on one input): read and decompress on one while
     * analysing on the other */
    options.read_ahead = !options.live && (size_t)opt->jobs >= 2 * n_inputs;

    te_report_options report = {opt->format, false, opt->redact};
    report.color = opt->color == CLI_COLOR_ALWAYS ||
                   (opt->color == CLI_COLOR_AUTO && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    run.reporter = te_reporter_new(stdout, &report);
    if (!run.reporter) {
        cli_error("out of memory");
        goto done;
    }
    te_error err = {TE_OK, ""};
    run.analyzer = te_analyzer_new(rules, &options, on_incident, &run, &err);
    if (!run.analyzer) {
        cli_error("%s", err.message);
        goto done;
    }
    run.summary = te_analyzer_summary_mut(run.analyzer);
    install_signal_handlers();
    if (opt->jobs > 1 && n_inputs > 1) {
        te_summary merged;
        run.summary = &merged; /* filled before the first incident is delivered */
        bool failed = !cli_run_parallel(rules, &options, inputs, n_inputs, opt->jobs, &merged,
                                        on_incident, &run);
        te_reporter_finish(run.reporter, &merged, opt->quiet ? NULL : stderr);
        fflush(stdout);
        status = failed || merged.inputs_failed ? TE_EXIT_ERROR
                 : run.reported                 ? TE_EXIT_INCIDENTS
                                                : TE_EXIT_CLEAN;
        goto done;
    }
    bool input_failed = false;
    for (size_t i = 0; i < n_inputs; i++) {
        err.status = TE_OK;
        err.message[0] = '\0';
        if (te_analyzer_read_path(run.analyzer, inputs[i], &err) != TE_OK) {
            cli_error("%s", err.message[0] ? err.message : te_status_name(err.status));
            input_failed = true;
        }
    }
    te_analyzer_finish(run.analyzer, &err);
    const te_summary *summary = te_analyzer_summary(run.analyzer);
    te_reporter_finish(run.reporter, summary, opt->quiet ? NULL : stderr);
    fflush(stdout);
    if (input_failed || summary->inputs_failed)
        status = TE_EXIT_ERROR;
    else
        status = run.reported ? TE_EXIT_INCIDENTS : TE_EXIT_CLEAN;
done:
    if (run.reporter) te_reporter_free(run.reporter);
    te_analyzer_free(run.analyzer);
    suppressions_free(&run.suppressions);
    te_ruleset_free(rules);
    return status;
}
