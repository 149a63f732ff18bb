//! Printing ASTs back as expressions: paths for messages, and whole conditions and updates
//! with their placeholders (parsing the printed text with them gives the same AST).

use std::fmt::Write;

use super::{
    Comparator, Condition, Operand, Path, PathElement, Placeholders, Projection, SetValue, Update,
};
use super::{UpdateAction, lex::Symbol};

/// A path as written without placeholders: `a.b[2]`.
pub(crate) fn path_text(path: &Path) -> String {
    let mut text = String::new();
    for (i, element) in path.0.iter().enumerate() {
        match element {
            PathElement::Name(name) if i == 0 => text.push_str(name),
            PathElement::Name(name) => {
                text.push('.');
                text.push_str(name);
            }
            PathElement::Index(index) => {
                let _ = write!(text, "[{index}]");
            }
        }
    }
    text
}

/// Prints a condition; values and unusual names become placeholders.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn print_condition(condition: &Condition) -> (String, Placeholders) {
    let mut printer = Printer::default();
    printer.condition(condition);
    (printer.text, printer.placeholders)
}

/// Prints an update expression; values and unusual names become placeholders.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn print_update(update: &Update) -> (String, Placeholders) {
    let mut printer = Printer::default();
    let mut clause = "";
    for action in &update.actions {
        let (keyword, first) = match action {
            UpdateAction::Set(..) => ("SET", clause != "SET"),
            UpdateAction::Remove(_) => ("REMOVE", clause != "REMOVE"),
            UpdateAction::Add(..) => ("ADD", clause != "ADD"),
            UpdateAction::Delete(..) => ("DELETE", clause != "DELETE"),
        };
        if first {
            if !printer.text.is_empty() {
                printer.text.push(' ');
            }
            printer.text.push_str(keyword);
            printer.text.push(' ');
            clause = keyword;
        } else {
            printer.text.push_str(", ");
        }
        printer.path(action.path());
        match action {
            UpdateAction::Set(_, value) => {
                printer.text.push_str(" = ");
                printer.set_value(value);
            }
            UpdateAction::Remove(_) => {}
            UpdateAction::Add(_, value) | UpdateAction::Delete(_, value) => {
                printer.text.push(' ');
                printer.value(value);
            }
        }
    }
    (printer.text, printer.placeholders)
}

/// Prints a projection expression; unusual names become placeholders.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn print_projection(projection: &Projection) -> (String, Placeholders) {
    let mut printer = Printer::default();
    for (i, path) in projection.paths.iter().enumerate() {
        if i > 0 {
            printer.text.push_str(", ");
        }
        printer.path(path);
    }
    (printer.text, printer.placeholders)
}

#[derive(Default)]
struct Printer {
    text: String,
    placeholders: Placeholders,
}

/// Words the parser reads as keywords or literals, so they cannot be bare names.
const RESERVED: [&str; 12] = [
    "and", "or", "not", "between", "in", "true", "false", "null", "set", "remove", "add", "delete",
];

fn is_bare_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !RESERVED.contains(&name.to_ascii_lowercase().as_str())
}

