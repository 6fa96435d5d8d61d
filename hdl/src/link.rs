//! The link of SPEC §2, bundled as rust-hdl interfaces, and the core's internal word format.
//!
//! A link carries 32-bit words with per-byte odd parity (`par`), frame control (`last`,
//! `abort`) protected by `cpar`, and a `ready` back-pressure signal protected by `rpar`.
//! [`LinkTx`] is the side that *emits* words (its `valid`/`data` are outputs),
//! [`LinkRx`] the side that *takes* them. `LinkTx::join(&mut source, &mut sink)` wires
//! one to the other.
use rust_hdl::prelude::*;

/// Width of the core's internal word (see [`word`]).
pub const WORD_BITS: usize = 40;
/// The internal word: a link word plus the facts the core learned about it at ingress.
pub type Word = Bits<WORD_BITS>;

/// Bit positions inside a [`Word`]. Parity is carried in the word as received, so a fault
/// anywhere between ingress and egress is caught by the egress check.
pub mod word {
    /// `data` occupies bits `[31:0]`.
    pub const DATA_LSB: usize = 0;
    /// `par` (odd parity per data byte, as received) occupies bits `[35:32]`.
    pub const PAR_LSB: usize = 32;
    /// `last`: final word of a frame.
    pub const LAST: usize = 36;
    /// `abort`: with `last`, the frame is void.
    pub const ABORT: usize = 37;
    /// `perr`: the word failed its parity check when it entered the core.
    pub const PERR: usize = 38;
}

/// The emitting end of a link: the core's `cpu_*_rx` and `disk_*_tx` ports, or a model
/// CPU's transmit side in a testbench.
#[derive(LogicInterface, Default, Clone)]
#[join = "LinkRx"]
pub struct LinkTx {
    /// A word is offered this cycle.
    pub valid: Signal<Out, Bit>,
    /// The word.
    pub data: Signal<Out, Bits<32>>,
    /// Final word of a frame.
    pub last: Signal<Out, Bit>,
    /// Only with `last`: the frame is void and the sink discards all of it.
    pub abort: Signal<Out, Bit>,
    /// Odd parity per data byte: `par[i] = ~^data[8i+7:8i]`.
    pub par: Signal<Out, Bits<4>>,
    /// Odd parity over control: `~(valid ^ last ^ abort)`; idle = 1.
    pub cpar: Signal<Out, Bit>,
    /// The sink takes the word this cycle.
    pub ready: Signal<In, Bit>,
    /// `~ready`.
    pub rpar: Signal<In, Bit>,
}

/// The taking end of a link: the core's `cpu_*_tx` and `disk_*_rx` ports.
#[derive(LogicInterface, Default, Clone)]
#[join = "LinkTx"]
pub struct LinkRx {
    /// A word is offered this cycle.
    pub valid: Signal<In, Bit>,
    /// The word.
    pub data: Signal<In, Bits<32>>,
    /// Final word of a frame.
    pub last: Signal<In, Bit>,
    /// Only with `last`: the frame is void.
    pub abort: Signal<In, Bit>,
    /// Odd parity per data byte.
    pub par: Signal<In, Bits<4>>,
    /// Odd parity over control.
    pub cpar: Signal<In, Bit>,
    /// This end takes the word this cycle.
    pub ready: Signal<Out, Bit>,
    /// `~ready`.
    pub rpar: Signal<Out, Bit>,
}

/// The emitting end of an internal word stream between the core's blocks: the link's
/// handshake (SPEC §2) with the ingress facts packed into one [`Word`]. A word moves in a
/// cycle where `valid & ready`; `ready` does not wait for `valid`.
#[derive(LogicInterface, Default, Clone)]
#[join = "StreamRx"]
pub struct StreamTx {
    /// A word is offered this cycle.
    pub valid: Signal<Out, Bit>,
    /// The word (see [`word`] for its fields).
    pub data: Signal<Out, Word>,
    /// The sink takes the word this cycle.
    pub ready: Signal<In, Bit>,
}

