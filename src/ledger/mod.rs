//! The ledger: commands validated against state rebuilt from the log, appended
//! atomically, durably, and in batches.
//!
//! [`Ledger::execute`] is safe to call from many threads. One writer thread
//! takes requests in batches (group commit): for each it advances the clock,
//! applies due transitions, loads the records the command names through the
//! tag index, decides, and stages the events; then it writes the whole batch
//! in one atomic storage write, makes it durable as configured, and answers
//! every caller. Durable throughput grows with the number of callers instead
//! of being one flush per command.
//!
//! Requests that share a group commit are concurrent: commands are decided in
//! the order they arrived, each seeing the ones before it; queries are
//! answered once the whole batch is written, so they see every write of their
//! batch. Both are valid linearizations of concurrent requests, and a caller
//! always sees its own acknowledged writes.
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

pub mod cache;
pub mod idempotency;
pub mod inline;
pub mod nonce;
pub mod timers;
mod writer;

use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{Map, Value};

use crate::log::{EventLog, Head, LogError};
use crate::model::ctx::Durations;
use crate::model::error::{Code, EcsError};
use crate::model::event::Recorded;
use crate::model::id::{Account, RequestId};
use crate::model::params::Params;
use crate::model::time::Timestamp;
use crate::projection::ProjectionError;
use crate::projection::inventory::{self, Inventory};
use crate::projection::runner::Runner;
use crate::query::Query;
use crate::storage::sled_store::{DEFAULT_CACHE_BYTES, SledStorage};
use crate::storage::{Storage, StorageError};

/// When a command's records are made durable, before its caller is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Flushed (sled `flush`, `sync_file_range`) before answering: survives
    /// kill -9 of the process, not power loss. The default.
    #[default]
    Flush,
    /// Flushed and `fdatasync`ed before answering: survives power loss.
    Sync,
    /// Not flushed before answering (sled flushes in the background every
    /// 500 ms): for bulk loads and tests; a crash may lose the last writes.
    None,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flush" => Ok(Self::Flush),
            "sync" => Ok(Self::Sync),
            "none" => Ok(Self::None),
            _ => Err(format!("unknown durability {s:?}: use flush, sync or none")),
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flush => "flush",
            Self::Sync => "sync",
            Self::None => "none",
        })
    }
}

/// Where ledger time comes from when a request does not carry `At`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// max(system clock, ledger time).
    #[default]
    System,
    /// Only `At` (exec) and the `AdvanceClock` action move it.
    Manual,
}

impl std::str::FromStr for ClockMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "system" => Ok(Self::System),
            "manual" => Ok(Self::Manual),
            _ => Err(format!("unknown clock {s:?}: use system or manual")),
        }
    }
}

/// How a ledger is opened.
#[derive(Debug, Clone)]
pub struct Config {
    /// Durability of each acknowledged command.
    pub durability: Durability,
    /// With a seed, every generated id is a function of the seed and the log position.
    pub seed: Option<u64>,
    /// Transition durations.
    pub durations: Durations,
    /// Clock source.
    pub clock: ClockMode,
    /// sled page cache, bytes (default 64 MiB).
    pub sled_cache_bytes: u64,
    /// Most records the writer keeps loaded between batches.
    pub cache_records: usize,
    /// Most requests in one group commit.
    pub max_batch: usize,
    /// Where decisions load records from: the inventory's per-resource
    /// snapshots (default) or a fold through the tag index.
    pub load: cache::Load,
    /// Where a fresh ledger's clock starts (default: the system time for a
    /// manual clock). Simulations set it so nothing reads the wall clock.
    pub start_clock: Option<Timestamp>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            durability: Durability::Flush,
            seed: None,
            durations: Durations::default(),
            clock: ClockMode::System,
            sled_cache_bytes: DEFAULT_CACHE_BYTES,
            cache_records: 200_000,
            max_batch: 512,
            start_clock: None,
            load: cache::Load::Snapshot,
        }
    }
}

impl Config {
    /// Checks the values a ledger cannot run with: transition durations over
    /// [`crate::model::limits::DURATION_MAX_SECS`], a sled cache under 1 MiB,
    /// an empty group commit.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let d = self.durations;
        let max = crate::model::limits::DURATION_MAX_SECS;
        if [d.create_secs, d.start_secs, d.stop_secs]
            .iter()
            .any(|s| *s > max)
        {
            return Err(LedgerError::Config(format!(
                "transition durations must be at most {max} seconds"
            )));
        }
        if self.sled_cache_bytes < 1024 * 1024 {
            return Err(LedgerError::Config(
                "the sled cache must be at least 1 MiB".into(),
            ));
        }
        if self.max_batch == 0 {
            return Err(LedgerError::Config("max_batch must be at least 1".into()));
        }
        Ok(())
    }

    /// The default config with a seed (deterministic ids).
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed: Some(seed),
            ..Self::default()
        }
    }
}

