//! `RegisterModel`: the reference model of the UART command parser and the register file.
//!
//! The gateware is checked against this model byte for byte, so it states every rule of
//! SPEC §5 exactly, plus the choices SPEC leaves open:
//!
//! * The parser hunts for `A5`; any other byte while hunting is ignored.
//! * Frame length is fixed by `cmd` and `count` alone: a write (`0x02`) carries `4×count`
//!   data bytes whatever `count` is (so a write with count 0 has no data and one with count 20
//!   has 80); every other command carries none.
//! * When a frame is complete it is checked in the order CRC, command, count, address and
//!   answered with the first failing status (count 0, no data). A frame with a bad CRC is never
//!   executed.
//! * Address check: every register `addr .. addr+count-1` must exist (and for a write be
//!   writable, i.e. not RO); otherwise 0x03 and nothing is read or written. Addresses do not
//!   wrap past 0xFFFF.
//! * A write of CTRL with mode = 7 (MODE_KEEP) leaves the mode unchanged.
//! * A write of CTRL with mode 5 or 6 (reserved) is refused like an address that is not
//!   writable: status 0x03, and nothing in the frame is written or fired.
//! * A write of a register whose block the build leaves out (PARAMS.injection, PARAMS.bist:
//!   INJ_*, BIST_*) is refused: status 0x06, nothing in the frame written or fired. Reads
//!   of them answer their reset value.
//! * Once CTRL.lock is set (a write of 1; only reset clears it), a write of a wholly locked
//!   register (`Register::wholly_locked`: OFFSET, TIMEOUT, DISK_TIMEOUT, INJ_CTRL,
//!   INJ_COUNT, BIST_*) is refused whatever it carries, and a write of CTRL that would change
//!   one of its lockable fields (`Register::lock_refuses`: mode not MODE_KEEP, or lockstep,
//!   commit, policy, read_verify other than stored): status 0x05, nothing in the frame
//!   written or fired. Each address of the range is checked in
//!   order, and the first refusal answers: 0x03 (absent, read-only, reserved value) before
//!   0x06 before 0x05 for one address.
//! * A write stores only the RW field bits of each register; bits outside any field and
//!   write-1-pulse bits read 0. A 1 written to a W1P bit fires its action once (in address
//!   order within a frame).
//! * If more than 64 bit times pass between two bytes of a frame, the frame is dropped without
//!   a response and the parser hunts for `A5` again.
//!
//! The model owns only register-file state. Values the core produces (STATUS, capture, live
//! counters, BIST results) are set with [`RegisterModel::poke`] / [`RegisterModel::set_counter`]
//! by whoever simulates the core, and W1P actions are reported through
//! [`RegisterModel::take_pulses`]. The counter snapshot is register-file behaviour and is
//! modelled: CTRL.cnt_snapshot copies the live counters to the readable registers, CTRL.cnt_clear
//! zeroes the live counters (snapshot first when both are written together).

use crate::frame::{crc16_update, Response, Status, CMD_READ, CMD_WRITE, INTERBYTE_TIMEOUT_BITS, MAX_COUNT, REQ_SYNC};
use crate::regs::{by_addr, reg, BuildParams, Hw, Register, COUNTER_FIRST, COUNTER_LAST, MODE_KEEP, REGISTERS};

const NCOUNTERS: usize = (COUNTER_LAST - COUNTER_FIRST + 1) as usize;

/// A write-1-pulse action fired by a host write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pulse {
    /// Register name (e.g. `CTRL`).
    pub register: &'static str,
    /// Field name (e.g. `fault_clear`).
    pub field: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Hunt,
    /// Collecting the frame after the sync byte; `need` more bytes before the CRC check.
    Frame,
}

/// Reference model of the command parser plus register file.
#[derive(Clone, Debug)]
pub struct RegisterModel {
    params: BuildParams,
    /// Readable value of every register, indexed by address (absent addresses unused).
    values: Vec<u32>,
    live: [u32; NCOUNTERS],
    pulses: Vec<Pulse>,
    state: State,
    frame: Vec<u8>,
    idle_bits: u32,
    frames_executed: u64,
}

