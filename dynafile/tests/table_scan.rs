//! Scans through the public API: the whole table in table order (partitions by hash of the
//! partition key, sort keys ascending), reverse, filters, limits and paging, and parallel
//! segments, with data in memory and in several partition files.

mod common;

use std::collections::BTreeSet;

use common::{
    assert_invalid, collect, key_of, n, open, partition_order, scan_all, scan_pages,
    sort_table_order,
};
use dynafile::{Dynafile, Error, Item, Key, KeyType, MAX_SEGMENTS, Result, Value, item};

/// A table of a few partitions, written in no particular order.
fn small_table(dir: &std::path::Path) -> Result<(Dynafile, Vec<Item>)> {
    let db = open(&dir.join("db"), KeyType::S, Some(KeyType::S))?;
    let mut items = Vec::new();
    for pk in ["1", "2", "3", "a", "b", "zz", "10", "user#1", "ü"] {
        for sk in ["b", "a", "c"] {
            let item = item! { "PK" => pk, "SK" => sk, "tag" => format!("{pk}/{sk}") };
            db.put_item(&item)?;
            items.push(item);
        }
    }
    sort_table_order(&mut items);
    Ok((db, items))
}

#[test]
fn full_scan_is_exact_and_in_table_order() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = small_table(dir.path())?;
    let scanned = scan_all(&db)?;
    let as_set = |items: &[Item]| -> BTreeSet<String> {
        items.iter().map(|item| format!("{:?}", item)).collect()
    };
    assert_eq!(as_set(&scanned), as_set(&expected));
    assert_eq!(scanned, expected, "partitions by hash, sort keys ascending");
    // The order is stable: the same again, after a checkpoint, and after a reopen.
    assert_eq!(scan_all(&db)?, expected);
    db.checkpoint()?;
    assert_eq!(scan_all(&db)?, expected);
    drop(db);
    let db = Dynafile::open(dir.path().join("db"))?;
    assert_eq!(scan_all(&db)?, expected);
    Ok(())
}

#[test]
fn table_order_is_by_sha256_of_the_partition_key() -> Result<()> {
    // SHA-256("a") starts ca978112, SHA-256("b") 3e23e816, SHA-256("c") 2e7d2c03:
    // so the table order of these partitions is c, b, a.
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, None)?;
    for pk in ["a", "b", "c"] {
        db.put_item(&item! { "PK" => pk })?;
    }
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "c" },
            item! { "PK" => "b" },
            item! { "PK" => "a" }
        ]
    );
    assert_eq!(partition_order(&Value::from("a")).0, 0xca97_8112_ca1b_bdca);
    Ok(())
}

#[test]
fn number_and_binary_partition_keys_scan_in_hash_order() -> Result<()> {
    let dir = common::tempdir();
    let numbers = open(&dir.path().join("numbers"), KeyType::N, Some(KeyType::N))?;
    let binaries = open(&dir.path().join("binaries"), KeyType::B, None)?;
    let mut expected_numbers = Vec::new();
    let mut expected_binaries = Vec::new();
    for i in -20i64..20 {
        let item = item! { "PK" => n(&format!("{i}.5")), "SK" => -i };
        numbers.put_item(&item)?;
        expected_numbers.push(item);
        let item = item! { "PK" => i.to_be_bytes().to_vec() };
        binaries.put_item(&item)?;
        expected_binaries.push(item);
    }
    sort_table_order(&mut expected_numbers);
    sort_table_order(&mut expected_binaries);
    assert_eq!(scan_all(&numbers)?, expected_numbers);
    assert_eq!(scan_all(&binaries)?, expected_binaries);
    numbers.checkpoint()?;
    binaries.checkpoint()?;
    assert_eq!(scan_all(&numbers)?, expected_numbers);
    assert_eq!(scan_all(&binaries)?, expected_binaries);
    // Paging resumes by keys of these types too, with and without a sort key.
    for limit in [1, 3, 40] {
        assert_eq!(
            scan_pages(&numbers.scan(), limit)?.concat(),
            expected_numbers
        );
        assert_eq!(
            scan_pages(&binaries.scan(), limit)?.concat(),
            expected_binaries
        );
    }
    let page = binaries.scan().limit(1).page()?;
    assert_eq!(
        page.last_evaluated_key,
        Some(Key::new(expected_binaries[0]["PK"].clone()))
    );
    let page = numbers.scan().limit(2).page()?;
    assert_eq!(page.last_evaluated_key, Some(key_of(&expected_numbers[1])));
    Ok(())
}

