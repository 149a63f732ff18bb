//! Local secondary indexes: the table's partition key with another sort key.

mod common;

use common::{assert_invalid, collect, tempdir};
use dynafile::{Dynafile, IndexProjection, Item, KeyType, Result, item};

fn table(path: &std::path::Path) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .local_index("by_rank", "rank", KeyType::N, IndexProjection::KeysOnly)
        .local_index(
            "by_name",
            "name",
            KeyType::S,
            IndexProjection::Include(vec!["rank".into()]),
        )
        .open()
}

#[test]
fn a_local_index_orders_one_partition_by_its_sort_key() -> Result<()> {
    let dir = tempdir();
    let db = table(&dir.path().join("db"))?;
    db.put_item(&item! { "PK" => "team", "SK" => "a", "rank" => 3, "name" => "zed" })?;
    db.put_item(&item! { "PK" => "team", "SK" => "b", "rank" => -1, "name" => "amy" })?;
    db.put_item(&item! { "PK" => "team", "SK" => "c", "rank" => 3, "name" => "bo" })?;
    db.put_item(&item! { "PK" => "team", "SK" => "d", "name" => "no rank" })?;
    db.put_item(&item! { "PK" => "other", "SK" => "a", "rank" => 0 })?;
    let keys = |sk: &str, rank: i64| item! { "PK" => "team", "SK" => sk, "rank" => rank };
    assert_eq!(
        collect(db.query("team").index("by_rank"))?,
        vec![keys("b", -1), keys("a", 3), keys("c", 3)]
    );
    assert_eq!(
        collect(db.query("team").index("by_rank").ge(0).reverse())?,
        vec![keys("c", 3), keys("a", 3)]
    );
    let names: Vec<Item> = collect(db.query("team").index("by_name").begins_with("b"))?;
    assert_eq!(
        names,
        vec![item! { "PK" => "team", "SK" => "c", "name" => "bo", "rank" => 3 }]
    );
    assert_eq!(collect(db.query("team").index("by_name"))?.len(), 4);
    db.update_item(("team", "a"), "SET #r = :r")
        .name("#r", "rank")
        .value(":r", -5)
        .execute()?;
    assert_eq!(
        collect(db.query("team").index("by_rank"))?,
        vec![keys("a", -5), keys("b", -1), keys("c", 3)]
    );
    assert_invalid(
        db.put_item(&item! { "PK" => "team", "SK" => "e", "rank" => "high" }),
        Some("rank"),
        "index \"by_rank\"",
    );
    assert_eq!(db.get_item(("team", "e"))?, None);
    Ok(())
}

#[test]
fn an_empty_string_index_key_is_refused() -> Result<()> {
    let dir = tempdir();
    let db = table(&dir.path().join("db"))?;
    assert_invalid(
        db.put_item(&item! { "PK" => "team", "SK" => "a", "name" => "" }),
        Some("name"),
        "must not be an empty string",
    );
    assert_eq!(db.get_item(("team", "a"))?, None);
    Ok(())
}
