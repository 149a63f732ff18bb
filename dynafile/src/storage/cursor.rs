//! Cursors over sorted entries, and the merge that overlays newer sources on older ones.
//!
//! A read sees, for each key, the newest entry among: the active memtable, the frozen
//! memtable being checkpointed, a range's runs (newest first) and its base file. Sources are
//! given newest first; on equal keys the first source wins and the others are skipped.
//! Entries may be tombstones; the store's iterator drops them at the top.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::Result;
use crate::storage::block::Block;
use crate::storage::cache::BlockCache;
use crate::storage::memtable::{Chunk, MemTable};
use crate::storage::partition_file::PartitionFile;

/// Which way a cursor walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Forward,
    Reverse,
}

/// Owned key bounds of a read: `[start, end]` with each end included, excluded or open.
#[derive(Clone, Debug)]
pub(crate) struct KeyBounds {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyBounds {
    pub(crate) fn all() -> KeyBounds {
        KeyBounds {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    fn start_ref(&self) -> Bound<&[u8]> {
        as_ref(&self.start)
    }

    fn end_ref(&self) -> Bound<&[u8]> {
        as_ref(&self.end)
    }

    /// True when `key` is not below the start bound.
    pub(crate) fn after_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(start) => key >= start.as_slice(),
            Bound::Excluded(start) => key > start.as_slice(),
            Bound::Unbounded => true,
        }
    }

    /// True when `key` is not above the end bound.
    pub(crate) fn before_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(end) => key <= end.as_slice(),
            Bound::Excluded(end) => key < end.as_slice(),
            Bound::Unbounded => true,
        }
    }

    /// The intersection with `[low, high)`.
    pub(crate) fn clamp(&self, low: Bound<&[u8]>, high: Bound<&[u8]>) -> KeyBounds {
        let start = match (&self.start, low) {
            (own, Bound::Unbounded) => own.clone(),
            (Bound::Unbounded, other) => other.map(<[u8]>::to_vec),
            (own, other) => {
                let (own_key, other_key) = (bound_key(own), bound_key_ref(other));
                let tighter = other_key > own_key
                    || (other_key == own_key && matches!(other, Bound::Excluded(_)));
                if tighter {
                    other.map(<[u8]>::to_vec)
                } else {
                    own.clone()
                }
            }
        };
        let end = match (&self.end, high) {
            (own, Bound::Unbounded) => own.clone(),
            (Bound::Unbounded, other) => other.map(<[u8]>::to_vec),
            (own, other) => {
                let (own_key, other_key) = (bound_key(own), bound_key_ref(other));
                let tighter = other_key < own_key
                    || (other_key == own_key && matches!(other, Bound::Excluded(_)));
                if tighter {
                    other.map(<[u8]>::to_vec)
                } else {
                    own.clone()
                }
            }
        };
        KeyBounds { start, end }
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key),
        Bound::Excluded(key) => Bound::Excluded(key),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn bound_key(bound: &Bound<Vec<u8>>) -> &[u8] {
    match bound {
        Bound::Included(key) | Bound::Excluded(key) => key,
        Bound::Unbounded => &[],
    }
}

fn bound_key_ref(bound: Bound<&[u8]>) -> &[u8] {
    match bound {
        Bound::Included(key) | Bound::Excluded(key) => key,
        Bound::Unbounded => &[],
    }
}

/// A position in a sorted source of entries.
pub(crate) trait Cursor: Send {
    /// The current entry (`None` value: a tombstone), or `None` when the cursor is done.
    fn current(&self) -> Option<(&[u8], Option<&[u8]>)>;
    /// Moves to the next entry in the cursor's direction.
    fn advance(&mut self) -> Result<()>;
}

/// How many entries a memtable cursor copies out at a time.
const MEM_CHUNK: usize = 256;

/// Walks a memtable at a snapshot, a chunk of resolved entries at a time, so it holds no
/// borrow of the skiplist between calls.
pub(crate) struct MemCursor {
    table: Arc<MemTable>,
    /// The read's bounds, shared by all its cursors.
    bounds: Arc<KeyBounds>,
    /// The last key returned by the previous chunk: the next chunk starts past it.
    resume: Option<Vec<u8>>,
    snapshot: u64,
    direction: Direction,
    chunk: Chunk,
    /// How many entries the last fill asked for: a full chunk means more may follow.
    chunk_size: usize,
    position: usize,
}

