//! Kill -9 during `enable_ttl`: whatever moment the kill lands on, the expiry entries that
//! reopening the table finishes writing are exactly those of the table's items, and the
//! expired items are hidden and then swept, all of them and only them.
//!
//! Each round, the parent fills a new table with a few thousand items whose TTL attribute
//! is in the past, in the future, on the edges of expiry (this second, five years back),
//! missing, or not a Number, then a child process (this test binary, re-executed) opens it
//! with a clock standing at the parent's "now", starts writing from a thread (puts with or
//! without a TTL, updates that set or remove it, deletes), and calls `enable_ttl`. The
//! parent kills it with SIGKILL at a random moment: before TTL is enabled, while its
//! backfill runs, or after. The parent then opens the table, which finishes an unfinished
//! backfill before `open` returns (or enables TTL itself when the child died before
//! recording it), and checks the expiry entries (`check`), then, with its own clock, which
//! items are visible and how many the sweep deletes against what it computes from the
//! items read at a moment when nothing has expired. In half the rounds the table had TTL
//! on another attribute, disabled since, whose entries enabling clears first: a kill can
//! land in that clearing too. In some rounds a second child reopens the table, which
//! resumes the backfill, writes, and is killed in turn, maybe within its `open`.
//!
//! A few rounds by default; `DYNAFILE_TEST_ROUNDS=<n>` soaks.
#![cfg(unix)]

mod crash_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crash_support::{
    Rng, child_command, child_param, is_child, kill9, rounds, seed, serial, wait_for_file,
};
use dynafile::{
    Builder, Dynafile, IndexProjection, Item, Key, KeyType, MAX_EXPIRED_AGE, ManualClock, Number,
    Value, item,
};

const CHILD_TEST: &str = "ttl_enable_crash_child";
const ROUNDS: u64 = 4;
const ITEMS: u64 = 3000;
const TTL: &str = "exp";
/// The attribute of an earlier TTL setting, in some rounds.
const EARLIER_TTL: &str = "old_exp";
const INDEX: &str = "by_team";
/// A moment before every expiry the test writes: the parent reads every item at it.
const BEFORE_ALL: i64 = 1_000;

/// A small memtable, so checkpoints write partition files of every keyspace during the
/// backfill; a keys-only index, whose reads look items up to judge their expiry, puts the
/// expiry keyspace after it.
fn builder(dir: &Path, clock: &Arc<ManualClock>, sweep: Option<Duration>) -> Builder {
    Dynafile::builder(dir)
        .partition_key("PK", KeyType::S)
        .global_index(INDEX, "team", KeyType::S, None, IndexProjection::KeysOnly)
        .memtable_size(32 << 10)
        .clock(clock.clone())
        .ttl_sweep_interval(sweep)
}

fn max_age() -> i64 {
    i64::try_from(MAX_EXPIRED_AGE.as_secs()).expect("five years of seconds fit an i64")
}

fn key_name(i: u64) -> String {
    format!("item#{i:05}")
}

/// A TTL attribute of one of ten kinds, relative to `now`: `None` for none.
fn ttl_value(kind: u64, now: i64, offset: i64) -> Option<Value> {
    let number = |text: String| Value::N(Number::parse(&text).expect("a number"));
    match kind {
        0 => None,
        1 => Some(Value::from(format!("{}", now - offset))), // a String, never an expiry
        2 => Some(Value::from(now - offset)),                // past
        3 => Some(Value::from(now + offset)),                // future
        4 => Some(Value::from(now)),                         // this second: not yet
        5 => Some(number(format!("{}.5", now - 1))),         // past, fractional
        6 => Some(Value::from(now - max_age())),             // the oldest that expires
        7 => Some(Value::from(now - max_age() - offset)),    // too old to expire
        8 => Some(number("1e100".to_owned())),               // no i64: never expires
        _ => Some(Value::Bool(true)),
    }
}

/// The parent's own reading of an item's expiry at `now`, independent of the engine's: a
/// Number whose floor is before `now` and at most five years before it.
fn expired_at(item: &Item, now: i64) -> bool {
    let Some(Value::N(number)) = item.get(TTL) else {
        return false;
    };
    let seconds = number.to_f64().floor();
    if !seconds.is_finite() || seconds.abs() > 1e18 {
        return false;
    }
    let seconds = seconds as i64;
    seconds < now && seconds >= now - max_age()
}

fn new_item(name: String, i: u64, ttl: Option<Value>) -> Item {
    let mut item = item! { "PK" => name, "team" => format!("t{}", i % 3), "v" => i };
    if let Some(ttl) = ttl {
        item.insert(TTL, ttl);
    }
    item
}

