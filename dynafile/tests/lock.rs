//! One writer process (DESIGN.md promise 5): a table is held by one process at a time
//! through an advisory lock. Another process's open gets `Error::Locked`, naming the table,
//! and changes nothing; once the holder exits, by closing or by SIGKILL, the table opens
//! with what the holder wrote. Within a process, a second open while a handle lives is
//! `Error::Locked` too; clones of one handle share the open table.

mod crash_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crash_support::{child_command, child_param, is_child, wait_for_file, wait_success};
use dynafile::{Dynafile, Error, Item, KeyAttribute, KeySchema, KeyType, Result, item};

fn builder(dir: &Path) -> dynafile::Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
}

fn create(dir: &Path) {
    let db = builder(dir).open().expect("create");
    db.put_item(&item! { "PK" => "parent", "SK" => "1" })
        .expect("put");
    db.close().expect("close");
}

/// Every file under `dir` with its size.
fn listing(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read the directory") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("file type").is_dir() {
            files.extend(listing(&entry.path()));
        } else {
            let size = entry.metadata().expect("metadata").len();
            files.insert(entry.path(), size);
        }
    }
    files
}

#[track_caller]
fn assert_locked<T: std::fmt::Debug>(result: Result<T>, table: &Path) {
    let error = result.expect_err("the open must be refused");
    assert!(
        matches!(&error, Error::Locked { path } if path == table),
        "expected Error::Locked naming {}, got {error:?}",
        table.display()
    );
    let message = error.to_string();
    assert!(
        message.contains(&table.display().to_string()),
        "the message names the table: {message}"
    );
}

fn all_items(db: &Dynafile) -> Vec<Item> {
    db.scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan")
}

/// The child that opens the table, writes, says it is ready and holds the table until told
/// to stop: then it closes the table, or with `EXIT=abrupt` exits without closing.
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn lock_holder_child() {
    if !is_child() {
        return;
    }
    let dir = PathBuf::from(child_param("DIR").expect("DIR"));
    let ready = PathBuf::from(child_param("READY").expect("READY"));
    let stop = PathBuf::from(child_param("STOP").expect("STOP"));
    let db = builder(&dir).open().expect("the child opens the table");
    db.put_item(&item! { "PK" => "child", "SK" => "1" })
        .expect("put");
    std::fs::write(&ready, b"").expect("ready");
    while !stop.exists() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    if child_param("EXIT").as_deref() == Some("abrupt") {
        std::process::exit(0);
    }
    db.close().expect("close");
}

struct Holder {
    child: std::process::Child,
    stop: PathBuf,
    stderr: PathBuf,
}

/// Starts a child holding `table`, and returns once it holds it.
fn hold_in_child(work: &Path, table: &Path, exit: &str) -> Holder {
    let ready = work.join(format!("{exit}.ready"));
    let stop = work.join(format!("{exit}.stop"));
    let stderr = work.join(format!("{exit}.stderr"));
    let mut child = child_command(
        "lock_holder_child",
        &[
            ("DIR", table.display().to_string()),
            ("READY", ready.display().to_string()),
            ("STOP", stop.display().to_string()),
            ("EXIT", exit.to_owned()),
        ],
        &stderr,
    )
    .spawn()
    .expect("spawn the child");
    wait_for_file(&ready, &mut child, &stderr);
    Holder {
        child,
        stop,
        stderr,
    }
}

/// Opens that another process's lock refuses, and that change nothing.
fn assert_refused_by_holder(table: &Path) {
    let before = listing(table);
    assert_locked(Dynafile::open(table), table);
    assert_locked(builder(table).open(), table);
    assert_locked(
        builder(table)
            .durability(dynafile::Durability::Buffered)
            .open(),
        table,
    );
    assert_eq!(listing(table), before, "a refused open changed files");
}

fn expected_after_child() -> Vec<Item> {
    vec![
        item! { "PK" => "child", "SK" => "1" },
        item! { "PK" => "parent", "SK" => "1" },
    ]
}

fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by_key(|item| format!("{:?}", item["PK"]));
    items
}

#[test]
fn another_process_holding_the_table_locks_it_until_it_closes() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let table = work.path().join("table");
    create(&table);
    let holder = hold_in_child(work.path(), &table, "close");
    assert_refused_by_holder(&table);
    std::fs::write(&holder.stop, b"").expect("tell the child to stop");
    wait_success(holder.child, &holder.stderr);
    let db = Dynafile::open(&table).expect("open once the holder closed");
    assert_eq!(sorted(all_items(&db)), expected_after_child());
    assert!(db.check().expect("check").is_ok());
}

#[test]
fn another_process_holding_the_table_locks_it_until_it_exits_without_closing() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let table = work.path().join("table");
    create(&table);
    let holder = hold_in_child(work.path(), &table, "abrupt");
    assert_refused_by_holder(&table);
    std::fs::write(&holder.stop, b"").expect("tell the child to stop");
    wait_success(holder.child, &holder.stderr);
    let db = Dynafile::open(&table).expect("open once the holder exited");
    assert_eq!(sorted(all_items(&db)), expected_after_child());
    assert!(db.check().expect("check").is_ok());
}

#[cfg(unix)]
#[test]
fn another_process_holding_the_table_locks_it_until_it_is_killed() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let table = work.path().join("table");
    create(&table);
    let mut holder = hold_in_child(work.path(), &table, "killed");
    assert_refused_by_holder(&table);
    holder.child.kill().expect("SIGKILL the holder");
    holder.child.wait().expect("reap the holder");
    let db = Dynafile::open(&table).expect("open once the holder was killed");
    // The child's put was durable before it said it was ready.
    assert_eq!(sorted(all_items(&db)), expected_after_child());
    assert!(db.check().expect("check").is_ok());
}

#[test]
fn a_second_open_in_one_process_is_locked_while_any_clone_lives() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let table = work.path().join("table");
    let db = builder(&table).open().expect("create");
    assert_locked(Dynafile::open(&table), &table);
    assert_locked(builder(&table).open(), &table);

    // Clones share the open table, from any thread.
    let clone = db.clone();
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let db = db.clone();
            std::thread::spawn(move || {
                db.put_item(&item! { "PK" => "thread", "SK" => n.to_string() })
                    .expect("put from a clone")
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread");
    }
    clone
        .put_item(&item! { "PK" => "clone", "SK" => "1" })
        .expect("put");
    assert_eq!(all_items(&db).len(), 5);

    // The table stays open, and locked, while any handle lives.
    drop(db);
    assert_eq!(
        clone.get_item(("thread", "3")).expect("get"),
        Some(item! { "PK" => "thread", "SK" => "3" })
    );
    assert_locked(Dynafile::open(&table), &table);
    let last = clone.clone();
    clone
        .close()
        .expect("close checkpoints; the last clone keeps the table open");
    assert_locked(Dynafile::open(&table), &table);
    last.put_item(&item! { "PK" => "last", "SK" => "1" })
        .expect("put after another clone closed");
    drop(last);

    let db = Dynafile::open(&table).expect("open once every handle is gone");
    assert_eq!(all_items(&db).len(), 6);
    assert!(db.check().expect("check").is_ok());
}

#[test]
fn a_refused_open_with_another_schema_changes_nothing() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let table = work.path().join("table");
    let db = builder(&table).open().expect("create");
    // The lock refuses before the schema is compared, and nothing is written.
    let before = listing(&table);
    let other = Dynafile::builder(&table)
        .partition_key("id", KeyType::N)
        .open();
    assert_locked(other, &table);
    assert_eq!(listing(&table), before);
    drop(db);
    let reopened = Dynafile::open(&table).expect("reopen");
    assert_eq!(
        reopened.key_schema(),
        &KeySchema {
            partition_key: KeyAttribute::new("PK", KeyType::S),
            sort_key: Some(KeyAttribute::new("SK", KeyType::S)),
        }
    );
}
