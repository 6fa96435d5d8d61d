//! ftio-proto: the one register table of the ftio core and its UART frame codec (SPEC §5).
//!
//! No dependency beyond `std` and `thiserror` (its error types), so the gateware generator
//! (`ftio-hdl`), the host tool (`ftctl`) and the docs generator can all share it.
//!
//! * [`REGISTERS`], [`reg`], [`by_addr`]: the register map as data, with field helpers.
//! * [`Mode`], [`Cause`] and the other field enums.
//! * [`crc16`], [`Request`], [`Response`], [`ResponseDecoder`]: the frame codec.
//! * [`RegisterModel`]: the reference model of the command parser and register file.
//! * [`docs`]: `docs/registers.md` and `docs/registers.csv`.

pub mod docs;
pub mod enums;
pub mod frame;
pub mod model;
pub mod params;
pub mod regs;

pub use params::{CaptureChoice, ParamsError};

/// `e` and every error under it, `: `-separated (`serial port error: Broken pipe`): the one
/// line `ftio` and `ftctl` print for an error, and what a report records where an error ends
/// up in text. Here because both the host tool and the simulation use it and neither depends
/// on the other.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

pub use enums::{Cause, Commit, Disk, InjKind, InjLink, Lockstep, Mode, Policy};
pub use frame::{
    crc16, crc16_update, DecodeEvent, FrameError, Request, Response, ResponseDecoder, Status, CMD_READ, CMD_WRITE,
    INTERBYTE_TIMEOUT_BITS, MAX_COUNT, REQ_SYNC, RESP_SYNC,
};
pub use model::{refused_value, write_refusal, Pulse, RegisterModel};
pub use regs::{
    by_addr, by_name, counters, max_addr, reg, Access, BuildParams, Field, Hw, Part, Register, Reset, SNAPSHOT_PULSE, COUNTER_FIRST,
    COUNTER_LAST, ID_VALUE, MODE_KEEP, REGISTERS, VERSION_VALUE,
};
