//! Exact decimal numbers as DynamoDB defines them: up to 38 significant digits, a decimal
//! exponent between -130 and +125, compared numerically, never rounded through `f64`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Most significant digits a [`Number`] holds.
pub const MAX_DIGITS: u32 = 38;
/// Smallest exponent of the leading digit: `1E-130` is the smallest positive number.
const MIN_SCIENTIFIC_EXPONENT: i64 = -130;
/// Largest exponent of the leading digit: `9.99…E+125` is the largest number.
const MAX_SCIENTIFIC_EXPONENT: i64 = 125;

/// An exact decimal number, DynamoDB's `N` type.
///
/// It holds up to 38 significant digits with a decimal exponent from -130 to +125, kept in
/// canonical form (no leading or trailing zeros), so equal numbers are equal values whatever
/// text they were parsed from: `"1.50"`, `"1.5"` and `"15e-1"` are the same `Number`.
/// Comparison is numeric. Arithmetic is exact, and fails rather than round.
///
/// ```
/// use dynafile::Number;
/// let a: Number = "0.1".parse()?;
/// let b: Number = "0.2".parse()?;
/// assert_eq!(a.checked_add(&b)?.to_string(), "0.3");
/// assert!("10".parse::<Number>()? > "9.5".parse::<Number>()?);
/// # Ok::<(), dynafile::NumberError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// The significant digits without trailing zeros; 0 only for zero.
    mantissa: u128,
    /// The value is `±mantissa × 10^exponent`.
    exponent: i32,
}

