//! Key schemas, keys, and the internal key encoding that orders a table.
//!
//! Inside the engine an item's key is one byte string ordered as the table is:
//! `hash(pk) (8 bytes, big-endian) | len(pk) (2 bytes, big-endian) | pk bytes | sk bytes`.
//! `hash` is the first 8 bytes of SHA-256 of the partition key's bytes (a string's UTF-8, a
//! binary's bytes, a number's canonical text), stable across platforms and versions, so a
//! partition's items are contiguous and physical partitions are hash ranges, as in DynamoDB.
//! The sort key's bytes keep its order under byte comparison: strings and binaries as they
//! are (DynamoDB orders them by UTF-8 bytes and bytes), numbers in an order-preserving form.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::item::Item;
use crate::number::Number;
use crate::value::Value;

/// Longest partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Longest sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// The type of a key attribute: string, number or binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
    /// Binary (`B`).
    B,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        })
    }
}

impl FromStr for KeyType {
    type Err = Error;
    fn from_str(text: &str) -> Result<KeyType> {
        match text {
            "S" | "s" => Ok(KeyType::S),
            "N" | "n" => Ok(KeyType::N),
            "B" | "b" => Ok(KeyType::B),
            other => Err(Error::validation(format!(
                "key type must be S, N or B, not {other:?}"
            ))),
        }
    }
}

/// One key attribute of a table: its name and type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttribute {
    /// The attribute's name.
    pub name: String,
    /// The attribute's type.
    #[serde(rename = "type")]
    pub key_type: KeyType,
}

impl KeyAttribute {
    /// A key attribute.
    pub fn new(name: impl Into<String>, key_type: KeyType) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            key_type,
        }
    }
}

impl fmt::Display for KeyAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.key_type)
    }
}

/// A table's primary key: a partition key and an optional sort key, fixed at creation.
///
/// Deserializing rejects unknown fields: a misspelled `sort_key` must not read as a table
/// without a sort key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySchema {
    /// The partition (hash) key.
    pub partition_key: KeyAttribute,
    /// The sort (range) key, if the table has one.
    pub sort_key: Option<KeyAttribute>,
}

impl fmt::Display for KeySchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "partition key {}", self.partition_key)?;
        match &self.sort_key {
            Some(sort) => write!(f, ", sort key {sort}"),
            None => f.write_str(", no sort key"),
        }
    }
}

/// The primary key of one item: a partition key value and, for tables with a sort key, a sort
/// key value.
///
/// ```
/// use dynafile::Key;
/// let key = Key::new("user#1").sort("profile");
/// let same: Key = ("user#1", "profile").into();
/// assert_eq!(key, same);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The partition key value.
    pub partition: Value,
    /// The sort key value.
    pub sort: Option<Value>,
}

impl Key {
    /// A key with only a partition key value.
    pub fn new(partition: impl Into<Value>) -> Key {
        Key {
            partition: partition.into(),
            sort: None,
        }
    }

    /// The key with a sort key value.
    #[must_use]
    pub fn sort(mut self, sort: impl Into<Value>) -> Key {
        self.sort = Some(sort.into());
        self
    }

    /// The key as an item of its key attributes, named by `schema`.
    #[must_use]
    pub fn to_item(&self, schema: &KeySchema) -> Item {
        let mut item = Item::new();
        item.insert(schema.partition_key.name.clone(), self.partition.clone());
        if let (Some(attribute), Some(sort)) = (&schema.sort_key, &self.sort) {
            item.insert(attribute.name.clone(), sort.clone());
        }
        item
    }
}

impl<P: Into<Value>, S: Into<Value>> From<(P, S)> for Key {
    fn from((partition, sort): (P, S)) -> Key {
        Key::new(partition).sort(sort)
    }
}

