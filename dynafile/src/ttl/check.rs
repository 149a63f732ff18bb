//! `Dynafile::check`'s part for TTL: the expiry keyspace holds exactly one entry per item
//! that has an expiry, under that expiry's second.

use crate::error::Result;
use crate::storage::{Direction, KeyBounds, Problem, TABLE_KEYSPACE};
use crate::table::Table;
use crate::ttl::{TTL_DIR, entry_key, table_key_of};

impl Table {
    /// Compares the expiry entries with the items of one snapshot, both ways, adding what
    /// disagrees to `problems`. Nothing to compare while TTL is disabled or being enabled.
    pub(crate) fn check_expiry(&self, problems: &mut Vec<Problem>) -> Result<()> {
        let Some(expiry) = self.hooks.expiry.load_full() else {
            return Ok(());
        };
        if !expiry.is_built() {
            return Ok(());
        }
        let problem = |reason: String| Problem {
            file: self.path.join(TTL_DIR),
            offset: None,
            reason,
        };
        let snapshot = self.store.snapshot();
        let (Some(items), Some(entries)) = (
            snapshot.keyspace(TABLE_KEYSPACE),
            snapshot.keyspace(expiry.space),
        ) else {
            problems.push(problem("the expiry keyspace is missing".to_owned()));
            return Ok(());
        };
        let mut scan = entries.iter(KeyBounds::all(), Direction::Forward, None, None)?;
        while let Some((entry, _)) = scan.next_entry()? {
            let Some(key) = table_key_of(entry) else {
                continue; // reported by the entry check
            };
            let seconds = self
                .get_unfiltered(&items, key)?
                .and_then(|item| expiry.seconds_of(&item));
            if seconds.is_none_or(|seconds| entry_key(seconds, key) != entry) {
                problems.push(problem(
                    "an expiry entry names an item without that expiry".to_owned(),
                ));
            }
        }
        let mut scan = items.iter(KeyBounds::all(), Direction::Forward, None, None)?;
        while let Some((key, value)) = scan.next_entry()? {
            let Some(seconds) = expiry.seconds_of(&self.decode(key, value)?) else {
                continue;
            };
            if entries.get(&entry_key(seconds, key))?.is_none() {
                problems.push(problem(
                    "an item with an expiry has no expiry entry".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::Op;
    use crate::ttl::entry_key;
    use crate::{Dynafile, Key, KeyType, item};

    /// An item whose entry went missing, and an entry of no item, are both reported.
    #[test]
    fn check_reports_expiry_entries_that_disagree_with_the_items() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let db = Dynafile::builder(dir.path().join("db"))
            .partition_key("PK", KeyType::S)
            .ttl_attribute("exp")
            .ttl_sweep_interval(None)
            .open()?;
        db.put_item(&item! { "PK" => "a", "exp" => 4_000_000_000_i64 })?;
        assert!(db.check()?.is_ok());
        let table = &db.table;
        let space = table
            .hooks
            .expiry
            .load_full()
            .expect("TTL is enabled")
            .space;
        let key = table.encode_key(Key::new("a"))?;
        let stray = table.encode_key(Key::new("b"))?;
        table.store.commit_with(table.durability, |_| {
            let ops = vec![
                Op::Delete {
                    space,
                    key: entry_key(4_000_000_000, &key),
                },
                Op::Put {
                    space,
                    key: entry_key(7, &stray),
                    value: std::sync::Arc::from(&[][..]),
                },
            ];
            Ok((ops, ()))
        })?;
        let reasons: Vec<String> = db.check()?.problems.into_iter().map(|p| p.reason).collect();
        assert_eq!(
            reasons,
            [
                "an expiry entry names an item without that expiry",
                "an item with an expiry has no expiry entry"
            ]
        );
        Ok(())
    }
}
