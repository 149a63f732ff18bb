//! dynafile, with only the defaults a user has: buffered phases ask for
//! `Durability::Buffered` per write, everything else is the table's default.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use dynafile::{Dynafile, Item, KeyType, WriteOptions};

use super::{Database, Durability, ItemFilter, Query, Session};

/// An open dynafile table.
pub struct DynafileDb {
    db: Dynafile,
}

impl DynafileDb {
    /// `Dynafile::builder(dir).partition_key("PK", S).sort_key("SK", S).open()`.
    pub fn open(dir: &Path) -> Result<DynafileDb> {
        let db = Dynafile::builder(dir)
            .partition_key("PK", KeyType::S)
            .sort_key("SK", KeyType::S)
            .open()
            .with_context(|| format!("opening dynafile in {}", dir.display()))?;
        Ok(DynafileDb { db })
    }
}

impl Database for DynafileDb {
    fn session(&self) -> Result<Box<dyn Session>> {
        Ok(Box::new(DynafileSession {
            db: self.db.clone(),
            durability: Durability::Durable,
        }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.db.close().context("closing dynafile")
    }
}

/// A clone of the table's handle.
struct DynafileSession {
    db: Dynafile,
    durability: Durability,
}

impl DynafileSession {
    /// The options of a buffered write.
    fn buffered() -> WriteOptions {
        WriteOptions::new().durability(dynafile::Durability::Buffered)
    }
}

impl Session for DynafileSession {
    fn set_durability(&mut self, durability: Durability) -> Result<()> {
        self.durability = durability;
        Ok(())
    }

    fn put_batch(&mut self, items: &[Item]) -> Result<()> {
        let mut batch = self.db.batch_writer();
        for item in items {
            batch.put_item(item)?;
        }
        batch.commit()?;
        Ok(())
    }

    fn put(&mut self, item: &Item) -> Result<()> {
        match self.durability {
            Durability::Durable => self.db.put_item(item)?,
            Durability::Buffered => {
                self.db.put_item_with(item, Self::buffered())?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, pk: &str, sk: &str) -> Result<()> {
        match self.durability {
            Durability::Durable => self.db.delete_item((pk, sk))?,
            Durability::Buffered => {
                self.db.delete_item_with((pk, sk), Self::buffered())?;
            }
        }
        Ok(())
    }

    fn get(&mut self, pk: &str, sk: &str) -> Result<Option<Item>> {
        Ok(self.db.get_item((pk, sk))?)
    }

    fn query(&mut self, query: Query<'_>) -> Result<Vec<Item>> {
        let query = match query {
            Query::Partition { pk } => self.db.query(pk),
            Query::Prefix { pk, prefix } => self.db.query(pk).begins_with(prefix),
            Query::Last { pk } => self.db.query(pk).reverse().limit(1),
        };
        Ok(query.into_iter().collect::<dynafile::Result<Vec<Item>>>()?)
    }

    fn scan(&mut self, filter: &ItemFilter) -> Result<u64> {
        let filter = Arc::clone(filter);
        let mut kept = 0;
        for item in self.db.scan().filter(move |item| filter(item)) {
            item?;
            kept += 1;
        }
        Ok(kept)
    }
}
