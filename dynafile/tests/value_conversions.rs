//! Conversions between user types, values, items and JSON, through the public API only.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dynafile::{
    Error, Item, Map, Number, ValidationError, Value, from_item, from_value, item, to_item,
    to_value,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    street: String,
    zip: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Payment {
    Cash,
    Card(String),
    Transfer { iban: String, days: u8 },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Audit {
    created_by: String,
    version: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    address: Address,
    lines: Vec<String>,
    note: Option<String>,
    counts: HashMap<String, u16>,
    status: Payment,
    paid_with: Payment,
    refund: Payment,
    #[serde(skip)]
    cached_total: Option<u64>,
    #[serde(default)]
    retries: u8,
    #[serde(flatten)]
    audit: Audit,
    #[serde(with = "serde_bytes")]
    thumbnail: Vec<u8>,
    big: u64,
    small: i64,
    ratio: f64,
    exact: Number,
    tags: Value,
}

fn number(text: &str) -> Number {
    Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn sample() -> Order {
    Order {
        pk: "order#1".to_owned(),
        sk: "2024-01-01".to_owned(),
        address: Address {
            street: "1 Main St".to_owned(),
            zip: None,
        },
        lines: vec!["apple".to_owned(), "pear".to_owned()],
        note: Some("leave at door".to_owned()),
        counts: HashMap::from([("apple".to_owned(), 3)]),
        status: Payment::Cash,
        paid_with: Payment::Card("visa".to_owned()),
        refund: Payment::Transfer {
            iban: "DE00".to_owned(),
            days: 5,
        },
        cached_total: None,
        retries: 2,
        audit: Audit {
            created_by: "bob".to_owned(),
            version: 7,
        },
        thumbnail: vec![0, 1, 254, 255],
        big: u64::MAX,
        small: i64::MIN,
        ratio: 0.1,
        exact: number("1234567890.1234567890123456789012345678"),
        tags: Value::number_set([number("1"), number("2.5")]),
    }
}

fn m<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::M(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn expected_item() -> Item {
    item! {
        "PK" => "order#1",
        "SK" => "2024-01-01",
        "address" => m([("street", Value::from("1 Main St")), ("zip", Value::Null)]),
        "lines" => vec![Value::from("apple"), Value::from("pear")],
        "note" => "leave at door",
        "counts" => m([("apple", Value::from(3))]),
        "status" => "Cash",
        "paid_with" => m([("Card", Value::from("visa"))]),
        "refund" => m([(
            "Transfer",
            m([("iban", Value::from("DE00")), ("days", Value::from(5))]),
        )]),
        "retries" => 2,
        "created_by" => "bob",
        "version" => 7,
        "thumbnail" => vec![0u8, 1, 254, 255],
        "big" => Value::N(number("18446744073709551615")),
        "small" => Value::N(number("-9223372036854775808")),
        "ratio" => Value::N(number("0.1")),
        "exact" => Value::N(number("1234567890.1234567890123456789012345678")),
        "tags" => Value::number_set([number("1"), number("2.5")]),
    }
}

#[test]
fn struct_becomes_the_expected_item() -> dynafile::Result<()> {
    assert_eq!(to_item(&sample())?, expected_item());
    Ok(())
}

#[test]
fn struct_round_trips_through_an_item() -> dynafile::Result<()> {
    let mut order = sample();
    order.cached_total = Some(99);
    let back: Order = from_item(to_item(&order)?)?;
    // A skipped field is not stored, so it comes back as its default.
    assert_eq!(back.cached_total, None);
    order.cached_total = None;
    assert_eq!(back, order);
    Ok(())
}

#[test]
fn defaults_fill_missing_attributes() -> dynafile::Result<()> {
    let mut stored = expected_item();
    stored.remove("retries");
    stored.remove("note");
    let order: Order = from_item(stored)?;
    assert_eq!(order.retries, 0);
    assert_eq!(order.note, None);
    Ok(())
}

#[test]
fn own_types_keep_their_exact_type() -> dynafile::Result<()> {
    let item = to_item(&sample())?;
    assert_eq!(
        item.get("tags"),
        Some(&Value::number_set([number("1"), number("2.5")]))
    );
    assert_eq!(
        item.get("exact")
            .and_then(Value::as_n)
            .map(Number::significant_digits),
        Some(38)
    );
    assert_eq!(item.get("thumbnail"), Some(&Value::B(vec![0, 1, 254, 255])));
    let nested: Item = from_item(item.clone())?;
    assert_eq!(nested, item);
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        inner: Item,
        values: Vec<Value>,
        numbers: BTreeMap<String, Number>,
    }
    let holder = Holder {
        inner: item! { "b" => Value::binary_set([vec![1u8]]), "s" => Value::string_set(["x"]) },
        values: vec![
            Value::B(vec![]),
            Value::Null,
            Value::number_set([number("-1E-130")]),
        ],
        numbers: BTreeMap::from([(
            "max".to_owned(),
            number("9.9999999999999999999999999999999999999E+125"),
        )]),
    };
    let stored = to_item(&holder)?;
    assert_eq!(
        stored.get("inner"),
        Some(&m([
            ("b", Value::binary_set([vec![1u8]])),
            ("s", Value::string_set(["x"])),
        ]))
    );
    assert_eq!(from_item::<Holder>(stored)?, holder);
    Ok(())
}

#[test]
fn items_round_trip_through_dynamodb_json() -> dynafile::Result<()> {
    let item = expected_item();
    let json = item.to_dynamodb_json();
    assert_eq!(json["thumbnail"], json!({"B": "AAH+/w=="}));
    assert_eq!(json["tags"], json!({"NS": ["1", "2.5"]}));
    assert_eq!(json["big"], json!({"N": "18446744073709551615"}));
    assert_eq!(
        json["address"],
        json!({"M": {"street": {"S": "1 Main St"}, "zip": {"NULL": true}}})
    );
    assert_eq!(Item::from_dynamodb_json(&json)?, item);
    let text = serde_json::to_string(&json).unwrap_or_default();
    let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(Item::from_dynamodb_json(&reparsed)?, item);
    // serde's own view of an item is the same DynamoDB JSON.
    assert_eq!(serde_json::to_value(&item).ok(), Some(json));
    Ok(())
}

#[test]
fn plain_json_keeps_what_it_can() -> dynafile::Result<()> {
    let item = expected_item();
    let json = item.to_json();
    assert_eq!(json["big"], json!(u64::MAX));
    assert_eq!(json["small"], json!(i64::MIN));
    assert_eq!(json["ratio"], json!(0.1));
    assert_eq!(
        json["exact"],
        json!("1234567890.1234567890123456789012345678")
    );
    assert_eq!(json["thumbnail"], json!("AAH+/w=="));
    assert_eq!(json["tags"], json!([1, 2.5]));
    let back = Item::from_json(&json)?;
    assert_eq!(back.get("ratio"), item.get("ratio"));
    assert_eq!(back.get("big"), item.get("big"));
    assert_eq!(back.get("thumbnail"), Some(&Value::from("AAH+/w==")));
    assert_eq!(
        back.get("tags"),
        Some(&Value::L(vec![Value::from(1), Value::N(number("2.5"))]))
    );
    Ok(())
}

fn validation_error<T: std::fmt::Debug>(result: dynafile::Result<T>) -> (Option<String>, String) {
    match result {
        Err(Error::Validation(ValidationError {
            attribute, reason, ..
        })) => (attribute, reason),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn errors_name_the_attribute_path() {
    #[derive(Debug, Deserialize)]
    struct Person {
        _age: u8,
    }
    let stored = Item::from_dynamodb_json(&json!({"_age": {"S": "x"}}));
    let (attribute, reason) = validation_error(stored.and_then(from_item::<Person>));
    assert_eq!(attribute.as_deref(), Some("_age"));
    assert_eq!(reason, "expected a number (N) for u8, found S");

    let (attribute, reason) = validation_error(from_item::<Order>(item! { "PK" => "x" }));
    assert_eq!(attribute, None);
    assert_eq!(reason, "missing field `SK`");

    let mut stored = expected_item();
    stored.insert("address", m([("street", Value::from(5))]));
    let (attribute, reason) = validation_error(from_item::<Order>(stored));
    assert_eq!(attribute.as_deref(), Some("address.street"));
    assert_eq!(reason, "expected a string, found N");

    let (attribute, reason) = validation_error(Item::from_dynamodb_json(
        &json!({"a": {"M": {"b": {"L": [{"N": "1"}, {"N": "2"}, {"N": "x"}]}}}}),
    ));
    assert_eq!(attribute.as_deref(), Some("a.b[2]"));
    assert_eq!(reason, "invalid number: \"x\" is not a numeric value");

    let (attribute, reason) = validation_error(to_item(&vec![1]));
    assert_eq!(attribute, None);
    assert_eq!(reason, "an item must serialize to a map or struct, found L");

    let mut order = sample();
    order.ratio = f64::NAN;
    let (attribute, reason) = validation_error(to_item(&order));
    assert_eq!(attribute.as_deref(), Some("ratio"));
    assert_eq!(
        reason,
        "cannot store float NaN as a number: \"NaN\" is not a numeric value"
    );
}

/// Any number DynamoDB accepts: up to 38 random digits, any exponent in range.
fn any_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        1 => Just(Number::ZERO),
        9 => (any::<bool>(), "[1-9][0-9]{0,37}", -130i64..=125).prop_map(|(negative, digits, scientific)| {
            let exponent = scientific - (digits.len() as i64 - 1);
            let sign = if negative { "-" } else { "" };
            number(&format!("{sign}{digits}e{exponent}"))
        }),
    ]
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..8)
}

/// Any value of the ten types, nested at most four deep, with valid non-empty sets.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        ".{0,8}".prop_map(Value::S),
        any_number().prop_map(Value::N),
        any_bytes().prop_map(Value::B),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        prop::collection::btree_set(".{0,6}", 1..5).prop_map(Value::Ss),
        prop::collection::btree_set(any_number(), 1..5).prop_map(Value::Ns),
        prop::collection::btree_set(any_bytes(), 1..5).prop_map(Value::Bs),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::L),
            prop::collection::btree_map(".{0,6}", inner, 0..5).prop_map(Value::M),
        ]
    })
}

