//! The write pipeline: every put, delete, update, batch and transaction commits through
//! [`Table::commit_changes`] (or [`Table::commit_blind`] when it reads nothing first).
//!
//! Callers say which items change ([`ItemChange`]: a key and the new item, or a delete); the
//! pipeline turns the changes into the storage's ops of one log record. This is the one place
//! where what a table maintains beside its items joins a commit: secondary index entries as
//! extra ops of the same record, change-stream events from the old and new images, in commit
//! order. Both need the old image of each changed item, so the pipeline reads it from the
//! latest state only when [`WriteHooks::needs_old_images`] says so; a table without them
//! pays nothing for it, and a blind put still prepares its log record outside the commit lock.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::error::{Error, Result, ValidationError};
use crate::index::Index;
use crate::storage::{Durability, Op, Snapshot, TABLE_KEYSPACE};
use crate::stream::{EventOrigin, RawEvent};
use crate::table::Table;
use crate::ttl::Expiry;

/// One item's change in a commit.
#[derive(Clone, Debug)]
pub(crate) struct ItemChange {
    /// The item's encoded key.
    pub(crate) key: Vec<u8>,
    /// The new item, encoded as stored; `None` deletes the item.
    pub(crate) new: Option<Arc<[u8]>>,
    /// Who makes the change: the TTL sweep's deletes show as such in change streams.
    pub(crate) origin: EventOrigin,
}

impl ItemChange {
    /// Writes `value` under `key`, replacing any item there.
    pub(crate) fn put(key: Vec<u8>, value: Arc<[u8]>) -> ItemChange {
        ItemChange {
            key,
            new: Some(value),
            origin: EventOrigin::User,
        }
    }

    /// Deletes the item under `key`, if any.
    pub(crate) fn delete(key: Vec<u8>) -> ItemChange {
        ItemChange {
            key,
            new: None,
            origin: EventOrigin::User,
        }
    }

    /// The TTL sweep's delete of the expired item under `key`.
    pub(crate) fn expire(key: Vec<u8>) -> ItemChange {
        ItemChange {
            origin: EventOrigin::Ttl,
            ..ItemChange::delete(key)
        }
    }

    /// The change of a table op made by [`ItemChange::into_op`].
    fn from_op(op: Op) -> ItemChange {
        match op {
            Op::Put { key, value, .. } => ItemChange::put(key, value),
            Op::Delete { key, .. } => ItemChange::delete(key),
        }
    }

    fn into_op(self) -> Op {
        match self.new {
            Some(value) => Op::Put {
                space: TABLE_KEYSPACE,
                key: self.key,
                value,
            },
            None => Op::Delete {
                space: TABLE_KEYSPACE,
                key: self.key,
            },
        }
    }
}

/// What a table maintains on each write besides its items: its secondary indexes and the
/// expiry entries of TTL. (Change streams need old images only while they are active,
/// which `Table::needs_old_images` asks them.)
#[derive(Default)]
pub(crate) struct WriteHooks {
    /// Whether each commit reads the old image of every item it changes, even without
    /// indexes.
    pub(crate) needs_old_images: bool,
    /// The table's indexes, replaced whole (under the commit lock) when one is added.
    pub(crate) indexes: ArcSwap<Vec<Arc<Index>>>,
    /// The TTL setting while TTL is enabled, replaced (under the commit lock) when it is
    /// enabled or disabled.
    pub(crate) expiry: ArcSwapOption<Expiry>,
}

impl WriteHooks {
    /// Whether each commit reads the old image of every item it changes. Asked under the
    /// commit lock, it is exact for that commit.
    pub(crate) fn needs_old_images(&self) -> bool {
        self.needs_old_images || !self.indexes.load().is_empty() || self.expiry.load().is_some()
    }
}

impl Table {
    /// Commits the changes `build` decides on after reading the latest state, atomically
    /// against every other commit, as one log record. When `build` fails, nothing is written.
    pub(crate) fn commit_changes<T>(
        &self,
        durability: Durability,
        build: impl FnOnce(&Snapshot) -> Result<(Vec<ItemChange>, T)>,
    ) -> Result<T> {
        let mut streamed = None;
        let out = self.store.commit_with(durability, |latest| {
            // Whatever the commit reads and streams judges expiry at one moment.
            let (ops, events, out) = self.at_one_moment(|| {
                let (changes, out) = build(latest)?;
                let (ops, events) = self.ops_of(latest, changes)?;
                Ok::<_, Error>((ops, events, out))
            })?;
            if let Some(events) = events
                && !ops.is_empty()
            {
                // Under the commit lock every commit is applied: this one takes the next
                // sequence number.
                let seq = latest.seq + 1;
                self.streams.record(seq, events)?;
                streamed = Some(seq);
            }
            Ok((ops, out))
        })?;
        if let Some(seq) = streamed {
            self.streams.release(seq);
        }
        Ok(out)
    }

    /// Whether commits read the old images of the items they change: for the indexes, or
    /// for change-stream events while a subscription or a durable stream exists. Asked
    /// under the commit lock, it is exact for that commit.
    fn needs_old_images(&self) -> bool {
        self.hooks.needs_old_images() || self.streams.active()
    }

    /// Commits changes decided without reading the table. The fast path of puts, deletes
    /// and batches: without hooks the log record is prepared outside the commit lock.
    pub(crate) fn commit_blind(
        &self,
        durability: Durability,
        changes: Vec<ItemChange>,
    ) -> Result<()> {
        let changes = if self.needs_old_images() {
            changes
        } else {
            let ops = changes.into_iter().map(ItemChange::into_op).collect();
            // An index added (or a subscription made) since the check above needs this
            // commit's entries (or events): then the ops come back and the commit goes the
            // reading way.
            match self
                .store
                .commit_unless(ops, durability, || self.needs_old_images())?
            {
                Ok(_) => return Ok(()),
                Err(ops) => ops.into_iter().map(ItemChange::from_op).collect(),
            }
        };
        self.commit_changes(durability, |_| Ok((changes, ())))
    }

