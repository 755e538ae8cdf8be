/* What the loaded rules need from a live stream: the `log stream --predicate`
 * that selects their processes, senders and subsystems (and, for patterns
 * that accept any process, their prefilter literals), and the list of all
 * prefilter literals (used by the benchmark's grep references). */
#include <stdio.h>
#include <string.h>

#include "rules/ruleset_impl.h"

typedef struct pred_buf {
    char *buf;
    size_t cap, len;
    bool overflow;
} pred_buf;

static void put(pred_buf *b, const char *s, size_t n)
{
    if (b->overflow || b->len + n + 1 > b->cap) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void put_quoted(pred_buf *b, te_str s)
{
    put(b, "\"", 1);
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '"' || s.ptr[i] == '\\') put(b, "\\", 1);
        put(b, s.ptr + i, 1);
    }
    put(b, "\"", 1);
}

/* Has an earlier pattern (or value) already listed this value for the field? */
static bool seen_before(const te_ruleset *rules, size_t upto, size_t vi, te_predicate_field field,
                        te_str value)
{
    for (size_t p = 0; p <= upto; p++) {
        const te_predicate *pr = &rules->patterns[p]->impl->predicates[field];
        size_t n = p == upto ? vi : pr->n;
        for (size_t i = 0; i < n; i++)
            if (te_str_eq(pr->values[i], value)) return true;
    }
    return false;
}

static void field_term(const te_ruleset *rules, pred_buf *b, te_predicate_field field,
                       const char *name, bool *first_term)
{
    bool opened = false;
    for (size_t p = 0; p < rules->n_patterns; p++) {
        const te_predicate *pr = &rules->patterns[p]->impl->predicates[field];
        for (size_t i = 0; i < pr->n; i++) {
            if (seen_before(rules, p, i, field, pr->values[i])) continue;
            if (!opened) {
                if (!*first_term) put(b, " OR ", 4);
                put(b, name, strlen(name));
                put(b, " IN {", 5);
                opened = true;
                *first_term = false;
            } else {
                put(b, ", ", 2);
            }
            put_quoted(b, pr->values[i]);
        }
    }
    if (opened) put(b, "}", 1);
}

/* Did an earlier any-process pattern (or this one) already give this literal? */
static bool literal_seen(const te_ruleset *rules, size_t upto, size_t li)
{
    te_str lit = rules->patterns[upto]->impl->literals[li];
    for (size_t p = 0; p <= upto; p++) {
        const te_pattern_impl *im = rules->patterns[p]->impl;
        if (im->predicates[TE_PRED_PROCESS].n || im->predicates[TE_PRED_SENDER].n ||
            im->predicates[TE_PRED_SUBSYSTEM].n)
            continue;
        size_t n = p == upto ? li : im->n_literals;
        for (size_t i = 0; i < n; i++)
            if (te_str_eq(im->literals[i], lit)) return true;
    }
    return false;
}

bool te_ruleset_log_predicate(const te_ruleset *rules, char *buf, size_t cap)
{
    pred_buf b = {buf, cap, 0, cap == 0};
    if (cap) buf[0] = '\0';
    bool first = true;
    field_term(rules, &b, TE_PRED_PROCESS, "process", &first);
    field_term(rules, &b, TE_PRED_SENDER, "sender", &first);
    field_term(rules, &b, TE_PRED_SUBSYSTEM, "subsystem", &first);
    /* Patterns that accept any process, sender and subsystem: their literals,
     * each once, when distinctive enough to narrow a live stream (a short
     * literal such as "137" would select nearly everything). */
    for (size_t p = 0; p < rules->n_patterns; p++) {
        const te_pattern_impl *im = rules->patterns[p]->impl;
        if (im->predicates[TE_PRED_PROCESS].n || im->predicates[TE_PRED_SENDER].n ||
            im->predicates[TE_PRED_SUBSYSTEM].n)
            continue;
        for (size_t i = 0; i < im->n_literals; i++) {
            if (im->literals[i].len < TE_MIN_LIVE_LITERAL || literal_seen(rules, p, i)) continue;
            if (!first) put(&b, " OR ", 4);
            first = false;
            put(&b, im->literals_icase ? "eventMessage CONTAINS[c] " : "eventMessage CONTAINS ",
                im->literals_icase ? 25 : 22);
            put_quoted(&b, im->literals[i]);
        }
    }
    return !b.overflow;
}

size_t te_ruleset_literals(const te_ruleset *rules, te_literal_fn fn, void *user)
{
    size_t n = 0;
    for (size_t p = 0; p < rules->n_patterns; p++) {
        const te_pattern_impl *im = rules->patterns[p]->impl;
        for (size_t i = 0; i < im->n_literals; i++, n++)
            fn(im->literals[i].ptr, im->literals[i].len, im->literals_icase, user);
    }
    return n;
}
