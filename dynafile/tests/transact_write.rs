//! `transact_write`: every action kind, every cancellation reason in order, the limits and
//! validation of the request, and that a canceled transaction writes nothing.

mod common;

use common::{scan_all, string_table, tempdir};
use dynafile::{
    CancellationReason, Durability, Error, IndexProjection, Item, Key, KeyType, MAX_ITEM_SIZE,
    MAX_TRANSACT_SIZE, Result, TransactWriteItem, item,
};

fn canceled<T: std::fmt::Debug>(result: Result<T>) -> Vec<CancellationReason> {
    match result {
        Err(Error::TransactionCanceled { reasons, .. }) => reasons,
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
}

fn invalid<T: std::fmt::Debug>(result: Result<T>) -> String {
    match result {
        Err(Error::Validation(error)) => error.to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn seed(db: &dynafile::Dynafile) -> Result<()> {
    db.put_item(&item! { "PK" => "acct", "SK" => "alice", "balance" => 50, "name" => "Alice" })?;
    db.put_item(&item! { "PK" => "acct", "SK" => "bob", "balance" => 10 })?;
    db.put_item(&item! { "PK" => "acct", "SK" => "carol", "balance" => 0 })?;
    Ok(())
}

#[test]
fn every_action_kind_commits_together() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    seed(&db)?;
    db.transact_write()
        .action(
            TransactWriteItem::put(item! { "PK" => "acct", "SK" => "dave", "balance" => 5 })
                .condition("attribute_not_exists(PK)"),
        )
        .action(
            TransactWriteItem::update(("acct", "alice"), "SET balance = balance - :a")
                .condition("balance >= :a")
                .value(":a", 20),
        )
        .action(
            TransactWriteItem::delete(("acct", "carol"))
                .condition("balance = :zero")
                .value(":zero", 0),
        )
        .action(
            TransactWriteItem::condition_check(("acct", "bob"), "#b > :min")
                .name("#b", "balance")
                .value(":min", 1),
        )
        .execute()?;
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "acct", "SK" => "alice", "balance" => 30, "name" => "Alice" },
            item! { "PK" => "acct", "SK" => "bob", "balance" => 10 },
            item! { "PK" => "acct", "SK" => "dave", "balance" => 5 },
        ]
    );
    Ok(())
}

#[test]
fn an_update_creates_a_missing_item_and_a_check_reads_a_missing_one_as_empty() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.transact_write()
        .action(TransactWriteItem::update(("p", "new"), "ADD hits :one").value(":one", 1))
        .action(TransactWriteItem::condition_check(
            ("p", "none"),
            "attribute_not_exists(PK)",
        ))
        .execute()?;
    assert_eq!(
        scan_all(&db)?,
        vec![item! { "PK" => "p", "SK" => "new", "hits" => 1 }]
    );
    Ok(())
}

#[test]
fn every_reason_in_order_and_nothing_written() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    seed(&db)?;
    let before = scan_all(&db)?;
    let result = db
        .transact_write()
        .action(TransactWriteItem::put(
            item! { "PK" => "acct", "SK" => "dave" },
        ))
        .action(
            TransactWriteItem::update(("acct", "bob"), "SET balance = balance - :a")
                .condition("balance >= :a")
                .value(":a", 20),
        )
        .action(TransactWriteItem::delete(("acct", "carol")))
        .action(
            TransactWriteItem::condition_check(("acct", "alice"), "balance < :max")
                .value(":max", 10)
                .return_old_on_condition_failure(),
        )
        .action(TransactWriteItem::update(("acct", "erin"), "ADD name :one").value(":one", 1))
        .action(
            // Asked for, but there is no item to return.
            TransactWriteItem::condition_check(("acct", "zed"), "attribute_exists(PK)")
                .return_old_on_condition_failure(),
        )
        .execute();
    let error = result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "transaction canceled, reasons by action: [None, ConditionalCheckFailed, None, \
         ConditionalCheckFailed, None, ConditionalCheckFailed]"
    );
    let reasons = canceled::<()>(Err(error));
    assert_eq!(
        reasons,
        vec![
            CancellationReason::None,
            CancellationReason::ConditionalCheckFailed { item: None },
            CancellationReason::None,
            CancellationReason::ConditionalCheckFailed {
                item: Some(Box::new(
                    item! { "PK" => "acct", "SK" => "alice", "balance" => 50, "name" => "Alice" }
                )),
            },
            CancellationReason::None,
            CancellationReason::ConditionalCheckFailed { item: None },
        ]
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn an_update_invalid_for_the_stored_item_is_a_validation_reason() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    seed(&db)?;
    let before = scan_all(&db)?;
    let reasons = canceled(
        db.transact_write()
            .action(TransactWriteItem::delete(("acct", "carol")))
            .action(TransactWriteItem::update(("acct", "alice"), "ADD name :one").value(":one", 1))
            .execute(),
    );
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0], CancellationReason::None);
    let CancellationReason::ValidationError(error) = &reasons[1] else {
        panic!("expected a validation reason, got {:?}", reasons[1]);
    };
    assert_eq!(reasons[1].code(), "ValidationError");
    assert_eq!(error.attribute.as_deref(), Some("name"));
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn an_update_that_makes_an_item_too_large_is_a_validation_reason() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let half = "x".repeat(MAX_ITEM_SIZE / 2 + 10);
    db.put_item(&item! { "PK" => "big", "SK" => "1", "a" => half.clone() })?;
    let before = scan_all(&db)?;
    let reasons = canceled(
        db.transact_write()
            .action(TransactWriteItem::put(
                item! { "PK" => "small", "SK" => "1" },
            ))
            .action(TransactWriteItem::update(("big", "1"), "SET b = :half").value(":half", half))
            .execute(),
    );
    assert_eq!(reasons[0], CancellationReason::None);
    let CancellationReason::ValidationError(error) = &reasons[1] else {
        panic!("expected a validation reason, got {:?}", reasons[1]);
    };
    assert!(
        error.reason.starts_with("item size is ") && error.reason.ends_with("(400 KB)"),
        "{error}"
    );
    assert_eq!(reasons[1].to_string(), format!("ValidationError: {error}"));
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn limits_of_the_request() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let puts = |count: usize| {
        (0..count).map(|i| TransactWriteItem::put(item! { "PK" => "p", "SK" => format!("{i:03}") }))
    };
    assert_eq!(
        invalid(db.transact_write().execute()),
        "a transaction needs at least one action"
    );
    assert_eq!(
        invalid(db.transact_write().actions(puts(101)).execute()),
        "a transaction has at most 100 actions, not 101"
    );
    assert_eq!(scan_all(&db)?.len(), 0);
    db.transact_write().actions(puts(100)).execute()?;
    assert_eq!(scan_all(&db)?.len(), 100);
    Ok(())
}

