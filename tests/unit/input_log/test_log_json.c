/* Tests of the JSON log readers: log show --style json (pretty array with
 * preamble), ndjson (with the closing finished record) and Mandiant JSONL. */
#include "collect.h"

extern const te_reader_ops te_reader_log_json;
extern const te_reader_ops te_reader_log_ndjson;
extern const te_reader_ops te_reader_jsonl_mandiant;

static const char pretty[] =
    "Filtering the log data using \"process == \"sudo\"\"\n"
    "Skipping info and debug messages, pass --info and/or --debug to include.\n"
    "[{\n"
    "  \"timezoneName\" : \"\",\n"
    "  \"messageType\" : \"Default\",\n"
    "  \"eventType\" : \"logEvent\",\n"
    "  \"source\" : null,\n"
    "  \"formatString\" : \"%8s : %s\",\n"
    "  \"subsystem\" : \"\",\n"
    "  \"category\" : \"\",\n"
    "  \"threadID\" : 1138139,\n"
    "  \"backtrace\" : {\n"
    "    \"frames\" : [\n"
    "      {\n"
    "        \"imageOffset\" : 366276,\n"
    "        \"imageUUID\" : \"6A15F302-EE0B-3EC6-B466-82B675870A4E\"\n"
    "      }\n"
    "    ]\n"
    "  },\n"
    "  \"processImagePath\" : \"\\/usr\\/bin\\/sudo\",\n"
    "  \"senderImagePath\" : \"\\/usr\\/bin\\/sudo\",\n"
    "  \"timestamp\" : \"2025-08-09 10:11:55.521570-0400\",\n"
    "  \"machTimestamp\" : 5335783484167,\n"
    "  \"eventMessage\" : \"nicscott : TTY=ttys001 ; PWD=\\/Users\\/nicscott ; USER=root ; "
    "COMMAND=\\/bin\\/ls\",\n"
    "  \"traceID\" : 2298404520722436,\n"
    "  \"processID\" : 51184,\n"
    "  \"parentActivityIdentifier\" : 0\n"
    "},{\n"
    "  \"eventMessage\" : \"line1\\nline2 \\\"quoted\\\" \\u00e9 \\ud83d\\ude00 {not a brace}\",\n"
    "  \"processImagePath\" : \"\\/usr\\/libexec\\/amfid\",\n"
    "  \"senderImagePath\" : "
    "\"\\/System\\/Library\\/Frameworks\\/Security.framework\\/Versions\\/A\\/Security\",\n"
    "  \"subsystem\" : \"com.apple.MobileFileIntegrity\",\n"
    "  \"category\" : \"amfid\",\n"
    "  \"messageType\" : 16,\n"
    "  \"processID\" : 412,\n"
    "  \"timestamp\" : \"2025-08-09 10:11:56.000000-0400\",\n"
    "  \"source\" : {\"symbol\" : \"x]}\", \"line\" : 3}\n"
    "}]\n";

static void check_pretty(collector *c)
{
    assert_accounting(c);
    assert_int_equal(c->n, 2);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->process, "sudo");
    assert_string_equal(e->sender, "sudo");
    assert_int_equal(e->pid, 51184);
    assert_int_equal(e->thread, 1138139);
    assert_string_equal(e->type, "Default");
    assert_string_equal(
        e->message, "nicscott : TTY=ttys001 ; PWD=/Users/nicscott ; USER=root ; COMMAND=/bin/ls");
    assert_true(e->has_time && e->has_offset);
    assert_int_equal(e->time_us, 1754748715521570LL);
    assert_int_equal(e->offset_min, -240);
    assert_int_equal(e->line, 3);
    assert_int_equal(e->line_end, 28);
    e = &c->ev[1];
    assert_string_equal(e->message,
                        "line1\nline2 \"quoted\" \xc3\xa9 \xf0\x9f\x98\x80 {not a brace}");
    assert_string_equal(e->process, "amfid");
    assert_string_equal(e->sender, "Security");
    assert_string_equal(e->subsystem, "com.apple.MobileFileIntegrity");
    assert_string_equal(e->category, "amfid");
    assert_string_equal(e->type, "Error");
    assert_int_equal(e->pid, 412);
    assert_int_equal(e->line, 28);
    assert_int_equal(e->line_end, 38);
    assert_int_equal(c->summary.lines, 38);
    assert_int_equal(c->summary.lines_meta, 2);
    assert_int_equal(c->summary.lines_in_events, 36);
    assert_int_equal(c->warnings, 0);
}

