//! The hardened build's shadow check of a block's control flops (issue 24, docs/upsets.md).
//!
//! A block packs the flops it wants checked side by side into one word, as they are now
//! (`checked_q`, their `q`) and as they will be after the edge (`checked_d`, their `d`). [`ShadowCheck`]
//! stores the code of `checked_d` ([`shadow_code`]) in a flop of its own and raises `bad` in any
//! cycle in which the stored code is not the code of `checked_q`: from the cycle an upset flips a
//! checked flop or a shadow bit, combinationally on flops only.
//!
//! The code, bit i = `!v[i] ^ v[i-1] ^ v[i+1]`: a flip of one checked bit changes three bits
//! of the expected code, a flip of one shadow bit one. A plain complement is not enough:
//! yosys merged complemented one-bit shadows with the flop they shadow (inverters pushed
//! through flip-flops); a bit that is the XOR of three different next values is no other
//! flop's, so synthesis keeps every one (`hardened_shadow_flops_survive_synthesis` in
//! hdl/src/lockstep.rs counts them). At power-on (and after a reset that zeroes the checked
//! flops) the stored code is that of all zeros: all ones.
//!
//! rust-hdl's `#[hdl_gen]` cannot call a Rust function, so the code is a block rather than a
//! function. [`crate::stream_fifo::StreamFifo`], the core's configuration
//! ([`crate::core_config::CoreConfig`]) and the lockstep's self-check (`SelfCheck`,
//! hdl/src/lockstep/self_check.rs, which reads bits of the stored code, `stored`, to recompute
//! the commit decision) use it.
use rust_hdl::prelude::*;
use rust_hdl::widgets::prelude::DFFWithInit;

/// The shadow code of the hardened build's checked registers: bit i is
/// `!v[i] ^ v[i-1] ^ v[i+1]` (a flip of one bit of `v` changes three bits of the code).
/// The model of what [`ShadowCheck`] stores.
pub fn shadow_code(v: u64) -> u64 {
    !v ^ (v << 1) ^ (v >> 1)
}

/// The shadow of `W` packed control flops. In the default build (`hardened(false)`) the
/// stored code is never written and `bad` is constant low, so synthesis removes both.
#[derive(LogicBlock)]
pub struct ShadowCheck<const W: usize> {
    pub clock: Signal<In, Clock>,
    /// The checked flops as they are (their `q`), packed. (`now`/`next` would read better,
    /// but `#[hdl_gen]` takes a port named `next` for the signal's `.next`.)
    pub checked_q: Signal<In, Bits<W>>,
    /// The same flops as they will be after this edge (their `d`), packed the same way.
    pub checked_d: Signal<In, Bits<W>>,
    /// Hardened build: the stored code disagrees with the code of `checked_q` (an upset).
    pub bad: Signal<Out, Bit>,
    /// Hardened build: code bit 0 disagrees (`!v[0] ^ v[1]`): an upset of the first packed
    /// flop, of the second, or of shadow bit 0. A subset of `bad` that is one small gate
    /// deep, for a block whose first packed flop reaches its outputs in the same cycle (a
    /// FIFO's `head_valid`) and that registers the rest of `bad` (see `StreamFifo::head_error`).
    pub bad_bit0: Signal<Out, Bit>,
    /// The stored code (`code`'s `q`), for a block that recomputes a decision from it.
    pub stored: Signal<Out, Bits<W>>,
    /// The code of last cycle's `checked_d` (power-on: all ones, the code of all zeros).
    pub code: DFFWithInit<Bits<W>>,
    /// The stored code XOR the code of `checked_q`: a 1 where they disagree.
    mismatch: Signal<Local, Bits<W>>,
    /// Code bit 0 alone, as a mask.
    bit0: Constant<Bits<W>>,
    harden: Constant<Bit>,
}

impl<const W: usize> ShadowCheck<W> {
    /// The check; with `harden` false it stores nothing and never reports.
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            checked_q: Default::default(),
            checked_d: Default::default(),
            bad: Default::default(),
            bad_bit0: Default::default(),
            stored: Default::default(),
            code: DFFWithInit::new(Bits::<W>::mask()),
            mismatch: Default::default(),
            bit0: Constant::new(1.into()),
            harden: Constant::new(harden),
        }
    }
}

impl<const W: usize> Default for ShadowCheck<W> {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl<const W: usize> Logic for ShadowCheck<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, code);
        if self.harden.val() {
            self.code.d.next = !self.checked_d.val() ^ (self.checked_d.val() << 1) ^ (self.checked_d.val() >> 1);
        }
        self.stored.next = self.code.q.val();
        self.mismatch.next =
            self.code.q.val() ^ (!self.checked_q.val() ^ (self.checked_q.val() << 1) ^ (self.checked_q.val() >> 1));
        self.bad.next = self.harden.val() & (self.mismatch.val() != 0);
        // A mask, not `mismatch[0]`: Verilator rejects a bit select of a one-bit vector (W = 1).
        self.bad_bit0.next = self.harden.val() & ((self.mismatch.val() & self.bit0.val()) != 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    /// A 12-bit register shadowed as a block would shadow its control flops: the stored code
    /// follows [`shadow_code`], `bad` stays low while register and shadow agree, and rises in
    /// the cycle either one is flipped; the default build never stores or reports.
    #[test]
    fn the_shadow_stores_the_code_and_flags_a_flip_of_either_side() {
        for harden in [true, false] {
            let mut s = ShadowCheck::<12>::hardened(harden);
            s.connect_all();
            let mask = 0xFFF;
            let mut reg = 0u64;
            for (t, v) in [0u64, 1, 0x800, 0xABC, 0x555, 0xFFF, 0, 0x3C3].into_iter().enumerate() {
                s.checked_q.next = reg.into();
                s.checked_d.next = v.into();
                low(&mut s, |s| &mut s.clock);
                assert!(!s.bad.val(), "harden {harden}, cycle {t}: register and shadow agree");
                edge(&mut s, |s| &mut s.clock);
                reg = v;
                let stored = if harden { shadow_code(v) & mask } else { mask };
                assert_eq!(s.code.q.val().to_u64(), stored, "harden {harden}, cycle {t}");
            }
            // An upset in a checked flop, then one in a shadow bit.
            s.checked_q.next = (reg ^ 0x10).into();
            low(&mut s, |s| &mut s.clock);
            assert_eq!(s.bad.val(), harden, "a flipped checked flop");
            assert!(!s.bad_bit0.val(), "bit 4 is outside code bit 0");
            for flip in [1u64, 2] {
                s.checked_q.next = (reg ^ flip).into();
                low(&mut s, |s| &mut s.clock);
                assert_eq!((s.bad.val(), s.bad_bit0.val()), (harden, harden), "flipped checked bit {flip:#x}");
            }
            s.checked_q.next = reg.into();
            s.code.dff.q.next = s.code.dff.q.val() ^ 0x400; // the stored bit (`q` is `dff.q ^ init`)
            low(&mut s, |s| &mut s.clock);
            assert_eq!(s.bad.val(), harden, "a flipped shadow bit");
            assert!(!s.bad_bit0.val(), "shadow bit 10 is outside code bit 0");
            s.code.dff.q.next = s.code.dff.q.val() ^ 0x401;
            low(&mut s, |s| &mut s.clock);
            assert_eq!((s.bad.val(), s.bad_bit0.val()), (harden, harden), "a flipped shadow bit 0");
        }
    }
}
