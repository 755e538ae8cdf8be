#!/usr/bin/env python3
"""Hostile containers: truncated .gz / .zst / .tar.gz of a capture (clear error
naming the file, the incident before the damage still reported), a gzip and a
zstd of 1 GiB of zeros (ratio guard: skipped, counted, fast), and archives
whose members use `../`, absolute paths, symlinks and hard links (nothing
written anywhere, names only in provenance)."""
import gzip
import io
import os
import random
import shutil
import subprocess
import tarfile
import zipfile

import common

args = common.parse_args()
s = common.Suite("hostile-containers", args)
DEMO_BYTES = common.read(common.DEMO)
ZSTD = shutil.which("zstd")


def noise_lines(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append(b"2026-03-02 10:15:%02d.%06d+0100 0x1a2b     Default     0x0                  377    0    "
                   b"WindowServer: (SkyLight) [com.apple.SkyLight:default] [CGXDisplay] noise %d %s\n"
                   % (i // 1000 % 60, i % 1000000, i, rnd.randbytes(12).hex().encode()))
    return b"".join(out)


# The launch failure first, then ~2.5 MB of noise: damage in the noise part.
CAPTURE = DEMO_BYTES + noise_lines(20000, 1)


def check_truncated(label, path, argv=None, **kw):
    r, doc = s.hostile(label, argv or [path], allowed=(1,), seconds=10, **kw)
    if not doc:
        return
    sm = doc["summary"]
    name = os.path.basename(path) if not argv or argv != ["-"] else "<stdin>"
    s.check(name in r.err and ("truncat" in r.err or "damaged" in r.err),
            f"{label}: no clear error naming {name}: {r.err[:400]!r}")
    s.check(sm["input_errors"] >= 1, f"{label}: input_errors {sm['input_errors']}")
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"{label}: the incident before the damage must be reported: {common.incident_ids(doc)}")
    s.check(0 < sm["lines"] < CAPTURE.count(b"\n"), f"{label}: lines {sm['lines']}")


# ---- truncated .gz, .zst, .tar.gz -----------------------------------------------------
gz = gzip.compress(CAPTURE, 6, mtime=0)
path = s.write("capture.log.gz", gz[:len(gz) * 2 // 3])
check_truncated("truncated .gz", path)
check_truncated("truncated .gz on stdin", path, argv=["-"], stdin_path=path)
if ZSTD:
    zst = subprocess.run([ZSTD, "-q", "-c"], input=CAPTURE, capture_output=True, check=True).stdout
    path = s.write("capture.log.zst", zst[:len(zst) * 2 // 3])
    check_truncated("truncated .zst", path)
    check_truncated("truncated .zst on stdin", path, argv=["-"], stdin_path=path)
else:
    print("[hostile-containers] SKIP .zst cases: the zstd tool is not installed")

bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w:gz") as tf:
    for name, data in (("logs/launch.log", DEMO_BYTES), ("logs/noise.log", noise_lines(30000, 2))):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
tgz = bio.getvalue()
path = s.write("capture.tar.gz", tgz[:len(tgz) * 2 // 3])
r, doc = s.hostile("truncated .tar.gz", [path], allowed=(1,), seconds=10)
if doc:
    s.check("capture.tar.gz" in r.err, f"truncated .tar.gz: error must name the archive: {r.err[:300]!r}")
    s.check(doc["summary"]["input_errors"] >= 1, "truncated .tar.gz: input_errors not counted")
    s.check(common.incident_ids(doc) == ["ent-unsatisfied"],
            f"truncated .tar.gz: incidents {common.incident_ids(doc)}")
    srcs = {e["source"] for i in doc["incidents"] for e in i["evidence"]}
    s.check(any("capture.tar.gz!logs/launch.log:" in x for x in srcs),
            f"truncated .tar.gz: provenance archive!member:line expected, got {sorted(srcs)[:3]}")

# ---- 1 GiB of zeros ---------------------------------------------------------------------
# 128 gzip members of 8 MiB of zeros each: one valid .gz that expands to 1 GiB,
# made in a fraction of a second (one deflate stream of 1 GiB takes seconds).
member = gzip.compress(bytes(8 << 20), 9, mtime=0)
bomb = s.path("zeros.log.gz")
with open(bomb, "wb") as f:
    for _ in range(128):
        f.write(member)
s.check(len(member) * 128 * 1000 < (1 << 30), "the gzip bomb is not over the 1000x ratio")
for label, argv, kw in (("gzip of 1 GiB of zeros", [bomb], {}),
                        ("gzip of 1 GiB of zeros on stdin", ["-"], {"stdin_path": bomb})):
    r, doc = s.hostile(label, argv, allowed=(0,), seconds=10, **kw)
    if doc:
        sm = doc["summary"]
        s.check(sm["members_skipped"] + sm["input_errors"] >= 1,
                f"{label}: the ratio guard is not counted (members_skipped/input_errors): {sm}")
        s.check(sm["bytes"] < (1 << 30), f"{label}: read all {sm['bytes']} bytes: no ratio guard")
        s.check("bomb" in r.err or "ratio" in r.err or "expands" in r.err,
                f"{label}: the guard is not named on stderr: {r.err[:300]!r}")
if ZSTD:
    zbomb = s.path("zeros.log.zst")
    with open(zbomb, "wb") as out:
        src = subprocess.Popen(["head", "-c", str(1 << 30), "/dev/zero"], stdout=subprocess.PIPE)
        subprocess.run([ZSTD, "-q", "-c", "-1"], stdin=src.stdout, stdout=out, check=True)
        src.wait()
    r, doc = s.hostile("zstd of 1 GiB of zeros", [zbomb], allowed=(0,), seconds=10)
    if doc:
        sm = doc["summary"]
        s.check(sm["members_skipped"] + sm["input_errors"] >= 1,
                f"zstd bomb: the ratio guard is not counted: {sm}")
        s.check(sm["bytes"] < (1 << 30), f"zstd bomb: read all {sm['bytes']} bytes")

# ---- archives with ../, absolute paths, symlinks, hard links ------------------------------
work = s.path("work/cwd")
os.makedirs(work)
abs_target = s.path("abs-target/escape.log")  # an absolute member name inside our temp dir
APP_LOG = DEMO_BYTES


def tree_snapshot():
    out = set()
    for d, dirs, files in os.walk(s.dir):
        for n in dirs + files:
            out.add(os.path.join(d, n))
    return out


def tar_member(tf, name, data=None, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    if data is not None:
        ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data) if data is not None else None)


bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w:gz") as tf:
    tar_member(tf, "../../escape.log", APP_LOG)
    tar_member(tf, abs_target, APP_LOG)
    tar_member(tf, "passwd-link.log", kind=tarfile.SYMTYPE, link="/etc/passwd")
    tar_member(tf, "up-link.log", kind=tarfile.SYMTYPE, link="../../escape.log")
    tar_member(tf, "hard.log", kind=tarfile.LNKTYPE, link="../../escape.log")
    tar_member(tf, "../evil-dir", kind=tarfile.DIRTYPE)
    tar_member(tf, "ok/inner.log", APP_LOG)
evil_tgz = s.write("evil.tar.gz", bio.getvalue())

zbio = io.BytesIO()
with zipfile.ZipFile(zbio, "w") as zf:
    zf.writestr("../../zip-escape.log", APP_LOG)
    zf.writestr(s.path("abs-target/zip-escape.log"), APP_LOG)
    zf.writestr("ok/inner.log", APP_LOG)
evil_zip = s.write("evil.zip", zbio.getvalue())

for label, path, n_regular, bad_names in (
        ("evil .tar.gz", evil_tgz, 3, ["../../escape.log", abs_target]),
        ("evil .zip", evil_zip, 3, ["../../zip-escape.log"])):
    before = tree_snapshot()
    r, doc = s.hostile(label, [path], allowed=(1,), seconds=10, cwd=work)
    after = tree_snapshot()
    s.check(after == before, f"{label}: files appeared: {sorted(after - before)}")
    s.check(not os.path.exists(abs_target) and not os.path.exists("/escape.log"),
            f"{label}: a member was extracted to its absolute path")
    if not doc:
        continue
    out = r.out + r.err
    s.check("root:x:0:0" not in out and "root:" not in r.out, f"{label}: a symlink member was followed")
    srcs = {e["source"].rsplit(":", 1)[0] for i in doc["incidents"] for e in i["evidence"]}
    for name in bad_names:
        s.check(f"{os.path.basename(path)}!{name}" in " ".join(srcs),
                f"{label}: member {name} should be read as a stream, named in provenance: {sorted(srcs)}")
    sm = doc["summary"]
    s.check(sm["inputs"] <= n_regular, f"{label}: {sm['inputs']} inputs, at most {n_regular} regular members")
    if path == evil_tgz:
        s.check(sm["members_skipped"] >= 3,
                f"{label}: 2 symlinks and 1 hard link must be skipped and counted: {sm['members_skipped']}")
        s.check("passwd-link.log" in r.err and "hard.log" in r.err,
                f"{label}: the skipped link members must be named: {r.err[:400]!r}")

s.done()
