//! The model test: random sequences of puts, deletes, batches, transactions, gets, queries, scans,
//! checkpoints, reopens, TTL clock advances and sweeps against a `BTreeMap` model, compared
//! after every step (as sled's `tests/tree` does), with the table's change stream against the
//! events the model expects. Tables are opened with tiny sizes, so checkpoints, runs, merges and
//! splits of partition files happen all the time.
//!
//! Each test runs `PROPTEST_CASES` cases (default [`DEFAULT_CASES`], kept small so the suite
//! stays quick in debug builds). For a longer hunt:
//!
//! ```text
//! PROPTEST_CASES=2000 cargo test --release -p dynafile --test model
//! ```
//!
//! A failure shrinks to a short sequence of ops; add it to `regressions.rs` as a named test
//! with a postmortem once the bug is fixed.

mod model_harness;

use dynafile::Durability;
use model_harness::{
    BatchOp, Cond, Harness, Op, PARTITIONS, Payload, Schema, Sizes, Sk, TxnAction, TxnKind,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per test when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 48;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        // Shrunk failures are kept as named tests in `regressions.rs`, not in files.
        failure_persistence: None,
        ..Config::default()
    }
}

fn pk() -> impl Strategy<Value = usize> {
    // Skewed, so some partitions grow long and others stay small.
    prop_oneof![4 => Just(0usize), 3 => Just(1usize), 3 => 0..PARTITIONS.len()]
}

/// Sort keys from a small space, so overwrites and deletes of existing items are common.
/// Strings use a multi-byte letter, so their order is by UTF-8 bytes, and now and then are
/// long (up to the 1024 bytes allowed, larger than a tiny block). Numbers are mostly small
/// decimals around zero, now and then any of DynamoDB's range (38 digits, exponents from
/// -130 to 125). Binaries use the bytes at the edges of the byte order.
fn sk(schema: Schema) -> BoxedStrategy<Sk> {
    match schema {
        Schema::S => prop_oneof![
            30 => "[abcé]{1,3}".prop_map(Sk::S),
            1 => (100usize..1000, "[abcé]{0,3}")
                .prop_map(|(len, tail)| Sk::S(format!("{}{tail}", "b".repeat(len)))),
        ]
        .boxed(),
        Schema::N => prop_oneof![
            30 => (-150i64..150).prop_map(|tenths| Sk::n(&format!("{tenths}e-1"))),
            1 => any::<i64>().prop_map(|n| Sk::n(&n.to_string())),
            1 => (any::<bool>(), "[1-9][0-9]{0,37}", any::<prop::sample::Index>()).prop_map(
                |(negative, digits, exponent)| {
                    // Keep the leading digit's exponent within -130..=125.
                    let lowest = -130 - (digits.len() as i64 - 1);
                    let exponent = lowest + exponent.index(256) as i64;
                    let sign = if negative { "-" } else { "" };
                    Sk::n(&format!("{sign}{digits}e{exponent}"))
                }
            ),
        ]
        .boxed(),
        Schema::B => prop_oneof![
            30 => binary(1..=3),
            1 => (100usize..1000, binary(0..=2)).prop_map(|(len, tail)| match tail {
                Sk::B(tail) => Sk::B([vec![0x80; len], tail].concat()),
                other => other,
            }),
        ]
        .boxed(),
    }
}

fn binary(len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<Sk> {
    prop::collection::vec(
        prop::sample::select(vec![0x00u8, 0x01, 0x7f, 0x80, 0xfe, 0xff]),
        len,
    )
    .prop_map(Sk::B)
    .boxed()
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![20 => Just(Payload::Small), 1 => (1usize..30_000).prop_map(Payload::Big)]
}

fn cond(schema: Schema) -> impl Strategy<Value = Cond> {
    let sk = sk(schema);
    prop_oneof![
        3 => Just(Cond::All),
        1 => sk.clone().prop_map(Cond::Eq),
        1 => sk.clone().prop_map(Cond::Lt),
        1 => sk.clone().prop_map(Cond::Le),
        1 => sk.clone().prop_map(Cond::Gt),
        1 => sk.clone().prop_map(Cond::Ge),
        2 => (sk.clone(), sk).prop_map(|(a, b)| Cond::Between(a, b)),
        2 => prefix(schema).prop_map(Cond::BeginsWith),
    ]
}

/// Prefixes for `begins_with` (refused on number sort keys).
fn prefix(schema: Schema) -> BoxedStrategy<Sk> {
    match schema {
        Schema::S | Schema::N => "[abcé]{1,2}".prop_map(Sk::S).boxed(),
        Schema::B => binary(1..=2),
    }
}

fn limit() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![3 => Just(None), 3 => (1usize..8).prop_map(Some), 1 => (8usize..64).prop_map(Some), 1 => Just(Some(0))]
}

fn batch(schema: Schema) -> impl Strategy<Value = Vec<BatchOp>> {
    let op = prop_oneof![
        3 => (pk(), sk(schema), payload()).prop_map(|(pk, sk, payload)| BatchOp::Put(pk, sk, payload)),
        1 => (pk(), sk(schema)).prop_map(|(pk, sk)| BatchOp::Delete(pk, sk)),
    ];
    (
        prop::collection::vec(op, 0..60),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(mut ops, index, twice)| {
            // Name one key twice in a row sometimes: the later op wins.
            if twice && !ops.is_empty() {
                let op = ops[index.index(ops.len())].clone();
                let again = match &op {
                    BatchOp::Put(pk, sk, _) => BatchOp::Delete(*pk, sk.clone()),
                    BatchOp::Delete(pk, sk) => BatchOp::Put(*pk, sk.clone(), Payload::Small),
                };
                ops.push(op);
                ops.push(again);
            }
            ops
        })
}

