//! The faults a simulation injects, on purpose, into the in-memory storage.

use serde::{Deserialize, Serialize};

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    /// The process dies between requests: unflushed writes are lost; the
    /// ledger reopens (cold cache, timers reloaded). Nothing acknowledged may
    /// be lost.
    Crash,
    /// The next commit's flush fails and the process dies with that batch
    /// torn: recovery discards it whole. The request was never acknowledged;
    /// nothing of it may remain.
    TornWrite,
    /// The next commit's flush fails, the process dies, but the batch had
    /// reached the disk: it survives although nobody was told. It must be
    /// there whole, exactly as predicted.
    UnackedWrite,
    /// The next storage write fails: the ledger must stop, write nothing, and
    /// reopen cleanly.
    FailedWrite,
    /// The next tokened request's answer is lost and the client retries with
    /// the same ClientToken: it must get the original answer and append nothing.
    LostAnswer,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Crash,
        FaultKind::TornWrite,
        FaultKind::UnackedWrite,
        FaultKind::FailedWrite,
        FaultKind::LostAnswer,
    ];
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}
