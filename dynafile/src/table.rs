//! `Dynafile`: one table, and the reads and writes users call.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::batch::BatchWriter;
use crate::builder::{Builder, Meta};
use crate::encoding::{decode_item, encode_item};
use crate::error::{Error, Result};
use crate::expr::{
    Condition, ExpressionKind, Placeholders, Projection, Resolver, evaluate, parse_condition,
    parse_projection,
};
use crate::index::Index;
use crate::item::Item;
use crate::key::{IntoKey, Key, KeyDecoder, KeySchema, decode_key, encode_key, key_of_item};
use crate::query::Query;
use crate::scan::Scan;
use crate::storage::{CheckReport, Durability, Found, Snapshot, Store, TABLE_KEYSPACE};
use crate::stream::Streams;
use crate::ttl::{Expiry, SweeperGuard, TtlRuntime};
use crate::update_item::UpdateItem;
use crate::value::Value;
use crate::write::{ItemChange, WriteHooks};

/// A table: a directory holding items under a partition key and an optional sort key.
///
/// `Dynafile` is a cheap handle (`Clone`, `Send`, `Sync`): clone it to share one open table
/// between threads. The table closes when the last handle is dropped, which writes its
/// recent changes to the partition files; [`Dynafile::close`] does the same and reports
/// errors.
///
/// ```
/// use dynafile::{item, Dynafile, KeyType};
/// # let dir = tempfile::tempdir()?;
/// let db = Dynafile::builder(dir.path().join("db"))
///     .partition_key("PK", KeyType::S)
///     .sort_key("SK", KeyType::S)
///     .open()?;
/// db.put_item(&item! { "PK" => "user#1", "SK" => "profile", "name" => "Bob" })?;
/// let bob = db.get_item(("user#1", "profile"))?.expect("just written");
/// assert_eq!(bob["name"], "Bob".into());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Dynafile {
    /// Dropped first, with the last handle: stops and joins the TTL sweep before the table
    /// closes.
    pub(crate) sweeper: Arc<SweeperGuard>,
    pub(crate) table: Arc<Table>,
}

/// The state behind every handle of one open table.
pub(crate) struct Table {
    pub(crate) path: PathBuf,
    pub(crate) meta: Meta,
    /// `meta.json` as it is now (indexes are added while the table is open); held while an
    /// index is added.
    pub(crate) meta_file: std::sync::Mutex<Meta>,
    pub(crate) store: Arc<Store>,
    pub(crate) durability: Durability,
    /// What each write maintains besides the items (see `write.rs`).
    pub(crate) hooks: WriteHooks,
    /// The change streams: subscriptions and the durable stream.
    pub(crate) streams: Arc<Streams>,
    /// TTL's clock, sweep interval and counters (the setting is in `hooks`).
    pub(crate) ttl: TtlRuntime,
    /// Held for the lock it carries; released when the table closes.
    _lock: File,
}

impl Drop for Table {
    fn drop(&mut self) {
        // Errors cannot be reported from here; `Dynafile::close` reports them. Whatever is
        // not checkpointed is still in the log and is replayed at the next open.
        let _ = self.store.shutdown();
        self.streams.close();
    }
}

/// Options of a single put or delete: what to return, the durability, and a condition.
///
/// A condition expression (DynamoDB's `ConditionExpression`) is checked against the item
/// as stored when the write commits, atomically: no other write to the table comes between
/// the check and the write. When it is false the write returns
/// [`Error::ConditionalCheckFailed`] and nothing changes. A missing item is checked as an
/// item without attributes, so `attribute_not_exists(PK)` puts only new items:
///
/// ```
/// use dynafile::{item, Dynafile, Error, Key, KeyType, WriteOptions};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
/// let only_new = || WriteOptions::new().condition("attribute_not_exists(PK)");
/// db.put_item_with(&item! { "PK" => "u1", "v" => 1 }, only_new())?;
/// let again = db.put_item_with(&item! { "PK" => "u1", "v" => 2 }, only_new());
/// assert!(matches!(again, Err(Error::ConditionalCheckFailed { .. })));
/// assert_eq!(db.get_item(Key::new("u1"))?.map(|i| i["v"].clone()), Some(1.into()));
///
/// let if_small = WriteOptions::new().condition("v < :limit").value(":limit", 5);
/// db.delete_item_with(Key::new("u1"), if_small)?;
/// assert_eq!(db.get_item(Key::new("u1"))?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
#[must_use]
pub struct WriteOptions {
    /// Return the item as it was before the write (DynamoDB's `ReturnValues: ALL_OLD`).
    pub return_old: bool,
    /// Durability of this write, instead of the table's.
    pub durability: Option<Durability>,
    /// Return the item as it was in [`Error::ConditionalCheckFailed`] when the condition fails
    /// (DynamoDB's `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub return_old_on_condition_failure: bool,
    condition: Option<String>,
    placeholders: Placeholders,
    /// A condition built as an AST (by the PartiQL layer), checked with the parsed one.
    pub(crate) condition_ast: Option<Condition>,
}

