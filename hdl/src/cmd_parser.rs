//! The UART command parser of SPEC §5: request in, register access, response out.
//!
//! Request `A5 | cmd | addr(2) | count | data(4×count, writes) | crc(2)`; response
//! `5A | status | count | data(reads) | crc(2)`. Checks in order: CRC, command, count,
//! address. Every address of the range is checked before any is written, and with it the
//! value a write carries (a register may refuse a value it does not define: CTRL's reserved
//! modes; a locked field's change; a block the build leaves out), so a refused write writes nothing. The CRC runs over every byte after the sync byte, the received CRC
//! included, and must end at 0 (the residue of a non-reflected CRC with xorout 0).
//!
//! Frame length depends on `cmd` and `count` only: a write carries 4×count data bytes for
//! any count (so a bad count is still framed), other commands none. A frame whose bytes stop
//! for more than 64 bit times is dropped and the parser hunts for `A5` again.
//!
//! Requests may come back to back: the [`crate::uart_bridge::UartBridge`] queues received bytes (256) while the
//! parser executes or answers, each byte tagged with whether more than 64 bit times of
//! silence came before it. The parser applies the timeout rule on that tag when it takes the
//! byte — the same frames are dropped as if it had watched the line itself. A byte lost to a
//! full queue tags the next one, so a frame with a hole in it is dropped, never executed.
use crate::bram::Bram;
use crate::crc16::Crc16Byte;
use crate::regfile::RegBus;
use rust_hdl::prelude::*;

mod state {
    pub const HUNT: u64 = 0;
    pub const CMD: u64 = 1;
    pub const ADDR_HI: u64 = 2;
    pub const ADDR_LO: u64 = 3;
    pub const COUNT: u64 = 4;
    pub const DATA: u64 = 5;
    pub const CRC_HI: u64 = 6;
    pub const CRC_LO: u64 = 7;
    pub const CHECK: u64 = 8;
    pub const WRITE_SETUP: u64 = 9;
    pub const WRITE_DO: u64 = 10;
    pub const RESPOND: u64 = 11;
    pub const VERIFY: u64 = 12;
}

