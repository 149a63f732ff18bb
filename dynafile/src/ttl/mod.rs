//! Time to live, as DynamoDB's TTL: a table setting names an attribute holding each item's
//! expiry as a Number of seconds since the Unix epoch. An item whose expiry is past is
//! invisible to every read and treated as absent by every write from that moment, and a
//! sweep deletes it (with a change-stream REMOVE of [`EventOrigin::Ttl`]).
//!
//! The sweep costs work in proportion to what expired, not to the table: the expiry
//! keyspace (`ttl/`) holds one entry per item that has an expiry, keyed by
//! `(expiry, table key)`, maintained by the write pipeline in the same commit as the item
//! (as an index entry is), so the sweep reads it from the oldest eligible second up to now:
//!
//! ```text
//! entry key := (expiry seconds as i64, sign bit flipped, big-endian) (8) | table key
//! ```
//! with an empty value.
//!
//! [`EventOrigin::Ttl`]: crate::EventOrigin::Ttl

mod check;
mod clock;
mod enable;
mod sweep;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::index::{Index, IndexProjection};
use crate::item::Item;
use crate::key::{KeySchema, encode_key, key_of_item};
use crate::storage::{KeyspaceId, Op, Snapshot, TABLE_KEYSPACE};
use crate::table::Table;
use crate::value::Value;

pub(crate) use clock::epoch_seconds;
pub use clock::{Clock, ManualClock, SystemClock};
pub(crate) use sweep::SweeperGuard;

/// How far in the past an expiry may be and still expire the item: five years (of 365
/// days), as DynamoDB ignores older TTL values, which are more likely a mistake (seconds
/// counted from another origin) than a wish to delete.
pub const MAX_EXPIRED_AGE: Duration = Duration::from_secs(5 * 365 * 24 * 3600);

/// How often the background sweep runs by default.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// The directory of the expiry keyspace, relative to the table's.
pub(crate) const TTL_DIR: &str = "ttl";

/// The TTL setting as `meta.json` keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TtlMeta {
    /// The attribute holding each item's expiry; `None` while TTL is disabled (the expiry
    /// keyspace stays, emptied when TTL is enabled again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The keyspace of the expiry entries.
    pub keyspace: KeyspaceId,
    /// Set while TTL enabled on an existing table is filling the expiry keyspace.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub building: bool,
}

impl TtlMeta {
    /// CRC-32C of what the expiry keyspace holds, which its manifest records (the same
    /// whatever the attribute: entries are rebuilt when it changes).
    pub(crate) fn checksum() -> u32 {
        crc32c::crc32c(b"dynafile ttl expiry entries v1")
    }
}

/// The TTL setting of an open table, while TTL is enabled.
#[derive(Debug)]
pub(crate) struct Expiry {
    pub attribute: String,
    pub space: KeyspaceId,
    /// False while the expiry keyspace is being filled; the sweep waits for it.
    pub built: AtomicBool,
}

impl Expiry {
    pub(crate) fn new(attribute: String, space: KeyspaceId, built: bool) -> Expiry {
        Expiry {
            attribute,
            space,
            built: AtomicBool::new(built),
        }
    }

    pub(crate) fn is_built(&self) -> bool {
        self.built.load(Ordering::Acquire)
    }

    /// The expiry second of `item`: its TTL attribute when that is a Number (rounded down
    /// to whole seconds) that fits an `i64`; `None` otherwise, and then it never expires.
    pub(crate) fn seconds_of(&self, item: &Item) -> Option<i64> {
        match item.get(&self.attribute)? {
            Value::N(number) => number.floor_i64(),
            _ => None,
        }
    }

    /// Whether `item` has expired at `now` (epoch seconds).
    pub(crate) fn has_expired(&self, item: &Item, now: i64) -> bool {
        self.seconds_of(item)
            .is_some_and(|seconds| is_expired(seconds, now))
    }
}

/// Whether an expiry of `seconds` has passed at `now`: it is before `now` (an item whose
/// TTL is the current second is still there, as DynamoDB compares "less than") and at most
/// [`MAX_EXPIRED_AGE`] before it.
pub(crate) fn is_expired(seconds: i64, now: i64) -> bool {
    let oldest = now.saturating_sub(max_age_seconds());
    seconds < now && seconds >= oldest
}

