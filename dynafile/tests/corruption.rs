//! Bad bytes are errors (DESIGN.md promise 6): damage to any file of a table is reported as
//! `Error::Corrupt` naming the file (and the offset of the damaged region), by every read that
//! touches it and by `check()`, never as a panic and never as wrong data.
//!
//! Partition files are damaged one byte at a time at positions sampled across their blocks,
//! index, bloom filter and footer (located through the documented file format), and cut
//! short; the manifest is damaged at every byte; `meta.json` is replaced by garbage; log
//! segments that are not the last are damaged at every byte, cut short and removed, and the
//! header of the last one is damaged.

mod crash_support;

use std::path::{Path, PathBuf};

use crash_support::{
    LOG_HEADER_LEN, Rng, child_command, child_param, copy_dir, is_child, log_record_offsets,
    log_segments, partition_files, start_log_segment, trim_log_segments, truncate, wait_success,
    xor_byte,
};
use dynafile::{Dynafile, Error, Item, KeyType, Result, item};

const PARTITIONS: usize = 24;
const SORT_KEYS: usize = 25;

fn builder(dir: &Path) -> dynafile::Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .block_size(512)
}

fn item_at(partition: usize, sort: usize) -> Item {
    let filler = "x".repeat((partition * 7 + sort * 3) % 60);
    item! {
        "PK" => format!("pk{partition:02}"),
        "SK" => format!("sk{sort:03}"),
        "v" => format!("value {partition}/{sort} {filler}"),
    }
}

fn pk(item: &Item) -> &str {
    item["PK"].as_s().expect("string partition key")
}

fn sk(item: &Item) -> &str {
    item["SK"].as_s().expect("string sort key")
}

/// Writes the items and closes the table, which checkpoints them into one partition file.
/// Returns the items in table (and file) order.
fn write_table(dir: &Path) -> Vec<Item> {
    let db = builder(dir).open().expect("create the table");
    for partition in 0..PARTITIONS {
        let mut batch = db.batch_writer();
        for sort in 0..SORT_KEYS {
            batch.put_item(&item_at(partition, sort)).expect("queue");
        }
        batch.commit().expect("commit");
    }
    db.close().expect("close");
    let db = builder(dir).open().expect("reopen");
    let items: Vec<Item> = db.scan().iter().and_then(|i| i.collect()).expect("scan");
    assert_eq!(items.len(), PARTITIONS * SORT_KEYS);
    items
}

/// Where the regions of a partition file are, read by its documented format.
#[derive(Debug)]
struct Layout {
    /// Each block's offset, size and entry count, in file order.
    blocks: Vec<(u64, u64, usize)>,
    index: u64,
    bloom: u64,
    footer: u64,
    len: u64,
}

