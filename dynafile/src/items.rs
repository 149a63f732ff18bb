//! The iterator of items that queries and scans return, and pages of it.

use std::sync::Arc;

use crate::error::Result;
use crate::filter::{Filter, all_match};
use crate::item::Item;
use crate::key::Key;
use crate::storage::StoreIter;
use crate::table::Table;

/// Items read by a query or scan, streamed from storage in order; nothing is collected
/// first. Iterating yields `Result<Item>`: a read error ends the iteration.
///
/// With a limit, the iteration stops after that many items were *read* (before filtering,
/// as DynamoDB's `Limit` does), and [`Items::last_evaluated_key`] tells where to resume.
#[must_use = "iterators do nothing unless consumed"]
pub struct Items {
    table: Option<Arc<Table>>,
    inner: Option<StoreIter>,
    filters: Vec<Filter>,
    limit: Option<usize>,
    evaluated: usize,
    last_key: Vec<u8>,
    stopped_by_limit: bool,
    pending_error: Option<crate::Error>,
    done: bool,
}

/// One page of results: the items and, when more remain, the key to resume after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// The items of this page (after filtering).
    pub items: Vec<Item>,
    /// The key of the last item read, when the limit stopped the read and more items remain
    /// (DynamoDB's `LastEvaluatedKey`); pass it to `start_after` for the next page.
    pub last_evaluated_key: Option<Key>,
}

/// Refuses a limit of 0, as DynamoDB does: a read that may read nothing could never report
/// where to resume, and would look like an empty result.
pub(crate) fn check_limit(limit: Option<usize>) -> Result<()> {
    if limit == Some(0) {
        return Err(crate::Error::validation("the limit must be at least 1"));
    }
    Ok(())
}

impl Items {
    pub(crate) fn new(
        table: Arc<Table>,
        inner: StoreIter,
        filters: Vec<Filter>,
        limit: Option<usize>,
    ) -> Items {
        Items {
            table: Some(table),
            inner: Some(inner),
            filters,
            limit,
            evaluated: 0,
            last_key: Vec::new(),
            stopped_by_limit: false,
            pending_error: None,
            done: false,
        }
    }

    /// An iterator that yields one error.
    pub(crate) fn failed(error: crate::Error) -> Items {
        Items {
            table: None,
            inner: None,
            filters: Vec::new(),
            limit: None,
            evaluated: 0,
            last_key: Vec::new(),
            stopped_by_limit: false,
            pending_error: Some(error),
            done: false,
        }
    }

    /// Where to resume: the key of the last item read when the limit stopped the read and
    /// more items remain, else `None`. Meaningful once the iterator is exhausted.
    pub fn last_evaluated_key(&self) -> Option<Key> {
        if !self.stopped_by_limit {
            return None;
        }
        self.table.as_ref()?.decode_key(&self.last_key).ok()
    }

    /// Reads the rest of the items into a [`Page`].
    pub fn into_page(mut self) -> Result<Page> {
        let items = self.by_ref().collect::<Result<Vec<Item>>>()?;
        Ok(Page {
            last_evaluated_key: self.last_evaluated_key(),
            items,
        })
    }

    fn step(&mut self) -> Result<Option<Item>> {
        let (Some(table), Some(inner)) = (&self.table, &mut self.inner) else {
            return Ok(None);
        };
        loop {
            if self.limit.is_some_and(|limit| self.evaluated >= limit) {
                // Only report a resume key when something is left to resume to.
                self.stopped_by_limit = inner.next_entry()?.is_some();
                return Ok(None);
            }
            let Some((key, value)) = inner.next_entry()? else {
                return Ok(None);
            };
            self.evaluated += 1;
            if self.limit.is_some() {
                self.last_key.clear();
                self.last_key.extend_from_slice(key);
            }
            let item = table.decode(key, value)?;
            if all_match(&self.filters, &item) {
                return Ok(Some(item));
            }
        }
    }
}

impl Iterator for Items {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        if let Some(error) = self.pending_error.take() {
            self.done = true;
            return Some(Err(error));
        }
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl std::iter::FusedIterator for Items {}
