//! The durable change stream: each commit's events as one checksummed record in `stream/`
//! segments, kept while within the table's retention.
//!
//! ```text
//! segment := "DYNASTR1" version (u32 LE) reserved (u32) from_seq (u64 LE)
//!            created_ms (u64 LE) record*
//! record  := length (u32 LE) crc32c of payload (u32 LE) payload
//! payload := seq (u64 LE) time_ms (u64 LE) body
//! ```
//! A segment is named after `from_seq`, the first sequence number it covers: every commit
//! from there until the next segment's `from_seq` has its record in it, if the commit had
//! events. Its `created_ms` is the time the previous segment was closed, so a segment's
//! records are all older than the next segment's `created_ms`: trimming by age reads headers
//! only.
//!
//! Durability, with the log as the judge: a commit's record is written here under the
//! commit lock *before* the commit's log record is appended, and synced by the log's group
//! commit: each group's leader syncs the segment written since the last sync
//! ([`UnsyncedSegment::sync`]) before it writes the group's log records, so concurrent
//! writers share that sync as they share the log's. A crash can then leave records for
//! commits that the log lost (a torn or unsynced tail), never lose a record for a commit the
//! log has; reopening removes the records after the log's last sequence number. The body is
//! opaque here: the table encodes events, storage keeps bytes.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::storage::fs::{number_of_name, numbered_name, sync_dir, write_all_at};
use crate::storage::lock;

const MAGIC: &[u8; 8] = b"DYNASTR1";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;
const RECORD_HEADER_LEN: usize = 8;
/// Larger records are refused at write time and treated as torn at read time.
const MAX_RECORD_BYTES: usize = 1 << 30;
/// A segment is closed once it holds this much.
pub(crate) const SEGMENT_BYTES: u64 = 4 << 20;

/// How long and how much of the stream is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetentionLimits {
    /// Segments whose records are all older than this are removed.
    pub max_age: Option<Duration>,
    /// The oldest segments are removed while the stream holds more than this many bytes.
    pub max_bytes: Option<u64>,
}

/// One commit's record read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamRecord {
    pub seq: u64,
    pub time_ms: u64,
    pub body: Vec<u8>,
}

struct SegmentInfo {
    from_seq: u64,
    created_ms: u64,
    path: PathBuf,
    bytes: u64,
}

/// The segment that holds records written since its last sync, if any: shared with the
/// log's group commit, which syncs it before the log records of those commits.
#[derive(Default)]
pub(crate) struct UnsyncedSegment(Mutex<Option<(Arc<File>, PathBuf)>>);

impl UnsyncedSegment {
    /// Syncs the records written since the last sync. A record written while this runs is
    /// left for the next sync, which its commit's log record waits for too.
    pub(crate) fn sync(&self) -> Result<()> {
        let unsynced = lock(&self.0).take();
        match unsynced {
            Some((file, path)) => file.sync_data().map_err(|e| Error::io(&path, e)),
            None => Ok(()),
        }
    }

    fn written(&self, file: &Arc<File>, path: &Path) {
        *lock(&self.0) = Some((Arc::clone(file), path.to_owned()));
    }
}

/// The open stream: segments oldest first, the last one appended to.
pub(crate) struct StreamLog {
    dir: PathBuf,
    segments: Vec<SegmentInfo>,
    file: Arc<File>,
    /// The records written and not yet synced.
    unsynced: Arc<UnsyncedSegment>,
    /// The last record appended in this process: its sequence number and offset, so that a
    /// record of a commit that failed after it was written can be replaced.
    last_record: Option<(u64, u64)>,
    retention: RetentionLimits,
    segment_bytes: u64,
    /// Bytes of every segment kept, so that trimming looks at the segments it removes only.
    total_bytes: u64,
    /// Set when a write failed midway: the stream then refuses every append.
    failure: Option<String>,
}

/// The current time in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn segment_name(from_seq: u64) -> String {
    numbered_name(from_seq, "seg")
}

fn segment_from_seq(path: &Path) -> Option<u64> {
    number_of_name(path, "seg")
}

