//! Batches through the public API: atomic commit of puts and deletes, the order of
//! operations within a batch, empty and dropped batches, bad items, and batch reads.

mod common;

use common::{assert_invalid, scan_all, string_table};
use dynafile::{Durability, Dynafile, Item, Key, Result, Value, item};

#[test]
fn a_batch_commits_puts_and_deletes_together() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "old", "SK" => "1" })?;
    db.put_item(&item! { "PK" => "old", "SK" => "2" })?;
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "1", "SK" => "a", "v" => 1 })?;
    batch.put_item(&item! { "PK" => "2", "SK" => "a", "v" => 2 })?;
    batch.delete_item(("old", "1"))?;
    batch.put_item(&item! { "PK" => "old", "SK" => "2", "v" => "replaced" })?;
    assert_eq!(batch.len(), 4);
    assert!(!batch.is_empty());
    // Nothing is visible before the commit.
    assert_eq!(db.get_item(("1", "a"))?, None);
    assert_eq!(
        db.get_item(("old", "1"))?,
        Some(item! { "PK" => "old", "SK" => "1" })
    );
    batch.commit()?;
    assert_eq!(
        db.get_item(("1", "a"))?,
        Some(item! { "PK" => "1", "SK" => "a", "v" => 1 })
    );
    assert_eq!(
        db.get_item(("2", "a"))?,
        Some(item! { "PK" => "2", "SK" => "a", "v" => 2 })
    );
    assert_eq!(db.get_item(("old", "1"))?, None);
    assert_eq!(
        db.get_item(("old", "2"))?,
        Some(item! { "PK" => "old", "SK" => "2", "v" => "replaced" })
    );
    assert_eq!(scan_all(&db)?.len(), 3);
    // And after a reopen (the batch replayed from the log).
    let path = db.path().to_owned();
    drop(db);
    let db = Dynafile::open(&path)?;
    assert_eq!(scan_all(&db)?.len(), 3);
    assert_eq!(db.get_item(("old", "1"))?, None);
    Ok(())
}

#[test]
fn operations_on_one_key_apply_in_order() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "3", "SK" => "x", "v" => 0 })?;
    let mut batch = db.batch_writer();
    // Put then delete: nothing.
    batch.put_item(&item! { "PK" => "1", "SK" => "1" })?;
    batch.delete_item(("1", "1"))?;
    // Two puts: the last wins.
    batch.put_item(&item! { "PK" => "2", "SK" => "1", "v" => 1 })?;
    batch.put_item(&item! { "PK" => "2", "SK" => "1", "v" => 2 })?;
    // Delete then put of an existing item: the put.
    batch.delete_item(("3", "x"))?;
    batch.put_item(&item! { "PK" => "3", "SK" => "x", "v" => 3 })?;
    batch.commit()?;
    assert_eq!(db.get_item(("1", "1"))?, None);
    assert_eq!(
        db.get_item(("2", "1"))?,
        Some(item! { "PK" => "2", "SK" => "1", "v" => 2 })
    );
    assert_eq!(
        db.get_item(("3", "x"))?,
        Some(item! { "PK" => "3", "SK" => "x", "v" => 3 })
    );
    assert_eq!(scan_all(&db)?.len(), 2);
    // The same holds once the batch is in a partition file, and after a reopen.
    db.checkpoint()?;
    assert_eq!(db.get_item(("1", "1"))?, None);
    assert_eq!(
        db.get_item(("2", "1"))?,
        Some(item! { "PK" => "2", "SK" => "1", "v" => 2 })
    );
    let path = db.path().to_owned();
    drop(db);
    let db = Dynafile::open(&path)?;
    assert_eq!(
        db.get_item(("2", "1"))?,
        Some(item! { "PK" => "2", "SK" => "1", "v" => 2 })
    );
    assert_eq!(scan_all(&db)?.len(), 2);
    Ok(())
}

