//! JSON conversions of values and items, in two shapes:
//!
//! - **Plain JSON** (`{"name": "Bob", "age": 42}`): what most programs read and write. It has
//!   no binary and no set types, so binaries and sets come back as strings and lists.
//! - **DynamoDB JSON** (`{"name": {"S": "Bob"}, "age": {"N": "42"}}`): every value tagged with
//!   its type descriptor, as DynamoDB's API and exports write it. It keeps every type exactly.
//!
//! Errors name the attribute path where the problem is (`address.lines[2]`).

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::item::Item;
use crate::number::Number;
use crate::value::{Map, Value};

/// The type descriptors of DynamoDB JSON, for error messages.
const DESCRIPTORS: &str = "S, N, B, BOOL, NULL, L, M, SS, NS, BS";

impl Value {
    /// Converts plain JSON into a value: `null` → `NULL`, a boolean → `BOOL`, a number → `N`,
    /// a string → `S`, an array → `L`, an object → `M`.
    ///
    /// Integers within `i64` or `u64` are taken exactly; other numbers, larger integers
    /// included, through their `f64`, as the shortest decimal that reads back as the same
    /// `f64` (`0.1` stays `0.1`; `123456789012345678901` becomes `1.2345678901234568E+20`:
    /// DynamoDB JSON keeps every digit). A number outside DynamoDB's range
    /// (such as `1e300`) is an error. Plain JSON has no binary and no set types, so this never
    /// makes `B`, `SS`, `NS` or `BS`; use [`Value::from_dynamodb_json`] to keep them.
    ///
    /// ```
    /// use dynafile::Value;
    /// let value = Value::from_json(&serde_json::json!({"name": "Bob", "tags": [1, 0.5]}))?;
    /// assert_eq!(value.as_m().and_then(|m| m.get("name")), Some(&Value::from("Bob")));
    /// # Ok::<(), dynafile::Error>(())
    /// ```
    pub fn from_json(json: &Json) -> Result<Value> {
        plain_from_json(json, &mut AttributePath::default())
    }

    /// Converts the value into plain JSON.
    ///
    /// `S` → string, `BOOL` → boolean, `NULL` → `null`, `L` → array, `M` → object. An `N` that
    /// is an integer within `i64` or `u64` becomes a JSON integer; another `N` becomes a JSON
    /// float when that float reads back as exactly the same number, and otherwise a string
    /// holding its canonical text (`"3.1415926535897932384626433832795028841"`), so no digit is
    /// lost. Plain JSON cannot keep binary and set types: `B` becomes a standard base64
    /// string, `SS` an array of strings, `NS` an array of numbers (by the rule for `N`) and
    /// `BS` an array of base64 strings; reading the result back with [`Value::from_json`]
    /// gives strings and lists. Use [`Value::to_dynamodb_json`] for an exact round trip.
    #[must_use]
    pub fn to_json(&self) -> Json {
        match self {
            Value::S(s) => Json::String(s.clone()),
            Value::N(n) => number_to_json(n),
            Value::B(b) => Json::String(STANDARD.encode(b)),
            Value::Bool(b) => Json::Bool(*b),
            Value::Null => Json::Null,
            Value::L(list) => Json::Array(list.iter().map(Value::to_json).collect()),
            Value::M(map) => Json::Object(
                map.iter()
                    .map(|(name, value)| (name.clone(), value.to_json()))
                    .collect(),
            ),
            Value::Ss(set) => Json::Array(set.iter().cloned().map(Json::String).collect()),
            Value::Ns(set) => Json::Array(set.iter().map(number_to_json).collect()),
            Value::Bs(set) => Json::Array(
                set.iter()
                    .map(|b| Json::String(STANDARD.encode(b)))
                    .collect(),
            ),
        }
    }

