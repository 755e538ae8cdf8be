/* The gate's literal prefilter. (1) Derivation: from a regex's source, the
 * longest literal every match must contain (yara atoms / suricata fast
 * pattern), or one literal per branch of a top-level alternation. (2) The
 * scanner: one Aho-Corasick DFA over every literal of every pattern, built at
 * load time, that marks in one pass over a message which patterns can match. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/limits.h"
#include "rules/ruleset_impl.h"

/* ======================= derivation ====================================== */

/* A set of alternative literals: a match contains at least one of them. */
typedef struct litset {
    char **items;
    size_t *lens;
    size_t n;
} litset;

typedef struct run {
    char *buf;
    size_t len, cap;
} run;

typedef struct deriver {
    const char *p, *end;
    bool icase;
    bool give_up; /* a construct we do not model (x mode, verbs) or no memory */
} deriver;

static size_t litset_score(const litset *s)
{
    if (s->n == 0) return 0;
    size_t min = s->lens[0];
    for (size_t i = 1; i < s->n; i++)
        if (s->lens[i] < min) min = s->lens[i];
    return min;
}

static void litset_free(litset *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->items[i]);
    free(s->items);
    free(s->lens);
    s->items = NULL;
    s->lens = NULL;
    s->n = 0;
}

static bool litset_add(litset *s, const char *bytes, size_t len)
{
    char **items = realloc(s->items, (s->n + 1) * sizeof *items);
    if (!items) return false;
    s->items = items;
    size_t *lens = realloc(s->lens, (s->n + 1) * sizeof *lens);
    if (!lens) return false;
    s->lens = lens;
    char *copy = malloc(len + 1);
    if (!copy) return false;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    s->items[s->n] = copy;
    s->lens[s->n++] = len;
    return true;
}

/* A set is better when its weakest literal is longer; on a tie, fewer. */
static bool litset_better(const litset *a, const litset *b)
{
    size_t sa = litset_score(a), sb = litset_score(b);
    if (sa != sb) return sa > sb;
    return a->n > 0 && a->n < b->n;
}

/* Keeps `candidate` as best when better; frees the loser. */
static void offer_set(litset *best, litset *candidate)
{
    if (litset_better(candidate, best)) {
        litset_free(best);
        *best = *candidate;
    } else {
        litset_free(candidate);
    }
    candidate->items = NULL;
    candidate->lens = NULL;
    candidate->n = 0;
}

static void run_push(deriver *d, run *r, char c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char *buf = realloc(r->buf, cap);
        if (!buf) {
            d->give_up = true;
            return;
        }
        r->buf = buf;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
}

/* Ends the current run of literal bytes: it is a candidate on its own. */
static void flush_run(deriver *d, run *r, litset *best)
{
    if (r->len > 0 && (r->len > litset_score(best) || best->n > 1)) {
        litset candidate = {0};
        if (!litset_add(&candidate, r->buf, r->len)) d->give_up = true;
        offer_set(best, &candidate);
    }
    r->len = 0;
}

typedef enum atom_kind {
    ATOM_LITERAL, /* one byte */
    ATOM_OTHER,   /* consumes something that is not a known byte */
    ATOM_EMPTY    /* consumes nothing (assertion, anchor, comment) */
} atom_kind;

typedef struct quantifier {
    bool present;
    unsigned min;
} quantifier;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Skips a delimited name after \g, \k, \p: {..}, <..>, '..'. */
static void skip_delimited(deriver *d)
{
    if (d->p >= d->end) return;
    char open = *d->p, close = open == '{' ? '}' : open == '<' ? '>' : open == '\'' ? '\'' : 0;
    if (!close) return;
    const char *q = memchr(d->p + 1, close, (size_t)(d->end - d->p - 1));
    d->p = q ? q + 1 : d->end;
}

/* Parses the escape at d->p ('\\'). \Q...\E pushes all but its last byte into
 * the run and returns the last as the atom (a quantifier binds to it). */
