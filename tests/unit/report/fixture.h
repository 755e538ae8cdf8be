/* Hand-built incidents and an output capture for the reporter tests. */
#ifndef TE_TEST_REPORT_FIXTURE_H
#define TE_TEST_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tediag/report.h"

/* 2024-01-10 14:36:03.306061 -0800 */
#define T0 (1704926163306061LL)

static const char *const fixture_bundle[] = {"com.example.A"};
static const char *const fixture_entitlements[] = {"com.apple.developer.system-extension.install",
                                                   "com.apple.developer.team-identifier"};
static const char *const fixture_path[] = {"/Applications/A.app/Contents/MacOS/A"};

static const te_fact fixture_facts[] = {
    {"bundle_id", fixture_bundle, 1, false},
    {"entitlements", fixture_entitlements, 2, true},
    {"path", fixture_path, 1, true},
};

static const te_evidence fixture_evidence[] = {
    {"log.txt:1", true, T0, -480, "taskgated-helper", 812,
     "com.example.A: Unsatisfied entitlements: com.apple.developer.system-extension.install",
     "ent-unsatisfied/unsatisfied"},
    {"log.txt:3", true, T0 + 218, -480, "amfid", 311,
     "/Applications/A.app/Contents/MacOS/A not valid: Error Domain=AppleMobileFileIntegrityError "
     "Code=-413 \"No matching profile found\"\nsecond line",
     "ent-unsatisfied/amfi_413"},
    {"crash.ips:7", false, 0, 0, "", -1, "Termination Reason: Namespace CODESIGNING, Code 1",
     "ent-unsatisfied/crash"},
    {"log.txt:9", true, T0 + 1234000, -480, "kernel", 0,
     "AMFI: bailing out because of restricted entitlements.", "ent-unsatisfied/kernel"},
};

static const char *const fixture_fix[] = {
    ("Decode the profile: security cms -D -i "
     "\"/Applications/A.app/Contents/embedded.provisionprofile\""),
    "Re-sign the app with a profile that lists every entitlement.",
    "Check with `codesign -d --entitlements - A.app` that nothing else is claimed",
};

static const te_reference fixture_refs[] = {
    {"TN3125: Inside Code Signing: Provisioning Profiles",
     "https://developer.apple.com/documentation/technotes/tn3125"},
};

static const char *const fixture_also[] = {"ent-no-profile", "amfi-generic"};

static te_incident fixture_incident(void)
{
    te_incident in;
    memset(&in, 0, sizeof in);
    in.rule_id = "ent-unsatisfied";
    in.title = "The provisioning profile does not authorise the app's entitlements";
    in.severity = TE_SEVERITY_ERROR;
    in.has_time = true;
    in.first_seen_us = T0;
    in.last_seen_us = T0 + 1234000;
    in.utc_offset_min = -480;
    in.first_source = "log.txt:1";
    in.process = "A";
    in.pid = 4242;
    in.path = "/Applications/A.app/Contents/MacOS/A";
    in.bundle_id = "com.example.A";
    in.team_id = NULL;
    in.facts = fixture_facts;
    in.n_facts = sizeof fixture_facts / sizeof fixture_facts[0];
    in.diagnosis =
        "com.example.A claims com.apple.developer.system-extension.install and "
        "com.apple.developer.team-identifier, which its embedded provisioning profile "
        "does not authorise. AMFI refuses to run a program whose restricted entitlements "
        "are not backed by a profile, so the kernel kills it at launch.";
    in.fix = fixture_fix;
    in.n_fix = sizeof fixture_fix / sizeof fixture_fix[0];
    in.references = fixture_refs;
    in.n_references = 1;
    in.evidence = fixture_evidence;
    in.n_evidence = sizeof fixture_evidence / sizeof fixture_evidence[0];
    in.evidence_dropped = 0;
    in.also = fixture_also;
    in.n_also = 2;
    return in;
}

/* An output stream whose contents can be read after closing. */
typedef struct capture {
    FILE *f;
    char *data;
    size_t len;
} capture;

static void capture_open(capture *c)
{
    c->data = NULL;
    c->len = 0;
    c->f = open_memstream(&c->data, &c->len);
}

/* Closes the stream; data stays valid until capture_free. */
static const char *capture_close(capture *c)
{
    fclose(c->f);
    c->f = NULL;
    return c->data;
}

static void capture_free(capture *c)
{
    free(c->data);
    c->data = NULL;
}

/* Runs one reporter over the given incidents and returns the output
 * (malloc'd). The summary (when not NULL) goes to summary_text (malloc'd)
 * when that is not NULL. */
static char *run_reporter(const te_report_options *options, const te_incident *incidents, size_t n,
                          const te_summary *summary, char **summary_text)
{
    capture out, err;
    capture_open(&out);
    capture_open(&err);
    te_reporter *r = te_reporter_new(out.f, options);
    if (!r) return NULL;
    for (size_t i = 0; i < n; i++)
        te_reporter_incident(r, &incidents[i]);
    te_reporter_finish(r, summary, err.f);
    te_reporter_free(r);
    capture_close(&out);
    capture_close(&err);
    if (summary_text)
        *summary_text = err.data;
    else
        capture_free(&err);
    return out.data;
}

#endif
