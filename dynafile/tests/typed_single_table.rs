//! Several entity types in one table (single-table design): typed queries and scans return
//! only their type, limits and paging count every item read, a get of another entity's key is
//! an error, a custom entity name and attribute, and `put_if_absent` with writers racing.

mod common;

use std::sync::{Arc, Barrier};

use common::{n, num, string_table};
use dynafile::{DynaItem, Error, Number, Result, ValidationError, Value, item};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "CUSTOMER#{id}", sk = "PROFILE")]
struct Customer {
    id: u32,
    name: String,
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "CUSTOMER#{customer}", sk = "ORDER#{date}#{number}")]
struct Order {
    customer: u32,
    date: String,
    number: u32,
    total: Number,
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(
    pk = "CUSTOMER#{customer}",
    sk = "ORDER#{date}#{number}#ITEM#{line}",
    entity = "OrderLine",
    entity_attribute = "type"
)]
struct Line {
    customer: u32,
    date: String,
    number: u32,
    line: u8,
    product: String,
}

fn order(number: u32, date: &str, total: &str) -> Order {
    Order {
        customer: 7,
        date: date.into(),
        number,
        total: num(total),
    }
}

fn fill(db: &dynafile::Dynafile) -> Result<()> {
    db.put(&Customer {
        id: 7,
        name: "Ada".into(),
    })?;
    db.put(&order(1, "2025-12-30", "10"))?;
    db.put(&order(2, "2026-01-05", "30.5"))?;
    db.put(&order(3, "2026-02-11", "12"))?;
    for line in 1..=2 {
        db.put(&Line {
            customer: 7,
            date: "2026-01-05".into(),
            number: 2,
            line,
            product: format!("p{line}"),
        })?;
    }
    db.put(&Customer {
        id: 8,
        name: "Bob".into(),
    })?;
    Ok(())
}

#[test]
fn typed_queries_and_scans_return_only_their_entity() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    fill(&db)?;

    let orders: Vec<Order> = db
        .query_as::<Order>("CUSTOMER#7")
        .begins_with("ORDER#2026-")
        .iter()?
        .collect::<Result<_>>()?;
    assert_eq!(
        orders,
        vec![order(2, "2026-01-05", "30.5"), order(3, "2026-02-11", "12")]
    );
    let newest_first: Vec<u32> = db
        .query_as::<Order>("CUSTOMER#7")
        .reverse()
        .into_iter()
        .map(|order| order.map(|o| o.number))
        .collect::<Result<_>>()?;
    assert_eq!(newest_first, vec![3, 2, 1]);

    let lines: Vec<(u8, String)> = db
        .query_as::<Line>("CUSTOMER#7")
        .iter()?
        .map(|line| line.map(|l| (l.line, l.product)))
        .collect::<Result<_>>()?;
    assert_eq!(lines, vec![(1, "p1".into()), (2, "p2".into())]);
    let stored = db.get_item(("CUSTOMER#7", "ORDER#2026-01-05#2#ITEM#1"))?;
    assert_eq!(
        stored.map(|item| (item.get("type").cloned(), item.contains("_entity"))),
        Some((Some(Value::from("OrderLine")), false))
    );

    let mut customers: Vec<String> = db
        .scan_as::<Customer>()
        .into_iter()
        .map(|customer| customer.map(|c| c.name))
        .collect::<Result<_>>()?;
    customers.sort();
    assert_eq!(customers, vec!["Ada".to_owned(), "Bob".to_owned()]);

    // A filter on the stored item adds to the entity's.
    let big: Vec<u32> = db
        .query_as::<Order>("CUSTOMER#7")
        .filter(|item| item.get("total").and_then(Value::as_n) > Some(&num("11")))
        .iter()?
        .map(|order| order.map(|o| o.number))
        .collect::<Result<_>>()?;
    assert_eq!(big, vec![2, 3]);
    Ok(())
}