impl WriteOptions {
    /// Default options: nothing returned, the table's durability.
    pub fn new() -> WriteOptions {
        WriteOptions::default()
    }

    /// Return the item as it was before the write.
    pub fn return_old(mut self) -> WriteOptions {
        self.return_old = true;
        self
    }

    /// Use this durability for this write.
    pub fn durability(mut self, durability: Durability) -> WriteOptions {
        self.durability = Some(durability);
        self
    }

    /// Writes only when this condition expression holds for the item as stored (see
    /// [`Scan::filter_expression`] for the grammar).
    pub fn condition(mut self, expression: impl Into<String>) -> WriteOptions {
        self.condition = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder` of the condition; the `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> WriteOptions {
        self.placeholders.name(placeholder, attribute);
        self
    }

    /// Defines the value placeholder `:placeholder` of the condition; the `:` may be left out.
    pub fn value(mut self, placeholder: &str, value: impl Into<Value>) -> WriteOptions {
        self.placeholders.value(placeholder, value);
        self
    }

    /// Returns the item as it was in [`Error::ConditionalCheckFailed`] when the condition
    /// fails.
    pub fn return_old_on_condition_failure(mut self) -> WriteOptions {
        self.return_old_on_condition_failure = true;
        self
    }

    /// The condition, parsed; placeholders it does not use are an error.
    fn compile_condition(&self) -> Result<Option<Condition>> {
        let mut resolver = Resolver::new(&self.placeholders);
        let condition = self
            .condition
            .as_deref()
            .map(|text| parse_condition(ExpressionKind::Condition, text, &mut resolver))
            .transpose()?;
        resolver.finish()?;
        Ok(match (condition, self.condition_ast.clone()) {
            (Some(parsed), Some(built)) => Some(Condition::And(Box::new(parsed), Box::new(built))),
            (parsed, built) => parsed.or(built),
        })
    }
}

/// Options of a get or batch get: a projection expression (DynamoDB's
/// `ProjectionExpression`) and its name placeholders.
///
/// ```
/// use dynafile::{item, Dynafile, GetOptions, Key, KeyType, Value};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
/// db.put_item(&item! { "PK" => "u1", "name" => "Bob", "tags" => vec![Value::from("a"), Value::from("b")] })?;
/// let projected = db.get_item_with(Key::new("u1"), GetOptions::new().projection("#n, tags[1]").name("#n", "name"))?;
/// assert_eq!(projected, Some(item! { "name" => "Bob", "tags" => vec![Value::from("b")] }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
#[must_use]
pub struct GetOptions {
    projection: Option<String>,
    placeholders: Placeholders,
}

impl GetOptions {
    /// Default options: whole items.
    pub fn new() -> GetOptions {
        GetOptions::default()
    }

    /// Returns only these attributes: paths separated by commas, nested ones kept nested.
    pub fn projection(mut self, expression: impl Into<String>) -> GetOptions {
        self.projection = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder`; the `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> GetOptions {
        self.placeholders.name(placeholder, attribute);
        self
    }

    pub(crate) fn compile_projection(&self) -> Result<Option<Projection>> {
        let mut resolver = Resolver::new(&self.placeholders);
        let projection = self
            .projection
            .as_deref()
            .map(|text| parse_projection(text, &mut resolver))
            .transpose()?;
        resolver.finish()?;
        Ok(projection)
    }
}

impl Dynafile {
    /// A builder that opens the table in `path`, or creates it there.
    pub fn builder(path: impl AsRef<Path>) -> Builder {
        Builder::new(path)
    }

    /// Opens the existing table in `path`. Without one there, it is [`Error::NotATable`]; when
    /// another process has it open, [`Error::Locked`].
    pub fn open(path: impl AsRef<Path>) -> Result<Dynafile> {
        Builder::new(path).open()
    }

