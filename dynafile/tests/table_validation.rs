//! Bad input through the public API: each is a typed error whose message names the attribute
//! and what is wrong, and the table is exactly as it was afterwards.

mod common;

use common::{assert_invalid, n, open, scan_all};
use dynafile::{
    Dynafile, Error, Item, Key, KeyType, MAX_ITEM_SIZE, MAX_NESTING_DEPTH, MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES, Map, Number, NumberError, Result, Value, WriteOptions, item,
};
use serde_json::json;

/// A table `PK (S)`, `SK (S)` holding a few items, and its full scan.
fn table(dir: &std::path::Path) -> Result<(Dynafile, Vec<Item>)> {
    let db = open(&dir.join("db"), KeyType::S, Some(KeyType::S))?;
    db.put_item(&item! { "PK" => "a", "SK" => "1", "v" => 1 })?;
    db.put_item(&item! { "PK" => "a", "SK" => "2", "v" => 2 })?;
    db.checkpoint()?;
    db.put_item(&item! { "PK" => "b", "SK" => "1", "v" => 3 })?;
    let before = scan_all(&db)?;
    assert_eq!(before.len(), 3);
    Ok((db, before))
}

/// Asserts that a put of `item` is refused with a validation error about `attribute`
/// containing `needle`, through every write path, and that the table is unchanged.
fn refused_put(
    db: &Dynafile,
    before: &[Item],
    item: &Item,
    attribute: Option<&str>,
    needle: &str,
) -> Result<String> {
    let message = assert_invalid(db.put_item(item), attribute, needle);
    assert_invalid(
        db.put_item_with(item, WriteOptions::new().return_old()),
        attribute,
        needle,
    );
    let mut batch = db.batch_writer();
    assert_invalid(batch.put_item(item), attribute, needle);
    assert!(batch.is_empty());
    batch.commit()?;
    assert_eq!(
        scan_all(db)?,
        before,
        "the table is unchanged after {message:?}"
    );
    Ok(message)
}

/// Asserts that `key` is refused by every call taking a key, and the table is unchanged.
fn refused_key(
    db: &Dynafile,
    before: &[Item],
    key: Key,
    attribute: Option<&str>,
    needle: &str,
) -> Result<String> {
    let message = assert_invalid(db.get_item(key.clone()), attribute, needle);
    assert_invalid(db.delete_item(key.clone()), attribute, needle);
    assert_invalid(
        db.delete_item_with(key.clone(), WriteOptions::new().return_old()),
        attribute,
        needle,
    );
    assert_invalid(db.batch_get([key.clone()]), attribute, needle);
    let mut batch = db.batch_writer();
    assert_invalid(batch.delete_item(key), attribute, needle);
    batch.commit()?;
    assert_eq!(
        scan_all(db)?,
        before,
        "the table is unchanged after {message:?}"
    );
    Ok(message)
}

#[test]
fn missing_key_attributes() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    let message = refused_put(
        &db,
        &before,
        &item! { "SK" => "1", "v" => 9 },
        Some("PK"),
        "the partition key is missing",
    )?;
    assert_eq!(message, "attribute `PK`: the partition key is missing");
    let message = refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "v" => 9 },
        Some("SK"),
        "the sort key is missing",
    )?;
    assert_eq!(message, "attribute `SK`: the sort key is missing");
    // Attribute names are case-sensitive.
    refused_put(
        &db,
        &before,
        &item! { "pk" => "a", "sk" => "1" },
        Some("PK"),
        "the partition key is missing",
    )?;
    refused_key(
        &db,
        &before,
        Key::new("a"),
        Some("SK"),
        "the sort key is missing",
    )?;
    assert_invalid(
        db.get_item(&item! { "PK" => "a" }),
        Some("SK"),
        "the sort key is missing",
    );
    assert_invalid(
        db.get_item(Item::new()),
        Some("PK"),
        "the partition key is missing",
    );
    Ok(())
}

