//! Queries: the items of one partition, in sort key order, within sort key conditions.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::Index;
use crate::item::Item;
use crate::items::{Items, Page, ReadBounds, ReadOptions};
use crate::key::{
    Key, KeyAttribute, KeyType, SortCondition, encode_sort_value, partition_prefix,
    prefix_successor,
};
use crate::storage::KeyBounds;
use crate::table::Dynafile;
use crate::value::Value;

/// A query of one partition, built with conditions and options, then run with
/// [`Query::iter`], [`Query::page`] or a `for` loop.
///
/// ```
/// use dynafile::{item, Dynafile, KeyType};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S).sort_key("SK", KeyType::S).open()?;
/// for sk in ["order#1", "order#2", "profile"] {
///     db.put_item(&item! { "PK" => "user#1", "SK" => sk })?;
/// }
/// let orders: Vec<_> = db.query("user#1").begins_with("order#").reverse().iter()?.collect::<Result<_, _>>()?;
/// assert_eq!(orders[0]["SK"], "order#2".into());
/// assert_eq!(orders.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Porting from the original Python dynafile: its `query(pk, starts_with=x)` is not a prefix
/// match but a start bound: forwards it returns the sort keys `>= x`, which is
/// `.ge(x)` here; with `scan_index_forward=False` it returns those `<= x` in descending order,
/// which is `.le(x).reverse()`. A prefix match is `.begins_with(x)`, as in DynamoDB.
#[derive(Clone)]
#[must_use = "a query does nothing until it is iterated"]
pub struct Query {
    db: Dynafile,
    /// The partition key value, unless the key condition expression gives it.
    partition: Option<Value>,
    sort: Option<SortCondition>,
    options: ReadOptions,
}

impl Query {
    pub(crate) fn new(db: Dynafile, partition: Value) -> Query {
        Query {
            db,
            partition: Some(partition),
            sort: None,
            options: ReadOptions::default(),
        }
    }

    pub(crate) fn with_key_condition(db: Dynafile, key_condition: String) -> Query {
        let mut query = Query {
            db,
            partition: None,
            sort: None,
            options: ReadOptions::default(),
        };
        query.options.expressions.key_condition = Some(key_condition);
        query
    }

    /// A condition on the sort key (replacing any set before; DynamoDB allows one).
    pub fn sort_key(mut self, condition: SortCondition) -> Query {
        self.sort = Some(condition);
        self
    }

