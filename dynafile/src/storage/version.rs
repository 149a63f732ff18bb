//! What a read sees: the live partition files, the ranges they form, versions of the whole,
//! and snapshots that read one version at one sequence number.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::Result;
use crate::key::hash_of_encoded;
use crate::storage::block::Block;
use crate::storage::cache::BlockCache;
use crate::storage::cursor::{
    ChainCursor, Cursor, Direction, FileCursor, KeyBounds, MemCursor, MergeCursor,
};
use crate::storage::manifest::{FileMeta, RangeMeta, partition_path};
use crate::storage::memtable::MemTable;
use crate::storage::partition_file::PartitionFile;
use crate::storage::wal::{KeyspaceId, TABLE_KEYSPACE};

/// A live partition file, opened on first use. Once replaced by a checkpoint it is marked
/// obsolete and deleted when the last reader that may use it lets go.
pub(crate) struct FileHandle {
    pub meta: FileMeta,
    /// The keyspace the file belongs to: file ids are unique within one.
    space: KeyspaceId,
    /// The partitions directory, shared by every handle (the file's path is built only when
    /// needed, so that opening a table costs no allocation per file).
    dir: Arc<Path>,
    opened: OnceLock<Arc<PartitionFile>>,
    obsolete: AtomicBool,
}

impl FileHandle {
    /// A handle of a file just written, already open.
    pub(crate) fn opened(
        meta: FileMeta,
        space: KeyspaceId,
        dir: Arc<Path>,
        file: PartitionFile,
    ) -> Arc<FileHandle> {
        Arc::new(FileHandle {
            meta,
            space,
            dir,
            opened: OnceLock::from(Arc::new(file)),
            obsolete: AtomicBool::new(false),
        })
    }

    pub(crate) fn new(meta: FileMeta, space: KeyspaceId, dir: Arc<Path>) -> Arc<FileHandle> {
        Arc::new(FileHandle {
            meta,
            space,
            dir,
            opened: OnceLock::new(),
            obsolete: AtomicBool::new(false),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> PathBuf {
        partition_path(&self.dir, self.meta.id)
    }

    /// The open file (opening it and reading its index and filter the first time).
    pub(crate) fn file(&self) -> Result<Arc<PartitionFile>> {
        if let Some(file) = self.opened.get() {
            return Ok(Arc::clone(file));
        }
        let file = Arc::new(PartitionFile::open(
            cache_id(self.space, self.meta.id),
            &self.path(),
        )?);
        // Two threads may open it at once; either copy is fine.
        Ok(Arc::clone(self.opened.get_or_init(|| file)))
    }

    pub(crate) fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            // Best effort: a file left behind is removed before the next open's first
            // checkpoint.
            let _ = std::fs::remove_file(self.path());
        }
    }
}

/// The id under which the block cache keeps the blocks of file `id` of keyspace `space`:
/// unique in the table, as file ids are only unique within their keyspace.
pub(crate) fn cache_id(space: KeyspaceId, id: u64) -> u64 {
    (u64::from(space) << 48) | id
}

/// One hash range: a base file and the runs written over it since, oldest first.
#[derive(Clone)]
pub(crate) struct Range {
    pub start: u64,
    pub base: Option<Arc<FileHandle>>,
    pub runs: Vec<Arc<FileHandle>>,
}

impl Range {
    pub(crate) fn meta(&self) -> RangeMeta {
        RangeMeta {
            start: self.start,
            base: self.base.as_ref().map(|f| f.meta.clone()),
            runs: self.runs.iter().map(|f| f.meta.clone()).collect(),
        }
    }

    /// Files newest first: the order a read consults them in.
    pub(crate) fn files_newest_first(&self) -> impl Iterator<Item = &Arc<FileHandle>> {
        self.runs.iter().rev().chain(self.base.iter())
    }
}

/// What a read sees: memtables and the live ranges. Replaced, never changed.
pub(crate) struct Version {
    pub active: Arc<MemTable>,
    pub frozen: Option<Arc<MemTable>>,
    pub ranges: Vec<Range>,
}

impl Version {
    /// The index of the range holding keys of `hash`.
    pub(crate) fn range_index(&self, hash: u64) -> usize {
        self.ranges
            .partition_point(|range| range.start <= hash)
            .saturating_sub(1)
    }

