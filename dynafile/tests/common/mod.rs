//! Helpers shared by the integration tests: opening tables, collecting results, the table
//! order of keys, and paging through queries and scans.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;

use dynafile::{
    Dynafile, Error, IndexProjection, Item, Items, Key, KeyType, Number, Query, Result, Scan,
    ValidationError, Value,
};
use sha2::{Digest, Sha256};

/// Opens (or creates) the orders table of the index tests: `PK` (S) / `SK` (S); `by_status`:
/// `status` (S) / `placed` (N), all attributes; `by_customer`: `customer` (S), keys only;
/// `totals`: `status` / `total` (N) with `customer` included.
pub fn orders_with_indexes(path: &Path) -> Result<Dynafile> {
    Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .global_index(
            "by_status",
            "status",
            KeyType::S,
            Some(("placed", KeyType::N)),
            IndexProjection::All,
        )
        .global_index(
            "by_customer",
            "customer",
            KeyType::S,
            None,
            IndexProjection::KeysOnly,
        )
        .global_index(
            "totals",
            "status",
            KeyType::S,
            Some(("total", KeyType::N)),
            IndexProjection::Include(vec!["customer".into()]),
        )
        .open()
}

/// Opens (or creates) a table with partition key `PK` and, when given, sort key `SK`.
pub fn open(path: &Path, partition: KeyType, sort: Option<KeyType>) -> Result<Dynafile> {
    let mut builder = Dynafile::builder(path).partition_key("PK", partition);
    if let Some(sort) = sort {
        builder = builder.sort_key("SK", sort);
    }
    builder.open()
}

/// A table `PK (S)`, `SK (S)` in `dir/db`.
pub fn string_table(dir: &Path) -> Result<Dynafile> {
    open(&dir.join("db"), KeyType::S, Some(KeyType::S))
}

/// A number parsed from text; panics on bad test input.
pub fn num(text: &str) -> Number {
    text.parse()
        .unwrap_or_else(|e| panic!("bad number {text:?} in test: {e}"))
}

/// A number value parsed from text.
pub fn n(text: &str) -> Value {
    Value::N(num(text))
}

/// `values` sorted.
pub fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

/// Collects an iterator of results.
pub fn collect(items: impl IntoIterator<Item = Result<Item>>) -> Result<Vec<Item>> {
    items.into_iter().collect()
}

/// Every item of the table, in scan order.
pub fn scan_all(db: &Dynafile) -> Result<Vec<Item>> {
    collect(db.scan())
}

/// The values of one attribute of each item (panics when an item lacks it).
pub fn attr(items: &[Item], name: &str) -> Vec<Value> {
    items.iter().map(|item| item[name].clone()).collect()
}

/// The string values of one attribute of each item.
pub fn strs(items: &[Item], name: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            item[name]
                .as_s()
                .unwrap_or_else(|| panic!("`{name}` is not a string in {item:?}"))
                .to_owned()
        })
        .collect()
}

/// Owned strings from string literals.
pub fn owned(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}

/// The bytes a partition key value is hashed by: a string's UTF-8, a binary's bytes, a
/// number's canonical text.
pub fn partition_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::S(s) => s.as_bytes().to_vec(),
        Value::B(b) => b.clone(),
        Value::N(n) => n.to_string().into_bytes(),
        other => panic!("not a key value: {other:?}"),
    }
}

/// Where a partition sorts in the table: the first 8 bytes of SHA-256 of its bytes, then
/// the length and the bytes themselves.
pub fn partition_order(value: &Value) -> (u64, usize, Vec<u8>) {
    let bytes = partition_bytes(value);
    let digest = Sha256::digest(&bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first), bytes.len(), bytes)
}

/// Sorts items into table order: partitions by hash, then sort keys ascending (numbers
/// numerically, strings and binaries by bytes).
pub fn sort_table_order(items: &mut [Item]) {
    items.sort_by(|a, b| {
        partition_order(&a["PK"])
            .cmp(&partition_order(&b["PK"]))
            .then_with(|| sort_key_cmp(a.get("SK"), b.get("SK")))
    });
}

fn sort_key_cmp(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::S(a)), Some(Value::S(b))) => a.as_bytes().cmp(b.as_bytes()),
        (Some(Value::B(a)), Some(Value::B(b))) => a.cmp(b),
        (Some(Value::N(a)), Some(Value::N(b))) => a.cmp(b),
        (None, None) => std::cmp::Ordering::Equal,
        other => panic!("incomparable sort keys {other:?}"),
    }
}

/// The key of an item of a `PK`/`SK` table.
pub fn key_of(item: &Item) -> Key {
    let key = Key::new(item["PK"].clone());
    match item.get("SK") {
        Some(sort) => key.sort(sort.clone()),
        None => key,
    }
}

/// One page of results, read to its end.
pub struct Paged {
    pub items: Vec<Item>,
    pub last_evaluated_key: Option<Key>,
}

fn read_page(mut items: Items) -> Result<Paged> {
    let collected = items.by_ref().collect::<Result<Vec<Item>>>()?;
    Ok(Paged {
        items: collected,
        last_evaluated_key: items.last_evaluated_key(),
    })
}

/// Pages through a query with `limit`, resuming each page after the last evaluated key,
/// until a page has no last evaluated key. Returns every page's items.
pub fn query_pages(query: &Query, limit: usize) -> Result<Vec<Vec<Item>>> {
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let page = read_page(query.clone().limit(limit).start_after(start).iter()?)?;
        pages.push(page.items);
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(pages),
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

/// Pages through a scan with `limit`, as [`query_pages`].
pub fn scan_pages(scan: &Scan, limit: usize) -> Result<Vec<Vec<Item>>> {
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let page = read_page(scan.clone().limit(limit).start_after(start).iter()?)?;
        pages.push(page.items);
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(pages),
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

/// The validation details of an error, or a panic naming what the result was instead.
pub fn validation<T>(result: Result<T>) -> ValidationError {
    match result {
        Err(Error::Validation(details)) => details,
        Err(other) => panic!("expected Error::Validation, got {other:?}"),
        Ok(_) => panic!("expected Error::Validation, got Ok"),
    }
}

/// Asserts that `result` is a validation error about `attribute` whose message contains
/// `needle`, and returns the message.
pub fn assert_invalid<T>(result: Result<T>, attribute: Option<&str>, needle: &str) -> String {
    let details = validation(result);
    assert_eq!(
        details.attribute.as_deref(),
        attribute,
        "attribute named by {details:?}"
    );
    let message = Error::Validation(details).to_string();
    assert!(
        message.contains(needle),
        "message {message:?} does not contain {needle:?}"
    );
    message
}

/// A fresh temporary directory for one test's tables.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}
