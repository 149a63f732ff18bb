//! Change streams under concurrent writers: one subscriber sees every commit in order and
//! can rebuild the table from its events; a subscriber that never reads does not hold
//! writers back, and reports what it dropped.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{scan_all, string_table, tempdir};
use dynafile::{
    Dynafile, Error, EventKind, Item, Key, KeyType, Result, Retention, StreamEvent, StreamView,
    Subscription, Value, item,
};

const WRITERS: usize = 8;
const WRITES_PER_WRITER: usize = 150;

/// Runs `WRITERS` threads of puts, updates and deletes over shared keys.
fn spawn_writers(db: &Dynafile) -> Vec<std::thread::JoinHandle<Result<()>>> {
    (0..WRITERS)
        .map(|writer| {
            let db = db.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..WRITES_PER_WRITER {
                    // Writers share keys, so old images cross threads.
                    let sort = format!("k{}", (writer * 7 + i) % 20);
                    match i % 5 {
                        0..=2 => db.put_item(&item! {
                            "PK" => "p", "SK" => sort, "by" => writer as u64, "i" => i as u64
                        })?,
                        3 => {
                            db.update_item(Key::new("p").sort(sort), "ADD n :one")
                                .value(":one", 1)
                                .execute()?;
                        }
                        _ => db.delete_item(Key::new("p").sort(sort))?,
                    }
                }
                Ok(())
            })
        })
        .collect()
}

/// Reads `events` on a thread until the writers are done and nothing more comes.
fn read_until_done(
    mut events: Subscription,
    writers: Vec<std::thread::JoinHandle<Result<()>>>,
) -> Result<Vec<StreamEvent>> {
    let done = Arc::new(AtomicBool::new(false));
    let reader_done = Arc::clone(&done);
    let reader = std::thread::spawn(move || -> Result<Vec<StreamEvent>> {
        let mut seen = Vec::new();
        loop {
            match events.recv_timeout(Duration::from_millis(100))? {
                Some(event) => seen.push(event),
                None if reader_done.load(Ordering::Acquire) => return Ok(seen),
                None => {}
            }
        }
    });
    for writer in writers {
        writer.join().expect("writer thread")?;
    }
    done.store(true, Ordering::Release);
    reader.join().expect("reader thread")
}

/// Checks that `seen` is in commit order with strictly increasing sequence numbers (one
/// event per commit here), each event's old image being what the events before it left, and
/// that the events rebuild the table exactly.
fn check_rebuilds(db: &Dynafile, seen: &[StreamEvent]) -> Result<()> {
    let mut model: BTreeMap<String, Item> = BTreeMap::new();
    let mut last_sequence = 0;
    for event in seen {
        assert!(
            event.sequence > last_sequence,
            "{} after {last_sequence}",
            event.sequence
        );
        assert_eq!(event.index, 0);
        last_sequence = event.sequence;
        let sort = match &event.keys.sort {
            Some(Value::S(sort)) => sort.clone(),
            other => panic!("unexpected sort key {other:?}"),
        };
        assert_eq!(event.old_image.as_ref(), model.get(&sort), "{event:?}");
        let expected = match (&event.old_image, &event.new_image) {
            (None, Some(_)) => EventKind::Insert,
            (Some(_), Some(_)) => EventKind::Modify,
            _ => EventKind::Remove,
        };
        assert_eq!(event.kind, expected);
        match &event.new_image {
            Some(new) => model.insert(sort, new.clone()),
            None => model.remove(&sort),
        };
    }
    let rebuilt: Vec<Item> = model.into_values().collect();
    assert_eq!(rebuilt, scan_all(db)?);
    assert!(!seen.is_empty());
    Ok(())
}

#[test]
fn eight_writers_one_subscriber_see_every_commit_in_order() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let events = db.subscribe_with_capacity(StreamView::NewAndOldImages, 1 << 20);
    let seen = read_until_done(events, spawn_writers(&db))?;
    check_rebuilds(&db, &seen)
}

/// A durable subscription started while writers run replays the stream, takes over live
/// events without a gap or a repeat, and reads back from the segments whatever overflows its
/// tiny buffer.
#[test]
fn a_durable_subscription_started_among_eight_writers_misses_nothing() -> Result<()> {
    let dir = tempdir();
    let db = Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .stream(StreamView::NewAndOldImages, Retention::default())
        .open()?;
    let writers = spawn_writers(&db);
    std::thread::sleep(Duration::from_millis(30));
    let events = db.stream_from_with_capacity(0, 8)?;
    let seen = read_until_done(events, writers)?;
    assert_eq!(seen[0].sequence, 1);
    check_rebuilds(&db, &seen)
}

#[test]
fn a_subscriber_that_never_reads_drops_events_and_says_where_to_resume() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let mut stalled = db.subscribe_with_capacity(StreamView::KeysOnly, 4);
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let db = db.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..50 {
                    db.put_item(&item! { "PK" => "p", "SK" => format!("{writer}-{i}") })?;
                }
                Ok(())
            })
        })
        .collect();
    // The writers finish although nobody reads.
    for writer in writers {
        writer.join().expect("writer thread")?;
    }
    let buffered: Vec<u64> = (0..4)
        .map(|_| stalled.recv().map(|e| e.sequence))
        .collect::<Result<_>>()?;
    assert_eq!(buffered, vec![1, 2, 3, 4]);
    match stalled.recv() {
        Err(Error::StreamLagged {
            dropped,
            resume_from,
        }) => {
            assert_eq!((dropped, resume_from), (WRITERS as u64 * 50 - 4, 5));
        }
        other => panic!("expected StreamLagged, got {other:?}"),
    }
    // After the report, later commits come again.
    db.put_item(&item! { "PK" => "p", "SK" => "later" })?;
    let next = stalled.recv()?;
    assert_eq!(
        (next.sequence, next.keys),
        (WRITERS as u64 * 50 + 1, Key::new("p").sort("later"))
    );
    let message = Error::StreamLagged {
        dropped: 3,
        resume_from: 9,
    }
    .to_string();
    assert_eq!(
        message,
        "the subscription fell behind and dropped 3 events; resume from sequence number 9 \
         with stream_from"
    );
    Ok(())
}
