//! SQLite through rusqlite (bundled), set up as WORKLOAD.md says: one `WITHOUT ROWID` table
//! keyed by `(pk, sk)`, `journal_mode=WAL`, `synchronous=FULL` for durable writes and `OFF`
//! for buffered ones, prepared statements (cached per connection), one connection per thread.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use dynafile::Item;
use rusqlite::{Connection, TransactionBehavior, params};

use super::{Database, Durability, ItemFilter, Query, Session, key_of};

/// The table, exactly as WORKLOAD.md gives it.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS t (pk TEXT NOT NULL, sk TEXT NOT NULL, \
     item BLOB NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID";
/// A put: insert, or replace the row with the same key.
const PUT: &str = "INSERT OR REPLACE INTO t (pk, sk, item) VALUES (?1, ?2, ?3)";
/// A point read.
const GET: &str = "SELECT item FROM t WHERE pk = ?1 AND sk = ?2";
/// A delete.
const DELETE: &str = "DELETE FROM t WHERE pk = ?1 AND sk = ?2";
/// A whole partition, in sort key order.
const QUERY_PARTITION: &str = "SELECT item FROM t WHERE pk = ?1 ORDER BY sk";
/// A sort key prefix as a range of the primary key: `?2 <= sk < ?3`.
const QUERY_PREFIX: &str = "SELECT item FROM t WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk";
/// The last item of a partition.
const QUERY_LAST: &str = "SELECT item FROM t WHERE pk = ?1 ORDER BY sk DESC LIMIT 1";
/// Every row, in primary key order.
const SCAN: &str = "SELECT item FROM t";

/// How long a connection waits for the write lock another holds (rusqlite's default is 5 s,
/// which eight threads of durable commits can exceed when the disk is slow).
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// An SQLite database file; connections are opened per session.
pub struct SqliteDb {
    path: PathBuf,
    /// The connection that opened the database, handed to the first session so that opening
    /// costs one connection.
    first: Mutex<Option<Connection>>,
}

impl SqliteDb {
    /// Creates `dir` and the table in `dir/bench.sqlite3` when they are not there.
    pub fn open(dir: &Path) -> Result<SqliteDb> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut db = SqliteDb {
            path: dir.join("bench.sqlite3"),
            first: Mutex::new(None),
        };
        let conn = db.connect()?;
        conn.execute(CREATE_TABLE, [])
            .context("creating the SQLite table")?;
        db.first = Mutex::new(Some(conn));
        Ok(db)
    }

    /// A new connection in WAL mode with `synchronous=FULL`.
    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "SQLite refused WAL mode ({mode})"
        );
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }
}

impl Database for SqliteDb {
    fn session(&self) -> Result<Box<dyn Session>> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let conn = match first {
            Some(conn) => conn,
            None => self.connect()?,
        };
        Ok(Box::new(SqliteSession {
            conn,
            durability: Durability::Durable,
        }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        // Every other connection closed with its session; the last one to close checkpoints
        // the WAL into the database file.
        let first = self
            .first
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(conn) = first {
            conn.close().map_err(|(_, e)| e).context("closing SQLite")?;
        }
        Ok(())
    }
}

/// One connection and its cache of prepared statements.
struct SqliteSession {
    conn: Connection,
    durability: Durability,
}

impl SqliteSession {
    /// Runs a statement that returns items, decoding each; `keep` decides which are returned.
    fn items(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        mut keep: impl FnMut(&Item) -> bool,
    ) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        self.each(sql, params, |item| {
            if keep(&item) {
                items.push(item);
            }
        })?;
        Ok(items)
    }

    /// Runs `sql` and hands each row's decoded item to `visit`.
    fn each(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        mut visit: impl FnMut(Item),
    ) -> Result<()> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let mut rows = statement.query(params)?;
        while let Some(row) = rows.next()? {
            visit(Item::from_bytes(row.get_ref(0)?.as_blob()?)?);
        }
        Ok(())
    }
}

impl Session for SqliteSession {
    fn set_durability(&mut self, durability: Durability) -> Result<()> {
        let synchronous = match durability {
            Durability::Durable => "FULL",
            Durability::Buffered => "OFF",
        };
        self.conn.pragma_update(None, "synchronous", synchronous)?;
        self.durability = durability;
        Ok(())
    }

    fn put_batch(&mut self, items: &[Item]) -> Result<()> {
        // Batches are durable; the connection may have been left buffered.
        if self.durability != Durability::Durable {
            self.set_durability(Durability::Durable)?;
        }
        let transaction = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut put = transaction.prepare_cached(PUT)?;
            for item in items {
                let (pk, sk) = key_of(item)?;
                put.execute(params![pk, sk, item.to_bytes()])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    fn put(&mut self, item: &Item) -> Result<()> {
        let (pk, sk) = key_of(item)?;
        self.conn
            .prepare_cached(PUT)?
            .execute(params![pk, sk, item.to_bytes()])?;
        Ok(())
    }

    fn delete(&mut self, pk: &str, sk: &str) -> Result<()> {
        self.conn.prepare_cached(DELETE)?.execute(params![pk, sk])?;
        Ok(())
    }

    fn get(&mut self, pk: &str, sk: &str) -> Result<Option<Item>> {
        let mut statement = self.conn.prepare_cached(GET)?;
        let mut rows = statement.query(params![pk, sk])?;
        match rows.next()? {
            Some(row) => Ok(Some(Item::from_bytes(row.get_ref(0)?.as_blob()?)?)),
            None => Ok(None),
        }
    }

    fn query(&mut self, query: Query<'_>) -> Result<Vec<Item>> {
        match query {
            Query::Partition { pk } => self.items(QUERY_PARTITION, params![pk], |_| true),
            Query::Prefix { pk, prefix } => {
                let end = crate::data::prefix_end(prefix)
                    .context("a prefix of only U+10FFFF has no upper bound")?;
                self.items(QUERY_PREFIX, params![pk, prefix, end], |_| true)
            }
            Query::Last { pk } => self.items(QUERY_LAST, params![pk], |_| true),
        }
    }

    fn scan(&mut self, filter: &ItemFilter) -> Result<u64> {
        let mut kept = 0;
        self.each(SCAN, [], |item| {
            if filter(&item) {
                kept += 1;
            }
        })?;
        Ok(kept)
    }
}
