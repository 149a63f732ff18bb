//! The options a struct and its fields give in `#[dynafile(..)]`, and the `#[serde(..)]`
//! options that decide how a key field is stored.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::ctxt::Ctxt;

/// The attribute words this derive reads.
mod symbol {
    pub(super) const DYNAFILE: &str = "dynafile";
    pub(super) const SERDE: &str = "serde";
    pub(super) const PK: &str = "pk";
    pub(super) const SK: &str = "sk";
    pub(super) const ENTITY: &str = "entity";
    pub(super) const ENTITY_ATTRIBUTE: &str = "entity_attribute";
    pub(super) const RENAME: &str = "rename";
    pub(super) const RENAME_ALL: &str = "rename_all";
    pub(super) const SERIALIZE: &str = "serialize";
    pub(super) const SKIP: &str = "skip";
    pub(super) const SKIP_SERIALIZING: &str = "skip_serializing";
    pub(super) const SKIP_DESERIALIZING: &str = "skip_deserializing";
}

/// One option, set at most once; a second setting is an error on its own tokens.
pub(crate) struct Attr<T> {
    name: &'static str,
    value: Option<(TokenStream, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Attr<T> {
        Attr { name, value: None }
    }

    fn set(&mut self, cx: &Ctxt, tokens: impl ToTokens, value: T) {
        let tokens = tokens.into_token_stream();
        if self.value.is_some() {
            cx.error_spanned_by(
                tokens,
                format!("duplicate dynafile option `{}`: give it once", self.name),
            );
        } else {
            self.value = Some((tokens, value));
        }
    }

    /// The value and the tokens that set it.
    pub(crate) fn get(&self) -> Option<(&TokenStream, &T)> {
        self.value.as_ref().map(|(tokens, value)| (tokens, value))
    }
}

/// The struct's options.
pub(crate) struct Container {
    /// `pk = "template"`
    pub(crate) pk: Attr<LitStr>,
    /// `sk = "template"`
    pub(crate) sk: Attr<LitStr>,
    /// `entity = "Name"`
    pub(crate) entity: Attr<LitStr>,
    /// `entity_attribute = "name"`
    pub(crate) entity_attribute: Attr<LitStr>,
    /// The first `#[dynafile(..)]` attribute, where struct-wide errors point.
    pub(crate) first_attribute: Option<TokenStream>,
    /// serde's `rename_all` rule for serialization, when the struct has one.
    pub(crate) rename_all: Option<String>,
    /// Whether a `#[dynafile(..)]` on the struct did not parse (its error says why, and a
    /// missing key is then not reported as well).
    pub(crate) malformed: bool,
}

impl Container {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Container {
        let mut container = Container {
            pk: Attr::none(symbol::PK),
            sk: Attr::none(symbol::SK),
            entity: Attr::none(symbol::ENTITY),
            entity_attribute: Attr::none(symbol::ENTITY_ATTRIBUTE),
            first_attribute: None,
            rename_all: None,
            malformed: false,
        };
        for attr in attrs {
            if attr.path().is_ident(symbol::SERDE) {
                container.rename_all = serde_rename_all(attr).or(container.rename_all.take());
                continue;
            }
            if !attr.path().is_ident(symbol::DYNAFILE) {
                continue;
            }
            container
                .first_attribute
                .get_or_insert_with(|| attr.to_token_stream());
            let parsed = attr.parse_nested_meta(|meta| {
                let path = meta.path.clone();
                let target = if path.is_ident(symbol::PK) {
                    &mut container.pk
                } else if path.is_ident(symbol::SK) {
                    &mut container.sk
                } else if path.is_ident(symbol::ENTITY) {
                    &mut container.entity
                } else if path.is_ident(symbol::ENTITY_ATTRIBUTE) {
                    &mut container.entity_attribute
                } else {
                    return Err(meta.error(format!(
                        "unknown dynafile option `{}` on a struct; expected `pk = \"..\"`, \
                         `sk = \"..\"`, `entity = \"..\"` or `entity_attribute = \"..\"`",
                        path_text(&path)
                    )));
                };
                let value = string_value(&meta, target.name, "struct")?;
                target.set(cx, &path, value);
                Ok(())
            });
            if let Err(error) = parsed {
                container.malformed = true;
                cx.syn_error(error);
            }
        }
        container
    }
}

/// The string value of `name = ".."`, with an error that shows the form expected.
fn string_value(meta: &ParseNestedMeta, name: &str, place: &str) -> syn::Result<LitStr> {
    if !meta.input.peek(syn::Token![=]) {
        let example = if name == symbol::PK || name == symbol::SK {
            format!(
                "`{name} = \"TEMPLATE#{{field}}\"`, or `#[dynafile({name})]` on the field that is \
                 the key"
            )
        } else {
            format!("`{name} = \"..\"`")
        };
        return Err(meta.error(format!(
            "the {place} option `{name}` needs a string value: write {example}"
        )));
    }
    meta.value()?.parse::<LitStr>()
}

/// Which key a field is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KeyRole {
    Partition,
    Sort,
}

