//! `ftio demo`: the system in simulation with a fault per scenario (see `docs/demo.md` and
//! `ftio_sim::demo`). Prints a timeline and a summary per scenario, writes a waveform around
//! each fault, both disk images, `report.txt` and `report.json` under `--out`, and exits
//! non-zero if any scenario's checks fail.
use anyhow::{bail, Context, Result};
use ftio_sim::cpu_demo::{run_cpu_demo, CpuDemoConfig, CpuScenario};
use ftio_sim::demo::{run_demo, DemoConfig, DemoKind, Progress};
use crate::progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Writes `<name>.txt` and `<name>.json` (two-space indentation) under `--out`, prints one of
/// them, and fails when any of the `total` scenarios failed its checks.
fn write_reports(args: &DemoArgs, name: &str, text: &str, json: &serde_json::Value, failed: usize, total: usize) -> Result<()> {
    let json = serde_json::to_string_pretty(json).expect("a JSON value always serialises") + "\n";
    let txt_path = args.out.join(format!("{name}.txt"));
    let json_path = args.out.join(format!("{name}.json"));
    std::fs::write(&txt_path, text).with_context(|| format!("cannot write {}", txt_path.display()))?;
    std::fs::write(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    if args.json {
        print!("{json}");
    } else {
        print!("{text}");
    }
    if failed > 0 {
        bail!("{failed} of {total} demo scenarios failed their checks; see {}", txt_path.display());
    }
    Ok(())
}

/// Options of `ftio demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Scenario to run (repeat for several): failover, mismatch, disk-fault, rebuild; with
    /// `--cpu picorv32`: duplex, strict, failover, upset, disk-fault. Default: all, in that order.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Run the system with real processors instead of the CPU models: two PicoRV32 running
    /// the firmware in firmware/ (docs/cpu.md). The only value is `picorv32`.
    #[arg(long, value_name = "CPU", value_parser = ["picorv32"])]
    pub cpu: Option<String>,
    /// With --cpu: OFFSET D of the `strict` scenario (CPU B released D cycles after CPU A).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=15))]
    pub offset: u64,
    /// Seed of the workload and of the models' gaps and back-pressure.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Writes in the workload (each is read back afterwards); the fault hits the middle one.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u64).range(2..=2000))]
    pub writes: u64,
    /// Cycles CPU B runs behind CPU A (elastic lockstep skew; the core's TIMEOUT is 256).
    /// Default 24; with --cpu, the cycles CPU B is released after CPU A, default 3.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=200))]
    pub skew: Option<u64>,
    /// Output directory (created if missing): report.txt, report.json, and per scenario
    /// fault.vcd, disk_a.img, disk_b.img.
    #[arg(long, default_value = "build/demo")]
    pub out: PathBuf,
    /// Print the JSON report on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
}


/// Makes `dir` and proves a file can be written in it, before any simulation runs.
fn prepare_out(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))?;
    let probe = dir.join(".ftio-demo-write-test");
    std::fs::write(&probe, b"").with_context(|| format!("cannot write to output directory {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Runs `ftio demo --cpu picorv32`.
fn run_cpu(args: DemoArgs) -> Result<()> {
    if args.writes != 24 || args.seed != 1 {
        bail!("--writes and --seed set the CPU models' workload; with --cpu picorv32 the firmware's workload is fixed (firmware/workload.h)");
    }
    let mut cfg = CpuDemoConfig { offset: args.offset, ..CpuDemoConfig::default() };
    if let Some(skew) = args.skew {
        cfg.skew = skew;
    }
    if !args.scenarios.is_empty() {
        cfg.scenarios = args.scenarios.iter().map(|s| CpuScenario::parse(s)).collect::<Result<_, _>>()?;
    }
    prepare_out(&args.out)?;
    let spin = progress::spinner(args.json, "ftio demo --cpu picorv32", "building the models");
    let mut progress = |name: &str, cycle: u64| spin.set_message(format!("{name:<10} cycle {cycle:>9}"));
    let report = run_cpu_demo(&cfg, &args.out, &mut progress).map_err(anyhow::Error::from);
    spin.finish_and_clear();
    let report = report?;
    let failed = report.scenarios.iter().filter(|s| !s.passed()).count();
    write_reports(&args, "report-cpu", &report.text(), &report.json(), failed, report.scenarios.len())
}

/// Runs `ftio demo`.
pub fn run(args: DemoArgs) -> Result<()> {
    if args.cpu.is_some() {
        return run_cpu(args);
    }
    if args.offset != 4 {
        bail!("--offset is the strict scenario's OFFSET of `ftio demo --cpu picorv32`; the model demo runs elastic lockstep");
    }
    let mut cfg = DemoConfig {
        seed: args.seed,
        writes: args.writes as usize,
        skew: args.skew.unwrap_or(24),
        ..DemoConfig::default()
    };
    if !args.scenarios.is_empty() {
        cfg.kinds = args.scenarios.iter().map(|s| DemoKind::parse(s)).collect::<Result<_, _>>()?;
    }
    prepare_out(&args.out)?;
    // One bar per scenario, over its workload's operations; the cycle count in the message.
    let bars = MultiProgress::with_draw_target(if progress::shown(args.json) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut current: Option<(usize, ProgressBar)> = None;
    let mut progress = |p: &Progress| {
        if current.as_ref().is_none_or(|(i, _)| *i != p.index) {
            if let Some((_, b)) = current.take() {
                b.finish();
            }
            let prefix = format!("ftio demo [{}/{}] {:<10}", p.index, p.of, p.scenario);
            let bar = bars.add(ProgressBar::new(p.ops_total as u64).with_style(progress::bar_style("operations")).with_prefix(prefix));
            bar.enable_steady_tick(Duration::from_millis(200));
            current = Some((p.index, bar));
        }
        if let Some((_, b)) = &current {
            b.set_position(p.ops_done as u64);
            b.set_message(format!("cycle {}", p.cycle));
        }
    };
    let report = run_demo(&cfg, &args.out, &mut progress).map_err(anyhow::Error::from);
    if let Some((_, b)) = current.take() {
        b.finish();
    }
    let report = report?;
    let failed = report.scenarios.iter().filter(|s| !s.passed()).count();
    write_reports(&args, "report", &report.text(), &report.json(), failed, report.scenarios.len())
}
