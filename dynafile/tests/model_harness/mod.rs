//! The model test's machinery, shared by `model.rs` (random sequences) and `regressions.rs`
//! (the sequences that once failed, kept as named tests).
//!
//! A [`Harness`] holds an open table and a model of it (`BTreeMap<(partition, sort), Item>`),
//! applies [`Op`]s to both and checks every result the table gives against the model, then
//! compares the whole table (a full scan, in the engine's order) after every step.
//!
//! The table has a durable change stream. The harness records the events each op should
//! produce (INSERT, MODIFY, REMOVE with the images of the stream's view; none for a write
//! that changes nothing or a failed condition), and after every step the events the stream
//! delivered must be exactly those; after a reopen, the replay of the whole stream
//! (`stream_from(0)`) must be exactly every event delivered before.

#![allow(dead_code)] // each test crate uses its own part of this module

mod transact;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use dynafile::{
    Durability, Dynafile, Error, EventKind, EventOrigin, IndexProjection, Item, Key, KeyType,
    ManualClock, Number, Page, Retention, StreamEvent, StreamView, Subscription, Value,
    WriteOptions,
};
use sha2::{Digest, Sha256};

#[allow(unused_imports)] // not every test crate builds transactions
pub use transact::{TxnAction, TxnKind};

/// Partition keys: few, so partitions hold many items; a multi-byte one, and one of the
/// largest size allowed (2048 bytes, four times the tiny block size).
pub static PARTITIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut partitions: Vec<String> = [
        "a",
        "user#1",
        "user#2",
        "é-ü",
        "order/2024-01-01",
        "a-much-longer-partition-key-that-takes-some-room",
        "7",
        "zz",
    ]
    .map(String::from)
    .to_vec();
    partitions.push("p".repeat(dynafile::MAX_PARTITION_KEY_BYTES));
    partitions
});

/// A sort key value as the model holds it. One table uses one variant, so the derived order
/// is the table's: strings by UTF-8 bytes (as `str` compares), numbers numerically (by
/// `Number`'s order, which the engine's byte encoding of numbers must agree with), binaries
/// bytewise.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sk {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl Sk {
    pub fn value(&self) -> Value {
        match self {
            Sk::S(s) => Value::S(s.clone()),
            Sk::N(n) => Value::N(*n),
            Sk::B(b) => Value::B(b.clone()),
        }
    }

    /// A number sort key from its text.
    pub fn n(text: &str) -> Sk {
        match text.parse() {
            Ok(n) => Sk::N(n),
            Err(e) => panic!("{text} is a valid number: {e}"),
        }
    }
}

/// The key schema of the table under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// String partition key, string sort key.
    S,
    /// String partition key, number sort key.
    N,
    /// Binary partition key (the bytes of [`PARTITIONS`]), binary sort key.
    B,
}

impl Schema {
    fn partition_type(self) -> KeyType {
        match self {
            Schema::S | Schema::N => KeyType::S,
            Schema::B => KeyType::B,
        }
    }

    /// The view of the table's stream: each schema tests another.
    fn stream_view(self) -> StreamView {
        match self {
            Schema::S => StreamView::NewAndOldImages,
            Schema::N => StreamView::OldImage,
            Schema::B => StreamView::KeysOnly,
        }
    }

    fn sort_type(self) -> KeyType {
        match self {
            Schema::S => KeyType::S,
            Schema::N => KeyType::N,
            Schema::B => KeyType::B,
        }
    }

    /// The partition key value of a partition. A binary key hashes and orders by the same
    /// bytes as the string, so the model's order does not depend on the schema.
    pub fn partition(self, pk: &str) -> Value {
        match self {
            Schema::S | Schema::N => Value::S(pk.to_owned()),
            Schema::B => Value::B(pk.as_bytes().to_vec()),
        }
    }
}

/// Engine sizes: tiny ones make checkpoints, runs, merges and splits happen constantly.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub memtable: usize,
    pub target_file: u64,
    pub block: usize,
    pub cache: usize,
}

impl Sizes {
    /// The sizes the model test uses by default.
    pub const TINY: Sizes = Sizes {
        memtable: 4 << 10,
        target_file: 8 << 10,
        block: 512,
        cache: 64 << 10,
    };
}

