#!/usr/bin/env python3
"""Corpus accuracy: runs tediag on every excerpt of corpora/public and compares the
ids of the error and warning incidents it reports with the accepted ids of
expected.tsv (from the `# expect:` header of ../shared/corpus).

A file is diagnosed exactly right when tediag reports at least one incident and every
reported id is among the accepted ones. Benign files (`none`) are right when nothing of
severity error or warning is reported. `unrecognisable` files are not scored.

  accuracy.py --tediag BIN CORPORA_DIR          print the table and the misses
  accuracy.py --tediag BIN --check CORPORA_DIR  also fail (exit 1) when a benign file gets an
                                                error/warning incident or when fewer files are
                                                right than tests/accuracy-baseline.txt records
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def reported_ids(tediag, path):
    p = subprocess.run([tediag, "--format", "json", "--no-live", path], capture_output=True, timeout=60)
    if p.returncode not in (0, 1):
        return None, p.stderr.decode(errors="replace").strip()
    doc = json.loads(p.stdout)
    ids = []
    for inc in doc.get("incidents", []):
        if inc.get("severity") in ("error", "warning") and inc["id"] not in ids:
            ids.append(inc["id"])
    return ids, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tediag", required=True)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("corpora")
    a = ap.parse_args()
    pub = os.path.join(a.corpora, "public")
    rows = list(csv.DictReader(open(os.path.join(pub, "expected.tsv"), encoding="utf-8"), delimiter="\t"))
    per_class = collections.defaultdict(lambda: [0, 0])
    right = scored = benign_fp = 0
    misses = []
    for row in rows:
        expect = row["expect"]
        if expect == "unrecognisable":
            continue
        ids, err = reported_ids(a.tediag, os.path.join(pub, row["file"]))
        if err is not None:
            misses.append((row["file"], expect, f"ERROR {err}"))
            scored += 1
            continue
        accepted = set() if expect == "none" else set(expect.split(","))
        if expect == "none":
            ok = not ids
            if not ok:
                benign_fp += 1
            classes = ["none"]
        else:
            ok = bool(ids) and set(ids) <= accepted
            classes = expect.split(",")
        scored += 1
        right += ok
        for c in classes:
            per_class[c][1] += 1
            per_class[c][0] += ok
        if not ok:
            misses.append((row["file"], expect, ",".join(ids) or "(nothing)"))
    print(f"{'class':32} {'right':>5} / {'files':<5}")
    for c in sorted(per_class):
        r, n = per_class[c]
        print(f"{c:32} {r:>5} / {n:<5}")
    print(f"{'overall':32} {right:>5} / {scored:<5}  ({100.0 * right / max(scored, 1):.1f}%)")
    print(f"benign files with an error/warning incident: {benign_fp}")
    if misses:
        print("\nmisses (file: expected -> reported):")
        for f, e, got in misses:
            print(f"  {f}: {e} -> {got}")
    if a.check:
        base_path = os.path.join(HERE, "accuracy-baseline.txt")
        baseline = int(open(base_path).read().split()[0]) if os.path.exists(base_path) else 0
        if benign_fp or right < baseline:
            print(f"\nFAIL: {right} right (baseline {baseline}), {benign_fp} benign false positives")
            return 1
        print(f"\naccuracy check passed: {right} right (baseline {baseline})")
    return 0


sys.exit(main())
