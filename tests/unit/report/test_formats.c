/* Tests of the report formats: text (timeline, colour), json, ndjson,
 * markdown, the event JSON, and hostile bytes (invalid UTF-8, NUL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"

static char *text_of(const te_incident *incidents, size_t n, bool color)
{
    te_report_options o = {TE_REPORT_TEXT, color, false};
    return run_reporter(&o, incidents, n, NULL, NULL);
}

/* The line of text containing needle (malloc'd), or NULL. */
static char *line_with(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (!hit) return NULL;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static size_t code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

/* ---- text ----------------------------------------------------------------- */

static void test_text_contents(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    char *out = text_of(&in, 1, false);
    assert_non_null(out);
    assert_null(strchr(out, '\x1b'));
    assert_non_null(strstr(out, "ERROR  The provisioning profile does not authorise the app's "
                                "entitlements  [ent-unsatisfied]\n"));
    assert_null(strstr(out, "unverified"));
    assert_non_null(strstr(out, "process:      A (pid 4242)\n"));
    assert_non_null(strstr(out, "path:         /Applications/A.app/Contents/MacOS/A\n"));
    assert_non_null(strstr(out, "bundle id:    com.example.A\n"));
    assert_null(strstr(out, "team id:"));
    assert_non_null(strstr(out, "first seen:   2024-01-10T14:36:03.306061-08:00\n"));
    assert_non_null(strstr(out, "last seen:    2024-01-10T14:36:04.540061-08:00\n"));
    /* facts aligned on the longest name ("entitlements:") */
    assert_non_null(strstr(out, "    bundle_id:    com.example.A\n"));
    assert_non_null(strstr(out, "    entitlements: com.apple.developer.system-extension.install, "
                                "com.apple.developer.team-identifier\n"));
    assert_non_null(strstr(out, "    path:         /Applications/A.app/Contents/MacOS/A\n"));
    /* fix, references, also */
    assert_non_null(strstr(out, "  Fix:\n    1. Decode the profile: security cms -D -i"));
    assert_non_null(strstr(out, "    2. Re-sign the app"));
    assert_non_null(strstr(out, "    3. Check with `codesign"));
    assert_non_null(strstr(out, "    - TN3125: Inside Code Signing: Provisioning Profiles — "
                                "https://developer.apple.com/documentation/technotes/tn3125\n"));
    assert_non_null(strstr(out, "  also explains: ent-no-profile, amfi-generic\n"));
    /* the diagnosis is wrapped to 100 columns */
    const char *diag = strstr(out, "  Diagnosis:\n");
    assert_non_null(diag);
    diag += strlen("  Diagnosis:\n");
    int lines = 0;
    while (strncmp(diag, "    ", 4) == 0) {
        const char *eol = strchr(diag, '\n');
        assert_non_null(eol);
        assert_true(code_points(diag, (size_t)(eol - diag)) <= 100);
        lines++;
        diag = eol + 1;
    }
    assert_true(lines >= 3);
    free(out);
}

static void test_text_unverified(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    in.unverified = true;
    char *out = text_of(&in, 1, false);
    assert_non_null(strstr(out, "[ent-unsatisfied] (unverified signature)\n"));
    free(out);
}

static void test_text_timeline(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    char *out = text_of(&in, 1, false);
    char *l0 = line_with(out, "Unsatisfied entitlements");
    char *l1 = line_with(out, "not valid");
    char *l2 = line_with(out, "Termination Reason");
    char *l3 = line_with(out, "bailing out");
    assert_non_null(l0);
    assert_non_null(l1);
    assert_non_null(l2);
    assert_non_null(l3);
    assert_non_null(strstr(l0, "    +0.000s   taskgated-helper(812)  com.example.A"));
    assert_non_null(strstr(l1, "    +0.218ms  amfid(311)"));
    assert_non_null(strstr(l3, "    +1.234s   kernel(0)"));
    /* untimed: blank time column, no process, kept after the line it followed */
    assert_true(strncmp(l2, "               ", 15) == 0);
    assert_true(strstr(out, "not valid") < strstr(out, "Termination Reason"));
    assert_true(strstr(out, "Termination Reason") < strstr(out, "bailing out"));
    /* first line only, marked; sources at the end */
    assert_null(strstr(out, "second line"));
    assert_non_null(strstr(l1, "profile found\"…  log.txt:3"));
    assert_non_null(strstr(l3, "restricted entitlements.  log.txt:9"));
    assert_non_null(strstr(l2, "crash.ips:7"));
    free(l0);
    free(l1);
    free(l2);
    free(l3);
    free(out);
}

static void test_text_timeline_sorted(void **state)
{
    (void)state;
    te_evidence ev[4] = {
        {"b.log:5", true, T0 + 2000000, 0, "late", 1, "late line", "r/p"},
        {"b.log:6", false, 0, 0, "after-late", 2, "untimed after late", "r/p"},
        {"a.log:1", true, T0, 0, "early", 3, "early line", "r/p"},
        {"a.log:2", true, T0 + 500, 0, "middle", 4, "middle line", "r/p"},
    };
    te_incident in = fixture_incident();
    in.evidence = ev;
    in.n_evidence = 4;
    char *out = text_of(&in, 1, false);
    const char *early = strstr(out, "early line"), *middle = strstr(out, "middle line");
    const char *late = strstr(out, "late line"), *after = strstr(out, "untimed after late");
    assert_true(early && middle && late && after);
    assert_true(early < middle && middle < late && late < after);
    char *l = line_with(out, "late line");
    assert_non_null(strstr(l, "+2.000s"));
    free(l);
    l = line_with(out, "middle line");
    assert_non_null(strstr(l, "+0.500ms"));
    free(l);
    free(out);
}

static void test_text_message_truncated(void **state)
{
    (void)state;
    char message[600];
    memset(message, 'x', 300);
    strcpy(message + 300, "TAIL");
    te_evidence ev = {"x.log:1", true, T0, 0, "p", 1, message, "r/p"};
    te_incident in = fixture_incident();
    in.evidence = &ev;
    in.n_evidence = 1;
    char *out = text_of(&in, 1, false);
    char *l = line_with(out, "xxxx");
    assert_non_null(l);
    assert_null(strstr(l, "TAIL"));
    assert_non_null(strstr(l, "x…  x.log:1"));
    const char *first_x = strchr(l, 'x');
    const char *ellipsis = strstr(l, "…");
    assert_int_equal(ellipsis - first_x, 160);
    free(l);
    free(out);
}

static void test_text_color(void **state)
{
    (void)state;
    te_incident in[2] = {fixture_incident(), fixture_incident()};
    in[1].severity = TE_SEVERITY_WARNING;
    char *out = text_of(in, 2, true);
    assert_non_null(strstr(out, "\x1b[1m\x1b[31mERROR\x1b[0m"));
    assert_non_null(strstr(out, "\x1b[1m\x1b[33mWARNING\x1b[0m"));
    assert_non_null(strstr(out, "\x1b[1mThe provisioning profile"));
    assert_non_null(strstr(out, "\x1b[2mlog.txt:1\x1b[0m"));
    free(out);
    in[0].severity = TE_SEVERITY_INFO;
    out = text_of(in, 1, true);
    assert_non_null(strstr(out, "\x1b[36mINFO"));
    free(out);
}

static void test_text_blank_line_between(void **state)
{
    (void)state;
    te_incident in[2] = {fixture_incident(), fixture_incident()};
    in[1].rule_id = "second-rule";
    char *out = text_of(in, 2, false);
    assert_true(strncmp(out, "ERROR", 5) == 0);
    assert_non_null(strstr(out, "\n\nERROR  The provisioning profile does not authorise the app's "
                                "entitlements  [second-rule]"));
    free(out);
}

static void test_text_escapes_control_characters(void **state)
{
    (void)state;
    te_evidence ev = {"x.log:1", true, T0, 0, "p", 1, "evil \x1b[31mred\x07 \xc2\x9b end", "r/p"};
    te_incident in = fixture_incident();
    in.evidence = &ev;
    in.n_evidence = 1;
    char *out = text_of(&in, 1, false);
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\x07'));
    assert_non_null(strstr(out, "evil \\x1b[31mred\\x07 \\u009b end"));
    free(out);
}

static void test_text_long_list_one_per_line(void **state)
{
    (void)state;
    const char *values[] = {"com.apple.developer.endpoint-security.client",
                            "com.apple.developer.system-extension.install",
                            "com.apple.developer.networking.networkextension"};
    te_fact fact = {"entitlements", values, 3, true};
    te_incident in = fixture_incident();
    in.facts = &fact;
    in.n_facts = 1;
    char *out = text_of(&in, 1, false);
    assert_non_null(strstr(out,
                           "    entitlements: com.apple.developer.endpoint-security.client\n"
                           "                  com.apple.developer.system-extension.install\n"
                           "                  com.apple.developer.networking.networkextension\n"));
    free(out);
}

static void test_text_summary(void **state)
{
    (void)state;
    te_summary s;
    memset(&s, 0, sizeof s);
    s.inputs = 3;
    s.inputs_failed = 1;
    s.bytes = 2048;
    s.lines = 456;
    s.lines_in_events = 400;
    s.lines_meta = 50;
    s.lines_not_understood = 6;
    s.events = 400;
    s.rules_loaded = 27;
    s.incidents = 2;
    s.incidents_suppressed = 1;
    s.logarchive_files = 5;
    s.regex_limit_hits = 2;
    s.members_skipped = 1;
    te_report_options o = {TE_REPORT_TEXT, false, false};
    char *summary = NULL;
    te_incident in = fixture_incident();
    char *out = run_reporter(&o, &in, 1, &s, &summary);
    assert_non_null(summary);
    /* nothing of the summary on the incident stream */
    assert_null(strstr(out, "rules loaded"));
    assert_non_null(strstr(summary, "3 inputs (1 failed), 2.0 KiB, 456 lines, 400 events"));
    assert_non_null(strstr(summary, "6 lines not understood, 0 lines cut"));
    assert_non_null(strstr(summary, "27 rules loaded, 2 incidents (1 suppressed)"));
    assert_non_null(strstr(summary, "5 logarchive files not decoded"));
    assert_non_null(strstr(summary, "2 regex limit hits"));
    assert_non_null(strstr(summary, "1 members skipped"));
    assert_null(strstr(summary, "contexts evicted"));
    assert_null(strstr(summary, "input errors"));
    assert_null(strchr(summary, '\x1b'));
    free(summary);
    free(out);
}

/* ---- json ------------------------------------------------------------------ */

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *v = json_loads(text, 0, &error);
    if (!v) fail_msg("invalid JSON (%s): %s", error.text, text);
    return v;
}

