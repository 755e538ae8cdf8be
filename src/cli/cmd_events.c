/* `tediag events`: print the normalized events as NDJSON, or with
 * --explain-format which reader each input got and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct events_run {
    bool explain;
    bool write_failed;
} events_run;

static void on_event(const te_event *event, void *user)
{
    events_run *run = user;
    if (run->explain || run->write_failed) return;
    char *json = te_event_to_json(event);
    if (!json) return;
    if (fputs(json, stdout) < 0 || fputc('\n', stdout) < 0) run->write_failed = true;
    free(json);
}

static void on_source(const char *name, const char *format, const char *reason, void *user)
{
    events_run *run = user;
    if (run->explain) printf("%s: %s (%s)\n", name, format, reason && *reason ? reason : "-");
}

static void on_warning(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "tediag: %s\n", message);
}

int cli_cmd_events(const cli_options *opt)
{
    int status = TE_EXIT_ERROR;
    events_run run = {opt->explain_format, false};
    te_ruleset *rules = cli_load_rules(opt);
    if (!rules) return TE_EXIT_ERROR;
    te_options options;
    te_options_init(&options);
    options.input_format = opt->input_format;
    options.on_event = on_event;
    options.on_source = on_source;
    options.on_warning = on_warning;
    options.user = &run;
    te_error err = {TE_OK, ""};
    te_analyzer *a = te_analyzer_new(rules, &options, NULL, NULL, &err);
    if (!a) {
        cli_error("%s", err.message);
        goto done;
    }
    static const char *stdin_only[] = {"-"};
    const char *const *inputs = opt->n_inputs ? opt->inputs : stdin_only;
    size_t n = opt->n_inputs ? opt->n_inputs : 1;
    bool failed = false;
    for (size_t i = 0; i < n && !run.write_failed; i++) {
        err.status = TE_OK;
        err.message[0] = '\0';
        if (te_analyzer_read_path(a, inputs[i], &err) != TE_OK) {
            cli_error("%s", err.message);
            failed = true;
        }
    }
    te_analyzer_finish(a, &err);
    fflush(stdout);
    status = failed ? TE_EXIT_ERROR : TE_EXIT_CLEAN;
done:
    te_analyzer_free(a);
    te_ruleset_free(rules);
    return status;
}
