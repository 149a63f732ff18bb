//! Global secondary indexes declared at creation: every projection, sparse items, entries
//! moved by updates and removed by deletes, batches and transactions, sort conditions,
//! filters, pagination, scans with segments, reopening, and wrong-typed index attributes
//! refused with nothing written.

mod common;

use common::{assert_invalid, collect, orders_with_indexes, scan_all, tempdir};
use dynafile::{Dynafile, IndexProjection, Item, Key, KeyType, Result, TransactWriteItem, item};

fn order(sk: &str, status: &str, placed: i64, customer: &str, total: i64) -> Item {
    item! {
        "PK" => "shop", "SK" => sk, "status" => status, "placed" => placed,
        "customer" => customer, "total" => total, "note" => format!("order {sk}")
    }
}

fn seed(db: &Dynafile) -> Result<()> {
    db.put_item(&order("o1", "open", 30, "ann", 5))?;
    db.put_item(&order("o2", "open", 10, "bob", 7))?;
    db.put_item(&order("o3", "shipped", 20, "ann", 9))?;
    db.put_item(&order("o4", "open", 20, "ann", 1))?;
    Ok(())
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| match &item["SK"] {
            dynafile::Value::S(s) => s.clone(),
            other => panic!("SK is {other:?}"),
        })
        .collect()
}

fn query(db: &Dynafile, index: &str, pk: &str) -> Result<Vec<Item>> {
    collect(db.query(pk).index(index))
}

#[test]
fn each_projection_holds_its_attributes_in_index_order() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    let open = query(&db, "by_status", "open")?;
    assert_eq!(sks(&open), ["o2", "o4", "o1"], "by placed");
    assert_eq!(open[0], order("o2", "open", 10, "bob", 7));
    assert_eq!(
        query(&db, "by_customer", "ann")?,
        vec![
            item! { "PK" => "shop", "SK" => "o1", "customer" => "ann" },
            item! { "PK" => "shop", "SK" => "o3", "customer" => "ann" },
            item! { "PK" => "shop", "SK" => "o4", "customer" => "ann" },
        ]
    );
    assert_eq!(
        query(&db, "totals", "open")?,
        vec![
            item! { "PK" => "shop", "SK" => "o4", "status" => "open", "total" => 1, "customer" => "ann" },
            item! { "PK" => "shop", "SK" => "o1", "status" => "open", "total" => 5, "customer" => "ann" },
            item! { "PK" => "shop", "SK" => "o2", "status" => "open", "total" => 7, "customer" => "bob" },
        ]
    );
    Ok(())
}

#[test]
fn sort_conditions_reverse_filters_and_projections_apply_to_the_index() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    let q = || db.query("open").index("by_status");
    assert_eq!(sks(&collect(q().eq(20))?), ["o4"]);
    assert_eq!(sks(&collect(q().lt(20))?), ["o2"]);
    assert_eq!(sks(&collect(q().le(20))?), ["o2", "o4"]);
    assert_eq!(sks(&collect(q().gt(20))?), ["o1"]);
    assert_eq!(sks(&collect(q().ge(20))?), ["o4", "o1"]);
    assert_eq!(sks(&collect(q().between(10, 20))?), ["o2", "o4"]);
    assert_eq!(sks(&collect(q().reverse())?), ["o1", "o4", "o2"]);
    assert_eq!(
        sks(&collect(
            q().filter_expression("customer = :c").value(":c", "ann")
        )?),
        ["o4", "o1"]
    );
    assert_eq!(
        collect(q().projection("SK, total").limit(1))?,
        vec![item! { "SK" => "o2", "total" => 7 }]
    );
    let by_expression = db
        .query_expr("#s = :s AND placed > :p")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open")
        .value(":p", 15);
    assert_eq!(sks(&collect(by_expression)?), ["o4", "o1"]);
    assert_invalid(
        collect(db.query("open").index("nope")),
        None,
        "no index named \"nope\"",
    );
    Ok(())
}

#[test]
fn items_without_the_index_key_have_no_entry() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    db.put_item(&item! { "PK" => "shop", "SK" => "draft", "customer" => "ann" })?;
    db.put_item(&item! { "PK" => "shop", "SK" => "half", "status" => "open" })?;
    seed(&db)?;
    assert_eq!(sks(&collect(db.scan().index("by_status"))?).len(), 4);
    assert!(!sks(&collect(db.scan().index("by_status"))?).contains(&"half".to_owned()));
    assert_eq!(
        sks(&query(&db, "by_customer", "ann")?),
        ["draft", "o1", "o3", "o4"]
    );
    Ok(())
}

