//! The SATA frame information structures (FIS) the models exchange, one FIS per link frame.
//! Layouts follow SATA 3.x §10.5 with dword 0 first and byte 0 in bits [7:0] of each dword
//! (SATA is little-endian); `docs/frame-format.md` has the tables.

/// Register FIS, host to device.
pub const FIS_REG_H2D: u8 = 0x27;
/// Register FIS, device to host.
pub const FIS_REG_D2H: u8 = 0x34;
/// Data FIS (either direction).
pub const FIS_DATA: u8 = 0x46;

/// ATA READ DMA EXT (48-bit LBA).
pub const ATA_READ_DMA_EXT: u8 = 0x25;
/// ATA WRITE DMA EXT (48-bit LBA).
pub const ATA_WRITE_DMA_EXT: u8 = 0x35;

/// Status: device ready.
pub const STATUS_DRDY: u8 = 0x40;
/// Status: device seek complete / deferred write error bit position, set with DRDY when idle.
pub const STATUS_DSC: u8 = 0x10;
/// Status: error (see the error register).
pub const STATUS_ERR: u8 = 0x01;
/// Status of a good completion.
pub const STATUS_GOOD: u8 = STATUS_DRDY | STATUS_DSC;
/// Error: interface CRC error (here: a link parity error in a frame the device received).
pub const ERROR_ICRC: u8 = 0x80;
/// Error: ID not found (LBA range outside the device).
pub const ERROR_IDNF: u8 = 0x10;
/// Error: command aborted (unknown command, protocol violation).
pub const ERROR_ABRT: u8 = 0x04;

/// Bytes per sector.
pub const SECTOR_BYTES: usize = 512;
/// Dwords per sector.
pub const SECTOR_DWORDS: usize = SECTOR_BYTES / 4;
/// Largest Data FIS payload (SATA: 8192 bytes).
pub const MAX_DATA_DWORDS: usize = 2048;
/// Device byte of an LBA-mode command (bit 6, LBA).
pub const DEVICE_LBA: u8 = 0x40;

/// Register Host-to-Device FIS (5 dwords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegH2D {
    /// `C`: the FIS carries a command (1) or a device-control update (0).
    pub c: bool,
    /// Port multiplier port (0).
    pub pm_port: u8,
    /// ATA command.
    pub command: u8,
    /// Features (16 bits).
    pub features: u16,
    /// 48-bit LBA.
    pub lba: u64,
    /// Device register.
    pub device: u8,
    /// Sector count register (0 = 65536 for the EXT commands).
    pub count: u16,
    /// Isochronous command completion.
    pub icc: u8,
    /// Device control register.
    pub control: u8,
}

/// Register Device-to-Host FIS (5 dwords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegD2H {
    /// `I`: raise an interrupt.
    pub interrupt: bool,
    /// Port multiplier port (0).
    pub pm_port: u8,
    /// ATA status.
    pub status: u8,
    /// ATA error.
    pub error: u8,
    /// 48-bit LBA (the models echo the command's).
    pub lba: u64,
    /// Device register.
    pub device: u8,
    /// Sector count register (the models echo the command's).
    pub count: u16,
}

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fis {
    /// Register, host to device.
    RegH2D(RegH2D),
    /// Register, device to host.
    RegD2H(RegD2H),
    /// Data FIS with its payload bytes.
    Data(Vec<u8>),
}

/// Why a frame is not a FIS the models understand.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FisError {
    /// An empty frame.
    #[error("empty frame")]
    Empty,
    /// Unknown FIS type byte.
    #[error("unknown FIS type {0:#04x}")]
    UnknownType(u8),
    /// Wrong number of dwords for the type.
    #[error("FIS {fis_type:#04x} with {dwords} dwords")]
    Length { fis_type: u8, dwords: usize },
}

fn bytes(d: u32) -> [u8; 4] {
    d.to_le_bytes()
}

fn dword(b0: u8, b1: u8, b2: u8, b3: u8) -> u32 {
    u32::from_le_bytes([b0, b1, b2, b3])
}

impl RegH2D {
    /// A WRITE DMA EXT or READ DMA EXT command for `sectors` (1..=65536) at `lba`.
    pub fn dma_ext(command: u8, lba: u64, sectors: u32) -> Self {
        assert!((1..=65536).contains(&sectors), "sector count {sectors}");
        RegH2D {
            c: true,
            pm_port: 0,
            command,
            features: 0,
            lba: lba & 0xFFFF_FFFF_FFFF,
            device: DEVICE_LBA,
            count: sectors as u16, // 65536 encodes as 0
            icc: 0,
            control: 0,
        }
    }

    /// Sectors the command moves (count 0 = 65536).
    pub fn sectors(&self) -> u32 {
        if self.count == 0 {
            65536
        } else {
            self.count as u32
        }
    }

    /// The frame's dwords.
    pub fn encode(&self) -> Vec<u32> {
        let l = self.lba.to_le_bytes();
        let f = self.features.to_le_bytes();
        let c = self.count.to_le_bytes();
        vec![
            dword(FIS_REG_H2D, (self.pm_port & 0xF) | ((self.c as u8) << 7), self.command, f[0]),
            dword(l[0], l[1], l[2], self.device),
            dword(l[3], l[4], l[5], f[1]),
            dword(c[0], c[1], self.icc, self.control),
            0,
        ]
    }

