//! `dynafile import DIR [FILE|-]`: items from JSON lines, one atomic batch per
//! [`BATCH_ITEMS`] items.
//!
//! Each line is one item, plain JSON or DynamoDB JSON, told apart line by line: a line is
//! DynamoDB JSON when it is a non-empty object whose every member is an object with exactly
//! one member named by a type descriptor (`S`, `N`, `B`, `BOOL`, `NULL`, `L`, `M`, `SS`, `NS`,
//! `BS`); any other line is plain JSON. A line `{"Item": {..}}` whose inner object is DynamoDB
//! JSON (the lines of DynamoDB's export to S3) is that inner item. The rule cannot mistake a
//! valid plain item: every item holds its partition key, a string, number or binary, which
//! plain JSON writes as a string or number, never as an object.
//!
//! Blank lines (empty or only whitespace) are skipped; they count in line numbers. Items
//! are put, replacing any item with the same key; within a batch a later line wins.
//!
//! A bad line (not JSON, not an item, a missing or mistyped key, an item over 400 KB) stops
//! the import with its line number: nothing of its batch is written, and the batches before
//! it stay written.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use dynafile::{Dynafile, Item};
use serde_json::Value as Json;

use crate::progress::Progress;
use crate::{CliResult, TableDir, file_argument};

/// Items committed together, atomically.
pub(crate) const BATCH_ITEMS: usize = 1_000;

/// DynamoDB JSON's type descriptors.
const DESCRIPTORS: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"];

/// Arguments of `import`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    table: TableDir,
    /// The JSON lines file to read; standard input when absent or `-`.
    file: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> CliResult {
    let db = Dynafile::open(&args.table.dir)?;
    let file = file_argument(args.file.as_deref());
    let (input, length, source): (Box<dyn Read>, Option<u64>, String) = match file {
        Some(path) => {
            let opened =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            let length = opened.metadata().ok().map(|metadata| metadata.len());
            (Box::new(opened), length, path.display().to_string())
        }
        None => (
            Box::new(io::stdin().lock()),
            None,
            "standard input".to_owned(),
        ),
    };
    let mut progress = Progress::bytes(length, "imported");
    let imported = import(&db, BufReader::with_capacity(1 << 16, input), &mut progress);
    progress.finish();
    match imported {
        Ok(count) => {
            // Closing checkpoints what was imported, and reports failure to.
            db.close()?;
            println!("imported {count} items");
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Err(failure.describe(&source).into()),
    }
}

/// Where and why an import stopped.
struct Failure {
    /// The bad line, or `None` when committing or reading failed.
    line: Option<u64>,
    reason: String,
    /// Items committed before.
    committed: u64,
    /// The first line of the batch that was not committed.
    batch_start: u64,
}

impl Failure {
    fn describe(&self, source: &str) -> String {
        let location = match self.line {
            Some(line) => format!("line {line} of {source}"),
            None => source.to_owned(),
        };
        let kept = if self.committed == 0 {
            "nothing was imported".to_owned()
        } else {
            format!(
                "the {} items before line {} were imported, nothing from that line on",
                self.committed, self.batch_start
            )
        };
        format!("{location}: {}; {kept}", self.reason)
    }
}

/// Reads JSON lines into `db`; returns how many items were imported.
fn import(db: &Dynafile, mut input: impl BufRead, progress: &mut Progress) -> Result<u64, Failure> {
    let mut committed: u64 = 0;
    let mut batch = db.batch_writer();
    let mut batch_start: u64 = 1;
    let mut batch_bytes: u64 = 0;
    let mut line_number: u64 = 0;
    let mut line = Vec::new();
    loop {
        let fail = |line, reason: String| Failure {
            line,
            reason,
            committed,
            batch_start,
        };
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| fail(None, format!("cannot read: {e}")))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        batch_bytes += read as u64;
        let item = item_of_line(&line).map_err(|reason| fail(Some(line_number), reason))?;
        let Some(item) = item else {
            continue;
        };
        batch
            .put_item(&item)
            .map_err(|e| fail(Some(line_number), e.to_string()))?;
        if batch.len() == BATCH_ITEMS {
            let full = std::mem::replace(&mut batch, db.batch_writer());
            full.commit()
                .map_err(|e| fail(None, format!("cannot commit: {e}")))?;
            committed += BATCH_ITEMS as u64;
            progress.advance(BATCH_ITEMS as u64, batch_bytes);
            batch_start = line_number + 1;
            batch_bytes = 0;
        }
    }
    let rest = batch.len() as u64;
    batch.commit().map_err(|e| Failure {
        line: None,
        reason: format!("cannot commit: {e}"),
        committed,
        batch_start,
    })?;
    progress.advance(rest, batch_bytes);
    Ok(committed + rest)
}

