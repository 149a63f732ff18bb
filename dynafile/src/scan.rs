//! Scans: every item of the table, or of one segment of it.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::Index;
use crate::item::Item;
use crate::items::{Items, Page, ReadBounds, ReadOptions};
use crate::key::Key;
use crate::storage::KeyBounds;
use crate::table::Dynafile;
use crate::value::Value;

/// Most segments a scan may be split into (DynamoDB's limit).
pub const MAX_SEGMENTS: u32 = 1_000_000;

/// A scan of the table, built with options, then run with [`Scan::iter`], [`Scan::page`] or
/// a `for` loop.
///
/// Items come in table order: by the hash of the partition key (as DynamoDB places
/// partitions), and within a partition by sort key. Segments split the hash space into
/// disjoint ranges that together cover the table, so several threads can each scan one:
///
/// ```
/// use dynafile::{item, Dynafile, KeyType};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
/// for i in 0..100 {
///     db.put_item(&item! { "PK" => format!("user#{i}") })?;
/// }
/// let counts: Vec<usize> = std::thread::scope(|s| {
///     let handles: Vec<_> = (0..3).map(|i| {
///         let db = db.clone();
///         s.spawn(move || db.scan().segment(i, 3).into_iter().count())
///     }).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// assert_eq!(counts.iter().sum::<usize>(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use = "a scan does nothing until it is iterated"]
pub struct Scan {
    db: Dynafile,
    segment: Option<(u32, u32)>,
    options: ReadOptions,
}

impl Scan {
    pub(crate) fn new(db: Dynafile) -> Scan {
        Scan {
            db,
            segment: None,
            options: ReadOptions::default(),
        }
    }

    /// Scans only segment `segment` of `total` (DynamoDB's `Segment` and `TotalSegments`):
    /// segments are disjoint hash ranges that together cover the table.
    pub fn segment(mut self, segment: u32, total: u32) -> Scan {
        self.segment = Some((segment, total));
        self
    }

    /// Scans in reverse table order (an extension: DynamoDB's scans have no order).
    pub fn reverse(mut self) -> Scan {
        self.options.reverse = true;
        self
    }

    /// Reads at most `limit` items (counted before the filter, as DynamoDB's `Limit`). A
    /// limit of 0 is refused when the read runs, as DynamoDB refuses it.
    pub fn limit(mut self, limit: usize) -> Scan {
        self.options.limit = Some(limit);
        self
    }

    /// Starts after this key (DynamoDB's `ExclusiveStartKey`); `None` starts at the beginning.
    pub fn start_after(mut self, key: impl Into<Option<Key>>) -> Scan {
        self.options.start_after = key.into();
        self
    }

    /// Scans the secondary index `name` instead of the table: its entries in index order
    /// (by the hash of the index partition key, then index sort key, then table key), each
    /// the item's projected attributes, with every option of a scan (segments split the
    /// index's hash space). Resume a paged scan with [`Scan::start_after_index_key`].
    /// Strongly consistent, as [`Query::index`](crate::Query::index).
    pub fn index(mut self, name: impl Into<String>) -> Scan {
        self.options.index = Some(name.into());
        self
    }

    /// Starts a scan of an index after this key: the `last_evaluated_index_key` of the
    /// previous page; `None` starts at the beginning.
    pub fn start_after_index_key(mut self, key: impl Into<Option<Item>>) -> Scan {
        self.options.start_after_index_key = key.into();
        self
    }

    /// Keeps only the items for which `predicate` is true. Several filters must all hold.
    pub fn filter(mut self, predicate: impl Fn(&Item) -> bool + Send + Sync + 'static) -> Scan {
        self.options
            .filters
            .push(Filter::Predicate(Arc::new(predicate)));
        self
    }

