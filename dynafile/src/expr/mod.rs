//! Expressions: one AST for conditions, filters, key conditions, projections and updates, the
//! parser of DynamoDB's expression syntax (with the original dynafile's filter operators as
//! extensions), and the evaluator over [`Item`]s. It knows items and values, nothing of
//! storage.
//!
//! The AST is built from strings by [`parse`] or directly from code (the PartiQL layer does).
//! Placeholders (`#name`, `:value`) are substituted while parsing, so evaluation does no
//! look-ups: a path holds attribute names, an operand holds its value.

mod eval;
mod lex;
mod parse;
mod print;
mod projection;
mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::error::{Error, Result};
use crate::value::Value;

pub(crate) use eval::{evaluate, resolve};
pub(crate) use parse::{
    ExpressionKind, parse_condition, parse_key_condition, parse_projection, parse_update,
};
pub(crate) use print::path_text;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use print::{print_condition, print_projection, print_update};
pub(crate) use projection::Projection;
pub(crate) use update::{UpdateResult, apply_update};

/// Most operands on the right of `IN` (DynamoDB's limit).
pub(crate) const MAX_IN_OPERANDS: usize = 100;

/// One step of a document path: an attribute or map key name, or a list index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PathElement {
    /// A top-level attribute or a key of a map.
    Name(String),
    /// An element of a list.
    Index(usize),
}

/// A document path: `a`, `a.b`, `a[0]`, `a.b[2].c`. It starts with a name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Path(pub(crate) Vec<PathElement>);

impl Path {
    /// The top-level attribute the path starts in.
    pub(crate) fn attribute_name(&self) -> &str {
        match self.0.first() {
            Some(PathElement::Name(name)) => name,
            // Parsing and the constructors always start a path with a name.
            _ => "",
        }
    }

    /// True when `self` is `other` or leads into it (`a` and `a.b`, `l` and `l[0]`).
    pub(crate) fn overlaps(&self, other: &Path) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }
}

/// A value to compare: an attribute's value, a literal (from a `:value` placeholder or inline)
/// or the size of an attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    /// The value at a path of the item; absent when the item has none there.
    Path(Path),
    /// A value given with the expression.
    Value(Value),
    /// `size(path)`: the length of a string or binary, the number of elements of a set, list or
    /// map; absent for other types and missing attributes.
    Size(Path),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparator {
    /// `=` (also `==`).
    Eq,
    /// `<>` (also `!=`).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A compiled regular expression with the text it was compiled from (for printing and
/// comparing ASTs).
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    /// The pattern as written between the slashes.
    pub(crate) source: String,
    /// The flags after the closing slash, each of `i`, `m`, `s`.
    pub(crate) flags: String,
    pub(crate) regex: regex::Regex,
}

impl Pattern {
    /// Compiles `source` with `flags`; the error is the regex crate's description.
    pub(crate) fn new(source: &str, flags: &str) -> std::result::Result<Pattern, String> {
        let mut builder = regex::RegexBuilder::new(source);
        for flag in flags.chars() {
            match flag {
                'i' => builder.case_insensitive(true),
                'm' => builder.multi_line(true),
                's' => builder.dot_matches_new_line(true),
                other => return Err(format!("unknown regular expression flag `{other}`")),
            };
        }
        let regex = builder.build().map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_owned(),
            flags: flags.to_owned(),
            regex,
        })
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source && self.flags == other.flags
    }
}

impl Eq for Pattern {}

/// An IPv4 subnet, `10.0.0.0/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Subnet {
    pub(crate) address: Ipv4Addr,
    /// The prefix length, 0 to 32.
    pub(crate) prefix: u8,
}

impl Subnet {
    pub(crate) fn contains(&self, address: Ipv4Addr) -> bool {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        u32::from(address) & mask == u32::from(self.address) & mask
    }
}

