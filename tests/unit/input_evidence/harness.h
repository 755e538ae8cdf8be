/* Test harness for the evidence readers: loads a fixture, feeds it line by
 * line to one reader (as the framer would), and keeps deep copies of every
 * event, the warnings and the line accounting for the assertions. */
#ifndef TE_TEST_EVIDENCE_HARNESS_H
#define TE_TEST_EVIDENCE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input/reader.h"
#include "util/timeparse.h"

extern const te_reader_ops te_reader_console;
extern const te_reader_ops te_reader_crash_text;
extern const te_reader_ops te_reader_crash_ips;
extern const te_reader_ops te_reader_notarytool;
extern const te_reader_ops te_reader_tool_output;

#define HARNESS_MAX_LINES 40000

typedef struct captured_event {
    char *message, *type, *process, *sender, *subsystem, *category;
    int64_t pid, thread;
    uint64_t line, line_end;
    bool has_time, has_date, has_offset;
    int64_t time_us;
    int32_t offset_min;
    size_t n_extra;
    char *extra_key[TE_EVENT_MAX_EXTRA];
    char *extra_value[TE_EVENT_MAX_EXTRA];
} captured_event;

typedef struct capture {
    captured_event *events;
    size_t n, cap;
    te_summary summary;
    size_t lines; /* lines fed */
    size_t n_warnings;
    char warnings[16384];
} capture;

static inline char *harness_dup(te_str s)
{
    char *p = malloc(s.len + 1);
    assert_non_null(p);
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static inline void harness_emit(void *ctx, te_event *ev)
{
    capture *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->events = realloc(c->events, c->cap * sizeof *c->events);
        assert_non_null(c->events);
    }
    captured_event *e = &c->events[c->n++];
    memset(e, 0, sizeof *e);
    e->message = harness_dup(ev->message);
    e->type = harness_dup(ev->type);
    e->process = harness_dup(ev->process);
    e->sender = harness_dup(ev->sender);
    e->subsystem = harness_dup(ev->subsystem);
    e->category = harness_dup(ev->category);
    e->pid = ev->pid;
    e->thread = ev->thread;
    e->line = ev->line;
    e->line_end = ev->line_end;
    e->has_time = ev->has_time;
    e->has_date = ev->has_date;
    e->has_offset = ev->has_offset;
    e->time_us = ev->time_us;
    e->offset_min = ev->utc_offset_min;
    e->n_extra = ev->n_extra;
    for (size_t i = 0; i < ev->n_extra; i++) {
        e->extra_key[i] = harness_dup(ev->extra[i].key);
        e->extra_value[i] = harness_dup(ev->extra[i].value);
    }
}

static inline void harness_warn(void *ctx, uint64_t line, const char *fmt, va_list ap)
{
    capture *c = ctx;
    size_t used = strlen(c->warnings);
    if (used + 16 >= sizeof c->warnings) return;
    int n =
        snprintf(c->warnings + used, sizeof c->warnings - used, "%llu: ", (unsigned long long)line);
    if (n < 0) return;
    used += (size_t)n;
    vsnprintf(c->warnings + used, sizeof c->warnings - used, fmt, ap);
    used = strlen(c->warnings);
    if (used + 1 < sizeof c->warnings) strcat(c->warnings, "\n");
    c->n_warnings++;
}

/* Splits text into lines like the framer: "\n" ends a line, a "\r" before
 * it is dropped, a last line without newline counts. */
static inline size_t harness_split(const char *text, size_t len, te_str *lines, size_t max)
{
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t l = (size_t)(stop - p);
        if (l && p[l - 1] == '\r') l--;
        lines[n++] = te_str_make(p, l);
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

static te_str harness_lines[HARNESS_MAX_LINES];

/* Runs one reader over text; the capture must be freed with capture_free. */
static inline void run_reader(const te_reader_ops *ops, const char *text, size_t len, capture *c)
{
    memset(c, 0, sizeof *c);
    te_reader_env env = {harness_emit, harness_warn, c, &c->summary};
    size_t n = harness_split(text, len, harness_lines, HARNESS_MAX_LINES);
    void *state = ops->create(&env);
    assert_non_null(state);
    for (size_t i = 0; i < n; i++) {
        c->summary.lines++;
        ops->line(state, harness_lines[i], i + 1);
    }
    ops->flush(state);
    ops->destroy(state);
    c->lines = n;
}

static inline void run_reader_str(const te_reader_ops *ops, const char *text, capture *c)
{
    run_reader(ops, text, strlen(text), c);
}

static inline void capture_free(capture *c)
{
    for (size_t i = 0; i < c->n; i++) {
        captured_event *e = &c->events[i];
        free(e->message);
        free(e->type);
        free(e->process);
        free(e->sender);
        free(e->subsystem);
        free(e->category);
        for (size_t k = 0; k < e->n_extra; k++) {
            free(e->extra_key[k]);
            free(e->extra_value[k]);
        }
    }
    free(c->events);
    memset(c, 0, sizeof *c);
}

/* Value of an extra, NULL when absent. */
static inline const char *extra_of(const captured_event *e, const char *key)
{
    for (size_t i = 0; i < e->n_extra; i++)
        if (strcmp(e->extra_key[i], key) == 0) return e->extra_value[i];
    return NULL;
}

/* Index of the first event whose message starts with prefix, or -1. */
static inline long find_event(const capture *c, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->events[i].message, prefix, n) == 0) return (long)i;
    return -1;
}

static inline const captured_event *must_find(const capture *c, const char *prefix)
{
    long i = find_event(c, prefix);
    if (i < 0) fail_msg("no event starting with \"%s\"", prefix);
    return &c->events[i];
}

/* Every line fed is counted exactly once. */
static inline void assert_accounting(const capture *c)
{
    const te_summary *s = &c->summary;
    assert_int_equal(s->lines, c->lines);
    assert_int_equal(s->lines_in_events + s->lines_meta + s->lines_not_understood + s->lines_cut,
                     c->lines);
}

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must be defined by the build"
#endif

static inline char *load_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Loads and reads a fixture with one reader. */
static inline void run_fixture(const te_reader_ops *ops, const char *name, capture *c)
{
    size_t len;
    char *text = load_fixture(name, &len);
    run_reader(ops, text, len, c);
    free(text);
}

/* The reader te_detect_format picks for a text (its head). */
static inline const char *detected_format(const char *text, size_t len, char *why, size_t why_cap)
{
    size_t n = harness_split(text, len, harness_lines, TE_DETECT_LINES);
    const te_reader_ops *ops = te_detect_format(harness_lines, n, why, why_cap);
    return ops ? ops->name : "(none)";
}

static inline int sniff_score(const te_reader_ops *ops, const char *text)
{
    char why[192];
    size_t n = harness_split(text, strlen(text), harness_lines, TE_DETECT_LINES);
    return ops->sniff(harness_lines, n, why, sizeof why);
}

/* UTC microseconds of a local civil time with its offset in minutes. */
static inline int64_t civil_us(int y, unsigned mo, unsigned d, int h, int mi, int s,
                               int64_t frac_us, int offset_min)
{
    int64_t local = (te_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000LL;
    return local + frac_us - (int64_t)offset_min * 60000000LL;
}

#endif
