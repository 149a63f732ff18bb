//! Keys of typed items: key fields of every key type (string, number, binary), templates,
//! tables without a sort key, and the errors of a struct whose key does not fit the table's
//! schema.

mod common;

use common::{n, num, open, string_table};
use dynafile::{DynaItem, Error, KeySource, KeyType, Number, Result, ValidationError, item};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
struct Order {
    #[dynafile(pk)]
    customer: String,
    #[dynafile(sk)]
    order_id: String,
    total: Number,
}

#[test]
fn key_fields_are_the_key_and_stay_attributes() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let order = Order {
        customer: "cust#7".into(),
        order_id: "2026-01-05".into(),
        total: num("30.50"),
    };
    db.put(&order)?;
    assert_eq!(
        db.get_item(("cust#7", "2026-01-05"))?,
        Some(item! {
            "PK" => "cust#7", "SK" => "2026-01-05", "_entity" => "Order",
            "customer" => "cust#7", "order_id" => "2026-01-05", "total" => n("30.5"),
        })
    );
    assert_eq!(db.get(Order::key("cust#7", "2026-01-05"))?, Some(order));
    assert_eq!(
        Order::PARTITION_KEY,
        KeySource::Field {
            name: "customer",
            attribute: "customer"
        }
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
struct Reading {
    #[dynafile(pk)]
    sensor: u32,
    #[dynafile(sk)]
    at: i64,
    celsius: f64,
}

#[test]
fn number_fields_make_number_keys_in_numeric_order() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::N, Some(KeyType::N))?;
    for at in [10, -5, 100, 2] {
        db.put(&Reading {
            sensor: 1,
            at,
            celsius: 20.5,
        })?;
    }
    db.put(&Reading {
        sensor: 2,
        at: 0,
        celsius: -1.0,
    })?;
    let times: Vec<i64> = db
        .query_as::<Reading>(1)
        .iter()?
        .map(|reading| reading.map(|r| r.at))
        .collect::<Result<_>>()?;
    assert_eq!(times, vec![-5, 2, 10, 100]);
    let between: Vec<i64> = db
        .query_as::<Reading>(1)
        .between(0, 50)
        .reverse()
        .iter()?
        .map(|reading| reading.map(|r| r.at))
        .collect::<Result<_>>()?;
    assert_eq!(between, vec![10, 2]);
    assert_eq!(
        db.get(Reading::key(2, 0))?,
        Some(Reading {
            sensor: 2,
            at: 0,
            celsius: -1.0
        })
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
struct Blob {
    #[dynafile(pk)]
    #[serde(with = "serde_bytes")]
    digest: Vec<u8>,
    size: u64,
}

#[test]
fn byte_fields_make_binary_keys() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::B, None)?;
    let blob = Blob {
        digest: vec![0xde, 0xad, 0, 1],
        size: 4,
    };
    db.put(&blob)?;
    assert_eq!(db.get(Blob::key(vec![0xde, 0xad, 0, 1]))?, Some(blob));
    assert_eq!(
        db.get_item(dynafile::Key::new(vec![0xde_u8, 0xad, 0, 1]))?
            .map(|item| item["digest"].clone()),
        Some(dynafile::Value::B(vec![0xde, 0xad, 0, 1]))
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "{{literal}}#{name}#{name}")]
struct Tag {
    name: String,
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "TAG#{name}", sk = "TAG")]
struct SortedTag {
    name: String,
}

#[test]
fn templates_format_fields_and_escape_braces() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, None)?;
    let tag = Tag {
        name: "rust".into(),
    };
    db.put(&tag)?;
    assert_eq!(
        db.get_item(dynafile::Key::new("{literal}#rust#rust"))?
            .map(|item| item["name"].clone()),
        Some("rust".into())
    );
    assert_eq!(db.get(Tag::key("rust"))?, Some(tag));
    assert_eq!(Tag::SORT_KEY, None);
    assert_eq!(
        Tag::PARTITION_KEY,
        KeySource::Template("{{literal}}#{name}#{name}")
    );
    Ok(())
}

