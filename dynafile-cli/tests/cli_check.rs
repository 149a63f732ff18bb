//! `dynafile check` on a sound table and on a damaged copy of it: exit 0 and "no problems
//! found", then exit 1 naming the copy's damaged file and offset.

mod common;

use std::path::Path;

use common::{dynafile, dynafile_with_stdin};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

#[test]
fn check_passes_a_sound_table_and_fails_its_damaged_copy() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    dynafile([
        "create".as_ref(),
        table.as_os_str(),
        "--pk".as_ref(),
        "PK".as_ref(),
    ])
    .ok();
    let lines: Vec<String> = (0..500)
        .map(|i| format!(r#"{{"PK": "user#{i}", "note": "{}"}}"#, "x".repeat(i % 40)))
        .collect();
    dynafile_with_stdin(["import".as_ref(), table.as_os_str()], lines.join("\n")).ok();

    let sound = dynafile(["check".as_ref(), table.as_os_str()]);
    assert!(sound.ok().ends_with("\nno problems found\n"), "{sound:?}");

    let copy = dir.path().join("copy");
    copy_dir(&table, &copy);
    let partitions: Vec<_> = std::fs::read_dir(copy.join("partitions"))
        .expect("partitions")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(partitions.len(), 1);
    let mut bytes = std::fs::read(&partitions[0]).expect("read");
    bytes[100] ^= 0x01;
    std::fs::write(&partitions[0], bytes).expect("write");

    let damaged = dynafile(["check".as_ref(), copy.as_os_str()]);
    assert_eq!(damaged.code, Some(1), "{damaged:?}");
    assert!(
        damaged.stdout.contains(&format!(
            "problems found:\n  {} at offset 0: block checksum mismatch\n",
            partitions[0].display()
        )),
        "{damaged:?}"
    );
    // The original is untouched.
    assert_eq!(
        dynafile(["check".as_ref(), table.as_os_str()]).code,
        Some(0)
    );
}
