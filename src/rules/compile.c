/* YAML node tree of one rule file → compiled te_rule. Validates every key
 * against a table per section (unknown keys are errors), compiles regexes
 * with PCRE2 (+JIT), derives prefilter literals, parses the condition,
 * checks that templates and examples only name facts that exist. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/limits.h"
#include "rules/ruleset_impl.h"

typedef struct compiler {
    te_ruleset *rules;
    te_arena *arena;
    const char *file;
    te_rule_errors *errors;
    size_t errors_at_start;
    /* fact names templates and examples may use */
    const char **known;
    size_t n_known, cap_known;
    bool names_complete; /* false when a pattern failed: skip unknown-name checks */
} compiler;

static const char *const rule_keys[] = {
    "id",       "title",     "severity", "status",    "summary", "confirm",    "supersedes", "link",
    "patterns", "condition", "facts",    "diagnosis", "fix",     "references", "examples",   NULL};
static const char *const pattern_keys[] = {"role", "process", "sender",    "subsystem", "category",
                                           "type", "message", "prefilter", NULL};
static const char *const fact_keys[] = {"split", "list", "from", "match", "map", NULL};
static const char *const link_keys[] = {"window", NULL};
static const char *const example_set_keys[] = {"match", "nomatch", NULL};
static const char *const example_keys[] = {"input", "format", "facts", NULL};
static const char *const reference_keys[] = {"title", "url", NULL};
/* Fact names always available to templates (link keys and the subject). */
static const char *const builtin_facts[] = {"pid",     "path",    "app", "bundle_id",
                                            "team_id", "process", NULL};
static const char *const condition_words[] = {"and", "or", "not", "of", "all", "any", "them", NULL};

static void error_at(compiler *c, const te_ynode *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(compiler *c, const te_ynode *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    te_rule_error_vat(c->errors, c->file, node ? node->line : 0, node ? node->column : 0, fmt, ap);
    va_end(ap);
}

/* ---- node helpers ----------------------------------------------------------- */

static bool is_null(const te_ynode *node)
{
    if (!node) return true;
    if (node->kind != TE_YNODE_SCALAR || !node->plain) return false;
    return node->len == 0 || strcmp(node->text, "~") == 0 || strcmp(node->text, "null") == 0 ||
           strcmp(node->text, "Null") == 0 || strcmp(node->text, "NULL") == 0;
}

static const te_ynode *map_get(const te_ynode *map, const char *key)
{
    if (!map || map->kind != TE_YNODE_MAPPING) return NULL;
    for (const te_ynode *k = map->first; k && k->next; k = k->next->next)
        if (k->kind == TE_YNODE_SCALAR && strcmp(k->text, key) == 0) return k->next;
    return NULL;
}

static bool in_list(const char *const *list, const char *word)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], word) == 0) return true;
    return false;
}

/* Reports every key of `map` that is not in `allowed`. */
static void check_keys(compiler *c, const te_ynode *map, const char *const *allowed,
                       const char *where)
{
    for (const te_ynode *k = map->first; k && k->next; k = k->next->next) {
        if (k->kind != TE_YNODE_SCALAR) {
            error_at(c, k, "keys must be plain strings in %s", where);
            continue;
        }
        if (in_list(allowed, k->text)) continue;
        char expected[256];
        size_t used = 0;
        expected[0] = '\0';
        for (size_t i = 0; allowed[i] && used < sizeof expected; i++)
            used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s", i ? ", " : "",
                                     allowed[i]);
        error_at(c, k, "unknown key '%s' in %s (expected one of: %s)", k->text, where, expected);
    }
}

/* Arena copy of a scalar without trailing blanks (folded YAML adds "\n"). */
static const char *copy_text(compiler *c, const te_ynode *node)
{
    size_t len = node->len;
    while (len > 0 && (node->text[len - 1] == '\n' || node->text[len - 1] == ' ' ||
                       node->text[len - 1] == '\t' || node->text[len - 1] == '\r'))
        len--;
    return te_arena_strndup(c->arena, node->text, len);
}

/* A string value. Missing (or null) → NULL, reported when required. */
static const char *get_string(compiler *c, const te_ynode *map, const char *key, bool required,
                              const char *where)
{
    const te_ynode *node = map_get(map, key);
    if (!node || is_null(node)) {
        if (required)
            error_at(c, node ? node : map, "%s '%s' in %s",
                     node ? "empty value for" : "missing required key", key, where);
        return NULL;
    }
    if (node->kind != TE_YNODE_SCALAR) {
        error_at(c, node, "'%s' in %s must be a string", key, where);
        return NULL;
    }
    const char *text = copy_text(c, node);
    if (text && !*text && required) {
        error_at(c, node, "empty value for '%s' in %s", key, where);
        return NULL;
    }
    return text;
}

