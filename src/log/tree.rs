//! The log's Merkle tree as stored: the roots of aligned blocks of
//! [`BLOCK_LEAVES`] leaves, written with the commit that completes each
//! block (key `h` + block index, u64 BE; value: the 32-byte root).
//!
//! They serve two ends. Opening a log rebuilds the [`Frontier`] (so the
//! current root is at hand for a signed checkpoint) from the block roots and
//! the few records after the last block, instead of hashing the whole log.
//! And a proof reads the block roots and the leaves of at most two blocks
//! ([`LogTree`]), instead of every record: O(n / 4096 + 4096) work.
//!
//! The block roots are derived data written atomically with the records, and
//! nothing trusts them blindly: a proof made from a wrong one fails against
//! the signed root, and [`root_from_records`] (what `verify --checkpoint`
//! uses) recomputes the root from the records alone. Blocks missing (a log
//! upgraded from format 1, or cut back) are rebuilt when the log is opened to
//! write.
//!
//! ```
//! use ecs_ledger::ledger::{Config, inline::Inline, Request};
//! use ecs_ledger::log::{merkle, tree, EventLog};
//! use ecs_ledger::storage::memory::MemoryStorage;
//! let storage = MemoryStorage::new();
//! let mut ledger = Inline::open(storage.clone(), Config::seeded(1)).unwrap();
//! ledger.execute(Request::new("CreateDisk", [("Size", "20")])).unwrap();
//! ledger.close().unwrap();
//! let log = EventLog::inspect(storage).unwrap().log;
//! let (frontier, _) = tree::resume(&log, log.head().seq).unwrap();
//! assert_eq!(frontier.root(), tree::root_from_records(&log, log.head().seq).unwrap());
//! let mut source = tree::LogTree::new(&log).unwrap();
//! assert_eq!(merkle::root(&mut source, frontier.size()).unwrap(), frontier.root());
//! ```

use std::collections::HashMap;

use super::frontier::Frontier;
use super::merkle::{Hash, Subtrees, leaf_hash, mth_of_nodes, node_hash, split_point};
use super::{EventLog, LogError, keys};
use crate::storage::{Batch, Storage};

/// Height of a stored block: 2^12 leaves.
pub const BLOCK_HEIGHT: u32 = 12;
/// Leaves (records) per stored block.
pub const BLOCK_LEAVES: u64 = 1 << BLOCK_HEIGHT;

/// The key of block `index`'s root.
pub fn block_key(index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = keys::TREE;
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

/// The stored block roots from block 0 on, at most `limit` of them, up to
/// the first one missing or malformed.
pub fn stored_blocks<S: Storage>(storage: &S, limit: u64) -> Result<Vec<Hash>, LogError> {
    let mut blocks = Vec::new();
    for item in storage.range(&block_key(0), Some(&[keys::TREE + 1])) {
        let (k, v) = item?;
        let expected = blocks.len() as u64;
        if expected >= limit || k.as_ref() != block_key(expected) {
            break;
        }
        let Ok(hash) = <Hash>::try_from(v.as_ref()) else {
            break;
        };
        blocks.push(hash);
    }
    Ok(blocks)
}

/// Ends a scan early.
enum Stop {
    Done,
    Log(LogError),
}

impl From<LogError> for Stop {
    fn from(e: LogError) -> Self {
        Stop::Log(e)
    }
}

fn finish(result: Result<(), Stop>) -> Result<(), LogError> {
    match result {
        Ok(()) | Err(Stop::Done) => Ok(()),
        Err(Stop::Log(e)) => Err(e),
    }
}

/// Calls `f` with the leaf hash of every record `from..=to`, checking
/// that none is missing.
fn each_leaf<S: Storage>(
    log: &EventLog<S>,
    from: u64,
    to: u64,
    mut f: impl FnMut(Hash),
) -> Result<(), LogError> {
    let mut expected = from;
    if from <= to {
        finish(log.for_each_raw(from, |seq, bytes| {
            if seq != expected {
                return Err(Stop::Log(LogError::Inconsistent(format!(
                    "record {expected} is missing"
                ))));
            }
            f(leaf_hash(bytes));
            expected += 1;
            if seq >= to { Err(Stop::Done) } else { Ok(()) }
        }))?;
    }
    if expected <= to {
        return Err(LogError::Inconsistent(format!(
            "the log ends at seq {} before seq {to}",
            expected - 1
        )));
    }
    Ok(())
}

/// The frontier of the first `size` records, from the stored block roots
/// and the records after them; also the roots of the blocks found missing
/// on the way (for [`store_blocks`]).
pub fn resume<S: Storage>(
    log: &EventLog<S>,
    size: u64,
) -> Result<(Frontier, Vec<(u64, Hash)>), LogError> {
    let blocks = stored_blocks(log.storage(), size / BLOCK_LEAVES)?;
    let mut frontier = Frontier::new();
    for b in &blocks {
        frontier.push_subtree(*b, BLOCK_HEIGHT, BLOCK_HEIGHT);
    }
    let mut missing = Vec::new();
    each_leaf(log, frontier.size() + 1, size, |leaf| {
        if let Some(block) = frontier.push(leaf, BLOCK_HEIGHT) {
            missing.push((frontier.size() / BLOCK_LEAVES - 1, block));
        }
    })?;
    Ok((frontier, missing))
}

/// Writes block roots (those [`resume`] found missing).
pub fn store_blocks<S: Storage>(storage: &S, blocks: &[(u64, Hash)]) -> Result<(), LogError> {
    for part in blocks.chunks(1024) {
        let mut batch = Batch::new();
        for (index, hash) in part {
            batch.put(block_key(*index).to_vec(), hash.to_vec());
        }
        storage.apply(&batch)?;
    }
    Ok(())
}

/// The root of the first `size` records, hashed from the records
/// themselves (no stored block root is used). An error when the log holds
/// fewer records, or one is missing or damaged.
pub fn root_from_records<S: Storage>(log: &EventLog<S>, size: u64) -> Result<Hash, LogError> {
    let mut frontier = Frontier::new();
    each_leaf(log, 1, size, |leaf| {
        frontier.push(leaf, BLOCK_HEIGHT);
    })?;
    Ok(frontier.root())
}

/// The log as a [`Subtrees`] source for proofs: stored block roots for
/// whole blocks, the records' leaf hashes (read a block at a time, kept)
/// for the rest.
#[derive(Debug)]
pub struct LogTree<'a, S: Storage> {
    log: &'a EventLog<S>,
    blocks: Vec<Hash>,
    leaves: HashMap<u64, Vec<Hash>>,
}

