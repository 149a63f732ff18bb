//! Table-driven tests of the parser (accepted and rejected forms, with positions); the
//! evaluator, updates and projections in `evaluate.rs`; the print-then-parse round trip in
//! `round_trip.rs`.

mod evaluate;
mod round_trip;

use crate::error::Error;
use crate::key::{KeyAttribute, KeySchema, KeyType, SortCondition};
use crate::value::Value;

use super::*;

fn placeholders() -> Placeholders {
    let mut p = Placeholders::default();
    p.name("#n", "name");
    p.name("#dotted", "a.b");
    p.value(":s", "alice");
    p.value(":n", 10);
    p.value(":one", 1);
    p.value(":list", Value::L(vec![Value::from(1)]));
    p.value(":ss", Value::string_set(["a"]));
    p.value(":ns", Value::number_set([1]));
    p
}

fn condition(text: &str) -> Result<Condition> {
    let p = placeholders();
    let mut resolver = Resolver::new(&p);
    parse_condition(ExpressionKind::Filter, text, &mut resolver)
}

fn path(text: &str) -> Path {
    Path(
        text.split('.')
            .flat_map(|part| {
                let mut elements = Vec::new();
                let mut rest = part;
                if let Some(open) = rest.find('[') {
                    elements.push(PathElement::Name(rest[..open].to_owned()));
                    rest = &rest[open..];
                    for index in rest.split('[').skip(1) {
                        elements.push(PathElement::Index(
                            index.trim_end_matches(']').parse().unwrap(),
                        ));
                    }
                } else {
                    elements.push(PathElement::Name(rest.to_owned()));
                }
                elements
            })
            .collect(),
    )
}

fn p(text: &str) -> Operand {
    Operand::Path(path(text))
}

fn v(value: impl Into<Value>) -> Operand {
    Operand::Value(value.into())
}

fn cmp(left: Operand, comparator: Comparator, right: Operand) -> Condition {
    Condition::Compare(left, comparator, right)
}