#[test]
fn two_actions_on_one_item_are_refused() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let result = db
        .transact_write()
        .action(TransactWriteItem::put(item! { "PK" => "a", "SK" => "1" }))
        .action(TransactWriteItem::put(item! { "PK" => "b", "SK" => "1" }))
        .action(TransactWriteItem::condition_check(
            ("a", "1"),
            "attribute_not_exists(PK)",
        ))
        .execute();
    assert_eq!(
        invalid(result),
        "actions 0 and 2 are on the same item; a transaction cannot include multiple \
         operations on one item"
    );
    assert_eq!(scan_all(&db)?, Vec::<Item>::new());
    Ok(())
}

#[test]
fn a_bad_action_is_refused_before_anything_runs_and_named() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let good = || TransactWriteItem::put(item! { "PK" => "a", "SK" => "1" });
    let cases = [
        (
            TransactWriteItem::put(item! { "PK" => "b" }),
            "attribute `SK`: the sort key is missing (action 1)",
        ),
        (
            TransactWriteItem::delete(Key::new("b")),
            "attribute `SK`: the sort key is missing (action 1)",
        ),
        (
            TransactWriteItem::update(("b", "1"), "SET v = :v"),
            "invalid update expression \"SET v = :v\": the value placeholder `:v` is not defined at \
             position 8 (action 1)",
        ),
        (
            TransactWriteItem::delete(("b", "1")).value(":unused", 1),
            "the value placeholder `:unused` is not used in any expression of the request (action 1)",
        ),
    ];
    for (action, message) in cases {
        let result = db.transact_write().action(good()).action(action).execute();
        assert_eq!(invalid(result), message);
    }
    assert_eq!(scan_all(&db)?, Vec::<Item>::new());
    Ok(())
}

#[test]
fn placeholders_belong_to_their_action() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    db.transact_write()
        .action(
            TransactWriteItem::update(("a", "1"), "SET #v = :v")
                .name("#v", "x")
                .value(":v", 1),
        )
        .action(
            TransactWriteItem::update(("a", "2"), "SET #v = :v")
                .name("#v", "y")
                .value(":v", 2),
        )
        .execute()?;
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "a", "SK" => "1", "x" => 1 },
            item! { "PK" => "a", "SK" => "2", "y" => 2 },
        ]
    );
    Ok(())
}

