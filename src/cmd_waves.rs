//! `ftio waves`: the timing diagrams of docs/waves/, measured on the Verilator model of the
//! generated core and rendered to SVG with WaveDrom (`yowasp-wavedrom` in the project venv).
use anyhow::{bail, Context, Result};
use clap::Args;
use ftio_sim::waves;
use std::path::PathBuf;

#[derive(Args)]
pub struct WavesArgs {
    /// Directory for NAME.json (WaveJSON) and NAME.svg, one pair per diagram.
    #[arg(long, default_value = "docs/waves")]
    out: PathBuf,
    /// Write nothing: compare with the files in --out and fail naming the stale ones.
    #[arg(long)]
    check: bool,
}

pub fn run(args: WavesArgs) -> Result<()> {
    // The renderer first: a missing one is an error before minutes of anything else.
    let renderer = waves::renderer()?;
    let diagrams = waves::record_all()?;
    if args.check {
        let stale = waves::stale(&renderer, &diagrams, &args.out)?;
        if !stale.is_empty() {
            bail!("stale in {}: {} (regenerate with `ftio waves --out {}`, then update the sentences that cite them)", args.out.display(), stale.join(", "), args.out.display());
        }
        println!("{} diagrams in {} are current", diagrams.len(), args.out.display());
        return Ok(());
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    for d in &diagrams {
        for (name, text) in waves::files(&renderer, d)? {
            let path = args.out.join(&name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("{:<18} {}", d.name, d.summary);
    }
    let cycles: u64 = diagrams.iter().map(|d| d.cycles).sum();
    println!("wrote {} diagrams (NAME.json, NAME.svg) to {} ({cycles} cycles simulated)", diagrams.len(), args.out.display());
    Ok(())
}
