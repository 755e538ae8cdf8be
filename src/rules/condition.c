/* Rule conditions, Sigma style, over pattern names: `and`, `or`, `not`,
 * parentheses, glob names (`amfi_*` = any of them), `N of glob`,
 * `all of glob`, `any of glob`, `them` (every pattern). Parsed once at load
 * into a small tree over the rule's pattern bits; evaluated per context. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "rules/ruleset_impl.h"

/* Conditions are short; deeper nesting is a mistake (and would recurse). */
#define CONDITION_MAX_DEPTH 32
#define CONDITION_MAX_NODES 256

typedef enum token_kind {
    TOK_END,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_AND,
    TOK_OR,
    TOK_NOT,
    TOK_OF,
    TOK_ALL,
    TOK_ANY,
    TOK_NUMBER,
    TOK_NAME /* a pattern name or glob (also `them`) */
} token_kind;

typedef struct parser {
    const char *text;
    size_t pos;
    token_kind tok;
    size_t tok_start, tok_len;
    unsigned number;
    const te_pattern *patterns;
    size_t n_patterns;
    te_cond_node nodes[CONDITION_MAX_NODES];
    size_t n_nodes;
    char *msg;
    size_t msg_cap;
    size_t err_offset;
    bool failed;
} parser;

static void fail(parser *p, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(parser *p, size_t offset, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = true;
    p->err_offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msg_cap, fmt, ap);
    va_end(ap);
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*' || c == '?';
}

static bool word_is(const parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->tok_len == n && memcmp(p->text + p->tok_start, word, n) == 0;
}

static void next_token(parser *p)
{
    while (p->text[p->pos] && isspace((unsigned char)p->text[p->pos]))
        p->pos++;
    p->tok_start = p->pos;
    p->tok_len = 0;
    char c = p->text[p->pos];
    if (!c) {
        p->tok = TOK_END;
        return;
    }
    if (c == '(' || c == ')') {
        p->tok = c == '(' ? TOK_LPAREN : TOK_RPAREN;
        p->pos++;
        p->tok_len = 1;
        return;
    }
    if (!is_name_char(c)) {
        fail(p, p->pos, "unexpected character '%c'", c);
        p->tok = TOK_END;
        return;
    }
    while (is_name_char(p->text[p->pos]))
        p->pos++;
    p->tok_len = p->pos - p->tok_start;
    bool digits = true;
    for (size_t i = 0; i < p->tok_len; i++)
        if (!isdigit((unsigned char)p->text[p->tok_start + i])) digits = false;
    if (digits) {
        p->tok = TOK_NUMBER;
        p->number = 0;
        for (size_t i = 0; i < p->tok_len && p->number < 1000; i++)
            p->number = p->number * 10 + (unsigned)(p->text[p->tok_start + i] - '0');
    } else if (word_is(p, "and"))
        p->tok = TOK_AND;
    else if (word_is(p, "or"))
        p->tok = TOK_OR;
    else if (word_is(p, "not"))
        p->tok = TOK_NOT;
    else if (word_is(p, "of"))
        p->tok = TOK_OF;
    else if (word_is(p, "all"))
        p->tok = TOK_ALL;
    else if (word_is(p, "any"))
        p->tok = TOK_ANY;
    else
        p->tok = TOK_NAME;
}

static int add_node(parser *p, te_cond_kind kind, uint64_t bits, unsigned count, int left,
                    int right)
{
    if (p->n_nodes >= CONDITION_MAX_NODES) {
        fail(p, p->tok_start, "condition too long (more than %d terms)", CONDITION_MAX_NODES);
        return -1;
    }
    te_cond_node *node = &p->nodes[p->n_nodes];
    node->kind = kind;
    node->bits = bits;
    node->count = count;
    node->left = left;
    node->right = right;
    return (int)p->n_nodes++;
}

/* Bits of the patterns the current name token denotes (a glob may denote
 * several; `them` all). Reports a name that denotes none. */
static uint64_t name_bits(parser *p)
{
    char name[128];
    if (p->tok_len >= sizeof name) {
        fail(p, p->tok_start, "name too long");
        return 0;
    }
    memcpy(name, p->text + p->tok_start, p->tok_len);
    name[p->tok_len] = '\0';
    uint64_t bits = 0;
    bool them = strcmp(name, "them") == 0;
    for (size_t i = 0; i < p->n_patterns; i++) {
        const char *pattern_name = p->patterns[i].name;
        if (!pattern_name) continue;
        if (them || fnmatch(name, pattern_name, 0) == 0) bits |= 1ull << i;
    }
    if (!bits) fail(p, p->tok_start, "unknown pattern name '%s'", name);
    return bits;
}

static int parse_or(parser *p, int depth);