fn varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let byte = bytes[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn layout(path: &Path) -> Layout {
    let bytes = std::fs::read(path).expect("read the partition file");
    let len = bytes.len() as u64;
    let footer = bytes.len() - 64;
    assert_eq!(&bytes[footer..footer + 8], b"DYNAPF01");
    let index = u64_at(&bytes, footer + 16);
    let bloom = u64_at(&bytes, footer + 28);
    let mut pos = index as usize;
    let count = varint(&bytes, &mut pos);
    let mut blocks = Vec::new();
    for _ in 0..count {
        let key_len = varint(&bytes, &mut pos) as usize;
        pos += key_len;
        let offset = varint(&bytes, &mut pos);
        let size = varint(&bytes, &mut pos);
        let end = (offset + size) as usize;
        let entries = u32_at(&bytes, end - 8) as usize;
        blocks.push((offset, size, entries));
    }
    Layout {
        blocks,
        index,
        bloom,
        footer: footer as u64,
        len,
    }
}

/// The damaged region a position falls in: `Some(block number)` for a block.
fn region_of(layout: &Layout, position: u64) -> (Option<usize>, u64) {
    if position >= layout.footer {
        return (None, layout.footer);
    }
    if position >= layout.bloom {
        return (None, layout.bloom);
    }
    if position >= layout.index {
        return (None, layout.index);
    }
    let block = layout
        .blocks
        .iter()
        .position(|(offset, size, _)| position >= *offset && position < offset + size)
        .expect("a position before the index is in a block");
    (Some(block), layout.blocks[block].0)
}

/// Asserts `result` is `Error::Corrupt` naming `file` at `offset`.
#[track_caller]
fn assert_corrupt<T: std::fmt::Debug>(result: Result<T>, file: &Path, offset: Option<u64>) {
    match result {
        Err(Error::Corrupt {
            file: found,
            offset: found_offset,
            reason,
        }) => {
            assert_eq!(found, file, "the error names the damaged file ({reason})");
            assert_eq!(found_offset, offset, "the error's offset ({reason})");
        }
        other => panic!(
            "expected Error::Corrupt in {}, got {other:?}",
            file.display()
        ),
    }
}

fn collect(items: Result<dynafile::Items>) -> Result<Vec<Item>> {
    items.and_then(|items| items.collect())
}

/// Reads through every path (get, batch get, query both ways, scan both ways) with one
/// damaged region, and checks each read: those that need the damaged region fail with
/// `Error::Corrupt` naming it; the others return exactly the stored items.
fn check_reads(db: &Dynafile, items: &[Item], file: &Path, damaged: &[usize], offset: u64) {
    let at = Some(offset);
    for (index, item) in items.iter().enumerate() {
        let result = db.get_item((pk(item), sk(item)));
        if damaged.contains(&index) {
            assert_corrupt(result, file, at);
        } else {
            assert_eq!(result.expect("an undamaged get"), Some(item.clone()));
        }
    }
    // A key the table lacks: no data to be wrong about, but a damaged filter or block may
    // be read on the way.
    match db.get_item(("pk00", "missing")) {
        Ok(found) => assert_eq!(found, None),
        Err(error) => assert_corrupt::<()>(Err(error), file, at),
    }
    let keys: Vec<(&str, &str)> = items.iter().map(|i| (pk(i), sk(i))).collect();
    let batch = db.batch_get(keys.iter().copied());
    if damaged.is_empty() {
        assert_eq!(
            batch.expect("batch get"),
            items.iter().cloned().map(Some).collect::<Vec<_>>()
        );
    } else {
        assert_corrupt(batch, file, at);
    }
    for partition in 0..PARTITIONS {
        let name = format!("pk{partition:02}");
        let expected: Vec<Item> = items.iter().filter(|i| pk(i) == name).cloned().collect();
        let touches_damage = damaged.iter().any(|&index| pk(&items[index]) == name);
        for reverse in [false, true] {
            let query = db.query(name.as_str());
            let query = if reverse { query.reverse() } else { query };
            match collect(query.iter()) {
                Ok(mut found) => {
                    assert!(!touches_damage, "a query of {name} read damaged items");
                    if reverse {
                        found.reverse();
                    }
                    assert_eq!(found, expected, "query of {name}");
                }
                // A query reads the blocks around its partition too.
                Err(error) => assert_corrupt::<()>(Err(error), file, at),
            }
        }
    }
    for reverse in [false, true] {
        let scan = if reverse {
            db.scan().reverse()
        } else {
            db.scan()
        };
        let result = collect(scan.iter());
        if damaged.is_empty() {
            let mut found = result.expect("scan");
            if reverse {
                found.reverse();
            }
            assert_eq!(found, items);
        } else {
            assert_corrupt(result, file, at);
        }
    }
}

/// `check()` lists the damage: problems all in `file`, the first at `offset`.
fn check_report(db: &Dynafile, file: &Path, offset: u64, whole_file_unreadable: bool) {
    let report = db.check().expect("check runs");
    assert!(!report.is_ok(), "check found nothing wrong");
    let found: Vec<(PathBuf, Option<u64>)> = report
        .problems
        .iter()
        .map(|p| (p.file.clone(), p.offset))
        .collect();
    let mut expected = vec![(file.to_owned(), Some(offset))];
    if !whole_file_unreadable {
        // The entries of the unreadable block are missing from the count.
        expected.push((file.to_owned(), None));
    }
    assert_eq!(found, expected, "problems: {report}");
}

/// Positions to damage: every byte of the footer, and samples of each block, of the index
/// and of the filter (their first and last bytes, checksums included, and bytes between).
fn positions(layout: &Layout, rng: &mut Rng) -> Vec<u64> {
    let mut positions: Vec<u64> = (layout.footer..layout.len).collect();
    for (number, &(offset, size, _)) in layout.blocks.iter().enumerate() {
        positions.push(offset);
        positions.push(offset + 1 + rng.below(size - 9));
        if number % 8 == 0 {
            positions.extend(offset + size - 8..offset + size);
        }
    }
    for (start, end, samples) in [
        (layout.index, layout.bloom, 40),
        (layout.bloom, layout.footer, 40),
    ] {
        positions.extend(start..start + 4);
        positions.extend(end - 4..end);
        for _ in 0..samples {
            positions.push(start + rng.below(end - start));
        }
    }
    positions.sort_unstable();
    positions.dedup();
    positions
}

#[test]
fn flipped_byte_in_a_partition_file_is_reported_by_every_read_and_by_check() {
    let _serial = crash_support::serial();
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("table");
    let items = write_table(&table);
    let files = partition_files(&table);
    assert_eq!(files.len(), 1, "one partition file");
    let file = &files[0];
    let layout = layout(file);
    assert!(layout.blocks.len() > 20, "many blocks: {layout:?}");
    assert_eq!(
        layout.blocks.iter().map(|b| b.2).sum::<usize>(),
        items.len(),
        "the blocks hold every item"
    );
    let seed = crash_support::seed();
    println!("seed {seed}");
    let mut rng = Rng::new(seed);
    let masks = [0x01, 0x80, 0xff, 0x10];
    let positions = positions(&layout, &mut rng);
    println!(
        "{} blocks, {} positions",
        layout.blocks.len(),
        positions.len()
    );
    for (n, &position) in positions.iter().enumerate() {
        let mask = masks[n % masks.len()];
        let (block, offset) = region_of(&layout, position);
        let damaged: Vec<usize> = match block {
            Some(number) => {
                let first: usize = layout.blocks[..number].iter().map(|b| b.2).sum();
                (first..first + layout.blocks[number].2).collect()
            }
            None => (0..items.len()).collect(),
        };
        xor_byte(file, position, mask);
        let db = builder(&table)
            .open()
            .expect("open does not read partition files");
        let context = format!("byte {position} ^ {mask:#04x} (region at {offset})");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_reads(&db, &items, file, &damaged, offset);
            check_report(&db, file, offset, block.is_none());
        }));
        drop(db);
        xor_byte(file, position, mask);
        if let Err(panic) = outcome {
            eprintln!("with {context}");
            std::panic::resume_unwind(panic);
        }
    }
    // The damage was undone: the table is whole again.
    let db = builder(&table).open().expect("open");
    check_reads(&db, &items, file, &[], 0);
    assert!(db.check().expect("check").is_ok());
}

