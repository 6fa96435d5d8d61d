//! A CPU's storage port at link level: issues SATA-like commands (Register H2D FIS with WRITE
//! DMA EXT / READ DMA EXT, write data in Data FISes) one at a time, and checks each
//! completion (Register D2H FIS; Data FISes for reads, compared against what this CPU wrote).
use super::fis::{self, Fis, RegH2D, ATA_READ_DMA_EXT, ATA_WRITE_DMA_EXT, SECTOR_BYTES};
use super::image::Sector;
use super::{Endpoint, EndpointPins};
use crate::link::{frame, Beat, LinkSink, LinkSource};
use std::collections::{HashMap, VecDeque};

/// A storage operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Write `data` (a whole number of sectors) at `lba`.
    Write { lba: u64, data: Vec<u8> },
    /// Read `sectors` sectors at `lba`.
    Read { lba: u64, sectors: u32 },
}

impl Op {
    /// First sector.
    pub fn lba(&self) -> u64 {
        match self {
            Op::Write { lba, .. } | Op::Read { lba, .. } => *lba,
        }
    }
    /// Number of sectors.
    pub fn sectors(&self) -> u32 {
        match self {
            Op::Write { data, .. } => (data.len() / SECTOR_BYTES) as u32,
            Op::Read { sectors, .. } => *sectors,
        }
    }
}

/// How a CPU model behaves on its links.
#[derive(Clone, Debug)]
pub struct CpuConfig {
    /// Seed of its gap and back-pressure patterns.
    pub seed: u64,
    /// Probability of a gap before a word it could offer.
    pub gap: f64,
    /// Probability of not being ready for a word in a cycle.
    pub stall: f64,
    /// Cycles before it does anything (idle, ready, no random draws): two CPUs with the same
    /// config and ops but different `start_delay` behave identically, shifted in time.
    pub start_delay: u64,
    /// Sectors per Data FIS it sends (1..=16; 16 sectors = the SATA maximum of 8 KiB).
    pub data_fis_sectors: u32,
    /// Idle cycles between a completion and the next command.
    pub think: u64,
}

impl Default for CpuConfig {
    fn default() -> Self {
        Self { seed: 0, gap: 0.0, stall: 0.0, start_delay: 0, data_fis_sectors: 16, think: 0 }
    }
}

/// The outcome of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The operation.
    pub op: Op,
    /// ATA status of its D2H FIS.
    pub status: u8,
    /// ATA error of its D2H FIS.
    pub error: u8,
    /// Data returned (reads).
    pub read_data: Vec<u8>,
    /// Cycle (of this model, counted from its start) the command was queued.
    pub issued_at: u64,
    /// Cycle its completion arrived.
    pub completed_at: u64,
    /// Some frame of this operation's answer arrived with a link parity error (the CPU knows
    /// its data may be damaged).
    pub parity_error: bool,
}

/// The CPU model.
#[derive(Clone, Debug)]
pub struct CpuModel {
    /// Its transmit link (CPU → core).
    pub tx: LinkSource,
    /// Its receive link (core → CPU).
    pub rx: LinkSink,
    cfg: CpuConfig,
    ops: VecDeque<Op>,
    in_flight: Option<(Op, u64, Vec<u8>)>,
    in_flight_parity: bool,
    shadow: HashMap<u64, Sector>,
    /// Finished operations, in order.
    pub completions: Vec<Completion>,
    /// Everything that went wrong: bad completions, wrong read data, unexpected frames.
    pub errors: Vec<String>,
    /// Cycles since its start (after `start_delay`).
    cycle: u64,
    waited: u64,
    next_issue: u64,
}

impl CpuModel {
    /// A CPU with nothing to do yet.
    pub fn new(cfg: CpuConfig) -> Self {
        assert!((1..=16).contains(&cfg.data_fis_sectors));
        Self {
            tx: LinkSource::new(cfg.seed ^ 0xC0, cfg.gap),
            rx: LinkSink::new(cfg.seed ^ 0xC1, cfg.stall).counting_only(),
            cfg,
            ops: VecDeque::new(),
            in_flight: None,
            in_flight_parity: false,
            shadow: HashMap::new(),
            completions: vec![],
            errors: vec![],
            cycle: 0,
            waited: 0,
            next_issue: 0,
        }
    }

    /// Queues operations.
    pub fn queue(&mut self, ops: impl IntoIterator<Item = Op>) {
        for op in ops {
            if let Op::Write { data, .. } = &op {
                assert!(!data.is_empty() && data.len() % SECTOR_BYTES == 0, "write of {} bytes", data.len());
            }
            self.ops.push_back(op);
        }
    }

