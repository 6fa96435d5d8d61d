//! `ftio build --board B`: the core's Verilog (generated for the board's core clock) inside the
//! board's `board_top`, through yosys, nextpnr and the packer, to a bitstream and a report.
//! Exits non-zero when timing is not met (the bitstream and report are still written).
//! `--seeds` rates a build: it synthesises once and places and routes at each seed.
use anyhow::{bail, Context, Result};
use crate::progress;
use clap::Args;
use ftio_hdl::BuildParams;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// Board to build for: alchitry-cu, icebreaker, ulx3s.
    #[arg(long)]
    pub board: String,
    /// What goes on the board: `bist` (the core fed by its BIST, links idle) or `system` (two
    /// PicoRV32 running the firmware through the core to two block-RAM disks; ulx3s only, at
    /// 50 MHz; docs/boards.md "The system top").
    #[arg(long, default_value = "bist", value_parser = ["bist", "system"])]
    pub top: String,
    /// Output directory [default: build/<board>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of a table (it is always also written to
    /// <out>/ftio-report.json).
    #[arg(long)]
    pub json: bool,
    /// Use this Verilog file (it must define module `ftio_core`, SPEC §3 ports) instead of
    /// generating the core, e.g. one written by `ftio verilog` with other build parameters.
    #[arg(long, value_name = "FILE")]
    pub core: Option<PathBuf>,
    /// Clock the core at this many MHz instead of the board's default (the board's PLL is set
    /// for it; an error when no PLL setting comes within 0.1 %). The generated core's UART
    /// divider follows.
    #[arg(long, value_name = "MHZ")]
    pub clock_mhz: Option<f64>,
    /// Timing target for nextpnr in MHz [default: the board's core clock].
    #[arg(long, value_name = "MHZ")]
    pub freq: Option<f64>,
    /// nextpnr placer seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Rate the build over placer seeds: `N` places and routes at seeds 1..=N, `A,B,C` at those
    /// seeds; synthesis runs once. Each seed builds into <out>/seed-<S>; the table of Fmax per
    /// seed with min / median / max goes to <out>/ftio-seeds.txt and .json. Not with --seed.
    #[arg(long, value_name = "N|A,B,..")]
    pub seeds: Option<String>,
    /// Build the hardened core (`--harden`: the core checks its own state, cause INTERNAL;
    /// docs/upsets.md). The ULX3S's BIST top builds it by default. Not with --core (that
    /// file's own parameters hold).
    #[arg(long, conflicts_with = "no_harden")]
    pub harden: bool,
    /// Build the default (not hardened) core on a board that hardens by default (ulx3s).
    #[arg(long)]
    pub no_harden: bool,
    /// Register stages for a faster clock (`--pipeline 1`: a stage behind each input link's
    /// checks, SPEC §4 "Pipelining"; cut-through and mismatch detection t+4). Default: the
    /// board's (1 on the alchitry-cu, 0 elsewhere; the system top 0). Not with --core.
    #[arg(long, value_parser = crate::pipeline_parser())]
    pub pipeline: Option<u8>,
    /// Stop after synthesis (yosys): the netlist `board_top.json` (what the gate-level
    /// simulation runs) and the cell counts, in seconds to minutes instead of place and route's
    /// minutes to tens of minutes; no timing, no bitstream. Not with --seed/--seeds.
    #[arg(long)]
    pub synth_only: bool,
    /// Show each tool's command line as it starts.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ToolsArgs {
    /// FPGA family: ice40 or ecp5.
    #[arg(long, value_parser = ["ice40", "ecp5"])]
    pub family: String,
}

/// What `ftio tools` prints: the programs of a family's flow and its synthesis command.
#[derive(Serialize)]
struct FlowTools {
    family: ftio_bsp::Family,
    /// iCE40: where yosys and nextpnr come from for the HX8K (`FTIO_ICE40_YOSYS`,
    /// `FTIO_ICE40_NEXTPNR`; the UP5K's board build keeps Debian's nextpnr).
    #[serde(skip_serializing_if = "Option::is_none")]
    ice40_tools: Option<ftio_bsp::flow::Ice40Tools>,
    yosys: PathBuf,
    nextpnr: PathBuf,
    packer: PathBuf,
    /// The yosys synthesis command, without `-top` (`synth_ice40 -abc9 -dff`).
    synth: &'static str,
    /// The whole yosys script `ftio build` runs, with `{sources}`, `{top}` and `{json}` for
    /// the Verilog files, the top module and the netlist file.
    synth_script: String,
    /// The first-fault capture's choice the family's boards build (`Family::capture_choice`,
    /// `--capture-choice`): `before` or `after` the registers.
    capture_choice: &'static str,
    /// Whether the family's boards build the disk links' input stage (`Family::disk_stage`,
    /// `--disk-stage`): `on` or `off`.
    disk_stage: &'static str,
}

