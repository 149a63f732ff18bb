//! Recovery from a torn log tail (DESIGN.md promises 1, 2 and 6).
//!
//! A child process writes N commits (single puts and deletes, and batches) and exits without
//! closing the table, so they are only in the log. The parent then cuts the last log segment
//! at every byte offset within the last record, as a write torn by a crash would leave it,
//! and opens a copy of the table each time: it must hold exactly the first N - 1 commits
//! (all N with the whole file), pass `check()`, and take a write that survives a reopen, and
//! also a crash right after recovery (a second child recovers, writes and exits without
//! closing). Garbage after the last record (zeros, random bytes, a record that fails its
//! checksum) is dropped the same way.

mod crash_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crash_support::{
    Rng, append, child_command, child_param, copy_dir, is_child, log_record_offsets, log_segments,
    trim_log_segments, truncate, wait_success,
};
use dynafile::{Durability, Dynafile, Item, KeyType, Value, WriteOptions, item};

type Model = BTreeMap<(String, String), String>;

fn open(dir: &Path) -> Dynafile {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()
        .expect("open the table")
}

/// One commit: puts `(pk, sk, v)` (`v: None` deletes), as a batch or a single write.
struct Commit {
    batch: bool,
    durability: Durability,
    ops: Vec<(&'static str, &'static str, Option<String>)>,
}

fn put(
    pk: &'static str,
    sk: &'static str,
    v: &str,
) -> (&'static str, &'static str, Option<String>) {
    (pk, sk, Some(v.to_owned()))
}

fn delete(pk: &'static str, sk: &'static str) -> (&'static str, &'static str, Option<String>) {
    (pk, sk, None)
}

fn single(op: (&'static str, &'static str, Option<String>)) -> Commit {
    Commit {
        batch: false,
        durability: Durability::Immediate,
        ops: vec![op],
    }
}

fn batch(ops: Vec<(&'static str, &'static str, Option<String>)>) -> Commit {
    Commit {
        batch: true,
        durability: Durability::Immediate,
        ops,
    }
}

/// The commits the writer child makes; `last` picks the kind of the final one.
fn commits(last: &str) -> Vec<Commit> {
    let mut commits = vec![
        single(put("a", "1", "c1")),
        batch(vec![
            put("a", "2", "c2"),
            put("a", "3", "c2"),
            put("b", "1", "c2"),
        ]),
        single(put("a", "1", "c3")),
        single(delete("a", "2")),
        batch(vec![
            put("c", "1", "c5"),
            delete("a", "3"),
            put("b", "1", "c5"),
            put("c", "2", "c5"),
        ]),
        Commit {
            durability: Durability::Buffered,
            ..single(put("d", "1", "c6"))
        },
        single(delete("c", "1")),
        batch(vec![put("e", "1", "c8"), put("e", "2", "c8")]),
    ];
    commits.push(match last {
        "batch" => batch(vec![
            put("a", "1", "c9"),
            delete("e", "1"),
            put("f", "1", "c9"),
            put("a", "2", "c9"),
        ]),
        "put" => single(put("b", "1", "c9")),
        "delete" => single(delete("e", "2")),
        other => panic!("unknown last commit {other}"),
    });
    commits
}

/// The table after the first `n` commits.
fn model_after(commits: &[Commit], n: usize) -> Model {
    let mut model = Model::new();
    for commit in &commits[..n] {
        for (pk, sk, v) in &commit.ops {
            let key = ((*pk).to_owned(), (*sk).to_owned());
            match v {
                Some(v) => model.insert(key, v.clone()),
                None => model.remove(&key),
            };
        }
    }
    model
}

fn item_of(pk: &str, sk: &str, v: &str) -> Item {
    item! { "PK" => pk, "SK" => sk, "v" => v }
}

/// Reads the whole table by scan, and every key of `expected` by get.
fn read_all(db: &Dynafile, expected: &Model) -> Model {
    let items: Vec<Item> = db
        .scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan");
    let mut found = Model::new();
    for item in items {
        let text = |name: &str| {
            item.get(name)
                .and_then(Value::as_s)
                .unwrap_or_else(|| panic!("{name} in {item:?}"))
                .to_owned()
        };
        assert_eq!(item.len(), 3, "attributes of {item:?}");
        found.insert((text("PK"), text("SK")), text("v"));
    }
    for ((pk, sk), v) in expected {
        assert_eq!(
            db.get_item((pk.as_str(), sk.as_str())).expect("get"),
            found
                .contains_key(&(pk.clone(), sk.clone()))
                .then(|| item_of(pk, sk, v)),
            "get of ({pk}, {sk}) disagrees with the scan"
        );
    }
    found
}