static void test_incident_json_contract(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    char *text = te_incident_to_json(&in, false);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    json_t *obj = parse(text);
    static const char *const keys[] = {
        "id",    "title",     "severity", "unverified", "first_seen", "last_seen",        "subject",
        "facts", "diagnosis", "fix",      "references", "evidence",   "evidence_dropped", "also"};
    size_t k = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), k++) {
        assert_true(k < sizeof keys / sizeof keys[0]);
        assert_string_equal(json_object_iter_key(it), keys[k]);
    }
    assert_int_equal(k, sizeof keys / sizeof keys[0]);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "ent-unsatisfied");
    assert_string_equal(json_string_value(json_object_get(obj, "severity")), "error");
    assert_true(json_is_false(json_object_get(obj, "unverified")));
    assert_string_equal(json_string_value(json_object_get(obj, "first_seen")),
                        "2024-01-10T14:36:03.306061-08:00");
    json_t *subject = json_object_get(obj, "subject");
    assert_int_equal(json_object_size(subject), 4);
    assert_string_equal(json_string_value(json_object_get(subject, "process")), "A");
    assert_int_equal(json_integer_value(json_object_get(subject, "pid")), 4242);
    assert_null(json_object_get(subject, "team_id"));
    json_t *facts = json_object_get(obj, "facts");
    assert_true(json_is_string(json_object_get(facts, "bundle_id")));
    assert_true(json_is_array(json_object_get(facts, "entitlements")));
    assert_int_equal(json_array_size(json_object_get(facts, "entitlements")), 2);
    /* is_list with one value is still a list */
    assert_true(json_is_array(json_object_get(facts, "path")));
    assert_int_equal(json_array_size(json_object_get(obj, "fix")), 3);
    json_t *ref = json_array_get(json_object_get(obj, "references"), 0);
    assert_string_equal(json_string_value(json_object_get(ref, "url")),
                        "https://developer.apple.com/documentation/technotes/tn3125");
    json_t *ev = json_object_get(obj, "evidence");
    assert_int_equal(json_array_size(ev), 4);
    json_t *e0 = json_array_get(ev, 0), *e2 = json_array_get(ev, 2);
    assert_string_equal(json_string_value(json_object_get(e0, "source")), "log.txt:1");
    assert_string_equal(json_string_value(json_object_get(e0, "time")),
                        "2024-01-10T14:36:03.306061-08:00");
    assert_string_equal(json_string_value(json_object_get(e0, "process")), "taskgated-helper");
    assert_int_equal(json_integer_value(json_object_get(e0, "pid")), 812);
    assert_string_equal(json_string_value(json_object_get(e0, "pattern")),
                        "ent-unsatisfied/unsatisfied");
    assert_true(json_is_null(json_object_get(e2, "time")));
    assert_true(json_is_null(json_object_get(e2, "pid")));
    assert_true(json_is_null(json_object_get(e2, "process")));
    /* the message is kept whole in JSON, newlines included */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(ev, 1), "message")),
                           "\nsecond line"));
    assert_true(json_is_integer(json_object_get(obj, "evidence_dropped")));
    assert_int_equal(json_array_size(json_object_get(obj, "also")), 2);
    json_decref(obj);
    free(text);
}

