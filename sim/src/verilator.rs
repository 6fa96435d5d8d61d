//! `ftio_core` compiled by Verilator and loaded as a shared library.
//!
//! The Verilog is generated at run time (it depends on [`BuildParams`]), so the model is built
//! at run time too: Verilator compiles `ftio_core.v` together with a small C++ shim, generated
//! from the port table ([`crate::port`]), that exposes `extern "C"` functions (new/delete a
//! model, set an input or get a port by its [`Port::index`], clock low / rising edge). The
//! Verilator make flow links shim + model + `libverilated` into `libftio_core.so`
//! (`--exe` with `-LDFLAGS -shared`, everything compiled `-fPIC`), which is opened with
//! `libloading`.
//!
//! Builds are cached by a SHA-256 of everything that goes into them (Verilog text, shim
//! source, Verilator version, flags) under `target/ftio-sim/verilator/<hash>/` (or
//! `$FTIO_SIM_CACHE`), so repeated test runs compile nothing. A build happens in a private
//! directory that is renamed into place when complete, so concurrent processes never see a
//! half-built library.
//!
//! Speed: [`VerilatorCore`] keeps every port in an array and exchanges it with the model in one
//! call per half cycle (`ftio_low_io` / `ftio_edge_io`), and the rising edge after a `low` with
//! unchanged inputs and state runs only the clock-edge regions of Verilator 5.006's scheduler
//! (docs/simulation.md, "Simulation speed").
//!
//! Uninitialised state: `--x-assign 0 --x-initial 0` make every register and memory without an
//! initial value start at 0, as rust-hdl's simulator does, so the two agree from cycle 0.
use crate::core_sim::CoreSim;
use crate::error::{IoAt, SimError, StateAccessError};
use crate::link::Beat;
use crate::port::{Dir, Flow, Link, LinkSignal as S, Port, ALL_PORTS, PORT_COUNT};
use crate::state::StateBit;
use ftio_hdl::BuildParams;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Verilator options used for every build (part of the cache key).
pub const VERILATOR_FLAGS: &[&str] = &[
    "--cc",
    "--exe",
    "--build",
    "-O3",
    "--x-assign",
    "0",
    "--x-initial",
    "0",
    "-Wno-WIDTH",
    "-Wno-fatal",
    "--top-module",
    "ftio_core",
    "-CFLAGS",
    "-fPIC",
    "-LDFLAGS",
    "-shared",
    "-MAKEFLAGS",
    "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2",
];

const LIB_NAME: &str = "libftio_core.so";

fn setup_hint() -> &'static str {
    "install it with `bash scripts/setup.sh` (Debian package `verilator`, 5.006 or later)"
}

