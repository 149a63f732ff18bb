//! The typed API: structs that implement [`DynaItem`] (with `#[derive(DynaItem)]`) are
//! written, read, queried and scanned as themselves instead of as [`Item`]s.
//!
//! A typed item is stored as the item its serde form makes ([`to_item`](crate::to_item)),
//! plus the table's key attributes, built from the struct's key templates or key fields,
//! plus an entity attribute ([`DEFAULT_ENTITY_ATTRIBUTE`], `_entity`, unless the struct names
//! another) holding its entity name, so that one table can hold several types (single-table
//! design) and a typed query returns only the items of its type.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, ValidationError};
use crate::item::Item;
use crate::items::Items;
use crate::key::{IntoKey, Key, KeyAttribute, KeySchema, KeyType, describe_key};
use crate::query::Query;
use crate::scan::Scan;
use crate::storage::Durability;
use crate::table::Dynafile;
use crate::update_item::{ReturnValues, UpdateItem};
use crate::value::Value;
use crate::write::ItemChange;

/// The attribute that holds a typed item's entity name, unless the struct names another with
/// `#[dynafile(entity_attribute = "..")]`.
pub const DEFAULT_ENTITY_ATTRIBUTE: &str = "_entity";

/// Where one key value of a typed item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySource {
    /// A template over the struct's fields, formatted into a string (`"USER#{id}"`, or a
    /// literal such as `"PROFILE"`).
    Template(&'static str),
    /// A field whose value is the key value.
    Field {
        /// The field's name in Rust.
        name: &'static str,
        /// The attribute the field is stored as (its serde name).
        attribute: &'static str,
    },
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Template(template) => write!(f, "the template {template:?}"),
            KeySource::Field { name, .. } => write!(f, "the field `{name}`"),
        }
    }
}

/// A Rust type stored as items of a table, usually implemented with `#[derive(DynaItem)]`
/// (feature `derive`, on by default):
///
#[cfg_attr(feature = "derive", doc = "```")]
#[cfg_attr(not(feature = "derive"), doc = "```ignore")]
/// use dynafile::{DynaItem, Dynafile, KeyType};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
/// #[dynafile(pk = "USER#{id}", sk = "PROFILE")]
/// struct User { id: u64, name: String }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Dynafile::builder(dir.path().join("app"))
///     .partition_key("PK", KeyType::S)
///     .sort_key("SK", KeyType::S)
///     .open()?;
/// let user = User { id: 42, name: "Ada".into() };
/// db.put(&user)?;
/// assert_eq!(db.get(User::key(42))?, Some(user));
///
/// let stored = db.get_item(("USER#42", "PROFILE"))?.expect("written above");
/// assert_eq!(stored["_entity"], "User".into());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The derive reads `#[dynafile(..)]` options:
/// - on the struct: `pk = "template"` and `sk = "template"`, key values formatted from the
///   fields a template names in braces (`"USER#{id}"`; `{{` and `}}` are literal braces), with
///   their `Display`; `entity = "Name"`, the entity name (the struct's name by default);
///   `entity_attribute = "name"`, the attribute that holds it (`_entity` by default);
/// - on a field: `pk` or `sk`, the field's value is that key value (a string, a number, or,
///   for a `Vec<u8>` field, a binary).
///
/// It also generates `T::key(..)`, taking the fields the key uses, in order, and returning
/// the [`ItemKey`] for [`Dynafile::get`] and [`Dynafile::delete`]. A `String` parameter
/// takes anything that is `Into<String>`.
///
/// Fields a key is made from are stored as attributes too. The table's key attributes and
/// the entity attribute are removed from an item before it is read back as `T` (except a key
/// attribute that is a key field's own attribute), so `#[serde(deny_unknown_fields)]` and
/// `#[serde(flatten)]` maps see only the struct's attributes.
///
/// The entity attribute is dynafile's own (DynamoDB has no such notion; single-table designs
/// keep one by hand). Typed queries and scans pass over items without `T`'s entity name, as
/// a filter would: they count against a limit. A [`Dynafile::get`] that finds another
/// entity's item (or one without an entity) under `T`'s key is an error rather than `None`,
/// since that means two types share keys, which their key templates should prevent.
///
/// A template makes a string key; a number (`N`) or binary (`B`) key comes from a key field.
pub trait DynaItem: Serialize + DeserializeOwned {
    /// The entity name stored in the entity attribute, and that typed reads look for.
    const ENTITY: &'static str;
    /// The attribute that holds the entity name.
    const ENTITY_ATTRIBUTE: &'static str = DEFAULT_ENTITY_ATTRIBUTE;
    /// Where the partition key value comes from.
    const PARTITION_KEY: KeySource;
    /// Where the sort key value comes from, when the type has one.
    const SORT_KEY: Option<KeySource>;

