//! Partition files: sorted, immutable runs of entries in checksummed blocks.
//!
//! ```text
//! file   := block* index bloom footer
//! index  := varint(count) (varint(len) first-key varint(offset) varint(size))* crc32c (u32 LE)
//! bloom  := filter bytes crc32c (u32 LE)
//! footer := "DYNAPF01" version (u32) flags (u32) index offset (u64) index size (u32)
//!           bloom offset (u64) bloom size (u32) entries (u64) reserved (12 bytes) crc32c (u32)
//! ```
//! All integers little-endian. A file is written to a temporary name, synced and then
//! renamed into place, so a file that exists under its final name is complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::encoding::{read_varint, write_varint};
use crate::error::{Error, Result};
use crate::key::{hash_of_encoded, prefix_len};
use crate::storage::block::{Block, BlockBuilder};
use crate::storage::bloom::{Bloom, BloomBuilder};
use crate::storage::cache::BlockCache;
use crate::storage::fs::read_exact_at;

const MAGIC: &[u8; 8] = b"DYNAPF01";
const VERSION: u32 = 1;
const FOOTER_LEN: usize = 64;
/// Footer flag: the filter holds each partition's key prefix as well as each key.
const FLAG_PARTITION_FILTER: u32 = 1;

/// Writes one partition file from entries in ascending key order.
pub(crate) struct PartitionFileWriter {
    id: u64,
    /// Blocks written are put in the cache: a checkpoint's data is the data just written,
    /// the likeliest to be read next.
    cache: Arc<BlockCache>,
    path: PathBuf,
    temp_path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
    block: BlockBuilder,
    block_first_key: Vec<u8>,
    block_target: usize,
    index: BlockIndex,
    bloom: BloomBuilder,
    entries: u64,
    last_key: Vec<u8>,
}

/// What a finished file holds.
pub(crate) struct FileSummary {
    pub size: u64,
    pub entries: u64,
    /// The file, open for reading.
    pub opened: PartitionFile,
}

impl PartitionFileWriter {
    pub(crate) fn create(
        id: u64,
        path: PathBuf,
        block_target: usize,
        cache: Arc<BlockCache>,
    ) -> Result<PartitionFileWriter> {
        let temp_path = path.with_extension("dfp.tmp");
        let file = File::create(&temp_path).map_err(|e| Error::io(&temp_path, e))?;
        Ok(PartitionFileWriter {
            id,
            cache,
            path,
            temp_path,
            out: BufWriter::with_capacity(256 * 1024, file),
            offset: 0,
            block: BlockBuilder::new(block_target),
            block_first_key: Vec::new(),
            block_target,
            index: BlockIndex::default(),
            bloom: BloomBuilder::default(),
            entries: 0,
            last_key: Vec::new(),
        })
    }

