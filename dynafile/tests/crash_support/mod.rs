//! Helpers shared by the process-level tests (`crash_kill9`, `recovery_torn_tail`,
//! `corruption`, `lock`): re-executing the test binary as a child, a small deterministic
//! random generator, and byte-level damage to files.
//!
//! The child pattern is sled's: the parent runs its own test binary with
//! `--exact <child test> --ignored`, and the child test does its work only when the
//! environment variable [`CHILD_ENV`] is set (run by hand, it returns at once).
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Set in a child's environment; the child tests do nothing without it.
pub const CHILD_ENV: &str = "DYNAFILE_TEST_CHILD";

/// The value of a child's parameter, set by the parent with [`child_command`].
pub fn child_param(name: &str) -> Option<String> {
    std::env::var(format!("DYNAFILE_TEST_{name}")).ok()
}

/// True in a child process started by [`child_command`].
pub fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// A command that runs the child test `test_name` of this test binary alone, with
/// `params` in its environment (read back with [`child_param`]). Its stdout is discarded and
/// its stderr goes to `stderr_file`, for the parent to show when something goes wrong.
pub fn child_command(test_name: &str, params: &[(&str, String)], stderr_file: &Path) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            test_name,
            "--nocapture",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(stderr_file).expect("create the child's stderr file"));
    for (name, value) in params {
        command.env(format!("DYNAFILE_TEST_{name}"), value);
    }
    command
}

/// Waits for a child that must exit on its own, and panics with its stderr if it failed.
pub fn wait_success(mut child: Child, stderr_file: &Path) {
    let status = child.wait().expect("wait for the child");
    assert!(
        status.success(),
        "child failed with {status}; its stderr:\n{}",
        std::fs::read_to_string(stderr_file).unwrap_or_default()
    );
}

/// Kills `child` with SIGKILL and reaps it; panics with its stderr if it had ended before.
#[cfg(unix)]
pub fn kill9(child: &mut Child, stderr_file: &Path) {
    use std::os::unix::process::ExitStatusExt;
    child.kill().expect("kill the child");
    let status = child.wait().expect("wait for the child");
    assert_eq!(
        status.signal(),
        Some(9),
        "the child ended before it was killed ({status}); its stderr:\n{}",
        std::fs::read_to_string(stderr_file).unwrap_or_default()
    );
}

/// Waits until `path` exists. The long deadline only keeps a broken child from hanging the
/// test; nothing is asserted about how long it takes.
pub fn wait_for_file(path: &Path, child: &mut Child, stderr_file: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        if let Some(status) = child.try_wait().expect("poll the child") {
            panic!(
                "child exited with {status} before creating {}; its stderr:\n{}",
                path.display(),
                std::fs::read_to_string(stderr_file).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "child never created {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Serializes the tests of one binary that spawn children or reopen tables in process.
///
/// A child is forked with a copy of the parent's file descriptors, which it holds until it
/// executes the test binary; a table lock taken by another thread of the parent is
/// briefly held by that copy too. Running such tests one at a time keeps a reopen in one
/// test from meeting the lock of a table another test just closed.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// SplitMix64: small, deterministic, good enough to vary test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// How many rounds a crash test runs: `default`, or `DYNAFILE_TEST_ROUNDS` to soak.
pub fn rounds(default: u64) -> u64 {
    std::env::var("DYNAFILE_TEST_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(default)
}

/// A seed that differs between runs, printed by the tests that use it so a failure can be
/// replayed with `DYNAFILE_TEST_SEED=<seed>`.
pub fn seed() -> u64 {
    if let Ok(seed) = std::env::var("DYNAFILE_TEST_SEED") {
        return seed.parse().expect("DYNAFILE_TEST_SEED is a number");
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// Copies a directory tree (files and subdirectories).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// XORs the byte at `offset` of `path` with `mask`.
pub fn xor_byte(path: &Path, offset: u64, mask: u8) {
    let mut bytes = std::fs::read(path).expect("read the file to damage");
    bytes[offset as usize] ^= mask;
    std::fs::write(path, bytes).expect("write the damaged file");
}

/// Cuts `path` to `len` bytes.
pub fn truncate(path: &Path, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| file.set_len(len))
        .expect("truncate the file");
}

/// Appends `bytes` to `path`.
pub fn append(path: &Path, bytes: &[u8]) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .expect("append to the file");
}

/// The files of a directory whose names end with `suffix`, sorted by name.
pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(suffix))
        })
        .collect();
    files.sort();
    files
}

/// The log segments of a table (`wal/<20 digits>.log`), oldest first.
pub fn log_segments(table: &Path) -> Vec<PathBuf> {
    files_ending(&table.join("wal"), ".log")
}

/// The partition files of a table (`partitions/<16 hex>.dfp`), by id.
pub fn partition_files(table: &Path) -> Vec<PathBuf> {
    files_ending(&table.join("partitions"), ".dfp")
}

/// Size of a log segment's header.
pub const LOG_HEADER_LEN: u64 = 16;

/// The start offsets of the whole records of a log segment (`len u32 | crc32c u32 |
/// payload` after a 16-byte header), read by the documented framing.
pub fn log_record_offsets(segment: &Path) -> Vec<u64> {
    let bytes = std::fs::read(segment).expect("read the segment");
    let mut offsets = Vec::new();
    let mut pos = LOG_HEADER_LEN as usize;
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        // Segments grow ahead of their records, zero-filled: a zero length ends the data.
        if len == 0 || pos + 8 + len > bytes.len() {
            break;
        }
        offsets.push(pos as u64);
        pos += 8 + len;
    }
    offsets
}

/// The end of a log segment's data: just after its last whole record. (Segments grow ahead
/// of their records, so the file is longer, zero-filled.)
pub fn log_data_end(segment: &Path) -> u64 {
    let bytes = std::fs::read(segment).expect("read the segment");
    match log_record_offsets(segment).last() {
        Some(&last) => {
            let at = last as usize;
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as u64;
            last + 8 + len
        }
        None => LOG_HEADER_LEN.min(bytes.len() as u64),
    }
}

/// Cuts every log segment of a table to the end of its data, so that a segment's last byte
/// is its last record's (the state recovery leaves after a torn tail), as the byte positions
/// of the tests assume.
pub fn trim_log_segments(table: &Path) {
    for segment in log_segments(table) {
        let end = log_data_end(&segment);
        truncate(&segment, end);
    }
}

/// Starts a new, empty log segment after the table's last one, as a checkpoint's rotation
/// does: the next writer appends its records there.
pub fn start_log_segment(table: &Path) {
    let segments = log_segments(table);
    let last = segments.last().expect("a log segment");
    let number: u64 = last
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.parse().ok())
        .expect("a numbered segment");
    let mut header = b"DYNAWAL1".to_vec();
    header.extend_from_slice(&1u32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    std::fs::write(
        table.join("wal").join(format!("{:020}.log", number + 1)),
        header,
    )
    .expect("write a segment header");
}
