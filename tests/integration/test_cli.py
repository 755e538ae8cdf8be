#!/usr/bin/env python3
"""Black-box tests of the command line: `live --dry-run`, exit statuses and
their messages, `explain`, --suppress, --min-severity, --redact in every
format, and the markdown ticket layout."""
import os
import re
import shutil
import tarfile

import common

args = common.parse_args()
s = common.Suite("cli", args)
DEMO = common.DEMO
BENIGN = os.path.join(common.CORPORA, "cases", "benign-noise.log")
REDACT = os.path.join(common.CORPORA, "cases", "redact-personal-data.log")
# A capture whose only incident is a warning (codesign-detritus).
WARNING_CAPTURE = os.path.join(common.CORPORA, "public",
                               "048-codesign-detritus-not-allowed-xcode-resign.txt")


def text_run(label, argv, allowed, **kw):
    # Options go after the subcommand (events, rules, explain, live), if any.
    at = 1 if argv and argv[0] in ("events", "rules", "explain", "live") else 0
    r = s.run(argv[:at] + ["--color", "never"] + argv[at:], **kw)
    s.check_exit(r, set(allowed), label)
    return r


# ---- live --dry-run and live on Linux ---------------------------------------
# FINDING (see report): with the full rule catalogue the predicate no longer fits
# the CLI's 16 KiB buffer (duplicate literals are not removed), so `live --dry-run`
# and `live` exit 2 with "cannot build the log predicate".
r = text_run("live --dry-run", ["live", "--dry-run"], {0})
cmd = r.out.strip()
s.check(cmd.startswith("/usr/bin/log stream --style ndjson "),
        f"live --dry-run: command does not start with `/usr/bin/log stream --style ndjson`: {cmd[:120]!r}")
m = re.search(r"--predicate '((?:[^']|'\\'')*)'", cmd)
if s.check(m, f"live --dry-run: no single-quoted --predicate in {cmd[:200]!r}"):
    predicate = m.group(1).replace("'\\''", "'")
    for proc in ["taskgated-helper", "amfid", "syspolicyd", "kernel"]:
        s.check(f'"{proc}"' in predicate, f"live --dry-run: predicate does not name {proc}")
    # Outside its "string literals" the predicate must balance its parentheses.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', predicate)
    s.check('"' not in bare.replace('""', ""), "live --dry-run: unterminated string in the predicate")
    s.check(bare.count("(") == bare.count(")"),
            "live --dry-run: unbalanced parentheses in the predicate")

if os.uname().sysname != "Darwin":
    r = text_run("live (Linux)", ["live"], {2})
    s.check("macOS" in r.err and "--dry-run" in r.err,
            f"live on Linux: message should say it needs macOS and suggest --dry-run: {r.err!r}")
    s.check(r.stdout == b"", "live on Linux: nothing may be printed on stdout")

# ---- -j 2 on one archive: read-ahead, same output -------------------------------
# With threads to spare, one input is read and decompressed on one thread and
# analysed on the other; stdout and stderr must be byte for byte those of -j 1.
archive = s.path("corpora.tar.gz")
with tarfile.open(archive, "w:gz") as tf:
    for sub in ("public", "cases"):
        tf.add(os.path.join(common.CORPORA, sub), arcname=sub)
for fmt in ("json", "text"):
    one = s.run(["--no-live", "--format", fmt, "--color", "never", "-j", "1", archive], timeout=60)
    two = s.run(["--no-live", "--format", fmt, "--color", "never", "-j", "2", archive], timeout=60)
    s.check(one.returncode == 1 and two.returncode == 1,
            f"-j 2 on one archive ({fmt}): exit {one.returncode} / {two.returncode}, expected 1")
    s.check(one.stdout == two.stdout and len(one.stdout) > 1000,
            f"-j 2 on one archive ({fmt}): stdout differs from -j 1")
    s.check(one.stderr == two.stderr, f"-j 2 on one archive ({fmt}): stderr differs from -j 1:\n"
                                      f"{one.stderr[-400:]!r}\n{two.stderr[-400:]!r}")

# ---- exit statuses ------------------------------------------------------------
r = text_run("benign capture", [BENIGN], {0})
s.check("0 incidents" in r.err, f"benign capture: summary should say 0 incidents: {r.err!r}")
r = text_run("demo capture", [DEMO], {1})
s.check("[ent-unsatisfied]" in r.out, "demo capture: ent-unsatisfied not in the text report")

