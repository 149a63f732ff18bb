//! Queries through the public API: every sort key condition on string, number and binary
//! sort keys, both directions, limits and paging, filters, and reads that overlay recent
//! changes in memory on partition files.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{attr, collect, n, open, query_pages, strs};
use dynafile::{Dynafile, Item, Key, KeyType, Number, Query, Result, SortCondition, Value, item};

/// Sort keys of partition "p" of the string table, in ascending byte order.
const STRING_KEYS: [&str; 8] = ["a", "aa", "ab", "abc", "b", "ba", "c", "ä"];

/// Sort keys of partition "p" of the number table, in ascending numeric order.
const NUMBER_KEYS: [&str; 13] = [
    "-1000",
    "-10.5",
    "-10",
    "-1",
    "-0.5",
    "0",
    "0.25",
    "1",
    "2",
    "10",
    "100",
    "1E+20",
    "12345678901234567890123456789012345678",
];

/// Sort keys of partition [1, 255] of the binary table, in ascending byte order.
fn binary_keys() -> Vec<Vec<u8>> {
    vec![
        vec![0x00],
        vec![0x00, 0x01],
        vec![0x01],
        vec![0x01, 0x00],
        vec![0x01, 0xff],
        vec![0xff],
        vec![0xff, 0x00],
        vec![0xff, 0xff],
    ]
}

fn string_table(path: &Path) -> Result<Dynafile> {
    let db = open(path, KeyType::S, Some(KeyType::S))?;
    // Write out of order, with neighbours in other partitions that must not show up.
    for sk in STRING_KEYS.iter().rev() {
        db.put_item(&item! { "PK" => "p", "SK" => *sk, "v" => format!("p/{sk}") })?;
        db.put_item(&item! { "PK" => "q", "SK" => *sk })?;
        db.put_item(&item! { "PK" => "pp", "SK" => *sk })?;
    }
    Ok(db)
}

fn number_table(path: &Path) -> Result<Dynafile> {
    let db = open(path, KeyType::S, Some(KeyType::N))?;
    for sk in NUMBER_KEYS.iter().rev() {
        db.put_item(&item! { "PK" => "p", "SK" => n(sk) })?;
        db.put_item(&item! { "PK" => "q", "SK" => n(sk) })?;
    }
    Ok(db)
}

fn binary_table(path: &Path) -> Result<Dynafile> {
    let db = open(path, KeyType::B, Some(KeyType::B))?;
    for sk in binary_keys().into_iter().rev() {
        db.put_item(&item! { "PK" => vec![1u8, 0xff], "SK" => sk.clone() })?;
        db.put_item(&item! { "PK" => vec![1u8], "SK" => sk.clone() })?;
        db.put_item(&item! { "PK" => vec![1u8, 0xff, 0], "SK" => sk })?;
    }
    Ok(db)
}

/// The sort keys a query returns, forwards; also checks that the reverse query returns the
/// exact reverse and that every item is of the queried partition.
fn both_ways(query: &Query, partition: &Value) -> Result<Vec<Value>> {
    let forward = collect(query.clone())?;
    let mut reverse = collect(query.clone().reverse())?;
    let also_reverse = collect(query.clone().scan_index_forward(false))?;
    assert_eq!(
        reverse, also_reverse,
        "reverse() is scan_index_forward(false)"
    );
    let also_forward = collect(query.clone().reverse().scan_index_forward(true))?;
    assert_eq!(
        forward, also_forward,
        "scan_index_forward(true) goes forwards again"
    );
    reverse.reverse();
    assert_eq!(forward, reverse, "reverse order is the exact reverse");
    assert!(forward.iter().all(|item| &item["PK"] == partition));
    Ok(attr(&forward, "SK"))
}

fn s(keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|k| Value::from(*k)).collect()
}

fn ns(keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|k| n(k)).collect()
}

fn bs(keys: &[&[u8]]) -> Vec<Value> {
    keys.iter().map(|k| Value::B(k.to_vec())).collect()
}