/* A string or a list of strings (each non-empty). Returns false on a type
 * error (reported). The nodes array, when asked for, gives positions. */
static bool get_string_list(compiler *c, const te_ynode *node, const char *key, const char *where,
                            const char ***out, const te_ynode ***nodes_out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (nodes_out) *nodes_out = NULL;
    if (!node || is_null(node)) return true;
    size_t n = node->kind == TE_YNODE_SEQUENCE ? node->n_children : 1;
    if (node->kind == TE_YNODE_MAPPING) {
        error_at(c, node, "'%s' in %s must be a string or a list of strings", key, where);
        return false;
    }
    const char **items = te_arena_alloc(c->arena, (n + 1) * sizeof *items);
    const te_ynode **nodes = te_arena_alloc(c->arena, (n + 1) * sizeof *nodes);
    if (!items || !nodes) return false;
    size_t k = 0;
    bool ok = true;
    const te_ynode *item = node->kind == TE_YNODE_SEQUENCE ? node->first : node;
    for (; item; item = node->kind == TE_YNODE_SEQUENCE ? item->next : NULL) {
        if (item->kind != TE_YNODE_SCALAR || is_null(item)) {
            error_at(c, item, "'%s' in %s must be a string or a list of strings", key, where);
            ok = false;
            continue;
        }
        const char *text = copy_text(c, item);
        if (!text) return false;
        if (!*text) {
            error_at(c, item, "empty string in '%s' of %s", key, where);
            ok = false;
            continue;
        }
        nodes[k] = item;
        items[k++] = text;
    }
    *out = items;
    *n_out = k;
    if (nodes_out) *nodes_out = nodes;
    return ok;
}

static bool add_known(compiler *c, const char *name)
{
    for (size_t i = 0; i < c->n_known; i++)
        if (strcmp(c->known[i], name) == 0) return true;
    if (c->n_known == c->cap_known) {
        size_t cap = c->cap_known ? c->cap_known * 2 : 32;
        const char **known = realloc(c->known, cap * sizeof *known);
        if (!known) return false;
        c->known = known;
        c->cap_known = cap;
    }
    c->known[c->n_known++] = name;
    return true;
}

static bool is_known_n(const compiler *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->n_known; i++)
        if (strlen(c->known[i]) == len && memcmp(c->known[i], name, len) == 0) return true;
    return false;
}

static bool is_identifier(const char *s, bool allow_dash)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || (allow_dash && *s == '-'))) return false;
    return true;
}

/* ---- regexes ----------------------------------------------------------------- */

/* Compiles a regex (no UTF: log bytes are matched as bytes and invalid UTF-8
 * can never make a match fail with an error), JIT when available. */
static pcre2_code *compile_regex(compiler *c, const te_ynode *node, const char *text,
                                 const char *what, bool jit)
{
    int code_err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)text, strlen(text),
                                     PCRE2_DUPNAMES | PCRE2_NEVER_UTF, &code_err, &offset, NULL);
    if (!code) {
        PCRE2_UCHAR message[256];
        if (pcre2_get_error_message(code_err, message, sizeof message) < 0)
            snprintf((char *)message, sizeof message, "error %d", code_err);
        error_at(c, node, "%s: bad regex: %s at offset %zu", what, (const char *)message,
                 (size_t)offset);
        return NULL;
    }
    if (!te_ruleset_keep_code(c->rules, code)) {
        pcre2_code_free(code);
        error_at(c, node, "out of memory");
        return NULL;
    }
    if (jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    return code;
}

