//! PartiQL INSERT, UPDATE and DELETE through `db.execute`: what each writes and returns,
//! DynamoDB's rules for duplicates, missing items and conditions, and their EXPLAIN plans.

mod common;

use common::{num, tempdir};
use dynafile::{Dynafile, Error, Item, Key, KeyType, Result, StatementOutput, Value, item};
use serde_json::json;

fn shop(dir: &std::path::Path) -> Result<Dynafile> {
    let db = Dynafile::builder(dir.join("shop"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    db.put_item(
        &item! { "PK" => "u1", "SK" => "cart", "count" => 2, "note" => "hi",
        "lines" => vec![Value::from("pen")],
        "tags" => Value::Ss(["a".to_owned(), "b".to_owned()].into()) },
    )?;
    Ok(db)
}

fn written(output: StatementOutput) -> Option<Item> {
    match output {
        StatementOutput::Written(item) => item,
        other => panic!("expected a write's output, got {other:?}"),
    }
}

fn run(db: &Dynafile, statement: &str) -> Result<Option<Item>> {
    db.execute(statement).map(written)
}

fn cart(db: &Dynafile) -> Result<Option<Item>> {
    db.get_item(("u1", "cart"))
}

#[test]
fn insert_writes_a_new_item_from_literals_or_parameters() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let returned = run(
        &db,
        "INSERT INTO shop VALUE {'PK': 'u2', 'SK': 'profile', 'age': 40, 'vip': true, 'nick': null,
                                 'langs': ['en', 'fr'], 'home': {'city': 'Oslo'}, 'ids': <<1, 2>>}",
    )?;
    assert_eq!(returned, None);
    assert_eq!(
        db.get_item(("u2", "profile"))?,
        Some(item! {
            "PK" => "u2", "SK" => "profile", "age" => 40, "vip" => true, "nick" => Value::Null,
            "langs" => vec![Value::from("en"), Value::from("fr")],
            "home" => item! { "city" => "Oslo" },
            "ids" => Value::Ns([num("1"), num("2")].into()),
        })
    );
    let binary = Value::B(vec![0, 1, 2]);
    db.execute_with(
        "INSERT INTO shop VALUE {'PK': ?, 'SK': 'blob', 'data': ?}",
        ["u3".into(), binary.clone()],
    )?;
    assert_eq!(
        db.get_item(("u3", "blob"))?,
        Some(item! { "PK" => "u3", "SK" => "blob", "data" => binary })
    );
    // A whole item as one parameter.
    db.execute_with(
        "INSERT INTO shop VALUE ?",
        [Value::from(item! { "PK" => "u4", "SK" => "x", "n" => 1 })],
    )?;
    assert_eq!(
        db.get_item(("u4", "x"))?,
        Some(item! { "PK" => "u4", "SK" => "x", "n" => 1 })
    );
    Ok(())
}

#[test]
fn insert_of_an_existing_key_is_a_duplicate_and_writes_nothing() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let before = cart(&db)?;
    let result = run(
        &db,
        "INSERT INTO shop VALUE {'PK': 'u1', 'SK': 'cart', 'count': 99}",
    );
    let Err(error) = result else {
        panic!("a duplicate insert must fail");
    };
    assert!(matches!(&error, Error::DuplicateItem { key } if key == r#"PK = "u1", SK = "cart""#));
    assert_eq!(
        error.to_string(),
        r#"duplicate primary key exists in table (PK = "u1", SK = "cart")"#
    );
    assert_eq!(cart(&db)?, before);
    Ok(())
}

#[test]
fn update_sets_and_removes_in_the_order_written() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let returned = run(
        &db,
        "UPDATE shop SET count = count + 3 SET lines = list_append(lines, ['ink']), first = if_not_exists(first, 'yes')
         REMOVE note SET tags = set_add(tags, <<'c'>>) WHERE PK = 'u1' AND SK = 'cart'",
    )?;
    assert_eq!(returned, None);
    assert_eq!(
        cart(&db)?,
        Some(item! {
            "PK" => "u1", "SK" => "cart", "count" => 5, "first" => "yes",
            "lines" => vec![Value::from("pen"), Value::from("ink")],
            "tags" => Value::Ss(["a".to_owned(), "b".to_owned(), "c".to_owned()].into()),
        })
    );
    run(
        &db,
        "UPDATE shop SET tags = set_delete(tags, <<'a', 'b'>>) SET count = count - 1, lines[0] = 'pencil'
         WHERE SK = 'cart' AND PK = 'u1'",
    )?;
    assert_eq!(
        cart(&db)?,
        Some(item! {
            "PK" => "u1", "SK" => "cart", "count" => 4, "first" => "yes",
            "lines" => vec![Value::from("pencil"), Value::from("ink")],
            "tags" => Value::Ss(["c".to_owned()].into()),
        })
    );
    Ok(())
}