fn check_string_conditions(db: &Dynafile) -> Result<()> {
    let p = Value::from("p");
    let q = || db.query("p");
    assert_eq!(both_ways(&q(), &p)?, s(&STRING_KEYS));
    assert_eq!(both_ways(&q().eq("ab"), &p)?, s(&["ab"]));
    assert_eq!(both_ways(&q().eq("zz"), &p)?, s(&[]));
    assert_eq!(both_ways(&q().lt("ab"), &p)?, s(&["a", "aa"]));
    assert_eq!(both_ways(&q().le("ab"), &p)?, s(&["a", "aa", "ab"]));
    assert_eq!(
        both_ways(&q().gt("ab"), &p)?,
        s(&["abc", "b", "ba", "c", "ä"])
    );
    assert_eq!(
        both_ways(&q().ge("ab"), &p)?,
        s(&["ab", "abc", "b", "ba", "c", "ä"])
    );
    assert_eq!(both_ways(&q().lt("a"), &p)?, s(&[]));
    assert_eq!(both_ways(&q().gt("ä"), &p)?, s(&[]));
    assert_eq!(both_ways(&q().ge("ä"), &p)?, s(&["ä"]));
    assert_eq!(both_ways(&q().le("zzz"), &p)?, s(&STRING_KEYS[..7]));
    assert_eq!(
        both_ways(&q().between("aa", "b"), &p)?,
        s(&["aa", "ab", "abc", "b"])
    );
    assert_eq!(both_ways(&q().between("ab", "ab"), &p)?, s(&["ab"]));
    assert_eq!(both_ways(&q().between("ac", "az"), &p)?, s(&[]));
    assert_eq!(
        both_ways(&q().begins_with("a"), &p)?,
        s(&["a", "aa", "ab", "abc"])
    );
    assert_eq!(both_ways(&q().begins_with("ab"), &p)?, s(&["ab", "abc"]));
    assert_eq!(both_ways(&q().begins_with("abc"), &p)?, s(&["abc"]));
    assert_eq!(both_ways(&q().begins_with("b"), &p)?, s(&["b", "ba"]));
    assert_eq!(both_ways(&q().begins_with("ä"), &p)?, s(&["ä"]));
    assert_eq!(both_ways(&q().begins_with("x"), &p)?, s(&[]));
    // The condition as a value, as the sort_key method takes it.
    assert_eq!(
        both_ways(
            &q().sort_key(SortCondition::Between("b".into(), "c".into())),
            &p
        )?,
        s(&["b", "ba", "c"])
    );
    // A later condition replaces an earlier one.
    assert_eq!(
        both_ways(&q().eq("a").begins_with("b"), &p)?,
        s(&["b", "ba"])
    );
    // Whole items, not just keys.
    assert_eq!(
        collect(q().eq("abc"))?,
        vec![item! { "PK" => "p", "SK" => "abc", "v" => "p/abc" }]
    );
    assert_eq!(collect(db.query("missing"))?, Vec::<Item>::new());
    assert_eq!(
        collect(db.query("missing").ge("a").reverse())?,
        Vec::<Item>::new()
    );
    Ok(())
}