/* Reads the named groups of a compiled regex, ordered by group number. */
static bool read_capture_names(compiler *c, const te_ynode *node, te_pattern_impl *impl,
                               const char *what)
{
    uint32_t count = 0, entry_size = 0, capture_count = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(impl->code, PCRE2_INFO_CAPTURECOUNT, &capture_count);
    pcre2_pattern_info(impl->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(impl->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info(impl->code, PCRE2_INFO_NAMETABLE, &table);
    impl->capture_count = capture_count;
    if (count > TE_MAX_CAPTURES) {
        error_at(c, node, "%s: %u named groups, at most %u", what, count,
                 (unsigned)TE_MAX_CAPTURES);
        return false;
    }
    te_capture_name *names = te_arena_alloc(c->arena, (count + 1) * sizeof *names);
    if (!names) return false;
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR entry = table + (size_t)i * entry_size;
        uint32_t group = ((uint32_t)entry[0] << 8) | entry[1];
        const char *name =
            te_arena_strndup(c->arena, (const char *)entry + 2, strlen((const char *)entry + 2));
        if (!name || !add_known(c, name)) return false;
        /* insertion by group number (the table is sorted by name) */
        uint32_t j = i;
        while (j > 0 && names[j - 1].group > group) {
            names[j] = names[j - 1];
            j--;
        }
        names[j].group = group;
        names[j].name = name;
    }
    impl->names = names;
    impl->n_names = count;
    return true;
}

static bool rule_captures(const te_rule *rule, const char *name)
{
    for (size_t p = 0; p < rule->n_patterns; p++) {
        const te_pattern_impl *impl = rule->patterns[p].impl;
        if (!impl) continue;
        for (size_t i = 0; i < impl->n_names; i++)
            if (strcmp(impl->names[i].name, name) == 0) return true;
    }
    return false;
}

/* ---- patterns ------------------------------------------------------------------ */

static size_t min_length(const te_str *literals, size_t n)
{
    size_t min = n ? literals[0].len : 0;
    for (size_t i = 1; i < n; i++)
        if (literals[i].len < min) min = literals[i].len;
    return min;
}

static const char *const predicate_keys[TE_PRED_COUNT] = {"process", "sender", "subsystem",
                                                          "category", "type"};

/* Whether the group of n literals is the pattern's own gate literal set
 * (the gate already found one of them). */
static bool is_gate_set(const te_pattern_impl *impl, const te_str *group, size_t n, bool icase)
{
    if (n != impl->n_literals || icase != impl->literals_icase) return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = te_str_eq(group[i], impl->literals[k]);
        if (!found) return false;
    }
    return true;
}

/* impl->required: the literal groups the regex needs, less the gate's set
 * (nothing when the derivation does not model the regex). */
static void derive_required(compiler *c, te_pattern_impl *impl)
{
    te_str *all = NULL;
    size_t *sizes = NULL, n_groups = 0;
    bool icase = false;
    if (!te_literals_required(impl->regex, strlen(impl->regex), c->arena, &all, &sizes, &n_groups,
                              &icase))
        return;
    size_t kept = 0, at = 0, out = 0;
    for (size_t g = 0; g < n_groups; g++) {
        if (!is_gate_set(impl, all + at, sizes[g], icase)) {
            memmove(all + out, all + at, sizes[g] * sizeof *all);
            sizes[kept++] = sizes[g];
            out += sizes[g];
        }
        at += sizes[g];
    }
    impl->required = all;
    impl->required_group_sizes = sizes;
    impl->n_required_groups = kept;
    impl->required_icase = icase;
}

static bool compile_pattern(compiler *c, te_pattern *pattern, const te_ynode *name_node,
                            const te_ynode *map)
{
    char where[160];
    snprintf(where, sizeof where, "pattern '%s'", pattern->name);
    if (!is_identifier(pattern->name, true)) {
        error_at(c, name_node,
                 "pattern name '%s' must be letters, digits, '_' or '-' (starting with a letter)",
                 pattern->name);
        return false;
    }
    if (in_list(condition_words, pattern->name)) {
        error_at(c, name_node, "pattern name '%s' is a condition keyword", pattern->name);
        return false;
    }
    if (!map || map->kind != TE_YNODE_MAPPING) {
        error_at(c, map ? map : name_node, "%s must be a mapping of keys", where);
        return false;
    }
    size_t errors_before = c->errors->count;
    check_keys(c, map, pattern_keys, where);

    const char *role = get_string(c, map, "role", true, where);
    if (role) {
        if (strcmp(role, "cause") == 0)
            pattern->role = TE_ROLE_CAUSE;
        else if (strcmp(role, "symptom") == 0)
            pattern->role = TE_ROLE_SYMPTOM;
        else if (strcmp(role, "context") == 0)
            pattern->role = TE_ROLE_CONTEXT;
        else
            error_at(c, map_get(map, "role"),
                     "bad role '%s' in %s (expected one of: cause, symptom, context)", role, where);
    }

    te_pattern_impl *impl = te_arena_alloc(c->arena, sizeof *impl);
    if (!impl) return false;
    for (int f = 0; f < TE_PRED_COUNT; f++) {
        const char **values;
        size_t n;
        if (!get_string_list(c, map_get(map, predicate_keys[f]), predicate_keys[f], where, &values,
                             NULL, &n))
            continue;
        te_str *strs = te_arena_alloc(c->arena, (n + 1) * sizeof *strs);
        if (!strs) return false;
        for (size_t i = 0; i < n; i++)
            strs[i] = te_str_cstr(values[i]);
        impl->predicates[f].values = strs;
        impl->predicates[f].n = n;
    }

    const te_ynode *message_node = map_get(map, "message");
    const char *regex = get_string(c, map, "message", true, where);
    const char **prefilter = NULL;
    size_t n_prefilter = 0;
    get_string_list(c, map_get(map, "prefilter"), "prefilter", where, &prefilter, NULL,
                    &n_prefilter);
    if (regex) {
        impl->regex = regex;
        impl->code = compile_regex(c, message_node, regex, where, false);
    }
    if (impl->code) {
        if (!read_capture_names(c, message_node, impl, where)) return false;
        bool icase = false;
        te_str *derived = NULL;
        size_t n_derived = 0;
        bool have =
            te_literals_derive(regex, strlen(regex), c->arena, &derived, &n_derived, &icase);
        impl->literals_icase = icase;
        if (n_prefilter > 0) {
            te_str *lits = te_arena_alloc(c->arena, n_prefilter * sizeof *lits);
            if (!lits) return false;
            for (size_t i = 0; i < n_prefilter; i++)
                lits[i] = te_str_cstr(prefilter[i]);
            /* Both are necessary for a match: the gate takes the more
             * selective, the explicit one is checked before the regex. */
            if (have && min_length(derived, n_derived) > min_length(lits, n_prefilter)) {
                impl->literals = derived;
                impl->n_literals = n_derived;
                impl->prefilter = lits;
                impl->n_prefilter = n_prefilter;
            } else {
                impl->literals = lits;
                impl->n_literals = n_prefilter;
                impl->literals_explicit = true;
            }
        } else if (have) {
            impl->literals = derived;
            impl->n_literals = n_derived;
        } else {
            error_at(c, message_node,
                     "%s: no literal of at least %u bytes can be derived from the regex; add a "
                     "'prefilter:' with text every match contains",
                     where, TE_MIN_LITERAL_BYTES);
        }
        if (impl->n_literals) derive_required(c, impl);
        uint32_t captures = impl->capture_count;
        if (captures > c->rules->max_capture_count) c->rules->max_capture_count = captures;
    } else {
        c->names_complete = false;
    }
    pattern->impl = impl;
    return c->errors->count == errors_before;
}

