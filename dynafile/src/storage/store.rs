//! The store: one table's log, memtables and partition files behind reads and atomic commits.
//!
//! A store holds keyspaces, as RocksDB's column families: the table's items (keyspace 0,
//! whose files are in the table's directory) and each secondary index (in its own directory
//! with its own `partitions/` and `manifest`), all behind one log. A checkpoint freezes and
//! writes every keyspace's memtable together; each manifest records the sequence number it
//! covers, and recovery replays the log from the smallest of them, applying to each keyspace
//! only the records after its own.
//!
//! Reads take a snapshot (the current [`Versions`] and the last visible sequence number) and
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
use crate::storage::fs::sync_dir;
use crate::storage::manifest::{MANIFEST_FILE, Manifest, partition_id};
use crate::storage::memtable::MemTable;
use crate::storage::version::{FileHandle, Found, Range, Snapshot, Version, Versions, get_in};
use crate::storage::wal::{KeyspaceId, Op, TABLE_KEYSPACE, Wal, prepare_record, seal_record};
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

/// The memtables taken out of the write path to be checkpointed, one per keyspace.
pub(crate) struct Frozen {
    pub tables: Vec<Arc<MemTable>>,
    /// Every commit up to this sequence number is in `tables` or older files.
    pub last_seq: u64,
    /// The log segment started at the freeze: older segments hold nothing newer.
    pub wal_segment: u64,
}

/// Where a keyspace keeps its files: its directory (holding its manifest) and the checksum
/// of the description it stores, which its manifest records (see [`Store::open`]).
#[derive(Clone, Debug)]
pub(crate) struct KeyspaceSpec {
    pub dir: PathBuf,
    pub checksum: u32,
}

/// One keyspace's files as the checkpoint keeps them.
pub(crate) struct KeyspaceFiles {
    pub dir: PathBuf,
    pub partitions_dir: Arc<Path>,
    /// The manifest last written.
    pub manifest: Manifest,
    /// The id the next partition file gets. Ahead of the manifest's after a failed
    /// checkpoint: ids are never reused while the table is open, since blocks are cached by
    /// file id (and the id is unique only within a keyspace, so the cache keys by both).
    pub next_file_id: u64,
    /// Whether the files a checkpoint of an earlier process left unlisted were removed: done
    /// before this process's first checkpoint, not at open (see `run_checkpoint`).
    pub orphans_removed: bool,
}

/// The checkpoint's state. Lock order: `checkpoint_running`, then `commit`, then this.
pub(crate) struct CheckpointState {
    /// Every keyspace's files, by keyspace number.
    pub spaces: Vec<KeyspaceFiles>,
    /// The last checkpoint's failure, if it failed.
    pub failure: Option<String>,
    /// The frozen memtables' last sequence number and log segment, until they are installed.
    pub frozen: Option<(u64, u64)>,
}

/// One table's storage: keyspaces (the table's items, and each index) that share one log,
/// so that a commit of ops in several of them is one record, all or nothing.
pub(crate) struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) partitions_dir: Arc<Path>,
    pub(crate) options: StoreOptions,
    pub(crate) wal: Wal,
    pub(crate) cache: Arc<BlockCache>,
    pub(crate) versions: ArcSwap<Versions>,
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

/// Creates a keyspace's directories and empty manifest covering the log up to `seq`.
fn create_keyspace(dir: &Path, checksum: u32, seq: u64) -> Result<Manifest> {
    let partitions_dir = dir.join(PARTITIONS_DIR);
    std::fs::create_dir_all(&partitions_dir).map_err(|e| Error::io(&partitions_dir, e))?;
    let mut manifest = Manifest::empty(checksum);
    manifest.checkpoint_seq = seq;
    manifest.store(dir)?;
    Ok(manifest)
}

/// The version of a keyspace's manifest, with an empty memtable.
fn version_of(
    manifest: &Manifest,
    space: KeyspaceId,
    partitions: &Arc<Path>,
    memtable_bytes: usize,
) -> Version {
    let ranges = manifest
        .ranges
        .iter()
        .map(|meta| Range {
            start: meta.start,
            base: meta
                .base
                .clone()
                .map(|file| FileHandle::new(file, space, Arc::clone(partitions))),
            runs: meta
                .runs
                .iter()
                .cloned()
                .map(|file| FileHandle::new(file, space, Arc::clone(partitions)))
                .collect(),
        })
        .collect();
    Version {
        active: Arc::new(MemTable::new(memtable_bytes)),
        frozen: None,
        ranges,
    }
}