fn check_number_conditions(db: &Dynafile) -> Result<()> {
    let p = Value::from("p");
    let q = || db.query("p");
    assert_eq!(both_ways(&q(), &p)?, ns(&NUMBER_KEYS));
    assert_eq!(both_ways(&q().eq(n("-10.50")), &p)?, ns(&["-10.5"]));
    assert_eq!(both_ways(&q().eq(n("1e1")), &p)?, ns(&["10"]));
    assert_eq!(both_ways(&q().eq(n("3")), &p)?, ns(&[]));
    assert_eq!(
        both_ways(&q().lt(n("-1")), &p)?,
        ns(&["-1000", "-10.5", "-10"])
    );
    assert_eq!(
        both_ways(&q().le(n("-1")), &p)?,
        ns(&["-1000", "-10.5", "-10", "-1"])
    );
    assert_eq!(both_ways(&q().gt(n("0")), &p)?, ns(&NUMBER_KEYS[6..]));
    assert_eq!(both_ways(&q().ge(n("0")), &p)?, ns(&NUMBER_KEYS[5..]));
    assert_eq!(both_ways(&q().gt(n("-0.75")), &p)?, ns(&NUMBER_KEYS[4..]));
    assert_eq!(
        both_ways(&q().between(n("-10"), n("1")), &p)?,
        ns(&["-10", "-1", "-0.5", "0", "0.25", "1"])
    );
    assert_eq!(
        both_ways(&q().between(n("-10.25"), n("0.1")), &p)?,
        ns(&["-10", "-1", "-0.5", "0"])
    );
    assert_eq!(
        both_ways(&q().between(n("11"), n("1E+21")), &p)?,
        ns(&["100", "1E+20"])
    );
    assert_eq!(both_ways(&q().lt(n("-1000")), &p)?, ns(&[]));
    assert_eq!(
        both_ways(&q().ge(n("12345678901234567890123456789012345678")), &p)?,
        ns(&["12345678901234567890123456789012345678"])
    );
    assert_eq!(
        both_ways(&q().gt(n("12345678901234567890123456789012345678")), &p)?,
        ns(&[])
    );
    assert_eq!(
        both_ways(
            &q().ge(n("-9.9999999999999999999999999999999999999E+125")),
            &p
        )?,
        ns(&NUMBER_KEYS)
    );
    assert_eq!(
        both_ways(
            &q().lt(n("9.9999999999999999999999999999999999999E+125")),
            &p
        )?,
        ns(&NUMBER_KEYS)
    );
    assert_eq!(both_ways(&q().lt(n("1E-130")), &p)?, ns(&NUMBER_KEYS[..6]));
    assert_eq!(both_ways(&q().gt(n("-1E-130")), &p)?, ns(&NUMBER_KEYS[5..]));
    // Integers convert into numbers.
    assert_eq!(
        both_ways(&q().between(2, 100), &p)?,
        ns(&["2", "10", "100"])
    );
    Ok(())
}

fn check_binary_conditions(db: &Dynafile) -> Result<()> {
    let p = Value::B(vec![1, 0xff]);
    let q = || db.query(vec![1u8, 0xff]);
    let all = binary_keys();
    let all: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
    assert_eq!(both_ways(&q(), &p)?, bs(&all));
    assert_eq!(both_ways(&q().eq(vec![0xffu8, 0]), &p)?, bs(&[&[0xff, 0]]));
    assert_eq!(both_ways(&q().lt(vec![1u8]), &p)?, bs(&[&[0], &[0, 1]]));
    assert_eq!(
        both_ways(&q().le(vec![1u8]), &p)?,
        bs(&[&[0], &[0, 1], &[1]])
    );
    assert_eq!(
        both_ways(&q().gt(vec![1u8]), &p)?,
        bs(&[&[1, 0], &[1, 0xff], &[0xff], &[0xff, 0], &[0xff, 0xff]])
    );
    assert_eq!(
        both_ways(&q().ge(vec![1u8, 0]), &p)?,
        bs(&[&[1, 0], &[1, 0xff], &[0xff], &[0xff, 0], &[0xff, 0xff]])
    );
    assert_eq!(
        both_ways(&q().between(vec![0u8, 1], vec![0xffu8]), &p)?,
        bs(&[&[0, 1], &[1], &[1, 0], &[1, 0xff], &[0xff]])
    );
    assert_eq!(
        both_ways(&q().begins_with(vec![1u8]), &p)?,
        bs(&[&[1], &[1, 0], &[1, 0xff]])
    );
    // Prefixes of 0xff bytes have no successor of their own length.
    assert_eq!(
        both_ways(&q().begins_with(vec![0xffu8]), &p)?,
        bs(&[&[0xff], &[0xff, 0], &[0xff, 0xff]])
    );
    assert_eq!(
        both_ways(&q().begins_with(vec![0xffu8, 0xff]), &p)?,
        bs(&[&[0xff, 0xff]])
    );
    assert_eq!(
        both_ways(&q().begins_with(vec![0u8]), &p)?,
        bs(&[&[0], &[0, 1]])
    );
    assert_eq!(both_ways(&q().begins_with(vec![2u8]), &p)?, bs(&[]));
    // Just below 0xff: the prefix's successor must not reach into the 0xff keys.
    assert_eq!(both_ways(&q().begins_with(vec![0xfeu8]), &p)?, bs(&[]));
    assert_eq!(both_ways(&q().begins_with(vec![1u8, 0xfe]), &p)?, bs(&[]));
    assert_eq!(both_ways(&q().gt(vec![0xffu8, 0xff]), &p)?, bs(&[]));
    Ok(())
}

