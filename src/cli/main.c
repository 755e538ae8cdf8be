/* tediag command line: option parsing, help, and dispatch to subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: tediag [OPTIONS] [FILE...]          diagnose (stdin when no FILE, or -)\n"
    "       tediag events [OPTIONS] [FILE...]   print the normalized events as NDJSON\n"
    "       tediag rules list|check|test [PATH...]\n"
    "       tediag explain ID                   what a failure class is and how to fix it\n"
    "       tediag live [--dry-run] [OPTIONS]   run `log stream` (macOS) and diagnose it live\n"
    "\n"
    "tediag reads macOS unified-log output (log show / log stream in every style), Console.app\n"
    "copies, crash reports (.ips and text), notarytool logs, codesign/spctl output, compressed\n"
    "files (.gz, .zst), archives (.tar, .tar.gz, .zip, sysdiagnose) and directories, and tells\n"
    "why macOS refused to run a program, with the evidence and the fix.\n"
    "\n"
    "Output:\n"
    "  -f, --format FORMAT     text (default), json, ndjson or markdown\n"
    "      --color WHEN        auto (default), always or never (text format)\n"
    "      --redact            replace user names, e-mail, host names, serials, IPs and the\n"
    "                          person of a signing certificate with placeholders\n"
    "      --min-severity SEV  report only incidents of at least info|warning|error\n"
    "  -q, --quiet             do not print the run summary (text and ndjson formats)\n"
    "\n"
    "Input:\n"
    "  -I, --input-format NAME force the input format (see `tediag events --list-formats`)\n"
    "      --live              report incidents as they complete (default when reading a pipe\n"
    "                          or terminal on stdin); --no-live to wait for end of input\n"
    "      --flush-after SECS  live: report an incident after this much quiet (default 2)\n"
    "      --explain-format    events: say which reader was chosen for each input and why\n"
    "      --list-formats      events: list the input formats\n"
    "\n"
    "Rules:\n"
    "  -r, --rules PATH        add a rule file or directory (repeatable)\n"
    "      --no-default-rules  use only the --rules given\n"
    "      --suppress FILE     ignore incidents: lines `rule-id [fact=glob ...]`\n"
    "\n"
    "  -j, --jobs N            analyse the inputs on N threads, each input on its own (inputs\n"
    "                          then do not link with each other); output order stays the same.\n"
    "                          With twice as many jobs as inputs (-j 2 on one archive), each is\n"
    "                          read and decompressed on one thread while analysed on another\n"
    "\n"
    "  -h, --help              this help;  -V, --version  the version\n"
    "\n"
    "Exit status: 0 no incident, 1 at least one incident, 2 usage, input or rule error.\n"
    "The default rules are read from $TEDIAG_RULES, else the installed rule directory;\n"
    "`tediag live` runs $TEDIAG_LOG_TOOL instead of /usr/bin/log when it is set.\n"
    "See tediag(1) for details.\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tediag: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

enum {
    OPT_COLOR = 256,
    OPT_REDACT,
    OPT_MIN_SEVERITY,
    OPT_LIVE,
    OPT_NO_LIVE,
    OPT_FLUSH_AFTER,
    OPT_EXPLAIN_FORMAT,
    OPT_LIST_FORMATS,
    OPT_NO_DEFAULT_RULES,
    OPT_SUPPRESS,
    OPT_DRY_RUN,
};

static const struct option long_options[] = {
    {"format", required_argument, NULL, 'f'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"redact", no_argument, NULL, OPT_REDACT},
    {"min-severity", required_argument, NULL, OPT_MIN_SEVERITY},
    {"quiet", no_argument, NULL, 'q'},
    {"input-format", required_argument, NULL, 'I'},
    {"live", no_argument, NULL, OPT_LIVE},
    {"no-live", no_argument, NULL, OPT_NO_LIVE},
    {"flush-after", required_argument, NULL, OPT_FLUSH_AFTER},
    {"explain-format", no_argument, NULL, OPT_EXPLAIN_FORMAT},
    {"list-formats", no_argument, NULL, OPT_LIST_FORMATS},
    {"rules", required_argument, NULL, 'r'},
    {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES},
    {"suppress", required_argument, NULL, OPT_SUPPRESS},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"jobs", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static bool parse_seconds(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v > 0) || v > 86400) return false;
    *out = v;
    return true;
}

static void list_formats(void)
{
    const char *const *names = te_input_formats();
    for (size_t i = 0; names[i]; i++)
        printf("%s\n", names[i]);
}

int main(int argc, char **argv)
{
    cli_options opt;
    memset(&opt, 0, sizeof opt);
    opt.format = TE_REPORT_TEXT;
    opt.color = CLI_COLOR_AUTO;
    opt.min_severity = TE_SEVERITY_INFO;
    opt.jobs = 1;
    bool want_list_formats = false;

    /* The subcommand, if any, is the first argument. */
    const char *command = NULL;
    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        const char *c = argv[1];
        if (!strcmp(c, "events") || !strcmp(c, "rules") || !strcmp(c, "explain") ||
            !strcmp(c, "live") || !strcmp(c, "help") || !strcmp(c, "version")) {
            command = c;
            first = 2;
        }
    }
    if (command && !strcmp(command, "help")) {
        fputs(usage_text, stdout);
        return TE_EXIT_CLEAN;
    }
    if (command && !strcmp(command, "version")) {
        printf("tediag %s\n", TE_VERSION_STRING);
        return TE_EXIT_CLEAN;
    }

    /* getopt_long over argv[first..]: shift the view so argv[0] stays. */
    char **args = argv + first - 1;
    int nargs = argc - first + 1;
    int c;
    opterr = 0;
    while ((c = getopt_long(nargs, args, ":f:qI:r:j:vhV", long_options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!te_report_format_parse(optarg, &opt.format)) {
                cli_error("unknown output format '%s' (expected text, json, ndjson or markdown)",
                          optarg);
                return TE_EXIT_ERROR;
            }
            break;
        case OPT_COLOR:
            if (!strcmp(optarg, "auto"))
                opt.color = CLI_COLOR_AUTO;
            else if (!strcmp(optarg, "always"))
                opt.color = CLI_COLOR_ALWAYS;
            else if (!strcmp(optarg, "never"))
                opt.color = CLI_COLOR_NEVER;
            else {
                cli_error("--color takes auto, always or never, not '%s'", optarg);
                return TE_EXIT_ERROR;
            }
            break;
        case OPT_REDACT:
            opt.redact = true;
            break;
        case OPT_MIN_SEVERITY:
            if (!te_severity_parse(optarg, &opt.min_severity)) {
                cli_error("--min-severity takes info, warning or error, not '%s'", optarg);
                return TE_EXIT_ERROR;
            }
            break;
        case 'q':
            opt.quiet = true;
            break;
        case 'I':
            opt.input_format = optarg;
            break;
        case OPT_LIVE:
            opt.live = true;
            break;
        case OPT_NO_LIVE:
            opt.no_live = true;
            break;
        case OPT_FLUSH_AFTER:
            if (!parse_seconds(optarg, &opt.flush_after_s)) {
                cli_error("--flush-after takes a number of seconds (0 < s <= 86400), not '%s'",
                          optarg);
                return TE_EXIT_ERROR;
            }
            break;
        case OPT_EXPLAIN_FORMAT:
            opt.explain_format = true;
            break;
        case OPT_LIST_FORMATS:
            want_list_formats = true;
            break;
        case 'r':
            if (opt.n_rule_paths == CLI_MAX_RULE_PATHS) {
                cli_error("too many --rules (at most %d)", CLI_MAX_RULE_PATHS);
                return TE_EXIT_ERROR;
            }
            opt.rule_paths[opt.n_rule_paths++] = optarg;
            break;
        case OPT_NO_DEFAULT_RULES:
            opt.no_default_rules = true;
            break;
        case OPT_SUPPRESS:
            opt.suppress_file = optarg;
            break;
        case OPT_DRY_RUN:
            opt.dry_run = true;
            break;
        case 'j': {
            char *end = NULL;
            long j = strtol(optarg, &end, 10);
            if (!end || *end || j < 1 || j > 64) {
                cli_error("-j takes a number of jobs from 1 to 64, not '%s'", optarg);
                return TE_EXIT_ERROR;
            }
            opt.jobs = (int)j;
            break;
        }
        case 'v':
            opt.verbose = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return TE_EXIT_CLEAN;
        case 'V':
            printf("tediag %s\n", TE_VERSION_STRING);
            return TE_EXIT_CLEAN;
        case ':':
            cli_error("option '%s' needs a value; see tediag --help", args[optind - 1]);
            return TE_EXIT_ERROR;
        default:
            cli_error("unknown option '%s'; see tediag --help", args[optind - 1]);
            return TE_EXIT_ERROR;
        }
    }
    if (opt.no_default_rules && opt.n_rule_paths == 0) {
        cli_error("--no-default-rules needs at least one --rules PATH");
        return TE_EXIT_ERROR;
    }
    if (want_list_formats) {
        list_formats();
        return TE_EXIT_CLEAN;
    }
    for (int i = optind; i < nargs; i++) {
        if (opt.n_inputs == CLI_MAX_INPUTS) {
            cli_error("too many inputs (at most %d); name a directory instead", CLI_MAX_INPUTS);
            return TE_EXIT_ERROR;
        }
        opt.inputs[opt.n_inputs++] = args[i];
    }

    if (!command) return cli_cmd_analyze(&opt);
    if (!strcmp(command, "events")) return cli_cmd_events(&opt);
    if (!strcmp(command, "live")) return cli_cmd_live(&opt);
    if (!strcmp(command, "rules")) {
        if (opt.n_inputs == 0) {
            cli_error("rules needs an action: list, check or test");
            return TE_EXIT_ERROR;
        }
        const char *action = opt.inputs[0];
        memmove(opt.inputs, opt.inputs + 1, (opt.n_inputs - 1) * sizeof opt.inputs[0]);
        opt.n_inputs--;
        return cli_cmd_rules(action, &opt);
    }
    if (!strcmp(command, "explain")) {
        if (opt.n_inputs != 1) {
            cli_error("explain takes one rule id (see tediag rules list)");
            return TE_EXIT_ERROR;
        }
        return cli_cmd_explain(opt.inputs[0], &opt);
    }
    return TE_EXIT_ERROR;
}
