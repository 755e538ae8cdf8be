/* The correlator's deciding half: when a launch context closes, works out
 * which of its rules give incidents (conditions, causes over symptoms,
 * supersedes, minimum severity) and builds each one: subject, facts, the
 * rendered diagnosis and fix, and the sorted, de-duplicated evidence. */
#include <stdlib.h>
#include <string.h>

#include "correlate/context_impl.h"

/* Per context rule state while deciding. */
enum {
    RULE_FIRED = 1,     /* its condition holds */
    RULE_CANDIDATE = 2, /* fired and not outranked by a cause */
    RULE_SURVIVES = 4,  /* candidate that no surviving rule supersedes */
    RULE_DECIDED = 8,
    RULE_VISITING = 16
};

/* Rendered templates are capped: a template repeating a long list fact could
 * otherwise grow without bound. */
#define RENDER_MAX_BYTES TE_MAX_RECORD_BYTES

bool te_incident_scratch_init(te_incident_scratch *s)
{
    memset(s, 0, sizeof *s);
    te_buf_init(&s->render, RENDER_MAX_BYTES);
    te_buf_init(&s->strings, 0);
    s->fact_values = malloc(sizeof *s->fact_values * TE_MAX_FACTS_PER_CONTEXT * TE_MAX_FACT_VALUES);
    s->order = malloc(sizeof *s->order * TE_MAX_MATCHES_PER_CONTEXT);
    s->evidence = malloc(sizeof *s->evidence * TE_MAX_EVIDENCE_PER_INCIDENT);
    return s->fact_values && s->order && s->evidence;
}

void te_incident_scratch_free(te_incident_scratch *s)
{
    free(s->fact_values);
    free(s->order);
    free(s->evidence);
    free(s->rule_state);
    free(s->survivors);
    free(s->also);
    free(s->fix);
    free(s->fix_off);
    te_buf_free(&s->render);
    te_buf_free(&s->strings);
    memset(s, 0, sizeof *s);
}

static bool scratch_reserve_rules(te_incident_scratch *s, size_t n)
{
    if (n <= s->cap_rules) return true;
    unsigned char *state = realloc(s->rule_state, n);
    if (state) s->rule_state = state;
    size_t *survivors = realloc(s->survivors, n * sizeof *survivors);
    if (survivors) s->survivors = survivors;
    const char **also = realloc(s->also, n * sizeof *also);
    if (also) s->also = also;
    if (!state || !survivors || !also) return false;
    s->cap_rules = n;
    return true;
}

static bool scratch_reserve_fix(te_incident_scratch *s, size_t n)
{
    if (n <= s->cap_fix) return true;
    const char **fix = realloc(s->fix, n * sizeof *fix);
    if (fix) s->fix = fix;
    size_t *fix_off = realloc(s->fix_off, n * sizeof *fix_off);
    if (fix_off) s->fix_off = fix_off;
    if (!fix || !fix_off) return false;
    s->cap_fix = n;
    return true;
}

/* ---- which rules give incidents ------------------------------------------ */

static bool rule_supersedes(const te_rule *a, const te_rule *b)
{
    if (a == b) return false;
    for (size_t i = 0; i < a->n_supersedes; i++)
        if (a->supersedes[i] == b->index) return true;
    return false;
}

/* A candidate survives unless a surviving candidate supersedes it. A cycle
 * of supersedes is broken in favour of the rule asked about first. */
static bool survives(const te_ctx *x, unsigned char *state, size_t k)
{
    if (state[k] & RULE_DECIDED) return state[k] & RULE_SURVIVES;
    if (state[k] & RULE_VISITING) return true;
    state[k] |= RULE_VISITING;
    bool ok = true;
    for (size_t j = 0; j < x->n_rules && ok; j++)
        if (j != k && (state[j] & RULE_CANDIDATE) &&
            rule_supersedes(x->rules[j].rule, x->rules[k].rule) && survives(x, state, j))
            ok = false;
    state[k] =
        (unsigned char)((state[k] & ~RULE_VISITING) | RULE_DECIDED | (ok ? RULE_SURVIVES : 0));
    return ok;
}

/* Severity first (error before info), then position in the rule set. */
static bool rule_before(const te_rule *a, const te_rule *b)
{
    if (a->info.severity != b->info.severity) return a->info.severity > b->info.severity;
    return a->index < b->index;
}

