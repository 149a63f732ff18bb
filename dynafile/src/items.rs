//! The iterator of items that queries and scans return, and pages of it.

use std::sync::Arc;

use std::ops::Bound;

use crate::error::Result;
use crate::expr::{
    Condition, ExpressionKind, Placeholders, Projection, Resolver, parse_condition,
    parse_key_condition, parse_projection,
};
use crate::filter::{Filter, all_match};
use crate::index::Index;
use crate::item::Item;
use crate::key::{Key, KeyDecoder, KeySchema, SortCondition, encode_key, key_of_item};
use crate::storage::{Direction, KeyBounds, StoreIter};
use crate::table::{Dynafile, Table};
use crate::ttl::ExpiryFilter;
use crate::value::Value;

/// Items read by a query or scan, streamed from storage in order; nothing is collected
/// first. Iterating yields `Result<Item>`: a read error ends the iteration.
///
/// With a limit, the iteration stops after that many items were *read* (before filtering,
/// as DynamoDB's `Limit` does), and [`Items::last_evaluated_key`] tells where to resume.
///
/// The iterator reads one consistent snapshot of the table, whatever is written meanwhile,
/// and keeps the table open (and its files alive) until it is dropped.
#[must_use = "iterators do nothing unless consumed"]
pub struct Items {
    table: Option<Arc<Table>>,
    /// The index read, for a read of an index.
    index: Option<Arc<Index>>,
    /// The key attributes (the table's and the index's) of the last entry read, for a read
    /// of an index with a limit.
    last_index_key: Option<Item>,
    inner: Option<StoreIter>,
    filters: Vec<Filter>,
    projection: Option<Arc<Projection>>,
    limit: Option<usize>,
    evaluated: usize,
    last_key: Vec<u8>,
    stopped_by_limit: bool,
    pending_error: Option<crate::Error>,
    done: bool,
    keys: KeyDecoder,
    /// Hides expired items, while the table has TTL.
    expiry: Option<ExpiryFilter>,
}

/// One page of results: the items and, when more remain, the key to resume after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// The items of this page (after filtering).
    pub items: Vec<Item>,
    /// The key of the last item read, when the limit stopped the read and more items remain
    /// (DynamoDB's `LastEvaluatedKey`); pass it to `start_after` for the next page. For a
    /// read of an index, the table key of the last item read.
    pub last_evaluated_key: Option<Key>,
    /// For a read of an index, DynamoDB's `LastEvaluatedKey`: the index's and the table's
    /// key attributes of the last item read, when the limit stopped the read and more items
    /// remain; pass it to `start_after_index_key` for the next page.
    pub last_evaluated_index_key: Option<Item>,
}

/// The keys a read covers and, for a query, the key prefix of its one partition (so that
/// storage can skip files that hold none of it).
pub(crate) struct ReadBounds {
    pub keys: KeyBounds,
    pub partition: Option<Vec<u8>>,
}

/// What queries and scans share: direction, limit, resume point, filters and expressions.
#[derive(Clone, Default)]
pub(crate) struct ReadOptions {
    pub reverse: bool,
    pub limit: Option<usize>,
    pub start_after: Option<Key>,
    /// Where a read of an index resumes: an index's `LastEvaluatedKey`.
    pub start_after_index_key: Option<Item>,
    /// The index read instead of the table.
    pub index: Option<String>,
    pub filters: Vec<Filter>,
    pub expressions: ReadExpressions,
}

/// The expressions of a query or scan as given, parsed when the read runs, all with the one
/// set of placeholders of the request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadExpressions {
    pub key_condition: Option<String>,
    pub filter: Option<String>,
    pub projection: Option<String>,
    pub placeholders: Placeholders,
}

/// [`ReadExpressions`] parsed.
pub(crate) struct CompiledRead {
    /// The partition key value and sort key condition of a key condition expression.
    pub key: Option<(Value, Option<SortCondition>)>,
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
}

