//! Every state bit of the generated `ftio_core`, enumerated from the design itself, for the
//! upset campaign ([`crate::campaign`] with `--upsets`).
//!
//! A yosys pass over the Verilog (`proc; memory_dff; memory_collect`, hierarchy kept: rust-hdl
//! gives every instance a module of its own) lists every flip-flop cell (`$dff` and the other
//! yosys flip-flop types) by the wire its Q drives, and every memory (`$mem_v2`) with its
//! width and depth; a memory whose read port is clocked (rust-hdl's block RAMs register their
//! `read_data`) also holds that read register, counted as flip-flops. Flip-flops yosys makes
//! for a memory's write port (`$memwr$…` wires) are folded into the memory by `memory_dff`:
//! they are the write itself, not state of their own. rust-hdl's combinational `reg`s become
//! no cell at all. Nothing here is a hand-written list: a block added to the core is in the
//! campaign the next time it runs.
//!
//! Each state variable is named by its instance path (`fabric.buf_da.wptr`) and the Verilog
//! variable (`q`, `mem`, `read_data`); [`verilator_config`] makes exactly those variables
//! `public_flat_rw` in the Verilator model, so the harness can flip one bit of one of them by
//! name between two cycles (`VerilatorCore::flip_state`), and Verilator re-evaluates the
//! logic that reads it before the next edge.
//!
//! [`BLOCKS`] maps instance paths to the blocks the report breaks outcomes down by.
use crate::error::IoAt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// Flip-flop or memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateKind {
    /// Flip-flops (one bit each).
    Ff,
    /// A block RAM: `depth` words of `width` bits.
    Mem,
}

/// One state variable of the design.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateVar {
    /// Instance path below `ftio_core`, dotted (`fabric.buf_da.wptr`; empty for the top).
    pub path: String,
    /// The Verilog module of that instance (`ftio_core$fabric$buf_da$wptr`).
    pub module: String,
    /// The variable in it (`q`, `mem`, `read_data`).
    pub var: String,
    /// Flip-flops or memory.
    pub kind: StateKind,
    /// Flip-flops: the bits of the variable that are flip-flops (storage bit numbers, LSB 0).
    /// Memories: empty (every bit of every word).
    pub bits: Vec<u32>,
    /// Memories: word width.
    pub width: u32,
    /// Memories: words; flip-flops: 1.
    pub depth: u32,
    /// Memories: the Verilog index of word 0 (the array's low bound).
    pub offset: i64,
}

impl StateVar {
    /// State bits it holds.
    pub fn bit_count(&self) -> u64 {
        match self.kind {
            StateKind::Ff => self.bits.len() as u64,
            StateKind::Mem => self.width as u64 * self.depth as u64,
        }
    }

    /// Its full name, `fabric.buf_da.wptr.q`.
    pub fn name(&self) -> String {
        if self.path.is_empty() {
            self.var.clone()
        } else {
            format!("{}.{}", self.path, self.var)
        }
    }

    /// The block of the report it belongs to.
    pub fn block(&self) -> &'static str {
        block_of(&self.path)
    }
}

/// One state bit: what an upset flips.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateBit {
    /// Instance path (see [`StateVar::path`]).
    pub path: String,
    /// Variable.
    pub var: String,
    /// Memories: the word's Verilog index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word: Option<i64>,
    /// Bit number in the variable (or word), LSB 0.
    pub bit: u32,
}

impl StateBit {
    /// The block of the report it belongs to.
    pub fn block(&self) -> &'static str {
        block_of(&self.path)
    }

    /// The state variable's name, `fabric.buf_da.wptr.q`.
    pub fn var_name(&self) -> String {
        if self.path.is_empty() {
            self.var.clone()
        } else {
            format!("{}.{}", self.path, self.var)
        }
    }

    /// Flip-flop or memory bit.
    pub fn kind(&self) -> StateKind {
        if self.word.is_some() {
            StateKind::Mem
        } else {
            StateKind::Ff
        }
    }
}