    /// Converts DynamoDB JSON into a value: an object with exactly one type descriptor,
    /// `{"S": "text"}`, `{"N": "1.5"}`, `{"B": "<base64>"}`, `{"BOOL": true}`, `{"NULL": true}`,
    /// `{"L": [..]}`, `{"M": {..}}`, `{"SS": [..]}`, `{"NS": ["1", ..]}` or
    /// `{"BS": ["<base64>", ..]}`.
    ///
    /// As DynamoDB requires, numbers are JSON *strings* (`{"N": 1}` is an error), binaries
    /// standard base64, `NULL` is `true`, and sets are non-empty without duplicates (by value:
    /// `"1"` and `"1.0"` are the same number). Errors name the path of the bad value.
    ///
    /// ```
    /// use dynafile::{Number, Value};
    /// let json = serde_json::json!({"NS": ["1.50", "2"]});
    /// assert_eq!(Value::from_dynamodb_json(&json)?, Value::number_set([Number::parse("1.5")?, Number::from(2)]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dynamodb_json(json: &Json) -> Result<Value> {
        typed_from_json(json, &mut AttributePath::default())
    }

    /// Converts the value into DynamoDB JSON (see [`Value::from_dynamodb_json`]); numbers are
    /// written as their canonical text and binaries as standard base64. The conversion is
    /// lossless: `Value::from_dynamodb_json(&v.to_dynamodb_json())` gives `v` back for every
    /// value with non-empty sets.
    #[must_use]
    pub fn to_dynamodb_json(&self) -> Json {
        let content = match self {
            Value::S(s) => Json::String(s.clone()),
            Value::N(n) => Json::String(n.to_string()),
            Value::B(b) => Json::String(STANDARD.encode(b)),
            Value::Bool(b) => Json::Bool(*b),
            Value::Null => Json::Bool(true),
            Value::L(list) => Json::Array(list.iter().map(Value::to_dynamodb_json).collect()),
            Value::M(map) => map_to_dynamodb_json(map),
            Value::Ss(set) => Json::Array(set.iter().cloned().map(Json::String).collect()),
            Value::Ns(set) => {
                Json::Array(set.iter().map(|n| Json::String(n.to_string())).collect())
            }
            Value::Bs(set) => Json::Array(
                set.iter()
                    .map(|b| Json::String(STANDARD.encode(b)))
                    .collect(),
            ),
        };
        let mut object = serde_json::Map::new();
        object.insert(self.type_descriptor().to_owned(), content);
        Json::Object(object)
    }
}

impl Item {
    /// Converts a plain JSON object into an item, each member by the rules of
    /// [`Value::from_json`]. Anything but an object is an error.
    ///
    /// ```
    /// use dynafile::{item, Item};
    /// let json = serde_json::json!({"PK": "user#1", "age": 42});
    /// assert_eq!(Item::from_json(&json)?, item! { "PK" => "user#1", "age" => 42 });
    /// # Ok::<(), dynafile::Error>(())
    /// ```
    pub fn from_json(json: &Json) -> Result<Item> {
        let Json::Object(object) = json else {
            return Err(Error::validation(format!(
                "an item must be a JSON object, found {}",
                json_kind(json)
            )));
        };
        let mut path = AttributePath::default();
        plain_map_from_json(object, &mut path).map(Item::from)
    }

    /// Converts the item into a plain JSON object, each attribute by the rules of
    /// [`Value::to_json`] (binaries and sets do not survive as such).
    #[must_use]
    pub fn to_json(&self) -> Json {
        Json::Object(
            self.iter()
                .map(|(name, value)| (name.clone(), value.to_json()))
                .collect(),
        )
    }

    /// Converts DynamoDB JSON into an item: an object of attribute names to typed values
    /// (`{"PK": {"S": "user#1"}, "age": {"N": "42"}}`), each by the rules of
    /// [`Value::from_dynamodb_json`].
    pub fn from_dynamodb_json(json: &Json) -> Result<Item> {
        let Json::Object(object) = json else {
            return Err(Error::validation(format!(
                "an item must be a JSON object of attribute names to typed values, found {}",
                json_kind(json)
            )));
        };
        let mut path = AttributePath::default();
        typed_map_from_json(object, &mut path).map(Item::from)
    }

    /// Converts the item into DynamoDB JSON: an object of attribute names to typed values.
    /// Lossless, as [`Value::to_dynamodb_json`].
    #[must_use]
    pub fn to_dynamodb_json(&self) -> Json {
        map_to_dynamodb_json(self.as_map())
    }
}

/// One step of an attribute path: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathSegment {
    /// An attribute or map key.
    Key(String),
    /// A list (or set) index.
    Index(usize),
}

