//! The inventory: the current record of every live instance, disk and snapshot,
//! for DescribeInstances, DescribeDisks and DescribeSnapshots.
//!
//! The ledger's writer keeps it in the **same atomic batch** as the events
//! (read-your-writes: a Describe answered after a command sees it), writing
//! for every record a command touched its state after the command. The same
//! data is produced by [`Inventory`] as a [`Projection`] (event by event),
//! which rebuilds it from the log; a test checks the two agree byte for byte
//! and that both equal a fold of the log.
//!
//! Keys, under `p inventory 0x00`:
//!
//! | key | value |
//! |---|---|
//! | `r` + id | the record (bincode of [`Record`]) |
//! | `l` + account + `0x00` + kind (`i`/`d`/`s`) + seq of the creating event (u64 BE) + id | empty: the per-account listing in creation order |

use std::collections::BTreeSet;

use bincode::Options;
use serde::{Deserialize, Serialize};

use super::{Projection, ProjectionError, Store};
use crate::log::{keys, record};
use crate::model::event::Recorded;
use crate::model::id::{Account, DiskId, InstanceId, SnapshotId};
use crate::model::state::{Disk, Instance, Snapshot, State, evolve};
use crate::storage::{Storage, StorageError};

/// The projection's name.
pub const NAME: &str = "inventory";
/// The version of its stored data.
pub const VERSION: u32 = 1;

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// An instance.
    Instance(Instance),
    /// A disk.
    Disk(Disk),
    /// A snapshot.
    Snapshot(Snapshot),
}

/// Which kind of record a listing is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Instances.
    Instance,
    /// Disks.
    Disk,
    /// Snapshots.
    Snapshot,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Instance => b'i',
            Kind::Disk => b'd',
            Kind::Snapshot => b's',
        }
    }
}

impl Record {
    /// The record of `tag` in `state`, if it is an instance, disk or snapshot there.
    pub fn from_state(state: &State, tag: &str) -> Option<Record> {
        if let Ok(id) = InstanceId::parse(tag) {
            return state.instances.get(&id).cloned().map(Record::Instance);
        }
        if let Ok(id) = DiskId::parse(tag) {
            return state.disks.get(&id).cloned().map(Record::Disk);
        }
        if let Ok(id) = SnapshotId::parse(tag) {
            return state.snapshots.get(&id).cloned().map(Record::Snapshot);
        }
        None
    }

    fn insert_into(self, state: &mut State) {
        match self {
            Record::Instance(i) => {
                state.instances.insert(i.id.clone(), i);
            }
            Record::Disk(d) => {
                state.disks.insert(d.id.clone(), d);
            }
            Record::Snapshot(s) => {
                state.snapshots.insert(s.id.clone(), s);
            }
        }
    }

    fn listing(&self) -> (Kind, &Account, u64, &str) {
        match self {
            Record::Instance(i) => (Kind::Instance, &i.account, i.created_seq, i.id.as_str()),
            Record::Disk(d) => (Kind::Disk, &d.account, d.created_seq, d.id.as_str()),
            Record::Snapshot(s) => (Kind::Snapshot, &s.account, s.created_seq, s.id.as_str()),
        }
    }

    fn encode(&self) -> Result<Vec<u8>, ProjectionError> {
        record::codec()
            .serialize(self)
            .map_err(|e| corrupt(e.to_string()))
    }

    fn decode(bytes: &[u8]) -> Result<Record, ProjectionError> {
        record::codec()
            .deserialize(bytes)
            .map_err(|e| corrupt(e.to_string()))
    }
}

fn corrupt(why: String) -> ProjectionError {
    ProjectionError::Corrupt {
        name: NAME.to_owned(),
        why,
    }
}

/// The record key of an id (relative to the projection prefix).
pub fn record_key(id: &str) -> Vec<u8> {
    let mut k = vec![b'r'];
    k.extend_from_slice(id.as_bytes());
    k
}

/// The listing prefix of an account and kind (relative).
pub fn listing_prefix(account: &Account, kind: Kind) -> Vec<u8> {
    let mut k = vec![b'l'];
    k.extend_from_slice(account.as_str().as_bytes());
    k.push(0);
    k.push(kind.byte());
    k
}