static bool compile_patterns(compiler *c, te_rule *rule, const te_ynode *root)
{
    const te_ynode *node = map_get(root, "patterns");
    if (!node || is_null(node)) {
        error_at(c, node ? node : root, "missing required key 'patterns' in rule");
        return false;
    }
    if (node->kind != TE_YNODE_MAPPING || node->n_children == 0) {
        error_at(c, node, "'patterns' must be a mapping of pattern name to pattern (at least one)");
        return false;
    }
    size_t n = node->n_children / 2;
    if (n > TE_MAX_PATTERNS_PER_RULE) {
        error_at(c, node, "%zu patterns, at most %u per rule", n,
                 (unsigned)TE_MAX_PATTERNS_PER_RULE);
        return false;
    }
    te_pattern *patterns = te_arena_alloc(c->arena, n * sizeof *patterns);
    if (!patterns) return false;
    bool ok = true;
    size_t i = 0;
    for (const te_ynode *k = node->first; k && k->next; k = k->next->next, i++) {
        te_pattern *pattern = &patterns[i];
        pattern->rule = rule;
        pattern->index = (unsigned)i;
        if (k->kind != TE_YNODE_SCALAR) {
            error_at(c, k, "pattern names must be strings");
            ok = false;
            c->names_complete = false;
            continue;
        }
        pattern->name = te_arena_strndup(c->arena, k->text, k->len);
        if (!pattern->name) return false;
        if (!compile_pattern(c, pattern, k, k->next)) ok = false;
        if (pattern->role == TE_ROLE_CAUSE)
            rule->cause_mask |= 1ull << i;
        else if (pattern->role == TE_ROLE_SYMPTOM)
            rule->symptom_mask |= 1ull << i;
    }
    rule->patterns = patterns;
    rule->n_patterns = n;
    if (ok && (rule->cause_mask | rule->symptom_mask) == 0)
        error_at(c, node, "no pattern has role cause or symptom: the rule could never fire");
    return ok;
}

/* ---- facts: -------------------------------------------------------------------- */

