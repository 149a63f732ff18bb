//! Runs `examples/quickstart.rs`, the README's first command, so that `cargo test` checks it.

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)] // its `main` is for `cargo run`
mod example;

use dynafile::{Dynafile, Error, item};

#[test]
fn the_quickstart_example_runs_and_leaves_its_table() -> dynafile::Result<()> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("quickstart-db");
    example::run(&path)?;

    let db = Dynafile::open(&path)?;
    assert_eq!(
        db.get_item(("user#1", "profile"))?,
        Some(item! { "PK" => "user#1", "SK" => "profile", "name" => "Bob", "age" => 43 })
    );
    // The conditional put was refused: Alice is still there.
    assert_eq!(
        db.get_item(("user#2", "profile"))?
            .and_then(|alice| alice.get("name").cloned()),
        Some("Alice".into())
    );
    let sort_keys: Vec<String> = db
        .scan()
        .into_iter()
        .map(|item| {
            item.map(|item| {
                format!(
                    "{}/{}",
                    item["PK"].as_s().unwrap_or_default(),
                    item["SK"].as_s().unwrap_or_default()
                )
            })
        })
        .collect::<dynafile::Result<_>>()?;
    let mut sorted = sort_keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "user#1/order#2026-01-05",
            "user#1/order#2026-02-11",
            "user#1/profile",
            "user#2/profile",
            "user#3/profile"
        ]
    );
    assert!(db.check()?.is_ok());
    drop(db);

    // Run again on the same directory: it opens the table and does the same writes.
    example::run(&path)?;
    let db = Dynafile::open(&path)?;
    let bob = db.get_item(("user#1", "profile"))?.expect("still there");
    assert_eq!(
        bob["age"],
        43.into(),
        "the put rewrote the profile before the update"
    );
    assert!(matches!(
        db.put_item_with(
            &item! { "PK" => "user#2", "SK" => "profile" },
            dynafile::WriteOptions::new().condition("attribute_not_exists(PK)"),
        ),
        Err(Error::ConditionalCheckFailed { .. })
    ));
    Ok(())
}