#[test]
fn reverse_scan_is_the_exact_reverse() -> Result<()> {
    let dir = common::tempdir();
    let (db, mut expected) = small_table(dir.path())?;
    expected.reverse();
    assert_eq!(collect(db.scan().reverse())?, expected);
    db.checkpoint()?;
    db.put_item(&item! { "PK" => "new", "SK" => "x" })?;
    db.delete_item(("a", "b"))?;
    let mut forward = scan_all(&db)?;
    forward.reverse();
    assert_eq!(collect(db.scan().reverse())?, forward);
    Ok(())
}

#[test]
fn scan_of_an_empty_table() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, Some(KeyType::S))?;
    assert_eq!(scan_all(&db)?, Vec::<Item>::new());
    assert_eq!(collect(db.scan().reverse())?, Vec::<Item>::new());
    let page = db.scan().limit(5).page()?;
    assert_eq!(page.items, Vec::<Item>::new());
    assert_eq!(page.last_evaluated_key, None);
    // Everything deleted, in memory and then in files.
    db.put_item(&item! { "PK" => "1", "SK" => "1" })?;
    db.delete_item(("1", "1"))?;
    assert_eq!(scan_all(&db)?, Vec::<Item>::new());
    db.checkpoint()?;
    assert_eq!(scan_all(&db)?, Vec::<Item>::new());
    assert_eq!(collect(db.scan().segment(0, 2))?, Vec::<Item>::new());
    Ok(())
}

#[test]
fn scan_filters() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = small_table(dir.path())?;
    let is_a = |item: &Item| item["SK"] == Value::from("a");
    let want: Vec<Item> = expected.iter().filter(|i| is_a(i)).cloned().collect();
    assert_eq!(collect(db.scan().filter(is_a))?, want);
    let mut reversed = want.clone();
    reversed.reverse();
    assert_eq!(collect(db.scan().filter(is_a).reverse())?, reversed);
    let digit = |item: &Item| {
        item["PK"]
            .as_s()
            .is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
    };
    let both: Vec<Item> = expected
        .iter()
        .filter(|i| is_a(i) && digit(i))
        .cloned()
        .collect();
    assert_eq!(both.len(), 4);
    assert_eq!(collect(db.scan().filter(is_a).filter(digit))?, both);
    Ok(())
}

#[test]
fn scan_limit_and_paging() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = small_table(dir.path())?;
    let check = |db: &Dynafile| -> Result<()> {
        let mut reversed = expected.clone();
        reversed.reverse();
        for limit in 1..=expected.len() + 1 {
            let pages = scan_pages(&db.scan(), limit)?;
            assert_eq!(pages.len(), expected.len().div_ceil(limit));
            assert_eq!(pages.concat(), expected, "limit {limit}");
            let pages = scan_pages(&db.scan().reverse(), limit)?;
            assert_eq!(pages.concat(), reversed, "reverse, limit {limit}");
        }
        // Limit counts items before the filter.
        let page = db
            .scan()
            .limit(4)
            .filter(|item| item["SK"] == Value::from("b"))
            .page()?;
        let first_four: Vec<Item> = expected[..4]
            .iter()
            .filter(|i| i["SK"] == Value::from("b"))
            .cloned()
            .collect();
        assert_eq!(page.items, first_four);
        assert_eq!(page.last_evaluated_key, Some(key_of(&expected[3])));
        // Resume from a key: everything after it in table order.
        let page = db.scan().start_after(key_of(&expected[5])).page()?;
        assert_eq!(page.items, expected[6..].to_vec());
        assert_eq!(page.last_evaluated_key, None);
        Ok(())
    };
    check(&db)?;
    db.checkpoint()?;
    check(&db)
}

