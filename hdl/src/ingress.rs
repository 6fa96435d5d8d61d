//! `Ingress`: one words-in port of the core (`cpu_*_tx`, `disk_*_rx`): the BIST mux, the
//! fault injector (SPEC §6) and the link checker (SPEC §2), in that order.
use crate::inject::Injector;
use crate::inject_control::InjectPort;
use crate::link::{LinkRx, StreamTx, WordTap};
use crate::link_check::LinkChecker;
use ftio_proto::InjLink;
use rust_hdl::prelude::*;

/// Pins (or, while `bist_select`, the BIST generator) → [`Injector`] → [`LinkChecker`] →
/// the core's stream of checked [`crate::link::Word`]s. The injector is armed when INJ_CTRL
/// is armed and names this link; the four injectors share one N counter
/// ([`crate::inject_control::InjectControl`]).
#[derive(LogicBlock)]
pub struct Ingress {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The link's pins.
    pub link: LinkRx,
    /// The BIST generator's link: the injector's source while `bist_select`, when the pins
    /// see `ready` low.
    pub bist: LinkRx,
    /// The BIST owns this input.
    pub bist_select: Signal<In, Bit>,
    /// Fault injection: INJ_CTRL and the shared N counter, from the core's
    /// [`crate::inject_control::InjectControl`].
    pub inj: InjectPort,
    /// The checked words, `perr` set on a word that arrived with bad parity.
    pub word: StreamTx,
    /// The offered word fails its data parity, or `cpar` its control (every cycle).
    pub error: Signal<Out, Bit>,
    /// `word`'s offer, for the first-fault capture.
    pub tap: WordTap,
    injector: Injector,
    link_check: LinkChecker,
    /// This link's INJ_CTRL.link code.
    link_code: Constant<Bits<2>>,
}

impl Ingress {
    /// The ingress of `link` (its INJ_CTRL.link code arms its injector).
    pub fn new(link: InjLink) -> Self {
        Self {
            clock: Default::default(),
            link: Default::default(),
            bist: Default::default(),
            bist_select: Default::default(),
            inj: Default::default(),
            word: Default::default(),
            error: Default::default(),
            tap: Default::default(),
            injector: Default::default(),
            link_check: Default::default(),
            link_code: Constant::new((link.code() as u64).to_bits()),
        }
    }

    /// The ingress of `link` in a core built with `params`: its injector is left out when
    /// `params.injection` is false.
    pub fn for_build(link: InjLink, params: &ftio_proto::BuildParams) -> Self {
        Self { injector: Injector::for_build(params), ..Self::new(link) }
    }
}