    /// Every queued operation has completed.
    pub fn done(&self) -> bool {
        self.ops.is_empty() && self.in_flight.is_none()
    }

    /// Operations not yet completed.
    pub fn outstanding(&self) -> usize {
        self.ops.len() + self.in_flight.is_some() as usize
    }

    fn issue(&mut self) {
        let Some(op) = self.ops.pop_front() else { return };
        let (command, lba, sectors) = match &op {
            Op::Write { lba, .. } => (ATA_WRITE_DMA_EXT, *lba, op.sectors()),
            Op::Read { lba, sectors } => (ATA_READ_DMA_EXT, *lba, *sectors),
        };
        self.tx.push(frame(&RegH2D::dma_ext(command, lba, sectors).encode()));
        if let Op::Write { lba, data } = &op {
            for chunk in data.chunks(self.cfg.data_fis_sectors as usize * SECTOR_BYTES) {
                self.tx.push(frame(&fis::encode_data(chunk)));
            }
            // What this CPU expects to read back from now on.
            for (i, s) in data.chunks_exact(SECTOR_BYTES).enumerate() {
                self.shadow.insert(lba + i as u64, s.try_into().expect("whole sectors"));
            }
        }
        self.in_flight = Some((op, self.cycle, vec![]));
        self.in_flight_parity = false;
    }

    /// The operation waiting for its completion, if any.
    pub fn in_flight(&self) -> Option<&Op> {
        self.in_flight.as_ref().map(|f| &f.0)
    }

    fn receive(&mut self, words: Vec<u32>, parity_bad: bool) {
        let at = self.cycle;
        if parity_bad {
            self.errors.push(format!("cycle {at}: frame with a link parity error"));
            self.in_flight_parity |= self.in_flight.is_some();
        }
        let Some((op, issued_at, data)) = self.in_flight.as_mut() else {
            self.errors.push(format!("cycle {at}: frame with no command in flight: {:x?}", &words[..words.len().min(5)]));
            return;
        };
        match fis::decode(&words) {
            Ok(Fis::Data(bytes)) => {
                if matches!(op, Op::Read { .. }) {
                    data.extend(bytes);
                } else {
                    self.errors.push(format!("cycle {at}: Data FIS during a write"));
                }
            }
            Ok(Fis::RegD2H(d2h)) => {
                let (op, issued_at, data) = (op.clone(), *issued_at, std::mem::take(data));
                self.in_flight = None;
                self.next_issue = at + 1 + self.cfg.think;
                if !d2h.ok() {
                    self.errors.push(format!(
                        "cycle {at}: {op:?} failed: status {:#04x} error {:#04x}",
                        d2h.status, d2h.error
                    ));
                } else if let Op::Read { lba, sectors } = op {
                    let want = sectors as usize * SECTOR_BYTES;
                    if data.len() != want {
                        self.errors.push(format!("cycle {at}: read of {sectors} sectors at {lba} returned {} bytes", data.len()));
                    } else {
                        for (i, got) in data.chunks_exact(SECTOR_BYTES).enumerate() {
                            if let Some(expect) = self.shadow.get(&(lba + i as u64)) {
                                if got != expect {
                                    self.errors.push(format!("cycle {at}: sector {} read back differs", lba + i as u64));
                                }
                            }
                        }
                    }
                }
                self.completions.push(Completion {
                    op,
                    status: d2h.status,
                    error: d2h.error,
                    read_data: data,
                    issued_at,
                    completed_at: at,
                    parity_error: std::mem::take(&mut self.in_flight_parity),
                });
            }
            Ok(other) => self.errors.push(format!("cycle {at}: unexpected {other:?}")),
            Err(e) => self.errors.push(format!("cycle {at}: {e}")),
        }
    }
}

impl Endpoint for CpuModel {
    fn drive(&mut self) -> EndpointPins {
        if self.waited < self.cfg.start_delay {
            return EndpointPins { tx: Beat::IDLE, rx_ready: (true, false) };
        }
        if self.in_flight.is_none() && self.cycle >= self.next_issue {
            self.issue();
        }
        EndpointPins { tx: self.tx.drive(), rx_ready: self.rx.drive() }
    }

    fn observe(&mut self, tx_ready: (bool, bool), rx: Beat) {
        if self.waited < self.cfg.start_delay {
            if rx.valid {
                self.errors.push(format!("a word arrived {} cycles before this CPU started", self.cfg.start_delay - self.waited));
            }
            self.waited += 1;
            return;
        }
        self.tx.observe(tx_ready.0, tx_ready.1);
        self.rx.observe(rx);
        while let Some((words, bad)) = self.rx.pop_frame() {
            self.receive(words, bad);
        }
        self.cycle += 1;
    }
}
