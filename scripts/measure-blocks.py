#!/usr/bin/env python3
"""Resources and Fmax of every gateware block on its own, and of the whole core.

Each block (`ftio verilog --block list`) is generated alone with the default build
parameters, wrapped like the core in scripts/measure-core.py (every port registered
behind a shift chain, so every path starts and ends at a flip-flop), synthesised and
placed and routed on the part. Cross-block optimisation is lost, so the sum of the
top-level blocks is close to, not equal to, the core's figure (printed last).

    python3 scripts/measure-blocks.py [--family ice40|ecp5] [--only NAME ...] [--markdown FILE]

Needs `ftio` built (cargo build --release) and the tools of scripts/setup.sh.
"""
import argparse, importlib.util, json, os, re, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("measure_core", os.path.join(ROOT, "scripts", "measure-core.py"))
mc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mc)


def measure(name, verilog_file, module, out, family, freq, seed):
    os.makedirs(out, exist_ok=True)
    text = open(verilog_file).read()
    top, nin, nout = mc.wrapper(mc.ports(text, module), module)
    open(os.path.join(out, "measure_top.v"), "w").write(top)
    ys, synth, pnr = mc.tools(family, freq, seed)
    t0 = time.time()
    # The block's own cells: synthesised alone, without the wrapper.
    alone = synth.replace("measure_top", module).replace(" -json top.json", "")
    mc.run([ys, "-q", "-p", f"read_verilog {os.path.abspath(verilog_file)}; {alone}; tee -q -o stat.txt stat"], out, "yosys-alone.log")
    cells = {}
    for line in open(os.path.join(out, "stat.txt")):
        m = re.match(r"^\s+(\$?[A-Za-z_0-9$]+)\s+(\d+)\s*$", line)
        if m:
            cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
    count = lambda pred: sum(v for k, v in cells.items() if pred(k))
    mc.run([ys, "-q", "-p", f"read_verilog {os.path.abspath(verilog_file)} measure_top.v; {synth}"], out, "yosys.log")
    note = None
    try:
        mc.run(pnr, out, "nextpnr.log")
        rep = json.load(open(os.path.join(out, "report.json")))
        fmax = min(t["achieved"] for t in rep["fmax"].values()) if rep["fmax"] else float("nan")
    except SystemExit as e:
        # A part too small for it (the whole core on the HX8K): the row says so, with
        # nextpnr's over-full utilisation lines, and the rest of the table still comes out.
        log = open(os.path.join(out, "nextpnr.log")).read()
        over = re.findall(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%", log, re.M)
        over = [f"{b} {u}/{t}" for b, u, t, pct in over if int(pct) > 100]
        if not over:
            raise
        print(e, file=sys.stderr)
        fmax, note = float("nan"), "does not place: " + ", ".join(over)
    if family == "ice40":
        lut, carry = count(lambda k: k == "SB_LUT4"), count(lambda k: k == "SB_CARRY")
        ff, ram = count(lambda k: k.startswith("SB_DFF")), count(lambda k: k.startswith("SB_RAM40"))
    else:
        lut, carry = count(lambda k: k == "LUT4"), count(lambda k: k == "CCU2C")
        ff, ram = count(lambda k: k.startswith("TRELLIS_FF")), count(lambda k: k == "DP16KD")
    return {"name": name, "lut": lut, "carry": carry, "ff": ff, "bram": ram, "fmax": fmax,
            "ports_in": nin, "ports_out": nout, "seconds": time.time() - t0, "note": note}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["ice40", "ecp5"], default="ice40")
    ap.add_argument("--freq", type=float, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-core", action="store_true", help="skip the whole-core row")
    ap.add_argument("--markdown", default=None, help="also write the table to this file")
    a = ap.parse_args()
    freq = a.freq or (75.0 if a.family == "ice40" else 150.0)
    ftio = mc.ftio_binary()
    if not os.path.exists(ftio):
        sys.exit("measure-blocks: build ftio first: cargo build --release")
    listing = subprocess.run([ftio, "verilog", "--block", "list"], check=True, capture_output=True, text=True).stdout
    blocks = []
    for line in listing.splitlines():
        name, count = line.split()[0], int(line.split()[1][1:])
        inside = line[line.index("(inside ") + 8:-1] if "(inside " in line else None
        blocks.append((name, count, inside))
    if a.only:
        unknown = set(a.only) - {b[0] for b in blocks}
        if unknown:
            sys.exit(f"measure-blocks: unknown block(s) {', '.join(sorted(unknown))}")
        blocks = [b for b in blocks if b[0] in a.only]
    base = os.path.join(ROOT, "build", f"measure-blocks-{a.family}")
    rows = []
    for name, count, inside in blocks:
        d = os.path.join(base, name)
        subprocess.run([ftio, "verilog", "--block", name, "--out", d], check=True, stdout=subprocess.DEVNULL)
        r = measure(name, os.path.join(d, f"{name}.v"), name, d, a.family, freq, a.seed)
        r["count"], r["inside"] = count, inside
        rows.append(r)
        print(f"  {name:<16} {r['lut']:>6} LUT4 {r['ff']:>6} FF {r['bram']:>3} BRAM  {r['fmax']:7.2f} MHz  ({r['seconds']:.0f} s)", file=sys.stderr)
    if not a.no_core and not a.only:
        d = os.path.join(base, "ftio_core")
        subprocess.run([ftio, "verilog", "--out", d], check=True, stdout=subprocess.DEVNULL)
        r = measure("ftio_core (whole)", os.path.join(d, "ftio_core.v"), "ftio_core", d, a.family, freq, a.seed)
        r["count"], r["inside"] = 1, None
        rows.append(r)
    part = "iCE40-HX8K (ct256)" if a.family == "ice40" else "ECP5-85F (CABGA381)"
    carry = "SB_CARRY" if a.family == "ice40" else "CCU2C"
    ram = "SB_RAM40_4K" if a.family == "ice40" else "DP16KD"
    out = [f"Blocks on {part}: cells of each block synthesised alone (yosys synth_{'ice40' if a.family == 'ice40' else 'ecp5'}); "
           f"Fmax from nextpnr with the block behind a shift-chain wrapper (every path flop to flop), seed {a.seed}, target {freq:.0f} MHz.", "",
           f"| block | × in core | LUT4 | {carry} | FF | {ram} | Fmax MHz |", "|---|---:|---:|---:|---:|---:|---:|"]
    top_sum = {"lut": 0, "carry": 0, "ff": 0, "bram": 0}
    for r in rows:
        count = f"{r['count']}" + (f" (in {r['inside']})" if r["inside"] else "")
        fmax = r["note"] or f"{r['fmax']:.1f}"
        out.append(f"| `{r['name']}` | {count} | {r['lut']} | {r['carry']} | {r['ff']} | {r['bram']} | {fmax} |")
        if not r["inside"] and not r["name"].startswith("ftio_core"):
            for k in top_sum:
                top_sum[k] += r["count"] * r[k]
    out.append(f"| sum of top-level blocks × count | | {top_sum['lut']} | {top_sum['carry']} | {top_sum['ff']} | {top_sum['bram']} | |")
    table = "\n".join(out) + "\n"
    print(table)
    if a.markdown:
        open(a.markdown, "w").write(table)


if __name__ == "__main__":
    main()
