//! The CLI contract of `dynafile check`: exit status 0 and "no problems found" on a sound
//! table; exit status 1 on a damaged one, naming the damaged file (and offset) on stdout, or
//! on stderr when the damage keeps the table from opening.

use std::path::Path;
use std::process::{Command, Output};

use dynafile::{Dynafile, KeyType, item};

fn check(table: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynafile"))
        .arg("check")
        .arg(table)
        .output()
        .expect("run dynafile check")
}

fn xor_byte(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[offset] ^= 0x40;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn check_exits_1_naming_the_damaged_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("table");
    let db = Dynafile::builder(&table)
        .partition_key("PK", KeyType::S)
        .block_size(512)
        .open()
        .expect("create");
    for n in 0..200 {
        db.put_item(&item! { "PK" => format!("user#{n}"), "name" => "x".repeat(n % 50) })
            .expect("put");
    }
    db.close().expect("close");

    let sound = check(&table);
    let stdout = String::from_utf8_lossy(&sound.stdout);
    assert_eq!(sound.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("no problems found"), "{stdout}");

    let partitions: Vec<_> = std::fs::read_dir(table.join("partitions"))
        .expect("partitions")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(partitions.len(), 1);
    let file = &partitions[0];
    // A byte of the first block, which starts at offset 0.
    xor_byte(file, 20);
    let damaged = check(&table);
    let stdout = String::from_utf8_lossy(&damaged.stdout);
    assert_eq!(damaged.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{} at offset 0: ", file.display())),
        "{stdout}"
    );
    xor_byte(file, 20);

    let manifest = table.join("manifest");
    xor_byte(&manifest, 30);
    let unopenable = check(&table);
    let stderr = String::from_utf8_lossy(&unopenable.stderr);
    assert_eq!(unopenable.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: corrupt file {}", manifest.display())),
        "{stderr}"
    );
    xor_byte(&manifest, 30);

    assert_eq!(check(&table).status.code(), Some(0));
}
