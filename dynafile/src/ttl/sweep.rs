//! The sweep: deletes the expired items, reading only the expiry entries of the seconds
//! that passed, in small commits through the write pipeline; and the background thread
//! that runs it every [`Builder::ttl_sweep_interval`](crate::Builder::ttl_sweep_interval).

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::storage::{Direction, Durability, KeyBounds, lock};
use crate::table::{Dynafile, Table};
use crate::ttl::{Expiry, max_age_seconds, second_prefix, table_key_of};
use crate::write::ItemChange;

/// Expired items one sweep commit deletes: the commit lock is held for about as long as a
/// batch write of this many deletes takes.
const SWEEP_CHUNK: usize = 128;

impl Dynafile {
    /// Deletes the items that have expired now, as the background sweep does, and returns
    /// how many it deleted. Each deletion is a conditional delete through the write
    /// pipeline: the item must still be expired when its delete commits (a write that
    /// moved its expiry forward meanwhile wins), its index entries go with it, and change
    /// streams show a REMOVE with the old image and [`EventOrigin::Ttl`](crate::EventOrigin::Ttl).
    ///
    /// It reads only the expiry entries of the seconds that passed (at most
    /// [`MAX_EXPIRED_AGE`](crate::MAX_EXPIRED_AGE) back), so its cost follows what
    /// expired, not the table's size. Without TTL, or while TTL is still being enabled, it
    /// deletes nothing.
    pub fn sweep_expired(&self) -> Result<usize> {
        self.table.sweep(&AtomicBool::new(false))
    }
}

impl Table {
    /// Sweeps the expired items, stopping between commits once `stop` is set.
    pub(crate) fn sweep(&self, stop: &AtomicBool) -> Result<usize> {
        let Some(expiry) = self.hooks.expiry.load_full() else {
            return Ok(0);
        };
        if !expiry.is_built() {
            return Ok(0);
        }
        let now = self.now_seconds();
        let bounds = KeyBounds {
            start: Bound::Included(second_prefix(now.saturating_sub(max_age_seconds())).to_vec()),
            end: Bound::Excluded(second_prefix(now).to_vec()),
        };
        let snapshot = self
            .store
            .snapshot()
            .keyspace(expiry.space)
            .ok_or_else(|| {
                Error::validation(format!(
                    "the expiry keyspace {} of the table is missing",
                    expiry.space
                ))
            })?;
        let mut entries = snapshot.iter(bounds, Direction::Forward, None, None)?;
        let mut deleted = 0;
        while !stop.load(Ordering::Acquire) {
            let mut keys = Vec::with_capacity(SWEEP_CHUNK);
            while keys.len() < SWEEP_CHUNK {
                let Some((entry, _)) = entries.next_entry()? else {
                    break;
                };
                if let Some(table_key) = table_key_of(entry) {
                    keys.push(table_key.to_vec());
                }
            }
            if keys.is_empty() {
                break;
            }
            self.ttl
                .entries_read
                .fetch_add(keys.len() as u64, Ordering::Relaxed);
            // A lost sweep delete is redone by the next sweep: no need to wait for a sync.
            let count = self.commit_changes(Durability::Buffered, |latest| {
                self.expired_changes(&expiry, latest, keys)
            })?;
            self.ttl
                .items_deleted
                .fetch_add(count as u64, Ordering::Relaxed);
            deleted += count;
        }
        Ok(deleted)
    }

    /// The deletes of the items under `keys` that are still expired in `latest` at this
    /// moment, while TTL is still `expiry` (under the commit lock, so exact).
    fn expired_changes(
        &self,
        expiry: &Arc<Expiry>,
        latest: &crate::storage::Snapshot,
        keys: Vec<Vec<u8>>,
    ) -> Result<(Vec<ItemChange>, usize)> {
        let current = self.hooks.expiry.load();
        if !current.as_ref().is_some_and(|now| Arc::ptr_eq(now, expiry)) {
            return Ok((Vec::new(), 0));
        }
        let now = self.now_seconds();
        let mut changes = Vec::new();
        for key in keys {
            let Some(item) = self.get_unfiltered(latest, &key)? else {
                continue;
            };
            if expiry.has_expired(&item, now) {
                changes.push(ItemChange::expire(key));
            }
        }
        let count = changes.len();
        Ok((changes, count))
    }
}