static atom_kind parse_escape(deriver *d, run *r, char *out)
{
    d->p++;
    if (d->p >= d->end) return ATOM_OTHER;
    char e = *d->p++;
    switch (e) {
    case 'a': *out = 7; return ATOM_LITERAL;
    case 'e': *out = 27; return ATOM_LITERAL;
    case 'f': *out = 12; return ATOM_LITERAL;
    case 'n': *out = 10; return ATOM_LITERAL;
    case 'r': *out = 13; return ATOM_LITERAL;
    case 't': *out = 9; return ATOM_LITERAL;
    case '0': {
        unsigned v = 0;
        for (int i = 0; i < 2 && d->p < d->end && *d->p >= '0' && *d->p <= '7'; i++)
            v = v * 8 + (unsigned)(*d->p++ - '0');
        *out = (char)v;
        return ATOM_LITERAL;
    }
    case 'o': {
        if (d->p >= d->end || *d->p != '{') return ATOM_OTHER;
        unsigned v = 0;
        for (d->p++; d->p < d->end && *d->p != '}'; d->p++) {
            if (*d->p < '0' || *d->p > '7' || v > 0xff) return ATOM_OTHER;
            v = v * 8 + (unsigned)(*d->p - '0');
        }
        if (d->p < d->end) d->p++;
        if (v > 0xff) return ATOM_OTHER;
        *out = (char)v;
        return ATOM_LITERAL;
    }
    case 'x': {
        unsigned v = 0;
        if (d->p < d->end && *d->p == '{') {
            for (d->p++; d->p < d->end && *d->p != '}'; d->p++) {
                int h = hex_value(*d->p);
                if (h < 0 || v > 0xff) return ATOM_OTHER;
                v = v * 16 + (unsigned)h;
            }
            if (d->p < d->end) d->p++;
        } else {
            for (int i = 0; i < 2 && d->p < d->end && hex_value(*d->p) >= 0; i++)
                v = v * 16 + (unsigned)hex_value(*d->p++);
        }
        if (v > 0xff) return ATOM_OTHER;
        *out = (char)v;
        return ATOM_LITERAL;
    }
    case 'c':
        if (d->p >= d->end) return ATOM_OTHER;
        *out = (char)(toupper((unsigned char)*d->p++) ^ 0x40);
        return ATOM_LITERAL;
    case 'g':
    case 'k':
        if (d->p < d->end && (*d->p == '+' || *d->p == '-')) d->p++;
        if (d->p < d->end && isdigit((unsigned char)*d->p))
            while (d->p < d->end && isdigit((unsigned char)*d->p)) d->p++;
        else skip_delimited(d);
        return ATOM_OTHER;
    case 'p':
    case 'P':
        if (d->p < d->end && *d->p == '{') skip_delimited(d);
        else if (d->p < d->end) d->p++;
        return ATOM_OTHER;
    case 'N':
        if (d->p < d->end && *d->p == '{') skip_delimited(d);
        return ATOM_OTHER;
    case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K': case 'E':
        return ATOM_EMPTY;
    case 'Q': {
        const char *start = d->p, *stop = d->p;
        while (stop < d->end && !(stop[0] == '\\' && stop + 1 < d->end && stop[1] == 'E')) stop++;
        d->p = stop < d->end ? stop + 2 : d->end;
        if (stop == start) return ATOM_EMPTY;
        for (const char *c = start; c < stop - 1; c++) run_push(d, r, *c);
        *out = stop[-1];
        return ATOM_LITERAL;
    }
    default:
        if (isdigit((unsigned char)e)) { /* back reference */
            while (d->p < d->end && isdigit((unsigned char)*d->p)) d->p++;
            return ATOM_OTHER;
        }
        if (isalnum((unsigned char)e)) return ATOM_OTHER; /* \d \w \s \h \v \R \X ... */
        *out = e;
        return ATOM_LITERAL;
    }
}

