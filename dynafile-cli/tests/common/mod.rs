//! Helpers shared by the CLI tests: running the built `dynafile` binary and making tables.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use dynafile::{Dynafile, Item, KeyType};

/// Held while this process spawns a child or has a table open. A child forked by one test
/// thread holds a copy of every descriptor of the process until it executes the binary, the
/// lock of a table another thread has open included: that table would stay locked for a
/// moment after its handle is dropped, and a `dynafile` run on it would find it locked.
static FORKS: Mutex<()> = Mutex::new(());

/// Holds off spawning children (and opening tables) in the other test threads.
pub fn fork_guard() -> MutexGuard<'static, ()> {
    FORKS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit status (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics unless the run exited 0 with nothing on stderr; returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "{self:?}");
        assert_eq!(self.stderr, "", "{self:?}");
        &self.stdout
    }

    /// Panics unless the run exited with `code`; returns stderr.
    pub fn failed(&self, code: i32) -> &str {
        assert_eq!(self.code, Some(code), "{self:?}");
        &self.stderr
    }
}

/// Runs `dynafile ARGS..`.
pub fn dynafile<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Run {
    dynafile_with_stdin(args, "")
}

/// Runs `dynafile ARGS..` with `stdin` as its standard input.
pub fn dynafile_with_stdin<S: AsRef<OsStr>>(
    args: impl IntoIterator<Item = S>,
    stdin: impl Into<Vec<u8>>,
) -> Run {
    let _guard = fork_guard();
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_dynafile"))
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run dynafile");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Creates a table `PK` (and `SK` when given) in `path` through the library.
pub fn create(path: &Path, partition: KeyType, sort: Option<KeyType>) {
    let _guard = fork_guard();
    let mut builder = Dynafile::builder(path).partition_key("PK", partition);
    if let Some(sort) = sort {
        builder = builder.sort_key("SK", sort);
    }
    builder
        .open()
        .expect("create table")
        .close()
        .expect("close");
}

/// Runs `work` on the table in `path`, opened through the library, and closes it.
pub fn with_table<T>(path: &Path, work: impl FnOnce(&Dynafile) -> T) -> T {
    let _guard = fork_guard();
    let db = Dynafile::open(path).expect("open table");
    let out = work(&db);
    db.close().expect("close");
    out
}

/// Every item of the table in `path`, in table order.
pub fn items(path: &Path) -> Vec<Item> {
    with_table(path, |db| {
        db.scan()
            .into_iter()
            .collect::<dynafile::Result<_>>()
            .expect("scan")
    })
}

/// Writes `lines` to `path`, one per line.
pub fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).expect("write lines");
}
