//! `ftio sim board --pty`: the virtual board (SPEC §7). The generated core runs in Verilator
//! with its UART on a pseudo-terminal, so `ftctl --port /dev/pts/N` works unchanged.
//! stdout carries one line, the pty's path (for scripts); everything else goes to stderr.
//! See docs/virtual-board.md.
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ftio_hdl::BuildParams;
use ftio_sim::virtual_board::{self, BoardConfig, TrafficConfig, VirtualBoard, BOARD_BAUD, BOARD_CLOCK_HZ};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(Subcommand, Debug, Clone)]
pub enum SimCommand {
    /// The virtual board: the core in Verilator, its UART on a pseudo-terminal for ftctl.
    Board(BoardArgs),
}

#[derive(Args, Debug, Clone)]
pub struct BoardArgs {
    /// Offer the core's UART on a pseudo-terminal (prints its path, e.g. /dev/pts/7). The
    /// only transport so far; required so that command lines stay valid when others come.
    #[arg(long, required = true)]
    pub pty: bool,
    /// Also make PATH a symlink to the pty (an old symlink there is replaced; a file is not).
    /// Removed when the board stops.
    #[arg(long, value_name = "PATH")]
    pub link: Option<PathBuf>,
    /// Run built-in traffic: CPU A and CPU B send the same frames (DUPLEX lockstep), the
    /// disks answer every frame, so counters move.
    #[arg(long)]
    pub traffic: bool,
    /// With --traffic: CPU B's stream runs this many cycles behind CPU A's (elastic lockstep
    /// absorbs it; for strict lockstep `ftctl set offset` the same value).
    #[arg(long, value_name = "CYCLES", default_value_t = 0, requires = "traffic")]
    pub skew: u64,
    /// With --traffic: cycles from the start of one CPU frame to the next.
    #[arg(long, value_name = "CYCLES", default_value_t = 32, requires = "traffic",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub period: u64,
    /// With --traffic: words per CPU frame.
    #[arg(long, value_name = "WORDS", default_value_t = 8, requires = "traffic",
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub frame_words: u64,
    /// Flip data bit --fault-bit of the first word of the first CPU A frame sent at or after
    /// this cycle with nothing in flight, parity left as it was: a CPU A parity fault (needs
    /// --traffic).
    #[arg(long, value_name = "CYCLE", requires = "traffic")]
    pub fault_at: Option<u64>,
    /// The data bit --fault-at flips.
    #[arg(long, value_name = "BIT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=31))]
    pub fault_bit: u8,
    /// Run this many clock cycles without idle sleeps (never faster than real time at the
    /// build's clock), then stop (without it: until Ctrl-C, and the clock pauses while
    /// nothing happens).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub cycles: Option<u64>,
    /// Core clock of the build, Hz (CLOCK_HZ reads it). The default, 19200 baud at 8 clocks
    /// per bit, keeps real time with --traffic on a loaded 2-core machine; `--clock-hz 1843200
    /// --baud 115200` is a 115200-baud build (slower than real time there).
    #[arg(long, default_value_t = BOARD_CLOCK_HZ, value_parser = crate::range_u32(BuildParams::CLOCK_HZ))]
    pub clock_hz: u32,
    /// UART baud of the build (BAUD reads it; at least 8 clocks per bit).
    #[arg(long, default_value_t = BOARD_BAUD, value_parser = crate::range_u32(BuildParams::BAUD))]
    pub baud: u32,
    /// Report irq changes and injected faults on stderr.
    #[arg(long, short)]
    pub verbose: bool,
}

impl BoardArgs {
    /// The board configuration these options describe.
    pub fn config(&self) -> Result<BoardConfig> {
        let params = BuildParams { clock_hz: self.clock_hz, baud: self.baud, ..virtual_board::board_params() };
        params.validate().context("cannot build the core for the virtual board")?;
        Ok(BoardConfig {
            params,
            link: self.link.clone(),
            traffic: self.traffic.then(|| TrafficConfig {
                period: self.period,
                frame_words: self.frame_words as usize,
                skew: self.skew,
                ..TrafficConfig::default()
            }),
            fault_at: self.fault_at,
            fault_bit: self.fault_bit,
            max_cycles: self.cycles,
            stop_on_signal: true,
            verbose: self.verbose,
        })
    }
}

pub fn run(args: SimArgs) -> Result<()> {
    match args.command {
        SimCommand::Board(a) => run_board(&a, &mut std::io::stdout()),
    }
}

