//! PartiQL statements that fail, through `db.execute`: parse errors with their position and
//! caret excerpt, unsupported constructs, missing keys, misplaced ORDER BY, other tables,
//! wrong parameter counts, and invalid values, each with its exact message; none writes.

mod common;

use common::tempdir;
use dynafile::{Dynafile, Error, KeyType, Result, Value, item};

fn shop(dir: &std::path::Path) -> Result<Dynafile> {
    let db = Dynafile::builder(dir.join("shop"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    db.put_item(&item! { "PK" => "u1", "SK" => "cart", "count" => 2 })?;
    Ok(db)
}

/// The message of the validation error `statement` fails with.
fn invalid(db: &Dynafile, statement: &str, params: Vec<Value>) -> String {
    match db.execute_with(statement, params) {
        Err(error @ Error::Validation(_)) => error.to_string(),
        Err(other) => panic!("{statement}: expected a validation error, got {other:?}"),
        Ok(output) => panic!("{statement}: expected a validation error, got {output:?}"),
    }
}

#[test]
fn a_statement_that_does_not_parse_says_where_with_a_caret() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let error = db
        .execute("DELETE shop WHERE PK = 'u1'")
        .expect_err("FROM is missing");
    assert!(
        matches!(
            &error,
            Error::Parse {
                line: 1,
                column: 8,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "syntax error at line 1, column 8: expected FROM, found shop"
    );
    assert_eq!(
        error.excerpt().as_deref(),
        Some("DELETE shop WHERE PK = 'u1'\n       ^")
    );

    let error = db
        .execute("SELECT *\nFROM shop\nWHERE PK = ")
        .expect_err("an operand is missing");
    assert!(matches!(&error, Error::Parse { line: 3, .. }), "{error:?}");
    assert_eq!(
        error.excerpt().as_deref(),
        Some("WHERE PK = \n           ^")
    );
    Ok(())
}

#[test]
fn unsupported_and_invalid_statements_name_what_is_wrong() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let cases: &[(&str, Vec<Value>, &str)] = &[
        (
            "SELECT * FROM shop JOIN other ON shop.PK = other.PK",
            vec![],
            "PartiQL does not support joins",
        ),
        (
            "SELECT * FROM shop WHERE PK IN (SELECT PK FROM shop)",
            vec![],
            "PartiQL does not support IN with a subquery, UNNEST or a table",
        ),
        (
            "SELECT count FROM shop GROUP BY count",
            vec![],
            "PartiQL does not support GROUP BY",
        ),
        (
            "SELECT * FROM orders WHERE PK = 'u1'",
            vec![],
            "the statement names table `orders`, but this table is `shop`",
        ),
        (
            "INSERT INTO Shop VALUE {'PK': 'u2', 'SK': 'x'}",
            vec![],
            "the statement names table `Shop`, but this table is `shop`",
        ),
        (
            "SELECT * FROM \"shop\".\"by_date\"",
            vec![],
            "table `shop` has no index `by_date`",
        ),
        (
            "UPDATE shop SET count = 1 WHERE PK = 'u1'",
            vec![],
            "UPDATE needs the item's full key in its WHERE clause, `PK = value AND SK = value`; `SK` is not given with =",
        ),
        (
            "UPDATE shop SET count = 1 WHERE PK = 'u1' OR SK = 'cart'",
            vec![],
            "UPDATE needs the item's full key in its WHERE clause, `PK = value AND SK = value`; `PK` is not given with =",
        ),
        (
            "DELETE FROM shop WHERE SK = 'cart' AND count > 1",
            vec![],
            "DELETE needs the item's full key in its WHERE clause, `PK = value AND SK = value`; `PK` is not given with =",
        ),
        (
            "SELECT * FROM shop WHERE count > 1 ORDER BY SK",
            vec![],
            "ORDER BY needs a query: the WHERE clause must give the partition key `PK` with = or IN",
        ),
        (
            "SELECT * FROM shop WHERE PK = 'u1' ORDER BY count",
            vec![],
            "ORDER BY takes the sort key `SK`, not `count`",
        ),
        (
            "SELECT * FROM shop WHERE PK = ? AND SK = ?",
            vec!["u1".into()],
            "the statement has 2 parameters (`?`), but 1 value was given",
        ),
        (
            "SELECT * FROM shop WHERE PK = ?",
            vec!["u1".into(), "u2".into()],
            "the statement has 1 parameter (`?`), but 2 values were given",
        ),
        (
            "SELECT * FROM shop WHERE PK = 'u1'",
            vec!["u1".into()],
            "the statement has 0 parameters (`?`), but 1 value was given",
        ),
        (
            "SELECT * FROM shop WHERE PK = 5",
            vec![],
            "attribute `PK`: the partition key must be of type S, not N",
        ),
        (
            "SELECT * FROM shop WHERE PK = 'u1' AND SK > 5",
            vec![],
            "attribute `SK`: the sort key must be of type S, not N",
        ),
        (
            "SELECT * FROM shop WHERE count + 1 > 2",
            vec![],
            "`(count + 1)`: arithmetic (`+`, `-`) is only allowed in SET values",
        ),
        (
            "SELECT * FROM shop WHERE count",
            vec![],
            "`count` is not a condition: compare it, or call a function such as attribute_exists",
        ),
        (
            "SELECT * FROM shop WHERE size(count)",
            vec![],
            "size(..) is a number, not a condition: compare it, as in size(tags) > 2",
        ),
        (
            "SELECT * FROM shop WHERE count = other + 1",
            vec![],
            "`(other + 1)`: arithmetic (`+`, `-`) is only allowed in SET values",
        ),
        (
            "SELECT a, a.b FROM shop",
            vec![],
            "the projected paths `a` and `a.b` overlap; each may be named once",
        ),
        (
            "SELECT * FROM shop LIMIT 0",
            vec![],
            "LIMIT must be at least 1",
        ),
        (
            "UPDATE shop SET tags = set_add(other, <<'a'>>) WHERE PK = 'u1' AND SK = 'cart'",
            vec![],
            "set_add changes the set it is given: write SET tags = set_add(tags, ..), not set_add(other, ..)",
        ),
        (
            "UPDATE shop SET tags = set_delete(tags, 'a') WHERE PK = 'u1' AND SK = 'cart'",
            vec![],
            "the second argument of set_delete must be a set, not an S",
        ),
        (
            "UPDATE shop SET a = 1 SET a.b = 2 WHERE PK = 'u1' AND SK = 'cart'",
            vec![],
            "the paths `a` and `a.b` overlap; an UPDATE may name each once",
        ),
        (
            "UPDATE shop SET SK = 'other' WHERE PK = 'u1' AND SK = 'cart'",
            vec![],
            "attribute `SK`: cannot be updated: it is part of the key",
        ),
        (
            "UPDATE shop SET count = other WHERE PK = 'u1' AND SK = 'cart' AND contains(list_append(a, b), 1)",
            vec![],
            "the first argument of contains must be an attribute path, not `list_append(a, b)`",
        ),
        (
            "INSERT INTO shop VALUE {'PK': 'u2', 'count': 1}",
            vec![],
            "attribute `SK`: the sort key is missing",
        ),
        (
            "INSERT INTO shop VALUE ?",
            vec!["u2".into()],
            "INSERT takes an item, a map, not an S",
        ),
        (
            "INSERT INTO shop VALUE {'PK': 'u2', 'SK': 'x', 'n': other}",
            vec![],
            "`other` is an attribute path; a value here must be a literal or a `?` parameter",
        ),
        (
            "DELETE FROM shop WHERE PK = 'u1' AND SK = 'cart' RETURNING ALL NEW *",
            vec![],
            "DELETE can only return ALL OLD *, not ALL NEW *",
        ),
    ];
    let mut wrong = Vec::new();
    for (statement, params, expected) in cases {
        let message = invalid(&db, statement, params.clone());
        if message != *expected {
            wrong.push(format!(
                "{statement}\n  expected: {expected}\n  actual:   {message}"
            ));
        }
        // EXPLAIN fails alike.
        let explained = invalid(&db, &format!("EXPLAIN {statement}"), params.clone());
        if explained != message {
            wrong.push(format!("EXPLAIN {statement}: {explained}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing was written by any of them.
    let items: Vec<_> = db.scan().into_iter().collect::<Result<_>>()?;
    assert_eq!(
        items,
        vec![item! { "PK" => "u1", "SK" => "cart", "count" => 2 }]
    );
    Ok(())
}

#[test]
fn order_by_on_a_table_without_sort_key_is_refused() -> Result<()> {
    let dir = tempdir();
    let db = Dynafile::builder(dir.path().join("users"))
        .partition_key("id", KeyType::N)
        .open()?;
    assert_eq!(
        invalid(&db, "SELECT * FROM users WHERE id = 1 ORDER BY id", vec![]),
        "ORDER BY needs a sort key, and table `users` has none"
    );
    assert_eq!(
        invalid(&db, "DELETE FROM users WHERE name = 'x'", vec![]),
        "DELETE needs the item's full key in its WHERE clause, `id = value`; `id` is not given with ="
    );
    Ok(())
}