static void test_incident_json_unknowns(void **state)
{
    (void)state;
    te_incident in;
    memset(&in, 0, sizeof in);
    in.pid = -1;
    in.severity = TE_SEVERITY_WARNING;
    in.unverified = true;
    char *text = te_incident_to_json(&in, true);
    assert_non_null(text);
    json_t *obj = parse(text);
    assert_string_equal(json_string_value(json_object_get(obj, "severity")), "warning");
    assert_true(json_is_true(json_object_get(obj, "unverified")));
    assert_true(json_is_null(json_object_get(obj, "first_seen")));
    assert_true(json_is_null(json_object_get(obj, "last_seen")));
    assert_int_equal(json_object_size(json_object_get(obj, "subject")), 0);
    assert_int_equal(json_object_size(json_object_get(obj, "facts")), 0);
    assert_int_equal(json_array_size(json_object_get(obj, "evidence")), 0);
    assert_int_equal(json_array_size(json_object_get(obj, "also")), 0);
    json_decref(obj);
    free(text);
    /* every format copes with the empty incident */
    for (int f = TE_REPORT_TEXT; f <= TE_REPORT_MARKDOWN; f++) {
        te_report_options o = {(te_report_format)f, true, true};
        char *out = run_reporter(&o, &in, 1, NULL, NULL);
        assert_non_null(out);
        free(out);
    }
}

