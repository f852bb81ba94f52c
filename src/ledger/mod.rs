//! The ledger: the shell around the request core. It opens the log, keeps
//! the core's state machine fed, commits what it appends, and answers.
//!
//! [`Ledger::execute`] is safe to call from many threads. One writer thread
//! takes requests in batches (group commit): it runs each through the
//! [`crate::core::machine::Machine`] (which decides it against the live
//! records, each request seeing the ones before it), writes the whole
//! batch's records in one atomic storage write (one chunk), makes it durable
//! as configured, then answers every caller. Durable throughput grows with
//! the number of callers instead of being one flush per command. Queries are
//! answered in their turn too, once the batch is durable: a caller always
//! sees its own acknowledged writes, and never anything not yet durable.
//!
//! ```
//! use ecs_ledger::ledger::{Config, Ledger, Request};
//! use ecs_ledger::storage::memory::MemoryStorage;
//!
//! let ledger = Ledger::with_storage(MemoryStorage::new(), Config::seeded(7)).unwrap();
//! let reply = ledger.execute(Request::new("CreateInstance", [("DataDisk.1.Size", "40")])).unwrap();
//! assert_eq!(reply.status(), 200);
//! let instance = reply.body()["InstanceId"].as_str().unwrap().to_owned();
//! let reply = ledger.execute(Request::new("DeleteInstance", [("InstanceId", instance.as_str())])).unwrap();
//! // still Pending: the creation takes 5 seconds of ledger time
//! assert_eq!(reply.error().unwrap().code().as_str(), "IncorrectInstanceStatus.Initializing");
//! ledger.close().unwrap();
//! ```

#[cfg(feature = "async")]
pub mod asynchronous;
pub mod checkpoint;
pub mod config;
pub mod inline;
pub mod nonce;
pub mod observer;
mod writer;

use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub use crate::core::answer::{Answer, Reply, Success};
pub use crate::core::machine::ClockMode;
pub use crate::core::request::{Parsed, Request};
#[cfg(feature = "async")]
pub use asynchronous::{AsyncLedger, ReplyFuture};
pub use config::{Config, Durability};
pub use observer::{Commit, Observer};

use crate::log::{Head, LogError};
use crate::model::error::{Code, EcsError};
use crate::model::event::Recorded;
use crate::model::time::Timestamp;
use crate::storage::sled_store::SledStorage;
use crate::storage::{Storage, StorageError};

/// The ledger itself failed (not a refused request).
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    /// Opening the log failed.
    #[error("cannot open the ledger: {0}")]
    Open(Arc<LogError>),
    /// The configuration cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The writer stopped after a storage or log failure; nothing more is
    /// accepted. The batch that failed was not acknowledged.
    #[error("the ledger stopped after a failure: {0}")]
    Stopped(Arc<LogError>),
    /// The ledger was closed.
    #[error("the ledger is closed")]
    Closed,
}

impl From<LogError> for LedgerError {
    fn from(e: LogError) -> Self {
        LedgerError::Open(Arc::new(e))
    }
}

impl From<StorageError> for LedgerError {
    fn from(e: StorageError) -> Self {
        LedgerError::Open(Arc::new(e.into()))
    }
}

impl LedgerError {
    /// The error a client sees for a request the ledger could not handle.
    pub fn to_ecs(&self) -> EcsError {
        EcsError::with_message(
            Code::ServiceUnavailable,
            format!("{} {self}", Code::ServiceUnavailable.template()),
        )
    }
}

/// What the writer has written since the ledger was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Group commits that wrote something.
    pub batches: u64,
    /// Requests answered.
    pub requests: u64,
    /// Event records appended.
    pub events: u64,
    /// Storage keys written or removed.
    pub keys: u64,
    /// Bytes of keys and values written.
    pub bytes: u64,
    /// State checkpoints written.
    pub checkpoints: u64,
}

/// What the writer shares with the handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub head: Mutex<Head>,
    pub committed: std::sync::Condvar,
    pub clock: Mutex<Timestamp>,
    pub failed: Mutex<Option<Arc<LogError>>>,
    pub stats: Mutex<Stats>,
    pub observer: Mutex<Option<Arc<dyn Observer>>>,
}

impl Shared {
    fn new(head: Head, clock: Timestamp) -> Arc<Self> {
        Arc::new(Self {
            head: Mutex::new(head),
            committed: std::sync::Condvar::new(),
            clock: Mutex::new(clock),
            failed: Mutex::new(None),
            stats: Mutex::new(Stats::default()),
            observer: Mutex::new(None),
        })
    }

    fn failure(&self) -> Option<LedgerError> {
        lock(&self.failed).clone().map(LedgerError::Stopped)
    }
}

/// Where the writer sends one request's answer.
enum Responder {
    /// A thread blocked on a channel ([`Ledger::execute`]).
    Sync(SyncSender<Result<Reply, LedgerError>>),
    /// A callback, called once on the writer thread: it must not block (the
    /// async handle completes a future with it).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    Call(Box<dyn FnOnce(Result<Reply, LedgerError>) + Send>),
}

impl Responder {
    /// Hands the answer over; false when the caller is gone (a sync caller
    /// only: a callback cannot tell).
    fn send(self, answer: Result<Reply, LedgerError>) -> bool {
        match self {
            Responder::Sync(tx) => tx.send(answer).is_ok(),
            Responder::Call(call) => {
                call(answer);
                true
            }
        }
    }
}

