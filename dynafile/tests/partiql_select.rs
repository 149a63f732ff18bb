//! PartiQL SELECT through `db.execute`: each statement with the plan EXPLAIN gives it
//! (query or scan, key condition, filter) and the exact items it returns, `?` binding,
//! ORDER BY, LIMIT and its last evaluated key.

mod common;

use common::{sort_table_order, tempdir};
use dynafile::{Dynafile, Item, Key, KeyType, Result, StatementOutput, Value, item};
use serde_json::{Value as Json, json};

/// The table `shop` (`PK`, `SK`, both strings) with two users, their profiles and orders.
fn shop(dir: &std::path::Path) -> Result<Dynafile> {
    let db = Dynafile::builder(dir.join("shop"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    let tags = Value::Ss(["gift".to_owned(), "red".to_owned()].into());
    for item in [
        item! { "PK" => "user#1", "SK" => "profile", "name" => "Bob", "age" => 40 },
        item! { "PK" => "user#1", "SK" => "order#001", "total" => 30, "status" => "shipped" },
        item! { "PK" => "user#1", "SK" => "order#002", "total" => 12, "status" => "open", "tags" => tags },
        item! { "PK" => "user#1", "SK" => "order#003", "total" => 55, "status" => "open" },
        item! { "PK" => "user#2", "SK" => "profile", "name" => "Alice", "age" => 31,
        "address" => item! { "city" => "Paris", "zip" => "75001" } },
        item! { "PK" => "user#2", "SK" => "order#001", "total" => 7, "status" => "open",
        "lines" => vec![Value::from("pen"), Value::from("ink")] },
        item! { "PK" => "user#3", "SK" => "profile", "name" => Value::Null },
    ] {
        db.put_item(&item)?;
    }
    Ok(db)
}

fn items(output: StatementOutput) -> Result<Vec<Item>> {
    match output {
        StatementOutput::Items(items) => items.collect(),
        other => panic!("expected items, got {other:?}"),
    }
}

fn select(db: &Dynafile, statement: &str, params: Vec<Value>) -> Result<Vec<Item>> {
    items(db.execute_with(statement, params)?)
}

fn explain(db: &Dynafile, statement: &str, params: Vec<Value>) -> Result<Json> {
    match db.execute_with(&format!("EXPLAIN {statement}"), params)? {
        StatementOutput::Plan(plan) => Ok(plan),
        other => panic!("expected a plan, got {other:?}"),
    }
}

/// `PK/SK` of each item, in order.
fn keys(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            let sk = item.get("SK").and_then(Value::as_s).unwrap_or("-");
            format!("{}/{sk}", item["PK"].as_s().unwrap_or("-"))
        })
        .collect()
}

struct Case {
    statement: &'static str,
    params: Vec<Value>,
    /// `query` or `scan`.
    kind: &'static str,
    key_condition: Option<&'static str>,
    filter: Option<&'static str>,
    /// The items' keys in the order returned; a scan's are compared in table order.
    rows: &'static [&'static str],
}

fn case(
    statement: &'static str,
    kind: &'static str,
    key_condition: Option<&'static str>,
    filter: Option<&'static str>,
    rows: &'static [&'static str],
) -> Case {
    Case {
        statement,
        params: Vec::new(),
        kind,
        key_condition,
        filter,
        rows,
    }
}

