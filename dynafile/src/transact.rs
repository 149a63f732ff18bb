//! Transactions: writes of several items that commit all or nothing (DynamoDB's
//! `TransactWriteItems`), and reads of several items from one snapshot (`TransactGetItems`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{CancellationReason, Error, Result, TransactionPart};
use crate::expr::{
    Condition, ExpressionKind, Placeholders, Resolver, Update, evaluate, parse_condition,
    parse_update,
};
use crate::item::Item;
use crate::key::{IntoKey, Key, encode_key};
use crate::storage::{Durability, Snapshot};
use crate::table::{Dynafile, GetOptions, Table};
use crate::update_item::updated_item;
use crate::value::Value;
use crate::write::ItemChange;

/// Most actions of one transaction, and most keys of one transactional read (DynamoDB's
/// limit).
pub const MAX_TRANSACT_ITEMS: usize = 100;

/// Largest total size of the items a transaction writes, by [`Item::size`] (DynamoDB's
/// limit of 4 MB on "the aggregate size of the items in the transaction"): each put's item
/// and each update's new item. The index entries they get are not counted (DynamoDB
/// charges them as write capacity, not against this limit), nor are deleted and
/// condition-checked items.
pub const MAX_TRANSACT_SIZE: usize = 4 * 1024 * 1024;

/// One action of a transaction: a put, an update, a delete or a condition check, each with
/// an optional condition expression and its own placeholders.
///
/// ```
/// use dynafile::{item, Key, TransactWriteItem};
/// let debit = TransactWriteItem::update(Key::new("alice"), "SET balance = balance - :amount")
///     .condition("balance >= :amount")
///     .value(":amount", 30);
/// let audit = TransactWriteItem::put(item! { "PK" => "log#1", "amount" => 30 })
///     .condition("attribute_not_exists(PK)");
/// # let _ = (debit, audit);
/// ```
#[derive(Clone, Debug)]
#[must_use = "an action does nothing until added to a transaction"]
pub struct TransactWriteItem {
    action: Action,
    condition: Option<String>,
    placeholders: Placeholders,
    return_old_on_condition_failure: bool,
    /// A condition built as an AST (by the PartiQL layer), used instead of a parsed one.
    condition_ast: Option<Condition>,
}

#[derive(Clone, Debug)]
enum Action {
    Put(Item),
    Update {
        key: Key,
        update: String,
    },
    /// An update built as an AST (by the PartiQL layer).
    UpdateBuilt {
        key: Key,
        update: Update,
    },
    Delete(Key),
    ConditionCheck(Key),
}

impl TransactWriteItem {
    /// Writes `item`, replacing any item with its key (DynamoDB's `Put`).
    pub fn put(item: Item) -> TransactWriteItem {
        TransactWriteItem::new(Action::Put(item), None)
    }

    /// Updates the item with this key by an update expression, creating it when there is
    /// none (DynamoDB's `Update`; the grammar is [`crate::UpdateItem`]'s).
    pub fn update(key: impl Into<Key>, update: impl Into<String>) -> TransactWriteItem {
        let action = Action::Update {
            key: key.into(),
            update: update.into(),
        };
        TransactWriteItem::new(action, None)
    }

    /// Deletes the item with this key, if there is one (DynamoDB's `Delete`).
    pub fn delete(key: impl Into<Key>) -> TransactWriteItem {
        TransactWriteItem::new(Action::Delete(key.into()), None)
    }

    /// Writes nothing, but cancels the transaction unless `condition` holds for the item with
    /// this key (DynamoDB's `ConditionCheck`; a missing item is checked as an empty one).
    pub fn condition_check(key: impl Into<Key>, condition: impl Into<String>) -> TransactWriteItem {
        TransactWriteItem::new(Action::ConditionCheck(key.into()), Some(condition.into()))
    }

    fn new(action: Action, condition: Option<String>) -> TransactWriteItem {
        TransactWriteItem {
            action,
            condition,
            placeholders: Placeholders::default(),
            return_old_on_condition_failure: false,
            condition_ast: None,
        }
    }

    /// An update of the item with this key by built update actions.
    pub(crate) fn update_built(key: Key, update: Update) -> TransactWriteItem {
        TransactWriteItem::new(Action::UpdateBuilt { key, update }, None)
    }

