//! PartiQL transactions (DynamoDB's `ExecuteTransaction`): a list of statements run as one
//! transaction, all writes through [`Dynafile::transact_write`] (one log record, all or
//! nothing) or all reads through [`Dynafile::transact_get`] (one snapshot).

use super::exec::{delete_condition, insert_condition, update_condition};
use super::parse::{Statement, parse};
use super::plan::{Plan, Read, Write, plan};
use super::translate::bind;
use crate::error::{CancellationReason, Error, Result, TransactionPart};
use crate::expr;
use crate::item::Item;
use crate::key::{Key, KeySchema, SortCondition, encode_key};
use crate::table::Dynafile;
use crate::transact::{TransactWriteItem, check_count, check_distinct, in_item};
use crate::update_item::ReturnValues;
use crate::value::Value;

/// One statement of a transaction, planned: a read of one item, or one action.
enum Planned {
    Read {
        key: Key,
        projection: Option<expr::Projection>,
    },
    Write {
        key: Key,
        /// Boxed: an action is much larger than a read.
        action: Box<TransactWriteItem>,
        /// An INSERT: its failed condition is a duplicate key.
        insert: bool,
    },
}

impl Planned {
    fn key(&self) -> &Key {
        match self {
            Planned::Read { key, .. } | Planned::Write { key, .. } => key,
        }
    }
}

