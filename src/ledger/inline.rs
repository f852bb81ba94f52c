//! The ledger without a writer thread: the same requests, commits and
//! answers, run in the caller's thread.
//!
//! For deterministic simulation (nothing runs concurrently, so a run is a
//! pure function of its inputs), for `exec` (which reads ahead what has
//! arrived and commits it as one group, with no thread hand-off per line),
//! and for tools that own the ledger outright. Several requests can be
//! committed as one group commit with [`Inline::execute_batch`], exactly as
//! concurrent callers of a threaded [`super::Ledger`] would be.
//!
//! ```
//! use ecs_ledger::ledger::inline::Inline;
//! use ecs_ledger::ledger::{Config, Request};
//! use ecs_ledger::storage::memory::MemoryStorage;
//!
//! let mut ledger = Inline::open(MemoryStorage::new(), Config::seeded(1)).unwrap();
//! let replies = ledger
//!     .execute_batch(vec![
//!         Request::new("CreateDisk", [("Size", "20")]),
//!         Request::new("CreateDisk", [("Size", "30")]),
//!     ])
//!     .unwrap();
//! assert_eq!(replies.len(), 2);
//! assert_eq!(ledger.head().seq, 2);
//! ```

use std::sync::Arc;

use super::writer::{Job, Writer};
use super::{Config, LedgerError, Parsed, Reply, Request, Shared, Stats, lock};
use crate::core::world::World;
use crate::log::Head;
use crate::model::error::EcsError;
use crate::model::event::Recorded;
use crate::model::time::Timestamp;
use crate::storage::Storage;

/// A ledger run in the caller's thread.
pub struct Inline<S: Storage + Clone> {
    writer: Writer<S>,
    shared: Arc<Shared>,
    storage: S,
}

impl<S: Storage + Clone> std::fmt::Debug for Inline<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inline")
            .field("head", &self.head())
            .finish()
    }
}

impl<S: Storage + Clone> Inline<S> {
    /// Opens the ledger on `storage`.
    pub fn open(storage: S, config: Config) -> Result<Self, LedgerError> {
        let (writer, shared) = Writer::open(storage.clone(), config)?;
        Ok(Self {
            writer,
            shared,
            storage,
        })
    }

    fn one(&mut self, job: Job) -> Result<Reply, LedgerError> {
        self.writer
            .run_batch(vec![job])?
            .pop()
            .ok_or(LedgerError::Closed)
    }

    /// Executes one request (one group commit).
    pub fn execute(&mut self, request: Request) -> Result<Reply, LedgerError> {
        self.one(Job::execute(request))
    }

    /// Executes a parsed request (one group commit).
    pub fn execute_parsed(&mut self, request: Parsed) -> Result<Reply, LedgerError> {
        self.one(Job::parsed(request))
    }

    /// Executes several requests as one group commit: each decided against the
    /// state including the ones before it, all written in one atomic batch.
    pub fn execute_batch(&mut self, requests: Vec<Request>) -> Result<Vec<Reply>, LedgerError> {
        self.writer
            .run_batch(requests.into_iter().map(Job::execute).collect())
    }

    /// Executes several parsed requests as one group commit.
    pub fn execute_parsed_batch(
        &mut self,
        requests: Vec<Parsed>,
    ) -> Result<Vec<Reply>, LedgerError> {
        self.writer
            .run_batch(requests.into_iter().map(Job::parsed).collect())
    }

    /// Answers a request refused before it reached the ledger.
    pub fn reject(&mut self, error: EcsError) -> Result<Reply, LedgerError> {
        self.one(Job::parsed(Parsed::rejected(error)))
    }

    /// Applies the transitions due by now; returns their events.
    pub fn tick(&mut self) -> Result<Vec<Recorded>, LedgerError> {
        Ok(self.one(Job::parsed(Parsed::tick()))?.events().to_vec())
    }

    /// The live records (what the log folds to, as of the last request).
    pub fn world(&self) -> &World {
        self.writer.world()
    }

    /// The head of the log.
    pub fn head(&self) -> Head {
        *lock(&self.shared.head)
    }

    /// What has been written since the ledger was opened.
    pub fn stats(&self) -> Stats {
        *lock(&self.shared.stats)
    }

    /// The ledger clock.
    pub fn clock(&self) -> Timestamp {
        *lock(&self.shared.clock)
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Writes a state checkpoint, flushes.
    pub fn close(mut self) -> Result<(), LedgerError> {
        self.writer.finish();
        match self.shared.failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}
