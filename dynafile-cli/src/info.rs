//! `dynafile info DIR`: the table's schema, item count and files as one JSON object.

use std::process::ExitCode;

use dynafile::Dynafile;

use crate::{CliResult, TableDir};

/// Arguments of `info`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    table: TableDir,
}

pub(crate) fn run(args: Args) -> CliResult {
    let db = Dynafile::open(&args.table.dir)?;
    let info = db.info()?;
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(ExitCode::SUCCESS)
}