/// A condition: what condition, filter and key condition expressions are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `a = b`, `a < b`, ...
    Compare(Operand, Comparator, Operand),
    /// `a BETWEEN low AND high`, both bounds included.
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, ..)`: equal to one of the list.
    In(Operand, Vec<Operand>),
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
    /// `attribute_exists(path)`.
    Exists(Path),
    /// `attribute_not_exists(path)`.
    NotExists(Path),
    /// `attribute_type(path, type)`, the type a descriptor such as `"S"` or `"NS"`.
    AttributeType(Path, Operand),
    /// `begins_with(path, prefix)` on strings and binaries.
    BeginsWith(Operand, Operand),
    /// `contains(path, operand)`: a substring of a string, an element of a set or list.
    Contains(Operand, Operand),
    /// `path =~ /re/` (extension): a string matching the regular expression anywhere, or a
    /// list with such a string.
    Matches(Operand, Pattern),
    /// `path in 10.0.0.0/8` (extension): a string holding an IPv4 address in the subnet, or a
    /// list with such a string.
    InSubnet(Operand, Subnet),
}

/// The value a `SET` action writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SetValue {
    /// A path of the item (its value before the update) or a value.
    Operand(Operand),
    /// `if_not_exists(path, value)`: the value at path when there is one, else `value`.
    IfNotExists(Path, Box<SetValue>),
    /// `list_append(a, b)`: the elements of `a` then those of `b`.
    ListAppend(Box<SetValue>, Box<SetValue>),
    /// `a + b` on numbers.
    Plus(Box<SetValue>, Box<SetValue>),
    /// `a - b` on numbers.
    Minus(Box<SetValue>, Box<SetValue>),
}

/// One action of an update expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UpdateAction {
    /// `SET path = value`.
    Set(Path, SetValue),
    /// `REMOVE path`.
    Remove(Path),
    /// `ADD path value`: adds to a number, or adds elements to a set.
    Add(Path, Value),
    /// `DELETE path value`: removes elements from a set.
    Delete(Path, Value),
}

impl UpdateAction {
    /// The path the action changes.
    pub(crate) fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(path, _)
            | UpdateAction::Remove(path)
            | UpdateAction::Add(path, _)
            | UpdateAction::Delete(path, _) => path,
        }
    }
}

/// An update expression: its actions, in the order written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Update {
    pub(crate) actions: Vec<UpdateAction>,
}

/// The `#name` and `:value` placeholders of one request, shared by all its expressions.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Placeholders {
    /// `#name` to attribute name (DynamoDB's `ExpressionAttributeNames`).
    pub(crate) names: BTreeMap<String, String>,
    /// `:value` to value (DynamoDB's `ExpressionAttributeValues`).
    pub(crate) values: BTreeMap<String, Value>,
}

impl Placeholders {
    /// Adds `#name` for `attribute`; `placeholder` may be given with or without its `#`.
    pub(crate) fn name(&mut self, placeholder: &str, attribute: impl Into<String>) {
        let key = if placeholder.starts_with('#') {
            placeholder.to_owned()
        } else {
            format!("#{placeholder}")
        };
        self.names.insert(key, attribute.into());
    }

    /// Adds `:value`; `placeholder` may be given with or without its `:`.
    pub(crate) fn value(&mut self, placeholder: &str, value: impl Into<Value>) {
        let key = if placeholder.starts_with(':') {
            placeholder.to_owned()
        } else {
            format!(":{placeholder}")
        };
        self.values.insert(key, value.into());
    }
}

/// Substitutes placeholders while the expressions of one request are parsed, and remembers
/// which were used: DynamoDB rejects a request with a placeholder none of them uses.
pub(crate) struct Resolver<'p> {
    placeholders: &'p Placeholders,
    used_names: BTreeSet<&'p str>,
    used_values: BTreeSet<&'p str>,
}

impl<'p> Resolver<'p> {
    pub(crate) fn new(placeholders: &'p Placeholders) -> Resolver<'p> {
        Resolver {
            placeholders,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// The attribute name of `#placeholder`.
    pub(crate) fn name(&mut self, placeholder: &str) -> Option<&'p str> {
        let (key, name) = self.placeholders.names.get_key_value(placeholder)?;
        self.used_names.insert(key);
        Some(name)
    }

    /// The value of `:placeholder`.
    pub(crate) fn value(&mut self, placeholder: &str) -> Option<&'p Value> {
        let (key, value) = self.placeholders.values.get_key_value(placeholder)?;
        self.used_values.insert(key);
        Some(value)
    }

    /// Fails on the first placeholder that no expression used.
    pub(crate) fn finish(self) -> Result<()> {
        if let Some(unused) = self
            .placeholders
            .names
            .keys()
            .find(|name| !self.used_names.contains(name.as_str()))
        {
            return Err(Error::validation(format!(
                "the name placeholder `{unused}` is not used in any expression of the request"
            )));
        }
        if let Some(unused) = self
            .placeholders
            .values
            .keys()
            .find(|value| !self.used_values.contains(value.as_str()))
        {
            return Err(Error::validation(format!(
                "the value placeholder `{unused}` is not used in any expression of the request"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
