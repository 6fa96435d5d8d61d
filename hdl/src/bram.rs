//! A simple dual-port block RAM with a synchronous read whose read-during-write result is
//! left undefined, as the hardware's is.
//!
//! rust-hdl's `RAM` writes `read_data <= mem[read_address]` beside the write, which in
//! Verilog means a read of the address being written in the same cycle returns the old word.
//! Neither SB_RAM40_4K nor DP16KD promises that, so yosys rebuilds it around every block RAM
//! it infers: a register of the write data, an address compare and a 2:1 select on every
//! read bit (measured on a 64 x 40 RAM with `synth_ice40 -abc9 -dff`: 88 flip-flops and 47
//! LUTs, against 1 LUT with the attribute). The compare hangs off the read address, which in
//! a FIFO comes from the pop, so it also sat on the core's critical path.
//!
//! Every user of this RAM already forwards a word written to the address it reads (or never
//! reads that address, as the delay line), so the emulation buys nothing: the memory is
//! declared `(* no_rw_check *)` and the simulation model returns a poisoned word (the old
//! word inverted) on such a read. A user that did rely on the old word would then fail its
//! tests in rust-hdl rather than only on the board; the test
//! `poisons_a_read_of_the_address_being_written` below pins the model.
//!
//! The depth may be set at run time ([`Bram::with_depth`]: the commit gate's frame buffer),
//! with the address ports `AW` wide and only the low `depth_log2` bits used.
use rust_hdl::core::timing::TimingInfo;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

#[derive(LogicBlock)]
pub struct Bram<const W: usize, const AW: usize> {
    /// Read address (its low `depth_log2` bits).
    pub read_address: Signal<In, Bits<AW>>,
    /// Read clock.
    pub read_clock: Signal<In, Clock>,
    /// mem[read_address] as of the last rising edge; undefined (poisoned in simulation) if
    /// that address was written at the same edge.
    pub read_data: Signal<Out, Bits<W>>,
    /// Write address (its low `depth_log2` bits).
    pub write_address: Signal<In, Bits<AW>>,
    /// Write clock.
    pub write_clock: Signal<In, Clock>,
    /// Word to write.
    pub write_data: Signal<In, Bits<W>>,
    /// Write this cycle.
    pub write_enable: Signal<In, Bit>,
    _depth_log2: usize,
    _sim: Box<BTreeMap<u64, Bits<W>>>,
}

impl<const W: usize, const AW: usize> Default for Bram<W, AW> {
    /// A RAM of 2^AW words.
    fn default() -> Self {
        Self::with_depth(AW)
    }
}

impl<const W: usize, const AW: usize> Bram<W, AW> {
    /// A RAM of 2^depth_log2 words (1 <= depth_log2 <= AW).
    pub fn with_depth(depth_log2: usize) -> Self {
        assert!((1..=AW).contains(&depth_log2), "RAM depth 2^{depth_log2} with {AW}-bit addresses");
        Self {
            read_address: Default::default(),
            read_clock: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_clock: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _depth_log2: depth_log2,
            _sim: Default::default(),
        }
    }

    fn index(&self, addr: Bits<AW>) -> u64 {
        addr.to_u64() & ((1u64 << self._depth_log2) - 1)
    }
}

impl<const W: usize, const AW: usize> Logic for Bram<W, AW> {
    fn update(&mut self) {
        let writing = self.write_clock.pos_edge() && self.write_enable.val();
        let w = self.index(self.write_address.val());
        if self.read_clock.pos_edge() {
            let r = self.index(self.read_address.val());
            let old = self._sim.get(&r).copied().unwrap_or_default();
            self.read_data.next = if writing && w == r { !old } else { old };
        }
        if writing {
            self._sim.insert(w, self.write_data.val());
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg[{d}:0] mem[{top}:0];

always @(posedge read_clock) begin
   read_data <= mem[read_address[{a}:0]];
end

always @(posedge write_clock) begin
   if (write_enable) begin
      mem[write_address[{a}:0]] <= write_data;
   end
end
",
            d = W - 1,
            top = (1usize << self._depth_log2) - 1,
            a = self._depth_log2 - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "ram_read".into(),
                clock: "read_clock".into(),
                inputs: vec!["read_address".into()],
                outputs: vec!["read_data".into()],
            },
            TimingInfo {
                name: "ram_write".into(),
                clock: "write_clock".into(),
                inputs: vec!["write_address".into(), "write_data".into(), "write_enable".into()],
                outputs: vec![],
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::settle;

    /// One cycle: read `ra` while writing `wd` to `wa` when `we`; what the read shows after
    /// the rising edge.
    fn cycle(ram: &mut Bram<8, 4>, ra: u64, wa: u64, wd: u64, we: bool) -> u64 {
        ram.read_address.next = ra.to_bits();
        ram.write_address.next = wa.to_bits();
        ram.write_data.next = wd.to_bits();
        ram.write_enable.next = we;
        for level in [false, true] {
            ram.read_clock.next = Clock { clk: level };
            ram.write_clock.next = Clock { clk: level };
            settle(ram);
        }
        ram.read_data.val().to_u64()
    }

    #[test]
    fn poisons_a_read_of_the_address_being_written() {
        let mut ram = Bram::<8, 4>::default();
        ram.connect_all();
        cycle(&mut ram, 0, 3, 0x5A, true);
        // Reading one address while writing another: the stored word.
        assert_eq!(cycle(&mut ram, 3, 4, 0x11, true), 0x5A);
        // Reading the address being written: neither the old word nor the new one.
        assert_eq!(cycle(&mut ram, 3, 3, 0x77, true), 0xA5);
        // The write went in.
        assert_eq!(cycle(&mut ram, 3, 0, 0, false), 0x77);
        assert_eq!(cycle(&mut ram, 4, 0, 0, false), 0x11);
    }

    #[test]
    fn verilog_leaves_read_during_write_undefined() {
        let ram = Bram::<40, 12>::with_depth(9);
        let Verilog::Custom(v) = ram.hdl() else { panic!("custom Verilog") };
        assert!(v.contains("(* no_rw_check *)\nreg[39:0] mem[511:0];"), "{v}");
        assert!(v.contains("mem[read_address[8:0]]") && v.contains("mem[write_address[8:0]]"), "{v}");
    }
}
