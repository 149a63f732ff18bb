//! `dynafile export`: JSON lines in table order, plain or DynamoDB JSON, to a file or
//! standard output; importing a DynamoDB JSON export reproduces the table exactly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{create, dynafile, fork_guard, items, with_table};
use dynafile::{Dynafile, Item, KeyType, Number, Value, item};

fn n(text: &str) -> Value {
    Value::N(text.parse::<Number>().expect("number"))
}

/// One partition `p`, so table order is sort key order.
fn one_partition(db: &Dynafile) {
    db.put_item(&item! {
        "PK" => "p", "SK" => 1, "f" => n("0.1"), "pi" => n("3.1415926535897932384626433832795028841"),
        "big" => n("1e30"), "b" => vec![0u8, 1], "ss" => Value::string_set(["b", "a"]),
    })
    .expect("put");
    db.put_item(&item! {
        "PK" => "p", "SK" => 2, "ns" => Value::number_set([Number::from(2), Number::from(10)]),
        "l" => Value::L(vec![Value::Null, Value::Bool(true)]), "bs" => Value::binary_set([vec![255u8]]),
    })
    .expect("put");
}

#[test]
fn export_writes_plain_json_lines_in_table_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    with_table(&table, one_partition);
    let expected = concat!(
        r#"{"PK":"p","SK":1,"b":"AAE=","big":1e+30,"f":0.1,"pi":"3.1415926535897932384626433832795028841","ss":["a","b"]}"#,
        "\n",
        r#"{"PK":"p","SK":2,"bs":["/w=="],"l":[null,true],"ns":[2,10]}"#,
        "\n",
    );
    assert_eq!(
        dynafile(["export".as_ref(), table.as_os_str()]).ok(),
        expected
    );
    assert_eq!(
        dynafile(["export".as_ref(), table.as_os_str(), "-".as_ref()]).ok(),
        expected
    );
}

#[test]
fn export_writes_dynamodb_json_lines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    with_table(&table, one_partition);
    let expected = concat!(
        r#"{"PK":{"S":"p"},"SK":{"N":"1"},"b":{"B":"AAE="},"big":{"N":"1000000000000000000000000000000"},"f":{"N":"0.1"},"pi":{"N":"3.1415926535897932384626433832795028841"},"ss":{"SS":["a","b"]}}"#,
        "\n",
        r#"{"PK":{"S":"p"},"SK":{"N":"2"},"bs":{"BS":["/w=="]},"l":{"L":[{"NULL":true},{"BOOL":true}]},"ns":{"NS":["2","10"]}}"#,
        "\n",
    );
    assert_eq!(
        dynafile([
            "export".as_ref(),
            table.as_os_str(),
            "--dynamodb-json".as_ref()
        ])
        .ok(),
        expected
    );
}

/// Items of every type over many partitions, more than one import batch of them.
fn varied_items() -> Vec<Item> {
    (0..2_345)
        .map(|i: i64| {
            let mut item = item! {
                "PK" => format!("user#{}", i % 97),
                "SK" => i,
                "name" => format!("name {i}"),
                "exact" => n(&format!("{i}.{i}e-5")),
                "digits" => n(&format!("1234567890123456789012345678901234567{}", i % 10)),
                "flag" => i % 2 == 0,
                "nested" => Value::M([
                    ("list".to_owned(), Value::L(vec![Value::from(i), Value::Null, Value::from("x")])),
                    ("set".to_owned(), Value::string_set([format!("s{i}"), "t".to_owned()])),
                ].into()),
            };
            if i % 3 == 0 {
                item.insert("blob", Value::B(i.to_be_bytes().to_vec()));
                item.insert("blobs", Value::binary_set([vec![1u8], i.to_le_bytes().to_vec()]));
                item.insert("numbers", Value::number_set([Number::from(i), "0.5".parse::<Number>().expect("number")]));
                item.insert("empty", Value::B(Vec::new()));
                item.insert("nothing", Value::Null);
            }
            item
        })
        .collect()
}

/// Creates a table `PK (S)`, `SK (N)` in `path` holding [`varied_items`].
fn fill_with_varied_items(path: &std::path::Path) {
    create(path, KeyType::S, Some(KeyType::N));
    with_table(path, |db| {
        let mut batch = db.batch_writer();
        for item in varied_items() {
            batch.put_item(&item).expect("queue");
        }
        batch.commit().expect("commit");
    });
}

