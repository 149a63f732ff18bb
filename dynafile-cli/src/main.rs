//! `dynafile`: the command-line tool for dynafile tables.
//!
//! One module per subcommand; [`output`] prints items as JSON lines and [`progress`] reports
//! long imports and exports on a terminal. Errors print as `error: <message>` on stderr (with
//! the statement or expression and a caret under the error's position, when there is one)
//! and exit with status 1; usage errors are clap's, with status 2.

mod check;
mod create;
mod exec;
mod export;
mod import;
mod info;
mod output;
mod progress;
mod shell;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What a subcommand returns: its exit status, or an error to print.
type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// Work with dynafile tables from the shell.
#[derive(Parser)]
#[command(name = "dynafile", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a table in DIR.
    Create(create::Args),
    /// Read items from JSON lines (plain or DynamoDB JSON, told apart line by line) into the
    /// table in DIR.
    ///
    /// A line is DynamoDB JSON when every attribute is an object with one type descriptor
    /// (`{"S": ..}`); `{"Item": {..}}` lines, as DynamoDB exports to S3, are unwrapped. Blank
    /// lines are skipped. Items are put, replacing any with the same key, in atomic batches
    /// of 1,000; a bad line stops the import naming its line: nothing of its batch is
    /// written, the earlier batches stay.
    Import(import::Args),
    /// Write every item of the table in DIR as JSON lines, in table order.
    ///
    /// Plain JSON writes binaries as base64 strings, sets as arrays, and numbers that no JSON
    /// number reads back as exactly as strings; `--dynamodb-json` keeps every type, so that
    /// importing the export reproduces the table.
    Export(export::Args),
    /// Print the table's schema, item count and files, and each index's, as one JSON object.
    ///
    /// Counting the items reads every key of the table.
    Info(TableDir),
    /// Verify every checksum and ordering invariant of the table in DIR; exits 1 when
    /// something is wrong.
    Check(TableDir),
    /// Run one PartiQL statement on the table in DIR, or several as one transaction.
    ///
    /// A SELECT prints one item per line (plain JSON, or DynamoDB JSON with
    /// `--dynamodb-json`); an UPDATE or DELETE with RETURNING prints the item; EXPLAIN
    /// prints the plan as one JSON object; other statements print nothing. Several
    /// `--statement`s run as one transaction: all writes, committed all or nothing, or all
    /// reads of items by full key, printed one line per statement (`null` for none).
    Exec(exec::Args),
    /// Run PartiQL statements at a prompt on the table in DIR, printing items as tables.
    ///
    /// Statements end with `;` at the end of a line; `.help` and `.quit` are commands;
    /// `BEGIN;` collects statements until `COMMIT;` runs them as one transaction (or
    /// `ROLLBACK;` drops them). On
    /// a terminal, lines can be edited and statements are kept in ~/.dynafile_history. When
    /// standard input is not a terminal, statements are read from it; the exit status is
    /// then 1 if one failed.
    Shell(TableDir),
}

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Create(args) => create::run(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Info(args) => info::run(args),
        Command::Check(args) => check::run(args),
        Command::Exec(args) => exec::run(args),
        Command::Shell(args) => shell::run(args),
    }
}

/// The file a `FILE` argument names; `None` for standard input or output (no argument, or
/// `-`).
fn file_argument(file: Option<&Path>) -> Option<&Path> {
    file.filter(|path| path.as_os_str() != OsStr::new("-"))
}

/// The directory argument of the table subcommands.
#[derive(clap::Args)]
struct TableDir {
    /// The table's directory.
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            report(error.as_ref());
            ExitCode::FAILURE
        }
    }
}

/// Prints an error on stderr as `error: <message>`, followed, for a statement that does not
/// parse or an invalid expression, by the text with a caret under the error's position, and
/// for a canceled transaction by what failed, a line for each statement (or action) that did.
fn report(error: &(dyn std::error::Error + 'static)) {
    eprintln!("error: {error}");
    let excerpt = match error.downcast_ref::<dynafile::Error>() {
        Some(dynafile::Error::Validation(details)) => details.caret_lines(),
        Some(dynafile::Error::TransactionCanceled {
            reasons,
            reasons_by,
            ..
        }) => failed_parts(reasons, *reasons_by),
        Some(other) => other.excerpt(),
        None => None,
    };
    if let Some(excerpt) = excerpt {
        eprintln!("{excerpt}");
    }
}

/// `statement 1: DuplicateItem: duplicate primary key exists in table`, a line for each part
/// of a canceled transaction that failed: the codes alone do not say what was wrong.
fn failed_parts(
    reasons: &[dynafile::CancellationReason],
    part: dynafile::TransactionPart,
) -> Option<String> {
    let lines: Vec<String> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| **reason != dynafile::CancellationReason::None)
        .map(|(index, reason)| format!("{part} {index}: {reason}"))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
