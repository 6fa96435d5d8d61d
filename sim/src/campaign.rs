//! `ftio campaign`: random single faults, each in a fresh Verilator run of the same lockstep
//! workload, each outcome classified against the fault-free (golden) run of its lockstep form.
//!
//! Lockstep form (one per run, drawn from the campaign seed, independently of the fault):
//! - *elastic* (power-on): CPU B starts `skew` cycles after CPU A and, because in elastic
//!   DUPLEX both CPUs get each completion in the same cycle, also thinks `skew` cycles longer;
//! - *strict* with D drawn from 0..OFFSET_MAX-1 of the build: the host writes OFFSET = D and
//!   CTRL.lockstep = strict over the UART while both CPUs are idle, then CPU A starts at
//!   [`STRICT_START`] and CPU B — the same deterministic model, same seed — exactly D cycles
//!   later; the core gives B exactly A's I/O D cycles later, so B is A's replica. Strict
//!   faults are drawn after [`STRICT_START`].
//!
//! Fault model (one per run, drawn from the campaign seed):
//! - a bit flip on one input pin for one cycle: `valid`, `data`, `last`, `abort`, `par` or
//!   `cpar` of any into-core link, or `ready`/`rpar` of any out-of-core link;
//! - a CPU that stops (offers nothing, takes nothing) for 100, 400 or 2000 cycles;
//! - a disk that stops for 1000 or 6000 cycles, or hangs for good;
//! - a CPU word that differs in one data bit with its parity bit flipped to match (a CPU
//!   that computed another value: a mismatch no parity error can attribute).
//!
//! Oracle, after the run (the host reads STATUS over the UART at the end):
//! - *live* CPUs are those the final mode trusts (DUPLEX: both; SIMPLEX_A/B: one; HALTED:
//!   none); *healthy* disks those not marked failed;
//! - *corruption*: a CPU accepted a completion that differs from the golden run's (same
//!   operation, good status, clean link parity, different data), or a healthy disk holds
//!   anything but the golden image of a prefix of the writes that includes every write a CPU
//!   had acknowledged;
//! - classes: `silent-corruption` (any corruption); `masked` (nothing flagged, every result
//!   as in the golden run); `silent-disruption` (nothing flagged, but the workload did not
//!   complete as in the golden run); `halted` (flagged, HALTED, no corruption); `recovered`
//!   (flagged, every live CPU completed the whole workload exactly as in the golden run);
//!   `disrupted` (flagged, not halted, no corruption, but a live CPU did not complete
//!   cleanly — it saw a link parity error or a completion went missing).
//!
//!   `disk-silent`: a disk hung for good with no word waiting for it, nothing flagged —
//!   SPEC §4: "a disk that sends nothing back is not a fault" (the host's command timeout
//!   notices; the core cannot without interpreting frames).
//!
//! `silent-corruption` and `silent-disruption` are failures of the core.
//!
//! Upsets (`--upsets`, [`FaultModel::Upsets`]): instead of a fault at the pins, each run
//! inverts one state bit of the core — a flip-flop or block-RAM bit drawn uniformly over
//! every state bit [`crate::state`] enumerates from the design — at a cycle drawn as above,
//! in a Verilator model built with write access to that state; the same oracle judges it.
//!
//! Scale: the runs of a campaign are independent, so they run on `jobs` threads (one model
//! each); `shard` K/N runs the runs whose index is K−1 modulo N, and [`merge`] puts the
//! shards' reports back together into the report of the whole campaign.
use crate::error::{SimError, StateAccessError};
use crate::models::cpu::{Completion, CpuConfig, CpuModel, Op};
use crate::models::disk::DiskConfig;
use crate::models::golden_sha256;
use crate::port::{Flow, Link, LinkSignal, Port};
use crate::state::{StateBit, StateKind, StateMap, StateMapError};
use crate::rig::Rig;
use crate::scenario::{fast_uart_params, FAST_UART_DIVIDER};
use crate::system::{Freeze, PinFlip, System, Trigger, Unit};
use crate::verilator::{load_variant, Variant, VerilatedLib};
use ftio_hdl::BuildParams;
use ftio_proto::{reg, Cause, Mode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

/// Cycle at which both CPUs of a strict run may start (CPU B D cycles later): the host's
/// two register writes (OFFSET, then CTRL with lockstep = strict) take about 2 600 cycles on
/// the fast UART; [`run_campaign`] checks they were answered by then.
pub const STRICT_START: u64 = 3_000;

/// The lockstep form of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// Elastic lockstep (power-on), CPU B `skew` cycles behind.
    Elastic,
    /// Strict lockstep, CPU B exactly `offset` (= OFFSET = D) cycles behind CPU A.
    Strict {
        /// D.
        offset: u64,
    },
}

impl Form {
    /// "elastic" or "strict".
    pub fn kind(self) -> &'static str {
        match self {
            Form::Elastic => "elastic",
            Form::Strict { .. } => "strict",
        }
    }

    /// D of a strict run.
    pub fn offset(self) -> Option<u64> {
        match self {
            Form::Elastic => None,
            Form::Strict { offset } => Some(offset),
        }
    }

    /// The cycle from which faults are drawn: the workload's start.
    pub fn start(self) -> u64 {
        match self {
            Form::Elastic => 0,
            Form::Strict { .. } => STRICT_START,
        }
    }
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Form::Elastic => write!(f, "elastic"),
            Form::Strict { offset } => write!(f, "strict D={offset}"),
        }
    }
}

impl std::str::FromStr for Form {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s == "elastic" {
            return Ok(Form::Elastic);
        }
        s.strip_prefix("strict D=")
            .and_then(|d| d.parse().ok())
            .map(|offset| Form::Strict { offset })
            .ok_or_else(|| unknown("lockstep form", s, ""))
    }
}

/// Serialises a value as its `Display` text and reads it back with `FromStr`.
macro_rules! serde_as_text {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_text!(Form);
serde_as_text!(Forms);
serde_as_text!(Outcome);
serde_as_text!(FaultModel);

/// The lockstep forms a campaign draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forms {
    /// Elastic runs only.
    Elastic,
    /// Strict runs only (D drawn per run).
    Strict,
    /// Each run elastic or strict with probability 1/2 (D drawn per strict run).
    Both,
}

impl std::str::FromStr for Forms {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "elastic" => Ok(Forms::Elastic),
            "strict" => Ok(Forms::Strict),
            "both" => Ok(Forms::Both),
            _ => Err(unknown("lockstep form", s, ": elastic, strict or both")),
        }
    }
}

impl std::fmt::Display for Forms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Forms::Elastic => "elastic",
            Forms::Strict => "strict",
            Forms::Both => "both",
        })
    }
}

/// What a campaign injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultModel {
    /// Faults at the pins: flips, stopped or diverging CPUs, stopped disks.
    Pins,
    /// One upset (inverted state bit) inside the core per run.
    Upsets,
}

impl std::fmt::Display for FaultModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FaultModel::Pins => "pins",
            FaultModel::Upsets => "upsets",
        })
    }
}

impl std::str::FromStr for FaultModel {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "pins" => Ok(FaultModel::Pins),
            "upsets" => Ok(FaultModel::Upsets),
            _ => Err(unknown("fault model", s, ": pins or upsets")),
        }
    }
}

/// Why a campaign option's value (`--lockstep`, `--model`, `--bits`, `--shard`) or a report's
/// field could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not one of the names of `what`; `choices` lists them (", ..." or empty).
    #[error("unknown {what} {given:?}{choices}")]
    Unknown { what: &'static str, given: String, choices: &'static str },
    #[error("shard {0:?}: give K/N with 1 <= K <= N, e.g. 3/8")]
    Shard(String),
}

fn unknown(what: &'static str, given: &str, choices: &'static str) -> ParseError {
    ParseError::Unknown { what, given: given.to_string(), choices }
}

