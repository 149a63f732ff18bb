//! Statements that fail, each with the exact error kind, position and message.

use super::{failure, parse};
use crate::error::Error;

/// What a statement fails with.
enum Expected {
    /// `Error::Parse` at this line and column, its message containing the text.
    Parse(u64, u64, &'static str),
    /// `Error::Validation` whose message is exactly the text.
    Validation(&'static str),
}

use Expected::{Parse, Validation};

const REJECTED: &[(&str, Expected)] = &[
    // Syntax errors, with their positions.
    ("EXISTS SELECT * FROM t", Parse(1, 8, "expected (")),
    (
        "EXISTS(SELECT * FROM t WHERE pk = 1",
        Parse(1, 36, "expected )"),
    ),
    (
        "EXISTS(SELECT * FROM t) x",
        Parse(1, 25, "expected the end of the statement"),
    ),
    (
        "",
        Parse(
            1,
            1,
            "expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found the end of the statement",
        ),
    ),
    (
        ";",
        Parse(
            1,
            1,
            "expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found ;",
        ),
    ),
    (
        "CREATE TABLE t (a INT)",
        Parse(
            1,
            1,
            "expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found CREATE",
        ),
    ),
    (
        "SELECT * FROM t WHERE",
        Parse(
            1,
            22,
            "expected an expression, found the end of the statement",
        ),
    ),
    (
        "SELECT * FROM t WHERE a = 1 AND\n  b = ",
        Parse(
            2,
            7,
            "expected an expression, found the end of the statement",
        ),
    ),
    (
        "SELECT * FROM t WHERE a = = 1",
        Parse(1, 27, "expected an expression, found ="),
    ),
    (
        "SELECT * FROM t; SELECT * FROM u",
        Parse(1, 18, "expected the end of the statement, found SELECT"),
    ),
    (
        "SELECT * FROM t WHERE a = 'open",
        Parse(1, 27, "unterminated string literal"),
    ),
    (
        "SELECT * FROM t WHERE `a` = 1",
        Parse(1, 23, "expected an expression, found `"),
    ),
    (
        "SELECT * FROM t WHERE size(a) IS MISSING",
        Parse(
            1,
            31,
            "expected an attribute path before IS [NOT] MISSING, found size(a)",
        ),
    ),
    (
        "SELECT * FROM t WHERE a IS MISSING IS MISSING",
        Parse(1, 36, "expected an attribute path before IS [NOT] MISSING"),
    ),
    (
        "SELECT * FROM t WHERE a IN [1, 2",
        Parse(1, 33, "expected ], found the end of the statement"),
    ),
    (
        "SELECT * FROM t WHERE a = <<1, 2",
        Parse(1, 33, "expected >>, found the end of the statement"),
    ),
    (
        "SELECT * FROM t WHERE a = {'k' 1}",
        Parse(1, 32, "expected :, found 1"),
    ),
    (
        "INSERT INTO t VALUES ('a')",
        Parse(
            1,
            15,
            "expected VALUE (PartiQL inserts one item: VALUE {..}), found VALUES",
        ),
    ),
    (
        "INSERT INTO t",
        Parse(1, 14, "expected VALUE, found the end of the statement"),
    ),
    (
        "INSERT t VALUE {'a': 1}",
        Parse(1, 8, "expected INTO, found t"),
    ),
    (
        "INSERT INTO t VALUE {'a': 1} {'b': 2}",
        Parse(1, 30, "expected the end of the statement, found {"),
    ),
    (
        "UPDATE t WHERE pk = 1",
        Parse(1, 10, "expected SET or REMOVE, found WHERE"),
    ),
    (
        "UPDATE t SET a = 1",
        Parse(
            1,
            19,
            "expected SET, REMOVE or WHERE, found the end of the statement",
        ),
    ),
    (
        "UPDATE t SET a WHERE pk = 1",
        Parse(1, 16, "expected =, found WHERE"),
    ),
    (
        "UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL",
        Parse(1, 46, "expected OLD or NEW, found the end of the statement"),
    ),
    (
        "UPDATE t SET a = 1 WHERE pk = 1 RETURNING EVERYTHING",
        Parse(1, 43, "expected ALL or MODIFIED, found EVERYTHING"),
    ),
    (
        "UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL NEW",
        Parse(1, 50, "expected *, found the end of the statement"),
    ),
    (
        "DELETE t WHERE pk = 1",
        Parse(1, 8, "expected FROM, found t"),
    ),
    (
        "DELETE FROM t pk = 1",
        Parse(1, 15, "expected WHERE, found pk"),
    ),
    (
        "\tSELECT * FROM t WHERE a = = 1",
        Parse(1, 28, "expected an expression, found ="),
    ),
    // Parsed, but not something DynamoDB's PartiQL does.
    (
        "SELECT DISTINCT a FROM t",
        Validation("PartiQL does not support DISTINCT"),
    ),
    (
        "SELECT * FROM a JOIN b ON a.x = b.x",
        Validation("PartiQL does not support joins"),
    ),
    (
        "SELECT * FROM a, b",
        Validation("PartiQL does not support reading several tables (FROM a, b)"),
    ),
    (
        "SELECT * FORM t",
        Validation("SELECT needs a FROM clause naming the table"),
    ),
    (
        "SELECT a FROM t GROUP BY a",
        Validation("PartiQL does not support GROUP BY"),
    ),
    (
        "SELECT a FROM t HAVING a > 1",
        Validation("PartiQL does not support HAVING"),
    ),
    (
        "SELECT * FROM t WHERE a IN (SELECT b FROM u)",
        Validation("PartiQL does not support IN with a subquery, UNNEST or a table"),
    ),
    (
        "SELECT * FROM t WHERE EXISTS (SELECT * FROM u)",
        Validation("PartiQL does not support subqueries"),
    ),
    (
        "SELECT * FROM (SELECT * FROM t)",
        Validation("PartiQL does not support subqueries"),
    ),
    (
        "SELECT * FROM t UNION SELECT * FROM u",
        Validation("PartiQL does not support UNION"),
    ),
    (
        "WITH x AS (SELECT 1) SELECT * FROM x",
        Validation("PartiQL does not support WITH (common table expressions)"),
    ),
    (
        "SELECT a AS b FROM t",
        Validation("PartiQL does not support aliases (AS) in the projection"),
    ),
    (
        "SELECT * FROM t AS u",
        Validation("PartiQL does not support table aliases"),
    ),
    (
        "SELECT row_number() OVER () FROM t",
        Validation("PartiQL does not support window functions (OVER)"),
    ),
    (
        "SELECT 1 FROM t",
        Validation("a projected value must be an attribute path, not `1`"),
    ),
    (
        "SELECT a, * FROM t",
        Validation("`*` must be the whole projection, not one of its items"),
    ),
    (
        "SELECT * FROM a.b.c",
        Validation("FROM takes a table or \"table\".\"index\", not a longer name"),
    ),
    (
        "SELECT * FROM t LIMIT 'x'",
        Validation("LIMIT takes a non-negative whole number, not `'x'`"),
    ),
    (
        "SELECT * FROM t LIMIT 1.5",
        Validation("LIMIT takes a non-negative whole number, not 1.5"),
    ),
    (
        "SELECT * FROM t LIMIT -1",
        Validation("LIMIT takes a non-negative whole number, not -1"),
    ),
    (
        "SELECT * FROM t LIMIT ?",
        Validation("LIMIT takes a non-negative whole number, not `?0`"),
    ),
    (
        "SELECT * FROM t LIMIT 1 OFFSET 2",
        Validation("PartiQL does not support OFFSET"),
    ),
    (
        "SELECT * FROM t ORDER BY a, b",
        Validation("PartiQL does not support ORDER BY on more than one key"),
    ),
    (
        "SELECT * FROM t ORDER BY a.b",
        Validation("ORDER BY takes a key attribute's name, not `a.b`"),
    ),
    (
        "SELECT * FROM t WHERE foo(a)",
        Validation("unknown function `foo`"),
    ),
    (
        "SELECT * FROM t WHERE count(a) > 1",
        Validation("unknown function `count`"),
    ),
    (
        "SELECT * FROM t WHERE a LIKE 'x%'",
        Validation("PartiQL does not support LIKE (use begins_with or contains)"),
    ),
    (
        "SELECT * FROM t WHERE a = $1",
        Validation("PartiQL does not support the placeholder `$1` (parameters are written `?`)"),
    ),
    (
        "SELECT * FROM t WHERE a = :v",
        Validation("PartiQL does not support the placeholder `:v` (parameters are written `?`)"),
    ),
    (
        "SELECT * FROM t WHERE a = X'00'",
        Validation(
            "PartiQL does not support binary literals (pass binary values as `?` parameters)",
        ),
    ),
    (
        "SELECT * FROM t WHERE a * 2 = 4",
        Validation("PartiQL does not support the operator `*`"),
    ),
    (
        "SELECT * FROM t WHERE a[-1] = 1",
        Validation("list index -1 is not a non-negative whole number"),
    ),
    (
        "SELECT * FROM t WHERE a[1.5] = 1",
        Validation("list index 1.5 is not a non-negative whole number"),
    ),
    (
        "SELECT * FROM t WHERE a[?] = 1",
        Validation("a path subscript is a list index or a quoted key, not `?0`"),
    ),
    (
        "SELECT * FROM t WHERE begins_with(a)",
        Validation("function begins_with takes 2 arguments, not 1"),
    ),
    (
        "SELECT * FROM t WHERE size(a, b) > 1",
        Validation("function size takes 1 argument, not 2"),
    ),
    (
        "SELECT * FROM t WHERE begins_with('x', a)",
        Validation("the first argument of begins_with must be an attribute path, not `'x'`"),
    ),
    (
        "SELECT * FROM t WHERE a = -x",
        Validation("a sign `-` may only stand before a number, not before `x`"),
    ),
    (
        "SELECT * FROM t WHERE (a, b) = (1, 2)",
        Validation("PartiQL does not support tuples `(a, b)`"),
    ),
    (
        "SELECT * FROM t WHERE a = CASE WHEN b THEN 1 END",
        Validation("PartiQL does not support CASE"),
    ),
    (
        "SELECT * FROM t WHERE a = ARRAY[1]",
        Validation("PartiQL does not support ARRAY[..] (write a list as [..])"),
    ),
    (
        "SELECT * FROM t WHERE a IS TRUE",
        Validation("PartiQL does not support the expression `a IS TRUE`"),
    ),
    (
        "SELECT * FROM t WHERE a IN []",
        Validation("IN needs at least one candidate"),
    ),
    (
        "SELECT * FROM t WHERE a = 123456789012345678901234567890123456789",
        Validation(
            "number literal 123456789012345678901234567890123456789: number needs more than 38 significant digits",
        ),
    ),
    (
        "INSERT INTO t VALUE 'a'",
        Validation(
            "INSERT takes an item as a map literal {'name': value, ..} or a `?` parameter, not `'a'`",
        ),
    ),
    (
        "INSERT INTO t VALUE {'a': 1, 'a': 2}",
        Validation("map literal has the key 'a' twice"),
    ),
    (
        "INSERT INTO t VALUE {a: 1}",
        Validation("map keys are single-quoted strings, as in {'a': ..}, not `a`"),
    ),
    (
        "INSERT INTO t VALUE {'a': <<1, 'x'>>}",
        Validation("a set literal holds only strings or only numbers, not both"),
    ),
    (
        "INSERT INTO t VALUE {'a': <<1, 1.0>>}",
        Validation("set literal holds 1 twice"),
    ),
    (
        "INSERT INTO t VALUE {'a': <<?>>}",
        Validation("set literal elements are string or number literals, not `?0`"),
    ),
    (
        "INSERT INTO a.b VALUE {'a': 1}",
        Validation("`a.b` names an index or a schema; this statement takes a table name"),
    ),
    (
        "UPDATE t SET 1 = 2 WHERE pk = 1",
        Validation("a SET target must be an attribute path, not `1`"),
    ),
    (
        "UPDATE t REMOVE 'x' WHERE pk = 1",
        Validation("a REMOVE target must be an attribute path, not `'x'`"),
    ),
    (
        "DELETE FROM t",
        Validation("DELETE needs a WHERE clause giving the item's key"),
    ),
    (
        "DELETE FROM t WHERE pk = 1 RETURNING ALL NEW *",
        Validation("DELETE can only return ALL OLD *, not ALL NEW *"),
    ),
    (
        "EXPLAIN EXPLAIN SELECT * FROM t",
        Validation("PartiQL does not support EXPLAIN of an EXPLAIN"),
    ),
];

#[test]
fn every_rejected_statement_fails_with_its_exact_error() {
    for (text, expected) in REJECTED {
        let error = failure(text);
        match (expected, &error) {
            (
                Parse(line, column, fragment),
                Error::Parse {
                    line: found_line,
                    column: found_column,
                    message,
                    statement,
                },
            ) => {
                assert_eq!(
                    (found_line, found_column),
                    (line, column),
                    "position of {text:?}: {error}"
                );
                assert!(
                    message.contains(fragment),
                    "message of {text:?}: {message:?} lacks {fragment:?}"
                );
                assert_eq!(statement, text);
            }
            (Validation(reason), Error::Validation(found)) => {
                assert_eq!(found.reason, *reason, "statement: {text:?}");
                assert_eq!(found.attribute, None);
            }
            _ => panic!("{text:?} failed with the wrong kind of error: {error:?}"),
        }
    }
}

#[test]
fn a_parse_error_reads_well_and_points_at_its_column() {
    let error = failure("SELECT * FROM t\nWHERE a = = 1");
    assert_eq!(
        error.to_string(),
        "syntax error at line 2, column 11: expected an expression, found ="
    );
    assert_eq!(
        error.excerpt().as_deref(),
        Some("WHERE a = = 1\n          ^")
    );
}

#[test]
fn the_caret_keeps_tabs_and_can_point_past_the_end() {
    let error = failure("\tSELECT * FROM t WHERE");
    assert_eq!(
        error.excerpt().as_deref(),
        Some("\tSELECT * FROM t WHERE\n\t                     ^")
    );
    assert!(matches!(
        error,
        Error::Parse {
            line: 1,
            column: 23,
            ..
        }
    ));
}

#[test]
fn only_parse_errors_have_an_excerpt() {
    assert_eq!(failure("SELECT DISTINCT a FROM t").excerpt(), None);
}

#[test]
fn a_statement_longer_than_dynamodb_allows_is_refused() {
    let text = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(8192));
    let Error::Validation(error) = failure(&text) else {
        panic!("not a validation error");
    };
    assert_eq!(
        error.reason,
        "statement is 8220 characters long; the limit is 8192"
    );
    // At the limit exactly, and counted in characters rather than bytes.
    let longest = format!("SELECT * FROM t WHERE a = '{}'", "é".repeat(8192 - 28));
    assert_eq!(longest.chars().count(), 8192);
    assert!(parse(&longest).is_ok());
}
