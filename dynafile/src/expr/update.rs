//! Applying an update expression to an item, by DynamoDB's rules ("Update expressions" of
//! its developer guide).
//!
//! Every value an action reads is read from the item as it was before the update (so
//! `SET a = b, b = a` swaps), then `SET` actions are applied, then `REMOVE` (list elements from
//! the highest index down, so indexes mean what they meant before), `ADD` and `DELETE`.

use crate::error::{Error, Result};
use crate::item::Item;
use crate::value::Value;

use super::print::path_text;
use super::{Operand, Path, PathElement, SetValue, Update, UpdateAction, resolve};

/// The item after an update, and the paths the update changed (for `UPDATED_OLD` and
/// `UPDATED_NEW`).
pub(crate) struct UpdateResult {
    pub(crate) item: Item,
    pub(crate) paths: Vec<Path>,
}

/// Applies `update` to `old` (the stored item, or an item of only the key attributes when
/// there is none). `key_attributes` may not be changed.
pub(crate) fn apply_update(
    update: &Update,
    old: &Item,
    key_attributes: &[&str],
) -> Result<UpdateResult> {
    for action in &update.actions {
        let name = action.path().attribute_name();
        if key_attributes.contains(&name) {
            return Err(Error::invalid_attribute(
                name,
                "cannot be updated: it is part of the key",
            ));
        }
    }
    let mut sets = Vec::new();
    for action in &update.actions {
        if let UpdateAction::Set(path, value) = action {
            sets.push((path, set_value(value, old)?));
        }
    }
    let mut item = old.clone();
    for (path, value) in sets {
        set_path(&mut item, path, value)?;
    }
    let mut removes: Vec<&Path> = update
        .actions
        .iter()
        .filter_map(|action| match action {
            UpdateAction::Remove(path) => Some(path),
            _ => None,
        })
        .collect();
    removes.sort_unstable_by(|a, b| b.cmp(a));
    for path in removes {
        remove_path(&mut item, path);
    }
    for action in &update.actions {
        match action {
            UpdateAction::Add(path, value) => {
                let added = add(path, resolve(old, path), value)?;
                set_path(&mut item, path, added)?;
            }
            UpdateAction::Delete(path, value) => match delete(path, resolve(old, path), value)? {
                Some(rest) => set_path(&mut item, path, rest)?,
                None => remove_path(&mut item, path),
            },
            UpdateAction::Set(..) | UpdateAction::Remove(_) => {}
        }
    }
    let paths = update
        .actions
        .iter()
        .map(|action| action.path().clone())
        .collect();
    Ok(UpdateResult { item, paths })
}

fn set_value(value: &SetValue, old: &Item) -> Result<Value> {
    match value {
        SetValue::Operand(Operand::Path(path)) => resolve(old, path).cloned().ok_or_else(|| {
            Error::invalid_attribute(
                path_text(path),
                "the update reads this attribute, and the item does not have it",
            )
        }),
        SetValue::Operand(Operand::Value(value)) => Ok(value.clone()),
        SetValue::Operand(Operand::Size(path)) => Err(Error::invalid_attribute(
            path_text(path),
            "`size` is not allowed in an update",
        )),
        SetValue::IfNotExists(path, default) => match resolve(old, path) {
            Some(value) => Ok(value.clone()),
            None => set_value(default, old),
        },
        SetValue::ListAppend(first, second) => {
            match (set_value(first, old)?, set_value(second, old)?) {
                (Value::L(mut first), Value::L(second)) => {
                    first.extend(second);
                    Ok(Value::L(first))
                }
                (first, second) => Err(Error::validation(format!(
                    "list_append needs two lists, not {} and {}",
                    first.type_with_article(),
                    second.type_with_article()
                ))),
            }
        }
        SetValue::Plus(left, right) | SetValue::Minus(left, right) => {
            let plus = matches!(value, SetValue::Plus(..));
            match (set_value(left, old)?, set_value(right, old)?) {
                (Value::N(a), Value::N(b)) => {
                    let result = if plus {
                        a.checked_add(&b)
                    } else {
                        a.checked_sub(&b)
                    };
                    Ok(Value::N(result?))
                }
                (a, b) => Err(Error::validation(format!(
                    "`{}` needs two numbers, not {} and {}",
                    if plus { "+" } else { "-" },
                    a.type_with_article(),
                    b.type_with_article()
                ))),
            }
        }
    }
}