    /// This item's key, made from its fields.
    fn item_key(&self) -> ItemKey<Self>;
}

/// The key of one typed item, as `User::key(42)` makes it: the key values, and the type they
/// belong to (so `db.get(User::key(42))` reads a `User`).
///
/// Its names and types come from the table's key schema when it is used; a key that does not
/// fit the schema (a sort key for a table without one, a number for a string key) is an error
/// then. It is also an [`IntoKey`], for the untyped calls.
pub struct ItemKey<T: ?Sized> {
    partition: Result<Value, ValidationError>,
    sort: Option<Result<Value, ValidationError>>,
    item_type: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Clone for ItemKey<T> {
    fn clone(&self) -> ItemKey<T> {
        ItemKey {
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            item_type: PhantomData,
        }
    }
}

impl<T: ?Sized> fmt::Debug for ItemKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemKey")
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .finish()
    }
}

impl<T: ?Sized> PartialEq for ItemKey<T> {
    fn eq(&self, other: &ItemKey<T>) -> bool {
        self.partition == other.partition && self.sort == other.sort
    }
}

impl<T: DynaItem> ItemKey<T> {
    /// The key as the table's schema takes it, checked against the schema: the key values
    /// must be there exactly when the schema has the key attribute, and of its type.
    pub fn to_key(&self, schema: &KeySchema) -> Result<Key> {
        let partition = key_value::<T>(
            &self.partition,
            &schema.partition_key,
            T::PARTITION_KEY,
            "partition key",
        )?;
        let sort = match (&schema.sort_key, &self.sort, T::SORT_KEY) {
            (Some(attribute), Some(value), Some(source)) => {
                Some(key_value::<T>(value, attribute, source, "sort key")?)
            }
            (None, None, _) => None,
            (None, Some(_), source) => {
                let source = source.map(|s| format!(" ({s})")).unwrap_or_default();
                return Err(Error::validation(format!(
                    "`{}` has a sort key{source}, but the table has none ({schema})",
                    type_name::<T>()
                )));
            }
            (Some(attribute), _, _) => {
                return Err(Error::invalid_attribute(
                    &attribute.name,
                    format!(
                        "`{}` has no sort key, but the table has one ({schema}): add \
                         `#[dynafile(sk = \"..\")]` to the struct or `#[dynafile(sk)]` to a field",
                        type_name::<T>()
                    ),
                ));
            }
        };
        Ok(Key { partition, sort })
    }
}

impl<T: DynaItem> IntoKey for ItemKey<T> {
    fn into_key(self, schema: &KeySchema) -> Result<Key> {
        self.to_key(schema)
    }
}

impl<T: DynaItem> IntoKey for &ItemKey<T> {
    fn into_key(self, schema: &KeySchema) -> Result<Key> {
        self.to_key(schema)
    }
}

/// One key value, checked against its key attribute's type.
fn key_value<T: DynaItem>(
    value: &Result<Value, ValidationError>,
    attribute: &KeyAttribute,
    source: KeySource,
    role: &str,
) -> Result<Value> {
    let value = value.as_ref().map_err(|error| {
        Error::invalid_attribute(
            &attribute.name,
            format!(
                "`{}` makes its {role} from {source}, which does not convert: {error}",
                type_name::<T>()
            ),
        )
    })?;
    let fits = matches!(
        (attribute.key_type, value),
        (KeyType::S, Value::S(_)) | (KeyType::N, Value::N(_)) | (KeyType::B, Value::B(_))
    );
    if !fits {
        return Err(Error::invalid_attribute(
            &attribute.name,
            format!(
                "`{}` makes its {role} from {source}, of type {}, but the table's {role} is of \
                 type {}",
                type_name::<T>(),
                value.type_descriptor(),
                attribute.key_type
            ),
        ));
    }
    Ok(value.clone())
}

