//! Planning: the one place that decides how a bound statement runs.
//!
//! A SELECT whose WHERE clause gives the partition key with `=` (or `IN`, one query per
//! value) is a query: one sort key condition joins it as the key condition, and the rest of
//! the clause is the filter. Any other SELECT is a scan filtered by its whole WHERE clause.
//! UPDATE and DELETE must give the item's full key; what else their WHERE clause says is
//! their condition. The plan is what runs ([`exec`](super::exec)) and what EXPLAIN prints.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::expr::{Comparison, Expr, Function, Path};
use super::parse::{Insert, Projection, Returning, Select, Statement, Update, UpdateAction};
use super::translate;
use crate::error::{Error, Result};
use crate::expr::{self, Condition};
use crate::index::Index;
use crate::item::Item;
use crate::key::{
    Key, KeySchema, SortCondition, describe_key, encode_sort_value, key_of_item, partition_prefix,
};
use crate::update_item::ReturnValues;
use crate::value::Value;

/// How a statement runs.
#[derive(Debug)]
pub(crate) enum Plan {
    /// A SELECT.
    Read(Read),
    /// An INSERT, UPDATE or DELETE.
    Write(Write),
}

/// How an INSERT, UPDATE or DELETE writes its one item.
#[derive(Debug)]
pub(crate) enum Write {
    /// An INSERT: a put of a new item.
    Insert {
        /// The table's name.
        table: String,
        /// The item.
        item: Item,
        /// Its key.
        key: Key,
    },
    /// An UPDATE of one item.
    Update {
        /// The item's key.
        key: Key,
        /// The actions.
        update: expr::Update,
        /// The statement's condition beyond the key, if any.
        condition: Option<Condition>,
        /// What to return.
        returning: ReturnValues,
        /// How EXPLAIN shows it.
        text: WriteText,
    },
    /// An `EXISTS(SELECT ..)` of a transaction: a condition check of one item.
    ConditionCheck {
        /// The item's key.
        key: Key,
        /// The condition: the item exists and meets the rest of the WHERE clause.
        condition: Condition,
        /// How EXPLAIN shows it.
        text: WriteText,
    },
    /// A DELETE of one item.
    Delete {
        /// The item's key.
        key: Key,
        /// The statement's condition beyond the key, if any.
        condition: Option<Condition>,
        /// `RETURNING ALL OLD *`.
        return_old: bool,
        /// How EXPLAIN shows it.
        text: WriteText,
    },
}

/// The statement text of an UPDATE's or DELETE's parts, for EXPLAIN.
#[derive(Debug)]
pub(crate) struct WriteText {
    table: String,
    update: Option<String>,
    condition: Option<String>,
    returning: Option<Returning>,
}

/// The index a SELECT reads.
#[derive(Debug)]
pub(crate) struct IndexRead {
    /// The index's name.
    pub(crate) name: String,
    /// The index's partition key attribute: where an index start key names its partition.
    pub(crate) partition_key: String,
}

/// Finds a table's secondary index by name, or says why it cannot be read.
pub(crate) type IndexLookup<'a> = &'a dyn Fn(&str) -> Result<Arc<Index>>;

/// How a SELECT reads.
#[derive(Debug)]
pub(crate) struct Read {
    /// The table's name.
    pub(crate) table: String,
    /// The secondary index read instead of the table, from `FROM "table"."index"`.
    pub(crate) index: Option<IndexRead>,
    /// A query of these partitions, in this order; `None` for a scan.
    pub(crate) partitions: Option<Vec<Value>>,
    /// The sort key condition of each query.
    pub(crate) sort: Option<SortCondition>,
    /// The filter.
    pub(crate) filter: Option<Condition>,
    /// The attributes to return; `None` for all.
    pub(crate) projection: Option<expr::Projection>,
    /// Descending sort key order (`ORDER BY sk DESC`).
    pub(crate) descending: bool,
    /// `ORDER BY` was given.
    pub(crate) ordered: bool,
    /// At most this many items are read (`LIMIT`).
    pub(crate) limit: Option<usize>,
    /// The key condition and filter as PartiQL, for EXPLAIN.
    key_condition_text: Option<String>,
    filter_text: Option<String>,
}

