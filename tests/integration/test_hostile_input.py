#!/usr/bin/env python3
"""Hostile input through the readers: random bytes, a 64 MiB line, 200,000
nested brackets (ndjson, .ips), a .ips whose body breaks off, an empty file,
a directory, CRLF line ends. (NUL bytes and invalid UTF-8: test_hostile_encoding.py.)
Every case: finishes in seconds, bounded peak RSS, exit 0/1/2 (never a
signal), valid JSON output, and the summary counts the input
(lines = in_events + meta + not_understood + cut)."""
import gzip
import json
import os
import random
import shutil

import common
from samples import sample_path

args = common.parse_args()
s = common.Suite("hostile-input", args)


def write_chunks(name, chunks):
    path = s.path(name)
    with open(path, "wb") as f:
        for c in chunks:
            f.write(c)
    return path


DEMO_BYTES = common.read(common.DEMO)

# ---- 20 MB of random bytes --------------------------------------------------------
rnd = random.Random(20260302)
path = write_chunks("random.bin", (rnd.randbytes(1 << 20) for _ in range(20)))
r, doc = s.hostile("20 MB random bytes", [path])
if doc:
    sm = doc["summary"]
    s.check(sm["bytes"] == 20 << 20 and sm["inputs"] == 1,
            f"random: bytes {sm['bytes']} / inputs {sm['inputs']} not counted")
    s.check(sm["lines"] > 0, "random: no lines counted")
r, doc = s.hostile("20 MB random bytes on stdin", ["-"], stdin_path=path)

# ---- a 64 MiB single line ----------------------------------------------------------
line64 = b"x" * (1 << 20)
path = write_chunks("line64-first.log", [line64] * 64 + [b"\n", DEMO_BYTES])
r, doc = s.hostile("64 MiB line, then the demo", [path], allowed=(1,))
if doc:
    s.check(doc["summary"]["lines_cut"] == 1, f"64 MiB line: lines_cut {doc['summary']['lines_cut']}")
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"64 MiB line: the demo after it must still be diagnosed: {common.incident_ids(doc)}")
    s.check(str(path) + ":1" in r.err, f"64 MiB line: the cut should be named file:1: {r.err[:300]!r}")
path = write_chunks("line64-last.log", [DEMO_BYTES, b"2026-03-02 10:15:00.000000+0100 "] + [line64] * 64)
r, doc = s.hostile("demo, then a 64 MiB line without newline (stdin)", ["-"], allowed=(1,),
                 stdin_path=path)
if doc:
    s.check(doc["summary"]["lines_cut"] == 1, f"64 MiB last line: lines_cut {doc['summary']['lines_cut']}")
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"64 MiB last line: incidents {common.incident_ids(doc)}")

# ---- 200,000 nested brackets ------------------------------------------------------
DEPTH = 200_000
ndjson = common.read(sample_path("log-ndjson")).split(b"\n")
deep_obj = b'{"eventMessage":"deep","deep":' + b"[" * DEPTH + b"]" * DEPTH + b"}"
deep_open = b'{"eventMessage":"deep","deep":' + b"[" * DEPTH
for name, deep in (("balanced", deep_obj), ("unclosed", deep_open), ("bare", b"[" * DEPTH)):
    content = b"\n".join(ndjson[:2] + [deep] + ndjson[2:])
    path = s.write(f"deep-{name}.ndjson", content)
    for forced in ([], ["--input-format", "log-ndjson"]):
        label = f"ndjson with {DEPTH} nested brackets ({name}){' forced' if forced else ''}"
        r, doc = s.hostile(label, forced + [path], allowed=(1,), seconds=5)
        if doc:
            sm = doc["summary"]
            s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
                    f"{label}: the other records must still give the incident: {common.incident_ids(doc)}")
            if forced:
                s.check(sm["records_skipped"] + sm["lines_not_understood"] >= 1,
                        f"{label}: the deep record is not counted as skipped/not understood: {sm}")

ips = common.read(sample_path("crash-ips"))
ips_header = ips.split(b"\n", 1)[0]
for name, body in (("unclosed", b'{"procName" : "Deep",\n"a" : ' + b"[" * DEPTH + b"\n"),
                   ("balanced", b'{"procName" : "Deep",\n"a" : ' + b"[" * DEPTH + b"]" * DEPTH + b"\n}\n"),
                   ("bare", b"[" * DEPTH + b"\n")):
    label = f".ips with {DEPTH} nested brackets ({name})"
    path = s.write(f"deep-{name}.ips", ips_header + b"\n" + body)
    r, doc = s.hostile(label, [path], allowed=(0, 1), seconds=5)
    if doc:
        sm = doc["summary"]
        s.check(sm["lines"] == body.count(b"\n") + 1, f"{label}: lines {sm['lines']}")
        if name != "bare":
            s.check(sm["records_skipped"] >= 1, f"{label}: records_skipped {sm['records_skipped']}")
            # reader.h: lines dropped by a limit are lines_cut (header + body here).
            s.check(sm["lines_cut"] >= 1, f"{label}: the skipped record's lines are not counted as cut")

