//! Kill -9 during an index backfill: whatever moment the kill lands on, the index that
//! reopening the table finishes building is exactly the index of the table's items.
//!
//! Each round, the parent fills a new table with a few thousand items (some without the
//! index key, a sparse index; some whose index key has the wrong type, which the backfill
//! leaves out), then a child process (this test binary, re-executed) opens it, starts
//! writing from a thread (puts, updates that move or remove the index key, deletes), and
//! calls `add_global_index`. The parent kills it with SIGKILL at a random moment: before
//! the index is declared, while it is filled, or after. The parent then opens the table,
//! which resumes an unfinished backfill before `open` returns (or adds the index itself when
//! the child died before declaring it), and checks that the index holds exactly one entry
//! per item with the index's key attributes, projected, and that `info` reports it active
//! with that many entries.
//!
//! A few rounds by default; `DYNAFILE_TEST_ROUNDS=<n>` soaks.
#![cfg(unix)]

mod crash_support;

use std::path::Path;
use std::time::Duration;

use crash_support::{
    Rng, child_command, child_param, is_child, kill9, rounds, seed, serial, wait_for_file,
};
use dynafile::{Builder, Dynafile, IndexProjection, IndexStatus, Item, Key, KeyType, Value, item};

const CHILD_TEST: &str = "backfill_crash_child";
const ROUNDS: u64 = 4;
const ITEMS: u64 = 3000;
const INDEX: &str = "by_g";

/// A small memtable, so checkpoints write partition files of both keyspaces during the
/// backfill.
fn builder(dir: &Path) -> Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .memtable_size(32 << 10)
}

fn add_index(db: &Dynafile) -> dynafile::Result<()> {
    db.add_global_index(
        INDEX,
        "g",
        KeyType::S,
        Some(("n", KeyType::N)),
        IndexProjection::Include(vec!["v".into()]),
    )
}

fn key_name(i: u64) -> String {
    format!("item#{i:05}")
}

/// The table before the backfill: one item in ten has no `g` (no entry), one in 37 has a
/// number for `g` (the wrong type for the index: no entry either).
fn fill(dir: &Path) {
    let db = builder(dir).open().expect("create the table");
    let mut batch = db.batch_writer();
    for i in 0..ITEMS {
        let mut item =
            item! { "PK" => key_name(i), "n" => i % 50, "v" => i, "pad" => "x".repeat(100) };
        if i % 37 == 0 {
            item.insert("g", i);
        } else if i % 10 != 0 {
            item.insert("g", format!("g{}", i % 7));
        }
        batch.put_item(&item).expect("queue a put");
        if batch.len() == 500 {
            std::mem::replace(&mut batch, db.batch_writer())
                .commit()
                .expect("commit a batch");
        }
    }
    batch.commit().expect("commit a batch");
    db.close().expect("close the table");
}

/// Writes that the index must follow: puts with or without `g`, updates that move or
/// remove `g`, deletes. `g` is always a string, so none is refused once the index exists.
fn write_forever(db: &Dynafile, mut rng: Rng) {
    for i in 0u64.. {
        let name = key_name(rng.below(ITEMS + 200));
        let g = format!("g{}", rng.below(7));
        let result = match rng.below(8) {
            0..=2 => {
                let mut item = item! { "PK" => name, "n" => rng.below(50), "v" => 10_000 + i };
                if rng.percent(80) {
                    item.insert("g", g);
                }
                db.put_item(&item)
            }
            3 | 4 => db
                .update_item(Key::new(name), "SET g = :g, v = :v")
                .value(":g", g)
                .value(":v", 10_000 + i)
                .execute()
                .map(drop),
            5 => db
                .update_item(Key::new(name), "REMOVE g")
                .execute()
                .map(drop),
            _ => db.delete_item(Key::new(name)),
        };
        result.expect("write");
    }
}

