#!/usr/bin/env python3
"""The flip-flops of an iCE40 netlist that take a logic cell of their own, by register.

An iCE40 logic cell is a LUT4 and a flip-flop; nextpnr packs a flip-flop into the cell of the
LUT that drives its D input when that LUT drives nothing else. Any other flip-flop (its D from
another flip-flop, a block RAM, a port, or a LUT with other loads) takes a cell alone: nextpnr's
pack log counts them as "LCs used as DFF only". This script finds them in yosys's JSON netlist
and groups them by the register their Q output names, most cells first, so a cut can aim at the
registers that cost a cell a bit.

    python3 scripts/measure-core.py --pack-only --out build/m0 -- OPTIONS
    python3 scripts/ff-only.py build/m0/top.json [--top ftio_core] [--depth 3] [--rows 40]

The total it prints is nextpnr's "DFF only" figure for the same netlist (the rule above is
nextpnr-ice40's LUT-FF packing).
"""
import argparse, collections, json, re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json", help="yosys write_json netlist (measure-core.py's top.json)")
    ap.add_argument("--top", default=None, help="module (default: the netlist's top, or ftio_core)")
    ap.add_argument("--depth", type=int, default=3, help="hierarchy levels of a register's name to group by")
    ap.add_argument("--rows", type=int, default=40)
    a = ap.parse_args()
    mods = json.load(open(a.json))["modules"]
    top = a.top or next((n for n, m in mods.items() if m.get("attributes", {}).get("top")), "ftio_core")
    m = mods[top]
    driver, loads = {}, collections.Counter()
    for name, c in m["cells"].items():
        for port, bits in c["connections"].items():
            out = c["port_directions"].get(port) == "output"
            for b in bits:
                if out:
                    driver[b] = c["type"]
                else:
                    loads[b] += 1
    # A bit's name: a public one (no leading `$`) where there is one.
    names = {}
    for n, v in m["netnames"].items():
        for b in v["bits"]:
            if isinstance(b, int) and (b not in names or (names[b].startswith("$") and not n.startswith("$"))):
                names[b] = n
    groups, total, ffs = collections.Counter(), 0, 0
    for c in m["cells"].values():
        if not c["type"].startswith("SB_DFF"):
            continue
        ffs += 1
        d = c["connections"]["D"][0]
        if driver.get(d) == "SB_LUT4" and loads[d] == 1:
            continue
        total += 1
        q = re.sub(r"\$q$", "", names.get(c["connections"]["Q"][0], "?"))
        key = ".".join(q.split(".")[: a.depth])
        src = driver.get(d, "a port or constant")
        groups[(key, src if driver.get(d) != "SB_LUT4" else "a LUT with other loads")] += 1
    print(f"{top}: {ffs} flip-flops, {total} in a logic cell of their own")
    for (key, src), n in groups.most_common(a.rows):
        print(f"  {n:5d}  {key}  (D from {src})")


if __name__ == "__main__":
    main()