static void test_ndjson_one_line_per_incident(void **state)
{
    (void)state;
    te_incident in[2] = {fixture_incident(), fixture_incident()};
    in[1].rule_id = "other";
    te_summary s;
    memset(&s, 0, sizeof s);
    s.incidents = 2;
    te_report_options o = {TE_REPORT_NDJSON, true, false};
    char *summary = NULL;
    char *out = run_reporter(&o, in, 2, &s, &summary);
    /* stdout holds only the incidents; the text summary goes to the summary stream */
    assert_true(strncmp(summary, "summary: 0 inputs", 17) == 0);
    assert_non_null(strstr(summary, "2 incidents"));
    free(summary);
    assert_null(strstr(out, "summary"));
    assert_null(strchr(out, '\x1b'));
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    char *end = strchr(second, '\n');
    assert_non_null(end);
    *end = '\0';
    assert_string_equal(end + 1, "");
    json_t *a = parse(out), *b = parse(second);
    assert_string_equal(json_string_value(json_object_get(a, "id")), "ent-unsatisfied");
    assert_string_equal(json_string_value(json_object_get(b, "id")), "other");
    json_decref(a);
    json_decref(b);
    free(out);
}

static void test_json_document(void **state)
{
    (void)state;
    te_incident in[2] = {fixture_incident(), fixture_incident()};
    in[1].rule_id = "other";
    te_summary s;
    memset(&s, 0, sizeof s);
    s.inputs = 1;
    s.lines = 10;
    s.incidents = 2;
    s.logarchive_files = 3;
    te_report_options o = {TE_REPORT_JSON, false, false};
    char *out = run_reporter(&o, in, 2, &s, NULL);
    json_t *doc = parse(out);
    json_t *incidents = json_object_get(doc, "incidents");
    assert_int_equal(json_array_size(incidents), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(incidents, 1), "id")),
                        "other");
    json_t *summary = json_object_get(doc, "summary");
    static const char *const keys[] = {"inputs",
                                       "inputs_failed",
                                       "bytes",
                                       "lines",
                                       "lines_in_events",
                                       "lines_meta",
                                       "lines_not_understood",
                                       "lines_cut",
                                       "events",
                                       "matches",
                                       "rules_loaded",
                                       "incidents",
                                       "incidents_suppressed",
                                       "contexts_evicted",
                                       "evidence_dropped",
                                       "regex_limit_hits",
                                       "records_skipped",
                                       "reports_skipped",
                                       "logarchive_files_not_decoded",
                                       "members_skipped",
                                       "input_errors",
                                       "binary_files_skipped"};
    assert_int_equal(json_object_size(summary), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(json_is_integer(json_object_get(summary, keys[i])));
    assert_int_equal(json_integer_value(json_object_get(summary, "logarchive_files_not_decoded")),
                     3);
    assert_int_equal(json_integer_value(json_object_get(summary, "lines")), 10);
    json_decref(doc);
    free(out);

    /* no incidents still gives a document */
    out = run_reporter(&o, NULL, 0, NULL, NULL);
    doc = parse(out);
    assert_int_equal(json_array_size(json_object_get(doc, "incidents")), 0);
    assert_true(json_is_object(json_object_get(doc, "summary")));
    json_decref(doc);
    free(out);
}

