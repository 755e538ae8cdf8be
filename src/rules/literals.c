/* The gate's literal prefilter. (1) Derivation: from a regex's source, the
 * longest literal every match must contain (yara atoms / suricata fast
 * pattern), or one literal per branch of a top-level alternation; and all
 * the literals a match needs (te_literals_required), checked before a regex
 * runs. (2) The scanner: built at load time over every literal of every
 * pattern, it finds in one pass over a message which patterns can match. */
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
    /* te_literals_required: every run of the top-level sequence (and of the
     * plain groups inlined into it), and the literal set of each of its
     * mandatory groups, is collected here; a top-level '|' makes none of
     * them required. */
    litset *required; /* NULL: not collecting */
    size_t n_required, cap_required;
    unsigned depth; /* of nested alternations; 1 = top level */
    bool top_alternation;
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
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
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
/* Collects a copy of `set` (one literal: a run; several: a group's
 * alternatives) as required when parsing the top level. */
static void require_set(deriver *d, const litset *set)
{
    if (!d->required || d->depth != 1 || litset_score(set) < TE_MIN_LITERAL_BYTES) return;
    if (d->n_required == d->cap_required) {
        size_t cap = d->cap_required ? d->cap_required * 2 : 8;
        litset *sets = realloc(d->required, cap * sizeof *sets);
        if (!sets) {
            d->give_up = true;
            return;
        }
        d->required = sets;
        d->cap_required = cap;
    }
    litset *copy = &d->required[d->n_required++];
    memset(copy, 0, sizeof *copy);
    for (size_t i = 0; i < set->n; i++)
        if (!litset_add(copy, set->items[i], set->lens[i])) d->give_up = true;
}

static void flush_run(deriver *d, run *r, litset *best)
{
    if (d->required && d->depth == 1 && r->len >= TE_MIN_LITERAL_BYTES) {
        litset one = {&r->buf, &r->len, 1};
        require_set(d, &one);
    }
    if (r->len > 0 && (r->len > litset_score(best) || best->n > 1)) {
        litset candidate = {0};
        if (!litset_add(&candidate, r->buf, r->len)) d->give_up = true;
        offer_set(best, &candidate);
    }
    r->len = 0;
}

