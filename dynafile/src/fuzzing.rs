//! The crate's parsers and decoders for the fuzz targets in `fuzz/`, behind the `fuzzing`
//! feature. Thin wrappers: each calls the crate-private function the engine uses, so a target
//! exercises exactly the engine's code. Not a public API: it changes whenever the internals do.

use std::fmt;

use crate::error::Result;
use crate::expr::{self, Condition, Operand, Path, PathElement, Placeholders, Resolver};
use crate::item::Item;
use crate::key::{Key, KeyAttribute, KeySchema, KeyType, SortCondition};
use crate::number::Number;
use crate::partiql;
use crate::value::Value;

/// Decodes an item from its storage encoding; `None` when the bytes are not one.
#[must_use]
pub fn decode_item(bytes: &[u8]) -> Option<Item> {
    crate::encoding::decode_item(bytes).ok()
}

/// Encodes an item as the log and partition files store it (no attribute left out).
#[must_use]
pub fn encode_item(item: &Item) -> Vec<u8> {
    crate::encoding::encode_item(item, &[])
}

/// Decodes a stored key of `schema`; `None` when the bytes are not one.
#[must_use]
pub fn decode_key(schema: &KeySchema, bytes: &[u8]) -> Option<Key> {
    crate::key::decode_key(schema, bytes)
}

/// Encodes a key as it is stored, validated against `schema`.
pub fn encode_key(schema: &KeySchema, key: &Key) -> Result<Vec<u8>> {
    crate::key::encode_key(schema, key)
}

/// The order-preserving encoding of a number (sort keys).
#[must_use]
pub fn encode_ordered(number: &Number) -> Vec<u8> {
    let mut out = Vec::new();
    number.encode_ordered(&mut out);
    out
}

/// Decodes [`encode_ordered`]: the number and the bytes it took.
#[must_use]
pub fn decode_ordered(bytes: &[u8]) -> Option<(Number, usize)> {
    Number::decode_ordered(bytes)
}

/// The compact encoding of a number (item values).
#[must_use]
pub fn encode_compact(number: &Number) -> Vec<u8> {
    let mut out = Vec::new();
    number.encode_compact(&mut out);
    out
}

/// Decodes [`encode_compact`]: the number and the bytes it took.
#[must_use]
pub fn decode_compact(bytes: &[u8]) -> Option<(Number, usize)> {
    Number::decode_compact(bytes)
}

/// Which expression grammar [`parse_expression`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpressionKind {
    /// A condition expression.
    Condition,
    /// A filter expression.
    Filter,
    /// A key condition expression of [`sample_schema`].
    KeyCondition,
    /// An update expression.
    Update,
    /// A projection expression.
    Projection,
}

/// The key schema key conditions are parsed against: `PK` (S) and `SK` (N).
#[must_use]
pub fn sample_schema() -> KeySchema {
    KeySchema {
        partition_key: KeyAttribute::new("PK", KeyType::S),
        sort_key: Some(KeyAttribute::new("SK", KeyType::N)),
    }
}

/// The placeholders every fuzzed expression may use: a value of each type (`:s`, `:n`, `:b`,
/// `:t`, `:null`, `:l`, `:m`, `:ss`, `:ns`, `:bs`, and `:s2`, `:n2` for ranges) and names
/// (`#a` for `a`, `#pk`, `#sk`, `#dot` for `a.b`, `#sp` for `with space`).
#[must_use]
fn sample_placeholders() -> Placeholders {
    let mut placeholders = Placeholders::default();
    for (placeholder, name) in [
        ("#a", "a"),
        ("#pk", "PK"),
        ("#sk", "SK"),
        ("#dot", "a.b"),
        ("#sp", "with space"),
    ] {
        placeholders.name(placeholder, name);
    }
    let values: [(&str, Value); 12] = [
        (":s", Value::from("text")),
        (":s2", Value::from("texu")),
        (":n", Value::from(12)),
        (":n2", Value::from(-3)),
        (":b", Value::B(vec![0, 255])),
        (":t", Value::Bool(true)),
        (":null", Value::Null),
        (":l", Value::L(vec![Value::from(1), Value::from("x")])),
        (":m", Value::M([("k".to_owned(), Value::from("v"))].into())),
        (":ss", Value::string_set(["a", "b"])),
        (":ns", Value::number_set([1, 2])),
        (":bs", Value::binary_set([vec![1u8], vec![2u8]])),
    ];
    for (placeholder, value) in values {
        placeholders.value(placeholder, value);
    }
    placeholders
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ast {
    Condition(Condition),
    KeyCondition(Value, Option<SortCondition>),
    Update(expr::Update),
    Projection(expr::Projection),
}

/// A parsed expression, compared by its AST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    kind: ExpressionKind,
    ast: Ast,
}