/// The capture's choice `ftio build` generates a board's core with: its family's
/// (`ftio_bsp::Family::capture_choice`, docs/boards.md "The capture's choice").
pub fn family_capture_choice(family: ftio_bsp::Family) -> ftio_hdl::CaptureChoice {
    ftio_hdl::CaptureChoice::from_name(family.capture_choice())
        .unwrap_or_else(|| panic!("bsp: {family}'s capture choice `{}` is not before / after", family.capture_choice()))
}

pub fn run_tools(args: ToolsArgs) -> Result<()> {
    let family = if args.family == "ice40" { ftio_bsp::Family::Ice40 } else { ftio_bsp::Family::Ecp5 };
    let t = ftio_bsp::flow::tools(family)?;
    let ice40_tools = match family {
        ftio_bsp::Family::Ice40 => Some(ftio_bsp::flow::Ice40Tools::from_env("iCE40-HX8K")?),
        ftio_bsp::Family::Ecp5 => None,
    };
    let out = FlowTools {
        family,
        ice40_tools,
        yosys: t.yosys,
        nextpnr: t.nextpnr,
        packer: t.packer,
        synth: ftio_bsp::synth_command(family),
        synth_script: ftio_bsp::flow::synth_script(family, &["{sources}"], "{top}", "{json}"),
        capture_choice: family_capture_choice(family).name(),
        disk_stage: if family.disk_stage() { "on" } else { "off" },
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

pub fn run(args: BuildArgs) -> Result<()> {
    // Refuse bad seed options before the minutes of synthesis.
    let sweep = seed_sweep(args.seed, args.seeds.as_deref())?;
    if args.synth_only && (args.seed.is_some() || sweep.is_some()) {
        bail!("--synth-only stops before place and route: a placer seed (--seed, --seeds) has nothing to do");
    }
    let system = if args.top == "system" { Some(ftio_bsp::system::system_board(&args.board)?) } else { None };
    let mut board = match &system {
        Some(sys) => sys.clocked_board()?,
        None => ftio_bsp::board(&args.board)?.clone(),
    };
    if let Some(mhz) = args.clock_mhz {
        if !(mhz.is_finite() && mhz >= 1.0 && mhz <= 1000.0) {
            bail!("--clock-mhz {mhz}: expected MHz between 1 and 1000");
        }
        board = board.with_core_hz((mhz * 1e6).round() as u64)?;
    }
    let board = &board;
    if let Some(f) = args.freq {
        if !(f.is_finite() && f > 0.0 && f <= 1000.0) {
            bail!("--freq {f}: expected MHz between 0 and 1000");
        }
    }
    if (args.harden || args.no_harden || args.pipeline.is_some()) && args.core.is_some() {
        bail!("--harden / --no-harden / --pipeline choose the generated core: a --core file keeps its own parameters (`ftio verilog --harden` writes a hardened one)");
    }
    let core = match &args.core {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            check_core_clock(&text, board.core_hz, board.name).with_context(|| format!("{}", path.display()))?;
            text
        }
        None => {
            // The core's UART divider comes from its clock: build it for the board's core clock,
            // and at the board's core size where it has one.
            let clock_hz = u32::try_from(board.core_hz)
                .map_err(|_| anyhow::anyhow!("{}: core clock {} Hz does not fit CLOCK_HZ", board.name, board.core_hz))?;
            // Hardened: asked for, or the board's default for its BIST top (the system top keeps
            // the default core its firmware run was measured with).
            let harden = args.harden || (board.harden && system.is_none() && !args.no_harden);
            if harden && !args.harden {
                eprintln!("ftio: {} builds the hardened core by default (--no-harden for the default core)", board.name);
            }
            // Pipelined: asked for, or the board's for its BIST top (the system top, as for
            // harden, keeps the default build).
            let pipeline = args.pipeline.unwrap_or(if system.is_none() { board.pipeline } else { 0 });
            if pipeline != 0 && args.pipeline.is_none() {
                eprintln!(
                    "ftio: {} builds the pipelined core by default (--pipeline {pipeline}: cut-through and mismatch detection t+{}; --pipeline 0 for the default build)",
                    board.name,
                    3 + pipeline
                );
            }
            // The BIST's return-path test where the board has room for it (bsp `Board::bist_return`).
            // The BIST's CPU-side skid stages where the board's clock needs them (`Board::bist_skids`).
            let mut params = BuildParams {
                clock_hz,
                harden,
                bist_return: board.bist_return,
                bist_skids: board.bist_skids,
                // Fault injection where the part has room for it (`Board::injection`); the
                // system top keeps it.
                injection: board.injection || system.is_some(),
                capture_choice: family_capture_choice(board.family),
                disk_stage: board.family.disk_stage(),
                pipeline,
                ..BuildParams::default()
            };
            if !board.bist_return {
                eprintln!(
                    "ftio: {} builds the BIST without its return-path test (Board::bist_return, docs/boards.md): the return path is not in this bitstream",
                    board.name
                );
            }
            if !params.injection {
                eprintln!(
                    "ftio: {} builds the core without fault injection (Board::injection, docs/boards.md): INJ_CTRL and INJ_COUNT answer 0x06",
                    board.name
                );
            }
            if let Some(size) = board.core_size {
                params.skew_depth_log2 = size.skew_depth_log2;
                params.frame_depth_log2 = size.frame_depth_log2;
                params.counter_width = size.counter_width;
                eprintln!(
                    "ftio: {} builds the core at its size: {}-word skew FIFOs and buffers, {}-word frame buffer, {}-bit counters",
                    board.name,
                    1u32 << size.skew_depth_log2,
                    1u32 << size.frame_depth_log2,
                    size.counter_width
                );
            }
            ftio_hdl::core_verilog(&params)
                .with_context(|| format!("cannot generate the core for {}", board.name))?
        }
    };
    let (top, default_out) = match &system {
        Some(sys) => (system_sources(sys, board, &core)?, format!("{}-system", board.name)),
        None => (ftio_bsp::TopSources::bist(board, &core)?, board.name.to_string()),
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("build").join(default_out));
    if let Some(seeds) = sweep {
        return run_sweep(&args, board, &top, &out, &seeds);
    }
    if args.synth_only {
        return run_synth_only(&args, board, &top, &out);
    }
    // The board's own placer seed where it needs one (bsp `Board::placer_seed`), unless --seed.
    let opts = ftio_bsp::BuildOpts { freq_mhz: args.freq, seed: args.seed.or(board.placer_seed), verbose: args.verbose };
    let spin = progress::spinner(args.json, format!("ftio build {}", board.name), "synthesis (yosys), place and route (nextpnr), packing");
    let report = ftio_bsp::build_top(board, &top, &out, &opts);
    spin.finish_and_clear();
    let report = report?;
    write_report(&report)?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{report}");
    }
    if !report.timing_met {
        bail!(
            "timing not met on {}: Fmax {:.2} MHz below the {:.2} MHz target (bitstream written anyway: {})",
            board.name,
            report.fmax_mhz,
            report.target_mhz,
            report.bitstream.display()
        );
    }
    Ok(())
}