    pub(crate) fn from_parts(
        path: PathBuf,
        meta: Meta,
        store: Arc<Store>,
        lock: File,
        durability: Durability,
        streams: Streams,
        ttl: TtlRuntime,
    ) -> Dynafile {
        let indexes = meta
            .index_spaces()
            .into_iter()
            .zip(&meta.indexes)
            .map(|(space, index)| Arc::new(Index::new(index.clone(), space)))
            .collect();
        let expiry = meta.ttl.as_ref().and_then(|ttl| {
            let attribute = ttl.attribute.clone()?;
            Some(Arc::new(Expiry::new(
                attribute,
                ttl.keyspace,
                !ttl.building,
            )))
        });
        let hooks = WriteHooks {
            needs_old_images: false,
            indexes: arc_swap::ArcSwap::from_pointee(indexes),
            expiry: arc_swap::ArcSwapOption::new(expiry),
        };
        Dynafile {
            sweeper: Arc::new(SweeperGuard::default()),
            table: Arc::new(Table {
                path,
                meta_file: std::sync::Mutex::new(meta.clone()),
                meta,
                store,
                durability,
                hooks,
                streams: Arc::new(streams),
                ttl,
                _lock: lock,
            }),
        }
    }

    /// The table's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.table.meta.name
    }

    /// The table's directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// The table's key schema.
    #[must_use]
    pub fn key_schema(&self) -> &KeySchema {
        &self.table.meta.key_schema
    }

    /// Writes an item, replacing any item with the same key (no attributes are merged).
    ///
    /// The item must hold the key attributes with the schema's types (non-empty strings or
    /// binaries, at most 2048 bytes for the partition key and 1024 for the sort key) and
    /// follow DynamoDB's rules (at most 400 KB, nesting at most 32 deep, no empty sets).
    pub fn put_item(&self, item: &Item) -> Result<()> {
        self.put_item_with(item, WriteOptions::new()).map(drop)
    }

    /// [`Dynafile::put_item`] with options; returns the old item when asked to.
    pub fn put_item_with(&self, item: &Item, options: WriteOptions) -> Result<Option<Item>> {
        let (key, value) = self.table.encode(item)?;
        self.write(ItemChange::put(key, value), &options)
    }

    /// Reads the item with this key. The key is a [`Key`], a `(partition, sort)` pair, or an
    /// item holding the key attributes (others are ignored).
    pub fn get_item(&self, key: impl IntoKey) -> Result<Option<Item>> {
        let encoded = self.table.encode_key(key)?;
        let found = self.table.store.get_latest(&encoded)?;
        self.table.visible(&encoded, found)
    }

    /// [`Dynafile::get_item`] with options (a projection).
    pub fn get_item_with(&self, key: impl IntoKey, options: GetOptions) -> Result<Option<Item>> {
        let projection = options.compile_projection()?;
        let item = self.get_item(key)?;
        Ok(match projection {
            Some(projection) => item.map(|item| projection.apply(&item)),
            None => item,
        })
    }

    /// Deletes the item with this key. Deleting an item that does not exist is not an error
    /// (as in DynamoDB; the original dynafile raised `KeyError`).
    pub fn delete_item(&self, key: impl IntoKey) -> Result<()> {
        self.delete_item_with(key, WriteOptions::new()).map(drop)
    }

    /// [`Dynafile::delete_item`] with options; returns the deleted item when asked to.
    pub fn delete_item_with(
        &self,
        key: impl IntoKey,
        options: WriteOptions,
    ) -> Result<Option<Item>> {
        let key = self.table.encode_key(key)?;
        self.write(ItemChange::delete(key), &options)
    }

    /// Updates the item with this key by an update expression (DynamoDB's `UpdateItem`),
    /// creating it when there is none; see [`UpdateItem`].
    pub fn update_item(&self, key: impl IntoKey, update: impl Into<String>) -> UpdateItem {
        let key = key.into_key(self.key_schema());
        UpdateItem::new(self.clone(), key, update.into())
    }

    fn write(&self, change: ItemChange, options: &WriteOptions) -> Result<Option<Item>> {
        let durability = options.durability.unwrap_or(self.table.durability);
        let condition = options.compile_condition()?;
        if !options.return_old && condition.is_none() {
            self.table.commit_blind(durability, vec![change])?;
            return Ok(None);
        }
        self.table.commit_changes(durability, |latest| {
            let old = self.table.get(latest, &change.key)?;
            if let Some(condition) = &condition {
                check_condition(
                    condition,
                    old.as_ref(),
                    options.return_old_on_condition_failure,
                )?;
            }
            Ok((vec![change], old.filter(|_| options.return_old)))
        })
    }

