//! TTL's sweep: it deletes exactly the expired items, reading only their expiry entries;
//! each deletion is a conditional delete through the write pipeline, so index entries go
//! with it, change streams show a REMOVE of origin Ttl with the old image (durable ones
//! too, after a restart), and a concurrent extension of an item's expiry wins. The
//! background sweep runs by itself and stops when the table closes.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{scan_all, sorted, strs, tempdir};
use dynafile::{
    Durability, Dynafile, EventKind, EventOrigin, IndexProjection, Key, KeyType, ManualClock,
    Result, Retention, StreamView, item,
};

const NOW: i64 = 1_700_000_000;

fn builder(path: &std::path::Path, clock: &Arc<ManualClock>) -> dynafile::Builder {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .global_index(
            "by_team",
            "team",
            KeyType::S,
            None,
            IndexProjection::KeysOnly,
        )
        .ttl_attribute("expires_at")
        .clock(clock.clone())
        .ttl_sweep_interval(None)
}

#[test]
fn the_sweep_deletes_exactly_the_expired_items_reading_only_their_entries() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&dir.path().join("db"), &clock).open()?;
    let mut live = Vec::new();
    for i in 0..600 {
        let pk = format!("live{i:03}");
        let item = match i % 3 {
            0 => item! { "PK" => pk.as_str(), "team" => "red", "expires_at" => NOW + 10 + i },
            1 => item! { "PK" => pk.as_str(), "team" => "red" },
            _ => item! { "PK" => pk.as_str(), "team" => "red", "expires_at" => "soon" },
        };
        db.put_item(&item)?;
        live.push(pk);
    }
    // Too old to be eligible: never expires, never swept.
    db.put_item(&item! { "PK" => "ancient", "team" => "red", "expires_at" => 1_000 })?;
    live.push("ancient".to_owned());
    live.sort();
    db.checkpoint()?;
    for i in 0..20 {
        let pk = format!("dead{i:02}");
        db.put_item(&item! { "PK" => pk.as_str(), "team" => "red", "expires_at" => NOW - 1 - i })?;
    }
    assert_eq!(db.sweep_expired()?, 20);
    let info = db.info()?;
    let ttl = info.ttl.expect("TTL is enabled");
    assert_eq!(ttl.attribute, "expires_at");
    assert_eq!((ttl.sweep_entries_read, ttl.swept_items), (20, 20));
    assert_eq!(info.item_count, 601);
    // Nothing left to sweep, and nothing read to find that out.
    assert_eq!(db.sweep_expired()?, 0);
    assert_eq!(db.info()?.ttl.map(|ttl| ttl.sweep_entries_read), Some(20));

    // Deleted, not hidden: with TTL disabled the swept items stay gone, and so do their
    // index entries.
    db.disable_ttl()?;
    assert_eq!(sorted(strs(&scan_all(&db)?, "PK")), live);
    let indexed = db.query("red").index("by_team").page()?.items;
    assert_eq!(sorted(strs(&indexed, "PK")), live);

    // Time passes: the items of the first 30 seconds expire, only they are read.
    db.enable_ttl("expires_at")?;
    clock.advance_seconds(40);
    assert_eq!(db.sweep_expired()?, 10);
    let ttl = db.info()?.ttl.expect("TTL is enabled");
    assert_eq!((ttl.sweep_entries_read, ttl.swept_items), (30, 30));
    Ok(())
}

#[test]
fn swept_items_stream_as_ttl_removals_with_their_old_image() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&path, &clock)
        .stream(StreamView::NewAndOldImages, Retention::default())
        .open()?;
    let expired = item! { "PK" => "a", "team" => "red", "expires_at" => NOW - 1 };
    db.put_item(&expired)?;
    db.put_item(&item! { "PK" => "b", "expires_at" => NOW + 100 })?;
    let mut live = db.subscribe(StreamView::OldImage);
    assert_eq!(db.sweep_expired()?, 1);
    let event = live.recv()?;
    assert_eq!(
        (event.kind, event.origin, event.keys.clone()),
        (EventKind::Remove, EventOrigin::Ttl, Key::new("a"))
    );
    assert_eq!(event.old_image, Some(expired.clone()));
    assert_eq!(event.new_image, None);
    let sweep_seq = event.sequence;
    drop(live);
    db.close()?;

    let db = builder(&path, &clock).open()?;
    let mut replay = db.stream_from(0)?;
    let mut origins = Vec::new();
    loop {
        let event = replay.recv()?;
        origins.push((event.kind, event.origin));
        if event.sequence == sweep_seq {
            assert_eq!(event.old_image, Some(expired));
            break;
        }
    }
    assert_eq!(
        origins,
        [
            (EventKind::Insert, EventOrigin::User),
            (EventKind::Insert, EventOrigin::User),
            (EventKind::Remove, EventOrigin::Ttl)
        ]
    );
    Ok(())
}

#[test]
fn a_concurrent_extension_of_the_expiry_is_never_swept() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&dir.path().join("db"), &clock)
        .durability(Durability::Buffered)
        .open()?;
    let count = 2_000;
    for i in 0..count {
        let pk = format!("k{i:04}");
        db.put_item(&item! { "PK" => pk.as_str(), "v" => i, "expires_at" => NOW - 1 })?;
    }
    let extender = {
        let db = db.clone();
        std::thread::spawn(move || -> Result<()> {
            for i in (0..count).rev() {
                db.update_item(Key::new(format!("k{i:04}")), "SET expires_at = :later")
                    .value(":later", NOW + 3600)
                    .execute()?;
            }
            Ok(())
        })
    };
    let mut sweeps = 0;
    while !extender.is_finished() {
        db.sweep_expired()?;
        sweeps += 1;
    }
    extender.join().expect("the extender does not panic")?;
    // Each extension wrote a fresh item (the expired one was gone for it), whether or not
    // the sweep had deleted the old one yet; a delete after the extension would have lost
    // the item.
    let items = scan_all(&db)?;
    assert!(sweeps > 0);
    assert_eq!(items.len(), count as usize);
    assert!(
        items.iter().all(|item| {
            *item == item! { "PK" => item["PK"].clone(), "expires_at" => NOW + 3600 }
        })
    );
    assert_eq!(db.sweep_expired()?, 0);
    Ok(())
}

#[test]
fn the_background_sweep_runs_by_itself_and_stops_with_the_table() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = builder(&path, &clock)
        .ttl_sweep_interval(Some(Duration::from_millis(5)))
        .open()?;
    for i in 0..50 {
        let pk = format!("k{i:02}");
        db.put_item(&item! { "PK" => pk.as_str(), "expires_at" => NOW + i })?;
    }
    clock.advance_seconds(25);
    let deadline = Instant::now() + Duration::from_secs(20);
    let swept = loop {
        let swept = db.info()?.ttl.map_or(0, |ttl| ttl.swept_items);
        if swept == 25 || Instant::now() > deadline {
            break swept;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(swept, 25);
    drop(db);
    // The sweeper let go of the table: it opens again at once.
    let db = builder(&path, &clock).open()?;
    assert_eq!(db.info()?.item_count, 25);
    Ok(())
}
