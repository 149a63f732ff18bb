//! Regression: plain JSON numbers written by `Value::to_json` must read back through
//! serde_json's text as exactly the same number. serde_json's default float parser may be
//! one unit in the last place off (`1e-130` read back as `9.999999999999999e-131`, below
//! DynamoDB's range), so dynafile enables its `float_roundtrip` parser.

use dynafile::{Number, Value};
use proptest::prelude::*;

/// The value after a trip through plain JSON text.
fn through_text(value: &Value) -> Value {
    let text = serde_json::to_string(&value.to_json()).expect("serialize");
    let json: serde_json::Value = serde_json::from_str(&text).expect("parse");
    Value::from_json(&json).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn n(text: &str) -> Value {
    Value::N(text.parse::<Number>().expect("number"))
}

#[test]
fn plain_json_numbers_read_back_exactly() {
    for text in [
        "0.1",
        "1e-130",
        "-1e-130",
        "1.5e125",
        "2.5e-100",
        "123456.789",
        "1e30",
        "-9223372036854775808",
        "18446744073709551615",
    ] {
        assert_eq!(through_text(&n(text)), n(text), "{text}");
    }
    // No JSON number reads back as these: they are written as their canonical text.
    for (text, canonical) in [
        ("9.9999999999999999e125", "9.9999999999999999E+125"),
        (
            "3.1415926535897932384626433832795028841",
            "3.1415926535897932384626433832795028841",
        ),
        ("18446744073709551616", "18446744073709551616"),
    ] {
        assert_eq!(through_text(&n(text)), Value::from(canonical), "{text}");
    }
}

proptest! {
    #[test]
    fn floats_in_range_read_back_exactly(mantissa in -1.0e6f64..1.0e6, exponent in -120i32..120) {
        let float = mantissa * 10f64.powi(exponent);
        if let Ok(number) = Number::try_from(float) {
            let value = Value::N(number);
            prop_assert_eq!(through_text(&value), value);
        }
    }
}

#[test]
fn integers_beyond_u64_in_plain_json_go_through_f64() {
    let json: serde_json::Value = serde_json::from_str("123456789012345678901").expect("parse");
    assert_eq!(
        Value::from_json(&json).expect("convert"),
        n("1.2345678901234568E+20")
    );
}
