//! Many threads on one table: writers, readers and checkpoints at once.
//!
//! Threads check exact results for the partitions they own, invariants for the others', and
//! the final state exactly. Tables have small memtables, so checkpoints (freezes, runs,
//! merges, splits) run in the background while the threads work. No timing is asserted:
//! readers only have to make progress and see consistent snapshots.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use dynafile::{Durability, Dynafile, Item, Key, KeyType, Value, WriteOptions, item};

/// `Dynafile` is shared between threads by cloning it.
const _: () = {
    const fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Dynafile>();
};

/// A small deterministic random number generator (SplitMix64), one per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const THREADS: usize = 8;
const PARTITIONS_PER_THREAD: usize = 3;
const SORT_KEYS: u64 = 48;

fn partition(thread: usize, index: usize) -> String {
    format!("t{thread}-p{index}")
}

fn sort_key(n: u64) -> String {
    format!("{n:03}")
}

/// An item whose `check` attribute ties it to its key and version, so any reader can tell a
/// whole item from a torn or misplaced one.
fn versioned(pk: &str, sk: &str, owner: usize, version: u64) -> Item {
    item! {
        "PK" => pk,
        "SK" => sk,
        "owner" => owner,
        "v" => version,
        "check" => format!("{pk}/{sk}/{version}"),
        "pad" => "x".repeat(40),
    }
}

fn string(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(Value::S(s)) => s.clone(),
        other => panic!("attribute {name} is not a string: {other:?}"),
    }
}

fn int(item: &Item, name: &str) -> u64 {
    item.get(name)
        .and_then(Value::as_n)
        .and_then(dynafile::Number::to_u64)
        .unwrap_or_else(|| panic!("attribute {name} is not a number: {item:?}"))
}

/// The invariants every item read by anyone must meet.
fn assert_whole(item: &Item) {
    let (pk, sk, v) = (string(item, "PK"), string(item, "SK"), int(item, "v"));
    assert_eq!(string(item, "check"), format!("{pk}/{sk}/{v}"), "{item:?}");
    let owner = int(item, "owner") as usize;
    assert!(
        pk.starts_with(&format!("t{owner}-")),
        "item of {pk} owned by {owner}"
    );
}

/// The (sort key, version) pairs of a query's items, checking they are whole, of the
/// partition, and in strictly ascending (or descending) sort key order.
fn read_partition(db: &Dynafile, pk: &str, reverse: bool) -> Vec<(String, u64)> {
    let mut query = db.query(pk);
    if reverse {
        query = query.reverse();
    }
    let items: Vec<Item> = query.iter().unwrap().collect::<Result<_, _>>().unwrap();
    let pairs: Vec<(String, u64)> = items
        .iter()
        .map(|item| {
            assert_whole(item);
            assert_eq!(string(item, "PK"), pk);
            (string(item, "SK"), int(item, "v"))
        })
        .collect();
    let ordered = pairs.windows(2).all(|w| {
        if reverse {
            w[0].0 > w[1].0
        } else {
            w[0].0 < w[1].0
        }
    });
    assert!(
        ordered,
        "query of {pk} (reverse {reverse}) out of order: {pairs:?}"
    );
    pairs
}

fn open_table(path: &std::path::Path) -> Dynafile {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .memtable_size(16 << 10)
        .target_file_size(32 << 10)
        .block_size(1 << 10)
        .cache_size(256 << 10)
        .open()
        .unwrap()
}

