//! `dynafile check DIR`: verify every checksum; exit 1 on corruption.

use std::process::ExitCode;

use dynafile::Dynafile;

use crate::{CliResult, TableDir};

pub(crate) fn run(table: TableDir) -> CliResult {
    let db = Dynafile::open(&table.dir)?;
    let report = db.check()?;
    println!("{report}");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
