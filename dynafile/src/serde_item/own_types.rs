//! `Serialize` and `Deserialize` for [`Number`], [`Value`] and [`Item`].
//!
//! With other formats a number is its canonical text (`"1.5"`), a value its DynamoDB JSON
//! shape (`{"N": "1.5"}`) and an item a map of names to such values, so
//! `serde_json::to_string(&Value::from(1))` is `{"N":"1"}`. Each goes through a newtype struct
//! with a private name, which other formats see through and this module's serializer and
//! deserializer recognize to keep the exact type.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::{NUMBER_TOKEN, VALUE_TOKEN};
use crate::item::Item;
use crate::json::describe_base64_error;
use crate::number::Number;
use crate::value::{Map, Value};

impl Serialize for Number {
    /// The canonical text (`"1.5"`, `"1E+50"`); this crate's serializer makes an `N` of it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(NUMBER_TOKEN, &self.to_string())
    }
}

impl<'de> Deserialize<'de> for Number {
    /// A number from its text, an integer or a float (floats as the shortest decimal that
    /// reads back as the same float); from this crate's deserializer, an `N` exactly.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        deserializer.deserialize_newtype_struct(NUMBER_TOKEN, NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (its decimal text, an integer or a float)")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Number, D::Error> {
        if inner.is_human_readable() {
            inner.deserialize_any(NumberVisitor)
        } else {
            inner.deserialize_str(NumberVisitor)
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Number, E> {
        Number::parse(text).map_err(|e| E::custom(format!("invalid number: {e}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
        Number::try_from(v).map_err(|e| E::custom(format!("invalid number: {e}")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
        Number::try_from(v).map_err(|e| E::custom(format!("invalid number: {e}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Number::try_from(v).map_err(|e| E::custom(format!("invalid number: {e}")))
    }
}

impl Serialize for Value {
    /// The DynamoDB JSON shape (`{"S": "x"}`, `{"N": "1"}`, `{"B": "<base64>"}`); this crate's
    /// serializer keeps the value exactly.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(VALUE_TOKEN, &Shape(self))
    }
}

/// A value written in its DynamoDB JSON shape.
struct Shape<'a>(&'a Value);

/// Binary data written as standard base64 text.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(self.0))
    }
}

impl Serialize for Shape<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        let descriptor = self.0.type_descriptor();
        match self.0 {
            Value::S(s) => map.serialize_entry(descriptor, s)?,
            Value::N(n) => map.serialize_entry(descriptor, n)?,
            Value::B(b) => map.serialize_entry(descriptor, &Base64(b))?,
            Value::Bool(b) => map.serialize_entry(descriptor, b)?,
            Value::Null => map.serialize_entry(descriptor, &true)?,
            Value::L(list) => map.serialize_entry(descriptor, list)?,
            Value::M(m) => map.serialize_entry(descriptor, m)?,
            Value::Ss(set) => map.serialize_entry(descriptor, set)?,
            Value::Ns(set) => map.serialize_entry(descriptor, set)?,
            Value::Bs(set) => {
                let texts: Vec<Base64<'_>> = set.iter().map(|b| Base64(b)).collect();
                map.serialize_entry(descriptor, &texts)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    /// A value from its DynamoDB JSON shape, with the rules of
    /// [`Value::from_dynamodb_json`]; from this crate's deserializer, exactly.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DynamoDB JSON value such as {\"S\": \"text\"} or {\"N\": \"1\"}")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Value, D::Error> {
        inner.deserialize_map(ValueVisitor)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some(descriptor) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "expected one type descriptor (S, N, B, BOOL, NULL, L, M, SS, NS, BS), found an \
                 empty map",
            ));
        };
        let value = match descriptor.as_str() {
            "S" => Value::S(map.next_value()?),
            "N" => Value::N(map.next_value::<NumberText>()?.0),
            "B" => Value::B(map.next_value::<Binary>()?.0),
            "BOOL" => Value::Bool(map.next_value()?),
            "NULL" => {
                if !map.next_value::<bool>()? {
                    return Err(de::Error::custom("NULL must be true, found false"));
                }
                Value::Null
            }
            "L" => Value::L(map.next_value()?),
            "M" => Value::M(map.next_value::<Map>()?),
            "SS" => {
                let strings = map.next_value::<Vec<String>>()?;
                Value::Ss(unique_set("SS", strings, |s| format!("{s:?}"))?)
            }
            "NS" => {
                let numbers = map.next_value::<Vec<NumberText>>()?;
                let numbers = numbers.into_iter().map(|n| n.0).collect();
                Value::Ns(unique_set("NS", numbers, |n| format!("\"{n}\""))?)
            }
            "BS" => {
                let binaries = map.next_value::<Vec<Binary>>()?;
                let binaries = binaries.into_iter().map(|b| b.0).collect();
                Value::Bs(unique_set("BS", binaries, |b| {
                    format!("\"{}\"", STANDARD.encode(b))
                })?)
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown type descriptor {other:?}; expected one of S, N, B, BOOL, NULL, L, \
                     M, SS, NS, BS"
                )));
            }
        };
        if let Some(second) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            return Err(de::Error::custom(format!(
                "expected one type descriptor, found {descriptor:?} and {second:?}"
            )));
        }
        Ok(value)
    }
}

