//! `dynafile import`: plain and DynamoDB JSON lines told apart line by line, from a file or
//! standard input, one atomic batch per 1,000 items; a bad line stops the import naming its
//! line, with its batch unwritten and the earlier batches kept.

mod common;

use common::{create, dynafile, dynafile_with_stdin, items, write_lines};
use dynafile::{Item, KeyType, Number, Value, item};

fn n(text: &str) -> Value {
    Value::N(text.parse::<Number>().expect("number"))
}

fn m(members: &[(&str, Value)]) -> Value {
    Value::M(
        members
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
    )
}

#[test]
fn import_reads_plain_json_lines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    let file = dir.path().join("items.jsonl");
    write_lines(
        &file,
        &[
            r#"{"PK": "a", "SK": 1, "name": "Bob", "age": 42, "score": 0.5, "ok": true, "none": null}"#.to_owned(),
            r#"{"PK": "a", "SK": 2, "tags": ["x", 1], "address": {"city": "Oslo", "lines": ["1", "2"]}}"#.to_owned(),
            r#"{"PK": "b", "SK": -7.25, "big": 18446744073709551615}"#.to_owned(),
        ],
    );
    let stdout = dynafile(["import".as_ref(), table.as_os_str(), file.as_os_str()])
        .ok()
        .to_owned();
    assert_eq!(stdout, "imported 3 items\n");
    let mut found = items(&table);
    found.sort_by_key(|item| {
        (
            item["PK"].as_s().map(str::to_owned),
            item["SK"].as_n().copied(),
        )
    });
    assert_eq!(
        found,
        vec![
            item! { "PK" => "a", "SK" => 1, "name" => "Bob", "age" => 42, "score" => n("0.5"), "ok" => true, "none" => Value::Null },
            item! {
                "PK" => "a", "SK" => 2,
                "tags" => Value::L(vec![Value::from("x"), Value::from(1)]),
                "address" => m(&[("city", Value::from("Oslo")), ("lines", Value::L(vec![Value::from("1"), Value::from("2")]))]),
            },
            item! { "PK" => "b", "SK" => n("-7.25"), "big" => u64::MAX },
        ]
    );
}

#[test]
fn import_reads_dynamodb_json_lines_with_every_type() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::B, None);
    let line = r#"{"PK": {"B": "AAEC"}, "s": {"S": "x"}, "n": {"N": "3.1415926535897932384626433832795028841"}, "b": {"B": "/w=="}, "t": {"BOOL": false}, "z": {"NULL": true}, "l": {"L": [{"N": "1"}, {"SS": ["q"]}]}, "m": {"M": {"k": {"BS": ["AQ==", "Ag=="]}}}, "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["10", "1e-3"]}, "bs": {"BS": ["AA=="]}}"#;
    let stdout = dynafile(["import".as_ref(), table.as_os_str(), "-".as_ref()]);
    // An empty standard input imports nothing.
    assert_eq!(stdout.ok(), "imported 0 items\n");
    let run = dynafile_with_stdin(
        ["import".as_ref(), table.as_os_str(), "-".as_ref()],
        format!("{line}\n"),
    );
    assert_eq!(run.ok(), "imported 1 items\n");
    assert_eq!(
        items(&table),
        vec![item! {
            "PK" => vec![0u8, 1, 2],
            "s" => "x",
            "n" => n("3.1415926535897932384626433832795028841"),
            "b" => vec![255u8],
            "t" => false,
            "z" => Value::Null,
            "l" => Value::L(vec![Value::from(1), Value::string_set(["q"])]),
            "m" => m(&[("k", Value::binary_set([vec![1u8], vec![2u8]]))]),
            "ss" => Value::string_set(["a", "b"]),
            "ns" => Value::number_set([Number::from(10), "0.001".parse::<Number>().expect("number")]),
            "bs" => Value::binary_set([vec![0u8]]),
        }]
    );
}