/// The installed Verilator's version line, or a clear error naming the setup script.
pub fn verilator_version() -> Result<String, SimError> {
    let out = Command::new("verilator").arg("--version").output().map_err(|e| {
        SimError::Setup(if e.kind() == std::io::ErrorKind::NotFound {
            format!("Verilator is not installed (no `verilator` on PATH): {}", setup_hint())
        } else {
            format!("cannot run `verilator --version`: {e}; {}", setup_hint())
        })
    })?;
    if !out.status.success() {
        return Err(SimError::Setup(format!("`verilator --version` failed ({}); {}", out.status, setup_hint())));
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !text.starts_with("Verilator 5") {
        return Err(SimError::Setup(format!("need Verilator 5 (found `{text}`); {}", setup_hint())));
    }
    Ok(text)
}

/// The C++ shim: `extern "C"` accessors for every port of the table.
pub fn shim_source() -> String {
    shim_source_with(false)
}

/// The shim's state access (models built with [`Variant::State`]): flip or read one bit of
/// a `public_flat_rw` variable, found by instance path and name through Verilator's scope
/// table (built with `--vpi`). Return codes are those of [`state_error`].
const STATE_SHIM: &str = r#"
#include <string>
#include "verilated_syms.h"
namespace {
uint8_t* state_byte(Model* m, const char* path, const char* var, int has_word, int64_t word, uint32_t bit, uint8_t* mask, int* err) {
    // Scopes are named <model name>.<top module>.<instance path>.
    std::string scope = std::string(m->top.name()) + ".ftio_core";
    if (path[0]) { scope += "."; scope += path; }
    const VerilatedScope* s = m->ctx.scopeFind(scope.c_str());
    if (!s) { *err = -1; return nullptr; }
    VerilatedVar* v = s->varFind(var);
    if (!v) { *err = -2; return nullptr; }
    if (!v->isPublicRW()) { *err = -3; return nullptr; }
    void* d = v->datap();
    if (has_word) {
        if (v->udims() != 1) { *err = -4; return nullptr; }
        if (word < v->low(1) || word > v->high(1)) { *err = -5; return nullptr; }
        d = v->datapAdjustIndex(d, 1, (int)word);
        if (!d) { *err = -5; return nullptr; }
    } else if (v->udims() != 0) { *err = -4; return nullptr; }
    uint32_t width = v->packed().elements();
    if (bit >= width) { *err = -6; return nullptr; }
    // Verilator stores packed values little-endian (VlWide: 32-bit words, LSW first).
    *mask = (uint8_t)(1u << (bit % 8));
    *err = 0;
    return static_cast<uint8_t*>(d) + bit / 8;
}
}
extern "C" {
int32_t ftio_state_flip(void* p, const char* path, const char* var, int32_t has_word, int64_t word, uint32_t bit) {
    Model* m = static_cast<Model*>(p);
    uint8_t mask; int err;
    uint8_t* b = state_byte(m, path, var, has_word, word, bit, &mask, &err);
    if (!b) return err;
    *b ^= mask;
    return 0;
}
int32_t ftio_state_get(void* p, const char* path, const char* var, int32_t has_word, int64_t word, uint32_t bit) {
    Model* m = static_cast<Model*>(p);
    uint8_t mask; int err;
    uint8_t* b = state_byte(m, path, var, has_word, word, bit, &mask, &err);
    if (!b) return err;
    return (*b & mask) ? 1 : 0;
}
}
"#;

/// What a negative return code of the shim's state access means.
pub fn state_error(code: i32) -> &'static str {
    match code {
        -1 => "no such instance in the model",
        -2 => "no such variable in that instance (not public: was the model built with the state configuration?)",
        -3 => "the variable is not writable (public_flat_rw)",
        -4 => "word given for a flip-flop, or none for a memory",
        -5 => "word index out of range",
        -6 => "bit out of range",
        _ => "unknown error",
    }
}