impl KeyRole {
    pub(crate) fn option(self) -> &'static str {
        match self {
            KeyRole::Partition => symbol::PK,
            KeyRole::Sort => symbol::SK,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            KeyRole::Partition => "partition key",
            KeyRole::Sort => "sort key",
        }
    }
}

/// A field's options.
pub(crate) struct Field {
    /// `pk` or `sk`, with the tokens that said so, in order.
    pub(crate) keys: Vec<(KeyRole, Path)>,
    /// The serialized name serde's `rename` gives it.
    pub(crate) rename: Option<String>,
    /// serde's `skip`, `skip_serializing` or `skip_deserializing`, which would keep a key
    /// field from reading back.
    pub(crate) serde_skip: Option<Path>,
}

impl Field {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Field {
        let mut field = Field {
            keys: Vec::new(),
            rename: None,
            serde_skip: None,
        };
        for attr in attrs {
            if attr.path().is_ident(symbol::SERDE) {
                read_serde_field(attr, &mut field);
                continue;
            }
            if !attr.path().is_ident(symbol::DYNAFILE) {
                continue;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                let role = if meta.path.is_ident(symbol::PK) {
                    KeyRole::Partition
                } else if meta.path.is_ident(symbol::SK) {
                    KeyRole::Sort
                } else {
                    return Err(meta.error(format!(
                        "unknown dynafile option `{}` on a field; expected `pk` or `sk`",
                        path_text(&meta.path)
                    )));
                };
                if meta.input.peek(syn::Token![=]) {
                    let name = role.option();
                    return Err(meta.error(format!(
                        "a field option `{name}` takes no value: the field is the key as it is; \
                         for a template write `#[dynafile({name} = \"..\")]` on the struct"
                    )));
                }
                if field.keys.iter().any(|(known, _)| *known == role) {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "duplicate dynafile option `{}`: give it once",
                            role.option()
                        ),
                    );
                } else {
                    field.keys.push((role, meta.path.clone()));
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        field
    }
}

fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// serde's `rename_all` rule for serialization in a `#[serde(..)]` on the struct. Errors are
/// serde's to report, so malformed options are passed over.
fn serde_rename_all(attr: &Attribute) -> Option<String> {
    let mut rule = None;
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident(symbol::RENAME_ALL) {
            rule = serialize_name(&meta)?;
            return Ok(());
        }
        skip_meta_value(&meta)
    });
    rule
}

/// Reads `rename` and the skips from a `#[serde(..)]` on a field; malformed options are
/// serde's to report.
fn read_serde_field(attr: &Attribute, field: &mut Field) {
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident(symbol::RENAME) {
            if let Some(name) = serialize_name(&meta)? {
                field.rename = Some(name);
            }
            return Ok(());
        }
        if [
            symbol::SKIP,
            symbol::SKIP_SERIALIZING,
            symbol::SKIP_DESERIALIZING,
        ]
        .iter()
        .any(|word| meta.path.is_ident(word))
        {
            field.serde_skip = Some(meta.path.clone());
        }
        skip_meta_value(&meta)
    });
}

/// The serialization side of `name = ".."` or `name(serialize = "..", deserialize = "..")`.
fn serialize_name(meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<LitStr>()?.value()));
    }
    let mut name = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident(symbol::SERIALIZE) {
            name = Some(inner.value()?.parse::<LitStr>()?.value());
            Ok(())
        } else {
            skip_meta_value(&inner)
        }
    })?;
    Ok(name)
}

/// Passes over the value of an option this derive does not read.
fn skip_meta_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<proc_macro2::TokenTree>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// A field's serialized name under serde's `rename_all` rule (for snake_case field names,
/// as serde applies it).
pub(crate) fn apply_rename_all(rule: &str, field: &str) -> Option<String> {
    let pascal = || -> String {
        field
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    };
    Some(match rule {
        "lowercase" | "snake_case" => field.to_ascii_lowercase(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_lowercase().to_string() + chars.as_str()
            })
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::apply_rename_all;

    #[test]
    fn rename_all_rules_apply_as_serde_applies_them_to_fields() {
        let cases = [
            ("lowercase", "order_id"),
            ("UPPERCASE", "ORDER_ID"),
            ("PascalCase", "OrderId"),
            ("camelCase", "orderId"),
            ("snake_case", "order_id"),
            ("SCREAMING_SNAKE_CASE", "ORDER_ID"),
            ("kebab-case", "order-id"),
            ("SCREAMING-KEBAB-CASE", "ORDER-ID"),
        ];
        for (rule, expected) in cases {
            assert_eq!(
                apply_rename_all(rule, "order_id").as_deref(),
                Some(expected),
                "{rule}"
            );
        }
        assert_eq!(apply_rename_all("Title Case", "order_id"), None);
    }
}
