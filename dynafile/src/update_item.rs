//! `update_item`: changing an item in place by an update expression, atomically.

use crate::error::{Error, Result};
use std::sync::Arc;

use crate::expr::{
    Condition, ExpressionKind, Placeholders, Projection, Resolver, Update, UpdateResult,
    apply_update, parse_condition, parse_update,
};
use crate::item::Item;
use crate::key::{Key, KeySchema, encode_key};
use crate::storage::Durability;
use crate::table::{Dynafile, Table, check_condition};
use crate::value::Value;
use crate::write::ItemChange;

/// What an update returns (DynamoDB's `ReturnValues`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReturnValues {
    /// Nothing (`NONE`, the default).
    #[default]
    None,
    /// The whole item as it was before, `None` when there was none (`ALL_OLD`).
    AllOld,
    /// The attributes the update changed, as they were before (`UPDATED_OLD`).
    UpdatedOld,
    /// The whole item as it is after (`ALL_NEW`).
    AllNew,
    /// The attributes the update changed, as they are after (`UPDATED_NEW`).
    UpdatedNew,
}

/// An update of one item by an update expression, built by [`Dynafile::update_item`] and
/// run by [`UpdateItem::execute`].
///
/// The expression has DynamoDB's clauses, in any order, each at most once: `SET a = :v,
/// b = b + :n, c = list_append(c, :l), d = if_not_exists(d, :default)`, `REMOVE a, l[0]`,
/// `ADD counter :n, tags :set`, `DELETE tags :set`. Values are read from the item as it was.
/// When there is no item with the key, the update creates one from the key (as DynamoDB
/// does). Key attributes cannot be changed.
///
/// The read of the item, the condition, the update and the write happen atomically under the
/// table's commit lock: concurrent updates of one counter never lose an increment. When the
/// condition is false, or the update is invalid for the item (adding to a string, an item too
/// large), nothing is written.
///
/// ```
/// use dynafile::{item, Dynafile, Key, KeyType, ReturnValues};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
/// let new = db
///     .update_item(Key::new("page#1"), "SET visits = if_not_exists(visits, :zero) + :one")
///     .value(":zero", 0)
///     .value(":one", 1)
///     .return_values(ReturnValues::UpdatedNew)
///     .execute()?;
/// assert_eq!(new, Some(item! { "visits" => 1 }));
/// db.update_item(Key::new("page#1"), "ADD visits :n").value(":n", 2).execute()?;
/// assert_eq!(db.get_item(Key::new("page#1"))?, Some(item! { "PK" => "page#1", "visits" => 3 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "an update does nothing until executed"]
pub struct UpdateItem {
    db: Dynafile,
    key: Result<Key>,
    update: String,
    condition: Option<String>,
    placeholders: Placeholders,
    return_values: ReturnValues,
    old_on_condition_failure: bool,
    durability: Option<Durability>,
    /// A check of the typed API on the item as it was and as updated, under the commit lock.
    typed_check: Option<TypedCheck>,
    /// Update actions and a condition given as ASTs (by the PartiQL layer) instead of
    /// expression text.
    built: Option<(Update, Option<Condition>)>,
}

/// See [`UpdateItem::check_typed`].
pub(crate) type TypedCheck = fn(&KeySchema, Option<&Item>, &Item) -> Result<()>;

impl UpdateItem {
    pub(crate) fn new(db: Dynafile, key: Result<Key>, update: String) -> UpdateItem {
        UpdateItem {
            db,
            key,
            update,
            condition: None,
            placeholders: Placeholders::default(),
            return_values: ReturnValues::None,
            old_on_condition_failure: false,
            durability: None,
            typed_check: None,
            built: None,
        }
    }

    /// Runs `check` on the item as it was and as updated before writing; its error is the
    /// update's, and nothing is written.
    pub(crate) fn check_typed(mut self, check: TypedCheck) -> UpdateItem {
        self.typed_check = Some(check);
        self
    }

    pub(crate) fn key_schema(&self) -> &KeySchema {
        self.db.key_schema()
    }

    /// An update whose actions and condition are ASTs, with no expression text.
    pub(crate) fn built(
        db: Dynafile,
        key: Key,
        update: Update,
        condition: Option<Condition>,
    ) -> UpdateItem {
        let mut item = UpdateItem::new(db, Ok(key), String::new());
        item.built = Some((update, condition));
        item
    }

