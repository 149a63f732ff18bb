//! Where a table's events go: the durable stream's segments, and the buffers of the
//! in-process subscriptions.
//!
//! Under the commit lock, [`Streams::record`] writes a commit's events to the durable stream
//! (synced by the log's group commit before the commit's log record is written, see
//! `storage/stream_log.rs`) and
//! queues them as pending. Once the commit has succeeded (synced, under
//! `Durability::Immediate`), [`Streams::release`] hands every pending commit up to its
//! sequence number to the subscriptions, in commit order: a failed commit's events are never
//! handed out. (A `Durability::Buffered` commit is released once visible, and with it any
//! earlier commit still waiting for its sync.) A commit that fails before taking its sequence number leaves pending events
//! that the next commit, which takes the same number, replaces.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use crate::encoding::{read_varint, write_varint};
use crate::error::{Error, Result};
use crate::key::KeySchema;
use crate::storage::{
    Problem, RetentionLimits, SEGMENT_BYTES, StreamLog, UnsyncedSegment, lock, now_ms, scan_segment,
};
use crate::stream::{EventKind, EventOrigin, StreamSpec, StreamView};

/// The directory of the durable stream's segments.
pub(crate) const STREAM_DIR: &str = "stream";

/// One item's change, as stored: the encoded key and images (`None` for no item, or an
/// image the view does not keep).
#[derive(Clone, Debug)]
pub(crate) struct RawEvent {
    pub kind: EventKind,
    pub origin: EventOrigin,
    pub key: Vec<u8>,
    pub old: Option<Arc<[u8]>>,
    pub new: Option<Arc<[u8]>>,
}

impl RawEvent {
    /// The event of one item's change from `old` to `new`; `None` when nothing changed (no
    /// item before and after, or an identical item: encodings are canonical).
    pub(crate) fn of_change(
        key: &[u8],
        old: Option<&Arc<[u8]>>,
        new: Option<&Arc<[u8]>>,
    ) -> Option<RawEvent> {
        let kind = match (old, new) {
            (None, None) => return None,
            (None, Some(_)) => EventKind::Insert,
            (Some(_), None) => EventKind::Remove,
            (Some(old), Some(new)) if old == new => return None,
            (Some(_), Some(_)) => EventKind::Modify,
        };
        Some(RawEvent {
            kind,
            origin: EventOrigin::User,
            key: key.to_vec(),
            old: old.cloned(),
            new: new.cloned(),
        })
    }
}

/// One commit's events.
#[derive(Debug)]
pub(crate) struct RawCommit {
    pub seq: u64,
    pub time_ms: u64,
    pub events: Vec<RawEvent>,
}

const KIND_INSERT: u8 = 1;
const KIND_MODIFY: u8 = 2;
const KIND_REMOVE: u8 = 3;
const ORIGIN_USER: u8 = 1;
const ORIGIN_TTL: u8 = 2;
const HAS_OLD: u8 = 1;
const HAS_NEW: u8 = 2;

/// Encodes events for the durable stream, keeping the images `view` keeps:
/// `varint(count) (kind origin flags varint(len) key [varint(len) old] [varint(len) new])*`.
fn encode_body(view: StreamView, events: &[RawEvent]) -> Vec<u8> {
    let mut body = Vec::new();
    write_varint(&mut body, events.len() as u64);
    for event in events {
        body.push(match event.kind {
            EventKind::Insert => KIND_INSERT,
            EventKind::Modify => KIND_MODIFY,
            EventKind::Remove => KIND_REMOVE,
        });
        body.push(match event.origin {
            EventOrigin::User => ORIGIN_USER,
            EventOrigin::Ttl => ORIGIN_TTL,
        });
        let old = event.old.as_ref().filter(|_| view.keeps_old());
        let new = event.new.as_ref().filter(|_| view.keeps_new());
        body.push(
            if old.is_some() { HAS_OLD } else { 0 } | if new.is_some() { HAS_NEW } else { 0 },
        );
        for bytes in [
            Some(event.key.as_slice()),
            old.map(|o| &o[..]),
            new.map(|n| &n[..]),
        ]
        .into_iter()
        .flatten()
        {
            write_varint(&mut body, bytes.len() as u64);
            body.extend_from_slice(bytes);
        }
    }
    body
}

