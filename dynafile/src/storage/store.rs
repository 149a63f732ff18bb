//! The store: one table's log, memtables and partition files behind reads and atomic commits.
//!
//! Reads take a snapshot (the current [`Version`] and the last visible sequence number) and
//! never wait for writers. Commits are serialized by the commit lock only while they get
//! their sequence number, queue their log record and enter the memtable; they wait for the
//! log sync outside it, so concurrent commits share syncs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use arc_swap::ArcSwap;

use crate::error::{Error, Result};
use crate::key::hash_of_encoded;
use crate::storage::block::Block;
use crate::storage::cache::BlockCache;
use crate::storage::cursor::{
    ChainCursor, Cursor, Direction, FileCursor, KeyBounds, MemCursor, MergeCursor,
};
use crate::storage::manifest::{FileMeta, Manifest, RangeMeta, partition_id, partition_path};
use crate::storage::memtable::MemTable;
use crate::storage::partition_file::PartitionFile;
use crate::storage::wal::{Op, Wal, prepare_record, seal_record};
use crate::storage::{Durability, StoreOptions};

pub(crate) const PARTITIONS_DIR: &str = "partitions";
pub(crate) const WAL_DIR: &str = "wal";

/// Locks a mutex whose data stays consistent even if a holder panicked (every critical
/// section in the store leaves its data whole).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A live partition file, opened on first use. Once replaced by a checkpoint it is marked
/// obsolete and deleted when the last reader that may use it lets go.
pub(crate) struct FileHandle {
    pub meta: FileMeta,
    pub path: PathBuf,
    opened: OnceLock<Arc<PartitionFile>>,
    obsolete: AtomicBool,
}

impl FileHandle {
    /// A handle of a file just written, already open.
    pub(crate) fn opened(meta: FileMeta, file: PartitionFile) -> Arc<FileHandle> {
        let path = file.path().to_owned();
        Arc::new(FileHandle {
            meta,
            path,
            opened: OnceLock::from(Arc::new(file)),
            obsolete: AtomicBool::new(false),
        })
    }

    pub(crate) fn new(meta: FileMeta, partitions_dir: &Path) -> Arc<FileHandle> {
        let path = partition_path(partitions_dir, meta.id);
        Arc::new(FileHandle {
            meta,
            path,
            opened: OnceLock::new(),
            obsolete: AtomicBool::new(false),
        })
    }

    /// The open file (opening it and reading its index and filter the first time).
    pub(crate) fn file(&self) -> Result<Arc<PartitionFile>> {
        if let Some(file) = self.opened.get() {
            return Ok(Arc::clone(file));
        }
        let file = Arc::new(PartitionFile::open(self.meta.id, &self.path)?);
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
            // Best effort: a file left behind is removed at the next open.
            let _ = std::fs::remove_file(&self.path);
        }
    }
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

/// A consistent read view: every read through it sees the same commits.
pub(crate) struct Snapshot {
    version: Arc<Version>,
    seq: u64,
    cache: Arc<BlockCache>,
}

impl Snapshot {
    /// The version this snapshot reads.
    pub(crate) fn version(&self) -> &Arc<Version> {
        &self.version
    }