static int parse_primary(parser *p, int depth)
{
    if (depth > CONDITION_MAX_DEPTH) {
        fail(p, p->tok_start, "condition nested too deeply");
        return -1;
    }
    switch (p->tok) {
    case TOK_LPAREN: {
        size_t open = p->tok_start;
        next_token(p);
        int inner = parse_or(p, depth + 1);
        if (p->failed) return -1;
        if (p->tok != TOK_RPAREN) {
            fail(p, open, "'(' without matching ')'");
            return -1;
        }
        next_token(p);
        return inner;
    }
    case TOK_NOT: {
        next_token(p);
        int operand = parse_primary(p, depth + 1);
        if (p->failed) return -1;
        return add_node(p, TE_COND_NOT, 0, 0, operand, -1);
    }
    case TOK_NUMBER:
    case TOK_ALL:
    case TOK_ANY: {
        token_kind quantifier = p->tok;
        unsigned count = p->number;
        size_t start = p->tok_start, start_len = p->tok_len;
        next_token(p);
        if (p->tok != TOK_OF) {
            fail(p, p->tok_start, "expected 'of' after '%.*s'", (int)start_len, p->text + start);
            return -1;
        }
        next_token(p);
        if (p->tok != TOK_NAME) {
            fail(p, p->tok_start, "expected a pattern name or glob after 'of'");
            return -1;
        }
        uint64_t bits = name_bits(p);
        if (p->failed) return -1;
        next_token(p);
        if (quantifier == TOK_ALL) return add_node(p, TE_COND_ALL, bits, 0, -1, -1);
        if (quantifier == TOK_ANY) return add_node(p, TE_COND_ANY, bits, 0, -1, -1);
        if (count == 0) {
            fail(p, start, "'0 of' is always true");
            return -1;
        }
        if (count > (unsigned)__builtin_popcountll(bits)) {
            fail(p, start, "'%u of' names only %d patterns", count, __builtin_popcountll(bits));
            return -1;
        }
        return add_node(p, TE_COND_ATLEAST, bits, count, -1, -1);
    }
    case TOK_NAME: {
        uint64_t bits = name_bits(p);
        if (p->failed) return -1;
        next_token(p);
        return add_node(p, TE_COND_ANY, bits, 0, -1, -1);
    }
    case TOK_END:
        fail(p, p->tok_start, "ends where a pattern name was expected");
        return -1;
    default:
        fail(p, p->tok_start, "unexpected '%.*s' where a pattern name was expected",
             (int)p->tok_len, p->text + p->tok_start);
        return -1;
    }
}

static int parse_and(parser *p, int depth)
{
    int left = parse_primary(p, depth);
    while (!p->failed && p->tok == TOK_AND) {
        next_token(p);
        int right = parse_primary(p, depth);
        if (p->failed) return -1;
        left = add_node(p, TE_COND_AND, 0, 0, left, right);
    }
    return left;
}

static int parse_or(parser *p, int depth)
{
    int left = parse_and(p, depth);
    while (!p->failed && p->tok == TOK_OR) {
        next_token(p);
        int right = parse_and(p, depth);
        if (p->failed) return -1;
        left = add_node(p, TE_COND_OR, 0, 0, left, right);
    }
    return left;
}

te_condition *te_condition_parse(const char *text, const te_pattern *patterns, size_t n_patterns,
                                 te_arena *arena, char *msg, size_t msg_cap, size_t *offset)
{
    parser state = {0};
    parser *p = &state;
    p->text = text;
    p->patterns = patterns;
    p->n_patterns = n_patterns;
    p->msg = msg;
    p->msg_cap = msg_cap;
    next_token(p);
    int root = p->failed ? -1 : parse_or(p, 0);
    if (!p->failed && p->tok != TOK_END)
        fail(p, p->tok_start, "unexpected '%.*s'", (int)p->tok_len, p->text + p->tok_start);
    if (p->failed) {
        *offset = p->err_offset;
        return NULL;
    }
    te_cond_node *nodes = te_arena_alloc(arena, p->n_nodes * sizeof *nodes);
    te_condition *condition = te_arena_alloc(arena, sizeof *condition);
    if (!nodes || !condition) {
        snprintf(msg, msg_cap, "out of memory");
        *offset = 0;
        return NULL;
    }
    memcpy(nodes, p->nodes, p->n_nodes * sizeof *nodes);
    condition->nodes = nodes;
    condition->n_nodes = p->n_nodes;
    condition->root = root;
    return condition;
}

static bool eval_node(const te_condition *condition, int index, uint64_t mask)
{
    const te_cond_node *node = &condition->nodes[index];
    switch (node->kind) {
    case TE_COND_ANY:
        return (mask & node->bits) != 0;
    case TE_COND_ALL:
        return (mask & node->bits) == node->bits;
    case TE_COND_ATLEAST:
        return (unsigned)__builtin_popcountll(mask & node->bits) >= node->count;
    case TE_COND_NOT:
        return !eval_node(condition, node->left, mask);
    case TE_COND_AND:
        return eval_node(condition, node->left, mask) && eval_node(condition, node->right, mask);
    case TE_COND_OR:
        return eval_node(condition, node->left, mask) || eval_node(condition, node->right, mask);
    }
    return false;
}

bool te_condition_eval(const te_condition *condition, uint64_t mask)
{
    if (!condition || condition->root < 0) return false;
    return eval_node(condition, condition->root, mask);
}

/* A context pattern never makes its rule fire alone (rules/README.md): the
 * condition must hold and some cause or symptom must have matched. */
bool te_rule_fires(const te_rule *rule, uint64_t matched_mask)
{
    if (!rule) return false;
    bool any_primary = (matched_mask & (rule->cause_mask | rule->symptom_mask)) != 0;
    if (!rule->condition) return any_primary;
    return any_primary && te_condition_eval(rule->condition, matched_mask);
}