typedef enum atom_kind {
    ATOM_LITERAL,    /* one byte */
    ATOM_OTHER,      /* consumes something that is not a known byte */
    ATOM_EMPTY,      /* consumes nothing (assertion, anchor) */
    ATOM_TRANSPARENT /* not an item at all (\E, empty \Q\E): a quantifier after it
                      * binds to the previous item */
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
    case 'a':
        *out = 7;
        return ATOM_LITERAL;
    case 'e':
        *out = 27;
        return ATOM_LITERAL;
    case 'f':
        *out = 12;
        return ATOM_LITERAL;
    case 'n':
        *out = 10;
        return ATOM_LITERAL;
    case 'r':
        *out = 13;
        return ATOM_LITERAL;
    case 't':
        *out = 9;
        return ATOM_LITERAL;
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
            while (d->p < d->end && isdigit((unsigned char)*d->p))
                d->p++;
        else
            skip_delimited(d);
        return ATOM_OTHER;
    case 'p':
    case 'P':
        if (d->p < d->end && *d->p == '{')
            skip_delimited(d);
        else if (d->p < d->end)
            d->p++;
        return ATOM_OTHER;
    case 'N':
        if (d->p < d->end && *d->p == '{') skip_delimited(d);
        return ATOM_OTHER;
    case 'b':
    case 'B':
    case 'A':
    case 'z':
    case 'Z':
    case 'G':
    case 'K':
        return ATOM_EMPTY;
    case 'E':
        return ATOM_TRANSPARENT;
    case 'Q': {
        const char *start = d->p, *stop = d->p;
        while (stop < d->end && !(stop[0] == '\\' && stop + 1 < d->end && stop[1] == 'E'))
            stop++;
        d->p = stop < d->end ? stop + 2 : d->end;
        if (stop == start) return ATOM_TRANSPARENT;
        for (const char *c = start; c < stop - 1; c++)
            run_push(d, r, *c);
        *out = stop[-1];
        return ATOM_LITERAL;
    }
    default:
        if (isdigit((unsigned char)e)) { /* back reference */
            while (d->p < d->end && isdigit((unsigned char)*d->p))
                d->p++;
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
            while (q + 1 < end && !(q[0] == ':' && q[1] == ']'))
                q++;
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
                while (p < end && !(p[0] == '\\' && p + 1 < end && p[1] == 'E'))
                    p++;
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
        if (c == '(')
            depth++;
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
        bool comma = s < d->end && *s == ',';
        if (comma) {
            s++;
            while (s < d->end && isdigit((unsigned char)*s))
                s++;
        }
        if (s >= d->end || *s != '}') return q; /* not a quantifier: a literal '{' */
        /* "{,n}" is literal text before PCRE2 10.43 and a quantifier after:
         * taking it as {0,n} is sound either way (it only loses literals) */
        if (!digits && !comma) return q;
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
        if (c == '-')
            negated = true;
        else if (c == '^')
            negated = false;
        else if (c == 'i' && !negated)
            d->icase = true;
        else if (c == 'x' && !negated)
            d->give_up = true; /* whitespace would not be literal */
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
    case ':':
    case '>':
    case '|':
        d->p++;
        return GROUP_CONTENT;
    case '#': { /* comment: runs to the first ')', whatever it contains */
        const char *q = memchr(d->p, ')', (size_t)(d->end - d->p));
        d->p = q ? q : d->end;
        return GROUP_COMMENT;
    }
    case '=':
    case '!':
    case 'C':
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
    case '(':
    case 'R':
    case '&':
    case '+':
        return GROUP_OPAQUE;
    default:
        if (isdigit((unsigned char)c) ||
            (c == '-' && d->p + 1 < d->end && isdigit((unsigned char)d->p[1])))
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
                /* a quantifier here binds to the item before: not modelled */
                if (parse_quantifier(d).present) d->give_up = true;
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
                if (q.min >= 1) require_set(d, &inner);
                if (q.min >= 1)
                    offer_set(best, &inner);
                else
                    litset_free(&inner);
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
        if (kind == ATOM_TRANSPARENT && q.present) d->give_up = true;
        if (kind == ATOM_EMPTY || kind == ATOM_TRANSPARENT) continue;
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
    d->depth++;
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
            if (d->depth == 1) d->top_alternation = true;
            d->p++;
            continue;
        }
        break;
    }
    d->depth--;
    if (!complete || d->give_up) litset_free(&all);
    return all;
}

