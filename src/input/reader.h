/* The reader interface: one reader per input format turns lines into
 * te_event records. Readers are line-driven state machines; multi-line
 * records (continuation lines, pretty JSON, crash reports) are held by the
 * reader until the next record starts, flush() is called, or a limit bites. */
#ifndef TE_READER_H
#define TE_READER_H

#include <stdarg.h>

#include "tediag/tediag.h"
#include "engine/limits.h"
#include "util/text.h"

/* What a reader is given by the analyzer. */
typedef struct te_reader_env {
    /* Hands over one event. The reader fills every field it knows (views into
     * its own buffers, valid until emit returns) and leaves source/format to
     * the analyzer. */
    void (*emit)(void *ctx, te_event *event);
    /* A diagnostic about the input: "name:line: message" is built by the env. */
    void (*warn)(void *ctx, uint64_t line, const char *fmt, va_list ap);
    void *ctx;
    /* Line accounting. Every line passed to line() must be counted exactly
     * once: summary->lines_in_events (part of an emitted event), lines_meta
     * (preamble, header, summary, record of another kind skipped on purpose),
     * lines_not_understood, or lines_cut (dropped by a limit). Readers also
     * count records_skipped and reports_skipped. */
    te_summary *summary;
} te_reader_env;

typedef struct te_reader_ops {
    const char *name;        /* as accepted by --input-format */
    const char *description; /* one line for --help and --explain-format */
    /* Confidence 0..100 that these first lines (already split, CR removed) are
     * this format. Writes a short human reason into why. */
    int (*sniff)(const te_str *lines, size_t n_lines, char *why, size_t why_cap);
    void *(*create)(const te_reader_env *env);
    /* One line without its line terminator (CRLF already removed). `lineno`
     * is 1-based within the source. */
    void (*line)(void *state, te_str line, uint64_t lineno);
    /* Emits a held record, if any (end of source, or live quiet time). */
    void (*flush)(void *state);
    void (*destroy)(void *state);
} te_reader_ops;

/* Helper for readers: format a warning through env->warn. */
void te_reader_warn(const te_reader_env *env, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Helper for readers: clears an event (n_extra = 0; extra[] entries past
 * n_extra are left as they were) and sets pid/thread to -1. */
void te_event_reset(te_event *event);
/* Helper: add an extra key/value; ignored (false) when the table is full. */
bool te_event_add_extra(te_event *event, const char *key, te_str value);

/* Bracket scanner for readers that collect a JSON document line by line
 * (.ips, notarytool): tracks string state and nesting, string-aware. */
typedef struct te_json_scan {
    int depth;
    unsigned max_depth;
    bool in_string;
    bool escape;
    bool closed; /* depth went back to 0 */
} te_json_scan;
void te_json_scan_bytes(te_json_scan *scan, const char *p, size_t n);
/* True when a trimmed line starts with a JSON member `"key" :`; the key
 * (still escaped) in *key when key is not NULL. */
bool te_json_member_key(te_str line, te_str *key);

/* Registry (src/input/registry.c): every reader, NULL-terminated, in the
 * order that breaks sniff ties. */
const te_reader_ops *const *te_readers_all(void);
const te_reader_ops *te_reader_find(const char *name);

/* Format detection (src/input/detect.c): picks the reader with the highest
 * sniff score; the loose reader when nothing scores. `why` explains. */
const te_reader_ops *te_detect_format(const te_str *lines, size_t n_lines, char *why,
                                      size_t why_cap);

/* Message composition shared by the text styles and the loose reader:
 * "process: (library) [subsystem:category] text" after the columns.
 * Fills what it finds into the event (views into msg). */
void te_parse_composed_message(te_str msg, te_event *event, bool has_process);

#endif
