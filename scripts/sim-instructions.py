#!/usr/bin/env python3
"""Instructions per simulated cycle of the Verilator model, counted by valgrind's callgrind.

The count is exact and does not depend on the machine's load (wall and CPU time on this
shared 2-core virtual machine vary by 20 % or more, and it exposes no hardware counters to
`perf stat`), so it is how two builds of the core, or two versions of the shim, are compared.
It runs `sim/examples/speed_levers.rs` (one round) under callgrind, collecting only inside
`ftio_sim::equivalence::replay` (the model alone: replaying a trace, every output compared)
or `ftio_sim::equivalence::run` (the model with the system models in the loop):

    python3 scripts/sim-instructions.py [--cycles N] [--by-module DEPTH] [VARIANT]

VARIANT is a speed_levers variant: `default` (the default core), `file:PATH` (a
`ftio_core.v`, e.g. written by `ftio verilog` at an older commit) or `params:KEYS`
(`no-injection`, `no-bist`, `no-bist-return`, `harden`). Prints, for replay and run, the
instructions per cycle in all, in the model library (Verilator's code and the shim) and in
the Rust side.

`--by-module DEPTH` instead builds the model with Verilator's `--prof-cfuncs` (one C++
function per always block, named after its Verilog line; `VM_PROFC=0` leaves out the `-pg`
that option adds) and sums the replay's instructions by the module each function comes from,
to DEPTH levels of the hierarchy (1: `ftio_core$bist`, 2: `ftio_core$bist$ret`, ...). That
build runs about 40 % more instructions than the real one (GCC inlines less across the many
small functions), and what GCC still inlined into Verilator's scheduler functions
(`___eval_nba`, `___eval_ico`) is listed apart, so the figures say where the model's work is,
not what a block costs exactly.
"""
import argparse
import shutil
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, "target", "release", "examples", "speed_levers")
# VERILATOR_FLAGS of sim/src/verilator.rs with --prof-cfuncs.
PROF_FLAGS = ("--cc --exe --build -O3 --x-assign 0 --x-initial 0 -Wno-WIDTH -Wno-fatal "
              "--top-module ftio_core -CFLAGS -fPIC -LDFLAGS -shared --prof-cfuncs "
              "-MAKEFLAGS OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2 VM_PROFC=0")


def callgrind(variant, cycles, what, out):
    """Runs speed_levers under callgrind, collecting inside equivalence::`what`."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    f"--toggle-collect=ftio_sim::equivalence::{what}*", EXE, "1", str(cycles), variant],
                   capture_output=True, check=True)
    text = subprocess.run(["callgrind_annotate", "--threshold=100", out],
                          capture_output=True, text=True, check=True).stdout
    total, funcs = 0, []
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+\S*?:(\S+?)(\(.*)? \[(.*)\]$", line)
        if m:
            funcs.append((int(m.group(1).replace(",", "")), m.group(2), m.group(4)))
    return total, funcs


def modules(verilog_path):
    starts, names = [], []
    with open(verilog_path) as f:
        for i, line in enumerate(f, 1):
            m = re.match(r"module (\S+?)\(", line)
            if m:
                starts.append(i)
                names.append(m.group(1))
    return starts, names


def verilog_of(variant, tmp):
    """The Verilog a variant simulates (for the line numbers of --by-module)."""
    first = variant.split(" ")[0]
    if first.startswith("file:"):
        return first[5:]
    path = os.path.join(tmp, "ftio_core.v")
    args = ["cargo", "run", "--release", "-q", "--", "verilog", "--out", tmp]
    if first.startswith("params:"):
        args += ["--" + k for k in first[7:].split(",")]
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variant", nargs="?", default="default",
                    help="default, file:PATH or params:KEYS, optionally followed by Verilator options")
    ap.add_argument("--cycles", type=int, default=20000)
    ap.add_argument("--by-module", type=int, metavar="DEPTH")
    a = ap.parse_args()
    for tool in ["valgrind", "callgrind_annotate"]:
        if shutil.which(tool) is None:
            sys.exit(f"sim-instructions: {tool} not found: install it with `bash scripts/setup.sh` "
                     "(Debian: apt-get install valgrind)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ftio-sim", "--example", "speed_levers"],
                   cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        # The Verilog is written first (by `ftio verilog`, natively): generating it inside
        # speed_levers under valgrind would take minutes.
        verilog = verilog_of(a.variant, tmp)
        first, _, rest = a.variant.partition(" ")
        flags = rest if first.startswith(("file:", "params:", "default")) else a.variant
        if a.by_module is None:
            for what in ["replay", "run"]:
                total, funcs = callgrind(f"file:{verilog} {flags}".strip(), a.cycles, what, out)
                model = sum(n for n, _, obj in funcs if obj.endswith("libftio_core.so"))
                print(f"{what:6s} {total / a.cycles:7.0f} instructions/cycle: model library {model / a.cycles:.0f}, "
                      f"Rust side {(total - model) / a.cycles:.0f}  ({a.cycles} cycles, {a.variant})")
            return
        variant = f"file:{verilog} {PROF_FLAGS}"
        # Build the profiling model outside callgrind (a Verilator build under it takes long).
        subprocess.run([EXE, "1", "100", variant], check=True, capture_output=True)
        total, funcs = callgrind(variant, a.cycles, "replay", out)
        starts, names = modules(verilog)
        by_module, regions, other = collections.Counter(), collections.Counter(), collections.Counter()
        model = 0
        for n, sym, obj in funcs:
            if not obj.endswith("libftio_core.so"):
                continue
            model += n
            m = re.search(r"___024root___(\w+?)__TOP__\d+__PROF__\w+__l(\d+)$", sym)
            if not m:
                other[sym] += n
                continue
            name = names[bisect.bisect_right(starts, int(m.group(2))) - 1]
            by_module["$".join(name.split("$")[: 1 + a.by_module])] += n
            regions[m.group(1)] += n
        c = a.cycles
        print(f"replay, --prof-cfuncs build: {total / c:.0f} instructions/cycle, model library {model / c:.0f}")
        print("by Verilator region (functions named after a Verilog line):")
        for k, n in regions.most_common():
            print(f"  {k:40s} {n / c:7.0f}")
        print("not named after a line (scheduler, shim, what GCC inlined into them):")
        for k, n in other.most_common(12):
            print(f"  {k[:60]:60s} {n / c:7.0f}")
        print(f"by module (depth {a.by_module}; those under 0.5 % of the model together):")
        rest = 0
        for k, n in by_module.most_common():
            if n >= 0.005 * model:
                print(f"  {k:58s} {n / c:7.0f}")
            else:
                rest += n
        print(f"  {'the others':58s} {rest / c:7.0f}")


if __name__ == "__main__":
    sys.exit(main())
