//! `Dynafile::info`: the schema, the item count and the files, exactly as they are on disk.

mod common;

use std::path::Path;

use dynafile::{
    FileGroup, IndexKind, IndexProjection, IndexStatus, KeyAttribute, KeySchema, KeyType, Result,
    item,
};

/// The number and total length of the files directly in `dir` whose name ends in `suffix`.
fn files_in(dir: &Path, suffix: &str) -> FileGroup {
    let mut group = FileGroup::default();
    for entry in std::fs::read_dir(dir).expect("list directory") {
        let path = entry.expect("directory entry").path();
        if path.to_string_lossy().ends_with(suffix) {
            group = FileGroup::new(
                group.count + 1,
                group.bytes + std::fs::metadata(&path).expect("file length").len(),
            );
        }
    }
    group
}

/// The groups' files together.
fn sum(groups: &[FileGroup]) -> FileGroup {
    FileGroup::new(
        groups.iter().map(|group| group.count).sum(),
        groups.iter().map(|group| group.bytes).sum(),
    )
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).expect("file length").len()
}

#[test]
fn info_reports_schema_items_and_files() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("orders");
    let db = common::open(&path, KeyType::S, Some(KeyType::N))?;

    let empty = db.info()?;
    assert_eq!(empty.name, "orders");
    assert_eq!(empty.format_version, dynafile::FORMAT_VERSION);
    assert_eq!(
        empty.key_schema,
        KeySchema {
            partition_key: KeyAttribute::new("PK", KeyType::S),
            sort_key: Some(KeyAttribute::new("SK", KeyType::N)),
        }
    );
    assert_eq!(empty.item_count, 0);
    assert_eq!(empty.hash_ranges, 1);
    assert_eq!(empty.memtable_bytes, 0);
    assert_eq!(empty.files.partitions, FileGroup::new(0, 0));

    for n in 0..10 {
        db.put_item(&item! { "PK" => format!("user#{}", n % 3), "SK" => n, "note" => "x" })?;
    }
    db.delete_item(("user#0", 0))?;
    let recent = db.info()?;
    assert_eq!(recent.item_count, 9);
    assert!(recent.memtable_bytes > 0, "{recent:?}");
    assert_eq!(recent.files.partitions, FileGroup::new(0, 0));
    assert_eq!(recent.files.log, files_in(&path.join("wal"), ".log"));
    assert!(recent.files.log.count >= 1, "{recent:?}");

    db.checkpoint()?;
    let info = db.info()?;
    assert_eq!(info.item_count, 9);
    assert_eq!(info.memtable_bytes, 0);
    assert_eq!(info.hash_ranges, 1);
    assert_eq!(info.partition_runs, 0);
    let partitions = files_in(&path.join("partitions"), ".dfp");
    assert_eq!(partitions.count, 1);
    assert_eq!(info.files.partitions, partitions);
    assert_eq!(info.files.log, files_in(&path.join("wal"), ".log"));
    assert_eq!(
        info.files.meta,
        FileGroup::new(1, file_len(&path.join("meta.json")))
    );
    assert_eq!(
        info.files.manifest,
        FileGroup::new(1, file_len(&path.join("manifest")))
    );
    assert_eq!(info.files.obsolete_partitions, FileGroup::new(0, 0));
    let parts = [
        info.files.meta,
        info.files.manifest,
        info.files.partitions,
        info.files.obsolete_partitions,
        info.files.log,
    ];
    assert_eq!(info.files.total, sum(&parts));

    // Changes after the checkpoint overlay the partition file: a delete and a new item.
    db.delete_item(("user#1", 1))?;
    db.put_item(&item! { "PK" => "user#9", "SK" => 1 })?;
    assert_eq!(db.info()?.item_count, 9);
    Ok(())
}

#[test]
fn info_serializes_as_one_json_object() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = common::open(&dir.path().join("users"), KeyType::B, None)?;
    db.put_item(&item! { "PK" => vec![1u8, 2] })?;
    db.checkpoint()?;
    let info = db.info()?;
    let json = serde_json::to_value(&info).expect("serialize");
    let group = |group: FileGroup| serde_json::json!({"count": group.count, "bytes": group.bytes});
    assert_eq!(
        json,
        serde_json::json!({
            "name": "users",
            "format_version": 1,
            "key_schema": {"partition_key": {"name": "PK", "type": "B"}, "sort_key": null},
            "item_count": 1,
            "hash_ranges": 1,
            "partition_runs": 0,
            "memtable_bytes": 0,
            "files": {
                "meta": group(info.files.meta),
                "manifest": group(info.files.manifest),
                "partitions": group(info.files.partitions),
                "obsolete_partitions": group(info.files.obsolete_partitions),
                "log": group(info.files.log),
                "total": group(info.files.total),
            },
        })
    );
    Ok(())
}

