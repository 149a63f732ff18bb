//! Items: maps of attribute names to values, with DynamoDB's size and shape rules.

use std::collections::btree_map;
use std::ops::Index;

use crate::error::{Error, Result};
use crate::number::Number;
use crate::value::{Map, Value};

/// The largest item DynamoDB accepts, by its size rule: 400 KB.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// The deepest nesting of lists and maps DynamoDB accepts.
pub const MAX_NESTING_DEPTH: usize = 32;
/// The longest attribute name, in bytes.
const MAX_ATTRIBUTE_NAME_BYTES: usize = 65_535;

/// An item: attribute names mapped to [`Value`]s, in name order.
///
/// ```
/// use dynafile::{item, Item, Value};
/// let mut user = item! { "PK" => "user#1", "SK" => "profile", "age" => 42 };
/// user.insert("name", "Bob");
/// assert_eq!(user.get("name"), Some(&Value::from("Bob")));
/// assert_eq!(user["age"], Value::from(42));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Item(Map);

/// Builds an [`Item`] from `name => value` pairs; values go through `Into<Value>`.
///
/// ```
/// let item = dynafile::item! { "PK" => "user#1", "SK" => "user#1", "name" => "Bob" };
/// assert_eq!(item.len(), 3);
/// ```
#[macro_export]
macro_rules! item {
    () => { $crate::Item::new() };
    ($($name:expr => $value:expr),+ $(,)?) => {{
        let mut item = $crate::Item::new();
        $( item.insert($name, $value); )+
        item
    }};
}

impl Item {
    /// An empty item.
    #[must_use]
    pub fn new() -> Item {
        Item(Map::new())
    }

    /// The value of an attribute.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A mutable reference to the value of an attribute.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0.get_mut(name)
    }

    /// Sets an attribute, returning its previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(name.into(), value.into())
    }

    /// Removes an attribute, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// True when the item has the attribute.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Number of attributes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the item has no attributes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The attributes in name order.
    pub fn iter(&self) -> btree_map::Iter<'_, String, Value> {
        self.0.iter()
    }

    /// The attributes as a map.
    #[must_use]
    pub fn as_map(&self) -> &Map {
        &self.0
    }

    /// The attributes as a map, by value.
    #[must_use]
    pub fn into_map(self) -> Map {
        self.0
    }

    /// The item in dynafile's compact binary encoding, the one its log and partition files
    /// use (tagged values with varint lengths; see [`Item::from_bytes`]).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::encoding::encode_item(self, &[])
    }

    /// Decodes [`Item::to_bytes`]. Malformed bytes are an error, never a panic or an
    /// allocation larger than the input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Item> {
        crate::encoding::decode_item(bytes).map_err(|e| {
            Error::validation(format!(
                "malformed item bytes at offset {}: {}",
                e.offset, e.reason
            ))
        })
    }

    /// The item's size by DynamoDB's rule: for every attribute the UTF-8 length of its name
    /// plus the size of its value (strings and binaries their length, numbers one byte per two
    /// significant digits plus one, booleans and null one, lists and maps three plus one per
    /// element plus their elements). Items are limited to [`MAX_ITEM_SIZE`].
    #[must_use]
    pub fn size(&self) -> usize {
        self.0
            .iter()
            .map(|(name, value)| name.len() + value_size(value))
            .sum()
    }

    /// Checks the item against DynamoDB's rules for any stored item (key attributes are
    /// checked against the table's schema elsewhere): names not empty, sets not empty, nesting
    /// at most [`MAX_NESTING_DEPTH`] deep, size at most [`MAX_ITEM_SIZE`].
    pub(crate) fn validate(&self) -> Result<()> {
        for (name, value) in &self.0 {
            if name.is_empty() {
                return Err(Error::validation("attribute names must not be empty"));
            }
            if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
                return Err(Error::invalid_attribute(
                    truncate_name(name),
                    format!(
                        "attribute name is {} bytes, more than {MAX_ATTRIBUTE_NAME_BYTES}",
                        name.len()
                    ),
                ));
            }
            validate_value(name, value, 0)?;
        }
        let size = self.size();
        if size > MAX_ITEM_SIZE {
            return Err(Error::validation(format!(
                "item size is {size} bytes, more than the maximum of {MAX_ITEM_SIZE} bytes (400 KB)"
            )));
        }
        Ok(())
    }
}

