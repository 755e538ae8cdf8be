#!/usr/bin/env python3
"""Golden tests: run tediag over the inputs of corpora/ and compare its JSON
document (incidents and summary) with tests/golden/expected/; for a few cases
also the Markdown ticket, the text view and NDJSON (case names NAME@FORMAT,
expected/NAME.md, .txt, .ndjson), so every output format has reviewed bytes.

  golden.py --tediag BIN --list               the case names (one per line)
  golden.py --tediag BIN --case NAME          run one case, show a diff on mismatch
  golden.py --tediag BIN [--accept] [NAME...] run all (or the named) cases;
                                              --accept writes the new outputs after showing
                                              what changed — read them before committing.
A case is a file or directory under corpora/{public,synthetic,cases}; the name is its path
relative to corpora/ with "/" replaced by "__".
"""
import argparse
import difflib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = os.path.join(ROOT, "corpora")
EXPECTED = os.path.join(ROOT, "tests", "golden", "expected")
GROUPS = ["public", "synthetic", "cases"]
# Extra arguments for some cases, by name prefix.
CASE_ARGS = {
    "cases__redact": ["--redact"],
}
# Cases also compared in other output formats (the file extension of each).
RENDERED = {
    "cases__two-launches.log": ["markdown", "text"],
    "cases__app-crash-plus-log": ["markdown"],
    "cases__redact-personal-data.log": ["markdown", "text", "ndjson"],
    "synthetic__relay-log-show.ndjson": ["markdown"],
}
EXTENSION = {"json": ".json", "markdown": ".md", "text": ".txt", "ndjson": ".ndjson"}


def cases():
    out = []
    for g in GROUPS:
        d = os.path.join(CORPORA, g)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".tsv") or name.endswith(".md"):
                continue
            out.append(f"{g}__{name}")
            out += [f"{g}__{name}@{fmt}" for fmt in RENDERED.get(f"{g}__{name}", [])]
    return out


def split_name(name):
    """NAME@FORMAT -> (NAME, FORMAT); a plain NAME is the JSON document."""
    base, _, fmt = name.partition("@")
    return base, fmt or "json"


def case_path(name):
    return "corpora/" + name.replace("__", "/", 1)


def run_case(tediag, name):
    name, fmt = split_name(name)
    args = [tediag, "--format", fmt, "--no-live", "--color", "never"]
    for prefix, extra in CASE_ARGS.items():
        if name.startswith(prefix):
            args += extra
    args.append(case_path(name))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
    p = subprocess.run(args, cwd=ROOT, capture_output=True, timeout=120, env=env)
    if p.returncode not in (0, 1):
        return None, f"exit status {p.returncode}: {p.stderr.decode(errors='replace')}"
    if fmt != "json":
        try:
            return p.stdout.decode("utf-8"), None
        except UnicodeDecodeError as e:
            return None, f"output is not UTF-8: {e}"
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        return None, f"invalid JSON output: {e}"
    # Run-dependent numbers out; everything else is compared.
    doc.get("summary", {}).pop("compile_us", None)
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tediag", required=True)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--accept", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    tediag = os.path.abspath(a.tediag)
    if a.list:
        print("\n".join(cases()))
        return 0
    names = [a.case] if a.case else (a.names or cases())
    failed = 0
    for name in names:
        got, err = run_case(tediag, name)
        base, fmt = split_name(name)
        path = os.path.join(EXPECTED, base + EXTENSION[fmt])
        if err:
            print(f"FAIL {name}: {err}")
            failed += 1
            continue
        want = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if got == want:
            if not a.case:
                print(f"ok   {name}")
            continue
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            "expected/" + os.path.basename(path), "actual", n=2))
        if a.accept:
            print(f"ACCEPT {name}\n{diff}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(got)
        else:
            print(f"FAIL {name}\n{diff}")
            failed += 1
    return 1 if failed else 0


sys.exit(main())
