//! Link checkers: every word a port offers, and every cycle's control, checked against
//! its parity (SPEC §2).
use crate::link::Word;
use crate::parity::ParityGen;
use rust_hdl::prelude::*;

/// Checks the words-in side of a link port (`cpu_*_tx`, `disk_*_rx` seen from the core) and
/// packs the offered word into the core's internal [`Word`], with `perr` set when the word
/// arrived with bad parity.
#[derive(LogicBlock, Default)]
pub struct LinkChecker {
    /// `valid` at the port.
    pub valid: Signal<In, Bit>,
    /// `data` at the port.
    pub data: Signal<In, Bits<32>>,
    /// `last` at the port.
    pub last: Signal<In, Bit>,
    /// `abort` at the port.
    pub abort: Signal<In, Bit>,
    /// `par` at the port.
    pub par: Signal<In, Bits<4>>,
    /// `cpar` at the port.
    pub cpar: Signal<In, Bit>,
    /// `data` as the source sent it, before fault injection: the parity is checked on it.
    /// (Without an injector in front, `data`.)
    pub raw_data: Signal<In, Bits<32>>,
    /// `par` as the source sent it, before fault injection.
    pub raw_par: Signal<In, Bits<4>>,
    /// The bytes whose check the injector inverts this cycle (its `par_flip`; 0 without one):
    /// checking the raw word and inverting these gives the check of the injected word, with
    /// the flip beside the parity trees instead of in front of them.
    pub par_flip: Signal<In, Bits<4>>,
    /// A data byte of the offered word has bad parity (only while `valid`).
    pub data_error: Signal<Out, Bit>,
    /// `cpar` disagrees with `valid`/`last`/`abort` (checked every cycle, idle included).
    pub ctrl_error: Signal<Out, Bit>,
    /// Either error.
    pub error: Signal<Out, Bit>,
    /// The offered word, packed, with `perr` = `error`.
    pub word: Signal<Out, Word>,
    gen: ParityGen,
    byte_err: Signal<Local, Bits<4>>,
}

impl Logic for LinkChecker {
    #[hdl_gen]
    fn update(&mut self) {
        self.gen.data.next = self.raw_data.val();
        self.byte_err.next = self.gen.par.val() ^ self.raw_par.val() ^ self.par_flip.val();
        self.data_error.next = self.valid.val() & (self.byte_err.val() != 0);
        self.ctrl_error.next =
            self.cpar.val() == (self.valid.val() ^ self.last.val() ^ self.abort.val());
        self.error.next = self.data_error.val() | self.ctrl_error.val();
        self.word.next = bit_cast::<40, 32>(self.data.val())
            | (bit_cast::<40, 4>(self.par.val()) << 32)
            | (bit_cast::<40, 1>(self.last.val().into()) << 36)
            | (bit_cast::<40, 1>(self.abort.val().into()) << 37)
            | (bit_cast::<40, 1>(self.error.val().into()) << 38);
    }
}

/// Checks the back-pressure pair of a words-out port (`cpu_*_rx`, `disk_*_tx`): `rpar` must
/// be `~ready` every cycle.
#[derive(LogicBlock, Default)]
pub struct ReadyChecker {
    /// `ready` from the sink.
    pub ready: Signal<In, Bit>,
    /// `rpar` from the sink.
    pub rpar: Signal<In, Bit>,
    /// `rpar == ready`: the pair is corrupt.
    pub error: Signal<Out, Bit>,
}

impl Logic for ReadyChecker {
    #[hdl_gen]
    fn update(&mut self) {
        self.error.next = self.ready.val() == self.rpar.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, control_parity, pack_word};
    use rand::{Rng, SeedableRng};

    #[derive(Clone, Copy)]
    struct Offer {
        valid: bool,
        data: u32,
        last: bool,
        abort: bool,
        par: u8,
        cpar: bool,
    }

    fn apply(uut: &mut LinkChecker, o: &Offer) {
        uut.valid.next = o.valid;
        uut.data.next = (o.data as u64).into();
        uut.raw_data.next = (o.data as u64).into();
        uut.raw_par.next = (o.par as u64).into();
        uut.par_flip.next = 0u64.into();
        uut.last.next = o.last;
        uut.abort.next = o.abort;
        uut.par.next = (o.par as u64).into();
        uut.cpar.next = o.cpar;
        assert!(simulate(uut, 10));
    }