impl RegisterModel {
    /// The register file at power-on for a core built with `params`.
    pub fn new(params: BuildParams) -> RegisterModel {
        let size = crate::regs::max_addr() as usize + 1;
        let mut values = vec![0; size];
        for r in REGISTERS {
            values[r.addr as usize] = r.reset_value(&params);
        }
        RegisterModel {
            params,
            values,
            live: [0; NCOUNTERS],
            pulses: Vec::new(),
            state: State::Hunt,
            frame: Vec::new(),
            idle_bits: 0,
            frames_executed: 0,
        }
    }

    /// The build parameters.
    pub fn params(&self) -> &BuildParams {
        &self.params
    }

    /// Feeds request bytes arriving back to back; returns the response bytes they caused.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(resp) = self.feed_byte(b) {
                out.extend(resp.encode());
            }
        }
        out
    }

    /// Tells the model that the line was idle for `bit_times` bit times since the last byte.
    /// More than 64 inside a frame drops the frame.
    pub fn idle(&mut self, bit_times: u32) {
        self.idle_bits = self.idle_bits.saturating_add(bit_times);
        if self.state == State::Frame && self.idle_bits > INTERBYTE_TIMEOUT_BITS {
            self.state = State::Hunt;
            self.frame.clear();
        }
    }

    /// True while the parser is inside a frame (not hunting for `A5`).
    pub fn in_frame(&self) -> bool {
        self.state == State::Frame
    }

    /// Frames answered with status 0x00 so far.
    pub fn frames_executed(&self) -> u64 {
        self.frames_executed
    }

    /// Feeds one byte; returns the response if it completed a frame.
    pub fn feed_byte(&mut self, byte: u8) -> Option<Response> {
        self.idle_bits = 0;
        match self.state {
            State::Hunt => {
                if byte == REQ_SYNC {
                    self.state = State::Frame;
                    self.frame.clear();
                }
                None
            }
            State::Frame => {
                self.frame.push(byte);
                // frame = cmd addr_hi addr_lo count data.. crc_hi crc_lo
                if self.frame.len() < 4 {
                    return None;
                }
                let (cmd, count) = (self.frame[0], self.frame[3]);
                let data_len = if cmd == CMD_WRITE { 4 * count as usize } else { 0 };
                if self.frame.len() < 4 + data_len + 2 {
                    return None;
                }
                self.state = State::Hunt;
                let frame = std::mem::take(&mut self.frame);
                Some(self.complete(&frame, data_len))
            }
        }
    }

    fn complete(&mut self, frame: &[u8], data_len: usize) -> Response {
        let body = &frame[..4 + data_len];
        let crc = body.iter().fold(0xFFFF, |c, &b| crc16_update(c, b));
        let got = u16::from_be_bytes([frame[4 + data_len], frame[5 + data_len]]);
        if crc != got {
            return Response::error(Status::BadCrc);
        }
        let cmd = frame[0];
        let addr = u16::from_be_bytes([frame[1], frame[2]]);
        let count = frame[3];
        let data: Vec<u32> = frame[4..4 + data_len]
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        self.execute(cmd, addr, count, &data)
    }

    /// Executes a request whose CRC was good: checks command, count, address in that order.
    pub fn execute(&mut self, cmd: u8, addr: u16, count: u8, data: &[u32]) -> Response {
        if cmd != CMD_READ && cmd != CMD_WRITE {
            return Response::error(Status::UnknownCmd);
        }
        if count == 0 || count > MAX_COUNT {
            return Response::error(Status::BadCount);
        }
        let mut regs: Vec<&'static Register> = Vec::with_capacity(count as usize);
        for i in 0..count as u32 {
            let a = addr as u32 + i;
            let r = match u16::try_from(a).ok().and_then(by_addr) {
                Some(r) => r,
                None => return Response::error(Status::BadAddress),
            };
            if cmd == CMD_WRITE && !r.is_writable() {
                return Response::error(Status::BadAddress);
            }
            if cmd == CMD_WRITE {
                let stored = self.values[r.addr as usize];
                if let Some(status) = data.get(i as usize).and_then(|&w| write_refusal(r, w, stored, self.locked(), &self.params)) {
                    return Response::error(status);
                }
            }
            regs.push(r);
        }
        self.frames_executed += 1;
        if cmd == CMD_READ {
            let data = regs.iter().map(|r| self.values[r.addr as usize]).collect();
            Response { status: Status::Ok, count, data }
        } else {
            for (r, &w) in regs.iter().zip(data) {
                self.host_write(r, w);
            }
            Response { status: Status::Ok, count, data: Vec::new() }
        }
    }

    fn host_write(&mut self, r: &'static Register, w: u32) {
        let store = r.store_mask_for(&self.params);
        let old = self.values[r.addr as usize];
        let mut new = w & store;
        if r.name == "CTRL" {
            let mode = reg("CTRL").f("mode");
            if mode.get(w) == MODE_KEEP {
                new = mode.insert(new, mode.get(old));
            }
        }
        for f in r.fields.iter().filter(|f| f.hw == Hw::Lock) {
            // Set by a 1, kept by a 0: only a new model (the core's reset) clears it.
            if f.get(w) != 0 || f.get(old) != 0 {
                new = f.insert(new, 1);
            }
        }
        self.values[r.addr as usize] = new;
        for f in r.fields.iter().filter(|f| f.access == crate::Access::W1P) {
            if f.get(w) != 0 {
                self.pulses.push(Pulse { register: r.name, field: f.name });
            }
        }
        if r.name == "CTRL" {
            let ctrl = reg("CTRL");
            if ctrl.f("cnt_snapshot").get(w) != 0 {
                for (i, v) in self.live.iter().enumerate() {
                    self.values[COUNTER_FIRST as usize + i] = *v;
                }
            }
            if ctrl.f("cnt_clear").get(w) != 0 {
                self.live = [0; NCOUNTERS];
            }
        }
    }

    /// CTRL.lock is set: configuration writes are refused (0x05) until the core's reset.
    pub fn locked(&self) -> bool {
        let ctrl = reg("CTRL");
        ctrl.f("lock").get(self.values[ctrl.addr as usize]) != 0
    }

    /// The value a host read of `addr` returns now, or `None` for an address with no register.
    pub fn read(&self, addr: u16) -> Option<u32> {
        by_addr(addr).map(|r| self.values[r.addr as usize])
    }

    /// The value a host read of register `name` returns now.
    ///
    /// # Panics
    /// On an unknown register name.
    pub fn get(&self, name: &str) -> u32 {
        self.values[reg(name).addr as usize]
    }

    /// Core side: sets the readable value of a register (any access), e.g. STATUS, CAP_*,
    /// BIST_STATUS, or CTRL.mode after a fail-over. Bits outside the register's fields are
    /// dropped, as the hardware has no flops for them.
    ///
    /// # Panics
    /// On an unknown register name.
    pub fn poke(&mut self, name: &str, value: u32) {
        let r = reg(name);
        self.values[r.addr as usize] = value & r.defined_mask() & !r.pulse_mask();
    }

    /// Core side: sets a live counter (not visible until the next CTRL.cnt_snapshot).
    /// Values are truncated to the build's counter width.
    ///
    /// # Panics
    /// If `name` is not a counter.
    pub fn set_counter(&mut self, name: &str, value: u32) {
        let r = reg(name);
        assert!(r.is_counter(), "{name} is not a counter");
        self.live[(r.addr - COUNTER_FIRST) as usize] = value & self.params.counter_mask();
    }

    /// Core side: the live value of a counter.
    pub fn counter(&self, name: &str) -> u32 {
        let r = reg(name);
        assert!(r.is_counter(), "{name} is not a counter");
        self.live[(r.addr - COUNTER_FIRST) as usize]
    }

    /// The W1P actions fired since the last call, oldest first.
    pub fn take_pulses(&mut self) -> Vec<Pulse> {
        std::mem::take(&mut self.pulses)
    }
}

