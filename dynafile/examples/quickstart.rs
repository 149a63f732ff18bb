//! Creates (or opens) a table in `./quickstart-db`, writes, reads, queries and scans it, and
//! prints what it did.
//!
//! Run with `cargo run --release --example quickstart` (or give another directory as its
//! argument).

use std::path::Path;

use dynafile::{Dynafile, KeyType, ReturnValues, item};

fn main() -> dynafile::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart-db".to_owned());
    run(Path::new(&path))
}

/// Opens (or creates) the table in `path` and works with it, printing what it does.
pub fn run(path: &Path) -> dynafile::Result<()> {
    let path_shown = path.display();
    let db = Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    println!(
        "opened table {:?} in {path_shown} ({})",
        db.name(),
        db.key_schema()
    );

    // Items are attribute maps; the key attributes place them.
    db.put_item(&item! { "PK" => "user#1", "SK" => "profile", "name" => "Bob", "age" => 42 })?;
    db.put_item(&item! { "PK" => "user#1", "SK" => "order#2026-01-05", "total" => 30 })?;
    db.put_item(&item! { "PK" => "user#1", "SK" => "order#2026-02-11", "total" => 12 })?;
    db.put_item(&item! { "PK" => "user#2", "SK" => "profile", "name" => "Alice", "age" => 37 })?;
    println!("put 4 items");

    // A batch commits atomically: all of it survives a crash, or none of it.
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "user#3", "SK" => "profile", "name" => "Steve" })?;
    batch.put_item(&item! { "PK" => "user#3", "SK" => "order#2026-03-01", "total" => 99 })?;
    batch.delete_item(("user#3", "order#2026-03-01"))?;
    batch.commit()?;
    println!("committed a batch of 3 operations");

    if let Some(bob) = db.get_item(("user#1", "profile"))? {
        println!("get user#1/profile -> {}", bob.to_json());
    }

    println!("query user#1, sort keys beginning with \"order#\", newest first:");
    for item in db.query("user#1").begins_with("order#").reverse() {
        let item = item?;
        println!("  {}", item.to_json());
    }

    println!("scan, keeping items with an age:");
    let mut scanned = 0;
    for item in db.scan().filter(|item| item.contains("age")) {
        let item = item?;
        scanned += 1;
        println!("  {}", item.to_json());
    }
    println!("scan found {scanned} items with an age");

    // Expressions, as DynamoDB writes them: a filter, an update, a condition.
    let adults = db
        .scan()
        .filter_expression("age >= :adult")
        .value(":adult", 18)
        .into_iter()
        .count();
    println!("scan with the filter expression `age >= :adult` found {adults} items");
    let updated = db
        .update_item(("user#1", "profile"), "SET age = age + :one")
        .value(":one", 1)
        .return_values(ReturnValues::UpdatedNew)
        .execute()?;
    if let Some(updated) = updated {
        println!(
            "update `SET age = age + :one` on user#1/profile -> {}",
            updated.to_json()
        );
    }
    let again = db.put_item_with(
        &item! { "PK" => "user#2", "SK" => "profile", "name" => "Mallory" },
        dynafile::WriteOptions::new().condition("attribute_not_exists(PK)"),
    );
    match again {
        Err(error) => println!("put of user#2/profile only if absent -> error: {error}"),
        Ok(_) => println!("put of user#2/profile only if absent -> written"),
    }

    let report = db.check()?;
    println!("check: {report}");
    db.close()
}
