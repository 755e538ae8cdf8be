/* The correlator's linking half: copies what each match needs (facts, link
 * keys, time, evidence line), finds the launch context it belongs to (a shared
 * link key, or closeness in time with no conflicting key), merges contexts a
 * match joins, and closes contexts when their window has passed, at the end
 * of input, on live quiet time, or at the state cap. incident.c turns each
 * closed context into incidents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate/context_impl.h"

const char *const te_link_key_names[TE_KEY_COUNT] = {"pid", "path", "app", "bundle_id", "team_id"};

/* A time of day counts microseconds from day 0 (timeparse.h); anything past
 * two days is a real date even when a reader did not say so. */
#define TIME_OF_DAY_MAX_US (2 * 86400 * 1000000LL)

/* Where a match sits: its time (when it has one) and its position. */
typedef struct te_coord {
    bool timed;
    te_clock clock; /* TE_CLOCK_DATED or TE_CLOCK_TIME_OF_DAY when timed */
    int64_t time_us;
    uint32_t source;
    int64_t line;
} te_coord;

/* ---- small helpers ------------------------------------------------------ */

static int64_t monotonic_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* a - b, saturated instead of overflowing (times come from untrusted input). */
static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Grows an array to hold `need` elements; returns the (maybe moved) array,
 * or NULL on allocation failure (the old array stays valid). */
static void *grow_array(void *array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return array;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *p = realloc(array, n * elem);
    if (p) *cap = n;
    return p;
}

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Values that say nothing are not facts. */
static te_str clean_value(te_str v)
{
    v = te_str_trim(v);
    if (te_str_eq_cstr(v, "<private>") || te_str_eq_cstr(v, "(null)")) v.len = 0;
    return v;
}

static int link_key_of(te_str name)
{
    for (int k = 0; k < TE_KEY_COUNT; k++)
        if (te_str_eq_cstr(name, te_link_key_names[k])) return k;
    return -1;
}

/* Only values that identify one launch are keys (they stay facts anyway): a
 * pid is a positive number, a path looks like one (a '/' or a bundle name),
 * and a placeholder such as `<app-bundle-id>` (a redaction) is no key. */
bool te_link_key_valid(int kind, te_str value)
{
    int64_t pid;
    if (value.len == 0) return false;
    if (value.len >= 2 && value.ptr[0] == '<' && value.ptr[value.len - 1] == '>') return false;
    if (kind == TE_KEY_PID) return te_str_to_i64(value, &pid) && pid > 0 && value.ptr[0] != '+';
    if (kind == TE_KEY_PATH)
        return memchr(value.ptr, '/', value.len) ||
               (value.len > 4 && memcmp(value.ptr + value.len - 4, ".app", 4) == 0);
    return true;
}

/* The .app bundle of a path: the prefix up to the first ".app/" (inclusive
 * of ".app"), or the path itself when it ends in ".app". */
static te_str app_of_path(te_str path)
{
    long at = te_str_find(path, ".app/", 5);
    if (at >= 0) return te_str_make(path.ptr, (size_t)at + 4);
    if (path.len > 4 && memcmp(path.ptr + path.len - 4, ".app", 4) == 0) return path;
    return te_str_make(NULL, 0);
}

/* ---- context storage ---------------------------------------------------- */

static bool arena_put(te_ctx *x, const char *s, size_t len, size_t *off)
{
    char *p = grow_array(x->arena, &x->arena_cap, x->arena_len + len + 1, 1);
    if (!p) return false;
    x->arena = p;
    if (len) memcpy(x->arena + x->arena_len, s, len);
    x->arena[x->arena_len + len] = '\0';
    *off = x->arena_len;
    x->arena_len += len + 1;
    return true;
}

static int find_fact_index(const te_ctx *x, const char *name, size_t name_len)
{
    for (size_t i = 0; i < x->n_facts; i++) {
        const te_ctx_fact *f = &x->facts[i];
        if (f->name_len == name_len && memcmp(te_ctx_str(x, f->name_off), name, name_len) == 0)
            return (int)i;
    }
    return -1;
}

const te_ctx_fact *te_ctx_find_fact(const te_ctx *x, const char *name, size_t name_len)
{
    int i = find_fact_index(x, name, name_len);
    return i < 0 ? NULL : &x->facts[i];
}

