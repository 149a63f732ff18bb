//! Adding a global secondary index to an existing table: its keyspace is created, every
//! later commit maintains it, and a backfill writes the entries of the items already there,
//! while writes go on. The index can be read once it is built.

use std::ops::Bound;
use std::sync::Arc;

use crate::builder::Meta;
use crate::error::{Error, Result};
use crate::index::{Index, IndexMeta, IndexProjection, check_definition};
use crate::item::Item;
use crate::key::{KeyAttribute, KeyType};
use crate::storage::{Direction, KeyBounds, KeyspaceSpec, Op, Snapshot};
use crate::table::{Dynafile, Table};

/// Items whose entries one backfill commit writes.
const BACKFILL_CHUNK: usize = 256;

impl Dynafile {
    /// Adds a global secondary index to the table (see
    /// [`Builder::global_index`](crate::Builder::global_index)) and fills it with the entries
    /// of the items already there, returning once it is built. Writes from other threads go
    /// on meanwhile and maintain it; reads of it are refused until it is built. An item
    /// already in the table whose index key attribute has the wrong type gets no entry (as
    /// DynamoDB's backfill reports such items as violations and leaves them out).
    ///
    /// If the process stops before the index is built, opening the table again finishes
    /// building it before `open` returns.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, IndexProjection, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
    /// db.put_item(&item! { "PK" => "u1", "team" => "red" })?;
    /// db.add_global_index("by_team", "team", KeyType::S, None, IndexProjection::KeysOnly)?;
    /// let red = db.query("red").index("by_team").page()?;
    /// assert_eq!(red.items, vec![item! { "PK" => "u1", "team" => "red" }]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_global_index(
        &self,
        name: impl Into<String>,
        partition_key: impl Into<String>,
        partition_type: KeyType,
        sort_key: Option<(&str, KeyType)>,
        projection: IndexProjection,
    ) -> Result<()> {
        let table = &self.table;
        let mut meta_file = crate::storage::lock(&table.meta_file);
        let definition = IndexMeta {
            building: true,
            ..IndexMeta::global(
                name.into(),
                KeyAttribute::new(partition_key, partition_type),
                sort_key,
                projection,
            )
        };
        check_definition(&meta_file.key_schema, &definition, &meta_file.indexes)?;
        // The keyspace first, then meta.json: a crash between leaves a directory no
        // meta.json names, which the next attempt replaces.
        let space = table.store.add_keyspace(&KeyspaceSpec {
            dir: table.path.join(definition.relative_dir()),
            checksum: definition.checksum(),
        })?;
        let mut meta = meta_file.clone();
        meta.indexes.push(definition.clone());
        if meta.index_spaces().last() != Some(&space) {
            return Err(Error::validation(format!(
                "index {:?} got keyspace {space}, not the one after the table's other indexes",
                definition.name
            )));
        }
        meta.store(&table.path)?;
        *meta_file = meta;
        let index = Arc::new(Index::new(definition, space));
        let snapshot = table.publish(&index);
        table.backfill(&index, &snapshot)?;
        table.mark_built(&mut meta_file, &index)
    }
}

impl Table {
    /// The index `name`, once built.
    pub(crate) fn index(&self, name: &str) -> Result<Arc<Index>> {
        let indexes = self.hooks.indexes.load();
        let Some(index) = indexes.iter().find(|index| index.name() == name) else {
            return Err(Error::validation(format!(
                "the table has no index named {name:?}"
            )));
        };
        if !index.is_built() {
            return Err(Error::validation(format!(
                "index {name:?} is still being built (filled with the table's items); it can \
                 be read once add_global_index returns"
            )));
        }
        Ok(Arc::clone(index))
    }

    /// Makes every commit from now on maintain `index`; returns a snapshot of the table at
    /// that point, whose items the backfill gives entries.
    fn publish(&self, index: &Arc<Index>) -> Snapshot {
        let _writers = self.store.pause_writers();
        let mut indexes = (*self.hooks.indexes.load_full()).clone();
        indexes.push(Arc::clone(index));
        self.hooks.indexes.store(Arc::new(indexes));
        self.store.snapshot()
    }

    /// Writes the entries of the items of `snapshot`. Each chunk of keys commits the
    /// entries of the items as they are at that commit (an item changed since the snapshot
    /// already has its entries from that change; writing them again changes nothing, and a
    /// deleted one gets none), so the index never holds an entry of an old image.
    pub(crate) fn backfill(&self, index: &Index, snapshot: &Snapshot) -> Result<()> {
        self.backfill_entries(snapshot, |key, item| {
            match index.entry(self.schema(), key, item) {
                Ok(Some((entry_key, value))) => Some(Op::Put {
                    space: index.space,
                    key: entry_key,
                    value: Arc::from(value),
                }),
                _ => None,
            }
        })
    }

