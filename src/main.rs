//! `ftio`: generate, build, simulate and demonstrate the ftio gateware.
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use ftio_hdl::BuildParams;
use std::path::PathBuf;

/// `--pipeline N`'s parser for every command that takes it (`verilog`, `bench`, `build`,
/// `campaign`): the depths the generator builds (`BuildParams::PIPELINE`), anything else a
/// clap error naming the range.
pub(crate) fn pipeline_parser() -> clap::builder::RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(*BuildParams::PIPELINE.start() as i64..=*BuildParams::PIPELINE.end() as i64)
}

mod cmd_build;
mod cmd_campaign;
mod cmd_demo;
mod cmd_prove;
mod cmd_sim;
mod progress;
mod cmd_waves;

#[derive(Parser)]
#[command(name = "ftio", version, about = "ftio: fault-tolerant storage I/O gateware — generate, build, simulate")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: two CPUs in lockstep through the core (Verilator) to two disks, with a
    /// parity fault (hitless fail-over), a mismatch (halt) and a disk fault (degraded mirror).
    Demo(cmd_demo::DemoArgs),
    /// Random single faults (at the pins, or `--upsets` inside the core), each in a fresh run,
    /// classified; non-zero exit on silent corruption. `campaign merge` combines shards.
    Campaign(cmd_campaign::CampaignArgs),
    /// Write the core's Verilog (`ftio_core.v`, module `ftio_core`) to a directory.
    Verilog(VerilogArgs),
    /// Measure: simulation speed of the full core in rust-hdl and in Verilator, and the
    /// datapath figures (throughput, latency, detection, back-pressure) of every mode.
    Bench(BenchArgs),
    /// Simulation: `ftio sim board --pty` runs the core with its UART on a pseudo-terminal.
    Sim(cmd_sim::SimArgs),
    /// Build a board's bitstream (yosys + nextpnr + packer) and report resources and Fmax.
    Build(cmd_build::BuildArgs),
    /// The tools `ftio build` runs for a family (yosys, nextpnr, packer, with their paths)
    /// and its synthesis command, as JSON: what scripts/measure-core.py builds with.
    Tools(cmd_build::ToolsArgs),
    /// Formal proofs (SymbiYosys) of the data path's promises: each property proved by
    /// k-induction, bounded to a depth, or failed with a counterexample VCD (docs/verification.md).
    Prove(cmd_prove::ProveArgs),
    /// Timing diagrams measured on the core (Verilator): handshake, cut-through,
    /// store-and-forward, parity fail-over, strict offset D, UART read; WaveJSON + SVG in docs/waves.
    Waves(cmd_waves::WavesArgs),
}

