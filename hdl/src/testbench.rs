//! Cycle-stepping helpers for testbenches that drive a block directly (no threads): set the
//! inputs, `settle` with the clock low and sample what the block shows this cycle, then
//! `edge` to clock it. Faster and easier to reason about than rust-hdl's threaded
//! `Simulation` for cycle-exact checks.
use rust_hdl::prelude::*;

/// Propagates combinational logic until nothing changes.
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 200), "logic did not settle (combinational loop?)");
}

/// Lowers the clock and settles: outputs now show this cycle's values for the inputs set.
pub fn low<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: false };
    settle(uut);
}

/// Raises the clock (the rising edge ends the cycle) and settles.
pub fn edge<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: true };
    settle(uut);
}
