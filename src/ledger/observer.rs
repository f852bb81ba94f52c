//! A hook into the writer's group commits, for metrics: the library measures,
//! the embedder decides where the figures go (the HTTP server turns them
//! into Prometheus metrics).
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use ecs_ledger::ledger::{Config, Ledger, Request};
//! use ecs_ledger::ledger::observer::{Commit, Observer};
//! use ecs_ledger::storage::memory::MemoryStorage;
//!
//! #[derive(Default)]
//! struct Batches(AtomicU64);
//!
//! impl Observer for Batches {
//!     fn committed(&self, commit: &Commit) {
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!         assert!(commit.requests >= 1);
//!     }
//! }
//!
//! let ledger = Ledger::with_storage(MemoryStorage::new(), Config::seeded(7)).unwrap();
//! let batches = Arc::new(Batches::default());
//! ledger.observe(batches.clone());
//! ledger.execute(Request::new("CreateDisk", [("Size", "20")])).unwrap();
//! assert_eq!(batches.0.load(Ordering::Relaxed), 1);
//! ```

use std::time::Duration;

/// What one group commit did, once it was durable and before its callers
/// were answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// Requests in the batch (its size).
    pub requests: usize,
    /// Records appended by the batch (0 for a batch of queries or refusals).
    pub records: usize,
    /// Of those records, due transitions the batch applied (a creation that
    /// finished, an expired subscription released, ...).
    pub transitions: usize,
    /// Whether the batch wrote anything (records, nonces, tokens, the
    /// clock); a batch that did not (queries, refusals, an idle tick) was
    /// neither written nor flushed.
    pub wrote: bool,
    /// From the batch's start to its commit being durable: deciding every
    /// request, writing the batch, and the flush or sync.
    pub duration: Duration,
}

/// Told about every group commit, on the writer thread: it must be quick and
/// must never block (count, record into a histogram), or every caller waits.
pub trait Observer: Send + Sync {
    /// One batch was committed.
    fn committed(&self, commit: &Commit);
}

impl std::fmt::Debug for dyn Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Observer")
    }
}
