//! Statements that parse, each with the exact model it parses into, written in the model's
//! canonical text (every compound expression parenthesized, parameters numbered `?0`, `?1`..).

use super::super::expr::{Comparison, Expr, Path, PathStep};
use super::super::parse::{Projection, Returning, Select, Statement, UpdateAction};
use super::{canonical, parse};
use crate::number::Number;
use crate::value::Value;

/// (statement, canonical text of its model)
const ACCEPTED: &[(&str, &str)] = &[
    // SELECT
    ("SELECT * FROM Music", "SELECT * FROM Music"),
    ("SELECT * FROM \"Music\";", "SELECT * FROM Music"),
    (
        "select * from t where PK = 'a'",
        "SELECT * FROM t WHERE (PK = 'a')",
    ),
    (
        "SELECT * FROM Music WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks'",
        "SELECT * FROM Music WHERE ((Artist = 'Acme Band') AND (SongTitle = 'PartiQL Rocks'))",
    ),
    (
        "SELECT OrderID, Total FROM \"Orders\" WHERE OrderID IN [100, 300, 234]",
        "SELECT OrderID, Total FROM Orders WHERE (OrderID IN [100, 300, 234])",
    ),
    (
        "SELECT * FROM Orders WHERE OrderID IN (100, 300)",
        "SELECT * FROM Orders WHERE (OrderID IN [100, 300])",
    ),
    (
        "SELECT * FROM Orders WHERE OrderID NOT IN [1, ?]",
        "SELECT * FROM Orders WHERE (NOT (OrderID IN [1, ?0]))",
    ),
    (
        "SELECT * FROM \"Music\".\"ArtistIndex\" WHERE Artist = ?",
        "SELECT * FROM Music.ArtistIndex WHERE (Artist = ?0)",
    ),
    (
        "SELECT a.b[0].c, \"my attr\", x['k'], \"a.b\" FROM t",
        "SELECT a.b[0].c, \"my attr\", x.k, \"a.b\" FROM t",
    ),
    (
        "SELECT * FROM t WHERE pk = 'x' ORDER BY sk DESC LIMIT 10",
        "SELECT * FROM t WHERE (pk = 'x') ORDER BY sk DESC LIMIT 10",
    ),
    (
        "SELECT * FROM t WHERE pk = 'x' ORDER BY sk",
        "SELECT * FROM t WHERE (pk = 'x') ORDER BY sk ASC",
    ),
    ("SELECT * FROM t LIMIT 0", "SELECT * FROM t LIMIT 0"),
    (
        "SELECT * FROM t WHERE begins_with(sk, 'order#') AND CONTAINS(tags, 'x') \
         OR attribute_exists(a) OR attribute_not_exists(b.c) OR attribute_type(c, 'S') \
         OR size(d[2]) > 3",
        "SELECT * FROM t WHERE (((((begins_with(sk, 'order#') AND contains(tags, 'x')) \
         OR attribute_exists(a)) OR attribute_not_exists(b.c)) OR attribute_type(c, 'S')) \
         OR (size(d[2]) > 3))",
    ),
    (
        "SELECT * FROM t WHERE a BETWEEN 1 AND 10 AND b NOT BETWEEN ? AND ?",
        "SELECT * FROM t WHERE ((a BETWEEN 1 AND 10) AND (NOT (b BETWEEN ?0 AND ?1)))",
    ),
    (
        "SELECT * FROM t WHERE a IS MISSING OR b IS NOT MISSING OR c IS NULL OR d IS NOT NULL",
        "SELECT * FROM t WHERE ((((a IS MISSING) OR (b IS NOT MISSING)) OR (c IS NULL)) \
         OR (d IS NOT NULL))",
    ),
    (
        "SELECT * FROM t WHERE a.b IS missing AND NOT c IS NOT MISSING",
        "SELECT * FROM t WHERE ((a.b IS MISSING) AND (NOT (c IS NOT MISSING)))",
    ),
    (
        "SELECT * FROM t WHERE NOT (a = 1) AND b <> 2 AND c != 3 AND d < 4 AND e <= 5 \
         AND f > 6 AND g >= 7",
        "SELECT * FROM t WHERE (((((((NOT (a = 1)) AND (b <> 2)) AND (c <> 3)) AND (d < 4)) \
         AND (e <= 5)) AND (f > 6)) AND (g >= 7))",
    ),
    // AND binds tighter than OR; parentheses regroup.
    (
        "SELECT * FROM t WHERE a = 1 OR b = 2 AND c = 3",
        "SELECT * FROM t WHERE ((a = 1) OR ((b = 2) AND (c = 3)))",
    ),
    (
        "SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3",
        "SELECT * FROM t WHERE (((a = 1) OR (b = 2)) AND (c = 3))",
    ),
    (
        "SELECT * FROM t WHERE a = -1.50 AND b = +2 AND c = 1e3 AND d = .5 AND e = true \
         AND f = FALSE AND g = null",
        "SELECT * FROM t WHERE (((((((a = -1.5) AND (b = 2)) AND (c = 1000)) AND (d = 0.5)) \
         AND (e = true)) AND (f = false)) AND (g = null))",
    ),
    (
        "SELECT * FROM t WHERE a = 'it''s'",
        "SELECT * FROM t WHERE (a = 'it''s')",
    ),
    (
        "SELECT * FROM t WHERE a = [1, 'x', [true], {'k': null}] AND b = {}",
        "SELECT * FROM t WHERE ((a = [1, 'x', [true], {'k': null}]) AND (b = {}))",
    ),
    (
        "SELECT *\nFROM t\n-- a comment\nWHERE pk = 1 /* and another */",
        "SELECT * FROM t WHERE (pk = 1)",
    ),
    // INSERT
    (
        "INSERT INTO Music VALUE {'Artist': 'Acme Band', 'SongTitle': 'PartiQL Rocks', \
         'Awards': [1, 'x', {'n': null}], 'Tags': <<'b', 'a'>>, 'Nums': <<3, 1.5>>}",
        "INSERT INTO Music VALUE {'Artist': 'Acme Band', 'SongTitle': 'PartiQL Rocks', \
         'Awards': [1, 'x', {'n': null}], 'Tags': <<'a', 'b'>>, 'Nums': <<1.5, 3>>}",
    ),
    ("INSERT INTO t VALUE ?", "INSERT INTO t VALUE ?0"),
    (
        "insert into \"my table\" value {'pk': ?, 'my attr': ?}",
        "INSERT INTO \"my table\" VALUE {'pk': ?0, 'my attr': ?1}",
    ),
    // UPDATE
    (
        "UPDATE \"Music\" SET AwardsWon=1 SET AwardDetail={'Grammys':[2020, 2018]} \
         WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks' RETURNING ALL OLD *",
        "UPDATE Music SET AwardsWon = 1 SET AwardDetail = {'Grammys': [2020, 2018]} \
         WHERE ((Artist = 'Acme Band') AND (SongTitle = 'PartiQL Rocks')) RETURNING ALL OLD *",
    ),
    (
        "UPDATE t SET a = if_not_exists(a, 0) + 1, b = b - ? REMOVE c, d[1] REMOVE e.f \
         SET g[0].h = list_append(g, [1]) WHERE pk = 1 RETURNING MODIFIED NEW *",
        "UPDATE t SET a = (if_not_exists(a, 0) + 1) SET b = (b - ?0) REMOVE c REMOVE d[1] \
         REMOVE e.f SET g[0].h = list_append(g, [1]) WHERE (pk = 1) RETURNING MODIFIED NEW *",
    ),
    (
        "UPDATE t SET s = set_add(s, <<'x'>>) SET n = SET_DELETE(n, <<1, -2>>) \
         WHERE pk = 1 AND attribute_exists(s) RETURNING MODIFIED OLD *",
        "UPDATE t SET s = set_add(s, <<'x'>>) SET n = set_delete(n, <<-2, 1>>) \
         WHERE ((pk = 1) AND attribute_exists(s)) RETURNING MODIFIED OLD *",
    ),
    (
        "UPDATE t REMOVE a WHERE pk = 1 RETURNING ALL NEW *",
        "UPDATE t REMOVE a WHERE (pk = 1) RETURNING ALL NEW *",
    ),
    // DELETE
    (
        "DELETE FROM t WHERE pk = ? AND sk = ? RETURNING ALL OLD *",
        "DELETE FROM t WHERE ((pk = ?0) AND (sk = ?1)) RETURNING ALL OLD *",
    ),
    (
        "DELETE FROM \"my table\" WHERE pk = 'a' AND x > 3;",
        "DELETE FROM \"my table\" WHERE ((pk = 'a') AND (x > 3))",
    ),
    // EXPLAIN
    (
        "EXPLAIN SELECT * FROM t WHERE pk = ?",
        "EXPLAIN SELECT * FROM t WHERE (pk = ?0)",
    ),
    (
        "explain DELETE FROM t WHERE pk = 1",
        "EXPLAIN DELETE FROM t WHERE (pk = 1)",
    ),
    (
        "EXPLAIN UPDATE t SET a = ? WHERE pk = ?",
        "EXPLAIN UPDATE t SET a = ?0 WHERE (pk = ?1)",
    ),
    (
        "EXPLAIN INSERT INTO t VALUE {'pk': 1}",
        "EXPLAIN INSERT INTO t VALUE {'pk': 1}",
    ),
    // EXISTS, a condition check of a transaction
    (
        "EXISTS(SELECT * FROM \"Music\" WHERE Artist = 'Acme' AND n > ?)",
        "EXISTS(SELECT * FROM Music WHERE ((Artist = 'Acme') AND (n > ?0)))",
    ),
    (
        "exists ( select a FROM t WHERE pk = 1 ) ;",
        "EXISTS(SELECT a FROM t WHERE (pk = 1))",
    ),
    (
        "EXPLAIN EXISTS(SELECT * FROM t WHERE pk = 1)",
        "EXPLAIN EXISTS(SELECT * FROM t WHERE (pk = 1))",
    ),
];