static void test_json_invalid_utf8_and_nul(void **state)
{
    (void)state;
    te_evidence ev = {"bad\xff.log:1",
                      true,
                      T0,
                      0,
                      "p\xc3",
                      1,
                      "bad \xff\xfe bytes \xed\xa0\x80 surrogate \xc0\xaf overlong \xe2\x82",
                      "r/p"};
    const char *values[] = {"ok \xf5\x80\x80\x80 value"};
    te_fact fact = {"name\x80", values, 1, false};
    te_incident in = fixture_incident();
    in.evidence = &ev;
    in.n_evidence = 1;
    in.facts = &fact;
    in.n_facts = 1;
    in.title = "title \xe9t\xe9";
    char *text = te_incident_to_json(&in, false);
    assert_non_null(text);
    json_t *obj = parse(text);
    const char *msg = json_string_value(
        json_object_get(json_array_get(json_object_get(obj, "evidence"), 0), "message"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"));
    assert_string_equal(json_string_value(json_object_get(obj, "title")),
                        "title \xEF\xBF\xBDt\xEF\xBF\xBD");
    json_decref(obj);
    free(text);

    /* the whole formats too */
    for (int f = TE_REPORT_TEXT; f <= TE_REPORT_MARKDOWN; f++) {
        te_report_options o = {(te_report_format)f, false, false};
        char *out = run_reporter(&o, &in, 1, NULL, NULL);
        assert_non_null(out);
        assert_null(strstr(out, "\xff"));
        if (f == TE_REPORT_JSON || f == TE_REPORT_NDJSON) json_decref(parse(out));
        free(out);
    }

    /* events carry te_str views: NUL bytes inside */
    static const char message[] = "nul\0inside \xff";
    te_event e;
    memset(&e, 0, sizeof e);
    e.source = (te_str){"system.log", 10};
    e.line = 12;
    e.pid = -1;
    e.thread = -1;
    e.message = (te_str){message, sizeof message - 1};
    char *ej = te_event_to_json(&e);
    assert_non_null(ej);
    obj = parse(ej);
    assert_string_equal(json_string_value(json_object_get(obj, "message")),
                        "nul\xEF\xBF\xBDinside \xEF\xBF\xBD");
    json_decref(obj);
    free(ej);
}

static void test_event_json(void **state)
{
    (void)state;
    te_event e;
    memset(&e, 0, sizeof e);
    e.source = (te_str){"archive.tar!system_logs.log", 27};
    e.line = 42;
    e.has_time = true;
    e.has_date = true;
    e.has_offset = true;
    e.time_us = T0;
    e.utc_offset_min = -480;
    e.type = (te_str){"Error", 5};
    e.process = (te_str){"amfid", 5};
    e.pid = 311;
    e.thread = 0x1a2b;
    e.message = (te_str){"hello \"world\"", 13};
    char *text = te_event_to_json(&e);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    json_t *obj = parse(text);
    static const char *const keys[] = {"source", "time",   "type",      "process",  "pid",
                                       "thread", "sender", "subsystem", "category", "message"};
    size_t k = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), k++)
        assert_string_equal(json_object_iter_key(it), keys[k]);
    assert_int_equal(k, 10);
    assert_string_equal(json_string_value(json_object_get(obj, "source")),
                        "archive.tar!system_logs.log:42");
    assert_string_equal(json_string_value(json_object_get(obj, "time")),
                        "2024-01-10T14:36:03.306061-08:00");
    assert_string_equal(json_string_value(json_object_get(obj, "type")), "Error");
    assert_int_equal(json_integer_value(json_object_get(obj, "pid")), 311);
    assert_int_equal(json_integer_value(json_object_get(obj, "thread")), 0x1a2b);
    assert_true(json_is_null(json_object_get(obj, "sender")));
    assert_true(json_is_null(json_object_get(obj, "subsystem")));
    assert_true(json_is_null(json_object_get(obj, "category")));
    assert_string_equal(json_string_value(json_object_get(obj, "message")), "hello \"world\"");
    json_decref(obj);
    free(text);

    /* time of day only, unknown pid/thread */
    e.has_date = false;
    e.has_offset = false;
    e.time_us = (10 * 3600 + 23 * 60 + 2) * 1000000LL + 726078;
    e.utc_offset_min = 0;
    e.pid = -1;
    e.thread = -1;
    text = te_event_to_json(&e);
    obj = parse(text);
    assert_string_equal(json_string_value(json_object_get(obj, "time")), "10:23:02.726078");
    assert_true(json_is_null(json_object_get(obj, "pid")));
    assert_true(json_is_null(json_object_get(obj, "thread")));
    json_decref(obj);
    free(text);
    e.has_time = false;
    text = te_event_to_json(&e);
    obj = parse(text);
    assert_true(json_is_null(json_object_get(obj, "time")));
    json_decref(obj);
    free(text);
}

