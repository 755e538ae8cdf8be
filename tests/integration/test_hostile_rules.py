#!/usr/bin/env python3
"""Hostile rule files and a catastrophic regex: a YAML alias bomb, deep YAML
nesting, an oversized rule file and binary junk are refused (exit 2,
file:line:column, nothing analysed); a rule with `(a+)+$` (loaded thanks to its
`prefilter:`) on a long line of 'a's ending in 'b' finishes quickly and counts
regex_limit_hits."""
import os
import re

import common

args = common.parse_args()
s = common.Suite("hostile-rules", args)

SLOW_RULE = """id: slow-regex
title: A rule with a catastrophic regex
severity: warning
summary: >
  Test rule: nested quantifiers backtrack exponentially on a run of 'a' that does not end the line.
patterns:
  slow:
    role: cause
    message: '(a+)+$'
    prefilter: 'aaaa'
diagnosis: the catastrophic regex matched.
fix:
  - 'nothing to fix'
references:
  - title: 'PCRE2 performance'
    url: 'https://www.pcre.org/current/doc/html/pcre2perform.html'
examples:
  match:
    - 'aaaa'
  nomatch:
    - 'bbbb'
"""

ALIAS_BOMB = "id: bomb\n" + "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + \
    "".join(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))


def rule_dir(name, files):
    d = s.path(name)
    os.makedirs(d)
    for fname, text in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
    return d


def refused(label, rules, file_name, seconds=5):
    """The rule set must be refused: exit 2, file:line:column, nothing analysed."""
    for argv in (["--rules", rules, common.DEMO],
                 ["--no-default-rules", "--rules", rules, common.DEMO],
                 ["rules", "check", rules]):
        case = f"{label} ({' '.join(argv[:-1]) or argv[0]})"
        r = s.run(argv, timeout=seconds * 3)
        print(f"[hostile-rules] {case}: {r.describe()}")
        if not s.check_exit(r, {2}, case):
            continue
        s.check(r.seconds < seconds * s.slow, f"{case}: took {r.seconds:.1f}s")
        s.check_rss(r, 200, case)
        s.check(re.search(re.escape(file_name) + r":\d+:\d+: ", r.err),
                f"{case}: no '{file_name}:line:column:' in {r.err[:300]!r}")
        if argv[0] != "rules":
            s.check(r.stdout == b"" and "nothing analysed" in r.err,
                    f"{case}: something was analysed: {r.out[:200]!r}")


# ---- YAML alias bomb, deep nesting, oversized file, binary junk --------------------
refused("YAML alias bomb", rule_dir("bomb", {"bomb.yml": ALIAS_BOMB}), "bomb.yml")
refused("YAML nested 10000 deep", rule_dir("deep", {"deep.yml": "id: deep\ntitle: " + "[" * 10000 + "\n"}),
        "deep.yml")
big = SLOW_RULE.replace("summary: >\n", "summary: >\n" + ("  padding padding padding\n" * 60000))
refused("rule file over 1 MiB", rule_dir("big", {"big.yml": big}), "big.yml")
refused("binary rule file", rule_dir("junk", {"junk.yml": b"id: junk\n\x00\xff\xfe\x01title: x\n"}),
        "junk.yml")

# ---- (a+)+$ on a long line of 'a's ending in 'b' ----------------------------------------
slow_rules = rule_dir("slow", {"slow-regex.yml": SLOW_RULE})
r = s.run(["rules", "check", slow_rules])
s.check_exit(r, {0}, "the slow rule loads (it has a prefilter)")


def slow_case(label, line, expect_hits=True):
    path = s.write(f"a-{len(line)}.log", line + b"\n")
    r, doc = s.hostile(label, ["--no-default-rules", "--rules", slow_rules, path], allowed=(0, 1),
                       seconds=5)
    if not doc:
        return
    sm = doc["summary"]
    if expect_hits:
        s.check(sm["regex_limit_hits"] >= 1, f"{label}: regex_limit_hits {sm['regex_limit_hits']}")
    # The line ends in 'b': `(a+)+$` cannot match it.
    s.check(common.incident_ids(doc) == [],
            f"{label}: `(a+)+$` cannot match a line ending in 'b', yet {common.incident_ids(doc)}")


slow_case("(a+)+$ on 30 'a' + 'b'", b"a" * 30 + b"b")
slow_case("(a+)+$ on 20000 'a' + 'b'", b"a" * 20000 + b"b")
slow_case("(a+)+$ on a log line of 60000 'a' + 'b'",
          b"2026-03-02 10:14:07.512301+0100 0x5a11     Error       0x0                  812    0    "
          b"taskgated-helper: " + b"a" * 60000 + b"b")
# FINDING (see report): only the first TE_MAX_MATCH_SUBJECT (64 KiB) bytes of a
# message are searched, and `$` matches at that artificial end: a rule fires on a
# message that does not match it (PCRE2_NOTEOL is not set for a cut subject).
slow_case("(a+)+$ on 100000 'a' + 'b' (over the 64 KiB match subject)", b"a" * 100000 + b"b",
          expect_hits=False)
# Many such lines in a row: each one is bounded by the match limit.
path = s.write("many-a.log", (b"a" * 5000 + b"b\n") * 200)
r, doc = s.hostile("(a+)+$ on 200 lines of 5000 'a' + 'b'",
                   ["--no-default-rules", "--rules", slow_rules, path], allowed=(0, 1), seconds=10)
if doc:
    s.check(doc["summary"]["regex_limit_hits"] == 200,
            f"200 slow lines: regex_limit_hits {doc['summary']['regex_limit_hits']} != 200")
    # and the user is told which rule, in which input, once
    said = [l for l in r.err.splitlines() if "PCRE2 match/depth limit" in l]
    s.check(len(said) == 1 and f"{path}: rule slow-regex: 200 regex runs stopped" in said[0],
            f"200 slow lines: expected one warning naming the input and the rule: {said}")
# With the default rules loaded too, the demo is still diagnosed.
r, doc = s.hostile("slow rule + default rules on the demo", ["--rules", slow_rules, common.DEMO],
                   allowed=(1,), seconds=5)
if doc:
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"], f"demo: {common.incident_ids(doc)}")

s.done()
