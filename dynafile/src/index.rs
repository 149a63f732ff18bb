//! Secondary indexes: their definitions in `meta.json`, the encoding of their entries, and
//! the ops that keep them in step with the table in the same commit as each item.
//!
//! Each index is a keyspace of the table's store (`indexes/<name>/`). An entry's key is the
//! index key followed by the table key, so that many items may share an index key, as in
//! DynamoDB:
//!
//! ```text
//! entry key := hash(index pk) (8) | len(index pk) (2) | index pk | [escaped(index sk) 00 01] | table key
//! ```
//! The index sort key is escaped (`00` becomes `00 ff`) and terminated by `00 01`, so that
//! entries order by it before the table key follows. An entry's value is the projected
//! item, key attributes included.
//!
//! Indexes here are strongly consistent: an entry commits with its item, so a read of an
//! index sees every write that returned before it (DynamoDB's global secondary indexes are
//! only eventually consistent).

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::encoding::{decode_item, encode_item};
use crate::error::{Error, Result};
use crate::item::Item;
use crate::key::{
    KeyAttribute, KeySchema, KeyType, SortCondition, encode_sort_value, partition_prefix,
    prefix_successor,
};
use crate::query::{SortEdge, sort_key_bounds};
use crate::storage::{KeyBounds, KeyspaceId};
use crate::value::Value;

/// Most global secondary indexes a table may have (DynamoDB's default quota).
pub const MAX_GLOBAL_INDEXES: usize = 20;
/// Most local secondary indexes a table may have (DynamoDB's limit).
pub const MAX_LOCAL_INDEXES: usize = 5;

/// Which attributes an index entry holds besides the keys (DynamoDB's `Projection`).
///
/// A read of an index returns the projected attributes only: unlike DynamoDB's local
/// secondary indexes, it does not fetch the others from the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
#[non_exhaustive]
pub enum IndexProjection {
    /// Every attribute of the item.
    All,
    /// The table's and the index's key attributes only.
    KeysOnly,
    /// The key attributes and these (top-level) attributes.
    Include(Vec<String>),
}

/// Whether an index is global (any partition key) or local (the table's partition key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKind {
    /// A global secondary index: its own partition key and optional sort key.
    Global,
    /// A local secondary index: the table's partition key and another sort key.
    Local,
}

/// One index as `meta.json` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndexMeta {
    pub name: String,
    pub kind: IndexKind,
    /// The index's partition and sort key (a local index: the table's partition key).
    pub key_schema: KeySchema,
    pub projection: IndexProjection,
    /// Set while a global index added to an existing table is being filled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub building: bool,
}

impl IndexMeta {
    /// A global index's definition.
    pub(crate) fn global(
        name: String,
        partition_key: KeyAttribute,
        sort_key: Option<(&str, KeyType)>,
        projection: IndexProjection,
    ) -> IndexMeta {
        IndexMeta {
            name,
            kind: IndexKind::Global,
            key_schema: KeySchema {
                partition_key,
                sort_key: sort_key.map(|(name, key_type)| KeyAttribute::new(name, key_type)),
            },
            projection,
            building: false,
        }
    }

    /// CRC-32C of the definition (without the building state), which the index's manifest
    /// records.
    pub(crate) fn checksum(&self) -> u32 {
        let definition = IndexMeta {
            building: false,
            ..self.clone()
        };
        crc32c::crc32c(&serde_json::to_vec(&definition).unwrap_or_default())
    }

    /// The directory of the index's keyspace, relative to the table's.
    pub(crate) fn relative_dir(&self) -> std::path::PathBuf {
        std::path::Path::new("indexes").join(&self.name)
    }
}

