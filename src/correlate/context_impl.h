/* Private to src/correlate: the launch-context state shared by context.c
 * (linking matches into contexts) and incident.c (deciding and emitting the
 * incidents of a closed context). */
#ifndef TE_CONTEXT_IMPL_H
#define TE_CONTEXT_IMPL_H

#include "correlate/correlate.h"
#include "engine/limits.h"
#include "util/text.h"

/* The clocks in which two matches can be compared by "time". */
typedef enum te_clock {
    TE_CLOCK_DATED = 0,   /* full timestamps: comparable across sources */
    TE_CLOCK_TIME_OF_DAY, /* time without a date: comparable within one source */
    TE_CLOCK_LINES,       /* lines of the untimed matches of one source */
    TE_CLOCK_POSITION,    /* lines of every match of one source */
    TE_CLOCK_COUNT
} te_clock;

/* The link keys, in the order of te_link_key_names. */
typedef enum te_link_key {
    TE_KEY_PID = 0,
    TE_KEY_PATH,
    TE_KEY_APP,
    TE_KEY_BUNDLE_ID,
    TE_KEY_TEAM_ID,
    TE_KEY_COUNT
} te_link_key;

/* The range of one clock a context covers (per source for the source-local clocks). */
typedef struct te_ctx_span {
    te_clock clock;
    uint32_t source;
    int64_t lo, hi;
} te_ctx_span;

/* One match kept as evidence. Strings are offsets into the context arena. */
typedef struct te_ctx_match {
    uint64_t seq; /* arrival order over the whole run */
    const te_rule *rule;
    unsigned pattern_index;
    te_role role;
    te_clock clock;
    uint32_t source_index;
    uint64_t line;
    bool has_time;
    int64_t time_us;
    int32_t utc_offset_min;
    int64_t pid;
    size_t source_off;  /* "name:line" */
    size_t process_off; /* "" when unknown */
    size_t message_off; /* truncated to TE_MAX_EVIDENCE_MESSAGE */
    size_t message_len;
    size_t pattern_off; /* "rule-id/pattern-name" */
} te_ctx_match;

typedef struct te_ctx_value {
    size_t off;
    size_t len;
} te_ctx_value;

/* One fact of the context: distinct values in the order they were seen. */
typedef struct te_ctx_fact {
    size_t name_off;
    size_t name_len;
    size_t n_values;
    te_ctx_value values[TE_MAX_FACT_VALUES];
} te_ctx_fact;

/* The patterns of one rule matched in the context (bit i = patterns[i]). */
typedef struct te_ctx_rule {
    const te_rule *rule;
    uint64_t mask;
} te_ctx_rule;

/* One launch context. Arrays grow on demand and keep their capacity when
 * the context is recycled, so a steady run does not allocate per match. */
typedef struct te_ctx {
    uint64_t id;          /* creation order */
    uint64_t last_seq;    /* seq of its latest match (least recent = evicted first) */
    int64_t last_wall_us; /* CLOCK_MONOTONIC at its latest match (live mode) */
    int64_t window_us;    /* widest link window of its matches */
    te_ctx_span *spans;
    size_t n_spans, cap_spans;
    te_ctx_rule *rules;
    size_t n_rules, cap_rules;
    te_ctx_match *matches;
    size_t n_matches, cap_matches;
    size_t evidence_dropped; /* matches beyond TE_MAX_MATCHES_PER_CONTEXT */
    te_ctx_fact *facts;
    size_t n_facts, cap_facts;
    int key_fact[TE_KEY_COUNT]; /* index in facts of each link key, -1 when absent */
    bool has_crash_process;     /* the crash report's process name (subject fallback) */
    size_t crash_process_off;
    char *arena; /* NUL-terminated strings */
    size_t arena_len, arena_cap;
} te_ctx;

static inline const char *te_ctx_str(const te_ctx *x, size_t off)
{
    return x->arena + off;
}

/* Scratch space for building incidents, reused from one context to the next. */
typedef struct te_incident_scratch {
    te_fact facts[TE_MAX_FACTS_PER_CONTEXT];
    const char **fact_values;  /* TE_MAX_FACTS_PER_CONTEXT * TE_MAX_FACT_VALUES */
    size_t *order;             /* match indexes sorted as evidence */
    te_evidence *evidence;     /* TE_MAX_EVIDENCE_PER_INCIDENT */
    unsigned char *rule_state; /* per context rule: fired, candidate, survivor */
    size_t *survivors;
    const char **also;
    size_t cap_rules;
    const char **fix;
    size_t cap_fix;
    size_t *fix_off;
    te_buf render;  /* one rendered template */
    te_buf strings; /* diagnosis and fix steps of the incident being built */
} te_incident_scratch;

/* The facts of the match being added, before it is placed in a context. */
typedef struct te_pending_fact {
    size_t name_off, name_len;
    size_t value_off, value_len;
} te_pending_fact;

#define TE_PENDING_MAX_FACTS (TE_MAX_FACTS_PER_CONTEXT + TE_MAX_FACT_VALUES)

struct te_correlator {
    const te_ruleset *rules;
    te_options options;
    te_incident_fn on_incident;
    void *user;
    te_summary *summary;
    te_summary own_summary; /* when the caller passes none */

    te_ctx *open[TE_MAX_OPEN_CONTEXTS]; /* in creation order */
    size_t n_open;
    te_ctx *spare[8]; /* recycled contexts */
    size_t n_spare;
    uint64_t next_id, next_seq;

    uint32_t source_index;
    /* Watermarks of the current source: the latest time (dated, time of day)
     * and line (TE_CLOCK_LINES: of any match) seen. */
    bool mark_set[TE_CLOCK_COUNT];
    int64_t mark[TE_CLOCK_COUNT];

    te_pending_fact pending[TE_PENDING_MAX_FACTS];
    size_t n_pending;
    /* Its link keys: kind and index in pending. */
    struct {
        int kind;
        size_t index;
    } keys[TE_PENDING_MAX_FACTS];
    size_t n_keys;
    te_buf pending_text;

    te_incident_scratch scratch;
};

extern const char *const te_link_key_names[TE_KEY_COUNT];

/* True when a value of this link key kind identifies a launch (context.c). */
bool te_link_key_valid(int kind, te_str value);

/* Finds a fact of the context by name; NULL when absent. */
const te_ctx_fact *te_ctx_find_fact(const te_ctx *x, const char *name, size_t name_len);

/* Decides which rules of a closing context give incidents and emits them
 * (incident.c). The context is left untouched. */
void te_correlate_report(te_correlator *c, const te_ctx *x);
bool te_incident_scratch_init(te_incident_scratch *s);
void te_incident_scratch_free(te_incident_scratch *s);

#endif
