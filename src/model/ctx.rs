//! What a decision may know besides the state: the time, the account, the
//! transition durations and where fresh ids come from.
//!
//! The model reads no clock and draws no random numbers; everything that varies
//! arrives here. With a seeded [`IdSource`] every generated id is a pure
//! function of the seed and the log position (docs/BEHAVIOUR.md §1).

use std::cell::Cell;

use sha2::{Digest, Sha256};

use crate::model::id::{Account, EventId, RequestId};
use crate::model::time::Timestamp;

/// How long the platform's transitions take, in seconds (docs/BEHAVIOUR.md §2).
///
/// ```
/// use ecs_ledger::model::ctx::Durations;
/// let d = Durations::default();
/// assert_eq!((d.create_secs, d.start_secs, d.stop_secs), (5, 3, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Durations {
    /// `Pending -> Stopped` after CreateInstance.
    pub create_secs: u32,
    /// `Starting -> Running` after StartInstance.
    pub start_secs: u32,
    /// `Stopping -> Stopped` after StopInstance.
    pub stop_secs: u32,
}

impl Durations {
    /// Every transition completes at once (bulk loads, demos, tests).
    ///
    /// ```
    /// use ecs_ledger::model::ctx::Durations;
    /// assert_eq!(Durations::INSTANT.create_secs, 0);
    /// ```
    pub const INSTANT: Self = Self {
        create_secs: 0,
        start_secs: 0,
        stop_secs: 0,
    };
}

impl Default for Durations {
    fn default() -> Self {
        Self {
            create_secs: 5,
            start_secs: 3,
            stop_secs: 3,
        }
    }
}

/// A deterministic source of fresh ids.
///
/// Each draw hashes a 32-byte seed material with a counter (SHA-256), so the
/// ids of a command depend only on that material. The ledger derives the
/// material from `--seed` and the log position, or from fresh randomness when
/// no seed is configured.
///
/// ```
/// use ecs_ledger::model::ctx::IdSource;
/// let a = IdSource::seeded(7, 1, 0);
/// let b = IdSource::seeded(7, 1, 0);
/// assert_eq!(a.next_base36(20), b.next_base36(20));
/// assert_ne!(IdSource::seeded(7, 2, 0).next_base36(20), IdSource::seeded(7, 1, 0).next_base36(20));
/// ```
#[derive(Debug, Clone)]
pub struct IdSource {
    material: [u8; 32],
    counter: Cell<u64>,
}

impl IdSource {
    /// From raw seed material (the ledger passes random bytes when unseeded).
    pub fn from_material(material: [u8; 32]) -> Self {
        Self {
            material,
            counter: Cell::new(0),
        }
    }

    /// From a user seed, the log position the command is decided at, and the
    /// number of earlier commands decided at that same position (refused
    /// commands append nothing, so several can share a position).
    pub fn seeded(seed: u64, position: u64, attempt: u64) -> Self {
        let mut h = Sha256::new();
        h.update(b"ecs-ledger/ids/v1");
        h.update(seed.to_le_bytes());
        h.update(position.to_le_bytes());
        h.update(attempt.to_le_bytes());
        Self::from_material(h.finalize().into())
    }

    /// Like [`IdSource::seeded`], from a secret random key instead of a
    /// user seed (a ledger without a seed draws its key once).
    pub fn keyed(key: &[u8; 32], position: u64, attempt: u64) -> Self {
        let mut h = Sha256::new();
        h.update(b"ecs-ledger/ids/keyed/v1");
        h.update(key);
        h.update(position.to_le_bytes());
        h.update(attempt.to_le_bytes());
        Self::from_material(h.finalize().into())
    }

    fn next_block(&self) -> [u8; 32] {
        let n = self.counter.get();
        self.counter.set(n.wrapping_add(1));
        let mut h = Sha256::new();
        h.update(self.material);
        h.update(n.to_le_bytes());
        h.finalize().into()
    }

    /// `len` (at most 32) characters of `[0-9a-z]`.
    pub fn next_base36(&self, len: usize) -> String {
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let block = self.next_block();
        block
            .iter()
            .take(len.min(32))
            .map(|b| char::from(ALPHABET[usize::from(*b) % 36]))
            .collect()
    }

    /// A version-4-shaped UUID.
    pub fn next_uuid(&self) -> uuid::Uuid {
        let block = self.next_block();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&block[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A fresh RequestId.
    pub fn next_request_id(&self) -> RequestId {
        RequestId::from_uuid(self.next_uuid())
    }

    /// A fresh EventId.
    pub fn next_event_id(&self) -> EventId {
        EventId::from_uuid(self.next_uuid())
    }
}

/// The context of one decision.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Ledger time the command runs at.
    pub now: Timestamp,
    /// The account the command runs as.
    pub account: Account,
    /// Transition durations.
    pub durations: Durations,
    /// Where new resource ids come from.
    pub ids: IdSource,
}

impl Ctx {
    /// `now` plus `secs`: when a transition that starts now completes. The
    /// ledger never runs a request later than [`crate::model::limits::LEDGER_TIME_MAX`],
    /// so this is always representable; should it not be, the request is
    /// refused (naming the time it ran at) rather than recorded with no end.
    pub fn after_secs(&self, secs: u32) -> Result<Timestamp, crate::model::error::EcsError> {
        self.now.add_secs(i64::from(secs)).ok_or_else(|| {
            crate::model::error::EcsError::invalid_because(
                "At",
                "It is too late for the transitions this request starts.",
            )
        })
    }

    /// A context for `account` at `now` with default durations.
    pub fn new(now: Timestamp, account: Account, ids: IdSource) -> Self {
        Self {
            now,
            account,
            durations: Durations::default(),
            ids,
        }
    }
}
