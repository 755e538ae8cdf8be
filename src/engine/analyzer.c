/* The analyzer ties the stages together for one run: framer → format
 * detection → reader → gate/matcher → correlator → incident callback. It is
 * the object behind the public te_analyzer_* API. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate/correlate.h"
#include "engine/analyzer.h"
#include "engine/error.h"
#include "engine/limits.h"
#include "engine/match.h"
#include "input/framer.h"
#include "input/reader.h"
#include "io/io.h"

/* Warnings forwarded per source before the rest are only counted. */
#define WARNINGS_PER_SOURCE 20u

struct te_analyzer {
    const te_ruleset *rules;
    te_options options;
    te_incident_fn on_incident;
    void *user;
    te_summary summary;
    te_matcher *matcher;
    te_correlator *correlator;
    te_framer framer;
    te_reader_env env;
    te_match_hook_fn match_hook;
    void *match_hook_ctx;

    /* current source */
    bool in_source;
    uint32_t source_index;
    char *source_name;
    const te_reader_ops *reader;
    void *reader_state;
    bool detecting;
    te_buf detect_text;  /* copied head lines, back to back */
    size_t *detect_ends; /* end offset of each head line in detect_text */
    uint64_t *detect_linenos;
    size_t detect_count;
    char format_reason[256];
    uint32_t warnings_this_source;
    uint64_t warnings_suppressed;
    uint64_t *limit_hits_said; /* per rule: regex limit hits already reported */
};

void te_options_init(te_options *options)
{
    memset(options, 0, sizeof *options);
    options->min_severity = TE_SEVERITY_INFO;
    options->quiet_us = TE_DEFAULT_QUIET_US;
}

