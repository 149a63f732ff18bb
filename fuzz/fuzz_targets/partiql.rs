//! The PartiQL parser on arbitrary text: parsing never panics (nor overflows the stack); a
//! statement that parses prints (its `Display`, canonical PartiQL) as text that parses to the
//! same statement, once the printed parameter numbers (`?0`, `?1`, ..) are written `?` again.
#![no_main]

use dynafile::__fuzz::parse_partiql;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statement) = parse_partiql(text) else {
        return;
    };
    let printed = unnumber_parameters(&statement.to_string());
    let again = parse_partiql(&printed);
    assert_eq!(
        again.as_ref().ok(),
        Some(&statement),
        "{text:?} printed as {printed:?}: {again:?}"
    );
});

/// `?0`, `?1`, .. outside quoted strings and names become `?`: parameters are numbered in the
/// order they appear, which printing keeps.
fn unnumber_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut after_parameter = false;
    for c in text.chars() {
        if after_parameter && c.is_ascii_digit() {
            continue;
        }
        after_parameter = false;
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' => after_parameter = true,
            None => {}
        }
        out.push(c);
    }
    out
}
