//! `#[derive(DynaItem)]` for dynafile's typed API: use it through `dynafile::DynaItem`, whose
//! documentation describes the options.
//!
//! The macro is laid out as serde_derive is: [`attr`] reads the `#[dynafile(..)]` and the
//! relevant `#[serde(..)]` options, [`ast`] gathers them into a model of the struct,
//! [`check`] holds one function per rule, [`ctxt`] collects every error so that all mistakes
//! show at once, [`template`] parses key templates, and [`expand`] writes the impl.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod template;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `dynafile::DynaItem` for a struct with named fields, and generates its
/// `key(..)` constructor.
#[proc_macro_derive(DynaItem, attributes(dynafile))]
pub fn derive_dyna_item(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