/// BEHAVIOURS #50: the original grouped a batch's operations by consecutive runs of one
/// partition key into a dict, so an operation on key 1 followed by one on key 2 and another
/// on key 1 lost the first. Every operation is kept here (README, deviations).
#[test]
fn interleaved_operations_on_two_keys_are_all_kept() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "1", "SK" => "a" })?;
    batch.put_item(&item! { "PK" => "2", "SK" => "a" })?;
    batch.put_item(&item! { "PK" => "1", "SK" => "b" })?;
    batch.put_item(&item! { "PK" => "2", "SK" => "b" })?;
    batch.put_item(&item! { "PK" => "1", "SK" => "c" })?;
    batch.commit()?;
    let mut expected = vec![
        item! { "PK" => "1", "SK" => "a" },
        item! { "PK" => "1", "SK" => "b" },
        item! { "PK" => "1", "SK" => "c" },
        item! { "PK" => "2", "SK" => "a" },
        item! { "PK" => "2", "SK" => "b" },
    ];
    common::sort_table_order(&mut expected);
    assert_eq!(scan_all(&db)?, expected);

    // Interleaved deletes and puts of the same keys apply in order too.
    let mut batch = db.batch_writer();
    batch.delete_item(("1", "a"))?;
    batch.put_item(&item! { "PK" => "2", "SK" => "c" })?;
    batch.put_item(&item! { "PK" => "1", "SK" => "a", "v" => "back" })?;
    batch.delete_item(("2", "a"))?;
    batch.delete_item(("1", "b"))?;
    batch.put_item(&item! { "PK" => "2", "SK" => "a", "v" => "back" })?;
    batch.commit()?;
    let mut expected = vec![
        item! { "PK" => "1", "SK" => "a", "v" => "back" },
        item! { "PK" => "1", "SK" => "c" },
        item! { "PK" => "2", "SK" => "a", "v" => "back" },
        item! { "PK" => "2", "SK" => "b" },
        item! { "PK" => "2", "SK" => "c" },
    ];
    common::sort_table_order(&mut expected);
    assert_eq!(scan_all(&db)?, expected);
    Ok(())
}

#[test]
fn an_empty_batch_commits_nothing() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "1", "SK" => "1" })?;
    let batch = db.batch_writer();
    assert!(batch.is_empty());
    assert_eq!(batch.len(), 0);
    batch.commit()?;
    db.batch_writer()
        .durability(Durability::Buffered)
        .commit()?;
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "1", "SK" => "1" }]);
    Ok(())
}

#[test]
fn a_dropped_batch_writes_nothing() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "keep", "SK" => "1" })?;
    {
        let mut batch = db.batch_writer();
        batch.put_item(&item! { "PK" => "1", "SK" => "1" })?;
        batch.delete_item(("keep", "1"))?;
        drop(batch);
    }
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "keep", "SK" => "1" }]);
    let path = db.path().to_owned();
    drop(db);
    let db = Dynafile::open(&path)?;
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "keep", "SK" => "1" }]);
    Ok(())
}

#[test]
fn a_bad_item_fails_its_call_and_the_rest_commits() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "1", "SK" => "1" })?;
    assert_invalid(
        batch.put_item(&item! { "PK" => "1", "name" => "no sort key" }),
        Some("SK"),
        "the sort key is missing",
    );
    assert_invalid(
        batch.put_item(&item! { "PK" => 5, "SK" => "1" }),
        Some("PK"),
        "the partition key must be of type S, not N",
    );
    assert_invalid(
        batch.delete_item(("", "1")),
        Some("PK"),
        "must not be an empty string or binary",
    );
    assert_invalid(
        batch.put_item(
            &item! { "PK" => "1", "SK" => "2", "set" => Value::string_set(Vec::<String>::new()) },
        ),
        Some("set"),
        "set must not be empty",
    );
    batch.put_item(&item! { "PK" => "1", "SK" => "3" })?;
    assert_eq!(batch.len(), 2, "bad operations are not queued");
    batch.commit()?;
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "1", "SK" => "1" },
            item! { "PK" => "1", "SK" => "3" }
        ]
    );
    Ok(())
}