#[test]
fn truncated_partition_file_is_corrupt() {
    let _serial = crash_support::serial();
    let dir = tempfile::tempdir().expect("temporary directory");
    let original = dir.path().join("table");
    let items = write_table(&original);
    let file = partition_files(&original)[0].clone();
    let relative = file.strip_prefix(&original).expect("in the table");
    let layout = layout(&file);
    let (first_block, first_size, _) = layout.blocks[0];
    for len in [
        0,
        1,
        63,
        64,
        65,
        first_block + first_size,
        layout.index,
        layout.bloom,
        layout.footer,
        layout.len - 1,
    ] {
        let table = dir.path().join(format!("cut-{len}"));
        copy_dir(&original, &table);
        let file = table.join(relative);
        truncate(&file, len);
        let offset = len.saturating_sub(64);
        let db = builder(&table)
            .open()
            .expect("open does not read partition files");
        let all: Vec<usize> = (0..items.len()).collect();
        check_reads(&db, &items, &file, &all, offset);
        check_report(&db, &file, offset, true);
    }
}

#[test]
fn flipped_byte_in_the_manifest_fails_open() {
    let _serial = crash_support::serial();
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("table");
    let items = write_table(&table);
    let manifest = table.join("manifest");
    let len = std::fs::metadata(&manifest).expect("manifest").len();
    for position in 0..len {
        for mask in [0x01u8, 0x80] {
            xor_byte(&manifest, position, mask);
            let result = Dynafile::open(&table);
            xor_byte(&manifest, position, mask);
            if (8..12).contains(&position) {
                // The format version is outside the checksum: a changed one reads as a
                // version this library does not know.
                let found = 1u32 ^ (u32::from(mask) << (8 * (position - 8)));
                assert!(
                    matches!(&result, Err(Error::Incompatible { path, found: f, supported: 1 })
                        if *path == manifest && *f == found),
                    "byte {position} ^ {mask:#04x}: {result:?}"
                );
            } else {
                assert_corrupt(result, &manifest, Some(0));
            }
        }
    }
    for cut in [0, 5, 19, 20, len - 1] {
        let bytes = std::fs::read(&manifest).expect("read");
        truncate(&manifest, cut);
        let result = Dynafile::open(&table);
        std::fs::write(&manifest, bytes).expect("restore");
        assert_corrupt(result, &manifest, Some(0));
    }
    // Failed opens changed nothing.
    let db = builder(&table).open().expect("open");
    let found: Vec<Item> = collect(db.scan().iter()).expect("scan");
    assert_eq!(found, items);
    assert!(db.check().expect("check").is_ok());
}

