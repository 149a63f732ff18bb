//! What the bench reads off the machine: the fsync floor, the process's write counter and
//! peak memory (`/proc/self`), bytes on disk, and latency percentiles.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Bytes each fsync-floor step appends before its `fdatasync`.
pub const FLOOR_APPEND_BYTES: usize = 100;

/// The physical limit of one durable commit at a time: `count` × (append 100 bytes to
/// `path` + `fdatasync`).
pub fn fsync_floor(path: &Path, count: usize) -> Result<FloorSample> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let chunk = [b'f'; FLOOR_APPEND_BYTES];
    let start = Instant::now();
    for _ in 0..count {
        file.write_all(&chunk)
            .with_context(|| format!("appending to {}", path.display()))?;
        file.sync_data()
            .with_context(|| format!("syncing {}", path.display()))?;
    }
    Ok(FloorSample {
        syncs: count,
        elapsed: start.elapsed(),
    })
}

/// A run of the fsync floor: how many syncs, and how long they took.
#[derive(Clone, Copy, Debug, Default)]
pub struct FloorSample {
    /// Syncs done.
    pub syncs: usize,
    /// Time they took.
    pub elapsed: Duration,
}

impl FloorSample {
    /// Two samples taken as one (the halves measured before and after a phase).
    pub fn merge(self, other: FloorSample) -> FloorSample {
        FloorSample {
            syncs: self.syncs + other.syncs,
            elapsed: self.elapsed + other.elapsed,
        }
    }

    /// Syncs per second.
    pub fn per_second(&self) -> f64 {
        rate(self.syncs as f64, self.elapsed)
    }

    /// Bytes these syncs appended (counted by `wchar`, so subtracted from a system's writes).
    pub fn bytes_written(&self) -> u64 {
        (self.syncs * FLOOR_APPEND_BYTES) as u64
    }
}

/// `count` per second over `elapsed`.
pub fn rate(count: f64, elapsed: Duration) -> f64 {
    count / elapsed.as_secs_f64().max(1e-9)
}

/// Bytes this process has passed to `write` and its kin so far (`wchar` of `/proc/self/io`),
/// all threads included.
pub fn written_bytes() -> Result<u64> {
    proc_field("/proc/self/io", "wchar:")
}

/// Peak resident memory of this process so far, in bytes (`VmHWM` of `/proc/self/status`).
pub fn peak_resident_bytes() -> Result<u64> {
    Ok(proc_field("/proc/self/status", "VmHWM:")? * 1024)
}

/// The number after `label` in a `/proc` file of `label value` lines.
fn proc_field(path: &str, label: &str) -> Result<u64> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .with_context(|| format!("{path} has no {label} line"))?;
    let number = line.split_whitespace().next().unwrap_or_default();
    number
        .parse()
        .with_context(|| format!("{path}: {label} {line:?} is not a number"))
}

/// Bytes under `dir`: the sum of the lengths of its files, recursively (`du -sb`).
pub fn directory_bytes(dir: &Path) -> Result<u64> {
    directory_sum(dir, &|metadata| metadata.len())
}

/// Bytes allocated to the files under `dir`, recursively (`du -s`, in bytes): what the file
/// system gave them, which for a sparse or preallocated file differs from its length.
pub fn directory_allocated_bytes(dir: &Path) -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    directory_sum(dir, &|metadata| metadata.blocks() * 512)
}

/// The sum of `size` over the files under `dir`, recursively.
fn directory_sum(dir: &Path, size: &dyn Fn(&std::fs::Metadata) -> u64) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let metadata = entry
            .metadata()
            .with_context(|| format!("reading {}", entry.path().display()))?;
        total += if metadata.is_dir() {
            directory_sum(&entry.path(), size)?
        } else {
            size(&metadata)
        };
    }
    Ok(total)
}

/// Per-operation latencies of a phase, in nanoseconds, collected then sorted.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    samples: Vec<u64>,
}

impl Latencies {
    /// Room for `count` samples, so recording does not allocate.
    pub fn with_capacity(count: usize) -> Latencies {
        Latencies {
            samples: Vec::with_capacity(count),
        }
    }

    /// Times `operation` and records how long it took.
    #[inline]
    pub fn time<T>(&mut self, operation: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = operation();
        self.samples
            .push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        out
    }

    /// The p50 and p99 in microseconds (nearest rank); `None` without samples.
    pub fn percentiles(mut self) -> Option<(f64, f64)> {
        if self.samples.is_empty() {
            return None;
        }
        self.samples.sort_unstable();
        let at = |p: f64| {
            let rank = ((p * self.samples.len() as f64).ceil() as usize).max(1);
            self.samples[rank.min(self.samples.len()) - 1] as f64 / 1000.0
        };
        Some((at(0.50), at(0.99)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut latencies = Latencies::with_capacity(100);
        latencies.samples = (1..=100).map(|us| us * 1000).collect();
        assert_eq!(latencies.percentiles(), Some((50.0, 99.0)));
        assert_eq!(Latencies::default().percentiles(), None);
    }

    #[test]
    fn proc_counters_are_readable() -> Result<()> {
        assert!(peak_resident_bytes()? > 0);
        let before = written_bytes()?;
        let dir = tempfile::tempdir()?;
        let floor = fsync_floor(&dir.path().join("floor"), 3)?;
        assert_eq!(floor.syncs, 3);
        assert!(written_bytes()? >= before + floor.bytes_written());
        assert_eq!(directory_bytes(dir.path())?, 300);
        Ok(())
    }
}
