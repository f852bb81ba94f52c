//! The log's Merkle tree (RFC 9162) as the ledger keeps it: the frontier
//! kept at append, the stored block roots, and proofs over a stored log.

use ecs_ledger::bench::fixture::fill_log;
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{Config, Request};
use ecs_ledger::log::merkle::{
    self, Hash, consistency_path, inclusion_path, leaf_hash, verify_consistency, verify_inclusion,
};
use ecs_ledger::log::tree::{self, BLOCK_LEAVES, LogTree};
use ecs_ledger::log::{EventLog, keys};
use ecs_ledger::storage::memory::MemoryStorage;
use ecs_ledger::storage::{Batch, Storage};

/// A log of random requests (one to nine per group commit).
fn random_log(seed: u64, requests: usize) -> MemoryStorage {
    let storage = MemoryStorage::new();
    let mut ledger = Inline::open(storage.clone(), Config::seeded(seed)).unwrap();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut left = requests;
    while left > 0 {
        let n = rng.usize(1..10).min(left);
        left -= n;
        let batch = (0..n)
            .map(|_| match rng.u8(0..3) {
                0 => Request::new("CreateInstance", [("DataDisk.1.Size", "40")]),
                1 => Request::new("CreateDisk", [("Size", "20")]),
                _ => Request::new("AdvanceClock", [("Seconds", "5")]),
            })
            .collect();
        ledger.execute_batch(batch).unwrap();
    }
    ledger.close().unwrap();
    storage
}

/// Every record's leaf hash, from the records themselves.
fn leaves(log: &EventLog<MemoryStorage>) -> Vec<Hash> {
    let mut all = Vec::new();
    log.for_each_raw(1, |_, bytes| -> Result<(), ecs_ledger::log::LogError> {
        all.push(leaf_hash(bytes));
        Ok(())
    })
    .unwrap();
    all
}

#[test]
fn inclusion_proofs_from_the_log_verify_for_every_seq_of_a_random_log() {
    let storage = random_log(11, 120);
    let log = EventLog::open(storage).unwrap();
    let n = log.head().seq;
    assert!(n > 150, "{n} records");
    let frontier = log.frontier().unwrap().clone();
    assert_eq!(frontier.size(), n);
    let all = leaves(&log);
    assert_eq!(frontier.root(), merkle::mth_of_nodes(&all));
    let mut source = LogTree::new(&log).unwrap();
    for size in [n, n / 2 + 1] {
        let root = merkle::root(&mut source, size).unwrap();
        for index in 0..size {
            let path = inclusion_path(&mut source, index, size).unwrap();
            let leaf = &all[index as usize];
            assert_eq!(verify_inclusion(index, size, leaf, &path, &root), Ok(()));
        }
    }
}

#[test]
fn the_frontier_kept_at_append_is_the_root_of_the_records() {
    let storage = random_log(12, 60);
    let mut ledger = Inline::open(storage.clone(), Config::seeded(12)).unwrap();
    ledger
        .execute(Request::new("CreateDisk", [("Size", "20")]))
        .unwrap();
    ledger.close().unwrap();
    let log = EventLog::open(storage).unwrap();
    let recomputed = tree::root_from_records(&log, log.head().seq).unwrap();
    assert_eq!(log.frontier().map(|f| f.root()), Some(recomputed));
}

/// A log past two stored blocks: block roots, the frontier rebuilt from
/// them, and proofs mixing block roots and leaves agree with the leaves.
#[test]
fn stored_block_roots_agree_with_the_records_and_missing_ones_are_rebuilt() {
    let storage = MemoryStorage::new();
    let mut ledger = Inline::open(storage.clone(), Config::seeded(3)).unwrap();
    fill_log(&mut ledger, 2 * BLOCK_LEAVES + 700).unwrap();
    ledger.close().unwrap();
    let log = EventLog::open(storage.clone()).unwrap();
    let n = log.head().seq;
    let all = leaves(&log);
    let blocks = tree::stored_blocks(log.storage(), u64::MAX).unwrap();
    assert_eq!(blocks.len() as u64, n / BLOCK_LEAVES);
    for (i, block) in blocks.iter().enumerate() {
        let b = BLOCK_LEAVES as usize;
        assert_eq!(*block, merkle::mth_of_nodes(&all[i * b..(i + 1) * b]));
    }
    let mut source = LogTree::new(&log).unwrap();
    let mut memory = all.as_slice();
    for size in [n, 2 * BLOCK_LEAVES, BLOCK_LEAVES + 1, 5000] {
        let root = merkle::root(&mut source, size).unwrap();
        assert_eq!(root, merkle::root(&mut memory, size).unwrap());
        for index in [0, 1, BLOCK_LEAVES - 1, BLOCK_LEAVES, size / 2, size - 1] {
            let path = inclusion_path(&mut source, index, size).unwrap();
            assert_eq!(path, inclusion_path(&mut memory, index, size).unwrap());
            let leaf = &all[index as usize];
            assert_eq!(verify_inclusion(index, size, leaf, &path, &root), Ok(()));
        }
        for first in [1, BLOCK_LEAVES, size / 3 + 1, size] {
            let path = consistency_path(&mut source, first, size).unwrap();
            let first_root = merkle::root(&mut memory, first).unwrap();
            assert_eq!(
                verify_consistency(first, size, &first_root, &root, &path),
                Ok(())
            );
        }
    }
    drop(source);
    drop(log);
    // Block 1 lost: the frontier is rebuilt from block 0 and the records,
    // and block 1 is written back.
    let mut batch = Batch::new();
    batch.remove(tree::block_key(1).to_vec());
    storage.apply(&batch).unwrap();
    let log = EventLog::open(storage.clone()).unwrap();
    assert_eq!(
        log.frontier().map(|f| f.root()),
        Some(merkle::mth_of_nodes(&all))
    );
    assert_eq!(tree::stored_blocks(&storage, u64::MAX).unwrap(), blocks);
    assert!(storage.get(&tree::block_key(1)).unwrap().is_some());
    assert_eq!(keys::TREE, tree::block_key(0)[0]);
}

#[test]
fn a_proof_past_the_log_or_outside_the_tree_is_refused() {
    let storage = random_log(13, 10);
    let log = EventLog::open(storage).unwrap();
    let n = log.head().seq;
    let mut source = LogTree::new(&log).unwrap();
    assert!(inclusion_path(&mut source, n, n).is_err());
    assert!(merkle::root(&mut source, n + 1).is_err());
    assert!(tree::root_from_records(&log, n + 1).is_err());
    assert_eq!(tree::record_bytes(&log, n + 1).unwrap(), None);
    assert!(tree::record_bytes(&log, n).unwrap().is_some());
}
