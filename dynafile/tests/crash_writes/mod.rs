//! The writes of the kill -9 crash test (`crash_kill9.rs`): what a child writes (single puts
//! and deletes, batches, transactions), how each is logged to the side file and read back,
//! what the items it writes hold, and what it does to a model of the table.
//!
//! Every attribute of an item follows from the write that put it and its key, so the parent
//! can tell from the table alone which writes it holds. A batch and a transaction are alike
//! here: all or nothing, their items marked with the write's id and how many items it left.

#![allow(dead_code)] // each test crate uses its own part of this module

use std::collections::BTreeMap;

use dynafile::{CancellationReason, Durability, Dynafile, Error, Item, TransactWriteItem, Value};

use crate::crash_support::Rng;

pub const PARTITIONS: u64 = 16;
pub const SORT_KEYS: u64 = 64;

pub type Key = (String, String);

/// What an item holds, besides its key: everything is derived from the write that put it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The write (`r<round>-<n>`) that put the item.
    pub op: String,
    /// For an item put by a batch or transaction: its id (the write's op) and how many items
    /// it left in place (keys whose last operation in it is a put or an update).
    pub batch: Option<(String, usize)>,
    /// Filler whose length and content follow from the op and key.
    pub pad: String,
}

pub type Model = BTreeMap<Key, Entry>;

/// The table's TTL attribute.
pub const TTL_ATTRIBUTE: &str = "exp";

/// The expiry of an item with filler `pad`, when it has one: half the items carry one, far
/// in the future (2096), so the expiry entries of the crash test's writes move with every
/// write and nothing expires.
pub fn expiry_of(pad: &str) -> Option<u64> {
    pad.len()
        .is_multiple_of(2)
        .then(|| 4_000_000_000 + pad.len() as u64)
}

fn pad_for(op: &str, pk: &str, sk: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in op.bytes().chain(pk.bytes()).chain(sk.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let len = (hash % 400) as usize;
    let mut pad = format!("{op}/{pk}/{sk}/");
    while pad.len() < len {
        pad.push(char::from(b'a' + (hash % 26) as u8));
        hash = hash.rotate_left(5);
    }
    pad
}

/// One operation of a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Put(Key),
    Delete(Key),
    /// In a transaction: an update that sets every attribute, leaving the item a put would.
    Update(Key),
    /// In a transaction: a condition check, which changes nothing.
    Check(Key),
}

impl Action {
    pub fn key(&self) -> &Key {
        match self {
            Action::Put(key) | Action::Delete(key) | Action::Update(key) | Action::Check(key) => {
                key
            }
        }
    }

    /// Whether the action leaves its item in place (`Some(true)`), removes it
    /// (`Some(false)`), or leaves it alone (`None`).
    fn leaves(&self) -> Option<bool> {
        match self {
            Action::Put(_) | Action::Update(_) => Some(true),
            Action::Delete(_) => Some(false),
            Action::Check(_) => None,
        }
    }
}

/// What kind of write it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Single,
    Batch,
    Transaction,
}

/// A write, as logged by its intent line.
#[derive(Clone, Debug)]
pub struct Write {
    pub op: String,
    pub kind: Kind,
    pub durable: bool,
    pub actions: Vec<Action>,
}

impl Write {
    /// A batch or a transaction: all or nothing, its items marked with its id.
    pub fn is_atomic_group(&self) -> bool {
        self.kind != Kind::Single
    }

    /// Keys the batch leaves in place: those whose last operation in it is a put.
    fn members(&self) -> usize {
        self.final_puts().values().filter(|put| **put).count()
    }

    /// For each key the write changes, whether its last operation leaves the item.
    pub fn final_puts(&self) -> BTreeMap<&Key, bool> {
        let mut last = BTreeMap::new();
        for action in &self.actions {
            if let Some(put) = action.leaves() {
                last.insert(action.key(), put);
            }
        }
        last
    }

    /// The keys the write changes.
    pub fn changed_keys(&self) -> impl Iterator<Item = &Key> {
        self.actions
            .iter()
            .filter(|action| action.leaves().is_some())
            .map(Action::key)
    }

    fn entry(&self, key: &Key) -> Entry {
        Entry {
            op: self.op.clone(),
            batch: self
                .is_atomic_group()
                .then(|| (self.op.clone(), self.members())),
            pad: pad_for(&self.op, &key.0, &key.1),
        }
    }