/// Where a value sits in an item, outermost step first; printed as `a.b[2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AttributePath(Vec<PathSegment>);

impl AttributePath {
    /// A path from its steps, outermost first.
    pub(crate) fn from_segments(segments: Vec<PathSegment>) -> AttributePath {
        AttributePath(segments)
    }

    fn push_key(&mut self, key: &str) {
        self.0.push(PathSegment::Key(key.to_owned()));
    }

    fn push_index(&mut self, index: usize) {
        self.0.push(PathSegment::Index(index));
    }

    fn pop(&mut self) {
        self.0.pop();
    }

    /// A validation error at this path (about no attribute when the path is empty).
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        if self.0.is_empty() {
            Error::validation(reason)
        } else {
            Error::invalid_attribute(self.to_string(), reason)
        }
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if position == 0 => f.write_str(key)?,
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The `f64` that reads back as exactly `number`, if there is one (`0.1`, `2.5`, `1E+30`; not
/// `0.30000000000000000001` nor 38-digit numbers).
pub(crate) fn exact_f64(number: &Number) -> Option<f64> {
    let float = number.to_f64();
    (Number::try_from(float).ok() == Some(*number)).then_some(float)
}

/// A base64 decoding error as a lowercase phrase without a final period.
pub(crate) fn describe_base64_error(error: &base64::DecodeError) -> String {
    let text = error.to_string();
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn number_to_json(number: &Number) -> Json {
    if let Some(integer) = number.to_i64() {
        Json::from(integer)
    } else if let Some(integer) = number.to_u64() {
        Json::from(integer)
    } else if let Some(float) = exact_f64(number).and_then(serde_json::Number::from_f64) {
        Json::Number(float)
    } else {
        Json::String(number.to_string())
    }
}

fn number_from_json(number: &serde_json::Number, path: &AttributePath) -> Result<Number> {
    if let Some(integer) = number.as_i64() {
        return Ok(Number::from(integer));
    }
    if let Some(integer) = number.as_u64() {
        return Ok(Number::from(integer));
    }
    let converted = match number.as_f64() {
        Some(float) => Number::try_from(float),
        None => Number::parse(&number.to_string()),
    };
    converted.map_err(|e| path.error(format!("cannot store JSON number {number}: {e}")))
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "a JSON null",
        Json::Bool(_) => "a JSON boolean",
        Json::Number(_) => "a JSON number",
        Json::String(_) => "a JSON string",
        Json::Array(_) => "a JSON array",
        Json::Object(_) => "a JSON object",
    }
}

fn plain_from_json(json: &Json, path: &mut AttributePath) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::N(number_from_json(n, path)?),
        Json::String(s) => Value::S(s.clone()),
        Json::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push_index(index);
                list.push(plain_from_json(item, path)?);
                path.pop();
            }
            Value::L(list)
        }
        Json::Object(object) => Value::M(plain_map_from_json(object, path)?),
    })
}

fn plain_map_from_json(
    object: &serde_json::Map<String, Json>,
    path: &mut AttributePath,
) -> Result<Map> {
    let mut map = Map::new();
    for (name, member) in object {
        path.push_key(name);
        map.insert(name.clone(), plain_from_json(member, path)?);
        path.pop();
    }
    Ok(map)
}

fn map_to_dynamodb_json(map: &Map) -> Json {
    Json::Object(
        map.iter()
            .map(|(name, value)| (name.clone(), value.to_dynamodb_json()))
            .collect(),
    )
}

fn typed_map_from_json(
    object: &serde_json::Map<String, Json>,
    path: &mut AttributePath,
) -> Result<Map> {
    let mut map = Map::new();
    for (name, member) in object {
        path.push_key(name);
        map.insert(name.clone(), typed_from_json(member, path)?);
        path.pop();
    }
    Ok(map)
}

