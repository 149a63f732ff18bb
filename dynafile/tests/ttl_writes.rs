//! TTL: writes treat an expired item as absent. A condition sees no item, an update
//! creates a fresh one, nothing old is returned, a transaction's checks see nothing, and
//! change streams show the write over it as an INSERT (and a delete of it as nothing).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::tempdir;
use dynafile::{
    Clock, Dynafile, Error, EventKind, EventOrigin, Key, KeyType, ManualClock, Result,
    ReturnValues, StatementOutput, StreamView, TransactWriteItem, WriteOptions, item,
};

const NOW: i64 = 1_700_000_000;

fn open(path: &std::path::Path, clock: &Arc<ManualClock>) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .ttl_attribute("expires_at")
        .clock(clock.clone())
        .ttl_sweep_interval(None)
        .open()
}

/// A table holding the expired item `old` (with attribute `x`).
fn with_expired_item() -> Result<(tempfile::TempDir, Dynafile)> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    db.put_item(&item! { "PK" => "old", "x" => 1, "expires_at" => NOW - 1 })?;
    Ok((dir, db))
}

#[test]
fn conditions_see_no_expired_item() -> Result<()> {
    let (_dir, db) = with_expired_item()?;
    let only_new = || WriteOptions::new().condition("attribute_not_exists(PK)");
    db.put_item_with(&item! { "PK" => "old", "v" => 1 }, only_new())?;
    assert_eq!(
        db.get_item(Key::new("old"))?,
        Some(item! { "PK" => "old", "v" => 1 })
    );
    let again = db.put_item_with(&item! { "PK" => "old", "v" => 2 }, only_new());
    assert!(matches!(again, Err(Error::ConditionalCheckFailed { .. })));

    db.put_item(&item! { "PK" => "gone", "x" => 1, "expires_at" => NOW - 1 })?;
    let exists = WriteOptions::new().condition("attribute_exists(PK)");
    let refused = db.delete_item_with(Key::new("gone"), exists);
    assert!(matches!(
        refused,
        Err(Error::ConditionalCheckFailed { item: None })
    ));
    Ok(())
}

#[test]
fn an_update_of_an_expired_item_creates_a_fresh_one_and_returns_nothing_old() -> Result<()> {
    let (_dir, db) = with_expired_item()?;
    let old = db
        .update_item(Key::new("old"), "SET v = :v")
        .value(":v", 7)
        .return_values(ReturnValues::AllOld)
        .execute()?;
    assert_eq!(old, None);
    assert_eq!(
        db.get_item(Key::new("old"))?,
        Some(item! { "PK" => "old", "v" => 7 })
    );
    let (_dir, db) = with_expired_item()?;
    let added = db
        .update_item(Key::new("old"), "ADD x :one")
        .value(":one", 1)
        .return_values(ReturnValues::AllNew)
        .execute()?;
    assert_eq!(added, Some(item! { "PK" => "old", "x" => 1 }));
    Ok(())
}

#[test]
fn puts_and_deletes_over_an_expired_item_return_nothing_old() -> Result<()> {
    let (_dir, db) = with_expired_item()?;
    let replaced = db.put_item_with(
        &item! { "PK" => "old", "v" => 1 },
        WriteOptions::new().return_old(),
    )?;
    assert_eq!(replaced, None);
    db.put_item(&item! { "PK" => "old", "expires_at" => NOW - 5 })?;
    let deleted = db.delete_item_with(Key::new("old"), WriteOptions::new().return_old())?;
    assert_eq!(deleted, None);
    Ok(())
}

#[test]
fn transactions_and_partiql_see_no_expired_item() -> Result<()> {
    let (_dir, db) = with_expired_item()?;
    db.transact_write()
        .action(TransactWriteItem::condition_check(
            Key::new("old"),
            "attribute_not_exists(PK)",
        ))
        .action(TransactWriteItem::put(item! { "PK" => "other" }))
        .execute()?;
    assert_eq!(
        db.get_item(Key::new("other"))?,
        Some(item! { "PK" => "other" })
    );
    // PartiQL's INSERT refuses an existing item; an expired one is not there.
    let inserted = db.execute(r#"INSERT INTO "db" VALUE {'PK': 'old', 'v': 3}"#)?;
    assert!(matches!(inserted, StatementOutput::Written(None)));
    assert_eq!(
        db.get_item(Key::new("old"))?,
        Some(item! { "PK" => "old", "v" => 3 })
    );
    Ok(())
}

#[test]
fn streams_show_a_write_over_an_expired_item_as_an_insert() -> Result<()> {
    let (_dir, db) = with_expired_item()?;
    db.put_item(&item! { "PK" => "gone", "expires_at" => NOW - 1 })?;
    let mut events = db.subscribe(StreamView::NewAndOldImages);
    db.put_item(&item! { "PK" => "old", "v" => 1 })?;
    // The delete of an expired item removes nothing anyone could see: no event.
    db.delete_item(Key::new("gone"))?;
    db.put_item(&item! { "PK" => "marker" })?;
    let first = events.recv()?;
    assert_eq!(first.kind, EventKind::Insert);
    assert_eq!(first.origin, EventOrigin::User);
    assert_eq!(first.old_image, None);
    assert_eq!(first.new_image, Some(item! { "PK" => "old", "v" => 1 }));
    let second = events.recv()?;
    assert_eq!(second.kind, EventKind::Insert);
    assert_eq!(second.keys, Key::new("marker"));
    Ok(())
}

/// A clock one second later at every look.
#[derive(Debug)]
struct TickingClock(AtomicI64);

impl Clock for TickingClock {
    fn now(&self) -> SystemTime {
        let seconds = self.0.fetch_add(1, Ordering::SeqCst);
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    }
}

/// A commit judges expiry at one moment: the condition that saw the item and the stream
/// event of its change agree, even when the clock moves on during the commit.
#[test]
fn a_commit_judges_expiry_at_one_moment() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(TickingClock(AtomicI64::new(NOW)));
    let db = Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .ttl_attribute("expires_at")
        .clock(clock.clone())
        .ttl_sweep_interval(None)
        .open()?;
    db.put_item(&item! { "PK" => "a", "expires_at" => NOW + 100 })?;
    let mut events = db.subscribe(StreamView::NewAndOldImages);
    // The commit's moment is the clock's next look: the item expires right after it.
    clock.0.store(NOW + 100, Ordering::SeqCst);
    db.put_item_with(
        &item! { "PK" => "a", "v" => 1 },
        WriteOptions::new().condition("attribute_exists(PK)"),
    )?;
    let event = events.recv()?;
    assert_eq!(event.kind, EventKind::Modify);
    assert_eq!(
        event.old_image,
        Some(item! { "PK" => "a", "expires_at" => NOW + 100 })
    );
    Ok(())
}
