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
    // The Verilator model's build (cached after the first) and six scenarios, then WaveDrom:
    // seconds to minutes, so a spinner while it runs (hidden when not on a terminal).
    let spin = crate::progress::spinner(false, "ftio waves", "recording the scenarios on the Verilator model, rendering");
    let diagrams = waves::record_all();
    let diagrams = match diagrams {
        Ok(d) => d,
        Err(e) => {
            spin.finish_and_clear();
            return Err(e.into());
        }
    };
    if args.check {
        let stale = waves::stale(&renderer, &diagrams, &args.out);
        spin.finish_and_clear();
        let stale = stale?;
        if !stale.is_empty() {
            bail!("stale in {}: {} (regenerate with `ftio waves --out {}`, then update the sentences that cite them)", args.out.display(), stale.join(", "), args.out.display());
        }
        println!("{} diagrams in {} are current", diagrams.len(), args.out.display());
        return Ok(());
    }
    let files: Vec<_> = diagrams.iter().map(|d| waves::files(&renderer, d)).collect();
    spin.finish_and_clear();
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    for (d, files) in diagrams.iter().zip(files) {
        for (name, text) in files? {
            let path = args.out.join(&name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("{:<18} {}", d.name, d.summary);
    }
    let cycles: u64 = diagrams.iter().map(|d| d.cycles).sum();
    println!("wrote {} diagrams (NAME.json, NAME.svg) to {} ({cycles} cycles simulated)", diagrams.len(), args.out.display());
    Ok(())
}
