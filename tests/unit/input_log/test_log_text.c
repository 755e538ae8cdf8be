/* Tests of the log text readers (default with and without TTL, syslog,
 * compact) and of the composed-message parser they share with loose. */
#include "collect.h"
#include "input/log_text.h"

extern const te_reader_ops te_reader_log_default;
extern const te_reader_ops te_reader_log_syslog;
extern const te_reader_ops te_reader_log_compact;

/* Replaces every "\n" by "\r\n" (caller frees). */
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

/* Runs the text whole, in small chunks, byte by byte and with CRLF line
 * ends; all runs must give the same events. Returns the whole run. */
static collector *run_all_ways(const te_reader_ops *ops, const char *text)
{
    collector *ref = collect_text(ops, text);
    assert_accounting(ref);
    char *crlf = to_crlf(text);
    collector *variants[3] = {
        collect_run(ops, text, strlen(text), 1),
        collect_run(ops, text, strlen(text), 7),
        collect_run(ops, crlf, strlen(crlf), 5),
    };
    for (int v = 0; v < 3; v++) {
        collector *c = variants[v];
        assert_accounting(c);
        assert_int_equal(c->n, ref->n);
        assert_int_equal(c->summary.lines, ref->summary.lines);
        assert_int_equal(c->summary.lines_meta, ref->summary.lines_meta);
        for (size_t i = 0; i < ref->n; i++) {
            assert_string_equal(c->ev[i].message, ref->ev[i].message);
            assert_string_equal(c->ev[i].process, ref->ev[i].process);
            assert_int_equal(c->ev[i].pid, ref->ev[i].pid);
            assert_int_equal(c->ev[i].time_us, ref->ev[i].time_us);
            assert_int_equal(c->ev[i].line, ref->ev[i].line);
            assert_int_equal(c->ev[i].line_end, ref->ev[i].line_end);
        }
        collect_free(c);
    }
    free(crlf);
    return ref;
}

static const char show_with_preamble[] =
    "% log show --predicate 'sender == \"logger\"' --last 1h\n"
    "Filtering the log data using \"sender == \"logger\" AND composedMessage CONTAINS "
    "\"vmnet-broker\"\"\n"
    "Skipping debug messages, pass --debug to include.\n"
    "Timestamp                       Thread     Type        Activity             PID    TTL  \n"
    "2026-01-25 23:03:22.041859+0200 0x150d23a  Info        0x0                  6103   0    "
    "logger: vmnet-broker: Downloading vmnet-broker latest\n"
    "2026-01-25 23:03:22.939421+0200 0x150d2eb  Default     0x0                  6161   0    "
    "logger: vmnet-broker: Install completed\n"
    "-----------------------------------------------------------------------------------------"
    "---------------------------\n"
    "Log      - Default:          1, Info:                1, Debug:             0, Error:        "
    "  0, Fault:          0\n"
    "Activity - Create:           0, Transition:          0, Actions:           0\n";

static void test_default_preamble_header_summary(void **state)
{
    (void)state;
    collector *c = run_all_ways(&te_reader_log_default, show_with_preamble);
    assert_int_equal(c->n, 2);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->process, "logger");
    assert_int_equal(e->pid, 6103);
    assert_int_equal(e->thread, 0x150d23a);
    assert_string_equal(e->type, "Info");
    assert_string_equal(e->message, "vmnet-broker: Downloading vmnet-broker latest");
    assert_string_equal(e->sender, "");
    assert_true(e->has_time && e->has_date && e->has_offset);
    assert_int_equal(e->time_us, 1769375002041859LL);
    assert_int_equal(e->offset_min, 120);
    assert_int_equal(e->line, 5);
    assert_string_equal(c->ev[1].type, "Default");
    assert_string_equal(c->ev[1].message, "vmnet-broker: Install completed");
    assert_int_equal(c->ev[1].pid, 6161);
    assert_int_equal(c->summary.lines, 9);
    assert_int_equal(c->summary.lines_in_events, 2);
    assert_int_equal(c->summary.lines_meta, 7);
    assert_int_equal(c->summary.lines_not_understood, 0);
    assert_int_equal(c->warnings, 0);
    collect_free(c);
}

