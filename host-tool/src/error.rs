//! ftctl's errors, each a one-line message with an exit code; `report` prints an error with
//! its cause chain (`serial port error: Broken pipe`).
use ftio_proto::Status;

/// Exit code: the command ran and its check failed (BIST FAIL).
pub const EXIT_FAIL: u8 = 1;
/// Exit code: bad usage, no port, or the port cannot be opened.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the core did not answer properly, or is not an ftio core.
pub const EXIT_COMM: u8 = 3;

/// Everything that stops a command. The messages are `thiserror` attributes: one line each,
/// saying what to check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments (a value out of range, an unknown register...).
    #[error("{0}")]
    Usage(String),
    /// No port given, or the port cannot be opened.
    #[error("{0}")]
    Port(String),
    /// No (complete) reply within the timeout, after all retries.
    #[error("no reply from {port} after {attempts} attempt(s) of {timeout_ms} ms: check the port, --baud and that the board is configured")]
    Timeout { attempts: u32, timeout_ms: u64, port: String },
    /// Replies kept arriving corrupted (bad CRC or malformed), after all retries.
    #[error("replies kept arriving corrupted ({attempts} attempt(s), last: {last}): check --baud and the cable")]
    Corrupt { attempts: u32, last: BadReply },
    /// The core answered with an error status.
    #[error("the core refused {what}: status {status}")]
    Device { status: Status, what: String },
    /// The thing on the port is not an ftio core.
    #[error("not an ftio core: ID reads 0x{0:08X} (\"{ascii}\"), expected 0x4654494F (\"FTIO\")", ascii = printable(*.0))]
    NotFtio(u32),
    /// The core did something the protocol does not allow, or a wait ran out.
    #[error("{0}")]
    Protocol(String),
    /// An I/O error on the port (the cause follows in the report).
    #[error("serial port error")]
    Io(#[from] std::io::Error),
    /// Output could not be written (stdout closed...).
    #[error("cannot write output")]
    Output(#[source] std::io::Error),
}

/// Why a reply was taken as corrupted (and the request retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadReply {
    /// The bytes are not a frame (bad CRC, malformed).
    #[error(transparent)]
    Frame(#[from] ftio_proto::frame::FrameError),
    /// The core answered BAD_CRC: our request arrived corrupted.
    #[error("the core saw a bad CRC in our request (status 0x01)")]
    RequestCrc,
    /// A good frame whose count is not the request's.
    #[error("reply count {got} for a request of {want}")]
    Count { got: u8, want: u8 },
    /// A good read reply with another number of words than it asked for.
    #[error("reply carries {got} words for a read of {want}")]
    Words { got: usize, want: u8 },
}

/// `e` and every error under it, `: `-separated (one source: `ftio_proto::error_chain`).
pub use ftio_proto::error_chain as chain;

/// An ID word as four characters, `.` for a byte that is not printable ASCII.
fn printable(id: u32) -> String {
    id.to_be_bytes().iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }).collect()
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Port(_) => EXIT_USAGE,
            // The reader went away (`ftctl regs dump | head`): not a failure of ftctl.
            Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
            _ => EXIT_COMM,
        }
    }
}