    /// The storage ops of `changes`, in order, with what the table's indexes add, and the
    /// change-stream events of the changes while streams are active.
    fn ops_of(
        &self,
        latest: &Snapshot,
        changes: Vec<ItemChange>,
    ) -> Result<(Vec<Op>, Option<Vec<RawEvent>>)> {
        if !self.needs_old_images() {
            let ops = changes.into_iter().map(ItemChange::into_op).collect();
            return Ok((ops, None));
        }
        let mut events = self.streams.active().then(Vec::new);
        let indexes = self.hooks.indexes.load_full();
        let now = self.now_seconds();
        // A key changed twice in one commit (a batch may do that) has, as its old image the
        // second time, what the first change wrote.
        let mut written: HashMap<Vec<u8>, Option<Arc<[u8]>>> = HashMap::new();
        let mut ops = Vec::with_capacity(changes.len());
        for change in changes {
            let old: Option<Arc<[u8]>> = match written.get(&change.key) {
                Some(earlier) => earlier.clone(),
                None => latest
                    .get(&change.key)?
                    .map(|found| Arc::from(found.bytes())),
            };
            self.maintain(
                &indexes,
                &change.key,
                old.as_deref(),
                change.new.as_deref(),
                &mut ops,
            )?;
            self.maintain_expiry(&change.key, old.as_deref(), change.new.as_deref(), &mut ops)?;
            if let Some(events) = &mut events {
                // An expired item was already gone for the user's writes.
                let sweep = change.origin == EventOrigin::Ttl;
                let old = self.streamed_old(&change.key, old.as_ref(), sweep, now)?;
                if let Some(mut event) = RawEvent::of_change(&change.key, old, change.new.as_ref())
                {
                    event.origin = change.origin;
                    events.push(event);
                }
            }
            written.insert(change.key.clone(), change.new.clone());
            ops.push(change.into_op());
        }
        Ok((ops, events))
    }
}

impl Table {
    /// What the table's indexes find wrong with the new image `value` of the item under
    /// `key` (a key attribute of the wrong type), as [`Table::maintain`] would refuse it.
    pub(crate) fn index_violation(
        &self,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<ValidationError>> {
        let indexes = self.hooks.indexes.load();
        if indexes.is_empty() {
            return Ok(None);
        }
        let item = self.decode(key, value)?;
        for index in indexes.iter() {
            match index.entry(self.schema(), key, &item) {
                Ok(_) => {}
                Err(Error::Validation(error)) => return Ok(Some(error)),
                Err(other) => return Err(other),
            }
        }
        Ok(None)
    }

    /// Adds to `ops` what one item's change from `old` to `new` (encoded images, `None` for
    /// no item) requires besides the item itself: the index entries that go and come. It
    /// runs under the commit lock, so calls come in commit order. A new image that
    /// an index cannot hold (a key attribute of the wrong type) fails the whole commit.
    fn maintain(
        &self,
        indexes: &[Arc<Index>],
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        ops: &mut Vec<Op>,
    ) -> Result<()> {
        if indexes.is_empty() {
            return Ok(());
        }
        let old = old.map(|bytes| self.decode(key, bytes)).transpose()?;
        let new = new.map(|bytes| self.decode(key, bytes)).transpose()?;
        let schema = self.schema();
        for index in indexes {
            // The old image was accepted when written: an entry it cannot have, it has not.
            let old_entry = match &old {
                Some(item) => index.entry(schema, key, item).unwrap_or(None),
                None => None,
            };
            let new_entry = match &new {
                Some(item) => index.entry(schema, key, item)?,
                None => None,
            };
            if old_entry == new_entry {
                continue;
            }
            if let Some((old_key, _)) = &old_entry
                && new_entry
                    .as_ref()
                    .is_none_or(|(new_key, _)| new_key != old_key)
            {
                ops.push(Op::Delete {
                    space: index.space,
                    key: old_key.clone(),
                });
            }
            if let Some((new_key, value)) = new_entry {
                ops.push(Op::Put {
                    space: index.space,
                    key: new_key,
                    value: Arc::from(value),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Dynafile, KeyType, item};

    /// With hooks that need old images, writes go through the reading path and commit the
    /// same items, also for a batch that changes one key twice.
    #[test]
    fn writes_with_old_images_commit_the_same_items() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let mut db = Dynafile::builder(dir.path().join("db"))
            .partition_key("PK", KeyType::S)
            .open()?;
        let table = Arc::get_mut(&mut db.table).expect("the only handle");
        table.hooks.needs_old_images = true;
        db.put_item(&item! { "PK" => "a", "v" => 1 })?;
        let mut batch = db.batch_writer();
        batch.put_item(&item! { "PK" => "b", "v" => 1 })?;
        batch.put_item(&item! { "PK" => "b", "v" => 2 })?;
        batch.delete_item(crate::Key::new("a"))?;
        batch.commit()?;
        db.update_item(crate::Key::new("b"), "ADD v :one")
            .value(":one", 1)
            .execute()?;
        assert_eq!(db.get_item(crate::Key::new("a"))?, None);
        assert_eq!(
            db.get_item(crate::Key::new("b"))?,
            Some(item! { "PK" => "b", "v" => 3 })
        );
        Ok(())
    }
}
