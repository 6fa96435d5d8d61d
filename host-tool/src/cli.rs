//! Command line (clap derive).
use clap::{Args, Parser, Subcommand, ValueEnum};

/// ftctl: configure and watch an ftio fault-tolerant storage I/O core over its UART.
#[derive(Parser, Debug)]
#[command(name = "ftctl", version, about, long_about = None, after_help = EXIT_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub conn: Conn,
    #[command(subcommand)]
    pub cmd: Command,
}

const EXIT_HELP: &str = "Exit codes: 0 ok, 1 check failed (BIST FAIL), 2 usage or port error, 3 the core did not answer properly or is not an ftio core.";

/// Connection options, accepted by every command.
#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// Serial port of the core (e.g. /dev/ttyUSB1, or the virtual board's /dev/pts/N).
    #[arg(long, env = "FTCTL_PORT", global = true)]
    pub port: Option<String>,
    /// Baud rate (must match the gateware's BAUD build parameter).
    #[arg(long, default_value_t = 115_200, global = true)]
    pub baud: u32,
    /// Reply timeout per attempt, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500, global = true)]
    pub timeout: u64,
    /// Retries after a timeout or a corrupted reply.
    #[arg(long, default_value_t = 3, global = true)]
    pub retries: u32,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Identify the core: ID, VERSION, CLOCK_HZ, BAUD, PARAMS.
    Info,
    /// Mode, configuration, health of each CPU and disk, faults.
    Status,
    /// Statistics counters from one consistent snapshot.
    Counters {
        /// Redraw every SECS seconds (default 1) with rates per second.
        #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "1")]
        watch: Option<f64>,
        /// Zero the counters in the same write as the snapshot (atomic read-and-clear).
        #[arg(long)]
        clear: bool,
        /// Stop --watch after this many snapshots.
        #[arg(long, value_name = "N")]
        iterations: Option<u64>,
    },
    /// Change a setting (read-modify-write of CTRL fields, or OFFSET/TIMEOUT/DISK_TIMEOUT).
    Set {
        /// What to set.
        setting: Setting,
        /// The value (a name such as duplex / strict / store-and-forward / on, or a number).
        value: String,
    },
    /// Acknowledge faults: clear the latch, irq and the CPU failed flags; re-arm the capture.
    /// A failed disk stays failed: `ftctl disk readmit`.
    Clear,
    /// Lock the configuration until the core's reset (CTRL.lock): from then on the core refuses
    /// (status 0x05) any write of OFFSET, TIMEOUT, DISK_TIMEOUT and the injection and BIST
    /// registers, and changes of CTRL's mode, lockstep, commit, policy and read-verify;
    /// `clear`, counters, primary and disk commands still work.
    Lock,
    /// Disk rebuild: readmit a failed disk (it becomes rebuilding), then say its copy is done.
    Disk {
        #[command(subcommand)]
        cmd: DiskCmd,
    },
    /// Show the first-fault capture (cause, cycle, word index, both sides' words).
    Capture,
    /// Arm a fault injection on an input link.
    Inject(InjectArgs),
    /// Built-in self-test.
    Bist {
        #[command(subcommand)]
        cmd: BistCmd,
    },
    /// Read or write registers by name or address.
    Reg {
        #[command(subcommand)]
        cmd: RegCmd,
    },
    /// All registers.
    Regs {
        #[command(subcommand)]
        cmd: RegsCmd,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// CTRL.mode: duplex, simplex-a, simplex-b, split, halted.
    Mode,
    /// CTRL.lockstep: elastic, strict.
    Lockstep,
    /// OFFSET: strict-lockstep delay D in cycles.
    Offset,
    /// TIMEOUT: elastic-lockstep timeout in cycles.
    Timeout,
    /// DISK_TIMEOUT: disk stall timeout in cycles.
    DiskTimeout,
    /// CTRL.commit: cut-through, store-and-forward.
    Commit,
    /// CTRL.policy: auto, halt.
    Policy,
    /// CTRL.read_verify: on, off.
    ReadVerify,
    /// CTRL.primary: a, b.
    Primary,
}

#[derive(Args, Debug)]
pub struct InjectArgs {
    /// Input link: cpu-a, cpu-b, disk-a, disk-b.
    #[arg(long)]
    pub link: String,
    /// data (flip a data bit), par (flip a parity bit), silence (hold the link silent).
    #[arg(long)]
    pub kind: String,
    /// Bit to flip: 0-31 for data, 0-3 for par.
    #[arg(long, default_value = "0")]
    pub bit: String,
    /// Flip the Nth word offered after arming (0 = the next); for silence, the cycles.
    #[arg(long, default_value = "0")]
    pub count: String,
    /// Wait up to SECS seconds for the injection to fire.
    #[arg(long, value_name = "SECS")]
    pub wait: Option<f64>,
}

#[derive(Subcommand, Debug)]
pub enum BistCmd {
    /// Run the self-test and wait for PASS/FAIL (exit code 1 on FAIL).
    Run {
        /// Frames to send.
        #[arg(long, default_value = "16")]
        frames: String,
        /// Words per frame.
        #[arg(long, default_value = "8")]
        len: String,
        /// Cycles CPU B's generator lags CPU A's.
        #[arg(long, default_value = "0")]
        skew: String,
        /// Seed of the pseudo-random data.
        #[arg(long, default_value = "1")]
        seed: String,
        /// Give up (and abort the test) after this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60.0)]
        max_wait: f64,
        /// Poll interval in milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 50, hide = true)]
        poll_ms: u64,
    },
    /// Stop a running self-test.
    Abort,
}

#[derive(Subcommand, Debug)]
pub enum DiskCmd {
    /// Readmit a failed disk: it becomes rebuilding (takes every mirrored write from the next
    /// frame boundary on, never answers reads). Then copy every sector onto it through the
    /// CPUs (read from the healthy disk, write back) and run `ftctl disk done`.
    Readmit {
        /// a or b.
        disk: String,
    },
    /// The host's copy onto a rebuilding disk is complete: it becomes healthy (in sync).
    Done {
        /// a or b.
        disk: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RegCmd {
    /// Read registers: NAME, NAME.field, or an address (decimal or 0x...).
    Read {
        target: String,
        /// Consecutive registers to read (1-16).
        #[arg(long, default_value = "1")]
        count: String,
    },
    /// Write a register (NAME or address) or a field (NAME.field, read-modify-write).
    Write {
        target: String,
        value: String,
        /// Send even to a register the table says is read-only or does not exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RegsCmd {
    /// Read and decode every register.
    Dump,
}
