//! Filters applied to the items a query or scan reads.

use std::sync::Arc;

use crate::expr::{Condition, evaluate};
use crate::item::Item;

/// A filter on items read by a query or scan. Items are read and counted against the limit
/// first, then filtered, as in DynamoDB.
#[derive(Clone)]
pub(crate) enum Filter {
    /// A Rust predicate.
    Predicate(Arc<dyn Fn(&Item) -> bool + Send + Sync>),
    /// A filter expression, parsed with its placeholders substituted.
    Condition(Arc<Condition>),
}

impl Filter {
    pub(crate) fn matches(&self, item: &Item) -> bool {
        match self {
            Filter::Predicate(predicate) => predicate(item),
            Filter::Condition(condition) => evaluate(condition, item),
        }
    }
}

/// True when every filter keeps the item.
pub(crate) fn all_match(filters: &[Filter], item: &Item) -> bool {
    filters.iter().all(|filter| filter.matches(item))
}