fn typed_from_json(json: &Json, path: &mut AttributePath) -> Result<Value> {
    let Json::Object(object) = json else {
        return Err(path.error(format!(
            "expected a DynamoDB JSON object with one type descriptor such as {{\"S\": \"text\"}}, \
             found {}",
            json_kind(json)
        )));
    };
    let mut members = object.iter();
    let (descriptor, content) = match (members.next(), members.next()) {
        (Some(member), None) => member,
        (None, _) => {
            return Err(path.error(format!(
                "expected one type descriptor ({DESCRIPTORS}), found an empty object"
            )));
        }
        (Some(_), Some(_)) => {
            let names: Vec<String> = object.keys().map(|k| format!("{k:?}")).collect();
            return Err(path.error(format!(
                "expected one type descriptor, found {}: {}",
                names.len(),
                names.join(", ")
            )));
        }
    };
    match descriptor.as_str() {
        "S" => Ok(Value::S(expect_string("S", content, path)?.to_owned())),
        "N" => parse_number(expect_string("N", content, path)?, path).map(Value::N),
        "B" => decode_base64("B", expect_string("B", content, path)?, path).map(Value::B),
        "BOOL" => match content {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            other => Err(path.error(format!(
                "BOOL must be a JSON boolean, found {}",
                json_kind(other)
            ))),
        },
        "NULL" => match content {
            Json::Bool(true) => Ok(Value::Null),
            Json::Bool(false) => Err(path.error("NULL must be true, found false")),
            other => Err(path.error(format!("NULL must be true, found {}", json_kind(other)))),
        },
        "L" => {
            let items = expect_array("L", "values", content, path)?;
            let mut list = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push_index(index);
                list.push(typed_from_json(item, path)?);
                path.pop();
            }
            Ok(Value::L(list))
        }
        "M" => match content {
            Json::Object(object) => typed_map_from_json(object, path).map(Value::M),
            other => Err(path.error(format!(
                "M must be a JSON object, found {}",
                json_kind(other)
            ))),
        },
        "SS" => set_from_json("SS", content, path, |text, _| Ok(text.to_owned())).map(Value::Ss),
        "NS" => set_from_json("NS", content, path, parse_number).map(Value::Ns),
        "BS" => set_from_json("BS", content, path, |text, path| {
            decode_base64("BS", text, path)
        })
        .map(Value::Bs),
        other => Err(path.error(format!(
            "unknown type descriptor {other:?}; expected one of {DESCRIPTORS}"
        ))),
    }
}

fn expect_string<'a>(descriptor: &str, content: &'a Json, path: &AttributePath) -> Result<&'a str> {
    match content {
        Json::String(text) => Ok(text),
        other => Err(path.error(format!(
            "{descriptor} must be a JSON string, found {}",
            json_kind(other)
        ))),
    }
}

fn expect_array<'a>(
    descriptor: &str,
    elements: &str,
    content: &'a Json,
    path: &AttributePath,
) -> Result<&'a [Json]> {
    match content {
        Json::Array(items) => Ok(items),
        other => Err(path.error(format!(
            "{descriptor} must be a JSON array of {elements}, found {}",
            json_kind(other)
        ))),
    }
}

fn parse_number(text: &str, path: &AttributePath) -> Result<Number> {
    Number::parse(text).map_err(|e| path.error(format!("invalid number: {e}")))
}

fn decode_base64(descriptor: &str, text: &str, path: &AttributePath) -> Result<Vec<u8>> {
    STANDARD.decode(text).map_err(|e| {
        path.error(format!(
            "invalid base64 in {descriptor}: {}",
            describe_base64_error(&e)
        ))
    })
}

