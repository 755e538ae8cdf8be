#!/usr/bin/env python3
"""Live mode through a pipe that stays open: the incident of one launch
failure must arrive on stdout after the quiet time, before EOF; SIGINT with an
incident pending reports it, prints the summary and exits 1."""
import json
import os
import re
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


# ---- `tediag live` with a stand-in for /usr/bin/log ----------------------------------
# $TEDIAG_LOG_TOOL replaces /usr/bin/log, so the macOS path runs here: the tool
# must get exactly the dry-run's arguments, its output is diagnosed as it comes,
# SIGINT stops both, and a tool that fails is reported.
def fake_log_tool(name, then):
    """A `log` stand-in: records its arguments, prints the launch failure as
    ndjson, then runs `then` (exec: the tool itself becomes it)."""
    args_file = s.path(f"{name}.args")
    data_file = s.write(f"{name}.ndjson", b"".join(ndjson_lines))
    script = s.write(f"{name}.sh", (f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{args_file}'\n"
                                    f"cat '{data_file}'\n{then}\n").encode())
    os.chmod(script, 0o755)
    return script, args_file


def live_tool_run(label, tool, argv):
    env = dict(s.env, TEDIAG_LOG_TOOL=tool)
    return subprocess.Popen([s.tediag, "live", "--color", "never"] + argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=common.SOURCE_ROOT,
                            env=env)


dry = subprocess.run([s.tediag, "live", "--dry-run"], capture_output=True, env=s.env,
                     cwd=common.SOURCE_ROOT)
m = re.search(rb"--predicate '((?:[^']|'\\'')*)'", dry.stdout)
s.check(m, f"live --dry-run: no predicate in {dry.stdout[:200]!r}")
want_predicate = m.group(1).replace(b"'\\''", b"'").decode() if m else None

# A stream that stays open: the incident before the end, SIGINT stops tediag and the tool.
tool, args_file = fake_log_tool("open-stream", "exec sleep 60")
proc = live_tool_run("live, open stream", tool, ["--format", "ndjson", "--flush-after", "0.5"])
line = read_line_within(proc, 5 * s.slow)
s.check(line is not None and b'"ent-unsatisfied"' in line,
        f"live, open stream: no incident while the stream was open: {line!r}")
s.check(proc.poll() is None, "live, open stream: tediag ended while the stream was open")
proc.send_signal(signal.SIGINT)
try:
    out, err = proc.communicate(timeout=5 * s.slow)
    s.check(proc.returncode == 1, f"live, open stream: exit {proc.returncode} after SIGINT, expected 1; "
                                  f"stderr {err[-300:]!r}")
    s.check(b"summary:" in err, f"live, open stream: no summary after SIGINT: {err[-300:]!r}")
    s.check(b"security.mac.amfi.verbose_logging=1" in err,
            "live: the verbose-logging hint is missing")
except subprocess.TimeoutExpired:
    proc.kill()
    proc.communicate()
    s.check(False, "live, open stream: tediag did not exit within 5s of SIGINT")
got_args = open(args_file).read().split("\n")[:-1] if os.path.exists(args_file) else []
s.check(got_args[:5] == ["stream", "--style", "ndjson", "--info", "--predicate"] and len(got_args) == 6,
        f"live: the log tool got {got_args[:5]} ({len(got_args)} arguments)")
s.check(len(got_args) == 6 and got_args[5] == want_predicate,
        "live: the predicate given to the log tool differs from the one `live --dry-run` prints")

# The tool fails after some output: what came is diagnosed, the failure is said, exit 2.
tool, _ = fake_log_tool("failing", "exit 3")
proc = live_tool_run("live, tool fails", tool, ["--format", "ndjson"])
out, err = proc.communicate(timeout=10 * s.slow)
s.check(proc.returncode == 2, f"live, tool fails: exit {proc.returncode}, expected 2")
s.check(b'"ent-unsatisfied"' in out, "live, tool fails: the output before the failure was not diagnosed")
s.check(b"exited with status 3" in err, f"live, tool fails: the failure is not said: {err[-300:]!r}")

# No such tool: exit 2, the path named.
missing = s.path("no-such-log-tool")
proc = live_tool_run("live, no tool", missing, [])
out, err = proc.communicate(timeout=10 * s.slow)
s.check(proc.returncode == 2 and missing.encode() in err,
        f"live, no tool: exit {proc.returncode}, stderr {err[-300:]!r}")

s.done()
