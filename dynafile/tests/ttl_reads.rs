//! TTL: an item whose expiry has passed is invisible to every read from that moment (get,
//! batch and transactional gets, queries, scans of every segment, index reads of every
//! projection, PartiQL, the typed API), judged against the table's clock; an expiry of the
//! current second, a non-Number, a missing one or one more than five years old never hides
//! an item.

mod common;

use std::sync::Arc;

use common::{collect, sorted, strs, tempdir};
use dynafile::{
    DynaItem, Dynafile, GetOptions, IndexProjection, Item, Key, KeyType, ManualClock, Result,
    StatementOutput, Value, item,
};
use serde::{Deserialize, Serialize};

const NOW: i64 = 1_700_000_000;
/// Five years of 365 days, DynamoDB's bound on how old an expiry may be.
const FIVE_YEARS: i64 = 5 * 365 * 24 * 3600;

fn open(path: &std::path::Path, clock: &Arc<ManualClock>) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .global_index(
            "by_team",
            "team",
            KeyType::S,
            None,
            IndexProjection::KeysOnly,
        )
        .global_index(
            "by_team_all",
            "team",
            KeyType::S,
            Some(("SK", KeyType::S)),
            IndexProjection::All,
        )
        .ttl_attribute("expires_at")
        .clock(clock.clone())
        .ttl_sweep_interval(None)
        .open()
}

/// `a/1` expired, `a/2` expiring this very second, `a/3` with a string expiry, `a/4`
/// without one, `a/5` in the future, `a/6` and `b/1` expired, `c/1` expired more than five years
/// ago (so never).
fn fill(db: &Dynafile) -> Result<()> {
    let items = [
        item! { "PK" => "a", "SK" => "1", "team" => "red", "expires_at" => NOW - 1 },
        item! { "PK" => "a", "SK" => "2", "team" => "red", "expires_at" => NOW },
        item! { "PK" => "a", "SK" => "3", "team" => "red", "expires_at" => (NOW - 10).to_string() },
        item! { "PK" => "a", "SK" => "4", "team" => "red" },
        item! { "PK" => "a", "SK" => "5", "team" => "red", "expires_at" => NOW + 1000 },
        item! { "PK" => "a", "SK" => "6", "team" => "red", "expires_at" => NOW - 3 },
        item! { "PK" => "b", "SK" => "1", "team" => "red", "expires_at" => NOW - 100 },
        item! { "PK" => "c", "SK" => "1", "team" => "red", "expires_at" => NOW - FIVE_YEARS - 1 },
    ];
    for item in &items {
        db.put_item(item)?;
    }
    Ok(())
}

fn keys(items: &[Item]) -> Vec<String> {
    let pk = strs(items, "PK");
    let sk = strs(items, "SK");
    pk.iter()
        .zip(&sk)
        .map(|(p, s)| format!("{p}/{s}"))
        .collect()
}

#[test]
fn expired_items_are_invisible_to_point_reads() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    fill(&db)?;
    assert_eq!(db.get_item(("a", "1"))?, None);
    assert_eq!(
        db.get_item(("a", "2"))?,
        Some(item! { "PK" => "a", "SK" => "2", "team" => "red", "expires_at" => NOW })
    );
    assert!(db.get_item(("a", "3"))?.is_some());
    assert!(db.get_item(("a", "4"))?.is_some());
    assert!(db.get_item(("c", "1"))?.is_some());
    assert_eq!(db.get_item(("b", "1"))?, None);
    assert_eq!(
        db.get_item_with(("a", "1"), GetOptions::new().projection("team"))?,
        None
    );
    let batch = db.batch_get([("a", "1"), ("a", "2"), ("a", "5")])?;
    assert_eq!(
        batch.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true, true]
    );
    let transact = db.transact_get([("a", "1"), ("a", "2")])?;
    assert_eq!(
        transact.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true]
    );

    // The boundary: an expiry of the current second has not passed; the next second it has.
    clock.advance_seconds(1);
    assert_eq!(db.get_item(("a", "2"))?, None);
    assert!(db.get_item(("a", "5"))?.is_some());
    clock.set_epoch_seconds(NOW + 1001);
    assert_eq!(db.get_item(("a", "5"))?, None);
    // Setting the clock back shows an item that was not swept.
    clock.set_epoch_seconds(NOW);
    assert!(db.get_item(("a", "5"))?.is_some());
    Ok(())
}

