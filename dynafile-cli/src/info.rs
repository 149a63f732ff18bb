//! `dynafile info DIR`: the table's schema, item count and files, and each index's, as one
//! JSON object.

use std::process::ExitCode;

use dynafile::Dynafile;

use crate::{CliResult, TableDir};

pub(crate) fn run(table: TableDir) -> CliResult {
    let db = Dynafile::open(&table.dir)?;
    let info = db.info()?;
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(ExitCode::SUCCESS)
}
