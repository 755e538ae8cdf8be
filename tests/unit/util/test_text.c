/* Tests of src/util/text.c: te_str helpers and the bounded te_buf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/text.h"

static void test_trim_and_compare(void **state)
{
    (void)state;
    te_str t = te_str_trim(te_str_cstr(" \t\r\n hello world \r\n"));
    assert_true(te_str_eq_cstr(t, "hello world"));
    assert_int_equal(te_str_trim(te_str_cstr(" \t ")).len, 0);
    assert_int_equal(te_str_trim(te_str_make(NULL, 0)).len, 0);
    assert_true(te_str_eq(te_str_cstr("abc"), te_str_make("abcd", 3)));
    assert_false(te_str_eq_cstr(te_str_cstr("abc"), "abcd"));
    assert_true(te_str_eq_cstr(te_str_make(NULL, 0), ""));
    assert_int_equal(te_str_cstr(NULL).len, 0);
}

static void test_starts_with_and_find(void **state)
{
    (void)state;
    te_str s = te_str_cstr("kernel: AMFI: bailing out");
    assert_true(te_str_starts_with(s, "kernel:"));
    assert_true(te_str_starts_with(s, ""));
    assert_false(te_str_starts_with(te_str_cstr("ker"), "kernel"));
    assert_int_equal(te_str_find(s, "AMFI", 4), 8);
    assert_int_equal(te_str_find(s, "amfi", 4), -1);
    assert_int_equal(te_str_find(s, "", 0), 0);
    assert_int_equal(te_str_find(te_str_cstr("ab"), "abc", 3), -1);
    /* bytes after the view are not searched */
    assert_int_equal(te_str_find(te_str_make("abcdef", 3), "de", 2), -1);
    /* NUL bytes inside a view are ordinary bytes */
    assert_int_equal(te_str_find(te_str_make("a\0bc", 4), "bc", 2), 2);
    /* the last occurrence of a byte, within the view only */
    assert_int_equal(te_str_find_last(te_str_cstr("/usr/libexec/amfid"), '/'), 12);
    assert_int_equal(te_str_find_last(te_str_cstr("amfid"), '/'), -1);
    assert_int_equal(te_str_find_last(te_str_make(NULL, 0), '/'), -1);
    assert_int_equal(te_str_find_last(te_str_make("a/b/c", 3), '/'), 1);
    assert_int_equal(te_str_find_last(te_str_cstr("/"), '/'), 0);
}

static void test_to_i64(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(te_str_to_i64(te_str_cstr("41144"), &v));
    assert_int_equal(v, 41144);
    assert_true(te_str_to_i64(te_str_cstr("-67050"), &v));
    assert_int_equal(v, -67050);
    assert_true(te_str_to_i64(te_str_cstr("+7"), &v));
    assert_int_equal(v, 7);
    assert_true(te_str_to_i64(te_str_cstr("9223372036854775807"), &v));
    assert_int_equal(v, INT64_MAX);
    assert_true(te_str_to_i64(te_str_cstr("-9223372036854775808"), &v));
    assert_true(v == INT64_MIN);
    assert_true(te_str_to_i64(te_str_cstr("4928246544425287684"), &v)); /* a traceID */
    assert_int_equal(v, 4928246544425287684LL);
    assert_true(te_str_to_i64(te_str_cstr("-0"), &v));
    assert_int_equal(v, 0);
    v = 99;
    assert_false(te_str_to_i64(te_str_cstr("9223372036854775808"), &v));
    assert_false(te_str_to_i64(te_str_cstr("-9223372036854775809"), &v));
    assert_false(te_str_to_i64(te_str_cstr("99999999999999999999"), &v));
    assert_false(te_str_to_i64(te_str_cstr(""), &v));
    assert_false(te_str_to_i64(te_str_cstr("-"), &v));
    assert_false(te_str_to_i64(te_str_cstr("12a"), &v));
    assert_false(te_str_to_i64(te_str_cstr(" 12"), &v));
    assert_false(te_str_to_i64(te_str_cstr("0x10"), &v));
    assert_int_equal(v, 99); /* untouched on failure */
}

static void test_dup_and_copy(void **state)
{
    (void)state;
    char *d = te_str_dup(te_str_make("abcdef", 3));
    assert_string_equal(d, "abc");
    free(d);
    d = te_str_dup(te_str_make(NULL, 0));
    assert_string_equal(d, "");
    free(d);
    char small[4];
    assert_string_equal(te_copy_cstr(small, sizeof small, te_str_cstr("abcdef")), "abc");
    assert_string_equal(te_copy_cstr(small, sizeof small, te_str_cstr("ab")), "ab");
    char untouched[2] = {'x', 'y'};
    te_copy_cstr(untouched, 0, te_str_cstr("abc"));
    assert_int_equal(untouched[0], 'x');
}

static void test_buf_growth_and_cap(void **state)
{
    (void)state;
    te_buf b;
    te_buf_init(&b, 1000);
    for (int i = 0; i < 100; i++)
        assert_true(te_buf_append(&b, "0123456789", 10));
    assert_int_equal(b.len, 1000);
    assert_false(b.overflow);
    assert_true(te_buf_terminate(&b));
    assert_int_equal(b.data[1000], '\0');
    assert_int_equal(b.len, 1000);
    /* one byte past the cap fails, keeps the content and sticks */
    assert_false(te_buf_putc(&b, 'x'));
    assert_true(b.overflow);
    assert_int_equal(b.len, 1000);
    assert_false(te_buf_append(&b, "", 0));
    assert_false(te_buf_terminate(&b));
    /* reset forgets content and overflow, keeps the allocation */
    char *data = b.data;
    te_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_false(b.overflow);
    assert_true(te_buf_append(&b, "abc", 3));
    assert_ptr_equal(b.data, data);
    assert_memory_equal(b.data, "abc", 3);
    te_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.max, 1000);
    /* usable again after free */
    assert_true(te_buf_putc(&b, 'z'));
    te_buf_free(&b);
}

static void test_buf_unlimited_and_empty(void **state)
{
    (void)state;
    te_buf b;
    te_buf_init(&b, 0);
    assert_true(te_buf_append(&b, "", 0));
    assert_null(b.data);
    assert_true(te_buf_terminate(&b));
    assert_string_equal(b.data, "");
    static char big[1 << 16];
    memset(big, 'a', sizeof big);
    for (int i = 0; i < 8; i++)
        assert_true(te_buf_append(&b, big, sizeof big));
    assert_int_equal(b.len, 8 * sizeof big);
    assert_true(b.cap > b.len);
    te_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_and_compare),
        cmocka_unit_test(test_starts_with_and_find),
        cmocka_unit_test(test_to_i64),
        cmocka_unit_test(test_dup_and_copy),
        cmocka_unit_test(test_buf_growth_and_cap),
        cmocka_unit_test(test_buf_unlimited_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