/* p at '['; returns the position after the class. */
static const char *skip_class(const char *p, const char *end)
{
    p++;
    if (p < end && *p == '^') p++;
    if (p < end && *p == ']') p++;
    while (p < end) {
        if (*p == '\\') {
            p += 2;
        } else if (*p == '[' && p + 1 < end && p[1] == ':') {
            const char *q = p + 2;
            while (q + 1 < end && !(q[0] == ':' && q[1] == ']')) q++;
            p = q + 1 < end ? q + 2 : end;
        } else if (*p == ']') {
            return p + 1;
        } else {
            p++;
        }
    }
    return end;
}

/* p just inside a group; returns its closing ')' (NULL if unbalanced) and
 * whether the group has a top-level '|'. */
static const char *find_group_end(const char *p, const char *end, bool *has_alt)
{
    int depth = 0;
    *has_alt = false;
    while (p < end) {
        char c = *p;
        if (c == '\\') {
            if (p + 1 < end && p[1] == 'Q') {
                p += 2;
                while (p < end && !(p[0] == '\\' && p + 1 < end && p[1] == 'E')) p++;
            }
            p += 2;
            continue;
        }
        if (c == '[') {
            p = skip_class(p, end);
            continue;
        }
        if (c == '(' && p + 2 < end && p[1] == '?' && p[2] == '#') {
            const char *q = memchr(p, ')', (size_t)(end - p));
            if (!q) return NULL;
            p = q + 1;
            continue;
        }
        if (c == '(') depth++;
        else if (c == ')') {
            if (depth == 0) return p;
            depth--;
        } else if (c == '|' && depth == 0) {
            *has_alt = true;
        }
        p++;
    }
    return NULL;
}

/* Quantifier after an atom: ? * + {n} {n,} {n,m}, with a lazy/possessive suffix. */
static quantifier parse_quantifier(deriver *d)
{
    quantifier q = {false, 1};
    if (d->p >= d->end) return q;
    char c = *d->p;
    if (c == '?' || c == '*') {
        q.present = true;
        q.min = 0;
        d->p++;
    } else if (c == '+') {
        q.present = true;
        q.min = 1;
        d->p++;
    } else if (c == '{') {
        const char *s = d->p + 1;
        unsigned min = 0;
        bool digits = false;
        while (s < d->end && isdigit((unsigned char)*s)) {
            if (min < 100000) min = min * 10 + (unsigned)(*s - '0');
            s++;
            digits = true;
        }
        if (!digits) return q; /* not a quantifier: a literal '{' follows */
        if (s < d->end && *s == ',') {
            s++;
            while (s < d->end && isdigit((unsigned char)*s)) s++;
        }
        if (s >= d->end || *s != '}') return q;
        q.present = true;
        q.min = min;
        d->p = s + 1;
    } else {
        return q;
    }
    if (d->p < d->end && (*d->p == '?' || *d->p == '+')) d->p++;
    return q;
}

typedef enum group_kind {
    GROUP_CONTENT, /* its content is part of the match */
    GROUP_EMPTY,   /* lookaround, comment, callout: consumes nothing we rely on */
    GROUP_OPAQUE,  /* conditional, recursion, subroutine: consumes unknown text */
    GROUP_FLAGS,   /* (?i) and friends: zero width, sets flags */
    GROUP_COMMENT  /* (?#...): d->p is left at its ')' */
} group_kind;

/* Reads inline flags at d->p up to ':' or ')'. */
static void read_flags(deriver *d)
{
    bool negated = false;
    for (; d->p < d->end && *d->p != ':' && *d->p != ')'; d->p++) {
        char c = *d->p;
        if (c == '-') negated = true;
        else if (c == '^') negated = false;
        else if (c == 'i' && !negated) d->icase = true;
        else if (c == 'x' && !negated) d->give_up = true; /* whitespace would not be literal */
    }
}

