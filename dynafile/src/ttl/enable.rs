//! Enabling and disabling TTL on an open table (DynamoDB's `UpdateTimeToLive`): the
//! expiry keyspace is created (or emptied of an earlier setting's entries), every later
//! commit maintains it, and a backfill writes the entries of the items already there, as
//! adding a global index does. A backfill cut short is finished by the next open.

use std::sync::Arc;

use crate::builder::Meta;
use crate::error::{Error, Result};
use crate::storage::{Direction, KeyBounds, KeyspaceSpec, Op, Snapshot, lock};
use crate::table::{Dynafile, Table};
use crate::ttl::{Expiry, TTL_DIR, TtlMeta, check_attribute_name, entry_key};

/// Items whose entries one backfill commit writes (or entries one clearing commit deletes).
const BACKFILL_CHUNK: usize = 256;

impl Dynafile {
    /// The attribute naming each item's expiry, while TTL is enabled.
    #[must_use]
    pub fn ttl_attribute(&self) -> Option<String> {
        self.table
            .hooks
            .expiry
            .load()
            .as_ref()
            .map(|expiry| expiry.attribute.clone())
    }

    /// Enables TTL on the table with `attribute` holding each item's expiry (DynamoDB's
    /// `UpdateTimeToLive` with `Enabled: true`; see
    /// [`Builder::ttl_attribute`](crate::Builder::ttl_attribute) for what expiry means).
    /// Items already past their expiry are invisible from the moment this is called, and
    /// are swept once it returns. It fills the expiry keyspace with the entries of the items
    /// already there while writes go on; if the process stops first, the next open finishes
    /// it before `open` returns.
    ///
    /// As in DynamoDB, enabling TTL while it is enabled is an error (to change the attribute,
    /// disable TTL first); unlike DynamoDB, a change takes effect at once, and there is no
    /// hour to wait between changes.
    pub fn enable_ttl(&self, attribute: impl Into<String>) -> Result<()> {
        let attribute = attribute.into();
        check_attribute_name(&attribute)?;
        let table = &self.table;
        let mut meta_file = lock(&table.meta_file);
        if let Some(current) = meta_file.ttl.as_ref().and_then(|ttl| ttl.attribute.clone()) {
            return Err(Error::validation(format!(
                "TTL is already enabled on attribute {current:?}; disable it first to change \
                 the attribute"
            )));
        }
        let space = match &meta_file.ttl {
            Some(ttl) => {
                // Entries an earlier setting left; no commit touches them while disabled.
                table.clear_keyspace(ttl.keyspace)?;
                ttl.keyspace
            }
            None => {
                let space = table.store.add_keyspace(&KeyspaceSpec {
                    dir: table.path.join(TTL_DIR),
                    checksum: TtlMeta::checksum(),
                })?;
                let expected = meta_file.keyspaces(&table.path).len() + 1;
                if space as usize != expected {
                    return Err(Error::validation(format!(
                        "the expiry keyspace got number {space}, not {expected}"
                    )));
                }
                space
            }
        };
        let mut meta = meta_file.clone();
        meta.ttl = Some(TtlMeta {
            attribute: Some(attribute.clone()),
            keyspace: space,
            building: true,
        });
        meta.store(&table.path)?;
        *meta_file = meta;
        let expiry = Arc::new(Expiry::new(attribute, space, false));
        let snapshot = {
            let _writers = table.store.pause_writers();
            table.hooks.expiry.store(Some(Arc::clone(&expiry)));
            table.store.snapshot()
        };
        table.backfill_expiry(&expiry, &snapshot)?;
        table.mark_expiry_built(&mut meta_file, &expiry)?;
        drop(meta_file);
        self.start_sweeper()
    }

    /// Disables TTL (DynamoDB's `UpdateTimeToLive` with `Enabled: false`): from now on no
    /// item expires, and items past their old expiry that were not swept yet are visible
    /// again. Disabling TTL while it is disabled is an error, as in DynamoDB.
    pub fn disable_ttl(&self) -> Result<()> {
        let table = &self.table;
        let mut meta_file = lock(&table.meta_file);
        let Some(ttl) = meta_file.ttl.clone().filter(|ttl| ttl.attribute.is_some()) else {
            return Err(Error::validation("TTL is already disabled on the table"));
        };
        let mut meta = meta_file.clone();
        meta.ttl = Some(TtlMeta {
            attribute: None,
            building: false,
            ..ttl
        });
        meta.store(&table.path)?;
        *meta_file = meta;
        let _writers = table.store.pause_writers();
        table.hooks.expiry.store(None);
        Ok(())
    }

    /// Starts the background sweep, when TTL is enabled and the table sweeps by itself.
    pub(crate) fn start_sweeper(&self) -> Result<()> {
        match self.table.ttl.sweep_interval {
            Some(interval) if self.table.hooks.expiry.load().is_some() => {
                self.sweeper.start(&self.table, interval)
            }
            _ => Ok(()),
        }
    }
}

impl Table {
    /// Deletes every entry of keyspace `space`, in chunks.
    fn clear_keyspace(&self, space: crate::storage::KeyspaceId) -> Result<()> {
        loop {
            let snapshot =
                self.store.snapshot().keyspace(space).ok_or_else(|| {
                    Error::validation(format!("the table has no keyspace {space}"))
                })?;
            let mut entries = snapshot.iter(KeyBounds::all(), Direction::Forward, None, None)?;
            let mut ops = Vec::new();
            while ops.len() < BACKFILL_CHUNK {
                let Some((key, _)) = entries.next_entry()? else {
                    break;
                };
                ops.push(Op::Delete {
                    space,
                    key: key.to_vec(),
                });
            }
            if ops.is_empty() {
                return Ok(());
            }
            self.store.commit_with(self.durability, |_| Ok((ops, ())))?;
        }
    }

    /// Writes the expiry entries of the items of `snapshot`, each chunk from the items as
    /// they are at its commit (an item changed since has its entry from that change already;
    /// writing it again changes nothing).
    fn backfill_expiry(&self, expiry: &Expiry, snapshot: &Snapshot) -> Result<()> {
        self.backfill_entries(snapshot, |key, item| {
            expiry.seconds_of(item).map(|seconds| Op::Put {
                space: expiry.space,
                key: entry_key(seconds, key),
                value: Arc::from(&[][..]),
            })
        })
    }

    /// Records in `meta.json` that the expiry keyspace is complete, then lets sweeps run.
    fn mark_expiry_built(&self, meta_file: &mut Meta, expiry: &Expiry) -> Result<()> {
        self.store_meta_after_sync(meta_file, |meta| {
            if let Some(ttl) = &mut meta.ttl {
                ttl.building = false;
            }
        })?;
        expiry
            .built
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Finishes filling the expiry keyspace when an earlier process did not: nothing else
    /// writes while the table opens, so emptying it and filling it from the items as they
    /// are now makes it exact.
    pub(crate) fn resume_expiry_backfill(&self) -> Result<()> {
        let Some(expiry) = self.hooks.expiry.load_full() else {
            return Ok(());
        };
        if expiry.is_built() {
            return Ok(());
        }
        self.clear_keyspace(expiry.space)?;
        self.backfill_expiry(&expiry, &self.store.snapshot())?;
        let mut meta_file = lock(&self.meta_file);
        self.mark_expiry_built(&mut meta_file, &expiry)
    }
}