/// Decodes [`encode_body`]'s bytes; `None` when they are malformed.
pub(crate) fn decode_body(body: &[u8]) -> Option<Vec<RawEvent>> {
    let mut pos = 0;
    let count = read_varint(body, &mut pos)?;
    if count > body.len() as u64 {
        return None;
    }
    let take = |pos: &mut usize| -> Option<Vec<u8>> {
        let length = usize::try_from(read_varint(body, pos)?).ok()?;
        let bytes = body.get(*pos..pos.checked_add(length)?)?.to_vec();
        *pos += length;
        Some(bytes)
    };
    let mut events = Vec::with_capacity(usize::try_from(count).ok()?);
    for _ in 0..count {
        let [kind, origin, flags] = *body.get(pos..pos + 3)? else {
            return None;
        };
        pos += 3;
        let kind = match kind {
            KIND_INSERT => EventKind::Insert,
            KIND_MODIFY => EventKind::Modify,
            KIND_REMOVE => EventKind::Remove,
            _ => return None,
        };
        let origin = match origin {
            ORIGIN_USER => EventOrigin::User,
            ORIGIN_TTL => EventOrigin::Ttl,
            _ => return None,
        };
        let key = take(&mut pos)?;
        let old = if flags & HAS_OLD != 0 {
            Some(Arc::from(take(&mut pos)?))
        } else {
            None
        };
        let new = if flags & HAS_NEW != 0 {
            Some(Arc::from(take(&mut pos)?))
        } else {
            None
        };
        events.push(RawEvent {
            kind,
            origin,
            key,
            old,
            new,
        });
    }
    (pos == body.len()).then_some(events)
}

/// A subscription's buffer.
pub(crate) struct Channel {
    pub(crate) queue: Mutex<Queue>,
    pub(crate) ready: Condvar,
}

/// What a subscription has been handed and not yet read.
pub(crate) struct Queue {
    pub commits: VecDeque<Arc<RawCommit>>,
    /// Events in `commits`.
    pub events: usize,
    pub capacity: usize,
    /// Set on overflow: the commits dropped since, in events, and the first one's sequence
    /// number.
    pub lag: Option<(u64, u64)>,
    pub closed: bool,
}