static bool fact_has_value(const te_ctx *x, const te_ctx_fact *f, te_str value)
{
    for (size_t v = 0; v < f->n_values; v++)
        if (f->values[v].len == value.len &&
            memcmp(te_ctx_str(x, f->values[v].off), value.ptr, value.len) == 0)
            return true;
    return false;
}

/* Adds a distinct value to a fact of the context (bounded by the limits). */
static void ctx_add_fact(te_ctx *x, te_str name, te_str value)
{
    value = clean_value(value);
    if (name.len == 0 || value.len == 0) return;
    value.len = cut_utf8(value.ptr, value.len, TE_MAX_FACT_BYTES);
    int i = find_fact_index(x, name.ptr, name.len);
    if (i < 0) {
        if (x->n_facts >= TE_MAX_FACTS_PER_CONTEXT) return;
        te_ctx_fact *facts = grow_array(x->facts, &x->cap_facts, x->n_facts + 1, sizeof *facts);
        if (!facts) return;
        x->facts = facts;
        te_ctx_fact *f = &x->facts[x->n_facts];
        if (!arena_put(x, name.ptr, name.len, &f->name_off)) return;
        f->name_len = name.len;
        f->n_values = 0;
        i = (int)x->n_facts++;
        int kind = link_key_of(name);
        if (kind >= 0) x->key_fact[kind] = i;
    }
    te_ctx_fact *f = &x->facts[i];
    if (f->n_values >= TE_MAX_FACT_VALUES || fact_has_value(x, f, value)) return;
    size_t off;
    if (!arena_put(x, value.ptr, value.len, &off)) return;
    f = &x->facts[i];
    f->values[f->n_values].off = off;
    f->values[f->n_values].len = value.len;
    f->n_values++;
}

static bool ctx_has_key(const te_ctx *x, int kind, te_str value)
{
    int i = x->key_fact[kind];
    return i >= 0 && fact_has_value(x, &x->facts[i], value);
}

static bool ctx_has_key_kind(const te_ctx *x, int kind)
{
    int i = x->key_fact[kind];
    return i >= 0 && x->facts[i].n_values > 0;
}

static te_ctx_span *find_span(te_ctx *x, te_clock clock, uint32_t source)
{
    for (size_t i = 0; i < x->n_spans; i++) {
        te_ctx_span *s = &x->spans[i];
        if (s->clock == clock && (clock == TE_CLOCK_DATED || s->source == source)) return s;
    }
    return NULL;
}

/* Widens the context's span on this clock (or adds one). Spans are bounded
 * like matches: past the cap a new clock is not tracked. */
static void ctx_extend_span(te_ctx *x, te_clock clock, uint32_t source, int64_t lo, int64_t hi)
{
    te_ctx_span *s = find_span(x, clock, source);
    if (s) {
        if (lo < s->lo) s->lo = lo;
        if (hi > s->hi) s->hi = hi;
        return;
    }
    if (x->n_spans >= TE_MAX_MATCHES_PER_CONTEXT) return;
    te_ctx_span *spans = grow_array(x->spans, &x->cap_spans, x->n_spans + 1, sizeof *spans);
    if (!spans) return;
    x->spans = spans;
    x->spans[x->n_spans++] = (te_ctx_span){clock, source, lo, hi};
}

static void ctx_add_rule_bits(te_ctx *x, const te_rule *rule, uint64_t mask)
{
    for (size_t i = 0; i < x->n_rules; i++) {
        if (x->rules[i].rule == rule) {
            x->rules[i].mask |= mask;
            return;
        }
    }
    te_ctx_rule *rules = grow_array(x->rules, &x->cap_rules, x->n_rules + 1, sizeof *rules);
    if (!rules) return;
    x->rules = rules;
    x->rules[x->n_rules++] = (te_ctx_rule){rule, mask};
}

/* Reserves the next evidence slot, or counts the match as dropped. */
static te_ctx_match *ctx_new_match(te_ctx *x)
{
    if (x->n_matches >= TE_MAX_MATCHES_PER_CONTEXT) {
        x->evidence_dropped++;
        return NULL;
    }
    te_ctx_match *m = grow_array(x->matches, &x->cap_matches, x->n_matches + 1, sizeof *m);
    if (!m) {
        x->evidence_dropped++;
        return NULL;
    }
    x->matches = m;
    return &x->matches[x->n_matches];
}