/// The shim, with the state access of [`Variant::State`] models if `state`.
pub fn shim_source_with(state: bool) -> String {
    let mut set_cases = String::new();
    let mut get_cases = String::new();
    let mut names = String::new();
    let mut put_inputs = String::new();
    let mut take_outputs = String::new();
    for p in ALL_PORTS {
        let (i, n) = (p.index(), p.name());
        if p.dir() == Dir::In {
            set_cases += &format!("    case {i}: m->top.{n} = v & {:#x}ULL; break;\n", p.mask());
            put_inputs += &format!("    changed |= m->top.{n} != ports[{i}];\n    m->top.{n} = ports[{i}];\n");
        } else {
            take_outputs += &format!("    ports[{i}] = m->top.{n};\n");
        }
        get_cases += &format!("    case {i}: return m->top.{n};\n");
        names += &format!("    \"{n}\",\n");
    }
    format!(
        r#"// Generated by ftio-sim (sim/src/verilator.rs) from the port table; do not edit.
#include <cstdint>
#include "Vftio_core.h"
#include "Vftio_core___024root.h"
#include "verilated.h"

namespace {{
struct Model {{
    VerilatedContext ctx;
    Vftio_core top;
    Model() : top(&ctx, "ftio_core") {{}}
}};
const char* const PORT_NAMES[{count}] = {{
{names}}};
}}
#if VERILATOR_VERSION_INTEGER == 5006000
// Verilator 5.006's scheduler (the generated `Vftio_core___024root___eval`) without its
// input-combinational loop.
void Vftio_core___024root___eval_triggers__act(Vftio_core___024root* vlSelf);
void Vftio_core___024root___eval_act(Vftio_core___024root* vlSelf);
void Vftio_core___024root___eval_nba(Vftio_core___024root* vlSelf);
namespace {{
void edge_after_settle(Model* m) {{
    Vftio_core___024root* r = m->top.rootp;
    uint32_t nba_iter = 0;
    bool nba_continue = true;
    while (nba_continue) {{
        nba_continue = false;
        r->__VnbaTriggered.clear();
        r->__VactIterCount = 0;
        r->__VactContinue = 1;
        while (r->__VactContinue) {{
            r->__VactContinue = 0;
            Vftio_core___024root___eval_triggers__act(r);
            if (r->__VactTriggered.any()) {{
                r->__VactContinue = 1;
                if (VL_UNLIKELY(100 < r->__VactIterCount)) VL_FATAL_MT("ftio_core.v", 5, "", "Active region did not converge.");
                ++r->__VactIterCount;
                r->__VnbaTriggered.set(r->__VactTriggered);
                Vftio_core___024root___eval_act(r);
            }}
        }}
        if (r->__VnbaTriggered.any()) {{
            nba_continue = true;
            if (VL_UNLIKELY(100 < nba_iter)) VL_FATAL_MT("ftio_core.v", 5, "", "NBA region did not converge.");
            ++nba_iter;
            Vftio_core___024root___eval_nba(r);
        }}
    }}
}}
}}
#else
namespace {{
void edge_after_settle(Model* m) {{ m->top.eval(); }}
}}
#endif

extern "C" {{
uint32_t ftio_port_count() {{ return {count}; }}
const char* ftio_port_name(uint32_t i) {{ return i < {count} ? PORT_NAMES[i] : nullptr; }}
void* ftio_new() {{
    Model* m = new Model;
    m->top.clock = 0;
    m->top.eval();
    return m;
}}
void ftio_delete(void* p) {{
    Model* m = static_cast<Model*>(p);
    // Verilator erases a model's scopes from the calling thread's context: make it this
    // model's, whatever model this thread made last.
    Verilated::threadContextp(&m->ctx);
    m->top.final();
    delete m;
}}
void ftio_set(void* p, uint32_t i, uint64_t v) {{
    Model* m = static_cast<Model*>(p);
    switch (i) {{
{set_cases}    default: break;
    }}
}}
uint64_t ftio_get(void* p, uint32_t i) {{
    Model* m = static_cast<Model*>(p);
    switch (i) {{
{get_cases}    default: return ~0ULL;
    }}
}}
void ftio_low(void* p) {{
    Model* m = static_cast<Model*>(p);
    m->top.clock = 0;
    m->top.eval();
}}
void ftio_edge(void* p) {{
    Model* m = static_cast<Model*>(p);
    m->top.clock = 1;
    m->top.eval();
}}
// One call per half cycle instead of one per port: `ports` holds every port by index, the
// inputs (already masked) are put into the model, the clock set and the logic settled, and
// the outputs written back.
static inline bool put_inputs(Model* m, const uint64_t* ports) {{
    bool changed = false;
{put_inputs}    return changed;
}}
static inline void take_outputs(const Model* m, uint64_t* ports) {{
{take_outputs}}}
void ftio_low_io(void* p, uint64_t* ports) {{
    Model* m = static_cast<Model*>(p);
    put_inputs(m, ports);
    m->top.clock = 0;
    m->top.eval();
    take_outputs(m, ports);
}}
// The rising edge after a `low` with the same inputs and untouched state (`settled`): the
// logic already settled on these inputs at `low`, so Verilator's input-combinational region,
// which `eval()` runs in full on every call, would compute nothing new; only the active/NBA
// regions (the clock edge and what follows from it) run. Otherwise (an input changed since
// `low`, a state bit flipped, or a Verilator whose scheduler this does not know) a full eval.
// `settled` is 0 (not settled: a full eval), 1 (settled; inputs may have been written since
// `low`: compare them) or 2 (settled, and no input written since `low`: the model already
// holds `ports`' inputs, nothing to copy or compare).
void ftio_edge_io(void* p, uint64_t* ports, int32_t settled) {{
    Model* m = static_cast<Model*>(p);
    bool changed = settled != 2 && put_inputs(m, ports);
    m->top.clock = 1;
    if (changed || !settled) m->top.eval(); else edge_after_settle(m);
    take_outputs(m, ports);
}}
}}
{state}"#,
        count = PORT_COUNT,
        state = if state { STATE_SHIM } else { "" }
    )
}