/// Why a campaign could not run. A run whose fault the core mishandles is not an error (it
/// is classified); these are failures of the campaign itself.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("a campaign needs at least one fault")]
    NoFaults,
    #[error("the workload needs at least one write")]
    NoWrites,
    #[error("shard {k}/{n}: K must be 1 to N")]
    Shard { k: usize, n: usize },
    /// `--bits` selects no bit of this core (e.g. `ram` on a core without block RAM).
    #[error("the core has no state bits of kind {0}")]
    NoStateBits(UpsetBits),
    /// The build parameters cannot be built.
    #[error(transparent)]
    Params(#[from] ftio_proto::ParamsError),
    /// The core's model could not be built or loaded.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The core's state could not be enumerated (upsets).
    #[error(transparent)]
    State(#[from] StateMapError),
    /// The model cache directory could not be made.
    #[error("creating {}", path.display())]
    Cache {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A fault-free run's strict set-up (OFFSET, CTRL) was not acknowledged in time.
    #[error("{form} golden run")]
    GoldenSetup {
        form: Form,
        #[source]
        source: SetupError,
    },
    /// A fault-free run did not complete cleanly: no reference to judge the faults by.
    #[error("the fault-free {form} run did not complete cleanly (irq at {irq:?}, CPU errors {errors:?}): no golden reference")]
    GoldenUnclean { form: Form, irq: Option<u64>, errors: Vec<String> },
    /// The fault-free runs of two forms answered the same operations differently.
    #[error("the fault-free {0} run's completions differ from the other forms'")]
    GoldenDiffers(Form),
    /// An upset could not be applied to the model (a fault of the campaign's machinery).
    #[error("run {index}: the upset could not be applied")]
    Upset {
        index: usize,
        #[source]
        source: StateAccessError,
    },
}

/// Why a strict run's set-up writes (OFFSET, then CTRL) did not take effect before the CPUs
/// started.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SetupError {
    #[error("the strict set-up writes were not answered")]
    NotAnswered,
    /// A write answered with an error, or after the CPUs started (`result`: its answer).
    #[error("set-up write {label} at cycle {cycle}: {result}")]
    Write { label: String, cycle: u64, result: String },
}

/// Why campaign reports could not be read back or merged (`ftio campaign merge`).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not JSON of a campaign report.
    #[error("not a campaign report")]
    Json(#[source] serde_json::Error),
    /// JSON written by another tool.
    #[error("not a campaign report (tool {0:?})")]
    Tool(String),
    /// The totals were edited, or the runs were.
    #[error("the report's totals disagree with its runs")]
    Totals,
    #[error("run {run}: lockstep {lockstep:?} with offset {offset:?}")]
    Form { run: usize, lockstep: String, offset: Option<u64> },
    #[error("run {run}: unknown mode {mode:?}")]
    Mode { run: usize, mode: String },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("nothing to merge")]
    Nothing,
    /// Report `0` (1-based) differs from the first in its settings.
    #[error("report {0} is of another campaign (fault model, seed, faults, workload, lockstep forms and state must all agree)")]
    OtherCampaign(usize),
    #[error("report {0} is a whole campaign, not a shard")]
    Whole(usize),
    #[error("report {report} is shard {k}/{n}, the others are of {others}")]
    ShardCount { report: usize, k: usize, n: usize, others: usize },
    #[error("shard {k}/{n} given twice")]
    Twice { k: usize, n: usize },
    #[error("shards missing: {}", .0.join(" "))]
    Missing(Vec<String>),
    #[error("the shards' {form} golden runs differ ({} and {} cycles)", cycles[0], cycles[1])]
    Golden { form: Form, cycles: [u64; 2] },
    #[error("the shards hold {runs} runs, not runs 0 to {last} once each")]
    Runs { runs: usize, last: usize },
}

/// Draws the lockstep form of run `index` of a campaign with seed `seed`: D uniform in
/// `0..offset_max` (OFFSET_MAX of the build: 2^offset_max_log2).
pub fn draw_form(seed: u64, index: usize, forms: Forms, offset_max: u64) -> Form {
    // A stream of its own, so the faults drawn for a seed do not depend on the forms.
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index as u64 ^ 0x5717_1C7F);
    let strict = match forms {
        Forms::Elastic => false,
        Forms::Strict => true,
        Forms::Both => rng.gen_bool(0.5),
    };
    if strict {
        Form::Strict { offset: rng.gen_range(0..offset_max.max(1)) }
    } else {
        Form::Elastic
    }
}

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Fault {
    /// Bit `bit` of input `port` inverted in cycle `cycle`.
    Flip {
        cycle: u64,
        #[serde(with = "port_by_name")]
        port: Port,
        bit: u8,
    },
    /// `unit` stops from `cycle` for `cycles` cycles, or for good.
    Stop {
        cycle: u64,
        #[serde(with = "unit_by_name")]
        unit: Unit,
        cycles: Option<u64>,
    },
    /// The word CPU `unit` offers in `cycle` differs in data bit `bit`, with its parity bit
    /// flipped to match: a CPU that computed another value (no parity error to blame it).
    Diverge {
        cycle: u64,
        #[serde(with = "unit_by_name")]
        unit: Unit,
        bit: u8,
    },
    /// State bit `state` of the core inverted after the clock edge that ends cycle
    /// `cycle − 1`, so cycle `cycle` is the first to see it.
    Upset { cycle: u64, state: StateBit },
}

mod port_by_name {
    use crate::port::Port;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(p: &Port, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Port, D::Error> {
        let name = String::deserialize(d)?;
        Port::by_name(&name).ok_or_else(|| serde::de::Error::custom(format!("no port {name:?}")))
    }
}

mod unit_by_name {
    use crate::system::Unit;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(u: &Unit, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(u.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Unit, D::Error> {
        let name = String::deserialize(d)?;
        [Unit::CpuA, Unit::CpuB, Unit::DiskA, Unit::DiskB]
            .into_iter()
            .find(|u| u.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("no unit {name:?}")))
    }
}

impl Fault {
    /// The cycle the fault happens (begins).
    pub fn cycle(&self) -> u64 {
        match self {
            Fault::Flip { cycle, .. }
            | Fault::Stop { cycle, .. }
            | Fault::Diverge { cycle, .. }
            | Fault::Upset { cycle, .. } => *cycle,
        }
    }

    /// The kind of fault, as the report's per-kind table groups them.
    pub fn kind(&self) -> String {
        match self {
            Fault::Flip { port: Port::Link(l, sig), .. } => {
                let who = match l {
                    Link::CpuATx | Link::CpuBTx => "CPU tx",
                    Link::CpuARx | Link::CpuBRx => "CPU rx",
                    Link::DiskARx | Link::DiskBRx => "disk rx",
                    Link::DiskATx | Link::DiskBTx => "disk tx",
                };
                let what = match sig {
                    LinkSignal::Data | LinkSignal::Par => "`data` / `par`",
                    LinkSignal::Ready | LinkSignal::Rpar => "`ready` / `rpar`",
                    _ => "`valid` / `last` / `abort` / `cpar`",
                };
                format!("flip {who} {what}")
            }
            Fault::Flip { port, .. } => format!("flip {port}"),
            Fault::Stop { unit: Unit::CpuA | Unit::CpuB, cycles: Some(n), .. } => format!("CPU stops {n} cycles"),
            Fault::Stop { unit: Unit::CpuA | Unit::CpuB, cycles: None, .. } => "CPU hangs".into(),
            Fault::Stop { cycles: Some(n), .. } => format!("disk stops {n} cycles"),
            Fault::Stop { cycles: None, .. } => "disk hangs".into(),
            Fault::Diverge { .. } => "CPU word differs (good parity)".into(),
            Fault::Upset { state, .. } => match state.kind() {
                StateKind::Ff => format!("upset {} flip-flop", state.block()),
                StateKind::Mem => format!("upset {} RAM", state.block()),
            },
        }
    }