/// What one worker thread does: random writes to its own partitions (checked exactly
/// against its own model), reads of everyone's (checked for invariants), and now and then a
/// checkpoint or a full check of the table.
fn worker(db: &Dynafile, me: usize, ops: usize) -> BTreeMap<(String, String), u64> {
    let mut rng = Rng(0x5eed + me as u64);
    let mut model: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut version = (me as u64) << 32;
    for step in 0..ops {
        let pk = partition(me, rng.below(PARTITIONS_PER_THREAD as u64) as usize);
        let sk = sort_key(rng.below(SORT_KEYS));
        // Group commit and background syncs both get their share.
        let options = if rng.below(4) == 0 {
            WriteOptions::new().durability(Durability::Immediate)
        } else {
            WriteOptions::new().durability(Durability::Buffered)
        };
        match rng.below(100) {
            0..=34 => {
                version += 1;
                let old = db
                    .put_item_with(
                        &versioned(&pk, &sk, me, version),
                        options.clone().return_old(),
                    )
                    .unwrap();
                let expected = model.insert((pk.clone(), sk.clone()), version);
                assert_eq!(old.map(|item| int(&item, "v")), expected, "old item of put");
            }
            35..=49 => {
                let old = db
                    .delete_item_with((pk.as_str(), sk.as_str()), options.return_old())
                    .unwrap();
                let expected = model.remove(&(pk.clone(), sk.clone()));
                assert_eq!(old.map(|item| int(&item, "v")), expected, "deleted item");
            }
            50..=59 => {
                let mut batch = db.batch_writer();
                for _ in 0..rng.below(12) {
                    let pk = partition(me, rng.below(PARTITIONS_PER_THREAD as u64) as usize);
                    let sk = sort_key(rng.below(SORT_KEYS));
                    if rng.below(3) == 0 {
                        batch.delete_item((pk.as_str(), sk.as_str())).unwrap();
                        model.remove(&(pk, sk));
                    } else {
                        version += 1;
                        batch.put_item(&versioned(&pk, &sk, me, version)).unwrap();
                        model.insert((pk, sk), version);
                    }
                }
                batch.commit().unwrap();
            }
            60..=69 => {
                let got = db.get_item((pk.as_str(), sk.as_str())).unwrap();
                if let Some(item) = &got {
                    assert_whole(item);
                }
                let expected = model.get(&(pk.clone(), sk.clone())).copied();
                assert_eq!(got.map(|item| int(&item, "v")), expected, "get {pk}/{sk}");
            }
            70..=79 => {
                let reverse = rng.below(2) == 0;
                let mut got = read_partition(db, &pk, reverse);
                if reverse {
                    got.reverse();
                }
                let expected: Vec<(String, u64)> = model
                    .range((pk.clone(), String::new())..)
                    .take_while(|((p, _), _)| *p == pk)
                    .map(|((_, sk), v)| (sk.clone(), *v))
                    .collect();
                assert_eq!(got, expected, "query of own partition {pk}");
            }
            80..=91 => {
                // Another thread's partition: consistent, but its contents are its owner's.
                let other = rng.below(THREADS as u64) as usize;
                let pk = partition(other, rng.below(PARTITIONS_PER_THREAD as u64) as usize);
                read_partition(db, &pk, rng.below(2) == 0);
                let got = db.get_item((pk.as_str(), sk.as_str())).unwrap();
                if let Some(item) = got {
                    assert_whole(&item);
                }
            }
            92..=95 => {
                // One scan segment: whole items, partitions contiguous and each sorted.
                let segment = rng.below(4) as u32;
                let mut seen: Vec<String> = Vec::new();
                let mut last: Option<(String, String)> = None;
                for item in db.scan().segment(segment, 4) {
                    let item = item.unwrap();
                    assert_whole(&item);
                    let key = (string(&item, "PK"), string(&item, "SK"));
                    if let Some((last_pk, last_sk)) = &last {
                        if *last_pk == key.0 {
                            assert!(*last_sk < key.1, "scan out of order in {last_pk}");
                        } else {
                            assert!(!seen.contains(&key.0), "partition {} split", key.0);
                            seen.push(last_pk.clone());
                        }
                    }
                    last = Some(key);
                }
            }
            96..=97 => db.checkpoint().unwrap(),
            _ => {
                if step % 2 == 0 {
                    let report = db.check().unwrap();
                    assert!(report.is_ok(), "check while others write: {report}");
                }
            }
        }
    }
    model
}

/// The whole table, as (partition, sort key) → version.
fn contents(db: &Dynafile) -> BTreeMap<(String, String), u64> {
    let mut all = BTreeMap::new();
    for item in db.scan() {
        let item = item.unwrap();
        assert_whole(&item);
        let key = (string(&item, "PK"), string(&item, "SK"));
        assert!(
            all.insert(key, int(&item, "v")).is_none(),
            "scan returned a key twice"
        );
    }
    all
}

#[test]
fn eight_threads_write_and_read_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = open_table(&path);
    let models: Vec<BTreeMap<(String, String), u64>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|me| {
                let db = db.clone();
                s.spawn(move || worker(&db, me, 1500))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected: BTreeMap<(String, String), u64> = models.into_iter().flatten().collect();
    assert!(expected.len() > 100, "the threads left items behind");
    assert_eq!(contents(&db), expected);
    for ((pk, sk), version) in expected.iter().step_by(7) {
        let item = db.get_item((pk.as_str(), sk.as_str())).unwrap().unwrap();
        assert_eq!(int(&item, "v"), *version);
    }
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{report}");
    db.close().unwrap();

    let db = open_table(&path);
    assert_eq!(contents(&db), expected, "after reopening");
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{report}");
}

const SNAPSHOT_ITEMS: usize = 10;