/// Build parameters of the core (SPEC §3): defaults and ranges are `BuildParams`'s.
#[derive(Args, Clone, Debug)]
pub struct ParamArgs {
    /// Core clock frequency in Hz.
    #[arg(long, default_value_t = BuildParams::DEFAULT.clock_hz, value_parser = range_u32(BuildParams::CLOCK_HZ))]
    clock_hz: u32,
    /// UART baud rate.
    #[arg(long, default_value_t = BuildParams::DEFAULT.baud, value_parser = range_u32(BuildParams::BAUD))]
    baud: u32,
    /// Skew FIFO depth in words per CPU side, also each disk and return buffer (power of two).
    #[arg(long, default_value_t = 1 << BuildParams::DEFAULT.skew_depth_log2, value_parser = pow2(BuildParams::SKEW_DEPTH_LOG2))]
    skew_depth: u32,
    /// Store-and-forward frame buffer depth in words (power of two).
    #[arg(long, default_value_t = 1 << BuildParams::DEFAULT.frame_depth_log2, value_parser = pow2(BuildParams::FRAME_DEPTH_LOG2))]
    frame_depth: u32,
    /// Width of the statistics counters in bits.
    #[arg(long, default_value_t = BuildParams::DEFAULT.counter_width, value_parser = clap::value_parser!(u8).range(*BuildParams::COUNTER_WIDTH.start() as i64..=*BuildParams::COUNTER_WIDTH.end() as i64))]
    counter_width: u8,
    /// Strict-offset range: D is 0 up to this minus one (16, 64 or 256).
    #[arg(long, default_value_t = 1 << BuildParams::DEFAULT.offset_max_log2, value_parser = one_of_pow2(&BuildParams::OFFSET_MAX_LOG2))]
    offset_max: u32,
    /// Leave fault injection out (a production bitstream: the links pass straight through,
    /// PARAMS.injection reads 0, a write of INJ_CTRL or INJ_COUNT answers status 0x06).
    #[arg(long)]
    no_injection: bool,
    /// Leave the built-in self-test out (PARAMS.bist reads 0, a BIST register write answers 0x06).
    #[arg(long)]
    no_bist: bool,
    /// Leave the BIST's return-path test out: the self-test no longer feeds the disk inputs
    /// or checks the CPU outputs (PARAMS.bist_return reads 0, BIST_RET_* read 0), so a board
    /// top with idle disk inputs loses the return path to synthesis.
    #[arg(long)]
    no_bist_return: bool,
    /// The hardened build: the core checks its own state and halts on an inconsistency
    /// (fault cause INTERNAL; docs/upsets.md). PARAMS.harden reads it.
    #[arg(long)]
    harden: bool,
    /// Register stages for a faster clock (SPEC §4): 1 puts a registered stage behind each
    /// input link's checks (cut-through and mismatch detection one cycle later, t+4).
    /// PARAMS.pipeline reads it.
    #[arg(long, default_value_t = BuildParams::DEFAULT.pipeline, value_parser = pipeline_parser())]
    pipeline: u8,
    /// The BIST's CPU-side generators behind skid stages: a timing cut (the CPU ingresses'
    /// `ready` ends at the stages' flops) at about 270 logic cells; nothing a register reads
    /// changes (docs/boards.md, "BIST skid stages").
    #[arg(long)]
    bist_skids: bool,
    /// Where the first-fault capture chooses between the CPU ports' and the disks' rx words:
    /// `before` its registers (about 100 logic cells fewer: the iCE40 boards' build) or `after`
    /// them (the parity checks end at one flop: faster, the ECP5's). Both capture the same
    /// CAP_* values cycle for cycle (docs/boards.md, "The capture's choice").
    #[arg(long, default_value = BuildParams::DEFAULT.capture_choice.name(), value_parser = ["before", "after"])]
    capture_choice: String,
    /// A registered stage behind each disk link's checks: `on` (the return path starts at its
    /// flops; a return word reaches the CPUs 2 cycles after its disk take: the ECP5's build) or
    /// `off` (1 cycle, about 260 logic cells fewer on the iCE40: the iCE40 boards' build).
    /// SPEC §4 gives the return path no cycle figure (docs/boards.md, "The disk links' input
    /// stage").
    #[arg(long, default_value = on_off(BuildParams::DEFAULT.disk_stage), value_parser = ["on", "off"])]
    disk_stage: String,
}

/// `on` or `off`, as an option's value names a setting.
const fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// A clap parser for a `u32` in `range` (the error names the range).
pub fn range_u32(range: std::ops::RangeInclusive<u32>) -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(*range.start() as i64..=*range.end() as i64)
}

/// A power of two 2^n with n in `log2` (the error names the words). The error is a `String`
/// on purpose: clap is the only caller and shows it after the option's name; nothing matches
/// on it.
fn pow2(log2: std::ops::RangeInclusive<u8>) -> impl Fn(&str) -> Result<u32, String> + Clone {
    move |s: &str| {
        let (min, max) = (1u32 << log2.start(), 1u32 << log2.end());
        let v: u32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
        if !v.is_power_of_two() || v < min || v > max {
            return Err(format!("must be a power of two from {min} to {max}"));
        }
        Ok(v)
    }
}

/// One of the powers of two 2^n, n in `log2s`: the offset ranges the generator builds. A
/// `String` error, as [`pow2`]'s: for clap alone.
fn one_of_pow2(log2s: &'static [u8]) -> impl Fn(&str) -> Result<u32, String> + Clone {
    move |s: &str| {
        let v: u32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
        if !log2s.iter().any(|&n| 1u32 << n == v) {
            let list: Vec<String> = log2s.iter().map(|n| (1u32 << n).to_string()).collect();
            return Err(format!("must be one of {}", list.join(", ")));
        }
        Ok(v)
    }
}

impl ParamArgs {
    fn to_params(&self) -> BuildParams {
        BuildParams {
            clock_hz: self.clock_hz,
            baud: self.baud,
            skew_depth_log2: self.skew_depth.trailing_zeros() as u8,
            frame_depth_log2: self.frame_depth.trailing_zeros() as u8,
            counter_width: self.counter_width,
            offset_max_log2: self.offset_max.trailing_zeros() as u8,
            injection: !self.no_injection,
            bist: !self.no_bist,
            bist_return: !self.no_bist_return,
            harden: self.harden,
            pipeline: self.pipeline,
            bist_skids: self.bist_skids,
            capture_choice: ftio_hdl::CaptureChoice::from_name(&self.capture_choice).expect("clap checked the name"),
            disk_stage: self.disk_stage == "on",
        }
    }
}

