#!/usr/bin/env python3
"""The benchmark: tediag against grep-class references on the same capture.

  bench.py --tediag BIN [--mb 300] [--rounds 3] [--styles default,ndjson] [--dir tests/bench/out]

For each style it generates the capture once (gen.py), then runs, alternating, for
`rounds` rounds: tediag (full diagnosis, JSON output to /dev/null), `rg -c -F -f
literals.txt`, `grep -c -F -f literals.txt` (the literals are tediag's own rule
prefilters, `tediag rules literals`) and `wc -l` as the floor. It reports the best
wall time of each, MB/s, lines/s, peak RSS and the ratio of tediag to each
reference, checks that tediag found every planted chain once and nothing else, and
prints the rule-set start-up time. Page cache is warm (a first read is not timed).
Nothing here asserts times: this is a benchmark, not a test.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, stdout=subprocess.DEVNULL):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    dt = time.perf_counter() - t0
    return dt, ru.ru_maxrss / 1024.0, p  # ru_maxrss is KiB on Linux


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tediag", required=True)
    ap.add_argument("--mb", type=float, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--styles", default="default,ndjson")
    ap.add_argument("--dir", default=os.path.join(HERE, "out"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    tediag = os.path.abspath(a.tediag)
    lit = os.path.join(a.dir, "literals.txt")
    with open(lit, "w") as f:
        subprocess.run([tediag, "rules", "literals"], stdout=f, check=True)
    # Start-up: compile the rule set and read an empty input.
    starts = []
    for _ in range(5):
        dt, _, _ = run([tediag, "--no-live", "-q", "/dev/null"])
        starts.append(dt)
    print(f"start-up (rule set load + compile + empty input): {min(starts) * 1000:.1f} ms")
    for style in a.styles.split(","):
        ext = "log" if style == "default" else "ndjson"
        path = os.path.join(a.dir, f"capture-{style}-{int(a.mb)}mb.{ext}")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--style", style, "--mb", str(a.mb),
                            "--out", path], check=True)
        manifest = json.load(open(path + ".manifest.json"))
        size_mb = os.path.getsize(path) / 1e6
        lines = manifest["lines"]
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL)  # warm the page cache
        tools = {"tediag": [tediag, "--format", "json", "--no-live", path],
                 "wc -l": ["wc", "-l", path]}
        if shutil.which("rg"):
            tools["rg -c -F -f"] = ["rg", "-c", "-F", "-f", lit, path]
        tools["grep -c -F -f"] = ["grep", "-c", "-F", "-f", lit, path]
        best = {k: (1e9, 0.0) for k in tools}
        found = None
        for _ in range(a.rounds):
            for name, cmd in tools.items():
                out = subprocess.PIPE if name == "tediag" else subprocess.DEVNULL
                dt, rss, p = run(cmd, stdout=out)
                if name == "tediag":
                    doc = json.loads(p.stdout.read())
                    found = {}
                    for inc in doc["incidents"]:
                        found[inc["id"]] = found.get(inc["id"], 0) + 1
                if dt < best[name][0]:
                    best[name] = (dt, rss)
        print(f"\n{style} style: {size_mb:.0f} MB, {lines} lines, planted {manifest['planted']}")
        print(f"tediag found {found}: {'every planted chain once, nothing else' if found == manifest['planted'] else 'MISMATCH'}")
        print(f"| tool | wall s | MB/s | lines/s | peak RSS MiB | tediag / tool |")
        print(f"|---|---|---|---|---|---|")
        td = best["tediag"][0]
        for name, (dt, rss) in best.items():
            print(f"| {name} | {dt:.2f} | {size_mb / dt:.0f} | {lines / dt / 1e6:.2f} M | {rss:.1f} | {td / dt:.2f} |")


main()