impl ReadExpressions {
    /// Parses the expressions; a placeholder none of them uses is an error, as in DynamoDB.
    pub(crate) fn compile(&self, schema: &KeySchema) -> Result<CompiledRead> {
        let mut resolver = Resolver::new(&self.placeholders);
        let key = self
            .key_condition
            .as_deref()
            .map(|text| parse_key_condition(text, schema, &mut resolver))
            .transpose()?;
        let filter = self
            .filter
            .as_deref()
            .map(|text| parse_condition(ExpressionKind::Filter, text, &mut resolver))
            .transpose()?;
        let projection = self
            .projection
            .as_deref()
            .map(|text| parse_projection(text, &mut resolver))
            .transpose()?;
        resolver.finish()?;
        Ok(CompiledRead {
            key,
            filter,
            projection,
        })
    }
}

impl ReadOptions {
    /// Narrows `bounds` to the keys after `start` (an encoded resume key) in the read's
    /// direction.
    pub(crate) fn resume_after(&self, bounds: &KeyBounds, start: &[u8]) -> KeyBounds {
        if self.reverse {
            bounds.clamp(Bound::Unbounded, Bound::Excluded(start))
        } else {
            bounds.clamp(Bound::Excluded(start), Bound::Unbounded)
        }
    }

    /// The index the read names (built), if it names one.
    pub(crate) fn index(&self, db: &Dynafile) -> Result<Option<Arc<Index>>> {
        self.index
            .as_deref()
            .map(|name| db.table.index(name))
            .transpose()
    }

    /// The encoded key the read resumes after, if it resumes: a table key, or for a read of
    /// `index`, an index entry key.
    pub(crate) fn resume_key(
        &self,
        db: &Dynafile,
        index: Option<&Index>,
    ) -> Result<Option<Vec<u8>>> {
        let schema = db.key_schema();
        match (index, &self.start_after, &self.start_after_index_key) {
            (_, Some(_), Some(_)) => Err(crate::Error::validation(
                "a read resumes after a key or after an index key, not both",
            )),
            (None, Some(key), None) => encode_key(schema, key).map(Some),
            (None, None, Some(_)) => Err(crate::Error::validation(
                "an index key to resume after needs a read of an index",
            )),
            (Some(index), Some(_), None) => Err(crate::Error::validation(format!(
                "a read of index {:?} resumes after an index key (start_after_index_key), the \
                 last_evaluated_index_key of its previous page",
                index.name()
            ))),
            (Some(index), None, Some(start)) => {
                let table_key = encode_key(schema, &key_of_item(schema, start)?)?;
                index.entry_key_of(&table_key, start).map(Some)
            }
            (_, None, None) => Ok(None),
        }
    }

