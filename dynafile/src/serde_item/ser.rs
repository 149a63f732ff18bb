//! The serializer: any `Serialize` type into a [`Value`].

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{self, Impossible, Serialize};

use super::{Error, NUMBER_TOKEN, VALUE_TOKEN};
use crate::json::describe_base64_error;
use crate::number::{Number, NumberError};
use crate::value::{Map, Value};

impl ser::Error for Error {
    fn custom<T: Display>(message: T) -> Error {
        Error::new(message.to_string())
    }
}

/// Serializes into a [`Value`] (the mapping is documented on `to_value`).
pub(super) struct ValueSerializer;

fn float(float: impl Debug, number: Result<Number, NumberError>) -> Result<Value, Error> {
    // `Debug` writes floats short (`1e300`), where `Display` writes every digit.
    number
        .map(Value::N)
        .map_err(|e| Error::new(format!("cannot store float {float:?} as a number: {e}")))
}

fn wide_integer(
    integer: impl Display,
    number: Result<Number, NumberError>,
) -> Result<Value, Error> {
    number
        .map(Value::N)
        .map_err(|e| Error::new(format!("cannot store integer {integer} as a number: {e}")))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = VariantListBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantMapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        wide_integer(v, Number::try_from(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        wide_integer(v, Number::try_from(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        float(v, Number::try_from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        float(v, Number::try_from(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::S(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::S(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::B(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::S(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        match name {
            NUMBER_TOKEN => match value.serialize(self)? {
                Value::S(text) => Number::parse(&text)
                    .map(Value::N)
                    .map_err(|e| Error::new(format!("invalid number: {e}"))),
                other => Err(Error::new(format!(
                    "a dynafile number must serialize as its text, found {}",
                    other.type_descriptor()
                ))),
            },
            VALUE_TOKEN => {
                // The content is the value's DynamoDB JSON shape; the step of its descriptor
                // (`L`, `M`, ..) is no part of the user's attribute path.
                let shape = value
                    .serialize(self)
                    .map_err(Error::without_outermost_step)?;
                from_shape(shape)
            }
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let content = value.serialize(self).map_err(|e| e.at_key(variant))?;
        Ok(Value::M(Map::from([(variant.to_owned(), content)])))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder, Error> {
        Ok(ListBuilder::new(len))
    }

    fn serialize_tuple(self, len: usize) -> Result<ListBuilder, Error> {
        Ok(ListBuilder::new(Some(len)))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ListBuilder, Error> {
        Ok(ListBuilder::new(Some(len)))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantListBuilder, Error> {
        Ok(VariantListBuilder {
            variant,
            list: ListBuilder::new(Some(len)),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder::default())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapBuilder, Error> {
        Ok(MapBuilder::default())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantMapBuilder, Error> {
        Ok(VariantMapBuilder {
            variant,
            map: MapBuilder::default(),
        })
    }
}

/// Rebuilds a [`Value`] from the DynamoDB JSON shape its `Serialize` wrote through
/// [`ValueSerializer`]: one descriptor mapped to content in which numbers are already `N` and
/// nested values already exact.
fn from_shape(shape: Value) -> Result<Value, Error> {
    let malformed = |found: &str| {
        Error::new(format!(
            "a dynafile value must serialize as one type descriptor with its content, found {found}"
        ))
    };
    let Value::M(map) = shape else {
        return Err(malformed(shape.type_descriptor()));
    };
    let mut entries = map.into_iter();
    let (Some((descriptor, content)), None) = (entries.next(), entries.next()) else {
        return Err(malformed("a map of another size"));
    };
    let content_error = |content: &Value| {
        Error::new(format!(
            "a dynafile {descriptor} value must not serialize its content as {}",
            content.type_descriptor()
        ))
    };
    let value = match (descriptor.as_str(), content) {
        ("S", Value::S(s)) => Value::S(s),
        ("N", Value::N(n)) => Value::N(n),
        ("B", Value::S(text)) => Value::B(decode_base64("B", &text)?),
        ("BOOL", Value::Bool(b)) => Value::Bool(b),
        ("NULL", Value::Bool(true)) => Value::Null,
        ("L", Value::L(list)) => Value::L(list),
        ("M", Value::M(map)) => Value::M(map),
        ("SS", Value::L(list)) => {
            Value::Ss(set_from_list("SS", "S", list, |element| match element {
                Value::S(s) => Ok(s),
                other => Err(other),
            })?)
        }
        ("NS", Value::L(list)) => {
            Value::Ns(set_from_list("NS", "N", list, |element| match element {
                Value::N(n) => Ok(n),
                other => Err(other),
            })?)
        }
        ("BS", Value::L(list)) => {
            let texts = set_from_list("BS", "S", list, |element| match element {
                Value::S(s) => Ok(s),
                other => Err(other),
            })?;
            Value::Bs(
                texts
                    .iter()
                    .map(|text| decode_base64("BS", text))
                    .collect::<Result<_, _>>()?,
            )
        }
        (_, content) => return Err(content_error(&content)),
    };
    Ok(value)
}

fn decode_base64(descriptor: &str, text: &str) -> Result<Vec<u8>, Error> {
    STANDARD.decode(text).map_err(|e| {
        Error::new(format!(
            "invalid base64 in {descriptor}: {}",
            describe_base64_error(&e)
        ))
    })
}

fn set_from_list<T: Ord>(
    descriptor: &str,
    element_descriptor: &str,
    list: Vec<Value>,
    element: impl Fn(Value) -> Result<T, Value>,
) -> Result<BTreeSet<T>, Error> {
    if list.is_empty() {
        return Err(Error::new(format!(
            "{} {descriptor} set must not be empty",
            crate::value::article(descriptor)
        )));
    }
    list.into_iter()
        .enumerate()
        .map(|(index, value)| {
            element(value).map_err(|other| {
                Error::new(format!(
                    "{descriptor} elements must serialize as {element_descriptor}, found {}",
                    other.type_descriptor()
                ))
                .at_index(index)
            })
        })
        .collect()
}

/// Elements of a sequence, tuple or tuple struct.
pub(super) struct ListBuilder {
    list: Vec<Value>,
}

impl ListBuilder {
    fn new(len: Option<usize>) -> ListBuilder {
        ListBuilder {
            list: Vec::with_capacity(len.unwrap_or(0).min(4096)),
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let index = self.list.len();
        let value = value
            .serialize(ValueSerializer)
            .map_err(|e| e.at_index(index))?;
        self.list.push(value);
        Ok(())
    }
}

impl ser::SerializeSeq for ListBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

/// The elements of a tuple variant, which becomes `{"Variant": [..]}`.
pub(super) struct VariantListBuilder {
    variant: &'static str,
    list: ListBuilder,
}

impl ser::SerializeTupleVariant for VariantListBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.list.push(value).map_err(|e| e.at_key(self.variant))
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(Map::from([(
            self.variant.to_owned(),
            Value::L(self.list.list),
        )])))
    }
}

/// Entries of a map or fields of a struct.
#[derive(Default)]
pub(super) struct MapBuilder {
    map: Map,
    key: Option<String>,
}

impl MapBuilder {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let value = value
            .serialize(ValueSerializer)
            .map_err(|e| e.at_key(&key))?;
        self.map.insert(key, value);
        Ok(())
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(MapKeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::new("a map value was serialized before its key"))?;
        self.insert(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.insert(key.to_owned(), value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(self.map))
    }
}

/// The fields of a struct variant, which becomes `{"Variant": {..}}`.
pub(super) struct VariantMapBuilder {
    variant: &'static str,
    map: MapBuilder,
}

impl ser::SerializeStructVariant for VariantMapBuilder {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.map
            .insert(key.to_owned(), value)
            .map_err(|e| e.at_key(self.variant))
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(Map::from([(
            self.variant.to_owned(),
            Value::M(self.map.map),
        )])))
    }
}

/// Serializes map keys: strings as they are; integers, `char` and `bool` as their text.
struct MapKeySerializer;

fn key_error(found: &str) -> Error {
    Error::new(format!(
        "map keys must be strings, integers, chars or booleans, found {found}"
    ))
}

macro_rules! key_as_text {
    ($($method:ident: $t:ty),* $(,)?) => {$(
        fn $method(self, v: $t) -> Result<String, Error> {
            Ok(v.to_string())
        }
    )*};
}

impl ser::Serializer for MapKeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    key_as_text! {
        serialize_bool: bool,
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_u128: u128,
        serialize_char: char,
    }

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }

    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        Err(key_error("a float"))
    }

    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        Err(key_error("a float"))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(key_error("bytes"))
    }

    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error("none"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error("a unit"))
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<String, Error> {
        Err(key_error(&format!("unit struct {name}")))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        if name == VALUE_TOKEN {
            return Err(key_error("a dynafile value"));
        }
        // A number's token holds its canonical text, which is the key.
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_error(&format!("variant {name}::{variant}")))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error(&format!("tuple struct {name}")))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error(&format!("variant {name}::{variant}")))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error("a map"))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error(&format!("struct {name}")))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error(&format!("variant {name}::{variant}")))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Serialize;

    use super::super::to_value;
    use crate::item::Item;
    use crate::number::Number;
    use crate::value::{Map, Value};

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

    fn value_of<T: Serialize + ?Sized>(value: &T) -> Value {
        to_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn error_of<T: Serialize + ?Sized>(value: &T) -> String {
        match to_value(value) {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Meters(f64);

    #[derive(Serialize)]
    struct Pair(u8, &'static str);

    #[derive(Serialize)]
    enum Shape {
        Empty,
        Circle(u32),
        Line(i8, i8),
        Rect { w: u16, h: u16 },
    }

    #[test]
    fn scalars() {
        let cases: Vec<(Value, Value)> = vec![
            (value_of(&true), Value::Bool(true)),
            (value_of(&-8i8), n("-8")),
            (value_of(&-16i16), n("-16")),
            (value_of(&-32i32), n("-32")),
            (value_of(&i64::MIN), n("-9223372036854775808")),
            (value_of(&8u8), n("8")),
            (value_of(&16u16), n("16")),
            (value_of(&32u32), n("32")),
            (value_of(&u64::MAX), n("18446744073709551615")),
            (value_of(&-(10i128.pow(37))), n("-1e37")),
            (
                value_of(&(10u128.pow(38) - 1)),
                n("99999999999999999999999999999999999999"),
            ),
            // Trailing zeros are not significant digits.
            (value_of(&10u128.pow(38)), n("1e38")),
            (value_of(&0.1f64), n("0.1")),
            (value_of(&0.1f32), n("0.1")),
            (value_of(&-2.5e-7f64), n("-2.5e-7")),
            (value_of(&1e125f64), n("1e125")),
            (value_of(&'x'), s("x")),
            (value_of("text"), s("text")),
            (value_of(&String::new()), s("")),
            (
                value_of(serde_bytes::Bytes::new(&[1, 2])),
                Value::B(vec![1, 2]),
            ),
            (value_of(&None::<u8>), Value::Null),
            (value_of(&Some(3u8)), n("3")),
            (value_of(&()), Value::Null),
            (value_of(&Unit), Value::Null),
            (value_of(&Meters(1.5)), n("1.5")),
        ];
        for (index, (actual, expected)) in cases.into_iter().enumerate() {
            assert_eq!(actual, expected, "case {index}");
        }
    }

    #[test]
    fn compounds_and_enums() {
        assert_eq!(
            value_of(&vec![1u8, 2]),
            Value::L(vec![n("1"), n("2")]),
            "a plain Vec<u8> is a list"
        );
        assert_eq!(
            value_of(&(1u8, "a", true)),
            Value::L(vec![n("1"), s("a"), Value::Bool(true)])
        );
        assert_eq!(value_of(&Pair(1, "a")), Value::L(vec![n("1"), s("a")]));
        assert_eq!(value_of(&[0u8; 0]), Value::L(vec![]));
        assert_eq!(value_of(&Shape::Empty), s("Empty"));
        assert_eq!(value_of(&Shape::Circle(3)), m([("Circle", n("3"))]));
        assert_eq!(
            value_of(&Shape::Line(-1, 1)),
            m([("Line", Value::L(vec![n("-1"), n("1")]))])
        );
        assert_eq!(
            value_of(&Shape::Rect { w: 2, h: 3 }),
            m([("Rect", m([("w", n("2")), ("h", n("3"))]))])
        );
        let strings = BTreeMap::from([("b", 2), ("a", 1)]);
        assert_eq!(value_of(&strings), m([("a", n("1")), ("b", n("2"))]));
        let integers = BTreeMap::from([(-1i64, "x"), (10, "y")]);
        assert_eq!(value_of(&integers), m([("-1", s("x")), ("10", s("y"))]));
        let chars = HashMap::from([('c', 1)]);
        assert_eq!(value_of(&chars), m([("c", n("1"))]));
        let bools = BTreeMap::from([(true, 1)]);
        assert_eq!(value_of(&bools), m([("true", n("1"))]));
        #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
        enum Color {
            Red,
        }
        assert_eq!(
            value_of(&BTreeMap::from([(Color::Red, 1)])),
            m([("Red", n("1"))])
        );
        let number_keys = BTreeMap::from([(Number::from(7), 1)]);
        assert_eq!(value_of(&number_keys), m([("7", n("1"))]));
    }

    #[test]
    fn serde_attributes() {
        #[derive(Serialize)]
        struct Inner {
            x: u8,
            #[serde(rename = "Y")]
            y: u8,
        }
        #[derive(Serialize)]
        struct Outer {
            #[serde(rename = "PK")]
            pk: &'static str,
            #[serde(skip)]
            _cache: u8,
            #[serde(skip_serializing_if = "Option::is_none")]
            absent: Option<u8>,
            present: Option<u8>,
            #[serde(flatten)]
            inner: Inner,
            #[serde(with = "serde_bytes")]
            raw: Vec<u8>,
        }
        let outer = Outer {
            pk: "p",
            _cache: 9,
            absent: None,
            present: None,
            inner: Inner { x: 1, y: 2 },
            raw: vec![7],
        };
        assert_eq!(
            value_of(&outer),
            m([
                ("PK", s("p")),
                ("present", Value::Null),
                ("x", n("1")),
                ("Y", n("2")),
                ("raw", Value::B(vec![7])),
            ])
        );
        #[derive(Serialize)]
        #[serde(tag = "type")]
        enum Tagged {
            A { v: u8 },
        }
        assert_eq!(
            value_of(&Tagged::A { v: 1 }),
            m([("type", s("A")), ("v", n("1"))])
        );
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Untagged {
            Number(u8),
        }
        assert_eq!(value_of(&Untagged::Number(4)), n("4"));
    }

    #[test]
    fn own_types_pass_through_exactly() {
        let values = [
            s("x"),
            n("3.1415926535897932384626433832795028841"),
            Value::B(vec![0, 255]),
            Value::Bool(false),
            Value::Null,
            Value::L(vec![n("1"), Value::B(vec![1])]),
            m([("k", Value::number_set([Number::from(1)]))]),
            Value::string_set(["a", "b"]),
            Value::number_set([Number::from(1), Number::from(2)]),
            Value::binary_set([vec![1u8], vec![]]),
        ];
        for value in values {
            assert_eq!(value_of(&value), value);
            assert_eq!(
                value_of(&vec![value.clone()]),
                Value::L(vec![value.clone()])
            );
        }
        let number = Number::parse("-1.2345678901234567890123456789012345678E-100")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(value_of(&number), Value::N(number));
        let item = crate::item! { "a" => Value::binary_set([vec![1u8]]), "b" => 1 };
        assert_eq!(value_of(&item), Value::from(item.clone()));
        assert_eq!(value_of(&Some(&item)), Value::from(item));
        assert_eq!(value_of(&Item::new()), Value::M(Map::new()));
    }

    #[test]
    fn errors_name_the_path() {
        #[derive(Serialize)]
        struct Inner {
            b: Vec<f64>,
        }
        #[derive(Serialize)]
        struct Outer {
            a: Inner,
        }
        #[derive(Serialize)]
        enum E {
            Tuple(u8, f32),
            Struct { f: f64 },
            Newtype(f64),
        }
        let cases: Vec<(String, &str)> = vec![
            (
                error_of(&Outer {
                    a: Inner {
                        b: vec![0.0, 1.0, f64::NAN],
                    },
                }),
                "attribute `a.b[2]`: cannot store float NaN as a number: \"NaN\" is not a numeric value",
            ),
            (
                error_of(&f64::INFINITY),
                "cannot store float inf as a number: \"inf\" is not a numeric value",
            ),
            (
                error_of(&f32::NEG_INFINITY),
                "cannot store float -inf as a number: \"-inf\" is not a numeric value",
            ),
            (
                error_of(&1e300),
                "cannot store float 1e300 as a number: number overflow: magnitude larger than \
                 9.9999999999999999999999999999999999999E+125",
            ),
            (
                error_of(&1e-300),
                "cannot store float 1e-300 as a number: number underflow: magnitude smaller than 1E-130",
            ),
            (
                error_of(&u128::MAX),
                "cannot store integer 340282366920938463463374607431768211455 as a number: \
                 number needs more than 38 significant digits",
            ),
            (
                error_of(&i128::MIN),
                "cannot store integer -170141183460469231731687303715884105728 as a number: \
                 number needs more than 38 significant digits",
            ),
            (
                error_of(&vec![E::Tuple(1, f32::NAN)]),
                "attribute `[0].Tuple[1]`: cannot store float NaN as a number",
            ),
            (
                error_of(&E::Struct { f: f64::NAN }),
                "attribute `Struct.f`: cannot store float NaN",
            ),
            (
                error_of(&E::Newtype(f64::NAN)),
                "attribute `Newtype`: cannot store float NaN",
            ),
            (
                error_of(&HashMap::from([((1, 2), 3)])),
                "map keys must be strings, integers, chars or booleans, found a tuple",
            ),
            (
                error_of(&BTreeMap::from([("m", HashMap::from([(vec![1], 3)]))])),
                "attribute `m`: map keys must be strings, integers, chars or booleans, found a \
                 sequence",
            ),
            (
                error_of(&crate::item! { "v" => Value::L(vec![Value::M(Map::from([(
                    "x".to_owned(),
                    Value::Ns(Default::default()),
                )]))]) }),
                "attribute `v[0].x`: an NS set must not be empty",
            ),
            (
                error_of(&Value::Ss(Default::default())),
                "an SS set must not be empty",
            ),
        ];
        for (actual, expected) in cases {
            assert!(
                actual.starts_with(expected),
                "{actual:?} does not start with {expected:?}"
            );
        }
        // Floats as keys (no std map takes them; serialize one by hand).
        let map: Vec<(f64, u8)> = vec![(1.5, 1)];
        struct FloatKeyed(Vec<(f64, u8)>);
        impl Serialize for FloatKeyed {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
            }
        }
        assert_eq!(
            error_of(&FloatKeyed(map)),
            "map keys must be strings, integers, chars or booleans, found a float"
        );
    }
}
