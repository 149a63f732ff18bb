//! PartiQL statements run as one transaction (`execute_transaction`, DynamoDB's
//! `ExecuteTransaction`): writes that commit all or nothing with one cancellation reason per
//! statement, EXISTS condition checks, reads of items by full key from one snapshot, and the
//! requests refused with nothing written.

mod common;

use common::{assert_invalid, scan_all, tempdir};
use dynafile::{
    CancellationReason, Dynafile, Error, IndexProjection, Item, Key, KeyType, Result,
    StatementOutput, TransactionPart, Value, item,
};
use serde_json::json;

/// Accounts `PK` (S) / `SK` (S), with `by_owner` over `owner` (S); alice has 50 and bob 10.
fn bank(dir: &std::path::Path) -> Result<Dynafile> {
    let db = Dynafile::builder(dir.join("bank"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .global_index("by_owner", "owner", KeyType::S, None, IndexProjection::All)
        .open()?;
    db.put_item(&item! { "PK" => "acct", "SK" => "alice", "owner" => "alice", "balance" => 50 })?;
    db.put_item(&item! { "PK" => "acct", "SK" => "bob", "owner" => "bob", "balance" => 10 })?;
    Ok(db)
}

fn canceled<T: std::fmt::Debug>(result: Result<T>) -> Vec<CancellationReason> {
    match result {
        Err(Error::TransactionCanceled { reasons, .. }) => reasons,
        other => panic!("expected a canceled transaction, got {other:?}"),
    }
}

fn codes(reasons: &[CancellationReason]) -> Vec<&'static str> {
    reasons.iter().map(CancellationReason::code).collect()
}

#[test]
fn writes_commit_together_and_return_nothing() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let results = db.execute_transaction(&[
        "UPDATE bank SET balance = balance - 20 WHERE PK = 'acct' AND SK = 'alice' AND balance >= 20",
        "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'carol', 'owner': 'carol', 'balance': 20}",
        "DELETE FROM bank WHERE PK = 'acct' AND SK = 'bob' AND balance = 10",
        "EXISTS(SELECT * FROM bank WHERE PK = 'acct' AND SK = 'dave' OR PK = 'acct' AND SK = 'dave')",
    ]);
    // The last statement's WHERE clause gives no key with = at its top level.
    assert_invalid(
        results,
        None,
        "the SELECT of EXISTS needs the item's full key in its WHERE clause, `PK = value AND SK \
         = value`; `PK` is not given with = (statement 3)",
    );
    let results = db.execute_transaction(&[
        "UPDATE bank SET balance = balance - 20 WHERE PK = 'acct' AND SK = 'alice' AND balance >= 20",
        "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'carol', 'owner': 'carol', 'balance': 20}",
        "DELETE FROM bank WHERE PK = 'acct' AND SK = 'bob' AND balance = 10",
    ])?;
    assert_eq!(results, Vec::new());
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "acct", "SK" => "alice", "owner" => "alice", "balance" => 30 },
            item! { "PK" => "acct", "SK" => "carol", "owner" => "carol", "balance" => 20 },
        ]
    );
    // The index follows the transaction.
    let StatementOutput::Items(owners) =
        db.execute(r#"SELECT SK FROM "bank"."by_owner" WHERE owner = 'carol'"#)?
    else {
        panic!("a SELECT returns items");
    };
    assert_eq!(
        owners.collect::<Result<Vec<_>>>()?,
        vec![item! { "SK" => "carol" }]
    );
    Ok(())
}