    /// Upsets: the block of the bit flipped.
    pub fn block(&self) -> Option<&'static str> {
        match self {
            Fault::Upset { state, .. } => Some(state.block()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Flip { cycle, port, bit } if port.width() > 1 => write!(f, "flip {port}[{bit}] at cycle {cycle}"),
            Fault::Flip { cycle, port, .. } => write!(f, "flip {port} at cycle {cycle}"),
            Fault::Stop { cycle, unit, cycles: Some(n) } => write!(f, "{} stops for {n} cycles at cycle {cycle}", unit.name()),
            Fault::Stop { cycle, unit, cycles: None } => write!(f, "{} hangs at cycle {cycle}", unit.name()),
            Fault::Diverge { cycle, unit, bit } => write!(f, "{} word differs, bit {bit}, cycle {cycle}", unit.name()),
            Fault::Upset { cycle, state } => write!(f, "upset {state} at cycle {cycle}"),
        }
    }
}

/// How a run ended, against the golden run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Nothing flagged, every result as in the golden run.
    Masked,
    /// Flagged; every live CPU completed the whole workload as in the golden run.
    Recovered,
    /// Flagged; the core halted; nothing wrong stored or accepted.
    Halted,
    /// Flagged, not halted, nothing wrong stored or accepted, but a live CPU did not finish
    /// cleanly (it saw a link parity error, or a completion never came).
    Disrupted,
    /// A disk stopped while no word was waiting for it, so it only failed to answer: SPEC §4
    /// says the core never interprets frames and "a disk that sends nothing back is not a
    /// fault"; the host's command timeout is what notices. Nothing flagged, nothing wrong
    /// stored or accepted, the CPUs wait. Not counted as a failure of the core.
    DiskSilent,
    /// Nothing flagged and the workload did not complete as in the golden run.
    SilentDisruption,
    /// Wrong data on a healthy disk or accepted by a CPU.
    SilentCorruption,
}

impl Outcome {
    /// Every outcome, in table order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Masked,
        Outcome::Recovered,
        Outcome::Halted,
        Outcome::Disrupted,
        Outcome::DiskSilent,
        Outcome::SilentDisruption,
        Outcome::SilentCorruption,
    ];

    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Masked => "masked",
            Outcome::Recovered => "detected-and-recovered",
            Outcome::Halted => "detected-and-halted",
            Outcome::Disrupted => "detected-disrupted",
            Outcome::DiskSilent => "disk-silent",
            Outcome::SilentDisruption => "silent-disruption",
            Outcome::SilentCorruption => "silent-corruption",
        }
    }

    /// A failure of the core's fault tolerance.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::SilentDisruption | Outcome::SilentCorruption)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Outcome {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Outcome::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| unknown("outcome", s, ""))
    }
}

/// One run of a campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "RunRecord", try_from = "RunRecord")]
pub struct RunResult {
    /// Position in the campaign (0-based).
    pub index: usize,
    /// Lockstep form.
    pub form: Form,
    /// The fault.
    pub fault: Fault,
    /// Classification.
    pub outcome: Outcome,
    /// Cycle irq first rose.
    pub irq_cycle: Option<u64>,
    /// Mode at the end (STATUS read over the UART).
    pub mode: Option<Mode>,
    /// First cause latched.
    pub cause: Option<u32>,
    /// Why the run was classified so (the first thing that differed, if anything).
    pub note: String,
    /// Cycles run.
    pub cycles: u64,
}

/// A run as the JSON report has it: the readable columns of the text table, and the fault
/// itself (`injected`) so a merged report is the same as one run.
#[derive(Clone, Serialize, Deserialize)]
struct RunRecord {
    run: usize,
    lockstep: String,
    offset: Option<u64>,
    fault: String,
    fault_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block: Option<String>,
    injected: Fault,
    outcome: Outcome,
    irq_cycle: Option<u64>,
    mode: Option<String>,
    cause: Option<String>,
    cause_code: Option<u32>,
    note: String,
    cycles: u64,
}

impl From<RunResult> for RunRecord {
    fn from(r: RunResult) -> Self {
        RunRecord {
            run: r.index,
            lockstep: r.form.kind().into(),
            offset: r.form.offset(),
            fault: r.fault.to_string(),
            fault_kind: r.fault.kind(),
            block: r.fault.block().map(String::from),
            injected: r.fault,
            outcome: r.outcome,
            irq_cycle: r.irq_cycle,
            mode: r.mode.map(|m| m.name().to_string()),
            cause: r.cause.map(Cause::name_of),
            cause_code: r.cause,
            note: r.note,
            cycles: r.cycles,
        }
    }
}

impl TryFrom<RunRecord> for RunResult {
    type Error = ReportError;
    fn try_from(r: RunRecord) -> Result<Self, ReportError> {
        let form = match (r.lockstep.as_str(), r.offset) {
            ("elastic", None) => Form::Elastic,
            ("strict", Some(offset)) => Form::Strict { offset },
            (l, o) => return Err(ReportError::Form { run: r.run, lockstep: l.to_string(), offset: o }),
        };
        let mode = match &r.mode {
            None => None,
            Some(m) => Some(Mode::parse(m).ok_or_else(|| ReportError::Mode { run: r.run, mode: m.clone() })?),
        };
        Ok(RunResult {
            index: r.run,
            form,
            fault: r.injected,
            outcome: r.outcome,
            irq_cycle: r.irq_cycle,
            mode,
            cause: r.cause_code,
            note: r.note,
            cycles: r.cycles,
        })
    }
}

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Faults (runs) of the whole campaign.
    pub faults: usize,
    /// Seed of the fault draw (the workload is fixed by `workload_seed`).
    pub seed: u64,
    /// Seed of the workload and the models' gaps and back-pressure.
    pub workload_seed: u64,
    /// Writes in the workload (each read back).
    pub writes: usize,
    /// Elastic runs: CPU B behind CPU A, cycles.
    pub skew: u64,
    /// Lockstep forms drawn.
    pub forms: Forms,
    /// Faults at the pins, or upsets inside the core.
    pub model: FaultModel,
    /// Threads, each with a model of its own (at least 1).
    pub jobs: usize,
    /// Run only shard K of N (1-based K): the runs whose index is K−1 modulo N.
    pub shard: Option<(usize, usize)>,
    /// Upsets: which state bits are drawn from (all, by default).
    pub upset_bits: UpsetBits,
    /// Core build: the default datapath with a fast UART (8 clocks per bit), so the final
    /// STATUS read costs about 1 500 cycles.
    pub params: BuildParams,
}

/// Which state bits an upset campaign draws from, each uniformly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UpsetBits {
    /// Every flip-flop and block-RAM bit.
    #[default]
    All,
    /// Flip-flop bits only (a block RAM's read register counts as flip-flops).
    Ff,
    /// Block-RAM bits only.
    Ram,
}

impl std::fmt::Display for UpsetBits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpsetBits::All => "all",
            UpsetBits::Ff => "ff",
            UpsetBits::Ram => "ram",
        })
    }
}

impl std::str::FromStr for UpsetBits {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "all" => Ok(UpsetBits::All),
            "ff" => Ok(UpsetBits::Ff),
            "ram" => Ok(UpsetBits::Ram),
            _ => Err(unknown("state bits", s, ": all, ff or ram")),
        }
    }
}
serde_as_text!(UpsetBits);

impl UpsetBits {
    /// The part of `state` drawn from.
    pub fn select(self, state: StateMap) -> StateMap {
        let keep = |k: StateKind| match self {
            UpsetBits::All => true,
            UpsetBits::Ff => k == StateKind::Ff,
            UpsetBits::Ram => k == StateKind::Mem,
        };
        StateMap { vars: state.vars.into_iter().filter(|v| keep(v.kind)).collect() }
    }
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            faults: 100,
            seed: 1,
            workload_seed: 1,
            writes: 8,
            skew: 8,
            forms: Forms::Both,
            model: FaultModel::Pins,
            jobs: 1,
            shard: None,
            upset_bits: UpsetBits::All,
            params: fast_uart_params(),
        }
    }
}

