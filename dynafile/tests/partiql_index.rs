//! PartiQL SELECT of a secondary index (`FROM "table"."index"`): planned against the index's
//! keys (query or scan, key condition, filter, ORDER BY), what each projection returns,
//! paging in the index's key shape, and the statements refused: an unknown index, an
//! attribute the index does not project, and writes to an index.

mod common;

use common::{assert_invalid, orders_with_indexes, tempdir};
use dynafile::{Dynafile, IndexProjection, Item, Key, KeyType, Result, StatementOutput, item};
use serde_json::{Value as Json, json};

/// The orders table of the index tests ([`orders_with_indexes`]) with four orders.
fn orders(path: &std::path::Path) -> Result<Dynafile> {
    let db = orders_with_indexes(&path.join("orders"))?;
    for (sk, status, placed, customer, total) in [
        ("o1", "open", 30, "ann", 5),
        ("o2", "open", 10, "bob", 7),
        ("o3", "shipped", 20, "ann", 9),
        ("o4", "open", 20, "ann", 1),
    ] {
        db.put_item(&item! {
            "PK" => "shop", "SK" => sk, "status" => status, "placed" => placed,
            "customer" => customer, "total" => total, "note" => format!("order {sk}")
        })?;
    }
    // No `status`: not in `by_status` or `totals` (sparse).
    db.put_item(&item! { "PK" => "shop", "SK" => "draft", "customer" => "cid" })?;
    Ok(db)
}

fn select(db: &Dynafile, statement: &str) -> Result<Vec<Item>> {
    match db.execute(statement)? {
        StatementOutput::Items(items) => items.collect(),
        other => panic!("expected items, got {other:?}"),
    }
}

fn explain(db: &Dynafile, statement: &str) -> Result<Json> {
    match db.execute(&format!("EXPLAIN {statement}"))? {
        StatementOutput::Plan(plan) => Ok(plan),
        other => panic!("expected a plan, got {other:?}"),
    }
}

fn sks(items: &[Item]) -> Vec<&str> {
    items
        .iter()
        .map(|item| match &item["SK"] {
            dynafile::Value::S(sk) => sk.as_str(),
            other => panic!("SK is {other:?}"),
        })
        .collect()
}

#[test]
fn equality_on_the_index_partition_key_queries_the_index_in_its_sort_key_order() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    let statement = r#"SELECT * FROM "orders"."by_status" WHERE status = 'open'"#;
    assert_eq!(
        explain(&db, statement)?,
        json!({
            "kind": "query", "table": "orders", "index": "by_status",
            "key_condition": "status = 'open'", "filter": null, "projection": null,
            "order": null, "limit": null,
        })
    );
    let items = select(&db, statement)?;
    assert_eq!(sks(&items), ["o2", "o4", "o1"]);
    assert_eq!(
        items[0],
        item! {
            "PK" => "shop", "SK" => "o2", "status" => "open", "placed" => 10,
            "customer" => "bob", "total" => 7, "note" => "order o2"
        }
    );
    Ok(())
}

#[test]
fn an_index_sort_key_condition_is_the_key_condition_and_the_rest_the_filter() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    let statement = r#"SELECT SK FROM "orders"."by_status" WHERE customer = 'ann' AND placed >= 20 AND status = 'open'"#;
    assert_eq!(
        explain(&db, statement)?,
        json!({
            "kind": "query", "table": "orders", "index": "by_status",
            "key_condition": "status = 'open' AND placed >= 20", "filter": "customer = 'ann'",
            "projection": ["SK"], "order": null, "limit": null,
        })
    );
    assert_eq!(
        select(&db, statement)?,
        vec![item! { "SK" => "o4" }, item! { "SK" => "o1" }]
    );
    let between =
        r#"SELECT SK FROM "orders"."by_status" WHERE status = 'open' AND placed BETWEEN 10 AND 20"#;
    assert_eq!(sks(&select(&db, between)?), ["o2", "o4"]);
    Ok(())
}

