#!/usr/bin/env python3
"""Resources and Fmax of the full ftio_core (all eight links) on a real part.

The core has ~330 port bits, more than a package has pins, so it is measured inside a
wrapper that registers every port behind a shift chain: inputs are shifted in through
`sin` and loaded in parallel, outputs are captured in parallel and shifted out through
`sout`. Every core path then starts and ends at a flip-flop, as on a real board.

    python3 scripts/measure-core.py [--family ice40|ecp5] [--device hx8k|up5k] [--freq MHz]
        [--seed N | --seeds N|A,B,..] [--pack-only] [--yosys debian|yowasp]
        [--nextpnr debian|yowasp] [-- ftio verilog options]

`--seeds N` rates the build over placer seeds as `ftio build --seeds` does: synthesis once,
then place and route at seeds 1..N (or the listed seeds), each seed's report in
report-seed<S>.json, and Fmax min / median / max with how many seeds met the target.

The parts: `--family ice40` is the iCE40-HX8K (ct256, the Alchitry Cu's die) or, with
`--device up5k`, the iCE40UP5K (sg48, the iCEBreaker's); `--family ecp5` the ECP5-85F.

The core is generated as `ftio build` builds the family's boards unless the `ftio verilog`
options name the setting: the capture's choice (`--capture-choice`, bsp
`Family::capture_choice`: `before` the registers on the iCE40, `after` on the ECP5) and the
disk links' input stage (`--disk-stage`, bsp `Family::disk_stage`: `off` on the iCE40, `on`
on the ECP5).

`--pack-only` (iCE40) synthesises `ftio_core` alone, without the wrapper, and only packs it:
its cell count is what the core itself needs (no Fmax; its ports outnumber the pins, so it
cannot be placed).

The tools and the synthesis command are `ftio build`'s (`ftio tools --family F` prints them,
from bsp/src/flow.rs); `--yosys` / `--nextpnr` (iCE40) choose Debian's or the venv's YoWASP
build of each, as FTIO_ICE40_YOSYS / FTIO_ICE40_NEXTPNR do for `ftio build`.

Needs `ftio` built (cargo build --release; $CARGO_TARGET_DIR is honoured) and the tools
bash scripts/setup.sh installs ($FTIO_VENV points at another venv).
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ports(verilog, module="ftio_core"):
    body = verilog[verilog.index(f"module {module}("):]
    body = body[: body.index("endmodule")]
    out = []
    for m in re.finditer(r"^\s*(input|output)\s+(?:wire|reg)\s+(?:\[(\d+):0\]\s+)?([\w$]+);", body, re.M):
        d, hi, name = m.group(1), m.group(2), m.group(3)
        out.append((d, int(hi) + 1 if hi else 1, name))
    return out


def wrapper(ps, module="ftio_core"):
    ins = [(w, n) for d, w, n in ps if d == "input" and n != "clock"]
    outs = [(w, n) for d, w, n in ps if d == "output"]
    nin = sum(w for w, _ in ins)
    nout = sum(w for w, _ in outs)
    v = ["module measure_top(input wire clock, input wire sin, input wire load, output wire sout);"]
    ri, ro = max(nin, 2), max(nout, 2)  # a shift register needs two bits
    v.append(f"  reg [{ri-1}:0] ishift; reg [{ri-1}:0] ireg; reg [{ro-1}:0] oshift;")
    v.append(f"  wire [{nout-1}:0] ocat;")
    v.append("  always @(posedge clock) begin ishift <= {ishift[%d:0], sin}; if (load) ireg <= ishift; end" % (ri - 2))
    v.append("  always @(posedge clock) begin if (load) oshift <= ocat; else oshift <= {oshift[%d:0], 1'b0}; end" % (ro - 2))
    v.append(f"  assign sout = oshift[{ro-1}];")
    # A purely combinational block has no clock port.
    conns, pos = ([".clock(clock)"] if any(n == "clock" for d, w, n in ps) else []), 0
    for w, n in ins:
        conns.append(f".{n}(ireg[{pos + w - 1}:{pos}])"); pos += w
    pos = 0
    for w, n in outs:
        o = "o_" + n.replace("$", "_")
        v.append(f"  wire [{w-1}:0] {o};")
        conns.append(f".{n}({o})")
    v.append("  assign ocat = {" + ", ".join("o_" + n.replace("$", "_") for _, n in outs) + "};")
    v.append(f"  {module} core(" + ", ".join(conns) + ");")
    v.append("endmodule")
    return "\n".join(v) + "\n", nin, nout


def run(cmd, cwd, log):
    t = time.time()
    with open(os.path.join(cwd, log), "w") as f:
        r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit(f"measure-core: {' '.join(cmd[:1])} failed, see {os.path.join(cwd, log)}")
    return time.time() - t


def ftio_binary():
    """The release `ftio` binary ($CARGO_TARGET_DIR honoured)."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    return os.path.join(target, "release", "ftio")


