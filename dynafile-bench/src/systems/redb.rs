//! redb: one table keyed by `(pk, sk)` as `(&str, &str)` with the encoded item as `&[u8]`,
//! redb's defaults otherwise. Every write is one write transaction (`Durability::Immediate`
//! for durable writes, `Durability::None` for buffered ones), every read one read
//! transaction; threads share the `Database` in an `Arc`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use dynafile::Item;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use super::{Database, Durability, ItemFilter, Query, Session, key_of};

/// The table: `(pk, sk)` to `item.to_bytes()`.
const TABLE: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("t");

/// An open redb database file.
pub struct RedbDb {
    db: Arc<redb::Database>,
}

impl RedbDb {
    /// Creates (or opens) `dir/bench.redb` and its table.
    pub fn open(dir: &Path) -> Result<RedbDb> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("bench.redb");
        let db =
            redb::Database::create(&path).with_context(|| format!("opening {}", path.display()))?;
        // Create the table only when it is not there, so that reopening writes nothing.
        let exists = match db.begin_read()?.open_table(TABLE) {
            Ok(_) => true,
            Err(redb::TableError::TableDoesNotExist(_)) => false,
            Err(e) => return Err(e.into()),
        };
        if !exists {
            let transaction = db.begin_write()?;
            transaction.open_table(TABLE)?;
            transaction.commit()?;
        }
        Ok(RedbDb { db: Arc::new(db) })
    }
}

impl Database for RedbDb {
    fn session(&self) -> Result<Box<dyn Session>> {
        Ok(Box::new(RedbSession {
            db: Arc::clone(&self.db),
            durability: redb::Durability::Immediate,
        }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        let db = Arc::into_inner(self.db)
            .context("a redb session is still open when the database closes")?;
        db.close().context("closing redb")
    }
}

/// A clone of the shared database.
struct RedbSession {
    db: Arc<redb::Database>,
    durability: redb::Durability,
}

impl RedbSession {
    /// Runs `write` in one write transaction committed with `durability`.
    fn write(
        &self,
        durability: redb::Durability,
        write: impl FnOnce(&WriteTransaction) -> Result<()>,
    ) -> Result<()> {
        let mut transaction = self.db.begin_write()?;
        transaction.set_durability(durability)?;
        write(&transaction)?;
        transaction.commit()?;
        Ok(())
    }
}

impl Session for RedbSession {
    fn set_durability(&mut self, durability: Durability) -> Result<()> {
        self.durability = match durability {
            Durability::Durable => redb::Durability::Immediate,
            Durability::Buffered => redb::Durability::None,
        };
        Ok(())
    }

    fn put_batch(&mut self, items: &[Item]) -> Result<()> {
        self.write(redb::Durability::Immediate, |transaction| {
            let mut table = transaction.open_table(TABLE)?;
            for item in items {
                let key = key_of(item)?;
                table.insert(key, item.to_bytes().as_slice())?;
            }
            Ok(())
        })
    }

    fn put(&mut self, item: &Item) -> Result<()> {
        self.write(self.durability, |transaction| {
            let key = key_of(item)?;
            transaction
                .open_table(TABLE)?
                .insert(key, item.to_bytes().as_slice())?;
            Ok(())
        })
    }

    fn delete(&mut self, pk: &str, sk: &str) -> Result<()> {
        self.write(self.durability, |transaction| {
            transaction.open_table(TABLE)?.remove((pk, sk))?;
            Ok(())
        })
    }

    fn get(&mut self, pk: &str, sk: &str) -> Result<Option<Item>> {
        let transaction = self.db.begin_read()?;
        let table = transaction.open_table(TABLE)?;
        match table.get((pk, sk))? {
            Some(value) => Ok(Some(Item::from_bytes(value.value())?)),
            None => Ok(None),
        }
    }

    fn query(&mut self, query: Query<'_>) -> Result<Vec<Item>> {
        let transaction = self.db.begin_read()?;
        let table = transaction.open_table(TABLE)?;
        let decode = |entry: Result<_, redb::StorageError>| -> Result<Item> {
            let (_key, value): (_, redb::AccessGuard<'_, &[u8]>) = entry?;
            Ok(Item::from_bytes(value.value())?)
        };
        match query {
            Query::Partition { pk } => {
                // Every key of the partition is above `(pk, "")` and below `(pk + "\0", "")`.
                let next = format!("{pk}\0");
                table
                    .range((pk, "")..(next.as_str(), ""))?
                    .map(decode)
                    .collect()
            }
            Query::Prefix { pk, prefix } => {
                let end = crate::data::prefix_end(prefix)
                    .context("a prefix of only U+10FFFF has no upper bound")?;
                table
                    .range((pk, prefix)..(pk, end.as_str()))?
                    .map(decode)
                    .collect()
            }
            Query::Last { pk } => {
                let next = format!("{pk}\0");
                table
                    .range((pk, "")..(next.as_str(), ""))?
                    .next_back()
                    .map(decode)
                    .into_iter()
                    .collect()
            }
        }
    }

    fn scan(&mut self, filter: &ItemFilter) -> Result<u64> {
        let transaction = self.db.begin_read()?;
        let table = transaction.open_table(TABLE)?;
        let mut kept = 0;
        for entry in table.iter()? {
            let (_key, value) = entry?;
            let item = Item::from_bytes(value.value())?;
            if filter(&item) {
                kept += 1;
            }
        }
        Ok(kept)
    }
}