    /// Reads the keys within `bounds` from one snapshot of `db`'s table (or of `index`),
    /// keeping the items that pass the filters (and `filter`), projected by `projection`.
    pub(crate) fn read(
        &self,
        db: &Dynafile,
        index: Option<Arc<Index>>,
        compiled: CompiledRead,
        bounds: impl FnOnce() -> Result<ReadBounds>,
    ) -> Result<Items> {
        // A limit of 0 is refused, as DynamoDB does: it would read nothing and report no last
        // evaluated key, telling a caller who pages that nothing is left.
        if self.limit == Some(0) {
            return Err(crate::Error::validation("the limit must be at least 1"));
        }
        let ReadBounds {
            keys: bounds,
            partition,
        } = bounds()?;
        let direction = if self.reverse {
            Direction::Reverse
        } else {
            Direction::Forward
        };
        let table = Arc::clone(&db.table);
        // With a limit, at most `limit` items and one more (to tell whether more remain).
        let snapshot = table.store.snapshot();
        let expiry = ExpiryFilter::of_read(&table, index.as_deref(), &snapshot);
        let snapshot = match &index {
            Some(index) => snapshot.keyspace(index.space).ok_or_else(|| {
                crate::Error::validation(format!("index {:?} has no storage", index.name()))
            })?,
            None => snapshot,
        };
        let inner = snapshot.iter(
            bounds,
            direction,
            self.limit.map(|limit| limit + 1),
            partition.as_deref(),
        )?;
        let mut filters = self.filters.clone();
        if let Some(condition) = compiled.filter {
            filters.push(Filter::Condition(Arc::new(condition)));
        }
        let mut items = Items::new(table, inner, filters, self.limit);
        items.projection = compiled.projection.map(Arc::new);
        items.index = index;
        items.expiry = expiry;
        Ok(items)
    }
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("reverse", &self.reverse)
            .field("limit", &self.limit)
            .field("start_after", &self.start_after)
            .field("filters", &self.filters.len())
            .field("expressions", &self.expressions)
            .finish()
    }
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
            index: None,
            last_index_key: None,
            inner: Some(inner),
            filters,
            projection: None,
            limit,
            evaluated: 0,
            last_key: Vec::new(),
            stopped_by_limit: false,
            pending_error: None,
            done: false,
            keys: KeyDecoder::default(),
            expiry: None,
        }
    }

    /// An iterator that yields one error.
    pub(crate) fn failed(error: crate::Error) -> Items {
        Items {
            table: None,
            index: None,
            last_index_key: None,
            inner: None,
            filters: Vec::new(),
            projection: None,
            limit: None,
            evaluated: 0,
            last_key: Vec::new(),
            stopped_by_limit: false,
            pending_error: Some(error),
            done: false,
            keys: KeyDecoder::default(),
            expiry: None,
        }
    }

    /// Where to resume: the key of the last item read when the limit stopped the read and
    /// more items remain, else `None`. Meaningful once the iterator is exhausted.
    pub fn last_evaluated_key(&self) -> Option<Key> {
        if !self.stopped_by_limit {
            return None;
        }
        let table = self.table.as_ref()?;
        if self.index.is_some() {
            return key_of_item(table.schema(), self.last_index_key.as_ref()?).ok();
        }
        table.decode_key(&self.last_key).ok()
    }

    /// For a read of an index: where to resume, as DynamoDB's `LastEvaluatedKey` of an
    /// index (the index's and the table's key attributes of the last item read) when the
    /// limit stopped the read and more items remain, else `None`. Meaningful once the
    /// iterator is exhausted.
    pub fn last_evaluated_index_key(&self) -> Option<Item> {
        if !self.stopped_by_limit {
            return None;
        }
        self.last_index_key.clone()
    }

    /// How many items were read so far, before filtering.
    pub(crate) fn evaluated(&self) -> usize {
        self.evaluated
    }

    /// The key of the last item read, when the read has a limit (which is when it is kept).
    pub(crate) fn last_read_key(&self) -> Option<Key> {
        if self.last_key.is_empty() {
            return None;
        }
        self.table.as_ref()?.decode_key(&self.last_key).ok()
    }

    /// For a read of an index with a limit: the index key of the last item read, whether
    /// or not the limit stopped the read.
    pub(crate) fn last_read_index_key(&self) -> Option<Item> {
        self.last_index_key.clone()
    }

    /// Reads the rest of the items into a [`Page`].
    pub fn into_page(mut self) -> Result<Page> {
        let items = self.by_ref().collect::<Result<Vec<Item>>>()?;
        Ok(Page {
            last_evaluated_key: self.last_evaluated_key(),
            last_evaluated_index_key: self.last_evaluated_index_key(),
            items,
        })
    }

    fn step(&mut self) -> Result<Option<Item>> {
        let (Some(table), Some(inner)) = (&self.table, &mut self.inner) else {
            return Ok(None);
        };
        loop {
            let at_limit = self.limit.is_some_and(|limit| self.evaluated >= limit);
            if at_limit && self.expiry.is_none() {
                // Only report a resume key when something is left to resume to.
                self.stopped_by_limit = inner.next_entry()?.is_some();
                return Ok(None);
            }
            let Some((key, value)) = inner.next_entry()? else {
                return Ok(None);
            };
            let item = match &self.index {
                Some(index) => index.decode(value)?,
                None => table.decode_with(&mut self.keys, key, value)?,
            };
            // An expired item is not there: not read, not counted against the limit.
            if let Some(expiry) = &self.expiry
                && expiry.hides(table, &item)?
            {
                continue;
            }
            if at_limit {
                // Something visible is left to resume to.
                self.stopped_by_limit = true;
                return Ok(None);
            }
            self.evaluated += 1;
            if self.limit.is_some() {
                self.last_key.clear();
                self.last_key.extend_from_slice(key);
                if let Some(index) = &self.index {
                    self.last_index_key = Some(index.key_attributes(table.schema(), &item));
                }
            }
            if all_match(&self.filters, &item) {
                return Ok(Some(match &self.projection {
                    Some(projection) => projection.apply(&item),
                    None => item,
                }));
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

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("limit", &self.limit)
            .field("evaluated", &self.evaluated)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
