/* Shared declarations of the command-line front end (src/cli): parsed
 * options and the subcommands. The CLI uses only the public API. */
#ifndef TE_CLI_H
#define TE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <tediag/report.h>
#include <tediag/tediag.h>

#define TE_EXIT_CLEAN 0
#define TE_EXIT_INCIDENTS 1
#define TE_EXIT_ERROR 2

#define CLI_MAX_RULE_PATHS 32
#define CLI_MAX_INPUTS 4096

typedef enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER } cli_color;

typedef struct cli_options {
    te_report_format format;
    cli_color color;
    const char *input_format;
    te_severity min_severity;
    const char *rule_paths[CLI_MAX_RULE_PATHS];
    size_t n_rule_paths;
    bool no_default_rules;
    const char *suppress_file;
    bool redact;
    bool quiet; /* no summary */
    bool live;  /* forced live mode */
    bool no_live;
    double flush_after_s; /* live quiet time */
    int jobs;
    bool explain_format; /* events --explain-format */
    bool dry_run;        /* live --dry-run */
    bool verbose;
    const char *inputs[CLI_MAX_INPUTS];
    size_t n_inputs;
} cli_options;

/* Loads the rule set named by the options (default set unless disabled).
 * Prints errors to stderr; NULL on failure. */
te_ruleset *cli_load_rules(const cli_options *opt);
/* The default rule directory: $TEDIAG_RULES, the installed one, or the
 * source tree's when running from a build directory. */
const char *cli_default_rules_dir(void);

int cli_cmd_analyze(const cli_options *opt);
int cli_cmd_events(const cli_options *opt);
int cli_cmd_rules(const char *action, const cli_options *opt);
int cli_cmd_explain(const char *id, const cli_options *opt);
int cli_cmd_live(const cli_options *opt);

/* -j: analyses each input with its own analyzer on `jobs` threads and
 * delivers the incidents to deliver() in input order (deterministic);
 * inputs do not link with each other. `merged` receives the summed summary
 * (suppressions counted by deliver are added to it afterwards by the caller's
 * callback). Returns false when an input could not be read at all. */
bool cli_run_parallel(const te_ruleset *rules, const te_options *options, const char *const *inputs,
                      size_t n_inputs, int jobs, te_summary *merged, te_incident_fn deliver,
                      void *user);

/* Prints "tediag: message" to stderr (printf-style). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
