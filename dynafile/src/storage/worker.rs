//! The background worker: it syncs buffered writes within the sync interval, runs the
//! checkpoints writers ask for, and frees what checkpoints replaced once no reader holds it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::storage::memtable::MemTable;
use crate::storage::store::{Store, lock};
use crate::storage::version::Versions;

/// What a checkpoint replaced: kept until nothing else holds it, so that freeing a memtable
/// and deleting replaced files happen in the background worker, not in the thread of
/// whichever reader lets go of them last.
pub(crate) enum Retired {
    Versions(Arc<Versions>),
    Table(Arc<MemTable>),
}

impl Retired {
    fn unused(&self) -> bool {
        match self {
            Retired::Versions(versions) => Arc::strong_count(versions) == 1,
            Retired::Table(table) => Arc::strong_count(table) == 1,
        }
    }
}

#[derive(Default)]
pub(crate) struct BackgroundState {
    stop: bool,
    checkpoint_requested: bool,
}

impl Store {
    /// Starts the background worker (log syncs of buffered writes, checkpoints, freeing what
    /// checkpoints replaced) if it is not running. It starts with the first write: a table
    /// that is only read needs none.
    pub(crate) fn start_worker(self: &Arc<Self>) -> Result<()> {
        let mut worker = lock(&self.worker);
        if worker.is_some() || lock(&self.background).stop {
            return Ok(());
        }
        let store = Arc::clone(self);
        let handle = std::thread::Builder::new()
            .name("dynafile-background".into())
            .spawn(move || store.background_loop())
            .map_err(|e| Error::io(&self.dir, e))?;
        *worker = Some(handle);
        self.worker_started.store(true, Ordering::Release);
        Ok(())
    }

    /// Asks the background worker for a checkpoint.
    pub(crate) fn request_checkpoint(&self) {
        let mut state = lock(&self.background);
        state.checkpoint_requested = true;
        self.background_wake.notify_all();
    }

    pub(crate) fn background_loop(&self) {
        let mut state = lock(&self.background);
        loop {
            if state.stop {
                return;
            }
            if !state.checkpoint_requested {
                state = self
                    .background_wake
                    .wait_timeout(state, self.options.sync_interval)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                if state.stop {
                    return;
                }
            }
            let checkpoint = std::mem::take(&mut state.checkpoint_requested);
            drop(state);
            // Buffered writes become durable within the sync interval. A failure poisons
            // the log, and every later commit reports it.
            let appended = self.wal.last_appended();
            if appended > self.wal.durable_seq() {
                let _ = self.wal.sync_to(appended);
            }
            if checkpoint {
                let result = self.run_checkpoint();
                let mut checkpoint_state = lock(&self.checkpoint);
                checkpoint_state.failure = result.err().map(|e| e.to_string());
                drop(checkpoint_state);
                self.commit_resumed.notify_all();
            }
            self.free_retired();
            state = lock(&self.background);
        }
    }

    /// Drops what checkpoints retired and no reader holds any more.
    pub(crate) fn free_retired(&self) {
        let unused: Vec<Retired> = {
            let mut graveyard = lock(&self.graveyard);
            let (unused, held) = std::mem::take(&mut *graveyard)
                .into_iter()
                .partition(Retired::unused);
            *graveyard = held;
            unused
        };
        // Dropped here, outside the lock: deleting replaced files takes a while. A memtable
        // is not freed here but by the next writer (see `Store::commit_prepared`).
        for retired in unused {
            if let Retired::Table(table) = retired
                && let Ok(table) = Arc::try_unwrap(table)
            {
                lock(&self.unused_tables).push(table);
            }
        }
    }

    /// Stops the background worker and flushes. The store is still readable afterwards.
    pub(crate) fn shutdown(&self) -> Result<()> {
        {
            let mut state = lock(&self.background);
            state.stop = true;
            self.background_wake.notify_all();
        }
        if let Some(handle) = lock(&self.worker).take() {
            let _ = handle.join();
        }
        self.flush()
    }
}
