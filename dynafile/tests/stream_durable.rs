//! The durable change stream: replay after a reopen, then live events; the setting kept in
//! `meta.json`; retention by size and by age, and the error for what it removed.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tempdir;
use dynafile::{
    Dynafile, Error, EventKind, Item, Key, KeyType, Result, Retention, StreamView, Subscription,
    WriteOptions, item,
};

fn open_streamed(path: &Path, view: StreamView, retention: Retention) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .stream(view, retention)
        .open()
}

/// An event as (sequence, index, kind, partition key, new image, old image).
type Seen = (u64, u32, EventKind, String, Option<Item>, Option<Item>);

/// Every event available now.
fn drain(events: &mut Subscription) -> Result<Vec<Seen>> {
    let mut seen = Vec::new();
    while let Some(event) = events.recv_timeout(Duration::from_millis(200))? {
        let pk = event.keys.partition.as_s().unwrap_or_default().to_owned();
        seen.push((
            event.sequence,
            event.index,
            event.kind,
            pk,
            event.new_image,
            event.old_image,
        ));
    }
    Ok(seen)
}

#[test]
fn events_replay_after_reopening_then_follow_live() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = open_streamed(&path, StreamView::NewAndOldImages, Retention::default())?;
    db.put_item(&item! { "PK" => "a", "v" => 1 })?;
    let mut batch = db.batch_writer();
    batch.put_item(&item! { "PK" => "b" })?;
    batch.put_item(&item! { "PK" => "a", "v" => 2 })?;
    batch.commit()?;
    let failed = db.delete_item_with(
        Key::new("a"),
        WriteOptions::new().condition("v = :x").value(":x", 9),
    );
    assert!(matches!(failed, Err(Error::ConditionalCheckFailed { .. })));
    db.put_item(&item! { "PK" => "b" })?; // unchanged: no event
    db.delete_item(Key::new("a"))?;
    db.close()?;

    let db = Dynafile::open(&path)?;
    let mut events = db.stream_from(0)?;
    use EventKind::{Insert, Modify, Remove};
    let a1 = item! { "PK" => "a", "v" => 1 };
    let a2 = item! { "PK" => "a", "v" => 2 };
    assert_eq!(
        drain(&mut events)?,
        vec![
            (1, 0, Insert, "a".into(), Some(a1.clone()), None),
            (2, 0, Insert, "b".into(), Some(item! { "PK" => "b" }), None),
            (2, 1, Modify, "a".into(), Some(a2.clone()), Some(a1)),
            (4, 0, Remove, "a".into(), None, Some(a2.clone())),
        ]
    );
    db.put_item(&item! { "PK" => "c" })?;
    assert_eq!(
        drain(&mut events)?,
        vec![(5, 0, Insert, "c".into(), Some(item! { "PK" => "c" }), None)]
    );
    // From a sequence number on.
    let mut later = db.stream_from(3)?;
    let sequences: Vec<u64> = drain(&mut later)?.into_iter().map(|e| e.0).collect();
    assert_eq!(sequences, vec![4, 5]);
    Ok(())
}

