//! [`Subscription`]: what a subscriber reads, live events and, from the durable stream, a
//! replay of earlier ones.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::key::{KeyDecoder, decode_key};
use crate::storage::{StreamRecord, lock, scan_segment};
use crate::stream::hub::{Channel, RawCommit, decode_body};
use crate::stream::{StreamEvent, StreamView, Streams};
use crate::table::decode_stored_item;

/// A table's events in commit order, from [`Dynafile::subscribe`](crate::Dynafile::subscribe)
/// (live events from the moment of subscribing) or
/// [`Dynafile::stream_from`](crate::Dynafile::stream_from) (the durable stream's events from
/// a sequence number on, then live ones).
///
/// Writers never wait for a subscription: each one buffers up to its capacity of events
/// (whole commits; one larger commit still fits an empty buffer). A live subscription that
/// falls further behind drops the commits that do not fit and its next read after the
/// buffered events returns [`Error::StreamLagged`] with how many events it dropped and the
/// sequence number to resume from; it then receives the commits after that report. A
/// subscription of the durable stream does not lag: when its buffer overflows it goes back
/// to the stream's segments for what it dropped.
///
/// Dropping the subscription unsubscribes it; when no subscription is left and the table has
/// no durable stream, writes go back to deriving no events at all.
pub struct Subscription {
    streams: Arc<Streams>,
    channel: Arc<Channel>,
    view: StreamView,
    durable: bool,
    /// The commit being read and the index of its next event.
    current: Option<(Arc<RawCommit>, usize)>,
    replay: Option<Replay>,
}

/// Reading the durable stream's segments, up to where the live buffer takes over.
struct Replay {
    from_seq: u64,
    through_seq: u64,
    segments: VecDeque<PathBuf>,
    records: VecDeque<StreamRecord>,
}

impl Subscription {
    pub(crate) fn live(streams: Arc<Streams>, view: StreamView, capacity: usize) -> Subscription {
        let (channel, _) = streams.subscribe(capacity);
        Subscription {
            streams,
            channel,
            view,
            durable: false,
            current: None,
            replay: None,
        }
    }

    pub(crate) fn durable(
        streams: Arc<Streams>,
        view: StreamView,
        capacity: usize,
        from_seq: u64,
    ) -> Result<Subscription> {
        let (channel, through_seq) = streams.subscribe(capacity);
        let mut subscription = Subscription {
            streams,
            channel,
            view,
            durable: true,
            current: None,
            replay: None,
        };
        subscription.start_replay(from_seq, through_seq)?;
        Ok(subscription)
    }

    fn start_replay(&mut self, from_seq: u64, through_seq: u64) -> Result<()> {
        let segments = self.streams.segments_from(from_seq)?;
        self.replay = Some(Replay {
            from_seq,
            through_seq,
            segments: segments.into(),
            records: VecDeque::new(),
        });
        Ok(())
    }

    /// The view of this subscription's events.
    #[must_use]
    pub fn view(&self) -> StreamView {
        self.view
    }

    /// The next event, waiting for one as long as it takes. [`Error::StreamClosed`] once the
    /// table is closed and every event before is read.
    pub fn recv(&mut self) -> Result<StreamEvent> {
        loop {
            if let Some(event) = self.next_event(None)? {
                return Ok(event);
            }
        }
    }

