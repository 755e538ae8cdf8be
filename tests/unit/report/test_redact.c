/* Tests of redaction: each category gets a stable placeholder within a run,
 * and what a diagnosis needs (bundle ids, Team IDs, entitlements, system
 * paths, versions) is kept. Both the redactor itself and through reporters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "engine/limits.h"
#include "report/report_impl.h"

/* Redacts text with redactor r; returns a malloc'd string. */
static char *redact_with(te_redactor *r, const char *text)
{
    te_buf b;
    te_buf_init(&b, 0);
    assert_true(te_redact_append(r, &b, text, strlen(text)));
    assert_true(te_buf_terminate(&b));
    return b.data;
}

static void expect(te_redactor *r, const char *in, const char *out)
{
    char *got = redact_with(r, in);
    if (strcmp(got, out) != 0)
        fail_msg("redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, out);
    free(got);
}

static void expect_kept(const char *text)
{
    te_redactor *r = te_redactor_new();
    expect(r, text, text);
    te_redactor_free(r);
}

static void test_home_paths(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "/Users/john/Library/Developer/Xcode/DerivedData/x",
           "/Users/<user1>/Library/Developer/Xcode/DerivedData/x");
    expect(r, "tried: '/Users/ws/Desktop/a.dylib' and /Users/john",
           "tried: '/Users/<user2>/Desktop/a.dylib' and /Users/<user1>");
    expect(r, "file:///Users/john/Downloads/App.app/", "file:///Users/<user1>/Downloads/App.app/");
    expect(r, "/Users/Shared/x and /Users/.localized", "/Users/Shared/x and /Users/.localized");
    te_redactor_free(r);
}

static void test_emails(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "Signing Identity:     \"Mac Developer: home@gmail.com ()\"",
           "Signing Identity:     \"Mac Developer: <email1> ()\"");
    expect(r, "origin=Mac Developer: g.litenstein@gmail.com (B9BYV4VDX3)",
           "origin=Mac Developer: <person1> (B9BYV4VDX3)"); /* a certificate's person */
    expect(r, "contact g.litenstein@gmail.com", "contact <email2>");
    expect(r, "again HOME@Gmail.com.", "again <email1>.");
    /* not addresses */
    expect(r, "icon@2x.png @rpath/Foo.framework/Foo @executable_path/../Frameworks",
           "icon@2x.png @rpath/Foo.framework/Foo @executable_path/../Frameworks");
    te_redactor_free(r);
}

static void test_hosts(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "Johns-MacBook-Pro.local kernel[0]: x", "<host1> kernel[0]: x");
    expect(r, "Jan 10 14:36:03 Johns-MacBook-Pro kernel[0]:", "Jan 10 14:36:03 <host1> kernel[0]:");
    expect(r, "connected to office-imac.lan.", "connected to <host2>.");
    expect(r, "Janes-iMac and Office-Mac-mini", "<host3> and <host4>");
    expect(r, "Computer Name: John's MacBook Pro\nnext", "Computer Name: <host5>\nnext");
    expect(r, "HostName = \"build-box\"", "HostName = \"<host6>\"");
    expect(r, "hostname: localhost", "hostname: localhost");
    expect(r, "the hostname could not be resolved", "the hostname could not be resolved");
    expect(r, "LocalHostName: Johns-MacBook-Pro", "LocalHostName: <host1>");
    te_redactor_free(r);
}

static void test_serials(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "Serial Number (system): C02XK0AAJGH5", "Serial Number (system): <serial1>");
    expect(r, "\"IOPlatformSerialNumber\" = \"C02XK0AAJGH5\"",
           "\"IOPlatformSerialNumber\" = \"<serial1>\"");
    expect(r, "serial=H4WJ2K3L9P", "serial=<serial2>");
    /* without a serial context, 10-12 upper-case alphanumerics stay */
    expect(r, "Team ID: B9BYV4VDX3, C02XK0AAJGH5", "Team ID: B9BYV4VDX3, C02XK0AAJGH5");
    expect(r, "deserialize ABCDEFGHIJ1", "deserialize ABCDEFGHIJ1");
    te_redactor_free(r);
}

