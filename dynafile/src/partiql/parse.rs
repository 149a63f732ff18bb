//! PartiQL statements: the model, and parsing a statement's text into it.
//!
//! SELECT goes through sqlparser's own `parse_statement` ([`select`](super::select)). INSERT, UPDATE, DELETE and EXPLAIN are parsed here,
//! clause by clause, with the parser's public methods: sqlparser reads none of
//! `INSERT INTO t VALUE {..}`, repeated `SET`/`REMOVE` clauses or `RETURNING ALL OLD *`.
//! Their expressions are still sqlparser's (`parse_expr`), in the PartiQL dialect.

use std::fmt;

use sqlparser::ast::{self as sql, ObjectName, ObjectNamePart};
use sqlparser::dialect::{Dialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

use super::convert::{Converter, unsupported, with_stack};
use super::dialect::PartiqlDialect;
use super::expr::{Expr, Path, write_name};
use crate::error::{Error, Result};

/// The longest statement accepted, in characters, as DynamoDB limits statements.
pub(crate) const MAX_STATEMENT_LENGTH: usize = 8192;

/// How deeply sqlparser may recurse (parentheses, prefixes, nested literals) before it gives
/// up with an error. Its default, 50, would refuse some reasonable nested map literals.
const RECURSION_LIMIT: usize = 96;

/// A parsed PartiQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Statement {
    /// `SELECT`.
    Select(Select),
    /// `INSERT INTO t VALUE {..}`.
    Insert(Insert),
    /// `UPDATE t SET .. REMOVE .. WHERE ..`.
    Update(Update),
    /// `DELETE FROM t WHERE ..`.
    Delete(Delete),
    /// `EXPLAIN <statement>`: the plan of the statement, which is not run.
    Explain(Box<Statement>),
    /// `EXISTS(SELECT ..)`: in a transaction, a check that the item with the SELECT's key
    /// exists and meets the rest of its WHERE clause (DynamoDB's `ConditionCheck`).
    Exists(Select),
}

/// What a SELECT returns of each item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Projection {
    /// `*`: the whole item.
    All,
    /// These attribute paths, in the order written.
    Paths(Vec<Path>),
}

/// `SELECT projection FROM table[."index"] [WHERE ..] [ORDER BY key [ASC|DESC]] [LIMIT n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Select {
    /// What to return of each item.
    pub(crate) projection: Projection,
    /// The table's name.
    pub(crate) table: String,
    /// The index to read, from `FROM "table"."index"`.
    pub(crate) index: Option<String>,
    /// The condition, if any.
    pub(crate) condition: Option<Expr>,
    /// `ORDER BY`, if given.
    pub(crate) order_by: Option<OrderBy>,
    /// `LIMIT n`, an extension: at most this many items.
    pub(crate) limit: Option<u64>,
}

/// `ORDER BY key [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderBy {
    /// The key attribute's name.
    pub(crate) key: String,
    /// `DESC`.
    pub(crate) descending: bool,
}

/// `INSERT INTO table VALUE item`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Insert {
    /// The table's name.
    pub(crate) table: String,
    /// The item: a map literal, or (an extension) a `?` parameter.
    pub(crate) item: Expr,
}

/// One action of an UPDATE, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UpdateAction {
    /// `SET path = value`.
    Set {
        /// The attribute to write.
        path: Path,
        /// Its new value.
        value: Expr,
    },
    /// `REMOVE path`.
    Remove {
        /// The attribute to remove.
        path: Path,
    },
}

/// What an UPDATE or DELETE returns: `RETURNING ... *`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returning {
    /// `ALL OLD *`: the whole item before the statement.
    AllOld,
    /// `ALL NEW *`: the whole item after it.
    AllNew,
    /// `MODIFIED OLD *`: the updated attributes before it.
    ModifiedOld,
    /// `MODIFIED NEW *`: the updated attributes after it.
    ModifiedNew,
}

/// `UPDATE table SET .. | REMOVE .. [..] WHERE condition [RETURNING ..]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Update {
    /// The table's name.
    pub(crate) table: String,
    /// The actions, in the order written; never empty.
    pub(crate) actions: Vec<UpdateAction>,
    /// The condition: the item's key, and possibly more.
    pub(crate) condition: Expr,
    /// What to return, if anything.
    pub(crate) returning: Option<Returning>,
}

/// `DELETE FROM table WHERE condition [RETURNING ALL OLD *]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delete {
    /// The table's name.
    pub(crate) table: String,
    /// The condition: the item's key, and possibly more.
    pub(crate) condition: Expr,
    /// What to return: only [`Returning::AllOld`] is allowed.
    pub(crate) returning: Option<Returning>,
}