/// A table large enough that checkpoints split it into several partition files, with runs
/// of later changes over them and the newest changes in memory.
fn layered_table(path: &std::path::Path) -> Result<(Dynafile, Vec<Item>)> {
    let db = Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::N)
        .block_size(256)
        .target_file_size(2048)
        // Many writes; what the tests check does not depend on durability.
        .durability(dynafile::Durability::Buffered)
        .open()?;
    let mut model = std::collections::BTreeMap::new();
    fn put(
        db: &Dynafile,
        model: &mut std::collections::BTreeMap<(String, i64), Option<Item>>,
        pk: String,
        sk: i64,
        version: u32,
    ) -> Result<()> {
        let item =
            item! { "PK" => pk.clone(), "SK" => sk, "version" => version, "pad" => "z".repeat(24) };
        db.put_item(&item)?;
        model.insert((pk, sk), Some(item));
        Ok(())
    }
    for i in 0..300 {
        put(&db, &mut model, format!("p{}", i % 60), i / 60, 0)?;
    }
    db.checkpoint()?;
    for i in (0..300).step_by(7) {
        put(&db, &mut model, format!("p{}", i % 60), i / 60, 1)?;
    }
    db.checkpoint()?;
    let mut deleted = Vec::new();
    for i in (0..300).step_by(11) {
        let key = (format!("p{}", i % 60), i / 60);
        db.delete_item((key.0.as_str(), key.1))?;
        deleted.push(key);
    }
    for key in deleted {
        model.insert(key, None);
    }
    for i in 0..30 {
        put(&db, &mut model, format!("new{i}"), i, 2)?;
    }
    let mut items: Vec<Item> = model.into_values().flatten().collect();
    sort_table_order(&mut items);
    Ok((db, items))
}

#[test]
fn scans_over_several_partition_files() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let (db, expected) = layered_table(&path)?;
    let report = db.check()?;
    assert!(report.is_ok(), "{report}");
    assert!(
        report.partition_files > 4,
        "the table split into several files: {report}"
    );
    assert_eq!(scan_all(&db)?, expected);
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(collect(db.scan().reverse())?, reversed);
    for limit in [1, 7, 50, 1000] {
        assert_eq!(scan_pages(&db.scan(), limit)?.concat(), expected);
        assert_eq!(scan_pages(&db.scan().reverse(), limit)?.concat(), reversed);
    }
    db.checkpoint()?;
    assert_eq!(scan_all(&db)?, expected);
    drop(db);
    let db = Dynafile::open(&path)?;
    assert_eq!(scan_all(&db)?, expected);
    assert_eq!(collect(db.scan().reverse())?, reversed);
    Ok(())
}

/// The hash range `[low, high)` of segment `segment` of `total`, `high` `None` at the end.
fn segment_range(segment: u32, total: u32) -> (u64, Option<u64>) {
    let edge = |i: u32| (u128::from(i) << 64) / u128::from(total);
    let low = u64::try_from(edge(segment)).unwrap_or(u64::MAX);
    let high = (segment + 1 < total).then(|| u64::try_from(edge(segment + 1)).unwrap_or(u64::MAX));
    (low, high)
}

fn check_segments(db: &Dynafile, expected: &[Item]) -> Result<()> {
    for total in 1..=16u32 {
        let mut joined = Vec::new();
        for segment in 0..total {
            let items = collect(db.scan().segment(segment, total))?;
            // Each segment holds exactly the items whose partition hash is in its range.
            let (low, high) = segment_range(segment, total);
            let want: Vec<Item> = expected
                .iter()
                .filter(|item| {
                    let hash = partition_order(&item["PK"]).0;
                    hash >= low && high.is_none_or(|high| hash < high)
                })
                .cloned()
                .collect();
            assert_eq!(items, want, "segment {segment} of {total}");
            let mut reversed = collect(db.scan().segment(segment, total).reverse())?;
            reversed.reverse();
            assert_eq!(reversed, want, "reverse segment {segment} of {total}");
            joined.extend(items);
        }
        // Disjoint and covering: in segment order they are the whole table in table order.
        assert_eq!(joined, expected, "{total} segments");
    }
    Ok(())
}

#[test]
fn segments_are_disjoint_and_cover_the_table() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = small_table(dir.path())?;
    check_segments(&db, &expected)?;
    let (db, expected) = layered_table(&dir.path().join("layered"))?;
    check_segments(&db, &expected)?;
    db.checkpoint()?;
    check_segments(&db, &expected)
}