impl Channel {
    fn new(capacity: usize) -> Channel {
        Channel {
            queue: Mutex::new(Queue {
                commits: VecDeque::new(),
                events: 0,
                capacity: capacity.max(1),
                lag: None,
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    /// Buffers a commit whole, or drops it when it does not fit (a commit always fits an
    /// empty buffer). Once one is dropped every later one is, until the lag is reported:
    /// a subscription never skips events silently.
    fn push(&self, commit: &Arc<RawCommit>) {
        let mut queue = lock(&self.queue);
        let count = commit.events.len();
        if let Some((dropped, _)) = &mut queue.lag {
            *dropped += count as u64;
        } else if queue.events > 0 && queue.events + count > queue.capacity {
            queue.lag = Some((count as u64, commit.seq));
        } else {
            queue.events += count;
            queue.commits.push_back(Arc::clone(commit));
        }
        drop(queue);
        self.ready.notify_all();
    }

    fn close(&self) {
        lock(&self.queue).closed = true;
        self.ready.notify_all();
    }
}

struct HubState {
    /// Commits recorded whose commit has not yet been reported successful, in order.
    pending: VecDeque<Arc<RawCommit>>,
    /// Every commit up to this sequence number has been handed out.
    released: u64,
    channels: Vec<Weak<Channel>>,
    closed: bool,
}

struct Durable {
    view: StreamView,
    dir: PathBuf,
    log: Mutex<StreamLog>,
}

/// A table's change streams.
pub(crate) struct Streams {
    durable: Option<Durable>,
    /// Live subscriptions: while there are none and no durable stream, writes derive no
    /// events and read no old images.
    subscribers: AtomicUsize,
    state: Mutex<HubState>,
    pub(crate) schema: KeySchema,
    pub(crate) table_path: PathBuf,
}

impl Streams {
    /// The streams of the table in `table_path`, whose log ends at `last_seq`; with `spec`,
    /// its durable stream, opened (or created) in `stream/`.
    pub(crate) fn open(
        table_path: &Path,
        schema: KeySchema,
        spec: Option<StreamSpec>,
        last_seq: u64,
    ) -> Result<Streams> {
        let durable = spec
            .map(|spec| -> Result<Durable> {
                let dir = table_path.join(STREAM_DIR);
                let limits = RetentionLimits {
                    max_age: spec.retention_ms.map(Duration::from_millis),
                    max_bytes: spec.retention_bytes,
                };
                let segment_bytes = limits.max_bytes.map_or(SEGMENT_BYTES, |bound| {
                    (bound / 4).clamp(4096, SEGMENT_BYTES)
                });
                let log = StreamLog::open(&dir, last_seq, limits, segment_bytes)?;
                Ok(Durable {
                    view: spec.view,
                    dir,
                    log: Mutex::new(log),
                })
            })
            .transpose()?;
        Ok(Streams {
            durable,
            subscribers: AtomicUsize::new(0),
            state: Mutex::new(HubState {
                pending: VecDeque::new(),
                released: last_seq,
                channels: Vec::new(),
                closed: false,
            }),
            schema,
            table_path: table_path.to_owned(),
        })
    }

    /// Whether commits must derive events.
    pub(crate) fn active(&self) -> bool {
        self.durable.is_some() || self.subscribers.load(Ordering::Acquire) > 0
    }

    /// What syncs the durable stream's records, for the log's group commit to run before
    /// it writes the records of their commits (`None` without a durable stream).
    pub(crate) fn unsynced_segment(&self) -> Option<Arc<UnsyncedSegment>> {
        self.durable
            .as_ref()
            .map(|durable| lock(&durable.log).unsynced())
    }

    /// The durable stream's view, when the table has one.
    pub(crate) fn durable_view(&self) -> Option<StreamView> {
        self.durable.as_ref().map(|d| d.view)
    }

    /// Records the events of commit `seq`, under the commit lock: durably first, then as
    /// pending for the subscriptions. Called for every commit while streams are active, also
    /// one without events, so that what a failed commit left under `seq` is replaced.
    pub(crate) fn record(&self, seq: u64, events: Vec<RawEvent>) -> Result<()> {
        let time_ms = now_ms();
        if let Some(durable) = &self.durable {
            let mut log = lock(&durable.log);
            if events.is_empty() {
                log.forget_from(seq)?;
            } else {
                log.append(seq, time_ms, &encode_body(durable.view, &events))?;
            }
        }
        let mut state = lock(&self.state);
        while state.pending.back().is_some_and(|c| c.seq >= seq) {
            state.pending.pop_back();
        }
        if !events.is_empty() {
            state.pending.push_back(Arc::new(RawCommit {
                seq,
                time_ms,
                events,
            }));
        }
        Ok(())
    }

    /// Hands every pending commit up to `seq` to the subscriptions, once commit `seq` has
    /// succeeded (commits are durable in order, so those before it are too).
    pub(crate) fn release(&self, seq: u64) {
        let mut state = lock(&self.state);
        while let Some(commit) = state.pending.front()
            && commit.seq <= seq
        {
            let commit = Arc::clone(commit);
            state.pending.pop_front();
            state.channels.retain(|channel| match channel.upgrade() {
                Some(channel) => {
                    channel.push(&commit);
                    true
                }
                None => false,
            });
        }
        state.released = state.released.max(seq);
    }

    /// A new live subscription's buffer, and the last sequence number handed out before it:
    /// it receives every commit after that one.
    pub(crate) fn subscribe(&self, capacity: usize) -> (Arc<Channel>, u64) {
        let channel = Arc::new(Channel::new(capacity));
        let mut state = lock(&self.state);
        self.subscribers.fetch_add(1, Ordering::AcqRel);
        if state.closed {
            channel.close();
        }
        state.channels.push(Arc::downgrade(&channel));
        (channel, state.released)
    }

    /// Empties a subscription's buffer and clears its lag, returning the last sequence
    /// number handed out: the subscription receives every commit after that one.
    pub(crate) fn restart(&self, channel: &Channel) -> u64 {
        let state = lock(&self.state);
        let mut queue = lock(&channel.queue);
        queue.commits.clear();
        queue.events = 0;
        queue.lag = None;
        state.released
    }

    /// Called when a subscription is dropped.
    pub(crate) fn unsubscribe(&self) {
        self.subscribers.fetch_sub(1, Ordering::AcqRel);
    }

    /// Closes every subscription: the table was closed.
    pub(crate) fn close(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        state.pending.clear();
        for channel in state.channels.drain(..).filter_map(|c| c.upgrade()) {
            channel.close();
        }
    }

    /// The durable stream's segments that hold `from_seq` and after, and the oldest sequence
    /// number kept; an error when `from_seq` is older than that, or there is no durable
    /// stream.
    pub(crate) fn segments_from(&self, from_seq: u64) -> Result<Vec<PathBuf>> {
        let Some(durable) = &self.durable else {
            return Err(Error::validation(
                "the table has no durable stream; create it with Builder::stream to replay \
                 events",
            ));
        };
        let log = lock(&durable.log);
        let oldest = log.oldest_seq();
        if from_seq < oldest {
            return Err(Error::StreamTrimmed {
                requested: from_seq,
                oldest,
            });
        }
        Ok(log.segments_from(from_seq))
    }

    /// The oldest sequence number the durable stream keeps.
    pub(crate) fn oldest_seq(&self) -> Option<u64> {
        self.durable
            .as_ref()
            .map(|durable| lock(&durable.log).oldest_seq())
    }

    /// The durable stream's segments: how many and their bytes (none without one).
    pub(crate) fn files(&self) -> crate::info::FileGroup {
        self.durable
            .as_ref()
            .map_or_else(crate::info::FileGroup::default, |durable| {
                let log = lock(&durable.log);
                crate::info::FileGroup::new(log.segment_count(), log.total_bytes())
            })
    }

    /// Reads every segment of the durable stream, adding what is wrong to `problems`: a
    /// damaged or cut record (the last segment may end in one a crash cut, which reopening
    /// removes), and a record whose events do not decode.
    pub(crate) fn check(&self, problems: &mut Vec<Problem>) {
        let Some(durable) = &self.durable else {
            return;
        };
        let segments = lock(&durable.log).segments_from(0);
        let last = segments.len().saturating_sub(1);
        for (index, path) in segments.iter().enumerate() {
            let problem = |offset, reason: &str| Problem {
                file: path.clone(),
                offset,
                reason: reason.to_owned(),
            };
            match scan_segment(path) {
                Ok(scan) => {
                    if scan.torn && index < last {
                        problems.push(problem(Some(scan.valid_len), "stream record cut short"));
                    }
                    for (record, offset) in &scan.records {
                        if decode_body(&record.body).is_none() {
                            problems.push(problem(Some(*offset), "malformed stream record"));
                        }
                    }
                }
                Err(Error::Corrupt { offset, reason, .. }) => {
                    problems.push(problem(offset, &reason));
                }
                Err(error) => problems.push(problem(None, &error.to_string())),
            }
        }
    }

    /// The durable stream's directory.
    pub(crate) fn durable_dir(&self) -> Option<&Path> {
        self.durable.as_ref().map(|d| d.dir.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_with_the_images_of_their_view() {
        let event = RawEvent {
            kind: EventKind::Modify,
            origin: EventOrigin::User,
            key: b"key".to_vec(),
            old: Some(Arc::from(&b"old"[..])),
            new: Some(Arc::from(&b"new"[..])),
        };
        for (view, old, new) in [
            (StreamView::KeysOnly, false, false),
            (StreamView::NewImage, false, true),
            (StreamView::OldImage, true, false),
            (StreamView::NewAndOldImages, true, true),
        ] {
            let body = encode_body(view, std::slice::from_ref(&event));
            let decoded = decode_body(&body).unwrap();
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0].kind, EventKind::Modify);
            assert_eq!(decoded[0].key, b"key");
            assert_eq!(decoded[0].old.is_some(), old, "{view:?}");
            assert_eq!(decoded[0].new.is_some(), new, "{view:?}");
            assert_eq!(decode_body(&body[..body.len() - 1]).map(|e| e.len()), None);
        }
    }

    #[test]
    fn the_origin_of_each_event_round_trips() {
        let events: Vec<RawEvent> = [EventOrigin::Ttl, EventOrigin::User]
            .into_iter()
            .map(|origin| RawEvent {
                kind: EventKind::Remove,
                origin,
                key: b"key".to_vec(),
                old: Some(Arc::from(&b"old"[..])),
                new: None,
            })
            .collect();
        let body = encode_body(StreamView::OldImage, &events);
        let origins: Vec<EventOrigin> = decode_body(&body)
            .unwrap()
            .into_iter()
            .map(|event| event.origin)
            .collect();
        assert_eq!(origins, [EventOrigin::Ttl, EventOrigin::User]);
    }

    #[test]
    fn an_identical_item_is_no_change() {
        let item: Arc<[u8]> = Arc::from(&b"same"[..]);
        assert!(RawEvent::of_change(b"k", Some(&item), Some(&item.clone())).is_none());
        assert!(RawEvent::of_change(b"k", None, None).is_none());
        let kinds: Vec<_> = [(None, Some(&item)), (Some(&item), None)]
            .into_iter()
            .filter_map(|(old, new)| RawEvent::of_change(b"k", old, new))
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec![EventKind::Insert, EventKind::Remove]);
    }
}
