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

use crate::error::{Error, Result};
use crate::key::{KeySchema, SortCondition};
use crate::number::Number;
use crate::value::Value;

use super::lex::{LexError, Spanned, Symbol, Token, regex_at, token_at};
use super::{
    Comparator, Condition, MAX_IN_OPERANDS, Operand, Path, PathElement, Pattern, Projection,
    Resolver, SetValue, Subnet, Update, UpdateAction,
};

/// The longest expression DynamoDB accepts: 4 KB.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// The deepest nesting of parentheses, `NOT`s and function calls, so that recursion stays
/// bounded whatever the input.
const MAX_DEPTH: usize = 64;

/// Which kind of expression is parsed, for messages and for the key condition's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // `Condition` is used by tests and the PartiQL layer only so far.
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

/// Parses a key condition expression: `PK = :pk`, optionally `AND` one condition on the sort
/// key (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with`). Returns the partition key value
/// and the sort key condition.
pub(crate) fn parse_key_condition(
    text: &str,
    schema: &KeySchema,
    resolver: &mut Resolver<'_>,
) -> Result<(Value, Option<SortCondition>)> {
    let mut parser = Parser::new(ExpressionKind::KeyCondition, text, resolver, Some(schema))?;
    let condition = parser.condition()?;
    parser.end("key condition")?;
    let mut leaves = Vec::new();
    flatten_and(condition, &mut leaves);
    let whole = |reason: String| {
        Error::invalid_expression(
            text,
            None,
            format!("invalid key condition expression {text:?}: {reason}"),
        )
    };
    let partition_name = schema.partition_key.name.as_str();
    let mut partition = None;
    let mut sort = None;
    for leaf in leaves {
        // The parser let through only comparisons of a key attribute with a value.
        let (name, condition) = match leaf {
            Condition::Compare(Operand::Path(path), comparator, Operand::Value(value)) => {
                let condition = match comparator {
                    Comparator::Eq => SortCondition::Eq(value),
                    Comparator::Lt => SortCondition::Lt(value),
                    Comparator::Le => SortCondition::Le(value),
                    Comparator::Gt => SortCondition::Gt(value),
                    Comparator::Ge => SortCondition::Ge(value),
                    Comparator::Ne => return Err(whole("`<>` is not a key condition".into())),
                };
                (path.attribute_name().to_owned(), condition)
            }
            Condition::Between(Operand::Path(path), Operand::Value(low), Operand::Value(high)) => {
                let name = path.attribute_name().to_owned();
                (name, SortCondition::Between(low, high))
            }
            Condition::BeginsWith(Operand::Path(path), Operand::Value(prefix)) => {
                let name = path.attribute_name().to_owned();
                (name, SortCondition::BeginsWith(prefix))
            }
            other => return Err(whole(format!("unsupported key condition {other:?}"))),
        };
        let slot = if name == partition_name {
            &mut partition
        } else {
            &mut sort
        };
        if slot.is_some() {
            return Err(whole(format!(
                "the key attribute `{name}` has more than one condition"
            )));
        }
        *slot = Some(condition);
    }
    match partition {
        Some(SortCondition::Eq(value)) => Ok((value, sort)),
        _ => Err(whole(format!(
            "a key condition needs `{partition_name} = value` on the partition key"
        ))),
    }
}

fn flatten_and(condition: Condition, out: &mut Vec<Condition>) {
    match condition {
        Condition::And(left, right) => {
            flatten_and(*left, out);
            flatten_and(*right, out);
        }
        other => out.push(other),
    }
}

