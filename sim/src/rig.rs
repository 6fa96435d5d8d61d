//! A test rig around one simulated core: the models ([`System`]), a host on the UART that
//! reads and writes registers with SPEC §5 frames ([`RegHost`]), a cycle counter, and an
//! optional recorder of every port (for waveforms). `ftio demo` and `ftio campaign` run on it.
use crate::core_sim::CoreSim;
use crate::equivalence::Stimulus;
use crate::port::{Link, LinkSignal as S, Port};
use crate::scenario::{UartLine, UartReceiver};
use crate::system::System;
use crate::vcd::Sample;
use ftio_proto::{reg, Request, Response, Status, CMD_READ};
use std::collections::VecDeque;

/// A register transaction the host has queued.
#[derive(Clone, Debug)]
pub struct Txn {
    /// What it is for (shown in timelines).
    pub label: String,
    /// The request frame.
    pub req: Request,
}

/// A finished transaction.
#[derive(Clone, Debug)]
pub struct Answer {
    /// Its label.
    pub label: String,
    /// The request.
    pub req: Request,
    /// Cycle its first byte went out.
    pub sent_at: u64,
    /// Cycle its answer was complete (or given up on).
    pub cycle: u64,
    /// The data read (empty for writes), or why there is none.
    pub result: Result<Vec<u32>, AnswerError>,
}

/// Why a host request got no data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The core answered with an error status.
    #[error("the core answered status {0}")]
    Status(Status),
    /// The bytes that came back are not a response frame.
    #[error("bad response")]
    Frame(#[source] ftio_proto::FrameError),
    /// Nothing (complete) came back in time.
    #[error("no answer after {cycles} cycles ({bytes} bytes received)")]
    Timeout { cycles: u64, bytes: usize },
}

/// The host end of the core's UART: sends queued requests one at a time and decodes each
/// response (SPEC §5 frames, 8N1 at `divider` clock cycles per bit).
#[derive(Clone, Debug)]
pub struct RegHost {
    divider: u64,
    line: UartLine,
    rx: UartReceiver,
    queue: VecDeque<Txn>,
    current: Option<(Txn, u64, usize)>,
    /// Finished transactions, in order.
    pub answers: Vec<Answer>,
}

impl RegHost {
    /// A host at `divider` cycles per bit.
    pub fn new(divider: u64) -> Self {
        Self {
            divider,
            line: UartLine::idle(divider),
            rx: UartReceiver::new(divider),
            queue: VecDeque::new(),
            current: None,
            answers: vec![],
        }
    }

    /// Queues a read of `count` registers from register `name`.
    pub fn read(&mut self, label: &str, name: &str, count: u8) {
        self.queue.push_back(Txn { label: label.into(), req: Request::read(reg(name).addr, count) });
    }

    /// Queues a write of `value` to register `name`.
    pub fn write(&mut self, label: &str, name: &str, value: u32) {
        self.queue.push_back(Txn { label: label.into(), req: Request::write(reg(name).addr, &[value]) });
    }

    /// Nothing queued, nothing in flight.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.current.is_none() && self.line.is_idle()
    }

    /// Clock cycles of one byte on the line.
    pub fn byte_cycles(&self) -> u64 {
        10 * self.divider
    }

    /// The `uart_rx` level of cycle `cycle`.
    pub fn drive(&mut self, cycle: u64) -> bool {
        if self.current.is_none() && self.line.is_idle() {
            if let Some(t) = self.queue.pop_front() {
                self.line.send(&t.req.encode());
                self.current = Some((t, cycle, self.rx.bytes.len()));
            }
        }
        self.line.level()
    }

    /// Sees the core's `uart_tx` in cycle `cycle`.
    pub fn observe(&mut self, tx: bool, cycle: u64) {
        self.rx.observe(tx);
        let Some((t, sent_at, from)) = &self.current else { return };
        let got = &self.rx.bytes[*from..];
        let want = if t.req.cmd == CMD_READ { 5 + 4 * t.req.count as usize } else { 5 };
        let request_bytes = t.req.encode().len() as u64;
        let deadline = sent_at + (request_bytes + want as u64 + 64) * self.byte_cycles();
        let complete = got.len() >= 5 && (got[1] != Status::Ok.code() || got.len() >= want);
        if !complete && cycle < deadline {
            return;
        }
        let result = if complete {
            match Response::decode(got, t.req.cmd) {
                Ok((r, _)) if r.status == Status::Ok => Ok(r.data),
                Ok((r, _)) => Err(AnswerError::Status(r.status)),
                Err(e) => Err(AnswerError::Frame(e)),
            }
        } else {
            Err(AnswerError::Timeout { cycles: cycle - sent_at, bytes: got.len() })
        };
        let (t, sent_at, _) = self.current.take().expect("in flight");
        self.answers.push(Answer { label: t.label, req: t.req, sent_at, cycle, result });
    }
}

