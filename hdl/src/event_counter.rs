//! `EventCounter`: a saturating statistics counter at the build's counter width (SPEC §5
//! counters, PARAMS.counter_width).
use rust_hdl::prelude::*;

/// A saturating event counter.
#[derive(LogicBlock)]
pub struct EventCounter {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Zero the count.
    pub clear: Signal<In, Bit>,
    /// Count one event this cycle.
    pub inc: Signal<In, Bit>,
    /// A second event in the same cycle (SPLIT moves two CPUs' words at once).
    pub inc2: Signal<In, Bit>,
    /// The count: events are counted one cycle after they happen. The events come out of the
    /// deepest logic of the core (a frame committed, a word moved), and registering them
    /// keeps the 32-bit adder off those paths.
    pub count: Signal<Out, Bits<32>>,
    value: DFF<Bits<32>>,
    inc_q: DFF<Bit>,
    inc2_q: DFF<Bit>,
    /// The largest count, 2^counter_width - 1: bits above the width stay 0.
    top: Constant<Bits<32>>,
}

/// 2^width - 1 as a 32-bit constant: the largest count of a core built at counter width
/// `width` (the statistics counters, and the BIST and injection counts).
pub fn count_top(width: u8) -> Constant<Bits<32>> {
    assert!((1..=32).contains(&width), "counter width {width}");
    Constant::new(((1u64 << width) - 1).to_bits())
}

impl EventCounter {
    /// A counter `width` bits wide (16..=32), saturating at 2^width - 1.
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            clear: Default::default(),
            inc: Default::default(),
            inc2: Default::default(),
            count: Default::default(),
            value: Default::default(),
            inc_q: Default::default(),
            inc2_q: Default::default(),
            top: count_top(width),
        }
    }
}

impl Default for EventCounter {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for EventCounter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, value, inc_q, inc2_q);
        self.count.next = self.value.q.val();
        self.inc_q.d.next = self.inc.val() & !self.clear.val();
        self.inc2_q.d.next = self.inc2.val() & !self.clear.val();
        // Every branch masks with `top`, so the flops above the width have a constant 0 on
        // their D and their power-on 0: synthesis replaces them with 0 and drops the adder's
        // upper bits (a branch that kept them, `d = q`, would keep them alive).
        if self.clear.val() {
            self.value.d.next = 0.into();
        } else if (self.value.q.val() | 1) == self.top.val() {
            // Within 2 of the top: saturate.
            if self.inc_q.q.val() | self.inc2_q.q.val() {
                self.value.d.next = self.top.val();
            } else {
                self.value.d.next = self.value.q.val() & self.top.val();
            }
        } else {
            // One adder for both events: add 0, 1 or 2.
            self.value.d.next = (self.value.q.val()
                + bit_cast::<32, 1>(self.inc_q.q.val().into())
                + bit_cast::<32, 1>(self.inc2_q.q.val().into()))
                & self.top.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    fn step(c: &mut EventCounter, inc: bool, inc2: bool) -> u64 {
        c.inc.next = inc;
        c.inc2.next = inc2;
        low(c, |c| &mut c.clock);
        edge(c, |c| &mut c.clock);
        c.count.val().to_u64()
    }

    /// counter_width is real: a 4-bit counter counts 0..=15 and stays at 15, with one or two
    /// events a cycle; a 32-bit one counts two events in a cycle as two. Events show in the
    /// count one cycle after the cycle they happen in.
    #[test]
    fn counters_saturate_at_their_build_width() {
        let mut c = EventCounter::new(4);
        c.connect_all();
        c.clear.next = false;
        let mut n = 0;
        for i in 0..30 {
            let two = i % 3 == 0;
            assert_eq!(step(&mut c, true, two), n, "event {i}");
            n = (n + 1 + two as u64).min(15);
        }
        assert_eq!(step(&mut c, false, false), 15);
        assert_eq!(step(&mut c, false, false), 15);
        // An event in the cycle of a clear is dropped with the count.
        c.clear.next = true;
        assert_eq!(step(&mut c, true, false), 0);
        c.clear.next = false;
        assert_eq!(step(&mut c, true, true), 0);
        assert_eq!(step(&mut c, false, false), 2);
        let mut c = EventCounter::default();
        c.connect_all();
        c.clear.next = false;
        assert_eq!(step(&mut c, true, true), 0);
        assert_eq!(step(&mut c, false, true), 2);
        assert_eq!(step(&mut c, false, false), 3);
    }
}
