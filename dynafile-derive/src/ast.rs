//! The struct a derive is given, as this derive sees it: its fields, its options and its key
//! declarations.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr, Type};

use crate::attr::{self, KeyRole, apply_rename_all};
use crate::ctxt::Ctxt;
use crate::template::Template;

/// A struct with named fields.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: attr::Container,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: attr::Field,
    /// The attribute serde stores the field as.
    pub(crate) attribute: String,
}

/// One declaration of a key: a template on the struct or a key field.
pub(crate) struct KeyDecl<'a> {
    pub(crate) role: KeyRole,
    pub(crate) source: KeySource<'a>,
    /// Where errors about this declaration point.
    pub(crate) tokens: TokenStream,
}

/// Where a key's value comes from.
pub(crate) enum KeySource<'a> {
    /// A template on the struct, and what parsing it gave.
    Template {
        literal: LitStr,
        template: Result<Template, String>,
    },
    /// A field.
    Field(&'a Field<'a>),
}

impl<'a> Container<'a> {
    /// The model of `input`, or `None` (with the error in `cx`) when it is not a struct with
    /// named fields.
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
        let container_attrs = attr::Container::from_ast(cx, &input.attrs);
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(unnamed) => {
                    cx.error_spanned_by(
                        unnamed,
                        "#[derive(DynaItem)] needs named fields, to store as attributes: write \
                         this tuple struct as `struct Name { field: Type, .. }`",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(DynaItem)] needs named fields, at least the key's: write this \
                         unit struct as `struct Name { field: Type, .. }`",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(DynaItem)] works on structs with named fields, not enums: put the \
                     enum in a field of a struct (serde stores it as a value)",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(DynaItem)] works on structs with named fields, not unions",
                );
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let attrs = attr::Field::from_ast(cx, &field.attrs);
                let plain = ident.unraw().to_string();
                let attribute = attrs
                    .rename
                    .clone()
                    .or_else(|| {
                        let rule = container_attrs.rename_all.as_deref()?;
                        apply_rename_all(rule, &plain)
                    })
                    .unwrap_or(plain);
                Some(Field {
                    ident,
                    ty: &field.ty,
                    attrs,
                    attribute,
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            generics: &input.generics,
            attrs: container_attrs,
            fields,
        })
    }

    /// Every key declaration, in order: the struct's templates, then the fields'.
    pub(crate) fn key_declarations(&self) -> Vec<KeyDecl<'_>> {
        let mut keys = Vec::new();
        for (role, attr) in [
            (KeyRole::Partition, &self.attrs.pk),
            (KeyRole::Sort, &self.attrs.sk),
        ] {
            if let Some((tokens, literal)) = attr.get() {
                keys.push(KeyDecl {
                    role,
                    source: KeySource::Template {
                        literal: literal.clone(),
                        template: Template::parse(&literal.value()),
                    },
                    tokens: tokens.clone(),
                });
            }
        }
        for field in &self.fields {
            for (role, path) in &field.attrs.keys {
                keys.push(KeyDecl {
                    role: *role,
                    source: KeySource::Field(field),
                    tokens: path.to_token_stream(),
                });
            }
        }
        keys
    }

    /// The field of this name.
    pub(crate) fn field(&self, name: &str) -> Option<&Field<'a>> {
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.fields.iter().find(|field| field.ident.unraw() == name)
    }
}