static bool compile_fact(compiler *c, te_rule *rule, te_fact_spec *spec, const te_ynode *name_node,
                         const te_ynode *map)
{
    char where[160];
    snprintf(where, sizeof where, "fact '%s'", spec->name);
    if (!is_identifier(spec->name, false)) {
        error_at(c, name_node, "fact name '%s' must be letters, digits and '_'", spec->name);
        return false;
    }
    if (!map || map->kind != TE_YNODE_MAPPING) {
        error_at(c, map ? map : name_node,
                 "%s must be a mapping: { split: regex }, { list: true }, { from: fact, match: "
                 "regex } or { from: fact, map: {...} }",
                 where);
        return false;
    }
    size_t errors_before = c->errors->count;
    check_keys(c, map, fact_keys, where);
    const te_ynode *split = map_get(map, "split"), *list = map_get(map, "list"),
                   *from = map_get(map, "from"), *match = map_get(map, "match"),
                   *table = map_get(map, "map");
    if (list) {
        if (list->kind == TE_YNODE_SCALAR && strcmp(list->text, "true") == 0)
            spec->is_list = true;
        else if (!(list->kind == TE_YNODE_SCALAR && strcmp(list->text, "false") == 0))
            error_at(c, list, "'list' in %s must be true or false", where);
    }
    if (split) {
        if (from || match || table) {
            error_at(c, split, "%s: 'split' cannot be combined with 'from', 'match' or 'map'",
                     where);
            return false;
        }
        const char *regex = get_string(c, map, "split", true, where);
        if (regex) spec->regex = compile_regex(c, split, regex, where, true);
        spec->kind = TE_FACT_SPLIT;
        spec->is_list = true;
        if (c->names_complete && !rule_captures(rule, spec->name))
            error_at(c, name_node, "%s: 'split' applies to a capture, but no pattern captures '%s'",
                     where, spec->name);
    } else if (from) {
        const char *source = get_string(c, map, "from", true, where);
        spec->from = source;
        if (source && c->names_complete && !rule_captures(rule, source))
            error_at(c, from, "%s: 'from' names '%s', which no pattern captures", where, source);
        if ((match != NULL) == (table != NULL)) {
            error_at(c, from, "%s: 'from' needs exactly one of 'match' or 'map'", where);
            return false;
        }
        if (match) {
            spec->kind = TE_FACT_MATCH;
            const char *regex = get_string(c, map, "match", true, where);
            if (regex) spec->regex = compile_regex(c, match, regex, where, true);
        } else {
            spec->kind = TE_FACT_MAP;
            if (table->kind != TE_YNODE_MAPPING) {
                error_at(c, table, "'map' in %s must be a mapping of value to text", where);
                return false;
            }
            size_t n = table->n_children / 2, i = 0;
            te_str *keys = te_arena_alloc(c->arena, (n + 1) * sizeof *keys);
            te_str *values = te_arena_alloc(c->arena, (n + 1) * sizeof *values);
            if (!keys || !values) return false;
            for (const te_ynode *k = table->first; k && k->next; k = k->next->next) {
                if (k->kind != TE_YNODE_SCALAR || k->next->kind != TE_YNODE_SCALAR) {
                    error_at(c, k, "'map' in %s must map strings to strings", where);
                    continue;
                }
                /* copies: the node tree is freed after compiling */
                const char *key = te_arena_strndup(c->arena, k->text, k->len);
                const char *value = copy_text(c, k->next);
                if (!key || !value) return false;
                keys[i] = te_str_make(key, k->len);
                values[i++] = te_str_cstr(value);
            }
            spec->map_keys = keys;
            spec->map_values = values;
            spec->n_map = i;
        }
    } else if (match || table) {
        error_at(c, match ? match : table, "%s: '%s' needs 'from'", where, match ? "match" : "map");
    } else if (list) {
        spec->kind = TE_FACT_LIST;
        if (c->names_complete && !rule_captures(rule, spec->name))
            error_at(c, name_node, "%s: no pattern captures '%s'", where, spec->name);
    } else {
        error_at(c, map, "%s needs 'split', 'list', or 'from' with 'match' or 'map'", where);
    }
    return c->errors->count == errors_before;
}

static bool compile_facts(compiler *c, te_rule *rule, const te_ynode *root)
{
    const te_ynode *node = map_get(root, "facts");
    if (!node || is_null(node)) return true;
    if (node->kind != TE_YNODE_MAPPING) {
        error_at(c, node, "'facts' must be a mapping of fact name to its post-processing");
        return false;
    }
    size_t n = node->n_children / 2, i = 0;
    te_fact_spec *specs = te_arena_alloc(c->arena, (n + 1) * sizeof *specs);
    if (!specs) return false;
    bool ok = true;
    for (const te_ynode *k = node->first; k && k->next; k = k->next->next) {
        if (k->kind != TE_YNODE_SCALAR) {
            error_at(c, k, "fact names must be strings");
            ok = false;
            continue;
        }
        te_fact_spec *spec = &specs[i++];
        spec->name = te_arena_strndup(c->arena, k->text, k->len);
        if (!spec->name || !add_known(c, spec->name)) return false;
        if (!compile_fact(c, rule, spec, k, k->next)) ok = false;
    }
    rule->facts = specs;
    rule->n_facts = i;
    return ok;
}

/* ---- templates ------------------------------------------------------------------ */

typedef struct template_check {
    compiler *c;
    const te_ynode *node;
    const char *what;
} template_check;

