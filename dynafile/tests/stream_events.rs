//! Change-stream events of in-process subscriptions: every view, every kind, batches and
//! transactions as one commit, and the writes that emit nothing (failed conditions,
//! unchanged items, deletes of missing items).

mod common;

use std::time::Duration;

use common::{string_table, tempdir};
use dynafile::{
    Error, EventKind, EventOrigin, Item, Key, Result, StreamEvent, StreamView, Subscription,
    TransactWriteItem, WriteOptions, item,
};

/// An event as (sequence, index, kind, keys, new image, old image).
type Seen = (u64, u32, EventKind, Key, Option<Item>, Option<Item>);

fn seen(event: StreamEvent) -> Seen {
    assert_eq!(event.origin, EventOrigin::User);
    (
        event.sequence,
        event.index,
        event.kind,
        event.keys,
        event.new_image,
        event.old_image,
    )
}

/// Every event the subscription has now, then checks that no more come.
fn drain(subscription: &mut Subscription) -> Result<Vec<Seen>> {
    let mut events = Vec::new();
    while let Some(event) = subscription.recv_timeout(Duration::from_millis(200))? {
        events.push(seen(event));
    }
    Ok(events)
}

fn key(sort: &str) -> Key {
    Key::new("p").sort(sort)
}

#[test]
fn every_view_carries_its_images() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let mut keys_only = db.subscribe(StreamView::KeysOnly);
    let mut new_image = db.subscribe(StreamView::NewImage);
    let mut old_image = db.subscribe(StreamView::OldImage);
    let mut both = db.subscribe(StreamView::NewAndOldImages);
    let v1 = item! { "PK" => "p", "SK" => "a", "v" => 1 };
    let v2 = item! { "PK" => "p", "SK" => "a", "v" => 2 };
    db.put_item(&v1)?;
    db.put_item(&v2)?;
    db.delete_item(key("a"))?;
    use EventKind::{Insert, Modify, Remove};
    assert_eq!(
        drain(&mut keys_only)?,
        vec![
            (1, 0, Insert, key("a"), None, None),
            (2, 0, Modify, key("a"), None, None),
            (3, 0, Remove, key("a"), None, None),
        ]
    );
    assert_eq!(
        drain(&mut new_image)?,
        vec![
            (1, 0, Insert, key("a"), Some(v1.clone()), None),
            (2, 0, Modify, key("a"), Some(v2.clone()), None),
            (3, 0, Remove, key("a"), None, None),
        ]
    );
    assert_eq!(
        drain(&mut old_image)?,
        vec![
            (1, 0, Insert, key("a"), None, None),
            (2, 0, Modify, key("a"), None, Some(v1.clone())),
            (3, 0, Remove, key("a"), None, Some(v2.clone())),
        ]
    );
    assert_eq!(
        drain(&mut both)?,
        vec![
            (1, 0, Insert, key("a"), Some(v1.clone()), None),
            (2, 0, Modify, key("a"), Some(v2.clone()), Some(v1)),
            (3, 0, Remove, key("a"), None, Some(v2)),
        ]
    );
    Ok(())
}

#[test]
fn updates_are_modify_or_insert_events() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let mut events = db.subscribe(StreamView::NewAndOldImages);
    db.update_item(key("u"), "SET n = :one")
        .value(":one", 1)
        .execute()?;
    db.update_item(key("u"), "ADD n :one")
        .value(":one", 1)
        .execute()?;
    assert_eq!(
        drain(&mut events)?,
        vec![
            (
                1,
                0,
                EventKind::Insert,
                key("u"),
                Some(item! { "PK" => "p", "SK" => "u", "n" => 1 }),
                None
            ),
            (
                2,
                0,
                EventKind::Modify,
                key("u"),
                Some(item! { "PK" => "p", "SK" => "u", "n" => 2 }),
                Some(item! { "PK" => "p", "SK" => "u", "n" => 1 })
            ),
        ]
    );
    Ok(())
}