const char *const *te_input_formats(void)
{
    static const char *names[32];
    if (!names[0]) {
        const te_reader_ops *const *all = te_readers_all();
        size_t n = 0;
        for (; all[n] && n + 1 < sizeof names / sizeof names[0]; n++)
            names[n] = all[n]->name;
        names[n] = NULL;
    }
    return names;
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void forward_warning(te_analyzer *a, const char *message)
{
    if (a->warnings_this_source < WARNINGS_PER_SOURCE) {
        a->warnings_this_source++;
        if (a->options.on_warning) a->options.on_warning(message, a->options.user);
    } else {
        a->warnings_suppressed++;
    }
}

static void env_warn(void *ctx, uint64_t line, const char *fmt, va_list ap)
{
    te_analyzer *a = ctx;
    char text[768], message[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    if (line > 0)
        snprintf(message, sizeof message, "%s:%llu: %s", a->source_name ? a->source_name : "?",
                 (unsigned long long)line, text);
    else
        snprintf(message, sizeof message, "%s: %s", a->source_name ? a->source_name : "?", text);
    forward_warning(a, message);
}

static void on_match(void *ctx, const te_match *match)
{
    te_analyzer *a = ctx;
    if (a->match_hook) a->match_hook(a->match_hook_ctx, match);
    te_correlator_add(a->correlator, match);
}

static void env_emit(void *ctx, te_event *event)
{
    te_analyzer *a = ctx;
    event->source = te_str_cstr(a->source_name);
    if (a->reader) event->format = te_str_cstr(a->reader->name);
    a->summary.events++;
    if (a->options.on_event) a->options.on_event(event, a->options.user);
    te_matcher_run(a->matcher, event, on_match, a, &a->summary);
}

static void on_cut(void *ctx, uint64_t lineno, uint64_t bytes)
{
    te_analyzer *a = ctx;
    char message[512];
    snprintf(message, sizeof message,
             "%s:%llu: line of %llu bytes is longer than %u bytes: skipped",
             a->source_name ? a->source_name : "?", (unsigned long long)lineno,
             (unsigned long long)bytes, (unsigned)TE_MAX_LINE_BYTES);
    forward_warning(a, message);
}

static void start_reader(te_analyzer *a, const te_reader_ops *reader)
{
    a->reader = reader;
    a->reader_state = reader->create(&a->env);
}

/* Chooses the reader from the buffered head lines and replays them. */
static void decide_format(te_analyzer *a)
{
    te_str lines[TE_DETECT_LINES];
    size_t start = 0;
    for (size_t i = 0; i < a->detect_count; i++) {
        lines[i] = te_str_make(a->detect_text.data + start, a->detect_ends[i] - start);
        start = a->detect_ends[i];
    }
    const te_reader_ops *reader =
        te_detect_format(lines, a->detect_count, a->format_reason, sizeof a->format_reason);
    a->detecting = false;
    start_reader(a, reader);
    if (!a->reader_state) return;
    for (size_t i = 0; i < a->detect_count; i++)
        a->reader->line(a->reader_state, lines[i], a->detect_linenos[i]);
    a->detect_count = 0;
    te_buf_reset(&a->detect_text);
}

static void on_line(void *ctx, te_str line, uint64_t lineno)
{
    te_analyzer *a = ctx;
    if (a->detecting) {
        bool room =
            a->detect_count < TE_DETECT_LINES && a->detect_text.len + line.len <= TE_DETECT_BYTES;
        if (room && te_buf_append(&a->detect_text, line.ptr, line.len)) {
            a->detect_ends[a->detect_count] = a->detect_text.len;
            a->detect_linenos[a->detect_count] = lineno;
            a->detect_count++;
            if (a->detect_count < TE_DETECT_LINES) return;
            decide_format(a);
            return;
        }
        decide_format(a);
    }
    if (a->reader_state)
        a->reader->line(a->reader_state, line, lineno);
    else
        a->summary.lines_not_understood++;
}

te_analyzer *te_analyzer_new(const te_ruleset *rules, const te_options *options,
                             te_incident_fn on_incident, void *user, te_error *err)
{
    te_analyzer *a = NULL;
    if (!rules) {
        te_error_set(err, TE_ERR_USAGE, "te_analyzer_new: no rule set");
        goto fail;
    }
    a = calloc(1, sizeof *a);
    if (!a) goto nomem;
    a->rules = rules;
    if (options)
        a->options = *options;
    else
        te_options_init(&a->options);
    if (a->options.quiet_us <= 0) a->options.quiet_us = TE_DEFAULT_QUIET_US;
    if (a->options.input_format && !te_reader_find(a->options.input_format)) {
        te_error_set(err, TE_ERR_USAGE, "unknown input format '%s'", a->options.input_format);
        goto fail;
    }
    a->on_incident = on_incident;
    a->user = user;
    a->summary.rules_loaded = te_ruleset_count(rules);
    a->matcher = te_matcher_new(rules, err);
    if (!a->matcher) goto fail;
    a->correlator = te_correlator_new(rules, &a->options, on_incident, user, &a->summary);
    if (!a->correlator) goto nomem;
    te_framer_init(&a->framer, on_line, on_cut, a, &a->summary);
    te_buf_init(&a->detect_text, TE_DETECT_BYTES);
    a->detect_ends = calloc(TE_DETECT_LINES, sizeof *a->detect_ends);
    a->detect_linenos = calloc(TE_DETECT_LINES, sizeof *a->detect_linenos);
    a->limit_hits_said = calloc(te_ruleset_count(rules) + 1, sizeof *a->limit_hits_said);
    if (!a->detect_ends || !a->detect_linenos || !a->limit_hits_said) goto nomem;
    a->env.emit = env_emit;
    a->env.warn = env_warn;
    a->env.ctx = a;
    a->env.summary = &a->summary;
    return a;
nomem:
    te_error_set(err, TE_ERR_NOMEM, "out of memory creating the analyzer");
fail:
    te_analyzer_free(a);
    return NULL;
}

void te_analyzer_set_match_hook(te_analyzer *a, te_match_hook_fn fn, void *ctx)
{
    a->match_hook = fn;
    a->match_hook_ctx = ctx;
}

static void end_current_source(te_analyzer *a)
{
    if (!a->in_source) return;
    te_framer_finish(&a->framer);
    if (a->detecting) decide_format(a);
    if (a->reader_state) {
        a->reader->flush(a->reader_state);
        a->reader->destroy(a->reader_state);
        a->reader_state = NULL;
    }
    if (a->options.on_source)
        a->options.on_source(a->source_name, a->reader ? a->reader->name : "none", a->format_reason,
                             a->options.user);
    /* Regex runs stopped by the PCRE2 limits, per rule (the summary has the
     * total): the rule did not match those lines, which the user should know. */
    for (size_t r = 0; r < te_ruleset_count(a->rules); r++) {
        uint64_t hits = te_matcher_limit_hits(a->matcher, r);
        if (hits == a->limit_hits_said[r]) continue;
        char message[512];
        snprintf(message, sizeof message,
                 "%s: rule %s: %llu regex %s stopped by the PCRE2 match/depth limit (those lines "
                 "count as not matching it)",
                 a->source_name, te_ruleset_rule(a->rules, r)->id,
                 (unsigned long long)(hits - a->limit_hits_said[r]),
                 hits - a->limit_hits_said[r] == 1 ? "run" : "runs");
        a->limit_hits_said[r] = hits;
        if (a->options.on_warning) a->options.on_warning(message, a->options.user);
    }
    if (a->warnings_suppressed) {
        char message[512];
        snprintf(message, sizeof message, "%s: %llu further warnings not shown", a->source_name,
                 (unsigned long long)a->warnings_suppressed);
        if (a->options.on_warning) a->options.on_warning(message, a->options.user);
    }
    a->in_source = false;
}

te_status te_analyzer_begin_source(te_analyzer *a, const char *name, te_error *err)
{
    end_current_source(a);
    char *copy = strdup(name ? name : "<input>");
    if (!copy) return te_error_set(err, TE_ERR_NOMEM, "out of memory");
    free(a->source_name);
    a->source_name = copy;
    a->summary.inputs++;
    te_framer_reset(&a->framer);
    a->warnings_this_source = 0;
    a->warnings_suppressed = 0;
    a->detect_count = 0;
    te_buf_reset(&a->detect_text);
    a->format_reason[0] = '\0';
    a->reader = NULL;
    if (a->options.input_format) {
        a->detecting = false;
        snprintf(a->format_reason, sizeof a->format_reason, "forced by --input-format");
        start_reader(a, te_reader_find(a->options.input_format));
        if (!a->reader_state) return te_error_set(err, TE_ERR_NOMEM, "out of memory");
    } else {
        a->detecting = true;
    }
    te_correlator_begin_source(a->correlator, a->source_index++);
    a->in_source = true;
    return TE_OK;
}

te_status te_analyzer_feed(te_analyzer *a, const void *bytes, size_t len, te_error *err)
{
    if (!a->in_source) {
        te_status st = te_analyzer_begin_source(a, "<input>", err);
        if (st != TE_OK) return st;
    }
    te_framer_feed(&a->framer, bytes, len);
    return TE_OK;
}

te_status te_analyzer_end_source(te_analyzer *a, te_error *err)
{
    (void)err;
    end_current_source(a);
    return TE_OK;
}

te_status te_analyzer_tick(te_analyzer *a, int64_t now_us)
{
    if (a->in_source) {
        if (a->detecting && a->detect_count > 0) decide_format(a);
        if (a->reader_state) a->reader->flush(a->reader_state);
    }
    te_correlator_tick(a->correlator, now_us);
    return TE_OK;
}

te_status te_analyzer_finish(te_analyzer *a, te_error *err)
{
    (void)err;
    end_current_source(a);
    te_correlator_finish(a->correlator);
    return TE_OK;
}

const te_summary *te_analyzer_summary(const te_analyzer *a)
{
    return &a->summary;
}

te_summary *te_analyzer_summary_mut(te_analyzer *a)
{
    return &a->summary;
}

const char *te_analyzer_format(const te_analyzer *a)
{
    return a->reader ? a->reader->name : NULL;
}

const char *te_analyzer_format_reason(const te_analyzer *a)
{
    return a->format_reason;
}

void te_analyzer_free(te_analyzer *a)
{
    if (!a) return;
    if (a->reader_state) a->reader->destroy(a->reader_state);
    te_framer_free(&a->framer);
    te_correlator_free(a->correlator);
    te_matcher_free(a->matcher);
    te_buf_free(&a->detect_text);
    free(a->detect_ends);
    free(a->detect_linenos);
    free(a->limit_hits_said);
    free(a->source_name);
    free(a);
}

te_status te_analyzer_feed_text(te_analyzer *a, const char *name, const char *text, size_t len,
                                te_error *err)
{
    te_status st = te_analyzer_begin_source(a, name, err);
    if (st == TE_OK) st = te_analyzer_feed(a, text, len, err);
    if (st == TE_OK) st = te_analyzer_end_source(a, err);
    return st;
}

/* ---- reading paths through the io layer ---------------------------------- */

static te_status sink_begin(void *ctx, const char *name)
{
    return te_analyzer_begin_source(ctx, name, NULL);
}

static te_status sink_data(void *ctx, const void *bytes, size_t len)
{
    return te_analyzer_feed(ctx, bytes, len, NULL);
}

static te_status sink_end(void *ctx)
{
    return te_analyzer_end_source(ctx, NULL);
}

static void sink_warn(void *ctx, const char *message)
{
    te_analyzer *a = ctx;
    if (a->options.on_warning) a->options.on_warning(message, a->options.user);
}

static void sink_tick(void *ctx)
{
    te_analyzer_tick(ctx, monotonic_us());
}

void te_request_stop(void)
{
    te_io_request_stop();
}

te_status te_analyzer_read_path(te_analyzer *a, const char *path, te_error *err)
{
    te_io_sink sink = {sink_begin, sink_data, sink_end, sink_warn, sink_tick, a, &a->summary};
    te_io_options io = {0, false};
    if (a->options.live) {
        int64_t interval = a->options.quiet_us / 4;
        if (interval > 250000) interval = 250000;
        if (interval < 10000) interval = 10000;
        io.tick_interval_us = interval;
    }
    if (a->options.read_ahead && !a->options.live)
        return te_io_read_path_ahead(path, &io, &sink, err);
    return te_io_read_path(path, &io, &sink, err);
}
