/* Literal prefilter tests: what is derived from regex sources, and the
 * scanner against a naive search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../naive_search.h"
#include "rules/ruleset_impl.h"

/* Derives literals from regex; compares with the expected NULL-terminated
 * list (order-insensitive). expected == NULL: nothing may be derived. */
static void check_derive(const char *regex, bool want_icase, const char *const *expected)
{
    te_arena arena = {0};
    te_str *lits = NULL;
    size_t n = 0;
    bool icase = false;
    bool ok = te_literals_derive(regex, strlen(regex), &arena, &lits, &n, &icase);
    size_t n_expected = 0;
    while (expected && expected[n_expected])
        n_expected++;
    bool same = ok == (expected != NULL) && (!ok || n == n_expected);
    for (size_t i = 0; same && i < n_expected; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found = found || te_str_eq_cstr(lits[j], expected[i]);
        same = found;
    }
    if (!same || (ok && icase != want_icase)) {
        fprintf(stderr, "regex %s: derived %s", regex, ok ? "" : "nothing");
        for (size_t j = 0; ok && j < n; j++)
            fprintf(stderr, "%s'%.*s'", j ? ", " : "", (int)lits[j].len, lits[j].ptr);
        fprintf(stderr, " (icase %d)\n", icase);
    }
    assert_true(same);
    if (ok) assert_int_equal(icase, want_icase);
    te_arena_free(&arena);
}

#define LITS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE NULL

static void test_plain(void **state)
{
    (void)state;
    check_derive("Unsatisfied entitlements", false, LITS("Unsatisfied entitlements"));
    check_derive("^Exception Type:\\s+EXC_CRASH", false, LITS("Exception Type:"));
    check_derive("\\d+ not valid: \\w+", false, LITS(" not valid: "));
    check_derive("Code=-413 for (?<path>/\\S+)", false, LITS("Code=-413 for /"));
    check_derive("literal{brace}", false, LITS("literal{brace}"));
    check_derive("\\w+\\s\\S+", false, NONE);
    check_derive("ab", false, NONE);
}

static void test_escapes(void **state)
{
    (void)state;
    check_derive("foo\\.bar\\(x\\)", false, LITS("foo.bar(x)"));
    check_derive("a\\tb\\x41c\\x{42}", false, LITS("a\tbAcB"));
    check_derive("\\Qa.b*c\\E", false, LITS("a.b*c"));
    check_derive("\\Qa.b*\\E?wxyz", false, LITS("wxyz"));
    check_derive("abc\\bdef", false, LITS("abcdef"));
    check_derive("ab\\dcd", false, NONE);
    check_derive("(abc)\\1xyzw", false, LITS("xyzw"));
}

static void test_alternation(void **state)
{
    (void)state;
    check_derive("abc|defg", false, LITS("abc", "defg"));
    check_derive("abc|de", false, NONE);
    check_derive("abc|\\w+", false, NONE);
    check_derive("a|b|", false, NONE);
    check_derive("(?:hello|world)x", false, LITS("hello", "world"));
    check_derive("(?:foo|barx)bazqux", false, LITS("bazqux"));
    check_derive("(?:foo|bar)baz", false, LITS("baz")); /* tie: one literal beats two */
    check_derive("(?:abc|abc)", false, LITS("abc"));    /* duplicates merged */
    check_derive("x(?:left (?:one|two)|right three)", false, LITS("left ", "right three"));
}

