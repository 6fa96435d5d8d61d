//! `ftio build --board B`: the core's Verilog (generated for the board's core clock) inside the
//! board's `board_top`, through yosys, nextpnr and the packer, to a bitstream and a report.
//! Exits non-zero when timing is not met (the bitstream and report are still written).
use anyhow::{bail, Context, Result};
use clap::Args;
use ftio_hdl::BuildParams;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// Board to build for: alchitry-cu, icebreaker, ulx3s.
    #[arg(long)]
    pub board: String,
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
    /// Show each tool's command line as it starts.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(args: BuildArgs) -> Result<()> {
    let mut board = ftio_bsp::board(&args.board)?.clone();
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
            let mut params = BuildParams { clock_hz, ..BuildParams::default() };
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
                .map_err(|e| anyhow::anyhow!("cannot generate the core for {}: {e}", board.name))?
        }
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("build").join(board.name));
    let opts = ftio_bsp::BuildOpts { freq_mhz: args.freq, seed: args.seed, verbose: args.verbose };
    let report = ftio_bsp::build(board, &core, &out, &opts)?;
    let json = report.to_json();
    std::fs::write(report.out_dir.join("ftio-report.json"), &json)
        .with_context(|| format!("cannot write the report into {}", report.out_dir.display()))?;
    std::fs::write(report.out_dir.join("ftio-report.txt"), format!("{report}\n"))
        .with_context(|| format!("cannot write the report into {}", report.out_dir.display()))?;
    if args.json {
        println!("{json}");
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
}
