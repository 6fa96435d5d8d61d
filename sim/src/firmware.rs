//! The firmware of the real-CPU system (`firmware/`, C for rv32i), built by this crate's
//! build script with Debian's `riscv64-unknown-elf-gcc` (see `sim/build.rs`), and what it
//! writes, so the demo knows the golden disk image without trusting the firmware.
use crate::models::fis::SECTOR_BYTES;
use sha2::{Digest, Sha256};

/// The flat image loaded at address 0 of each CPU's RAM.
pub const IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/firmware.bin"));
/// Byte address of the firmware's write buffer (`.wbuf` in `firmware/link.ld`).
pub const WBUF_ADDR: u32 = 0x8000;
/// `RESULT` value of a firmware that passed its self-test.
pub const RESULT_PASS: u32 = 0;

/// Write commands (`WRITES` in `firmware/workload.h`); each is read back after all writes.
pub const WRITES: u32 = 8;
/// First sector of write `i` (`WRITE_LBA`): the writes spread over LBAs 5..=57, so the
/// board's 64-sector block-RAM disks (`ftio build --board ulx3s --top system`) hold them.
pub fn write_lba(i: u32) -> u64 {
    5 + 7 * i as u64
}
/// Sectors of write `i` (`WRITE_SECTORS`).
pub fn write_sectors(i: u32) -> u32 {
    1 + i % 4
}

/// The 128 words the firmware writes to sector `lba` (`pattern_seed`/`pattern_next`).
pub fn sector_words(lba: u64) -> [u32; 128] {
    let lba = lba as u32;
    let mut x = (lba << 16) ^ lba ^ 0xA5A5_F00D;
    let mut out = [0u32; 128];
    for w in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *w = x;
    }
    out
}

/// Words CPU `x` sends for write `i`: the Register H2D FIS (5) and one Data FIS.
pub fn write_words(i: u32) -> u64 {
    5 + 1 + 128 * write_sectors(i) as u64
}

/// SHA-256 of a `capacity`-sector disk, blank before, after the firmware's first `writes`
/// writes.
pub fn golden_sha256(capacity: u64, writes: u32) -> [u8; 32] {
    let mut flat = vec![0u8; capacity as usize * SECTOR_BYTES];
    for i in 0..writes {
        for s in 0..write_sectors(i) as u64 {
            let lba = write_lba(i) + s;
            for (k, w) in sector_words(lba).iter().enumerate() {
                let at = lba as usize * SECTOR_BYTES + 4 * k;
                flat[at..at + 4].copy_from_slice(&w.to_le_bytes());
            }
        }
    }
    Sha256::digest(&flat).into()
}

/// The image as little-endian words.
pub fn image_words() -> Vec<u32> {
    IMAGE.chunks(4).map(|c| c.iter().enumerate().fold(0u32, |a, (i, b)| a | (*b as u32) << (8 * i))).collect()
}