/* Fills s->survivors with the context rules that give incidents, in emission
 * order; returns their number. */
static size_t decide(const te_ctx *x, te_incident_scratch *s)
{
    unsigned char *state = s->rule_state;
    bool any_cause = false;
    for (size_t i = 0; i < x->n_rules; i++) {
        const te_ctx_rule *r = &x->rules[i];
        state[i] = te_rule_fires(r->rule, r->mask) ? RULE_FIRED : 0;
        if ((state[i] & RULE_FIRED) && (r->mask & r->rule->cause_mask)) any_cause = true;
    }
    for (size_t i = 0; i < x->n_rules; i++)
        if ((state[i] & RULE_FIRED) &&
            (!any_cause || (x->rules[i].mask & x->rules[i].rule->cause_mask)))
            state[i] |= RULE_CANDIDATE;
    size_t n = 0;
    for (size_t i = 0; i < x->n_rules; i++) {
        if (!(state[i] & RULE_CANDIDATE) || !survives(x, state, i)) continue;
        size_t at = n++;
        while (at > 0 && rule_before(x->rules[i].rule, x->rules[s->survivors[at - 1]].rule)) {
            s->survivors[at] = s->survivors[at - 1];
            at--;
        }
        s->survivors[at] = i;
    }
    return n;
}

/* ---- evidence ----------------------------------------------------------- */