/// The table before TTL: every kind of TTL attribute, cycling. With `earlier`, the table
/// was created with TTL on another attribute, which every item has, then disabled: its
/// entries stay, for enabling to clear first.
fn fill(dir: &Path, now: i64, earlier: bool) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(now));
    let mut table = builder(dir, &clock, None);
    if earlier {
        table = table.ttl_attribute(EARLIER_TTL);
    }
    let db = table.open().expect("create the table");
    let mut batch = db.batch_writer();
    for i in 0..ITEMS {
        let offset = 1 + (i as i64 * 7919) % 100_000;
        let mut item = new_item(key_name(i), i, ttl_value(i % 10, now, offset));
        item.insert("pad", "x".repeat(100));
        if earlier {
            item.insert(EARLIER_TTL, now + offset);
        }
        batch.put_item(&item).expect("queue a put");
        if batch.len() == 500 {
            std::mem::replace(&mut batch, db.batch_writer())
                .commit()
                .expect("commit a batch");
        }
    }
    batch.commit().expect("commit a batch");
    if earlier {
        db.disable_ttl().expect("disable the earlier TTL");
    }
    db.close().expect("close the table");
}

/// Writes that the expiry entries must follow: puts with any kind of TTL attribute,
/// updates that set a Number expiry or remove it, deletes.
fn write_forever(db: &Dynafile, now: i64, mut rng: Rng) {
    for i in 0u64.. {
        let name = key_name(rng.below(ITEMS + 200));
        let offset = rng.between(1, 100_000) as i64;
        let result = match rng.below(8) {
            0..=3 => db.put_item(&new_item(name, i, ttl_value(rng.below(10), now, offset))),
            4 => db
                .update_item(Key::new(name), "SET exp = :e, v = :v")
                .value(
                    ":e",
                    if rng.percent(50) {
                        now - offset
                    } else {
                        now + offset
                    },
                )
                .value(":v", i)
                .execute()
                .map(drop),
            5 => db
                .update_item(Key::new(name), "REMOVE exp")
                .execute()
                .map(drop),
            _ => db.delete_item(Key::new(name)),
        };
        result.expect("write");
    }
}

#[test]
#[ignore = "run by expiry_entries_resumed_after_kill9_match_the_items as its child"]
fn ttl_enable_crash_child() {
    if !is_child() {
        return;
    }
    let param = |name: &str| -> u64 {
        child_param(name)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("the child's {name}"))
    };
    let dir = child_param("DIR").expect("the table directory");
    let dir = Path::new(&dir);
    let now = i64::try_from(param("NOW")).expect("now fits an i64");
    let seed = param("SEED");
    // Sometimes a background sweep runs too, deleting expired items once TTL is built.
    let sweep = (seed % 2 == 0).then_some(Duration::from_millis(5));
    let clock = Arc::new(ManualClock::at_epoch_seconds(now));
    if child_param("REOPEN").is_some() {
        // The second child of a round: its open finishes what the first left, and may be
        // killed doing so.
        std::fs::write(dir.join("reopening"), b"").expect("reopening file");
        let db = builder(dir, &clock, sweep)
            .open()
            .expect("reopen the table");
        std::fs::write(dir.join("reopened"), b"").expect("reopened file");
        write_forever(&db, now, Rng::new(seed));
        return;
    }
    let db = builder(dir, &clock, sweep).open().expect("open the table");
    let writer_db = db.clone();
    let _writer = std::thread::spawn(move || write_forever(&writer_db, now, Rng::new(seed)));
    std::fs::write(dir.join("ready"), b"").expect("ready file");
    // Writes alone for a while first, so that some kills land before TTL is enabled.
    std::thread::sleep(Duration::from_millis(param("ENABLE_AFTER_MS")));
    db.enable_ttl(TTL).expect("enable TTL");
    std::fs::write(dir.join("enabled"), b"").expect("enabled file");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Every item of the table, by key, read while `clock` stands before every expiry.
fn all_items(db: &Dynafile, clock: &ManualClock) -> BTreeMap<String, Item> {
    clock.set_epoch_seconds(BEFORE_ALL);
    let items: Vec<Item> = db
        .scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan the table");
    items
        .into_iter()
        .map(|item| (item["PK"].as_s().expect("a string key").to_owned(), item))
        .collect()
}

/// The keys of the items a scan shows now, sorted.
fn visible_keys(db: &Dynafile) -> Vec<String> {
    let items: Vec<Item> = db
        .scan()
        .iter()
        .and_then(|items| items.collect())
        .expect("scan the table");
    let mut keys: Vec<String> = items
        .iter()
        .map(|item| item["PK"].as_s().expect("a string key").to_owned())
        .collect();
    keys.sort();
    keys
}

