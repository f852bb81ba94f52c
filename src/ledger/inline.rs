//! The ledger without a writer thread: the same decisions, appends and group
//! commits, run in the caller's thread.
//!
//! For deterministic simulation (nothing runs concurrently, so a run is a
//! pure function of its inputs) and for tools that own the ledger outright.
//! Several requests can be committed as one group commit with
//! [`Inline::execute_batch`], exactly as concurrent callers of a threaded
//! [`super::Ledger`] would be.
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
use super::{Config, LedgerError, Reply, Request, Shared, finish_answer, lock, open_writer};
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
        let (writer, shared) = open_writer(storage.clone(), config)?;
        Ok(Self {
            writer,
            shared,
            storage,
        })
    }

    fn run(&mut self, jobs: Vec<Job>) -> Result<Vec<Reply>, LedgerError> {
        let answers = self.writer.run_batch(jobs).map_err(LedgerError::Stopped)?;
        Ok(answers
            .into_iter()
            .map(|a| finish_answer(&self.storage, a))
            .collect())
    }

    /// Executes one request (one group commit).
    pub fn execute(&mut self, request: Request) -> Result<Reply, LedgerError> {
        self.run(vec![Job::Execute(request)])?
            .pop()
            .ok_or(LedgerError::Closed)
    }

    /// Executes several requests as one group commit: each decided against the
    /// state including the ones before it, all written in one atomic batch.
    pub fn execute_batch(&mut self, requests: Vec<Request>) -> Result<Vec<Reply>, LedgerError> {
        self.run(requests.into_iter().map(Job::Execute).collect())
    }

    /// Answers a request refused before it reached the ledger.
    pub fn reject(&mut self, error: EcsError) -> Result<Reply, LedgerError> {
        self.run(vec![Job::Reject(error)])?
            .pop()
            .ok_or(LedgerError::Closed)
    }

    /// Applies the transitions due by now; returns their events.
    pub fn tick(&mut self) -> Result<Vec<Recorded>, LedgerError> {
        let reply = self
            .run(vec![Job::Tick])?
            .pop()
            .ok_or(LedgerError::Closed)?;
        Ok(reply.events().to_vec())
    }

    /// The head of the log.
    pub fn head(&self) -> Head {
        *lock(&self.shared.head)
    }

    /// What has been written since the ledger was opened.
    pub fn stats(&self) -> super::Stats {
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

    /// Flushes.
    pub fn close(mut self) -> Result<(), LedgerError> {
        self.writer.finish();
        match lock(&self.shared.failed).clone() {
            Some(why) => Err(LedgerError::Stopped(why)),
            None => Ok(()),
        }
    }
}
