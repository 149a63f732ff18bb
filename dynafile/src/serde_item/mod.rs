//! The serde bridge: any `Serialize` type becomes a [`Value`] or an [`Item`], and back.
//! The mapping is documented on [`to_value`]; [`Number`](crate::Number), [`Value`] and
//! [`Item`] implement `Serialize` and `Deserialize` in `own_types`.

mod de;
mod own_types;
mod ser;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::item::Item;
use crate::json::{AttributePath, PathSegment};
use crate::value::Value;

/// The newtype-struct name through which a [`Number`](crate::Number) tells this module's
/// serializer and deserializer that it is one; other formats see its canonical text.
const NUMBER_TOKEN: &str = "$dynafile::private::Number";
/// The newtype-struct name through which a [`Value`] tells this module's serializer and
/// deserializer that it is one; other formats see its DynamoDB JSON shape.
const VALUE_TOKEN: &str = "$dynafile::private::Value";

/// Converts a value into an [`Item`]: it must serialize to a map or a struct (by the mapping
/// of [`to_value`]), otherwise the result is a validation error.
///
/// ```
/// use dynafile::{item, to_item};
/// #[derive(serde::Serialize)]
/// struct User { #[serde(rename = "PK")] pk: String, age: u8, nick: Option<String> }
///
/// let user = User { pk: "user#1".into(), age: 42, nick: None };
/// let expected = item! { "PK" => "user#1", "age" => 42, "nick" => dynafile::Value::Null };
/// assert_eq!(to_item(&user)?, expected);
/// # Ok::<(), dynafile::Error>(())
/// ```
pub fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item> {
    match to_value(value)? {
        Value::M(map) => Ok(Item::from(map)),
        other => Err(crate::Error::validation(format!(
            "an item must serialize to a map or struct, found {}",
            other.type_descriptor()
        ))),
    }
}

/// Reads a `T` from an [`Item`], by the mapping of [`to_value`]. Errors are validation errors
/// naming the attribute path where reading failed (`address.lines[2]`).
///
/// ```
/// use dynafile::{from_item, item};
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct User { age: u8, #[serde(default)] nick: Option<String> }
///
/// let user: User = from_item(item! { "age" => 42 })?;
/// assert_eq!(user, User { age: 42, nick: None });
///
/// let error = from_item::<User>(item! { "age" => "old" }).unwrap_err();
/// assert_eq!(error.to_string(), "attribute `age`: expected a number (N) for u8, found S");
/// # Ok::<(), dynafile::Error>(())
/// ```
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T> {
    from_value(Value::from(item))
}

/// Converts any serializable value into a [`Value`].
///
/// The mapping follows serde's data model the way `serde_json` does, with DynamoDB's types in
/// place of JSON's; [`from_value`] reads it back:
///
/// | Rust (serde)                                  | Value                                 |
/// |-----------------------------------------------|---------------------------------------|
/// | `bool`                                        | `BOOL`                                |
/// | integers, `f32`, `f64`                        | `N` (exact; NaN and infinities fail)  |
/// | `char`, `String`, `&str`                      | `S`                                   |
/// | bytes (`serde_bytes`)                         | `B`                                   |
/// | `None`, `()`, unit structs                    | `NULL`                                |
/// | `Some(x)`, newtype structs                    | as `x`                                |
/// | sequences, tuples, tuple structs              | `L`                                   |
/// | maps, structs                                 | `M`                                   |
/// | unit variant `E::A`                           | `S` `"A"`                             |
/// | newtype, tuple, struct variants `E::A(..)`    | `M` `{"A": content}`                  |
/// | [`Number`](crate::Number), [`Value`], [`Item`] | themselves, exactly                  |
///
/// Integers beyond 38 significant digits and floats outside DynamoDB's range fail. Map keys
/// must be strings; integer, `char` and `bool` keys are written as their text and parsed
/// back. A plain `Vec<u8>` is a list of numbers: mark it `#[serde(with = "serde_bytes")]` to
/// store a `B` (a `Vec<u8>` reads a `B` too). Sets have no serde form of their own: a
/// `HashSet<String>` is written as an `L` (it reads an `SS` too); keep a [`Value`] field for an
/// exact `SS`, `NS` or `BS`. An `Option` that is `None` is written as `NULL`; add
/// `#[serde(skip_serializing_if = "Option::is_none")]` to leave the attribute out.
///
/// Reading follows serde's rules for missing and unknown fields, `default`, `rename`, `skip`
/// and `flatten`. Integer fields read an `N` exactly (a fraction or a value out of range is an
/// error), float fields take the nearest float. Where serde reads without a type in mind
/// (untagged enums, `flatten`), an `N` is given as an integer when it is one, as a float when a
/// float holds it exactly, and as its text otherwise, so decimal types lose nothing.
///
/// Fields of type [`Number`](crate::Number), [`Value`] and [`Item`] keep their exact DynamoDB
/// type (an `NS` stays an `NS`, a `B` a `B`, all 38 digits of a number). serde buffers data in
/// its own plain form for `#[serde(flatten)]` and for untagged and internally tagged enums; in
/// such places a `Number` still comes back exactly, but a `Value` or `Item` field cannot be
/// read (the error says what was expected): keep those outside flattened structs and such enums.
///
/// ```
/// use dynafile::{to_value, Value};
/// assert_eq!(to_value(&vec![1, 2])?, Value::L(vec![Value::from(1), Value::from(2)]));
/// assert!(to_value(&f64::NAN).is_err());
/// # Ok::<(), dynafile::Error>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value
        .serialize(ser::ValueSerializer)
        .map_err(crate::Error::from)
}

