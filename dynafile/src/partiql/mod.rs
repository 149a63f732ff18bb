//! PartiQL statements, DynamoDB's SQL-like language.
//!
//! sqlparser reads the text in a PartiQL dialect ([`dialect`]); [`parse`] (and [`select`])
//! turn its AST into a small statement model whose expressions ([`expr`], converted in
//! [`convert`]) keep no sqlparser type. [`translate`] binds the `?` parameters and folds the
//! expressions into dynafile's expression AST, [`plan`] decides between a query and a scan
//! (and checks keys, tables and `ORDER BY`), and [`exec`] runs the plan through the table's
//! calls: `Dynafile::execute`; [`transaction`] runs a list of statements as one transaction,
//! `Dynafile::execute_transaction`.

mod convert;
mod dialect;
mod exec;
mod expr;
mod parse;
mod plan;
mod select;
mod transaction;
mod translate;

#[cfg(test)]
mod tests;

pub use exec::{ExecuteStatement, SelectItems, StatementOutput};
#[cfg(feature = "fuzzing")]
pub(crate) use parse::{Statement, parse};
