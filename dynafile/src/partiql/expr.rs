//! PartiQL expressions: a small owned tree of what a statement says.
//!
//! The tree keeps paths, literals, `?` parameters, operators and DynamoDB's functions, and
//! nothing of sqlparser, so that translating it into dynafile's expression AST is a plain
//! fold. It is built from sqlparser's AST in [`convert`](super::convert).

use std::fmt;

use crate::value::Value;

/// An attribute path: a top-level attribute name, then map keys and list indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    /// The top-level attribute.
    pub(crate) root: String,
    /// Map keys (`.name`, `['name']`) and list indexes (`[0]`) after it, in order.
    pub(crate) steps: Vec<PathStep>,
}

/// One step of a [`Path`] below its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// `=`
    Eq,
    /// `<>` or `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// An arithmetic operator (DynamoDB's PartiQL has these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arithmetic {
    /// `+`
    Add,
    /// `-`
    Subtract,
}

/// A function DynamoDB's PartiQL knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    /// `attribute_exists(path)`
    AttributeExists,
    /// `attribute_not_exists(path)`
    AttributeNotExists,
    /// `attribute_type(path, type)`
    AttributeType,
    /// `begins_with(path, prefix)`
    BeginsWith,
    /// `contains(path, operand)`
    Contains,
    /// `size(path)`
    Size,
    /// `list_append(list, list)`, in `SET`.
    ListAppend,
    /// `if_not_exists(path, value)`, in `SET`.
    IfNotExists,
    /// `set_add(set, set)`, in `SET`.
    SetAdd,
    /// `set_delete(set, set)`, in `SET`.
    SetDelete,
}

impl Function {
    const ALL: [Function; 10] = [
        Function::AttributeExists,
        Function::AttributeNotExists,
        Function::AttributeType,
        Function::BeginsWith,
        Function::Contains,
        Function::Size,
        Function::ListAppend,
        Function::IfNotExists,
        Function::SetAdd,
        Function::SetDelete,
    ];

    /// The name as written (PartiQL function names ignore case).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::AttributeType => "attribute_type",
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::Size => "size",
            Function::ListAppend => "list_append",
            Function::IfNotExists => "if_not_exists",
            Function::SetAdd => "set_add",
            Function::SetDelete => "set_delete",
        }
    }

    pub(crate) fn named(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|function| function.name().eq_ignore_ascii_case(name))
    }

    /// How many arguments the function takes.
    pub(crate) fn arity(self) -> usize {
        match self {
            Function::AttributeExists | Function::AttributeNotExists | Function::Size => 1,
            _ => 2,
        }
    }

    /// Whether the first argument must be an attribute path.
    pub(crate) fn takes_path_first(self) -> bool {
        !matches!(self, Function::ListAppend)
    }
}

/// A PartiQL expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// An attribute path.
    Path(Path),
    /// A literal scalar or set: `S`, `N` (exact), `BOOL`, `NULL`, `SS` or `NS`; once `?`
    /// parameters are bound, any value.
    Literal(Value),
    /// A `?` parameter, numbered from 0 in order of appearance in the statement.
    Parameter(usize),
    /// A list literal `[..]`, whose elements may be any expressions.
    List(Vec<Expr>),
    /// A map literal `{'key': value, ..}`, in the order written (keys are distinct).
    Map(Vec<(String, Expr)>),
    /// `left op right`.
    Compare {
        /// The left operand.
        left: Box<Expr>,
        /// The operator.
        op: Comparison,
        /// The right operand.
        right: Box<Expr>,
    },
    /// `value BETWEEN low AND high`, bounds included.
    Between {
        /// The operand.
        value: Box<Expr>,
        /// The lower bound.
        low: Box<Expr>,
        /// The upper bound.
        high: Box<Expr>,
    },
    /// `value IN [a, b]` (or `IN (a, b)`).
    In {
        /// The operand.
        value: Box<Expr>,
        /// The candidates, never empty.
        list: Vec<Expr>,
    },
    /// `left AND right`.
    And(Box<Expr>, Box<Expr>),
    /// `left OR right`.
    Or(Box<Expr>, Box<Expr>),
    /// `NOT operand`.
    Not(Box<Expr>),
    /// `value IS [NOT] MISSING`: whether the attribute is absent.
    IsMissing {
        /// The operand.
        value: Box<Expr>,
        /// `IS NOT MISSING`.
        negated: bool,
    },
    /// `value IS [NOT] NULL`: whether the value is DynamoDB's `NULL`.
    IsNull {
        /// The operand.
        value: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `left + right`, `left - right`.
    Arithmetic {
        /// The left operand.
        left: Box<Expr>,
        /// The operator.
        op: Arithmetic,
        /// The right operand.
        right: Box<Expr>,
    },
    /// A call of one of DynamoDB's functions, with as many arguments as it takes.
    Call {
        /// The function.
        function: Function,
        /// The arguments, in order.
        args: Vec<Expr>,
    },
}

