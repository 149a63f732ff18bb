//! Creating and opening tables through the public API: the builder, `Dynafile::open`,
//! `meta.json`, schema and name checks, and the lock.

mod common;

use std::path::Path;

use common::{assert_invalid, collect, scan_all, string_table};
use dynafile::{Dynafile, Error, FORMAT_VERSION, KeyAttribute, KeySchema, KeyType, Result, item};
use serde_json::json;

fn create(path: &Path) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::N)
        .open()
}

fn not_a_table(result: Result<Dynafile>) -> (std::path::PathBuf, String) {
    match result {
        Err(Error::NotATable { path, reason }) => (path, reason),
        Err(other) => panic!("expected Error::NotATable, got {other:?}"),
        Ok(db) => panic!("expected Error::NotATable, opened {db:?}"),
    }
}

#[test]
fn the_builder_creates_then_reopens() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("nested").join("orders");
    let db = create(&path)?;
    assert_eq!(db.name(), "orders");
    assert_eq!(db.path(), path.as_path());
    assert_eq!(
        db.key_schema(),
        &KeySchema {
            partition_key: KeyAttribute::new("PK", KeyType::S),
            sort_key: Some(KeyAttribute::new("SK", KeyType::N)),
        }
    );
    db.put_item(&item! { "PK" => "a", "SK" => 1 })?;
    drop(db);
    // The same builder opens it again.
    let db = create(&path)?;
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "a", "SK" => 1 }]);
    drop(db);
    // So does open(), reading the schema from meta.json.
    let db = Dynafile::open(&path)?;
    assert_eq!(
        db.key_schema().sort_key,
        Some(KeyAttribute::new("SK", KeyType::N))
    );
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "a", "SK" => 1 }]);
    drop(db);
    // And a builder with only a name.
    let db = Dynafile::builder(&path).name("orders").open()?;
    assert_eq!(db.name(), "orders");
    Ok(())
}

#[test]
fn an_existing_empty_directory_becomes_a_table() -> Result<()> {
    let dir = common::tempdir();
    let db = Dynafile::builder(dir.path())
        .partition_key("id", KeyType::B)
        .open()?;
    db.put_item(&item! { "id" => vec![1u8] })?;
    assert_eq!(scan_all(&db)?, vec![item! { "id" => vec![1u8] }]);
    Ok(())
}

#[test]
fn opening_what_is_not_a_table() -> Result<()> {
    let dir = common::tempdir();
    // A missing directory.
    let missing = dir.path().join("missing");
    let (path, reason) = not_a_table(Dynafile::open(&missing));
    assert_eq!(path, missing);
    assert!(reason.contains("the directory does not exist"), "{reason}");
    let message = Error::NotATable { path, reason }.to_string();
    assert!(message.starts_with(&format!("{} is not a dynafile table", missing.display())));
    assert!(!missing.exists(), "open() creates nothing");

    // A directory without meta.json.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap_or_else(|e| panic!("{e}"));
    let (path, reason) = not_a_table(Dynafile::open(&empty));
    assert_eq!(path, empty);
    assert!(reason.contains("it has no meta.json"), "{reason}");

    // A directory holding other things, opened or "created".
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(other.join("notes.txt"), "hello").unwrap_or_else(|e| panic!("{e}"));
    let (path, reason) = not_a_table(Dynafile::open(&other));
    assert_eq!(path, other);
    assert!(reason.contains("it has no meta.json"), "{reason}");
    let (path, reason) = not_a_table(create(&other));
    assert_eq!(path, other);
    assert!(reason.contains("it is not empty"), "{reason}");
    assert!(reason.contains("notes.txt"), "{reason}");
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt"))
            .ok()
            .as_deref(),
        Some("hello")
    );
    assert!(!other.join("meta.json").exists());

    // A builder without a partition key cannot create.
    let (path, reason) = not_a_table(Dynafile::builder(dir.path().join("new")).open());
    assert_eq!(path, dir.path().join("new"));
    assert!(
        reason.contains("give a partition key to create a table"),
        "{reason}"
    );
    Ok(())
}