#[test]
fn string_sort_key_conditions() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = string_table(&path)?;
    check_string_conditions(&db)?;
    db.checkpoint()?;
    check_string_conditions(&db)?;
    drop(db);
    check_string_conditions(&Dynafile::open(&path)?)
}

#[test]
fn number_sort_key_conditions() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = number_table(&path)?;
    check_number_conditions(&db)?;
    db.checkpoint()?;
    check_number_conditions(&db)?;
    drop(db);
    check_number_conditions(&Dynafile::open(&path)?)
}

#[test]
fn binary_sort_key_conditions() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = binary_table(&path)?;
    check_binary_conditions(&db)?;
    db.checkpoint()?;
    check_binary_conditions(&db)?;
    drop(db);
    check_binary_conditions(&Dynafile::open(&path)?)
}

#[test]
fn query_without_sort_key_returns_the_one_item() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::N, None)?;
    for i in 0..20 {
        db.put_item(&item! { "PK" => i, "v" => i * 2 })?;
    }
    assert_eq!(collect(db.query(7))?, vec![item! { "PK" => 7, "v" => 14 }]);
    assert_eq!(
        collect(db.query(7).reverse())?,
        vec![item! { "PK" => 7, "v" => 14 }]
    );
    assert_eq!(collect(db.query(70))?, Vec::<Item>::new());
    let page = db.query(7).limit(1).page()?;
    assert_eq!(page.items, vec![item! { "PK" => 7, "v" => 14 }]);
    assert_eq!(page.last_evaluated_key, None);
    db.checkpoint()?;
    assert_eq!(
        collect(db.query(n("7.0")))?,
        vec![item! { "PK" => 7, "v" => 14 }]
    );
    Ok(())
}

/// Pages through `query` with every limit from 1 to one past its length, forwards and
/// backwards, and checks the pages against the whole result.
fn check_paging(query: &Query) -> Result<()> {
    for reverse in [false, true] {
        let query = query.clone().scan_index_forward(!reverse);
        let all = collect(query.clone())?;
        for limit in 1..=all.len() + 1 {
            let pages = query_pages(&query, limit)?;
            let expected_pages = all.len().div_ceil(limit).max(1);
            assert_eq!(
                pages.len(),
                expected_pages,
                "limit {limit}, reverse {reverse}: no empty page at the end"
            );
            for page in &pages[..pages.len() - 1] {
                assert_eq!(page.len(), limit);
            }
            let joined: Vec<Item> = pages.concat();
            assert_eq!(joined, all, "limit {limit}, reverse {reverse}");
            // The resume key of each full page is the key of its last item.
            let mut start = None;
            for (index, page) in pages.iter().enumerate() {
                let read = query.clone().limit(limit).start_after(start).page()?;
                assert_eq!(&read.items, page);
                if index + 1 < pages.len() {
                    assert_eq!(
                        read.last_evaluated_key.as_ref(),
                        page.last().map(common::key_of).as_ref()
                    );
                } else {
                    assert_eq!(read.last_evaluated_key, None);
                }
                start = read.last_evaluated_key;
            }
        }
    }
    Ok(())
}

#[test]
fn paging_through_queries() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let db = string_table(&path)?;
    check_paging(&db.query("p"))?;
    check_paging(&db.query("p").begins_with("a"))?;
    check_paging(&db.query("p").between("ab", "c"))?;
    check_paging(&db.query("p").gt("ab"))?;
    check_paging(&db.query("p").eq("b"))?;
    check_paging(&db.query("missing"))?;
    db.checkpoint()?;
    check_paging(&db.query("p"))?;
    check_paging(&db.query("q").le("b"))?;
    let numbers = number_table(&dir.path().join("numbers"))?;
    check_paging(&numbers.query("p"))?;
    check_paging(&numbers.query("p").between(n("-10"), n("100")))?;
    numbers.checkpoint()?;
    check_paging(&numbers.query("p").lt(n("0")))?;
    Ok(())
}

