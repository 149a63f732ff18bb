//! Concurrent transactions serialize: threads make random transfers between accounts, each a
//! transaction debiting one account only when `balance >= :amount` and crediting another.
//! After every round and after reopening, the money is all there, no balance is negative,
//! and every balance is exactly what the transfers that committed make it.

mod common;

use common::{open, tempdir};
use dynafile::{
    CancellationReason, Durability, Dynafile, Error, Item, Key, KeyType, Number, Result,
    TransactWriteItem, item,
};

const ACCOUNTS: usize = 12;
const INITIAL: i64 = 100;
const THREADS: usize = 4;
const ROUNDS: usize = 5;
const TRANSFERS_PER_ROUND: usize = 60;

/// A small deterministic generator (xorshift64*), one per thread.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

fn account(index: usize) -> String {
    format!("acct#{index:02}")
}

fn balance(item: &Item) -> i64 {
    item["balance"]
        .as_n()
        .and_then(Number::to_i64)
        .unwrap_or_else(|| panic!("no integer balance in {item:?}"))
}

/// Moves `amount` from one account to another; `Ok(false)` when the source has too little.
fn transfer(db: &Dynafile, from: usize, to: usize, amount: i64) -> Result<bool> {
    let result = db
        .transact_write()
        .action(
            TransactWriteItem::update(Key::new(account(from)), "SET balance = balance - :amount")
                .condition("balance >= :amount")
                .value(":amount", amount),
        )
        .action(
            TransactWriteItem::update(Key::new(account(to)), "SET balance = balance + :amount")
                .condition("attribute_exists(balance)")
                .value(":amount", amount),
        )
        .durability(Durability::Buffered)
        .execute();
    match result {
        Ok(()) => Ok(true),
        Err(Error::TransactionCanceled { reasons, .. }) => {
            assert!(
                matches!(
                    reasons.as_slice(),
                    [
                        CancellationReason::ConditionalCheckFailed { item: None },
                        CancellationReason::None
                    ]
                ),
                "only the debit can fail: {reasons:?}"
            );
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Checks the invariants and that each balance is what the committed transfers make it.
fn check(db: &Dynafile, expected: &[i64]) -> Result<()> {
    let items = db.transact_get((0..ACCOUNTS).map(|i| Key::new(account(i))))?;
    let balances: Vec<i64> = items
        .iter()
        .map(|item| balance(item.as_ref().expect("every account exists")))
        .collect();
    assert_eq!(balances.iter().sum::<i64>(), INITIAL * ACCOUNTS as i64);
    assert!(balances.iter().all(|b| *b >= 0), "{balances:?}");
    assert_eq!(balances, expected);
    Ok(())
}

#[test]
fn transfers_never_lose_or_create_money() -> Result<()> {
    let dir = tempdir();
    let path = dir.path().join("bank");
    let db = open(&path, KeyType::S, None)?;
    for i in 0..ACCOUNTS {
        db.put_item(&item! { "PK" => account(i), "balance" => INITIAL })?;
    }
    let mut expected = vec![INITIAL; ACCOUNTS];
    let mut committed = 0;
    for round in 0..ROUNDS {
        let applied: Vec<Vec<(usize, usize, i64)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let db = db.clone();
                    s.spawn(move || -> Result<Vec<(usize, usize, i64)>> {
                        let mut rng =
                            Rng(0x9e37_79b9_7f4a_7c15 ^ ((round * THREADS + thread) as u64 + 1));
                        let mut applied = Vec::new();
                        for _ in 0..TRANSFERS_PER_ROUND {
                            let from = rng.below(ACCOUNTS as u64) as usize;
                            let to =
                                (from + 1 + rng.below(ACCOUNTS as u64 - 1) as usize) % ACCOUNTS;
                            let amount = 1 + rng.below(80) as i64;
                            if transfer(&db, from, to, amount)? {
                                applied.push((from, to, amount));
                            }
                        }
                        Ok(applied)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a worker does not panic"))
                .collect::<Result<_>>()
        })?;
        for (from, to, amount) in applied.into_iter().flatten() {
            expected[from] -= amount;
            expected[to] += amount;
            committed += 1;
        }
        check(&db, &expected)?;
    }
    let attempted = THREADS * TRANSFERS_PER_ROUND * ROUNDS;
    assert!(
        committed > 0 && committed < attempted,
        "some transfers commit and some are canceled: {committed} of {attempted}"
    );
    db.close()?;
    let reopened = open(&path, KeyType::S, None)?;
    check(&reopened, &expected)
}
