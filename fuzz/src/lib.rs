//! What the storage targets share: a table written once by the real engine, copied afresh
//! for each input, and the damage an input describes.

use std::path::{Path, PathBuf};

use dynafile::{Dynafile, Item, KeyType, Result};

/// The files of a table, as bytes, by path relative to the table directory.
pub struct Template {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Template {
    /// Reads every file of the table at `dir`.
    pub fn read(dir: &Path) -> Template {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).expect("read the table directory") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.file_name().is_some_and(|name| name != "LOCK") {
                    let bytes = std::fs::read(&path).expect("read a table file");
                    let relative = path.strip_prefix(dir).expect("in the table").to_owned();
                    files.push((relative, bytes));
                }
            }
        }
        files.sort();
        Template { files }
    }

    /// The bytes of the one file whose relative path starts with `under` and ends with
    /// `extension`.
    pub fn file(&self, under: &str, extension: &str) -> (&Path, &[u8]) {
        let mut matching = self.files.iter().filter(|(path, _)| {
            path.starts_with(under) && path.extension().is_some_and(|e| e == extension)
        });
        let (path, bytes) = matching.next().expect("the table has such a file");
        assert!(matching.next().is_none(), "one {under}/*.{extension} file");
        (path, bytes)
    }

    /// Writes the table into `dir`, with `replaced` as the bytes of the file at `path`.
    pub fn write(&self, dir: &Path, path: &Path, replaced: &[u8]) {
        for (relative, bytes) in &self.files {
            let target = dir.join(relative);
            std::fs::create_dir_all(target.parent().expect("a file in a directory"))
                .expect("create a table directory");
            let bytes = if relative == path { replaced } else { bytes };
            std::fs::write(&target, bytes).expect("write a table file");
        }
    }
}

/// A fresh directory for one input, in memory where the machine has `/dev/shm`.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("a temporary directory")
    } else {
        tempfile::tempdir().expect("a temporary directory")
    }
}

/// The damage an input asks for: its first byte picks truncation (even) or byte flips (odd).
#[derive(Debug)]
pub enum Damage {
    /// Cut the file to this length (at most its own).
    Truncate(usize),
    /// XOR these bytes into the file at these offsets (within it), in this order.
    Flip(Vec<(usize, u8)>),
}

impl Damage {
    /// Reads the damage to a file of `len` bytes from fuzzer input: for truncation a
    /// little-endian `u32` length, for flips triples of a little-endian `u16` offset and a
    /// mask. Offsets and lengths wrap to fit the file.
    pub fn from_input(data: &[u8], len: usize) -> Option<Damage> {
        let (&mode, rest) = data.split_first()?;
        if mode % 2 == 0 {
            let mut length = [0u8; 4];
            let n = rest.len().min(4);
            length[..n].copy_from_slice(&rest[..n]);
            Some(Damage::Truncate(
                u32::from_le_bytes(length) as usize % (len + 1),
            ))
        } else {
            let flips: Vec<(usize, u8)> = rest
                .chunks_exact(3)
                .map(|c| (usize::from(u16::from_le_bytes([c[0], c[1]])) % len, c[2]))
                .filter(|&(_, mask)| mask != 0)
                .collect();
            (!flips.is_empty()).then_some(Damage::Flip(flips))
        }
    }

    /// The damaged copy of `bytes`.
    pub fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Damage::Truncate(len) => bytes[..*len].to_vec(),
            Damage::Flip(flips) => {
                let mut damaged = bytes.to_vec();
                for &(offset, mask) in flips {
                    damaged[offset] ^= mask;
                }
                damaged
            }
        }
    }

    /// The first offset the damage changes, or `None` when it changes nothing.
    pub fn first_changed(&self, bytes: &[u8]) -> Option<usize> {
        let damaged = self.apply(bytes);
        match self {
            Damage::Truncate(len) => (*len < bytes.len()).then_some(*len),
            Damage::Flip(_) => bytes.iter().zip(&damaged).position(|(a, b)| a != b),
        }
    }
}

/// A fresh copy of `template` for one input, with the file at `path` (whose bytes are
/// `bytes`) damaged as `data` asks; `None` when `data` asks for nothing.
pub fn damaged_copy(
    template: &Template,
    path: &Path,
    bytes: &[u8],
    data: &[u8],
) -> Option<(tempfile::TempDir, Damage)> {
    let damage = Damage::from_input(data, bytes.len())?;
    let dir = scratch_dir();
    template.write(dir.path(), path, &damage.apply(bytes));
    Some((dir, damage))
}

/// The builder the storage targets' tables use: string keys, small blocks (so that a file
/// has many), a memory table large enough that nothing is checkpointed unless asked.
pub fn builder(dir: &Path) -> dynafile::Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .block_size(256)
        .memtable_size(64 << 20)
}

/// Every item of the table, in table order.
pub fn scan_all(db: &Dynafile) -> Result<Vec<Item>> {
    db.scan().iter().and_then(|items| items.collect())
}