static void test_ip_addresses(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "from 192.168.1.20:443 to 10.0.0.7", "from <ip1>:443 to <ip2>");
    expect(r, "again 192.168.1.20.", "again <ip1>.");
    expect(r, "fe80::1c2b:3aff:fe4d:5e6f%en0 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
           "<ip3>%en0 and <ip4>");
    expect(r, "loopback 127.0.0.1 ::1 0.0.0.0", "loopback 127.0.0.1 ::1 0.0.0.0");
    te_redactor_free(r);
}

static void test_signers(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    expect(r, "Authority=Developer ID Application: Jane Doe (ABCDE12345)",
           "Authority=Developer ID Application: <person1> (ABCDE12345)");
    expect(r,
           "\"Apple Development: Jane Doe (ABCDE12345)\" and Apple Distribution: Max "
           "Müller (Z9Y8X7W6V5)",
           "\"Apple Development: <person1> (ABCDE12345)\" and Apple Distribution: <person2> "
           "(Z9Y8X7W6V5)");
    expect(r, "3rd Party Mac Developer Installer: Acme Corp, Inc. (ABCDE12345)",
           "3rd Party Mac Developer Installer: <person3> (ABCDE12345)");
    /* not a certificate name: the templates' NAME, no Team ID, a placeholder already */
    expect(r, "--sign \"Developer ID Application: NAME (TEAMID)\"",
           "--sign \"Developer ID Application: NAME (TEAMID)\"");
    expect(r, "Developer ID Application: NAME (ABCDE12345)",
           "Developer ID Application: NAME (ABCDE12345)");
    expect(r, "Developer ID Application: Jane Doe", "Developer ID Application: Jane Doe");
    expect(r, "Apple Development: Jane (abc)", "Apple Development: Jane (abc)");
    expect(r, "Developer ID Application: <person1> (ABCDE12345)",
           "Developer ID Application: <person1> (ABCDE12345)");
    te_redactor_free(r);
}

static void test_kept(void **state)
{
    (void)state;
    expect_kept("com.example.App: Unsatisfied entitlements: com.apple.developer.team-identifier, "
                "com.apple.developer.system-extension.install");
    expect_kept("TeamIdentifier=ABCDE12345 Team ID: B9BYV4VDX3 team-identifier ABCDE12345");
    expect_kept("/System/Library/Frameworks/Security.framework/Security /usr/lib/libSystem.B.dylib "
                "/Library/Apple/System/Library/CoreServices/XProtect.bundle "
                "/Applications/Xcode.app/Contents/Developer");
    expect_kept("Version: 10.15.7 (19H15) OS Version: macOS 14.2.1 (23C71) Version 1.2.3.4");
    expect_kept("2024-01-10 14:36:03.306061-0800 0x1a2b Default 0x0 311 0 amfid: x");
    expect_kept("std::string dyld4::Loader 0x14f3041d0 <4C4C44DE-5555-3144-A1F3-157338206E36>");
    expect_kept("com.apple.security.cs.disable-library-validation com.apple.quarantine "
                "com.example.App.local.helper");
    expect_kept("Code=-413 \"No matching profile found\" <private> MacBookPro18,3");
}

