//! The manifest: which partition files are live, the hash range each covers, and the log
//! position they include. It is replaced atomically at each checkpoint.
//!
//! ```text
//! manifest := "DYNAMF01" version (u32 LE) length (u32 LE) crc32c (u32 LE) postcard payload
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::storage::fs::write_atomic;

const MAGIC: &[u8; 8] = b"DYNAMF01";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 20;
pub(crate) const MANIFEST_FILE: &str = "manifest";

/// One partition file as the manifest records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileMeta {
    pub id: u64,
    pub size: u64,
    pub entries: u64,
}

/// One physical partition: a contiguous range of partition-key hashes from `start` up to the
/// next range's start, stored as a base file plus newer runs that override it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RangeMeta {
    pub start: u64,
    pub base: Option<FileMeta>,
    /// Oldest first.
    pub runs: Vec<FileMeta>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Every commit up to this sequence number is in the partition files.
    pub checkpoint_seq: u64,
    /// The id the next partition file gets; ids are never reused.
    pub next_file_id: u64,
    /// Ordered by `start`; the first starts at 0.
    pub ranges: Vec<RangeMeta>,
    /// CRC-32C of the table's `meta.json` content (its canonical JSON), so that damage to
    /// that human-readable file is caught too.
    pub meta_checksum: u32,
}

impl Manifest {
    /// The manifest of a new, empty table.
    pub(crate) fn empty(meta_checksum: u32) -> Manifest {
        Manifest {
            checkpoint_seq: 0,
            next_file_id: 1,
            ranges: vec![RangeMeta {
                start: 0,
                base: None,
                runs: Vec::new(),
            }],
            meta_checksum,
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        let payload = postcard::to_allocvec(self)
            .map_err(|e| Error::validation(format!("cannot encode the manifest: {e}")))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let corrupt = |reason: &str| Error::corrupt(path, Some(0), reason);
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Err(corrupt("not a manifest (bad magic or too short)"));
        }
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let version = word(8);
        if version != VERSION {
            return Err(Error::Incompatible {
                path: path.to_owned(),
                found: version,
                supported: VERSION,
            });
        }
        let payload = &bytes[HEADER_LEN..];
        if payload.len() != word(12) as usize {
            return Err(corrupt("manifest length does not match its header"));
        }
        if crc32c::crc32c(payload) != word(16) {
            return Err(corrupt("manifest checksum mismatch"));
        }
        let manifest: Manifest = postcard::from_bytes(payload)
            .map_err(|e| corrupt(&format!("malformed manifest: {e}")))?;
        manifest.validate().map_err(|reason| corrupt(&reason))?;
        Ok(manifest)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.ranges.first().map(|r| r.start) != Some(0) {
            return Err("the first range must start at hash 0".into());
        }
        if self.ranges.windows(2).any(|w| w[0].start >= w[1].start) {
            return Err("ranges are not in ascending order".into());
        }
        let mut ids = HashSet::new();
        for file in self.files() {
            if file.id >= self.next_file_id || !ids.insert(file.id) {
                return Err(format!(
                    "file id {} is repeated or beyond the next id",
                    file.id
                ));
            }
        }
        Ok(())
    }

    /// Every live file.
    pub(crate) fn files(&self) -> impl Iterator<Item = &FileMeta> {
        self.ranges
            .iter()
            .flat_map(|range| range.base.iter().chain(range.runs.iter()))
    }

    pub(crate) fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        Manifest::decode(&bytes, &path)
    }

    pub(crate) fn store(&self, dir: &Path) -> Result<()> {
        write_atomic(dir, MANIFEST_FILE, &self.encode()?)
    }
}

/// The path of partition file `id`.
pub(crate) fn partition_path(partitions_dir: &Path, id: u64) -> PathBuf {
    partitions_dir.join(format!("{id:016x}.dfp"))
}

/// The id of a partition file path, if it is one.
pub(crate) fn partition_id(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let hex = name.strip_suffix(".dfp")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_damage() {
        let manifest = Manifest {
            checkpoint_seq: 42,
            next_file_id: 4,
            meta_checksum: 7,
            ranges: vec![
                RangeMeta {
                    start: 0,
                    base: Some(FileMeta {
                        id: 1,
                        size: 100,
                        entries: 3,
                    }),
                    runs: vec![],
                },
                RangeMeta {
                    start: 1 << 63,
                    base: Some(FileMeta {
                        id: 2,
                        size: 50,
                        entries: 1,
                    }),
                    runs: vec![FileMeta {
                        id: 3,
                        size: 10,
                        entries: 1,
                    }],
                },
            ],
        };
        let bytes = manifest.encode().unwrap();
        let path = Path::new("manifest");
        assert_eq!(Manifest::decode(&bytes, path).unwrap(), manifest);
        for index in 0..bytes.len() {
            let mut corrupt = bytes.clone();
            corrupt[index] ^= 0x04;
            assert!(Manifest::decode(&corrupt, path).is_err(), "flip at {index}");
        }
        assert_eq!(
            partition_id(&partition_path(Path::new("p"), 0xab)),
            Some(0xab)
        );
    }
}