impl CampaignConfig {
    /// The run indices this configuration runs: all, or its shard's.
    pub fn indices(&self) -> Vec<usize> {
        match self.shard {
            None => (0..self.faults).collect(),
            Some((k, n)) => (k - 1..self.faults).step_by(n).collect(),
        }
    }
}

/// Parses a shard `K/N` (1 ≤ K ≤ N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), ParseError> {
    let bad = || ParseError::Shard(s.to_string());
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The state bits an upset campaign draws from, per block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSummary {
    /// Flip-flop bits.
    pub ff_bits: u64,
    /// Block-RAM bits.
    pub ram_bits: u64,
    /// Per block: (name, flip-flop bits, RAM bits).
    pub by_block: Vec<(String, u64, u64)>,
    /// Instance paths of the state in the `other` block (no pattern of
    /// `ftio_sim::state::BLOCKS` matched them).
    pub other_instances: Vec<String>,
}

/// What a report says about the campaign it comes from (a merged report: the whole
/// campaign's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInfo {
    /// Pins or upsets.
    pub fault_model: FaultModel,
    /// Faults of the whole campaign.
    pub faults: usize,
    /// Seed of the draw.
    pub seed: u64,
    /// Seed of the workload.
    pub workload_seed: u64,
    /// Writes in the workload.
    pub writes: usize,
    /// Elastic runs: CPU B behind CPU A, cycles.
    pub skew_cycles: u64,
    /// OFFSET_MAX of the build.
    pub offset_max: u64,
    /// Lockstep forms drawn.
    pub lockstep: Forms,
    /// The shard, `K/N`, or none for the whole campaign.
    pub shard: Option<String>,
    /// Upsets: the state drawn from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateSummary>,
    /// Upsets: which state bits were drawn from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upset_bits: Option<UpsetBits>,
    /// The core was the hardened build (`--harden`, PARAMS.harden).
    #[serde(default)]
    pub harden: bool,
    /// The build's register stages (`--pipeline N`, PARAMS.pipeline); absent from a report
    /// of the default build (0), so its JSON is as before the option.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pipeline: u8,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// The result of a campaign.
#[derive(Clone, Debug)]
pub struct CampaignReport {
    /// What was run.
    pub info: CampaignInfo,
    /// Cycles of the golden run of each lockstep form the campaign drew.
    pub golden: BTreeMap<Form, u64>,
    /// One per fault, in index order.
    pub runs: Vec<RunResult>,
    /// Wall time, seconds (merged: the sum over the shards).
    pub seconds: f64,
    /// Threads used (merged: the most any shard used).
    pub jobs: usize,
}

fn workload(cfg: &CampaignConfig, form: Form) -> (System, Vec<Op>, u64) {
    let capacity = 512;
    let ops = crate::demo::demo_workload(cfg.workload_seed, cfg.writes, capacity, 4);
    let cpu = CpuConfig { seed: cfg.workload_seed ^ 0xCA, gap: 0.05, stall: 0.1, data_fis_sectors: 2, think: 4, ..Default::default() };
    let disk = DiskConfig { seed: cfg.workload_seed ^ 0xDA, gap: 0.05, stall: 0.1, latency: 12, data_fis_sectors: 2 };
    let sys = match form {
        Form::Elastic => System::lockstep(cpu, &ops, cfg.skew, disk, capacity),
        Form::Strict { offset } => System::strict(cpu, &ops, STRICT_START, offset, disk, capacity),
    };
    (sys, ops, capacity)
}

/// Draws fault number `index` of a campaign with seed `seed`, in a cycle from `from + 1` up
/// to `golden_cycles - 1` (the golden run of the run's lockstep form; `from` is its
/// [`Form::start`]).
pub fn draw_fault(seed: u64, index: usize, from: u64, golden_cycles: u64) -> Fault {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let cycle = rng.gen_range(from + 1..golden_cycles.max(from + 2));
    let kind = rng.gen_range(0..100);
    if kind < 8 {
        let unit = if rng.gen_bool(0.5) { Unit::CpuA } else { Unit::CpuB };
        Fault::Diverge { cycle, unit, bit: rng.gen_range(0..32) }
    } else if kind < 70 {
        let inputs: Vec<Port> = Link::all()
            .flat_map(|l| {
                let sigs: &[LinkSignal] = match l.flow() {
                    Flow::IntoCore => &[
                        LinkSignal::Valid,
                        LinkSignal::Data,
                        LinkSignal::Last,
                        LinkSignal::Abort,
                        LinkSignal::Par,
                        LinkSignal::Cpar,
                    ],
                    Flow::OutOfCore => &[LinkSignal::Ready, LinkSignal::Rpar],
                };
                sigs.iter().map(move |&s| l.port(s)).collect::<Vec<_>>()
            })
            .collect();
        let port = inputs[rng.gen_range(0..inputs.len())];
        let bit = rng.gen_range(0..port.width()) as u8;
        Fault::Flip { cycle, port, bit }
    } else if kind < 85 {
        let unit = if rng.gen_bool(0.5) { Unit::CpuA } else { Unit::CpuB };
        Fault::Stop { cycle, unit, cycles: Some([100, 400, 2000][rng.gen_range(0..3)]) }
    } else {
        let unit = if rng.gen_bool(0.5) { Unit::DiskA } else { Unit::DiskB };
        let cycles = [Some(1000), Some(6000), None][rng.gen_range(0..3)];
        Fault::Stop { cycle, unit, cycles }
    }
}

/// Draws upset number `index` of a campaign with seed `seed`: a cycle as [`draw_fault`]
/// draws it, and a state bit uniform over every state bit of `state`.
pub fn draw_upset(seed: u64, index: usize, from: u64, golden_cycles: u64, state: &StateMap) -> Fault {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64 ^ 0x0B5E_75E7_0000_0000);
    let cycle = rng.gen_range(from + 1..golden_cycles.max(from + 2));
    let n = rng.gen_range(0..state.total_bits().max(1));
    Fault::Upset { cycle, state: state.bit(n).expect("a state bit below the total") }
}

/// Everything one run produced that the oracle looks at.
struct Run {
    sys: System,
    irq_cycle: Option<u64>,
    status: Option<u32>,
    cycles: u64,
    /// At the end, a word waited on disk A's / disk B's link.
    waiting: [bool; 2],
    /// Strict runs: the host's OFFSET and CTRL writes were answered OK before
    /// [`STRICT_START`].
    setup: Result<(), SetupError>,
    /// An upset that could not be applied (a fault of the campaign's machinery).
    flip_error: Option<StateAccessError>,
}

