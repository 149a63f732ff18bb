//! `dynafile info`: one JSON object with the schema, the item count, the files and each
//! index.

mod common;

use std::path::Path;

use common::{dynafile, dynafile_with_stdin};
use serde_json::json;

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).expect("file length").len()
}

/// The count and total length of the files in `dir`.
fn group(dir: &Path) -> serde_json::Value {
    let lengths: Vec<u64> = std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| file_len(&entry.expect("entry").path()))
        .collect();
    json!({"count": lengths.len(), "bytes": lengths.iter().sum::<u64>()})
}

#[test]
fn info_prints_one_json_object_with_exact_fields() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("events");
    dynafile([
        "create".as_ref(),
        table.as_os_str(),
        "--pk".as_ref(),
        "id:N".as_ref(),
        "--sk".as_ref(),
        "at:S".as_ref(),
        "--name".as_ref(),
        "Events".as_ref(),
    ])
    .ok();
    let lines = (0..1_500)
        .map(|i| format!(r#"{{"id": {}, "at": "t{i}", "what": "x"}}"#, i % 10))
        .collect::<Vec<_>>()
        .join("\n");
    dynafile_with_stdin(["import".as_ref(), table.as_os_str()], lines).ok();
    // An index over a third of the items ("what" is "x" in the others: a sparse index).
    let db = dynafile::Dynafile::open(&table).expect("open");
    for i in (0..1_500).step_by(3) {
        db.update_item(
            dynafile::Key::new(i % 10).sort(format!("t{i}")),
            "SET kind = :k",
        )
        .value(":k", "special")
        .execute()
        .expect("update");
    }
    db.add_global_index(
        "by_kind",
        "kind",
        dynafile::KeyType::S,
        Some(("at", dynafile::KeyType::S)),
        dynafile::IndexProjection::KeysOnly,
    )
    .expect("add index");
    db.close().expect("close");

    let stdout = dynafile(["info".as_ref(), table.as_os_str()])
        .ok()
        .to_owned();
    let info: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    let meta = file_len(&table.join("meta.json"));
    let manifest = file_len(&table.join("manifest"));
    let partitions = group(&table.join("partitions"));
    let log = group(&table.join("wal"));
    let index_dir = table.join("indexes").join("by_kind");
    let index_manifest = file_len(&index_dir.join("manifest"));
    let index_partitions = group(&index_dir.join("partitions"));
    let count = |group: &serde_json::Value| group["count"].as_u64().expect("count");
    let bytes = |group: &serde_json::Value| group["bytes"].as_u64().expect("bytes");
    assert_eq!(count(&partitions), 1);
    assert_eq!(count(&index_partitions), 1);
    let index_total = json!({
        "count": 1 + count(&index_partitions),
        "bytes": index_manifest + bytes(&index_partitions),
    });
    assert_eq!(
        info,
        json!({
            "name": "Events",
            "format_version": 1,
            "key_schema": {
                "partition_key": {"name": "id", "type": "N"},
                "sort_key": {"name": "at", "type": "S"},
            },
            "item_count": 1500,
            "hash_ranges": 1,
            "partition_runs": 0,
            "memtable_bytes": 0,
            "files": {
                "meta": {"count": 1, "bytes": meta},
                "manifest": {"count": 1, "bytes": manifest},
                "partitions": partitions,
                "obsolete_partitions": {"count": 0, "bytes": 0},
                "log": log,
                "indexes": index_total,
                "total": {
                    "count": 2 + count(&partitions) + count(&log) + count(&index_total),
                    "bytes": meta
                        + manifest
                        + bytes(&partitions)
                        + bytes(&log)
                        + bytes(&index_total),
                },
            },
            "indexes": [{
                "name": "by_kind",
                "kind": "global",
                "key_schema": {
                    "partition_key": {"name": "kind", "type": "S"},
                    "sort_key": {"name": "at", "type": "S"},
                },
                "projection": "KEYS_ONLY",
                "status": "active",
                "item_count": 500,
                "hash_ranges": 1,
                "partition_runs": 0,
                "memtable_bytes": 0,
                "files": {
                    "manifest": {"count": 1, "bytes": index_manifest},
                    "partitions": index_partitions,
                    "obsolete_partitions": {"count": 0, "bytes": 0},
                    "total": index_total,
                },
            }],
        })
    );
}