static void on_template_name(void *ctx, const char *name, size_t len, size_t offset)
{
    template_check *t = ctx;
    (void)offset;
    if (!t->c->names_complete || is_known_n(t->c, name, len)) return;
    error_at(t->c, t->node,
             "%s names fact '%.*s', which no pattern captures and no facts: entry defines", t->what,
             (int)len, name);
}

static void check_template(compiler *c, const te_ynode *node, const char *text, const char *what)
{
    template_check t = {c, node, what};
    size_t offset = 0;
    const char *problem = te_template_check(text, on_template_name, &t, &offset);
    if (problem) error_at(c, node, "%s: %s at offset %zu", what, problem, offset);
}

static const char *const *template_list(compiler *c, const te_ynode *root, const char *key,
                                        bool required, size_t *n_out)
{
    const char **items = NULL;
    const te_ynode **nodes = NULL;
    const te_ynode *node = map_get(root, key);
    *n_out = 0;
    if ((!node || is_null(node)) && required) {
        error_at(c, node ? node : root, "missing required key '%s' in rule", key);
        return NULL;
    }
    if (!get_string_list(c, node, key, "rule", &items, &nodes, n_out)) return items;
    if (required && *n_out == 0 && node) error_at(c, node, "'%s' needs at least one entry", key);
    for (size_t i = 0; i < *n_out; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s entry %zu", key, i + 1);
        check_template(c, nodes[i], items[i], what);
    }
    return items;
}

/* ---- references, link, supersedes ------------------------------------------------ */

static void compile_references(compiler *c, te_rule *rule, const te_ynode *root)
{
    const te_ynode *node = map_get(root, "references");
    if (!node || is_null(node)) {
        if (!node)
            error_at(c, root, "missing required key 'references' in rule");
        else
            error_at(c, node, "'references' must be a list of {title, url}");
        return;
    }
    if (node->kind != TE_YNODE_SEQUENCE) {
        error_at(c, node, "'references' must be a list of {title, url}");
        return;
    }
    te_reference *refs = te_arena_alloc(c->arena, (node->n_children + 1) * sizeof *refs);
    if (!refs) return;
    size_t n = 0;
    for (const te_ynode *item = node->first; item; item = item->next) {
        if (item->kind != TE_YNODE_MAPPING) {
            error_at(c, item, "a reference must be a mapping {title, url}");
            continue;
        }
        check_keys(c, item, reference_keys, "reference");
        const char *title = get_string(c, item, "title", true, "reference");
        const char *url = get_string(c, item, "url", true, "reference");
        if (!title || !url) continue;
        refs[n].title = title;
        refs[n].url = url;
        n++;
    }
    rule->info.references = refs;
    rule->info.n_references = n;
}

/* "250ms", "5s", "2m" → microseconds; -1 when malformed. */
static int64_t parse_window(const char *text)
{
    int64_t value = 0;
    size_t i = 0;
    for (; isdigit((unsigned char)text[i]); i++) {
        if (value > 1000000000) return -1;
        value = value * 10 + (text[i] - '0');
    }
    if (i == 0) return -1;
    const char *unit = text + i;
    if (strcmp(unit, "ms") == 0) return value * 1000;
    if (strcmp(unit, "s") == 0) return value * 1000000;
    if (strcmp(unit, "m") == 0) return value * 60000000;
    return -1;
}

static void compile_link(compiler *c, te_rule *rule, const te_ynode *root)
{
    rule->window_us = TE_DEFAULT_WINDOW_US;
    const te_ynode *node = map_get(root, "link");
    if (!node || is_null(node)) return;
    if (node->kind != TE_YNODE_MAPPING) {
        error_at(c, node, "'link' must be a mapping (window: 5s)");
        return;
    }
    check_keys(c, node, link_keys, "link");
    const char *window = get_string(c, node, "window", false, "link");
    if (!window) return;
    int64_t us = parse_window(window);
    if (us <= 0 || us > TE_MAX_LINK_WINDOW_US)
        error_at(c, map_get(node, "window"),
                 "bad window '%s' (expected a positive number with ms, s or m, like 250ms, 5s, "
                 "2m; at most %lldm)",
                 window, (long long)(TE_MAX_LINK_WINDOW_US / 60000000));
    else
        rule->window_us = us;
}

static void compile_supersedes(compiler *c, te_rule_impl *impl, const te_ynode *root)
{
    const char **ids = NULL;
    const te_ynode **nodes = NULL;
    size_t n = 0;
    if (!get_string_list(c, map_get(root, "supersedes"), "supersedes", "rule", &ids, &nodes, &n))
        return;
    uint32_t *lines = te_arena_alloc(c->arena, (n + 1) * sizeof *lines);
    uint32_t *columns = te_arena_alloc(c->arena, (n + 1) * sizeof *columns);
    if (!lines || !columns) return;
    for (size_t i = 0; i < n; i++) {
        lines[i] = nodes[i]->line;
        columns[i] = nodes[i]->column;
    }
    impl->supersedes_ids = ids;
    impl->supersedes_lines = lines;
    impl->supersedes_columns = columns;
    impl->n_supersedes_ids = n;
}

