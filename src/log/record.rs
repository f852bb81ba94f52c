//! The record format: how one event is stored. **A public contract.**
//!
//! ```text
//! offset  size  field
//! 0       1     record version: 1 (format 1's) or 2 (written now)
//! 1       4     payload length n (u32, little endian)
//! 5       n     payload: bincode 1.3 of the stored schema
//!               (crate::log::schema): version 1, fixint, RecordV1 (seq,
//!               time, request id, event id, account, event); version 2,
//!               varint, RecordV2 (seq, time, request id, account, event:
//!               the event id is derived from the request id and seq)
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

use super::schema::{RecordV1, RecordV2, StoredEvent};
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, EventId, RequestId};
use crate::model::time::Timestamp;

/// The record version written now (1 is read too).
pub const FORMAT_VERSION: u8 = 2;
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

/// The bincode options of record version 1 (and of the other fixint values
/// the store keeps): fixint, little endian, bounded.
pub fn codec() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(MAX_PAYLOAD as u64)
        .reject_trailing_bytes()
}

/// The bincode options of record version 2: varint, little endian, bounded.
pub fn codec_v2() -> impl Options {
    bincode::DefaultOptions::new()
        .with_varint_encoding()
        .with_little_endian()
        .with_limit(MAX_PAYLOAD as u64)
        .reject_trailing_bytes()
}

/// Encodes `recorded` chained to `prev`; returns the record bytes and its
/// chain hash. Its event id must be the derived one (version 2 stores none).
pub fn encode(recorded: &Recorded, prev: &[u8; 32]) -> Result<(Vec<u8>, [u8; 32]), RecordError> {
    if recorded.event_id != EventId::derived(&recorded.request_id, recorded.seq) {
        return Err(RecordError::Decode(
            "the event id is not the one derived from its request and seq".into(),
        ));
    }
    let stored = RecordV2 {
        seq: recorded.seq,
        time: recorded.time.unix(),
        request_id: *recorded.request_id.as_uuid().as_bytes(),
        account: recorded.account.as_str().to_owned(),
        event: StoredEvent::from(&recorded.event),
    };
    let payload = codec_v2()
        .serialize(&stored)
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
    if !(1..=FORMAT_VERSION).contains(&bytes[0]) {
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
    let recorded = match bytes[0] {
        1 => from_v1(
            codec()
                .deserialize(parts.payload)
                .map_err(|e| RecordError::Decode(e.to_string()))?,
        )?,
        _ => from_v2(
            codec_v2()
                .deserialize(parts.payload)
                .map_err(|e| RecordError::Decode(e.to_string()))?,
        )?,
    };
    if recorded.seq != seq {
        return Err(RecordError::Seq {
            key: seq,
            payload: recorded.seq,
        });
    }
    Ok((recorded, parts.hash))
}

fn bad(e: impl std::fmt::Display) -> RecordError {
    RecordError::Decode(e.to_string())
}

fn from_v1(r: RecordV1) -> Result<Recorded, RecordError> {
    Ok(Recorded {
        seq: r.seq,
        time: Timestamp::from_unix(r.time).ok_or_else(|| bad("time out of range"))?,
        request_id: RequestId::from_uuid(uuid::Uuid::from_slice(&r.request_id).map_err(bad)?),
        event_id: EventId::from_uuid(uuid::Uuid::from_slice(&r.event_id).map_err(bad)?),
        account: Account::parse(&r.account).map_err(bad)?,
        event: Event::try_from(r.event).map_err(bad)?,
    })
}

fn from_v2(r: RecordV2) -> Result<Recorded, RecordError> {
    let request_id = RequestId::from_uuid(uuid::Uuid::from_bytes(r.request_id));
    Ok(Recorded {
        seq: r.seq,
        time: Timestamp::from_unix(r.time).ok_or_else(|| bad("time out of range"))?,
        event_id: EventId::derived(&request_id, r.seq),
        request_id,
        account: Account::parse(&r.account).map_err(bad)?,
        event: Event::try_from(r.event).map_err(bad)?,
    })
}

/// Checks that a record's stored hash follows from `prev`; returns it.
pub fn check_chain(prev: &[u8; 32], bytes: &[u8]) -> Result<[u8; 32], RecordError> {
    let parts = split(bytes)?;
    if chain(prev, parts.body) != parts.hash {
        return Err(RecordError::Chain);
    }
    Ok(parts.hash)
}