#[test]
fn a_page_that_ends_at_the_end_has_no_last_evaluated_key() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(&dir.path().join("db"))?;
    // 8 items: a limit of 8 reads them all with nothing left.
    let page = db.query("p").limit(8).page()?;
    assert_eq!(strs(&page.items, "SK"), common::owned(&STRING_KEYS));
    assert_eq!(page.last_evaluated_key, None);
    // A limit of 7 leaves one.
    let page = db.query("p").limit(7).page()?;
    assert_eq!(page.items.len(), 7);
    assert_eq!(page.last_evaluated_key, Some(Key::new("p").sort("c")));
    let rest = db
        .query("p")
        .limit(7)
        .start_after(page.last_evaluated_key)
        .page()?;
    assert_eq!(strs(&rest.items, "SK"), common::owned(&["ä"]));
    assert_eq!(rest.last_evaluated_key, None);
    // Reverse: the resume key is the last key read going down.
    let page = db.query("p").reverse().limit(3).page()?;
    assert_eq!(strs(&page.items, "SK"), common::owned(&["ä", "c", "ba"]));
    assert_eq!(page.last_evaluated_key, Some(Key::new("p").sort("ba")));
    let page = db
        .query("p")
        .reverse()
        .limit(5)
        .start_after(page.last_evaluated_key)
        .page()?;
    assert_eq!(
        strs(&page.items, "SK"),
        common::owned(&["b", "abc", "ab", "aa", "a"])
    );
    assert_eq!(page.last_evaluated_key, None);
    // The iterator reports the same once exhausted.
    let mut items = db.query("p").begins_with("a").limit(4).iter()?;
    assert_eq!(items.by_ref().count(), 4);
    assert_eq!(items.last_evaluated_key(), None);
    let mut items = db.query("p").begins_with("a").limit(3).iter()?;
    assert_eq!(items.by_ref().count(), 3);
    assert_eq!(items.last_evaluated_key(), Some(Key::new("p").sort("ab")));
    Ok(())
}

#[test]
fn limit_counts_items_before_the_filter() -> Result<()> {
    let dir = common::tempdir();
    let db = open(&dir.path().join("db"), KeyType::S, Some(KeyType::N))?;
    for i in 1..=10 {
        db.put_item(&item! { "PK" => "f", "SK" => i, "even" => i % 2 == 0 })?;
    }
    let even = |item: &Item| item["even"] == Value::Bool(true);
    let query = db.query("f").filter(even);

    let sks = |pages: Vec<Vec<Item>>| -> Vec<Vec<Value>> {
        pages.iter().map(|page| attr(page, "SK")).collect()
    };
    let ints = |values: &[&[i64]]| -> Vec<Vec<Value>> {
        values
            .iter()
            .map(|page| page.iter().map(|i| Value::from(*i)).collect())
            .collect()
    };
    assert_eq!(
        sks(query_pages(&query, 3)?),
        ints(&[&[2], &[4, 6], &[8], &[10]])
    );
    assert_eq!(
        sks(query_pages(&query.clone().reverse(), 3)?),
        ints(&[&[10, 8], &[6], &[4, 2], &[]])
    );
    let page = query.clone().limit(3).page()?;
    assert_eq!(page.last_evaluated_key, Some(Key::new("f").sort(3)));
    // A page may hold nothing and still have more to read.
    let none = db.query("f").filter(|item| item["SK"] == Value::from(100));
    let page = none.clone().limit(4).page()?;
    assert_eq!(page.items, Vec::<Item>::new());
    assert_eq!(page.last_evaluated_key, Some(Key::new("f").sort(4)));
    assert_eq!(sks(query_pages(&none, 4)?), ints(&[&[], &[], &[]]));
    // The filter's last page ends with the partition: no resume key.
    let page = query.clone().limit(10).page()?;
    assert_eq!(attr(&page.items, "SK"), ints(&[&[2, 4, 6, 8, 10]])[0]);
    assert_eq!(page.last_evaluated_key, None);
    Ok(())
}