/* ---- condition ------------------------------------------------------------------- */

static void compile_condition(compiler *c, te_rule *rule, const te_ynode *root)
{
    const te_ynode *node = map_get(root, "condition");
    if (!node || is_null(node)) return;
    const char *text = get_string(c, root, "condition", false, "rule");
    if (!text) return;
    if (!c->names_complete) return; /* pattern names may be missing: errors already shown */
    char message[256];
    size_t offset = 0;
    rule->condition = te_condition_parse(text, rule->patterns, rule->n_patterns, c->arena, message,
                                         sizeof message, &offset);
    if (rule->condition) return;
    if (node->plain && !strchr(text, '\n'))
        te_rule_error_at(c->errors, c->file, node->line, node->column + (uint32_t)offset,
                         "condition: %s", message);
    else
        error_at(c, node, "condition: %s (at offset %zu)", message, offset);
}

/* ---- examples -------------------------------------------------------------------- */

static bool compile_example_facts(compiler *c, te_example *ex, const te_ynode *node)
{
    if (!node || is_null(node)) return true;
    if (node->kind != TE_YNODE_MAPPING) {
        error_at(c, node, "example 'facts' must be a mapping of fact name to value(s)");
        return false;
    }
    size_t n = node->n_children / 2, i = 0;
    te_example_fact *facts = te_arena_alloc(c->arena, (n + 1) * sizeof *facts);
    if (!facts) return false;
    bool ok = true;
    for (const te_ynode *k = node->first; k && k->next; k = k->next->next) {
        if (k->kind != TE_YNODE_SCALAR) {
            error_at(c, k, "example fact names must be strings");
            ok = false;
            continue;
        }
        if (c->names_complete && !is_known_n(c, k->text, k->len)) {
            error_at(c, k,
                     "example names fact '%s', which no pattern captures and no facts: entry "
                     "defines",
                     k->text);
            ok = false;
            continue;
        }
        const char **values;
        size_t n_values;
        if (!get_string_list(c, k->next, k->text, "example facts", &values, NULL, &n_values)) {
            ok = false;
            continue;
        }
        facts[i].name = te_arena_strndup(c->arena, k->text, k->len);
        facts[i].values = values;
        facts[i].n_values = n_values;
        i++;
    }
    ex->facts = facts;
    ex->n_facts = i;
    return ok;
}

static bool compile_example(compiler *c, te_example *ex, const te_ynode *item)
{
    ex->line = item->line;
    const te_ynode *input = item;
    if (item->kind == TE_YNODE_MAPPING) {
        check_keys(c, item, example_keys, "example");
        input = map_get(item, "input");
        if (!input) {
            error_at(c, item, "missing required key 'input' in example");
            return false;
        }
        const te_ynode *format = map_get(item, "format");
        if (format && !is_null(format)) {
            if (format->kind != TE_YNODE_SCALAR)
                error_at(c, format, "'format' must be a string");
            else
                ex->format = copy_text(c, format);
        }
        if (!compile_example_facts(c, ex, map_get(item, "facts"))) return false;
        ex->line = input->line;
    }
    if (input->kind != TE_YNODE_SCALAR || is_null(input)) {
        error_at(c, input, "an example must be a string or a mapping with 'input'");
        return false;
    }
    /* An example reads like a file: make sure its last line ends. */
    bool newline = input->len > 0 && input->text[input->len - 1] == '\n';
    char *text = te_arena_alloc(c->arena, input->len + 2);
    if (!text) return false;
    memcpy(text, input->text, input->len);
    if (!newline) text[input->len] = '\n';
    ex->input = text;
    ex->input_len = input->len + (newline ? 0 : 1);
    return true;
}