# ---- a .ips whose body breaks off --------------------------------------------------
cut_at = ips.index(b'  "extMods"')
for name, content in (("after the termination field", ips[:cut_at]),
                      ("inside a string", ips[:cut_at - 20]),
                      ("halfway", ips[:len(ips) // 2])):
    label = f".ips body breaks off {name}"
    path = s.write(f"broken-{len(content)}.ips", content)
    r, doc = s.hostile(label, [path], allowed=(0, 1), seconds=5)
    if not doc:
        continue
    sm = doc["summary"]
    s.check(path in r.err and "breaks off" in r.err, f"{label}: no warning naming the file: {r.err!r}")
    # FINDING (see report): the broken-off body is named on stderr but not counted in
    # the summary (input_errors and records_skipped stay 0), unlike a truncated .gz/.zst.
    s.check(sm["input_errors"] + sm["records_skipped"] >= 1,
            f"{label}: the damage is not counted in the summary (input_errors "
            f"{sm['input_errors']}, records_skipped {sm['records_skipped']})")
    if "termination" in name or "string" in name:
        s.check(common.incident_ids(doc) == ["cs-crash-on-launch"],
                f"{label}: what could be read should still give cs-crash-on-launch: "
                f"{common.incident_ids(doc)}")

# ---- an empty file, empty stdin --------------------------------------------------------
path = s.write("empty.log", b"")
for label, argv, kw in (("empty file", [path], {}), ("empty stdin", ["-"], {"stdin_path": path})):
    r, doc = s.hostile(label, argv, allowed=(0,), seconds=5)
    if doc:
        sm = doc["summary"]
        s.check(sm["inputs"] == 1 and sm["bytes"] == 0 and sm["lines"] == 0 and sm["inputs_failed"] == 0,
                f"{label}: summary {sm}")

# ---- a directory where a file was expected: walked -----------------------------------
tree = s.path("tree")
os.makedirs(os.path.join(tree, "a"))
os.makedirs(os.path.join(tree, "b", "c"))
shutil.copy(common.DEMO, os.path.join(tree, "a", "launch.log"))
with gzip.open(os.path.join(tree, "b", "c", "two.log.gz"), "wb") as f:
    f.write(common.read(os.path.join(common.CORPORA, "cases", "two-launches.log")))
s.write("tree/b/empty.log", b"")
s.write("tree/b/noise.bin", random.Random(7).randbytes(4096))
outside = s.write("outside/secret.log", common.read(os.path.join(common.CORPORA, "cases",
                                                                 "redact-personal-data.log")))
os.symlink(outside, os.path.join(tree, "b", "link-to-outside.log"))
os.symlink(os.path.dirname(outside), os.path.join(tree, "dirlink"))
alone = s.run(["--format", "json", "--no-live",
               os.path.join(common.CORPORA, "cases", "two-launches.log")]).json()
r, doc = s.hostile("directory (walked)", [tree], allowed=(1,), seconds=5)
if doc:
    sm = doc["summary"]
    ids = common.incident_ids(doc)
    s.check(sm["inputs"] == 3, f"directory: 3 text files expected as inputs, got {sm['inputs']}")
    s.check("binary file" in r.err, f"directory: the skipped binary file is not named: {r.err!r}")
    # 6 entries: 3 text files read, 1 binary file (binary_files_skipped) and 2 symlinks
    # (members_skipped) skipped.
    s.check(sm["inputs"] + sm["members_skipped"] + sm["binary_files_skipped"] + sm["inputs_failed"] == 6,
            f"directory: 6 entries, but inputs {sm['inputs']} + members_skipped "
            f"{sm['members_skipped']} + binary_files_skipped {sm['binary_files_skipped']} + "
            f"inputs_failed {sm['inputs_failed']} do not count them all")
    s.check(ids.count("ent-unsatisfied") >= 1 and len(ids) == 1 + len(alone["incidents"]),
            f"directory: incidents {ids}, expected the demo's + {common.incident_ids(alone)}")
    s.check("Tool.app" not in json.dumps(doc["incidents"]),
            "directory: a symlink was followed out of the walked tree (README: not followed)")
    sources = {e["source"].rsplit(":", 1)[0] for i in doc["incidents"] for e in i["evidence"]}
    s.check(any(x.endswith("two.log.gz") for x in sources),
            f"directory: the .gz inside it must be read, evidence sources {sources}")

# ---- CRLF line ends ---------------------------------------------------------------------
for fmt in ("log-default", "log-ndjson", "log-syslog", "crash-ips", "console"):
    data = common.read(sample_path(fmt))
    lf = s.hostile(f"{fmt} LF", [sample_path(fmt)], allowed=(1,), seconds=5)[1]
    path = s.write(f"crlf-{fmt}.txt", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    r, doc = s.hostile(f"{fmt} CRLF", [path], allowed=(1,), seconds=5)
    if doc and lf:
        s.check(common.incident_ids(doc) == common.incident_ids(lf),
                f"{fmt} CRLF: incidents {common.incident_ids(doc)} != LF {common.incident_ids(lf)}")
        if doc["incidents"] and lf["incidents"]:
            s.check(doc["incidents"][0]["facts"] == lf["incidents"][0]["facts"],
                    f"{fmt} CRLF: facts differ from LF (a stray \\r?): "
                    f"{doc['incidents'][0]['facts']} vs {lf['incidents'][0]['facts']}")
            msgs = [e["message"] for e in doc["incidents"][0]["evidence"]]
            s.check(not any(m.endswith("\r") or "\r\n" in m for m in msgs),
                    f"{fmt} CRLF: evidence keeps a \\r")
        s.check(doc["summary"]["lines"] == lf["summary"]["lines"],
                f"{fmt} CRLF: lines {doc['summary']['lines']} != LF {lf['summary']['lines']}")

s.done()
