//! No input makes the parser panic or overflow its stack: deep nesting is an error, and random
//! text and random token soups give `Ok` or `Err`.

use proptest::prelude::*;

use super::super::convert::MAX_EXPRESSION_DEPTH;
use super::{failure, parse};
use crate::error::Error;

/// Each opening, repeated, nests one level deeper; the statement is closed or not.
const NESTINGS: &[(&str, &str)] = &[
    ("(", ")"),
    ("[", "]"),
    ("{'a': ", "}"),
    ("<<", ">>"),
    ("NOT ", ""),
    ("- ", ""),
    ("size(", ")"),
    ("a IN [", "]"),
];

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for (open, close) in NESTINGS {
        for depth in [200, 2000] {
            let text = format!(
                "SELECT * FROM t WHERE a = {}1{}",
                open.repeat(depth),
                close.repeat(depth)
            );
            let text: String = text.chars().take(8192).collect();
            let error = failure(&text);
            assert!(
                matches!(error, Error::Parse { .. } | Error::Validation(_)),
                "nesting {open:?} {depth} deep: {error:?}"
            );
        }
    }
}

#[test]
fn nesting_past_sqlparsers_limit_is_a_parse_error_naming_it() {
    let text = format!(
        "SELECT * FROM t WHERE a = {}1{}",
        "(".repeat(500),
        ")".repeat(500)
    );
    let Error::Parse { message, .. } = failure(&text) else {
        panic!("not a parse error");
    };
    assert_eq!(message, "statement nests more than 96 levels deep");
}

#[test]
fn moderate_nesting_parses() {
    let text = format!(
        "SELECT * FROM t WHERE a = {}1{}",
        "[".repeat(40),
        "]".repeat(40)
    );
    assert!(parse(&text).is_ok(), "{text}");
}

#[test]
fn long_chains_within_the_length_limit_are_bounded() {
    // sqlparser builds these left-leaning chains without recursing; the conversion caps them.
    let chain = |operator: &str, count: usize| {
        let terms = vec!["a = 1"; count].join(operator);
        format!("SELECT * FROM t WHERE {terms}")
    };
    // A chain of n terms nests n + 1 levels: n - 1 ANDs, a comparison and its operands.
    let longest = parse(&chain(" AND ", MAX_EXPRESSION_DEPTH - 1)).expect("parses");
    // Printing and comparing the deepest tree allowed fit the stack too.
    let text = longest.to_string();
    assert_eq!(text.matches(" AND ").count(), MAX_EXPRESSION_DEPTH - 2);
    assert_eq!(longest.clone(), longest);
    let Error::Validation(error) = failure(&chain(" AND ", MAX_EXPRESSION_DEPTH)) else {
        panic!("not a validation error");
    };
    assert_eq!(
        error.reason,
        format!("expression nests more than {MAX_EXPRESSION_DEPTH} levels deep")
    );
    let sum = format!(
        "UPDATE t SET a = {} WHERE pk = 1",
        vec!["1"; 4000].join("+")
    );
    assert!(sum.len() <= 8192);
    assert!(matches!(failure(&sum), Error::Validation(_)));
}

#[test]
fn the_worst_inputs_fit_even_a_small_thread_stack() {
    let long_chain = vec!["1"; 2000].join("+");
    let inputs = [
        // A left-leaning chain past the depth limit, dropped unconverted.
        format!(
            "UPDATE t SET a = {} WHERE pk = 1",
            vec!["1"; 4000].join("+")
        ),
        // Postfix chains that sqlparser builds without recursing.
        format!("SELECT * FROM t WHERE a{}", " IS NULL".repeat(900)),
        // IS MISSING tests paths only, so the dialect never copies a deep operand.
        format!("SELECT * FROM t WHERE a{}", " IS MISSING".repeat(700)),
        // A long chain hanging off the deepest level the conversion reaches.
        format!(
            "SELECT * FROM t WHERE {} + ({long_chain}) = 1",
            vec!["a"; 300].join("+")
        ),
        // The same chain inside a statement refused before conversion.
        format!("SELECT DISTINCT a FROM t WHERE a = {long_chain}"),
    ];
    let outcomes = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            inputs.map(|text| match parse(&text) {
                Ok(_) => "ok",
                Err(Error::Parse { .. }) => "parse",
                Err(Error::Validation(_)) => "validation",
                Err(_) => "other",
            })
        })
        .expect("thread starts")
        .join()
        .expect("no overflow");
    assert_eq!(
        outcomes,
        [
            "validation",
            "validation",
            "parse",
            "validation",
            "validation"
        ]
    );
}

/// Pieces of statements, to build soups that get past the tokenizer and deep into the parser.
const TOKENS: &[&str] = &[
    "SELECT",
    "INSERT",
    "INTO",
    "VALUE",
    "VALUES",
    "UPDATE",
    "SET",
    "REMOVE",
    "DELETE",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "MISSING",
    "NULL",
    "BETWEEN",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "RETURNING",
    "ALL",
    "MODIFIED",
    "OLD",
    "NEW",
    "EXPLAIN",
    "JOIN",
    "GROUP",
    "HAVING",
    "DISTINCT",
    "UNION",
    "WITH",
    "AS",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "OVER",
    "true",
    "false",
    "null",
    "begins_with",
    "contains",
    "size",
    "attribute_exists",
    "attribute_type",
    "list_append",
    "if_not_exists",
    "set_add",
    "t",
    "pk",
    "sk",
    "a",
    "b",
    "\"my attr\"",
    "'x'",
    "'it''s'",
    "0",
    "1",
    "-2",
    "3.5",
    "1e3",
    "?",
    "$1",
    ":v",
    "*",
    ",",
    ".",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<<",
    ">>",
    ":",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "/",
    "||",
    "'",
    "\"",
    "--",
    "/*",
    "*/",
    "\n",
    "\t",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_text_parses_or_fails_cleanly(text in "\\PC{0,120}") {
        check(&text);
    }

    #[test]
    fn random_token_soups_parse_or_fail_cleanly(
        tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)
    ) {
        check(&tokens.join(" "));
    }

    #[test]
    fn soups_after_a_statement_start_parse_or_fail_cleanly(
        start in proptest::sample::select(&[
            "SELECT * FROM t WHERE ",
            "UPDATE t SET a = ",
            "INSERT INTO t VALUE {'a': ",
            "DELETE FROM t WHERE pk = 1 ",
            "SELECT a FROM t ORDER BY ",
        ][..]),
        tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..30)
    ) {
        check(&format!("{start}{}", tokens.join(" ")));
    }
}

/// Parsing returns; an error is one of the two kinds a statement can fail with, and a parse
/// error's position lies within the statement (or just past its end).
fn check(text: &str) {
    match parse(text) {
        Ok(statement) => {
            // Whatever parses prints as text that parses again.
            let _ = statement.to_string();
        }
        Err(Error::Parse {
            line,
            column,
            statement,
            ..
        }) => {
            assert_eq!(statement, text);
            let lines: Vec<&str> = text.split('\n').collect();
            let index = usize::try_from(line).expect("small") - 1;
            assert!(index < lines.len(), "line {line} of {text:?}");
            let width = lines[index].chars().count() + 1;
            assert!(
                (1..=u64::try_from(width).expect("small")).contains(&column),
                "column {column} of line {line} in {text:?}"
            );
        }
        Err(Error::Validation(_)) => {}
        Err(other) => panic!("{text:?} failed with {other:?}"),
    }
}