/// A request to the ledger: an action, its parameters, the account it runs as,
/// and optionally the ledger time to run it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The action name.
    pub action: String,
    /// Its parameters, ECS flat form.
    pub params: Params,
    /// The account it runs as.
    pub account: Account,
    /// Move the ledger clock to this time first (exec's `At`).
    pub at: Option<Timestamp>,
    /// The signature nonce it came with (HTTP): refused if seen before,
    /// remembered durably with the request otherwise.
    pub nonce: Option<nonce::Nonce>,
}

impl Request {
    /// A request as account `default`, at the current time.
    pub fn new<K: Into<String>, V: Into<String>>(
        action: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            action: action.to_owned(),
            params: Params::from_pairs(params),
            account: Account::default(),
            at: None,
            nonce: None,
        }
    }

    /// The same request as `account`.
    pub fn as_account(mut self, account: Account) -> Self {
        self.account = account;
        self
    }

    /// The same request at ledger time `at`.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    /// The same request carrying a signature nonce.
    pub fn with_nonce(mut self, nonce: nonce::Nonce) -> Self {
        self.nonce = Some(nonce);
        self
    }
}

/// A successful outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Success {
    /// The response body fields besides RequestId.
    pub body: Map<String, Value>,
    /// The events this request appended (empty for an idempotent replay).
    pub events: Vec<Recorded>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The request's id (the original one for an idempotent replay).
    pub request_id: RequestId,
    /// Success or the error that answers it.
    pub outcome: Result<Success, EcsError>,
}

impl Reply {
    /// 200 on success, else the error's status.
    pub fn status(&self) -> u16 {
        match &self.outcome {
            Ok(_) => 200,
            Err(e) => e.http_status(),
        }
    }

    /// The ECS response body: `{"RequestId": ..., ...}` or
    /// `{"RequestId": ..., "Code": ..., "Message": ...}`.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("RequestId".into(), Value::from(self.request_id.to_string()));
        match &self.outcome {
            Ok(s) => map.extend(s.body.clone()),
            Err(e) => {
                map.insert("Code".into(), Value::from(e.code().as_str()));
                map.insert("Message".into(), Value::from(e.message()));
            }
        }
        Value::Object(map)
    }

    /// The events appended (none on error).
    pub fn events(&self) -> &[Recorded] {
        match &self.outcome {
            Ok(s) => &s.events,
            Err(_) => &[],
        }
    }

    /// The error, if it failed.
    pub fn error(&self) -> Option<&EcsError> {
        self.outcome.as_ref().err()
    }
}