static void test_default_multiline_and_subsystem(void **state)
{
    (void)state;
    const char *text =
        "2025-03-09 16:57:25.609833+0400 0x1d9d     Default     0x0                  694    3    "
        "sharingd: [com.apple.sharing:AirDrop] Discoverable mode changed from\n"
        "         to\n"
        "          , posting notification\n"
        "2023-07-19 08:22:51.916784+0300 0x3058     Info        0x0                  599    0    "
        "remotepairingd: (RemotePairing) [com.apple.dt.remotepairing:networktunnelmanager] "
        "tunnel-1: Tunnel established for interface: utun3\n"
        "\n"
        "2025-12-11 12:13:46.490439+0100 0xd5b      Fault       0x1a5c23             360    14   "
        "apsd: Peer connection [pid=49350] lacks APSConnectionInitiateEntitlement\n";
    collector *c = run_all_ways(&te_reader_log_default, text);
    assert_int_equal(c->n, 3);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->process, "sharingd");
    assert_string_equal(e->subsystem, "com.apple.sharing");
    assert_string_equal(e->category, "AirDrop");
    assert_string_equal(
        e->message,
        "Discoverable mode changed from\n         to\n          , posting notification");
    assert_int_equal(e->line, 1);
    assert_int_equal(e->line_end, 3);
    assert_int_equal(e->time_us, 1741525045609833LL);
    e = &c->ev[1];
    assert_string_equal(e->process, "remotepairingd");
    assert_string_equal(e->sender, "RemotePairing");
    assert_string_equal(e->subsystem, "com.apple.dt.remotepairing");
    assert_string_equal(e->category, "networktunnelmanager");
    assert_string_equal(e->message, "tunnel-1: Tunnel established for interface: utun3");
    /* the blank line belongs to the record but not to its message */
    assert_int_equal(e->line, 4);
    assert_int_equal(e->line_end, 4);
    e = &c->ev[2];
    assert_string_equal(e->type, "Fault");
    assert_string_equal(e->subsystem, "");
    assert_string_equal(e->message,
                        "Peer connection [pid=49350] lacks APSConnectionInitiateEntitlement");
    assert_int_equal(c->summary.lines_in_events, 6);
    collect_free(c);
}

static void test_default_no_ttl_header(void **state)
{
    (void)state;
    /* Without TTL the column after the PID is the message: "7 Days" is a
     * process name here, which the TTL header would have eaten. */
    const char *text =
        "Timestamp                       Thread     Type        Activity             PID    \n"
        "2017-12-07 18:33:56.230481+0800 0x1daa15   Activity    0x80000000000ab54b   48240  "
        "Ur iOS AppName: (UIKit) send gesture actions\n"
        "2017-12-07 18:33:57.000000+0800 0x1daa15   Default     0x0                  48240  "
        "7 Days: hello\n";
    collector *c = run_all_ways(&te_reader_log_default, text);
    assert_int_equal(c->n, 2);
    assert_string_equal(c->ev[0].process, "Ur iOS AppName");
    assert_string_equal(c->ev[0].sender, "UIKit");
    assert_string_equal(c->ev[0].message, "send gesture actions");
    assert_string_equal(c->ev[0].type, "Activity");
    assert_int_equal(c->ev[0].pid, 48240);
    assert_int_equal(c->ev[0].time_us, 1512642836230481LL);
    assert_string_equal(c->ev[1].process, "7 Days");
    assert_string_equal(c->ev[1].message, "hello");
    assert_int_equal(c->summary.lines_meta, 1);
    collect_free(c);

    /* with the TTL header the same column is the TTL */
    const char *ttl =
        "Timestamp                       Thread     Type        Activity             PID    TTL\n"
        "2017-12-07 18:33:57.000000+0800 0x1daa15   Default     0x0                  48240  "
        "7    kernel: hello\n";
    c = run_all_ways(&te_reader_log_default, ttl);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].process, "kernel");
    assert_string_equal(c->ev[0].message, "hello");
    collect_free(c);
}

static void test_default_signpost_collapsed_spacing(void **state)
{
    (void)state;
    const char *text = "2022-08-25 15:22:01.008417+0100 0x1590e Signpost 0x0 1766 0 [spid "
                       "0x291385ea6c83b460, process, begin] bluetoothd: "
                       "[com.apple.bluetooth:HIDProfileDispatch] HIDInterruptData: Before Dispatch";
    collector *c = run_all_ways(&te_reader_log_default, text);
    assert_int_equal(c->n, 1);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->type, "Signpost");
    assert_string_equal(e->process, "bluetoothd");
    assert_int_equal(e->pid, 1766);
    assert_string_equal(e->subsystem, "com.apple.bluetooth");
    assert_string_equal(e->category, "HIDProfileDispatch");
    assert_string_equal(e->message, "HIDInterruptData: Before Dispatch");
    assert_string_equal(collect_extra(e, "signpost"), "spid 0x291385ea6c83b460, process, begin");
    collect_free(c);
}

