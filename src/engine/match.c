/* The gate and the matcher, the hot path. Per event: one pass of the literal
 * scanner (tuned by this matcher to the input, see TUNE_SAMPLE_BYTES) over
 * the message gives the patterns whose literal occurs; of those, the
 * candidates for the event's process (dispatch table) whose predicates pass
 * and whose regex finds the other literals it needs in the message run their
 * PCRE2 code (JIT, bounded). Nothing is allocated per event.
 * Also te_match_facts: a match's captures after the rule's facts: section. */
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "engine/match.h"
#include "rules/ruleset_impl.h"

/* JIT stack: PCRE2's default is 32 KiB on the machine stack; a heap stack
 * with room to grow lets deep (legitimate) matches finish. */
#define JIT_STACK_START (32u << 10)
#define JIT_STACK_MAX (1u << 20)

/* The literal scanner looks each literal up by one of its byte pairs; the
 * pair the rule set chose from general byte frequencies may be common in the
 * input at hand (each occurrence costs a check). The matcher therefore
 * samples the first TUNE_SAMPLE_BYTES of messages it scans, tunes its own
 * scanner to the pairs that are rare there, and samples again after every
 * TUNE_INTERVAL_BYTES (an input may change character, as the members of a
 * sysdiagnose do). Results never depend on it, only the cost. */
#define TUNE_SAMPLE_BYTES (256u << 10)
#define TUNE_INTERVAL_BYTES (256ull << 20)

struct te_matcher {
    const te_ruleset *rules;
    pcre2_match_data *match_data;
    pcre2_match_context *context;
    pcre2_jit_stack *jit_stack;
    uint32_t *stamps; /* per pattern: == stamp when its literal occurred in this event */
    uint32_t stamp;
    uint32_t *hits;       /* patterns whose literal occurred in this event */
    uint64_t *limit_hits; /* per rule */
    te_match match;       /* scratch handed to the callback */
    te_litscan *tuned;    /* own scanner tuned to the input (NULL: the rule set's) */
    char *sample;         /* TUNE_SAMPLE_BYTES of scanned text, while sampling (else NULL) */
    size_t sample_len;
    uint64_t until_sample; /* bytes to scan before the next sample */
    /* per pattern, NULL until its first regex run: te_pattern_code (JIT code
     * compiled on the pattern's first use, shared by the rule set's matchers) */
    const pcre2_code **code;
};

te_matcher *te_matcher_new(const te_ruleset *rules, te_error *err)
{
    te_matcher *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->rules = rules;
    m->match_data = pcre2_match_data_create(rules->max_capture_count + 1, NULL);
    m->context = pcre2_match_context_create(NULL);
    m->stamps = calloc(rules->n_patterns + 1, sizeof *m->stamps);
    m->hits = calloc(rules->n_patterns + 1, sizeof *m->hits);
    m->limit_hits = calloc(rules->n_rules + 1, sizeof *m->limit_hits);
    m->code = calloc(rules->n_patterns + 1, sizeof *m->code);
    if (!m->match_data || !m->context || !m->stamps || !m->hits || !m->limit_hits || !m->code)
        goto nomem;
    pcre2_set_match_limit(m->context, TE_PCRE2_MATCH_LIMIT);
    pcre2_set_depth_limit(m->context, TE_PCRE2_DEPTH_LIMIT);
    m->jit_stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
    if (m->jit_stack) pcre2_jit_stack_assign(m->context, NULL, m->jit_stack);
    return m;
nomem:
    te_matcher_free(m);
    te_error_set(err, TE_ERR_NOMEM, "out of memory creating the matcher");
    return NULL;
}

void te_matcher_free(te_matcher *m)
{
    if (!m) return;
    pcre2_match_data_free(m->match_data);
    pcre2_match_context_free(m->context);
    pcre2_jit_stack_free(m->jit_stack);
    free(m->stamps);
    free(m->hits);
    free(m->limit_hits);
    te_litscan_free(m->tuned);
    free(m->sample);
    free(m->code);
    free(m);
}