fn set_from_json<T: Ord>(
    descriptor: &str,
    content: &Json,
    path: &mut AttributePath,
    parse: impl Fn(&str, &AttributePath) -> Result<T>,
) -> Result<BTreeSet<T>> {
    let items = expect_array(descriptor, "strings", content, path)?;
    if items.is_empty() {
        return Err(path.error(format!(
            "{} {descriptor} set must not be empty",
            crate::value::article(descriptor)
        )));
    }
    let mut set = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        path.push_index(index);
        let Json::String(text) = item else {
            return Err(path.error(format!(
                "{descriptor} elements must be JSON strings, found {}",
                json_kind(item)
            )));
        };
        if !set.insert(parse(text, path)?) {
            return Err(path.error(format!("duplicate value {text:?} in {descriptor} set")));
        }
        path.pop();
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ValidationError;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// The attribute and reason of a validation error; panics on anything else.
    fn validation(result: Result<impl fmt::Debug>) -> (Option<String>, String) {
        match result {
            Err(Error::Validation(ValidationError {
                attribute, reason, ..
            })) => (attribute, reason),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn plain_json_to_values() {
        let cases = [
            (json!(null), Value::Null),
            (json!(true), Value::Bool(true)),
            (json!(false), Value::Bool(false)),
            (json!(42), Value::from(42)),
            (json!(-7), Value::from(-7)),
            (json!(u64::MAX), Value::from(u64::MAX)),
            (json!(i64::MIN), Value::from(i64::MIN)),
            (json!(0.1), Value::N(n("0.1"))),
            (json!(1.5e-7), Value::N(n("1.5e-7"))),
            (json!(1e30), Value::N(n("1e30"))),
            (json!("text"), Value::from("text")),
            (json!(""), Value::from("")),
            (json!([]), Value::L(vec![])),
            (
                json!([1, "a", null]),
                Value::L(vec![Value::from(1), Value::from("a"), Value::Null]),
            ),
            (
                json!({"a": {"b": [true]}}),
                Value::M(Map::from([(
                    "a".to_owned(),
                    Value::M(Map::from([(
                        "b".to_owned(),
                        Value::L(vec![Value::Bool(true)]),
                    )])),
                )])),
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(Value::from_json(&json).ok(), Some(expected), "{json}");
        }
    }

    #[test]
    fn values_to_plain_json() {
        let cases = [
            (Value::Null, json!(null)),
            (Value::Bool(true), json!(true)),
            (Value::from("x"), json!("x")),
            (Value::from(42), json!(42)),
            (Value::from(u64::MAX), json!(u64::MAX)),
            (Value::from(i64::MIN), json!(i64::MIN)),
            (Value::N(n("0.1")), json!(0.1)),
            (Value::N(n("-2.5")), json!(-2.5)),
            (Value::N(n("1e30")), json!(1e30)),
            // Not exactly a float: kept as canonical text.
            (
                Value::N(n("3.1415926535897932384626433832795028841")),
                json!("3.1415926535897932384626433832795028841"),
            ),
            (
                Value::N(n("0.30000000000000000001")),
                json!("0.30000000000000000001"),
            ),
            (
                Value::N(n("123456789012345678901234567")),
                json!("123456789012345678901234567"),
            ),
            (Value::B(vec![0, 1, 2, 255]), json!("AAEC/w==")),
            (Value::B(vec![]), json!("")),
            (
                Value::L(vec![Value::from(1), Value::Null]),
                json!([1, null]),
            ),
            (
                Value::M(Map::from([("k".to_owned(), Value::from("v"))])),
                json!({"k": "v"}),
            ),
            (Value::string_set(["b", "a"]), json!(["a", "b"])),
            (
                Value::number_set([n("10"), n("0.5"), n("1e-50")]),
                json!([1e-50, 0.5, 10]),
            ),
            (
                Value::binary_set([vec![1u8], vec![2u8, 3]]),
                json!(["AQ==", "AgM="]),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(value.to_json(), expected, "{value:?}");
        }
    }

    #[test]
    fn plain_json_round_trips_what_it_can_hold() {
        let json = json!({
            "s": "x", "i": -3, "u": u64::MAX, "f": 0.1, "t": true, "z": null,
            "l": [1, [2, {"deep": "yes"}]], "m": {"inner": 1.25},
        });
        let item = Item::from_json(&json).ok();
        assert_eq!(item.map(|item| item.to_json()), Some(json));
    }

    #[test]
    fn plain_json_errors() {
        let (attribute, reason) = validation(Value::from_json(&json!({"a": {"b": [0, 1, 1e300]}})));
        assert_eq!(attribute.as_deref(), Some("a.b[2]"));
        assert_eq!(
            reason,
            "cannot store JSON number 1e+300: number overflow: magnitude larger than \
             9.9999999999999999999999999999999999999E+125"
        );
        let (attribute, reason) = validation(Value::from_json(&json!(1e-300)));
        assert_eq!(attribute, None);
        assert!(reason.contains("number underflow"), "{reason}");
        let (attribute, reason) = validation(Item::from_json(&json!([1])));
        assert_eq!(attribute, None);
        assert_eq!(reason, "an item must be a JSON object, found a JSON array");
    }

    #[test]
    fn dynamodb_json_round_trips_every_type() {
        let cases = [
            (json!({"S": "x"}), Value::from("x")),
            (json!({"S": ""}), Value::from("")),
            (json!({"N": "1.50"}), Value::N(n("1.5"))),
            (json!({"N": "-0"}), Value::N(Number::ZERO)),
            (
                json!({"N": "99999999999999999999999999999999999999"}),
                Value::N(n("99999999999999999999999999999999999999")),
            ),
            (json!({"B": "AAEC/w=="}), Value::B(vec![0, 1, 2, 255])),
            (json!({"B": ""}), Value::B(vec![])),
            (json!({"BOOL": false}), Value::Bool(false)),
            (json!({"NULL": true}), Value::Null),
            (json!({"L": []}), Value::L(vec![])),
            (
                json!({"L": [{"S": "a"}, {"NULL": true}]}),
                Value::L(vec![Value::from("a"), Value::Null]),
            ),
            (
                json!({"M": {"k": {"N": "7"}}}),
                Value::M(Map::from([("k".to_owned(), Value::from(7))])),
            ),
            (json!({"SS": ["b", "a"]}), Value::string_set(["a", "b"])),
            (
                json!({"NS": ["1", "1e2", "0.5"]}),
                Value::number_set([n("1"), n("100"), n("0.5")]),
            ),
            (
                json!({"BS": ["AQ==", "AgM="]}),
                Value::binary_set([vec![1u8], vec![2u8, 3]]),
            ),
        ];
        for (json, expected) in cases {
            let value = Value::from_dynamodb_json(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(value, expected, "{json}");
            // Writing back gives the canonical form, which reads back the same.
            let written = value.to_dynamodb_json();
            assert_eq!(Value::from_dynamodb_json(&written).ok(), Some(expected));
        }
        assert_eq!(Value::N(n("1.50")).to_dynamodb_json(), json!({"N": "1.5"}));
        assert_eq!(Value::Null.to_dynamodb_json(), json!({"NULL": true}));
        assert_eq!(
            Value::number_set([n("10"), n("2")]).to_dynamodb_json(),
            json!({"NS": ["2", "10"]})
        );
    }

    #[test]
    fn dynamodb_json_items() {
        let json = json!({"PK": {"S": "user#1"}, "tags": {"SS": ["x"]}, "age": {"N": "42"}});
        let item = Item::from_dynamodb_json(&json).ok();
        let expected = crate::item! {
            "PK" => "user#1", "tags" => Value::string_set(["x"]), "age" => 42,
        };
        assert_eq!(item.as_ref(), Some(&expected));
        assert_eq!(expected.to_dynamodb_json(), json);
        let (attribute, reason) = validation(Item::from_dynamodb_json(&json!("x")));
        assert_eq!(attribute, None);
        assert_eq!(
            reason,
            "an item must be a JSON object of attribute names to typed values, found a JSON string"
        );
    }

    #[test]
    fn dynamodb_json_errors_name_path_and_problem() {
        let cases: [(Json, Option<&str>, &str); 26] = [
            (
                json!({"a": {"M": {"b": {"L": [{"N": "1"}, {"S": "x"}, {"X": "1"}]}}}}),
                Some("a.b[2]"),
                "unknown type descriptor \"X\"; expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS",
            ),
            (
                json!({"a": {}}),
                Some("a"),
                "expected one type descriptor (S, N, B, BOOL, NULL, L, M, SS, NS, BS), found an empty object",
            ),
            (
                json!({"a": {"S": "x", "N": "1"}}),
                Some("a"),
                "expected one type descriptor, found 2: \"N\", \"S\"",
            ),
            (
                json!({"a": "x"}),
                Some("a"),
                "expected a DynamoDB JSON object with one type descriptor such as {\"S\": \"text\"}, found a JSON string",
            ),
            (
                json!({"a": {"s": "x"}}),
                Some("a"),
                "unknown type descriptor \"s\"",
            ),
            (
                json!({"a": {"N": 1}}),
                Some("a"),
                "N must be a JSON string, found a JSON number",
            ),
            (
                json!({"a": {"S": 1}}),
                Some("a"),
                "S must be a JSON string, found a JSON number",
            ),
            (
                json!({"a": {"B": []}}),
                Some("a"),
                "B must be a JSON string, found a JSON array",
            ),
            (
                json!({"a": {"BOOL": "true"}}),
                Some("a"),
                "BOOL must be a JSON boolean, found a JSON string",
            ),
            (
                json!({"a": {"NULL": false}}),
                Some("a"),
                "NULL must be true, found false",
            ),
            (
                json!({"a": {"NULL": null}}),
                Some("a"),
                "NULL must be true, found a JSON null",
            ),
            (
                json!({"a": {"L": {}}}),
                Some("a"),
                "L must be a JSON array of values, found a JSON object",
            ),
            (
                json!({"a": {"M": []}}),
                Some("a"),
                "M must be a JSON object, found a JSON array",
            ),
            (
                json!({"a": {"SS": "x"}}),
                Some("a"),
                "SS must be a JSON array of strings, found a JSON string",
            ),
            (
                json!({"a": {"N": "abc"}}),
                Some("a"),
                "invalid number: \"abc\" is not a numeric value",
            ),
            (
                json!({"a": {"N": "1e126"}}),
                Some("a"),
                "invalid number: number overflow",
            ),
            (
                json!({"a": {"NS": ["1", "1.2.3"]}}),
                Some("a[1]"),
                "invalid number: \"1.2.3\" is not a numeric value",
            ),
            (
                json!({"a": {"B": "!!"}}),
                Some("a"),
                "invalid base64 in B: invalid symbol 33, offset 0",
            ),
            (
                json!({"a": {"BS": ["AQ==", "A"]}}),
                Some("a[1]"),
                "invalid base64 in BS: ",
            ),
            (
                json!({"a": {"SS": []}}),
                Some("a"),
                "an SS set must not be empty",
            ),
            (
                json!({"a": {"NS": []}}),
                Some("a"),
                "an NS set must not be empty",
            ),
            (
                json!({"a": {"BS": []}}),
                Some("a"),
                "a BS set must not be empty",
            ),
            (
                json!({"a": {"SS": ["x", "x"]}}),
                Some("a[1]"),
                "duplicate value \"x\" in SS set",
            ),
            (
                json!({"a": {"NS": ["1", "1.0"]}}),
                Some("a[1]"),
                "duplicate value \"1.0\" in NS set",
            ),
            (
                json!({"a": {"BS": ["AQ==", "AQ=="]}}),
                Some("a[1]"),
                "duplicate value \"AQ==\" in BS set",
            ),
            (
                json!({"a": {"NS": [1]}}),
                Some("a[0]"),
                "NS elements must be JSON strings, found a JSON number",
            ),
        ];
        for (json, path, message) in cases {
            let (attribute, reason) = validation(Item::from_dynamodb_json(&json));
            assert_eq!(attribute.as_deref(), path, "{json}");
            assert!(
                reason.starts_with(message),
                "{json}: {reason:?} does not start with {message:?}"
            );
        }
        let (attribute, reason) = validation(Value::from_dynamodb_json(&json!({"N": true})));
        assert_eq!(attribute, None);
        assert_eq!(reason, "N must be a JSON string, found a JSON boolean");
    }

    #[test]
    fn paths_print_as_attribute_paths() {
        let path = AttributePath::from_segments(vec![
            PathSegment::Key("a".to_owned()),
            PathSegment::Key("b".to_owned()),
            PathSegment::Index(2),
            PathSegment::Index(0),
            PathSegment::Key("c".to_owned()),
        ]);
        assert_eq!(path.to_string(), "a.b[2][0].c");
        let top_index = AttributePath::from_segments(vec![PathSegment::Index(3)]);
        assert_eq!(top_index.to_string(), "[3]");
    }

    #[test]
    fn exact_f64_only_when_exact() {
        assert_eq!(exact_f64(&n("0.1")), Some(0.1));
        assert_eq!(exact_f64(&n("1e125")), Some(1e125));
        assert_eq!(exact_f64(&n("0.30000000000000000001")), None);
        assert_eq!(exact_f64(&n("9007199254740993")), None);
    }
}