/// The placer seeds `--seeds` asks for (`None` without it): `N` is seeds 1..=N, `A,B,C` those
/// seeds. `--seed` with it, `0`, an empty or repeated entry are errors.
fn seed_sweep(seed: Option<u64>, seeds: Option<&str>) -> Result<Option<Vec<u64>>> {
    let Some(text) = seeds else { return Ok(None) };
    if let Some(s) = seed {
        bail!("--seed {s} and --seeds {text} together: --seed builds one placement, --seeds rates several; give one of them");
    }
    let text = text.trim();
    if !text.contains(',') {
        let n: u64 = text
            .parse()
            .map_err(|_| anyhow::anyhow!("--seeds {text}: expected a count N (seeds 1..=N) or a list of seeds A,B,C"))?;
        if n == 0 {
            bail!("--seeds 0: a sweep needs at least one seed (N builds seeds 1..=N)");
        }
        if n > 1000 {
            bail!("--seeds {n}: more than 1000 placements (each takes minutes); give a smaller count or a list");
        }
        return Ok(Some((1..=n).collect()));
    }
    let mut list = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        let s: u64 = item
            .parse()
            .map_err(|_| anyhow::anyhow!("--seeds {text}: `{item}` is not a seed (a list is A,B,C of whole numbers)"))?;
        if list.contains(&s) {
            bail!("--seeds {text}: seed {s} is listed twice (the same seed gives the same placement)");
        }
        list.push(s);
    }
    Ok(Some(list))
}