    /// A condition check of the item with this key by a built condition.
    pub(crate) fn condition_check_built(key: Key, condition: Condition) -> TransactWriteItem {
        TransactWriteItem::new(Action::ConditionCheck(key), None).condition_built(condition)
    }

    /// The action applies only when this built condition holds (replacing any other).
    pub(crate) fn condition_built(mut self, condition: Condition) -> TransactWriteItem {
        self.condition = None;
        self.condition_ast = Some(condition);
        self
    }

    /// The action applies only when this condition expression holds for the item as stored;
    /// else the transaction is canceled with [`CancellationReason::ConditionalCheckFailed`]
    /// for this action. For a condition check, this replaces its condition.
    pub fn condition(mut self, expression: impl Into<String>) -> TransactWriteItem {
        self.condition = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder` of this action; the `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> TransactWriteItem {
        self.placeholders.name(placeholder, attribute);
        self
    }

    /// Defines the value placeholder `:placeholder` of this action; the `:` may be left out.
    /// Every placeholder must be used by the action's expressions.
    pub fn value(mut self, placeholder: &str, value: impl Into<Value>) -> TransactWriteItem {
        self.placeholders.value(placeholder, value);
        self
    }

    /// When this action's condition fails, its reason carries the item as it was (DynamoDB's
    /// `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub fn return_old_on_condition_failure(mut self) -> TransactWriteItem {
        self.return_old_on_condition_failure = true;
        self
    }

    /// Parses the expressions and validates the key or item, before the commit.
    fn compile(self, table: &Table) -> Result<Compiled> {
        let schema = table.schema();
        let mut resolver = Resolver::new(&self.placeholders);
        let (key, kind) = match self.action {
            Action::Put(item) => {
                let (key, value) = table.encode(&item)?;
                (key, Kind::Put(value, item.size()))
            }
            Action::Update { key, update } => {
                let encoded = encode_key(schema, &key)?;
                let update = parse_update(&update, &mut resolver)?;
                (encoded, Kind::Update { key, update })
            }
            Action::UpdateBuilt { key, update } => {
                (encode_key(schema, &key)?, Kind::Update { key, update })
            }
            Action::Delete(key) => (encode_key(schema, &key)?, Kind::Delete),
            Action::ConditionCheck(key) => (encode_key(schema, &key)?, Kind::ConditionCheck),
        };
        let condition = match self.condition_ast {
            Some(condition) => Some(condition),
            None => self
                .condition
                .as_deref()
                .map(|text| parse_condition(ExpressionKind::Condition, text, &mut resolver))
                .transpose()?,
        };
        resolver.finish()?;
        Ok(Compiled {
            key,
            kind,
            condition,
            return_old: self.return_old_on_condition_failure,
        })
    }
}

/// An action ready to run: its key encoded, its expressions parsed.
struct Compiled {
    key: Vec<u8>,
    kind: Kind,
    condition: Option<Condition>,
    return_old: bool,
}

enum Kind {
    /// The encoded item and its size.
    Put(Arc<[u8]>, usize),
    Update {
        key: Key,
        update: Update,
    },
    Delete,
    ConditionCheck,
}

impl Compiled {
    /// The action's change against the latest state (`None` for a condition check) and the
    /// size of the item it writes, or why it cancels the transaction. Errors are failures to
    /// read, not reasons.
    fn run(
        self,
        table: &Table,
        latest: &Snapshot,
    ) -> Result<Result<(Option<ItemChange>, usize), CancellationReason>> {
        let old = table.get(latest, &self.key)?;
        if let Some(condition) = &self.condition
            && !evaluate(condition, old.as_ref().unwrap_or(&Item::new()))
        {
            let item = old.filter(|_| self.return_old).map(Box::new);
            return Ok(Err(CancellationReason::ConditionalCheckFailed { item }));
        }
        let (change, size) = match self.kind {
            Kind::Put(value, size) => (Some(ItemChange::put(self.key, value)), size),
            Kind::Update { key, update } => {
                match updated_item(table, &key, &self.key, &update, old.as_ref()) {
                    Ok((updated, value)) => {
                        (Some(ItemChange::put(self.key, value)), updated.item.size())
                    }
                    Err(Error::Validation(error)) => {
                        return Ok(Err(CancellationReason::ValidationError(error)));
                    }
                    Err(other) => return Err(other),
                }
            }
            Kind::Delete => (Some(ItemChange::delete(self.key)), 0),
            Kind::ConditionCheck => (None, 0),
        };
        // An item an index cannot hold cancels the transaction with this action's reason.
        if let Some(ItemChange {
            key,
            new: Some(value),
            ..
        }) = &change
            && let Some(error) = table.index_violation(key, value)?
        {
            return Ok(Err(CancellationReason::ValidationError(error)));
        }
        Ok(Ok((change, size)))
    }
}

