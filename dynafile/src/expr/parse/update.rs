//! Update expressions: `SET`, `REMOVE`, `ADD` and `DELETE` clauses.

use crate::error::Result;
use crate::value::Value;

use super::super::lex::{Symbol, Token};
use super::super::{Operand, Path, Resolver, SetValue, Update, UpdateAction};
use super::{ExpressionKind, Parser, UPDATE_FUNCTIONS};

/// Parses an update expression: `SET`, `REMOVE`, `ADD` and `DELETE` clauses in any order,
/// each at most once, no two actions on overlapping paths.
pub(crate) fn parse_update(text: &str, resolver: &mut Resolver<'_>) -> Result<Update> {
    let mut parser = Parser::new(ExpressionKind::Update, text, resolver, None)?;
    let update = parser.update()?;
    parser.end("update")?;
    Ok(update)
}

impl Parser<'_, '_, '_> {
    // ---- updates ----

    pub(super) fn update(&mut self) -> Result<Update> {
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

    pub(super) fn check_add_delete(
        &self,
        clause: &str,
        value: &Value,
        position: usize,
    ) -> Result<()> {
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
                format!("{clause} needs {needs}, not {}", value.type_with_article()),
            ));
        }
        Ok(())
    }

    /// DynamoDB refuses two actions on one path, or on a path and one inside it.
    pub(super) fn check_no_overlap<'a>(
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
                    super::super::print::path_text(other),
                    super::super::print::path_text(path)
                ),
            ));
        }
        Ok(())
    }

    /// `operand`, `operand + operand` or `operand - operand`.
    pub(super) fn set_value(&mut self) -> Result<SetValue> {
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

    pub(super) fn set_operand(&mut self) -> Result<SetValue> {
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
