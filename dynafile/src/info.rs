//! `Dynafile::info`: what a table is and what it holds, for people and monitoring.

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::builder::META_FILE;
use crate::error::Result;
use crate::key::KeySchema;
use crate::storage::{Direction, KeyBounds, StoreStats, file_len};
use crate::table::Dynafile;

/// What [`Dynafile::info`] reports: the table's description, how many items it holds, and
/// its files.
///
/// It serializes (with serde) as the JSON object `dynafile info` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TableInfo {
    /// The table's name.
    pub name: String,
    /// The on-disk format version of the table.
    pub format_version: u32,
    /// The table's key schema.
    pub key_schema: KeySchema,
    /// The number of items (counting expired ones the sweep has not deleted yet).
    pub item_count: u64,
    /// Hash ranges the items are placed in (DynamoDB's physical partitions); each is one
    /// partition file and the runs written over it since it was last rewritten.
    pub hash_ranges: usize,
    /// The partition files that are runs of recent changes over a range's base file (they
    /// are counted in [`TableFiles::partitions`] too).
    pub partition_runs: usize,
    /// Bytes of recent changes held in memory (and in the log) that no checkpoint has written
    /// to partition files yet.
    pub memtable_bytes: u64,
    /// The table's files, by kind.
    pub files: TableFiles,
    /// The TTL setting and the sweep's work, while TTL is enabled (left out of the JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<TtlInfo>,
}

/// The TTL part of [`TableInfo`]: the setting and what the sweeps did since the table was
/// opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TtlInfo {
    /// The attribute holding each item's expiry.
    pub attribute: String,
    /// True while TTL enabled on an existing table is still filling its expiry entries
    /// (expired items are invisible already; the sweep waits for it).
    pub building: bool,
    /// Expiry entries the sweeps read since the table was opened: about the items that
    /// expired, whatever the table's size.
    pub sweep_entries_read: u64,
    /// Items the sweeps deleted since the table was opened.
    pub swept_items: u64,
}

/// The files of a table by kind: how many and their bytes on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TableFiles {
    /// `meta.json`, the table's description.
    pub meta: FileGroup,
    /// The manifest of live partition files.
    pub manifest: FileGroup,
    /// The live partition files (`partitions/*.dfp`), as the manifest lists them.
    pub partitions: FileGroup,
    /// Partition files a checkpoint replaced that are still on disk: each is deleted once no
    /// reader uses it (or at the next open).
    pub obsolete_partitions: FileGroup,
    /// The write-ahead log's segments (`wal/*.log`). Their length includes the space a
    /// segment is grown by ahead of its records.
    pub log: FileGroup,
    /// The durable change stream's segments (`stream/*.seg`), when the table has one (left
    /// out of the JSON when it has none).
    #[serde(skip_serializing_if = "FileGroup::is_empty")]
    pub stream: FileGroup,
    /// All of the above.
    pub total: FileGroup,
}

/// A number of files and their total length in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FileGroup {
    /// How many files.
    pub count: usize,
    /// Their total length in bytes.
    pub bytes: u64,
}

impl FileGroup {
    /// A group of `count` files of `bytes` bytes in all.
    #[must_use]
    pub fn new(count: usize, bytes: u64) -> FileGroup {
        FileGroup { count, bytes }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn plus(self, other: FileGroup) -> FileGroup {
        FileGroup::new(self.count + other.count, self.bytes + other.bytes)
    }
}

impl Dynafile {
    /// The table's description, item count and files.
    ///
    /// Counting the items reads every key of one snapshot (as a scan does, without decoding
    /// the items), so it costs time in proportion to the table's size; everything else comes
    /// from what the open table already knows, plus a listing of the log directory.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("users")).partition_key("PK", KeyType::S).open()?;
    /// db.put_item(&item! { "PK" => "user#1" })?;
    /// let info = db.info()?;
    /// assert_eq!((info.name.as_str(), info.item_count), ("users", 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn info(&self) -> Result<TableInfo> {
        let table = &self.table;
        let snapshot = table.store.snapshot();
        let stats = table.store.stats(&snapshot)?;
        let mut entries = snapshot.iter(KeyBounds::all(), Direction::Forward, None, None)?;
        let mut item_count = 0;
        while entries.next_entry()?.is_some() {
            item_count += 1;
        }
        let meta_bytes = file_len(&table.path.join(META_FILE))?;
        Ok(TableInfo {
            name: table.meta.name.clone(),
            format_version: table.meta.format_version,
            key_schema: table.meta.key_schema.clone(),
            item_count,
            hash_ranges: stats.hash_ranges,
            partition_runs: stats.partition_runs,
            memtable_bytes: stats.memtable_bytes,
            files: files(&stats, meta_bytes, table.streams.files()),
            ttl: table.hooks.expiry.load().as_deref().map(|expiry| TtlInfo {
                attribute: expiry.attribute.clone(),
                building: !expiry.is_built(),
                sweep_entries_read: table.ttl.entries_read.load(Ordering::Relaxed),
                swept_items: table.ttl.items_deleted.load(Ordering::Relaxed),
            }),
        })
    }
}

fn files(stats: &StoreStats, meta_bytes: Option<u64>, stream: FileGroup) -> TableFiles {
    let meta = FileGroup::new(usize::from(meta_bytes.is_some()), meta_bytes.unwrap_or(0));
    let manifest = FileGroup::new(1, stats.manifest_bytes);
    let partitions = FileGroup::new(stats.partition_files, stats.partition_bytes);
    let obsolete_partitions = FileGroup::new(stats.obsolete_files, stats.obsolete_bytes);
    let log = FileGroup::new(stats.log_segments, stats.log_bytes);
    TableFiles {
        meta,
        manifest,
        partitions,
        obsolete_partitions,
        log,
        stream,
        total: meta
            .plus(manifest)
            .plus(partitions)
            .plus(obsolete_partitions)
            .plus(log)
            .plus(stream),
    }
}
