//! The store: one table's log, memtables and partition files behind reads and atomic commits.
//!
//! Reads take a snapshot (the current [`Version`] and the last visible sequence number) and
//! never wait for writers. Commits are serialized by the commit lock only while they get
//! their sequence number, queue their log record and enter the memtable; they wait for the
//! log sync outside it, so concurrent commits share syncs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use arc_swap::ArcSwap;

use crate::error::{Error, Result};
use crate::storage::cache::BlockCache;
use crate::storage::manifest::{Manifest, partition_id};
use crate::storage::memtable::MemTable;
use crate::storage::version::{FileHandle, Range, Snapshot, Version};
use crate::storage::wal::{Op, Wal, prepare_record, seal_record};
use crate::storage::worker::{BackgroundState, Retired};
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

/// One table's storage.
pub(crate) struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) partitions_dir: Arc<Path>,
    /// Whether the files a checkpoint of an earlier process left unlisted were removed: done
    /// before this process's first checkpoint, not at open (see `run_checkpoint`).
    pub(crate) orphans_removed: AtomicBool,
    pub(crate) options: StoreOptions,
    pub(crate) wal: Wal,
    pub(crate) cache: Arc<BlockCache>,
    pub(crate) version: ArcSwap<Version>,
    pub(crate) visible_seq: AtomicU64,
    commit: Mutex<CommitState>,
    pub(crate) commit_resumed: Condvar,
    pub(crate) checkpoint: Mutex<CheckpointState>,
    pub(crate) checkpoint_running: Mutex<()>,
    pub(crate) background: Mutex<BackgroundState>,
    pub(crate) background_wake: Condvar,
    pub(crate) graveyard: Mutex<Vec<Retired>>,
    /// Retired memtables no reader holds, for the next writer to free.
    pub(crate) unused_tables: Mutex<Vec<MemTable>>,
    pub(crate) worker: Mutex<Option<JoinHandle<()>>>,
    pub(crate) worker_started: AtomicBool,
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
        let partitions: Arc<Path> = Arc::from(partitions_dir.as_path());
        let ranges = manifest
            .ranges
            .iter()
            .map(|meta| Range {
                start: meta.start,
                base: meta
                    .base
                    .clone()
                    .map(|file| FileHandle::new(file, Arc::clone(&partitions))),
                runs: meta
                    .runs
                    .iter()
                    .cloned()
                    .map(|file| FileHandle::new(file, Arc::clone(&partitions)))
                    .collect(),
            })
            .collect();
        let replayed_bytes = active.bytes();
        let store = Arc::new(Store {
            dir: dir.to_owned(),
            partitions_dir: partitions,
            orphans_removed: AtomicBool::new(false),
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
            background: Mutex::new(BackgroundState::default()),
            background_wake: Condvar::new(),
            graveyard: Mutex::new(Vec::new()),
            unused_tables: Mutex::new(Vec::new()),
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
        drop(state);
        // A memtable a checkpoint retired is freed by the next writer, whole, outside the
        // commit lock. Its entries were allocated by writing threads: freed from another
        // thread, they contend for those threads' allocator with everything they do, reads
        // included (gets of 100 us while the worker freed one); freed a few per write, they
        // scatter the next allocations through the heap and slow later reads (a third fewer
        // partition queries). Freed whole, the writer pays once, about 10 ms for 16 MiB.
        let retired = lock(&self.unused_tables).pop();
        drop(retired);
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

    /// Makes every commit durable and checkpoints the memtable, so that reopening reads no
    /// log. Called on close; safe to call at any time.
    pub(crate) fn flush(&self) -> Result<()> {
        self.wal.sync_to(self.wal.last_appended())?;
        self.run_checkpoint()
    }

    /// Holds off every commit while the guard lives.
    pub(crate) fn pause_writers(&self) -> impl Drop + '_ {
        lock(&self.commit)
    }
}

/// Removes partition files the manifest does not list (left by a checkpoint that did not
/// finish, or replaced files a process did not get to delete) and temporary files. Only
/// before a process's first checkpoint: later, replaced files that readers still use are
/// unlisted too.
pub(crate) fn remove_orphans(partitions_dir: &Path, manifest: &Manifest) -> Result<()> {
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