#[derive(LogicBlock)]
pub struct CmdParser {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: back to hunting.
    pub reset: Signal<In, Bit>,
    /// A byte arrived from the UART receiver.
    pub rx_strobe: Signal<In, Bit>,
    /// The byte.
    pub rx_data: Signal<In, Bits<8>>,
    /// With the byte: more than 64 bit times of silence came before it on the line.
    pub rx_gap: Signal<In, Bit>,
    /// With the byte: it is the sync byte `A5` (decoded where the byte is registered, so the
    /// parser's state does not wait for an 8-bit compare of it).
    pub rx_sync: Signal<In, Bit>,
    /// With the byte: it is not zero.
    pub rx_nonzero: Signal<In, Bit>,
    /// The parser takes a byte this cycle if one is offered (it is reading a request).
    pub rx_ready: Signal<Out, Bit>,
    /// Send `tx_data` (held until `tx_busy` shows it was taken).
    pub tx_start: Signal<Out, Bit>,
    /// Byte to send.
    pub tx_data: Signal<Out, Bits<8>>,
    /// The transmitter is busy.
    pub tx_busy: Signal<In, Bit>,
    /// The register bus: `addr` is the register checked, read or written (stepped with the
    /// request), `wdata` the word of the frame at it; a write frame is refused whole with
    /// `write_refusal` if any of its words is.
    pub bus: RegBus,
    /// Pulse: a request was executed (status 0).
    pub executed: Signal<Out, Bit>,
    /// Pulse: a frame was dropped by the inter-byte timeout (seen when the next byte comes).
    pub dropped: Signal<Out, Bit>,
    state: DFF<Bits<4>>,
    cmd: DFF<Bits<8>>,
    addr: DFF<Bits<16>>,
    count: DFF<Bits<8>>,
    /// `count - 1`, kept beside it: "this is the last address" is then an 8-bit equality of
    /// two flops, not an adder in front of a compare on the parser's decision path.
    count_m1: DFF<Bits<8>>,
    bytes_left: DFF<Bits<10>>,
    word: DFF<Bits<32>>,
    words_in: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    status: DFF<Bits<8>>,
    idx: DFF<Bits<8>>,
    tx_idx: DFF<Bits<8>>,
    tx_word: DFF<Bits<32>>,
    /// `addr + idx` (17 bits: bit 16 set when the range runs past 0xFFFF), stepped with
    /// `idx` rather than added after it, so the register decode starts from a flop.
    cur: DFF<Bits<17>>,
    /// The register bus read, registered: it shows the register two cycles after `cur` moved
    /// to it (the register file's read mux is split across a flop too). The address is stable
    /// for at least a byte time (80 cycles at the fastest baud the gateware builds) before a
    /// data byte goes out, so the latency is never seen, and the read ends in flops, not in
    /// the CRC.
    rd_q: DFF<Bits<32>>,
    /// `cur` is not a register (or not writable, for a write, or past 0xFFFF), registered:
    /// the register decode is the deepest logic the parser reads, so the parser decides on
    /// an address from flops only (CHECK spends three cycles an address, `phase`).
    addr_bad_q: DFF<Bit>,
    /// The register file's `write_refusal` of `cur` and the frame's word at `idx`,
    /// registered: it compares the word with CTRL and the lock (the deepest answer of the
    /// bus), and the data RAM shows the word only in CHECK's second cycle of an address.
    refusal_q: DFF<Bits<3>>,
    /// `idx == count_m1` (the last address of the range), registered: `idx` is stable for
    /// the cycle before each decision that reads it (CHECK's third cycle, WRITE_DO).
    last_q: DFF<Bit>,
    /// `cmd` is a write (0x02), registered: `cmd` is set bytes before anything reads this.
    is_write: DFF<Bit>,
    /// In CHECK, the cycle of the address at `cur`: 0 `cur` moved (`addr_bad_q` takes its
    /// decode, the data RAM its word's index), 1 the word shows (`refusal_q` takes its
    /// refusal), 2 decide. 0 outside CHECK.
    phase: DFF<Bits<2>>,
    /// Written only in DATA and read only after CRC_LO, so it never reads an address
    /// being written.
    data_ram: Bram<32, 4>,
    crc_in: Crc16Byte,
    crc_out: Crc16Byte,
    st_hunt: Constant<Bits<4>>,
    st_cmd: Constant<Bits<4>>,
    st_addr_hi: Constant<Bits<4>>,
    st_addr_lo: Constant<Bits<4>>,
    st_count: Constant<Bits<4>>,
    st_data: Constant<Bits<4>>,
    st_crc_hi: Constant<Bits<4>>,
    st_crc_lo: Constant<Bits<4>>,
    st_check: Constant<Bits<4>>,
    st_write_setup: Constant<Bits<4>>,
    st_write_do: Constant<Bits<4>>,
    st_respond: Constant<Bits<4>>,
    st_verify: Constant<Bits<4>>,
    rx_word: Signal<Local, Bits<32>>,
    /// The response's length less one and less two, and its byte at `tx_idx`, registered: a
    /// byte goes out at most once per UART character, so all are settled long before they are
    /// sent, and the transmitter, the response CRC and the end-of-response tests start from
    /// flops (the tests compare `tx_idx` with a flop, no adder in front).
    resp_m1: DFF<Bits<8>>,
    resp_m2: DFF<Bits<8>>,
    resp_q: DFF<Bits<8>>,
    resp: ResponseByte,
    /// The state the byte is taken in: HUNT when the timeout dropped the frame before it.
    st_in: Signal<Local, Bits<4>>,
}