#[test]
fn info_counts_split_ranges_and_runs() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("big");
    let db = dynafile::Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .target_file_size(8 << 10)
        .block_size(512)
        .open()?;
    for round in 0..2 {
        for n in 0..400 {
            db.put_item(
                &item! { "PK" => format!("user#{n}"), "round" => round, "pad" => "x".repeat(40) },
            )?;
        }
        db.checkpoint()?;
    }
    let info = db.info()?;
    assert_eq!(info.item_count, 400);
    assert!(info.hash_ranges > 1, "{info:?}");
    assert_eq!(
        info.files.partitions.count,
        info.hash_ranges + info.partition_runs,
        "{info:?}"
    );
    // Replaced files are deleted once unused (or at the next open, below), so until then
    // the directory may hold more than the live files.
    let on_disk = files_in(&path.join("partitions"), ".dfp");
    assert!(on_disk.count >= info.files.partitions.count, "{info:?}");
    db.close()?;

    let reopened = dynafile::Dynafile::open(&path)?.info()?;
    assert_eq!(reopened.item_count, 400);
    assert_eq!(reopened.files.partitions, info.files.partitions);
    assert_eq!(reopened.files.obsolete_partitions, FileGroup::new(0, 0));
    assert_eq!(
        reopened.files.partitions,
        files_in(&path.join("partitions"), ".dfp")
    );
    Ok(())
}

/// Each index is reported with its definition, status, entry count (a sparse index counts
/// only the items with its key attributes) and exactly the files of `indexes/<name>/`; the
/// table's files count every index's.
#[test]
fn info_reports_each_index_and_its_files() -> Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("orders");
    let db = dynafile::Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::N)
        .local_index("by_total", "total", KeyType::N, IndexProjection::KeysOnly)
        .open()?;
    for n in 0..30 {
        let mut item = item! { "PK" => format!("user#{}", n % 3), "SK" => n, "total" => n * 10 };
        if n % 2 == 0 {
            item.insert("status", "open");
        }
        db.put_item(&item)?;
    }
    db.add_global_index(
        "by_status",
        "status",
        KeyType::S,
        Some(("SK", KeyType::N)),
        IndexProjection::Include(vec!["total".into()]),
    )?;
    db.checkpoint()?;
    let info = db.info()?;
    assert_eq!(info.item_count, 30);
    let summary: Vec<_> = info
        .indexes
        .iter()
        .map(|index| {
            (
                index.name.as_str(),
                index.kind,
                index.key_schema.clone(),
                index.projection.clone(),
                index.status,
                index.item_count,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "by_total",
                IndexKind::Local,
                KeySchema {
                    partition_key: KeyAttribute::new("PK", KeyType::S),
                    sort_key: Some(KeyAttribute::new("total", KeyType::N)),
                },
                IndexProjection::KeysOnly,
                IndexStatus::Active,
                30,
            ),
            (
                "by_status",
                IndexKind::Global,
                KeySchema {
                    partition_key: KeyAttribute::new("status", KeyType::S),
                    sort_key: Some(KeyAttribute::new("SK", KeyType::N)),
                },
                IndexProjection::Include(vec!["total".into()]),
                IndexStatus::Active,
                15,
            ),
        ]
    );
    let mut index_totals = Vec::new();
    for index in &info.indexes {
        let index_dir = path.join("indexes").join(&index.name);
        let partitions = files_in(&index_dir.join("partitions"), ".dfp");
        let manifest = FileGroup::new(1, file_len(&index_dir.join("manifest")));
        assert_eq!(partitions.count, 1, "{}", index.name);
        assert_eq!(index.files.partitions, partitions, "{}", index.name);
        assert_eq!(index.files.manifest, manifest, "{}", index.name);
        assert_eq!(index.files.obsolete_partitions, FileGroup::new(0, 0));
        let total = sum(&[manifest, partitions]);
        assert_eq!(index.files.total, total, "{}", index.name);
        assert_eq!((index.hash_ranges, index.memtable_bytes), (1, 0));
        index_totals.push(total);
    }
    assert_eq!(info.files.indexes, sum(&index_totals));
    let parts = [
        info.files.meta,
        info.files.manifest,
        info.files.partitions,
        info.files.obsolete_partitions,
        info.files.log,
        info.files.indexes,
    ];
    assert_eq!(info.files.total, sum(&parts));
    Ok(())
}