    pub fn apply(&self, model: &mut Model) {
        for action in &self.actions {
            match action.leaves() {
                Some(true) => {
                    model.insert(action.key().clone(), self.entry(action.key()));
                }
                Some(false) => {
                    model.remove(action.key());
                }
                None => {}
            }
        }
    }

    pub fn intent_line(&self) -> String {
        let actions: Vec<String> = self
            .actions
            .iter()
            .map(|action| {
                let code = match action {
                    Action::Put(_) => "P",
                    Action::Delete(_) => "D",
                    Action::Update(_) => "U",
                    Action::Check(_) => "C",
                };
                let (pk, sk) = action.key();
                format!("{code}:{pk}:{sk}")
            })
            .collect();
        let kind = match self.kind {
            Kind::Single => "single",
            Kind::Batch => "batch",
            Kind::Transaction => "txn",
        };
        format!(
            "I\t{}\t{kind}\t{}\t{}",
            self.op,
            if self.durable { "I" } else { "B" },
            actions.join(",")
        )
    }

    pub fn parse_intent(fields: &[&str]) -> Write {
        let [op, kind, durability, actions] = fields else {
            panic!("malformed intent line {fields:?}");
        };
        let actions = actions
            .split(',')
            .map(|action| {
                let parts: Vec<&str> = action.split(':').collect();
                let key = (parts[1].to_owned(), parts[2].to_owned());
                match parts[0] {
                    "P" => Action::Put(key),
                    "D" => Action::Delete(key),
                    "U" => Action::Update(key),
                    "C" => Action::Check(key),
                    other => panic!("unknown action {other}"),
                }
            })
            .collect();
        let kind = match *kind {
            "single" => Kind::Single,
            "batch" => Kind::Batch,
            "txn" => Kind::Transaction,
            other => panic!("unknown write kind {other}"),
        };
        Write {
            op: (*op).to_owned(),
            kind,
            durable: *durability == "I",
            actions,
        }
    }

    pub fn item(&self, key: &Key) -> Item {
        let entry = self.entry(key);
        let mut item = Item::new();
        item.insert("PK", key.0.as_str());
        item.insert("SK", key.1.as_str());
        item.insert("op", entry.op.as_str());
        item.insert("pad", entry.pad.as_str());
        if let Some(expiry) = expiry_of(&entry.pad) {
            item.insert(TTL_ATTRIBUTE, expiry);
        }
        if let Some((batch, members)) = entry.batch {
            item.insert("batch", batch);
            item.insert("members", members as u64);
        }
        item
    }
}

/// Reads an item back into its key and entry; `Err` says what is malformed.
pub fn entry_of(item: &Item) -> Result<(Key, Entry), String> {
    let text = |name: &str| -> Result<String, String> {
        item.get(name)
            .and_then(Value::as_s)
            .map(str::to_owned)
            .ok_or_else(|| format!("attribute {name} missing or not a string in {item:?}"))
    };
    let key = (text("PK")?, text("SK")?);
    let batch = match (item.get("batch"), item.get("members")) {
        (None, None) => None,
        (Some(_), Some(Value::N(members))) => {
            let members = members
                .to_string()
                .parse()
                .map_err(|_| format!("bad members in {item:?}"))?;
            Some((text("batch")?, members))
        }
        _ => return Err(format!("batch attributes half there in {item:?}")),
    };
    let pad = text("pad")?;
    let expiry = expiry_of(&pad);
    if item.get(TTL_ATTRIBUTE) != expiry.map(Value::from).as_ref() {
        return Err(format!(
            "the expiry does not follow from the pad in {item:?}"
        ));
    }
    let expected_len = 4 + batch.is_some() as usize * 2 + expiry.is_some() as usize;
    if item.len() != expected_len {
        return Err(format!("unexpected attributes in {item:?}"));
    }
    Ok((
        key,
        Entry {
            op: text("op")?,
            batch,
            pad,
        },
    ))
}

pub fn key_name(partition: u64, sort: u64) -> Key {
    (format!("p{partition:02}"), format!("s{sort:02}"))
}

pub fn random_key(rng: &mut Rng) -> Key {
    key_name(rng.below(PARTITIONS), rng.below(SORT_KEYS))
}

