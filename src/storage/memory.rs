//! In-memory storage with crash semantics and fault injection.
//!
//! It behaves like a log-structured store: applied batches are visible at
//! once, and become durable when flushed. A simulated crash
//! ([`MemoryStorage::crash`]) loses every unflushed batch, and may leave the
//! last one torn; like sled, the store's recovery discards a torn batch whole,
//! so a batch is never half applied. A write can be made to fail on purpose
//! ([`MemoryStorage::fail_next_writes`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Batch, Storage, StorageError};

/// Shared bytes handed out by [`MemoryStorage`].
pub type MemBytes = Arc<[u8]>;

/// A batch applied but not flushed, with what its keys held before it: a
/// crash that loses it puts those back.
#[derive(Debug)]
struct Unflushed {
    /// Each key the batch wrote, with its value before (in the batch's order).
    before: Vec<(Vec<u8>, Option<MemBytes>)>,
}

#[derive(Debug, Default)]
struct Inner {
    /// What a reader sees: the state as of the last flush plus every
    /// applied batch. One copy of every value: what survives a crash is
    /// this map with the unflushed batches undone.
    live: BTreeMap<Vec<u8>, MemBytes>,
    /// Applied but not yet flushed, oldest first.
    unflushed: Vec<Unflushed>,
    /// Remaining writes to fail.
    fail_writes: u32,
    /// Remaining flushes to fail.
    fail_flushes: u32,
    /// The head witness (written after durable commits: survives crashes).
    witness: Vec<u8>,
    stats: Stats,
}

/// What happened to the storage so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Batches applied.
    pub batches: u64,
    /// Flushes.
    pub flushes: u64,
    /// Writes failed on purpose.
    pub failed_writes: u64,
    /// Flushes failed on purpose.
    pub failed_flushes: u64,
    /// Crashes simulated.
    pub crashes: u64,
    /// Unflushed batches lost in crashes.
    pub lost_batches: u64,
    /// Torn batches discarded by recovery.
    pub torn_batches: u64,
}

/// How a simulated crash treats unflushed batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// Every unflushed batch is lost.
    LoseUnflushed,
    /// The first `kept` unflushed batches reached the disk before the crash;
    /// the one after them was torn (and is discarded by recovery); the rest are lost.
    KeepPrefixTearNext {
        /// How many unflushed batches survive whole.
        kept: usize,
    },
}

/// In-memory storage. Cloning shares the same store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-operation;
        // the maps are still consistent (each operation completes or not at all).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next `n` writes fail with an injected error (nothing is applied).
    pub fn fail_next_writes(&self, n: u32) {
        self.lock().fail_writes = n;
    }

    /// The next `n` flushes fail with an injected error.
    pub fn fail_next_flushes(&self, n: u32) {
        self.lock().fail_flushes = n;
    }

    /// Number of applied but unflushed batches.
    pub fn unflushed(&self) -> usize {
        self.lock().unflushed.len()
    }

    /// Simulates a crash and the store's recovery: afterwards readers see what
    /// was durable plus the unflushed batches `how` lets survive.
    pub fn crash(&self, how: Crash) {
        let mut inner = self.lock();
        let unflushed = std::mem::take(&mut inner.unflushed);
        let kept = match how {
            Crash::LoseUnflushed => 0,
            Crash::KeepPrefixTearNext { kept } => kept.min(unflushed.len()),
        };
        // Undone newest first, each batch's writes last to first: every key
        // ends with the value it had before the first batch lost. This costs
        // what the lost batches wrote, not the size of the store.
        for lost in unflushed[kept..].iter().rev() {
            for (key, before) in lost.before.iter().rev() {
                match before {
                    Some(v) => inner.live.insert(key.clone(), v.clone()),
                    None => inner.live.remove(key),
                };
            }
        }
        inner.stats.crashes += 1;
        let lost = (unflushed.len() - kept) as u64;
        inner.stats.lost_batches += lost;
        if matches!(how, Crash::KeepPrefixTearNext { .. }) && lost > 0 {
            inner.stats.torn_batches += 1;
        }
    }

    /// Counters of what happened.
    pub fn stats(&self) -> Stats {
        self.lock().stats
    }

    /// Number of keys visible.
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// True when no key is visible.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the head witness's bytes (corruption tests).
    pub fn corrupt_witness(&self, bytes: &[u8]) {
        self.lock().witness = bytes.to_vec();
    }

    /// Removes one key directly, bypassing the ledger (corruption tests).
    pub fn corrupt_remove(&self, key: &[u8]) {
        self.lock().set_durably(key, None);
    }

    /// Overwrites one key directly, bypassing the ledger (corruption tests).
    pub fn corrupt(&self, key: &[u8], value: &[u8]) {
        self.lock().set_durably(key, Some(Arc::from(value)));
    }
}

impl Inner {
    /// Sets a key as if it had been durable all along: a crash keeps it.
    fn set_durably(&mut self, key: &[u8], value: Option<MemBytes>) {
        for batch in &mut self.unflushed {
            for (k, before) in &mut batch.before {
                if k.as_slice() == key {
                    *before = value.clone();
                }
            }
        }
        match value {
            Some(v) => self.live.insert(key.to_vec(), v),
            None => self.live.remove(key),
        };
    }
}

/// Applies a batch; returns what its keys held before.
fn apply_to(map: &mut BTreeMap<Vec<u8>, MemBytes>, batch: &Batch) -> Unflushed {
    let mut before = Vec::with_capacity(batch.len());
    for (k, v) in batch.ops() {
        let old = match v {
            Some(v) => map.insert(k.clone(), Arc::from(v.as_slice())),
            None => map.remove(k),
        };
        before.push((k.clone(), old));
    }
    Unflushed { before }
}