/// `ADD`: a number is added to (a missing one counts as 0), a set gains elements (a missing
/// one is created).
fn add(path: &Path, current: Option<&Value>, value: &Value) -> Result<Value> {
    let wrong = |current: &Value| {
        Error::invalid_attribute(
            path_text(path),
            format!(
                "ADD of {} to {} (ADD adds a number to a number, or a set to a set of its type)",
                value.type_with_article(),
                current.type_with_article()
            ),
        )
    };
    let Some(current) = current else {
        return Ok(value.clone());
    };
    Ok(match (current, value) {
        (Value::N(a), Value::N(b)) => Value::N(a.checked_add(b)?),
        (Value::Ss(a), Value::Ss(b)) => Value::Ss(a.union(b).cloned().collect()),
        (Value::Ns(a), Value::Ns(b)) => Value::Ns(a.union(b).copied().collect()),
        (Value::Bs(a), Value::Bs(b)) => Value::Bs(a.union(b).cloned().collect()),
        (current, _) => return Err(wrong(current)),
    })
}

/// `DELETE`: the set without the given elements; `None` when nothing is left (the attribute
/// is removed, as DynamoDB stores no empty sets) or there was no set.
fn delete(path: &Path, current: Option<&Value>, value: &Value) -> Result<Option<Value>> {
    let Some(current) = current else {
        return Ok(None);
    };
    let rest = match (current, value) {
        (Value::Ss(a), Value::Ss(b)) => Value::Ss(a.difference(b).cloned().collect()),
        (Value::Ns(a), Value::Ns(b)) => Value::Ns(a.difference(b).copied().collect()),
        (Value::Bs(a), Value::Bs(b)) => Value::Bs(a.difference(b).cloned().collect()),
        (current, _) => {
            return Err(Error::invalid_attribute(
                path_text(path),
                format!(
                    "DELETE of {} from {} (DELETE removes elements of a set from a set of its type)",
                    value.type_with_article(),
                    current.type_with_article()
                ),
            ));
        }
    };
    let empty = match &rest {
        Value::Ss(set) => set.is_empty(),
        Value::Ns(set) => set.is_empty(),
        Value::Bs(set) => set.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(rest))
}

/// Writes `value` at `path`. A list index past the end appends, as in DynamoDB; a path
/// through a missing or non-container value is an error.
fn set_path(item: &mut Item, path: &Path, value: Value) -> Result<()> {
    let invalid = || {
        Error::invalid_attribute(
            path_text(path),
            "the path cannot be set: a map or list on the way to it does not exist in the item",
        )
    };
    let (first, rest) = match path.0.split_first() {
        Some((PathElement::Name(name), rest)) => (name, rest),
        _ => return Err(invalid()),
    };
    let Some((last, middle)) = rest.split_last() else {
        item.insert(first.clone(), value);
        return Ok(());
    };
    let mut parent = item.get_mut(first).ok_or_else(invalid)?;
    for element in middle {
        parent = match (parent, element) {
            (Value::M(map), PathElement::Name(name)) => map.get_mut(name),
            (Value::L(list), PathElement::Index(index)) => list.get_mut(*index),
            _ => None,
        }
        .ok_or_else(invalid)?;
    }
    match (parent, last) {
        (Value::M(map), PathElement::Name(name)) => {
            map.insert(name.clone(), value);
        }
        (Value::L(list), PathElement::Index(index)) => match list.get_mut(*index) {
            Some(slot) => *slot = value,
            None => list.push(value),
        },
        _ => return Err(invalid()),
    }
    Ok(())
}

/// Removes what is at `path`; nothing there is not an error.
fn remove_path(item: &mut Item, path: &Path) {
    let (first, rest) = match path.0.split_first() {
        Some((PathElement::Name(name), rest)) => (name, rest),
        _ => return,
    };
    let Some((last, middle)) = rest.split_last() else {
        item.remove(first);
        return;
    };
    let Some(mut parent) = item.get_mut(first) else {
        return;
    };
    for element in middle {
        let next = match (parent, element) {
            (Value::M(map), PathElement::Name(name)) => map.get_mut(name),
            (Value::L(list), PathElement::Index(index)) => list.get_mut(*index),
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        parent = next;
    }
    match (parent, last) {
        (Value::M(map), PathElement::Name(name)) => {
            map.remove(name);
        }
        (Value::L(list), PathElement::Index(index)) if *index < list.len() => {
            list.remove(*index);
        }
        _ => {}
    }
}
