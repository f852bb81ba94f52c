//! Verifiable audit: signed checkpoints of the log's Merkle tree, and
//! inclusion and consistency proofs an auditor checks without the ledger.
//!
//! The tree itself (RFC 9162 hashing over the records' stored bytes) lives
//! in [`crate::log::merkle`], [`crate::log::frontier`] and
//! [`crate::log::tree`]; this module holds what leaves the ledger: the key
//! files ([`keys`]), the signed checkpoint ([`checkpoint`]), and the proof
//! files ([`proof`]). Every format is documented in `docs/FORMAT.md` (section
//! "Audit") well enough for an independent checker (`tests/audit/check.py`
//! is one, in Python with hashlib and an Ed25519 library).
//!
//! ```
//! use ecs_ledger::audit::{checkpoint::Checkpoint, keys};
//! use ecs_ledger::log::merkle::empty_root;
//! use ecs_ledger::model::time::Timestamp;
//! let key = keys::generate().unwrap();
//! let signed = Checkpoint::sign(0, empty_root(), Timestamp::EPOCH, &key);
//! let text = signed.to_json();
//! let read = Checkpoint::from_json(&text).unwrap();
//! assert!(read.verify(&key.verifying_key()).is_ok());
//! ```

pub mod checkpoint;
pub mod keys;
pub mod proof;

use crate::log::merkle::Hash;
use crate::log::{EventLog, LogError, tree};
use crate::storage::Storage;

/// Why an audit file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// It is malformed, or it does not verify.
    #[error("{0}")]
    Invalid(String),
}

impl AuditError {
    fn invalid(what: impl Into<String>) -> Self {
        AuditError::Invalid(what.into())
    }
}

/// Reads a file, naming it in the error.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, AuditError> {
    std::fs::read(path).map_err(|e| AuditError::Io(format!("cannot read {}: {e}", path.display())))
}

/// Decodes exactly `N` bytes of lower-case hex (`field` names it in errors).
pub fn hex_array<const N: usize>(field: &str, text: &str) -> Result<[u8; N], AuditError> {
    let bytes = hex_bytes(field, text)?;
    bytes
        .try_into()
        .map_err(|_| AuditError::invalid(format!("{field}: expected {} hex digits", 2 * N)))
}

/// Decodes lower-case hex (upper case is refused: the signed text is canonical).
pub fn hex_bytes(field: &str, text: &str) -> Result<Vec<u8>, AuditError> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(AuditError::invalid(format!(
            "{field}: hex must be lower case"
        )));
    }
    hex::decode(text).map_err(|e| AuditError::invalid(format!("{field}: not hex ({e})")))
}

/// The log's tree size and root now: the frontier kept by a log opened to
/// write, or (opened to look at) rebuilt from the stored block roots and the
/// records after them.
pub fn tree_head<S: Storage>(log: &EventLog<S>) -> Result<(u64, Hash), LogError> {
    if let Some(f) = log.frontier() {
        return Ok((f.size(), f.root()));
    }
    let (frontier, _) = tree::resume(log, log.head().seq)?;
    Ok((frontier.size(), frontier.root()))
}
