//! A table large enough that its partition files split into many hash ranges: 200,000 items
//! (2,000 partitions of 100 items) loaded in batches of 1,000 with a 256 KiB target file
//! size. Every query, scan, segment and get must stay exact, before and after a reopen, and
//! after overwriting and deleting a tenth of the items.

use std::path::Path;

use dynafile::{Dynafile, Item, Key, KeyType, Value, item};
use sha2::{Digest, Sha256};

const PARTITIONS: u32 = 2_000;
const ITEMS_PER_PARTITION: u32 = 100;
const BATCH: usize = 1_000;

fn pk(p: u32) -> String {
    format!("customer#{p:04}")
}

fn sk(s: u32) -> String {
    format!("order#{s:03}")
}

fn partition_hash(pk: &str) -> u64 {
    let digest = Sha256::digest(pk.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// What the table must hold: for each partition and sort key, the item's version (`None`:
/// deleted).
struct Expected {
    versions: Vec<Vec<Option<u32>>>,
    /// Partitions in table order: by hash of the partition key.
    order: Vec<u32>,
}

impl Expected {
    fn new() -> Expected {
        let mut order: Vec<u32> = (0..PARTITIONS).collect();
        order.sort_by_key(|p| (partition_hash(&pk(*p)), pk(*p)));
        Expected {
            versions: vec![vec![None; ITEMS_PER_PARTITION as usize]; PARTITIONS as usize],
            order,
        }
    }

    fn len(&self) -> usize {
        self.versions.iter().flatten().flatten().count()
    }

    fn item(p: u32, s: u32, version: u32) -> Item {
        item! {
            "PK" => pk(p),
            "SK" => sk(s),
            "version" => version,
            "data" => format!("{:>48}", p * ITEMS_PER_PARTITION + s),
        }
    }

    /// The items of partition `p` in sort key order.
    fn partition(&self, p: u32) -> impl DoubleEndedIterator<Item = Item> + '_ {
        self.versions[p as usize]
            .iter()
            .enumerate()
            .filter_map(move |(s, v)| v.map(|v| Expected::item(p, s as u32, v)))
    }

    /// Every item in table order.
    fn all(&self) -> impl Iterator<Item = Item> + '_ {
        self.order.iter().flat_map(|p| self.partition(*p))
    }
}

fn open(path: &Path) -> Dynafile {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .memtable_size(4 << 20)
        .target_file_size(256 << 10)
        .open()
        .unwrap()
}

fn partition_files(path: &Path) -> usize {
    std::fs::read_dir(path.join("partitions"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|ext| ext == "dfp")
        })
        .count()
}

fn collect(items: dynafile::Items) -> Vec<Item> {
    items.collect::<Result<_, _>>().unwrap()
}

/// Compares a stream of items with the expected ones, one at a time (the table is too large
/// to hold twice comfortably), naming the first difference.
fn assert_same(
    what: &str,
    got: impl Iterator<Item = dynafile::Result<Item>>,
    expected: impl Iterator<Item = Item>,
) {
    let mut got = got.map(|item| item.unwrap());
    let mut expected = expected;
    let mut index = 0usize;
    loop {
        match (got.next(), expected.next()) {
            (None, None) => return,
            (got, expected) => {
                assert_eq!(got, expected, "{what}: item {index}");
            }
        }
        index += 1;
    }
}