missing = s.path("no-such-dir/missing-capture.log")
r = text_run("missing file", [missing], {2})
s.check(missing in r.err, f"missing file: the message must name {missing}: {r.err!r}")
# A missing file among good ones: still 2, and the good one is still analysed.
r = text_run("missing + demo", [DEMO, missing], {2})
s.check("[ent-unsatisfied]" in r.out, "missing + demo: the readable input must still be reported")

for bad in (["--bogus-option"], ["--format", "yaml", DEMO], ["--min-severity", "fatal", DEMO],
            ["--flush-after", "soon", DEMO], ["--color", "purple", DEMO], ["-f"]):
    r = text_run(f"bad option {bad}", bad, {2})
    s.check(r.err.startswith("tediag: ") and len(r.err.strip()) > 10,
            f"bad option {bad}: expected a 'tediag: ...' message, got {r.err!r}")
    s.check(r.stdout == b"", f"bad option {bad}: stdout should be empty")

# A rule directory with one broken rule: exit 2, file:line:column, nothing analysed.
broken = s.path("broken-rules")
os.makedirs(broken)
shutil.copy(os.path.join(common.RULES_DIR, "ent-unsatisfied.yml"), broken)
with open(os.path.join(common.RULES_DIR, "cs-crash-on-launch.yml")) as f:
    lines = f.read().split("\n")
sev = next(i for i, line in enumerate(lines) if line.startswith("severity:"))
lines[sev] = "severity: [error"  # unterminated flow sequence
with open(os.path.join(broken, "cs-crash-on-launch.yml"), "w") as f:
    f.write("\n".join(lines))
for argv in (["--rules", broken, DEMO], ["--no-default-rules", "--rules", broken, DEMO]):
    r = text_run(f"broken rule {argv[:-1]}", argv, {2})
    loc = re.search(re.escape(os.path.join(broken, "cs-crash-on-launch.yml")) + r":(\d+):(\d+): ",
                    r.err)
    s.check(loc, f"broken rule: message must be file:line:column: {r.err!r}")
    if loc:
        s.check(int(loc.group(1)) in (sev + 1, sev + 2),
                f"broken rule: line {loc.group(1)} should point at the bad line {sev + 1}")
    s.check("ent-unsatisfied" not in r.out, "broken rule: nothing may be analysed")
r = text_run("rules check broken", ["rules", "check", broken], {2})
s.check("cs-crash-on-launch.yml:" in r.err + r.out, "rules check: must name the broken file")
r = text_run("rules check rules/", ["rules", "check", common.RULES_DIR], {0})

r = text_run("explain no-such-id", ["explain", "no-such-id"], {2})
s.check("no-such-id" in r.err, f"explain no-such-id: message must name the id: {r.err!r}")
r = text_run("explain ent-unsatisfied", ["explain", "ent-unsatisfied"], {0})
s.check(r.out.startswith("ent-unsatisfied"), "explain: output should start with the id")
# templates as written for the user: escaped braces single, placeholders kept with their note
s.check("{{" not in r.out and "process IN {\"amfid\"" in r.out,
        "explain: escaped braces {{ }} of the rule text must print as single braces")
s.check("{app|" in r.out and "Placeholders" in r.out, "explain: placeholders and their note expected")
s.check(re.search(r"(?m)^Fix:\s*\n\s+1\. ", r.out), "explain: no numbered 'Fix:' section")
s.check("embedded.provisionprofile" in r.out and "https://developer.apple.com/" in r.out,
        "explain ent-unsatisfied: the fix (embedded profile) and references are missing")

# ---- --suppress -------------------------------------------------------------------
supp = s.write("suppress.txt", "# comment line\nent-unsatisfied bundle_id=com.example.*\n")
r, doc = s.run_json(["--suppress", supp, DEMO], "suppress matching", allowed=(0,))
if doc:
    s.check(doc["incidents"] == [], "suppress: the matching incident was still reported")
    s.check(doc["summary"]["incidents_suppressed"] == 1 and doc["summary"]["incidents"] == 0,
            f"suppress: summary should count 1 suppressed, 0 incidents: {doc['summary']}")
r = text_run("suppress text summary", ["--suppress", supp, DEMO], {0})
s.check(re.search(r"1 (incident )?suppressed", r.err), f"suppress: text summary should count it: {r.err!r}")
supp2 = s.write("suppress2.txt", "ent-unsatisfied bundle_id=org.other.*\ncs-crash-on-launch\n")
r, doc = s.run_json(["--suppress", supp2, DEMO], "suppress other", allowed=(1,))
if doc:
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"suppress non-matching glob: incident must stay: {common.incident_ids(doc)}")
    s.check(doc["summary"]["incidents_suppressed"] == 0, "suppress non-matching: nothing suppressed")
