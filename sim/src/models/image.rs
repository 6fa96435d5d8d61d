//! A sparse disk image: sectors that were never written (or hold zeros) take no memory.
use super::fis::SECTOR_BYTES;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One sector.
pub type Sector = [u8; SECTOR_BYTES];

/// A disk of `capacity` sectors, all zero until written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskImage {
    sectors: HashMap<u64, Sector>,
    capacity: u64,
}

impl DiskImage {
    /// An all-zero disk of `capacity` sectors.
    pub fn new(capacity: u64) -> Self {
        Self { sectors: HashMap::new(), capacity }
    }

    /// Size in sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Sectors holding non-zero data.
    pub fn used(&self) -> usize {
        self.sectors.len()
    }

    /// Sector `lba` (zeros if never written). Panics outside the disk.
    pub fn read(&self, lba: u64) -> Sector {
        assert!(lba < self.capacity, "LBA {lba} outside a {}-sector disk", self.capacity);
        self.sectors.get(&lba).copied().unwrap_or([0; SECTOR_BYTES])
    }

    /// Writes sector `lba`. Panics outside the disk.
    pub fn write(&mut self, lba: u64, data: &Sector) {
        assert!(lba < self.capacity, "LBA {lba} outside a {}-sector disk", self.capacity);
        if data.iter().all(|&b| b == 0) {
            self.sectors.remove(&lba);
        } else {
            self.sectors.insert(lba, *data);
        }
    }

    /// `lba..lba+sectors` lies on the disk.
    pub fn contains(&self, lba: u64, sectors: u64) -> bool {
        lba.checked_add(sectors).is_some_and(|end| end <= self.capacity)
    }

    /// SHA-256 of the whole disk, sector 0 to the end, as a flat byte image.
    pub fn sha256(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let zero = [0u8; SECTOR_BYTES];
        for lba in 0..self.capacity {
            h.update(self.sectors.get(&lba).unwrap_or(&zero));
        }
        h.finalize().into()
    }

    /// Loads a raw image file (its length must be a whole number of sectors).
    pub fn load(path: &Path) -> Result<Self, ImageError> {
        let err = |source| ImageError::Io { path: path.to_path_buf(), source };
        let mut f = std::fs::File::open(path).map_err(err)?;
        let len = f.metadata().map_err(err)?.len();
        if len % SECTOR_BYTES as u64 != 0 {
            return Err(ImageError::NotSectors { path: path.to_path_buf(), len });
        }
        let mut img = DiskImage::new(len / SECTOR_BYTES as u64);
        let mut buf = [0u8; SECTOR_BYTES];
        for lba in 0..img.capacity {
            f.read_exact(&mut buf).map_err(err)?;
            img.write(lba, &buf);
        }
        Ok(img)
    }

    /// Saves as a raw image file of `capacity` sectors (sparse where the file system allows:
    /// only non-zero sectors are written). Written to a temporary name first, then renamed,
    /// so a failed save leaves any earlier file intact.
    pub fn save(&self, path: &Path) -> Result<(), ImageError> {
        let tmp = path.with_extension("partial");
        let err = |source| ImageError::Io { path: tmp.clone(), source };
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.set_len(self.capacity * SECTOR_BYTES as u64).map_err(err)?;
        let mut lbas: Vec<&u64> = self.sectors.keys().collect();
        lbas.sort();
        for lba in lbas {
            f.seek(SeekFrom::Start(lba * SECTOR_BYTES as u64)).map_err(err)?;
            f.write_all(&self.sectors[lba]).map_err(err)?;
        }
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(|source| ImageError::Io { path: path.to_path_buf(), source })
    }
}

/// Why a disk image file could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened, read, written or renamed (check the path and the disk).
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file's length is not a whole number of sectors: it is not a raw disk image.
    #[error("{}: {len} bytes is not a whole number of 512-byte sectors", path.display())]
    NotSectors { path: PathBuf, len: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_read_write_and_hash() {
        let mut d = DiskImage::new(8);
        assert_eq!(d.read(3), [0; 512]);
        let mut s = [0u8; 512];
        s[10] = 7;
        d.write(3, &s);
        assert_eq!(d.used(), 1);
        assert_eq!(d.read(3), s);
        let mut flat = vec![0u8; 8 * 512];
        flat[3 * 512 + 10] = 7;
        let want: [u8; 32] = Sha256::digest(&flat).into();
        assert_eq!(d.sha256(), want);
        d.write(3, &[0; 512]);
        assert_eq!(d.used(), 0);
        assert!(d.contains(0, 8) && !d.contains(1, 8) && !d.contains(u64::MAX, 2));
    }

    #[test]
    fn file_round_trip() {
        let dir = std::env::temp_dir().join(format!("ftio-sim-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("disk.img");
        let mut d = DiskImage::new(100);
        d.write(99, &[0xA5; 512]);
        d.write(0, &[1; 512]);
        d.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 100 * 512);
        assert_eq!(DiskImage::load(&path).unwrap(), d);
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(DiskImage::load(&path).unwrap_err().to_string().contains("whole number"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