bool te_literals_derive(const char *regex, size_t len, te_arena *arena, te_str **literals,
                        size_t *n_literals, bool *icase)
{
    deriver d = {regex, regex + len, false, false, NULL, 0, 0, 0, false};
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

bool te_literals_required(const char *regex, size_t len, te_arena *arena, te_str **literals,
                          size_t **group_sizes, size_t *n_groups, bool *icase)
{
    /* a non-NULL `required` turns collection on; it grows as sets come */
    deriver d = {regex, regex + len, false, false, NULL, 0, 0, 0, false};
    d.required = malloc(sizeof *d.required);
    d.cap_required = d.required ? 1 : 0;
    *literals = NULL;
    *group_sizes = NULL;
    *n_groups = 0;
    bool ok = d.required != NULL;
    if (!ok) goto done;
    litset set = parse_alternation(&d);
    litset_free(&set);
    *icase = d.icase;
    if (d.give_up || d.p != d.end) {
        ok = false;
        goto done;
    }
    if (d.top_alternation || d.n_required == 0) goto done;
    size_t total = 0;
    for (size_t g = 0; g < d.n_required; g++)
        total += d.required[g].n;
    te_str *out = te_arena_alloc(arena, total * sizeof *out);
    size_t *sizes = te_arena_alloc(arena, d.n_required * sizeof *sizes);
    if (!out || !sizes) {
        ok = false;
        goto done;
    }
    size_t n = 0, groups = 0;
    for (size_t g = 0; g < d.n_required; g++) {
        const litset *r = &d.required[g];
        /* a literal required on its own once is not looked for again */
        bool seen = false;
        for (size_t k = 0, at = 0; r->n == 1 && k < groups && !seen; at += sizes[k++])
            seen = sizes[k] == 1 && out[at].len == r->lens[0] &&
                   memcmp(out[at].ptr, r->items[0], r->lens[0]) == 0;
        if (seen) continue;
        for (size_t i = 0; i < r->n; i++) {
            char *copy = te_arena_strndup(arena, r->items[i], r->lens[i]);
            if (!copy) {
                ok = false;
                goto done;
            }
            out[n++] = te_str_make(copy, r->lens[i]);
        }
        sizes[groups++] = r->n;
    }
    *literals = out;
    *group_sizes = sizes;
    *n_groups = groups;
done:
    for (size_t g = 0; g < d.n_required; g++)
        litset_free(&d.required[g]);
    free(d.required);
    return ok;
}

/* ======================= scanner ========================================== */

/* Each distinct literal is indexed by one pair of its bytes, inside a
 * window of four bytes (the whole literal when shorter). A message is
 * scanned once, in three steps of decreasing frequency:
 *  1. at each position the two bytes there index a 64 KiB table (one load,
 *     mostly from the L1 cache; no hashing and no case folding: every case
 *     variant of a caseless pair is entered). Zero means no literal has its
 *     pair here, the answer at nearly every position; four positions are
 *     tested per step with one branch;
 *  2. a non-zero entry names a bucket of (pair, literal) entries; each
 *     compares its literal's window with one 4-byte load and a mask;
 *  3. only then is the whole literal compared in place.
 * The rule set's scanner picks pairs of rare bytes by a byte frequency
 * table; a matcher then tunes its own copy to the pairs that are rare in a
 * sample of the input (te_litscan_tune): on the benchmark capture that cuts
 * the positions that reach step 2 from one in eleven to about one in forty.
 * Literals shorter than a pair (only possible with an explicit prefilter)
 * are searched directly. Measured (tests/bench/README.md): the
 * previous scanner, a hashed 3-byte gram bitmap folded and hashed at every
 * position, cost 3.7 times the instructions; looking at every other position
 * with two pairs per literal cost more than it saved (the second pair is
 * rarely rare); an Aho-Corasick table over hundreds of literals does not fit
 * the cache. */

#define PAIR_VALUES (1u << 16)
#define BUCKETS 255u /* bucket ids 1..255 fit the byte table */
#define WINDOW 4u

/* How rare a byte is in macOS log text: about -log2 of its frequency,
 * measured over corpora/ (20: not seen). The window with the highest sum is
 * taken as the most selective place to look for a literal. */
static const unsigned char byte_rarity[128] = {
    20, 20, 20, 20, 20, 20, 20, 20, 20, 10, 6,  20, 20, 20, 20, 20, /* controls */
    20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, /* */
    3,  17, 5,  14, 12, 11, 15, 10, 9,  9,  13, 10, 6,  6,  6,  6,  /*  !"#$%&'()*+,-./ */
    5,  6,  6,  7,  7,  7,  7,  7,  7,  7,  5,  17, 10, 8,  10, 11, /* 0-9 :;<=>? */
    13, 7,  8,  7,  7,  7,  8,  10, 11, 7,  12, 12, 8,  8,  8,  9,  /* @ A-O */
    8,  13, 8,  7,  8,  8,  10, 11, 10, 12, 14, 8,  8,  8,  20, 8,  /* P-Z [\]^_ */
    13, 5,  7,  6,  6,  4,  6,  6,  7,  5,  10, 8,  5,  6,  5,  5,  /* ` a-o */
    6,  11, 5,  5,  5,  6,  7,  8,  8,  7,  9,  9,  15, 9,  14, 20, /* p-z {|}~ */
};

static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool is_letter(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static unsigned char other_case(unsigned char c)
{
    return is_letter(c) ? (unsigned char)(c ^ 0x20) : c;
}

static unsigned rarity(unsigned char c, bool icase)
{
    unsigned r = c < 128 ? byte_rarity[c] : 14;
    if (icase) { /* both cases occur: the commoner decides */
        unsigned char o = other_case(c);
        unsigned ro = o < 128 ? byte_rarity[o] : 14;
        if (ro < r) r = ro;
    }
    return r;
}

/* The pair value as the scanner computes it from two text bytes. */
static uint32_t pair_of(unsigned char first, unsigned char second)
{
    return (uint32_t)first | ((uint32_t)second << 8);
}

/* pair_of(p[0], p[1]) with one load where the byte order allows it. */
static uint32_t load2(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return pair_of(p[0], p[1]);
#endif
}

/* 4 bytes as one little-endian value, whatever the machine's byte order. */
static uint32_t load4(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#endif
}

/* A distinct literal (bytes and case mode) and the patterns it stands for. */
typedef struct scan_literal {
    te_str bytes; /* owned by the rule set */
    bool icase;
    uint32_t first_id; /* into pattern_ids */
    uint32_t n_ids;
    size_t window, window_len; /* its most selective bytes */
    size_t pair;               /* its pair, inside the window */
} scan_literal;

/* One case variant of a literal's pair. The literal starts `lead` bytes
 * before the pair, its window `window_lead` bytes before it (both are below
 * the longest literal, which a rule file of TE_MAX_RULE_FILE_BYTES bounds). */
typedef struct pair_entry {
    uint32_t pair;
    uint32_t literal; /* index in literals */
    uint32_t lead, window_lead;
    uint32_t window_value; /* the window's bytes, caseless letters in lower case */
    uint32_t window_fold;  /* 0x20 at each caseless letter, OR-ed into the text */
    uint32_t window_mask;  /* the window's bytes of a 4-byte load */
} pair_entry;

struct te_litscan {
    scan_literal *literals;
    size_t n_literals;
    uint32_t *pattern_ids;
    unsigned char fold[256];
    uint32_t bucket_start[BUCKETS + 2]; /* bucket b: entries [start[b], start[b+1]) */
    pair_entry *entries;
    uint32_t *short_literals; /* literals shorter than a pair */
    size_t n_short;
    uint8_t filter[PAIR_VALUES]; /* pair → bucket id, 0: none */
};

/* The case variants of the literal's pair at `offset` (1, 2 or 4 distinct
 * values). */
static size_t variants_at(const scan_literal *lit, size_t offset, uint32_t out[4])
{
    unsigned char a = (unsigned char)lit->bytes.ptr[offset];
    unsigned char b = (unsigned char)lit->bytes.ptr[offset + 1];
    unsigned char as[2] = {a, lit->icase ? other_case(a) : a};
    unsigned char bs[2] = {b, lit->icase ? other_case(b) : b};
    size_t n = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            uint32_t p = pair_of(as[i], bs[j]);
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen = seen || out[k] == p;
            if (!seen) out[n++] = p;
        }
    return n;
}

static unsigned rarity_of(const scan_literal *lit, size_t at, size_t n)
{
    unsigned r = 0;
    for (size_t k = 0; k < n; k++)
        r += rarity((unsigned char)lit->bytes.ptr[at + k], lit->icase);
    return r;
}

/* Chooses the literal's pair and its window of WINDOW bytes (the whole
 * literal when shorter) around it. Without counts: the window with the
 * rarest bytes by byte_rarity, and its rarest pair. With counts (pair
 * occurrences in a sample of the input): the pair seen least often there
 * (ties: the rarer bytes), and the rarest window around it. */
static void choose_window(scan_literal *lit, const uint32_t *counts)
{
    size_t len = lit->bytes.len, wlen = len < WINDOW ? len : WINDOW;
    size_t best = 0;
    unsigned best_rarity = 0;
    lit->window_len = wlen;
    if (!counts) {
        for (size_t i = 0; i + wlen <= len; i++) {
            unsigned r = rarity_of(lit, i, wlen);
            if (r > best_rarity) {
                best_rarity = r;
                best = i;
            }
        }
        lit->window = lit->pair = best;
        best_rarity = 0;
        for (size_t i = best; i + 2 <= best + wlen; i++) {
            unsigned r = rarity_of(lit, i, 2);
            if (r > best_rarity) {
                best_rarity = r;
                lit->pair = i;
            }
        }
        return;
    }
    uint64_t best_count = UINT64_MAX;
    for (size_t i = 0; i + 2 <= len; i++) {
        uint32_t pairs[4];
        size_t k = variants_at(lit, i, pairs);
        uint64_t c = 0;
        for (size_t v = 0; v < k; v++)
            c += counts[pairs[v]];
        unsigned r = rarity_of(lit, i, 2);
        if (c < best_count || (c == best_count && r > best_rarity)) {
            best_count = c;
            best_rarity = r;
            best = i;
        }
    }
    lit->pair = best;
    size_t lo = best + 2 >= wlen ? best + 2 - wlen : 0;
    size_t hi = best < len - wlen ? best : len - wlen;
    lit->window = lo;
    best_rarity = 0;
    for (size_t w = lo; w <= hi; w++) {
        unsigned r = rarity_of(lit, w, wlen);
        if (r > best_rarity) {
            best_rarity = r;
            lit->window = w;
        }
    }
}

static void fill_entry(pair_entry *e, const scan_literal *lit, uint32_t index, uint32_t pair)
{
    e->pair = pair;
    e->literal = index;
    e->lead = (uint32_t)lit->pair;
    e->window_lead = (uint32_t)(lit->pair - lit->window);
    e->window_value = e->window_fold = e->window_mask = 0;
    for (size_t k = 0; k < lit->window_len; k++) {
        unsigned char c = (unsigned char)lit->bytes.ptr[lit->window + k];
        bool caseless = lit->icase && is_letter(c);
        e->window_value |= (uint32_t)(caseless ? fold(c) : c) << (8 * k);
        e->window_fold |= (uint32_t)(caseless ? 0x20 : 0) << (8 * k);
        e->window_mask |= 0xFFu << (8 * k);
    }
}

void te_litscan_free(te_litscan *scan)
{
    if (!scan) return;
    free(scan->literals);
    free(scan->pattern_ids);
    free(scan->entries);
    free(scan->short_literals);
    free(scan);
}

static int compare_defs(const void *a, const void *b)
{
    const te_literal_def *x = a, *y = b;
    if (x->icase != y->icase) return x->icase ? 1 : -1;
    size_t n = x->bytes.len < y->bytes.len ? x->bytes.len : y->bytes.len;
    int c = n ? memcmp(x->bytes.ptr, y->bytes.ptr, n) : 0;
    if (c) return c;
    if (x->bytes.len != y->bytes.len) return x->bytes.len < y->bytes.len ? -1 : 1;
    return x->pattern_id < y->pattern_id ? -1 : x->pattern_id > y->pattern_id;
}

static bool same_literal(const te_literal_def *a, const te_literal_def *b)
{
    return a->icase == b->icase && a->bytes.len == b->bytes.len &&
           (a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
}

/* The pair table and the bucketed entries, from the literals' choices. */
static void build_tables(te_litscan *scan)
{
    /* Each distinct pair value gets its own bucket while there are ids
     * left; beyond BUCKETS distinct pairs, buckets are shared (an entry
     * checks its pair). Then a counting sort of the entries by bucket. */
    uint32_t next_bucket = 0;
    for (size_t i = 0; i < scan->n_literals; i++) {
        scan_literal *lit = &scan->literals[i];
        if (lit->bytes.len < 2) {
            scan->short_literals[scan->n_short++] = (uint32_t)i;
            continue;
        }
        uint32_t pairs[4];
        size_t k = variants_at(lit, lit->pair, pairs);
        for (size_t v = 0; v < k; v++) {
            if (!scan->filter[pairs[v]])
                scan->filter[pairs[v]] = (uint8_t)(1 + next_bucket++ % BUCKETS);
            scan->bucket_start[scan->filter[pairs[v]] + 1]++;
        }
    }
    for (uint32_t b = 0; b <= BUCKETS; b++)
        scan->bucket_start[b + 1] += scan->bucket_start[b];
    uint32_t fill[BUCKETS + 1];
    memcpy(fill, scan->bucket_start, sizeof fill);
    for (size_t i = 0; i < scan->n_literals; i++) {
        const scan_literal *lit = &scan->literals[i];
        if (lit->bytes.len < 2) continue;
        uint32_t pairs[4];
        size_t k = variants_at(lit, lit->pair, pairs);
        for (size_t v = 0; v < k; v++)
            fill_entry(&scan->entries[fill[scan->filter[pairs[v]]]++], lit, (uint32_t)i, pairs[v]);
    }
}

te_litscan *te_litscan_build(const te_literal_def *literals, size_t n)
{
    te_litscan *scan = calloc(1, sizeof *scan);
    te_literal_def *sorted = malloc((n + 1) * sizeof *sorted);
    if (!scan || !sorted) goto fail;
    scan->literals = malloc((n + 1) * sizeof *scan->literals);
    scan->pattern_ids = malloc((n + 1) * sizeof *scan->pattern_ids);
    scan->entries = malloc((4 * n + 1) * sizeof *scan->entries);
    scan->short_literals = malloc((n + 1) * sizeof *scan->short_literals);
    if (!scan->literals || !scan->pattern_ids || !scan->entries || !scan->short_literals) goto fail;
    for (int b = 0; b < 256; b++)
        scan->fold[b] = fold((unsigned char)b);

    /* distinct literals, each with its patterns (ascending, once each) */
    if (n) memcpy(sorted, literals, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_defs);
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || !same_literal(&sorted[i - 1], &sorted[i])) {
            scan_literal *lit = &scan->literals[scan->n_literals++];
            memset(lit, 0, sizeof *lit);
            lit->bytes = sorted[i].bytes;
            lit->icase = sorted[i].icase;
            lit->first_id = (uint32_t)n_ids;
        } else if (sorted[i - 1].pattern_id == sorted[i].pattern_id) {
            continue;
        }
        scan->pattern_ids[n_ids++] = sorted[i].pattern_id;
        scan->literals[scan->n_literals - 1].n_ids++;
    }

    for (size_t i = 0; i < scan->n_literals; i++)
        if (scan->literals[i].bytes.len >= 2) choose_window(&scan->literals[i], NULL);
    build_tables(scan);
    free(sorted);
    return scan;
fail:
    free(sorted);
    te_litscan_free(scan);
    return NULL;
}