    /// Adds an entry (`None`: a tombstone). Keys must be strictly ascending.
    pub(crate) fn add(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        debug_assert!(
            self.entries == 0 || key > self.last_key.as_slice(),
            "keys must ascend"
        );
        if self.block.is_empty() {
            self.block_first_key.clear();
            self.block_first_key.extend_from_slice(key);
        }
        self.block.add(key, value);
        self.bloom.add(key);
        // The filter also holds every partition's key prefix, so that a query of a partition
        // the file does not hold skips the file without reading a block.
        if let Some(end) = prefix_len(key)
            && (self.entries == 0
                || prefix_len(&self.last_key).map(|e| &self.last_key[..e]) != Some(&key[..end]))
        {
            self.bloom.add(&key[..end]);
        }
        self.entries += 1;
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        if self.block.size() >= self.block_target {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Bytes written so far (an estimate of the final size).
    pub(crate) fn size(&self) -> u64 {
        self.offset + self.block.size() as u64
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(&self.temp_path, e))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn flush_block(&mut self) -> Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let bytes = self.block.finish();
        let size =
            u32::try_from(bytes.len()).map_err(|_| Error::validation("a block exceeds 4 GiB"))?;
        self.index.push(&self.block_first_key, self.offset, size)?;
        self.write(&bytes)?;
        // Decoding checks the block too. The id is never reused, even after a failed
        // checkpoint, so no other file's block can sit under this key.
        let block = Block::decode(bytes).map_err(|reason| {
            Error::corrupt(&self.temp_path, Some(self.offset - u64::from(size)), reason)
        })?;
        self.cache.insert(self.id, self.index.len() - 1, block);
        Ok(())
    }

    /// Writes index, filter and footer, syncs, and renames the file into place.
    pub(crate) fn finish(mut self) -> Result<FileSummary> {
        self.flush_block()?;
        let mut index = Vec::new();
        write_varint(&mut index, self.index.len() as u64);
        for number in 0..self.index.len() {
            let key = self.index.first_key(number);
            let entry = self.index.entries[number];
            write_varint(&mut index, key.len() as u64);
            index.extend_from_slice(key);
            write_varint(&mut index, entry.offset);
            write_varint(&mut index, u64::from(entry.size));
        }
        index.extend_from_slice(&crc32c::crc32c(&index).to_le_bytes());
        let index_offset = self.offset;
        self.write(&index)?;
        let mut bloom = self.bloom.finish();
        bloom.extend_from_slice(&crc32c::crc32c(&bloom).to_le_bytes());
        let bloom_offset = self.offset;
        self.write(&bloom)?;
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        footer.extend_from_slice(MAGIC);
        footer.extend_from_slice(&VERSION.to_le_bytes());
        footer.extend_from_slice(&FLAG_PARTITION_FILTER.to_le_bytes());
        footer.extend_from_slice(&index_offset.to_le_bytes());
        footer.extend_from_slice(&(index.len() as u32).to_le_bytes());
        footer.extend_from_slice(&bloom_offset.to_le_bytes());
        footer.extend_from_slice(&(bloom.len() as u32).to_le_bytes());
        footer.extend_from_slice(&self.entries.to_le_bytes());
        footer.extend_from_slice(&[0u8; 12]);
        footer.extend_from_slice(&crc32c::crc32c(&footer).to_le_bytes());
        debug_assert_eq!(footer.len(), FOOTER_LEN);
        self.write(&footer)?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.temp_path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.temp_path, e))?;
        std::fs::rename(&self.temp_path, &self.path).map_err(|e| Error::io(&self.path, e))?;
        // The index and filter are in memory already: the open file needs no reading.
        let bloom = Bloom::from_bytes(&bloom[..bloom.len() - 4])
            .ok_or_else(|| Error::corrupt(&self.path, Some(bloom_offset), "malformed filter"))?;
        let opened = PartitionFile {
            id: self.id,
            path: self.path.clone(),
            file: File::open(&self.path).map_err(|e| Error::io(&self.path, e))?,
            index: self.index,
            bloom,
            entries: self.entries,
            flags: FLAG_PARTITION_FILTER,
        };
        Ok(FileSummary {
            size: self.offset,
            entries: self.entries,
            opened,
        })
    }
}

/// Where a block is, and where its first key is in [`BlockIndex::keys`].
#[derive(Clone, Copy)]
struct IndexEntry {
    key_start: u32,
    key_len: u32,
    offset: u64,
    size: u32,
}

/// The first key, offset and size of every block of a file, the keys in one buffer (one
/// allocation, not one per block).
#[derive(Default)]
struct BlockIndex {
    keys: Vec<u8>,
    entries: Vec<IndexEntry>,
    /// Each first key's first 8 bytes (its partition's hash) as a big-endian number: a dense
    /// array that orders as the keys do, so a search touches few cache lines.
    probes: Vec<u64>,
}

impl BlockIndex {
    fn push(&mut self, first_key: &[u8], offset: u64, size: u32) -> Result<()> {
        let too_large = || Error::validation("a partition file's index exceeds 4 GiB");
        let key_start = u32::try_from(self.keys.len()).map_err(|_| too_large())?;
        let key_len = u32::try_from(first_key.len()).map_err(|_| too_large())?;
        self.keys.extend_from_slice(first_key);
        self.entries.push(IndexEntry {
            key_start,
            key_len,
            offset,
            size,
        });
        self.probes.push(hash_of_encoded(first_key));
        Ok(())
    }