/// The value part of a put: a small item, or one with a big attribute (bigger than a block
/// and the memtable, so it forces a checkpoint and spans blocks).
#[derive(Clone, Debug)]
pub enum Payload {
    Small,
    Big(usize),
}

/// A sort key condition of a query.
#[derive(Clone, Debug)]
pub enum Cond {
    All,
    Eq(Sk),
    Lt(Sk),
    Le(Sk),
    Gt(Sk),
    Ge(Sk),
    Between(Sk, Sk),
    BeginsWith(Sk),
}

/// One operation of a batch.
#[derive(Clone, Debug)]
pub enum BatchOp {
    Put(usize, Sk, Payload),
    Delete(usize, Sk),
}

/// One step of a model test. Partitions are indices into [`PARTITIONS`]; `existing` indices
/// pick an item the model holds (modulo its size), so deletes and gets hit real items.
#[derive(Clone, Debug)]
pub enum Op {
    Put {
        pk: usize,
        sk: Sk,
        payload: Payload,
        return_old: bool,
    },
    Delete {
        pk: usize,
        sk: Sk,
        return_old: bool,
    },
    DeleteExisting {
        existing: usize,
        return_old: bool,
    },
    /// Puts an item the model holds again, unchanged: no stream event.
    PutUnchanged {
        existing: usize,
    },
    Batch(Vec<BatchOp>),
    Get {
        pk: usize,
        sk: Sk,
    },
    GetExisting {
        existing: usize,
    },
    BatchGet(Vec<(usize, Sk)>),
    /// A transaction; it may name a key twice or nothing (refused), and cancel.
    Transact(Vec<TxnAction>),
    TransactGet(Vec<(usize, Sk)>),
    Query {
        pk: usize,
        cond: Cond,
        reverse: bool,
        limit: Option<usize>,
        filter: bool,
    },
    /// A scan split into `segments` (1: the whole table), each read page by page.
    Scan {
        segments: u32,
        reverse: bool,
        limit: Option<usize>,
        filter: bool,
    },
    Checkpoint,
    /// Move the table's clock forward by this many seconds: items whose `exp` passed
    /// vanish from the model (they are invisible to reads and absent to writes).
    AdvanceClock(u8),
    /// Run the TTL sweep: it deletes what expired, and the table still matches the model.
    Sweep,
    /// Drop the handle (which checkpoints) and open the table again.
    Reopen,
    /// `close()`, then open again.
    CloseReopen,
}

