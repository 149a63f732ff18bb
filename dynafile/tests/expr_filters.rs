//! Filter, key condition and projection expressions through the public API: the original
//! dynafile's README filter examples as written, the BEHAVIOURS.md filter lines, DynamoDB's
//! forms with placeholders, and invalid expressions reported with their position.

mod common;

use common::{collect, string_table, strs, tempdir};
use dynafile::{Error, GetOptions, Item, Result, Value, item};

fn sks(items: &[Item]) -> Vec<String> {
    strs(items, "SK")
}

/// SKs aa, ab, ac, ba in partition "1" (BEHAVIOURS 10, 11).
fn original_items(db: &dynafile::Dynafile) -> Result<()> {
    for sk in ["aa", "ab", "ac", "ba"] {
        db.put_item(&item! { "PK" => "1", "SK" => sk, "name" => "Dynafile" })?;
    }
    Ok(())
}

/// [T] 11, `test_query_with_string_filter`: the README's `SK =~ /^a/`.
#[test]
fn query_with_regex_filter_as_in_the_original_readme() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    original_items(&db)?;
    let items = collect(db.query("1").filter_expression("SK =~ /^a/"))?;
    assert_eq!(sks(&items), ["aa", "ab", "ac"]);
    Ok(())
}

/// [T] 15, `test_scan_with_string_filter`, across partitions.
#[test]
fn scan_with_regex_filter() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    for (pk, sk) in [("1", "aa"), ("1", "ab"), ("1", "ac"), ("2", "ba")] {
        db.put_item(&item! { "PK" => pk, "SK" => sk })?;
    }
    let mut found = sks(&collect(db.scan().filter_expression("SK =~ /^a/"))?);
    found.sort();
    assert_eq!(found, ["aa", "ab", "ac"]);
    Ok(())
}

/// [T] 12, `test_query_with_string_filter_nested`: a dotted path, and the README's
/// `nested.a == 1` and `SK == 1`.
#[test]
fn nested_paths_and_double_equals() -> Result<()> {
    let dir = tempdir();
    let db = common::open(
        &dir.path().join("db"),
        dynafile::KeyType::S,
        Some(dynafile::KeyType::N),
    )?;
    db.put_item(&item! { "PK" => "1", "SK" => 0, "data" => Value::M([("count".to_owned(), 0.into())].into()) })?;
    db.put_item(&item! { "PK" => "1", "SK" => 1, "data" => Value::M([("count".to_owned(), 1.into())].into()),
        "nested" => Value::M([("a".to_owned(), 1.into())].into()) })?;
    let by_count = collect(db.query("1").filter_expression("data.count > 0"))?;
    assert_eq!(common::attr(&by_count, "SK"), [Value::from(1)]);
    let by_nested = collect(db.query("1").filter_expression("nested.a == 1"))?;
    assert_eq!(common::attr(&by_nested, "SK"), [Value::from(1)]);
    let by_sk = collect(db.query("1").filter_expression("SK == 1"))?;
    assert_eq!(common::attr(&by_sk, "SK"), [Value::from(1)]);
    Ok(())
}

/// BEHAVIOURS 74: key attributes filter like any attribute; `and`, `!=`, quoted literals.
#[test]
fn scan_filter_on_key_attributes() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    for (pk, sk) in [("1", "a"), ("1", "b"), ("1", "c"), ("2", "a")] {
        db.put_item(&item! { "PK" => pk, "SK" => sk })?;
    }
    let items = collect(db.scan().filter_expression("PK == '1' and SK != 'a'"))?;
    assert_eq!(sks(&items), ["b", "c"]);
    Ok(())
}