/// The type's name without its module path, for messages.
fn type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let plain = full.split('<').next().unwrap_or(full);
    let start = plain.rfind("::").map_or(0, |at| at + 2);
    &full[start..]
}

/// The item `value` is stored as: its serde form, its key attributes and its entity.
fn to_typed_item<T: DynaItem>(schema: &KeySchema, value: &T) -> Result<Item> {
    let mut item = crate::to_item(value)?;
    let key = value.item_key().to_key(schema)?;
    if item.contains(T::ENTITY_ATTRIBUTE) {
        return Err(Error::invalid_attribute(
            T::ENTITY_ATTRIBUTE,
            format!(
                "`{}` has an attribute of this name, which holds the entity name: rename the \
                 field or set `#[dynafile(entity_attribute = \"..\")]`",
                type_name::<T>()
            ),
        ));
    }
    add_key_attribute::<T>(&mut item, &schema.partition_key, key.partition)?;
    if let (Some(attribute), Some(sort)) = (&schema.sort_key, key.sort) {
        add_key_attribute::<T>(&mut item, attribute, sort)?;
    }
    item.insert(T::ENTITY_ATTRIBUTE, Value::S(T::ENTITY.to_owned()));
    Ok(item)
}

/// Stores a key value under its key attribute; an attribute of that name from the struct
/// itself must hold the same value.
fn add_key_attribute<T: DynaItem>(
    item: &mut Item,
    attribute: &KeyAttribute,
    value: Value,
) -> Result<()> {
    if item.get(&attribute.name).is_some_and(|own| *own != value) {
        return Err(Error::invalid_attribute(
            &attribute.name,
            format!(
                "`{}` has an attribute of this name, which the table uses as a key attribute, \
                 with another value than its key: rename the field or make it the key with \
                 `#[dynafile(pk)]` or `#[dynafile(sk)]`",
                type_name::<T>()
            ),
        ));
    }
    item.insert(attribute.name.clone(), value);
    Ok(())
}

/// True when `item` holds `T`'s entity name.
fn is_entity<T: DynaItem>(item: &Item) -> bool {
    item.get(T::ENTITY_ATTRIBUTE).and_then(Value::as_s) == Some(T::ENTITY)
}

/// True when the key attribute `attribute` is also the attribute of `T`'s key field, so it
/// is `T`'s own and stays in the item it reads.
fn is_own_attribute(attribute: &KeyAttribute, source: Option<KeySource>) -> bool {
    matches!(source, Some(KeySource::Field { attribute: own, .. }) if own == attribute.name)
}

/// Reads a stored item as `T`, after checking its entity and removing the attributes that
/// are not `T`'s own. Errors name the item's key.
fn from_typed_item<T: DynaItem>(schema: &KeySchema, mut item: Item) -> Result<T> {
    let key = crate::key::key_of_item(schema, &item)?;
    let mismatch = |error: ValidationError| Error::Deserialize {
        key: describe_key(schema, &key),
        error,
    };
    let entity = item.remove(T::ENTITY_ATTRIBUTE);
    if entity.as_ref().and_then(Value::as_s) != Some(T::ENTITY) {
        let found = match &entity {
            Some(Value::S(name)) => format!("`{name}`"),
            Some(other) => format!("a value of type {}", other.type_descriptor()),
            None => "none".to_owned(),
        };
        return Err(mismatch(ValidationError::new(
            Some(T::ENTITY_ATTRIBUTE.to_owned()),
            format!("expected the entity `{}`, found {found}", T::ENTITY),
        )));
    }
    if !is_own_attribute(&schema.partition_key, Some(T::PARTITION_KEY)) {
        item.remove(&schema.partition_key.name);
    }
    if let Some(attribute) = &schema.sort_key
        && !is_own_attribute(attribute, T::SORT_KEY)
    {
        item.remove(&attribute.name);
    }
    crate::from_item::<T>(item).map_err(|error| match error {
        Error::Validation(error) => mismatch(error),
        other => other,
    })
}

