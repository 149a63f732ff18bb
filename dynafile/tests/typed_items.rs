//! The typed API's put, get and delete: exact round trips of every kind of field (options,
//! lists, nested structs, enums, numbers, bytes, maps) and of serde's `rename`, `rename_all`,
//! `skip`, `default` and `flatten`; the exact item a struct is stored as; and errors that
//! name the item's key and the attribute when a stored item does not read back.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{n, num, string_table};
use dynafile::{DynaItem, Error, Item, Number, Result, ValidationError, Value, item};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "USER#{id}", sk = "PROFILE")]
struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Address {
    lines: Vec<String>,
    city: String,
    zip: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Status {
    Active,
    Suspended { reason: String, days: u16 },
    Moved(String),
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq, Clone)]
#[dynafile(pk = "ACCOUNT#{id}", sk = "DETAILS#{version}")]
struct Account {
    id: String,
    version: u32,
    balance: Number,
    ratio: f64,
    active: bool,
    nickname: Option<String>,
    missing: Option<u8>,
    tags: Vec<String>,
    scores: Vec<i64>,
    #[serde(with = "serde_bytes")]
    avatar: Vec<u8>,
    address: Address,
    previous: Vec<Address>,
    status: Status,
    history: Vec<Status>,
    limits: BTreeMap<String, u32>,
    roles: HashSet<String>,
    unit: (),
    pair: (i8, String),
    raw: Value,
}

fn account() -> Account {
    Account {
        id: "acc-7".into(),
        version: 3,
        balance: num("12345678901234567890.123456789"),
        ratio: 0.25,
        active: true,
        nickname: Some("seven".into()),
        missing: None,
        tags: vec!["a".into(), "b".into()],
        scores: vec![-1, 0, 99],
        avatar: vec![0, 1, 255],
        address: Address {
            lines: vec!["1 Main St".into()],
            city: "Lyon".into(),
            zip: None,
        },
        previous: vec![Address {
            lines: vec![],
            city: "Paris".into(),
            zip: Some("75001".into()),
        }],
        status: Status::Suspended {
            reason: "audit".into(),
            days: 30,
        },
        history: vec![Status::Active, Status::Moved("Nice".into())],
        limits: BTreeMap::from([("daily".to_owned(), 100), ("weekly".to_owned(), 500)]),
        roles: HashSet::from(["admin".to_owned()]),
        unit: (),
        pair: (-3, "x".into()),
        raw: Value::string_set(["p", "q"]),
    }
}

#[test]
fn a_struct_is_stored_as_its_serde_form_with_its_key_and_entity() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let user = User {
        id: 42,
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    db.put(&user)?;
    // The fields the template uses are stored as attributes too.
    assert_eq!(
        db.get_item(("USER#42", "PROFILE"))?,
        Some(item! {
            "PK" => "USER#42", "SK" => "PROFILE", "_entity" => "User",
            "id" => 42, "name" => "Ada", "email" => "ada@example.com",
        })
    );
    assert_eq!(db.get(User::key(42))?, Some(user.clone()));
    assert_eq!(db.get(User::key(43))?, None);
    assert_eq!(user.item_key(), User::key(42));

    // A put replaces the whole item, as put_item does.
    let renamed = User {
        name: "Ada L.".into(),
        ..user
    };
    db.put(&renamed)?;
    assert_eq!(db.get(User::key(42))?, Some(renamed));

    db.delete(User::key(42))?;
    assert_eq!(db.get(User::key(42))?, None);
    assert_eq!(db.get_item(("USER#42", "PROFILE"))?, None);
    // Deleting what is not there is not an error, as in DynamoDB.
    db.delete(User::key(42))?;
    Ok(())
}