te_litscan *te_litscan_tune(const te_litscan *scan, const char *sample, size_t len)
{
    te_litscan *tuned = calloc(1, sizeof *tuned);
    uint32_t *counts = calloc(PAIR_VALUES, sizeof *counts);
    size_t n = scan->n_literals, n_ids = 0;
    for (size_t i = 0; i < n; i++)
        n_ids += scan->literals[i].n_ids;
    if (!tuned || !counts) goto fail;
    tuned->literals = malloc((n + 1) * sizeof *tuned->literals);
    tuned->pattern_ids = malloc((n_ids + 1) * sizeof *tuned->pattern_ids);
    tuned->entries = malloc((4 * n + 1) * sizeof *tuned->entries);
    tuned->short_literals = malloc((n + 1) * sizeof *tuned->short_literals);
    if (!tuned->literals || !tuned->pattern_ids || !tuned->entries || !tuned->short_literals)
        goto fail;
    if (n) memcpy(tuned->literals, scan->literals, n * sizeof *tuned->literals);
    if (n_ids) memcpy(tuned->pattern_ids, scan->pattern_ids, n_ids * sizeof *tuned->pattern_ids);
    tuned->n_literals = n;
    memcpy(tuned->fold, scan->fold, sizeof tuned->fold);
    const unsigned char *t = (const unsigned char *)sample;
    for (size_t i = 0; i + 1 < len; i++)
        counts[load2(t + i)]++;
    for (size_t i = 0; i < n; i++)
        if (tuned->literals[i].bytes.len >= 2) choose_window(&tuned->literals[i], counts);
    build_tables(tuned);
    free(counts);
    return tuned;
fail:
    free(counts);
    te_litscan_free(tuned);
    return NULL;
}

