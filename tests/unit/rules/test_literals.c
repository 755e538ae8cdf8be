/* Literal prefilter tests: what is derived from regex sources, and the
 * Aho-Corasick scanner against a naive search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
    while (expected && expected[n_expected]) n_expected++;
    bool same = ok == (expected != NULL) && (!ok || n == n_expected);
    for (size_t i = 0; same && i < n_expected; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++) found = found || te_str_eq_cstr(lits[j], expected[i]);
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

/* ---- scanner ----------------------------------------------------------------- */

static bool naive_contains(const char *text, size_t len, te_str needle, bool icase)
{
    for (size_t i = 0; i + needle.len <= len; i++) {
        size_t k = 0;
        for (; k < needle.len; k++) {
            char a = text[i + k], b = needle.ptr[k];
            if (icase) {
                if (a >= 'A' && a <= 'Z') a += 32;
                if (b >= 'A' && b <= 'Z') b += 32;
            }
            if (a != b) break;
        }
        if (k == needle.len) return true;
    }
    return false;
}

static void test_scanner_basic(void **state)
{
    (void)state;
    te_literal_def defs[] = {
        {{"abc", 3}, false, 0}, {{"BCD", 3}, true, 1}, {{"xyz", 3}, false, 2},
        {{"abcd", 4}, false, 3}, {{"bc", 2}, false, 4},
    };
    te_litscan *scan = te_litscan_build(defs, 5);
    assert_non_null(scan);
    uint32_t stamps[5] = {0};
    te_litscan_run(scan, "zzABCDzz", 8, stamps, 1);
    assert_int_equal(stamps[0], 0);
    assert_int_equal(stamps[1], 1);
    assert_int_equal(stamps[2], 0);
    assert_int_equal(stamps[3], 0);
    assert_int_equal(stamps[4], 0);
    te_litscan_run(scan, "abcd", 4, stamps, 2);
    assert_int_equal(stamps[0], 2);
    assert_int_equal(stamps[1], 2);
    assert_int_equal(stamps[2], 0);
    assert_int_equal(stamps[3], 2);
    assert_int_equal(stamps[4], 2); /* found through a dictionary link */
    te_litscan_free(scan);
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void cross_check(size_t n_literals, size_t literal_len_max, const char *alphabet)
{
    size_t alpha = strlen(alphabet);
    te_literal_def *defs = calloc(n_literals, sizeof *defs);
    char *bytes = calloc(n_literals, literal_len_max + 1);
    for (size_t i = 0; i < n_literals; i++) {
        size_t len = 1 + rng() % literal_len_max;
        char *p = bytes + i * (literal_len_max + 1);
        for (size_t k = 0; k < len; k++) p[k] = alphabet[rng() % alpha];
        defs[i].bytes = te_str_make(p, len);
        defs[i].icase = rng() % 2;
        defs[i].pattern_id = (uint32_t)(i / 2); /* two literals per pattern */
    }
    size_t n_patterns = n_literals / 2 + 1;
    te_litscan *scan = te_litscan_build(defs, n_literals);
    assert_non_null(scan);
    uint32_t *stamps = calloc(n_patterns, sizeof *stamps);
    bool *want = calloc(n_patterns, sizeof *want);
    char text[200];
    for (uint32_t round = 1; round <= 300; round++) {
        size_t len = rng() % sizeof text;
        for (size_t k = 0; k < len; k++) text[k] = alphabet[rng() % alpha];
        memset(want, 0, n_patterns * sizeof *want);
        for (size_t i = 0; i < n_literals; i++)
            if (naive_contains(text, len, defs[i].bytes, defs[i].icase))
                want[defs[i].pattern_id] = true;
        te_litscan_run(scan, text, len, stamps, round);
        for (size_t p = 0; p < n_patterns; p++) assert_int_equal(stamps[p] == round, want[p]);
    }
    te_litscan_free(scan);
    free(stamps);
    free(want);
    free(defs);
    free(bytes);
}

static void test_scanner_against_naive(void **state)
{
    (void)state;
    cross_check(40, 5, "abAB");
    cross_check(200, 8, "abcdeABCDE:/ ");
    cross_check(10, 3, "aA\xff\x01");
}

static void test_scanner_fallback(void **state)
{
    (void)state;
    /* enough literal bytes to exceed TE_MAX_LITERAL_DFA_CELLS: memmem fallback */
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
    uint32_t *stamps = calloc(n, sizeof *stamps);
    const char *text = "xx LIT00042-abcdefghijklmnopqrs lit00043-ABCDEFGHIJKLMNOPQRS lit00045-abc";
    te_litscan_run(scan, text, strlen(text), stamps, 7);
    for (size_t i = 0; i < n; i++) assert_int_equal(stamps[i] == 7, i == 42 || i == 43);
    te_litscan_free(scan);
    free(stamps);
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
        cmocka_unit_test(test_scanner_basic),
        cmocka_unit_test(test_scanner_against_naive),
        cmocka_unit_test(test_scanner_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