    /// Commits, chunk by chunk of the keys of `snapshot`, the op `entry` makes of each
    /// item (under its table key) as it is at that commit: what fills an index or the
    /// expiry keyspace while writes go on.
    pub(crate) fn backfill_entries(
        &self,
        snapshot: &Snapshot,
        entry: impl Fn(&[u8], &Item) -> Option<Op>,
    ) -> Result<()> {
        let all = KeyBounds {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        };
        let mut entries = snapshot.iter(all, Direction::Forward, None, None)?;
        let mut chunk = Vec::with_capacity(BACKFILL_CHUNK);
        loop {
            let next = entries.next_entry()?;
            let done = next.is_none();
            if let Some((key, _)) = next {
                chunk.push(key.to_vec());
            }
            if chunk.len() == BACKFILL_CHUNK || (done && !chunk.is_empty()) {
                let keys = std::mem::take(&mut chunk);
                self.store.commit_with(self.durability, |latest| {
                    let mut ops = Vec::new();
                    for key in &keys {
                        if let Some(item) = self.get_unfiltered(latest, key)? {
                            ops.extend(entry(key, &item));
                        }
                    }
                    Ok((ops, ()))
                })?;
            }
            if done {
                return Ok(());
            }
        }
    }

    /// Records in `meta.json` that `index` is built, then lets reads use it.
    fn mark_built(&self, meta_file: &mut Meta, index: &Index) -> Result<()> {
        self.store_meta_after_sync(meta_file, |meta| {
            for stored in &mut meta.indexes {
                if stored.name == index.name() {
                    stored.building = false;
                }
            }
        })?;
        index
            .built
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Stores `meta.json` as `edit` changes it, once every commit so far is durable: a
    /// backfill's commits are on disk before meta.json says they are all there (under
    /// `Durability::Buffered` they may not be yet).
    pub(crate) fn store_meta_after_sync(
        &self,
        meta_file: &mut Meta,
        edit: impl FnOnce(&mut Meta),
    ) -> Result<()> {
        self.store.wal.sync_to(self.store.wal.last_appended())?;
        let mut meta = meta_file.clone();
        edit(&mut meta);
        meta.store(&self.path)?;
        *meta_file = meta;
        Ok(())
    }

    /// Finishes building the indexes an earlier process did not: the table's commits since
    /// the index was added maintained it (they are in its keyspace or the log), so filling
    /// it from the items as they are now completes it.
    pub(crate) fn resume_backfills(&self) -> Result<()> {
        let indexes = self.hooks.indexes.load_full();
        for index in indexes.iter().filter(|index| !index.is_built()) {
            self.backfill(index, &self.store.snapshot())?;
            let mut meta_file = crate::storage::lock(&self.meta_file);
            self.mark_built(&mut meta_file, index)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::index::{Index, IndexMeta, IndexProjection};
    use crate::key::{KeyAttribute, KeyType};
    use crate::storage::KeyspaceSpec;
    use crate::{Dynafile, Error, item};

    /// An index published but not yet built is maintained by writes and refused to reads,
    /// which name it as still being built; once built, it reads what the writes wrote.
    #[test]
    fn an_index_being_built_is_refused_to_reads_and_kept_by_writes() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let db = Dynafile::builder(dir.path().join("db"))
            .partition_key("PK", KeyType::S)
            .open()?;
        let table = &db.table;
        let definition = IndexMeta {
            building: true,
            ..IndexMeta::global(
                "by_team".into(),
                KeyAttribute::new("team", KeyType::S),
                None,
                IndexProjection::KeysOnly,
            )
        };
        let space = table.store.add_keyspace(&KeyspaceSpec {
            dir: table.path.join(definition.relative_dir()),
            checksum: definition.checksum(),
        })?;
        let index = Arc::new(Index::new(definition, space));
        let _ = table.publish(&index);
        db.put_item(&item! { "PK" => "u1", "team" => "red" })?;
        let refused = db.query("red").index("by_team").page();
        match refused {
            Err(Error::Validation(error)) => {
                assert!(error.reason.contains("still being built"), "{error}");
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        index
            .built
            .store(true, std::sync::atomic::Ordering::Release);
        assert_eq!(
            db.query("red").index("by_team").page()?.items,
            vec![item! { "PK" => "u1", "team" => "red" }]
        );
        Ok(())
    }
}