#[test]
fn every_statement_form_parses_into_its_exact_model() {
    for (text, expected) in ACCEPTED {
        assert_eq!(canonical(text), *expected, "statement: {text}");
    }
}

#[test]
fn the_canonical_text_parses_back_into_the_same_model() {
    for (text, _) in ACCEPTED {
        let first = parse(text).expect("accepted above");
        // Parameters print numbered (`?0`); put plain `?` back to parse the text again.
        let mut canonical = first.to_string();
        for index in (0..10).rev() {
            canonical = canonical.replace(&format!("?{index}"), "?");
        }
        let again = parse(&canonical).expect("canonical text parses");
        assert_eq!(again, first, "statement: {text}\ncanonical: {canonical}");
    }
}

fn path(root: &str, steps: Vec<PathStep>) -> Path {
    Path {
        root: root.to_string(),
        steps,
    }
}

#[test]
fn a_select_holds_projection_table_index_order_and_limit() {
    let statement = parse(
        "SELECT \"my attr\", a.b[3] FROM \"Shop\".\"by-date\" WHERE pk = ? ORDER BY sk DESC LIMIT 5",
    )
    .expect("parses");
    let expected = Statement::Select(Select {
        projection: Projection::Paths(vec![
            path("my attr", vec![]),
            path(
                "a",
                vec![PathStep::Key("b".to_string()), PathStep::Index(3)],
            ),
        ]),
        table: "Shop".to_string(),
        index: Some("by-date".to_string()),
        condition: Some(Expr::Compare {
            left: Box::new(Expr::Path(path("pk", vec![]))),
            op: Comparison::Eq,
            right: Box::new(Expr::Parameter(0)),
        }),
        order_by: Some(super::super::parse::OrderBy {
            key: "sk".to_string(),
            descending: true,
        }),
        limit: Some(5),
    });
    assert_eq!(statement, expected);
}

