/* Tests of the text crash-report reader: one event per non-blank line with
 * the report's identity, several reports per file, lines around reports,
 * sniffing. */
#include "harness.h"

static void test_legacy_report(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_text, "crash_legacy_004.txt", &c);
    assert_int_equal(c.n, 19); /* 26 lines, 7 blank */
    assert_int_equal(c.summary.lines_meta, 7);
    for (size_t i = 0; i < c.n; i++) {
        const captured_event *e = &c.events[i];
        assert_string_equal(e->type, "crash");
        assert_string_equal(e->process, "Uncrustifier");
        assert_int_equal(e->pid, 1221);
        assert_int_equal(e->line, e->line_end);
        assert_true(e->has_time);
        assert_int_equal(e->time_us, civil_us(2016, 9, 29, 10, 31, 49, 975000, -180));
        assert_int_equal(e->offset_min, -180);
        assert_string_equal(extra_of(e, "pid"), "1221");
        assert_string_equal(extra_of(e, "path"),
                            "/Volumes/VOLUME/*/Uncrustifier.app/Contents/MacOS/Uncrustifier");
        assert_string_equal(extra_of(e, "bundle_id"), "com.yieldmo.dev.Uncrustifier");
        assert_string_equal(extra_of(e, "parent"), "???");
        assert_string_equal(extra_of(e, "responsible"), "Uncrustifier");
        assert_string_equal(extra_of(e, "report"), "text");
    }
    /* the first line gets the time printed further down */
    assert_string_equal(c.events[0].message, "Process:               Uncrustifier [1221]");
    const captured_event *e = must_find(&c, "Exception Type:");
    assert_string_equal(e->message, "Exception Type:        EXC_CRASH (Code Signature Invalid)");
    assert_int_equal(e->line, 22);
    assert_string_equal(c.events[c.n - 1].message,
                        "Termination Reason:    Namespace CODESIGNING, Code 0x1");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_translated_report(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_text, "crash_translated_067.txt", &c);
    const captured_event *e = must_find(&c, "Termination Reason:");
    assert_string_equal(e->message,
                        "Termination Reason: CODESIGNING 1"); /* trailing space trimmed */
    assert_string_equal(e->process, "Glance");
    assert_int_equal(e->pid, 24942);
    assert_string_equal(extra_of(e, "parent"), "launchd");
    assert_int_equal(e->time_us, civil_us(2021, 10, 27, 15, 24, 9, 124800, 120));
    e = must_find(&c, "0 ");
    assert_string_equal(e->message,
                        "0                                 \t       0x11c99aac0 _dyld_start + 0");
    assert_string_equal(e->type, "crash");
    assert_string_equal(must_find(&c, "Translated Report")->type, "crash");
    assert_accounting(&c);
    capture_free(&c);

    /* the JSON full report after the banner is the same report: meta */
    run_reader_str(
        &te_reader_crash_text,
        "Process:             A [1]\nException Type:  EXC_CRASH (SIGKILL)\n\n"
        "-----------\nFull Report\n-----------\n\n{\"app_name\":\"A\"}\n{\n\"x\": 1\n}\n",
        &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.events[2].message, "-----------");
    assert_int_equal(c.summary.lines_meta, 8);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_lines_around_reports(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_text, "crash_prose_041.txt", &c);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->message, "node-webkit Help(21572) deny forbidden-sandbox-reinit");
    assert_string_equal(e->type, "");
    assert_string_equal(e->process, "");
    assert_int_equal(e->n_extra, 0);
    e = must_find(&c, "1   libsystem_secinit.dylib");
    assert_string_equal(e->process, "node-webkit Help");
    assert_int_equal(e->pid, 21572);
    assert_string_equal(extra_of(e, "bundle_id"), "com.intel.nw.helper");
    assert_string_equal(extra_of(e, "parent"), "node-webkit");
    assert_accounting(&c);
    capture_free(&c);

    /* a Console row before a sandbox report keeps its columns */
    run_fixture(&te_reader_crash_text, "crash_console_062.txt", &c);
    e = &c.events[0];
    assert_string_equal(e->process, "sandboxd");
    assert_string_equal(e->type, "Error");
    assert_string_equal(
        e->message,
        "Sandbox: Code - Insiders Helper (GPU)(2330) deny(1) mach-lookup com.apple.tccd.system");
    assert_false(e->has_date);
    e = must_find(&c, "Path:");
    assert_string_equal(e->process, "Code - Insiders Helper (GPU)");
    assert_int_equal(e->pid, 2330);
    assert_non_null(strstr(extra_of(e, "path"), "/AppTranslocation/"));
    assert_int_equal(e->offset_min, 480); /* GMT+8 */
    assert_int_equal(e->time_us, civil_us(2022, 11, 22, 10, 23, 2, 700000, 480));
    assert_accounting(&c);
    capture_free(&c);

    /* fragment + prose + codesign output */
    run_fixture(&te_reader_crash_text, "crash_fragment_128.txt", &c);
    e = must_find(&c, "Termination Reason:");
    assert_string_equal(e->type, "crash");
    assert_string_equal(e->process, ""); /* no Process: line in this fragment */
    e = must_find(&c, "I did the following checks:");
    assert_string_equal(e->type, "");
    e = must_find(&c, "/Applications/myApp.app: valid on disk");
    assert_string_equal(e->type, "");
    assert_int_equal(e->n_extra, 0);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_two_reports(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_text, "crash_two_reports.txt", &c);
    assert_string_equal(c.events[0].message, "Here are the two crash reports I got:");
    assert_string_equal(c.events[0].type, "");
    const captured_event *e = must_find(&c, "Notes:");
    assert_string_equal(e->message, "Notes:                 Translocated Process");
    assert_string_equal(e->process, "First");
    e = must_find(&c, "0   dyld");
    assert_string_equal(e->process, "First");
    assert_int_equal(e->pid, 100);
    assert_int_equal(e->time_us, civil_us(2022, 11, 22, 10, 23, 2, 700000, 480));
    assert_string_equal(extra_of(e, "responsible"), "First");
    e = must_find(&c, "Process:               Second");
    assert_string_equal(e->process, "Second");
    assert_int_equal(e->pid, 200);
    assert_null(extra_of(e, "parent"));
    e = must_find(&c, "Sandbox registration failed");
    assert_string_equal(e->process, "Second");
    assert_string_equal(e->type, "crash");
    e = must_find(&c, "0   libsystem_secinit.dylib");
    assert_non_null(strstr(e->message, "_libsecinit_appsandbox.cold.1 + 46"));
    assert_string_equal(extra_of(e, "bundle_id"), "com.example.second");
    assert_int_equal(e->time_us, civil_us(2016, 9, 29, 10, 31, 49, 975000, -180));
    e = must_find(&c, "Any idea?");
    assert_string_equal(e->type, "");
    assert_string_equal(e->process, "");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_dyld_block_and_frames(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_text, "crash_dyld_083.txt", &c);
    const captured_event *e = must_find(&c, "Reason: tried:");
    assert_string_equal(e->type, "crash");
    assert_string_equal(e->process, "23333-app");
    assert_non_null(strstr(e->message, "different Team IDs"));
    assert_string_equal(must_find(&c, "Termination Reason:")->message,
                        "Termination Reason: Namespace DYLD, Code 1 Library missing");
    assert_string_equal(must_find(&c, "Library not loaded:")->type, "crash");
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_crash_text, "crash_frames_043.txt", &c);
    e = must_find(&c, "1  libsystem_secinit.dylib");
    assert_string_equal(e->message, "1  libsystem_secinit.dylib  _libsecinit_appsandbox + 1945");
    assert_string_equal(e->type, "crash");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_limits_and_garbage(void **state)
{
    (void)state;
    capture c;
    /* a very long report is released in parts, nothing is lost */
    size_t lines = TE_MAX_RECORD_LINES + 100, cap = lines * 64 + 256;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t at = (size_t)snprintf(big, cap, "Process:   Long [5]\nThread 0 Crashed:\n");
    for (size_t i = 0; i < lines; i++)
        at += (size_t)snprintf(big + at, cap - at, "%zu   libfoo.dylib   0x1 foo + %zu\n", i % 999,
                               i);
    at += (size_t)snprintf(big + at, cap - at, "Date/Time: 2020-01-01 00:00:00.000 +0000\n");
    run_reader(&te_reader_crash_text, big, at, &c);
    free(big);
    assert_int_equal(c.n, lines + 3);
    assert_string_equal(c.events[c.n - 1].process, "Long");
    assert_true(c.events[c.n - 1].has_time);
    assert_accounting(&c);
    capture_free(&c);

    char junk[4096];
    unsigned seed = 99;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (char)(seed >> 16);
    }
    run_reader(&te_reader_crash_text, junk, sizeof junk, &c);
    assert_accounting(&c);
    capture_free(&c);
    run_reader_str(&te_reader_crash_text, "Process: [\nProcess: x []\nPath:\nThread 9\n0 \n\t\n",
                   &c);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    static const char *const fixtures[] = {"crash_legacy_004.txt", "crash_translated_067.txt",
                                           "crash_prose_041.txt",  "crash_console_062.txt",
                                           "crash_dyld_083.txt",   "crash_fragment_128.txt",
                                           "crash_frames_043.txt", "crash_two_reports.txt"};
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        size_t len;
        char why[192];
        char *text = load_fixture(fixtures[i], &len);
        const char *name = detected_format(text, len, why, sizeof why);
        if (strcmp(name, "crash-text") != 0)
            fail_msg("%s detected as %s (%s)", fixtures[i], name, why);
        free(text);
    }
    assert_int_equal(sniff_score(&te_reader_crash_text,
                                 "Process:               X [1]\nException Type:  EXC_CRASH\n"),
                     92);
    /* one crash line among prose is left to the loose reader */
    assert_int_equal(sniff_score(&te_reader_crash_text,
                                 "I see this\nand that\nand more\nTermination Reason: Namespace "
                                 "CODESIGNING, Code 0x1\nthen\nnothing\n"),
                     0);
    assert_int_equal(sniff_score(&te_reader_crash_text,
                                 "2024-01-10 14:36:03.306061-0800 0x1 Default 0x0 0 0 kernel: "
                                 "Process: x\n"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_report),
        cmocka_unit_test(test_translated_report),
        cmocka_unit_test(test_lines_around_reports),
        cmocka_unit_test(test_two_reports),
        cmocka_unit_test(test_dyld_block_and_frames),
        cmocka_unit_test(test_limits_and_garbage),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
