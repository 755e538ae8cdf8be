/* Tests of the gate's speed-ups that must never change a result: the scanner
 * a matcher tunes to its input (te_litscan_tune) finds exactly what the rule
 * set's scanner finds, and the literals te_literals_required says a regex
 * needs are in every subject the regex matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/ruleset_impl.h"

static uint32_t rng_state = 777;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool naive_contains(const char *text, size_t len, te_str needle, bool icase)
{
    if (needle.len == 0) return true;
    for (size_t i = 0; i + needle.len <= len; i++) {
        size_t k = 0;
        for (; k < needle.len; k++) {
            unsigned char a = (unsigned char)text[i + k], b = (unsigned char)needle.ptr[k];
            if (icase ? fold(a) != fold(b) : a != b) break;
        }
        if (k == needle.len) return true;
    }
    return false;
}

/* Random literals and texts over `alphabet`; the scanner tuned on a sample of
 * such text must find exactly the patterns a naive search finds. */
static void cross_check_tuned(size_t n_literals, size_t literal_len_max, const char *alphabet)
{
    size_t alpha = strlen(alphabet);
    te_literal_def *defs = calloc(n_literals, sizeof *defs);
    char *bytes = calloc(n_literals, literal_len_max + 1);
    for (size_t i = 0; i < n_literals; i++) {
        size_t len = 1 + rng() % literal_len_max;
        char *p = bytes + i * (literal_len_max + 1);
        for (size_t k = 0; k < len; k++)
            p[k] = alphabet[rng() % alpha];
        defs[i].bytes = te_str_make(p, len);
        defs[i].icase = rng() % 3 == 0;
        defs[i].pattern_id = (uint32_t)(i / 3); /* several literals per pattern */
    }
    size_t n_patterns = n_literals / 3 + 1;
    te_litscan *scan = te_litscan_build(defs, n_literals);
    assert_non_null(scan);
    char sample[4096];
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
        size_t len = rng() % sizeof text;
        for (size_t k = 0; k < len; k++)
            text[k] = alphabet[rng() % alpha];
        memset(want, 0, n_patterns * sizeof *want);
        size_t n_want = 0;
        for (size_t i = 0; i < n_literals; i++)
            if (!want[defs[i].pattern_id] &&
                naive_contains(text, len, defs[i].bytes, defs[i].icase)) {
                want[defs[i].pattern_id] = true;
                n_want++;
            }
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

/* The required literal groups of a regex as text: "[a][b|c]" for a, then
 * b or c. */
static void required_text(const char *regex, bool *ok, char *out, size_t cap)
{
    te_arena arena = {0};
    te_str *lits = NULL;
    size_t *sizes = NULL, n_groups = 99;
    bool icase = false;
    *ok = te_literals_required(regex, strlen(regex), &arena, &lits, &sizes, &n_groups, &icase);
    size_t o = 0;
    out[0] = '\0';
    for (size_t g = 0, at = 0; g < n_groups; at += sizes[g++]) {
        o += (size_t)snprintf(out + o, cap - o, "[");
        for (size_t i = 0; i < sizes[g]; i++)
            o += (size_t)snprintf(out + o, cap - o, "%s%.*s", i ? "|" : "", (int)lits[at + i].len,
                                  lits[at + i].ptr);
        o += (size_t)snprintf(out + o, cap - o, "]");
    }
    te_arena_free(&arena);
}

static void expect_required(const char *regex, bool ok, const char *want)
{
    char got[512];
    bool got_ok;
    required_text(regex, &got_ok, got, sizeof got);
    assert_int_equal(got_ok, ok);
    assert_string_equal(got, want);
}

static void test_required_fixed(void **state)
{
    (void)state;
    expect_required("The\\s+application\\s+(?:\"(?<n>[^\"]+)\"\\s+can't|(?<p>/\\S+)?\\s*cannot)",
                    true, "[The][application][can't|cannot]");
    expect_required("(?:abc)?def", true, "[def]");
    expect_required("abc|def", true, ""); /* either branch: none required */
    expect_required("x(?:abc|abd)yz", true, "[abc|abd]");
    expect_required("x(?:abc|ab)yz", true, ""); /* "ab" is too short to require */
    expect_required("abc+d", true, "[abc]");    /* "abc", then "cd" is too short */
    expect_required("AMFI: '(?<path>[^']+)' is adhoc signed\\.", true,
                    "[AMFI: '][' is adhoc signed.]");
    expect_required("foo(?:bar)", true, "[foobar]"); /* a plain group continues the run */
    expect_required("(?x) a b c", false, "");
    expect_required("(?<=abc)ghi(?=def)", true, "[ghi]");
    expect_required(
        "(?m)(?:\"status\"\\s*:\\s*\"|^\\s*status: )(?<s>Invalid|Accepted|In Progress)\\b", true,
        "[\"status\"|status: ][Invalid|Accepted|In Progress]");
    expect_required("abc(?:def)*ghi(?:jkl){2}abc", true, "[abc][ghi][jkl]");
}

static bool matches(pcre2_code *code, pcre2_match_data *md, const char *s, size_t len)
{
    return pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
}

/* Subjects made of the regex's own text pieces and random bytes: whenever
 * the regex matches, every required literal is there. */
static void test_required_sound(void **state)
{
    (void)state;
    static const char *const regexes[] = {
        "The\\s+application\\s+(?:\"(?<n>[^\"]+)\"\\s+can't be opened|cannot be opened)",
        "AMFI: '(?<path>[^']+)' is adhoc signed\\.",
        "ab+c(?:de)?fgh(?:x|y)ijk",
        "(?i)Library Validation failed: (?:Rejecting|refusing) '",
        "q{2,}rst(?:uv){1,2}wxy",
        "(?:a(?:bc))def[gh]ijk\\Qlm.n\\Eop",
        "^\\s*Path:\\s+(?<path>/.*?)\\s*$",
        "x(?=yz)yzab*cde",
    };
    static const char *const pieces[] = {
        "The",
        "application",
        " ",
        "\"",
        "can't be opened",
        "cannot be opened",
        "AMFI: '",
        "/a/b",
        "' is adhoc signed.",
        "a",
        "b",
        "c",
        "de",
        "fgh",
        "x",
        "y",
        "ijk",
        "library validation failed: ",
        "Rejecting",
        "refusing",
        "'",
        "q",
        "rst",
        "uv",
        "wxy",
        "bc",
        "def",
        "g",
        "ijk",
        "lm.n",
        "op",
        "Path:",
        "/x",
        "\n",
        "yz",
        "cde",
        "abcdefghijklmnop",
        "LIBRARY VALIDATION FAILED: ",
    };
    /* one match of each regex, mutated below */
    static const char *const examples[] = {
        "The application \"X\" can't be opened",
        "AMFI: '/a/b' is adhoc signed.",
        "abbcdefghxijk",
        "LIBRARY VALIDATION FAILED: Rejecting '",
        "qqrstuvwxy",
        "abcdefhijklm.nop",
        "  Path: /x",
        "xyzabbcde",
    };
    pcre2_match_data *md = pcre2_match_data_create(32, NULL);
    for (size_t r = 0; r < sizeof regexes / sizeof regexes[0]; r++) {
        int err;
        PCRE2_SIZE off;
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)regexes[r], PCRE2_ZERO_TERMINATED,
                                         PCRE2_DUPNAMES | PCRE2_NEVER_UTF, &err, &off, NULL);
        assert_non_null(code);
        te_arena arena = {0};
        te_str *lits = NULL;
        size_t *sizes = NULL, n_groups = 0;
        bool icase = false;
        assert_true(te_literals_required(regexes[r], strlen(regexes[r]), &arena, &lits, &sizes,
                                         &n_groups, &icase));
        size_t matched = 0;
        for (int round = 0; round < 20000; round++) {
            char s[256];
            size_t len = 0;
            if (round % 2) { /* the example with a piece in or a slice out */
                len = strlen(examples[r]);
                memcpy(s, examples[r], len);
                size_t at = rng() % (len + 1);
                if (rng() % 2) {
                    const char *piece = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
                    size_t pl = strlen(piece);
                    memmove(s + at + pl, s + at, len - at);
                    memcpy(s + at, piece, pl);
                    len += pl;
                } else {
                    size_t cut = rng() % 4;
                    if (cut > len - at) cut = len - at;
                    memmove(s + at, s + at + cut, len - at - cut);
                    len -= cut;
                }
            } else { /* pieces at random */
                int parts = 1 + (int)(rng() % 12);
                for (int k = 0; k < parts; k++) {
                    const char *piece = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
                    size_t pl = strlen(piece);
                    if (len + pl > sizeof s) break;
                    memcpy(s + len, piece, pl);
                    len += pl;
                }
            }
            if (!matches(code, md, s, len)) continue;
            matched++;
            for (size_t g = 0, at = 0; g < n_groups; at += sizes[g++]) {
                bool any = false;
                for (size_t i = 0; i < sizes[g]; i++)
                    any = any || naive_contains(s, len, lits[at + i], icase);
                assert_true(any);
            }
        }
        assert_true(matched > 0); /* the pieces do make matches */
        te_arena_free(&arena);
        pcre2_code_free(code);
    }
    pcre2_match_data_free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tuned_scanner_exact),
        cmocka_unit_test(test_tuned_scanner_empty_sample),
        cmocka_unit_test(test_required_fixed),
        cmocka_unit_test(test_required_sound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
