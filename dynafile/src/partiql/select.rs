//! SELECT: parsed by sqlparser's own `parse_statement`, then every SQL feature DynamoDB's
//! PartiQL lacks is turned away by name, and the rest is read into [`Select`].

use sqlparser::ast::{
    self as sql, GroupByExpr, LimitClause, OrderByKind, OrderBySort, Query, SelectFlavor,
    SelectItem, SetExpr, TableFactor,
};

use super::convert::{Converter, unsupported};
use super::expr::Expr;
use super::parse::{OrderBy, Projection, Select, Statement, StatementParser, name_parts, reject};
use crate::error::{Error, Result};
use crate::value::Value;
use sqlparser::tokenizer::Token;

impl StatementParser<'_> {
    pub(super) fn select(&mut self) -> Result<Statement> {
        let statement = self.parser.parse_statement().map_err(|e| self.syntax(&e))?;
        let sql::Statement::Query(query) = statement else {
            return Err(unsupported(&format!("the statement `{statement}`")));
        };
        self.query(*query).map(Statement::Select)
    }

    /// `EXISTS(SELECT ..)`.
    pub(super) fn exists(&mut self) -> Result<Statement> {
        self.parser.advance_token();
        self.parser
            .expect_token(&Token::LParen)
            .map_err(|e| self.syntax(&e))?;
        let query = self.parser.parse_query().map_err(|e| self.syntax(&e))?;
        self.parser
            .expect_token(&Token::RParen)
            .map_err(|e| self.syntax(&e))?;
        self.query(*query).map(Statement::Exists)
    }

    fn query(&mut self, query: Query) -> Result<Select> {
        let Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = query;
        reject(with.is_some(), "WITH (common table expressions)")?;
        reject(fetch.is_some(), "FETCH")?;
        reject(!locks.is_empty(), "FOR UPDATE and other locks")?;
        reject(for_clause.is_some(), "FOR XML and FOR JSON")?;
        reject(settings.is_some(), "SETTINGS")?;
        reject(format_clause.is_some(), "FORMAT")?;
        reject(!pipe_operators.is_empty(), "pipe operators")?;
        let select = match *body {
            SetExpr::Select(select) => *select,
            SetExpr::SetOperation { op, .. } => return Err(unsupported(&op.to_string())),
            SetExpr::Query(_) => return Err(unsupported("subqueries")),
            other => return Err(unsupported(&format!("the query `{other}`"))),
        };
        reject(select.distinct.is_some(), "DISTINCT")?;
        reject(select.top.is_some(), "TOP")?;
        reject(select.into.is_some(), "SELECT INTO")?;
        reject(select.exclude.is_some(), "EXCLUDE")?;
        reject(select.select_modifiers.is_some(), "SELECT modifiers")?;
        reject(!select.optimizer_hints.is_empty(), "optimizer hints")?;
        reject(!select.lateral_views.is_empty(), "LATERAL VIEW")?;
        reject(select.prewhere.is_some(), "PREWHERE")?;
        reject(!select.connect_by.is_empty(), "CONNECT BY")?;
        let grouped = match &select.group_by {
            GroupByExpr::All(_) => true,
            GroupByExpr::Expressions(expressions, modifiers) => {
                !expressions.is_empty() || !modifiers.is_empty()
            }
        };
        reject(grouped, "GROUP BY")?;
        reject(!select.cluster_by.is_empty(), "CLUSTER BY")?;
        reject(!select.distribute_by.is_empty(), "DISTRIBUTE BY")?;
        reject(!select.sort_by.is_empty(), "SORT BY")?;
        reject(select.having.is_some(), "HAVING")?;
        reject(!select.named_window.is_empty(), "WINDOW")?;
        reject(select.qualify.is_some(), "QUALIFY")?;
        reject(select.value_table_mode.is_some(), "SELECT AS VALUE")?;
        reject(
            select.flavor != SelectFlavor::Standard,
            "FROM before SELECT",
        )?;

        let projection = self.projection(select.projection)?;
        let (table, index) = table_source(select.from)?;
        let condition = select
            .selection
            .map(|condition| self.converter.expr(condition))
            .transpose()?;
        let order_by = order_by.map(order_key).transpose()?;
        let limit = limit_clause.map(limit).transpose()?;
        Ok(Select {
            projection,
            table,
            index,
            condition,
            order_by,
            limit,
        })
    }

    fn projection(&mut self, items: Vec<SelectItem>) -> Result<Projection> {
        if let [SelectItem::Wildcard(options)] = items.as_slice() {
            let plain = options.opt_ilike.is_none()
                && options.opt_exclude.is_none()
                && options.opt_except.is_none()
                && options.opt_replace.is_none()
                && options.opt_rename.is_none()
                && options.opt_alias.is_none();
            reject(!plain, "modifiers after `*`")?;
            return Ok(Projection::All);
        }
        let mut paths = Vec::with_capacity(items.len());
        for item in items {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    paths.push(self.converter.path(expr, "a projected value")?);
                }
                SelectItem::Wildcard(_) => {
                    return Err(Error::validation(
                        "`*` must be the whole projection, not one of its items".to_string(),
                    ));
                }
                SelectItem::ExprWithAlias { .. } | SelectItem::ExprWithAliases { .. } => {
                    return Err(unsupported("aliases (AS) in the projection"));
                }
                SelectItem::QualifiedWildcard(..) => {
                    return Err(unsupported("qualified wildcards `t.*`"));
                }
            }
        }
        Ok(Projection::Paths(paths))
    }
}

