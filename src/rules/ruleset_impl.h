/* Private structures of the rule compiler, shared by the files of src/rules and the
 * matcher (src/engine/match.c): the YAML node tree, compiled patterns, fact
 * specs, conditions, examples, the literal scanner and the rule set itself.
 * Nothing here is visible outside the library. */
#ifndef TE_RULESET_IMPL_H
#define TE_RULESET_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

/* ---- arena: every allocation of a rule set lives until te_ruleset_free --- */

typedef struct te_arena_block te_arena_block;
typedef struct te_arena {
    te_arena_block *head;
    bool failed; /* an allocation failed (callers may check once at the end) */
} te_arena;

/* Zeroed memory, 16-byte aligned; NULL (and arena->failed) on failure. */
void *te_arena_alloc(te_arena *arena, size_t size);
/* NUL-terminated copy of n bytes. */
char *te_arena_strndup(te_arena *arena, const char *s, size_t n);
void te_arena_free(te_arena *arena);

/* ---- error collection: "file:line:column: message", one per line -------- */

typedef struct te_rule_errors {
    te_error *err;  /* may be NULL: errors are only counted */
    size_t count;   /* problems found */
    size_t omitted; /* problems that did not fit into err->message */
} te_rule_errors;

void te_rule_error_at(te_rule_errors *errors, const char *file, uint32_t line, uint32_t column,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void te_rule_error_vat(te_rule_errors *errors, const char *file, uint32_t line, uint32_t column,
                       const char *fmt, va_list ap);

/* ---- YAML node tree (yaml_load.c) ---------------------------------------- */

typedef enum te_ynode_kind { TE_YNODE_SCALAR, TE_YNODE_SEQUENCE, TE_YNODE_MAPPING } te_ynode_kind;

typedef struct te_ynode te_ynode;
struct te_ynode {
    te_ynode_kind kind;
    uint32_t line;    /* 1-based */
    uint32_t column;  /* 1-based */
    bool plain;       /* scalar written without quotes (may mean null) */
    const char *text; /* scalar: NUL-terminated (no NUL inside) */
    size_t len;
    te_ynode *first; /* children; a mapping alternates key, value */
    te_ynode *last;
    te_ynode *next; /* next sibling */
    size_t n_children;
};

/* Parses one rule file into a node tree allocated in `arena`. Refuses files
 * over TE_MAX_RULE_FILE_BYTES, anchors and aliases, nesting deeper than
 * TE_MAX_YAML_DEPTH, several documents and duplicate mapping keys. Returns
 * NULL after reporting the problem (an empty file is reported too). */
te_ynode *te_yaml_load_file(const char *file, te_arena *arena, te_rule_errors *errors);
/* Same from memory (tests, fuzzers); `file` names it in messages. */
te_ynode *te_yaml_load_buffer(const char *file, const char *bytes, size_t len, te_arena *arena,
                              te_rule_errors *errors);

/* ---- patterns ------------------------------------------------------------- */

typedef enum te_predicate_field {
    TE_PRED_PROCESS = 0,
    TE_PRED_SENDER,
    TE_PRED_SUBSYSTEM,
    TE_PRED_CATEGORY,
    TE_PRED_TYPE,
    TE_PRED_COUNT
} te_predicate_field;

typedef struct te_predicate {
    const te_str *values; /* any of them; n == 0: no predicate */
    size_t n;
} te_predicate;

typedef struct te_capture_name {
    uint32_t group; /* capture group number */
    const char *name;
} te_capture_name;

struct te_pattern_impl {
    uint32_t global_id; /* index in the rule set's flat pattern list */
    const char *regex;  /* source text */
    pcre2_code *code;
    uint32_t capture_count;
    const te_capture_name *names; /* named groups, by group number */
    size_t n_names;
    te_predicate predicates[TE_PRED_COUNT];
    const te_str *literals; /* the gate's: the message must contain one of them */
    size_t n_literals;
    bool literals_icase;    /* compare ASCII case-insensitively */
    bool literals_explicit; /* from `prefilter:` rather than derived */
    /* An explicit `prefilter:` weaker than the literal derived from the regex
     * is not used by the gate (the derived one is) but still checked, after
     * the gate and before the regex. */
    const te_str *prefilter;
    size_t n_prefilter;
    /* What the regex needs besides the gate's literal (te_literals_required,
     * groups equal to the gate's set left out): one literal of every group
     * must be in the message, checked before the regex runs. */
    const te_str *required;
    const size_t *required_group_sizes;
    size_t n_required_groups;
    bool required_icase;
    /* JIT code of `code`, compiled on first use (te_pattern_code): most
     * patterns never get past the gate, and compiling JIT code for all of
     * them was most of the cost of loading a rule set. Set once, shared by
     * every matcher and thread; freed with the rule set. */
    _Atomic(pcre2_code *) jit_code;
    atomic_bool jit_failed; /* no JIT here (or out of memory): run `code` */
};

/* The code to run for a pattern: its JIT-compiled copy (compiled by the
 * first caller; thread-safe), or `code` itself when JIT is not available. */
const pcre2_code *te_pattern_code(const te_pattern_impl *impl);

/* ---- facts: section --------------------------------------------------------- */

typedef enum te_fact_kind {
    TE_FACT_LIST,  /* list: true only */
    TE_FACT_SPLIT, /* split: regex */
    TE_FACT_MATCH, /* from + match: first group of regex */
    TE_FACT_MAP    /* from + map */
} te_fact_kind;

struct te_fact_spec {
    const char *name;
    te_fact_kind kind;
    bool is_list;
    const char *from;
    pcre2_code *regex; /* split or match */
    const te_str *map_keys;
    const te_str *map_values;
    size_t n_map;
};

/* ---- conditions (condition.c) ------------------------------------------------ */

typedef enum te_cond_kind {
    TE_COND_ANY,     /* mask & bits != 0 */
    TE_COND_ALL,     /* (mask & bits) == bits */
    TE_COND_ATLEAST, /* popcount(mask & bits) >= count */
    TE_COND_NOT,
    TE_COND_AND,
    TE_COND_OR
} te_cond_kind;

typedef struct te_cond_node {
    te_cond_kind kind;
    uint64_t bits;
    unsigned count;
    int left, right; /* child node indexes (-1 none) */
} te_cond_node;

struct te_condition {
    const te_cond_node *nodes;
    size_t n_nodes;
    int root;
};

/* Parses a condition over the rule's pattern names. On error returns NULL,
 * writes a message to msg and the byte offset of the problem to *offset. */
te_condition *te_condition_parse(const char *text, const te_pattern *patterns, size_t n_patterns,
                                 te_arena *arena, char *msg, size_t msg_cap, size_t *offset);
bool te_condition_eval(const te_condition *condition, uint64_t mask);

/* ---- templates (template.c) ------------------------------------------------- */

typedef void (*te_template_name_fn)(void *ctx, const char *name, size_t len, size_t offset);
/* Calls fn for every `{name}` a template references. Returns NULL when the
 * template is well formed, else a message and the byte offset of the problem. */
const char *te_template_check(const char *tmpl, te_template_name_fn fn, void *ctx, size_t *offset);

/* ---- literal prefilter (literals.c) ------------------------------------------ */

#define TE_MIN_LITERAL_BYTES 3u

/* Derives the literals of which every match of `regex` contains at least one
 * (a single literal, or one per branch of a top-level alternation). Returns
 * false when none of at least TE_MIN_LITERAL_BYTES bytes can be derived.
 * *icase is set when the regex uses (?i). */
bool te_literals_derive(const char *regex, size_t len, te_arena *arena, te_str **literals,
                        size_t *n_literals, bool *icase);
/* What every match of `regex` contains, as groups of literals (of at least
 * TE_MIN_LITERAL_BYTES bytes): each match holds at least one literal of each
 * group. A group of one is a run of the regex's top-level sequence; a larger
 * one, the alternatives of one of its mandatory groups. group_sizes[i] is
 * the number of literals of group i, taken in order from literals. No groups
 * when the regex has a top-level alternation; false when it uses a construct
 * the derivation does not model. The matcher checks them before running a
 * regex the gate let through. */
bool te_literals_required(const char *regex, size_t len, te_arena *arena, te_str **literals,
                          size_t **group_sizes, size_t *n_groups, bool *icase);

typedef struct te_literal_def {
    te_str bytes;
    bool icase;
    uint32_t pattern_id;
} te_literal_def;

/* One pass over a message finds every literal of every pattern. */
typedef struct te_litscan te_litscan;
te_litscan *te_litscan_build(const te_literal_def *literals, size_t n);
void te_litscan_free(te_litscan *scan);
/* For every pattern with a literal in text whose stamps[] entry is not yet
 * `stamp`: sets it to `stamp` and appends the pattern id to hits (room for
 * one entry per pattern). Returns the number of hits. */
size_t te_litscan_run(const te_litscan *scan, const char *text, size_t len, uint32_t *stamps,
                      uint32_t stamp, uint32_t *hits);
/* A scanner for the same literals (same results) whose lookup positions are
 * re-chosen to be rare in `sample`, text of the input being read: a matcher
 * tunes its own copy (the rule set's stays shared and immutable). NULL when
 * out of memory. Free with te_litscan_free. */
te_litscan *te_litscan_tune(const te_litscan *scan, const char *sample, size_t len);

/* ---- examples ---------------------------------------------------------------- */

typedef struct te_example_fact {
    const char *name;
    const char *const *values;
    size_t n_values;
} te_example_fact;

typedef struct te_example {
    bool match;    /* match (true) or nomatch example */
    size_t number; /* 1-based within its list */
    uint32_t line;
    const char *input;
    size_t input_len;
    const char *format; /* NULL: detect */
    const te_example_fact *facts;
    size_t n_facts;
} te_example;

/* ---- rules and the rule set ------------------------------------------------- */

typedef struct te_rule_impl {
    te_rule rule; /* first member: a te_rule * is a te_rule_impl * */
    uint32_t id_line, id_column;
    const char *const *supersedes_ids;
    const uint32_t *supersedes_lines;
    const uint32_t *supersedes_columns;
    size_t n_supersedes_ids;
    const te_example *examples;
    size_t n_examples;
    pcre2_match_context *fact_context; /* limits for facts: regexes (owned by the set) */
} te_rule_impl;

typedef struct te_dispatch_entry {
    const char *name; /* process name (NULL: empty slot) */
    size_t len;
    uint64_t hash;
    const uint32_t *ids; /* global pattern ids, ascending */
    size_t n_ids;
} te_dispatch_entry;

struct te_ruleset {
    te_arena arena;
    te_rule_impl **rules;
    size_t n_rules, cap_rules;
    const te_pattern **patterns; /* flat, global id order (rule order, then pattern order) */
    size_t n_patterns;
    pcre2_code **codes; /* every compiled regex, freed with the set */
    size_t n_codes, cap_codes;
    pcre2_match_context *fact_context;
    uint32_t max_capture_count;
    int64_t compile_us;
    /* gate */
    te_dispatch_entry *dispatch; /* open addressing, size power of two */
    size_t dispatch_size;
    te_litscan *litscan;
};

/* FNV-1a over bytes (the dispatch table's hash). */
uint64_t te_dispatch_hash(const char *s, size_t len);
/* Patterns whose process predicate names this process (NULL if none). */
const te_dispatch_entry *te_dispatch_find(const te_ruleset *rules, te_str process);

/* Compiles one parsed rule file into a rule (compile.c). Returns NULL after
 * reporting its problems. Regexes are registered in rules->codes. */
te_rule_impl *te_rule_compile(te_ruleset *rules, const char *file, const te_ynode *root,
                              te_rule_errors *errors);
/* Keeps a compiled regex for te_ruleset_free. */
bool te_ruleset_keep_code(te_ruleset *rules, pcre2_code *code);

#endif
