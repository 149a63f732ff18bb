//! Running PartiQL statements: [`Dynafile::execute`] parses, binds and plans a statement,
//! then runs its plan through the table's own calls (queries, scans, conditional puts,
//! updates and deletes), whose evaluator decides every condition.

use std::collections::VecDeque;
use std::sync::Arc;

use super::parse::{Statement, parse};
use super::plan::{Plan, Read, Write, partition_key_path, plan};
use super::translate::bind;
use crate::error::{Error, Result};
use crate::expr::{Condition, evaluate};
use crate::index::Index;
use crate::item::Item;
use crate::items::Items;
use crate::key::{Key, KeySchema, describe_key, key_of_item};
use crate::table::{Dynafile, WriteOptions};
use crate::value::Value;

/// What a statement returns ([`Dynafile::execute`]).
///
/// Not `#[must_use]`: a write's output is often nothing worth reading.
#[derive(Debug)]
#[non_exhaustive]
pub enum StatementOutput {
    /// A SELECT's items, streamed as they are read.
    Items(SelectItems),
    /// What an INSERT, UPDATE or DELETE returns: the item its `RETURNING` clause asks for;
    /// `None` without one, or when there is no such item (a DELETE of a missing item, an
    /// UPDATE that returns only modified attributes when none were there before).
    Written(Option<Item>),
    /// What EXPLAIN returns: the statement's plan as one JSON object, with `kind` (`query`,
    /// `scan`, `insert`, `update`, `delete` or, for `EXISTS(SELECT ..)`, `condition_check`),
    /// `table`, `index` (the index a SELECT reads,
    /// else `null`), `key_condition`, `filter`, `projection`, `order` and `limit` for a
    /// SELECT, and `key`, `update`, `condition` and `returning` for the writes.
    Plan(serde_json::Value),
}

/// The items of a SELECT, in the order it reads them: a query's in sort key order (one
/// partition after another for `IN`, in the order written), a scan's in table order.
///
/// With `LIMIT n` (an extension: DynamoDB's PartiQL statement has none, its
/// `ExecuteStatement` takes a `Limit`), at most `n` items are *read*, counted before the
/// filter as DynamoDB's `Limit` counts them, and [`SelectItems::last_evaluated_key`] tells
/// where the read stopped when more items may remain.
#[must_use = "iterators do nothing unless consumed"]
pub struct SelectItems {
    db: Dynafile,
    read: Arc<Read>,
    /// The partitions still to query; empty for a scan.
    pending: VecDeque<Value>,
    /// The read in progress (boxed: it is large, and this type is moved around).
    current: Option<Box<Items>>,
    evaluated: usize,
    last_evaluated_key: Option<Key>,
    last_evaluated_index_key: Option<Item>,
    done: bool,
}

/// Where a SELECT resumes: after a table key, or for a read of an index, after an index key.
enum Start {
    Beginning,
    Key(Key),
    IndexKey(Item),
}

/// One PartiQL statement with its parameters and, for a SELECT, where to resume (DynamoDB's
/// `ExecuteStatement` request), built by [`Dynafile::execute_statement`] and run by
/// [`ExecuteStatement::execute`].
///
/// ```
/// use dynafile::{item, Dynafile, KeyType, StatementOutput};
/// # let dir = tempfile::tempdir()?;
/// # let db = Dynafile::builder(dir.path().join("log")).partition_key("PK", KeyType::S).sort_key("SK", KeyType::N).open()?;
/// for at in 1..=5 {
///     db.put_item(&item! { "PK" => "device#1", "SK" => at })?;
/// }
/// let mut pages = Vec::new();
/// let mut start = None;
/// loop {
///     let StatementOutput::Items(mut page) = db
///         .execute_statement("SELECT SK FROM log WHERE PK = ? LIMIT 2")
///         .param("device#1")
///         .start_after(start)
///         .execute()?
///     else {
///         unreachable!("a SELECT returns items");
///     };
///     pages.push(page.by_ref().collect::<Result<Vec<_>, _>>()?.len());
///     start = page.last_evaluated_key().cloned();
///     if start.is_none() {
///         break;
///     }
/// }
/// assert_eq!(pages, [2, 2, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a statement does nothing until executed"]
pub struct ExecuteStatement {
    db: Dynafile,
    statement: String,
    params: Vec<Value>,
    start_after: Option<Key>,
    start_after_index_key: Option<Item>,
}