supp3 = s.write("suppress3.txt", "ent-unsatisfied path=/Applications/Relay.app/* pid=4711\n")
r, doc = s.run_json(["--suppress", supp3, DEMO], "suppress two conditions", allowed=(0,))
bad_supp = s.write("suppress-bad.txt", "no-such-rule bundle_id=x\n")
r = text_run("suppress unknown rule", ["--suppress", bad_supp, DEMO], {2})
s.check("suppress-bad.txt:1" in r.err, f"suppress unknown rule: message must be file:line: {r.err!r}")

# ---- --min-severity -------------------------------------------------------------
r, doc = s.run_json([DEMO, WARNING_CAPTURE], "both severities", allowed=(1,))
if doc:
    sev_of = {i["id"]: i["severity"] for i in doc["incidents"]}
    s.check(sev_of == {"ent-unsatisfied": "error", "codesign-detritus": "warning"},
            f"demo + detritus: expected one error and one warning incident, got {sev_of}")
r, doc = s.run_json(["--min-severity", "error", DEMO, WARNING_CAPTURE], "min-severity error",
                    allowed=(1,))
if doc:
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"--min-severity error: warnings must be dropped: {common.incident_ids(doc)}")
    s.check(doc["summary"]["incidents_suppressed"] == 1,
            f"--min-severity error: the dropped warning is counted: {doc['summary']['incidents_suppressed']}")
r, doc = s.run_json(["--min-severity", "error", WARNING_CAPTURE], "min-severity only warning",
                    allowed=(0,))

# ---- --redact in every format ------------------------------------------------------
# The capture sits under .../Users/zorglub/ so that the provenance carries a user name too.
home = os.path.join(s.dir, "Users", "zorglub", "Desktop")
os.makedirs(home)
capture = os.path.join(home, "capture.log")
shutil.copy(REDACT, capture)
plain = s.run(["--format", "json", "--no-live", capture])
s.check("/Users/jane.doe/" in plain.out, "redact: without --redact the user name is in the output")
for fmt in ["text", "json", "ndjson", "markdown"]:
    r = s.run(["--redact", "--format", fmt, "--color", "never", "--no-live", capture])
    if not s.check_exit(r, {1}, f"--redact --format {fmt}"):
        continue
    both = r.out + r.err
    s.check("jane.doe" not in both, f"--redact --format {fmt}: user name 'jane.doe' leaked")
    s.check("zorglub" not in both, f"--redact --format {fmt}: user name of the input path leaked")
    s.check(re.search(r"/Users/(\\?<[a-z]+\d*\\?>|\S*REDACTED\S*)/", both),
            f"--redact --format {fmt}: no placeholder in /Users/<...>/")
    if fmt == "json":
        doc = s.strict_json(r.stdout, "--redact --format json") or {}
        incs = doc.get("incidents") or [{}]
        s.check("/Users/" in incs[0].get("subject", {}).get("path", ""),
                "--redact json: the subject path should keep its shape /Users/<user>/...")

# ---- markdown ticket ---------------------------------------------------------------
r = text_run("markdown", ["--format", "markdown", DEMO, os.path.join(common.CORPORA, "cases",
                                                                     "two-launches.log")], {1})
md = r.out
n_incidents = len((s.run_json([DEMO, os.path.join(common.CORPORA, "cases", "two-launches.log")],
                              "markdown count")[1] or {}).get("incidents", []))
sections = re.findall(r"(?m)^## (?!Run summary).+$", md)
s.check(len(sections) == n_incidents and n_incidents >= 2,
        f"markdown: {len(sections)} '##' incident sections for {n_incidents} incidents")
s.check(re.search(r"(?m)^## .*ent-unsatisfied|^\*\*Severity:\*\*.*`ent-unsatisfied`", md),
        "markdown: the ent-unsatisfied incident is not named")
s.check(re.search(r"(?m)^\|\s*fact\s*\|\s*value\s*\|\n\|\s*-+\s*\|\s*-+\s*\|$", md),
        "markdown: no facts table header")
s.check(re.search(r"(?m)^\| bundle_id \| `com\.example\.relay` \|$", md),
        "markdown: facts table lacks the bundle_id row")
s.check(len(re.findall(r"(?m)^- \[ \] ", md)) >= 5, "markdown: fewer than 5 '- [ ]' checklist items")
fences = re.findall(r"(?ms)^```[a-z]*\n(.*?)^```$", md)
s.check(any("Unsatisfied entitlements" in f and "launch-failure.log:7" in f for f in fences),
        "markdown: no fenced evidence block with the taskgated-helper line and its source")
s.check(md.count("```") % 2 == 0, "markdown: unbalanced code fences")

s.done()
