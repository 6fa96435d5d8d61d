//! The CPU port: a processor's memory-mapped loads and stores turned into the two ftio links
//! of SPEC §2 (its `tx` into the core's `cpu_x_tx`, its `rx` from the core's `cpu_x_rx`).
//!
//! The CPU side is PicoRV32's native memory interface (`mem_valid`, `mem_ready`, `mem_addr`,
//! `mem_wdata`, `mem_wstrb`, `mem_rdata`): the CPU holds `mem_valid` and the address/data
//! steady until `mem_ready`, which the port gives in the cycle the access completes. The
//! system decodes the address: `mem_valid` here is the CPU's `mem_valid` qualified by "the
//! address is in the port's window"; the port looks at `mem_addr[4:2]` only.
//!
//! Registers (byte offsets in the window, 32-bit accesses):
//!
//! | offset | name | access | what |
//! |---|---|---|---|
//! | 0x00 | `TX` | store | offers the stored word on `tx`, `last` = 0 |
//! | 0x04 | `TX_LAST` | store | offers the stored word on `tx` with `last` = 1 (ends the frame) |
//! | 0x08 | `RX` | load | takes the next word from `rx` and returns its data |
//! | 0x0C | `STATUS` | load / store | flags below; a store clears the sticky ones |
//!
//! `STATUS`: bit 0 `rx_waiting` (a word is offered on `rx` now), bit 1 `rx_last` and bit 2
//! `rx_abort` (of the word the last `RX` load took), bit 3 `rx_perr` (sticky: a word taken
//! from `rx` had a data parity error, or `rx`'s `cpar` was wrong in some cycle), bit 4
//! `tx_rerr` (sticky: `tx`'s `rpar` was not `~ready` in some cycle), bit 5 `bad_access`
//! (sticky: a partial store to `TX`/`TX_LAST`, a load from them, a store to `RX`, or an
//! offset above 0x0C).
//!
//! Frame marking: a frame is its words stored to `TX`, the final one stored to `TX_LAST`
//! (a one-word frame is a single `TX_LAST` store). The firmware knows its frames' lengths, so
//! marking the last word by its address costs no extra store and keeps one store = one word.
//!
//! No word dropped or doubled, by construction: the port has no buffer. A `TX`/`TX_LAST`
//! store drives `tx` straight from `mem_wdata` (parity made here, at the CPU side, so the
//! whole path from the CPU's store data to the disk is covered) and completes (`mem_ready`)
//! in exactly the cycle the word moves (`valid & ready`); while `tx_ready` is low the store
//! stalls and the CPU holds its data steady, as SPEC §2 asks of a source. An `RX` load raises
//! `rx_ready` and completes in exactly the cycle a word moves, so a load with nothing offered
//! stalls the CPU. A partial store to `TX`/`TX_LAST` offers nothing (it would put bytes the
//! CPU never wrote on the link): it completes at once and sets `bad_access`.
use crate::link::{LinkRx, LinkTx};
use crate::parity::{ParityCheck, ParityGen};
use crate::verilog::rename_idents;
use rust_hdl::prelude::*;

/// Byte offset of `TX`.
pub const REG_TX: u32 = 0x00;
/// Byte offset of `TX_LAST`.
pub const REG_TX_LAST: u32 = 0x04;
/// Byte offset of `RX`.
pub const REG_RX: u32 = 0x08;
/// Byte offset of `STATUS`.
pub const REG_STATUS: u32 = 0x0C;
/// `STATUS` bits.
pub mod status {
    /// A word is offered on `rx` now.
    pub const RX_WAITING: u32 = 1 << 0;
    /// The word the last `RX` load took had `last`.
    pub const RX_LAST: u32 = 1 << 1;
    /// The word the last `RX` load took had `abort`.
    pub const RX_ABORT: u32 = 1 << 2;
    /// Sticky: a parity error on `rx` (a taken word's data, or `cpar` in any cycle).
    pub const RX_PERR: u32 = 1 << 3;
    /// Sticky: `tx`'s `rpar` was not `~ready` in some cycle.
    pub const TX_RERR: u32 = 1 << 4;
    /// Sticky: an access the port does not define.
    pub const BAD_ACCESS: u32 = 1 << 5;
}