impl ExecuteStatement {
    /// Adds the value of the next `?` parameter.
    pub fn param(mut self, value: impl Into<Value>) -> ExecuteStatement {
        self.params.push(value.into());
        self
    }

    /// Adds the values of the next `?` parameters, in order.
    pub fn params(mut self, values: impl IntoIterator<Item = Value>) -> ExecuteStatement {
        self.params.extend(values);
        self
    }

    /// Resumes a SELECT after this key: the [`SelectItems::last_evaluated_key`] of the run
    /// before, with the same statement; `None` starts at the beginning. Other statements
    /// refuse a start key.
    pub fn start_after(mut self, key: impl Into<Option<Key>>) -> ExecuteStatement {
        self.start_after = key.into();
        self
    }

    /// Resumes a SELECT of an index (`FROM "table"."index"`) after this index key: the
    /// [`SelectItems::last_evaluated_index_key`] of the run before, with the same statement
    /// (DynamoDB's `LastEvaluatedKey` of an index: the index's and the table's key
    /// attributes); `None` starts at the beginning.
    pub fn start_after_index_key(mut self, key: impl Into<Option<Item>>) -> ExecuteStatement {
        self.start_after_index_key = key.into();
        self
    }

    /// The statement's plan, as `EXPLAIN` of it returns ([`StatementOutput::Plan`]), without
    /// running it: the statement is parsed, bound and checked against the table (its keys,
    /// table name, index) as running it would check it, and nothing is read or written. A
    /// shell can check a statement so before it joins a transaction.
    pub fn explain(self) -> Result<serde_json::Value> {
        let db = &self.db;
        let statement = match bind(parse(&self.statement)?, self.params)? {
            Statement::Explain(inner) => *inner,
            statement => statement,
        };
        let schema = db.key_schema();
        let indexes = |name: &str| db.partiql_index(name);
        Ok(plan(statement, db.name(), schema, &indexes)?.explain(schema))
    }

    /// Runs the statement (see [`Dynafile::execute`]).
    pub fn execute(self) -> Result<StatementOutput> {
        let db = &self.db;
        let statement = bind(parse(&self.statement)?, self.params)?;
        let schema = db.key_schema();
        let indexes = |name: &str| db.partiql_index(name);
        let plan = match statement {
            Statement::Explain(inner) => {
                let plan = plan(*inner, db.name(), schema, &indexes)?;
                return Ok(StatementOutput::Plan(plan.explain(schema)));
            }
            statement => plan(statement, db.name(), schema, &indexes)?,
        };
        let start = match (self.start_after, self.start_after_index_key) {
            (Some(_), Some(_)) => {
                return Err(Error::validation(
                    "a SELECT resumes after a key or after an index key, not both",
                ));
            }
            (Some(key), None) => Start::Key(key),
            (None, Some(key)) => Start::IndexKey(key),
            (None, None) => Start::Beginning,
        };
        match (plan, start) {
            (Plan::Read(read), start) => {
                SelectItems::new(db.clone(), read, start).map(StatementOutput::Items)
            }
            (Plan::Write(_), Start::Key(_) | Start::IndexKey(_)) => {
                Err(Error::validation("only a SELECT resumes after a start key"))
            }
            (Plan::Write(write), Start::Beginning) => db.write_item(write),
        }
    }
}

impl Dynafile {
    /// A PartiQL statement to run with parameters and a start key; [`Dynafile::execute`]
    /// and [`Dynafile::execute_with`] are its short forms.
    pub fn execute_statement(&self, statement: impl Into<String>) -> ExecuteStatement {
        ExecuteStatement {
            db: self.clone(),
            statement: statement.into(),
            params: Vec::new(),
            start_after: None,
            start_after_index_key: None,
        }
    }