/// The item of one line; `None` for a blank line.
fn item_of_line(line: &[u8]) -> Result<Option<Item>, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not valid UTF-8: {e}"))?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Ok(None);
    }
    let json: Json = serde_json::from_str(text).map_err(|e| describe_json_error(&e))?;
    let converted = match exported_item(&json) {
        Some(inner) => Item::from_dynamodb_json(inner),
        None if is_dynamodb_json(&json) => Item::from_dynamodb_json(&json),
        None => Item::from_json(&json),
    };
    converted.map(Some).map_err(|e| e.to_string())
}

/// The inner item of a line `{"Item": {..}}` of DynamoDB JSON.
fn exported_item(json: &Json) -> Option<&Json> {
    let Json::Object(object) = json else {
        return None;
    };
    let inner = object.get("Item")?;
    (object.len() == 1 && is_dynamodb_json(inner)).then_some(inner)
}

/// True for a non-empty object whose every member is an object with one member named by a
/// type descriptor.
fn is_dynamodb_json(json: &Json) -> bool {
    let Json::Object(object) = json else {
        return false;
    };
    !object.is_empty() && object.values().all(is_typed_value)
}

/// True for an object with one member named by a type descriptor: `{"S": ".."}`.
pub(crate) fn is_typed_value(json: &Json) -> bool {
    match json {
        Json::Object(typed) => {
            typed.len() == 1 && typed.keys().all(|key| DESCRIPTORS.contains(&key.as_str()))
        }
        _ => false,
    }
}

/// A JSON syntax error as `invalid JSON at column C: ..` (the line is known by the caller).
fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(message, _)| message);
    format!("invalid JSON at column {}: {message}", error.column())
}

#[cfg(test)]
mod tests {
    use dynafile::{Value, item};
    use serde_json::json;

    use super::*;

    #[test]
    fn lines_are_told_apart_by_their_values() {
        let cases = [
            (json!({"PK": "a", "n": 1}), false),
            (json!({"PK": {"S": "a"}, "n": {"N": "1"}}), true),
            (json!({"PK": {"S": "a"}, "n": 1}), false),
            (json!({"PK": {"X": "a"}}), false),
            (json!({"PK": {"S": "a", "N": "1"}}), false),
            (json!({}), false),
            (json!([{"S": "a"}]), false),
        ];
        for (json, expected) in cases {
            assert_eq!(is_dynamodb_json(&json), expected, "{json}");
        }
    }

    #[test]
    fn items_of_lines() {
        let cases: [(&str, Option<Item>); 6] = [
            (
                r#"{"PK": "a", "n": 1.5}"#,
                Some(item! { "PK" => "a", "n" => Value::N("1.5".parse().unwrap()) }),
            ),
            (
                r#"{"PK": {"S": "a"}, "tags": {"SS": ["x"]}}"#,
                Some(item! { "PK" => "a", "tags" => Value::string_set(["x"]) }),
            ),
            (
                r#"{"Item": {"PK": {"S": "a"}}}"#,
                Some(item! { "PK" => "a" }),
            ),
            // Not DynamoDB JSON inside: a plain item with a map attribute `Item`.
            (
                r#"{"Item": {"PK": "a"}}"#,
                Some(item! { "Item" => Value::M([("PK".to_owned(), Value::from("a"))].into()) }),
            ),
            ("", None),
            (" \t\r\n", None),
        ];
        for (line, expected) in cases {
            assert_eq!(item_of_line(line.as_bytes()), Ok(expected), "{line}");
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            (
                "{\"PK\": ",
                "invalid JSON at column 7: EOF while parsing a value",
            ),
            ("[1]", "an item must be a JSON object, found a JSON array"),
            (
                r#"{"PK": {"S": 1}}"#,
                "attribute `PK`: S must be a JSON string, found a JSON number",
            ),
            ("\u{fffd}x", "invalid JSON at column 1: expected value"),
        ];
        for (line, expected) in cases {
            assert_eq!(
                item_of_line(line.as_bytes()),
                Err(expected.to_owned()),
                "{line}"
            );
        }
        assert_eq!(
            item_of_line(b"{\"PK\": \"\xff\"}"),
            Err("not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 8".to_owned())
        );
    }
}