#[test]
fn limits_count_items_of_every_entity_and_pages_resume() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    fill(&db)?;
    // The partition in sort key order: 3 orders, between them 2 lines, then the profile.
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let mut items = db
            .query_as::<Order>("CUSTOMER#7")
            .limit(2)
            .start_after(start)
            .iter()?;
        let page: Vec<u32> = items
            .by_ref()
            .map(|order| order.map(|o| o.number))
            .collect::<Result<_>>()?;
        pages.push(page);
        start = items.last_evaluated_key();
        if start.is_none() {
            break;
        }
    }
    // ORDER#1 ORDER#2 | LINE LINE | ORDER#3 PROFILE
    assert_eq!(pages, vec![vec![1, 2], vec![], vec![3]]);

    // Pages by `page`; then a scan of customers one item at a time.
    let first = db.query_as::<Order>("CUSTOMER#7").limit(3).page()?;
    assert_eq!(
        first.items.iter().map(|o| o.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let rest = db
        .query_as::<Order>("CUSTOMER#7")
        .start_after(first.last_evaluated_key)
        .page()?;
    assert_eq!(rest.items, vec![order(3, "2026-02-11", "12")]);
    assert_eq!(rest.last_evaluated_key, None);
    let mut names = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .scan_as::<Customer>()
            .limit(1)
            .start_after(start)
            .page()?;
        names.extend(page.items.into_iter().map(|c| c.name));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    names.sort();
    assert_eq!(names, vec!["Ada".to_owned(), "Bob".to_owned()]);
    Ok(())
}

#[test]
fn a_get_of_another_entitys_item_is_an_error() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! { "PK" => "CUSTOMER#9", "SK" => "PROFILE", "_entity" => "Order" })?;
    let error = db.get(Customer::key(9)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "item (PK = \"CUSTOMER#9\", SK = \"PROFILE\"): attribute `_entity`: expected the entity \
         `Customer`, found `Order`"
    );
    db.put_item(&item! { "PK" => "CUSTOMER#9", "SK" => "PROFILE", "id" => 9, "name" => "x" })?;
    let error = db.get(Customer::key(9)).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Deserialize { key, error: ValidationError { attribute: Some(attribute), .. } }
                if key == "PK = \"CUSTOMER#9\", SK = \"PROFILE\"" && attribute == "_entity"
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "item (PK = \"CUSTOMER#9\", SK = \"PROFILE\"): attribute `_entity`: expected the entity \
         `Customer`, found none"
    );
    // Typed reads pass over such items rather than fail on them.
    assert_eq!(db.query_as::<Customer>("CUSTOMER#9").into_iter().count(), 0);
    Ok(())
}

#[test]
fn an_item_of_the_entity_that_does_not_read_is_one_error_and_iteration_goes_on() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    fill(&db)?;
    db.put_item(&item! {
        "PK" => "CUSTOMER#7", "SK" => "ORDER#2026-01-06#9", "_entity" => "Order",
        "customer" => 7, "date" => "2026-01-06", "number" => "nine", "total" => n("1"),
    })?;
    let results: Vec<std::result::Result<u32, String>> = db
        .query_as::<Order>("CUSTOMER#7")
        .begins_with("ORDER#2026-01")
        .iter()?
        .map(|order| order.map(|o| o.number).map_err(|e| e.to_string()))
        .collect();
    assert_eq!(
        results,
        vec![
            Ok(2),
            Err(
                "item (PK = \"CUSTOMER#7\", SK = \"ORDER#2026-01-06#9\"): attribute `number`: \
                 expected a number (N) for u32, found S"
                    .to_owned()
            ),
        ]
    );
    Ok(())
}

#[test]
fn put_if_absent_writes_only_a_new_key() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let ada = Customer {
        id: 1,
        name: "Ada".into(),
    };
    db.put_if_absent(&ada)?;
    let error = db
        .put_if_absent(&Customer {
            id: 1,
            name: "Impostor".into(),
        })
        .unwrap_err();
    assert!(
        matches!(error, Error::ConditionalCheckFailed { item: None }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "the conditional request failed");
    assert_eq!(db.get(Customer::key(1))?, Some(ada));
    // Once deleted, the key is free again.
    db.delete(Customer::key(1))?;
    db.put_if_absent(&Customer {
        id: 1,
        name: "Second".into(),
    })?;
    assert_eq!(
        db.get(Customer::key(1))?.map(|c| c.name),
        Some("Second".into())
    );
    Ok(())
}

#[test]
fn of_writers_racing_to_put_one_key_if_absent_exactly_one_wins() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    for round in 0..5u32 {
        let barrier = Arc::new(Barrier::new(8));
        let results: Vec<Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|writer| {
                    let db = db.clone();
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        db.put_if_absent(&Customer {
                            id: round,
                            name: format!("writer {writer}"),
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a writer panicked"))
                .collect()
        });
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter_map(|(writer, result)| result.is_ok().then_some(writer))
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .filter(|result| result.is_err())
                .all(|result| matches!(result, Err(Error::ConditionalCheckFailed { item: None }))),
            "round {round}: {results:?}"
        );
        assert_eq!(
            db.get(Customer::key(round))?.map(|c| c.name),
            Some(format!("writer {}", winners[0])),
            "round {round}: the stored item is the winner's"
        );
    }
    Ok(())
}