/* d->p at '('; consumes the group's opening syntax. */
static group_kind open_group(deriver *d)
{
    d->p++;
    if (d->p >= d->end) return GROUP_OPAQUE;
    if (*d->p == '*') { /* (*VERB): may end the match early ((*ACCEPT)) */
        d->give_up = true;
        return GROUP_OPAQUE;
    }
    if (*d->p != '?') return GROUP_CONTENT;
    d->p++;
    if (d->p >= d->end) return GROUP_OPAQUE;
    char c = *d->p;
    switch (c) {
    case ':': case '>': case '|':
        d->p++;
        return GROUP_CONTENT;
    case '#': { /* comment: runs to the first ')', whatever it contains */
        const char *q = memchr(d->p, ')', (size_t)(d->end - d->p));
        d->p = q ? q : d->end;
        return GROUP_COMMENT;
    }
    case '=': case '!': case 'C':
        return GROUP_EMPTY;
    case '<':
        if (d->p + 1 < d->end && (d->p[1] == '=' || d->p[1] == '!')) return GROUP_EMPTY;
        __attribute__((fallthrough)); /* (?<name>...) */
    case '\'': {
        char close = c == '<' ? '>' : '\'';
        const char *q = memchr(d->p + 1, close, (size_t)(d->end - d->p - 1));
        if (!q) return GROUP_OPAQUE;
        d->p = q + 1;
        return GROUP_CONTENT;
    }
    case 'P':
        if (d->p + 1 < d->end && d->p[1] == '<') {
            const char *q = memchr(d->p + 2, '>', (size_t)(d->end - d->p - 2));
            if (!q) return GROUP_OPAQUE;
            d->p = q + 1;
            return GROUP_CONTENT;
        }
        return GROUP_OPAQUE; /* (?P=name) back reference, (?P>name) call */
    case '(': case 'R': case '&': case '+':
        return GROUP_OPAQUE;
    default:
        if (isdigit((unsigned char)c) || (c == '-' && d->p + 1 < d->end &&
                                          isdigit((unsigned char)d->p[1])))
            return GROUP_OPAQUE;
        read_flags(d);
        if (d->p < d->end && *d->p == ':') {
            d->p++;
            return GROUP_CONTENT;
        }
        return GROUP_FLAGS;
    }
}

static litset parse_alternation(deriver *d);

/* Parses a sequence up to '|', ')' or the end, extending the run `r` and
 * offering candidates to `best`. */
static void parse_sequence(deriver *d, run *r, litset *best)
{
    while (d->p < d->end && !d->give_up) {
        char c = *d->p;
        if (c == '|' || c == ')') return;
        if (c == '(') {
            group_kind kind = open_group(d);
            if (d->give_up) return;
            if (kind == GROUP_FLAGS || kind == GROUP_COMMENT) {
                if (d->p < d->end && *d->p == ')') d->p++;
                continue;
            }
            bool has_alt = false;
            const char *content = d->p;
            const char *close = find_group_end(content, d->end, &has_alt);
            if (!close) {
                d->give_up = true;
                return;
            }
            d->p = close + 1;
            quantifier q = parse_quantifier(d);
            const char *after = d->p;
            if (kind == GROUP_EMPTY) continue;
            if (kind == GROUP_OPAQUE) {
                flush_run(d, r, best);
                continue;
            }
            const char *saved_end = d->end;
            d->p = content;
            d->end = close;
            if (!q.present && !has_alt) {
                parse_sequence(d, r, best); /* inline: runs continue across the group */
            } else {
                flush_run(d, r, best);
                litset inner = parse_alternation(d);
                if (q.min >= 1) offer_set(best, &inner);
                else litset_free(&inner);
            }
            d->end = saved_end;
            d->p = after;
            continue;
        }
        char byte = 0;
        atom_kind kind;
        if (c == '\\') {
            kind = parse_escape(d, r, &byte);
        } else if (c == '[') {
            d->p = skip_class(d->p, d->end);
            kind = ATOM_OTHER;
        } else if (c == '.') {
            d->p++;
            kind = ATOM_OTHER;
        } else if (c == '^' || c == '$') {
            d->p++;
            kind = ATOM_EMPTY;
        } else if (c == '*' || c == '+' || c == '?') {
            d->p++; /* stray quantifier: break the run */
            kind = ATOM_OTHER;
        } else {
            d->p++;
            byte = c;
            kind = ATOM_LITERAL;
        }
        quantifier q = parse_quantifier(d);
        if (kind == ATOM_EMPTY) continue;
        if (kind == ATOM_OTHER) {
            flush_run(d, r, best);
            continue;
        }
        if (!q.present) {
            run_push(d, r, byte);
        } else if (q.min >= 1) {
            /* "xa+b" contains "xa" and "ab" */
            run_push(d, r, byte);
            flush_run(d, r, best);
            run_push(d, r, byte);
        } else {
            flush_run(d, r, best);
        }
    }
}