/// Where built models are kept: `$FTIO_SIM_CACHE`, else the workspace's
/// `target/ftio-sim/verilator`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("FTIO_SIM_CACHE") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ftio-sim/verilator"),
    }
}

/// How a model library was obtained.
#[derive(Clone, Debug)]
pub struct BuildInfo {
    /// The shared library.
    pub path: PathBuf,
    /// Found in the cache (nothing compiled).
    pub cached: bool,
    /// Wall time to build (or find) it, seconds.
    pub seconds: f64,
}

type NewFn = unsafe extern "C" fn() -> *mut c_void;
type DeleteFn = unsafe extern "C" fn(*mut c_void);
type SetFn = unsafe extern "C" fn(*mut c_void, u32, u64);
type GetFn = unsafe extern "C" fn(*mut c_void, u32) -> u64;
type StepFn = unsafe extern "C" fn(*mut c_void);
type LowIoFn = unsafe extern "C" fn(*mut c_void, *mut u64);
type EdgeIoFn = unsafe extern "C" fn(*mut c_void, *mut u64, i32);
type StateFn = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, i32, i64, u32) -> i32;

/// Which model of `ftio_core` to build.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Variant {
    /// The ports only: the fastest model (every test, demo and pin campaign).
    #[default]
    Ports,
    /// The ports, and read/write access by name to every variable the Verilator
    /// configuration `vlt` makes `public_flat_rw` (the upset campaign's model:
    /// [`crate::state::verilator_config`] lists the design's state). Built with `--vpi`, which
    /// makes Verilator emit the scope table the shim looks names up in.
    State {
        /// The `.vlt` configuration.
        vlt: String,
    },
}

/// The six `extern "C"` functions every shim of this crate exports, each name with the shim's
/// prefix: `{prefix}new`, `delete`, `set`, `get`, `low`, `edge` (the core's shim and the CPU
/// side's, [`crate::cpu_side`]).
#[derive(Clone, Copy)]
pub(crate) struct ModelFns {
    pub(crate) new: NewFn,
    pub(crate) delete: DeleteFn,
    pub(crate) set: SetFn,
    pub(crate) get: GetFn,
    pub(crate) low: StepFn,
    pub(crate) edge: StepFn,
}

impl ModelFns {
    /// Looks the six functions up in `lib` (opened from `path`).
    ///
    /// # Safety
    /// `lib` must be a library built from one of this crate's shims with `prefix`, so that
    /// the symbols have the types above; the pointers are valid while `lib` is loaded.
    pub(crate) unsafe fn load(lib: &libloading::Library, path: &Path, prefix: &str) -> Result<Self, SimError> {
        let sym = |name: &str| format!("{prefix}{name}");
        let err = |source| SimError::Load { path: path.to_path_buf(), source };
        Ok(Self {
            new: *lib.get::<NewFn>(sym("new").as_bytes()).map_err(err)?,
            delete: *lib.get::<DeleteFn>(sym("delete").as_bytes()).map_err(err)?,
            set: *lib.get::<SetFn>(sym("set").as_bytes()).map_err(err)?,
            get: *lib.get::<GetFn>(sym("get").as_bytes()).map_err(err)?,
            low: *lib.get::<StepFn>(sym("low").as_bytes()).map_err(err)?,
            edge: *lib.get::<StepFn>(sym("edge").as_bytes()).map_err(err)?,
        })
    }
}