    /// Sort key equal to `value`.
    pub fn eq(self, value: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Eq(value.into()))
    }

    /// Sort key below `value`.
    pub fn lt(self, value: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Lt(value.into()))
    }

    /// Sort key at most `value`.
    pub fn le(self, value: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Le(value.into()))
    }

    /// Sort key above `value`.
    pub fn gt(self, value: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Gt(value.into()))
    }

    /// Sort key at least `value`.
    pub fn ge(self, value: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Ge(value.into()))
    }

    /// Sort key between `low` and `high`, both included.
    pub fn between(self, low: impl Into<Value>, high: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::Between(low.into(), high.into()))
    }

    /// Sort key starting with `prefix` (string and binary sort keys).
    pub fn begins_with(self, prefix: impl Into<Value>) -> Query {
        self.sort_key(SortCondition::BeginsWith(prefix.into()))
    }

    /// Descending sort key order (DynamoDB's `ScanIndexForward: false`).
    pub fn reverse(mut self) -> Query {
        self.options.reverse = true;
        self
    }

    /// Ascending (`true`, the default) or descending order, as DynamoDB's `ScanIndexForward`.
    pub fn scan_index_forward(mut self, forward: bool) -> Query {
        self.options.reverse = !forward;
        self
    }

    /// Reads at most `limit` items (counted before the filter, as DynamoDB's `Limit`). A
    /// limit of 0 is refused when the read runs, as DynamoDB refuses it.
    pub fn limit(mut self, limit: usize) -> Query {
        self.options.limit = Some(limit);
        self
    }

    /// Starts after this key (DynamoDB's `ExclusiveStartKey`): pass the
    /// `last_evaluated_key` of the previous page; `None` starts at the beginning.
    pub fn start_after(mut self, key: impl Into<Option<Key>>) -> Query {
        self.options.start_after = key.into();
        self
    }

    /// Queries the secondary index `name` instead of the table: the partition key value
    /// and sort key conditions are the index's, items come in the index's sort key order
    /// (items sharing an index key in table key order), and each holds the index's
    /// projected attributes. Every other option applies as to the table; resume a paged
    /// read with [`Query::start_after_index_key`]. Strongly consistent: the index holds
    /// every write that returned before the query started (DynamoDB's global indexes are
    /// eventually consistent).
    ///
    /// ```
    /// use dynafile::{item, Dynafile, IndexProjection, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("db"))
    ///     .partition_key("PK", KeyType::S)
    ///     .sort_key("SK", KeyType::S)
    ///     .local_index("by_date", "date", KeyType::S, IndexProjection::All)
    ///     .open()?;
    /// db.put_item(&item! { "PK" => "u1", "SK" => "order#1", "date" => "2024-05-02" })?;
    /// db.put_item(&item! { "PK" => "u1", "SK" => "order#2", "date" => "2024-04-30" })?;
    /// let may = db.query("u1").index("by_date").begins_with("2024-05").page()?;
    /// assert_eq!(may.items[0]["SK"], "order#1".into());
    /// assert_eq!(may.items.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn index(mut self, name: impl Into<String>) -> Query {
        self.options.index = Some(name.into());
        self
    }

    /// Starts a query of an index after this key (DynamoDB's `ExclusiveStartKey` of an
    /// index): pass the `last_evaluated_index_key` of the previous page; `None` starts at
    /// the beginning.
    pub fn start_after_index_key(mut self, key: impl Into<Option<Item>>) -> Query {
        self.options.start_after_index_key = key.into();
        self
    }

    /// Keeps only the items for which `predicate` is true. Several filters must all hold.
    pub fn filter(mut self, predicate: impl Fn(&Item) -> bool + Send + Sync + 'static) -> Query {
        self.options
            .filters
            .push(Filter::Predicate(Arc::new(predicate)));
        self
    }

    /// Keeps only the items for which the filter expression holds (DynamoDB's
    /// `FilterExpression`, replacing any set before), such as `"age < :max"` or, in the
    /// original dynafile's syntax, `"SK =~ /^a/"`; see [`Scan::filter_expression`](crate::Scan::filter_expression)
    /// for the grammar. It is parsed when the query runs; closures of [`Query::filter`] must
    /// hold too.
    pub fn filter_expression(mut self, expression: impl Into<String>) -> Query {
        self.options.expressions.filter = Some(expression.into());
        self
    }

    /// Returns only these attributes of each item (DynamoDB's `ProjectionExpression`):
    /// paths separated by commas, such as `"name, tags[0], address.city"`; nested ones stay
    /// nested. The filter sees whole items.
    pub fn projection(mut self, expression: impl Into<String>) -> Query {
        self.options.expressions.projection = Some(expression.into());
        self
    }

    /// Defines the name placeholder `#placeholder` (DynamoDB's `ExpressionAttributeNames`),
    /// for attribute names that are not plain words. The `#` may be left out.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> Query {
        self.options
            .expressions
            .placeholders
            .name(placeholder, attribute);
        self
    }

    /// Defines the value placeholder `:placeholder` (DynamoDB's `ExpressionAttributeValues`).
    /// The `:` may be left out. Every placeholder must be used by one of the query's
    /// expressions, as DynamoDB requires.
    pub fn value(mut self, placeholder: &str, value: impl Into<Value>) -> Query {
        self.options
            .expressions
            .placeholders
            .value(placeholder, value);
        self
    }

    fn index_bounds(
        &self,
        index: &Index,
        partition: &Value,
        sort: Option<&SortCondition>,
    ) -> Result<ReadBounds> {
        let (bounds, prefix) = index.query_bounds(partition, sort)?;
        self.resumed(bounds, prefix, Some(index))
    }

    /// The read of the partition whose keys start with `prefix`, within `bounds`, narrowed
    /// to the keys past the resume key when the query resumes.
    fn resumed(
        &self,
        mut bounds: KeyBounds,
        prefix: Vec<u8>,
        index: Option<&Index>,
    ) -> Result<ReadBounds> {
        if let Some(start) = self.options.resume_key(&self.db, index)? {
            if !start.starts_with(&prefix) {
                return Err(Error::validation(
                    "the start key is not in the queried partition",
                ));
            }
            bounds = self.options.resume_after(&bounds, &start);
        }
        Ok(ReadBounds {
            keys: bounds,
            partition: Some(prefix),
        })
    }

    fn bounds(&self, partition: &Value, sort: Option<&SortCondition>) -> Result<ReadBounds> {
        let schema = self.db.key_schema();
        let prefix = partition_prefix(schema, partition)?;
        let partition_end = match prefix_successor(&prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        let mut bounds = KeyBounds {
            start: Bound::Included(prefix.clone()),
            end: partition_end.clone(),
        };
        if let Some(condition) = sort {
            let Some(attribute) = &schema.sort_key else {
                return Err(Error::validation(format!(
                    "a sort key condition needs a sort key, and the table has none ({schema})"
                )));
            };
            // One key per sort key value: it starts the value's keys, and its successor
            // (the key with a 0 byte appended) ends them.
            bounds = sort_key_bounds(attribute, condition, &prefix, |value, edge| {
                let mut key = prefix.clone();
                encode_sort_value(attribute, value, &mut key)?;
                if edge == SortEdge::Past {
                    key.push(0);
                }
                Ok(key)
            })?;
        }
        self.resumed(bounds, prefix, None)
    }

    /// Runs the query. Errors in the query itself (a wrongly typed key, a sort condition on
    /// a table without sort key, an invalid expression) are returned here.
    pub fn iter(&self) -> Result<Items> {
        let index = self.options.index(&self.db)?;
        let schema = index
            .as_ref()
            .map_or(self.db.key_schema(), |index| index.schema());
        let mut compiled = self.options.expressions.compile(schema)?;
        let (partition, sort) = match (compiled.key.take(), &self.partition) {
            (Some(_), _) if self.sort.is_some() => {
                return Err(Error::validation(
                    "a query takes its sort key condition from its key condition expression or \
                     from the builder's methods, not both",
                ));
            }
            (Some(key), _) => key,
            (None, Some(partition)) => (partition.clone(), self.sort.clone()),
            (None, None) => {
                return Err(Error::validation("a query needs a partition key value"));
            }
        };
        let bounds = || match &index {
            Some(index) => self.index_bounds(index, &partition, sort.as_ref()),
            None => self.bounds(&partition, sort.as_ref()),
        };
        self.options.read(&self.db, index.clone(), compiled, bounds)
    }

    /// Runs the query and collects one page.
    pub fn page(&self) -> Result<Page> {
        self.iter()?.into_page()
    }
}