/// Transactions of a few actions on a small key space, so conditions fail, keys repeat (a
/// refused request) and updates meet big string attributes now and then.
fn transaction(schema: Schema) -> impl Strategy<Value = Vec<TxnAction>> {
    let payload =
        prop_oneof![3 => Just(Payload::Small), 1 => (1usize..3000).prop_map(Payload::Big)];
    let kind = prop_oneof![
        3 => payload.prop_map(TxnKind::Put),
        3 => Just(TxnKind::Update),
        2 => Just(TxnKind::AddBig),
        1 => Just(TxnKind::IncrementBig),
        2 => Just(TxnKind::Delete),
        1 => Just(TxnKind::Check),
    ];
    let exists = prop_oneof![3 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))];
    let existing = prop_oneof![1 => Just(None), 1 => any::<usize>().prop_map(Some)];
    let action = (pk(), sk(schema), existing, kind, exists, any::<bool>()).prop_map(
        |(pk, sk, existing, kind, exists, return_old)| TxnAction {
            pk,
            sk,
            existing,
            kind,
            exists,
            return_old,
        },
    );
    prop::collection::vec(action, 0..6)
}

fn op(schema: Schema) -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (pk(), sk(schema), payload(), any::<bool>()).prop_map(|(pk, sk, payload, return_old)| Op::Put { pk, sk, payload, return_old }),
        6 => (pk(), sk(schema), any::<bool>()).prop_map(|(pk, sk, return_old)| Op::Delete { pk, sk, return_old }),
        8 => (any::<usize>(), any::<bool>()).prop_map(|(existing, return_old)| Op::DeleteExisting { existing, return_old }),
        2 => any::<usize>().prop_map(|existing| Op::PutUnchanged { existing }),
        8 => batch(schema).prop_map(Op::Batch),
        4 => (pk(), sk(schema)).prop_map(|(pk, sk)| Op::Get { pk, sk }),
        4 => any::<usize>().prop_map(|existing| Op::GetExisting { existing }),
        2 => prop::collection::vec((pk(), sk(schema)), 0..8).prop_map(Op::BatchGet),
        8 => transaction(schema).prop_map(Op::Transact),
        2 => prop::collection::vec((pk(), sk(schema)), 0..6).prop_map(Op::TransactGet),
        10 => (pk(), cond(schema), any::<bool>(), limit(), prop::bool::weighted(0.2)).prop_map(|(pk, cond, reverse, limit, filter)| Op::Query { pk, cond, reverse, limit, filter }),
        4 => (prop_oneof![Just(1u32), 2u32..5, Just(16u32)], any::<bool>(), limit(), prop::bool::weighted(0.2)).prop_map(|(segments, reverse, limit, filter)| Op::Scan { segments, reverse, limit, filter }),
        3 => Just(Op::Checkpoint),
        3 => (0u8..3).prop_map(Op::AdvanceClock),
        2 => Just(Op::Sweep),
        2 => Just(Op::Reopen),
        1 => Just(Op::CloseReopen),
    ]
}

/// Engine sizes: mostly tiny (every few writes checkpoint, files split at a few KiB), now and
/// then larger ones so memtable-only and single-file states get their share.
fn sizes() -> impl Strategy<Value = Sizes> {
    prop_oneof![
        4 => Just(Sizes::TINY),
        1 => Just(Sizes { memtable: 1 << 10, target_file: 2 << 10, block: 256, cache: 0 }),
        1 => Just(Sizes { memtable: 64 << 10, target_file: 64 << 10, block: 4 << 10, cache: 1 << 20 }),
        // Memtables that hold hundreds of keys, read a chunk at a time.
        1 => Just(Sizes { memtable: 1 << 20, target_file: 16 << 10, block: 1 << 10, cache: 1 << 20 }),
    ]
}

fn durability() -> impl Strategy<Value = Durability> {
    prop_oneof![3 => Just(Durability::Buffered), 1 => Just(Durability::Immediate)]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn string_sort_keys_match_the_model(
        sizes in sizes(),
        durability in durability(),
        ops in prop::collection::vec(op(Schema::S), 1..200),
    ) {
        Harness::run(Schema::S, sizes, durability, &ops);
    }

    #[test]
    fn binary_keys_match_the_model(
        sizes in sizes(),
        durability in durability(),
        ops in prop::collection::vec(op(Schema::B), 1..200),
    ) {
        Harness::run(Schema::B, sizes, durability, &ops);
    }

    #[test]
    fn number_sort_keys_match_the_model(
        sizes in sizes(),
        durability in durability(),
        ops in prop::collection::vec(op(Schema::N), 1..200),
    ) {
        Harness::run(Schema::N, sizes, durability, &ops);
    }
}

/// The tiny sizes really exercise the engine: a few hundred writes leave many partition
/// files (runs and split bases), and the model still matches. The items hold about 150 KB in
/// all, so however the background checkpoints fall, fully merged they still need at least 18
/// files of the 8 KiB target size. (With small items, 24 KB, the count depended on when the
/// checkpoints ran: 3 files after a full merge, more while runs remained.)
#[test]
fn tiny_sizes_make_many_partition_files() {
    let mut harness = Harness::new(Schema::S, Sizes::TINY, Durability::Buffered);
    for i in 0..600usize {
        harness.apply(&Op::Put {
            pk: i % PARTITIONS.len(),
            sk: Sk::S(format!("{:03}", i / PARTITIONS.len())),
            payload: Payload::Big(200),
            return_old: false,
        });
    }
    harness.apply(&Op::Checkpoint);
    assert_eq!(harness.len(), 600);
    let files = harness.partition_files();
    assert!(files >= 6, "expected many partition files, found {files}");
    harness.finish();
}