/// Opens the table after the kill and checks expiry against the items; returns whether the
/// child had recorded TTL as enabled.
fn verify(dir: &Path, now: i64, round: u64) -> bool {
    let clock = Arc::new(ManualClock::at_epoch_seconds(now));
    let db = builder(dir, &clock, None)
        .open()
        .expect("reopen after the kill");
    let recorded = db.info().expect("info").ttl.is_some();
    if !recorded {
        db.enable_ttl(TTL)
            .expect("enable the TTL the child did not get to record");
    }
    let ttl = db.info().expect("info").ttl.expect("TTL in info");
    assert_eq!(
        (ttl.attribute.as_str(), ttl.building),
        (TTL, false),
        "round {round}: TTL in info once the table is open"
    );
    let report = db.check().expect("check");
    assert!(report.is_ok(), "round {round}: check: {report}");

    let items = all_items(&db, &clock);
    let (expired, live): (Vec<String>, Vec<String>) = items
        .keys()
        .cloned()
        .partition(|key| expired_at(&items[key], now));
    // (The child's sweep may have deleted every expired item just before the kill.)
    assert!(!live.is_empty(), "round {round}: no unexpired item");

    clock.set_epoch_seconds(now);
    assert_eq!(
        visible_keys(&db),
        live,
        "round {round}: the scan shows exactly the unexpired items"
    );
    for key in &expired {
        assert_eq!(
            db.get_item(Key::new(key.as_str())).expect("get"),
            None,
            "round {round}: the expired {key} is visible to get"
        );
    }
    for key in live.iter().step_by(97) {
        assert_eq!(
            db.get_item(Key::new(key.as_str())).expect("get").as_ref(),
            Some(&items[key]),
            "round {round}: the unexpired {key} through get"
        );
    }
    let by_team = db
        .query("t0")
        .index(INDEX)
        .iter()
        .and_then(|entries| entries.collect::<dynafile::Result<Vec<Item>>>())
        .expect("query the index")
        .len();
    let live_t0 = live
        .iter()
        .filter(|key| items[*key].get("team") == Some(&Value::from("t0")))
        .count();
    assert_eq!(
        by_team, live_t0,
        "round {round}: the index hides expired items"
    );

    assert_eq!(
        db.sweep_expired().expect("sweep"),
        expired.len(),
        "round {round}: the sweep deletes every expired item and nothing else"
    );
    assert_eq!(db.sweep_expired().expect("sweep again"), 0, "round {round}");
    let remaining = all_items(&db, &clock);
    assert_eq!(
        remaining.into_keys().collect::<Vec<_>>(),
        live,
        "round {round}: after the sweep, exactly the unexpired items remain"
    );
    let report = db.check().expect("check");
    assert!(
        report.is_ok(),
        "round {round}: check after the sweep: {report}"
    );
    db.close().expect("close");
    recorded
}

#[test]
fn expiry_entries_resumed_after_kill9_match_the_items() {
    let _serial = serial();
    let seed = seed();
    eprintln!("expiry_entries_resumed_after_kill9_match_the_items seed {seed}");
    let mut rng = Rng::new(seed);
    let temp = tempfile::tempdir().expect("tempdir");
    let stderr_file = temp.path().join("child.stderr");
    let (mut recorded, mut enabled, mut reopens, mut killed_opening) = (0, 0, 0, 0);
    for round in 0..rounds(ROUNDS) {
        let now = 1_700_000_000 + rng.below(100_000_000) as i64;
        let dir = temp.path().join(format!("db-{round}"));
        let earlier = rng.percent(50);
        fill(&dir, now, earlier);
        let mut child = child_command(
            CHILD_TEST,
            &[
                ("DIR", dir.display().to_string()),
                ("NOW", now.to_string()),
                ("SEED", rng.next_u64().to_string()),
                ("ENABLE_AFTER_MS", rng.between(0, 30).to_string()),
            ],
            &stderr_file,
        )
        .spawn()
        .expect("spawn the child");
        wait_for_file(&dir.join("ready"), &mut child, &stderr_file);
        std::thread::sleep(Duration::from_millis(rng.between(0, 250)));
        kill9(&mut child, &stderr_file);
        enabled += u64::from(dir.join("enabled").exists());
        if rng.percent(40) {
            let mut child = child_command(
                CHILD_TEST,
                &[
                    ("DIR", dir.display().to_string()),
                    ("NOW", now.to_string()),
                    ("SEED", rng.next_u64().to_string()),
                    ("REOPEN", "1".to_owned()),
                ],
                &stderr_file,
            )
            .spawn()
            .expect("spawn the reopening child");
            wait_for_file(&dir.join("reopening"), &mut child, &stderr_file);
            std::thread::sleep(Duration::from_millis(rng.between(0, 100)));
            kill9(&mut child, &stderr_file);
            reopens += 1;
            killed_opening += u64::from(!dir.join("reopened").exists());
        }
        recorded += u64::from(verify(&dir, now, round));
    }
    eprintln!(
        "{} rounds: TTL was recorded in {recorded} when the parent opened, enabling finished in \
         {enabled}; a second child reopened the table in {reopens}, killed in its open in \
         {killed_opening}",
        rounds(ROUNDS)
    );
}