/// One seed's result in a sweep.
#[derive(Clone, Debug, Serialize)]
struct SeedResult {
    seed: u64,
    fmax_mhz: f64,
    timing_met: bool,
    /// nextpnr and packer seconds.
    seconds: f64,
    out_dir: PathBuf,
}

/// What `ftio build --seeds` measured: Fmax at each seed and its spread.
#[derive(Clone, Debug, Serialize)]
struct SeedSweep {
    board: String,
    core_params: Option<String>,
    target_mhz: f64,
    synth_seconds: f64,
    seeds: Vec<SeedResult>,
    fmax_min_mhz: f64,
    fmax_median_mhz: f64,
    fmax_max_mhz: f64,
    /// Seeds that met timing, of all.
    met: usize,
    /// The seeds that missed timing.
    failed_seeds: Vec<u64>,
    total_seconds: f64,
}

/// Min, median and max of `values` (not empty); the median of an even count is the mean of
/// the middle two.
fn min_median_max(values: &[f64]) -> (f64, f64, f64) {
    assert!(!values.is_empty(), "no values");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    (v[0], median, v[n - 1])
}

impl SeedSweep {
    fn new(board: &str, core_params: Option<String>, target_mhz: f64, synth_seconds: f64, seeds: Vec<SeedResult>, total_seconds: f64) -> Self {
        let fmax: Vec<f64> = seeds.iter().map(|s| s.fmax_mhz).collect();
        let (fmax_min_mhz, fmax_median_mhz, fmax_max_mhz) = min_median_max(&fmax);
        let met = seeds.iter().filter(|s| s.timing_met).count();
        let failed_seeds = seeds.iter().filter(|s| !s.timing_met).map(|s| s.seed).collect();
        SeedSweep {
            board: board.to_string(),
            core_params,
            target_mhz,
            synth_seconds,
            seeds,
            fmax_min_mhz,
            fmax_median_mhz,
            fmax_max_mhz,
            met,
            failed_seeds,
            total_seconds,
        }
    }
}

impl fmt::Display for SeedSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "board {} at {:.2} MHz, {} placer seeds (synthesised once)", self.board, self.target_mhz, self.seeds.len())?;
        if let Some(p) = &self.core_params {
            writeln!(f, "  core: {p}")?;
        }
        writeln!(f, "  {:>6} {:>9} {:>7} {:>8}", "seed", "Fmax MHz", "timing", "seconds")?;
        for s in &self.seeds {
            writeln!(
                f,
                "  {:>6} {:>9.2} {:>7} {:>8.1}",
                s.seed,
                s.fmax_mhz,
                if s.timing_met { "MET" } else { "FAILED" },
                s.seconds
            )?;
        }
        writeln!(
            f,
            "  Fmax min / median / max: {:.2} / {:.2} / {:.2} MHz; timing MET at {} of {} seeds",
            self.fmax_min_mhz,
            self.fmax_median_mhz,
            self.fmax_max_mhz,
            self.met,
            self.seeds.len()
        )?;
        write!(f, "  synthesis {:.1} s, total {:.1} s", self.synth_seconds, self.total_seconds)
    }
}

/// Writes a report as `ftio-report.json` and `.txt` into its directory.
fn write_report(report: &ftio_bsp::Report) -> Result<()> {
    std::fs::write(report.out_dir.join("ftio-report.json"), report.to_json())
        .with_context(|| format!("cannot write the report into {}", report.out_dir.display()))?;
    std::fs::write(report.out_dir.join("ftio-report.txt"), format!("{report}\n"))
        .with_context(|| format!("cannot write the report into {}", report.out_dir.display()))
}