/* ---- markdown ---------------------------------------------------------------- */

static char *markdown_of(const te_incident *in, size_t n, const te_summary *s)
{
    te_report_options o = {TE_REPORT_MARKDOWN, true, false};
    return run_reporter(&o, in, n, s, NULL);
}

static void test_markdown_structure(void **state)
{
    (void)state;
    const char *values[] = {"a|b", "plain"};
    te_fact facts[2] = {{"odd|name", values, 1, false}, {"list", values, 2, true}};
    te_incident in = fixture_incident();
    in.facts = facts;
    in.n_facts = 2;
    te_summary s;
    memset(&s, 0, sizeof s);
    s.inputs = 2;
    s.incidents = 1;
    s.logarchive_files = 4;
    char *out = markdown_of(&in, 1, &s);
    assert_null(strchr(out, '\x1b'));
    assert_true(strncmp(out, "# tediag report\n\n", 17) == 0);
    assert_non_null(strstr(out, "\n## 1. Error: The provisioning profile does not authorise the "
                                "app's entitlements\n"));
    assert_non_null(strstr(out, "**Severity:** error · **Rule:** `ent-unsatisfied`"));
    assert_non_null(strstr(out, "- **Bundle ID:** `com.example.A`\n"));
    assert_non_null(strstr(out, "| fact | value |\n| --- | --- |\n"));
    assert_non_null(strstr(out, "| odd\\|name | `a\\|b` |\n"));
    assert_non_null(strstr(out, "| list | `a\\|b`<br>`plain` |\n"));
    /* checklist: commands into backticks unless the author used them */
    assert_non_null(strstr(out, "- [ ] Decode the profile: `security cms -D -i "
                                "\"/Applications/A.app/Contents/embedded.provisionprofile\"`\n"));
    assert_non_null(strstr(out, "- [ ] Re-sign the app with a profile that lists every "
                                "entitlement.\n"));
    assert_non_null(strstr(out, "- [ ] Check with `codesign -d --entitlements - A.app` that "
                                "nothing else is claimed\n"));
    assert_non_null(strstr(out, "- [TN3125: Inside Code Signing: Provisioning Profiles]"
                                "(https://developer.apple.com/documentation/technotes/tn3125)\n"));
    assert_non_null(strstr(out, "Also explains: `ent-no-profile`, `amfi-generic`"));
    /* evidence: four lines, a plain fenced block */
    assert_non_null(strstr(out, "**Evidence:**\n\n```text\n+0.000s"));
    assert_null(strstr(out, "<details>"));
    /* the whole message in markdown, continuation indented */
    assert_non_null(strstr(out, "\n                                 second line\n"));
    /* the summary table at the end */
    const char *sum = strstr(out, "## Run summary\n\n| item | count |\n| --- | ---: |\n");
    assert_non_null(sum);
    assert_non_null(strstr(sum, "| inputs | 2 |\n"));
    assert_non_null(strstr(sum, "| lines cut | 0 |\n"));
    assert_non_null(strstr(sum, "| logarchive files not decoded | 4 |\n"));
    assert_null(strstr(sum, "contexts evicted"));
    assert_true(strstr(out, "```text") < sum);
    free(out);
}