#[test]
fn wrongly_typed_key_attributes() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    let message = refused_put(
        &db,
        &before,
        &item! { "PK" => 1, "SK" => "1" },
        Some("PK"),
        "the partition key must be of type S, not N",
    )?;
    assert_eq!(
        message,
        "attribute `PK`: the partition key must be of type S, not N"
    );
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => vec![1u8] },
        Some("SK"),
        "the sort key must be of type S, not B",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => Value::string_set(["a"]), "SK" => "1" },
        Some("PK"),
        "the partition key must be of type S, not SS",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => Value::Null },
        Some("SK"),
        "the sort key must be of type S, not NULL",
    )?;
    refused_key(
        &db,
        &before,
        Key::new("a").sort(true),
        Some("SK"),
        "the sort key must be of type S, not BOOL",
    )?;
    // On a number-keyed table, a string that looks like a number is still a string.
    let numbers = open(&dir.path().join("numbers"), KeyType::N, Some(KeyType::N))?;
    numbers.put_item(&item! { "PK" => 1, "SK" => 2 })?;
    let before_numbers = scan_all(&numbers)?;
    refused_put(
        &numbers,
        &before_numbers,
        &item! { "PK" => "1", "SK" => 2 },
        Some("PK"),
        "the partition key must be of type N, not S",
    )?;
    refused_key(
        &numbers,
        &before_numbers,
        Key::new(1).sort("2"),
        Some("SK"),
        "the sort key must be of type N, not S",
    )?;
    Ok(())
}

#[test]
fn empty_string_and_binary_keys() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "", "SK" => "1" },
        Some("PK"),
        "the partition key must not be an empty string or binary",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "" },
        Some("SK"),
        "the sort key must not be an empty string or binary",
    )?;
    refused_key(
        &db,
        &before,
        Key::new("").sort("1"),
        Some("PK"),
        "must not be an empty string",
    )?;
    let binary = open(&dir.path().join("binary"), KeyType::B, Some(KeyType::B))?;
    binary.put_item(&item! { "PK" => vec![0u8], "SK" => vec![0u8] })?;
    let before_binary = scan_all(&binary)?;
    refused_put(
        &binary,
        &before_binary,
        &item! { "PK" => Vec::<u8>::new(), "SK" => vec![1u8] },
        Some("PK"),
        "the partition key must not be an empty string or binary",
    )?;
    refused_put(
        &binary,
        &before_binary,
        &item! { "PK" => vec![1u8], "SK" => Vec::<u8>::new() },
        Some("SK"),
        "the sort key must not be an empty string or binary",
    )?;
    // Empty strings and binaries are fine as other attributes.
    db.put_item(&item! { "PK" => "c", "SK" => "1", "s" => "", "b" => Vec::<u8>::new() })?;
    assert_eq!(
        db.get_item(("c", "1"))?,
        Some(item! { "PK" => "c", "SK" => "1", "s" => "", "b" => Vec::<u8>::new() })
    );
    Ok(())
}