/// Parses one PartiQL statement (an optional `;` may end it).
///
/// A statement that does not parse is [`Error::Parse`], with its position; one that parses but
/// asks for something DynamoDB's PartiQL does not have (joins, subqueries, GROUP BY, unknown
/// functions, ...) is [`Error::Validation`] naming it.
pub(crate) fn parse(text: &str) -> Result<Statement> {
    with_stack(|| parse_with_stack(text))
}

fn parse_with_stack(text: &str) -> Result<Statement> {
    let length = text.chars().count();
    if length > MAX_STATEMENT_LENGTH {
        return Err(Error::validation(format!(
            "statement is {length} characters long; the limit is {MAX_STATEMENT_LENGTH}"
        )));
    }
    let dialect = PartiqlDialect;
    let parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(text)
        .map_err(|error| syntax_error(&error, text, None))?;
    let mut statement_parser = StatementParser {
        parser,
        text,
        converter: Converter::default(),
    };
    statement_parser.statement()
}

/// The parser of one statement's text.
pub(super) struct StatementParser<'a> {
    pub(super) parser: Parser<'a>,
    text: &'a str,
    pub(super) converter: Converter,
}

impl StatementParser<'_> {
    fn statement(&mut self) -> Result<Statement> {
        let statement = self.statement_body()?;
        // An optional `;` ends the statement.
        let _ = self.parser.consume_token(&Token::SemiColon);
        if self.parser.peek_token_ref().token != Token::EOF {
            let found = self.parser.peek_token_ref().clone();
            return Err(self.syntax_at(
                found.span.start,
                format!("expected the end of the statement, found {}", found.token),
            ));
        }
        Ok(statement)
    }

    fn statement_body(&mut self) -> Result<Statement> {
        let first = self.parser.peek_token_ref().clone();
        let keyword = match &first.token {
            Token::Word(word) if word.quote_style.is_none() => word.keyword,
            _ => Keyword::NoKeyword,
        };
        match keyword {
            Keyword::EXPLAIN => {
                self.parser.advance_token();
                if self.parser.peek_keyword(Keyword::EXPLAIN) {
                    return Err(unsupported("EXPLAIN of an EXPLAIN"));
                }
                Ok(Statement::Explain(Box::new(self.statement_body()?)))
            }
            Keyword::SELECT => self.select(),
            Keyword::EXISTS => self.exists(),
            Keyword::INSERT => self.insert(),
            Keyword::UPDATE => self.update(),
            Keyword::DELETE => self.delete(),
            Keyword::WITH => Err(unsupported("WITH (common table expressions)")),
            _ => Err(self.syntax_at(
                first.span.start,
                format!(
                    "expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found {}",
                    found_text(&first.token)
                ),
            )),
        }
    }

    fn insert(&mut self) -> Result<Statement> {
        self.expect_keyword(Keyword::INSERT)?;
        self.expect_keyword(Keyword::INTO)?;
        let table = self.table_name()?;
        if self.parser.peek_keyword(Keyword::VALUES) {
            let found = self.parser.peek_token_ref().span.start;
            return Err(self.syntax_at(
                found,
                "expected VALUE (PartiQL inserts one item: VALUE {..}), found VALUES".to_string(),
            ));
        }
        self.expect_keyword(Keyword::VALUE)?;
        let item = self.parse_expr()?;
        let item = self.converter.expr(item)?;
        if !matches!(item, Expr::Map(_) | Expr::Parameter(_)) {
            return Err(Error::validation(format!(
                "INSERT takes an item as a map literal {{'name': value, ..}} or a `?` parameter, not `{item}`"
            )));
        }
        Ok(Statement::Insert(Insert { table, item }))
    }

    fn update(&mut self) -> Result<Statement> {
        self.expect_keyword(Keyword::UPDATE)?;
        let table = self.table_name()?;
        let mut actions = Vec::new();
        loop {
            if self.parser.parse_keyword(Keyword::SET) {
                // Parsed at `=`'s precedence, a target ends before its `=`.
                let equals = PartiqlDialect.prec_value(Precedence::Eq);
                let assignments = self
                    .parser
                    .parse_comma_separated(|parser| {
                        let target = parser.parse_subexpr(equals)?;
                        parser.expect_token(&Token::Eq)?;
                        let value = parser.parse_expr()?;
                        Ok((target, value))
                    })
                    .map_err(|e| self.syntax(&e))?;
                for (target, value) in assignments {
                    let path = self.converter.path(target, "a SET target")?;
                    let value = self.converter.expr(value)?;
                    actions.push(UpdateAction::Set { path, value });
                }
            } else if self.parser.parse_keyword(Keyword::REMOVE) {
                let targets = self
                    .parser
                    .parse_comma_separated(Parser::parse_expr)
                    .map_err(|e| self.syntax(&e))?;
                for target in targets {
                    let path = self.converter.path(target, "a REMOVE target")?;
                    actions.push(UpdateAction::Remove { path });
                }
            } else if actions.is_empty() {
                return Err(self.expected("SET or REMOVE"));
            } else {
                break;
            }
        }
        if !self.parser.parse_keyword(Keyword::WHERE) {
            return Err(self.expected("SET, REMOVE or WHERE"));
        }
        let condition = self.parse_expr()?;
        let condition = self.converter.expr(condition)?;
        let returning = self.returning()?;
        Ok(Statement::Update(Update {
            table,
            actions,
            condition,
            returning,
        }))
    }

    fn delete(&mut self) -> Result<Statement> {
        self.expect_keyword(Keyword::DELETE)?;
        self.expect_keyword(Keyword::FROM)?;
        let table = self.table_name()?;
        if self.parser.peek_token_ref().token == Token::EOF
            || self.parser.peek_token_ref().token == Token::SemiColon
        {
            return Err(Error::validation(
                "DELETE needs a WHERE clause giving the item's key".to_string(),
            ));
        }
        self.expect_keyword(Keyword::WHERE)?;
        let condition = self.parse_expr()?;
        let condition = self.converter.expr(condition)?;
        let returning = self.returning()?;
        if let Some(returning) = returning
            && returning != Returning::AllOld
        {
            return Err(Error::validation(format!(
                "DELETE can only return ALL OLD *, not {returning}"
            )));
        }
        Ok(Statement::Delete(Delete {
            table,
            condition,
            returning,
        }))
    }

    /// `[RETURNING (ALL | MODIFIED) (OLD | NEW) *]`
    fn returning(&mut self) -> Result<Option<Returning>> {
        if !self.parser.parse_keyword(Keyword::RETURNING) {
            return Ok(None);
        }
        let all = if self.parser.parse_keyword(Keyword::ALL) {
            true
        } else if self.parse_word("MODIFIED") {
            false
        } else {
            return Err(self.expected("ALL or MODIFIED"));
        };
        let new = if self.parse_word("NEW") {
            true
        } else if self.parse_word("OLD") {
            false
        } else {
            return Err(self.expected("OLD or NEW"));
        };
        self.parser
            .expect_token(&Token::Mul)
            .map_err(|e| self.syntax(&e))?;
        Ok(Some(match (all, new) {
            (true, false) => Returning::AllOld,
            (true, true) => Returning::AllNew,
            (false, false) => Returning::ModifiedOld,
            (false, true) => Returning::ModifiedNew,
        }))
    }

    /// A table name of one part (quoted or not).
    fn table_name(&mut self) -> Result<String> {
        let name = self
            .parser
            .parse_object_name(false)
            .map_err(|e| self.syntax(&e))?;
        match name_parts(name)?.as_mut_slice() {
            [table] => Ok(std::mem::take(table)),
            parts => Err(Error::validation(format!(
                "`{}` names an index or a schema; this statement takes a table name",
                parts.join(".")
            ))),
        }
    }

    fn parse_expr(&mut self) -> Result<sql::Expr> {
        self.parser.parse_expr().map_err(|e| self.syntax(&e))
    }

    fn expect_keyword(&mut self, keyword: Keyword) -> Result<()> {
        self.parser
            .expect_keyword_is(keyword)
            .map_err(|e| self.syntax(&e))
    }

    /// Consumes the next token if it is the unquoted word `word` (a keyword or not).
    fn parse_word(&mut self, word: &str) -> bool {
        let matches = matches!(&self.parser.peek_token_ref().token,
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word));
        if matches {
            self.parser.advance_token();
        }
        matches
    }

    /// The error for `expected` not being the next token.
    fn expected(&self, expected: &str) -> Error {
        let found = self.parser.peek_token_ref();
        self.syntax_at(
            found.span.start,
            format!("expected {expected}, found {}", found_text(&found.token)),
        )
    }

    fn syntax_at(&self, location: Location, message: String) -> Error {
        let (line, column) = if location.line == 0 {
            end_of(self.text)
        } else {
            (location.line, location.column)
        };
        Error::Parse {
            line,
            column,
            message,
            statement: self.text.to_string(),
        }
    }

    pub(super) fn syntax(&self, error: &ParserError) -> Error {
        syntax_error(
            error,
            self.text,
            Some(self.parser.peek_token_ref().span.start),
        )
    }
}

