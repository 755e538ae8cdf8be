#!/usr/bin/env python3
"""Live mode through a pipe that stays open: the incident of one launch
failure must arrive on stdout after the quiet time, before EOF; SIGINT with an
incident pending reports it, prints the summary and exits 1."""
import json
import os
import select
import signal
import subprocess
import time

import common

args = common.parse_args()
s = common.Suite("live", args)
NDJSON = os.path.join(common.CORPORA, "synthetic", "relay-log-show.ndjson")


def failure_lines(path, first_marker, last_marker):
    """The lines of the launch failure only (from the first to the last marker)."""
    lines = common.read(path).splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if first_marker in line)
    last = max(i for i, line in enumerate(lines) if last_marker in line)
    return lines[first:last + 1]


def start(argv):
    return subprocess.Popen([s.tediag] + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=common.SOURCE_ROOT, env=s.env)


def read_line_within(proc, seconds):
    """One stdout line, or None when none arrives within seconds."""
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + seconds
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return buf or None
        buf += chunk
    return buf


def stop(proc):
    """Closes stdin (communicate does) and collects the rest; kills it if it does not end."""
    try:
        out, err = proc.communicate(timeout=10 * s.slow)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        s.check(False, "tediag did not exit after EOF on stdin")
    return out, err


def live_case(label, argv, lines, quiet, margin):
    """Writes the lines, keeps the pipe open, and waits for the incident."""
    proc = start(["--format", "ndjson"] + argv)
    try:
        for line in lines:
            proc.stdin.write(line)
            proc.stdin.flush()
            time.sleep(0.002)  # a stream, not one block
    except BrokenPipeError:
        proc.kill()
        s.check(False, f"{label}: tediag stopped reading its input (exit {proc.wait()})")
        return
    written = time.monotonic()
    line = read_line_within(proc, (quiet + margin) * s.slow)
    latency = time.monotonic() - written
    still_open = proc.poll() is None
    out, err = stop(proc)
    print(f"[live] {label}: incident read {latency:.3f}s after the last event was written "
          f"(quiet {quiet}s)")
    if not s.check(line is not None,
                   f"{label}: no incident on stdout within {quiet + margin:.1f}s while the pipe "
                   f"was open; stderr: {err.decode(errors='replace')[-500:]}"):
        return
    s.check(still_open, f"{label}: tediag ended before EOF")
    try:
        inc = json.loads(line)
    except ValueError as e:
        s.check(False, f"{label}: the ndjson line is not JSON ({e}): {line[:200]!r}")
        return
    s.check(inc.get("id") == "ent-unsatisfied", f"{label}: incident id {inc.get('id')!r}")
    s.check(inc.get("subject", {}).get("bundle_id") == "com.example.relay",
            f"{label}: subject {inc.get('subject')}")
    s.check(latency >= quiet * 0.9,
            f"{label}: incident came after {latency:.3f}s, before the quiet time {quiet}s")
    s.check(out.strip() == b"", f"{label}: more output after EOF: {out[:200]!r}")
    s.check(proc.returncode == 1, f"{label}: exit status {proc.returncode}, expected 1")


ndjson_lines = failure_lines(NDJSON, b"Unsatisfied entitlements", b"Launch failed")
demo_lines = failure_lines(common.DEMO, b"Unsatisfied entitlements", b"Launch failed")
s.check(len(ndjson_lines) >= 8 and len(demo_lines) >= 8, "the launch-failure lines were not found")

live_case("ndjson --flush-after 0.5", ["--flush-after", "0.5"], ndjson_lines, 0.5, 1.5)
live_case("log-default --flush-after 0.5", ["--flush-after", "0.5"], demo_lines, 0.5, 1.5)
live_case("ndjson, default quiet time", [], ndjson_lines, 2.0, 2.0)
# --live forces the mode even when it would not be the default.
live_case("--live --flush-after 0.5", ["--live", "--flush-after", "0.5"], ndjson_lines, 0.5, 1.5)


# ---- SIGINT with an incident pending ----------------------------------------------
def sigint_case(fmt):
    label = f"SIGINT --format {fmt}"
    proc = start(["--format", fmt, "--color", "never", "--flush-after", "30"])
    try:
        proc.stdin.write(b"".join(demo_lines))
        proc.stdin.flush()
    except BrokenPipeError:
        proc.kill()
        s.check(False, f"{label}: tediag stopped reading its input (exit {proc.wait()})")
        return
    early = read_line_within(proc, 0.7 * s.slow)
    s.check(early is None, f"{label}: output before the flush time: {early[:100] if early else b''!r}")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=5 * s.slow)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        s.check(False, f"{label}: tediag did not exit within 5s of SIGINT (stdin still open)")
        return
    took = time.monotonic() - sent
    print(f"[live] {label}: exited {took:.3f}s after SIGINT with status {proc.returncode}")
    s.check(proc.returncode == 1, f"{label}: exit status {proc.returncode}, expected 1; "
                                  f"stderr {err.decode(errors='replace')[-300:]!r}")
    text = out.decode(errors="replace")
    if fmt == "text":
        s.check("[ent-unsatisfied]" in text, f"{label}: pending incident not reported")
        s.check("summary:" in err.decode() and "1 incident" in err.decode(),
                f"{label}: no summary on stderr: {err[-300:]!r}")
    else:
        try:
            doc = json.loads(out)
        except ValueError as e:
            s.check(False, f"{label}: stdout is not one JSON document ({e})")
            return
        s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
                f"{label}: incidents {common.incident_ids(doc)}")
        s.check(doc["summary"]["incidents"] == 1 and doc["summary"]["events"] >= 8,
                f"{label}: summary {doc['summary']}")


sigint_case("text")
sigint_case("json")

s.done()
