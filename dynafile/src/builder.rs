//! Opening and creating tables: `meta.json`, the lock, and the engine's settings.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::index::{IndexKind, IndexMeta, IndexProjection, check_definition};
use crate::key::{KeyAttribute, KeySchema, KeyType};
use crate::storage::{
    Durability, KeyspaceId, KeyspaceSpec, Store, StoreOptions, remove_atomic_leftovers,
    write_atomic,
};
use crate::stream::{Retention, StreamSpec, StreamView, Streams};
use crate::table::Dynafile;
use crate::ttl::{
    Clock, DEFAULT_SWEEP_INTERVAL, SystemClock, TTL_DIR, TtlMeta, TtlRuntime, check_attribute_name,
};

/// The on-disk format version this library writes and reads.
pub const FORMAT_VERSION: u32 = 1;
pub(crate) const META_FILE: &str = "meta.json";
const LOCK_FILE: &str = "LOCK";
/// Longest key attribute name, in bytes (DynamoDB's limit).
const MAX_KEY_NAME_BYTES: usize = 255;

/// `meta.json`: what the table is, in a form people can read. Unknown fields are refused:
/// a misspelled or damaged field name must not read as an absent optional field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Meta {
    pub format_version: u32,
    pub name: String,
    pub key_schema: KeySchema,
    /// The durable change stream, when the table has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamSpec>,
    /// The secondary indexes, in keyspace order (index `i` is keyspace `i + 1`): indexes
    /// are only ever added, at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<IndexMeta>,
    /// The TTL setting and its expiry keyspace, once TTL was ever enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<TtlMeta>,
}

impl Meta {
    /// CRC-32C of the canonical (compact) JSON of the table's name and key schema, which the
    /// checksummed manifest records. (Each index's manifest records its own definition's:
    /// adding one leaves this unchanged.)
    pub(crate) fn checksum(&self) -> u32 {
        #[derive(Serialize)]
        struct Core<'m> {
            format_version: u32,
            name: &'m str,
            key_schema: &'m KeySchema,
        }
        let core = Core {
            format_version: self.format_version,
            name: &self.name,
            key_schema: &self.key_schema,
        };
        crc32c::crc32c(&serde_json::to_vec(&core).unwrap_or_default())
    }

    /// The keyspaces besides the table's (the indexes' and the expiry keyspace), in
    /// keyspace order, for the store.
    pub(crate) fn keyspaces(&self, table_dir: &Path) -> Vec<KeyspaceSpec> {
        let mut specs: Vec<KeyspaceSpec> = self
            .indexes
            .iter()
            .map(|index| KeyspaceSpec {
                dir: table_dir.join(index.relative_dir()),
                checksum: index.checksum(),
            })
            .collect();
        if let Some(ttl) = &self.ttl {
            let at = (ttl.keyspace as usize).saturating_sub(1).min(specs.len());
            specs.insert(
                at,
                KeyspaceSpec {
                    dir: table_dir.join(TTL_DIR),
                    checksum: TtlMeta::checksum(),
                },
            );
        }
        specs
    }

    /// The keyspace of each index, in order: 1, 2, ..., skipping the expiry keyspace.
    pub(crate) fn index_spaces(&self) -> Vec<KeyspaceId> {
        let ttl_space = self.ttl.as_ref().map(|ttl| ttl.keyspace);
        (1..)
            .filter(|space| Some(*space) != ttl_space)
            .take(self.indexes.len())
            .collect()
    }

    /// Writes `meta.json` atomically.
    pub(crate) fn store(&self, table_dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::validation(e.to_string()))?;
        write_atomic(table_dir, META_FILE, &json)
    }
}

/// Opens a table, creating it when the directory holds none.
///
/// ```
/// use dynafile::{Dynafile, KeyType};
/// # let dir = tempfile::tempdir()?;
/// let db = Dynafile::builder(dir.path().join("users"))
///     .partition_key("PK", KeyType::S)
///     .sort_key("SK", KeyType::S)
///     .open()?;
/// assert_eq!(db.name(), "users");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `open` is called"]
pub struct Builder {
    path: PathBuf,
    partition_key: Option<KeyAttribute>,
    sort_key: Option<KeyAttribute>,
    name: Option<String>,
    durability: Durability,
    options: StoreOptions,
    stream: Option<StreamSpec>,
    indexes: Vec<IndexMeta>,
    ttl_attribute: Option<String>,
    clock: Arc<dyn Clock>,
    sweep_interval: Option<Duration>,
}

