//! TTL as a table setting: declared at creation and kept by `meta.json` (reopening keeps
//! it and its expiry entries, a builder asking for another attribute is refused), enabled
//! and disabled on an existing table as DynamoDB's UpdateTimeToLive (with its rules), and
//! an enabling cut short finished by the next open (or, cut before `meta.json` recorded it,
//! redone over what it left).

mod common;
mod crash_support;

use std::sync::Arc;

use common::{assert_invalid, scan_all, sorted, strs, tempdir};
use crash_support::{copy_dir, partition_files};
use dynafile::{Dynafile, IndexProjection, Key, KeyType, ManualClock, Result, item};

const NOW: i64 = 1_700_000_000;

fn builder(path: &std::path::Path, clock: &Arc<ManualClock>) -> dynafile::Builder {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .clock(clock.clone())
        .ttl_sweep_interval(None)
}

#[test]
fn reopening_keeps_the_setting_and_the_expiry_entries() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&path, &clock).ttl_attribute("expires_at").open()?;
    for i in 0..10 {
        let pk = format!("k{i}");
        db.put_item(&item! { "PK" => pk.as_str(), "expires_at" => NOW + i })?;
    }
    db.checkpoint()?;
    db.put_item(&item! { "PK" => "late", "expires_at" => NOW + 3 })?;
    db.close()?;

    let db = builder(&path, &clock).open()?;
    assert_eq!(db.ttl_attribute().as_deref(), Some("expires_at"));
    assert_eq!(
        db.info()?.ttl.map(|ttl| (ttl.attribute, ttl.building)),
        Some(("expires_at".to_owned(), false))
    );
    let meta = std::fs::read_to_string(path.join("meta.json")).map_err(|e| dynafile::Error::Io {
        path: path.clone(),
        source: e,
    });
    assert!(meta?.contains(r#""attribute": "expires_at""#));
    clock.advance_seconds(5);
    // k0..k4 and late expired: their entries, checkpointed with the items, are there.
    assert_eq!(db.sweep_expired()?, 6);
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.sweep_entries_read), Some(6));
    let report = db.check()?;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(db);

    let other = builder(&path, &clock).ttl_attribute("ttl").open();
    let message = assert_invalid(other, None, "TTL attribute");
    assert!(message.contains(r#""expires_at""#), "{message}");
    let again = builder(&path, &clock).ttl_attribute("expires_at").open()?;
    assert_eq!(
        sorted(strs(&scan_all(&again)?, "PK")),
        ["k5", "k6", "k7", "k8", "k9"]
    );
    Ok(())
}

#[test]
fn enabling_on_an_existing_table_hides_and_sweeps_what_expired_already() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&path, &clock)
        .global_index(
            "by_team",
            "team",
            KeyType::S,
            None,
            IndexProjection::KeysOnly,
        )
        .open()?;
    assert_eq!(db.ttl_attribute(), None);
    assert_eq!(db.info()?.ttl, None);
    for i in 0..600 {
        let pk = format!("k{i:03}");
        let expires = if i % 100 == 0 { NOW - 1 } else { NOW + 60 };
        db.put_item(&item! { "PK" => pk.as_str(), "team" => "red", "expires_at" => expires })?;
    }
    assert_eq!(db.sweep_expired()?, 0);
    assert_eq!(
        db.get_item(Key::new("k000"))?.map(|item| item.len()),
        Some(3)
    );
    db.enable_ttl("expires_at")?;
    assert_eq!(db.get_item(Key::new("k000"))?, None);
    assert_eq!(db.query("red").index("by_team").page()?.items.len(), 594);
    assert_eq!(db.sweep_expired()?, 6);
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.sweep_entries_read), Some(6));

    // DynamoDB's rules: enable once, disable once; a new attribute needs a disable first.
    assert_invalid(db.enable_ttl("expires_at"), None, "already enabled");
    assert_invalid(db.enable_ttl("other"), None, "disable it first");
    assert_invalid(db.enable_ttl(""), None, "1 to 255 bytes");
    db.disable_ttl()?;
    assert_invalid(db.disable_ttl(), None, "already disabled");
    assert_eq!(db.ttl_attribute(), None);
    clock.advance_seconds(120);
    assert_eq!(db.sweep_expired()?, 0);
    assert_eq!(scan_all(&db)?.len(), 594);

    // Another attribute: the old setting's entries are cleared, the new one's written.
    db.put_item(&item! { "PK" => "z", "until" => NOW })?;
    db.enable_ttl("until")?;
    assert_eq!(scan_all(&db)?.len(), 594);
    assert_eq!(db.get_item(Key::new("z"))?, None);
    assert_eq!(db.sweep_expired()?, 1);
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.sweep_entries_read), Some(7));
    db.close()?;
    let db = builder(&path, &clock).open()?;
    assert_eq!(db.ttl_attribute().as_deref(), Some("until"));
    let report = db.check()?;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // An index added after TTL gets the keyspace after the expiry keyspace.
    db.add_global_index(
        "by_exp",
        "expires_at",
        KeyType::N,
        None,
        IndexProjection::KeysOnly,
    )?;
    assert_eq!(db.query(NOW + 60).index("by_exp").page()?.items.len(), 594);
    db.close()?;
    let db = builder(&path, &clock).open()?;
    assert_eq!(db.query(NOW + 60).index("by_exp").page()?.items.len(), 594);
    assert_eq!(db.query("red").index("by_team").page()?.items.len(), 594);
    Ok(())
}