impl Dynafile {
    /// Runs PartiQL statements as one transaction, as DynamoDB's `ExecuteTransaction` does:
    /// up to 100 statements on distinct items, either all writes or all reads.
    ///
    /// Writes are `INSERT`, `UPDATE`, `DELETE` and `EXISTS(SELECT * FROM t WHERE <full key>
    /// [AND condition])`, a condition check (DynamoDB's `ConditionCheck`) that holds when the
    /// item exists and meets the condition. They commit as one log record, all or none; when
    /// one fails, nothing is written and the result is [`Error::TransactionCanceled`] with one
    /// reason per statement, in order: [`CancellationReason::DuplicateItem`] for an INSERT of
    /// a key that is taken, [`CancellationReason::ConditionalCheckFailed`] for an UPDATE of a
    /// missing item or a condition that is false, [`CancellationReason::None`] for the others.
    /// Writes return nothing, as in DynamoDB: the result is empty, and `RETURNING` is
    /// refused.
    ///
    /// Reads are SELECTs of one item by its full key (`WHERE PK = .. AND SK = ..`, nothing
    /// else), read from one snapshot: the result has each statement's item (projected as
    /// its SELECT says), `None` where there is none.
    ///
    /// Mixing reads and writes, a SELECT that is not of one item by its full key, two
    /// statements on one item, or a bad statement is an [`Error::Validation`] (or
    /// [`Error::Parse`]) naming the statement, and nothing is written. Errors speak of
    /// statements throughout, numbered from 0 in the order given: `(statement 1)` ends the
    /// message of one about the second (a key of the wrong type, an item over 400 KB), and a
    /// cancellation's `reasons_by` is [`TransactionPart::Statement`](crate::TransactionPart)
    /// (`transaction canceled, reasons by statement: [..]`).
    ///
    /// ```
    /// use dynafile::{item, CancellationReason, Dynafile, Error, KeyType};
    /// # let dir = tempfile::tempdir()?;
    /// let db = Dynafile::builder(dir.path().join("bank")).partition_key("PK", KeyType::S).open()?;
    /// db.execute("INSERT INTO bank VALUE {'PK': 'alice', 'balance': 50}")?;
    /// db.execute_transaction(&[
    ///     "UPDATE bank SET balance = balance - 30 WHERE PK = 'alice' AND balance >= 30",
    ///     "INSERT INTO bank VALUE {'PK': 'bob', 'balance': 30}",
    /// ])?;
    /// let Err(Error::TransactionCanceled { reasons, .. }) = db.execute_transaction(&[
    ///     "UPDATE bank SET balance = balance - 30 WHERE PK = 'alice' AND balance >= 30",
    ///     "INSERT INTO bank VALUE {'PK': 'bob', 'balance': 30}",
    /// ]) else {
    ///     panic!("alice has 20 left, and bob exists");
    /// };
    /// assert!(matches!(reasons[0], CancellationReason::ConditionalCheckFailed { .. }));
    /// assert_eq!(reasons[1], CancellationReason::DuplicateItem);
    /// let read = db.execute_transaction(&[
    ///     "SELECT balance FROM bank WHERE PK = 'alice'",
    ///     "SELECT * FROM bank WHERE PK = 'carol'",
    /// ])?;
    /// assert_eq!(read, vec![Some(item! { "balance" => 20 }), None]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_transaction(&self, statements: &[&str]) -> Result<Vec<Option<Item>>> {
        self.execute_transaction_with(statements.iter().map(|statement| (*statement, Vec::new())))
    }

    /// [`Dynafile::execute_transaction`] with values for each statement's `?` parameters:
    /// pairs of a statement and its values, in order.
    ///
    /// ```
    /// use dynafile::{item, Dynafile, KeyType, Value};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Dynafile::builder(dir.path().join("bank")).partition_key("PK", KeyType::S).open()?;
    /// db.execute_transaction_with([
    ///     ("INSERT INTO bank VALUE {'PK': ?, 'balance': ?}", vec![Value::from("alice"), Value::from(5)]),
    ///     ("INSERT INTO bank VALUE {'PK': ?, 'balance': ?}", vec![Value::from("bob"), Value::from(7)]),
    /// ])?;
    /// assert_eq!(db.get_item(dynafile::Key::new("bob"))?, Some(item! { "PK" => "bob", "balance" => 7 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_transaction_with<S: AsRef<str>>(
        &self,
        statements: impl IntoIterator<Item = (S, Vec<Value>)>,
    ) -> Result<Vec<Option<Item>>> {
        let statements: Vec<(S, Vec<Value>)> = statements.into_iter().collect();
        check_count(statements.len(), "a transaction", STATEMENT.noun())?;
        let planned = statements
            .into_iter()
            .enumerate()
            .map(|(index, (statement, params))| {
                self.plan_in_transaction(statement.as_ref(), params)
                    .map_err(|error| in_statement(index, error))
            })
            .collect::<Result<Vec<Planned>>>()?;
        let first_read = planned
            .iter()
            .position(|p| matches!(p, Planned::Read { .. }));
        let first_write = planned
            .iter()
            .position(|p| matches!(p, Planned::Write { .. }));
        if let (Some(read), Some(write)) = (first_read, first_write) {
            return Err(Error::validation(format!(
                "a transaction is all reads (SELECT) or all writes (INSERT, UPDATE, DELETE, \
                 EXISTS), not both: statement {write} writes and statement {read} reads"
            )));
        }
        let keys = planned
            .iter()
            .enumerate()
            .map(|(index, statement)| {
                encode_key(self.key_schema(), statement.key())
                    .map_err(|error| in_statement(index, error))
            })
            .collect::<Result<Vec<_>>>()?;
        check_distinct(keys.iter().map(Vec::as_slice), STATEMENT.noun())?;
        if first_read.is_some() {
            self.read_transaction(planned)
        } else {
            self.write_transaction(planned)
        }
    }

    /// Parses, binds and plans one statement of a transaction.
    fn plan_in_transaction(&self, statement: &str, params: Vec<Value>) -> Result<Planned> {
        let statement = bind(parse(statement)?, params)?;
        if matches!(statement, Statement::Explain(_)) {
            return Err(Error::validation("EXPLAIN cannot run in a transaction"));
        }
        let schema = self.key_schema();
        let indexes = |name: &str| self.partiql_index(name);
        match plan(statement, self.name(), schema, &indexes)? {
            Plan::Read(read) => self.singleton(read),
            Plan::Write(write) => planned_write(write, schema),
        }
    }

    /// A SELECT of a transaction: one item by its full key.
    fn singleton(&self, read: Read) -> Result<Planned> {
        let schema = self.key_schema();
        let refuse = || {
            let key = match &schema.sort_key {
                Some(sort) => format!(
                    "`{} = value AND {} = value`",
                    schema.partition_key.name, sort.name
                ),
                None => format!("`{} = value`", schema.partition_key.name),
            };
            Error::validation(format!(
                "a SELECT in a transaction reads one item of the table by its full key, {key}, \
                 with no other condition, ORDER BY or LIMIT"
            ))
        };
        if read.index.is_some() || read.filter.is_some() || read.ordered || read.limit.is_some() {
            return Err(refuse());
        }
        let Some([partition]) = read.partitions.as_deref() else {
            return Err(refuse());
        };
        let key = match (&schema.sort_key, &read.sort) {
            (None, None) => Key::new(partition.clone()),
            (Some(_), Some(SortCondition::Eq(sort))) => {
                Key::new(partition.clone()).sort(sort.clone())
            }
            _ => return Err(refuse()),
        };
        Ok(Planned::Read {
            key,
            projection: read.projection,
        })
    }

    fn read_transaction(&self, planned: Vec<Planned>) -> Result<Vec<Option<Item>>> {
        let mut keys = Vec::with_capacity(planned.len());
        let mut projections = Vec::with_capacity(planned.len());
        for statement in planned {
            if let Planned::Read { key, projection } = statement {
                keys.push(key);
                projections.push(projection);
            }
        }
        let items = self.transact_get(keys)?;
        Ok(items
            .into_iter()
            .zip(projections)
            .map(|(item, projection)| match (item, projection) {
                (Some(item), Some(projection)) => Some(projection.apply(&item)),
                (item, _) => item,
            })
            .collect())
    }

    fn write_transaction(&self, planned: Vec<Planned>) -> Result<Vec<Option<Item>>> {
        let count = planned.len();
        let mut inserts = Vec::with_capacity(count);
        let mut actions = Vec::with_capacity(count);
        for statement in planned {
            if let Planned::Write { action, insert, .. } = statement {
                inserts.push(insert);
                actions.push(*action);
            }
        }
        // Errors of the actions name them as the statements they are, in the same order.
        match self
            .transact_write()
            .called(STATEMENT)
            .actions(actions)
            .execute()
        {
            Ok(()) => Ok(Vec::new()),
            Err(Error::TransactionCanceled {
                reasons,
                reasons_by,
            }) => Err(Error::TransactionCanceled {
                reasons_by,
                reasons: reasons
                    .into_iter()
                    .zip(inserts)
                    .map(|(reason, insert)| match reason {
                        // DynamoDB's ExecuteTransaction reports an INSERT of a taken key so.
                        CancellationReason::ConditionalCheckFailed { .. } if insert => {
                            CancellationReason::DuplicateItem
                        }
                        other => other,
                    })
                    .collect(),
            }),
            Err(other) => Err(other),
        }
    }
}

