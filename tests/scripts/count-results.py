#!/usr/bin/env python3
"""Counts test results for `make check`.

count-results.py [--label L] testlog.json   -> prints "L: N passed, N failed" for one meson run
count-results.py --total results.txt        -> sums such lines and prints "N passed, N failed"
"""
import json
import re
import sys


def count_meson(path, label):
    passed = failed = skipped = 0
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                result = rec.get("result", "")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
    print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped")


def total(path):
    passed = failed = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"(\d+) passed, (\d+) failed", line)
            if m:
                print(line.rstrip())
                passed += int(m.group(1))
                failed += int(m.group(2))
    print(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(1)


def main():
    args = sys.argv[1:]
    if args and args[0] == "--total":
        total(args[1])
        return
    label = "tests"
    if args and args[0] == "--label":
        label = args[1]
        args = args[2:]
    count_meson(args[0], label)


main()
