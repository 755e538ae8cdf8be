"""Shared helpers of the integration tests: run the tediag binary as a child
process with a time limit, measure its peak RSS (os.wait4), parse its JSON
output, and collect failed checks so one script reports all of them.

Every script takes `--tediag PATH` (meson passes the built binary) and may
take `--build-root DIR` (the meson build directory, for `meson install`)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = os.path.join(SOURCE_ROOT, "corpora")
RULES_DIR = os.path.join(SOURCE_ROOT, "rules")
DEMO = os.path.join(CORPORA, "demo", "launch-failure.log")
MIB = 1024 * 1024

# A small helper process that starts every tediag run: a child forked from
# this (large) Python process would inherit our peak RSS in its ru_maxrss, a
# child of this fresh helper inherits only the helper's few MiB. It reads one
# JSON request per line (argv, env, cwd, stdin/stdout/stderr paths, timeout),
# forks and execs, waits with wait4 and answers with status, seconds, maxrss.
SPAWNER = r"""
import json, os, signal, sys, time
for line in sys.stdin:
    req = json.loads(line)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            fd_in = os.open(req["stdin"] or os.devnull, os.O_RDONLY)
            fd_out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fd_err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd_in, 0)
            os.dup2(fd_out, 1)
            os.dup2(fd_err, 2)
            os.chdir(req["cwd"])
            os.execve(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    timed_out = False
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            break
        if time.monotonic() - start > req["timeout"]:
            os.kill(pid, signal.SIGKILL)
            got, status, usage = os.wait4(pid, 0)
            timed_out = True
            break
        time.sleep(0.002)
    sys.stdout.write(json.dumps({"status": status, "seconds": time.monotonic() - start,
                                 "maxrss": usage.ru_maxrss, "timed_out": timed_out}) + "\n")
    sys.stdout.flush()
"""

# The fields every JSON summary carries (README, "The incident JSON contract").
SUMMARY_FIELDS = [
    "inputs", "inputs_failed", "bytes", "lines", "lines_in_events", "lines_meta",
    "lines_not_understood", "lines_cut", "events", "matches", "rules_loaded", "incidents",
    "incidents_suppressed", "contexts_evicted", "evidence_dropped", "regex_limit_hits",
    "records_skipped", "reports_skipped", "logarchive_files_not_decoded", "members_skipped",
    "input_errors",
]


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--tediag", required=True, help="path of the tediag binary")
    p.add_argument("--build-root", help="meson build directory (for meson install)")
    if extra:
        extra(p)
    args = p.parse_args()
    args.tediag = os.path.abspath(args.tediag)
    return args


def is_sanitized(binary):
    """True when the binary (or the libtediag next to it) is built with ASan:
    memory bounds do not apply then (shadow memory, quarantine) and it is slower."""
    candidates = [binary]
    libdir = os.path.dirname(os.path.dirname(os.path.dirname(binary)))  # build/src/cli/tediag
    for name in os.listdir(libdir) if os.path.isdir(libdir) else []:
        if name.startswith("libtediag.so"):
            candidates.append(os.path.join(libdir, name))
    for path in candidates:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"__asan_init" in data or b"libasan.so" in data:
            return True
    return False


class Result:
    def __init__(self, argv, status, stdout, stderr, seconds, maxrss_kib):
        self.argv = argv
        self.status = status  # raw wait status
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.maxrss_mib = maxrss_kib / 1024.0
        self.signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        self.returncode = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        self.timed_out = False

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    def describe(self):
        what = (f"signal {self.signal}" if self.signal is not None else f"exit {self.returncode}")
        if self.timed_out:
            what = "TIMEOUT (killed)"
        return f"{what}, {self.seconds:.2f}s, peak RSS {self.maxrss_mib:.1f} MiB"

    def json(self):
        return json.loads(self.stdout)


class Suite:
    """Collects checks; `done()` prints the verdict and exits non-zero on failure."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.tediag = args.tediag
        self.failures = []
        self.checks = 0
        self.sanitized = is_sanitized(args.tediag)
        self.worst_rss = (0.0, "")
        self.tmp = tempfile.TemporaryDirectory(prefix=f"tediag-{name}-")
        self.dir = self.tmp.name
        # Time limits stretch under sanitizers (debug build, instrumentation).
        self.slow = 6.0 if self.sanitized else 1.0
        self.env = dict(os.environ)
        self.env["TEDIAG_RULES"] = RULES_DIR
        self.env.pop("NO_COLOR", None)
        self.spawner = None
        if self.sanitized:
            print(f"[{name}] sanitized build: time limits x{self.slow:g}, RSS bounds not asserted")

    # ---- checks -------------------------------------------------------------

    def check(self, cond, message):
        self.checks += 1
        if not cond:
            self.failures.append(message)
            print(f"FAIL: {message}", flush=True)
        return bool(cond)

    def check_rss(self, result, bound_mib, label):
        if result.maxrss_mib > self.worst_rss[0]:
            self.worst_rss = (result.maxrss_mib, label)
        if self.sanitized:
            return True
        return self.check(result.maxrss_mib < bound_mib,
                          f"{label}: peak RSS {result.maxrss_mib:.1f} MiB >= bound {bound_mib} MiB")

    def check_exit(self, result, allowed, label):
        """The child exited normally (never a signal, never a timeout) with a status in allowed."""
        if not self.check(not result.timed_out, f"{label}: did not finish ({result.describe()})"):
            return False
        if not self.check(result.signal is None,
                          f"{label}: killed by signal {result.signal}; stderr: {result.err[-2000:]}"):
            return False
        return self.check(result.returncode in allowed,
                          f"{label}: exit status {result.returncode}, expected {sorted(allowed)}; "
                          f"stderr: {result.err[-1500:]}")

    def done(self):
        if self.spawner:
            self.spawner.stdin.close()
            self.spawner.wait()
        extra = f"; worst peak RSS {self.worst_rss[0]:.1f} MiB ({self.worst_rss[1]})" \
            if self.worst_rss[0] else ""
        if self.failures:
            print(f"[{self.name}] {len(self.failures)} of {self.checks} checks FAILED{extra}:")
            for f in self.failures:
                print(f"  - {f}")
            self.tmp.cleanup()
            sys.exit(1)
        print(f"[{self.name}] all {self.checks} checks passed{extra}")
        self.tmp.cleanup()
        sys.exit(0)

    # ---- files --------------------------------------------------------------

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return p

    # ---- running ------------------------------------------------------------

    def run(self, args, stdin_path=None, stdin_bytes=None, timeout=20.0, cwd=None, env=None):
        """Runs tediag ARGS to completion through the spawner; stdout/stderr go
        to files (any size); peak RSS from wait4. Killed on timeout."""
        timeout *= self.slow
        argv = [self.tediag] + list(args)
        if stdin_bytes is not None:
            stdin_path = self.write("stdin.bin", stdin_bytes)
        if self.spawner is None:
            self.spawner = subprocess.Popen([sys.executable, "-I", "-S", "-c", SPAWNER],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            text=True)
        out_path, err_path = self.path("run.stdout"), self.path("run.stderr")
        req = {"argv": argv, "env": env or self.env, "cwd": cwd or SOURCE_ROOT,
               "stdin": stdin_path, "stdout": out_path, "stderr": err_path, "timeout": timeout}
        self.spawner.stdin.write(json.dumps(req) + "\n")
        self.spawner.stdin.flush()
        rep = json.loads(self.spawner.stdout.readline())
        r = Result(argv, rep["status"], read(out_path), read(err_path), rep["seconds"],
                   rep["maxrss"])
        r.timed_out = rep["timed_out"]
        os.unlink(out_path)
        os.unlink(err_path)
        return r

    def run_json(self, args, label, allowed=(0, 1), **kw):
        """Runs with --format json; returns (result, document or None)."""
        r = self.run(["--format", "json", "--no-live"] + list(args), **kw)
        if not self.check_exit(r, set(allowed), label):
            return r, None
        try:
            doc = r.json()
        except ValueError as e:
            self.check(False, f"{label}: stdout is not valid JSON ({e}): {r.out[:300]!r}")
            return r, None
        self.check(isinstance(doc.get("incidents"), list) and isinstance(doc.get("summary"), dict),
                   f"{label}: JSON document lacks incidents/summary")
        return r, doc

    def strict_json(self, raw, label):
        """JSON that is also valid UTF-8 (json.loads on bytes lets surrogates pass)."""
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.check(False, f"{label}: output is not valid UTF-8 JSON ({e})")
            return None

    def hostile(self, label, argv, allowed=(0, 1), seconds=10.0, rss=200, **kw):
        """One hostile case with --format json: exit status (never a signal),
        time, peak RSS, strict JSON output and the line accounting."""
        r = self.run(["--format", "json", "--no-live"] + list(argv), timeout=seconds * 3, **kw)
        print(f"[{self.name}] {label}: {r.describe()}")
        if not self.check_exit(r, set(allowed), label):
            return r, None
        self.check(r.seconds < seconds * self.slow, f"{label}: took {r.seconds:.1f}s (limit {seconds}s)")
        self.check_rss(r, rss, label)
        doc = self.strict_json(r.stdout, label)
        if doc is None:
            return r, None
        self.check_accounting(doc.get("summary"), label)
        return r, doc

    def check_accounting(self, summary, label):
        """lines = lines_in_events + lines_meta + lines_not_understood + lines_cut."""
        if not summary:
            return False
        missing = [k for k in SUMMARY_FIELDS if k not in summary]
        if not self.check(not missing, f"{label}: summary lacks {missing}"):
            return False
        parts = (summary["lines_in_events"] + summary["lines_meta"] +
                 summary["lines_not_understood"] + summary["lines_cut"])
        return self.check(summary["lines"] == parts,
                          f"{label}: lines {summary['lines']} != in_events {summary['lines_in_events']}"
                          f" + meta {summary['lines_meta']} + not_understood "
                          f"{summary['lines_not_understood']} + cut {summary['lines_cut']} (= {parts})")


def incident_ids(doc):
    return [i.get("id") for i in (doc or {}).get("incidents", [])]


def read(path):
    with open(path, "rb") as f:
        return f.read()