impl MemCursor {
    pub(crate) fn new(
        table: Arc<MemTable>,
        bounds: Arc<KeyBounds>,
        snapshot: u64,
        direction: Direction,
    ) -> MemCursor {
        MemCursor::expecting(table, bounds, snapshot, direction, None)
    }

    /// A cursor whose reader expects to take at most `expected` entries (a query with a
    /// limit), so the first chunk copies no more than that.
    pub(crate) fn expecting(
        table: Arc<MemTable>,
        bounds: Arc<KeyBounds>,
        snapshot: u64,
        direction: Direction,
        expected: Option<usize>,
    ) -> MemCursor {
        let chunk_size = expected.map_or(MEM_CHUNK, |expected| expected.clamp(1, MEM_CHUNK));
        let mut cursor = MemCursor {
            table,
            bounds,
            resume: None,
            snapshot,
            direction,
            chunk: Chunk::new(),
            chunk_size,
            position: 0,
        };
        cursor.fill();
        cursor
    }

    fn fill(&mut self) {
        let resume = self.resume.as_deref().map(Bound::Excluded);
        let (start, end) = match (self.direction, resume) {
            (Direction::Forward, Some(past)) => (past, self.bounds.end_ref()),
            (Direction::Reverse, Some(past)) => (self.bounds.start_ref(), past),
            (_, None) => (self.bounds.start_ref(), self.bounds.end_ref()),
        };
        self.chunk = match self.direction {
            Direction::Forward => {
                self.table
                    .chunk_forward(start, end, self.snapshot, self.chunk_size)
            }
            Direction::Reverse => {
                self.table
                    .chunk_reverse(start, end, self.snapshot, self.chunk_size)
            }
        };
        self.position = 0;
    }
}

impl Cursor for MemCursor {
    fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        self.chunk
            .get(self.position)
            .map(|(key, value)| (&**key, value.as_deref()))
    }

    fn advance(&mut self) -> Result<()> {
        if self.position >= self.chunk.len() {
            return Ok(());
        }
        self.position += 1;
        if self.position == self.chunk.len() && self.chunk.len() == self.chunk_size {
            // Continue after the last key returned.
            self.resume = Some(self.chunk[self.position - 1].0.to_vec());
            self.chunk_size = MEM_CHUNK;
            self.fill();
        }
        Ok(())
    }
}

/// Walks one partition file within bounds, a block at a time through the cache.
pub(crate) struct FileCursor {
    file: Arc<PartitionFile>,
    cache: Arc<BlockCache>,
    bounds: Arc<KeyBounds>,
    direction: Direction,
    block_number: usize,
    block: Option<Arc<Block>>,
    index: usize,
}

impl FileCursor {
    pub(crate) fn new(
        file: Arc<PartitionFile>,
        cache: Arc<BlockCache>,
        bounds: Arc<KeyBounds>,
        direction: Direction,
    ) -> Result<FileCursor> {
        let mut cursor = FileCursor {
            file,
            cache,
            bounds,
            direction,
            block_number: 0,
            block: None,
            index: 0,
        };
        match direction {
            Direction::Forward => cursor.seek_first()?,
            Direction::Reverse => cursor.seek_last()?,
        }
        Ok(cursor)
    }

    fn load(&mut self, number: usize) -> Result<Arc<Block>> {
        let block = self.file.block(number, &self.cache)?;
        self.block_number = number;
        self.block = Some(Arc::clone(&block));
        Ok(block)
    }

    fn seek_first(&mut self) -> Result<()> {
        if self.file.block_count() == 0 {
            return Ok(());
        }
        let number = match &self.bounds.start {
            Bound::Unbounded => 0,
            Bound::Included(key) | Bound::Excluded(key) => self.file.block_for(key).unwrap_or(0),
        };
        let block = self.load(number)?;
        self.index = match &self.bounds.start {
            Bound::Included(key) => block.lower_bound(key),
            Bound::Excluded(key) => block.upper_bound(key),
            Bound::Unbounded => 0,
        };
        if self.index == block.len() {
            self.next_block()?;
        }
        self.check_bounds();
        Ok(())
    }