/// Every segment of every total from 1 to 16 scanned by its own thread, all at once, while
/// a checkpoint rewrites the partition files: for each total, the segments are disjoint and
/// together the whole table.
#[test]
fn segments_of_every_total_from_threads_at_once() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = layered_table(&dir.path().join("db"))?;
    let jobs: Vec<(u32, u32)> = (1..=16u32)
        .flat_map(|total| (0..total).map(move |segment| (segment, total)))
        .collect();
    let barrier = std::sync::Barrier::new(jobs.len() + 1);
    /// A segment and its total, with what its scan read.
    type Scanned = ((u32, u32), Result<Vec<Item>>);
    let results: Vec<Scanned> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(segment, total)| {
                let (db, barrier) = (db.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    ((segment, total), collect(db.scan().segment(segment, total)))
                })
            })
            .collect();
        barrier.wait();
        let checkpoint = db.checkpoint();
        let results = handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| panic!("a scan thread panicked"))
            })
            .collect();
        checkpoint.map(|()| results)
    })?;
    let mut by_total: Vec<Vec<Item>> = vec![Vec::new(); 17];
    for ((segment, total), items) in results {
        let items = items?;
        let (low, high) = segment_range(segment, total);
        for item in &items {
            let hash = partition_order(&item["PK"]).0;
            assert!(
                hash >= low && high.is_none_or(|high| hash < high),
                "segment {segment} of {total} holds {item:?}, outside its hash range"
            );
        }
        // Jobs are in segment order within each total.
        by_total[total as usize].extend(items);
    }
    for (total, joined) in by_total.iter().enumerate().skip(1) {
        assert_eq!(joined, &expected, "the {total} segments, joined");
    }
    Ok(())
}

#[test]
fn paging_within_a_segment() -> Result<()> {
    let dir = common::tempdir();
    let (db, _) = layered_table(&dir.path().join("db"))?;
    for (segment, total) in [(0, 3), (1, 3), (2, 3), (7, 16)] {
        let all = collect(db.scan().segment(segment, total))?;
        for limit in [1, 4, 33] {
            let pages = scan_pages(&db.scan().segment(segment, total), limit)?;
            assert_eq!(
                pages.concat(),
                all,
                "segment {segment}/{total}, limit {limit}"
            );
            let mut reversed = all.clone();
            reversed.reverse();
            let pages = scan_pages(&db.scan().segment(segment, total).reverse(), limit)?;
            assert_eq!(pages.concat(), reversed);
        }
    }
    Ok(())
}

#[test]
fn bad_segments_are_errors() -> Result<()> {
    let dir = common::tempdir();
    let (db, expected) = small_table(dir.path())?;
    assert_invalid(
        db.scan().segment(0, 0).iter(),
        None,
        "the total number of segments must be 1 to 1000000, not 0",
    );
    assert_invalid(
        db.scan().segment(3, 3).iter(),
        None,
        "segment 3 is not below the total of 3 segments",
    );
    assert_invalid(
        db.scan().segment(5, 2).page(),
        None,
        "segment 5 is not below the total of 2 segments",
    );
    assert_invalid(
        db.scan().segment(0, MAX_SEGMENTS + 1).iter(),
        None,
        "not 1000001",
    );
    assert!(
        db.scan()
            .segment(MAX_SEGMENTS - 1, MAX_SEGMENTS)
            .iter()
            .is_ok()
    );
    // As an iterator, the error is the first and only item.
    let mut items = db.scan().segment(2, 2).into_iter();
    assert!(matches!(items.next(), Some(Err(Error::Validation(_)))));
    assert!(items.next().is_none());
    // Nothing changed.
    assert_eq!(scan_all(&db)?, expected);
    Ok(())
}

#[test]
fn start_after_outside_the_segment_is_an_error() -> Result<()> {
    let dir = common::tempdir();
    let (db, _) = small_table(dir.path())?;
    let first_segment = collect(db.scan().segment(0, 2))?;
    let second_segment = collect(db.scan().segment(1, 2))?;
    assert!(!first_segment.is_empty() && !second_segment.is_empty());
    let inside = key_of(&second_segment[0]);
    let outside = key_of(&first_segment[0]);
    assert_eq!(
        collect(db.scan().segment(1, 2).start_after(inside))?,
        second_segment[1..].to_vec()
    );
    for reverse in [false, true] {
        let mut scan = db.scan().segment(1, 2).start_after(outside.clone());
        if reverse {
            scan = scan.reverse();
        }
        assert_invalid(
            scan.iter(),
            None,
            "the start key is not in the scanned segment",
        );
    }
    assert_invalid(
        db.scan()
            .segment(0, 2)
            .start_after(key_of(&second_segment[0]))
            .iter(),
        None,
        "not in the scanned segment",
    );
    // A start key of the wrong type names the attribute.
    assert_invalid(
        db.scan().start_after(Key::new(1).sort("a")).iter(),
        Some("PK"),
        "the partition key must be of type S, not N",
    );
    Ok(())
}
