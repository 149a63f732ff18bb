//! Checkpoints: the frozen memtables (one per keyspace) go into partition files, a new
//! manifest of each keyspace is written atomically, and the log segments they all cover
//! are deleted.
//!
//! Each hash range the memtable touches gets either a small sorted *run* of just the
//! changes (tombstones included), or, once its runs add up to half its base or there are too
//! many of them, a *merge* of base, runs and changes into a new base without tombstones. A
//! merged base past the target size is split at partition-key hash boundaries into several
//! ranges. Writing only the changes, and merging a range only after it collected changes of
//! half its size, keeps the bytes written per byte changed bounded whatever the table's size.
//!
//! Readers are never stopped: they hold the version they started with. Writers only wait
//! for the freeze (a log rotation), or when a second memtable fills before this one is done.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::key::hash_of_encoded;
use crate::storage::cursor::{Cursor, Direction, FileCursor, KeyBounds, MemCursor, MergeCursor};
use crate::storage::fs::sync_dir;
use crate::storage::manifest::{FileMeta, Manifest, partition_path};
use crate::storage::memtable::MemTable;
use crate::storage::partition_file::PartitionFileWriter;
use crate::storage::store::{Store, lock, remove_orphans};
use crate::storage::version::{FileHandle, Range, Version, cache_id};
use crate::storage::wal::KeyspaceId;

/// Where a checkpoint writes one keyspace's files.
struct Target {
    space: KeyspaceId,
    partitions_dir: Arc<Path>,
}

impl Store {
    /// Checkpoints the active memtables (if they hold anything), every keyspace's together.
    /// One checkpoint runs at a time.
    pub(crate) fn run_checkpoint(&self) -> Result<()> {
        let _running = lock(&self.checkpoint_running);
        // Leftovers of an earlier process go before this process writes any file. (Not at
        // open: listing every file would make opening a large table slower.)
        let unswept: Vec<(Arc<Path>, Manifest)> = lock(&self.checkpoint)
            .spaces
            .iter()
            .filter(|space| !space.orphans_removed)
            .map(|space| (Arc::clone(&space.partitions_dir), space.manifest.clone()))
            .collect();
        for (partitions_dir, manifest) in &unswept {
            remove_orphans(partitions_dir, manifest)?;
        }
        for space in &mut lock(&self.checkpoint).spaces {
            space.orphans_removed = true;
        }
        let Some(frozen) = self.freeze()? else {
            return Ok(());
        };
        // Every record a manifest will claim to cover is in the log first, so that recovery,
        // which replays from the keyspace that covers least, finds no gap before the others.
        self.wal.sync_to(frozen.last_seq)?;
        let versions = self.versions.load_full();
        let mut results = Vec::with_capacity(frozen.tables.len());
        let mut replaced = Vec::new();
        for (space, table) in (0..).zip(&frozen.tables) {
            let (target, dir, mut next_file_id, meta_checksum) = {
                let state = lock(&self.checkpoint);
                let files = &state.spaces[space as usize];
                (
                    Target {
                        space,
                        partitions_dir: Arc::clone(&files.partitions_dir),
                    },
                    files.dir.clone(),
                    files.next_file_id,
                    files.manifest.meta_checksum,
                )
            };
            let version = &versions.spaces[space as usize];
            let written = self.write_changes(&target, table, version, &mut next_file_id);
            // File ids are never reused, not even after a failure: blocks are cached by id.
            lock(&self.checkpoint).spaces[space as usize].next_file_id = next_file_id;
            let (ranges, replaced_here) = written?;
            sync_dir(&target.partitions_dir)?;
            let manifest = Manifest {
                checkpoint_seq: frozen.last_seq,
                next_file_id,
                ranges: ranges.iter().map(Range::meta).collect(),
                meta_checksum,
            };
            manifest.store(&dir)?;
            results.push((ranges, manifest));
            replaced.extend(replaced_here);
        }
        self.install(results);
        for handle in replaced {
            handle.mark_obsolete();
        }
        // Only now does every keyspace cover the older segments.
        self.wal.delete_segments_before(frozen.wal_segment)
    }