    fn seek_last(&mut self) -> Result<()> {
        let count = self.file.block_count();
        if count == 0 {
            return Ok(());
        }
        let number = match &self.bounds.end {
            Bound::Unbounded => count - 1,
            Bound::Included(key) | Bound::Excluded(key) => match self.file.block_for(key) {
                Some(number) => number,
                None => return Ok(()), // every key of the file is above the end
            },
        };
        let block = self.load(number)?;
        let after = match &self.bounds.end {
            Bound::Unbounded => block.len(),
            Bound::Included(key) => block.upper_bound(key),
            Bound::Excluded(key) => block.lower_bound(key),
        };
        match after.checked_sub(1) {
            Some(index) => self.index = index,
            None => self.previous_block()?,
        }
        self.check_bounds();
        Ok(())
    }

    fn next_block(&mut self) -> Result<()> {
        if self.block_number + 1 >= self.file.block_count() {
            self.block = None;
            return Ok(());
        }
        self.load(self.block_number + 1)?;
        self.index = 0;
        Ok(())
    }

    fn previous_block(&mut self) -> Result<()> {
        if self.block_number == 0 {
            self.block = None;
            return Ok(());
        }
        let block = self.load(self.block_number - 1)?;
        self.index = block.len() - 1;
        Ok(())
    }

    /// Ends the cursor when it left its bounds.
    fn check_bounds(&mut self) {
        let Some(block) = &self.block else { return };
        let key = block.key(self.index);
        let inside = match self.direction {
            Direction::Forward => self.bounds.before_end(key),
            Direction::Reverse => self.bounds.after_start(key),
        };
        if !inside {
            self.block = None;
        }
    }
}

impl Cursor for FileCursor {
    fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        let block = self.block.as_ref()?;
        Some((block.key(self.index), block.value(self.index)))
    }

    fn advance(&mut self) -> Result<()> {
        let Some(block) = &self.block else {
            return Ok(());
        };
        match self.direction {
            Direction::Forward => {
                if self.index + 1 < block.len() {
                    self.index += 1;
                } else {
                    self.next_block()?;
                }
            }
            Direction::Reverse => {
                if self.index > 0 {
                    self.index -= 1;
                } else {
                    self.previous_block()?;
                }
            }
        }
        self.check_bounds();
        Ok(())
    }
}

/// Merges sources given newest first: yields each key once, from the newest source that has
/// it (tombstones included).
pub(crate) struct MergeCursor {
    /// The sources not yet done, newest first.
    sources: Vec<Box<dyn Cursor>>,
    direction: Direction,
    chosen: Option<usize>,
}

impl MergeCursor {
    pub(crate) fn new(mut sources: Vec<Box<dyn Cursor>>, direction: Direction) -> MergeCursor {
        sources.retain(|source| source.current().is_some());
        let mut merge = MergeCursor {
            sources,
            direction,
            chosen: None,
        };
        merge.choose();
        merge
    }

    fn choose(&mut self) {
        if self.sources.len() <= 1 {
            self.chosen = (!self.sources.is_empty()).then_some(0);
            return;
        }
        let mut best: Option<(usize, &[u8])> = None;
        for (index, source) in self.sources.iter().enumerate() {
            let Some((key, _)) = source.current() else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, best_key)) => match self.direction {
                    Direction::Forward => key < best_key,
                    Direction::Reverse => key > best_key,
                },
            };
            if better {
                best = Some((index, key));
            }
        }
        self.chosen = best.map(|(index, _)| index);
    }
}

impl Cursor for MergeCursor {
    fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        self.sources.get(self.chosen?)?.current()
    }

    fn advance(&mut self) -> Result<()> {
        let Some(chosen) = self.chosen else {
            return Ok(());
        };
        // Older versions of the chosen key in other sources are skipped with it.
        if self.sources.len() > 1 {
            let (before, rest) = self.sources.split_at_mut(chosen);
            if let Some((chosen_source, after)) = rest.split_first_mut()
                && let Some((key, _)) = chosen_source.current()
            {
                for source in before.iter_mut().chain(after.iter_mut()) {
                    if source.current().is_some_and(|(other, _)| other == key) {
                        source.advance()?;
                    }
                }
            }
        }
        if let Some(source) = self.sources.get_mut(chosen) {
            source.advance()?;
        }
        self.sources.retain(|source| source.current().is_some());
        self.choose();
        Ok(())
    }
}

/// Builds the cursor of one hash range's files (runs newest first, then the base).
pub(crate) type RangeOpener =
    Box<dyn FnMut(usize, &Arc<KeyBounds>) -> Result<Box<dyn Cursor>> + Send>;