#[test]
fn update_returns_what_returning_asks_for() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let update = |returning: &str| -> Result<Option<Item>> {
        run(
            &db,
            &format!(
                "UPDATE shop SET count = count + 1 WHERE PK = 'u1' AND SK = 'cart' RETURNING {returning}"
            ),
        )
    };
    assert_eq!(update("MODIFIED OLD *")?, Some(item! { "count" => 2 }));
    assert_eq!(update("MODIFIED NEW *")?, Some(item! { "count" => 4 }));
    let all_old = update("ALL OLD *")?.expect("the whole old item");
    assert_eq!(all_old["count"], 4.into());
    assert_eq!(all_old.len(), 6);
    let all_new = update("ALL NEW *")?.expect("the whole new item");
    assert_eq!(all_new["count"], 6.into());
    assert_eq!(Some(all_new), cart(&db)?);
    Ok(())
}

#[test]
fn update_conditions_beyond_the_key_must_hold() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let before = cart(&db)?;
    let failed = run(
        &db,
        "UPDATE shop SET count = 0 WHERE PK = 'u1' AND SK = 'cart' AND count > 10",
    );
    assert!(matches!(failed, Err(Error::ConditionalCheckFailed { .. })));
    assert_eq!(cart(&db)?, before);
    run(
        &db,
        "UPDATE shop SET count = 0 WHERE PK = 'u1' AND SK = 'cart' AND count < 10 AND note IS NOT MISSING",
    )?;
    assert_eq!(cart(&db)?.map(|item| item["count"].clone()), Some(0.into()));
    Ok(())
}

#[test]
fn update_of_a_missing_item_fails_its_condition_check_as_in_dynamodb() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let failed = run(
        &db,
        "UPDATE shop SET count = 1 WHERE PK = 'nobody' AND SK = 'cart'",
    );
    assert!(matches!(failed, Err(Error::ConditionalCheckFailed { .. })));
    assert_eq!(db.get_item(("nobody", "cart"))?, None);
    Ok(())
}

#[test]
fn delete_removes_the_item_and_returns_it_when_asked() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let before = cart(&db)?;
    let returned = run(
        &db,
        "DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' RETURNING ALL OLD *",
    )?;
    assert_eq!(returned, before);
    assert_eq!(cart(&db)?, None);
    // Deleting what is not there succeeds and deletes nothing, with or without a condition.
    assert_eq!(
        run(
            &db,
            "DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' RETURNING ALL OLD *"
        )?,
        None
    );
    assert_eq!(
        run(
            &db,
            "DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' AND count = 2"
        )?,
        None
    );
    Ok(())
}

#[test]
fn delete_conditions_beyond_the_key_must_hold_for_an_existing_item() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let before = cart(&db)?;
    let failed = run(
        &db,
        "DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' AND count = 3",
    );
    assert!(matches!(failed, Err(Error::ConditionalCheckFailed { .. })));
    assert_eq!(cart(&db)?, before);
    db.execute_with(
        "DELETE FROM shop WHERE PK = ? AND SK = ? AND count = ?",
        ["u1".into(), "cart".into(), 2.into()],
    )?;
    assert_eq!(cart(&db)?, None);
    Ok(())
}

#[test]
fn explain_shows_writes_with_the_conditions_they_run_under() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let plan = |statement: &str| -> Result<serde_json::Value> {
        match db.execute(&format!("EXPLAIN {statement}"))? {
            StatementOutput::Plan(plan) => Ok(plan),
            other => panic!("expected a plan, got {other:?}"),
        }
    };
    assert_eq!(
        plan("INSERT INTO shop VALUE {'PK': 'u9', 'SK': 'x'}")?,
        json!({"kind": "insert", "table": "shop", "key": r#"PK = "u9", SK = "x""#, "condition": "PK IS MISSING"})
    );
    assert_eq!(
        plan(
            "UPDATE shop SET a = a + 1 REMOVE b WHERE PK = 'u1' AND SK = 'cart' AND a < 5 RETURNING ALL NEW *"
        )?,
        json!({
            "kind": "update",
            "table": "shop",
            "key": r#"PK = "u1", SK = "cart""#,
            "update": "SET a = a + 1 REMOVE b",
            "condition": "PK IS NOT MISSING AND (a < 5)",
            "returning": "ALL NEW *",
        })
    );
    assert_eq!(
        plan("DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart'")?,
        json!({
            "kind": "delete",
            "table": "shop",
            "key": r#"PK = "u1", SK = "cart""#,
            "update": null,
            "condition": null,
            "returning": null,
        })
    );
    assert_eq!(
        plan("DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' AND count = 2 RETURNING ALL OLD *")?
            ["condition"],
        "PK IS MISSING OR (count = 2)"
    );
    // EXPLAIN writes nothing.
    assert_eq!(db.get_item(Key::new("u9").sort("x"))?, None);
    assert_eq!(cart(&db)?.map(|item| item.len()), Some(6));
    Ok(())
}