/// A loaded `libftio_core.so`: makes [`VerilatorCore`]s.
pub struct VerilatedLib {
    fns: ModelFns,
    /// `ftio_low_io` / `ftio_edge_io`: a half cycle with every port exchanged in one call.
    low_io: LowIoFn,
    edge_io: EdgeIoFn,
    /// The upset campaign's state access (`ftio_state_flip` / `ftio_state_get`), present in a
    /// [`Variant::State`] model only.
    state_flip: Option<StateFn>,
    state_get: Option<StateFn>,
    /// How it was built.
    pub info: BuildInfo,
    // Keeps the function pointers above valid.
    _lib: libloading::Library,
}

impl VerilatedLib {
    fn open(info: BuildInfo) -> Result<Self, SimError> {
        let path = &info.path;
        let err = |source| SimError::Load { path: path.clone(), source };
        let shim = |what: String| SimError::Shim { path: path.clone(), what };
        // SAFETY: the library is one this module built from its own shim; its initialisers
        // only set up Verilator's statics.
        let lib = unsafe { libloading::Library::new(path) }.map_err(err)?;
        // SAFETY: the symbol types are those of the shim above.
        unsafe {
            let count: libloading::Symbol<unsafe extern "C" fn() -> u32> = lib.get(b"ftio_port_count").map_err(err)?;
            let name: libloading::Symbol<unsafe extern "C" fn(u32) -> *const c_char> =
                lib.get(b"ftio_port_name").map_err(err)?;
            if count() as usize != PORT_COUNT {
                return Err(shim(format!("port count {} != {PORT_COUNT}", count())));
            }
            for p in ALL_PORTS {
                let n = CStr::from_ptr(name(p.index() as u32)).to_string_lossy();
                if n != p.name() {
                    return Err(shim(format!("port {} is `{n}`, want `{p}`", p.index())));
                }
            }
            let fns = ModelFns::load(&lib, path, "ftio_")?;
            let low_io = *lib.get::<LowIoFn>(b"ftio_low_io").map_err(err)?;
            let edge_io = *lib.get::<EdgeIoFn>(b"ftio_edge_io").map_err(err)?;
            let state_flip = lib.get::<StateFn>(b"ftio_state_flip").ok().map(|f| *f);
            let state_get = lib.get::<StateFn>(b"ftio_state_get").ok().map(|f| *f);
            Ok(Self { fns, low_io, edge_io, state_flip, state_get, info, _lib: lib })
        }
    }

    /// A fresh model in its power-on state.
    pub fn instantiate(self: &Arc<Self>) -> VerilatorCore {
        // SAFETY: `new` returns a fresh heap model owned by the VerilatorCore.
        let handle = unsafe { (self.fns.new)() };
        assert!(!handle.is_null());
        let mut ports = [0; PORT_COUNT];
        for p in ALL_PORTS {
            // SAFETY: valid handle.
            ports[p.index()] = unsafe { (self.fns.get)(handle, p.index() as u32) };
        }
        VerilatorCore { lib: self.clone(), handle, ports, settled: false, inputs_written: true }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let v: Vec<&str> = text.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

/// One Verilator model to build into a shared library, cached by a SHA-256 of its sources,
/// the Verilator version and the flags: the core's ([`build_library`]) and the CPU side's
/// ([`crate::cpu_side::build`]).
pub(crate) struct ModelBuild<'a> {
    /// The top module (for messages).
    pub(crate) top: &'a str,
    /// The cache directory's name is this prefix and the key.
    pub(crate) key_prefix: &'a str,
    /// Verilog files, name and text, given to Verilator in this order.
    pub(crate) verilog: &'a [(&'a str, &'a str)],
    /// A Verilator configuration file (`.vlt`), name and text, written beside the sources and
    /// named in `flags`.
    pub(crate) config: Option<(&'a str, &'a str)>,
    /// The C++ shim, name and text.
    pub(crate) shim: (&'a str, &'a str),
    /// Verilator's options.
    pub(crate) flags: &'a [&'a str],
    /// The library's file name.
    pub(crate) lib_name: &'a str,
}