#[test]
fn key_length_limits() -> Result<()> {
    assert_eq!(MAX_PARTITION_KEY_BYTES, 2048);
    assert_eq!(MAX_SORT_KEY_BYTES, 1024);
    let dir = common::tempdir();
    let (db, mut before) = table(dir.path())?;
    // At the limits: stored and read back, also from a partition file.
    let longest = item! { "PK" => "p".repeat(2048), "SK" => "s".repeat(1024), "v" => 1 };
    db.put_item(&longest)?;
    // Limits are in bytes: 1024 two-byte characters are 2048 bytes.
    let wide = item! { "PK" => "é".repeat(1024), "SK" => "ü".repeat(512) };
    db.put_item(&wide)?;
    db.checkpoint()?;
    assert_eq!(db.get_item(&longest)?, Some(longest.clone()));
    assert_eq!(
        common::collect(db.query("p".repeat(2048)).eq("s".repeat(1024)))?,
        vec![longest.clone()]
    );
    assert_eq!(db.get_item(&wide)?, Some(wide.clone()));
    before.push(longest);
    before.push(wide);
    common::sort_table_order(&mut before);
    assert_eq!(scan_all(&db)?, before);

    let message = refused_put(
        &db,
        &before,
        &item! { "PK" => "p".repeat(2049), "SK" => "s" },
        Some("PK"),
        "the partition key is 2049 bytes, more than the maximum of 2048",
    )?;
    assert!(message.starts_with("attribute `PK`: "), "{message}");
    refused_put(
        &db,
        &before,
        &item! { "PK" => "é".repeat(1025), "SK" => "s" },
        Some("PK"),
        "the partition key is 2050 bytes, more than the maximum of 2048",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "p", "SK" => "s".repeat(1025) },
        Some("SK"),
        "the sort key is 1025 bytes, more than the maximum of 1024",
    )?;
    refused_key(
        &db,
        &before,
        Key::new("p".repeat(2049)).sort("s"),
        Some("PK"),
        "the partition key is 2049 bytes",
    )?;
    refused_key(
        &db,
        &before,
        Key::new("p").sort("ü".repeat(513)),
        Some("SK"),
        "the sort key is 1026 bytes",
    )?;
    assert_invalid(
        db.query("p".repeat(2049)).iter(),
        Some("PK"),
        "the partition key is 2049 bytes",
    );
    assert_invalid(
        db.query("p").ge("s".repeat(1025)).iter(),
        Some("SK"),
        "the sort key is 1025 bytes",
    );
    // Binary keys count bytes too.
    let binary = open(&dir.path().join("binary"), KeyType::B, Some(KeyType::B))?;
    binary.put_item(&item! { "PK" => vec![7u8; 2048], "SK" => vec![8u8; 1024] })?;
    let before_binary = scan_all(&binary)?;
    refused_put(
        &binary,
        &before_binary,
        &item! { "PK" => vec![7u8; 2049], "SK" => vec![8u8] },
        Some("PK"),
        "the partition key is 2049 bytes",
    )?;
    refused_put(
        &binary,
        &before_binary,
        &item! { "PK" => vec![7u8], "SK" => vec![8u8; 1025] },
        Some("SK"),
        "the sort key is 1025 bytes",
    )?;
    Ok(())
}

#[test]
fn item_size_limit_by_dynamodb_rule() -> Result<()> {
    assert_eq!(MAX_ITEM_SIZE, 400 * 1024);
    let dir = common::tempdir();
    let (db, mut before) = table(dir.path())?;
    // By the rule: "PK" + "p" = 3, "SK" + "s" = 3, "n" + a 38-digit number (19 + 1) = 21,
    // "l" + [1, "ab"] (3 + (1 + 2) + (1 + 2)) = 10, "data" + its string = 4 + len.
    let sized = |len: usize| {
        item! {
            "PK" => "p",
            "SK" => "s",
            "n" => n("12345678901234567890123456789012345678"),
            "l" => vec![Value::from(1), Value::from("ab")],
            "data" => "d".repeat(len),
        }
    };
    let at_limit = sized(409_600 - 41);
    assert_eq!(at_limit.size(), MAX_ITEM_SIZE);
    db.put_item(&at_limit)?;
    db.checkpoint()?;
    assert_eq!(db.get_item(("p", "s"))?, Some(at_limit.clone()));
    before.push(at_limit);
    common::sort_table_order(&mut before);
    assert_eq!(scan_all(&db)?, before);

    let over = sized(409_600 - 40);
    assert_eq!(over.size(), MAX_ITEM_SIZE + 1);
    let message = refused_put(
        &db,
        &before,
        &over,
        None,
        "item size is 409601 bytes, more than the maximum of 409600 bytes (400 KB)",
    )?;
    assert_eq!(
        message,
        "item size is 409601 bytes, more than the maximum of 409600 bytes (400 KB)"
    );
    // The replaced item is still the one at the limit.
    assert_eq!(
        db.get_item(("p", "s"))?.map(|i| i.size()),
        Some(MAX_ITEM_SIZE)
    );
    // Attribute names count: a longer name tips the same item over.
    let mut renamed = sized(409_600 - 41);
    let data = renamed.remove("data").unwrap_or(Value::Null);
    renamed.insert("data!", data);
    refused_put(&db, &before, &renamed, None, "item size is 409601 bytes")?;
    Ok(())
}

