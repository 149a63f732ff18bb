//! Attribute values: DynamoDB's data types.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::number::Number;

/// A map of attribute names to values: DynamoDB's `M` type, and the contents of an
/// [`Item`](crate::Item).
pub type Map = BTreeMap<String, Value>;

/// One attribute value, of one of DynamoDB's types.
///
/// Build values with `From` (`Value::from("text")`, `Value::from(42)`, `Value::from(true)`),
/// parse numbers exactly with [`Number`], and convert whole items from JSON or serde types with
/// the functions of [`Item`](crate::Item) and [`to_item`](crate::to_item).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A string (UTF-8).
    S(String),
    /// An exact decimal number.
    N(Number),
    /// Binary data.
    B(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// The null value.
    Null,
    /// A list of values of any types.
    L(Vec<Value>),
    /// A map of names to values.
    M(Map),
    /// A set of strings (never empty).
    Ss(BTreeSet<String>),
    /// A set of numbers (never empty).
    Ns(BTreeSet<Number>),
    /// A set of binary values (never empty).
    Bs(BTreeSet<Vec<u8>>),
}

impl Value {
    /// DynamoDB's descriptor of the value's type: `"S"`, `"N"`, `"B"`, `"BOOL"`, `"NULL"`,
    /// `"L"`, `"M"`, `"SS"`, `"NS"` or `"BS"`.
    #[must_use]
    pub fn type_descriptor(&self) -> &'static str {
        match self {
            Value::S(_) => "S",
            Value::N(_) => "N",
            Value::B(_) => "B",
            Value::Bool(_) => "BOOL",
            Value::Null => "NULL",
            Value::L(_) => "L",
            Value::M(_) => "M",
            Value::Ss(_) => "SS",
            Value::Ns(_) => "NS",
            Value::Bs(_) => "BS",
        }
    }

    /// [`Value::type_descriptor`] with its article, as a message reads it aloud: "an S", "a
    /// BOOL".
    pub(crate) fn type_with_article(&self) -> String {
        let descriptor = self.type_descriptor();
        format!("{} {descriptor}", article(descriptor))
    }

    /// The string, if this is an `S`.
    #[must_use]
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an `N`.
    #[must_use]
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            Value::N(n) => Some(n),
            _ => None,
        }
    }

    /// The bytes, if this is a `B`.
    #[must_use]
    pub fn as_b(&self) -> Option<&[u8]> {
        match self {
            Value::B(b) => Some(b),
            _ => None,
        }
    }

    /// The boolean, if this is a `BOOL`.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an `L`.
    #[must_use]
    pub fn as_l(&self) -> Option<&[Value]> {
        match self {
            Value::L(l) => Some(l),
            _ => None,
        }
    }

    /// The map, if this is an `M`.
    #[must_use]
    pub fn as_m(&self) -> Option<&Map> {
        match self {
            Value::M(m) => Some(m),
            _ => None,
        }
    }

    /// True for `NULL`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A string set from strings (duplicates merge; an empty set is rejected when stored).
    pub fn string_set<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Value {
        Value::Ss(values.into_iter().map(Into::into).collect())
    }

    /// A number set from numbers (duplicates merge; an empty set is rejected when stored).
    pub fn number_set<I: IntoIterator<Item = N>, N: Into<Number>>(values: I) -> Value {
        Value::Ns(values.into_iter().map(Into::into).collect())
    }

    /// A binary set from byte strings (duplicates merge; an empty set is rejected when stored).
    pub fn binary_set<I: IntoIterator<Item = B>, B: Into<Vec<u8>>>(values: I) -> Value {
        Value::Bs(values.into_iter().map(Into::into).collect())
    }
}

impl fmt::Debug for Value {
    /// Debug output in the shape of DynamoDB JSON: `{"S": "x"}`, `{"N": "1"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::S(s) => write!(f, "{{S: {s:?}}}"),
            Value::N(n) => write!(f, "{{N: \"{n}\"}}"),
            Value::B(b) => write!(f, "{{B: {b:?}}}"),
            Value::Bool(b) => write!(f, "{{BOOL: {b}}}"),
            Value::Null => f.write_str("{NULL: true}"),
            Value::L(l) => f.debug_map().entry(&"L", l).finish(),
            Value::M(m) => f.debug_map().entry(&"M", m).finish(),
            Value::Ss(s) => f.debug_map().entry(&"SS", s).finish(),
            Value::Ns(s) => {
                let texts: Vec<String> = s.iter().map(ToString::to_string).collect();
                f.debug_map().entry(&"NS", &texts).finish()
            }
            Value::Bs(s) => f.debug_map().entry(&"BS", s).finish(),
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::S(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::S(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::S(value.clone())
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<Number> for Value {
    fn from(value: Number) -> Value {
        Value::N(value)
    }
}

macro_rules! value_from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(value: $t) -> Value {
                Value::N(Number::from(value))
            }
        }
    )*};
}
value_from_integer!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Value {
        Value::B(value)
    }
}

impl From<&[u8]> for Value {
    fn from(value: &[u8]) -> Value {
        Value::B(value.to_vec())
    }
}

impl From<Vec<Value>> for Value {
    fn from(value: Vec<Value>) -> Value {
        Value::L(value)
    }
}

impl From<Map> for Value {
    fn from(value: Map) -> Value {
        Value::M(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is `NULL`.
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

impl TryFrom<f64> for Value {
    type Error = crate::NumberError;
    fn try_from(value: f64) -> Result<Value, crate::NumberError> {
        Number::try_from(value).map(Value::N)
    }
}

/// The article of a type descriptor read aloud: "an" before the letters S, N, L and M ("an
/// SS"), "a" before B and the words BOOL and NULL.
pub(crate) fn article(descriptor: &str) -> &'static str {
    match descriptor {
        "S" | "N" | "L" | "M" | "SS" | "NS" => "an",
        _ => "a",
    }
}
