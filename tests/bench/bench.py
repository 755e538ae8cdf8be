#!/usr/bin/env python3
"""The benchmark: tediag against grep-class references on the same capture.

  bench.py --tediag BIN [--mb 300] [--rounds 3] [--styles default,ndjson] [--dir tests/bench/out]
           [--jobs]

For each style it generates the capture once (gen.py), then runs, alternating, for
`rounds` rounds: tediag (full diagnosis, JSON output), `rg -c -F -f literals.txt`,
`grep -c -F -f literals.txt` (the literals are tediag's own rule prefilters,
`tediag rules literals`) and `wc -l` as the floor. It reports the best wall time of
each, MB/s, lines/s, peak RSS and the ratio of tediag to each reference, checks that
tediag found every planted chain once and nothing else, and prints the rule-set
start-up time. Page cache is warm (a first read is not timed). With --jobs it also
times `tediag -j 1` against `tediag -j 2` on two captures of the default style.
Nothing here asserts times: this is a benchmark, not a test (see README.md).

Peak RSS and CPU time are measured by GNU time (/usr/bin/time) around each command:
the rusage of a child forked from Python would include Python's own memory. Every
command writes its output to a file: GNU grep stops at the first match when its output
is /dev/null, which would make its time meaningless.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Run:
    def __init__(self, wall, rss, cpu, status):
        self.wall = wall      # seconds
        self.rss = rss        # peak RSS MiB (None: not measured)
        self.cpu = cpu        # user + system seconds (None: not measured)
        self.status = status


def run(cmd, stdout_path=None):
    """Runs cmd with stdout to a file (a scratch file by default)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as time_file, \
            tempfile.NamedTemporaryFile("wb", suffix=".out") as scratch:
        out = open(stdout_path, "wb") if stdout_path else scratch
        full = [GNU_TIME, "-q", "-f", "%M %U %S", "-o", time_file.name] + cmd if GNU_TIME else cmd
        t0 = time.perf_counter()
        p = subprocess.run(full, stdout=out, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if stdout_path:
            out.close()
        rss = cpu = None
        fields = (time_file.read().strip().splitlines() or [""])[-1].split()
        if len(fields) == 3:
            rss = int(fields[0]) / 1024.0  # KiB
            cpu = float(fields[1]) + float(fields[2])
    return Run(dt, rss, cpu, p.returncode)


def capture(style, mb, directory, seed=1):
    ext = "log" if style == "default" else "ndjson"
    suffix = "" if seed == 1 else f"-seed{seed}"
    path = os.path.join(directory, f"capture-{style}-{int(mb)}mb{suffix}.{ext}")
    if not os.path.exists(path) or not os.path.exists(path + ".manifest.json"):
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--style", style, "--mb", str(mb),
                        "--seed", str(seed), "--out", path], check=True)
    return path


def found_classes(json_path):
    with open(json_path) as f:
        doc = json.load(f)
    found = {}
    for inc in doc["incidents"]:
        found[inc["id"]] = found.get(inc["id"], 0) + 1
    return found


def fmt_rss(rss):
    return f"{rss:.1f}" if rss is not None else "?"


def bench_style(a, tediag, lit, style):
    path = capture(style, a.mb, a.dir)
    manifest = json.load(open(path + ".manifest.json"))
    size_mb = os.path.getsize(path) / 1e6
    lines = manifest["lines"]
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL)  # warm the page cache
    tools = {"tediag": [tediag, "--format", "json", "--no-live", path],
             "wc -l": ["wc", "-l", path]}
    if shutil.which("rg"):
        tools["rg -c -F -f"] = ["rg", "-c", "-F", "-f", lit, path]
    tools["grep -c -F -f"] = ["grep", "-c", "-F", "-f", lit, path]
    best = {}
    out_json = os.path.join(a.dir, f"tediag-{style}.json")
    found = None
    for _ in range(a.rounds):
        for name, cmd in tools.items():
            r = run(cmd, out_json if name == "tediag" else None)
            if name == "tediag":
                found = found_classes(out_json)
            if name not in best or r.wall < best[name].wall:
                best[name] = r
    print(f"\n{style} style: {size_mb:.0f} MB, {lines} lines, planted {manifest['planted']}")
    ok = found == manifest["planted"]
    print(f"tediag found {found}: {'every planted chain once, nothing else' if ok else 'MISMATCH'}")
    print("| tool | wall s | MB/s | lines/s | peak RSS MiB | tediag / tool |")
    print("|---|---|---|---|---|---|")
    td = best["tediag"].wall
    for name, r in best.items():
        print(f"| {name} | {r.wall:.2f} | {size_mb / r.wall:.0f} | {lines / r.wall / 1e6:.2f} M | "
              f"{fmt_rss(r.rss)} | {td / r.wall:.2f} |")


def bench_jobs(a, tediag):
    """-j 1 against -j 2 on two default-style captures (different seeds)."""
    files = [capture("default", a.mb, a.dir, seed) for seed in (1, 2)]
    for f in files:
        subprocess.run(["cat", f], stdout=subprocess.DEVNULL)
    best = {}
    for _ in range(a.rounds):
        for jobs in (1, 2):
            r = run([tediag, "--format", "json", "--no-live", "-j", str(jobs)] + files)
            if jobs not in best or r.wall < best[jobs].wall:
                best[jobs] = r
    total_mb = sum(os.path.getsize(f) for f in files) / 1e6
    print(f"\n-j on 2 default-style captures ({total_mb:.0f} MB in all), {os.cpu_count()} CPUs")
    print("| jobs | wall s | MB/s | CPU s | CPU / wall | peak RSS MiB | speedup |")
    print("|---|---|---|---|---|---|---|")
    for jobs, r in sorted(best.items()):
        cpu = f"{r.cpu:.2f} | {r.cpu / r.wall:.2f}" if r.cpu is not None else "? | ?"
        print(f"| {jobs} | {r.wall:.2f} | {total_mb / r.wall:.0f} | {cpu} | {fmt_rss(r.rss)} | "
              f"{best[1].wall / r.wall:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tediag", required=True)
    ap.add_argument("--mb", type=float, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--styles", default="default,ndjson")
    ap.add_argument("--dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--jobs", action="store_true", help="also time -j 1 against -j 2")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    tediag = os.path.abspath(a.tediag)
    lit = os.path.join(a.dir, "literals.txt")
    with open(lit, "w") as f:
        subprocess.run([tediag, "rules", "literals"], stdout=f, check=True)
    if not GNU_TIME:
        print("note: /usr/bin/time (GNU time) not found: peak RSS not measured")
    # Start-up: compile the rule set and read an empty input. Timed directly (not
    # through GNU time, whose own fork and exec would double it), 30 runs.
    starts = []
    for _ in range(30):
        t0 = time.perf_counter()
        subprocess.run([tediag, "--no-live", "-q", "/dev/null"], stdout=subprocess.DEVNULL)
        starts.append(time.perf_counter() - t0)
    starts.sort()
    print(f"start-up (rule set load + compile + empty input, including fork and exec): "
          f"{starts[15] * 1000:.1f} ms median of 30, best {starts[0] * 1000:.1f} ms")
    try:
        load = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except OSError:
        pass
    for style in a.styles.split(","):
        bench_style(a, tediag, lit, style)
    if a.jobs:
        bench_jobs(a, tediag)


main()