fn nested_list(depth: usize) -> Value {
    let mut value = Value::from("leaf");
    for _ in 0..depth {
        value = Value::L(vec![value]);
    }
    value
}

fn nested_map(depth: usize) -> Value {
    let mut value = Value::from(1);
    for level in 0..depth {
        value = Value::M(Map::from([(format!("level{level}"), value)]));
    }
    value
}

#[test]
fn nesting_depth_limit() -> Result<()> {
    assert_eq!(MAX_NESTING_DEPTH, 32);
    let dir = common::tempdir();
    let (db, mut before) = table(dir.path())?;
    let deepest =
        item! { "PK" => "deep", "SK" => "1", "l" => nested_list(32), "m" => nested_map(32) };
    db.put_item(&deepest)?;
    db.checkpoint()?;
    assert_eq!(db.get_item(("deep", "1"))?, Some(deepest.clone()));
    before.push(deepest);
    common::sort_table_order(&mut before);

    let message = refused_put(
        &db,
        &before,
        &item! { "PK" => "deep", "SK" => "2", "l" => nested_list(33) },
        Some("l"),
        "lists and maps are nested more than 32 levels deep",
    )?;
    assert_eq!(
        message,
        "attribute `l`: lists and maps are nested more than 32 levels deep"
    );
    refused_put(
        &db,
        &before,
        &item! { "PK" => "deep", "SK" => "1", "m" => nested_map(33) },
        Some("m"),
        "nested more than 32 levels deep",
    )?;
    // Lists in maps in lists count together.
    let mut mixed = Value::from(true);
    for level in 0..33 {
        mixed = if level % 2 == 0 {
            Value::L(vec![mixed])
        } else {
            Value::M(Map::from([("x".to_owned(), mixed)]))
        };
    }
    refused_put(
        &db,
        &before,
        &item! { "PK" => "deep", "SK" => "3", "mixed" => mixed },
        Some("mixed"),
        "nested more than 32 levels deep",
    )?;
    Ok(())
}

#[test]
fn numbers_out_of_range() -> Result<()> {
    let parse = |text: &str| text.parse::<Number>();
    assert_eq!(parse("1e126"), Err(NumberError::Overflow));
    assert_eq!(parse("-1e126"), Err(NumberError::Overflow));
    assert_eq!(parse("1e-131"), Err(NumberError::Underflow));
    assert_eq!(
        parse("123456789012345678901234567890123456789"),
        Err(NumberError::TooManyDigits)
    );
    assert_eq!(
        parse("1.23456789012345678901234567890123456789"),
        Err(NumberError::TooManyDigits)
    );
    assert_eq!(parse("NaN"), Err(NumberError::Invalid("NaN".into())));
    assert_eq!(parse("1 000"), Err(NumberError::Invalid("1 000".into())));
    assert_eq!(parse(""), Err(NumberError::Invalid(String::new())));
    // The edges themselves are fine.
    assert!(parse("9.9999999999999999999999999999999999999e125").is_ok());
    assert!(parse("1e-130").is_ok());
    assert!(parse("12345678901234567890123456789012345678000").is_ok());
    // Messages say what is wrong.
    assert_eq!(
        NumberError::TooManyDigits.to_string(),
        "number needs more than 38 significant digits"
    );
    assert!(
        NumberError::Overflow
            .to_string()
            .contains("number overflow")
    );
    assert!(
        NumberError::Underflow
            .to_string()
            .contains("number underflow")
    );
    // Through conversions into dynafile's error, naming the attribute path.
    let error = Error::from(NumberError::Overflow);
    assert!(matches!(error, Error::Validation(_)));
    assert_invalid(
        dynafile::Item::from_json(&json!({"PK": "a", "big": 1e300})),
        Some("big"),
        "cannot store JSON number 1e+300: number overflow",
    );
    assert_invalid(
        dynafile::Item::from_json(&json!({"PK": "a", "nested": {"list": [1, 1e-300]}})),
        Some("nested.list[1]"),
        "number underflow",
    );
    assert_invalid(
        dynafile::Item::from_dynamodb_json(&json!({"n": {"N": "1e126"}})),
        Some("n"),
        "number overflow",
    );
    assert_invalid(
        dynafile::Item::from_dynamodb_json(
            &json!({"n": {"N": "123456789012345678901234567890123456789"}}),
        ),
        Some("n"),
        "more than 38 significant digits",
    );
    assert!(Value::try_from(f64::NAN).is_err());
    assert!(Value::try_from(f64::INFINITY).is_err());
    Ok(())
}

