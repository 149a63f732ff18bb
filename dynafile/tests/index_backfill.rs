//! `add_global_index`: a global index added to a table that holds items, backfilled while
//! other threads write, usable once built, and kept across reopening.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{assert_invalid, collect, scan_all, tempdir};
use dynafile::{Dynafile, IndexProjection, Item, KeyType, Result, Value, item};

/// What an index on `group` (S) with all attributes must hold, from the table's items:
/// the items that have a string `group`, ordered by it (then by key).
fn expected_by_group(db: &Dynafile) -> Result<BTreeSet<(String, String)>> {
    Ok(scan_all(db)?
        .iter()
        .filter_map(|item| match (item.get("group"), &item["PK"]) {
            (Some(Value::S(group)), Value::S(pk)) => Some((group.clone(), pk.clone())),
            _ => None,
        })
        .collect())
}

fn indexed(db: &Dynafile) -> Result<BTreeSet<(String, String)>> {
    let entries: Vec<Item> = collect(db.scan().index("by_group"))?;
    let set: BTreeSet<_> = entries
        .iter()
        .map(|item| match (&item["group"], &item["PK"]) {
            (Value::S(group), Value::S(pk)) => (group.clone(), pk.clone()),
            other => panic!("unexpected entry {other:?}"),
        })
        .collect();
    assert_eq!(set.len(), entries.len(), "one entry per item");
    Ok(set)
}

#[test]
fn a_new_index_is_backfilled_while_writes_go_on() -> Result<()> {
    let dir = tempdir();
    let db = Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .memtable_size(64 << 10)
        .open()?;
    for i in 0..3000 {
        let mut item = item! { "PK" => format!("u{i}"), "pad" => "x".repeat(40) };
        if i % 3 != 0 {
            item.insert("group".to_owned(), Value::S(format!("g{}", i % 7)));
        }
        db.put_item(&item)?;
    }
    assert_invalid(collect(db.scan().index("by_group")), None, "no index named");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| -> Result<()> {
        let writer = s.spawn(|| -> Result<u32> {
            let mut round = 0u32;
            while !stop.load(Ordering::Acquire) || round < 200 {
                let i = round % 3000;
                let key = format!("u{i}");
                match round % 4 {
                    0 => db.delete_item(dynafile::Key::new(key.as_str()))?,
                    1 => {
                        db.put_item(&item! { "PK" => key, "group" => format!("n{}", round % 5) })?
                    }
                    2 => db.put_item(&item! { "PK" => key })?,
                    _ => db
                        .update_item(dynafile::Key::new(key.as_str()), "SET #g = :g")
                        .name("#g", "group")
                        .value(":g", "moved")
                        .execute()
                        .map(drop)?,
                }
                round += 1;
            }
            Ok(round)
        });
        db.add_global_index("by_group", "group", KeyType::S, None, IndexProjection::All)?;
        stop.store(true, Ordering::Release);
        let rounds = writer.join().expect("the writer thread")?;
        assert!(rounds >= 200);
        Ok(())
    })?;
    assert_eq!(indexed(&db)?, expected_by_group(&db)?);
    let moved: Vec<Item> = collect(db.query("moved").index("by_group"))?;
    assert!(!moved.is_empty());
    assert!(db.check()?.is_ok());
    // A second index with the same name is refused; the index is in meta.json.
    assert_invalid(
        db.add_global_index("by_group", "other", KeyType::S, None, IndexProjection::All),
        None,
        "already has an index named",
    );
    let path = db.path().to_owned();
    drop(db);
    let meta = std::fs::read_to_string(path.join("meta.json")).expect("meta.json");
    assert!(meta.contains("\"by_group\""), "{meta}");
    assert!(!meta.contains("building"), "{meta}");
    let db = Dynafile::builder(&path).open()?;
    assert_eq!(indexed(&db)?, expected_by_group(&db)?);
    db.put_item(&item! { "PK" => "new", "group" => "g1" })?;
    assert!(indexed(&db)?.contains(&("g1".to_owned(), "new".to_owned())));
    Ok(())
}

#[test]
fn an_index_left_building_by_a_crash_is_finished_on_reopen() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .open()?;
    for i in 0..50 {
        db.put_item(&item! { "PK" => format!("u{i}"), "group" => format!("g{}", i % 4) })?;
    }
    db.add_global_index("by_group", "group", KeyType::S, None, IndexProjection::All)?;
    db.close()?;
    // As a crash during the backfill leaves meta.json: the index marked building.
    let meta_path = path.join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).expect("meta.json");
    let building = meta.replace(
        "\"projection\": \"ALL\"",
        "\"projection\": \"ALL\",\n      \"building\": true",
    );
    assert_ne!(building, meta);
    std::fs::write(&meta_path, building).expect("write meta.json");
    let db = Dynafile::builder(&path).open()?;
    assert_eq!(indexed(&db)?, expected_by_group(&db)?);
    assert_eq!(indexed(&db)?.len(), 50);
    let meta = std::fs::read_to_string(&meta_path).expect("meta.json");
    assert!(!meta.contains("building"), "{meta}");
    Ok(())
}