impl Dynafile {
    /// Writes a typed item, replacing any item with the same key. Its key attributes are made
    /// from its key templates or key fields, and its entity attribute from its entity name.
    pub fn put<T: DynaItem>(&self, item: &T) -> Result<()> {
        self.put_item(&to_typed_item(self.key_schema(), item)?)
    }

    /// Writes a typed item only when no item has its key (DynamoDB's put with the condition
    /// `attribute_not_exists(PK)`). The check and the write are atomic: of several writers
    /// racing to insert one key, exactly one succeeds. When an item is there, nothing is
    /// written and the result is [`Error::ConditionalCheckFailed`] (without the item, as
    /// DynamoDB's default).
    pub fn put_if_absent<T: DynaItem>(&self, item: &T) -> Result<()> {
        let item = to_typed_item(self.key_schema(), item)?;
        let (key, value) = self.table.encode(&item)?;
        self.table.commit_changes(self.table.durability, |latest| {
            if self.table.get(latest, &key)?.is_some() {
                return Err(Error::ConditionalCheckFailed { item: None });
            }
            Ok((vec![ItemChange::put(key, value)], ()))
        })
    }

    /// Reads the typed item with this key (`db.get(User::key(42))`). An item of another
    /// entity type under the key, or one that does not read as `T`, is an
    /// [`Error::Deserialize`] naming the key and the attribute.
    pub fn get<T: DynaItem>(&self, key: ItemKey<T>) -> Result<Option<T>> {
        match self.get_item(key)? {
            Some(item) => from_typed_item(self.key_schema(), item).map(Some),
            None => Ok(None),
        }
    }

    /// Deletes the item with this key (`db.delete(User::key(42))`). Deleting an item that does
    /// not exist is not an error, as in DynamoDB.
    pub fn delete<T: DynaItem>(&self, key: ItemKey<T>) -> Result<()> {
        self.delete_item(key)
    }

    /// A typed update of the item with this key by an update expression
    /// (`db.update::<User>(User::key(42), "SET email = :email")`); see [`TypedUpdate`].
    pub fn update<T: DynaItem>(
        &self,
        key: ItemKey<T>,
        expression: impl Into<String>,
    ) -> TypedUpdate<T> {
        TypedUpdate {
            update: self
                .update_item(key, expression)
                .return_values(ReturnValues::AllNew)
                .check_typed(check_typed_update::<T>),
            item_type: PhantomData,
        }
    }

    /// A typed query of one partition: its items of `T`'s entity, read as `T`, in sort key
    /// order (`db.query_as::<Order>("cust#7").begins_with("2026-")`).
    pub fn query_as<T: DynaItem + 'static>(&self, partition: impl Into<Value>) -> TypedQuery<T> {
        TypedQuery {
            db: self.clone(),
            query: self.query(partition).filter(is_entity::<T>),
            item_type: PhantomData,
        }
    }

    /// A typed scan of the table: its items of `T`'s entity, read as `T`.
    pub fn scan_as<T: DynaItem + 'static>(&self) -> TypedScan<T> {
        TypedScan {
            db: self.clone(),
            scan: self.scan().filter(is_entity::<T>),
            item_type: PhantomData,
        }
    }
}