static void ctx_reset(te_ctx *x)
{
    x->n_spans = x->n_rules = x->n_matches = x->n_facts = 0;
    x->evidence_dropped = 0;
    x->has_crash_process = false;
    x->arena_len = 0;
    x->window_us = 0;
    for (int k = 0; k < TE_KEY_COUNT; k++)
        x->key_fact[k] = -1;
}

static void ctx_free(te_ctx *x)
{
    if (!x) return;
    free(x->spans);
    free(x->rules);
    free(x->matches);
    free(x->facts);
    free(x->arena);
    free(x);
}

/* ---- the open contexts -------------------------------------------------- */

static void recycle(te_correlator *c, te_ctx *x)
{
    if (c->n_spare < sizeof c->spare / sizeof c->spare[0]) {
        ctx_reset(x);
        c->spare[c->n_spare++] = x;
    } else {
        ctx_free(x);
    }
}

static void remove_open(te_correlator *c, size_t i)
{
    memmove(&c->open[i], &c->open[i + 1], (c->n_open - i - 1) * sizeof c->open[0]);
    c->n_open--;
}

/* Closes the i-th open context: its incidents are decided and emitted. */
static void close_at(te_correlator *c, size_t i)
{
    te_ctx *x = c->open[i];
    remove_open(c, i);
    te_correlate_report(c, x);
    recycle(c, x);
}

static te_ctx *open_new(te_correlator *c)
{
    if (c->n_open >= TE_MAX_OPEN_CONTEXTS) {
        size_t oldest = 0; /* the least recently active one */
        for (size_t i = 1; i < c->n_open; i++)
            if (c->open[i]->last_seq < c->open[oldest]->last_seq) oldest = i;
        c->summary->contexts_evicted++;
        close_at(c, oldest);
    }
    te_ctx *x = c->n_spare ? c->spare[--c->n_spare] : calloc(1, sizeof *x);
    if (!x) return NULL;
    ctx_reset(x);
    x->id = c->next_id++;
    c->open[c->n_open++] = x;
    return x;
}

/* Moves everything of src into dst (src is then recycled by the caller). */
static void merge_into(te_ctx *dst, const te_ctx *src)
{
    for (size_t i = 0; i < src->n_matches; i++) {
        const te_ctx_match *sm = &src->matches[i];
        te_ctx_match *dm = ctx_new_match(dst);
        if (!dm) continue;
        *dm = *sm;
        if (!arena_put(dst, te_ctx_str(src, sm->source_off),
                       strlen(te_ctx_str(src, sm->source_off)), &dm->source_off) ||
            !arena_put(dst, te_ctx_str(src, sm->process_off),
                       strlen(te_ctx_str(src, sm->process_off)), &dm->process_off) ||
            !arena_put(dst, te_ctx_str(src, sm->message_off), sm->message_len, &dm->message_off) ||
            !arena_put(dst, te_ctx_str(src, sm->pattern_off),
                       strlen(te_ctx_str(src, sm->pattern_off)), &dm->pattern_off)) {
            dst->evidence_dropped++;
            continue;
        }
        dst->n_matches++;
    }
    dst->evidence_dropped += src->evidence_dropped;
    for (size_t i = 0; i < src->n_spans; i++) {
        const te_ctx_span *s = &src->spans[i];
        ctx_extend_span(dst, s->clock, s->source, s->lo, s->hi);
    }
    for (size_t i = 0; i < src->n_rules; i++)
        ctx_add_rule_bits(dst, src->rules[i].rule, src->rules[i].mask);
    for (size_t i = 0; i < src->n_facts; i++) {
        const te_ctx_fact *f = &src->facts[i];
        te_str name = te_str_make(te_ctx_str(src, f->name_off), f->name_len);
        for (size_t v = 0; v < f->n_values; v++)
            ctx_add_fact(dst, name,
                         te_str_make(te_ctx_str(src, f->values[v].off), f->values[v].len));
    }
    if (!dst->has_crash_process && src->has_crash_process) {
        const char *p = te_ctx_str(src, src->crash_process_off);
        dst->has_crash_process = arena_put(dst, p, strlen(p), &dst->crash_process_off);
    }
    if (src->window_us > dst->window_us) dst->window_us = src->window_us;
    if (src->last_seq > dst->last_seq) dst->last_seq = src->last_seq;
    if (src->last_wall_us > dst->last_wall_us) dst->last_wall_us = src->last_wall_us;
}

