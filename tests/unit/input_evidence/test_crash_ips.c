/* Tests of the .ips reader: rendering into translated-report lines, identity
 * extras, other bug types, fragments, truncated bodies, limits, sniffing. */
#include "harness.h"

static void test_full_report(void **state)
{
    (void)state;
    size_t len;
    char *text = load_fixture("ips_full.ips", &len);
    char why[192];
    assert_string_equal(detected_format(text, len, why, sizeof why), "crash-ips");
    capture c;
    run_reader(&te_reader_crash_ips, text, len, &c);
    free(text);

    static const char *const expected[] = {
        "Process:               Helper [4242]",
        "Path:                  /Applications/Example.app/Contents/MacOS/Helper",
        "Identifier:            com.example.helper",
        "Version:               1.2 (7)",
        "Parent Process:        launchd [1]",
        "Responsible:           Helper [4242]",
        "Date/Time:             2025-09-15 08:13:39.6857 -0700",
        "Launch Time:           2025-09-15 08:13:39.6512 -0700",
        "OS Version:            macOS 14.6.1 (23G93)",
        "Code Type:             ARM-64 (Native)",
        "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))",
        "Exception Codes:       0x0000000000000000, 0x0000000000000000",
        "Termination Reason:    Namespace CODESIGNING, Code 1 Taskgated Invalid Signature",
        "Code Signing ID:",
        "Code Signing Team ID:",
        "Code Signing Flags:    0x22000001 (CS_VALID, CS_DYLD_PLATFORM, CS_SIGNED)",
        "Code Signing Validation Category: 0",
        "Code Signing Trust Level: 4294967295",
        "Thread 0 Crashed:",
        "0   dyld   _dyld_start + 0",
    };
    assert_int_equal(c.n, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < c.n; i++) {
        const captured_event *e = &c.events[i];
        assert_string_equal(e->message, expected[i]);
        assert_string_equal(e->type, "crash");
        assert_string_equal(e->process, "Helper");
        assert_int_equal(e->pid, 4242);
        assert_int_equal(e->line, 1);
        assert_int_equal(e->line_end, 74);
        assert_true(e->has_time);
        assert_true(e->has_date);
        assert_int_equal(e->offset_min, -420);
        assert_int_equal(e->time_us, civil_us(2025, 9, 15, 8, 13, 39, 685700, -420));
        assert_string_equal(extra_of(e, "pid"), "4242");
        assert_string_equal(extra_of(e, "path"), "/Applications/Example.app/Contents/MacOS/Helper");
        assert_string_equal(extra_of(e, "bundle_id"), "com.example.helper");
        assert_string_equal(extra_of(e, "parent"), "launchd");
        assert_string_equal(extra_of(e, "responsible"), "Helper");
        assert_string_equal(extra_of(e, "report"), "ips");
        assert_null(extra_of(e, "team_id")); /* empty strings are not extras */
    }
    assert_int_equal(c.summary.lines_in_events, 74);
    assert_int_equal(c.n_warnings, 0);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_flags_and_termination_forms(void **state)
{
    (void)state;
    capture c;
    /* a jq projection: exception as a string, termination without details */
    run_reader_str(&te_reader_crash_ips,
                   "{\"pid\":37930,\"exception\":\"SIGKILL (Code Signature Invalid)\",\n"
                   " \"termination\":{\"flags\":66,\"code\":4,\"namespace\":\"CODESIGNING\","
                   "\"indicator\":\"Launch Constraint Violation\"},\n"
                   " \"codeSigningFlags\":587281237}\n",
                   &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.events[0].message,
                        "Exception Type:        SIGKILL (Code Signature Invalid)");
    assert_string_equal(c.events[1].message,
                        "Termination Reason:    Namespace CODESIGNING, Code 4 Launch Constraint "
                        "Violation");
    /* 0x23013355: 0x40 has no name and is printed as a bit */
    assert_string_equal(c.events[2].message,
                        "Code Signing Flags:    0x23013355 (CS_VALID, CS_GET_TASK_ALLOW, "
                        "CS_FORCED_LV, CS_HARD, CS_KILL, CS_ENFORCEMENT, CS_REQUIRE_LV, "
                        "CS_RUNTIME, CS_KILLED, CS_DYLD_PLATFORM, CS_SIGNED, 0x40)");
    assert_int_equal(c.events[0].pid, 37930);
    assert_int_equal(c.events[0].line, 1);
    assert_int_equal(c.events[0].line_end, 3);
    assert_accounting(&c);
    capture_free(&c);

    /* a body on one line (re-serialized) has a bug_type too: still a body */
    run_reader_str(&te_reader_crash_ips,
                   "{\"bug_type\":\"309\",\"name\":\"X\"}\n"
                   "{\"bug_type\":\"309\",\"procName\":\"X\",\"pid\":5,"
                   "\"termination\":{\"namespace\":\"CODESIGNING\",\"code\":2}}\n",
                   &c);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.events[1].message,
                        "Termination Reason:    Namespace CODESIGNING, Code 2");
    assert_int_equal(c.events[1].line, 1);
    assert_int_equal(c.events[1].line_end, 2);
    assert_int_equal(c.n_warnings, 0);
    assert_accounting(&c);
    capture_free(&c);

    /* DYLD namespace with details and reasons, and asi */
    run_reader_str(&te_reader_crash_ips,
                   "{\"procName\":\"App\",\"termination\":{\"code\":1,\"flags\":518,"
                   "\"namespace\":\"DYLD\",\"indicator\":\"Library missing\","
                   "\"details\":[\"(terminated at launch; ignore backtrace)\"],"
                   "\"reasons\":[\"Library not loaded: @rpath\\/X.framework\\/X\","
                   "\"Reason: tried: '\\/a\\/X' (mapping process and mapped file (non-platform) "
                   "have different Team IDs)\"]},"
                   "\"asi\":{\"libsystem_c.dylib\":[\"abort() called\"]},"
                   "\"codeSigningFlags\":0}\n",
                   &c);
    assert_non_null(must_find(&c, "Termination Reason:    Namespace DYLD, Code 1 Library missing"));
    assert_non_null(
        must_find(&c, "Termination Details:   (terminated at launch; ignore backtrace)"));
    assert_non_null(
        must_find(&c, "Termination Reasons:   Library not loaded: @rpath/X.framework/X"));
    assert_non_null(must_find(&c, "Termination Reasons:   Reason: tried: '/a/X' (mapping process"));
    assert_non_null(must_find(&c, "Application Specific Information: abort() called"));
    assert_non_null(must_find(&c, "Code Signing Flags:    0x00000000"));
    assert_string_equal(c.events[0].process, "App");
    assert_int_equal(c.events[0].pid, -1);
    capture_free(&c);
}

