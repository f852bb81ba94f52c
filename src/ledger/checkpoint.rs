//! The state checkpoint: the live records as of some `Seq`, so that opening
//! a ledger reads a checkpoint and the log after it instead of the whole log.
//!
//! Derived data, not a contract: a checkpoint of another version, or one
//! that does not check out (its hash, or the record it names), is ignored and
//! the state is rebuilt from the log. Written every so many records (at
//! least [`EVENTS_MIN`], and at least as many as there are live records, so
//! that the cost of writing one is spread over at least as many events as it
//! holds records) and when the ledger closes, as one atomic batch that also
//! removes the previous one:
//!
//! | key | value |
//! |---|---|
//! | `m state` | the manifest: version (u32 LE), generation (u64 LE), seq (u64 LE), that record's chain hash (32), parts (u32 LE), SHA-256 of the parts' bytes (32) |
//! | `s` + generation (u64 BE) + part (u32 BE) | up to [`PART_BYTES`] of the LZ4-compressed (block format, uncompressed length first, u32 LE) bincode of the records, sorted by id |

use bincode::Options;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::world::World;
use crate::log::{EventLog, Head, LogError, keys, record};
use crate::model::state::{Disk, Instance, LoadBalancer, RouteTable, Snapshot, State, SystemEvent};
use crate::storage::{Batch, Storage, prefix_end};

/// The version of the checkpoint's encoding.
pub const VERSION: u32 = 3;
/// Fewest records between two checkpoints.
pub const EVENTS_MIN: u64 = 100_000;
/// Largest part of a checkpoint.
pub const PART_BYTES: usize = 256 * 1024;

/// What `m state` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// Encoding version.
    pub version: u32,
    /// Which generation of parts.
    pub generation: u64,
    /// The head it was taken at.
    pub head: Head,
    /// Number of parts.
    pub parts: u32,
    /// SHA-256 of the parts, concatenated.
    pub digest: [u8; 32],
}

const MANIFEST_LEN: usize = 4 + 8 + 8 + 32 + 4 + 32;

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(MANIFEST_LEN);
        v.extend_from_slice(&self.version.to_le_bytes());
        v.extend_from_slice(&self.generation.to_le_bytes());
        v.extend_from_slice(&self.head.seq.to_le_bytes());
        v.extend_from_slice(&self.head.hash);
        v.extend_from_slice(&self.parts.to_le_bytes());
        v.extend_from_slice(&self.digest);
        v
    }

    fn decode(b: &[u8]) -> Option<Manifest> {
        if b.len() != MANIFEST_LEN {
            return None;
        }
        let u32_at = |at: usize| b[at..at + 4].try_into().ok().map(u32::from_le_bytes);
        let u64_at = |at: usize| b[at..at + 8].try_into().ok().map(u64::from_le_bytes);
        Some(Manifest {
            version: u32_at(0)?,
            generation: u64_at(4)?,
            head: Head {
                seq: u64_at(12)?,
                hash: b[20..52].try_into().ok()?,
            },
            parts: u32_at(52)?,
            digest: b[56..88].try_into().ok()?,
        })
    }
}

/// The records of a checkpoint, in a stable order.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    instances: Vec<Instance>,
    disks: Vec<Disk>,
    snapshots: Vec<Snapshot>,
    route_tables: Vec<RouteTable>,
    load_balancers: Vec<LoadBalancer>,
    system_events: Vec<SystemEvent>,
}

fn sorted<K: Ord, V: Clone, H>(map: &std::collections::HashMap<K, V, H>) -> Vec<V> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter().map(|(_, v)| v.clone()).collect()
}

/// The stored manifest, if there is a readable one.
pub fn manifest<S: Storage>(storage: &S) -> Result<Option<Manifest>, LogError> {
    Ok(storage
        .get(keys::META_STATE)?
        .and_then(|v| Manifest::decode(v.as_ref())))
}

/// Writes a checkpoint of `world` at `head`, replacing `previous`.
pub fn write<S: Storage>(
    storage: &S,
    world: &World,
    head: Head,
    previous: Option<Manifest>,
) -> Result<Manifest, LogError> {
    let state = world.state();
    let stored = Stored {
        instances: sorted(&state.instances),
        disks: sorted(&state.disks),
        snapshots: sorted(&state.snapshots),
        route_tables: sorted(&state.route_tables),
        load_balancers: sorted(&state.load_balancers),
        system_events: state.system_events.clone(),
    };
    let encoded = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .serialize(&stored)
        .map_err(|e| LogError::Inconsistent(format!("cannot encode the state: {e}")))?;
    let bytes = lz4_flex::block::compress_prepend_size(&encoded);
    let generation = previous.map_or(1, |m| m.generation + 1);
    let mut batch = Batch::new();
    let mut parts = 0u32;
    for part in bytes.chunks(PART_BYTES) {
        batch.put(keys::state_part(generation, parts).to_vec(), part.to_vec());
        parts += 1;
        if batch.len() >= 16 {
            storage.apply(&std::mem::take(&mut batch))?;
        }
    }
    let manifest = Manifest {
        version: VERSION,
        generation,
        head,
        parts,
        digest: Sha256::digest(&bytes).into(),
    };
    batch.put(keys::META_STATE.to_vec(), manifest.encode());
    // Every other generation goes in the same batch as the switch.
    for item in storage.scan_prefix(&[keys::STATE]) {
        let (k, _) = item?;
        let k = k.as_ref();
        if k.len() == 13 && k[1..9] != generation.to_be_bytes() {
            batch.remove(k.to_vec());
        }
    }
    storage.apply(&batch)?;
    Ok(manifest)
}