/// The versions of the snapshot partition's items as one read sees them: all ten must be
/// there with one version.
fn one_version(items: &[Item], what: &str) -> u64 {
    assert_eq!(items.len(), SNAPSHOT_ITEMS, "{what}: {items:?}");
    let versions: Vec<u64> = items.iter().map(|item| int(item, "version")).collect();
    assert!(
        versions.iter().all(|v| *v == versions[0]),
        "{what} saw a mix of versions: {versions:?}"
    );
    versions[0]
}

#[test]
fn queries_see_whole_batches_across_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .memtable_size(8 << 10)
        .target_file_size(16 << 10)
        .block_size(512)
        .durability(Durability::Buffered)
        .open()
        .unwrap();
    let keys: Vec<Key> = (0..SNAPSHOT_ITEMS)
        .map(|i| Key::new("snap").sort(format!("{i:02}")))
        .collect();
    let write_version = |db: &Dynafile, version: u64| {
        let mut batch = db.batch_writer();
        for key in &keys {
            let mut item = key.to_item(db.key_schema());
            item.insert("version", version);
            batch.put_item(&item).unwrap();
        }
        batch.commit().unwrap();
    };
    write_version(&db, 0);

    // Two writers each commit BATCHES batches to the snapshot partition; writer `w`'s
    // batch `i` writes version `2 i + w`, so a version tells whose batch it is and which.
    const BATCHES: u64 = 1000;
    let done = AtomicBool::new(false);
    let filler_count = AtomicU64::new(0);
    let reads: Vec<u64> = thread::scope(|s| {
        let writers: Vec<_> = (0..2u64)
            .map(|w| {
                let write_version = &write_version;
                let db = &db;
                s.spawn(move || {
                    for i in 1..=BATCHES {
                        write_version(db, 2 * i + w);
                    }
                })
            })
            .collect();
        // Fillers: writes to other partitions that fill memtables, so checkpoints freeze,
        // write runs, merge and split while the readers read.
        let fillers: Vec<_> = (0..2)
            .map(|f| {
                let (db, done, filler_count) = (&db, &done, &filler_count);
                s.spawn(move || {
                    let mut i = 0u64;
                    while !done.load(Ordering::Acquire) {
                        db.put_item(&item! {
                            "PK" => format!("filler{f}-{}", i % 50),
                            "SK" => format!("{i:08}"),
                            "pad" => "y".repeat(200),
                        })
                        .unwrap();
                        if i % 200 == 199 {
                            db.checkpoint().unwrap();
                        }
                        i += 1;
                    }
                    filler_count.fetch_add(i, Ordering::Relaxed);
                })
            })
            .collect();
        let readers: Vec<_> = (0..4)
            .map(|r| {
                let (db, done, keys) = (&db, &done, &keys);
                s.spawn(move || {
                    let mut reads = 0u64;
                    // The latest batch of each writer seen so far.
                    let mut last_seen = [0u64; 2];
                    loop {
                        // Read once more after the writers finished, to see their last batches.
                        let finished = done.load(Ordering::Acquire);
                        let collect = |items: dynafile::Items| -> Vec<Item> {
                            items.collect::<Result<_, _>>().unwrap()
                        };
                        let items: Vec<Item> = match (r + reads as usize) % 4 {
                            0 => collect(db.query("snap").iter().unwrap()),
                            1 => collect(db.query("snap").reverse().iter().unwrap()),
                            2 => db
                                .batch_get(keys.iter())
                                .unwrap()
                                .into_iter()
                                .flatten()
                                .collect(),
                            _ => collect(
                                db.scan()
                                    .filter(|item| item["PK"] == Value::from("snap"))
                                    .iter()
                                    .unwrap(),
                            ),
                        };
                        let version = one_version(&items, &format!("reader {r}, read {reads}"));
                        // Snapshots only move forwards: once a writer's batch was the latest
                        // seen, none of its earlier batches is the latest again.
                        let (writer, batch) = ((version % 2) as usize, version / 2);
                        assert!(
                            batch >= last_seen[writer],
                            "reader {r} went back from writer {writer}'s batch {} to {batch}",
                            last_seen[writer]
                        );
                        last_seen[writer] = batch;
                        reads += 1;
                        if finished {
                            assert_eq!(batch, BATCHES, "the last read sees a last batch");
                            return reads;
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::Release);
        for filler in fillers {
            filler.join().unwrap();
        }
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (reader, count) in reads.iter().enumerate() {
        assert!(*count > 1, "reader {reader} made progress");
    }
    assert!(filler_count.load(Ordering::Relaxed) > 0);
    let items: Vec<Item> = db
        .query("snap")
        .iter()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(one_version(&items, "final") / 2, BATCHES);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{report}");
    db.close().unwrap();
}