/* Source order, then time (when both have one) or line, then arrival. */
static int compare_matches(const te_ctx_match *a, const te_ctx_match *b)
{
    if (a->source_index != b->source_index) return a->source_index < b->source_index ? -1 : 1;
    if (a->has_time && b->has_time && a->time_us != b->time_us)
        return a->time_us < b->time_us ? -1 : 1;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

static bool same_event(const te_ctx *x, const te_ctx_match *a, const te_ctx_match *b)
{
    return a->source_index == b->source_index && a->line == b->line &&
           a->message_len == b->message_len &&
           memcmp(te_ctx_str(x, a->message_off), te_ctx_str(x, b->message_off), a->message_len) ==
               0;
}

/* Sorts the context's matches into s->order, drops repeats of one event
 * (several patterns matched it: the earliest match names it) and fills
 * s->evidence. Returns the number of evidence lines; *dropped gets those over
 * the cap plus those the context could not hold. */
static size_t build_evidence(const te_ctx *x, te_incident_scratch *s, size_t *dropped)
{
    size_t *order = s->order;
    for (size_t i = 0; i < x->n_matches; i++) {
        size_t at = i;
        while (at > 0 && compare_matches(&x->matches[i], &x->matches[order[at - 1]]) < 0) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
    }
    size_t kept = 0;
    for (size_t i = 0; i < x->n_matches; i++) {
        const te_ctx_match *m = &x->matches[order[i]];
        bool repeat = false;
        for (size_t j = 0; j < kept && !repeat; j++)
            repeat = same_event(x, &x->matches[order[j]], m);
        if (!repeat) order[kept++] = order[i];
    }
    size_t n = kept < TE_MAX_EVIDENCE_PER_INCIDENT ? kept : TE_MAX_EVIDENCE_PER_INCIDENT;
    *dropped = kept - n + x->evidence_dropped;
    for (size_t i = 0; i < n; i++) {
        const te_ctx_match *m = &x->matches[order[i]];
        te_evidence *e = &s->evidence[i];
        e->source = te_ctx_str(x, m->source_off);
        e->has_time = m->has_time;
        e->time_us = m->time_us;
        e->utc_offset_min = m->utc_offset_min;
        e->process = te_ctx_str(x, m->process_off);
        e->pid = m->pid;
        e->message = te_ctx_str(x, m->message_off);
        e->pattern = te_ctx_str(x, m->pattern_off);
    }
    return n;
}

/* ---- facts and templates ---------------------------------------------------- */

static const char *first_value(const te_ctx *x, const char *name)
{
    const te_ctx_fact *f = te_ctx_find_fact(x, name, strlen(name));
    return f && f->n_values ? te_ctx_str(x, f->values[0].off) : NULL;
}

/* What templates see: the context's facts, and the incident's subject
 * process when no pattern captured one (crash report, path basename). */
typedef struct lookup_ctx {
    const te_ctx *x;
    const char *process;
} lookup_ctx;

static bool lookup_fact(void *ctx, const char *name, size_t name_len, te_template_site site,
                        te_buf *out)
{
    const lookup_ctx *l = ctx;
    const te_ctx *x = l->x;
    const te_ctx_fact *f = te_ctx_find_fact(x, name, name_len);
    if (!f || f->n_values == 0) {
        bool is_process = name_len == 7 && memcmp(name, "process", 7) == 0;
        if (!is_process || !l->process) return false;
        te_buf_append(out, l->process, strlen(l->process));
        return true;
    }
    /* A list is prose ("a, b") unless the placeholder is quoted as a shell
     * argument: "{path}" becomes "a" "b" (one argument each); inside a longer
     * quoted argument ("{app}/Contents/...") only the first value fits. */
    const char *sep = ", ";
    size_t n = f->n_values;
    if (site.before == '"' && site.after == '"')
        sep = "\" \"";
    else if (site.before == '"')
        n = 1;
    for (size_t v = 0; v < n; v++) {
        if (v > 0) te_buf_append(out, sep, strlen(sep));
        te_buf_append(out, te_ctx_str(x, f->values[v].off), f->values[v].len);
    }
    return true;
}

/* Renders tmpl into s->strings (NUL-terminated); returns its offset, or
 * SIZE_MAX when the strings buffer could not take it. A template that cannot
 * be rendered is kept as written. */
static size_t render(te_incident_scratch *s, lookup_ctx *l, const char *tmpl)
{
    if (!tmpl) tmpl = "";
    te_buf_reset(&s->render);
    bool ok = te_template_render(tmpl, lookup_fact, l, &s->render) && !s->render.overflow;
    size_t off = s->strings.len;
    bool put = ok ? te_buf_append(&s->strings, s->render.data, s->render.len)
                  : te_buf_append(&s->strings, tmpl, strlen(tmpl));
    if (!put || !te_buf_putc(&s->strings, '\0')) return SIZE_MAX;
    return off;
}

static void fill_facts(const te_ctx *x, const te_rule *rule, te_incident_scratch *s)
{
    for (size_t i = 0; i < x->n_facts; i++) {
        const te_ctx_fact *f = &x->facts[i];
        const char **values = s->fact_values + i * TE_MAX_FACT_VALUES;
        for (size_t v = 0; v < f->n_values; v++)
            values[v] = te_ctx_str(x, f->values[v].off);
        te_fact *out = &s->facts[i];
        out->name = te_ctx_str(x, f->name_off);
        out->values = values;
        out->n_values = f->n_values;
        out->is_list = f->n_values > 1 || te_rule_fact_is_list(rule, out->name);
    }
}

/* ---- one incident --------------------------------------------------------- */

/* The subject's value of a link key: the first value that identifies a
 * launch, else the first value at all. */
static const char *subject_key(const te_ctx *x, int kind)
{
    const char *name = te_link_key_names[kind];
    const te_ctx_fact *f = te_ctx_find_fact(x, name, strlen(name));
    if (!f || f->n_values == 0) return NULL;
    for (size_t v = 0; v < f->n_values; v++) {
        const char *value = te_ctx_str(x, f->values[v].off);
        if (te_link_key_valid(kind, te_str_make(value, f->values[v].len))) return value;
    }
    return te_ctx_str(x, f->values[0].off);
}

static void fill_subject(const te_ctx *x, te_incident *inc)
{
    inc->process = first_value(x, "process");
    if (!inc->process && x->has_crash_process) inc->process = te_ctx_str(x, x->crash_process_off);
    inc->path = subject_key(x, TE_KEY_PATH);
    if (!inc->process && inc->path) {
        const char *slash = strrchr(inc->path, '/');
        const char *base = slash ? slash + 1 : inc->path;
        if (*base) inc->process = base;
    }
    inc->bundle_id = subject_key(x, TE_KEY_BUNDLE_ID);
    inc->team_id = subject_key(x, TE_KEY_TEAM_ID);
    inc->pid = -1;
    const char *pid = subject_key(x, TE_KEY_PID);
    int64_t value;
    if (pid && te_str_to_i64(te_str_cstr(pid), &value) && value > 0) inc->pid = value;
}

/* First and last seen over every match of the context; dated times win over
 * times of day when both are present. */
static void fill_times(const te_ctx *x, te_incident *inc)
{
    bool dated = false;
    for (size_t i = 0; i < x->n_matches; i++)
        if (x->matches[i].clock == TE_CLOCK_DATED) dated = true;
    for (size_t i = 0; i < x->n_matches; i++) {
        const te_ctx_match *m = &x->matches[i];
        if (!m->has_time) continue;
        if (dated && m->clock != TE_CLOCK_DATED) continue; /* a time of day beside real dates */
        if (!inc->has_time || m->time_us < inc->first_seen_us) {
            inc->first_seen_us = m->time_us;
            inc->utc_offset_min = m->utc_offset_min;
        }
        if (!inc->has_time || m->time_us > inc->last_seen_us) inc->last_seen_us = m->time_us;
        inc->has_time = true;
    }
}

static void emit(te_correlator *c, const te_ctx *x, size_t k, const te_incident *base)
{
    te_incident_scratch *s = &c->scratch;
    const te_rule *rule = x->rules[k].rule;
    te_incident inc = *base;
    inc.rule_id = rule->info.id;
    inc.title = rule->info.title;
    inc.severity = rule->info.severity;
    inc.unverified = rule->info.unverified;

    fill_facts(x, rule, s);
    inc.facts = s->facts;
    inc.n_facts = x->n_facts;

    te_buf_reset(&s->strings);
    size_t n_fix = rule->info.fix ? rule->info.n_fix : 0;
    bool have_fix = scratch_reserve_fix(s, n_fix);
    lookup_ctx l = {x, base->process};
    size_t diagnosis_off = render(s, &l, rule->diagnosis);
    bool rendered = diagnosis_off != SIZE_MAX;
    for (size_t i = 0; have_fix && i < n_fix; i++) {
        s->fix_off[i] = render(s, &l, rule->info.fix[i]);
        if (s->fix_off[i] == SIZE_MAX) rendered = false;
    }
    /* The buffer is final now: turn offsets into pointers (templates as
     * written when rendering ran out of memory). */
    inc.diagnosis = rendered ? s->strings.data + diagnosis_off : rule->diagnosis;
    if (have_fix) {
        for (size_t i = 0; i < n_fix; i++)
            s->fix[i] = rendered ? s->strings.data + s->fix_off[i] : rule->info.fix[i];
        inc.fix = s->fix;
        inc.n_fix = n_fix;
    } else {
        inc.fix = rule->info.fix;
        inc.n_fix = n_fix;
    }
    inc.references = rule->info.references;
    inc.n_references = rule->info.references ? rule->info.n_references : 0;

    size_t n_also = 0;
    for (size_t j = 0; j < x->n_rules; j++)
        if (j != k && (s->rule_state[j] & RULE_FIRED) && !(s->rule_state[j] & RULE_SURVIVES) &&
            rule_supersedes(rule, x->rules[j].rule))
            s->also[n_also++] = x->rules[j].rule->info.id;
    inc.also = s->also;
    inc.n_also = n_also;

    c->summary->incidents++;
    c->summary->evidence_dropped += inc.evidence_dropped;
    if (c->on_incident) c->on_incident(&inc, c->user);
}

void te_correlate_report(te_correlator *c, const te_ctx *x)
{
    te_incident_scratch *s = &c->scratch;
    if (x->n_rules == 0 || !scratch_reserve_rules(s, x->n_rules)) return;
    size_t n_survivors = decide(x, s);
    if (n_survivors == 0) return;

    /* The parts shared by every incident of the context. */
    te_incident base;
    memset(&base, 0, sizeof base);
    size_t dropped;
    base.evidence = s->evidence;
    base.n_evidence = build_evidence(x, s, &dropped);
    base.evidence_dropped = dropped;
    base.first_source = base.n_evidence ? s->evidence[0].source : NULL;
    fill_subject(x, &base);
    fill_times(x, &base);

    for (size_t i = 0; i < n_survivors; i++) {
        size_t k = s->survivors[i];
        if (x->rules[k].rule->info.severity < c->options.min_severity) {
            c->summary->incidents_suppressed++;
            continue;
        }
        emit(c, x, k, &base);
    }
}