#[test]
fn updates_move_entries_and_deletes_remove_them() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    db.update_item(("shop", "o2"), "SET #s = :s")
        .name("#s", "status")
        .value(":s", "shipped")
        .execute()?;
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o4", "o1"]);
    assert_eq!(sks(&query(&db, "by_status", "shipped")?), ["o2", "o3"]);
    // An index that keeps the changed attribute sees the new value.
    db.update_item(("shop", "o4"), "SET note = :n")
        .value(":n", "changed")
        .execute()?;
    assert_eq!(
        query(&db, "by_status", "open")?[0]["note"],
        "changed".into()
    );
    // Removing an index key attribute takes the item out of that index only.
    db.update_item(("shop", "o1"), "REMOVE customer")
        .execute()?;
    assert_eq!(sks(&query(&db, "by_customer", "ann")?), ["o3", "o4"]);
    assert_eq!(
        query(&db, "totals", "open")?,
        vec![
            item! { "PK" => "shop", "SK" => "o4", "status" => "open", "total" => 1, "customer" => "ann" },
            item! { "PK" => "shop", "SK" => "o1", "status" => "open", "total" => 5 },
        ]
    );
    db.delete_item(("shop", "o3"))?;
    assert_eq!(sks(&query(&db, "by_status", "shipped")?), ["o2"]);
    assert_eq!(sks(&query(&db, "by_customer", "ann")?), ["o4"]);
    // A put replacing an item replaces its entries.
    db.put_item(&item! { "PK" => "shop", "SK" => "o4", "status" => "void" })?;
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o1"]);
    assert_eq!(query(&db, "by_customer", "ann")?, vec![]);
    assert_eq!(query(&db, "totals", "void")?, vec![]);
    assert!(db.check()?.is_ok());
    Ok(())
}

#[test]
fn batches_and_transactions_maintain_indexes() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    let mut batch = db.batch_writer();
    batch.put_item(&order("o5", "open", 5, "cat", 2))?;
    batch.delete_item(Key::new("shop").sort("o1"))?;
    // The same key twice in one batch: the second write's entries win.
    batch.put_item(&order("o6", "open", 1, "cat", 3))?;
    batch.put_item(&order("o6", "shipped", 1, "cat", 3))?;
    batch.commit()?;
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o5", "o2", "o4"]);
    assert_eq!(sks(&query(&db, "by_status", "shipped")?), ["o6", "o3"]);
    db.transact_write()
        .action(TransactWriteItem::put(order("o7", "open", 40, "dan", 4)))
        .action(TransactWriteItem::delete(("shop", "o2")))
        .action(TransactWriteItem::update(("shop", "o4"), "SET customer = :c").value(":c", "dan"))
        .execute()?;
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o5", "o4", "o7"]);
    assert_eq!(sks(&query(&db, "by_customer", "dan")?), ["o4", "o7"]);
    // A canceled transaction writes no entry either.
    let canceled = db
        .transact_write()
        .action(TransactWriteItem::put(order("o8", "open", 50, "eve", 1)))
        .action(TransactWriteItem::condition_check(
            ("shop", "o5"),
            "attribute_not_exists(PK)",
        ))
        .execute();
    assert!(matches!(
        canceled,
        Err(dynafile::Error::TransactionCanceled { .. })
    ));
    assert_eq!(query(&db, "by_customer", "eve")?, vec![]);
    Ok(())
}

#[test]
fn a_wrongly_typed_index_key_is_refused_and_nothing_is_written() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    let bad = item! { "PK" => "shop", "SK" => "o9", "status" => "open", "placed" => "soon" };
    let message = assert_invalid(db.put_item(&bad), Some("placed"), "index \"by_status\"");
    assert!(message.contains("type N"), "{message}");
    assert_eq!(db.get_item(("shop", "o9"))?, None);
    // An update that would make it so leaves the item and its entries as they were.
    assert_invalid(
        db.update_item(("shop", "o1"), "SET customer = :c")
            .value(":c", 5)
            .execute(),
        Some("customer"),
        "index \"by_customer\"",
    );
    assert_eq!(
        db.get_item(("shop", "o1"))?,
        Some(order("o1", "open", 30, "ann", 5))
    );
    // In a batch, the whole batch is refused.
    let mut batch = db.batch_writer();
    batch.put_item(&order("o10", "open", 60, "fay", 1))?;
    batch.put_item(&bad)?;
    assert_invalid(batch.commit(), Some("placed"), "index \"by_status\"");
    assert_eq!(db.get_item(("shop", "o10"))?, None);
    assert_eq!(query(&db, "by_customer", "fay")?, vec![]);
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o2", "o4", "o1"]);
    Ok(())
}

