//! Named regression tests: each failure the model test (or another test) found, shrunk to
//! its smallest form, with a short postmortem. They run the same [`Harness`] as `model.rs`.

mod common;

use common::{Cond, Harness, Op, Sizes, SortType};
use dynafile::{Durability, Error, KeyType, item};

/// `limit(0)` returned an empty page with no `last_evaluated_key` on a partition that had
/// items, so a pager looping until there is no resume key stopped at once and saw nothing.
/// Cause: `Items` stopped before reading anything and then had no key to resume from, so it
/// reported none. DynamoDB refuses a `Limit` below 1; queries and scans now do too, with
/// `Error::Validation`.
#[test]
fn limit_zero_is_refused_not_an_empty_result() -> dynafile::Result<()> {
    Harness::run(
        SortType::S,
        Sizes::TINY,
        Durability::Buffered,
        &[Op::Query {
            pk: 0,
            cond: Cond::All,
            reverse: false,
            limit: Some(0),
            filter: false,
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dynafile::Dynafile::builder(dir.path().join("db"))
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;
    db.put_item(&item! { "PK" => "p", "SK" => "1" })?;
    assert!(matches!(
        db.query("p").limit(0).page(),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        db.scan().limit(0).page(),
        Err(Error::Validation(_))
    ));
    assert_eq!(db.query("p").limit(1).page()?.items.len(), 1);
    Ok(())
}