/* ---- the match being added ---------------------------------------------- */

static te_str pending_name(const te_correlator *c, size_t i)
{
    return te_str_make(c->pending_text.data + c->pending[i].name_off, c->pending[i].name_len);
}

static te_str pending_value(const te_correlator *c, size_t i)
{
    return te_str_make(c->pending_text.data + c->pending[i].value_off, c->pending[i].value_len);
}

static void pending_add(te_correlator *c, te_str name, te_str value)
{
    value = clean_value(value);
    if (name.len == 0 || value.len == 0 || c->n_pending >= TE_PENDING_MAX_FACTS) return;
    value.len = cut_utf8(value.ptr, value.len, TE_MAX_FACT_BYTES);
    name.len = cut_utf8(name.ptr, name.len, TE_MAX_FACT_BYTES);
    te_pending_fact *p = &c->pending[c->n_pending];
    p->name_off = c->pending_text.len;
    p->name_len = name.len;
    p->value_off = p->name_off + name.len;
    p->value_len = value.len;
    if (!te_buf_append(&c->pending_text, name.ptr, name.len) ||
        !te_buf_append(&c->pending_text, value.ptr, value.len)) {
        c->pending_text.overflow = false; /* drop this fact, keep the others */
        c->pending_text.len = p->name_off;
        return;
    }
    c->n_pending++;
}

static void collect_fact(void *ctx, const char *name, te_str value)
{
    pending_add(ctx, te_str_cstr(name), value);
}

/* Facts of the match: the rule's facts (te_match_facts applies its facts:
 * section), the link keys among the event's extras, and the app bundle of
 * every path. */
static void collect_pending(te_correlator *c, const te_match *m)
{
    c->n_pending = 0;
    te_buf_reset(&c->pending_text);
    te_match_facts(m, collect_fact, c);
    const te_event *ev = m->event;
    for (size_t i = 0; i < ev->n_extra && i < TE_EVENT_MAX_EXTRA; i++)
        if (link_key_of(ev->extra[i].key) >= 0)
            pending_add(c, ev->extra[i].key, ev->extra[i].value);
    size_t n = c->n_pending;
    for (size_t i = 0; i < n; i++) {
        if (!te_str_eq_cstr(pending_name(c, i), "path")) continue;
        /* te_str views into pending_text may move while adding: copy first. */
        te_str app = app_of_path(pending_value(c, i));
        if (app.len == 0) continue;
        char buf[TE_MAX_FACT_BYTES];
        memcpy(buf, app.ptr, app.len);
        pending_add(c, te_str_cstr("app"), te_str_make(buf, app.len));
    }
    c->n_keys = 0;
    for (size_t i = 0; i < c->n_pending; i++) {
        int kind = link_key_of(pending_name(c, i));
        if (kind < 0 || !te_link_key_valid(kind, pending_value(c, i))) continue;
        c->keys[c->n_keys].kind = kind;
        c->keys[c->n_keys].index = i;
        c->n_keys++;
    }
}

/* True when the match shares a link key value with the context. */
static bool shares_key(const te_correlator *c, const te_ctx *x)
{
    for (size_t i = 0; i < c->n_keys; i++)
        if (ctx_has_key(x, c->keys[i].kind, pending_value(c, c->keys[i].index))) return true;
    return false;
}

/* True when the match and the context have the same kind of identifying key
 * with different values (two launches). Paths differ within one app, so
 * only their app conflicts. */
static bool conflicts(const te_correlator *c, const te_ctx *x)
{
    static const int kinds[] = {TE_KEY_PID, TE_KEY_APP, TE_KEY_BUNDLE_ID, TE_KEY_TEAM_ID};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!ctx_has_key_kind(x, kinds[k])) continue;
        bool has = false, same = false;
        for (size_t i = 0; i < c->n_keys; i++) {
            if (c->keys[i].kind != kinds[k]) continue;
            has = true;
            if (ctx_has_key(x, kinds[k], pending_value(c, c->keys[i].index))) same = true;
        }
        if (has && !same) return true;
    }
    return false;
}