fn validation(error: Error) -> ValidationError {
    match error {
        Error::Validation(error) => error,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_key_that_does_not_fit_the_schema_is_a_clear_error() -> Result<()> {
    let dir = common::tempdir();
    let no_sort = open(&dir.path().join("no_sort"), KeyType::S, None)?;
    let error = validation(no_sort.put(&SortedTag { name: "x".into() }).unwrap_err());
    assert_eq!(
        error.to_string(),
        "`SortedTag` has a sort key (the template \"TAG\"), but the table has none (partition \
         key PK (S), no sort key)"
    );
    let error = validation(no_sort.get(SortedTag::key("x")).unwrap_err());
    assert_eq!(error.attribute, None);

    let with_sort = string_table(dir.path())?;
    let error = validation(with_sort.put(&Tag { name: "x".into() }).unwrap_err());
    assert_eq!(
        error.to_string(),
        "attribute `SK`: `Tag` has no sort key, but the table has one (partition key PK (S), \
         sort key SK (S)): add `#[dynafile(sk = \"..\")]` to the struct or `#[dynafile(sk)]` to \
         a field"
    );

    // A number field for a string key, a template for a number key.
    let error = validation(
        with_sort
            .put(&Reading {
                sensor: 1,
                at: 2,
                celsius: 0.0,
            })
            .unwrap_err(),
    );
    assert_eq!(
        error.to_string(),
        "attribute `PK`: `Reading` makes its partition key from the field `sensor`, of type N, \
         but the table's partition key is of type S"
    );
    let numbers = open(&dir.path().join("numbers"), KeyType::N, None)?;
    let error = validation(numbers.delete(Tag::key("x")).unwrap_err());
    assert_eq!(
        error.to_string(),
        "attribute `PK`: `Tag` makes its partition key from the template \
         \"{{literal}}#{name}#{name}\", of type S, but the table's partition key is of type N"
    );
    // A key value the schema's rules refuse: an empty string.
    let error = validation(
        with_sort
            .put(&Order {
                customer: String::new(),
                order_id: "1".into(),
                total: num("1"),
            })
            .unwrap_err(),
    );
    assert_eq!(
        error.to_string(),
        "attribute `PK`: the partition key must not be an empty string or binary"
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "X#{id}", sk = "X")]
struct Clash {
    id: u8,
    #[serde(rename = "PK")]
    other: String,
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "Y#{id}", sk = "Y")]
struct EntityClash {
    id: u8,
    _entity: String,
}

#[test]
fn attributes_that_clash_with_key_or_entity_attributes_are_refused() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let error = validation(
        db.put(&Clash {
            id: 1,
            other: "something".into(),
        })
        .unwrap_err(),
    );
    assert_eq!(error.attribute.as_deref(), Some("PK"));
    assert!(
        error.reason.contains("with another value than its key"),
        "{error}"
    );
    let error = validation(
        db.put(&EntityClash {
            id: 1,
            _entity: "x".into(),
        })
        .unwrap_err(),
    );
    assert_eq!(
        error.to_string(),
        "attribute `_entity`: `EntityClash` has an attribute of this name, which holds the \
         entity name: rename the field or set `#[dynafile(entity_attribute = \"..\")]`"
    );
    assert_eq!(db.get_item(("X#1", "X"))?, None);
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
struct Named {
    #[dynafile(pk)]
    #[serde(rename = "PK")]
    id: String,
    label: String,
}

#[test]
fn a_key_field_stored_as_the_key_attribute_itself_reads_back() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, None)?;
    let named = Named {
        id: "n1".into(),
        label: "first".into(),
    };
    db.put(&named)?;
    assert_eq!(
        db.get_item(dynafile::Key::new("n1"))?,
        Some(item! { "PK" => "n1", "_entity" => "Named", "label" => "first" })
    );
    assert_eq!(db.get(Named::key("n1"))?, Some(named));
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[serde(bound = "T: Serialize + serde::de::DeserializeOwned")]
#[dynafile(pk = "BOX#{r#type}", sk = "V")]
struct Boxed<T> {
    r#type: String,
    value: T,
}

#[test]
fn generic_structs_and_raw_field_names_derive() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let boxed = Boxed {
        r#type: "pair".into(),
        value: (1u8, "x".to_owned()),
    };
    db.put(&boxed)?;
    assert_eq!(db.get(Boxed::<(u8, String)>::key("pair"))?, Some(boxed));
    assert_eq!(
        db.get_item(("BOX#pair", "V"))?
            .map(|item| item["type"].clone()),
        Some("pair".into())
    );
    assert_eq!(<Boxed<u8> as DynaItem>::ENTITY, "Boxed");
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[serde(rename_all = "UPPERCASE")]
struct Upper {
    #[dynafile(pk)]
    pk: String,
    #[dynafile(sk)]
    sk: u32,
    note: String,
}

#[test]
fn a_rename_all_rule_names_the_key_fields_attributes() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, Some(KeyType::N))?;
    let upper = Upper {
        pk: "p".into(),
        sk: 5,
        note: "n".into(),
    };
    db.put(&upper)?;
    // The key fields are the key attributes themselves: nothing is stored twice.
    assert_eq!(
        db.get_item(("p", 5))?,
        Some(item! { "PK" => "p", "SK" => 5, "NOTE" => "n", "_entity" => "Upper" })
    );
    assert_eq!(db.get(Upper::key("p", 5))?, Some(upper));
    assert_eq!(
        Upper::SORT_KEY,
        Some(KeySource::Field {
            name: "sk",
            attribute: "SK"
        })
    );
    Ok(())
}