/// `--seeds`: synthesise once into `out`, place and route at each seed into `out/seed-<S>`
/// (each with its bitstream and report), then the sweep's table.
/// What `--synth-only` reports: the cells yosys made and where the netlist is.
#[derive(Clone, Debug, Serialize)]
struct SynthOnly {
    board: String,
    top: String,
    core_params: Option<String>,
    /// Cells after synthesis (yosys `stat`), by type.
    synth_cells: std::collections::BTreeMap<String, u64>,
    seconds: f64,
    netlist: PathBuf,
}

fn run_synth_only(args: &BuildArgs, board: &ftio_bsp::Board, top: &ftio_bsp::TopSources, out: &Path) -> Result<()> {
    let spin = progress::spinner(args.json, format!("ftio build {}", board.name), "synthesis (yosys)");
    let synth = ftio_bsp::synthesise_top(board, top, out, args.verbose);
    spin.finish_and_clear();
    let synth = synth?;
    let r = SynthOnly {
        board: board.name.to_string(),
        top: args.top.clone(),
        core_params: synth.core_params.clone(),
        synth_cells: synth.synth_cells.clone(),
        seconds: synth.steps.iter().map(|s| s.seconds).sum(),
        netlist: synth.dir.join("board_top.json"),
    };
    let json = serde_json::to_string_pretty(&r).expect("a report always serialises");
    std::fs::write(synth.dir.join("ftio-synth.json"), &json)
        .with_context(|| format!("cannot write the report into {}", synth.dir.display()))?;
    if args.json {
        println!("{json}");
    } else {
        println!("board {} ({} top), synthesis only ({:.1} s)", r.board, r.top, r.seconds);
        if let Some(p) = &r.core_params {
            println!("  core: {p}");
        }
        for (cell, n) in &r.synth_cells {
            println!("  {cell:<20} {n:>8}");
        }
        println!("  netlist {}", r.netlist.display());
    }
    Ok(())
}

/// The system top's sources: the core, PicoRV32 from the project venv in the configuration
/// the simulation's CPU side uses (`ftio_picorv32.v`), its memory map (`ftio_cpu_bus.v`), the CPU port and the firmware image `ftio-sim` builds (the one `ftio demo --cpu picorv32` runs).
fn system_sources(sys: &ftio_bsp::system::SystemBoard, board: &ftio_bsp::Board, core: &str) -> Result<ftio_bsp::TopSources> {
    let path = ftio_sim::cpu_side::picorv32_path()?;
    let picorv32 = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let port = ftio_hdl::cpu_port::cpu_port_verilog();
    let image = ftio_sim::firmware::image_words();
    ftio_bsp::system::system_sources(
        sys,
        board,
        &ftio_bsp::system::SystemParts {
            core_verilog: core,
            picorv32_verilog: &picorv32,
            picorv32_config_verilog: ftio_sim::cpu_side::PICORV32_CONFIG_VERILOG,
            cpu_bus_verilog: ftio_sim::cpu_side::CPU_BUS_VERILOG,
            cpu_port_verilog: &port,
            firmware: &image,
        },
    )
}

