//! Projections: keeping only some attributes of an item, nested ones as nested.
//!
//! As DynamoDB's "Projection expressions": `a.b` gives `{a: {b: ..}}`; `l[1], l[3]` gives
//! `l` with those elements only, in list order; a path the item does not have is left out.

use std::collections::BTreeMap;

use crate::item::Item;
use crate::value::{Map, Value};

use super::{Path, PathElement};

/// A projection: the paths to keep, merged into a tree once so that applying it walks each
/// item once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Projection {
    pub(crate) paths: Vec<Path>,
    root: Node,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Node {
    /// The whole value here is kept.
    whole: bool,
    children: BTreeMap<PathElement, Node>,
}

impl Projection {
    pub(crate) fn new(paths: Vec<Path>) -> Projection {
        let mut root = Node::default();
        for path in &paths {
            let node = path.0.iter().fold(&mut root, |node, element| {
                node.children.entry(element.clone()).or_default()
            });
            node.whole = true;
        }
        Projection { paths, root }
    }

    /// The attributes of `item` the projection keeps.
    pub(crate) fn apply(&self, item: &Item) -> Item {
        let mut out = Map::new();
        for (element, node) in &self.root.children {
            if let PathElement::Name(name) = element
                && let Some(value) = item.get(name).and_then(|value| node.project(value))
            {
                out.insert(name.clone(), value);
            }
        }
        Item::from(out)
    }
}

impl Node {
    fn project(&self, value: &Value) -> Option<Value> {
        if self.whole {
            return Some(value.clone());
        }
        match value {
            Value::M(map) => {
                let kept: Map = self
                    .children
                    .iter()
                    .filter_map(|(element, node)| match element {
                        PathElement::Name(name) => {
                            let value = node.project(map.get(name)?)?;
                            Some((name.clone(), value))
                        }
                        PathElement::Index(_) => None,
                    })
                    .collect();
                (!kept.is_empty()).then_some(Value::M(kept))
            }
            Value::L(list) => {
                // Children are ordered by index, so the kept elements stay in list order.
                let kept: Vec<Value> = self
                    .children
                    .iter()
                    .filter_map(|(element, node)| match element {
                        PathElement::Index(index) => node.project(list.get(*index)?),
                        PathElement::Name(_) => None,
                    })
                    .collect();
                (!kept.is_empty()).then_some(Value::L(kept))
            }
            _ => None,
        }
    }
}