static litset parse_alternation(deriver *d)
{
    litset all = {0};
    bool complete = true;
    size_t branches = 0;
    for (;;) {
        run r = {0};
        litset best = {0};
        parse_sequence(d, &r, &best);
        flush_run(d, &r, &best);
        free(r.buf);
        branches++;
        if (best.n == 0) complete = false;
        for (size_t i = 0; complete && i < best.n; i++)
            if (!litset_add(&all, best.items[i], best.lens[i])) d->give_up = true;
        litset_free(&best);
        if (d->give_up) break;
        if (d->p < d->end && *d->p == '|') {
            d->p++;
            continue;
        }
        break;
    }
    if (!complete || d->give_up) litset_free(&all);
    return all;
}

bool te_literals_derive(const char *regex, size_t len, te_arena *arena, te_str **literals,
                        size_t *n_literals, bool *icase)
{
    deriver d = {regex, regex + len, false, false};
    *literals = NULL;
    *n_literals = 0;
    litset set = parse_alternation(&d);
    *icase = d.icase;
    bool ok = false;
    if (d.give_up || d.p != d.end || litset_score(&set) < TE_MIN_LITERAL_BYTES) goto done;
    te_str *out = te_arena_alloc(arena, set.n * sizeof *out);
    if (!out) goto done;
    size_t n = 0;
    for (size_t i = 0; i < set.n; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = out[j].len == set.lens[i] && memcmp(out[j].ptr, set.items[i], set.lens[i]) == 0;
        if (seen) continue;
        char *copy = te_arena_strndup(arena, set.items[i], set.lens[i]);
        if (!copy) goto done;
        out[n++] = te_str_make(copy, set.lens[i]);
    }
    *literals = out;
    *n_literals = n;
    ok = true;
done:
    litset_free(&set);
    return ok;
}

/* ======================= scanner ========================================== */

struct te_litscan {
    te_literal_def *literals; /* bytes owned by the rule set */
    size_t n_literals;
    bool use_dfa;
    uint32_t n_classes;
    uint8_t classes[256];
    uint32_t *dfa;        /* premultiplied: next = dfa[state * n_classes + class] */
    uint32_t term_base;   /* states at or above (premultiplied) have outputs */
    uint32_t *out_start;  /* per state: its own literals in out_lits */
    uint32_t *out_lits;
    uint32_t *dict_link;  /* next state on the fail chain with outputs (0: none) */
};

static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

void te_litscan_free(te_litscan *scan)
{
    if (!scan) return;
    free(scan->literals);
    free(scan->dfa);
    free(scan->out_start);
    free(scan->out_lits);
    free(scan->dict_link);
    free(scan);
}

/* Builds the Aho-Corasick DFA over case-folded bytes (case-sensitive
 * literals are verified on a hit). Bytes that occur in no literal share one
 * class, which keeps the table small. */