    fn decode(d: &[u32]) -> Self {
        let (b0, b1, b2, b3) = (bytes(d[0]), bytes(d[1]), bytes(d[2]), bytes(d[3]));
        RegH2D {
            c: b0[1] & 0x80 != 0,
            pm_port: b0[1] & 0xF,
            command: b0[2],
            features: u16::from_le_bytes([b0[3], b2[3]]),
            lba: u64::from_le_bytes([b1[0], b1[1], b1[2], b2[0], b2[1], b2[2], 0, 0]),
            device: b1[3],
            count: u16::from_le_bytes([b3[0], b3[1]]),
            icc: b3[2],
            control: b3[3],
        }
    }
}

impl RegD2H {
    /// A completion for the command `cmd` with `status` and `error`.
    pub fn completion(cmd: &RegH2D, status: u8, error: u8) -> Self {
        RegD2H { interrupt: true, pm_port: 0, status, error, lba: cmd.lba, device: cmd.device, count: cmd.count }
    }

    /// The frame's dwords.
    pub fn encode(&self) -> Vec<u32> {
        let l = self.lba.to_le_bytes();
        let c = self.count.to_le_bytes();
        vec![
            dword(FIS_REG_D2H, (self.pm_port & 0xF) | ((self.interrupt as u8) << 6), self.status, self.error),
            dword(l[0], l[1], l[2], self.device),
            dword(l[3], l[4], l[5], 0),
            dword(c[0], c[1], 0, 0),
            0,
        ]
    }

    fn decode(d: &[u32]) -> Self {
        let (b0, b1, b2, b3) = (bytes(d[0]), bytes(d[1]), bytes(d[2]), bytes(d[3]));
        RegD2H {
            interrupt: b0[1] & 0x40 != 0,
            pm_port: b0[1] & 0xF,
            status: b0[2],
            error: b0[3],
            lba: u64::from_le_bytes([b1[0], b1[1], b1[2], b2[0], b2[1], b2[2], 0, 0]),
            device: b1[3],
            count: u16::from_le_bytes([b3[0], b3[1]]),
        }
    }

    /// Good completion (no `ERR`, `DRDY` set).
    pub fn ok(&self) -> bool {
        self.status & STATUS_ERR == 0 && self.status & STATUS_DRDY != 0
    }
}

/// A Data FIS carrying `payload` (a multiple of 4 bytes, at most 8192).
pub fn encode_data(payload: &[u8]) -> Vec<u32> {
    assert!(payload.len().is_multiple_of(4) && payload.len() / 4 <= MAX_DATA_DWORDS, "payload {} bytes", payload.len());
    let mut out = Vec::with_capacity(1 + payload.len() / 4);
    out.push(FIS_DATA as u32);
    out.extend(payload.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    out
}

/// Decodes one frame.
pub fn decode(frame: &[u32]) -> Result<Fis, FisError> {
    let first = *frame.first().ok_or(FisError::Empty)?;
    let fis_type = first as u8;
    let len_err = || FisError::Length { fis_type, dwords: frame.len() };
    match fis_type {
        FIS_REG_H2D if frame.len() == 5 => Ok(Fis::RegH2D(RegH2D::decode(frame))),
        FIS_REG_D2H if frame.len() == 5 => Ok(Fis::RegD2H(RegD2H::decode(frame))),
        FIS_DATA if frame.len() >= 2 && frame.len() <= 1 + MAX_DATA_DWORDS => {
            Ok(Fis::Data(frame[1..].iter().flat_map(|d| d.to_le_bytes()).collect()))
        }
        FIS_REG_H2D | FIS_REG_D2H | FIS_DATA => Err(len_err()),
        t => Err(FisError::UnknownType(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h2d_layout_and_round_trip() {
        let c = RegH2D::dma_ext(ATA_WRITE_DMA_EXT, 0xBEEF_1234_5678, 300);
        let d = c.encode();
        assert_eq!(d[0], 0x0035_8027, "type 27, C bit, command 35, features 0");
        assert_eq!(d[1], 0x4034_5678, "LBA 23:0, device 0x40");
        assert_eq!(d[2], 0x00BE_EF12, "LBA 47:24, features 15:8");
        assert_eq!(d[3], 300, "count 15:0");
        assert_eq!(decode(&d), Ok(Fis::RegH2D(c)));
        assert_eq!(RegH2D::dma_ext(ATA_READ_DMA_EXT, 0, 65536).encode()[3], 0, "65536 sectors encode as 0");
        assert_eq!(RegH2D::dma_ext(ATA_READ_DMA_EXT, 0, 65536).sectors(), 65536);
    }

    #[test]
    fn d2h_and_data_round_trip() {
        let c = RegH2D::dma_ext(ATA_READ_DMA_EXT, 77, 2);
        let r = RegD2H::completion(&c, STATUS_GOOD, 0);
        let d = r.encode();
        assert_eq!(d[0], 0x0050_4034);
        assert_eq!(decode(&d), Ok(Fis::RegD2H(r)));
        assert!(r.ok());
        let payload: Vec<u8> = (0..16u8).collect();
        let f = encode_data(&payload);
        assert_eq!(f, vec![0x46, 0x0302_0100, 0x0706_0504, 0x0B0A_0908, 0x0F0E_0D0C]);
        assert_eq!(decode(&f), Ok(Fis::Data(payload)));
        assert_eq!(decode(&[0x46]), Err(FisError::Length { fis_type: 0x46, dwords: 1 }));
        assert_eq!(decode(&[0x99, 0]), Err(FisError::UnknownType(0x99)));
    }
}