/// The taking end of an internal word stream (see [`StreamTx`]).
#[derive(LogicInterface, Default, Clone)]
#[join = "StreamTx"]
pub struct StreamRx {
    /// A word is offered this cycle.
    pub valid: Signal<In, Bit>,
    /// The word.
    pub data: Signal<In, Word>,
    /// This end takes the word this cycle.
    pub ready: Signal<Out, Bit>,
}

/// Declares a one-way bundle between two blocks as the `LogicInterface` pair `#[join]`
/// needs, from one field list: `$drive` (every field an output: the block that drives them)
/// and `$take` (the same fields as inputs: the block that takes them). The two ends cannot
/// drift apart. `#[join]` takes the other end's name as a string, hence the literals.
///
/// ```text
/// one_way_bundle! {
///     /// What the lockstep reports.
///     LockstepEvents "LockstepEvents" => LockstepEventsIn "LockstepEventsIn" {
///         /// Pulse: a word left.
///         word_out: Bit,
///     }
/// }
/// ```
#[macro_export]
macro_rules! one_way_bundle {
    (
        $(#[$m:meta])*
        $drive:ident $drive_s:literal => $take:ident $take_s:literal {
            $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(LogicInterface, Default, Clone)]
        #[join = $take_s]
        pub struct $drive {
            $($(#[$fm])* pub $f: Signal<Out, $t>,)*
        }

        /// The taking end of the bundle of the same fields (see its driving end).
        #[derive(LogicInterface, Default, Clone)]
        #[join = $drive_s]
        pub struct $take {
            $($(#[$fm])* pub $f: Signal<In, $t>,)*
        }
    };
}

crate::one_way_bundle! {
    /// A copy of a stream's offer (`valid`, `data`) for a block that watches the stream
    /// without taking part in its handshake: the first-fault capture reads the words at the
    /// ports through these ([`crate::fault_log::FaultLog`]).
    WordTap "WordTap" => WordTapIn "WordTapIn" {
        /// A word is offered this cycle.
        valid: Bit,
        /// The word offered.
        data: Word,
    }
}

/// A link with nothing on it (valid 0, correct `cpar`): what an [`crate::ingress::Ingress`]
/// without a BIST generator sees on its BIST input.
#[derive(LogicBlock, Default)]
pub struct IdleLink {
    /// The idle link.
    pub link: LinkTx,
}

impl Logic for IdleLink {
    #[hdl_gen]
    fn update(&mut self) {
        self.link.valid.next = false;
        self.link.data.next = 0.into();
        self.link.last.next = false;
        self.link.abort.next = false;
        self.link.par.next = 0.into();
        self.link.cpar.next = true;
    }
}

/// Odd parity of each byte of `data`, as SPEC §2 defines `par` (software reference).
pub fn byte_parity(data: u32) -> u8 {
    let mut p = 0u8;
    for i in 0..4 {
        let byte = (data >> (8 * i)) as u8;
        if byte.count_ones() % 2 == 0 {
            p |= 1 << i;
        }
    }
    p
}

/// `cpar` for the given control bits (software reference).
pub fn control_parity(valid: bool, last: bool, abort: bool) -> bool {
    !(valid ^ last ^ abort)
}

/// Packs link fields into an internal [`Word`] (software reference, used by testbenches).
pub fn pack_word(data: u32, par: u8, last: bool, abort: bool, perr: bool) -> u64 {
    (data as u64)
        | ((par as u64 & 0xF) << word::PAR_LSB)
        | ((last as u64) << word::LAST)
        | ((abort as u64) << word::ABORT)
        | ((perr as u64) << word::PERR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_parity_is_odd() {
        for &d in &[0u32, 1, 0xFF, 0x0100_0000, 0xDEAD_BEEF, u32::MAX] {
            let p = byte_parity(d);
            for i in 0..4 {
                let ones = ((d >> (8 * i)) as u8).count_ones() + ((p >> i) & 1) as u32;
                assert_eq!(ones % 2, 1, "byte {i} of {d:#x}");
            }
        }
        assert_eq!(byte_parity(0), 0xF);
        assert!(control_parity(false, false, false), "idle cpar is 1");
    }
}
