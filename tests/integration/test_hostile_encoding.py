#!/usr/bin/env python3
"""NUL bytes and invalid UTF-8 in every input format (auto-detected and
forced): no crash, every output format stays valid (JSON: strict UTF-8), the
lines are accounted for, and the text formats keep their diagnosis."""
import common
from samples import JSON_FORMATS, SAMPLES, expected_incident, sample_path

args = common.parse_args()
s = common.Suite("hostile-encoding", args)

# NUL, a lone continuation byte, a truncated sequence, an encoded surrogate,
# a bad 4-byte sequence, an overlong encoding.
JUNK = b" \x00NUL\x00 \xff\xfe \xc3\x28 \xed\xa0\x80 \xf0\x28\x8c\x28 \xc0\xaf end"
JUNK_NO_NUL = JUNK.replace(b"\x00", b"")

files = []  # (label, path, format, expect the incident)
appended_lines = {}  # path -> its lines
for fmt in SAMPLES:
    data = common.read(sample_path(fmt))
    lines = data.split(b"\n")
    # Junk at the end of every line: the text readers keep their records.
    appended = b"\n".join(l + JUNK if l.strip() else l for l in lines)
    files.append((f"{fmt}, junk appended to every line", s.write(f"{fmt}-appended.txt", appended), fmt,
                  fmt not in JSON_FORMATS and fmt != "loose"))
    appended_lines[files[-1][1]] = appended.split(b"\n")
    if fmt == "loose":
        # The loose reader refuses lines holding NUL (binary); without NUL it reads them.
        no_nul = b"\n".join(l + JUNK_NO_NUL if l.strip() else l for l in lines)
        files.append((f"{fmt}, invalid UTF-8 appended", s.write(f"{fmt}-no-nul.txt", no_nul), fmt, True))
    if fmt in JSON_FORMATS:
        # Inside the JSON strings: an escaped NUL and raw invalid UTF-8.
        inner = data
        for key in (b'"eventMessage":"', b'"eventMessage" : "', b'"event_message":"',
                    b'"message": "', b'"message":"', b'"procPath" : "'):
            inner = inner.replace(key, key + b"\\u0000 \xff\xc3\x28 \xed\xa0\x80 ")
        if s.check(inner != data, f"{fmt}: no JSON string found to put junk into"):
            files.append((f"{fmt}, junk inside the JSON strings", s.write(f"{fmt}-inner.txt", inner),
                          fmt, True))

for label, path, fmt, keeps_incident in files:
    for forced in ([], ["--input-format", fmt]):
        case = label + (" (forced)" if forced else "")
        r, doc = s.hostile(case, forced + [path], seconds=5)
        if not doc:
            continue
        if keeps_incident:
            s.check(expected_incident(fmt) in common.incident_ids(doc),
                    f"{case}: {expected_incident(fmt)} no longer found ({common.incident_ids(doc)})")
        elif fmt in JSON_FORMATS:
            s.check(doc["summary"]["lines_not_understood"] > 0,
                    f"{case}: broken JSON records must be counted as not understood")
        if fmt == "loose" and not keeps_incident:
            # Lines refused as binary are said once per file, with the first line number.
            err = r.stderr.decode("utf-8", "replace")
            said = [l for l in err.splitlines() if "NUL bytes" in l]
            first = 1 + next(i for i, l in enumerate(appended_lines[path]) if b"\x00" in l)
            s.check(len(said) == 1 and f"{path}:{first}:" in said[0],
                    f"{case}: expected one warning naming {path}:{first} for the NUL lines, got {said}")
        # Junk that reached an incident is still valid UTF-8 in the JSON (already
        # checked by s.hostile); NUL must not cut a message short silently either.

# Every other output over all the files at once (one run each).
paths = [p for _, p, _, _ in files]
for out_fmt in ("ndjson", "text", "markdown"):
    r = s.run(["--format", out_fmt, "--no-live", "--color", "never"] + paths, timeout=20)
    if s.check_exit(r, {1}, f"all junk files --format {out_fmt}") and out_fmt == "ndjson":
        for line in r.stdout.splitlines():
            if s.strict_json(line, "all junk files --format ndjson") is None:
                break
        # (incidents of the same app link across the files: no count per file here)
        s.check(len(r.stdout.splitlines()) >= 1, "--format ndjson: no incident at all")
    if out_fmt != "ndjson":
        try:
            r.stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            s.check(False, f"all junk files --format {out_fmt}: output is not valid UTF-8 ({e})")
r = s.run(["events"] + paths, timeout=20)
if s.check_exit(r, {0}, "tediag events over all junk files"):
    n = 0
    for line in r.stdout.splitlines():
        ev = s.strict_json(line, "tediag events")
        if ev is None:
            break
        n += 1
    s.check(n > 100, f"tediag events: only {n} events")

s.done()