static void test_other_bug_type_skipped(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_ips, "ips_other_then_crash.ips", &c);
    assert_int_equal(c.summary.reports_skipped, 1);
    assert_non_null(strstr(c.warnings, "1: report of bug_type 288"));
    /* the stackshot's header and text body are meta, the crash is read */
    assert_int_equal(c.summary.lines_meta, 4);
    assert_int_equal(c.summary.lines_in_events, 2);
    const captured_event *e = must_find(&c, "Termination Reason:");
    assert_string_equal(e->message,
                        "Termination Reason:    Namespace CODESIGNING, Code 2 Invalid Page");
    assert_int_equal(e->line, 5);
    assert_int_equal(e->line_end, 6);
    assert_string_equal(extra_of(e, "bundle_id"), "org.example.tool"); /* from the header */
    assert_string_equal(must_find(&c, "Kernel Triage:")->message,
                        "Kernel Triage:         VM - (arg = 0x0) Code Signing: Invalid Page");
    assert_string_equal(must_find(&c, "Exception Subtype:")->message,
                        "Exception Subtype:     UNKNOWN_0x32 at 0x0000000100e08000");
    assert_int_equal(e->time_us, civil_us(2025, 3, 1, 10, 5, 0, 123400, 60));
    assert_accounting(&c);
    capture_free(&c);
}

static void test_truncated_body(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_ips, "ips_truncated.ips", &c);
    assert_non_null(strstr(c.warnings, "11: crash report JSON begun at line 2 breaks off"));
    const captured_event *e =
        must_find(&c, "Termination Reason:    Namespace CODESIGNING, Code 1 Taskgated Invalid");
    assert_string_equal(e->process, "Broken");
    assert_int_equal(e->pid, 901);
    assert_int_equal(e->line, 1);
    assert_int_equal(e->line_end, 11);
    assert_string_equal(must_find(&c, "Notes:")->message,
                        "Notes:                 Translocated Process");
    assert_int_equal(find_event(&c, "Thread"), -1); /* the broken member is left out */
    assert_int_equal(c.summary.lines_in_events, 11);
    assert_accounting(&c);
    capture_free(&c);

    /* nothing recoverable: counted as not understood, no crash */
    run_reader_str(&te_reader_crash_ips, "{\n  \"procName\" : \"X\n", &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.summary.lines_not_understood, 2);
    assert_true(c.n_warnings >= 1);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_fragments(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_ips, "ips_fragment_017.txt", &c);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.events[0].message,
                        "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))");
    assert_string_equal(
        c.events[1].message,
        "Termination Reason:    Namespace CODESIGNING, Launch Constraint Violation");
    assert_int_equal(c.events[1].line, 1);
    assert_int_equal(c.events[1].line_end, 4);
    assert_false(c.events[1].has_time);
    assert_accounting(&c);
    capture_free(&c);

    /* members without the outer braces */
    run_fixture(&te_reader_crash_ips, "ips_fragment_066.txt", &c);
    const captured_event *e = must_find(&c, "Code Signing Flags:");
    assert_string_equal(e->message, "Code Signing Flags:    0x01000000 (CS_KILLED)");
    assert_string_equal(e->process, "AyuGram");
    assert_string_equal(extra_of(e, "bundle_id"), "one.ayugram.AyuGramDesktop");
    assert_string_equal(extra_of(e, "path"),
                        "/Users/USER/Desktop/AyuGram.app/Contents/MacOS/AyuGram");
    assert_true(e->has_time); /* procLaunch when there is no captureTime */
    assert_int_equal(e->time_us, civil_us(2026, 1, 30, 19, 30, 22, 372400, 660));
    assert_non_null(must_find(&c, "Code Signing Trust Level: 4294967295"));
    assert_accounting(&c);
    capture_free(&c);
}