/// A transaction of up to [`MAX_TRANSACT_ITEMS`] actions on distinct items, built by
/// [`Dynafile::transact_write`] and run by [`TransactWrite::execute`].
///
/// Every condition is checked and every action applied against the same latest state, under
/// the table's commit lock, and the changes commit as one log record: all of them or none,
/// also after a crash. Concurrent transactions and writes serialize. When an action fails,
/// nothing is written and the result is [`Error::TransactionCanceled`] with one
/// [`CancellationReason`] per action, in order ([`CancellationReason::None`] for the actions
/// that would have succeeded).
///
/// The request itself is checked first, and a bad one is an [`Error::Validation`] naming the
/// action: no actions or more than 100, two actions on one item, a bad key, item or
/// expression, an unused placeholder, items of more than [`MAX_TRANSACT_SIZE`] in all (also
/// when updates make them so, found at commit). As in DynamoDB, an update that is invalid only for the
/// item as stored (adding to a string, making the item too large) cancels the transaction
/// with [`CancellationReason::ValidationError`] instead.
///
/// ```
/// use dynafile::{item, CancellationReason, Dynafile, Error, Key, KeyType, TransactWriteItem};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
/// db.put_item(&item! { "PK" => "alice", "balance" => 50 })?;
/// db.put_item(&item! { "PK" => "bob", "balance" => 0 })?;
/// let transfer = |amount: u32| {
///     db.transact_write()
///         .action(
///             TransactWriteItem::update(Key::new("alice"), "SET balance = balance - :amount")
///                 .condition("balance >= :amount")
///                 .value(":amount", amount),
///         )
///         .action(
///             TransactWriteItem::update(Key::new("bob"), "SET balance = balance + :amount")
///                 .value(":amount", amount),
///         )
///         .execute()
/// };
/// transfer(30)?;
/// let Err(Error::TransactionCanceled { reasons, .. }) = transfer(30) else { panic!("only 20 left") };
/// assert!(matches!(reasons[0], CancellationReason::ConditionalCheckFailed { .. }));
/// assert_eq!(reasons[1], CancellationReason::None);
/// assert_eq!(db.get_item(Key::new("bob"))?, Some(item! { "PK" => "bob", "balance" => 30 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a transaction does nothing until executed"]
pub struct TransactWrite {
    db: Dynafile,
    actions: Vec<TransactWriteItem>,
    durability: Option<Durability>,
    /// What the caller calls the actions, for naming one in an error.
    part: TransactionPart,
}

impl TransactWrite {
    /// Adds an action.
    pub fn action(mut self, action: TransactWriteItem) -> TransactWrite {
        self.actions.push(action);
        self
    }

    /// Adds several actions, in order.
    pub fn actions(
        mut self,
        actions: impl IntoIterator<Item = TransactWriteItem>,
    ) -> TransactWrite {
        self.actions.extend(actions);
        self
    }

    /// Commits with this durability instead of the table's.
    pub fn durability(mut self, durability: Durability) -> TransactWrite {
        self.durability = Some(durability);
        self
    }

    /// Names the actions in errors as `part`: the PartiQL layer's are its statements.
    pub(crate) fn called(mut self, part: TransactionPart) -> TransactWrite {
        self.part = part;
        self
    }