#[test]
fn a_failed_statement_cancels_all_with_reasons_in_statement_order() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let before = scan_all(&db)?;
    let reasons = canceled(db.execute_transaction(&[
        "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'carol', 'balance': 1}",
        "UPDATE bank SET balance = balance - 20 WHERE PK = 'acct' AND SK = 'bob' AND balance >= 20",
        "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'alice', 'balance': 0}",
        "UPDATE bank SET balance = 1 WHERE PK = 'acct' AND SK = 'nobody'",
        "DELETE FROM bank WHERE PK = 'acct' AND SK = 'ghost' AND balance = 3",
        "EXISTS(SELECT * FROM bank WHERE PK = 'acct' AND SK = 'zed')",
    ]));
    assert_eq!(
        codes(&reasons),
        [
            "None",
            "ConditionalCheckFailed",
            "DuplicateItem",
            "ConditionalCheckFailed",
            "None",
            "ConditionalCheckFailed",
        ]
    );
    assert_eq!(reasons[2], CancellationReason::DuplicateItem);
    assert_eq!(
        reasons[2].to_string(),
        "DuplicateItem: duplicate primary key exists in table"
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn exists_checks_that_the_item_exists_and_meets_its_condition() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let pay = |check: &str| {
        db.execute_transaction(&[
            check,
            "UPDATE bank SET balance = balance + 5 WHERE PK = 'acct' AND SK = 'bob'",
        ])
    };
    pay("EXISTS(SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice' AND balance >= 50)")?;
    let reasons = canceled(pay(
        "EXISTS(SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice' AND balance > 50)",
    ));
    assert_eq!(codes(&reasons), ["ConditionalCheckFailed", "None"]);
    let reasons = canceled(pay(
        "EXISTS(SELECT * FROM bank WHERE SK = 'carol' AND PK = 'acct')",
    ));
    assert_eq!(codes(&reasons), ["ConditionalCheckFailed", "None"]);
    assert_eq!(
        db.get_item(Key::new("acct").sort("bob"))?,
        Some(item! { "PK" => "acct", "SK" => "bob", "owner" => "bob", "balance" => 15 })
    );
    // Outside a transaction EXISTS is refused; EXPLAIN shows it.
    let check = "EXISTS(SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice' AND balance > 5)";
    assert_invalid(
        db.execute(check),
        None,
        "EXISTS(SELECT ..) is a condition check of a transaction",
    );
    let StatementOutput::Plan(plan) = db.execute(&format!("EXPLAIN {check}"))? else {
        panic!("EXPLAIN returns a plan");
    };
    assert_eq!(
        plan,
        json!({
            "kind": "condition_check", "table": "bank",
            "key": "PK = \"acct\", SK = \"alice\"", "update": null,
            "condition": "PK IS NOT MISSING AND (balance > 5)", "returning": null,
        })
    );
    Ok(())
}

#[test]
fn reads_return_each_statements_item_from_one_snapshot() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let items = db.execute_transaction(&[
        "SELECT balance FROM bank WHERE SK = 'bob' AND PK = 'acct'",
        "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'nobody'",
        "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice'",
    ])?;
    assert_eq!(
        items,
        vec![
            Some(item! { "balance" => 10 }),
            None,
            Some(item! { "PK" => "acct", "SK" => "alice", "owner" => "alice", "balance" => 50 }),
        ]
    );
    Ok(())
}

#[test]
fn each_statement_takes_its_own_parameters() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    db.execute_transaction_with([
        (
            "UPDATE bank SET balance = balance - ? WHERE PK = 'acct' AND SK = ?",
            vec![Value::from(5), Value::from("alice")],
        ),
        (
            "INSERT INTO bank VALUE {'PK': 'acct', 'SK': ?, 'balance': ?}",
            vec![Value::from("erin"), Value::from(5)],
        ),
    ])?;
    let items = db.execute_transaction_with([
        (
            "SELECT balance FROM bank WHERE PK = 'acct' AND SK = ?",
            vec![Value::from("alice")],
        ),
        (
            "SELECT balance FROM bank WHERE PK = 'acct' AND SK = ?",
            vec![Value::from("erin")],
        ),
    ])?;
    assert_eq!(
        items,
        vec![
            Some(item! { "balance" => 45 }),
            Some(item! { "balance" => 5 })
        ]
    );
    assert_invalid(
        db.execute_transaction_with([(
            "SELECT balance FROM bank WHERE PK = 'acct' AND SK = ?",
            Vec::new(),
        )]),
        None,
        "the statement has 1 parameter (`?`), but 0 values were given (statement 0)",
    );
    Ok(())
}

#[test]
fn a_hundred_statements_commit_and_more_are_refused() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let inserts: Vec<String> = (0..101)
        .map(|n| format!("INSERT INTO bank VALUE {{'PK': 'many', 'SK': 'n{n:03}'}}"))
        .collect();
    let texts: Vec<&str> = inserts.iter().map(String::as_str).collect();
    assert_invalid(
        db.execute_transaction(&texts),
        None,
        "a transaction has at most 100 statements, not 101",
    );
    assert_invalid(
        db.execute_transaction(&[]),
        None,
        "a transaction needs at least one statement",
    );
    assert_eq!(scan_all(&db)?.len(), 2);
    assert_eq!(db.execute_transaction(&texts[..100])?, Vec::new());
    assert_eq!(scan_all(&db)?.len(), 102);
    Ok(())
}

