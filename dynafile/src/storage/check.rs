//! Verification of every file of a table: checksums, ordering and placement invariants.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::key::hash_of_encoded;
use crate::storage::manifest::Manifest;
use crate::storage::partition_file::PartitionFile;
use crate::storage::store::{Store, lock};
use crate::storage::version::Version;
use crate::storage::wal::{KeyspaceId, Op, list_segments, scan_segment};

/// One thing [`check`](crate::Dynafile::check) found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The file it is in.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(offset) = self.offset {
            write!(f, " at offset {offset}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What a check read and what it found wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckReport {
    /// Partition files read.
    pub partition_files: usize,
    /// Blocks read and verified.
    pub blocks: u64,
    /// Entries (items and tombstones) in the partition files.
    pub entries: u64,
    /// Log segments read.
    pub log_segments: usize,
    /// Log records read.
    pub log_records: u64,
    /// Everything found wrong; empty when the table is sound.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// True when nothing is wrong.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "checked {} partition files ({} blocks, {} entries) and {} log segments ({} records)",
            self.partition_files, self.blocks, self.entries, self.log_segments, self.log_records
        )?;
        if self.problems.is_empty() {
            write!(f, "no problems found")
        } else {
            write!(f, "{} problems found:", self.problems.len())?;
            for problem in &self.problems {
                write!(f, "\n  {problem}")?;
            }
            Ok(())
        }
    }
}

impl CheckReport {
    fn note(&mut self, error: Error) -> Result<()> {
        match error {
            Error::Corrupt {
                file,
                offset,
                reason,
            } => {
                self.problems.push(Problem {
                    file,
                    offset,
                    reason,
                });
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// Says what is wrong with a stored entry (keyspace, key, value), if anything.
pub(crate) type EntryValidator<'a> = dyn Fn(KeyspaceId, &[u8], &[u8]) -> Option<String> + 'a;

impl Store {
    /// Reads every file of every keyspace from disk (bypassing the cache) and verifies
    /// checksums, key order, that keys lie in their file's hash range, entry counts, and each
    /// live entry with `validate` (which returns what is wrong with an entry, if anything).
    pub(crate) fn check(&self, validate: &EntryValidator<'_>) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let dirs: Vec<_> = lock(&self.checkpoint)
            .spaces
            .iter()
            .map(|space| space.dir.clone())
            .collect();
        let snapshot = self.snapshot();
        for (space, dir) in (0..).zip(&dirs) {
            if let Err(error) = Manifest::load(dir) {
                report.note(error)?;
            }
            if let Some(view) = snapshot.keyspace(space) {
                check_files(&mut report, space, view.version(), validate)?;
            }
        }
        // Hold checkpoints off while the log is read, so none deletes a segment between its
        // listing and its reading; and writers, so no record is half written. (Lock order:
        // `checkpoint_running`, then the commit lock.)
        let _checkpoints = lock(&self.checkpoint_running);
        let _writers = self.pause_writers();
        self.wal.sync_to(self.wal.last_appended())?;
        for (_, path) in list_segments(self.wal.dir())? {
            report.log_segments += 1;
            let scan = scan_segment(&path)?;
            report.log_records += scan.records.len() as u64;
            for record in &scan.records {
                for op in &record.ops {
                    if let Op::Put { space, key, value } = op
                        && let Some(reason) = validate(*space, key, value)
                    {
                        report.problems.push(Problem {
                            file: path.clone(),
                            offset: None,
                            reason: format!("record {}: {reason}", record.seq),
                        });
                    }
                }
            }
            if let Some((offset, reason)) = scan.stopped {
                report.problems.push(Problem {
                    file: path.clone(),
                    offset: Some(offset),
                    reason: reason.to_owned(),
                });
            }
        }
        Ok(report)
    }
}

/// Verifies the partition files of one keyspace's version.
fn check_files(
    report: &mut CheckReport,
    space: KeyspaceId,
    version: &Version,
    validate: &EntryValidator<'_>,
) -> Result<()> {
    for (index, range) in version.ranges.iter().enumerate() {
        let low = range.start;
        let high = version.ranges.get(index + 1).map(|next| next.start);
        for handle in range.files_newest_first() {
            report.partition_files += 1;
            let file = match PartitionFile::open(handle.meta.id, &handle.path()) {
                Ok(file) => file,
                Err(error) => {
                    report.note(error)?;
                    continue;
                }
            };
            let mut previous: Option<Vec<u8>> = None;
            let mut entries = 0u64;
            for number in 0..file.block_count() {
                let block = match file.read_block(number) {
                    Ok(block) => block,
                    Err(error) => {
                        report.note(error)?;
                        continue;
                    }
                };
                report.blocks += 1;
                for entry in 0..block.len() {
                    let key = block.key(entry);
                    let problem = |reason: String| Problem {
                        file: handle.path(),
                        offset: None,
                        reason,
                    };
                    if previous.as_deref().is_some_and(|p| p >= key) {
                        report.problems.push(problem(format!(
                            "block {number}: keys out of order across blocks"
                        )));
                    }
                    let hash = hash_of_encoded(key);
                    if hash < low || high.is_some_and(|high| hash >= high) {
                        report.problems.push(problem(format!(
                            "block {number}: a key lies outside the file's hash range"
                        )));
                    }
                    if let Some(value) = block.value(entry)
                        && let Some(reason) = validate(space, key, value)
                    {
                        report
                            .problems
                            .push(problem(format!("block {number}, entry {entry}: {reason}")));
                    }
                    previous = Some(key.to_vec());
                    entries += 1;
                }
            }
            report.entries += entries;
            if entries != file.entries() || entries != handle.meta.entries {
                report.problems.push(Problem {
                    file: handle.path(),
                    offset: None,
                    reason: format!(
                        "holds {entries} entries; its footer says {} and the manifest {}",
                        file.entries(),
                        handle.meta.entries
                    ),
                });
            }
        }
    }
    Ok(())
}
