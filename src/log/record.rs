//! The record format: how one event is stored. **A public contract.**
//!
//! ```text
//! offset  size  field
//! 0       1     format version (currently 1)
//! 1       4     payload length n (u32, little endian)
//! 5       n     payload: the bincode 1.3 encoding (fixint, little endian) of
//!               model::event::Recorded (seq, time, request id, event id,
//!               account, event)
//! 5+n     4     CRC-32 (IEEE) of bytes 0..5+n (u32, little endian)
//! 9+n     32    chain hash: SHA-256(previous record's chain hash || bytes 0..5+n);
//!               the first record chains from 32 zero bytes
//! ```
//!
//! The key of a record is `e` + its seq (u64 big endian), and the payload's seq
//! must equal it. The checksum catches accidental corruption of one record;
//! the chain makes any change to history visible from the head hash on
//! (tamper evidence). See `docs/FORMAT.md` for the whole keyspace.

use bincode::Options;
use sha2::{Digest, Sha256};

use crate::model::event::Recorded;

/// The current record format version.
pub const FORMAT_VERSION: u8 = 1;
/// Largest payload accepted (a record is one event: a few hundred bytes).
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// The chain hash before the first record.
pub const GENESIS: [u8; 32] = [0u8; 32];

const HEADER: usize = 5;
const TRAILER: usize = 4 + 32;

/// Why a stored record is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Shorter than its header and trailer say.
    #[error("record truncated ({0} bytes)")]
    Truncated(usize),
    /// A format version this build does not read.
    #[error("unknown record format version {0}")]
    Version(u8),
    /// The payload length field disagrees with the record size.
    #[error("payload length {claimed} does not fit a record of {actual} bytes")]
    Length {
        /// What the header says.
        claimed: usize,
        /// The record's size.
        actual: usize,
    },
    /// The checksum does not match.
    #[error("checksum mismatch")]
    Checksum,
    /// The payload does not decode.
    #[error("payload does not decode: {0}")]
    Decode(String),
    /// The payload's seq is not the key's.
    #[error("payload seq {payload} under key seq {key}")]
    Seq {
        /// Seq in the key.
        key: u64,
        /// Seq in the payload.
        payload: u64,
    },
    /// The chain hash does not follow from the previous record.
    #[error("chain hash does not follow from the previous record")]
    Chain,
}

/// The bincode options of the format: fixint, little endian, bounded.
pub fn codec() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(MAX_PAYLOAD as u64)
        .reject_trailing_bytes()
}

/// Encodes `recorded` chained to `prev`; returns the record bytes and its chain hash.
pub fn encode(recorded: &Recorded, prev: &[u8; 32]) -> Result<(Vec<u8>, [u8; 32]), RecordError> {
    let payload = codec()
        .serialize(recorded)
        .map_err(|e| RecordError::Decode(e.to_string()))?;
    let n = payload.len();
    let mut bytes = Vec::with_capacity(HEADER + n + TRAILER);
    bytes.push(FORMAT_VERSION);
    bytes.extend_from_slice(&(n as u32).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let crc = crc32fast::hash(&bytes);
    let hash = chain(prev, &bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&hash);
    Ok((bytes, hash))
}

fn chain(prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(body);
    h.finalize().into()
}

/// A record split into its parts, checksum verified.
#[derive(Debug)]
pub struct Parts<'a> {
    /// Version, length and payload: what the checksum and hash cover.
    pub body: &'a [u8],
    /// The payload alone.
    pub payload: &'a [u8],
    /// The stored chain hash.
    pub hash: [u8; 32],
}

/// The length of the record at the start of `bytes`, from its header, if
/// `bytes` holds that much (records stored back to back in a chunk).
pub fn stored_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < HEADER {
        return None;
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[1..HEADER]);
    let n = u32::from_le_bytes(len) as usize;
    let total = HEADER + n + TRAILER;
    (n <= MAX_PAYLOAD && total <= bytes.len()).then_some(total)
}

/// Checks the structure and checksum of a record.
pub fn split(bytes: &[u8]) -> Result<Parts<'_>, RecordError> {
    if bytes.len() < HEADER + TRAILER {
        return Err(RecordError::Truncated(bytes.len()));
    }
    if bytes[0] != FORMAT_VERSION {
        return Err(RecordError::Version(bytes[0]));
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[1..HEADER]);
    let n = u32::from_le_bytes(len) as usize;
    if n > MAX_PAYLOAD || HEADER + n + TRAILER != bytes.len() {
        return Err(RecordError::Length {
            claimed: n,
            actual: bytes.len(),
        });
    }
    let body = &bytes[..HEADER + n];
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&bytes[HEADER + n..HEADER + n + 4]);
    if crc32fast::hash(body) != u32::from_le_bytes(crc) {
        return Err(RecordError::Checksum);
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[HEADER + n + 4..]);
    Ok(Parts {
        body,
        payload: &body[HEADER..],
        hash,
    })
}

/// Decodes a record stored under `seq` (structure, checksum, payload, seq).
pub fn decode(seq: u64, bytes: &[u8]) -> Result<(Recorded, [u8; 32]), RecordError> {
    let parts = split(bytes)?;
    let recorded: Recorded = codec()
        .deserialize(parts.payload)
        .map_err(|e| RecordError::Decode(e.to_string()))?;
    if recorded.seq != seq {
        return Err(RecordError::Seq {
            key: seq,
            payload: recorded.seq,
        });
    }
    Ok((recorded, parts.hash))
}

/// Checks that a record's stored hash follows from `prev`; returns it.
pub fn check_chain(prev: &[u8; 32], bytes: &[u8]) -> Result<[u8; 32], RecordError> {
    let parts = split(bytes)?;
    if chain(prev, parts.body) != parts.hash {
        return Err(RecordError::Chain);
    }
    Ok(parts.hash)
}