    /// Keeps only the items for which the filter expression holds (DynamoDB's
    /// `FilterExpression`, replacing any set before). It is parsed when the scan runs;
    /// closures of [`Scan::filter`] must hold too.
    ///
    /// The grammar is DynamoDB's: comparisons `=`, `<>`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `IN
    /// (..)`, `AND`, `OR`, `NOT`, parentheses, and the functions `attribute_exists`,
    /// `attribute_not_exists`, `attribute_type`, `begins_with`, `contains` and `size`, over
    /// paths (`a.b[0]`, `#name`) and `:value`s. As extensions, it also reads the original
    /// dynafile's filter strings: `==`, `!=`, inline literals (`'text'`, `12`, `true`, `null`,
    /// `[1, 2]`), `x in [..]`, `x in 'a', 'b'`, `'admin' in roles` (membership),
    /// `ip in 10.0.0.0/8`, and `path =~ /regex/flags` (flags `i`, `m`, `s`).
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).open()?;
    /// db.put_item(&item! { "PK" => "u1", "age" => 9 })?;
    /// db.put_item(&item! { "PK" => "u2", "age" => 40 })?;
    /// let young = db.scan().filter_expression("age < :max").value(":max", 10).page()?;
    /// assert_eq!(young.items, vec![item! { "PK" => "u1", "age" => 9 }]);
    /// let by_regex = db.scan().filter_expression("PK =~ /^u2$/").page()?;
    /// assert_eq!(by_regex.items.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter_expression(mut self, expression: impl Into<String>) -> Scan {
        self.options.expressions.filter = Some(expression.into());
        self
    }

    /// Returns only these attributes of each item (DynamoDB's `ProjectionExpression`):
    /// paths separated by commas; nested ones stay nested. The filter sees whole items.
    pub fn projection(mut self, expression: impl Into<String>) -> Scan {
        self.options.expressions.projection = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder`; the `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> Scan {
        self.options
            .expressions
            .placeholders
            .name(placeholder, attribute);
        self
    }

    /// Defines the value placeholder `:placeholder`; the `:` may be left out. Every
    /// placeholder must be used by one of the scan's expressions, as DynamoDB requires.
    pub fn value(mut self, placeholder: &str, value: impl Into<Value>) -> Scan {
        self.options
            .expressions
            .placeholders
            .value(placeholder, value);
        self
    }

    fn bounds(&self, index: Option<&Index>) -> Result<ReadBounds> {
        let mut bounds = KeyBounds::all();
        if let Some((segment, total)) = self.segment {
            if total == 0 || total > MAX_SEGMENTS {
                return Err(Error::validation(format!(
                    "the total number of segments must be 1 to {MAX_SEGMENTS}, not {total}"
                )));
            }
            if segment >= total {
                return Err(Error::validation(format!(
                    "segment {segment} is not below the total of {total} segments"
                )));
            }
            let (low, high) = segment_hashes(segment, total);
            bounds.start = Bound::Included(low.to_be_bytes().to_vec());
            if let Some(high) = high {
                bounds.end = Bound::Excluded(high.to_be_bytes().to_vec());
            }
        }
        if let Some(start) = self.options.resume_key(&self.db, index)? {
            // Keys begin with their hash, so segment bounds compare directly with keys.
            if !bounds.after_start(&start) || !bounds.before_end(&start) {
                return Err(Error::validation(
                    "the start key is not in the scanned segment",
                ));
            }
            bounds = self.options.resume_after(&bounds, &start);
        }
        Ok(ReadBounds {
            keys: bounds,
            partition: None,
        })
    }

    /// Runs the scan.
    pub fn iter(&self) -> Result<Items> {
        let index = self.options.index(&self.db)?;
        let compiled = self.options.expressions.compile(self.db.key_schema())?;
        self.options.read(&self.db, index.clone(), compiled, || {
            self.bounds(index.as_deref())
        })
    }

    /// Runs the scan and collects one page.
    pub fn page(&self) -> Result<Page> {
        self.iter()?.into_page()
    }
}

impl IntoIterator for Scan {
    type Item = Result<Item>;
    type IntoIter = Items;

    /// Runs the scan; an error in the scan itself is the first item.
    fn into_iter(self) -> Items {
        self.iter().unwrap_or_else(Items::failed)
    }
}

/// The hash range of segment `segment` of `total`: `[low, high)`, `high` `None` at the end.
fn segment_hashes(segment: u32, total: u32) -> (u64, Option<u64>) {
    let edge = |index: u32| -> u128 { (u128::from(index) << 64) / u128::from(total) };
    let low = edge(segment) as u64;
    let high = (segment + 1 < total).then(|| edge(segment + 1) as u64);
    (low, high)
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("segment", &self.segment)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_tile_the_hash_space() {
        for total in 1..=16u32 {
            let mut expected_low = 0u64;
            for segment in 0..total {
                let (low, high) = segment_hashes(segment, total);
                assert_eq!(
                    low, expected_low,
                    "segment {segment} of {total} starts where the previous ended"
                );
                match high {
                    Some(high) => {
                        assert!(high > low);
                        expected_low = high;
                    }
                    None => assert_eq!(segment, total - 1),
                }
            }
        }
    }
}
