//! Translation of PartiQL expressions into dynafile's expression AST.
//!
//! First [`bind`] puts the given values in place of the statement's `?` parameters; then the
//! folds below turn the bound tree into the [`Condition`]s, operands and update actions the
//! table evaluates, so that PartiQL has no evaluator of its own.

use super::convert::with_stack;
use super::expr::{Arithmetic, Comparison, Expr, Function, Path, PathStep};
use super::parse::{Statement, UpdateAction};
use crate::error::{Error, Result};
use crate::expr::{
    self, Comparator, Condition, MAX_IN_OPERANDS, Operand, SetValue, Update, path_text,
};
use crate::value::{Map, Value};

/// Puts `params` in place of the statement's `?` parameters, in order; their number must be
/// the number of parameters.
pub(crate) fn bind(statement: Statement, params: Vec<Value>) -> Result<Statement> {
    with_stack(|| {
        let mut binder = Binder {
            params: params.into_iter().map(Some).collect(),
            found: 0,
        };
        let statement = binder.statement(statement);
        let given = binder.params.len();
        if binder.found != given {
            return Err(Error::validation(format!(
                "the statement has {} parameter{} (`?`), but {given} value{} given",
                binder.found,
                if binder.found == 1 { "" } else { "s" },
                if given == 1 { " was" } else { "s were" },
            )));
        }
        Ok(statement)
    })
}

/// Replaces parameters by their values, counting them.
struct Binder {
    params: Vec<Option<Value>>,
    found: usize,
}

impl Binder {
    fn statement(&mut self, statement: Statement) -> Statement {
        match statement {
            Statement::Select(mut select) => {
                select.condition = select.condition.map(|condition| self.expr(condition));
                Statement::Select(select)
            }
            Statement::Insert(mut insert) => {
                insert.item = self.expr(insert.item);
                Statement::Insert(insert)
            }
            Statement::Update(mut update) => {
                for action in &mut update.actions {
                    if let UpdateAction::Set { value, .. } = action {
                        *value = self.expr(std::mem::replace(value, Expr::Literal(Value::Null)));
                    }
                }
                update.condition = self.expr(update.condition);
                Statement::Update(update)
            }
            Statement::Delete(mut delete) => {
                delete.condition = self.expr(delete.condition);
                Statement::Delete(delete)
            }
            Statement::Explain(inner) => Statement::Explain(Box::new(self.statement(*inner))),
            Statement::Exists(mut select) => {
                select.condition = select.condition.map(|condition| self.expr(condition));
                Statement::Exists(select)
            }
        }
    }

    fn expr(&mut self, expr: Expr) -> Expr {
        let mut boxed = |expr: Box<Expr>| Box::new(self.expr(*expr));
        match expr {
            Expr::Parameter(index) => {
                self.found += 1;
                // A missing value is reported by `bind` from the count; the placeholder
                // stays.
                match self.params.get_mut(index).and_then(Option::take) {
                    Some(value) => Expr::Literal(value),
                    None => Expr::Parameter(index),
                }
            }
            Expr::Path(_) | Expr::Literal(_) => expr,
            Expr::List(items) => Expr::List(items.into_iter().map(|e| self.expr(e)).collect()),
            Expr::Map(entries) => Expr::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, self.expr(value)))
                    .collect(),
            ),
            Expr::Compare { left, op, right } => {
                let left = boxed(left);
                Expr::Compare {
                    left,
                    op,
                    right: Box::new(self.expr(*right)),
                }
            }
            Expr::Between { value, low, high } => {
                let value = boxed(value);
                let low = Box::new(self.expr(*low));
                Expr::Between {
                    value,
                    low,
                    high: Box::new(self.expr(*high)),
                }
            }
            Expr::In { value, list } => {
                let value = boxed(value);
                Expr::In {
                    value,
                    list: list.into_iter().map(|e| self.expr(e)).collect(),
                }
            }
            Expr::And(left, right) => {
                let left = boxed(left);
                Expr::And(left, Box::new(self.expr(*right)))
            }
            Expr::Or(left, right) => {
                let left = boxed(left);
                Expr::Or(left, Box::new(self.expr(*right)))
            }
            Expr::Not(operand) => Expr::Not(boxed(operand)),
            Expr::IsMissing { value, negated } => Expr::IsMissing {
                value: boxed(value),
                negated,
            },
            Expr::IsNull { value, negated } => Expr::IsNull {
                value: boxed(value),
                negated,
            },
            Expr::Arithmetic { left, op, right } => {
                let left = boxed(left);
                Expr::Arithmetic {
                    left,
                    op,
                    right: Box::new(self.expr(*right)),
                }
            }
            Expr::Call { function, args } => Expr::Call {
                function,
                args: args.into_iter().map(|e| self.expr(e)).collect(),
            },
        }
    }
}