impl Logic for Ingress {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, injector);
        // BIST mux: the generator's words, or the pins'; the source not chosen sees `ready` low.
        if self.bist_select.val() {
            self.injector.pin_valid.next = self.bist.valid.val();
            self.injector.pin_data.next = self.bist.data.val();
            self.injector.pin_last.next = self.bist.last.val();
            self.injector.pin_abort.next = self.bist.abort.val();
            self.injector.pin_par.next = self.bist.par.val();
            self.injector.pin_cpar.next = self.bist.cpar.val();
            self.bist.ready.next = self.injector.pin_ready.val();
            self.bist.rpar.next = self.injector.pin_rpar.val();
            self.link.ready.next = false;
            self.link.rpar.next = true;
        } else {
            self.injector.pin_valid.next = self.link.valid.val();
            self.injector.pin_data.next = self.link.data.val();
            self.injector.pin_last.next = self.link.last.val();
            self.injector.pin_abort.next = self.link.abort.val();
            self.injector.pin_par.next = self.link.par.val();
            self.injector.pin_cpar.next = self.link.cpar.val();
            self.bist.ready.next = false;
            self.bist.rpar.next = true;
            self.link.ready.next = self.injector.pin_ready.val();
            self.link.rpar.next = self.injector.pin_rpar.val();
        }
        // Fault injection, armed by INJ_CTRL for this link.
        self.injector.arm.next = self.inj.arm.val() & (self.inj.link.val() == self.link_code.val());
        self.injector.kind.next = self.inj.kind.val();
        self.injector.bit_sel.next = self.inj.bit_sel.val();
        self.injector.left_zero.next = self.inj.left_zero.val();
        self.injector.left_one.next = self.inj.left_one.val();
        self.injector.count_zero.next = self.inj.count_zero.val();
        self.inj.step.next = self.injector.step.val();
        self.inj.keep.next = self.injector.keep.val();
        self.inj.fired.next = self.injector.fired.val();
        // Link check: parity on the word as the source sent it, the injector's flips beside.
        self.link_check.valid.next = self.injector.valid.val();
        self.link_check.data.next = self.injector.data.val();
        self.link_check.last.next = self.injector.last.val();
        self.link_check.abort.next = self.injector.abort.val();
        self.link_check.par.next = self.injector.par.val();
        self.link_check.cpar.next = self.injector.cpar.val();
        self.link_check.raw_data.next = self.injector.pin_data.val();
        self.link_check.raw_par.next = self.injector.pin_par.val();
        self.link_check.par_flip.next = self.injector.par_flip.val();
        self.error.next = self.link_check.error.val();
        self.word.valid.next = self.injector.valid.val();
        self.word.data.next = self.link_check.word.val();
        self.injector.ready.next = self.word.ready.val();
        self.injector.rpar.next = !self.word.ready.val();
        self.tap.valid.next = self.injector.valid.val();
        self.tap.data.next = self.link_check.word.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, control_parity, pack_word, IdleLink, LinkTx};
    use crate::testbench::{edge, low};

    /// The pins, a BIST generator (idle here) and an ingress, as the core wires them.
    #[derive(LogicBlock)]
    struct Bench {
        clock: Signal<In, Clock>,
        pins: LinkTx,
        bist: IdleLink,
        ingress: Ingress,
    }

    impl Logic for Bench {
        #[hdl_gen]
        fn update(&mut self) {
            clock!(self, clock, ingress);
            LinkTx::join(&mut self.pins, &mut self.ingress.link);
            LinkTx::join(&mut self.bist.link, &mut self.ingress.bist);
        }
    }

    fn bench() -> Bench {
        let mut b = Bench {
            clock: Default::default(),
            pins: Default::default(),
            bist: Default::default(),
            ingress: Ingress::new(InjLink::DiskA),
        };
        b.connect_all();
        b
    }

    fn offer(b: &mut Bench, data: u32, par: u8) {
        b.pins.valid.next = true;
        b.pins.data.next = (data as u64).into();
        b.pins.par.next = (par as u64).into();
        b.pins.last.next = false;
        b.pins.abort.next = false;
        b.pins.cpar.next = control_parity(true, false, false);
    }

    fn cycle(b: &mut Bench) {
        low(b, |b| &mut b.clock);
        edge(b, |b| &mut b.clock);
        low(b, |b| &mut b.clock);
    }

    /// Words pass from the pins to the stream with no added latency, packed, `ready` passes
    /// back; a word with bad parity comes through marked `perr`; while the BIST owns the
    /// input the pins see `ready` low; an injection armed for this link flips the bit it
    /// names in the next word, and one armed for another link does nothing here.
    #[test]
    fn ingress_checks_muxes_and_injects() {
        let mut b = bench();
        let set = |b: &mut Bench, arm: bool, link: u64| {
            b.ingress.inj.arm.next = arm;
            b.ingress.inj.link.next = link.into();
            b.ingress.inj.kind.next = 0.into();
            b.ingress.inj.bit_sel.next = 3.into();
            b.ingress.inj.left_zero.next = true;
            b.ingress.inj.left_one.next = false;
            b.ingress.inj.count_zero.next = true;
            b.ingress.bist_select.next = false;
            b.ingress.word.ready.next = true;
        };
        set(&mut b, false, 0);
        offer(&mut b, 0x1234_5678, byte_parity(0x1234_5678));
        cycle(&mut b);
        assert!(b.ingress.word.valid.val() && b.pins.ready.val() && !b.ingress.error.val());
        assert_eq!(b.ingress.word.data.val().to_u64(), pack_word(0x1234_5678, byte_parity(0x1234_5678), false, false, false));
        offer(&mut b, 0x1234_5678, byte_parity(0x1234_5679));
        cycle(&mut b);
        assert!(b.ingress.error.val());
        assert_eq!(b.ingress.word.data.val().to_u64(), pack_word(0x1234_5678, byte_parity(0x1234_5679), false, false, true));
        b.ingress.bist_select.next = true;
        cycle(&mut b);
        assert!(!b.pins.ready.val() && !b.ingress.word.valid.val(), "the BIST owns the input");
        // The data the stream shows, with the error flag and `fired`, over four cycles.
        let watch = |b: &mut Bench| {
            (0..4)
                .map(|_| {
                    cycle(b);
                    (b.ingress.word.data.val().to_u64() & 0xFF, b.ingress.error.val(), b.ingress.inj.fired.val())
                })
                .collect::<Vec<_>>()
        };
        set(&mut b, true, InjLink::CpuA.code() as u64);
        offer(&mut b, 0, byte_parity(0));
        assert!(watch(&mut b).iter().all(|&w| w == (0, false, false)), "armed for another link");
        set(&mut b, false, 0);
        cycle(&mut b);
        set(&mut b, true, InjLink::DiskA.code() as u64);
        let seen = watch(&mut b);
        assert_eq!(seen.iter().filter(|w| w.0 == 1 << 3 && w.1).count(), 1, "data bit 3 flipped in one word: {seen:?}");
        assert_eq!(seen.iter().filter(|w| w.2).count(), 1, "fired once: {seen:?}");
    }
}