/* Sampling and tuning of the matcher's scanner (see TUNE_SAMPLE_BYTES). */
static void sample_text(te_matcher *m, const char *text, size_t len)
{
    if (m->until_sample > len) {
        m->until_sample -= len;
        return;
    }
    m->until_sample = 0;
    /* the buffer lives while sampling: one allocation per sample, not per event */
    if (!m->sample && !(m->sample = malloc(TUNE_SAMPLE_BYTES))) {
        m->until_sample = TUNE_INTERVAL_BYTES; /* no memory now: try again later */
        return;
    }
    size_t room = TUNE_SAMPLE_BYTES - m->sample_len;
    size_t n = len < room ? len : room;
    memcpy(m->sample + m->sample_len, text, n);
    m->sample_len += n;
    if (m->sample_len < TUNE_SAMPLE_BYTES) {
        m->sample[m->sample_len++] = '\n'; /* no pair across messages */
        return;
    }
    te_litscan *tuned = te_litscan_tune(m->rules->litscan, m->sample, m->sample_len);
    if (tuned) {
        te_litscan_free(m->tuned);
        m->tuned = tuned;
    }
    free(m->sample);
    m->sample = NULL;
    m->sample_len = 0;
    m->until_sample = TUNE_INTERVAL_BYTES;
}

uint64_t te_matcher_limit_hits(const te_matcher *m, size_t rule_index)
{
    if (!m || rule_index >= m->rules->n_rules) return 0;
    return m->limit_hits[rule_index];
}

/* A predicate only rejects an event that has the field with another value. */
static bool field_passes(const te_predicate *predicate, te_str field)
{
    if (predicate->n == 0 || field.len == 0) return true;
    for (size_t i = 0; i < predicate->n; i++)
        if (te_str_eq(predicate->values[i], field)) return true;
    return false;
}

static unsigned char fold_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Whether text holds needle (ASCII case folded when icase). Messages are
 * short and these needles few: memchr to each candidate first byte and a
 * compare beats memmem, which prepares a table on every call. */
static bool contains(const char *text, size_t len, te_str needle, bool icase)
{
    if (needle.len == 0) return true;
    if (needle.len > len) return false;
    const char *p = text, *last = text + (len - needle.len); /* last possible start */
    unsigned char first = (unsigned char)needle.ptr[0];
    if (!icase) {
        for (; p <= last; p++) {
            p = memchr(p, first, (size_t)(last - p) + 1);
            if (!p) return false;
            if (memcmp(p + 1, needle.ptr + 1, needle.len - 1) == 0) return true;
        }
        return false;
    }
    for (; p <= last; p++) {
        if (fold_ascii((unsigned char)*p) != fold_ascii(first)) continue;
        size_t k = 1;
        while (k < needle.len &&
               fold_ascii((unsigned char)p[k]) == fold_ascii((unsigned char)needle.ptr[k]))
            k++;
        if (k == needle.len) return true;
    }
    return false;
}

/* An explicit prefilter the gate did not use (it used a better literal). */
static bool prefilter_passes(const te_pattern_impl *impl, const char *text, size_t len)
{
    if (impl->n_prefilter == 0) return true;
    for (size_t i = 0; i < impl->n_prefilter; i++)
        if (contains(text, len, impl->prefilter[i], impl->literals_icase)) return true;
    return false;
}

/* Whether the subject holds what the pattern's regex needs besides the
 * gate literal it is known to hold: one literal of every required group (a
 * regex run costs far more than looking for them). */
static bool required_present(const te_pattern_impl *impl, const char *text, size_t len)
{
    for (size_t g = 0, at = 0; g < impl->n_required_groups; at += impl->required_group_sizes[g++]) {
        bool any = false;
        for (size_t i = 0; i < impl->required_group_sizes[g] && !any; i++)
            any = contains(text, len, impl->required[at + i], impl->required_icase);
        if (!any) return false;
    }
    return true;
}

static bool predicates_pass(const te_pattern_impl *impl, const te_event *event)
{
    /* process is decided by the dispatch table */
    return field_passes(&impl->predicates[TE_PRED_SENDER], event->sender) &&
           field_passes(&impl->predicates[TE_PRED_SUBSYSTEM], event->subsystem) &&
           field_passes(&impl->predicates[TE_PRED_CATEGORY], event->category) &&
           field_passes(&impl->predicates[TE_PRED_TYPE], event->type);
}

static bool is_limit_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* The code to run for a pattern. */
static const pcre2_code *code_for(te_matcher *m, const te_pattern_impl *impl)
{
    uint32_t id = impl->global_id;
    if (!m->code[id]) m->code[id] = te_pattern_code(impl);
    return m->code[id];
}

