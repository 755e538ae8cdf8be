#!/usr/bin/env python3
"""A long capture: 200,000 log lines with one launch failure every 1,000 lines
(distinct apps, 10 s apart, benign noise between them) must give exactly one
incident per planted failure, with the right subject, in bounded memory
(peak RSS < 64 MiB) and in seconds."""
import os

import common

args = common.parse_args()
s = common.Suite("many-launches", args)

N_LINES = 200_000
EVERY = 1_000
N_FAILURES = N_LINES // EVERY
RSS_BOUND_MIB = 64

demo = common.read(common.DEMO).decode().split("\n")
header = demo[1] + "\n"  # the column header line
# The failure block of the demo (taskgated-helper ... runningboardd), with its
# continuation lines; times relative to its first line.
first = next(i for i, l in enumerate(demo) if "Unsatisfied entitlements" in l)
last = next(i for i, l in enumerate(demo) if "Launch failed" in l)
block = demo[first:last + 1]


def micros(ts):  # "10:14:07.512301" -> microseconds since midnight
    h, m, rest = ts.split(":")
    sec, us = rest.split(".")
    return ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1_000_000 + int(us)


def stamp(us):
    sec, us = divmod(us, 1_000_000)
    m, sec = divmod(sec, 60)
    h, m = divmod(m, 60)
    return f"2026-03-02 {h:02d}:{m:02d}:{sec:02d}.{us:06d}+0100"


t0 = micros(block[0][11:26])
template = []  # (offset_us or None for continuation lines, text after the timestamp)
for line in block:
    if line[:4] == "2026":
        template.append((micros(line[11:26]) - t0, line[31:]))
    else:
        template.append((None, line))

# Benign noise: the demo's own noise and corpora/cases/benign-noise.log.
noise = [l[31:] for l in demo if l[:4] == "2026" and ("WindowServer" in l or "mDNSResponder" in l)]
with open(os.path.join(common.CORPORA, "cases", "benign-noise.log")) as f:
    noise += [l.rstrip("\n")[31:] for l in f if l[:4] == "2026"]
s.check(len(template) == 11 and len(noise) >= 6, f"templates: {len(template)} block lines, {len(noise)} noise")

path = s.path("many-launches.log")
start_us = micros("08:00:00.000000")
apps = []
with open(path, "w") as out:
    out.write(header)
    written = 1
    for k in range(N_FAILURES):
        app, bundle, pid = f"App{k:04d}", f"com.example.app{k:04d}", 20000 + k
        apps.append(bundle)
        base = start_us + k * 10_000_000
        lines = []
        for offset, text in template:
            text = (text.replace("Relay", app).replace("relay", f"app{k:04d}")
                    .replace("4711", str(pid)))
            lines.append(text if offset is None else stamp(base + offset) + text)
        # Noise for the rest of the 10 s slot, 1000 lines per slot in all.
        n_noise = EVERY - len(lines) - (1 if k == 0 else 0)
        step = 9_000_000 // n_noise
        for j in range(n_noise):
            lines.append(stamp(base + 500_000 + j * step) + noise[(k + j) % len(noise)])
        out.write("\n".join(lines) + "\n")
        written += len(lines)
s.check(written == N_LINES, f"generated {written} lines, wanted {N_LINES}")

r, doc = s.hostile(f"{N_LINES} lines, {N_FAILURES} failures", [path], allowed=(1,), seconds=30,
                   rss=RSS_BOUND_MIB)
print(f"[many-launches] {os.path.getsize(path) / common.MIB:.1f} MiB capture: {r.describe()}")
if doc:
    sm = doc["summary"]
    ids = common.incident_ids(doc)
    s.check(sm["lines"] == N_LINES, f"lines {sm['lines']} != {N_LINES}")
    s.check(len(ids) == N_FAILURES and sm["incidents"] == N_FAILURES,
            f"{len(ids)} incidents (summary {sm['incidents']}), {N_FAILURES} planted")
    s.check(set(ids) == {"ent-unsatisfied"}, f"incident ids {sorted(set(ids))}")
    got = [i.get("subject", {}).get("bundle_id") for i in doc["incidents"]]
    s.check(sorted(got) == apps, f"subjects: {len(set(got))} distinct bundle ids, "
                                 f"missing {sorted(set(apps) - set(got))[:5]}, extra {sorted(set(got) - set(apps))[:5]}")
    mixed = [i["subject"].get("bundle_id") for i in doc["incidents"]
             if len({e["pid"] for e in i["evidence"] if e["process"] == "kernel" and
                     "proc " in e["message"]}) > 1]
    s.check(not mixed, f"incidents that mix two launches: {mixed[:5]}")
    s.check(sm["contexts_evicted"] == 0, f"contexts_evicted {sm['contexts_evicted']}")

# The streaming format prints the same incidents, one line each.
r = s.run(["--format", "ndjson", "--no-live", path], timeout=60)
if s.check_exit(r, {1}, "ndjson run"):
    s.check_rss(r, RSS_BOUND_MIB, "ndjson run")
    s.check(len(r.stdout.splitlines()) == N_FAILURES,
            f"--format ndjson: {len(r.stdout.splitlines())} lines, {N_FAILURES} planted")

s.done()