impl Builder {
    pub(crate) fn new(path: impl AsRef<Path>) -> Builder {
        Builder {
            path: path.as_ref().to_owned(),
            partition_key: None,
            sort_key: None,
            name: None,
            durability: Durability::Immediate,
            options: StoreOptions::default(),
            stream: None,
            indexes: Vec::new(),
            ttl_attribute: None,
            clock: Arc::new(SystemClock),
            sweep_interval: Some(DEFAULT_SWEEP_INTERVAL),
        }
    }

    /// Enables time to live on a new table: `attribute` holds each item's expiry, a Number
    /// of seconds since the Unix epoch (as DynamoDB's TTL). An item expires once the table's
    /// [`clock`](Builder::clock) passes its expiry (an expiry of the current second has not
    /// passed yet); an item whose attribute is missing, not a Number, beyond an `i64`, or
    /// more than [`MAX_EXPIRED_AGE`](crate::MAX_EXPIRED_AGE) in the past never expires. A
    /// fractional expiry counts from its whole second.
    ///
    /// From the moment it expires an item is invisible to every read (get, batch and
    /// transactional gets, queries, scans, index reads, PartiQL, the typed API) and absent
    /// to every write (a condition sees no item, an update creates a new one, nothing old
    /// is returned, streams show an INSERT). This is stronger than DynamoDB, which shows
    /// expired items until it deletes them. The sweep then deletes it (see
    /// [`Builder::ttl_sweep_interval`] and [`Dynafile::sweep_expired`]).
    ///
    /// As with an index, each write of a table with TTL reads the item it replaces (to move
    /// its expiry entry), and a read of an index whose entries lack the TTL attribute looks
    /// each item up in the table.
    ///
    /// When opening an existing table, the attribute must be the stored one; enable or
    /// disable TTL on an existing table with [`Dynafile::enable_ttl`] and
    /// [`Dynafile::disable_ttl`].
    pub fn ttl_attribute(mut self, attribute: impl Into<String>) -> Builder {
        self.ttl_attribute = Some(attribute.into());
        self
    }