/* ---- time ----------------------------------------------------------------- */

static te_coord coord_of(const te_correlator *c, const te_event *ev)
{
    te_coord k = {false, TE_CLOCK_DATED, 0, c->source_index, 0};
    k.line = ev->line > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ev->line;
    if (ev->has_time) {
        bool time_of_day =
            !ev->has_date && ev->time_us > -TIME_OF_DAY_MAX_US && ev->time_us < TIME_OF_DAY_MAX_US;
        k.timed = true;
        k.clock = time_of_day ? TE_CLOCK_TIME_OF_DAY : TE_CLOCK_DATED;
        k.time_us = ev->time_us;
    }
    return k;
}

static int64_t span_distance(const te_ctx_span *s, int64_t v)
{
    if (v < s->lo) return sat_sub(s->lo, v);
    if (v > s->hi) return sat_sub(v, s->hi);
    return 0;
}

static int64_t match_window(const te_correlator *c, const te_rule *rule)
{
    if (c->options.link_window_us > 0) return c->options.link_window_us;
    return rule->window_us > 0 ? rule->window_us : TE_DEFAULT_WINDOW_US;
}

/* How a match relates to a context in time. `comparable`: they share a
 * clock; `close`: within the window on it. A timed match compares by time,
 * or (when the context has no time on its clock) by position with the
 * untimed matches of its source; an untimed match by position with every
 * match of its source. by_lines ranks a closeness in lines after one in time. */
typedef struct te_nearness {
    bool comparable, close, by_lines;
    int64_t distance;
} te_nearness;

static te_nearness nearness(te_ctx *x, const te_coord *k, int64_t window_us)
{
    te_nearness n = {false, false, false, INT64_MAX};
    int64_t w = window_us > x->window_us ? window_us : x->window_us;
    const te_ctx_span *s;
    if (k->timed && (s = find_span(x, k->clock, k->source))) {
        n.comparable = true;
        n.distance = span_distance(s, k->time_us);
        n.close = n.distance <= w;
        return n; /* time decides where both have it */
    }
    s = find_span(x, k->timed ? TE_CLOCK_LINES : TE_CLOCK_POSITION, k->source);
    if (s) {
        n.comparable = true;
        int64_t d = span_distance(s, k->line);
        if (d <= (int64_t)TE_UNTIMED_WINDOW_LINES) {
            n.close = n.by_lines = true;
            n.distance = d;
        }
    }
    return n;
}

/* True when the watermarks of the current source have passed every span of
 * the context they can judge (and there is at least one). Spans of other
 * sources' local clocks cannot grow by proximity any more: they do not hold
 * a context open. */
static bool ctx_passed(const te_correlator *c, const te_ctx *x)
{
    bool judged = false;
    for (size_t i = 0; i < x->n_spans; i++) {
        const te_ctx_span *s = &x->spans[i];
        if (s->clock == TE_CLOCK_POSITION || !c->mark_set[s->clock]) continue;
        if (s->clock != TE_CLOCK_DATED && s->source != c->source_index) continue;
        int64_t limit =
            s->clock == TE_CLOCK_LINES ? (int64_t)TE_UNTIMED_WINDOW_LINES : x->window_us;
        if (sat_sub(c->mark[s->clock], s->hi) <= limit) return false;
        judged = true;
    }
    return judged;
}

static bool raise_mark(te_correlator *c, te_clock clock, int64_t value)
{
    if (c->mark_set[clock] && value <= c->mark[clock]) return false;
    c->mark_set[clock] = true;
    c->mark[clock] = value;
    return true;
}

/* Moves the watermarks of the current source and closes the contexts they
 * have passed. A clock that jumps back by more than TE_CLOCK_JUMP_BACK_US
 * (concatenated captures, a wall-clock adjustment) starts a new era: what is
 * open belongs to the time before the jump and is closed, and the watermark
 * restarts from the new time, so that later matches still link. */
