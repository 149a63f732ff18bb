//! Table-driven tests of the parser (accepted and rejected forms, with positions), of the
//! evaluator over typed values, of updates and projections, and the print-then-parse round
//! trip.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::error::Error;
use crate::item::Item;
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

// ---- evaluation ----

fn typed_item() -> Item {
    crate::item! {
        "s" => "alice",
        "n" => 20,
        "b" => vec![1u8, 2, 3],
        "t" => true,
        "nul" => Value::Null,
        "l" => Value::L(vec!["a".into(), 2.into(), Value::L(vec![])]),
        "m" => Value::M([("k".to_owned(), Value::from("v")), ("n".to_owned(), Value::from(1))].into()),
        "ss" => Value::string_set(["a", "b"]),
        "ns" => Value::number_set([1, 2]),
        "bs" => Value::binary_set([vec![1u8], vec![2u8]]),
        "ip" => "10.1.2.3",
        "ips" => Value::L(vec!["192.168.0.1".into(), "10.0.0.1".into()]),
        "uni" => "日本",
    }
}

#[test]
fn evaluates_every_operator_over_typed_values() {
    let mut p = Placeholders::default();
    p.value(":b12", vec![1u8, 2]);
    p.value(":b9", vec![9u8]);
    p.value(":b1", vec![1u8]);
    p.value(":ss", Value::string_set(["b", "a"]));
    p.value(":ns", Value::number_set([2, 1]));
    p.value(":bs", Value::binary_set([vec![2u8], vec![1u8]]));
    p.value(
        ":m",
        Value::M(
            [
                ("n".to_owned(), Value::from(1)),
                ("k".to_owned(), Value::from("v")),
            ]
            .into(),
        ),
    );
    let item = typed_item();
    let cases: Vec<(&str, bool)> = vec![
        // Numbers compare numerically, strings and binaries bytewise.
        ("n = 20", true),
        ("n = 20.0", true),
        ("n <> 20", false),
        ("n < 100", true),
        ("n <= 20", true),
        ("n > 3", true),
        ("n >= 21", false),
        ("s = 'alice'", true),
        ("s < 'bob'", true),
        ("s > 'Bob'", true),
        ("s >= 'alice'", true),
        ("b > :b12", true),
        ("b < :b9", true),
        ("b = :b12", false),
        // Across types: false, and `<>` true.
        ("n = '20'", false),
        ("n < '30'", false),
        ("s > 1", false),
        ("n <> '20'", true),
        ("t < true", false),
        // Types without order only compare for equality.
        ("t = true", true),
        ("t <> false", true),
        ("nul = null", true),
        ("l < [1]", false),
        ("l = ['a', 2, []]", true),
        ("ss = :ss", true),
        ("ns = :ns", true),
        ("bs = :bs", true),
        ("m = :m", true),
        // A missing attribute: comparisons false, `<>` true.
        ("missing = 1", false),
        ("missing < 1", false),
        ("missing >= 1", false),
        ("missing <> 1", true),
        ("m.missing <> 1", true),
        ("missing.deep = 1", false),
        ("l[10] = 1", false),
        ("s[0] = 1", false),
        ("missing = missing", false),
        // Nested paths.
        ("m.k = 'v'", true),
        ("m.n = 1", true),
        ("l[0] = 'a'", true),
        ("l[1] = 2", true),
        ("l[2] = []", true),
        // BETWEEN, IN.
        ("n BETWEEN 10 AND 20", true),
        ("n BETWEEN 21 AND 30", false),
        ("s BETWEEN 'a' AND 'b'", true),
        ("n BETWEEN 'a' AND 'b'", false),
        ("missing BETWEEN 1 AND 2", false),
        ("n IN (1, 20)", true),
        ("n IN (1, 2)", false),
        ("s in 'bob', 'alice'", true),
        ("missing IN (1)", false),
        ("n in [20]", true),
        // Logic.
        ("n = 20 AND s = 'alice'", true),
        ("n = 1 OR s = 'alice'", true),
        ("NOT n = 20", false),
        ("NOT missing = 1", true),
        // Functions.
        ("attribute_exists(s)", true),
        ("attribute_exists(nul)", true),
        ("attribute_exists(m.k)", true),
        ("attribute_exists(m.x)", false),
        ("attribute_not_exists(missing)", true),
        ("attribute_not_exists(l[0])", false),
        ("attribute_type(s, 'S')", true),
        ("attribute_type(n, 'N')", true),
        ("attribute_type(b, 'B')", true),
        ("attribute_type(t, 'BOOL')", true),
        ("attribute_type(nul, 'NULL')", true),
        ("attribute_type(l, 'L')", true),
        ("attribute_type(m, 'M')", true),
        ("attribute_type(ss, 'SS')", true),
        ("attribute_type(ns, 'NS')", true),
        ("attribute_type(bs, 'BS')", true),
        ("attribute_type(s, 'N')", false),
        ("attribute_type(missing, 'S')", false),
        ("begins_with(s, 'ali')", true),
        ("begins_with(s, 'bob')", false),
        ("begins_with(b, :b12)", true),
        ("begins_with(b, :b9)", false),
        ("begins_with(n, '2')", false),
        ("begins_with(missing, 'a')", false),
        ("contains(s, 'lic')", true),
        ("contains(s, 'x')", false),
        ("contains(ss, 'a')", true),
        ("contains(ss, 'c')", false),
        ("contains(ns, 2)", true),
        ("contains(ns, '2')", false),
        ("contains(bs, :b1)", true),
        ("contains(l, 'a')", true),
        ("contains(l, 2)", true),
        ("contains(l, [])", true),
        ("contains(l, 'b')", false),
        ("contains(n, 2)", false),
        ("contains(m, 'k')", false),
        ("contains(missing, 'a')", false),
        ("'a' in l", true),
        ("'lic' in s", true),
        ("'z' in ss", false),
        // size: strings in UTF-8 bytes, binaries in bytes, sets, lists and maps in elements.
        ("size(s) = 5", true),
        ("size(uni) = 6", true),
        ("size(b) = 3", true),
        ("size(ss) = 2", true),
        ("size(ns) = 2", true),
        ("size(bs) = 2", true),
        ("size(l) = 3", true),
        ("size(m) = 2", true),
        ("size(n) = 2", false),
        ("size(t) >= 0", false),
        ("size(missing) = 0", false),
        ("size(missing) <> 0", true),
        // Extensions: regular expressions and subnets, on strings and lists of strings.
        ("s =~ /^a/", true),
        ("s =~ /^A/", false),
        ("s =~ /^A/i", true),
        ("s =~ /LI/i", true),
        ("s =~ /^al.ce$/", true),
        ("l =~ /^a$/", true),
        ("l =~ /^z/", false),
        ("n =~ /2/", false),
        ("missing =~ /.*/", false),
        ("ip in 10.0.0.0/8", true),
        ("ip in 10.1.2.0/24", true),
        ("ip in 192.168.0.0/16", false),
        ("ips in 192.168.0.0/16", true),
        ("s in 0.0.0.0/0", false),
        ("ip in 0.0.0.0/0", true),
    ];
    for (text, expected) in cases {
        let mut resolver = Resolver::new(&p);
        let condition = parse_condition(ExpressionKind::Filter, text, &mut resolver)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(evaluate(&condition, &item), expected, "{text}");
    }
}