/// The ledger itself failed (not a refused request).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Opening failed.
    #[error("cannot open the ledger: {0}")]
    Open(#[from] LogError),
    /// Opening the storage failed.
    #[error("cannot open the storage: {0}")]
    Storage(#[from] StorageError),
    /// The writer stopped after a failure; nothing more is accepted.
    #[error("the ledger stopped after a failure: {0}")]
    Stopped(String),
    /// The ledger was closed.
    #[error("the ledger is closed")]
    Closed,
    /// The configuration cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A built-in projection could not be brought up to date.
    #[error("cannot bring the inventory up to date: {0}")]
    Projection(#[from] ProjectionError),
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

/// What the writer answers: a finished reply, or a query to run over the
/// committed inventory (by the caller's thread, so big scans never hold up
/// the writer).
pub(crate) enum Answer {
    Done(Reply),
    Query(RequestId, Query, Account),
}

pub(crate) type Responder = SyncSender<Result<Answer, LedgerError>>;

pub(crate) enum Msg {
    Execute(Request, Responder),
    Reject(EcsError, Responder),
    Tick(Responder),
    Shutdown,
}

/// What the writer shares with the handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub head: Mutex<Head>,
    pub committed: std::sync::Condvar,
    pub clock: Mutex<Timestamp>,
    pub failed: Mutex<Option<String>>,
    pub stats: Mutex<Stats>,
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
}

/// Opens the log on `storage`, brings the inventory up to date, and builds
/// the writer (shared by the threaded [`Ledger`] and [`inline::Inline`]).
pub(crate) fn open_writer<S: Storage + Clone>(
    storage: S,
    config: Config,
) -> Result<(writer::Writer<S>, Arc<Shared>), LedgerError> {
    config.validate()?;
    let mut log = EventLog::open(storage.clone())?;
    // What is on disk now is durable: the witness starts from it (a ledger
    // written before witnesses existed gets one here).
    log.witness(config.durability == Durability::Sync)?;
    // The inventory is written with the events; a log written before it
    // existed (or with another version of it) is caught up first.
    let runner = Runner::new(storage);
    let checkpoint = runner.checkpoint(inventory::NAME)?;
    if checkpoint.seq != log.head().seq || checkpoint.version != inventory::VERSION {
        tracing::info!(
            from = checkpoint.seq,
            to = log.head().seq,
            "catching up the inventory"
        );
        runner.catch_up(&mut Inventory, |_| {})?;
    }
    // A fresh ledger's manual clock starts at the system time; after that
    // only At and AdvanceClock move it.
    let clock = match (log.stored_clock()?, config.start_clock, config.clock) {
        (Some(stored), _, _) => stored,
        (None, Some(start), _) => start,
        (None, None, ClockMode::Manual) => writer::system_now(),
        (None, None, ClockMode::System) => Timestamp::EPOCH,
    };
    let shared = Arc::new(Shared {
        head: Mutex::new(log.head()),
        committed: std::sync::Condvar::new(),
        clock: Mutex::new(clock),
        failed: Mutex::new(None),
        stats: Mutex::new(Stats::default()),
    });
    tracing::info!(
        head = log.head().seq,
        clock = %clock,
        durability = %config.durability,
        seeded = config.seed.is_some(),
        "ledger opened"
    );
    let writer = writer::Writer::new(log, config, clock, shared.clone())?;
    Ok((writer, shared))
}

/// Turns a writer's answer into the caller's reply (running a query over the
/// committed inventory).
pub(crate) fn finish_answer<S: Storage>(storage: &S, answer: Answer) -> Reply {
    match answer {
        Answer::Done(reply) => reply,
        Answer::Query(request_id, query, account) => Reply {
            request_id,
            outcome: match query.run(storage, &account) {
                Ok(body) => Ok(Success {
                    body,
                    events: Vec::new(),
                }),
                Err(e) => {
                    tracing::error!(error = %e, action = query.action(), "query failed");
                    Err(EcsError::new(Code::InternalError))
                }
            },
        },
    }
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
        let (writer, shared) = open_writer(storage.clone(), config)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("ecs-ledger-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(StorageError::Io)?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            shared,
            storage,
        })
    }

    fn send(&self, make: impl FnOnce(Responder) -> Msg) -> Result<Reply, LedgerError> {
        if let Some(why) = lock(&self.shared.failed).clone() {
            return Err(LedgerError::Stopped(why));
        }
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        {
            let tx = lock(&self.tx);
            let tx = tx.as_ref().ok_or(LedgerError::Closed)?;
            tx.send(make(reply_tx)).map_err(|_| LedgerError::Closed)?;
        }
        let answer = reply_rx
            .recv()
            .map_err(|_| match lock(&self.shared.failed).clone() {
                Some(why) => LedgerError::Stopped(why),
                None => LedgerError::Closed,
            })??;
        Ok(finish_answer(&self.storage, answer))
    }

    /// Executes one request. Returns once the request is answered: for a
    /// command that appended events, after they are durable as configured.
    /// An `Err` means the ledger itself failed; a refused request is an `Ok`
    /// reply carrying the error.
    pub fn execute(&self, request: Request) -> Result<Reply, LedgerError> {
        self.send(|tx| Msg::Execute(request, tx))
    }

    /// Answers a request that was refused before it reached the ledger (bad
    /// JSON, a missing Action): gives it a RequestId, drawn like any other.
    pub fn reject(&self, error: EcsError) -> Result<Reply, LedgerError> {
        self.send(|tx| Msg::Reject(error, tx))
    }

    /// Applies every transition due by now (a server calls this in the
    /// background, so queries see transitions without a command). Returns the
    /// transition events appended.
    pub fn tick(&self) -> Result<Vec<Recorded>, LedgerError> {
        self.send(Msg::Tick).map(|r| r.events().to_vec())
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

    /// Stops the writer after the requests already sent, flushes, and waits.
    pub fn close(&self) -> Result<(), LedgerError> {
        if let Some(tx) = lock(&self.tx).take() {
            let _ = tx.send(Msg::Shutdown);
        }
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
        match lock(&self.shared.failed).clone() {
            Some(why) => Err(LedgerError::Stopped(why)),
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
