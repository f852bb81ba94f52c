//! Projections: the read side, built from the events.
//!
//! Two kinds, with two different guarantees:
//!
//! * a [`Projection`] keeps its state **in the ledger's own database**, under
//!   its own key prefix. The [`runner::Runner`] applies events to it in chunks
//!   and commits each chunk's writes together with the projection's checkpoint
//!   in one atomic batch: after any crash, the state and the checkpoint agree,
//!   so every event is applied **exactly once**.
//! * a [`Subscriber`] calls out (a webhook, a channel, another database). The
//!   runner hands it each event, then records the checkpoint; a crash between
//!   the two hands the event over again: delivery is **at least once**, and
//!   every event carries its `Seq`, so the subscriber drops what it has seen.
//!
//! Built in: [`history`] (one resource's events, read from the log) and
//! [`report`] (the release report, a [`Projection`] caught up on demand).
//! The live records Describe* reads are not a projection but the request
//! core's own state, kept in memory and checkpointed
//! ([`crate::ledger::checkpoint`]); [`check`] compares both kinds of derived
//! data with a fold of the log.

pub mod check;
pub mod history;
pub mod report;
pub mod runner;

use std::collections::BTreeMap;

use crate::log::keys;
use crate::model::event::Recorded;
use crate::storage::StorageError;

/// A projection failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The log could not be read.
    #[error(transparent)]
    Log(#[from] crate::log::LogError),
    /// The projection's stored data does not decode.
    #[error("projection {name}: stored data is corrupt: {why}")]
    Corrupt {
        /// The projection.
        name: String,
        /// What failed.
        why: String,
    },
    /// A subscriber refused an event (it will be delivered again).
    #[error("subscriber {name} failed at seq {seq}: {why}")]
    Subscriber {
        /// The subscriber.
        name: String,
        /// The event it failed on.
        seq: u64,
        /// Its error.
        why: String,
    },
}

/// Reads a committed value by its full key.
pub type ReadFn<'a> = &'a dyn Fn(&[u8]) -> Result<Option<Vec<u8>>, StorageError>;

/// The staged writes of a projection, over its stored data.
///
/// Keys are relative to the projection's own prefix (`p <name> 0x00`): a
/// projection cannot touch anything else.
pub struct Store<'a> {
    prefix: Vec<u8>,
    read: ReadFn<'a>,
    staged: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Store<'a> {
    /// A store for projection `name`, reading committed data through `read`
    /// (which takes full keys).
    pub fn new(name: &str, read: ReadFn<'a>) -> Self {
        Self {
            prefix: keys::projection_prefix(name),
            read,
            staged: BTreeMap::new(),
        }
    }

    fn full(&self, key: &[u8]) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        k
    }

    /// The value of `key`: staged if written in this chunk, else committed.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let full = self.full(key);
        match self.staged.get(&full) {
            Some(v) => Ok(v.clone()),
            None => (self.read)(&full),
        }
    }

    /// Sets `key`.
    pub fn put(&mut self, key: &[u8], value: Vec<u8>) {
        let full = self.full(key);
        self.staged.insert(full, Some(value));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &[u8]) {
        let full = self.full(key);
        self.staged.insert(full, None);
    }

    /// The staged writes, full keys.
    pub fn into_writes(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.staged
    }
}

/// A projection whose state lives in the ledger's database: exactly once.
///
/// ```
/// use ecs_ledger::projection::{Projection, ProjectionError, Store};
/// use ecs_ledger::model::event::Recorded;
///
/// /// Counts events per type.
/// struct Counter;
/// impl Projection for Counter {
///     fn name(&self) -> &str { "counter" }
///     fn version(&self) -> u32 { 1 }
///     fn apply(&mut self, event: &Recorded, store: &mut Store<'_>) -> Result<(), ProjectionError> {
///         let key = event.event.type_name().as_bytes();
///         let n = store.get(key)?.map(|v| u64::from_be_bytes(v.try_into().unwrap_or([0; 8]))).unwrap_or(0);
///         store.put(key, (n + 1).to_be_bytes().to_vec());
///         Ok(())
///     }
/// }
/// ```
pub trait Projection {
    /// Its name: its data lives under `p <name> 0x00`, its checkpoint under `c <name>`.
    fn name(&self) -> &str;

    /// The version of its stored data: a different stored version is rebuilt
    /// from the log (derived data never blocks an upgrade).
    fn version(&self) -> u32;

    /// Folds one event into the stored state, through `store`.
    fn apply(&mut self, event: &Recorded, store: &mut Store<'_>) -> Result<(), ProjectionError>;
}

/// A consumer that calls out of the ledger: at least once, in Seq order.
///
/// ```
/// use ecs_ledger::projection::Subscriber;
/// use ecs_ledger::model::event::Recorded;
///
/// /// Forwards released disks, dropping what it has already seen by Seq.
/// struct Notifier { seen: u64, sent: Vec<String> }
/// impl Subscriber for Notifier {
///     fn name(&self) -> &str { "notifier" }
///     fn handle(&mut self, event: &Recorded) -> Result<(), String> {
///         if event.seq <= self.seen { return Ok(()); } // a redelivery
///         if event.event.type_name() == "DiskReleased" {
///             self.sent.push(event.to_json().to_string());
///         }
///         self.seen = event.seq;
///         Ok(())
///     }
/// }
/// ```
pub trait Subscriber {
    /// Its name: its checkpoint lives under `c <name>`.
    fn name(&self) -> &str;

    /// Handles one event. An error stops delivery; the event comes again.
    fn handle(&mut self, event: &Recorded) -> Result<(), String>;
}

/// A stored checkpoint: the last seq applied and the data version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// Last seq applied (0: nothing).
    pub seq: u64,
    /// Version of the stored data.
    pub version: u32,
}

impl Checkpoint {
    /// 12 bytes: seq (u64 BE), version (u32 BE).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.seq.to_be_bytes().to_vec();
        v.extend_from_slice(&self.version.to_be_bytes());
        v
    }

    /// Decodes a stored checkpoint; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 12 {
            return None;
        }
        Some(Self {
            seq: u64::from_be_bytes(bytes[..8].try_into().ok()?),
            version: u32::from_be_bytes(bytes[8..].try_into().ok()?),
        })
    }
}
