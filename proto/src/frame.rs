//! UART frame codec (SPEC §5).
//!
//! Request:  `A5 | cmd | addr(2) | count | data(4×count, writes only) | crc(2)`
//! Response: `5A | status | count | data(4×count, good reads only) | crc(2)`
//!
//! Multi-byte fields are big-endian. The CRC is CRC-16/IBM-3740 over every byte after the sync
//! byte, sent high byte first.

/// Sync byte that starts a request.
pub const REQ_SYNC: u8 = 0xA5;
/// Sync byte that starts a response.
pub const RESP_SYNC: u8 = 0x5A;
/// Command: read `count` consecutive registers.
pub const CMD_READ: u8 = 0x01;
/// Command: write `count` consecutive registers.
pub const CMD_WRITE: u8 = 0x02;
/// Largest `count` in one frame.
pub const MAX_COUNT: u8 = 16;
/// A frame whose bytes stop arriving for more than this many bit times is dropped.
pub const INTERBYTE_TIMEOUT_BITS: u32 = 64;

/// CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF, no reflection, xorout 0).
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc, &b| crc16_update(crc, b))
}

/// Feeds one byte into a running CRC-16/IBM-3740 (start from 0xFFFF).
pub const fn crc16_update(mut crc: u16, byte: u8) -> u16 {
    crc ^= (byte as u16) << 8;
    let mut i = 0;
    while i < 8 {
        crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        i += 1;
    }
    crc
}

/// Response status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0x00: executed.
    Ok = 0,
    /// 0x01: the request's CRC was wrong; nothing was executed.
    BadCrc = 1,
    /// 0x02: unknown command.
    UnknownCmd = 2,
    /// 0x03: an address in the range does not exist, or (write) is not writable; nothing written.
    BadAddress = 3,
    /// 0x04: count outside 1..=16.
    BadCount = 4,
    /// 0x05: the configuration is locked (CTRL.lock): a write of a wholly locked register, or
    /// one of CTRL that would change a locked field; nothing written.
    Locked = 5,
    /// 0x06: a register of a block this build leaves out (PARAMS.injection, PARAMS.bist);
    /// nothing written.
    NotBuilt = 6,
}

impl Status {
    /// The status with this code.
    pub fn from_code(code: u8) -> Option<Status> {
        Some(match code {
            0 => Status::Ok,
            1 => Status::BadCrc,
            2 => Status::UnknownCmd,
            3 => Status::BadAddress,
            4 => Status::BadCount,
            5 => Status::Locked,
            6 => Status::NotBuilt,
            _ => return None,
        })
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// What the status means, for error messages.
    pub const fn description(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::BadCrc => "the core saw a bad CRC in the request",
            Status::UnknownCmd => "unknown command",
            Status::BadAddress => "bad address or register not writable (nothing written)",
            Status::BadCount => "bad count (must be 1..=16)",
            Status::Locked => "the configuration is locked (CTRL.lock, set since the core's last reset): the register is locked, or the write would change a locked field of CTRL; nothing written",
            Status::NotBuilt => "this build leaves that block out (PARAMS.injection / PARAMS.bist is 0): nothing written",
        }
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "0x{:02X} ({})", self.code(), self.description())
    }
}

/// A request frame. `cmd` is the raw byte so malformed frames can be built for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Command byte (CMD_READ, CMD_WRITE, or anything else).
    pub cmd: u8,
    /// First register index.
    pub addr: u16,
    /// Number of registers.
    pub count: u8,
    /// Write data (only encoded for CMD_WRITE; should hold `count` words).
    pub data: Vec<u32>,
}

/// Why bytes could not be decoded as a frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the frame needs; `need` is the total frame length known so far.
    #[error("incomplete frame (need {need} bytes)")]
    Incomplete { need: usize },
    /// The first byte is not the expected sync byte.
    #[error("bad sync byte 0x{0:02X}")]
    BadSync(u8),
    /// The CRC does not match.
    #[error("bad CRC: frame says 0x{got:04X}, bytes give 0x{expected:04X}")]
    BadCrc { got: u16, expected: u16 },
    /// The status byte is not a known status.
    #[error("unknown status byte 0x{0:02X}")]
    BadStatus(u8),
    /// An error response with a non-zero count, or a good response whose count does not fit.
    #[error("count {0} does not fit the response")]
    BadCount(u8),
}

