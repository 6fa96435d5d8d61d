//! `ftio demo`: the system in simulation with a fault per scenario (see `docs/demo.md` and
//! `ftio_sim::demo`). Prints a timeline and a summary per scenario, writes a waveform around
//! each fault, both disk images, `report.txt` and `report.json` under `--out`, and exits
//! non-zero if any scenario's checks fail.
use anyhow::{bail, Context, Result};
use ftio_sim::cpu_demo::{run_cpu_demo, CpuDemoConfig, CpuScenario};
use ftio_sim::demo::{run_demo, DemoConfig, DemoKind, Progress};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
        cfg.scenarios = args.scenarios.iter().map(|s| CpuScenario::parse(s)).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?;
    }
    prepare_out(&args.out)?;
    let mut progress = |name: &str, cycle: u64| {
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2Kftio demo --cpu picorv32: {name:<10} cycle {cycle:>9}");
        }
    };
    let report = run_cpu_demo(&cfg, &args.out, &mut progress).map_err(anyhow::Error::msg)?;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let text = report.text();
    let json = report.json().pretty();
    let txt_path = args.out.join("report-cpu.txt");
    let json_path = args.out.join("report-cpu.json");
    std::fs::write(&txt_path, &text).with_context(|| format!("cannot write {}", txt_path.display()))?;
    std::fs::write(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    if args.json {
        print!("{json}");
    } else {
        print!("{text}");
    }
    let failed = report.scenarios.iter().filter(|s| !s.passed()).count();
    if failed > 0 {
        bail!("{failed} of {} demo scenarios failed their checks; see {}", report.scenarios.len(), txt_path.display());
    }
    Ok(())
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
        cfg.kinds = args.scenarios.iter().map(|s| DemoKind::parse(s)).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?;
    }
    prepare_out(&args.out)?;
    let tty = std::io::stderr().is_terminal();
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let mut current = 0;
    let mut progress = |p: &Progress| {
        let mut err = std::io::stderr().lock();
        if p.index != current {
            if tty && current != 0 {
                let _ = writeln!(err);
            }
            current = p.index;
            if !tty {
                let _ = writeln!(err, "ftio demo: [{}/{}] {} ...", p.index, p.of, p.scenario);
            }
        }
        if tty && last_draw.elapsed() >= Duration::from_millis(100) {
            last_draw = Instant::now();
            let _ = write!(
                err,
                "\r\x1b[2Kftio demo: [{}/{}] {:<10} cycle {:>9}  operations {:>4}/{}",
                p.index, p.of, p.scenario, p.cycle, p.ops_done, p.ops_total
            );
            let _ = err.flush();
        }
    };
    let report = run_demo(&cfg, &args.out, &mut progress).map_err(anyhow::Error::msg)?;
    if tty {
        eprintln!();
    }
    let text = report.text();
    let json = report.json().pretty();
    let txt_path = args.out.join("report.txt");
    let json_path = args.out.join("report.json");
    std::fs::write(&txt_path, &text).with_context(|| format!("cannot write {}", txt_path.display()))?;
    std::fs::write(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    if args.json {
        print!("{json}");
    } else {
        print!("{text}");
    }
    let failed = report.scenarios.iter().filter(|s| !s.passed()).count();
    if failed > 0 {
        bail!("{failed} of {} demo scenarios failed their checks; see {}", report.scenarios.len(), txt_path.display());
    }
    Ok(())
}
