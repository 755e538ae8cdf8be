/* tediag public API: load a rule set, feed log bytes to an analyzer, receive
 * diagnosed incidents through a callback. Everything the CLI does goes through
 * this header (and report.h for the output formats). */
#ifndef TEDIAG_TEDIAG_H
#define TEDIAG_TEDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tediag/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TE_API __attribute__((visibility("default")))
#else
#define TE_API
#endif

/* ---- errors ------------------------------------------------------------ */

/* The one error enum of the library. Functions return it (or NULL) and fill a
 * te_error with a human message that names the file and line when known. */
typedef enum te_status {
    TE_OK = 0,
    TE_ERR_NOMEM,       /* allocation failed */
    TE_ERR_IO,          /* a file or stream could not be read */
    TE_ERR_FORMAT,      /* input is malformed (corrupt compressed data, bad JSON, ...) */
    TE_ERR_RULE,        /* a rule file is invalid */
    TE_ERR_LIMIT,       /* a limit of limits.h was reached */
    TE_ERR_USAGE,       /* the caller passed invalid arguments */
    TE_ERR_UNSUPPORTED, /* the input is recognised but cannot be decoded */
    TE_ERR_INTERNAL     /* a bug */
} te_status;

#define TE_ERROR_MESSAGE_MAX 1024

typedef struct te_error {
    te_status status;
    char message[TE_ERROR_MESSAGE_MAX];
} te_error;

TE_API const char *te_status_name(te_status status);

/* ---- strings and events -------------------------------------------------- */

/* A view into bytes owned by someone else (never NUL-terminated by contract). */
typedef struct te_str {
    const char *ptr;
    size_t len;
} te_str;

typedef struct te_kv {
    te_str key;
    te_str value;
} te_kv;

#define TE_EVENT_MAX_EXTRA 24

/* A normalized event. All te_str fields are views valid only during the
 * callback that receives the event. Unknown fields have len == 0. */
typedef struct te_event {
    te_str source;     /* provenance name: "file", "archive!member" */
    uint64_t line;     /* 1-based line of the record's first line in source */
    uint64_t line_end; /* last line of the record */
    bool has_time;     /* time_us is meaningful */
    bool has_offset;   /* utc_offset_min came from the input */
    bool has_date;     /* false for time-of-day only inputs (Console copies) */
    int64_t time_us;   /* microseconds since the Unix epoch, UTC */
    int32_t utc_offset_min;
    te_str type;    /* Default, Info, Debug, Error, Fault, Activity, ... or "crash", "tool" */
    te_str process; /* process image basename */
    int64_t pid;    /* -1 when unknown */
    int64_t thread; /* -1 when unknown */
    te_str sender;  /* library (sender image basename) */
    te_str subsystem;
    te_str category;
    te_str message; /* may contain newlines for multi-line records */
    te_str format;  /* name of the reader that produced it ("log-default", ...) */
    size_t n_extra; /* extra facts: crash-report fields, tool name, ... */
    te_kv extra[TE_EVENT_MAX_EXTRA];
} te_event;

/* ---- rule sets ----------------------------------------------------------- */

typedef enum te_severity {
    TE_SEVERITY_INFO = 0,
    TE_SEVERITY_WARNING = 1,
    TE_SEVERITY_ERROR = 2
} te_severity;

TE_API const char *te_severity_name(te_severity severity);
/* Parses "info", "warning", "error"; returns false on anything else. */
TE_API bool te_severity_parse(const char *text, te_severity *out);

typedef struct te_reference {
    const char *title;
    const char *url;
} te_reference;

/* Read-only description of one loaded rule (for listings and `explain`). */
typedef struct te_rule_info {
    const char *id;
    const char *title;
    te_severity severity;
    bool unverified;            /* status: unverified */
    const char *summary;        /* what the failure class is */
    const char *const *confirm; /* how to confirm it (commands, templates unexpanded) */
    size_t n_confirm;
    const char *const *fix; /* fix steps, templates unexpanded */
    size_t n_fix;
    const te_reference *references;
    size_t n_references;
    const char *file; /* YAML file it came from */
} te_rule_info;

typedef struct te_ruleset te_ruleset;

/* Loads and compiles every *.yml / *.yaml file of the given files or
 * directories into one immutable rule set. On error returns NULL and fills
 * err with "file:line:column: message" for each problem (newline-separated). */
