//! The rules a deriving struct must follow, one function each; every broken rule is an
//! error in the context, spanned on what broke it.

use quote::ToTokens;

use crate::ast::{Container, KeyDecl, KeySource};
use crate::attr::KeyRole;
use crate::ctxt::Ctxt;
use crate::template::Template;

/// Where the keys of a struct come from, once the rules hold.
pub(crate) struct Keys<'c> {
    pub(crate) partition: Key<'c>,
    pub(crate) sort: Option<Key<'c>>,
}

/// One key, checked.
pub(crate) enum Key<'c> {
    Template {
        literal: syn::LitStr,
        template: Template,
    },
    Field(&'c crate::ast::Field<'c>),
}

/// Checks every rule; the keys when they all hold.
pub(crate) fn check<'c>(cx: &Ctxt, container: &'c Container<'c>) -> Option<Keys<'c>> {
    check_entity_options(cx, container);
    let mut declarations = container.key_declarations();
    let mut ok = true;
    for declaration in &declarations {
        ok &= check_key_source(cx, container, declaration);
    }
    ok &= check_one_key(cx, container, &declarations, KeyRole::Partition);
    ok &= check_one_key(cx, container, &declarations, KeyRole::Sort);
    if !ok {
        return None;
    }
    let mut take = |role: KeyRole| -> Option<Key<'c>> {
        let index = declarations.iter().position(|d| d.role == role)?;
        match declarations.swap_remove(index).source {
            KeySource::Template { literal, template } => Some(Key::Template {
                literal,
                template: template.ok()?,
            }),
            KeySource::Field(field) => Some(Key::Field(field)),
        }
    };
    Some(Keys {
        partition: take(KeyRole::Partition)?,
        sort: take(KeyRole::Sort),
    })
}

/// A partition key is declared exactly once, a sort key at most once (a second declaration
/// is the error, on its own tokens).
fn check_one_key(
    cx: &Ctxt,
    container: &Container,
    declarations: &[KeyDecl],
    role: KeyRole,
) -> bool {
    let mut found = declarations.iter().filter(|d| d.role == role);
    let Some(first) = found.next() else {
        if role == KeyRole::Partition && !container.attrs.malformed {
            let message = format!(
                "`{}` has no partition key: add `#[dynafile(pk = \"PREFIX#{{field}}\")]` to the \
                 struct, or `#[dynafile(pk)]` to the field that is the key",
                container.ident
            );
            match &container.attrs.first_attribute {
                Some(attribute) => cx.error_spanned_by(attribute, message),
                None => cx.error_spanned_by(container.ident, message),
            }
            return false;
        }
        return !container.attrs.malformed;
    };
    let mut ok = true;
    for duplicate in found {
        ok = false;
        let first = match &first.source {
            KeySource::Template { literal, .. } => {
                format!("the struct's template {:?}", literal.value())
            }
            KeySource::Field(field) => format!("the field `{}`", field.ident),
        };
        cx.error_spanned_by(
            &duplicate.tokens,
            format!(
                "duplicate {}: {first} is already the {}; keep one `{}`",
                role.describe(),
                role.describe(),
                role.option()
            ),
        );
    }
    ok
}

/// A template parses and names fields of the struct; no key field is skipped by serde
/// (it would not read back from the item).
fn check_key_source(cx: &Ctxt, container: &Container, declaration: &KeyDecl) -> bool {
    match &declaration.source {
        KeySource::Template { literal, template } => {
            let template = match template {
                Ok(template) => template,
                Err(message) => {
                    cx.error_spanned_by(literal, message);
                    return false;
                }
            };
            let mut ok = true;
            for name in template.fields() {
                match container.field(name) {
                    None => {
                        ok = false;
                        let known: Vec<String> = container
                            .fields
                            .iter()
                            .map(|field| format!("`{}`", field.ident))
                            .collect();
                        cx.error_spanned_by(
                            literal,
                            format!(
                                "no field `{name}` in `{}` for the key template {:?}; its fields \
                                 are {}",
                                container.ident,
                                literal.value(),
                                known.join(", ")
                            ),
                        );
                    }
                    Some(field) => ok &= check_not_skipped(cx, field, literal),
                }
            }
            ok
        }
        KeySource::Field(field) => check_not_skipped(cx, field, &declaration.tokens),
    }
}

fn check_not_skipped(cx: &Ctxt, field: &crate::ast::Field, at: impl ToTokens) -> bool {
    let Some(skip) = &field.attrs.serde_skip else {
        return true;
    };
    cx.error_spanned_by(
        at,
        format!(
            "the key is made from the field `{}`, which `#[serde({})]` leaves out of the item, so \
             it would not read back: remove the skip, or make the key of other fields",
            field.ident,
            skip.to_token_stream()
        ),
    );
    false
}

/// `entity` and `entity_attribute` are not empty.
fn check_entity_options(cx: &Ctxt, container: &Container) {
    for (attr, what) in [
        (&container.attrs.entity, "entity name"),
        (&container.attrs.entity_attribute, "entity attribute name"),
    ] {
        if let Some((_, literal)) = attr.get()
            && literal.value().is_empty()
        {
            cx.error_spanned_by(literal, format!("the {what} must not be empty"));
        }
    }
}