static void compile_examples(compiler *c, te_rule_impl *impl, const te_ynode *root)
{
    const te_ynode *node = map_get(root, "examples");
    if (!node || is_null(node)) {
        error_at(c, node ? node : root, "missing required key 'examples' in rule");
        return;
    }
    if (node->kind != TE_YNODE_MAPPING) {
        error_at(c, node, "'examples' must be a mapping with 'match' and 'nomatch' lists");
        return;
    }
    check_keys(c, node, example_set_keys, "examples");
    const te_ynode *lists[2] = {map_get(node, "match"), map_get(node, "nomatch")};
    const char *names[2] = {"match", "nomatch"};
    size_t total = 0;
    for (int k = 0; k < 2; k++) {
        const te_ynode *list = lists[k];
        if (!list || is_null(list) || (list->kind == TE_YNODE_SEQUENCE && list->n_children == 0)) {
            error_at(c, list ? list : node, "examples need at least one '%s' example", names[k]);
            lists[k] = NULL;
        } else if (list->kind != TE_YNODE_SEQUENCE) {
            error_at(c, list, "'%s' examples must be a list", names[k]);
            lists[k] = NULL;
        } else {
            total += list->n_children;
        }
    }
    te_example *examples = te_arena_alloc(c->arena, (total + 1) * sizeof *examples);
    if (!examples) return;
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        if (!lists[k]) continue;
        size_t number = 0;
        for (const te_ynode *item = lists[k]->first; item; item = item->next) {
            te_example *ex = &examples[n];
            ex->match = k == 0;
            ex->number = ++number;
            if (compile_example(c, ex, item)) n++;
        }
    }
    impl->examples = examples;
    impl->n_examples = n;
}

/* ---- the rule ---------------------------------------------------------------------- */

static bool valid_rule_id(const char *id)
{
    if (!*id) return false;
    for (const char *p = id; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) return false;
    return true;
}

te_rule_impl *te_rule_compile(te_ruleset *rules, const char *file, const te_ynode *root,
                              te_rule_errors *errors)
{
    compiler c = {.rules = rules,
                  .arena = &rules->arena,
                  .file = file,
                  .errors = errors,
                  .errors_at_start = errors->count,
                  .names_complete = true};
    te_rule_impl *impl = NULL;
    if (root->kind != TE_YNODE_MAPPING) {
        error_at(&c, root, "a rule file must be a mapping of keys (id, title, ...)");
        goto done;
    }
    impl = te_arena_alloc(c.arena, sizeof *impl);
    if (!impl) goto done;
    te_rule *rule = &impl->rule;
    impl->fact_context = rules->fact_context;
    rule->info.file = file;
    check_keys(&c, root, rule_keys, "rule");
    for (size_t i = 0; builtin_facts[i]; i++)
        if (!add_known(&c, builtin_facts[i])) goto done;

    const te_ynode *id_node = map_get(root, "id");
    rule->info.id = get_string(&c, root, "id", true, "rule");
    if (rule->info.id && !valid_rule_id(rule->info.id)) {
        error_at(&c, id_node, "bad rule id '%s' (lower case letters, digits and '-')",
                 rule->info.id);
    }
    if (id_node) {
        impl->id_line = id_node->line;
        impl->id_column = id_node->column;
    }
    rule->info.title = get_string(&c, root, "title", true, "rule");
    if (rule->info.title && strchr(rule->info.title, '\n'))
        error_at(&c, map_get(root, "title"), "'title' must be one line");
    rule->info.summary = get_string(&c, root, "summary", true, "rule");

    const char *severity = get_string(&c, root, "severity", true, "rule");
    if (severity) {
        if (strcmp(severity, "error") == 0)
            rule->info.severity = TE_SEVERITY_ERROR;
        else if (strcmp(severity, "warning") == 0)
            rule->info.severity = TE_SEVERITY_WARNING;
        else if (strcmp(severity, "info") == 0)
            rule->info.severity = TE_SEVERITY_INFO;
        else
            error_at(&c, map_get(root, "severity"),
                     "bad severity '%s' (expected one of: error, warning, info)", severity);
    }
    const char *status = get_string(&c, root, "status", false, "rule");
    if (status) {
        if (strcmp(status, "unverified") == 0)
            rule->info.unverified = true;
        else if (strcmp(status, "stable") != 0)
            error_at(&c, map_get(root, "status"),
                     "bad status '%s' (expected one of: stable, unverified)", status);
    }

    compile_link(&c, rule, root);
    compile_supersedes(&c, impl, root);
    compile_patterns(&c, rule, root);
    compile_condition(&c, rule, root);
    compile_facts(&c, rule, root);

    const te_ynode *diagnosis = map_get(root, "diagnosis");
    rule->diagnosis = get_string(&c, root, "diagnosis", true, "rule");
    if (rule->diagnosis) check_template(&c, diagnosis, rule->diagnosis, "diagnosis");
    rule->info.fix = template_list(&c, root, "fix", true, &rule->info.n_fix);
    rule->info.confirm = template_list(&c, root, "confirm", false, &rule->info.n_confirm);
    compile_references(&c, rule, root);
    compile_examples(&c, impl, root);

done:
    free(c.known);
    if (rules->arena.failed) {
        te_rule_error_at(errors, file, 0, 0, "out of memory");
        return NULL;
    }
    return errors->count == c.errors_at_start ? impl : NULL;
}