proptest! {
    #[test]
    fn dynamodb_json_round_trips_any_value(value in any_value()) {
        let json = value.to_dynamodb_json();
        prop_assert_eq!(Value::from_dynamodb_json(&json).ok(), Some(value.clone()));
        // Through JSON text, and through serde's own impls.
        let text = serde_json::to_string(&value).unwrap_or_default();
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        prop_assert_eq!(&reparsed, &json);
        prop_assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
    }

    #[test]
    fn serde_bridge_round_trips_any_value(value in any_value()) {
        let converted = to_value(&value);
        prop_assert_eq!(converted.as_ref().ok(), Some(&value));
        prop_assert_eq!(from_value::<Value>(value.clone()).ok(), Some(value.clone()));
        let wrapped = vec![value.clone()];
        prop_assert_eq!(
            to_value(&wrapped).ok().and_then(|v| from_value::<Vec<Value>>(v).ok()),
            Some(wrapped)
        );
    }

    #[test]
    fn serde_bridge_round_trips_any_item(entries in prop::collection::btree_map("[a-z]{1,4}", any_value(), 0..6)) {
        let item = Item::from(entries.into_iter().collect::<Map>());
        prop_assert_eq!(to_item(&item).ok(), Some(item.clone()));
        prop_assert_eq!(from_item::<Item>(item.clone()).ok(), Some(item.clone()));
        prop_assert_eq!(Item::from_dynamodb_json(&item.to_dynamodb_json()).ok(), Some(item));
    }

    #[test]
    fn integers_and_floats_round_trip(i in any::<i64>(), u in any::<u64>(), f in any::<f64>().prop_filter("in range", |f| f.is_finite() && (*f == 0.0 || (1e-130..1e125).contains(&f.abs())))) {
        let tuple = (i, u, f);
        let value = to_value(&tuple);
        prop_assert_eq!(value.and_then(from_value::<(i64, u64, f64)>).ok(), Some(tuple));
        let set: BTreeSet<i64> = [i].into();
        prop_assert_eq!(to_value(&set).and_then(from_value::<BTreeSet<i64>>).ok(), Some(set));
    }
}
