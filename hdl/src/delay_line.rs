//! A runtime-programmable delay of a 41-bit bundle: `out(t) = in(t - delay)`, for strict
//! lockstep (SPEC §4: CPU B sees exactly CPU A's I/O, D cycles later).
//!
//! The history lives in block RAM, so a large maximum offset costs memory, not flip-flops.
//! Delay 0 is a wire; any other delay leaves the line from one output register, loaded with
//! the input (delay 1), the input of a cycle before (delay 2) or the RAM's registered read,
//! aimed two cycles ahead (from 3 up). So what leaves the line comes from a flip-flop through
//! a single 2:1 select (the block RAM's slow clock-to-out is off the strict-lockstep ready and
//! return paths) and the RAM never reads the address being written in the same cycle.
//! A new `delay` takes effect one cycle later, and changing it while traffic flows replays
//! stale history for up to the new delay: set OFFSET while idle (the core's strict-mode checks re-arm after an OFFSET write).
use crate::bram::Bram;
use rust_hdl::prelude::*;

/// Width of the delayed bundle: valid + a 40-bit word, or any 41 bits.
pub const DELAY_BITS: usize = 41;

#[derive(LogicBlock, Default)]
pub struct DelayLine<const AW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The delay D in cycles, 0 up to 2^AW - 1.
    pub delay: Signal<In, Bits<AW>>,
    /// The bundle now.
    pub data_in: Signal<In, Bits<DELAY_BITS>>,
    /// The bundle as it was D cycles ago (zero before anything was written).
    pub data_out: Signal<Out, Bits<DELAY_BITS>>,
    /// The line is a wire this cycle (delay 0 selected): `data_out` is `data_in`. A flop, so
    /// a user can take the undelayed value from its own source instead of through the line.
    pub direct: Signal<Out, Bit>,
    ram: Bram<DELAY_BITS, AW>,
    wptr: DFF<Bits<AW>>,
    last: DFF<Bits<DELAY_BITS>>,
    /// The output for any delay but 0, chosen by `delay` a cycle ahead.
    out_q: DFF<Bits<DELAY_BITS>>,
    /// `delay` is not 0, registered: the output select waits for no compare and follows
    /// `delay` one cycle late, as `out_q` does (D is set while idle, and a change replays
    /// stale history for D cycles anyway). Power-on: delay 0.
    not0: DFF<Bit>,
}

impl<const AW: usize> Logic for DelayLine<AW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wptr, last, out_q, not0);
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_enable.next = true;
        self.ram.write_address.next = self.wptr.q.val();
        self.ram.write_data.next = self.data_in.val();
        self.wptr.d.next = self.wptr.q.val() + 1;
        self.last.d.next = self.data_in.val();
        // The output two cycles on is in(t+2-D), written at wptr - (D - 2); the RAM shows it
        // next cycle and `out_q` the cycle after.
        self.ram.read_address.next = self.wptr.q.val() + 2 - self.delay.val();
        self.not0.d.next = self.delay.val() != 0;
        if self.delay.val() == 1 {
            self.out_q.d.next = self.data_in.val();
        } else if self.delay.val() == 2 {
            self.out_q.d.next = self.last.q.val();
        } else {
            self.out_q.d.next = self.ram.read_data.val();
        }
        self.direct.next = !self.not0.q.val();
        if self.not0.q.val() {
            self.data_out.next = self.out_q.q.val();
        } else {
            self.data_out.next = self.data_in.val();
        }
    }
}

/// Says when a [`DelayLine`]'s history can be trusted: from `offset` cycles after `enable`
/// rose, `restart` was high or `offset` last changed (`armed` is a register: it is high in
/// the cycle after the one counted `offset`, so with `enable` and `restart` high at cycle w
/// and held enabled, `armed` rises at w + offset + 1, at every offset including 0).
/// Strict-lockstep checks only compare while `armed`.
#[derive(LogicBlock, Default)]
pub struct ReplayArm<const AW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Strict replay is in use (or starts next cycle).
    pub enable: Signal<In, Bit>,
    /// The history starts afresh this cycle (counted as the first cycle of it).
    pub restart: Signal<In, Bit>,
    /// The delay D.
    pub offset: Signal<In, Bits<AW>>,
    /// The delayed history is all from the current setting.
    pub armed: Signal<Out, Bit>,
    cycles: DFF<Bits<16>>,
    last_offset: DFF<Bits<AW>>,
    armed_q: DFF<Bit>,
    /// Cycles of history counted before this one (0 in a `restart` cycle).
    count: Signal<Local, Bits<16>>,
}

impl<const AW: usize> Logic for ReplayArm<AW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cycles, last_offset, armed_q);
        self.last_offset.d.next = self.offset.val();
        self.count.next = self.cycles.q.val();
        if self.restart.val() {
            self.count.next = 0.into();
        }
        self.cycles.d.next = self.count.val();
        if !self.enable.val() | (self.offset.val() != self.last_offset.q.val()) {
            self.cycles.d.next = 0.into();
        } else if self.count.val() != 0xFFFF_u64 {
            self.cycles.d.next = self.count.val() + 1;
        }
        // Registered, so the checks that use it add no combinational path back to `enable`.
        self.armed_q.d.next = self.enable.val()
            & (self.offset.val() == self.last_offset.q.val())
            & (self.count.val() >= bit_cast::<16, AW>(self.offset.val()));
        self.armed.next = self.armed_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    #[test]
    fn delay_line_synthesizes() {
        let mut d = DelayLine::<4>::default();
        d.connect_all();
        yosys_validate("ftio_delay_line", &generate_verilog(&d)).unwrap();
    }

    #[test]
    fn every_delay_is_exact() {
        for delay in 0..16u64 {
            let mut d = DelayLine::<4>::default();
            d.connect_all();
            d.delay.next = delay.into();
            // The output select follows `delay` a cycle late; the history written meanwhile
            // is zero, as before anything was written.
            low(&mut d, |d| &mut d.clock);
            edge(&mut d, |d| &mut d.clock);
            let input = |t: u64| (t * 0x9E37_79B9 + 1) & ((1 << DELAY_BITS) - 1);
            for t in 0..80u64 {
                d.data_in.next = input(t).into();
                low(&mut d, |d| &mut d.clock);
                let expect = if t >= delay { input(t - delay) } else { 0 };
                assert_eq!(d.data_out.val().to_u64(), expect, "delay {delay} cycle {t}");
                edge(&mut d, |d| &mut d.clock);
            }
        }
    }
}
