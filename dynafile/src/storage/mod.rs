//! Storage: the log, memtables, partition files, manifest, checkpoints and cache.
//!
//! It knows byte keys (ordered, starting with an 8-byte hash that places them in a hash
//! range) and byte values, nothing of items or expressions.

mod block;
mod bloom;
mod cache;
mod check;
mod checkpoint;
mod cursor;
mod fs;
mod manifest;
mod memtable;
mod partition_file;
mod stats;
mod store;
mod stream_log;
mod version;
mod wal;
mod worker;

use std::time::Duration;

pub use check::{CheckReport, Problem};
pub(crate) use cursor::{Direction, KeyBounds};
pub(crate) use fs::{remove_atomic_leftovers, write_atomic};
pub(crate) use manifest::MANIFEST_FILE;
pub(crate) use stats::{KeyspaceStats, StoreStats, file_len, keyspace_stats};
pub(crate) use store::{KeyspaceSpec, PARTITIONS_DIR, Store, WAL_DIR, lock};
pub(crate) use stream_log::{
    RetentionLimits, SEGMENT_BYTES, StreamLog, StreamRecord, UnsyncedSegment, now_ms, scan_segment,
};
pub(crate) use version::{Found, Snapshot, StoreIter};
pub(crate) use wal::{KeyspaceId, Op, TABLE_KEYSPACE};

/// When a write is made durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// A write returns once it is on stable storage: it survives `kill -9` and power loss.
    /// Concurrent writers share syncs (group commit).
    #[default]
    Immediate,
    /// A write returns once it is in the log's buffer; a background thread syncs the log
    /// within the table's sync interval. A crash may lose the writes of that interval, never
    /// part of a write, and never corrupts the table.
    Buffered,
}

/// Sizes and intervals of the storage engine.
#[derive(Clone, Debug)]
pub(crate) struct StoreOptions {
    /// Memtable size that triggers a checkpoint.
    pub memtable_bytes: usize,
    /// Partition files split past this size.
    pub target_file_bytes: u64,
    /// Uncompressed block size.
    pub block_bytes: usize,
    /// Block cache budget.
    pub cache_bytes: usize,
    /// How often buffered writes are synced.
    pub sync_interval: Duration,
    /// Runs a hash range may collect before they are merged into its base.
    pub max_runs: usize,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            memtable_bytes: 16 << 20,
            target_file_bytes: 4 << 20,
            block_bytes: 16 << 10,
            cache_bytes: 64 << 20,
            sync_interval: Duration::from_millis(50),
            max_runs: 6,
        }
    }
}
