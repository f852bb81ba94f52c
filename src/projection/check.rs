//! Checks a stored projection against a fold of the log: what `verify` runs
//! for the built-in ones (a damaged projection record is damage, like a
//! damaged event record).
//!
//! The projection is folded again, event by event, into memory up to its
//! stored checkpoint, and the result is compared key by key, byte for byte,
//! with what is stored under its prefix.

use std::collections::BTreeMap;

use super::runner::Runner;
use super::{Projection, ProjectionError, Store};
use crate::ledger::checkpoint::{self, ReadError};
use crate::log::{EventLog, keys};
use crate::replay::{Until, replay};
use crate::storage::{Storage, StorageError};

/// How a stored projection differs from the fold of the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// The projection could not be read or folded.
    #[error("projection {name}: {why}")]
    Unreadable {
        /// The projection.
        name: String,
        /// What failed.
        why: String,
    },
    /// A key differs.
    #[error(
        "projection {name} disagrees with the log at key {key:?} (checkpoint seq {seq}): {what}"
    )]
    Differs {
        /// The projection.
        name: String,
        /// The first key that differs (lossy text, relative to the projection's prefix).
        key: String,
        /// Its checkpoint.
        seq: u64,
        /// Stored and folded values.
        what: &'static str,
    },
}

/// Compares the state checkpoint (the live records as of some seq) with a
/// fold of the log up to that seq. Returns that seq and the number of
/// records compared (`(0, 0)` when there is no checkpoint).
pub fn check_state<S: Storage>(log: &EventLog<S>) -> Result<(u64, usize), Mismatch> {
    let unreadable = |why: String| Mismatch::Unreadable {
        name: "state checkpoint".into(),
        why,
    };
    let (manifest, stored) = match checkpoint::read(log) {
        Ok(Some(found)) => found,
        Ok(None) => return Ok((0, 0)),
        Err(ReadError::Unusable(checkpoint::Unusable::Version(_))) => return Ok((0, 0)),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    let folded = replay(log, Until::Seq(manifest.head.seq), |_| {})
        .map_err(|e| unreadable(e.to_string()))?
        .state;
    if folded != stored {
        let what = first_difference(&folded, &stored);
        return Err(Mismatch::Differs {
            name: "state checkpoint".into(),
            key: what,
            seq: manifest.head.seq,
            what: "not the fold of the log",
        });
    }
    Ok((manifest.head.seq, stored.len()))
}

/// The id of the first record that differs between two states.
fn first_difference(a: &crate::model::State, b: &crate::model::State) -> String {
    fn diff<
        K: Ord + std::fmt::Display + Eq + std::hash::Hash,
        V: PartialEq,
        H: std::hash::BuildHasher,
    >(
        a: &std::collections::HashMap<K, V, H>,
        b: &std::collections::HashMap<K, V, H>,
    ) -> Option<String> {
        let mut keys: Vec<&K> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.into_iter()
            .find(|k| a.get(*k) != b.get(*k))
            .map(|k| k.to_string())
    }
    diff(&a.instances, &b.instances)
        .or_else(|| diff(&a.disks, &b.disks))
        .or_else(|| diff(&a.snapshots, &b.snapshots))
        .or_else(|| diff(&a.route_tables, &b.route_tables))
        .or_else(|| diff(&a.load_balancers, &b.load_balancers))
        .unwrap_or_default()
}

/// Folds `projection` over the log up to its stored checkpoint and compares
/// the result with its stored data. Returns the checkpoint seq and the
/// number of keys compared.
pub fn check<S: Storage + Clone, P: Projection + ?Sized>(
    log: &EventLog<S>,
    projection: &mut P,
) -> Result<(u64, usize), Mismatch> {
    let name = projection.name().to_owned();
    let unreadable = |why: String| Mismatch::Unreadable {
        name: name.clone(),
        why,
    };
    let runner = Runner::new(log.storage().clone());
    let checkpoint = runner
        .checkpoint(&name)
        .map_err(|e| unreadable(e.to_string()))?;
    let folded = fold(log, projection, checkpoint.seq).map_err(|e| unreadable(e.to_string()))?;
    let prefix = keys::projection_prefix(&name);
    let mut stored = BTreeMap::new();
    for item in log.storage().scan_prefix(&prefix) {
        let (k, v) = item.map_err(|e| unreadable(e.to_string()))?;
        stored.insert(k.as_ref().to_vec(), v.as_ref().to_vec());
    }
    let differs = |key: &[u8], what| Mismatch::Differs {
        name: name.clone(),
        key: String::from_utf8_lossy(&key[prefix.len().min(key.len())..]).into_owned(),
        seq: checkpoint.seq,
        what,
    };
    for (key, value) in &folded {
        match stored.get(key) {
            None => return Err(differs(key, "missing from the stored projection")),
            Some(v) if v != value => return Err(differs(key, "stored with another value")),
            Some(_) => {}
        }
    }
    if let Some(key) = stored.keys().find(|k| !folded.contains_key(*k)) {
        return Err(differs(key, "stored, but not in the fold of the log"));
    }
    Ok((checkpoint.seq, folded.len()))
}

/// The projection's data after folding the log's events up to `until`, in memory.
fn fold<S: Storage, P: Projection + ?Sized>(
    log: &EventLog<S>,
    projection: &mut P,
    until: u64,
) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, ProjectionError> {
    let name = projection.name().to_owned();
    let mut data: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    if until == 0 {
        return Ok(data);
    }
    for event in log.iter_from(1) {
        let event = event?;
        if event.seq > until {
            break;
        }
        let writes = {
            let read =
                |k: &[u8]| -> Result<Option<Vec<u8>>, StorageError> { Ok(data.get(k).cloned()) };
            let mut store = Store::new(&name, &read);
            projection.apply(&event, &mut store)?;
            store.into_writes()
        };
        for (k, v) in writes {
            match v {
                Some(v) => data.insert(k, v),
                None => data.remove(&k),
            };
        }
    }
    Ok(data)
}