static void test_markdown_details_and_fence(void **state)
{
    (void)state;
    te_evidence ev[11];
    for (size_t i = 0; i < 11; i++)
        ev[i] = (te_evidence){"x.log:1", true, T0 + (int64_t)i, 0, "p", 1, "line", "r/p"};
    ev[3].message = "contains ``` a fence and ```` four";
    te_incident in = fixture_incident();
    in.evidence = ev;
    in.n_evidence = 10;
    char *out = markdown_of(&in, 1, NULL);
    assert_null(strstr(out, "<details>"));
    assert_non_null(strstr(out, "\n`````text\n"));
    assert_non_null(strstr(out, "\n`````\n"));
    free(out);
    in.n_evidence = 11;
    in.evidence_dropped = 2;
    out = markdown_of(&in, 1, NULL);
    assert_non_null(strstr(out, "<details><summary>Evidence (11 lines)</summary>\n\n`````text\n"));
    assert_non_null(strstr(out, "… 2 more evidence lines dropped (limit)\n`````\n\n</details>\n"));
    free(out);
}

static void test_markdown_escapes_inline(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    in.title = "Title with <private> and *stars* | pipe";
    in.diagnosis = "First line\n- not a list";
    char *out = markdown_of(&in, 1, NULL);
    assert_non_null(
        strstr(out, "## 1. Error: Title with \\<private\\> and \\*stars\\* \\| pipe\n"));
    assert_non_null(strstr(out, "**Diagnosis:** First line  \n\\- not a list\n"));
    free(out);
    /* no incident: says so, then the summary */
    out = markdown_of(NULL, 0, NULL);
    assert_non_null(strstr(out, "# tediag report\n\nNo incidents found.\n\n## Run summary"));
    free(out);
}

/* Commands inside fix prose: each in its own code span, the prose around
 * them plain; English words that are also commands stay prose. */