fn listing_key(record: &Record) -> Vec<u8> {
    let (kind, account, created_seq, id) = record.listing();
    let mut k = listing_prefix(account, kind);
    k.extend_from_slice(&created_seq.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

/// Where inventory writes go: relative keys.
pub trait Writes {
    /// Sets a key.
    fn put(&mut self, key: &[u8], value: Vec<u8>);
    /// Removes a key.
    fn remove(&mut self, key: &[u8]);
}

impl Writes for Store<'_> {
    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        Store::put(self, key, value);
    }
    fn remove(&mut self, key: &[u8]) {
        Store::remove(self, key);
    }
}

/// Stages into a log append, under the inventory's prefix.
pub struct IntoAppend<'a>(pub &'a mut crate::log::Append);

impl Writes for IntoAppend<'_> {
    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.0.put(keys::projection(NAME, key), value);
    }
    fn remove(&mut self, key: &[u8]) {
        self.0.remove(keys::projection(NAME, key));
    }
}

/// Writes what changed for one resource: its record before and after.
pub fn write_change(
    tag: &str,
    before: Option<&Record>,
    after: Option<&Record>,
    out: &mut impl Writes,
) -> Result<(), ProjectionError> {
    if before == after {
        return Ok(());
    }
    match (before, after) {
        (_, Some(after)) => {
            out.put(&record_key(tag), after.encode()?);
            if before.is_none() {
                out.put(&listing_key(after), Vec::new());
            }
        }
        (Some(before), None) => {
            out.remove(&record_key(tag));
            out.remove(&listing_key(before));
        }
        (None, None) => {}
    }
    Ok(())
}

/// The inventory as a projection: loads the records an event names, folds the
/// event in with [`evolve`], and writes what changed.
#[derive(Debug, Default)]
pub struct Inventory;

impl Projection for Inventory {
    fn name(&self) -> &str {
        NAME
    }

    fn version(&self) -> u32 {
        VERSION
    }

    fn apply(&mut self, event: &Recorded, store: &mut Store<'_>) -> Result<(), ProjectionError> {
        let tags: BTreeSet<&str> = event.event.tags().into_iter().flatten().collect();
        let mut state = State::new();
        let mut before = Vec::with_capacity(tags.len());
        for tag in &tags {
            let record = match store.get(&record_key(tag))? {
                Some(bytes) => Some(Record::decode(&bytes)?),
                None => None,
            };
            if let Some(r) = &record {
                r.clone().insert_into(&mut state);
            }
            before.push((*tag, record));
        }
        evolve(&mut state, event);
        for (tag, before) in before {
            let after = Record::from_state(&state, tag);
            write_change(tag, before.as_ref(), after.as_ref(), store)?;
        }
        Ok(())
    }
}

/// Reads the committed inventory.
#[derive(Debug, Clone)]
pub struct Reader<'a, S: Storage> {
    storage: &'a S,
}

impl<'a, S: Storage> Reader<'a, S> {
    /// A reader over the ledger's storage.
    pub fn new(storage: &'a S) -> Self {
        Self { storage }
    }

    /// The record of an id, whatever its account.
    pub fn get(&self, id: &str) -> Result<Option<Record>, ProjectionError> {
        match self.storage.get(&keys::projection(NAME, &record_key(id)))? {
            None => Ok(None),
            Some(bytes) => Record::decode(bytes.as_ref()).map(Some),
        }
    }

    /// The ids of an account's records of one kind, in creation order.
    pub fn list(&self, account: &Account, kind: Kind) -> Result<Vec<String>, ProjectionError> {
        let prefix = keys::projection(NAME, &listing_prefix(account, kind));
        let mut ids = Vec::new();
        for item in self.storage.scan_prefix(&prefix) {
            let (k, _) = item.map_err(ProjectionError::from)?;
            let k = k.as_ref();
            let id = k
                .get(prefix.len() + 8..)
                .and_then(|b| std::str::from_utf8(b).ok())
                .ok_or_else(|| corrupt("malformed listing key".into()))?;
            ids.push(id.to_owned());
        }
        Ok(ids)
    }

    /// Every record, as a state (for checks against a fold of the log).
    pub fn all(&self) -> Result<State, ProjectionError> {
        let prefix = keys::projection(NAME, b"r");
        let mut state = State::new();
        for item in self.storage.scan_prefix(&prefix) {
            let (_, v) = item.map_err(|e: StorageError| ProjectionError::from(e))?;
            Record::decode(v.as_ref())?.insert_into(&mut state);
        }
        Ok(state)
    }
}
