//! Transactions in the model test: [`Op::Transact`] and [`Op::TransactGet`], checked against
//! what DynamoDB's rules give on the model (each condition, each reason in order, all or
//! nothing, duplicate keys refused).

use dynafile::{CancellationReason, Error, Item, Number, TransactWriteItem, Value};

use super::{Harness, Op, PARTITIONS, Payload, Sk};

/// What one action of a transaction does.
#[derive(Clone, Debug)]
pub enum TxnKind {
    Put(Payload),
    /// `SET v = :v, n = :n`: creates the item when missing.
    Update,
    /// `ADD big :one`: a validation failure on an item whose `big` is a string.
    AddBig,
    /// `SET big = big + :one`: a validation failure unless `big` is a number.
    IncrementBig,
    Delete,
    Check,
}

/// One action: its item (`existing`, when set and the model holds items, picks one of
/// them instead of `pk` and `sk`), what it does, an optional condition (`Some(true)`:
/// `attribute_exists(PK)`, `Some(false)`: `attribute_not_exists(PK)`), and whether a failed
/// condition returns the old item.
#[derive(Clone, Debug)]
pub struct TxnAction {
    pub pk: usize,
    pub sk: Sk,
    pub existing: Option<usize>,
    pub kind: TxnKind,
    pub exists: Option<bool>,
    pub return_old: bool,
}

type ModelKey = (String, Sk);

/// The reason the model expects for an action.
#[derive(Debug, PartialEq)]
enum Want {
    None,
    ConditionalCheckFailed(Option<Item>),
    ValidationError,
}

impl Want {
    fn matches(&self, got: &CancellationReason) -> bool {
        match (self, got) {
            (Want::None, CancellationReason::None)
            | (Want::ValidationError, CancellationReason::ValidationError(_)) => true,
            (
                Want::ConditionalCheckFailed(want),
                CancellationReason::ConditionalCheckFailed { item },
            ) => want.as_ref() == item.as_deref(),
            _ => false,
        }
    }
}

impl Harness {
    pub(super) fn transact(&mut self, op: &Op, actions: &[TxnAction]) {
        let actions: Vec<TxnAction> = actions
            .iter()
            .map(|action| {
                let mut action = action.clone();
                if let Some((pk, sk)) = action.existing.and_then(|index| self.existing(index)) {
                    (action.pk, action.sk) = (pk, sk);
                }
                action
            })
            .collect();
        let keys: Vec<ModelKey> = actions
            .iter()
            .map(|action| (PARTITIONS[action.pk].clone(), action.sk.clone()))
            .collect();
        let distinct = keys.iter().collect::<std::collections::BTreeSet<_>>().len();
        let mut transaction = self.db().transact_write();
        let mut reasons = Vec::new();
        let mut effects: Vec<(ModelKey, Option<Option<Item>>)> = Vec::new();
        for (action, key) in actions.iter().zip(keys) {
            let old = self.model.get(&key).cloned();
            let (item, effect, reason) = self.action(action, old.as_ref());
            let failed = action.exists.is_some_and(|want| want != old.is_some());
            reasons.push(if failed {
                Want::ConditionalCheckFailed(old.filter(|_| action.return_old))
            } else {
                reason
            });
            effects.push((key, effect));
            transaction = transaction.action(item);
        }
        let result = transaction.execute();
        let step = self.step;
        if actions.is_empty() || distinct < actions.len() {
            assert!(
                matches!(result, Err(Error::Validation(_))),
                "step {step}: {op:?} is refused, got {result:?}"
            );
            return;
        }
        if reasons.iter().all(|reason| *reason == Want::None) {
            assert!(
                result.is_ok(),
                "step {step}: {op:?} commits, got {result:?}"
            );
            let commit = self.begin_commit();
            for (key, effect) in effects {
                if let Some(new) = &effect {
                    let pk = PARTITIONS.iter().position(|p| *p == key.0).unwrap();
                    let old = self.model.get(&key).cloned();
                    self.expect_change(commit, self.key(pk, &key.1), old.as_ref(), new.as_ref());
                }
                match effect {
                    Some(Some(item)) => {
                        self.model.insert(key, item);
                    }
                    Some(None) => {
                        self.model.remove(&key);
                    }
                    None => {}
                }
            }
            return;
        }
        let Err(Error::TransactionCanceled { reasons: got, .. }) = result else {
            panic!("step {step}: {op:?} is canceled, got {result:?}");
        };
        assert!(
            got.len() == reasons.len()
                && reasons
                    .iter()
                    .zip(&got)
                    .all(|(want, got)| want.matches(got)),
            "step {step}: {op:?} canceled for {got:?}, expected {reasons:?}"
        );
    }

