//! Batches of puts and deletes committed atomically.

use crate::error::Result;
use crate::item::Item;
use crate::key::IntoKey;
use crate::storage::Durability;
use crate::table::Dynafile;
use crate::write::ItemChange;

/// Puts and deletes collected, then committed atomically by [`BatchWriter::commit`] as one
/// log record: after a crash, all of them are there or none.
///
/// Each call checks its item or key at once, so a bad one is reported by the call that
/// added it and is not queued. Operations apply in the order they were added, so a later
/// put or delete of the same key wins. (DynamoDB's `BatchWriteItem` rejects a batch that
/// names a key twice and is not atomic; the original dynafile lost operations on one key
/// when another key's came between them. Here every operation is kept, in order.)
///
/// Dropping a writer without committing discards it.
///
/// ```
/// use dynafile::{item, Dynafile, KeyType};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).sort_key("SK", KeyType::S).open()?;
/// let mut batch = db.batch_writer();
/// batch.put_item(&item! { "PK" => "1", "SK" => "1" })?;
/// batch.put_item(&item! { "PK" => "1", "SK" => "2" })?;
/// batch.delete_item(("1", "2"))?;
/// batch.commit()?;
/// assert!(db.get_item(("1", "1"))?.is_some());
/// assert!(db.get_item(("1", "2"))?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a batch is discarded unless committed"]
pub struct BatchWriter {
    db: Dynafile,
    changes: Vec<ItemChange>,
    durability: Option<Durability>,
}

impl BatchWriter {
    pub(crate) fn new(db: Dynafile) -> BatchWriter {
        BatchWriter {
            db,
            changes: Vec::new(),
            durability: None,
        }
    }

    /// Queues a put of `item`.
    pub fn put_item(&mut self, item: &Item) -> Result<()> {
        let (key, value) = self.db.table.encode(item)?;
        self.changes.push(ItemChange::put(key, value));
        Ok(())
    }

    /// Queues a delete of the item with this key.
    pub fn delete_item(&mut self, key: impl IntoKey) -> Result<()> {
        let key = self.db.table.encode_key(key)?;
        self.changes.push(ItemChange::delete(key));
        Ok(())
    }

    /// Number of queued operations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// True when nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Commits with this durability instead of the table's.
    pub fn durability(mut self, durability: Durability) -> BatchWriter {
        self.durability = Some(durability);
        self
    }

    /// Commits every queued operation atomically. An empty batch commits nothing.
    pub fn commit(self) -> Result<()> {
        let durability = self.durability.unwrap_or(self.db.table.durability);
        self.db.table.commit_blind(durability, self.changes)
    }
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter")
            .field("operations", &self.changes.len())
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}