#[test]
fn garbage_meta_json_fails_open() {
    let _serial = crash_support::serial();
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("table");
    let items = write_table(&table);
    let meta = table.join("meta.json");
    let good = std::fs::read(&meta).expect("read meta.json");
    let mut rng = Rng::new(7);
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"garbage".to_vec(),
        good[..good.len() / 2].to_vec(),
        b"[]".to_vec(),
        b"{\"format_version\": 1}".to_vec(),
        b"{\"format_version\": \"1\"}".to_vec(),
        b"{\"format_version\": 1, \"name\": \"t\", \"key_schema\": 5}".to_vec(),
        vec![0; 64],
        rng.bytes(200),
    ];
    for bytes in garbage {
        std::fs::write(&meta, &bytes).expect("write garbage");
        let shown = String::from_utf8_lossy(&bytes).into_owned();
        assert_corrupt(Dynafile::open(&table), &meta, None);
        let result = builder(&table).open();
        assert!(
            matches!(&result, Err(Error::Corrupt { file, offset: None, .. }) if *file == meta),
            "meta.json {shown:?}: {result:?}"
        );
    }
    std::fs::write(&meta, &good).expect("restore");
    let db = builder(&table).open().expect("open");
    assert_eq!(collect(db.scan().iter()).expect("scan"), items);
}

/// The child that opens the table, makes a few commits tagged `TAG`, and exits without
/// closing: they stay in the log.
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn log_writer_child() {
    if !is_child() {
        return;
    }
    let dir = PathBuf::from(child_param("DIR").expect("DIR"));
    let tag = child_param("TAG").expect("TAG");
    let db = builder(&dir).open().expect("open");
    for n in 0..4 {
        db.put_item(&item! { "PK" => tag.as_str(), "SK" => format!("single{n}") })
            .expect("put");
    }
    let mut batch = db.batch_writer();
    for n in 0..3 {
        batch
            .put_item(&item! { "PK" => tag.as_str(), "SK" => format!("batch{n}") })
            .expect("queue");
    }
    batch.commit().expect("commit");
    db.delete_item((tag.as_str(), "single0")).expect("delete");
    std::process::exit(0);
}

/// A table whose log has two segments with records: each written by a child that exited
/// without closing. Returns the table, its segments and the items it holds.
fn two_segment_table(work: &Path) -> (PathBuf, Vec<PathBuf>, Vec<Item>) {
    let table = work.join("table");
    for tag in ["first", "second"] {
        if tag == "second" {
            start_log_segment(&table);
        }
        let stderr = work.join(format!("{tag}.stderr"));
        let child = child_command(
            "log_writer_child",
            &[
                ("DIR", table.display().to_string()),
                ("TAG", tag.to_owned()),
            ],
            &stderr,
        )
        .spawn()
        .expect("spawn");
        wait_success(child, &stderr);
    }
    trim_log_segments(&table);
    let segments = log_segments(&table);
    assert_eq!(segments.len(), 2, "two log segments: {segments:?}");
    for segment in &segments {
        assert_eq!(
            log_record_offsets(segment).len(),
            6,
            "{}",
            segment.display()
        );
    }
    let mut items = Vec::new();
    for tag in ["first", "second"] {
        for sk in [
            "batch0", "batch1", "batch2", "single1", "single2", "single3",
        ] {
            items.push(item! { "PK" => tag, "SK" => sk });
        }
    }
    (table, segments, items)
}

fn open_and_read(table: &Path) -> Result<Vec<Item>> {
    let db = builder(table).open()?;
    let mut found: Vec<Item> = collect(db.scan().iter())?;
    found.sort_by(|a, b| (pk(a), sk(a)).cmp(&(pk(b), sk(b))));
    let report = db.check()?;
    assert!(report.is_ok(), "{report}");
    Ok(found)
}

