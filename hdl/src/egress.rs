//! `Egress`: one words-out port of the core (`cpu_*_rx`, `disk_*_tx`).
use crate::link::{LinkTx, StreamRx};
use crate::link_check::ReadyChecker;
use crate::parity::ParityCheck;
use rust_hdl::prelude::*;

/// Drives a link port from an internal stream, generates `cpar`, and re-checks the carried
/// data parity so that corruption inside the core is caught here. The stream's `ready` is
/// the link's: a word moves when the stream offers it and the port's sink takes it.
#[derive(LogicBlock, Default)]
pub struct Egress {
    /// The link port.
    pub link: LinkTx,
    /// The words to send.
    pub word: StreamRx,
    /// `rpar` disagrees with `ready` (every cycle).
    pub ready_error: Signal<Out, Bit>,
    /// The offered word's data fails its carried parity although it entered the core clean:
    /// a fault inside the core.
    pub egress_error: Signal<Out, Bit>,
    check: ParityCheck,
    ready_check: ReadyChecker,
}

impl Logic for Egress {
    #[hdl_gen]
    fn update(&mut self) {
        // Word bits (link::word): data 31:0, par 35:32, last 36, abort 37, perr 38.
        self.link.valid.next = self.word.valid.val();
        self.link.data.next = self.word.data.val().get_bits::<32>(0);
        self.link.par.next = self.word.data.val().get_bits::<4>(32);
        self.link.last.next = self.word.data.val().get_bit(36);
        self.link.abort.next = self.word.data.val().get_bit(37);
        self.link.cpar.next =
            !(self.word.valid.val() ^ self.word.data.val().get_bit(36) ^ self.word.data.val().get_bit(37));
        self.word.ready.next = self.link.ready.val();
        self.ready_check.ready.next = self.link.ready.val();
        self.ready_check.rpar.next = self.link.rpar.val();
        self.ready_error.next = self.ready_check.error.val();
        self.check.data.next = self.word.data.val().get_bits::<32>(0);
        self.check.par.next = self.word.data.val().get_bits::<4>(32);
        self.egress_error.next =
            self.word.valid.val() & self.check.error.val() & !self.word.data.val().get_bit(38);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, control_parity, pack_word};
    use crate::testbench::settle;

    fn offer(e: &mut Egress, valid: bool, word: u64, ready: bool, rpar: bool) {
        e.word.valid.next = valid;
        e.word.data.next = word.into();
        e.link.ready.next = ready;
        e.link.rpar.next = rpar;
        settle(e);
    }

    /// The word reaches the pins with its `par` and a correct `cpar`; the sink's `ready` is
    /// the stream's; a word whose data no longer matches the parity it entered with is an
    /// egress error (unless it entered bad: `perr`); `rpar == ready` is a ready error.
    #[test]
    fn egress_drives_the_link_and_checks_what_leaves() {
        let mut e = Egress::default();
        e.connect_all();
        let d = 0xDEAD_BEEF;
        offer(&mut e, true, pack_word(d, byte_parity(d), true, false, false), true, false);
        assert_eq!(e.link.data.val().to_u32(), d);
        assert_eq!(e.link.par.val().to_u32() as u8, byte_parity(d));
        assert!(e.link.valid.val() && e.link.last.val() && !e.link.abort.val());
        assert_eq!(e.link.cpar.val(), control_parity(true, true, false));
        assert!(e.word.ready.val() && !e.egress_error.val() && !e.ready_error.val());
        offer(&mut e, true, pack_word(d ^ 1, byte_parity(d), false, false, false), false, true);
        assert!(!e.word.ready.val() && e.egress_error.val(), "corrupted inside the core");
        offer(&mut e, true, pack_word(d ^ 1, byte_parity(d), false, false, true), false, true);
        assert!(!e.egress_error.val(), "entered bad: counted at ingress, not here");
        offer(&mut e, false, 0, true, true);
        assert!(e.ready_error.val() && e.link.cpar.val());
    }
}