/// Maps sqlparser's error (whose text ends in "at Line: L, Column: C" when it knows where) into
/// [`Error::Parse`]; without a position, the error is placed at `fallback`, or else at the
/// end of the statement.
fn syntax_error(error: &ParserError, text: &str, fallback: Option<Location>) -> Error {
    let raw = match error {
        ParserError::TokenizerError(message) | ParserError::ParserError(message) => message.clone(),
        ParserError::RecursionLimitExceeded => {
            format!("statement nests more than {RECURSION_LIMIT} levels deep")
        }
    };
    let (message, position) = split_location(&raw);
    let (line, column) = position
        .or_else(|| fallback.filter(|l| l.line > 0).map(|l| (l.line, l.column)))
        .unwrap_or_else(|| end_of(text));
    Error::Parse {
        line,
        column,
        message: tidy_message(message),
        statement: text.to_string(),
    }
}

/// Splits "message at Line: L, Column: C" into the message and the position.
fn split_location(raw: &str) -> (&str, Option<(u64, u64)>) {
    let Some(at) = raw.rfind(" at Line: ") else {
        return (raw, None);
    };
    let position = raw[at + " at Line: ".len()..]
        .split_once(", Column: ")
        .and_then(|(line, column)| Some((line.parse().ok()?, column.trim().parse().ok()?)));
    match position {
        Some(position) => (&raw[..at], Some(position)),
        None => (raw, None),
    }
}