#[test]
#[ignore = "run by backfill_resumed_after_kill9_matches_the_items as its child"]
fn backfill_crash_child() {
    if !is_child() {
        return;
    }
    let dir = child_param("DIR").expect("the table directory");
    let dir = Path::new(&dir);
    let seed: u64 = child_param("SEED")
        .expect("the seed")
        .parse()
        .expect("a seed");
    let db = builder(dir).open().expect("open the table");
    let writer_db = db.clone();
    let _writer = std::thread::spawn(move || write_forever(&writer_db, Rng::new(seed)));
    std::fs::write(dir.join("ready"), b"").expect("ready file");
    add_index(&db).expect("add the index");
    std::fs::write(dir.join("built"), b"").expect("built file");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The index entry `item` should have: its keys, `g`, `n` and `v`; none without a string
/// `g` and a number `n`.
fn expected_entry(item: &Item) -> Option<Item> {
    if !matches!(item.get("g"), Some(Value::S(_))) || !matches!(item.get("n"), Some(Value::N(_))) {
        return None;
    }
    let mut entry = Item::new();
    for name in ["PK", "g", "n", "v"] {
        if let Some(value) = item.get(name) {
            entry.insert(name, value.clone());
        }
    }
    Some(entry)
}

fn by_key(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| a["PK"].as_s().cmp(&b["PK"].as_s()));
    items
}

/// Opens the table after the kill and checks its index against its items; returns whether
/// the child had declared the index.
fn verify(dir: &Path, round: u64) -> bool {
    let db = builder(dir).open().expect("reopen after the kill");
    let declared = db
        .info()
        .expect("info")
        .indexes
        .iter()
        .any(|index| index.name == INDEX);
    if !declared {
        add_index(&db).expect("add the index the child did not get to declare");
    }
    let items: Vec<Item> = db
        .scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan the table");
    let expected = by_key(items.iter().filter_map(expected_entry).collect());
    let indexed: Vec<Item> = db
        .scan()
        .index(INDEX)
        .iter()
        .and_then(|entries| entries.collect())
        .expect("scan the index");
    let indexed = by_key(indexed);
    assert_eq!(
        indexed.len(),
        expected.len(),
        "round {round}: index entries against items with the index key"
    );
    assert_eq!(
        indexed, expected,
        "round {round}: the index is not the index of the table's items"
    );
    let info = db.info().expect("info");
    let index = info
        .indexes
        .iter()
        .find(|index| index.name == INDEX)
        .expect("the index in info");
    assert_eq!(
        (index.status, index.item_count),
        (IndexStatus::Active, expected.len() as u64),
        "round {round}: the index in info"
    );
    let report = db.check().expect("check");
    assert!(report.is_ok(), "round {round}: check: {report}");
    db.close().expect("close");
    declared
}

#[test]
fn backfill_resumed_after_kill9_matches_the_items() {
    let _serial = serial();
    let seed = seed();
    eprintln!("backfill_resumed_after_kill9_matches_the_items seed {seed}");
    let mut rng = Rng::new(seed);
    let temp = tempfile::tempdir().expect("tempdir");
    let stderr_file = temp.path().join("child.stderr");
    let (mut declared, mut built) = (0, 0);
    for round in 0..rounds(ROUNDS) {
        let dir = temp.path().join(format!("db-{round}"));
        fill(&dir);
        let mut child = child_command(
            CHILD_TEST,
            &[
                ("DIR", dir.display().to_string()),
                ("SEED", rng.next_u64().to_string()),
            ],
            &stderr_file,
        )
        .spawn()
        .expect("spawn the child");
        wait_for_file(&dir.join("ready"), &mut child, &stderr_file);
        std::thread::sleep(Duration::from_millis(rng.between(0, 400)));
        kill9(&mut child, &stderr_file);
        built += u64::from(dir.join("built").exists());
        declared += u64::from(verify(&dir, round));
    }
    eprintln!(
        "{} rounds: the child had declared the index in {declared}, finished it in {built}",
        rounds(ROUNDS)
    );
}
