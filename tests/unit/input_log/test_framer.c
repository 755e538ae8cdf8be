/* Tests of the framer: zero-copy lines, lines split across chunks, CRLF,
 * last line without newline, overlong lines, NUL bytes, reset. */
#include "collect.h"

#define MAX_LINES 64

typedef struct lines_seen {
    char *text[MAX_LINES];
    size_t len[MAX_LINES];
    uint64_t lineno[MAX_LINES];
    const char *ptr[MAX_LINES];
    size_t n;
    uint64_t cut_lineno[8];
    uint64_t cut_bytes[8];
    size_t n_cut;
} lines_seen;

static void on_line(void *ctx, te_str line, uint64_t lineno)
{
    lines_seen *s = ctx;
    assert_true(s->n < MAX_LINES);
    s->text[s->n] = malloc(line.len + 1);
    memcpy(s->text[s->n], line.ptr, line.len);
    s->text[s->n][line.len] = '\0';
    s->len[s->n] = line.len;
    s->ptr[s->n] = line.ptr;
    s->lineno[s->n] = lineno;
    s->n++;
}

static void on_cut(void *ctx, uint64_t lineno, uint64_t bytes)
{
    lines_seen *s = ctx;
    assert_true(s->n_cut < 8);
    s->cut_lineno[s->n_cut] = lineno;
    s->cut_bytes[s->n_cut] = bytes;
    s->n_cut++;
}

static void free_seen(lines_seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->text[i]);
    memset(s, 0, sizeof *s);
}

/* Feeds text in chunks of `chunk` bytes (0: all at once). */
static void frame(lines_seen *s, te_summary *sum, const char *text, size_t len, size_t chunk)
{
    te_framer f;
    memset(s, 0, sizeof *s);
    te_framer_init(&f, on_line, on_cut, s, sum);
    if (chunk == 0) chunk = len ? len : 1;
    for (size_t at = 0; at < len; at += chunk)
        te_framer_feed(&f, text + at, len - at < chunk ? len - at : chunk);
    te_framer_finish(&f);
    te_framer_free(&f);
}

static void test_lines_in_one_chunk_are_views(void **state)
{
    (void)state;
    lines_seen s;
    te_summary sum = {0};
    const char *text = "first\nsecond line\n\nlast\n";
    frame(&s, &sum, text, strlen(text), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.text[0], "first");
    assert_string_equal(s.text[1], "second line");
    assert_string_equal(s.text[2], "");
    assert_string_equal(s.text[3], "last");
    /* zero copy: views into the fed bytes */
    assert_ptr_equal(s.ptr[0], text);
    assert_ptr_equal(s.ptr[1], text + 6);
    assert_int_equal(s.lineno[0], 1);
    assert_int_equal(s.lineno[3], 4);
    assert_int_equal(sum.lines, 4);
    assert_int_equal(sum.bytes, strlen(text));
    assert_int_equal(sum.lines_cut, 0);
    free_seen(&s);
}

static void test_split_across_chunks(void **state)
{
    (void)state;
    const char *text = "alpha beta\r\ngamma\r\ndelta";
    for (size_t chunk = 1; chunk <= strlen(text); chunk++) {
        lines_seen s;
        te_summary sum = {0};
        frame(&s, &sum, text, strlen(text), chunk);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.text[0], "alpha beta");
        assert_string_equal(s.text[1], "gamma");
        assert_string_equal(s.text[2], "delta");
        assert_int_equal(s.lineno[2], 3);
        assert_int_equal(sum.lines, 3);
        free_seen(&s);
    }
}

static void test_crlf_and_lone_cr(void **state)
{
    (void)state;
    lines_seen s;
    te_summary sum = {0};
    const char *text = "a\r\nb\rc\r\n\r\nd\r";
    frame(&s, &sum, text, strlen(text), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.text[0], "a");
    assert_string_equal(s.text[1], "b\rc"); /* only a CR before LF is removed */
    assert_string_equal(s.text[2], "");
    assert_string_equal(s.text[3], "d");
    free_seen(&s);
}