/// "Expected: X, found: Y" reads "expected X, found Y".
fn tidy_message(message: &str) -> String {
    let message = message
        .replacen("Expected: ", "expected ", 1)
        .replacen(", found: EOF", ", found the end of the statement", 1)
        .replacen(", found: ", ", found ", 1);
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => message,
    }
}

/// The position just after the statement's last character.
fn end_of(text: &str) -> (u64, u64) {
    let last_line = text.rsplit('\n').next().unwrap_or_default();
    let lines = text.matches('\n').count() + 1;
    let columns = last_line.chars().count() + 1;
    (
        u64::try_from(lines).unwrap_or(u64::MAX),
        u64::try_from(columns).unwrap_or(u64::MAX),
    )
}

fn found_text(token: &Token) -> String {
    match token {
        Token::EOF => "the end of the statement".to_string(),
        other => other.to_string(),
    }
}

pub(super) fn reject(present: bool, construct: &str) -> Result<()> {
    if present {
        Err(unsupported(construct))
    } else {
        Ok(())
    }
}

/// The identifiers of a dotted name.
pub(super) fn name_parts(name: ObjectName) -> Result<Vec<String>> {
    name.0
        .into_iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Ok(ident.value),
            other => Err(unsupported(&format!("the name part `{other}`"))),
        })
        .collect()
}

/// The table and index of `FROM table` or `FROM "table"."index"`.
impl fmt::Display for Returning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Returning::AllOld => "ALL OLD *",
            Returning::AllNew => "ALL NEW *",
            Returning::ModifiedOld => "MODIFIED OLD *",
            Returning::ModifiedNew => "MODIFIED NEW *",
        })
    }
}

/// The statement in canonical PartiQL: names quoted only where needed, expressions as
/// [`Expr`]'s `Display` writes them.
impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Select(select) => {
                f.write_str("SELECT ")?;
                match &select.projection {
                    Projection::All => f.write_str("*")?,
                    Projection::Paths(paths) => {
                        for (position, path) in paths.iter().enumerate() {
                            if position > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "{path}")?;
                        }
                    }
                }
                f.write_str(" FROM ")?;
                write_name(f, &select.table)?;
                if let Some(index) = &select.index {
                    f.write_str(".")?;
                    write_name(f, index)?;
                }
                if let Some(condition) = &select.condition {
                    write!(f, " WHERE {condition}")?;
                }
                if let Some(order_by) = &select.order_by {
                    f.write_str(" ORDER BY ")?;
                    write_name(f, &order_by.key)?;
                    f.write_str(if order_by.descending { " DESC" } else { " ASC" })?;
                }
                if let Some(limit) = select.limit {
                    write!(f, " LIMIT {limit}")?;
                }
                Ok(())
            }
            Statement::Insert(insert) => {
                f.write_str("INSERT INTO ")?;
                write_name(f, &insert.table)?;
                write!(f, " VALUE {}", insert.item)
            }
            Statement::Update(update) => {
                f.write_str("UPDATE ")?;
                write_name(f, &update.table)?;
                for action in &update.actions {
                    match action {
                        UpdateAction::Set { path, value } => write!(f, " SET {path} = {value}")?,
                        UpdateAction::Remove { path } => write!(f, " REMOVE {path}")?,
                    }
                }
                write!(f, " WHERE {}", update.condition)?;
                if let Some(returning) = update.returning {
                    write!(f, " RETURNING {returning}")?;
                }
                Ok(())
            }
            Statement::Delete(delete) => {
                f.write_str("DELETE FROM ")?;
                write_name(f, &delete.table)?;
                write!(f, " WHERE {}", delete.condition)?;
                if let Some(returning) = delete.returning {
                    write!(f, " RETURNING {returning}")?;
                }
                Ok(())
            }
            Statement::Explain(statement) => write!(f, "EXPLAIN {statement}"),
            Statement::Exists(select) => {
                write!(f, "EXISTS({})", Statement::Select(select.clone()))
            }
        }
    }
}
