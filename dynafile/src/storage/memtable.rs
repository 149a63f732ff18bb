//! The memtable: recent changes in memory, on top of the partition files.
//!
//! Every write adds a version `(key, seq)`; a reader at snapshot `s` sees, per key, the newest
//! version with `seq <= s`. Versions stay until the memtable is checkpointed, so a reader's
//! snapshot stays consistent while writers go on, and neither waits for the other (the
//! skiplist is lock-free).

use std::cmp::Reverse;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crossbeam_skiplist::SkipMap;

use crate::key::hash_of_encoded;

/// A stored value: `None` is a tombstone.
pub(crate) type MemValue = Option<Arc<[u8]>>;

/// Orders by key, then newest version first.
///
/// `hash` is the key's first 8 bytes as a big-endian number (zero padded), which orders as
/// the key does: comparing it first settles most comparisons of a skiplist search (between
/// keys of different partitions, whose hashes differ) in a register, without reading the key
/// itself from memory.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct VersionKey {
    hash: u64,
    key: Box<[u8]>,
    seq: Reverse<u64>,
}

impl VersionKey {
    fn new(key: &[u8], seq: u64) -> VersionKey {
        VersionKey {
            hash: hash_of_encoded(key),
            key: key.into(),
            seq: Reverse(seq),
        }
    }
}

/// Ranges of up to this many versions are read forwards when read in reverse.
const SHORT_RANGE: usize = 1024;

/// Fixed cost per version on top of key and value bytes (skiplist node, boxes, counters).
const VERSION_OVERHEAD: usize = 96;

pub(crate) struct MemTable {
    map: SkipMap<VersionKey, MemValue>,
    bytes: AtomicUsize,
    /// Built by the first insert: a memtable nobody wrote to needs none, and opening a table
    /// should not pay for zeroing a filter it may never use.
    keys: OnceLock<KeyFilter>,
    capacity_bytes: usize,
}

/// A bloom filter of the keys in a memtable, so that a get of a key the memtable does not
/// hold (most gets, once a table outgrows its memtable) skips the skiplist search, a cache
/// miss per level. Bits are set before the entry is inserted and the commit is published, so
/// a reader whose snapshot includes an entry sees its bits.
struct KeyFilter {
    words: Box<[AtomicU64]>,
    bits: u64,
}

const FILTER_PROBES: u64 = 5;

impl KeyFilter {
    fn new(expected_keys: usize) -> KeyFilter {
        let bits = (expected_keys.saturating_mul(10))
            .next_power_of_two()
            .max(4096) as u64;
        KeyFilter {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            bits,
        }
    }

    fn positions(&self, key: &[u8]) -> impl Iterator<Item = u64> + use<> {
        use std::hash::BuildHasher;
        let hash = foldhash::fast::FixedState::with_seed(0x6479_6e61_6669_6c65).hash_one(key);
        let step = hash.rotate_left(32) | 1;
        let mask = self.bits - 1;
        (0..FILTER_PROBES).map(move |i| hash.wrapping_add(i.wrapping_mul(step)) & mask)
    }

    fn insert(&self, key: &[u8]) {
        for position in self.positions(key) {
            if let Some(word) = self.words.get((position / 64) as usize) {
                word.fetch_or(1 << (position % 64), Ordering::Relaxed);
            }
        }
    }

    fn may_contain(&self, key: &[u8]) -> bool {
        self.positions(key).all(|position| {
            self.words
                .get((position / 64) as usize)
                .is_some_and(|word| word.load(Ordering::Relaxed) & (1 << (position % 64)) != 0)
        })
    }
}

/// Entries read from the memtable for an iterator: resolved (one per key, newest visible).
pub(crate) type Chunk = Vec<(Box<[u8]>, MemValue)>;

impl MemTable {
    /// A memtable expected to hold about `capacity_bytes` (its filter is sized for that).
    pub(crate) fn new(capacity_bytes: usize) -> MemTable {
        MemTable {
            map: SkipMap::new(),
            bytes: AtomicUsize::new(0),
            keys: OnceLock::new(),
            capacity_bytes,
        }
    }

    /// Adds a version. Callers serialize writes (the commit lock) so `seq` only grows.
    pub(crate) fn insert(&self, key: &[u8], seq: u64, value: MemValue) {
        let size = key.len() + value.as_ref().map_or(0, |v| v.len()) + VERSION_OVERHEAD;
        // Entries take at least VERSION_OVERHEAD bytes, which bounds their number.
        let keys = self
            .keys
            .get_or_init(|| KeyFilter::new(self.capacity_bytes / VERSION_OVERHEAD));
        keys.insert(key);
        // Partition key prefixes too, so that a query of a partition the memtable does not
        // hold skips it.
        if let Some(end) = crate::key::prefix_len(key) {
            keys.insert(&key[..end]);
        }
        self.map.insert(VersionKey::new(key, seq), value);
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }

