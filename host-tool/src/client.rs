//! Register access over a [`Transport`]: framing, timeouts and retries.
use crate::error::{BadReply, Error};
use crate::transport::Transport;
use ftio_proto::{
    by_addr, reg, BuildParams, DecodeEvent, Request, Response, ResponseDecoder, Status, CMD_READ, CMD_WRITE, ID_VALUE,
    MAX_COUNT, MODE_KEEP,
};
use std::time::{Duration, Instant};

/// Counts of what the link did, for tests and `--verbose` style reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Requests sent (including retries).
    pub sent: u64,
    /// Attempts that got no complete reply in time.
    pub timeouts: u64,
    /// Replies that were corrupted or malformed.
    pub corrupt: u64,
    /// Replies with status 0x01 (the core saw our request corrupted).
    pub core_saw_bad_crc: u64,
}

/// What the first registers say about the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreInfo {
    /// VERSION register.
    pub version: u32,
    /// CLOCK_HZ, BAUD, PARAMS decoded.
    pub params: BuildParams,
}

/// A client of one core.
pub struct Client<T: Transport> {
    transport: T,
    timeout: Duration,
    retries: u32,
    /// Link statistics.
    pub stats: LinkStats,
}

enum Attempt {
    Reply(Response),
    Timeout,
    Corrupt(BadReply),
}

impl<T: Transport> Client<T> {
    /// A client with a per-attempt reply timeout and a number of retries after the first attempt.
    pub fn new(transport: T, timeout: Duration, retries: u32) -> Client<T> {
        Client { transport, timeout, retries, stats: LinkStats::default() }
    }

    /// The transport (tests inspect the model through it).
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one request and returns the core's reply, retrying on timeouts, corrupted replies
    /// and status 0x01. Retrying a write is safe for stored fields; a W1P command bit may fire
    /// twice if only the reply was lost.
    pub fn transact(&mut self, req: &Request) -> Result<Response, Error> {
        let attempts = self.retries + 1;
        let mut last = Attempt::Timeout;
        for _ in 0..attempts {
            last = self.attempt(req)?;
            match &last {
                Attempt::Reply(r) if r.status == Status::BadCrc => self.stats.core_saw_bad_crc += 1,
                Attempt::Reply(_) => break,
                Attempt::Timeout => self.stats.timeouts += 1,
                Attempt::Corrupt(_) => self.stats.corrupt += 1,
            }
        }
        match last {
            Attempt::Reply(r) if r.status == Status::Ok => Ok(r),
            Attempt::Reply(r) if r.status == Status::BadCrc => Err(Error::Corrupt {
                attempts,
                last: BadReply::RequestCrc,
            }),
            Attempt::Reply(r) => Err(Error::Device { status: r.status, what: describe(req) }),
            Attempt::Timeout => Err(Error::Timeout {
                attempts,
                timeout_ms: self.timeout.as_millis() as u64,
                port: self.transport.describe(),
            }),
            Attempt::Corrupt(last) => Err(Error::Corrupt { attempts, last }),
        }
    }

    fn attempt(&mut self, req: &Request) -> Result<Attempt, Error> {
        self.transport.discard_input()?;
        let mut decoder = ResponseDecoder::new(req.cmd);
        self.transport.send(&req.encode())?;
        self.stats.sent += 1;
        let deadline = Instant::now() + self.timeout;
        let mut buf = [0u8; 256];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Attempt::Timeout);
            }
            let n = self.transport.recv(&mut buf, left)?;
            if n == 0 {
                return Ok(Attempt::Timeout);
            }
            let mut corrupt = None;
            for ev in decoder.feed(&buf[..n]) {
                match ev {
                    DecodeEvent::Frame(r) => {
                        if let Err(why) = check_shape(req, &r) {
                            corrupt = Some(why);
                            continue;
                        }
                        return Ok(Attempt::Reply(r));
                    }
                    DecodeEvent::Error(e) => corrupt = Some(BadReply::Frame(e)),
                    DecodeEvent::Garbage(_) => {}
                }
            }
            // A corrupted reply is complete when we see it (the CRC is its last field), so
            // retry at once unless more bytes are pending towards another frame.
            if let Some(why) = corrupt {
                if decoder.pending() == 0 {
                    return Ok(Attempt::Corrupt(why));
                }
            }
        }
    }

    /// Reads `count` consecutive registers from `addr`.
    pub fn read(&mut self, addr: u16, count: u8) -> Result<Vec<u32>, Error> {
        Ok(self.transact(&Request::read(addr, count))?.data)
    }

    /// Reads any number of consecutive registers (several frames of at most 16).
    pub fn read_many(&mut self, addr: u16, count: usize) -> Result<Vec<u32>, Error> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let n = (count - out.len()).min(MAX_COUNT as usize) as u8;
            out.extend(self.read(addr + out.len() as u16, n)?);
        }
        Ok(out)
    }

    /// Writes consecutive registers from `addr`.
    pub fn write(&mut self, addr: u16, data: &[u32]) -> Result<(), Error> {
        self.transact(&Request::write(addr, data)).map(|_| ())
    }

    /// Reads the register called `name`.
    pub fn read_reg(&mut self, name: &str) -> Result<u32, Error> {
        Ok(self.read(reg(name).addr, 1)?[0])
    }

    /// Writes the register called `name`.
    pub fn write_reg(&mut self, name: &str, value: u32) -> Result<(), Error> {
        self.write(reg(name).addr, &[value])
    }

    /// Reads ID..PARAMS; refuses anything that is not an ftio core.
    pub fn probe(&mut self) -> Result<CoreInfo, Error> {
        let v = self.read(reg("ID").addr, 6)?;
        if v[0] != ID_VALUE {
            return Err(Error::NotFtio(v[0]));
        }
        Ok(CoreInfo { version: v[1], params: BuildParams::from_registers(v[3], v[4], v[5]) })
    }

    /// Writes CTRL with the given command/field bits set, keeping every host-set field and
    /// writing MODE_KEEP so that a fail-over since our read is not undone. `set` holds
    /// (field, value) pairs to change besides.
    pub fn ctrl_update(&mut self, set: &[(&str, u32)]) -> Result<u32, Error> {
        let ctrl = reg("CTRL");
        let mut w = self.read_reg("CTRL")? & ctrl.store_mask();
        w = ctrl.f("mode").insert(w, MODE_KEEP);
        for (field, value) in set {
            w = ctrl.f(field).try_insert(w, *value).ok_or_else(|| {
                Error::Usage(format!("value {value} does not fit CTRL.{field}"))
            })?;
        }
        self.write_reg("CTRL", w)?;
        Ok(w)
    }
}

fn describe(req: &Request) -> String {
    let name = |a: u16| by_addr(a).map(|r| r.name.to_string()).unwrap_or_else(|| format!("address {a}"));
    let what = match req.cmd {
        CMD_READ => "read of",
        CMD_WRITE => "write to",
        _ => "command on",
    };
    if req.count <= 1 {
        format!("the {what} {}", name(req.addr))
    } else {
        format!("the {what} {} registers from {}", req.count, name(req.addr))
    }
}

fn check_shape(req: &Request, r: &Response) -> Result<(), BadReply> {
    if r.status != Status::Ok {
        return Ok(());
    }
    if r.count != req.count {
        return Err(BadReply::Count { got: r.count, want: req.count });
    }
    if req.cmd == CMD_READ && r.data.len() != req.count as usize {
        return Err(BadReply::Words { got: r.data.len(), want: req.count });
    }
    Ok(())
}
