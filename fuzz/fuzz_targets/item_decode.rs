//! The storage encoding of items on arbitrary bytes: decoding never panics nor allocates more
//! than the input's size; a decoded item encodes to bytes that decode to the same item, and
//! that encoding is canonical (encoding the decoded item again gives the same bytes).
#![no_main]

use dynafile::__fuzz::{decode_item, encode_item};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(item) = decode_item(data) else {
        return;
    };
    let encoded = encode_item(&item);
    let again = decode_item(&encoded);
    assert_eq!(
        again.as_ref(),
        Some(&item),
        "re-encoded item decodes differently"
    );
    assert_eq!(encode_item(&item), encoded, "encoding is not deterministic");
});