    /// Reads several items from one consistent snapshot; the result has one entry per key, in
    /// the order given (`None` where there is no item).
    pub fn batch_get<K: IntoKey>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Option<Item>>> {
        let encoded: Vec<Vec<u8>> = keys
            .into_iter()
            .map(|key| self.table.encode_key(key))
            .collect::<Result<_>>()?;
        let snapshot = self.table.store.snapshot();
        encoded
            .iter()
            .map(|key| self.table.get(&snapshot, key))
            .collect()
    }

    /// [`Dynafile::batch_get`] with options (a projection).
    pub fn batch_get_with<K: IntoKey>(
        &self,
        keys: impl IntoIterator<Item = K>,
        options: GetOptions,
    ) -> Result<Vec<Option<Item>>> {
        let projection = options.compile_projection()?;
        let items = self.batch_get(keys)?;
        Ok(match projection {
            Some(projection) => items
                .into_iter()
                .map(|item| item.map(|item| projection.apply(&item)))
                .collect(),
            None => items,
        })
    }

    /// A batch of puts and deletes that commits atomically: after a crash, all of it or none
    /// of it is there.
    pub fn batch_writer(&self) -> BatchWriter {
        BatchWriter::new(self.clone())
    }

    /// A query of one partition: the items with this partition key value, in sort key order.
    pub fn query(&self, partition: impl Into<Value>) -> Query {
        Query::new(self.clone(), partition.into())
    }

    /// A query whose partition and sort key conditions are given as a key condition
    /// expression (DynamoDB's `KeyConditionExpression`): `PK = :pk`, optionally `AND` one of
    /// `SK = :v`, `<`, `<=`, `>`, `>=`, `SK BETWEEN :a AND :b` or `begins_with(SK, :p)`.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).sort_key("SK", KeyType::S).open()?;
    /// for sk in ["order#1", "order#2", "profile"] {
    ///     db.put_item(&item! { "PK" => "user#1", "SK" => sk })?;
    /// }
    /// let orders = db
    ///     .query_expr("PK = :pk AND begins_with(SK, :prefix)")
    ///     .value(":pk", "user#1")
    ///     .value(":prefix", "order#")
    ///     .page()?;
    /// assert_eq!(orders.items.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query_expr(&self, key_condition: impl Into<String>) -> Query {
        Query::with_key_condition(self.clone(), key_condition.into())
    }

    /// A scan of the whole table (or of one segment of it).
    pub fn scan(&self) -> Scan {
        Scan::new(self.clone())
    }

    /// Reads every file of the table and verifies every checksum, the order of keys, and that
    /// every stored item decodes (every index's entries and the durable stream's segments
    /// too), and that TTL's expiry entries are exactly those of the items with an expiry.
    /// Problems are listed in the report, not returned as errors.
    pub fn check(&self) -> Result<CheckReport> {
        let table = &self.table;
        let indexes = table.hooks.indexes.load_full();
        // The expiry keyspace stays when TTL is disabled: its number is in meta.json.
        let ttl_space = crate::storage::lock(&table.meta_file)
            .ttl
            .as_ref()
            .map(|ttl| ttl.keyspace);
        let mut report = table.store.check(&|space, key, value| {
            if ttl_space == Some(space) {
                return table.expiry_entry_problem(key);
            }
            if space != TABLE_KEYSPACE {
                let Some(index) = indexes.iter().find(|index| index.space == space) else {
                    return Some(format!("an entry of keyspace {space}, which no index has"));
                };
                return match index.decode(value) {
                    Ok(item) if key_of_item(table.schema(), &item).is_ok() => None,
                    Ok(_) => Some(format!(
                        "an entry of index {:?} lacks the table's key attributes",
                        index.name()
                    )),
                    Err(e) => Some(e.to_string()),
                };
            }
            if decode_key(&table.meta.key_schema, key).is_none() {
                return Some("a key does not decode under the table's key schema".to_owned());
            }
            decode_item(value)
                .err()
                .map(|e| format!("malformed item at byte {}: {}", e.offset, e.reason))
        })?;
        table.streams.check(&mut report.problems);
        table.check_expiry(&mut report.problems)?;
        Ok(report)
    }

    /// Writes the recent changes held in memory to the partition files now (this also
    /// happens by itself as they grow, and at close).
    pub fn checkpoint(&self) -> Result<()> {
        self.table.store.flush()
    }

    /// Makes every write so far durable, including buffered ones.
    pub fn sync(&self) -> Result<()> {
        let wal = &self.table.store.wal;
        wal.sync_to(wal.last_appended())
    }

    /// Makes every write durable and checkpoints, reporting any error. The table stays open
    /// while other handles to it exist, and closes with the last one.
    pub fn close(self) -> Result<()> {
        self.table.store.flush()
    }
}