    /// The index `name` of this table, for a statement that reads it.
    pub(super) fn partiql_index(&self, name: &str) -> Result<Arc<Index>> {
        let known = self
            .table
            .hooks
            .indexes
            .load()
            .iter()
            .any(|index| index.name() == name);
        if !known {
            return Err(Error::validation(format!(
                "table `{}` has no index `{name}`",
                self.name()
            )));
        }
        self.table.index(name)
    }

    /// Runs one PartiQL statement, as DynamoDB's `ExecuteStatement` does: `SELECT`,
    /// `INSERT`, `UPDATE`, `DELETE`, or `EXPLAIN` of one of them.
    ///
    /// A SELECT whose WHERE clause gives the partition key with `=` or `IN` is a query, with
    /// a sort key condition (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with`) as its key
    /// condition; any other SELECT is a scan. `ORDER BY` takes only the sort key of a query.
    /// `FROM "table"."index"` reads a secondary index, planned the same way against the
    /// index's keys; its items hold what the index projects, and a SELECT naming an attribute
    /// the index does not project is refused.
    /// `INSERT` writes a new item and fails with [`Error::DuplicateItem`] when its key is
    /// taken. `UPDATE` and `DELETE` name the item's full key in their WHERE clause; what else
    /// it says is their condition ([`Error::ConditionalCheckFailed`] when it is false). As
    /// in DynamoDB, an UPDATE of a missing item fails its condition check, and a DELETE of a
    /// missing item succeeds, deleting nothing.
    ///
    /// A statement that does not parse is [`Error::Parse`] (with [`Error::excerpt`]); one
    /// that asks for what PartiQL for DynamoDB does not have, or names another table, is
    /// [`Error::Validation`].
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType, StatementOutput};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("shop"))
    ///     .partition_key("PK", KeyType::S)
    ///     .sort_key("SK", KeyType::S)
    ///     .open()?;
    /// db.execute("INSERT INTO shop VALUE {'PK': 'user#1', 'SK': 'order#1', 'total': 30}")?;
    /// db.execute("UPDATE shop SET total = total + 5 WHERE PK = 'user#1' AND SK = 'order#1'")?;
    /// let StatementOutput::Items(items) = db.execute("SELECT total FROM shop WHERE PK = 'user#1'")? else {
    ///     unreachable!("a SELECT returns items");
    /// };
    /// assert_eq!(items.collect::<Result<Vec<_>, _>>()?, vec![item! { "total" => 35 }]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&self, statement: &str) -> Result<StatementOutput> {
        self.execute_with(statement, std::iter::empty())
    }

    /// [`Dynafile::execute`] with values for the statement's `?` parameters, in order of
    /// appearance; there must be as many values as parameters.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType, StatementOutput, Value};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("shop")).partition_key("PK", KeyType::S).open()?;
    /// db.execute_with("INSERT INTO shop VALUE {'PK': ?, 'tags': ?}", [
    ///     Value::from("user#1"),
    ///     Value::L(vec!["new".into()]),
    /// ])?;
    /// let returned = db.execute_with("DELETE FROM shop WHERE PK = ? RETURNING ALL OLD *", ["user#1".into()])?;
    /// assert!(matches!(returned, StatementOutput::Written(Some(item)) if item["tags"] == Value::L(vec!["new".into()])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_with(
        &self,
        statement: &str,
        params: impl IntoIterator<Item = Value>,
    ) -> Result<StatementOutput> {
        self.execute_statement(statement).params(params).execute()
    }

    /// Runs an INSERT, UPDATE or DELETE through the table's conditional writes.
    fn write_item(&self, write: Write) -> Result<StatementOutput> {
        let schema = self.key_schema();
        match write {
            Write::Insert { item, key, .. } => {
                let mut options = WriteOptions::new();
                options.condition_ast = Some(insert_condition(schema));
                match self.put_item_with(&item, options) {
                    Err(Error::ConditionalCheckFailed { .. }) => Err(Error::DuplicateItem {
                        key: describe_key(schema, &key),
                    }),
                    written => written.map(|_| StatementOutput::Written(None)),
                }
            }
            Write::Update {
                key,
                update,
                condition,
                returning,
                ..
            } => {
                let condition = update_condition(schema, condition);
                crate::update_item::UpdateItem::built(self.clone(), key, update, Some(condition))
                    .return_values(returning)
                    .execute()
                    .map(StatementOutput::Written)
            }
            Write::Delete {
                key,
                condition,
                return_old,
                ..
            } => {
                let mut options = WriteOptions::new();
                options.return_old = return_old;
                options.condition_ast = delete_condition(schema, condition);
                self.delete_item_with(key, options)
                    .map(StatementOutput::Written)
            }
            Write::ConditionCheck { .. } => Err(Error::validation(
                "EXISTS(SELECT ..) is a condition check of a transaction; run it with \
                 execute_transaction, among writes",
            )),
        }
    }
}