/// A condition on the sort key of a query, as DynamoDB's key conditions allow.
///
/// `BeginsWith` applies to string and binary sort keys only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortCondition {
    /// `SK = v`
    Eq(Value),
    /// `SK < v`
    Lt(Value),
    /// `SK <= v`
    Le(Value),
    /// `SK > v`
    Gt(Value),
    /// `SK >= v`
    Ge(Value),
    /// `SK BETWEEN low AND high` (both inclusive; `low` must not be above `high`).
    Between(Value, Value),
    /// `begins_with(SK, prefix)`
    BeginsWith(Value),
}

/// Anything that names one item of a table: a [`Key`], a `(partition, sort)` pair, or an
/// [`Item`] holding the key attributes (other attributes are ignored, as DynamoDB's
/// `GetItem` does not allow but the original dynafile did).
pub trait IntoKey {
    /// The key, read with the table's schema.
    fn into_key(self, schema: &KeySchema) -> Result<Key>;
}

impl IntoKey for Key {
    fn into_key(self, _schema: &KeySchema) -> Result<Key> {
        Ok(self)
    }
}

impl IntoKey for &Key {
    fn into_key(self, _schema: &KeySchema) -> Result<Key> {
        Ok(self.clone())
    }
}

impl<P: Into<Value>, S: Into<Value>> IntoKey for (P, S) {
    fn into_key(self, _schema: &KeySchema) -> Result<Key> {
        Ok(Key::from(self))
    }
}

impl IntoKey for &Item {
    fn into_key(self, schema: &KeySchema) -> Result<Key> {
        key_of_item(schema, self)
    }
}

impl IntoKey for Item {
    fn into_key(self, schema: &KeySchema) -> Result<Key> {
        key_of_item(schema, &self)
    }
}

/// The key attributes of an item, checked to be present.
pub(crate) fn key_of_item(schema: &KeySchema, item: &Item) -> Result<Key> {
    let partition = item.get(&schema.partition_key.name).ok_or_else(|| {
        Error::invalid_attribute(&schema.partition_key.name, "the partition key is missing")
    })?;
    let sort = match &schema.sort_key {
        Some(attribute) => Some(
            item.get(&attribute.name)
                .ok_or_else(|| {
                    Error::invalid_attribute(&attribute.name, "the sort key is missing")
                })?
                .clone(),
        ),
        None => None,
    };
    Ok(Key {
        partition: partition.clone(),
        sort,
    })
}

/// The bytes a key value is hashed and stored by, checked against the attribute's type.
fn key_value_bytes<'v>(
    attribute: &KeyAttribute,
    value: &'v Value,
    role: &str,
) -> Result<std::borrow::Cow<'v, [u8]>> {
    let bytes: std::borrow::Cow<'v, [u8]> = match (attribute.key_type, value) {
        (KeyType::S, Value::S(s)) => s.as_bytes().into(),
        (KeyType::B, Value::B(b)) => b.as_slice().into(),
        (KeyType::N, Value::N(n)) => n.to_string().into_bytes().into(),
        (expected, other) => {
            return Err(Error::invalid_attribute(
                &attribute.name,
                format!(
                    "the {role} must be of type {expected}, not {}",
                    other.type_descriptor()
                ),
            ));
        }
    };
    if bytes.is_empty() {
        return Err(Error::invalid_attribute(
            &attribute.name,
            format!("the {role} must not be an empty string or binary"),
        ));
    }
    Ok(bytes)
}