    /// The key bounds of range `index`: from its start hash up to the next range's.
    pub(crate) fn range_bounds(&self, index: usize) -> (Vec<u8>, Option<Vec<u8>>) {
        let low = self.ranges[index].start.to_be_bytes().to_vec();
        let high = self
            .ranges
            .get(index + 1)
            .map(|next| next.start.to_be_bytes().to_vec());
        (low, high)
    }
}

/// The versions of every keyspace of a store, by keyspace number. Replaced together, so a
/// snapshot sees every keyspace at the same commits.
pub(crate) struct Versions {
    pub spaces: Vec<Arc<Version>>,
}

impl Versions {
    /// Bytes in the active memtables of all keyspaces.
    pub(crate) fn active_bytes(&self) -> usize {
        self.spaces
            .iter()
            .map(|version| version.active.bytes())
            .sum()
    }
}

/// A value found by a read: in a memtable, or in a cached block.
pub(crate) enum Found {
    Memory(Arc<[u8]>),
    Block(Arc<Block>, usize),
}

impl Found {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Found::Memory(bytes) => bytes,
            Found::Block(block, index) => block.value(*index).unwrap_or_default(),
        }
    }
}

/// A consistent read view of one keyspace: every read through it sees the same commits,
/// and so does every view of another keyspace taken from it with [`Snapshot::keyspace`].
pub(crate) struct Snapshot {
    pub(crate) versions: Arc<Versions>,
    pub(crate) version: Arc<Version>,
    pub(crate) seq: u64,
    pub(crate) cache: Arc<BlockCache>,
}

impl Snapshot {
    /// A view of the table's keyspace.
    pub(crate) fn new(versions: Arc<Versions>, seq: u64, cache: Arc<BlockCache>) -> Snapshot {
        let version = Arc::clone(&versions.spaces[TABLE_KEYSPACE as usize]);
        Snapshot {
            versions,
            version,
            seq,
            cache,
        }
    }

    /// The same view of keyspace `space`; `None` when the store has no such keyspace.
    pub(crate) fn keyspace(&self, space: KeyspaceId) -> Option<Snapshot> {
        let version = Arc::clone(self.versions.spaces.get(space as usize)?);
        Some(Snapshot {
            versions: Arc::clone(&self.versions),
            version,
            seq: self.seq,
            cache: Arc::clone(&self.cache),
        })
    }

    /// The version this snapshot reads.
    pub(crate) fn version(&self) -> &Arc<Version> {
        &self.version
    }

