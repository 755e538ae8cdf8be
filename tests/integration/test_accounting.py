#!/usr/bin/env python3
"""Line accounting of every reader: for a sample of each format, auto-detected
and with --input-format forced (also every sample forced into every other
reader), the JSON summary must satisfy
lines == lines_in_events + lines_meta + lines_not_understood + lines_cut,
and lines must equal the number of lines of the input."""
import gzip

import common
from samples import SAMPLES, expected_incident, sample_path

args = common.parse_args()
s = common.Suite("accounting", args)


def n_lines(data):
    """Lines as the framer counts them: a last line without newline counts too."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


formats = s.run(["events", "--list-formats"]).out.split()
s.check(sorted(formats) == sorted(SAMPLES),
        f"the readers are {sorted(formats)}; the samples cover {sorted(SAMPLES)}")

for fmt in SAMPLES:
    path = sample_path(fmt)
    data = common.read(path)
    expl = s.run(["events", "--explain-format", path]).out
    s.check(f": {fmt} (" in expl, f"{fmt}: the sample is detected as {expl.strip()!r}")
    for forced in ([], ["--input-format", fmt]):
        label = f"{fmt}{' forced' if forced else ' detected'}"
        r, doc = s.hostile(label, forced + [path], allowed=(1,), seconds=5)
        if not doc:
            continue
        sm = doc["summary"]
        s.check(sm["lines"] == n_lines(data), f"{label}: lines {sm['lines']} != {n_lines(data)} in the file")
        s.check(sm["bytes"] == len(data), f"{label}: bytes {sm['bytes']} != {len(data)}")
        s.check(expected_incident(fmt) in common.incident_ids(doc),
                f"{label}: {expected_incident(fmt)} not found: {common.incident_ids(doc)}")
        s.check(sm["lines_in_events"] > 0 and sm["events"] > 0, f"{label}: no events")

# Every sample forced into every reader (wrong formats included): one run per reader.
paths = [sample_path(f) for f in SAMPLES]
total = sum(n_lines(common.read(p)) for p in paths)
for fmt in formats:
    label = f"all samples forced into {fmt}"
    r, doc = s.hostile(label, ["--input-format", fmt] + paths, allowed=(0, 1), seconds=10)
    if doc:
        s.check(doc["summary"]["lines"] == total, f"{label}: lines {doc['summary']['lines']} != {total}")
        s.check(doc["summary"]["inputs"] == len(paths), f"{label}: inputs {doc['summary']['inputs']}")

# The whole of corpora/ as one directory walk (every reader, real excerpts).
r, doc = s.hostile("corpora/ walked", [common.CORPORA], allowed=(1,), seconds=20)
if doc:
    s.check(doc["summary"]["inputs"] >= 100, f"corpora/: only {doc['summary']['inputs']} inputs")

# The same through a .gz and on stdin (other framing paths).
for fmt in ("log-default", "log-json", "crash-ips"):
    data = common.read(sample_path(fmt))
    gz = s.write(f"{fmt}.txt.gz", gzip.compress(data, mtime=0))
    for label, argv, kw in ((f"{fmt} .gz", [gz], {}),
                            (f"{fmt} stdin", ["-"], {"stdin_path": sample_path(fmt)}),
                            (f"{fmt} no final newline", [s.write(f"{fmt}-nonl.txt", data.rstrip(b"\n"))],
                             {})):
        r, doc = s.hostile(label, argv, allowed=(1,), seconds=5, **kw)
        if doc:
            want = n_lines(data.rstrip(b"\n")) if "newline" in label else n_lines(data)
            s.check(doc["summary"]["lines"] == want, f"{label}: lines {doc['summary']['lines']} != {want}")

s.done()