impl StreamLog {
    /// Opens the stream in `dir`, creating it when there is none. `last_seq` is the last
    /// sequence number the table's log holds: later records are of commits that did not
    /// happen and are removed. A new stream covers the commits after `last_seq`.
    pub(crate) fn open(
        dir: &Path,
        last_seq: u64,
        retention: RetentionLimits,
        segment_bytes: u64,
    ) -> Result<StreamLog> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut segments = list_segments(dir)?;
        // Whole segments that begin after the log's end hold only commits that were lost.
        while segments.last().is_some_and(|s| s.from_seq > last_seq + 1) {
            if let Some(lost) = segments.pop() {
                std::fs::remove_file(&lost.path).map_err(|e| Error::io(&lost.path, e))?;
            }
        }
        let file = match segments.last_mut() {
            Some(last) => {
                let scan = scan_segment(&last.path)?;
                let keep = scan
                    .records
                    .iter()
                    .find(|(record, _)| record.seq > last_seq)
                    .map_or(scan.valid_len, |(_, offset)| *offset);
                let file = OpenOptions::new()
                    .write(true)
                    .open(&last.path)
                    .map_err(|e| Error::io(&last.path, e))?;
                let length = file.metadata().map_err(|e| Error::io(&last.path, e))?.len();
                if keep < length {
                    file.set_len(keep).map_err(|e| Error::io(&last.path, e))?;
                    file.sync_all().map_err(|e| Error::io(&last.path, e))?;
                }
                last.bytes = keep;
                file
            }
            None => {
                let (info, file) = create_segment(dir, last_seq + 1, now_ms())?;
                segments.push(info);
                file
            }
        };
        let total_bytes = segments.iter().map(|s| s.bytes).sum();
        let mut log = StreamLog {
            dir: dir.to_owned(),
            total_bytes,
            segments,
            file: Arc::new(file),
            unsynced: Arc::default(),
            last_record: None,
            retention,
            segment_bytes,
            failure: None,
        };
        log.trim()?;
        Ok(log)
    }

    /// The first sequence number whose events are still kept.
    pub(crate) fn oldest_seq(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.from_seq)
    }

    /// How many segments are kept.
    pub(crate) fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The bytes of every segment kept.
    pub(crate) fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The segments that cover `from_seq` and after, oldest first.
    pub(crate) fn segments_from(&self, from_seq: u64) -> Vec<PathBuf> {
        let start = self
            .segments
            .iter()
            .rposition(|s| s.from_seq <= from_seq)
            .unwrap_or(0);
        self.segments[start..]
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }

    /// What syncs the records appended: the log's group commit runs it.
    pub(crate) fn unsynced(&self) -> Arc<UnsyncedSegment> {
        Arc::clone(&self.unsynced)
    }

    /// Appends the record of commit `seq`, unsynced (see [`StreamLog::unsynced`]), then
    /// trims what retention no longer keeps. A record of a failed commit that had the same
    /// or a later sequence number is replaced.
    pub(crate) fn append(&mut self, seq: u64, time_ms: u64, body: &[u8]) -> Result<()> {
        if let Some(reason) = &self.failure {
            return Err(Error::Poisoned {
                reason: reason.clone(),
            });
        }
        self.forget_from(seq)?;
        let payload_len = 16 + body.len();
        if payload_len > MAX_RECORD_BYTES {
            return Err(Error::validation(format!(
                "a commit's stream record of {payload_len} bytes is larger than the limit of \
                 {MAX_RECORD_BYTES} bytes"
            )));
        }
        if self
            .segments
            .last()
            .is_some_and(|s| s.bytes >= self.segment_bytes)
        {
            self.rotate(seq, time_ms)?;
        }
        let mut record = Vec::with_capacity(RECORD_HEADER_LEN + payload_len);
        record.extend_from_slice(&(payload_len as u32).to_le_bytes());
        record.extend_from_slice(&[0; 4]);
        record.extend_from_slice(&seq.to_le_bytes());
        record.extend_from_slice(&time_ms.to_le_bytes());
        record.extend_from_slice(body);
        let crc = crc32c::crc32c(&record[RECORD_HEADER_LEN..]);
        record[4..8].copy_from_slice(&crc.to_le_bytes());
        let Some(segment) = self.segments.last_mut() else {
            return Err(Error::validation("the change stream has no open segment"));
        };
        let offset = segment.bytes;
        let written =
            write_all_at(&self.file, &record, offset).map_err(|e| Error::io(&segment.path, e));
        if let Err(error) = written {
            // Bytes of a failed write must not pass for a record: cut them off, or refuse
            // every later append when even that fails.
            if self.file.set_len(offset).is_err() {
                self.failure = Some(error.to_string());
            }
            return Err(error);
        }
        self.unsynced.written(&self.file, &segment.path);
        segment.bytes = offset + record.len() as u64;
        self.total_bytes += record.len() as u64;
        self.last_record = Some((seq, offset));
        self.trim()
    }

    /// Removes the record a failed commit left under `seq` or later, if any: commit `seq`
    /// has no events.
    pub(crate) fn forget_from(&mut self, seq: u64) -> Result<()> {
        match self.last_record {
            Some((last_seq, offset)) if last_seq >= seq => self.truncate_last(offset),
            _ => Ok(()),
        }
    }

    fn truncate_last(&mut self, offset: u64) -> Result<()> {
        let Some(segment) = self.segments.last_mut() else {
            return Ok(());
        };
        if offset < segment.bytes {
            self.file
                .set_len(offset)
                .and_then(|()| self.file.sync_all())
                .map_err(|e| Error::io(&segment.path, e))?;
            self.total_bytes -= segment.bytes - offset;
            segment.bytes = offset;
        }
        self.last_record = None;
        Ok(())
    }

    fn rotate(&mut self, from_seq: u64, now: u64) -> Result<()> {
        // The closed segment's records are synced here: the group commit syncs the last one.
        if let Some(closed) = self.segments.last() {
            self.file
                .sync_data()
                .map_err(|e| Error::io(&closed.path, e))?;
        }
        let (info, file) = create_segment(&self.dir, from_seq, now)?;
        self.total_bytes += info.bytes;
        self.segments.push(info);
        self.file = Arc::new(file);
        self.last_record = None;
        Ok(())
    }

    /// Removes the oldest segments that retention no longer keeps; the last one always
    /// stays. Costs one file removal per trimmed segment.
    fn trim(&mut self) -> Result<()> {
        let now = now_ms();
        let mut trimmed = 0;
        while trimmed + 1 < self.segments.len() {
            let oldest = &self.segments[trimmed];
            let closed_ms = self.segments[trimmed + 1].created_ms;
            let too_old = self.retention.max_age.is_some_and(|age| {
                now.saturating_sub(closed_ms) > u64::try_from(age.as_millis()).unwrap_or(u64::MAX)
            });
            let too_big = self
                .retention
                .max_bytes
                .is_some_and(|bound| self.total_bytes > bound);
            if !too_old && !too_big {
                break;
            }
            std::fs::remove_file(&oldest.path).map_err(|e| Error::io(&oldest.path, e))?;
            self.total_bytes -= oldest.bytes;
            trimmed += 1;
        }
        if trimmed > 0 {
            self.segments.drain(..trimmed);
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

fn list_segments(dir: &Path) -> Result<Vec<SegmentInfo>> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let Some(from_seq) = segment_from_seq(&path) else {
            continue;
        };
        let mut header = [0u8; HEADER_LEN];
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let length = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if crate::storage::fs::read_exact_at(&file, &mut header, 0).is_err()
            || &header[..8] != MAGIC
        {
            if length <= HEADER_LEN as u64 {
                // A segment whose creation was cut short: it holds nothing.
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                continue;
            }
            return Err(Error::corrupt(
                &path,
                Some(0),
                "not a stream segment (bad magic)",
            ));
        }
        check_version(&path, &header)?;
        segments.push(SegmentInfo {
            from_seq,
            created_ms: u64_at(&header, 24),
            path,
            bytes: length,
        });
    }
    segments.sort_by_key(|s| s.from_seq);
    Ok(segments)
}