/// Walks the hash ranges a read touches one after another, each through its own merge.
pub(crate) struct ChainCursor {
    /// Ranges in walking order, with the key bounds each covers.
    ranges: Vec<(usize, Arc<KeyBounds>)>,
    next: usize,
    current: Option<Box<dyn Cursor>>,
    open: RangeOpener,
}

impl ChainCursor {
    pub(crate) fn new(
        ranges: Vec<(usize, Arc<KeyBounds>)>,
        open: RangeOpener,
    ) -> Result<ChainCursor> {
        let mut chain = ChainCursor {
            ranges,
            next: 0,
            current: None,
            open,
        };
        chain.settle()?;
        Ok(chain)
    }

    /// Moves to the next range while the current one is done.
    fn settle(&mut self) -> Result<()> {
        while self
            .current
            .as_ref()
            .is_none_or(|cursor| cursor.current().is_none())
        {
            let Some((range, bounds)) = self.ranges.get(self.next) else {
                self.current = None;
                return Ok(());
            };
            self.current = Some((self.open)(*range, bounds)?);
            self.next += 1;
        }
        Ok(())
    }
}

impl Cursor for ChainCursor {
    fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
        self.current.as_ref()?.current()
    }

    fn advance(&mut self) -> Result<()> {
        if let Some(cursor) = &mut self.current {
            cursor.advance()?;
        }
        self.settle()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cursor over a fixed list, for testing the merge.
    struct ListCursor {
        entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        position: usize,
    }

    impl Cursor for ListCursor {
        fn current(&self) -> Option<(&[u8], Option<&[u8]>)> {
            self.entries
                .get(self.position)
                .map(|(k, v)| (k.as_slice(), v.as_deref()))
        }
        fn advance(&mut self) -> Result<()> {
            self.position += 1;
            Ok(())
        }
    }

    fn list(entries: &[(&str, Option<&str>)], direction: Direction) -> Box<dyn Cursor> {
        let mut entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = entries
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect();
        if direction == Direction::Reverse {
            entries.reverse();
        }
        Box::new(ListCursor {
            entries,
            position: 0,
        })
    }

    fn drain(mut cursor: impl Cursor) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        while let Some((key, value)) = cursor.current() {
            out.push((
                String::from_utf8_lossy(key).into(),
                value.map(|v| String::from_utf8_lossy(v).into()),
            ));
            cursor.advance().unwrap();
        }
        out
    }

    #[test]
    fn newest_source_wins() {
        for direction in [Direction::Forward, Direction::Reverse] {
            let newest = list(&[("b", Some("new-b")), ("d", None)], direction);
            let oldest = list(
                &[
                    ("a", Some("a")),
                    ("b", Some("old-b")),
                    ("c", Some("c")),
                    ("d", Some("old-d")),
                ],
                direction,
            );
            let merged = drain(MergeCursor::new(vec![newest, oldest], direction));
            let mut expected = vec![
                ("a".to_string(), Some("a".to_string())),
                ("b".into(), Some("new-b".into())),
                ("c".into(), Some("c".into())),
                ("d".into(), None),
            ];
            if direction == Direction::Reverse {
                expected.reverse();
            }
            assert_eq!(merged, expected);
        }
    }

    #[test]
    fn clamp_intersects_bounds() {
        let bounds = KeyBounds {
            start: Bound::Included(b"b".to_vec()),
            end: Bound::Excluded(b"y".to_vec()),
        };
        let clamped = bounds.clamp(Bound::Included(b"a"), Bound::Excluded(b"m"));
        assert_eq!(clamped.start, Bound::Included(b"b".to_vec()));
        assert_eq!(clamped.end, Bound::Excluded(b"m".to_vec()));
        let clamped = bounds.clamp(Bound::Excluded(b"b"), Bound::Included(b"y"));
        assert_eq!(
            clamped.start,
            Bound::Excluded(b"b".to_vec()),
            "equal keys: the excluded bound is tighter"
        );
        assert_eq!(clamped.end, Bound::Excluded(b"y".to_vec()));
        let clamped = bounds.clamp(Bound::Included(b"c"), Bound::Unbounded);
        assert_eq!(clamped.start, Bound::Included(b"c".to_vec()));
        assert_eq!(clamped.end, Bound::Excluded(b"y".to_vec()));
    }
}