/// A PartiQL path as an expression path.
pub(crate) fn path(path: &Path) -> expr::Path {
    let mut elements = Vec::with_capacity(path.steps.len() + 1);
    elements.push(expr::PathElement::Name(path.root.clone()));
    elements.extend(path.steps.iter().map(|step| match step {
        PathStep::Key(key) => expr::PathElement::Name(key.clone()),
        PathStep::Index(index) => expr::PathElement::Index(*index),
    }));
    expr::Path(elements)
}

/// A bound expression that must be a value: a literal, a list or a map of values.
pub(crate) fn constant(expr: &Expr) -> Result<Value> {
    match expr {
        Expr::Literal(value) => Ok(value.clone()),
        Expr::List(items) => Ok(Value::L(items.iter().map(constant).collect::<Result<_>>()?)),
        Expr::Map(entries) => {
            let map = entries
                .iter()
                .map(|(key, value)| Ok((key.clone(), constant(value)?)))
                .collect::<Result<Map>>()?;
            Ok(Value::M(map))
        }
        Expr::Path(path) => Err(Error::validation(format!(
            "`{path}` is an attribute path; a value here must be a literal or a `?` parameter"
        ))),
        other => Err(Error::validation(format!(
            "`{other}` is not a value; a value here must be a literal or a `?` parameter"
        ))),
    }
}

/// A bound WHERE clause, or a part of one, as a condition.
pub(crate) fn condition(expr: &Expr) -> Result<Condition> {
    with_stack(|| condition_at_depth(expr))
}

fn condition_at_depth(expr: &Expr) -> Result<Condition> {
    Ok(match expr {
        Expr::Compare { left, op, right } => {
            Condition::Compare(operand(left)?, comparator(*op), operand(right)?)
        }
        Expr::Between { value, low, high } => {
            Condition::Between(operand(value)?, operand(low)?, operand(high)?)
        }
        Expr::In { value, list } => {
            if list.len() > MAX_IN_OPERANDS {
                return Err(Error::validation(format!(
                    "IN takes at most {MAX_IN_OPERANDS} candidates, not {}",
                    list.len()
                )));
            }
            Condition::In(
                operand(value)?,
                list.iter().map(operand).collect::<Result<_>>()?,
            )
        }
        Expr::And(left, right) => Condition::And(
            Box::new(condition_at_depth(left)?),
            Box::new(condition_at_depth(right)?),
        ),
        Expr::Or(left, right) => Condition::Or(
            Box::new(condition_at_depth(left)?),
            Box::new(condition_at_depth(right)?),
        ),
        Expr::Not(operand) => Condition::Not(Box::new(condition_at_depth(operand)?)),
        Expr::IsMissing { value, negated } => {
            let path = path_operand(value, "IS MISSING")?;
            if *negated {
                Condition::Exists(path)
            } else {
                Condition::NotExists(path)
            }
        }
        Expr::IsNull { value, negated } => {
            // DynamoDB's NULL is a type: `a IS NULL` holds when `a` is of type NULL.
            let path = path_operand(value, "IS NULL")?;
            let is_null = Condition::AttributeType(path, Operand::Value(Value::S("NULL".into())));
            if *negated {
                Condition::Not(Box::new(is_null))
            } else {
                is_null
            }
        }
        Expr::Call { function, args } => call_condition(*function, args)?,
        other => {
            return Err(Error::validation(format!(
                "`{other}` is not a condition: compare it, or call a function such as attribute_exists"
            )));
        }
    })
}

fn call_condition(function: Function, args: &[Expr]) -> Result<Condition> {
    let first = || {
        args.first()
            .ok_or_else(|| arity(function))
            .and_then(path_arg)
    };
    let second = || match args.get(1) {
        Some(arg) => operand(arg),
        None => Err(arity(function)),
    };
    Ok(match function {
        Function::AttributeExists => Condition::Exists(first()?),
        Function::AttributeNotExists => Condition::NotExists(first()?),
        Function::AttributeType => Condition::AttributeType(first()?, second()?),
        Function::BeginsWith => Condition::BeginsWith(Operand::Path(first()?), second()?),
        Function::Contains => Condition::Contains(Operand::Path(first()?), second()?),
        Function::Size => {
            return Err(Error::validation(
                "size(..) is a number, not a condition: compare it, as in size(tags) > 2",
            ));
        }
        Function::ListAppend | Function::IfNotExists | Function::SetAdd | Function::SetDelete => {
            return Err(Error::validation(format!(
                "{} computes a value for SET; it is not a condition",
                function.name()
            )));
        }
    })
}

/// The error for a call without the arguments its function takes (which the parser checks).
fn arity(function: Function) -> Error {
    let count = function.arity();
    Error::validation(format!(
        "function {} takes {count} argument{}",
        function.name(),
        if count == 1 { "" } else { "s" }
    ))
}

/// The path argument of a function (the parser checked it is one).
fn path_arg(arg: &Expr) -> Result<expr::Path> {
    match arg {
        Expr::Path(p) => Ok(path(p)),
        other => Err(Error::validation(format!(
            "`{other}` is not an attribute path"
        ))),
    }
}