static void test_pretty_array_with_preamble(void **state)
{
    (void)state;
    size_t chunks[] = {0, 1, 13, 4096};
    for (size_t i = 0; i < 4; i++) {
        collector *c = collect_run(&te_reader_log_json, pretty, strlen(pretty), chunks[i]);
        check_pretty(c);
        collect_free(c);
    }
}

static void test_pretty_bad_object_and_truncation(void **state)
{
    (void)state;
    const char *text = "[{\n"
                       "  \"eventMessage\" : oops,\n"
                       "  \"processID\" : 1\n"
                       "},{\n"
                       "  \"eventMessage\" : \"fine\",\n"
                       "  \"processID\" : 2\n"
                       "},{\n"
                       "  \"eventMessage\" : \"never closed\",\n";
    collector *c = collect_text(&te_reader_log_json, text);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].message, "fine");
    assert_int_equal(c->ev[0].pid, 2);
    assert_int_equal(c->warnings, 2);
    assert_int_equal(c->summary.lines_not_understood, 3 + 2);
    collect_free(c);
}

static void test_pretty_unterminated_string(void **state)
{
    (void)state;
    const char *text = "[{\n"
                       "  \"eventMessage\" : \"broken,\n"
                       "  \"processID\" : 1\n"
                       "},{\n"
                       "  \"eventMessage\" : \"ok {\",\n"
                       "  \"processID\" : 2\n"
                       "}]\n";
    collector *c = collect_text(&te_reader_log_json, text);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].message, "ok {");
    assert_int_equal(c->ev[0].pid, 2);
    assert_int_equal(c->ev[0].line, 4);
    assert_int_equal(c->summary.lines_not_understood, 4);
    assert_int_equal(c->summary.lines_in_events, 3);
    assert_int_equal(c->warnings, 1);
    assert_int_equal(c->last_warning_line, 1);
    collect_free(c);
}

static void test_pretty_too_deep(void **state)
{
    (void)state;
    char text[4096];
    char *p = text;
    p += sprintf(p, "[{\n  \"eventMessage\" : \"deep\",\n  \"x\" : ");
    for (int i = 0; i < 70; i++)
        *p++ = '[';
    for (int i = 0; i < 70; i++)
        *p++ = ']';
    p += sprintf(p, "\n},{\n  \"eventMessage\" : \"ok\"\n}]\n");
    collector *c = collect_run(&te_reader_log_json, text, (size_t)(p - text), 0);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].message, "ok");
    assert_int_equal(c->summary.records_skipped, 1);
    assert_int_equal(c->summary.lines_cut, 4); /* "},{" belongs to the skipped object */
    collect_free(c);
}