#[test]
fn every_kind_of_field_round_trips_exactly() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let account = account();
    db.put(&account)?;
    assert_eq!(db.get(Account::key("acc-7", 3))?, Some(account.clone()));

    let stored = db
        .get_item(("ACCOUNT#acc-7", "DETAILS#3"))?
        .expect("just written");
    assert_eq!(
        stored["balance"],
        n("12345678901234567890.123456789"),
        "a Number keeps all its digits"
    );
    assert_eq!(stored["avatar"], Value::B(vec![0, 1, 255]));
    assert_eq!(stored["missing"], Value::Null);
    assert_eq!(
        stored["status"],
        Value::M(
            [(
                "Suspended".to_owned(),
                Value::M(
                    [
                        ("reason".to_owned(), "audit".into()),
                        ("days".to_owned(), n("30"))
                    ]
                    .into()
                )
            )]
            .into()
        )
    );
    assert_eq!(stored["raw"], Value::string_set(["p", "q"]));
    assert_eq!(stored["unit"], Value::Null);

    // A String parameter of `key` takes anything that is Into<String>.
    let owned = String::from("acc-7");
    assert_eq!(Account::key(owned, 3), Account::key("acc-7", 3));
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[dynafile(pk = "ORG#{org_id}", sk = "MEMBER#{member_name}")]
struct Member {
    org_id: u32,
    #[serde(rename = "who")]
    member_name: String,
    display_name: String,
    #[serde(skip)]
    cached: Option<String>,
    #[serde(default)]
    logins: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, String>,
}

#[test]
fn serde_attributes_keep_working() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    let member = Member {
        org_id: 7,
        member_name: "bob".into(),
        display_name: "Bob".into(),
        cached: Some("not stored".into()),
        logins: 0,
        note: None,
        extra: BTreeMap::from([("plan".to_owned(), "pro".to_owned())]),
    };
    db.put(&member)?;
    assert_eq!(
        db.get_item(("ORG#7", "MEMBER#bob"))?,
        Some(item! {
            "PK" => "ORG#7", "SK" => "MEMBER#bob", "_entity" => "Member",
            "orgId" => 7, "who" => "bob", "displayName" => "Bob", "logins" => 0, "plan" => "pro",
        })
    );
    // The key and entity attributes do not reach the flattened map; a skipped field reads
    // back as its default.
    assert_eq!(
        db.get(Member::key(7, "bob"))?,
        Some(Member {
            cached: None,
            ..member
        })
    );

    // `default` fills an attribute the item lacks.
    db.put_item(&item! {
        "PK" => "ORG#7", "SK" => "MEMBER#eve", "_entity" => "Member",
        "orgId" => 7, "who" => "eve", "displayName" => "Eve",
    })?;
    let eve = db.get(Member::key(7, "eve"))?;
    assert_eq!(
        eve.map(|m| (m.logins, m.note, m.extra.len())),
        Some((0, None, 0))
    );
    Ok(())
}

#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
#[dynafile(pk = "STRICT#{id}", sk = "S")]
struct Strict {
    id: u8,
}

#[test]
fn deny_unknown_fields_sees_only_the_structs_attributes() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put(&Strict { id: 1 })?;
    assert_eq!(db.get(Strict::key(1))?, Some(Strict { id: 1 }));
    Ok(())
}

fn validation(error: Error) -> Option<(String, ValidationError)> {
    match error {
        Error::Deserialize { key, error } => Some((key, error)),
        _ => None,
    }
}

#[test]
fn an_item_that_does_not_read_names_its_key_and_attribute() -> Result<()> {
    let dir = common::tempdir();
    let db = string_table(dir.path())?;
    db.put_item(&item! {
        "PK" => "USER#42", "SK" => "PROFILE", "_entity" => "User", "id" => 42, "name" => "Ada",
    })?;
    let error = db.get(User::key(42)).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "item (PK = \"USER#42\", SK = \"PROFILE\"): missing field `email`"
    );
    db.put_item(&item! {
        "PK" => "USER#42", "SK" => "PROFILE", "_entity" => "User", "id" => 42, "name" => 7,
        "email" => "e",
    })?;
    let error = db.get(User::key(42)).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "item (PK = \"USER#42\", SK = \"PROFILE\"): attribute `name`: expected a string, found N"
    );
    let (key, error) = validation(error).expect("a deserialize error");
    assert_eq!(key, "PK = \"USER#42\", SK = \"PROFILE\"");
    assert_eq!(error.attribute.as_deref(), Some("name"));

    // Nested paths are named in full.
    db.put(&account())?;
    let mut stored: Item = db
        .get_item(("ACCOUNT#acc-7", "DETAILS#3"))?
        .expect("just written");
    stored.insert(
        "previous",
        Value::L(vec![Value::M([("city".to_owned(), n("1"))].into())]),
    );
    db.put_item(&stored)?;
    let error = db.get(Account::key("acc-7", 3)).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "item (PK = \"ACCOUNT#acc-7\", SK = \"DETAILS#3\"): attribute `previous[0].city`: \
         expected a string, found N"
    );
    Ok(())
}
