/* The rule set: loads rule files and directories (te_ruleset_load), checks
 * what spans files (unique ids, supersedes), builds the gate's tables
 * (process dispatch, literal scanner) and answers the accessors. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "rules/ruleset_impl.h"

/* ---- arena ---------------------------------------------------------------- */

struct te_arena_block {
    te_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK_BYTES (64u << 10)

void *te_arena_alloc(te_arena *arena, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    te_arena_block *block = arena->head;
    if (!block || block->cap - block->used < size) {
        size_t cap = size > ARENA_BLOCK_BYTES ? size : ARENA_BLOCK_BYTES;
        block = malloc(sizeof *block + cap);
        if (!block) {
            arena->failed = true;
            return NULL;
        }
        block->used = 0;
        block->cap = cap;
        /* A big one-off block goes behind the current one so that the
         * current block's free space is not wasted. */
        if (arena->head && size > ARENA_BLOCK_BYTES) {
            block->next = arena->head->next;
            arena->head->next = block;
        } else {
            block->next = arena->head;
            arena->head = block;
        }
    }
    void *p = block->data + block->used;
    block->used += size;
    memset(p, 0, size);
    return p;
}

char *te_arena_strndup(te_arena *arena, const char *s, size_t n)
{
    char *p = te_arena_alloc(arena, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void te_arena_free(te_arena *arena)
{
    te_arena_block *block = arena->head;
    while (block) {
        te_arena_block *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
    arena->failed = false;
}

/* ---- errors ----------------------------------------------------------------- */

/* Room kept at the end of err->message for the "and N more" line. */
#define ERROR_FOOTER_ROOM 48u

void te_rule_error_vat(te_rule_errors *errors, const char *file, uint32_t line, uint32_t column,
                       const char *fmt, va_list ap)
{
    char text[600], full[800];
    errors->count++;
    if (!errors->err) return;
    vsnprintf(text, sizeof text, fmt, ap);
    if (line > 0)
        snprintf(full, sizeof full, "%s:%u:%u: %s", file, line, column, text);
    else
        snprintf(full, sizeof full, "%s: %s", file, text);
    size_t used = strnlen(errors->err->message, sizeof errors->err->message);
    if (errors->omitted > 0 ||
        used + 1 + strlen(full) + ERROR_FOOTER_ROOM >= sizeof errors->err->message) {
        errors->omitted++;
        errors->err->status = TE_ERR_RULE;
        return;
    }
    te_error_append(errors->err, TE_ERR_RULE, "%s", full);
}

void te_rule_error_at(te_rule_errors *errors, const char *file, uint32_t line, uint32_t column,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    te_rule_error_vat(errors, file, line, column, fmt, ap);
    va_end(ap);
}

/* ---- accessors ---------------------------------------------------------------- */

size_t te_ruleset_size(const te_ruleset *rules)
{
    return rules ? rules->n_rules : 0;
}

const te_rule *te_ruleset_rule_at(const te_ruleset *rules, size_t index)
{
    if (!rules || index >= rules->n_rules) return NULL;
    return &rules->rules[index]->rule;
}

TE_API size_t te_ruleset_count(const te_ruleset *rules)
{
    return te_ruleset_size(rules);
}

TE_API const te_rule_info *te_ruleset_rule(const te_ruleset *rules, size_t index)
{
    const te_rule *rule = te_ruleset_rule_at(rules, index);
    return rule ? &rule->info : NULL;
}

TE_API const te_rule_info *te_ruleset_find(const te_ruleset *rules, const char *id)
{
    if (!rules || !id) return NULL;
    for (size_t i = 0; i < rules->n_rules; i++)
        if (strcmp(rules->rules[i]->rule.info.id, id) == 0) return &rules->rules[i]->rule.info;
    return NULL;
}

TE_API int64_t te_ruleset_compile_us(const te_ruleset *rules)
{
    return rules ? rules->compile_us : 0;
}

bool te_rule_fact_is_list(const te_rule *rule, const char *name)
{
    if (!rule || !name) return false;
    for (size_t i = 0; i < rule->n_facts; i++)
        if (strcmp(rule->facts[i].name, name) == 0 && rule->facts[i].is_list) return true;
    return false;
}

bool te_ruleset_keep_code(te_ruleset *rules, pcre2_code *code)
{
    if (rules->n_codes == rules->cap_codes) {
        size_t cap = rules->cap_codes ? rules->cap_codes * 2 : 64;
        pcre2_code **codes = realloc(rules->codes, cap * sizeof *codes);
        if (!codes) return false;
        rules->codes = codes;
        rules->cap_codes = cap;
    }
    rules->codes[rules->n_codes++] = code;
    return true;
}

const pcre2_code *te_pattern_code(const te_pattern_impl *impl)
{
    /* The rule set is shared read-only except for this cache, which is only
     * written through atomics: the pattern itself was never defined const. */
    te_pattern_impl *cache = (te_pattern_impl *)impl;
    pcre2_code *jit = atomic_load_explicit(&cache->jit_code, memory_order_acquire);
    if (jit) return jit;
    if (atomic_load_explicit(&cache->jit_failed, memory_order_relaxed)) return impl->code;
    pcre2_code *copy = pcre2_code_copy(impl->code);
    if (!copy || pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) != 0) {
        pcre2_code_free(copy);
        atomic_store_explicit(&cache->jit_failed, true, memory_order_relaxed);
        return impl->code;
    }
    pcre2_code *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&cache->jit_code, &expected, copy,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        pcre2_code_free(copy); /* another thread was first: use its copy */
        return expected;
    }
    return copy;
}

TE_API void te_ruleset_free(te_ruleset *rules)
{
    if (!rules) return;
    for (size_t i = 0; rules->patterns && i < rules->n_patterns; i++)
        pcre2_code_free(atomic_load(&rules->patterns[i]->impl->jit_code));
    for (size_t i = 0; i < rules->n_codes; i++)
        pcre2_code_free(rules->codes[i]);
    free(rules->codes);
    free(rules->rules);
    pcre2_match_context_free(rules->fact_context);
    te_litscan_free(rules->litscan);
    te_arena_free(&rules->arena);
    free(rules);
}

/* ---- process dispatch table ---------------------------------------------------- */

uint64_t te_dispatch_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

const te_dispatch_entry *te_dispatch_find(const te_ruleset *rules, te_str process)
{
    if (!rules->dispatch_size) return NULL;
    uint64_t h = te_dispatch_hash(process.ptr, process.len);
    size_t mask = rules->dispatch_size - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const te_dispatch_entry *e = &rules->dispatch[i];
        if (!e->name) return NULL;
        if (e->hash == h && e->len == process.len && memcmp(e->name, process.ptr, e->len) == 0)
            return e;
    }
}

static te_dispatch_entry *dispatch_slot(te_ruleset *rules, te_str process)
{
    uint64_t h = te_dispatch_hash(process.ptr, process.len);
    size_t mask = rules->dispatch_size - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        te_dispatch_entry *e = &rules->dispatch[i];
        if (!e->name) {
            e->name = process.ptr;
            e->len = process.len;
            e->hash = h;
            return e;
        }
        if (e->hash == h && e->len == process.len && memcmp(e->name, process.ptr, e->len) == 0)
            return e;
    }
}

