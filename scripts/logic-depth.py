#!/usr/bin/env python3
"""Estimated register-to-register delays of an iCE40 or ECP5 netlist, every endpoint at once.

nextpnr reports only the single worst path of a clock; closing timing needs the whole list.
This reads the JSON netlist yosys writes for nextpnr (`board_top.json` in an `ftio build`
output directory), walks every SB_LUT4 / SB_CARRY cone between flops and block RAMs, and
prints the endpoints whose estimated arrival is above a threshold, grouped by the name of the
flop they feed (bit indices folded), each with its worst path.

Delay models (pre-placement, ns; averages read off nextpnr's reports, so the numbers rank
paths, they are not timing sign-off). The family is told by the cell types.
- iCE40-HX: flop clock-to-out 0.54, RAM clock-to-out 2.2, LUT 0.45 plus 0.85 of routing,
  carry chain 0.13 per bit inside a chain.
- ECP5 speed 6 (nextpnr-ecp5 0.11): flop clock-to-out 0.52, DP16KD clock-to-out 5.83 (no
  output register, as yosys maps it), LUT 0.24 plus 0.9 of routing, PFUMX / L6MUX21 0.26
  inside the slice, CCU2C 0.4 from its inputs and 0.1 per carry hop, LUT-RAM read 0.5.

    python3 scripts/logic-depth.py /tmp/cu/board_top.json --over 13.3
    python3 scripts/logic-depth.py build/ulx3s/board_top.json --over 6.67   # 150 MHz

`--skip-from REGEX` starts no path at the flops whose output name matches (paths another cut
owns), to see what an endpoint's next-worst source is. `--blocks` groups the endpoints over the threshold by the block their worst path starts in and
the block it ends in (hierarchy names cut to `--depth` parts), each group with the blocks the
path passes through; `--zero REGEX` treats every net with a name matching REGEX as a flop's
output (what registering it would give), to see what lies behind a group once it is cut:

    python3 scripts/logic-depth.py build/measure-ecp5/top.json --over 9.09 --blocks
    python3 scripts/logic-depth.py build/measure-ecp5/top.json --over 9.09 --blocks --zero 'in_disk_.\.injector'
"""
import argparse
import collections
import json
import re
import sys