static const char ndjson[] =
    "{\"timezoneName\":\"\",\"messageType\":\"Error\",\"eventType\":\"logEvent\",\"source\":null,"
    "\"formatString\":\"%{public}@\",\"subsystem\":\"com.apple.ManagedClient\",\"category\":"
    "\"ProvisioningProfiles\",\"threadID\":11498972,\"processImagePath\":\"\\/usr\\/libexec\\/"
    "taskgated-helper\",\"senderImagePath\":\"\\/System\\/Library\\/PrivateFrameworks\\/"
    "ConfigurationProfiles.framework\\/Versions\\/A\\/ConfigurationProfiles\",\"eventMessage\":"
    "\"com.example.app: Unsatisfied entitlements: com.apple.developer.team-identifier\","
    "\"processID\":22207,\"timestamp\":\"2024-01-10 14:36:03.306061-0800\",\"backtrace\":{"
    "\"frames\":[{\"imageOffset\":1,\"imageUUID\":\"A\"}]}}\r\n"
    "not json at all\n"
    "{\"eventMessage\": \"broken\", \n"
    "\n"
    "{ \"eventType\" : \"activityCreateEvent\" , \"eventMessage\" : \"\" , \"processID\" : 7 }\n"
    "{\"count\":2,\"finished\":1}";

static void test_ndjson_with_finished_record(void **state)
{
    (void)state;
    size_t chunks[] = {0, 3, 64};
    for (size_t i = 0; i < 3; i++) {
        collector *c = collect_run(&te_reader_log_ndjson, ndjson, strlen(ndjson), chunks[i]);
        assert_accounting(c);
        assert_int_equal(c->n, 2);
        saved_event *e = &c->ev[0];
        assert_string_equal(e->process, "taskgated-helper");
        assert_string_equal(e->sender, "ConfigurationProfiles");
        assert_string_equal(e->subsystem, "com.apple.ManagedClient");
        assert_string_equal(e->category, "ProvisioningProfiles");
        assert_string_equal(e->type, "Error");
        assert_int_equal(e->pid, 22207);
        assert_int_equal(e->thread, 11498972);
        assert_string_equal(e->message, "com.example.app: Unsatisfied entitlements: "
                                        "com.apple.developer.team-identifier");
        assert_int_equal(e->time_us, 1704926163306061LL);
        assert_string_equal(collect_extra(e, "event_type"), "logEvent");
        assert_int_equal(e->line, 1);
        assert_string_equal(c->ev[1].type, "Activity");
        assert_string_equal(c->ev[1].message, "");
        assert_int_equal(c->ev[1].pid, 7);
        assert_int_equal(c->ev[1].line, 5);
        assert_int_equal(c->summary.lines, 6);
        assert_int_equal(c->summary.lines_in_events, 2);
        assert_int_equal(c->summary.lines_meta, 2); /* blank + finished */
        assert_int_equal(c->summary.lines_not_understood, 2);
        assert_int_equal(c->warnings, 2);
        assert_int_equal(c->last_warning_line, 3);
        collect_free(c);
    }
}

static void test_ndjson_depth_limit(void **state)
{
    (void)state;
    char text[512];
    char *p = text;
    p += sprintf(p, "{\"eventMessage\":\"x\",\"deep\":");
    for (int i = 0; i < 80; i++)
        *p++ = '[';
    for (int i = 0; i < 80; i++)
        *p++ = ']';
    p += sprintf(p, "}\n{\"eventMessage\":\"y\",\"ok\":[[[{}]]]}\n");
    collector *c = collect_run(&te_reader_log_ndjson, text, (size_t)(p - text), 0);
    assert_accounting(c);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].message, "y");
    assert_int_equal(c->summary.records_skipped, 1);
    assert_int_equal(c->summary.lines_cut, 1);
    collect_free(c);
}

static void test_ndjson_rejects_bad_escapes(void **state)
{
    (void)state;
    const char *text = "{\"eventMessage\":\"bad \\q escape\",\"processID\":1}\n"
                       "{\"eventMessage\":\"lone \\ud800 surrogate\",\"processID\":2}\n"
                       "{\"eventMessage\":\"x\",\"processID\":3} trailing\n"
                       "{\"eventMessage\":\"x\" \"processID\":4}\n";
    collector *c = collect_text(&te_reader_log_ndjson, text);
    assert_accounting(c);
    /* a bad escape makes the record invalid; a lone surrogate becomes U+FFFD */
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ev[0].message, "lone \xef\xbf\xbd surrogate");
    assert_int_equal(c->ev[0].pid, 2);
    assert_int_equal(c->summary.lines_not_understood, 3);
    assert_int_equal(c->warnings, 3);
    collect_free(c);
}