fn push_crc(out: &mut Vec<u8>) {
    let crc = crc16(&out[1..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn check_crc(frame: &[u8]) -> Result<(), FrameError> {
    let n = frame.len();
    let got = u16::from_be_bytes([frame[n - 2], frame[n - 1]]);
    let expected = crc16(&frame[1..n - 2]);
    if got == expected {
        Ok(())
    } else {
        Err(FrameError::BadCrc { got, expected })
    }
}

impl Request {
    /// Read `count` registers from `addr`.
    pub fn read(addr: u16, count: u8) -> Request {
        Request { cmd: CMD_READ, addr, count, data: Vec::new() }
    }

    /// Write `data` to consecutive registers from `addr`.
    pub fn write(addr: u16, data: &[u32]) -> Request {
        Request { cmd: CMD_WRITE, addr, count: data.len() as u8, data: data.to_vec() }
    }

    /// Number of data bytes the frame carries: `4×count` for writes (whatever the count, so a
    /// write with a bad count is still framed by its count byte), none for any other command.
    pub fn data_len(cmd: u8, count: u8) -> usize {
        if cmd == CMD_WRITE {
            4 * count as usize
        } else {
            0
        }
    }

    /// Total frame length in bytes.
    pub fn frame_len(cmd: u8, count: u8) -> usize {
        5 + Self::data_len(cmd, count) + 2
    }

    /// The frame bytes. For CMD_WRITE the data words are encoded as given (tests may send a
    /// count that disagrees with the data); other commands carry no data.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![REQ_SYNC, self.cmd];
        out.extend_from_slice(&self.addr.to_be_bytes());
        out.push(self.count);
        if self.cmd == CMD_WRITE {
            for w in &self.data {
                out.extend_from_slice(&w.to_be_bytes());
            }
        }
        push_crc(&mut out);
        out
    }

    /// Decodes one request from the start of `bytes`; returns it and the bytes used.
    pub fn decode(bytes: &[u8]) -> Result<(Request, usize), FrameError> {
        if bytes.is_empty() {
            return Err(FrameError::Incomplete { need: 5 });
        }
        if bytes[0] != REQ_SYNC {
            return Err(FrameError::BadSync(bytes[0]));
        }
        if bytes.len() < 5 {
            return Err(FrameError::Incomplete { need: 5 });
        }
        let (cmd, count) = (bytes[1], bytes[4]);
        let len = Self::frame_len(cmd, count);
        if bytes.len() < len {
            return Err(FrameError::Incomplete { need: len });
        }
        check_crc(&bytes[..len])?;
        let data = bytes[5..len - 2]
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let addr = u16::from_be_bytes([bytes[2], bytes[3]]);
        Ok((Request { cmd, addr, count, data }, len))
    }
}

/// A response frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status.
    pub status: Status,
    /// Echoed count for a good request, 0 for an error.
    pub count: u8,
    /// Read data (good reads only).
    pub data: Vec<u32>,
}

impl Response {
    /// An error response (count 0, no data).
    pub fn error(status: Status) -> Response {
        Response { status, count: 0, data: Vec::new() }
    }

    /// The frame bytes (data encoded as given).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![RESP_SYNC, self.status.code(), self.count];
        for w in &self.data {
            out.extend_from_slice(&w.to_be_bytes());
        }
        push_crc(&mut out);
        out
    }

    /// Decodes one response to a request with command `cmd` from the start of `bytes`.
    /// Only a good response to a read carries data, so the length depends on the request.
    pub fn decode(bytes: &[u8], cmd: u8) -> Result<(Response, usize), FrameError> {
        if bytes.is_empty() {
            return Err(FrameError::Incomplete { need: 3 });
        }
        if bytes[0] != RESP_SYNC {
            return Err(FrameError::BadSync(bytes[0]));
        }
        if bytes.len() < 3 {
            return Err(FrameError::Incomplete { need: 3 });
        }
        let (status_byte, count) = (bytes[1], bytes[2]);
        // The header is checked before waiting for the rest, so a stray 5A followed by an
        // impossible header is rejected at once instead of stalling the stream.
        let status = Status::from_code(status_byte).ok_or(FrameError::BadStatus(status_byte))?;
        if (status != Status::Ok && count != 0) || count > MAX_COUNT {
            return Err(FrameError::BadCount(count));
        }
        let has_data = status == Status::Ok && cmd == CMD_READ;
        let len = 3 + if has_data { 4 * count as usize } else { 0 } + 2;
        if bytes.len() < len {
            return Err(FrameError::Incomplete { need: len });
        }
        check_crc(&bytes[..len])?;
        let data = bytes[3..len - 2]
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((Response { status, count, data }, len))
    }
}

