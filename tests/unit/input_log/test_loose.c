/* Tests of the loose reader on snippets shaped like the corpus: pasted
 * tickets, quoted log lines, legacy syslog, Console.app copies, crash-report
 * lines, shell prompts. */
#include "collect.h"

extern const te_reader_ops te_reader_loose;

static char *to_crlf(const char *text)
{
    size_t n = strlen(text), lf = 0;
    for (size_t i = 0; i < n; i++)
        lf += text[i] == '\n';
    char *out = malloc(n + lf + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') *o++ = '\r';
        *o++ = text[i];
    }
    *o = '\0';
    return out;
}

/* Whole, byte by byte, and CRLF runs must agree. */
static collector *run(const char *text)
{
    collector *ref = collect_text(&te_reader_loose, text);
    assert_accounting(ref);
    char *crlf = to_crlf(text);
    collector *v[2] = {collect_run(&te_reader_loose, text, strlen(text), 1),
                       collect_run(&te_reader_loose, crlf, strlen(crlf), 3)};
    for (int k = 0; k < 2; k++) {
        assert_accounting(v[k]);
        assert_int_equal(v[k]->n, ref->n);
        for (size_t i = 0; i < ref->n; i++) {
            assert_string_equal(v[k]->ev[i].message, ref->ev[i].message);
            assert_string_equal(v[k]->ev[i].process, ref->ev[i].process);
            assert_int_equal(v[k]->ev[i].line_end, ref->ev[i].line_end);
        }
        collect_free(v[k]);
    }
    free(crlf);
    return ref;
}

static void expect(const saved_event *e, const char *process, int64_t pid, const char *message)
{
    assert_string_equal(e->process, process);
    assert_int_equal(e->pid, pid);
    assert_string_equal(e->message, message);
}

static void test_pasted_ticket(void **state)
{
    (void)state;
    const char *text =
        "The application /Applications/RepoBar.app cannot be opened for an unexpected reason,\n"
        "error=Error Domain=RBSRequestErrorDomain Code=5 \"Launch failed.\"\n"
        "[...]\n"
        "amfid: /Applications/RepoBar.app/Contents/MacOS/RepoBar not valid:\n"
        "  Error Domain=AppleMobileFileIntegrityError Code=-413\n"
        "  \"No matching profile found\"\n"
        "\n"
        "kernel: (AppleMobileFileIntegrity) AMFI: When validating\n"
        "  /Applications/RepoBar.app/Contents/MacOS/RepoBar:\n"
        "  Code has restricted entitlements, but the validation of its code signature failed.\n"
        "\n"
        "kernel: (AppleSystemPolicy) ASP: Security policy would not allow process\n";
    collector *c = run(text);
    assert_int_equal(c->n, 5);
    expect(&c->ev[0], "", -1,
           "The application /Applications/RepoBar.app cannot be opened for an unexpected reason,");
    expect(&c->ev[1], "", -1, "error=Error Domain=RBSRequestErrorDomain Code=5 \"Launch failed.\"");
    expect(&c->ev[2], "amfid", -1,
           "/Applications/RepoBar.app/Contents/MacOS/RepoBar not valid:\n"
           "  Error Domain=AppleMobileFileIntegrityError Code=-413\n"
           "  \"No matching profile found\"");
    assert_int_equal(c->ev[2].line, 4);
    assert_int_equal(c->ev[2].line_end, 6);
    expect(&c->ev[3], "kernel", -1,
           "AMFI: When validating\n  /Applications/RepoBar.app/Contents/MacOS/RepoBar:\n"
           "  Code has restricted entitlements, but the validation of its code signature failed.");
    assert_string_equal(c->ev[3].sender, "AppleMobileFileIntegrity");
    expect(&c->ev[4], "kernel", -1, "ASP: Security policy would not allow process");
    assert_string_equal(c->ev[4].sender, "AppleSystemPolicy");
    assert_false(c->ev[4].has_time);
    assert_int_equal(c->summary.lines, 12);
    assert_int_equal(c->summary.lines_meta, 3);
    assert_int_equal(c->summary.lines_in_events, 9);
    collect_free(c);
}