/// Where a sort key value's keys lie, for [`sort_key_bounds`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortEdge {
    /// The bytes every key of a sort key starting with the value starts with.
    Prefix,
    /// The first key of the value.
    First,
    /// The first key past every key of the value.
    Past,
}

/// The keys of one partition (whose keys start with `prefix`) within a sort key condition,
/// given where each sort key value's keys lie (`edge`). Tables and indexes lay their sort
/// keys out differently; the conditions mean the same on both.
pub(crate) fn sort_key_bounds(
    attribute: &KeyAttribute,
    condition: &SortCondition,
    prefix: &[u8],
    edge: impl Fn(&Value, SortEdge) -> Result<Vec<u8>>,
) -> Result<KeyBounds> {
    let partition_start = Bound::Included(prefix.to_vec());
    let partition_end = match prefix_successor(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    };
    let first = |v: &Value| edge(v, SortEdge::First);
    let past = |v: &Value| edge(v, SortEdge::Past);
    Ok(match condition {
        SortCondition::Eq(v) => KeyBounds {
            start: Bound::Included(first(v)?),
            end: Bound::Excluded(past(v)?),
        },
        SortCondition::Lt(v) => KeyBounds {
            start: partition_start,
            end: Bound::Excluded(first(v)?),
        },
        SortCondition::Le(v) => KeyBounds {
            start: partition_start,
            end: Bound::Excluded(past(v)?),
        },
        SortCondition::Gt(v) => KeyBounds {
            start: Bound::Included(past(v)?),
            end: partition_end,
        },
        SortCondition::Ge(v) => KeyBounds {
            start: Bound::Included(first(v)?),
            end: partition_end,
        },
        SortCondition::Between(low, high) => {
            let (low, high_first, high) = (first(low)?, first(high)?, past(high)?);
            if low > high_first {
                return Err(Error::invalid_attribute(
                    &attribute.name,
                    "BETWEEN needs its lower bound at most its upper bound",
                ));
            }
            KeyBounds {
                start: Bound::Included(low),
                end: Bound::Excluded(high),
            }
        }
        SortCondition::BeginsWith(v) => {
            if attribute.key_type == KeyType::N {
                return Err(Error::invalid_attribute(
                    &attribute.name,
                    "begins_with needs a string or binary sort key",
                ));
            }
            let start = edge(v, SortEdge::Prefix)?;
            let end = match prefix_successor(&start) {
                Some(end) => Bound::Excluded(end),
                None => partition_end,
            };
            KeyBounds {
                start: Bound::Included(start),
                end,
            }
        }
    })
}

impl IntoIterator for Query {
    type Item = Result<Item>;
    type IntoIter = Items;

    /// Runs the query; an error in the query itself is the first item.
    fn into_iter(self) -> Items {
        self.iter().unwrap_or_else(Items::failed)
    }
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