#[test]
fn filters_keep_order_and_all_must_hold() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(&dir.path().join("db"))?;
    let starts_with_a = |item: &Item| item["SK"].as_s().is_some_and(|s| s.starts_with('a'));
    assert_eq!(
        strs(&collect(db.query("p").filter(starts_with_a))?, "SK"),
        common::owned(&["a", "aa", "ab", "abc"])
    );
    assert_eq!(
        strs(
            &collect(db.query("p").filter(starts_with_a).reverse())?,
            "SK"
        ),
        common::owned(&["abc", "ab", "aa", "a"])
    );
    let two_chars = |item: &Item| item["SK"].as_s().is_some_and(|s| s.len() == 2);
    assert_eq!(
        strs(
            &collect(db.query("p").filter(starts_with_a).filter(two_chars))?,
            "SK"
        ),
        common::owned(&["aa", "ab"])
    );
    // Filters see whole items, non-key attributes too.
    assert_eq!(
        collect(
            db.query("p")
                .filter(|item| item.get("v") == Some(&Value::from("p/ba")))
        )?,
        vec![item! { "PK" => "p", "SK" => "ba", "v" => "p/ba" }]
    );
    // Filter with a condition and a direction.
    assert_eq!(
        strs(
            &collect(db.query("p").le("b").reverse().filter(starts_with_a))?,
            "SK"
        ),
        common::owned(&["abc", "ab", "aa", "a"])
    );
    assert_eq!(
        collect(db.query("p").filter(|_| false))?,
        Vec::<Item>::new()
    );
    Ok(())
}

/// The sort keys of a model partition that meet a condition, ascending.
fn model_select(model: &BTreeMap<Number, Item>, low: Option<i64>, high: Option<i64>) -> Vec<Item> {
    model
        .iter()
        .filter(|(sk, _)| low.is_none_or(|low| **sk >= Number::from(low)))
        .filter(|(sk, _)| high.is_none_or(|high| **sk <= Number::from(high)))
        .map(|(_, item)| item.clone())
        .collect()
}

/// Checks queries of partition "o" against the model.
fn check_overlay(db: &Dynafile, model: &BTreeMap<Number, Item>) -> Result<()> {
    let all = model_select(model, None, None);
    assert_eq!(collect(db.query("o"))?, all);
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(collect(db.query("o").reverse())?, reversed);
    assert_eq!(
        collect(db.query("o").between(10, 30))?,
        model_select(model, Some(10), Some(30))
    );
    assert_eq!(
        collect(db.query("o").ge(95))?,
        model_select(model, Some(95), None)
    );
    assert_eq!(
        collect(db.query("o").le(12))?,
        model_select(model, None, Some(12))
    );
    let mut low_reversed = model_select(model, None, Some(12));
    low_reversed.reverse();
    assert_eq!(collect(db.query("o").le(12).reverse())?, low_reversed);
    for sk in [0, 3, 4, 6, 39, 101] {
        assert_eq!(
            collect(db.query("o").eq(sk))?,
            model
                .get(&Number::from(sk))
                .cloned()
                .into_iter()
                .collect::<Vec<_>>(),
            "eq {sk}"
        );
        assert_eq!(
            db.get_item(("o", sk))?.as_ref(),
            model.get(&Number::from(sk))
        );
    }
    for limit in [1, 2, 5, 7] {
        assert_eq!(query_pages(&db.query("o"), limit)?.concat(), all);
        assert_eq!(
            query_pages(&db.query("o").reverse(), limit)?.concat(),
            reversed
        );
    }
    // Other partitions are untouched by the changes to "o".
    assert_eq!(collect(db.query("other"))?.len(), 40);
    Ok(())
}