/// Reads a `T` from a [`Value`], by the mapping of [`to_value`]; errors name the path where
/// reading failed, as [`from_item`]'s do.
///
/// ```
/// use dynafile::{from_value, Value};
/// let pair: (String, f64) = from_value(Value::L(vec![Value::from("pi"), Value::try_from(3.14)?]))?;
/// assert_eq!(pair, ("pi".to_owned(), 3.14));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    T::deserialize(de::ValueDeserializer::new(value)).map_err(crate::Error::from)
}

/// The error of this module's serializer and deserializer: a reason and the path where it
/// happened. The path is collected as the error travels out of nested values, so it is kept
/// innermost step first.
#[derive(Debug)]
pub(crate) struct Error {
    path: Vec<PathSegment>,
    reason: String,
}

impl Error {
    fn new(reason: impl Into<String>) -> Error {
        Error {
            path: Vec::new(),
            reason: reason.into(),
        }
    }

    /// The error, as seen from the map holding the value under `key`.
    fn at_key(mut self, key: &str) -> Error {
        self.path.push(PathSegment::Key(key.to_owned()));
        self
    }

    /// The error, as seen from the list holding the value at `index`.
    fn at_index(mut self, index: usize) -> Error {
        self.path.push(PathSegment::Index(index));
        self
    }

    /// The error without its outermost step so far.
    fn without_outermost_step(mut self) -> Error {
        self.path.pop();
        self
    }

    fn attribute_path(&self) -> AttributePath {
        AttributePath::from_segments(self.path.iter().rev().cloned().collect())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "attribute `{}`: {}", self.attribute_path(), self.reason)
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for crate::Error {
    fn from(error: Error) -> crate::Error {
        error.attribute_path().error(error.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationError;

    #[test]
    fn errors_carry_their_path_outermost_first() {
        let error = Error::new("bad").at_index(2).at_key("b").at_key("a");
        assert_eq!(error.to_string(), "attribute `a.b[2]`: bad");
        let converted = crate::Error::from(error);
        assert!(
            matches!(
                &converted,
                crate::Error::Validation(ValidationError { attribute: Some(a), reason, .. })
                    if a == "a.b[2]" && reason == "bad"
            ),
            "{converted:?}"
        );
        let top = crate::Error::from(Error::new("bad"));
        assert!(
            matches!(
                &top,
                crate::Error::Validation(ValidationError { attribute: None, reason, .. })
                    if reason == "bad"
            ),
            "{top:?}"
        );
        assert_eq!(
            Error::new("bad")
                .at_key("L")
                .without_outermost_step()
                .at_key("x")
                .to_string(),
            "attribute `x`: bad"
        );
    }

    #[test]
    fn to_item_needs_a_map() {
        for (result, found) in [
            (to_item(&1), "N"),
            (to_item("x"), "S"),
            (to_item(&vec![1]), "L"),
            (to_item(&None::<u8>), "NULL"),
        ] {
            let message = result.map(|_| ()).err().map(|e| e.to_string());
            assert_eq!(
                message,
                Some(format!(
                    "an item must serialize to a map or struct, found {found}"
                ))
            );
        }
    }
}
