//! Evaluating conditions over an item.
//!
//! DynamoDB's rules ("Comparison operator and function reference" of its developer guide): a
//! comparison of values of different types is false, not an error; a missing attribute makes a
//! comparison false, except `<>`, which is true for it (a missing value is not equal to
//! anything); `<`, `<=`, `>`, `>=` and `BETWEEN` order numbers, strings (by UTF-8 bytes) and
//! binaries only.
//!
//! Evaluation borrows from the item and the expression: a simple comparison allocates nothing.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::Ipv4Addr;

use crate::item::Item;
use crate::number::Number;
use crate::value::Value;

use super::{Comparator, Condition, Operand, Path, PathElement};

/// The value at `path` in `item`, if there is one.
pub(crate) fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut elements = path.0.iter();
    let first = match elements.next()? {
        PathElement::Name(name) => item.get(name)?,
        PathElement::Index(_) => return None,
    };
    elements.try_fold(first, |value, element| match (value, element) {
        (Value::M(map), PathElement::Name(name)) => map.get(name),
        (Value::L(list), PathElement::Index(index)) => list.get(*index),
        _ => None,
    })
}

/// True when `condition` holds for `item`.
pub(crate) fn evaluate(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::Compare(left, comparator, right) => {
            let (left, right) = (operand(item, left), operand(item, right));
            match (left, right) {
                (Some(left), Some(right)) => compare(&left, *comparator, &right),
                // A missing value equals nothing: only `<>` holds.
                _ => *comparator == Comparator::Ne,
            }
        }
        Condition::Between(value, low, high) => {
            let (Some(value), Some(low), Some(high)) = (
                operand(item, value),
                operand(item, low),
                operand(item, high),
            ) else {
                return false;
            };
            compare(&value, Comparator::Ge, &low) && compare(&value, Comparator::Le, &high)
        }
        Condition::In(value, list) => operand(item, value).is_some_and(|value| {
            list.iter()
                .filter_map(|candidate| operand(item, candidate))
                .any(|candidate| compare(&value, Comparator::Eq, &candidate))
        }),
        Condition::And(left, right) => evaluate(left, item) && evaluate(right, item),
        Condition::Or(left, right) => evaluate(left, item) || evaluate(right, item),
        Condition::Not(inner) => !evaluate(inner, item),
        Condition::Exists(path) => resolve(item, path).is_some(),
        Condition::NotExists(path) => resolve(item, path).is_none(),
        Condition::AttributeType(path, descriptor) => {
            match (resolve(item, path), operand(item, descriptor)) {
                (Some(value), Some(descriptor)) => {
                    descriptor.as_s() == Some(value.type_descriptor())
                }
                _ => false,
            }
        }
        Condition::BeginsWith(value, prefix) => {
            match (
                operand(item, value).as_deref(),
                operand(item, prefix).as_deref(),
            ) {
                (Some(Value::S(value)), Some(Value::S(prefix))) => {
                    value.starts_with(prefix.as_str())
                }
                (Some(Value::B(value)), Some(Value::B(prefix))) => value.starts_with(prefix),
                _ => false,
            }
        }
        Condition::Contains(container, element) => {
            match (operand(item, container), operand(item, element)) {
                (Some(container), Some(element)) => contains(&container, &element),
                _ => false,
            }
        }
        Condition::Matches(value, pattern) => any_string(operand(item, value).as_deref(), |s| {
            pattern.regex.is_match(s)
        }),
        Condition::InSubnet(value, subnet) => any_string(operand(item, value).as_deref(), |s| {
            s.parse::<Ipv4Addr>()
                .is_ok_and(|address| subnet.contains(address))
        }),
    }
}

/// The value of an operand; `size(..)` makes a number, which needs no allocation.
fn operand<'a>(item: &'a Item, operand: &'a Operand) -> Option<Cow<'a, Value>> {
    match operand {
        Operand::Path(path) => resolve(item, path).map(Cow::Borrowed),
        Operand::Value(value) => Some(Cow::Borrowed(value)),
        Operand::Size(path) => size(resolve(item, path)?).map(|n| Cow::Owned(Value::N(n))),
    }
}

/// DynamoDB's `size`: a string's length in UTF-8 bytes (the unit DynamoDB measures strings
/// in, see "Using the SIZE function with PartiQL": "the size of an attribute in bytes"), a
/// binary's bytes, the elements of a set, list or map; other types have no size.
fn size(value: &Value) -> Option<Number> {
    let count = match value {
        Value::S(s) => s.len(),
        Value::B(b) => b.len(),
        Value::Ss(set) => set.len(),
        Value::Ns(set) => set.len(),
        Value::Bs(set) => set.len(),
        Value::L(list) => list.len(),
        Value::M(map) => map.len(),
        Value::N(_) | Value::Bool(_) | Value::Null => return None,
    };
    Some(Number::from(count))
}

/// The order of two values of one orderable type (N, S, B); `None` across types and for
/// types without order.
pub(crate) fn compare_values(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::N(a), Value::N(b)) => Some(a.cmp(b)),
        (Value::S(a), Value::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (Value::B(a), Value::B(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn compare(left: &Value, comparator: Comparator, right: &Value) -> bool {
    match comparator {
        Comparator::Eq => left == right,
        Comparator::Ne => left != right,
        Comparator::Lt => compare_values(left, right) == Some(Ordering::Less),
        Comparator::Le => compare_values(left, right).is_some_and(Ordering::is_le),
        Comparator::Gt => compare_values(left, right) == Some(Ordering::Greater),
        Comparator::Ge => compare_values(left, right).is_some_and(Ordering::is_ge),
    }
}

/// DynamoDB's `contains`: a substring of a string, an element of a set of the element's type,
/// an element of a list (of any type).
fn contains(container: &Value, element: &Value) -> bool {
    match (container, element) {
        (Value::S(s), Value::S(part)) => s.contains(part.as_str()),
        (Value::Ss(set), Value::S(s)) => set.contains(s),
        (Value::Ns(set), Value::N(n)) => set.contains(n),
        (Value::Bs(set), Value::B(b)) => set.contains(b),
        (Value::L(list), element) => list.contains(element),
        _ => false,
    }
}

/// True when the value is a string for which `test` holds, or a list holding one (as the
/// original dynafile's `=~` and subnet `in` treated lists).
fn any_string(value: Option<&Value>, test: impl Fn(&str) -> bool) -> bool {
    match value {
        Some(Value::S(s)) => test(s),
        Some(Value::L(list)) => list.iter().any(|v| v.as_s().is_some_and(&test)),
        _ => false,
    }
}
