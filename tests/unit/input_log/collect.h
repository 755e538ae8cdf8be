/* Test helpers for the log readers: a reader env that keeps copies of the
 * emitted events, and a driver that pushes text through the framer into a
 * reader in chunks of a chosen size. */
#ifndef TEST_COLLECT_H
#define TEST_COLLECT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input/framer.h"
#include "input/reader.h"

#define COLLECT_MAX_EVENTS 512

typedef struct saved_event {
    char *type, *process, *sender, *subsystem, *category, *message;
    int64_t pid, thread;
    bool has_time, has_date, has_offset;
    int64_t time_us;
    int32_t offset_min;
    uint64_t line, line_end;
    size_t n_extra;
    char *extra_key[TE_EVENT_MAX_EXTRA], *extra_value[TE_EVENT_MAX_EXTRA];
} saved_event;

typedef struct collector {
    saved_event ev[COLLECT_MAX_EVENTS];
    size_t n;       /* events kept */
    size_t emitted; /* events emitted */
    te_summary summary;
    int warnings;
    char last_warning[512];
    uint64_t last_warning_line;
    const te_reader_ops *ops;
    void *state;
} collector;

static inline char *collect_dup(te_str s)
{
    char *p = malloc(s.len + 1);
    assert_non_null(p);
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static inline void collect_emit(void *ctx, te_event *e)
{
    collector *c = ctx;
    c->emitted++;
    if (c->n >= COLLECT_MAX_EVENTS) return; /* counted only */
    saved_event *s = &c->ev[c->n++];
    s->type = collect_dup(e->type);
    s->process = collect_dup(e->process);
    s->sender = collect_dup(e->sender);
    s->subsystem = collect_dup(e->subsystem);
    s->category = collect_dup(e->category);
    s->message = collect_dup(e->message);
    s->pid = e->pid;
    s->thread = e->thread;
    s->has_time = e->has_time;
    s->has_date = e->has_date;
    s->has_offset = e->has_offset;
    s->time_us = e->time_us;
    s->offset_min = e->utc_offset_min;
    s->line = e->line;
    s->line_end = e->line_end;
    s->n_extra = e->n_extra;
    for (size_t i = 0; i < e->n_extra; i++) {
        s->extra_key[i] = collect_dup(e->extra[i].key);
        s->extra_value[i] = collect_dup(e->extra[i].value);
    }
}

static inline void collect_warn(void *ctx, uint64_t line, const char *fmt, va_list ap)
{
    collector *c = ctx;
    c->warnings++;
    c->last_warning_line = line;
    vsnprintf(c->last_warning, sizeof c->last_warning, fmt, ap);
}

static inline void collect_free(collector *c)
{
    for (size_t i = 0; i < c->n; i++) {
        saved_event *s = &c->ev[i];
        free(s->type);
        free(s->process);
        free(s->sender);
        free(s->subsystem);
        free(s->category);
        free(s->message);
        for (size_t k = 0; k < s->n_extra; k++) {
            free(s->extra_key[k]);
            free(s->extra_value[k]);
        }
    }
    free(c);
}

static inline const char *collect_extra(const saved_event *s, const char *key)
{
    for (size_t i = 0; i < s->n_extra; i++)
        if (strcmp(s->extra_key[i], key) == 0) return s->extra_value[i];
    return NULL;
}

static inline void collect_on_line(void *ctx, te_str line, uint64_t lineno)
{
    collector *c = ctx;
    c->ops->line(c->state, line, lineno);
}

/* Runs `text` through the framer (fed `chunk` bytes at a time, 0 = all at
 * once) into a fresh reader; returns the collector (collect_free it). */
static inline collector *collect_run(const te_reader_ops *ops, const char *text, size_t len,
                                     size_t chunk)
{
    collector *c = calloc(1, sizeof *c);
    assert_non_null(c);
    te_reader_env env = {collect_emit, collect_warn, c, &c->summary};
    c->ops = ops;
    c->state = ops->create(&env);
    assert_non_null(c->state);
    te_framer f;
    te_framer_init(&f, collect_on_line, NULL, c, &c->summary);
    if (chunk == 0) chunk = len ? len : 1;
    for (size_t at = 0; at < len; at += chunk)
        te_framer_feed(&f, text + at, len - at < chunk ? len - at : chunk);
    te_framer_finish(&f);
    ops->flush(c->state);
    ops->destroy(c->state);
    te_framer_free(&f);
    return c;
}

static inline collector *collect_text(const te_reader_ops *ops, const char *text)
{
    return collect_run(ops, text, strlen(text), 0);
}

/* Every line is counted exactly once. */
static inline void assert_accounting(const collector *c)
{
    const te_summary *s = &c->summary;
    assert_int_equal(s->lines,
                     s->lines_in_events + s->lines_meta + s->lines_not_understood + s->lines_cut);
}

/* Splits a NUL-terminated text into te_str lines (no terminators). */
static inline size_t split_lines(const char *text, te_str *lines, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lines[n++] = te_str_make(p, len);
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

#endif