    /// The last `limit` keys of `[start, end)` at `snapshot`, newest version each, in
    /// descending order, when the range holds at most [`SHORT_RANGE`] versions; `None` when it
    /// holds more.
    fn last_of_short_range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        snapshot: u64,
        limit: usize,
    ) -> Option<Chunk> {
        let versions = self
            .map
            .range(Self::version_bounds(start, end))
            .take(SHORT_RANGE + 1)
            .count();
        if versions > SHORT_RANGE {
            return None;
        }
        let mut last = std::collections::VecDeque::with_capacity(limit.min(versions) + 1);
        for entry in self.map.range(Self::version_bounds(start, end)) {
            let version = entry.key();
            // Versions come newest first: the first visible one of a key is its value.
            let seen = last.back().is_some_and(
                |newest: &crossbeam_skiplist::map::Entry<'_, VersionKey, MemValue>| {
                    newest.key().key == version.key
                },
            );
            if version.seq.0 > snapshot || seen {
                continue;
            }
            last.push_back(entry);
            if last.len() > limit {
                last.pop_front();
            }
        }
        Some(
            last.into_iter()
                .rev()
                .map(|entry| (entry.key().key.clone(), entry.value().clone()))
                .collect(),
        )
    }

    /// The bytes of keys and values of the latest versions within `[start, end)`: about what
    /// they take in a partition file.
    pub(crate) fn bytes_between(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> u64 {
        let mut bytes = 0u64;
        let mut previous: Option<Box<[u8]>> = None;
        for entry in self.map.range(Self::version_bounds(start, end)) {
            let key = &entry.key().key;
            // Only the newest version of a key is written.
            if previous.as_ref() != Some(key) {
                bytes += (key.len() + entry.value().as_ref().map_or(0, |v| v.len())) as u64;
                previous = Some(key.clone());
            }
        }
        bytes
    }

    /// False when the memtable certainly holds no key of the partition whose key prefix is
    /// `prefix`.
    pub(crate) fn may_hold_partition(&self, prefix: &[u8]) -> bool {
        self.keys.get().is_some_and(|keys| keys.may_contain(prefix))
    }

    /// Approximate memory held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The newest version of `key` visible at `snapshot`: `Some(None)` is a tombstone.
    pub(crate) fn get(&self, key: &[u8], snapshot: u64) -> Option<MemValue> {
        // No filter: nothing was ever inserted.
        if !self.keys.get().is_some_and(|keys| keys.may_contain(key)) {
            return None;
        }
        let probe = VersionKey::new(key, snapshot);
        let entry = self.map.lower_bound(Bound::Included(&probe))?;
        (entry.key().key.as_ref() == key).then(|| entry.value().clone())
    }

    fn version_bounds(
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
    ) -> (Bound<VersionKey>, Bound<VersionKey>) {
        // The first version of a key is (key, MAX), its last (key, 0).
        let low = match start {
            Bound::Included(key) => Bound::Included(VersionKey::new(key, u64::MAX)),
            Bound::Excluded(key) => Bound::Excluded(VersionKey::new(key, 0)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let high = match end {
            Bound::Included(key) => Bound::Included(VersionKey::new(key, 0)),
            Bound::Excluded(key) => Bound::Excluded(VersionKey::new(key, u64::MAX)),
            Bound::Unbounded => Bound::Unbounded,
        };
        (low, high)
    }

    /// Up to `limit` keys of `[start, end)` in ascending order, each with its newest version
    /// visible at `snapshot` (tombstones included).
    pub(crate) fn chunk_forward(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        snapshot: u64,
        limit: usize,
    ) -> Chunk {
        let mut chunk = Chunk::new();
        let bounds = Self::version_bounds(start, end);
        for entry in self.map.range(bounds) {
            let version = entry.key();
            // Versions come newest first: the first visible one of a key is its value.
            let seen = chunk.last().is_some_and(|(key, _)| **key == *version.key);
            if version.seq.0 > snapshot || seen {
                continue;
            }
            if chunk.len() == limit {
                break;
            }
            chunk.push((version.key.clone(), entry.value().clone()));
        }
        chunk
    }

    /// Up to `limit` keys of `[start, end)` in descending order, each with its newest version
    /// visible at `snapshot` (tombstones included).
    pub(crate) fn chunk_reverse(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        snapshot: u64,
        limit: usize,
    ) -> Chunk {
        // A skiplist links forwards only: every backward step is a search from the top. A
        // short range (a query's partition) is cheaper read forwards, keeping its last keys.
        if let Some(chunk) = self.last_of_short_range(start, end, snapshot, limit) {
            return chunk;
        }
        let mut chunk = Chunk::new();
        // Walking backwards, a key's versions come oldest first: the last visible one wins.
        let mut pending: Option<(Box<[u8]>, MemValue)> = None;
        let mut pending_key: Option<Box<[u8]>> = None;
        let bounds = Self::version_bounds(start, end);
        for entry in self.map.range(bounds).rev() {
            let version = entry.key();
            if pending_key.as_deref() != Some(&*version.key) {
                if let Some(done) = pending.take() {
                    chunk.push(done);
                    if chunk.len() == limit {
                        return chunk;
                    }
                }
                pending_key = Some(version.key.clone());
            }
            if version.seq.0 <= snapshot {
                pending = Some((version.key.clone(), entry.value().clone()));
            }
        }
        if let Some(done) = pending {
            chunk.push(done);
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> MemValue {
        Some(Arc::from(text.as_bytes()))
    }

    #[test]
    fn snapshots_see_their_versions() {
        let table = MemTable::new(1 << 20);
        table.insert(b"a", 1, value("a1"));
        table.insert(b"a", 3, value("a3"));
        table.insert(b"ab", 2, value("ab2"));
        table.insert(b"b", 4, None);
        assert_eq!(table.get(b"a", 0), None);
        assert_eq!(table.get(b"a", 2), Some(value("a1")));
        assert_eq!(table.get(b"a", 3), Some(value("a3")));
        assert_eq!(table.get(b"b", 3), None);
        assert_eq!(table.get(b"b", 4), Some(None));
        assert_eq!(table.get(b"c", 9), None);

        let keys = |chunk: Chunk| {
            chunk
                .into_iter()
                .map(|(k, v)| (k.to_vec(), v))
                .collect::<Vec<_>>()
        };
        let all = keys(table.chunk_forward(Bound::Unbounded, Bound::Unbounded, 9, 100));
        assert_eq!(
            all,
            vec![
                (b"a".to_vec(), value("a3")),
                (b"ab".to_vec(), value("ab2")),
                (b"b".to_vec(), None)
            ]
        );
        let at2 = keys(table.chunk_forward(Bound::Unbounded, Bound::Unbounded, 2, 100));
        assert_eq!(
            at2,
            vec![(b"a".to_vec(), value("a1")), (b"ab".to_vec(), value("ab2"))]
        );
        let reverse = keys(table.chunk_reverse(Bound::Unbounded, Bound::Unbounded, 9, 100));
        assert_eq!(
            reverse,
            vec![
                (b"b".to_vec(), None),
                (b"ab".to_vec(), value("ab2")),
                (b"a".to_vec(), value("a3"))
            ]
        );
        let reverse_at2 = keys(table.chunk_reverse(Bound::Unbounded, Bound::Excluded(b"b"), 2, 1));
        assert_eq!(reverse_at2, vec![(b"ab".to_vec(), value("ab2"))]);
        let after_a =
            keys(table.chunk_forward(Bound::Excluded(b"a"), Bound::Included(b"ab"), 9, 100));
        assert_eq!(after_a, vec![(b"ab".to_vec(), value("ab2"))]);
        let limited = keys(table.chunk_forward(Bound::Unbounded, Bound::Unbounded, 9, 2));
        assert_eq!(limited.len(), 2);
    }

    #[test]
    fn reverse_chunks_agree_on_short_and_long_ranges() {
        let table = MemTable::new(1 << 20);
        // 1,500 keys, every third with an older version too, every fifth deleted later.
        let mut seq = 0;
        for i in 0..1500u32 {
            let key = format!("k{i:05}").into_bytes();
            if i % 3 == 0 {
                seq += 1;
                table.insert(&key, seq, value("old"));
            }
            seq += 1;
            table.insert(&key, seq, value(&format!("v{i}")));
        }
        for i in (0..1500u32).step_by(5) {
            seq += 1;
            table.insert(format!("k{i:05}").as_bytes(), seq, None);
        }
        for snapshot in [seq / 2, seq] {
            // The whole range is long (backward walk); a slice of it is short (forward read).
            let forward =
                table.chunk_forward(Bound::Unbounded, Bound::Unbounded, snapshot, usize::MAX);
            for (start, end) in [(0usize, 1500usize), (100, 400), (1490, 1500)] {
                let low = format!("k{start:05}").into_bytes();
                let high = format!("k{end:05}").into_bytes();
                let expected: Vec<_> = forward
                    .iter()
                    .filter(|(key, _)| **key >= *low && **key < *high)
                    .rev()
                    .cloned()
                    .collect();
                for limit in [1, 7, 256, 5000] {
                    let chunk = table.chunk_reverse(
                        Bound::Included(&low),
                        Bound::Excluded(&high),
                        snapshot,
                        limit,
                    );
                    let want: Vec<_> = expected.iter().take(limit).cloned().collect();
                    assert_eq!(
                        chunk, want,
                        "range {start}..{end} limit {limit} snapshot {snapshot}"
                    );
                }
            }
        }
    }
}