static void test_default_junk_and_empty(void **state)
{
    (void)state;
    collector *c = collect_text(&te_reader_log_default, "");
    assert_int_equal(c->n, 0);
    assert_int_equal(c->summary.lines, 0);
    collect_free(c);

    const char *text =
        "this is not a log line\n"
        "\n"
        "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0                  "
        "0      0    kernel: CODE SIGNING: cs_invalid_page(0x104ccc000): p=23225\n";
    c = collect_text(&te_reader_log_default, text);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    assert_int_equal(c->summary.lines_not_understood, 1);
    assert_int_equal(c->summary.lines_meta, 1);
    assert_int_equal(c->warnings, 1);
    assert_int_equal(c->last_warning_line, 1);
    assert_string_equal(c->ev[0].message, "CODE SIGNING: cs_invalid_page(0x104ccc000): p=23225");
    assert_int_equal(c->ev[0].pid, 0);
    assert_int_equal(c->ev[0].time_us, 1647701154949439LL);
    collect_free(c);
}

static void test_default_three_digit_offset(void **state)
{
    (void)state;
    /* "-500" as seen in an edited copy (corpus 109) */
    const char *text =
        "2025-01-15 13:25:40.068147-500 0x32d38   Default     0x0                  0 "
        "     0    Kernel: (AppleMobileFileIntegrity) AMFI: Launch Constraint "
        "Violation (enforcing)\n";
    collector *c = collect_text(&te_reader_log_default, text);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].process, "Kernel");
    assert_string_equal(c->ev[0].sender, "AppleMobileFileIntegrity");
    assert_string_equal(c->ev[0].message, "AMFI: Launch Constraint Violation (enforcing)");
    assert_int_equal(c->ev[0].offset_min, -300);
    assert_int_equal(c->ev[0].time_us, 1736965540068147LL);
    collect_free(c);
}

static void test_record_limit(void **state)
{
    (void)state;
    size_t cont = TE_MAX_RECORD_LINES + 10;
    const char *head =
        "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0                  "
        "0      0    kernel: start\n";
    size_t len = strlen(head) + cont * 3 + strlen(head);
    char *text = malloc(len + 1), *p = text;
    p += sprintf(p, "%s", head);
    for (size_t i = 0; i < cont; i++)
        p += sprintf(p, " x\n");
    p += sprintf(p, "%s", head);
    collector *c = collect_run(&te_reader_log_default, text, (size_t)(p - text), 0);
    assert_accounting(c);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->summary.lines_cut, 11);
    assert_int_equal(c->summary.records_skipped, 1);
    assert_int_equal(c->warnings, 1);
    assert_int_equal(c->ev[0].line_end, TE_MAX_RECORD_LINES);
    assert_string_equal(c->ev[1].message, "start");
    collect_free(c);
    free(text);
}