static void test_quoted_log_lines_and_prompt(void **state)
{
    (void)state;
    const char *text =
        "> % log stream | grep AMFI\n"
        "> 2025-01-15 13:25:40.068147-0500 0x32d38   Default     0x0                  0      0    "
        "Kernel: (AppleMobileFileIntegrity) AMFI: Launch Constraint Violation (enforcing)\n"
        "> 2026-04-20 11:27:38.131459+1000  localhost PrivilegesHelper[33977]: (libsqlite3.dylib) "
        "[com.apple.libsqlite3:logging-persist] cannot open file\n"
        "> 2022-11-14 13:21:14.972 Df My App[59972:780a15] (libffi.dylib) Hello\n"
        ">\n"
        "> [...]\n"
        "/Applications/Privileges.app: Operation not permitted\n";
    collector *c = run(text);
    assert_int_equal(c->n, 5);
    assert_string_equal(c->ev[0].type, "command");
    assert_string_equal(c->ev[0].message, "log stream | grep AMFI");
    assert_string_equal(c->ev[0].process, "");
    saved_event *e = &c->ev[1];
    expect(e, "Kernel", 0, "AMFI: Launch Constraint Violation (enforcing)");
    assert_string_equal(e->sender, "AppleMobileFileIntegrity");
    assert_string_equal(e->type, "Default");
    assert_int_equal(e->thread, 0x32d38);
    assert_int_equal(e->time_us, 1736965540068147LL);
    e = &c->ev[2];
    expect(e, "PrivilegesHelper", 33977, "cannot open file");
    assert_string_equal(e->sender, "libsqlite3.dylib");
    assert_string_equal(e->subsystem, "com.apple.libsqlite3");
    assert_string_equal(e->category, "logging-persist");
    e = &c->ev[3];
    expect(e, "My App", 59972, "Hello");
    assert_string_equal(e->sender, "libffi.dylib");
    expect(&c->ev[4], "", -1, "/Applications/Privileges.app: Operation not permitted");
    assert_int_equal(c->summary.lines_meta, 2);
    collect_free(c);
}

static void test_legacy_syslog(void **state)
{
    (void)state;
    const char *text =
        "Jun 11 14:59:07 BANL11914df31.local taskgated-helper[7941]: Starting taskgated-helper\n"
        "Jun 11 14:59:08 --- last message repeated 1 time ---\n"
        "Jun 11 14:59:11 BANL11914df31 com.apple.launchd.peruser.1784435860[392]([0x0-0xf60f6]."
        "com.intuit.crashreport.demoApp[7940]): Exited: Killed: 9\n"
        "10/13/15 12:58:40.554 PM com.apple.xpc.launchd[1]: (com.apple.xpc.launchd.oneshot."
        "0x10000038.App Name[32822]) Service exited due to signal: Killed: 9\n"
        "27.06.16 13:14:08,633 taskgated[336]: no application identifier provided, can't use "
        "provisioning profiles [pid=1925]\n"
        "27.06.16 13:14:09,900 HackerNews[1925]: callback failed, dumping backtrace:\n"
        "        [x86_64] libnetcore-582.1.4\n"
        "    0   libsystem_network.dylib             0x00007fff93e31a05 "
        "__nw_create_backtrace_string + 123\n"
        "kernel[0] <Notice>: Sandbox: htop(51550) System Policy: allow(0) mach-priv-task-port\n"
        "2/29/16 2:33:20.000 PM kernel[0]: Sandbox: Messenger Helper(8535) deny(1) "
        "forbidden-sandbox-reinit\n";
    collector *c = run(text);
    assert_int_equal(c->n, 8);
    saved_event *e = &c->ev[0];
    expect(e, "taskgated-helper", 7941, "Starting taskgated-helper");
    assert_true(e->has_time);
    assert_false(e->has_date);
    assert_int_equal(e->time_us, (14 * 3600 + 59 * 60 + 7) * 1000000LL);
    expect(&c->ev[1], "", -1, "--- last message repeated 1 time ---");
    e = &c->ev[2];
    expect(e, "com.apple.launchd.peruser.1784435860", 392, "Exited: Killed: 9");
    assert_string_equal(collect_extra(e, "context"),
                        "[0x0-0xf60f6].com.intuit.crashreport.demoApp[7940]");
    e = &c->ev[3];
    expect(e, "com.apple.xpc.launchd", 1,
           "(com.apple.xpc.launchd.oneshot.0x10000038.App Name[32822]) Service exited due to "
           "signal: Killed: 9");
    assert_string_equal(e->sender, "");
    assert_true(e->has_date);
    assert_int_equal(e->time_us, 1444741120554000LL); /* 2015-10-13 12:58:40.554 */
    e = &c->ev[4];
    expect(e, "taskgated", 336,
           "no application identifier provided, can't use provisioning profiles [pid=1925]");
    assert_int_equal(e->time_us, 1467033248633000LL);
    e = &c->ev[5];
    expect(e, "HackerNews", 1925,
           "callback failed, dumping backtrace:\n        [x86_64] libnetcore-582.1.4\n"
           "    0   libsystem_network.dylib             0x00007fff93e31a05 "
           "__nw_create_backtrace_string + 123");
    e = &c->ev[6];
    expect(e, "kernel", 0, "Sandbox: htop(51550) System Policy: allow(0) mach-priv-task-port");
    assert_string_equal(e->type, "Notice");
    e = &c->ev[7];
    expect(e, "kernel", 0, "Sandbox: Messenger Helper(8535) deny(1) forbidden-sandbox-reinit");
    assert_int_equal(e->time_us, 1456756400000000LL);
    collect_free(c);
}