static const char mandiant[] =
    "{\"subsystem\":\"com.apple.securityd\",\"thread_id\":1234,\"pid\":412,\"euid\":0,"
    "\"library\":\"/usr/lib/libsecurity.dylib\",\"library_uuid\":\"AB\",\"activity_id\":0,"
    "\"time\":1642304801596413351.0,\"category\":\"security_exception\",\"event_type\":\"Log\","
    "\"log_type\":\"Error\",\"process\":\"/usr/libexec/amfid\",\"process_uuid\":\"CD\","
    "\"message\":\"hello \\\"x\\\"\",\"raw_message\":\"%s\",\"boot_uuid\":\"EF\","
    "\"timezone_name\":\"Pacific\",\"message_entries\":[{\"item_type\":\"string\"}]}\n"
    "{\"time\":1.6423048015964134e18,\"process\":\"/usr/libexec/syspolicyd\",\"message\":"
    "\"ticket not available\",\"log_type\":\"Default\",\"event_type\":\"Log\",\"pid\":500,"
    "\"thread_id\":1}\n"
    "{\"timestamp\":\"2022-01-16T03:46:41.596413351Z\",\"time\":1,\"process\":\"/kernel\","
    "\"message\":\"x\",\"log_type\":\"\",\"event_type\":\"Activity\",\"pid\":0}\n";

static void test_mandiant_jsonl(void **state)
{
    (void)state;
    collector *c = collect_text(&te_reader_jsonl_mandiant, mandiant);
    assert_accounting(c);
    assert_int_equal(c->n, 3);
    saved_event *e = &c->ev[0];
    assert_string_equal(e->process, "amfid");
    assert_string_equal(e->sender, "libsecurity.dylib");
    assert_string_equal(e->subsystem, "com.apple.securityd");
    assert_string_equal(e->category, "security_exception");
    assert_string_equal(e->type, "Error");
    assert_string_equal(e->message, "hello \"x\"");
    assert_int_equal(e->pid, 412);
    assert_int_equal(e->thread, 1234);
    assert_true(e->has_time && e->has_date);
    assert_int_equal(e->time_us, 1642304801596413LL);
    e = &c->ev[1];
    assert_string_equal(e->process, "syspolicyd");
    assert_true(e->has_time);
    assert_true(e->time_us > 1642304801596413LL - 1000 && e->time_us < 1642304801596413LL + 1000);
    e = &c->ev[2];
    assert_string_equal(e->type, "Activity");
    assert_int_equal(e->time_us, 1642304801596413LL); /* the timestamp string wins */
    assert_int_equal(e->pid, 0);
    collect_free(c);
}

static void test_json_empty_inputs(void **state)
{
    (void)state;
    const te_reader_ops *all[] = {&te_reader_log_json, &te_reader_log_ndjson,
                                  &te_reader_jsonl_mandiant};
    for (int i = 0; i < 3; i++) {
        collector *c = collect_text(all[i], "");
        assert_int_equal(c->n, 0);
        assert_int_equal(c->summary.lines, 0);
        collect_free(c);
        c = collect_text(all[i], "[]\n");
        assert_accounting(c);
        assert_int_equal(c->n, 0);
        collect_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretty_array_with_preamble),
        cmocka_unit_test(test_pretty_bad_object_and_truncation),
        cmocka_unit_test(test_pretty_unterminated_string),
        cmocka_unit_test(test_pretty_too_deep),
        cmocka_unit_test(test_ndjson_with_finished_record),
        cmocka_unit_test(test_ndjson_depth_limit),
        cmocka_unit_test(test_ndjson_rejects_bad_escapes),
        cmocka_unit_test(test_mandiant_jsonl),
        cmocka_unit_test(test_json_empty_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