/// What the incremental response decoder found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeEvent {
    /// A well-formed response.
    Frame(Response),
    /// Bytes before a sync byte that belong to no frame (count of bytes skipped).
    Garbage(usize),
    /// A frame starting at a sync byte was malformed; the decoder skipped its sync byte and
    /// hunts for the next `5A`.
    Error(FrameError),
}

/// Incremental decoder of a response byte stream: feed bytes as they arrive, get frames.
///
/// The expected frame layout depends on the request (a good read carries data, a good write
/// does not), so the decoder is told the command it is waiting on. Anything malformed is
/// reported and the decoder resynchronises on the next `5A` after the bad frame's sync byte.
#[derive(Clone, Debug)]
pub struct ResponseDecoder {
    cmd: u8,
    buf: Vec<u8>,
}

impl ResponseDecoder {
    /// A decoder for responses to requests with command `cmd`.
    pub fn new(cmd: u8) -> ResponseDecoder {
        ResponseDecoder { cmd, buf: Vec::new() }
    }

    /// Changes the command whose responses are expected (keeps buffered bytes).
    pub fn expect(&mut self, cmd: u8) {
        self.cmd = cmd;
    }

    /// Drops any buffered bytes (e.g. after a timeout).
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// Bytes buffered towards an incomplete frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Feeds bytes; returns what they completed, in stream order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<DecodeEvent> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        loop {
            match self.buf.iter().position(|&b| b == RESP_SYNC) {
                None => {
                    if !self.buf.is_empty() {
                        events.push(DecodeEvent::Garbage(self.buf.len()));
                        self.buf.clear();
                    }
                    break;
                }
                Some(0) => {}
                Some(n) => {
                    events.push(DecodeEvent::Garbage(n));
                    self.buf.drain(..n);
                }
            }
            match Response::decode(&self.buf, self.cmd) {
                Ok((resp, used)) => {
                    self.buf.drain(..used);
                    events.push(DecodeEvent::Frame(resp));
                }
                Err(FrameError::Incomplete { .. }) => break,
                Err(e) => {
                    self.buf.drain(..1);
                    events.push(DecodeEvent::Error(e));
                }
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn request_layout() {
        let r = Request::write(0x0102, &[0xDEADBEEF]);
        let b = r.encode();
        assert_eq!(&b[..9], &[0xA5, 0x02, 0x01, 0x02, 0x01, 0xDE, 0xAD, 0xBE, 0xEF]);
        let crc = crc16(&b[1..9]);
        assert_eq!(&b[9..], &crc.to_be_bytes());
        assert_eq!(Request::decode(&b), Ok((r, 11)));
        let rd = Request::read(8, 3);
        let b = rd.encode();
        assert_eq!(b.len(), 7);
        assert_eq!(Request::decode(&b), Ok((rd, 7)));
    }

    #[test]
    fn request_decode_errors() {
        let mut b = Request::read(2, 1).encode();
        assert_eq!(Request::decode(&b[..4]), Err(FrameError::Incomplete { need: 5 }));
        b[6] ^= 1;
        assert!(matches!(Request::decode(&b), Err(FrameError::BadCrc { .. })));
        assert_eq!(Request::decode(&[0x00]), Err(FrameError::BadSync(0)));
        // A write with count 20 is framed by its count: 80 data bytes.
        let w = Request { cmd: CMD_WRITE, addr: 2, count: 20, data: vec![7; 20] };
        let b = w.encode();
        assert_eq!(b.len(), 5 + 80 + 2);
        assert_eq!(Request::decode(&b).unwrap().1, 87);
        // An unknown command has no data field even if count is non-zero.
        let u = Request { cmd: 0x33, addr: 2, count: 4, data: vec![1, 2, 3, 4] };
        assert_eq!(u.encode().len(), 7);
    }

    #[test]
    fn response_round_trip() {
        let r = Response { status: Status::Ok, count: 2, data: vec![1, 0xFFFF_FFFF] };
        let b = r.encode();
        assert_eq!(&b[..3], &[0x5A, 0x00, 0x02]);
        assert_eq!(Response::decode(&b, CMD_READ), Ok((r, 13)));
        let w = Response { status: Status::Ok, count: 2, data: vec![] };
        assert_eq!(Response::decode(&w.encode(), CMD_WRITE), Ok((w, 5)));
        let e = Response::error(Status::BadAddress);
        assert_eq!(e.encode().len(), 5);
        assert_eq!(Response::decode(&e.encode(), CMD_READ), Ok((e, 5)));
    }

    #[test]
    fn response_decode_errors() {
        let bad_status = {
            let mut b = vec![0x5A, 0x09, 0x00];
            let c = crc16(&b[1..]);
            b.extend_from_slice(&c.to_be_bytes());
            b
        };
        assert_eq!(Response::decode(&bad_status, CMD_READ), Err(FrameError::BadStatus(9)));
        let err_with_count = Response { status: Status::BadCrc, count: 1, data: vec![] }.encode();
        assert_eq!(Response::decode(&err_with_count, CMD_WRITE), Err(FrameError::BadCount(1)));
    }

    #[test]
    fn decoder_splits_and_resyncs() {
        let good = Response { status: Status::Ok, count: 1, data: vec![0x5A5A5A5A] }.encode();
        let mut stream = vec![0x00, 0x13];
        let mut corrupt = good.clone();
        corrupt[4] ^= 0x01;
        stream.extend_from_slice(&corrupt);
        stream.extend_from_slice(&good);
        let mut d = ResponseDecoder::new(CMD_READ);
        let mut events = Vec::new();
        for b in &stream {
            events.extend(d.feed(&[*b]));
        }
        assert_eq!(&events[..2], &[DecodeEvent::Garbage(1), DecodeEvent::Garbage(1)]);
        assert!(events.iter().any(|e| matches!(e, DecodeEvent::Error(FrameError::BadCrc { .. }))));
        assert_eq!(
            events.iter().filter(|e| matches!(e, DecodeEvent::Frame(_))).count(),
            1,
            "{events:?}"
        );
        assert_eq!(events.last(), Some(&DecodeEvent::Frame(Response { status: Status::Ok, count: 1, data: vec![0x5A5A5A5A] })));
        assert_eq!(d.pending(), 0);
        // Whole stream at once gives the same frames.
        let mut d2 = ResponseDecoder::new(CMD_READ);
        let all = d2.feed(&stream);
        assert_eq!(all.first(), Some(&DecodeEvent::Garbage(2)));
        let frames: Vec<_> = all.into_iter().filter(|e| matches!(e, DecodeEvent::Frame(_))).collect();
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn decoder_rejects_impossible_headers_at_once() {
        // A stray 5A whose next bytes claim 90 data words must not swallow the real frame.
        let good = Response { status: Status::Ok, count: 1, data: vec![7] }.encode();
        let mut stream = vec![0x5A, 0x00];
        stream.extend_from_slice(&good);
        let mut d = ResponseDecoder::new(CMD_READ);
        let ev = d.feed(&stream);
        assert_eq!(ev[0], DecodeEvent::Error(FrameError::BadCount(0x5A)));
        assert_eq!(ev.last(), Some(&DecodeEvent::Frame(Response { status: Status::Ok, count: 1, data: vec![7] })));
        assert_eq!(Response::decode(&[0x5A, 0x07], CMD_READ), Err(FrameError::Incomplete { need: 3 }));
        assert_eq!(Response::decode(&[0x5A, 0x07, 0x00], CMD_READ), Err(FrameError::BadStatus(7)));
    }

    #[test]
    fn decoder_waits_for_partial_frames() {
        let good = Response { status: Status::Ok, count: 3, data: vec![1, 2, 3] }.encode();
        let mut d = ResponseDecoder::new(CMD_READ);
        assert!(d.feed(&good[..10]).is_empty());
        assert_eq!(d.pending(), 10);
        let ev = d.feed(&good[10..]);
        assert_eq!(ev.len(), 1);
    }
}