#[test]
fn import_tells_formats_apart_line_by_line_and_skips_blank_lines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, None);
    let input = concat!(
        "{\"PK\": \"plain\", \"m\": {\"S\": \"a map, since PK is not typed\"}}\n",
        "\n",
        "{\"PK\": {\"S\": \"typed\"}, \"n\": {\"N\": \"1.50\"}}\n",
        "   \r\n",
        "{\"Item\": {\"PK\": {\"S\": \"exported\"}, \"set\": {\"NS\": [\"2\"]}}}\n",
        "{\"PK\": \"no newline at the end\"}",
    );
    // No FILE argument reads standard input.
    let run = dynafile_with_stdin(["import".as_ref(), table.as_os_str()], input);
    assert_eq!(run.ok(), "imported 4 items\n");
    let mut found = items(&table);
    found.sort_by_key(|item| item["PK"].as_s().map(str::to_owned));
    assert_eq!(
        found,
        vec![
            item! { "PK" => "exported", "set" => Value::number_set([2]) },
            item! { "PK" => "no newline at the end" },
            item! { "PK" => "plain", "m" => m(&[("S", Value::from("a map, since PK is not typed"))]) },
            item! { "PK" => "typed", "n" => n("1.5") },
        ]
    );
}

/// `count` plain lines `{"PK": "user#<i>", "SK": <i>}` for i in 1..=count.
fn numbered_lines(count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| format!(r#"{{"PK": "user#{i}", "SK": {i}}}"#))
        .collect()
}

fn sorted_keys(items: &[Item]) -> Vec<i64> {
    let mut keys: Vec<i64> = items
        .iter()
        .map(|item| {
            item["SK"]
                .as_n()
                .and_then(Number::to_i64)
                .expect("numeric SK")
        })
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn a_bad_line_in_the_second_batch_keeps_the_first_batch_only() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    let mut lines = numbered_lines(2_500);
    lines[1_499] = r#"{"SK": 1500}"#.to_owned();
    let file = dir.path().join("items.jsonl");
    write_lines(&file, &lines);
    let run = dynafile(["import".as_ref(), table.as_os_str(), file.as_os_str()]);
    assert_eq!(
        run.failed(1),
        format!(
            "error: line 1500 of {}: attribute `PK`: the partition key is missing; \
             the 1000 items before line 1001 were imported, nothing from that line on\n",
            file.display()
        )
    );
    assert_eq!(run.stdout, "");
    assert_eq!(sorted_keys(&items(&table)), (1..=1_000).collect::<Vec<_>>());
}

#[test]
fn a_good_import_of_several_batches_takes_every_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    let file = dir.path().join("items.jsonl");
    write_lines(&file, &numbered_lines(2_500));
    // `ok` also checks that stderr is empty: no progress output when it is not a terminal.
    let stdout = dynafile(["import".as_ref(), table.as_os_str(), file.as_os_str()])
        .ok()
        .to_owned();
    assert_eq!(stdout, "imported 2500 items\n");
    assert_eq!(sorted_keys(&items(&table)), (1..=2_500).collect::<Vec<_>>());
}

#[test]
fn a_bad_line_in_the_first_batch_imports_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, Some(KeyType::N));
    let cases = [
        (
            r#"{"PK": "x", "SK": 1"#,
            "line 3 of standard input: invalid JSON at column 19: EOF while parsing an object",
        ),
        (
            r#"{"PK": "x", "SK": "one"}"#,
            "line 3 of standard input: attribute `SK`: ",
        ),
        (
            r#"{"PK": {"S": "x"}, "SK": {"N": "1e999"}}"#,
            "line 3 of standard input: attribute `SK`: invalid number: number overflow",
        ),
        (
            "[]",
            "line 3 of standard input: an item must be a JSON object, found a JSON array",
        ),
    ];
    for (bad, message) in cases {
        let mut lines = numbered_lines(5);
        lines[2] = bad.to_owned();
        let run = dynafile_with_stdin(
            ["import".as_ref(), table.as_os_str(), "-".as_ref()],
            lines.join("\n"),
        );
        let stderr = run.failed(1);
        assert!(
            stderr.starts_with(&format!("error: {message}")),
            "{bad}: {stderr}"
        );
        assert!(
            stderr.ends_with("; nothing was imported\n"),
            "{bad}: {stderr}"
        );
        assert_eq!(items(&table), Vec::<Item>::new(), "{bad}");
    }
}

#[test]
fn import_of_a_missing_file_exits_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("t");
    create(&table, KeyType::S, None);
    let file = dir.path().join("missing.jsonl");
    let run = dynafile(["import".as_ref(), table.as_os_str(), file.as_os_str()]);
    assert_eq!(
        run.failed(1),
        format!(
            "error: cannot open {}: No such file or directory (os error 2)\n",
            file.display()
        )
    );
}