fn verify(db: &Dynafile, expected: &Expected, when: &str) {
    // Every partition's query: all its items, in order.
    for p in 0..PARTITIONS {
        assert_same(
            &format!("{when}: query of {}", pk(p)),
            db.query(pk(p)).iter().unwrap(),
            expected.partition(p),
        );
    }
    // A sample of sort key conditions, forwards and in reverse.
    for p in (0..PARTITIONS).step_by(37) {
        let (low, high) = (p % 60, p % 60 + 25);
        let in_range = |s: u32| (low..=high).contains(&s);
        let between: Vec<Item> = expected
            .partition(p)
            .filter(|item| in_range(number(item, "SK")))
            .collect();
        assert_eq!(
            collect(db.query(pk(p)).between(sk(low), sk(high)).iter().unwrap()),
            between,
            "{when}: between in {}",
            pk(p)
        );
        let mut reversed = between.clone();
        reversed.reverse();
        assert_eq!(
            collect(
                db.query(pk(p))
                    .between(sk(low), sk(high))
                    .reverse()
                    .iter()
                    .unwrap()
            ),
            reversed,
            "{when}: reverse between in {}",
            pk(p)
        );
        let below: Vec<Item> = expected
            .partition(p)
            .filter(|item| number(item, "SK") < low)
            .rev()
            .collect();
        assert_eq!(
            collect(db.query(pk(p)).lt(sk(low)).reverse().iter().unwrap()),
            below,
            "{when}: reverse lt in {}",
            pk(p)
        );
        let prefix = format!("order#{}", p % 10);
        let begins: Vec<Item> = expected
            .partition(p)
            .filter(|item| item["SK"].as_s().is_some_and(|s| s.starts_with(&prefix)))
            .collect();
        assert_eq!(
            collect(db.query(pk(p)).begins_with(prefix.as_str()).iter().unwrap()),
            begins,
            "{when}: begins_with in {}",
            pk(p)
        );
        // Paging through a partition in reverse, 7 at a time.
        let mut pages = Vec::new();
        let mut start: Option<Key> = None;
        loop {
            let page = db
                .query(pk(p))
                .reverse()
                .limit(7)
                .start_after(start)
                .page()
                .unwrap();
            pages.extend(page.items);
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        assert_eq!(
            pages,
            expected.partition(p).rev().collect::<Vec<_>>(),
            "{when}: reverse pages of {}",
            pk(p)
        );
    }
    // The full scan: every item once, in table order.
    assert_same(
        &format!("{when}: full scan"),
        db.scan().iter().unwrap(),
        expected.all(),
    );
    // Segments, scanned by threads at once: together exactly the full scan.
    let total = 7;
    let segments: Vec<Vec<Item>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..total)
            .map(|segment| {
                s.spawn(move || collect(db.scan().segment(segment, total).iter().unwrap()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_same(
        &format!("{when}: segments in order"),
        segments.into_iter().flatten().map(Ok),
        expected.all(),
    );
    // Gets of every 97th key, present or not.
    let mut n = 0u32;
    while n < PARTITIONS * ITEMS_PER_PARTITION {
        let (p, s) = (n / ITEMS_PER_PARTITION, n % ITEMS_PER_PARTITION);
        let want = expected.versions[p as usize][s as usize].map(|v| Expected::item(p, s, v));
        assert_eq!(
            db.get_item((pk(p), sk(s))).unwrap(),
            want,
            "{when}: get {n}"
        );
        n += 97;
    }
}

/// The number in a sort key `order#NNN`.
fn number(item: &Item, name: &str) -> u32 {
    match &item[name] {
        Value::S(s) => s.trim_start_matches("order#").parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_hundred_thousand_items_split_into_many_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = open(&path);
    let mut expected = Expected::new();

    // Load in batches of 1,000, partitions interleaved so every checkpoint touches many
    // hash ranges.
    let keys: Vec<(u32, u32)> = (0..ITEMS_PER_PARTITION)
        .flat_map(|s| (0..PARTITIONS).map(move |p| (p, s)))
        .collect();
    for chunk in keys.chunks(BATCH) {
        let mut batch = db.batch_writer();
        for &(p, s) in chunk {
            batch.put_item(&Expected::item(p, s, 1)).unwrap();
            expected.versions[p as usize][s as usize] = Some(1);
        }
        batch.commit().unwrap();
    }
    db.checkpoint().unwrap();
    assert_eq!(expected.len(), 200_000);
    let files = partition_files(&path);
    assert!(
        files >= 40,
        "200k items at 256 KiB per file: {files} partition files"
    );
    verify(&db, &expected, "loaded");

    drop(db);
    let db = open(&path);
    verify(&db, &expected, "reopened");
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{report}");

    // Overwrite a tenth and delete another tenth, in batches.
    let mut batch = db.batch_writer();
    for (n, &(p, s)) in keys.iter().enumerate() {
        match n % 10 {
            3 => {
                batch.put_item(&Expected::item(p, s, 2)).unwrap();
                expected.versions[p as usize][s as usize] = Some(2);
            }
            7 => {
                batch.delete_item((pk(p), sk(s))).unwrap();
                expected.versions[p as usize][s as usize] = None;
            }
            _ => continue,
        }
        if batch.len() == BATCH {
            std::mem::replace(&mut batch, db.batch_writer())
                .commit()
                .unwrap();
        }
    }
    batch.commit().unwrap();
    assert_eq!(expected.len(), 180_000);
    verify(&db, &expected, "changed");

    db.close().unwrap();
    let db = open(&path);
    verify(&db, &expected, "changed and reopened");
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.log_records, 0, "close checkpointed everything");
}