#[test]
fn a_batch_and_a_transaction_are_one_commit_each() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "p", "SK" => "old" })?;
    db.put_item(&item! { "PK" => "p", "SK" => "keep" })?;
    let mut events = db.subscribe(StreamView::KeysOnly);
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "p", "SK" => "a" })?;
    batch.put_item(&item! { "PK" => "p", "SK" => "b" })?;
    batch.delete_item(key("old"))?;
    batch.commit()?;
    db.transact_write()
        .action(TransactWriteItem::put(item! { "PK" => "p", "SK" => "c" }))
        .action(TransactWriteItem::update(key("a"), "SET x = :x").value(":x", 1))
        .action(TransactWriteItem::delete(key("b")))
        .action(TransactWriteItem::condition_check(
            key("keep"),
            "attribute_exists(PK)",
        ))
        .execute()?;
    use EventKind::{Insert, Modify, Remove};
    assert_eq!(
        drain(&mut events)?,
        vec![
            (3, 0, Insert, key("a"), None, None),
            (3, 1, Insert, key("b"), None, None),
            (3, 2, Remove, key("old"), None, None),
            (4, 0, Insert, key("c"), None, None),
            (4, 1, Modify, key("a"), None, None),
            (4, 2, Remove, key("b"), None, None),
        ]
    );
    Ok(())
}

#[test]
fn writes_that_change_nothing_emit_nothing() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let same = item! { "PK" => "p", "SK" => "a", "v" => 1, "tags" => dynafile::Value::Ss(["y".to_string(), "x".to_string()].into()) };
    db.put_item(&same)?;
    let mut events = db.subscribe(StreamView::NewAndOldImages);
    // A failed condition, an identical put, an update to the same value, a delete of a
    // missing item, a canceled transaction: none changes an item.
    let failed = db.put_item_with(
        &item! { "PK" => "p", "SK" => "a", "v" => 2 },
        WriteOptions::new().condition("attribute_not_exists(PK)"),
    );
    assert!(matches!(failed, Err(Error::ConditionalCheckFailed { .. })));
    db.put_item(&same)?;
    db.update_item(key("a"), "SET v = :one")
        .value(":one", 1)
        .execute()?;
    db.delete_item(key("missing"))?;
    let canceled = db
        .transact_write()
        .action(TransactWriteItem::put(item! { "PK" => "p", "SK" => "b" }))
        .action(TransactWriteItem::condition_check(key("a"), "v = :two").value(":two", 2))
        .execute();
    assert!(matches!(canceled, Err(Error::TransactionCanceled { .. })));
    // The next change is seen, with the sequence number of its commit.
    db.put_item(&item! { "PK" => "p", "SK" => "a", "v" => 3 })?;
    let after = drain(&mut events)?;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].2, EventKind::Modify);
    assert_eq!(after[0].5, Some(same));
    // The identical put and the unchanged update still committed (sequence numbers 2 and
    // 3), the delete of a missing item too (4): the event's commit is the 5th.
    assert_eq!(after[0].0, 5);
    Ok(())
}

#[test]
fn a_subscription_sees_commits_from_when_it_subscribed_until_dropped() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "p", "SK" => "before" })?;
    let mut first = db.subscribe(StreamView::KeysOnly);
    db.put_item(&item! { "PK" => "p", "SK" => "during" })?;
    let second = db.subscribe(StreamView::KeysOnly);
    drop(second);
    db.put_item(&item! { "PK" => "p", "SK" => "after" })?;
    let sorts: Vec<Key> = drain(&mut first)?.into_iter().map(|e| e.3).collect();
    assert_eq!(sorts, vec![key("during"), key("after")]);
    assert_eq!(first.try_recv()?, None);
    Ok(())
}

#[test]
fn closing_the_table_ends_its_subscriptions() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let mut events = db.subscribe(StreamView::KeysOnly);
    db.put_item(&item! { "PK" => "p", "SK" => "a" })?;
    drop(db);
    assert_eq!(events.recv()?.keys, key("a"));
    assert!(matches!(events.recv(), Err(Error::StreamClosed)));
    Ok(())
}