#[test]
fn a_transaction_giving_an_index_key_the_wrong_type_is_canceled_at_that_action() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    seed(&db)?;
    let result = db
        .transact_write()
        .action(TransactWriteItem::put(order("o5", "open", 1, "gus", 1)))
        .action(TransactWriteItem::update(("shop", "o1"), "SET placed = :p").value(":p", "late"))
        .execute();
    let reasons = match result {
        Err(dynafile::Error::TransactionCanceled { reasons, .. }) => reasons,
        other => panic!("expected a canceled transaction, got {other:?}"),
    };
    assert_eq!(reasons.len(), 2);
    assert!(matches!(reasons[0], dynafile::CancellationReason::None));
    match &reasons[1] {
        dynafile::CancellationReason::ValidationError(error) => {
            assert_eq!(error.attribute.as_deref(), Some("placed"));
            assert!(error.reason.contains("index \"by_status\""), "{error}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(db.get_item(("shop", "o5"))?, None);
    assert_eq!(query(&db, "by_customer", "gus")?, vec![]);
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o2", "o4", "o1"]);
    Ok(())
}

#[test]
fn pages_of_an_index_resume_after_its_last_evaluated_key() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    // Many items share one index key: pages must resume within it.
    for i in 0..9 {
        db.put_item(&order(
            &format!("o{i}"),
            "open",
            i64::from(i % 3),
            "ann",
            i64::from(i),
        ))?;
    }
    for reverse in [false, true] {
        let full = collect(
            db.query("open")
                .index("by_status")
                .scan_index_forward(!reverse),
        )?;
        let mut paged = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = db
                .query("open")
                .index("by_status")
                .scan_index_forward(!reverse)
                .limit(2)
                .start_after_index_key(start.clone())
                .page()?;
            paged.extend(page.items);
            match page.last_evaluated_index_key {
                Some(key) => {
                    assert_eq!(key.len(), 4, "index and table key attributes: {key:?}");
                    assert!(page.last_evaluated_key.is_some());
                    start = Some(key);
                }
                None => break,
            }
        }
        assert_eq!(paged, full, "reverse: {reverse}");
        assert_eq!(full.len(), 9);
    }
    let mut scanned = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .scan()
            .index("by_customer")
            .limit(4)
            .start_after_index_key(start)
            .page()?;
        scanned.extend(page.items);
        start = page.last_evaluated_index_key;
        if start.is_none() {
            break;
        }
    }
    assert_eq!(scanned, collect(db.scan().index("by_customer"))?);
    assert_eq!(scanned.len(), 9);
    assert_invalid(
        db.query("open")
            .index("by_status")
            .start_after(Key::new("shop").sort("o1"))
            .page(),
        None,
        "start_after_index_key",
    );
    Ok(())
}

#[test]
fn index_scan_segments_are_disjoint_and_cover_the_index() -> Result<()> {
    let dir = tempdir();
    let db = orders_with_indexes(&dir.path().join("db"))?;
    for i in 0..40 {
        db.put_item(&order(
            &format!("o{i}"),
            &format!("s{}", i % 7),
            i,
            "ann",
            i,
        ))?;
    }
    let whole = collect(db.scan().index("by_status"))?;
    assert_eq!(whole.len(), 40);
    let mut parts = Vec::new();
    for segment in 0..3 {
        parts.extend(collect(db.scan().index("by_status").segment(segment, 3))?);
    }
    assert_eq!(parts, whole);
    Ok(())
}

#[test]
fn indexes_survive_reopening_and_checkpoints() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("db");
    let db = orders_with_indexes(&path)?;
    seed(&db)?;
    db.checkpoint()?;
    db.delete_item(("shop", "o4"))?;
    db.put_item(&order("o5", "open", 15, "bob", 2))?;
    drop(db);
    let db = Dynafile::builder(&path).open()?;
    assert_eq!(sks(&query(&db, "by_status", "open")?), ["o2", "o5", "o1"]);
    assert_eq!(sks(&query(&db, "by_customer", "bob")?), ["o2", "o5"]);
    db.close()?;
    let db = orders_with_indexes(&path)?;
    assert_eq!(sks(&query(&db, "totals", "open")?), ["o5", "o1", "o2"]);
    let report = db.check()?;
    assert!(report.is_ok(), "{report}");
    drop(db);
    // Declaring other indexes than the stored ones is refused.
    let other = Dynafile::builder(&path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .global_index(
            "by_status",
            "status",
            KeyType::S,
            None,
            IndexProjection::All,
        )
        .open();
    assert_invalid(other, None, "other indexes than those declared");
    assert_eq!(scan_all(&Dynafile::builder(&path).open()?)?.len(), 4);
    Ok(())
}

#[test]
fn index_definitions_are_checked() {
    let dir = tempdir();
    let builder = || Dynafile::builder(dir.path().join("db")).partition_key("PK", KeyType::S);
    let gsi = |b: dynafile::Builder, name: &str, pk: &str, t: KeyType| {
        b.global_index(name, pk, t, None, IndexProjection::All)
    };
    assert_invalid(
        gsi(builder(), "ab", "x", KeyType::S).open(),
        None,
        "3 to 255",
    );
    assert_invalid(
        gsi(
            gsi(builder(), "one", "x", KeyType::S),
            "one",
            "y",
            KeyType::S,
        )
        .open(),
        None,
        "already has an index named \"one\"",
    );
    assert_invalid(
        gsi(builder(), "pk_as_number", "PK", KeyType::N).open(),
        Some("PK"),
        "of type S elsewhere",
    );
    assert_invalid(
        builder()
            .local_index("local", "x", KeyType::S, IndexProjection::All)
            .open(),
        None,
        "needs a table with a sort key",
    );
    assert!(!dir.path().join("db").exists(), "nothing was created");
}