/// Why a text or a computation does not give a valid [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a decimal number (`NaN`, `Infinity`, spaces and words are not).
    #[error("{0:?} is not a numeric value")]
    Invalid(String),
    /// More than 38 significant digits would be needed.
    #[error("number needs more than 38 significant digits")]
    TooManyDigits,
    /// The magnitude is above `9.9999999999999999999999999999999999999E+125`.
    #[error("number overflow: magnitude larger than 9.9999999999999999999999999999999999999E+125")]
    Overflow,
    /// The magnitude is below `1E-130` (and not zero).
    #[error("number underflow: magnitude smaller than 1E-130")]
    Underflow,
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number {
        negative: false,
        mantissa: 0,
        exponent: 0,
    };

    /// Builds a number from sign, digits and exponent, normalizing and checking range.
    fn from_parts(
        negative: bool,
        mut mantissa: u128,
        exponent: i64,
    ) -> Result<Number, NumberError> {
        if mantissa == 0 {
            return Ok(Number::ZERO);
        }
        // Saturating: a decoder may pass any `i64`, and every value near its ends is out of
        // range anyway.
        let mut exponent = exponent;
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent = exponent.saturating_add(1);
        }
        let digits = digit_count(mantissa);
        if digits > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let scientific = exponent.saturating_add(i64::from(digits) - 1);
        if scientific > MAX_SCIENTIFIC_EXPONENT {
            return Err(NumberError::Overflow);
        }
        if scientific < MIN_SCIENTIFIC_EXPONENT {
            return Err(NumberError::Underflow);
        }
        let exponent = i32::try_from(exponent).map_err(|_| NumberError::Overflow)?;
        Ok(Number {
            negative,
            mantissa,
            exponent,
        })
    }

    /// True for zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// True for numbers below zero.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// True when the number has no fractional part.
    #[must_use]
    pub fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// Number of significant digits (1 for zero).
    #[must_use]
    pub fn significant_digits(&self) -> u32 {
        if self.mantissa == 0 {
            1
        } else {
            digit_count(self.mantissa)
        }
    }

    /// The exponent of the leading digit in scientific notation (`1234` → 3, `0.05` → -2).
    fn scientific_exponent(&self) -> i64 {
        i64::from(self.exponent) + i64::from(self.significant_digits()) - 1
    }

    /// The number negated.
    #[must_use]
    pub fn negated(&self) -> Number {
        if self.is_zero() {
            return *self;
        }
        Number {
            negative: !self.negative,
            ..*self
        }
    }

    /// `self + other`, exactly; an error when the exact result does not fit 38 digits or the
    /// exponent range (DynamoDB rejects such updates instead of rounding).
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(*other);
        }
        if other.is_zero() {
            return Ok(*self);
        }
        let low = self.exponent.min(other.exponent);
        if self.exponent != other.exponent {
            // The lowest digit of the sum is the lowest digit of one operand and is not zero,
            // so the sum spans at least from `low` to one below the highest leading digit.
            let high = self.scientific_exponent().max(other.scientific_exponent());
            if high - i64::from(low) > i64::from(MAX_DIGITS) {
                return Err(NumberError::TooManyDigits);
            }
        }
        let align = |n: &Number| -> Result<u128, NumberError> {
            let shift = u32::try_from(n.exponent - low).map_err(|_| NumberError::TooManyDigits)?;
            10u128
                .checked_pow(shift)
                .and_then(|scale| n.mantissa.checked_mul(scale))
                .ok_or(NumberError::TooManyDigits)
        };
        let (a, b) = (align(self)?, align(other)?);
        let (negative, magnitude) = if self.negative == other.negative {
            (
                self.negative,
                a.checked_add(b).ok_or(NumberError::TooManyDigits)?,
            )
        } else if a >= b {
            (self.negative, a - b)
        } else {
            (other.negative, b - a)
        };
        Number::from_parts(negative, magnitude, i64::from(low))
    }

    /// `self - other`, exactly (see [`Number::checked_add`]).
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negated())
    }

    /// The value as an `i64`, when it is an integer in range.
    #[must_use]
    pub fn to_i64(&self) -> Option<i64> {
        let magnitude = self.integer_magnitude()?;
        if self.negative {
            0i128
                .checked_sub_unsigned(magnitude)
                .and_then(|v| i64::try_from(v).ok())
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The largest integer not above the value, when it fits an `i64` (`2.5` → 2,
    /// `-2.5` → -3).
    pub(crate) fn floor_i64(&self) -> Option<i64> {
        let Ok(shift) = u32::try_from(-i64::from(self.exponent)) else {
            return self.to_i64();
        };
        if shift == 0 {
            return self.to_i64();
        }
        // Past 38 digits of shift the mantissa (at most 38 digits) is all fraction.
        let (whole, fraction) = match 10u128.checked_pow(shift) {
            Some(divisor) => (self.mantissa / divisor, self.mantissa % divisor),
            None => (0, self.mantissa),
        };
        let whole = i64::try_from(whole).ok()?;
        if self.negative {
            whole.checked_neg()?.checked_sub(i64::from(fraction != 0))
        } else {
            Some(whole)
        }
    }

    /// The value as a `u64`, when it is a non-negative integer in range.
    #[must_use]
    pub fn to_u64(&self) -> Option<u64> {
        if self.negative {
            return None;
        }
        u64::try_from(self.integer_magnitude()?).ok()
    }

    /// The value as an `i128`, when it is an integer in range.
    #[must_use]
    pub fn to_i128(&self) -> Option<i128> {
        let magnitude = i128::try_from(self.integer_magnitude()?).ok()?;
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// The value as a `u128`, when it is a non-negative integer in range.
    #[must_use]
    pub fn to_u128(&self) -> Option<u128> {
        if self.negative {
            None
        } else {
            self.integer_magnitude()
        }
    }

    fn integer_magnitude(&self) -> Option<u128> {
        let shift = u32::try_from(self.exponent).ok()?;
        10u128.checked_pow(shift)?.checked_mul(self.mantissa)
    }

    /// The nearest `f64` (correctly rounded; may lose precision).
    #[must_use]
    pub fn to_f64(&self) -> f64 {
        let text = format!(
            "{}{}e{}",
            if self.negative { "-" } else { "" },
            self.mantissa,
            self.exponent
        );
        text.parse().unwrap_or(f64::NAN)
    }

    /// Parses a number from text: an optional sign, digits with an optional decimal point and
    /// an optional exponent (`"-7.1234"`, `"+3"`, `".5"`, `"1e+5"`, `"0e1000"`). No spaces.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let invalid = || NumberError::Invalid(text.to_owned());
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let mut mantissa: u128 = 0;
        let mut significant = 0u32;
        let mut any_digit = false;
        let mut seen_point = false;
        // Exponent adjustment: digits after the point lower it, digits dropped (only zeros,
        // else it is an error) raise it.
        let mut exponent: i64 = 0;
        let mut pending_zeros: i64 = 0;
        while let Some(&byte) = bytes.get(pos) {
            match byte {
                b'0'..=b'9' => {
                    any_digit = true;
                    let digit = byte - b'0';
                    if seen_point {
                        exponent -= 1;
                    }
                    if digit == 0 {
                        if significant > 0 {
                            pending_zeros += 1;
                        }
                    } else {
                        // Zeros between significant digits are significant.
                        let zeros =
                            u32::try_from(pending_zeros).map_err(|_| NumberError::TooManyDigits)?;
                        if significant + zeros + 1 > MAX_DIGITS {
                            return Err(NumberError::TooManyDigits);
                        }
                        mantissa = mantissa * 10u128.pow(zeros + 1) + u128::from(digit);
                        significant += zeros + 1;
                        pending_zeros = 0;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(invalid()),
            }
            pos += 1;
        }
        if !any_digit {
            return Err(invalid());
        }
        exponent += pending_zeros;
        if let Some(&marker) = bytes.get(pos) {
            debug_assert!(marker == b'e' || marker == b'E');
            let rest = bytes.get(pos + 1..).unwrap_or_default();
            let (exp_negative, digits) = match rest.first() {
                Some(b'-') => (true, &rest[1..]),
                Some(b'+') => (false, &rest[1..]),
                _ => (false, rest),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            // Saturate: anything this large is out of range unless the mantissa is zero.
            let value = digits
                .iter()
                .try_fold(0i64, |acc, d| {
                    acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
                })
                .unwrap_or(i64::MAX / 4)
                .min(i64::MAX / 4);
            exponent += if exp_negative { -value } else { value };
        }
        Number::from_parts(negative, mantissa, exponent)
    }

    /// Appends an encoding whose byte order is the numeric order (for sort keys).
    pub(crate) fn encode_ordered(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(ORDERED_ZERO);
            return;
        }
        // The scientific exponent is in -130..=125, so +130 fits a byte.
        let exponent_byte = u8::try_from(self.scientific_exponent() + 130).unwrap_or(u8::MAX);
        let digits = self.mantissa.to_string();
        if self.negative {
            out.push(ORDERED_NEGATIVE);
            out.push(!exponent_byte);
            out.extend(digits.bytes().map(|d| !(d - b'0' + 1)));
            out.push(!0);
        } else {
            out.push(ORDERED_POSITIVE);
            out.push(exponent_byte);
            out.extend(digits.bytes().map(|d| d - b'0' + 1));
            out.push(0);
        }
    }

    /// Decodes [`Number::encode_ordered`]; returns the number and the bytes it took.
    pub(crate) fn decode_ordered(bytes: &[u8]) -> Option<(Number, usize)> {
        let (&tag, rest) = bytes.split_first()?;
        if tag == ORDERED_ZERO {
            return Some((Number::ZERO, 1));
        }
        let negative = match tag {
            ORDERED_NEGATIVE => true,
            ORDERED_POSITIVE => false,
            _ => return None,
        };
        let flip = |b: u8| if negative { !b } else { b };
        let (&exponent_byte, rest) = rest.split_first()?;
        let scientific = i64::from(flip(exponent_byte)) - 130;
        let mut mantissa: u128 = 0;
        for (digits, &byte) in (0u32..).zip(rest) {
            let value = flip(byte);
            // Canonical input only: the first digit is not a zero (digit byte 1).
            if digits == 0 && value == 1 {
                return None;
            }
            if value == 0 {
                if digits == 0 {
                    return None;
                }
                let exponent = scientific - i64::from(digits) + 1;
                let number = Number::from_parts(negative, mantissa, exponent).ok()?;
                // Canonical input only: a trailing zero digit would have been trimmed.
                if number.mantissa != mantissa {
                    return None;
                }
                return Some((number, digits as usize + 3));
            }
            if !(1..=10).contains(&value) || digits == MAX_DIGITS {
                return None;
            }
            mantissa = mantissa * 10 + u128::from(value - 1);
        }
        None
    }

    /// Appends the compact storage encoding: zigzag varints of the signed mantissa and exponent.
    pub(crate) fn encode_compact(&self, out: &mut Vec<u8>) {
        let signed = if self.negative {
            -(self.mantissa as i128)
        } else {
            self.mantissa as i128
        };
        write_varint_u128(out, zigzag(signed));
        write_varint_u128(out, zigzag(i128::from(self.exponent)));
    }

    /// Decodes [`Number::encode_compact`]; returns the number and the bytes it took.
    pub(crate) fn decode_compact(bytes: &[u8]) -> Option<(Number, usize)> {
        let (raw_mantissa, used_mantissa) = read_varint_u128(bytes)?;
        let (raw_exponent, used_exponent) = read_varint_u128(bytes.get(used_mantissa..)?)?;
        let signed = unzigzag(raw_mantissa);
        let exponent = i64::try_from(unzigzag(raw_exponent)).ok()?;
        let number = Number::from_parts(signed < 0, signed.unsigned_abs(), exponent).ok()?;
        // Only canonical encodings are accepted, so equal numbers have equal bytes (zero's
        // exponent is 0 too).
        if number.mantissa != signed.unsigned_abs() || i64::from(number.exponent) != exponent {
            return None;
        }
        Some((number, used_mantissa + used_exponent))
    }
}

const ORDERED_NEGATIVE: u8 = 0x01;
const ORDERED_ZERO: u8 = 0x02;
const ORDERED_POSITIVE: u8 = 0x03;

fn zigzag(value: i128) -> u128 {
    ((value << 1) ^ (value >> 127)) as u128
}

fn unzigzag(value: u128) -> i128 {
    ((value >> 1) as i128) ^ -((value & 1) as i128)
}

fn write_varint_u128(out: &mut Vec<u8>, mut value: u128) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a LEB128 varint; only the shortest encoding of a value is accepted (no trailing
/// zero groups, no bits beyond 128), so that equal numbers have equal bytes.
fn read_varint_u128(bytes: &[u8]) -> Option<(u128, usize)> {
    let mut value: u128 = 0;
    for (index, &byte) in bytes.iter().enumerate().take(19) {
        // The 19th group holds the top 2 of 128 bits.
        if index == 18 && byte > 0x03 {
            return None;
        }
        value |= u128::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            if byte == 0 && index > 0 {
                return None;
            }
            return Some((value, index + 1));
        }
    }
    None
}

fn digit_count(value: u128) -> u32 {
    if value == 0 { 1 } else { value.ilog10() + 1 }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let class = |n: &Number| match (n.is_zero(), n.negative) {
            (true, _) => 1,
            (false, true) => 0,
            (false, false) => 2,
        };
        match class(self).cmp(&class(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if self.is_zero() {
            return Ordering::Equal;
        }
        let magnitude = self
            .scientific_exponent()
            .cmp(&other.scientific_exponent())
            .then_with(|| {
                // Same leading exponent: compare the digit strings padded to equal length.
                let (da, db) = (digit_count(self.mantissa), digit_count(other.mantissa));
                let width = da.max(db);
                let a = self.mantissa * 10u128.pow(width - da);
                let b = other.mantissa * 10u128.pow(width - db);
                a.cmp(&b)
            });
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    /// The canonical text: plain notation for ordinary magnitudes (`1000`, `0.001`), scientific
    /// beyond them (`1E+50`, `1.5E-30`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = self.mantissa.to_string();
        let count = digits.len() as i64;
        let exponent = i64::from(self.exponent);
        let scientific = exponent + count - 1;
        let sign = if self.negative { "-" } else { "" };
        if exponent >= 0 && count + exponent <= 40 {
            write!(f, "{sign}{digits}{}", "0".repeat(exponent as usize))
        } else if exponent < 0 && scientific >= -20 {
            let point = count + exponent;
            if point > 0 {
                let (whole, fraction) = digits.split_at(point as usize);
                write!(f, "{sign}{whole}.{fraction}")
            } else {
                write!(f, "{sign}0.{}{digits}", "0".repeat((-point) as usize))
            }
        } else {
            let (first, rest) = digits.split_at(1);
            let point = if rest.is_empty() { "" } else { "." };
            let exp_sign = if scientific >= 0 { "+" } else { "" };
            write!(f, "{sign}{first}{point}{rest}E{exp_sign}{scientific}")
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = NumberError;
    fn from_str(text: &str) -> Result<Number, NumberError> {
        Number::parse(text)
    }
}

impl Default for Number {
    fn default() -> Number {
        Number::ZERO
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Number {
                let wide = i128::from(value);
                // At most 20 digits: always in range.
                Number::from_parts(wide < 0, wide.unsigned_abs(), 0).unwrap_or(Number::ZERO)
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

// `isize`/`usize` have no `From` into `i128`; they are at most 64 bits wide.

impl From<usize> for Number {
    fn from(value: usize) -> Number {
        Number::from(value as u64)
    }
}

impl From<isize> for Number {
    fn from(value: isize) -> Number {
        Number::from(value as i64)
    }
}

impl TryFrom<i128> for Number {
    type Error = NumberError;
    fn try_from(value: i128) -> Result<Number, NumberError> {
        Number::from_parts(value < 0, value.unsigned_abs(), 0)
    }
}

impl TryFrom<u128> for Number {
    type Error = NumberError;
    fn try_from(value: u128) -> Result<Number, NumberError> {
        Number::from_parts(false, value, 0)
    }
}

impl TryFrom<f64> for Number {
    type Error = NumberError;
    /// The shortest decimal that reads back as the same `f64` (`0.1` stays `0.1`).
    fn try_from(value: f64) -> Result<Number, NumberError> {
        if !value.is_finite() {
            return Err(NumberError::Invalid(value.to_string()));
        }
        Number::parse(&format!("{value:e}"))
    }
}

impl TryFrom<f32> for Number {
    type Error = NumberError;
    fn try_from(value: f32) -> Result<Number, NumberError> {
        if !value.is_finite() {
            return Err(NumberError::Invalid(value.to_string()));
        }
        Number::parse(&format!("{value:e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn floor_rounds_toward_negative_infinity() {
        for (text, floor) in [
            ("2.5", Some(2)),
            ("-2.5", Some(-3)),
            ("-2", Some(-2)),
            ("1700000000", Some(1_700_000_000)),
            ("0.000001", Some(0)),
            ("-1e-100", Some(-1)),
            ("1e-130", Some(0)),
            ("99.99999999999999999999999999999999999", Some(99)),
            ("1e30", None),
        ] {
            assert_eq!(n(text).floor_i64(), floor, "{text}");
        }
    }

    #[test]
    fn parses_and_prints_canonical_form() {
        for (input, canonical) in [
            ("0", "0"),
            ("-0", "0"),
            ("0e1000", "0"),
            ("000.000", "0"),
            ("1", "1"),
            ("+3", "3"),
            (".123", "0.123"),
            ("0001.23", "1.23"),
            ("1.50", "1.5"),
            ("15e-1", "1.5"),
            ("1e+5", "100000"),
            ("-17e5", "-1700000"),
            ("-17.4E37", "-174000000000000000000000000000000000000"),
            ("1e3", "1000"),
            ("100", "100"),
            ("1.", "1"),
            ("0.001", "0.001"),
            ("-0.000001", "-0.000001"),
            ("1e-20", "0.00000000000000000001"),
            ("1e-21", "1E-21"),
            ("1.5e-30", "1.5E-30"),
            ("1e50", "1E+50"),
            ("1e125", "1E+125"),
            ("1e-130", "1E-130"),
            (
                "3.1415926535897932384626433832795028841",
                "3.1415926535897932384626433832795028841",
            ),
            (
                "314159265358979323846.26433832795028841",
                "314159265358979323846.26433832795028841",
            ),
            ("10000000000000000000000", "10000000000000000000000"),
            (
                "1000000000000000000000000000000000000000000000000000",
                "1E+51",
            ),
        ] {
            assert_eq!(n(input).to_string(), canonical, "input {input}");
            assert_eq!(
                n(canonical),
                n(input),
                "canonical text reparses to the same number"
            );
        }
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        for bad in [
            "NaN",
            "Infinity",
            "-Infinity",
            "-NaN",
            "dog",
            "-dog",
            " 1",
            "1 ",
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "1..2",
            "1e5.5",
            "0x10",
            "1,5",
        ] {
            assert!(
                matches!(Number::parse(bad), Err(NumberError::Invalid(_))),
                "{bad:?} must be invalid"
            );
        }
        assert_eq!(
            Number::parse("3.14159265358979323846264338327950288419"),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(
            Number::parse("314159265358979323846264338327950288419e30"),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("11e125"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("-1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("0.9e-130"), Err(NumberError::Underflow));
        assert_eq!(
            Number::parse("1e99999999999999999999999"),
            Err(NumberError::Overflow)
        );
        // Trailing zeros are not significant: this is one digit.
        assert_eq!(
            n("1000000000000000000000000000000000000000000000").significant_digits(),
            1
        );
        // Zeros between digits are.
        assert_eq!(
            Number::parse("1000000000000000000000000000000000000001"),
            Err(NumberError::TooManyDigits)
        );
    }

    #[test]
    fn compares_numerically() {
        let ordered = [
            "-1e125", "-100", "-10", "-9.5", "-1.5", "-1", "-0.5", "-1e-130", "0", "1e-130",
            "0.001", "0.5", "1", "1.5", "9.99", "10", "10.5", "100", "1e125",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(n(a).cmp(&n(b)), i.cmp(&j), "{a} vs {b}");
                let (mut ea, mut eb) = (Vec::new(), Vec::new());
                n(a).encode_ordered(&mut ea);
                n(b).encode_ordered(&mut eb);
                assert_eq!(ea.cmp(&eb), i.cmp(&j), "ordered encoding of {a} vs {b}");
            }
        }
    }

    #[test]
    fn adds_exactly_or_fails() {
        assert_eq!(n("0.1").checked_add(&n("0.2")), Ok(n("0.3")));
        assert_eq!(
            n("1").checked_add(&n("10000000000000000000000")),
            Ok(n("10000000000000000000001"))
        );
        assert_eq!(
            n("10000000000000000000000").checked_sub(&n("1")),
            Ok(n("9999999999999999999999"))
        );
        assert_eq!(n("5").checked_sub(&n("7")), Ok(n("-2")));
        assert_eq!(n("-5").checked_add(&n("5")), Ok(Number::ZERO));
        assert_eq!(n("1.5").checked_add(&n("-0.25")), Ok(n("1.25")));
        assert_eq!(
            n("1e50").checked_add(&n("1")),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(
            n("1e50").checked_sub(&n("1")),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(
            n("9e125").checked_add(&n("9e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("9e125").checked_sub(&n("-9e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(n("1e100").checked_add(&n("1e100")), Ok(n("2e100")));
        let big = n("99999999999999999999999999999999999999");
        assert_eq!(big.checked_add(&n("1")), Ok(n("1e38")));
        assert_eq!(big.checked_add(&n("2")), Err(NumberError::TooManyDigits));
        assert_eq!(big.checked_add(&big), Err(NumberError::TooManyDigits));
        assert_eq!(big.checked_sub(&big), Ok(Number::ZERO));
    }

    #[test]
    fn converts_to_and_from_machine_numbers() {
        assert_eq!(Number::from(-42i32).to_string(), "-42");
        assert_eq!(Number::from(u64::MAX).to_u64(), Some(u64::MAX));
        assert_eq!(Number::from(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("-1").to_u64(), None);
        assert_eq!(n("1e30").to_u64(), None);
        assert_eq!(n("1e30").to_u128(), Some(10u128.pow(30)));
        assert_eq!(Number::try_from(0.1f64), Ok(n("0.1")));
        assert_eq!(Number::try_from(1e300f64), Err(NumberError::Overflow));
        assert!(Number::try_from(f64::NAN).is_err());
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("-2.5e-7").to_f64(), -2.5e-7);
    }

    #[test]
    fn encodings_round_trip() {
        for text in [
            "0",
            "1",
            "-1",
            "1.5",
            "-0.001",
            "1e125",
            "-1e-130",
            "99999999999999999999999999999999999999",
            "123.456",
        ] {
            let number = n(text);
            let mut ordered = Vec::new();
            number.encode_ordered(&mut ordered);
            ordered.push(0xAA);
            assert_eq!(
                Number::decode_ordered(&ordered),
                Some((number, ordered.len() - 1)),
                "{text}"
            );
            let mut compact = Vec::new();
            number.encode_compact(&mut compact);
            assert_eq!(
                Number::decode_compact(&compact),
                Some((number, compact.len())),
                "{text}"
            );
        }
        assert_eq!(Number::decode_compact(&[0xff; 30]), None);
        assert_eq!(Number::decode_ordered(&[ORDERED_POSITIVE, 130]), None);
        assert_eq!(
            Number::decode_ordered(&[ORDERED_POSITIVE, 130, 2, 1, 0]),
            None,
            "trailing zero digit is not canonical"
        );
    }

    #[test]
    fn compact_decoding_refuses_exponents_out_of_range_without_overflow() {
        // Mantissa 10 (zigzag 20), exponent i64::MAX (zigzag u64::MAX - 1).
        let mut bytes = vec![20];
        write_varint_u128(&mut bytes, zigzag(i128::from(i64::MAX)));
        assert_eq!(Number::decode_compact(&bytes), None);
        let mut bytes = vec![20];
        write_varint_u128(&mut bytes, zigzag(i128::from(i64::MIN)));
        assert_eq!(Number::decode_compact(&bytes), None);
    }

    #[test]
    fn compact_decoding_refuses_zero_with_an_exponent() {
        assert_eq!(Number::decode_compact(&[0, 0]), Some((Number::ZERO, 2)));
        assert_eq!(Number::decode_compact(&[0, 45]), None);
    }

    #[test]
    fn compact_decoding_refuses_overlong_varints() {
        assert_eq!(Number::decode_compact(&[78, 0]), Some((n("39"), 2)));
        assert_eq!(Number::decode_compact(&[0xce, 0, 0]), None);
        assert_eq!(Number::decode_compact(&[78, 0x80, 0]), None);
        let mut too_wide = vec![0xff; 18];
        too_wide.extend([0x04, 0]);
        assert_eq!(Number::decode_compact(&too_wide), None);
    }

    #[test]
    fn ordered_decoding_refuses_a_leading_zero_digit() {
        let mut canonical = Vec::new();
        n("13e-126").encode_ordered(&mut canonical);
        assert_eq!(canonical, [3, 5, 2, 4, 0]);
        assert_eq!(Number::decode_ordered(&canonical), Some((n("13e-126"), 5)));
        assert_eq!(Number::decode_ordered(&[3, 6, 1, 2, 4, 0]), None);
        assert_eq!(Number::decode_ordered(&[1, !6, !1, !2, !4, !0]), None);
    }
}
