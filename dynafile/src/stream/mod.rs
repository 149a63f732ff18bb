//! Change streams, as DynamoDB Streams: every commit that changes items yields INSERT,
//! MODIFY and REMOVE events in commit order, to in-process subscribers
//! ([`Dynafile::subscribe`](crate::Dynafile::subscribe)) and, when the table has one, to a
//! durable stream kept in `stream/` within a retention
//! ([`Dynafile::stream_from`](crate::Dynafile::stream_from)).
//!
//! Events are derived in the write pipeline (`write.rs`) from each changed item's old and new
//! images, under the commit lock; `hub.rs` hands them to subscribers once the commit has
//! succeeded, and `subscription.rs` is what a subscriber reads.

mod hub;
mod subscription;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::item::Item;
use crate::key::Key;
use crate::table::Dynafile;

pub(crate) use hub::{RawEvent, Streams};
pub use subscription::Subscription;

/// What a stream's events carry besides the keys: DynamoDB's `StreamViewType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamView {
    /// Only the key attributes of the changed item (`KEYS_ONLY`).
    KeysOnly,
    /// The item as it is after the change (`NEW_IMAGE`).
    NewImage,
    /// The item as it was before the change (`OLD_IMAGE`).
    OldImage,
    /// Both the new and the old image (`NEW_AND_OLD_IMAGES`).
    NewAndOldImages,
}

impl StreamView {
    fn keeps_new(self) -> bool {
        matches!(self, StreamView::NewImage | StreamView::NewAndOldImages)
    }

    fn keeps_old(self) -> bool {
        matches!(self, StreamView::OldImage | StreamView::NewAndOldImages)
    }
}

/// What a change did to its item: DynamoDB's `eventName`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A new item was written (`INSERT`).
    Insert,
    /// An existing item was replaced or updated and differs from what it was (`MODIFY`).
    Modify,
    /// An item was deleted (`REMOVE`).
    Remove,
}

impl EventKind {
    /// DynamoDB's name of the kind: `INSERT`, `MODIFY` or `REMOVE`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Insert => "INSERT",
            EventKind::Modify => "MODIFY",
            EventKind::Remove => "REMOVE",
        }
    }
}

/// Who made a change: DynamoDB's `userIdentity`, which tells a user's write from the
/// service's removal of an expired item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventOrigin {
    /// A write of the table's API (DynamoDB's records without a `userIdentity`).
    User,
    /// The TTL sweep's removal of an expired item (DynamoDB's `userIdentity` of type
    /// `Service`, principal `dynamodb.amazonaws.com`). Such events are REMOVEs with the
    /// expired item as their old image.
    Ttl,
}

/// One item's change in a commit.
///
/// Events of one commit (a batch, a transaction) share its `sequence` and come together,
/// numbered by `index` in the order of the commit's changes. Sequence numbers strictly
/// increase from commit to commit but have gaps: a commit that changed no item (a put of an
/// identical item) has no events, as in DynamoDB.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamEvent {
    /// The commit's sequence number.
    pub sequence: u64,
    /// The event's position among its commit's events, from 0.
    pub index: u32,
    /// What the change did.
    pub kind: EventKind,
    /// The changed item's key.
    pub keys: Key,
    /// The item after the change, under the views that keep it; `None` for a removal.
    pub new_image: Option<Item>,
    /// The item before the change, under the views that keep it; `None` for an insertion.
    pub old_image: Option<Item>,
    /// Who made the change.
    pub origin: EventOrigin,
    /// When the change was committed, to the millisecond (DynamoDB's
    /// `ApproximateCreationDateTime`).
    pub created_at: SystemTime,
}

/// How much of a table's durable stream is kept: events older than the age bound, and the
/// oldest events while the stream holds more than the byte bound, are removed. Removal goes
/// by whole segments of a few MiB, so slightly more may be kept than the bounds say.
///
/// ```
/// use std::time::Duration;
/// use dynafile::Retention;
/// let a_day = Retention::default(); // DynamoDB's 24 hours, no byte bound
/// let small = Retention::age(Duration::from_secs(3600)).max_bytes(64 << 20);
/// assert_ne!(a_day, small);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Retention {
    pub(crate) max_age: Option<Duration>,
    pub(crate) max_bytes: Option<u64>,
}

impl Retention {
    /// Keeps events for `age`, with no byte bound.
    pub fn age(age: Duration) -> Retention {
        Retention {
            max_age: Some(age),
            max_bytes: None,
        }
    }