impl std::fmt::Display for StateBit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.word {
            Some(w) => write!(f, "{}[{w}][{}]", self.var_name(), self.bit),
            None => write!(f, "{}[{}]", self.var_name(), self.bit),
        }
    }
}

/// Every state bit of a design.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMap {
    /// The state variables, in instance-path order.
    pub vars: Vec<StateVar>,
}

impl StateMap {
    /// State bits in all.
    pub fn total_bits(&self) -> u64 {
        self.vars.iter().map(|v| v.bit_count()).sum()
    }

    /// Flip-flop bits in all.
    pub fn ff_bits(&self) -> u64 {
        self.vars.iter().filter(|v| v.kind == StateKind::Ff).map(|v| v.bit_count()).sum()
    }

    /// Memory bits in all.
    pub fn mem_bits(&self) -> u64 {
        self.vars.iter().filter(|v| v.kind == StateKind::Mem).map(|v| v.bit_count()).sum()
    }

    /// State bit number `n` (0 ≤ n < [`Self::total_bits`]): variables in order, a memory's
    /// words in index order, bits LSB first. Drawing `n` uniformly draws uniformly over every
    /// state bit of the design.
    pub fn bit(&self, mut n: u64) -> Option<StateBit> {
        for v in &self.vars {
            let count = v.bit_count();
            if n >= count {
                n -= count;
                continue;
            }
            return Some(match v.kind {
                StateKind::Ff => StateBit { path: v.path.clone(), var: v.var.clone(), word: None, bit: v.bits[n as usize] },
                StateKind::Mem => StateBit {
                    path: v.path.clone(),
                    var: v.var.clone(),
                    word: Some(v.offset + (n / v.width as u64) as i64),
                    bit: (n % v.width as u64) as u32,
                },
            });
        }
        None
    }

    /// Flip-flop and memory bits per block, in [`block_names`] order (blocks with no state
    /// left out).
    pub fn bits_by_block(&self) -> Vec<(&'static str, u64, u64)> {
        block_names()
            .into_iter()
            .map(|b| {
                let of = |k: StateKind| {
                    self.vars.iter().filter(|v| v.kind == k && v.block() == b).map(|v| v.bit_count()).sum::<u64>()
                };
                (b, of(StateKind::Ff), of(StateKind::Mem))
            })
            .filter(|&(_, f, m)| f + m > 0)
            .collect()
    }
}