/// Why a stored checkpoint was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// Written by another version of the encoding.
    #[error("it has version {0}; this build writes {VERSION}")]
    Version(u32),
    /// It names a record the log does not have, or one with another hash.
    #[error("it was taken at seq {0}, which the log does not hold as it was")]
    NotInLog(u64),
    /// Its parts are missing or damaged.
    #[error("its parts are damaged: {0}")]
    Damaged(String),
}

/// Reads the checkpoint, checked against `log`: the state it holds and the
/// manifest, `Ok(None)` when there is none, `Err` when it cannot be used.
pub fn read<S: Storage>(log: &EventLog<S>) -> Result<Option<(Manifest, State)>, ReadError> {
    let storage = log.storage();
    let Some(manifest) = manifest(storage)? else {
        return Ok(None);
    };
    if manifest.version != VERSION {
        return Err(Unusable::Version(manifest.version).into());
    }
    let seq = manifest.head.seq;
    if seq > log.head().seq || !carries(log, manifest.head)? {
        return Err(Unusable::NotInLog(seq).into());
    }
    let mut bytes = Vec::new();
    for part in 0..manifest.parts {
        let value = storage
            .get(&keys::state_part(manifest.generation, part))?
            .ok_or_else(|| Unusable::Damaged(format!("part {part} is missing")))?;
        bytes.extend_from_slice(value.as_ref());
    }
    if <[u8; 32]>::from(Sha256::digest(&bytes)) != manifest.digest {
        return Err(Unusable::Damaged("the digest does not match".into()).into());
    }
    // The digest matched: the length prefix is the one written.
    let encoded = lz4_flex::block::decompress_size_prepended(&bytes)
        .map_err(|e| Unusable::Damaged(e.to_string()))?;
    let stored: Stored = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .deserialize(&encoded)
        .map_err(|e| Unusable::Damaged(e.to_string()))?;
    Ok(Some((manifest, into_state(stored))))
}

fn into_state(stored: Stored) -> State {
    let mut state = State::new();
    state
        .instances
        .extend(stored.instances.into_iter().map(|r| (r.id.clone(), r)));
    state
        .disks
        .extend(stored.disks.into_iter().map(|r| (r.id.clone(), r)));
    state
        .snapshots
        .extend(stored.snapshots.into_iter().map(|r| (r.id.clone(), r)));
    state
        .route_tables
        .extend(stored.route_tables.into_iter().map(|r| (r.id.clone(), r)));
    state
        .load_balancers
        .extend(stored.load_balancers.into_iter().map(|r| (r.id.clone(), r)));
    state.system_events = stored.system_events;
    state
}

/// True when the log's record at `head.seq` carries `head.hash`.
fn carries<S: Storage>(log: &EventLog<S>, head: Head) -> Result<bool, LogError> {
    if head.seq == 0 {
        return Ok(head.hash == record::GENESIS);
    }
    let mut found = None;
    let result = log.for_each_raw(head.seq, |seq, bytes| {
        if seq == head.seq {
            found = record::split(bytes).ok().map(|p| p.hash);
        }
        Err(Found)
    });
    match result {
        Ok(()) | Err(Found) => Ok(found == Some(head.hash)),
    }
}

struct Found;

impl From<LogError> for Found {
    fn from(_: LogError) -> Self {
        Found
    }
}

/// A checkpoint could not be read: the storage failed, or it is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The storage failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The checkpoint cannot be used.
    #[error("the state checkpoint cannot be used: {0}")]
    Unusable(#[from] Unusable),
}

impl From<crate::storage::StorageError> for ReadError {
    fn from(e: crate::storage::StorageError) -> Self {
        ReadError::Log(e.into())
    }
}

/// Removes every checkpoint (`rebuild`): the next open replays the whole log.
pub fn drop_all<S: Storage>(storage: &S) -> Result<(), LogError> {
    let mut batch = Batch::new();
    let end = prefix_end(&[keys::STATE]);
    for item in storage.range(&[keys::STATE], end.as_deref()) {
        let (k, _) = item?;
        batch.remove(k.as_ref().to_vec());
    }
    batch.remove(keys::META_STATE.to_vec());
    storage.apply(&batch)?;
    Ok(())
}