/// Writes a name bare when it reads as an identifier, else in double quotes.
pub(crate) fn write_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if bare {
        f.write_str(name)
    } else {
        write!(f, "\"{}\"", name.replace('"', "\"\""))
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    write!(f, "'{}'", text.replace('\'', "''"))
}

/// Writes each of `items` with `write`, separated by commas.
fn write_joined<T>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut fmt::Formatter<'_>, T) -> fmt::Result,
) -> fmt::Result {
    for (position, item) in items.into_iter().enumerate() {
        if position > 0 {
            f.write_str(", ")?;
        }
        write(f, item)?;
    }
    Ok(())
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    write_joined(f, items, |f, item| write!(f, "{item}"))
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_name(f, &self.root)?;
        for step in &self.steps {
            match step {
                PathStep::Key(key) => {
                    f.write_str(".")?;
                    write_name(f, key)?;
                }
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Eq => "=",
            Comparison::Ne => "<>",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        })
    }
}

/// PartiQL text with every compound expression in parentheses and parameters numbered
/// (`?0`, `?1`, ..), so that two trees print alike exactly when they are alike.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Path(path) => write!(f, "{path}"),
            Expr::Literal(value) => write_literal(f, value),
            Expr::Parameter(index) => write!(f, "?{index}"),
            Expr::List(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            Expr::Map(entries) => {
                f.write_str("{")?;
                write_joined(f, entries, |f, (key, value)| {
                    write_string(f, key)?;
                    write!(f, ": {value}")
                })?;
                f.write_str("}")
            }
            Expr::Compare { left, op, right } => write!(f, "({left} {op} {right})"),
            Expr::Between { value, low, high } => write!(f, "({value} BETWEEN {low} AND {high})"),
            Expr::In { value, list } => {
                write!(f, "({value} IN [")?;
                write_list(f, list)?;
                f.write_str("])")
            }
            Expr::And(left, right) => write!(f, "({left} AND {right})"),
            Expr::Or(left, right) => write!(f, "({left} OR {right})"),
            Expr::Not(operand) => write!(f, "(NOT {operand})"),
            Expr::IsMissing { value, negated } => {
                write!(
                    f,
                    "({value} IS {}MISSING)",
                    if *negated { "NOT " } else { "" }
                )
            }
            Expr::IsNull { value, negated } => {
                write!(f, "({value} IS {}NULL)", if *negated { "NOT " } else { "" })
            }
            Expr::Arithmetic { left, op, right } => {
                let op = match op {
                    Arithmetic::Add => "+",
                    Arithmetic::Subtract => "-",
                };
                write!(f, "({left} {op} {right})")
            }
            Expr::Call { function, args } => {
                write!(f, "{}(", function.name())?;
                write_list(f, args)?;
                f.write_str(")")
            }
        }
    }
}

fn write_literal(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::S(text) => write_string(f, text),
        Value::N(number) => write!(f, "{number}"),
        Value::Bool(flag) => write!(f, "{flag}"),
        Value::Null => f.write_str("null"),
        Value::Ss(strings) => {
            f.write_str("<<")?;
            write_joined(f, strings, |f, text| write_string(f, text))?;
            f.write_str(">>")
        }
        Value::Ns(numbers) => {
            f.write_str("<<")?;
            write_joined(f, numbers, |f, number| write!(f, "{number}"))?;
            f.write_str(">>")
        }
        Value::L(items) => {
            f.write_str("[")?;
            write_joined(f, items, write_literal)?;
            f.write_str("]")
        }
        Value::M(map) => {
            f.write_str("{")?;
            write_joined(f, map, |f, (key, value)| {
                write_string(f, key)?;
                f.write_str(": ")?;
                write_literal(f, value)
            })?;
            f.write_str("}")
        }
        // PartiQL has no literal for binaries and binary sets (bound `?` values).
        other => write!(f, "{other:?}"),
    }
}
