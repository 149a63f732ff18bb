//! `dynafile check DIR`: verify every checksum; exit 1 on corruption.

use std::process::ExitCode;

use dynafile::Dynafile;

use crate::{CliResult, TableDir};

/// Arguments of `check`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    table: TableDir,
}

pub(crate) fn run(args: Args) -> CliResult {
    let db = Dynafile::open(&args.table.dir)?;
    let report = db.check()?;
    println!("{report}");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