fn assert_check_ok(db: &Dynafile, context: &str) {
    let report = db.check().expect("check");
    assert!(report.is_ok(), "{context}: check found problems: {report}");
}

/// The child that writes the commits and exits without closing.
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn torn_tail_writer_child() {
    if !is_child() {
        return;
    }
    let dir = PathBuf::from(child_param("DIR").expect("DIR"));
    let last = child_param("LAST").expect("LAST");
    let db = open(&dir);
    for commit in commits(&last) {
        if commit.batch {
            let mut batch = db.batch_writer().durability(commit.durability);
            for (pk, sk, v) in &commit.ops {
                match v {
                    Some(v) => batch.put_item(&item_of(pk, sk, v)).expect("queue a put"),
                    None => batch.delete_item((*pk, *sk)).expect("queue a delete"),
                }
            }
            batch.commit().expect("commit");
        } else {
            let (pk, sk, v) = &commit.ops[0];
            let options = WriteOptions::new().durability(commit.durability);
            match v {
                Some(v) => db.put_item_with(&item_of(pk, sk, v), options),
                None => db.delete_item_with((*pk, *sk), options),
            }
            .expect("write");
        }
    }
    // Dying without closing leaves every commit in the log only.
    std::process::exit(0);
}

/// The child that recovers a table, writes one item and exits without closing.
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn recover_and_write_child() {
    if !is_child() {
        return;
    }
    let dir = PathBuf::from(child_param("DIR").expect("DIR"));
    let db = open(&dir);
    db.put_item(&item_of("after", "recovery", "written"))
        .expect("write after recovery");
    std::process::exit(0);
}

fn run_child(test: &str, params: &[(&str, String)], work: &Path) {
    let stderr = work.join(format!("{test}.stderr"));
    let child = child_command(test, params, &stderr)
        .spawn()
        .expect("spawn the child");
    wait_success(child, &stderr);
}

/// Writes the commits in a child; returns the table's directory and its last log segment.
fn write_commits(work: &Path, last: &str) -> (PathBuf, PathBuf) {
    let table = work.join("original");
    run_child(
        "torn_tail_writer_child",
        &[
            ("DIR", table.display().to_string()),
            ("LAST", last.to_owned()),
        ],
        work,
    );
    trim_log_segments(&table);
    let segments = log_segments(&table);
    let segment = segments.last().expect("a log segment").clone();
    assert_eq!(
        log_record_offsets(&segment).len(),
        commits(last).len(),
        "every commit is one record of the last segment"
    );
    (table, segment)
}

/// Opens a damaged copy and checks it holds `expected`; then a write after recovery must
/// survive a reopen.
fn check_recovers_to(copy: &Path, expected: &Model, context: &str) {
    let db = open(copy);
    assert_eq!(&read_all(&db, expected), expected, "{context}");
    assert_check_ok(&db, context);
    db.put_item(&item_of("after", "recovery", "written"))
        .expect("write after recovery");
    db.close().expect("close");
    let mut with_write = expected.clone();
    with_write.insert(("after".into(), "recovery".into()), "written".into());
    let db = Dynafile::open(copy).expect("reopen");
    assert_eq!(
        read_all(&db, &with_write),
        with_write,
        "{context}, after a write and a reopen"
    );
    assert_check_ok(&db, context);
}

/// A child recovers the damaged copy, writes and dies without closing; the parent then
/// recovers what that recovery left.
fn check_recovery_survives_a_crash(copy: &Path, expected: &Model, work: &Path, context: &str) {
    run_child(
        "recover_and_write_child",
        &[("DIR", copy.display().to_string())],
        work,
    );
    let mut with_write = expected.clone();
    with_write.insert(("after".into(), "recovery".into()), "written".into());
    let db = open(copy);
    assert_eq!(
        read_all(&db, &with_write),
        with_write,
        "{context}, recovered, written and crashed"
    );
    assert_check_ok(&db, context);
}