#[test]
fn regex_flags_follow_the_original() {
    let item = crate::item! { "x" => "a\nb" };
    for (text, expected) in [
        ("x =~ /^a.b$/s", true),
        ("x =~ /^b/m", true),
        ("x =~ /^a.b$/", false),
        ("x =~ /^b/", false),
    ] {
        assert_eq!(
            evaluate(&condition(text).unwrap(), &item),
            expected,
            "{text}"
        );
    }
}

// ---- updates and projections ----

/// Placeholder values of an update case.
type Values = Vec<(&'static str, Value)>;
/// Attributes expected after an update (`None`: absent).
type Expected = Vec<(&'static str, Option<Value>)>;

fn update(text: &str, values: &[(&str, Value)]) -> Result<Update> {
    let mut p = Placeholders::default();
    for (name, value) in values {
        p.value(name, value.clone());
    }
    let mut resolver = Resolver::new(&p);
    parse_update(text, &mut resolver)
}

#[test]
fn rejects_malformed_updates_at_their_position() {
    let cases: Vec<(&str, usize, &str)> = vec![
        ("", 0, "expected SET, REMOVE, ADD or DELETE"),
        ("SET", 3, "expected an attribute path"),
        ("SET a", 5, "expected `=`"),
        (
            "SET a = 1 SET b = 2",
            10,
            "the SET clause may appear only once",
        ),
        ("SET a = 1, a = 2", 11, "the paths `a` and `a` overlap"),
        (
            "SET a = 1 REMOVE a.b",
            17,
            "the paths `a` and `a.b` overlap",
        ),
        ("REMOVE l[0], l[0]", 13, "overlap"),
        ("SET :v = 1", 4, "expected an attribute path"),
        ("ADD a 'x'", 6, "ADD needs a number or a set, not a S"),
        ("DELETE a 1", 9, "DELETE needs a set, not a N"),
        ("ADD a b", 6, "expected an operand"),
        ("SET a = size(b)", 8, "`size` is not allowed in an update"),
        ("SET a = foo(b)", 8, "unknown function `foo`"),
        (
            "SET a = if_not_exists(1, 2)",
            22,
            "must be an attribute path",
        ),
        ("SET a = list_append(b)", 21, "expected `,`"),
        ("SET a = if_not_exists(a, 1, 2)", 26, "takes 2 arguments"),
        (
            "SET a = 1 garbage",
            10,
            "expected SET, REMOVE, ADD or DELETE",
        ),
    ];
    for (text, position, needle) in cases {
        let (at, reason) = rejected(update(text, &[]));
        assert_eq!(at, Some(position), "{text}: {reason}");
        assert!(reason.contains(needle), "{text}: {reason}");
    }
}

#[test]
fn applies_every_update_action() {
    let old = crate::item! {
        "PK" => "k",
        "n" => 5,
        "s" => "x",
        "l" => Value::L(vec![1.into(), 2.into(), 3.into()]),
        "m" => Value::M([("a".to_owned(), Value::from(1))].into()),
        "ss" => Value::string_set(["a", "b"]),
        "ns" => Value::number_set([1]),
    };
    let num = |t: &str| Value::N(t.parse().unwrap());
    let cases: Vec<(&str, Values, Expected)> = vec![
        (
            "SET s = :v",
            vec![(":v", "y".into())],
            vec![("s", Some("y".into()))],
        ),
        (
            "SET n = n + :d",
            vec![(":d", num("0.1"))],
            vec![("n", Some(num("5.1")))],
        ),
        (
            "SET n = n - :d",
            vec![(":d", 7.into())],
            vec![("n", Some(num("-2")))],
        ),
        (
            "SET new = n + n",
            vec![],
            vec![("new", Some(10.into())), ("n", Some(5.into()))],
        ),
        (
            "SET s = n, n = s",
            vec![],
            vec![("s", Some(5.into())), ("n", Some("x".into()))],
        ),
        (
            "SET l = list_append(l, :l)",
            vec![(":l", Value::L(vec![4.into()]))],
            vec![(
                "l",
                Some(Value::L(vec![1.into(), 2.into(), 3.into(), 4.into()])),
            )],
        ),
        (
            "SET l = list_append(:l, l)",
            vec![(":l", Value::L(vec![0.into()]))],
            vec![(
                "l",
                Some(Value::L(vec![0.into(), 1.into(), 2.into(), 3.into()])),
            )],
        ),
        (
            "SET c = if_not_exists(c, :z) + :one",
            vec![(":z", 0.into()), (":one", 1.into())],
            vec![("c", Some(1.into()))],
        ),
        (
            "SET n = if_not_exists(n, :z)",
            vec![(":z", 0.into())],
            vec![("n", Some(5.into()))],
        ),
        (
            "SET l[1] = :v",
            vec![(":v", "two".into())],
            vec![("l", Some(Value::L(vec![1.into(), "two".into(), 3.into()])))],
        ),
        (
            "SET l[10] = :v",
            vec![(":v", 4.into())],
            vec![(
                "l",
                Some(Value::L(vec![1.into(), 2.into(), 3.into(), 4.into()])),
            )],
        ),
        (
            "SET m.b = :v",
            vec![(":v", 2.into())],
            vec![(
                "m",
                Some(Value::M(
                    [
                        ("a".to_owned(), Value::from(1)),
                        ("b".to_owned(), Value::from(2)),
                    ]
                    .into(),
                )),
            )],
        ),
        (
            "REMOVE s, m.a",
            vec![],
            vec![("s", None), ("m", Some(Value::M(Default::default())))],
        ),
        (
            "REMOVE l[0], l[2]",
            vec![],
            vec![("l", Some(Value::L(vec![2.into()])))],
        ),
        (
            "REMOVE missing, l[9]",
            vec![],
            vec![("l", Some(Value::L(vec![1.into(), 2.into(), 3.into()])))],
        ),
        (
            "ADD n :d",
            vec![(":d", num("-5"))],
            vec![("n", Some(0.into()))],
        ),
        (
            "ADD fresh :d",
            vec![(":d", 3.into())],
            vec![("fresh", Some(3.into()))],
        ),
        (
            "ADD ss :v",
            vec![(":v", Value::string_set(["c", "a"]))],
            vec![("ss", Some(Value::string_set(["a", "b", "c"])))],
        ),
        (
            "ADD newset :v",
            vec![(":v", Value::number_set([7]))],
            vec![("newset", Some(Value::number_set([7])))],
        ),
        (
            "DELETE ss :v",
            vec![(":v", Value::string_set(["a", "z"]))],
            vec![("ss", Some(Value::string_set(["b"])))],
        ),
        (
            "DELETE ns :v",
            vec![(":v", Value::number_set([1]))],
            vec![("ns", None)],
        ),
        (
            "DELETE missing :v",
            vec![(":v", Value::number_set([1]))],
            vec![("missing", None)],
        ),
        (
            "REMOVE s SET t = :v ADD n :one DELETE ss :d",
            vec![
                (":v", 1.into()),
                (":one", 1.into()),
                (":d", Value::string_set(["a"])),
            ],
            vec![
                ("s", None),
                ("t", Some(1.into())),
                ("n", Some(6.into())),
                ("ss", Some(Value::string_set(["b"]))),
            ],
        ),
    ];
    for (text, values, expected) in cases {
        let parsed = update(text, &values).unwrap_or_else(|e| panic!("{text}: {e}"));
        let result = apply_update(&parsed, &old, &["PK"]).unwrap_or_else(|e| panic!("{text}: {e}"));
        for (name, value) in expected {
            assert_eq!(result.item.get(name), value.as_ref(), "{text}: {name}");
        }
        assert_eq!(result.item.get("PK"), Some(&Value::from("k")), "{text}");
    }
}

#[test]
fn update_errors_depend_on_the_item() {
    let old = crate::item! { "PK" => "k", "s" => "x", "n" => 1, "ss" => Value::string_set(["a"]) };
    let num = |t: &str| Value::N(t.parse().unwrap());
    let cases: Vec<(&str, Values, &str)> = vec![
        ("SET PK = :v", vec![(":v", "y".into())], "part of the key"),
        ("REMOVE PK", vec![], "part of the key"),
        ("SET a = missing", vec![], "the item does not have it"),
        (
            "SET a = s + :one",
            vec![(":one", 1.into())],
            "`+` needs two numbers, not a S and a N",
        ),
        (
            "SET a = list_append(s, :l)",
            vec![(":l", Value::L(vec![]))],
            "list_append needs two lists",
        ),
        (
            "SET m.a = :one",
            vec![(":one", 1.into())],
            "a map or list on the way to it does not exist",
        ),
        ("ADD s :one", vec![(":one", 1.into())], "ADD of a N to a S"),
        (
            "ADD ss :ns",
            vec![(":ns", Value::number_set([1]))],
            "ADD of a NS to a SS",
        ),
        (
            "DELETE s :ss",
            vec![(":ss", Value::string_set(["x"]))],
            "DELETE of a SS from a S",
        ),
        (
            "SET n = :big + :big",
            vec![(":big", num("9.9999999999999999999999999999999999999E+125"))],
            "more than 38 significant digits",
        ),
    ];
    for (text, values, needle) in cases {
        let parsed = update(text, &values).unwrap_or_else(|e| panic!("{text}: {e}"));
        let (_, reason) = rejected(apply_update(&parsed, &old, &["PK"]).map(|r| r.item));
        assert!(reason.contains(needle), "{text}: {reason}");
    }
}

#[test]
fn projections_keep_nested_paths_nested() {
    let item = crate::item! {
        "a" => 1,
        "l" => Value::L(vec!["x".into(), "y".into(), "z".into()]),
        "m" => Value::M([("b".to_owned(), Value::from(2)), ("c".to_owned(), Value::from(3))].into()),
    };
    let mut p = Placeholders::default();
    p.name("#m", "m");
    let cases: Vec<(&str, Item)> = vec![
        ("a", crate::item! { "a" => 1 }),
        ("a, missing", crate::item! { "a" => 1 }),
        (
            "l[2], l[0]",
            crate::item! { "l" => Value::L(vec!["x".into(), "z".into()]) },
        ),
        (
            "#m.b",
            crate::item! { "m" => Value::M([("b".to_owned(), Value::from(2))].into()) },
        ),
        ("m.x, l[7], a.b", Item::new()),
    ];
    for (text, expected) in cases {
        let mut resolver = Resolver::new(&p);
        let projection = parse_projection(text, &mut resolver).unwrap();
        assert_eq!(projection.apply(&item), expected, "{text}");
    }
    let mut resolver = Resolver::new(&p);
    let (at, reason) = rejected(parse_projection("a, m.b, m", &mut resolver));
    assert_eq!(at, Some(8));
    assert!(
        reason.contains("the paths `m.b` and `m` overlap"),
        "{reason}"
    );
}

#[test]
fn caret_lines_point_at_the_position() {
    let Err(Error::Validation(error)) = condition("a = 1 AND (b = ") else {
        panic!("malformed");
    };
    assert_eq!(
        error.caret_lines().as_deref(),
        Some("a = 1 AND (b = \n               ^")
    );
    let Err(Error::Validation(error)) = condition("名前 = 1") else {
        panic!("malformed");
    };
    assert_eq!(error.caret_lines().as_deref(), Some("名前 = 1\n^"));
}

// ---- print, then parse ----

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,5}",
        Just("and".to_owned()),
        Just("a.b".to_owned()),
        Just("with space".to_owned()),
        Just("ü".to_owned()),
    ]
}

