/* Tests of format detection and of the reader registry: each log style is
 * recognised with a reason; garbage, crash reports and prose are not taken
 * for a log style; sniffers and readers survive random bytes. */
#include "collect.h"

extern const te_reader_ops te_reader_log_default;
extern const te_reader_ops te_reader_log_syslog;
extern const te_reader_ops te_reader_log_compact;
extern const te_reader_ops te_reader_log_json;
extern const te_reader_ops te_reader_log_ndjson;
extern const te_reader_ops te_reader_jsonl_mandiant;
extern const te_reader_ops te_reader_loose;

static const te_reader_ops *const mine[] = {
    &te_reader_log_default, &te_reader_log_syslog, &te_reader_log_compact,
    &te_reader_log_json,    &te_reader_log_ndjson, &te_reader_jsonl_mandiant,
};
#define N_MINE (sizeof mine / sizeof mine[0])

#define MAX_TEST_LINES 256

static const te_reader_ops *detect(const char *text, char *why, size_t cap)
{
    te_str lines[MAX_TEST_LINES];
    size_t n = split_lines(text, lines, MAX_TEST_LINES);
    return te_detect_format(lines, n, why, cap);
}

static void assert_detected(const char *text, const char *name, const char *reason_part)
{
    char why[256] = "";
    const te_reader_ops *r = detect(text, why, sizeof why);
    assert_non_null(r);
    if (strcmp(r->name, name) != 0) fail_msg("detected %s (%s), expected %s", r->name, why, name);
    if (reason_part && !strstr(why, reason_part))
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason_part);
}

/* None of the log-style sniffers claims the text. */
static void assert_no_log_style(const char *text)
{
    te_str lines[MAX_TEST_LINES];
    size_t n = split_lines(text, lines, MAX_TEST_LINES);
    for (size_t i = 0; i < N_MINE; i++) {
        char why[192] = "";
        int score = mine[i]->sniff(lines, n, why, sizeof why);
        if (score != 0) fail_msg("%s scored %d (%s)", mine[i]->name, score, why);
    }
    char why[256];
    const te_reader_ops *r = te_detect_format(lines, n, why, sizeof why);
    for (size_t i = 0; i < N_MINE; i++)
        assert_ptr_not_equal(r, mine[i]);
}

static void test_detect_default_styles(void **state)
{
    (void)state;
    assert_detected("Filtering the log data using \"subsystem == \"com.apple.xprotect\"\"\n"
                    "Timestamp                       Thread     Type        Activity             "
                    "PID    TTL\n"
                    "2025-03-20 14:16:22.183921+0100 0xa705f    Default     0x0                  "
                    "17097  0    XprotectService: [com.apple.xprotect:xprotect] Using meta-plist\n",
                    "log-default", "log-default: column header with TTL at line 2");
    assert_detected("Timestamp                       Thread     Type        Activity             "
                    "PID    \n"
                    "2017-12-07 18:33:56.230481+0800 0x1daa15   Activity    0x80000000000ab54b   "
                    "48240  Ur iOS AppName: (UIKit) send gesture actions\n",
                    "log-default", "column header without TTL at line 1");
    assert_detected("2022-03-19 08:45:54.948946-0600 0x1a86f    Debug       0x0                  0 "
                    "     0    kernel: (AppleSystemPolicy) Library allowed\n"
                    "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0                  0 "
                    "     0    kernel: CODE SIGNING: cs_invalid_page(0x104ccc000)\n",
                    "log-default", "2 of 2 lines are default-style entries");
    /* an empty log show result: header, rule and summary only */
    assert_detected(
        "Timestamp                       Thread     Type        Activity             "
        "PID    TTL  \n"
        "--------------------------------------------------------------------------------"
        "------------------------------------\n"
        "Log      - Default:          0, Info:                0, Debug:             0, "
        "Error:          0, Fault:          0\n"
        "Activity - Create:           0, Transition:          0, Actions:           0\n",
        "log-default", "header");
}

static void test_detect_syslog_and_compact(void **state)
{
    (void)state;
    assert_detected("Timestamp                       (process)[PID]    \n"
                    "2023-09-27 22:55:39.622369+0200  localhost legacyScreenSaver[41737]: "
                    "(ScreenSaverExample) hello_screensaver\n",
                    "log-syslog", "column header at line 1");
    assert_detected("2026-04-20 11:27:38.071064+1000  localhost PrivilegesCLI[33962]: "
                    "(libxpc.dylib) [com.apple.xpc:connection] activating connection\n"
                    "2026-04-20 11:27:38.071194+1000  localhost PrivilegesCLI[33962]: "
                    "(CoreFoundation) Created Activity ID: 0x3b69bd0\n",
                    "log-syslog", "syslog-style entries");
    assert_detected("Timestamp               Ty Process[PID:TID]\n"
                    "2022-11-14 13:21:14.972 Df My App[59972:780a15] Configure argc/argv...\n",
                    "log-compact", "column header at line 1");
    assert_detected("2022-11-14 13:21:14.972 Df My App[59972:780a15] Configure argc/argv...\n"
                    "2022-11-14 13:21:15.341 Df My App[59972:780a15] (libffi.dylib) Hello!\n",
                    "log-compact", "compact-style entries");
}

