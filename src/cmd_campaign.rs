//! `ftio campaign`: random single faults, each in a fresh Verilator run of the lockstep
//! workload (elastic or strict lockstep, drawn per run), classified against the fault-free
//! run of its lockstep form (see `ftio_sim::campaign` and `docs/demo.md`). Exits non-zero on
//! any silent corruption or silent disruption.
use anyhow::{bail, Context, Result};
use ftio_sim::campaign::{run_campaign, CampaignConfig, Forms};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Options of `ftio campaign`.
#[derive(clap::Args, Debug, Clone)]
pub struct CampaignArgs {
    /// Number of faults (one fresh run each).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub faults: u64,
    /// Seed of the fault draw: the same seed gives the same faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Writes in the workload (each read back afterwards).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub writes: u64,
    /// Lockstep forms to draw from: `both` (each run elastic or strict with probability 1/2,
    /// strict with D drawn from 0..OFFSET_MAX-1), `elastic` or `strict`.
    #[arg(long, default_value = "both", value_parser = clap::builder::PossibleValuesParser::new(["both", "elastic", "strict"]))]
    pub lockstep: String,
    /// Output directory (created if missing): campaign.txt and campaign.json.
    #[arg(long, default_value = "build/campaign")]
    pub out: PathBuf,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ftio campaign`.
pub fn run(args: CampaignArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    let txt = args.out.join("campaign.txt");
    std::fs::write(&txt, b"").with_context(|| format!("cannot write to output directory {}", args.out.display()))?;
    let forms: Forms = args.lockstep.parse().map_err(anyhow::Error::msg)?;
    let cfg = CampaignConfig {
        faults: args.faults as usize,
        seed: args.seed,
        writes: args.writes as usize,
        forms,
        ..CampaignConfig::default()
    };
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if tty {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2Kftio campaign: run {done}/{total}");
            let _ = e.flush();
        } else if done % 25 == 0 || done == total {
            eprintln!("ftio campaign: {done}/{total} runs");
        }
    };
    let report = run_campaign(&cfg, &mut progress).map_err(anyhow::Error::msg)?;
    if tty {
        eprintln!();
    }
    let text = report.text();
    let json = report.json().pretty();
    let json_path = args.out.join("campaign.json");
    std::fs::write(&txt, &text).with_context(|| format!("cannot write {}", txt.display()))?;
    std::fs::write(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    print!("{}", if args.json { &json } else { &text });
    if report.failures() > 0 {
        bail!("{} of {} runs ended in silent corruption or silent disruption; see {}", report.failures(), report.runs.len(), txt.display());
    }
    Ok(())
}