fn run_sweep(args: &BuildArgs, board: &ftio_bsp::Board, top: &ftio_bsp::TopSources, out: &Path, seeds: &[u64]) -> Result<()> {
    let total = std::time::Instant::now();
    eprintln!("ftio build: {}: synthesis, then place and route at seeds {:?}", board.name, seeds);
    let spin = progress::spinner(args.json, format!("ftio build {}", board.name), "synthesis (yosys)");
    let synth = ftio_bsp::synthesise_top(board, top, out, args.verbose);
    spin.finish_and_clear();
    let synth = synth?;
    let bar = progress::bar(args.json, seeds.len() as u64, format!("ftio build {}", board.name), "seeds placed and routed");
    let synth_seconds: f64 = synth.steps.iter().map(|s| s.seconds).sum();
    let mut results = Vec::new();
    let mut target_mhz = args.freq.unwrap_or_else(|| board.core_mhz());
    for &seed in seeds {
        let opts = ftio_bsp::BuildOpts { freq_mhz: args.freq, seed: Some(seed), verbose: args.verbose };
        bar.set_message(format!("(seed {seed} running)"));
        let report = ftio_bsp::place_and_route(board, &synth, &synth.dir.join(format!("seed-{seed}")), &opts)
            .with_context(|| format!("place and route at seed {seed}"))?;
        write_report(&report)?;
        bar.inc(1);
        bar.suspend(|| {
            eprintln!(
            "ftio build: seed {seed}: Fmax {:.2} MHz, timing {} ({:.0} s)",
            report.fmax_mhz,
            if report.timing_met { "MET" } else { "FAILED" },
            report.total_seconds
        )
        });
        target_mhz = report.target_mhz;
        results.push(SeedResult {
            seed,
            fmax_mhz: report.fmax_mhz,
            timing_met: report.timing_met,
            seconds: report.total_seconds,
            out_dir: report.out_dir,
        });
    }
    bar.finish_and_clear();
    let sweep = SeedSweep::new(board.name, synth.core_params.clone(), target_mhz, synth_seconds, results, total.elapsed().as_secs_f64());
    let json = serde_json::to_string_pretty(&sweep).expect("a sweep always serialises");
    std::fs::write(synth.dir.join("ftio-seeds.json"), &json)
        .with_context(|| format!("cannot write the sweep into {}", synth.dir.display()))?;
    std::fs::write(synth.dir.join("ftio-seeds.txt"), format!("{sweep}\n"))
        .with_context(|| format!("cannot write the sweep into {}", synth.dir.display()))?;
    if args.json {
        println!("{json}");
    } else {
        println!("{sweep}");
    }
    if let Some(missed) = sweep.missed_timing() {
        bail!("{missed} (bitstreams written anyway under {})", synth.dir.display());
    }
    Ok(())
}

impl SeedSweep {
    /// What the exit message says when any seed misses timing: which seeds, of how many.
    fn missed_timing(&self) -> Option<String> {
        if self.failed_seeds.is_empty() {
            return None;
        }
        Some(format!(
            "timing not met on {} at seed{} {} ({} of {} seeds missed the {:.2} MHz target)",
            self.board,
            if self.failed_seeds.len() == 1 { "" } else { "s" },
            self.failed_seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
            self.failed_seeds.len(),
            self.seeds.len(),
            self.target_mhz
        ))
    }
}

/// The clock a core written by `ftio verilog` was generated for (its header's `clock_hz=`),
/// or `None` for a file without that header.
fn generated_clock_hz(verilog: &str) -> Option<u64> {
    ftio_bsp::core_params(verilog)?.split_whitespace().find_map(|w| w.strip_prefix("clock_hz=")).and_then(|v| v.parse().ok())
}

