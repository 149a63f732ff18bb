//! The parser of condition, filter, key condition, update and projection expressions.
//!
//! DynamoDB's grammar ("Condition and filter expressions, operators, and functions", "Update
//! expressions", "Projection expressions", "Key condition expressions" in its developer
//! guide), with the original dynafile's filter syntax as an extension: `==` and `!=`, inline
//! literals (`'text'`, `12`, `-1.5`, `true`, `false`, `null`, `[..]`), `in [..]`, `in a, b`,
//! `x in path` (membership, the other way round), `path =~ /re/flags` and `ip in 10.0.0.0/8`.
//! Because of the literals, `true`, `false` and `null` are not attribute names here (write
//! `#t` with a name placeholder); DynamoDB's long list of reserved words is not enforced.
//!
//! Placeholders are substituted here, once; an undefined one is an error at its position.

mod condition;
mod update;

pub(crate) use condition::parse_key_condition;
pub(crate) use update::parse_update;

use crate::error::{Error, Result};
use crate::key::KeySchema;
use crate::number::Number;
use crate::value::Value;

use super::lex::{LexError, Spanned, Symbol, Token, token_at};
use super::{Condition, Operand, Path, PathElement, Projection, Resolver};

/// The longest expression DynamoDB accepts: 4 KB.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// The deepest nesting of parentheses, `NOT`s and function calls, so that recursion stays
/// bounded whatever the input.
const MAX_DEPTH: usize = 64;

/// Which kind of expression is parsed, for messages and for the key condition's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpressionKind {
    /// A condition of a put, delete or update.
    Condition,
    /// A query's or scan's filter.
    Filter,
    /// A query's key condition.
    KeyCondition,
    /// An update expression.
    Update,
    /// A projection expression.
    Projection,
}

impl ExpressionKind {
    fn name(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "condition expression",
            ExpressionKind::Filter => "filter expression",
            ExpressionKind::KeyCondition => "key condition expression",
            ExpressionKind::Update => "update expression",
            ExpressionKind::Projection => "projection expression",
        }
    }
}

/// Parses a condition or filter expression.
pub(crate) fn parse_condition(
    kind: ExpressionKind,
    text: &str,
    resolver: &mut Resolver<'_>,
) -> Result<Condition> {
    let mut parser = Parser::new(kind, text, resolver, None)?;
    let condition = parser.condition()?;
    parser.end("condition")?;
    Ok(condition)
}

/// Parses a projection expression: paths separated by commas, none overlapping another.
pub(crate) fn parse_projection(text: &str, resolver: &mut Resolver<'_>) -> Result<Projection> {
    let mut parser = Parser::new(ExpressionKind::Projection, text, resolver, None)?;
    let mut paths: Vec<(Path, usize)> = Vec::new();
    loop {
        let start = parser.peek()?.start;
        let path = parser.required_path("an attribute path")?;
        parser.check_no_overlap(paths.iter().map(|(p, _)| p), &path, start)?;
        paths.push((path, start));
        if !parser.eat(Symbol::Comma)? {
            break;
        }
    }
    parser.end("projection")?;
    Ok(Projection::new(paths.into_iter().map(|(p, _)| p).collect()))
}

struct Parser<'t, 'r, 'p> {
    kind: ExpressionKind,
    text: &'t str,
    at: usize,
    depth: usize,
    resolver: &'r mut Resolver<'p>,
    key_schema: Option<&'r KeySchema>,
}

/// The functions of conditions and updates, by DynamoDB's (case-sensitive) names.
const CONDITION_FUNCTIONS: [&str; 5] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];
const UPDATE_FUNCTIONS: [&str; 2] = ["if_not_exists", "list_append"];

/// The type descriptors `attribute_type` accepts.
const TYPE_DESCRIPTORS: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

