//! dynafile: an embedded, file-based database that follows DynamoDB's model.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod item;
mod json;
mod key;
mod number;
mod serde_item;
mod value;

pub use error::{Error, Result, ValidationError};
pub use item::{Item, MAX_ITEM_SIZE, MAX_NESTING_DEPTH};
pub use key::{
    IntoKey, Key, KeyAttribute, KeySchema, KeyType, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES,
};
pub use number::{Number, NumberError};
pub use serde_item::{from_item, from_value, to_item, to_value};
pub use value::{Map, Value};
