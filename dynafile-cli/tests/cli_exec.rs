//! `dynafile exec`: every statement kind with its exact output, `--params` in plain and
//! DynamoDB JSON, `--dynamodb-json`, and errors with their caret lines and exit codes.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{Run, create, dynafile, items};
use dynafile::{KeyType, Value, item};

fn exec(table: &Path, statement: &str, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["exec".as_ref(), table.as_os_str(), statement.as_ref()];
    args.extend(extra.iter().map(|arg| OsStr::new(*arg)));
    dynafile(args)
}

/// A table `shop` (`PK` string, `SK` string) with three items, written by `exec` itself.
fn shop(dir: &Path) -> std::path::PathBuf {
    let table = dir.join("shop");
    create(&table, KeyType::S, Some(KeyType::S));
    for statement in [
        "INSERT INTO shop VALUE {'PK': 'u1', 'SK': 'o1', 'total': 30, 'tags': <<'a'>>}",
        "INSERT INTO shop VALUE {'PK': 'u1', 'SK': 'o2', 'total': 12.5}",
        "INSERT INTO shop VALUE {'PK': 'u2', 'SK': 'o1', 'total': 7, 'note': null}",
    ] {
        assert_eq!(exec(&table, statement, &[]).ok(), "");
    }
    table
}

#[test]
fn select_prints_one_plain_json_item_per_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    assert_eq!(
        exec(&table, "SELECT * FROM shop WHERE PK = 'u1'", &[]).ok(),
        "{\"PK\":\"u1\",\"SK\":\"o1\",\"tags\":[\"a\"],\"total\":30}\n\
         {\"PK\":\"u1\",\"SK\":\"o2\",\"total\":12.5}\n"
    );
    assert_eq!(
        exec(
            &table,
            "SELECT total FROM shop WHERE PK = 'u1' ORDER BY SK DESC",
            &[]
        )
        .ok(),
        "{\"total\":12.5}\n{\"total\":30}\n"
    );
    assert_eq!(
        exec(&table, "SELECT * FROM shop WHERE total > 100", &[]).ok(),
        ""
    );
}

#[test]
fn dynamodb_json_keeps_every_type() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    assert_eq!(
        exec(
            &table,
            "SELECT * FROM shop WHERE PK = 'u1' AND SK = 'o1'",
            &["--dynamodb-json"]
        )
        .ok(),
        "{\"PK\":{\"S\":\"u1\"},\"SK\":{\"S\":\"o1\"},\"tags\":{\"SS\":[\"a\"]},\"total\":{\"N\":\"30\"}}\n"
    );
}

#[test]
fn params_bind_plain_or_dynamodb_json_values() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    assert_eq!(
        exec(
            &table,
            "SELECT SK FROM shop WHERE PK = ? AND total < ?",
            &["--params", r#"["u1", 20]"#]
        )
        .ok(),
        "{\"SK\":\"o2\"}\n"
    );
    assert_eq!(
        exec(
            &table,
            "INSERT INTO shop VALUE {'PK': ?, 'SK': ?, 'data': ?}",
            &["--params", r#"[{"S": "u3"}, {"S": "b"}, {"B": "AAEC"}]"#]
        )
        .ok(),
        ""
    );
    let stored = items(&table);
    assert!(
        stored.contains(&item! { "PK" => "u3", "SK" => "b", "data" => Value::B(vec![0, 1, 2]) })
    );
}

#[test]
fn writes_print_nothing_unless_returning() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    assert_eq!(
        exec(
            &table,
            "UPDATE shop SET total = total + 1 REMOVE note WHERE PK = 'u2' AND SK = 'o1'",
            &[]
        )
        .ok(),
        ""
    );
    assert_eq!(
        exec(
            &table,
            "UPDATE shop SET total = total + 1 WHERE PK = 'u2' AND SK = 'o1' RETURNING MODIFIED NEW *",
            &[]
        )
        .ok(),
        "{\"total\":9}\n"
    );
    assert_eq!(
        exec(
            &table,
            "DELETE FROM shop WHERE PK = 'u2' AND SK = 'o1' RETURNING ALL OLD *",
            &[]
        )
        .ok(),
        "{\"PK\":\"u2\",\"SK\":\"o1\",\"total\":9}\n"
    );
    assert_eq!(
        exec(
            &table,
            "DELETE FROM shop WHERE PK = 'u1' AND SK = 'o2'",
            &[]
        )
        .ok(),
        ""
    );
    assert_eq!(
        items(&table),
        vec![item! { "PK" => "u1", "SK" => "o1", "total" => 30,
        "tags" => Value::Ss(["a".to_owned()].into()) }]
    );
}