/* Runs one candidate's regex; calls fn on a match. */
static bool try_pattern(te_matcher *m, const te_pattern *pattern, const te_event *event,
                        const char *subject, size_t len, uint32_t options, te_match_fn fn,
                        void *ctx, te_summary *summary)
{
    const te_pattern_impl *impl = pattern->impl;
    int rc = pcre2_match(code_for(m, impl), (PCRE2_SPTR)subject, len, 0, options, m->match_data,
                         m->context);
    if (rc < 0) {
        if (is_limit_error(rc)) {
            if (summary) summary->regex_limit_hits++;
            m->limit_hits[pattern->rule->index]++;
        }
        return false;
    }
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(m->match_data);
    uint32_t pairs = pcre2_get_ovector_count(m->match_data);
    te_match *match = &m->match;
    match->pattern = pattern;
    match->event = event;
    match->n_captures = 0;
    for (size_t i = 0; i < impl->n_names && match->n_captures < TE_MAX_CAPTURES; i++) {
        uint32_t group = impl->names[i].group;
        if (group >= pairs || ovector[2 * group] == PCRE2_UNSET) continue;
        te_capture *capture = &match->captures[match->n_captures++];
        capture->name = impl->names[i].name;
        capture->value =
            te_str_make(subject + ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]);
    }
    if (summary) summary->matches++;
    if (fn) fn(ctx, match);
    return true;
}

static bool id_listed(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) return true;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t te_matcher_run(te_matcher *m, const te_event *event, te_match_fn fn, void *ctx,
                      te_summary *summary)
{
    const te_ruleset *rules = m->rules;
    if (event->message.len == 0 || rules->n_patterns == 0) return 0;
    const char *subject = event->message.ptr;
    size_t len =
        event->message.len < TE_MAX_MATCH_SUBJECT ? event->message.len : TE_MAX_MATCH_SUBJECT;
    /* A cut message has no end for `$` to match. */
    uint32_t cut_options = event->message.len > len ? PCRE2_NOTEOL : 0;
    if (++m->stamp == 0) {
        memset(m->stamps, 0, rules->n_patterns * sizeof *m->stamps);
        m->stamp = 1;
    }
    /* (1) one pass over the message: which patterns' literals occur */
    sample_text(m, subject, len);
    const te_litscan *scan = m->tuned ? m->tuned : rules->litscan;
    size_t n_hits = te_litscan_run(scan, subject, len, m->stamps, m->stamp, m->hits);
    if (n_hits == 0) return 0;
    /* rule order (pattern ids are in rule order); the list is short */
    for (size_t i = 1; i < n_hits; i++) {
        uint32_t id = m->hits[i];
        size_t j = i;
        for (; j > 0 && m->hits[j - 1] > id; j--)
            m->hits[j] = m->hits[j - 1];
        m->hits[j] = id;
    }
    /* (2) candidates: patterns for any process, or listed for this one in
     * the dispatch table (looked up once, only when needed) */
    const te_dispatch_entry *entry = NULL;
    bool looked_up = false;
    size_t matches = 0;
    for (size_t i = 0; i < n_hits; i++) {
        const te_pattern *pattern = rules->patterns[m->hits[i]];
        if (pattern->impl->predicates[TE_PRED_PROCESS].n && event->process.len) {
            if (!looked_up) {
                entry = te_dispatch_find(rules, event->process);
                looked_up = true;
            }
            if (!entry || !id_listed(entry->ids, entry->n_ids, m->hits[i])) continue;
        }
        if (!predicates_pass(pattern->impl, event) ||
            !prefilter_passes(pattern->impl, subject, len) ||
            !required_present(pattern->impl, subject, len))
            continue;
        /* (3) the regex */
        if (try_pattern(m, pattern, event, subject, len, cut_options, fn, ctx, summary)) matches++;
    }
    return matches;
}

/* ---- facts ------------------------------------------------------------------- */

/* Values that say nothing are dropped. */
static bool meaningful(te_str value)
{
    return value.len > 0 && !te_str_eq_cstr(value, "<private>") && !te_str_eq_cstr(value, "(null)");
}

static const te_fact_spec *find_spec(const te_rule *rule, const char *name, te_fact_kind kind)
{
    for (size_t i = 0; i < rule->n_facts; i++)
        if (rule->facts[i].kind == kind && strcmp(rule->facts[i].name, name) == 0)
            return &rule->facts[i];
    return NULL;
}

typedef void (*value_fn)(void *ctx, te_str value);