/// Checks an index definition against the table's schema and the other indexes, as
/// DynamoDB does when a table or index is created.
pub(crate) fn check_definition(
    table: &KeySchema,
    index: &IndexMeta,
    others: &[IndexMeta],
) -> Result<()> {
    let name = &index.name;
    let valid = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !valid {
        return Err(Error::validation(format!(
            "the index name {name:?} must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' \
             and '.'"
        )));
    }
    if others.iter().any(|other| other.name == *name) {
        return Err(Error::validation(format!(
            "the table already has an index named {name:?}"
        )));
    }
    let attributes =
        std::iter::once(&index.key_schema.partition_key).chain(&index.key_schema.sort_key);
    for attribute in attributes {
        if attribute.name.is_empty() || attribute.name.len() > 255 {
            return Err(Error::validation(format!(
                "index {name:?}: a key attribute name must be 1 to 255 bytes"
            )));
        }
        let clash = std::iter::once(&table.partition_key)
            .chain(&table.sort_key)
            .chain(others.iter().flat_map(|other| {
                std::iter::once(&other.key_schema.partition_key).chain(&other.key_schema.sort_key)
            }))
            .find(|known| known.name == attribute.name && known.key_type != attribute.key_type);
        if let Some(known) = clash {
            return Err(Error::invalid_attribute(
                &attribute.name,
                format!(
                    "index {name:?} declares it of type {}, but it is of type {} elsewhere in \
                     the table",
                    attribute.key_type, known.key_type
                ),
            ));
        }
    }
    if index.kind == IndexKind::Local {
        if table.sort_key.is_none() {
            return Err(Error::validation(format!(
                "local index {name:?} needs a table with a sort key"
            )));
        }
        let locals = others.iter().filter(|o| o.kind == IndexKind::Local).count();
        if locals >= MAX_LOCAL_INDEXES {
            return Err(Error::validation(format!(
                "a table may have at most {MAX_LOCAL_INDEXES} local indexes"
            )));
        }
    } else {
        let globals = others
            .iter()
            .filter(|o| o.kind == IndexKind::Global)
            .count();
        if globals >= MAX_GLOBAL_INDEXES {
            return Err(Error::validation(format!(
                "a table may have at most {MAX_GLOBAL_INDEXES} global indexes"
            )));
        }
    }
    if let IndexProjection::Include(attributes) = &index.projection
        && attributes.iter().any(String::is_empty)
    {
        return Err(Error::validation(format!(
            "index {name:?}: an included attribute name must not be empty"
        )));
    }
    Ok(())
}

/// An index of an open table.
#[derive(Debug)]
pub(crate) struct Index {
    pub meta: IndexMeta,
    pub space: KeyspaceId,
    /// False while a global index added to the table is being filled.
    pub built: AtomicBool,
}

const TERMINATOR: [u8; 2] = [0, 1];

/// Appends `bytes` escaped so that the result, once terminated, orders as `bytes` do.
fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &byte in bytes {
        out.push(byte);
        if byte == 0 {
            out.push(0xff);
        }
    }
}

impl Index {
    pub(crate) fn new(meta: IndexMeta, space: KeyspaceId) -> Index {
        let built = AtomicBool::new(!meta.building);
        Index { meta, space, built }
    }

    pub(crate) fn name(&self) -> &str {
        &self.meta.name
    }

    pub(crate) fn is_built(&self) -> bool {
        self.built.load(Ordering::Acquire)
    }

    pub(crate) fn schema(&self) -> &KeySchema {
        &self.meta.key_schema
    }

    /// The error of a key attribute value the index cannot hold.
    fn refuse(&self, attribute: &KeyAttribute, reason: &str) -> Error {
        Error::invalid_attribute(
            &attribute.name,
            format!(
                "it is a key attribute of index {:?}, so {reason}",
                self.meta.name
            ),
        )
    }