impl ModelBuild<'_> {
    fn key(&self, version: &str) -> String {
        let flags = self.flags.join(" ");
        let mut h = Sha256::new();
        let config = self.config.map_or("", |(_, text)| text);
        let parts = self.verilog.iter().map(|(_, text)| *text).chain([self.shim.1, version, &flags, config]);
        for part in parts {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Builds the library (or finds it in the cache). The build runs in a private directory
    /// renamed into place when complete, so concurrent processes never see half a build.
    pub(crate) fn build(&self) -> Result<BuildInfo, SimError> {
        let start = Instant::now();
        let key = format!("{}{}", self.key_prefix, self.key(&verilator_version()?));
        let root = cache_dir();
        let done = root.join(&key);
        let lib = done.join(self.lib_name);
        if lib.is_file() {
            return Ok(BuildInfo { path: lib, cached: true, seconds: start.elapsed().as_secs_f64() });
        }
        std::fs::create_dir_all(&root).map_err(IoAt::on("creating", &root))?;
        let work = root.join(format!(
            "{key}.building-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&work).map_err(IoAt::on("creating", &work))?;
        for (name, text) in self.verilog.iter().chain([&self.shim]).chain(self.config.as_ref()) {
            let path = work.join(name);
            std::fs::write(&path, text).map_err(IoAt::on("writing", &path))?;
        }
        let out = Command::new("verilator")
            .current_dir(&work)
            .args(self.flags)
            .args(["--Mdir", "obj", "-o", self.lib_name])
            .args(self.verilog.iter().map(|(name, _)| name))
            .arg(work.join(self.shim.0))
            .output()
            .map_err(|e| SimError::Setup(format!("running verilator: {e}; {}", setup_hint())))?;
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let log_path = work.join("build.log");
        let _ = std::fs::write(&log_path, &log);
        let built = work.join("obj").join(self.lib_name);
        if !out.status.success() || !built.is_file() {
            return Err(SimError::Build { top: self.top.into(), status: out.status, log: log_path, tail: tail(&log, 40) });
        }
        std::fs::rename(&built, work.join(self.lib_name)).map_err(IoAt::on("moving", &built))?;
        // Only the library, sources and log are kept; the object directory is large.
        let _ = std::fs::remove_dir_all(work.join("obj"));
        if let Err(e) = std::fs::rename(&work, &done) {
            // Another process finished the same build first: use its copy.
            let _ = std::fs::remove_dir_all(&work);
            if !lib.is_file() {
                return Err(IoAt { what: "moving the build into", path: done, source: e }.into());
            }
        }
        Ok(BuildInfo { path: lib, cached: false, seconds: start.elapsed().as_secs_f64() })
    }
}

/// Builds (or finds in the cache) the shared library for `verilog`, which must contain
/// module `ftio_core` with the SPEC §3 ports.
pub fn build_library(verilog: &str) -> Result<BuildInfo, SimError> {
    build_library_variant(verilog, &Variant::Ports)
}

/// [`build_library`] of a [`Variant`]: a [`Variant::State`] model is built with `--vpi` and its
/// configuration file, which are part of the cache key.
pub fn build_library_variant(verilog: &str, variant: &Variant) -> Result<BuildInfo, SimError> {
    build_library_flags(verilog, variant, VERILATOR_FLAGS)
}

/// [`build_library_variant`] with other Verilator options than [`VERILATOR_FLAGS`] (measuring
/// what a build option is worth: `sim/examples/speed_levers.rs`).
pub fn build_library_flags(verilog: &str, variant: &Variant, base_flags: &[&str]) -> Result<BuildInfo, SimError> {
    let (shim, config) = match variant {
        Variant::Ports => (shim_source_with(false), None),
        Variant::State { vlt } => (shim_source_with(true), Some(("state.vlt", vlt.as_str()))),
    };
    let mut flags = base_flags.to_vec();
    if let Some((name, _)) = config {
        flags.extend(["--vpi", name]);
    }
    ModelBuild {
        top: "ftio_core",
        key_prefix: "",
        verilog: &[("ftio_core.v", verilog)],
        config,
        shim: ("ftio_shim.cpp", &shim),
        flags: &flags,
        lib_name: LIB_NAME,
    }
    .build()
}

/// Loads the model of `verilog`, building it if needed. One build at a time per process, and
/// each library is opened once.
pub fn load(verilog: &str) -> Result<Arc<VerilatedLib>, SimError> {
    load_variant(verilog, &Variant::Ports)
}

/// [`load`] of a [`Variant`].
pub fn load_variant(verilog: &str, variant: &Variant) -> Result<Arc<VerilatedLib>, SimError> {
    load_flags(verilog, variant, VERILATOR_FLAGS)
}

/// [`load`] with other Verilator options than [`VERILATOR_FLAGS`] (see [`build_library_flags`]).
pub fn load_with_flags(verilog: &str, flags: &[&str]) -> Result<Arc<VerilatedLib>, SimError> {
    load_flags(verilog, &Variant::Ports, flags)
}

fn load_flags(verilog: &str, variant: &Variant, flags: &[&str]) -> Result<Arc<VerilatedLib>, SimError> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<VerilatedLib>>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    let mut map = loaded.lock().unwrap_or_else(|p| p.into_inner());
    let info = build_library_flags(verilog, variant, flags)?;
    if let Some(lib) = map.get(&info.path) {
        return Ok(lib.clone());
    }
    let lib = Arc::new(VerilatedLib::open(info.clone())?);
    map.insert(info.path, lib.clone());
    Ok(lib)
}

/// Each port's all-ones mask by index, 0 for an output (`set` is called several times a
/// cycle: a table, not the port table's searches).
fn input_masks() -> &'static [u64; PORT_COUNT] {
    static MASKS: OnceLock<[u64; PORT_COUNT]> = OnceLock::new();
    MASKS.get_or_init(|| {
        let mut m = [0; PORT_COUNT];
        for p in ALL_PORTS.into_iter().filter(|p| p.dir() == Dir::In) {
            m[p.index()] = p.mask();
        }
        m
    })
}

/// `ftio_core` simulated by Verilator.
pub struct VerilatorCore {
    lib: Arc<VerilatedLib>,
    handle: *mut c_void,
    /// Every port by index: inputs as last set (given to the model at the next `low` or
    /// `edge`), outputs as of the last `low`/`edge`. Exchanged with the model in one call per
    /// half cycle, not one per port (docs/simulation.md, "Simulation speed").
    ports: [u64; PORT_COUNT],
    /// The logic settled (`low`) and no state was flipped since: the edge may skip
    /// re-settling the inputs.
    settled: bool,
    /// An input was written (`set`, `set_beat`, `set_ready`, `set_inputs`) since the last
    /// `low`: the edge copies and compares the inputs, otherwise the model holds them already.
    inputs_written: bool,
}

// SAFETY: a model is only touched through &mut self / &self of its one owner; separate
// models share no mutable state (each has its own VerilatedContext).
unsafe impl Send for VerilatorCore {}

impl VerilatorCore {
    /// Generates the core's Verilog for `params`, builds (or finds) its model, and makes one.
    pub fn new(params: &BuildParams) -> Result<Self, SimError> {
        let verilog = ftio_hdl::core_verilog(params).map_err(SimError::Verilog)?;
        Self::from_verilog(&verilog)
    }

    /// A model of the given `ftio_core` Verilog.
    pub fn from_verilog(verilog: &str) -> Result<Self, SimError> {
        Ok(load(verilog)?.instantiate())
    }

    /// How the library behind this model was built.
    pub fn build_info(&self) -> &BuildInfo {
        &self.lib.info
    }
}

impl VerilatorCore {
    fn state_call(&self, f: Option<StateFn>, b: &StateBit) -> Result<i32, StateAccessError> {
        let f = f.ok_or(StateAccessError::NoStateAccess)?;
        // Verilator's scope table names instances as it encodes them (rust-hdl's `counter$6`
        // is `counter__0246`).
        let encoded: Vec<String> = b.path.split('.').filter(|p| !p.is_empty()).map(crate::state::verilator_encoded).collect();
        let path = std::ffi::CString::new(encoded.join("."))?;
        let var = std::ffi::CString::new(b.var.as_str())?;
        // SAFETY: valid handle; the strings outlive the call.
        let r = unsafe { f(self.handle, path.as_ptr(), var.as_ptr(), b.word.is_some() as i32, b.word.unwrap_or(0), b.bit) };
        if r < 0 {
            return Err(StateAccessError::Shim { bit: b.clone(), code: r });
        }
        Ok(r)
    }

    /// The value of one state bit.
    pub fn state_bit(&self, b: &StateBit) -> Result<bool, StateAccessError> {
        Ok(self.state_call(self.lib.state_get, b)? == 1)
    }
}

impl Drop for VerilatorCore {
    fn drop(&mut self) {
        // SAFETY: handle came from this library's `new` and is deleted once.
        unsafe { (self.lib.fns.delete)(self.handle) }
    }
}

impl CoreSim for VerilatorCore {
    fn set(&mut self, port: Port, v: u64) {
        let i = port.index();
        let mask = input_masks()[i];
        assert!(mask != 0, "{port} is an output of the core");
        self.ports[i] = v & mask;
        self.inputs_written = true;
    }

    fn get(&self, port: Port) -> u64 {
        self.ports[port.index()]
    }

    fn low(&mut self) {
        // SAFETY: valid handle; `ports` has PORT_COUNT entries, the shim's port count.
        unsafe { (self.lib.low_io)(self.handle, self.ports.as_mut_ptr()) }
        self.settled = true;
        self.inputs_written = false;
    }

    fn edge(&mut self) {
        let settled = match (self.settled, self.inputs_written) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        // SAFETY: as in `low`.
        unsafe { (self.lib.edge_io)(self.handle, self.ports.as_mut_ptr(), settled) }
        self.settled = false;
        self.inputs_written = true;
    }

    fn set_beat(&mut self, link: Link, b: Beat) {
        assert_eq!(link.flow(), Flow::IntoCore, "{} carries words out of the core", link.name());
        self.inputs_written = true;
        let p = &mut self.ports;
        p[link.port(S::Valid).index()] = b.valid as u64;
        p[link.port(S::Data).index()] = b.data as u64;
        p[link.port(S::Last).index()] = b.last as u64;
        p[link.port(S::Abort).index()] = b.abort as u64;
        p[link.port(S::Par).index()] = (b.par & 0xF) as u64;
        p[link.port(S::Cpar).index()] = b.cpar as u64;
    }

    fn set_ready(&mut self, link: Link, (ready, rpar): (bool, bool)) {
        assert_eq!(link.flow(), Flow::OutOfCore, "{} carries words into the core", link.name());
        self.inputs_written = true;
        self.ports[link.port(S::Ready).index()] = ready as u64;
        self.ports[link.port(S::Rpar).index()] = rpar as u64;
    }

    fn beat(&self, link: Link) -> Beat {
        let p = &self.ports;
        Beat {
            valid: p[link.port(S::Valid).index()] & 1 == 1,
            data: p[link.port(S::Data).index()] as u32,
            last: p[link.port(S::Last).index()] & 1 == 1,
            abort: p[link.port(S::Abort).index()] & 1 == 1,
            par: p[link.port(S::Par).index()] as u8,
            cpar: p[link.port(S::Cpar).index()] & 1 == 1,
        }
    }

    fn ready_pair(&self, link: Link) -> (bool, bool) {
        (self.ports[link.port(S::Ready).index()] & 1 == 1, self.ports[link.port(S::Rpar).index()] & 1 == 1)
    }

    fn set_inputs(&mut self, ports: &[u64; PORT_COUNT]) {
        self.inputs_written = true;
        // An input takes `v & mask`, an output (mask 0) keeps its value: no branch per port,
        // so the loop over every port compiles to vector operations (lever 6).
        for ((mine, &v), &mask) in self.ports.iter_mut().zip(ports).zip(input_masks()) {
            let keep = ((mask == 0) as u64).wrapping_neg();
            *mine = (v & mask) | (*mine & keep);
        }
    }

    fn sample(&self) -> [u64; PORT_COUNT] {
        self.ports
    }

    fn kind(&self) -> &'static str {
        "verilator"
    }

    fn flip_state(&mut self, b: &StateBit) -> Result<(), StateAccessError> {
        self.settled = false;
        self.state_call(self.lib.state_flip, b).map(|_| ())
    }
}