impl std::fmt::Debug for Dynafile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dynafile")
            .field("name", &self.table.meta.name)
            .field("path", &self.table.path)
            .field("key_schema", &self.table.meta.key_schema)
            .finish_non_exhaustive()
    }
}

/// Fails with [`Error::ConditionalCheckFailed`] unless `condition` holds for `old` (a missing
/// item is checked as an empty one).
pub(crate) fn check_condition(
    condition: &Condition,
    old: Option<&Item>,
    return_old: bool,
) -> Result<()> {
    let empty = Item::new();
    if evaluate(condition, old.unwrap_or(&empty)) {
        return Ok(());
    }
    Err(Error::ConditionalCheckFailed {
        item: old.filter(|_| return_old).cloned().map(Box::new),
    })
}

impl Table {
    /// The names of the key attributes.
    pub(crate) fn key_names(&self) -> Vec<&str> {
        let schema = self.schema();
        let mut names = vec![schema.partition_key.name.as_str()];
        if let Some(sort) = &schema.sort_key {
            names.push(sort.name.as_str());
        }
        names
    }

    pub(crate) fn schema(&self) -> &KeySchema {
        &self.meta.key_schema
    }

    /// Validates an item and encodes its key and value.
    pub(crate) fn encode(&self, item: &Item) -> Result<(Vec<u8>, Arc<[u8]>)> {
        item.validate()?;
        let schema = self.schema();
        let key = encode_key(schema, &key_of_item(schema, item)?)?;
        Ok((key, Arc::from(encode_item(item, &self.key_names()))))
    }

    pub(crate) fn encode_key(&self, key: impl IntoKey) -> Result<Vec<u8>> {
        let schema = self.schema();
        encode_key(schema, &key.into_key(schema)?)
    }

    /// The item under `key` in `snapshot`, unless it has expired.
    pub(crate) fn get(&self, snapshot: &Snapshot, key: &[u8]) -> Result<Option<Item>> {
        self.visible(key, snapshot.get(key)?)
    }

    /// The item stored under `key` as `found`, unless it has expired.
    fn visible(&self, key: &[u8], found: Option<Found>) -> Result<Option<Item>> {
        let Some(found) = found else { return Ok(None) };
        Ok(self.unexpired(self.decode(key, found.bytes())?))
    }

    /// The item under `key` in `snapshot`, expired or not.
    pub(crate) fn get_unfiltered(&self, snapshot: &Snapshot, key: &[u8]) -> Result<Option<Item>> {
        match snapshot.get(key)? {
            Some(found) => self.decode(key, found.bytes()).map(Some),
            None => Ok(None),
        }
    }

    /// Rebuilds an item from its stored key and value.
    pub(crate) fn decode(&self, key: &[u8], value: &[u8]) -> Result<Item> {
        self.decode_with(&mut KeyDecoder::default(), key, value)
    }

    /// [`Table::decode`] with a key decoder that reads keys in order.
    pub(crate) fn decode_with(
        &self,
        keys: &mut KeyDecoder,
        key: &[u8],
        value: &[u8],
    ) -> Result<Item> {
        decode_stored_item(self.schema(), &self.path, keys, key, value)
    }

    pub(crate) fn decode_key(&self, key: &[u8]) -> Result<Key> {
        decode_key(self.schema(), key).ok_or_else(|| self.undecodable_key())
    }

    fn undecodable_key(&self) -> Error {
        undecodable_key(&self.path)
    }
}

/// Rebuilds an item from its stored key and value, under `schema`, of the table in `path`
/// (named in errors).
pub(crate) fn decode_stored_item(
    schema: &KeySchema,
    path: &Path,
    keys: &mut KeyDecoder,
    key: &[u8],
    value: &[u8],
) -> Result<Item> {
    let mut item = decode_item(value).map_err(|e| {
        Error::corrupt(
            path,
            None,
            format!(
                "a stored item is malformed at byte {}: {}",
                e.offset, e.reason
            ),
        )
    })?;
    let decoded = keys
        .decode(schema, key)
        .ok_or_else(|| undecodable_key(path))?;
    item.insert(schema.partition_key.name.clone(), decoded.partition);
    if let (Some(attribute), Some(sort)) = (&schema.sort_key, decoded.sort) {
        item.insert(attribute.name.clone(), sort);
    }
    Ok(item)
}

fn undecodable_key(path: &Path) -> Error {
    Error::corrupt(
        path,
        None,
        "a stored key does not decode under the table's key schema",
    )
}