/// Runs the board; the pty path is the one line written to `out`.
fn run_board(args: &BoardArgs, out: &mut dyn Write) -> Result<()> {
    if !args.pty {
        bail!("give --pty: the virtual board offers its UART on a pseudo-terminal");
    }
    let config = args.config()?;
    virtual_board::stop_on_signals().context("cannot install the SIGINT/SIGTERM handlers")?;
    // The first build takes a minute or two: a spinner on a terminal, the line in a log.
    let building = "building the core in Verilator (cached after the first build)";
    if !crate::progress::shown(false) {
        eprintln!("virtual board: {building}...");
    }
    let spin = crate::progress::spinner(false, "virtual board:", building);
    let board = VirtualBoard::new(config.clone());
    spin.finish_and_clear();
    let mut b = board?;
    let path = b.path().display().to_string();
    writeln!(out, "{path}").and_then(|_| out.flush()).context("cannot write the pty path to stdout")?;
    let p = b.params();
    eprintln!(
        "virtual board: ftio_core (Verilator) UART on {path}{}: CLOCK_HZ {} Hz, BAUD {} ({} clocks per bit)",
        b.link().map(|l| format!(" (symlink {})", l.display())).unwrap_or_default(),
        p.clock_hz,
        p.baud,
        b.clocks_per_bit()
    );
    if (p.clock_hz, p.baud) == (BOARD_CLOCK_HZ, BOARD_BAUD) {
        eprintln!(
            "virtual board: the default build: {BOARD_BAUD} baud at 8 clocks per bit is slow enough for the simulation to keep real time with --traffic on a loaded 2-core machine (on a pty the baud is no line rate; ftctl's --baud does not matter); --clock-hz 1843200 --baud 115200 gives a 115200-baud build that runs slower than real time"
        );
    }
    eprintln!("virtual board: the pty reader runs at {}", b.reader_priority());
    match &config.traffic {
        Some(t) => eprintln!(
            "virtual board: traffic: a {}-word frame every {} cycles on both CPUs (B {} cycles behind A), disks reply after {} cycles{}",
            t.frame_words,
            t.period,
            t.skew,
            t.disk_latency,
            config.fault_at.map(|c| format!("; CPU A fault at cycle {c} (data bit {})", config.fault_bit)).unwrap_or_default()
        ),
        None => eprintln!("virtual board: every link idle and correct (--traffic for load)"),
    }
    eprintln!(
        "virtual board: try `ftctl --port {} status`; {}",
        b.link().map(|l| l.display().to_string()).unwrap_or_else(|| path.clone()),
        match config.max_cycles {
            Some(n) => format!("stopping after {n} cycles"),
            None => "Ctrl-C stops".to_string(),
        }
    );
    let summary = b.run().context("virtual board")?;
    drop(b);
    eprintln!("virtual board: stopped: {summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        sim: Top,
    }
    #[derive(clap::Subcommand)]
    enum Top {
        Sim(SimArgs),
    }

    fn parse(args: &[&str]) -> Result<BoardArgs, clap::Error> {
        let mut v = vec!["ftio", "sim", "board"];
        v.extend(args);
        Cli::try_parse_from(v).map(|c| match c.sim {
            Top::Sim(SimArgs { command: SimCommand::Board(b) }) => b,
        })
    }

    #[test]
    fn options_make_the_board_config() {
        let a = parse(&["--pty", "--traffic", "--fault-at", "5000", "--skew", "3", "--cycles", "100000"]).unwrap();
        let c = a.config().unwrap();
        assert_eq!(c.params.clock_hz, 153_600);
        assert_eq!(c.params.baud, 19_200);
        assert_eq!(c.fault_at, Some(5000));
        assert_eq!(c.max_cycles, Some(100_000));
        assert_eq!(c.traffic.unwrap().skew, 3);
        assert!(c.stop_on_signal);
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(parse(&[]).is_err(), "--pty is required");
        let e = parse(&["--pty", "--fault-at", "10"]).err().unwrap().to_string();
        assert!(e.contains("--traffic"), "{e}");
        assert!(parse(&["--pty", "--cycles", "0"]).is_err());
        assert!(parse(&["--pty", "--fault-bit", "32"]).is_err());
        // 19200 baud needs at least 8 clocks per bit: 153.6 kHz; 115200 baud 921.6 kHz.
        let e = format!("{:#}", parse(&["--pty", "--clock-hz", "100000"]).unwrap().config().err().unwrap());
        assert!(e.contains("at least 8 clocks per bit"), "{e}");
        let e = format!("{:#}", parse(&["--pty", "--clock-hz", "500000", "--baud", "115200"]).unwrap().config().err().unwrap());
        assert!(e.contains("at least 8 clocks per bit"), "{e}");
    }

    /// A bounded run: the pty path is the one line on stdout, N cycles run, the symlink goes.
    #[test]
    fn bounded_run_stops_by_itself_and_removes_its_symlink() {
        let link = std::env::temp_dir().join(format!("ftio-sim-cli-{}", std::process::id()));
        let a = parse(&["--pty", "--traffic", "--cycles", "20000", "--link", link.to_str().unwrap()]).unwrap();
        let mut out = vec![];
        run_board(&a, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("/dev/pts/") && out.ends_with('\n') && out.lines().count() == 1, "{out:?}");
        assert!(std::fs::symlink_metadata(&link).is_err(), "symlink left behind");
    }
}
