#!/usr/bin/env python3
"""Estimated register-to-register delays of a synthesised iCE40 netlist, every endpoint at once.

nextpnr reports only the single worst path of a clock; closing timing needs the whole list.
This reads the JSON netlist yosys writes for nextpnr (`board_top.json` in an `ftio build`
output directory), walks every SB_LUT4 / SB_CARRY cone between flops and block RAMs, and
prints the endpoints whose estimated arrival is above a threshold, grouped by the name of the
flop they feed (bit indices folded), each with its worst path.

Delay model (pre-placement, ns; iCE40-HX measured averages from nextpnr reports, so the
numbers rank paths, they are not timing sign-off): flop clock-to-out 0.54, RAM clock-to-out
2.2, LUT 0.45 plus 0.85 of routing, carry chain 0.13 per bit inside a chain.

    python3 scripts/logic-depth.py /tmp/cu/board_top.json --over 13.3
"""
import argparse
import collections
import json
import re
import sys

LUT, ROUTE, CARRY_CHAIN, FF_CQ, RAM_CQ = 0.45, 0.85, 0.13, 0.54, 2.2


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("netlist")
    ap.add_argument("--over", type=float, default=13.3, help="show endpoints above this (ns)")
    ap.add_argument("--top", type=int, default=25, help="endpoint groups to show")
    ap.add_argument("--module", default=None)
    ap.add_argument("--paths", action="store_true", help="print every net of each worst path")
    args = ap.parse_args()

    d = json.load(open(args.netlist))
    mods = d["modules"]
    name = args.module or next(n for n, m in mods.items() if m.get("attributes", {}).get("top"))
    mod = mods[name]
    netname = {}
    for n, info in mod["netnames"].items():
        hidden = info.get("hide_name", 0)
        for b in info["bits"]:
            if isinstance(b, int) and (b not in netname or (not hidden and netname[b][1])):
                netname[b] = (n if len(info["bits"]) == 1 else f"{n}[{info['bits'].index(b)}]", hidden)

    driver = {}  # net -> (cell, port)
    cells = mod["cells"]
    for cn, c in cells.items():
        for port, dirn in c["port_directions"].items():
            if dirn == "output":
                for b in c["connections"][port]:
                    if isinstance(b, int):
                        driver[b] = (cn, port)

    arrival = {}  # net -> (delay, previous net)

    def arr(net, depth=0):
        if not isinstance(net, int):
            return (0.0, None)
        if net in arrival:
            return arrival[net]
        if net not in driver:
            arrival[net] = (0.0, None)
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
            a_ci = arr(ci, depth + 1)[0] + CARRY_CHAIN
            best = (a_ci, ci)
            for p in ("I0", "I1"):
                b = conn[p][0]
                a = arr(b, depth + 1)[0] + ROUTE + 0.25
                if a > best[0]:
                    best = (a, b)
            res = best
        elif t.startswith("SB_RAM"):
            res = (RAM_CQ, None)
        elif t.startswith("SB_DFF"):
            res = (FF_CQ, None)
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
        else:
            continue
        for p in pins:
            for b in conn[p]:
                a = arr(b)[0] + ROUTE + 0.3
                ends.append((a, label, p, b))

    def group(label):
        return re.sub(r"\[\d+\]$", "", label).replace("\\", "")

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
        levels = sum(1 for net in path if net in driver and cells[driver[net][0]]["type"] == "SB_LUT4")
        print(f"{a:6.2f} ns {levels:3d} LUTs  {start[:60]:60s} -> {g}.{p} ({n} bits)")
        if args.paths:
            for net in reversed(path):
                print(f"         {arrival.get(net, (0,))[0]:6.2f}  {netname.get(net, (str(net), 1))[0][:110]}")


if __name__ == "__main__":
    main()