    /// The block that would hold `key`: the last whose first key is `<= key`.
    fn block_for(&self, key: &[u8]) -> Option<usize> {
        let target = hash_of_encoded(key);
        // Blocks whose first keys' probes differ from the key's are ordered by the probe
        // alone; among equal probes, whole keys decide.
        let low = self.probes.partition_point(|&p| p < target);
        let high = low + self.probes[low..].partition_point(|&p| p == target);
        let within = self.entries[low..high].partition_point(|e| {
            &self.keys[e.key_start as usize..(e.key_start + e.key_len) as usize] <= key
        });
        (low + within).checked_sub(1)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn first_key(&self, number: usize) -> &[u8] {
        let entry = self.entries[number];
        &self.keys[entry.key_start as usize..(entry.key_start + entry.key_len) as usize]
    }
}

/// An open partition file: its index and filter in memory, its blocks read on demand through
/// the shared cache.
pub(crate) struct PartitionFile {
    id: u64,
    path: PathBuf,
    file: File,
    index: BlockIndex,
    bloom: Bloom,
    entries: u64,
    flags: u32,
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

impl PartitionFile {
    /// Opens a file, reading and checking its footer, index and filter.
    pub(crate) fn open(id: u64, path: &Path) -> Result<PartitionFile> {
        let corrupt = |offset: u64, reason: &str| Error::corrupt(path, Some(offset), reason);
        // Only files the manifest lists are opened: a missing one is damage to the table.
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::corrupt(
                path,
                None,
                "the manifest lists this partition file, but it is missing",
            ),
            _ => Error::io(path, e),
        })?;
        let length = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if length < FOOTER_LEN as u64 {
            return Err(corrupt(0, "file shorter than its footer"));
        }
        let footer_offset = length - FOOTER_LEN as u64;
        let mut footer = [0u8; FOOTER_LEN];
        read_exact_at(&file, &mut footer, footer_offset).map_err(|e| Error::io(path, e))?;
        if &footer[..8] != MAGIC {
            return Err(corrupt(footer_offset, "not a partition file (bad magic)"));
        }
        if crc32c::crc32c(&footer[..FOOTER_LEN - 4]) != le_u32(&footer, FOOTER_LEN - 4) {
            return Err(corrupt(footer_offset, "footer checksum mismatch"));
        }
        let version = le_u32(&footer, 8);
        if version != VERSION {
            return Err(Error::Incompatible {
                path: path.to_owned(),
                found: version,
                supported: VERSION,
            });
        }
        let index_offset = le_u64(&footer, 16);
        let index_size = u64::from(le_u32(&footer, 24));
        let bloom_offset = le_u64(&footer, 28);
        let bloom_size = u64::from(le_u32(&footer, 36));
        let entries = le_u64(&footer, 40);
        if index_offset.checked_add(index_size) != Some(bloom_offset)
            || bloom_offset.checked_add(bloom_size) != Some(footer_offset)
            || index_size < 5
            || bloom_size < 5
        {
            return Err(corrupt(
                footer_offset,
                "footer offsets do not match the file",
            ));
        }
        let read_region = |offset: u64, size: u64, what: &str| -> Result<Vec<u8>> {
            let mut bytes = vec![0u8; size as usize];
            read_exact_at(&file, &mut bytes, offset).map_err(|e| Error::io(path, e))?;
            let body_len = bytes.len() - 4;
            if crc32c::crc32c(&bytes[..body_len]) != le_u32(&bytes, body_len) {
                return Err(corrupt(offset, &format!("{what} checksum mismatch")));
            }
            bytes.truncate(body_len);
            Ok(bytes)
        };
        let index_bytes = read_region(index_offset, index_size, "index")?;
        let index = Self::parse_index(&index_bytes, index_offset)
            .map_err(|reason| corrupt(index_offset, reason))?;
        let bloom_bytes = read_region(bloom_offset, bloom_size, "filter")?;
        let bloom = Bloom::from_bytes(&bloom_bytes)
            .ok_or_else(|| corrupt(bloom_offset, "malformed filter"))?;
        Ok(PartitionFile {
            id,
            path: path.to_owned(),
            file,
            index,
            bloom,
            entries,
            flags: le_u32(&footer, 12),
        })
    }