fn run_one(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, form: Form, fault: Option<&Fault>, max_cycles: u64) -> Run {
    let (mut sys, _, _) = workload(cfg, form);
    match fault {
        Some(Fault::Flip { cycle, port, bit }) => sys.flips.push(PinFlip { cycle: *cycle, port: *port, bit: *bit }),
        Some(Fault::Stop { cycle, unit, cycles }) => sys.freezes.push(Freeze::new(*unit, Trigger::AtCycle(*cycle), *cycles)),
        Some(Fault::Diverge { cycle, unit, bit }) => {
            let link = if *unit == Unit::CpuA { Link::CpuATx } else { Link::CpuBTx };
            sys.flips.push(PinFlip { cycle: *cycle, port: link.port(LinkSignal::Data), bit: *bit });
            sys.flips.push(PinFlip { cycle: *cycle, port: link.port(LinkSignal::Par), bit: *bit / 8 });
        }
        // Applied in the loop below, between two cycles.
        Some(Fault::Upset { .. }) | None => {}
    }
    let mut rig = Rig::new(Box::new(lib.instantiate()), sys, FAST_UART_DIVIDER);
    if let Form::Strict { offset } = form {
        // As a host does it (ftctl set offset D; ftctl set lockstep strict), while the CPUs
        // are idle; CTRL written with mode DUPLEX, the rest power-on.
        let ctrl = reg("CTRL");
        rig.host.write("OFFSET", "OFFSET", offset as u32);
        rig.host.write("CTRL strict", "CTRL", ctrl.f("lockstep").insert(ctrl.f("mode").insert(0, 0), 1));
    }
    let mut irq_cycle = None;
    let mut last_move = 0;
    let mut asked = false;
    // STATUS is read only once the fault has happened and had time to show.
    let settle = fault.map_or(0, |f| f.cycle() + 64);
    let mut flip_error = None;
    loop {
        if let Some(Fault::Upset { cycle, state }) = fault {
            if rig.cycle == *cycle {
                flip_error = rig.sim.flip_state(state).err();
            }
        }
        let pins = rig.step();
        let c = rig.cycle - 1;
        if pins.irq && irq_cycle.is_none() {
            irq_cycle = Some(c);
        }
        if pins.moved.iter().any(|&m| m) {
            last_move = c;
        }
        let s = &rig.sys;
        let disks_idle = (s.disk_a.idle() || s.is_frozen(Unit::DiskA)) && (s.disk_b.idle() || s.is_frozen(Unit::DiskB));
        let finished = (s.cpu_a.done() && s.cpu_b.done() && disks_idle)
            || ((s.cpu_a.done() || s.cpu_b.done()) && disks_idle && c > last_move + 2_000)
            || c > last_move + 10_000
            || c >= max_cycles;
        if finished && !asked && c >= settle {
            asked = true;
            rig.host.read("STATUS", "STATUS", 1);
        }
        if asked && rig.host.idle() {
            break;
        }
    }
    let status = rig.host.answers.last().and_then(|a| a.result.as_ref().ok()).and_then(|d| d.first().copied());
    let waiting = [Link::DiskATx, Link::DiskBTx].map(|l| rig.sim.get_bit(l.port(LinkSignal::Valid)));
    // The strict set-up: both writes answered OK before the CPUs started.
    let setup = match form {
        Form::Elastic => Ok(()),
        Form::Strict { .. } => {
            let writes = &rig.host.answers[..rig.host.answers.len().min(2)];
            match writes.iter().find(|a| a.result.is_err() || a.cycle >= STRICT_START) {
                _ if writes.len() < 2 => Err(SetupError::NotAnswered),
                Some(a) => Err(SetupError::Write { label: a.label.clone(), cycle: a.cycle, result: match &a.result {
                    Ok(data) => format!("Ok({data:?})"),
                    Err(e) => format!("Err({:?})", crate::error::chain(e)),
                } }),
                None => Ok(()),
            }
        }
    };
    Run { cycles: rig.cycle, irq_cycle, status, sys: rig.sys, waiting, setup, flip_error }
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Write { lba, data } => format!("write of {} sectors at {lba}", data.len() / crate::models::fis::SECTOR_BYTES),
        Op::Read { lba, sectors } => format!("read of {sectors} sectors at {lba}"),
    }
}

fn same(a: &Completion, b: &Completion) -> bool {
    (&a.op, a.status, a.error, &a.read_data) == (&b.op, b.status, b.error, &b.read_data)
}

fn classify(run: &Run, fault: Option<&Fault>, golden: &[Completion], prefixes: &[[u8; 32]], ops: &[Op]) -> (Outcome, String) {
    let st = |n: &str| run.status.map(|s| reg("STATUS").f(n).get(s));
    let mode = st("mode").map(Mode::from_field);
    let live: Vec<&CpuModel> = match mode {
        Some(Mode::Duplex) => vec![&run.sys.cpu_a, &run.sys.cpu_b],
        Some(Mode::SimplexA) => vec![&run.sys.cpu_a],
        Some(Mode::SimplexB) => vec![&run.sys.cpu_b],
        _ => vec![],
    };
    // Corruption: a CPU the final mode trusts accepted something the golden run did not give
    // it. An isolated CPU is out of the system (its fault was its own link's: a lost or extra
    // word on it is what isolated it), so what it accepts is not the core's output.
    let trusted = |name: &str| match mode {
        Some(Mode::SimplexA) => name == "CPU A",
        Some(Mode::SimplexB) => name == "CPU B",
        _ => true,
    };
    for (name, cpu) in [("CPU A", &run.sys.cpu_a), ("CPU B", &run.sys.cpu_b)] {
        if !trusted(name) {
            continue;
        }
        for (i, c) in cpu.completions.iter().enumerate() {
            let accepted = !c.parity_error && c.status & 1 == 0;
            if accepted && (i >= golden.len() || c.op != golden[i].op || c.read_data != golden[i].read_data) {
                // What the CPU itself noticed about it, if anything (its first error from the
                // cycle of that completion), so the report says what went wrong.
                let seen = cpu.errors.iter().find(|e| e.starts_with(&format!("cycle {}:", c.completed_at)));
                let what = match (&c.op, golden.get(i)) {
                    (op, Some(g)) if *op != g.op => format!("{op_kind} instead of the golden {g_kind}", op_kind = op_name(op), g_kind = op_name(&g.op)),
                    (op, _) => format!("{} with other data", op_name(op)),
                };
                // An operation of this CPU that failed before (a write refused by the disk that
                // serves it leaves that disk without the data the CPU reads back).
                let failed_before = cpu.completions[..i].iter().position(|p| p.status & 1 != 0);
                return (
                    Outcome::SilentCorruption,
                    format!(
                        "{name} accepted a wrong completion for operation {i} at its cycle {} ({what}{}){}",
                        c.completed_at,
                        seen.map(|e| format!("; it noted: {}", e.split_once(": ").map_or(e.as_str(), |x| x.1))).unwrap_or_default(),
                        failed_before
                            .map(|j| format!("; its operation {j} ({}) had failed", op_name(&cpu.completions[j].op)))
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
    let acked = |cpu: &CpuModel| {
        cpu.completions.iter().filter(|c| matches!(c.op, Op::Write { .. }) && c.status & 1 == 0).count()
    };
    let acked = acked(&run.sys.cpu_a).max(acked(&run.sys.cpu_b));
    for (name, failed, disk) in [("disk A", "disk_a_failed", &run.sys.disk_a), ("disk B", "disk_b_failed", &run.sys.disk_b)] {
        if st(failed) == Some(1) {
            continue;
        }
        let h = disk.image.sha256();
        match prefixes.iter().position(|p| *p == h) {
            Some(j) if j >= acked => {}
            Some(j) => {
                return (Outcome::SilentCorruption, format!("healthy {name} lacks acknowledged writes ({j} of {acked})"));
            }
            None => return (Outcome::SilentCorruption, format!("healthy {name} holds data no prefix of the writes gives")),
        }
    }
    let clean = |c: &CpuModel| {
        c.errors.is_empty()
            && c.rx.errors.is_empty()
            && c.completions.len() == ops.len()
            && c.completions.iter().zip(golden).all(|(x, y)| same(x, y))
    };
    let flagged = run.irq_cycle.is_some();
    let mode_name = mode.map_or("?", |m| m.name());
    if run.status.is_none() {
        return (Outcome::SilentDisruption, "the host got no STATUS answer".into());
    }
    if !flagged {
        if clean(&run.sys.cpu_a) && clean(&run.sys.cpu_b) && prefixes.last().is_some_and(|g| *g == run.sys.disk_a.image.sha256() && *g == run.sys.disk_b.image.sha256()) {
            return (Outcome::Masked, String::new());
        }
        // Only a disk that hung for good with nothing waiting for it: one that stopped for a
        // while and was not flagged must have been masked.
        if let Some(Fault::Stop { unit: unit @ (Unit::DiskA | Unit::DiskB), cycles: None, .. }) = fault {
            let i = if *unit == Unit::DiskA { 0 } else { 1 };
            if !run.waiting[i] {
                return (Outcome::DiskSilent, "no word waits for it: the CPUs wait for its answer".into());
            }
        }
        return (Outcome::SilentDisruption, format!("nothing flagged, mode {mode_name}, workload not as in the golden run"));
    }
    if mode == Some(Mode::Halted) {
        return (Outcome::Halted, String::new());
    }
    if !live.is_empty() && live.iter().all(|c| clean(c)) {
        return (Outcome::Recovered, String::new());
    }
    let why = live
        .iter()
        .find(|c| !clean(c))
        .map(|c| {
            c.errors.first().cloned().unwrap_or_else(|| format!("{} of {} operations completed", c.completions.len(), ops.len()))
        })
        .unwrap_or_default();
    (Outcome::Disrupted, why)
}

/// The golden run of one lockstep form.
struct Golden {
    cycles: u64,
    completions: Vec<Completion>,
}

/// Runs the fault-free run of `form` and checks it completed cleanly.
fn golden_run(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, form: Form, prefixes: &[[u8; 32]]) -> Result<Golden, CampaignError> {
    let golden = run_one(lib, cfg, form, None, 5_000_000);
    golden.setup.clone().map_err(|source| CampaignError::GoldenSetup { form, source })?;
    let g = &golden.sys;
    let image = prefixes.last().expect("the empty prefix at least");
    let golden_ok = g.cpu_a.done()
        && g.cpu_b.done()
        && g.cpu_a.errors.is_empty()
        && g.cpu_b.errors.is_empty()
        && golden.irq_cycle.is_none()
        && g.disk_a.image.sha256() == *image
        && g.disk_b.image.sha256() == *image
        && g.cpu_a.completions.len() == g.cpu_b.completions.len()
        && g.cpu_a.completions.iter().zip(&g.cpu_b.completions).all(|(a, b)| same(a, b));
    if !golden_ok {
        let errors: Vec<String> = g.cpu_a.errors.iter().chain(&g.cpu_b.errors).take(3).cloned().collect();
        return Err(CampaignError::GoldenUnclean { form, irq: golden.irq_cycle, errors });
    }
    Ok(Golden { cycles: golden.cycles, completions: g.cpu_a.completions.clone() })
}

/// Runs `f` on every item on `jobs` threads; `done(i, result)` on the calling thread as each
/// finishes (in completion order).
fn par_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync, mut done: impl FnMut(usize, R)) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, f(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, r) in rx {
            done(i, r);
        }
    });
}

/// What every run of a campaign shares.
struct Env<'a> {
    lib: &'a Arc<VerilatedLib>,
    cfg: &'a CampaignConfig,
    prefixes: &'a [[u8; 32]],
    ops: &'a [Op],
}