static bool build_dfa(te_litscan *scan)
{
    bool used[256] = {false};
    size_t total = 0;
    for (size_t i = 0; i < scan->n_literals; i++) {
        const te_literal_def *lit = &scan->literals[i];
        total += lit->bytes.len;
        for (size_t k = 0; k < lit->bytes.len; k++) used[fold((unsigned char)lit->bytes.ptr[k])] = true;
    }
    uint8_t id_of[256] = {0};
    uint32_t n_classes = 1;
    for (int b = 0; b < 256; b++)
        if (used[b]) id_of[b] = (uint8_t)n_classes++;
    for (int b = 0; b < 256; b++) scan->classes[b] = id_of[fold((unsigned char)b)];
    scan->n_classes = n_classes;
    size_t max_states = total + 1;
    if (max_states * n_classes > TE_MAX_LITERAL_DFA_CELLS) return false;

    bool ok = false;
    int32_t *trie = malloc(max_states * n_classes * sizeof *trie);
    int32_t *out_head = malloc(max_states * sizeof *out_head);
    int32_t *out_next = malloc((scan->n_literals + 1) * sizeof *out_next);
    uint32_t *fail = calloc(max_states, sizeof *fail);
    uint32_t *dict = calloc(max_states, sizeof *dict);
    uint32_t *queue = malloc(max_states * sizeof *queue);
    uint32_t *perm = malloc(max_states * sizeof *perm);
    if (!trie || !out_head || !out_next || !fail || !dict || !queue || !perm) goto done;
    for (size_t i = 0; i < max_states * n_classes; i++) trie[i] = -1;
    for (size_t i = 0; i < max_states; i++) out_head[i] = -1;

    uint32_t n_states = 1;
    for (size_t i = 0; i < scan->n_literals; i++) {
        const te_literal_def *lit = &scan->literals[i];
        uint32_t s = 0;
        for (size_t k = 0; k < lit->bytes.len; k++) {
            uint32_t c = scan->classes[(unsigned char)lit->bytes.ptr[k]];
            int32_t *cell = &trie[(size_t)s * n_classes + c];
            if (*cell < 0) *cell = (int32_t)n_states++;
            s = (uint32_t)*cell;
        }
        out_next[i] = out_head[s];
        out_head[s] = (int32_t)i;
    }

    /* Breadth-first: fail links, dictionary links, missing transitions. */
    size_t head = 0, tail = 0;
    for (uint32_t c = 0; c < n_classes; c++) {
        int32_t child = trie[c];
        if (child < 0) {
            trie[c] = 0;
        } else {
            fail[child] = 0;
            dict[child] = 0;
            queue[tail++] = (uint32_t)child;
        }
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        for (uint32_t c = 0; c < n_classes; c++) {
            int32_t *cell = &trie[(size_t)s * n_classes + c];
            int32_t via_fail = trie[(size_t)fail[s] * n_classes + c];
            if (*cell < 0) {
                *cell = via_fail;
                continue;
            }
            uint32_t child = (uint32_t)*cell;
            fail[child] = (uint32_t)via_fail;
            dict[child] = out_head[via_fail] >= 0 ? (uint32_t)via_fail : dict[via_fail];
            queue[tail++] = child;
        }
    }

    /* Renumber: states without outputs first, so that "has output" is one
     * comparison in the scan loop. */
    uint32_t next = 0;
    for (uint32_t s = 0; s < n_states; s++)
        if (out_head[s] < 0 && dict[s] == 0) perm[s] = next++;
    uint32_t n_plain = next;
    for (uint32_t s = 0; s < n_states; s++)
        if (!(out_head[s] < 0 && dict[s] == 0)) perm[s] = next++;

    scan->dfa = malloc((size_t)n_states * n_classes * sizeof *scan->dfa);
    scan->out_start = calloc((size_t)n_states + 1, sizeof *scan->out_start);
    scan->out_lits = malloc((scan->n_literals + 1) * sizeof *scan->out_lits);
    scan->dict_link = calloc(n_states, sizeof *scan->dict_link);
    if (!scan->dfa || !scan->out_start || !scan->out_lits || !scan->dict_link) goto done;
    for (uint32_t s = 0; s < n_states; s++) {
        uint32_t ns = perm[s];
        for (uint32_t c = 0; c < n_classes; c++)
            scan->dfa[(size_t)ns * n_classes + c] =
                perm[trie[(size_t)s * n_classes + c]] * n_classes;
        scan->dict_link[ns] = dict[s] ? perm[dict[s]] : 0;
        for (int32_t l = out_head[s]; l >= 0; l = out_next[l]) scan->out_start[ns + 1]++;
    }
    for (uint32_t s = 0; s < n_states; s++) scan->out_start[s + 1] += scan->out_start[s];
    uint32_t *fill = calloc(n_states, sizeof *fill);
    if (!fill) goto done;
    for (uint32_t s = 0; s < n_states; s++) {
        uint32_t ns = perm[s];
        for (int32_t l = out_head[s]; l >= 0; l = out_next[l])
            scan->out_lits[scan->out_start[ns] + fill[ns]++] = (uint32_t)l;
    }
    free(fill);
    scan->term_base = n_plain * n_classes;
    ok = true;
done:
    free(trie);
    free(out_head);
    free(out_next);
    free(fail);
    free(dict);
    free(queue);
    free(perm);
    return ok;
}