    /// The index key attribute `attribute` of `item`: `None` when the item lacks it (it has
    /// no entry: a sparse index), an error when it has the wrong type, as DynamoDB refuses.
    fn key_value<'i>(&self, attribute: &KeyAttribute, item: &'i Item) -> Result<Option<&'i Value>> {
        let Some(value) = item.get(&attribute.name) else {
            return Ok(None);
        };
        let matches = matches!(
            (attribute.key_type, value),
            (KeyType::S, Value::S(_)) | (KeyType::N, Value::N(_)) | (KeyType::B, Value::B(_))
        );
        if !matches {
            return Err(self.refuse(
                attribute,
                &format!(
                    "it must be of type {}, not {}",
                    attribute.key_type,
                    value.type_descriptor()
                ),
            ));
        }
        Ok(Some(value))
    }

    /// The index key prefix of an item (partition prefix, then the escaped sort key):
    /// `None` when the item has no entry.
    fn index_prefix(&self, item: &Item) -> Result<Option<Vec<u8>>> {
        let schema = self.schema();
        let Some(partition) = self.key_value(&schema.partition_key, item)? else {
            return Ok(None);
        };
        let sort = match &schema.sort_key {
            Some(attribute) => match self.key_value(attribute, item)? {
                Some(value) => Some((attribute, value)),
                None => return Ok(None),
            },
            None => None,
        };
        let mut key = partition_prefix(schema, partition)
            .map_err(|e| self.refuse(&schema.partition_key, &reason_of(&e)))?;
        if let Some((attribute, value)) = sort {
            let mut sort_bytes = Vec::new();
            encode_sort_value(attribute, value, &mut sort_bytes)
                .map_err(|e| self.refuse(attribute, &reason_of(&e)))?;
            escape_into(&sort_bytes, &mut key);
            key.extend_from_slice(&TERMINATOR);
        }
        Ok(Some(key))
    }

    /// The entry of an item under the table key `table_key`: its key and its value (the
    /// projected item). `None` when the item has no entry.
    pub(crate) fn entry(
        &self,
        table: &KeySchema,
        table_key: &[u8],
        item: &Item,
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let Some(mut key) = self.index_prefix(item)? else {
            return Ok(None);
        };
        key.extend_from_slice(table_key);
        let value = encode_item(&self.project(table, item), &[]);
        Ok(Some((key, value)))
    }

    /// The entry key of the item whose key attributes (index and table) are in `start`:
    /// where a read resumes after DynamoDB's `LastEvaluatedKey` of an index.
    pub(crate) fn entry_key_of(&self, table_key: &[u8], start: &Item) -> Result<Vec<u8>> {
        let Some(mut key) = self.index_prefix(start)? else {
            return Err(Error::validation(format!(
                "the start key lacks a key attribute of index {:?}",
                self.meta.name
            )));
        };
        key.extend_from_slice(table_key);
        Ok(key)
    }

    /// The key attributes (the table's and the index's) of an entry's item: the shape of an
    /// index's `LastEvaluatedKey`.
    pub(crate) fn key_attributes(&self, table: &KeySchema, item: &Item) -> Item {
        let mut keys = Item::new();
        for attribute in key_attributes(table).chain(key_attributes(self.schema())) {
            if let Some(value) = item.get(&attribute.name) {
                keys.insert(attribute.name.clone(), value.clone());
            }
        }
        keys
    }

    /// Whether an entry holds the top-level attribute `name` of its item (when the item
    /// has it): every attribute for `ALL`, else the key attributes and the included ones.
    pub(crate) fn projects(&self, table: &KeySchema, name: &str) -> bool {
        let included: &[String] = match &self.meta.projection {
            IndexProjection::All => return true,
            IndexProjection::KeysOnly => &[],
            IndexProjection::Include(attributes) => attributes,
        };
        key_attributes(table)
            .chain(key_attributes(self.schema()))
            .any(|attribute| attribute.name == name)
            || included.iter().any(|attribute| attribute == name)
    }

    fn project(&self, table: &KeySchema, item: &Item) -> Item {
        let included: &[String] = match &self.meta.projection {
            IndexProjection::All => return item.clone(),
            IndexProjection::KeysOnly => &[],
            IndexProjection::Include(attributes) => attributes,
        };
        let mut projected = self.key_attributes(table, item);
        for name in included {
            if let Some(value) = item.get(name) {
                projected.insert(name.clone(), value.clone());
            }
        }
        projected
    }

    /// The projected item of an entry's value.
    pub(crate) fn decode(&self, value: &[u8]) -> Result<Item> {
        decode_item(value).map_err(|e| {
            Error::corrupt(
                self.meta.relative_dir(),
                None,
                format!(
                    "an index entry is malformed at byte {}: {}",
                    e.offset, e.reason
                ),
            )
        })
    }

    /// The entry keys of one index partition within a sort key condition, and the
    /// partition's prefix.
    pub(crate) fn query_bounds(
        &self,
        partition: &Value,
        sort: Option<&SortCondition>,
    ) -> Result<(KeyBounds, Vec<u8>)> {
        let schema = self.schema();
        let prefix = partition_prefix(schema, partition)?;
        let partition_end = match prefix_successor(&prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        let Some(condition) = sort else {
            return Ok((
                KeyBounds {
                    start: Bound::Included(prefix.clone()),
                    end: partition_end,
                },
                prefix,
            ));
        };
        let Some(attribute) = &schema.sort_key else {
            return Err(Error::validation(format!(
                "a sort key condition needs a sort key, and index {:?} has none",
                self.meta.name
            )));
        };
        // A value's entries start with its escaped bytes and terminator (`00 01`), and end
        // before the same bytes with `00 02`.
        let bounds = sort_key_bounds(attribute, condition, &prefix, |value, edge| {
            let mut sort_bytes = Vec::new();
            encode_sort_value(attribute, value, &mut sort_bytes)?;
            let mut key = prefix.clone();
            escape_into(&sort_bytes, &mut key);
            match edge {
                SortEdge::Prefix => {}
                SortEdge::First => key.extend_from_slice(&TERMINATOR),
                SortEdge::Past => key.extend_from_slice(&[0, TERMINATOR[1] + 1]),
            }
            Ok(key)
        })?;
        Ok((bounds, prefix))
    }
}

fn key_attributes(schema: &KeySchema) -> impl Iterator<Item = &KeyAttribute> {
    std::iter::once(&schema.partition_key).chain(&schema.sort_key)
}

/// The reason of a validation error, to restate it as the index's.
fn reason_of(error: &Error) -> String {
    match error {
        Error::Validation(validation) => validation.reason.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_sort_keys_order_as_the_values_and_end_before_the_table_key() {
        let mut keys: Vec<Vec<u8>> = [&b"a"[..], b"a\0", b"a\0b", b"ab", b"b"]
            .iter()
            .map(|bytes| {
                let mut key = Vec::new();
                escape_into(bytes, &mut key);
                key.extend_from_slice(&TERMINATOR);
                // A table key that would sort first or last if it were compared early.
                key.push(0xff);
                key
            })
            .collect();
        let in_order = keys.clone();
        keys.sort();
        assert_eq!(keys, in_order);
    }
}
