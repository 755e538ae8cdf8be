/* Tests of a gate speed-up that must never change a result: the literals
 * te_literals_required says a regex needs are in every subject the regex
 * matches. (The tuned scanner is tested with the scanner, in
 * tests/unit/rules/test_literals.c.) */
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

static uint32_t rng_state = 777;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
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
        cmocka_unit_test(test_required_fixed),
        cmocka_unit_test(test_required_sound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