#[test]
fn an_enabling_cut_short_is_finished_by_the_next_open() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&path, &clock).open()?;
    for i in 0..300 {
        let pk = format!("k{i:03}");
        db.put_item(&item! { "PK" => pk.as_str(), "expires_at" => NOW - 1 - i % 3 })?;
    }
    db.enable_ttl("expires_at")?;
    db.close()?;
    // As if the process had stopped during the backfill: meta.json still says building.
    let meta_path = path.join("meta.json");
    let io = |e| dynafile::Error::Io {
        path: meta_path.clone(),
        source: e,
    };
    let meta = std::fs::read_to_string(&meta_path).map_err(io)?;
    let building = meta.replace(r#""keyspace": 1"#, r#""keyspace": 1, "building": true"#);
    assert_ne!(building, meta);
    std::fs::write(&meta_path, building).map_err(io)?;

    let db = builder(&path, &clock).open()?;
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.building), Some(false));
    assert_eq!(db.sweep_expired()?, 300);
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.sweep_entries_read), Some(300));
    assert!(
        !std::fs::read_to_string(&meta_path)
            .map_err(io)?
            .contains("building")
    );
    Ok(())
}

/// The process stopped after `enable_ttl` created the expiry keyspace's directory but
/// before `meta.json` recorded it: the table opens without TTL, and enabling it again
/// replaces what that directory held (here a keyspace whose entries disagree with the
/// items) with the entries of the items.
#[test]
fn an_expiry_keyspace_meta_json_never_recorded_is_replaced() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let (path, other) = (dir.path().join("db"), dir.path().join("other"));
    for (table, expires) in [(&path, NOW + 60), (&other, NOW - 1)] {
        let db = builder(table, &clock).open()?;
        for i in 0..200 {
            let pk = format!("k{i:03}");
            let expires = if i % 10 == 0 { NOW - 1 } else { expires };
            db.put_item(&item! { "PK" => pk.as_str(), "expires_at" => expires })?;
        }
        db.close()?;
    }
    let db = builder(&other, &clock).open()?;
    db.enable_ttl("expires_at")?;
    db.checkpoint()?;
    db.close()?;
    copy_dir(&other.join("ttl"), &path.join("ttl"));
    assert_eq!(partition_files(&path.join("ttl")).len(), 1);

    let db = builder(&path, &clock).open()?;
    assert_eq!(db.info()?.ttl, None);
    assert_eq!(scan_all(&db)?.len(), 200);
    db.enable_ttl("expires_at")?;
    let report = db.check()?;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(scan_all(&db)?.len(), 180);
    assert_eq!(db.sweep_expired()?, 20);
    Ok(())
}
