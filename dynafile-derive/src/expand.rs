//! Writes the `DynaItem` impl and the `key(..)` constructor of a checked struct.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr, Type};

use crate::ast::{Container, Field};
use crate::check::{self, Key, Keys};
use crate::ctxt::Ctxt;
use crate::template::Template;

/// The derive's output for `input`, or every error found in it.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::default();
    let Some(container) = Container::from_ast(&cx, input) else {
        cx.check()?;
        return Ok(TokenStream::new());
    };
    let keys = check::check(&cx, &container);
    cx.check()?;
    let Some(keys) = keys else {
        return Err(syn::Error::new_spanned(
            container.ident,
            "the key of this struct could not be read",
        ));
    };
    Ok(expand(&container, &keys))
}

fn expand(container: &Container, keys: &Keys) -> TokenStream {
    let ident = container.ident;
    let (impl_generics, type_generics, where_clause) = container.generics.split_for_impl();
    let mut where_clause = where_clause.cloned();
    if !container.generics.params.is_empty() {
        let predicates = &mut where_clause
            .get_or_insert_with(|| syn::parse_quote!(where))
            .predicates;
        predicates.push(syn::parse_quote!(
            #ident #type_generics: ::dynafile::__private::Serialize
                + ::dynafile::__private::DeserializeOwned
        ));
    }

    let entity = container.attrs.entity.get().map_or_else(
        || LitStr::new(&ident.unraw().to_string(), ident.span()),
        |(_, literal)| literal.clone(),
    );
    let entity_attribute = container
        .attrs
        .entity_attribute
        .get()
        .map(|(_, literal)| quote!(const ENTITY_ATTRIBUTE: &'static str = #literal;));

    let parameters = key_parameters(container, keys);
    let parameter_list = parameters.iter().map(|field| {
        let name = field.ident;
        if is_string(field.ty) {
            quote!(#name: impl ::core::convert::Into<::std::string::String>)
        } else {
            let ty = field.ty;
            quote!(#name: #ty)
        }
    });
    let conversions = parameters
        .iter()
        .filter(|field| is_string(field.ty))
        .map(|field| {
            let name = field.ident;
            quote!(let #name: ::std::string::String = ::core::convert::Into::into(#name);)
        });
    let names: Vec<_> = parameters.iter().map(|field| field.ident).collect();
    let borrowed_parameters = parameters.iter().map(|field| {
        let (name, ty) = (field.ident, field.ty);
        quote!(#name: &#ty)
    });
    let key_from_fields = key_expression(container, keys);
    let partition_source = key_source(&keys.partition);
    let sort_source = match &keys.sort {
        Some(sort) => {
            let source = key_source(sort);
            quote!(::core::option::Option::Some(#source))
        }
        None => quote!(::core::option::Option::None),
    };
    let key_doc = format!(
        "The key of the `{ident}` with these key fields, for `Dynafile::get` and `Dynafile::delete`."
    );

    quote! {
        impl #impl_generics #ident #type_generics #where_clause {
            #[doc = #key_doc]
            #[must_use]
            pub fn key(#(#parameter_list),*) -> ::dynafile::ItemKey<Self> {
                #(#conversions)*
                Self::__dynafile_item_key(#(&#names),*)
            }

            // One function makes the key for `key` and `item_key`, so that an error in a
            // template shows once.
            #[allow(clippy::ptr_arg)]
            fn __dynafile_item_key(#(#borrowed_parameters),*) -> ::dynafile::ItemKey<Self> {
                #key_from_fields
            }
        }

        #[automatically_derived]
        impl #impl_generics ::dynafile::DynaItem for #ident #type_generics #where_clause {
            const ENTITY: &'static str = #entity;
            #entity_attribute
            const PARTITION_KEY: ::dynafile::KeySource = #partition_source;
            const SORT_KEY: ::core::option::Option<::dynafile::KeySource> = #sort_source;

            fn item_key(&self) -> ::dynafile::ItemKey<Self> {
                Self::__dynafile_item_key(#(&self.#names),*)
            }
        }
    }
}

/// The fields `key(..)` takes: those the keys use, partition key first, each once.
fn key_parameters<'c>(container: &'c Container<'c>, keys: &Keys<'c>) -> Vec<&'c Field<'c>> {
    let mut fields: Vec<&Field> = Vec::new();
    for key in std::iter::once(&keys.partition).chain(&keys.sort) {
        let used: Vec<&Field> = match key {
            Key::Template { template, .. } => template
                .fields()
                .into_iter()
                .filter_map(|name| container.field(name))
                .collect(),
            Key::Field(field) => vec![*field],
        };
        for field in used {
            if !fields.iter().any(|known| known.ident == field.ident) {
                fields.push(field);
            }
        }
    }
    fields
}

/// The `ItemKey` built from references to the key fields, named as the fields.
fn key_expression(container: &Container, keys: &Keys) -> TokenStream {
    let partition = key_value(container, &keys.partition);
    let sort = match &keys.sort {
        Some(sort) => {
            let value = key_value(container, sort);
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(::dynafile::__private::item_key(#partition, #sort))
}

fn key_value(container: &Container, key: &Key) -> TokenStream {
    match key {
        Key::Template { literal, template } => template_value(container, literal, template),
        Key::Field(field) => {
            let name = field.ident;
            if is_bytes(field.ty) {
                quote_spanned!(field.ty.span()=> ::dynafile::__private::bytes_value(#name))
            } else {
                quote_spanned!(field.ty.span()=> ::dynafile::__private::field_value(#name))
            }
        }
    }
}

/// The template formatted from the fields; its `Display` errors point at the template.
fn template_value(container: &Container, literal: &LitStr, template: &Template) -> TokenStream {
    let (format, names) = template.format_string();
    if names.is_empty() {
        return quote!(::dynafile::__private::template_value(
            ::std::string::String::from(#literal)
        ));
    }
    let format = LitStr::new(&format, literal.span());
    let arguments = names
        .iter()
        .filter_map(|name| container.field(name))
        .map(|field| {
            // Spanned on the template, where a field without `Display` is reported.
            let mut name = field.ident.clone();
            name.set_span(literal.span());
            name
        });
    quote!(::dynafile::__private::template_value(
        ::std::format!(#format, #(#arguments),*)
    ))
}

fn key_source(key: &Key) -> TokenStream {
    match key {
        Key::Template { literal, .. } => quote!(::dynafile::KeySource::Template(#literal)),
        Key::Field(field) => {
            let name = field.ident.unraw().to_string();
            let attribute = &field.attribute;
            quote!(::dynafile::KeySource::Field { name: #name, attribute: #attribute })
        }
    }
}

/// Whether the type is written `String` (a key parameter then takes `impl Into<String>`).
fn is_string(ty: &Type) -> bool {
    last_segment_is(ty, "String", None)
}

/// Whether the type is written `Vec<u8>` (a key field then is a binary).
fn is_bytes(ty: &Type) -> bool {
    last_segment_is(ty, "Vec", Some("u8"))
}

fn last_segment_is(ty: &Type, name: &str, argument: Option<&str>) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident != name {
        return false;
    }
    match (&last.arguments, argument) {
        (syn::PathArguments::None, None) => true,
        (syn::PathArguments::AngleBracketed(arguments), Some(expected)) => {
            arguments.args.len() == 1
                && matches!(
                    arguments.args.first(),
                    Some(syn::GenericArgument::Type(Type::Path(inner))) if inner.path.is_ident(expected)
                )
        }
        _ => false,
    }
}
