//! The expression parser: the first byte picks the grammar (condition, filter, key condition,
//! update, projection), the rest is the text, with a fixed set of `#name` and `:value`
//! placeholders (see `dynafile::__fuzz::parse_expression`). Parsing never panics; an
//! expression that parses prints back as text that parses to the same AST.
#![no_main]

use dynafile::__fuzz::{ExpressionKind, parse_expression};
use libfuzzer_sys::fuzz_target;

const KINDS: [ExpressionKind; 5] = [
    ExpressionKind::Condition,
    ExpressionKind::Filter,
    ExpressionKind::KeyCondition,
    ExpressionKind::Update,
    ExpressionKind::Projection,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    let Ok(parsed) = parse_expression(kind, text) else {
        return;
    };
    let again = parsed.reparse();
    assert_eq!(
        again.as_ref().ok(),
        Some(&parsed),
        "{kind:?} {text:?} printed as {:?}",
        parsed.printed_text()
    );
});