/// A core generated for another clock would run its UART at the wrong baud on this board
/// (its divider is built in): refuse it before the long flow, and say how to match them.
fn check_core_clock(verilog: &str, core_hz: u64, board: &str) -> Result<()> {
    match generated_clock_hz(verilog) {
        Some(hz) if hz != core_hz => bail!(
            "the core was generated for a {} MHz clock, but {board} clocks it at {} MHz, so its UART \
             would be off by {:.0} %; regenerate it with `ftio verilog --clock-hz {core_hz}` or build \
             with `--clock-mhz {}`",
            hz as f64 / 1e6,
            core_hz as f64 / 1e6,
            ((hz as f64 / core_hz as f64) - 1.0).abs() * 100.0,
            hz as f64 / 1e6
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_for_another_clock_is_refused_with_the_fix() {
        let v = ftio_hdl::core_verilog(&BuildParams { clock_hz: 36_000_000, ..BuildParams::default() }).unwrap();
        assert_eq!(generated_clock_hz(&v), Some(36_000_000));
        assert!(check_core_clock(&v, 36_000_000, "icebreaker").is_ok());
        let e = check_core_clock(&v, 24_000_000, "icebreaker").unwrap_err().to_string();
        assert!(e.contains("generated for a 36 MHz clock, but icebreaker clocks it at 24 MHz"), "{e}");
        assert!(e.contains("off by 50 %"), "{e}");
        assert!(e.contains("`ftio verilog --clock-hz 24000000` or build with `--clock-mhz 36`"), "{e}");
        // A hand-written core has no header: nothing to check.
        assert!(check_core_clock("module ftio_core(); endmodule", 24_000_000, "icebreaker").is_ok());
    }

    #[test]
    fn seeds_option_is_a_count_or_a_list() {
        assert_eq!(seed_sweep(None, None).unwrap(), None);
        assert_eq!(seed_sweep(Some(5), None).unwrap(), None);
        assert_eq!(seed_sweep(None, Some("3")).unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(seed_sweep(None, Some("1")).unwrap(), Some(vec![1]));
        assert_eq!(seed_sweep(None, Some("3,7, 11")).unwrap(), Some(vec![3, 7, 11]));
        assert_eq!(seed_sweep(None, Some("0,9")).unwrap(), Some(vec![0, 9]));
    }

    #[test]
    fn bad_seeds_options_are_refused_with_the_reason() {
        let err = |seed, seeds| seed_sweep(seed, Some(seeds)).unwrap_err().to_string();
        let e = err(Some(4), "3");
        assert!(e.contains("--seed 4 and --seeds 3 together") && e.contains("give one of them"), "{e}");
        let e = err(None, "0");
        assert!(e.contains("--seeds 0: a sweep needs at least one seed"), "{e}");
        let e = err(None, "three");
        assert!(e.contains("expected a count N (seeds 1..=N) or a list of seeds A,B,C"), "{e}");
        let e = err(None, "-2");
        assert!(e.contains("expected a count N"), "{e}");
        let e = err(None, "3,,7");
        assert!(e.contains("`` is not a seed"), "{e}");
        let e = err(None, "3,x");
        assert!(e.contains("`x` is not a seed"), "{e}");
        let e = err(None, "3,7,3");
        assert!(e.contains("seed 3 is listed twice"), "{e}");
        let e = err(None, "5000");
        assert!(e.contains("more than 1000 placements"), "{e}");
    }

    #[test]
    fn min_median_max_of_odd_and_even_counts() {
        assert_eq!(min_median_max(&[27.9]), (27.9, 27.9, 27.9));
        assert_eq!(min_median_max(&[28.85, 27.62, 28.01]), (27.62, 28.01, 28.85));
        // Even count: the mean of the middle two.
        assert_eq!(min_median_max(&[77.0, 75.0, 76.0, 80.0]), (75.0, 76.5, 80.0));
        assert_eq!(min_median_max(&[2.0, 1.0]), (1.0, 1.5, 2.0));
    }

    fn seed(seed: u64, fmax_mhz: f64, timing_met: bool) -> SeedResult {
        SeedResult { seed, fmax_mhz, timing_met, seconds: 60.0, out_dir: PathBuf::from(format!("build/x/seed-{seed}")) }
    }

    #[test]
    fn a_sweep_names_the_seeds_that_miss_timing() {
        let s = SeedSweep::new(
            "alchitry-cu",
            None,
            75.0,
            30.0,
            vec![seed(1, 76.23, true), seed(2, 71.25, false), seed(3, 73.29, false), seed(4, 79.63, true)],
            300.0,
        );
        assert_eq!((s.fmax_min_mhz, s.fmax_max_mhz), (71.25, 79.63));
        assert!((s.fmax_median_mhz - 74.76).abs() < 1e-9);
        assert_eq!(s.met, 2);
        assert_eq!(s.failed_seeds, vec![2, 3]);
        let text = s.to_string();
        assert!(text.contains("Fmax min / median / max: 71.25 / 74.76 / 79.63 MHz; timing MET at 2 of 4 seeds"), "{text}");
        assert!(text.contains("     2     71.25  FAILED"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(json["fmax_median_mhz"].as_f64().unwrap(), s.fmax_median_mhz);
        assert_eq!(json["seeds"][1]["seed"], 2);
        assert_eq!(json["failed_seeds"], serde_json::json!([2, 3]));
        assert_eq!(
            s.missed_timing().unwrap(),
            "timing not met on alchitry-cu at seeds 2, 3 (2 of 4 seeds missed the 75.00 MHz target)"
        );
        let all_met = SeedSweep::new("icebreaker", None, 24.0, 30.0, vec![seed(1, 24.92, true), seed(2, 26.17, true)], 200.0);
        assert_eq!(all_met.missed_timing(), None);
        assert_eq!(all_met.failed_seeds, Vec::<u64>::new());
    }
}