fn max_age_seconds() -> i64 {
    i64::try_from(MAX_EXPIRED_AGE.as_secs()).unwrap_or(i64::MAX)
}

/// The first 8 bytes of the entries of second `seconds`: they order as the seconds do.
pub(crate) fn second_prefix(seconds: i64) -> [u8; 8] {
    (seconds.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// The expiry entry key of the item under `table_key` expiring at `seconds`.
pub(crate) fn entry_key(seconds: i64, table_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + table_key.len());
    key.extend_from_slice(&second_prefix(seconds));
    key.extend_from_slice(table_key);
    key
}

/// The table key of an expiry entry key; `None` when it is too short to be one.
pub(crate) fn table_key_of(entry: &[u8]) -> Option<&[u8]> {
    entry.get(8..).filter(|key| !key.is_empty())
}

/// TTL's state and counters in an open table.
#[derive(Debug)]
pub(crate) struct TtlRuntime {
    pub clock: Arc<dyn Clock>,
    /// How often the background sweep runs; `None` for never.
    pub sweep_interval: Option<Duration>,
    /// Expiry entries the sweeps read since the table was opened.
    pub entries_read: AtomicU64,
    /// Items the sweeps deleted since the table was opened.
    pub items_deleted: AtomicU64,
}

impl TtlRuntime {
    pub(crate) fn new(clock: Arc<dyn Clock>, sweep_interval: Option<Duration>) -> TtlRuntime {
        TtlRuntime {
            clock,
            sweep_interval,
            entries_read: AtomicU64::new(0),
            items_deleted: AtomicU64::new(0),
        }
    }
}

/// What a read needs to hide expired items: the setting, the time it judges by, and for a
/// read of an index whose entries lack the TTL attribute, the table to look items up in.
pub(crate) struct ExpiryFilter {
    expiry: Arc<Expiry>,
    now: i64,
    lookup: Option<Snapshot>,
}

impl ExpiryFilter {
    /// The filter of a read of `table` (or of `index`) from `snapshot` (the table's); `None`
    /// when TTL is disabled.
    pub(crate) fn of_read(
        table: &Table,
        index: Option<&Index>,
        snapshot: &Snapshot,
    ) -> Option<ExpiryFilter> {
        let expiry = table.hooks.expiry.load_full()?;
        let lookup = index
            .filter(|index| !holds_attribute(table.schema(), index, &expiry.attribute))
            .and_then(|_| snapshot.keyspace(TABLE_KEYSPACE));
        Some(ExpiryFilter {
            now: table.now_seconds(),
            expiry,
            lookup,
        })
    }

    /// Whether the read hides `item` (an item of the table, or an index entry's projection).
    pub(crate) fn hides(&self, table: &Table, item: &Item) -> Result<bool> {
        let Some(lookup) = &self.lookup else {
            return Ok(self.expiry.has_expired(item, self.now));
        };
        let schema = table.schema();
        let key = encode_key(schema, &key_of_item(schema, item)?)?;
        Ok(match table.get_unfiltered(lookup, &key)? {
            Some(stored) => self.expiry.has_expired(&stored, self.now),
            // An entry commits with its item: without the item there is no entry.
            None => true,
        })
    }
}

/// Whether an index's entries hold the attribute `attribute` of their items.
fn holds_attribute(table: &KeySchema, index: &Index, attribute: &str) -> bool {
    let is_key = [table, index.schema()].iter().any(|schema| {
        schema.partition_key.name == attribute
            || schema
                .sort_key
                .as_ref()
                .is_some_and(|sort| sort.name == attribute)
    });
    is_key
        || match &index.meta.projection {
            IndexProjection::All => true,
            IndexProjection::KeysOnly => false,
            IndexProjection::Include(names) => names.iter().any(|name| name == attribute),
        }
}

thread_local! {
    /// The moment the commit running on this thread judges expiry at, while it runs.
    static COMMIT_MOMENT: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

impl Table {
    /// The table clock's time in whole epoch seconds (within a commit, its one moment).
    pub(crate) fn now_seconds(&self) -> i64 {
        COMMIT_MOMENT
            .get()
            .unwrap_or_else(|| epoch_seconds(self.ttl.clock.now()))
    }

    /// Runs `work` (a commit's reads and changes, under the commit lock, on this thread)
    /// with every expiry judged at the same moment: a condition that saw an item and the
    /// stream event of its change agree, even across a second's boundary.
    pub(crate) fn at_one_moment<T>(&self, work: impl FnOnce() -> T) -> T {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                COMMIT_MOMENT.set(None);
            }
        }
        if COMMIT_MOMENT.get().is_some() {
            return work();
        }
        COMMIT_MOMENT.set(Some(epoch_seconds(self.ttl.clock.now())));
        let _reset = Reset;
        work()
    }

    /// `item`, unless it has expired now.
    pub(crate) fn unexpired(&self, item: Item) -> Option<Item> {
        match self.hooks.expiry.load().as_deref() {
            Some(expiry) if expiry.has_expired(&item, self.now_seconds()) => None,
            _ => Some(item),
        }
    }

    /// The old image a change-stream event shows for a change of the item under `key`:
    /// none when it has expired (for the user's writes the item was already gone), except
    /// for the sweep's own removals.
    pub(crate) fn streamed_old<'o>(
        &self,
        key: &[u8],
        old: Option<&'o Arc<[u8]>>,
        sweep: bool,
        now: i64,
    ) -> Result<Option<&'o Arc<[u8]>>> {
        let Some(bytes) = old else {
            return Ok(None);
        };
        let expiry = self.hooks.expiry.load();
        let Some(expiry) = expiry.as_deref().filter(|_| !sweep) else {
            return Ok(old);
        };
        let item = self.decode(key, bytes)?;
        Ok((!expiry.has_expired(&item, now)).then_some(bytes))
    }

    /// Adds to `ops` the expiry entries that go and come with one item's change from `old`
    /// to `new` (encoded images, `None` for no item), while TTL is enabled. It runs under
    /// the commit lock with the index maintenance.
    pub(crate) fn maintain_expiry(
        &self,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        ops: &mut Vec<Op>,
    ) -> Result<()> {
        let expiry = self.hooks.expiry.load();
        let Some(expiry) = expiry.as_deref() else {
            return Ok(());
        };
        let seconds = |image: Option<&[u8]>| -> Result<Option<i64>> {
            Ok(match image {
                Some(bytes) => expiry.seconds_of(&self.decode(key, bytes)?),
                None => None,
            })
        };
        let (old, new) = (seconds(old)?, seconds(new)?);
        if old == new {
            return Ok(());
        }
        if let Some(seconds) = old {
            ops.push(Op::Delete {
                space: expiry.space,
                key: entry_key(seconds, key),
            });
        }
        if let Some(seconds) = new {
            ops.push(Op::Put {
                space: expiry.space,
                key: entry_key(seconds, key),
                value: Arc::from(&[][..]),
            });
        }
        Ok(())
    }

    /// What `Dynafile::check` finds wrong with an entry of the expiry keyspace.
    pub(crate) fn expiry_entry_problem(&self, key: &[u8]) -> Option<String> {
        let Some(table_key) = table_key_of(key) else {
            return Some("an expiry entry is too short to hold a table key".to_owned());
        };
        self.decode_key(table_key)
            .err()
            .map(|_| "an expiry entry's table key does not decode".to_owned())
    }
}

/// The validation error of a TTL attribute name DynamoDB refuses (1 to 255 bytes).
pub(crate) fn check_attribute_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 255 {
        return Err(Error::validation(format!(
            "the TTL attribute name {name:?} must be 1 to 255 bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_order_by_second_then_key_across_the_epoch() {
        let mut keys = vec![
            entry_key(-5, b"b"),
            entry_key(0, b"a"),
            entry_key(1_700_000_000, b"a"),
            entry_key(1_700_000_000, b"b"),
            entry_key(i64::MAX, b"a"),
        ];
        let in_order = keys.clone();
        keys.reverse();
        keys.sort();
        assert_eq!(keys, in_order);
        assert_eq!(table_key_of(&entry_key(7, b"key")), Some(&b"key"[..]));
        assert_eq!(table_key_of(&second_prefix(7)), None);
    }

    #[test]
    fn expiry_is_strictly_before_now_and_within_five_years() {
        let now = 1_000_000_000;
        assert!(is_expired(now - 1, now));
        assert!(!is_expired(now, now));
        assert!(!is_expired(now + 1, now));
        let oldest = now - max_age_seconds();
        assert!(is_expired(oldest, now));
        assert!(!is_expired(oldest - 1, now));
    }
}