impl<'a, S: Storage> LogTree<'a, S> {
    /// The tree of `log` as it is now.
    pub fn new(log: &'a EventLog<S>) -> Result<Self, LogError> {
        let blocks = stored_blocks(log.storage(), log.head().seq / BLOCK_LEAVES)?;
        Ok(Self {
            log,
            blocks,
            leaves: HashMap::new(),
        })
    }

    /// The leaf hashes of block `index` (as many as the log holds).
    fn block_leaves(&mut self, index: u64) -> Result<&[Hash], LogError> {
        if !self.leaves.contains_key(&index) {
            let first = index * BLOCK_LEAVES + 1;
            let last = (first + BLOCK_LEAVES - 1).min(self.log.head().seq);
            let mut leaves = Vec::with_capacity(BLOCK_LEAVES as usize);
            each_leaf(self.log, first, last, |l| leaves.push(l))?;
            self.leaves.insert(index, leaves);
        }
        Ok(self.leaves.get(&index).map(Vec::as_slice).unwrap_or(&[]))
    }
}

impl<S: Storage> Subtrees for LogTree<'_, S> {
    type Error = LogError;

    fn subtree(&mut self, lo: u64, hi: u64) -> Result<Hash, LogError> {
        let b = BLOCK_LEAVES;
        if lo % b == 0 && hi % b == 0 && hi / b <= self.blocks.len() as u64 {
            return Ok(mth_of_nodes(
                &self.blocks[(lo / b) as usize..(hi / b) as usize],
            ));
        }
        if hi > lo && lo / b == (hi - 1) / b {
            let base = (lo / b) * b;
            let leaves = self.block_leaves(lo / b)?;
            let range = (lo - base) as usize..(hi - base) as usize;
            return leaves.get(range).map(mth_of_nodes).ok_or_else(|| {
                LogError::Inconsistent(format!("the log holds fewer than {hi} records"))
            });
        }
        if hi <= lo {
            return Err(LogError::Inconsistent(format!(
                "no subtree of leaves {lo}..{hi}"
            )));
        }
        let k = split_point(hi - lo);
        Ok(node_hash(
            &self.subtree(lo, lo + k)?,
            &self.subtree(lo + k, hi)?,
        ))
    }
}

/// The record bytes at `seq` as stored (the leaf's preimage).
pub fn record_bytes<S: Storage>(log: &EventLog<S>, seq: u64) -> Result<Option<Vec<u8>>, LogError> {
    let mut found = None;
    if seq >= 1 && seq <= log.head().seq {
        finish(log.for_each_raw(seq, |s, bytes| {
            if s == seq {
                found = Some(bytes.to_vec());
            }
            Err(Stop::Done)
        }))?;
    }
    Ok(found)
}
