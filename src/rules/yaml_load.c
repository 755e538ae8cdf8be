/* Rule file → YAML node tree, with libyaml's event API so that every node
 * keeps its line and column for messages. Hostile files are refused early:
 * size limit, no anchors or aliases (no alias bombs), bounded nesting. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/limits.h"
#include "rules/ruleset_impl.h"

typedef struct tree_builder {
    const char *file;
    te_arena *arena;
    te_rule_errors *errors;
    te_ynode *root;
    te_ynode *stack[TE_MAX_YAML_DEPTH];
    size_t depth;
    unsigned documents;
} tree_builder;

static void fail_at(tree_builder *b, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(tree_builder *b, const yaml_mark_t *mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    te_rule_error_vat(b->errors, b->file, (uint32_t)mark->line + 1, (uint32_t)mark->column + 1, fmt,
                      ap);
    va_end(ap);
}

static int compare_key_nodes(const void *pa, const void *pb)
{
    const te_ynode *a = *(te_ynode *const *)pa, *b = *(te_ynode *const *)pb;
    int c = strcmp(a->text, b->text);
    if (c) return c;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    return a->column < b->column ? -1 : (a->column > b->column);
}

/* Reports duplicate scalar keys of a finished mapping (sorted, n log n). */
static bool check_duplicate_keys(tree_builder *b, const te_ynode *map)
{
    size_t n = map->n_children / 2, k = 0;
    if (n < 2) return true;
    te_ynode **keys = malloc(n * sizeof *keys);
    if (!keys) return false;
    for (te_ynode *key = map->first; key && key->next; key = key->next->next)
        if (key->kind == TE_YNODE_SCALAR) keys[k++] = key;
    qsort(keys, k, sizeof *keys, compare_key_nodes);
    bool ok = true;
    for (size_t i = 1; i < k; i++) {
        if (strcmp(keys[i - 1]->text, keys[i]->text) != 0) continue;
        te_rule_error_at(b->errors, b->file, keys[i]->line, keys[i]->column,
                         "duplicate key '%s' (first at line %u)", keys[i]->text, keys[i - 1]->line);
        ok = false;
    }
    free(keys);
    return ok;
}

static te_ynode *new_node(tree_builder *b, te_ynode_kind kind, const yaml_mark_t *mark)
{
    te_ynode *node = te_arena_alloc(b->arena, sizeof *node);
    if (!node) return NULL;
    node->kind = kind;
    node->line = (uint32_t)mark->line + 1;
    node->column = (uint32_t)mark->column + 1;
    return node;
}

static void attach(tree_builder *b, te_ynode *node)
{
    if (b->depth == 0) {
        b->root = node;
        return;
    }
    te_ynode *parent = b->stack[b->depth - 1];
    if (parent->last)
        parent->last->next = node;
    else
        parent->first = node;
    parent->last = node;
    parent->n_children++;
}

/* Handles one event; false stops the parse (the problem was reported). */
static bool on_event(tree_builder *b, const yaml_event_t *ev, bool *done)
{
    const yaml_mark_t *mark = &ev->start_mark;
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
        return true;
    case YAML_STREAM_END_EVENT:
        *done = true;
        return true;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            fail_at(b, mark, "a rule file holds one YAML document, found a second one");
            return false;
        }
        return true;
    case YAML_ALIAS_EVENT:
        fail_at(b, mark, "aliases are not allowed in rule files");
        return false;
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor) {
            fail_at(b, mark, "aliases are not allowed in rule files (anchor '&%s')",
                    (const char *)ev->data.scalar.anchor);
            return false;
        }
        const char *value = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (memchr(value, '\0', len)) {
            fail_at(b, mark, "NUL character in a string");
            return false;
        }
        te_ynode *node = new_node(b, TE_YNODE_SCALAR, mark);
        if (!node) return false;
        node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        node->text = te_arena_strndup(b->arena, value, len);
        node->len = len;
        if (!node->text) return false;
        attach(b, node);
        return true;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        const yaml_char_t *anchor = ev->type == YAML_SEQUENCE_START_EVENT
                                        ? ev->data.sequence_start.anchor
                                        : ev->data.mapping_start.anchor;
        if (anchor) {
            fail_at(b, mark, "aliases are not allowed in rule files (anchor '&%s')",
                    (const char *)anchor);
            return false;
        }
        if (b->depth >= TE_MAX_YAML_DEPTH) {
            fail_at(b, mark, "nesting deeper than %u levels", (unsigned)TE_MAX_YAML_DEPTH);
            return false;
        }
        te_ynode *node = new_node(
            b, ev->type == YAML_SEQUENCE_START_EVENT ? TE_YNODE_SEQUENCE : TE_YNODE_MAPPING, mark);
        if (!node) return false;
        attach(b, node);
        b->stack[b->depth++] = node;
        return true;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        if (b->depth == 0) return false;
        te_ynode *node = b->stack[--b->depth];
        if (node->kind == TE_YNODE_MAPPING && !check_duplicate_keys(b, node)) return false;
        return true;
    }
    }
    return true;
}