TE_API te_ruleset *te_ruleset_load(const char *const *paths, size_t n_paths, te_error *err);
TE_API void te_ruleset_free(te_ruleset *rules);
TE_API size_t te_ruleset_count(const te_ruleset *rules);
TE_API const te_rule_info *te_ruleset_rule(const te_ruleset *rules, size_t index);
/* Returns the rule with that id, or NULL. */
TE_API const te_rule_info *te_ruleset_find(const te_ruleset *rules, const char *id);
/* The `log stream --predicate` that selects every event the rules can use
 * (processes, senders and subsystems named by their patterns). Returns
 * false when it does not fit in cap bytes. */
TE_API bool te_ruleset_log_predicate(const te_ruleset *rules, char *buf, size_t cap);
/* Calls fn for every prefilter literal of every pattern (a literal may come
 * more than once). Returns how many calls were made. */
typedef void (*te_literal_fn)(const char *literal, size_t len, bool caseless, void *user);
TE_API size_t te_ruleset_literals(const te_ruleset *rules, te_literal_fn fn, void *user);
/* Microseconds spent compiling (for the summary and the benchmark). */
TE_API int64_t te_ruleset_compile_us(const te_ruleset *rules);

/* ---- incidents ----------------------------------------------------------- */

typedef struct te_fact {
    const char *name;
    const char *const *values;
    size_t n_values;
    bool is_list; /* declared as a list: print as a list even with one value */
} te_fact;

typedef struct te_evidence {
    const char *source; /* "file:line" or "archive!member:line" */
    bool has_time;
    int64_t time_us;
    int32_t utc_offset_min;
    const char *process; /* "" when unknown */
    int64_t pid;         /* -1 when unknown */
    const char *message; /* copied, truncated to TE_MAX_EVIDENCE_MESSAGE */
    const char *pattern; /* "rule-id/pattern-name" that matched it */
} te_evidence;

/* One diagnosed incident. Valid only during the callback. */
typedef struct te_incident {
    const char *rule_id;
    const char *title;
    te_severity severity;
    bool unverified;
    bool has_time;
    int64_t first_seen_us;
    int64_t last_seen_us;
    int32_t utc_offset_min;
    const char *first_source; /* source of the first evidence */
    /* subject: NULL (or pid -1) when unknown */
    const char *process;
    int64_t pid;
    const char *path;
    const char *bundle_id;
    const char *team_id;
    const te_fact *facts;
    size_t n_facts;
    const char *diagnosis;
    const char *const *fix;
    size_t n_fix;
    const te_reference *references;
    size_t n_references;
    const te_evidence *evidence;
    size_t n_evidence;
    size_t evidence_dropped; /* evidence lines beyond TE_MAX_EVIDENCE_PER_INCIDENT */
    const char *const *also; /* ids of rules this incident absorbed (supersedes) */
    size_t n_also;
} te_incident;

typedef void (*te_incident_fn)(const te_incident *incident, void *user);
typedef void (*te_event_fn)(const te_event *event, void *user);
/* Diagnostics about the input (bad line, truncated stream, skipped member). */
typedef void (*te_warning_fn)(const char *message, void *user);
/* A source ended: its name, the reader used, and why it was chosen. */
typedef void (*te_source_fn)(const char *name, const char *format, const char *reason, void *user);

/* ---- analyzer ------------------------------------------------------------ */

typedef struct te_options {
    const char *input_format; /* NULL: detect per source; else a reader name */
    te_severity min_severity; /* incidents below are not reported */
    int64_t link_window_us;   /* 0: the rules' own windows */
    bool live;                /* live mode: contexts also close on wall-clock quiet */
    int64_t quiet_us;         /* live: close a context this long after its last event */
    te_event_fn on_event;     /* optional: every normalized event */
    te_warning_fn on_warning; /* optional: input diagnostics */
    te_source_fn on_source;   /* optional: each source's format, at its end */
    void *user;               /* passed to on_event / on_warning */
    /* te_analyzer_read_path reads and decompresses on a second thread while
     * this one analyses (batch mode; results are the same; 1 MiB more). */
    bool read_ahead;
} te_options;

TE_API void te_options_init(te_options *options);

/* Counts of one run. The line counts add up:
 * lines = lines_in_events + lines_meta + lines_not_understood + lines_cut. */
