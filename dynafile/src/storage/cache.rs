//! The block cache: decoded blocks shared by all readers, bounded in bytes.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};

use crate::error::Result;
use crate::storage::block::Block;

#[derive(Clone)]
struct BlockWeighter;

impl Weighter<(u64, usize), Arc<Block>> for BlockWeighter {
    fn weight(&self, _key: &(u64, usize), block: &Arc<Block>) -> u64 {
        block.memory() as u64
    }
}

/// Decoded blocks keyed by (file id, block number). File ids are never reused within a table,
/// so entries of deleted files simply age out.
pub(crate) struct BlockCache {
    cache: Cache<(u64, usize), Arc<Block>, BlockWeighter>,
}

impl BlockCache {
    /// A cache holding at most about `bytes` of decoded blocks.
    pub(crate) fn new(bytes: usize) -> BlockCache {
        let estimated_blocks = (bytes / (16 * 1024)).max(16);
        // Half the budget for blocks read more than once, half for new ones (the library's
        // default keeps 3% for new blocks): a checkpoint caches the blocks it writes, and they
        // must stay until readers switch to the new files, while a scan can still take only
        // half of the cache from the blocks in use.
        let options = OptionsBuilder::new()
            // A fixed count: the library's default asks the system for the number of CPUs
            // (reading cgroup files) every time a table opens.
            .shards(16)
            .estimated_items_capacity(estimated_blocks)
            .weight_capacity(bytes as u64)
            .hot_allocation(0.5)
            .build();
        let cache = match options {
            Ok(options) => Cache::with_options(
                options,
                BlockWeighter,
                Default::default(),
                Default::default(),
            ),
            Err(_) => Cache::with_weighter(estimated_blocks, bytes as u64, BlockWeighter),
        };
        BlockCache { cache }
    }

    /// Caches a block just written.
    pub(crate) fn insert(&self, file: u64, number: usize, block: Block) {
        self.cache.insert((file, number), Arc::new(block));
    }

    /// The cached block, or `load`'s result, which is then cached.
    pub(crate) fn get_or_load(
        &self,
        file: u64,
        number: usize,
        load: impl FnOnce() -> Result<Block>,
    ) -> Result<Arc<Block>> {
        if let Some(block) = self.cache.get(&(file, number)) {
            return Ok(block);
        }
        let block = Arc::new(load()?);
        self.cache.insert((file, number), Arc::clone(&block));
        Ok(block)
    }
}