ICE40_PARTS = {"hx8k": ("iCE40-HX8K", ["--hx8k", "--package", "ct256"]),
               "up5k": ("iCE40UP5K", ["--up5k", "--package", "sg48"])}


def tools(family, freq, seed, top="measure_top", device="hx8k"):
    """yosys binary, synth command and nextpnr command line for module `top` on the part
    (iCE40-HX8K ct256 or UP5K sg48, or ECP5-85F CABGA381): `ftio build`'s tools and synthesis command,
    as `ftio tools` reports them (so the choice of tools lives in bsp/src/flow.rs only)."""
    if os.environ.get("FTIO_VENV"):
        # The tools run in the output directory: a relative venv path would not resolve there.
        os.environ["FTIO_VENV"] = os.path.abspath(os.environ["FTIO_VENV"])
    r = subprocess.run([ftio_binary(), "tools", "--family", family], check=True, stdout=subprocess.PIPE, text=True)
    t = json.loads(r.stdout)
    part = ICE40_PARTS[device][1] if family == "ice40" else ["--85k", "--package", "CABGA381"]
    allow = "--pcf-allow-unconstrained" if family == "ice40" else "--lpf-allow-unconstrained"
    return (t["yosys"], t["synth_script"].replace("{top}", top).replace("{json}", "top.json"),
            [t["nextpnr"]] + part + ["--json", "top.json", "--freq", str(freq), "--report", "report.json",
                                     "--seed", str(seed), "--timing-allow-fail", allow], t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["ice40", "ecp5"], default="ice40")
    ap.add_argument("--freq", type=float, default=None, help="target MHz (default 75 ice40, 150 ecp5)")
    ap.add_argument("--device", choices=sorted(ICE40_PARTS), default="hx8k", help="iCE40: which part (default hx8k)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--seed", type=int, default=None, help="nextpnr placer seed (default 1)")
    ap.add_argument("--seeds", default=None, help="N (seeds 1..N) or A,B,C: one synthesis, a placement per seed")
    ap.add_argument("--pack-only", action="store_true", help="the core alone, packed only (ice40)")
    ap.add_argument("--yosys", choices=["debian", "yowasp"], help="iCE40: whose yosys (default: the flow's)")
    ap.add_argument("--nextpnr", choices=["debian", "yowasp"], help="iCE40: whose nextpnr (default: the flow's)")
    ap.add_argument("--detailed", action="store_true",
                    help="nextpnr --detailed-timing-report: every net's routed delays in report*.json "
                         "(for scripts/critical-paths.py)")
    ap.add_argument("verilog_opts", nargs="*")
    a = ap.parse_args()
    seeds = [a.seed if a.seed is not None else 1]
    if a.seeds is not None:
        if a.seed is not None:
            ap.error("--seed and --seeds exclude each other")
        try:
            seeds = list(range(1, int(a.seeds) + 1)) if "," not in a.seeds else [int(x) for x in a.seeds.split(",")]
        except ValueError:
            ap.error(f"--seeds {a.seeds}: give N or a comma-separated list of whole numbers")
        if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
            ap.error(f"--seeds {a.seeds}: at least one seed, each once, none negative")
        if a.pack_only:
            ap.error("--pack-only packs once; it has no placement to seed")
    if a.pack_only and a.family != "ice40":
        ap.error("--pack-only is for --family ice40")
    if (a.yosys or a.nextpnr) and a.family != "ice40":
        ap.error("--yosys / --nextpnr choose the iCE40 flow's tools")
    if a.device != "hx8k" and a.family != "ice40":
        ap.error("--device chooses the iCE40 part")
    if a.yosys:
        os.environ["FTIO_ICE40_YOSYS"] = a.yosys
    if a.nextpnr:
        os.environ["FTIO_ICE40_NEXTPNR"] = a.nextpnr
    elif a.device == "up5k":
        # `ftio tools` reports the HX8K's choice; the UP5K's is Debian's nextpnr
        # (Ice40Tools::UP5K in bsp/src/flow.rs, docs/boards.md "The iCE40 tools").
        os.environ.setdefault("FTIO_ICE40_NEXTPNR", "debian")
    freq = a.freq or (75.0 if a.family == "ice40" else 150.0)
    out = a.out or os.path.join(ROOT, "build", f"measure-{a.device if a.family == 'ice40' else a.family}")
    os.makedirs(out, exist_ok=True)
    ftio = ftio_binary()
    # The core as the family's boards build it: the capture's choice and the disk links'
    # stage are the family's (`ftio tools` reports them, bsp `Family::capture_choice` and
    # `Family::disk_stage`) unless the options name them.
    opts = list(a.verilog_opts)
    fam = json.loads(subprocess.run([ftio, "tools", "--family", a.family], check=True,
                                    stdout=subprocess.PIPE, text=True).stdout)
    for opt, key in [("--capture-choice", "capture_choice"), ("--disk-stage", "disk_stage")]:
        if not any(o == opt or o.startswith(opt + "=") for o in opts):
            opts += [opt, fam[key]]
    subprocess.run([ftio, "verilog", "--out", out] + opts, check=True, stdout=subprocess.DEVNULL)
    core = open(os.path.join(out, "ftio_core.v")).read()
    top, nin, nout = wrapper(ports(core))
    part = ICE40_PARTS[a.device][0] if a.family == "ice40" else "ECP5-85F"
    if a.pack_only:
        module, sources, step = "ftio_core", "ftio_core.v", "pack"
        pnr_out = ["--pack-only"]
        title = f"ftio_core alone on {part}, packed only (its {nin} input and {nout} output bits on I/O cells)"
    else:
        open(os.path.join(out, "measure_top.v"), "w").write(top)
        module, sources, step = "measure_top", "ftio_core.v measure_top.v", "place and route"
        pnr_out = ["--asc", "top.asc"] if a.family == "ice40" else ["--textcfg", "top.config"]
        title = f"ftio_core on {part} (wrapper: {nin} inputs, {nout} outputs behind a shift chain)"
    ys, synth, _, t = tools(a.family, freq, seeds[0], module, a.device)
    for stale in ["top.json", "report.json"] + [f"report-seed{s}.json" for s in seeds]:
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    t_syn = run([ys, "-q", "-p", synth.replace("{sources}", sources)], out, "yosys.log")
    print(title)
    print(f"  tools: {os.path.basename(t['yosys'])} ({t['synth']}), {os.path.basename(t['nextpnr'])}")
    achieved, t_pnr = [], []
    for i, seed in enumerate(seeds):
        # One seed keeps the plain file names (report.json, nextpnr.log); a sweep names each.
        tag = "" if len(seeds) == 1 else f"-seed{seed}"
        pnr_cmd = [x.replace("report.json", f"report{tag}.json") for x in tools(a.family, freq, seed, module, a.device)[2]]
        outs = [x.replace("top.", f"top{tag}.") for x in pnr_out] + (["--detailed-timing-report"] if a.detailed else [])
        t_pnr.append(run(pnr_cmd + outs, out, f"nextpnr{tag}.log"))
        rep = json.load(open(os.path.join(out, f"report{tag}.json")))
        if i == 0:
            util = rep["utilization"]
            for k in sorted(util):
                u = util[k]
                if u["used"]:
                    print(f"  {k:<16} {u['used']:>6} / {u['available']:<6} ({100.0 * u['used'] / u['available']:.1f}%)")
        for clk, f in rep["fmax"].items():
            achieved.append(f["achieved"])
            print(f"  seed {seed}: Fmax {clk}: {f['achieved']:.2f} MHz (target {freq:.0f} MHz) "
                  f"{'MET' if f['achieved'] >= freq else 'NOT MET'} ({t_pnr[-1]:.0f} s)")
    if len(seeds) > 1 and achieved:
        v = sorted(achieved)
        n = len(v)
        median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        met = sum(1 for x in v if x >= freq)
        print(f"  Fmax min / median / max: {v[0]:.2f} / {median:.2f} / {v[-1]:.2f} MHz; target met at {met} of {n} seeds")
    print(f"  synth {t_syn:.0f} s, {step} {' + '.join(f'{x:.0f}' for x in t_pnr)} s; logs in {out}")


if __name__ == "__main__":
    main()