static void test_detect_json_styles(void **state)
{
    (void)state;
    assert_detected("Filtering the log data using \"process == \"sudo\"\"\n"
                    "Skipping info and debug messages, pass --info and/or --debug to include.\n"
                    "[{\n"
                    "  \"traceID\" : 78134079258628,\n"
                    "  \"messageType\" : \"Default\",\n"
                    "  \"eventMessage\" : \"hello\",\n"
                    "  \"processImagePath\" : \"\\/usr\\/bin\\/sudo\"\n"
                    "}]\n",
                    "log-json", "starting at line 3");
    assert_detected("{\"timezoneName\":\"\",\"messageType\":\"Default\",\"eventType\":\"logEvent\","
                    "\"eventMessage\":\"x\",\"processID\":1}\n"
                    "{\"count\":1,\"finished\":1}\n",
                    "log-ndjson", "1 of 2 JSON lines are log events");
    assert_detected("{\"subsystem\":\"\",\"thread_id\":1,\"pid\":2,\"time\":1642304801596413351.0,"
                    "\"event_type\":\"Log\",\"log_type\":\"Default\",\"process\":\"/usr/bin/x\","
                    "\"message\":\"hi\"}\n",
                    "jsonl", "Mandiant");
}

static void test_not_a_log_style(void **state)
{
    (void)state;
    /* a crash report */
    assert_no_log_style(
        "Process:               Privileges [35360]\n"
        "Path:                  /Applications/Privileges.app/Contents/MacOS/Privileges\n"
        "Identifier:            corp.sap.privileges\n"
        "Date/Time:             2025-01-15 13:25:40.068 -0500\n"
        "OS Version:            macOS 13.7.2 (22H313)\n"
        "Exception Type:        EXC_CRASH (SIGKILL (Code Signature Invalid))\n"
        "Termination Reason:    Namespace CODESIGNING, Code 4 Launch Constraint\n");
    /* an .ips header and body start */
    assert_no_log_style("{\"app_name\":\"x\",\"timestamp\":\"2025-09-15 08:13:39.00 -0700\","
                        "\"bug_type\":\"309\",\"os_version\":\"macOS 13.7.8 (22H730)\"}\n"
                        "{\n  \"uptime\" : 8000,\n  \"procName\" : \"x\"\n}\n");
    /* a notarytool log */
    assert_no_log_style("{\n  \"logFormatVersion\": 1,\n  \"jobId\": \"abc\",\n"
                        "  \"status\": \"Invalid\",\n  \"issues\": [\n  ]\n}\n");
    /* other JSON with a "message" object */
    assert_no_log_style("{\"message\":{\"Count\":1},\"name\":\"ExecutableMeasurement\"}\n");
    /* prose around one pasted log line, and a quoted one */
    assert_no_log_style(
        "I see this when I start the app:\n"
        "It worked on Monday.\n"
        "Then after the update:\n"
        "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0                  "
        "0      0    kernel: CODE SIGNING: cs_invalid_page(0x104ccc000)\n"
        "Any idea?\n");
    assert_no_log_style("We pasted the log below, but first some context.\n"
                        "The app is signed with our Developer ID.\n"
                        "It worked on Monday; after the update it does not start.\n"
                        "Timestamp                       Thread     Type        Activity         "
                        "    PID    TTL\n"
                        "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0              "
                        "    0      0    kernel: CODE SIGNING: cs_invalid_page(0x104ccc000)\n");
    assert_no_log_style("> 2025-01-15 13:25:40.068147-0500 0x32d38   Default     0x0          "
                        "        0      0    Kernel: AMFI: Launch Constraint Violation\n");
    /* elision lines are not a JSON array */
    assert_no_log_style("[...]\n[...]\n");
    assert_no_log_style("");
}

static void test_garbage_is_survived(void **state)
{
    (void)state;
    /* deterministic pseudo-random bytes, cut into lines */
    static char buf[64 * 1024];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (char)(x & 0xff);
        /* sprinkle characters the parsers look for */
        if ((x >> 8) % 11 == 0) buf[i] = "{}[]\":\\\n 0-"[(x >> 16) % 11];
    }
    te_str lines[TE_DETECT_LINES];
    size_t n = 0;
    const char *p = buf, *end = buf + sizeof buf;
    while (p < end && n < TE_DETECT_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lines[n++] = te_str_make(p, len);
        p += len + 1;
    }
    for (size_t i = 0; i < N_MINE; i++) {
        char why[192];
        assert_int_equal(mine[i]->sniff(lines, n, why, sizeof why), 0);
    }
    char why[256];
    const te_reader_ops *r = te_detect_format(lines, n, why, sizeof why);
    assert_non_null(r);
    for (size_t i = 0; i < N_MINE; i++)
        assert_ptr_not_equal(r, mine[i]);
    /* every reader of this area digests the garbage with the accounting intact */
    const te_reader_ops *all[] = {&te_reader_log_default, &te_reader_log_syslog,
                                  &te_reader_log_compact, &te_reader_log_json,
                                  &te_reader_log_ndjson,  &te_reader_jsonl_mandiant,
                                  &te_reader_loose};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        collector *c = collect_run(all[i], buf, sizeof buf, 4093);
        assert_accounting(c);
        collect_free(c);
    }
}