#[derive(Args)]
struct VerilogArgs {
    /// Output directory (created if missing).
    #[arg(long, default_value = "build/verilog")]
    out: PathBuf,
    /// Write one block alone instead of the core (`NAME.v`, module NAME, default build), to
    /// measure its cost (`scripts/measure-blocks.py`); `--block list` lists them.
    #[arg(long, value_name = "NAME")]
    block: Option<String>,
    #[command(flatten)]
    params: ParamArgs,
}

fn verilog(args: VerilogArgs) -> Result<()> {
    if let Some(name) = &args.block {
        if name == "list" {
            for b in ftio_hdl::blocks::BLOCKS {
                let inside = b.inside.map(|i| format!(" (inside {i})")).unwrap_or_default();
                println!("{:<16} x{:<3} {}{inside}", b.name, b.count, b.what);
            }
            return Ok(());
        }
        let text = ftio_hdl::blocks::block_verilog(name)?;
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create output directory {}", args.out.display()))?;
        let path = args.out.join(format!("{name}.v"));
        std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} lines, module {name})", path.display(), text.lines().count());
        return Ok(());
    }
    let params = args.params.to_params();
    let text = ftio_hdl::core_verilog(&params).context("cannot build the core with these parameters")?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    let path = args.out.join("ftio_core.v");
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {} ({} lines, module ftio_core)", path.display(), text.lines().count());
    Ok(())
}

#[derive(Args)]
struct BenchArgs {
    /// Cycles to run in the rust-hdl simulator (slow: keep to tens of thousands).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    rust_hdl_cycles: u64,
    /// Cycles to run in Verilator.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(100..=1_000_000_000))]
    verilator_cycles: u64,
    /// Workload seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only the simulation speed figures (default: speed, then datapath).
    #[arg(long, conflicts_with = "datapath")]
    speed: bool,
    /// Only the datapath figures, measured on the Verilator model: throughput and latency of
    /// the write path in every mode, detection latency, return path, back-pressure.
    #[arg(long)]
    datapath: bool,
    /// With --speed: write the figures, the command and the machine's load into this file's
    /// speed table (between its `ftio bench --speed --write-docs` markers).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "docs/simulation.md", requires = "speed")]
    write_docs: Option<std::path::PathBuf>,
    /// D for the strict-lockstep datapath figures.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=15))]
    offset: u64,
    /// Measure the pipelined build (`--pipeline 1`, SPEC §4 "Pipelining"; see `ftio verilog`).
    #[arg(long, default_value_t = BuildParams::DEFAULT.pipeline, value_parser = pipeline_parser())]
    pipeline: u8,
}

fn bench(args: BenchArgs) -> Result<()> {
    if !args.datapath {
        let cfg = ftio_sim::bench::BenchConfig {
            params: BuildParams { pipeline: args.pipeline, ..BuildParams::default() },
            rust_hdl_cycles: args.rust_hdl_cycles,
            verilator_cycles: args.verilator_cycles,
            seed: args.seed,
        };
        let spin = progress::spinner(false, "ftio bench", "simulation speed: rust-hdl, then Verilator");
        let report = ftio_sim::bench::run_bench(&cfg).map_err(anyhow::Error::from);
        spin.finish_and_clear();
        let report = report?;
        println!("{report}");
        if let Some(path) = &args.write_docs {
            let doc = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let load = std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse::<f64>().ok()))
                .map(|l| (l, std::thread::available_parallelism().map_or(1, |n| n.get())));
            let doc = ftio_sim::bench::write_docs_table(&doc, &report, load)
                .with_context(|| path.display().to_string())?;
            std::fs::write(path, doc).with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote the speed table of {}", path.display());
        }
    }
    if !args.speed {
        if !args.datapath {
            println!();
        }
        let default = ftio_sim::datapath_bench::DatapathConfig::default();
        let cfg = ftio_sim::datapath_bench::DatapathConfig {
            offset: args.offset,
            params: BuildParams { pipeline: args.pipeline, ..default.params },
            ..default
        };
        let spin = progress::spinner(false, "ftio bench", "datapath figures on the Verilator model");
        let report = ftio_sim::datapath_bench::run_datapath(&cfg).map_err(anyhow::Error::from);
        spin.finish_and_clear();
        println!("{}", report?);
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => cmd_demo::run(a),
        Command::Campaign(a) => cmd_campaign::run(a),
        Command::Verilog(a) => verilog(a),
        Command::Build(a) => cmd_build::run(a),
        Command::Tools(a) => cmd_build::run_tools(a),
        Command::Bench(a) => bench(a),
        Command::Sim(a) => cmd_sim::run(a),
        Command::Prove(a) => cmd_prove::run(a),
        Command::Waves(a) => cmd_waves::run(a),
    };
    if let Err(e) = result {
        eprintln!("ftio: error: {e:#}");
        std::process::exit(1);
    }
}