/// BEHAVIOURS F4-F6 and F8: the original's membership and logic forms.
#[test]
fn original_membership_and_logic_forms() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "1", "SK" => "alice", "age" => 20,
    "tags" => vec![Value::from("a"), Value::from("b")], "ip" => "10.1.2.3" })?;
    db.put_item(&item! { "PK" => "1", "SK" => "bob", "age" => 15, "ip" => "192.168.1.1" })?;
    let cases = [
        ("SK in 'alice', 'carol'", vec!["alice"]),
        ("age in 15, 21", vec!["bob"]),
        ("'a' in tags", vec!["alice"]),
        ("SK in ['bob']", vec!["bob"]),
        ("tags =~ /^b/", vec!["alice"]),
        ("ip in 10.0.0.0/8", vec!["alice"]),
        ("age >= 18 and SK =~ /^a/", vec!["alice"]),
        ("age < 18 or SK == 'alice'", vec!["alice", "bob"]),
        ("not (age < 18 or SK == 'bob')", vec!["alice"]),
        ("NOT age < 18", vec!["alice"]),
        ("missing != 1", vec!["alice", "bob"]),
        ("missing == 1", vec![]),
        ("20 == age", vec!["alice"]),
    ];
    for (filter, expected) in cases {
        let items = collect(db.query("1").filter_expression(filter))?;
        assert_eq!(sks(&items), expected, "{filter}");
    }
    Ok(())
}

#[test]
fn filter_expressions_with_placeholders_and_closures() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    for i in 0..20 {
        db.put_item(&item! { "PK" => "p", "SK" => format!("{i:02}"), "age" => i, "name" => format!("n{i}") })?;
    }
    let query = db
        .query("p")
        .filter_expression("#a < :max AND begins_with(#n, :prefix)")
        .name("#a", "age")
        .name("n", "name") // the `#` may be left out
        .value(":max", 10)
        .value("prefix", "n1");
    assert_eq!(sks(&collect(query.clone())?), ["01"]);
    // A closure must hold too.
    let none = query.filter(|item| item["age"] != Value::from(1));
    assert_eq!(collect(none)?, Vec::<Item>::new());
    // The limit counts items read before the filter, as DynamoDB's.
    let page = db
        .query("p")
        .filter_expression("age >= :min")
        .value(":min", 3)
        .limit(5)
        .page()?;
    assert_eq!(sks(&page.items), ["03", "04"]);
    assert!(page.last_evaluated_key.is_some());
    Ok(())
}

#[test]
fn key_condition_expressions() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    for sk in ["order#1", "order#2", "profile"] {
        db.put_item(&item! { "PK" => "user#1", "SK" => sk })?;
    }
    db.put_item(&item! { "PK" => "user#2", "SK" => "order#9" })?;
    let orders = db
        .query_expr("PK = :pk AND begins_with(SK, :p)")
        .value(":pk", "user#1")
        .value(":p", "order#")
        .reverse();
    assert_eq!(sks(&collect(orders)?), ["order#2", "order#1"]);
    let all = db
        .query_expr("#pk = :pk")
        .name("#pk", "PK")
        .value(":pk", "user#1");
    assert_eq!(collect(all)?.len(), 3);
    let between = db
        .query_expr("PK = :pk AND SK BETWEEN :a AND :b")
        .value(":pk", "user#1")
        .value(":a", "order#2")
        .value(":b", "p");
    assert_eq!(sks(&collect(between)?), ["order#2"]);
    let filtered = db
        .query_expr("PK = :pk AND SK > :a")
        .filter_expression("SK <> :skip")
        .value(":pk", "user#1")
        .value(":a", "order#1")
        .value(":skip", "profile");
    assert_eq!(sks(&collect(filtered)?), ["order#2"]);
    Ok(())
}

/// A validation error: its message and position.
fn invalid<T>(result: Result<T>) -> (String, Option<usize>, Option<String>) {
    match result {
        Err(Error::Validation(error)) => {
            let caret = error.caret_lines();
            (error.reason, error.position, caret)
        }
        Err(other) => panic!("expected a validation error, got {other:?}"),
        Ok(_) => panic!("expected a validation error, got Ok"),
    }
}