impl Env<'_> {
    /// Runs `fault` in `form` and classifies it against `golden`.
    fn judge(&self, index: usize, form: Form, fault: Fault, golden: &Golden) -> Result<RunResult, CampaignError> {
        let extra = match &fault {
            Fault::Stop { cycles: Some(n), .. } => *n,
            _ => 0,
        };
        let run = run_one(self.lib, self.cfg, form, Some(&fault), 3 * golden.cycles + extra + 20_000);
        if let Some(source) = run.flip_error.clone() {
            return Err(CampaignError::Upset { index, source });
        }
        let (outcome, note) = match &run.setup {
            Err(e) => (Outcome::SilentDisruption, format!("strict set-up: {e}")),
            Ok(()) => classify(&run, Some(&fault), &golden.completions, self.prefixes, self.ops),
        };
        let st = |n: &str| run.status.map(|s| reg("STATUS").f(n).get(s));
        Ok(RunResult {
            index,
            form,
            fault,
            outcome,
            irq_cycle: run.irq_cycle,
            mode: st("mode").map(Mode::from_field),
            cause: st("cause"),
            note,
            cycles: run.cycles,
        })
    }
}

/// Runs one chosen fault (a pin fault, or an upset on a model from [`upset_model`]) in
/// lockstep form `form` with `cfg`'s workload, and classifies it as a campaign would; also
/// returns the cycles of the golden run of `form`.
pub fn run_fault(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, form: Form, fault: Fault) -> Result<(RunResult, u64), CampaignError> {
    let (_, ops, capacity) = workload(cfg, form);
    let writes: Vec<Op> = ops.iter().filter(|o| matches!(o, Op::Write { .. })).cloned().collect();
    let prefixes: Vec<[u8; 32]> = (0..=writes.len()).map(|j| golden_sha256(capacity, &writes[..j])).collect();
    let golden = golden_run(lib, cfg, form, &prefixes)?;
    let env = Env { lib, cfg, prefixes: &prefixes, ops: &ops };
    Ok((env.judge(0, form, fault, &golden)?, golden.cycles))
}

/// The upset campaign's state: every state bit of the core, and the model that can flip them.
pub fn upset_model(params: &BuildParams) -> Result<(StateMap, Arc<VerilatedLib>), CampaignError> {
    let verilog = ftio_hdl::core_verilog(params)?;
    let cache = crate::verilator::cache_dir();
    std::fs::create_dir_all(&cache).map_err(|source| CampaignError::Cache { path: cache.clone(), source })?;
    let state = crate::state::enumerate(&verilog, &cache)?;
    let lib = load_variant(&verilog, &Variant::State { vlt: crate::state::verilator_config(&state) })?;
    Ok((state, lib))
}

fn state_summary(state: &StateMap) -> StateSummary {
    let mut other: Vec<String> =
        state.vars.iter().filter(|v| v.block() == crate::state::OTHER).map(|v| v.name()).collect();
    other.dedup();
    StateSummary {
        ff_bits: state.ff_bits(),
        ram_bits: state.mem_bits(),
        by_block: state.bits_by_block().into_iter().map(|(b, f, m)| (b.to_string(), f, m)).collect(),
        other_instances: other,
    }
}