#[test]
fn a_committed_transaction_survives_reopening() -> Result<()> {
    let dir = tempdir();
    {
        let db = string_table(dir.path())?;
        seed(&db)?;
        db.transact_write()
            .action(TransactWriteItem::delete(("acct", "alice")))
            .action(TransactWriteItem::update(("acct", "bob"), "SET balance = :b").value(":b", 60))
            .durability(Durability::Buffered)
            .execute()?;
        let canceled_reasons = canceled(
            db.transact_write()
                .action(TransactWriteItem::delete(("acct", "bob")))
                .action(TransactWriteItem::condition_check(
                    ("acct", "alice"),
                    "attribute_exists(PK)",
                ))
                .execute(),
        );
        assert_eq!(canceled_reasons[0], CancellationReason::None);
        db.close()?;
    }
    let db = string_table(dir.path())?;
    assert_eq!(
        scan_all(&db)?,
        vec![
            item! { "PK" => "acct", "SK" => "bob", "balance" => 60 },
            item! { "PK" => "acct", "SK" => "carol", "balance" => 0 },
        ]
    );
    Ok(())
}

#[test]
fn the_items_of_a_transaction_are_at_most_4_mb() -> Result<()> {
    let dir = tempdir();
    let db = string_table(dir.path())?;
    let filler = "x".repeat(MAX_ITEM_SIZE - 1000);
    let big = |i: usize| item! { "PK" => "big", "SK" => format!("{i:02}"), "a" => filler.clone() };
    let puts = |count: usize| (0..count).map(|i| TransactWriteItem::put(big(i)));
    let too_large = |size: usize| {
        format!(
            "the items of a transaction are {size} bytes, more than the maximum of 4194304 \
             bytes (4 MB)"
        )
    };
    let size = big(0).size();
    let result = db.transact_write().actions(puts(11)).execute();
    assert_eq!(invalid(result), too_large(11 * size));
    // Ten fit; an update that makes the eleventh item large is found at commit.
    db.put_item(&item! { "PK" => "small", "SK" => "1" })?;
    let grow = TransactWriteItem::update(("small", "1"), "SET a = :filler")
        .value(":filler", filler.clone());
    let grown_size = item! { "PK" => "small", "SK" => "1", "a" => filler.clone() }.size();
    let result = db.transact_write().actions(puts(10)).action(grow).execute();
    assert_eq!(invalid(result), too_large(10 * size + grown_size));
    assert_eq!(scan_all(&db)?, vec![item! { "PK" => "small", "SK" => "1" }]);
    db.transact_write().actions(puts(10)).execute()?;
    assert_eq!(scan_all(&db)?.len(), 11);
    Ok(())
}

/// What the 4 MB limit counts, pinned at its boundary: the sizes of the items the
/// transaction writes (puts, and updates by their new item), as DynamoDB's "aggregate size
/// of the items in the transaction". Not the index entries those items get (here an index
/// projecting every attribute, which would double the bytes), nor deleted or
/// condition-checked items. Exactly 4 MB commits; one byte more is refused.
#[test]
fn the_4_mb_limit_counts_written_items_only_at_its_boundary() -> Result<()> {
    let dir = tempdir();
    let db = dynafile::Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .global_index("by_g", "g", KeyType::S, None, IndexProjection::All)
        .open()?;
    let filler = "x".repeat(MAX_ITEM_SIZE - 1000);
    let big = |pk: &str, i: usize| {
        item! { "PK" => pk, "SK" => format!("{i:02}"), "g" => "all", "a" => filler.clone() }
    };
    // Items a delete and a condition check name: as large as any.
    db.put_item(&big("old", 0))?;
    db.put_item(&big("old", 1))?;
    // Ten large puts, and an update whose new item fills the rest to `total` bytes.
    db.put_item(&item! { "PK" => "grow", "SK" => "00", "g" => "all" })?;
    let transaction = |total: usize| {
        let puts: usize = (0..10).map(|i| big("new", i).size()).sum();
        let base = item! { "PK" => "grow", "SK" => "00", "g" => "all", "a" => "" }.size();
        let rest = "y".repeat(total - puts - base);
        let grown = item! { "PK" => "grow", "SK" => "00", "g" => "all", "a" => rest.clone() };
        assert_eq!(puts + grown.size(), total);
        db.transact_write()
            .actions((0..10).map(|i| TransactWriteItem::put(big("new", i))))
            .action(TransactWriteItem::update(("grow", "00"), "SET a = :a").value(":a", rest))
            .action(TransactWriteItem::delete(("old", "00")))
            .action(TransactWriteItem::condition_check(
                ("old", "01"),
                "attribute_exists(a)",
            ))
    };
    let over = transaction(MAX_TRANSACT_SIZE + 1).execute();
    assert_eq!(
        invalid(over),
        format!(
            "the items of a transaction are {} bytes, more than the maximum of 4194304 bytes \
             (4 MB)",
            MAX_TRANSACT_SIZE + 1
        )
    );
    assert_eq!(db.query("new").iter()?.count(), 0);
    transaction(MAX_TRANSACT_SIZE).execute()?;
    assert_eq!(db.query("new").iter()?.count(), 10);
    assert_eq!(db.get_item(("old", "00"))?, None);
    // 10 puts, the grown item and the checked one: all in the index, whole.
    assert_eq!(db.query("all").index("by_g").iter()?.count(), 12);
    Ok(())
}