#[test]
fn statements_plan_and_return_exact_rows() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let cases = [
        case(
            "SELECT * FROM shop WHERE PK = 'user#1'",
            "query",
            Some("PK = 'user#1'"),
            None,
            &[
                "user#1/order#001",
                "user#1/order#002",
                "user#1/order#003",
                "user#1/profile",
            ],
        ),
        case(
            "SELECT * FROM shop WHERE 'user#2' = PK",
            "query",
            Some("PK = 'user#2'"),
            None,
            &["user#2/order#001", "user#2/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE PK = 'user#1' AND begins_with(SK, 'order#')",
            "query",
            Some("PK = 'user#1' AND begins_with(SK, 'order#')"),
            None,
            &["user#1/order#001", "user#1/order#002", "user#1/order#003"],
        ),
        case(
            "SELECT * FROM shop WHERE PK = 'user#1' AND SK > 'order#001' AND status = 'open'",
            "query",
            Some("PK = 'user#1' AND SK > 'order#001'"),
            Some("status = 'open'"),
            &["user#1/order#002", "user#1/order#003"],
        ),
        case(
            "SELECT * FROM shop WHERE 'order#002' >= SK AND PK = 'user#1'",
            "query",
            Some("PK = 'user#1' AND SK <= 'order#002'"),
            None,
            &["user#1/order#001", "user#1/order#002"],
        ),
        case(
            "SELECT * FROM shop WHERE PK = 'user#1' AND SK BETWEEN 'order#002' AND 'order#999'",
            "query",
            Some("PK = 'user#1' AND SK BETWEEN 'order#002' AND 'order#999'"),
            None,
            &["user#1/order#002", "user#1/order#003"],
        ),
        case(
            "SELECT * FROM shop WHERE PK = 'user#1' AND SK = 'profile'",
            "query",
            Some("PK = 'user#1' AND SK = 'profile'"),
            None,
            &["user#1/profile"],
        ),
        case(
            // Only one sort key condition is the key condition; the second filters.
            "SELECT * FROM shop WHERE PK = 'user#1' AND SK >= 'order#002' AND SK < 'order#003'",
            "query",
            Some("PK = 'user#1' AND SK >= 'order#002'"),
            Some("SK < 'order#003'"),
            &["user#1/order#002"],
        ),
        case(
            "SELECT * FROM shop WHERE PK = 'user#1' AND SK <> 'profile' AND total < 50",
            "query",
            Some("PK = 'user#1'"),
            Some("SK <> 'profile' AND total < 50"),
            &["user#1/order#001", "user#1/order#002"],
        ),
        case(
            "SELECT * FROM shop WHERE PK IN ['user#2', 'user#1'] AND SK = 'profile'",
            "query",
            Some("PK IN ['user#2', 'user#1'] AND SK = 'profile'"),
            None,
            &["user#2/profile", "user#1/profile"],
        ),
        case(
            // Duplicates are queried once.
            "SELECT * FROM shop WHERE PK IN ('user#3', 'user#9', 'user#3')",
            "query",
            Some("PK IN ['user#3', 'user#9']"),
            None,
            &["user#3/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE status = 'open'",
            "scan",
            None,
            Some("status = 'open'"),
            &["user#1/order#002", "user#1/order#003", "user#2/order#001"],
        ),
        case(
            // An OR around the partition key cannot be a query.
            "SELECT * FROM shop WHERE PK = 'user#1' OR name = 'Alice'",
            "scan",
            None,
            Some("(PK = 'user#1') OR (name = 'Alice')"),
            &[
                "user#1/order#001",
                "user#1/order#002",
                "user#1/order#003",
                "user#1/profile",
                "user#2/profile",
            ],
        ),
        case(
            "SELECT * FROM shop WHERE SK = 'profile' AND age >= 31",
            "scan",
            None,
            Some("SK = 'profile' AND age >= 31"),
            &["user#1/profile", "user#2/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE contains(tags, 'gift') OR contains(lines, 'ink')",
            "scan",
            None,
            Some("contains(tags, 'gift') OR contains(lines, 'ink')"),
            &["user#1/order#002", "user#2/order#001"],
        ),
        case(
            "SELECT * FROM shop WHERE address.city = 'Paris'",
            "scan",
            None,
            Some("address.city = 'Paris'"),
            &["user#2/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE lines[1] = 'ink'",
            "scan",
            None,
            Some("lines[1] = 'ink'"),
            &["user#2/order#001"],
        ),
        case(
            "SELECT * FROM shop WHERE size(tags) = 2 OR size(lines) > 1",
            "scan",
            None,
            Some("(size(tags) = 2) OR (size(lines) > 1)"),
            &["user#1/order#002", "user#2/order#001"],
        ),
        case(
            "SELECT * FROM shop WHERE name IS NULL",
            "scan",
            None,
            Some("name IS NULL"),
            &["user#3/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE SK = 'profile' AND age IS MISSING",
            "scan",
            None,
            Some("SK = 'profile' AND age IS MISSING"),
            &["user#3/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE total IS NOT MISSING AND NOT status = 'open'",
            "scan",
            None,
            Some("total IS NOT MISSING AND NOT (status = 'open')"),
            &["user#1/order#001"],
        ),
        case(
            "SELECT * FROM shop WHERE attribute_exists(address) OR attribute_type(total, 'S')",
            "scan",
            None,
            Some("attribute_exists(address) OR attribute_type(total, 'S')"),
            &["user#2/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE attribute_not_exists(status) AND NOT (name IS NULL)",
            "scan",
            None,
            Some("attribute_not_exists(status) AND NOT (name IS NULL)"),
            &["user#1/profile", "user#2/profile"],
        ),
        case(
            "SELECT * FROM shop WHERE total IN [7, 55]",
            "scan",
            None,
            Some("total IN [7, 55]"),
            &["user#1/order#003", "user#2/order#001"],
        ),
        case(
            "SELECT * FROM shop WHERE total BETWEEN 10 AND 30",
            "scan",
            None,
            Some("total BETWEEN 10 AND 30"),
            &["user#1/order#001", "user#1/order#002"],
        ),
        case(
            "SELECT * FROM shop WHERE status = 'gone'",
            "scan",
            None,
            Some("status = 'gone'"),
            &[],
        ),
        Case {
            statement: "SELECT * FROM shop WHERE PK = ? AND begins_with(SK, ?) AND total > ?",
            params: vec!["user#1".into(), "order#".into(), 20.into()],
            kind: "query",
            key_condition: Some("PK = 'user#1' AND begins_with(SK, 'order#')"),
            filter: Some("total > 20"),
            rows: &["user#1/order#001", "user#1/order#003"],
        },
        Case {
            statement: "SELECT * FROM shop WHERE PK IN [?, ?]",
            params: vec!["user#3".into(), "user#2".into()],
            kind: "query",
            key_condition: Some("PK IN ['user#3', 'user#2']"),
            filter: None,
            rows: &["user#3/profile", "user#2/order#001", "user#2/profile"],
        },
    ];
    for case in cases {
        let plan = explain(&db, case.statement, case.params.clone())?;
        assert_eq!(plan["kind"], case.kind, "{}: {plan}", case.statement);
        assert_eq!(
            plan["key_condition"],
            json!(case.key_condition),
            "{}",
            case.statement
        );
        assert_eq!(plan["filter"], json!(case.filter), "{}", case.statement);
        let mut rows = select(&db, case.statement, case.params)?;
        let mut expected: Vec<String> = case.rows.iter().map(|r| (*r).to_owned()).collect();
        if case.kind == "scan" {
            sort_table_order(&mut rows);
            let mut expected_items: Vec<Item> = case
                .rows
                .iter()
                .map(|row| {
                    let (pk, sk) = row.split_once('/').unwrap_or((row, ""));
                    item! { "PK" => pk, "SK" => sk }
                })
                .collect();
            sort_table_order(&mut expected_items);
            expected = keys(&expected_items);
        }
        assert_eq!(keys(&rows), expected, "{}", case.statement);
    }
    Ok(())
}

#[test]
fn projections_return_the_named_paths_nested_as_stored() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let rows = select(
        &db,
        "SELECT name, address.city, \"age\" FROM shop WHERE PK = 'user#2' AND SK = 'profile'",
        vec![],
    )?;
    assert_eq!(
        rows,
        vec![item! { "name" => "Alice", "age" => 31, "address" => item! { "city" => "Paris" } }]
    );
    let rows = select(
        &db,
        "SELECT lines[1], total FROM shop WHERE PK = 'user#2'",
        vec![],
    )?;
    assert_eq!(
        rows,
        vec![
            item! { "lines" => vec![Value::from("ink")], "total" => 7 },
            Item::new(),
        ]
    );
    let plan = explain(&db, "SELECT lines[1], total FROM shop", vec![])?;
    assert_eq!(
        plan,
        json!({
            "kind": "scan",
            "table": "shop",
            "index": null,
            "key_condition": null,
            "filter": null,
            "projection": ["lines[1]", "total"],
            "order": null,
            "limit": null,
        })
    );
    Ok(())
}

#[test]
fn order_by_the_sort_key_sets_the_query_direction() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let statement =
        "SELECT * FROM shop WHERE PK = 'user#1' AND begins_with(SK, 'order') ORDER BY SK DESC";
    assert_eq!(
        keys(&select(&db, statement, vec![])?),
        ["user#1/order#003", "user#1/order#002", "user#1/order#001"]
    );
    assert_eq!(explain(&db, statement, vec![])?["order"], "DESC");
    let ascending = "SELECT * FROM shop WHERE PK = 'user#2' ORDER BY SK";
    assert_eq!(
        keys(&select(&db, ascending, vec![])?),
        ["user#2/order#001", "user#2/profile"]
    );
    assert_eq!(explain(&db, ascending, vec![])?["order"], "ASC");
    // With IN, each partition is read in that order, one after another.
    let both = "SELECT * FROM shop WHERE PK IN ['user#2', 'user#3'] ORDER BY SK DESC";
    assert_eq!(
        keys(&select(&db, both, vec![])?),
        ["user#2/profile", "user#2/order#001", "user#3/profile"]
    );
    Ok(())
}

fn select_page(db: &Dynafile, statement: &str) -> Result<(Vec<String>, Option<Key>)> {
    let StatementOutput::Items(mut items) = db.execute(statement)? else {
        panic!("expected items");
    };
    let rows = items.by_ref().collect::<Result<Vec<_>>>()?;
    Ok((keys(&rows), items.last_evaluated_key().cloned()))
}

#[test]
fn limit_counts_items_read_and_reports_where_it_stopped() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    assert_eq!(
        select_page(&db, "SELECT * FROM shop WHERE PK = 'user#1' LIMIT 2")?,
        (
            vec!["user#1/order#001".to_owned(), "user#1/order#002".to_owned()],
            Some(Key::new("user#1").sort("order#002"))
        )
    );
    // Read before the filter, as DynamoDB's Limit: two read, one kept.
    assert_eq!(
        select_page(
            &db,
            "SELECT * FROM shop WHERE PK = 'user#1' AND total < 20 LIMIT 2"
        )?,
        (
            vec!["user#1/order#002".to_owned()],
            Some(Key::new("user#1").sort("order#002"))
        )
    );
    // A limit the partition does not reach reports nothing.
    assert_eq!(
        select_page(&db, "SELECT * FROM shop WHERE PK = 'user#2' LIMIT 5")?,
        (
            vec!["user#2/order#001".to_owned(), "user#2/profile".to_owned()],
            None
        )
    );
    // Across the partitions of IN, the limit counts all of them.
    assert_eq!(
        select_page(
            &db,
            "SELECT * FROM shop WHERE PK IN ['user#3', 'user#2'] LIMIT 2"
        )?,
        (
            vec!["user#3/profile".to_owned(), "user#2/order#001".to_owned()],
            Some(Key::new("user#2").sort("order#001"))
        )
    );
    assert_eq!(
        select_page(
            &db,
            "SELECT * FROM shop WHERE PK IN ['user#3', 'user#2'] LIMIT 1"
        )?,
        (
            vec!["user#3/profile".to_owned()],
            Some(Key::new("user#3").sort("profile"))
        )
    );
    let (rows, last) = select_page(&db, "SELECT * FROM shop LIMIT 3")?;
    assert_eq!(rows.len(), 3);
    assert!(last.is_some());
    let (rows, last) = select_page(&db, "SELECT * FROM shop LIMIT 7")?;
    assert_eq!((rows.len(), last), (7, None));
    assert_eq!(
        explain(
            &db,
            "SELECT * FROM shop WHERE PK = 'user#1' LIMIT 2",
            vec![]
        )?["limit"],
        2
    );
    Ok(())
}

#[test]
fn a_table_with_a_number_sort_key_queries_numerically() -> Result<()> {
    let dir = tempdir();
    let db = Dynafile::builder(dir.path().join("events"))
        .partition_key("device", KeyType::S)
        .sort_key("at", KeyType::N)
        .open()?;
    for at in [5, 40, 300] {
        db.put_item(&item! { "device" => "d1", "at" => at })?;
    }
    let rows = select(
        &db,
        "SELECT at FROM events WHERE device = 'd1' AND at >= 40 ORDER BY at DESC",
        vec![],
    )?;
    assert_eq!(rows, vec![item! { "at" => 300 }, item! { "at" => 40 }]);
    Ok(())
}

/// Every page of `statement` with `params`, resuming each after the last evaluated key.
fn pages(db: &Dynafile, statement: &str, params: &[Value]) -> Result<Vec<Vec<String>>> {
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let output = db
            .execute_statement(statement)
            .params(params.to_vec())
            .start_after(start)
            .execute()?;
        let StatementOutput::Items(mut page) = output else {
            panic!("expected items");
        };
        pages.push(keys(&page.by_ref().collect::<Result<Vec<_>>>()?));
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(pages);
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

#[test]
fn start_after_resumes_where_the_limit_stopped() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    assert_eq!(
        pages(
            &db,
            "SELECT * FROM shop WHERE PK = ? LIMIT 3",
            &["user#1".into()]
        )?,
        [
            vec!["user#1/order#001", "user#1/order#002", "user#1/order#003"],
            vec!["user#1/profile"],
        ]
    );
    // Across the partitions of IN, including a stop at the end of one.
    assert_eq!(
        pages(
            &db,
            "SELECT * FROM shop WHERE PK IN ['user#3', 'user#2'] ORDER BY SK DESC LIMIT 1",
            &[]
        )?,
        [
            vec!["user#3/profile"],
            vec!["user#2/profile"],
            vec!["user#2/order#001"],
        ]
    );
    // A scan's pages hold every item once, in table order; the filter applies to each.
    let scanned: Vec<String> = pages(&db, "SELECT * FROM shop LIMIT 2", &[])?.concat();
    let mut all = select(&db, "SELECT * FROM shop", vec![])?;
    assert_eq!(scanned, keys(&all));
    all.retain(|item| item.contains("total"));
    let filtered = pages(&db, "SELECT * FROM shop WHERE total > 0 LIMIT 3", &[])?;
    assert_eq!(filtered.concat(), keys(&all));
    assert_eq!(filtered.len(), 3);
    Ok(())
}

#[test]
fn start_after_is_only_for_a_select_within_its_partitions() -> Result<()> {
    let dir = tempdir();
    let db = shop(dir.path())?;
    let message = |result: Result<StatementOutput>| match result {
        Err(error @ dynafile::Error::Validation(_)) => error.to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(
        message(
            db.execute_statement("SELECT * FROM shop WHERE PK = 'user#1'")
                .start_after(Key::new("user#2").sort("profile"))
                .execute()
        ),
        "the start key is not in a partition the statement queries"
    );
    assert_eq!(
        message(
            db.execute_statement("DELETE FROM shop WHERE PK = 'user#1' AND SK = 'profile'")
                .start_after(Key::new("user#1").sort("profile"))
                .execute()
        ),
        "only a SELECT resumes after a start key"
    );
    assert_eq!(
        db.get_item(("user#1", "profile"))?.map(|item| item.len()),
        Some(4)
    );
    // Bound lists and maps show in the plan as PartiQL literals.
    let plan = explain(
        &db,
        "SELECT * FROM shop WHERE lines = ? OR address = ?",
        vec![
            Value::L(vec!["pen".into(), 2.into()]),
            item! { "city" => "Paris" }.into(),
        ],
    )?;
    assert_eq!(
        plan["filter"],
        "(lines = ['pen', 2]) OR (address = {'city': 'Paris'})"
    );
    Ok(())
}