/* Builds the flat pattern list, the process dispatch table (process name →
 * ascending ids of the patterns that name it) and the literal scanner.
 * Pattern ids are assigned in rule order, so matches come out in rule order. */
static bool build_gate(te_ruleset *rules)
{
    te_arena *arena = &rules->arena;
    size_t n = 0, n_names = 0, n_literals = 0;
    for (size_t r = 0; r < rules->n_rules; r++) {
        const te_rule *rule = &rules->rules[r]->rule;
        n += rule->n_patterns;
        for (size_t p = 0; p < rule->n_patterns; p++) {
            n_names += rule->patterns[p].impl->predicates[TE_PRED_PROCESS].n;
            n_literals += rule->patterns[p].impl->n_literals;
        }
    }
    const te_pattern **flat = te_arena_alloc(arena, (n + 1) * sizeof *flat);
    size_t size = 16;
    while (size < n_names * 2 + 1)
        size *= 2;
    rules->dispatch = te_arena_alloc(arena, size * sizeof *rules->dispatch);
    size_t *counts = calloc(size, sizeof *counts);
    te_literal_def *defs = calloc(n_literals + 1, sizeof *defs);
    bool ok = false;
    if (!flat || !rules->dispatch || !counts || !defs) goto done;
    rules->dispatch_size = size;

    size_t id = 0, lit = 0;
    for (size_t r = 0; r < rules->n_rules; r++) {
        const te_rule *rule = &rules->rules[r]->rule;
        for (size_t p = 0; p < rule->n_patterns; p++, id++) {
            const te_pattern *pattern = &rule->patterns[p];
            te_pattern_impl *impl = pattern->impl;
            impl->global_id = (uint32_t)id;
            flat[id] = pattern;
            const te_predicate *proc = &impl->predicates[TE_PRED_PROCESS];
            for (size_t v = 0; v < proc->n; v++) {
                te_dispatch_entry *e = dispatch_slot(rules, proc->values[v]);
                counts[e - rules->dispatch]++;
            }
            for (size_t l = 0; l < impl->n_literals; l++) {
                defs[lit].bytes = impl->literals[l];
                defs[lit].icase = impl->literals_icase;
                defs[lit].pattern_id = (uint32_t)id;
                lit++;
            }
        }
    }
    for (size_t i = 0; i < size; i++) {
        if (!rules->dispatch[i].name) continue;
        rules->dispatch[i].ids = te_arena_alloc(arena, counts[i] * sizeof(uint32_t));
        if (!rules->dispatch[i].ids) goto done;
    }
    for (size_t g = 0; g < n; g++) {
        const te_predicate *proc = &flat[g]->impl->predicates[TE_PRED_PROCESS];
        for (size_t v = 0; v < proc->n; v++) {
            te_dispatch_entry *e = (te_dispatch_entry *)te_dispatch_find(rules, proc->values[v]);
            /* a pattern naming one process twice is listed once */
            if (e->n_ids && e->ids[e->n_ids - 1] == g) continue;
            ((uint32_t *)e->ids)[e->n_ids++] = (uint32_t)g;
        }
    }
    rules->patterns = flat;
    rules->n_patterns = n;
    rules->litscan = te_litscan_build(defs, lit);
    ok = rules->litscan != NULL;
done:
    free(counts);
    free(defs);
    return ok;
}

