//! The two CPU ports' `tx_ready` in each mode, and what each port hands to its skew FIFO
//! (SPEC §4), combinational. No port's `valid` is read here: the readies are of the mode and
//! the FIFOs' room alone, and the lockstep makes each push from its port's `valid` and these
//! (`a_ready`, `b_take`) itself. A block that read a `valid` and wrote a `ready` would close
//! the CPU ingresses' handshake into a cycle at the Verilog's block level, which Verilator
//! 5.006 then breaks at the ingresses' `injector$valid`, where its model stops agreeing with
//! rust-hdl's (docs/simulation.md, "Block-level cycles").
//!
//! | mode           | CPU A ready        | CPU B ready                                   |
//! |----------------|--------------------|-----------------------------------------------|
//! | DUPLEX elastic | FIFO A has room    | FIFO B has room                               |
//! | DUPLEX strict  | FIFO A has room    | A's ready D cycles ago, and FIFO B has room   |
//! | SIMPLEX_A      | FIFO A has room    | always (B's words are taken and dropped)      |
//! | SIMPLEX_B      | always (dropped)   | FIFO B has room                               |
//! | SPLIT          | FIFO A has room    | FIFO B has room                               |
//! | HALTED         | never              | never                                         |
//! | host mode write| never              | into strict DUPLEX: A's ready D cycles ago    |
//!
//! Nothing is taken in the cycle of a mode write (the FIFOs are emptied then), so nothing
//! taken is lost; into strict DUPLEX CPU B's ready stays CPU A's of D cycles before, as strict
//! lockstep promises, and B's words of the next D cycles are dropped (the strict check's
//! `b_dropping`) with the A words they pair with, which the write flushed.
use crate::link::Word;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct PortReadies {
    /// The mode now (one-hot flags; DUPLEX and SPLIT are "neither SIMPLEX nor HALTED").
    pub simplex_a: Signal<In, Bit>,
    pub simplex_b: Signal<In, Bit>,
    pub halted: Signal<In, Bit>,
    /// Strict DUPLEX now.
    pub strict_on: Signal<In, Bit>,
    /// A host mode write this cycle, and whether it starts strict DUPLEX.
    pub mode_set: Signal<In, Bit>,
    pub to_strict: Signal<In, Bit>,
    /// Skew FIFO A / B can take a word.
    pub a_room: Signal<In, Bit>,
    pub b_room: Signal<In, Bit>,
    /// CPU A's ready D cycles ago (the replay's bit 39).
    pub a_ready_then: Signal<In, Bit>,
    /// OFFSET is 0: the replay is a wire, and A's ready "then" is A's ready now.
    pub offset_zero: Signal<In, Bit>,
    /// CPU B's words are being dropped after a write into strict DUPLEX.
    pub b_dropping: Signal<In, Bit>,
    /// The ports' words.
    pub a_word: Signal<In, Word>,
    pub b_word: Signal<In, Word>,

    /// CPU A's / B's `tx_ready`.
    pub a_ready: Signal<Out, Bit>,
    pub b_ready: Signal<Out, Bit>,
    /// The word skew FIFO A / B takes from its port.
    pub a_in: Signal<Out, Word>,
    pub b_in: Signal<Out, Word>,
    /// CPU B's offer is pushed into skew FIFO B: `b_ready` as it is outside a mode write, no
    /// mode write, no drop (the push is this and B's `valid`; A's is `a_ready` and A's).
    pub b_take: Signal<Out, Bit>,

    /// `b_ready` before a mode write's override.
    b_ready_run: Signal<Local, Bit>,
    /// Hardened build: the words enter with the `last`/`abort` check folded into parity bit 3
    /// ([`crate::lockstep::fold_check`]).
    harden: Constant<Bit>,
}

impl PortReadies {
    /// The readies; with `harden`, the words folded.
    pub fn hardened(harden: bool) -> Self {
        Self {
            simplex_a: Default::default(),
            simplex_b: Default::default(),
            halted: Default::default(),
            strict_on: Default::default(),
            mode_set: Default::default(),
            to_strict: Default::default(),
            a_room: Default::default(),
            b_room: Default::default(),
            a_ready_then: Default::default(),
            offset_zero: Default::default(),
            b_dropping: Default::default(),
            a_word: Default::default(),
            b_word: Default::default(),
            a_ready: Default::default(),
            b_ready: Default::default(),
            a_in: Default::default(),
            b_in: Default::default(),
            b_take: Default::default(),
            b_ready_run: Default::default(),
            harden: Constant::new(harden),
        }
    }
}

impl Default for PortReadies {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl Logic for PortReadies {
    #[hdl_gen]
    fn update(&mut self) {
        self.a_ready.next = false;
        self.b_ready_run.next = false;
        if self.simplex_a.val() {
            self.a_ready.next = self.a_room.val();
            self.b_ready_run.next = true;
        } else if self.simplex_b.val() {
            self.a_ready.next = true;
            self.b_ready_run.next = self.b_room.val();
        } else if !self.halted.val() {
            self.a_ready.next = self.a_room.val();
            if self.strict_on.val() {
                // At OFFSET 0 A's ready "then" is skew FIFO A's `in_ready` now: taken from
                // that flop directly, so CPU B's ready does not wait for A's mode selects and
                // the line's output mux.
                if self.offset_zero.val() {
                    self.b_ready_run.next = self.a_room.val() & self.b_room.val();
                } else {
                    self.b_ready_run.next = self.a_ready_then.val() & self.b_room.val();
                }
            } else {
                self.b_ready_run.next = self.b_room.val();
            }
        }
        self.b_ready.next = self.b_ready_run.val();
        if self.mode_set.val() {
            self.a_ready.next = false;
            // (At OFFSET 0 A's ready "then" is A's ready now, held low just above.)
            self.b_ready.next = self.to_strict.val() & !self.offset_zero.val() & self.a_ready_then.val();
        }
        self.a_in.next = self.a_word.val();
        self.b_in.next = self.b_word.val();
        if self.harden.val() {
            self.a_in.next = self.a_word.val()
                ^ (bit_cast::<40, 1>((self.a_word.val().get_bit(36) ^ self.a_word.val().get_bit(37)).into()) << 35);
            self.b_in.next = self.b_word.val()
                ^ (bit_cast::<40, 1>((self.b_word.val().get_bit(36) ^ self.b_word.val().get_bit(37)).into()) << 35);
        }
        // B's ready as it is outside a mode write (in one, nothing is taken): the mode write's
        // override of `b_ready` stays off skew FIFO B's push.
        self.b_take.next = self.b_ready_run.val() & !self.mode_set.val() & !self.b_dropping.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_readies_synthesize() {
        let mut r = PortReadies::hardened(true);
        r.connect_all();
        yosys_validate("ftio_port_readies", &generate_verilog(&r)).unwrap();
    }
}