static void test_no_final_newline_and_empty_input(void **state)
{
    (void)state;
    lines_seen s;
    te_summary sum = {0};
    frame(&s, &sum, "only", 4, 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.text[0], "only");
    free_seen(&s);

    te_summary empty = {0};
    frame(&s, &empty, "", 0, 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(empty.lines, 0);

    te_summary one = {0};
    frame(&s, &one, "\n", 1, 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.text[0], "");
    free_seen(&s);
}

static void test_nul_and_invalid_utf8_pass_through(void **state)
{
    (void)state;
    lines_seen s;
    te_summary sum = {0};
    const char text[] = "a\0b\xff\xfe\nz";
    frame(&s, &sum, text, sizeof text - 1, 2);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.len[0], 5);
    assert_memory_equal(s.text[0], "a\0b\xff\xfe", 5);
    assert_string_equal(s.text[1], "z");
    free_seen(&s);
}

static char *long_text(size_t long_len, size_t *total)
{
    /* "x\n" + long_len bytes of 'L' + "\nafter\n" */
    size_t n = 2 + long_len + 7;
    char *t = malloc(n + 1);
    assert_non_null(t);
    memcpy(t, "x\n", 2);
    memset(t + 2, 'L', long_len);
    memcpy(t + 2 + long_len, "\nafter\n", 7);
    t[n] = '\0';
    *total = n;
    return t;
}

static void test_overlong_line_is_cut(void **state)
{
    (void)state;
    size_t total;
    char *t = long_text((size_t)TE_MAX_LINE_BYTES + 5, &total);
    size_t chunks[] = {0, 4096, 100000};
    for (size_t c = 0; c < 3; c++) {
        lines_seen s;
        te_summary sum = {0};
        frame(&s, &sum, t, total, chunks[c]);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.text[0], "x");
        assert_string_equal(s.text[1], "after");
        assert_int_equal(s.lineno[1], 3); /* the cut line keeps its number */
        assert_int_equal(s.n_cut, 1);
        assert_int_equal(s.cut_lineno[0], 2);
        assert_int_equal(s.cut_bytes[0], (uint64_t)TE_MAX_LINE_BYTES + 5);
        assert_int_equal(sum.lines, 3);
        assert_int_equal(sum.lines_cut, 1);
        free_seen(&s);
    }
    free(t);
}

static void test_line_at_the_limit_is_kept(void **state)
{
    (void)state;
    size_t total;
    char *t = long_text(TE_MAX_LINE_BYTES, &total);
    lines_seen s;
    te_summary sum = {0};
    frame(&s, &sum, t, total, 65536);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.len[1], TE_MAX_LINE_BYTES);
    assert_int_equal(s.n_cut, 0);
    free_seen(&s);
    free(t);
}

static void test_overlong_last_line_without_newline(void **state)
{
    (void)state;
    size_t len = (size_t)TE_MAX_LINE_BYTES + 1;
    char *t = malloc(len);
    memset(t, 'y', len);
    lines_seen s;
    te_summary sum = {0};
    frame(&s, &sum, t, len, 300000);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.n_cut, 1);
    assert_int_equal(sum.lines, 1);
    assert_int_equal(sum.lines_cut, 1);
    free(t);
}

static void test_reset_between_sources(void **state)
{
    (void)state;
    lines_seen s;
    memset(&s, 0, sizeof s);
    te_summary sum = {0};
    te_framer f;
    te_framer_init(&f, on_line, on_cut, &s, &sum);
    te_framer_feed(&f, "one\ntwo-partial", 15);
    te_framer_reset(&f);
    te_framer_feed(&f, "new\n", 4);
    te_framer_finish(&f);
    te_framer_free(&f);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.text[0], "one");
    assert_string_equal(s.text[1], "new");
    assert_int_equal(s.lineno[1], 1);
    free_seen(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_in_one_chunk_are_views),
        cmocka_unit_test(test_split_across_chunks),
        cmocka_unit_test(test_crlf_and_lone_cr),
        cmocka_unit_test(test_no_final_newline_and_empty_input),
        cmocka_unit_test(test_nul_and_invalid_utf8_pass_through),
        cmocka_unit_test(test_overlong_line_is_cut),
        cmocka_unit_test(test_line_at_the_limit_is_kept),
        cmocka_unit_test(test_overlong_last_line_without_newline),
        cmocka_unit_test(test_reset_between_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