te_ynode *te_yaml_load_buffer(const char *file, const char *bytes, size_t len, te_arena *arena,
                              te_rule_errors *errors)
{
    tree_builder b = {.file = file, .arena = arena, .errors = errors};
    size_t errors_before = errors->count;
    yaml_parser_t parser;
    bool parser_ready = false, done = false;
    te_ynode *result = NULL;

    if (len > TE_MAX_RULE_FILE_BYTES) {
        te_rule_error_at(errors, file, 1, 1, "rule file is larger than %u bytes",
                         (unsigned)TE_MAX_RULE_FILE_BYTES);
        goto done;
    }
    if (!yaml_parser_initialize(&parser)) {
        te_rule_error_at(errors, file, 1, 1, "out of memory starting the YAML parser");
        goto done;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *mark = &parser.problem_mark;
            if (parser.context)
                fail_at(&b, mark, "YAML syntax error: %s %s", parser.problem ? parser.problem : "",
                        parser.context);
            else
                fail_at(&b, mark, "YAML syntax error: %s",
                        parser.problem ? parser.problem : "unknown problem");
            goto done;
        }
        bool ok = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
        if (!ok) {
            if (errors->count == errors_before)
                te_rule_error_at(errors, file, 1, 1, "out of memory reading the rule file");
            goto done;
        }
    }
    if (arena->failed) {
        te_rule_error_at(errors, file, 1, 1, "out of memory reading the rule file");
        goto done;
    }
    if (!b.root || (b.root->kind == TE_YNODE_SCALAR && b.root->plain && b.root->len == 0)) {
        te_rule_error_at(errors, file, 1, 1, "empty rule file");
        goto done;
    }
    result = b.root;
done:
    if (parser_ready) yaml_parser_delete(&parser);
    return result;
}

te_ynode *te_yaml_load_file(const char *file, te_arena *arena, te_rule_errors *errors)
{
    te_ynode *root = NULL;
    char *bytes = NULL;
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        te_rule_error_at(errors, file, 0, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        te_rule_error_at(errors, file, 0, 0, "not a regular file");
        goto done;
    }
    if ((unsigned long long)st.st_size > TE_MAX_RULE_FILE_BYTES) {
        te_rule_error_at(errors, file, 1, 1, "rule file is larger than %u bytes",
                         (unsigned)TE_MAX_RULE_FILE_BYTES);
        goto done;
    }
    /* Read up to one byte past the limit: the file may grow under us. */
    bytes = malloc(TE_MAX_RULE_FILE_BYTES + 1);
    if (!bytes) {
        te_rule_error_at(errors, file, 0, 0, "out of memory");
        goto done;
    }
    while (len <= TE_MAX_RULE_FILE_BYTES) {
        ssize_t got = read(fd, bytes + len, TE_MAX_RULE_FILE_BYTES + 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            te_rule_error_at(errors, file, 0, 0, "read error: %s", strerror(errno));
            goto done;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    root = te_yaml_load_buffer(file, bytes, len, arena, errors);
done:
    if (fd >= 0) close(fd);
    free(bytes);
    return root;
}