    /// Runs the transaction: every action, or none.
    pub fn execute(self) -> Result<()> {
        let table = &self.db.table;
        let part = self.part;
        check_count(self.actions.len(), "a transaction", part.noun())?;
        let compiled: Vec<Compiled> = self
            .actions
            .into_iter()
            .enumerate()
            .map(|(index, action)| {
                action
                    .compile(table)
                    .map_err(|e| in_item(index, e, part.noun()))
            })
            .collect::<Result<_>>()?;
        check_distinct(
            compiled.iter().map(|action| action.key.as_slice()),
            part.noun(),
        )?;
        let durability = self.durability.unwrap_or(table.durability);
        table.commit_changes(durability, |latest| {
            let mut reasons = Vec::with_capacity(compiled.len());
            let mut changes = Vec::with_capacity(compiled.len());
            let mut size = 0;
            for action in compiled {
                match action.run(table, latest)? {
                    Ok((change, item_size)) => {
                        reasons.push(CancellationReason::None);
                        changes.extend(change);
                        size += item_size;
                    }
                    Err(reason) => reasons.push(reason),
                }
            }
            if reasons
                .iter()
                .any(|reason| *reason != CancellationReason::None)
            {
                return Err(Error::TransactionCanceled {
                    reasons,
                    reasons_by: part,
                });
            }
            check_size(size)?;
            Ok((changes, ()))
        })
    }
}

impl std::fmt::Debug for TransactWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactWrite")
            .field("actions", &self.actions)
            .field("durability", &self.durability)
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

impl Dynafile {
    /// A transaction: up to 100 puts, updates, deletes and condition checks on distinct
    /// items that commit all or nothing; see [`TransactWrite`].
    pub fn transact_write(&self) -> TransactWrite {
        TransactWrite {
            db: self.clone(),
            actions: Vec::new(),
            durability: None,
            part: TransactionPart::Action,
        }
    }

    /// Reads up to 100 distinct items from one consistent snapshot (DynamoDB's
    /// `TransactGetItems`): one entry per key, in the order given, `None` where there is no
    /// item. No write is seen half done: a transaction's items are all before or all after.
    pub fn transact_get<K: IntoKey>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Option<Item>>> {
        self.transact_get_with(keys, GetOptions::new())
    }

    /// [`Dynafile::transact_get`] with options (a projection, applied to every item).
    pub fn transact_get_with<K: IntoKey>(
        &self,
        keys: impl IntoIterator<Item = K>,
        options: GetOptions,
    ) -> Result<Vec<Option<Item>>> {
        let projection = options.compile_projection()?;
        let encoded: Vec<Vec<u8>> = keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| {
                self.table
                    .encode_key(key)
                    .map_err(|e| in_item(index, e, "key"))
            })
            .collect::<Result<_>>()?;
        check_count(encoded.len(), "a transactional read", "key")?;
        check_distinct(encoded.iter().map(Vec::as_slice), "key")?;
        let snapshot = self.table.store.snapshot();
        encoded
            .iter()
            .map(|key| {
                let item = self.table.get(&snapshot, key)?;
                Ok(match &projection {
                    Some(projection) => item.map(|item| projection.apply(&item)),
                    None => item,
                })
            })
            .collect()
    }
}

/// Refuses a request of no `thing`s or of more than [`MAX_TRANSACT_ITEMS`].
pub(crate) fn check_count(count: usize, request: &str, thing: &str) -> Result<()> {
    if count == 0 {
        return Err(Error::validation(format!(
            "{request} needs at least one {thing}"
        )));
    }
    if count > MAX_TRANSACT_ITEMS {
        return Err(Error::validation(format!(
            "{request} has at most {MAX_TRANSACT_ITEMS} {thing}s, not {count}"
        )));
    }
    Ok(())
}

fn check_size(size: usize) -> Result<()> {
    if size > MAX_TRANSACT_SIZE {
        return Err(Error::validation(format!(
            "the items of a transaction are {size} bytes, more than the maximum of \
             {MAX_TRANSACT_SIZE} bytes (4 MB)"
        )));
    }
    Ok(())
}

/// Refuses two encoded keys, of the `thing`s of a request, that name the same item
/// (DynamoDB: "Transaction request cannot include multiple operations on one item").
pub(crate) fn check_distinct<'a>(keys: impl Iterator<Item = &'a [u8]>, thing: &str) -> Result<()> {
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    for (index, key) in keys.enumerate() {
        if let Some(first) = seen.insert(key, index) {
            return Err(Error::validation(format!(
                "{thing}s {first} and {index} are on the same item; a transaction cannot \
                 include multiple operations on one item"
            )));
        }
    }
    Ok(())
}

/// Says which `what` of a request (its action, key or statement) a validation error is about.
pub(crate) fn in_item(index: usize, error: Error, what: &str) -> Error {
    match error {
        Error::Validation(mut error) => {
            error.reason = format!("{} ({what} {index})", error.reason);
            Error::Validation(error)
        }
        other => other,
    }
}