/// One simulated core with the models around it, a register host on its UART and an
/// optional recorder.
pub struct Rig {
    /// The simulator.
    pub sim: Box<dyn CoreSim>,
    /// The models.
    pub sys: System,
    /// The host on the UART.
    pub host: RegHost,
    /// Cycles run so far (the number of the next cycle).
    pub cycle: u64,
    /// The ports kept for a waveform.
    pub rec: Recorder,
}

/// What one cycle showed at a few pins the rigs watch.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pins {
    /// `irq`.
    pub irq: bool,
    /// A word moved on each link this cycle (`valid & ready`), in [`Link`] order.
    pub moved: [bool; 8],
    /// The word that moved on each link carried `abort`.
    pub abort: [bool; 8],
}

impl Pins {
    /// The pins of `sim` as they are now (after the clock went low and the logic settled).
    pub fn of(sim: &dyn CoreSim) -> Self {
        let mut pins = Pins { irq: sim.get_bit(Port::Irq), ..Pins::default() };
        for l in Link::all() {
            let moved = sim.get_bit(l.port(S::Valid)) && sim.get_bit(l.port(S::Ready));
            pins.moved[l.index()] = moved;
            pins.abort[l.index()] = moved && sim.get_bit(l.port(S::Abort));
        }
        pins
    }
}

/// Every port of a core, kept for a waveform: the last `ring` cycles, and every cycle while
/// a capture is open (the cycles before a fault, then the fault and what follows).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// Keep the last `ring` cycles of every port (0: record nothing).
    pub ring: usize,
    recent: VecDeque<Sample>,
    /// Cycles recorded in full while a capture is open.
    capture: Option<Vec<Sample>>,
}

impl Recorder {
    /// A recorder keeping the last `ring` cycles.
    pub fn new(ring: usize) -> Self {
        Self { ring, ..Self::default() }
    }

    /// Records cycle `c`'s port values (when a ring or a capture wants them).
    pub fn record(&mut self, c: u64, sim: &dyn CoreSim) {
        if self.ring == 0 && self.capture.is_none() {
            return;
        }
        let s = sim.sample();
        if let Some(cap) = self.capture.as_mut() {
            cap.push((c, s));
        } else {
            if self.recent.len() == self.ring {
                self.recent.pop_front();
            }
            self.recent.push_back((c, s));
        }
    }

    /// Starts recording every cycle in full, beginning with the ring's contents.
    pub fn start_capture(&mut self) {
        if self.capture.is_none() {
            self.capture = Some(self.recent.drain(..).collect());
        }
    }

    /// A capture is open.
    pub fn capturing(&self) -> bool {
        self.capture.is_some()
    }

    /// Cycles captured so far.
    pub fn captured(&self) -> usize {
        self.capture.as_ref().map_or(0, |c| c.len())
    }

    /// Ends the capture and returns it; recording goes back to the ring.
    pub fn end_capture(&mut self) -> Vec<Sample> {
        self.capture.take().unwrap_or_default()
    }
}

impl Rig {
    /// A rig: `sim` with `sys` around it, the host at `divider` cycles per bit.
    pub fn new(sim: Box<dyn CoreSim>, sys: System, divider: u64) -> Self {
        Self { sim, sys, host: RegHost::new(divider), cycle: 0, rec: Recorder::default() }
    }

    /// Runs one cycle.
    pub fn step(&mut self) -> Pins {
        let c = self.cycle;
        self.sys.uart_rx = self.host.drive(c);
        self.sys.drive(c, self.sim.as_mut());
        self.sim.low();
        self.rec.record(c, self.sim.as_ref());
        let pins = Pins::of(self.sim.as_ref());
        self.sys.observe(c, self.sim.as_ref());
        let tx = self.sim.get_bit(Port::UartTx);
        self.host.observe(tx, c);
        self.sim.edge();
        self.cycle += 1;
        pins
    }
}