/// Elements of a set: at least one, none twice (`show` writes an element for the error).
fn unique_set<T: Ord, E: de::Error>(
    descriptor: &str,
    elements: Vec<T>,
    show: impl Fn(&T) -> String,
) -> Result<BTreeSet<T>, E> {
    if elements.is_empty() {
        return Err(E::custom(format!(
            "{} {descriptor} set must not be empty",
            crate::value::article(descriptor)
        )));
    }
    let mut set = BTreeSet::new();
    for element in elements {
        if set.contains(&element) {
            return Err(E::custom(format!(
                "duplicate value {} in {descriptor} set",
                show(&element)
            )));
        }
        set.insert(element);
    }
    Ok(set)
}

/// The content of `N`: a number as text only (DynamoDB rejects `{"N": 1}`).
struct NumberText(Number);

impl<'de> Deserialize<'de> for NumberText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NumberText, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number as a string, such as \"1.5\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Number, E> {
                Number::parse(text).map_err(|e| E::custom(format!("invalid number: {e}")))
            }
        }
        deserializer.deserialize_str(TextVisitor).map(NumberText)
    }
}

/// The content of `B`: standard base64 text, or raw bytes from formats that have them.
struct Binary(Vec<u8>);

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Binary, D::Error> {
        struct BinaryVisitor;
        impl Visitor<'_> for BinaryVisitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("binary data as a base64 string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
                STANDARD.decode(text).map_err(|e| {
                    E::custom(format!("invalid base64: {}", describe_base64_error(&e)))
                })
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(BinaryVisitor).map(Binary)
        } else {
            deserializer.deserialize_byte_buf(BinaryVisitor).map(Binary)
        }
    }
}

