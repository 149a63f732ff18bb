//! Bloom filters over keys, so a get skips the files that cannot hold its key.

/// Bits per key: about 1% false positives with 7 probes.
const BITS_PER_KEY: usize = 10;
const PROBES: u8 = 7;

/// A stable 64-bit hash of a key (FNV-1a, then a SplitMix64 finalizer to spread the bits).
/// Stored filters depend on it: it must never change.
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Collects key hashes while a file is written.
#[derive(Default)]
pub(crate) struct BloomBuilder {
    hashes: Vec<u64>,
}

impl BloomBuilder {
    pub(crate) fn add(&mut self, key: &[u8]) {
        self.hashes.push(key_hash(key));
    }

    /// The filter's bytes: the probe count, then the bit array.
    pub(crate) fn finish(&self) -> Vec<u8> {
        let bits = (self.hashes.len() * BITS_PER_KEY)
            .max(64)
            .next_multiple_of(8);
        let mut out = vec![0u8; 1 + bits / 8];
        out[0] = PROBES;
        let array = &mut out[1..];
        for &hash in &self.hashes {
            for position in probe_positions(hash, bits as u64, PROBES) {
                array[(position / 8) as usize] |= 1 << (position % 8);
            }
        }
        out
    }
}

fn probe_positions(hash: u64, bits: u64, probes: u8) -> impl Iterator<Item = u64> {
    let delta = hash.rotate_left(17) | 1;
    (0..u64::from(probes)).map(move |i| hash.wrapping_add(i.wrapping_mul(delta)) % bits)
}

/// A filter read from a file.
pub(crate) struct Bloom {
    probes: u8,
    array: Vec<u8>,
}

impl Bloom {
    /// Reads a filter written by [`BloomBuilder::finish`]; `None` when malformed.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Bloom> {
        let (&probes, array) = bytes.split_first()?;
        if probes == 0 || probes > 30 || array.is_empty() {
            return None;
        }
        Some(Bloom {
            probes,
            array: array.to_vec(),
        })
    }

    /// False when the key is certainly not in the file.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        let bits = self.array.len() as u64 * 8;
        probe_positions(key_hash(key), bits, self.probes).all(|position| {
            self.array
                .get((position / 8) as usize)
                .is_some_and(|byte| byte & (1 << (position % 8)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_rejects_most_others() {
        let mut builder = BloomBuilder::default();
        for i in 0..10_000u32 {
            builder.add(format!("key{i}").as_bytes());
        }
        let bloom = Bloom::from_bytes(&builder.finish()).unwrap();
        assert!((0..10_000u32).all(|i| bloom.may_contain(format!("key{i}").as_bytes())));
        let false_positives = (0..10_000u32)
            .filter(|i| bloom.may_contain(format!("other{i}").as_bytes()))
            .count();
        assert!(
            false_positives < 300,
            "{false_positives} false positives in 10000"
        );
    }

    #[test]
    fn hash_is_stable() {
        // Stored filters depend on these exact values.
        assert_eq!(key_hash(b""), 0xf52a15e9a9b5e89b);
        assert_eq!(key_hash(b"dynafile"), 0xd9a13a2fb0d69a66);
    }
}