static bool equal_icase(const unsigned char *fold_table, const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (fold_table[(unsigned char)a[i]] != fold_table[(unsigned char)b[i]]) return false;
    return true;
}

static bool find_icase(const unsigned char *fold_table, const char *text, size_t len, te_str needle)
{
    if (needle.len == 0) return true;
    for (size_t i = 0; i + needle.len <= len; i++)
        if (equal_icase(fold_table, text + i, needle.ptr, needle.len)) return true;
    return false;
}

/* True when some pattern of the literal has not been found in this text yet. */
static bool wanted(const te_litscan *scan, const scan_literal *lit, const uint32_t *stamps,
                   uint32_t stamp)
{
    for (uint32_t k = 0; k < lit->n_ids; k++)
        if (stamps[scan->pattern_ids[lit->first_id + k]] != stamp) return true;
    return false;
}

static size_t mark(const te_litscan *scan, const scan_literal *lit, uint32_t *stamps,
                   uint32_t stamp, uint32_t *hits, size_t n_hits)
{
    for (uint32_t k = 0; k < lit->n_ids; k++) {
        uint32_t pattern = scan->pattern_ids[lit->first_id + k];
        if (stamps[pattern] == stamp) continue;
        stamps[pattern] = stamp;
        hits[n_hits++] = pattern;
    }
    return n_hits;
}

