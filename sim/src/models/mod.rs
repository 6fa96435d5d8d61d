//! Behavioural models at link level, in plain Rust: a CPU that issues SATA-like storage
//! commands ([`cpu::CpuModel`]) and a SATA controller + disk that executes them against a
//! sparse image ([`disk::DiskModel`]). Frame layouts: [`fis`] and `docs/frame-format.md`.
//!
//! Each model owns a transmit [`LinkSource`](crate::link::LinkSource) and a receive
//! [`LinkSink`](crate::link::LinkSink), so it obeys SPEC §2 (holds a word while
//! `valid & !ready`, correct `par`/`cpar`/`rpar`, optional random gaps and back-pressure) and
//! checks what it receives. Models talk through the [`Endpoint`] interface, so the same model
//! can face another model directly ([`connect`]) or a simulated core
//! ([`crate::system::System`]).
pub mod cpu;
pub mod disk;
pub mod fis;
pub mod image;

use crate::link::Beat;

/// What an endpoint drives in one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointPins {
    /// Its transmit link's source signals.
    pub tx: Beat,
    /// Its receive link's (`ready`, `rpar`).
    pub rx_ready: (bool, bool),
}

/// A device with one transmit and one receive link, stepped in the two halves of a cycle.
pub trait Endpoint {
    /// Drive half: this cycle's outputs, decided from earlier cycles only.
    fn drive(&mut self) -> EndpointPins;
    /// Observe half: the far end's (`ready`, `rpar`) on our transmit link and its beat on
    /// our receive link.
    fn observe(&mut self, tx_ready: (bool, bool), rx: Beat);
}

/// One cycle of two endpoints wired to each other (`a`'s transmit link is `b`'s receive
/// link and vice versa), with no core between them.
pub fn step_pair(a: &mut dyn Endpoint, b: &mut dyn Endpoint) {
    let pa = a.drive();
    let pb = b.drive();
    a.observe(pb.rx_ready, pb.tx);
    b.observe(pa.rx_ready, pa.tx);
}

/// Runs two directly connected endpoints until `until` says stop or `max_cycles` pass;
/// returns the cycles run.
pub fn connect<A: Endpoint, B: Endpoint>(
    a: &mut A,
    b: &mut B,
    max_cycles: u64,
    mut until: impl FnMut(&A, &B) -> bool,
) -> u64 {
    for cycle in 0..max_cycles {
        if until(a, b) {
            return cycle;
        }
        step_pair(a, b);
    }
    max_cycles
}

/// A reproducible workload: `writes` writes of 1..=`max_sectors` random sectors at random
/// LBAs of a `capacity`-sector disk (so some overlap), each followed with probability 1/2 by
/// a read of a range written earlier; then a read of every range written.
pub fn random_workload(seed: u64, writes: usize, capacity: u64, max_sectors: u32) -> Vec<cpu::Op> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut ops = vec![];
    let mut written: Vec<(u64, u32)> = vec![];
    for _ in 0..writes {
        let sectors = rng.gen_range(1..=max_sectors);
        let lba = rng.gen_range(0..=capacity - sectors as u64);
        let mut data = vec![0u8; sectors as usize * fis::SECTOR_BYTES];
        rng.fill(&mut data[..]);
        ops.push(cpu::Op::Write { lba, data });
        written.push((lba, sectors));
        if rng.gen_bool(0.5) {
            let (lba, sectors) = written[rng.gen_range(0..written.len())];
            ops.push(cpu::Op::Read { lba, sectors });
        }
    }
    ops.extend(written.into_iter().map(|(lba, sectors)| cpu::Op::Read { lba, sectors }));
    ops
}

/// SHA-256 of the flat image a `capacity`-sector disk holds after the writes of `ops`, all
/// zero before: the software reference for a disk model's [`image::DiskImage::sha256`].
pub fn golden_sha256(capacity: u64, ops: &[cpu::Op]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut flat = vec![0u8; capacity as usize * fis::SECTOR_BYTES];
    for op in ops {
        if let cpu::Op::Write { lba, data } = op {
            let at = *lba as usize * fis::SECTOR_BYTES;
            flat[at..at + data.len()].copy_from_slice(data);
        }
    }
    Sha256::digest(&flat).into()
}
