//! `ftio campaign`: random single faults, each in a fresh Verilator run of the lockstep
//! workload (elastic or strict lockstep, drawn per run), classified against the fault-free
//! run of its lockstep form (see `ftio_sim::campaign` and `docs/demo.md`): faults at the pins,
//! or with `--upsets` one inverted state bit inside the core. Runs on every core by default
//! (`--jobs`); `--shard K/N` runs a deterministic 1/N of a campaign, and `ftio campaign merge`
//! puts the shards' JSON reports back together. Exits non-zero on any silent corruption or
//! silent disruption.
use anyhow::{bail, Context, Result};
use ftio_sim::campaign::{merge, parse_shard, run_campaign, CampaignConfig, CampaignReport, FaultModel, Forms};
use std::path::{Path, PathBuf};

/// Options of `ftio campaign`.
#[derive(clap::Args, Debug, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CampaignArgs {
    #[command(subcommand)]
    pub command: Option<CampaignCommand>,
    /// Number of faults (one fresh run each) of the whole campaign (all shards).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub faults: u64,
    /// Upsets inside the core instead of faults at the pins: each run inverts one flip-flop or
    /// block-RAM bit of the core, drawn uniformly over every state bit of the design.
    #[arg(long)]
    pub upsets: bool,
    /// With --upsets: the state bits drawn from, each uniformly: `all` flip-flop and
    /// block-RAM bits, `ff` flip-flops only, `ram` block RAMs only.
    #[arg(long, default_value = "all", requires = "upsets", value_parser = clap::builder::PossibleValuesParser::new(["all", "ff", "ram"]))]
    pub bits: String,
    /// Run the campaign on the hardened build (`--harden`: the core checks its own state and
    /// halts with cause INTERNAL on an inconsistency; docs/upsets.md).
    #[arg(long)]
    pub harden: bool,
    /// Run the campaign on the pipelined build (`--pipeline 1`: a registered stage behind
    /// each input link's checks, SPEC §4 "Pipelining"), as `ftio build` and `ftio bench`
    /// take it; the golden runs are that build's, so its later cycle figures are no fault.
    #[arg(long, default_value_t = ftio_hdl::BuildParams::DEFAULT.pipeline, value_parser = crate::pipeline_parser())]
    pub pipeline: u8,
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
    /// Threads, each simulating runs on a model of its own [default: every core of the machine].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Run only shard K of N (1 <= K <= N): the runs whose index is K-1 modulo N, so N
    /// machines (or batch jobs) with the same seed share one campaign; `ftio campaign merge`
    /// combines their JSON reports.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Output directory (created if missing): campaign.txt and campaign.json.
    #[arg(long, default_value = "build/campaign")]
    pub out: PathBuf,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Subcommands of `ftio campaign`.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum CampaignCommand {
    /// Combine the JSON reports of a campaign's shards (every K of one N, same seed and
    /// settings) into the report of the whole campaign, as one run would have written it.
    Merge(MergeArgs),
}

/// Options of `ftio campaign merge`.
#[derive(clap::Args, Debug, Clone)]
pub struct MergeArgs {
    /// The shards' campaign.json files.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output directory (created if missing): campaign.txt and campaign.json.
    #[arg(long, default_value = "build/campaign")]
    pub out: PathBuf,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn prepare(out: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create output directory {}", out.display()))?;
    let txt = out.join("campaign.txt");
    std::fs::write(&txt, b"").with_context(|| format!("cannot write to output directory {}", out.display()))?;
    Ok(txt)
}

fn finish(report: &CampaignReport, out: &Path, txt: &Path, json_out: bool) -> Result<()> {
    let text = report.text();
    let json = report.json();
    let json_path = out.join("campaign.json");
    std::fs::write(txt, &text).with_context(|| format!("cannot write {}", txt.display()))?;
    std::fs::write(&json_path, &json).with_context(|| format!("cannot write {}", json_path.display()))?;
    if json_out {
        println!("{json}");
    } else {
        print!("{text}");
    }
    if report.failures() > 0 {
        bail!("{} of {} runs ended in silent corruption or silent disruption; see {}", report.failures(), report.runs.len(), txt.display());
    }
    Ok(())
}

/// Runs `ftio campaign`.
pub fn run(args: CampaignArgs) -> Result<()> {
    if let Some(CampaignCommand::Merge(m)) = args.command {
        return run_merge(m);
    }
    let txt = prepare(&args.out)?;
    let forms: Forms = args.lockstep.parse()?;
    let jobs = match args.jobs {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let cfg = CampaignConfig {
        faults: args.faults as usize,
        seed: args.seed,
        writes: args.writes as usize,
        forms,
        model: if args.upsets { FaultModel::Upsets } else { FaultModel::Pins },
        jobs,
        shard: args.shard,
        upset_bits: args.bits.parse()?,
        ..CampaignConfig::default()
    };
    let cfg = CampaignConfig { params: ftio_hdl::BuildParams { harden: args.harden, pipeline: args.pipeline, ..cfg.params }, ..cfg };
    if cfg.indices().is_empty() {
        bail!("shard {}/{} of {} faults holds no run", args.shard.unwrap().0, args.shard.unwrap().1, cfg.faults);
    }
    // A progress bar on a terminal only, and never with --json (stdout is then the report).
    let bar = crate::progress::bar(args.json, cfg.indices().len() as u64, "ftio campaign", "runs");
    let report = run_campaign(&cfg, &mut |done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    finish(&report?, &args.out, &txt, args.json)
}

fn run_merge(args: MergeArgs) -> Result<()> {
    let mut reports = vec![];
    for p in &args.reports {
        let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        reports.push(CampaignReport::from_json(&text).with_context(|| p.display().to_string())?);
    }
    let merged = merge(reports)?;
    let txt = prepare(&args.out)?;
    finish(&merged, &args.out, &txt, args.json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CampaignArgs,
    }

    #[test]
    fn shard_and_jobs_parse_and_bad_ones_are_refused() {
        let a = Cli::try_parse_from(["x", "--upsets", "--shard", "2/4", "--jobs", "3"]).unwrap().args;
        assert_eq!((a.upsets, a.shard, a.jobs), (true, Some((2, 4)), Some(3)));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            let e = Cli::try_parse_from(["x", "--shard", bad]).err().expect(bad).to_string();
            assert!(e.contains("K/N"), "{e}");
        }
        assert!(Cli::try_parse_from(["x", "--jobs", "0"]).is_err());
        assert_eq!(Cli::try_parse_from(["x", "--pipeline", "1"]).unwrap().args.pipeline, 1);
        assert_eq!(Cli::try_parse_from(["x"]).unwrap().args.pipeline, 0);
        let e = Cli::try_parse_from(["x", "--pipeline", "2"]).err().expect("--pipeline 2").to_string();
        assert!(e.contains("--pipeline") && e.contains("0..=1"), "{e}");
        let m = Cli::try_parse_from(["x", "merge", "a.json", "b.json"]).unwrap().args;
        assert!(matches!(m.command, Some(CampaignCommand::Merge(ref m)) if m.reports.len() == 2));
    }
}