static void test_syslog_samples(void **state)
{
    (void)state;
    const char *text =
        "Timestamp                       (process)[PID]    \n"
        "2023-09-27 22:55:39.622369+0200  localhost legacyScreenSaver[41737]: (ScreenSaverExample) "
        "hello_screensaver -[ScreenSaverExampleView hasConfigureSheet]\n"
        "2023-05-26 13:42:44.136082+0200  localhost kernel[0]: (Sandbox) Sandbox: "
        "sandbox-exec(41398) deny(1) process-exec* /usr/bin/touch\n"
        "2018-10-24 17:23:33.842651+0200  localhost sudo[2002]:   MacBook_ERNW : 2 incorrect "
        "password attempts ; TTY=ttys002\n"
        "2026-04-20 11:27:38.071064+1000  localhost PrivilegesCLI[33962]: (libxpc.dylib) "
        "[com.apple.xpc:connection] [0x102a6a090] activating connection: mach=true\n"
        "    second line of the message\n";
    collector *c = run_all_ways(&te_reader_log_syslog, text);
    assert_int_equal(c->n, 4);
    assert_string_equal(c->ev[0].process, "legacyScreenSaver");
    assert_int_equal(c->ev[0].pid, 41737);
    assert_string_equal(c->ev[0].sender, "ScreenSaverExample");
    assert_string_equal(c->ev[0].message,
                        "hello_screensaver -[ScreenSaverExampleView hasConfigureSheet]");
    assert_int_equal(c->ev[0].time_us, 1695848139622369LL);
    assert_string_equal(c->ev[1].process, "kernel");
    assert_int_equal(c->ev[1].pid, 0);
    assert_string_equal(c->ev[1].sender, "Sandbox");
    assert_string_equal(c->ev[1].message,
                        "Sandbox: sandbox-exec(41398) deny(1) process-exec* /usr/bin/touch");
    assert_string_equal(c->ev[2].process, "sudo");
    assert_string_equal(c->ev[2].message,
                        "  MacBook_ERNW : 2 incorrect password attempts ; TTY=ttys002");
    assert_string_equal(c->ev[3].sender, "libxpc.dylib");
    assert_string_equal(c->ev[3].subsystem, "com.apple.xpc");
    assert_string_equal(c->ev[3].category, "connection");
    assert_string_equal(c->ev[3].message, "[0x102a6a090] activating connection: mach=true\n"
                                          "    second line of the message");
    assert_int_equal(c->ev[3].line_end, 6);
    assert_int_equal(c->summary.lines_meta, 1);
    assert_int_equal(c->summary.lines_in_events, 5);
    collect_free(c);
}

static void test_compact_samples(void **state)
{
    (void)state;
    const char *text =
        "Timestamp               Ty Process[PID:TID]\n"
        "2022-11-14 13:21:14.972 Df My App[59972:780a15] Configure argc/argv...\n"
        "2022-11-14 13:21:15.341 Df My App[59972:780a15] (libffi.dylib) Hello World!\n"
        "2022-11-14 13:21:15.400 E  My App[59972:780a15] "
        "[com.apple.libsystem.libdispatch:] oops\n"
        "2022-11-14 13:21:15.500 Df My App[59972:780a15] \n";
    collector *c = run_all_ways(&te_reader_log_compact, text);
    assert_int_equal(c->n, 4);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->process, "My App");
    assert_int_equal(e->pid, 59972);
    assert_int_equal(e->thread, 0x780a15);
    assert_string_equal(e->type, "Default");
    assert_string_equal(e->message, "Configure argc/argv...");
    assert_true(e->has_time && e->has_date);
    assert_false(e->has_offset);
    assert_int_equal(e->time_us, 1668432074972000LL);
    assert_string_equal(c->ev[1].sender, "libffi.dylib");
    assert_string_equal(c->ev[1].message, "Hello World!");
    assert_string_equal(c->ev[2].type, "Error");
    assert_string_equal(c->ev[2].subsystem, "com.apple.libsystem.libdispatch");
    assert_string_equal(c->ev[2].category, "");
    assert_string_equal(c->ev[2].message, "oops");
    assert_string_equal(c->ev[3].message, "");
    collect_free(c);
}

static void test_styles_do_not_cross_parse(void **state)
{
    (void)state;
    te_event e;
    te_event_reset(&e);
    te_str def = te_str_cstr("2023-07-19 08:22:51.916784+0300 0x3058     Info        0x0       "
                             "           599    0    launchd[1]: x");
    te_str sys = te_str_cstr("2023-05-26 13:42:44.136082+0200  localhost kernel[0]: hi");
    te_str com = te_str_cstr("2022-11-14 13:21:14.972 Df My App[59972:780a15] hi");
    assert_true(te_log_parse_default(def, TE_TTL_UNKNOWN, &e) > 0);
    te_event_reset(&e);
    assert_int_equal(te_log_parse_syslog(def, &e), -1);
    assert_int_equal(te_log_parse_compact(def, &e), -1);
    assert_int_equal(te_log_parse_default(sys, TE_TTL_UNKNOWN, &e), -1);
    assert_int_equal(te_log_parse_compact(sys, &e), -1);
    assert_int_equal(te_log_parse_default(com, TE_TTL_UNKNOWN, &e), -1);
    assert_int_equal(te_log_parse_syslog(com, &e), -1);
    assert_true(te_log_parse_compact(com, &e) > 0);
}