typedef struct te_summary {
    uint64_t inputs;        /* sources read (files, members, stdin) */
    uint64_t inputs_failed; /* sources that could not be read at all */
    uint64_t bytes;
    uint64_t lines;
    uint64_t lines_in_events;
    uint64_t lines_meta; /* preamble, headers, summaries, records of other kinds */
    uint64_t lines_not_understood;
    uint64_t lines_cut; /* dropped by a limit: over TE_MAX_LINE_BYTES, or part of a
                           record over a record limit (size, JSON depth) */
    uint64_t events;
    uint64_t matches;
    uint64_t rules_loaded;
    uint64_t incidents;
    uint64_t incidents_suppressed; /* below min severity or suppressed */
    uint64_t contexts_evicted;     /* closed early by TE_MAX_OPEN_CONTEXTS */
    uint64_t evidence_dropped;
    uint64_t regex_limit_hits;     /* PCRE2 match/depth limit reached */
    uint64_t records_skipped;      /* records dropped by a limit (JSON depth, record size) */
    uint64_t reports_skipped;      /* crash reports of other bug types */
    uint64_t logarchive_files;     /* tracev3 files seen but not decoded */
    uint64_t members_skipped;      /* archive members skipped (unsafe, too large, ratio) */
    uint64_t input_errors;         /* non-fatal read or decode errors */
    uint64_t binary_files_skipped; /* binary files of walks and archives, not read */
} te_summary;

/* Adds every count of `from` to `into` (merging the summaries of analyzers
 * run in parallel). */
TE_API void te_summary_add(te_summary *into, const te_summary *from);

typedef struct te_analyzer te_analyzer;

TE_API te_analyzer *te_analyzer_new(const te_ruleset *rules, const te_options *options,
                                    te_incident_fn on_incident, void *user, te_error *err);
/* Starts a named source (file, member, stdin). Sources are read one after the
 * other; incidents may link across them. */
TE_API te_status te_analyzer_begin_source(te_analyzer *a, const char *name, te_error *err);
TE_API te_status te_analyzer_feed(te_analyzer *a, const void *bytes, size_t len, te_error *err);
TE_API te_status te_analyzer_end_source(te_analyzer *a, te_error *err);
/* Live mode: release held records and close launch contexts that have been
 * quiet since now_us (wall clock, microseconds). */
TE_API te_status te_analyzer_tick(te_analyzer *a, int64_t now_us);
/* End of all input: closes every context and emits the remaining incidents. */
TE_API te_status te_analyzer_finish(te_analyzer *a, te_error *err);
TE_API const te_summary *te_analyzer_summary(const te_analyzer *a);
/* Adds counts that the caller's input layer observed (archives, failures). */
TE_API te_summary *te_analyzer_summary_mut(te_analyzer *a);
/* Which reader was chosen for the current source, and why. */
TE_API const char *te_analyzer_format(const te_analyzer *a);
TE_API const char *te_analyzer_format_reason(const te_analyzer *a);
TE_API void te_analyzer_free(te_analyzer *a);

/* Reads a path ("-" = stdin, a file, a directory, a .gz/.zst file, a
 * .tar/.tar.gz/.zip archive) into the analyzer: every stream it holds becomes
 * a source. Damage inside a stream is reported through on_warning and the run
 * goes on; TE_ERR_IO when the path cannot be read at all. In live mode
 * (options.live) te_analyzer_tick is called while the input is quiet. */
TE_API te_status te_analyzer_read_path(te_analyzer *a, const char *path, te_error *err);

/* Async-signal-safe: asks te_analyzer_read_path to stop reading at once (the
 * CLI calls it from its SIGINT/SIGTERM handler); pending incidents are still
 * reported by te_analyzer_finish. */
TE_API void te_request_stop(void);

/* Runs every rule's examples (or only the rule `only_id`): each `match`
 * example must make its rule fire with the expected facts, each `nomatch`
 * must not. Writes one line per failure (and per rule when verbose) to out.
 * Returns the counts through passed/failed. */
TE_API te_status te_ruleset_run_examples(const te_ruleset *rules, const char *only_id, bool verbose,
                                         FILE *out, size_t *passed, size_t *failed);

/* Names of the input formats (readers), NULL-terminated. */
TE_API const char *const *te_input_formats(void);

#ifdef __cplusplus
}
#endif

#endif