#[test]
fn invalid_expressions_are_validation_errors_with_positions() {
    let dir = tempdir();
    let db = string_table(dir.path()).unwrap();
    let (reason, position, caret) = invalid(db.scan().filter_expression("age >= 18 and").iter());
    assert_eq!(
        reason,
        "invalid filter expression \"age >= 18 and\": expected an operand (a path, a `:value` or a literal), found the end of the expression at position 13"
    );
    assert_eq!(position, Some(13));
    assert_eq!(caret.as_deref(), Some("age >= 18 and\n             ^"));
    // Trailing text is an error, not silently dropped (the original ignored it).
    let (reason, position, _) = invalid(db.scan().filter_expression("age >= 18 garbage").iter());
    assert!(reason.contains("unexpected `garbage`"), "{reason}");
    assert_eq!(position, Some(10));
    let (reason, _, _) = invalid(db.scan().filter_expression("SK =~ /[/").iter());
    assert!(reason.contains("bad regular expression"), "{reason}");
    let (reason, _, _) = invalid(db.scan().filter_expression("a = :v").iter());
    assert!(reason.contains("`:v` is not defined"), "{reason}");
    let (reason, position, _) = invalid(
        db.scan()
            .filter_expression("a = :v")
            .value(":v", 1)
            .value(":w", 2)
            .iter(),
    );
    assert_eq!(
        reason,
        "the value placeholder `:w` is not used in any expression of the request"
    );
    assert_eq!(position, None);
    let (reason, _, _) = invalid(db.scan().name("#n", "name").iter());
    assert!(reason.contains("`#n` is not used"), "{reason}");
    let (reason, position, _) = invalid(
        db.query_expr("PK = :pk OR SK = :pk")
            .value(":pk", "x")
            .iter(),
    );
    assert!(reason.contains("a key condition cannot use OR"), "{reason}");
    assert_eq!(position, Some(9));
    let (reason, _, _) = invalid(
        db.query_expr("PK = :pk AND age = :pk")
            .value(":pk", "x")
            .iter(),
    );
    assert!(reason.contains("`age` is not a key attribute"), "{reason}");
    let (reason, _, _) = invalid(db.query_expr("PK = :pk").value(":pk", "x").eq("a").iter());
    assert!(reason.contains("not both"), "{reason}");
    let (reason, _, _) = invalid(db.query("x").projection("a, a.b").iter());
    assert!(reason.contains("overlap"), "{reason}");
    // Through the iterator too, as its first item.
    let first = db.scan().filter_expression("(a = 1").into_iter().next();
    assert!(
        matches!(first, Some(Err(Error::Validation(_)))),
        "{first:?}"
    );
}

#[test]
fn projections_on_get_query_scan_and_batch_get() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let full = item! {
        "PK" => "1", "SK" => "a", "name" => "Bob",
        "tags" => vec![Value::from("x"), Value::from("y"), Value::from("z")],
        "address" => Value::M([("city".to_owned(), "Paris".into()), ("zip".to_owned(), "75001".into())].into()),
    };
    db.put_item(&full)?;
    let expected = item! {
        "name" => "Bob",
        "tags" => vec![Value::from("x"), Value::from("z")],
        "address" => Value::M([("city".to_owned(), "Paris".into())].into()),
    };
    let projection = "#n, tags[2], tags[0], address.city";
    let options = || GetOptions::new().projection(projection).name("#n", "name");
    assert_eq!(
        db.get_item_with(("1", "a"), options())?,
        Some(expected.clone())
    );
    assert_eq!(db.get_item_with(("1", "none"), options())?, None);
    assert_eq!(
        db.batch_get_with([("1", "a"), ("1", "none")], options())?,
        vec![Some(expected.clone()), None]
    );
    let queried = collect(db.query("1").projection(projection).name("#n", "name"))?;
    assert_eq!(queried, vec![expected.clone()]);
    // The filter sees the whole item, before the projection.
    let scanned = collect(
        db.scan()
            .projection("SK")
            .filter_expression("#n = :n")
            .name("#n", "name")
            .value(":n", "Bob"),
    )?;
    assert_eq!(scanned, vec![item! { "SK" => "a" }]);
    Ok(())
}