impl CmdParser {
    /// A parser (the inter-byte timeout is measured by the [`UartBridge`]).
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx_strobe: Default::default(),
            rx_data: Default::default(),
            rx_gap: Default::default(),
            rx_sync: Default::default(),
            rx_nonzero: Default::default(),
            rx_ready: Default::default(),
            tx_start: Default::default(),
            tx_data: Default::default(),
            tx_busy: Default::default(),
            bus: Default::default(),
            executed: Default::default(),
            dropped: Default::default(),
            state: Default::default(),
            cmd: Default::default(),
            addr: Default::default(),
            count: Default::default(),
            count_m1: Default::default(),
            bytes_left: Default::default(),
            word: Default::default(),
            words_in: Default::default(),
            crc: Default::default(),
            status: Default::default(),
            idx: Default::default(),
            tx_idx: Default::default(),
            tx_word: Default::default(),
            cur: Default::default(),
            rd_q: Default::default(),
            addr_bad_q: Default::default(),
            refusal_q: Default::default(),
            last_q: Default::default(),
            is_write: Default::default(),
            phase: Default::default(),
            data_ram: Default::default(),
            crc_in: Default::default(),
            crc_out: Default::default(),
            st_hunt: Constant::new(state::HUNT.to_bits()),
            st_cmd: Constant::new(state::CMD.to_bits()),
            st_addr_hi: Constant::new(state::ADDR_HI.to_bits()),
            st_addr_lo: Constant::new(state::ADDR_LO.to_bits()),
            st_count: Constant::new(state::COUNT.to_bits()),
            st_data: Constant::new(state::DATA.to_bits()),
            st_crc_hi: Constant::new(state::CRC_HI.to_bits()),
            st_crc_lo: Constant::new(state::CRC_LO.to_bits()),
            st_check: Constant::new(state::CHECK.to_bits()),
            st_write_setup: Constant::new(state::WRITE_SETUP.to_bits()),
            st_write_do: Constant::new(state::WRITE_DO.to_bits()),
            st_respond: Constant::new(state::RESPOND.to_bits()),
            st_verify: Constant::new(state::VERIFY.to_bits()),
            rx_word: Default::default(),
            resp_m1: Default::default(),
            resp_m2: Default::default(),
            resp_q: Default::default(),
            resp: Default::default(),
            st_in: Default::default(),
        }
    }
}

