//! Items as JSON lines: one JSON object and a newline per item, as `export` writes them and
//! `exec` prints a statement's items.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use dynafile::Item;

/// How an item is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemFormat {
    /// Plain JSON (`{"PK": "user#1", "age": 42}`): numbers as JSON numbers when a JSON number
    /// reads back as exactly the same number, else as strings; binaries as base64 strings
    /// and sets as arrays ([`Item::to_json`]).
    Plain,
    /// DynamoDB JSON (`{"PK": {"S": "user#1"}, "age": {"N": "42"}}`), which keeps every type
    /// exactly ([`Item::to_dynamodb_json`]).
    DynamoDb,
}

impl ItemFormat {
    /// The format a `--dynamodb-json` flag asks for.
    pub(crate) fn from_flag(dynamodb_json: bool) -> ItemFormat {
        if dynamodb_json {
            ItemFormat::DynamoDb
        } else {
            ItemFormat::Plain
        }
    }
}

/// Where output goes: standard output or a file, for messages.
pub(crate) struct Output {
    writer: BufWriter<Box<dyn Write>>,
    /// The file, or `standard output`, for error messages.
    name: String,
    to_stdout: bool,
}

impl Output {
    /// Writes to `file` (created or truncated), or to standard output when `None`.
    pub(crate) fn open(file: Option<&Path>) -> Result<Output, String> {
        let (writer, name): (Box<dyn Write>, String) = match file {
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                (Box::new(file), path.display().to_string())
            }
            None => (Box::new(io::stdout().lock()), "standard output".to_owned()),
        };
        Ok(Output {
            writer: BufWriter::with_capacity(1 << 16, writer),
            name,
            to_stdout: file.is_none(),
        })
    }

    /// Writes one item as a line of JSON.
    pub(crate) fn write_item(&mut self, item: &Item, format: ItemFormat) -> io::Result<()> {
        let json = match format {
            ItemFormat::Plain => item.to_json(),
            ItemFormat::DynamoDb => item.to_dynamodb_json(),
        };
        serde_json::to_writer(&mut self.writer, &json)?;
        self.writer.write_all(b"\n")
    }

    /// Writes a JSON value (an EXPLAIN plan) as one line.
    pub(crate) fn write_json(&mut self, json: &serde_json::Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.writer, json)?;
        self.writer.write_all(b"\n")
    }

    /// Flushes what is buffered.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// What a write error means: `None` when the reader of standard output went away (as
    /// `head` does), which ends the output quietly; otherwise the message to print.
    pub(crate) fn describe_error(&self, error: &io::Error) -> Option<String> {
        if self.to_stdout && error.kind() == io::ErrorKind::BrokenPipe {
            return None;
        }
        Some(format!("cannot write to {}: {error}", self.name))
    }
}