    /// Updates only when this condition expression holds for the item as stored (a missing
    /// item is checked as an empty one); else [`Error::ConditionalCheckFailed`].
    pub fn condition(mut self, expression: impl Into<String>) -> UpdateItem {
        self.condition = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder`; the `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> UpdateItem {
        self.placeholders.name(placeholder, attribute);
        self
    }

    /// Defines the value placeholder `:placeholder`; the `:` may be left out. Every
    /// placeholder must be used by the update or the condition.
    pub fn value(mut self, placeholder: &str, value: impl Into<Value>) -> UpdateItem {
        self.placeholders.value(placeholder, value);
        self
    }

    /// What [`UpdateItem::execute`] returns.
    pub fn return_values(mut self, return_values: ReturnValues) -> UpdateItem {
        self.return_values = return_values;
        self
    }

    /// Returns the item as it was in [`Error::ConditionalCheckFailed`] when the condition
    /// fails (DynamoDB's `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub fn return_old_on_condition_failure(mut self) -> UpdateItem {
        self.old_on_condition_failure = true;
        self
    }

    /// Uses this durability for this write, instead of the table's.
    pub fn durability(mut self, durability: Durability) -> UpdateItem {
        self.durability = Some(durability);
        self
    }

    /// Runs the update; returns what [`UpdateItem::return_values`] asked for (`None` for
    /// [`ReturnValues::None`], and when the asked attributes do not exist).
    pub fn execute(mut self) -> Result<Option<Item>> {
        let key = self.key?;
        let table = &self.db.table;
        let schema = table.schema();
        let encoded = encode_key(schema, &key)?;
        let (update, condition) = match self.built.take() {
            Some(built) => built,
            None => {
                let mut resolver = Resolver::new(&self.placeholders);
                let update = parse_update(&self.update, &mut resolver)?;
                let condition = self
                    .condition
                    .as_deref()
                    .map(|text| parse_condition(ExpressionKind::Condition, text, &mut resolver))
                    .transpose()?;
                resolver.finish()?;
                (update, condition)
            }
        };
        let durability = self.durability.unwrap_or(table.durability);
        table.commit_changes(durability, |latest| {
            let old = table.get(latest, &encoded)?;
            if let Some(condition) = &condition {
                check_condition(condition, old.as_ref(), self.old_on_condition_failure)?;
            }
            let (updated, value) = updated_item(table, &key, &encoded, &update, old.as_ref())?;
            if let Some(check) = self.typed_check {
                check(schema, old.as_ref(), &updated.item)?;
            }
            let changed = || Projection::new(updated.paths.clone());
            let returned = match self.return_values {
                ReturnValues::None => None,
                ReturnValues::AllOld => old,
                ReturnValues::UpdatedOld => old.map(|old| changed().apply(&old)),
                ReturnValues::AllNew => Some(updated.item.clone()),
                ReturnValues::UpdatedNew => Some(changed().apply(&updated.item)),
            };
            let returned = returned.filter(|item| !item.is_empty());
            Ok((vec![ItemChange::put(encoded.clone(), value)], returned))
        })
    }
}

/// The item `update` makes of `old` (the item stored under `key`, encoded as `encoded`;
/// `None` when there is none), validated and encoded.
pub(crate) fn updated_item(
    table: &Table,
    key: &Key,
    encoded: &[u8],
    update: &Update,
    old: Option<&Item>,
) -> Result<(UpdateResult, Arc<[u8]>)> {
    let base = old.cloned().unwrap_or_else(|| key.to_item(table.schema()));
    let updated = apply_update(update, &base, &table.key_names())?;
    let (new_key, value) = table.encode(&updated.item)?;
    if new_key != encoded {
        // `apply_update` refuses key paths; this guards the invariant all the same.
        return Err(Error::validation(
            "an update must not change the item's key",
        ));
    }
    Ok((updated, value))
}

impl std::fmt::Debug for UpdateItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateItem")
            .field("key", &self.key.as_ref().ok())
            .field("update", &self.update)
            .field("condition", &self.condition)
            .field("return_values", &self.return_values)
            .finish_non_exhaustive()
    }
}