#[test]
fn recent_changes_overlay_partition_files() -> Result<()> {
    let dir = common::tempdir();
    let path = dir.path().join("db");
    let builder = || {
        Dynafile::builder(&path)
            .partition_key("PK", KeyType::S)
            .sort_key("SK", KeyType::N)
            .block_size(256)
    };
    let db = builder().open()?;
    let mut model = BTreeMap::new();
    let put =
        |db: &Dynafile, model: &mut BTreeMap<Number, Item>, sk: i64, version: i64| -> Result<()> {
            let item =
                item! { "PK" => "o", "SK" => sk, "version" => version, "pad" => "y".repeat(30) };
            db.put_item(&item)?;
            model.insert(Number::from(sk), item);
            Ok(())
        };
    for sk in 0..40 {
        put(&db, &mut model, sk, 0)?;
        db.put_item(&item! { "PK" => "other", "SK" => sk })?;
    }
    db.checkpoint()?;
    check_overlay(&db, &model)?;

    // Newer versions and deletes in memory over the file.
    for sk in (0..40).step_by(2) {
        put(&db, &mut model, sk, 1)?;
    }
    for sk in (0..40).step_by(3) {
        db.delete_item(("o", sk))?;
        model.remove(&Number::from(sk));
    }
    for sk in 100..105 {
        put(&db, &mut model, sk, 1)?;
    }
    check_overlay(&db, &model)?;

    // The same changes now in a second file over the first; then a third layer in memory.
    db.checkpoint()?;
    check_overlay(&db, &model)?;
    for sk in (1..40).step_by(4) {
        db.delete_item(("o", sk))?;
        model.remove(&Number::from(sk));
    }
    for sk in (0..40).step_by(3) {
        put(&db, &mut model, sk, 2)?;
    }
    db.delete_item(("o", 104))?;
    model.remove(&Number::from(104));
    check_overlay(&db, &model)?;

    // After a reopen the memory layer is replayed from the log.
    drop(db);
    let db = builder().open()?;
    check_overlay(&db, &model)?;
    // Delete everything: the partition reads empty, in memory and in files.
    for sk in model.keys() {
        db.delete_item(("o", *sk))?;
    }
    model.clear();
    assert_eq!(collect(db.query("o"))?, Vec::<Item>::new());
    assert_eq!(collect(db.query("o").reverse())?, Vec::<Item>::new());
    db.checkpoint()?;
    check_overlay(&db, &model)?;
    Ok(())
}

#[test]
fn start_after_a_key_not_in_the_table_resumes_at_its_place() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(&dir.path().join("db"))?;
    let after = |sk: &str| -> Result<Vec<String>> {
        Ok(strs(
            &collect(db.query("p").start_after(Key::new("p").sort(sk)))?,
            "SK",
        ))
    };
    assert_eq!(after("ab")?, common::owned(&["abc", "b", "ba", "c", "ä"]));
    assert_eq!(after("abb")?, common::owned(&["abc", "b", "ba", "c", "ä"]));
    assert_eq!(after("ä")?, Vec::<String>::new());
    let before = collect(
        db.query("p")
            .reverse()
            .start_after(Key::new("p").sort("abb")),
    )?;
    assert_eq!(strs(&before, "SK"), common::owned(&["ab", "aa", "a"]));
    // With a condition, both the condition and the start key bound the read.
    let both = collect(
        db.query("p")
            .begins_with("a")
            .start_after(Key::new("p").sort("aa")),
    )?;
    assert_eq!(strs(&both, "SK"), common::owned(&["ab", "abc"]));
    // `None` starts at the beginning.
    assert_eq!(collect(db.query("p").start_after(None))?.len(), 8);
    // A start key past the condition's range leaves nothing, in memory and in files.
    for _ in 0..2 {
        let past =
            |query: dynafile::Query, sk: &str| collect(query.start_after(Key::new("p").sort(sk)));
        assert_eq!(past(db.query("p").lt("b"), "c")?, Vec::<Item>::new());
        assert_eq!(
            past(db.query("p").begins_with("b").reverse(), "a")?,
            Vec::<Item>::new()
        );
        assert_eq!(
            past(db.query("p").between("b", "ba"), "zz")?,
            Vec::<Item>::new()
        );
        assert_eq!(
            past(db.query("p").eq("b").reverse(), "b")?,
            Vec::<Item>::new()
        );
        assert_eq!(past(db.query("p").eq("b"), "b")?, Vec::<Item>::new());
        db.checkpoint()?;
    }
    Ok(())
}

