//! The deterministic data of workload W: SplitMix64, the items, the shuffled load order and
//! the random keys every phase draws. Every system sees exactly the same items and keys.

use std::fmt::Write as _;

use dynafile::{Item, Map, Value};

/// Items per partition: item `i` is in partition `i / 100`.
pub const ITEMS_PER_PARTITION: u64 = 100;

/// Seed of the Fisher–Yates shuffle that orders the load.
pub const SHUFFLE_SEED: u64 = 42;

/// Seed of the random keys. Phases run on several threads give thread `t` the stream seeded
/// `KEY_SEED + t`, so thread 0 draws the same keys as a single-threaded phase.
pub const KEY_SEED: u64 = 7;

/// SplitMix64, the generator WORKLOAD.md defines (wrapping arithmetic on `u64`).
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`; its first output is `rand(seed)`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The partition key of item `i`: `user#{i / 100:06}`.
pub fn partition_key(i: u64) -> String {
    let mut key = String::with_capacity(16);
    write_partition_key(&mut key, i);
    key
}

/// The sort key of item `i`: `item#{i % 100:08}`.
pub fn sort_key(i: u64) -> String {
    let mut key = String::with_capacity(16);
    write_sort_key(&mut key, i);
    key
}

/// Appends the partition key of item `i` to `out`.
fn write_partition_key(out: &mut String, i: u64) {
    // Writing to a `String` cannot fail.
    let _ = write!(out, "user#{:06}", i / ITEMS_PER_PARTITION);
}

/// Appends the sort key of item `i` to `out`.
fn write_sort_key(out: &mut String, i: u64) {
    let _ = write!(out, "item#{:08}", i % ITEMS_PER_PARTITION);
}

/// The age item `i` is loaded with: `(r >> 32) % 100` where `r = rand(i)`.
pub fn initial_age(i: u64) -> u64 {
    (SplitMix64::new(i).next_u64() >> 32) % 100
}

/// Item `i` exactly as WORKLOAD.md defines it (`r` is the first output of SplitMix64 seeded
/// with `i`).
pub fn item(i: u64) -> Item {
    item_with_age(i, initial_age(i))
}

/// Item `i` with its `age` replaced, as the overwriting puts write it.
pub fn item_with_age(i: u64, age: u64) -> Item {
    let r = SplitMix64::new(i).next_u64();
    let mut nested = Map::new();
    nested.insert("a".to_owned(), Value::from(r % 1000));
    nested.insert("b".to_owned(), Value::from(format!("b-{}", r % 97)));
    let mut item = Item::new();
    item.insert("PK", partition_key(i));
    item.insert("SK", sort_key(i));
    item.insert("name", format!("name-{}", r % 1_000_000_000));
    item.insert("age", age);
    item.insert(
        "tags",
        vec![
            Value::from(format!("t{}", r % 7)),
            Value::from(format!("t{}", r % 11)),
            Value::from(format!("t{}", r % 13)),
        ],
    );
    item.insert("nested", nested);
    item.insert("payload", "x".repeat(96));
    item
}

/// The load order: Fisher–Yates over `0..n` with SplitMix64 seeded 42 (for `i` from `n - 1`
/// down to 1, swap position `i` with position `rand % (i + 1)`).
pub fn shuffled(n: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..n).collect();
    let mut rng = SplitMix64::new(SHUFFLE_SEED);
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// A key to read or delete: the partition and sort key values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    /// Partition key value.
    pub pk: String,
    /// Sort key value.
    pub sk: String,
}

impl KeyPair {
    /// The key of item `i`.
    pub fn of(i: u64) -> KeyPair {
        KeyPair {
            pk: partition_key(i),
            sk: sort_key(i),
        }
    }

    /// Makes this the key of item `i`, reusing its buffers (for loops that must not
    /// allocate).
    pub fn set_to(&mut self, i: u64) {
        self.pk.clear();
        write_partition_key(&mut self.pk, i);
        self.sk.clear();
        write_sort_key(&mut self.sk, i);
    }

    /// Bytes of the key as a delete is given it: partition plus sort key.
    pub fn byte_len(&self) -> usize {
        self.pk.len() + self.sk.len()
    }
}

/// The random draws of the phases over `n` items: every draw is one output `r` of a
/// SplitMix64 stream, whose low bits pick an existing item (`r % n`) and whose high bits
/// (`r >> 32`) pick the rest.
#[derive(Clone, Debug)]
pub struct Draws {
    rng: SplitMix64,
    n: u64,
}

impl Draws {
    /// The draws of the stream seeded `seed`.
    pub fn new(seed: u64, n: u64) -> Draws {
        Draws {
            rng: SplitMix64::new(seed),
            n,
        }
    }

    /// The index of a random existing item: `r % n`.
    pub fn existing(&mut self) -> u64 {
        self.rng.next_u64() % self.n
    }

    /// An overwrite: item `r % n` with the new age `(r >> 32) % 100`.
    pub fn overwrite(&mut self) -> Item {
        let r = self.rng.next_u64();
        item_with_age(r % self.n, (r >> 32) % 100)
    }

    /// An overwrite for writer `thread` of `threads` writing at once: the next draw whose
    /// item `r % n` is one of that writer's own (`(r % n) % threads == thread`), so that no
    /// two writers put the same item and the final state does not depend on how their
    /// commits interleave.
    pub fn overwrite_of_writer(&mut self, thread: u64, threads: u64) -> Item {
        loop {
            let r = self.rng.next_u64();
            let i = r % self.n;
            if i % threads == thread % threads {
                return item_with_age(i, (r >> 32) % 100);
            }
        }
    }

