//! `Number` parsing and its two binary encodings. The input is two texts separated by `|`
//! (and, read as bytes, is also fed to both decoders). For each text that parses: its
//! canonical text parses to the same number; both encodings decode to it, using every byte.
//! For two numbers: their numeric order is the byte order of their ordered encodings. For the
//! raw bytes: a decoded number re-encodes to exactly the bytes it was read from (only
//! canonical encodings are accepted, so equal numbers have equal bytes).
#![no_main]

use dynafile::__fuzz::{decode_compact, decode_ordered, encode_compact, encode_ordered};
use dynafile::Number;
use libfuzzer_sys::fuzz_target;

fn check_one(number: &Number) {
    let text = number.to_string();
    assert_eq!(
        Number::parse(&text).as_ref(),
        Ok(number),
        "canonical text {text}"
    );
    let ordered = encode_ordered(number);
    assert_eq!(
        decode_ordered(&ordered),
        Some((*number, ordered.len())),
        "{text}"
    );
    let compact = encode_compact(number);
    assert_eq!(
        decode_compact(&compact),
        Some((*number, compact.len())),
        "{text}"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Some((number, used)) = decode_ordered(data) {
        assert_eq!(encode_ordered(&number), &data[..used], "ordered {number}");
    }
    if let Some((number, used)) = decode_compact(data) {
        assert_eq!(encode_compact(&number), &data[..used], "compact {number}");
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, second) = text.split_once('|').unwrap_or((text, ""));
    let a = Number::parse(first);
    let b = Number::parse(second);
    if let Ok(a) = &a {
        check_one(a);
    }
    if let Ok(b) = &b {
        check_one(b);
    }
    if let (Ok(a), Ok(b)) = (a, b) {
        assert_eq!(
            a.cmp(&b),
            encode_ordered(&a).cmp(&encode_ordered(&b)),
            "order of {a} and {b}"
        );
        assert_eq!(a == b, a.to_string() == b.to_string(), "{a} and {b}");
    }
});