fn table_source(from: Vec<sql::TableWithJoins>) -> Result<(String, Option<String>)> {
    let mut from = from.into_iter();
    let source = match (from.next(), from.next()) {
        (Some(source), None) => source,
        (None, _) => {
            return Err(Error::validation(
                "SELECT needs a FROM clause naming the table".to_string(),
            ));
        }
        (Some(_), Some(_)) => return Err(unsupported("reading several tables (FROM a, b)")),
    };
    reject(!source.joins.is_empty(), "joins")?;
    let TableFactor::Table {
        name,
        alias,
        args,
        with_hints,
        version,
        with_ordinality,
        partitions,
        json_path,
        sample,
        index_directives,
        inheritance,
    } = source.relation
    else {
        return Err(match source.relation {
            TableFactor::Derived { .. } => unsupported("subqueries"),
            other => unsupported(&format!("the table expression `{other}`")),
        });
    };
    reject(alias.is_some(), "table aliases")?;
    reject(args.is_some(), "table functions")?;
    reject(
        !with_hints.is_empty()
            || version.is_some()
            || with_ordinality
            || !partitions.is_empty()
            || json_path.is_some()
            || sample.is_some()
            || !index_directives.is_empty()
            || inheritance.is_some(),
        "table modifiers",
    )?;
    let mut parts = name_parts(name)?.into_iter();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(table), index, None) => Ok((table, index)),
        _ => Err(Error::validation(
            "FROM takes a table or \"table\".\"index\", not a longer name".to_string(),
        )),
    }
}

fn order_key(order_by: sql::OrderBy) -> Result<OrderBy> {
    reject(order_by.interpolate.is_some(), "INTERPOLATE")?;
    let OrderByKind::Expressions(mut keys) = order_by.kind else {
        return Err(unsupported("ORDER BY ALL"));
    };
    let (Some(key), None) = (keys.pop(), keys.pop()) else {
        return Err(unsupported("ORDER BY on more than one key"));
    };
    reject(key.with_fill.is_some(), "WITH FILL")?;
    reject(
        key.options.nulls_first.is_some(),
        "NULLS FIRST and NULLS LAST",
    )?;
    let descending = match key.options.sort {
        None | Some(OrderBySort::Asc) => false,
        Some(OrderBySort::Desc) => true,
        Some(OrderBySort::Using(_)) => return Err(unsupported("ORDER BY .. USING")),
    };
    let key = match key.expr {
        sql::Expr::Identifier(ident) => ident.value,
        other => {
            return Err(Error::validation(format!(
                "ORDER BY takes a key attribute's name, not `{other}`"
            )));
        }
    };
    Ok(OrderBy { key, descending })
}

fn limit(clause: LimitClause) -> Result<u64> {
    let LimitClause::LimitOffset {
        limit: Some(limit),
        offset: None,
        limit_by,
    } = clause
    else {
        return Err(unsupported("OFFSET"));
    };
    reject(!limit_by.is_empty(), "LIMIT BY")?;
    let mut converter = Converter::default();
    match converter.expr(limit) {
        Ok(Expr::Literal(Value::N(number))) => number.to_u64().ok_or_else(|| {
            Error::validation(format!(
                "LIMIT takes a non-negative whole number, not {number}"
            ))
        }),
        Ok(other) => Err(Error::validation(format!(
            "LIMIT takes a non-negative whole number, not `{other}`"
        ))),
        Err(_) => Err(Error::validation(
            "LIMIT takes a non-negative whole number".to_string(),
        )),
    }
}