    /// The clock expiry is judged against (default: [`SystemClock`]); tests pass a
    /// [`ManualClock`](crate::ManualClock) to move time by hand.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Builder {
        self.clock = clock;
        self
    }

    /// How often a background thread sweeps the expired items of a table with TTL
    /// (default: [`DEFAULT_SWEEP_INTERVAL`](crate::DEFAULT_SWEEP_INTERVAL), a minute);
    /// `None` sweeps only when [`Dynafile::sweep_expired`] is called. Expired items are
    /// invisible either way; the sweep frees their space and emits their REMOVE events. The
    /// thread stops when the table closes, between two of its commits.
    pub fn ttl_sweep_interval(mut self, interval: Option<Duration>) -> Builder {
        self.sweep_interval = interval.map(|every| every.max(Duration::from_millis(1)));
        self
    }

    /// Declares a global secondary index: its own partition key and optional sort key over
    /// any attributes, and the attributes its entries hold. Items without the index's key
    /// attributes have no entry (a sparse index); a write giving one of them another type is
    /// refused. Declared when the table is created (see [`Dynafile::add_global_index`] to
    /// add one later); when opening, the declared indexes must be the stored ones.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, IndexProjection, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("db"))
    ///     .partition_key("PK", KeyType::S)
    ///     .global_index("by_email", "email", KeyType::S, None, IndexProjection::KeysOnly)
    ///     .open()?;
    /// db.put_item(&item! { "PK" => "user#1", "email" => "bob@example.com", "age" => 42 })?;
    /// let found = db.query("bob@example.com").index("by_email").page()?;
    /// assert_eq!(found.items, vec![item! { "PK" => "user#1", "email" => "bob@example.com" }]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn global_index(
        mut self,
        name: impl Into<String>,
        partition_key: impl Into<String>,
        partition_type: KeyType,
        sort_key: Option<(&str, KeyType)>,
        projection: IndexProjection,
    ) -> Builder {
        self.indexes.push(IndexMeta::global(
            name.into(),
            KeyAttribute::new(partition_key, partition_type),
            sort_key,
            projection,
        ));
        self
    }

    /// Declares a local secondary index: the table's partition key with another sort key
    /// (the table needs a sort key). See [`Builder::global_index`].
    pub fn local_index(
        mut self,
        name: impl Into<String>,
        sort_key: impl Into<String>,
        sort_type: KeyType,
        projection: IndexProjection,
    ) -> Builder {
        // The partition key is filled in from the table's schema when the table opens.
        self.indexes.push(IndexMeta {
            name: name.into(),
            kind: IndexKind::Local,
            key_schema: KeySchema {
                partition_key: KeyAttribute::new("", KeyType::S),
                sort_key: Some(KeyAttribute::new(sort_key, sort_type)),
            },
            projection,
            building: false,
        });
        self
    }

    /// The declared indexes, local ones completed with the table's partition key, checked.
    fn declared_indexes(&self, table: &KeySchema) -> Result<Vec<IndexMeta>> {
        let mut indexes: Vec<IndexMeta> = Vec::with_capacity(self.indexes.len());
        for declared in &self.indexes {
            let mut index = declared.clone();
            if index.kind == IndexKind::Local {
                index.key_schema.partition_key = table.partition_key.clone();
            }
            check_definition(table, &index, &indexes)?;
            indexes.push(index);
        }
        Ok(indexes)
    }

    /// The partition key's name (1 to 255 bytes, as in DynamoDB) and type. Required to
    /// create a table; when opening one, it must match the stored schema.
    pub fn partition_key(mut self, name: impl Into<String>, key_type: KeyType) -> Builder {
        self.partition_key = Some(KeyAttribute::new(name, key_type));
        self
    }

    /// The sort key's name (1 to 255 bytes, differing from the partition key's) and type,
    /// for tables that have one. It needs a [`partition_key`](Builder::partition_key) too:
    /// the two are checked together against the stored schema.
    pub fn sort_key(mut self, name: impl Into<String>, key_type: KeyType) -> Builder {
        self.sort_key = Some(KeyAttribute::new(name, key_type));
        self
    }

    /// The table's name (default: the directory's name). PartiQL statements name it.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// The durability of writes that do not choose their own (default:
    /// [`Durability::Immediate`]).
    pub fn durability(mut self, durability: Durability) -> Builder {
        self.durability = durability;
        self
    }

    /// How long buffered writes may wait for their sync (default: 50 ms; at least 1 ms).
    pub fn sync_interval(mut self, interval: Duration) -> Builder {
        self.options.sync_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Bytes of decoded blocks kept in memory (default: 64 MiB).
    pub fn cache_size(mut self, bytes: usize) -> Builder {
        self.options.cache_bytes = bytes;
        self
    }

    /// Bytes of recent changes kept in memory before a checkpoint writes them to partition
    /// files (default: 16 MiB). It also bounds the log that reopening replays.
    pub fn memtable_size(mut self, bytes: usize) -> Builder {
        self.options.memtable_bytes = bytes.max(1);
        self
    }

    /// The size past which a partition file splits into two hash ranges (default: 4 MiB).
    pub fn target_file_size(mut self, bytes: u64) -> Builder {
        self.options.target_file_bytes = bytes.max(1);
        self
    }

    /// The size of a partition file's blocks, the unit of reads and caching (default: 16 KiB).
    pub fn block_size(mut self, bytes: usize) -> Builder {
        self.options.block_bytes = bytes.clamp(256, 1 << 24);
        self
    }

    /// Gives a new table a durable change stream: every commit's events, with the images
    /// `view` keeps, are written to `stream/` as durably as the commit itself and kept for
    /// `retention`, for [`Dynafile::stream_from`] to replay, after a restart too. A stream is
    /// declared when the table is created; opening an existing table with another stream
    /// setting is an error. The events' segment is synced with the log, once per group of
    /// concurrent commits: a group costs one more sync, not each commit.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType, Retention, StreamView};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("db");
    /// let db = Dynafile::builder(&path)
    ///     .partition_key("PK", KeyType::S)
    ///     .stream(StreamView::NewImage, Retention::default())
    ///     .open()?;
    /// db.put_item(&item! { "PK" => "a", "v" => 1 })?;
    /// db.close()?;
    /// let db = Dynafile::open(&path)?;
    /// let mut events = db.stream_from(0)?;
    /// let first = events.recv()?;
    /// assert_eq!(first.new_image, Some(item! { "PK" => "a", "v" => 1 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream(mut self, view: StreamView, retention: Retention) -> Builder {
        self.stream = Some(StreamSpec::new(view, retention));
        self
    }

    fn requested_schema(&self) -> Option<KeySchema> {
        self.partition_key.clone().map(|partition_key| KeySchema {
            partition_key,
            sort_key: self.sort_key.clone(),
        })
    }

    /// Opens the table in the directory, or creates it there when the directory is missing or
    /// empty (creating needs a partition key).
    pub fn open(self) -> Result<Dynafile> {
        if self.partition_key.is_none() && self.sort_key.is_some() {
            // Without a partition key there is no requested schema to check the sort key
            // against, and ignoring it would open a table whose sort key differs.
            return Err(Error::validation(
                "a sort key was given without a partition key; give both, or neither to open \
                 the table with its stored schema",
            ));
        }
        // Requests that can never be right are refused before anything is created.
        if let Some(schema) = self.requested_schema() {
            check_key_name("partition key", &schema.partition_key)?;
            if let Some(sort) = &schema.sort_key {
                check_key_name("sort key", sort)?;
                if sort.name == schema.partition_key.name {
                    return Err(Error::validation(
                        "the partition key and the sort key must have different names",
                    ));
                }
            }
            self.declared_indexes(&schema)?;
        }
        if let Some(attribute) = &self.ttl_attribute {
            check_attribute_name(attribute)?;
        }
        if self.name.as_deref() == Some("") {
            return Err(Error::validation("the table name must not be empty"));
        }
        let path = self.path.clone();
        if path.exists() && !path.is_dir() {
            return Err(Error::NotATable {
                path,
                reason: "it is not a directory".into(),
            });
        }
        let meta_path = path.join(META_FILE);
        if !meta_path.exists() {
            if self.partition_key.is_none() {
                let reason = if path.exists() {
                    "it has no meta.json"
                } else {
                    "the directory does not exist"
                };
                return Err(Error::NotATable {
                    path,
                    reason: format!("{reason}; give a partition key to create a table"),
                });
            }
            std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            ensure_empty(&path)?;
        }
        let lock = acquire_lock(&path)?;
        // A process killed while writing meta.json or the manifest left a temporary file.
        remove_atomic_leftovers(&path, &[META_FILE, crate::storage::MANIFEST_FILE])?;
        // Another process may have created the table before we held the lock.
        let (meta, create) = match read_meta(&meta_path)? {
            Some(meta) => {
                self.check_matches(&meta, &meta_path)?;
                let create = !path.join(crate::storage::MANIFEST_FILE).exists()
                    && interrupted_creation(&path)?;
                (meta, create)
            }
            None => {
                let Some(key_schema) = self.requested_schema() else {
                    return Err(Error::NotATable {
                        path,
                        reason: "it has no meta.json".into(),
                    });
                };
                let name = match self.name.clone() {
                    Some(name) => name,
                    None => default_name(&path),
                };
                if name.is_empty() {
                    return Err(Error::validation("the table name must not be empty"));
                }
                let indexes = self.declared_indexes(&key_schema)?;
                let ttl = self.ttl_attribute.clone().map(|attribute| TtlMeta {
                    attribute: Some(attribute),
                    keyspace: KeyspaceId::try_from(indexes.len() + 1).unwrap_or(KeyspaceId::MAX),
                    building: false,
                });
                let meta = Meta {
                    format_version: FORMAT_VERSION,
                    name,
                    key_schema,
                    stream: self.stream,
                    indexes,
                    ttl,
                };
                meta.store(&path)?;
                (meta, true)
            }
        };
        let store = Store::open(
            &path,
            self.options.clone(),
            create,
            &meta_path,
            meta.checksum(),
            &meta.keyspaces(&path),
        )?;
        let last_seq = store.snapshot().seq;
        let streams = Streams::open(&path, meta.key_schema.clone(), meta.stream, last_seq)?;
        if let Some(unsynced) = streams.unsynced_segment() {
            // The stream's records of a group of commits become durable with the group.
            store.wal.sync_first(Box::new(move || unsynced.sync()));
        }
        let ttl = TtlRuntime::new(self.clock, self.sweep_interval);
        let db = Dynafile::from_parts(path, meta, store, lock, self.durability, streams, ttl);
        db.table.resume_backfills()?;
        db.table.resume_expiry_backfill()?;
        db.start_sweeper()?;
        Ok(db)
    }

    fn check_matches(&self, meta: &Meta, meta_path: &Path) -> Result<()> {
        if let Some(requested) = self.requested_schema()
            && requested != meta.key_schema
        {
            return Err(Error::validation(format!(
                "the table at {} has {}, not {requested}",
                meta_path.parent().unwrap_or(meta_path).display(),
                meta.key_schema
            )));
        }
        if let Some(stream) = &self.stream
            && Some(stream) != meta.stream.as_ref()
        {
            return Err(Error::validation(format!(
                "the table's change stream is {}, not the one asked for; a stream is set when \
                 the table is created",
                meta.stream.map_or_else(
                    || "not enabled".to_owned(),
                    |spec| format!("{:?}", spec.view)
                )
            )));
        }
        if !self.indexes.is_empty() {
            let mut declared = self.declared_indexes(&meta.key_schema)?;
            let mut stored: Vec<IndexMeta> = meta
                .indexes
                .iter()
                .map(|index| IndexMeta {
                    building: false,
                    ..index.clone()
                })
                .collect();
            declared.sort_by(|a, b| a.name.cmp(&b.name));
            stored.sort_by(|a, b| a.name.cmp(&b.name));
            if declared != stored {
                let names = |indexes: &[IndexMeta]| {
                    indexes
                        .iter()
                        .map(|index| index.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(Error::validation(format!(
                    "the table at {} has other indexes than those declared (it has [{}], the \
                     builder declares [{}], or they differ in keys or projection)",
                    meta_path.parent().unwrap_or(meta_path).display(),
                    names(&stored),
                    names(&declared)
                )));
            }
        }
        if let Some(attribute) = &self.ttl_attribute {
            let stored = meta.ttl.as_ref().and_then(|ttl| ttl.attribute.as_ref());
            if stored != Some(attribute) {
                return Err(Error::validation(format!(
                    "the table's TTL attribute is {}, not {attribute:?}; change it with \
                     disable_ttl and enable_ttl",
                    stored.map_or_else(|| "not set".to_owned(), |stored| format!("{stored:?}"))
                )));
            }
        }
        if let Some(name) = &self.name
            && name != &meta.name
        {
            return Err(Error::validation(format!(
                "the table is named {:?}, not {name:?}",
                meta.name
            )));
        }
        Ok(())
    }
}

/// Checks a key attribute's name against DynamoDB's limits: 1 to
/// [`MAX_KEY_NAME_BYTES`] bytes. (An empty name would make a table no item can be put into,
/// as items may not have an attribute with an empty name.)
fn check_key_name(role: &str, attribute: &KeyAttribute) -> Result<()> {
    let length = attribute.name.len();
    if length == 0 {
        return Err(Error::validation(format!(
            "the {role} name must not be empty"
        )));
    }
    if length > MAX_KEY_NAME_BYTES {
        return Err(Error::validation(format!(
            "the {role} name is {length} bytes, more than the maximum of {MAX_KEY_NAME_BYTES}"
        )));
    }
    Ok(())
}

fn default_name(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Refuses to create a table in a directory that holds other things.
fn ensure_empty(path: &Path) -> Result<()> {
    for entry in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let name = entry.map_err(|e| Error::io(path, e))?.file_name();
        let name = name.to_string_lossy();
        if name != LOCK_FILE && !name.starts_with('.') {
            return Err(Error::NotATable {
                path: path.to_owned(),
                reason: format!("it is not empty (it holds {name:?}) and has no meta.json"),
            });
        }
    }
    Ok(())
}

/// True when a table's creation stopped after `meta.json` but before its storage existed.
fn interrupted_creation(path: &Path) -> Result<bool> {
    for directory in [crate::storage::PARTITIONS_DIR, crate::storage::WAL_DIR] {
        let dir = path.join(directory);
        match std::fs::read_dir(&dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Ok(true)
}

fn read_meta(meta_path: &Path) -> Result<Option<Meta>> {
    let bytes = match std::fs::read(meta_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(meta_path, e)),
    };
    let malformed =
        |e: serde_json::Error| Error::corrupt(meta_path, None, format!("malformed meta.json: {e}"));
    let meta: Meta = match serde_json::from_slice(&bytes) {
        Ok(meta) => meta,
        Err(error) => {
            // A newer format may not read as this one: say so rather than call it damaged.
            #[derive(Deserialize)]
            struct Version {
                format_version: u32,
            }
            return match serde_json::from_slice::<Version>(&bytes) {
                Ok(version) if version.format_version > FORMAT_VERSION => {
                    Err(Error::Incompatible {
                        path: meta_path.to_owned(),
                        found: version.format_version,
                        supported: FORMAT_VERSION,
                    })
                }
                _ => Err(malformed(error)),
            };
        }
    };
    if meta.format_version > FORMAT_VERSION {
        return Err(Error::Incompatible {
            path: meta_path.to_owned(),
            found: meta.format_version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(Some(meta))
}

fn acquire_lock(path: &Path) -> Result<File> {
    let lock_path = path.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(e)) => Err(Error::io(&lock_path, e)),
    }
}