    /// The table's action, what it does to the model when the transaction commits (`None`:
    /// nothing; `Some(None)`: a delete), and its reason when its condition holds.
    fn action(
        &mut self,
        action: &TxnAction,
        old: Option<&Item>,
    ) -> (TransactWriteItem, Option<Option<Item>>, Want) {
        let key = self.key(action.pk, &action.sk);
        let mut reason = Want::None;
        let (mut item, effect) = match &action.kind {
            TxnKind::Put(payload) => {
                let item = self.item(action.pk, &action.sk, payload);
                (TransactWriteItem::put(item.clone()), Some(Some(item)))
            }
            TxnKind::Update => {
                self.counter += 1;
                let mut updated = old.cloned().unwrap_or_else(|| self.key_item(action));
                updated.insert("v", self.counter);
                updated.insert("n", self.counter % 5);
                let update = TransactWriteItem::update(key, "SET v = :v, n = :n")
                    .value(":v", self.counter)
                    .value(":n", self.counter % 5);
                (update, Some(Some(updated)))
            }
            TxnKind::AddBig => {
                let add = TransactWriteItem::update(key, "ADD big :one").value(":one", 1);
                let mut updated = old.cloned().unwrap_or_else(|| self.key_item(action));
                match updated.get("big") {
                    Some(Value::S(_)) => {
                        reason = Want::ValidationError;
                        (add, None)
                    }
                    Some(Value::N(n)) => {
                        let next = n.checked_add(&Number::from(1)).unwrap();
                        updated.insert("big", next);
                        (add, Some(Some(updated)))
                    }
                    _ => {
                        updated.insert("big", 1);
                        (add, Some(Some(updated)))
                    }
                }
            }
            TxnKind::IncrementBig => {
                let increment =
                    TransactWriteItem::update(key, "SET big = big + :one").value(":one", 1);
                let mut updated = old.cloned().unwrap_or_else(|| self.key_item(action));
                if let Some(Value::N(n)) = updated.get("big") {
                    let next = n.checked_add(&Number::from(1)).unwrap();
                    updated.insert("big", next);
                    (increment, Some(Some(updated)))
                } else {
                    reason = Want::ValidationError;
                    (increment, None)
                }
            }
            TxnKind::Delete => (TransactWriteItem::delete(key), Some(None)),
            TxnKind::Check => (
                TransactWriteItem::condition_check(key, "attribute_not_exists(no_such_attribute)"),
                None,
            ),
        };
        if let Some(exists) = action.exists {
            let condition = if exists {
                "attribute_exists(PK)"
            } else {
                "attribute_not_exists(PK)"
            };
            item = item.condition(condition);
        }
        if action.return_old {
            item = item.return_old_on_condition_failure();
        }
        (item, effect, reason)
    }

    fn key_item(&self, action: &TxnAction) -> Item {
        let mut item = Item::new();
        item.insert("PK", self.schema.partition(&PARTITIONS[action.pk]));
        item.insert("SK", action.sk.value());
        item
    }

    pub(super) fn transact_get(&self, op: &Op, keys: &[(usize, Sk)]) {
        let result = self
            .db()
            .transact_get(keys.iter().map(|(pk, sk)| self.key(*pk, sk)));
        let model_keys: Vec<ModelKey> = keys
            .iter()
            .map(|(pk, sk)| (PARTITIONS[*pk].clone(), sk.clone()))
            .collect();
        let distinct = model_keys
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if keys.is_empty() || distinct < keys.len() {
            assert!(
                matches!(result, Err(Error::Validation(_))),
                "step {}: {op:?} is refused, got {result:?}",
                self.step
            );
            return;
        }
        let expected: Vec<Option<Item>> = model_keys
            .iter()
            .map(|key| self.model.get(key).cloned())
            .collect();
        assert_eq!(result.unwrap(), expected, "step {}: {op:?}", self.step);
    }
}