    /// Writes a frozen memtable's changes into new partition files of its keyspace;
    /// returns the new ranges and the files they replace.
    fn write_changes(
        &self,
        target: &Target,
        table: &Arc<MemTable>,
        version: &Version,
        next_file_id: &mut u64,
    ) -> Result<(Vec<Range>, Vec<Arc<FileHandle>>)> {
        let mut ranges = Vec::with_capacity(version.ranges.len());
        let mut replaced = Vec::new();
        for (index, range) in version.ranges.iter().enumerate() {
            let (low, high) = version.range_bounds(index);
            let bounds = Arc::new(KeyBounds {
                start: Bound::Included(low),
                end: high.map_or(Bound::Unbounded, Bound::Excluded),
            });
            let changes = MemCursor::new(
                Arc::clone(table),
                Arc::clone(&bounds),
                u64::MAX,
                Direction::Forward,
            );
            if changes.current().is_none() {
                ranges.push(range.clone());
                continue;
            }
            let changed_bytes = table.bytes_between(
                bounds.start.as_ref().map(Vec::as_slice),
                bounds.end.as_ref().map(Vec::as_slice),
            );
            if self.should_merge(range, changed_bytes) {
                let mut sources: Vec<Box<dyn Cursor>> = vec![Box::new(changes)];
                for handle in range.files_newest_first() {
                    sources.push(Box::new(FileCursor::new(
                        handle.file()?,
                        Arc::clone(&self.cache),
                        Arc::clone(&bounds),
                        Direction::Forward,
                    )?));
                }
                ranges.extend(self.write_base(
                    target,
                    MergeCursor::new(sources, Direction::Forward),
                    range.start,
                    next_file_id,
                )?);
                replaced.extend(range.files_newest_first().cloned());
            } else {
                let run = self.write_run(target, changes, next_file_id)?;
                let mut updated = range.clone();
                updated.runs.push(run);
                ranges.push(updated);
            }
        }
        Ok((ranges, replaced))
    }

    /// Whether a range's changes are merged into a new base rather than written as a run:
    /// when its runs, counting the one these changes would make, reach half its base, or
    /// there would be too many of them.
    fn should_merge(&self, range: &Range, changed_bytes: u64) -> bool {
        let Some(base) = &range.base else { return true };
        let runs_bytes: u64 =
            range.runs.iter().map(|run| run.meta.size).sum::<u64>() + changed_bytes;
        range.runs.len() + 1 > self.options.max_runs || runs_bytes >= base.meta.size / 2
    }

    fn new_writer(
        &self,
        target: &Target,
        next_file_id: &mut u64,
    ) -> Result<(u64, PartitionFileWriter)> {
        let id = *next_file_id;
        *next_file_id += 1;
        let writer = PartitionFileWriter::create(
            cache_id(target.space, id),
            partition_path(&target.partitions_dir, id),
            self.options.block_bytes,
            Arc::clone(&self.cache),
        )?;
        Ok((id, writer))
    }

    fn finish(
        &self,
        target: &Target,
        id: u64,
        writer: PartitionFileWriter,
    ) -> Result<Arc<FileHandle>> {
        let summary = writer.finish()?;
        let meta = FileMeta {
            id,
            size: summary.size,
            entries: summary.entries,
        };
        Ok(FileHandle::opened(
            meta,
            target.space,
            Arc::clone(&target.partitions_dir),
            summary.opened,
        ))
    }

    /// Writes a range's changes as one run, tombstones included.
    fn write_run(
        &self,
        target: &Target,
        mut changes: MemCursor,
        next_file_id: &mut u64,
    ) -> Result<Arc<FileHandle>> {
        let (id, mut writer) = self.new_writer(target, next_file_id)?;
        while let Some((key, value)) = changes.current() {
            writer.add(key, value)?;
            changes.advance()?;
        }
        self.finish(target, id, writer)
    }

    /// Writes the merged entries of a range as its new base, without tombstones, split into
    /// several ranges at partition-key hash boundaries when it outgrows the target size.
    fn write_base(
        &self,
        target: &Target,
        mut merged: MergeCursor,
        start: u64,
        next_file_id: &mut u64,
    ) -> Result<Vec<Range>> {
        let mut ranges = Vec::new();
        let mut current: Option<(u64, PartitionFileWriter, u64)> = None;
        let mut last_hash = None;
        while let Some((key, value)) = merged.current() {
            if let Some(value) = value {
                let hash = hash_of_encoded(key);
                let full = current
                    .as_ref()
                    .is_some_and(|(_, writer, _)| writer.size() >= self.options.target_file_bytes);
                if full
                    && last_hash != Some(hash)
                    && let Some((id, writer, range_start)) = current.take()
                {
                    ranges.push(Range {
                        start: range_start,
                        base: Some(self.finish(target, id, writer)?),
                        runs: Vec::new(),
                    });
                }
                if current.is_none() {
                    let (id, writer) = self.new_writer(target, next_file_id)?;
                    let range_start = if ranges.is_empty() { start } else { hash };
                    current = Some((id, writer, range_start));
                }
                if let Some((_, writer, _)) = &mut current {
                    writer.add(key, Some(value))?;
                }
                last_hash = Some(hash);
            }
            merged.advance()?;
        }
        if let Some((id, writer, range_start)) = current {
            ranges.push(Range {
                start: range_start,
                base: Some(self.finish(target, id, writer)?),
                runs: Vec::new(),
            });
        }
        if ranges.is_empty() {
            ranges.push(Range {
                start,
                base: None,
                runs: Vec::new(),
            });
        }
        Ok(ranges)
    }
}
