//! `dynafile create DIR --pk NAME[:S|N|B] [--sk NAME[:S|N|B]] [--name NAME] [--ttl ATTRIBUTE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use dynafile::{Dynafile, KeyAttribute, KeyType};

use crate::CliResult;

/// Arguments of `create`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The table's directory (created if missing; must be empty).
    dir: PathBuf,
    /// The partition key, as NAME or NAME:TYPE with TYPE one of S, N, B (default S). The
    /// type follows the last colon, so a name with a colon needs its type: `a:b:S`.
    #[arg(long, value_name = "NAME[:TYPE]", value_parser = key_attribute)]
    pk: KeyAttribute,
    /// The sort key, as NAME or NAME:TYPE.
    #[arg(long, value_name = "NAME[:TYPE]", value_parser = key_attribute)]
    sk: Option<KeyAttribute>,
    /// The table's name (default: the directory's name).
    #[arg(long)]
    name: Option<String>,
    /// Enables time to live: the attribute holding each item's expiry, a Number of epoch
    /// seconds. Expired items are invisible to every read and swept in the background.
    #[arg(long, value_name = "ATTRIBUTE")]
    ttl: Option<String>,
}

/// Splits `NAME[:TYPE]`; a bad type is a usage error.
fn key_attribute(spec: &str) -> Result<KeyAttribute, String> {
    match spec.rsplit_once(':') {
        Some((name, key_type)) => {
            let key_type: KeyType = key_type.parse().map_err(|e| format!("{e}"))?;
            Ok(KeyAttribute::new(name, key_type))
        }
        None => Ok(KeyAttribute::new(spec, KeyType::S)),
    }
}

pub(crate) fn run(args: Args) -> CliResult {
    let Args {
        dir,
        pk,
        sk,
        name,
        ttl,
    } = args;
    if dir.join("meta.json").exists() {
        return Err(format!("{} already holds a table", dir.display()).into());
    }
    let mut builder = Dynafile::builder(&dir).partition_key(pk.name, pk.key_type);
    if let Some(sk) = sk {
        builder = builder.sort_key(sk.name, sk.key_type);
    }
    if let Some(name) = name {
        builder = builder.name(name);
    }
    if let Some(attribute) = ttl {
        builder = builder.ttl_attribute(attribute);
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