#[test]
fn expired_items_are_invisible_to_queries_scans_and_indexes() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    fill(&db)?;
    let visible = ["a/2", "a/3", "a/4", "a/5", "c/1"];
    assert_eq!(
        keys(&db.query("a").page()?.items),
        ["a/2", "a/3", "a/4", "a/5"]
    );
    assert_eq!(
        keys(&db.query("a").reverse().page()?.items),
        ["a/5", "a/4", "a/3", "a/2"]
    );
    // An expired item is not read: the limit counts visible items only.
    let page = db.query("a").limit(2).page()?;
    assert_eq!(keys(&page.items), ["a/2", "a/3"]);
    let rest = db
        .query("a")
        .limit(2)
        .start_after(page.last_evaluated_key)
        .page()?;
    assert_eq!(keys(&rest.items), ["a/4", "a/5"]);
    // Only an expired item follows: nothing is left to resume to.
    assert_eq!(rest.last_evaluated_key, None);
    assert_eq!(
        keys(
            &db.query_expr("PK = :pk AND SK < :sk")
                .value(":pk", "a")
                .value(":sk", "3")
                .page()?
                .items
        ),
        ["a/2"]
    );
    assert_eq!(sorted(keys(&common::scan_all(&db)?)), visible);
    let mut segmented = Vec::new();
    for segment in 0..3 {
        segmented.extend(keys(&db.scan().segment(segment, 3).page()?.items));
    }
    assert_eq!(sorted(segmented), visible);
    let index_keys = db.query("red").index("by_team").page()?.items;
    assert_eq!(sorted(keys(&index_keys)), visible);
    assert_eq!(
        keys(&db.query("red").index("by_team_all").page()?.items),
        ["c/1", "a/2", "a/3", "a/4", "a/5"]
    );
    assert_eq!(
        sorted(keys(&db.scan().index("by_team").page()?.items)),
        visible
    );

    clock.advance_seconds(1);
    let later = ["a/3", "a/4", "a/5", "c/1"];
    assert_eq!(sorted(keys(&common::scan_all(&db)?)), later);
    assert_eq!(
        sorted(keys(&db.query("red").index("by_team").page()?.items)),
        later
    );
    assert_eq!(
        sorted(keys(&db.scan().index("by_team_all").page()?.items)),
        later
    );
    let filtered = collect(db.scan().filter_expression("team = :t").value(":t", "red"))?;
    assert_eq!(sorted(keys(&filtered)), later);
    Ok(())
}

fn select(db: &Dynafile, statement: &str) -> Result<Vec<Item>> {
    match db.execute(statement)? {
        StatementOutput::Items(items) => items.collect(),
        other => panic!("expected items, got {other:?}"),
    }
}

#[test]
fn expired_items_are_invisible_to_partiql_select() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    fill(&db)?;
    assert_eq!(
        keys(&select(&db, r#"SELECT * FROM "db" WHERE PK = 'a'"#)?),
        ["a/2", "a/3", "a/4", "a/5"]
    );
    assert_eq!(
        select(&db, r#"SELECT * FROM "db" WHERE PK = 'a' AND SK = '1'"#)?,
        Vec::<Item>::new()
    );
    assert_eq!(
        sorted(keys(&select(&db, r#"SELECT * FROM "db""#)?)),
        ["a/2", "a/3", "a/4", "a/5", "c/1"]
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "SESSION#{id}", sk = "S")]
struct Session {
    id: u64,
    expires_at: i64,
}

#[test]
fn expired_items_are_invisible_to_the_typed_api() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    let old = Session {
        id: 1,
        expires_at: NOW - 5,
    };
    let live = Session {
        id: 2,
        expires_at: NOW + 5,
    };
    db.put(&old)?;
    db.put(&live)?;
    assert_eq!(db.get(Session::key(1))?, None);
    assert_eq!(db.get(Session::key(2))?, Some(live.clone()));
    let found: Vec<Session> = db.scan_as::<Session>().iter()?.collect::<Result<_>>()?;
    assert_eq!(found, [live]);
    // An expired item is absent: put_if_absent writes over it.
    let renewed = Session {
        id: 1,
        expires_at: NOW + 60,
    };
    db.put_if_absent(&renewed)?;
    assert_eq!(db.get(Session::key(1))?, Some(renewed));
    Ok(())
}

#[test]
fn an_item_with_a_fractional_or_huge_expiry_follows_its_number() -> Result<()> {
    let dir = tempdir();
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let db = open(&dir.path().join("db"), &clock)?;
    let fraction = common::n(&format!("{}.5", NOW - 1));
    db.put_item(&item! { "PK" => "f", "SK" => "1", "expires_at" => fraction })?;
    db.put_item(&item! { "PK" => "f", "SK" => "2", "expires_at" => common::n("1e30") })?;
    db.put_item(&item! { "PK" => "f", "SK" => "3", "expires_at" => common::n("-5") })?;
    db.put_item(
        &item! { "PK" => "f", "SK" => "4", "expires_at" => Value::Ns([common::num("1")].into()) },
    )?;
    // NOW - 0.5 has passed; 1e30 never comes; -5 is more than five years ago; a set is no Number.
    assert_eq!(keys(&db.query("f").page()?.items), ["f/2", "f/3", "f/4"]);
    assert_eq!(db.get_item(Key::new("f").sort("1"))?, None);
    Ok(())
}