fn cut_at_every_offset_of_the_last_record(last: &str) {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segment) = write_commits(work.path(), last);
    let commits = commits(last);
    let all = model_after(&commits, commits.len());
    let all_but_last = model_after(&commits, commits.len() - 1);
    assert_ne!(all, all_but_last, "the last commit changes the table");
    let start = *log_record_offsets(&segment).last().expect("records");
    let end = std::fs::metadata(&segment).expect("segment size").len();
    let relative = segment.strip_prefix(&table).expect("segment in the table");
    // With a child crash after recovery at a few of the cuts.
    let crash_cuts = [
        start,
        start + 1,
        start + 8,
        start + 9,
        (start + end) / 2,
        end - 1,
        end,
    ];
    for cut in start..=end {
        let copy = work.path().join(format!("cut-{cut}"));
        copy_dir(&table, &copy);
        truncate(&copy.join(relative), cut);
        let expected = if cut == end { &all } else { &all_but_last };
        let context = format!("last commit {last}, log cut at {cut} (record {start}..{end})");
        if crash_cuts.contains(&cut) {
            check_recovery_survives_a_crash(&copy, expected, work.path(), &context);
        } else {
            check_recovers_to(&copy, expected, &context);
        }
        std::fs::remove_dir_all(&copy).expect("remove the copy");
    }
}

#[test]
fn torn_last_batch_recovers_the_commits_before_it() {
    cut_at_every_offset_of_the_last_record("batch");
}

#[test]
fn torn_last_put_recovers_the_commits_before_it() {
    cut_at_every_offset_of_the_last_record("put");
}

#[test]
fn torn_last_delete_recovers_the_commits_before_it() {
    cut_at_every_offset_of_the_last_record("delete");
}

#[test]
fn garbage_after_the_last_record_is_dropped() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segment) = write_commits(work.path(), "batch");
    let commits = commits("batch");
    let all = model_after(&commits, commits.len());
    let relative = segment.strip_prefix(&table).expect("segment in the table");
    let records = log_record_offsets(&segment);
    let bytes = std::fs::read(&segment).expect("read the segment");
    let last_record = bytes[*records.last().expect("records") as usize..].to_vec();
    let mut rng = Rng::new(0x5eed);

    let mut garbage: Vec<(String, Vec<u8>)> = Vec::new();
    for len in [1, 3, 8, 9, 64, 4096] {
        garbage.push((format!("{len} zero bytes"), vec![0; len]));
    }
    for len in [1, 5, 13, 200, 5000] {
        garbage.push((format!("{len} random bytes"), rng.bytes(len)));
    }
    garbage.push(("100 0xff bytes".into(), vec![0xff; 100]));
    let mut bad_checksum = 20u32.to_le_bytes().to_vec();
    bad_checksum.extend_from_slice(&0x1234_5678u32.to_le_bytes());
    bad_checksum.extend(rng.bytes(20));
    garbage.push(("a record failing its checksum".into(), bad_checksum));
    let mut huge = u32::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(&[0; 4]);
    garbage.push(("a header claiming 4 GiB".into(), huge));
    garbage.push(("a repeat of the last record".into(), last_record.clone()));
    let mut flipped = last_record.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    garbage.push(("a damaged repeat of the last record".into(), flipped));

    for (index, (what, bytes)) in garbage.iter().enumerate() {
        for crash in [false, true] {
            let copy = work.path().join(format!("garbage-{index}-{crash}"));
            copy_dir(&table, &copy);
            append(&copy.join(relative), bytes);
            let context = format!("{what} after the last record");
            if crash {
                check_recovery_survives_a_crash(&copy, &all, work.path(), &context);
            } else {
                check_recovers_to(&copy, &all, &context);
            }
        }
    }
}