/// One CPU's port onto ftio (see the module documentation).
#[derive(LogicBlock, Default)]
pub struct CpuPort {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: clears the flags.
    pub reset: Signal<In, Bit>,
    /// The CPU's `mem_valid`, qualified by the address decode (an access to this port).
    pub mem_valid: Signal<In, Bit>,
    /// The CPU's `mem_addr` (bits 4:2 select the register).
    pub mem_addr: Signal<In, Bits<32>>,
    /// The CPU's store data.
    pub mem_wdata: Signal<In, Bits<32>>,
    /// The CPU's byte strobes (0 = a load).
    pub mem_wstrb: Signal<In, Bits<4>>,
    /// The access completes this cycle.
    pub mem_ready: Signal<Out, Bit>,
    /// Load data (valid with `mem_ready`).
    pub mem_rdata: Signal<Out, Bits<32>>,
    /// Words to the core (`cpu_x_tx`).
    pub tx: LinkTx,
    /// Words from the core (`cpu_x_rx`).
    pub rx: LinkRx,
    gen: ParityGen,
    check: ParityCheck,
    taken_last: DFF<Bit>,
    taken_abort: DFF<Bit>,
    rx_perr: DFF<Bit>,
    tx_rerr: DFF<Bit>,
    bad_access: DFF<Bit>,
    reg_sel: Signal<Local, Bits<3>>,
    is_store: Signal<Local, Bit>,
    tx_store: Signal<Local, Bit>,
    rx_load: Signal<Local, Bit>,
    rx_take: Signal<Local, Bit>,
    status_word: Signal<Local, Bits<32>>,
    undefined: Signal<Local, Bit>,
}

impl Logic for CpuPort {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, taken_last, taken_abort, rx_perr, tx_rerr, bad_access);
        self.reg_sel.next = self.mem_addr.val().get_bits::<3>(2);
        self.is_store.next = self.mem_wstrb.val() != 0;
        // A word store to TX or TX_LAST offers the word.
        self.tx_store.next = self.mem_valid.val()
            & (self.mem_wstrb.val() == 0xF)
            & ((self.reg_sel.val() == 0) | (self.reg_sel.val() == 1));
        // A load from RX asks for a word.
        self.rx_load.next = self.mem_valid.val() & !self.is_store.val() & (self.reg_sel.val() == 2);
        self.rx_take.next = self.rx_load.val() & self.rx.valid.val();
        // Anything else that is not STATUS.
        self.undefined.next = self.mem_valid.val()
            & !self.tx_store.val()
            & !self.rx_load.val()
            & (self.reg_sel.val() != 3);

        self.gen.data.next = self.mem_wdata.val();
        self.tx.valid.next = self.tx_store.val();
        self.tx.data.next = self.mem_wdata.val();
        self.tx.last.next = self.tx_store.val() & (self.reg_sel.val() == 1);
        self.tx.abort.next = false;
        self.tx.par.next = self.gen.par.val();
        self.tx.cpar.next = !(self.tx_store.val() ^ (self.tx_store.val() & (self.reg_sel.val() == 1)));

        self.rx.ready.next = self.rx_load.val();
        self.rx.rpar.next = !self.rx_load.val();
        self.check.data.next = self.rx.data.val();
        self.check.par.next = self.rx.par.val();

        self.status_word.next = bit_cast::<32, 1>(self.rx.valid.val().into())
            | (bit_cast::<32, 1>(self.taken_last.q.val().into()) << 1)
            | (bit_cast::<32, 1>(self.taken_abort.q.val().into()) << 2)
            | (bit_cast::<32, 1>(self.rx_perr.q.val().into()) << 3)
            | (bit_cast::<32, 1>(self.tx_rerr.q.val().into()) << 4)
            | (bit_cast::<32, 1>(self.bad_access.q.val().into()) << 5);

        // Completion: a TX store when its word moves, an RX load when it takes a word,
        // anything else at once.
        self.mem_ready.next = self.mem_valid.val();
        self.mem_rdata.next = 0.into();
        if self.tx_store.val() {
            self.mem_ready.next = self.tx.ready.val();
        }
        if self.rx_load.val() {
            self.mem_ready.next = self.rx.valid.val();
            self.mem_rdata.next = self.rx.data.val();
        }
        if self.mem_valid.val() & (self.reg_sel.val() == 3) & !self.is_store.val() {
            self.mem_rdata.next = self.status_word.val();
        }

        if self.rx_take.val() {
            self.taken_last.d.next = self.rx.last.val();
            self.taken_abort.d.next = self.rx.abort.val();
        }
        if (self.rx_take.val() & self.check.error.val())
            | (self.rx.cpar.val() == (self.rx.valid.val() ^ self.rx.last.val() ^ self.rx.abort.val()))
        {
            self.rx_perr.d.next = true;
        }
        if self.tx.rpar.val() == self.tx.ready.val() {
            self.tx_rerr.d.next = true;
        }
        if self.undefined.val() {
            self.bad_access.d.next = true;
        }
        if self.mem_valid.val() & self.is_store.val() & (self.reg_sel.val() == 3) {
            self.rx_perr.d.next = false;
            self.tx_rerr.d.next = false;
            self.bad_access.d.next = false;
        }
        if self.reset.val() {
            self.taken_last.d.next = false;
            self.taken_abort.d.next = false;
            self.rx_perr.d.next = false;
            self.tx_rerr.d.next = false;
            self.bad_access.d.next = false;
        }
    }
}

