//! `verify`: recompute every checksum and the hash chain, check that Seq is
//! gapless from 1 and that the log ends at its head. The first bad record is
//! named by its seq. (The witness, the damage mark and the derived state are
//! checked by the callers that know about them: see `ecs-ledger verify`.)

use crate::log::{EventLog, Head, LogError, record};
use crate::storage::Storage;

/// What a successful verification saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records checked.
    pub records: u64,
    /// The head: last seq and its chain hash.
    pub head: Head,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// A record is bad.
    #[error("record {seq} is broken: {reason}")]
    Record {
        /// Its seq.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// Something else is wrong (storage errors, metadata).
    #[error("{0}")]
    Other(String),
}

impl Broken {
    /// The seq of the broken record, when a record is to blame.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Broken::Record { seq, .. } => Some(*seq),
            Broken::Other(_) => None,
        }
    }
}

impl From<LogError> for Broken {
    fn from(e: LogError) -> Self {
        match e.seq() {
            Some(seq) => Broken::Record {
                seq,
                reason: e.to_string(),
            },
            None => Broken::Other(e.to_string()),
        }
    }
}

/// Ends a walk early.
enum Walk {
    Broken(Broken),
    Done,
}

impl From<Broken> for Walk {
    fn from(b: Broken) -> Self {
        Walk::Broken(b)
    }
}

impl From<LogError> for Walk {
    fn from(e: LogError) -> Self {
        Walk::Broken(e.into())
    }
}

/// Verifies the whole log; `progress` is called with each checked seq.
pub fn verify<S: Storage>(
    log: &EventLog<S>,
    mut progress: impl FnMut(u64),
) -> Result<Report, Broken> {
    let mut prev = record::GENESIS;
    let mut expected = 1u64;
    // Up to the head as opened: another process may append meanwhile.
    let end = log.head().seq;
    let walked = log.for_each_raw(1, |seq, bytes| -> Result<(), Walk> {
        if seq > end && expected > end {
            return Err(Walk::Done);
        }
        if seq != expected {
            return Err(Broken::Record {
                seq: expected,
                reason: format!("missing (the next record is {seq})"),
            }
            .into());
        }
        let bad = |reason: String| Broken::Record { seq, reason };
        record::decode(seq, bytes).map_err(|e| bad(e.to_string()))?;
        prev = record::check_chain(&prev, bytes).map_err(|e| bad(e.to_string()))?;
        progress(seq);
        expected += 1;
        Ok(())
    });
    match walked {
        Ok(()) | Err(Walk::Done) => {}
        Err(Walk::Broken(b)) => return Err(b),
    }
    let last = expected - 1;
    let head = log.head();
    if head.seq != last || head.hash != prev {
        return Err(Broken::Other(format!(
            "the head says seq {} hash {}, the records end at seq {last} hash {}",
            head.seq,
            head.hash_hex(),
            hex::encode(prev)
        )));
    }
    Ok(Report {
        records: last,
        head,
    })
}