/// The blocks of the report, by instance path below `ftio_core`.
///
/// A pattern matches a path equal to it or below it (`fabric` matches `fabric.lag`); a
/// pattern ending in `*` matches any path beginning with what precedes the `*` (`bist_*`).
/// The longest matching pattern wins; a path no pattern matches is in [`OTHER`], which the
/// report lists by instance, so a renamed or new block shows up there rather than vanishing.
/// Patterns for names the core does not have (yet) are harmless.
pub const BLOCKS: &[(&str, &str)] = &[
    // The lockstep comparator and its mode/fault state; its skew FIFOs and strict delay line
    // apart.
    ("lockstep", "lockstep"),
    ("lockstep.fifo_a", "skew FIFOs"),
    ("lockstep.fifo_b", "skew FIFOs"),
    ("lockstep.replay", "delay lines"),
    ("fabric.strict_b.replica", "delay lines"),
    // Host-command registers the core applies (mode, lockstep kind, OFFSET, policy...), and
    // the hardened build's shadow of them (`cfg.shadow`), in the configuration block.
    ("cfg", "lockstep"),
    ("cfg.mode_set_q", "lockstep"),
    ("cfg.mode_value_q", "lockstep"),
    ("cfg.strict_q", "lockstep"),
    ("cfg.offset_q", "lockstep"),
    ("cfg.policy_halt_q", "lockstep"),
    ("cfg.halt_req_q", "lockstep"),
    ("cfg.shadow", "lockstep"),
    // (The hardened build's internal-fault latch is the fault log's: `fault_log.internal_q`.)
    ("fault_log.divergence_q", "lockstep"),
    ("gate", "commit gate"),
    ("cfg.saf_q", "commit gate"),
    ("fabric", "fabric"),
    ("gate.tx_in_frame", "fabric"),
    ("disk_a.tx_in_frame", "fabric"),
    ("disk_b.tx_in_frame", "fabric"),
    ("cfg.primary_q", "fabric"),
    ("cfg.read_verify_q", "fabric"),
    // The return path: the CPUs' return buffers and what keeps the secondary disk in step.
    ("fabric.buf_ca", "return path"),
    ("fabric.buf_cb", "return path"),
    ("fabric.returns", "return path"),
    ("fabric.strict_b", "return path"),
    ("disk_a.rx_in_frame", "return path"),
    ("disk_b.rx_in_frame", "return path"),
    // The skid buffer between each disk ingress and the disk's side (hdl/src/skid.rs).
    ("skid_disk_a", "return path"),
    ("skid_disk_b", "return path"),
    // The registered stage behind each disk ingress (hdl/src/pipeline.rs), in every build:
    // the first cycle of the return path.
    ("stage_disk_a", "return path"),
    ("stage_disk_b", "return path"),
    // The pipelined build's CPU input stages (`--pipeline 1`, hdl/src/pipeline.rs): each CPU
    // link's checked word, registered before the lockstep.
    ("stage_*", "input stages"),
    // Fault detection and the first-fault capture.
    ("fault_log", "fault log & monitors"),
    ("disk_*", "fault log & monitors"),
    ("perr_cpu_a_q", "fault log & monitors"),
    ("perr_cpu_b_q", "fault log & monitors"),
    ("perr_disk_a_q", "fault log & monitors"),
    ("perr_disk_b_q", "fault log & monitors"),
    ("egress_q", "fault log & monitors"),
    ("cfg.fault_clear_q", "fault log & monitors"),
    ("regs", "register file"),
    ("bridge", "UART"),
    ("bist*", "BIST"),
    ("inj", "injectors"),
    ("in_*", "injectors"),
    // Statistics counters and what only feeds them.
    ("counters*", "counters"),
    ("words_fwd", "counters"),
    ("words_returned", "counters"),
    ("frames_fwd", "counters"),
    ("frames_aborted", "counters"),
    ("mismatches", "counters"),
    ("timeouts", "counters"),
    ("perr_cpu_a", "counters"),
    ("perr_cpu_b", "counters"),
    ("perr_disk_a", "counters"),
    ("perr_disk_b", "counters"),
    ("perr_egress", "counters"),
    ("max_skew", "counters"),
    ("fill_a_q", "counters"),
    ("fill_b_q", "counters"),
    ("skew", "counters"),
    ("ret_lead", "counters"),
    ("fault_log.capture.count", "counters"),
    // What only feeds CAP_WORD's count: a committed word, a cycle late.
    ("fault_log.capture.committed_q", "counters"),
    ("cfg.cnt_clear_q", "counters"),
];

/// The block of paths no pattern of [`BLOCKS`] matches.
pub const OTHER: &str = "other";

/// Every block name, in report order ([`OTHER`] last).
pub fn block_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = vec![];
    for &(_, b) in BLOCKS {
        if !v.contains(&b) {
            v.push(b);
        }
    }
    v.push(OTHER);
    v
}

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(p) => path.starts_with(p),
        None => path == pattern || path.strip_prefix(pattern).is_some_and(|rest| rest.starts_with('.')),
    }
}

/// The block instance `path` belongs to (see [`BLOCKS`]).
pub fn block_of(path: &str) -> &'static str {
    BLOCKS
        .iter()
        .filter(|(p, _)| matches(p, path))
        .max_by_key(|(p, _)| p.len())
        .map_or(OTHER, |&(_, b)| b)
}

/// The yosys script of the enumeration (part of its cache key).
pub const YOSYS_SCRIPT: &str = "read_verilog ftio_core.v; hierarchy -check -top ftio_core; proc; memory_dff; memory_collect; opt_clean; write_json state.json";

