#!/usr/bin/env python3
"""Where the cells of a flattened yosys netlist are, by block of the design.

    python3 scripts/cell-map.py build/<board>/board_top.json [--depth N]

Reads the JSON netlist an `ftio build` (or scripts/measure-core.py) wrote and counts LUTs,
flops, carries, wide-function muxes (ECP5 PFUMX / L6MUX21) and RAMs per block (an ECP5 CCU2C
is two adder bits; a TRELLIS_DPR16X4 is a 16x4 LUT RAM). yosys names every cell after a net
it connects (`core.regs.rd_q$q_SB_DFF_Q`, `core.bist_chk_a$abort_SB_DFFE_Q_D_SB_LUT4_O`), so a
cell is counted to the block in that net's name: mostly the block whose flop it is or feeds,
but a flop that drives a child block's input port is named after the port and counted to the
child (so the BIST generators' output flops show up under the CPU injectors). Use it to rank
blocks in the real, flattened build, where constants have crossed module boundaries;
`synth_ice40 -noflatten` counts each module alone and, on the iCEBreaker build, more than twice
the LUTs.
"""
import argparse
import collections
import json
import re
import sys

KINDS = [
    ("LUT", ("SB_LUT4", "LUT4", "TRELLIS_COMB")),
    ("FF", ("SB_DFF", "TRELLIS_FF")),
    ("carry", ("SB_CARRY", "CCU2C")),
    ("mux", ("PFUMX", "L6MUX21")),
    ("RAM", ("SB_RAM40_4K", "DP16KD", "TRELLIS_DPR16X4")),
]


def kind(cell_type):
    for name, prefixes in KINDS:
        if cell_type.startswith(prefixes):
            return name
    return "other"


def block(cell_name, depth):
    # Cut yosys's naming suffix (`_SB_DFFE_Q_D_SB_LUT4_O`, `_TRELLIS_FF_Q`...) and keep the
    # first `depth` levels of the hierarchical path (`.` between instances, `$` before a
    # child's port or a sub-block in rust-hdl's names).
    base = re.split(r"_(?:SB|TRELLIS|LUT4|CCU2C|DP16KD|PFUMX|L6MUX21)", cell_name.lstrip("\\"), maxsplit=1)[0]
    parts = [p for p in re.split(r"[.$]", base) if p]
    if not parts:
        return "(unnamed)"
    return ".".join(parts[:depth]) if parts[0] == "core" else parts[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("netlist", help="yosys JSON netlist (board_top.json, top.json)")
    ap.add_argument("--depth", type=int, default=2, help="hierarchy levels to keep (2: core.<block>)")
    ap.add_argument("--top", type=int, default=40, help="rows to print (0: all)")
    a = ap.parse_args()
    try:
        with open(a.netlist) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"cell-map: cannot read {a.netlist}: {e}")
    mods = d.get("modules", {})
    tops = [m for m in mods.values() if m.get("attributes", {}).get("top")] or list(mods.values())
    if len(tops) != 1:
        sys.exit(f"cell-map: {a.netlist} has {len(tops)} top modules; give a flattened netlist")
    per = collections.defaultdict(collections.Counter)
    for name, cell in tops[0]["cells"].items():
        if cell["type"] == "$scopeinfo":  # newer yosys keeps the hierarchy as annotations
            continue
        per[block(name, a.depth)][kind(cell["type"])] += 1
    total = collections.Counter()
    for c in per.values():
        total.update(c)
    rows = sorted(per.items(), key=lambda kv: -(kv[1]["LUT"] + kv[1]["FF"] + kv[1]["carry"]))
    if a.top:
        rows = rows[: a.top]
    cols = ["LUT", "FF", "carry", "mux", "RAM", "other"]
    print(f"{'block':<36}" + "".join(f"{c:>8}" for c in cols) + f"{'LUT %':>8}")
    for name, c in rows:
        share = 100.0 * c["LUT"] / total["LUT"] if total["LUT"] else 0.0
        print(f"{name:<36}" + "".join(f"{c[k]:>8}" for k in cols) + f"{share:>7.1f}%")
    print(f"{'total':<36}" + "".join(f"{total[k]:>8}" for k in cols))


if __name__ == "__main__":
    main()
