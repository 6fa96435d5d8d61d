//! Register stages behind the input links: [`InputStage`] (behind each disk link in every
//! build; behind each CPU link in the pipelined build, SPEC §4 "Pipelining",
//! `BuildParams::pipeline`: stage 1 of the design in docs/timing-history.md, "Deliverable 5"),
//! and [`IfBuilt`], which holds a block only in the builds that have it.
use crate::link::{StreamRx, StreamTx, Word};
use crate::shadow::ShadowCheck;
use crate::skid::Skid;
use rust_hdl::prelude::*;

/// A registered stage on a word stream, [`crate::bist_return::BistSkid`]'s form on the core's
/// streams: a [`Skid`] (the source's `ready` is its flop, `!skid_valid`) followed by an output
/// register, so neither the sink's `ready` nor the source's word logic crosses it. Every
/// build puts one behind each disk link's checks, the pipelined build (`--pipeline 1`) one
/// behind each CPU link's too: the BIST mux, the injector and the parity check end at its
/// flops, and the lockstep, the disk sides and the return path start at them.
///
/// A word offered at t is offered to the sink from t+1; a word a cycle passes; two words are
/// held at most. `rx.ready` does not follow `tx.ready` in the same cycle.
///
/// Hardened build ([`InputStage::hardened`]): `out_valid` and the skid's `skid_valid` are each
/// checked by a [`ShadowCheck`] (a flip would drop a word or offer one twice); the held words
/// are covered by the parity they carry.
#[derive(LogicBlock)]
pub struct InputStage {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Empty it (both held words are dropped).
    pub flush: Signal<In, Bit>,
    /// The source's words; `ready` is a flop.
    pub rx: StreamRx,
    /// Toward the sink: the output register's word.
    pub tx: StreamTx,
    /// Hardened build: a checked flop and its shadow disagree (an upset).
    pub internal_error: Signal<Out, Bit>,
    skid: Skid,
    out_valid: DFF<Bit>,
    out_word: DFF<Word>,
    shadow: ShadowCheck<1>,
    /// The output register takes the skid's word: it is empty, or its word leaves.
    load: Signal<Local, Bit>,
    out_valid_d: Signal<Local, Bit>,
}

impl InputStage {
    /// The stage, its control flops checked against shadows when `harden` is set.
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            flush: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            internal_error: Default::default(),
            skid: Skid::hardened(harden),
            out_valid: Default::default(),
            out_word: Default::default(),
            shadow: ShadowCheck::hardened(harden),
            load: Default::default(),
            out_valid_d: Default::default(),
        }
    }
}

impl Default for InputStage {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl Logic for InputStage {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, skid, shadow);
        dff_setup!(self, clock, out_valid, out_word);
        self.skid.flush.next = self.flush.val();
        self.skid.rx.valid.next = self.rx.valid.val();
        self.skid.rx.data.next = self.rx.data.val();
        self.rx.ready.next = self.skid.rx.ready.val();
        // out_valid | sink's ready | the output register
        //     0     |      -       | loads the skid's offer
        //     1     |      1       | loads the skid's offer (its word leaves)
        //     1     |      0       | holds (the skid holds the next word, `rx.ready` low)
        self.load.next = !self.out_valid.q.val() | self.tx.ready.val();
        self.skid.tx.ready.next = self.load.val();
        if self.load.val() {
            self.out_word.d.next = self.skid.tx.data.val();
        }
        self.out_valid_d.next = (self.skid.tx.valid.val() | (self.out_valid.q.val() & !self.tx.ready.val())) & !self.flush.val();
        self.out_valid.d.next = self.out_valid_d.val();
        self.tx.valid.next = self.out_valid.q.val();
        self.tx.data.next = self.out_word.q.val();
        self.shadow.checked_q.next = bit_cast::<1, 1>(self.out_valid.q.val().into());
        self.shadow.checked_d.next = bit_cast::<1, 1>(self.out_valid_d.val().into());
        self.internal_error.next = self.skid.internal_error.val() | self.shadow.bad.val();
    }
}