impl<'t, 'r, 'p> Parser<'t, 'r, 'p> {
    fn new(
        kind: ExpressionKind,
        text: &'t str,
        resolver: &'r mut Resolver<'p>,
        key_schema: Option<&'r KeySchema>,
    ) -> Result<Parser<'t, 'r, 'p>> {
        let parser = Parser {
            kind,
            text,
            at: 0,
            depth: 0,
            resolver,
            key_schema,
        };
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(parser.error(
                MAX_EXPRESSION_BYTES,
                format!(
                    "the expression is {} bytes, more than the maximum of {MAX_EXPRESSION_BYTES}",
                    text.len()
                ),
            ));
        }
        Ok(parser)
    }

    // ---- tokens ----

    fn error(&self, position: usize, message: impl std::fmt::Display) -> Error {
        Error::invalid_expression(
            self.text,
            Some(position),
            format!(
                "invalid {} {:?}: {message} at position {position}",
                self.kind.name(),
                self.text
            ),
        )
    }

    fn lex_error(&self, error: LexError) -> Error {
        self.error(error.position, error.message)
    }

    fn expected(&self, what: &str, found: &Spanned<'_>) -> Error {
        self.error(
            found.start,
            format!("expected {what}, found {}", found.token),
        )
    }

    fn peek(&self) -> Result<Spanned<'t>> {
        token_at(self.text, self.at).map_err(|e| self.lex_error(e))
    }

    fn bump(&mut self) -> Result<Spanned<'t>> {
        let token = self.peek()?;
        self.at = token.end;
        Ok(token)
    }

    fn eat(&mut self, symbol: Symbol) -> Result<bool> {
        if self.peek()?.token == Token::Symbol(symbol) {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect(&mut self, symbol: Symbol, what: &str) -> Result<()> {
        let token = self.peek()?;
        if token.token != Token::Symbol(symbol) {
            return Err(self.expected(what, &token));
        }
        self.bump().map(drop)
    }

    fn is_keyword(token: &Token<'_>, keyword: &str) -> bool {
        matches!(token, Token::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> Result<bool> {
        if Self::is_keyword(&self.peek()?.token, keyword) {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// True when a word is directly followed by `(`: a function call.
    fn is_call(&self, word: &Spanned<'_>) -> bool {
        matches!(
            token_at(self.text, word.end),
            Ok(Spanned {
                token: Token::Symbol(Symbol::OpenParen),
                ..
            })
        )
    }

    fn end(&mut self, what: &str) -> Result<()> {
        let token = self.peek()?;
        if token.token != Token::End {
            return Err(self.error(
                token.start,
                format!("unexpected {} after the end of the {what}", token.token),
            ));
        }
        Ok(())
    }

    fn enter(&mut self, position: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                position,
                format!("the expression is nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- operands ----

    fn operand(&mut self) -> Result<Operand> {
        let token = self.peek()?;
        match &token.token {
            Token::Word(word) if *word == "size" && self.is_call(&token) => {
                if self.kind == ExpressionKind::Update {
                    return Err(self.error(token.start, "`size` is not allowed in an update"));
                }
                if self.key_schema.is_some() {
                    return Err(self.error(token.start, "a key condition cannot use `size`"));
                }
                let arguments = self.arguments(&token)?;
                match arguments.as_slice() {
                    [(Operand::Path(path), _)] => Ok(Operand::Size(path.clone())),
                    [(_, position)] => Err(self.error(
                        *position,
                        "the argument of `size` must be an attribute path",
                    )),
                    _ => Err(self.error(
                        token.start,
                        format!(
                            "the function `size` takes 1 argument, not {}",
                            arguments.len()
                        ),
                    )),
                }
            }
            Token::Word(word) if self.is_call(&token) => Err(self.unknown_function(&token, word)),
            Token::Word(_) | Token::Name(_) if self.literal_word(&token.token).is_none() => {
                Ok(Operand::Path(self.path()?))
            }
            _ => Ok(Operand::Value(self.literal()?)),
        }
    }

    /// `true`, `false` and `null`.
    fn literal_word(&self, token: &Token<'_>) -> Option<Value> {
        match token {
            Token::Word(word) if word.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
            Token::Word(word) if word.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
            Token::Word(word) if word.eq_ignore_ascii_case("null") => Some(Value::Null),
            _ => None,
        }
    }

    /// A value: a `:value` placeholder or an inline literal.
    fn literal(&mut self) -> Result<Value> {
        let token = self.bump()?;
        if let Some(value) = self.literal_word(&token.token) {
            return Ok(value);
        }
        match token.token {
            Token::Value(placeholder) => match self.resolver.value(placeholder) {
                Some(value) => Ok(value.clone()),
                None => Err(self.error(
                    token.start,
                    format!("the value placeholder `{placeholder}` is not defined"),
                )),
            },
            Token::Number(text) => self.number(text, token.start, false),
            Token::Symbol(Symbol::Minus) => {
                let number = self.bump()?;
                match number.token {
                    Token::Number(text) => self.number(text, token.start, true),
                    _ => Err(self.expected("a number after `-`", &number)),
                }
            }
            Token::Str(text) => Ok(Value::S(text)),
            Token::Symbol(Symbol::OpenBracket) => {
                self.enter(token.start)?;
                let mut list = Vec::new();
                if !self.eat(Symbol::CloseBracket)? {
                    loop {
                        list.push(self.literal()?);
                        if self.eat(Symbol::Comma)? {
                            continue;
                        }
                        self.expect(Symbol::CloseBracket, "`,` or `]` closing the list")?;
                        break;
                    }
                }
                self.leave();
                Ok(Value::L(list))
            }
            _ => Err(self.expected("an operand (a path, a `:value` or a literal)", &token)),
        }
    }

    fn number(&self, text: &str, position: usize, negative: bool) -> Result<Value> {
        let number =
            Number::parse(text).map_err(|e| self.error(position, format!("bad number: {e}")))?;
        Ok(Value::N(if negative { number.negated() } else { number }))
    }

    /// A path where one is required: a value there is an error.
    fn required_path(&mut self, what: &str) -> Result<Path> {
        let token = self.peek()?;
        match token.token {
            Token::Word(_) | Token::Name(_) if self.literal_word(&token.token).is_none() => {
                self.path()
            }
            _ => Err(self.expected(what, &token)),
        }
    }

    /// `name`, `#name`, then `.name`, `.#name` and `[index]` steps.
    fn path(&mut self) -> Result<Path> {
        let mut elements = vec![PathElement::Name(self.path_name()?)];
        loop {
            if self.eat(Symbol::Dot)? {
                elements.push(PathElement::Name(self.path_name()?));
            } else if self.eat(Symbol::OpenBracket)? {
                let token = self.bump()?;
                let index = match token.token {
                    Token::Number(text) => text.parse::<usize>().ok(),
                    _ => None,
                }
                .ok_or_else(|| self.expected("a list index (a whole number)", &token))?;
                self.expect(Symbol::CloseBracket, "`]` closing the list index")?;
                elements.push(PathElement::Index(index));
            } else {
                return Ok(Path(elements));
            }
        }
    }

    fn path_name(&mut self) -> Result<String> {
        let token = self.bump()?;
        match token.token {
            Token::Word(word) => Ok(word.to_owned()),
            Token::Name(placeholder) => match self.resolver.name(placeholder) {
                Some(name) => Ok(name.to_owned()),
                None => Err(self.error(
                    token.start,
                    format!("the name placeholder `{placeholder}` is not defined"),
                )),
            },
            _ => Err(self.expected("an attribute name", &token)),
        }
    }
}