fn path_strategy() -> impl Strategy<Value = Path> {
    (
        name_strategy(),
        prop::collection::vec(
            prop_oneof![
                name_strategy().prop_map(PathElement::Name),
                (0usize..20).prop_map(PathElement::Index),
            ],
            0..3,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut elements = vec![PathElement::Name(first)];
            elements.extend(rest);
            Path(elements)
        })
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        ".{0,6}".prop_map(Value::S),
        (-1000i64..1000).prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(Value::B),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        prop::collection::btree_set("[a-c]{1,2}", 1..3).prop_map(Value::Ss),
        prop::collection::btree_set(0i64..9, 1..3)
            .prop_map(|s| Value::Ns(s.into_iter().map(Into::into).collect())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::L),
            prop::collection::btree_map("[a-c]", inner, 0..3).prop_map(Value::M),
        ]
    })
}

fn operand_strategy() -> impl Strategy<Value = Operand> {
    prop_oneof![
        path_strategy().prop_map(Operand::Path),
        value_strategy().prop_map(Operand::Value),
        path_strategy().prop_map(Operand::Size),
    ]
}

fn comparator_strategy() -> impl Strategy<Value = Comparator> {
    prop_oneof![
        Just(Comparator::Eq),
        Just(Comparator::Ne),
        Just(Comparator::Lt),
        Just(Comparator::Le),
        Just(Comparator::Gt),
        Just(Comparator::Ge),
    ]
}