    fn parse_index(bytes: &[u8], data_end: u64) -> std::result::Result<BlockIndex, &'static str> {
        let mut pos = 0;
        let count = read_varint(bytes, &mut pos).ok_or("truncated index")?;
        if count > bytes.len() as u64 {
            return Err("index count larger than the index");
        }
        let mut index = BlockIndex {
            keys: Vec::with_capacity(bytes.len()),
            entries: Vec::with_capacity(count as usize),
            probes: Vec::with_capacity(count as usize),
        };
        let mut expected_offset = 0u64;
        for number in 0..count as usize {
            let key_len = read_varint(bytes, &mut pos).ok_or("truncated index")? as usize;
            let key = bytes
                .get(pos..pos.checked_add(key_len).ok_or("bad index key")?)
                .ok_or("truncated index key")?;
            pos += key_len;
            let offset = read_varint(bytes, &mut pos).ok_or("truncated index")?;
            let size = u32::try_from(read_varint(bytes, &mut pos).ok_or("truncated index")?)
                .map_err(|_| "bad block size")?;
            if offset != expected_offset {
                return Err("index blocks are not contiguous");
            }
            if number > 0 && index.first_key(number - 1) >= key {
                return Err("index keys out of order");
            }
            expected_offset = offset + u64::from(size);
            index
                .push(key, offset, size)
                .map_err(|_| "index too large")?;
        }
        if pos != bytes.len() || expected_offset != data_end {
            return Err("index does not cover the data blocks");
        }
        Ok(index)
    }

    pub(crate) fn entries(&self) -> u64 {
        self.entries
    }

    /// False when the file certainly holds no key of the partition whose key prefix (hash,
    /// length, partition key) is `prefix`.
    pub(crate) fn may_hold_partition(&self, prefix: &[u8]) -> bool {
        self.flags & FLAG_PARTITION_FILTER == 0 || self.bloom.may_contain(prefix)
    }

    pub(crate) fn block_count(&self) -> usize {
        self.index.len()
    }

    /// The block that would hold `key`: the last whose first key is `<= key`.
    pub(crate) fn block_for(&self, key: &[u8]) -> Option<usize> {
        self.index.block_for(key)
    }

    /// Reads block `number`, through the cache.
    pub(crate) fn block(&self, number: usize, cache: &BlockCache) -> Result<Arc<Block>> {
        cache.get_or_load(self.id, number, || self.read_block(number))
    }

    /// Reads and decodes block `number` from disk, bypassing the cache.
    pub(crate) fn read_block(&self, number: usize) -> Result<Block> {
        let entry = *self
            .index
            .entries
            .get(number)
            .ok_or_else(|| Error::corrupt(&self.path, None, "block number out of range"))?;
        let mut raw = vec![0u8; entry.size as usize];
        read_exact_at(&self.file, &mut raw, entry.offset).map_err(|e| Error::io(&self.path, e))?;
        let block = Block::decode(raw)
            .map_err(|reason| Error::corrupt(&self.path, Some(entry.offset), reason))?;
        let first_ok = block.len() > 0 && block.key(0) == self.index.first_key(number);
        if !first_ok {
            return Err(Error::corrupt(
                &self.path,
                Some(entry.offset),
                "block does not start with its index key",
            ));
        }
        Ok(block)
    }

    /// Looks a key up: `Some((block, index))` when the file has an entry for it (which may be
    /// a tombstone).
    pub(crate) fn get(
        &self,
        key: &[u8],
        cache: &BlockCache,
    ) -> Result<Option<(Arc<Block>, usize)>> {
        if !self.bloom.may_contain(key) {
            return Ok(None);
        }
        let Some(number) = self.block_for(key) else {
            return Ok(None);
        };
        let block = self.block(number, cache)?;
        let index = block.lower_bound(key);
        if index < block.len() && block.key(index) == key {
            return Ok(Some((block, index)));
        }
        Ok(None)
    }
}