/// An update of one typed item by an update expression, built by [`Dynafile::update`] and run
/// by [`TypedUpdate::execute`], which returns the item as it is after the update.
///
/// Unlike [`Dynafile::update_item`], it does not create a missing item (a `T` made of its key
/// alone would not read back as a `T`): without an item of `T`'s entity under the key, it
/// is [`Error::ConditionalCheckFailed`]. An update that would leave an item that no longer
/// reads as `T` (a required attribute removed, a field given another type) is refused with
/// [`Error::Deserialize`] and writes nothing. The checks, the update and the write are one
/// atomic step, as for [`UpdateItem`].
///
/// ```
/// use dynafile::{DynaItem, Dynafile, KeyType};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
/// #[dynafile(pk = "PAGE#{slug}")]
/// struct Page { slug: String, visits: u64 }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Dynafile::builder(dir.path().join("site")).partition_key("PK", KeyType::S).open()?;
/// db.put(&Page { slug: "home".into(), visits: 0 })?;
/// let page = db.update::<Page>(Page::key("home"), "ADD visits :one").value(":one", 1).execute()?;
/// assert_eq!(page, Page { slug: "home".into(), visits: 1 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "an update does nothing until executed"]
pub struct TypedUpdate<T> {
    update: UpdateItem,
    item_type: PhantomData<fn() -> T>,
}

impl<T: DynaItem> TypedUpdate<T> {
    /// Updates only when this condition expression also holds for the stored item; else
    /// [`Error::ConditionalCheckFailed`].
    pub fn condition(self, expression: impl Into<String>) -> TypedUpdate<T> {
        self.map(|update| update.condition(expression))
    }

    /// Defines the name placeholder `#placeholder`; the `#` may be left out.
    pub fn name(self, placeholder: &str, attribute: impl Into<String>) -> TypedUpdate<T> {
        self.map(|update| update.name(placeholder, attribute))
    }

    /// Defines the value placeholder `:placeholder`; the `:` may be left out.
    pub fn value(self, placeholder: &str, value: impl Into<Value>) -> TypedUpdate<T> {
        self.map(|update| update.value(placeholder, value))
    }

    /// Returns the item as it was in [`Error::ConditionalCheckFailed`] when the condition
    /// fails.
    pub fn return_old_on_condition_failure(self) -> TypedUpdate<T> {
        self.map(UpdateItem::return_old_on_condition_failure)
    }

    /// Uses this durability for this write, instead of the table's.
    pub fn durability(self, durability: Durability) -> TypedUpdate<T> {
        self.map(|update| update.durability(durability))
    }

    /// Runs the update; returns the item as it is after it.
    pub fn execute(self) -> Result<T> {
        let schema = self.update.key_schema().clone();
        match self.update.execute()? {
            Some(item) => from_typed_item(&schema, item),
            // `ALL_NEW` always returns the item: it holds at least its key.
            None => Err(Error::validation("the update returned no item")),
        }
    }

