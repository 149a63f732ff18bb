//! A small single-table shop with the typed API: users, their orders and the items of each
//! order live in one table, told apart by their keys and their entity attribute.
//!
//! Run with `cargo run --example typed` (it writes to a temporary directory, or to the
//! directory given as its argument).

use dynafile::{DynaItem, Dynafile, Error, KeyType, Number};
use serde::{Deserialize, Serialize};

/// A user's profile: `PK = USER#<id>`, `SK = PROFILE`.
#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
#[dynafile(pk = "USER#{id}", sk = "PROFILE")]
struct User {
    id: u64,
    name: String,
    email: String,
}

/// An order, in its user's partition: `SK = ORDER#<date>#<number>`, so that a query with
/// `begins_with("ORDER#2026-")` reads one year's orders in date order.
#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
#[dynafile(pk = "USER#{user}", sk = "ORDER#{date}#{number}")]
struct Order {
    user: u64,
    date: String,
    number: u32,
    total: Number,
}

/// One line of an order, sorted right after its order.
#[derive(Serialize, Deserialize, DynaItem, Debug, PartialEq)]
#[dynafile(
    pk = "USER#{user}",
    sk = "ORDER#{date}#{number}#ITEM#{line}",
    entity = "OrderItem"
)]
struct OrderItem {
    user: u64,
    date: String,
    number: u32,
    line: u8,
    product: String,
    quantity: u32,
}

fn main() -> dynafile::Result<()> {
    let scratch = tempfile::tempdir().map_err(|e| Error::Io {
        path: std::env::temp_dir(),
        source: e,
    })?;
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| scratch.path().join("shop"), Into::into);
    run(&path)
}

/// The example, on a new table in `path` (`tests/typed_example.rs` runs it too).
pub fn run(path: &std::path::Path) -> dynafile::Result<()> {
    let db = Dynafile::builder(path)
        .partition_key("PK", KeyType::S)
        .sort_key("SK", KeyType::S)
        .open()?;

    let ada = User {
        id: 42,
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    db.put(&ada)?;
    for (number, date, total) in [
        (1, "2025-12-30", "10"),
        (2, "2026-01-05", "30.50"),
        (3, "2026-02-11", "12"),
    ] {
        db.put(&Order {
            user: 42,
            date: date.into(),
            number,
            total: total.parse()?,
        })?;
    }
    for (line, product, quantity) in [(1, "pen", 3), (2, "paper", 1)] {
        db.put(&OrderItem {
            user: 42,
            date: "2026-01-05".into(),
            number: 2,
            line,
            product: product.into(),
            quantity,
        })?;
    }

    // A get by the generated key constructor.
    let user: Option<User> = db.get(User::key(42))?;
    assert_eq!(user.as_ref(), Some(&ada));
    println!("user 42: {user:?}");

    // One partition holds the profile, the orders and their items; a typed query reads only
    // the orders.
    let orders: Vec<Order> = db
        .query_as::<Order>("USER#42")
        .begins_with("ORDER#2026-")
        .iter()?
        .collect::<dynafile::Result<_>>()?;
    assert_eq!(
        orders.iter().map(|o| o.number).collect::<Vec<_>>(),
        vec![2, 3]
    );
    for order in &orders {
        println!("order {} of {}: {}", order.number, order.date, order.total);
    }
    let items: Vec<OrderItem> = db
        .query_as::<OrderItem>("USER#42")
        .begins_with("ORDER#2026-01-05#2#ITEM#")
        .iter()?
        .collect::<dynafile::Result<_>>()?;
    assert_eq!(items.len(), 2);
    for item in &items {
        println!("  {} x {}", item.quantity, item.product);
    }

    // A conditional put: only when no item has the key.
    let impostor = User {
        id: 42,
        name: "Mallory".into(),
        email: "m@example.com".into(),
    };
    match db.put_if_absent(&impostor) {
        Err(Error::ConditionalCheckFailed { .. }) => println!("user 42 exists: not replaced"),
        other => panic!("expected the condition to fail, got {other:?}"),
    }
    assert_eq!(db.get(User::key(42))?.map(|u| u.name), Some("Ada".into()));

    db.delete(User::key(42))?;
    assert_eq!(db.get(User::key(42))?, None);
    println!(
        "deleted user 42; {} orders remain",
        db.query_as::<Order>("USER#42").into_iter().count()
    );
    Ok(())
}