#[test]
fn schema_mismatches_name_both_schemas() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    drop(create(&path)?);
    let stored = "partition key PK (S), sort key SK (N)";
    let cases = [
        (
            Dynafile::builder(&path)
                .partition_key("id", KeyType::S)
                .sort_key("SK", KeyType::N),
            "partition key id (S), sort key SK (N)",
        ),
        (
            Dynafile::builder(&path)
                .partition_key("PK", KeyType::N)
                .sort_key("SK", KeyType::N),
            "partition key PK (N), sort key SK (N)",
        ),
        (
            Dynafile::builder(&path)
                .partition_key("PK", KeyType::S)
                .sort_key("SK", KeyType::S),
            "partition key PK (S), sort key SK (S)",
        ),
        (
            Dynafile::builder(&path)
                .partition_key("PK", KeyType::S)
                .sort_key("other", KeyType::N),
            "partition key PK (S), sort key other (N)",
        ),
        (
            Dynafile::builder(&path).partition_key("PK", KeyType::S),
            "partition key PK (S), no sort key",
        ),
    ];
    for (builder, requested) in cases {
        let message = assert_invalid(builder.open(), None, stored);
        assert!(message.contains(requested), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    // The other way round: a sort key asked of a table without one.
    let plain = dir.path().join("plain");
    drop(
        Dynafile::builder(&plain)
            .partition_key("PK", KeyType::S)
            .open()?,
    );
    let message = assert_invalid(
        Dynafile::builder(&plain)
            .partition_key("PK", KeyType::S)
            .sort_key("SK", KeyType::S)
            .open(),
        None,
        "partition key PK (S), no sort key",
    );
    assert!(
        message.contains("partition key PK (S), sort key SK (S)"),
        "{message}"
    );
    // The tables still open with their own schemas.
    drop(create(&path)?);
    drop(
        Dynafile::builder(&plain)
            .partition_key("PK", KeyType::S)
            .open()?,
    );
    Ok(())
}

#[test]
fn names() -> Result<()> {
    let dir = common::tempdir();
    // Default: the directory's name.
    let db = create(&dir.path().join("orders"))?;
    assert_eq!(db.name(), "orders");
    drop(db);
    // Of the directory itself, however the path spells it.
    std::fs::create_dir(dir.path().join("dir")).unwrap_or_else(|e| panic!("{e}"));
    let db = Dynafile::builder(dir.path().join("dir").join("."))
        .partition_key("PK", KeyType::S)
        .open()?;
    assert_eq!(db.name(), "dir");
    drop(db);
    // A given name.
    let path = dir.path().join("named");
    let db = Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .name("Customers")
        .open()?;
    assert_eq!(db.name(), "Customers");
    drop(db);
    assert_eq!(Dynafile::open(&path)?.name(), "Customers");
    let message = assert_invalid(
        Dynafile::builder(&path).name("Orders").open(),
        None,
        "the table is named \"Customers\", not \"Orders\"",
    );
    assert!(!message.is_empty());
    assert_eq!(
        Dynafile::builder(&path).name("Customers").open()?.name(),
        "Customers"
    );
    assert_invalid(
        Dynafile::builder(dir.path().join("unnamed"))
            .partition_key("PK", KeyType::S)
            .name("")
            .open(),
        None,
        "the table name must not be empty",
    );
    Ok(())
}

#[test]
fn meta_json_holds_format_version_name_and_key_schema() -> Result<()> {
    let dir = common::tempdir();
    let read = |path: &Path| -> serde_json::Value {
        let text = std::fs::read_to_string(path.join("meta.json"))
            .unwrap_or_else(|e| panic!("read meta.json: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("meta.json is JSON: {e}"))
    };
    let path = dir.path().join("users");
    drop(create(&path)?);
    assert_eq!(FORMAT_VERSION, 1);
    assert_eq!(
        read(&path),
        json!({
            "format_version": 1,
            "name": "users",
            "key_schema": {
                "partition_key": {"name": "PK", "type": "S"},
                "sort_key": {"name": "SK", "type": "N"},
            },
        })
    );
    let path = dir.path().join("plain");
    drop(
        Dynafile::builder(&path)
            .partition_key("id", KeyType::B)
            .name("Blobs")
            .open()?,
    );
    assert_eq!(
        read(&path),
        json!({
            "format_version": 1,
            "name": "Blobs",
            "key_schema": {
                "partition_key": {"name": "id", "type": "B"},
                "sort_key": null,
            },
        })
    );
    Ok(())
}

#[test]
fn a_second_open_in_the_same_process_is_locked() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = create(&path)?;
    db.put_item(&item! { "PK" => "a", "SK" => 1 })?;
    for second in [Dynafile::open(&path), create(&path)] {
        match second {
            Err(Error::Locked { path: locked }) => {
                assert_eq!(locked, path);
                let message = Error::Locked { path: locked }.to_string();
                assert!(message.contains("is locked"), "{message}");
            }
            other => panic!("expected Error::Locked, got {other:?}"),
        }
    }
    // A clone shares the open table; the table stays open while a clone lives.
    let clone = db.clone();
    drop(db);
    assert!(matches!(Dynafile::open(&path), Err(Error::Locked { .. })));
    assert_eq!(scan_all(&clone)?, vec![item! { "PK" => "a", "SK" => 1 }]);
    // close() of one handle leaves the others working.
    let other = clone.clone();
    clone.close()?;
    assert_eq!(scan_all(&other)?, vec![item! { "PK" => "a", "SK" => 1 }]);
    other.put_item(&item! { "PK" => "b", "SK" => 2 })?;
    drop(other);
    // Once every handle is gone the table opens again.
    let db = Dynafile::open(&path)?;
    assert_eq!(scan_all(&db)?.len(), 2);
    Ok(())
}

#[test]
fn partition_and_sort_key_need_different_names() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    assert_invalid(
        Dynafile::builder(&path)
            .partition_key("id", KeyType::S)
            .sort_key("id", KeyType::N)
            .open(),
        None,
        "the partition key and the sort key must have different names",
    );
    assert!(!path.join("meta.json").exists(), "no table was created");
    // The directory can still become a table.
    let db = Dynafile::builder(&path)
        .partition_key("id", KeyType::S)
        .open()?;
    assert_eq!(db.key_schema().sort_key, None);
    Ok(())
}

#[test]
fn open_reports_the_path_as_given() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = create(&path)?;
    assert_eq!(db.path(), path.as_path());
    let shown = format!("{db:?}");
    assert!(shown.contains("\"db\""), "{shown}");
    Ok(())
}

