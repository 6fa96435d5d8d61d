//! UART, 8N1, idle high (SPEC §3, §5). No UART widget exists in rust-hdl, so these are ours.
//!
//! The bit period is a build constant, `clock_hz / baud` clocks (at least 8).
use rust_hdl::prelude::*;

/// Clocks per bit for a clock and baud rate, rounded to nearest.
pub fn clocks_per_bit(clock_hz: impl Into<u64>, baud: u32) -> u64 {
    (clock_hz.into() + baud as u64 / 2) / baud as u64
}

/// Receiver: a two-flop synchroniser on the line, start-bit detection, sampling at mid-bit.
/// A start bit that is gone at its middle is a glitch and is ignored; a low stop bit is a
/// framing error and the byte is dropped.
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The line.
    pub rx: Signal<In, Bit>,
    /// A byte arrived (one-cycle pulse, at the middle of its stop bit).
    pub strobe: Signal<Out, Bit>,
    /// The byte.
    pub data: Signal<Out, Bits<8>>,
    /// Pulse: a byte's stop bit was low; the byte is dropped.
    pub framing_error: Signal<Out, Bit>,
    sync0: DFF<Bit>,
    sync1: DFF<Bit>,
    busy: DFF<Bit>,
    count: DFF<Bits<24>>,
    /// `count == 0`, kept in a flop (set from `count == 1` as it counts down) so the 24-bit
    /// compare is off the byte strobe. Meaningful while `busy`.
    count_zero: DFF<Bit>,
    bit_no: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    period: Constant<Bits<24>>,
    half: Constant<Bits<24>>,
    /// The bits `period` needs: the count is masked to them (see [`ones_covering`]).
    count_mask: Constant<Bits<24>>,
}

impl UartRx {
    /// A receiver for `clocks_per_bit` clocks per bit (at least 8).
    pub fn new(clocks_per_bit: u64) -> Self {
        assert!(clocks_per_bit >= 8 && clocks_per_bit < (1 << 24));
        Self {
            clock: Default::default(),
            rx: Default::default(),
            strobe: Default::default(),
            data: Default::default(),
            framing_error: Default::default(),
            sync0: DFF::default(),
            sync1: DFF::default(),
            busy: Default::default(),
            count: Default::default(),
            count_zero: Default::default(),
            bit_no: Default::default(),
            shift: Default::default(),
            period: Constant::new((clocks_per_bit - 1).to_bits()),
            half: Constant::new((clocks_per_bit / 2 - 1).to_bits()),
            count_mask: Constant::new(ones_covering(clocks_per_bit - 1).to_bits()),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync0, sync1, busy, count, count_zero, bit_no, shift);
        self.sync0.d.next = self.rx.val();
        self.sync1.d.next = self.sync0.q.val();
        self.strobe.next = false;
        self.framing_error.next = false;
        self.data.next = self.shift.q.val();
        if !self.busy.q.val() {
            if !self.sync1.q.val() {
                // Start bit: come back at its middle.
                self.busy.d.next = true;
                self.count.d.next = self.half.val();
                self.count_zero.d.next = false;
                self.bit_no.d.next = 0.into();
            }
        } else if !self.count_zero.q.val() {
            self.count.d.next = (self.count.q.val() - 1) & self.count_mask.val();
            self.count_zero.d.next = self.count.q.val() == 1;
        } else {
            self.count.d.next = self.period.val();
            self.count_zero.d.next = false;
            self.bit_no.d.next = self.bit_no.q.val() + 1;
            if self.bit_no.q.val() == 0 {
                if self.sync1.q.val() {
                    self.busy.d.next = false;
                }
            } else if self.bit_no.q.val() == 9 {
                self.busy.d.next = false;
                self.strobe.next = self.sync1.q.val();
                self.framing_error.next = !self.sync1.q.val();
            } else {
                self.shift.d.next = (self.shift.q.val() >> 1)
                    | (bit_cast::<8, 1>(self.sync1.q.val().into()) << 7);
            }
        }
    }
}