static void test_optional_atoms(void **state)
{
    (void)state;
    check_derive("colou?r spelling", false, LITS("r spelling"));
    check_derive("ab*cdef", false, LITS("cdef"));
    check_derive("xa+bcd", false, LITS("abcd"));
    check_derive("x{2,}yz", false, LITS("xyz"));
    check_derive("ab{0,3}cde", false, LITS("cde"));
    check_derive("(abc)?defg", false, LITS("defg"));
    check_derive("(abcd)+xy", false, LITS("abcd"));
    check_derive("(abcdef)*xyz", false, LITS("xyz"));
    check_derive("(?<name>abc)def", false, LITS("abcdef"));
    check_derive("(?:(?:abc)(?:def))", false, LITS("abcdef"));
    check_derive("foo(?!x)bar", false, LITS("foobar"));
    check_derive("abc(?#comment with ( and [)def", false, LITS("abcdef"));
    check_derive("abc.*?defgh", false, LITS("defgh"));
    check_derive("foo(*ACCEPT)barbaz", false, NONE);
    check_derive("(?(1)abc|def)", false, NONE);
}

static void test_classes(void **state)
{
    (void)state;
    check_derive("foo[0-9]+barbaz", false, LITS("barbaz"));
    check_derive("[abc]def]", false, LITS("def]"));
    check_derive("[]x]yz1", false, LITS("yz1"));
    check_derive("[^]x]yz1", false, LITS("yz1"));
    check_derive("[[:alpha:]]+tail", false, LITS("tail"));
    check_derive("[a|b)]xyz", false, LITS("xyz"));
}

static void test_icase(void **state)
{
    (void)state;
    check_derive("(?i)gatekeeper rejected", true, LITS("gatekeeper rejected"));
    check_derive("(?i:quarantine)d", true, LITS("quarantined"));
    check_derive("(?-i)plain", false, LITS("plain"));
    check_derive("(?x) foo bar", false, NONE); /* extended mode: not modelled */
}

/* Soundness: for random regexes, every subject PCRE2 matches contains one
 * of the derived literals (else the gate would hide a real match). */
#ifndef SOUND_ROUNDS
#define SOUND_ROUNDS 4000
#define SOUND_SEED 99
#endif
static uint32_t sound_rng = SOUND_SEED;
static uint32_t srand32(void)
{
    sound_rng = sound_rng * 1664525u + 1013904223u;
    return sound_rng >> 8;
}

static void random_regex(char *out, size_t cap, size_t *len, int depth)
{
    static const char *const atoms[] = {
        "a",     "b",      "ab",      "ba",      "\\.",      ".",       "[ab]",     "\\d",
        "aab",   "bba",    "abab",    "\\x61",   "\\Qa.\\E", "^",       "$",        "\\b",
        "(?=a)", "(?!b)",  "(?#x(y)", "(?i:a)",  "(?<n>ab)", "(?>ab)",  "(?|a|bb)", "\\Ab",
        "[^a]",  "[]a]",   "a{,2}",   "\\x{62}", "(?-i)",    "(?i)",    "\\K",      "A",
        "B.",    "\\Q\\E", "(?<=a)",  "\\E",     "{",        "a{1,2}?", "(?:)"};
    static const char *const quants[] = {"",    "",      "",     "?",  "*", "+",
                                         "{2}", "{0,2}", "{1,}", "+?", "*+"};
    int n = 1 + (int)(srand32() % 5);
    for (int i = 0; i < n && *len + 40 < cap; i++) {
        uint32_t kind = srand32() % 10;
        if (kind < 2 && depth < 3) {
            const char *open = (srand32() % 2) ? "(" : "(?:";
            *len += (size_t)snprintf(out + *len, cap - *len, "%s", open);
            random_regex(out, cap, len, depth + 1);
            if (srand32() % 3 == 0) {
                out[(*len)++] = '|';
                random_regex(out, cap, len, depth + 1);
            }
            out[(*len)++] = ')';
        } else {
            const char *atom = atoms[srand32() % (sizeof atoms / sizeof *atoms)];
            *len += (size_t)snprintf(out + *len, cap - *len, "%s", atom);
        }
        const char *q = quants[srand32() % (sizeof quants / sizeof *quants)];
        *len += (size_t)snprintf(out + *len, cap - *len, "%s", q);
        if (depth == 0 && srand32() % 8 == 0) out[(*len)++] = '|';
    }
    out[*len] = '\0';
}

