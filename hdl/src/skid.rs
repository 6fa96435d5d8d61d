//! `Skid`: a skid buffer on a word stream whose `ready` toward the source is a flop. It cuts a
//! long `valid → ready` loop: the sink's `ready` ends at this block's `skid_valid` flop and
//! never reaches the source's state.
//!
//! When empty it is a bypass: the source's word is offered to the sink in the same cycle, so a
//! word takes no extra cycle through it. In a cycle where the sink does not take an offered
//! word that the source moved (the source saw `ready` high: the skid register was empty), the
//! word waits in the skid register and is offered first from the next cycle; meanwhile the
//! source sees `ready` low. It holds one word; with the word the sink is offered, a source sees
//! `ready` low one word later than it would without it.
//!
//! The core has one at each disk ingress (between the checked stream and the disk's side,
//! issue 26): the disks' `ready` is a flop, and the fabric's return select → `ready` path no
//! longer runs on into the injectors, their shared N counter and the BIST's disk-side
//! generators. [`crate::bist_return::BistSkid`] is one followed by an output register.
//!
//! Hardened build ([`Skid::hardened`]): `skid_valid` is checked by a [`ShadowCheck`] (a flip
//! would drop a word or offer the held one twice); the held word is covered by the parity it
//! carries.
use crate::link::{StreamRx, StreamTx, Word};
use crate::shadow::ShadowCheck;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Skid {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Empty it (the held word is dropped).
    pub flush: Signal<In, Bit>,
    /// The source's words. `ready` is `!skid_valid`, a flop.
    pub rx: StreamRx,
    /// Toward the sink: the held word, or (when empty) the source's.
    pub tx: StreamTx,
    /// A word is held.
    pub held: Signal<Out, Bit>,
    /// Hardened build: `skid_valid` and its shadow disagree (an upset).
    pub internal_error: Signal<Out, Bit>,
    skid_valid: DFF<Bit>,
    skid_word: DFF<Word>,
    shadow: ShadowCheck<1>,
    skid_valid_d: Signal<Local, Bit>,
}

impl Skid {
    /// The skid buffer, with `skid_valid` checked against a shadow when `harden` is set.
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            flush: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            held: Default::default(),
            internal_error: Default::default(),
            skid_valid: Default::default(),
            skid_word: Default::default(),
            shadow: ShadowCheck::hardened(harden),
            skid_valid_d: Default::default(),
        }
    }
}

impl Default for Skid {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl Logic for Skid {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, skid_valid, skid_word);
        clock!(self, clock, shadow);
        // skid_valid | offered to the sink | source's ready
        //     0      | the source's word    | 1
        //     1      | the held word        | 0
        self.rx.ready.next = !self.skid_valid.q.val();
        self.tx.valid.next = self.skid_valid.q.val() | self.rx.valid.val();
        if self.skid_valid.q.val() {
            self.tx.data.next = self.skid_word.q.val();
        } else {
            self.tx.data.next = self.rx.data.val();
        }
        // The register loads the source's word whenever it is empty (an enable from a flop, not
        // from the sink's `ready`); it holds a word while one offered is not taken.
        if !self.skid_valid.q.val() {
            self.skid_word.d.next = self.rx.data.val();
        }
        self.skid_valid_d.next = (self.skid_valid.q.val() | self.rx.valid.val()) & !self.tx.ready.val() & !self.flush.val();
        self.skid_valid.d.next = self.skid_valid_d.val();
        self.held.next = self.skid_valid.q.val();
        self.shadow.checked_q.next = bit_cast::<1, 1>(self.skid_valid.q.val().into());
        self.shadow.checked_d.next = bit_cast::<1, 1>(self.skid_valid_d.val().into());
        self.internal_error.next = self.shadow.bad.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{check_stream_under_stalls, edge, low};

    /// Words pass in order under random stalls with none lost or doubled; with the sink always
    /// ready a word passes in the cycle it is offered (no added latency) at a word a cycle; the
    /// source's `ready` does not follow the sink's; one word is held at most; a flush drops it.
    #[test]
    fn skid_keeps_order_rate_and_zero_latency() {
        for stall_every in [0usize, 3, 2, 5] {
            let mut s = Skid::default();
            s.connect_all();
            check_stream_under_stalls(&mut s, |s| (&mut s.rx, &mut s.tx), |s| &mut s.clock, stall_every, 0, 1);
        }
        // A held word is dropped by a flush.
        let mut s = Skid::default();
        s.connect_all();
        s.rx.valid.next = true;
        s.rx.data.next = 7.into();
        s.tx.ready.next = false;
        low(&mut s, |s| &mut s.clock);
        edge(&mut s, |s| &mut s.clock);
        s.rx.valid.next = false;
        low(&mut s, |s| &mut s.clock);
        assert!(s.held.val() && s.tx.valid.val() && !s.rx.ready.val() && s.tx.data.val().to_u64() == 7);
        s.flush.next = true;
        low(&mut s, |s| &mut s.clock);
        edge(&mut s, |s| &mut s.clock);
        s.flush.next = false;
        low(&mut s, |s| &mut s.clock);
        assert!(!s.held.val() && !s.tx.valid.val() && s.rx.ready.val());
    }

    /// Hardened: a flip of `skid_valid` is reported; the default build never reports.
    #[test]
    fn hardened_skid_reports_a_flip_of_skid_valid() {
        for harden in [false, true] {
            let mut s = Skid::hardened(harden);
            s.connect_all();
            s.tx.ready.next = true;
            low(&mut s, |s| &mut s.clock);
            edge(&mut s, |s| &mut s.clock);
            low(&mut s, |s| &mut s.clock);
            assert!(!s.internal_error.val());
            s.skid_valid.q.next = true;
            low(&mut s, |s| &mut s.clock);
            assert_eq!(s.internal_error.val(), harden);
        }
    }
}