/// Every request here is refused before anything is written.
#[test]
fn bad_transactions_are_refused_with_nothing_written() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let before = scan_all(&db)?;
    let insert = "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'new', 'balance': 1}";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                insert,
                "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'bob'",
            ],
            "a transaction is all reads (SELECT) or all writes (INSERT, UPDATE, DELETE, EXISTS), \
             not both: statement 0 writes and statement 1 reads",
        ),
        (
            vec!["SELECT * FROM bank WHERE PK = 'acct'"],
            "a SELECT in a transaction reads one item of the table by its full key, `PK = value \
             AND SK = value`, with no other condition, ORDER BY or LIMIT (statement 0)",
        ),
        (
            vec![
                "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'bob'",
                "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice' AND balance > 1",
            ],
            "with no other condition, ORDER BY or LIMIT (statement 1)",
        ),
        (
            vec!["SELECT * FROM bank WHERE PK = 'acct' AND SK >= 'a'"],
            "reads one item of the table by its full key",
        ),
        (
            vec![r#"SELECT * FROM "bank"."by_owner" WHERE owner = 'bob'"#],
            "reads one item of the table by its full key",
        ),
        (
            vec![
                insert,
                "UPDATE bank SET balance = 2 WHERE PK = 'acct' AND SK = 'bob'",
                "DELETE FROM bank WHERE SK = 'new' AND PK = 'acct'",
            ],
            "statements 0 and 2 are on the same item; a transaction cannot include multiple \
             operations on one item",
        ),
        (
            vec![
                insert,
                "UPDATE bank SET balance = 2 WHERE PK = 'acct' AND SK = 'bob' RETURNING ALL NEW *",
            ],
            "a write in a transaction returns nothing: RETURNING is not supported there (statement 1)",
        ),
        (
            vec!["DELETE FROM bank WHERE PK = 'acct' AND SK = 'bob' RETURNING ALL OLD *"],
            "RETURNING is not supported there (statement 0)",
        ),
        (
            vec![
                insert,
                "EXPLAIN DELETE FROM bank WHERE PK = 'acct' AND SK = 'bob'",
            ],
            "EXPLAIN cannot run in a transaction (statement 1)",
        ),
        (
            vec![insert, "UPDATE bank SET balance = 2 WHERE PK = 'acct'"],
            "UPDATE needs the item's full key in its WHERE clause",
        ),
        (
            vec![r#"EXISTS(SELECT * FROM "bank"."by_owner" WHERE owner = 'bob')"#],
            "EXISTS checks an item of the table, not of index `by_owner` (statement 0)",
        ),
        (
            vec![insert, "INSERT INTO other VALUE {'PK': 'x', 'SK': 'y'}"],
            "the statement names table `other`, but this table is `bank` (statement 1)",
        ),
    ];
    for (statements, needle) in cases {
        assert_invalid(db.execute_transaction(&statements), None, needle);
    }
    let Err(Error::Parse { message, .. }) =
        db.execute_transaction(&[insert, "UPDATE bank SET WHERE"])
    else {
        panic!("a statement that does not parse is a parse error");
    };
    assert!(message.ends_with("(statement 1)"), "{message}");
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

/// An UPDATE that gives an index key attribute the wrong type cancels at its statement.
#[test]
fn an_item_an_index_cannot_hold_cancels_with_a_validation_reason() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let reasons = canceled(db.execute_transaction(&[
        "UPDATE bank SET owner = 5 WHERE PK = 'acct' AND SK = 'bob'",
        "UPDATE bank SET balance = 0 WHERE PK = 'acct' AND SK = 'alice'",
    ]));
    assert_eq!(codes(&reasons), ["ValidationError", "None"]);
    let expected: Vec<Item> = vec![
        item! { "PK" => "acct", "SK" => "alice", "owner" => "alice", "balance" => 50 },
        item! { "PK" => "acct", "SK" => "bob", "owner" => "bob", "balance" => 10 },
    ];
    assert_eq!(scan_all(&db)?, expected);
    Ok(())
}