#[test]
fn explain_prints_the_plan_as_one_json_object() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    let stdout = exec(
        &table,
        "EXPLAIN SELECT * FROM shop WHERE PK = 'u1' AND SK >= 'o2' AND total > 1 LIMIT 5",
        &[],
    )
    .ok()
    .to_owned();
    assert_eq!(stdout.lines().count(), 1);
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(
        plan,
        serde_json::json!({
            "kind": "query",
            "table": "shop",
            "index": null,
            "key_condition": "PK = 'u1' AND SK >= 'o2'",
            "filter": "total > 1",
            "projection": null,
            "order": null,
            "limit": 5,
        })
    );
}

#[test]
fn parse_errors_print_the_caret_and_exit_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    let run = exec(&table, "SELECT * FROM shop WHERE PK = 'u1' AND", &[]);
    assert_eq!(
        run.failed(1),
        "error: syntax error at line 1, column 39: expected an expression, found the end of the statement\n\
         SELECT * FROM shop WHERE PK = 'u1' AND\n\
         \x20                                     ^\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn statement_errors_exit_1_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    let before = items(&table);
    for (statement, params, message) in [
        (
            "INSERT INTO shop VALUE {'PK': 'u1', 'SK': 'o1'}",
            None,
            "error: duplicate primary key exists in table (PK = \"u1\", SK = \"o1\")\n",
        ),
        (
            "UPDATE shop SET total = 0 WHERE PK = 'u1' AND SK = 'o1' AND total > 100",
            None,
            "error: the conditional request failed\n",
        ),
        (
            "UPDATE shop SET total = 0 WHERE PK = 'u9' AND SK = 'o1'",
            None,
            "error: the conditional request failed\n",
        ),
        (
            "DELETE FROM shop WHERE PK = 'u1'",
            None,
            "error: DELETE needs the item's full key in its WHERE clause, `PK = value AND SK = value`; `SK` is not given with =\n",
        ),
        (
            "SELECT * FROM orders",
            None,
            "error: the statement names table `orders`, but this table is `shop`\n",
        ),
        (
            "SELECT * FROM shop WHERE PK = ?",
            None,
            "error: the statement has 1 parameter (`?`), but 0 values were given\n",
        ),
        (
            "SELECT * FROM shop WHERE PK = ?",
            Some(r#"["u1", "u2"]"#),
            "error: the statement has 1 parameter (`?`), but 2 values were given\n",
        ),
        (
            "SELECT * FROM shop WHERE PK = ?",
            Some(r#"{"PK": "u1"}"#),
            "error: --params must be a JSON array of the parameters' values\n",
        ),
        (
            "SELECT * FROM shop WHERE total > 1 ORDER BY SK",
            None,
            "error: ORDER BY needs a query: the WHERE clause must give the partition key `PK` with = or IN\n",
        ),
    ] {
        let mut extra = Vec::new();
        if let Some(params) = params {
            extra = vec!["--params", params];
        }
        let run = exec(&table, statement, &extra);
        assert_eq!(run.failed(1), message, "{statement}");
        assert_eq!(run.stdout, "", "{statement}");
    }
    assert_eq!(items(&table), before);
}

#[test]
fn usage_errors_exit_2_and_a_missing_table_exits_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    let run = dynafile(["exec".as_ref(), table.as_os_str()]);
    assert!(run.failed(2).contains("<STATEMENT>"), "{run:?}");
    let run = exec(&table, "SELECT * FROM shop", &["--format"]);
    assert!(run.failed(2).contains("--format"), "{run:?}");
    let missing = dir.path().join("missing");
    let run = exec(&missing, "SELECT * FROM missing", &[]);
    assert!(
        run.failed(1).starts_with("error: ") && run.stderr.contains("is not a dynafile table"),
        "{run:?}"
    );
}

/// `exec` with `--statement` (one or several) and per-statement `--params`.
fn exec_statements(table: &Path, statements: &[&str], extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["exec".as_ref(), table.as_os_str()];
    for statement in statements {
        args.push("--statement".as_ref());
        args.push(statement.as_ref());
    }
    args.extend(extra.iter().map(|arg| OsStr::new(*arg)));
    dynafile(args)
}

#[test]
fn several_statements_run_as_one_transaction() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    // One `--statement` is the same as the positional statement.
    assert_eq!(
        exec_statements(&table, &["SELECT total FROM shop WHERE PK = 'u2'"], &[]).ok(),
        "{\"total\":7}\n"
    );
    assert_eq!(
        exec_statements(
            &table,
            &[
                "UPDATE shop SET total = total - 2 WHERE PK = 'u1' AND SK = 'o1' AND total >= 2",
                "INSERT INTO shop VALUE {'PK': ?, 'SK': ?, 'total': 2}",
            ],
            &["--params", "[]", "--params", r#"["u3", "o1"]"#],
        )
        .ok(),
        ""
    );
    assert_eq!(
        exec_statements(
            &table,
            &[
                "SELECT total FROM shop WHERE PK = 'u1' AND SK = 'o1'",
                "SELECT * FROM shop WHERE PK = 'u9' AND SK = 'o1'",
                "SELECT * FROM shop WHERE PK = 'u3' AND SK = 'o1'",
            ],
            &[],
        )
        .ok(),
        "{\"total\":28}\nnull\n{\"PK\":\"u3\",\"SK\":\"o1\",\"total\":2}\n"
    );
}

#[test]
fn a_canceled_transaction_prints_its_reasons_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = shop(dir.path());
    let before = items(&table);
    let run = exec_statements(
        &table,
        &[
            "UPDATE shop SET total = 0 WHERE PK = 'u1' AND SK = 'o2'",
            "INSERT INTO shop VALUE {'PK': 'u2', 'SK': 'o1'}",
        ],
        &[],
    );
    assert_eq!(
        run.failed(1),
        "error: transaction canceled, reasons by statement: [None, DuplicateItem]\n\
         statement 1: DuplicateItem: duplicate primary key exists in table\n"
    );
    // Each statement that failed gets a line saying why, the codes alone do not.
    let run = exec_statements(
        &table,
        &[
            "UPDATE shop SET total = total + 'x' WHERE PK = 'u1' AND SK = 'o1'",
            "DELETE FROM shop WHERE PK = 'u1' AND SK = 'o2'",
            "UPDATE shop SET total = 0 WHERE PK = 'u2' AND SK = 'o1' AND total > 100",
        ],
        &[],
    );
    assert_eq!(
        run.failed(1),
        "error: transaction canceled, reasons by statement: [ValidationError, None, \
         ConditionalCheckFailed]\n\
         statement 0: ValidationError: `+` needs two numbers, not an N and an S\n\
         statement 2: ConditionalCheckFailed: the conditional request failed\n"
    );
    let run = exec_statements(
        &table,
        &[
            "UPDATE shop SET total = 0 WHERE PK = 'u1' AND SK = 'o2'",
            "SELECT * FROM shop WHERE PK = 'u2' AND SK = 'o1'",
        ],
        &[],
    );
    assert_eq!(
        run.failed(1),
        "error: a transaction is all reads (SELECT) or all writes (INSERT, UPDATE, DELETE, \
         EXISTS), not both: statement 0 writes and statement 1 reads\n"
    );
    let run = exec_statements(
        &table,
        &[
            "SELECT * FROM shop WHERE PK = 'u1'",
            "SELECT * FROM shop WHERE PK = 'u2'",
        ],
        &["--params", "[]"],
    );
    assert_eq!(
        run.failed(1),
        "error: --params is given 1 times for 2 statements; give it once per statement (`[]` \
         for none), in order, or not at all\n"
    );
    assert_eq!(items(&table), before);
    // The positional statement and `--statement` do not mix.
    let run = exec_statements(&table, &["SELECT * FROM shop"], &["SELECT * FROM shop"]);
    assert!(run.failed(2).contains("cannot be used with"), "{run:?}");
}
