//! `dynafile export DIR [FILE|-] [--dynamodb-json]`: every item as JSON lines, in table
//! order (a scan).
//!
//! Plain JSON is the default; it cannot hold binaries and sets as such (they are written as
//! base64 strings and arrays) nor numbers that no JSON number reads back as exactly (written
//! as strings), so importing a plain export gives those back as strings and lists.
//! `--dynamodb-json` keeps every type: importing such an export reproduces the table exactly.
//!
//! A FILE is written in place (so that it may be a named pipe or `/dev/stdout`): an export
//! that fails leaves the lines written before the failure, and exits 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use dynafile::Dynafile;

use crate::output::{ItemFormat, Output};
use crate::progress::Progress;
use crate::{CliResult, TableDir, file_argument};

/// How many items are written between progress updates.
const PROGRESS_STEP: u64 = 1_000;

/// Arguments of `export`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    table: TableDir,
    /// The file to write (created or truncated); standard output when absent or `-`.
    file: Option<PathBuf>,
    /// Write DynamoDB JSON (`{"PK": {"S": "user#1"}}`), which keeps binaries, sets and every
    /// number exactly.
    #[arg(long)]
    dynamodb_json: bool,
}

pub(crate) fn run(args: Args) -> CliResult {
    let db = Dynafile::open(&args.table.dir)?;
    let format = ItemFormat::from_flag(args.dynamodb_json);
    let file = file_argument(args.file.as_deref());
    let mut output = Output::open(file)?;
    let mut progress = if file.is_none() && std::io::stdout().is_terminal() {
        Progress::none()
    } else {
        Progress::items("exported")
    };
    let written = write_items(&db, &mut output, format, &mut progress);
    progress.finish();
    match written {
        Ok(count) => {
            if let Some(path) = file {
                println!("exported {count} items to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure::Read(error)) => Err(error.into()),
        Err(Failure::Write(error)) => match output.describe_error(&error) {
            Some(message) => Err(message.into()),
            None => Ok(ExitCode::SUCCESS),
        },
    }
}

/// Why an export stopped.
enum Failure {
    Read(dynafile::Error),
    Write(std::io::Error),
}

/// Writes every item of the table; returns how many.
fn write_items(
    db: &Dynafile,
    output: &mut Output,
    format: ItemFormat,
    progress: &mut Progress,
) -> Result<u64, Failure> {
    let mut count: u64 = 0;
    for item in db.scan() {
        let item = item.map_err(Failure::Read)?;
        output.write_item(&item, format).map_err(Failure::Write)?;
        count += 1;
        if count.is_multiple_of(PROGRESS_STEP) {
            progress.advance(PROGRESS_STEP, 0);
        }
    }
    output.finish().map_err(Failure::Write)?;
    Ok(count)
}