#[test]
fn empty_and_duplicate_sets() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "9", "ss" => Value::string_set(Vec::<String>::new()) },
        Some("ss"),
        "an SS set must not be empty",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "9", "ns" => Value::number_set(Vec::<Number>::new()) },
        Some("ns"),
        "an NS set must not be empty",
    )?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "9", "bs" => Value::binary_set(Vec::<Vec<u8>>::new()) },
        Some("bs"),
        "a BS set must not be empty",
    )?;
    // Inside a map or list the top-level attribute is named.
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "9", "outer" => Value::M(Map::from([("inner".to_owned(), Value::L(vec![Value::string_set(Vec::<String>::new())]))])) },
        Some("outer"),
        "an SS set must not be empty",
    )?;
    // DynamoDB JSON rejects duplicate values (naming the second), by value for numbers.
    assert_invalid(
        Item::from_dynamodb_json(&json!({"tags": {"SS": ["x", "y", "x"]}})),
        Some("tags[2]"),
        "duplicate value \"x\" in SS set",
    );
    assert_invalid(
        Item::from_dynamodb_json(&json!({"m": {"M": {"ns": {"NS": ["1", "1.0"]}}}})),
        Some("m.ns[1]"),
        "duplicate value \"1.0\" in NS set",
    );
    assert_invalid(
        Item::from_dynamodb_json(&json!({"bs": {"BS": ["AAE=", "AAE="]}})),
        Some("bs[1]"),
        "duplicate value \"AAE=\" in BS set",
    );
    assert_invalid(
        Item::from_dynamodb_json(&json!({"ss": {"SS": []}})),
        Some("ss"),
        "an SS set must not be empty",
    );
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn empty_attribute_names() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    refused_put(
        &db,
        &before,
        &item! { "PK" => "a", "SK" => "9", "" => 1 },
        None,
        "attribute names must not be empty",
    )?;
    Ok(())
}