#[test]
fn explain_checks_a_statement_without_running_it() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let plan = db
        .execute_statement("DELETE FROM bank WHERE PK = 'acct' AND SK = ?")
        .param("bob")
        .explain()?;
    assert_eq!(plan["kind"], json!("delete"));
    assert_eq!(plan["key"], json!("PK = \"acct\", SK = \"bob\""));
    assert_eq!(scan_all(&db)?.len(), 2);
    let Err(Error::Parse { line, column, .. }) = db
        .execute_statement("UPDATE bank SET n = WHERE PK = 'a'")
        .explain()
    else {
        panic!("a statement that does not parse is a parse error");
    };
    assert_eq!((line, column), (1, 27));
    assert_invalid(
        db.execute_statement("SELECT * FROM bank")
            .param(1)
            .explain(),
        None,
        "the statement has 0 parameters (`?`), but 1 value was given",
    );
    Ok(())
}

/// An INSERT of `pad` bytes of string under `SK = sk` (given as parameters: a statement is
/// at most 8 KB), and the item it writes.
fn padded_insert(sk: &str, pad: usize) -> ((&'static str, Vec<Value>), Item) {
    let pad = "x".repeat(pad);
    let statement = "INSERT INTO bank VALUE {'PK': 'acct', 'SK': ?, 'pad': ?}";
    let params = vec![Value::from(sk), Value::from(pad.as_str())];
    let item = item! { "PK" => "acct", "SK" => sk, "pad" => pad };
    ((statement, params), item)
}

/// The limits `transact_write` checks name the statement, as the user numbered it.
#[test]
fn an_item_too_large_names_its_statement() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let before = scan_all(&db)?;
    let (small, _) = padded_insert("small", 10);
    let (large, item) = padded_insert("large", dynafile::MAX_ITEM_SIZE);
    let message = assert_invalid(db.execute_transaction_with([small, large]), None, "");
    assert_eq!(
        message,
        format!(
            "item size is {} bytes, more than the maximum of 409600 bytes (400 KB) (statement 1)",
            item.size()
        )
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn items_over_4_mb_in_all_are_refused() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let before = scan_all(&db)?;
    let (statements, items): (Vec<_>, Vec<Item>) = (0..11)
        .map(|n| padded_insert(&format!("n{n:02}"), 390_000))
        .unzip();
    let total: usize = items.iter().map(Item::size).sum();
    assert!(total > dynafile::MAX_TRANSACT_SIZE, "{total} bytes");
    let message = assert_invalid(db.execute_transaction_with(statements), None, "");
    assert_eq!(
        message,
        format!(
            "the items of a transaction are {total} bytes, more than the maximum of 4194304 \
             bytes (4 MB)"
        )
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

/// An INSERT whose index key is of the wrong type cancels with its reason at its statement,
/// and the cancellation speaks of statements.
#[test]
fn a_canceled_transaction_gives_reasons_by_statement() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let before = scan_all(&db)?;
    let error = db
        .execute_transaction(&[
            "UPDATE bank SET balance = 0 WHERE PK = 'acct' AND SK = 'alice'",
            "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'carol', 'owner': 5}",
        ])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "transaction canceled, reasons by statement: [None, ValidationError]"
    );
    let Error::TransactionCanceled {
        reasons,
        reasons_by,
    } = error
    else {
        panic!("expected a canceled transaction, got {error:?}");
    };
    assert_eq!(reasons_by, TransactionPart::Statement);
    assert_eq!(
        reasons[1].to_string(),
        "ValidationError: attribute `owner`: it is a key attribute of index \"by_owner\", so \
         it must be of type S, not N"
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

/// A key of the wrong type, in a write or a read, is refused at its statement.
#[test]
fn a_key_of_the_wrong_type_names_its_statement() -> Result<()> {
    let dir = tempdir();
    let db = bank(dir.path())?;
    let message = assert_invalid(
        db.execute_transaction(&[
            "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 'carol'}",
            "INSERT INTO bank VALUE {'PK': 'acct', 'SK': 7}",
        ]),
        Some("SK"),
        "",
    );
    assert_eq!(
        message,
        "attribute `SK`: the sort key must be of type S, not N (statement 1)"
    );
    let message = assert_invalid(
        db.execute_transaction(&[
            "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'bob'",
            "SELECT * FROM bank WHERE PK = 'acct' AND SK = 'alice'",
            "SELECT * FROM bank WHERE PK = 1 AND SK = 'alice'",
        ]),
        Some("PK"),
        "",
    );
    assert_eq!(
        message,
        "attribute `PK`: the partition key must be of type S, not N (statement 2)"
    );
    assert_eq!(scan_all(&db)?.len(), 2);
    Ok(())
}