#[test]
fn a_sort_key_without_a_partition_key_is_an_error() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    drop(create(&path)?);
    // The stored sort key is SK (N): asking for another must not pass unchecked.
    for sort_type in [KeyType::S, KeyType::N] {
        assert_invalid(
            Dynafile::builder(&path).sort_key("SK", sort_type).open(),
            None,
            "a sort key was given without a partition key",
        );
    }
    let missing = dir.path().join("missing");
    assert_invalid(
        Dynafile::builder(&missing)
            .sort_key("SK", KeyType::S)
            .open(),
        None,
        "a sort key was given without a partition key",
    );
    assert!(!missing.exists(), "nothing was created");
    Ok(())
}

#[test]
fn an_invalid_schema_creates_nothing() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    assert_invalid(
        Dynafile::builder(&path)
            .partition_key("id", KeyType::S)
            .sort_key("id", KeyType::S)
            .open(),
        None,
        "the partition key and the sort key must have different names",
    );
    assert!(!path.exists(), "no directory was created");
    assert_invalid(
        Dynafile::builder(&path)
            .partition_key("id", KeyType::S)
            .name("")
            .open(),
        None,
        "the table name must not be empty",
    );
    assert!(!path.exists(), "no directory was created");
    Ok(())
}

#[test]
fn a_newer_or_malformed_meta_json_is_refused() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    drop(create(&path)?);
    let meta_path = path.join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap_or_else(|e| panic!("{e}"));
    let write = |text: &str| std::fs::write(&meta_path, text).unwrap_or_else(|e| panic!("{e}"));

    write(&meta.replace("\"format_version\": 1", "\"format_version\": 2"));
    let error = match Dynafile::open(&path) {
        Err(error) => error,
        Ok(db) => panic!("expected Error::Incompatible, opened {db:?}"),
    };
    assert_eq!(
        error.to_string(),
        format!(
            "{} has format version 2; this version of dynafile reads up to 1",
            meta_path.display()
        )
    );
    match error {
        Error::Incompatible {
            path: file,
            found,
            supported,
        } => assert_eq!((file, found, supported), (meta_path.clone(), 2, 1)),
        other => panic!("expected Error::Incompatible, got {other:?}"),
    }
    for (text, needle) in [
        ("{not json", "malformed meta.json"),
        (
            "{\"format_version\": 1, \"name\": \"db\"}",
            "missing field `key_schema`",
        ),
    ] {
        write(text);
        match Dynafile::open(&path) {
            Err(Error::Corrupt { file, reason, .. }) => {
                assert_eq!(file, meta_path);
                assert!(reason.contains(needle), "{reason}");
            }
            other => panic!("expected Error::Corrupt, got {other:?}"),
        }
    }
    // Put back, the table opens as before.
    write(&meta);
    drop(Dynafile::open(&path)?);
    Ok(())
}

