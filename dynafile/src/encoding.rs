//! The binary encoding of items, as stored in the log and in partition files.
//!
//! ```text
//! item  := varint(count) (name value)*            names in ascending order
//! name  := varint(len) utf8
//! value := tag payload
//!   S  0: varint(len) utf8        N  1: number (zigzag varints)   B  2: varint(len) bytes
//!   TRUE 3, FALSE 4, NULL 5       L  6: varint(count) value*      M  7: varint(count) (name value)*
//!   SS 8: varint(count) (varint(len) utf8)*   NS 9: varint(count) number*
//!   BS 10: varint(count) (varint(len) bytes)*
//! ```
//! The key attributes are left out: the key stored beside the value carries them.
//! Decoding trusts nothing: every length is checked against the bytes that remain, so a
//! corrupt length can neither panic nor allocate more than the input's size.

use std::collections::BTreeSet;

use crate::item::Item;
use crate::number::Number;
use crate::value::{Map, Value};

const TAG_S: u8 = 0;
const TAG_N: u8 = 1;
const TAG_B: u8 = 2;
const TAG_TRUE: u8 = 3;
const TAG_FALSE: u8 = 4;
const TAG_NULL: u8 = 5;
const TAG_L: u8 = 6;
const TAG_M: u8 = 7;
const TAG_SS: u8 = 8;
const TAG_NS: u8 = 9;
const TAG_BS: u8 = 10;

/// Deeper than any valid item (32 levels) with room to spare; stops stack exhaustion on
/// corrupt input.
const MAX_DECODE_DEPTH: usize = 64;

/// Appends `value` as a LEB128 varint.
pub(crate) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a LEB128 varint at `*pos`, advancing it.
pub(crate) fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Encodes an item, leaving out the attributes named in `skip` (the key attributes).
pub(crate) fn encode_item(item: &Item, skip: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(item.size() + 16);
    let count = item
        .iter()
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .count();
    write_varint(&mut out, count as u64);
    for (name, value) in item.iter() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        write_bytes(&mut out, name.as_bytes());
        encode_value(&mut out, value);
    }
    out
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn encode_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::S(s) => {
            out.push(TAG_S);
            write_bytes(out, s.as_bytes());
        }
        Value::N(n) => {
            out.push(TAG_N);
            n.encode_compact(out);
        }
        Value::B(b) => {
            out.push(TAG_B);
            write_bytes(out, b);
        }
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Null => out.push(TAG_NULL),
        Value::L(list) => {
            out.push(TAG_L);
            write_varint(out, list.len() as u64);
            for element in list {
                encode_value(out, element);
            }
        }
        Value::M(map) => {
            out.push(TAG_M);
            write_varint(out, map.len() as u64);
            for (name, element) in map {
                write_bytes(out, name.as_bytes());
                encode_value(out, element);
            }
        }
        Value::Ss(set) => {
            out.push(TAG_SS);
            write_varint(out, set.len() as u64);
            for s in set {
                write_bytes(out, s.as_bytes());
            }
        }
        Value::Ns(set) => {
            out.push(TAG_NS);
            write_varint(out, set.len() as u64);
            for n in set {
                n.encode_compact(out);
            }
        }
        Value::Bs(set) => {
            out.push(TAG_BS);
            write_varint(out, set.len() as u64);
            for b in set {
                write_bytes(out, b);
            }
        }
    }
}