static void test_mixed_with_shell(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_crash_ips, "ips_mixed_103.txt", &c);
    assert_string_equal(c.events[0].message, "$ fleet --version");
    assert_string_equal(c.events[0].type, "");
    assert_string_equal(must_find(&c, "Termination Reason:")->message,
                        "Termination Reason:    Namespace CODESIGNING, Invalid Page");
    assert_string_equal(must_find(&c, "Exception Type:")->message,
                        "Exception Type:        EXC_BAD_ACCESS (SIGKILL (Code Signature Invalid))");
    const captured_event *e = must_find(&c, "./fleet: invalid signature");
    assert_int_equal(e->line, 20);
    assert_string_equal(e->type, "");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_limits_and_garbage(void **state)
{
    (void)state;
    capture c;
    /* nesting deeper than TE_MAX_JSON_DEPTH */
    char deep[1024];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"procName\":\"X\",\"a\":");
    for (unsigned i = 0; i < TE_MAX_JSON_DEPTH + 5; i++)
        deep[n++] = '[';
    for (unsigned i = 0; i < TE_MAX_JSON_DEPTH + 5; i++)
        deep[n++] = ']';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "}\nafter\n");
    run_reader(&te_reader_crash_ips, deep, n, &c);
    assert_int_equal(c.summary.records_skipped, 1);
    assert_int_equal(c.summary.lines_cut, 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.events[0].message, "after");
    assert_accounting(&c);
    capture_free(&c);

    /* a record over TE_MAX_RECORD_BYTES is skipped, the next one read */
    size_t lines = TE_MAX_RECORD_BYTES / 1000 + 10, cap = lines * 1100 + 1024;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t at = (size_t)snprintf(big, cap, "{\n");
    for (size_t i = 0; i < lines; i++) {
        at += (size_t)snprintf(big + at, cap - at, "  \"k%zu\" : \"", i);
        memset(big + at, 'x', 1000);
        at += 1000;
        at += (size_t)snprintf(big + at, cap - at, "\",\n");
    }
    at += (size_t)snprintf(big + at, cap - at,
                           "  \"procName\" : \"Big\"\n}\n{\"procName\":\"Next\"}\n");
    run_reader(&te_reader_crash_ips, big, at, &c);
    free(big);
    assert_int_equal(c.summary.records_skipped, 1);
    assert_int_equal(c.summary.lines_cut, lines + 3);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.events[0].message, "Process:               Next");
    assert_non_null(strstr(c.warnings, "is over"));
    assert_accounting(&c);
    capture_free(&c);

    /* garbage: never crashes, every line counted */
    char junk[4096];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (char)(seed >> 16);
    }
    junk[0] = '{';
    run_reader(&te_reader_crash_ips, junk, sizeof junk, &c);
    assert_accounting(&c);
    capture_free(&c);
    run_reader_str(&te_reader_crash_ips, "\"a\" : {\n\"b\" : [1,\n}\n\"x\":\n]]]]\n{{{{\n", &c);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    size_t len;
    char *text = load_fixture("ips_full.ips", &len);
    text[len > 4000 ? 4000 : len] = '\0';
    assert_int_equal(sniff_score(&te_reader_crash_ips, text), 95);
    assert_int_equal(sniff_score(&te_reader_notarytool, text), 0);
    assert_int_equal(sniff_score(&te_reader_crash_text, text), 0);
    assert_int_equal(sniff_score(&te_reader_console, text), 0);
    free(text);
    static const char *const fragments[] = {"ips_fragment_017.txt", "ips_fragment_066.txt",
                                            "ips_mixed_103.txt", "ips_other_then_crash.ips",
                                            "ips_truncated.ips"};
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        char why[192];
        text = load_fixture(fragments[i], &len);
        const char *name = detected_format(text, len, why, sizeof why);
        if (strcmp(name, "crash-ips") != 0)
            fail_msg("%s detected as %s (%s)", fragments[i], name, why);
        free(text);
    }
    assert_int_equal(sniff_score(&te_reader_crash_ips,
                                 "2024-01-10 14:36:03.306061-0800 0x1 Default 0x0 0 0 kernel: x\n"),
                     0);
    assert_int_equal(
        sniff_score(&te_reader_crash_ips, "{\"jobId\": \"x\", \"status\": \"Invalid\"}\n"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_report),
        cmocka_unit_test(test_flags_and_termination_forms),
        cmocka_unit_test(test_other_bug_type_skipped),
        cmocka_unit_test(test_truncated_body),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_mixed_with_shell),
        cmocka_unit_test(test_limits_and_garbage),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