static void test_derivation_is_sound(void **state)
{
    (void)state;
    size_t checked = 0, derived_count = 0;
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    for (int r = 0; r < SOUND_ROUNDS; r++) {
        char regex[512];
        size_t len = 0;
        if (srand32() % 5 == 0) len = (size_t)snprintf(regex, sizeof regex, "(?i)");
        random_regex(regex, sizeof regex, &len, 0);
        int code_err;
        PCRE2_SIZE offset;
        pcre2_code *code =
            pcre2_compile((PCRE2_SPTR)regex, len, PCRE2_NEVER_UTF, &code_err, &offset, NULL);
        if (!code) continue;
        te_arena arena = {0};
        te_str *lits;
        size_t n;
        bool icase;
        if (te_literals_derive(regex, len, &arena, &lits, &n, &icase)) {
            derived_count++;
            for (int t = 0; t < 1000; t++) {
                char subject[16];
                size_t slen = srand32() % sizeof subject;
                for (size_t k = 0; k < slen; k++)
                    subject[k] = "aaabbbAB.1 "[srand32() % 11];
                if (pcre2_match(code, (PCRE2_SPTR)subject, slen, 0, 0, md, NULL) < 0) continue;
                checked++;
                bool found = false;
                for (size_t i = 0; i < n && !found; i++)
                    found = naive_contains(subject, slen, lits[i], icase);
                if (!found)
                    fprintf(stderr, "regex %s matched '%.*s' without its literal '%.*s'\n", regex,
                            (int)slen, subject, (int)lits[0].len, lits[0].ptr);
                assert_true(found);
            }
        }
        te_arena_free(&arena);
        pcre2_code_free(code);
    }
    pcre2_match_data_free(md);
    if (derived_count <= 100 || checked <= 2000)
        fprintf(stderr, "derived %zu checked %zu\n", derived_count, checked);
    assert_true(derived_count > 100);
    assert_true(checked > 2000);
}

/* ---- scanner ----------------------------------------------------------------- */

static void test_scanner_basic(void **state)
{
    (void)state;
    te_literal_def defs[] = {
        {{"abc", 3}, false, 0},  {{"BCD", 3}, true, 1}, {{"xyz", 3}, false, 2},
        {{"abcd", 4}, false, 3}, {{"bc", 2}, false, 4}, {{"Q", 1}, true, 5},
        {{"zzz", 3}, false, 2}, /* a second literal of pattern 2 */
    };
    te_litscan *scan = te_litscan_build(defs, 7);
    assert_non_null(scan);
    uint32_t stamps[6] = {0}, hits[6];
    size_t n = te_litscan_run(scan, "zzABCDzz", 8, stamps, 1, hits);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(stamps[0], 0);
    assert_int_equal(stamps[1], 1);
    n = te_litscan_run(scan, "abcd q", 6, stamps, 2, hits);
    assert_int_equal(n, 5); /* each pattern once */
    for (uint32_t p = 0; p < 6; p++)
        assert_int_equal(stamps[p] == 2, p != 2);
    n = te_litscan_run(scan, "xyzzz xyz", 9, stamps, 3, hits);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 2);
    /* shorter than a gram */
    assert_int_equal(te_litscan_run(scan, "bc", 2, stamps, 4, hits), 1);
    assert_int_equal(hits[0], 4);
    assert_int_equal(te_litscan_run(scan, "", 0, stamps, 5, hits), 0);
    te_litscan_free(scan);
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* n_literals random literals over alphabet, per_pattern literals per
 * pattern, one in icase_one_in case-insensitive; the bytes in *bytes. */