/// An INSERT's condition: no item has its key.
pub(super) fn insert_condition(schema: &KeySchema) -> Condition {
    Condition::NotExists(partition_key_path(schema))
}

/// An UPDATE's condition: the item exists, and meets the rest of the WHERE clause.
pub(super) fn update_condition(schema: &KeySchema, rest: Option<Condition>) -> Condition {
    let exists = Condition::Exists(partition_key_path(schema));
    match rest {
        Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
        None => exists,
    }
}

/// A DELETE's condition: none when the WHERE clause is only the key; else the item is missing
/// (deleting nothing succeeds) or meets the rest of the clause.
pub(super) fn delete_condition(schema: &KeySchema, rest: Option<Condition>) -> Option<Condition> {
    rest.map(|rest| {
        Condition::Or(
            Box::new(Condition::NotExists(partition_key_path(schema))),
            Box::new(rest),
        )
    })
}

impl SelectItems {
    fn new(db: Dynafile, read: Read, start: Start) -> Result<SelectItems> {
        let read = Arc::new(read);
        let mut items = SelectItems {
            db,
            pending: read.partitions.clone().unwrap_or_default().into(),
            read,
            current: None,
            evaluated: 0,
            last_evaluated_key: None,
            last_evaluated_index_key: None,
            done: false,
        };
        let start_partition = match (&start, &items.read.index) {
            (Start::Beginning, _) => None,
            (Start::Key(key), None) => Some(key.partition.clone()),
            (Start::IndexKey(key), Some(index)) => key.get(&index.partition_key).cloned(),
            (Start::Key(_), Some(index)) => {
                return Err(Error::validation(format!(
                    "a SELECT of index `{}` resumes after an index key \
                     (start_after_index_key), the last_evaluated_index_key of its previous run",
                    index.name
                )));
            }
            (Start::IndexKey(_), None) => {
                return Err(Error::validation(
                    "an index key to resume after needs a SELECT of an index",
                ));
            }
        };
        if items.read.partitions.is_none() {
            items.current = Some(Box::new(items.start_scan(start)?));
            return Ok(items);
        }
        if let Some(partition) = start_partition {
            // Resume in the start key's partition: the ones before it were read.
            let Some(index) = items.pending.iter().position(|p| *p == partition) else {
                return Err(Error::validation(
                    "the start key is not in a partition the statement queries",
                ));
            };
            items.pending.drain(..index);
        } else if !matches!(start, Start::Beginning) {
            return Err(Error::validation(
                "the start key lacks the partition key of the index",
            ));
        }
        // Errors in the key condition show now, not at the first item.
        items.open_next(start)?;
        Ok(items)
    }

    /// Where the read stopped: the key of the last item read when the `LIMIT` stopped it
    /// before the end, else `None`. Meaningful once the iterator is exhausted; pass it to
    /// [`ExecuteStatement::start_after`] to read on.
    #[must_use]
    pub fn last_evaluated_key(&self) -> Option<&Key> {
        self.last_evaluated_key.as_ref()
    }

