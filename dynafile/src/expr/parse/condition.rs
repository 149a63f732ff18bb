//! Conditions: `OR`, `AND`, `NOT`, comparisons, `BETWEEN`, `IN`, functions, and the key
//! condition's restrictions.

use crate::error::{Error, Result};
use crate::key::{KeySchema, SortCondition};
use crate::value::Value;

use super::super::lex::{Spanned, Symbol, Token, regex_at};
use super::super::{
    Comparator, Condition, MAX_IN_OPERANDS, Operand, Path, Pattern, Resolver, Subnet,
};
use super::{CONDITION_FUNCTIONS, ExpressionKind, Parser, TYPE_DESCRIPTORS, UPDATE_FUNCTIONS};

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

impl<'t> Parser<'t, '_, '_> {
    // ---- conditions ----

    /// `OR` binds loosest, then `AND`, then `NOT` (DynamoDB's precedence).
    pub(super) fn condition(&mut self) -> Result<Condition> {
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

    pub(super) fn and(&mut self) -> Result<Condition> {
        let mut left = self.not()?;
        while self.eat_keyword("and")? {
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn not(&mut self) -> Result<Condition> {
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

    pub(super) fn primary(&mut self) -> Result<Condition> {
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

    pub(super) fn condition_function(
        &mut self,
        name: &Spanned<'t>,
        word: &str,
    ) -> Result<Condition> {
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
                            "`begins_with` needs a string or binary prefix, not {}",
                            value.type_with_article()
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

    pub(super) fn unknown_function(&self, name: &Spanned<'_>, word: &str) -> Error {
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
    pub(super) fn arguments(&mut self, name: &Spanned<'_>) -> Result<Vec<(Operand, usize)>> {
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
    pub(super) fn comparison(&mut self, lhs: Operand, lhs_start: usize) -> Result<Condition> {
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
                && super::super::eval::compare_values(low, high)
                    == Some(std::cmp::Ordering::Greater)
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
            let pattern_start = super::super::lex::skip_space(self.text, self.at);
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
    pub(super) fn membership(&mut self, lhs: Operand) -> Result<Condition> {
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
    pub(super) fn push_in_operand(&mut self, list: &mut Vec<Operand>) -> Result<()> {
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

    // ---- key conditions ----

    /// In a key condition, the left side of a comparison is a key attribute; the partition key
    /// takes only `=`.
    pub(super) fn check_key_comparison(
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

    pub(super) fn check_key_value(&self, operand: &Operand, position: usize) -> Result<()> {
        if self.key_schema.is_some() && !matches!(operand, Operand::Value(_)) {
            return Err(self.error(position, "a key condition compares with a value"));
        }
        Ok(())
    }
}