fn truncate_name(name: &str) -> String {
    let mut end = name.len().min(40);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

fn number_size(number: &Number) -> usize {
    (number.significant_digits() as usize).div_ceil(2) + 1
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::S(s) => s.len(),
        Value::N(n) => number_size(n),
        Value::B(b) => b.len(),
        Value::Bool(_) | Value::Null => 1,
        Value::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        Value::Ss(set) => set.iter().map(String::len).sum(),
        Value::Ns(set) => set.iter().map(number_size).sum(),
        Value::Bs(set) => set.iter().map(Vec::len).sum(),
    }
}

fn validate_value(attribute: &str, value: &Value, depth: usize) -> Result<()> {
    let empty_set = match value {
        Value::Ss(set) => set.is_empty(),
        Value::Ns(set) => set.is_empty(),
        Value::Bs(set) => set.is_empty(),
        _ => false,
    };
    if empty_set {
        return Err(Error::invalid_attribute(
            attribute,
            format!("{} set must not be empty", value.type_with_article()),
        ));
    }
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::L(list) => Box::new(list.iter()),
        Value::M(map) => Box::new(map.values()),
        _ => return Ok(()),
    };
    if depth + 1 > MAX_NESTING_DEPTH {
        return Err(Error::invalid_attribute(
            attribute,
            format!("lists and maps are nested more than {MAX_NESTING_DEPTH} levels deep"),
        ));
    }
    for child in children {
        validate_value(attribute, child, depth + 1)?;
    }
    Ok(())
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl Index<&str> for Item {
    type Output = Value;
    /// The value of an attribute; panics when the item lacks it (use [`Item::get`] otherwise).
    fn index(&self, name: &str) -> &Value {
        match self.0.get(name) {
            Some(value) => value,
            None => panic!("item has no attribute `{name}`"),
        }
    }
}

impl From<Map> for Item {
    fn from(map: Map) -> Item {
        Item(map)
    }
}

impl From<Item> for Map {
    fn from(item: Item) -> Map {
        item.0
    }
}

impl From<Item> for Value {
    fn from(item: Item) -> Value {
        Value::M(item.0)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Item {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Item {
        Item(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Item {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

impl<K: Into<String>, V: Into<Value>, const N: usize> From<[(K, V); N]> for Item {
    fn from(pairs: [(K, V); N]) -> Item {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for Item {
    type Item = (String, Value);
    type IntoIter = btree_map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Item {
    type Item = (&'a String, &'a Value);
    type IntoIter = btree_map::Iter<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_dynamodb_rule() {
        let item = item! {
            "s" => "abc",                      // 1 + 3
            "n" => 12345,                      // 1 + 3 + 1
            "b" => vec![1u8, 2],               // 1 + 2
            "t" => true,                       // 1 + 1
            "l" => vec![Value::from("x"), Value::Null], // 1 + 3 + (1+1) + (1+1)
            "m" => Value::M([("k".to_owned(), Value::from("vv"))].into()), // 1 + 3 + 1 + 1 + 2
        };
        assert_eq!(item.size(), 4 + 5 + 3 + 2 + 8 + 8);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(item! { "" => 1 }.validate().is_err());
        assert!(
            item! { "s" => Value::Ss(Default::default()) }
                .validate()
                .is_err()
        );
        let mut deep = Value::from(1);
        for _ in 0..MAX_NESTING_DEPTH {
            deep = Value::L(vec![deep]);
        }
        assert!(item! { "d" => deep.clone() }.validate().is_ok());
        assert!(item! { "d" => Value::L(vec![deep]) }.validate().is_err());
        let big = "x".repeat(MAX_ITEM_SIZE);
        let err = item! { "big" => big }.validate().unwrap_err();
        assert!(
            err.to_string().contains("item size is 409603 bytes"),
            "{err}"
        );
    }
}
