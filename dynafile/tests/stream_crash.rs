//! Kill -9 crash test of the durable change stream: a crash never leaves an event for a
//! commit that did not happen, and never loses one for a commit that did.
//!
//! A child process (this test binary, re-executed) opens a table with a durable stream and
//! a small memtable (so checkpoints drop log segments all the time) and writes in a loop:
//! puts, deletes, updates and batches, most durable, some `Durability::Buffered`. The
//! parent kills it with SIGKILL at a random moment, then opens the table and replays its
//! whole stream from the first commit: every event's old image must be what the events
//! before it left, sequence numbers must strictly increase, and the state the events build
//! must be exactly the table's items. A lost event, or one of a commit the log lost, breaks
//! that chain. The table carries over from round to round, so the stream spans every child
//! that wrote to it, each recovery included.
#![cfg(unix)]

mod crash_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crash_support::{
    Rng, child_command, child_param, is_child, kill9, seed, serial, wait_for_file,
};
use dynafile::{
    Builder, Durability, Dynafile, EventKind, Item, Key, KeyType, Retention, StreamView,
    WriteOptions, item,
};

const CHILD_TEST: &str = "stream_crash_writer_child";
const ROUNDS: u64 = 15;
const KEYS: u64 = 24;

fn builder(dir: &Path) -> Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .memtable_size(16 << 10)
        .stream(StreamView::NewAndOldImages, Retention::bytes(u64::MAX))
}

fn key_name(rng: &mut Rng) -> String {
    format!("k{:02}", rng.below(KEYS))
}

#[test]
#[ignore = "run by stream_events_survive_kill9 as its child"]
fn stream_crash_writer_child() {
    if !is_child() {
        return;
    }
    let dir = child_param("DIR").expect("the table directory");
    let round = child_param("ROUND").expect("the round");
    let mut rng = Rng::new(
        child_param("SEED")
            .expect("the seed")
            .parse()
            .expect("a seed"),
    );
    let db = builder(Path::new(&dir)).open().expect("open the table");
    std::fs::write(Path::new(&dir).join(format!("ready-{round}")), b"").expect("ready file");
    for i in 0u64.. {
        let stamp = format!("{round}-{i}");
        let durability = if rng.percent(20) {
            Durability::Buffered
        } else {
            Durability::Immediate
        };
        let options = WriteOptions::new().durability(durability);
        let result = match rng.below(10) {
            0..=3 => db
                .put_item_with(&item! { "PK" => key_name(&mut rng), "w" => stamp }, options)
                .map(drop),
            4 | 5 => db
                .delete_item_with(Key::new(key_name(&mut rng)), options)
                .map(drop),
            6 => db
                .update_item(Key::new(key_name(&mut rng)), "ADD n :one SET w = :w")
                .value(":one", 1)
                .value(":w", stamp)
                .execute()
                .map(drop),
            _ => {
                let mut batch = db.batch_writer();
                let mut used = std::collections::BTreeSet::new();
                for j in 0..rng.between(2, 6) {
                    let name = key_name(&mut rng);
                    if !used.insert(name.clone()) {
                        continue;
                    }
                    if rng.percent(70) {
                        batch
                            .put_item(&item! { "PK" => name, "w" => format!("{stamp}-{j}") })
                            .expect("batch put");
                    } else {
                        batch.delete_item(Key::new(name)).expect("batch delete");
                    }
                }
                batch.commit()
            }
        };
        result.expect("write");
    }
}

/// Replays the whole stream and checks it against the table; panics on the first problem.
fn verify(dir: &Path, round: u64) -> usize {
    let db = builder(dir).open().expect("reopen after the kill");
    let mut events = db.stream_from(0).expect("replay the stream");
    let mut model: BTreeMap<String, Item> = BTreeMap::new();
    let mut last = (0, 0);
    let mut count = 0;
    while let Some(event) = events
        .recv_timeout(Duration::from_millis(300))
        .expect("read the stream")
    {
        let position = (event.sequence, event.index);
        assert!(
            position > last,
            "round {round}: event {position:?} after {last:?}"
        );
        if event.sequence == last.0 {
            assert_eq!(
                event.index,
                last.1 + 1,
                "round {round}: a commit's events in order"
            );
        } else {
            assert_eq!(event.index, 0, "round {round}: a commit's first event");
        }
        last = position;
        let name = event.keys.partition.as_s().expect("string keys").to_owned();
        assert_eq!(
            event.old_image.as_ref(),
            model.get(&name),
            "round {round}: the old image of {event:?} is not what earlier events left"
        );
        let kind = match (&event.old_image, &event.new_image) {
            (None, Some(_)) => EventKind::Insert,
            (Some(_), Some(_)) => EventKind::Modify,
            _ => EventKind::Remove,
        };
        assert_eq!(event.kind, kind, "round {round}: {event:?}");
        match event.new_image {
            Some(new) => model.insert(name, new),
            None => model.remove(&name),
        };
        count += 1;
    }
    let table: Vec<Item> = db
        .scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan the table");
    let mut table: Vec<Item> = table;
    table.sort_by(|a, b| a["PK"].as_s().cmp(&b["PK"].as_s()));
    let rebuilt: Vec<Item> = model.into_values().collect();
    assert_eq!(
        rebuilt, table,
        "round {round}: the stream does not rebuild the table"
    );
    count
}

#[test]
fn stream_events_survive_kill9() {
    let _serial = serial();
    let seed = seed();
    eprintln!("stream_events_survive_kill9 seed {seed}");
    let mut rng = Rng::new(seed);
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("db");
    let stderr_file = temp.path().join("child.stderr");
    let mut events = 0;
    for round in 0..ROUNDS {
        let mut child = child_command(
            CHILD_TEST,
            &[
                ("DIR", dir.display().to_string()),
                ("ROUND", round.to_string()),
                ("SEED", rng.next_u64().to_string()),
            ],
            &stderr_file,
        )
        .spawn()
        .expect("spawn the child");
        wait_for_file(
            &dir.join(format!("ready-{round}")),
            &mut child,
            &stderr_file,
        );
        std::thread::sleep(Duration::from_millis(rng.between(5, 150)));
        kill9(&mut child, &stderr_file);
        events = verify(&dir, round);
    }
    // The writers got somewhere: the stream holds events of many commits.
    assert!(events > 50, "only {events} events in {ROUNDS} rounds");
}