static te_literal_def *random_literals(size_t n_literals, size_t literal_len_max,
                                       const char *alphabet, size_t per_pattern,
                                       uint32_t icase_one_in, char **bytes)
{
    size_t alpha = strlen(alphabet);
    te_literal_def *defs = calloc(n_literals, sizeof *defs);
    *bytes = calloc(n_literals, literal_len_max + 1);
    for (size_t i = 0; i < n_literals; i++) {
        size_t len = 1 + rng() % literal_len_max;
        char *p = *bytes + i * (literal_len_max + 1);
        for (size_t k = 0; k < len; k++)
            p[k] = alphabet[rng() % alpha];
        defs[i].bytes = te_str_make(p, len);
        defs[i].icase = rng() % icase_one_in == 0;
        defs[i].pattern_id = (uint32_t)(i / per_pattern);
    }
    return defs;
}

/* A random text of up to cap - 1 bytes over alphabet; its length. */
static size_t random_text(char *text, size_t cap, const char *alphabet)
{
    size_t alpha = strlen(alphabet), len = rng() % cap;
    for (size_t k = 0; k < len; k++)
        text[k] = alphabet[rng() % alpha];
    return len;
}

/* The patterns a naive search finds in text (want[]), and their number. */
static size_t naive_hits(const te_literal_def *defs, size_t n_literals, const char *text,
                         size_t len, bool *want, size_t n_patterns)
{
    memset(want, 0, n_patterns * sizeof *want);
    size_t n_want = 0;
    for (size_t i = 0; i < n_literals; i++)
        if (!want[defs[i].pattern_id] && naive_contains(text, len, defs[i].bytes, defs[i].icase)) {
            want[defs[i].pattern_id] = true;
            n_want++;
        }
    return n_want;
}

static void cross_check(size_t n_literals, size_t literal_len_max, const char *alphabet)
{
    char *bytes;
    te_literal_def *defs = random_literals(n_literals, literal_len_max, alphabet, 2, 2, &bytes);
    size_t n_patterns = n_literals / 2 + 1;
    te_litscan *scan = te_litscan_build(defs, n_literals);
    assert_non_null(scan);
    uint32_t *stamps = calloc(n_patterns, sizeof *stamps);
    uint32_t *hits = calloc(n_patterns, sizeof *hits);
    bool *want = calloc(n_patterns, sizeof *want);
    char text[200];
    for (uint32_t round = 1; round <= 300; round++) {
        size_t len = random_text(text, sizeof text, alphabet);
        size_t n_want = naive_hits(defs, n_literals, text, len, want, n_patterns);
        size_t n = te_litscan_run(scan, text, len, stamps, round, hits);
        assert_int_equal(n, n_want);
        for (size_t h = 0; h < n; h++)
            assert_true(want[hits[h]]);
        for (size_t p = 0; p < n_patterns; p++)
            assert_int_equal(stamps[p] == round, want[p]);
    }
    te_litscan_free(scan);
    free(stamps);
    free(hits);
    free(want);
    free(defs);
    free(bytes);
}

/* The scanner a matcher tunes on a sample of its input (te_litscan_tune)
 * must find exactly the patterns a naive search (and the untuned scanner)
 * finds. */
static void cross_check_tuned(size_t n_literals, size_t literal_len_max, const char *alphabet)
{
    char *bytes;
    te_literal_def *defs = random_literals(n_literals, literal_len_max, alphabet, 3, 3, &bytes);
    size_t n_patterns = n_literals / 3 + 1;
    te_litscan *scan = te_litscan_build(defs, n_literals);
    assert_non_null(scan);
    char sample[4096];
    size_t alpha = strlen(alphabet);
    for (size_t k = 0; k < sizeof sample; k++)
        sample[k] = alphabet[rng() % alpha];
    te_litscan *tuned = te_litscan_tune(scan, sample, sizeof sample);
    assert_non_null(tuned);
    uint32_t *stamps = calloc(n_patterns, sizeof *stamps);
    uint32_t *tuned_stamps = calloc(n_patterns, sizeof *tuned_stamps);
    uint32_t *hits = calloc(n_patterns, sizeof *hits);
    bool *want = calloc(n_patterns, sizeof *want);
    char text[300];
    for (uint32_t round = 1; round <= 400; round++) {
        size_t len = random_text(text, sizeof text, alphabet);
        size_t n_want = naive_hits(defs, n_literals, text, len, want, n_patterns);
        size_t n = te_litscan_run(tuned, text, len, tuned_stamps, round, hits);
        assert_int_equal(n, n_want);
        for (size_t h = 0; h < n; h++)
            assert_true(want[hits[h]]);
        assert_int_equal(te_litscan_run(scan, text, len, stamps, round, hits), n_want);
        for (size_t p = 0; p < n_patterns; p++)
            assert_int_equal(tuned_stamps[p] == round, want[p]);
    }
    te_litscan_free(tuned);
    te_litscan_free(scan);
    free(stamps);
    free(tuned_stamps);
    free(hits);
    free(want);
    free(defs);
    free(bytes);
}

