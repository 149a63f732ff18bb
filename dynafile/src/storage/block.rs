//! Blocks: the unit a partition file is read and cached in.
//!
//! ```text
//! block   := compression (u8, 0 = none) entries count (u32 LE) crc32c (u32 LE, of all before)
//! entry   := varint(shared) varint(unshared) unshared-key-bytes varint(value_len + 1) value
//! ```
//! Keys are prefix-compressed against the previous key of the block; a value length of 0
//! marks a tombstone (a delete that hides older versions in other files).

use crate::encoding::{read_varint, write_varint};

const COMPRESSION_NONE: u8 = 0;
const TOMBSTONE_LEN: u32 = u32::MAX;

/// Builds one block from sorted entries.
pub(crate) struct BlockBuilder {
    buffer: Vec<u8>,
    last_key: Vec<u8>,
    count: u32,
}

impl BlockBuilder {
    pub(crate) fn new(capacity: usize) -> BlockBuilder {
        let mut buffer = Vec::with_capacity(capacity + 1024);
        buffer.push(COMPRESSION_NONE);
        BlockBuilder {
            buffer,
            last_key: Vec::new(),
            count: 0,
        }
    }

    /// Adds an entry; keys must arrive in ascending order.
    pub(crate) fn add(&mut self, key: &[u8], value: Option<&[u8]>) {
        let shared = if self.count == 0 {
            0
        } else {
            common_prefix(&self.last_key, key)
        };
        write_varint(&mut self.buffer, shared as u64);
        write_varint(&mut self.buffer, (key.len() - shared) as u64);
        self.buffer.extend_from_slice(&key[shared..]);
        match value {
            Some(value) => {
                write_varint(&mut self.buffer, value.len() as u64 + 1);
                self.buffer.extend_from_slice(value);
            }
            None => write_varint(&mut self.buffer, 0),
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.count += 1;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes the block would take.
    pub(crate) fn size(&self) -> usize {
        self.buffer.len() + 8
    }

    /// The finished block bytes (with count and checksum); the builder is reset.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut bytes = std::mem::replace(&mut self.buffer, vec![COMPRESSION_NONE]);
        bytes.extend_from_slice(&self.count.to_le_bytes());
        let crc = crc32c::crc32c(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        self.count = 0;
        self.last_key.clear();
        bytes
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Where one entry's key sits in [`Block::keys`] and its value in [`Block::raw`].
#[derive(Clone, Copy)]
struct EntryPos {
    key_start: u32,
    key_len: u32,
    value_start: u32,
    value_len: u32,
}

/// A decoded block: the block as read, its keys rebuilt from their shared prefixes into one
/// buffer of exactly their size, and the place of every entry, searchable by key. Values
/// are not copied: they are read where they lie in the block.
pub(crate) struct Block {
    raw: Vec<u8>,
    keys: Vec<u8>,
    entries: Vec<EntryPos>,
    /// The length of the prefix all keys of the block share.
    common_len: usize,
    /// Per entry, the 8 bytes of its key after that prefix, as a big-endian number (zero
    /// padded): ordered as the keys are.
    probes: Vec<u64>,
}

/// The first 8 bytes of `bytes` as a big-endian number, zero padded.
fn probe(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(word)
}

fn varint(bytes: &[u8], pos: &mut usize, what: &'static str) -> Result<usize, &'static str> {
    let value = read_varint(bytes, pos).ok_or(what)?;
    usize::try_from(value).map_err(|_| what)
}

impl Block {
    /// Checks and decodes a block read from disk; the error says what was wrong.
    pub(crate) fn decode(raw: Vec<u8>) -> Result<Block, &'static str> {
        if raw.len() < 9 {
            return Err("block shorter than its header and trailer");
        }
        let body_len = raw.len() - 4;
        let stored_crc = u32::from_le_bytes([
            raw[body_len],
            raw[body_len + 1],
            raw[body_len + 2],
            raw[body_len + 3],
        ]);
        if crc32c::crc32c(&raw[..body_len]) != stored_crc {
            return Err("block checksum mismatch");
        }
        let entries_end = body_len - 4;
        let count = u32::from_le_bytes([
            raw[entries_end],
            raw[entries_end + 1],
            raw[entries_end + 2],
            raw[entries_end + 3],
        ]) as usize;
        if raw[0] != COMPRESSION_NONE {
            return Err("unknown block compression");
        }
        // The entries lie in raw[1..entries_end]; positions below are offsets in `raw`.
        let encoded = &raw[..entries_end];
        // Every entry takes at least three bytes, which bounds the allocation.
        if count > encoded.len() / 3 + 1 {
            return Err("entry count larger than the block");
        }
        // First pass: check the framing and measure the keys, so their buffer is exact.
        let mut pos = 1;
        let mut keys_len = 0usize;
        let mut previous_len = 0usize;
        for index in 0..count {
            let shared = varint(encoded, &mut pos, "truncated entry")?;
            let unshared = varint(encoded, &mut pos, "truncated entry")?;
            if shared > previous_len || (index == 0 && shared != 0) {
                return Err("shared key prefix longer than the previous key");
            }
            pos = pos
                .checked_add(unshared)
                .filter(|&end| end <= encoded.len())
                .ok_or("truncated key")?;
            let value_field = read_varint(encoded, &mut pos).ok_or("truncated value length")?;
            if value_field > 0 {
                let length = usize::try_from(value_field - 1).map_err(|_| "bad value length")?;
                pos = pos
                    .checked_add(length)
                    .filter(|&end| end <= encoded.len())
                    .ok_or("truncated value")?;
            }
            previous_len = shared + unshared;
            keys_len = keys_len
                .checked_add(previous_len)
                .ok_or("block too large")?;
        }
        if pos != encoded.len() {
            return Err("trailing bytes after the last entry");
        }
        let to_u32 = |value: usize| u32::try_from(value).map_err(|_| "block too large");
        // Second pass: rebuild the keys and place the values.
        let mut keys = Vec::with_capacity(keys_len);
        let mut entries = Vec::with_capacity(count);
        let mut pos = 1;
        let mut previous = EntryPos {
            key_start: 0,
            key_len: 0,
            value_start: 0,
            value_len: 0,
        };
        for index in 0..count {
            let shared = varint(encoded, &mut pos, "truncated entry")?;
            let unshared = varint(encoded, &mut pos, "truncated entry")?;
            let key_start = keys.len();
            let previous_start = previous.key_start as usize;
            keys.extend_from_within(previous_start..previous_start + shared);
            keys.extend_from_slice(&encoded[pos..pos + unshared]);
            pos += unshared;
            let key_len = shared + unshared;
            if index > 0
                && keys[previous_start..previous_start + previous.key_len as usize]
                    >= keys[key_start..key_start + key_len]
            {
                return Err("keys out of order");
            }
            let value_field = read_varint(encoded, &mut pos).ok_or("truncated value length")?;
            let (value_start, value_len) = if value_field == 0 {
                (pos, TOMBSTONE_LEN)
            } else {
                let length = usize::try_from(value_field - 1).map_err(|_| "bad value length")?;
                let start = pos;
                pos += length;
                (start, to_u32(length)?)
            };
            let entry = EntryPos {
                key_start: to_u32(key_start)?,
                key_len: to_u32(key_len)?,
                value_start: to_u32(value_start)?,
                value_len,
            };
            entries.push(entry);
            previous = entry;
        }
        // Sorted keys between the first and the last share what those two share.
        let common_len = match (entries.first(), entries.last()) {
            (Some(first), Some(last)) => {
                let key =
                    |e: &EntryPos| &keys[e.key_start as usize..(e.key_start + e.key_len) as usize];
                key(first)
                    .iter()
                    .zip(key(last))
                    .take_while(|(a, b)| a == b)
                    .count()
            }
            _ => 0,
        };
        let probes = entries
            .iter()
            .map(|e| {
                probe(
                    &keys[(e.key_start as usize + common_len)..(e.key_start + e.key_len) as usize],
                )
            })
            .collect();
        Ok(Block {
            raw,
            keys,
            entries,
            common_len,
            probes,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The key of entry `index` (which must be below [`Block::len`]).
    pub(crate) fn key(&self, index: usize) -> &[u8] {
        let entry = self.entries[index];
        &self.keys[entry.key_start as usize..(entry.key_start + entry.key_len) as usize]
    }

    /// The value of entry `index`, `None` for a tombstone.
    pub(crate) fn value(&self, index: usize) -> Option<&[u8]> {
        let entry = self.entries[index];
        if entry.value_len == TOMBSTONE_LEN {
            return None;
        }
        Some(&self.raw[entry.value_start as usize..(entry.value_start + entry.value_len) as usize])
    }

    /// Index of the first entry whose key is `>= key` (`len()` when none).
    pub(crate) fn lower_bound(&self, key: &[u8]) -> usize {
        self.search(key, |entry| entry < key)
    }

    /// Index of the first entry whose key is `> key` (`len()` when none).
    pub(crate) fn upper_bound(&self, key: &[u8]) -> usize {
        self.search(key, |entry| entry <= key)
    }

    /// The first index whose key is not `before` the searched one. The search runs over the
    /// dense `probes` first (8 bytes a key, after the prefix every key of the block shares),
    /// so that it touches few cache lines, and compares whole keys only among keys whose
    /// probes equal the searched key's.
    fn search(&self, key: &[u8], before: impl Fn(&[u8]) -> bool) -> usize {
        let Some(first) = self.entries.first() else {
            return 0;
        };
        let common =
            &self.keys[first.key_start as usize..first.key_start as usize + self.common_len];
        if !key.starts_with(common) {
            // The key lies outside the block's prefix: before all of its keys, or after.
            return if before(self.key(0)) { self.len() } else { 0 };
        }
        let target = probe(&key[self.common_len..]);
        let low = self.probes.partition_point(|&p| p < target);
        let high = low + self.probes[low..].partition_point(|&p| p == target);
        let (mut low, mut high) = (low, high);
        while low < high {
            let middle = low + (high - low) / 2;
            if before(self.key(middle)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// Approximate bytes of memory the block holds, for the cache's budget.
    pub(crate) fn memory(&self) -> usize {
        self.raw.capacity()
            + self.keys.capacity()
            + self.entries.capacity() * std::mem::size_of::<EntryPos>()
            + self.probes.capacity() * 8
            + 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_searches() {
        let mut builder = BlockBuilder::new(4096);
        let keys: Vec<Vec<u8>> = (0..100u32)
            .map(|i| format!("user#1/item#{:04}", i * 2).into_bytes())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let value = (i % 7 != 0).then(|| format!("value{i}").into_bytes());
            builder.add(key, value.as_deref());
        }
        let raw = builder.finish();
        let block = Block::decode(raw).unwrap();
        assert_eq!(block.len(), 100);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(block.key(i), key.as_slice());
            let expected = (i % 7 != 0).then(|| format!("value{i}").into_bytes());
            assert_eq!(block.value(i), expected.as_deref());
        }
        assert_eq!(block.lower_bound(b"user#1/item#0003"), 2);
        assert_eq!(block.lower_bound(b"user#1/item#0004"), 2);
        assert_eq!(block.upper_bound(b"user#1/item#0004"), 3);
        assert_eq!(block.lower_bound(b"zzz"), 100);
        assert_eq!(block.lower_bound(b""), 0);
    }

    #[test]
    fn rejects_every_corruption() {
        let mut builder = BlockBuilder::new(256);
        builder.add(b"a", Some(b"1"));
        builder.add(b"ab", None);
        builder.add(b"b", Some(b"22"));
        let raw = builder.finish();
        for index in 0..raw.len() {
            let mut corrupt = raw.clone();
            corrupt[index] ^= 0x10;
            assert!(
                Block::decode(corrupt).is_err(),
                "flip at {index} must be detected"
            );
        }
        for cut in 0..raw.len() {
            assert!(Block::decode(raw[..cut].to_vec()).is_err());
        }
    }

    #[test]
    fn search_matches_a_plain_binary_search() {
        // Blocks whose keys share long prefixes, short ones, none, and keys that are
        // prefixes of others.
        let sets: Vec<Vec<Vec<u8>>> = vec![
            (0..60u32)
                .map(|i| format!("hash....pk#000001/item#{:08}", i * 3).into_bytes())
                .collect(),
            (0..60u32)
                .map(|i| format!("p{}/{}", i / 7, i % 7).into_bytes())
                .collect(),
            vec![
                b"a".to_vec(),
                b"a\0".to_vec(),
                b"a\0\0".to_vec(),
                b"ab".to_vec(),
                b"b".to_vec(),
            ],
            vec![b"x".to_vec()],
            (0..40u8)
                .map(|i| vec![7, 7, 7, 7, 7, 7, 7, 7, 7, i])
                .collect(),
        ];
        for keys in sets {
            let mut builder = BlockBuilder::new(1 << 16);
            for key in &keys {
                builder.add(key, Some(b"v"));
            }
            let block = Block::decode(builder.finish()).unwrap();
            let mut probes: Vec<Vec<u8>> = keys.clone();
            for key in &keys {
                let mut shorter = key.clone();
                shorter.pop();
                probes.push(shorter);
                let mut longer = key.clone();
                longer.push(0);
                probes.push(longer);
                let mut bumped = key.clone();
                if let Some(last) = bumped.last_mut() {
                    *last = last.wrapping_add(1);
                }
                probes.push(bumped);
            }
            probes.extend([vec![], vec![0], vec![0xff; 40]]);
            for target in &probes {
                let lower = keys.partition_point(|k| k.as_slice() < target.as_slice());
                let upper = keys.partition_point(|k| k.as_slice() <= target.as_slice());
                assert_eq!(
                    block.lower_bound(target),
                    lower,
                    "lower bound of {target:?}"
                );
                assert_eq!(
                    block.upper_bound(target),
                    upper,
                    "upper bound of {target:?}"
                );
            }
        }
    }
}
