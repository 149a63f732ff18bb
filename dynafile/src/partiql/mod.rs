//! PartiQL statements, DynamoDB's SQL-like language: parsing into dynafile's own statement
//! model.
//!
//! sqlparser reads the text in a PartiQL dialect ([`dialect`]); [`parse`] turns its AST into a
//! small statement model whose expressions ([`expr`], converted in [`convert`]) keep no
//! sqlparser type, ready to be planned as a query or a scan and translated into the table's
//! calls.

#![allow(
    dead_code,
    unused_imports,
    reason = "the executor that plans and runs parsed statements comes next; until then only tests call the parser"
)]

mod convert;
mod dialect;
mod expr;
mod parse;

#[cfg(test)]
mod tests;

#[cfg(feature = "fuzzing")]
pub(crate) use parse::Statement;
pub(crate) use parse::parse;