/// Parses an update expression: `SET`, `REMOVE`, `ADD` and `DELETE` clauses in any order,
/// each at most once, no two actions on overlapping paths.
pub(crate) fn parse_update(text: &str, resolver: &mut Resolver<'_>) -> Result<Update> {
    let mut parser = Parser::new(ExpressionKind::Update, text, resolver, None)?;
    let update = parser.update()?;
    parser.end("update")?;
    Ok(update)
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

    // ---- conditions ----

    /// `OR` binds loosest, then `AND`, then `NOT` (DynamoDB's precedence).
    fn condition(&mut self) -> Result<Condition> {
        let mut left = self.and()?;
        loop {
            let token = self.peek()?;
            if !Self::is_keyword(&token.token, "or") {
                return Ok(left);
            }
            if self.key_schema.is_some() {
                return Err(self.error(token.start, "a key condition cannot use OR"));
            }
            self.bump()?;
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
    }

    fn and(&mut self) -> Result<Condition> {
        let mut left = self.not()?;
        while self.eat_keyword("and")? {
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition> {
        let token = self.peek()?;
        if Self::is_keyword(&token.token, "not") {
            if self.key_schema.is_some() {
                return Err(self.error(token.start, "a key condition cannot use NOT"));
            }
            self.bump()?;
            self.enter(token.start)?;
            let inner = self.not()?;
            self.leave();
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition> {
        let token = self.peek()?;
        if token.token == Token::Symbol(Symbol::OpenParen) {
            self.bump()?;
            self.enter(token.start)?;
            let inner = self.condition()?;
            self.leave();
            self.expect(Symbol::CloseParen, "`)` closing the `(`")?;
            return Ok(inner);
        }
        if let Token::Word(word) = token.token
            && self.is_call(&token)
            && word != "size"
        {
            return self.condition_function(&token, word);
        }
        let lhs = self.operand()?;
        self.comparison(lhs, token.start)
    }

    fn condition_function(&mut self, name: &Spanned<'t>, word: &str) -> Result<Condition> {
        if !CONDITION_FUNCTIONS.contains(&word) {
            return Err(self.unknown_function(name, word));
        }
        if self.key_schema.is_some() && word != "begins_with" {
            return Err(self.error(
                name.start,
                format!("a key condition cannot use `{word}`; only `begins_with` on the sort key"),
            ));
        }
        let arguments = self.arguments(name)?;
        let arity = |n: usize| -> Result<()> {
            if arguments.len() != n {
                return Err(self.error(
                    name.start,
                    format!(
                        "the function `{word}` takes {n} argument{}, not {}",
                        if n == 1 { "" } else { "s" },
                        arguments.len()
                    ),
                ));
            }
            Ok(())
        };
        let path_at = |index: usize| -> Result<Path> {
            match &arguments[index] {
                (Operand::Path(path), _) => Ok(path.clone()),
                (_, position) => Err(self.error(
                    *position,
                    format!("the first argument of `{word}` must be an attribute path"),
                )),
            }
        };
        match word {
            "attribute_exists" | "attribute_not_exists" => {
                arity(1)?;
                let path = path_at(0)?;
                Ok(if word == "attribute_exists" {
                    Condition::Exists(path)
                } else {
                    Condition::NotExists(path)
                })
            }
            "attribute_type" => {
                arity(2)?;
                let path = path_at(0)?;
                let (descriptor, position) = arguments[1].clone();
                if let Operand::Value(value) = &descriptor
                    && !value.as_s().is_some_and(|s| TYPE_DESCRIPTORS.contains(&s))
                {
                    return Err(self.error(
                        position,
                        format!(
                            "`attribute_type` needs a type of {}, not {value:?}",
                            TYPE_DESCRIPTORS.join(", ")
                        ),
                    ));
                }
                Ok(Condition::AttributeType(path, descriptor))
            }
            "begins_with" => {
                arity(2)?;
                let path = path_at(0)?;
                let (prefix, position) = arguments[1].clone();
                if let Operand::Value(value) = &prefix
                    && !matches!(value, Value::S(_) | Value::B(_))
                {
                    return Err(self.error(
                        position,
                        format!(
                            "`begins_with` needs a string or binary prefix, not a {}",
                            value.type_descriptor()
                        ),
                    ));
                }
                if self.key_schema.is_some() {
                    self.check_key_comparison(&Operand::Path(path.clone()), arguments[0].1, true)?;
                    self.check_key_value(&prefix, position)?;
                }
                Ok(Condition::BeginsWith(Operand::Path(path), prefix))
            }
            _ => {
                arity(2)?;
                let path = path_at(0)?;
                Ok(Condition::Contains(
                    Operand::Path(path),
                    arguments[1].0.clone(),
                ))
            }
        }
    }

    fn unknown_function(&self, name: &Spanned<'_>, word: &str) -> Error {
        let known = match self.kind {
            ExpressionKind::Update => UPDATE_FUNCTIONS.join(", "),
            _ => CONDITION_FUNCTIONS.join(", ") + ", size",
        };
        self.error(
            name.start,
            format!("unknown function `{word}` (functions here are {known})"),
        )
    }

    /// `( operand, .. )` after a function name, each with its position.
    fn arguments(&mut self, name: &Spanned<'_>) -> Result<Vec<(Operand, usize)>> {
        self.bump()?; // the name
        self.enter(name.start)?;
        self.expect(Symbol::OpenParen, "`(`")?;
        let mut arguments = Vec::new();
        if !self.eat(Symbol::CloseParen)? {
            loop {
                let start = self.peek()?.start;
                arguments.push((self.operand()?, start));
                if self.eat(Symbol::Comma)? {
                    continue;
                }
                self.expect(Symbol::CloseParen, "`,` or `)` closing the arguments")?;
                break;
            }
        }
        self.leave();
        Ok(arguments)
    }

    /// What follows the left operand of a condition.
    fn comparison(&mut self, lhs: Operand, lhs_start: usize) -> Result<Condition> {
        let token = self.peek()?;
        let comparator = match &token.token {
            Token::Symbol(Symbol::Eq | Symbol::EqEq) => Some(Comparator::Eq),
            Token::Symbol(Symbol::Ne | Symbol::BangEq) => Some(Comparator::Ne),
            Token::Symbol(Symbol::Lt) => Some(Comparator::Lt),
            Token::Symbol(Symbol::Le) => Some(Comparator::Le),
            Token::Symbol(Symbol::Gt) => Some(Comparator::Gt),
            Token::Symbol(Symbol::Ge) => Some(Comparator::Ge),
            _ => None,
        };
        let in_key = self.key_schema.is_some();
        if let Some(comparator) = comparator {
            if in_key {
                if comparator == Comparator::Ne {
                    return Err(self.error(token.start, "a key condition cannot use `<>`"));
                }
                self.check_key_comparison(&lhs, lhs_start, comparator == Comparator::Eq)?;
            }
            self.bump()?;
            let rhs_start = self.peek()?.start;
            let rhs = self.operand()?;
            if in_key {
                self.check_key_value(&rhs, rhs_start)?;
            }
            return Ok(Condition::Compare(lhs, comparator, rhs));
        }
        if Self::is_keyword(&token.token, "between") {
            if in_key {
                self.check_key_comparison(&lhs, lhs_start, false)?;
            }
            self.bump()?;
            let low_start = self.peek()?.start;
            let low = self.operand()?;
            let and = self.peek()?;
            if !Self::is_keyword(&and.token, "and") {
                return Err(self.expected("`AND` between the bounds of BETWEEN", &and));
            }
            self.bump()?;
            let high_start = self.peek()?.start;
            let high = self.operand()?;
            if in_key {
                self.check_key_value(&low, low_start)?;
                self.check_key_value(&high, high_start)?;
            }
            if let (Operand::Value(low), Operand::Value(high)) = (&low, &high)
                && super::eval::compare_values(low, high) == Some(std::cmp::Ordering::Greater)
            {
                return Err(self.error(
                    low_start,
                    "BETWEEN needs its lower bound at most its upper bound",
                ));
            }
            return Ok(Condition::Between(lhs, low, high));
        }
        if Self::is_keyword(&token.token, "in") {
            if in_key {
                return Err(self.error(token.start, "a key condition cannot use IN"));
            }
            self.bump()?;
            return self.membership(lhs);
        }
        if token.token == Token::Symbol(Symbol::Tilde) {
            if in_key {
                return Err(self.error(token.start, "a key condition cannot use `=~`"));
            }
            self.bump()?;
            let (source, flags, end) =
                regex_at(self.text, self.at).map_err(|e| self.lex_error(e))?;
            let pattern_start = super::lex::skip_space(self.text, self.at);
            let pattern = Pattern::new(&source, flags).map_err(|reason| {
                self.error(pattern_start, format!("bad regular expression: {reason}"))
            })?;
            self.at = end;
            return Ok(Condition::Matches(lhs, pattern));
        }
        Err(self.expected(
            "a comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`, BETWEEN, IN or `=~`)",
            &token,
        ))
    }

    /// After `IN`: `(a, b)` (DynamoDB), and the extensions `[a, b]`, `a, b`, a subnet, and a
    /// single operand to look in (`'admin' in roles`).
    fn membership(&mut self, lhs: Operand) -> Result<Condition> {
        let token = self.peek()?;
        let close = match token.token {
            Token::Symbol(Symbol::OpenParen) => Some(Symbol::CloseParen),
            Token::Symbol(Symbol::OpenBracket) => Some(Symbol::CloseBracket),
            Token::Subnet(address, prefix) => {
                self.bump()?;
                return Ok(Condition::InSubnet(lhs, Subnet { address, prefix }));
            }
            _ => None,
        };
        let mut list = Vec::new();
        if let Some(close) = close {
            self.bump()?;
            loop {
                self.push_in_operand(&mut list)?;
                if self.eat(Symbol::Comma)? {
                    continue;
                }
                self.expect(
                    close,
                    &format!("`,` or `{}` closing the list", close.text()),
                )?;
                break;
            }
            return Ok(Condition::In(lhs, list));
        }
        let first = self.operand()?;
        if !self.eat(Symbol::Comma)? {
            // `x in y`: y holds x (a substring, a set or list element), as the original's
            // Python `in`.
            return Ok(Condition::Contains(first, lhs));
        }
        list.push(first);
        loop {
            self.push_in_operand(&mut list)?;
            if !self.eat(Symbol::Comma)? {
                return Ok(Condition::In(lhs, list));
            }
        }
    }

    /// Adds the next operand of an `IN` list, at most [`MAX_IN_OPERANDS`] of them.
    fn push_in_operand(&mut self, list: &mut Vec<Operand>) -> Result<()> {
        let start = self.peek()?.start;
        if list.len() == MAX_IN_OPERANDS {
            return Err(self.error(
                start,
                format!("IN takes at most {MAX_IN_OPERANDS} operands"),
            ));
        }
        list.push(self.operand()?);
        Ok(())
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

    // ---- key conditions ----

    /// In a key condition, the left side of a comparison is a key attribute; the partition key
    /// takes only `=`.
    fn check_key_comparison(
        &self,
        lhs: &Operand,
        position: usize,
        is_equality: bool,
    ) -> Result<()> {
        let Some(schema) = self.key_schema else {
            return Ok(());
        };
        let Operand::Path(path) = lhs else {
            return Err(self.error(position, "a key condition compares a key attribute"));
        };
        let name = path.attribute_name();
        let is_partition = name == schema.partition_key.name;
        let is_sort = schema
            .sort_key
            .as_ref()
            .is_some_and(|sort| sort.name == name);
        if path.0.len() != 1 || !(is_partition || is_sort) {
            return Err(self.error(
                position,
                format!("`{name}` is not a key attribute of the table ({schema})"),
            ));
        }
        if is_partition && !is_equality {
            return Err(self.error(
                position,
                format!("the partition key `{name}` takes only `=` in a key condition"),
            ));
        }
        Ok(())
    }

    fn check_key_value(&self, operand: &Operand, position: usize) -> Result<()> {
        if self.key_schema.is_some() && !matches!(operand, Operand::Value(_)) {
            return Err(self.error(position, "a key condition compares with a value"));
        }
        Ok(())
    }

    // ---- updates ----

    fn update(&mut self) -> Result<Update> {
        let mut actions: Vec<UpdateAction> = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let token = self.peek()?;
            if token.token == Token::End && !seen.is_empty() {
                return Ok(Update { actions });
            }
            let clause = ["SET", "REMOVE", "ADD", "DELETE"]
                .into_iter()
                .find(|clause| Self::is_keyword(&token.token, clause))
                .ok_or_else(|| self.expected("SET, REMOVE, ADD or DELETE", &token))?;
            if seen.contains(&clause) {
                return Err(self.error(
                    token.start,
                    format!("the {clause} clause may appear only once in an update expression"),
                ));
            }
            seen.push(clause);
            self.bump()?;
            loop {
                let start = self.peek()?.start;
                let path = self.required_path("an attribute path")?;
                self.check_no_overlap(actions.iter().map(UpdateAction::path), &path, start)?;
                let action = match clause {
                    "SET" => {
                        self.expect(Symbol::Eq, "`=` after the path")?;
                        UpdateAction::Set(path, self.set_value()?)
                    }
                    "REMOVE" => UpdateAction::Remove(path),
                    _ => {
                        let value_start = self.peek()?.start;
                        let value = self.literal()?;
                        self.check_add_delete(clause, &value, value_start)?;
                        if clause == "ADD" {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        }
                    }
                };
                actions.push(action);
                if !self.eat(Symbol::Comma)? {
                    break;
                }
            }
        }
    }

    fn check_add_delete(&self, clause: &str, value: &Value, position: usize) -> Result<()> {
        let is_set = matches!(value, Value::Ss(_) | Value::Ns(_) | Value::Bs(_));
        let allowed = is_set || (clause == "ADD" && matches!(value, Value::N(_)));
        if !allowed {
            let needs = if clause == "ADD" {
                "a number or a set"
            } else {
                "a set"
            };
            return Err(self.error(
                position,
                format!("{clause} needs {needs}, not a {}", value.type_descriptor()),
            ));
        }
        Ok(())
    }

    /// DynamoDB refuses two actions on one path, or on a path and one inside it.
    fn check_no_overlap<'a>(
        &self,
        mut earlier: impl Iterator<Item = &'a Path>,
        path: &Path,
        position: usize,
    ) -> Result<()> {
        if let Some(other) = earlier.find(|other| other.overlaps(path)) {
            return Err(self.error(
                position,
                format!(
                    "the paths `{}` and `{}` overlap; each may be named once",
                    super::print::path_text(other),
                    super::print::path_text(path)
                ),
            ));
        }
        Ok(())
    }

    /// `operand`, `operand + operand` or `operand - operand`.
    fn set_value(&mut self) -> Result<SetValue> {
        let left = self.set_operand()?;
        if self.eat(Symbol::Plus)? {
            let right = self.set_operand()?;
            return Ok(SetValue::Plus(Box::new(left), Box::new(right)));
        }
        if self.eat(Symbol::Minus)? {
            let right = self.set_operand()?;
            return Ok(SetValue::Minus(Box::new(left), Box::new(right)));
        }
        Ok(left)
    }

    fn set_operand(&mut self) -> Result<SetValue> {
        let token = self.peek()?;
        let Token::Word(word) = token.token else {
            return Ok(SetValue::Operand(self.operand()?));
        };
        if !self.is_call(&token) || word == "size" {
            return Ok(SetValue::Operand(self.operand()?));
        }
        if !UPDATE_FUNCTIONS.contains(&word) {
            return Err(self.unknown_function(&token, word));
        }
        self.bump()?;
        self.enter(token.start)?;
        self.expect(Symbol::OpenParen, "`(`")?;
        let first_start = self.peek()?.start;
        let value = if word == "if_not_exists" {
            let path = match self.set_value()? {
                SetValue::Operand(Operand::Path(path)) => path,
                _ => {
                    return Err(self.error(
                        first_start,
                        "the first argument of `if_not_exists` must be an attribute path",
                    ));
                }
            };
            self.expect(Symbol::Comma, "`,` and the value of `if_not_exists`")?;
            SetValue::IfNotExists(path, Box::new(self.set_value()?))
        } else {
            let first = self.set_value()?;
            self.expect(Symbol::Comma, "`,` and the second list of `list_append`")?;
            SetValue::ListAppend(Box::new(first), Box::new(self.set_value()?))
        };
        let close = self.peek()?;
        if close.token != Token::Symbol(Symbol::CloseParen) {
            return Err(self.error(
                close.start,
                format!(
                    "the function `{word}` takes 2 arguments; expected `)`, found {}",
                    close.token
                ),
            ));
        }
        self.bump()?;
        self.leave();
        Ok(value)
    }
}
