//! `transact_get`: items in the order asked from one snapshot, projections, the limits, and
//! that a transaction is never seen half done.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::{string_table, tempdir};
use dynafile::{Error, GetOptions, Item, Result, TransactWriteItem, Value, item};

fn invalid<T: std::fmt::Debug>(result: Result<T>) -> String {
    match result {
        Err(Error::Validation(error)) => error.to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn items_in_the_order_asked_with_none_for_missing_ones() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "a", "SK" => "1", "v" => 1 })?;
    db.put_item(&item! { "PK" => "b", "SK" => "1", "v" => 2 })?;
    assert_eq!(
        db.transact_get([("b", "1"), ("zz", "1"), ("a", "1")])?,
        vec![
            Some(item! { "PK" => "b", "SK" => "1", "v" => 2 }),
            None,
            Some(item! { "PK" => "a", "SK" => "1", "v" => 1 }),
        ]
    );
    Ok(())
}

#[test]
fn a_projection_applies_to_every_item() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "a", "SK" => "1", "name" => "Ann", "tags" => vec![Value::from("x"), Value::from("y")] })?;
    db.put_item(&item! { "PK" => "b", "SK" => "1", "name" => "Bo" })?;
    let projected = db.transact_get_with(
        [("a", "1"), ("b", "1")],
        GetOptions::new()
            .projection("#n, tags[1]")
            .name("#n", "name"),
    )?;
    assert_eq!(
        projected,
        vec![
            Some(item! { "name" => "Ann", "tags" => vec![Value::from("y")] }),
            Some(item! { "name" => "Bo" }),
        ]
    );
    Ok(())
}

#[test]
fn limits_duplicates_and_bad_keys() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let keys = |count: usize| (0..count).map(|i| ("p".to_owned(), format!("{i:03}")));
    assert_eq!(db.transact_get(keys(100))?, vec![None; 100]);
    assert_eq!(
        invalid(db.transact_get(keys(101))),
        "a transactional read has at most 100 keys, not 101"
    );
    assert_eq!(
        invalid(db.transact_get(Vec::<(String, String)>::new())),
        "a transactional read needs at least one key"
    );
    assert_eq!(
        invalid(db.transact_get([("a", "1"), ("b", "1"), ("a", "1")])),
        "keys 0 and 2 are on the same item; a transaction cannot include multiple operations \
         on one item"
    );
    let missing_sort = [item! { "PK" => "a", "SK" => "1" }, item! { "PK" => "b" }];
    assert_eq!(
        invalid(db.transact_get(missing_sort.iter())),
        "attribute `SK`: the sort key is missing (key 1)"
    );
    Ok(())
}

/// Transactions move one unit between two items while readers read both: every read sees
/// the sum unchanged, never one side of a transfer without the other.
#[test]
fn readers_never_see_a_transaction_half_done() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "x", "SK" => "1", "v" => 100 })?;
    db.put_item(&item! { "PK" => "y", "SK" => "1", "v" => 100 })?;
    let done = AtomicBool::new(false);
    let value = |item: &Option<Item>| -> i64 {
        let v = &item.as_ref().expect("both items exist")["v"];
        v.as_n()
            .and_then(dynafile::Number::to_i64)
            .expect("an integer")
    };
    std::thread::scope(|s| -> Result<()> {
        let writer = s.spawn(|| -> Result<()> {
            for round in 0..300 {
                let (from, to) = if round % 2 == 0 {
                    ("x", "y")
                } else {
                    ("y", "x")
                };
                db.transact_write()
                    .action(
                        TransactWriteItem::update((from, "1"), "SET v = v - :one").value(":one", 1),
                    )
                    .action(TransactWriteItem::update((to, "1"), "ADD v :one").value(":one", 1))
                    .durability(dynafile::Durability::Buffered)
                    .execute()?;
            }
            done.store(true, Ordering::Release);
            Ok(())
        });
        let mut reads = 0;
        while !done.load(Ordering::Acquire) || reads == 0 {
            let items = db.transact_get([("x", "1"), ("y", "1")])?;
            assert_eq!(value(&items[0]) + value(&items[1]), 200, "read {items:?}");
            reads += 1;
        }
        writer.join().expect("the writer does not panic")
    })?;
    Ok(())
}