fn path_operand(expr: &Expr, construct: &str) -> Result<expr::Path> {
    match expr {
        Expr::Path(p) => Ok(path(p)),
        other => Err(Error::validation(format!(
            "{construct} applies to an attribute path, not `{other}`"
        ))),
    }
}

fn comparator(op: Comparison) -> Comparator {
    match op {
        Comparison::Eq => Comparator::Eq,
        Comparison::Ne => Comparator::Ne,
        Comparison::Lt => Comparator::Lt,
        Comparison::Le => Comparator::Le,
        Comparison::Gt => Comparator::Gt,
        Comparison::Ge => Comparator::Ge,
    }
}

/// An operand of a comparison: a path, a value or `size(path)`.
fn operand(expr: &Expr) -> Result<Operand> {
    match expr {
        Expr::Path(p) => Ok(Operand::Path(path(p))),
        Expr::Call {
            function: Function::Size,
            args,
        } => Ok(Operand::Size(
            args.first()
                .ok_or_else(|| arity(Function::Size))
                .and_then(path_arg)?,
        )),
        Expr::Arithmetic { .. } => Err(Error::validation(format!(
            "`{expr}`: arithmetic (`+`, `-`) is only allowed in SET values"
        ))),
        Expr::Literal(_) | Expr::List(_) | Expr::Map(_) => Ok(Operand::Value(constant(expr)?)),
        other => Err(Error::validation(format!(
            "`{other}` is not a value to compare"
        ))),
    }
}

/// An UPDATE's actions as an update expression. `set_add` and `set_delete` become DynamoDB's
/// `ADD` and `DELETE` actions, so their first argument must be the path they set.
pub(crate) fn update(actions: &[UpdateAction]) -> Result<Update> {
    let mut translated: Vec<expr::UpdateAction> = Vec::with_capacity(actions.len());
    for action in actions {
        let action = match action {
            UpdateAction::Set {
                path: target,
                value,
            } => set_action(target, value)?,
            UpdateAction::Remove { path: target } => expr::UpdateAction::Remove(path(target)),
        };
        let target = action.path();
        if let Some(other) = translated
            .iter()
            .find(|other| other.path().overlaps(target))
        {
            return Err(Error::validation(format!(
                "the paths `{}` and `{}` overlap; an UPDATE may name each once",
                path_text(other.path()),
                path_text(target)
            )));
        }
        translated.push(action);
    }
    Ok(Update {
        actions: translated,
    })
}

fn set_action(target: &Path, value: &Expr) -> Result<expr::UpdateAction> {
    let set_function = match value {
        Expr::Call {
            function: function @ (Function::SetAdd | Function::SetDelete),
            args,
        } => Some((*function, args)),
        _ => None,
    };
    let Some((function, args)) = set_function else {
        return Ok(expr::UpdateAction::Set(
            path(target),
            with_stack(|| set_value(value))?,
        ));
    };
    let name = function.name();
    let (Some(Expr::Path(first)), Some(second)) = (args.first(), args.get(1)) else {
        return Err(arity(function));
    };
    if first != target {
        return Err(Error::validation(format!(
            "{name} changes the set it is given: write SET {target} = {name}({target}, ..), not {name}({first}, ..)"
        )));
    }
    let elements = constant(second)?;
    if !matches!(elements, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
        return Err(Error::validation(format!(
            "the second argument of {name} must be a set, not {}",
            elements.type_with_article()
        )));
    }
    Ok(if function == Function::SetAdd {
        expr::UpdateAction::Add(path(target), elements)
    } else {
        expr::UpdateAction::Delete(path(target), elements)
    })
}

fn set_value(expr: &Expr) -> Result<SetValue> {
    Ok(match expr {
        Expr::Path(p) => SetValue::Operand(Operand::Path(path(p))),
        Expr::Literal(_) | Expr::List(_) | Expr::Map(_) => {
            SetValue::Operand(Operand::Value(constant(expr)?))
        }
        Expr::Arithmetic { left, op, right } => {
            let (left, right) = (Box::new(set_value(left)?), Box::new(set_value(right)?));
            match op {
                Arithmetic::Add => SetValue::Plus(left, right),
                Arithmetic::Subtract => SetValue::Minus(left, right),
            }
        }
        Expr::Call {
            function: Function::IfNotExists,
            args,
        } => match args.as_slice() {
            [Expr::Path(p), value] => SetValue::IfNotExists(path(p), Box::new(set_value(value)?)),
            _ => return Err(arity(Function::IfNotExists)),
        },
        Expr::Call {
            function: Function::ListAppend,
            args,
        } => match args.as_slice() {
            [first, second] => {
                SetValue::ListAppend(Box::new(set_value(first)?), Box::new(set_value(second)?))
            }
            _ => return Err(arity(Function::ListAppend)),
        },
        Expr::Call {
            function: function @ (Function::SetAdd | Function::SetDelete),
            ..
        } => {
            return Err(Error::validation(format!(
                "{} must be the whole value of a SET action",
                function.name()
            )));
        }
        other => {
            return Err(Error::validation(format!(
                "`{other}` is not a value SET can write"
            )));
        }
    })
}
