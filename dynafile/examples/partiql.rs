//! PartiQL statements on a small shop table: the statements the README's "PartiQL" section
//! shows, run through `db.execute`, `db.execute_with` and `db.execute_transaction`, with what
//! each returns.
//!
//! Run with `cargo run --example partiql` (it writes to a temporary directory, or to the
//! directory given as its argument).

use dynafile::{Dynafile, Error, Item, KeyType, StatementOutput, Value, item};
use serde_json::json;

fn main() -> dynafile::Result<()> {
    let scratch = tempfile::tempdir().map_err(|e| Error::Io {
        path: std::env::temp_dir(),
        source: e,
    })?;
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| scratch.path().join("shop"), Into::into);
    run(&path)
}

/// The items of a SELECT.
fn items(output: StatementOutput) -> dynafile::Result<Vec<Item>> {
    let StatementOutput::Items(items) = output else {
        unreachable!("a SELECT returns items");
    };
    items.collect()
}

/// Runs the README's statements on a new table in `path`.
pub fn run(path: &std::path::Path) -> dynafile::Result<()> {
    let db = Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .name("shop")
        .open()?;

    db.execute(
        "INSERT INTO shop VALUE {'PK': 'user#1', 'SK': 'order#001', 'total': 30, 'status': 'open'}",
    )?;
    db.execute_with(
        "INSERT INTO shop VALUE {'PK': ?, 'SK': ?, 'total': ?, 'status': 'open'}",
        ["user#1".into(), "order#002".into(), 12.into()],
    )?;
    let again = db.execute("INSERT INTO shop VALUE {'PK': 'user#1', 'SK': 'order#001'}");
    assert!(matches!(again, Err(Error::DuplicateItem { .. })));

    db.execute("UPDATE shop SET total = total + 5, tags = <<'gift'>> WHERE PK = 'user#1' AND SK = 'order#001'")?;

    let orders = items(db.execute(
        "SELECT SK, total FROM shop WHERE PK = 'user#1' AND begins_with(SK, 'order#') ORDER BY SK DESC",
    )?)?;
    for order in &orders {
        println!("{}", order.to_json());
    }
    assert_eq!(
        orders,
        vec![
            item! { "SK" => "order#002", "total" => 12 },
            item! { "SK" => "order#001", "total" => 35 },
        ]
    );

    let gifts = items(db.execute("SELECT * FROM shop WHERE contains(tags, 'gift')")?)?;
    assert_eq!(gifts.len(), 1);

    let StatementOutput::Written(old) = db.execute(
        "UPDATE shop SET status = 'shipped' WHERE PK = 'user#1' AND SK = 'order#002' AND status = 'open' RETURNING ALL OLD *",
    )?
    else {
        unreachable!("an UPDATE returns what it wrote");
    };
    assert_eq!(
        old.map(|item| item["status"].clone()),
        Some(Value::from("open"))
    );

    let refused =
        db.execute("DELETE FROM shop WHERE PK = 'user#1' AND SK = 'order#001' AND total > 100");
    assert!(matches!(refused, Err(Error::ConditionalCheckFailed { .. })));

    let StatementOutput::Plan(plan) =
        db.execute("EXPLAIN SELECT * FROM shop WHERE status = 'open'")?
    else {
        unreachable!("EXPLAIN returns a plan");
    };
    println!("{plan}");
    assert_eq!(plan["kind"], json!("scan"));
    assert_eq!(plan["filter"], json!("status = 'open'"));

    // Transactions: all writes, all or nothing, or all reads from one snapshot.
    db.execute("INSERT INTO shop VALUE {'PK': 'item#7', 'SK': 'stock', 'stock': 1}")?;
    db.execute("INSERT INTO shop VALUE {'PK': 'user#1', 'SK': 'profile', 'active': true}")?;
    let order = [
        "UPDATE shop SET stock = stock - 1 WHERE PK = 'item#7' AND SK = 'stock' AND stock > 0",
        "INSERT INTO shop VALUE {'PK': 'user#1', 'SK': 'order#003', 'item': 'item#7'}",
        "EXISTS(SELECT * FROM shop WHERE PK = 'user#1' AND SK = 'profile' AND active = true)",
    ];
    assert_eq!(db.execute_transaction(&order)?, Vec::new());
    // Out of stock, and the order exists: canceled, one reason per statement.
    let Err(Error::TransactionCanceled { reasons, .. }) = db.execute_transaction(&order) else {
        unreachable!("the second order is canceled");
    };
    let codes: Vec<&str> = reasons.iter().map(|reason| reason.code()).collect();
    assert_eq!(codes, ["ConditionalCheckFailed", "DuplicateItem", "None"]);
    let read = db.execute_transaction(&[
        "SELECT total FROM shop WHERE PK = 'user#1' AND SK = 'order#001'",
        "SELECT * FROM shop WHERE PK = 'user#2' AND SK = 'profile'",
    ])?;
    assert_eq!(read, vec![Some(item! { "total" => 35 }), None]);
    db.close()
}
