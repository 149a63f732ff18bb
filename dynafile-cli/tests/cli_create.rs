//! `dynafile create`: the table it makes, its message, and its errors (exit 1) and usage
//! errors (exit 2).

mod common;

use common::{dynafile, with_table};
use dynafile::{KeyAttribute, KeySchema, KeyType};

#[test]
fn create_makes_the_table_described() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("orders");
    let stdout = dynafile([
        "create".as_ref(),
        path.as_os_str(),
        "--pk".as_ref(),
        "customer".as_ref(),
        "--sk".as_ref(),
        "placed:N".as_ref(),
        "--name".as_ref(),
        "Orders".as_ref(),
    ])
    .ok()
    .to_owned();
    assert_eq!(
        stdout,
        format!(
            "created table \"Orders\" in {} (partition key customer (S), sort key placed (N))\n",
            path.display()
        )
    );
    let (name, schema) = with_table(&path, |db| (db.name().to_owned(), db.key_schema().clone()));
    assert_eq!(name, "Orders");
    assert_eq!(
        schema,
        KeySchema {
            partition_key: KeyAttribute::new("customer", KeyType::S),
            sort_key: Some(KeyAttribute::new("placed", KeyType::N)),
        }
    );
}

#[test]
fn create_with_ttl_makes_a_table_whose_items_expire() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("sessions");
    dynafile([
        "create".as_ref(),
        path.as_os_str(),
        "--pk".as_ref(),
        "id".as_ref(),
        "--ttl".as_ref(),
        "expires_at".as_ref(),
    ])
    .ok();
    let (attribute, visible) = with_table(&path, |db| {
        // A minute ago: past, and well within the five years an expiry may be old.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        db.put_item(&dynafile::item! { "id" => "old", "expires_at" => now - 60 })
            .expect("put");
        let visible = db.get_item(dynafile::Key::new("old")).expect("get");
        (db.ttl_attribute(), visible)
    });
    assert_eq!(attribute.as_deref(), Some("expires_at"));
    assert_eq!(visible, None);
}

#[test]
fn create_takes_every_key_type_and_names_with_colons() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (spec, expected) in [
        ("id:S", KeyAttribute::new("id", KeyType::S)),
        ("id:n", KeyAttribute::new("id", KeyType::N)),
        ("id:B", KeyAttribute::new("id", KeyType::B)),
        ("a:b:S", KeyAttribute::new("a:b", KeyType::S)),
    ] {
        let path = dir.path().join(spec.replace(':', "_"));
        dynafile([
            "create".as_ref(),
            path.as_os_str(),
            "--pk".as_ref(),
            spec.as_ref(),
        ])
        .ok();
        let (name, schema) =
            with_table(&path, |db| (db.name().to_owned(), db.key_schema().clone()));
        assert_eq!(schema.partition_key, expected, "{spec}");
        assert_eq!(schema.sort_key, None, "{spec}");
        // The default name is the directory's.
        assert_eq!(name, spec.replace(':', "_"));
    }
}

#[test]
fn create_refuses_an_existing_table_or_a_full_directory() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("t");
    let create = || {
        dynafile([
            "create".as_ref(),
            path.as_os_str(),
            "--pk".as_ref(),
            "PK".as_ref(),
        ])
    };
    create().ok();
    assert_eq!(
        create().failed(1),
        format!("error: {} already holds a table\n", path.display())
    );

    let full = dir.path().join("full");
    std::fs::create_dir(&full).expect("directory");
    std::fs::write(full.join("notes.txt"), "x").expect("file");
    let stderr = dynafile([
        "create".as_ref(),
        full.as_os_str(),
        "--pk".as_ref(),
        "PK".as_ref(),
    ])
    .failed(1)
    .to_owned();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");

    let same = dir.path().join("same");
    let stderr = dynafile([
        "create".as_ref(),
        same.as_os_str(),
        "--pk".as_ref(),
        "K".as_ref(),
        "--sk".as_ref(),
        "K".as_ref(),
    ])
    .failed(1)
    .to_owned();
    assert_eq!(
        stderr,
        "error: the partition key and the sort key must have different names\n"
    );
    assert!(!same.join("meta.json").exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("t");
    let stderr = dynafile([
        "create".as_ref(),
        path.as_os_str(),
        "--pk".as_ref(),
        "PK:X".as_ref(),
    ])
    .failed(2)
    .to_owned();
    assert!(
        stderr.starts_with(
            "error: invalid value 'PK:X' for '--pk <NAME[:TYPE]>': key type must be S, N or B, \
             not \"X\""
        ),
        "{stderr}"
    );
    assert!(!path.exists());
    for args in [
        vec!["create", "dir"],
        vec!["create"],
        vec!["frobnicate"],
        vec![],
        vec!["export"],
        vec!["import", "a", "b", "c"],
        vec!["export", "dir", "--bogus"],
    ] {
        let run = dynafile(&args);
        let stderr = run.failed(2);
        assert!(stderr.contains("Usage: dynafile"), "{args:?}: {stderr}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn commands_on_a_missing_table_exit_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("nothing");
    for command in ["import", "export", "info", "check"] {
        let run = dynafile([command.as_ref(), path.as_os_str()]);
        assert_eq!(
            run.failed(1),
            format!(
                "error: {} is not a dynafile table: the directory does not exist; give a \
                 partition key to create a table\n",
                path.display()
            ),
            "{command}"
        );
        assert_eq!(run.stdout, "", "{command}");
    }
}