#[test]
fn flipped_byte_in_a_log_segment_that_is_not_the_last_fails_open() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segments, items) = two_segment_table(work.path());
    let first = &segments[0];
    let relative = first.strip_prefix(&table).expect("in the table");
    let records = log_record_offsets(first);
    let len = std::fs::metadata(first).expect("segment").len();
    for position in 0..len {
        let copy = work.path().join(format!("flip-{position}"));
        copy_dir(&table, &copy);
        let segment = copy.join(relative);
        xor_byte(&segment, position, 0x04);
        let result = builder(&copy).open().map(drop);
        match position {
            0..8 => assert_corrupt(result, &segment, Some(0)),
            8..12 => assert!(
                matches!(&result, Err(Error::Incompatible { path, .. }) if *path == segment),
                "byte {position}: {result:?}"
            ),
            // Reserved: not read.
            12..16 => {
                result.expect("reserved header bytes are not read");
            }
            _ => {
                let record = records
                    .iter()
                    .rev()
                    .find(|&&r| r <= position)
                    .expect("record");
                assert_corrupt(result, &segment, Some(*record));
            }
        }
        std::fs::remove_dir_all(&copy).expect("remove the copy");
    }
    assert_eq!(open_and_read(&table).expect("the original opens"), items);
}
#[test]
fn log_segment_that_is_not_the_last_cut_short_or_missing_fails_open() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segments, items) = two_segment_table(work.path());
    let (first, second) = (&segments[0], &segments[1]);
    let first_relative = first.strip_prefix(&table).expect("in the table");
    let second_relative = second.strip_prefix(&table).expect("in the table");
    let records = log_record_offsets(first);
    let len = std::fs::metadata(first).expect("segment").len();
    let mut cuts: Vec<u64> = records.iter().flat_map(|&r| [r, r + 1, r + 9]).collect();
    cuts.push(len - 1);
    for cut in cuts {
        let copy = work.path().join(format!("cut-{cut}"));
        copy_dir(&table, &copy);
        truncate(&copy.join(first_relative), cut);
        let result = builder(&copy).open().map(drop);
        if records.contains(&cut) {
            // Whole records are gone: the next segment's first record does not follow the
            // last one read.
            assert_corrupt(result, &copy.join(second_relative), Some(LOG_HEADER_LEN));
        } else {
            let record = records.iter().rev().find(|&&r| r < cut).expect("record");
            assert_corrupt(result, &copy.join(first_relative), Some(*record));
        }
    }
    let copy = work.path().join("missing");
    copy_dir(&table, &copy);
    std::fs::remove_file(copy.join(first_relative)).expect("remove the first segment");
    assert_corrupt(
        builder(&copy).open().map(drop),
        &copy.join(second_relative),
        Some(LOG_HEADER_LEN),
    );
    assert_eq!(open_and_read(&table).expect("the original opens"), items);
}

#[test]
fn damaged_header_of_the_last_log_segment_fails_open() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segments, items) = two_segment_table(work.path());
    let relative = segments[1].strip_prefix(&table).expect("in the table");
    for position in 0..8 {
        let copy = work.path().join(format!("flip-{position}"));
        copy_dir(&table, &copy);
        let segment = copy.join(relative);
        xor_byte(&segment, position, 0x20);
        // Its header was synced before any record was written: with records after it, a
        // bad header is damage, not a torn creation, and its records must not vanish.
        assert_corrupt(builder(&copy).open().map(drop), &segment, Some(0));
    }
    assert_eq!(open_and_read(&table).expect("the original opens"), items);
}

/// Regression: `check()` listed the log segments, then read each, while a checkpoint could
/// delete some in between; it then failed with an i/o error ("No such file or directory")
/// on a sound table. Found by `kill9_rounds`, whose child checks the table right after
/// recovery, while the checkpoint that a long replayed log asks for runs.
#[test]
fn check_while_checkpoints_run_finds_nothing_wrong() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A checkpoint after every commit.
    let db = builder(&dir.path().join("table"))
        .memtable_size(1)
        .open()
        .expect("create");
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            for n in 0..600 {
                db.put_item(&item_at(n % PARTITIONS, n / PARTITIONS))
                    .expect("put");
            }
        })
    };
    let mut checks = 0;
    while !writer.is_finished() {
        let report = db.check().expect("check runs");
        assert!(report.is_ok(), "{report}");
        checks += 1;
    }
    writer.join().expect("writer");
    assert!(checks > 0);
}