/* Calls fn for each meaningful item of value split on the regex. */
static void split_value(pcre2_code *regex, pcre2_match_data *md, pcre2_match_context *context,
                        te_str value, value_fn fn, void *ctx)
{
    size_t item_start = 0, search = 0, items = 0;
    while (items < TE_MAX_FACT_VALUES) {
        int rc = search <= value.len
                     ? pcre2_match(regex, (PCRE2_SPTR)value.ptr, value.len, search, 0, md, context)
                     : PCRE2_ERROR_NOMATCH;
        if (rc < 0) break;
        /* copy the offsets: fn may run another regex with the same match data */
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t cut_start = ov[0], cut_end = ov[1];
        if (cut_end == cut_start) { /* empty separator: not a cut */
            search = cut_end + 1;
            continue;
        }
        te_str item = te_str_trim(te_str_make(value.ptr + item_start, cut_start - item_start));
        item_start = search = cut_end;
        if (meaningful(item)) {
            fn(ctx, item);
            items++;
        }
    }
    te_str last = te_str_trim(te_str_make(value.ptr + item_start, value.len - item_start));
    if (items < TE_MAX_FACT_VALUES && meaningful(last)) fn(ctx, last);
}

/* Calls fn for each value a capture yields: its split items, or itself. */
static void capture_values(const te_rule *rule, const te_capture *capture, pcre2_match_data *md,
                           pcre2_match_context *context, value_fn fn, void *ctx)
{
    const te_fact_spec *split = find_spec(rule, capture->name, TE_FACT_SPLIT);
    if (split && split->regex && md) {
        split_value(split->regex, md, context, capture->value, fn, ctx);
        return;
    }
    te_str value = te_str_trim(capture->value);
    if (meaningful(value)) fn(ctx, value);
}

typedef struct emit_ctx {
    te_fact_fn fn;
    void *ctx;
    const char *name;
    const te_fact_spec *derive; /* NULL: emit as is */
    pcre2_match_data *md;
    pcre2_match_context *context;
} emit_ctx;

static void emit_value(void *ctx, te_str value)
{
    emit_ctx *e = ctx;
    const te_fact_spec *spec = e->derive;
    if (!spec) {
        e->fn(e->ctx, e->name, value);
        return;
    }
    te_str out = {NULL, 0};
    if (spec->kind == TE_FACT_MAP) {
        for (size_t i = 0; i < spec->n_map; i++)
            if (te_str_eq(spec->map_keys[i], value)) {
                out = spec->map_values[i];
                break;
            }
    } else if (spec->kind == TE_FACT_MATCH && spec->regex && e->md) {
        int rc =
            pcre2_match(spec->regex, (PCRE2_SPTR)value.ptr, value.len, 0, 0, e->md, e->context);
        if (rc >= 0) {
            uint32_t groups = 0;
            pcre2_pattern_info(spec->regex, PCRE2_INFO_CAPTURECOUNT, &groups);
            uint32_t group = groups >= 1 ? 1 : 0;
            const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
            if (group < pcre2_get_ovector_count(e->md) && ov[2 * group] != PCRE2_UNSET)
                out = te_str_make(value.ptr + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
        }
    }
    out = te_str_trim(out);
    if (meaningful(out)) e->fn(e->ctx, spec->name, out);
}

void te_match_facts(const te_match *match, te_fact_fn fn, void *ctx)
{
    if (!match || !match->pattern || !fn) return;
    const te_rule *rule = match->pattern->rule;
    pcre2_match_context *context = ((const te_rule_impl *)rule)->fact_context;
    bool needs_regex = false;
    for (size_t i = 0; i < rule->n_facts; i++)
        if (rule->facts[i].regex) needs_regex = true;
    /* Only rules with split/match facts pay for match data (per match, not
     * per event). Group 1 is all a derivation reads. */
    pcre2_match_data *md = needs_regex ? pcre2_match_data_create(2, NULL) : NULL;

    for (size_t c = 0; c < match->n_captures; c++) {
        emit_ctx e = {fn, ctx, match->captures[c].name, NULL, md, context};
        capture_values(rule, &match->captures[c], md, context, emit_value, &e);
    }
    for (size_t f = 0; f < rule->n_facts; f++) {
        const te_fact_spec *spec = &rule->facts[f];
        if (spec->kind != TE_FACT_MATCH && spec->kind != TE_FACT_MAP) continue;
        for (size_t c = 0; c < match->n_captures; c++) {
            if (strcmp(match->captures[c].name, spec->from) != 0) continue;
            emit_ctx e = {fn, ctx, spec->name, spec, md, context};
            capture_values(rule, &match->captures[c], md, context, emit_value, &e);
        }
    }
    pcre2_match_data_free(md);
}