/// Plans a bound statement (no `?` left) against the table `table` with `schema`, whose
/// indexes `indexes` finds.
pub(crate) fn plan(
    statement: Statement,
    table: &str,
    schema: &KeySchema,
    indexes: IndexLookup<'_>,
) -> Result<Plan> {
    match statement {
        Statement::Select(select) => plan_select(select, table, schema, indexes).map(Plan::Read),
        Statement::Insert(insert) => plan_insert(insert, table, schema),
        Statement::Update(update) => plan_update(update, table, schema),
        Statement::Delete(delete) => {
            check_table(&delete.table, table)?;
            if let Some(returning) = delete.returning
                && returning != Returning::AllOld
            {
                return Err(Error::validation(format!(
                    "DELETE can only return ALL OLD *, not {returning}"
                )));
            }
            let (key, rest) = full_key(delete.condition, schema, "DELETE")?;
            Ok(Plan::Write(Write::Delete {
                key,
                condition: rest.as_ref().map(translate::condition).transpose()?,
                return_old: delete.returning.is_some(),
                text: WriteText {
                    table: delete.table,
                    update: None,
                    condition: rest.as_ref().map(conjunct_text),
                    returning: delete.returning,
                },
            }))
        }
        Statement::Exists(select) => plan_exists(select, table, schema),
        Statement::Explain(_) => Err(Error::validation(
            "EXPLAIN explains a statement, not another EXPLAIN",
        )),
    }
}

fn check_table(named: &str, table: &str) -> Result<()> {
    if named == table {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "the statement names table `{named}`, but this table is `{table}`"
        )))
    }
}

fn plan_select(
    select: Select,
    table: &str,
    table_schema: &KeySchema,
    indexes: IndexLookup<'_>,
) -> Result<Read> {
    check_table(&select.table, table)?;
    let index = select.index.as_deref().map(indexes).transpose()?;
    // A read of an index is planned against the index's keys.
    let schema = index.as_ref().map_or(table_schema, |index| index.schema());
    let limit = match select.limit {
        Some(0) => return Err(Error::validation("LIMIT must be at least 1")),
        Some(limit) => Some(usize::try_from(limit).unwrap_or(usize::MAX)),
        None => None,
    };
    let projection = match &select.projection {
        Projection::All => None,
        Projection::Paths(paths) => {
            if let Some(index) = &index {
                check_projected(paths, index, table_schema)?;
            }
            Some(projection(paths)?)
        }
    };
    let mut conjuncts = Vec::new();
    if let Some(condition) = select.condition {
        flatten_and(condition, &mut conjuncts);
    }
    let partitions = take_partitions(&mut conjuncts, schema)?;
    let sort = match (&partitions, &schema.sort_key) {
        (Some(_), Some(_)) => take_sort_condition(&mut conjuncts, schema)?,
        _ => None,
    };
    let key_condition_text = partitions
        .as_ref()
        .map(|values| key_condition_text(schema, values, sort.as_ref()));
    let (descending, ordered) = match &select.order_by {
        None => (false, false),
        Some(order) => {
            let Some(sort_key) = &schema.sort_key else {
                let source = match &select.index {
                    Some(index) => format!("index `{index}`"),
                    None => format!("table `{table}`"),
                };
                return Err(Error::validation(format!(
                    "ORDER BY needs a sort key, and {source} has none"
                )));
            };
            if order.key != sort_key.name {
                return Err(Error::validation(format!(
                    "ORDER BY takes the sort key `{}`, not `{}`",
                    sort_key.name, order.key
                )));
            }
            if partitions.is_none() {
                return Err(Error::validation(format!(
                    "ORDER BY needs a query: the WHERE clause must give the partition key `{}` with = or IN",
                    schema.partition_key.name
                )));
            }
            (order.descending, true)
        }
    };
    let rest = join_and(conjuncts);
    Ok(Read {
        table: select.table,
        index: index.map(|index| IndexRead {
            name: index.name().to_owned(),
            partition_key: index.schema().partition_key.name.clone(),
        }),
        partitions,
        sort,
        filter: rest.as_ref().map(translate::condition).transpose()?,
        projection,
        descending,
        ordered,
        limit,
        key_condition_text,
        filter_text: rest.as_ref().map(conjunct_text),
    })
}

