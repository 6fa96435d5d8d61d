//! A SATA controller + disk at link level: executes WRITE DMA EXT / READ DMA EXT commands
//! against a sparse [`DiskImage`] and answers with Data FISes (reads) and a Register D2H FIS.
use super::fis::{
    self, Fis, RegD2H, RegH2D, ATA_READ_DMA_EXT, ATA_WRITE_DMA_EXT, ERROR_ABRT, ERROR_ICRC, ERROR_IDNF,
    SECTOR_BYTES, STATUS_DRDY, STATUS_ERR, STATUS_GOOD,
};
use super::image::DiskImage;
use super::{Endpoint, EndpointPins};
use crate::link::{frame, Beat, LinkSink, LinkSource, Word};
use std::collections::VecDeque;

/// How a disk model behaves on its links.
#[derive(Clone, Debug)]
pub struct DiskConfig {
    /// Seed of its gap and back-pressure patterns.
    pub seed: u64,
    /// Probability of a gap before a word it could offer.
    pub gap: f64,
    /// Probability of not being ready for a word in a cycle.
    pub stall: f64,
    /// Cycles from a complete command (or the last data of a write) to the first word of
    /// the answer.
    pub latency: u64,
    /// Sectors per Data FIS it sends for reads (1..=16).
    pub data_fis_sectors: u32,
}

impl Default for DiskConfig {
    fn default() -> Self {
        Self { seed: 0, gap: 0.0, stall: 0.0, latency: 0, data_fis_sectors: 16 }
    }
}

/// A command the disk finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// ATA command.
    pub command: u8,
    /// First sector.
    pub lba: u64,
    /// Sectors.
    pub sectors: u32,
    /// Status it answered.
    pub status: u8,
    /// Error it answered.
    pub error: u8,
    /// Cycle it answered.
    pub at: u64,
}

#[derive(Clone, Debug)]
enum State {
    Idle,
    /// Receiving write data for `cmd`; `bad`: some of it arrived with a parity error.
    Writing { cmd: RegH2D, data: Vec<u8>, bad: bool },
}

/// The disk model.
#[derive(Clone, Debug)]
pub struct DiskModel {
    /// Its receive link (core → disk: commands and write data).
    pub rx: LinkSink,
    /// Its transmit link (disk → core: completions and read data).
    pub tx: LinkSource,
    /// The medium.
    pub image: DiskImage,
    cfg: DiskConfig,
    state: State,
    scheduled: VecDeque<(u64, Vec<Word>)>,
    /// Commands answered, in order.
    pub commands: Vec<CommandRecord>,
    /// Frames it could not make sense of.
    pub errors: Vec<String>,
    cycle: u64,
}

impl DiskModel {
    /// A disk holding `image`.
    pub fn new(cfg: DiskConfig, image: DiskImage) -> Self {
        assert!((1..=16).contains(&cfg.data_fis_sectors));
        Self {
            rx: LinkSink::new(cfg.seed ^ 0xD0, cfg.stall).counting_only(),
            tx: LinkSource::new(cfg.seed ^ 0xD1, cfg.gap),
            image,
            cfg,
            state: State::Idle,
            scheduled: VecDeque::new(),
            commands: vec![],
            errors: vec![],
            cycle: 0,
        }
    }

    /// Nothing being received, nothing left to send.
    pub fn idle(&self) -> bool {
        matches!(self.state, State::Idle) && self.scheduled.is_empty() && self.tx.is_idle()
    }

    fn answer(&mut self, frames: Vec<Vec<u32>>) {
        let words: Vec<Word> = frames.iter().flat_map(|f| frame(f)).collect();
        self.scheduled.push_back((self.cycle + self.cfg.latency, words));
    }

    fn complete(&mut self, cmd: &RegH2D, status: u8, error: u8, mut before: Vec<Vec<u32>>) {
        before.push(RegD2H::completion(cmd, status, error).encode());
        self.commands.push(CommandRecord {
            command: cmd.command,
            lba: cmd.lba,
            sectors: cmd.sectors(),
            status,
            error,
            at: self.cycle,
        });
        self.answer(before);
    }

