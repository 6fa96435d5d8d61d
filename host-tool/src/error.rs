//! ftctl's errors, each a one-line message with an exit code.
use ftio_proto::Status;
use std::fmt;

/// Exit code: the command ran and its check failed (BIST FAIL).
pub const EXIT_FAIL: u8 = 1;
/// Exit code: bad usage, no port, or the port cannot be opened.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the core did not answer properly, or is not an ftio core.
pub const EXIT_COMM: u8 = 3;

/// Everything that stops a command.
#[derive(Debug)]
pub enum Error {
    /// Bad arguments (a value out of range, an unknown register...).
    Usage(String),
    /// No port given, or the port cannot be opened.
    Port(String),
    /// No (complete) reply within the timeout, after all retries.
    Timeout { attempts: u32, timeout_ms: u64, port: String },
    /// Replies kept arriving corrupted (bad CRC or malformed), after all retries.
    Corrupt { attempts: u32, last: String },
    /// The core answered with an error status.
    Device { status: Status, what: String },
    /// The thing on the port is not an ftio core.
    NotFtio(u32),
    /// The core did something the protocol does not allow, or a wait ran out.
    Protocol(String),
    /// An I/O error on the port.
    Io(std::io::Error),
    /// Output could not be written (stdout closed...).
    Output(std::io::Error),
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(s) | Error::Port(s) | Error::Protocol(s) => f.write_str(s),
            Error::Timeout { attempts, timeout_ms, port } => write!(
                f,
                "no reply from {port} after {attempts} attempt(s) of {timeout_ms} ms: check the port, --baud and that the board is configured"
            ),
            Error::Corrupt { attempts, last } => {
                write!(f, "replies kept arriving corrupted ({attempts} attempt(s), last: {last}): check --baud and the cable")
            }
            Error::Device { status, what } => write!(f, "the core refused {what}: status {status}"),
            Error::NotFtio(id) => {
                let ascii: String = id
                    .to_be_bytes()
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
                    .collect();
                write!(f, "not an ftio core: ID reads 0x{id:08X} (\"{ascii}\"), expected 0x4654494F (\"FTIO\")")
            }
            Error::Io(e) => write!(f, "serial port error: {e}"),
            Error::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}