/// What tells the sweeper thread to stop, and wakes it.
#[derive(Debug, Default)]
struct Signal {
    stopped: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// The background sweeper of an open table: started when TTL is enabled (at open or
/// later), stopped and joined when the last [`Dynafile`] handle goes. The thread holds the
/// table only while a sweep runs, so it never keeps a closed table open.
#[derive(Debug, Default)]
pub(crate) struct SweeperGuard {
    signal: Arc<Signal>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SweeperGuard {
    /// Starts the thread sweeping `table` every `interval`, unless it runs already.
    pub(crate) fn start(&self, table: &Arc<Table>, interval: Duration) -> Result<()> {
        let mut thread = lock(&self.thread);
        if thread.is_some() {
            return Ok(());
        }
        let weak: Weak<Table> = Arc::downgrade(table);
        let signal = Arc::clone(&self.signal);
        let handle = std::thread::Builder::new()
            .name("dynafile-ttl-sweep".into())
            .spawn(move || run(&weak, &signal, interval))
            .map_err(|e| Error::io("the TTL sweep thread", e))?;
        *thread = Some(handle);
        Ok(())
    }
}

fn run(table: &Weak<Table>, signal: &Signal, interval: Duration) {
    loop {
        {
            let guard = lock(&signal.lock);
            if signal.stopped.load(Ordering::Acquire) {
                return;
            }
            let _waited = signal.wake.wait_timeout(guard, interval);
        }
        if signal.stopped.load(Ordering::Acquire) {
            return;
        }
        let Some(table) = table.upgrade() else {
            return;
        };
        // A failed sweep (a full disk) is retried at the next interval; the items stay
        // invisible meanwhile.
        let _ = table.sweep(&signal.stopped);
    }
}

impl Drop for SweeperGuard {
    fn drop(&mut self) {
        {
            let _guard = lock(&self.signal.lock);
            self.signal.stopped.store(true, Ordering::Release);
            self.signal.wake.notify_all();
        }
        let thread = match self.thread.get_mut() {
            Ok(thread) => thread.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::storage::Durability;
    use crate::{Dynafile, Key, KeyType, ManualClock, item};

    /// The sweep read an entry, then a write moved the item's expiry forward before the
    /// sweep's delete committed: the delete's check under the commit lock keeps the item.
    #[test]
    fn an_item_extended_after_the_sweep_read_its_entry_is_kept() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let clock = Arc::new(ManualClock::at_epoch_seconds(1_000));
        let db = Dynafile::builder(dir.path().join("db"))
            .partition_key("PK", KeyType::S)
            .ttl_attribute("expires_at")
            .clock(clock)
            .ttl_sweep_interval(None)
            .open()?;
        let table = &db.table;
        let expiry = table.hooks.expiry.load_full().expect("TTL is enabled");
        for pk in ["kept", "swept"] {
            db.put_item(&item! { "PK" => pk, "expires_at" => 999 })?;
        }
        let keys = vec![
            table.encode_key(Key::new("kept"))?,
            table.encode_key(Key::new("swept"))?,
        ];
        db.put_item(&item! { "PK" => "kept", "expires_at" => 2_000 })?;
        let deleted = table.commit_changes(Durability::Immediate, |latest| {
            table.expired_changes(&expiry, latest, keys)
        })?;
        assert_eq!(deleted, 1);
        assert_eq!(
            db.get_item(Key::new("kept"))?,
            Some(item! { "PK" => "kept", "expires_at" => 2_000 })
        );
        db.disable_ttl()?;
        assert_eq!(db.get_item(Key::new("swept"))?, None);
        Ok(())
    }
}
