//! The errors shared by the simulation back ends, the measured runs and the virtual board
//! (`thiserror`): each says what failed and what to check. A variant that wraps another error
//! keeps it as its `source` and does not repeat it in its own message; the binaries print the
//! whole chain (`ftio: error: a: b: c`, anyhow's `{:#}`), and [`chain`] writes the same line
//! where an error ends up in a report instead.
use crate::equivalence::Divergence;
use crate::state::StateBit;
use ftio_proto::ParamsError;
use std::path::{Path, PathBuf};

/// `e` and every error under it, `: `-separated (one source: `ftio_proto::error_chain`).
pub use ftio_proto::error_chain as chain;

/// A file or directory operation that failed: what was being done, on which path, and the
/// operating system's error as its `source` (`creating /tmp/x: Permission denied` in the
/// chain). The one shape of every "a file could not be made, written or moved" variant.
#[derive(Debug, thiserror::Error)]
#[error("{what} {}", path.display())]
pub struct IoAt {
    /// What was being done ("creating", "cannot write", ...).
    pub what: &'static str,
    /// The file or directory it was done on.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

impl IoAt {
    /// The `map_err` closure for an operation on `path`:
    /// `fs::write(&p, text).map_err(IoAt::on("writing", &p))?`.
    pub fn on(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> IoAt {
        let path = path.to_path_buf();
        move |source| IoAt { what, path, source }
    }
}

/// Why a Verilator model could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A tool the simulation needs is missing or unusable (Verilator, PicoRV32); the message
    /// says how to install it.
    #[error("{0}")]
    Setup(String),
    /// A file of the model's build could not be made, written or moved.
    #[error(transparent)]
    Io(#[from] IoAt),
    /// Verilator ran and failed; the log's tail is in the message.
    #[error("Verilator build of {top} failed ({status}); log in {}:\n{tail}", log.display())]
    Build { top: String, status: std::process::ExitStatus, log: PathBuf, tail: String },
    /// The shared library could not be opened or lacks a symbol of its shim.
    #[error("loading {}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: libloading::Error,
    },
    /// The library's shim does not match the port table it was generated from.
    #[error("{}: {what}", path.display())]
    Shim { path: PathBuf, what: String },
    /// The core's Verilog could not be generated: the build parameters are out of range.
    #[error("cannot generate the core's Verilog")]
    Verilog(#[source] ParamsError),
}

/// Why a virtual board could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// A CPU A fault was asked for with every link idle.
    #[error("a CPU A fault ({0}) needs traffic (--traffic): with every link idle no word is offered to corrupt")]
    FaultNeedsTraffic(&'static str),
    /// The fault bit is not one of the 32 data bits.
    #[error("fault bit {0} is not a data bit (0-31)")]
    FaultBit(u8),
    /// The build parameters cannot be built.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The core's model could not be built or loaded.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// `--link` names something that is not a symlink; it is left alone.
    #[error("--link {}: exists and is not a symlink; not replacing it", .0.display())]
    LinkNotSymlink(PathBuf),
    /// The symlink could not be checked, replaced or made.
    #[error("--link {}: {what}", path.display())]
    Link {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The pty could not be opened, read or written, or its reader thread not started.
    #[error("{what}")]
    Pty {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The board's own thread could not start, or panicked.
    #[error("the virtual board thread {0}")]
    Thread(String),
}

/// Why a measured run on the Verilator model (`ftio bench`, the datapath figures, a timing
/// diagram) failed: the model could not be built, or the core did not do what the run checks.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The build parameters cannot be built.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The core's model could not be built or loaded.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The Verilator model and the rust-hdl simulator disagree on a recorded trace.
    #[error(transparent)]
    Diverged(#[from] Divergence),
    /// The core did not do what the run checks (a SPEC promise, or the harness's set-up); the
    /// message names the run, what was seen and what was promised. A measurement that breaks a
    /// promise is reported, not measured: check the core's change against the SPEC.
    #[error("{0}")]
    Check(String),
}

/// Why a state bit of a model could not be read or flipped (an upset).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StateAccessError {
    /// The model has no state access at all (rust-hdl's simulator).
    #[error("the {model} model cannot flip state bit {bit}")]
    Unsupported { model: &'static str, bit: StateBit },
    /// A Verilator model built without the state configuration.
    #[error("this model has no state access (build it with verilator::Variant::State)")]
    NoStateAccess,
    /// The bit's instance path or variable name holds a NUL byte.
    #[error(transparent)]
    Nul(#[from] std::ffi::NulError),
    /// The model's shim refused the bit (the code's meaning: [`crate::verilator::state_error`]).
    #[error("state bit {bit}: {}", crate::verilator::state_error(*code))]
    Shim { bit: StateBit, code: i32 },
}

/// A [`RunError::Check`]: the core did not do what a run checks.
pub(crate) fn check(what: String) -> RunError {
    RunError::Check(what)
}