#[test]
fn a_dynamodb_json_export_imports_into_the_same_table() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("source");
    fill_with_varied_items(&table);

    let file = dir.path().join("export.jsonl");
    let stdout = dynafile([
        "export".as_ref(),
        table.as_os_str(),
        file.as_os_str(),
        "--dynamodb-json".as_ref(),
    ])
    .ok()
    .to_owned();
    assert_eq!(
        stdout,
        format!("exported 2345 items to {}\n", file.display())
    );

    let copy = dir.path().join("copy");
    dynafile([
        "create".as_ref(),
        copy.as_os_str(),
        "--pk".as_ref(),
        "PK".as_ref(),
        "--sk".as_ref(),
        "SK:N".as_ref(),
    ])
    .ok();
    assert_eq!(
        dynafile(["import".as_ref(), copy.as_os_str(), file.as_os_str()]).ok(),
        "imported 2345 items\n"
    );
    let original = items(&table);
    assert_eq!(original.len(), 2_345);
    assert_eq!(items(&copy), original);
    // The copy exports to the same bytes.
    let again = dynafile([
        "export".as_ref(),
        copy.as_os_str(),
        "--dynamodb-json".as_ref(),
    ]);
    assert_eq!(
        again.ok(),
        std::fs::read_to_string(&file).expect("read export")
    );
}

#[test]
fn a_plain_export_imports_exactly_what_plain_json_holds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("source");
    create(&table, KeyType::N, None);
    with_table(&table, |db| {
        for i in 0..300_i64 {
            db.put_item(&item! {
                "PK" => i * 7 - 1000,
                "float" => n(&format!("{i}.25")),
                "huge" => n("-1.5e125"),
                "tiny" => n("1e-130"),
                "u64" => u64::MAX - 1,
                "i64" => i64::MIN,
                "text" => "é \" \\ \n",
                "list" => Value::L(vec![Value::M([("k".to_owned(), Value::Bool(false))].into())]),
            })
            .expect("put");
        }
    });
    let exported = dynafile(["export".as_ref(), table.as_os_str()])
        .ok()
        .to_owned();
    let copy = dir.path().join("copy");
    create(&copy, KeyType::N, None);
    let run = common::dynafile_with_stdin(["import".as_ref(), copy.as_os_str()], exported);
    assert_eq!(run.ok(), "imported 300 items\n");
    assert_eq!(items(&copy), items(&table));
}

#[test]
fn export_stops_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    fill_with_varied_items(&table);
    // As `dynafile export t | head -1` does.
    let guard = fork_guard();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynafile"))
        .arg("export")
        .arg(&table)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(guard);
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read a line");
    assert!(first.starts_with(r#"{"PK":"user#"#), "{first}");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn export_of_an_empty_table_writes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, None);
    assert_eq!(dynafile(["export".as_ref(), table.as_os_str()]).ok(), "");
    let unwritable = dir.path().join("no/such/dir/out.jsonl");
    let run = dynafile(["export".as_ref(), table.as_os_str(), unwritable.as_os_str()]);
    assert_eq!(
        run.failed(1),
        format!(
            "error: cannot create {}: No such file or directory (os error 2)\n",
            unwritable.display()
        )
    );
}

#[test]
fn large_imports_and_exports_print_no_progress_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Past the sizes from which a terminal would show progress: 100,000 items exported, a
    // file of 8 MiB imported.
    let table = dir.path().join("t");
    create(&table, KeyType::S, None);
    let count = 100_001;
    with_table(&table, |db| {
        let mut batch = db.batch_writer();
        for i in 0..count {
            batch
                .put_item(&item! { "PK" => format!("{i}") })
                .expect("queue");
        }
        batch.commit().expect("commit");
    });
    let exported = dynafile(["export".as_ref(), table.as_os_str()]);
    assert_eq!(exported.ok().lines().count(), count);

    let file = dir.path().join("large.jsonl");
    let lines: Vec<String> = (0..2_100)
        .map(|i| format!(r#"{{"PK": "{i}", "pad": "{}"}}"#, "x".repeat(4_000)))
        .collect();
    common::write_lines(&file, &lines);
    assert!(std::fs::metadata(&file).expect("length").len() >= 8 << 20);
    let copy = dir.path().join("copy");
    create(&copy, KeyType::S, None);
    let imported = dynafile(["import".as_ref(), copy.as_os_str(), file.as_os_str()]);
    assert_eq!(imported.ok(), "imported 2100 items\n");
}