/// A write of a transaction as its action, with the condition it runs under alone.
fn planned_write(write: Write, schema: &KeySchema) -> Result<Planned> {
    let no_returning = || {
        Error::validation(
            "a write in a transaction returns nothing: RETURNING is not supported there",
        )
    };
    Ok(match write {
        Write::Insert { item, key, .. } => Planned::Write {
            key,
            action: Box::new(
                TransactWriteItem::put(item).condition_built(insert_condition(schema)),
            ),
            insert: true,
        },
        Write::Update {
            key,
            update,
            condition,
            returning,
            ..
        } => {
            if returning != ReturnValues::None {
                return Err(no_returning());
            }
            Planned::Write {
                action: Box::new(
                    TransactWriteItem::update_built(key.clone(), update)
                        .condition_built(update_condition(schema, condition)),
                ),
                key,
                insert: false,
            }
        }
        Write::Delete {
            key,
            condition,
            return_old,
            ..
        } => {
            if return_old {
                return Err(no_returning());
            }
            let mut action = TransactWriteItem::delete(key.clone());
            if let Some(condition) = delete_condition(schema, condition) {
                action = action.condition_built(condition);
            }
            Planned::Write {
                key,
                action: Box::new(action),
                insert: false,
            }
        }
        Write::ConditionCheck { key, condition, .. } => Planned::Write {
            action: Box::new(TransactWriteItem::condition_check_built(
                key.clone(),
                condition,
            )),
            key,
            insert: false,
        },
    })
}

/// What the errors of a PartiQL transaction call its parts.
const STATEMENT: TransactionPart = TransactionPart::Statement;

/// Says which statement an error is about.
fn in_statement(index: usize, error: Error) -> Error {
    match error {
        Error::Parse {
            line,
            column,
            message,
            statement,
        } => Error::Parse {
            line,
            column,
            message: format!("{message} (statement {index})"),
            statement,
        },
        other => in_item(index, other, STATEMENT.noun()),
    }
}
