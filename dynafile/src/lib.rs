//! dynafile: an embedded, file-based database that follows DynamoDB's model.
//!
//! A table lives in one directory and needs no server. It has a partition key and an
//! optional sort key ([`KeySchema`]); items ([`Item`]) are maps of attribute names to
//! DynamoDB's values ([`Value`]: strings, exact decimal [`Number`]s, binaries, booleans,
//! null, lists, maps and sets). The items of one partition are kept sorted by sort key.
//!
//! ```
//! use dynafile::{item, Dynafile, KeyType};
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("shop");
//! let db = Dynafile::builder(&path)
//!     .partition_key("PK", KeyType::S)
//!     .sort_key("SK", KeyType::S)
//!     .open()?; // creates the table, or opens the one already there
//!
//! db.put_item(&item! { "PK" => "user#1", "SK" => "profile", "name" => "Bob" })?;
//! db.put_item(&item! { "PK" => "user#1", "SK" => "order#001", "total" => 30 })?;
//! db.put_item(&item! { "PK" => "user#1", "SK" => "order#002", "total" => 12 })?;
//!
//! // Point reads by key.
//! let bob = db.get_item(("user#1", "profile"))?.expect("written above");
//! assert_eq!(bob["name"].as_s(), Some("Bob"));
//!
//! // Queries read one partition in sort key order, here newest order first.
//! let orders: Vec<_> = db.query("user#1").begins_with("order#").reverse().iter()?.collect::<Result<_, _>>()?;
//! assert_eq!(orders[0]["SK"].as_s(), Some("order#002"));
//!
//! // Batches commit atomically.
//! let mut batch = db.batch_writer();
//! batch.delete_item(("user#1", "order#001"))?;
//! batch.put_item(&item! { "PK" => "user#2", "SK" => "profile", "name" => "Alice" })?;
//! batch.commit()?;
//!
//! // Scans read everything, optionally filtered.
//! let named = db.scan().filter(|item| item.contains("name")).into_iter().count();
//! assert_eq!(named, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Transactions ([`Dynafile::transact_write`]) commit up to 100 puts, updates, deletes and
//! condition checks all or nothing, each with its own condition; [`Dynafile::transact_get`]
//! reads up to 100 items from one snapshot.
//!
//! Secondary indexes, global and local ([`Builder::global_index`], [`Builder::local_index`],
//! [`Dynafile::add_global_index`]), are written in the same commit as their items, so they
//! are strongly consistent (DynamoDB's global indexes are eventually consistent); query and
//! scan them with [`Query::index`] and [`Scan::index`].
//!
//! Time to live ([`Builder::ttl_attribute`], [`Dynafile::enable_ttl`]) makes an item
//! invisible to every read, and absent to every write, from the second its expiry passes
//! (stronger than DynamoDB, which shows expired items until it deletes them); a sweep
//! ([`Dynafile::sweep_expired`], also run in the background) deletes them at a cost that
//! follows what expired, with change-stream removals of origin [`EventOrigin::Ttl`].
//!
//! Change streams follow DynamoDB Streams: [`Dynafile::subscribe`] yields every later
//! commit's INSERT, MODIFY and REMOVE events ([`StreamEvent`]) in commit order, and a table
//! created with a durable stream ([`Builder::stream`]) replays them with
//! [`Dynafile::stream_from`], after a restart too, within its [`Retention`].
//!
//! Writes are durable when they return ([`Durability::Immediate`], the default; concurrent
//! writers share log syncs) or within a short interval ([`Durability::Buffered`]). A
//! [`Dynafile`] is a cheap, cloneable handle for many threads; readers never wait for
//! writers. Items convert from and to plain JSON and DynamoDB JSON ([`Item::from_json`],
//! [`Item::from_dynamodb_json`]) and from and to any serde type ([`to_item`], [`from_item`]).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

// The derive's generated code names `::dynafile`, which doctests and this crate's own code
// resolve through this.
extern crate self as dynafile;

mod backfill;
mod batch;
mod builder;
mod encoding;
mod error;
mod expr;
mod filter;
mod index;
mod info;
mod item;
mod items;
mod json;
mod key;
mod number;
mod partiql;
mod query;
mod scan;
mod serde_item;
mod storage;
mod stream;
mod table;
mod transact;
mod ttl;
mod typed;
mod update_item;
mod value;
mod write;

pub use batch::BatchWriter;
pub use builder::{Builder, FORMAT_VERSION};
pub use error::{CancellationReason, Error, Result, TransactionPart, ValidationError};
pub use index::{IndexKind, IndexProjection, MAX_GLOBAL_INDEXES, MAX_LOCAL_INDEXES};
pub use info::{FileGroup, IndexFiles, IndexInfo, IndexStatus, TableFiles, TableInfo, TtlInfo};
pub use item::{Item, MAX_ITEM_SIZE, MAX_NESTING_DEPTH};
pub use items::{Items, Page};
pub use key::{
    IntoKey, Key, KeyAttribute, KeySchema, KeyType, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES,
    SortCondition,
};
pub use number::{Number, NumberError};
pub use partiql::{ExecuteStatement, SelectItems, StatementOutput};
pub use query::Query;
pub use scan::{MAX_SEGMENTS, Scan};
pub use serde_item::{from_item, from_value, to_item, to_value};
pub use storage::{CheckReport, Durability, Problem};
pub use stream::{
    DEFAULT_SUBSCRIPTION_CAPACITY, EventKind, EventOrigin, Retention, StreamEvent, StreamView,
    Subscription,
};
pub use table::{Dynafile, GetOptions, WriteOptions};
pub use transact::{MAX_TRANSACT_ITEMS, MAX_TRANSACT_SIZE, TransactWrite, TransactWriteItem};
pub use ttl::{Clock, DEFAULT_SWEEP_INTERVAL, MAX_EXPIRED_AGE, ManualClock, SystemClock};
pub use typed::{
    DEFAULT_ENTITY_ATTRIBUTE, DynaItem, ItemKey, KeySource, TypedItems, TypedPage, TypedQuery,
    TypedScan, TypedUpdate,
};
pub use update_item::{ReturnValues, UpdateItem};
pub use value::{Map, Value};

/// `#[derive(DynaItem)]`: implements [`DynaItem`] for a struct (see there).
#[cfg(feature = "derive")]
pub use dynafile_derive::DynaItem;

#[doc(hidden)]
pub use typed::private as __private;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;
