//! Printing an AST and parsing it back gives the same AST.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::value::Value;

use super::super::*;

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

fn distinct_paths_strategy() -> impl Strategy<Value = Vec<Path>> {
    prop::collection::vec(path_strategy(), 1..5).prop_map(|paths| {
        // A projection's paths may not overlap: keep each one that overlaps none before it.
        let mut kept: Vec<Path> = Vec::new();
        for path in paths {
            if !kept.iter().any(|k| k.overlaps(&path) || path.overlaps(k)) {
                kept.push(path);
            }
        }
        kept
    })
}

proptest! {
    #[test]
    fn printed_projections_parse_back_to_the_same_ast(paths in distinct_paths_strategy()) {
        let projection = Projection::new(paths);
        let (text, placeholders) = print_projection(&projection);
        let mut resolver = Resolver::new(&placeholders);
        let parsed = parse_projection(&text, &mut resolver);
        prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
        prop_assert_eq!(parsed.unwrap(), projection, "{}", text);
        prop_assert!(resolver.finish().is_ok());
    }
}

#[test]
fn printed_projection_quotes_unusual_names() {
    let projection = Projection::new(vec![
        Path(vec![PathElement::Name("a".to_owned())]),
        Path(vec![
            PathElement::Name("with space".to_owned()),
            PathElement::Index(2),
            PathElement::Name("and".to_owned()),
        ]),
    ]);
    let (text, placeholders) = print_projection(&projection);
    assert_eq!(text, "a, #n0[2].#n1");
    assert_eq!(
        placeholders.names,
        [
            ("#n0".to_owned(), "with space".to_owned()),
            ("#n1".to_owned(), "and".to_owned()),
        ]
        .into()
    );
}

/// `ip in 10.8` is the extension's membership test (`Contains(10.8, ip)`); it printed as
/// `contains(:v0, ip)`, which does not parse, as `contains` takes a path first.
#[test]
fn membership_with_a_value_container_prints_in_the_in_form() {
    let condition = Condition::Contains(
        Operand::Value(Value::from(108)),
        Operand::Path(Path(vec![PathElement::Name("ip".to_owned())])),
    );
    let (text, placeholders) = print_condition(&condition);
    assert_eq!(text, "ip IN :v0");
    let mut resolver = Resolver::new(&placeholders);
    let parsed = parse_condition(ExpressionKind::Filter, &text, &mut resolver);
    assert_eq!(parsed.ok(), Some(condition));
}