/// Regression: a segment is created by writing and syncing its 16-byte header; a process
/// killed in between leaves a file of fewer than 16 bytes (or 16 bytes that are not a
/// header), which holds no record. Recovery deleted it only after creating the next segment,
/// so a second crash in between left it before a newer segment, where it was taken for
/// damage: the table no longer opened. And where the header was damaged in a segment that
/// holds records, recovery took it for such an empty segment and silently dropped its
/// records (see `corruption.rs`). A segment no longer than a header that holds none is now
/// empty wherever it is.
#[test]
fn segments_whose_creation_was_cut_short_are_empty() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let (table, segment) = write_commits(work.path(), "batch");
    let commits = commits("batch");
    let all = model_after(&commits, commits.len());
    let name = |n: u64| format!("{n:020}.log");
    let number: u64 = segment
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.parse().ok())
        .expect("a numbered segment");
    let header = std::fs::read(&segment).expect("read the segment")[..16].to_vec();
    let mut garbage_header = header.clone();
    garbage_header[3] ^= 0x40;
    // Each case: segment files (number, bytes) planted after the written one.
    type Planted = Vec<(u64, Vec<u8>)>;
    let cases: Vec<(&str, Planted)> = vec![
        ("an empty last segment", vec![(number + 1, Vec::new())]),
        (
            "a last segment with half a header",
            vec![(number + 1, header[..7].to_vec())],
        ),
        (
            "a last segment with 15 header bytes",
            vec![(number + 1, header[..15].to_vec())],
        ),
        (
            "a last segment of 16 bytes that are no header",
            vec![(number + 1, garbage_header)],
        ),
        (
            "an empty segment before a newer, empty one",
            vec![(number + 1, Vec::new()), (number + 2, header.clone())],
        ),
        (
            "half a header before a newer, empty segment",
            vec![
                (number + 1, header[..9].to_vec()),
                (number + 2, header.clone()),
            ],
        ),
    ];
    for (index, (what, files)) in cases.into_iter().enumerate() {
        for crash in [false, true] {
            let copy = work.path().join(format!("case-{index}-{crash}"));
            copy_dir(&table, &copy);
            for (n, bytes) in &files {
                std::fs::write(copy.join("wal").join(name(*n)), bytes).expect("plant a segment");
            }
            if crash {
                check_recovery_survives_a_crash(&copy, &all, work.path(), what);
            } else {
                check_recovers_to(&copy, &all, what);
            }
        }
    }
}

/// A process killed while creating a table leaves one of these states, in the order creation
/// writes them; each must open as an empty table that takes writes that survive a reopen.
#[test]
fn table_creation_cut_short_at_any_step_opens_as_an_empty_table() {
    let _serial = crash_support::serial();
    let work = tempfile::tempdir().expect("temporary directory");
    let complete = work.path().join("complete");
    open(&complete)
        .close()
        .expect("create a table to copy pieces from");
    let meta = std::fs::read(complete.join("meta.json")).expect("meta.json");
    let manifest = std::fs::read(complete.join("manifest")).expect("manifest");
    let segment_header =
        std::fs::read(&log_segments(&complete)[0]).expect("segment")[..16].to_vec();
    let first_segment = format!("{:020}.log", 1);
    // Each step: what is in the directory, as (name, file bytes or `None` for a directory).
    type Planted = Vec<(&'static str, Option<Vec<u8>>)>;
    let steps: Vec<(&str, Planted)> = vec![
        ("the lock only", vec![("LOCK", Some(Vec::new()))]),
        (
            "half of meta.json in its temporary file",
            vec![
                ("LOCK", Some(Vec::new())),
                (
                    ".meta.json.AbCdEf.tmp",
                    Some(meta[..meta.len() / 2].to_vec()),
                ),
            ],
        ),
        ("meta.json", vec![("meta.json", Some(meta.clone()))]),
        (
            "meta.json and empty directories",
            vec![
                ("meta.json", Some(meta.clone())),
                ("partitions", None),
                ("wal", None),
            ],
        ),
        (
            "meta.json, directories and the manifest",
            vec![
                ("meta.json", Some(meta.clone())),
                ("partitions", None),
                ("wal", None),
                ("manifest", Some(manifest.clone())),
            ],
        ),
        (
            "everything but a whole first log segment",
            vec![
                ("meta.json", Some(meta.clone())),
                ("partitions", None),
                ("wal", None),
                ("manifest", Some(manifest.clone())),
                ("wal/first", Some(segment_header[..5].to_vec())),
            ],
        ),
    ];
    for (index, (what, files)) in steps.into_iter().enumerate() {
        let table = work.path().join(format!("step-{index}"));
        std::fs::create_dir(&table).expect("table directory");
        for (name, bytes) in files {
            let name = name.replace("first", &first_segment);
            match bytes {
                Some(bytes) => std::fs::write(table.join(name), bytes).expect("plant a file"),
                None => std::fs::create_dir(table.join(name)).expect("plant a directory"),
            }
        }
        check_recovers_to(&table, &Model::new(), what);
        let mut names: Vec<String> = std::fs::read_dir(&table)
            .expect("read the table")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["LOCK", "manifest", "meta.json", "partitions", "wal"],
            "{what}: nothing left over"
        );
    }
}