fn check_version(path: &Path, header: &[u8; HEADER_LEN]) -> Result<()> {
    let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    if version != VERSION {
        return Err(Error::Incompatible {
            path: path.to_owned(),
            found: version,
            supported: VERSION,
        });
    }
    Ok(())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn create_segment(dir: &Path, from_seq: u64, created_ms: u64) -> Result<(SegmentInfo, File)> {
    let path = dir.join(segment_name(from_seq));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&from_seq.to_le_bytes());
    header.extend_from_slice(&created_ms.to_le_bytes());
    write_all_at(&file, &header, 0)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(&path, e))?;
    sync_dir(dir)?;
    Ok((
        SegmentInfo {
            from_seq,
            created_ms,
            path,
            bytes: HEADER_LEN as u64,
        },
        file,
    ))
}

/// What reading one segment found: its whole records with their offsets.
pub(crate) struct SegmentScan {
    pub records: Vec<(StreamRecord, u64)>,
    /// Offset after the last whole record.
    pub valid_len: u64,
    /// Whether bytes follow the last whole record (a record cut short or failing its
    /// checksum): the torn tail of the last segment, damage anywhere else.
    pub torn: bool,
}

/// Reads every whole record of a segment. A record cut short, or failing its checksum as
/// the segment's last, ends the data: only the last segment can have one (a write a crash
/// cut), and reopening truncates it there. A bad record that others follow is damage.
pub(crate) fn scan_segment(path: &Path) -> Result<SegmentScan> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let header: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| Error::corrupt(path, Some(0), "stream segment header cut short"))?;
    if &header[..8] != MAGIC {
        return Err(Error::corrupt(
            path,
            Some(0),
            "not a stream segment (bad magic)",
        ));
    }
    check_version(path, header)?;
    let mut records = Vec::new();
    let mut pos = HEADER_LEN;
    while let Some(record_header) = bytes.get(pos..pos + RECORD_HEADER_LEN) {
        let length = u32::from_le_bytes([
            record_header[0],
            record_header[1],
            record_header[2],
            record_header[3],
        ]) as usize;
        let crc = u32::from_le_bytes([
            record_header[4],
            record_header[5],
            record_header[6],
            record_header[7],
        ]);
        let start = pos + RECORD_HEADER_LEN;
        let Some(payload) = bytes.get(start..start.saturating_add(length)) else {
            break;
        };
        if length < 16 || crc32c::crc32c(payload) != crc {
            if start + length < bytes.len() {
                // Records follow: not a write a crash cut, but damage.
                return Err(Error::corrupt(
                    path,
                    Some(pos as u64),
                    "a stream record fails its checksum",
                ));
            }
            break;
        }
        let seq = u64_at(payload, 0);
        if records
            .last()
            .is_some_and(|(last, _): &(StreamRecord, u64)| last.seq >= seq)
        {
            return Err(Error::corrupt(
                path,
                Some(pos as u64),
                "stream record sequence numbers out of order",
            ));
        }
        records.push((
            StreamRecord {
                seq,
                time_ms: u64_at(payload, 8),
                body: payload[16..].to_vec(),
            },
            pos as u64,
        ));
        pos = start + length;
    }
    Ok(SegmentScan {
        records,
        valid_len: pos as u64,
        torn: pos < bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: RetentionLimits = RetentionLimits {
        max_age: None,
        max_bytes: None,
    };

    fn read_all(log: &StreamLog) -> Vec<u64> {
        log.segments_from(0)
            .iter()
            .flat_map(|path| scan_segment(path).unwrap().records)
            .map(|(record, _)| record.seq)
            .collect()
    }

    #[test]
    fn reopening_drops_records_after_the_logs_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = StreamLog::open(dir.path(), 0, FOREVER, 64).unwrap();
        for seq in 1..=6 {
            log.append(seq, 0, &[seq as u8; 40]).unwrap();
        }
        assert!(log.segments.len() > 2);
        drop(log);
        let log = StreamLog::open(dir.path(), 3, FOREVER, 64).unwrap();
        assert_eq!(read_all(&log), vec![1, 2, 3]);
    }

    /// An append leaves its segment to sync; the sync takes it, so the next sync has
    /// nothing to do until another append.
    #[test]
    fn appends_are_left_for_the_group_commit_to_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = StreamLog::open(dir.path(), 0, FOREVER, SEGMENT_BYTES).unwrap();
        let unsynced = log.unsynced();
        assert!(lock(&unsynced.0).is_none());
        log.append(1, 0, b"one").unwrap();
        let pending = lock(&unsynced.0).as_ref().map(|(_, path)| path.clone());
        assert_eq!(pending, Some(log.segments_from(0)[0].clone()));
        unsynced.sync().unwrap();
        assert!(lock(&unsynced.0).is_none());
        unsynced.sync().unwrap();
        assert!(lock(&unsynced.0).is_none());
    }

    #[test]
    fn a_failed_commits_record_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = StreamLog::open(dir.path(), 0, FOREVER, SEGMENT_BYTES).unwrap();
        log.append(1, 0, b"one").unwrap();
        log.append(2, 0, b"lost").unwrap();
        log.append(2, 0, b"two").unwrap();
        let scan = scan_segment(&log.segments_from(0)[0]).unwrap();
        let bodies: Vec<_> = scan.records.into_iter().map(|(r, _)| r.body).collect();
        assert_eq!(bodies, vec![b"one".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn a_torn_tail_is_cut_at_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = StreamLog::open(dir.path(), 0, FOREVER, SEGMENT_BYTES).unwrap();
        log.append(1, 0, b"one").unwrap();
        log.append(2, 0, b"two").unwrap();
        let path = log.segments_from(0)[0].clone();
        drop(log);
        let length = std::fs::metadata(&path).unwrap().len();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(length - 2).unwrap();
        let mut log = StreamLog::open(dir.path(), 2, FOREVER, SEGMENT_BYTES).unwrap();
        assert_eq!(read_all(&log), vec![1]);
        log.append(2, 0, b"again").unwrap();
        assert_eq!(read_all(&log), vec![1, 2]);
    }

    #[test]
    fn byte_retention_removes_the_oldest_segments() {
        let dir = tempfile::tempdir().unwrap();
        let limits = RetentionLimits {
            max_age: None,
            max_bytes: Some(200),
        };
        let mut log = StreamLog::open(dir.path(), 0, limits, 100).unwrap();
        for seq in 1..=20 {
            log.append(seq, 0, &[0; 60]).unwrap();
        }
        let total: u64 = log.segments.iter().map(|s| s.bytes).sum();
        assert_eq!(log.total_bytes, total);
        assert!(total <= 200 + 100, "{total}");
        assert_eq!(log.oldest_seq(), log.segments[0].from_seq);
        assert!(log.oldest_seq() > 1);
        assert_eq!(*read_all(&log).last().unwrap(), 20);
        assert_eq!(read_all(&log)[0], log.oldest_seq());
    }
}