/// The hash that places a partition key: the first 8 bytes of SHA-256, big-endian.
pub(crate) fn partition_hash(partition_bytes: &[u8]) -> u64 {
    let digest = Sha256::digest(partition_bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The encoded prefix shared by every item of one partition.
pub(crate) fn partition_prefix(schema: &KeySchema, partition: &Value) -> Result<Vec<u8>> {
    let bytes = key_value_bytes(&schema.partition_key, partition, "partition key")?;
    if bytes.len() > MAX_PARTITION_KEY_BYTES {
        return Err(Error::invalid_attribute(
            &schema.partition_key.name,
            format!(
                "the partition key is {} bytes, more than the maximum of {MAX_PARTITION_KEY_BYTES}",
                bytes.len()
            ),
        ));
    }
    let mut prefix = Vec::with_capacity(10 + bytes.len() + 16);
    prefix.extend_from_slice(&partition_hash(&bytes).to_be_bytes());
    // At most 2048: fits two bytes.
    prefix.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    prefix.extend_from_slice(&bytes);
    Ok(prefix)
}

/// Appends the order-preserving bytes of a sort key value.
pub(crate) fn encode_sort_value(
    attribute: &KeyAttribute,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    match (attribute.key_type, value) {
        (KeyType::N, Value::N(n)) => n.encode_ordered(out),
        _ => out.extend_from_slice(&key_value_bytes(attribute, value, "sort key")?),
    }
    let length = match value {
        Value::N(n) => n.to_string().len(),
        _ => out.len() - start,
    };
    if length > MAX_SORT_KEY_BYTES {
        out.truncate(start);
        return Err(Error::invalid_attribute(
            &attribute.name,
            format!(
                "the sort key is {length} bytes, more than the maximum of {MAX_SORT_KEY_BYTES}"
            ),
        ));
    }
    Ok(())
}

/// The full encoded key of one item, validated against the schema.
pub(crate) fn encode_key(schema: &KeySchema, key: &Key) -> Result<Vec<u8>> {
    let mut encoded = partition_prefix(schema, &key.partition)?;
    match (&schema.sort_key, &key.sort) {
        (Some(attribute), Some(sort)) => encode_sort_value(attribute, sort, &mut encoded)?,
        (Some(attribute), None) => {
            return Err(Error::invalid_attribute(
                &attribute.name,
                "the sort key is missing",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::validation(format!(
                "the key has a sort key value, but the table has none ({schema})"
            )));
        }
        (None, None) => {}
    }
    Ok(encoded)
}

/// The hash stored at the start of an encoded key.
pub(crate) fn hash_of_encoded(encoded: &[u8]) -> u64 {
    let mut first = [0u8; 8];
    let n = encoded.len().min(8);
    first[..n].copy_from_slice(&encoded[..n]);
    u64::from_be_bytes(first)
}

/// Length of the partition prefix (hash, length, partition key) of an encoded key.
pub(crate) fn prefix_len(encoded: &[u8]) -> Option<usize> {
    let length = u16::from_be_bytes([*encoded.get(8)?, *encoded.get(9)?]) as usize;
    let end = 10 + length;
    (end <= encoded.len()).then_some(end)
}

/// Decodes an encoded key back into its values; `None` when the bytes are not a valid key of
/// this schema.
pub(crate) fn decode_key(schema: &KeySchema, encoded: &[u8]) -> Option<Key> {
    KeyDecoder::default().decode(schema, encoded)
}

/// Decodes the keys a read returns in order, decoding the partition key value once for the
/// consecutive items of a partition.
#[derive(Default)]
pub(crate) struct KeyDecoder {
    prefix: Vec<u8>,
    partition: Option<Value>,
}

impl KeyDecoder {
    /// As [`decode_key`].
    pub(crate) fn decode(&mut self, schema: &KeySchema, encoded: &[u8]) -> Option<Key> {
        let end = prefix_len(encoded)?;
        let partition = match &self.partition {
            Some(partition) if self.prefix == encoded[..end] => partition.clone(),
            _ => {
                let partition = decode_plain(schema.partition_key.key_type, &encoded[10..end])?;
                self.prefix.clear();
                self.prefix.extend_from_slice(&encoded[..end]);
                self.partition = Some(partition.clone());
                partition
            }
        };
        let rest = &encoded[end..];
        let sort = match &schema.sort_key {
            None if rest.is_empty() => None,
            None => return None,
            Some(attribute) => Some(decode_sort_value(attribute.key_type, rest)?),
        };
        Some(Key { partition, sort })
    }
}

fn decode_plain(key_type: KeyType, bytes: &[u8]) -> Option<Value> {
    match key_type {
        KeyType::S => std::str::from_utf8(bytes)
            .ok()
            .map(|s| Value::S(s.to_owned())),
        KeyType::B => Some(Value::B(bytes.to_vec())),
        KeyType::N => std::str::from_utf8(bytes)
            .ok()?
            .parse::<Number>()
            .ok()
            .map(Value::N),
    }
}

/// Decodes the sort key bytes that end an encoded key.
pub(crate) fn decode_sort_value(key_type: KeyType, bytes: &[u8]) -> Option<Value> {
    match key_type {
        KeyType::N => {
            let (number, used) = Number::decode_ordered(bytes)?;
            (used == bytes.len()).then_some(Value::N(number))
        }
        other => decode_plain(other, bytes),
    }
}

/// The smallest byte string greater than every string starting with `prefix`, or `None`
/// when there is none (all bytes 0xFF).
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

/// A key as messages show it: `PK = "USER#42", SK = "PROFILE"`.
pub(crate) fn describe_key(schema: &KeySchema, key: &Key) -> String {
    let show = |value: &Value| match value {
        Value::S(s) => format!("{s:?}"),
        Value::N(n) => n.to_string(),
        Value::B(bytes) => {
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("0x{hex}")
        }
        other => format!("{other:?}"),
    };
    let mut text = format!("{} = {}", schema.partition_key.name, show(&key.partition));
    if let (Some(attribute), Some(sort)) = (&schema.sort_key, &key.sort) {
        text.push_str(&format!(", {} = {}", attribute.name, show(sort)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sort: Option<KeyType>) -> KeySchema {
        KeySchema {
            partition_key: KeyAttribute::new("PK", KeyType::S),
            sort_key: sort.map(|t| KeyAttribute::new("SK", t)),
        }
    }

    #[test]
    fn keys_round_trip_and_keep_sort_order() {
        let s = schema(Some(KeyType::N));
        let numbers = ["-10", "-1.5", "0", "0.5", "2", "10", "100"];
        let encoded: Vec<Vec<u8>> = numbers
            .iter()
            .map(|n| encode_key(&s, &Key::new("p").sort(n.parse::<Number>().unwrap())).unwrap())
            .collect();
        assert!(
            encoded.windows(2).all(|w| w[0] < w[1]),
            "numeric sort keys sort numerically"
        );
        for (text, bytes) in numbers.iter().zip(&encoded) {
            let key = decode_key(&s, bytes).unwrap();
            assert_eq!(key, Key::new("p").sort(text.parse::<Number>().unwrap()));
        }
        let strings = schema(Some(KeyType::S));
        let a = encode_key(&strings, &Key::new("p").sort("a")).unwrap();
        let ab = encode_key(&strings, &Key::new("p").sort("ab")).unwrap();
        let b = encode_key(&strings, &Key::new("p").sort("b")).unwrap();
        assert!(a < ab && ab < b);
    }

    #[test]
    fn hash_is_sha256_prefix() {
        // SHA-256("a") = ca978112ca1bbdca...
        assert_eq!(partition_hash(b"a"), 0xca97_8112_ca1b_bdca);
    }

    #[test]
    fn rejects_bad_keys() {
        let s = schema(Some(KeyType::S));
        let err = |key: Key| encode_key(&s, &key).unwrap_err().to_string();
        assert_eq!(
            err(Key::new(1).sort("a")),
            "attribute `PK`: the partition key must be of type S, not N"
        );
        assert_eq!(
            err(Key::new("").sort("a")),
            "attribute `PK`: the partition key must not be an empty string or binary"
        );
        assert_eq!(
            err(Key::new("p")),
            "attribute `SK`: the sort key is missing"
        );
        assert!(
            err(Key::new("x".repeat(2049)).sort("a"))
                .contains("2049 bytes, more than the maximum of 2048")
        );
        assert!(encode_key(&s, &Key::new("x".repeat(2048)).sort("y".repeat(1024))).is_ok());
        assert!(
            err(Key::new("p").sort("y".repeat(1025)))
                .contains("1025 bytes, more than the maximum of 1024")
        );
        let no_sort = schema(None);
        assert!(encode_key(&no_sort, &Key::new("p").sort("a")).is_err());
    }

    #[test]
    fn successor_bounds_prefixes() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xff, 0xff]), None);
    }
}