/// Why stored bytes are not a valid item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// Offset in the value where decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn fail<T>(&self, reason: &'static str) -> Result<T, DecodeError> {
        Err(DecodeError {
            offset: self.pos,
            reason,
        })
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        match read_varint(self.bytes, &mut self.pos) {
            Some(v) => Ok(v),
            None => self.fail("truncated or overlong varint"),
        }
    }

    /// A count of elements, each at least one byte long, so it cannot exceed what remains.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let count = self.varint()?;
        let remaining = self.bytes.len() - self.pos;
        match usize::try_from(count) {
            Ok(count) if count <= remaining => Ok(count),
            _ => self.fail("element count larger than the remaining bytes"),
        }
    }

    fn slice(&mut self) -> Result<&'a [u8], DecodeError> {
        let length = self.varint()?;
        let remaining = self.bytes.len() - self.pos;
        match usize::try_from(length) {
            Ok(length) if length <= remaining => {
                let slice = &self.bytes[self.pos..self.pos + length];
                self.pos += length;
                Ok(slice)
            }
            _ => self.fail("length larger than the remaining bytes"),
        }
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let start = self.pos;
        let slice = self.slice()?;
        match std::str::from_utf8(slice) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(DecodeError {
                offset: start,
                reason: "string is not UTF-8",
            }),
        }
    }

    fn number(&mut self) -> Result<Number, DecodeError> {
        match Number::decode_compact(&self.bytes[self.pos..]) {
            Some((number, used)) => {
                self.pos += used;
                Ok(number)
            }
            None => self.fail("invalid number"),
        }
    }

    fn map_entries(&mut self, depth: usize) -> Result<Map, DecodeError> {
        let count = self.count()?;
        let mut map = Map::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.value(depth + 1)?;
            if map.insert(name, value).is_some() {
                return self.fail("duplicate attribute name");
            }
        }
        Ok(map)
    }

    fn set<T: Ord>(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<BTreeSet<T>, DecodeError> {
        let count = self.count()?;
        let mut set = BTreeSet::new();
        for _ in 0..count {
            let value = element(self)?;
            if !set.insert(value) {
                return self.fail("duplicate set element");
            }
        }
        if set.is_empty() {
            return self.fail("empty set");
        }
        Ok(set)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DECODE_DEPTH {
            return self.fail("values nested too deeply");
        }
        let Some(&tag) = self.bytes.get(self.pos) else {
            return self.fail("truncated value");
        };
        self.pos += 1;
        Ok(match tag {
            TAG_S => Value::S(self.string()?),
            TAG_N => Value::N(self.number()?),
            TAG_B => Value::B(self.slice()?.to_vec()),
            TAG_TRUE => Value::Bool(true),
            TAG_FALSE => Value::Bool(false),
            TAG_NULL => Value::Null,
            TAG_L => {
                let count = self.count()?;
                let mut list = Vec::with_capacity(count);
                for _ in 0..count {
                    list.push(self.value(depth + 1)?);
                }
                Value::L(list)
            }
            TAG_M => Value::M(self.map_entries(depth)?),
            TAG_SS => Value::Ss(self.set(Self::string)?),
            TAG_NS => Value::Ns(self.set(Self::number)?),
            TAG_BS => Value::Bs(self.set(|d| d.slice().map(<[u8]>::to_vec))?),
            _ => {
                self.pos -= 1;
                return self.fail("unknown value tag");
            }
        })
    }
}

/// Decodes an item encoded by [`encode_item`].
pub(crate) fn decode_item(bytes: &[u8]) -> Result<Item, DecodeError> {
    let mut decoder = Decoder { bytes, pos: 0 };
    let map = decoder.map_entries(0)?;
    if decoder.pos != bytes.len() {
        return decoder.fail("trailing bytes after the item");
    }
    Ok(Item::from(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item;

    fn sample() -> Item {
        item! {
            "PK" => "user#1",
            "s" => "text",
            "n" => "-12.5e3".parse::<Number>().unwrap(),
            "b" => vec![0u8, 255],
            "t" => true,
            "f" => false,
            "z" => Value::Null,
            "l" => vec![Value::from(1), Value::from("two"), Value::L(vec![])],
            "m" => Value::M([("inner".to_owned(), Value::from("x"))].into()),
            "ss" => Value::string_set(["a", "b"]),
            "ns" => Value::number_set([1, 2, 3]),
            "bs" => Value::binary_set([vec![1u8], vec![2u8]]),
        }
    }

    #[test]
    fn round_trips_every_type() {
        let item = sample();
        let bytes = encode_item(&item, &[]);
        assert_eq!(decode_item(&bytes), Ok(item.clone()));
        let without_key = encode_item(&item, &["PK"]);
        let mut expected = item;
        expected.remove("PK");
        assert_eq!(decode_item(&without_key), Ok(expected));
    }

    #[test]
    fn rejects_corrupt_bytes_without_panicking() {
        let bytes = encode_item(&sample(), &[]);
        for cut in 0..bytes.len() {
            assert!(decode_item(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        for index in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[index] ^= flip;
                let _ = decode_item(&corrupt);
            }
        }
        // A huge count must not allocate.
        assert!(decode_item(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        let mut deep = vec![1u8, 1, b'a'];
        deep.extend(std::iter::repeat_n([TAG_L, 1], 1000).flatten());
        assert!(decode_item(&deep).is_err());
    }
}
