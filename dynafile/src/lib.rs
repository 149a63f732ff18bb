//! dynafile: an embedded, file-based database that follows DynamoDB's model.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod batch;
mod builder;
mod encoding;
mod error;
mod filter;
mod item;
mod items;
mod json;
mod key;
mod number;
mod query;
mod scan;
mod serde_item;
mod storage;
mod table;
mod value;

pub use batch::BatchWriter;
pub use builder::{Builder, FORMAT_VERSION};
pub use error::{Error, Result, ValidationError};
pub use item::{Item, MAX_ITEM_SIZE, MAX_NESTING_DEPTH};
pub use items::{Items, Page};
pub use key::{
    IntoKey, Key, KeyAttribute, KeySchema, KeyType, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES,
    SortCondition,
};
pub use number::{Number, NumberError};
pub use query::Query;
pub use scan::{MAX_SEGMENTS, Scan};
pub use serde_item::{from_item, from_value, to_item, to_value};
pub use storage::{CheckReport, Durability, Problem};
pub use table::{Dynafile, WriteOptions};
pub use value::{Map, Value};