/* ---- loading -------------------------------------------------------------------- */

typedef struct path_list {
    char **items;
    size_t n, cap;
} path_list;

static bool path_list_add(path_list *list, char *path)
{
    if (!path) return false;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        char **items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            free(path);
            return false;
        }
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n++] = path;
    return true;
}

static void path_list_free(path_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i]);
    free(list->items);
}

static bool has_rule_extension(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *.yml / *.yaml files of a directory, sorted by name. */
static bool list_directory(const char *dir, path_list *files, te_rule_errors *errors)
{
    DIR *d = opendir(dir);
    if (!d) {
        te_rule_error_at(errors, dir, 0, 0, "cannot open directory: %s", strerror(errno));
        return true;
    }
    path_list names = {0};
    bool ok = true;
    struct dirent *entry;
    while (ok && (entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.' || !has_rule_extension(entry->d_name)) continue;
        ok = path_list_add(&names, strdup(entry->d_name));
    }
    closedir(d);
    if (ok && names.n) qsort(names.items, names.n, sizeof *names.items, compare_strings);
    size_t dir_len = strlen(dir);
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    for (size_t i = 0; ok && i < names.n; i++) {
        size_t len = dir_len + 1 + strlen(names.items[i]) + 1;
        char *path = malloc(len);
        if (path) snprintf(path, len, "%s%s%s", dir, slash ? "" : "/", names.items[i]);
        struct stat st;
        if (path && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
            free(path);
            continue;
        }
        ok = path_list_add(files, path);
    }
    path_list_free(&names);
    return ok;
}

static bool add_rule(te_ruleset *rules, te_rule_impl *rule)
{
    if (rules->n_rules == rules->cap_rules) {
        size_t cap = rules->cap_rules ? rules->cap_rules * 2 : 32;
        te_rule_impl **items = realloc(rules->rules, cap * sizeof *items);
        if (!items) return false;
        rules->rules = items;
        rules->cap_rules = cap;
    }
    rule->rule.index = rules->n_rules;
    rules->rules[rules->n_rules++] = rule;
    return true;
}

static const te_rule_impl *find_rule(const te_ruleset *rules, const char *id, size_t before)
{
    for (size_t i = 0; i < before; i++)
        if (strcmp(rules->rules[i]->rule.info.id, id) == 0) return rules->rules[i];
    return NULL;
}

/* Turns each rule's `supersedes` ids into rule indexes. */
static void resolve_supersedes(te_ruleset *rules, te_rule_errors *errors)
{
    for (size_t r = 0; r < rules->n_rules; r++) {
        te_rule_impl *rule = rules->rules[r];
        if (!rule->n_supersedes_ids) continue;
        size_t *indexes = te_arena_alloc(&rules->arena, rule->n_supersedes_ids * sizeof *indexes);
        if (!indexes) return;
        size_t n = 0;
        for (size_t i = 0; i < rule->n_supersedes_ids; i++) {
            const char *id = rule->supersedes_ids[i];
            const te_rule_impl *other = find_rule(rules, id, rules->n_rules);
            if (!other) {
                te_rule_error_at(errors, rule->rule.info.file, rule->supersedes_lines[i],
                                 rule->supersedes_columns[i],
                                 "supersedes names unknown rule id '%s'", id);
            } else if (other == rule) {
                te_rule_error_at(errors, rule->rule.info.file, rule->supersedes_lines[i],
                                 rule->supersedes_columns[i], "rule '%s' supersedes itself", id);
            } else {
                indexes[n++] = other->rule.index;
            }
        }
        rule->rule.supersedes = indexes;
        rule->rule.n_supersedes = n;
    }
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

TE_API te_ruleset *te_ruleset_load(const char *const *paths, size_t n_paths, te_error *err)
{
    int64_t start = monotonic_us();
    te_rule_errors errors = {.err = err};
    path_list files = {0};
    te_ruleset *rules = NULL;
    te_status status = TE_ERR_RULE;
    te_error_clear(err);

    if (!paths || n_paths == 0) {
        te_error_set(err, TE_ERR_USAGE, "no rule path given");
        return NULL;
    }
    rules = calloc(1, sizeof *rules);
    if (!rules) goto nomem;
    rules->fact_context = pcre2_match_context_create(NULL);
    if (!rules->fact_context) goto nomem;
    pcre2_set_match_limit(rules->fact_context, TE_PCRE2_MATCH_LIMIT);
    pcre2_set_depth_limit(rules->fact_context, TE_PCRE2_DEPTH_LIMIT);

    for (size_t i = 0; i < n_paths; i++) {
        struct stat st;
        if (!paths[i] || stat(paths[i], &st) != 0) {
            te_rule_error_at(&errors, paths[i] ? paths[i] : "(null)", 0, 0, "cannot read: %s",
                             strerror(errno));
            status = TE_ERR_IO;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!list_directory(paths[i], &files, &errors)) goto nomem;
        } else if (!path_list_add(&files, strdup(paths[i]))) {
            goto nomem;
        }
    }

    for (size_t f = 0; f < files.n; f++) {
        const char *file = te_arena_strndup(&rules->arena, files.items[f], strlen(files.items[f]));
        if (!file) goto nomem;
        /* The node tree is temporary: it lives in its own arena. */
        te_arena tree_arena = {0};
        te_ynode *root = te_yaml_load_file(file, &tree_arena, &errors);
        te_rule_impl *rule = root ? te_rule_compile(rules, file, root, &errors) : NULL;
        te_arena_free(&tree_arena);
        if (!rule) continue;
        const te_rule_impl *first = find_rule(rules, rule->rule.info.id, rules->n_rules);
        if (first) {
            te_rule_error_at(&errors, file, rule->id_line, rule->id_column,
                             "duplicate rule id '%s' (first defined in %s:%u)", rule->rule.info.id,
                             first->rule.info.file, first->id_line);
            continue;
        }
        if (rules->n_rules >= TE_MAX_RULES) {
            te_rule_error_at(&errors, file, rule->id_line, rule->id_column, "more than %u rules",
                             (unsigned)TE_MAX_RULES);
            continue;
        }
        if (!add_rule(rules, rule)) goto nomem;
    }
    if (errors.count == 0 && rules->n_rules == 0) {
        te_rule_error_at(&errors, paths[0], 0, 0, "no rule files found");
    }
    resolve_supersedes(rules, &errors);
    if (rules->arena.failed) goto nomem;
    if (errors.count > 0) goto fail;
    if (!build_gate(rules)) goto nomem;
    rules->compile_us = monotonic_us() - start;
    path_list_free(&files);
    return rules;

nomem:
    te_error_set(err, TE_ERR_NOMEM, "out of memory loading rules");
    path_list_free(&files);
    te_ruleset_free(rules);
    return NULL;
fail:
    if (errors.omitted && err) {
        char footer[ERROR_FOOTER_ROOM];
        snprintf(footer, sizeof footer, "... and %zu more problems", errors.omitted);
        te_error_append(err, status, "%s", footer);
    }
    if (err) err->status = status;
    path_list_free(&files);
    te_ruleset_free(rules);
    return NULL;
}
