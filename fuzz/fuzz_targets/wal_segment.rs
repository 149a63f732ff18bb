//! A log segment written by the real engine (puts, a batch and a delete, never checkpointed),
//! then cut short or flipped by the input, and the table opened and read.
//!
//! Whatever the damage: no panic, no huge allocation, and a failure is `Error::Corrupt` (or
//! `Error::Incompatible` for a damaged version). A cut is a torn tail: the table opens with
//! exactly the commits whose records are whole, and `check` finds nothing wrong. Flips past
//! the last record (in the zeros a segment grows ahead by) lose nothing.
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use dynafile::{Error, Item, item};
use dynafile_fuzz::{Damage, Template, builder, damaged_copy, scan_all};
use libfuzzer_sys::fuzz_target;

enum Change {
    Put(Item),
    Delete(String, String),
}

type Model = BTreeMap<(String, String), Item>;

fn commits() -> Vec<Vec<Change>> {
    let put = |i: usize| {
        Change::Put(item! {
            "PK" => format!("pk{}", i % 3),
            "SK" => format!("sk{i:02}"),
            "v" => i,
            "pad" => "p".repeat(i * 5),
        })
    };
    let mut commits: Vec<Vec<Change>> = (0..6).map(|i| vec![put(i)]).collect();
    commits.push((6..9).map(put).collect());
    commits.push(vec![Change::Delete("pk1".into(), "sk04".into())]);
    commits.push(vec![put(9)]);
    commits
}

fn model_after(commits: &[Vec<Change>]) -> Model {
    let mut model = Model::new();
    for change in commits.iter().flatten() {
        match change {
            Change::Put(item) => {
                let key = (item["PK"].as_s(), item["SK"].as_s());
                let key = (
                    key.0.unwrap_or_default().to_owned(),
                    key.1.unwrap_or_default().to_owned(),
                );
                model.insert(key, item.clone());
            }
            Change::Delete(pk, sk) => {
                model.remove(&(pk.clone(), sk.clone()));
            }
        }
    }
    model
}

struct Fixture {
    template: Template,
    segment: PathBuf,
    /// The segment's records and then 64 zero bytes, as space grown ahead.
    bytes: Vec<u8>,
    /// Where each record ends.
    record_ends: Vec<usize>,
    commits: Vec<Vec<Change>>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let table = dir.path().join("table");
    let commits = commits();
    let template = {
        let db = builder(&table).open().expect("create the table");
        for commit in &commits {
            let mut batch = db.batch_writer();
            for change in commit {
                match change {
                    Change::Put(item) => batch.put_item(item).expect("queue a put"),
                    Change::Delete(pk, sk) => {
                        batch
                            .delete_item((pk.as_str(), sk.as_str()))
                            .expect("queue a delete");
                    }
                }
            }
            batch.commit().expect("commit");
        }
        // Read while open, as a crash would leave it: closing would checkpoint the log away.
        Template::read(&table)
    };
    let (segment, file) = template.file("wal", "log");
    let segment = segment.to_owned();
    let mut record_ends = Vec::new();
    let mut pos = 16;
    while pos + 8 <= file.len() {
        let len = u32::from_le_bytes(file[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        pos += 8 + len;
        record_ends.push(pos);
    }
    assert_eq!(record_ends.len(), commits.len(), "one record per commit");
    let mut bytes = file[..pos].to_vec();
    bytes.resize(pos + 64, 0);
    Fixture {
        template,
        segment,
        bytes,
        record_ends,
        commits,
    }
});

fn sorted(items: Vec<Item>) -> Vec<Item> {
    let mut by_key: Vec<Item> = items;
    by_key.sort_by(|a, b| (a["PK"].as_s(), a["SK"].as_s()).cmp(&(b["PK"].as_s(), b["SK"].as_s())));
    by_key
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((dir, damage)) =
        damaged_copy(&fixture.template, &fixture.segment, &fixture.bytes, data)
    else {
        return;
    };
    let data_end = *fixture.record_ends.last().expect("records");
    let opened = builder(dir.path()).open();
    let whole = |len: usize| {
        fixture
            .record_ends
            .iter()
            .filter(|&&end| end <= len)
            .count()
    };
    match &damage {
        Damage::Truncate(len) => {
            let db = opened.expect("a cut log is a torn tail and opens");
            let expected: Vec<Item> = model_after(&fixture.commits[..whole(*len)])
                .into_values()
                .collect();
            assert_eq!(
                sorted(scan_all(&db).expect("scan")),
                expected,
                "cut at {len}"
            );
            let report = db.check().expect("check runs");
            assert!(report.is_ok(), "{report}");
        }
        Damage::Flip(_)
            if damage
                .first_changed(&fixture.bytes)
                .is_none_or(|at| at >= data_end) =>
        {
            let db = opened.expect("flips after the records lose nothing");
            let expected = model_after(&fixture.commits);
            let found: Vec<Item> = sorted(scan_all(&db).expect("scan"))
                .into_iter()
                .filter(|item| {
                    let pk = item["PK"].as_s().unwrap_or_default().to_owned();
                    let sk = item["SK"].as_s().unwrap_or_default().to_owned();
                    expected.contains_key(&(pk, sk))
                })
                .collect();
            assert_eq!(found, expected.into_values().collect::<Vec<_>>());
        }
        Damage::Flip(_) => match opened {
            Ok(db) => {
                if let Err(error) = scan_all(&db) {
                    assert!(matches!(error, Error::Corrupt { .. }), "{error:?}");
                }
            }
            Err(error) => assert!(
                matches!(error, Error::Corrupt { .. } | Error::Incompatible { .. }),
                "{error:?}"
            ),
        },
    }
});