    /// An absent key: SK `miss#{(r >> 32) % 10^8:08}` in the existing partition of item `r % n`.
    pub fn missing(&mut self) -> KeyPair {
        let r = self.rng.next_u64();
        KeyPair {
            pk: partition_key(r % self.n),
            sk: format!("miss#{:08}", (r >> 32) % 100_000_000),
        }
    }

    /// A random existing partition: that of item `r % n`.
    pub fn partition(&mut self) -> String {
        partition_key(self.existing())
    }

    /// A prefix query: the partition of item `r % n` and the prefix `item#000000{d}`,
    /// `d = (r >> 32) % 10`, which matches 10 of its sort keys.
    pub fn prefix(&mut self) -> (String, String) {
        let r = self.rng.next_u64();
        (
            partition_key(r % self.n),
            format!("item#000000{}", (r >> 32) % 10),
        )
    }
}

/// The smallest string above every string that starts with `prefix`, for the prefix queries
/// of the peers (`sk >= prefix AND sk < end`). `None` when there is none (a prefix of only
/// `char::MAX`).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value, skipping the surrogate gap.
        let next = match last as u32 {
            0xD7FF => Some('\u{E000}'),
            code => char::from_u32(code + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn splitmix64_known_outputs() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(SplitMix64::new(1).next_u64(), 0x910A_2DEC_8902_5CC1);
    }

    #[test]
    fn item_zero_has_the_exact_fields() {
        // r = 0xE220A8397B1DCDAF = 16294208416658607535
        let item = item(0);
        assert_eq!(item.len(), 7);
        assert_eq!(item["PK"], Value::from("user#000000"));
        assert_eq!(item["SK"], Value::from("item#00000000"));
        assert_eq!(item["name"], Value::from("name-658607535"));
        assert_eq!(item["age"], Value::from(33u64));
        assert_eq!(
            item["tags"],
            Value::L(vec!["t2".into(), "t1".into(), "t9".into()])
        );
        let mut nested = Map::new();
        nested.insert("a".to_owned(), Value::from(535u64));
        nested.insert("b".to_owned(), Value::from("b-49"));
        assert_eq!(item["nested"], Value::M(nested));
        assert_eq!(item["payload"], Value::from("x".repeat(96)));
    }

    #[test]
    fn item_keys_place_items_in_partitions_of_100() {
        let item = item(12_345);
        assert_eq!(item["PK"], Value::from("user#000123"));
        assert_eq!(item["SK"], Value::from("item#00000045"));
        assert_eq!(KeyPair::of(12_345).byte_len(), 11 + 13);
        let mut key = KeyPair::of(7);
        key.set_to(12_345);
        assert_eq!(key, KeyPair::of(12_345));
    }

    #[test]
    fn encoded_item_is_about_200_bytes() {
        let len = item(0).to_bytes().len();
        assert!((150..260).contains(&len), "{len}");
        assert_eq!(Item::from_bytes(&item(0).to_bytes()).ok(), Some(item(0)));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        for n in [0, 1, 2, 10, 1000, 10_007] {
            let order = shuffled(n);
            assert_eq!(order.len() as u64, n);
            let seen: HashSet<u64> = order.iter().copied().collect();
            assert_eq!(seen.len() as u64, n);
            assert!(order.iter().all(|&i| i < n));
        }
        // The first positions of the seed-42 shuffle of 0..10, computed independently.
        assert_eq!(shuffled(10), vec![0, 9, 5, 8, 6, 4, 7, 2, 1, 3]);
        assert_ne!(shuffled(1000), (0..1000).collect::<Vec<u64>>());
    }

    #[test]
    fn draws_are_deterministic_and_in_range() {
        let a: Vec<u64> = {
            let mut d = Draws::new(KEY_SEED, 1000);
            (0..100).map(|_| d.existing()).collect()
        };
        let mut d = Draws::new(KEY_SEED, 1000);
        let b: Vec<u64> = (0..100).map(|_| d.existing()).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|&i| i < 1000));
        let mut d = Draws::new(KEY_SEED, 1000);
        let missing = d.missing();
        assert!(missing.pk.starts_with("user#00000"));
        assert!(missing.sk.starts_with("miss#"));
        let (pk, prefix) = d.prefix();
        assert!(pk.starts_with("user#"));
        assert_eq!(prefix.len(), "item#0000000".len());
    }

    #[test]
    fn concurrent_writers_write_disjoint_items() {
        let mut seen = HashSet::new();
        for thread in 0..8 {
            let mut d = Draws::new(KEY_SEED + thread, 10_000);
            let mut mine = HashSet::new();
            for _ in 0..250 {
                let item = d.overwrite_of_writer(thread, 8);
                let Some(Value::S(sk)) = item.get("SK") else {
                    panic!("no SK")
                };
                let Some(Value::S(pk)) = item.get("PK") else {
                    panic!("no PK")
                };
                mine.insert((pk.clone(), sk.clone()));
            }
            assert!(mine.is_disjoint(&seen));
            seen.extend(mine);
        }
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end("item#0000009").as_deref(), Some("item#000000:"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }
}