type Item = Result<(MemBytes, MemBytes), StorageError>;

/// Entries read a page at a time (the lock is held per page, never across
/// the caller's work, and a scan that stops early costs what it read).
struct Paged<'a> {
    store: &'a MemoryStorage,
    /// The first key not yet read, or `None` when the range is exhausted.
    next: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    buffered: std::collections::VecDeque<(MemBytes, MemBytes)>,
}

/// Entries per page of a [`Paged`] scan.
const PAGE: usize = 256;

impl Iterator for Paged<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.buffered.is_empty() {
            let start = self.next.take()?;
            if self.end.as_ref().is_some_and(|end| *end <= start) {
                return None;
            }
            let inner = self.store.lock();
            let range = match &self.end {
                Some(end) => inner.live.range(start..end.clone()),
                None => inner.live.range(start..),
            };
            for (k, v) in range.take(PAGE + 1) {
                if self.buffered.len() == PAGE {
                    self.next = Some(k.clone());
                    break;
                }
                self.buffered
                    .push_back((Arc::from(k.as_slice()), v.clone()));
            }
        }
        self.buffered.pop_front().map(Ok)
    }
}

impl Storage for MemoryStorage {
    type Bytes = MemBytes;

    fn get(&self, key: &[u8]) -> Result<Option<MemBytes>, StorageError> {
        Ok(self.lock().live.get(key).cloned())
    }

    fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Box<dyn Iterator<Item = Item> + Send + 'a> {
        Box::new(Paged {
            store: self,
            next: Some(start.to_vec()),
            end: end.map(<[u8]>::to_vec),
            buffered: std::collections::VecDeque::new(),
        })
    }

    fn last_in(
        &self,
        start: &[u8],
        end: &[u8],
    ) -> Result<Option<(MemBytes, MemBytes)>, StorageError> {
        if end <= start {
            return Ok(None);
        }
        Ok(self
            .lock()
            .live
            .range(start.to_vec()..end.to_vec())
            .next_back()
            .map(|(k, v)| (Arc::from(k.as_slice()), v.clone())))
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        let mut inner = self.lock();
        if inner.fail_writes > 0 {
            inner.fail_writes -= 1;
            inner.stats.failed_writes += 1;
            return Err(StorageError::Injected("write failed".into()));
        }
        let applied = apply_to(&mut inner.live, batch);
        inner.unflushed.push(applied);
        inner.stats.batches += 1;
        Ok(())
    }

    fn flush(&self) -> Result<(), StorageError> {
        let mut inner = self.lock();
        if inner.fail_flushes > 0 {
            inner.fail_flushes -= 1;
            inner.stats.failed_flushes += 1;
            return Err(StorageError::Injected("flush failed".into()));
        }
        inner.unflushed.clear();
        inner.stats.flushes += 1;
        Ok(())
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.flush()
    }

    fn witness_read(&self) -> Result<Vec<u8>, StorageError> {
        Ok(self.lock().witness.clone())
    }

    fn witness_write(
        &self,
        offset: usize,
        bytes: &[u8],
        _durable: bool,
    ) -> Result<(), StorageError> {
        let mut inner = self.lock();
        let end = offset + bytes.len();
        if inner.witness.len() < end {
            inner.witness.resize(end, 0);
        }
        inner.witness[offset..end].copy_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> Batch {
        let mut b = Batch::new();
        b.put(k.as_bytes().to_vec(), v.as_bytes().to_vec());
        b
    }

    #[test]
    fn a_crash_loses_unflushed_batches_whole() {
        let s = MemoryStorage::new();
        s.apply(&put("a", "1")).unwrap();
        s.flush().unwrap();
        s.apply(&put("b", "2")).unwrap();
        s.apply(&put("c", "3")).unwrap();
        s.apply(&put("d", "4")).unwrap();
        s.crash(Crash::KeepPrefixTearNext { kept: 1 });
        assert!(s.get(b"a").unwrap().is_some());
        assert!(s.get(b"b").unwrap().is_some());
        assert!(s.get(b"c").unwrap().is_none(), "torn batch discarded whole");
        assert!(s.get(b"d").unwrap().is_none());
        let st = s.stats();
        assert_eq!((st.crashes, st.lost_batches, st.torn_batches), (1, 2, 1));
    }

    #[test]
    fn a_crash_restores_overwritten_and_removed_keys() {
        let s = MemoryStorage::new();
        s.apply(&put("a", "1")).unwrap();
        s.apply(&put("b", "1")).unwrap();
        s.flush().unwrap();
        s.apply(&put("a", "2")).unwrap();
        let mut remove = Batch::new();
        remove.remove(b"b".to_vec());
        s.apply(&remove).unwrap();
        s.apply(&put("c", "2")).unwrap();
        s.crash(Crash::LoseUnflushed);
        assert_eq!(s.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(s.get(b"b").unwrap().as_deref(), Some(&b"1"[..]));
        assert!(s.get(b"c").unwrap().is_none());
        // What survives a crash survives the next one too.
        s.apply(&put("a", "3")).unwrap();
        s.crash(Crash::KeepPrefixTearNext { kept: 1 });
        s.crash(Crash::LoseUnflushed);
        assert_eq!(s.get(b"a").unwrap().as_deref(), Some(&b"3"[..]));
    }

    #[test]
    fn a_failing_write_applies_nothing() {
        let s = MemoryStorage::new();
        s.fail_next_writes(1);
        assert!(s.apply(&put("a", "1")).is_err());
        assert!(s.get(b"a").unwrap().is_none());
        s.apply(&put("a", "1")).unwrap();
        assert!(s.get(b"a").unwrap().is_some());
    }
}