/// yosys cell types that are flip-flops.
const FF_TYPES: &[&str] = &[
    "$dff", "$dffe", "$adff", "$adffe", "$sdff", "$sdffe", "$sdffce", "$dffsr", "$dffsre", "$aldff", "$aldffe", "$ff",
];
/// yosys cell types that are latches: the core must have none (rust-hdl's Local signals are
/// assigned on every path); one found is an error, not silently left out of the campaign.
const LATCH_TYPES: &[&str] = &["$dlatch", "$adlatch", "$dlatchsr", "$sr"];

#[derive(Deserialize)]
struct YNet {
    modules: std::collections::BTreeMap<String, YModule>,
}

#[derive(Deserialize)]
struct YModule {
    #[serde(default)]
    cells: std::collections::BTreeMap<String, YCell>,
    #[serde(default)]
    netnames: std::collections::BTreeMap<String, YNetname>,
}

#[derive(Deserialize)]
struct YCell {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    parameters: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    connections: std::collections::BTreeMap<String, Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct YNetname {
    #[serde(default)]
    hide_name: u8,
    bits: Vec<serde_json::Value>,
    #[serde(default)]
    upto: u8,
}

/// Why the core's state could not be enumerated (the upset campaign's map of every state bit).
#[derive(Debug, thiserror::Error)]
pub enum StateMapError {
    /// yosys is not installed or cannot be started.
    #[error("cannot run yosys: the upset campaign enumerates the core's state with it; `bash scripts/setup.sh` installs it")]
    NoYosys(#[source] std::io::Error),
    /// yosys was found by `yosys -V` but could not be started for the pass.
    #[error("running yosys")]
    RunYosys(#[source] std::io::Error),
    /// yosys ran and failed; its output is in the message.
    #[error("yosys could not enumerate the core's state ({status}):\n{output}")]
    Yosys { status: std::process::ExitStatus, output: String },
    /// A file of the pass could not be made, written or read.
    #[error(transparent)]
    Io(#[from] crate::error::IoAt),
    /// yosys's JSON netlist could not be parsed.
    #[error("yosys netlist")]
    Json(#[source] serde_json::Error),
    /// The netlist is not what the walk expects (a latch, a flip-flop no wire names, a cell
    /// without a parameter...); the message names the module and cell: check the core's
    /// change, or a yosys version that writes the netlist otherwise.
    #[error("{0}")]
    Netlist(String),
    /// yosys found no flip-flop and no memory in `ftio_core`.
    #[error("yosys found no state in ftio_core")]
    Empty,
}

fn netlist(what: String) -> StateMapError {
    StateMapError::Netlist(what)
}

fn param(c: &YCell, name: &str) -> Result<i64, StateMapError> {
    let v = c.parameters.get(name).ok_or_else(|| netlist(format!("{} cell without {name}", c.kind)))?;
    match v {
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(|| netlist(format!("{name} = {n}"))),
        // yosys writes parameters as binary strings, MSB first (32 bits for integers).
        serde_json::Value::String(s) => {
            let bits: String = s.chars().map(|c| if c == '1' { '1' } else { '0' }).collect();
            let v = u64::from_str_radix(&bits, 2).map_err(|e| netlist(format!("{name} = {s}: {e}")))?;
            Ok(if s.len() == 32 { v as u32 as i32 as i64 } else { v as i64 })
        }
        other => Err(netlist(format!("{name} = {other}"))),
    }
}

/// For each signal bit number of a module, the (public wire, bit) naming it.
fn bit_names(m: &YModule) -> Result<std::collections::HashMap<u64, (String, u32)>, StateMapError> {
    let mut names = std::collections::HashMap::new();
    for (name, n) in &m.netnames {
        if n.hide_name != 0 || name.starts_with('$') {
            continue;
        }
        if n.upto != 0 {
            return Err(netlist(format!("wire {name} is declared [lo:hi]; rust-hdl writes [hi:lo]")));
        }
        for (i, b) in n.bits.iter().enumerate() {
            if let Some(b) = b.as_u64() {
                // Several public names may alias one bit (a port and the wire it drives):
                // the first in name order is kept, so the choice is deterministic.
                names.entry(b).or_insert_with(|| (name.clone(), i as u32));
            }
        }
    }
    Ok(names)
}

fn walk(net: &YNet, module: &str, path: &str, out: &mut Vec<StateVar>) -> Result<(), StateMapError> {
    let m = net.modules.get(module).ok_or_else(|| netlist(format!("module {module} missing from the netlist")))?;
    let names = bit_names(m)?;
    let mut ffs: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    let mut named = |bits: &[serde_json::Value], what: &str, cell: &str| -> Result<(), StateMapError> {
        for b in bits {
            let id = b.as_u64().ok_or_else(|| netlist(format!("{module}: {what} of {cell} has a constant bit")))?;
            let (var, i) = names.get(&id).ok_or_else(|| {
                netlist(format!("{module}: {what} of {cell} drives no named wire: a flip-flop the enumeration cannot name"))
            })?;
            ffs.entry(var.clone()).or_default().push(*i);
        }
        Ok(())
    };
    for (cname, c) in &m.cells {
        let t = c.kind.as_str();
        if FF_TYPES.contains(&t) {
            named(c.connections.get("Q").map_or(&[][..], |v| v), "Q", cname)?;
        } else if LATCH_TYPES.contains(&t) {
            return Err(netlist(format!("{module} has a latch ({t} {cname}): the core must have none")));
        } else if t == "$mem_v2" || t == "$mem" {
            let width = param(c, "WIDTH")? as u32;
            let depth = param(c, "SIZE")? as u32;
            let offset = param(c, "OFFSET")?;
            let memid = c.parameters.get("MEMID").and_then(|v| v.as_str()).unwrap_or(cname);
            out.push(StateVar {
                path: path.to_string(),
                module: module.to_string(),
                var: memid.trim_start_matches('\\').to_string(),
                kind: StateKind::Mem,
                bits: vec![],
                width,
                depth,
                offset,
            });
            // Clocked read ports: the read register (rust-hdl's `read_data`).
            let ports = param(c, "RD_PORTS")? as usize;
            let clocked = c.parameters.get("RD_CLK_ENABLE").and_then(|v| v.as_str()).unwrap_or("");
            let data = c.connections.get("RD_DATA").map_or(&[][..], |v| v);
            for p in 0..ports {
                // RD_CLK_ENABLE is a bit per port, port 0 the last character.
                if clocked.chars().rev().nth(p) == Some('1') {
                    let w = data.len() / ports.max(1);
                    named(&data[p * w..(p + 1) * w], "RD_DATA", cname)?;
                }
            }
        } else if !t.starts_with('$') {
            let child = if path.is_empty() { cname.clone() } else { format!("{path}.{cname}") };
            walk(net, t, &child, out)?;
        }
    }
    for (var, mut bits) in ffs {
        bits.sort_unstable();
        bits.dedup();
        out.push(StateVar {
            path: path.to_string(),
            module: module.to_string(),
            var,
            kind: StateKind::Ff,
            width: bits.len() as u32,
            bits,
            depth: 1,
            offset: 0,
        });
    }
    Ok(())
}

/// The state of a design from yosys's JSON netlist of it (see [`YOSYS_SCRIPT`]).
pub fn from_yosys_json(json: &str) -> Result<StateMap, StateMapError> {
    let net: YNet = serde_json::from_str(json).map_err(StateMapError::Json)?;
    let mut vars = vec![];
    walk(&net, "ftio_core", "", &mut vars)?;
    vars.sort_by(|a, b| (&a.path, &a.var).cmp(&(&b.path, &b.var)));
    Ok(StateMap { vars })
}

fn yosys_version() -> Result<String, StateMapError> {
    let out = Command::new("yosys").arg("-V").output().map_err(StateMapError::NoYosys)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every state bit of `verilog` (module `ftio_core`), by a yosys pass; cached under `cache`
/// by a hash of the Verilog, the script and yosys's version.
pub fn enumerate(verilog: &str, cache: &Path) -> Result<StateMap, StateMapError> {
    let version = yosys_version()?;
    let mut h = Sha256::new();
    for part in [verilog, YOSYS_SCRIPT, &version] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let key: String = h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect();
    let cached = cache.join(format!("state-{key}.json"));
    if let Ok(text) = std::fs::read_to_string(&cached) {
        if let Ok(map) = serde_json::from_str::<StateMap>(&text) {
            return Ok(map);
        }
    }
    // One work directory per call: tests enumerate the same core from several threads.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let work = cache.join(format!("state-{key}.building-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(IoAt::on("creating", &work))?;
    let v = work.join("ftio_core.v");
    std::fs::write(&v, verilog).map_err(IoAt::on("writing", &v))?;
    let out = Command::new("yosys")
        .current_dir(&work)
        .args(["-q", "-p", YOSYS_SCRIPT])
        .output()
        .map_err(StateMapError::RunYosys)?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&work);
        let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return Err(StateMapError::Yosys { status: out.status, output });
    }
    let netlist = work.join("state.json");
    let json = std::fs::read_to_string(&netlist).map_err(IoAt::on("reading yosys's netlist", &netlist));
    let _ = std::fs::remove_dir_all(&work);
    let map = from_yosys_json(&json?)?;
    if map.total_bits() == 0 {
        return Err(StateMapError::Empty);
    }
    // The cache is best effort: a map that cannot be written is enumerated again next time.
    let tmp = cache.join(format!("state-{key}.json.{}-{call}", std::process::id()));
    if serde_json::to_string(&map).is_ok_and(|text| std::fs::write(&tmp, text).is_ok()) {
        let _ = std::fs::rename(&tmp, &cached);
    }
    Ok(map)
}

/// A name as Verilator stores it (and a `.vlt` file must give it): letters, digits and single
/// underscores kept, any other character as `__0` and its code in hex (rust-hdl's `$` is
/// `__024`), the second of two underscores as `__05F`.
pub fn verilator_encoded(name: &str) -> String {
    let mut out = String::new();
    let mut prev_underscore = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_underscore = false;
        } else if c == '_' && !prev_underscore {
            out.push(c);
            prev_underscore = true;
        } else {
            out += &format!("__0{:02X}", c as u32);
            prev_underscore = false;
        }
    }
    out
}

/// The Verilator configuration that makes every state variable of `map` `public_flat_rw`
/// (and nothing else, so the model stays fast).
pub fn verilator_config(map: &StateMap) -> String {
    let mut s = String::from("`verilator_config\n");
    let mut seen = std::collections::BTreeSet::new();
    for v in &map.vars {
        if seen.insert((&v.module, &v.var)) {
            s += &format!("public_flat_rw -module \"{}\" -var \"{}\"\n", verilator_encoded(&v.module), v.var);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_patterns_match_by_component_and_longest_wins() {
        assert_eq!(block_of("lockstep.mode_q"), "lockstep");
        assert_eq!(block_of("lockstep.fifo_a.ram"), "skew FIFOs");
        assert_eq!(block_of("lockstep.replay.ram"), "delay lines");
        assert_eq!(block_of("fabric.buf_da.wptr"), "fabric");
        assert_eq!(block_of("fabric.buf_ca.wptr"), "return path");
        assert_eq!(block_of("bist_chk_a.seq.lfsr"), "BIST");
        assert_eq!(block_of("perr_cpu_a"), "counters");
        assert_eq!(block_of("perr_cpu_a_q"), "fault log & monitors");
        assert_eq!(block_of("gatekeeper"), OTHER);
        assert_eq!(block_of("something_new.q"), OTHER);
    }

    #[test]
    fn names_are_encoded_as_verilator_stores_them() {
        assert_eq!(verilator_encoded("ftio_core$fabric$buf_da"), "ftio_core__024fabric__024buf_da");
        assert_eq!(verilator_encoded("a__b"), "a___05Fb");
    }
}
