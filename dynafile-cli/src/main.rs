//! `dynafile`: the command-line tool for dynafile tables.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dynafile::{Dynafile, KeyType};

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
    Create {
        /// The table's directory (created if missing; must be empty).
        dir: PathBuf,
        /// The partition key, as NAME or NAME:TYPE with TYPE one of S, N, B (default S).
        #[arg(long)]
        pk: String,
        /// The sort key, as NAME or NAME:TYPE.
        #[arg(long)]
        sk: Option<String>,
        /// The table's name (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Verify every checksum and ordering invariant of the table in DIR; exits 1 when
    /// something is wrong.
    Check {
        /// The table's directory.
        dir: PathBuf,
    },
}

/// Splits `NAME[:TYPE]`.
fn key_attribute(spec: &str) -> dynafile::Result<(String, KeyType)> {
    match spec.rsplit_once(':') {
        Some((name, key_type)) => Ok((name.to_owned(), key_type.parse()?)),
        None => Ok((spec.to_owned(), KeyType::S)),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Create { dir, pk, sk, name } => {
            if dir.join("meta.json").exists() {
                return Err(format!("{} already holds a table", dir.display()).into());
            }
            let (pk_name, pk_type) = key_attribute(&pk)?;
            let mut builder = Dynafile::builder(&dir).partition_key(pk_name, pk_type);
            if let Some(sk) = sk {
                let (sk_name, sk_type) = key_attribute(&sk)?;
                builder = builder.sort_key(sk_name, sk_type);
            }
            if let Some(name) = name {
                builder = builder.name(name);
            }
            let db = builder.open()?;
            println!(
                "created table {:?} in {} ({})",
                db.name(),
                dir.display(),
                db.key_schema()
            );
            db.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => {
            let db = Dynafile::open(&dir)?;
            let report = db.check()?;
            println!("{report}");
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
