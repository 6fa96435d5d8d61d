//! The errors of the simulation back ends and the virtual board (`thiserror`): each says what
//! failed and what to check. Callers whose own errors are still messages use `?` through the
//! `From<..> for String` conversions.
use ftio_proto::ParamsError;
use std::path::PathBuf;

/// Why a Verilator model could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A tool the simulation needs is missing or unusable (Verilator, PicoRV32); the message
    /// says how to install it.
    #[error("{0}")]
    Setup(String),
    /// A file of the model's build could not be made, written or moved.
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Verilator ran and failed; the log's tail is in the message.
    #[error("Verilator build of {top} failed ({status}); log in {}:\n{tail}", log.display())]
    Build { top: String, status: std::process::ExitStatus, log: PathBuf, tail: String },
    /// The shared library could not be opened or lacks a symbol of its shim.
    #[error("loading {}: {source}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: libloading::Error,
    },
    /// The library's shim does not match the port table it was generated from.
    #[error("{}: {what}", path.display())]
    Shim { path: PathBuf, what: String },
    /// The core's Verilog could not be generated.
    #[error("cannot generate the core's Verilog: {0}")]
    Verilog(String),
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
    #[error("--link {}: {what}: {source}", path.display())]
    Link {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The pty could not be opened, read or written, or its reader thread not started.
    #[error("{what}: {source}")]
    Pty {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The board's own thread could not start, or panicked.
    #[error("the virtual board thread {0}")]
    Thread(String),
}

impl From<SimError> for String {
    fn from(e: SimError) -> String {
        e.to_string()
    }
}

impl From<BoardError> for String {
    fn from(e: BoardError) -> String {
        e.to_string()
    }
}
