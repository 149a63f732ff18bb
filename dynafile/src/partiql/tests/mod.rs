//! Tests of the PartiQL parser: statements it accepts (text -> exact model), statements it
//! rejects (text -> exact error), and robustness against any input.

mod accepted;
mod rejected;
mod robustness;

use super::parse::parse;
use crate::error::Error;

/// The canonical text of the statement `text` parses into, or the error's text.
fn canonical(text: &str) -> String {
    match parse(text) {
        Ok(statement) => statement.to_string(),
        Err(error) => panic!("{text:?} should parse, got: {error}"),
    }
}

/// The error `text` fails with.
fn failure(text: &str) -> Error {
    match parse(text) {
        Ok(statement) => panic!("{text:?} should fail, parsed as: {statement}"),
        Err(error) => error,
    }
}
