/* Tests of the tool-output reader: shell prompts, the process of output
 * lines, dyld lines with continuations, quoting, sniffing. */
#include "harness.h"

static void test_prompts(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_tool_output, "tool_prompts.txt", &c);
    assert_int_equal(c.n, 13);
    const captured_event *e = &c.events[0];
    assert_string_equal(e->type, "command");
    assert_string_equal(e->message,
                        "codesign --verify --deep --strict --verbose=2 /Applications/Example.app");
    assert_string_equal(e->process, "codesign");
    e = &c.events[1];
    assert_string_equal(e->type, "tool");
    assert_string_equal(e->process, "codesign");
    assert_string_equal(e->message,
                        "/Applications/Example.app: a sealed resource is missing or invalid");
    assert_string_equal(extra_of(e, "tool"), "codesign");
    assert_string_equal(c.events[2].process, "codesign");
    /* ❯ prompt, xcrun runs stapler */
    e = &c.events[3];
    assert_string_equal(e->type, "command");
    assert_string_equal(e->message, "xcrun stapler validate /Applications/Example.app");
    assert_string_equal(e->process, "stapler");
    assert_string_equal(c.events[5].message, "Example.app does not have a ticket stapled to it.");
    assert_string_equal(c.events[5].process, "stapler");
    /* bash-3.2$ ./Example: an unknown program; its dyld line names itself */
    e = &c.events[6];
    assert_string_equal(e->type, "command");
    assert_string_equal(e->message, "./Example");
    e = &c.events[7];
    assert_string_equal(e->process, "dyld");
    assert_int_equal(e->pid, 5123);
    assert_string_equal(extra_of(e, "pid"), "5123");
    assert_int_equal(e->line, 8);
    assert_int_equal(e->line_end, 10);
    assert_true(
        strncmp(e->message, "dyld[5123]: Library not loaded: @rpath/Sparkle.framework", 56) == 0);
    assert_non_null(strstr(e->message, "\n  Referenced from: <4C4C44F1"));
    assert_non_null(strstr(e->message, "\n  Reason: tried: '"));
    assert_non_null(strstr(e->message, "have different Team IDs)"));
    e = &c.events[8];
    assert_string_equal(e->message, "zsh: abort      ./Example");
    assert_string_equal(e->process, "");
    /* $ sudo spctl ... */
    e = &c.events[9];
    assert_string_equal(e->type, "command");
    assert_string_equal(e->process, "spctl");
    assert_string_equal(e->message,
                        "sudo spctl --assess --type execute -vv /Applications/Example.app");
    assert_string_equal(c.events[10].message, "/Applications/Example.app: rejected");
    assert_string_equal(c.events[11].message, "source=Unnotarized Developer ID");
    assert_string_equal(c.events[12].process, "spctl");
    assert_int_equal(c.summary.lines_in_events, 15);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_corpus_shapes(void **state)
{
    (void)state;
    capture c;
    run_fixture(&te_reader_tool_output, "tool_codesign_016.txt", &c);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.events[0].message, "codesign -v -vvv --strict --deep \"Munged.app\"");
    assert_string_equal(c.events[3].message,
                        "file modified: …/Munged.app/Contents/Resources/names/Morgan.txt");
    assert_string_equal(c.events[3].process, "codesign");
    assert_accounting(&c);
    capture_free(&c);

    /* "$ macOSLAPS / Killed: 9", markdown fences, then codesign */
    run_fixture(&te_reader_tool_output, "tool_killed_032.txt", &c);
    assert_string_equal(c.events[0].message, "macOSLAPS");
    assert_string_equal(c.events[1].message, "Killed: 9");
    assert_string_equal(c.events[1].process, "");
    const captured_event *e = must_find(&c, "/usr/local/laps/macOSLAPS: CSSMERR_TP_CERT_REVOKED");
    assert_string_equal(e->process, "codesign");
    assert_string_equal(e->type, "tool");
    assert_int_equal(c.summary.lines_meta, 4); /* 2 fences + 2 blanks */
    assert_accounting(&c);
    capture_free(&c);

    /* syspolicy_check: indented lines continue the "Codesign Error" event */
    run_fixture(&te_reader_tool_output, "tool_syspolicy_090.txt", &c);
    assert_string_equal(c.events[0].process, "syspolicy_check");
    assert_string_equal(c.events[0].message,
                        "sudo syspolicy_check distribution /Applications/Santa.app");
    e = must_find(&c, "Codesign Error");
    assert_string_equal(e->process, "syspolicy_check");
    assert_non_null(strstr(e->message, "\n    Full Error: Gatekeeper rejected this file."));
    assert_non_null(strstr(e->message, "\n    Type: Notary Error"));
    assert_accounting(&c);
    capture_free(&c);

    /* dyld on stderr without a prompt */
    run_fixture(&te_reader_tool_output, "tool_dyld_010.txt", &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.events[0].process, "dyld");
    assert_int_equal(c.events[0].pid, 41144);
    assert_int_equal(c.events[0].line_end, 3);
    assert_accounting(&c);
    capture_free(&c);

    /* user@host ~ % prompts, and quoted ("> ") commands */
    run_fixture(&te_reader_tool_output, "tool_spctl_125.txt", &c);
    assert_string_equal(c.events[0].type, "command");
    assert_string_equal(c.events[0].process, "spctl");
    assert_string_equal(c.events[2].message, "source=no usable signature");
    assert_string_equal(c.events[2].process, "spctl");
    assert_string_equal(c.events[3].message, "[...]");
    assert_accounting(&c);
    capture_free(&c);

    run_fixture(&te_reader_tool_output, "tool_quoted_027.txt", &c);
    assert_string_equal(c.events[0].type, "command");
    assert_string_equal(c.events[0].message, "spctl -a KnightTouchBar2000.app");
    assert_string_equal(c.events[1].message, "> KnightTouchBar2000.app: CSSMERR_TP_CERT_REVOKED");
    assert_string_equal(c.events[1].process, "spctl");
    e = must_find(&c, "ocsptool --ask");
    assert_string_equal(e->type, "command");
    assert_accounting(&c);
    capture_free(&c);

    /* "$ echo $?" style prompts with unknown programs, blank lines */
    run_fixture(&te_reader_tool_output, "tool_shell_105.txt", &c);
    e = must_find(&c, "kulala-core-darwin-arm64: invalid signature");
    assert_string_equal(e->process, "codesign");
    e = must_find(&c, "chmod +x");
    assert_string_equal(e->type, "command");
    e = must_find(&c, "137");
    assert_string_equal(e->process, "");
    assert_accounting(&c);
    capture_free(&c);
}