    /// Keeps events whatever their age, up to `bytes` of stream segments.
    pub fn bytes(bytes: u64) -> Retention {
        Retention {
            max_age: None,
            max_bytes: Some(bytes),
        }
    }

    /// Also bounds the stream's size to `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> Retention {
        self.max_bytes = Some(bytes);
        self
    }
}

impl Default for Retention {
    /// DynamoDB's retention: 24 hours.
    fn default() -> Retention {
        Retention::age(Duration::from_secs(24 * 3600))
    }
}

/// The durable stream's settings as `meta.json` keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamSpec {
    pub view: StreamView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_bytes: Option<u64>,
}

impl StreamSpec {
    pub(crate) fn new(view: StreamView, retention: Retention) -> StreamSpec {
        StreamSpec {
            view,
            retention_ms: retention
                .max_age
                .map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
            retention_bytes: retention.max_bytes,
        }
    }
}

/// The default number of events a subscription buffers before it lags.
pub const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 4096;

impl Dynafile {
    /// Subscribes to the table's changes from now on: every later commit's events, in
    /// commit order, with the images `view` keeps. The subscription buffers up to
    /// [`DEFAULT_SUBSCRIPTION_CAPACITY`] events (see [`Subscription`] for what happens past
    /// that); dropping it unsubscribes.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, EventKind, Key, KeyType, StreamView};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
    /// let mut changes = db.subscribe(StreamView::NewAndOldImages);
    /// db.put_item(&item! { "PK" => "a", "v" => 1 })?;
    /// db.put_item(&item! { "PK" => "a", "v" => 2 })?;
    /// db.delete_item(Key::new("a"))?;
    /// let kinds: Vec<EventKind> = (0..3).map(|_| changes.recv().map(|e| e.kind)).collect::<Result<_, _>>()?;
    /// assert_eq!(kinds, [EventKind::Insert, EventKind::Modify, EventKind::Remove]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn subscribe(&self, view: StreamView) -> Subscription {
        self.subscribe_with_capacity(view, DEFAULT_SUBSCRIPTION_CAPACITY)
    }

    /// [`Dynafile::subscribe`] with a buffer of `capacity` events (at least 1).
    #[must_use]
    pub fn subscribe_with_capacity(&self, view: StreamView, capacity: usize) -> Subscription {
        Subscription::live(Arc::clone(&self.table.streams), view, capacity)
    }

    /// Replays the durable stream's events from commit `sequence` on (0 for everything it
    /// keeps), then goes on with live events, in the table's stream view. Errors: the table
    /// has no durable stream ([`Builder::stream`](crate::Builder::stream)), or
    /// [`Error::StreamTrimmed`](crate::Error::StreamTrimmed) naming the oldest sequence
    /// number kept when retention removed `sequence`.
    pub fn stream_from(&self, sequence: u64) -> crate::Result<Subscription> {
        self.stream_from_with_capacity(sequence, DEFAULT_SUBSCRIPTION_CAPACITY)
    }

    /// [`Dynafile::stream_from`] with a live buffer of `capacity` events (at least 1). Such a
    /// subscription never lags: what overflows its buffer is read back from the stream's
    /// segments.
    pub fn stream_from_with_capacity(
        &self,
        sequence: u64,
        capacity: usize,
    ) -> crate::Result<Subscription> {
        let streams = &self.table.streams;
        let Some(view) = streams.durable_view() else {
            return Err(crate::Error::validation(
                "the table has no durable stream; create it with Builder::stream to replay \
                 events",
            ));
        };
        let from = match streams.oldest_seq() {
            Some(oldest) if sequence == 0 => oldest,
            _ => sequence,
        };
        Subscription::durable(Arc::clone(streams), view, capacity, from)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Dynafile, KeyType, Retention, StreamView};

    /// Writes derive events only while a subscription exists or the table has a durable
    /// stream.
    #[test]
    fn streams_are_active_only_while_someone_reads_them() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let db = Dynafile::builder(dir.path().join("plain"))
            .partition_key("PK", KeyType::S)
            .open()?;
        assert!(!db.table.streams.active());
        let first = db.subscribe(StreamView::KeysOnly);
        let second = db.subscribe(StreamView::NewImage);
        assert!(db.table.streams.active());
        drop(first);
        assert!(db.table.streams.active());
        drop(second);
        assert!(!db.table.streams.active());
        let durable = Dynafile::builder(dir.path().join("durable"))
            .partition_key("PK", KeyType::S)
            .stream(StreamView::KeysOnly, Retention::default())
            .open()?;
        assert!(durable.table.streams.active());
        Ok(())
    }
}
