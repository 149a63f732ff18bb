//! File-system steps every durable write is made of.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// The name of a numbered file, such as a log or stream segment: the number in 20 digits (so
/// names sort as numbers do) and the extension.
pub(crate) fn numbered_name(number: u64, extension: &str) -> String {
    format!("{number:020}.{extension}")
}

/// The number of a file named by [`numbered_name`] with `extension`; `None` for any other.
pub(crate) fn number_of_name(path: &Path, extension: &str) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_suffix(extension)?.strip_suffix('.')?;
    (digits.len() == 20).then(|| digits.parse().ok()).flatten()
}

/// Makes a directory's entries durable (created, renamed or removed files).
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened for syncing here; renames are durable on their own.
        let _ = dir;
        Ok(())
    }
}

/// Replaces `dir/name` with `bytes` atomically: written to a temporary file in the same
/// directory (`.<name>.<random>.tmp`), synced, renamed over the old file, and the directory
/// synced.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let target = dir.join(name);
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    temp.write_all(bytes)
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.persist(&target)
        .map_err(|e| Error::io(&target, e.error))?;
    sync_dir(dir)
}

const TEMP_SUFFIX: &str = ".tmp";

fn temp_prefix(name: &str) -> String {
    format!(".{name}.")
}

/// Removes the temporary files of [`write_atomic`] for `dir/<names>` that a process killed
/// before its rename left behind. Only the process holding the table's lock may call it: the
/// temporary file of a write in progress looks the same.
pub(crate) fn remove_atomic_leftovers(dir: &Path, names: &[&str]) -> Result<()> {
    let prefixes: Vec<String> = names.iter().map(|name| temp_prefix(name)).collect();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let file_name = entry.file_name();
        let leftover = file_name.to_str().is_some_and(|n| {
            n.ends_with(TEMP_SUFFIX) && prefixes.iter().any(|prefix| n.starts_with(prefix))
        });
        if leftover {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes at `offset`, without moving a shared cursor, so several
/// threads can read one file at once.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ended early",
                ));
            }
            done += n;
        }
        Ok(())
    }
}

/// Writes all of `buf` at `offset`, without moving a shared cursor.
pub(crate) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_write(
                file,
                &buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "could not write"));
            }
            done += n;
        }
        Ok(())
    }
}