#[test]
fn a_large_batch_commits_whole() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let mut batch = db.batch_writer();
    for i in 0..2000 {
        batch.put_item(&item! { "PK" => format!("p{}", i % 37), "SK" => format!("{i:05}"), "pad" => "q".repeat(100) })?;
    }
    for i in (0..2000).step_by(2) {
        batch.delete_item((format!("p{}", i % 37), format!("{i:05}")))?;
    }
    batch.commit()?;
    assert_eq!(scan_all(&db)?.len(), 1000);
    db.checkpoint()?;
    assert_eq!(scan_all(&db)?.len(), 1000);
    assert_eq!(db.get_item(("p1", "00001"))?.map(|i| i.len()), Some(3));
    assert_eq!(db.get_item(("p2", "00002"))?, None);
    Ok(())
}

#[test]
fn batch_get_returns_one_entry_per_key_in_order() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let a = item! { "PK" => "1", "SK" => "a", "v" => 1 };
    let b = item! { "PK" => "2", "SK" => "b", "v" => 2 };
    db.put_item(&a)?;
    db.checkpoint()?;
    db.put_item(&b)?;
    let got = db.batch_get([
        Key::new("2").sort("b"),
        Key::new("1").sort("missing"),
        Key::new("1").sort("a"),
        Key::new("missing").sort("a"),
        Key::new("2").sort("b"),
    ])?;
    assert_eq!(
        got,
        vec![
            Some(b.clone()),
            None,
            Some(a.clone()),
            None,
            Some(b.clone())
        ]
    );
    assert_eq!(db.batch_get(Vec::<Key>::new())?, Vec::<Option<Item>>::new());
    assert_eq!(db.batch_get([("1", "a")])?, vec![Some(a.clone())]);
    // Items work as keys.
    assert_eq!(
        db.batch_get([&b, &a])?,
        vec![Some(b.clone()), Some(a.clone())]
    );
    // A bad key fails the whole call.
    assert_invalid(
        db.batch_get([Key::new("1").sort("a"), Key::new("1")]),
        Some("SK"),
        "the sort key is missing",
    );
    Ok(())
}

/// Writers keep the invariant that items "x" and "y" hold the same counter, by writing both
/// in one batch; readers must never see them differ, through batch_get, query or scan.
#[test]
fn batch_reads_see_batches_whole() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let pair = |n: i64| {
        [
            item! { "PK" => "pair", "SK" => "x", "n" => n },
            item! { "PK" => "pair", "SK" => "y", "n" => n },
        ]
    };
    for item in pair(0) {
        db.put_item(&item)?;
    }
    let rounds = 200;
    std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(|| -> Result<()> {
            for n in 1..=rounds {
                let mut batch = db.batch_writer().durability(Durability::Buffered);
                for item in pair(n) {
                    batch.put_item(&item)?;
                }
                batch.commit()?;
                if n % 50 == 0 {
                    db.checkpoint()?;
                }
            }
            Ok(())
        });
        let mut last_seen = 0;
        loop {
            let got = db.batch_get([("pair", "x"), ("pair", "y")])?;
            let counters: Vec<Option<Value>> = got
                .iter()
                .map(|item| item.as_ref().map(|i| i["n"].clone()))
                .collect();
            assert_eq!(counters[0], counters[1], "batch_get saw half a batch");
            let queried = common::collect(db.query("pair"))?;
            assert_eq!(queried.len(), 2);
            assert_eq!(queried[0]["n"], queried[1]["n"], "query saw half a batch");
            let scanned = scan_all(&db)?;
            assert_eq!(scanned.len(), 2);
            assert_eq!(scanned[0]["n"], scanned[1]["n"], "scan saw half a batch");
            let now = counters[0]
                .as_ref()
                .and_then(|v| v.as_n())
                .and_then(|n| n.to_i64())
                .unwrap_or(-1);
            assert!(
                now >= last_seen,
                "reads went back in time: {now} after {last_seen}"
            );
            last_seen = now;
            if writer.is_finished() {
                break;
            }
        }
        writer
            .join()
            .unwrap_or_else(|_| panic!("the writer thread panicked"))
    })?;
    assert_eq!(common::collect(db.query("pair"))?, pair(rounds).to_vec());
    Ok(())
}