LUT, ROUTE, CARRY_CHAIN, FF_CQ, RAM_CQ = 0.45, 0.85, 0.13, 0.54, 2.2
E_LUT, E_ROUTE, E_MUX, E_CCU, E_CARRY, E_FF_CQ, E_RAM_CQ, E_LUTRAM = 0.24, 0.9, 0.26, 0.4, 0.1, 0.52, 5.83, 0.5
# ECP5 cells: (inputs routed into the cell, inputs from inside the slice, delay to the output)
E_COMB = {
    "LUT4": (("A", "B", "C", "D"), (), E_LUT),
    "PFUMX": (("C0",), ("ALUT", "BLUT"), E_MUX),
    "L6MUX21": (("SD",), ("D0", "D1"), E_MUX),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("netlist")
    ap.add_argument("--over", type=float, default=13.3, help="show endpoints above this (ns)")
    ap.add_argument("--top", type=int, default=25, help="endpoint groups to show")
    ap.add_argument("--module", default=None)
    ap.add_argument("--paths", action="store_true", help="print every net of each worst path")
    ap.add_argument("--blocks", action="store_true", help="group by start block -> end block")
    ap.add_argument("--depth", type=int, default=3, help="--blocks: hierarchy parts that name a block")
    ap.add_argument("--zero", default=None, help="nets whose name matches this regex start a path (as registered)")
    ap.add_argument("--skip-from", default=None,
                    help="flops whose output name matches this regex start no path (their paths left to another cut)")
    args = ap.parse_args()

    d = json.load(open(args.netlist))
    mods = d["modules"]
    name = args.module or next(n for n, m in mods.items() if m.get("attributes", {}).get("top"))
    mod = mods[name]
    netname = {}
    zeroed = set()
    zero_re = re.compile(args.zero) if args.zero else None
    skipped = set()
    skip_re = re.compile(args.skip_from) if args.skip_from else None
    # yosys names a LUT's output after the cells it feeds (`x_LUT4_A_Z...`), bundling unrelated
    # bits into one vector: a name without those suffixes (a source name) is preferred.
    autoname = re.compile(r"_(LUT4|TRELLIS_FF|PFUMX|L6MUX21|CCU2C|DPR16X4|DP16KD)_|_DI[AB]?\d*(_|$)|_DO[AB]?\d")
    rank = {}
    for n, info in mod["netnames"].items():
        hidden = info.get("hide_name", 0)
        for i, b in enumerate(info["bits"]):
            if not isinstance(b, int):
                continue
            if zero_re and zero_re.search(n):
                zeroed.add(b)
            if skip_re and skip_re.search(n):
                skipped.add(b)
            r = (hidden, bool(autoname.search(n)), len(n))
            if b not in rank or r < rank[b]:
                rank[b] = r
                netname[b] = (n if len(info["bits"]) == 1 else f"{n}[{i}]", hidden or r[1])

    driver = {}  # net -> (cell, port)
    cells = mod["cells"]
    for cn, c in cells.items():
        for port, dirn in c["port_directions"].items():
            if dirn == "output":
                for b in c["connections"][port]:
                    if isinstance(b, int):
                        driver[b] = (cn, port)

    arrival = {}  # net -> (delay, previous net)

    def latest(conn, ports, hop, depth, best=(0.0, None)):
        """The latest of `best` and each bit of `ports` arriving `hop` ns after its driver."""
        for p in ports:
            for b in conn.get(p, []):
                a = arr(b, depth + 1)[0] + hop
                if a > best[0]:
                    best = (a, b)
        return best

    def arr(net, depth=0):
        if not isinstance(net, int):
            return (0.0, None)
        if net in arrival:
            return arrival[net]
        if net not in driver or net in zeroed:
            arrival[net] = (E_FF_CQ if net in zeroed else 0.0, None)
            return arrival[net]
        cn, port = driver[net]
        c = cells[cn]
        t = c["type"]
        conn = c["connections"]
        if t == "SB_LUT4":
            best = (0.0, None)
            for p in ("I0", "I1", "I2", "I3"):
                for b in conn.get(p, []):
                    a = arr(b, depth + 1)[0]
                    src = driver.get(b)
                    hop = 0.3 if src and cells[src[0]]["type"] == "SB_CARRY" else ROUTE
                    if a + hop > best[0]:
                        best = (a + hop, b)
            res = (best[0] + LUT, best[1])
        elif t == "SB_CARRY":
            ci = conn["CI"][0]
            res = latest(conn, ("I0", "I1"), ROUTE + 0.25, depth, (arr(ci, depth + 1)[0] + CARRY_CHAIN, ci))
        elif t.startswith("SB_RAM"):
            res = (RAM_CQ, None)
        elif t.startswith("SB_DFF"):
            res = (-100.0 if net in skipped else FF_CQ, None)
        elif t in E_COMB:
            routed, local, delay = E_COMB[t]
            best = latest(conn, local, 0.0, depth, latest(conn, routed, E_ROUTE, depth))
            res = (best[0] + delay, best[1])
        elif t == "CCU2C":
            ci = conn["CIN"][0]
            ins = ("A0", "B0", "C0", "D0", "A1", "B1", "C1", "D1")
            res = latest(conn, ins, E_ROUTE + E_CCU, depth, (arr(ci, depth + 1)[0] + E_CARRY, ci))
        elif t == "TRELLIS_DPR16X4":
            res = latest(conn, ("RAD",), E_ROUTE + E_LUTRAM, depth)
        elif t == "TRELLIS_FF":
            res = (-100.0 if net in skipped else E_FF_CQ, None)
        elif t == "DP16KD":
            res = (E_RAM_CQ, None)
        else:
            res = (0.0, None)
        arrival[net] = res
        return res

    sys.setrecursionlimit(100000)
    ends = []
    for cn, c in cells.items():
        t = c["type"]
        conn = c["connections"]
        if t.startswith("SB_DFF"):
            pins = [p for p in ("D", "E", "R", "S") if p in conn]
            q = conn["Q"][0]
            label = netname.get(q, (cn, 1))[0]
        elif t.startswith("SB_RAM"):
            pins = [p for p in conn if p.startswith(("RADDR", "WADDR", "WDATA", "WE", "RE", "MASK", "WCLKE"))]
            label = cn + ".ram"
        elif t in ("TRELLIS_FF", "DP16KD", "TRELLIS_DPR16X4"):
            pins = [p for p, dirn in c["port_directions"].items()
                    if dirn == "input" and not p.startswith(("CLK", "WCK")) and not (t == "TRELLIS_DPR16X4" and p == "RAD")]
            label = netname.get(conn["Q"][0], (cn, 1))[0] if t == "TRELLIS_FF" else cn
        else:
            continue
        setup = ROUTE + 0.3 if t.startswith("SB_") else E_ROUTE
        for p in pins:
            for b in conn[p]:
                a = arr(b)[0] + setup
                ends.append((a, label, p, b))

    def group(label):
        return re.sub(r"\[\d+\]$", "", label).replace("\\", "")

    def trace(b):
        path = []
        while b is not None:
            path.append(b)
            b = arrival.get(b, (0, None))[1]
        return path[::-1]

    def block(name):
        name = re.sub(r"[$].*", "", name.replace("\\", ""))
        parts = name.split(".")[:-1] or [name]
        return ".".join(parts[: args.depth])

    if args.blocks:
        bgroups = collections.OrderedDict()
        total = 0
        for a, label, p, b in sorted(ends, reverse=True):
            if a < args.over:
                break
            total += 1
            path = trace(b)
            start = netname.get(path[0], (str(path[0]), 1))[0]
            key = (block(start), block(label))
            if key not in bgroups:
                through = []
                for net in path:
                    nm, hidden = netname.get(net, ("?", 1))
                    if hidden:
                        continue
                    blk = block(nm)
                    if not through or through[-1] != blk:
                        through.append(blk)
                levels = sum(1 for net in path if net in driver and cells[driver[net][0]]["type"] in ("SB_LUT4", "LUT4"))
                bgroups[key] = [a, levels, start, label + "." + p, through, 0]
            bgroups[key][5] += 1
        print(f"{total} endpoint bits over {args.over} ns, {len(bgroups)} start block -> end block groups")
        for side, idx in (("start", 0), ("end", 1)):
            sums = collections.OrderedDict()
            for key, g in bgroups.items():
                worst, n = sums.get(key[idx], (g[0], 0))
                sums[key[idx]] = (worst, n + g[5])
            print(f"  by {side} block: " + "; ".join(
                f"{b} {n} bits ({w:.2f} ns)" for b, (w, n) in sorted(sums.items(), key=lambda kv: -kv[1][1])))
        for (sb, eb), (a, levels, start, end, through, n) in list(bgroups.items())[: args.top]:
            print(f"{a:6.2f} ns {levels:3d} LUTs {n:5d} bits  {sb} -> {eb}")
            print(f"         worst: {start[:70]} -> {end[:70]}")
            print(f"         through: {' > '.join(through)[:300]}")
        return

    groups = collections.OrderedDict()
    for a, label, p, b in sorted(ends, reverse=True):
        if a < args.over:
            break
        g = group(label)
        if g not in groups:
            groups[g] = (a, p, b, 0)
        ga, gp, gb, n = groups[g]
        groups[g] = (ga, gp, gb, n + 1)

    print(f"{sum(n for *_, n in groups.values())} endpoint bits over {args.over} ns, {len(groups)} groups")
    for g, (a, p, b, n) in list(groups.items())[: args.top]:
        path = []
        net = b
        while net is not None:
            path.append(net)
            net = arrival.get(net, (0, None))[1]
        start = netname.get(path[-1], (str(path[-1]), 1))[0]
        levels = sum(1 for net in path if net in driver and cells[driver[net][0]]["type"] in ("SB_LUT4", "LUT4"))
        print(f"{a:6.2f} ns {levels:3d} LUTs  {start[:60]:60s} -> {g}.{p} ({n} bits)")
        if args.paths:
            for net in reversed(path):
                print(f"         {arrival.get(net, (0,))[0]:6.2f}  {netname.get(net, (str(net), 1))[0][:110]}")


if __name__ == "__main__":
    main()