impl Serialize for Item {
    /// A map of attribute names to values (DynamoDB JSON's item shape with other formats).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Item {
    /// An item from a map of attribute names to values.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Item, D::Error> {
        Map::deserialize(deserializer).map(Item::from)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn other_formats_see_dynamodb_json() {
        let cases = [
            (Value::from(1), r#"{"N":"1"}"#),
            (Value::N(n("1.50")), r#"{"N":"1.5"}"#),
            (Value::from("x"), r#"{"S":"x"}"#),
            (Value::B(vec![0, 255]), r#"{"B":"AP8="}"#),
            (Value::Bool(true), r#"{"BOOL":true}"#),
            (Value::Null, r#"{"NULL":true}"#),
            (
                Value::L(vec![Value::from(1), Value::Null]),
                r#"{"L":[{"N":"1"},{"NULL":true}]}"#,
            ),
            (
                Value::M(Map::from([("k".to_owned(), Value::from("v"))])),
                r#"{"M":{"k":{"S":"v"}}}"#,
            ),
            (Value::string_set(["b", "a"]), r#"{"SS":["a","b"]}"#),
            (Value::number_set([n("10"), n("2")]), r#"{"NS":["2","10"]}"#),
            (
                Value::binary_set([vec![1u8], vec![2u8]]),
                r#"{"BS":["AQ==","Ag=="]}"#,
            ),
        ];
        for (value, text) in cases {
            assert_eq!(serde_json::to_string(&value).ok().as_deref(), Some(text));
            assert_eq!(
                serde_json::to_value(&value).ok(),
                Some(value.to_dynamodb_json())
            );
            assert_eq!(serde_json::from_str::<Value>(text).ok(), Some(value));
        }
        assert_eq!(
            serde_json::to_string(&n("-1.5e-30")).ok().as_deref(),
            Some(r#""-1.5E-30""#)
        );
        let item = crate::item! { "a" => 1, "b" => "x" };
        let text = r#"{"a":{"N":"1"},"b":{"S":"x"}}"#;
        assert_eq!(serde_json::to_string(&item).ok().as_deref(), Some(text));
        assert_eq!(serde_json::from_str::<Item>(text).ok(), Some(item));
    }

    #[test]
    fn numbers_read_text_integers_and_floats() {
        for (json, expected) in [
            (json!("1.50"), n("1.5")),
            (
                json!("99999999999999999999999999999999999999"),
                n("99999999999999999999999999999999999999"),
            ),
            (json!(42), n("42")),
            (json!(-42), n("-42")),
            (json!(u64::MAX), Number::from(u64::MAX)),
            (json!(0.1), n("0.1")),
        ] {
            assert_eq!(
                serde_json::from_value::<Number>(json.clone()).ok(),
                Some(expected),
                "{json}"
            );
        }
        for (json, message) in [
            (
                json!("abc"),
                "invalid number: \"abc\" is not a numeric value",
            ),
            (json!(1e300), "invalid number: number overflow"),
            (
                json!(true),
                "invalid type: boolean `true`, expected a number (its decimal text, an integer or a float)",
            ),
        ] {
            let error = serde_json::from_value::<Number>(json.clone())
                .err()
                .map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.starts_with(message)),
                "{json}: {error:?}"
            );
        }
    }

    #[test]
    fn generic_value_errors() {
        for (text, message) in [
            (
                r#"{"N":1}"#,
                "invalid type: integer `1`, expected a number as a string, such as \"1.5\"",
            ),
            (
                r#"{}"#,
                "expected one type descriptor (S, N, B, BOOL, NULL, L, M, SS, NS, BS), found an empty map",
            ),
            (
                r#"{"S":"x","N":"1"}"#,
                "expected one type descriptor, found \"S\" and \"N\"",
            ),
            (r#"{"X":1}"#, "unknown type descriptor \"X\""),
            (r#"{"NULL":false}"#, "NULL must be true, found false"),
            (r#"{"B":"!"}"#, "invalid base64: "),
            (r#"{"SS":[]}"#, "an SS set must not be empty"),
            (r#"{"SS":["a","a"]}"#, "duplicate value \"a\" in SS set"),
            (r#"{"NS":["1","1.0"]}"#, "duplicate value \"1\" in NS set"),
            (
                r#"{"BS":["AQ==","AQ=="]}"#,
                "duplicate value \"AQ==\" in BS set",
            ),
            (
                r#"{"N":"x"}"#,
                "invalid number: \"x\" is not a numeric value",
            ),
            (
                r#""x""#,
                "invalid type: string \"x\", expected a DynamoDB JSON value",
            ),
        ] {
            let error = serde_json::from_str::<Value>(text)
                .err()
                .map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.starts_with(message)),
                "{text}: {error:?} does not start with {message:?}"
            );
        }
    }
}