static void test_meta_kinds(void **state)
{
    (void)state;
    assert_int_equal(te_log_meta_kind(te_str_cstr("Skipping info and debug messages, pass --info "
                                                  "and/or --debug to include.")),
                     TE_LOG_META_PREAMBLE);
    assert_int_equal(te_log_meta_kind(te_str_cstr("Skipping ahead")), TE_LOG_META_NONE);
    assert_int_equal(te_log_meta_kind(te_str_cstr("Timestamp                       Thread     "
                                                  "Type        Activity             PID    TTL  ")),
                     TE_LOG_META_HEADER_TTL);
    assert_int_equal(
        te_log_meta_kind(te_str_cstr("Timestamp                       (process)[PID]")),
        TE_LOG_META_HEADER_SYSLOG);
    assert_int_equal(te_log_meta_kind(te_str_cstr("Activity - Create: 0, Transition: 0")),
                     TE_LOG_META_SUMMARY);
    assert_int_equal(te_log_meta_kind(te_str_cstr("Log - a dash")), TE_LOG_META_NONE);
    assert_int_equal(te_log_meta_kind(te_str_cstr("-----")), TE_LOG_META_NONE);
}

static void parse(const char *text, bool has_process, te_event *e)
{
    te_event_reset(e);
    te_parse_composed_message(te_str_cstr(text), e, has_process);
}

static bool eq(te_str s, const char *text)
{
    return te_str_eq_cstr(s, text);
}

static void test_composed_message(void **state)
{
    (void)state;
    te_event e;
    parse("Ur iOS AppName: (UIKit) send gesture actions", true, &e);
    assert_true(eq(e.process, "Ur iOS AppName"));
    assert_true(eq(e.sender, "UIKit"));
    assert_true(eq(e.message, "send gesture actions"));

    parse("logger: vmnet-broker: Install completed", true, &e);
    assert_true(eq(e.process, "logger"));
    assert_true(eq(e.message, "vmnet-broker: Install completed"));

    parse("kernel:", true, &e);
    assert_true(eq(e.process, "kernel"));
    assert_true(eq(e.message, ""));

    parse("=== system boot: 5A3C0E24-2A9F-4F6B-9E0B-1B2C3D4E5F60", true, &e);
    assert_int_equal(e.process.len, 0);
    assert_true(eq(e.message, "=== system boot: 5A3C0E24-2A9F-4F6B-9E0B-1B2C3D4E5F60"));

    parse("no process here", true, &e);
    assert_int_equal(e.process.len, 0);
    assert_true(eq(e.message, "no process here"));

    parse("(Electron Framework) [com.github.Electron:] x", false, &e);
    assert_true(eq(e.sender, "Electron Framework"));
    assert_true(eq(e.subsystem, "com.github.Electron"));
    assert_true(eq(e.category, ""));
    assert_true(eq(e.message, "x"));

    parse("(the code is valid but does not seem to be an app)", false, &e);
    assert_int_equal(e.sender.len, 0);
    assert_true(eq(e.message, "(the code is valid but does not seem to be an app)"));

    parse("[0x102a6a090] activating", false, &e);
    assert_int_equal(e.subsystem.len, 0);
    assert_true(eq(e.message, "[0x102a6a090] activating"));

    parse("[com.apple.xpc:connection]", false, &e);
    assert_true(eq(e.subsystem, "com.apple.xpc"));
    assert_true(eq(e.message, ""));

    /* only the first line holds the decoration */
    parse("first line\nproc: (Lib) [a.b:c] second", true, &e);
    assert_int_equal(e.process.len, 0);
    assert_true(eq(e.message, "first line\nproc: (Lib) [a.b:c] second"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_preamble_header_summary),
        cmocka_unit_test(test_default_multiline_and_subsystem),
        cmocka_unit_test(test_default_no_ttl_header),
        cmocka_unit_test(test_default_signpost_collapsed_spacing),
        cmocka_unit_test(test_default_junk_and_empty),
        cmocka_unit_test(test_default_three_digit_offset),
        cmocka_unit_test(test_record_limit),
        cmocka_unit_test(test_syslog_samples),
        cmocka_unit_test(test_compact_samples),
        cmocka_unit_test(test_styles_do_not_cross_parse),
        cmocka_unit_test(test_meta_kinds),
        cmocka_unit_test(test_composed_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
