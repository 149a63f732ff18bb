//! Conditional puts, deletes and updates, every update action and `ReturnValues` mode, and
//! the atomicity of read-check-write against concurrent writers.

mod common;

use std::sync::{Arc, Barrier};

use common::{string_table, tempdir};
use dynafile::{Error, Item, Result, ReturnValues, Value, WriteOptions, item};

fn failed_with<T: std::fmt::Debug>(result: Result<T>) -> Option<Item> {
    match result {
        Err(Error::ConditionalCheckFailed { item }) => item.map(|item| *item),
        other => panic!("expected ConditionalCheckFailed, got {other:?}"),
    }
}

#[test]
fn conditional_puts() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let first = item! { "PK" => "1", "SK" => "a", "version" => 1 };
    let only_new = || WriteOptions::new().condition("attribute_not_exists(PK)");
    db.put_item_with(&first, only_new())?;
    let second = item! { "PK" => "1", "SK" => "a", "version" => 2 };
    assert_eq!(failed_with(db.put_item_with(&second, only_new())), None);
    let old = failed_with(db.put_item_with(&second, only_new().return_old_on_condition_failure()));
    assert_eq!(old, Some(first.clone()));
    assert_eq!(db.get_item(("1", "a"))?, Some(first.clone()));
    // Optimistic locking on a version number, returning the old item.
    let next = WriteOptions::new()
        .condition("version = :v")
        .value(":v", 1)
        .return_old();
    assert_eq!(db.put_item_with(&second, next)?, Some(first));
    assert_eq!(db.get_item(("1", "a"))?, Some(second));
    // The condition sees the stored item, not the one being written.
    let stale = WriteOptions::new().condition("version = :v").value(":v", 1);
    failed_with(db.put_item_with(&item! { "PK" => "1", "SK" => "a", "version" => 1 }, stale));
    Ok(())
}

#[test]
fn conditional_deletes() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let stored = item! { "PK" => "1", "SK" => "a", "state" => "open" };
    db.put_item(&stored)?;
    let if_closed = || {
        WriteOptions::new()
            .condition("#s = :closed")
            .name("#s", "state")
            .value(":closed", "closed")
    };
    let old =
        failed_with(db.delete_item_with(("1", "a"), if_closed().return_old_on_condition_failure()));
    assert_eq!(old, Some(stored.clone()));
    assert_eq!(db.get_item(("1", "a"))?, Some(stored.clone()));
    let if_open = WriteOptions::new()
        .condition("state = :open")
        .value(":open", "open")
        .return_old();
    assert_eq!(db.delete_item_with(("1", "a"), if_open)?, Some(stored));
    assert_eq!(db.get_item(("1", "a"))?, None);
    // On a missing item, attribute_exists fails and nothing is returned.
    let exists = WriteOptions::new()
        .condition("attribute_exists(PK)")
        .return_old_on_condition_failure();
    assert_eq!(failed_with(db.delete_item_with(("1", "a"), exists)), None);
    Ok(())
}

#[test]
fn invalid_conditions_write_nothing() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let put = db.put_item_with(
        &item! { "PK" => "1", "SK" => "a" },
        WriteOptions::new().condition("attribute_not_exists("),
    );
    assert!(matches!(put, Err(Error::Validation(_))), "{put:?}");
    let unused = db.put_item_with(
        &item! { "PK" => "1", "SK" => "a" },
        WriteOptions::new().value(":v", 1),
    );
    assert!(matches!(unused, Err(Error::Validation(_))), "{unused:?}");
    assert_eq!(db.get_item(("1", "a"))?, None);
    Ok(())
}

#[test]
fn update_creates_the_item_when_absent() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let returned = db
        .update_item(("1", "a"), "SET #n = :n, tags = :tags ADD visits :one")
        .name("#n", "name")
        .value(":n", "Bob")
        .value(":tags", Value::string_set(["x"]))
        .value(":one", 1)
        .return_values(ReturnValues::AllNew)
        .execute()?;
    let expected = item! { "PK" => "1", "SK" => "a", "name" => "Bob", "tags" => Value::string_set(["x"]), "visits" => 1 };
    assert_eq!(returned, Some(expected.clone()));
    assert_eq!(db.get_item(("1", "a"))?, Some(expected));
    Ok(())
}

#[test]
fn every_return_values_mode() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let stored = item! { "PK" => "1", "SK" => "a", "n" => 1, "keep" => "k", "gone" => "g",
    "m" => Value::M([("x".to_owned(), 1.into()), ("y".to_owned(), 2.into())].into()) };
    let update = "SET n = n + :one, m.x = :one REMOVE gone";
    let run = |mode| {
        db.put_item(&stored)?;
        db.update_item(("1", "a"), update)
            .value(":one", 1)
            .return_values(mode)
            .execute()
    };
    let after = item! { "PK" => "1", "SK" => "a", "n" => 2, "keep" => "k",
    "m" => Value::M([("x".to_owned(), 1.into()), ("y".to_owned(), 2.into())].into()) };
    assert_eq!(run(ReturnValues::None)?, None);
    assert_eq!(db.get_item(("1", "a"))?, Some(after.clone()));
    assert_eq!(run(ReturnValues::AllOld)?, Some(stored.clone()));
    assert_eq!(run(ReturnValues::AllNew)?, Some(after));
    assert_eq!(
        run(ReturnValues::UpdatedOld)?,
        Some(
            item! { "n" => 1, "gone" => "g", "m" => Value::M([("x".to_owned(), 1.into())].into()) }
        )
    );
    assert_eq!(
        run(ReturnValues::UpdatedNew)?,
        Some(item! { "n" => 2, "m" => Value::M([("x".to_owned(), 1.into())].into()) })
    );
    // ALL_OLD of an item that did not exist is nothing.
    let created = db
        .update_item(("2", "b"), "SET a = :one")
        .value(":one", 1)
        .return_values(ReturnValues::AllOld)
        .execute()?;
    assert_eq!(created, None);
    Ok(())
}