fn condition_strategy() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        (
            operand_strategy(),
            comparator_strategy(),
            operand_strategy()
        )
            .prop_map(|(a, c, b)| Condition::Compare(a, c, b)),
        // Bounds from paths, so that no low > high validation applies.
        (operand_strategy(), path_strategy(), path_strategy())
            .prop_map(|(a, l, h)| Condition::Between(a, Operand::Path(l), Operand::Path(h))),
        (
            operand_strategy(),
            prop::collection::vec(operand_strategy(), 1..4)
        )
            .prop_map(|(a, l)| Condition::In(a, l)),
        path_strategy().prop_map(Condition::Exists),
        path_strategy().prop_map(Condition::NotExists),
        (
            path_strategy(),
            prop_oneof![Just("S"), Just("NS"), Just("M")]
        )
            .prop_map(|(p, t)| Condition::AttributeType(p, Operand::Value(t.into()))),
        (path_strategy(), "[a-z]{0,3}").prop_map(|(p, s)| Condition::BeginsWith(
            Operand::Path(p),
            Operand::Value(Value::S(s))
        )),
        (path_strategy(), operand_strategy())
            .prop_map(|(p, o)| Condition::Contains(Operand::Path(p), o)),
        (
            operand_strategy(),
            prop_oneof![Just("^a/b"), Just("x+"), Just("[0-9]")],
            prop_oneof![Just(""), Just("i"), Just("ms")]
        )
            .prop_map(|(o, s, f)| Condition::Matches(o, Pattern::new(s, f).unwrap())),
        (operand_strategy(), any::<u32>(), 0u8..=32).prop_map(|(o, a, p)| Condition::InSubnet(
            o,
            Subnet {
                address: a.into(),
                prefix: p
            }
        )),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|c| Condition::Not(Box::new(c))),
        ]
    })
}

