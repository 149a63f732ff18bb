//! The systems measured, behind one small trait so that every phase is written once.
//!
//! A [`Database`] is one open database in its own directory; a [`Session`] is what one thread
//! uses to talk to it (a clone of the `Dynafile` handle, one SQLite connection with its
//! prepared statements, a clone of the `Arc` around redb's `Database`).

mod dynafile;
mod redb;
mod sqlite;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ::dynafile::Item;
use anyhow::Result;
use clap::ValueEnum;

/// A filter evaluated in Rust on every decoded item of a scan, by all three systems.
pub type ItemFilter = Arc<dyn Fn(&Item) -> bool + Send + Sync>;

/// When a write is on stable storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Synced before the write returns (dynafile's default, SQLite `synchronous=FULL`, redb
    /// `Durability::Immediate`).
    Durable,
    /// Not synced by the write (dynafile `Durability::Buffered`, SQLite `synchronous=OFF`, redb
    /// `Durability::None`).
    Buffered,
}

/// A query of one partition, as the query phases ask it.
#[derive(Clone, Copy, Debug)]
pub enum Query<'a> {
    /// Every item of the partition, in sort key order.
    Partition {
        /// Partition key value.
        pk: &'a str,
    },
    /// The items whose sort key starts with `prefix`, in sort key order.
    Prefix {
        /// Partition key value.
        pk: &'a str,
        /// Sort key prefix.
        prefix: &'a str,
    },
    /// The item with the highest sort key of the partition (reverse order, limit 1).
    Last {
        /// Partition key value.
        pk: &'a str,
    },
}

/// One open database.
pub trait Database: Send {
    /// A handle for one thread, with the durability [`Durability::Durable`].
    fn session(&self) -> Result<Box<dyn Session>>;

    /// Closes the database, reporting errors. Every session must have been dropped first.
    fn close(self: Box<Self>) -> Result<()>;
}

/// What one thread does with a database. Items are given as [`Item`]s and every item read is
/// returned decoded; the peers store `Item::to_bytes` and decode with `Item::from_bytes`.
pub trait Session: Send {
    /// Sets the durability of the following puts and deletes (not of `put_batch`, which is
    /// always durable).
    fn set_durability(&mut self, durability: Durability) -> Result<()>;

    /// Writes `items` in one durable atomic batch.
    fn put_batch(&mut self, items: &[Item]) -> Result<()>;

    /// Writes one item, replacing the item with its key.
    fn put(&mut self, item: &Item) -> Result<()>;

    /// Deletes the item with this key (absent is not an error).
    fn delete(&mut self, pk: &str, sk: &str) -> Result<()>;

    /// Reads the item with this key.
    fn get(&mut self, pk: &str, sk: &str) -> Result<Option<Item>>;

    /// Runs a query and returns its items, decoded, in order.
    fn query(&mut self, query: Query<'_>) -> Result<Vec<Item>>;

    /// Reads every item of the table, decodes it, and counts those `filter` keeps. The items
    /// are dropped as they are read, not collected, so that the run's peak memory is the
    /// systems' own, not a vector of results that grows with the table.
    fn scan(&mut self, filter: &ItemFilter) -> Result<u64>;
}

/// The systems the bench knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum SystemKind {
    /// dynafile, with the defaults a user has.
    Dynafile,
    /// SQLite through rusqlite.
    Sqlite,
    /// redb.
    Redb,
}

impl SystemKind {
    /// Every system, in the order of the table's columns.
    pub const ALL: [SystemKind; 3] = [SystemKind::Dynafile, SystemKind::Sqlite, SystemKind::Redb];

    /// The key of the system in the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            SystemKind::Dynafile => "dynafile",
            SystemKind::Sqlite => "sqlite",
            SystemKind::Redb => "redb",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            SystemKind::Dynafile => "dynafile",
            SystemKind::Sqlite => "SQLite",
            SystemKind::Redb => "redb",
        }
    }

    /// Opens the database in `dir`, creating it (and `dir`) when it is not there.
    pub fn open(self, dir: &Path) -> Result<Box<dyn Database>> {
        Ok(match self {
            SystemKind::Dynafile => Box::new(dynafile::DynafileDb::open(dir)?),
            SystemKind::Sqlite => Box::new(sqlite::SqliteDb::open(dir)?),
            SystemKind::Redb => Box::new(redb::RedbDb::open(dir)?),
        })
    }
}

impl fmt::Display for SystemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The partition and sort key values of an item, as the peers index it.
fn key_of(item: &Item) -> Result<(&str, &str)> {
    let text = |name: &str| {
        item.get(name)
            .and_then(::dynafile::Value::as_s)
            .ok_or_else(|| anyhow::anyhow!("the item has no string attribute {name}"))
    };
    Ok((text("PK")?, text("SK")?))
}