/// The smallest 2^k - 1 at or above `x`: a mask that keeps every value up to `x`. A count
/// that never passes `x`, masked with it in every branch, keeps only the flops it needs
/// (synthesis replaces the ones above, constant 0, and drops their adder bits).
pub fn ones_covering(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        u64::MAX >> x.leading_zeros()
    }
}

/// Transmitter: `start` with `data` sends one byte; `busy` until its stop bit has been sent.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Send `data` (ignored while `busy`).
    pub start: Signal<In, Bit>,
    /// The byte to send.
    pub data: Signal<In, Bits<8>>,
    /// A byte is being sent.
    pub busy: Signal<Out, Bit>,
    /// The line.
    pub tx: Signal<Out, Bit>,
    active: DFF<Bit>,
    count: DFF<Bits<24>>,
    /// `count == 0`, as in the receiver. Meaningful while `active`.
    count_zero: DFF<Bit>,
    bit_no: DFF<Bits<4>>,
    shift: DFF<Bits<10>>,
    line: DFF<Bit>,
    period: Constant<Bits<24>>,
    count_mask: Constant<Bits<24>>,
}

impl UartTx {
    /// A transmitter for `clocks_per_bit` clocks per bit.
    pub fn new(clocks_per_bit: u64) -> Self {
        assert!(clocks_per_bit >= 8 && clocks_per_bit < (1 << 24));
        Self {
            clock: Default::default(),
            start: Default::default(),
            data: Default::default(),
            busy: Default::default(),
            tx: Default::default(),
            active: Default::default(),
            count: Default::default(),
            count_zero: Default::default(),
            bit_no: Default::default(),
            shift: Default::default(),
            line: DFF::default(),
            period: Constant::new((clocks_per_bit - 1).to_bits()),
            count_mask: Constant::new(ones_covering(clocks_per_bit - 1).to_bits()),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, active, count, count_zero, bit_no, shift, line);
        self.busy.next = self.active.q.val();
        // The line register powers on low (no reset); idle is high, so drive it inverted.
        self.tx.next = !self.line.q.val();
        if !self.active.q.val() {
            self.line.d.next = false;
            if self.start.val() {
                self.active.d.next = true;
                // Stop bit, 8 data bits LSB first, start bit.
                self.shift.d.next = (bit_cast::<10, 8>(self.data.val()) << 1) | 0x200_u64;
                self.count.d.next = self.period.val();
                self.count_zero.d.next = false;
                self.bit_no.d.next = 0.into();
                self.line.d.next = true;
            }
        } else if !self.count_zero.q.val() {
            self.count.d.next = (self.count.q.val() - 1) & self.count_mask.val();
            self.count_zero.d.next = self.count.q.val() == 1;
        } else if self.bit_no.q.val() == 9 {
            self.active.d.next = false;
            self.line.d.next = false;
        } else {
            self.count.d.next = self.period.val();
            self.count_zero.d.next = false;
            self.bit_no.d.next = self.bit_no.q.val() + 1;
            self.shift.d.next = self.shift.q.val() >> 1;
            self.line.d.next = !self.shift.q.val().get_bit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    #[test]
    fn ones_covering_is_the_least_mask_that_keeps_x() {
        for (x, m) in [(0, 0), (1, 1), (2, 3), (311, 511), (511, 511), (512, 1023), (u64::MAX, u64::MAX)] {
            assert_eq!(ones_covering(x), m, "{x}");
        }
    }

    const CPB: u64 = 16;

    fn line_for(bytes: &[u8], cpb: u64, gap_bits: u64) -> Vec<bool> {
        let mut v = vec![true; (cpb * 3) as usize];
        for &b in bytes {
            let mut bits = vec![false];
            bits.extend((0..8).map(|i| b >> i & 1 == 1));
            bits.push(true);
            for bit in bits {
                v.extend(std::iter::repeat(bit).take(cpb as usize));
            }
            v.extend(std::iter::repeat(true).take((gap_bits * cpb) as usize));
        }
        v.extend(std::iter::repeat(true).take((cpb * 3) as usize));
        v
    }

    fn receive(line: &[bool], cpb: u64) -> (Vec<u8>, usize) {
        let mut rx = UartRx::new(cpb);
        rx.connect_all();
        let (mut out, mut errors) = (vec![], 0);
        for &level in line {
            rx.rx.next = level;
            low(&mut rx, |r| &mut r.clock);
            if rx.strobe.val() {
                out.push(rx.data.val().to_u8());
            }
            if rx.framing_error.val() {
                errors += 1;
            }
            edge(&mut rx, |r| &mut r.clock);
        }
        (out, errors)
    }

    #[test]
    fn uart_blocks_synthesize() {
        let mut rx = UartRx::new(868);
        rx.connect_all();
        yosys_validate("ftio_uart_rx", &generate_verilog(&rx)).unwrap();
        let mut tx = UartTx::new(868);
        tx.connect_all();
        yosys_validate("ftio_uart_tx", &generate_verilog(&tx)).unwrap();
    }

    #[test]
    fn receiver_decodes_random_bytes_back_to_back_and_with_gaps() {
        let mut rng = StdRng::seed_from_u64(1);
        let bytes: Vec<u8> = (0..60).map(|_| rng.gen()).collect();
        for gap in [0, 1, 5] {
            let (got, errors) = receive(&line_for(&bytes, CPB, gap), CPB);
            assert_eq!(got, bytes, "gap {gap}");
            assert_eq!(errors, 0);
        }
    }

    #[test]
    fn receiver_tolerates_baud_mismatch_of_two_percent() {
        let bytes: Vec<u8> = (0..=255u8).step_by(7).collect();
        // The sender's bit is 2% longer or shorter than the receiver's 50 clocks.
        for sender_cpb in [49u64, 51] {
            let (got, _) = receive(&line_for(&bytes, sender_cpb, 0), 50);
            assert_eq!(got, bytes, "sender at {sender_cpb} clocks per bit");
        }
    }

    #[test]
    fn short_glitches_are_not_bytes_and_bad_stop_bits_are_framing_errors() {
        let mut line = vec![true; 100];
        for at in [20usize, 50, 80] {
            for i in 0..(CPB as usize / 2 - 2) {
                line[at + i] = false;
            }
        }
        assert_eq!(receive(&line, CPB), (vec![], 0));
        let mut line = line_for(&[0x55], CPB, 0);
        let stop = (3 * CPB + 9 * CPB) as usize;
        for i in 0..CPB as usize {
            line[stop + i] = false;
        }
        let (got, errors) = receive(&line, CPB);
        assert!(got.is_empty());
        assert_eq!(errors, 1);
    }

    #[test]
    fn transmitter_sends_8n1_that_the_receiver_reads() {
        let bytes = [0x00u8, 0xFF, 0xA5, 0x5A, 0x01, 0x80];
        let mut tx = UartTx::new(CPB);
        tx.connect_all();
        let mut line = vec![];
        let mut i = 0;
        for _ in 0..(bytes.len() as u64 * 10 * CPB + 200) {
            tx.start.next = i < bytes.len();
            tx.data.next = (*bytes.get(i).unwrap_or(&0) as u64).into();
            low(&mut tx, |t| &mut t.clock);
            if tx.start.val() && !tx.busy.val() {
                i += 1;
            }
            line.push(tx.tx.val());
            edge(&mut tx, |t| &mut t.clock);
        }
        assert!(line[0], "idle high from power-on");
        // Back to back: exactly ten bit periods per byte.
        let first_low = line.iter().position(|&l| !l).unwrap();
        let (got, errors) = receive(&line, CPB);
        assert_eq!(got, bytes);
        assert_eq!(errors, 0);
        assert_eq!(first_low, 1);
    }
}