static void test_tuned_scanner_exact(void **state)
{
    (void)state;
    rng_state = 777; /* the inputs these cases were written with */
    cross_check_tuned(60, 6, "abAB");
    cross_check_tuned(300, 10, "abcdeABCDE:/ ");
    cross_check_tuned(20, 4, "aA\xff\x01 ");
    cross_check_tuned(2000, 14,
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .:");
}

static void test_tuned_scanner_empty_sample(void **state)
{
    (void)state;
    te_literal_def defs[] = {{{"abc", 3}, false, 0}, {{"Q", 1}, true, 1}, {{"xyz", 3}, true, 2}};
    te_litscan *scan = te_litscan_build(defs, 3);
    te_litscan *tuned = te_litscan_tune(scan, "", 0);
    assert_non_null(tuned);
    uint32_t stamps[3] = {0}, hits[3];
    assert_int_equal(te_litscan_run(tuned, "q XYZ abc", 9, stamps, 1, hits), 3);
    te_litscan_free(tuned);
    te_litscan_free(scan);
}

static void test_scanner_against_naive(void **state)
{
    (void)state;
    cross_check(40, 5, "abAB");
    cross_check(200, 8, "abcdeABCDE:/ ");
    cross_check(10, 3, "aA\xff\x01");
    cross_check(3000, 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ");
}

static void test_scanner_many_literals(void **state)
{
    (void)state;
    /* many literals sharing their rarest gram land in one slot: still exact */
    size_t n = 40000;
    te_literal_def *defs = calloc(n, sizeof *defs);
    char *bytes = calloc(n, 32);
    for (size_t i = 0; i < n; i++) {
        char *p = bytes + i * 32;
        int len = snprintf(p, 32, "lit%05zu-ABCDEFGHIJKLMNOPQRS", i);
        defs[i].bytes = te_str_make(p, (size_t)len);
        defs[i].icase = i % 2 == 0;
        defs[i].pattern_id = (uint32_t)i;
    }
    te_litscan *scan = te_litscan_build(defs, n);
    assert_non_null(scan);
    uint32_t *stamps = calloc(n, sizeof *stamps), *hits = calloc(n, sizeof *hits);
    const char *text = "xx LIT00042-abcdefghijklmnopqrs lit00043-ABCDEFGHIJKLMNOPQRS lit00045-abc";
    assert_int_equal(te_litscan_run(scan, text, strlen(text), stamps, 7, hits), 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(stamps[i] == 7, i == 42 || i == 43);
    te_litscan_free(scan);
    free(stamps);
    free(hits);
    free(defs);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_alternation),
        cmocka_unit_test(test_optional_atoms),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_icase),
        cmocka_unit_test(test_derivation_is_sound),
        cmocka_unit_test(test_scanner_basic),
        cmocka_unit_test(test_scanner_against_naive),
        cmocka_unit_test(test_scanner_many_literals),
        cmocka_unit_test(test_tuned_scanner_exact),
        cmocka_unit_test(test_tuned_scanner_empty_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
