//! Typed updates (`db.update::<T>`) and typed filter expressions: an update returns the item
//! as `T`, refuses to create a missing item or to touch another entity's, refuses an update
//! that would leave an item that no longer reads as `T`, and changes nothing when refused.

mod common;

use common::string_table;
use dynafile::{DynaItem, Error, Number, Result, item};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "CUSTOMER#{id}", sk = "PROFILE")]
struct Customer {
    id: u32,
    name: String,
    #[serde(default)]
    visits: u64,
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "CUSTOMER#{customer}", sk = "ORDER#{number}")]
struct Order {
    customer: u32,
    number: u32,
    total: Number,
}

fn ada() -> Customer {
    Customer {
        id: 1,
        name: "Ada".into(),
        visits: 0,
    }
}

#[test]
fn an_update_returns_the_item_after_it_as_t() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    db.put(&ada())?;
    let updated = db
        .update::<Customer>(Customer::key(1), "SET #n = :name ADD visits :one")
        .name("#n", "name")
        .value(":name", "Ada L.")
        .value(":one", 1)
        .execute()?;
    let expected = Customer {
        id: 1,
        name: "Ada L.".into(),
        visits: 1,
    };
    assert_eq!(updated, expected);
    assert_eq!(db.get(Customer::key(1))?, Some(expected));
    Ok(())
}

#[test]
fn a_missing_item_is_not_created() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    let error = db
        .update::<Customer>(Customer::key(7), "SET #n = :name")
        .name("#n", "name")
        .value(":name", "Nobody")
        .execute()
        .unwrap_err();
    assert!(
        matches!(error, Error::ConditionalCheckFailed { item: None }),
        "{error:?}"
    );
    assert_eq!(db.get_item(("CUSTOMER#7", "PROFILE"))?, None);
    Ok(())
}

#[test]
fn another_entitys_item_under_the_key_is_left_alone() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    let stranger =
        item! { "PK" => "CUSTOMER#1", "SK" => "PROFILE", "name" => "raw", "visits" => 5 };
    db.put_item(&stranger)?;
    let error = db
        .update::<Customer>(Customer::key(1), "ADD visits :one")
        .value(":one", 1)
        .execute()
        .unwrap_err();
    assert!(
        matches!(error, Error::ConditionalCheckFailed { .. }),
        "{error:?}"
    );
    assert_eq!(db.get_item(("CUSTOMER#1", "PROFILE"))?, Some(stranger));
    Ok(())
}

#[test]
fn an_update_that_breaks_the_type_writes_nothing() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    db.put(&ada())?;
    let removed = db
        .update::<Customer>(Customer::key(1), "REMOVE #n")
        .name("#n", "name")
        .execute()
        .unwrap_err();
    assert_eq!(
        removed.to_string(),
        "item (PK = \"CUSTOMER#1\", SK = \"PROFILE\"): missing field `name`"
    );
    let retyped = db
        .update::<Customer>(Customer::key(1), "SET visits = :text")
        .value(":text", "many")
        .execute()
        .unwrap_err();
    assert!(matches!(retyped, Error::Deserialize { .. }), "{retyped:?}");
    assert_eq!(db.get(Customer::key(1))?, Some(ada()));
    Ok(())
}

#[test]
fn a_false_condition_writes_nothing() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    db.put(&ada())?;
    let error = db
        .update::<Customer>(Customer::key(1), "ADD visits :one")
        .condition("visits > :many")
        .value(":one", 1)
        .value(":many", 10)
        .return_old_on_condition_failure()
        .execute()
        .unwrap_err();
    let Error::ConditionalCheckFailed { item: Some(old) } = error else {
        panic!("expected the old item, got {error:?}");
    };
    assert_eq!(old["visits"], 0.into());
    assert_eq!(db.get(Customer::key(1))?, Some(ada()));
    Ok(())
}

#[test]
fn typed_reads_take_filter_expressions() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = string_table(dir.path())?;
    db.put(&ada())?;
    for (number, total) in [(1, 5), (2, 50), (3, 500)] {
        db.put(&Order {
            customer: 1,
            number,
            total: Number::from(total),
        })?;
    }
    let big: Vec<u32> = db
        .query_as::<Order>("CUSTOMER#1")
        .filter_expression("#t >= :min")
        .name("#t", "total")
        .value(":min", 50)
        .into_iter()
        .map(|order| order.map(|order| order.number))
        .collect::<Result<_>>()?;
    assert_eq!(big, [2, 3]);
    let named: Vec<String> = db
        .scan_as::<Customer>()
        .filter_expression("begins_with(#n, :a)")
        .name("#n", "name")
        .value(":a", "A")
        .into_iter()
        .map(|customer| customer.map(|customer| customer.name))
        .collect::<Result<_>>()?;
    assert_eq!(named, ["Ada"]);
    Ok(())
}