#[test]
fn bad_queries() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    // A sort key condition on a table without a sort key.
    let plain = open(&dir.path().join("plain"), KeyType::S, None)?;
    plain.put_item(&item! { "PK" => "a" })?;
    let message = assert_invalid(
        plain.query("a").eq("x").iter(),
        None,
        "a sort key condition needs a sort key, and the table has none",
    );
    assert!(
        message.contains("(partition key PK (S), no sort key)"),
        "{message}"
    );
    assert_invalid(
        plain.query("a").begins_with("x").page(),
        None,
        "needs a sort key",
    );
    // A sort key value on a table without one, as a key.
    let message = assert_invalid(
        plain.get_item(("a", "x")),
        None,
        "the key has a sort key value, but the table has none",
    );
    assert!(
        message.contains("partition key PK (S), no sort key"),
        "{message}"
    );
    assert_eq!(scan_all(&plain)?, vec![item! { "PK" => "a" }]);

    // begins_with on a number sort key.
    let numbers = open(&dir.path().join("numbers"), KeyType::S, Some(KeyType::N))?;
    numbers.put_item(&item! { "PK" => "a", "SK" => 1 })?;
    assert_invalid(
        numbers.query("a").begins_with(n("1")).iter(),
        Some("SK"),
        "begins_with needs a string or binary sort key",
    );
    // BETWEEN with its bounds the wrong way round, for numbers (numeric order) and strings.
    for (low, high) in [(10, 2), (-1, -2)] {
        assert_invalid(
            numbers.query("a").between(low, high).iter(),
            Some("SK"),
            "BETWEEN needs its lower bound at most its upper bound",
        );
    }
    assert!(numbers.query("a").between(-2, -1).iter().is_ok());
    assert_invalid(
        db.query("a").between("b", "a").iter(),
        Some("SK"),
        "BETWEEN needs its lower bound at most its upper bound",
    );
    assert_eq!(common::collect(db.query("a").between("1", "1"))?.len(), 1);

    // A start key outside the queried partition.
    for reverse in [false, true] {
        assert_invalid(
            db.query("a")
                .scan_index_forward(!reverse)
                .start_after(Key::new("b").sort("1"))
                .iter(),
            None,
            "the start key is not in the queried partition",
        );
    }
    assert_invalid(
        db.query("a").start_after(Key::new("a")).iter(),
        Some("SK"),
        "the sort key is missing",
    );

    // Key values of the wrong type.
    assert_invalid(
        db.query(5).iter(),
        Some("PK"),
        "the partition key must be of type S, not N",
    );
    assert_invalid(
        db.query("a").eq(5).iter(),
        Some("SK"),
        "the sort key must be of type S, not N",
    );
    assert_invalid(
        numbers.query("a").lt("5").iter(),
        Some("SK"),
        "the sort key must be of type N, not S",
    );
    assert_invalid(
        db.query("").iter(),
        Some("PK"),
        "must not be an empty string",
    );
    assert_invalid(
        db.query("a").ge("").iter(),
        Some("SK"),
        "must not be an empty string",
    );

    // As an iterator, the error is the only item.
    let mut items = db.query(5).into_iter();
    assert!(matches!(items.next(), Some(Err(Error::Validation(_)))));
    assert!(items.next().is_none());
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

/// A limit of 0 read nothing and reported no last evaluated key, so a caller paging through
/// a query or scan was told it had seen everything. DynamoDB refuses `Limit` below 1.
#[test]
fn a_limit_of_zero_is_refused() -> Result<()> {
    let dir = common::tempdir();
    let (db, before) = table(dir.path())?;
    assert_invalid(
        db.query("a").limit(0).iter(),
        None,
        "the limit must be at least 1",
    );
    assert_invalid(
        db.query("a").reverse().limit(0).page(),
        None,
        "the limit must be at least 1",
    );
    assert_invalid(
        db.scan().limit(0).iter(),
        None,
        "the limit must be at least 1",
    );
    assert_invalid(
        db.scan().segment(0, 2).limit(0).page(),
        None,
        "the limit must be at least 1",
    );
    let mut items = db.scan().limit(0).into_iter();
    assert!(matches!(items.next(), Some(Err(Error::Validation(_)))));
    assert!(items.next().is_none());
    // A limit of 1 reads one item and says where to go on.
    let page = db.query("a").limit(1).page()?;
    assert_eq!(
        page.items,
        vec![item! { "PK" => "a", "SK" => "1", "v" => 1 }]
    );
    assert_eq!(page.last_evaluated_key, Some(Key::new("a").sort("1")));
    assert_eq!(scan_all(&db)?, before);
    Ok(())
}

#[test]
fn attribute_name_length_limit() -> Result<()> {
    let dir = common::tempdir();
    let (db, mut before) = table(dir.path())?;
    let longest = item! { "PK" => "n", "SK" => "1", "a".repeat(65_535) => 1 };
    db.put_item(&longest)?;
    assert_eq!(db.get_item(("n", "1"))?, Some(longest.clone()));
    before.push(longest);
    common::sort_table_order(&mut before);
    let message = refused_put(
        &db,
        &before,
        &item! { "PK" => "n", "SK" => "2", "a".repeat(65_536) => 1 },
        Some(&format!("{}…", "a".repeat(40))),
        "attribute name is 65536 bytes, more than 65535",
    )?;
    assert!(
        message.len() < 200,
        "the name is shortened in the message: {message}"
    );
    Ok(())
}
