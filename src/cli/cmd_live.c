/* `tediag live`: runs `log stream --style ndjson` with a predicate derived
 * from the loaded rules (macOS) and diagnoses its output as it arrives.
 * `--dry-run` prints the exact command on any OS. The code is the same on
 * every OS: only /usr/bin/log is missing elsewhere ($TEDIAG_LOG_TOOL names
 * another program, which is how the tests run it on Linux). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_LOG_TOOL "/usr/bin/log"
#define PREDICATE_MAX 65536

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Quotes one argument for a POSIX shell. */
static void print_shell_quoted(const char *arg)
{
    putchar('\'');
    for (const char *p = arg; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*p);
    }
    putchar('\'');
}

static void on_incident(const te_incident *inc, void *user)
{
    te_reporter_incident(user, inc);
}

static void on_warning(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "tediag: %s\n", message);
}

/* Starts `TOOL stream ...` with its stdout on a pipe; the read end in *out_fd. */
static pid_t start_log_stream(const char *tool, const char *predicate, int *out_fd)
{
    int fds[2];
    if (pipe(fds) != 0) {
        cli_error("pipe: %s", strerror(errno));
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        cli_error("fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (child == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(tool, "log", "stream", "--style", "ndjson", "--info", "--predicate", predicate,
              (char *)NULL);
        fprintf(stderr, "tediag: cannot run %s: %s\n", tool, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return child;
}

/* Runs `log stream` and diagnoses its output until it ends or a signal. */
static int stream_from_log(const te_ruleset *rules, const cli_options *opt, const char *tool,
                           const char *predicate)
{
    int fd = -1;
    pid_t child = start_log_stream(tool, predicate, &fd);
    if (child < 0) return TE_EXIT_ERROR;
    fprintf(stderr,
            "tediag: watching `log stream` (Ctrl-C to stop). For full AMFI detail run once:\n"
            "  sudo sysctl -w security.mac.amfi.verbose_logging=1\n");

    te_options options;
    te_options_init(&options);
    options.input_format = "log-ndjson";
    options.live = true;
    options.min_severity = opt->min_severity;
    options.on_warning = on_warning;
    if (opt->flush_after_s > 0) options.quiet_us = (int64_t)(opt->flush_after_s * 1e6);
    te_report_options report = {opt->format, isatty(STDOUT_FILENO) && opt->color != CLI_COLOR_NEVER,
                                opt->redact};
    te_reporter *reporter = te_reporter_new(stdout, &report);
    te_error err = {TE_OK, ""};
    te_analyzer *a =
        reporter ? te_analyzer_new(rules, &options, on_incident, reporter, &err) : NULL;
    int status = TE_EXIT_ERROR;
    bool stopped = false;
    if (!a) {
        cli_error("%s", err.message[0] ? err.message : "out of memory");
        kill(child, SIGTERM);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    te_analyzer_begin_source(a, "log stream", &err);
    char buf[65536];
    while (!stop_requested) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 250);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            te_analyzer_tick(a, now_us());
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        te_analyzer_feed(a, buf, (size_t)n, &err);
    }
    stopped = stop_requested;
    if (stopped) kill(child, SIGTERM);
    te_analyzer_end_source(a, &err);
    te_analyzer_finish(a, &err);
    te_reporter_finish(reporter, te_analyzer_summary(a), opt->quiet ? NULL : stderr);
    status = te_analyzer_summary(a)->incidents ? TE_EXIT_INCIDENTS : TE_EXIT_CLEAN;
done:
    close(fd);
    int wstatus = 0;
    while (waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
    /* `log stream` ended on its own with an error (not root, bad predicate,
     * could not run): say so; what it printed before was still analysed. */
    if (!stopped && status != TE_EXIT_ERROR && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
        cli_error("`%s stream` exited with status %d", tool, WEXITSTATUS(wstatus));
        status = TE_EXIT_ERROR;
    }
    te_analyzer_free(a);
    if (reporter) te_reporter_free(reporter);
    return status;
}

int cli_cmd_live(const cli_options *opt)
{
    /* $TEDIAG_LOG_TOOL replaces /usr/bin/log (tests, or a log tool elsewhere) */
    const char *tool = getenv("TEDIAG_LOG_TOOL");
    bool tool_from_env = tool && *tool;
    if (!tool_from_env) tool = DEFAULT_LOG_TOOL;
    te_ruleset *rules = cli_load_rules(opt);
    if (!rules) return TE_EXIT_ERROR;
    int status = TE_EXIT_ERROR;
    char *predicate = NULL;
#ifndef __APPLE__
    if (!opt->dry_run && !tool_from_env) {
        cli_error("`tediag live` runs %s, which exists only on macOS; use `tediag live --dry-run` "
                  "to see the command, run it on the Mac and pipe its output into tediag",
                  DEFAULT_LOG_TOOL);
        goto done;
    }
#endif
    predicate = malloc(PREDICATE_MAX);
    if (!predicate || !te_ruleset_log_predicate(rules, predicate, PREDICATE_MAX)) {
        cli_error("cannot build the log predicate (too many processes in the rules?)");
        goto done;
    }
    if (opt->dry_run) {
        printf("%s stream --style ndjson --info --predicate ", tool);
        print_shell_quoted(predicate);
        printf(" | tediag\n");
        status = TE_EXIT_CLEAN;
        goto done;
    }
    if (access(tool, X_OK) != 0) {
        cli_error("%s: %s", tool, strerror(errno));
        goto done;
    }
    status = stream_from_log(rules, opt, tool, predicate);
done:
    free(predicate);
    te_ruleset_free(rules);
    return status;
}