impl Default for CmdParser {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for CmdParser {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, cmd, addr, count, count_m1, bytes_left, word, words_in, crc, status, idx, tx_idx, tx_word, cur, rd_q, addr_bad_q, refusal_q, last_q, is_write, phase, resp_m1, resp_m2, resp_q);
        self.data_ram.write_clock.next = self.clock.val();
        self.data_ram.read_clock.next = self.clock.val();
        self.data_ram.write_enable.next = false;
        self.data_ram.write_address.next = self.words_in.q.val().get_bits::<4>(0);
        self.data_ram.read_address.next = self.idx.q.val().get_bits::<4>(0);
        self.rx_word.next = (self.word.q.val() << 8) | bit_cast::<32, 8>(self.rx_data.val());
        self.data_ram.write_data.next = self.rx_word.val();
        self.crc_in.crc.next = self.crc.q.val();
        self.crc_in.data_in.next = self.rx_data.val();
        self.tx_start.next = false;
        self.tx_data.next = 0.into();
        self.bus.addr.next = self.cur.q.val().get_bits::<16>(0);
        self.rd_q.d.next = self.bus.rdata.val();
        self.is_write.d.next = self.cmd.q.val() == 0x02_u64;
        self.addr_bad_q.d.next = self.cur.q.val().get_bit(16)
            | !self.bus.readable.val()
            | (self.is_write.q.val() & !self.bus.writable.val());
        self.refusal_q.d.next = self.bus.write_refusal.val();
        self.last_q.d.next = self.idx.q.val() == self.count_m1.q.val();
        self.phase.d.next = 0.into();
        self.bus.wdata.next = self.data_ram.read_data.val();
        self.bus.we.next = false;
        self.executed.next = false;
        self.dropped.next = false;
        // Bytes are taken while a request is being read. A byte that came after more than 64
        // bit times of silence ends the frame in progress: it is dropped, and the byte is
        // taken as if hunting.
        self.rx_ready.next = self.state.q.val() <= self.st_crc_lo.val();
        self.st_in.next = self.state.q.val();
        if self.rx_strobe.val() & self.rx_gap.val() & (self.state.q.val() != self.st_hunt.val()) & self.rx_ready.val() {
            self.st_in.next = self.st_hunt.val();
            self.dropped.next = true;
        }
        if self.st_in.val() == self.st_hunt.val() {
            // Hunting, or a frame dropped by a gap: its state is left even when the byte that
            // ended it is not `A5` (found by `ftio prove --only cmd_parser`).
            self.state.d.next = self.st_hunt.val();
            if self.rx_strobe.val() & self.rx_sync.val() {
                self.state.d.next = self.st_cmd.val();
                self.crc.d.next = 0xFFFF_u64.into();
                self.words_in.d.next = 0.into();
            }
        } else if self.st_in.val() <= self.st_crc_lo.val() {
            if self.rx_strobe.val() {
                self.crc.d.next = self.crc_in.out.val();
                self.word.d.next = self.rx_word.val();
                if self.st_in.val() == self.st_cmd.val() {
                    self.cmd.d.next = self.rx_data.val();
                    self.state.d.next = self.st_addr_hi.val();
                } else if self.st_in.val() == self.st_addr_hi.val() {
                    self.state.d.next = self.st_addr_lo.val();
                } else if self.st_in.val() == self.st_addr_lo.val() {
                    self.addr.d.next = self.rx_word.val().get_bits::<16>(0);
                    self.state.d.next = self.st_count.val();
                } else if self.st_in.val() == self.st_count.val() {
                    self.count.d.next = self.rx_data.val();
                    self.count_m1.d.next = self.rx_data.val() - 1;
                    self.bytes_left.d.next = bit_cast::<10, 8>(self.rx_data.val()) << 2;
                    if self.is_write.q.val() & self.rx_nonzero.val() {
                        self.state.d.next = self.st_data.val();
                    } else {
                        self.state.d.next = self.st_crc_hi.val();
                    }
                } else if self.st_in.val() == self.st_data.val() {
                    self.bytes_left.d.next = self.bytes_left.q.val() - 1;
                    if self.bytes_left.q.val().get_bits::<2>(0) == 1 {
                        // The fourth byte of a word: keep the first 16 words.
                        self.data_ram.write_enable.next = self.words_in.q.val() < 16;
                        self.words_in.d.next = self.words_in.q.val() + 1;
                    }
                    if self.bytes_left.q.val() == 1 {
                        self.state.d.next = self.st_crc_hi.val();
                    }
                } else if self.st_in.val() == self.st_crc_hi.val() {
                    self.state.d.next = self.st_crc_lo.val();
                } else {
                    // CRC_LO: the CRC register now holds the residue, checked next cycle.
                    self.state.d.next = self.st_verify.val();
                }
            }
        } else if self.state.q.val() == self.st_verify.val() {
            // Decide the status in SPEC order from flops only (the residue is registered, so
            // the CRC's XOR network and its 16-bit compare are a cycle apart); addresses are
            // checked next.
            self.idx.d.next = 0.into();
            self.cur.d.next = bit_cast::<17, 16>(self.addr.q.val());
            self.state.d.next = self.st_respond.val();
            if self.crc.q.val() != 0 {
                self.status.d.next = 0x01_u64.into();
            } else if (self.cmd.q.val() != 0x01_u64) & (self.cmd.q.val() != 0x02_u64) {
                self.status.d.next = 0x02_u64.into();
            } else if (self.count.q.val() == 0) | (self.count.q.val() > 16) {
                self.status.d.next = 0x04_u64.into();
            } else {
                self.status.d.next = 0.into();
                self.state.d.next = self.st_check.val();
            }
        } else if self.state.q.val() == self.st_check.val() {
            // Each address must be a register (writable, for a write), and the range must
            // not run past 0xFFFF; a write's word must be one its register takes. Three
            // cycles an address (`phase`): the decision reads flops only.
            self.phase.d.next = self.phase.q.val() + 1;
            if self.phase.q.val() == 2 {
                self.phase.d.next = 0.into();
                // A write's value is checked with its address, so a refused value writes
                // nothing.
                if self.addr_bad_q.q.val() {
                    self.status.d.next = 0x03_u64.into();
                    self.idx.d.next = 0.into();
                    self.cur.d.next = bit_cast::<17, 16>(self.addr.q.val());
                    self.state.d.next = self.st_respond.val();
                } else if self.is_write.q.val() & (self.refusal_q.q.val() != 0) {
                    // A value not defined (0x03), a block not built (0x06), locked (0x05).
                    self.status.d.next = bit_cast::<8, 3>(self.refusal_q.q.val());
                    self.idx.d.next = 0.into();
                    self.cur.d.next = bit_cast::<17, 16>(self.addr.q.val());
                    self.state.d.next = self.st_respond.val();
                } else if self.last_q.q.val() {
                    self.idx.d.next = 0.into();
                    self.cur.d.next = bit_cast::<17, 16>(self.addr.q.val());
                    if self.is_write.q.val() {
                        self.state.d.next = self.st_write_setup.val();
                    } else {
                        self.state.d.next = self.st_respond.val();
                    }
                } else {
                    self.idx.d.next = self.idx.q.val() + 1;
                    self.cur.d.next = self.cur.q.val() + 1;
                }
            }
        } else if self.state.q.val() == self.st_write_setup.val() {
            // The data RAM shows word idx next cycle.
            self.state.d.next = self.st_write_do.val();
        } else if self.state.q.val() == self.st_write_do.val() {
            self.bus.we.next = true;
            if self.last_q.q.val() {
                self.idx.d.next = 0.into();
                self.cur.d.next = bit_cast::<17, 16>(self.addr.q.val());
                self.state.d.next = self.st_respond.val();
            } else {
                self.idx.d.next = self.idx.q.val() + 1;
                self.cur.d.next = self.cur.q.val() + 1;
                self.state.d.next = self.st_write_setup.val();
            }
        }
        // Response: 5A, status, count, data (good reads), crc_hi, crc_lo; its length registered.
        self.resp.read.next = self.cmd.q.val() == 0x01_u64;
        self.resp_m1.d.next = self.resp.next_len_m1.val();
        self.resp_m2.d.next = self.resp.next_len_m2.val();
        self.resp.index.next = self.tx_idx.q.val();
        self.resp.status.next = self.status.q.val();
        self.resp.count.next = self.count.q.val();
        self.resp.len_m1.next = self.resp_m1.q.val();
        self.resp.len_m2.next = self.resp_m2.q.val();
        self.resp.crc.next = self.crc.q.val();
        self.resp.read_word.next = self.rd_q.q.val();
        self.resp.tx_word.next = self.tx_word.q.val();
        self.crc_out.crc.next = self.crc.q.val();
        self.resp_q.d.next = self.resp.value.val();
        self.crc_out.data_in.next = self.resp_q.q.val();
        if self.state.q.val() == self.st_respond.val() {
            self.tx_data.next = self.resp_q.q.val();
            if !self.tx_busy.val() {
                self.tx_start.next = true;
                self.tx_idx.d.next = self.tx_idx.q.val() + 1;
                if self.tx_idx.q.val() == 0 {
                    self.crc.d.next = 0xFFFF_u64.into();
                } else if self.tx_idx.q.val() < self.resp_m2.q.val() {
                    self.crc.d.next = self.crc_out.out.val();
                }
                if self.tx_idx.q.val().get_bits::<2>(0) == 3 {
                    self.tx_word.d.next = self.rd_q.q.val() << 8;
                    self.idx.d.next = self.idx.q.val() + 1;
                    self.cur.d.next = self.cur.q.val() + 1;
                } else {
                    self.tx_word.d.next = self.tx_word.q.val() << 8;
                }
                // A response is never shorter than 5 bytes. `resp_m1` is registered from
                // `status`, which VERIFY sets in the cycle before the first byte, so for that
                // byte it can still be the previous request's length (a read of count 63, 127,
                // 191 or 255 after an OK answer made it 0 mod 256: the bad-count answer was cut
                // after its `5A`; found by `ftio prove --only cmd_parser_response`).
                if (self.tx_idx.q.val() == self.resp_m1.q.val()) & (self.tx_idx.q.val() != 0) {
                    self.tx_idx.d.next = 0.into();
                    self.state.d.next = self.st_hunt.val();
                    self.executed.next = self.status.q.val() == 0;
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = self.st_hunt.val();
            self.tx_idx.d.next = 0.into();
        }
    }
}

/// The response's byte at `index` (combinational): `5A`, status, count, the data of a good
/// read (big-endian), the CRC. Data bytes: the word is latched as its first byte goes out,
/// so the first byte comes from `read_word` and the rest from `tx_word`. Also the length of
/// the response `status` and `count` make (the parser registers it as `len_m1`, `len_m2`).
#[derive(LogicBlock, Default)]
pub struct ResponseByte {
    /// Which byte of the response.
    pub index: Signal<In, Bits<8>>,
    /// The response's status.
    pub status: Signal<In, Bits<8>>,
    /// The request's count.
    pub count: Signal<In, Bits<8>>,
    /// The request is a read (a good read's response carries its data).
    pub read: Signal<In, Bit>,
    /// The response's length less one (the CRC's low byte).
    pub len_m1: Signal<In, Bits<8>>,
    /// Its length less two (the CRC's high byte).
    pub len_m2: Signal<In, Bits<8>>,
    /// The CRC so far.
    pub crc: Signal<In, Bits<16>>,
    /// The register read for the word starting at `index`.
    pub read_word: Signal<In, Bits<32>>,
    /// The word going out, shifted to its next byte.
    pub tx_word: Signal<In, Bits<32>>,
    /// The byte.
    pub value: Signal<Out, Bits<8>>,
    /// The length less one, and less two, of the response `status`, `count` and `read` make:
    /// 5 bytes, plus 4×count for a good read.
    pub next_len_m1: Signal<Out, Bits<8>>,
    pub next_len_m2: Signal<Out, Bits<8>>,
}

impl Logic for ResponseByte {
    #[hdl_gen]
    fn update(&mut self) {
        if (self.status.val() == 0) & self.read.val() {
            self.next_len_m1.next = (self.count.val() << 2) + 4;
            self.next_len_m2.next = (self.count.val() << 2) + 3;
        } else {
            self.next_len_m1.next = 4.into();
            self.next_len_m2.next = 3.into();
        }
        if self.index.val() == 0 {
            self.value.next = 0x5A_u64.into();
        } else if self.index.val() == 1 {
            self.value.next = self.status.val();
        } else if self.index.val() == 2 {
            if self.status.val() == 0 {
                self.value.next = self.count.val();
            } else {
                self.value.next = 0.into();
            }
        } else if self.index.val() == self.len_m2.val() {
            self.value.next = self.crc.val().get_bits::<8>(8);
        } else if self.index.val() == self.len_m1.val() {
            self.value.next = self.crc.val().get_bits::<8>(0);
        } else {
            // Data, big-endian; the word is latched as its first byte goes out.
            if self.index.val().get_bits::<2>(0) == 3 {
                self.value.next = self.read_word.val().get_bits::<8>(24);
            } else {
                self.value.next = self.tx_word.val().get_bits::<8>(24);
            }
        }
    }
}