    fn fail(&mut self, cmd: &RegH2D, error: u8) {
        self.complete(cmd, STATUS_DRDY | STATUS_ERR, error, vec![]);
    }

    fn command(&mut self, cmd: RegH2D, bad: bool) {
        if bad {
            return self.fail(&cmd, ERROR_ICRC | ERROR_ABRT);
        }
        if !cmd.c {
            return; // a device-control update: nothing to answer
        }
        let sectors = cmd.sectors() as u64;
        match cmd.command {
            ATA_WRITE_DMA_EXT | ATA_READ_DMA_EXT if !self.image.contains(cmd.lba, sectors) => {
                self.fail(&cmd, ERROR_IDNF | ERROR_ABRT)
            }
            ATA_WRITE_DMA_EXT => {
                self.state = State::Writing { cmd, data: Vec::with_capacity(sectors as usize * SECTOR_BYTES), bad: false }
            }
            ATA_READ_DMA_EXT => {
                let mut frames = vec![];
                let per_fis = self.cfg.data_fis_sectors as u64;
                let mut lba = cmd.lba;
                while lba < cmd.lba + sectors {
                    let n = per_fis.min(cmd.lba + sectors - lba);
                    let payload: Vec<u8> = (lba..lba + n).flat_map(|s| self.image.read(s)).collect();
                    frames.push(fis::encode_data(&payload));
                    lba += n;
                }
                self.complete(&cmd, STATUS_GOOD, 0, frames);
            }
            _ => self.fail(&cmd, ERROR_ABRT),
        }
    }

    fn receive(&mut self, words: Vec<u32>, bad: bool) {
        let at = self.cycle;
        let parsed = fis::decode(&words);
        match (std::mem::replace(&mut self.state, State::Idle), parsed) {
            (State::Idle, Ok(Fis::RegH2D(cmd))) => self.command(cmd, bad),
            (State::Writing { cmd, mut data, bad: was_bad }, Ok(Fis::Data(bytes))) => {
                data.extend(bytes);
                let bad = was_bad | bad;
                let want = cmd.sectors() as usize * SECTOR_BYTES;
                if data.len() < want {
                    self.state = State::Writing { cmd, data, bad };
                } else if data.len() > want {
                    self.errors.push(format!("cycle {at}: {} bytes of write data for {want}", data.len()));
                    self.fail(&cmd, ERROR_ABRT);
                } else if bad {
                    // Data that arrived damaged is not written.
                    self.fail(&cmd, ERROR_ICRC | ERROR_ABRT);
                } else {
                    for (i, s) in data.chunks_exact(SECTOR_BYTES).enumerate() {
                        self.image.write(cmd.lba + i as u64, s.try_into().expect("whole sectors"));
                    }
                    self.complete(&cmd, STATUS_GOOD, 0, vec![]);
                }
            }
            (State::Writing { cmd, .. }, Ok(Fis::RegH2D(next))) => {
                self.errors.push(format!("cycle {at}: new command before the write's data was complete"));
                self.fail(&cmd, ERROR_ABRT);
                self.command(next, bad);
            }
            (state, Ok(other)) => {
                self.errors.push(format!("cycle {at}: unexpected {}", describe(&other)));
                self.state = state;
            }
            (state, Err(e)) => {
                self.errors.push(format!("cycle {at}: {e}"));
                self.state = state;
            }
        }
    }
}

fn describe(f: &Fis) -> String {
    match f {
        Fis::Data(d) => format!("Data FIS of {} bytes", d.len()),
        other => format!("{other:?}"),
    }
}

impl Endpoint for DiskModel {
    fn drive(&mut self) -> EndpointPins {
        while self.scheduled.front().is_some_and(|(due, _)| *due <= self.cycle) {
            let (_, words) = self.scheduled.pop_front().expect("front exists");
            self.tx.push(words);
        }
        EndpointPins { tx: self.tx.drive(), rx_ready: self.rx.drive() }
    }

    fn observe(&mut self, tx_ready: (bool, bool), rx: Beat) {
        self.tx.observe(tx_ready.0, tx_ready.1);
        self.rx.observe(rx);
        while let Some((words, bad)) = self.rx.pop_frame() {
            self.receive(words, bad);
        }
        self.cycle += 1;
    }
}