impl Printer {
    fn condition(&mut self, condition: &Condition) {
        match condition {
            Condition::Compare(left, comparator, right) => {
                self.operand(left);
                let symbol = match comparator {
                    Comparator::Eq => Symbol::Eq,
                    Comparator::Ne => Symbol::Ne,
                    Comparator::Lt => Symbol::Lt,
                    Comparator::Le => Symbol::Le,
                    Comparator::Gt => Symbol::Gt,
                    Comparator::Ge => Symbol::Ge,
                };
                let _ = write!(self.text, " {} ", symbol.text());
                self.operand(right);
            }
            Condition::Between(value, low, high) => {
                self.operand(value);
                self.text.push_str(" BETWEEN ");
                self.operand(low);
                self.text.push_str(" AND ");
                self.operand(high);
            }
            Condition::In(value, list) => {
                self.operand(value);
                self.text.push_str(" IN (");
                for (i, candidate) in list.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(", ");
                    }
                    self.operand(candidate);
                }
                self.text.push(')');
            }
            Condition::And(left, right) | Condition::Or(left, right) => {
                self.text.push('(');
                self.condition(left);
                self.text
                    .push_str(if matches!(condition, Condition::And(..)) {
                        ") AND ("
                    } else {
                        ") OR ("
                    });
                self.condition(right);
                self.text.push(')');
            }
            Condition::Not(inner) => {
                self.text.push_str("NOT (");
                self.condition(inner);
                self.text.push(')');
            }
            Condition::Exists(path) | Condition::NotExists(path) => {
                self.text
                    .push_str(if matches!(condition, Condition::Exists(_)) {
                        "attribute_exists("
                    } else {
                        "attribute_not_exists("
                    });
                self.path(path);
                self.text.push(')');
            }
            Condition::AttributeType(path, descriptor) => {
                self.text.push_str("attribute_type(");
                self.path(path);
                self.text.push_str(", ");
                self.operand(descriptor);
                self.text.push(')');
            }
            // `x in y` (the extension) parses to `Contains(y, x)` with any operand as `y`;
            // `contains(..)` takes a path first, so other operands print in that form.
            Condition::Contains(container, element) if !matches!(container, Operand::Path(_)) => {
                self.operand(element);
                self.text.push_str(" IN ");
                self.operand(container);
            }
            Condition::BeginsWith(value, prefix) | Condition::Contains(value, prefix) => {
                self.text
                    .push_str(if matches!(condition, Condition::BeginsWith(..)) {
                        "begins_with("
                    } else {
                        "contains("
                    });
                self.operand(value);
                self.text.push_str(", ");
                self.operand(prefix);
                self.text.push(')');
            }
            Condition::Matches(value, pattern) => {
                self.operand(value);
                let _ = write!(
                    self.text,
                    " =~ /{}/{}",
                    pattern.source.replace('/', "\\/"),
                    pattern.flags
                );
            }
            Condition::InSubnet(value, subnet) => {
                self.operand(value);
                let _ = write!(self.text, " IN {}/{}", subnet.address, subnet.prefix);
            }
        }
    }

    fn operand(&mut self, operand: &Operand) {
        match operand {
            Operand::Path(path) => self.path(path),
            Operand::Value(value) => self.value(value),
            Operand::Size(path) => {
                self.text.push_str("size(");
                self.path(path);
                self.text.push(')');
            }
        }
    }

    fn set_value(&mut self, value: &SetValue) {
        match value {
            SetValue::Operand(operand) => self.operand(operand),
            SetValue::IfNotExists(path, default) => {
                self.text.push_str("if_not_exists(");
                self.path(path);
                self.text.push_str(", ");
                self.set_value(default);
                self.text.push(')');
            }
            SetValue::ListAppend(first, second) => {
                self.text.push_str("list_append(");
                self.set_value(first);
                self.text.push_str(", ");
                self.set_value(second);
                self.text.push(')');
            }
            SetValue::Plus(left, right) | SetValue::Minus(left, right) => {
                self.set_value(left);
                self.text.push_str(if matches!(value, SetValue::Plus(..)) {
                    " + "
                } else {
                    " - "
                });
                self.set_value(right);
            }
        }
    }

    fn value(&mut self, value: &crate::value::Value) {
        let placeholder = format!(":v{}", self.placeholders.values.len());
        self.text.push_str(&placeholder);
        self.placeholders.values.insert(placeholder, value.clone());
    }

    fn path(&mut self, path: &Path) {
        for (i, element) in path.0.iter().enumerate() {
            match element {
                PathElement::Name(name) => {
                    if i > 0 {
                        self.text.push('.');
                    }
                    if is_bare_name(name) {
                        self.text.push_str(name);
                    } else {
                        let placeholder = format!("#n{}", self.placeholders.names.len());
                        self.text.push_str(&placeholder);
                        self.placeholders.names.insert(placeholder, name.clone());
                    }
                }
                PathElement::Index(index) => {
                    let _ = write!(self.text, "[{index}]");
                }
            }
        }
    }
}