    fn map(self, change: impl FnOnce(UpdateItem) -> UpdateItem) -> TypedUpdate<T> {
        TypedUpdate {
            update: change(self.update),
            item_type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for TypedUpdate<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedUpdate")
            .field("type", &type_name::<T>())
            .field("update", &self.update)
            .finish()
    }
}

/// What a typed update checks under the commit lock: the stored item is a `T`, and the
/// updated one still reads as one.
fn check_typed_update<T: DynaItem>(
    schema: &KeySchema,
    old: Option<&Item>,
    new: &Item,
) -> Result<()> {
    if !old.is_some_and(is_entity::<T>) {
        return Err(Error::ConditionalCheckFailed { item: None });
    }
    from_typed_item::<T>(schema, new.clone()).map(drop)
}

/// A query that reads its items as `T`: [`Query`]'s conditions and options, run with
/// [`TypedQuery::iter`] or a `for` loop. Items of other entity types in the partition are
/// left out (a filter: they count against a limit, as DynamoDB's filters do).
#[must_use = "a query does nothing until it is iterated"]
pub struct TypedQuery<T> {
    db: Dynafile,
    query: Query,
    item_type: PhantomData<fn() -> T>,
}

/// A scan that reads its items as `T`: [`Scan`]'s options, run with [`TypedScan::iter`] or a
/// `for` loop. Items of other entity types are left out, as by a filter.
#[must_use = "a scan does nothing until it is iterated"]
pub struct TypedScan<T> {
    db: Dynafile,
    scan: Scan,
    item_type: PhantomData<fn() -> T>,
}

/// Builder methods of a typed read that pass through to the untyped one.
macro_rules! pass_through {
    ($typed:ident, $field:ident, $( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*); )*) => {
        impl<T: DynaItem> $typed<T> {
            $(
                $(#[$doc])*
                pub fn $name(self, $($arg: $ty),*) -> $typed<T> {
                    $typed { db: self.db, $field: self.$field.$name($($arg),*), item_type: PhantomData }
                }
            )*
        }
    };
}

pass_through! { TypedQuery, query,
    /// Sort key equal to `value`.
    fn eq(value: impl Into<Value>);
    /// Sort key below `value`.
    fn lt(value: impl Into<Value>);
    /// Sort key at most `value`.
    fn le(value: impl Into<Value>);
    /// Sort key above `value`.
    fn gt(value: impl Into<Value>);
    /// Sort key at least `value`.
    fn ge(value: impl Into<Value>);
    /// Sort key between `low` and `high`, both included.
    fn between(low: impl Into<Value>, high: impl Into<Value>);
    /// Sort key starting with `prefix`.
    fn begins_with(prefix: impl Into<Value>);
    /// Descending sort key order.
    fn reverse();
    /// Reads at most `limit` items (counted before filters, items of other entities included).
    fn limit(limit: usize);
    /// Starts after this key (the `last_evaluated_key` of the previous page).
    fn start_after(key: impl Into<Option<Key>>);
    /// Keeps only the items for which `predicate` is true, tested on the stored item.
    fn filter(predicate: impl Fn(&Item) -> bool + Send + Sync + 'static);
    /// Keeps only the items for which this filter expression holds, tested on the stored
    /// item (`"total >= :min"`); see the untyped `filter_expression`.
    fn filter_expression(expression: impl Into<String>);
    /// Defines the name placeholder `#placeholder` of the filter expression.
    fn name(placeholder: &str, attribute: impl Into<String>);
    /// Defines the value placeholder `:placeholder` of the filter expression.
    fn value(placeholder: &str, value: impl Into<Value>);
}

pass_through! { TypedScan, scan,
    /// Scans only segment `segment` of `total`.
    fn segment(segment: u32, total: u32);
    /// Scans in reverse table order.
    fn reverse();
    /// Reads at most `limit` items (counted before filters, items of other entities included).
    fn limit(limit: usize);
    /// Starts after this key (the `last_evaluated_key` of the previous page).
    fn start_after(key: impl Into<Option<Key>>);
    /// Keeps only the items for which `predicate` is true, tested on the stored item.
    fn filter(predicate: impl Fn(&Item) -> bool + Send + Sync + 'static);
    /// Keeps only the items for which this filter expression holds, tested on the stored
    /// item (`"total >= :min"`); see the untyped `filter_expression`.
    fn filter_expression(expression: impl Into<String>);
    /// Defines the name placeholder `#placeholder` of the filter expression.
    fn name(placeholder: &str, attribute: impl Into<String>);
    /// Defines the value placeholder `:placeholder` of the filter expression.
    fn value(placeholder: &str, value: impl Into<Value>);
}

impl<T: DynaItem> TypedQuery<T> {
    /// Runs the query. Errors in the query itself (a wrongly typed key, a sort condition on a
    /// table without sort key) are returned here.
    pub fn iter(&self) -> Result<TypedItems<T>> {
        Ok(TypedItems::new(&self.db, self.query.iter()?))
    }

    /// Runs the query and collects one page.
    pub fn page(&self) -> Result<TypedPage<T>> {
        self.iter()?.into_page()
    }
}

impl<T: DynaItem> TypedScan<T> {
    /// Runs the scan.
    pub fn iter(&self) -> Result<TypedItems<T>> {
        Ok(TypedItems::new(&self.db, self.scan.iter()?))
    }

    /// Runs the scan and collects one page.
    pub fn page(&self) -> Result<TypedPage<T>> {
        self.iter()?.into_page()
    }
}

impl<T: DynaItem> IntoIterator for TypedQuery<T> {
    type Item = Result<T>;
    type IntoIter = TypedItems<T>;

    /// Runs the query; an error in the query itself is the first item.
    fn into_iter(self) -> TypedItems<T> {
        TypedItems::new(&self.db, self.query.into_iter())
    }
}

impl<T: DynaItem> IntoIterator for TypedScan<T> {
    type Item = Result<T>;
    type IntoIter = TypedItems<T>;

    /// Runs the scan; an error in the scan itself is the first item.
    fn into_iter(self) -> TypedItems<T> {
        TypedItems::new(&self.db, self.scan.into_iter())
    }
}

impl<T> Clone for TypedQuery<T> {
    fn clone(&self) -> TypedQuery<T> {
        TypedQuery {
            db: self.db.clone(),
            query: self.query.clone(),
            item_type: PhantomData,
        }
    }
}

impl<T> Clone for TypedScan<T> {
    fn clone(&self) -> TypedScan<T> {
        TypedScan {
            db: self.db.clone(),
            scan: self.scan.clone(),
            item_type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for TypedQuery<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedQuery").field(&self.query).finish()
    }
}

impl<T> fmt::Debug for TypedScan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedScan").field(&self.scan).finish()
    }
}

/// The items of a typed query or scan, read as `T` one by one as they are iterated.
///
/// An item that does not read as `T` is an [`Error::Deserialize`] naming its key and the
/// attribute; iteration goes on with the next item. A read error of the table ends it.
#[must_use = "iterators do nothing unless consumed"]
pub struct TypedItems<T> {
    items: Items,
    schema: KeySchema,
    item_type: PhantomData<fn() -> T>,
}

impl<T: DynaItem> TypedItems<T> {
    fn new(db: &Dynafile, items: Items) -> TypedItems<T> {
        TypedItems {
            items,
            schema: db.key_schema().clone(),
            item_type: PhantomData,
        }
    }

    /// Where to resume: as [`Items::last_evaluated_key`].
    pub fn last_evaluated_key(&self) -> Option<Key> {
        self.items.last_evaluated_key()
    }

    /// Reads the rest of the items into a [`TypedPage`]; the first that does not read as `T`
    /// is the error.
    pub fn into_page(mut self) -> Result<TypedPage<T>> {
        let items = self.by_ref().collect::<Result<Vec<T>>>()?;
        Ok(TypedPage {
            last_evaluated_key: self.last_evaluated_key(),
            items,
        })
    }
}

/// One page of a typed query or scan: its items and, when more remain, the key to resume
/// after (as [`Page`](crate::Page)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TypedPage<T> {
    /// The items of this page, of the entity asked for.
    pub items: Vec<T>,
    /// The key of the last item read, when the limit stopped the read and more items remain;
    /// pass it to `start_after` for the next page.
    pub last_evaluated_key: Option<Key>,
}

impl<T: DynaItem> Iterator for TypedItems<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let item = self.items.next()?;
        Some(item.and_then(|item| from_typed_item(&self.schema, item)))
    }
}