#[test]
fn order_by_and_in_take_the_index_keys() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    let descending =
        r#"SELECT SK FROM "orders"."by_status" WHERE status = 'open' ORDER BY placed DESC"#;
    assert_eq!(sks(&select(&db, descending)?), ["o1", "o4", "o2"]);
    let both = r#"SELECT SK FROM "orders"."by_status" WHERE status IN ['shipped', 'open']"#;
    assert_eq!(
        explain(&db, both)?["key_condition"],
        json!("status IN ['shipped', 'open']")
    );
    assert_eq!(sks(&select(&db, both)?), ["o3", "o2", "o4", "o1"]);
    assert_invalid(
        db.execute(r#"SELECT * FROM "orders"."by_status" WHERE status = 'open' ORDER BY SK"#),
        None,
        "ORDER BY takes the sort key `placed`, not `SK`",
    );
    assert_invalid(
        db.execute(r#"SELECT * FROM "orders"."by_customer" WHERE customer = 'ann' ORDER BY SK"#),
        None,
        "ORDER BY needs a sort key, and index `by_customer` has none",
    );
    Ok(())
}

#[test]
fn without_the_index_partition_key_the_index_is_scanned() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    // `PK = 'shop'` gives the table's partition key, not the index's: still a scan.
    let statement = r#"SELECT SK FROM "orders"."by_status" WHERE PK = 'shop' AND placed = 20"#;
    assert_eq!(
        explain(&db, statement)?,
        json!({
            "kind": "scan", "table": "orders", "index": "by_status",
            "key_condition": null, "filter": "PK = 'shop' AND placed = 20",
            "projection": ["SK"], "order": null, "limit": null,
        })
    );
    let mut found = sks(&select(&db, statement)?)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    found.sort();
    assert_eq!(found, ["o3", "o4"]);
    // The sparse index has no entry for the draft, which has no status.
    assert_eq!(
        select(&db, r#"SELECT * FROM "orders"."by_status""#)?.len(),
        4
    );
    assert_eq!(
        select(&db, r#"SELECT * FROM "orders"."by_customer""#)?.len(),
        5
    );
    Ok(())
}

#[test]
fn a_select_of_an_index_returns_what_the_index_projects() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    assert_eq!(
        select(
            &db,
            r#"SELECT * FROM "orders"."by_customer" WHERE customer = 'bob'"#
        )?,
        vec![item! { "PK" => "shop", "SK" => "o2", "customer" => "bob" }]
    );
    assert_eq!(
        select(
            &db,
            r#"SELECT * FROM "orders"."totals" WHERE status = 'shipped'"#
        )?,
        vec![
            item! { "PK" => "shop", "SK" => "o3", "status" => "shipped", "total" => 9, "customer" => "ann" }
        ]
    );
    assert_eq!(
        select(
            &db,
            r#"SELECT customer, total FROM "orders"."totals" WHERE status = 'open'"#
        )?,
        vec![
            item! { "customer" => "ann", "total" => 1 },
            item! { "customer" => "ann", "total" => 5 },
            item! { "customer" => "bob", "total" => 7 },
        ]
    );
    assert_invalid(
        db.execute(r#"SELECT SK, note FROM "orders"."totals" WHERE status = 'open'"#),
        None,
        "index `totals` does not project the attribute `note`; a SELECT of an index returns \
         only the attributes the index projects",
    );
    assert_invalid(
        db.execute(r#"EXPLAIN SELECT total FROM "orders"."by_customer""#),
        None,
        "index `by_customer` does not project the attribute `total`",
    );
    Ok(())
}

/// Runs `statement` page by page, resuming after each page's index key: the items of each
/// page, and the index keys the pages ended at.
fn index_pages(db: &Dynafile, statement: &str) -> Result<(Vec<Vec<Item>>, Vec<Item>)> {
    let mut pages = Vec::new();
    let mut ends = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let StatementOutput::Items(mut page) = db
            .execute_statement(statement)
            .start_after_index_key(start.clone())
            .execute()?
        else {
            panic!("a SELECT returns items");
        };
        pages.push(page.by_ref().collect::<Result<Vec<_>>>()?);
        start = page.last_evaluated_index_key().cloned();
        match &start {
            Some(end) => ends.push(end.clone()),
            None => return Ok((pages, ends)),
        }
        assert!(pages.len() < 10, "paging does not end");
    }
}

#[test]
fn limit_pages_resume_after_the_index_key() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    let statement = r#"SELECT SK FROM "orders"."by_status" WHERE status = 'open' LIMIT 2"#;
    let StatementOutput::Items(mut first) = db.execute(statement)? else {
        panic!("a SELECT returns items");
    };
    assert_eq!(
        first.by_ref().collect::<Result<Vec<_>>>()?,
        vec![item! { "SK" => "o2" }, item! { "SK" => "o4" }]
    );
    assert_eq!(
        first.last_evaluated_index_key(),
        Some(&item! { "PK" => "shop", "SK" => "o4", "status" => "open", "placed" => 20 })
    );
    assert_eq!(
        first.last_evaluated_key(),
        Some(&Key::new("shop").sort("o4"))
    );

    let (pages, _) = index_pages(&db, statement)?;
    assert_eq!(
        pages,
        vec![
            vec![item! { "SK" => "o2" }, item! { "SK" => "o4" }],
            vec![item! { "SK" => "o1" }],
        ]
    );
    // IN: a page that ends with a partition resumes in the next one.
    let (pages, ends) = index_pages(
        &db,
        r#"SELECT SK FROM "orders"."by_status" WHERE status IN ['shipped', 'open'] LIMIT 1"#,
    )?;
    assert_eq!(
        pages.iter().map(|page| sks(page)).collect::<Vec<_>>(),
        [vec!["o3"], vec!["o2"], vec!["o4"], vec!["o1"]]
    );
    assert_eq!(
        ends[0],
        item! { "PK" => "shop", "SK" => "o3", "status" => "shipped", "placed" => 20 }
    );
    // A scan of the index pages through every entry once.
    let (pages, _) = index_pages(&db, r#"SELECT SK FROM "orders"."by_customer" LIMIT 2"#)?;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let mut all: Vec<&str> = pages.iter().flat_map(|page| sks(page)).collect();
    all.sort_unstable();
    assert_eq!(all, ["draft", "o1", "o2", "o3", "o4"]);
    Ok(())
}

#[test]
fn a_select_of_an_index_refuses_a_table_start_key() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    assert_invalid(
        db.execute_statement(r#"SELECT * FROM "orders"."by_status" WHERE status = 'open'"#)
            .start_after(Key::new("shop").sort("o2"))
            .execute(),
        None,
        "a SELECT of index `by_status` resumes after an index key",
    );
    assert_invalid(
        db.execute_statement("SELECT * FROM orders WHERE PK = 'shop'")
            .start_after_index_key(item! { "PK" => "shop", "SK" => "o2" })
            .execute(),
        None,
        "an index key to resume after needs a SELECT of an index",
    );
    Ok(())
}

#[test]
fn unknown_indexes_and_writes_to_an_index_are_refused() -> Result<()> {
    let dir = tempdir();
    let db = orders(dir.path())?;
    assert_invalid(
        db.execute(r#"SELECT * FROM "orders"."by_date" WHERE status = 'open'"#),
        None,
        "table `orders` has no index `by_date`",
    );
    for statement in [
        r#"UPDATE "orders"."by_status" SET note = 'x' WHERE PK = 'shop' AND SK = 'o1'"#,
        r#"DELETE FROM "orders"."by_status" WHERE PK = 'shop' AND SK = 'o1'"#,
        r#"INSERT INTO "orders"."by_status" VALUE {'PK': 'shop', 'SK': 'o9'}"#,
    ] {
        assert_invalid(
            db.execute(statement),
            None,
            "`orders.by_status` names an index or a schema; this statement takes a table name",
        );
    }
    assert_eq!(select(&db, "SELECT * FROM orders")?.len(), 5);
    Ok(())
}

#[test]
fn a_local_index_is_queried_by_the_table_partition_key_and_its_own_sort_key() -> Result<()> {
    let dir = tempdir();
    let db = Dynafile::builder(dir.path().join("carts"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .local_index("by_total", "total", KeyType::N, IndexProjection::KeysOnly)
        .open()?;
    for (sk, total) in [("a", 30), ("b", 10), ("c", 20)] {
        db.put_item(&item! { "PK" => "u1", "SK" => sk, "total" => total, "note" => "x" })?;
    }
    db.put_item(&item! { "PK" => "u2", "SK" => "a", "total" => 15 })?;
    let statement =
        r#"SELECT * FROM "carts"."by_total" WHERE PK = 'u1' AND total > 10 ORDER BY total DESC"#;
    assert_eq!(
        explain(&db, statement)?["key_condition"],
        json!("PK = 'u1' AND total > 10")
    );
    assert_eq!(
        select(&db, statement)?,
        vec![
            item! { "PK" => "u1", "SK" => "a", "total" => 30 },
            item! { "PK" => "u1", "SK" => "c", "total" => 20 },
        ]
    );
    Ok(())
}
