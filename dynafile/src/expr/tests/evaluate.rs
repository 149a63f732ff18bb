//! The evaluator over typed values, updates and projections.

use crate::item::Item;
use crate::value::Value;

use super::super::*;
use super::*;

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
        ("ADD a 'x'", 6, "ADD needs a number or a set, not an S"),
        ("DELETE a 1", 9, "DELETE needs a set, not an N"),
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
            "`+` needs two numbers, not an S and an N",
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
        (
            "ADD s :one",
            vec![(":one", 1.into())],
            "ADD of an N to an S",
        ),
        (
            "ADD ss :ns",
            vec![(":ns", Value::number_set([1]))],
            "ADD of an NS to an SS",
        ),
        (
            "DELETE s :ss",
            vec![(":ss", Value::string_set(["x"]))],
            "DELETE of an SS from an S",
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