static void test_wording_and_prefixes(void **state)
{
    (void)state;
    capture c;
    run_reader_str(
        &te_reader_tool_output,
        "rejected (the code is valid but does not seem to be an app)\n"
        "origin=Developer ID Application: X\n"
        "kernel: AMFI: code signature validation failed.\n"
        "taskgated-helper[77]: x: Unsatisfied entitlements: y\n"
        "Warning: binary contains an invalid entitlements blob. The OS will ignore these "
        "entitlements.\n",
        &c);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.events[0].process, "spctl");
    assert_string_equal(c.events[1].process, "spctl");
    assert_string_equal(c.events[2].process, "kernel");
    assert_string_equal(c.events[2].message, "AMFI: code signature validation failed.");
    assert_string_equal(c.events[3].process, "taskgated-helper");
    assert_int_equal(c.events[3].pid, 77);
    assert_string_equal(c.events[3].message, "x: Unsatisfied entitlements: y");
    assert_string_equal(c.events[4].process, "codesign");
    assert_accounting(&c);
    capture_free(&c);

    /* prose with a percent sign or "$" is not a prompt */
    run_reader_str(&te_reader_tool_output,
                   "Upload progress: 100.00% (116 MB of 116 MB)\nIt costs 5$ a month\n"
                   "codesign is failing for me\n",
                   &c);
    for (size_t i = 0; i < c.n; i++)
        assert_string_equal(c.events[i].type, "tool");
    assert_accounting(&c);
    capture_free(&c);

    char junk[4096];
    unsigned seed = 11;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (char)(seed >> 16);
    }
    run_reader(&te_reader_tool_output, junk, sizeof junk, &c);
    assert_accounting(&c);
    capture_free(&c);
    run_reader_str(&te_reader_tool_output, "$ \n% \n❯ \n➜ \n> \n>\n dyld[\nx[1]:\n", &c);
    assert_accounting(&c);
    capture_free(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
        "tool_codesign_016.txt",  "tool_killed_032.txt", "tool_shell_105.txt",  "tool_dyld_010.txt",
        "tool_syspolicy_090.txt", "tool_spctl_125.txt",  "tool_quoted_027.txt", "tool_prompts.txt",
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        size_t len;
        char why[192];
        char *text = load_fixture(fixtures[i], &len);
        const char *name = detected_format(text, len, why, sizeof why);
        if (strcmp(name, "tool-output") != 0)
            fail_msg("%s detected as %s (%s)", fixtures[i], name, why);
        free(text);
    }
    /* prose with one tool line is left to the loose reader */
    assert_int_equal(sniff_score(&te_reader_tool_output,
                                 "We tried many things.\nNothing helped.\nThe app says it is "
                                 "damaged.\nspctl said: x: rejected\nAny idea?\n"),
                     0);
    assert_int_equal(sniff_score(&te_reader_tool_output, "$ codesign -dv x\n"), 65);
    /* a log capture that quotes a command is left to the log readers */
    assert_int_equal(sniff_score(&te_reader_tool_output,
                                 "$ log show --last 5m\n"
                                 "2024-01-10 14:36:03.306061-0800 0x1 Error 0x0 1 0 amfid: x\n"
                                 "2024-01-10 14:36:03.306100-0800 0x1 Default 0x0 0 0 kernel: "
                                 "dyld[5]: y\n"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prompts),
        cmocka_unit_test(test_corpus_shapes),
        cmocka_unit_test(test_wording_and_prefixes),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