    /// For a SELECT of an index: where the read stopped, as an index key (the index's and
    /// the table's key attributes of the last item read) when the `LIMIT` stopped it before
    /// the end, else `None`. Meaningful once the iterator is exhausted; pass it to
    /// [`ExecuteStatement::start_after_index_key`] to read on.
    #[must_use]
    pub fn last_evaluated_index_key(&self) -> Option<&Item> {
        self.last_evaluated_index_key.as_ref()
    }

    fn remaining_limit(&self) -> Option<usize> {
        self.read
            .limit
            .map(|limit| limit.saturating_sub(self.evaluated))
    }

    fn filter_predicate(&self) -> Option<impl Fn(&Item) -> bool + Send + Sync + 'static> {
        let condition = self.read.filter.clone().map(Arc::new)?;
        Some(move |item: &Item| evaluate(&condition, item))
    }

    fn start_scan(&self, start: Start) -> Result<Items> {
        let mut scan = self.db.scan();
        if let Some(index) = &self.read.index {
            scan = scan.index(index.name.clone());
        }
        scan = match start {
            Start::Beginning => scan,
            Start::Key(key) => scan.start_after(key),
            Start::IndexKey(key) => scan.start_after_index_key(key),
        };
        if let Some(limit) = self.read.limit {
            scan = scan.limit(limit);
        }
        if let Some(filter) = self.filter_predicate() {
            scan = scan.filter(filter);
        }
        scan.iter()
    }

    /// Starts the query of the next pending partition (after `start_after` in it); false
    /// when none is left.
    fn open_next(&mut self, start: Start) -> Result<bool> {
        let Some(partition) = self.pending.pop_front() else {
            return Ok(false);
        };
        let mut query = self.db.query(partition);
        if let Some(index) = &self.read.index {
            query = query.index(index.name.clone());
        }
        query = match start {
            Start::Beginning => query,
            Start::Key(key) => query.start_after(key),
            Start::IndexKey(key) => query.start_after_index_key(key),
        };
        if let Some(sort) = &self.read.sort {
            query = query.sort_key(sort.clone());
        }
        if self.read.descending {
            query = query.reverse();
        }
        if let Some(limit) = self.remaining_limit() {
            query = query.limit(limit);
        }
        if let Some(filter) = self.filter_predicate() {
            query = query.filter(filter);
        }
        self.current = Some(Box::new(query.iter()?));
        Ok(true)
    }

    fn step(&mut self) -> Result<Option<Item>> {
        loop {
            let Some(current) = &mut self.current else {
                return Ok(None);
            };
            if let Some(item) = current.next().transpose()? {
                return Ok(Some(match &self.read.projection {
                    Some(projection) => projection.apply(&item),
                    None => item,
                }));
            }
            self.evaluated += current.evaluated();
            if let Some(key) = current.last_evaluated_key() {
                self.last_evaluated_key = Some(key);
                if self.read.index.is_some() {
                    self.last_evaluated_index_key = current.last_evaluated_index_key();
                }
                return Ok(None);
            }
            let last_read = if self.read.index.is_some() {
                current.last_read_index_key().map(|item| {
                    let key = key_of_item(self.db.key_schema(), &item).ok();
                    (key, Some(item))
                })
            } else {
                current.last_read_key().map(|key| (Some(key), None))
            };
            if self.remaining_limit() == Some(0) {
                // The limit is used up at the end of a partition: the next read resumes
                // after its last item, in the next partition.
                if !self.pending.is_empty()
                    && let Some((key, index_key)) = last_read
                {
                    self.last_evaluated_key = key;
                    self.last_evaluated_index_key = index_key;
                }
                return Ok(None);
            }
            self.current = None;
            if !self.open_next(Start::Beginning)? {
                return Ok(None);
            }
        }
    }
}

impl Iterator for SelectItems {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        if self.done {
            return None;
        }
        let next = self.step();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
            self.current = None;
        }
        next.transpose()
    }
}

impl std::iter::FusedIterator for SelectItems {}

impl std::fmt::Debug for SelectItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectItems")
            .field("pending", &self.pending.len())
            .field("evaluated", &self.evaluated)
            .field("last_evaluated_key", &self.last_evaluated_key)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