#[test]
fn numbers_are_exact_decimals() {
    let Statement::Insert(insert) = parse(
        "INSERT INTO t VALUE {'big': 12345678901234567890123456789012345678, 'small': 0.1000, 'neg': -7E-3}",
    )
    .expect("parses") else {
        panic!("not an insert");
    };
    let number = |text: &str| Expr::Literal(Value::N(text.parse::<Number>().expect("valid")));
    assert_eq!(
        insert.item,
        Expr::Map(vec![
            (
                "big".to_string(),
                number("12345678901234567890123456789012345678")
            ),
            ("small".to_string(), number("0.1")),
            ("neg".to_string(), number("-0.007")),
        ])
    );
}

#[test]
fn parameters_are_numbered_in_order_of_appearance() {
    let Statement::Update(update) = parse(
        "UPDATE t SET a = ? SET b = {'x': [?, ?]} REMOVE c WHERE pk = ? AND v BETWEEN ? AND ?",
    )
    .expect("parses") else {
        panic!("not an update");
    };
    assert_eq!(
        update.actions,
        vec![
            UpdateAction::Set {
                path: path("a", vec![]),
                value: Expr::Parameter(0),
            },
            UpdateAction::Set {
                path: path("b", vec![]),
                value: Expr::Map(vec![(
                    "x".to_string(),
                    Expr::List(vec![Expr::Parameter(1), Expr::Parameter(2)])
                )]),
            },
            UpdateAction::Remove {
                path: path("c", vec![]),
            },
        ]
    );
    assert_eq!(
        update.condition.to_string(),
        "((pk = ?3) AND (v BETWEEN ?4 AND ?5))"
    );
    assert_eq!(update.returning, None);
}