/// Byte ranges of `meta.json` holding the values of its `"name"` fields: the table's name and
/// the key attribute names.
fn name_values(meta: &[u8]) -> Vec<std::ops::Range<usize>> {
    let text = std::str::from_utf8(meta).expect("meta.json is UTF-8");
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("\"name\": \"") {
        let start = from + found + "\"name\": \"".len();
        let end = start + text[start..].find('"').expect("closing quote");
        ranges.push(start..end);
        from = end;
    }
    assert_eq!(ranges.len(), 3, "table name, partition and sort key names");
    ranges
}

/// Every single-bit flip of `meta.json` at the positions `select` picks: the open either
/// fails naming `meta.json`, or opens the very same table. Returns the flips that opened a
/// different one.
fn meta_flips(select: impl Fn(usize, &[std::ops::Range<usize>]) -> bool) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("table");
    let items = write_table(&table);
    let meta = table.join("meta.json");
    let good = std::fs::read(&meta).expect("read meta.json");
    let names = name_values(&good);
    let schema = builder(&table).open().expect("open").key_schema().clone();
    let mut different = Vec::new();
    for position in (0..good.len()).filter(|p| select(*p, &names)) {
        for bit in 0..8 {
            let mut bytes = good.clone();
            bytes[position] ^= 1 << bit;
            std::fs::write(&meta, &bytes).expect("write meta.json");
            match Dynafile::open(&table) {
                Err(Error::Corrupt { file, .. }) | Err(Error::Incompatible { path: file, .. })
                    if file == meta => {}
                Err(other) => panic!("byte {position} bit {bit}: {other:?}"),
                Ok(db) => {
                    let same = db.name() == "table"
                        && *db.key_schema() == schema
                        && collect(db.scan().iter()).is_ok_and(|found| found == items);
                    if !same {
                        different.push(format!(
                            "byte {position} bit {bit}: table {:?} with {}",
                            db.name(),
                            db.key_schema()
                        ));
                    }
                }
            }
        }
    }
    std::fs::write(&meta, &good).expect("restore meta.json");
    different
}

/// Regression: a damaged field name in `meta.json` was ignored as an unknown field, and a
/// damaged `"sort_key"` then read as an absent one: the table opened without its sort key,
/// its reads failed, and it accepted writes encoded under the wrong key schema. Unknown
/// fields are now refused.
#[test]
fn flipped_bit_in_meta_json_fails_open_or_changes_nothing() {
    let _serial = crash_support::serial();
    let different = meta_flips(|position, names| !names.iter().any(|n| n.contains(&position)));
    assert!(different.is_empty(), "{different:#?}");
}

/// Regression: `meta.json` had no checksum, so a flipped bit in the table's name or a key
/// attribute's name opened the table under that name (items came back with the damaged
/// attribute name). The manifest now keeps a checksum of `meta.json`'s content.
#[test]
fn flipped_bit_in_a_name_in_meta_json_fails_open() {
    let _serial = crash_support::serial();
    let different = meta_flips(|position, names| names.iter().any(|n| n.contains(&position)));
    assert!(different.is_empty(), "{different:#?}");
}

/// A partition file the manifest lists but that was deleted is damage to the table: reads
/// that need it fail with `Error::Corrupt` naming it, and `check()` lists it as a problem
/// instead of failing with an I/O error.
#[test]
fn a_missing_partition_file_is_corruption() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("table");
    let db = Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    db.put_item(&item! { "PK" => "p", "SK" => "s", "v" => 1 })?;
    db.close()?;
    let files: Vec<PathBuf> = std::fs::read_dir(path.join("partitions"))
        .expect("list partitions")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    std::fs::remove_file(&files[0]).expect("remove the partition file");

    let db = Dynafile::open(&path)?;
    let result = db.get_item(("p", "s"));
    assert!(
        matches!(&result, Err(Error::Corrupt { file, reason, .. }) if *file == files[0] && reason.contains("missing")),
        "{result:?}"
    );
    let report = db.check()?;
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(report.problems[0].file, files[0]);
    assert!(report.problems[0].reason.contains("missing"), "{report}");
    Ok(())
}