    /// The value of `key`, if it has one.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Found>> {
        get_in(&self.version, self.seq, &self.cache, key)
    }

    /// The entries within `bounds`, in key order or reverse key order. `expected` is how many
    /// entries the reader will take at most, when it knows.
    pub(crate) fn iter(
        &self,
        bounds: KeyBounds,
        direction: Direction,
        expected: Option<usize>,
        partition: Option<&[u8]>,
    ) -> Result<StoreIter> {
        let version = Arc::clone(&self.version);
        let first = match &bounds.start {
            Bound::Unbounded => 0,
            Bound::Included(key) | Bound::Excluded(key) => {
                version.range_index(hash_of_encoded(key))
            }
        };
        let last = match &bounds.end {
            Bound::Unbounded => version.ranges.len() - 1,
            Bound::Included(key) | Bound::Excluded(key) => {
                version.range_index(hash_of_encoded(key))
            }
        };
        // One allocation of the bounds for every cursor of the read.
        let bounds = Arc::new(bounds);
        let mut sources: Vec<Box<dyn Cursor>> = Vec::with_capacity(4);
        for table in std::iter::once(&version.active).chain(version.frozen.iter()) {
            if partition.is_some_and(|prefix| !table.may_hold_partition(prefix)) {
                continue;
            }
            sources.push(Box::new(MemCursor::expecting(
                Arc::clone(table),
                Arc::clone(&bounds),
                self.seq,
                direction,
                expected,
            )));
        }
        if last <= first {
            // One range (every query). Keys are ordered by their hash first, so every key
            // between two keys of one range is in it too: the read's bounds need no clamping,
            // and the range's files merge with the memtables directly.
            for handle in version.ranges[first].files_newest_first() {
                let file = handle.file()?;
                if partition.is_some_and(|prefix| !file.may_hold_partition(prefix)) {
                    continue;
                }
                let cursor = FileCursor::new(
                    file,
                    Arc::clone(&self.cache),
                    Arc::clone(&bounds),
                    direction,
                )?;
                sources.push(Box::new(cursor));
            }
            return Ok(StoreIter {
                cursor: MergeCursor::new(sources, direction),
                started: false,
            });
        }
        let mut ranges = Vec::with_capacity(last - first + 1);
        for index in first..=last {
            let (low, high) = version.range_bounds(index);
            let high = match &high {
                Some(high) => Bound::Excluded(high.as_slice()),
                None => Bound::Unbounded,
            };
            let range_bounds = bounds.clamp(Bound::Included(&low), high);
            ranges.push((index, Arc::new(range_bounds)));
        }
        if direction == Direction::Reverse {
            ranges.reverse();
        }
        let cache = Arc::clone(&self.cache);
        let opener_version = Arc::clone(&version);
        let opener = Box::new(
            move |index: usize, range_bounds: &Arc<KeyBounds>| -> Result<Box<dyn Cursor>> {
                let range = &opener_version.ranges[index];
                let mut files: Vec<Box<dyn Cursor>> = Vec::new();
                for handle in range.files_newest_first() {
                    let cursor = FileCursor::new(
                        handle.file()?,
                        Arc::clone(&cache),
                        Arc::clone(range_bounds),
                        direction,
                    )?;
                    files.push(Box::new(cursor));
                }
                Ok(Box::new(MergeCursor::new(files, direction)) as Box<dyn Cursor>)
            },
        );
        sources.push(Box::new(ChainCursor::new(ranges, opener)?));
        Ok(StoreIter {
            cursor: MergeCursor::new(sources, direction),
            started: false,
        })
    }
}

/// The value of `key` in `version` as of commit `seq`, if it has one.
pub(crate) fn get_in(
    version: &Version,
    seq: u64,
    cache: &BlockCache,
    key: &[u8],
) -> Result<Option<Found>> {
    for table in std::iter::once(&version.active).chain(version.frozen.iter()) {
        if let Some(value) = table.get(key, seq) {
            return Ok(value.map(Found::Memory));
        }
    }
    let range = &version.ranges[version.range_index(hash_of_encoded(key))];
    for handle in range.files_newest_first() {
        let file = handle.file()?;
        if let Some((block, index)) = file.get(key, cache)? {
            return Ok(block
                .value(index)
                .is_some()
                .then_some(Found::Block(block, index)));
        }
    }
    Ok(None)
}

/// Entries of a snapshot within bounds; tombstones are skipped.
pub(crate) struct StoreIter {
    cursor: MergeCursor,
    started: bool,
}

impl StoreIter {
    /// The next live entry as `(key, value)`.
    pub(crate) fn next_entry(&mut self) -> Result<Option<(&[u8], &[u8])>> {
        if self.started {
            self.cursor.advance()?;
        }
        self.started = true;
        loop {
            match self.cursor.current() {
                None => return Ok(None),
                Some((_, Some(_))) => break,
                Some((_, None)) => self.cursor.advance()?,
            }
        }
        Ok(self
            .cursor
            .current()
            .map(|(key, value)| (key, value.unwrap_or_default())))
    }
}