/// The first 8 bytes of SHA-256 of the partition key, big-endian: the engine's placement.
pub fn partition_hash(pk: &str) -> u64 {
    let digest = Sha256::digest(pk.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The hash range `[low, high)` of scan segment `segment` of `total` (`high` `None`: to the
/// end), splitting the 64-bit hash space evenly as the engine does.
pub fn segment_range(segment: u32, total: u32) -> (u64, Option<u64>) {
    let edge = |index: u32| -> u128 { (u128::from(index) << 64) / u128::from(total) };
    let low = u64::try_from(edge(segment)).unwrap();
    let high = (segment + 1 < total).then(|| u64::try_from(edge(segment + 1)).unwrap());
    (low, high)
}

/// The predicate a filtered query or scan keeps: an even `n` attribute.
pub fn even_n(item: &Item) -> bool {
    item.get("n")
        .and_then(Value::as_n)
        .and_then(Number::to_i64)
        .is_some_and(|n| n % 2 == 0)
}

/// The pages a read with `limit` gives over `evaluated` (the items in range, in order):
/// `limit` items are read per page, then filtered; a page says where to resume when more
/// items remain after it.
pub fn expected_pages(evaluated: &[(Key, Item)], limit: Option<usize>, filter: bool) -> Vec<Page> {
    let keep = |chunk: &[(Key, Item)]| -> Vec<Item> {
        chunk
            .iter()
            .filter(|(_, item)| !filter || even_n(item))
            .map(|(_, item)| item.clone())
            .collect()
    };
    let Some(limit) = limit else {
        return vec![page(keep(evaluated), None)];
    };
    if evaluated.is_empty() {
        return vec![page(Vec::new(), None)];
    }
    let chunks: Vec<&[(Key, Item)]> = evaluated.chunks(limit).collect();
    let count = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let more = index + 1 < count;
            let last = chunk.last().map(|(key, _)| key.clone());
            page(keep(chunk), if more { last } else { None })
        })
        .collect()
}

fn page(items: Vec<Item>, last_evaluated_key: Option<Key>) -> Page {
    let mut page = Page::default();
    page.items = items;
    page.last_evaluated_key = last_evaluated_key;
    page
}

/// The table's global index: `n` (N) / `SK`, including `v`. Items share index keys.
pub const INDEX: &str = "by_n";

fn sk_of(value: &Value) -> Option<Sk> {
    match value {
        Value::S(s) => Some(Sk::S(s.clone())),
        Value::N(n) => Some(Sk::N(*n)),
        Value::B(b) => Some(Sk::B(b.clone())),
        _ => None,
    }
}

/// A stream event the model expects: its commit (as the harness counts them), what it did,
/// the key, and the images the stream's view keeps.
#[derive(Debug)]
struct ExpectedEvent {
    commit: u64,
    origin: EventOrigin,
    kind: EventKind,
    keys: Key,
    old_image: Option<Item>,
    new_image: Option<Item>,
}

/// A table under test and its model.
pub struct Harness {
    _dir: tempfile::TempDir,
    path: PathBuf,
    db: Option<Dynafile>,
    model: BTreeMap<(String, Sk), Item>,
    schema: Schema,
    sizes: Sizes,
    durability: Durability,
    counter: u64,
    step: usize,
    /// The events every step so far should have produced, in order.
    expected: Vec<ExpectedEvent>,
    /// Commits the harness made that may have events.
    commits: u64,
    /// The table's stream, read after every step.
    stream: Option<Subscription>,
    /// What the stream delivered so far (as many as `expected`).
    received: Vec<StreamEvent>,
    clock: Arc<ManualClock>,
    /// Items the clock expired that no write has replaced since: the next sweep deletes
    /// them, each with a REMOVE event marked as a TTL removal. With their expiry and model key.
    expired: Vec<(i64, (String, Sk), Key, Item)>,
}

/// Where the model test's clock starts, in epoch seconds.
pub const CLOCK_START: i64 = 1_700_000_000;

/// The TTL attribute of the model test's table.
pub const TTL_ATTRIBUTE: &str = "exp";

/// How many expired items one sweep commit deletes at most (the engine's batch).
const SWEEP_BATCH: usize = 128;

impl Harness {
    pub fn new(schema: Schema, sizes: Sizes, durability: Durability) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table");
        let clock = Arc::new(ManualClock::at_epoch_seconds(CLOCK_START));
        let db = Self::configure(Dynafile::builder(&path), sizes, durability, &clock)
            .ttl_attribute(TTL_ATTRIBUTE)
            .partition_key("PK", schema.partition_type())
            .sort_key("SK", schema.sort_type())
            .global_index(
                INDEX,
                "n",
                KeyType::N,
                Some(("SK", schema.sort_type())),
                IndexProjection::Include(vec!["v".into()]),
            )
            .stream(schema.stream_view(), Retention::default())
            .open()
            .unwrap();
        let stream = Some(db.stream_from(0).unwrap());
        Harness {
            _dir: dir,
            path,
            db: Some(db),
            model: BTreeMap::new(),
            schema,
            sizes,
            durability,
            counter: 0,
            step: 0,
            expected: Vec::new(),
            commits: 0,
            stream,
            received: Vec::new(),
            clock,
            expired: Vec::new(),
        }
    }

    /// Counts a commit the harness makes; its events carry the number returned.
    fn begin_commit(&mut self) -> u64 {
        self.commits += 1;
        self.commits
    }

    /// Records the event of one item's change from `old` to `new` in `commit`, if it is
    /// one: nothing before and after, or an identical item, is no change.
    fn expect_change(&mut self, commit: u64, keys: Key, old: Option<&Item>, new: Option<&Item>) {
        // A write replaces an expired item the sweep has not deleted yet.
        self.expired.retain(|(_, _, key, _)| *key != keys);
        let kind = match (old, new) {
            (None, None) => return,
            (Some(old), Some(new)) if old == new => return,
            (None, Some(_)) => EventKind::Insert,
            (Some(_), None) => EventKind::Remove,
            (Some(_), Some(_)) => EventKind::Modify,
        };
        let view = self.schema.stream_view();
        let keeps_old = matches!(view, StreamView::OldImage | StreamView::NewAndOldImages);
        let keeps_new = matches!(view, StreamView::NewImage | StreamView::NewAndOldImages);
        self.expected.push(ExpectedEvent {
            commit,
            origin: EventOrigin::User,
            kind,
            keys,
            old_image: old.filter(|_| keeps_old).cloned(),
            new_image: new.filter(|_| keeps_new).cloned(),
        });
    }

    /// Reads what the stream delivered since the last step and checks it is exactly the
    /// events expected since: same kinds, keys and images in order, one sequence number
    /// per commit (increasing), indexes counting each commit's events from 0.
    fn check_stream(&mut self) {
        let stream = self.stream.as_mut().unwrap();
        let mut delivered = Vec::new();
        while let Some(event) = stream.try_recv().unwrap() {
            delivered.push(event);
        }
        let step = self.step;
        let expected = &self.expected[self.received.len()..];
        let summary = |events: &[StreamEvent]| -> Vec<(EventOrigin, EventKind, Key)> {
            events
                .iter()
                .map(|e| (e.origin, e.kind, e.keys.clone()))
                .collect()
        };
        assert_eq!(
            summary(&delivered),
            expected
                .iter()
                .map(|e| (e.origin, e.kind, e.keys.clone()))
                .collect::<Vec<_>>(),
            "step {step}: the stream's events"
        );
        for (got, want) in delivered.iter().zip(expected) {
            assert_eq!(
                (&got.old_image, &got.new_image),
                (&want.old_image, &want.new_image),
                "step {step}: images of {:?} {:?}",
                want.kind,
                want.keys
            );
        }
        let all_expected = &self.expected[..self.received.len() + delivered.len()];
        let before = self.received.len();
        self.received.extend(delivered);
        for i in before.max(1)..self.received.len() {
            let (got, previous) = (&self.received[i], &self.received[i - 1]);
            if all_expected[i].commit == all_expected[i - 1].commit {
                assert_eq!(
                    (got.sequence, got.index),
                    (previous.sequence, previous.index + 1),
                    "step {step}: events of one commit"
                );
            } else {
                assert!(
                    got.sequence > previous.sequence && got.index == 0,
                    "step {step}: a commit's first event {got:?} after {previous:?}"
                );
            }
        }
        if before == 0
            && let Some(first) = self.received.first()
        {
            assert_eq!(first.index, 0, "step {step}: the first event");
        }
    }

    fn configure(
        builder: dynafile::Builder,
        sizes: Sizes,
        durability: Durability,
        clock: &Arc<ManualClock>,
    ) -> dynafile::Builder {
        builder
            .clock(clock.clone())
            .ttl_sweep_interval(None)
            .memtable_size(sizes.memtable)
            .target_file_size(sizes.target_file)
            .block_size(sizes.block)
            .cache_size(sizes.cache)
            .durability(durability)
    }

    /// Runs every op, checking each result and the whole table after each step.
    pub fn run(schema: Schema, sizes: Sizes, durability: Durability, ops: &[Op]) {
        let mut harness = Harness::new(schema, sizes, durability);
        for op in ops {
            harness.apply(op);
        }
        harness.reopen(true);
        harness.finish();
    }

    fn db(&self) -> &Dynafile {
        self.db.as_ref().unwrap()
    }

    /// The partition files the table directory holds now.
    pub fn partition_files(&self) -> usize {
        std::fs::read_dir(self.path.join("partitions"))
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|ext| ext == "dfp")
            })
            .count()
    }

    /// Checks the table's files and closes it.
    pub fn finish(mut self) {
        self.check_stream();
        let report = self.db().check().unwrap();
        assert!(report.is_ok(), "check failed: {report}");
        self.db.take().unwrap().close().unwrap();
    }

    fn item(&mut self, pk: usize, sk: &Sk, payload: &Payload) -> Item {
        self.counter += 1;
        let mut item = Item::new();
        item.insert("PK", self.schema.partition(&PARTITIONS[pk]));
        item.insert("SK", sk.value());
        item.insert("v", self.counter);
        item.insert("n", self.counter % 5);
        // Every third item expires within a few seconds of the clock (an expiry of the
        // current second has not passed yet).
        if self.counter.is_multiple_of(3) {
            let seconds = i64::try_from(self.counter % 4).unwrap();
            item.insert(TTL_ATTRIBUTE, self.clock.epoch_seconds() + seconds);
        }
        if let Payload::Big(len) = payload {
            let text: String = format!("{}:", self.counter)
                .chars()
                .cycle()
                .take(*len)
                .collect();
            item.insert("big", text);
        }
        item
    }

    fn key(&self, pk: usize, sk: &Sk) -> Key {
        Key::new(self.schema.partition(&PARTITIONS[pk])).sort(sk.value())
    }

    fn existing(&self, index: usize) -> Option<(usize, Sk)> {
        if self.model.is_empty() {
            return None;
        }
        let (pk, sk) = self.model.keys().nth(index % self.model.len()).unwrap();
        let pk = PARTITIONS.iter().position(|p| p == pk).unwrap();
        Some((pk, sk.clone()))
    }

    /// Applies one op to the table and the model, checking what the table returns.
    pub fn apply(&mut self, op: &Op) {
        self.step += 1;
        match op {
            Op::Put {
                pk,
                sk,
                payload,
                return_old,
            } => {
                let item = self.item(*pk, sk, payload);
                let old = self
                    .model
                    .insert((PARTITIONS[*pk].clone(), sk.clone()), item.clone());
                let commit = self.begin_commit();
                self.expect_change(commit, self.key(*pk, sk), old.as_ref(), Some(&item));
                if *return_old {
                    let got = self
                        .db()
                        .put_item_with(&item, WriteOptions::new().return_old())
                        .unwrap();
                    assert_eq!(got, old, "step {}: old item returned by {op:?}", self.step);
                } else {
                    self.db().put_item(&item).unwrap();
                }
            }
            Op::Delete { pk, sk, return_old } => self.delete(*pk, sk, *return_old),
            Op::DeleteExisting {
                existing,
                return_old,
            } => {
                if let Some((pk, sk)) = self.existing(*existing) {
                    self.delete(pk, &sk, *return_old);
                }
            }
            Op::PutUnchanged { existing } => {
                if let Some((pk, sk)) = self.existing(*existing) {
                    let item = self.model[&(PARTITIONS[pk].clone(), sk)].clone();
                    self.db().put_item(&item).unwrap();
                }
            }
            Op::Batch(ops) => {
                let mut batch = self.db().batch_writer();
                let commit = self.begin_commit();
                for op in ops {
                    // Each change's old image is what the batch's earlier ops left.
                    match op {
                        BatchOp::Put(pk, sk, payload) => {
                            let item = self.item(*pk, sk, payload);
                            batch.put_item(&item).unwrap();
                            let old = self
                                .model
                                .insert((PARTITIONS[*pk].clone(), sk.clone()), item.clone());
                            self.expect_change(
                                commit,
                                self.key(*pk, sk),
                                old.as_ref(),
                                Some(&item),
                            );
                        }
                        BatchOp::Delete(pk, sk) => {
                            batch.delete_item(self.key(*pk, sk)).unwrap();
                            let old = self.model.remove(&(PARTITIONS[*pk].clone(), sk.clone()));
                            self.expect_change(commit, self.key(*pk, sk), old.as_ref(), None);
                        }
                    }
                }
                assert_eq!(batch.len(), ops.len());
                batch.commit().unwrap();
            }
            Op::Get { pk, sk } => self.get(*pk, sk),
            Op::GetExisting { existing } => {
                if let Some((pk, sk)) = self.existing(*existing) {
                    self.get(pk, &sk);
                }
            }
            Op::BatchGet(keys) => {
                let got = self
                    .db()
                    .batch_get(keys.iter().map(|(pk, sk)| self.key(*pk, sk)))
                    .unwrap();
                let expected: Vec<Option<Item>> = keys
                    .iter()
                    .map(|(pk, sk)| {
                        self.model
                            .get(&(PARTITIONS[*pk].clone(), sk.clone()))
                            .cloned()
                    })
                    .collect();
                assert_eq!(got, expected, "step {}: {op:?}", self.step);
            }
            Op::Transact(actions) => self.transact(op, actions),
            Op::TransactGet(keys) => self.transact_get(op, keys),
            Op::Query {
                pk,
                cond,
                reverse,
                limit,
                filter,
            } => self.query(*pk, cond, *reverse, *limit, *filter),
            Op::Scan {
                segments,
                reverse,
                limit,
                filter,
            } => self.scan(*segments, *reverse, *limit, *filter),
            Op::Checkpoint => self.db().checkpoint().unwrap(),
            Op::AdvanceClock(seconds) => {
                self.clock.advance_seconds(i64::from(*seconds));
                let now = self.clock.epoch_seconds();
                let expired_keys: Vec<((String, Sk), i64)> = self
                    .model
                    .iter()
                    .filter_map(|(key, item)| {
                        let exp = item
                            .get(TTL_ATTRIBUTE)
                            .and_then(Value::as_n)
                            .and_then(Number::to_i64)?;
                        (exp < now).then(|| (key.clone(), exp))
                    })
                    .collect();
                for (model_key, exp) in expired_keys {
                    let item = self.model.remove(&model_key).unwrap();
                    let pk = PARTITIONS.iter().position(|p| *p == model_key.0).unwrap();
                    let key = self.key(pk, &model_key.1);
                    self.expired.push((exp, model_key, key, item));
                }
            }
            Op::Sweep => {
                // The sweep deletes in expiry order, then the table's key order, in commits
                // of up to 128 deletes.
                let mut swept = std::mem::take(&mut self.expired);
                swept.sort_by(|a, b| {
                    let order = |(exp, (pk, sk), _, _): &(i64, (String, Sk), Key, Item)| {
                        (*exp, partition_hash(pk), pk.clone(), sk.clone())
                    };
                    order(a).cmp(&order(b))
                });
                let count = swept.len();
                for chunk in swept.chunks(SWEEP_BATCH) {
                    let commit = self.begin_commit();
                    for (_, _, key, item) in chunk {
                        self.expect_change(commit, key.clone(), Some(item), None);
                        if let Some(event) = self.expected.last_mut() {
                            event.origin = EventOrigin::Ttl;
                        }
                    }
                }
                assert_eq!(
                    self.db().sweep_expired().unwrap(),
                    count,
                    "step {}: the sweep deletes every expired item",
                    self.step
                );
                assert_eq!(
                    self.db().sweep_expired().unwrap(),
                    0,
                    "step {}: a second sweep finds nothing",
                    self.step
                );
            }
            Op::Reopen => self.reopen(false),
            Op::CloseReopen => self.reopen(true),
        }
        self.compare_all();
        self.check_stream();
    }

    fn delete(&mut self, pk: usize, sk: &Sk, return_old: bool) {
        let old = self.model.remove(&(PARTITIONS[pk].clone(), sk.clone()));
        let key = self.key(pk, sk);
        let commit = self.begin_commit();
        self.expect_change(commit, key.clone(), old.as_ref(), None);
        if return_old {
            let got = self
                .db()
                .delete_item_with(key, WriteOptions::new().return_old())
                .unwrap();
            assert_eq!(got, old, "step {}: deleted item returned", self.step);
        } else {
            self.db().delete_item(key).unwrap();
        }
    }

    fn get(&self, pk: usize, sk: &Sk) {
        let got = self.db().get_item(self.key(pk, sk)).unwrap();
        let expected = self.model.get(&(PARTITIONS[pk].clone(), sk.clone()));
        assert_eq!(
            got.as_ref(),
            expected,
            "step {}: get of ({pk}, {sk:?})",
            self.step
        );
    }

    fn reopen(&mut self, close: bool) {
        self.check_stream();
        self.stream = None;
        let db = self.db.take().unwrap();
        if close {
            db.close().unwrap();
        } else {
            drop(db);
        }
        let mut builder = Self::configure(
            Dynafile::builder(&self.path),
            self.sizes,
            self.durability,
            &self.clock,
        );
        if close {
            // Also check that the stored schema matches the one asked for.
            builder = builder
                .partition_key("PK", self.schema.partition_type())
                .sort_key("SK", self.schema.sort_type());
        }
        self.db = Some(builder.open().unwrap());
        let report = self.db().check().unwrap();
        assert!(
            report.is_ok(),
            "step {}: check after reopen: {report}",
            self.step
        );
        // The durable stream replays exactly what was delivered before, then goes on live.
        let mut stream = self.db().stream_from(0).unwrap();
        let mut replayed = Vec::new();
        while let Some(event) = stream.try_recv().unwrap() {
            replayed.push(event);
        }
        assert_eq!(
            replayed, self.received,
            "step {}: the stream replayed after reopen",
            self.step
        );
        self.stream = Some(stream);
    }

    /// The model's items of partition `pk` that meet `cond`, in sort key order.
    fn in_partition(&self, pk: usize, cond: &Cond) -> Vec<(Key, Item)> {
        let partition = &PARTITIONS[pk];
        self.model
            .iter()
            .filter(|((p, sk), _)| {
                p == partition
                    && match cond {
                        Cond::All => true,
                        Cond::Eq(v) => sk == v,
                        Cond::Lt(v) => sk < v,
                        Cond::Le(v) => sk <= v,
                        Cond::Gt(v) => sk > v,
                        Cond::Ge(v) => sk >= v,
                        Cond::Between(low, high) => low <= sk && sk <= high,
                        Cond::BeginsWith(prefix) => match (sk, prefix) {
                            (Sk::S(s), Sk::S(prefix)) => s.starts_with(prefix.as_str()),
                            (Sk::B(b), Sk::B(prefix)) => b.starts_with(prefix),
                            _ => false,
                        },
                    }
            })
            .map(|((_, sk), item)| (self.key(pk, sk), item.clone()))
            .collect()
    }

    fn query(&self, pk: usize, cond: &Cond, reverse: bool, limit: Option<usize>, filter: bool) {
        let mut query = self.db().query(self.schema.partition(&PARTITIONS[pk]));
        query = match cond {
            Cond::All => query,
            Cond::Eq(v) => query.eq(v.value()),
            Cond::Lt(v) => query.lt(v.value()),
            Cond::Le(v) => query.le(v.value()),
            Cond::Gt(v) => query.gt(v.value()),
            Cond::Ge(v) => query.ge(v.value()),
            Cond::Between(low, high) => query.between(low.value(), high.value()),
            Cond::BeginsWith(prefix) => query.begins_with(prefix.value()),
        };
        if reverse {
            query = query.reverse();
        }
        if filter {
            query = query.filter(even_n);
        }
        let invalid = match cond {
            Cond::Between(low, high) => low > high,
            Cond::BeginsWith(_) => self.schema == Schema::N,
            _ => false,
        } || limit == Some(0);
        if invalid {
            let error = query.clone().limit(limit.unwrap_or(1)).iter().err();
            assert!(
                matches!(error, Some(Error::Validation(_))),
                "step {}: query ({pk}, {cond:?}, limit {limit:?}) must be refused, got {error:?}",
                self.step
            );
            return;
        }
        let mut evaluated = self.in_partition(pk, cond);
        if reverse {
            evaluated.reverse();
        }
        let what = format!(
            "step {}: query ({pk}, {cond:?}, reverse {reverse}, limit {limit:?}, filter {filter})",
            self.step
        );
        self.read_pages(&what, &evaluated, limit, filter, |start| {
            let mut query = query.clone().start_after(start);
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            query.page().unwrap()
        });
    }

    /// Reads every page (resuming after each page's last evaluated key) and compares each
    /// with the expected one.
    fn read_pages(
        &self,
        what: &str,
        evaluated: &[(Key, Item)],
        limit: Option<usize>,
        filter: bool,
        read: impl Fn(Option<Key>) -> Page,
    ) {
        let expected = expected_pages(evaluated, limit, filter);
        let mut start = None;
        for (number, expected_page) in expected.iter().enumerate() {
            let got = read(start.take());
            assert_eq!(
                got.items.len(),
                expected_page.items.len(),
                "{what}: length of page {number}"
            );
            assert_eq!(got, *expected_page, "{what}: page {number}");
            start = got.last_evaluated_key;
        }
    }

    /// The model in the engine's order: by partition key hash, partition key, sort key.
    /// (The engine breaks hash ties by key length first; the partitions here have distinct
    /// hashes, so that never decides.)
    fn in_table_order(&self) -> Vec<(u64, Key, Item)> {
        let mut all: Vec<(u64, &String, &Sk, &Item)> = self
            .model
            .iter()
            .map(|((pk, sk), item)| (partition_hash(pk), pk, sk, item))
            .collect();
        all.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        all.into_iter()
            .map(|(hash, pk, sk, item)| {
                (
                    hash,
                    Key::new(self.schema.partition(pk)).sort(sk.value()),
                    item.clone(),
                )
            })
            .collect()
    }

    fn scan(&self, segments: u32, reverse: bool, limit: Option<usize>, filter: bool) {
        let all = self.in_table_order();
        if limit == Some(0) {
            let error = self.db().scan().limit(0).iter().err();
            assert!(
                matches!(error, Some(Error::Validation(_))),
                "step {}: a scan with limit 0 must be refused, got {error:?}",
                self.step
            );
            return;
        }
        let mut covered = 0;
        for segment in 0..segments {
            let (low, high) = segment_range(segment, segments);
            let mut evaluated: Vec<(Key, Item)> = all
                .iter()
                .filter(|(hash, _, _)| *hash >= low && high.is_none_or(|high| *hash < high))
                .map(|(_, key, item)| (key.clone(), item.clone()))
                .collect();
            covered += evaluated.len();
            if reverse {
                evaluated.reverse();
            }
            let what = format!(
                "step {}: scan segment {segment}/{segments} (reverse {reverse}, limit {limit:?}, filter {filter})",
                self.step
            );
            self.read_pages(&what, &evaluated, limit, filter, |start| {
                let mut scan = self.db().scan().start_after(start);
                if segments > 1 {
                    scan = scan.segment(segment, segments);
                }
                if reverse {
                    scan = scan.reverse();
                }
                if let Some(limit) = limit {
                    scan = scan.limit(limit);
                }
                if filter {
                    scan = scan.filter(even_n);
                }
                scan.page().unwrap()
            });
        }
        assert_eq!(covered, all.len(), "segments cover every item once");
    }

    /// The whole table against the whole model, in the engine's order, and the index
    /// against what the model implies.
    pub fn compare_all(&self) {
        self.compare_table();
        self.compare_index();
    }

    fn compare_table(&self) {
        let expected: Vec<Item> = self
            .in_table_order()
            .into_iter()
            .map(|(_, _, item)| item)
            .collect();
        let got: Vec<Item> = self
            .db()
            .scan()
            .iter()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if got != expected {
            let got_keys: Vec<_> = got
                .iter()
                .map(|i| (i["PK"].clone(), i["SK"].clone()))
                .collect();
            let expected_keys: Vec<_> = expected
                .iter()
                .map(|i| (i["PK"].clone(), i["SK"].clone()))
                .collect();
            assert_eq!(
                got_keys, expected_keys,
                "step {}: the table's keys differ from the model's",
                self.step
            );
            assert_eq!(
                got, expected,
                "step {}: the table differs from the model",
                self.step
            );
        }
    }

    /// The index against what the model's items imply: for each value of `n`, the items
    /// holding it, by sort key and then in table order, projected to the keys and `v`; read
    /// whole, and every few steps in pages of 3.
    pub fn compare_index(&self) {
        let mut by_n: BTreeMap<Number, Vec<(Sk, Item)>> = BTreeMap::new();
        for (_, _, item) in self.in_table_order() {
            let (Some(Value::N(n)), Some(sk)) = (item.get("n"), sk_of(&item["SK"])) else {
                continue;
            };
            let mut entry = Item::new();
            for name in ["PK", "SK", "n", "v"] {
                if let Some(value) = item.get(name) {
                    entry.insert(name, value.clone());
                }
            }
            by_n.entry(*n).or_default().push((sk, entry));
        }
        let indexed: usize = self.db().scan().index(INDEX).iter().unwrap().count();
        assert_eq!(
            indexed,
            by_n.values().map(Vec::len).sum::<usize>(),
            "step {}: index entries",
            self.step
        );
        for (n, mut entries) in by_n {
            // Stable: items sharing a sort key stay in table order.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let expected: Vec<Item> = entries.into_iter().map(|(_, item)| item).collect();
            let query = self.db().query(Value::N(n)).index(INDEX);
            let got: Vec<Item> = query.iter().unwrap().collect::<Result<_, _>>().unwrap();
            assert_eq!(got, expected, "step {}: index query n = {n}", self.step);
            if !self.step.is_multiple_of(4) {
                // Pages every few steps: the whole model test reads the index at every one.
                continue;
            }
            let mut paged = Vec::new();
            let mut start = None;
            loop {
                let page = query
                    .clone()
                    .limit(3)
                    .start_after_index_key(start)
                    .page()
                    .unwrap();
                paged.extend(page.items);
                start = page.last_evaluated_index_key;
                if start.is_none() {
                    break;
                }
            }
            assert_eq!(paged, expected, "step {}: index pages n = {n}", self.step);
        }
    }

    /// The model's item count.
    pub fn len(&self) -> usize {
        self.model.len()
    }
}