static void test_placeholders_stable_across_reporter(void **state)
{
    (void)state;
    te_evidence ev[2] = {
        {"/Users/john/Desktop/log.txt:1", true, T0, 0, "amfid", 1,
         "/Users/john/App.app not valid on Johns-MacBook-Pro.local (john@example.com)", "r/p"},
        {"/Users/john/Desktop/log.txt:2", true, T0 + 5, 0, "kernel", 0,
         "Serial Number: C02XK0AAJGH5 from 192.168.1.20", "r/p"},
    };
    const char *values[] = {"/Users/john/App.app"};
    te_fact fact = {"path", values, 1, false};
    te_incident in[2] = {fixture_incident(), fixture_incident()};
    for (int i = 0; i < 2; i++) {
        in[i].evidence = ev;
        in[i].n_evidence = 2;
        in[i].facts = &fact;
        in[i].n_facts = 1;
        in[i].path = "/Users/john/App.app/Contents/MacOS/App";
        in[i].team_id = "ABCDE12345";
    }
    in[1].path = "/Users/maryjane/App.app";
    for (int f = TE_REPORT_TEXT; f <= TE_REPORT_MARKDOWN; f++) {
        te_report_options o = {(te_report_format)f, false, true};
        char *out = run_reporter(&o, in, 2, NULL, NULL);
        assert_non_null(out);
        assert_null(strstr(out, "john"));
        assert_null(strstr(out, "maryjane"));
        assert_null(strstr(out, "Johns-MacBook"));
        assert_null(strstr(out, "example.com"));
        assert_null(strstr(out, "C02XK0AAJGH5"));
        assert_null(strstr(out, "192.168"));
        assert_non_null(strstr(out, "/Users/<user1>/App.app"));
        assert_non_null(strstr(out, "/Users/<user2>/App.app"));
        assert_null(strstr(out, "<user3>"));
        assert_non_null(strstr(out, "<host1>"));
        assert_non_null(strstr(out, "<serial1>"));
        assert_non_null(strstr(out, "<ip1>"));
        assert_null(strstr(out, "<email2>"));
        assert_non_null(strstr(out, "ABCDE12345"));
        assert_non_null(strstr(out, "com.example.A"));
        assert_non_null(strstr(out, "com.apple.developer.team-identifier"));
        free(out);
    }
    /* without redaction everything is there */
    te_report_options o = {TE_REPORT_TEXT, false, false};
    char *out = run_reporter(&o, in, 1, NULL, NULL);
    assert_non_null(strstr(out, "/Users/john/App.app"));
    assert_non_null(strstr(out, "john@example.com"));
    free(out);
}

static void test_incident_to_json_redacts(void **state)
{
    (void)state;
    te_incident in = fixture_incident();
    in.path = "/Users/john/App.app/Contents/MacOS/App";
    in.diagnosis = "The app at /Users/john/App.app ...";
    char *text = te_incident_to_json(&in, true);
    assert_non_null(text);
    json_error_t error;
    json_t *obj = json_loads(text, 0, &error);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "subject"), "path")),
                        "/Users/<user1>/App.app/Contents/MacOS/App");
    assert_string_equal(json_string_value(json_object_get(obj, "diagnosis")),
                        "The app at /Users/<user1>/App.app ...");
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "ent-unsatisfied");
    json_decref(obj);
    free(text);
    text = te_incident_to_json(&in, false);
    assert_non_null(strstr(text, "/Users/john/App.app"));
    free(text);
}

static void test_many_values_stay_hidden(void **state)
{
    (void)state;
    te_redactor *r = te_redactor_new();
    char in[64], want[64];
    for (unsigned i = 1; i <= TE_MAX_REDACT_VALUES + 3; i++) {
        snprintf(in, sizeof in, "/Users/u%u/x", i);
        if (i <= TE_MAX_REDACT_VALUES)
            snprintf(want, sizeof want, "/Users/<user%u>/x", i);
        else
            snprintf(want, sizeof want, "/Users/<user>/x");
        char *got = redact_with(r, in);
        assert_string_equal(got, want);
        free(got);
    }
    te_redactor_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_paths),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_serials),
        cmocka_unit_test(test_ip_addresses),
        cmocka_unit_test(test_signers),
        cmocka_unit_test(test_kept),
        cmocka_unit_test(test_placeholders_stable_across_reporter),
        cmocka_unit_test(test_incident_to_json_redacts),
        cmocka_unit_test(test_many_values_stay_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