#[test]
fn a_file_is_not_a_table() -> Result<()> {
    let dir = common::tempdir();
    let file = dir.path().join("file");
    std::fs::write(&file, "data").unwrap_or_else(|e| panic!("{e}"));
    for result in [Dynafile::open(&file), create(&file)] {
        let (path, reason) = not_a_table(result);
        assert_eq!(path, file);
        assert_eq!(reason, "it is not a directory");
    }
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some("data"),
        "the file is untouched"
    );
    Ok(())
}

/// A key attribute named "" made a table no item could be put into (every item would need
/// an attribute with an empty name, which items may not have). DynamoDB allows key attribute
/// names of 1 to 255 bytes.
#[test]
fn key_attribute_names_are_1_to_255_bytes() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let cases = [
        (
            Dynafile::builder(&path).partition_key("", KeyType::S),
            "the partition key name must not be empty",
        ),
        (
            Dynafile::builder(&path)
                .partition_key("PK", KeyType::S)
                .sort_key("", KeyType::S),
            "the sort key name must not be empty",
        ),
        (
            Dynafile::builder(&path).partition_key("p".repeat(256), KeyType::S),
            "the partition key name is 256 bytes, more than the maximum of 255",
        ),
        (
            Dynafile::builder(&path)
                .partition_key("PK", KeyType::S)
                .sort_key("ü".repeat(128), KeyType::N),
            "the sort key name is 256 bytes, more than the maximum of 255",
        ),
    ];
    for (builder, message) in cases {
        assert_invalid(builder.open(), None, message);
        assert!(!path.exists(), "nothing was created for {message:?}");
    }
    // At the limit the table works.
    let longest = "k".repeat(255);
    let db = Dynafile::builder(&path)
        .partition_key(longest.clone(), KeyType::S)
        .sort_key("s", KeyType::S)
        .open()?;
    let item = item! { longest.clone() => "a", "s" => "b" };
    db.put_item(&item)?;
    assert_eq!(db.get_item(("a", "b"))?, Some(item));
    Ok(())
}

/// A partition file the manifest does not list (left by a checkpoint a crash interrupted) is
/// removed before the next checkpoint of a later process writes, not read, and not listed by
/// `check()`; opening the table does not list the directory for it.
#[test]
fn unlisted_partition_files_are_removed_before_the_next_checkpoint() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("db");
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "p", "SK" => "1", "v" => 1 })?;
    db.close()?;
    let partitions = path.join("partitions");
    let listed: Vec<_> = std::fs::read_dir(&partitions)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(listed.len(), 1);
    let orphan = partitions.join("00000000000fffff.dfp");
    std::fs::copy(&listed[0], &orphan).expect("plant an unlisted file");

    let db = Dynafile::open(&path)?;
    assert!(orphan.exists(), "opening does not look for unlisted files");
    assert!(db.check()?.is_ok());
    assert_eq!(
        db.get_item(("p", "1"))?,
        Some(item! { "PK" => "p", "SK" => "1", "v" => 1 })
    );
    db.put_item(&item! { "PK" => "p", "SK" => "2", "v" => 2 })?;
    db.checkpoint()?;
    assert!(!orphan.exists(), "the first checkpoint removes it");
    assert_eq!(collect(db.query("p"))?.len(), 2);
    Ok(())
}
