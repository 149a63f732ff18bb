//! `dynafile exec DIR "STATEMENT" [--params JSON_ARRAY] [--dynamodb-json]`: runs one PartiQL
//! statement. A SELECT prints one item per line; an UPDATE or DELETE with RETURNING prints
//! the item; EXPLAIN prints its plan as one JSON object; other statements print nothing.
//!
//! `dynafile exec DIR --statement A --statement B ..` runs several statements as one
//! transaction (`Dynafile::execute_transaction`), each with its own `--params` when any has
//! them; reads print one line per statement (the item, or `null`), writes print nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use dynafile::{Dynafile, Item, StatementOutput, Value};
use serde_json::Value as Json;

use crate::CliResult;
use crate::import::is_typed_value;
use crate::output::{ItemFormat, Output};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The table's directory.
    dir: PathBuf,
    /// The PartiQL statement: SELECT, INSERT, UPDATE, DELETE or EXPLAIN.
    #[arg(required_unless_present = "statements", conflicts_with = "statements")]
    statement: Option<String>,
    /// A statement of a transaction; given several times, the statements run as one
    /// transaction: all writes (INSERT, UPDATE, DELETE, EXISTS(SELECT ..)) that commit all or
    /// nothing, or all reads (SELECTs of one item by its full key) from one snapshot.
    #[arg(long = "statement", value_name = "STATEMENT")]
    statements: Vec<String>,
    /// Values of the statement's `?` parameters, in order, as a JSON array: all in DynamoDB
    /// JSON when every element is a typed value (`[{"S": "user#1"}, {"N": "5"}]`), else all
    /// in plain JSON (`["user#1", 5]`). With several statements, give it once per statement
    /// (`[]` for none), or not at all.
    #[arg(long, value_name = "JSON_ARRAY")]
    params: Vec<String>,
    /// Print items as DynamoDB JSON (`{"PK": {"S": ".."}}`), which keeps every type, instead
    /// of plain JSON.
    #[arg(long)]
    dynamodb_json: bool,
}

pub(crate) fn run(mut args: Args) -> CliResult {
    let statements = match args.statement.take() {
        Some(statement) => vec![statement],
        None => std::mem::take(&mut args.statements),
    };
    let params = statement_params(&args.params, statements.len())?;
    let db = Dynafile::open(&args.dir)?;
    let format = ItemFormat::from_flag(args.dynamodb_json);
    let output = if let [statement] = statements.as_slice() {
        let params = params.into_iter().next().unwrap_or_default();
        Outcome::Statement(db.execute_with(statement, params)?)
    } else {
        Outcome::Transaction(db.execute_transaction_with(statements.iter().zip(params))?)
    };
    let mut out = Output::open(None)?;
    let written = match output {
        Outcome::Statement(output) => write_output(output, format, &mut out),
        Outcome::Transaction(items) => write_transaction(&items, format, &mut out),
    }
    .and_then(|()| out.finish().map_err(Failure::Write));
    if let Err(error) = written {
        return match error {
            Failure::Table(error) => Err(error.into()),
            Failure::Write(error) => match out.describe_error(&error) {
                Some(message) => Err(message.into()),
                None => Ok(ExitCode::SUCCESS),
            },
        };
    }
    db.close()?;
    Ok(ExitCode::SUCCESS)
}

/// What ran: one statement, or a transaction of several.
enum Outcome {
    Statement(StatementOutput),
    /// A read's items, one per statement (`None` for a missing item); empty for writes.
    Transaction(Vec<Option<Item>>),
}

/// The parameters of each statement: one `--params` per statement, or none at all.
fn statement_params(given: &[String], statements: usize) -> Result<Vec<Vec<Value>>, String> {
    if given.is_empty() {
        return Ok(vec![Vec::new(); statements]);
    }
    if given.len() != statements {
        return Err(format!(
            "--params is given {} times for {statements} statements; give it once per \
             statement (`[]` for none), in order, or not at all",
            given.len()
        ));
    }
    given.iter().map(|text| parse_params(text)).collect()
}

/// A transaction's output: for reads one line per statement, its item or `null` when there
/// is none; nothing for writes, which return nothing.
fn write_transaction(
    items: &[Option<Item>],
    format: ItemFormat,
    out: &mut Output,
) -> Result<(), Failure> {
    for item in items {
        match item {
            Some(item) => out.write_item(item, format)?,
            None => out.write_json(&Json::Null)?,
        }
    }
    Ok(())
}

/// What stopped the output: a read of the table, or a write to standard output.
enum Failure {
    Table(dynafile::Error),
    Write(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure::Write(error)
    }
}

fn write_output(
    output: StatementOutput,
    format: ItemFormat,
    out: &mut Output,
) -> Result<(), Failure> {
    match output {
        StatementOutput::Items(items) => {
            for item in items {
                out.write_item(&item.map_err(Failure::Table)?, format)?;
            }
        }
        StatementOutput::Written(Some(item)) => out.write_item(&item, format)?,
        StatementOutput::Plan(plan) => out.write_json(&plan)?,
        // Nothing to print; the enum may grow.
        _ => {}
    }
    Ok(())
}

/// The values of `--params`.
pub(crate) fn parse_params(text: &str) -> Result<Vec<Value>, String> {
    let json: Json = serde_json::from_str(text)
        .map_err(|error| format!("--params is not valid JSON: {error}"))?;
    let Json::Array(elements) = json else {
        return Err("--params must be a JSON array of the parameters' values".to_owned());
    };
    let typed = !elements.is_empty() && elements.iter().all(is_typed_value);
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| {
            let value = if typed {
                Value::from_dynamodb_json(element)
            } else {
                Value::from_json(element)
            };
            value.map_err(|error| format!("--params element {}: {error}", index + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_plain_json_unless_every_element_is_typed() {
        assert_eq!(
            parse_params(r#"["a", 5, true, null]"#),
            Ok(vec![
                Value::from("a"),
                Value::from(5),
                Value::Bool(true),
                Value::Null
            ])
        );
        assert_eq!(
            parse_params(r#"[{"S": "a"}, {"N": "5"}]"#),
            Ok(vec![Value::from("a"), Value::from(5)])
        );
        // One plain element makes the whole array plain: `{"S": "a"}` is then a map.
        let mixed = parse_params(r#"[{"S": "a"}, 5]"#).expect("plain JSON");
        assert!(matches!(&mixed[0], Value::M(map) if map.len() == 1));
        assert_eq!(parse_params("[]"), Ok(vec![]));
        assert_eq!(
            parse_params(r#"{"a": 1}"#),
            Err("--params must be a JSON array of the parameters' values".to_owned())
        );
        assert!(
            parse_params("[1,")
                .is_err_and(|message| message.starts_with("--params is not valid JSON: "))
        );
    }
}
