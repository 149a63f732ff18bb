//! What the storage holds on disk and in memory, as [`Dynafile::info`](crate::Dynafile::info)
//! reports it.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{Error, Result};
use crate::storage::manifest::{MANIFEST_FILE, partition_id};
use crate::storage::store::Store;
use crate::storage::version::Snapshot;
use crate::storage::wal::list_segments;

/// The storage's files and sizes as one snapshot sees them: the table's keyspace and the
/// log.
pub(crate) struct StoreStats {
    /// The table's keyspace.
    pub table: KeyspaceStats,
    /// Log segments in the log directory.
    pub log_segments: usize,
    /// Bytes of the log segments, including the space grown ahead of their records.
    pub log_bytes: u64,
}

/// One keyspace's files and sizes (the table's items, or an index's entries).
pub(crate) struct KeyspaceStats {
    /// Hash ranges (physical partitions).
    pub hash_ranges: usize,
    /// Partition files: the ranges' base files and the runs over them.
    pub partition_files: usize,
    /// The partition files that are runs written over a base file.
    pub partition_runs: usize,
    /// Bytes of the partition files.
    pub partition_bytes: u64,
    /// Partition files that a checkpoint replaced, still on disk until no reader uses them.
    pub obsolete_files: usize,
    /// Bytes of the obsolete partition files.
    pub obsolete_bytes: u64,
    /// Bytes of the manifest.
    pub manifest_bytes: u64,
    /// Bytes of recent changes held in memory, not yet in partition files.
    pub memtable_bytes: u64,
}

impl Store {
    /// The files and sizes of `snapshot`'s version of the table's keyspace; the log
    /// segments and obsolete partition files on disk now.
    pub(crate) fn stats(&self, snapshot: &Snapshot) -> Result<StoreStats> {
        let table = keyspace_stats(snapshot, &self.dir, &self.partitions_dir)?;
        let mut log_segments = 0;
        let mut log_bytes = 0;
        for (_, path) in list_segments(self.wal.dir())? {
            // A checkpoint may delete a segment between the listing and this.
            if let Some(bytes) = file_len(&path)? {
                log_segments += 1;
                log_bytes += bytes;
            }
        }
        Ok(StoreStats {
            table,
            log_segments,
            log_bytes,
        })
    }
}

/// The files and sizes of the keyspace `snapshot` reads (see [`Snapshot::keyspace`]), whose
/// manifest is in `dir` and partition files in `partitions_dir`; its obsolete partition
/// files on disk now.
pub(crate) fn keyspace_stats(
    snapshot: &Snapshot,
    dir: &Path,
    partitions_dir: &Path,
) -> Result<KeyspaceStats> {
    let version = snapshot.version();
    let files: Vec<_> = version
        .ranges
        .iter()
        .flat_map(|range| range.files_newest_first())
        .collect();
    let partition_runs = version.ranges.iter().map(|range| range.runs.len()).sum();
    let live: HashSet<u64> = files.iter().map(|file| file.meta.id).collect();
    let (mut obsolete_files, mut obsolete_bytes) = (0, 0);
    let listing = std::fs::read_dir(partitions_dir).map_err(|e| Error::io(partitions_dir, e))?;
    for entry in listing {
        let path = entry.map_err(|e| Error::io(partitions_dir, e))?.path();
        if partition_id(&path).is_some_and(|id| !live.contains(&id))
            && let Some(bytes) = file_len(&path)?
        {
            obsolete_files += 1;
            obsolete_bytes += bytes;
        }
    }
    let memtables = std::iter::once(&version.active).chain(version.frozen.iter());
    Ok(KeyspaceStats {
        hash_ranges: version.ranges.len(),
        partition_files: files.len(),
        partition_runs,
        partition_bytes: files.iter().map(|file| file.meta.size).sum(),
        obsolete_files,
        obsolete_bytes,
        manifest_bytes: file_len(&dir.join(MANIFEST_FILE))?.unwrap_or(0),
        memtable_bytes: memtables.map(|table| table.bytes() as u64).sum(),
    })
}

/// The length of the file at `path`; `None` when there is none.
pub(crate) fn file_len(path: &Path) -> Result<Option<u64>> {
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(Some(metadata.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}
