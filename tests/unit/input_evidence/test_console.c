/* Tests of the Console.app copy reader: default and other column orders,
 * header rows, localized type words, continuation lines, tabs turned into
 * spaces, the detail form, sniffing. */
#include "harness.h"

static void test_default_columns(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_console, "console_001.txt", &c);
    assert_int_equal(c.n, 6);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->type, "Error");
    assert_string_equal(e->process, "taskgated-helper");
    assert_string_equal(e->message, "<app-bundle-id>: Unsatisfied entitlements: "
                                    "com.apple.developer.system-extension.install, "
                                    "com.apple.developer.team-identifier");
    assert_true(e->has_time);
    assert_true(e->has_date);
    assert_true(e->has_offset);
    assert_int_equal(e->offset_min, -480);
    assert_int_equal(e->time_us, civil_us(2024, 1, 10, 14, 36, 3, 306061, -480));
    assert_int_equal(e->pid, -1);
    assert_string_equal(c.events[1].type, "Info");
    assert_string_equal(c.events[3].type, "Default");
    /* a continuation line beginning with a tab, and ")}, ..." */
    e = &c.events[3];
    assert_int_equal(e->line, 4);
    assert_int_equal(e->line_end, 7);
    assert_non_null(strstr(e->message, "values = (\n\t0 : <CFString"));
    assert_non_null(strstr(e->message, "\n)}, NSLocalizedDescription=No matching profile found}"));
    e = &c.events[5];
    assert_string_equal(e->process, "kernel");
    assert_int_equal(e->line_end, 11);
    assert_non_null(strstr(e->message, ":\n  Code has restricted entitlements"));
    assert_non_null(strstr(e->message, "\nUnsatisfied Entitlements: com.apple"));
    assert_int_equal(c.summary.lines_in_events, 11);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_header_row(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_console, "console_header.txt", &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.summary.lines_meta, 1);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->type, "Error");
    assert_int_equal(e->pid, 512);
    assert_string_equal(e->process, "taskgated-helper");
    assert_string_equal(e->subsystem, "com.apple.ManagedClient");
    assert_string_equal(e->category, "ProvisioningProfiles");
    assert_string_equal(
        e->message,
        "com.example.app: Unsatisfied entitlements: com.apple.developer.team-identifier");
    assert_int_equal(e->time_us, civil_us(2024, 3, 5, 9, 15, 0, 100200, 60));
    e = &c.events[1];
    assert_string_equal(e->process, "kernel");
    assert_int_equal(e->pid, 0);
    assert_string_equal(e->subsystem, "");
    assert_int_equal(e->line, 3);
    assert_int_equal(e->line_end, 5);
    assert_non_null(strstr(e->message, "Example:\n  Code has restricted entitlements"));
    assert_string_equal(c.events[2].process, "amfid");
    assert_string_equal(c.events[2].type, "Info");
    assert_accounting(&c);
    capture_free(&c);

    /* PID, Type, Category, Process, Library, Message, Subsystem without header,
     * and the same order whose tabs became spaces */
    run_fixture(&te_reader_console, "console_pid_order.txt", &c);
    assert_int_equal(c.n, 2);
    e = &c.events[0];
    assert_int_equal(e->pid, 22207);
    assert_string_equal(e->type, "Error");
    assert_string_equal(e->category, "ProvisioningProfiles");
    assert_string_equal(e->process, "taskgated-helper");
    assert_string_equal(e->sender, "ConfigurationProfiles");
    assert_string_equal(e->subsystem, "com.apple.ManagedClient");
    assert_string_equal(e->message,
                        "com.example.OverClaim: Unsatisfied entitlements: com.apple.overclaim");
    assert_false(e->has_time);
    e = &c.events[1];
    assert_int_equal(e->pid, 661);
    assert_string_equal(e->type, "Debug");
    assert_string_equal(e->category, "staticCode");
    assert_string_equal(e->process, "syspolicyd");
    assert_string_equal(e->sender, "Security");
    assert_string_equal(e->message, "0x88d68d818 done serializing <?xml version=\"1.0\"?>");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_localized(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_console, "console_french_097.txt", &c);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.events[0].type, "Error");
    assert_string_equal(c.events[1].type, "Default");
    assert_string_equal(c.events[1].process, "kernel");
    assert_false(c.events[1].has_date);
    assert_true(c.events[1].has_offset);
    assert_int_equal(c.events[1].offset_min, 60);
    /* time of day only: microseconds from day 0, UTC */
    assert_int_equal(c.events[1].time_us, ((14 * 3600 + 21 * 60 + 33) - 3600) * 1000000LL + 302467);
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_console, "console_french.txt", &c);
    assert_int_equal(c.n, 6);
    static const char *const types[] = {"Default", "Error", "Debug", "Info", "Fault", "Fault"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(c.events[i].type, types[i]);
    assert_string_equal(c.events[4].message, "fault line\n\tcontinued with a tab");
    assert_string_equal(c.events[5].message, "grave line");
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_console, "console_chinese.txt", &c);
    assert_int_equal(c.n, 5);
    static const char *const zh[] = {"Default", "Error", "Info", "Debug", "Fault"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(c.events[i].type, zh[i]);
    assert_string_equal(c.events[1].process, "taskgated-helper");
    assert_int_equal(c.events[1].offset_min, 480);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_spaces_instead_of_tabs(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_console, "console_chinese_spaces_075.txt", &c);
    assert_int_equal(c.n, 5);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->type, "Error");
    assert_string_equal(e->process, "taskgated-helper");
    assert_string_equal(e->message,
                        "Disallowing com.apphousekitchen.aldente-pro.helper because no eligible "
                        "provisioning profiles found");
    assert_true(e->has_time);
    assert_int_equal(e->offset_min, 480);
    /* after a blank line, prose is its own event, not a continuation */
    e = &c.events[3];
    assert_string_equal(
        e->message, "I also see many repeated UI related errors from the main AlDente process:");
    assert_string_equal(e->type, "");
    assert_string_equal(e->process, "");
    assert_int_equal(c.summary.lines_meta, 1);
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_console, "console_spaces_072.txt", &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.events[0].type, ""); /* the markdown title line */
    e = &c.events[1];
    assert_string_equal(e->type, "Default");
    assert_string_equal(e->process, "kernel");
    assert_string_equal(
        e->message,
        "AMFI: allowing exception handler for 'mig-agent' (708) because the process is unsigned.");
    assert_int_equal(e->offset_min, -300);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_detail_form(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_console, "console_detail_015.txt", &c);
    assert_int_equal(c.n, 1);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->type, "Info");
    assert_string_equal(e->process, "syspolicyd");
    assert_string_equal(e->subsystem, "com.apple.syspolicy");
    assert_string_equal(e->category, "default");
    assert_string_equal(e->message,
                        "ticket not available: 2/2/8b7410713591e6c79ea98f0132136f0faa55d22a");
    assert_int_equal(e->line, 1);
    assert_int_equal(e->line_end, 6);
    assert_int_equal(e->time_us, civil_us(2022, 5, 11, 14, 57, 21, 812176, -420));
    assert_accounting(&c);
    capture_free(&c);

    /* two entries, the second with a multi-line message */
    run_reader_str(&te_reader_console,
                   "type: error\nprocess: amfid\nmessage: one\ntype: default\ntime: "
                   "2022-05-11 14:57:21.000000 -0700\nprocess: kernel\nmessage: two\n  more\n",
                   &c);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.events[0].message, "one");
    assert_string_equal(c.events[0].process, "amfid");
    assert_string_equal(c.events[1].message, "two\n  more");
    assert_string_equal(c.events[1].type, "Default");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_limits_and_garbage(void **state)
{
    (void)state;
    capture c;
    /* an endless continuation is cut at the record limit, lines counted */
    size_t lines = TE_MAX_RECORD_LINES + 50, cap = lines * 8 + 128;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t at = (size_t)snprintf(big, cap, "error\t10:00:00.000000+0000\tkernel\tstart\n");
    for (size_t i = 0; i < lines; i++)
        at += (size_t)snprintf(big + at, cap - at, "\tmore\n");
    at += (size_t)snprintf(big + at, cap - at, "info\t10:00:01.000000+0000\tamfid\tnext\n");
    run_reader(&te_reader_console, big, at, &c);
    free(big);
    assert_int_equal(c.n, 2);
    assert_true(c.summary.lines_cut > 0);
    assert_non_null(strstr(c.warnings, "too long"));
    assert_string_equal(c.events[1].message, "next");
    assert_accounting(&c);
    capture_free(&c);

    char junk[4096];
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (char)(seed >> 16);
    }
    run_reader(&te_reader_console, junk, sizeof junk, &c);
    assert_accounting(&c);
    capture_free(&c);
    run_reader_str(&te_reader_console, "\t\t\t\nerror\t\t\t\n默认\nerror 99:99:99 x y\n12 error\n",
                   &c);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
        "console_001.txt",        "console_099.txt",
        "console_chinese.txt",    "console_french.txt",
        "console_french_097.txt", "console_header.txt",
        "console_spaces_072.txt", "console_chinese_spaces_075.txt",
        "console_detail_015.txt", "console_pid_order.txt",
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        size_t len;
        char why[192];
        char *text = load_fixture(fixtures[i], &len);
        const char *name = detected_format(text, len, why, sizeof why);
        if (strcmp(name, "console") != 0)
            fail_msg("%s detected as %s (%s)", fixtures[i], name, why);
        free(text);
    }
    /* log show default style and syslog are not Console copies */
    assert_int_equal(sniff_score(&te_reader_console, "Timestamp                       Thread     "
                                                     "Type        Activity             PID    TTL\n"
                                                     "2024-01-10 14:36:03.306061-0800 0x1a2b     "
                                                     "Error       0x0                  123    0    "
                                                     "amfid: (libmis.dylib) x\n"
                                                     "2024-01-10 14:36:03.306100-0800 0x1a2b     "
                                                     "Default     0x0                  0      0    "
                                                     "kernel: AMFI: y\n"),
                     0);
    assert_int_equal(sniff_score(&te_reader_console,
                                 "2024-01-10 14:36:03.306061-0800  localhost kernel[0]: x\n"),
                     0);
    assert_int_equal(sniff_score(&te_reader_console, "1 error occurred in the build\n"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_columns), cmocka_unit_test(test_header_row),
        cmocka_unit_test(test_localized),       cmocka_unit_test(test_spaces_instead_of_tabs),
        cmocka_unit_test(test_detail_form),     cmocka_unit_test(test_limits_and_garbage),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