    /// The next event, waiting for one up to `timeout`; `None` when none came.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<StreamEvent>> {
        self.next_event(Some(Instant::now() + timeout))
    }

    /// The next event if one is there, without waiting.
    pub fn try_recv(&mut self) -> Result<Option<StreamEvent>> {
        self.next_event(Some(Instant::now()))
    }

    fn next_event(&mut self, deadline: Option<Instant>) -> Result<Option<StreamEvent>> {
        loop {
            if let Some((commit, index)) = self.current.take()
                && let Some(raw) = commit.events.get(index)
            {
                let event = self.decode(&commit, index, raw)?;
                self.current = Some((commit, index + 1));
                return Ok(Some(event));
            }
            if self.replay.is_some() {
                self.current = self.next_replayed()?;
                continue;
            }
            match self.next_live(deadline)? {
                Some(commit) => self.current = Some((commit, 0)),
                None => return Ok(None),
            }
        }
    }

    /// The next commit of the replay, or `None` (and the replay ended) past its end.
    fn next_replayed(&mut self) -> Result<Option<(Arc<RawCommit>, usize)>> {
        let Some(replay) = &mut self.replay else {
            return Ok(None);
        };
        loop {
            if let Some(record) = replay.records.pop_front() {
                if record.seq < replay.from_seq {
                    continue;
                }
                if record.seq > replay.through_seq {
                    break;
                }
                let events = decode_body(&record.body).ok_or_else(|| {
                    Error::corrupt(
                        self.streams
                            .durable_dir()
                            .unwrap_or(&self.streams.table_path),
                        None,
                        format!("the stream record of commit {} is malformed", record.seq),
                    )
                })?;
                let commit = RawCommit {
                    seq: record.seq,
                    time_ms: record.time_ms,
                    events,
                };
                return Ok(Some((Arc::new(commit), 0)));
            }
            let Some(path) = replay.segments.pop_front() else {
                break;
            };
            match scan_segment(&path) {
                // Only the last segment can end in a record being written.
                Ok(scan) if scan.torn && !replay.segments.is_empty() => {
                    return Err(Error::corrupt(
                        &path,
                        Some(scan.valid_len),
                        "a stream record is cut short or fails its checksum",
                    ));
                }
                Ok(scan) => replay.records = scan.records.into_iter().map(|(r, _)| r).collect(),
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    // Retention removed the segment while it was being read.
                    return Err(Error::StreamTrimmed {
                        requested: replay.from_seq,
                        oldest: self.streams.oldest_seq().unwrap_or(0),
                    });
                }
                Err(error) => return Err(error),
            }
        }
        self.replay = None;
        Ok(None)
    }

    /// The next commit handed to the live buffer, waiting until `deadline` (forever without
    /// one).
    fn next_live(&mut self, deadline: Option<Instant>) -> Result<Option<Arc<RawCommit>>> {
        let mut queue = lock(&self.channel.queue);
        loop {
            if let Some(commit) = queue.commits.pop_front() {
                queue.events -= commit.events.len();
                return Ok(Some(commit));
            }
            if let Some((dropped, resume_from)) = queue.lag {
                drop(queue);
                if self.durable {
                    // What was dropped is in the durable stream: read it from there.
                    let through_seq = self.streams.restart(&self.channel);
                    self.start_replay(resume_from, through_seq)?;
                    if let Some((commit, _)) = self.next_replayed()? {
                        return Ok(Some(commit));
                    }
                    queue = lock(&self.channel.queue);
                    continue;
                }
                queue = lock(&self.channel.queue);
                queue.lag = None;
                return Err(Error::StreamLagged {
                    dropped,
                    resume_from,
                });
            }
            if queue.closed {
                return Err(Error::StreamClosed);
            }
            queue = match deadline {
                None => self
                    .channel
                    .ready
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    self.channel
                        .ready
                        .wait_timeout(queue, left)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    fn decode(
        &self,
        commit: &RawCommit,
        index: usize,
        raw: &super::RawEvent,
    ) -> Result<StreamEvent> {
        let streams = &self.streams;
        let keys = decode_key(&streams.schema, &raw.key).ok_or_else(|| {
            Error::corrupt(
                &streams.table_path,
                None,
                "a stream event's key does not decode under the table's key schema",
            )
        })?;
        let image = |bytes: &Option<Arc<[u8]>>| {
            bytes
                .as_ref()
                .map(|value| {
                    decode_stored_item(
                        &streams.schema,
                        &streams.table_path,
                        &mut KeyDecoder::default(),
                        &raw.key,
                        value,
                    )
                })
                .transpose()
        };
        Ok(StreamEvent {
            sequence: commit.seq,
            index: u32::try_from(index).unwrap_or(u32::MAX),
            kind: raw.kind,
            keys,
            new_image: if self.view.keeps_new() {
                image(&raw.new)?
            } else {
                None
            },
            old_image: if self.view.keeps_old() {
                image(&raw.old)?
            } else {
                None
            },
            origin: raw.origin,
            created_at: SystemTime::UNIX_EPOCH + Duration::from_millis(commit.time_ms),
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.streams.unsubscribe();
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("view", &self.view)
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}
