//! The deserializer: a [`Value`] into any `Deserialize` type.

use std::collections::btree_map;
use std::fmt::Display;

use serde::de::value::{SeqDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Expected, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::{Error, NUMBER_TOKEN, VALUE_TOKEN};
use crate::json::exact_f64;
use crate::number::Number;
use crate::value::{Map, Value};

impl de::Error for Error {
    fn custom<T: Display>(message: T) -> Error {
        Error::new(message.to_string())
    }
}

/// Deserializes from a [`Value`] (the mapping is documented on `to_value`).
pub(super) struct ValueDeserializer {
    value: Value,
}

impl ValueDeserializer {
    pub(super) fn new(value: Value) -> ValueDeserializer {
        ValueDeserializer { value }
    }
}

/// The value is of the wrong type for what the visitor reads.
fn mismatch(value: &Value, expected: &dyn Expected) -> Error {
    Error::new(format!(
        "expected {expected}, found {}",
        value.type_descriptor()
    ))
}

/// The number of an `N`, for a numeric Rust type.
fn number_for(value: Value, rust_type: &str) -> Result<Number, Error> {
    match value {
        Value::N(number) => Ok(number),
        other => Err(Error::new(format!(
            "expected a number (N) for {rust_type}, found {}",
            other.type_descriptor()
        ))),
    }
}

fn integer_error(number: &Number, rust_type: &str) -> Error {
    if number.is_integer() {
        Error::new(format!("number {number} is out of range for {rust_type}"))
    } else {
        Error::new(format!(
            "expected an integer for {rust_type}, found {number}"
        ))
    }
}

/// An `N` for a visitor that takes anything: an integer when it is one within `u64` or
/// `i64`, else a float when that float is exactly the number, else the canonical text.
fn visit_number<'de, V: Visitor<'de>>(number: Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(integer) = number.to_u64() {
        visitor.visit_u64(integer)
    } else if let Some(integer) = number.to_i64() {
        visitor.visit_i64(integer)
    } else if let Some(float) = exact_f64(&number) {
        visitor.visit_f64(float)
    } else {
        visitor.visit_string(number.to_string())
    }
}

fn visit_list<'de, V: Visitor<'de>>(list: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let len = list.len();
    let mut access = ListElements {
        elements: list.into_iter(),
        index: 0,
    };
    let value = visitor.visit_seq(&mut access)?;
    if access.elements.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            len,
            &"fewer elements in the list",
        ))
    }
}

