//! dynafile-bench: workload W (`shared/WORKLOAD.md`) against dynafile, SQLite and redb in one
//! process run, so that the figures that matter, the ratios, are measured side by side.
//!
//! ```sh
//! cargo run --release -p dynafile-bench                 # N = 100,000, 3 repetitions
//! cargo run --release -p dynafile-bench -- --quick      # N = 10,000, a tenth of the operations
//! ```
//!
//! Each repetition runs phase 0 (the fsync floor), then every other phase against each system
//! in turn on a fresh directory, the order of the systems rotated so that each goes first in
//! turn; the report gives per-phase medians. Progress goes to stderr, the table to stdout.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod data;
mod measure;
mod phases;
mod plan;
mod progress;
mod report;
mod systems;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::phases::SystemRun;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::Report;
use crate::systems::SystemKind;

/// Workload W: dynafile against SQLite and redb, side by side in one run.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Items to load (N); a multiple of 100. Default 100,000, or 10,000 with --quick.
    #[arg(long)]
    items: Option<u64>,

    /// A smoke run: N = 10,000 and a tenth of each phase's operations, one repetition.
    #[arg(long)]
    quick: bool,

    /// Repetitions of the whole workload; the report gives medians. Default 3, or 1 with
    /// --quick.
    #[arg(long)]
    repeat: Option<usize>,

    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,

    /// Also draw the ratios dynafile/SQLite and dynafile/redb as an SVG bar chart.
    #[arg(long, value_name = "PATH")]
    svg: Option<PathBuf>,

    /// Run only this system (repeatable), e.g. when profiling.
    #[arg(long, value_enum, value_name = "SYSTEM")]
    only: Vec<SystemKind>,

    /// Parent of the temporary directory the bench works in (default: the system's).
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let items = args
        .items
        .unwrap_or(if args.quick { 10_000 } else { 100_000 });
    if items == 0 || items % data::ITEMS_PER_PARTITION != 0 {
        bail!("--items must be a positive multiple of 100 (partitions of 100 items)");
    }
    let plan = if args.quick {
        Plan::quick(items)
    } else {
        Plan::full(items)
    };
    let repeat = args.repeat.unwrap_or(if args.quick { 1 } else { 3 });
    if repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let mut systems: Vec<SystemKind> = if args.only.is_empty() {
        SystemKind::ALL.to_vec()
    } else {
        args.only.clone()
    };
    systems.sort();
    systems.dedup();

    let parent = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let workdir = tempfile::Builder::new()
        .prefix("dynafile-bench-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temporary directory in {}", parent.display()))?;
    eprintln!(
        "dynafile-bench: N = {items}, {repeat} repetition(s), systems {}, in {}",
        systems
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", "),
        workdir.path().display()
    );

    let order = data::shuffled(items);
    let mut floors = Vec::with_capacity(repeat);
    let mut runs: BTreeMap<SystemKind, Vec<SystemRun>> = BTreeMap::new();
    for rep in 0..repeat {
        let rep_dir = workdir.path().join(format!("rep{}", rep + 1));
        std::fs::create_dir_all(&rep_dir)
            .with_context(|| format!("creating {}", rep_dir.display()))?;
        let floor_path = rep_dir.join("fsync_floor");
        let label = format!("[{}/{repeat}]", rep + 1);
        floors.push(phases::fsync_floor(
            &floor_path,
            &plan,
            &Progress::new(format!("{label} {:<8}", "disk")),
        )?);
        // Rotate the systems so that each goes first in turn.
        let mut this_order = systems.clone();
        this_order.rotate_left(rep % systems.len());
        for kind in this_order {
            let progress = Progress::new(format!("{label} {:<8}", kind.label()));
            let system_dir = rep_dir.join(kind.key());
            let run = phases::run_system(kind, &system_dir, &floor_path, &plan, &order, progress)?;
            runs.entry(kind).or_default().push(run);
            settle(&system_dir)?;
        }
        std::fs::remove_dir_all(&rep_dir)
            .with_context(|| format!("removing {}", rep_dir.display()))?;
    }
    check_scans_agree(&runs)?;
    let peak_memory = measure::peak_resident_bytes()?;
    workdir
        .close()
        .context("removing the temporary directory")?;

    let report = Report::new(items, repeat, &systems, &floors, &runs, peak_memory);
    print!("{}", report.table());
    if let Some(path) = &args.json {
        report.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.svg {
        report.write_svg(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Lets the disk settle before the next system runs: the systems write very different amounts
/// (their write amplification differs twentyfold), and the kernel writing back one system's
/// dirty pages would otherwise slow the phases of whichever system runs next. The finished
/// system's files are deleted if they are still there (their dirty pages are dropped, not
/// written), then the rest is synced.
fn settle(system_dir: &std::path::Path) -> Result<()> {
    match std::fs::remove_dir_all(system_dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", system_dir.display()));
        }
        _ => {}
    }
    // `sync` waits for the write-back to finish; where it does not exist, nothing is lost
    // but the settling.
    let _ = std::process::Command::new("sync").status();
    Ok(())
}

/// Every system's scans must have returned the same items: they were given the same writes.
fn check_scans_agree(runs: &BTreeMap<SystemKind, Vec<SystemRun>>) -> Result<()> {
    let counts: Vec<String> = runs
        .iter()
        .map(|(kind, runs)| {
            let counts: Vec<String> = runs.iter().map(|r| r.scan_matches.to_string()).collect();
            format!("{kind} {}", counts.join(", "))
        })
        .collect();
    let mut all = runs.values().flatten().map(|run| run.scan_matches);
    let first = all.next();
    if all.any(|count| Some(count) != first) {
        bail!(
            "the filtered scans returned different numbers of items: {}",
            counts.join("; ")
        );
    }
    Ok(())
}