/// The port as Verilog: module `ftio_cpu_port` with flat ports (`tx_valid`, `rx_ready`, ...).
pub fn cpu_port_verilog() -> String {
    let mut port = CpuPort::default();
    port.connect_all();
    let mut text = generate_verilog(&port);
    for link in ["tx", "rx"] {
        text = rename_idents(&text, &format!("{link}$"), &format!("{link}_"), true);
    }
    text = rename_idents(&text, "top$", "ftio_cpu_port$", true);
    rename_idents(&text, "top", "ftio_cpu_port", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, control_parity};
    use crate::testbench::{edge, low};
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    #[test]
    fn cpu_port_synthesizes_with_flat_ports() {
        let mut uut = CpuPort::default();
        uut.connect_all();
        yosys_validate("ftio_cpu_port", &generate_verilog(&uut)).unwrap();
        let text = cpu_port_verilog();
        for p in ["tx_valid", "tx_par", "tx_cpar", "tx_rpar", "rx_ready", "rx_rpar", "mem_ready", "mem_rdata"] {
            assert!(text.contains(p), "port {p} missing");
        }
        assert!(text.contains("module ftio_cpu_port"));
    }

    /// One bus access as PicoRV32 makes it: held until `mem_ready`.
    #[derive(Clone, Copy, Debug)]
    enum Access {
        Store { reg: u32, data: u32, strb: u8 },
        Load { reg: u32 },
    }

    fn drive(uut: &mut CpuPort, a: Option<Access>) {
        match a {
            Some(Access::Store { reg, data, strb }) => {
                uut.mem_valid.next = true;
                uut.mem_addr.next = (0x1000_0000u64 | reg as u64).into();
                uut.mem_wdata.next = (data as u64).into();
                uut.mem_wstrb.next = (strb as u64).into();
            }
            Some(Access::Load { reg }) => {
                uut.mem_valid.next = true;
                uut.mem_addr.next = (0x1000_0000u64 | reg as u64).into();
                uut.mem_wdata.next = 0xDEADu64.into();
                uut.mem_wstrb.next = 0u64.into();
            }
            None => {
                uut.mem_valid.next = false;
                uut.mem_wstrb.next = 0u64.into();
            }
        }
    }

    /// A CPU making random stores and loads (with gaps) against a core side with random
    /// back-pressure and random gaps on `rx`: every stored word reaches `tx` exactly once, in
    /// order, with the `last` its address asked for and parity made from its data; each store
    /// completes in the cycle its word moves and never while `tx_ready` is low; every load
    /// returns the next `rx` word, exactly once, in the cycle it moves; `cpar`/`rpar` hold in
    /// every cycle; no flag is raised.
    #[test]
    fn stores_and_loads_move_each_word_once_under_random_backpressure() {
        let mut uut = CpuPort::default();
        uut.connect_all();
        let mut rng = rand::rngs::StdRng::seed_from_u64(25);
        let mut pending: Option<Access> = None;
        let mut stored: VecDeque<(u32, bool)> = VecDeque::new();
        let mut loaded: Vec<u32> = vec![];
        let mut rx_words: VecDeque<(u32, bool)> = (0..400u32).map(|i| (i.wrapping_mul(0x9E37_79B9), i % 7 == 6)).collect();
        let rx_sent: Vec<u32> = rx_words.iter().map(|w| w.0).collect();
        let mut rx_offering = false;
        let (mut tx_moves, mut rx_moves, mut stalls) = (0, 0, 0);
        let mut last_taken_flag = false;
        for _cycle in 0..3000 {
            if pending.is_none() && rng.gen_bool(0.7) {
                pending = Some(if rng.gen_bool(0.5) {
                    let reg = if rng.gen_bool(0.2) { REG_TX_LAST } else { REG_TX };
                    Access::Store { reg, data: rng.gen(), strb: 0xF }
                } else {
                    Access::Load { reg: REG_RX }
                });
            }
            drive(&mut uut, pending);
            let tx_ready = rng.gen_bool(0.6);
            uut.tx.ready.next = tx_ready;
            uut.tx.rpar.next = !tx_ready;
            if !rx_offering && !rx_words.is_empty() && rng.gen_bool(0.5) {
                rx_offering = true;
            }
            let (w, l) = rx_words.front().copied().unwrap_or((0, false));
            uut.rx.valid.next = rx_offering;
            uut.rx.data.next = (w as u64).into();
            uut.rx.last.next = rx_offering && l;
            uut.rx.abort.next = false;
            uut.rx.par.next = (byte_parity(w) as u64).into();
            uut.rx.cpar.next = control_parity(rx_offering, rx_offering && l, false);
            low(&mut uut, |u| &mut u.clock);
            let (v, d, last) = (uut.tx.valid.val(), uut.tx.data.val().to_u32(), uut.tx.last.val());
            assert_eq!(uut.tx.cpar.val(), control_parity(v, last, uut.tx.abort.val()));
            assert_eq!(uut.rx.rpar.val(), !uut.rx.ready.val());
            let ready = uut.mem_ready.val();
            match pending {
                Some(Access::Store { reg, data, .. }) => {
                    assert!(v && d == data && last == (reg == REG_TX_LAST), "a store offers its word as stored");
                    assert_eq!(uut.tx.par.val().to_u8(), byte_parity(data));
                    assert_eq!(ready, tx_ready, "a store completes exactly when its word moves");
                    assert!(!uut.rx.ready.val());
                    if tx_ready {
                        stored.push_back((data, last));
                        tx_moves += 1;
                    } else {
                        stalls += 1;
                    }
                }
                Some(Access::Load { .. }) => {
                    assert!(!v, "a load offers nothing");
                    assert!(uut.rx.ready.val());
                    assert_eq!(ready, rx_offering, "a load completes exactly when a word moves");
                    if rx_offering {
                        assert_eq!(uut.mem_rdata.val().to_u32(), w);
                        loaded.push(w);
                        last_taken_flag = l;
                        rx_words.pop_front();
                        rx_offering = false;
                        rx_moves += 1;
                    }
                }
                None => {
                    assert!(!v && !uut.rx.ready.val() && !ready);
                }
            }
            edge(&mut uut, |u| &mut u.clock);
            if ready {
                pending = None;
            }
            let _ = last_taken_flag;
        }
        assert!(tx_moves > 300 && rx_moves > 300 && stalls > 100, "moves {tx_moves}/{rx_moves}, stalls {stalls}");
        assert_eq!(loaded[..], rx_sent[..loaded.len()], "loads return the rx words in order, each once");
        // STATUS: no error flag after all that, and rx_last of the last word taken.
        drive(&mut uut, Some(Access::Load { reg: REG_STATUS }));
        uut.rx.valid.next = false;
        uut.rx.cpar.next = true;
        low(&mut uut, |u| &mut u.clock);
        let s = uut.mem_rdata.val().to_u32();
        assert!(uut.mem_ready.val());
        assert_eq!(s & (status::RX_PERR | status::TX_RERR | status::BAD_ACCESS), 0, "status {s:#x}");
        assert_eq!(s & status::RX_LAST != 0, last_taken_flag);
        assert_eq!(stored.len(), tx_moves);
    }

    /// The flags: a taken word with a data parity error, a bad `cpar` on an idle `rx`, a bad
    /// `rpar` on `tx` and a partial store each latch their bit (the partial store offers
    /// nothing and completes at once); a store to STATUS clears them.
    #[test]
    fn parity_errors_and_bad_accesses_latch_and_clear() {
        let mut uut = CpuPort::default();
        uut.connect_all();
        let read_status = |uut: &mut CpuPort| {
            drive(uut, Some(Access::Load { reg: REG_STATUS }));
            uut.rx.valid.next = false;
            uut.rx.last.next = false;
            uut.rx.cpar.next = true;
            uut.tx.ready.next = false;
            uut.tx.rpar.next = true;
            low(uut, |u| &mut u.clock);
            let s = uut.mem_rdata.val().to_u32();
            edge(uut, |u| &mut u.clock);
            s
        };
        let clear = |uut: &mut CpuPort| {
            drive(uut, Some(Access::Store { reg: REG_STATUS, data: 0, strb: 0xF }));
            low(uut, |u| &mut u.clock);
            assert!(uut.mem_ready.val());
            edge(uut, |u| &mut u.clock);
        };
        assert_eq!(read_status(&mut uut), 0);
        // A word with one data bit flipped (parity as for the original) taken by a load.
        drive(&mut uut, Some(Access::Load { reg: REG_RX }));
        uut.rx.valid.next = true;
        uut.rx.data.next = (0x1234_5678u64 ^ 1 << 9).into();
        uut.rx.par.next = (byte_parity(0x1234_5678) as u64).into();
        uut.rx.last.next = true;
        uut.rx.cpar.next = control_parity(true, true, false);
        low(&mut uut, |u| &mut u.clock);
        assert!(uut.mem_ready.val());
        edge(&mut uut, |u| &mut u.clock);
        assert_eq!(read_status(&mut uut), status::RX_PERR | status::RX_LAST);
        clear(&mut uut);
        assert_eq!(read_status(&mut uut), status::RX_LAST);
        // Bad cpar on an idle rx link.
        drive(&mut uut, None);
        uut.rx.valid.next = false;
        uut.rx.cpar.next = false;
        low(&mut uut, |u| &mut u.clock);
        edge(&mut uut, |u| &mut u.clock);
        assert_eq!(read_status(&mut uut) & status::RX_PERR, status::RX_PERR);
        clear(&mut uut);
        // Bad rpar on tx.
        drive(&mut uut, None);
        uut.tx.ready.next = true;
        uut.tx.rpar.next = true;
        low(&mut uut, |u| &mut u.clock);
        edge(&mut uut, |u| &mut u.clock);
        assert_eq!(read_status(&mut uut) & status::TX_RERR, status::TX_RERR);
        clear(&mut uut);
        // A byte store to TX: nothing offered, done at once, flagged.
        drive(&mut uut, Some(Access::Store { reg: REG_TX, data: 0xAB, strb: 0x1 }));
        uut.tx.ready.next = true;
        uut.tx.rpar.next = false;
        low(&mut uut, |u| &mut u.clock);
        assert!(!uut.tx.valid.val() && uut.mem_ready.val());
        edge(&mut uut, |u| &mut u.clock);
        assert_eq!(read_status(&mut uut), status::BAD_ACCESS | status::RX_LAST);
        clear(&mut uut);
        assert_eq!(read_status(&mut uut), status::RX_LAST);
    }
}
