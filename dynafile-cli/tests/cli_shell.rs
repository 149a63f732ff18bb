//! `dynafile shell` fed through a pipe: statements over several lines, items printed as
//! tables, writes and EXPLAIN, commands, and errors that are printed while the shell goes
//! on.

mod common;

use common::{Run, create, dynafile_with_stdin, items};
use dynafile::{KeyType, item};

fn shell(table: &std::path::Path, input: &str) -> Run {
    dynafile_with_stdin(["shell".as_ref(), table.as_os_str()], input)
}

#[test]
fn statements_span_lines_and_select_prints_a_table() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, Some(KeyType::S));
    let input = "\
INSERT INTO shop VALUE {'PK': 'u1', 'SK': 'o1', 'total': 30};
INSERT INTO shop
  VALUE {'PK': 'u1', 'SK': 'o2', 'note': 'gift', 'lines': ['pen']};

SELECT *
FROM shop
WHERE PK = 'u1';
SELECT * FROM shop WHERE PK = 'nobody';
SELECT * FROM shop WHERE PK = 'u1' LIMIT 1;
";
    let run = shell(&table, input);
    assert_eq!(
        run.ok(),
        "\
+----+----+---------+------+-------+
| PK | SK | lines   | note | total |
+==================================+
| u1 | o1 |         |      | 30    |
|----+----+---------+------+-------|
| u1 | o2 | [\"pen\"] | gift |       |
+----+----+---------+------+-------+
(2 items)
(0 items)
+----+----+-------+
| PK | SK | total |
+=================+
| u1 | o1 | 30    |
+----+----+-------+
(1 item; LIMIT stopped the read after {\"PK\":\"u1\",\"SK\":\"o1\"})
"
    );
}

#[test]
fn returning_and_explain_print_their_results() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, None);
    let input = "\
INSERT INTO shop VALUE {'PK': 'u1', 'n': 1};
UPDATE shop SET n = n + 1 WHERE PK = 'u1' RETURNING MODIFIED NEW *;
EXPLAIN DELETE FROM shop WHERE PK = 'u1' AND n = 2;
";
    assert_eq!(
        shell(&table, input).ok(),
        "\
+---+
| n |
+===+
| 2 |
+---+
{
  \"condition\": \"PK IS MISSING OR (n = 2)\",
  \"key\": \"PK = \\\"u1\\\"\",
  \"kind\": \"delete\",
  \"returning\": null,
  \"table\": \"shop\",
  \"update\": null
}
"
    );
}

#[test]
fn errors_are_printed_and_the_shell_goes_on_then_exits_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, None);
    let input = "\
SELECT * FROM shop WHERE;
.nope
INSERT INTO shop VALUE {'PK': 'u1'};
INSERT INTO shop VALUE {'PK': 'u1'};
SELECT * FROM shop;
";
    let run = shell(&table, input);
    assert_eq!(
        run.failed(1),
        "\
error: syntax error at line 1, column 25: expected an expression, found ;
SELECT * FROM shop WHERE;
                        ^
error: unknown command `.nope`; `.help` lists the commands
error: duplicate primary key exists in table (PK = \"u1\")
"
    );
    assert_eq!(
        run.stdout,
        "\
+----+
| PK |
+====+
| u1 |
+----+
(1 item)
"
    );
}

#[test]
fn help_quit_and_a_last_statement_without_semicolon() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, None);
    let run = shell(&table, ".help\n");
    assert!(
        run.ok()
            .starts_with("Statements (end each with `;` at the end of a line):\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("  .quit   leave the shell"), "{run:?}");

    // Nothing after .quit runs.
    shell(
        &table,
        "INSERT INTO shop VALUE {'PK': 'a'};\n.quit\nINSERT INTO shop VALUE {'PK': 'b'};\n",
    )
    .ok();
    assert_eq!(items(&table), vec![item! { "PK" => "a" }]);

    // At the end of input, a statement without its `;` still runs.
    shell(&table, "DELETE FROM shop\nWHERE PK = 'a'").ok();
    assert_eq!(items(&table), vec![]);
}

#[test]
fn begin_collects_statements_that_commit_runs_as_one_transaction() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, None);
    let input = "\
INSERT INTO shop VALUE {'PK': 'a', 'n': 1};
BEGIN;
UPDATE shop SET n = n + 1 WHERE PK = 'a';
INSERT INTO shop
  VALUE {'PK': 'b', 'n': 5};
COMMIT;
begin transaction;
SELECT n FROM shop WHERE PK = 'a';
SELECT * FROM shop WHERE PK = 'b';
SELECT * FROM shop WHERE PK = 'zed';
commit;
BEGIN;
DELETE FROM shop WHERE PK = 'a';
ROLLBACK;
BEGIN;
COMMIT;
";
    assert_eq!(
        shell(&table, input).ok(),
        "\
(committed: 2 statements)
+----+---+
| PK | n |
+========+
|    | 2 |
|----+---|
| b  | 5 |
+----+---+
(2 items read by 3 statements)
(rolled back: 1 statement dropped, nothing written)
(empty transaction: nothing to commit)
"
    );
    assert_eq!(
        items(&table),
        // Table order: by the hash of the partition key.
        vec![
            item! { "PK" => "b", "n" => 5 },
            item! { "PK" => "a", "n" => 2 }
        ]
    );
}

#[test]
fn an_error_in_a_transaction_leaves_nothing_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = dir.path().join("shop");
    create(&table, KeyType::S, None);
    let input = "\
INSERT INTO shop VALUE {'PK': 'a', 'n': 1};
BEGIN;
INSERT INTO shop VALUE {'PK': 'b', 'n': 2};
UPDATE shop SET n = WHERE PK = 'a';
DELETE FROM shop WHERE PK = 'a';
COMMIT;
BEGIN;
INSERT INTO shop VALUE {'PK': 'c'};
INSERT INTO shop VALUE {'PK': 'a'};
COMMIT;
COMMIT;
BEGIN;
BEGIN;
INSERT INTO shop VALUE {'PK': 'd'};
";
    let run = shell(&table, input);
    assert_eq!(
        run.failed(1),
        "\
error: syntax error at line 1, column 27: expected SET, REMOVE or WHERE, found PK
UPDATE shop SET n = WHERE PK = 'a';
                          ^
error: statement ignored: the transaction failed at an earlier statement; COMMIT; or ROLLBACK; ends it, writing nothing
error: the transaction failed at an earlier statement; nothing was written
error: transaction canceled, reasons by statement: [None, DuplicateItem]
statement 1: DuplicateItem: duplicate primary key exists in table
(nothing was written)
error: no transaction is open; BEGIN; opens one
error: a transaction is already open (0 statements pending); COMMIT; or ROLLBACK; ends it
warning: the open transaction (1 statement) was not committed; nothing of it was written
"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(items(&table), vec![item! { "PK" => "a", "n" => 1 }]);
}