static void test_console_copies(void **state)
{
    (void)state;
    const char *text =
        "error\t2024-01-10 14:36:03.306061 -0800\ttaskgated-helper\t<app-bundle-id>: Unsatisfied "
        "entitlements: com.apple.developer.team-identifier\n"
        "default\t2024-01-10 14:36:03.306432 -0800\tamfid\tX not valid: values = (\n"
        "\t0 : <CFString 0x14f3055a0 [0x1dd7d39a0]>{contents = \"com.apple.developer.x\"}\n"
        ")}, NSLocalizedDescription=No matching profile found}\n"
        "par d\xc3\xa9"
        "faut\t14:21:33.302467 +0100\tkernel\tSandbox: 4 duplicate reports for mds\n"
        "- default   15:37:16.296978 -0500   kernel  AMFI: allowing exception handler for "
        "'mig-agent' (708) because the process is unsigned.\n"
        "\xe9\x94\x99\xe8\xaf\xaf 16:00:22.561430+0800 taskgated-helper Disallowing "
        "com.example.helper "
        "because no eligible provisioning profiles found\n"
        "\n"
        "type: info\n"
        "time: 2022-05-11 14:57:21.812176 -0700\n"
        "process: syspolicyd\n"
        "subsystem: com.apple.syspolicy\n"
        "category: default\n"
        "message: ticket not available: 2/2/8b7410713591e6c79ea98f0132136f0faa55d22a\n";
    collector *c = run(text);
    assert_int_equal(c->n, 7);
    saved_event *e = &c->ev[0];
    expect(e, "taskgated-helper", -1,
           "<app-bundle-id>: Unsatisfied entitlements: com.apple.developer.team-identifier");
    assert_string_equal(e->type, "error");
    assert_int_equal(e->time_us, 1704926163306061LL);
    assert_int_equal(e->offset_min, -480);
    e = &c->ev[1];
    expect(e, "amfid", -1,
           "X not valid: values = (\n"
           "\t0 : <CFString 0x14f3055a0 [0x1dd7d39a0]>{contents = \"com.apple.developer.x\"}");
    assert_int_equal(e->line_end, 3);
    expect(&c->ev[2], "", -1, ")}, NSLocalizedDescription=No matching profile found}");
    e = &c->ev[3];
    expect(e, "kernel", -1, "Sandbox: 4 duplicate reports for mds");
    assert_string_equal(e->type, "par d\xc3\xa9"
                                 "faut");
    assert_true(e->has_time);
    assert_false(e->has_date);
    e = &c->ev[4];
    expect(e, "kernel", -1,
           "AMFI: allowing exception handler for 'mig-agent' (708) because the process is "
           "unsigned.");
    assert_string_equal(e->type, "default");
    assert_int_equal(e->offset_min, -300);
    e = &c->ev[5];
    expect(e, "taskgated-helper", -1,
           "Disallowing com.example.helper because no eligible provisioning profiles found");
    assert_string_equal(e->type, "\xe9\x94\x99\xe8\xaf\xaf");
    e = &c->ev[6];
    expect(e, "syspolicyd", -1,
           "ticket not available: 2/2/8b7410713591e6c79ea98f0132136f0faa55d22a");
    assert_string_equal(e->type, "info");
    assert_string_equal(e->subsystem, "com.apple.syspolicy");
    assert_string_equal(e->category, "default");
    assert_int_equal(e->time_us, 1652306241812176LL);
    assert_int_equal(e->line, 9);
    assert_int_equal(e->line_end, 14);
    collect_free(c);
}