static void test_markdown_commands_in_prose(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "Decode it: security cms -D -i \"/A.app/p\" > p.plist. Every claimed key must be in it.",
        ("Check Gatekeeper: spctl -a -vvv -t exec \"/A.app\", xattr -l \"/A.app\", and on "
         "macOS 14+ syspolicy_check distribution \"/A.app\"."),
        "Developers: find out why the certificate was revoked, then make codesign the last step.",
        "Pass the SHA-1 hash from security find-identity instead of the name.",
        "Look at the log (\"sudo log show --last 1m\") and run sudo xprotect version on macOS 15+.",
        "Fix the install name (install_name_tool -change ... @rpath/x), then sign.",
    };
    te_incident in = fixture_incident();
    in.fix = steps;
    in.n_fix = sizeof steps / sizeof steps[0];
    char *out = markdown_of(&in, 1, NULL);
    assert_non_null(strstr(out, "- [ ] Decode it: `security cms -D -i \"/A.app/p\" > p.plist`. "
                                "Every claimed key must be in it.\n"));
    assert_non_null(strstr(out, "- [ ] Check Gatekeeper: `spctl -a -vvv -t exec \"/A.app\"`, "
                                "`xattr -l \"/A.app\"`, and on macOS 14+ "
                                "`syspolicy_check distribution \"/A.app\"`.\n"));
    assert_non_null(strstr(out, "- [ ] Developers: find out why the certificate was revoked, then "
                                "make codesign the last step.\n"));
    assert_non_null(strstr(out, "from `security find-identity` instead of the name.\n"));
    /* a command quoted in prose stays in its quotation */
    assert_non_null(strstr(out, "(\"sudo log show --last 1m\") and run `sudo xprotect version` "
                                "on macOS 15+.\n"));
    assert_non_null(strstr(out, "(`install_name_tool -change ... @rpath/x`), then sign.\n"));
    free(out);
}

/* ---- misc ---------------------------------------------------------------------- */

static void test_format_parse(void **state)
{
    (void)state;
    te_report_format f;
    assert_true(te_report_format_parse("text", &f));
    assert_int_equal(f, TE_REPORT_TEXT);
    assert_true(te_report_format_parse("json", &f));
    assert_int_equal(f, TE_REPORT_JSON);
    assert_true(te_report_format_parse("ndjson", &f));
    assert_int_equal(f, TE_REPORT_NDJSON);
    assert_true(te_report_format_parse("markdown", &f));
    assert_int_equal(f, TE_REPORT_MARKDOWN);
    assert_true(te_report_format_parse("md", &f));
    assert_int_equal(f, TE_REPORT_MARKDOWN);
    assert_false(te_report_format_parse("xml", &f));
    assert_false(te_report_format_parse("", &f));
    assert_false(te_report_format_parse(NULL, &f));
}

static void test_write_errors_do_not_crash(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (!full) skip();
    te_incident in = fixture_incident();
    for (int f = TE_REPORT_TEXT; f <= TE_REPORT_MARKDOWN; f++) {
        te_report_options o = {(te_report_format)f, false, false};
        te_reporter *r = te_reporter_new(full, &o);
        assert_non_null(r);
        for (int i = 0; i < 200; i++)
            te_reporter_incident(r, &in);
        te_reporter_finish(r, NULL, full);
        te_reporter_free(r);
    }
    fclose(full);
    /* a read-only stream refuses every write */
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    te_report_options o = {TE_REPORT_NDJSON, false, false};
    te_reporter *r = te_reporter_new(ro, &o);
    te_reporter_incident(r, &in);
    te_reporter_finish(r, NULL, ro);
    te_reporter_free(r);
    fclose(ro);
    assert_null(te_reporter_new(NULL, &o));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_contents),
        cmocka_unit_test(test_text_unverified),
        cmocka_unit_test(test_text_timeline),
        cmocka_unit_test(test_text_timeline_sorted),
        cmocka_unit_test(test_text_message_truncated),
        cmocka_unit_test(test_text_color),
        cmocka_unit_test(test_text_blank_line_between),
        cmocka_unit_test(test_text_escapes_control_characters),
        cmocka_unit_test(test_text_long_list_one_per_line),
        cmocka_unit_test(test_text_summary),
        cmocka_unit_test(test_incident_json_contract),
        cmocka_unit_test(test_incident_json_unknowns),
        cmocka_unit_test(test_ndjson_one_line_per_incident),
        cmocka_unit_test(test_json_document),
        cmocka_unit_test(test_json_invalid_utf8_and_nul),
        cmocka_unit_test(test_event_json),
        cmocka_unit_test(test_markdown_structure),
        cmocka_unit_test(test_markdown_details_and_fence),
        cmocka_unit_test(test_markdown_escapes_inline),
        cmocka_unit_test(test_markdown_commands_in_prose),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_write_errors_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
