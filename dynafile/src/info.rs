//! `Dynafile::info`: what a table is and what it holds, for people and monitoring.

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::builder::META_FILE;
use crate::error::Result;
use crate::index::{Index, IndexKind, IndexProjection};
use crate::key::KeySchema;
use crate::storage::{
    Direction, KeyBounds, KeyspaceStats, PARTITIONS_DIR, Snapshot, StoreStats, file_len,
    keyspace_stats,
};
use crate::table::{Dynafile, Table};

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
    /// The table's secondary indexes, in the order they were declared or added (left out
    /// of the JSON when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<IndexInfo>,
    /// The TTL setting and the sweep's work, while TTL is enabled (left out of the JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<TtlInfo>,
}

/// One secondary index as [`TableInfo`] reports it: its definition, state, entries and
/// files (in `indexes/<name>/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IndexInfo {
    /// The index's name.
    pub name: String,
    /// Global or local.
    pub kind: IndexKind,
    /// The index's partition and optional sort key.
    pub key_schema: KeySchema,
    /// The attributes its entries hold besides the keys.
    pub projection: IndexProjection,
    /// Whether it is still being filled with the entries of the items already there.
    pub status: IndexStatus,
    /// The number of entries: the table's items that have the index's key attributes (a
    /// sparse index has fewer entries than the table has items).
    pub item_count: u64,
    /// Hash ranges the entries are placed in, by the index's partition key.
    pub hash_ranges: usize,
    /// The partition files that are runs of recent changes over a range's base file.
    pub partition_runs: usize,
    /// Bytes of recent changes to the index held in memory.
    pub memtable_bytes: u64,
    /// The index's files, by kind.
    pub files: IndexFiles,
}

/// Whether an index can be read (DynamoDB's `IndexStatus`, where a backfilling index is
/// `CREATING`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IndexStatus {
    /// A global index added to the table whose backfill has not finished: writes maintain
    /// it, reads of it are refused.
    Building,
    /// Built: reads of it are served.
    Active,
}

/// The files of one index: how many and their bytes on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IndexFiles {
    /// The index's manifest of live partition files.
    pub manifest: FileGroup,
    /// The live partition files.
    pub partitions: FileGroup,
    /// Partition files a checkpoint replaced that are still on disk.
    pub obsolete_partitions: FileGroup,
    /// All of the above.
    pub total: FileGroup,
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
    /// The files of every secondary index (`indexes/*/`), each also in
    /// [`IndexInfo::files`] (left out of the JSON when the table has no index).
    #[serde(skip_serializing_if = "FileGroup::is_empty")]
    pub indexes: FileGroup,
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
    /// The table's description, item count and files, and the same of each index.
    ///
    /// Counting the items (and each index's entries) reads every key of one snapshot (as a
    /// scan does, without decoding them), so it costs time in proportion to the table's
    /// size; everything else comes
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
        let item_count = count_entries(&snapshot)?;
        // An index added since the snapshot was taken is not in it, and not reported.
        let indexes = table
            .hooks
            .indexes
            .load()
            .iter()
            .filter_map(|index| Some((snapshot.keyspace(index.space)?, index)))
            .map(|(view, index)| index_info(table, &view, index))
            .collect::<Result<Vec<_>>>()?;
        let index_files = indexes.iter().fold(FileGroup::default(), |sum, index| {
            sum.plus(index.files.total)
        });
        let meta_bytes = file_len(&table.path.join(META_FILE))?;
        Ok(TableInfo {
            name: table.meta.name.clone(),
            format_version: table.meta.format_version,
            key_schema: table.meta.key_schema.clone(),
            item_count,
            hash_ranges: stats.table.hash_ranges,
            partition_runs: stats.table.partition_runs,
            memtable_bytes: stats.table.memtable_bytes,
            files: files(&stats, meta_bytes, table.streams.files(), index_files),
            indexes,
            ttl: table.hooks.expiry.load().as_deref().map(|expiry| TtlInfo {
                attribute: expiry.attribute.clone(),
                building: !expiry.is_built(),
                sweep_entries_read: table.ttl.entries_read.load(Ordering::Relaxed),
                swept_items: table.ttl.items_deleted.load(Ordering::Relaxed),
            }),
        })
    }
}