/// Refuses a projected path the index does not hold: its entries have only the attributes
/// it projects, and a read of an index does not fetch the others from the table.
fn check_projected(paths: &[Path], index: &Index, table: &KeySchema) -> Result<()> {
    match paths.iter().find(|path| !index.projects(table, &path.root)) {
        Some(path) => Err(Error::validation(format!(
            "index `{}` does not project the attribute `{}`; a SELECT of an index returns only \
             the attributes the index projects",
            index.name(),
            path_name(&path.root)
        ))),
        None => Ok(()),
    }
}

/// The projection of `SELECT a, b.c`: paths that do not overlap.
fn projection(paths: &[Path]) -> Result<expr::Projection> {
    let mut translated: Vec<expr::Path> = Vec::with_capacity(paths.len());
    for path in paths {
        let next = translate::path(path);
        if let Some(earlier) = translated.iter().position(|other| other.overlaps(&next)) {
            return Err(Error::validation(format!(
                "the projected paths `{}` and `{path}` overlap; each may be named once",
                paths[earlier]
            )));
        }
        translated.push(next);
    }
    Ok(expr::Projection::new(translated))
}

/// Splits a condition into the operands of its top-level ANDs, in order.
fn flatten_and(expr: Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::And(left, right) => {
            flatten_and(*left, out);
            flatten_and(*right, out);
        }
        other => out.push(other),
    }
}

/// The conjuncts joined by AND again; `None` when there are none.
fn join_and(conjuncts: Vec<Expr>) -> Option<Expr> {
    conjuncts
        .into_iter()
        .reduce(|left, right| Expr::And(Box::new(left), Box::new(right)))
}

fn is_attribute(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Path(path) if path.steps.is_empty() && path.root == name)
}

/// `name = value` or `value = name`: the value.
fn equality<'e>(expr: &'e Expr, name: &str) -> Option<&'e Value> {
    let Expr::Compare {
        left,
        op: Comparison::Eq,
        right,
    } = expr
    else {
        return None;
    };
    match (left.as_ref(), right.as_ref()) {
        (attribute, Expr::Literal(value)) if is_attribute(attribute, name) => Some(value),
        (Expr::Literal(value), attribute) if is_attribute(attribute, name) => Some(value),
        _ => None,
    }
}

/// Takes the first conjunct that gives the partition key (`= value` or `IN [values]`) out of
/// `conjuncts`: the values to query, duplicates dropped. `None` (and nothing taken) when no
/// conjunct gives it.
fn take_partitions(conjuncts: &mut Vec<Expr>, schema: &KeySchema) -> Result<Option<Vec<Value>>> {
    let name = &schema.partition_key.name;
    let found = conjuncts.iter().enumerate().find_map(|(index, conjunct)| {
        if let Some(value) = equality(conjunct, name) {
            return Some((index, vec![value.clone()]));
        }
        let Expr::In { value, list } = conjunct else {
            return None;
        };
        if !is_attribute(value, name) {
            return None;
        }
        let values: Option<Vec<Value>> = list
            .iter()
            .map(|candidate| match candidate {
                Expr::Literal(value) => Some(value.clone()),
                _ => None,
            })
            .collect();
        values.map(|values| (index, values))
    });
    let Some((index, values)) = found else {
        return Ok(None);
    };
    conjuncts.remove(index);
    let mut distinct: Vec<Value> = Vec::with_capacity(values.len());
    for value in values {
        partition_prefix(schema, &value)?;
        if !distinct.contains(&value) {
            distinct.push(value);
        }
    }
    Ok(Some(distinct))
}