static void advance_watermarks(te_correlator *c, const te_coord *k)
{
    if (k->timed && c->mark_set[k->clock] &&
        sat_sub(c->mark[k->clock], k->time_us) > TE_CLOCK_JUMP_BACK_US) {
        while (c->n_open > 0)
            close_at(c, c->n_open - 1);
        c->mark[k->clock] = k->time_us;
    }
    bool moved = raise_mark(c, TE_CLOCK_LINES, k->line);
    if (k->timed && raise_mark(c, k->clock, k->time_us)) moved = true;
    if (!moved) return;
    for (size_t i = 0; i < c->n_open;) {
        if (ctx_passed(c, c->open[i]))
            close_at(c, i);
        else
            i++;
    }
}

/* ---- placing a match ---------------------------------------------------- */

static bool ctx_has_rule(const te_ctx *x, const te_rule *rule)
{
    for (size_t i = 0; i < x->n_rules; i++)
        if (x->rules[i].rule == rule) return true;
    return false;
}

/* The context the match joins: every context sharing a key (within the window
 * where a common clock exists) merged into one; else, among the contexts
 * without conflicting keys within the window, one that already holds a match
 * of the same rule (a key-less `AMFI: bailing out …` belongs with the
 * entitlement failure, not with another app's failure of the same
 * millisecond), then the nearest; else a new one. */
static te_ctx *place(te_correlator *c, const te_coord *k, const te_rule *rule, int64_t window_us)
{
    size_t shares[TE_MAX_OPEN_CONTEXTS];
    size_t n_shares = 0;
    te_ctx *nearest = NULL;
    te_nearness best = {0};
    bool best_same_rule = false;
    for (size_t i = 0; i < c->n_open; i++) {
        te_ctx *x = c->open[i];
        te_nearness n = nearness(x, k, window_us);
        if (shares_key(c, x)) {
            if (!n.comparable || n.close) shares[n_shares++] = i;
        } else if (n.close && !conflicts(c, x)) {
            bool same_rule = ctx_has_rule(x, rule);
            bool closer = !nearest || (!n.by_lines && best.by_lines) ||
                          (n.by_lines == best.by_lines &&
                           (n.distance < best.distance ||
                            (n.distance == best.distance && x->last_seq > nearest->last_seq)));
            bool better = !nearest || (same_rule && !best_same_rule) ||
                          (same_rule == best_same_rule && closer);
            if (better) {
                nearest = x;
                best = n;
                best_same_rule = same_rule;
            }
        }
    }
    if (n_shares > 0) {
        te_ctx *target = c->open[shares[0]];
        for (size_t j = n_shares; j-- > 1;) {
            te_ctx *other = c->open[shares[j]];
            merge_into(target, other);
            remove_open(c, shares[j]);
            recycle(c, other);
        }
        return target;
    }
    if (nearest) return nearest;
    return open_new(c);
}

static void put_evidence(te_ctx *x, const te_match *m, const te_coord *k, uint64_t seq)
{
    const te_event *ev = m->event;
    const te_pattern *p = m->pattern;
    te_ctx_match *em = ctx_new_match(x);
    if (!em) return;
    char buf[TE_MAX_FACT_BYTES + 32];
    *em = (te_ctx_match){0};
    em->seq = seq;
    em->rule = p->rule;
    em->pattern_index = p->index;
    em->role = p->role;
    em->clock = k->timed ? k->clock : TE_CLOCK_LINES;
    em->source_index = k->source;
    em->line = ev->line;
    em->has_time = ev->has_time;
    em->time_us = ev->time_us;
    em->utc_offset_min = ev->utc_offset_min;
    em->pid = ev->pid;
    te_str source = ev->source.len ? ev->source : te_str_cstr("<input>");
    int n = snprintf(buf, sizeof buf, "%.*s:%llu",
                     (int)cut_utf8(source.ptr, source.len, TE_MAX_FACT_BYTES), source.ptr,
                     (unsigned long long)ev->line);
    size_t source_len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    bool ok = arena_put(x, buf, source_len, &em->source_off);
    size_t process_len = cut_utf8(ev->process.ptr, ev->process.len, TE_MAX_FACT_BYTES);
    ok = ok && arena_put(x, ev->process.ptr, process_len, &em->process_off);
    em->message_len = cut_utf8(ev->message.ptr, ev->message.len, TE_MAX_EVIDENCE_MESSAGE);
    ok = ok && arena_put(x, ev->message.ptr, em->message_len, &em->message_off);
    const char *rule_id = p->rule->info.id ? p->rule->info.id : "";
    const char *pattern_name = p->name ? p->name : "";
    n = snprintf(buf, sizeof buf, "%s/%s", rule_id, pattern_name);
    size_t pattern_len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    ok = ok && arena_put(x, buf, pattern_len, &em->pattern_off);
    if (ok)
        x->n_matches++;
    else
        x->evidence_dropped++;
}

