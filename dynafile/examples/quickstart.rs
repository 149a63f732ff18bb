//! Creates (or opens) a table in `./quickstart-db`, writes, reads, queries and scans it, and
//! prints what it did.
//!
//! Run with `cargo run --release --example quickstart`.

use dynafile::{Dynafile, KeyType, item};

fn main() -> dynafile::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart-db".to_owned());
    let db = Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    println!(
        "opened table {:?} in {path} ({})",
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

    let bob = db.get_item(("user#1", "profile"))?;
    println!("get user#1/profile -> {bob:?}");

    println!("query user#1, sort keys beginning with \"order#\", newest first:");
    for item in db.query("user#1").begins_with("order#").reverse() {
        let item = item?;
        println!(
            "  {} total {:?}",
            item["SK"].as_s().unwrap_or_default(),
            item["total"].as_n()
        );
    }

    println!("scan, keeping items with an age:");
    let mut scanned = 0;
    for item in db.scan().filter(|item| item.contains("age")) {
        let item = item?;
        scanned += 1;
        println!(
            "  {} is {:?}",
            item["name"].as_s().unwrap_or_default(),
            item["age"].as_n()
        );
    }
    println!("scan found {scanned} items with an age");

    let report = db.check()?;
    println!("check: {report}");
    db.close()
}
