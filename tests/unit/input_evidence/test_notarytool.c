/* Tests of the notarytool reader: the log JSON plain, behind a text prefix,
 * rcodesign-prefixed, fragments of the issues array, the submit result,
 * sniffing. */
#include "harness.h"

static void test_plain_log(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_notarytool, "notary_plain.json", &c);
    assert_int_equal(c.n, 3);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->message,
                        "status: Invalid, statusSummary: Archive contains critical validation "
                        "errors, statusCode: 4000, jobId: 4ba7c420-7444-44bc-a190-1bd4bad97b13, "
                        "archiveFilename: gon.zip");
    assert_string_equal(e->process, "notarytool");
    assert_string_equal(e->type, "tool");
    assert_true(e->has_time);
    assert_int_equal(e->time_us, civil_us(2019, 11, 6, 0, 54, 22, 0, 0));
    assert_string_equal(extra_of(e, "job_id"), "4ba7c420-7444-44bc-a190-1bd4bad97b13");
    assert_string_equal(extra_of(e, "status"), "Invalid");
    assert_string_equal(extra_of(e, "archive"), "gon.zip");
    assert_int_equal(e->line, 1);
    assert_int_equal(e->line_end, 29);
    assert_string_equal(c.events[1].message,
                        "issue: severity: error, path: gon.zip/foo, message: The binary is not "
                        "signed., architecture: x86_64");
    assert_string_equal(
        c.events[2].message,
        "issue: severity: error, path: gon.zip/foo, message: The signature does not "
        "include a secure timestamp., architecture: x86_64, docUrl: "
        "https://developer.apple.com/documentation/security/"
        "notarizing_macos_software_before_distribution/"
        "resolving_common_notarization_issues#3087733");
    assert_string_equal(extra_of(&c.events[1], "issue_path"), "gon.zip/foo");
    assert_null(extra_of(&c.events[1], "path")); /* not the executable's path */
    assert_int_equal(c.summary.lines_in_events, 29);
    assert_int_equal(c.n_warnings, 0);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_prefixed_and_rcodesign(void **state)
{
    (void)state;
    capture c;
    /* "Diagnostics from notarytool log: {" */
    run_fixture(&te_reader_notarytool, "notary_prefixed_023.txt", &c);
    assert_int_equal(c.n, 2);
    assert_non_null(
        strstr(c.events[0].message, "status: Invalid, statusSummary: Archive contains"));
    assert_non_null(
        strstr(c.events[1].message, "message: The signature of the binary is invalid."));
    assert_non_null(strstr(c.events[1].message, "architecture: arm64, docUrl: https://"));
    assert_int_equal(c.events[0].time_us, civil_us(2026, 4, 9, 17, 18, 59, 348000, 0));
    assert_accounting(&c);
    capture_free(&c);

    /* a whole log printed by rcodesign, with its status lines around */
    run_fixture(&te_reader_notarytool, "notary_rcodesign_full.txt", &c);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.events[0].message,
                        "Submission ID received: 5d3e1c22-aaaa-bbbb-cccc-1234567890ab");
    assert_string_equal(c.events[2].message,
                        "status: Accepted, statusSummary: Ready for distribution, statusCode: 0, "
                        "jobId: 5d3e1c22-aaaa-bbbb-cccc-1234567890ab, archiveFilename: App.zip");
    assert_int_equal(c.events[2].line, 3);
    assert_int_equal(c.events[2].time_us, civil_us(2025, 7, 13, 21, 28, 21, 147000, 0));
    assert_string_equal(c.events[3].message, "poll state after 5s: Accepted");
    assert_int_equal(c.n_warnings, 0);
    assert_accounting(&c);
    capture_free(&c);

    /* rcodesign output cut inside the issues: read line by line */
    run_fixture(&te_reader_notarytool, "notary_rcodesign_025.txt", &c);
    assert_non_null(strstr(c.warnings, "incomplete"));
    const captured_event *e = must_find(
        &c,
        "issue: severity: error, path: Notesnook.app.zip/Notesnook.app/Contents/MacOS/Notesnook, "
        "message: The signature of the binary is invalid.");
    assert_string_equal(e->message,
                        "issue: severity: error, path: "
                        "Notesnook.app.zip/Notesnook.app/Contents/MacOS/Notesnook, message: The "
                        "signature of the binary is invalid., architecture: x86_64");
    assert_non_null(must_find(
        &c,
        "issue: severity: error, path: Notesnook.app.zip/Notesnook.app/Contents/MacOS/Notesnook, "
        "message: The signature does not include a secure timestamp."));
    assert_non_null(must_find(&c, "archiveFilename: Notesnook.app.zip"));
    assert_string_equal(c.events[0].message, "poll state after 21s: InProgress");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_fragment_and_submit(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_notarytool, "notary_issues_026.txt", &c);
    assert_int_equal(c.n, 4);
    /* the fragment begins inside an issue: what it has is kept */
    assert_string_equal(c.events[0].message,
                        "issue: message: The binary is not signed with a valid Developer ID "
                        "certificate., architecture: x86_64");
    assert_string_equal(
        c.events[3].message,
        "issue: severity: error, path: "
        "Sukoh.zip/Sukoh.app/Contents/Frameworks/Mantle.framework/Versions/A/Mantle, "
        "message: The signature does not include a secure timestamp., "
        "architecture: x86_64");
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_notarytool, "notary_submit.json", &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.events[0].message,
                        "status: Invalid, statusSummary: Processing complete, jobId: "
                        "2efe2717-52ef-43a5-96dc-0797e4ca1041");
    assert_false(c.events[0].has_time);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_limits_and_garbage(void **state)
{
    (void)state;
    capture c;
    char deep[512];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"jobId\": \"x\", \"a\": ");
    for (unsigned i = 0; i < TE_MAX_JSON_DEPTH + 1; i++)
        deep[n++] = '[';
    for (unsigned i = 0; i < TE_MAX_JSON_DEPTH + 1; i++)
        deep[n++] = ']';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "}\n");
    run_reader(&te_reader_notarytool, deep, n, &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.summary.records_skipped, 1);
    assert_int_equal(c.summary.lines_cut, 1);
    assert_accounting(&c);
    capture_free(&c);

    char junk[4096];
    unsigned seed = 3;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (char)(seed >> 16);
    }
    junk[0] = '{';
    run_reader(&te_reader_notarytool, junk, sizeof junk, &c);
    assert_accounting(&c);
    capture_free(&c);
    run_reader_str(&te_reader_notarytool, "\"severity\":\n}\n}\n\"x\": [\n{\n\"path\": 5,\n", &c);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    static const char *const fixtures[] = {"notary_plain.json",        "notary_prefixed_023.txt",
                                           "notary_rcodesign_025.txt", "notary_rcodesign_full.txt",
                                           "notary_issues_026.txt",    "notary_submit.json"};
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        size_t len;
        char why[192];
        char *text = load_fixture(fixtures[i], &len);
        const char *name = detected_format(text, len, why, sizeof why);
        if (strcmp(name, "notarytool") != 0)
            fail_msg("%s detected as %s (%s)", fixtures[i], name, why);
        free(text);
    }
    assert_int_equal(
        sniff_score(&te_reader_notarytool,
                    "{\"bug_type\":\"309\",\"app_name\":\"x\"}\n{\"procName\":\"x\"}\n"),
        0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_log),
        cmocka_unit_test(test_prefixed_and_rcodesign),
        cmocka_unit_test(test_fragment_and_submit),
        cmocka_unit_test(test_limits_and_garbage),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