impl Store {
    /// Opens the storage in `dir`, creating it when `create` is set: reads the manifests,
    /// replays the log after them, and starts the background worker. Partition files are
    /// not read until a read needs them. The table's keyspace is in `dir`; `indexes` are
    /// keyspaces 1, 2, ... in that order.
    ///
    /// `meta` names the table's description file and `meta_checksum` is the checksum of its
    /// content: a new store records it, an existing one must have recorded the same, so that
    /// damage to that file is caught. Each index keyspace does the same with its checksum.
    pub(crate) fn open(
        dir: &Path,
        options: StoreOptions,
        create: bool,
        meta: &Path,
        meta_checksum: u32,
        indexes: &[KeyspaceSpec],
    ) -> Result<Arc<Store>> {
        let wal_dir = dir.join(WAL_DIR);
        let specs = std::iter::once(KeyspaceSpec {
            dir: dir.to_owned(),
            checksum: meta_checksum,
        })
        .chain(indexes.iter().cloned());
        if create {
            // The indexes' keyspaces before the table's: a table whose manifest exists is
            // created (see the builder), so theirs must exist by then.
            for spec in indexes {
                create_keyspace(&spec.dir, spec.checksum, 0)?;
            }
        }
        let mut spaces = Vec::new();
        for (number, spec) in specs.enumerate() {
            let manifest = if create && number == 0 {
                create_keyspace(&spec.dir, spec.checksum, 0)?
            } else if create {
                Manifest::load(&spec.dir)?
            } else {
                crate::storage::remove_atomic_leftovers(&spec.dir, &[MANIFEST_FILE])?;
                Manifest::load(&spec.dir)?
            };
            if manifest.meta_checksum != spec.checksum {
                return Err(Error::corrupt(
                    meta,
                    None,
                    "its content does not match the checksum the manifest keeps of it (a name, \
                     key attribute or index definition was changed)",
                ));
            }
            let partitions_dir: Arc<Path> = Arc::from(spec.dir.join(PARTITIONS_DIR));
            spaces.push(KeyspaceFiles {
                dir: spec.dir,
                partitions_dir,
                next_file_id: manifest.next_file_id,
                manifest,
                orphans_removed: false,
            });
        }
        if create {
            std::fs::create_dir_all(&wal_dir).map_err(|e| Error::io(&wal_dir, e))?;
        }
        // The log is replayed from the keyspace that covers least; each keyspace takes only
        // the records after its own checkpoint.
        let covered: Vec<u64> = spaces.iter().map(|s| s.manifest.checkpoint_seq).collect();
        let replay_from = covered.iter().copied().min().unwrap_or(0);
        let (wal, recovered) = Wal::open(&wal_dir, replay_from)?;
        let mut versions = Vec::with_capacity(spaces.len());
        for (number, space) in (0..).zip(&spaces) {
            versions.push(version_of(
                &space.manifest,
                number,
                &space.partitions_dir,
                options.memtable_bytes,
            ));
        }
        for record in recovered.records {
            for op in record.ops {
                let space = op.space() as usize;
                let Some(version) = versions.get(space) else {
                    return Err(Error::corrupt(
                        &wal_dir,
                        Some(record.offset),
                        format!(
                            "log record {} changes keyspace {space}, which the table does not have",
                            record.seq
                        ),
                    ));
                };
                if record.seq > covered[space] {
                    apply(&version.active, op, record.seq);
                }
            }
        }
        let replayed_bytes: usize = versions.iter().map(|v| v.active.bytes()).sum();
        let store = Arc::new(Store {
            dir: dir.to_owned(),
            partitions_dir: Arc::clone(&spaces[0].partitions_dir),
            cache: Arc::new(BlockCache::new(options.cache_bytes)),
            wal,
            versions: ArcSwap::from_pointee(Versions {
                spaces: versions.into_iter().map(Arc::new).collect(),
            }),
            visible_seq: AtomicU64::new(recovered.last_seq),
            commit: Mutex::new(CommitState {
                next_seq: recovered.last_seq + 1,
            }),
            commit_resumed: Condvar::new(),
            checkpoint: Mutex::new(CheckpointState {
                spaces,
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

    /// Adds an empty keyspace in `spec.dir` (replacing whatever an earlier attempt left
    /// there) and returns its number. Its manifest covers the log so far: no record before
    /// it can hold its ops.
    pub(crate) fn add_keyspace(&self, spec: &KeyspaceSpec) -> Result<KeyspaceId> {
        let _running = lock(&self.checkpoint_running);
        let state = lock(&self.commit);
        // Synced first: a crash must not lose records its manifest claims to cover.
        let seq = state.next_seq - 1;
        self.wal.sync_to(seq)?;
        match std::fs::remove_dir_all(&spec.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&spec.dir, e)),
        }
        let manifest = create_keyspace(&spec.dir, spec.checksum, seq)?;
        if let Some(parent) = spec.dir.parent() {
            sync_dir(parent)?;
        }
        let partitions_dir: Arc<Path> = Arc::from(spec.dir.join(PARTITIONS_DIR));
        let mut checkpoint = lock(&self.checkpoint);
        let space = KeyspaceId::try_from(checkpoint.spaces.len())
            .map_err(|_| Error::validation("a table cannot have that many indexes"))?;
        let version = version_of(
            &manifest,
            space,
            &partitions_dir,
            self.options.memtable_bytes,
        );
        checkpoint.spaces.push(KeyspaceFiles {
            dir: spec.dir.clone(),
            partitions_dir,
            next_file_id: manifest.next_file_id,
            manifest,
            orphans_removed: true,
        });
        let current = self.versions.load_full();
        let mut spaces = current.spaces.clone();
        spaces.push(Arc::new(version));
        self.versions.store(Arc::new(Versions { spaces }));
        Ok(space)
    }

    /// A consistent view of everything committed so far, reading the table's keyspace (see
    /// [`Snapshot::keyspace`] for the others).
    pub(crate) fn snapshot(&self) -> Snapshot {
        // The versions first: a checkpoint that installs newer ones happened after every
        // sequence number it covers became visible. All keyspaces' versions are replaced
        // together, so a snapshot sees each at the same commits.
        let versions = self.versions.load_full();
        let seq = self.visible_seq.load(Ordering::Acquire);
        Snapshot::new(versions, seq, Arc::clone(&self.cache))
    }

    /// The latest committed value of `key` in the table's keyspace: what a get through
    /// [`Store::snapshot`] would read, without taking one. It pins the versions only while it
    /// reads (no reference counts change), so concurrent readers write no shared memory.
    pub(crate) fn get_latest(&self, key: &[u8]) -> Result<Option<Found>> {
        // The versions first, then the sequence number, as a snapshot takes them.
        let versions = self.versions.load();
        let seq = self.visible_seq.load(Ordering::Acquire);
        get_in(
            &versions.spaces[TABLE_KEYSPACE as usize],
            seq,
            &self.cache,
            key,
        )
    }

    /// Commits `ops` atomically as one log record.
    #[cfg(test)]
    pub(crate) fn commit(self: &Arc<Self>, ops: Vec<Op>, durability: Durability) -> Result<u64> {
        self.commit_unless(ops, durability, || false)
            .map(|committed| committed.unwrap_or(0))
    }

    /// Commits `ops` atomically as one log record, prepared before the commit lock is
    /// taken, unless `stale` (asked under the lock) says they no longer are what the commit
    /// needs: then nothing is written and the ops are handed back (`Err`). Otherwise the
    /// commit's sequence number.
    pub(crate) fn commit_unless(
        self: &Arc<Self>,
        ops: Vec<Op>,
        durability: Durability,
        stale: impl FnOnce() -> bool,
    ) -> Result<Result<u64, Vec<Op>>> {
        if ops.is_empty() {
            return Ok(Ok(self.visible_seq.load(Ordering::Acquire)));
        }
        if !self.worker_started.load(Ordering::Acquire) {
            self.start_worker()?;
        }
        let record = prepare_record(&ops)?;
        let mut refused = None;
        let (seq, ()) = self.commit_prepared(durability, |_| {
            if stale() {
                refused = Some(ops);
                return Ok((Vec::new(), Vec::new(), ()));
            }
            Ok((ops, record, ()))
        })?;
        Ok(refused.map_or(Ok(seq), Err))
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
        let spaces = &latest.versions.spaces;
        if let Some(op) = ops.iter().find(|op| op.space() as usize >= spaces.len()) {
            return Err(Error::validation(format!(
                "a commit changes keyspace {}, which the table does not have",
                op.space()
            )));
        }
        let seq = state.next_seq;
        seal_record(&mut record, seq);
        self.wal.append(seq, &record);
        state.next_seq += 1;
        for op in ops {
            apply(&spaces[op.space() as usize].active, op, seq);
        }
        self.visible_seq.store(seq, Ordering::Release);
        let full = latest.versions.active_bytes() >= self.options.memtable_bytes;
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

    /// The commit lock, once the memtables have room (writers wait while full memtables are
    /// behind an unfinished checkpoint, so memory stays bounded).
    fn lock_commit(&self) -> MutexGuard<'_, CommitState> {
        let mut state = lock(&self.commit);
        loop {
            let versions = self.versions.load();
            let behind = versions.spaces.iter().any(|v| v.frozen.is_some())
                && versions.active_bytes() >= 2 * self.options.memtable_bytes;
            if !behind || lock(&self.checkpoint).failure.is_some() {
                return state;
            }
            state = self
                .commit_resumed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Swaps in empty memtables (in every keyspace together) and starts a new log segment.
    /// `None` when there is nothing to checkpoint. After a failed checkpoint, returns the
    /// memtables frozen then.
    pub(crate) fn freeze(&self) -> Result<Option<Frozen>> {
        let state = lock(&self.commit);
        let current = self.versions.load_full();
        if let Some((last_seq, wal_segment)) = lock(&self.checkpoint).frozen {
            let tables = current
                .spaces
                .iter()
                .map_while(|version| version.frozen.clone())
                .collect();
            return Ok(Some(Frozen {
                tables,
                last_seq,
                wal_segment,
            }));
        }
        if current
            .spaces
            .iter()
            .all(|version| version.active.is_empty())
        {
            return Ok(None);
        }
        let wal_segment = self.wal.rotate()?;
        let tables: Vec<Arc<MemTable>> = current
            .spaces
            .iter()
            .map(|version| Arc::clone(&version.active))
            .collect();
        let spaces = current
            .spaces
            .iter()
            .map(|version| {
                Arc::new(Version {
                    active: Arc::new(MemTable::new(self.options.memtable_bytes)),
                    frozen: Some(Arc::clone(&version.active)),
                    ranges: version.ranges.clone(),
                })
            })
            .collect();
        self.versions.store(Arc::new(Versions { spaces }));
        let last_seq = state.next_seq - 1;
        lock(&self.checkpoint).frozen = Some((last_seq, wal_segment));
        Ok(Some(Frozen {
            tables,
            last_seq,
            wal_segment,
        }))
    }

    /// Installs the result of a checkpoint (the new ranges and manifest of each keyspace
    /// frozen, in order) and lets stalled writers go on.
    pub(crate) fn install(&self, results: Vec<(Vec<Range>, Manifest)>) {
        let _state = lock(&self.commit);
        let current = self.versions.load_full();
        let mut graveyard = lock(&self.graveyard);
        let mut manifests = Vec::with_capacity(results.len());
        let mut results = results.into_iter();
        let spaces = current
            .spaces
            .iter()
            .map(|version| {
                let Some((ranges, manifest)) = results.next() else {
                    // A keyspace added after the freeze: nothing of it was frozen.
                    return Arc::clone(version);
                };
                manifests.push(manifest);
                // The replaced version holds the checkpointed memtable and the replaced
                // files: the background worker frees and deletes them once no reader holds
                // them.
                if let Some(table) = &version.frozen {
                    graveyard.push(Retired::Table(Arc::clone(table)));
                }
                Arc::new(Version {
                    active: Arc::clone(&version.active),
                    frozen: None,
                    ranges,
                })
            })
            .collect();
        self.versions.store(Arc::new(Versions { spaces }));
        graveyard.push(Retired::Versions(current));
        drop(graveyard);
        let mut checkpoint = lock(&self.checkpoint);
        for (files, manifest) in checkpoint.spaces.iter_mut().zip(manifests) {
            files.manifest = manifest;
        }
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

/// Applies one op of the commit `seq` to a keyspace's memtable.
fn apply(active: &MemTable, op: Op, seq: u64) {
    match op {
        Op::Put { key, value, .. } => active.insert(&key, seq, Some(value)),
        Op::Delete { key, .. } => active.insert(&key, seq, None),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::wal::list_segments;

    const CHECKSUM: u32 = 7;

    fn spec(dir: &Path, index: usize) -> KeyspaceSpec {
        KeyspaceSpec {
            dir: dir.join("indexes").join(format!("i{index}")),
            checksum: CHECKSUM + index as u32,
        }
    }

    fn open(dir: &Path, indexes: usize, create: bool) -> Arc<Store> {
        let specs: Vec<_> = (1..=indexes).map(|index| spec(dir, index)).collect();
        let options = StoreOptions {
            // Checkpoints only when a test asks for one.
            memtable_bytes: 1 << 30,
            ..StoreOptions::default()
        };
        Store::open(
            dir,
            options,
            create,
            &dir.join("meta.json"),
            CHECKSUM,
            &specs,
        )
        .unwrap()
    }

    fn key(n: u64) -> Vec<u8> {
        let mut key = n.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
        key.extend_from_slice(format!("k{n}").as_bytes());
        key
    }

    fn put(space: KeyspaceId, n: u64, value: &str) -> Op {
        Op::Put {
            space,
            key: key(n),
            value: Arc::from(value.as_bytes()),
        }
    }

    fn delete(space: KeyspaceId, n: u64) -> Op {
        Op::Delete { space, key: key(n) }
    }

    /// Every live entry of keyspace `space`, as `(key number, value)` in key order.
    fn contents(store: &Store, space: KeyspaceId) -> Vec<(String, String)> {
        let snapshot = store.snapshot().keyspace(space).unwrap();
        let mut iter = snapshot
            .iter(
                crate::storage::KeyBounds::all(),
                Direction::Forward,
                None,
                None,
            )
            .unwrap();
        let mut entries = Vec::new();
        while let Some((key, value)) = iter.next_entry().unwrap() {
            entries.push((
                String::from_utf8(key[8..].to_vec()).unwrap(),
                String::from_utf8(value.to_vec()).unwrap(),
            ));
        }
        entries.sort();
        entries
    }

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A copy of a store's directory as a crash would leave it (every commit here is
    /// synced: the default durability).
    fn crash_copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                crash_copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    use crate::storage::Direction;

    #[test]
    fn a_commit_spans_keyspaces_and_each_recovers_from_log_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let store = open(&path, 2, true);
        let durable = Durability::Immediate;
        store
            .commit(
                vec![put(0, 1, "a"), put(1, 1, "i1"), put(2, 2, "j2")],
                durable,
            )
            .unwrap();
        store
            .commit(vec![put(0, 2, "b"), delete(1, 1), put(1, 3, "i3")], durable)
            .unwrap();
        let expected = [
            entries(&[("k1", "a"), ("k2", "b")]),
            entries(&[("k3", "i3")]),
            entries(&[("k2", "j2")]),
        ];
        for (space, want) in (0..).zip(&expected) {
            assert_eq!(
                &contents(&store, space),
                want,
                "keyspace {space} before reopen"
            );
        }
        // From the log alone.
        crash_copy(&path, &dir.path().join("from-log"));
        let reopened = open(&dir.path().join("from-log"), 2, false);
        for (space, want) in (0..).zip(&expected) {
            assert_eq!(
                &contents(&reopened, space),
                want,
                "keyspace {space} from the log"
            );
        }
        // From the partition files alone: each keyspace's are in its own directory.
        store.run_checkpoint().unwrap();
        for index in 1..=2 {
            let partitions = spec(&path, index).dir.join(PARTITIONS_DIR);
            assert_eq!(
                std::fs::read_dir(&partitions).unwrap().count(),
                1,
                "{index}"
            );
        }
        crash_copy(&path, &dir.path().join("from-files"));
        let reopened = open(&dir.path().join("from-files"), 2, false);
        for (space, want) in (0..).zip(&expected) {
            assert_eq!(
                &contents(&reopened, space),
                want,
                "keyspace {space} from files"
            );
        }
        let report = reopened.check(&|_, _, _| None).unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.partition_files, 3);
    }

    #[test]
    fn recovery_replays_each_keyspace_after_its_own_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let store = open(&path, 1, true);
        let durable = Durability::Immediate;
        store
            .commit(vec![put(0, 1, "a"), put(1, 1, "x")], durable)
            .unwrap();
        store
            .commit(vec![put(0, 2, "b"), put(1, 2, "y")], durable)
            .unwrap();
        // A checkpoint killed after it wrote the table's manifest but before the index's
        // and before it deleted the log: the index's manifest and the old log are as before.
        let index_manifest = spec(&path, 1).dir.join(MANIFEST_FILE);
        let manifest_before = std::fs::read(&index_manifest).unwrap();
        let segments_before: Vec<(PathBuf, Vec<u8>)> = list_segments(&path.join(WAL_DIR))
            .unwrap()
            .into_iter()
            .map(|(_, path)| {
                let bytes = std::fs::read(&path).unwrap();
                (path, bytes)
            })
            .collect();
        store.run_checkpoint().unwrap();
        store
            .commit(vec![delete(0, 1), put(1, 3, "z")], durable)
            .unwrap();
        let crashed = dir.path().join("crashed");
        crash_copy(&path, &crashed);
        let relative = |p: &Path| crashed.join(p.strip_prefix(&path).unwrap());
        std::fs::write(relative(&index_manifest), &manifest_before).unwrap();
        for (segment, bytes) in &segments_before {
            std::fs::write(relative(segment), bytes).unwrap();
        }
        let reopened = open(&crashed, 1, false);
        assert_eq!(contents(&reopened, TABLE_KEYSPACE), entries(&[("k2", "b")]));
        assert_eq!(
            contents(&reopened, 1),
            entries(&[("k1", "x"), ("k2", "y"), ("k3", "z")])
        );
        // The segments the index still needs stay until a checkpoint covers them for it.
        let wal = crashed.join(WAL_DIR);
        assert_eq!(list_segments(&wal).unwrap().len(), 2);
        reopened.run_checkpoint().unwrap();
        assert_eq!(list_segments(&wal).unwrap().len(), 1);
        let again = dir.path().join("again");
        crash_copy(&crashed, &again);
        let reopened = open(&again, 1, false);
        assert_eq!(contents(&reopened, TABLE_KEYSPACE), entries(&[("k2", "b")]));
        assert_eq!(
            contents(&reopened, 1),
            entries(&[("k1", "x"), ("k2", "y"), ("k3", "z")])
        );
        let report = reopened.check(&|_, _, _| None).unwrap();
        assert!(report.is_ok(), "{report}");
    }

    #[test]
    fn an_added_keyspace_starts_empty_and_recovers_its_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let store = open(&path, 0, true);
        let durable = Durability::Immediate;
        store.commit(vec![put(0, 1, "a")], durable).unwrap();
        let refused = store.commit(vec![put(1, 1, "x")], durable);
        assert!(
            matches!(refused, Err(Error::Validation { .. })),
            "{refused:?}"
        );
        assert_eq!(store.add_keyspace(&spec(&path, 1)).unwrap(), 1);
        assert_eq!(contents(&store, 1), entries(&[]));
        store
            .commit(vec![put(0, 2, "b"), put(1, 2, "y")], durable)
            .unwrap();
        crash_copy(&path, &dir.path().join("copy"));
        let reopened = open(&dir.path().join("copy"), 1, false);
        assert_eq!(
            contents(&reopened, TABLE_KEYSPACE),
            entries(&[("k1", "a"), ("k2", "b")])
        );
        assert_eq!(contents(&reopened, 1), entries(&[("k2", "y")]));
    }
}