    /// The value of `key`, if it has one.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Found>> {
        let version = &self.version;
        for table in std::iter::once(&version.active).chain(version.frozen.iter()) {
            if let Some(value) = table.get(key, self.seq) {
                return Ok(value.map(Found::Memory));
            }
        }
        let range = &version.ranges[version.range_index(hash_of_encoded(key))];
        for handle in range.files_newest_first() {
            let file = handle.file()?;
            if let Some((block, index)) = file.get(key, &self.cache)? {
                return Ok(block
                    .value(index)
                    .is_some()
                    .then_some(Found::Block(block, index)));
            }
        }
        Ok(None)
    }

    /// The entries within `bounds`, in key order or reverse key order. `expected` is how many
    /// entries the reader will take at most, when it knows.
    pub(crate) fn iter(
        &self,
        bounds: KeyBounds,
        direction: Direction,
        expected: Option<usize>,
    ) -> Result<StoreIter> {
        let version = Arc::clone(&self.version);
        let mut sources: Vec<Box<dyn Cursor>> = Vec::with_capacity(3);
        for table in std::iter::once(&version.active).chain(version.frozen.iter()) {
            sources.push(Box::new(MemCursor::expecting(
                Arc::clone(table),
                bounds.clone(),
                self.seq,
                direction,
                expected,
            )));
        }
        let first = match &bounds.start {
            std::ops::Bound::Unbounded => 0,
            std::ops::Bound::Included(key) | std::ops::Bound::Excluded(key) => {
                version.range_index(hash_of_encoded(key))
            }
        };
        let last = match &bounds.end {
            std::ops::Bound::Unbounded => version.ranges.len() - 1,
            std::ops::Bound::Included(key) | std::ops::Bound::Excluded(key) => {
                version.range_index(hash_of_encoded(key))
            }
        };
        let mut ranges = Vec::new();
        for index in first..=last.max(first) {
            let (low, high) = version.range_bounds(index);
            let high = match &high {
                Some(high) => std::ops::Bound::Excluded(high.as_slice()),
                None => std::ops::Bound::Unbounded,
            };
            ranges.push((index, bounds.clamp(std::ops::Bound::Included(&low), high)));
        }
        if let [(index, range_bounds)] = ranges.as_slice() {
            // One range (every query): its files merge with the memtables directly.
            for handle in version.ranges[*index].files_newest_first() {
                let cursor = FileCursor::new(
                    handle.file()?,
                    Arc::clone(&self.cache),
                    range_bounds.clone(),
                    direction,
                )?;
                sources.push(Box::new(cursor));
            }
            return Ok(StoreIter {
                cursor: MergeCursor::new(sources, direction),
                started: false,
            });
        }
        if direction == Direction::Reverse {
            ranges.reverse();
        }
        let cache = Arc::clone(&self.cache);
        let opener_version = Arc::clone(&version);
        let opener = Box::new(
            move |index: usize, range_bounds: &KeyBounds| -> Result<Box<dyn Cursor>> {
                let range = &opener_version.ranges[index];
                let mut files: Vec<Box<dyn Cursor>> = Vec::new();
                for handle in range.files_newest_first() {
                    let cursor = FileCursor::new(
                        handle.file()?,
                        Arc::clone(&cache),
                        range_bounds.clone(),
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

struct CommitState {
    next_seq: u64,
}

/// A memtable taken out of the write path to be checkpointed.
pub(crate) struct Frozen {
    pub table: Arc<MemTable>,
    /// Every commit up to this sequence number is in `table` or older files.
    pub last_seq: u64,
    /// The log segment started at the freeze: older segments hold nothing newer.
    pub wal_segment: u64,
}

/// The checkpoint's state. Lock order: `checkpoint_running`, then `commit`, then this.
pub(crate) struct CheckpointState {
    /// The manifest last written.
    pub manifest: Manifest,
    /// The last checkpoint's failure, if it failed.
    pub failure: Option<String>,
    /// The frozen memtable's last sequence number and log segment, until it is installed.
    pub frozen: Option<(u64, u64)>,
    /// The id the next partition file gets. Ahead of the manifest's after a failed
    /// checkpoint: ids are never reused while the table is open, since blocks are cached by
    /// file id.
    pub next_file_id: u64,
}

/// What a checkpoint replaced: kept until nothing else holds it, so that freeing a memtable
/// and deleting replaced files happen in the background worker, not in the thread of
/// whichever reader lets go of them last.
enum Retired {
    Version(Arc<Version>),
    Table(Arc<MemTable>),
}

impl Retired {
    fn unused(&self) -> bool {
        match self {
            Retired::Version(version) => Arc::strong_count(version) == 1,
            Retired::Table(table) => Arc::strong_count(table) == 1,
        }
    }
}

struct BackgroundState {
    stop: bool,
    checkpoint_requested: bool,
}

/// One table's storage.
pub(crate) struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) partitions_dir: PathBuf,
    pub(crate) options: StoreOptions,
    pub(crate) wal: Wal,
    pub(crate) cache: Arc<BlockCache>,
    pub(crate) version: ArcSwap<Version>,
    visible_seq: AtomicU64,
    commit: Mutex<CommitState>,
    commit_resumed: Condvar,
    pub(crate) checkpoint: Mutex<CheckpointState>,
    pub(crate) checkpoint_running: Mutex<()>,
    background: Mutex<BackgroundState>,
    background_wake: Condvar,
    graveyard: Mutex<Vec<Retired>>,
    /// Retired memtables that writers free a few entries a commit.
    draining: Mutex<Vec<MemTable>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    worker_started: AtomicBool,
}

impl Store {
    /// Opens the storage in `dir`, creating it when `create` is set: reads the manifest,
    /// removes the files a checkpoint killed midway left, replays the log after the
    /// manifest, and starts the background worker. Partition files are not read until a
    /// read needs them.
    ///
    /// `meta` names the table's description file and `meta_checksum` is the checksum of its
    /// content: a new store records it, an existing one must have recorded the same, so that
    /// damage to that file is caught.
    pub(crate) fn open(
        dir: &Path,
        options: StoreOptions,
        create: bool,
        meta: &Path,
        meta_checksum: u32,
    ) -> Result<Arc<Store>> {
        let partitions_dir = dir.join(PARTITIONS_DIR);
        let wal_dir = dir.join(WAL_DIR);
        let manifest = if create {
            std::fs::create_dir_all(&partitions_dir).map_err(|e| Error::io(&partitions_dir, e))?;
            std::fs::create_dir_all(&wal_dir).map_err(|e| Error::io(&wal_dir, e))?;
            let manifest = Manifest::empty(meta_checksum);
            manifest.store(dir)?;
            manifest
        } else {
            Manifest::load(dir)?
        };
        if manifest.meta_checksum != meta_checksum {
            return Err(Error::corrupt(
                meta,
                None,
                "its content does not match the checksum the manifest keeps of it (a name or \
                 key attribute was changed)",
            ));
        }
        remove_orphans(&partitions_dir, &manifest)?;
        let (wal, recovered) = Wal::open(&wal_dir, manifest.checkpoint_seq)?;
        let active = Arc::new(MemTable::new(options.memtable_bytes));
        for record in recovered.records {
            for op in record.ops {
                match op {
                    Op::Put { key, value } => active.insert(&key, record.seq, Some(value)),
                    Op::Delete { key } => active.insert(&key, record.seq, None),
                }
            }
        }
        let ranges = manifest
            .ranges
            .iter()
            .map(|meta| Range {
                start: meta.start,
                base: meta
                    .base
                    .clone()
                    .map(|file| FileHandle::new(file, &partitions_dir)),
                runs: meta
                    .runs
                    .iter()
                    .cloned()
                    .map(|file| FileHandle::new(file, &partitions_dir))
                    .collect(),
            })
            .collect();
        let replayed_bytes = active.bytes();
        let store = Arc::new(Store {
            dir: dir.to_owned(),
            partitions_dir,
            cache: Arc::new(BlockCache::new(options.cache_bytes)),
            wal,
            version: ArcSwap::from_pointee(Version {
                active,
                frozen: None,
                ranges,
            }),
            visible_seq: AtomicU64::new(recovered.last_seq),
            commit: Mutex::new(CommitState {
                next_seq: recovered.last_seq + 1,
            }),
            commit_resumed: Condvar::new(),
            checkpoint: Mutex::new(CheckpointState {
                next_file_id: manifest.next_file_id,
                manifest,
                failure: None,
                frozen: None,
            }),
            checkpoint_running: Mutex::new(()),
            background: Mutex::new(BackgroundState {
                stop: false,
                checkpoint_requested: false,
            }),
            background_wake: Condvar::new(),
            graveyard: Mutex::new(Vec::new()),
            draining: Mutex::new(Vec::new()),
            worker: Mutex::new(None),
            worker_started: AtomicBool::new(false),
            options,
        });
        if replayed_bytes >= store.options.memtable_bytes {
            store.start_worker()?;
            store.request_checkpoint();
        }
        Ok(store)
    }

    /// Starts the background worker (log syncs of buffered writes, checkpoints, freeing what
    /// checkpoints replaced) if it is not running. It starts with the first write: a table
    /// that is only read needs none.
    fn start_worker(self: &Arc<Self>) -> Result<()> {
        let mut worker = lock(&self.worker);
        if worker.is_some() || lock(&self.background).stop {
            return Ok(());
        }
        let store = Arc::clone(self);
        let handle = std::thread::Builder::new()
            .name("dynafile-background".into())
            .spawn(move || store.background_loop())
            .map_err(|e| Error::io(&self.dir, e))?;
        *worker = Some(handle);
        self.worker_started.store(true, Ordering::Release);
        Ok(())
    }

    /// A consistent view of everything committed so far.
    pub(crate) fn snapshot(&self) -> Snapshot {
        // The version first: a checkpoint that installs a newer one happened after every
        // sequence number it covers became visible.
        let version = self.version.load_full();
        let seq = self.visible_seq.load(Ordering::Acquire);
        Snapshot {
            version,
            seq,
            cache: Arc::clone(&self.cache),
        }
    }

    /// Commits `ops` atomically as one log record.
    pub(crate) fn commit(self: &Arc<Self>, ops: Vec<Op>, durability: Durability) -> Result<u64> {
        if ops.is_empty() {
            return Ok(self.visible_seq.load(Ordering::Acquire));
        }
        if !self.worker_started.load(Ordering::Acquire) {
            self.start_worker()?;
        }
        let record = prepare_record(&ops)?;
        let (seq, ()) = self.commit_prepared(durability, |_| Ok((ops, record, ())))?;
        Ok(seq)
    }

    /// Commits the changes `build` decides on after reading the latest state: the read and
    /// the write are atomic against every other commit. When `build` fails nothing is
    /// written.
    pub(crate) fn commit_with<T>(
        self: &Arc<Self>,
        durability: Durability,
        build: impl FnOnce(&Snapshot) -> Result<(Vec<Op>, T)>,
    ) -> Result<T> {
        if !self.worker_started.load(Ordering::Acquire) {
            self.start_worker()?;
        }
        let (_, out) = self.commit_prepared(durability, |latest| {
            let (ops, out) = build(latest)?;
            let record = if ops.is_empty() {
                Vec::new()
            } else {
                prepare_record(&ops)?
            };
            Ok((ops, record, out))
        })?;
        Ok(out)
    }

    fn commit_prepared<T>(
        &self,
        durability: Durability,
        build: impl FnOnce(&Snapshot) -> Result<(Vec<Op>, Vec<u8>, T)>,
    ) -> Result<(u64, T)> {
        let mut state = self.lock_commit();
        if let Some(reason) = self.wal.failure() {
            return Err(Error::Poisoned { reason });
        }
        // Under the commit lock every commit is applied: the snapshot is the latest state.
        let latest = self.snapshot();
        let (ops, mut record, out) = build(&latest)?;
        if ops.is_empty() {
            return Ok((latest.seq, out));
        }
        let ops_len = ops.len();
        let seq = state.next_seq;
        seal_record(&mut record, seq);
        self.wal.append(seq, &record);
        state.next_seq += 1;
        let active = &latest.version.active;
        for op in ops {
            match op {
                Op::Put { key, value } => active.insert(&key, seq, Some(value)),
                Op::Delete { key } => active.insert(&key, seq, None),
            }
        }
        self.visible_seq.store(seq, Ordering::Release);
        let full = active.bytes() >= self.options.memtable_bytes;
        let written = ops_len;
        drop(state);
        crate::storage::memtable::free_retired(&self.draining, written);
        if full {
            self.request_checkpoint();
        }
        if durability == Durability::Immediate {
            self.wal.sync_to(seq)?;
        }
        Ok((seq, out))
    }

    /// The commit lock, once the memtable has room (writers wait while a full memtable is
    /// behind an unfinished checkpoint, so memory stays bounded).
    fn lock_commit(&self) -> MutexGuard<'_, CommitState> {
        let mut state = lock(&self.commit);
        loop {
            let version = self.version.load();
            let behind = version.frozen.is_some()
                && version.active.bytes() >= 2 * self.options.memtable_bytes;
            if !behind || lock(&self.checkpoint).failure.is_some() {
                return state;
            }
            state = self
                .commit_resumed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Swaps in an empty memtable and starts a new log segment. `None` when there is nothing
    /// to checkpoint. After a failed checkpoint, returns the memtable frozen then.
    pub(crate) fn freeze(&self) -> Result<Option<Frozen>> {
        let state = lock(&self.commit);
        let current = self.version.load_full();
        if let Some(table) = &current.frozen
            && let Some((last_seq, wal_segment)) = lock(&self.checkpoint).frozen
        {
            return Ok(Some(Frozen {
                table: Arc::clone(table),
                last_seq,
                wal_segment,
            }));
        }
        if current.active.is_empty() {
            return Ok(None);
        }
        let wal_segment = self.wal.rotate()?;
        let table = Arc::clone(&current.active);
        self.version.store(Arc::new(Version {
            active: Arc::new(MemTable::new(self.options.memtable_bytes)),
            frozen: Some(Arc::clone(&table)),
            ranges: current.ranges.clone(),
        }));
        let last_seq = state.next_seq - 1;
        lock(&self.checkpoint).frozen = Some((last_seq, wal_segment));
        Ok(Some(Frozen {
            table,
            last_seq,
            wal_segment,
        }))
    }

    /// Installs the result of a checkpoint and lets stalled writers go on.
    pub(crate) fn install(&self, ranges: Vec<Range>, manifest: Manifest) {
        let _state = lock(&self.commit);
        let current = self.version.load_full();
        self.version.store(Arc::new(Version {
            active: Arc::clone(&current.active),
            frozen: None,
            ranges,
        }));
        // The replaced version holds the checkpointed memtable and the replaced files: the
        // background worker frees and deletes them once no reader holds them.
        let mut graveyard = lock(&self.graveyard);
        if let Some(table) = &current.frozen {
            graveyard.push(Retired::Table(Arc::clone(table)));
        }
        graveyard.push(Retired::Version(current));
        drop(graveyard);
        let mut checkpoint = lock(&self.checkpoint);
        checkpoint.manifest = manifest;
        checkpoint.frozen = None;
        checkpoint.failure = None;
        self.commit_resumed.notify_all();
    }

    /// Asks the background worker for a checkpoint.
    pub(crate) fn request_checkpoint(&self) {
        let mut state = lock(&self.background);
        state.checkpoint_requested = true;
        self.background_wake.notify_all();
    }

    fn background_loop(&self) {
        let mut state = lock(&self.background);
        loop {
            if state.stop {
                return;
            }
            if !state.checkpoint_requested {
                state = self
                    .background_wake
                    .wait_timeout(state, self.options.sync_interval)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                if state.stop {
                    return;
                }
            }
            let checkpoint = std::mem::take(&mut state.checkpoint_requested);
            drop(state);
            // Buffered writes become durable within the sync interval. A failure poisons
            // the log, and every later commit reports it.
            let appended = self.wal.last_appended();
            if appended > self.wal.durable_seq() {
                let _ = self.wal.sync_to(appended);
            }
            if checkpoint {
                let result = self.run_checkpoint();
                let mut checkpoint_state = lock(&self.checkpoint);
                checkpoint_state.failure = result.err().map(|e| e.to_string());
                drop(checkpoint_state);
                self.commit_resumed.notify_all();
            }
            self.free_retired();
            state = lock(&self.background);
        }
    }

    /// Drops what checkpoints retired and no reader holds any more.
    fn free_retired(&self) {
        let unused: Vec<Retired> = {
            let mut graveyard = lock(&self.graveyard);
            let (unused, held) = std::mem::take(&mut *graveyard)
                .into_iter()
                .partition(Retired::unused);
            *graveyard = held;
            unused
        };
        // Dropped here, outside the lock: deleting replaced files takes a while. A memtable
        // is not freed here but by the writers, a few entries a commit: its entries were
        // allocated by the threads that wrote them, and freeing them from this thread would
        // contend for their allocator with everything those threads do, reads included.
        for retired in unused {
            if let Retired::Table(table) = retired
                && let Ok(table) = Arc::try_unwrap(table)
            {
                lock(&self.draining).push(table);
            }
        }
    }

    /// Makes every commit durable and checkpoints the memtable, so that reopening reads no
    /// log. Called on close; safe to call at any time.
    pub(crate) fn flush(&self) -> Result<()> {
        self.wal.sync_to(self.wal.last_appended())?;
        self.run_checkpoint()
    }

    /// Stops the background worker and flushes. The store is still readable afterwards.
    pub(crate) fn shutdown(&self) -> Result<()> {
        {
            let mut state = lock(&self.background);
            state.stop = true;
            self.background_wake.notify_all();
        }
        if let Some(handle) = lock(&self.worker).take() {
            let _ = handle.join();
        }
        self.flush()
    }

    /// Holds off every commit while the guard lives.
    pub(crate) fn pause_writers(&self) -> impl Drop + '_ {
        lock(&self.commit)
    }
}

/// Removes partition files the manifest does not list (left by a checkpoint that did not
/// finish) and temporary files.
fn remove_orphans(partitions_dir: &Path, manifest: &Manifest) -> Result<()> {
    let live: std::collections::HashSet<u64> = manifest.files().map(|f| f.id).collect();
    let entries = match std::fs::read_dir(partitions_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(partitions_dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(partitions_dir, e))?.path();
        let orphan = match partition_id(&path) {
            Some(id) => !live.contains(&id),
            None => path.extension().is_some_and(|ext| ext == "tmp"),
        };
        if orphan {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