/// Runs a campaign (its shard, if `cfg.shard`) on `cfg.jobs` threads; `progress(done, total)`
/// after each run.
pub fn run_campaign(cfg: &CampaignConfig, progress: &mut dyn FnMut(usize, usize)) -> Result<CampaignReport, CampaignError> {
    if cfg.faults == 0 {
        return Err(CampaignError::NoFaults);
    }
    if cfg.writes == 0 {
        return Err(CampaignError::NoWrites);
    }
    if let Some((k, n)) = cfg.shard {
        if k == 0 || k > n {
            return Err(CampaignError::Shard { k, n });
        }
    }
    let start = Instant::now();
    let (state, lib) = match cfg.model {
        FaultModel::Pins => (None, load_variant(&ftio_hdl::core_verilog(&cfg.params)?, &Variant::Ports)?),
        FaultModel::Upsets => {
            let (state, lib) = upset_model(&cfg.params)?;
            let state = cfg.upset_bits.select(state);
            if state.total_bits() == 0 {
                return Err(CampaignError::NoStateBits(cfg.upset_bits));
            }
            (Some(state), lib)
        }
    };
    let (_, ops, capacity) = workload(cfg, Form::Elastic);
    let writes: Vec<&Op> = ops.iter().filter(|o| matches!(o, Op::Write { .. })).collect();
    let prefixes: Vec<[u8; 32]> =
        (0..=writes.len()).map(|j| golden_sha256(capacity, &writes[..j].iter().map(|o| (*o).clone()).collect::<Vec<_>>())).collect();
    let offset_max = 1u64 << cfg.params.offset_max_log2;
    let indices = cfg.indices();
    let forms: Vec<Form> = indices.iter().map(|&i| draw_form(cfg.seed, i, cfg.forms, offset_max)).collect();
    let distinct: Vec<Form> = forms.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let mut goldens: BTreeMap<Form, Result<Golden, CampaignError>> = BTreeMap::new();
    par_map(&distinct, cfg.jobs, |&form| golden_run(&lib, cfg, form, &prefixes), |i, g| {
        goldens.insert(distinct[i], g);
    });
    let mut checked: BTreeMap<Form, Golden> = BTreeMap::new();
    for (form, g) in goldens {
        let g = g?;
        // Every form does the same operations and must get the same answers.
        if let Some(other) = checked.values().next() {
            if other.completions.len() != g.completions.len()
                || other.completions.iter().zip(&g.completions).any(|(a, b)| !same(a, b))
            {
                return Err(CampaignError::GoldenDiffers(form));
            }
        }
        checked.insert(form, g);
    }
    let goldens = checked;
    let jobs: Vec<(usize, Form)> = indices.iter().copied().zip(forms).collect();
    let total = jobs.len();
    let mut results: Vec<Option<Result<RunResult, CampaignError>>> = (0..total).map(|_| None).collect();
    let mut finished = 0;
    let env = Env { lib: &lib, cfg, prefixes: &prefixes, ops: &ops };
    par_map(
        &jobs,
        cfg.jobs,
        |&(index, form)| {
            let golden = &goldens[&form];
            let fault = match &state {
                None => draw_fault(cfg.seed, index, form.start(), golden.cycles),
                Some(state) => draw_upset(cfg.seed, index, form.start(), golden.cycles, state),
            };
            env.judge(index, form, fault, golden)
        },
        |i, r| {
            results[i] = Some(r);
            finished += 1;
            progress(finished, total);
        },
    );
    let runs = results.into_iter().map(|r| r.expect("every run reported")).collect::<Result<Vec<_>, _>>()?;
    let info = CampaignInfo {
        fault_model: cfg.model,
        faults: cfg.faults,
        seed: cfg.seed,
        workload_seed: cfg.workload_seed,
        writes: cfg.writes,
        skew_cycles: cfg.skew,
        offset_max,
        lockstep: cfg.forms,
        shard: cfg.shard.map(|(k, n)| format!("{k}/{n}")),
        state: state.as_ref().map(state_summary),
        upset_bits: state.as_ref().map(|_| cfg.upset_bits),
        harden: cfg.params.harden,
        pipeline: cfg.params.pipeline,
    };
    let golden = goldens.into_iter().map(|(f, g)| (f, g.cycles)).collect();
    Ok(CampaignReport { info, golden, runs, seconds: start.elapsed().as_secs_f64(), jobs: cfg.jobs.max(1) })
}

/// Outcome counts in [`Outcome::ALL`] order.
type Counts = [usize; 7];

fn counts<'a>(runs: impl Iterator<Item = &'a RunResult>) -> Counts {
    let mut n = [0; 7];
    for r in runs {
        n[Outcome::ALL.iter().position(|&o| o == r.outcome).expect("listed")] += 1;
    }
    n
}

fn totals_map(n: &Counts) -> BTreeMap<String, usize> {
    Outcome::ALL.iter().zip(n).map(|(o, &c)| (o.name().to_string(), c)).collect()
}

/// The JSON report.
#[derive(Serialize, Deserialize)]
struct ReportJson {
    tool: String,
    #[serde(flatten)]
    info: CampaignInfo,
    golden_cycles: BTreeMap<Form, u64>,
    totals: BTreeMap<String, usize>,
    totals_by_lockstep: BTreeMap<String, BTreeMap<String, usize>>,
    runs_by_lockstep: BTreeMap<String, usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    totals_by_block: Option<BTreeMap<String, BTreeMap<String, usize>>>,
    runs: Vec<RunResult>,
    silent_failures: usize,
    seconds: f64,
    jobs: usize,
}

const TOOL: &str = "ftio campaign";

