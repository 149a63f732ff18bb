//! Stored keys on arbitrary bytes, for each key schema shape: decoding never panics; a decoded
//! key that the encoder accepts encodes to bytes that decode to the same key, and encoding
//! that key again gives the same bytes.
#![no_main]

use dynafile::__fuzz::{decode_key, encode_key};
use dynafile::{KeyAttribute, KeySchema, KeyType};
use libfuzzer_sys::fuzz_target;

const TYPES: [KeyType; 3] = [KeyType::S, KeyType::N, KeyType::B];

fuzz_target!(|data: &[u8]| {
    let Some((&shape, bytes)) = data.split_first() else {
        return;
    };
    let partition_type = TYPES[usize::from(shape % 3)];
    let sort_type = match (shape / 3) % 4 {
        0 => None,
        n => Some(TYPES[usize::from(n - 1)]),
    };
    let schema = KeySchema {
        partition_key: KeyAttribute::new("PK", partition_type),
        sort_key: sort_type.map(|key_type| KeyAttribute::new("SK", key_type)),
    };
    let Some(key) = decode_key(&schema, bytes) else {
        return;
    };
    // The decoder reads what the encoder would refuse (empty or oversized values, which the
    // checksums keep out of real files); only keys the encoder accepts must round trip.
    let Ok(encoded) = encode_key(&schema, &key) else {
        return;
    };
    assert_eq!(
        decode_key(&schema, &encoded).as_ref(),
        Some(&key),
        "{schema}"
    );
    assert_eq!(encode_key(&schema, &key).ok().as_ref(), Some(&encoded));
    // The sort key's bytes (after the partition prefix) are canonical: a number's ordered
    // encoding has one form, strings and binaries are stored as they are.
    if schema.sort_key.is_some() && bytes.len() >= 10 {
        let prefix = 10 + usize::from(u16::from_be_bytes([bytes[8], bytes[9]]));
        let encoded_prefix = 10 + usize::from(u16::from_be_bytes([encoded[8], encoded[9]]));
        assert_eq!(&bytes[prefix..], &encoded[encoded_prefix..], "{schema}");
    }
});
