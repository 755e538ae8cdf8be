#!/usr/bin/env python3
"""Builds corpora/public/ from ../shared/corpus: the excerpt of each file (what
follows the `# ---` header line) becomes a test input, and corpora/public/expected.tsv
records its accepted class ids, confidence and style from labels.tsv. The header
(title, root cause) is never given to tediag.

usage: import-corpus.py SHARED_CORPUS_DIR CORPORA_DIR
"""
import csv
import os
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    out_dir = os.path.join(dst, "public")
    os.makedirs(out_dir, exist_ok=True)
    labels = {}
    with open(os.path.join(src, "labels.tsv"), encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            labels[row["file"]] = row
    rows = []
    for name in sorted(os.listdir(src)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        source = ""
        for i, line in enumerate(lines):
            if line.startswith(b"# source:"):
                source = line[len(b"# source:"):].strip().decode("utf-8", "replace")
            if line.rstrip(b"\r") == b"# ---":
                excerpt = b"\n".join(lines[i + 1:])
                break
        else:
            sys.exit(f"{name}: no '# ---' header end")
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(excerpt)
        lab = labels.get(name, {})
        rows.append((name, lab.get("expect", "?"), lab.get("confidence", "?"), lab.get("style", "?"), source))
    with open(os.path.join(out_dir, "expected.tsv"), "w", encoding="utf-8") as f:
        f.write("file\texpect\tconfidence\tstyle\tsource\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{len(rows)} excerpts written to {out_dir}")


main()
