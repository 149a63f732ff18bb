//! Conversion of sqlparser's expressions into PartiQL's own [`Expr`] tree.
//!
//! Whatever sqlparser accepts that DynamoDB's PartiQL does not (subqueries, `LIKE`, `CASE`,
//! unknown functions, ...) is turned away here as [`Error::Validation`] naming the construct.

use std::collections::BTreeSet;

use sqlparser::ast::{
    self as sql, AccessExpr, BinaryOperator, DictionaryField, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, InTarget, Subscript, UnaryOperator,
};

use super::dialect::MarkerFunction;
use super::expr::{Arithmetic, Comparison, Expr, Function, Path, PathStep};
use crate::error::{Error, Result};
use crate::number::Number;
use crate::value::Value;

/// How deeply expressions may nest once converted. sqlparser's own recursion limit bounds
/// nesting through parentheses and prefixes; this one bounds long left-leaning chains such as
/// `a + a + a ...`, which sqlparser builds without recursing but which later folds walk
/// recursively.
pub(crate) const MAX_EXPRESSION_DEPTH: usize = 256;

/// Stack kept free below every conversion level: room for the deepest sqlparser tree a
/// statement of [`MAX_STATEMENT_LENGTH`](super::parse::MAX_STATEMENT_LENGTH) characters can
/// hold (a chain `1+1+..` of 4,096 levels) to be dropped recursively, as sqlparser's types
/// drop, with a wide margin for unoptimized builds.
const STACK_RED_ZONE: usize = 1024 * 1024;
/// Size of each stack segment added when less than [`STACK_RED_ZONE`] is left.
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f` with at least [`STACK_RED_ZONE`] of stack, growing the stack on the heap when
/// less is left: a conversion level takes kilobytes of stack in unoptimized builds, and
/// dropping an unconverted sqlparser tree recurses through all of it.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, f)
}

/// Converts sqlparser expressions of one statement, numbering its `?` parameters.
///
/// Expressions must be converted in the order they appear in the statement, so that
/// parameters are numbered in order of appearance.
#[derive(Debug, Default)]
pub(crate) struct Converter {
    parameters: usize,
    depth: usize,
}

impl Converter {
    /// Converts one expression.
    pub(crate) fn expr(&mut self, expr: sql::Expr) -> Result<Expr> {
        with_stack(|| self.expr_with_stack(expr))
    }

    fn expr_with_stack(&mut self, expr: sql::Expr) -> Result<Expr> {
        self.depth += 1;
        let converted = if self.depth > MAX_EXPRESSION_DEPTH {
            Err(Error::validation(format!(
                "expression nests more than {MAX_EXPRESSION_DEPTH} levels deep"
            )))
        } else {
            self.expr_at_depth(expr)
        };
        self.depth -= 1;
        converted
    }

    /// Converts an expression that must be an attribute path; `role` says what it is for in
    /// the message when it is not one (`"an UPDATE's SET target"`).
    pub(crate) fn path(&mut self, expr: sql::Expr, role: &str) -> Result<Path> {
        match self.expr(expr)? {
            Expr::Path(path) => Ok(path),
            other => Err(Error::validation(format!(
                "{role} must be an attribute path, not `{other}`"
            ))),
        }
    }

    fn expr_at_depth(&mut self, expr: sql::Expr) -> Result<Expr> {
        match expr {
            sql::Expr::Identifier(ident) => Ok(Expr::Path(Path {
                root: ident.value,
                steps: Vec::new(),
            })),
            sql::Expr::CompoundIdentifier(idents) => compound_path(idents),
            sql::Expr::CompoundFieldAccess { root, access_chain } => {
                self.access_path(*root, access_chain)
            }
            sql::Expr::Value(value) => self.value(value.value),
            sql::Expr::Nested(inner) => self.expr(*inner),
            sql::Expr::UnaryOp { op, expr } => self.unary(op, *expr),
            sql::Expr::BinaryOp { left, op, right } => self.binary(*left, op, *right),
            sql::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let between = Expr::Between {
                    value: Box::new(self.expr(*expr)?),
                    low: Box::new(self.expr(*low)?),
                    high: Box::new(self.expr(*high)?),
                };
                Ok(negate_if(negated, between))
            }
            sql::Expr::In {
                expr,
                target,
                negated,
                global: _,
            } => {
                let value = Box::new(self.expr(*expr)?);
                let InTarget::List(mut list) = target else {
                    return Err(unsupported("IN with a subquery, UNNEST or a table"));
                };
                // `x IN [a, b]` arrives as one candidate, the list `[a, b]`: its elements are
                // the candidates (so `x IN ([a, b])` is read the same way).
                if let [sql::Expr::Array(array)] = list.as_mut_slice()
                    && !array.named
                {
                    list = std::mem::take(&mut array.elem);
                    if list.is_empty() {
                        return Err(Error::validation(
                            "IN needs at least one candidate".to_string(),
                        ));
                    }
                }
                let list = list
                    .into_iter()
                    .map(|element| self.expr(element))
                    .collect::<Result<_>>()?;
                Ok(negate_if(negated, Expr::In { value, list }))
            }
            sql::Expr::IsNull(inner) => Ok(Expr::IsNull {
                value: Box::new(self.expr(*inner)?),
                negated: false,
            }),
            sql::Expr::IsNotNull(inner) => Ok(Expr::IsNull {
                value: Box::new(self.expr(*inner)?),
                negated: true,
            }),
            sql::Expr::Function(function) => self.function(function),
            sql::Expr::Array(array) => {
                if array.named {
                    return Err(unsupported("ARRAY[..] (write a list as [..])"));
                }
                let elements = array
                    .elem
                    .into_iter()
                    .map(|element| self.expr(element))
                    .collect::<Result<_>>()?;
                Ok(Expr::List(elements))
            }
            sql::Expr::Dictionary(fields) => self.map(fields),
            sql::Expr::Subquery(_) | sql::Expr::Exists { .. } => Err(unsupported("subqueries")),
            sql::Expr::Like { .. } | sql::Expr::ILike { .. } | sql::Expr::SimilarTo { .. } => {
                Err(unsupported("LIKE (use begins_with or contains)"))
            }
            sql::Expr::Tuple(_) => Err(unsupported("tuples `(a, b)`")),
            sql::Expr::Case { .. } => Err(unsupported("CASE")),
            sql::Expr::Cast { .. } => Err(unsupported("CAST")),
            other => Err(unsupported(&format!("the expression `{other}`"))),
        }
    }

    fn value(&mut self, value: sql::Value) -> Result<Expr> {
        match value {
            sql::Value::Number(text, _) => number_literal(&text),
            sql::Value::SingleQuotedString(text) => Ok(Expr::Literal(Value::S(text))),
            sql::Value::Boolean(flag) => Ok(Expr::Literal(Value::Bool(flag))),
            sql::Value::Null => Ok(Expr::Literal(Value::Null)),
            sql::Value::Placeholder(placeholder) if placeholder == "?" => {
                let index = self.parameters;
                self.parameters += 1;
                Ok(Expr::Parameter(index))
            }
            sql::Value::Placeholder(placeholder) => Err(unsupported(&format!(
                "the placeholder `{placeholder}` (parameters are written `?`)"
            ))),
            sql::Value::HexStringLiteral(_)
            | sql::Value::SingleQuotedByteStringLiteral(_)
            | sql::Value::DoubleQuotedByteStringLiteral(_) => Err(unsupported(
                "binary literals (pass binary values as `?` parameters)",
            )),
            other => Err(unsupported(&format!("the literal `{other}`"))),
        }
    }

    fn unary(&mut self, op: UnaryOperator, operand: sql::Expr) -> Result<Expr> {
        match op {
            UnaryOperator::Not => Ok(Expr::Not(Box::new(self.expr(operand)?))),
            UnaryOperator::Minus | UnaryOperator::Plus => match self.expr(operand)? {
                Expr::Literal(Value::N(number)) if op == UnaryOperator::Minus => {
                    Ok(Expr::Literal(Value::N(number.negated())))
                }
                number @ Expr::Literal(Value::N(_)) => Ok(number),
                other => Err(Error::validation(format!(
                    "a sign `{op}` may only stand before a number, not before `{other}`"
                ))),
            },
            other => Err(unsupported(&format!("the operator `{other}`"))),
        }
    }

    fn binary(&mut self, left: sql::Expr, op: BinaryOperator, right: sql::Expr) -> Result<Expr> {
        let comparison = match op {
            BinaryOperator::Eq => Some(Comparison::Eq),
            BinaryOperator::NotEq => Some(Comparison::Ne),
            BinaryOperator::Lt => Some(Comparison::Lt),
            BinaryOperator::LtEq => Some(Comparison::Le),
            BinaryOperator::Gt => Some(Comparison::Gt),
            BinaryOperator::GtEq => Some(Comparison::Ge),
            _ => None,
        };
        let arithmetic = match op {
            BinaryOperator::Plus => Some(Arithmetic::Add),
            BinaryOperator::Minus => Some(Arithmetic::Subtract),
            _ => None,
        };
        if comparison.is_none()
            && arithmetic.is_none()
            && !matches!(op, BinaryOperator::And | BinaryOperator::Or)
        {
            return Err(unsupported(&format!("the operator `{op}`")));
        }
        let left = Box::new(self.expr(left)?);
        let right = Box::new(self.expr(right)?);
        Ok(match (comparison, arithmetic) {
            (Some(op), _) => Expr::Compare { left, op, right },
            (_, Some(op)) => Expr::Arithmetic { left, op, right },
            _ if op == BinaryOperator::And => Expr::And(left, right),
            _ => Expr::Or(left, right),
        })
    }

    fn function(&mut self, function: sql::Function) -> Result<Expr> {
        let name = function.name.to_string();
        if function.over.is_some() {
            return Err(unsupported("window functions (OVER)"));
        }
        if function.filter.is_some()
            || function.null_treatment.is_some()
            || !function.within_group.is_empty()
            || function.uses_odbc_syntax
            || !matches!(function.parameters, FunctionArguments::None)
        {
            return Err(unsupported(&format!(
                "the call of `{name}` with FILTER, WITHIN GROUP or other modifiers"
            )));
        }
        let marker = MarkerFunction::of(&function.name);
        let known = Function::named(&name);
        if marker.is_none() && known.is_none() {
            return Err(Error::validation(format!("unknown function `{name}`")));
        }
        let args = match function.args {
            FunctionArguments::List(list)
                if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
            {
                list.args
            }
            FunctionArguments::None => Vec::new(),
            FunctionArguments::Subquery(_) => return Err(unsupported("subqueries")),
            FunctionArguments::List(_) => {
                return Err(unsupported(&format!(
                    "DISTINCT, ORDER BY or other clauses in the arguments of `{name}`"
                )));
            }
        };
        let args = args
            .into_iter()
            .map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)) => self.expr(arg),
                _ => Err(unsupported(&format!(
                    "named or wildcard arguments in `{name}`"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        match (marker, known) {
            (Some(MarkerFunction::SetLiteral), _) => set_literal(args),
            (Some(marker), _) => {
                let value =
                    args.into_iter().next().map(Box::new).ok_or_else(|| {
                        Error::validation("IS MISSING needs an operand".to_string())
                    })?;
                Ok(Expr::IsMissing {
                    value,
                    negated: marker == MarkerFunction::IsNotMissing,
                })
            }
            (None, Some(function)) => call(function, args),
            (None, None) => Err(Error::validation(format!("unknown function `{name}`"))),
        }
    }

    fn map(&mut self, fields: Vec<DictionaryField>) -> Result<Expr> {
        let mut entries: Vec<(String, Expr)> = Vec::with_capacity(fields.len());
        for DictionaryField { key, value } in fields {
            if key.quote_style != Some('\'') {
                return Err(Error::validation(format!(
                    "map keys are single-quoted strings, as in {{'{0}': ..}}, not `{key}`",
                    key.value
                )));
            }
            if entries.iter().any(|(existing, _)| *existing == key.value) {
                return Err(Error::validation(format!(
                    "map literal has the key '{}' twice",
                    key.value
                )));
            }
            let value = self.expr(*value)?;
            entries.push((key.value, value));
        }
        Ok(Expr::Map(entries))
    }

    fn access_path(&mut self, root: sql::Expr, chain: Vec<AccessExpr>) -> Result<Expr> {
        let mut path = match self.expr(root)? {
            Expr::Path(path) => path,
            other => {
                return Err(Error::validation(format!(
                    "`{other}` cannot be followed by `.` or `[..]`: only attribute paths can"
                )));
            }
        };
        for access in chain {
            let step = match access {
                AccessExpr::Dot(sql::Expr::Identifier(ident)) => PathStep::Key(ident.value),
                AccessExpr::Dot(other) => {
                    return Err(Error::validation(format!(
                        "`.{other}` is not a path step: a step is a name"
                    )));
                }
                AccessExpr::Subscript(Subscript::Index { index }) => match self.expr(index)? {
                    Expr::Literal(Value::N(number)) => PathStep::Index(list_index(&number)?),
                    Expr::Literal(Value::S(key)) => PathStep::Key(key),
                    other => {
                        return Err(Error::validation(format!(
                            "a path subscript is a list index or a quoted key, not `{other}`"
                        )));
                    }
                },
                AccessExpr::Subscript(Subscript::Slice { .. }) => {
                    return Err(unsupported("list slices `[a:b]`"));
                }
            };
            path.steps.push(step);
        }
        Ok(Expr::Path(path))
    }
}

/// The error for a construct DynamoDB's PartiQL does not have.
pub(crate) fn unsupported(construct: &str) -> Error {
    Error::validation(format!("PartiQL does not support {construct}"))
}

fn negate_if(negated: bool, expr: Expr) -> Expr {
    if negated {
        Expr::Not(Box::new(expr))
    } else {
        expr
    }
}

fn compound_path(idents: Vec<Ident>) -> Result<Expr> {
    let mut idents = idents.into_iter();
    let root = idents
        .next()
        .ok_or_else(|| Error::validation("empty attribute path".to_string()))?;
    Ok(Expr::Path(Path {
        root: root.value,
        steps: idents.map(|ident| PathStep::Key(ident.value)).collect(),
    }))
}

fn number_literal(text: &str) -> Result<Expr> {
    let number: Number = text
        .parse()
        .map_err(|error| Error::validation(format!("number literal {text}: {error}")))?;
    Ok(Expr::Literal(Value::N(number)))
}

fn list_index(number: &Number) -> Result<usize> {
    let invalid = || {
        Error::validation(format!(
            "list index {number} is not a non-negative whole number"
        ))
    };
    number
        .to_u64()
        .and_then(|index| usize::try_from(index).ok())
        .ok_or_else(invalid)
}

/// Checks a call's arguments against the function's arity and shape.
fn call(function: Function, args: Vec<Expr>) -> Result<Expr> {
    let name = function.name();
    if args.len() != function.arity() {
        return Err(Error::validation(format!(
            "function {name} takes {} argument{}, not {}",
            function.arity(),
            if function.arity() == 1 { "" } else { "s" },
            args.len()
        )));
    }
    if function.takes_path_first()
        && let Some(first) = args.first()
        && !matches!(first, Expr::Path(_))
    {
        return Err(Error::validation(format!(
            "the first argument of {name} must be an attribute path, not `{first}`"
        )));
    }
    Ok(Expr::Call { function, args })
}

/// Builds the value of a set literal `<<a, b>>`: strings or numbers, all of one type, distinct.
fn set_literal(elements: Vec<Expr>) -> Result<Expr> {
    let mut strings = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    let mut duplicate = None;
    for element in elements {
        let inserted = match element {
            Expr::Literal(Value::S(text)) if numbers.is_empty() => {
                let copy = text.clone();
                let fresh = strings.insert(text);
                (!fresh).then(|| format!("'{copy}'"))
            }
            Expr::Literal(Value::N(number)) if strings.is_empty() => {
                let fresh = numbers.insert(number);
                (!fresh).then(|| number.to_string())
            }
            Expr::Literal(Value::S(_) | Value::N(_)) => {
                return Err(Error::validation(
                    "a set literal holds only strings or only numbers, not both".to_string(),
                ));
            }
            other => {
                return Err(Error::validation(format!(
                    "set literal elements are string or number literals, not `{other}`"
                )));
            }
        };
        duplicate = duplicate.or(inserted);
    }
    if let Some(duplicate) = duplicate {
        return Err(Error::validation(format!(
            "set literal holds {duplicate} twice"
        )));
    }
    match (strings.is_empty(), numbers.is_empty()) {
        (false, _) => Ok(Expr::Literal(Value::Ss(strings))),
        (_, false) => Ok(Expr::Literal(Value::Ns(numbers))),
        (true, true) => Err(Error::validation(
            "a set literal cannot be empty".to_string(),
        )),
    }
}