#[test]
fn the_stream_keeps_its_view() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = open_streamed(&path, StreamView::KeysOnly, Retention::default())?;
    db.put_item(&item! { "PK" => "a", "v" => 1 })?;
    drop(db);
    let reopened = Dynafile::open(&path)?;
    let mut events = reopened.stream_from(0)?;
    assert_eq!(events.view(), StreamView::KeysOnly);
    assert_eq!(
        drain(&mut events)?,
        vec![(1, 0, EventKind::Insert, "a".into(), None, None)]
    );
    drop(events);
    drop(reopened);
    let meta = std::fs::read_to_string(path.join("meta.json")).map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    assert!(meta.contains("\"KEYS_ONLY\""), "{meta}");
    // Another setting on an existing table is refused; none is taken as the stored one.
    let other = open_streamed(&path, StreamView::NewImage, Retention::default());
    match other {
        Err(Error::Validation(error)) => assert!(
            error.to_string().contains("change stream is KeysOnly"),
            "{error}"
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
    Ok(())
}

#[test]
fn a_table_without_a_durable_stream_cannot_replay() -> Result<()> {
    let dir = tempdir();
    let db = common::string_table(dir.path())?;
    match db.stream_from(0) {
        Err(Error::Validation(error)) => assert_eq!(
            error.to_string(),
            "the table has no durable stream; create it with Builder::stream to replay events"
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
    Ok(())
}

#[test]
fn a_durable_subscription_reads_back_what_overflowed_its_buffer() -> Result<()> {
    let dir = tempdir();
    let db = open_streamed(
        &dir.path().join("db"),
        StreamView::KeysOnly,
        Retention::default(),
    )?;
    let mut events = db.stream_from_with_capacity(0, 2)?;
    for i in 0..50 {
        db.put_item(&item! { "PK" => format!("k{i}") })?;
    }
    let sequences: Vec<u64> = drain(&mut events)?.into_iter().map(|e| e.0).collect();
    assert_eq!(sequences, (1..=50).collect::<Vec<u64>>());
    Ok(())
}

fn filler(i: usize) -> Item {
    item! { "PK" => format!("k{i:04}"), "pad" => "x".repeat(1000) }
}

#[test]
fn retention_by_size_trims_the_oldest_events() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = open_streamed(&path, StreamView::NewImage, Retention::bytes(20_000))?;
    for i in 0..200 {
        db.put_item(&filler(i))?;
    }
    let oldest = match db.stream_from(1) {
        Err(Error::StreamTrimmed { requested, oldest }) => {
            assert_eq!(requested, 1);
            oldest
        }
        other => panic!("expected StreamTrimmed, got {other:?}"),
    };
    assert!(oldest > 150 && oldest <= 200, "oldest {oldest}");
    let mut events = db.stream_from(oldest)?;
    let sequences: Vec<u64> = drain(&mut events)?.into_iter().map(|e| e.0).collect();
    assert_eq!(sequences, (oldest..=200).collect::<Vec<u64>>());
    assert!(db.check()?.is_ok());
    // What is kept stays near the bound: whole segments of a quarter of it.
    let kept: u64 = std::fs::read_dir(path.join("stream"))
        .map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?
        .map(|entry| {
            entry
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .unwrap_or(0)
        })
        .sum();
    assert!(kept <= 20_000 + 5_000 + 1_100, "{kept} bytes kept");
    assert_eq!(
        Error::StreamTrimmed {
            requested: 1,
            oldest: 7
        }
        .to_string(),
        "the stream no longer keeps sequence number 1; the oldest available is 7"
    );
    Ok(())
}

#[test]
fn retention_by_age_trims_segments_older_than_it() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let retention = Retention::age(Duration::from_millis(300)).max_bytes(1 << 20);
    let db = open_streamed(&path, StreamView::NewImage, retention)?;
    // Segments of 256 KiB (a quarter of the byte bound): about 245 of these items fill one,
    // so 300 make two, the second created before the pause.
    for i in 0..300 {
        db.put_item(&filler(i))?;
    }
    std::thread::sleep(Duration::from_millis(600));
    db.put_item(&filler(300))?;
    let oldest = match db.stream_from(1) {
        Err(Error::StreamTrimmed { oldest, .. }) => oldest,
        other => panic!("expected StreamTrimmed, got {other:?}"),
    };
    // The first segment's events are all older than the second segment, older than the
    // retention: gone. The last segment always stays.
    assert!(oldest > 200 && oldest <= 300, "oldest {oldest}");
    let mut events = db.stream_from(oldest)?;
    let sequences: Vec<u64> = drain(&mut events)?.into_iter().map(|e| e.0).collect();
    assert_eq!(sequences, (oldest..=301).collect::<Vec<u64>>());
    drop(events);
    drop(db);
    // Reopened, the stream keeps what it kept.
    let db = Dynafile::open(&path)?;
    let kept = db.stream_from(oldest).map(|events| events.view());
    assert_eq!(kept?, StreamView::NewImage);
    assert!(matches!(
        db.stream_from(oldest - 1),
        Err(Error::StreamTrimmed { .. })
    ));
    Ok(())
}

#[test]
fn a_damaged_record_is_an_error_not_the_end_of_the_stream() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = open_streamed(&path, StreamView::NewImage, Retention::bytes(1 << 20))?;
    // Segments of 256 KiB: 300 items of 1 KB fill more than one.
    for i in 0..300 {
        db.put_item(&filler(i))?;
    }
    drop(db);
    let first = path.join("stream").join(format!("{:020}.seg", 1));
    let mut bytes = std::fs::read(&first).map_err(|e| Error::Io {
        path: first.clone(),
        source: e,
    })?;
    bytes[5000] ^= 0xff;
    std::fs::write(&first, &bytes).map_err(|e| Error::Io {
        path: first.clone(),
        source: e,
    })?;
    let db = Dynafile::open(&path)?;
    let report = db.check()?;
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].file, first);
    assert_eq!(
        report.problems[0].reason,
        "a stream record fails its checksum"
    );
    let mut events = db.stream_from(0)?;
    let result = loop {
        match events.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(_)) => {}
            other => break other,
        }
    };
    match result {
        Err(Error::Corrupt { file, reason, .. }) => {
            assert_eq!(file, first);
            assert_eq!(reason, "a stream record fails its checksum");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    Ok(())
}