static void test_crash_lines_prompts_and_tools(void **state)
{
    (void)state;
    const char *text =
        "Process:               Privileges [35360]\n"
        "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))\n"
        "Termination Reason:    Namespace CODESIGNING, Code 4 Launch Constraint Violation\n"
        "Thread 0 Crashed:\n"
        "0   dyld                          0x0000000100a1c000 _dyld_start + 0\n"
        "AMFI: bailing out because of restricted entitlements.\n"
        "Reason: mapping process and mapped file (non-platform) have different Team IDs\n"
        "NSUnderlyingError: Domain=NSPOSIXErrorDomain Code=163 \"Launchd job spawn failed\"\n"
        "dyld[41144]: Library not loaded: @rpath/JoyConSwift.framework/Versions/A/JoyConSwift\n"
        "  Referenced from: /Users/ws/joy4macos.app/Contents/MacOS/joy4macos\n"
        "zsh: killed     jcode\n"
        "kernel (AMFI): Code has restricted entitlements, but the validation\n"
        "  of its code signature failed.\n"
        "a2@mac-01 ~ % sudo syspolicy_check distribution /Applications/Santa.app\n"
        "\xe2\x9d\xaf spctl -a -v /Applications/V2rayU.app\n"
        "/Users/jdaniel $ spctl --assess /Volumes/Transmission/Transmission.app\n"
        "/Volumes/Transmission/Transmission.app: CSSMERR_TP_CERT_REVOKED\n"
        "`Electron Helper[64045] <Error>: SeatbeltExecServer: Failed to initialize sandbox`\n"
        "> **dyld[72581]: Library not loaded: @rpath/MailCore.framework/Versions/A/MailCore**\n"
        "2021-04-08 15:44:03.695 altool[89058:478472] CFURLRequest_block_invoke: no longer "
        "implemented\n"
        "Password:\n"
        "com.apple.provenance:\n"
        "node-webkit Help(21572) deny forbidden-sandbox-reinit\n"
        "Killed: 9\n"
        "KnightTouchBar2000.app: CSSMERR_TP_CERT_REVOKED\n"
        "> _code signature in <...> not valid for use in process_\n"
        "2022-04-07 20:11:44 : ERROR : theunarchiver : Gatekeeper check rejected.\n";
    collector *c = run(text);
    assert_int_equal(c->n, 25);
    expect(&c->ev[0], "", -1, "Process:               Privileges [35360]");
    expect(&c->ev[1], "", -1,
           "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))");
    expect(&c->ev[2], "", -1,
           "Termination Reason:    Namespace CODESIGNING, Code 4 Launch Constraint Violation");
    expect(&c->ev[3], "", -1, "Thread 0 Crashed:");
    expect(&c->ev[4], "", -1,
           "0   dyld                          0x0000000100a1c000 _dyld_start + 0");
    expect(&c->ev[5], "", -1, "AMFI: bailing out because of restricted entitlements.");
    expect(&c->ev[6], "", -1,
           "Reason: mapping process and mapped file (non-platform) have different Team IDs");
    expect(&c->ev[7], "", -1,
           "NSUnderlyingError: Domain=NSPOSIXErrorDomain Code=163 \"Launchd job spawn failed\"");
    expect(&c->ev[8], "dyld", 41144,
           "Library not loaded: @rpath/JoyConSwift.framework/Versions/A/JoyConSwift\n"
           "  Referenced from: /Users/ws/joy4macos.app/Contents/MacOS/joy4macos");
    expect(&c->ev[9], "zsh", -1, "killed     jcode");
    expect(&c->ev[10], "kernel", -1,
           "Code has restricted entitlements, but the validation\n  of its code signature failed.");
    assert_string_equal(c->ev[10].sender, "AMFI");
    assert_string_equal(c->ev[11].type, "command");
    assert_string_equal(c->ev[11].message,
                        "sudo syspolicy_check distribution /Applications/Santa.app");
    assert_string_equal(c->ev[12].type, "command");
    assert_string_equal(c->ev[12].message, "spctl -a -v /Applications/V2rayU.app");
    assert_string_equal(c->ev[13].type, "command");
    assert_string_equal(c->ev[13].message, "spctl --assess /Volumes/Transmission/Transmission.app");
    expect(&c->ev[14], "", -1, "/Volumes/Transmission/Transmission.app: CSSMERR_TP_CERT_REVOKED");
    assert_string_equal(c->ev[14].type, "");
    expect(&c->ev[15], "Electron Helper", 64045,
           "SeatbeltExecServer: Failed to initialize sandbox");
    assert_string_equal(c->ev[15].type, "Error");
    expect(&c->ev[16], "dyld", 72581,
           "Library not loaded: @rpath/MailCore.framework/Versions/A/MailCore");
    expect(&c->ev[17], "altool", 89058, "CFURLRequest_block_invoke: no longer implemented");
    assert_int_equal(c->ev[17].thread, 0x478472);
    assert_true(c->ev[17].has_time);
    expect(&c->ev[18], "", -1, "Password:");
    expect(&c->ev[19], "", -1, "com.apple.provenance:");
    expect(&c->ev[20], "", -1, "node-webkit Help(21572) deny forbidden-sandbox-reinit");
    expect(&c->ev[21], "", -1, "Killed: 9");
    expect(&c->ev[22], "", -1, "KnightTouchBar2000.app: CSSMERR_TP_CERT_REVOKED");
    expect(&c->ev[23], "", -1, "code signature in <...> not valid for use in process");
    expect(&c->ev[24], "", -1, "ERROR : theunarchiver : Gatekeeper check rejected.");
    assert_true(c->ev[24].has_time && c->ev[24].has_date);
    collect_free(c);
}