#[test]
fn every_update_action_through_the_table() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "1", "SK" => "a", "price" => 10, "l" => vec![Value::from(1), Value::from(2)],
        "l2" => vec![Value::from(1), Value::from(2)], "colors" => Value::string_set(["red", "blue"]),
        "shades" => Value::string_set(["red", "dark"]), "old" => true })?;
    db.update_item(("1", "a"), "SET price = price - :d, l = list_append(l, :more), fresh = if_not_exists(fresh, :z) REMOVE old, l2[0] ADD colors :green DELETE shades :red")
        .value(":d", Value::N("0.01".parse().unwrap()))
        .value(":more", vec![Value::from(3)])
        .value(":z", 0)
        .value(":green", Value::string_set(["green"]))
        .value(":red", Value::string_set(["red"]))
        .execute()?;
    assert_eq!(
        db.get_item(("1", "a"))?,
        Some(
            item! { "PK" => "1", "SK" => "a", "price" => Value::N("9.99".parse().unwrap()),
            "l" => vec![Value::from(1), Value::from(2), Value::from(3)], "l2" => vec![Value::from(2)],
            "colors" => Value::string_set(["blue", "green", "red"]), "shades" => Value::string_set(["dark"]), "fresh" => 0 }
        )
    );
    Ok(())
}

#[test]
fn invalid_updates_write_nothing() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let stored = item! { "PK" => "1", "SK" => "a", "s" => "text" };
    db.put_item(&stored)?;
    let cases = [
        ("SET PK = :v", "part of the key"),
        ("REMOVE SK SET a = :v", "part of the key"),
        ("ADD s :v", "ADD of an N to an S"),
        ("SET a = :v, a = :v", "overlap"),
        ("SET big = :huge", "item size"),
    ];
    for (update, needle) in cases {
        let value: Value = if update.contains(":huge") {
            "x".repeat(500_000).into()
        } else {
            1.into()
        };
        let value_name = if update.contains(":huge") {
            ":huge"
        } else {
            ":v"
        };
        let result = db
            .update_item(("1", "a"), update)
            .value(value_name, value)
            .execute();
        match result {
            Err(Error::Validation(error)) => {
                assert!(error.to_string().contains(needle), "{update}: {error}")
            }
            other => panic!("{update}: expected a validation error, got {other:?}"),
        }
        assert_eq!(db.get_item(("1", "a"))?, Some(stored.clone()), "{update}");
    }
    Ok(())
}

#[test]
fn conditional_updates() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "1", "SK" => "a", "stock" => 1 })?;
    let take = || {
        db.update_item(("1", "a"), "SET stock = stock - :one")
            .condition("stock >= :one")
            .value(":one", 1)
            .return_old_on_condition_failure()
            .execute()
    };
    take()?;
    assert_eq!(
        failed_with(take()),
        Some(item! { "PK" => "1", "SK" => "a", "stock" => 0 })
    );
    assert_eq!(
        db.get_item(("1", "a"))?.map(|i| i["stock"].clone()),
        Some(0.into())
    );
    // A condition on an absent item sees no attributes.
    let missing = db
        .update_item(("2", "b"), "SET a = :one")
        .condition("attribute_exists(PK)")
        .value(":one", 1)
        .execute();
    assert_eq!(failed_with(missing), None);
    assert_eq!(db.get_item(("2", "b"))?, None);
    Ok(())
}

/// Eight threads race to create one item with `attribute_not_exists`: exactly one wins.
#[test]
fn exactly_one_of_eight_racing_conditional_puts_wins() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    for round in 0..20 {
        let barrier = Arc::new(Barrier::new(8));
        let results: Vec<Result<Option<Item>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|thread| {
                    let db = db.clone();
                    let barrier = Arc::clone(&barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let item = item! { "PK" => format!("race#{round}"), "SK" => "x", "winner" => thread };
                        db.put_item_with(&item, WriteOptions::new().condition("attribute_not_exists(PK)"))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for result in &results {
            assert!(
                matches!(
                    result,
                    Ok(None) | Err(Error::ConditionalCheckFailed { item: None })
                ),
                "{result:?}"
            );
        }
        let stored = db
            .get_item((format!("race#{round}"), "x"))?
            .expect("the winner's item");
        assert_eq!(stored["winner"], Value::from(winners[0]));
    }
    Ok(())
}

/// Concurrent increments never lose one: each update reads and writes under the commit lock.
#[test]
fn concurrent_increments_are_atomic() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    std::thread::scope(|s| {
        for _ in 0..8 {
            let db = db.clone();
            s.spawn(move || {
                for _ in 0..25 {
                    db.update_item(("counter", "c"), "ADD hits :one")
                        .value(":one", 1)
                        .execute()
                        .expect("update");
                }
            });
        }
    });
    assert_eq!(
        db.get_item(("counter", "c"))?.map(|i| i["hits"].clone()),
        Some(200.into())
    );
    Ok(())
}