/// A block that only some builds have. Built, it is the block itself (its signals keep the
/// field's name in the Verilog: `stage_cpu_a$tx$valid`); not built, it is nothing: no module,
/// no wire, so a build without it generates the Verilog it did before the block existed. The
/// parent touches it only in the wiring of the builds that have it (a block not built panics
/// on use).
pub struct IfBuilt<B: Block>(Option<B>);

impl<B: Block> IfBuilt<B> {
    /// `block` when `built`, else nothing.
    pub fn new(built: bool, block: impl FnOnce() -> B) -> Self {
        Self(if built { Some(block()) } else { None })
    }

    /// The block is in this build.
    pub fn is_built(&self) -> bool {
        self.0.is_some()
    }
}

impl<B: Block> std::ops::Deref for IfBuilt<B> {
    type Target = B;
    fn deref(&self) -> &B {
        self.0.as_ref().expect("a block this build leaves out")
    }
}

impl<B: Block> std::ops::DerefMut for IfBuilt<B> {
    fn deref_mut(&mut self) -> &mut B {
        self.0.as_mut().expect("a block this build leaves out")
    }
}

impl<B: Block> Logic for IfBuilt<B> {
    // The block's own logic runs through `update_all` below; this wrapper adds none.
    fn update(&mut self) {}
}

impl<B: Block> Block for IfBuilt<B> {
    fn connect_all(&mut self) {
        if let Some(b) = &mut self.0 {
            b.connect_all();
        }
    }

    fn update_all(&mut self) {
        if let Some(b) = &mut self.0 {
            b.update_all();
        }
    }

    fn has_changed(&self) -> bool {
        self.0.as_ref().map_or(false, |b| b.has_changed())
    }

    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        if let Some(b) = &self.0 {
            b.accept(name, probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{check_stream_under_stalls, edge, low};

    /// Words pass in order under stalls with none lost or doubled, a word a cycle after one
    /// cycle of latency when the sink is always ready; `rx.ready` does not follow the sink's
    /// `ready`; a flush empties the stage.
    #[test]
    fn input_stage_keeps_order_rate_and_adds_one_cycle() {
        for stall_every in [0usize, 3, 2, 5] {
            let mut s = InputStage::default();
            s.connect_all();
            check_stream_under_stalls(&mut s, |s| (&mut s.rx, &mut s.tx), |s| &mut s.clock, stall_every, 1, 2);
        }
        // Both held words are dropped by a flush.
        let mut s = InputStage::default();
        s.connect_all();
        s.rx.valid.next = true;
        s.tx.ready.next = false;
        for w in [7u64, 8] {
            s.rx.data.next = w.into();
            low(&mut s, |s| &mut s.clock);
            edge(&mut s, |s| &mut s.clock);
        }
        s.rx.valid.next = false;
        low(&mut s, |s| &mut s.clock);
        assert!(s.tx.valid.val() && !s.rx.ready.val() && s.tx.data.val().to_u64() == 7);
        s.flush.next = true;
        low(&mut s, |s| &mut s.clock);
        edge(&mut s, |s| &mut s.clock);
        s.flush.next = false;
        low(&mut s, |s| &mut s.clock);
        assert!(!s.tx.valid.val() && s.rx.ready.val());
    }

    /// Hardened: a flip of `out_valid` is reported; the default build never reports.
    #[test]
    fn hardened_stage_reports_a_flip_of_out_valid() {
        for harden in [false, true] {
            let mut s = InputStage::hardened(harden);
            s.connect_all();
            s.tx.ready.next = true;
            low(&mut s, |s| &mut s.clock);
            edge(&mut s, |s| &mut s.clock);
            low(&mut s, |s| &mut s.clock);
            assert!(!s.internal_error.val());
            s.out_valid.q.next = true;
            low(&mut s, |s| &mut s.clock);
            assert_eq!(s.internal_error.val(), harden);
        }
    }
}