static void test_indented_block_and_markers(void **state)
{
    (void)state;
    /* every line of this paste is indented the same: each is its own event */
    const char *text = "  spctl -a -t exec -vv /Applications/RepoBar.app\n"
                       "  /Applications/RepoBar.app: accepted\n"
                       "  source=Notarized Developer ID\n"
                       "```\n"
                       "\xe2\x80\xa6\n"
                       "  error=Error Domain=RBSRequestErrorDomain Code=5 \"Launch failed.\"\n"
                       "    UserInfo={NSLocalizedFailureReason=Launch failed.}\n";
    collector *c = run(text);
    assert_int_equal(c->n, 4);
    expect(&c->ev[0], "", -1, "spctl -a -t exec -vv /Applications/RepoBar.app");
    expect(&c->ev[1], "", -1, "/Applications/RepoBar.app: accepted");
    expect(&c->ev[2], "", -1, "source=Notarized Developer ID");
    expect(&c->ev[3], "", -1,
           "error=Error Domain=RBSRequestErrorDomain Code=5 \"Launch failed.\"\n"
           "    UserInfo={NSLocalizedFailureReason=Launch failed.}");
    assert_int_equal(c->summary.lines_meta, 2);
    collect_free(c);
}

static void test_empty_binary_and_no_newline(void **state)
{
    (void)state;
    collector *c = collect_text(&te_reader_loose, "");
    assert_int_equal(c->n, 0);
    assert_int_equal(c->summary.lines, 0);
    collect_free(c);

    const char bin[] = "\x01\x02\0\xff garbage\nkernel: tail without newline";
    c = collect_run(&te_reader_loose, bin, sizeof bin - 1, 4);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    expect(&c->ev[0], "kernel", -1, "tail without newline");
    assert_int_equal(c->summary.lines_not_understood, 1);
    collect_free(c);
}

/* A continuation block larger than the record limit is cut, not kept. */
static void test_loose_record_limit(void **state)
{
    (void)state;
    size_t n = TE_MAX_RECORD_LINES + 5;
    char *text = malloc(16 + n * 4 + 32), *p = text;
    p += sprintf(p, "kernel: start\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "  x\n");
    p += sprintf(p, "amfid: next\n");
    collector *c = collect_run(&te_reader_loose, text, (size_t)(p - text), 0);
    assert_accounting(c);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->summary.lines_cut, 6);
    assert_int_equal(c->summary.records_skipped, 1);
    expect(&c->ev[1], "amfid", -1, "next");
    collect_free(c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pasted_ticket),
        cmocka_unit_test(test_quoted_log_lines_and_prompt),
        cmocka_unit_test(test_legacy_syslog),
        cmocka_unit_test(test_console_copies),
        cmocka_unit_test(test_crash_lines_prompts_and_tools),
        cmocka_unit_test(test_indented_block_and_markers),
        cmocka_unit_test(test_empty_binary_and_no_newline),
        cmocka_unit_test(test_loose_record_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