#[test]
fn quoted_identifiers_keep_spaces_dots_case_and_keywords() {
    let Statement::Select(select) =
        parse("SELECT \"my attr\", \"a.b\", \"Select\", \"say \"\"hi\"\"\" FROM t")
            .expect("parses")
    else {
        panic!("not a select");
    };
    assert_eq!(
        select.projection,
        Projection::Paths(vec![
            path("my attr", vec![]),
            path("a.b", vec![]),
            path("Select", vec![]),
            path("say \"hi\"", vec![]),
        ])
    );
}

#[test]
fn set_literals_become_set_values() {
    let Statement::Insert(insert) =
        parse("INSERT INTO t VALUE {'s': <<'b', 'a'>>, 'n': <<2, 1.0>>}").expect("parses")
    else {
        panic!("not an insert");
    };
    let Expr::Map(entries) = insert.item else {
        panic!("not a map");
    };
    assert_eq!(
        entries[0].1,
        Expr::Literal(Value::Ss(["a", "b"].map(String::from).into()))
    );
    assert_eq!(
        entries[1].1,
        Expr::Literal(Value::Ns([Number::from(1), Number::from(2)].into()))
    );
}

#[test]
fn every_returning_form_is_recognized() {
    for (clause, expected) in [
        ("ALL OLD *", Returning::AllOld),
        ("ALL NEW *", Returning::AllNew),
        ("MODIFIED OLD *", Returning::ModifiedOld),
        ("modified new *", Returning::ModifiedNew),
    ] {
        let text = format!("UPDATE t SET a = 1 WHERE pk = 1 RETURNING {clause}");
        let Statement::Update(update) = parse(&text).expect("parses") else {
            panic!("not an update");
        };
        assert_eq!(update.returning, Some(expected), "{text}");
    }
}