/// Parses `text` as an expression of `kind`, with the sample placeholders (unused ones are
/// allowed).
pub fn parse_expression(kind: ExpressionKind, text: &str) -> Result<Expression> {
    let placeholders = sample_placeholders();
    parse_with(kind, text, &placeholders)
}

fn parse_with(kind: ExpressionKind, text: &str, placeholders: &Placeholders) -> Result<Expression> {
    let mut resolver = Resolver::new(placeholders);
    let ast = match kind {
        ExpressionKind::Condition => Ast::Condition(expr::parse_condition(
            expr::ExpressionKind::Condition,
            text,
            &mut resolver,
        )?),
        ExpressionKind::Filter => Ast::Condition(expr::parse_condition(
            expr::ExpressionKind::Filter,
            text,
            &mut resolver,
        )?),
        ExpressionKind::KeyCondition => {
            let (partition, sort) =
                expr::parse_key_condition(text, &sample_schema(), &mut resolver)?;
            Ast::KeyCondition(partition, sort)
        }
        ExpressionKind::Update => Ast::Update(expr::parse_update(text, &mut resolver)?),
        ExpressionKind::Projection => Ast::Projection(expr::parse_projection(text, &mut resolver)?),
    };
    Ok(Expression { kind, ast })
}

impl Expression {
    /// The expression printed back as text, with the placeholders it needs.
    fn printed(&self) -> (String, Placeholders) {
        match &self.ast {
            Ast::Condition(condition) => expr::print_condition(condition),
            Ast::KeyCondition(partition, sort) => {
                expr::print_condition(&key_condition(partition, sort.as_ref()))
            }
            Ast::Update(update) => expr::print_update(update),
            Ast::Projection(projection) => expr::print_projection(projection),
        }
    }

    /// Prints the expression and parses the printed text again.
    pub fn reparse(&self) -> Result<Expression> {
        let (text, placeholders) = self.printed();
        parse_with(self.kind, &text, &placeholders)
    }

    /// The printed text [`Expression::reparse`] reads (for messages).
    #[must_use]
    pub fn printed_text(&self) -> String {
        self.printed().0
    }
}

/// A key condition as the condition it was parsed from: `PK = v AND <sort condition>`.
fn key_condition(partition: &Value, sort: Option<&SortCondition>) -> Condition {
    let key_path = |name: &str| Operand::Path(Path(vec![PathElement::Name(name.to_owned())]));
    let value = |value: &Value| Operand::Value(value.clone());
    let partition = Condition::Compare(key_path("PK"), expr::Comparator::Eq, value(partition));
    let compare = |comparator, v: &Value| Condition::Compare(key_path("SK"), comparator, value(v));
    let sort = match sort {
        None => return partition,
        Some(SortCondition::Eq(v)) => compare(expr::Comparator::Eq, v),
        Some(SortCondition::Lt(v)) => compare(expr::Comparator::Lt, v),
        Some(SortCondition::Le(v)) => compare(expr::Comparator::Le, v),
        Some(SortCondition::Gt(v)) => compare(expr::Comparator::Gt, v),
        Some(SortCondition::Ge(v)) => compare(expr::Comparator::Ge, v),
        Some(SortCondition::Between(low, high)) => {
            Condition::Between(key_path("SK"), value(low), value(high))
        }
        Some(SortCondition::BeginsWith(prefix)) => {
            Condition::BeginsWith(key_path("SK"), value(prefix))
        }
    };
    Condition::And(Box::new(partition), Box::new(sort))
}

/// A parsed PartiQL statement, compared by its AST; `Display` prints it as canonical PartiQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement(partiql::Statement);

/// Parses one PartiQL statement.
pub fn parse_partiql(text: &str) -> Result<Statement> {
    partiql::parse(text).map(Statement)
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