/// A transaction of 2 to 12 actions on distinct keys: puts, updates, deletes and condition
/// checks, some with conditions that hold on `model`. With `cancel`, one action's condition
/// is false instead; returns that action's index.
pub fn transaction(
    op: String,
    durable: bool,
    rng: &mut Rng,
    cancel: bool,
) -> (Write, Option<usize>) {
    let size = rng.between(2, 12) as usize;
    let mut actions: Vec<Action> = Vec::new();
    while actions.len() < size {
        let key = random_key(rng);
        if actions.iter().any(|action| *action.key() == key) {
            continue;
        }
        actions.push(match rng.below(100) {
            0..50 => Action::Put(key),
            50..70 => Action::Update(key),
            70..85 => Action::Delete(key),
            _ => Action::Check(key),
        });
    }
    let failing = cancel.then(|| rng.below(size as u64) as usize);
    let write = Write {
        op,
        kind: Kind::Transaction,
        durable,
        actions,
    };
    (write, failing)
}

/// Runs `write` (a transaction) as `transact_write`. Conditions are drawn from `rng` and hold
/// on `model`, except that of action `failing`. Returns a problem, if any: an error, or
/// reasons other than the model's.
pub fn run_transaction(
    db: &Dynafile,
    write: &Write,
    failing: Option<usize>,
    model: &Model,
    rng: &mut Rng,
) -> Option<String> {
    let durability = if write.durable {
        Durability::Immediate
    } else {
        Durability::Buffered
    };
    let mut transaction = db.transact_write().durability(durability);
    for (index, action) in write.actions.iter().enumerate() {
        let key = action.key();
        let dynamo_key = (key.0.as_str(), key.1.as_str());
        let mut item = match action {
            Action::Put(key) => TransactWriteItem::put(write.item(key)),
            Action::Delete(_) => TransactWriteItem::delete(dynamo_key),
            Action::Update(key) => {
                let entry = write.entry(key);
                let (batch, members) = entry.batch.expect("a transaction's items are marked");
                let expiry = expiry_of(&entry.pad);
                let update = format!(
                    "SET #op = :op, pad = :pad, batch = :batch, members = :members{}",
                    if expiry.is_some() {
                        ", #exp = :exp"
                    } else {
                        " REMOVE #exp"
                    }
                );
                let update = TransactWriteItem::update(dynamo_key, update)
                    .name("#op", "op")
                    .name("#exp", TTL_ATTRIBUTE);
                let update = match expiry {
                    Some(expiry) => update.value(":exp", expiry),
                    None => update,
                };
                update
                    .value(":op", entry.op)
                    .value(":pad", entry.pad)
                    .value(":batch", batch)
                    .value(":members", members as u64)
            }
            // Always given a condition on the model below.
            Action::Check(_) => {
                TransactWriteItem::condition_check(dynamo_key, "attribute_exists(PK)")
            }
        };
        let stored = model.get(key);
        let fail = failing == Some(index);
        if fail || rng.percent(40) || matches!(action, Action::Check(_)) {
            // True on the model, unless this is the failing action.
            item = match (stored, fail) {
                (Some(entry), false) => item
                    .condition("attribute_exists(PK) AND #op = :was")
                    .name("#op", "op")
                    .value(":was", entry.op.as_str()),
                (None, false) => item.condition("attribute_not_exists(PK)"),
                (Some(_), true) => item.condition("attribute_not_exists(PK)"),
                (None, true) => item.condition("attribute_exists(PK)"),
            };
            if fail {
                item = item.return_old_on_condition_failure();
            }
        }
        transaction = transaction.action(item);
    }
    let result = transaction.execute();
    match (failing, result) {
        (None, Ok(())) => None,
        (Some(failing), Err(Error::TransactionCanceled { reasons, .. })) => {
            let failing_key = write.actions[failing].key();
            let expected = model
                .get(failing_key)
                .map(|entry| Ok((failing_key.clone(), entry.clone())));
            let fine = reasons.len() == write.actions.len()
                && reasons.iter().enumerate().all(|(index, reason)| {
                    if index != failing {
                        return *reason == CancellationReason::None;
                    }
                    let CancellationReason::ConditionalCheckFailed { item } = reason else {
                        return false;
                    };
                    item.as_deref().map(entry_of) == expected
                });
            (!fine).then(|| format!("transaction {} canceled for {reasons:?}", write.op))
        }
        (_, result) => Some(format!(
            "transaction {} (failing action {failing:?}) gave {result:?}",
            write.op
        )),
    }
}