/// The entries `snapshot` sees in its keyspace.
fn count_entries(snapshot: &Snapshot) -> Result<u64> {
    let mut entries = snapshot.iter(KeyBounds::all(), Direction::Forward, None, None)?;
    let mut count = 0;
    while entries.next_entry()?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// What `view` (a snapshot of `index`'s keyspace) holds of `index`.
fn index_info(table: &Table, view: &Snapshot, index: &Index) -> Result<IndexInfo> {
    let dir = table.path.join(index.meta.relative_dir());
    let stats = keyspace_stats(view, &dir, &dir.join(PARTITIONS_DIR))?;
    Ok(IndexInfo {
        name: index.name().to_owned(),
        kind: index.meta.kind,
        key_schema: index.schema().clone(),
        projection: index.meta.projection.clone(),
        status: if index.is_built() {
            IndexStatus::Active
        } else {
            IndexStatus::Building
        },
        item_count: count_entries(view)?,
        hash_ranges: stats.hash_ranges,
        partition_runs: stats.partition_runs,
        memtable_bytes: stats.memtable_bytes,
        files: index_files(&stats),
    })
}

/// A keyspace's manifest, live and obsolete partition files.
fn keyspace_files(stats: &KeyspaceStats) -> [FileGroup; 3] {
    [
        FileGroup::new(1, stats.manifest_bytes),
        FileGroup::new(stats.partition_files, stats.partition_bytes),
        FileGroup::new(stats.obsolete_files, stats.obsolete_bytes),
    ]
}

fn index_files(stats: &KeyspaceStats) -> IndexFiles {
    let [manifest, partitions, obsolete_partitions] = keyspace_files(stats);
    IndexFiles {
        manifest,
        partitions,
        obsolete_partitions,
        total: manifest.plus(partitions).plus(obsolete_partitions),
    }
}

fn files(
    stats: &StoreStats,
    meta_bytes: Option<u64>,
    stream: FileGroup,
    indexes: FileGroup,
) -> TableFiles {
    let meta = FileGroup::new(usize::from(meta_bytes.is_some()), meta_bytes.unwrap_or(0));
    let [manifest, partitions, obsolete_partitions] = keyspace_files(&stats.table);
    let log = FileGroup::new(stats.log_segments, stats.log_bytes);
    TableFiles {
        meta,
        manifest,
        partitions,
        obsolete_partitions,
        log,
        stream,
        indexes,
        total: meta
            .plus(manifest)
            .plus(partitions)
            .plus(obsolete_partitions)
            .plus(log)
            .plus(stream)
            .plus(indexes),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::{Dynafile, IndexProjection, IndexStatus, KeyType, item};

    /// An index whose backfill has not finished is reported as building, with the entries
    /// written so far.
    #[test]
    fn an_unbuilt_index_is_building() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let db = Dynafile::builder(dir.path().join("db"))
            .partition_key("PK", KeyType::S)
            .global_index("by_team", "team", KeyType::S, None, IndexProjection::All)
            .open()?;
        db.put_item(&item! { "PK" => "a", "team" => "red" })?;
        let statuses = |db: &Dynafile| -> crate::Result<Vec<(IndexStatus, u64)>> {
            Ok(db
                .info()?
                .indexes
                .iter()
                .map(|index| (index.status, index.item_count))
                .collect())
        };
        assert_eq!(statuses(&db)?, vec![(IndexStatus::Active, 1)]);
        db.table.hooks.indexes.load()[0]
            .built
            .store(false, Ordering::Release);
        assert_eq!(statuses(&db)?, vec![(IndexStatus::Building, 1)]);
        Ok(())
    }
}