static void ctx_add_match(te_correlator *c, te_ctx *x, const te_match *m, const te_coord *k,
                          int64_t window_us)
{
    const te_pattern *p = m->pattern;
    const te_event *ev = m->event;
    uint64_t seq = c->next_seq++;
    x->last_seq = seq;
    x->last_wall_us = monotonic_now_us();
    if (window_us > x->window_us) x->window_us = window_us;
    if (k->timed)
        ctx_extend_span(x, k->clock, k->source, k->time_us, k->time_us);
    else
        ctx_extend_span(x, TE_CLOCK_LINES, k->source, k->line, k->line);
    ctx_extend_span(x, TE_CLOCK_POSITION, k->source, k->line, k->line);
    ctx_add_rule_bits(x, p->rule, p->index < 64 ? 1ull << p->index : 0);
    put_evidence(x, m, k, seq);
    for (size_t i = 0; i < c->n_pending; i++)
        ctx_add_fact(x, pending_name(c, i), pending_value(c, i));
    if (!x->has_crash_process) {
        te_str process = te_str_make(NULL, 0);
        for (size_t i = 0; i < ev->n_extra && i < TE_EVENT_MAX_EXTRA; i++)
            if (te_str_eq_cstr(ev->extra[i].key, "process")) process = ev->extra[i].value;
        if (process.len == 0 && te_str_eq_cstr(ev->type, "crash")) process = ev->process;
        process = clean_value(process);
        if (process.len)
            x->has_crash_process =
                arena_put(x, process.ptr, cut_utf8(process.ptr, process.len, TE_MAX_FACT_BYTES),
                          &x->crash_process_off);
    }
}

/* ---- public ------------------------------------------------------------- */

te_correlator *te_correlator_new(const te_ruleset *rules, const te_options *options,
                                 te_incident_fn on_incident, void *user, te_summary *summary)
{
    te_correlator *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->rules = rules;
    if (options) c->options = *options;
    c->on_incident = on_incident;
    c->user = user;
    c->summary = summary ? summary : &c->own_summary;
    te_buf_init(&c->pending_text, 0);
    if (!te_incident_scratch_init(&c->scratch)) {
        te_correlator_free(c);
        return NULL;
    }
    return c;
}

void te_correlator_begin_source(te_correlator *c, uint32_t source_index)
{
    if (!c) return;
    c->source_index = source_index;
    /* Sources may come in any order: the watermarks restart with each one. */
    for (int i = 0; i < 3; i++)
        c->mark_set[i] = false;
}

void te_correlator_add(te_correlator *c, const te_match *match)
{
    if (!c || !match || !match->pattern || !match->pattern->rule || !match->event) return;
    int64_t window_us = match_window(c, match->pattern->rule);
    collect_pending(c, match);
    te_coord k = coord_of(c, match->event);
    advance_watermarks(c, &k);
    te_ctx *x = place(c, &k, match->pattern->rule, window_us);
    if (x) ctx_add_match(c, x, match, &k, window_us);
}

void te_correlator_tick(te_correlator *c, int64_t now_wall_us)
{
    if (!c || !c->options.live) return;
    int64_t quiet = c->options.quiet_us > 0 ? c->options.quiet_us : TE_DEFAULT_QUIET_US;
    for (size_t i = 0; i < c->n_open;) {
        if (sat_sub(now_wall_us, c->open[i]->last_wall_us) > quiet)
            close_at(c, i);
        else
            i++;
    }
}

void te_correlator_finish(te_correlator *c)
{
    if (!c) return;
    while (c->n_open > 0)
        close_at(c, 0);
    for (int i = 0; i < 3; i++)
        c->mark_set[i] = false;
}

void te_correlator_free(te_correlator *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_open; i++)
        ctx_free(c->open[i]);
    for (size_t i = 0; i < c->n_spare; i++)
        ctx_free(c->spare[i]);
    te_buf_free(&c->pending_text);
    te_incident_scratch_free(&c->scratch);
    free(c);
}