/* One scan of a text: what check_pair needs, kept out of the registers of
 * the scan loop. */
typedef struct scan_run {
    const te_litscan *scan;
    const char *text;
    size_t len;
    uint32_t *stamps;
    uint32_t stamp;
    uint32_t *hits;
    size_t n_hits;
} scan_run;

/* The whole literal of an entry whose window matched at `pos`. */
static void confirm(scan_run *run, const pair_entry *e, size_t pos)
{
    const te_litscan *scan = run->scan;
    const scan_literal *lit = &scan->literals[e->literal];
    size_t start = pos - e->lead;
    if (lit->bytes.len > run->len - start || !wanted(scan, lit, run->stamps, run->stamp)) return;
    const char *at = run->text + start;
    bool same = lit->icase ? equal_icase(scan->fold, at, lit->bytes.ptr, lit->bytes.len)
                           : memcmp(at, lit->bytes.ptr, lit->bytes.len) == 0;
    if (same) run->n_hits = mark(scan, lit, run->stamps, run->stamp, run->hits, run->n_hits);
}

/* The pair at `pos` is in bucket b: check the windows of that pair's
 * entries with one load each, and confirm those that match. Not inlined:
 * the scan loop keeps its few registers. */
static __attribute__((noinline)) void check_pair(scan_run *run, uint32_t b, size_t pos)
{
    const te_litscan *scan = run->scan;
    const unsigned char *t = (const unsigned char *)run->text;
    uint32_t pair = load2(t + pos);
    const pair_entry *e = scan->entries + scan->bucket_start[b];
    const pair_entry *end = scan->entries + scan->bucket_start[b + 1];
    for (; e < end; e++) {
        if (e->pair != pair || e->lead > pos) continue;
        size_t window = pos - e->window_lead;
        if (window + WINDOW <= run->len &&
            ((load4(t + window) | e->window_fold) & e->window_mask) != e->window_value)
            continue;
        confirm(run, e, pos);
    }
}