enum Msg {
    Job(Box<writer::Job>, Responder),
    Shutdown,
}

/// A handle to a running ledger. Cheap to share across threads (`&Ledger` is
/// `Sync`); dropping it closes the ledger.
pub struct Ledger<S: Storage + Clone = SledStorage> {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    shared: Arc<Shared>,
    storage: S,
}

impl<S: Storage + Clone> std::fmt::Debug for Ledger<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("head", &self.head())
            .finish()
    }
}

impl Ledger<SledStorage> {
    /// Opens (or creates) the ledger in directory `dir`, on sled.
    pub fn open(dir: &Path, config: Config) -> Result<Self, LedgerError> {
        config.validate()?;
        let storage = SledStorage::open(dir, config.sled_cache_bytes)?;
        Self::with_storage(storage, config)
    }
}

impl<S: Storage + Clone> Ledger<S> {
    /// Opens the ledger on the given storage.
    pub fn with_storage(storage: S, config: Config) -> Result<Self, LedgerError> {
        let (writer, shared) = writer::Writer::open(storage.clone(), config)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("ecs-ledger-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| LedgerError::from(StorageError::Io(e)))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            shared,
            storage,
        })
    }

    /// Queues `job` for the writer, which answers through `responder`.
    /// Never blocks (the queue is unbounded; the lock is only held to send).
    fn submit(&self, job: writer::Job, responder: Responder) -> Result<(), LedgerError> {
        if let Some(failure) = self.shared.failure() {
            return Err(failure);
        }
        let tx = lock(&self.tx);
        let tx = tx.as_ref().ok_or(LedgerError::Closed)?;
        tx.send(Msg::Job(Box::new(job), responder))
            .map_err(|_| LedgerError::Closed)
    }

    fn send(&self, job: writer::Job) -> Result<Reply, LedgerError> {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        self.submit(job, Responder::Sync(reply_tx))?;
        reply_rx
            .recv()
            .map_err(|_| self.shared.failure().unwrap_or(LedgerError::Closed))?
    }

    /// Executes one request. Returns once the request is answered: for a
    /// command that appended events, after they are durable as configured.
    /// An `Err` means the ledger itself failed; a refused request is an `Ok`
    /// reply carrying the error.
    pub fn execute(&self, request: Request) -> Result<Reply, LedgerError> {
        self.send(writer::Job::execute(request))
    }

    /// Executes a request already parsed (the typed entry: build a
    /// [`Parsed`] around a [`crate::model::Command`] directly).
    pub fn execute_parsed(&self, request: Parsed) -> Result<Reply, LedgerError> {
        self.send(writer::Job::parsed(request))
    }

    /// Answers a request that was refused before it reached the ledger (bad
    /// JSON, a missing Action): gives it a RequestId, drawn like any other.
    pub fn reject(&self, error: EcsError) -> Result<Reply, LedgerError> {
        self.send(writer::Job::parsed(Parsed::rejected(error)))
    }

    /// Applies every transition due by now (a server calls this in the
    /// background, so queries see transitions without a command). Returns the
    /// transition events appended.
    pub fn tick(&self) -> Result<Vec<Recorded>, LedgerError> {
        self.send(writer::Job::parsed(Parsed::tick()))
            .map(|r| r.events().to_vec())
    }

    /// The head of the log as of the last commit.
    pub fn head(&self) -> Head {
        *lock(&self.shared.head)
    }

    /// Waits until the head is past `seq` or `timeout` passes; returns the head.
    pub fn wait_for_head(&self, seq: u64, timeout: std::time::Duration) -> Head {
        let head = lock(&self.shared.head);
        if head.seq > seq {
            return *head;
        }
        match self
            .shared
            .committed
            .wait_timeout_while(head, timeout, |h| h.seq <= seq)
        {
            Ok((head, _)) => *head,
            Err(p) => *p.into_inner().0,
        }
    }

    /// Why the ledger stopped, if it did: the writer's failure, or
    /// [`LedgerError::Closed`] once closed. `None` while it takes requests.
    pub fn failure(&self) -> Option<LedgerError> {
        self.shared
            .failure()
            .or_else(|| lock(&self.tx).is_none().then_some(LedgerError::Closed))
    }

    /// Tells `observer` about every group commit from now on (replacing any
    /// observer set before): see [`observer`].
    pub fn observe(&self, observer: Arc<dyn Observer>) {
        *lock(&self.shared.observer) = Some(observer);
    }

    /// What the writer has written since the ledger was opened.
    pub fn stats(&self) -> Stats {
        *lock(&self.shared.stats)
    }

    /// The ledger clock as of the last request.
    pub fn clock(&self) -> Timestamp {
        *lock(&self.shared.clock)
    }

    /// The storage (for readers: committed data only).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Stops the writer after the requests already sent, writes a state
    /// checkpoint, flushes, and waits.
    pub fn close(&self) -> Result<(), LedgerError> {
        if let Some(tx) = lock(&self.tx).take() {
            let _ = tx.send(Msg::Shutdown);
        }
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
        match self.shared.failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

impl<S: Storage + Clone> Drop for Ledger<S> {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
