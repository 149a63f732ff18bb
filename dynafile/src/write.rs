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

use crate::error::Result;
use crate::storage::{Durability, Op, Snapshot, TABLE_KEYSPACE};
use crate::table::Table;

/// One item's change in a commit.
#[derive(Clone, Debug)]
pub(crate) struct ItemChange {
    /// The item's encoded key.
    pub(crate) key: Vec<u8>,
    /// The new item, encoded as stored; `None` deletes the item.
    pub(crate) new: Option<Arc<[u8]>>,
}

impl ItemChange {
    /// Writes `value` under `key`, replacing any item there.
    pub(crate) fn put(key: Vec<u8>, value: Arc<[u8]>) -> ItemChange {
        ItemChange {
            key,
            new: Some(value),
        }
    }

    /// Deletes the item under `key`, if any.
    pub(crate) fn delete(key: Vec<u8>) -> ItemChange {
        ItemChange { key, new: None }
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

/// What a table maintains on each write besides its items. Nothing yet: secondary indexes
/// and change streams will set these when the table has them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WriteHooks {
    /// Whether each commit reads the old image of every item it changes.
    pub(crate) needs_old_images: bool,
}

impl Table {
    /// Commits the changes `build` decides on after reading the latest state, atomically
    /// against every other commit, as one log record. When `build` fails, nothing is written.
    pub(crate) fn commit_changes<T>(
        &self,
        durability: Durability,
        build: impl FnOnce(&Snapshot) -> Result<(Vec<ItemChange>, T)>,
    ) -> Result<T> {
        self.store.commit_with(durability, |latest| {
            let (changes, out) = build(latest)?;
            Ok((self.ops_of(latest, changes)?, out))
        })
    }

    /// Commits changes decided without reading the table. The fast path of puts, deletes
    /// and batches: without hooks the log record is prepared outside the commit lock.
    pub(crate) fn commit_blind(
        &self,
        durability: Durability,
        changes: Vec<ItemChange>,
    ) -> Result<()> {
        if self.hooks.needs_old_images {
            return self.commit_changes(durability, |_| Ok((changes, ())));
        }
        let ops = changes.into_iter().map(ItemChange::into_op).collect();
        self.store.commit(ops, durability).map(drop)
    }

    /// The storage ops of `changes`, in order, with what the table's hooks add.
    fn ops_of(&self, latest: &Snapshot, changes: Vec<ItemChange>) -> Result<Vec<Op>> {
        if !self.hooks.needs_old_images {
            return Ok(changes.into_iter().map(ItemChange::into_op).collect());
        }
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
            self.hooks
                .maintain(&change.key, old.as_deref(), change.new.as_deref(), &mut ops);
            written.insert(change.key.clone(), change.new.clone());
            ops.push(change.into_op());
        }
        Ok(ops)
    }
}

impl WriteHooks {
    /// Adds to `ops` what one item's change from `old` to `new` (encoded images, `None` for
    /// no item) requires besides the item itself: where index entries and change-stream
    /// events are derived, once the table has them. It runs under the commit lock, so calls
    /// come in commit order; events must be published only once the commit has succeeded
    /// (the log append can still fail after this).
    fn maintain(&self, _key: &[u8], _old: Option<&[u8]>, _new: Option<&[u8]>, _ops: &mut Vec<Op>) {}
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