size_t te_litscan_run(const te_litscan *scan, const char *text, size_t len, uint32_t *stamps,
                      uint32_t stamp, uint32_t *hits)
{
    scan_run run = {scan, text, len, stamps, stamp, hits, 0};
    const unsigned char *t = (const unsigned char *)text;
    const uint8_t *filter = scan->filter;
    size_t pairs = len >= 2 ? len - 1 : 0, i = 0; /* pair i is t[i], t[i + 1] */
    for (; i + 4 <= pairs; i += 4) {
        unsigned b0 = filter[load2(t + i)], b1 = filter[load2(t + i + 1)];
        unsigned b2 = filter[load2(t + i + 2)], b3 = filter[load2(t + i + 3)];
        if (__builtin_expect((b0 | b1 | b2 | b3) == 0, 1)) continue;
        if (b0) check_pair(&run, b0, i);
        if (b1) check_pair(&run, b1, i + 1);
        if (b2) check_pair(&run, b2, i + 2);
        if (b3) check_pair(&run, b3, i + 3);
    }
    for (; i < pairs; i++) {
        unsigned b0 = filter[load2(t + i)];
        if (b0) check_pair(&run, b0, i);
    }
    size_t n_hits = run.n_hits;
    for (size_t k = 0; k < scan->n_short; k++) {
        const scan_literal *lit = &scan->literals[scan->short_literals[k]];
        if (!wanted(scan, lit, stamps, stamp)) continue;
        bool found = lit->icase ? find_icase(scan->fold, text, len, lit->bytes)
                                : memmem(text, len, lit->bytes.ptr, lit->bytes.len) != NULL;
        if (found) n_hits = mark(scan, lit, stamps, stamp, hits, n_hits);
    }
    return n_hits;
}