/// A value the register does not define: CTRL with a reserved mode (5 or 6). The core
/// refuses the whole write frame (status 0x03) rather than enter a mode it has no meaning for.
pub fn refused_value(r: &Register, w: u32) -> bool {
    r.fields.iter().any(|f| matches!(f.hw, crate::regs::Hw::Command { refused } if refused.contains(&f.get(w))))
}

/// The status a write of `word` to `r` is refused with, if any, when the register holds
/// `stored` now and CTRL.lock is `locked`: 0x03 for a value the register does not define,
/// 0x06 for a register whose block the build leaves out, 0x05 for a write the lock refuses
/// ([`Register::lock_refuses`]; in that order for one address). The gateware's register file
/// answers the same (`write_refusal`), and `ftctl` checks with it before it sends a write.
pub fn write_refusal(r: &Register, word: u32, stored: u32, locked: bool, params: &BuildParams) -> Option<Status> {
    if refused_value(r, word) {
        Some(Status::BadAddress)
    } else if !params.builds(r.part) {
        Some(Status::NotBuilt)
    } else if locked && r.lock_refuses(word, stored, params) {
        Some(Status::Locked)
    } else {
        None
    }
}

impl Default for RegisterModel {
    fn default() -> Self {
        RegisterModel::new(BuildParams::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{crc16, Request, Response, CMD_READ, CMD_WRITE};
    use crate::regs::{ID_VALUE, VERSION_VALUE};

    fn roundtrip(m: &mut RegisterModel, req: &Request) -> Response {
        let out = m.feed(&req.encode());
        let (resp, used) = Response::decode(&out, req.cmd).expect("one valid response");
        assert_eq!(used, out.len(), "exactly one response");
        resp
    }

    fn ok_read(data: Vec<u32>) -> Response {
        Response { status: Status::Ok, count: data.len() as u8, data }
    }

    #[test]
    fn power_on_values() {
        let mut m = RegisterModel::default();
        let r = roundtrip(&mut m, &Request::read(0, 6));
        assert_eq!(r, ok_read(vec![ID_VALUE, VERSION_VALUE, 0, 100_000_000, 115_200, 6 | (9 << 8) | (32 << 16) | (4 << 24) | (1 << 28) | (1 << 29) | (1 << 31)]));
        assert_eq!(m.get("TIMEOUT"), 256);
        assert_eq!(m.get("DISK_TIMEOUT"), 4096);
        assert_eq!(m.get("BIST_FRAMES"), 16);
        assert_eq!(m.get("BIST_LEN"), 8);
        assert_eq!(m.get("BIST_SEED"), 1);
        assert_eq!(m.get("CTRL"), 0);
    }

    #[test]
    fn scratch_read_write() {
        let mut m = RegisterModel::default();
        assert_eq!(roundtrip(&mut m, &Request::write(2, &[0x1234_5678])), Response { status: Status::Ok, count: 1, data: vec![] });
        assert_eq!(roundtrip(&mut m, &Request::read(2, 1)), ok_read(vec![0x1234_5678]));
    }

    #[test]
    fn write_to_read_only_is_rejected_and_writes_nothing() {
        let mut m = RegisterModel::default();
        for addr in [0u16, 1, 3, 12, 24] {
            assert_eq!(roundtrip(&mut m, &Request::write(addr, &[0xFFFF_FFFF])), Response::error(Status::BadAddress));
        }
        assert_eq!(m.get("ID"), ID_VALUE);
        // Multi-write SCRATCH, CLOCK_HZ: CLOCK_HZ is RO, so SCRATCH must stay untouched too.
        assert_eq!(roundtrip(&mut m, &Request::write(2, &[7, 8])), Response::error(Status::BadAddress));
        assert_eq!(m.get("SCRATCH"), 0);
        // A range running into a hole (CTRL..OFFSET.. STATUS ok, 15 missing).
        assert_eq!(roundtrip(&mut m, &Request::read(12, 4)), Response::error(Status::BadAddress));
        assert_eq!(roundtrip(&mut m, &Request::read(12, 3)).status, Status::Ok);
        // Writing 9..=12 hits STATUS (RO): nothing written.
        assert_eq!(roundtrip(&mut m, &Request::write(9, &[1, 2, 3, 4])), Response::error(Status::BadAddress));
        assert_eq!(m.get("OFFSET"), 0);
        assert_eq!(m.get("TIMEOUT"), 256);
        // Hole at 6, and far beyond the table, and no wrap at 0xFFFF.
        assert_eq!(roundtrip(&mut m, &Request::read(6, 1)), Response::error(Status::BadAddress));
        assert_eq!(roundtrip(&mut m, &Request::read(0xFFFF, 2)), Response::error(Status::BadAddress));
        assert_eq!(m.frames_executed(), 1);
    }

    #[test]
    fn multi_register_write_and_read() {
        let mut m = RegisterModel::default();
        let r = roundtrip(&mut m, &Request::write(9, &[5, 1000, 70000]));
        assert_eq!(r, Response { status: Status::Ok, count: 3, data: vec![] });
        assert_eq!(roundtrip(&mut m, &Request::read(8, 4)), ok_read(vec![0, 5, 1000, 70000]));
    }

    #[test]
    fn check_order_crc_command_count_address() {
        let mut m = RegisterModel::default();
        // Bad CRC on a frame that is also an unknown command with a bad count: 0x01.
        let mut b = Request { cmd: 0x7F, addr: 0x999, count: 0, data: vec![] }.encode();
        b[6] ^= 0xFF;
        assert_eq!(m.feed(&b), Response::error(Status::BadCrc).encode());
        // Unknown command with a bad count and bad address: 0x02.
        let b = Request { cmd: 0x7F, addr: 0x999, count: 0, data: vec![] }.encode();
        assert_eq!(m.feed(&b), Response::error(Status::UnknownCmd).encode());
        // Bad count and bad address: 0x04.
        assert_eq!(roundtrip(&mut m, &Request::read(0x999, 0)), Response::error(Status::BadCount));
        assert_eq!(roundtrip(&mut m, &Request::read(0x999, 17)), Response::error(Status::BadCount));
        // Bad address alone: 0x03.
        assert_eq!(roundtrip(&mut m, &Request::read(0x999, 1)), Response::error(Status::BadAddress));
        // count 16 is fine where 16 consecutive registers exist? None do (holes), so 0x03.
        assert_eq!(roundtrip(&mut m, &Request::read(24, 13)).status, Status::Ok);
        assert_eq!(roundtrip(&mut m, &Request::read(24, 16)), Response::error(Status::BadAddress));
    }

    #[test]
    fn bad_crc_never_executes() {
        let mut m = RegisterModel::default();
        let mut b = Request::write(2, &[0xAAAA_5555]).encode();
        let n = b.len();
        b[n - 1] ^= 1;
        assert_eq!(m.feed(&b), Response::error(Status::BadCrc).encode());
        assert_eq!(m.get("SCRATCH"), 0);
        // Corrupt a data byte instead.
        let mut b = Request::write(8, &[1 << 8]).encode();
        b[8] ^= 0x10;
        assert_eq!(m.feed(&b), Response::error(Status::BadCrc).encode());
        assert!(m.take_pulses().is_empty());
    }

    #[test]
    fn write_with_bad_count_is_framed_by_its_count() {
        let mut m = RegisterModel::default();
        // count 17: 68 data bytes, then CRC, then a valid read must still be parsed.
        let bad = Request { cmd: CMD_WRITE, addr: 2, count: 17, data: vec![0xA5A5_A5A5; 17] };
        let mut bytes = bad.encode();
        bytes.extend(Request::read(2, 1).encode());
        let out = m.feed(&bytes);
        let mut expected = Response::error(Status::BadCount).encode();
        expected.extend(ok_read(vec![0]).encode());
        assert_eq!(out, expected);
        // count 0 write: no data bytes.
        assert_eq!(roundtrip(&mut m, &Request { cmd: CMD_WRITE, addr: 2, count: 0, data: vec![] }), Response::error(Status::BadCount));
    }

    #[test]
    fn unknown_command_has_no_data_field() {
        let mut m = RegisterModel::default();
        let mut bytes = vec![0xA5, 0x03, 0x00, 0x02, 0x01];
        let c = crc16(&bytes[1..]);
        bytes.extend_from_slice(&c.to_be_bytes());
        bytes.extend(Request::read(0, 1).encode());
        let mut expected = Response::error(Status::UnknownCmd).encode();
        expected.extend(ok_read(vec![ID_VALUE]).encode());
        assert_eq!(m.feed(&bytes), expected);
    }

    #[test]
    fn hunts_for_sync_and_ignores_garbage() {
        let mut m = RegisterModel::default();
        let mut bytes = vec![0x00, 0xFF, 0x5A, 0x13];
        bytes.extend(Request::read(0, 1).encode());
        assert_eq!(m.feed(&bytes), ok_read(vec![ID_VALUE]).encode());
    }

    #[test]
    fn interbyte_timeout_drops_frame() {
        let mut m = RegisterModel::default();
        let req = Request::write(2, &[0x55]).encode();
        assert!(m.feed(&req[..6]).is_empty());
        m.idle(64);
        assert!(m.in_frame(), "64 bit times is not yet a timeout");
        m.idle(1);
        assert!(!m.in_frame());
        assert!(m.feed(&req[6..]).is_empty(), "rest of a dropped frame is ignored (no A5 in it)");
        assert_eq!(m.get("SCRATCH"), 0);
        // A gap of exactly 64 keeps the frame.
        let req = Request::write(2, &[0x66]).encode();
        m.feed(&req[..3]);
        m.idle(64);
        let out = m.feed(&req[3..]);
        assert_eq!(out, Response { status: Status::Ok, count: 1, data: vec![] }.encode());
        assert_eq!(m.get("SCRATCH"), 0x66);
    }

    /// SPEC §4: a mode value CTRL does not define is refused; nothing of the frame is written.
    #[test]
    fn reserved_mode_write_is_refused_and_writes_nothing() {
        let mut m = RegisterModel::default();
        roundtrip(&mut m, &Request::write(8, &[0x0000_0021]));
        m.take_pulses();
        for mode in [5u32, 6] {
            // SCRATCH would be fine, but the CTRL word in the same frame is not.
            let resp = roundtrip(&mut m, &Request::write(2, &[0x55]));
            assert_eq!(resp.status, Status::Ok);
            let resp = roundtrip(&mut m, &Request::write(8, &[mode | (1 << 8) | (1 << 6)]));
            assert_eq!(resp, Response::error(Status::BadAddress), "mode {mode}");
            assert_eq!(m.get("CTRL"), 0x21, "mode {mode}: nothing written");
            assert!(m.take_pulses().is_empty(), "mode {mode}: fault_clear not fired");
        }
        // 4 (HALTED) and 7 (MODE_KEEP) are defined.
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[4])).status, Status::Ok);
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[7])).status, Status::Ok);
    }

    /// CTRL.lock: every wholly locked register refuses any write with 0x05 (its present value
    /// included), each of CTRL's lockable fields refuses a change, and the frame writes
    /// nothing; fault acknowledgement, the counters' commands, primary, the disk commands and
    /// SCRATCH stay allowed; only a reset unlocks.
    #[test]
    fn the_lock_refuses_every_locked_write_and_nothing_else() {
        let mut m = RegisterModel::default();
        let ctrl = reg("CTRL");
        let lock = ctrl.f("lock").mask();
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[0x38 | 7])).status, Status::Ok);
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[0x38 | 7 | lock])).status, Status::Ok);
        assert!(m.locked());
        assert_eq!(m.get("CTRL"), 0x38 | lock);
        let before: Vec<u32> = REGISTERS.iter().map(|r| m.get(r.name)).collect();
        let mut refused = 0;
        for r in REGISTERS.iter().filter(|r| r.is_writable()) {
            let now = m.get(r.name);
            if r.wholly_locked() {
                // Its present value, and a change: both refused.
                for w in [now, now ^ 1] {
                    assert_eq!(roundtrip(&mut m, &Request::write(r.addr, &[w])), Response::error(Status::Locked), "{} <- {w:#x}", r.name);
                }
                refused += 1;
                continue;
            }
            for f in r.fields.iter().filter(|f| f.lockable) {
                // The field changed, every other field written as it reads (mode: keep).
                let mut w = now;
                for o in r.fields.iter().filter(|o| matches!(o.hw, Hw::Command { .. })) {
                    w = o.insert(w, o.max());
                }
                w = match f.hw {
                    Hw::Command { .. } => f.insert(w, 0),
                    Hw::Pulse => f.insert(w, 1),
                    _ => f.insert(w, f.get(now) ^ 1),
                };
                let resp = roundtrip(&mut m, &Request::write(r.addr, &[w]));
                assert_eq!(resp, Response::error(Status::Locked), "{}.{}", r.name, f.name);
                refused += 1;
            }
        }
        let wholly = REGISTERS.iter().filter(|r| r.wholly_locked()).count();
        assert_eq!(wholly, 10, "OFFSET, TIMEOUT, DISK_TIMEOUT, INJ_CTRL, INJ_COUNT, BIST_CTRL/FRAMES/LEN/SKEW/SEED");
        assert_eq!(refused, wholly + 5, "and CTRL's mode, lockstep, commit, policy, read_verify");
        // An allowed acknowledgement of CTRL, then OFFSET, in one frame: all refused, nothing fired.
        let resp = roundtrip(&mut m, &Request::write(8, &[0x38 | 7 | (1 << 8), 0]));
        assert_eq!(resp, Response::error(Status::Locked), "CTRL then OFFSET");
        let resp = roundtrip(&mut m, &Request::write(9, &[0, 256, 4096]));
        assert_eq!(resp, Response::error(Status::Locked), "OFFSET's value as it is: still refused");
        assert!(m.take_pulses().is_empty());
        let after: Vec<u32> = REGISTERS.iter().map(|r| m.get(r.name)).collect();
        assert_eq!(before, after, "nothing written");
        // Still allowed: acknowledgement and counters, primary, the disk commands, SCRATCH;
        // a 0 written to the lock leaves it set.
        let ack = 0x38 | 7 | 0x80 | (0x7F << 8);
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[ack])).status, Status::Ok);
        let names: Vec<_> = m.take_pulses().iter().map(|p| p.field).collect();
        assert_eq!(names, vec!["fault_clear", "cnt_snapshot", "cnt_clear", "readmit_a", "readmit_b", "rebuilt_a", "rebuilt_b"]);
        assert_eq!(m.get("CTRL"), 0x38 | 0x80 | lock, "primary changed, still locked");
        assert_eq!(roundtrip(&mut m, &Request::write(2, &[0xABCD])).status, Status::Ok);
        // Reserved mode while locked: 0x03 comes first.
        assert_eq!(roundtrip(&mut m, &Request::write(8, &[5])).status, Status::BadAddress);
        assert!(RegisterModel::default().get("CTRL") & lock == 0, "reset unlocks");
    }

    /// A build without injection or BIST: their registers read their reset values and a
    /// write of one is refused with 0x06 (nothing in the frame written), locked or not.
    #[test]
    fn registers_of_a_block_not_built_refuse_writes() {
        let params = BuildParams { injection: false, bist: false, ..BuildParams::default() };
        let mut m = RegisterModel::new(params);
        let parts = [crate::Part::Injection, crate::Part::Bist];
        for r in REGISTERS.iter().filter(|r| parts.contains(&r.part)) {
            assert_eq!(roundtrip(&mut m, &Request::read(r.addr, 1)).data, vec![r.reset_value(&params)], "{}", r.name);
            if r.is_writable() {
                assert_eq!(roundtrip(&mut m, &Request::write(r.addr, &[0])), Response::error(Status::NotBuilt), "{}", r.name);
            }
        }
        assert!(m.take_pulses().is_empty());
        let only_bist = BuildParams { injection: true, bist: false, ..BuildParams::default() };
        let mut m = RegisterModel::new(only_bist);
        assert_eq!(roundtrip(&mut m, &Request::write(40, &[0x15])).status, Status::Ok);
        assert_eq!(roundtrip(&mut m, &Request::write(48, &[1])).status, Status::NotBuilt);
    }

    #[test]
    fn stored_bits_and_pulses() {
        let mut m = RegisterModel::default();
        // Write all ones but the lock to CTRL: RW fields stored (mode 7 keeps the mode), W1P
        // read 0, undefined bits read 0.
        roundtrip(&mut m, &Request::write(8, &[0xFFFF_7FFF]));
        assert_eq!(m.get("CTRL"), 0xF8);
        roundtrip(&mut m, &Request::write(8, &[0x0000_0003]));
        assert_eq!(m.get("CTRL"), 0x03);
        m.poke("CTRL", 0x01); // the core fails over to SIMPLEX_A
        roundtrip(&mut m, &Request::write(8, &[0x0000_0007 | (1 << 5)]));
        assert_eq!(m.get("CTRL"), 0x21, "MODE_KEEP does not undo the fail-over");
        let pulses = m.take_pulses();
        let names: Vec<_> = pulses.iter().map(|p| p.field).collect();
        assert_eq!(names, vec!["fault_clear", "cnt_snapshot", "cnt_clear", "readmit_a", "readmit_b", "rebuilt_a", "rebuilt_b"]);
        assert!(m.take_pulses().is_empty());
        roundtrip(&mut m, &Request::write(48, &[1]));
        assert_eq!(m.take_pulses(), vec![Pulse { register: "BIST_CTRL", field: "start" }]);
        assert_eq!(m.get("BIST_CTRL"), 0);
        roundtrip(&mut m, &Request::write(9, &[0xFFFF_FFFF]));
        assert_eq!(m.get("OFFSET"), 0xFFFF);
        roundtrip(&mut m, &Request::write(40, &[0xFFFF_FFFF]));
        assert_eq!(m.get("INJ_CTRL"), 0x8000_01FF);
    }

    #[test]
    fn counter_snapshot_and_clear() {
        let mut m = RegisterModel::default();
        m.set_counter("WORDS_FWD", 100);
        m.set_counter("CYCLES", 5000);
        assert_eq!(roundtrip(&mut m, &Request::read(24, 1)), ok_read(vec![0]), "not visible before a snapshot");
        let ctrl = reg("CTRL");
        let snap = ctrl.f("cnt_snapshot").insert(0, 1);
        let clear = ctrl.f("cnt_clear").insert(0, 1);
        roundtrip(&mut m, &Request::write(8, &[snap]));
        assert_eq!(m.get("WORDS_FWD"), 100);
        assert_eq!(m.get("CYCLES"), 5000);
        m.set_counter("WORDS_FWD", 150);
        // Snapshot and clear together: snapshot takes the values before the clear.
        roundtrip(&mut m, &Request::write(8, &[snap | clear]));
        assert_eq!(m.get("WORDS_FWD"), 150);
        assert_eq!(m.counter("WORDS_FWD"), 0);
        // Clear alone leaves the snapshot.
        m.set_counter("WORDS_FWD", 9);
        roundtrip(&mut m, &Request::write(8, &[clear]));
        assert_eq!(m.get("WORDS_FWD"), 150);
        roundtrip(&mut m, &Request::write(8, &[snap]));
        assert_eq!(m.get("WORDS_FWD"), 0);
        // Counter width truncation.
        let mut m = RegisterModel::new(BuildParams { counter_width: 8, ..Default::default() });
        m.set_counter("MISMATCHES", 0x1FF);
        assert_eq!(m.counter("MISMATCHES"), 0xFF);
    }

    #[test]
    fn poke_keeps_defined_bits() {
        let mut m = RegisterModel::default();
        m.poke("STATUS", 0xFFFF_FFFF);
        assert_eq!(m.get("STATUS"), 0xF_FFFF);
        m.poke("CTRL", 0xFFFF);
        assert_eq!(m.get("CTRL"), 0x80FF, "the pulse bits read 0, the lock 1");
    }

    #[test]
    fn every_count_and_start_address() {
        // Exhaustive over the address map: the model answers reads exactly when all addresses
        // exist, and the data is each register's value.
        let mut m = RegisterModel::default();
        for addr in 0..64u16 {
            for count in 1..=16u8 {
                let all = (addr..addr + count as u16).all(|a| by_addr(a).is_some());
                let r = roundtrip(&mut m, &Request::read(addr, count));
                if all {
                    let want: Vec<u32> = (addr..addr + count as u16).map(|a| m.read(a).unwrap()).collect();
                    assert_eq!(r, ok_read(want));
                } else {
                    assert_eq!(r, Response::error(Status::BadAddress), "addr {addr} count {count}");
                }
            }
        }
        let _ = CMD_READ;
    }
}