/// Takes the first conjunct that a query can use as its sort key condition out of
/// `conjuncts`.
fn take_sort_condition(
    conjuncts: &mut Vec<Expr>,
    schema: &KeySchema,
) -> Result<Option<SortCondition>> {
    let Some(attribute) = &schema.sort_key else {
        return Ok(None);
    };
    let name = &attribute.name;
    let found = conjuncts
        .iter()
        .enumerate()
        .find_map(|(index, conjunct)| sort_condition(conjunct, name).map(|c| (index, c)));
    let Some((index, condition)) = found else {
        return Ok(None);
    };
    conjuncts.remove(index);
    let values: Vec<&Value> = match &condition {
        SortCondition::Eq(v)
        | SortCondition::Lt(v)
        | SortCondition::Le(v)
        | SortCondition::Gt(v)
        | SortCondition::Ge(v)
        | SortCondition::BeginsWith(v) => vec![v],
        SortCondition::Between(low, high) => vec![low, high],
    };
    for value in values {
        encode_sort_value(attribute, value, &mut Vec::new())?;
    }
    Ok(Some(condition))
}

fn sort_condition(conjunct: &Expr, name: &str) -> Option<SortCondition> {
    let literal = |expr: &Expr| match expr {
        Expr::Literal(value) => Some(value.clone()),
        _ => None,
    };
    match conjunct {
        Expr::Compare { left, op, right } => {
            let (value, op) = if is_attribute(left, name) {
                (literal(right)?, *op)
            } else if is_attribute(right, name) {
                (literal(left)?, flipped(*op))
            } else {
                return None;
            };
            match op {
                Comparison::Eq => Some(SortCondition::Eq(value)),
                Comparison::Lt => Some(SortCondition::Lt(value)),
                Comparison::Le => Some(SortCondition::Le(value)),
                Comparison::Gt => Some(SortCondition::Gt(value)),
                Comparison::Ge => Some(SortCondition::Ge(value)),
                Comparison::Ne => None,
            }
        }
        Expr::Between { value, low, high } if is_attribute(value, name) => {
            Some(SortCondition::Between(literal(low)?, literal(high)?))
        }
        Expr::Call {
            function: Function::BeginsWith,
            args,
        } => match args.as_slice() {
            [path, prefix] if is_attribute(path, name) => {
                Some(SortCondition::BeginsWith(literal(prefix)?))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `a < b` read from `b`'s side: `b > a`.
fn flipped(op: Comparison) -> Comparison {
    match op {
        Comparison::Lt => Comparison::Gt,
        Comparison::Le => Comparison::Ge,
        Comparison::Gt => Comparison::Lt,
        Comparison::Ge => Comparison::Le,
        other => other,
    }
}

/// Takes the full key out of an UPDATE's or DELETE's WHERE clause: the key, and the rest of
/// the clause.
fn full_key(condition: Expr, schema: &KeySchema, statement: &str) -> Result<(Key, Option<Expr>)> {
    let mut conjuncts = Vec::new();
    flatten_and(condition, &mut conjuncts);
    let mut take = |name: &str| -> Option<Value> {
        let index = conjuncts
            .iter()
            .position(|conjunct| equality(conjunct, name).is_some())?;
        match conjuncts.remove(index) {
            Expr::Compare { left, right, .. } => match (*left, *right) {
                (Expr::Literal(value), _) | (_, Expr::Literal(value)) => Some(value),
                _ => None,
            },
            _ => None,
        }
    };
    let needed = || match &schema.sort_key {
        Some(sort) => format!(
            "`{} = value AND {} = value`",
            schema.partition_key.name, sort.name
        ),
        None => format!("`{} = value`", schema.partition_key.name),
    };
    let missing = |name: &str| {
        Error::validation(format!(
            "{statement} needs the item's full key in its WHERE clause, {}; `{name}` is not given with =",
            needed()
        ))
    };
    let partition =
        take(&schema.partition_key.name).ok_or_else(|| missing(&schema.partition_key.name))?;
    let mut key = Key::new(partition);
    if let Some(sort) = &schema.sort_key {
        key = key.sort(take(&sort.name).ok_or_else(|| missing(&sort.name))?);
    }
    // Validates the key's types now, so that EXPLAIN reports what running would.
    crate::key::encode_key(schema, &key)?;
    Ok((key, join_and(conjuncts)))
}

/// The path of the table's partition key, which every item has: the condition that an item
/// exists, or with NOT, that it does not.
pub(crate) fn partition_key_path(schema: &KeySchema) -> expr::Path {
    expr::Path(vec![expr::PathElement::Name(
        schema.partition_key.name.clone(),
    )])
}

/// `EXISTS(SELECT * FROM t WHERE <full key> [AND condition])`: true when the item exists and
/// meets the condition.
fn plan_exists(select: Select, table: &str, schema: &KeySchema) -> Result<Plan> {
    check_table(&select.table, table)?;
    if let Some(index) = &select.index {
        return Err(Error::validation(format!(
            "EXISTS checks an item of the table, not of index `{index}`"
        )));
    }
    if select.order_by.is_some() || select.limit.is_some() {
        return Err(Error::validation(
            "the SELECT of EXISTS takes no ORDER BY or LIMIT",
        ));
    }
    // No WHERE clause: `full_key` reports the missing key.
    let condition = select.condition.unwrap_or(Expr::Literal(Value::Bool(true)));
    let (key, rest) = full_key(condition, schema, "the SELECT of EXISTS")?;
    let exists = Condition::Exists(partition_key_path(schema));
    let condition = match rest.as_ref().map(translate::condition).transpose()? {
        Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
        None => exists,
    };
    Ok(Plan::Write(Write::ConditionCheck {
        key,
        condition,
        text: WriteText {
            table: select.table,
            update: None,
            condition: rest.as_ref().map(conjunct_text),
            returning: None,
        },
    }))
}

fn plan_insert(insert: Insert, table: &str, schema: &KeySchema) -> Result<Plan> {
    check_table(&insert.table, table)?;
    let item = match translate::constant(&insert.item)? {
        Value::M(map) => Item::from(map),
        other => {
            return Err(Error::validation(format!(
                "INSERT takes an item, a map, not {}",
                other.type_with_article()
            )));
        }
    };
    let key = key_of_item(schema, &item)?;
    Ok(Plan::Write(Write::Insert {
        table: insert.table,
        item,
        key,
    }))
}

fn plan_update(update: Update, table: &str, schema: &KeySchema) -> Result<Plan> {
    check_table(&update.table, table)?;
    let actions = translate::update(&update.actions)?;
    // The table refuses this too when the update runs; here EXPLAIN refuses it as well.
    for action in &actions.actions {
        let name = action.path().attribute_name();
        let is_key = name == schema.partition_key.name
            || schema
                .sort_key
                .as_ref()
                .is_some_and(|sort| sort.name == name);
        if is_key {
            return Err(Error::invalid_attribute(
                name,
                "cannot be updated: it is part of the key",
            ));
        }
    }
    let (key, rest) = full_key(update.condition, schema, "UPDATE")?;
    let returning = match update.returning {
        None => ReturnValues::None,
        Some(Returning::AllOld) => ReturnValues::AllOld,
        Some(Returning::AllNew) => ReturnValues::AllNew,
        Some(Returning::ModifiedOld) => ReturnValues::UpdatedOld,
        Some(Returning::ModifiedNew) => ReturnValues::UpdatedNew,
    };
    let update_text = update
        .actions
        .iter()
        .map(|action| match action {
            UpdateAction::Set { path, value } => format!("SET {path} = {}", bare(value)),
            UpdateAction::Remove { path } => format!("REMOVE {path}"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Plan::Write(Write::Update {
        key,
        update: actions,
        condition: rest.as_ref().map(translate::condition).transpose()?,
        returning,
        text: WriteText {
            table: update.table,
            update: Some(update_text),
            condition: rest.as_ref().map(conjunct_text),
            returning: update.returning,
        },
    }))
}

/// An expression as PartiQL without the parentheses around the whole of it.
fn bare(expr: &Expr) -> String {
    let text = expr.to_string();
    let wrapped = matches!(
        expr,
        Expr::Compare { .. }
            | Expr::Between { .. }
            | Expr::In { .. }
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(_)
            | Expr::IsMissing { .. }
            | Expr::IsNull { .. }
            | Expr::Arithmetic { .. }
    );
    match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) if wrapped => inner.to_owned(),
        _ => text,
    }
}

/// A condition as PartiQL: its top-level ANDs bare, each operand bare unless it is an OR.
fn conjunct_text(condition: &Expr) -> String {
    let mut conjuncts = Vec::new();
    flatten_and(condition.clone(), &mut conjuncts);
    conjuncts
        .iter()
        .map(|conjunct| match conjunct {
            Expr::Or(..) if conjuncts.len() > 1 => conjunct.to_string(),
            _ => bare(conjunct),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn key_condition_text(
    schema: &KeySchema,
    partitions: &[Value],
    sort: Option<&SortCondition>,
) -> String {
    let literal = |value: &Value| Expr::Literal(value.clone()).to_string();
    let pk = path_name(&schema.partition_key.name);
    let mut text = match partitions {
        [one] => format!("{pk} = {}", literal(one)),
        many => format!(
            "{pk} IN [{}]",
            many.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
    };
    if let (Some(sort), Some(attribute)) = (sort, &schema.sort_key) {
        let sk = path_name(&attribute.name);
        let condition = match sort {
            SortCondition::Eq(v) => format!("{sk} = {}", literal(v)),
            SortCondition::Lt(v) => format!("{sk} < {}", literal(v)),
            SortCondition::Le(v) => format!("{sk} <= {}", literal(v)),
            SortCondition::Gt(v) => format!("{sk} > {}", literal(v)),
            SortCondition::Ge(v) => format!("{sk} >= {}", literal(v)),
            SortCondition::Between(low, high) => {
                format!("{sk} BETWEEN {} AND {}", literal(low), literal(high))
            }
            SortCondition::BeginsWith(v) => format!("begins_with({sk}, {})", literal(v)),
        };
        text.push_str(" AND ");
        text.push_str(&condition);
    }
    text
}

/// A top-level attribute name as PartiQL writes it.
fn path_name(name: &str) -> String {
    Path {
        root: name.to_owned(),
        steps: Vec::new(),
    }
    .to_string()
}

impl Plan {
    /// The plan as EXPLAIN prints it: one JSON object.
    pub(crate) fn explain(&self, schema: &KeySchema) -> Json {
        match self {
            Plan::Read(read) => json!({
                "kind": if read.partitions.is_some() { "query" } else { "scan" },
                "table": read.table,
                "index": read.index.as_ref().map(|index| &index.name),
                "key_condition": read.key_condition_text,
                "filter": read.filter_text,
                "projection": read.projection.as_ref().map(|projection| {
                    projection.paths.iter().map(crate::expr::path_text).collect::<Vec<_>>()
                }),
                "order": read.ordered.then_some(if read.descending { "DESC" } else { "ASC" }),
                "limit": read.limit,
            }),
            Plan::Write(Write::Insert { table, key, .. }) => json!({
                "kind": "insert",
                "table": table,
                "key": describe_key(schema, key),
                "condition": format!("{} IS MISSING", path_name(&schema.partition_key.name)),
            }),
            Plan::Write(Write::Update { key, text, .. }) => write_json("update", schema, key, text),
            Plan::Write(Write::Delete { key, text, .. }) => write_json("delete", schema, key, text),
            Plan::Write(Write::ConditionCheck { key, text, .. }) => {
                write_json("condition_check", schema, key, text)
            }
        }
    }
}

/// An UPDATE or DELETE as EXPLAIN prints it, with the condition it runs under: an UPDATE
/// needs the item to exist, a DELETE of a missing item succeeds whatever the condition.
fn write_json(kind: &str, schema: &KeySchema, key: &Key, text: &WriteText) -> Json {
    let partition_key = path_name(&schema.partition_key.name);
    let condition = match (kind, &text.condition) {
        ("update" | "condition_check", None) => Some(format!("{partition_key} IS NOT MISSING")),
        ("update" | "condition_check", Some(rest)) => {
            Some(format!("{partition_key} IS NOT MISSING AND ({rest})"))
        }
        (_, Some(rest)) => Some(format!("{partition_key} IS MISSING OR ({rest})")),
        (_, None) => None,
    };
    json!({
        "kind": kind,
        "table": text.table,
        "key": describe_key(schema, key),
        "update": text.update,
        "condition": condition,
        "returning": text.returning.map(|returning| returning.to_string()),
    })
}