/// A table `PK (S)`, `SK (N)` whose writes do not wait for the disk, for tests that write a
/// lot (what they check does not depend on durability).
fn buffered(path: &Path) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::N)
        .durability(dynafile::Durability::Buffered)
        .open()
}

/// Checks a partition "big" against the model, forwards, backwards and paged across the
/// boundaries of the chunks the memory layer is read in.
fn check_big(db: &Dynafile, model: &BTreeMap<Number, Item>) -> Result<()> {
    let all: Vec<Item> = model.values().cloned().collect();
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(collect(db.query("big"))?, all);
    assert_eq!(collect(db.query("big").reverse())?, reversed);
    for limit in [255, 256, 257, 511] {
        assert_eq!(query_pages(&db.query("big"), limit)?.concat(), all);
        assert_eq!(
            query_pages(&db.query("big").reverse(), limit)?.concat(),
            reversed
        );
    }
    let middle: Vec<Item> = model
        .range(Number::from(300)..=Number::from(900))
        .map(|(_, item)| item.clone())
        .collect();
    assert_eq!(collect(db.query("big").between(300, 900))?, middle);
    let mut middle_reversed = middle;
    middle_reversed.reverse();
    assert_eq!(
        collect(db.query("big").between(300, 900).reverse())?,
        middle_reversed
    );
    Ok(())
}

#[test]
fn long_partitions_with_many_versions_in_memory() -> Result<()> {
    let dir = common::tempdir();
    let db = buffered(&dir.path().join("db"))?;
    let mut model = BTreeMap::new();
    // Three versions of most keys, and deletes, all in the memory layer.
    for version in 0..3 {
        for sk in (0..1000).filter(|sk| sk % (version + 1) == 0) {
            let item = item! { "PK" => "big", "SK" => sk, "version" => version };
            db.put_item(&item)?;
            model.insert(Number::from(sk), item);
        }
        for sk in (version..1000).step_by(7) {
            db.delete_item(("big", sk))?;
            model.remove(&Number::from(sk));
        }
    }
    check_big(&db, &model)?;
    db.checkpoint()?;
    check_big(&db, &model)?;
    for sk in (0..1000).step_by(3) {
        let item = item! { "PK" => "big", "SK" => sk, "version" => 9 };
        db.put_item(&item)?;
        model.insert(Number::from(sk), item);
    }
    check_big(&db, &model)
}

#[test]
fn a_query_reads_one_snapshot() -> Result<()> {
    let dir = common::tempdir();
    let db = buffered(&dir.path().join("db"))?;
    let mut expected = Vec::new();
    for sk in 0..600 {
        let item = item! { "PK" => "s", "SK" => sk };
        db.put_item(&item)?;
        expected.push(item);
    }
    db.checkpoint()?;
    for sk in 600..1200 {
        let item = item! { "PK" => "s", "SK" => sk };
        db.put_item(&item)?;
        expected.push(item);
    }
    for reverse in [false, true] {
        let mut items = db.query("s").scan_index_forward(!reverse).iter()?;
        let first = items.next().transpose()?;
        // Change everything, twice over and through a checkpoint, while the query runs.
        for sk in 0..1200 {
            db.put_item(&item! { "PK" => "s", "SK" => sk, "changed" => true })?;
        }
        db.checkpoint()?;
        for sk in (0..1200).step_by(2) {
            db.delete_item(("s", sk))?;
        }
        db.put_item(&item! { "PK" => "s", "SK" => -1 })?;
        db.put_item(&item! { "PK" => "s", "SK" => 5000 })?;
        let mut seen: Vec<Item> = first.into_iter().collect();
        for item in items {
            seen.push(item?);
        }
        let mut want = expected.clone();
        if reverse {
            want.reverse();
        }
        assert_eq!(seen, want, "reverse {reverse}");
        // Put the partition back for the next round.
        db.delete_item(("s", -1))?;
        db.delete_item(("s", 5000))?;
        for item in &expected {
            db.put_item(item)?;
        }
    }
    Ok(())
}