fn set_operand_strategy() -> impl Strategy<Value = SetValue> {
    let operand = prop_oneof![
        path_strategy().prop_map(|p| SetValue::Operand(Operand::Path(p))),
        value_strategy().prop_map(|v| SetValue::Operand(Operand::Value(v))),
    ];
    operand.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (path_strategy(), inner.clone())
                .prop_map(|(p, v)| SetValue::IfNotExists(p, Box::new(v))),
            (inner.clone(), inner)
                .prop_map(|(a, b)| SetValue::ListAppend(Box::new(a), Box::new(b))),
        ]
    })
}

fn set_value_strategy() -> impl Strategy<Value = SetValue> {
    prop_oneof![
        set_operand_strategy(),
        (set_operand_strategy(), set_operand_strategy())
            .prop_map(|(a, b)| SetValue::Plus(Box::new(a), Box::new(b))),
        (set_operand_strategy(), set_operand_strategy())
            .prop_map(|(a, b)| SetValue::Minus(Box::new(a), Box::new(b))),
    ]
}

/// Updates of distinct top-level attributes (so no paths overlap), grouped by clause.
fn update_strategy() -> impl Strategy<Value = Update> {
    let number_or_set = prop_oneof![
        (-9i64..9).prop_map(Value::from),
        prop::collection::btree_set("[a-c]", 1..3).prop_map(Value::Ss),
    ];
    (
        prop::collection::vec(set_value_strategy(), 0..3),
        0usize..3,
        prop::collection::vec(number_or_set, 0..3),
        prop::collection::vec(prop::collection::btree_set(0i64..9, 1..3), 0..2),
    )
        .prop_filter("an update has an action", |(s, r, a, d)| {
            !s.is_empty() || *r > 0 || !a.is_empty() || !d.is_empty()
        })
        .prop_map(|(sets, removes, adds, deletes)| {
            let mut actions = Vec::new();
            let mut next = 0;
            let mut fresh = || {
                next += 1;
                Path(vec![
                    PathElement::Name(format!("attr{next}")),
                    PathElement::Index(next),
                ])
            };
            for value in sets {
                actions.push(UpdateAction::Set(fresh(), value));
            }
            for _ in 0..removes {
                actions.push(UpdateAction::Remove(fresh()));
            }
            for value in adds {
                actions.push(UpdateAction::Add(fresh(), value));
            }
            for set in deletes {
                let set: BTreeSet<crate::number::Number> =
                    set.into_iter().map(Into::into).collect();
                actions.push(UpdateAction::Delete(fresh(), Value::Ns(set)));
            }
            Update { actions }
        })
}

proptest! {
    #[test]
    fn printed_conditions_parse_back_to_the_same_ast(condition in condition_strategy()) {
        let (text, placeholders) = print_condition(&condition);
        let mut resolver = Resolver::new(&placeholders);
        let parsed = parse_condition(ExpressionKind::Condition, &text, &mut resolver);
        prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
        prop_assert_eq!(parsed.unwrap(), condition, "{}", text);
        prop_assert!(resolver.finish().is_ok());
    }

    #[test]
    fn printed_updates_parse_back_to_the_same_ast(update in update_strategy()) {
        let (text, placeholders) = print_update(&update);
        let mut resolver = Resolver::new(&placeholders);
        let parsed = parse_update(&text, &mut resolver);
        prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
        prop_assert_eq!(parsed.unwrap(), update, "{}", text);
        prop_assert!(resolver.finish().is_ok());
    }
}
