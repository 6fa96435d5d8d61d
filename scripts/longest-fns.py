#!/usr/bin/env python3
"""The longest functions of each crate, in lines (issue 27: "no function a newcomer cannot read").

A function is counted from its `fn` line to the line that closes it at the same indentation,
both included — the count `awk '/fn update/{f=1} f{n++} /^    }$/{...}'` gives for an
`update`. Test modules (`#[cfg(test)]` to the end of the file) and test files are left out:
the limit is on the code a newcomer reads to understand the gateware and tools.

    scripts/longest-fns.py                 # the working tree, top 3 per crate
    scripts/longest-fns.py --rev 7b8a13a   # a commit, read through git
    scripts/longest-fns.py --top 1         # only each crate's longest
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

CRATES = ["hdl", "sim", "src", "host-tool", "bsp", "proto", "lint"]
FN = re.compile(r"^(\s*)(pub(\([a-z]+\))? )?(const )?(async )?(unsafe )?(extern \"C\" )?fn (\w+)")


def files(rev):
    """(path, text) of every crate source file at `rev` (None: the working tree)."""
    if rev is None:
        out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout
        paths = [p for p in out.split() if Path(p).is_file()]
    else:
        out = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev], capture_output=True, text=True, check=True).stdout
        paths = out.split()
    for p in paths:
        if not p.endswith(".rs") or "/tests/" in p or "/benches/" in p or "/examples/" in p:
            continue
        if p.split("/")[0] not in CRATES:
            continue
        if rev is None:
            text = Path(p).read_text()
        else:
            text = subprocess.run(["git", "show", f"{rev}:{p}"], capture_output=True, text=True, check=True).stdout
        yield p, text


def functions(text):
    """(name, first line, length) of each function outside the test module."""
    lines = text.split("\n")
    end = len(lines)
    for i, l in enumerate(lines):
        if l.strip() == "#[cfg(test)]" and not l.startswith(" "):
            end = i
            break
    for i in range(end):
        m = FN.match(lines[i])
        if not m:
            continue
        indent = m.group(1)
        # A declaration without a body (a trait's) ends with `;` before any `{`.
        j = i
        while j < end and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= end or "{" not in lines[j]:
            continue
        if lines[j].rstrip().endswith("}") and lines[j].count("{") == lines[j].count("}"):
            yield m.group(8), i + 1, j - i + 1
            continue
        for k in range(j + 1, end):
            if lines[k] == indent + "}":
                yield m.group(8), i + 1, k - i + 1
                break


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", help="a commit to read through git (default: the working tree)")
    ap.add_argument("--top", type=int, default=3, help="functions shown per crate")
    a = ap.parse_args()
    by_crate = {c: [] for c in CRATES}
    for path, text in files(a.rev):
        for name, line, n in functions(text):
            by_crate[path.split("/")[0]].append((n, f"{path}:{line}", name))
    for crate, fns in by_crate.items():
        if not fns:
            continue
        fns.sort(reverse=True)
        shown = ", ".join(f"{name} {n} ({where})" for n, where, name in fns[: a.top])
        print(f"{crate:10} {shown}")


if __name__ == "__main__":
    sys.exit(main())