    fn good(rng: &mut impl Rng, valid: bool) -> Offer {
        let data: u32 = rng.gen();
        let last = rng.gen_bool(0.3);
        let abort = last && rng.gen_bool(0.2);
        Offer { valid, data, last, abort, par: byte_parity(data), cpar: control_parity(valid, last, abort) }
    }

    #[test]
    fn link_checker_synthesizes() {
        let mut uut = LinkChecker::default();
        uut.connect_all();
        yosys_validate("ftio_link_checker", &generate_verilog(&uut)).unwrap();
        let mut uut = ReadyChecker::default();
        uut.connect_all();
        yosys_validate("ftio_ready_checker", &generate_verilog(&uut)).unwrap();
    }

    /// The injector's single-bit flips, told to the checker as `par_flip` beside the raw
    /// word, are flagged exactly as the injected word's own parity would flag them, and the
    /// packed word is the injected one.
    #[test]
    fn an_injected_flip_is_flagged_through_par_flip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let mut uut = LinkChecker::default();
        uut.connect_all();
        for _ in 0..50 {
            let raw = good(&mut rng, true);
            for bit in 0..36u32 {
                let (mut o, byte) = (raw, if bit < 32 { bit / 8 } else { bit - 32 });
                if bit < 32 {
                    o.data ^= 1 << bit;
                } else {
                    o.par ^= 1 << (bit - 32);
                }
                apply(&mut uut, &o);
                uut.raw_data.next = (raw.data as u64).into();
                uut.raw_par.next = (raw.par as u64).into();
                uut.par_flip.next = (1u64 << byte).into();
                assert!(simulate(&mut uut, 10));
                assert!(uut.data_error.val() && uut.error.val(), "flip of bit {bit} not flagged");
                assert_eq!(uut.word.val().to_u64(), pack_word(o.data, o.par, o.last, o.abort, true));
                // The same word with the flip not announced passes: the check is on the raw word.
                uut.par_flip.next = 0u64.into();
                assert!(simulate(&mut uut, 10));
                assert!(!uut.data_error.val(), "bit {bit}: the raw word is good");
            }
        }
    }

    #[test]
    fn correct_words_never_flag_and_pack_exactly() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut uut = LinkChecker::default();
        uut.connect_all();
        for i in 0..2000 {
            let o = good(&mut rng, i % 3 != 0);
            apply(&mut uut, &o);
            assert!(!uut.error.val(), "false alarm on a correct word");
            if o.valid {
                assert_eq!(uut.word.val().to_u64(), pack_word(o.data, o.par, o.last, o.abort, false));
            }
        }
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let mut uut = LinkChecker::default();
        uut.connect_all();
        for _ in 0..50 {
            let valid = rng.gen_bool(0.8);
            let base = good(&mut rng, valid);
            // 32 data + 4 par + valid + last + abort + cpar = 40 single-bit faults.
            for bit in 0..40 {
                let mut o = Offer { ..base };
                match bit {
                    0..=31 => o.data ^= 1 << bit,
                    32..=35 => o.par ^= 1 << (bit - 32),
                    36 => o.valid = !o.valid,
                    37 => o.last = !o.last,
                    38 => o.abort = !o.abort,
                    _ => o.cpar = !o.cpar,
                }
                // Data and par flips are only defined on an offered word (SPEC §2: par is
                // checked while valid); control flips are caught idle or not.
                if bit < 36 && !valid {
                    continue;
                }
                apply(&mut uut, &o);
                assert!(uut.error.val(), "flip {bit} (valid={valid}) not caught");
                assert_eq!(uut.word.val().get_bit(crate::link::word::PERR), true);
            }
        }
    }

    #[test]
    fn ready_checker_flags_rpar_equal_to_ready() {
        let mut uut = ReadyChecker::default();
        uut.connect_all();
        for (ready, rpar, err) in [(false, true, false), (true, false, false), (true, true, true), (false, false, true)] {
            uut.ready.next = ready;
            uut.rpar.next = rpar;
            assert!(simulate(&mut uut, 10));
            assert_eq!(uut.error.val(), err, "ready={ready} rpar={rpar}");
        }
    }
}