impl CampaignReport {
    /// Runs of `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Runs of `outcome` in lockstep form `kind` ("elastic" or "strict").
    pub fn count_in(&self, kind: &str, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.form.kind() == kind && r.outcome == outcome).count()
    }

    /// Runs in lockstep form `kind`.
    pub fn runs_in(&self, kind: &str) -> usize {
        self.runs.iter().filter(|r| r.form.kind() == kind).count()
    }

    /// Runs that are failures of the core.
    pub fn failures(&self) -> usize {
        self.runs.iter().filter(|r| r.outcome.is_failure()).count()
    }

    /// Cycles of the golden run of `form` (if the campaign drew it).
    pub fn golden_cycles(&self, form: Form) -> Option<u64> {
        self.golden.get(&form).copied()
    }

    /// Upsets: outcome counts per block, in `ftio_sim::state::block_names` order (blocks
    /// no run hit left out).
    pub fn by_block(&self) -> Vec<(&'static str, Counts)> {
        crate::state::block_names()
            .into_iter()
            .map(|b| (b, counts(self.runs.iter().filter(|r| r.fault.block() == Some(b)))))
            .filter(|(_, n)| n.iter().sum::<usize>() > 0)
            .collect()
    }

    /// The table of every run, the totals per lockstep form, per fault kind, and for upsets
    /// per block and per state variable that failed.
    pub fn text(&self) -> String {
        let c = &self.info;
        let strict_d: Vec<String> = self.golden.keys().filter_map(|f| f.offset()).map(|d| d.to_string()).collect();
        let what = match (&c.fault_model, &c.state) {
            (FaultModel::Upsets, Some(st)) => format!(
                "{} single upsets inside the core, each bit drawn uniformly over {} {} state bits ({} flip-flop, {} block-RAM)",
                c.faults,
                match c.upset_bits {
                    Some(UpsetBits::Ff) => "the flip-flop bits of its",
                    Some(UpsetBits::Ram) => "the block-RAM bits of its",
                    _ => "its",
                },
                st.ff_bits + st.ram_bits,
                st.ff_bits,
                st.ram_bits
            ),
            _ => format!("{} single faults", c.faults),
        };
        let what = if c.harden { format!("{what} (hardened build, --harden)") } else { what };
        let what = if c.pipeline > 0 { format!("{what} (pipelined build, --pipeline {})", c.pipeline) } else { what };
        let mut s = format!(
            "ftio campaign: {what}, seed {}{}; workload: {} writes + read-backs in lockstep — elastic (CPU B {} cycles behind) \
             and strict (CPU B exactly D cycles behind, OFFSET_MAX {}; D drawn: {}); golden runs: {}\n",
            c.seed,
            c.shard.as_ref().map(|k| format!(", shard {k}")).unwrap_or_default(),
            c.writes,
            c.skew_cycles,
            c.offset_max,
            if strict_d.is_empty() { "none".into() } else { strict_d.join(" ") },
            self.golden.iter().map(|(f, n)| format!("{f} {n}")).collect::<Vec<_>>().join(", ")
        );
        if let Some(st) = &c.state {
            s += "state bits per block (flip-flop / RAM): ";
            s += &st.by_block.iter().map(|(b, f, m)| format!("{b} {f}/{m}")).collect::<Vec<_>>().join(", ");
            s += "\n";
            if !st.other_instances.is_empty() {
                s += &format!("block `other` (no pattern of ftio_sim::state::BLOCKS matched): {}\n", st.other_instances.join(" "));
            }
        }
        s += &format!("\n{:>5}  {:<11} {:<44} {:<24} {:>8}  {:<10} {}\n", "run", "lockstep", "fault", "outcome", "irq", "mode", "cause / note");
        for r in &self.runs {
            let cause = r.cause.filter(|&c| c != 0).map(Cause::name_of).unwrap_or_default();
            let note = if r.note.is_empty() { cause } else if cause.is_empty() { r.note.clone() } else { format!("{cause}; {}", r.note) };
            s += &format!(
                "{:>5}  {:<11} {:<44} {:<24} {:>8}  {:<10} {}\n",
                r.index,
                r.form.to_string(),
                r.fault.to_string(),
                r.outcome.name(),
                r.irq_cycle.map_or("-".into(), |c| c.to_string()),
                r.mode.map_or("?", |m| m.name()),
                note
            );
        }
        s += &format!("\n{:<24} {:>7} {:>7} {:>7}\n", "outcome", "elastic", "strict", "all");
        for o in Outcome::ALL {
            s += &format!("{:<24} {:>7} {:>7} {:>7}\n", o.name(), self.count_in("elastic", o), self.count_in("strict", o), self.count(o));
        }
        s += &format!("{:<24} {:>7} {:>7} {:>7}\n", "runs", self.runs_in("elastic"), self.runs_in("strict"), self.runs.len());
        // Corruption is judged at the disks and CPUs whether or not irq rose: say how many of
        // them the core did flag (it saw something, but did not keep the wrong data out).
        let corrupt = self.count(Outcome::SilentCorruption);
        if corrupt > 0 {
            let flagged = self.runs.iter().filter(|r| r.outcome == Outcome::SilentCorruption && r.irq_cycle.is_some()).count();
            s += &format!("(silent-corruption: irq rose in {flagged} of the {corrupt}, but the wrong data still reached a disk or CPU)\n");
        }
        let header = "  runs  masked  recovered  halted  disrupted  disk-silent  silent-disruption  silent-corruption";
        let row = |k: &str, n: &Counts| {
            format!(
                "  {:<48} {:>5}  {:>6}  {:>9}  {:>6}  {:>9}  {:>11}  {:>17}  {:>17}\n",
                k,
                n.iter().sum::<usize>(),
                n[0],
                n[1],
                n[2],
                n[3],
                n[4],
                n[5],
                n[6]
            )
        };
        for kind in ["elastic", "strict"] {
            if self.runs_in(kind) == 0 {
                continue;
            }
            s += &format!("\n{kind}: by fault kind{:>w$}{header}\n", "", w = 50 - kind.len() - 15);
            let mut kinds: BTreeMap<String, Vec<&RunResult>> = BTreeMap::new();
            for r in self.runs.iter().filter(|r| r.form.kind() == kind) {
                kinds.entry(r.fault.kind()).or_default().push(r);
            }
            for (k, runs) in &kinds {
                s += &row(k, &counts(runs.iter().copied()));
            }
        }
        if c.fault_model == FaultModel::Upsets {
            s += &format!("\nby block, both forms{:>30}{header}\n", "");
            for (b, n) in self.by_block() {
                s += &row(b, &n);
            }
            // The state variables whose upsets went unnoticed: where hardening is needed.
            let mut vars: BTreeMap<String, Counts> = BTreeMap::new();
            for r in self.runs.iter().filter(|r| r.outcome.is_failure()) {
                if let Fault::Upset { state, .. } = &r.fault {
                    *vars.entry(format!("{} ({})", state.var_name(), state.block())).or_default() =
                        counts(self.runs.iter().filter(|x| {
                            matches!(&x.fault, Fault::Upset { state: t, .. } if t.var_name() == state.var_name())
                        }));
                }
            }
            if !vars.is_empty() {
                s += &format!("\nstate variables with a silent failure{:>13}{header}\n", "");
                for (v, n) in &vars {
                    s += &row(v, n);
                }
            }
        }
        s += &format!(
            "\nftio campaign: {} runs ({} elastic, {} strict) in {:.1} s on {} thread{}; {} silent failure{}\n",
            self.runs.len(),
            self.runs_in("elastic"),
            self.runs_in("strict"),
            self.seconds,
            self.jobs,
            if self.jobs == 1 { "" } else { "s" },
            self.failures(),
            if self.failures() == 1 { "" } else { "s" }
        );
        s
    }

    fn to_json(&self) -> ReportJson {
        let by_kind = |k: &str| totals_map(&counts(self.runs.iter().filter(|r| r.form.kind() == k)));
        ReportJson {
            tool: TOOL.into(),
            info: self.info.clone(),
            golden_cycles: self.golden.clone(),
            totals: totals_map(&counts(self.runs.iter())),
            totals_by_lockstep: [("elastic".to_string(), by_kind("elastic")), ("strict".to_string(), by_kind("strict"))].into(),
            runs_by_lockstep: [("elastic".to_string(), self.runs_in("elastic")), ("strict".to_string(), self.runs_in("strict"))]
                .into(),
            totals_by_block: (self.info.fault_model == FaultModel::Upsets)
                .then(|| self.by_block().into_iter().map(|(b, n)| (b.to_string(), totals_map(&n))).collect()),
            runs: self.runs.clone(),
            silent_failures: self.failures(),
            seconds: self.seconds,
            jobs: self.jobs,
        }
    }

    /// The report as JSON (pretty-printed).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).expect("a report serialises")
    }

    /// A report read back from its JSON; the totals in it must agree with its runs.
    pub fn from_json(text: &str) -> Result<CampaignReport, ReportError> {
        let j: ReportJson = serde_json::from_str(text).map_err(ReportError::Json)?;
        if j.tool != TOOL {
            return Err(ReportError::Tool(j.tool));
        }
        let mut runs = j.runs;
        runs.sort_by_key(|r| r.index);
        let report = CampaignReport { info: j.info, golden: j.golden_cycles, runs, seconds: j.seconds, jobs: j.jobs };
        if report.to_json().totals != j.totals || report.failures() != j.silent_failures {
            return Err(ReportError::Totals);
        }
        Ok(report)
    }
}

/// Combines the reports of the shards of one campaign (`--shard K/N` for every K of one N,
/// same seed and settings) into the report of the whole campaign: the same runs, table and
/// totals as running it in one go. Wall time is the sum over the shards.
pub fn merge(reports: Vec<CampaignReport>) -> Result<CampaignReport, ReportError> {
    let first = reports.first().ok_or(ReportError::Nothing)?;
    let whole = CampaignInfo { shard: None, ..first.info.clone() };
    let mut n_shards = None;
    let mut seen = BTreeSet::new();
    for (i, r) in reports.iter().enumerate() {
        if (CampaignInfo { shard: None, ..r.info.clone() }) != whole {
            return Err(ReportError::OtherCampaign(i + 1));
        }
        let shard = r.info.shard.as_deref().ok_or(ReportError::Whole(i + 1))?;
        let (k, n) = parse_shard(shard)?;
        if *n_shards.get_or_insert(n) != n {
            return Err(ReportError::ShardCount { report: i + 1, k, n, others: n_shards.unwrap() });
        }
        if !seen.insert(k) {
            return Err(ReportError::Twice { k, n });
        }
    }
    let n = n_shards.expect("at least one report");
    let missing: Vec<String> = (1..=n).filter(|k| !seen.contains(k)).map(|k| format!("{k}/{n}")).collect();
    if !missing.is_empty() {
        return Err(ReportError::Missing(missing));
    }
    let mut golden: BTreeMap<Form, u64> = BTreeMap::new();
    let mut runs = vec![];
    let (mut seconds, mut jobs) = (0.0, 1);
    for r in reports {
        for (f, c) in r.golden {
            if *golden.entry(f).or_insert(c) != c {
                return Err(ReportError::Golden { form: f, cycles: [golden[&f], c] });
            }
        }
        runs.extend(r.runs);
        seconds += r.seconds;
        jobs = jobs.max(r.jobs);
    }
    runs.sort_by_key(|r| r.index);
    if runs.len() != whole.faults || runs.iter().enumerate().any(|(i, r)| r.index != i) {
        return Err(ReportError::Runs { runs: runs.len(), last: whole.faults - 1 });
    }
    Ok(CampaignReport { info: whole, golden, runs, seconds, jobs })
}