fn visit_map<'de, V: Visitor<'de>>(map: Map, visitor: V) -> Result<V::Value, Error> {
    let len = map.len();
    let mut access = MapEntries {
        entries: map.into_iter(),
        pending: None,
    };
    let value = visitor.visit_map(&mut access)?;
    if access.entries.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(len, &"fewer entries in the map"))
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident, $t:ty, $wide:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let number = number_for(self.value, stringify!($t))?;
            match number.$wide().and_then(|wide| <$t>::try_from(wide).ok()) {
                Some(integer) => visitor.$visit(integer),
                None => Err(integer_error(&number, stringify!($t))),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::S(s) => visitor.visit_string(s),
            Value::N(n) => visit_number(n, visitor),
            Value::B(b) => visitor.visit_byte_buf(b),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Null => visitor.visit_unit(),
            Value::L(list) => visit_list(list, visitor),
            Value::M(map) => visit_map(map, visitor),
            Value::Ss(set) => visit_list(set.into_iter().map(Value::S).collect(), visitor),
            Value::Ns(set) => visit_list(set.into_iter().map(Value::N).collect(), visitor),
            Value::Bs(set) => visit_list(set.into_iter().map(Value::B).collect(), visitor),
        }
    }

    deserialize_integer! {
        deserialize_i8 => visit_i8, i8, to_i128;
        deserialize_i16 => visit_i16, i16, to_i128;
        deserialize_i32 => visit_i32, i32, to_i128;
        deserialize_i64 => visit_i64, i64, to_i128;
        deserialize_i128 => visit_i128, i128, to_i128;
        deserialize_u8 => visit_u8, u8, to_u128;
        deserialize_u16 => visit_u16, u16, to_u128;
        deserialize_u32 => visit_u32, u32, to_u128;
        deserialize_u64 => visit_u64, u64, to_u128;
        deserialize_u128 => visit_u128, u128, to_u128;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let number = number_for(self.value, "f32")?;
        // Parse the text as an `f32` directly: going through `f64` could round twice.
        let float = number
            .to_string()
            .parse::<f32>()
            .unwrap_or(number.to_f64() as f32);
        if float.is_finite() {
            visitor.visit_f32(float)
        } else {
            Err(Error::new(format!(
                "number {number} is out of range for f32"
            )))
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let number = number_for(self.value, "f64")?;
        visitor.visit_f64(number.to_f64())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(b),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::S(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(Error::new(format!(
                        "expected a single character, found S of {} characters",
                        s.chars().count()
                    ))),
                }
            }
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::S(s) => visitor.visit_string(s),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::B(b) => visitor.visit_byte_buf(b),
            Value::L(list) => visit_list(list, visitor),
            Value::S(s) => visitor.visit_string(s),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(ValueDeserializer::new(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match (name, self.value) {
            // A `Number` reads its canonical text exactly.
            (NUMBER_TOKEN, Value::N(number)) => visitor.visit_string(number.to_string()),
            // A `Value` reads its DynamoDB JSON shape, presented without loss.
            (VALUE_TOKEN, value) => visitor.visit_newtype_struct(ShapeDeserializer(value)),
            (_, value) => visitor.visit_newtype_struct(ValueDeserializer::new(value)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::L(list) => visit_list(list, visitor),
            Value::Ss(set) => visit_list(set.into_iter().map(Value::S).collect(), visitor),
            Value::Ns(set) => visit_list(set.into_iter().map(Value::N).collect(), visitor),
            Value::Bs(set) => visit_list(set.into_iter().map(Value::B).collect(), visitor),
            Value::B(bytes) => visit_list(bytes.into_iter().map(Value::from).collect(), visitor),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::M(map) => visit_map(map, visitor),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::M(map) => visit_map(map, visitor),
            // serde's derive also reads structs from sequences of their fields.
            Value::L(list) => visit_list(list, visitor),
            other => Err(mismatch(&other, &visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::S(variant) => visitor.visit_enum(StringDeserializer::<Error>::new(variant)),
            Value::M(map) => {
                let len = map.len();
                let mut entries = map.into_iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, content)), None) => {
                        visitor.visit_enum(VariantDeserializer { variant, content })
                    }
                    _ => Err(Error::new(format!(
                        "expected enum {name} as a map of one variant name to its content, \
                         found a map of {len} entries"
                    ))),
                }
            }
            other => Err(Error::new(format!(
                "expected enum {name} as a variant name (S) or a map of one variant name to its \
                 content (M), found {}",
                other.type_descriptor()
            ))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// The elements of a list, each deserialized with its index on the error path.
struct ListElements {
    elements: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for ListElements {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(element) = self.elements.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer::new(element))
            .map(Some)
            .map_err(|e| e.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.elements.len())
    }
}

/// The entries of a map, each value deserialized with its key on the error path.
struct MapEntries {
    entries: btree_map::IntoIter<String, Value>,
    pending: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for MapEntries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let parsed = seed
            .deserialize(KeyDeserializer(&key))
            .map_err(|e| e.at_key(&key))?;
        self.pending = Some((key, value));
        Ok(Some(parsed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| Error::new("a map value was read before its key"))?;
        seed.deserialize(ValueDeserializer::new(value))
            .map_err(|e| e.at_key(&key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as `{"Variant": content}`.
struct VariantDeserializer {
    variant: String,
    content: Value,
}

impl<'de> EnumAccess<'de> for VariantDeserializer {
    type Error = Error;
    type Variant = VariantContent;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantContent), Error> {
        let tag = seed
            .deserialize(KeyDeserializer(&self.variant))
            .map_err(|e| e.at_key(&self.variant))?;
        Ok((
            tag,
            VariantContent {
                variant: self.variant,
                content: self.content,
            },
        ))
    }
}

/// The content of an enum variant, with the variant's name on the error path.
struct VariantContent {
    variant: String,
    content: Value,
}

impl<'de> VariantAccess<'de> for VariantContent {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            Value::Null => Ok(()),
            other => Err(Error::new(format!(
                "expected no content (NULL) for a unit variant, found {}",
                other.type_descriptor()
            ))
            .at_key(&self.variant)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(ValueDeserializer::new(self.content))
            .map_err(|e| e.at_key(&self.variant))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        ValueDeserializer::new(self.content)
            .deserialize_seq(visitor)
            .map_err(|e| e.at_key(&self.variant))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        ValueDeserializer::new(self.content)
            .deserialize_map(visitor)
            .map_err(|e| e.at_key(&self.variant))
    }
}

/// Map keys and variant names: strings, from which integer, float, `char` and `bool` keys
/// are parsed back.
struct KeyDeserializer<'a>(&'a str);

macro_rules! deserialize_parsed_key {
    ($($method:ident => $visit:ident, $t:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$t>() {
                Ok(parsed) => visitor.$visit(parsed),
                Err(_) => Err(Error::new(format!(
                    "map key {:?} is not a valid {}",
                    self.0,
                    stringify!($t)
                ))),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for KeyDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.0)
    }

    deserialize_parsed_key! {
        deserialize_bool => visit_bool, bool;
        deserialize_i8 => visit_i8, i8;
        deserialize_i16 => visit_i16, i16;
        deserialize_i32 => visit_i32, i32;
        deserialize_i64 => visit_i64, i64;
        deserialize_i128 => visit_i128, i128;
        deserialize_u8 => visit_u8, u8;
        deserialize_u16 => visit_u16, u16;
        deserialize_u32 => visit_u32, u32;
        deserialize_u64 => visit_u64, u64;
        deserialize_u128 => visit_u128, u128;
        deserialize_f32 => visit_f32, f32;
        deserialize_f64 => visit_f64, f64;
        deserialize_char => visit_char, char;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(StrDeserializer::<Error>::new(self.0))
    }

    forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Presents a value to `Value`'s own `Deserialize` as its DynamoDB JSON shape
/// (`{"N": "1.5"}`), with binaries as raw bytes and nested values exact.
struct ShapeDeserializer(Value);

impl<'de> Deserializer<'de> for ShapeDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(ShapeEntry(Some(self.0), true))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The one entry of a value's shape: its descriptor, then its content. The flag tells
/// whether the descriptor is still to be read.
struct ShapeEntry(Option<Value>, bool);

impl<'de> MapAccess<'de> for ShapeEntry {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match (&self.0, self.1) {
            (Some(value), true) => {
                self.1 = false;
                let descriptor = StrDeserializer::<Error>::new(value.type_descriptor());
                seed.deserialize(descriptor).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .0
            .take()
            .ok_or_else(|| Error::new("a value's content was read twice"))?;
        match value {
            Value::S(s) => seed.deserialize(s.into_deserializer()),
            Value::N(n) => seed.deserialize(n.to_string().into_deserializer()),
            Value::B(b) => seed.deserialize(RawBytes(b)),
            Value::Bool(b) => seed.deserialize(b.into_deserializer()),
            Value::Null => seed.deserialize(true.into_deserializer()),
            Value::L(_) | Value::M(_) => seed.deserialize(ValueDeserializer::new(value)),
            Value::Ss(set) => seed.deserialize(SeqDeserializer::new(set.into_iter())),
            Value::Ns(set) => {
                seed.deserialize(SeqDeserializer::new(set.into_iter().map(|n| n.to_string())))
            }
            Value::Bs(set) => seed.deserialize(SeqDeserializer::new(set.into_iter().map(RawBytes))),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.0.is_some()))
    }
}

/// Binary data for whatever reads it.
struct RawBytes(Vec<u8>);

impl<'de> Deserializer<'de> for RawBytes {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_byte_buf(self.0)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl IntoDeserializer<'_, Error> for RawBytes {
    type Deserializer = RawBytes;

    fn into_deserializer(self) -> RawBytes {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::fmt;

    use serde::Deserialize;
    use serde::de::DeserializeOwned;

    use super::super::from_value;
    use super::*;
    use crate::item::Item;

    fn n(text: &str) -> Value {
        Value::N(Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    fn m<const N: usize>(entries: [(&str, Value); N]) -> Value {
        Value::M(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    fn read<T: DeserializeOwned>(value: Value) -> T {
        from_value(value.clone()).unwrap_or_else(|e| panic!("{value:?}: {e}"))
    }

    fn error<T: DeserializeOwned + fmt::Debug>(value: Value) -> String {
        match from_value::<T>(value) {
            Ok(read) => panic!("expected an error, read {read:?}"),
            Err(error) => error.to_string(),
        }
    }

    /// What a visitor of `deserialize_any` was given.
    #[derive(Debug, PartialEq)]
    enum Seen {
        U64(u64),
        I64(i64),
        F64(f64),
        Str(String),
        Bytes(Vec<u8>),
        Bool(bool),
        Unit,
        Seq(Vec<Seen>),
        Map(Vec<(String, Seen)>),
    }

    impl<'de> Deserialize<'de> for Seen {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seen, D::Error> {
            struct SeenVisitor;
            impl<'de> Visitor<'de> for SeenVisitor {
                type Value = Seen;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("anything")
                }
                fn visit_u64<E>(self, v: u64) -> Result<Seen, E> {
                    Ok(Seen::U64(v))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Seen, E> {
                    Ok(Seen::I64(v))
                }
                fn visit_f64<E>(self, v: f64) -> Result<Seen, E> {
                    Ok(Seen::F64(v))
                }
                fn visit_str<E>(self, v: &str) -> Result<Seen, E> {
                    Ok(Seen::Str(v.to_owned()))
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Seen, E> {
                    Ok(Seen::Bytes(v))
                }
                fn visit_bool<E>(self, v: bool) -> Result<Seen, E> {
                    Ok(Seen::Bool(v))
                }
                fn visit_unit<E>(self) -> Result<Seen, E> {
                    Ok(Seen::Unit)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
                    let mut elements = Vec::new();
                    while let Some(element) = seq.next_element()? {
                        elements.push(element);
                    }
                    Ok(Seen::Seq(elements))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(Seen::Map(entries))
                }
            }
            deserializer.deserialize_any(SeenVisitor)
        }
    }

    #[test]
    fn deserialize_any_visits_by_type() {
        let cases = [
            (s("x"), Seen::Str("x".to_owned())),
            (n("0"), Seen::U64(0)),
            (n("18446744073709551615"), Seen::U64(u64::MAX)),
            (n("-9223372036854775808"), Seen::I64(i64::MIN)),
            (n("-1"), Seen::I64(-1)),
            (n("0.1"), Seen::F64(0.1)),
            (n("1e30"), Seen::F64(1e30)),
            (
                n("18446744073709551616"),
                Seen::Str("18446744073709551616".to_owned()),
            ),
            (
                n("3.1415926535897932384626433832795028841"),
                Seen::Str("3.1415926535897932384626433832795028841".to_owned()),
            ),
            (Value::B(vec![1, 2]), Seen::Bytes(vec![1, 2])),
            (Value::Bool(true), Seen::Bool(true)),
            (Value::Null, Seen::Unit),
            (
                Value::L(vec![s("a"), n("2")]),
                Seen::Seq(vec![Seen::Str("a".to_owned()), Seen::U64(2)]),
            ),
            (
                m([("k", Value::Null)]),
                Seen::Map(vec![("k".to_owned(), Seen::Unit)]),
            ),
            (
                Value::string_set(["b", "a"]),
                Seen::Seq(vec![Seen::Str("a".to_owned()), Seen::Str("b".to_owned())]),
            ),
            (
                Value::number_set([Number::from(2), Number::from(-1)]),
                Seen::Seq(vec![Seen::I64(-1), Seen::U64(2)]),
            ),
            (
                Value::binary_set([vec![2u8], vec![1u8]]),
                Seen::Seq(vec![Seen::Bytes(vec![1]), Seen::Bytes(vec![2])]),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(read::<Seen>(value.clone()), expected, "{value:?}");
        }
    }

    #[test]
    fn integer_hints_read_exactly() {
        assert_eq!(read::<u8>(n("255")), 255);
        assert_eq!(read::<i8>(n("-128")), -128);
        assert_eq!(read::<u16>(n("65535")), 65535);
        assert_eq!(read::<i16>(n("-32768")), -32768);
        assert_eq!(read::<u32>(n("4294967295")), u32::MAX);
        assert_eq!(read::<i32>(n("-2147483648")), i32::MIN);
        assert_eq!(read::<u64>(n("18446744073709551615")), u64::MAX);
        assert_eq!(read::<i64>(n("-9223372036854775808")), i64::MIN);
        assert_eq!(read::<u128>(n("1e37")), 10u128.pow(37));
        assert_eq!(
            read::<i128>(n("-12345678901234567890123456789")),
            -12345678901234567890123456789
        );
        assert_eq!(read::<u32>(n("1.5e1")), 15);
        let cases = [
            (error::<u8>(n("256")), "number 256 is out of range for u8"),
            (error::<u8>(n("-1")), "number -1 is out of range for u8"),
            (error::<i8>(n("128")), "number 128 is out of range for i8"),
            (
                error::<u64>(n("18446744073709551616")),
                "number 18446744073709551616 is out of range for u64",
            ),
            (
                error::<i128>(n("1e50")),
                "number 1E+50 is out of range for i128",
            ),
            (
                error::<u32>(n("1.5")),
                "expected an integer for u32, found 1.5",
            ),
            (
                error::<i64>(n("-0.001")),
                "expected an integer for i64, found -0.001",
            ),
            (error::<u8>(s("x")), "expected a number (N) for u8, found S"),
            (
                error::<i32>(Value::Null),
                "expected a number (N) for i32, found NULL",
            ),
            (
                error::<u64>(Value::B(vec![])),
                "expected a number (N) for u64, found B",
            ),
            (
                error::<u128>(Value::number_set([Number::from(1)])),
                "expected a number (N) for u128, found NS",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }

    #[test]
    fn float_hints() {
        assert_eq!(read::<f64>(n("0.1")), 0.1);
        assert_eq!(read::<f64>(n("3")), 3.0);
        assert_eq!(read::<f64>(n("-1.5e-100")), -1.5e-100);
        assert_eq!(read::<f32>(n("0.1")), 0.1f32);
        assert_eq!(read::<f32>(n("16777217")), 16777216f32);
        assert_eq!(
            error::<f32>(n("1e50")),
            "number 1E+50 is out of range for f32"
        );
        assert_eq!(
            error::<f64>(s("1")),
            "expected a number (N) for f64, found S"
        );
        assert_eq!(
            error::<f32>(Value::Bool(true)),
            "expected a number (N) for f32, found BOOL"
        );
    }

    #[test]
    fn other_hints() {
        assert!(read::<bool>(Value::Bool(true)));
        assert_eq!(read::<char>(s("é")), 'é');
        assert_eq!(read::<String>(s("text")), "text");
        assert_eq!(read::<Option<u8>>(Value::Null), None);
        assert_eq!(read::<Option<u8>>(n("1")), Some(1));
        assert_eq!(read::<Option<Option<u8>>>(n("1")), Some(Some(1)));
        read::<()>(Value::Null);
        assert_eq!(
            read::<serde_bytes::ByteBuf>(Value::B(vec![1, 2])).into_vec(),
            vec![1, 2]
        );
        assert_eq!(
            read::<serde_bytes::ByteBuf>(Value::L(vec![n("1"), n("2")])).into_vec(),
            vec![1, 2]
        );
        assert_eq!(read::<Vec<u8>>(Value::B(vec![3, 4])), vec![3, 4]);
        assert_eq!(read::<Vec<u8>>(Value::L(vec![n("3")])), vec![3]);
        assert_eq!(
            read::<Vec<String>>(Value::string_set(["a"])),
            vec!["a".to_owned()]
        );
        assert_eq!(
            read::<HashSet<String>>(Value::string_set(["a", "b"])),
            HashSet::from(["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            read::<Vec<i32>>(Value::number_set([Number::from(-4)])),
            vec![-4]
        );
        assert_eq!(
            read::<Vec<serde_bytes::ByteBuf>>(Value::binary_set([vec![9u8]]))
                .into_iter()
                .map(serde_bytes::ByteBuf::into_vec)
                .collect::<Vec<_>>(),
            vec![vec![9u8]]
        );
        assert_eq!(
            read::<(u8, String)>(Value::L(vec![n("1"), s("a")])),
            (1, "a".to_owned())
        );
        assert_eq!(
            read::<BTreeMap<u32, bool>>(m([("7", Value::Bool(true))])),
            BTreeMap::from([(7, true)])
        );
        assert_eq!(
            read::<HashMap<i64, u8>>(m([("-7", n("1"))])),
            HashMap::from([(-7, 1)])
        );
        assert_eq!(
            read::<BTreeMap<bool, u8>>(m([("false", n("1"))])),
            BTreeMap::from([(false, 1)])
        );
        assert_eq!(
            read::<BTreeMap<char, u8>>(m([("c", n("1"))])),
            BTreeMap::from([('c', 1)])
        );
        assert_eq!(
            read::<BTreeMap<Number, u8>>(m([("1.50", n("1"))])),
            BTreeMap::from([(Number::parse("1.5").unwrap_or_default(), 1)])
        );
        let cases = [
            (error::<bool>(s("true")), "expected a boolean, found S"),
            (error::<String>(n("1")), "expected a string, found N"),
            (
                error::<char>(s("ab")),
                "expected a single character, found S of 2 characters",
            ),
            (
                error::<char>(s("")),
                "expected a single character, found S of 0 characters",
            ),
            (error::<char>(n("1")), "expected a character, found N"),
            (error::<()>(n("1")), "expected unit, found N"),
            (error::<Vec<u8>>(s("x")), "expected a sequence, found S"),
            (
                error::<BTreeMap<String, u8>>(Value::L(vec![])),
                "expected a map, found L",
            ),
            (
                error::<serde_bytes::ByteBuf>(Value::Bool(true)),
                "expected byte array, found BOOL",
            ),
            (
                error::<(u8, u8)>(Value::L(vec![n("1"), n("2"), n("3")])),
                "invalid length 3, expected fewer elements in the list",
            ),
            (
                error::<(u8, u8, u8)>(Value::L(vec![n("1")])),
                "invalid length 1, expected a tuple of size 3",
            ),
            (
                error::<BTreeMap<u32, u8>>(m([("x", n("1"))])),
                "attribute `x`: map key \"x\" is not a valid u32",
            ),
            (
                error::<Vec<Vec<u8>>>(Value::L(vec![
                    Value::L(vec![]),
                    Value::L(vec![n("1"), s("x")]),
                ])),
                "attribute `[1][1]`: expected a number (N) for u8, found S",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Shape {
        Empty,
        Circle(u32),
        Line(i8, i8),
        Rect { w: u16, h: u16 },
    }

    #[test]
    fn enums() {
        assert_eq!(read::<Shape>(s("Empty")), Shape::Empty);
        assert_eq!(read::<Shape>(m([("Empty", Value::Null)])), Shape::Empty);
        assert_eq!(read::<Shape>(m([("Circle", n("3"))])), Shape::Circle(3));
        assert_eq!(
            read::<Shape>(m([("Line", Value::L(vec![n("-1"), n("1")]))])),
            Shape::Line(-1, 1)
        );
        assert_eq!(
            read::<Shape>(m([("Rect", m([("w", n("2")), ("h", n("3"))]))])),
            Shape::Rect { w: 2, h: 3 }
        );
        let cases = [
            (
                error::<Shape>(s("Square")),
                "unknown variant `Square`, expected one of `Empty`, `Circle`, `Line`, `Rect`",
            ),
            (
                error::<Shape>(m([("Square", n("1"))])),
                "attribute `Square`: unknown variant `Square`, expected one of `Empty`, `Circle`, `Line`, `Rect`",
            ),
            (
                error::<Shape>(n("1")),
                "expected enum Shape as a variant name (S) or a map of one variant name to its content (M), found N",
            ),
            (
                error::<Shape>(m([("Circle", n("1")), ("Empty", Value::Null)])),
                "expected enum Shape as a map of one variant name to its content, found a map of 2 entries",
            ),
            (
                error::<Shape>(m([])),
                "expected enum Shape as a map of one variant name to its content, found a map of 0 entries",
            ),
            (
                error::<Shape>(m([("Empty", n("1"))])),
                "attribute `Empty`: expected no content (NULL) for a unit variant, found N",
            ),
            (
                error::<Shape>(m([("Circle", n("-1"))])),
                "attribute `Circle`: number -1 is out of range for u32",
            ),
            (
                error::<Shape>(m([("Line", Value::L(vec![n("1"), n("999")]))])),
                "attribute `Line[1]`: number 999 is out of range for i8",
            ),
            (
                error::<Shape>(m([("Rect", m([("w", n("2"))]))])),
                "attribute `Rect`: missing field `h`",
            ),
            (
                error::<Shape>(s("Circle")),
                "invalid type: unit variant, expected newtype variant",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }

    #[test]
    fn structs_follow_serde_rules() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Inner {
            b: Vec<u8>,
        }
        #[derive(Debug, PartialEq, Deserialize)]
        struct Outer {
            a: Inner,
            #[serde(default)]
            d: u8,
            o: Option<String>,
        }
        // Unknown fields are ignored, missing options are None.
        assert_eq!(
            read::<Outer>(m([
                ("a", m([("b", Value::L(vec![]))])),
                ("extra", Value::Null)
            ])),
            Outer {
                a: Inner { b: vec![] },
                d: 0,
                o: None
            }
        );
        // Structs may also be read from lists of their fields, as serde allows.
        assert_eq!(
            read::<Inner>(Value::L(vec![Value::L(vec![n("1")])])),
            Inner { b: vec![1] }
        );
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Strict {
            _a: Option<u8>,
        }
        let cases = [
            (
                error::<Outer>(m([(
                    "a",
                    m([("b", Value::L(vec![n("1"), n("2"), s("x")]))]),
                )])),
                "attribute `a.b[2]`: expected a number (N) for u8, found S",
            ),
            (error::<Outer>(m([])), "missing field `a`"),
            (
                error::<Outer>(m([("a", m([]))])),
                "attribute `a`: missing field `b`",
            ),
            (error::<Outer>(s("x")), "expected struct Outer, found S"),
            (
                error::<Strict>(m([("z", n("1"))])),
                "attribute `z`: unknown field `z`, expected `_a`",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }

    #[test]
    fn buffered_forms_work() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Audit {
            by: String,
            at: u64,
        }
        #[derive(Debug, PartialEq, Deserialize)]
        struct Flat {
            id: u8,
            #[serde(flatten)]
            audit: Audit,
            #[serde(flatten)]
            rest: BTreeMap<String, f64>,
        }
        assert_eq!(
            read::<Flat>(m([
                ("id", n("1")),
                ("by", s("me")),
                ("at", n("5")),
                ("x", n("0.5"))
            ])),
            Flat {
                id: 1,
                audit: Audit {
                    by: "me".to_owned(),
                    at: 5
                },
                rest: BTreeMap::from([("x".to_owned(), 0.5)]),
            }
        );
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(untagged)]
        enum Untagged {
            Int(i64),
            // Before `Text`: an `N` that no `f64` holds exactly is visited as its text.
            Exact(Number),
            Text(String),
            Pair(u8, u8),
        }
        assert_eq!(read::<Untagged>(n("-3")), Untagged::Int(-3));
        assert_eq!(read::<Untagged>(s("t")), Untagged::Text("t".to_owned()));
        assert_eq!(
            read::<Untagged>(Value::L(vec![n("1"), n("2")])),
            Untagged::Pair(1, 2)
        );
        let exact = Number::parse("1.2345678901234567890123456789012345678").unwrap_or_default();
        assert_eq!(read::<Untagged>(Value::N(exact)), Untagged::Exact(exact));
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(tag = "type")]
        enum Internal {
            A { v: u8 },
            B,
        }
        assert_eq!(
            read::<Internal>(m([("type", s("A")), ("v", n("1"))])),
            Internal::A { v: 1 }
        );
        assert_eq!(read::<Internal>(m([("type", s("B"))])), Internal::B);
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(tag = "t", content = "c")]
        enum Adjacent {
            // `c` sorts before `t`, so serde buffers it: bytes stay bytes there.
            A(serde_bytes::ByteBuf),
        }
        assert_eq!(
            read::<Adjacent>(m([("t", s("A")), ("c", Value::B(vec![1]))])),
            Adjacent::A(serde_bytes::ByteBuf::from(vec![1]))
        );
        assert_eq!(
            error::<Untagged>(Value::Bool(true)),
            "data did not match any variant of untagged enum Untagged"
        );
        // A `Value` under flatten sees serde's buffered plain form, not the exact value.
        #[derive(Debug, Deserialize)]
        struct FlatValues {
            #[serde(flatten)]
            _rest: BTreeMap<String, Value>,
        }
        assert!(
            error::<FlatValues>(m([("x", s("y"))]))
                .starts_with("invalid type: string \"y\", expected a DynamoDB JSON value such as")
        );
    }

    #[test]
    fn own_types_read_exactly() {
        let values = [
            s("x"),
            n("-3.1415926535897932384626433832795028841E-90"),
            Value::B(vec![0, 255]),
            Value::Bool(true),
            Value::Null,
            Value::L(vec![n("1"), Value::B(vec![1]), Value::L(vec![])]),
            m([("k", Value::number_set([Number::from(1)])), ("e", m([]))]),
            Value::string_set(["a", "b"]),
            Value::number_set([Number::from(1), Number::from(2)]),
            Value::binary_set([vec![1u8], vec![]]),
        ];
        for value in values {
            assert_eq!(read::<Value>(value.clone()), value);
            assert_eq!(
                read::<Vec<Value>>(Value::L(vec![value.clone()])),
                vec![value.clone()]
            );
        }
        let exact = Number::parse("12345678901234567890.123456789012345678").unwrap_or_default();
        assert_eq!(read::<Number>(Value::N(exact)), exact);
        assert_eq!(
            read::<Number>(s("1.50")),
            Number::parse("1.5").unwrap_or_default()
        );
        assert_eq!(
            error::<Number>(Value::B(vec![])),
            "invalid type: byte array, expected a number (its decimal text, an integer or a float)"
        );
        assert_eq!(
            error::<Number>(s("one")),
            "invalid number: \"one\" is not a numeric value"
        );
        let item = crate::item! { "a" => Value::binary_set([vec![1u8]]), "b" => Value::Null };
        assert_eq!(read::<Item>(Value::from(item.clone())), item);
        assert_eq!(error::<Item>(s("x")), "expected a map, found S");
        assert_eq!(
            error::<Vec<Value>>(Value::L(vec![Value::Null, Value::Ss(Default::default())])),
            "attribute `[1]`: an SS set must not be empty"
        );
    }
}