static void test_empty_detection_is_loose(void **state)
{
    (void)state;
    char why[256] = "";
    const te_reader_ops *r = te_detect_format(NULL, 0, why, sizeof why);
    assert_non_null(r);
    assert_string_equal(r->name, "loose");
    assert_true(strlen(why) > 0);
}

static char *crlf_copy(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(2 * n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') *o++ = '\r';
        *o++ = text[i];
    }
    *o = '\0';
    return out;
}

/* Every reader of this area, on the same two-line record: empty input, no
 * final newline, CRLF, byte-by-byte feeding all give the same event. */
static void test_every_reader_basics(void **state)
{
    (void)state;
    static const struct {
        const te_reader_ops *ops;
        const char *text;
    } samples[] = {
        {&te_reader_log_default, "2022-03-19 08:45:54.949439-0600 0x1a86f    Default     0x0      "
                                 "            0      0    kernel: hi\n  more"},
        {&te_reader_log_syslog, "2023-05-26 13:42:44.136082+0200  localhost kernel[0]: hi\n  more"},
        {&te_reader_log_compact, "2022-11-14 13:21:14.972 Df kernel[0:1f] hi\n  more"},
        {&te_reader_log_json, "[{\n  \"eventMessage\" : \"hi\\n  more\",\n  \"processImagePath\" : "
                              "\"\\/kernel\"\n}]"},
        {&te_reader_log_ndjson,
         "{\"eventMessage\":\"hi\\n  more\",\"processImagePath\":\"\\/kernel\"}"},
        {&te_reader_jsonl_mandiant,
         "{\"message\":\"hi\\n  more\",\"process\":\"/kernel\",\"log_type\":\"Default\"}"},
        {&te_reader_loose, "kernel: hi\n  more"},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const te_reader_ops *ops = samples[i].ops;
        collector *c = collect_text(ops, "");
        assert_int_equal(c->n, 0);
        assert_int_equal(c->summary.lines, 0);
        collect_free(c);

        char *crlf = crlf_copy(samples[i].text);
        char with_newline[512];
        snprintf(with_newline, sizeof with_newline, "%s\n", samples[i].text);
        const char *variants[] = {samples[i].text, with_newline, crlf};
        for (size_t v = 0; v < 3; v++) {
            for (size_t chunk = 0; chunk < 3; chunk += 1) {
                c = collect_run(ops, variants[v], strlen(variants[v]), chunk);
                assert_accounting(c);
                if (c->n != 1) fail_msg("%s: %zu events (variant %zu)", ops->name, c->n, v);
                assert_string_equal(c->ev[0].process, "kernel");
                assert_string_equal(c->ev[0].message, "hi\n  more");
                assert_int_equal(c->ev[0].line, 1);
                assert_int_equal(c->summary.lines_not_understood, 0);
                collect_free(c);
            }
        }
        free(crlf);
    }
}

static void test_registry(void **state)
{
    (void)state;
    const te_reader_ops *const *all = te_readers_all();
    const char *order[] = {"log-default", "log-syslog", "log-compact", "log-json",
                           "log-ndjson",  "jsonl",      "loose",       "console",
                           "crash-text",  "crash-ips",  "notarytool",  "tool-output"};
    size_t n = 0;
    while (all[n])
        n++;
    assert_int_equal(n, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->name, order[i]);
        assert_non_null(all[i]->create);
        assert_non_null(all[i]->line);
        assert_ptr_equal(te_reader_find(order[i]), all[i]);
    }
    const char *aliases[][2] = {{"default", "log-default"}, {"syslog", "log-syslog"},
                                {"compact", "log-compact"}, {"json", "log-json"},
                                {"ndjson", "log-ndjson"},   {"mandiant", "jsonl"},
                                {"ips", "crash-ips"},       {"text", "crash-text"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        const te_reader_ops *r = te_reader_find(aliases[i][0]);
        assert_non_null(r);
        assert_string_equal(r->name, aliases[i][1]);
    }
    assert_null(te_reader_find("nope"));
    assert_null(te_reader_find(NULL));
    assert_null(te_reader_find(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_default_styles),
        cmocka_unit_test(test_detect_syslog_and_compact),
        cmocka_unit_test(test_detect_json_styles),
        cmocka_unit_test(test_not_a_log_style),
        cmocka_unit_test(test_garbage_is_survived),
        cmocka_unit_test(test_empty_detection_is_loose),
        cmocka_unit_test(test_every_reader_basics),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