te_litscan *te_litscan_build(const te_literal_def *literals, size_t n)
{
    te_litscan *scan = calloc(1, sizeof *scan);
    if (!scan) return NULL;
    scan->literals = malloc((n + 1) * sizeof *scan->literals);
    if (!scan->literals) goto fail;
    if (n) memcpy(scan->literals, literals, n * sizeof *literals);
    scan->n_literals = n;
    scan->use_dfa = build_dfa(scan);
    if (!scan->use_dfa) {
        /* Too large (or no memory for) a DFA: free what was built, use memmem. */
        free(scan->dfa);
        free(scan->out_start);
        free(scan->out_lits);
        free(scan->dict_link);
        scan->dfa = NULL;
        scan->out_start = scan->out_lits = scan->dict_link = NULL;
    }
    return scan;
fail:
    te_litscan_free(scan);
    return NULL;
}

static bool find_icase(const char *text, size_t len, te_str needle)
{
    if (needle.len == 0) return true;
    if (needle.len > len) return false;
    unsigned char first = fold((unsigned char)needle.ptr[0]);
    for (size_t i = 0; i + needle.len <= len; i++) {
        if (fold((unsigned char)text[i]) != first) continue;
        size_t k = 1;
        while (k < needle.len &&
               fold((unsigned char)text[i + k]) == fold((unsigned char)needle.ptr[k]))
            k++;
        if (k == needle.len) return true;
    }
    return false;
}

static void report_state(const te_litscan *scan, uint32_t state, const char *text, size_t end,
                         uint32_t *stamps, uint32_t stamp)
{
    do {
        for (uint32_t k = scan->out_start[state]; k < scan->out_start[state + 1]; k++) {
            const te_literal_def *lit = &scan->literals[scan->out_lits[k]];
            if (stamps[lit->pattern_id] == stamp) continue;
            if (!lit->icase && memcmp(text + end + 1 - lit->bytes.len, lit->bytes.ptr,
                                      lit->bytes.len) != 0)
                continue;
            stamps[lit->pattern_id] = stamp;
        }
        state = scan->dict_link[state];
    } while (state != 0);
}

void te_litscan_run(const te_litscan *scan, const char *text, size_t len, uint32_t *stamps,
                    uint32_t stamp)
{
    if (!scan->use_dfa) {
        for (size_t i = 0; i < scan->n_literals; i++) {
            const te_literal_def *lit = &scan->literals[i];
            if (stamps[lit->pattern_id] == stamp) continue;
            bool found = lit->icase ? find_icase(text, len, lit->bytes)
                                    : memmem(text, len, lit->bytes.ptr, lit->bytes.len) != NULL;
            if (found) stamps[lit->pattern_id] = stamp;
        }
        return;
    }
    const uint32_t *dfa = scan->dfa;
    const uint8_t *classes = scan->classes;
    const uint32_t term = scan->term_base, n_classes = scan->n_classes;
    const unsigned char *t = (const unsigned char *)text;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s = dfa[s + classes[t[i]]];
        if (s >= term) report_state(scan, s / n_classes, text, i, stamps, stamp);
    }
}
