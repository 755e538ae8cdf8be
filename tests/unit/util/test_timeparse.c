/* Tests of src/util/timeparse.c: every timestamp form macOS tools print,
 * offsets, time-only forms, rejections, and ISO formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/text.h"
#include "util/timeparse.h"

typedef struct time_case {
    const char *text;
    size_t consumed;
    int64_t us;
    int32_t offset_min;
    bool has_offset;
    bool has_date;
} time_case;

static void check(const time_case *c)
{
    te_time t;
    memset(&t, 0x55, sizeof t);
    size_t n = te_time_parse(te_str_cstr(c->text), &t);
    if (n != c->consumed) fail_msg("\"%s\": consumed %zu, expected %zu", c->text, n, c->consumed);
    if (n == 0) return;
    if (t.us != c->us)
        fail_msg("\"%s\": us %lld, expected %lld", c->text, (long long)t.us, (long long)c->us);
    assert_int_equal(t.offset_min, c->offset_min);
    assert_int_equal(t.has_offset, c->has_offset);
    assert_int_equal(t.has_date, c->has_date);
}

static void test_forms(void **state)
{
    (void)state;
    const time_case cases[] = {
        /* log default/syslog/json */
        {"2024-01-10 14:36:03.306061-0800 0x1", 31, 1704926163306061LL, -480, true, true},
        /* Console copy: space before the offset */
        {"2024-01-10 14:36:03.306061 -0800\tamfid", 32, 1704926163306061LL, -480, true, true},
        /* compact: milliseconds, no offset; the type code is not an offset */
        {"2022-11-14 13:21:14.972 Df My App", 23, 1668432074972000LL, 0, false, true},
        /* ISO 8601 */
        {"2024-01-10T14:36:03Z", 20, 1704897363000000LL, 0, true, true},
        {"2024-01-10T14:36:03.147Z", 24, 1704897363147000LL, 0, true, true},
        {"2024-01-10T14:36:03+01:00", 25, 1704893763000000LL, 60, true, true},
        /* crash reports */
        {"2016-09-29 10:31:49.975 -0300", 29, 1475155909975000LL, -180, true, true},
        {"2022-11-22 10:23:02.700 GMT+8", 29, 1669083782700000LL, 480, true, true},
        {"2025-09-15 08:13:39.6857 -0700", 30, 1757949219685700LL, -420, true, true},
        /* fractions longer than microseconds are truncated */
        {"2022-01-16T03:46:41.596413351Z", 30, 1642304801596413LL, 0, true, true},
        /* time of day only */
        {"10:23:02.726078+0800\tsandboxd", 20,
         (10 * 3600 + 23 * 60 + 2) * 1000000LL + 726078 - 480 * 60000000LL, 480, true, false},
        {"10:23:02", 8, (10 * 3600 + 23 * 60 + 2) * 1000000LL, 0, false, false},
        {"2024-02-29 00:00:00", 19, 1709164800000000LL, 0, false, true},
        {"1969-12-31 23:59:59.5Z", 22, -500000LL, 0, true, true},
        /* a word after a space is not an offset */
        {"2024-01-10 14:36:03 Zebra", 19, 1704897363000000LL, 0, false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(&cases[i]);
}

static void test_rejections(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "2024-01-10",
        "2024-13-10 10:00:00",
        "2024-00-10 10:00:00",
        "2024-01-32 10:00:00",
        "2023-02-29 10:00:00",
        "2024-04-31 10:00:00",
        "2024-01-10 24:00:00",
        "2024-01-10 10:60:00",
        "2024-01-10 10:00",
        "10:00",
        "1:00:00",
        "10:23:02.",
        "Jun 11 14:59:07",
        "0x1a86f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        te_time t;
        size_t n = te_time_parse(te_str_cstr(bad[i]), &t);
        if (n != 0) fail_msg("\"%s\" accepted (%zu bytes)", bad[i], n);
    }
    /* a view shorter than the text behind it is respected */
    te_time t;
    assert_int_equal(te_time_parse(te_str_make("2024-01-10 14:36:03-0800", 19), &t), 19);
    assert_false(t.has_offset);
}

static void test_days_from_civil(void **state)
{
    (void)state;
    assert_int_equal(te_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(te_days_from_civil(1970, 1, 2), 1);
    assert_int_equal(te_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(te_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(te_days_from_civil(2024, 2, 29), 19782);
}

static void test_format_iso(void **state)
{
    (void)state;
    char buf[40];
    te_time_format_iso(1704926163306061LL, -480, buf, sizeof buf);
    assert_string_equal(buf, "2024-01-10T14:36:03.306061-08:00");
    te_time_format_iso(0, 0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000+00:00");
    te_time_format_iso(-500000, 0, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.500000+00:00");
    te_time_format_iso(1669083782700000LL, 330, buf, sizeof buf);
    assert_string_equal(buf, "2022-11-22T07:53:02.700000+05:30");
    /* round trip */
    te_time t;
    assert_true(te_time_parse(te_str_cstr("2024-01-10T14:36:03.306061-08:00"), &t) > 0);
    assert_int_equal(t.us, 1704926163306061LL);
    assert_int_equal(t.offset_min, -480);
    /* a short buffer is truncated, not overrun */
    char tiny[8];
    te_time_format_iso(0, 0, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_format_iso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
