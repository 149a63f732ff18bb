//! A partition file written by the real engine's checkpoint (many small blocks), then cut
//! short or flipped by the input, and the table opened, read through every path and checked.
//!
//! Opening reads no partition file, so it succeeds. No read panics or allocates hugely; a
//! read that fails fails with `Error::Corrupt` naming the damaged file, and `check` runs. A
//! cut file fails every scan and `check` reports it. A damaged file that reads without error
//! and whose checksums all pass (`check` finds nothing) returns exactly the items written.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use dynafile::{Error, Item, Result, item};
use dynafile_fuzz::{Damage, Template, builder, damaged_copy, scan_all};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    template: Template,
    file: PathBuf,
    bytes: Vec<u8>,
    items: Vec<Item>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let table = dir.path().join("table");
    let db = builder(&table).open().expect("create the table");
    for partition in 0..6 {
        let mut batch = db.batch_writer();
        for sort in 0..8 {
            batch
                .put_item(&item! {
                    "PK" => format!("pk{partition}"),
                    "SK" => format!("sk{sort}"),
                    "v" => partition * 10 + sort,
                    "l" => vec![dynafile::Value::from("x"); sort],
                })
                .expect("queue");
        }
        batch.commit().expect("commit");
    }
    db.close()
        .expect("close, which checkpoints into a partition file");
    let db = builder(&table).open().expect("reopen");
    let items = scan_all(&db).expect("scan");
    drop(db);
    let template = Template::read(&table);
    let (file, bytes) = template.file("partitions", "dfp");
    let (file, bytes) = (file.to_owned(), bytes.to_vec());
    Fixture {
        template,
        file,
        bytes,
        items,
    }
});

fn assert_corrupt_in<T: std::fmt::Debug>(result: &Result<T>, file: &std::path::Path) {
    if let Err(error) = result {
        assert!(
            matches!(error, Error::Corrupt { file: found, .. } if found == file),
            "{error:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((dir, damage)) = damaged_copy(&fixture.template, &fixture.file, &fixture.bytes, data)
    else {
        return;
    };
    let damaged = dir.path().join(&fixture.file);
    let db = builder(dir.path())
        .open()
        .expect("open reads no partition file");
    let scanned = scan_all(&db);
    assert_corrupt_in(&scanned, &damaged);
    let reversed: Result<Vec<Item>> = db.scan().reverse().iter().and_then(|i| i.collect());
    assert_corrupt_in(&reversed, &damaged);
    let mut reads_ok = scanned.is_ok() && reversed.is_ok();
    for item in fixture.items.iter().step_by(5) {
        let (pk, sk) = (
            item["PK"].as_s().unwrap_or_default(),
            item["SK"].as_s().unwrap_or_default(),
        );
        let got = db.get_item((pk, sk));
        assert_corrupt_in(&got, &damaged);
        let queried: Result<Vec<Item>> = db.query(pk).iter().and_then(|i| i.collect());
        assert_corrupt_in(&queried, &damaged);
        reads_ok &= got.is_ok() && queried.is_ok();
    }
    let report = db.check().expect("check runs");
    if let Damage::Truncate(len) = damage
        && len < fixture.bytes.len()
    {
        assert!(scanned.is_err(), "a cut file cannot be scanned");
        assert!(!report.is_ok(), "check misses a cut file");
    }
    if reads_ok && report.is_ok() && damage.first_changed(&fixture.bytes).is_some() {
        // Only a flip that every checksum misses gets here (the fuzzer can forge one).
        return;
    }
    if damage.first_changed(&fixture.bytes).is_none() {
        assert_eq!(scanned.ok().as_ref(), Some(&fixture.items));
        assert!(report.is_ok(), "{report}");
    }
});