/// The position and message of a validation error.
fn rejected<T: std::fmt::Debug>(result: Result<T>) -> (Option<usize>, String) {
    match result {
        Err(Error::Validation(error)) => (error.position, error.reason),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn parses_accepted_forms() {
    use Comparator::*;
    let cases: Vec<(&str, Condition)> = vec![
        ("a = :n", cmp(p("a"), Eq, v(10))),
        ("a == 1", cmp(p("a"), Eq, v(1))),
        ("a <> :s", cmp(p("a"), Ne, v("alice"))),
        ("a != 'x'", cmp(p("a"), Ne, v("x"))),
        (
            "a < -1.5",
            cmp(
                p("a"),
                Lt,
                Operand::Value(Value::N("-1.5".parse().unwrap())),
            ),
        ),
        (
            "a <= 2e3",
            cmp(
                p("a"),
                Le,
                Operand::Value(Value::N("2000".parse().unwrap())),
            ),
        ),
        ("a>b", cmp(p("a"), Gt, p("b"))),
        ("a >= true", cmp(p("a"), Ge, v(true))),
        ("a = null", cmp(p("a"), Eq, Operand::Value(Value::Null))),
        ("a.b[2].c = :one", cmp(p("a.b[2].c"), Eq, v(1))),
        ("#n = :s", cmp(p("name"), Eq, v("alice"))),
        // A name placeholder is one name, dots and all.
        (
            "#dotted = :one",
            cmp(
                Operand::Path(Path(vec![PathElement::Name("a.b".into())])),
                Eq,
                v(1),
            ),
        ),
        (
            "x.#n[0] = :one",
            cmp(
                Operand::Path(Path(vec![
                    PathElement::Name("x".into()),
                    PathElement::Name("name".into()),
                    PathElement::Index(0),
                ])),
                Eq,
                v(1),
            ),
        ),
        ("nested.a == 1", cmp(p("nested.a"), Eq, v(1))),
        ("SK == 1", cmp(p("SK"), Eq, v(1))),
        (
            "a BETWEEN :one AND :n",
            Condition::Between(p("a"), v(1), v(10)),
        ),
        ("a in (:one, :n)", Condition::In(p("a"), vec![v(1), v(10)])),
        ("a IN [1, 2]", Condition::In(p("a"), vec![v(1), v(2)])),
        (
            "SK in 'a', 'b'",
            Condition::In(p("SK"), vec![v("a"), v("b")]),
        ),
        (
            "'admin' in roles",
            Condition::Contains(p("roles"), v("admin")),
        ),
        (
            "a = [1, 'x', [true]]",
            cmp(
                p("a"),
                Eq,
                v(Value::L(vec![
                    1.into(),
                    "x".into(),
                    Value::L(vec![true.into()]),
                ])),
            ),
        ),
        (
            "ip in 10.0.0.0/8",
            Condition::InSubnet(
                p("ip"),
                Subnet {
                    address: [10, 0, 0, 0].into(),
                    prefix: 8,
                },
            ),
        ),
        (
            "SK =~ /^a/",
            Condition::Matches(p("SK"), Pattern::new("^a", "").unwrap()),
        ),
        (
            "name =~ /a\\/b/i",
            Condition::Matches(p("name"), Pattern::new("a/b", "i").unwrap()),
        ),
        ("attribute_exists(a)", Condition::Exists(path("a"))),
        (
            "attribute_not_exists(a.b)",
            Condition::NotExists(path("a.b")),
        ),
        (
            "attribute_type(a, 'SS')",
            Condition::AttributeType(path("a"), v("SS")),
        ),
        (
            "begins_with(a, :s)",
            Condition::BeginsWith(p("a"), v("alice")),
        ),
        ("contains(a, :one)", Condition::Contains(p("a"), v(1))),
        ("size(a) > :one", cmp(Operand::Size(path("a")), Gt, v(1))),
        (
            "a = :one AND b = :one OR c = :one",
            Condition::Or(
                Box::new(Condition::And(
                    Box::new(cmp(p("a"), Eq, v(1))),
                    Box::new(cmp(p("b"), Eq, v(1))),
                )),
                Box::new(cmp(p("c"), Eq, v(1))),
            ),
        ),
        (
            "a = :one or b = :one and c = :one",
            Condition::Or(
                Box::new(cmp(p("a"), Eq, v(1))),
                Box::new(Condition::And(
                    Box::new(cmp(p("b"), Eq, v(1))),
                    Box::new(cmp(p("c"), Eq, v(1))),
                )),
            ),
        ),
        (
            "NOT a = :one AND b = :one",
            Condition::And(
                Box::new(Condition::Not(Box::new(cmp(p("a"), Eq, v(1))))),
                Box::new(cmp(p("b"), Eq, v(1))),
            ),
        ),
        (
            "not (a = :one and b = :one)",
            Condition::Not(Box::new(Condition::And(
                Box::new(cmp(p("a"), Eq, v(1))),
                Box::new(cmp(p("b"), Eq, v(1))),
            ))),
        ),
        ("((a = 1))", cmp(p("a"), Eq, v(1))),
    ];
    for (text, expected) in cases {
        match condition(text) {
            Ok(parsed) => assert_eq!(parsed, expected, "{text}"),
            Err(e) => panic!("{text}: {e}"),
        }
    }
}

#[test]
fn rejects_malformed_forms_at_their_position() {
    let cases: Vec<(&str, usize, &str)> = vec![
        ("", 0, "expected an operand"),
        ("==", 0, "expected an operand"),
        ("== 1", 0, "expected an operand"),
        ("age <", 5, "expected an operand"),
        ("age >= 18 and", 13, "expected an operand"),
        ("(age >= 18", 10, "expected `)` closing the `(`"),
        (
            "age >= 18)",
            9,
            "unexpected `)` after the end of the condition",
        ),
        ("age >= 18 garbage", 10, "unexpected `garbage`"),
        ("age >= 18.5.1", 7, "not an IPv4 address"),
        ("age = 20 && t", 9, "unexpected character `&`"),
        ("x == 'a'b", 8, "unexpected `b`"),
        (
            "a = :missing",
            4,
            "the value placeholder `:missing` is not defined",
        ),
        (
            "#missing = :one",
            0,
            "the name placeholder `#missing` is not defined",
        ),
        ("foo(a)", 0, "unknown function `foo`"),
        ("Size(a) > 1", 0, "unknown function `Size`"),
        ("begins_with(a)", 0, "takes 2 arguments, not 1"),
        ("attribute_exists(a, b)", 0, "takes 1 argument, not 2"),
        ("attribute_exists(:s)", 17, "must be an attribute path"),
        ("size(:s) > 1", 5, "must be an attribute path"),
        (
            "attribute_type(a, 'X')",
            18,
            "`attribute_type` needs a type",
        ),
        ("begins_with(a, :n)", 15, "needs a string or binary prefix"),
        (
            "a BETWEEN :n AND :one",
            10,
            "lower bound at most its upper bound",
        ),
        ("a BETWEEN 1 2", 12, "expected `AND`"),
        ("name =~ /[/", 8, "bad regular expression"),
        ("name =~ /abc", 8, "not closed"),
        ("name =~ abc", 8, "expected a regular expression"),
        ("name =~ /a/x", 8, "unknown regular expression flag"),
        ("ip in 10.0.0.0/33", 6, "prefix length must be 0 to 32"),
        ("ip in 10.0.0.0", 6, "needs a `/`"),
        ("a = 'open", 4, "the string is not closed"),
        ("a", 1, "expected a comparison"),
        ("a[x] = 1", 2, "expected a list index"),
        ("1abc == 1", 0, "neither a number nor a name"),
        ("notx", 4, "expected a comparison"),
    ];
    for (text, position, needle) in cases {
        let (at, reason) = rejected(condition(text));
        assert_eq!(at, Some(position), "{text}: {reason}");
        assert!(reason.contains(needle), "{text}: {reason}");
        assert!(
            reason.contains(&format!("{text:?}")),
            "the message quotes the expression: {reason}"
        );
    }
}

#[test]
fn in_takes_at_most_100_operands() {
    let list = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    assert!(condition(&format!("a IN ({})", list(100))).is_ok());
    let text = format!("a IN ({})", list(101));
    let (at, reason) = rejected(condition(&text));
    assert_eq!(at, text.rfind("100"));
    assert!(reason.contains("at most 100 operands"), "{reason}");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("{}a = 1{}", "(".repeat(1000), ")".repeat(1000));
    let (at, reason) = rejected(condition(&text));
    assert!(
        reason.contains("more than 4096") || reason.contains("nested more than"),
        "{reason}"
    );
    assert!(at.is_some());
    let text = format!("{}a = 1{}", "(".repeat(100), ")".repeat(100));
    assert!(
        rejected(condition(&text))
            .1
            .contains("nested more than 64 levels")
    );
}

#[test]
fn unused_placeholders_are_rejected() {
    let mut p = Placeholders::default();
    p.value(":used", 1);
    p.value(":spare", 2);
    let mut resolver = Resolver::new(&p);
    parse_condition(ExpressionKind::Filter, "a = :used", &mut resolver).unwrap();
    let (_, reason) = rejected(resolver.finish());
    assert_eq!(
        reason,
        "the value placeholder `:spare` is not used in any expression of the request"
    );
}

fn schema() -> KeySchema {
    KeySchema {
        partition_key: KeyAttribute::new("PK", KeyType::S),
        sort_key: Some(KeyAttribute::new("SK", KeyType::S)),
    }
}

fn key_condition(text: &str) -> Result<(Value, Option<SortCondition>)> {
    let p = placeholders();
    let mut resolver = Resolver::new(&p);
    parse_key_condition(text, &schema(), &mut resolver)
}

#[test]
fn key_conditions() {
    let accepted: Vec<(&str, Value, Option<SortCondition>)> = vec![
        ("PK = :s", "alice".into(), None),
        (
            "PK = :s AND SK = 'x'",
            "alice".into(),
            Some(SortCondition::Eq("x".into())),
        ),
        (
            "SK < 'x' AND PK = :s",
            "alice".into(),
            Some(SortCondition::Lt("x".into())),
        ),
        (
            "PK = :s AND SK BETWEEN 'a' AND 'b'",
            "alice".into(),
            Some(SortCondition::Between("a".into(), "b".into())),
        ),
        (
            "PK = :s AND begins_with(SK, 'ord')",
            "alice".into(),
            Some(SortCondition::BeginsWith("ord".into())),
        ),
        (
            "(PK = :s) and (SK >= 'a')",
            "alice".into(),
            Some(SortCondition::Ge("a".into())),
        ),
    ];
    for (text, partition, sort) in accepted {
        assert_eq!(key_condition(text).unwrap(), (partition, sort), "{text}");
    }
    let rejected_cases: Vec<(&str, Option<usize>, &str)> = vec![
        ("PK = :s OR SK = 'a'", Some(8), "cannot use OR"),
        ("NOT PK = :s", Some(0), "cannot use NOT"),
        (
            "PK = :s AND age = :n",
            Some(12),
            "`age` is not a key attribute",
        ),
        ("PK = :s AND SK <> 'a'", Some(15), "cannot use `<>`"),
        ("PK < :s", Some(0), "takes only `=`"),
        ("PK = :s AND SK IN ('a')", Some(15), "cannot use IN"),
        (
            "PK = :s AND contains(SK, 'a')",
            Some(12),
            "cannot use `contains`",
        ),
        ("PK = SK", Some(5), "compares with a value"),
        ("SK = 'a'", None, "needs `PK = value`"),
        ("PK = :s AND PK = :s", None, "more than one condition"),
        (
            "PK = :s AND SK > 'a' AND SK < 'b'",
            None,
            "more than one condition",
        ),
    ];
    for (text, position, needle) in rejected_cases {
        let (at, reason) = rejected(key_condition(text));
        assert_eq!(at, position, "{text}: {reason}");
        assert!(reason.contains(needle), "{text}: {reason}");
    }
}