impl<T: DynaItem> std::iter::FusedIterator for TypedItems<T> {}

impl<T> fmt::Debug for TypedItems<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedItems").field(&self.items).finish()
    }
}

/// What the code `#[derive(DynaItem)]` generates calls; not a public API.
#[doc(hidden)]
pub mod private {
    pub use serde::Serialize;
    pub use serde::de::DeserializeOwned;

    use super::ItemKey;
    use crate::error::{Error, ValidationError};
    use crate::value::Value;

    /// A key value of the derive, or why it could not be made.
    pub type KeyValue = Result<Value, ValidationError>;

    /// The key made of these values.
    pub fn item_key<T: ?Sized>(partition: KeyValue, sort: Option<KeyValue>) -> ItemKey<T> {
        ItemKey {
            partition,
            sort,
            item_type: std::marker::PhantomData,
        }
    }

    /// The value of a template key.
    pub fn template_value(text: String) -> KeyValue {
        Ok(Value::S(text))
    }

    /// The value of a key field.
    pub fn field_value<F: Serialize + ?Sized>(field: &F) -> KeyValue {
        crate::to_value(field).map_err(|error| match error {
            Error::Validation(error) => error,
            other => ValidationError::new(None, other.to_string()),
        })
    }

    /// The value of a key field of bytes: a binary.
    pub fn bytes_value(field: &[u8]) -> KeyValue {
        Ok(Value::B(field.to_vec()))
    }
}
